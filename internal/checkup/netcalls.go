package checkup

import (
	"context"
	"io"
	"math"

	"github.com/gengxin/gengxin/internal/network"
	"github.com/gengxin/gengxin/internal/places"
)

// parseOSM builds the walk graph of an OpenStreetMap file.
func parseOSM(ctx context.Context, r io.Reader, format string) (*network.Graph, error) {
	f := "xml"
	if format == FormatOSMPBF {
		f = "pbf"
	}
	return network.ReadOSM(ctx, r, f)
}

// walkRouter measures walking distances over a walk graph; origins and
// facilities are snapped once.
type walkRouter struct {
	g          *network.Graph
	origins    []network.Snapped
	facilities []network.Snapped
	// OffOrigins and OffFacilities count the points off the network.
	offOrigins, offFacilities int
}

func newWalkRouter(g *network.Graph, origins, facilities []places.Point, maxSnap float64) *walkRouter {
	conv := func(ps []places.Point) []network.Point {
		out := make([]network.Point, len(ps))
		for i, p := range ps {
			out[i] = network.Point{Lon: p.Lon, Lat: p.Lat}
		}
		return out
	}
	w := &walkRouter{g: g, origins: g.SnapAll(conv(origins), maxSnap), facilities: g.SnapAll(conv(facilities), maxSnap)}
	for _, s := range w.origins {
		if !s.OK {
			w.offOrigins++
		}
	}
	for _, s := range w.facilities {
		if !s.OK {
			w.offFacilities++
		}
	}
	return w
}

func (w *walkRouter) nearest(facs []int, maxDist float64) ([]int, []float64) {
	sub := make([]network.Snapped, 0, len(facs))
	back := make([]int, 0, len(facs))
	for i, f := range facs {
		if w.facilities[f].OK {
			sub = append(sub, w.facilities[f])
			back = append(back, i)
		}
	}
	idx := make([]int, len(w.origins))
	dist := make([]float64, len(w.origins))
	var res []network.Result
	if len(sub) > 0 {
		res = w.g.Nearest(w.origins, sub, maxDist)
	}
	for o := range w.origins {
		idx[o], dist[o] = -1, math.Inf(1)
		switch {
		case !w.origins[o].OK:
			dist[o] = math.NaN()
		case res != nil && res[o].Facility >= 0 && res[o].Distance <= maxDist:
			idx[o], dist[o] = back[res[o].Facility], res[o].Distance
		}
	}
	return idx, dist
}

func (w *walkRouter) off() (origins, facilities int) { return w.offOrigins, w.offFacilities }
