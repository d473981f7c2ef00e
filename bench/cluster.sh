#!/usr/bin/env bash
# Replication benchmark on loopback, in one run:
#   1. ingestion of one member with replication running (3 members) vs a single node and vs the same
#      three members with replication paused, wrk single POST;
#   2. time from a reading's acknowledgment on one member to its visibility on all three;
#   3. catch-up rate of a member that joins after 1 million readings arrived elsewhere;
#   and what each of three idle members costs in CPU before the load.
#   bench/cluster.sh            # READINGS=1000000 DURATION=15 by default
#   CATCHUP_ONLY=1 bench/cluster.sh   # part 3 alone
#   WARMUP=0 bench/cluster.sh         # no warm-up run before each measured one (10 s by default)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-15}
WARMUP=${WARMUP:-10}
READINGS=${READINGS:-1000000}
WORK=${WORK:-/tmp/edge-cluster-bench}
rm -rf "$WORK"; mkdir -p "$WORK"
. bench/lib.sh

start() { # name http akka [seeds] [replication interval ms] [push on|off]
  "${node_cmd[@]}" --node-name "$1" --http-host 127.0.0.1 --http-port "$2" --akka-host 127.0.0.1 --akka-port "$3" \
    --data-dir "$WORK/$1" --mqtt-port 0 --auto-register ${4:+--seeds "$4"} --replication-interval-ms "${5:-500}" --replication-push "${6:-on}" >"$WORK/$1.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 300); do curl -sf -o /dev/null "http://127.0.0.1:$2/api/health" && return; sleep 0.2; done
  echo "node $1 did not start"; exit 1
}
wrk_single() { # port
  cat bench/wrk/single.lua bench/wrk/report.lua > "$WORK/single.lua"
  # Not counted: the same load first, so the JIT has compiled the path (as in bench/run.sh).
  [ "$WARMUP" -gt 0 ] && wrk -t2 -c50 -d"${WARMUP}s" --timeout 10s -s "$WORK/single.lua" "http://127.0.0.1:$1" >/dev/null
  wrk -t2 -c50 -d"${DURATION}s" --timeout 10s -s "$WORK/single.lua" "http://127.0.0.1:$1" | grep '^RESULT' | sed 's/^RESULT //'
}

echo "machine: $(nproc) cores; wrk -t2 -c50 -d${DURATION}s; all nodes on this machine"
if [ "${CATCHUP_ONLY:-0}" != 1 ]; then
start solo 5110 4110
echo "single node:            $(wrk_single 5110)"
kill "${pids[0]}"; sleep 1

# The same three processes with replication paused (no push, one pull an hour): what sharing 2 cores costs by itself.
pseeds=127.0.0.1:4120,127.0.0.1:4121
start p 5120 4120 "$pseeds" 3600000 off; start q 5121 4121 "$pseeds" 3600000 off; start r 5122 4122 "$pseeds" 3600000 off
wait_up 5120 3
echo "member p of 3, paused:  $(wrk_single 5120)"
kill "${pids[1]}" "${pids[2]}" "${pids[3]}"; sleep 2

fi

seeds=127.0.0.1:4100,127.0.0.1:4101
start a 5100 4100 "$seeds"; start b 5101 4101 "$seeds"; start c 5102 4102 "$seeds"
wait_up 5100 3
if [ "${CATCHUP_ONLY:-0}" != 1 ]; then
# What an idle member costs (a Pi spends most of a lab's day like this): CPU of each member over IDLE seconds, no load.
sleep 5
before=(); for p in "${pids[@]: -3}"; do before+=("$(cpu_ticks "$p")"); done
sleep "${IDLE:-20}"
line=""; i=0; for p in "${pids[@]: -3}"; do
  line+=" $(cpu_percent $(( $(cpu_ticks "$p") - before[i] )) "${IDLE:-20}")"; i=$((i + 1))
done
echo "idle members of 3, CPU of one core:$line"
echo "member a of 3, replicating: $(wrk_single 5100)"

$bench_tool visibility --members http://127.0.0.1:5100,http://127.0.0.1:5101,http://127.0.0.1:5102 --samples 200
fi

$bench_tool load --member http://127.0.0.1:5100 --readings "$READINGS" --batch 10000
total=$(curl -sf http://127.0.0.1:5100/api/cluster | grep -o '"highest":[0-9]*' | cut -d: -f2 | paste -sd+ | bc)
start d 5103 4103 "$seeds"
# What catching up costs the new member (a Pi joining a lab): its CPU from the moment it answers until it holds everything.
dticks=$(cpu_ticks "${pids[-1]}")
$bench_tool catchup --member http://127.0.0.1:5103 --readings "$total"
echo "new member CPU per 1,000 readings caught up: $(per_thousand $(( $(cpu_ticks "${pids[-1]}") - dticks )) "$total") s"
