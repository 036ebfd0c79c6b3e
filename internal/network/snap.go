package network

import (
	"math"
	"runtime"
	"sync"

	"github.com/gengxin/gengxin/internal/geo"
)

// DefaultMaxSnap is the default maximum distance in metres between a point and
// the segment it is snapped to; farther points are off-network.
const DefaultMaxSnap = 200.0

// metresPerDegree is the length of one degree of latitude on the sphere.
const metresPerDegree = geo.EarthRadius * math.Pi / 180

// Snapped is a point placed on the walk network: on the segment between nodes
// u and v (u < v), at great-circle distance du from u and dv from v. The zero
// value is an off-network point.
type Snapped struct {
	OK       bool    // false: off-network (too far from every walkable segment, or not a valid position)
	SnapDist float64 // metres from the point to At
	At       Point   // the projection of the point on the segment

	u, v   int32   // the segment, by graph node
	du, dv float64 // distances to u and v along the segment

	// Where the point hangs on the search graph (see coreGraph).
	a, b   int32   // core nodes at the ends of its chain or segment
	ta, tb float64 // distances to a and b along the chain
	key    uint64  // the chain or direct segment it lies on
}

// Segment returns the two nodes of the segment the point was snapped to and the
// distances from the snapped point to each; u and v are -1 for an off-network
// point.
func (s Snapped) Segment() (u, v int, du, dv float64) {
	if !s.OK {
		return -1, -1, 0, 0
	}
	return int(s.u), int(s.v), s.du, s.dv
}

// SnapNode returns the position of node i as a snapped point, lying at the end
// of one of the node's segments.
func (g *Graph) SnapNode(i int) Snapped {
	if i < 0 || i >= len(g.ids) || g.first[i] == g.first[i+1] {
		return Snapped{}
	}
	e := g.first[i]
	s := Snapped{OK: true, At: g.NodePoint(i)}
	if w := g.to[e]; int32(i) < w {
		s.u, s.v, s.du, s.dv = int32(i), w, 0, g.length[e]
	} else {
		s.u, s.v, s.du, s.dv = w, int32(i), g.length[e], 0
	}
	g.locate(&s)
	return s
}

// Snap places a point on the nearest walkable segment. A point farther than
// maxSnap metres from every segment (maxSnap <= 0 means DefaultMaxSnap), or with
// an invalid position, comes back off-network (OK false).
func (g *Graph) Snap(p Point, maxSnap float64) Snapped {
	if !(maxSnap > 0) {
		maxSnap = DefaultMaxSnap
	}
	if len(g.tree.levels) == 0 || geo.ValidLonLat(p.Lon, p.Lat) != nil {
		return Snapped{}
	}
	q := snapQuery{
		g: g, p: p,
		kx:    metresPerDegree * math.Cos(p.Lat*math.Pi/180),
		ky:    metresPerDegree,
		best:  math.Inf(1),
		bound: maxSnap*1.001 + 0.01, // the local metric is not quite the great circle
		seg:   segRef{u: -1},
	}
	top := len(g.tree.levels) - 1
	q.visit(top, 0, len(g.tree.levels[top]))
	if q.seg.u < 0 {
		return Snapped{}
	}
	u, v, t := q.seg.u, q.seg.v, q.t
	length := g.segmentLength(u, v)
	a, b := g.coords[u].point(), g.coords[v].point()
	s := Snapped{OK: true, u: u, v: v}
	switch t {
	case 0:
		s.At, s.du, s.dv = a, 0, length
	case 1:
		s.At, s.du, s.dv = b, length, 0
	default:
		s.At = Point{Lon: a.Lon + t*(b.Lon-a.Lon), Lat: a.Lat + t*(b.Lat-a.Lat)}
		// The two parts, measured on the great circle, are scaled to add up
		// to the segment's length exactly, so that passing a snapped point
		// costs the same as passing the segment. They differ only by the
		// rounding of the nodes to 1e-7 degree.
		du := geo.Haversine(a.Lon, a.Lat, s.At.Lon, s.At.Lat)
		dv := geo.Haversine(s.At.Lon, s.At.Lat, b.Lon, b.Lat)
		if du+dv > 0 {
			s.du = length * (du / (du + dv))
		}
		s.dv = max(length-s.du, 0)
	}
	s.SnapDist = geo.Haversine(p.Lon, p.Lat, s.At.Lon, s.At.Lat)
	if s.SnapDist > maxSnap {
		return Snapped{}
	}
	g.locate(&s)
	return s
}

// snapQuery is one nearest-segment search. Distances are measured in a local
// equirectangular projection around the point, which at these distances is the
// great circle to a few parts per million.
type snapQuery struct {
	g      *Graph
	p      Point
	kx, ky float64 // metres per degree of longitude and latitude at the point
	best   float64 // distance to the best segment so far
	bound  float64 // farthest distance of interest
	seg    segRef  // best segment so far
	t      float64 // position of the projection on it, 0 at u, 1 at v
}

// boxDist returns the distance from the point to a box, +Inf for an empty one.
func (q *snapQuery) boxDist(b box) float64 {
	if b.minLon > b.maxLon {
		return math.Inf(1)
	}
	dx := max(float64(b.minLon)/coordScale-q.p.Lon, 0, q.p.Lon-float64(b.maxLon)/coordScale) * q.kx
	dy := max(float64(b.minLat)/coordScale-q.p.Lat, 0, q.p.Lat-float64(b.maxLat)/coordScale) * q.ky
	return math.Sqrt(dx*dx + dy*dy)
}

// visit looks into boxes lo..hi-1 of a tree level, nearest first, skipping
// those farther than the best segment found.
func (q *snapQuery) visit(level, lo, hi int) {
	type cand struct {
		d float64
		i int
	}
	var cs [treeFanout]cand
	n := 0
	boxes := q.g.tree.levels[level]
	for i := lo; i < hi; i++ {
		c := cand{d: q.boxDist(boxes[i]), i: i}
		if c.d > q.bound {
			continue
		}
		j := n
		for ; j > 0 && cs[j-1].d > c.d; j-- {
			cs[j] = cs[j-1]
		}
		cs[j] = c
		n++
	}
	for _, c := range cs[:n] {
		if c.d > q.best || c.d > q.bound {
			break
		}
		if level == 0 {
			q.leaf(c.i)
			continue
		}
		below := len(q.g.tree.levels[level-1])
		q.visit(level-1, c.i*treeFanout, min((c.i+1)*treeFanout, below))
	}
}

// leaf measures the segments owned by the nodes of a leaf.
func (q *snapQuery) leaf(i int) {
	g := q.g
	for u := int32(i * leafNodes); u < int32(min((i+1)*leafNodes, len(g.ids))); u++ {
		a := g.coords[u]
		ax := (float64(a.lon)/coordScale - q.p.Lon) * q.kx
		ay := (float64(a.lat)/coordScale - q.p.Lat) * q.ky
		for e := g.first[u]; e < g.first[u+1]; e++ {
			v := g.to[e]
			if v <= u {
				continue
			}
			b := g.coords[v]
			dx := (float64(b.lon)/coordScale-q.p.Lon)*q.kx - ax
			dy := (float64(b.lat)/coordScale-q.p.Lat)*q.ky - ay
			t := 0.0
			if l2 := dx*dx + dy*dy; l2 > 0 {
				t = min(max(-(ax*dx+ay*dy)/l2, 0), 1)
			}
			px, py := ax+t*dx, ay+t*dy
			if d := math.Sqrt(px*px + py*py); d < q.best {
				q.best, q.seg, q.t = d, segRef{u: u, v: v}, t
			}
		}
	}
}

// SnapAll snaps every point; see Snap.
func (g *Graph) SnapAll(ps []Point, maxSnap float64) []Snapped {
	out := make([]Snapped, len(ps))
	workers := min(runtime.GOMAXPROCS(0), 1+len(ps)/2048)
	if workers <= 1 {
		for i, p := range ps {
			out[i] = g.Snap(p, maxSnap)
		}
		return out
	}
	var wg sync.WaitGroup
	chunk := (len(ps) + workers - 1) / workers
	for lo := 0; lo < len(ps); lo += chunk {
		hi := min(lo+chunk, len(ps))
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				out[i] = g.Snap(ps[i], maxSnap)
			}
		})
	}
	wg.Wait()
	return out
}

// segRef is a segment by its nodes, u < v.
type segRef struct{ u, v int32 }

// segmentLength returns the length of the segment between nodes u and v.
func (g *Graph) segmentLength(u, v int32) float64 {
	for e := g.first[u]; e < g.first[u+1]; e++ {
		if g.to[e] == v {
			return g.length[e]
		}
	}
	return math.NaN()
}

// Shape of the segment tree.
const (
	leafNodes  = 8 // nodes per leaf
	treeFanout = 8 // boxes per box of the level above
)

// segTree is a packed bounding-box tree over the segments. Each segment belongs
// to its lower node; a leaf covers leafNodes consecutive nodes (consecutive along
// the Hilbert curve, so near each other) and the box of the segments they own.
// Level 0 holds the leaves; each level above groups treeFanout boxes, up to a
// top level of at most treeFanout boxes.
type segTree struct {
	levels [][]box
}

// box is a bounding box in units of 1e-7 degree; empty when minLon > maxLon.
type box struct{ minLon, minLat, maxLon, maxLat int32 }

var emptyBox = box{minLon: math.MaxInt32, minLat: math.MaxInt32, maxLon: math.MinInt32, maxLat: math.MinInt32}

func (b *box) add(c coord) {
	b.minLon, b.maxLon = min(b.minLon, c.lon), max(b.maxLon, c.lon)
	b.minLat, b.maxLat = min(b.minLat, c.lat), max(b.maxLat, c.lat)
}

func (b *box) union(o box) {
	b.minLon, b.maxLon = min(b.minLon, o.minLon), max(b.maxLon, o.maxLon)
	b.minLat, b.maxLat = min(b.minLat, o.minLat), max(b.maxLat, o.maxLat)
}

func buildTree(g *Graph) segTree {
	n := len(g.ids)
	if len(g.to) == 0 {
		return segTree{}
	}
	leaves := make([]box, (n+leafNodes-1)/leafNodes)
	for i := range leaves {
		b := emptyBox
		for u := int32(i * leafNodes); u < int32(min((i+1)*leafNodes, n)); u++ {
			owns := false
			for e := g.first[u]; e < g.first[u+1]; e++ {
				if v := g.to[e]; v > u {
					b.add(g.coords[v])
					owns = true
				}
			}
			if owns {
				b.add(g.coords[u])
			}
		}
		leaves[i] = b
	}
	t := segTree{levels: [][]box{leaves}}
	for prev := leaves; len(prev) > treeFanout; {
		next := make([]box, (len(prev)+treeFanout-1)/treeFanout)
		for j := range next {
			b := emptyBox
			for _, c := range prev[j*treeFanout : min((j+1)*treeFanout, len(prev))] {
				b.union(c)
			}
			next[j] = b
		}
		t.levels = append(t.levels, next)
		prev = next
	}
	return t
}

func (t *segTree) bytes() int {
	n := 0
	for _, l := range t.levels {
		n += cap(l) * 16
	}
	return n
}
