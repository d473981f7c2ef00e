# Shared by the benchmark scripts (source it from the repository root): builds the node and the bench
# tool in Release, names them, and stops every process whose pid is added to `pids` when the script
# exits, with SIGTERM unless the script set stop_signal first.
dotnet build -c Release src/EdgeCluster.Node >/dev/null
dotnet build -c Release bench/EdgeCluster.Bench >/dev/null
node_dll=src/EdgeCluster.Node/bin/Release/net10.0/EdgeCluster.Node.dll
# node_cmd: how the scripts that use it start a node. The build output by default; NODE=published publishes and runs
# the self-contained ReadyToRun folder the Pi install uses (cluster-config/systemd/install.sh), linux-x64 here.
if [ "${NODE:-build}" = published ]; then
  dotnet publish src/EdgeCluster.Node -p:PublishProfile=linux-x64 >/dev/null
  node_cmd=(src/EdgeCluster.Node/bin/publish/linux-x64/EdgeCluster.Node)
else
  node_cmd=(dotnet "$node_dll")
fi
# The benchmarks measure what a node can take from one load generator on loopback: the ingest rate limits (per client
# address and per device, docs/security.md) are off unless a script sets them (bench/flood.sh measures them).
export EDGE_LIMIT_PER_ADDRESS=${EDGE_LIMIT_PER_ADDRESS:-0} EDGE_LIMIT_PER_DEVICE=${EDGE_LIMIT_PER_DEVICE:-0}
bench_tool="dotnet bench/EdgeCluster.Bench/bin/Release/net10.0/EdgeCluster.Bench.dll"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "-${stop_signal:-TERM}" "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
# wait_ready PORT [PID] [EVERY]: until the node on 127.0.0.1:PORT answers /readyz with 200 (at most a minute), asking
# every EVERY seconds (0.2 by default); with PID, it fails at once when that process ends.
wait_ready() {
  local deadline=$((SECONDS + 60))
  while [ "$SECONDS" -lt "$deadline" ]; do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/readyz" || true)" = "200" ] && return
    if [ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null; then echo "the node on port $1 stopped while starting" >&2; exit 1; fi
    sleep "${3:-0.2}"
  done
  echo "node on port $1 not ready after a minute" >&2; exit 1
}
# wait_up PORT MEMBERS: until the node on 127.0.0.1:PORT sees MEMBERS members Up (at most a minute).
wait_up() {
  for _ in $(seq 1 300); do
    n=$(curl -sf "http://127.0.0.1:$1/api/cluster" |
      python3 -c 'import json,sys; print(sum(m["status"] == "Up" for m in json.load(sys.stdin)["members"]))' 2>/dev/null || echo 0)
    [ "$n" -ge "$2" ] && return; sleep 0.2
  done
  echo "the node on port $1 did not see $2 members Up"; exit 1
}
# cpu_ticks PID: the process's user + system CPU so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# cpu_percent TICKS SECONDS: CPU as a percentage of one core over SECONDS.
cpu_percent() { awk -v t="$1" -v hz="$(getconf CLK_TCK)" -v s="$2" 'BEGIN { printf "%.1f%%", t / hz / s * 100 }'; }
# per_thousand TICKS READINGS: CPU seconds per 1,000 readings.
per_thousand() { awk -v t="$1" -v hz="$(getconf CLK_TCK)" -v n="$2" 'BEGIN { printf "%.3f", t / hz / n * 1000 }'; }
