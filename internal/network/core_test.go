package network

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// buildBoth builds the same nodes and ways twice: with the chains of degree-2
// nodes contracted, and without.
func buildBoth(nodes map[int64]Point, ways [][]int64) (contracted, plain *Graph) {
	build := func(mode int) *Graph {
		b := NewBuilder()
		b.contract = mode
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
	return build(contractAlways), build(contractNever)
}

// chainyNetwork is a network made mostly of chains: a few junctions joined by
// long bent streets, dead-end streets, a loop that leaves a junction and comes
// back to it, and rings that touch nothing else.
func chainyNetwork(rng *rand.Rand) (map[int64]Point, [][]int64) {
	lon0, lat0 := rng.Float64()*300-150, rng.Float64()*120-60
	nodes := map[int64]Point{}
	next := int64(1)
	add := func(p Point) int64 {
		id := next
		next++
		nodes[id] = p
		return id
	}
	rnd := func() Point { return Point{Lon: lon0 + rng.Float64()*0.01, Lat: lat0 + rng.Float64()*0.01} }
	// street draws a bent street from a to b through k new nodes.
	street := func(a, b int64, k int) []int64 {
		pa, pb := nodes[a], nodes[b]
		refs := []int64{a}
		for i := 1; i <= k; i++ {
			t := float64(i) / float64(k+1)
			refs = append(refs, add(Point{
				Lon: pa.Lon + t*(pb.Lon-pa.Lon) + (rng.Float64()-0.5)*0.0005,
				Lat: pa.Lat + t*(pb.Lat-pa.Lat) + (rng.Float64()-0.5)*0.0005,
			}))
		}
		return append(refs, b)
	}
	junctions := make([]int64, 2+rng.IntN(6))
	for i := range junctions {
		junctions[i] = add(rnd())
	}
	var ways [][]int64
	for range 1 + rng.IntN(10) {
		a, b := junctions[rng.IntN(len(junctions))], junctions[rng.IntN(len(junctions))]
		if a == b {
			continue
		}
		ways = append(ways, street(a, b, rng.IntN(8)))
	}
	for range rng.IntN(4) { // dead ends
		a := junctions[rng.IntN(len(junctions))]
		ways = append(ways, street(a, add(rnd()), rng.IntN(6)))
	}
	for range rng.IntN(3) { // a loop back to the junction it leaves
		a := junctions[rng.IntN(len(junctions))]
		refs := street(a, add(rnd()), 1+rng.IntN(4))
		refs = append(refs, street(refs[len(refs)-1], a, 1+rng.IntN(4))[1:]...)
		ways = append(ways, refs)
	}
	for range rng.IntN(3) { // rings of degree-2 nodes only
		c := rnd()
		k := 3 + rng.IntN(6)
		var refs []int64
		for i := range k {
			a := 2 * math.Pi * float64(i) / float64(k)
			refs = append(refs, add(Point{Lon: c.Lon + 0.001*math.Cos(a), Lat: c.Lat + 0.001*math.Sin(a)}))
		}
		ways = append(ways, append(refs, refs[0]))
	}
	if len(ways) == 0 {
		ways = append(ways, street(junctions[0], junctions[1], 3))
	}
	return nodes, ways
}

// sameResult reports whether two answers agree: the same facility (or the
// same distance, for ties that rounding may break either way) and the same
// distance.
func sameResult(a, b Result) bool {
	if math.IsInf(a.Distance, 1) || math.IsInf(b.Distance, 1) {
		return a.Facility == b.Facility && a.Distance == b.Distance
	}
	return math.Abs(a.Distance-b.Distance) <= 1e-6
}

// TestContractedChainsAgainstPlainGraph checks every search on networks made
// mostly of chains, with points in the middle of chains, origins and
// facilities on the same chain, loops and rings, against the same searches on
// the graph that is not contracted and against a plain Dijkstra.
func TestContractedChainsAgainstPlainGraph(t *testing.T) {
	seeds := 300
	if testing.Short() {
		seeds = 40
	}
	for seed := range seeds {
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		nodes, ways := chainyNetwork(rng)
		g, plain := buildBoth(nodes, ways)
		if g.Nodes() != plain.Nodes() || g.Edges() != plain.Edges() {
			t.Fatalf("seed %d: %d nodes and %d edges, without contraction %d and %d", seed, g.Nodes(), g.Edges(), plain.Nodes(), plain.Edges())
		}
		if !g.core.contracted() {
			t.Fatalf("seed %d: the chains were not contracted", seed)
		}
		var pts []Point
		for _, p := range nodes {
			pts = append(pts, p)
		}
		slices.SortFunc(pts, func(a, b Point) int {
			if a.Lon != b.Lon {
				return cmpFloat(a.Lon, b.Lon)
			}
			return cmpFloat(a.Lat, b.Lat)
		})
		pick := func(n int) []Point {
			var out []Point
			for range n {
				if rng.IntN(3) == 0 { // a node
					out = append(out, pts[rng.IntN(len(pts))])
					continue
				}
				// Between two consecutive nodes of a way, most often
				// inside a chain; sometimes a little aside.
				w := ways[rng.IntN(len(ways))]
				j := rng.IntN(len(w) - 1)
				a, b := nodes[w[j]], nodes[w[j+1]]
				s := rng.Float64()
				out = append(out, Point{
					Lon: a.Lon + s*(b.Lon-a.Lon) + (rng.Float64()-0.5)*0.00005,
					Lat: a.Lat + s*(b.Lat-a.Lat) + (rng.Float64()-0.5)*0.00005,
				})
			}
			return out
		}
		op, fp := pick(1+rng.IntN(30)), pick(1+rng.IntN(12))
		// Some facilities on exactly the origins' places: same chain, same spot.
		for range rng.IntN(3) {
			fp = append(fp, op[rng.IntN(len(op))])
		}
		oc, fc := g.SnapAll(op, 0), g.SnapAll(fp, 0)
		opl, fpl := plain.SnapAll(op, 0), plain.SnapAll(fp, 0)
		for i := range oc {
			if oc[i].OK != opl[i].OK || oc[i].At != opl[i].At {
				t.Fatalf("seed %d: origin %d snapped to %+v, without contraction %+v", seed, i, oc[i], opl[i])
			}
			if oc[i].OK && math.Abs(oc[i].ta+oc[i].tb-g.core.lengthOf(oc[i])) > 1e-6 {
				t.Fatalf("seed %d: origin %d: offsets %v + %v do not add up to its chain", seed, i, oc[i].ta, oc[i].tb)
			}
		}
		maxDist := 0.0
		if rng.IntN(2) == 0 {
			maxDist = rng.Float64() * 1500
		}
		got, want := g.Nearest(oc, fc, maxDist), plain.Nearest(opl, fpl, maxDist)
		for i := range got {
			if !sameResult(got[i], want[i]) {
				t.Fatalf("seed %d origin %d: nearest %+v, without contraction %+v", seed, i, got[i], want[i])
			}
		}
		k := 1 + rng.IntN(5)
		kg, kw := g.KNearest(oc, fc, k, maxDist), plain.KNearest(opl, fpl, k, maxDist)
		for i := range kg {
			if len(kg[i]) != len(kw[i]) {
				t.Fatalf("seed %d origin %d: %d nearest %v, without contraction %v", seed, i, k, kg[i], kw[i])
			}
			for r := range kg[i] {
				if !sameResult(kg[i][r], kw[i][r]) {
					t.Fatalf("seed %d origin %d: %d nearest %v, without contraction %v", seed, i, k, kg[i], kw[i])
				}
			}
		}
		radius := rng.Float64() * 1500
		cg, cw := g.CountWithin(oc, fc, radius), plain.CountWithin(opl, fpl, radius)
		// Counts may differ only for a facility at the radius to within rounding.
		all := plain.KNearest(opl, fpl, len(fpl), 0)
		for i := range cg {
			if cg[i] == cw[i] {
				continue
			}
			lo, hi := 0, 0
			for _, r := range all[i] {
				if r.Distance <= radius-1e-6 {
					lo++
				}
				if r.Distance <= radius+1e-6 {
					hi++
				}
			}
			if cg[i] < lo || cg[i] > hi {
				t.Fatalf("seed %d origin %d: %d within %v m, without contraction %d", seed, i, cg[i], radius, cw[i])
			}
		}
		// And against a plain Dijkstra over the graph with the points
		// inserted as nodes.
		ps := append(slices.Clone(opl), fpl...)
		ref := newRefGraph(plain, ps)
		for i, o := range oc {
			for f, fs := range fc {
				d := g.Distance(o, fs, 0)
				w := math.Inf(1)
				if o.OK && fs.OK {
					w = ref.dijkstra(plain.Nodes() + i)[plain.Nodes()+len(oc)+f]
				}
				if math.IsInf(d, 1) != math.IsInf(w, 1) || !math.IsInf(w, 1) && math.Abs(d-w) > 1e-6 {
					t.Fatalf("seed %d: origin %d to facility %d: %v, plain Dijkstra %v", seed, i, f, d, w)
				}
			}
		}
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestChainShapes checks known distances on the shapes contraction has to get
// right.
func TestChainShapes(t *testing.T) {
	// A ring of four degree-2 nodes, 0.001° on a side at the equator, and a
	// separate street of 5 nodes, dead ends at both sides.
	nodes := map[int64]Point{
		1: {0, 0}, 2: {0.001, 0}, 3: {0.001, 0.001}, 4: {0, 0.001},
		11: {0.01, 0}, 12: {0.011, 0}, 13: {0.012, 0}, 14: {0.013, 0}, 15: {0.014, 0},
	}
	ways := [][]int64{{1, 2, 3, 4, 1}, {11, 12, 13, 14, 15}}
	g, _ := buildBoth(nodes, ways)
	side := hav(Point{0, 0}, Point{0.001, 0})
	up := hav(Point{0.001, 0}, Point{0.001, 0.001})
	top := hav(Point{0.001, 0.001}, Point{0, 0.001})
	left := hav(Point{0, 0.001}, Point{0, 0})
	ring := side + up + top + left
	snap := func(p Point) Snapped {
		s := g.Snap(p, 0)
		if !s.OK {
			t.Fatalf("%v did not snap", p)
		}
		return s
	}
	cases := []struct {
		name string
		a, b Point
		want float64
	}{
		{"ring, same segment", Point{0.0002, 0}, Point{0.0007, 0}, hav(Point{0.0002, 0}, Point{0.0007, 0})},
		{"ring, across the node made core", Point{0.0002, 0}, Point{0, 0.0002}, hav(Point{0.0002, 0}, Point{0, 0}) + hav(Point{0, 0}, Point{0, 0.0002})},
		{"ring, the short way round", Point{0.0005, 0}, Point{0.0005, 0.001}, side/2 + up + top/2},
		{"ring, opposite nodes", Point{0, 0}, Point{0.001, 0.001}, min(side+up, top+left)},
		{"street, both inside", Point{0.0115, 0}, Point{0.0135, 0}, hav(Point{0.0115, 0}, Point{0.0135, 0})},
		{"street, dead end to dead end", Point{0.01, 0}, Point{0.014, 0}, hav(Point{0.01, 0}, Point{0.014, 0})},
	}
	for _, c := range cases {
		d := g.Distance(snap(c.a), snap(c.b), 0)
		if math.Abs(d-c.want) > 1e-6 {
			t.Errorf("%s: %v, want %v", c.name, d, c.want)
		}
	}
	if d := g.Distance(snap(Point{0, 0}), snap(Point{0.01, 0}), 0); !math.IsInf(d, 1) {
		t.Errorf("ring to separate street: %v, want +Inf", d)
	}
	// Facilities on the ring itself: the nearest from a point is the one
	// closer along the ring either way round.
	o := snap(Point{0.001, 0.0005})
	fs := []Snapped{snap(Point{0.0001, 0}), snap(Point{0.0009, 0.001})}
	r := g.Nearest([]Snapped{o}, fs, 0)[0]
	if want := up/2 + hav(Point{0.001, 0.001}, Point{0.0009, 0.001}); r.Facility != 1 || math.Abs(r.Distance-want) > 1e-6 {
		t.Errorf("ring: %+v, want facility 1 at %v", r, want)
	}
	if n := g.CountWithin([]Snapped{o}, fs, ring/2); n[0] != 2 {
		t.Errorf("ring: %d facilities within half the ring, want 2", n[0])
	}
	// A loop leaving junction 21 and coming back to it, with a street on.
	nodes = map[int64]Point{21: {0, 0}, 22: {0.001, 0}, 23: {0.001, 0.001}, 24: {0, 0.001}, 25: {-0.001, 0}}
	g, _ = buildBoth(nodes, [][]int64{{21, 22, 23, 24, 21}, {21, 25}})
	if !g.core.contracted() || g.core.nodes() != 2 {
		t.Fatalf("loop: %d core nodes, want 2 (the junction and the dead end)", g.core.nodes())
	}
	d := g.Distance(snap(Point{-0.0005, 0}), snap(Point{0.0005, 0.001}), 0)
	if want := hav(Point{-0.0005, 0}, Point{0, 0}) + left + top/2; math.Abs(d-want) > 1e-6 {
		t.Errorf("loop: %v, want %v", d, want)
	}
	d = g.Distance(snap(Point{0.0009, 0}), snap(Point{0.0001, 0.001}), 0)
	if want := hav(Point{0.0009, 0}, Point{0, 0}) + left + hav(Point{0, 0.001}, Point{0.0001, 0.001}); math.Abs(d-want) > 1e-6 {
		t.Errorf("loop, both ends near the junction: %v, want %v", d, want)
	}
}

// TestHeidelbergContracted checks that contracting the chains of the
// Heidelberg network changes no answer, and that it pays.
func TestHeidelbergContracted(t *testing.T) {
	path := osmData(t, "heidelberg.osm.pbf")
	if testing.Short() {
		t.Skip("reads the Heidelberg extract")
	}
	g, err := ReadOSMFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if !g.core.contracted() || g.core.nodes() > g.Nodes()/3 {
		t.Fatalf("heidelberg: %d core nodes of %d", g.core.nodes(), g.Nodes())
	}
	plain := &Graph{first: g.first, to: g.to, length: g.length, ids: g.ids, coords: g.coords, byID: g.byID, tree: g.tree}
	plain.core = buildCore(plain, contractNever)
	var op, fp []Point
	for _, s := range g.SampleNodes(5, 500) {
		op = append(op, Point{Lon: s.Point.Lon + 0.00013, Lat: s.Point.Lat - 0.00007})
	}
	for _, s := range g.SampleNodes(6, 40) {
		fp = append(fp, Point{Lon: s.Point.Lon - 0.00011, Lat: s.Point.Lat + 0.00009})
	}
	oc, fc := g.SnapAll(op, 0), g.SnapAll(fp, 0)
	opl, fpl := plain.SnapAll(op, 0), plain.SnapAll(fp, 0)
	for _, maxDist := range []float64{0, 1000} {
		got, want := g.Nearest(oc, fc, maxDist), plain.Nearest(opl, fpl, maxDist)
		for i := range got {
			if !sameResult(got[i], want[i]) {
				t.Errorf("max %v origin %d: %+v, without contraction %+v", maxDist, i, got[i], want[i])
			}
		}
	}
	kg, kw := g.KNearest(oc, fc, 3, 1500), plain.KNearest(opl, fpl, 3, 1500)
	for i := range kg {
		if len(kg[i]) != len(kw[i]) {
			t.Fatalf("origin %d: 3 nearest %v, without contraction %v", i, kg[i], kw[i])
		}
		for r := range kg[i] {
			if !sameResult(kg[i][r], kw[i][r]) {
				t.Errorf("origin %d: 3 nearest %v, without contraction %v", i, kg[i], kw[i])
			}
		}
	}
}

// lengthOf returns the length of the chain or direct segment a point lies on.
func (c *coreGraph) lengthOf(s Snapped) float64 {
	if s.key>>63 != 0 {
		return s.du + s.dv
	}
	return c.chainLen[s.key]
}
