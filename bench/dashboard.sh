#!/usr/bin/env bash
# What the dashboard costs and how fast it is, in one run:
#   1. one node, 100 devices: single-reading POSTs (bench/wrk/single.lua, 50 connections) with no page open and with 5
#      pages following GET /api/events (every reading of 100 devices is an event, throttled to 4 a second per device),
#      alternated twice; GET /metrics scrape time, idle and under that load;
#   2. three members holding 1M readings of 100 devices over 30 days: the first render of / and a device page over 30
#      days in Debian's headless Chromium (bench tool `page`).
#   bench/dashboard.sh            # DURATION=10 READINGS=1000000
# Needs: wrk and chromium from Debian.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
READINGS=${READINGS:-1000000}
CONNS=${CONNS:-50}
WORK=${WORK:-/tmp/edge-bench/dashboard}
PORT=5140
rm -rf "$WORK"
mkdir -p "$WORK"
. bench/lib.sh

dotnet "$node_dll" --node-name dashboard-bench --http-host 127.0.0.1 --http-port $PORT --akka-host 127.0.0.1 --akka-port 0 \
  --mqtt-port 0 --data-dir "$WORK/node" >"$WORK/node.log" 2>&1 &
pids+=("$!")
wait_ready $PORT
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
pages() {
  page_pids=()
  for i in 1 2 3 4 5; do curl -sN "http://127.0.0.1:$PORT/api/events" > "$WORK/events-$i.txt" & page_pids+=("$!"); pids+=("$!"); done
  sleep 1
}
pages
(sleep 2; echo "metrics scrape, under load with 5 pages: $(scrape)" > "$WORK/scrape.txt") &
echo "single, 5 pages on /api/events: $(wrk_single)"
wait $!
echo "events received by one page: $(grep -c '^event: reading' "$WORK/events-1.txt") readings"
kill "${page_pids[@]}"; sleep 1
echo "single, no page open: $(wrk_single)"
pages
echo "single, 5 pages on /api/events: $(wrk_single)"
kill "${page_pids[@]}"
cat "$WORK/scrape.txt"
kill "${pids[0]}"; sleep 1

# Three members, 1M readings over 30 days loaded on the first and replicated to the others.
seeds=127.0.0.1:4141,127.0.0.1:4142
for i in 1 2 3; do
  dotnet "$node_dll" --node-name "m$i" --http-host 127.0.0.1 --http-port $((5140 + i)) --akka-host 127.0.0.1 --akka-port $((4140 + i)) \
    --seeds "$seeds" --mqtt-port 0 --auto-register --data-dir "$WORK/m$i" >"$WORK/m$i.log" 2>&1 &
  pids+=("$!")
done
wait_up 5141 3
$bench_tool load --member http://127.0.0.1:5141 --readings "$READINGS" --batch 10000 --spread-days 30
held() { curl -sf "http://127.0.0.1:$1/api/cluster" | grep -o '"highest":[0-9]*' | cut -d: -f2 | paste -sd+ | bc; }
for port in 5142 5143; do
  for _ in $(seq 1 600); do [ "$(held $port || echo 0)" -ge "$READINGS" ] && break; sleep 0.5; done
done
echo "held: m1 $(held 5141), m2 $(held 5142), m3 $(held 5143)"
$bench_tool page --member http://127.0.0.1:5141 --members 3 --devices 100 --device 42 --runs 5
$bench_tool page --member http://127.0.0.1:5143 --members 3 --devices 100 --device 42 --runs 5
