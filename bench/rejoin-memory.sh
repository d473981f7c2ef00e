#!/usr/bin/env bash
# Memory across rejoins: a lab of 3 idle members; the last one is cut off until the split brain resolver downs it, the
# cut is healed, and once it is a member again its RSS and its JIT'd code (/memfd:doublemapper) are read from
# /proc/<pid>/smaps. A node that grows with every downing shows it here in a few minutes.
#   bench/rejoin-memory.sh            # CYCLES=6
#   IN_PROCESS=1 bench/rejoin-memory.sh   # the restart inside the process (EDGE_REJOIN_IN_PROCESS=1), to compare
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
CYCLES=${CYCLES:-6}
WORK=${WORK:-/tmp/edge-rejoin-memory}
dotnet build -c Release src/EdgeCluster.Cli >/dev/null
edgectl="dotnet src/EdgeCluster.Cli/bin/Release/net10.0/edgectl.dll"
rm -rf "$WORK"
${IN_PROCESS:+export EDGE_REJOIN_IN_PROCESS=1}
$edgectl lab up --nodes 3 --dir "$WORK" --http-port 5860 --akka-port 4860 >/dev/null
trap '$edgectl lab down --dir "$WORK" --purge >/dev/null 2>&1 || true' EXIT
pid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["nodes"][2]["pid"])' "$WORK/lab.json")
mem() {
  awk '/^[0-9a-f]+-/ { name = $6 } /^Rss:/ { if (name ~ /doublemapper/) code += $2; all += $2 }
       END { printf "rss=%d MiB code=%d MiB", all / 1024, code / 1024 }' "/proc/$pid/smaps"
}
echo "n3 pid $pid, before: $(mem)"
for i in $(seq 1 "$CYCLES"); do
  $edgectl 127.0.0.1:5860 partition isolate n3 >/dev/null
  sleep 14
  $edgectl 127.0.0.1:5860 partition heal >/dev/null
  wait_up 5862 3
  sleep 3
  echo "rejoin $i (pid $pid, actor system $(curl -s 127.0.0.1:5862/api/admin/links | python3 -c 'import json,sys; print(json.load(sys.stdin)["incarnation"])')): $(mem)"
done
