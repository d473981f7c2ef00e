#!/usr/bin/env bash
# Single-node benchmark, side by side in one run: EdgeCluster vs the lab's Flask API (WAL), plus the
# raw SQLite ceiling and query latency at 10 million stored readings.
#   bench/run.sh                 # everything (the 10M seed takes a few minutes and ~2 GB in /tmp)
#   SKIP_10M=1 bench/run.sh      # without the 10M query part
#   WARMUP=0 bench/run.sh        # no warm-up run before each measured one (10 s by default)
# Needs: wrk and python3-flask from Debian (apt-get install wrk python3-flask).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-15}
WARMUP=${WARMUP:-10}
CONNS=${CONNS:-50}
FLASK_API=${FLASK_API:-../shared/baselines/seed_flask_api.py}
WORK=${WORK:-/tmp/edge-bench}
NODE_PORT=5100
FLASK_PORT=5101
CEILING_PORT=5102

rm -rf "$WORK/node" "$WORK/flask.db"*
mkdir -p "$WORK"
. bench/lib.sh

"${node_cmd[@]}" --node-name bench --http-host 127.0.0.1 \
  --http-port $NODE_PORT --akka-host 127.0.0.1 --akka-port 0 --data-dir "$WORK/node" >"$WORK/node.log" 2>&1 &
node_pid=$!; pids+=("$node_pid")
/usr/bin/python3 "$FLASK_API" --port $FLASK_PORT --db "$WORK/flask.db" --wal >"$WORK/flask.log" 2>&1 &
flask_pid=$!; pids+=("$flask_pid")
# The HTTP ceiling: the node's parsing and validation on a bare minimal API that stores nothing.
$bench_tool http-ceiling --port $CEILING_PORT >"$WORK/ceiling.log" 2>&1 &
pids+=("$!")

for port in $NODE_PORT $FLASK_PORT; do
  for _ in $(seq 1 300); do curl -sf -o /dev/null "http://127.0.0.1:$port/api/readings/1" -w '' && break
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/readings/1" || true)
    [ "$code" = "404" ] || [ "$code" = "200" ] && break; sleep 0.2; done
done
for d in $(seq 1 100); do
  curl -sf -o /dev/null -X POST "http://127.0.0.1:$NODE_PORT/api/devices" -H 'content-type: application/json' \
    -d "{\"device_id\":$d,\"name\":\"ESP32_$d\",\"type\":\"DHT22\",\"location\":\"Lab\"}"
done

for _ in $(seq 1 100); do [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$CEILING_PORT/api/reading" -H 'content-type: application/json' -d '{}')" = 400 ] && break; sleep 0.2; done

rss() { awk '/^VmRSS/ {print $2/1024 " MiB"}' "/proc/$node_pid/status"; }
peak() { awk '/^VmHWM/ {print $2/1024 " MiB"}' "/proc/$node_pid/status"; }
echo "machine: $(nproc) cores, $(uname -m); wrk -t2 -c$CONNS -d${DURATION}s on loopback"
echo "node rss idle: $(rss)"

# CPU seconds the node spent per 1,000 readings over one measured wrk run (what a Pi pays; wrk's own share is not in
# it) and the bytes it wrote to storage per reading (what a Pi's SD card pays): run() takes both after its warm-up.
cpu() { cpu_ticks "$node_pid"; }
written() { awk '/^write_bytes/ {print $2}' "/proc/$1/io"; }
# pays LABEL READINGS: the node's CPU and writes over the last measured run.
pays() {
  echo "node $1, per 1,000 readings: CPU $(per_thousand $(( $(cpu) - ticks )) "$2") s, written $(( ($(written "$node_pid") - node_bytes) / $2 )) bytes a reading"
}
run() { # name port script
  local line
  cat "bench/wrk/$3" bench/wrk/report.lua > "$WORK/script.lua"
  # Not counted: the same load first, so the measured run sees the steady state and not the JIT compiling the path
  # (a fresh node spends ~5 CPU-seconds compiling in its first 10 s of load: a sixth of two cores).
  [ "$WARMUP" -gt 0 ] && wrk -t2 -c"$CONNS" -d"${WARMUP}s" --timeout 10s -s "$WORK/script.lua" "http://127.0.0.1:$2" >/dev/null
  ticks=$(cpu); node_bytes=$(written "$node_pid"); flask_bytes=$(written "$flask_pid")
  line=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --timeout 10s -s "$WORK/script.lua" "http://127.0.0.1:$2" | grep '^RESULT')
  echo "$1 ${line#RESULT }"
  last_requests=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$line")
}
run "flask  single" $FLASK_PORT single.lua
echo "flask single: written $(( ($(written "$flask_pid") - flask_bytes) / last_requests )) bytes a reading"
run "ceiling single" $CEILING_PORT single.lua
run "edge   single" $NODE_PORT single.lua
pays single "$last_requests"
run "flask  batch100" $FLASK_PORT batch.lua
echo "flask batch100: written $(( ($(written "$flask_pid") - flask_bytes) / (last_requests * 100) )) bytes a reading"
run "edge   batch100" $NODE_PORT batch.lua
pays batch100 $(( last_requests * 100 ))
# What a board replaying its buffer sends (one device a batch), and the largest batch the API takes.
run "edge   batch100-one-device" $NODE_PORT batch_board.lua
pays batch100-one-device $(( last_requests * 100 ))
CONNS_SAVED=$CONNS; CONNS=4
run "edge   batch10000 (4 connections)" $NODE_PORT batch10k.lua
CONNS=$CONNS_SAVED
pays batch10000 $(( last_requests * 10000 ))
echo "node rss after load: $(rss), peak: $(peak)"
echo "node readings stored: $(sqlite3 "$WORK/node/readings.db" 'SELECT COUNT(*) FROM sensor_readings')"

for schema in lab readmodel; do
  for batch in 100 10000; do
    $bench_tool sqlite-ceiling --db "$WORK/ceiling.db" --rows 300000 --batch $batch --schema $schema
  done
done
# The node's read-model writer alone on the same rows: what it adds to the bare inserts above.
for batch in 1000 10000; do
  $bench_tool read-model-apply --db "$WORK/apply.db" --rows 300000 --batch $batch --devices 100
done

if [ -z "${SKIP_10M:-}" ]; then
  [ -f "$WORK/readings-10m.db" ] || $bench_tool seed --db "$WORK/readings-10m.db" --rows 10000000 --devices 100
  $bench_tool query --db "$WORK/readings-10m.db" --device 42 --iterations 2000
fi
