#!/usr/bin/env bash
# Start-up of one node, from the command to GET /readyz answering 200 (journal recovered, read model caught up, the
# member Up): with an empty data folder, and with READINGS readings stored (10 million by default), for the build
# output (`dotnet EdgeCluster.Node.dll`) and, with PUBLISH=1, the self-contained ReadyToRun folder the Pi install uses
# (linux-x64 on this machine; `dotnet publish -p:PublishProfile=linux-x64`, a few minutes).
#   bench/startup.sh                        # RUNS=5 starts of each, READINGS=10000000 (~2.5 GB in $WORK)
#   READINGS=0 bench/startup.sh             # the empty start only
#   PUBLISH=1 bench/startup.sh              # also the published folder
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-5}
READINGS=${READINGS:-10000000}
WORK=${WORK:-/tmp/edge-startup}
PORT=${PORT:-5130}
. bench/lib.sh

published=src/EdgeCluster.Node/bin/publish/linux-x64/EdgeCluster.Node
if [ "${PUBLISH:-0}" = 1 ]; then
  dotnet publish src/EdgeCluster.Node -p:PublishProfile=linux-x64 >/dev/null
fi

# start_ms DATA CMD...: milliseconds from the start of CMD to /readyz = 200; the node is stopped (SIGTERM) after.
start_ms() {
  local data=$1; shift
  local t0 pid
  t0=$(date +%s%N)
  "$@" --node-name startup --http-host 127.0.0.1 --http-port "$PORT" --akka-host 127.0.0.1 --akka-port 0 \
    --data-dir "$data" --auto-register >>"$WORK/node.log" 2>&1 &
  pid=$!
  wait_ready "$PORT" "$pid" 0.01
  echo $(( ($(date +%s%N) - t0) / 1000000 ))
  kill -TERM "$pid"; wait "$pid" || true
}

# measure NAME DATA CMD...: RUNS starts on DATA (each empty again first when DATA is "empty").
measure() {
  local name=$1 data=$2; shift 2
  local times=() t
  for _ in $(seq 1 "$RUNS"); do
    if [ "$data" = empty ]; then rm -rf "$WORK/empty"; t=$(start_ms "$WORK/empty" "$@"); else t=$(start_ms "$data" "$@"); fi
    times+=("$t")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v name="$name" '{ a[NR] = $1 } END {
    printf "%-44s median %5d ms  min %5d  max %5d  (%d starts)\n", name, a[int((NR + 1) / 2)], a[1], a[NR], NR }'
}

mkdir -p "$WORK"; : >"$WORK/node.log"
echo "machine: $(nproc) cores, $(uname -m); start -> /readyz 200"
measure "build output, empty data folder" empty dotnet "$node_dll"
[ -x "$published" ] && measure "published (ReadyToRun), empty data folder" empty "$published"

if [ "$READINGS" -gt 0 ]; then
  loaded="$WORK/loaded-$READINGS"
  if [ ! -f "$loaded/.complete" ]; then
    rm -rf "$loaded"
    dotnet "$node_dll" --node-name startup --http-host 127.0.0.1 --http-port "$PORT" --akka-host 127.0.0.1 --akka-port 0 \
      --data-dir "$loaded" --auto-register >>"$WORK/node.log" 2>&1 &
    pid=$!
    wait_ready "$PORT"
    $bench_tool load --member "http://127.0.0.1:$PORT" --readings "$READINGS" --batch 10000
    kill -TERM "$pid"; wait "$pid" || true
    touch "$loaded/.complete"
  fi
  echo "data folder with $READINGS readings: $(du -sh "$loaded" | cut -f1)"
  measure "build output, $READINGS readings" "$loaded" dotnet "$node_dll"
  [ -x "$published" ] && measure "published (ReadyToRun), $READINGS readings" "$loaded" "$published"
fi
