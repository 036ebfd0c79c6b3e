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

	u, v   int32
	du, dv float64
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
	return s
}

// Snap places a point on the nearest walkable segment. A point farther than
// maxSnap metres from every segment (maxSnap <= 0 means DefaultMaxSnap), or with
// an invalid position, comes back off-network (OK false).
func (g *Graph) Snap(p Point, maxSnap float64) Snapped {
	if !(maxSnap > 0) {
		maxSnap = DefaultMaxSnap
	}
	gr := &g.grid
	if gr.nx == 0 || geo.ValidLonLat(p.Lon, p.Lat) != nil {
		return Snapped{}
	}
	kx := metresPerDegree * math.Cos(p.Lat*math.Pi/180)
	ky := metresPerDegree
	// Far from the whole network: no need to look at cells.
	bx := min(max(p.Lon, gr.minLon), gr.maxLon)
	by := min(max(p.Lat, gr.minLat), gr.maxLat)
	if math.Hypot((bx-p.Lon)*kx, (by-p.Lat)*ky)*0.99 > maxSnap+1 {
		return Snapped{}
	}
	cellMin := min(gr.cellLat*ky, gr.cellLon*kx)
	cx := min(max(int(math.Floor((p.Lon-gr.minLon)/gr.cellLon)), 0), gr.nx-1)
	cy := min(max(int(math.Floor((p.Lat-gr.minLat)/gr.cellLat)), 0), gr.ny-1)
	best, bestE, bestT := math.Inf(1), int32(-1), 0.0
	consider := func(cell int) {
		for _, e := range gr.items[gr.start[cell]:gr.start[cell+1]] {
			u := g.edgeSource(e)
			a, b := g.coords[u], g.coords[g.to[e]]
			ax := (float64(a.lon)/coordScale - p.Lon) * kx
			ay := (float64(a.lat)/coordScale - p.Lat) * ky
			dx := (float64(b.lon)/coordScale-p.Lon)*kx - ax
			dy := (float64(b.lat)/coordScale-p.Lat)*ky - ay
			t := 0.0
			if l2 := dx*dx + dy*dy; l2 > 0 {
				t = min(max(-(ax*dx+ay*dy)/l2, 0), 1)
			}
			px, py := ax+t*dx, ay+t*dy
			if d := math.Sqrt(px*px + py*py); d < best {
				best, bestE, bestT = d, e, t
			}
		}
	}
	maxRing := max(gr.nx, gr.ny)
	for r := 0; r <= maxRing; r++ {
		// Every cell of ring r is at least r-1 whole cells away from the point.
		if r >= 2 && float64(r-2)*cellMin > min(best, maxSnap*1.01+1) {
			break
		}
		for y := cy - r; y <= cy+r; y++ {
			if y < 0 || y >= gr.ny {
				continue
			}
			if y == cy-r || y == cy+r {
				for x := max(cx-r, 0); x <= min(cx+r, gr.nx-1); x++ {
					consider(y*gr.nx + x)
				}
				continue
			}
			if x := cx - r; x >= 0 {
				consider(y*gr.nx + x)
			}
			if x := cx + r; x < gr.nx {
				consider(y*gr.nx + x)
			}
		}
	}
	if bestE < 0 {
		return Snapped{}
	}
	u, v := g.edgeSource(bestE), g.to[bestE]
	a, b := g.coords[u].point(), g.coords[v].point()
	at := Point{Lon: a.Lon + bestT*(b.Lon-a.Lon), Lat: a.Lat + bestT*(b.Lat-a.Lat)}
	s := Snapped{OK: true, At: at, u: u, v: v, SnapDist: geo.Haversine(p.Lon, p.Lat, at.Lon, at.Lat)}
	switch bestT {
	case 0:
		s.At, s.du, s.dv = a, 0, g.length[bestE]
	case 1:
		s.At, s.du, s.dv = b, g.length[bestE], 0
	default:
		s.du = geo.Haversine(a.Lon, a.Lat, at.Lon, at.Lat)
		s.dv = geo.Haversine(at.Lon, at.Lat, b.Lon, b.Lat)
	}
	s.SnapDist = geo.Haversine(p.Lon, p.Lat, s.At.Lon, s.At.Lat)
	if s.SnapDist > maxSnap {
		return Snapped{}
	}
	return s
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

// grid is a uniform grid over the network's bounding box; each cell lists the
// segments (as the directed edge from the lower to the higher node index) that
// cross it.
type grid struct {
	minLon, minLat, maxLon, maxLat float64 // bounding box, degrees
	cellLon, cellLat               float64 // cell size, degrees
	nx, ny                         int
	start                          []int32 // cell c holds items[start[c]:start[c+1]]
	items                          []int32
}

func buildGrid(g *Graph) grid {
	var gr grid
	if len(g.to) == 0 {
		return gr
	}
	first := g.coords[0].point()
	gr.minLon, gr.maxLon, gr.minLat, gr.maxLat = first.Lon, first.Lon, first.Lat, first.Lat
	for i := range g.coords {
		p := g.coords[i].point()
		gr.minLon, gr.maxLon = min(gr.minLon, p.Lon), max(gr.maxLon, p.Lon)
		gr.minLat, gr.maxLat = min(gr.minLat, p.Lat), max(gr.maxLat, p.Lat)
	}
	segs := len(g.to) / 2
	// The cell side is the one that puts about one segment in each cell, and
	// cells are never narrower than that anywhere in the box.
	cosRef := max(math.Cos(max(math.Abs(gr.minLat), math.Abs(gr.maxLat))*math.Pi/180), 0.02)
	wm := (gr.maxLon - gr.minLon) * metresPerDegree * cosRef
	hm := (gr.maxLat - gr.minLat) * metresPerDegree
	side := min(max(math.Sqrt(max(wm*hm, 1)/float64(segs)), 25), 2000)
	for {
		gr.cellLat = side / metresPerDegree
		gr.cellLon = side / (metresPerDegree * cosRef)
		gr.nx = int((gr.maxLon-gr.minLon)/gr.cellLon) + 1
		gr.ny = int((gr.maxLat-gr.minLat)/gr.cellLat) + 1
		if gr.nx*gr.ny <= 4*segs+64 {
			break
		}
		side *= 1.5
	}
	count := make([]int32, gr.nx*gr.ny+1)
	g.eachSegment(func(e int32, a, b Point) {
		gr.cells(a, b, func(c int) { count[c+1]++ })
	})
	for c := range gr.nx * gr.ny {
		count[c+1] += count[c]
	}
	gr.items = make([]int32, count[gr.nx*gr.ny])
	fill := count[:gr.nx*gr.ny]
	fill = append([]int32(nil), fill...)
	g.eachSegment(func(e int32, a, b Point) {
		gr.cells(a, b, func(c int) {
			gr.items[fill[c]] = e
			fill[c]++
		})
	})
	gr.start = count
	return gr
}

// eachSegment calls fn for every undirected segment, as the edge from its lower
// to its higher node.
func (g *Graph) eachSegment(fn func(e int32, a, b Point)) {
	for u := range int32(len(g.ids)) {
		for e := g.first[u]; e < g.first[u+1]; e++ {
			if v := g.to[e]; v > u {
				fn(e, g.coords[u].point(), g.coords[v].point())
			}
		}
	}
}

// cells calls fn for every cell the straight segment a–b (in degrees) crosses.
func (gr *grid) cells(a, b Point, fn func(cell int)) {
	x0, y0 := (a.Lon-gr.minLon)/gr.cellLon, (a.Lat-gr.minLat)/gr.cellLat
	x1, y1 := (b.Lon-gr.minLon)/gr.cellLon, (b.Lat-gr.minLat)/gr.cellLat
	if x0 > x1 {
		x0, y0, x1, y1 = x1, y1, x0, y0
	}
	clampX := func(v float64) int { return min(max(int(math.Floor(v)), 0), gr.nx-1) }
	clampY := func(v float64) int { return min(max(int(math.Floor(v)), 0), gr.ny-1) }
	const eps = 1e-9
	for cx := clampX(x0 - eps); cx <= clampX(x1+eps); cx++ {
		ya, yb := y0, y1
		if x1 > x0 {
			xa, xb := max(x0, float64(cx)), min(x1, float64(cx+1))
			ya = y0 + (xa-x0)*(y1-y0)/(x1-x0)
			yb = y0 + (xb-x0)*(y1-y0)/(x1-x0)
		}
		if ya > yb {
			ya, yb = yb, ya
		}
		for cy := clampY(ya - eps); cy <= clampY(yb+eps); cy++ {
			fn(cy*gr.nx + cx)
		}
	}
}
