// Package network is the walk-network engine: it builds a compact walking graph
// from OpenStreetMap data, snaps points to the nearest walkable street segment and
// answers exact, bounded multi-source shortest-path questions (nearest facility,
// k nearest facilities, facilities within a radius) for many origins at once.
//
// It is pure computation: no database, no network access.
//
// # Which ways are walkable
//
// A way is walkable when its tags pass the Overpass filter that OSMnx (1.3 and
// later) uses for network_type="walk", with its default access rule:
//
//	["highway"]["area"!~"yes"]["access"!~"private"]
//	["highway"!~"abandoned|bus_guideway|construction|cycleway|motor|no|planned|platform|proposed|raceway|razed"]
//	["foot"!~"no"]["service"!~"private"]
//
// The tests are those of Overpass: the way must have a highway tag (any value);
// each "!~" test rejects the way when the tag is present and its value contains
// one of the alternatives anywhere, case-sensitively (an unanchored regular
// expression). So highway=motorway and motorway_link are out through "motor",
// foot=no and foot=unknown are out through "no",
// and access=private;customers is out through "private". Ways with
// highway=steps, corridor, elevator, escalator, footway, path, pedestrian,
// service, track and every road class are walkable, as in OSMnx. One-way tags do
// not apply: every segment can be walked both ways.
//
// OSMnx 1.2 (the version in Debian 12) lacks the "no" and "razed" alternatives;
// OSMnx 2 adds tests that drop streets tagged sidewalk=separate (and its :both,
// :left and :right forms). Neither difference is followed here: the first only
// matters for the rare highway values no and razed, and the second would cut
// streets out of the network whenever their sidewalks are drawn separately but
// not connected. Note also that OSMnx applies the filter only when it downloads
// from Overpass: graph_from_xml reads every way of a file, so a comparison must
// filter the file first, or load the graph written by Graph.WriteOSM.
//
// # The graph
//
// Each pair of consecutive way nodes that are both present in the file becomes
// one street segment, walkable both ways, whose length is the great-circle
// distance on a sphere of radius 6,371,009 m (geo.EarthRadius, as OSMnx). A way
// that refers to nodes missing from the file (common at the edge of an extract)
// is cut at them: only segments between two consecutive present nodes are kept.
// Repeated consecutive references and segments from a node to itself are
// dropped, segments drawn by several ways are kept once, and closed ways are
// ordinary rings. Only nodes that end at least one segment are kept; every
// connected part of the network is kept (OSMnx keeps only the largest unless
// retain_all=True).
//
// The graph is stored in compressed sparse row form: per node an offset (4
// bytes), its OpenStreetMap id (8 bytes) and position (two int32 in units of
// 1e-7 degree, OpenStreetMap's own precision: 8 bytes), and a position in the
// id-sorted order (4 bytes); per directed edge the target node (4 bytes) and
// the length as a float64 (8 bytes), so that sums over long paths stay exact
// to far below a millimetre (lengths are computed from the positions as read,
// before rounding); and a packed bounding-box tree for snapping, 16 bytes per
// eight nodes and a seventh more for its upper levels. Nodes are numbered
// along a Hilbert curve so that nodes near each other in space are near each
// other in memory, which keeps searches in the caches.
//
// Searches run on a core graph: junctions, dead ends and one node of each ring
// made only of degree-2 nodes, joined by one edge per chain of degree-2 nodes
// between them (its length the sum of the chain's segments). A snapped point
// hangs on the two ends of its chain at its exact distances from them along
// the chain, so no answer changes. The core graph costs, per node, its core
// index or chain (4 bytes) and position along the chain (8 bytes), and per
// core edge 12 bytes, per chain 16 bytes. On the Heidelberg extract (168,262
// nodes, 354,550 directed edges) the core graph has 24,200 nodes and 66,426
// directed edges, and everything together takes 33.8 bytes per directed edge
// (Graph.MemoryBytes, Graph.BytesPerEdge). Small graphs, and graphs where the
// core graph would keep more than half the edges, are searched as they are.
//
// # Distances between points
//
// A point is snapped to the nearest walkable segment: its projection on that
// segment, with the great-circle lengths from the projection to both ends.
// Points farther than the maximum snap distance (DefaultMaxSnap, 200 m) are
// off-network. The walking distance between two snapped points is the smallest
// of: along the chain when both lie on the same chain, or partial length to an
// end + network distance + partial length at the other side. Searches are exact
// Dijkstra searches over the whole core graph with a distance cut-off, started
// from all facilities at once; a Searcher keeps its buffers between queries.
package network
