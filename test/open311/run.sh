#!/usr/bin/env bash
# Black-box Open311 conformance test: builds gengxin, starts `gengxin demo` on
# a free port with a temporary database, creates an API key for a community,
# and runs check.mjs against the running server. Needs Go, Node.js 20+ and
# `npm ci` in this folder. The server is always stopped at the end.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
pid=""
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

if [ ! -d "$here/node_modules" ]; then
	echo "run npm ci in $here first" >&2
	exit 2
fi

echo "building gengxin…"
(cd "$root" && go build -o "$tmp/gengxin" ./cmd/gengxin)

port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
db="$tmp/demo.db"
"$tmp/gengxin" demo --db "$db" --addr "127.0.0.1:$port" >"$tmp/server.log" 2>&1 &
pid=$!

echo "waiting for the demo on port $port…"
for _ in $(seq 1 600); do
	if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
		break
	fi
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "gengxin demo exited:" >&2
		cat "$tmp/server.log" >&2
		exit 1
	fi
	sleep 0.5
done
if ! curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null; then
	echo "gengxin demo did not become healthy" >&2
	tail -50 "$tmp/server.log" >&2
	exit 1
fi

# A community for the key, a point inside it and one in another community.
"$tmp/gengxin" export --db "$db" --type region --format geojson --out "$tmp/regions.geojson"
read -r code lat long outlat outlong < <(node -e '
const fc = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const comms = fc.features.filter((f) => f.properties.level === "community" && f.geometry);
if (comms.length < 2) { console.error("the demo has fewer than two communities"); process.exit(1); }
const centre = (f) => {
  const ring = f.geometry.type === "Polygon" ? f.geometry.coordinates[0] : f.geometry.coordinates[0][0];
  const pts = ring.slice(0, -1);
  return [pts.reduce((s, p) => s + p[1], 0) / pts.length, pts.reduce((s, p) => s + p[0], 0) / pts.length];
};
const [a, b] = [comms[0], comms[comms.length - 1]];
console.log([a.properties.code, ...centre(a), ...centre(b)].join(" "));
' "$tmp/regions.geojson")

key=$("$tmp/gengxin" apikey create --db "$db" --name open311-test --role community_worker --region "$code")

echo "checking http://127.0.0.1:$port/open311/v2 with a key of community $code…"
status=0
BASE="http://127.0.0.1:$port/open311/v2" KEY="$key" LAT="$lat" LONG="$long" OUT_LAT="$outlat" OUT_LONG="$outlong" \
	node "$here/check.mjs" || status=$?
if [ "$status" -ne 0 ]; then
	echo "--- server log (last 40 lines) ---" >&2
	tail -40 "$tmp/server.log" >&2
fi
exit "$status"
