#!/usr/bin/env bash
# The MQTT door against the lab's MQTT pipeline, side by side in one run on this machine:
#   1. readings durably stored per second, end to end, with the same QoS 1 publishers (one connection per device):
#      the lab's pipeline (Debian's Mosquitto + ../shared/baselines/seed_mqtt_subscriber.py, commit per message)
#      against one EdgeCluster node, whose PUBACK means the journal has it;
#   2. acknowledged-then-lost after SIGKILL: publishers record every PUBACK; the broker process (Mosquitto, with its
#      subscriber killed too; or the node) is SIGKILLed mid-stream and restarted; PUBACKed readings missing from the
#      store are counted.
#   bench/mqtt.sh            # DEVICES=20 PER_DEVICE=1000
# Throughput uses mosquitto_pub -l -q 1 (one per device); the SIGKILL part uses bench/mqtt/publisher.py (paho), which
# records which publishes got their PUBACK.
# Needs: mosquitto, mosquitto-clients, python3-paho-mqtt, sqlite3 (Debian).
set -euo pipefail
cd "$(dirname "$0")/.."

DEVICES=${DEVICES:-20}
PER_DEVICE=${PER_DEVICE:-1000}
SUBSCRIBER=${SUBSCRIBER:-../shared/baselines/seed_mqtt_subscriber.py}
WORK=${WORK:-/tmp/edge-bench-mqtt}
LAB_PORT=18831
EDGE_PORT=18832
HTTP_PORT=5130
PY=/usr/bin/python3

rm -rf "$WORK"; mkdir -p "$WORK"
. bench/lib.sh
total=$((DEVICES * PER_DEVICE))
now() { date +%s.%N; }
count_lab() { sqlite3 "$WORK/lab.db" 'SELECT count(*) FROM sensor_readings' 2>/dev/null || echo 0; }
count_edge() { curl -sf "http://127.0.0.1:$HTTP_PORT/api/cluster" | $PY -c 'import json,sys; print(sum(o["highest"] for o in json.load(sys.stdin)["version_vector"].values()))' 2>/dev/null || echo 0; }

start_lab() {
  mosquitto -p $LAB_PORT >"$WORK/mosquitto.log" 2>&1 & lab_broker=$!; pids+=("$lab_broker"); sleep 0.5
  $PY "$SUBSCRIBER" --port $LAB_PORT --db "$WORK/lab.db" --topic 'sensors/#' --qos 1 --quiet >"$WORK/subscriber.log" 2>&1 &
  lab_sub=$!; pids+=("$lab_sub"); sleep 1
}
start_edge() {
  EDGE_REPLICATION_PUSH=on dotnet "$node_dll" --node-name mqtt-bench --http-host 127.0.0.1 --http-port $HTTP_PORT --akka-host 127.0.0.1 --akka-port 0 \
    --data-dir "$WORK/edge" --mqtt-port $EDGE_PORT --auto-register >>"$WORK/edge.log" 2>&1 &
  edge=$!; pids+=("$edge")
  for _ in $(seq 1 300); do curl -sf -o /dev/null "http://127.0.0.1:$HTTP_PORT/api/health" && return; sleep 0.1; done
  echo "node did not start"; exit 1
}
# The throughput publishers: Debian's mosquitto_pub -l -q 1, one per device, each reading a line of its file.
make_lines() { # lab|edge
  for d in $(seq 1 "$DEVICES"); do
    $PY - "$1" "$d" "$PER_DEVICE" >"$WORK/lines-$1-$d" <<'PYEOF'
import json, random, sys, time
kind, d, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for seq in range(1, n + 1):
    p = {"device_id": f"dev{d}" if kind == "lab" else d, "timestamp": time.time(), "temperature": round(20 + random.random() * 5, 2),
         "humidity": round(50 + random.random() * 10, 2)}
    if kind != "lab": p["seq"] = seq
    print(json.dumps(p))
PYEOF
  done
}
pub_lines() { # port lab|edge
  local ps=()
  for d in $(seq 1 "$DEVICES"); do
    local topic; [ "$2" = lab ] && topic="sensors/temperature/dev$d" || topic="sensors/$d/reading"
    mosquitto_pub -h 127.0.0.1 -p "$1" -i "board-$d" -q 1 -t "$topic" -l <"$WORK/lines-$2-$d" & ps+=($!)
  done
  for p in "${ps[@]}"; do wait "$p" || true; done
}
publish_all() { # port count prefix [--lab]
  local port=$1 count=$2 prefix=$3; shift 3
  local ps=()
  for d in $(seq 1 "$DEVICES"); do
    $PY bench/mqtt/publisher.py --port "$port" --device "$d" --count "$count" --acked "$WORK/$prefix-acked-$d" --within 60 "$@" & ps+=($!)
  done
  for p in "${ps[@]}"; do wait "$p" || true; done
}
# Waits until the store holds TARGET rows or has not grown for 5 s; prints the time of its last growth.
settle() { # function target
  local last=-1 at n
  at=$(now)
  while :; do
    n=$($1)
    if [ "$n" != "$last" ]; then last=$n; at=$(now); fi
    [ "$n" -ge "$2" ] && break
    [ "$(echo "$(now) - $at > 5" | bc)" = 1 ] && break
    sleep 0.2
  done
  echo "$at"
}

echo "machine: $(nproc) cores, $(uname -m); $DEVICES devices x $PER_DEVICE QoS 1 readings, one connection per device"

# 1. Throughput, end to end: from the first publish until every reading is in the store.
start_lab
make_lines lab; make_lines edge
t0=$(now); pub_lines $LAB_PORT lab; t1=$(now)
t2=$(settle count_lab "$total")
echo "lab pipeline  published=$total stored=$(count_lab) publish_s=$(echo "$t1 - $t0" | bc) stored_per_s=$(echo "$(count_lab) / ($t2 - $t0)" | bc)"
kill "$lab_sub" "$lab_broker"; wait "$lab_sub" "$lab_broker" 2>/dev/null || true
start_edge
for d in $(seq 1 "$DEVICES"); do curl -sf -o /dev/null -X POST "http://127.0.0.1:$HTTP_PORT/api/devices" -H 'content-type: application/json' -d "{\"device_id\":$d,\"name\":\"dev$d\"}"; done
t0=$(now); pub_lines $EDGE_PORT edge; t1=$(now)
t2=$(settle count_edge "$total")
echo "edgecluster   published=$total stored=$(count_edge) publish_s=$(echo "$t1 - $t0" | bc) stored_per_s=$(echo "$(count_edge) / ($t2 - $t0)" | bc)"
kill "$edge"; wait "$edge" 2>/dev/null || true

# 2. Acknowledged, then lost: the publishers go on until the broker is gone; SIGKILL of the broker process 2 s into the
#    stream (the lab's subscriber too), then, for EdgeCluster, a restart on the same files.
rm -rf "$WORK/lab.db" "$WORK/edge" "$WORK"/*-acked-*
start_lab
publish_all $LAB_PORT 1000000 lab-kill --lab & pub=$!
sleep 4; kill -9 "$lab_broker" "$lab_sub"; wait "$pub" || true
acked=$(cat "$WORK"/lab-kill-acked-* | wc -l); stored=$(count_lab)
echo "lab pipeline  SIGKILL: acknowledged=$acked stored=$stored acknowledged_then_lost=$((acked > stored ? acked - stored : 0)) (the payload has no seq: acknowledged minus stored)"
start_edge
publish_all $EDGE_PORT 1000000 edge-kill & pub=$!
sleep 4; kill -9 "$edge"; wait "$pub" || true
start_edge
lost=0; acked=0
for d in $(seq 1 "$DEVICES"); do
  have=$(sqlite3 "$WORK/edge/readings.db" "SELECT group_concat(seq) FROM sensor_readings WHERE device_id = $d" | tr ',' '\n' | sort -n)
  while read -r s; do acked=$((acked + 1)); grep -qx "$s" <<<"$have" || lost=$((lost + 1)); done < <(sort -n "$WORK/edge-kill-acked-$d")
done
echo "edgecluster   SIGKILL: acknowledged=$acked acknowledged_then_lost=$lost"

# 3. Publish-to-subscriber latency across members: a second node joins the (restarted) first; a board publishes on the first, a
#    subscriber listens on the second (the reading reaches it by replication, every --replication-interval-ms).
akka_port=$(grep -o 'edgecluster@127.0.0.1:[0-9]*' "$WORK/edge.log" | tail -n 1 | cut -d: -f2)
EDGE_REPLICATION_PUSH=on dotnet "$node_dll" --node-name mqtt-bench-2 --http-host 127.0.0.1 --http-port $((HTTP_PORT + 1)) --akka-host 127.0.0.1 --akka-port 0 \
  --data-dir "$WORK/edge2" --mqtt-port $((EDGE_PORT + 1)) --auto-register --seeds "127.0.0.1:$akka_port" >"$WORK/edge2.log" 2>&1 &
edge2=$!; pids+=("$edge2")
for _ in $(seq 1 300); do
  [ "$(curl -sf "http://127.0.0.1:$((HTTP_PORT + 1))/api/health" | grep -c '"member":"Up"')" = 1 ] && break; sleep 0.2
done
$bench_tool mqtt-latency --publish-port $EDGE_PORT --subscribe-port $((EDGE_PORT + 1)) --samples "${SAMPLES:-200}"
