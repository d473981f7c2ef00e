#!/usr/bin/env bash
# What remoting over TLS costs, side by side in one run: a lab of three members with plain remoting, then the same
# with --tls-dir (mutual authentication against a lab CA made by edgectl certs init). For each: strong-write latency
# (each write waits for a majority over remoting), visibility on all three, and the catch-up rate of a fourth member
# that joins after READINGS readings arrived.
#   bench/tls.sh            # READINGS=300000 SAMPLES=500 by default
set -euo pipefail
cd "$(dirname "$0")/.."

READINGS=${READINGS:-300000}
SAMPLES=${SAMPLES:-500}
WORK=${WORK:-/tmp/edge-tls-bench}
rm -rf "$WORK"; mkdir -p "$WORK"
. bench/lib.sh
dotnet build -c Release src/EdgeCluster.Cli >/dev/null
dotnet src/EdgeCluster.Cli/bin/Release/net10.0/edgectl.dll certs init --out "$WORK/certs" --nodes a,b,c,d >/dev/null

start() { # name http akka seeds [more switches]
  local name=$1 http=$2 akka=$3 seeds=$4; shift 4
  dotnet "$node_dll" --node-name "$name" --http-host 127.0.0.1 --http-port "$http" --akka-host 127.0.0.1 --akka-port "$akka" \
    --data-dir "$WORK/$mode/$name" --auto-register --seeds "$seeds" --mqtt-port 0 "$@" >"$WORK/$mode-$name.log" 2>&1 &
  pids+=("$!")
  wait_ready "$http"
}

echo "machine: $(nproc) cores; every member on this machine; $READINGS readings for catch-up, $SAMPLES strong writes"
for mode in plain tls; do
  tls=(); [ "$mode" = tls ] && tls=(--tls-dir "$WORK/certs")
  seeds=127.0.0.1:4200,127.0.0.1:4201
  start a 5200 4200 "$seeds" "${tls[@]}"; start b 5201 4201 "$seeds" "${tls[@]}"; start c 5202 4202 "$seeds" "${tls[@]}"
  wait_up 5200 3
  echo "== $mode remoting ($(curl -sf http://127.0.0.1:5200/api/health | python3 -c 'import json,sys; print(json.load(sys.stdin)["address"].split("://")[0])'))"
  $bench_tool strong --member http://127.0.0.1:5200 --samples "$SAMPLES"
  $bench_tool visibility --members http://127.0.0.1:5200,http://127.0.0.1:5201,http://127.0.0.1:5202 --samples 100
  $bench_tool load --member http://127.0.0.1:5200 --readings "$READINGS" --batch 10000
  total=$(curl -sf http://127.0.0.1:5200/api/cluster | grep -o '"highest":[0-9]*' | cut -d: -f2 | paste -sd+ | bc)
  start d 5203 4203 "$seeds" "${tls[@]}"
  $bench_tool catchup --member http://127.0.0.1:5203 --readings "$total"
  cleanup; pids=(); sleep 3
done
