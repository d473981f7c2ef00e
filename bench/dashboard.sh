#!/usr/bin/env bash
# What the dashboard costs the node, side by side in one run: single-reading POSTs (bench/wrk/single.lua, 50 connections)
# with no page open and with 5 pages following GET /api/events (every reading of 100 devices is an event, throttled to
# 4 a second per device); and GET /metrics scrape time, idle and under that load.
#   bench/dashboard.sh            # DURATION=10
# Needs: wrk from Debian.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONNS=${CONNS:-50}
WORK=${WORK:-/tmp/edge-bench/dashboard}
PORT=5140
rm -rf "$WORK"
mkdir -p "$WORK"
. bench/lib.sh

dotnet "$node_dll" --node-name dashboard-bench --http-host 127.0.0.1 --http-port $PORT --akka-host 127.0.0.1 --akka-port 0 \
  --mqtt-port 0 --data-dir "$WORK/node" >"$WORK/node.log" 2>&1 &
pids+=("$!")
for _ in $(seq 1 300); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz" || true)
  [ "$code" = "200" ] && break; sleep 0.2
done
for d in $(seq 1 100); do
  curl -sf -o /dev/null -X POST "http://127.0.0.1:$PORT/api/devices" -H 'content-type: application/json' \
    -d "{\"device_id\":$d,\"name\":\"ESP32_$d\",\"type\":\"DHT22\",\"location\":\"Lab\"}"
done
scrape() { # median and max of 21 scrapes, ms
  for _ in $(seq 1 21); do curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$PORT/metrics"; sleep 0.1; done |
    sort -n | awk '{ t[NR] = $1 * 1000 } END { printf "median %.1f ms, max %.1f ms", t[11], t[21] }'
}
wrk_single() {
  cat bench/wrk/single.lua bench/wrk/report.lua > "$WORK/script.lua"
  wrk -t2 -c"$CONNS" -d"${DURATION}s" --timeout 10s -s "$WORK/script.lua" "http://127.0.0.1:$PORT" | grep '^RESULT'
}
echo "machine: $(nproc) cores, $(uname -m); wrk -t2 -c$CONNS -d${DURATION}s"
echo "metrics scrape, idle: $(scrape)"
wrk_single > /dev/null   # warm-up, not counted
echo "single, no page open: $(wrk_single)"
for i in 1 2 3 4 5; do curl -sN "http://127.0.0.1:$PORT/api/events" > "$WORK/events-$i.txt" & pids+=("$!"); done
sleep 1
(sleep 2; echo "metrics scrape, under load with 5 pages: $(scrape)" > "$WORK/scrape.txt") &
echo "single, 5 pages on /api/events: $(wrk_single)"
wait $!
cat "$WORK/scrape.txt"
echo "events received by one page: $(grep -c '^event: reading' "$WORK/events-1.txt") readings"
