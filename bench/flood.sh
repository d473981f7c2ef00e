#!/usr/bin/env bash
# A runaway board cannot starve the others: 20 boards posting a reading every half second each (their own devices),
# measured quiet, then while one board (device 999) floods the node with 100-reading batches (wrk), with the node's per-device limit on
# (the default, 5,000 readings/s) and off. All load comes from this machine's one address, so the per-address limit is
# off here (it would count the 20 boards and the flood together); docs/security.md has the figures.
#   bench/flood.sh        # SECONDS_EACH=20
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${SECONDS_EACH:-20}
WORK=${WORK:-/tmp/edge-flood}
PORT=5700
. bench/lib.sh
run_node() {  # $1: per-device limit
  rm -rf "$WORK"; mkdir -p "$WORK"
  EDGE_LIMIT_PER_DEVICE=$1 dotnet "$node_dll" --node-name flood --http-host 127.0.0.1 --http-port $PORT --akka-host 127.0.0.1 --akka-port 0 \
    --mqtt-port 0 --data-dir "$WORK" --auto-register >"$WORK.log" 2>&1 &
  pids+=("$!")
  wait_ready $PORT
}
boards() { $bench_tool boards --member http://127.0.0.1:$PORT --boards 20 --rate 2 --seconds "${1:-$SECONDS_EACH}"; }
for limit in 5000 0; do
  run_node $limit
  echo "== per-device limit $limit readings/s"
  boards 5 >/dev/null  # warm-up: the first requests of a fresh node pay for JIT and connections
  echo -n "quiet:  "; boards
  wrk -t1 -c16 -d"$((SECONDS_EACH + 2))s" -s bench/wrk/flood.lua http://127.0.0.1:$PORT/ >"$WORK-wrk-$limit.log" 2>&1 &
  w=$!; sleep 1
  echo -n "flood:  "; boards
  wait "$w" || true
  echo "flooder (100-reading batches): $(grep -E 'Requests/sec' "$WORK-wrk-$limit.log" | tr -s ' ') $(grep -E 'Non-2xx' "$WORK-wrk-$limit.log" | tr -s ' ' || echo 'all 2xx')"
  kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
done
