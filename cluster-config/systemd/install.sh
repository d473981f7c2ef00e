#!/usr/bin/env bash
# Installs a published EdgeCluster node as a systemd service: the node in /opt/edgecluster, the unit in
# /etc/systemd/system, the settings in /etc/edgecluster/edgecluster.env (kept if it exists), a system user
# edgecluster, and its data in /var/lib/edgecluster (systemd's StateDirectory). Run as root on the Pi:
#   dotnet publish src/EdgeCluster.Node -p:PublishProfile=linux-arm64      # on any machine: bin/publish/linux-arm64
#   sudo cluster-config/systemd/install.sh --from src/EdgeCluster.Node/bin/publish/linux-arm64
#   sudoedit /etc/edgecluster/edgecluster.env && sudo systemctl restart edgecluster
# --root DIR installs into DIR instead of / (an image being built, or a scratch folder): no user is created with
# useradd and nothing is started.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=/
from=
start=yes
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root=$2; shift 2 ;;
    --from) from=$2; shift 2 ;;
    --no-start) start=no; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$from" ] || { echo "install.sh: --from DIR (the published node) is required" >&2; exit 2; }
[ -x "$from/EdgeCluster.Node" ] || { echo "install.sh: $from/EdgeCluster.Node is not there: publish the node first (dotnet publish src/EdgeCluster.Node -p:PublishProfile=linux-arm64)" >&2; exit 2; }
if [ "$root" = / ] && [ "$(id -u)" != 0 ]; then echo "install.sh: run it as root (sudo), or give --root DIR" >&2; exit 2; fi
R=${root%/}

# The node: replaced as a whole, so no file of an older version stays behind.
install -d -m 0755 "$R/opt"
rm -rf "$R/opt/edgecluster.new"
cp -a "$from" "$R/opt/edgecluster.new"
chmod -R u=rwX,go=rX "$R/opt/edgecluster.new"
rm -rf "$R/opt/edgecluster"
mv "$R/opt/edgecluster.new" "$R/opt/edgecluster"

# The unit and the settings (never overwritten: they are the operator's).
install -D -m 0644 "$here/edgecluster.service" "$R/etc/systemd/system/edgecluster.service"
if [ ! -f "$R/etc/edgecluster/edgecluster.env" ]; then
  install -D -m 0640 "$here/edgecluster.env" "$R/etc/edgecluster/edgecluster.env"
  sed -i "s/^EDGE_NODE_NAME=.*/EDGE_NODE_NAME=$(hostname -s)/" "$R/etc/edgecluster/edgecluster.env"
fi

# The service's user: no login, no home of its own beyond its state directory.
if [ "$root" = / ]; then
  getent group edgecluster >/dev/null || groupadd --system edgecluster
  getent passwd edgecluster >/dev/null || useradd --system --gid edgecluster --home-dir /var/lib/edgecluster --no-create-home --shell /usr/sbin/nologin edgecluster
  chgrp edgecluster /etc/edgecluster/edgecluster.env
else
  install -d "$R/etc"
  touch "$R/etc/passwd" "$R/etc/group"
  grep -q '^edgecluster:' "$R/etc/group" || echo 'edgecluster:x:998:' >> "$R/etc/group"
  grep -q '^edgecluster:' "$R/etc/passwd" || echo 'edgecluster:x:998:998:EdgeCluster node:/var/lib/edgecluster:/usr/sbin/nologin' >> "$R/etc/passwd"
fi

if [ "$root" = / ] && [ "$start" = yes ]; then
  systemctl daemon-reload
  systemctl enable --now edgecluster
  echo "edgecluster installed and started: systemctl status edgecluster; journalctl -u edgecluster -f"
else
  echo "edgecluster installed into $root (not started)"
fi
