#!/usr/bin/env bash
# The node's memory under the workstation GC (its default), the server GC and the workstation GC with a heap hard
# limit (HARD_LIMIT, 96 MiB by default), side by side, alternating, ROUNDS times: start, register 100 devices, idle
# RSS after 5 s, then DURATION s of single POSTs and DURATION s of 100-reading batches at 50 connections; RSS after,
# peak RSS (VmHWM), req/s and the node's CPU seconds per 1,000 readings.
#   bench/gc.sh                  # ROUNDS=2 DURATION=10 HARD_LIMIT=0x6000000
# Needs wrk and sqlite3 (apt-get install wrk sqlite3).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-10}
WORK=${WORK:-/tmp/edge-gc}
PORT=5110
. bench/lib.sh
mkdir -p "$WORK"
cat bench/wrk/single.lua bench/wrk/report.lua > "$WORK/single.lua"
cat bench/wrk/batch.lua bench/wrk/report.lua > "$WORK/batch.lua"

measure() { # label VAR=value... (the node's environment)
  local label=$1; shift
  rm -rf "$WORK/node"
  env "$@" dotnet "$node_dll" --node-name gc --http-host 127.0.0.1 --http-port $PORT --akka-host 127.0.0.1 \
    --akka-port 0 --mqtt-port 0 --data-dir "$WORK/node" >"$WORK/node.log" 2>&1 &
  local pid=$!; pids+=("$pid")
  wait_ready $PORT
  for d in $(seq 1 100); do
    curl -sf -o /dev/null -X POST "http://127.0.0.1:$PORT/api/devices" -H 'content-type: application/json' -d "{\"device_id\":$d,\"name\":\"E$d\"}"
  done
  sleep 5
  local idle cpu0 single batch after peak cpu1 stored
  idle=$(awk '/^VmRSS/ {print int($2/1024)}' "/proc/$pid/status")
  cpu0=$(cpu_ticks "$pid")
  single=$(wrk -t2 -c50 -d"${DURATION}s" --timeout 10s -s "$WORK/single.lua" "http://127.0.0.1:$PORT" | grep '^RESULT')
  batch=$(wrk -t2 -c50 -d"${DURATION}s" --timeout 10s -s "$WORK/batch.lua" "http://127.0.0.1:$PORT" | grep '^RESULT')
  after=$(awk '/^VmRSS/ {print int($2/1024)}' "/proc/$pid/status")
  peak=$(awk '/^VmHWM/ {print int($2/1024)}' "/proc/$pid/status")
  cpu1=$(cpu_ticks "$pid")
  stored=$(sqlite3 "$WORK/node/readings.db" 'SELECT COUNT(*) FROM sensor_readings')
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$label: RSS idle $idle MiB, after load $after MiB, peak $peak MiB; CPU $(per_thousand $((cpu1 - cpu0)) "$stored") s per 1,000 readings"
  echo "   single ${single#RESULT }"
  echo "   batch  ${batch#RESULT }"
}

echo "machine: $(nproc) cores, $(uname -m)"
for round in $(seq 1 "$ROUNDS"); do
  measure "workstation GC (default), round $round" DOTNET_gcServer=0
  measure "server GC, round $round" DOTNET_gcServer=1
  measure "workstation GC, heap hard limit ${HARD_LIMIT:-0x6000000}, round $round" DOTNET_gcServer=0 DOTNET_GCHeapHardLimit="${HARD_LIMIT:-0x6000000}"
done
