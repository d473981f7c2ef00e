#!/usr/bin/env bash
# Runs every test of EdgeCluster: the firmware's host tests, then the .NET unit tests, actor
# specs, HTTP tests on loopback and the end-to-end tests that start real node processes.
set -euo pipefail
cd "$(dirname "$0")"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0

# Firmware: the client core, the sketches on the Arduino shim, and edge-sim (used by the .NET end-to-end tests).
cmake -S firmware -B firmware/build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build firmware/build -j"$(nproc)"
ctest --test-dir firmware/build --output-on-failure 2>&1 | tee "$log" || status=$?

dotnet test EdgeCluster.sln --configuration Release 2>&1 | tee -a "$log" || status=$?

# The partition experiment on a real network: three nodes in network namespaces, the nemesis an
# iptables DROP, the checker's verdict. It needs root, iproute2 and iptables (.ci/run has them).
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null && command -v iptables >/dev/null; then
  if bench/netns-experiment.sh cp 30 "$(mktemp -d)/netns-cp"; then
    printf 'netns partition experiment (cp): passed\n100%% tests passed, 0 tests failed out of 1\n' | tee -a "$log"
  else
    status=1
    printf 'netns partition experiment (cp): FAILED\n0%% tests passed, 1 tests failed out of 1\n' | tee -a "$log"
  fi
else
  echo "netns partition experiment: NOT RUN (needs root, iproute2 and iptables; .ci/run installs them)"
fi

# The soak, three minutes of it: five members on loopback, the firmware's simulated boards over HTTP and MQTT, strong
# and eventual writes, inference tasks, and a fault every 20-25 s (kill, isolate, split, flap, restart, pause).
if DURATION=180 FAULT_EVERY=20-25 OUT="$(mktemp -d)/soak" WORK="$(mktemp -d)/lab" bench/soak.sh; then
  printf 'soak (3 minutes, every fault): passed\n100%% tests passed, 0 tests failed out of 1\n' | tee -a "$log"
else
  status=1
  printf 'soak (3 minutes, every fault): FAILED\n0%% tests passed, 1 tests failed out of 1\n' | tee -a "$log"
fi

# One closing line over every test assembly (each GoogleTest case counts as one), in the plain
# "N passed, N failed, N skipped" form. A skipped test fails the run: none is meant to be skipped here.
awk '/(Passed|Failed)! +- Failed:/ { gsub(",", ""); f += $4; p += $6; s += $8 }
     /tests passed, [0-9]+ tests failed out of/ { t = $NF; nf = $4; f += nf; p += t - nf }
     /^ *[0-9]+% tests passed/ { }
     /\*\*\*Skipped|\*\*\*Not Run/ { s += 1 }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s; exit (s > 0) }' "$log" || { echo "test.sh: tests were skipped (see above); every test must run" >&2; status=1; }
exit "$status"
