# Shared by the benchmark scripts (source it from the repository root): builds the node and the bench
# tool in Release, names them, and stops every process whose pid is added to `pids` when the script
# exits, with SIGTERM unless the script set stop_signal first.
dotnet build -c Release src/EdgeCluster.Node >/dev/null
dotnet build -c Release bench/EdgeCluster.Bench >/dev/null
node_dll=src/EdgeCluster.Node/bin/Release/net10.0/EdgeCluster.Node.dll
bench_tool="dotnet bench/EdgeCluster.Bench/bin/Release/net10.0/EdgeCluster.Bench.dll"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "-${stop_signal:-TERM}" "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
