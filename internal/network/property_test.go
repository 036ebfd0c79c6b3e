package network

import (
	"bytes"
	"cmp"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gengxin/gengxin/internal/demo"
)

// randomGraph builds a street network of n random nodes around a random place,
// with ways through nearby nodes, some referring to nodes that are missing.
func randomGraph(rng *rand.Rand, n int) (*Graph, []Point) {
	lon0, lat0 := rng.Float64()*300-150, rng.Float64()*120-60
	b := NewBuilder()
	pts := make([]Point, n)
	ids := make([]int64, n)
	for i := range n {
		pts[i] = Point{Lon: lon0 + rng.Float64()*0.01, Lat: lat0 + rng.Float64()*0.01}
		ids[i] = int64(i*7) - 20 // some negative ids, as in edited files
		b.AddNode(ids[i], pts[i])
	}
	ways := 1 + rng.IntN(n)
	for range ways {
		cur := rng.IntN(n)
		refs := []int64{ids[cur]}
		for range 1 + rng.IntN(5) {
			// Walk to one of the nearer nodes most of the time.
			next := rng.IntN(n)
			for range 3 {
				c := rng.IntN(n)
				if hav(pts[cur], pts[c]) < hav(pts[cur], pts[next]) {
					next = c
				}
			}
			switch rng.IntN(12) {
			case 0:
				refs = append(refs, 1_000_000+int64(rng.IntN(5))) // missing node
			case 1:
				refs = append(refs, refs[len(refs)-1]) // repeated reference
			}
			refs = append(refs, ids[next])
			cur = next
		}
		if rng.IntN(8) == 0 {
			refs = append(refs, refs[0]) // closed way
		}
		b.AddWay(refs)
	}
	return b.Build(), pts
}

// refGraph is the network with the snapped points inserted as nodes, as a dense
// matrix for a plain O(n²) Dijkstra.
type refGraph struct {
	n   int
	adj [][]float64 // +Inf where there is no edge
}

func newRefGraph(g *Graph, ps []Snapped) *refGraph {
	n := g.Nodes() + len(ps)
	r := &refGraph{n: n, adj: make([][]float64, n)}
	for i := range r.adj {
		r.adj[i] = make([]float64, n)
		for j := range r.adj[i] {
			r.adj[i][j] = math.Inf(1)
		}
	}
	link := func(a, b int, d float64) {
		r.adj[a][b] = min(r.adj[a][b], d)
		r.adj[b][a] = min(r.adj[b][a], d)
	}
	for u := range g.Nodes() {
		for e := g.first[u]; e < g.first[u+1]; e++ {
			v := int(g.to[e])
			if v < u {
				continue
			}
			// Points on this segment, in order from u.
			var on []int
			for i, p := range ps {
				if p.OK && int(p.u) == u && int(p.v) == v {
					on = append(on, i)
				}
			}
			slices.SortFunc(on, func(a, b int) int { return cmp.Compare(ps[a].du, ps[b].du) })
			prev, at := u, 0.0
			for _, i := range on {
				link(prev, g.Nodes()+i, ps[i].du-at)
				prev, at = g.Nodes()+i, ps[i].du
			}
			if len(on) == 0 {
				link(u, v, g.length[e])
			} else {
				link(prev, v, ps[on[len(on)-1]].dv)
			}
		}
	}
	return r
}

func (r *refGraph) dijkstra(src int) []float64 {
	dist := make([]float64, r.n)
	done := make([]bool, r.n)
	for i := range dist {
		dist[i] = math.Inf(1)
	}
	dist[src] = 0
	for {
		u := -1
		for i := range dist {
			if !done[i] && !math.IsInf(dist[i], 1) && (u < 0 || dist[i] < dist[u]) {
				u = i
			}
		}
		if u < 0 {
			return dist
		}
		done[u] = true
		for v, w := range r.adj[u] {
			if d := dist[u] + w; d < dist[v] {
				dist[v] = d
			}
		}
	}
}

// randomPoints makes points near the network: anywhere, at nodes, and several
// on one segment.
func randomPoints(rng *rand.Rand, g *Graph, pts []Point, n int) []Point {
	var out []Point
	for len(out) < n {
		switch rng.IntN(4) {
		case 0:
			p := pts[rng.IntN(len(pts))]
			out = append(out, Point{p.Lon + rng.NormFloat64()*0.001, p.Lat + rng.NormFloat64()*0.001})
		case 1:
			out = append(out, g.NodePoint(rng.IntN(g.Nodes())))
		case 2:
			u := rng.IntN(g.Nodes())
			a, b := g.NodePoint(u), g.NodePoint(int(g.to[g.first[u]]))
			for range 1 + rng.IntN(3) {
				t := rng.Float64()
				out = append(out, Point{a.Lon + t*(b.Lon-a.Lon), a.Lat + t*(b.Lat-a.Lat)})
			}
		default:
			if len(out) > 0 {
				out = append(out, out[rng.IntN(len(out))]) // the same point twice
			}
		}
	}
	return out[:n]
}

// bruteSnap finds the nearest segment by looking at all of them.
func bruteSnap(g *Graph, p Point) float64 {
	best := math.Inf(1)
	q := snapQuery{g: g, p: p, kx: metresPerDegree * math.Cos(p.Lat*math.Pi/180), ky: metresPerDegree, best: math.Inf(1), bound: math.Inf(1)}
	for i := range g.tree.levels[0] {
		q.leaf(i)
	}
	if q.seg.u >= 0 {
		a, b := g.coords[q.seg.u].point(), g.coords[q.seg.v].point()
		at := Point{a.Lon + q.t*(b.Lon-a.Lon), a.Lat + q.t*(b.Lat-a.Lat)}
		best = hav(p, at)
	}
	return best
}

func TestAgainstPlainDijkstra(t *testing.T) {
	seeds := 300
	if testing.Short() {
		seeds = 40
	}
	for seed := range seeds {
		rng := rand.New(rand.NewPCG(uint64(seed), 99))
		g, pts := randomGraph(rng, 3+rng.IntN(60))
		if g.Edges() == 0 {
			continue
		}
		if g.BytesPerEdge() > 200 {
			t.Fatalf("seed %d: %.0f bytes per edge", seed, g.BytesPerEdge())
		}
		maxSnap := 50 + rng.Float64()*300
		op := randomPoints(rng, g, pts, 1+rng.IntN(25))
		fp := randomPoints(rng, g, pts, 1+rng.IntN(25))
		origins, facilities := g.SnapAll(op, maxSnap), g.SnapAll(fp, maxSnap)
		for i, p := range append(slices.Clone(op), fp...) {
			s := append(slices.Clone(origins), facilities...)[i]
			want := bruteSnap(g, p)
			if want > maxSnap*1.001 {
				if s.OK {
					t.Fatalf("seed %d: %v snapped at %v m, nearest segment is %v m away, limit %v", seed, p, s.SnapDist, want, maxSnap)
				}
				continue
			}
			if s.OK && math.Abs(s.SnapDist-want) > 1e-6 {
				t.Fatalf("seed %d: %v snapped at %v m, nearest segment is %v m away", seed, p, s.SnapDist, want)
			}
			if !s.OK && want < maxSnap*0.999 {
				t.Fatalf("seed %d: %v off-network, nearest segment is %v m away", seed, p, want)
			}
		}
		all := append(slices.Clone(origins), facilities...)
		ref := newRefGraph(g, all)
		// dist[i][f]: reference distance from origin i to facility f.
		dist := make([][]float64, len(origins))
		for i, o := range origins {
			dist[i] = make([]float64, len(facilities))
			var d []float64
			if o.OK {
				d = ref.dijkstra(g.Nodes() + i)
			}
			for f, fs := range facilities {
				dist[i][f] = math.Inf(1)
				if o.OK && fs.OK {
					dist[i][f] = d[g.Nodes()+len(origins)+f]
				}
			}
		}
		maxDist := 0.0
		if rng.IntN(2) == 0 {
			maxDist = rng.Float64() * 1500
		}
		limit := math.Inf(1)
		if maxDist > 0 {
			limit = maxDist
		}
		nearest := g.Nearest(origins, facilities, maxDist)
		k := 1 + rng.IntN(4)
		knear := g.KNearest(origins, facilities, k, maxDist)
		radius := rng.Float64() * 1200
		counts := g.CountWithin(origins, facilities, radius)
		for i := range origins {
			// The reference answers, nearest first, ties by index.
			var want []Result
			for f, d := range dist[i] {
				if d <= limit && !math.IsInf(d, 1) {
					want = append(want, Result{Facility: f, Distance: d})
				}
			}
			slices.SortFunc(want, func(a, b Result) int {
				return cmp.Or(cmp.Compare(a.Distance, b.Distance), cmp.Compare(a.Facility, b.Facility))
			})
			got := nearest[i]
			if len(want) == 0 {
				if got.Facility != -1 && got.Distance < limit-1e-6 {
					t.Fatalf("seed %d origin %d: got %+v, want none", seed, i, got)
				}
			} else if got.Facility < 0 || math.Abs(got.Distance-want[0].Distance) > 1e-6 || math.Abs(dist[i][got.Facility]-got.Distance) > 1e-6 {
				t.Fatalf("seed %d origin %d: got %+v, want %+v", seed, i, got, want[0])
			}
			kw := want[:min(k, len(want))]
			kg := knear[i]
			if len(kg) != len(kw) && !(len(kg) == len(kw)-1 && kw[len(kw)-1].Distance > limit-1e-6) {
				t.Fatalf("seed %d origin %d: k=%d got %v, want %v", seed, i, k, kg, kw)
			}
			for r := range kg {
				if math.Abs(kg[r].Distance-kw[r].Distance) > 1e-6 || math.Abs(dist[i][kg[r].Facility]-kg[r].Distance) > 1e-6 {
					t.Fatalf("seed %d origin %d rank %d: got %v, want %v", seed, i, r, kg, kw)
				}
				if r > 0 && kg[r].Facility == kg[r-1].Facility {
					t.Fatalf("seed %d origin %d: facility twice in %v", seed, i, kg)
				}
			}
			lo, hi := 0, 0
			for _, d := range dist[i] {
				if d <= radius-1e-6 {
					lo++
				}
				if d <= radius+1e-6 {
					hi++
				}
			}
			if counts[i] < lo || counts[i] > hi {
				t.Fatalf("seed %d origin %d: %d facilities within %v m, want %d", seed, i, counts[i], radius, lo)
			}
		}
	}
}

func TestDemoNetworkRoundTrip(t *testing.T) {
	_, net, err := demo.Generate(demo.Options{Scale: 1})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := net.WriteOSM(&buf); err != nil {
		t.Fatal(err)
	}
	g, err := ReadOSM(context.Background(), bytes.NewReader(buf.Bytes()), "xml")
	if err != nil {
		t.Fatal(err)
	}
	// Every node of the demo is on a street, and every pair of consecutive
	// way nodes is a segment.
	if g.Nodes() != len(net.Nodes) {
		t.Errorf("%d nodes, the demo has %d", g.Nodes(), len(net.Nodes))
	}
	segs := map[[2]int64]bool{}
	for _, w := range net.Ways {
		for i := 1; i < len(w.NodeIDs); i++ {
			a, b := w.NodeIDs[i-1], w.NodeIDs[i]
			segs[[2]int64{min(a, b), max(a, b)}] = true
		}
	}
	if g.Edges() != 2*len(segs) {
		t.Errorf("%d edges, want %d", g.Edges(), 2*len(segs))
	}
	if g.BytesPerEdge() > 40 {
		t.Errorf("%.1f bytes per edge, want at most 40", g.BytesPerEdge())
	}
	// The same graph built from the demo's structures in code gives the same
	// distances as the one read from its file.
	nodes := map[int64]Point{}
	for _, n := range net.Nodes {
		nodes[n.ID] = Point{n.Lon, n.Lat}
	}
	var ways [][]int64
	for _, w := range net.Ways {
		ways = append(ways, w.NodeIDs)
	}
	g2 := FromWays(nodes, ways)
	rng := rand.New(rand.NewPCG(5, 5))
	var op, fp []Point
	for range 200 {
		n := net.Nodes[rng.IntN(len(net.Nodes))]
		op = append(op, Point{n.Lon + rng.NormFloat64()*0.0005, n.Lat + rng.NormFloat64()*0.0005})
	}
	for range 20 {
		n := net.Nodes[rng.IntN(len(net.Nodes))]
		fp = append(fp, Point{n.Lon, n.Lat})
	}
	r1 := g.Nearest(g.SnapAll(op, 0), g.SnapAll(fp, 0), 0)
	r2 := g2.Nearest(g2.SnapAll(op, 0), g2.SnapAll(fp, 0), 0)
	reached := 0
	for i := range r1 {
		if r1[i].Facility != r2[i].Facility || math.Abs(r1[i].Distance-r2[i].Distance) > 1e-6 {
			t.Errorf("origin %d: %+v from the file, %+v from code", i, r1[i], r2[i])
		}
		if r1[i].Facility >= 0 {
			reached++
		}
	}
	if reached < len(op)*9/10 {
		t.Errorf("only %d of %d origins reached a facility", reached, len(op))
	}
}

// TestHeidelbergAgainstSingleSource checks the multi-source search on a real
// network against one single-source search per facility.
func TestHeidelbergAgainstSingleSource(t *testing.T) {
	path := osmData(t, "heidelberg.osm.pbf")
	if testing.Short() {
		t.Skip("reads the Heidelberg extract")
	}
	g, err := ReadOSMFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if g.Nodes() < 100000 || g.BytesPerEdge() > 40 {
		t.Fatalf("heidelberg: %d nodes, %.1f bytes per edge", g.Nodes(), g.BytesPerEdge())
	}
	var origins, facilities []Snapped
	for _, s := range g.SampleNodes(benchOriginSeed, 300) {
		origins = append(origins, g.SnapNode(s.Index))
	}
	for _, s := range g.SampleNodes(benchFacilitySeed, 10) {
		p := s.Point
		facilities = append(facilities, g.Snap(Point{p.Lon + 0.0002, p.Lat + 0.0001}, 0))
	}
	got := g.Nearest(origins, facilities, 2000)
	best := make([]Result, len(origins))
	for i := range best {
		best[i] = none
	}
	s := g.NewSearcher()
	for f, fs := range facilities {
		one := s.Nearest(origins, []Snapped{fs}, 2000)
		for i, r := range one {
			if r.Facility == 0 && better(r.Distance, f, best[i]) {
				best[i] = Result{Facility: f, Distance: r.Distance}
			}
		}
	}
	reached := 0
	for i := range got {
		if got[i].Facility != best[i].Facility || math.Abs(got[i].Distance-best[i].Distance) > 1e-9 && got[i].Facility >= 0 {
			t.Errorf("origin %d: %+v, single-source searches say %+v", i, got[i], best[i])
		}
		if got[i].Facility >= 0 {
			reached++
		}
	}
	if reached == 0 {
		t.Error("no origin reached a facility")
	}
	counts := g.CountWithin(origins, facilities, 1500)
	kn := g.KNearest(origins, facilities, len(facilities), 1500)
	for i := range counts {
		if counts[i] != len(kn[i]) {
			t.Errorf("origin %d: %d facilities within 1500 m by count, %d by k-nearest", i, counts[i], len(kn[i]))
		}
	}
}
