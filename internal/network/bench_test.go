package network

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/paulmach/osm/osmpbf"
)

// osmData returns the path of a file of the shared OpenStreetMap extracts, or
// skips the test when it is not there.
func osmData(tb testing.TB, name string) string {
	tb.Helper()
	for _, dir := range []string{"/work/shared/data/osm", filepath.Join("..", "..", "..", "shared", "data", "osm")} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	tb.Skipf("%s not found in /work/shared/data/osm or ../../../shared/data/osm: skipping the test that needs it", name)
	return ""
}

// heidelberg is the Heidelberg graph, read once for all benchmarks.
var heidelberg = sync.OnceValues(func() (*Graph, error) {
	return ReadOSMFile(context.Background(), "/work/shared/data/osm/heidelberg.osm.pbf")
})

func heidelbergGraph(b *testing.B) *Graph {
	b.Helper()
	osmData(b, "heidelberg.osm.pbf")
	g, err := heidelberg()
	if err != nil {
		b.Fatal(err)
	}
	return g
}

// Seeds for the benchmark points; a comparison with other engines picks the
// same nodes with SampleNodes and these seeds.
const (
	benchOriginSeed   = 1
	benchFacilitySeed = 2
)

func BenchmarkReadHeidelberg(b *testing.B) {
	path := osmData(b, "heidelberg.osm.pbf")
	b.ReportAllocs()
	var g *Graph
	for b.Loop() {
		var err error
		if g, err = ReadOSMFile(context.Background(), path); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(g.Nodes()), "nodes")
	b.ReportMetric(float64(g.Edges()), "edges")
	b.ReportMetric(g.BytesPerEdge(), "bytes/edge")
}

func BenchmarkDecodeHeidelberg(b *testing.B) {
	path := osmData(b, "heidelberg.osm.pbf")
	b.ReportAllocs()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		sc := osmpbf.New(context.Background(), f, runtime.GOMAXPROCS(0))
		n := 0
		for sc.Scan() {
			n++
		}
		if err := sc.Err(); err != nil {
			b.Fatal(err)
		}
		sc.Close()
		f.Close()
		if n == 0 {
			b.Fatal("no objects")
		}
	}
}

// benchPoints snaps the benchmark origins (1,000 nodes) and facilities (50).
func benchPoints(g *Graph) (origins, facilities []Snapped) {
	for _, s := range g.SampleNodes(benchOriginSeed, 1000) {
		origins = append(origins, g.SnapNode(s.Index))
	}
	for _, s := range g.SampleNodes(benchFacilitySeed, 50) {
		facilities = append(facilities, g.SnapNode(s.Index))
	}
	return origins, facilities
}

func BenchmarkNearest1000m(b *testing.B) {
	g := heidelbergGraph(b)
	origins, facilities := benchPoints(g)
	s := g.NewSearcher()
	out := make([]Result, len(origins))
	b.ReportAllocs()
	for b.Loop() {
		s.nearest(out, origins, facilities, 1000)
	}
	reached := 0
	for _, r := range out {
		if r.Facility >= 0 {
			reached++
		}
	}
	b.ReportMetric(float64(reached), "reached")
}

func BenchmarkNearestUnbounded(b *testing.B) {
	g := heidelbergGraph(b)
	origins, facilities := benchPoints(g)
	s := g.NewSearcher()
	out := make([]Result, len(origins))
	b.ReportAllocs()
	for b.Loop() {
		s.nearest(out, origins, facilities, 0)
	}
}

func BenchmarkEndToEnd(b *testing.B) {
	path := osmData(b, "heidelberg.osm.pbf")
	g0 := heidelbergGraph(b)
	var op, fp []Point
	for _, s := range g0.SampleNodes(benchOriginSeed, 1000) {
		op = append(op, Point{Lon: s.Point.Lon + 0.0001, Lat: s.Point.Lat + 0.0001})
	}
	for _, s := range g0.SampleNodes(benchFacilitySeed, 50) {
		fp = append(fp, Point{Lon: s.Point.Lon - 0.0001, Lat: s.Point.Lat + 0.0001})
	}
	b.ReportAllocs()
	for b.Loop() {
		g, err := ReadOSMFile(context.Background(), path)
		if err != nil {
			b.Fatal(err)
		}
		res := g.Nearest(g.SnapAll(op, 0), g.SnapAll(fp, 0), 0)
		if len(res) != len(op) {
			b.Fatal("wrong length")
		}
	}
}

func BenchmarkSnap(b *testing.B) {
	g := heidelbergGraph(b)
	var ps []Point
	for _, s := range g.SampleNodes(3, 1000) {
		ps = append(ps, Point{Lon: s.Point.Lon + 0.0003, Lat: s.Point.Lat - 0.0002})
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range ps {
			g.Snap(p, 0)
		}
	}
}
