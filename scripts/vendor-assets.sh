#!/usr/bin/env bash
# Re-fetches the front-end libraries gengxin embeds in its binary from the npm
# registry and copies their distribution files into internal/web/static/vendor.
# Run it after changing a version below; commit the result.
set -euo pipefail

HTMX=2.0.11
LEAFLET=1.9.4
ECHARTS=6.1.0

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/internal/web/static/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() { # name version
  (cd "$work" && npm pack --silent "$1@$2" >/dev/null)
  mkdir -p "$work/$1"
  tar -xzf "$work/$1-$2.tgz" -C "$work/$1"
}

fetch htmx.org "$HTMX"
fetch leaflet "$LEAFLET"
fetch echarts "$ECHARTS"

rm -rf "$out"
mkdir -p "$out/leaflet/images"
cp "$work/htmx.org/package/dist/htmx.min.js" "$out/htmx.min.js"
cp "$work/leaflet/package/dist/leaflet.js" "$out/leaflet/leaflet.js"
cp "$work/leaflet/package/dist/leaflet.css" "$out/leaflet/leaflet.css"
cp "$work/leaflet/package/dist/images/"*.png "$out/leaflet/images/"
cp "$work/echarts/package/dist/echarts.min.js" "$out/echarts.min.js"
cp "$work/htmx.org/package/LICENSE" "$out/LICENSE.htmx"
cp "$work/leaflet/package/LICENSE" "$out/LICENSE.leaflet"
cp "$work/echarts/package/LICENSE" "$out/LICENSE.echarts"
cat > "$out/VERSIONS" <<TXT
htmx.org $HTMX
leaflet $LEAFLET
echarts $ECHARTS
TXT
echo "vendored into $out:"
cat "$out/VERSIONS"
