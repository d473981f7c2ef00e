#!/usr/bin/env bash
# Inference coordinator benchmark, three members on loopback: tasks/s with 3 workers, submit-to-result
# latency, fairness over equal tasks, and seconds without a coordinator after its member is SIGKILLed.
#   bench/inference.sh        # TASKS=10000 CONCURRENCY=16 by default
set -euo pipefail
cd "$(dirname "$0")/.."
TASKS=${TASKS:-10000}
CONCURRENCY=${CONCURRENCY:-16}
WORK=${WORK:-/tmp/edge-inference-bench}
rm -rf "$WORK"; mkdir -p "$WORK"
stop_signal=KILL
. bench/lib.sh
seeds=127.0.0.1:4200,127.0.0.1:4201
for i in 0 1 2; do
  dotnet "$node_dll" --node-name "i$i" --http-host 127.0.0.1 --http-port "520$i" --akka-host 127.0.0.1 --akka-port "420$i" \
    --data-dir "$WORK/i$i" --mqtt-port 0 --auto-register --seeds "$seeds" >"$WORK/i$i.log" 2>&1 &
  pids+=("$!")
  sleep 3
done
for _ in $(seq 1 300); do
  n=$(curl -sf http://127.0.0.1:5200/api/inference/stats | grep -o '"status":"idle"' | wc -l || true)
  [ "$n" -ge 3 ] && break; sleep 0.2
done
python3 -c 'import json,time; now=time.time(); print(json.dumps({"readings":[{"device_id":1+i%100,"temperature":20+(i%7)*0.5,"humidity":50,"seq":i+1,"timestamp":now-3600+i} for i in range(3000)]}))' > "$WORK/batch.json"
curl -sf -o /dev/null -X POST http://127.0.0.1:5200/api/readings/batch -H 'content-type: application/json' -d @"$WORK/batch.json"
sleep 2
members=http://127.0.0.1:5200,http://127.0.0.1:5201,http://127.0.0.1:5202
$bench_tool inference --members "$members" --tasks "$TASKS" --concurrency "$CONCURRENCY"
$bench_tool inference --members "$members" --tasks "${SEQUENTIAL_TASKS:-1000}" --concurrency 1
old=$(curl -sf http://127.0.0.1:5201/api/inference/stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["coordinator"])')
echo "killing the coordinator's member ($old) with SIGKILL"
kill -9 "${pids[0]}"
$bench_tool failover --member http://127.0.0.1:5201 --old "$old"
