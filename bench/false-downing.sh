#!/usr/bin/env bash
# False downings under load: three members on the default profile, one of them sharing its CPU with
# `stress-ng --cpu 2 --vm 1` (the member and stress-ng pinned to the last core, the other two to the others) for
# DURATION seconds while readings arrive on every member. Counts the split brain resolver's decisions and the
# members removed; a healthy lab shows none.
#   bench/false-downing.sh        # DURATION=600
# Needs: stress-ng and taskset (util-linux) from Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-600}
WORK=${WORK:-/tmp/edge-false-downing}
rm -rf "$WORK"; mkdir -p "$WORK"
. bench/lib.sh
last=$(( $(nproc) - 1 )); others="0-$(( last > 0 ? last - 1 : 0 ))"
seeds=127.0.0.1:4300,127.0.0.1:4301
for i in 0 1 2; do
  cpus=$([ "$i" = 0 ] && echo "$last" || echo "$others")
  taskset -c "$cpus" dotnet "$node_dll" --node-name "f$i" --http-host 127.0.0.1 --http-port "530$i" --akka-host 127.0.0.1 \
    --akka-port "430$i" --mqtt-port 0 --data-dir "$WORK/f$i" --auto-register --seeds "$seeds" >"$WORK/f$i.log" 2>&1 &
  pids+=("$!")
done
wait_up 5300 3
echo "machine: $(nproc) cores; f0 and stress-ng on cpu $last, f1 and f2 on cpu $others; ${DURATION}s"
taskset -c "$last" stress-ng --cpu 2 --vm 1 --timeout "${DURATION}s" >"$WORK/stress.log" 2>&1 &
pids+=("$!")
# Readings on every member, 10 a second each, for the whole run.
end=$(( $(date +%s) + DURATION ))
seq=0
while [ "$(date +%s)" -lt "$end" ]; do
  seq=$((seq + 1))
  for i in 0 1 2; do
    curl -s -o /dev/null -m 5 -X POST "http://127.0.0.1:530$i/api/reading" -H 'content-type: application/json' \
      -d "{\"device_id\":$((i + 1)),\"temperature\":21.5,\"humidity\":40,\"seq\":$seq}" &
  done
  sleep 0.1
done
wait_for_curls() { sleep 6; }
wait_for_curls
decisions=$(cat "$WORK"/f*.log | grep -c "SBR took decision" || true)
unreachable=$(cat "$WORK"/f*.log | grep -c "Marking node(s) as UNREACHABLE" || true)
removed=$(cat "$WORK"/f*.log | grep -c "was removed" || true)
echo "readings posted per member: $seq"
echo "unreachable markings: $unreachable; split brain resolver decisions: $decisions; removals seen: $removed"
for i in 0 1 2; do
  echo "f$i: $(curl -sf "http://127.0.0.1:530$i/api/health" || echo 'no answer')"
done
