package network

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gengxin/gengxin/internal/geo"
)

// osmXML wraps node and way elements into an OpenStreetMap XML document.
func osmXML(body string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>` + "\n<osm version=\"0.6\">\n" + body + "\n</osm>\n"
}

// node writes a node element.
func node(id int64, lon, lat float64) string {
	return fmt.Sprintf(`<node id="%d" lat="%.7f" lon="%.7f"/>`+"\n", id, lat, lon)
}

// way writes a way element with tags given as k=v pairs.
func way(id int64, refs []int64, tags ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<way id="%d">`, id)
	for _, r := range refs {
		fmt.Fprintf(&b, `<nd ref="%d"/>`, r)
	}
	for _, t := range tags {
		k, v, _ := strings.Cut(t, "=")
		fmt.Fprintf(&b, `<tag k="%s" v="%s"/>`, k, v)
	}
	b.WriteString("</way>\n")
	return b.String()
}

func readXML(t *testing.T, doc string) *Graph {
	t.Helper()
	g, err := ReadOSM(context.Background(), strings.NewReader(doc), "xml")
	if err != nil {
		t.Fatalf("ReadOSM: %v", err)
	}
	return g
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-6 }

// hav is the great-circle distance between two points.
func hav(a, b Point) float64 { return geo.Haversine(a.Lon, a.Lat, b.Lon, b.Lat) }

// step is the length of 0.001 degree of latitude.
var step = hav(Point{0, 0}, Point{0, 0.001})

// ladder is a street along a meridian: nodes 1..5 at latitudes 0, 0.001, …,
// 0.004 on longitude 0, and a side street from node 3 to node 6 due east.
func ladder() string {
	var b strings.Builder
	for i := range 5 {
		b.WriteString(node(int64(i+1), 0, float64(i)*0.001))
	}
	b.WriteString(node(6, 0.001, 0.002))
	b.WriteString(way(10, []int64{1, 2, 3, 4, 5}, "highway=residential", "oneway=yes"))
	b.WriteString(way(11, []int64{3, 6}, "highway=footway"))
	return osmXML(b.String())
}

func snapNode(t *testing.T, g *Graph, id int64) Snapped {
	t.Helper()
	i, ok := g.NodeIndex(id)
	if !ok {
		t.Fatalf("node %d is not in the graph", id)
	}
	return g.SnapNode(i)
}

func TestNearestOnHandMadeGraph(t *testing.T) {
	g := readXML(t, ladder())
	if g.Nodes() != 6 || g.Edges() != 10 {
		t.Fatalf("graph has %d nodes, %d edges; want 6 and 10", g.Nodes(), g.Edges())
	}
	side := hav(Point{0, 0.002}, Point{0.001, 0.002})
	origins := []Snapped{snapNode(t, g, 1), snapNode(t, g, 5), snapNode(t, g, 6), {}}
	facilities := []Snapped{snapNode(t, g, 2), snapNode(t, g, 4)}
	got := g.Nearest(origins, facilities, 0)
	want := []Result{{0, step}, {1, step}, {0, side + step}, {-1, math.Inf(1)}}
	for i := range want {
		// Node 6 is as far from 2 as from 4: the tie goes to the lower index.
		if got[i].Facility != want[i].Facility || !near(got[i].Distance, want[i].Distance) && !math.IsInf(want[i].Distance, 1) {
			t.Errorf("origin %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	// One-way tags do not apply: from 5 back to 2 is three steps.
	if d := g.Distance(snapNode(t, g, 5), snapNode(t, g, 2), 0); !near(d, 3*step) {
		t.Errorf("5 to 2: %v, want %v", d, 3*step)
	}
	// With a limit under the distance, nothing is found.
	got = g.Nearest(origins[:1], facilities, step*0.99)
	if got[0].Facility != -1 || !math.IsInf(got[0].Distance, 1) {
		t.Errorf("under the limit: got %+v, want none", got[0])
	}
	got = g.Nearest(origins[:1], facilities, step*1.01)
	if got[0].Facility != 0 {
		t.Errorf("within the limit: got %+v, want facility 0", got[0])
	}
}

func TestSnappedPointsBetweenNodes(t *testing.T) {
	g := readXML(t, ladder())
	// A point 10 m east of the middle of segment 1–2 snaps onto it.
	east := 10 / (metresPerDegree * math.Cos(0.0005*math.Pi/180))
	o := g.Snap(Point{east, 0.0005}, 0)
	if !o.OK || math.Abs(o.SnapDist-10) > 1e-3 {
		t.Fatalf("snap: %+v, want on the network 10 m away", o)
	}
	if u, v, du, dv := o.Segment(); g.NodeID(u)+g.NodeID(v) != 3 || !near(du+dv, step) || math.Abs(du-step/2) > 1e-6 {
		t.Fatalf("snapped onto %d–%d at %v/%v, want the middle of 1–2", g.NodeID(u), g.NodeID(v), du, dv)
	}
	// A facility on the same segment, a quarter of the way from node 1: the
	// walk goes along the segment, not round by a node.
	f := g.Snap(Point{-0.0001, 0.00025}, 0)
	got := g.Nearest([]Snapped{o}, []Snapped{f, snapNode(t, g, 3)}, 0)
	if got[0].Facility != 0 || math.Abs(got[0].Distance-step/4) > 1e-6 {
		t.Errorf("same segment: got %+v, want facility 0 at %v", got[0], step/4)
	}
	// The same point as origin and facility is 0 m away.
	if d := g.Distance(o, o, 0); d != 0 {
		t.Errorf("distance to itself: %v", d)
	}
	// Facility at node 3: from the middle of 1–2, half a step plus one step.
	got = g.Nearest([]Snapped{o}, []Snapped{snapNode(t, g, 3)}, 0)
	if !near(got[0].Distance, 1.5*step) {
		t.Errorf("to node 3: %v, want %v", got[0].Distance, 1.5*step)
	}
	// A point on the side street, snapped onto the middle of 3–6.
	side := hav(Point{0, 0.002}, Point{0.001, 0.002})
	s := g.Snap(Point{0.0005, 0.00201}, 0)
	if d := g.Distance(o, s, 0); !near(d, 1.5*step+side/2) && math.Abs(d-(1.5*step+side/2)) > 1e-3 {
		t.Errorf("to the side street: %v, want %v", d, 1.5*step+side/2)
	}
}

func TestOffNetwork(t *testing.T) {
	g := readXML(t, ladder())
	for _, p := range []Point{{1, 1}, {0.01, 0.002}, {math.NaN(), 0}, {0, 91}, {200, 0}} {
		if s := g.Snap(p, 200); s.OK {
			t.Errorf("%v snapped at %v m; want off-network", p, s.SnapDist)
		}
	}
	// 150 m west of the line: off with a 100 m limit, on with the default.
	p := Point{-150 / metresPerDegree, 0.001}
	if s := g.Snap(p, 100); s.OK {
		t.Errorf("150 m away with a 100 m limit snapped")
	}
	if s := g.Snap(p, 0); !s.OK || math.Abs(s.SnapDist-150) > 0.01 {
		t.Errorf("150 m away with the default limit: %+v", s)
	}
	if s := g.Snap(p, math.Inf(1)); !s.OK {
		t.Errorf("no limit: not snapped")
	}
	// Off-network origins get nothing, off-network facilities are ignored.
	res := g.Nearest([]Snapped{{}, snapNode(t, g, 1)}, []Snapped{{}, snapNode(t, g, 5)}, 0)
	if res[0].Facility != -1 || res[1].Facility != 1 || !near(res[1].Distance, 4*step) {
		t.Errorf("got %+v", res)
	}
	if u, v, _, _ := (Snapped{}).Segment(); u != -1 || v != -1 {
		t.Errorf("off-network segment: %d %d", u, v)
	}
	k := g.KNearest([]Snapped{{}}, []Snapped{snapNode(t, g, 5)}, 3, 0)
	c := g.CountWithin([]Snapped{{}}, []Snapped{snapNode(t, g, 5)}, 1000)
	if len(k[0]) != 0 || c[0] != 0 {
		t.Errorf("off-network origin: k-nearest %v, count %v", k[0], c[0])
	}
}

func TestKNearestAndCount(t *testing.T) {
	g := readXML(t, ladder())
	origins := []Snapped{snapNode(t, g, 1), snapNode(t, g, 3)}
	facilities := []Snapped{snapNode(t, g, 5), snapNode(t, g, 2), snapNode(t, g, 2), snapNode(t, g, 6), {}}
	got := g.KNearest(origins, facilities, 3, 0)
	side := hav(Point{0, 0.002}, Point{0.001, 0.002})
	want := [][]Result{
		{{1, step}, {2, step}, {3, 2*step + side}},
		{{1, step}, {2, step}, {3, side}},
	}
	if side < step {
		want[1] = []Result{{3, side}, {1, step}, {2, step}}
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			t.Fatalf("origin %d: got %v, want %v", i, got[i], want[i])
		}
		for j := range want[i] {
			if got[i][j].Facility != want[i][j].Facility || !near(got[i][j].Distance, want[i][j].Distance) {
				t.Errorf("origin %d rank %d: got %+v, want %+v", i, j+1, got[i][j], want[i][j])
			}
		}
	}
	// Fewer facilities within reach than k.
	got = g.KNearest(origins[:1], facilities, 10, 2.5*step)
	if len(got[0]) != 2 {
		t.Errorf("within 2.5 steps: %v, want two facilities", got[0])
	}
	counts := g.CountWithin(origins, facilities, 1.01*step)
	if counts[0] != 2 || counts[1] != 2+boolInt(side <= 1.01*step) {
		t.Errorf("counts within a step: %v", counts)
	}
	counts = g.CountWithin(origins, facilities, 0)
	if counts[0] != 4 || counts[1] != 4 {
		t.Errorf("counts without a limit: %v", counts)
	}
	// Many origins, few facilities, and the other way round, agree.
	many := []Snapped{}
	for id := int64(1); id <= 6; id++ {
		many = append(many, snapNode(t, g, id))
	}
	a := g.CountWithin(many, facilities[:2], 2*step+1)
	b := g.CountWithin(facilities[:2], many, 2*step+1)
	if sum(a) != sum(b) {
		t.Errorf("pairs within 2 steps: %d counted from origins, %d from facilities", sum(a), sum(b))
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

func TestWalkable(t *testing.T) {
	for _, c := range []struct {
		tags map[string]string
		want bool
	}{
		{map[string]string{"highway": "residential"}, true},
		{map[string]string{"highway": "steps"}, true},
		{map[string]string{"highway": "footway", "foot": "designated"}, true},
		{map[string]string{"highway": "corridor"}, true},
		{map[string]string{"highway": "service", "service": "parking_aisle"}, true},
		{map[string]string{"highway": "path", "access": "no"}, true},
		{map[string]string{"highway": "pedestrian", "area": "no"}, true},
		{map[string]string{"highway": ""}, true},
		{map[string]string{"name": "no highway"}, false},
		{map[string]string{"highway": "pedestrian", "area": "yes"}, false},
		{map[string]string{"highway": "residential", "access": "private"}, false},
		{map[string]string{"highway": "residential", "access": "private;customers"}, false},
		{map[string]string{"highway": "service", "service": "private"}, false},
		{map[string]string{"highway": "primary", "foot": "no"}, false},
		{map[string]string{"highway": "track", "foot": "unknown"}, false},
		{map[string]string{"highway": "cycleway"}, false},
		{map[string]string{"highway": "motorway"}, false},
		{map[string]string{"highway": "motorway_link"}, false},
		{map[string]string{"highway": "construction"}, false},
		{map[string]string{"highway": "proposed"}, false},
		{map[string]string{"highway": "platform"}, false},
		{map[string]string{"highway": "bus_guideway"}, false},
		{map[string]string{"highway": "raceway"}, false},
		{map[string]string{"highway": "abandoned"}, false},
		{map[string]string{"highway": "planned"}, false},
		{map[string]string{"highway": "razed"}, false},
		{map[string]string{"highway": "no"}, false},
		{map[string]string{"highway": "Motorway"}, true}, // the filter is case-sensitive
	} {
		if got := Walkable(c.tags); got != c.want {
			t.Errorf("Walkable(%v) = %v, want %v", c.tags, got, c.want)
		}
	}
}

func TestOSMOddities(t *testing.T) {
	var b strings.Builder
	for i := range 8 {
		b.WriteString(node(int64(i+1), 0, float64(i)*0.001))
	}
	// A square ring of nodes 20..23 with sides of 0.001 degree north of node 8.
	b.WriteString(node(20, 0, 0.008))
	b.WriteString(node(21, 0.001, 0.008))
	b.WriteString(node(22, 0.001, 0.009))
	b.WriteString(node(23, 0, 0.009))
	b.WriteString(node(30, 0.002, 0.002))
	b.WriteString(node(31, 0.003, 0.002))
	b.WriteString(`<node id="40" lat="95" lon="0.004"/>` + "\n")
	b.WriteString(node(41, 0.005, 0.002))
	// Missing node 99 in the middle of 1–99–2: cut there; 2–2 repeated; steps.
	b.WriteString(way(1, []int64{1, 99, 2, 2, 3}, "highway=steps"))
	b.WriteString(way(2, []int64{3, 4}, "highway=footway", "area=yes"))
	b.WriteString(way(3, []int64{4, 5}, "highway=footway", "foot=no"))
	b.WriteString(way(4, []int64{5, 6}, "highway=service", "access=private"))
	b.WriteString(way(5, []int64{6, 7, 8, 20}, "highway=path"))
	b.WriteString(way(6, []int64{20, 21, 22, 23, 20}, "highway=pedestrian")) // closed way
	b.WriteString(way(7, []int64{7, 8}, "highway=footway"))                  // drawn twice
	b.WriteString(way(8, []int64{30, 30}, "highway=footway"))                // only a self-loop
	b.WriteString(way(9, []int64{31, 40, 41}, "highway=footway"))            // invalid node in the middle
	b.WriteString(way(10, []int64{3, 3, 3}, "highway=footway"))
	b.WriteString(way(11, []int64{}, "highway=footway"))
	b.WriteString(way(12, []int64{98, 97}, "highway=footway"))
	g := readXML(t, osmXML(b.String()))
	st := g.Stats()
	if st.MissingRefs != 4 || st.BadNodes != 1 || st.Ways != 9 {
		t.Errorf("stats %+v: want 9 ways, 4 missing references and 1 bad node", st)
	}
	for _, id := range []int64{1, 4, 5, 30, 31, 40, 41, 99} {
		if _, ok := g.NodeIndex(id); ok {
			t.Errorf("node %d should not be in the graph", id)
		}
	}
	// Segments: 2–3, 6–7, 7–8, 8–20, and the ring's four sides.
	if g.Edges() != 2*8 || g.Nodes() != 9 {
		t.Errorf("graph has %d nodes and %d edges, want 9 and 16", g.Nodes(), g.Edges())
	}
	// Round the ring: from 20 to 22 is two sides either way.
	d := g.Distance(snapNode(t, g, 20), snapNode(t, g, 22), 0)
	want := hav(Point{0, 0.008}, Point{0.001, 0.008}) + hav(Point{0.001, 0.008}, Point{0.001, 0.009})
	want = min(want, hav(Point{0, 0.008}, Point{0, 0.009})+hav(Point{0, 0.009}, Point{0.001, 0.009}))
	if !near(d, want) {
		t.Errorf("round the ring: %v, want %v", d, want)
	}
	// 2–3 is cut off from the rest.
	if d := g.Distance(snapNode(t, g, 2), snapNode(t, g, 6), 0); !math.IsInf(d, 1) {
		t.Errorf("across the excluded ways: %v, want unreachable", d)
	}
	if d := g.Distance(snapNode(t, g, 2), snapNode(t, g, 3), 0); !near(d, step) {
		t.Errorf("steps: %v, want %v", d, step)
	}
}

func TestReadErrors(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name, format, data string
		is                 error
		text               string
	}{
		{"empty xml", "xml", "", ErrEmptyFile, "empty"},
		{"blank xml", "xml", "  \n", ErrEmptyFile, "empty"},
		{"empty pbf", "pbf", "", ErrEmptyFile, "empty"},
		{"not xml", "xml", "hello world", nil, "not an OpenStreetMap XML"},
		{"not pbf", "pbf", "hello world", nil, "not an OpenStreetMap PBF"},
		{"bad format", "shp", "x", nil, "unknown format"},
		{"truncated xml", "xml", osmXML(node(1, 0, 0))[:60], nil, "damaged or truncated"},
		{"no ways", "xml", osmXML(node(1, 0, 0)), ErrNoWalkways, "no walkable"},
		{"only excluded ways", "xml", osmXML(node(1, 0, 0) + node(2, 0, 0.001) + way(1, []int64{1, 2}, "highway=motorway")), ErrNoWalkways, "no walkable"},
		{"ways without nodes", "xml", osmXML(way(1, []int64{1, 2}, "highway=footway")), ErrNoWalkways, "2 references to missing nodes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, err := ReadOSM(ctx, strings.NewReader(c.data), c.format)
			if err == nil {
				t.Fatalf("no error; graph with %d nodes", g.Nodes())
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %v is not %v", err, c.is)
			}
			if !strings.Contains(err.Error(), c.text) {
				t.Errorf("error %q does not say %q", err, c.text)
			}
		})
	}
	if _, err := ReadOSMFile(ctx, filepath.Join(t.TempDir(), "missing.osm.pbf")); err == nil {
		t.Error("missing file: no error")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := ReadOSM(cancelled, strings.NewReader(ladder()), "xml"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestTruncatedAndCorruptPBF(t *testing.T) {
	src := osmData(t, "monaco.osm.pbf")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	whole, err := ReadOSM(ctx, bytes.NewReader(data), "pbf")
	if err != nil {
		t.Fatalf("whole file: %v", err)
	}
	if whole.Nodes() < 1000 || whole.BytesPerEdge() > 40 {
		t.Errorf("monaco: %d nodes, %.1f bytes per edge", whole.Nodes(), whole.BytesPerEdge())
	}
	dir := t.TempDir()
	half := filepath.Join(dir, "half.osm.pbf")
	if err := os.WriteFile(half, data[:len(data)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadOSMFile(ctx, half); err == nil || !strings.Contains(err.Error(), "half.osm.pbf") || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("half a file: %v", err)
	}
	// Corrupt bytes in the middle of the file.
	bad := slices.Clone(data)
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range 2000 {
		bad[len(bad)/3+i*37%(len(bad)/2)] = byte(rng.IntN(256))
	}
	if g, err := ReadOSM(ctx, bytes.NewReader(bad), "pbf"); err == nil {
		t.Logf("corrupt file read anyway: %d nodes", g.Nodes())
	}
	for _, n := range []int{10, 100, 1000, 100000} {
		if _, err := ReadOSM(ctx, bytes.NewReader(data[:n]), "pbf"); err == nil {
			t.Errorf("first %d bytes: no error", n)
		}
	}
}

func TestReadOSMFileFormats(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.osm", "a.xml", "noext"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(ladder()), 0o600); err != nil {
			t.Fatal(err)
		}
		g, err := ReadOSMFile(context.Background(), p)
		if err != nil || g.Nodes() != 6 {
			t.Errorf("%s: %v", name, err)
		}
	}
	if FormatOf("x.osm.pbf") != "pbf" || FormatOf("x.OSM") != "xml" || FormatOf("x.csv") != "" {
		t.Error("FormatOf")
	}
}

func TestHaversineSameAsGeo(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		lon1, lat1 := rng.Float64()*360-180, rng.Float64()*180-90
		lon2, lat2 := lon1+rng.NormFloat64()*0.01, min(max(lat1+rng.NormFloat64()*0.01, -90), 90)
		p1, p2 := lat1*math.Pi/180, lat2*math.Pi/180
		got := haversine(p1, math.Cos(p1), lon1, p2, math.Cos(p2), lon2)
		want := geo.Haversine(lon1, lat1, lon2, lat2)
		if math.Abs(got-want) > 1e-9 {
			t.Fatalf("haversine %v, geo.Haversine %v", got, want)
		}
	}
}

func TestRadixSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 5, 255, 256, 1000, 50000} {
		keys := make([]uint64, n)
		vals := make([]int32, n)
		for i := range keys {
			keys[i] = rng.Uint64() >> (rng.IntN(4) * 16)
			vals[i] = int32(i)
		}
		orig := slices.Clone(keys)
		radixSort(keys, vals)
		if !slices.IsSorted(keys) {
			t.Fatalf("n=%d: not sorted", n)
		}
		for i, v := range vals {
			if orig[v] != keys[i] {
				t.Fatalf("n=%d: values not moved with keys", n)
			}
		}
	}
}

func TestNodeIdsAndSamples(t *testing.T) {
	g := readXML(t, ladder())
	for i := range g.Nodes() {
		j, ok := g.NodeIndex(g.NodeID(i))
		if !ok || j != i {
			t.Errorf("NodeIndex(NodeID(%d)) = %d, %v", i, j, ok)
		}
	}
	if _, ok := g.NodeIndex(12345); ok {
		t.Error("unknown id found")
	}
	a, b := g.SampleNodes(5, 3), g.SampleNodes(5, 3)
	if !slices.Equal(a, b) || len(a) != 3 {
		t.Errorf("samples differ: %v %v", a, b)
	}
	all := g.SampleNodes(1, 100)
	if len(all) != 6 || all[0].ID != 1 || all[5].ID != 6 || all[5].Point != (Point{0.001, 0.002}) {
		t.Errorf("all nodes: %v", all)
	}
	if g.SampleNodes(1, 0) != nil {
		t.Error("zero samples")
	}
	// The pick does not depend on the order of the input.
	var rev strings.Builder
	rev.WriteString(way(11, []int64{3, 6}, "highway=footway"))
	rev.WriteString(way(10, []int64{1, 2, 3, 4, 5}, "highway=residential"))
	for i := 6; i >= 1; i-- {
		lon, lat := 0.0, float64(i-1)*0.001
		if i == 6 {
			lon, lat = 0.001, 0.002
		}
		rev.WriteString(node(int64(i), lon, lat))
	}
	g2 := readXML(t, osmXML(rev.String()))
	for k, s := range g2.SampleNodes(5, 3) {
		if s.ID != a[k].ID {
			t.Errorf("sample %d: %d, want %d", k, s.ID, a[k].ID)
		}
	}
}

func TestWriteOSMRoundTrip(t *testing.T) {
	g := readXML(t, ladder())
	var buf bytes.Buffer
	if err := g.WriteOSM(&buf); err != nil {
		t.Fatal(err)
	}
	g2 := readXML(t, buf.String())
	if g2.Nodes() != g.Nodes() || g2.Edges() != g.Edges() {
		t.Fatalf("round trip: %d/%d nodes, %d/%d edges", g2.Nodes(), g.Nodes(), g2.Edges(), g.Edges())
	}
	if d := g2.Distance(snapNode(t, g2, 1), snapNode(t, g2, 6), 0); !near(d, g.Distance(snapNode(t, g, 1), snapNode(t, g, 6), 0)) {
		t.Errorf("distance changed: %v", d)
	}
	if !strings.Contains(buf.String(), `lat="0.0040000" lon="0.0000000"`) {
		t.Errorf("coordinates not written with 7 decimals:\n%s", buf.String())
	}
	if got := string(appendFixed7(nil, -1234567)); got != "-0.1234567" {
		t.Errorf("appendFixed7: %s", got)
	}
}

func TestEmptyGraph(t *testing.T) {
	g := FromWays(nil, nil)
	if g.Nodes() != 0 || g.Edges() != 0 || g.BytesPerEdge() != 0 {
		t.Fatal("not empty")
	}
	if s := g.Snap(Point{0, 0}, 0); s.OK {
		t.Error("snapped onto nothing")
	}
	if r := g.Nearest([]Snapped{{}}, nil, 0); r[0].Facility != -1 {
		t.Error("found something")
	}
	if s := g.SnapNode(0); s.OK {
		t.Error("SnapNode on an empty graph")
	}
}

func FuzzReadOSMXML(f *testing.F) {
	f.Add(ladder())
	f.Add(osmXML(node(1, 0, 0) + node(2, 0, 0.001) + way(1, []int64{1, 2, 1, 3}, "highway=footway")))
	f.Add(osmXML(`<node id="1" lat="x" lon="0"/>`))
	f.Add(`<osm><way id="1"><nd ref="1"/></way></osm>`)
	f.Add("")
	f.Fuzz(func(t *testing.T, doc string) {
		g, err := ReadOSM(context.Background(), strings.NewReader(doc), "xml")
		if err != nil {
			return
		}
		if g.Edges() == 0 || g.Edges()%2 != 0 {
			t.Fatalf("graph with %d edges", g.Edges())
		}
		pts := []Point{g.NodePoint(0), {0, 0}, {g.NodePoint(0).Lon + 0.0001, g.NodePoint(0).Lat}}
		s := g.SnapAll(pts, 1000)
		g.Nearest(s, s, 0)
		g.KNearest(s, s, 2, 500)
		g.CountWithin(s, s, 100)
	})
}

func TestSegments(t *testing.T) {
	g := FromWays(map[int64]Point{1: {0, 0}, 2: {0.001, 0}, 3: {0.002, 0}, 4: {0.003, 0}}, [][]int64{{1, 2, 3}, {3, 4}})
	count := func(minLon, maxLon float64) int {
		n := 0
		g.Segments(minLon, -1, maxLon, 1, func(a, b Point) bool { n++; return true })
		return n
	}
	if n := count(-1, 1); n != 3 {
		t.Errorf("every segment once: got %d, want 3", n)
	}
	if n := count(0.0025, 0.0035); n != 1 {
		t.Errorf("segments touching the box at its east end: got %d, want 1", n)
	}
	if n := count(0.01, 0.02); n != 0 {
		t.Errorf("segments far away: got %d", n)
	}
	n := 0
	g.Segments(-1, -1, 1, 1, func(a, b Point) bool { n++; return false })
	if n != 1 {
		t.Errorf("stopping after the first segment: got %d calls", n)
	}
}
