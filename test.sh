#!/usr/bin/env bash
# Runs every test of EdgeCluster: unit tests, actor specs, HTTP tests on loopback and the
# end-to-end tests that start real node processes.
set -euo pipefail
cd "$(dirname "$0")"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test EdgeCluster.sln --configuration Release 2>&1 | tee "$log" || status=$?

# One closing line over every test assembly, in the plain "N passed, N failed" form.
awk '/(Passed|Failed)! +- Failed:/ { gsub(",", ""); f += $4; p += $6 } END { printf "%d passed, %d failed\n", p, f }' "$log"
exit "$status"
