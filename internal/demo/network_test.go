package demo

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/osm"
	"github.com/paulmach/osm/osmxml"
)

var highways = map[string]bool{
	hwPrimary: true, hwSecondary: true, hwTertiary: true, hwResidential: true,
	hwLiving: true, hwPedestrian: true, hwFootway: true, hwService: true,
}

// checkNetwork asserts that every way is valid and that every node can be
// reached from the first one.
func checkNetwork(t *testing.T, net *Network) {
	t.Helper()
	if len(net.Nodes) == 0 || len(net.Ways) == 0 {
		t.Fatalf("empty network: %d nodes, %d ways", len(net.Nodes), len(net.Ways))
	}
	index := make(map[int64]int, len(net.Nodes))
	for i, n := range net.Nodes {
		if _, dup := index[n.ID]; dup {
			t.Fatalf("node %d twice", n.ID)
		}
		index[n.ID] = i
	}
	adj := make([][]int, len(net.Nodes))
	seenWay := map[int64]bool{}
	for _, w := range net.Ways {
		if seenWay[w.ID] {
			t.Errorf("way %d twice", w.ID)
		}
		seenWay[w.ID] = true
		if len(w.NodeIDs) < 2 {
			t.Errorf("way %d has %d nodes", w.ID, len(w.NodeIDs))
		}
		if !highways[w.Highway] {
			t.Errorf("way %d highway %q", w.ID, w.Highway)
		}
		for i, id := range w.NodeIDs {
			k, ok := index[id]
			if !ok {
				t.Fatalf("way %d refers to missing node %d", w.ID, id)
			}
			if i > 0 {
				p := index[w.NodeIDs[i-1]]
				if p == k {
					t.Errorf("way %d repeats node %d", w.ID, id)
				}
				adj[p] = append(adj[p], k)
				adj[k] = append(adj[k], p)
			}
		}
	}
	seen := make([]bool, len(net.Nodes))
	queue := []int{0}
	seen[0] = true
	reached := 1
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, m := range adj[n] {
			if !seen[m] {
				seen[m] = true
				reached++
				queue = append(queue, m)
			}
		}
	}
	if reached != len(net.Nodes) {
		t.Errorf("walk network is not connected: %d of %d nodes reachable", reached, len(net.Nodes))
	}
}

func TestNetworkIsConnected(t *testing.T) {
	_, net := generate(t, Options{})
	checkNetwork(t, net)
	kinds := map[string]bool{}
	for _, w := range net.Ways {
		kinds[w.Highway] = true
	}
	for hw := range highways {
		if !kinds[hw] {
			t.Errorf("no way of highway=%s", hw)
		}
	}
}

// metres returns the local east/north offset of (lon, lat) from the city centre.
func metres(lon, lat float64) (float64, float64) {
	k := math.Pi / 180 * earthRadius
	return (lon - centreLon) * k * math.Cos(centreLat*math.Pi/180), (lat - centreLat) * k
}

func segmentDistance(px, py, ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	u := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		u = math.Max(0, math.Min(1, ((px-ax)*dx+(py-ay)*dy)/l))
	}
	return math.Hypot(px-(ax+u*dx), py-(ay+u*dy))
}

func TestGatesAndFacilitiesAreNearStreets(t *testing.T) {
	ds, net := generate(t, Options{})
	pos := make(map[int64][2]float64, len(net.Nodes))
	for _, n := range net.Nodes {
		x, y := metres(n.Lon, n.Lat)
		pos[n.ID] = [2]float64{x, y}
	}
	type seg struct{ a, b [2]float64 }
	var streets []seg // everything but the gates' own service stubs
	for _, w := range net.Ways {
		if w.Highway == hwService || w.Highway == hwFootway {
			continue
		}
		for i := 1; i < len(w.NodeIDs); i++ {
			streets = append(streets, seg{pos[w.NodeIDs[i-1]], pos[w.NodeIDs[i]]})
		}
	}
	nearest := func(lon, lat float64) float64 {
		x, y := metres(lon, lat)
		best := math.Inf(1)
		for _, s := range streets {
			best = math.Min(best, segmentDistance(x, y, s.a[0], s.a[1], s.b[0], s.b[1]))
		}
		return best
	}
	for _, c := range ds.Compounds {
		for _, g := range c.Gates {
			if d := nearest(g.Lon, g.Lat); d > 50 {
				t.Errorf("compound %s: gate %.0f m from the nearest street", c.Code, d)
			}
		}
	}
	for _, f := range ds.Facilities {
		if f.Geometry != "" {
			continue
		}
		if d := nearest(f.Lon, f.Lat); d > 50 {
			t.Errorf("facility %s: %.0f m from the nearest street", f.Name, d)
		}
	}
}

func TestWriteOSMRoundTrips(t *testing.T) {
	_, net := generate(t, Options{})
	var buf bytes.Buffer
	if err := net.WriteOSM(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String()[:200], `<osm version="0.6" generator="gengxin demo">`) {
		t.Errorf("unexpected header: %q", buf.String()[:200])
	}
	sc := osmxml.New(context.Background(), &buf)
	defer sc.Close()
	nodes := map[osm.NodeID]*osm.Node{}
	var ways []*osm.Way
	for sc.Scan() {
		switch o := sc.Object().(type) {
		case *osm.Node:
			nodes[o.ID] = o
		case *osm.Way:
			ways = append(ways, o)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("osmxml: %v", err)
	}
	if len(nodes) != len(net.Nodes) || len(ways) != len(net.Ways) {
		t.Fatalf("read back %d nodes and %d ways, wrote %d and %d", len(nodes), len(ways), len(net.Nodes), len(net.Ways))
	}
	for i, n := range net.Nodes {
		o := nodes[osm.NodeID(n.ID)]
		if o == nil || math.Abs(o.Lon-n.Lon) > 1e-7 || math.Abs(o.Lat-n.Lat) > 1e-7 || o.Version != 1 {
			t.Fatalf("node %d: wrote %+v, read %+v", i, n, o)
		}
	}
	named := 0
	for i, w := range ways {
		want := net.Ways[i]
		if int64(w.ID) != want.ID || len(w.Nodes) != len(want.NodeIDs) || w.Tags.Find("highway") != want.Highway || w.Tags.Find("name") != want.Name {
			t.Fatalf("way %d: wrote %+v, read id %d, %d nodes, tags %v", i, want, w.ID, len(w.Nodes), w.Tags)
		}
		for k, nd := range w.Nodes {
			if int64(nd.ID) != want.NodeIDs[k] {
				t.Fatalf("way %d node %d: %d, want %d", w.ID, k, nd.ID, want.NodeIDs[k])
			}
		}
		if want.Name != "" {
			named++
		}
	}
	if named == 0 {
		t.Error("no named ways")
	}
}

func TestWriteOSMEscapesNames(t *testing.T) {
	net := &Network{
		Nodes: []Node{{ID: 1, Lon: 119.95, Lat: 31.78}, {ID: 2, Lon: 119.951, Lat: 31.78}},
		Ways:  []Way{{ID: 1, NodeIDs: []int64{1, 2}, Highway: hwResidential, Name: `A&B "<路>"`}},
	}
	var buf bytes.Buffer
	if err := net.WriteOSM(&buf); err != nil {
		t.Fatal(err)
	}
	sc := osmxml.New(context.Background(), &buf)
	defer sc.Close()
	for sc.Scan() {
		if w, ok := sc.Object().(*osm.Way); ok && w.Tags.Find("name") != `A&B "<路>"` {
			t.Errorf("name read back as %q", w.Tags.Find("name"))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	bad := &Network{Nodes: net.Nodes, Ways: []Way{{ID: 1, NodeIDs: []int64{1}, Highway: hwFootway}}}
	if err := bad.WriteOSM(&bytes.Buffer{}); err == nil {
		t.Error("a one-node way was written")
	}
}
