#!/bin/sh
# Nearest facility per origin with pgRouting (Debian postgresql-15-pgrouting), the
# peer side of "gengxin bench network".
#
# It creates a scratch database, loads a walk graph's edges and the origins and
# facilities, and times, inside the server (clock_timestamp around each query, best
# of --repeat runs):
#   dijkstra_cost   pgr_dijkstraCost many-to-many, the facilities as starts and the
#                   origins as ends (50 searches rather than 1,000; pgRouting stops
#                   each one when all ends are found), then the smallest cost per
#                   origin; an origin that is itself a facility is at 0 m, since
#                   pgRouting leaves out pairs whose start and end are the same.
#   dd_equicost     pgr_drivingDistance(facilities, cut-off, equicost := true): one
#                   search that gives every node to one facility.
#   dd              pgr_drivingDistance(facilities, cut-off) without equicost: one
#                   search per facility, then the smallest cost per node.
# Each call rebuilds pgRouting's graph from the edges query, as pgRouting always does.
#
# The edges file is a CSV "source,target,length" of undirected segments between
# OpenStreetMap node ids (the bench writes the segments of the walk graph it built;
# osm2pgrouting is not used because it splits ways only where they cross, so
# origins inside a way would not be vertices, and it follows its own tag
# configuration rather than the OSMnx walk filter). Origins and facilities are CSVs
# "id,lon,lat" whose ids are node ids of that graph.
#
# Writes OUT_DIR/pgr_cost.csv, pgr_dd_equicost.csv and pgr_dd.csv (header
# id,facility_id,distance_m, one row per origin in input order, empty fields when
# nothing is reachable) and prints the timings and the server process's peak
# memory as JSON. The scratch database is dropped at the end.
#
# Usage: bench/peers/pgrouting_nearest.sh --edges E.csv --origins O.csv
#        --facilities F.csv --out-dir DIR [--max-distance 1000] [--repeat 3]
#        [--host 127.0.0.1] [--port 5432] [--user postgres]
set -eu

edges="" origins="" facilities="" outdir="" maxdist=1000 repeat=3
host=127.0.0.1 port=5432 user=postgres
while [ $# -gt 0 ]; do
	case "$1" in
	--edges) edges=$2; shift 2 ;;
	--origins) origins=$2; shift 2 ;;
	--facilities) facilities=$2; shift 2 ;;
	--out-dir) outdir=$2; shift 2 ;;
	--max-distance) maxdist=$2; shift 2 ;;
	--repeat) repeat=$2; shift 2 ;;
	--host) host=$2; shift 2 ;;
	--port) port=$2; shift 2 ;;
	--user) user=$2; shift 2 ;;
	*) echo "pgrouting_nearest: unknown argument $1" >&2; exit 2 ;;
	esac
done
if [ -z "$edges" ] || [ -z "$origins" ] || [ -z "$facilities" ] || [ -z "$outdir" ]; then
	echo "usage: pgrouting_nearest.sh --edges E.csv --origins O.csv --facilities F.csv --out-dir DIR [--max-distance M] [--repeat N]" >&2
	exit 2
fi
mkdir -p "$outdir"
abs() { (cd "$(dirname "$1")" && printf '%s/%s' "$(pwd)" "$(basename "$1")"); }
edges=$(abs "$edges") origins=$(abs "$origins") facilities=$(abs "$facilities") outdir=$(abs "$outdir/x")
outdir=${outdir%/x}
for p in "$edges" "$origins" "$facilities" "$outdir"; do
	case "$p" in *"'"*) echo "pgrouting_nearest: paths with quotes are not supported: $p" >&2; exit 2 ;; esac
done
case "$maxdist$repeat" in *[!0-9.]*) echo "pgrouting_nearest: --max-distance and --repeat must be numbers" >&2; exit 2 ;; esac

db="gengxin_bench_pgr_$$"
export PGHOST="$host" PGPORT="$port" PGUSER="$user"
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $db" >/dev/null
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true' EXIT INT TERM

psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" <<SQL
SET client_min_messages = warning;
CREATE EXTENSION pgrouting CASCADE;
CREATE TABLE timings (name text, seconds float8);
CREATE TABLE edges (id bigserial PRIMARY KEY, source bigint NOT NULL, target bigint NOT NULL, cost float8 NOT NULL);
CREATE TABLE origins (ord bigserial, id text, lon float8, lat float8, node bigint);
CREATE TABLE facilities (ord bigserial, id text, lon float8, lat float8, node bigint);

CREATE TEMP TABLE t0 AS SELECT clock_timestamp() AS t;
\copy edges (source, target, cost) FROM '$edges' WITH (FORMAT csv, HEADER true)
\copy origins (id, lon, lat) FROM '$origins' WITH (FORMAT csv, HEADER true)
\copy facilities (id, lon, lat) FROM '$facilities' WITH (FORMAT csv, HEADER true)
UPDATE origins SET node = id::bigint;
UPDATE facilities SET node = id::bigint;
ANALYZE edges;
INSERT INTO timings SELECT 'load', extract(epoch FROM clock_timestamp() - t) FROM t0;

DO \$\$
DECLARE
	t0 timestamptz;
	q text := 'SELECT id, source, target, cost FROM edges';
	starts bigint[] := (SELECT array_agg(DISTINCT node) FROM facilities);
	ends bigint[] := (SELECT array_agg(DISTINCT node) FROM origins);
BEGIN
	FOR i IN 1..$repeat LOOP
		DROP TABLE IF EXISTS r_cost;
		t0 := clock_timestamp();
		CREATE TABLE r_cost AS
		SELECT DISTINCT ON (o.ord) o.ord, f.id AS facility_id, m.agg_cost AS d
		FROM origins o
		JOIN (SELECT start_vid, end_vid, agg_cost FROM pgr_dijkstraCost(q, starts, ends, directed := false)
		      UNION ALL
		      SELECT node, node, 0 FROM facilities) m ON m.end_vid = o.node
		JOIN facilities f ON f.node = m.start_vid
		ORDER BY o.ord, m.agg_cost, f.ord;
		INSERT INTO timings VALUES ('dijkstra_cost', extract(epoch FROM clock_timestamp() - t0));

		DROP TABLE IF EXISTS r_dd_equicost;
		t0 := clock_timestamp();
		CREATE TABLE r_dd_equicost AS
		SELECT DISTINCT ON (o.ord) o.ord, f.id AS facility_id, r.agg_cost AS d
		FROM origins o
		JOIN pgr_drivingDistance(q, starts, $maxdist, directed := false, equicost := true) r ON r.node = o.node
		JOIN facilities f ON f.node = r.from_v
		ORDER BY o.ord, r.agg_cost, f.ord;
		INSERT INTO timings VALUES ('dd_equicost', extract(epoch FROM clock_timestamp() - t0));

		DROP TABLE IF EXISTS r_dd;
		t0 := clock_timestamp();
		CREATE TABLE r_dd AS
		SELECT DISTINCT ON (o.ord) o.ord, f.id AS facility_id, r.agg_cost AS d
		FROM origins o
		JOIN pgr_drivingDistance(q, starts, $maxdist, directed := false, equicost := false) r ON r.node = o.node
		JOIN facilities f ON f.node = r.from_v
		ORDER BY o.ord, r.agg_cost, f.ord;
		INSERT INTO timings VALUES ('dd', extract(epoch FROM clock_timestamp() - t0));
	END LOOP;
END
\$\$;

\copy (SELECT o.id, r.facility_id, to_char(r.d, 'FM9999999990.00') AS distance_m FROM origins o LEFT JOIN r_cost r USING (ord) ORDER BY o.ord) TO '$outdir/pgr_cost.csv' WITH (FORMAT csv, HEADER true)
\copy (SELECT o.id, r.facility_id, to_char(r.d, 'FM9999999990.00') AS distance_m FROM origins o LEFT JOIN r_dd_equicost r USING (ord) ORDER BY o.ord) TO '$outdir/pgr_dd_equicost.csv' WITH (FORMAT csv, HEADER true)
\copy (SELECT o.id, r.facility_id, to_char(r.d, 'FM9999999990.00') AS distance_m FROM origins o LEFT JOIN r_dd r USING (ord) ORDER BY o.ord) TO '$outdir/pgr_dd.csv' WITH (FORMAT csv, HEADER true)

SELECT json_build_object(
	'versions', json_build_object('pgrouting', pgr_version(), 'postgresql', current_setting('server_version')),
	'graph', json_build_object('edges', (SELECT count(*) FROM edges)),
	'repeat', $repeat,
	'seconds', (SELECT json_object_agg(name, s) FROM (SELECT name, min(seconds) AS s FROM timings GROUP BY name) x),
	'seconds_median', (SELECT json_object_agg(name, s) FROM (SELECT name, percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) AS s FROM timings GROUP BY name) x),
	'max_rss_bytes', (SELECT (regexp_match(pg_read_file('/proc/' || pg_backend_pid() || '/status'), 'VmHWM:\s+(\d+) kB'))[1]::bigint * 1024),
	'outputs', json_build_object('pgr_cost', '$outdir/pgr_cost.csv', 'pgr_dd_equicost', '$outdir/pgr_dd_equicost.csv', 'pgr_dd', '$outdir/pgr_dd.csv'));
SQL
