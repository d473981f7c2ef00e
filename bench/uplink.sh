#!/usr/bin/env bash
# The uplink to a cloud PostgreSQL, side by side in one run on this machine:
#   1. a backlog of READINGS (default 1M) accepted while the cloud is away, then drained into it: readings/s;
#   2. steady-state lag from a member's 200 to the row in the cloud, one reading at a time: p50/p99;
#   3. the uplink's cost to ingest: wrk 100-reading batches against a node without and a node with the uplink.
#   bench/uplink.sh                       # READINGS=1000000 DURATION=15 SAMPLES=200
# Needs: Debian's postgresql and wrk (apt-get install postgresql wrk).
set -euo pipefail
cd "$(dirname "$0")/.."

READINGS=${READINGS:-1000000}
DURATION=${DURATION:-15}
SAMPLES=${SAMPLES:-200}
CONNS=${CONNS:-50}
WORK=${WORK:-/tmp/edge-bench-uplink}
NODE_PORT=5110
PG_PORT=${PG_PORT:-5439}

rm -rf "$WORK"; mkdir -p "$WORK/pg" "$WORK/sock"
. bench/lib.sh
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown -R postgres:postgres "$WORK/pg" "$WORK/sock"
as_pg "$pg_bin/initdb" -D "$WORK/pg/data" -U postgres -A trust --no-instructions >/dev/null
pg_start() { as_pg "$pg_bin/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/server.log" -w -o "-p $PG_PORT -k $WORK/sock -c listen_addresses=127.0.0.1" start >/dev/null; }
pg_stop() { as_pg "$pg_bin/pg_ctl" -D "$WORK/pg/data" -w -m fast stop >/dev/null; }
psql_cloud() { psql -h "$WORK/sock" -p "$PG_PORT" -U postgres -d cloud -Atc "$1"; }
pg_start
psql -h "$WORK/sock" -p "$PG_PORT" -U postgres -d postgres -qc "CREATE DATABASE cloud" >/dev/null
trap 'cleanup; pg_stop 2>/dev/null || true' EXIT
uplink="postgres://postgres@127.0.0.1:$PG_PORT/cloud"

start_node() { # name data-dir extra-args...
  local name=$1 dir=$2; shift 2
  dotnet "$node_dll" --node-name "$name" --http-host 127.0.0.1 --http-port $NODE_PORT --akka-host 127.0.0.1 --akka-port 0 \
    --data-dir "$dir" --auto-register "$@" >"$WORK/$name.log" 2>&1 &
  node_pid=$!; pids+=("$node_pid")
  for _ in $(seq 1 300); do curl -sf -o /dev/null "http://127.0.0.1:$NODE_PORT/api/health" && return; sleep 0.1; done
  echo "node $name did not start"; cat "$WORK/$name.log"; exit 1
}
stop_node() { kill "$node_pid"; wait "$node_pid" 2>/dev/null || true; }

echo "machine: $(nproc) cores, $(uname -m); PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on loopback"

# 1. Backlog: the cloud is away while READINGS readings are accepted, then returns.
pg_stop
start_node backlog "$WORK/backlog" --uplink "$uplink"
$bench_tool load --member "http://127.0.0.1:$NODE_PORT" --readings "$READINGS" --batch 10000
pg_start
$bench_tool uplink-drain --member "http://127.0.0.1:$NODE_PORT" --readings "$READINGS"
echo "cloud rows: $(psql_cloud 'SELECT count(*) FROM sensor_readings'), distinct (origin, seq): $(psql_cloud 'SELECT count(DISTINCT (origin_node, origin_seq)) FROM sensor_readings')"

# 2. Steady-state lag, on the same node (its backlog drained).
$bench_tool uplink-lag --member "http://127.0.0.1:$NODE_PORT" --cloud "Host=$WORK/sock;Port=$PG_PORT;Username=postgres;Database=cloud" --samples "$SAMPLES"
stop_node

# 3. Cost to ingest: the same wrk load on a fresh node without, then with, the uplink.
run_wrk() {
  cat bench/wrk/batch.lua bench/wrk/report.lua >"$WORK/script.lua"
  wrk -t2 -c"$CONNS" -d"${DURATION}s" --timeout 10s -s "$WORK/script.lua" "http://127.0.0.1:$NODE_PORT" | grep '^RESULT'
}
# CPU seconds (user + system) of the node and of every PostgreSQL process over the wrk run: the member's own cost per
# reading, apart from the cloud's (which here shares the same cores, and on a lab runs elsewhere).
ticks() { awk '{s += $14 + $15} END {print s + 0}' "$@" 2>/dev/null || echo 0; }
pg_stats() { for p in $(pgrep -u postgres postgres); do echo "/proc/$p/stat"; done; }
hz=$(getconf CLK_TCK)
measure() { # label
  local n0 p0 n1 p1 line stored
  n0=$(ticks "/proc/$node_pid/stat"); p0=$(ticks $(pg_stats))
  line=$(run_wrk)
  n1=$(ticks "/proc/$node_pid/stat"); p1=$(ticks $(pg_stats))
  stored=$(curl -sf "http://127.0.0.1:$NODE_PORT/api/cluster" | python3 -c 'import json,sys; print(sum(o["highest"] for o in json.load(sys.stdin)["version_vector"].values()))')
  echo "$1 batch100 ${line#RESULT } node_cpu_ms_per_1000=$(( (n1 - n0) * 1000 * 1000 / hz / stored )) postgres_cpu_ms=$(( (p1 - p0) * 1000 / hz ))"
}
start_node plain "$WORK/plain"
measure "without uplink"
stop_node
start_node uplinked "$WORK/uplinked" --uplink "$uplink"
measure "with uplink   "
$bench_tool uplink-drain --member "http://127.0.0.1:$NODE_PORT" --readings "$(sqlite3 "$WORK/uplinked/readings.db" 'SELECT count(*) FROM sensor_readings')" >/dev/null
echo "cloud holds the uplinked node's readings: $(psql_cloud "SELECT count(*) FROM sensor_readings WHERE origin_node = 'uplinked'")"
stop_node
