#!/usr/bin/python3
"""Nearest facility per origin with OSMnx + NetworkX and with scipy's csgraph.

This is the peer side of "gengxin bench network": it does what a planner does
with OSMnx 1.2.3 (Debian python3-osmnx) on an OpenStreetMap XML file, and times
every phase.

  1. parse    osmnx.osm_xml._overpass_json_from_file (what graph_from_xml does)
  2. filter   keep the ways that pass the OSMnx "walk" filter, and only the nodes
              they use. graph_from_xml applies no network_type filter: it turns
              every way of the file into edges, so without this step the graph
              would hold buildings, rivers and fences. The filter string is
              OSMnx's own (downloader._get_osm_filter("walk")) unless --filter
              gives another, evaluated with Overpass semantics: ["k"] needs the
              tag, ["k"!~"re"] drops the way when the tag is present and the
              unanchored, case-sensitive regular expression matches its value.
              Ways referring to nodes missing from the file (clipped extracts)
              are cut at those nodes: graph_from_xml would stop with a KeyError.
  3. graph    osmnx.graph._create_graph(bidirectional=True, retain_all=True), the
              rest of graph_from_xml: bidirectional because "walk" is one of
              OSMnx's bidirectional network types (one-way tags do not apply to
              walking), retain_all so that every connected part is kept, no
              simplification so that every origin and facility node stays a node.
              Edge lengths are great-circle on a sphere of 6,371,009 m, rounded
              by OSMnx to the millimetre.
  4. snap     osmnx.distance.nearest_nodes on the origins' and facilities'
              lon,lat (needs scikit-learn; without it the ids are used as node
              ids, and the JSON says so).
  5. search   networkx.multi_source_dijkstra from all facilities at once, without
              and with the cut-off; the first node of each path is the facility.
  6. scipy    the same graph as a CSR matrix (parallel edges keep the shortest),
              scipy.sparse.csgraph.dijkstra(indices=facilities, min_only=True),
              without and with limit=cut-off, best of --repeat runs.

Input CSVs have the header id,lon,lat; with --ids-are-nodes (what the bench
writes) each id is the OpenStreetMap node id at that position, which is used to
count snapping mismatches. Output CSVs have the header id,facility_id,distance_m,
one row per origin in input order, empty fields when nothing is reachable.
Timings (seconds), graph sizes and the peak RSS are printed as one JSON object on
stdout. Nothing is installed or downloaded: run bench/peers/setup.sh first.
"""

import argparse
import csv
import json
import math
import os
import re
import resource
import statistics
import sys
import time


def now():
    return time.perf_counter()


def read_points(path):
    """Reads an id,lon,lat CSV into a list of (id, lon, lat)."""
    out = []
    with open(path, newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        header = next(rows, None)
        if header is None or [h.strip().lower() for h in header[:3]] != ["id", "lon", "lat"]:
            sys.exit(f"{path}: the header must start with id,lon,lat")
        for line, row in enumerate(rows, start=2):
            if not row:
                continue
            try:
                out.append((row[0].strip(), float(row[1]), float(row[2])))
            except (IndexError, ValueError):
                sys.exit(f"{path}:{line}: want id,lon,lat, got {row!r}")
    return out


FILTER_PART = re.compile(r'\["([^"]+)"(?:(!?~)"([^"]*)")?\]')


def compile_filter(text):
    """Turns an Overpass tag filter into a list of (key, op, compiled regex)."""
    parts = []
    pos = 0
    for m in FILTER_PART.finditer(text):
        if m.start() != pos:
            sys.exit(f"cannot read the filter at {text[pos:]!r}")
        pos = m.end()
        key, op, rx = m.group(1), m.group(2), m.group(3)
        parts.append((key, op, re.compile(rx) if op else None))
    if pos != len(text):
        sys.exit(f"cannot read the filter at {text[pos:]!r}")
    return parts


def passes(tags, parts):
    for key, op, rx in parts:
        value = tags.get(key)
        if op is None:
            if value is None:
                return False
        elif op == "!~":
            if value is not None and rx.search(value):
                return False
        else:  # "~"
            if value is None or not rx.search(value):
                return False
    return True


def walk_elements(response, parts, other_parts):
    """Keeps walkable ways, cut at missing nodes, and the nodes they use."""
    nodes = {}
    ways = []
    for el in response["elements"]:
        t = el["type"]
        if t == "node":
            nodes[el["id"]] = el
        elif t == "way":
            ways.append(el)
    stats = {"file_nodes": len(nodes), "file_ways": len(ways), "walk_ways": 0,
             "missing_refs": 0, "cut_pieces": 0, "filter_disagreements": 0}
    next_id = max((w["id"] for w in ways), default=0) + 1
    kept_ways = []
    used = set()
    for w in ways:
        tags = w.get("tags", {})
        ok = passes(tags, parts)
        if other_parts is not None and ok != passes(tags, other_parts):
            stats["filter_disagreements"] += 1
        if not ok:
            continue
        stats["walk_ways"] += 1
        piece = []
        pieces = []
        for ref in w["nodes"]:
            if ref in nodes:
                piece.append(ref)
                continue
            stats["missing_refs"] += 1
            if len(piece) > 1:
                pieces.append(piece)
            piece = []
        if len(piece) > 1:
            pieces.append(piece)
        if len(pieces) > 1:
            stats["cut_pieces"] += len(pieces) - 1
        for k, refs in enumerate(pieces):
            el = dict(w)
            el["nodes"] = refs
            if k > 0:
                el["id"] = next_id
                next_id += 1
            kept_ways.append(el)
            used.update(refs)
    # Nodes stay in file order, as graph_from_xml would add them (the order of
    # the nodes is the order of scipy's matrix rows, which matters to its speed).
    elements = [el for i, el in nodes.items() if i in used] + kept_ways
    return {"elements": elements}, stats


def rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def write_results(path, origins, results):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "facility_id", "distance_m"])
        for (oid, _, _), res in zip(origins, results):
            if res is None:
                w.writerow([oid, "", ""])
            else:
                w.writerow([oid, res[0], f"{res[1]:.2f}"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--osm", required=True, help="OpenStreetMap XML file (.osm)")
    ap.add_argument("--origins", required=True, help="CSV id,lon,lat")
    ap.add_argument("--facilities", required=True, help="CSV id,lon,lat")
    ap.add_argument("--max-distance", type=float, default=1000.0, help="cut-off in metres")
    ap.add_argument("--out-dir", required=True, help="where the distance CSVs go")
    ap.add_argument("--filter", default="", help="Overpass way filter (default: OSMnx's walk filter)")
    ap.add_argument("--ids-are-nodes", action="store_true", help="CSV ids are OSM node ids")
    ap.add_argument("--repeat", type=int, default=5, help="runs of each scipy search (best is kept)")
    ap.add_argument("--no-networkx", action="store_true", help="skip the NetworkX searches")
    ap.add_argument("--no-scipy", action="store_true", help="skip the scipy searches")
    args = ap.parse_args()

    t = now()
    import networkx as nx
    import numpy as np
    import osmnx as ox
    from osmnx import downloader, osm_xml
    from osmnx import graph as oxgraph
    import scipy
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra
    seconds = {"import": now() - t}

    origins = read_points(args.origins)
    facilities = read_points(args.facilities)
    own_filter = downloader._get_osm_filter("walk")
    parts = compile_filter(args.filter or own_filter)
    other = compile_filter(own_filter) if args.filter and args.filter != own_filter else None

    t0 = now()
    response = osm_xml._overpass_json_from_file(args.osm)
    t1 = now()
    walk, stats = walk_elements(response, parts, other)
    del response
    t2 = now()
    G = oxgraph._create_graph([walk], retain_all=True, bidirectional=True)
    del walk
    t3 = now()
    seconds["parse"] = t1 - t0
    seconds["filter"] = t2 - t1
    seconds["graph"] = t3 - t2
    seconds["load"] = t3 - t0
    rss_after_graph = rss_bytes()

    snap = "nearest_nodes"
    t = now()
    try:
        o_nodes = ox.distance.nearest_nodes(G, [p[1] for p in origins], [p[2] for p in origins])
        f_nodes = ox.distance.nearest_nodes(G, [p[1] for p in facilities], [p[2] for p in facilities])
    except ImportError:
        if not args.ids_are_nodes:
            sys.exit("OSMnx needs scikit-learn to snap points (install python3-sklearn) or pass --ids-are-nodes")
        snap = "ids used as node ids (scikit-learn missing)"
        o_nodes = [int(p[0]) for p in origins]
        f_nodes = [int(p[0]) for p in facilities]
    seconds["snap"] = now() - t
    mismatches = 0
    if args.ids_are_nodes:
        mismatches = sum(int(p[0]) != n for p, n in zip(origins, o_nodes))
        mismatches += sum(int(p[0]) != n for p, n in zip(facilities, f_nodes))
    fac_of_node = {}
    for (fid, _, _), n in zip(facilities, f_nodes):
        fac_of_node.setdefault(n, fid)
    sources = set(fac_of_node)

    out = {}
    os.makedirs(args.out_dir, exist_ok=True)

    def nx_run(cutoff):
        t = now()
        dist, paths = nx.multi_source_dijkstra(G, sources, weight="length", cutoff=cutoff)
        res = []
        for n in o_nodes:
            d = dist.get(n)
            res.append(None if d is None else (fac_of_node[paths[n][0]], d))
        return now() - t, res

    if not args.no_networkx:
        seconds["nx_search"], res = nx_run(None)
        out["osmnx"] = os.path.join(args.out_dir, "osmnx.csv")
        write_results(out["osmnx"], origins, res)
        del res
        seconds["nx_search_cut"], res = nx_run(args.max_distance)
        out["osmnx_cut"] = os.path.join(args.out_dir, "osmnx_cut.csv")
        write_results(out["osmnx_cut"], origins, res)
        seconds["end_to_end"] = seconds["load"] + seconds["snap"] + seconds["nx_search"]

    if not args.no_scipy:
        t = now()
        order = list(G.nodes)
        index = {n: i for i, n in enumerate(order)}
        best = {}
        for u, v, length in G.edges(data="length"):
            key = (index[u], index[v])
            old = best.get(key)
            if old is None or length < old:
                best[key] = length
        rows = np.fromiter((k[0] for k in best), dtype=np.int32, count=len(best))
        cols = np.fromiter((k[1] for k in best), dtype=np.int32, count=len(best))
        vals = np.fromiter(best.values(), dtype=np.float64, count=len(best))
        # csgraph treats a stored zero as "no edge"; a zero-length edge (two
        # nodes at one position) must still connect, so it gets a tiny length.
        vals[vals == 0] = 1e-9
        mat = csr_matrix((vals, (rows, cols)), shape=(len(order), len(order)))
        del best
        seconds["scipy_convert"] = now() - t
        src = np.array([index[n] for n in sorted(sources)], dtype=np.int32)
        o_idx = np.array([index[n] for n in o_nodes], dtype=np.int64)

        def sp_run(limit):
            times = []
            for _ in range(max(1, args.repeat)):
                t = now()
                dist, _, srcs = dijkstra(mat, directed=True, indices=src, min_only=True,
                                         limit=limit, return_predecessors=True)
                times.append(now() - t)
            res = []
            for i in o_idx:
                d = dist[i]
                res.append(None if not math.isfinite(d) else (fac_of_node[order[srcs[i]]], float(d)))
            return min(times), statistics.median(times), res

        seconds["scipy_search"], seconds["scipy_search_median"], res = sp_run(np.inf)
        out["scipy"] = os.path.join(args.out_dir, "scipy.csv")
        write_results(out["scipy"], origins, res)
        seconds["scipy_search_cut"], seconds["scipy_search_cut_median"], res = sp_run(args.max_distance)
        out["scipy_cut"] = os.path.join(args.out_dir, "scipy_cut.csv")
        write_results(out["scipy_cut"], origins, res)

    report = {
        "versions": {"python": sys.version.split()[0], "osmnx": ox.__version__,
                     "networkx": nx.__version__, "scipy": scipy.__version__},
        "filter": args.filter or own_filter,
        "graph": {"nodes": G.number_of_nodes(), "edges": G.number_of_edges(), **stats},
        "seconds": seconds,
        "repeat": args.repeat,
        "snap": snap,
        "snap_mismatches": mismatches,
        "rss_after_graph_bytes": rss_after_graph,
        "max_rss_bytes": rss_bytes(),
        "outputs": out,
    }
    json.dump(report, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
