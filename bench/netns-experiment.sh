#!/usr/bin/env bash
# The partition experiment on a real network: each node in its own network namespace (veth pairs on a
# bridge), the nemesis an iptables DROP inside the isolated node's namespace, as a pulled cable on a Pi
# lab behaves. The load and the checker are `edgectl experiment` in the root namespace; its report lands in
# $OUT. Needs root, iproute2 and iptables (.ci/run installs them). Usage:
#   sudo bench/netns-experiment.sh [profile ap|cp] [duration seconds] [out dir]
set -euo pipefail
PROFILE=${1:-ap}
DURATION=${2:-30}
OUT=${3:-$PWD/netns-report-$PROFILE}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${EDGE_BIN:-$ROOT/src/EdgeCluster.Cli/bin/Release/net10.0}
NODES=3
BR=ecbr0
NET=10.77.0
WORK=$(mktemp -d /tmp/edge-netns.XXXXXX)
# The load comes from the bridge's address, not loopback: the management API wants a token then.
export EDGE_ADMIN_TOKEN=${EDGE_ADMIN_TOKEN:-netns-$$-$RANDOM}

[ "$(id -u)" = 0 ] || { echo "netns-experiment: run as root (network namespaces and iptables)" >&2; exit 2; }
command -v iptables >/dev/null || { echo "netns-experiment: iptables is not installed (apt-get install iptables)" >&2; exit 2; }
[ -f "$BIN/edgectl.dll" ] || { echo "netns-experiment: build first: dotnet build EdgeCluster.sln -c Release" >&2; exit 2; }

# stop NODE...: SIGTERM (a node leaves the cluster and closes its files), then up to 10 s for them to end.
stop() {
  for i in "$@"; do
    if [ -f "$WORK/n$i.pid" ]; then kill "$(cat "$WORK/n$i.pid")" 2>/dev/null || true; fi
  done
  for _ in $(seq 1 40); do
    alive=0
    for i in "$@"; do
      if [ -f "$WORK/n$i.pid" ] && kill -0 "$(cat "$WORK/n$i.pid")" 2>/dev/null; then alive=1; fi
    done
    [ $alive = 0 ] && break
    sleep 0.25
  done
}
cleanup() {
  # n1 last, as `edgectl lab down` does: when every member leaves at once, no one is left to remove the leader and it
  # waits out Akka's cluster-exiting phase (10 s).
  stop $(seq 2 $NODES)
  stop 1
  for i in $(seq 1 $NODES); do
    if [ -f "$WORK/n$i.pid" ]; then kill -9 "$(cat "$WORK/n$i.pid")" 2>/dev/null || true; fi
    ip netns del "ec-n$i" 2>/dev/null || true
    ip link del "ec-v$i" 2>/dev/null || true
  done
  ip link del $BR 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
# Leftovers of an earlier run that was killed.
for i in $(seq 1 $NODES); do ip netns del "ec-n$i" 2>/dev/null || true; ip link del "ec-v$i" 2>/dev/null || true; done
ip link del $BR 2>/dev/null || true
trap cleanup EXIT

# A bridge in the root namespace (10.77.0.1: where the load comes from) and one namespace per node.
ip link add $BR type bridge
ip addr add $NET.1/24 dev $BR
ip link set $BR up
for i in $(seq 1 $NODES); do
  ns=ec-n$i
  ip netns add $ns
  ip link add ec-v$i type veth peer name eth0 netns $ns
  ip link set ec-v$i master $BR up
  ip -n $ns addr add $NET.1$i/24 dev eth0
  ip -n $ns link set eth0 up
  ip -n $ns link set lo up
done

SEEDS="$NET.11:4053,$NET.12:4053"
TARGETS=""
for i in $(seq 1 $NODES); do
  ip netns exec ec-n$i dotnet "$BIN/EdgeCluster.Node.dll" --node-name n$i --http-host 0.0.0.0 --http-port 5000 \
    --akka-host $NET.1$i --akka-port 4053 --seeds "$SEEDS" --data-dir "$WORK/n$i" --profile "$PROFILE" --auto-register \
    --admin-token "$EDGE_ADMIN_TOKEN" >"$WORK/n$i.log" 2>&1 &
  echo $! >"$WORK/n$i.pid"
  TARGETS="$TARGETS${TARGETS:+,}$NET.1$i:5000"
done

# Wait until every node serves and sees all three members Up.
for _ in $(seq 1 120); do
  up=$(dotnet "$BIN/edgectl.dll" "$NET.11:5000" cluster show 2>/dev/null | grep -c ' Up ' || true)
  [ "$up" = "$NODES" ] && break
  sleep 1
done
[ "$up" = "$NODES" ] || { echo "netns-experiment: the cluster did not form; logs in $WORK" >&2; KEEP=1; tail -n 20 "$WORK"/n*.log >&2; exit 1; }

# The nemesis: n3 drops everything from and to the other nodes (not the load generator's address).
CUT="for p in $NET.11 $NET.12; do ip netns exec ec-n3 iptables -A INPUT -s \$p -j DROP; ip netns exec ec-n3 iptables -A OUTPUT -d \$p -j DROP; done"
HEAL="ip netns exec ec-n3 iptables -F INPUT; ip netns exec ec-n3 iptables -F OUTPUT"

set +e
dotnet "$BIN/edgectl.dll" experiment --targets "$TARGETS" --minority n3 --nemesis command \
  --nemesis-command "$CUT" --heal-command "$HEAL" --profile "$PROFILE" --duration "$DURATION" --out "$OUT"
status=$?
set -e
[ $status = 0 ] || { KEEP=1; echo "netns-experiment: checker failed; node logs kept in $WORK" >&2; }
exit $status
