package network

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/gengxin/gengxin/internal/geo"
)

// Point is a WGS-84 position in degrees.
type Point struct{ Lon, Lat float64 }

// coordScale converts degrees to the stored integer units (1e-7 degree).
const coordScale = 1e7

// Graph is an immutable walk network. It is safe for concurrent use.
type Graph struct {
	first  []int32    // node v's edges are first[v]..first[v+1]-1
	to     []int32    // target node of each directed edge
	length []float64  // length of each directed edge, metres
	ids    []int64    // OpenStreetMap id of each node
	coords []coord    // position of each node
	byID   []int32    // node indices sorted by OpenStreetMap id
	tree   segTree    // segments by place, for snapping
	core   *coreGraph // the graph the searches run on
	stats  BuildStats

	searchers sync.Pool // of *Searcher
}

// coord is a position in units of 1e-7 degree.
type coord struct{ lon, lat int32 }

func (c coord) point() Point {
	return Point{Lon: float64(c.lon) / coordScale, Lat: float64(c.lat) / coordScale}
}

// BuildStats tells what went into a graph.
type BuildStats struct {
	FileNodes    int // nodes given (read from the file or added), with a valid position
	BadNodes     int // nodes left out for an invalid position
	Ways         int // walkable ways given
	MissingRefs  int // references from walkable ways to nodes that were not given
	Segments     int // distinct undirected segments in the graph
	DroppedLoops int // segments from a node to itself (repeated references)
}

// Nodes returns the number of nodes.
func (g *Graph) Nodes() int { return len(g.ids) }

// Edges returns the number of directed edges: twice the number of segments.
func (g *Graph) Edges() int { return len(g.to) }

// Stats returns what went into the graph.
func (g *Graph) Stats() BuildStats { return g.stats }

// NodeID returns the OpenStreetMap id of node i.
func (g *Graph) NodeID(i int) int64 { return g.ids[i] }

// NodePoint returns the position of node i.
func (g *Graph) NodePoint(i int) Point { return g.coords[i].point() }

// NodeIndex returns the index of the node with an OpenStreetMap id; ok is false
// when the graph has no such node.
func (g *Graph) NodeIndex(osmID int64) (int, bool) {
	i, found := slices.BinarySearchFunc(g.byID, osmID, func(v int32, id int64) int {
		switch {
		case g.ids[v] < id:
			return -1
		case g.ids[v] > id:
			return 1
		}
		return 0
	})
	if !found {
		return -1, false
	}
	return int(g.byID[i]), true
}

// Degree returns the number of segments at node i.
func (g *Graph) Degree(i int) int { return int(g.first[i+1] - g.first[i]) }

// MemoryBytes returns the memory held by the graph's arrays, the snapping index
// included.
func (g *Graph) MemoryBytes() int {
	n := int(unsafe.Sizeof(*g))
	n += cap(g.first)*4 + cap(g.to)*4 + cap(g.length)*8 + cap(g.ids)*8 + cap(g.coords)*8 + cap(g.byID)*4
	n += g.tree.bytes()
	n += g.core.bytes()
	return n
}

// BytesPerEdge returns MemoryBytes divided by the number of directed edges.
func (g *Graph) BytesPerEdge() float64 {
	if len(g.to) == 0 {
		return 0
	}
	return float64(g.MemoryBytes()) / float64(len(g.to))
}

// NodeSample is a node picked by SampleNodes.
type NodeSample struct {
	Index int   // node index in the graph
	ID    int64 // OpenStreetMap id
	Point Point
}

// SampleNodes picks n distinct nodes at random, the same ones for the same seed
// and the same network whatever the internal order of the nodes (the pick is
// made among the nodes sorted by OpenStreetMap id). Benchmarks use it to give
// every engine the same origins and facilities. With n at least Nodes(), every
// node is returned in id order.
func (g *Graph) SampleNodes(seed uint64, n int) []NodeSample {
	total := len(g.byID)
	if n <= 0 {
		return nil
	}
	pick := make([]int32, total)
	for i := range pick {
		pick[i] = int32(i)
	}
	if n < total {
		rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
		for i := range n {
			j := i + rng.IntN(total-i)
			pick[i], pick[j] = pick[j], pick[i]
		}
		pick = pick[:n]
	}
	out := make([]NodeSample, len(pick))
	for k, p := range pick {
		v := int(g.byID[p])
		out[k] = NodeSample{Index: v, ID: g.ids[v], Point: g.NodePoint(v)}
	}
	return out
}

// WriteOSM writes the walk network as OpenStreetMap XML: its nodes, and every
// segment as a two-node way tagged highway=footway. Another engine that loads
// this file (OSMnx's graph_from_xml with simplify=False and retain_all=True, for
// one) works on exactly the same graph.
func (g *Graph) WriteOSM(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var b []byte
	b = append(b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<osm version="0.6" generator="gengxin network">`+"\n"...)
	flush := func() error {
		if len(b) < 32<<10 {
			return nil
		}
		_, err := bw.Write(b)
		b = b[:0]
		return err
	}
	for _, v := range g.byID {
		c := g.coords[v]
		b = append(b, ` <node id="`...)
		b = strconv.AppendInt(b, g.ids[v], 10)
		b = append(b, `" lat="`...)
		b = appendFixed7(b, c.lat)
		b = append(b, `" lon="`...)
		b = appendFixed7(b, c.lon)
		b = append(b, "\" version=\"1\"/>\n"...)
		if err := flush(); err != nil {
			return fmt.Errorf("write walk network: %w", err)
		}
	}
	way := int64(0)
	for u := range int32(len(g.ids)) {
		for e := g.first[u]; e < g.first[u+1]; e++ {
			v := g.to[e]
			if v < u {
				continue
			}
			way++
			b = append(b, ` <way id="`...)
			b = strconv.AppendInt(b, way, 10)
			b = append(b, "\" version=\"1\">\n  <nd ref=\""...)
			b = strconv.AppendInt(b, g.ids[u], 10)
			b = append(b, "\"/>\n  <nd ref=\""...)
			b = strconv.AppendInt(b, g.ids[v], 10)
			b = append(b, "\"/>\n  <tag k=\"highway\" v=\"footway\"/>\n </way>\n"...)
			if err := flush(); err != nil {
				return fmt.Errorf("write walk network: %w", err)
			}
		}
	}
	b = append(b, "</osm>\n"...)
	if _, err := bw.Write(b); err != nil {
		return fmt.Errorf("write walk network: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write walk network: %w", err)
	}
	return nil
}

// appendFixed7 writes a coordinate in 1e-7 degree as a decimal with 7 places.
func appendFixed7(b []byte, v int32) []byte {
	x := int64(v)
	if x < 0 {
		b = append(b, '-')
		x = -x
	}
	b = strconv.AppendInt(b, x/coordScale, 10)
	frac := x % coordScale
	b = append(b, '.')
	s := strconv.FormatInt(frac+coordScale, 10) // "1" followed by 7 digits
	return append(b, s[1:]...)
}

// Builder collects nodes and walkable ways and builds a Graph. ReadOSM uses it;
// tests and generators can use it directly.
type Builder struct {
	ids   []int64
	pts   []Point
	refs  []int64
	ends  []int // end of each way in refs
	stats BuildStats

	contract int // contractAuto, contractAlways or contractNever
}

// NewBuilder returns an empty Builder.
func NewBuilder() *Builder { return &Builder{} }

// AddNode adds a node. A node with an invalid position is left out, as if it
// were missing; when an id is added twice, the last position counts.
func (b *Builder) AddNode(id int64, p Point) {
	if geo.ValidLonLat(p.Lon, p.Lat) != nil {
		b.stats.BadNodes++
		return
	}
	b.ids = append(b.ids, id)
	b.pts = append(b.pts, p)
}

// AddWay adds a walkable way through nodes given by id. The order of AddNode and
// AddWay calls does not matter.
func (b *Builder) AddWay(refs []int64) {
	b.refs = append(b.refs, refs...)
	b.ends = append(b.ends, len(b.refs))
	b.stats.Ways++
}

// FromWays builds a graph from node positions and walkable ways given as lists
// of node ids.
func FromWays(nodes map[int64]Point, ways [][]int64) *Graph {
	b := NewBuilder()
	ids := make([]int64, 0, len(nodes))
	for id := range nodes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		b.AddNode(id, nodes[id])
	}
	for _, w := range ways {
		b.AddWay(w)
	}
	return b.Build()
}

// segment is an undirected segment while building, by node index.
type segment struct {
	a, b   int32
	length float64
}

// Build makes the graph. The Builder should not be used afterwards.
func (b *Builder) Build() *Graph {
	st := b.stats
	st.FileNodes = len(b.ids)
	table := newIDTable(len(b.ids))
	for i, id := range b.ids {
		table.put(id, int32(i))
	}
	// Resolve the references and collect the segments, by file node index.
	segs := make([]segment, 0, len(b.refs))
	used := make([]int32, len(b.ids))
	start := 0
	for _, end := range b.ends {
		prev := int32(-1)
		for j := start; j < end; j++ {
			v, ok := table.get(b.refs[j])
			if !ok {
				st.MissingRefs++
				prev = -1
				continue
			}
			if prev == v {
				st.DroppedLoops++
				continue
			}
			if prev >= 0 {
				segs = append(segs, segment{a: prev, b: v})
				used[prev], used[v] = 1, 1
			}
			prev = v
		}
		start = end
	}
	table = idTable{}
	// Number the used nodes along a space-filling curve.
	n := 0
	for i := range used {
		if used[i] != 0 {
			used[i] = int32(n)
			n++
		} else {
			used[i] = -1
		}
	}
	coords := make([]coord, n)
	for i, u := range used {
		if u >= 0 {
			p := b.pts[i]
			coords[u] = coord{lon: int32(math.Round(p.Lon * coordScale)), lat: int32(math.Round(p.Lat * coordScale))}
		}
	}
	order := hilbertOrder(coords)
	rank := make([]int32, len(b.ids)) // file index -> final index
	g := &Graph{ids: make([]int64, n), coords: make([]coord, n)}
	compactToFinal := make([]int32, n)
	for k, u := range order {
		compactToFinal[u] = int32(k)
	}
	for i, u := range used {
		if u < 0 {
			rank[i] = -1
			continue
		}
		k := compactToFinal[u]
		rank[i] = k
		g.ids[k] = b.ids[i]
		g.coords[k] = coords[u]
	}
	coords, order, compactToFinal, used = nil, nil, nil, nil
	// Lengths from the positions as given (not rounded to 1e-7 degree), with
	// the cosine of each latitude worked out once.
	rad := make([]float64, n)
	cos := make([]float64, n)
	lon := make([]float64, n)
	parallel(len(rank), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if k := rank[i]; k >= 0 {
				p := b.pts[i]
				rad[k] = p.Lat * math.Pi / 180
				cos[k] = math.Cos(rad[k])
				lon[k] = p.Lon
			}
		}
	})
	parallel(len(segs), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			sg := &segs[i]
			x, y := rank[sg.a], rank[sg.b]
			sg.a, sg.b = x, y
			sg.length = haversine(rad[x], cos[x], lon[x], rad[y], cos[y], lon[y])
		}
	})
	rad, cos, lon, rank = nil, nil, nil, nil
	g.buildCSR(segs)
	segs = nil
	st.Segments = len(g.to) / 2
	g.stats = st
	// The id index, the snapping tree and the search graph only read the
	// arrays built so far: they are built side by side.
	var wg sync.WaitGroup
	wg.Go(func() {
		byID := make([]int32, n)
		keys := make([]uint64, n)
		for i, id := range g.ids {
			keys[i] = uint64(id) ^ 1<<63 // signed order as unsigned
			byID[i] = int32(i)
		}
		radixSort(keys, byID)
		g.byID = byID
	})
	wg.Go(func() { g.tree = buildTree(g) })
	g.core = buildCore(g, b.contract)
	wg.Wait()
	*b = Builder{contract: b.contract}
	return g
}

// haversine is geo.Haversine with the latitudes in radians and their cosines
// given: the same operations in the same order, so the same result.
func haversine(p1, cos1, lon1, p2, cos2, lon2 float64) float64 {
	dp := p2 - p1
	dl := (lon2 - lon1) * math.Pi / 180
	s1, s2 := math.Sin(dp/2), math.Sin(dl/2)
	h := s1*s1 + cos1*cos2*s2*s2
	h = min(max(h, 0), 1)
	return 2 * geo.EarthRadius * math.Asin(math.Sqrt(h))
}

// parallel calls fn on parts of 0..n, on all processors for large n.
func parallel(n int, fn func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), 1+n/16384)
	if workers <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += chunk {
		wg.Go(func() { fn(lo, min(lo+chunk, n)) })
	}
	wg.Wait()
}

// buildCSR fills first, to and length from the segments, both ways, keeping one
// edge per pair of nodes.
func (g *Graph) buildCSR(segs []segment) {
	n := len(g.ids)
	first := make([]int32, n+1)
	for _, s := range segs {
		first[s.a+1]++
		first[s.b+1]++
	}
	for v := range n {
		first[v+1] += first[v]
	}
	m := int(first[n])
	to := make([]int32, m)
	length := make([]float64, m)
	fill := slices.Clone(first[:n])
	for _, s := range segs {
		to[fill[s.a]], length[fill[s.a]] = s.b, s.length
		fill[s.a]++
		to[fill[s.b]], length[fill[s.b]] = s.a, s.length
		fill[s.b]++
	}
	// Sort each adjacency by target (insertion sort: adjacencies are short),
	// then drop repeated segments, which are rare.
	var dups atomic.Int64
	parallel(n, func(vlo, vhi int) {
		d := 0
		for v := vlo; v < vhi; v++ {
			lo, hi := first[v], first[v+1]
			for i := lo + 1; i < hi; i++ {
				for j := i; j > lo && to[j] < to[j-1]; j-- {
					to[j], to[j-1] = to[j-1], to[j]
					length[j], length[j-1] = length[j-1], length[j]
				}
				if to[i] == to[i-1] {
					d++
				}
			}
		}
		dups.Add(int64(d))
	})
	if dups.Load() == 0 {
		g.first, g.to, g.length = first, to, length
		return
	}
	w := int32(0)
	for v := range n {
		lo, hi := first[v], first[v+1]
		first[v] = w
		for i := lo; i < hi; i++ {
			if i > lo && to[i] == to[i-1] {
				length[w-1] = min(length[w-1], length[i])
				continue
			}
			to[w], length[w] = to[i], length[i]
			w++
		}
	}
	first[n] = w
	g.first = first
	g.to, g.length = to, length
	if int(w) != m {
		g.to = slices.Clone(to[:w])
		g.length = slices.Clone(length[:w])
	}
}

// hilbertOrder returns the node indices sorted along a Hilbert curve over the
// bounding box of the nodes.
func hilbertOrder(cs []coord) []int32 {
	out := make([]int32, len(cs))
	if len(cs) == 0 {
		return out
	}
	minX, minY, maxX, maxY := cs[0].lon, cs[0].lat, cs[0].lon, cs[0].lat
	for _, c := range cs {
		minX, maxX = min(minX, c.lon), max(maxX, c.lon)
		minY, maxY = min(minY, c.lat), max(maxY, c.lat)
	}
	scale := (hilbertSide - 1) / float64(max(int64(maxX)-int64(minX), int64(maxY)-int64(minY), 1))
	keys := make([]uint64, len(cs))
	parallel(len(cs), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			c := cs[i]
			x := min(uint32(float64(int64(c.lon)-int64(minX))*scale), hilbertSide-1)
			y := min(uint32(float64(int64(c.lat)-int64(minY))*scale), hilbertSide-1)
			keys[i] = uint64(hilbertD(x, y))
			out[i] = int32(i)
		}
	})
	radixSort(keys, out)
	return out
}

// hilbertSide is the side of the square the Hilbert curve fills: 2048 cells
// along the longer side of the network's box, a few tens of metres for a city.
const hilbertSide = 1 << 11

// hilbertD returns the position of (x, y), both below hilbertSide, along a
// Hilbert curve filling a hilbertSide × hilbertSide square.
func hilbertD(x, y uint32) uint32 {
	var d uint32
	for s := uint32(hilbertSide / 2); s > 0; s >>= 1 {
		var rx, ry uint32
		if x&s != 0 {
			rx = 1
		}
		if y&s != 0 {
			ry = 1
		}
		d += s * s * ((3 * rx) ^ ry)
		if ry == 0 {
			if rx == 1 {
				x, y = hilbertSide-1-x, hilbertSide-1-y
			}
			x, y = y, x
		}
	}
	return d
}

// idTable maps OpenStreetMap ids to indices: open addressing with linear
// probing, much smaller and faster than a Go map for this job.
type idTable struct {
	keys  []int64
	vals  []int32 // index+1; 0 = empty slot
	shift uint
	mask  uint64
}

func newIDTable(n int) idTable {
	size, bits := 16, uint(4)
	for size < 2*n {
		size <<= 1
		bits++
	}
	return idTable{keys: make([]int64, size), vals: make([]int32, size), shift: 64 - bits, mask: uint64(size - 1)}
}

func (t *idTable) slot(id int64) uint64 { return (uint64(id) * 0x9e3779b97f4a7c15) >> t.shift }

func (t *idTable) put(id int64, v int32) {
	i := t.slot(id)
	for t.vals[i] != 0 {
		if t.keys[i] == id {
			t.vals[i] = v + 1
			return
		}
		i = (i + 1) & t.mask
	}
	t.keys[i], t.vals[i] = id, v+1
}

func (t *idTable) get(id int64) (int32, bool) {
	i := t.slot(id)
	for t.vals[i] != 0 {
		if t.keys[i] == id {
			return t.vals[i] - 1, true
		}
		i = (i + 1) & t.mask
	}
	return 0, false
}

// Segments calls fn for every walkable segment (each once, not per direction)
// with at least one end inside the box, until fn returns false. Maps draw the
// street network with it.
func (g *Graph) Segments(minLon, minLat, maxLon, maxLat float64, fn func(a, b Point) bool) {
	inside := func(p Point) bool {
		return p.Lon >= minLon && p.Lon <= maxLon && p.Lat >= minLat && p.Lat <= maxLat
	}
	for i := 0; i < g.Nodes(); i++ {
		a := g.NodePoint(i)
		ain := inside(a)
		for e := g.first[i]; e < g.first[i+1]; e++ {
			j := int(g.to[e])
			if j <= i {
				continue
			}
			b := g.NodePoint(j)
			if (ain || inside(b)) && !fn(a, b) {
				return
			}
		}
	}
}
