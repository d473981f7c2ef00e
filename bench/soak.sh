#!/usr/bin/env bash
# Soak: every fault at once, for a long time. Five members on loopback (profile default); the firmware's simulated
# boards posting over HTTP and MQTT (QoS 1) with seqs; eventual and strong readings and strong reads on every member;
# inference tasks; and a fault every 30-60 s, each kind in turn: SIGKILL and start again, isolate one, split 2/3,
# flap, restart the coordinator's member, pause one with SIGSTOP/SIGCONT. The experiment's checker gives the verdict
# (exit 1 when a check fails) and writes the report, the timeline plot and the memory plot to OUT.
#   bench/soak.sh                         # DURATION=1800 (30 minutes)
#   DURATION=180 FAULT_EVERY=20-25 bench/soak.sh   # the 3-minute version test.sh runs
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-1800}
FAULT_EVERY=${FAULT_EVERY:-30-60}
SEED=${SEED:-1}
OUT=${OUT:-/tmp/edge-soak/report}
WORK=${WORK:-/tmp/edge-soak/lab}
rm -rf "$WORK" "$OUT"; mkdir -p "$(dirname "$WORK")"
# The simulator is the firmware's client core built for this machine (test.sh builds it too).
if [ ! -x firmware/build/edge-sim ]; then
  cmake -S firmware -B firmware/build -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build firmware/build -j"$(nproc)" --target edge-sim >/dev/null
fi
dotnet build -c Release src/EdgeCluster.Cli >/dev/null
# The soak runs (and restarts nodes) from a copy of the build, so a build during a long soak does not change it.
BIN=$(dirname "$WORK")/bin
rm -rf "$BIN"; cp -r src/EdgeCluster.Cli/bin/Release/net10.0 "$BIN"
# Eventual readings at 4/s per member and device keep each device's final read within one page over 30 minutes.
dotnet "$BIN/edgectl.dll" experiment --nemesis soak --nodes 5 --profile default \
  --duration "$DURATION" --rate "${RATE:-4}" --strong-every 4 --fault-every "$FAULT_EVERY" --seed "$SEED" \
  --sim firmware/build/edge-sim --sim-rate 1 --inference-rate 0.5 \
  --http-port "${HTTP_PORT:-5400}" --akka-port "${AKKA_PORT:-4400}" --mqtt-port "${MQTT_PORT:-2400}" \
  --dir "$WORK" --out "$OUT" ${KEEP:+--keep}
