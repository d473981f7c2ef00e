#!/usr/bin/env bash
# Tiered retention on one node, side by side in one run:
#   1. single-reading POSTs (bench/wrk/single.lua, 50 connections) on a node holding ROWS readings over the last 30 days,
#      with no expiry running;
#   2. the same while a retention run (archive on) expires the ~29/30 of them older than a day: the p99 during it;
#   3. the run's expiry rate with the Parquet archive (its HTTP answer) and the store's rate without it (bench tool);
#   4. bytes per reading on disk per tier, and from them the steady-state disk use of the lab's table (10, 100 and
#      1,000 devices at 1 reading/s) with the lab's tiers, against the lab's own ~35 MB a day for 10 devices.
#   bench/retention.sh            # ROWS=1000000 DURATION=10
# Needs: wrk and sqlite3 from Debian.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONNS=${CONNS:-50}
ROWS=${ROWS:-1000000}
WORK=${WORK:-/tmp/edge-bench/retention}
PORT=5110
rm -rf "$WORK"
mkdir -p "$WORK/node"
. bench/lib.sh

rate() {
  python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"{r['expired']} readings in {r['duration_ms']:.0f} ms = {r['expired'] / r['duration_ms'] * 1000:.0f} readings/s")
PY
}
start_node() {
  rm -rf "$WORK/node"; mkdir -p "$WORK/node"
  $bench_tool seed --db "$WORK/node/readings.db" --rows "$ROWS" --devices 100 >/dev/null
  dotnet "$node_dll" --node-name retention-bench --http-host 127.0.0.1 --http-port $PORT --akka-host 127.0.0.1 --akka-port 0 --mqtt-port 0 \
    --data-dir "$WORK/node" --retention hot=24h,warm=7d,cold=30d,archive=parquet,every=1h >"$WORK/node.log" 2>&1 &
  node_pid=$!; pids+=("$node_pid")
  for _ in $(seq 1 300); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/readings/1" || true)
    [ "$code" = "404" ] || [ "$code" = "200" ] && break; sleep 0.2
  done
}

$bench_tool expire --db "$WORK/expire.db" --rows "$ROWS"
# The node's run alone (archive on): its rate.
start_node
curl -s -X POST "http://127.0.0.1:$PORT/api/admin/retention/run" > "$WORK/run-alone.json"
echo "expiry with archive, nothing else running: $(rate "$WORK/run-alone.json")"
kill "$node_pid"; wait "$node_pid" 2>/dev/null || true
start_node
for d in $(seq 1 100); do
  curl -sf -o /dev/null -X POST "http://127.0.0.1:$PORT/api/devices" -H 'content-type: application/json' \
    -d "{\"device_id\":$d,\"name\":\"ESP32_$d\",\"type\":\"DHT22\",\"location\":\"Lab\"}"
done

files() { du -cb "$WORK/node/$1"* 2>/dev/null | tail -1 | cut -f1; }
wrk_single() {
  cat bench/wrk/single.lua bench/wrk/report.lua > "$WORK/script.lua"
  wrk -t2 -c"$CONNS" -d"${DURATION}s" --timeout 10s -s "$WORK/script.lua" "http://127.0.0.1:$PORT" | grep '^RESULT'
}
echo "machine: $(nproc) cores, $(uname -m); $ROWS readings over 30 days, 100 devices; wrk -t2 -c$CONNS -d${DURATION}s"
echo "before: read model $(files readings.db) bytes, journal $(files journal.db) bytes"
echo "single without expiry: $(wrk_single)"
curl -s -X POST "http://127.0.0.1:$PORT/api/admin/retention/run" > "$WORK/run.json" &
run_pid=$!
sleep 0.2
echo "single during expiry: $(wrk_single)"
wait $run_pid
echo "run: $(cat "$WORK/run.json")"
echo "expiry with archive, under the POST load: $(rate "$WORK/run.json")"
archive=$(du -cb "$WORK/node/archive" | tail -1 | cut -f1)
storage=$(curl -s "http://127.0.0.1:$PORT/api/storage")
own=$(curl -s "http://127.0.0.1:$PORT/api/cluster" | python3 -c 'import json,sys; print(json.load(sys.stdin)["version_vector"]["retention-bench"]["highest"])')
echo "after: read model $(files readings.db) bytes (SQLite keeps freed pages for reuse), journal $(files journal.db) bytes, archive $archive bytes"

# Bytes per row of each tier, measured by SQLite's dbstat on the node's file after the run.
python3 - "$WORK/node/readings.db" "$archive" "$storage" "$(files journal.db)" "$own" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
pages = dict(db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"))
raw_rows = db.execute("SELECT COUNT(*) FROM sensor_readings").fetchone()[0]
rollup_rows = db.execute("SELECT COUNT(*) FROM rollups").fetchone()[0] + db.execute("SELECT COUNT(*) FROM expired_rollups").fetchone()[0]
raw_bytes = sum(pages.get(n, 0) for n in ("sensor_readings", "idx_device_timestamp", "ux_device_seq"))
rollup_bytes = sum(pages.get(n, 0) for n in ("rollups", "expired_rollups"))
storage = json.loads(sys.argv[3])
expired = storage["last_run"]["expired"]
per_raw = raw_bytes / raw_rows
per_rollup = rollup_bytes / max(rollup_rows, 1)
per_archived = int(sys.argv[2]) / max(expired, 1)
journal_per = int(sys.argv[4]) / int(sys.argv[5])  # the journal's bytes per reading this node journaled during the runs
print(f"bytes per raw reading (table + indexes) {per_raw:.0f}; per journaled reading {journal_per:.0f}; per rollup bucket {per_rollup:.0f}; per archived reading {per_archived:.1f}")
print("steady state with the lab's tiers (raw 24 h, hourly 7 d, daily 30 d; journal compacted to the raw day):")
for devices in (10, 100, 1000):
    day = devices * 86_400
    sqlite_bytes = day * (per_raw + journal_per) + devices * (24 * 7 + 30) * 2 * per_rollup
    print(f"  {devices:>5} devices: SQLite {sqlite_bytes / 1e6:8.0f} MB steady, archive grows {day * per_archived / 1e6:7.1f} MB/day"
          f" (everything kept raw: {day * (per_raw + journal_per) / 1e6:7.0f} MB/day; the lab's estimate for 10 devices ~35 MB/day)")
PY
