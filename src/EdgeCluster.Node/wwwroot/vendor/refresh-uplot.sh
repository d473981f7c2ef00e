#!/usr/bin/env bash
# Refreshes the vendored uPlot from its npm package (the dashboard's only library; no Node.js is needed to build or
# run the node, only npm to fetch a new version): src/EdgeCluster.Node/wwwroot/vendor/refresh-uplot.sh [VERSION]
set -euo pipefail
version=${1:-1.6.32}
here="$(cd "$(dirname "$0")" && pwd)/uplot"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "uplot@$version" >/dev/null 2>&1 && tar xzf "uplot-$version.tgz")
mkdir -p "$here"
cp "$work/package/dist/uPlot.iife.min.js" "$work/package/dist/uPlot.min.css" "$work/package/LICENSE" "$here/"
echo "$version" > "$here/VERSION"
echo "uPlot $version in $here"
