package checkup

import (
	"math"
	"sort"

	"github.com/gengxin/gengxin/internal/geo"
	"github.com/gengxin/gengxin/internal/places"
)

// router answers "which facility of a set is nearest to each origin, and how far".
type router interface {
	// nearest returns, per origin, the index into facs of the nearest facility
	// within maxDist and its distance: -1 and +Inf when none is within maxDist,
	// -1 and NaN when the origin cannot be measured (off the walk network).
	nearest(facs []int, maxDist float64) ([]int, []float64)
}

// lineRouter measures great-circle distances.
type lineRouter struct {
	origins    []places.Point
	facilities []places.Point
}

// metresPerDegLat is a lower bound of the metres in one degree of latitude on
// the sphere, used to skip facilities that cannot be near enough.
const metresPerDegLat = geo.EarthRadius * math.Pi / 180

func (l *lineRouter) nearest(facs []int, maxDist float64) ([]int, []float64) {
	idx := make([]int, len(l.origins))
	dist := make([]float64, len(l.origins))
	// Facilities sorted by latitude: each origin scans only the band of
	// latitudes within maxDist (or within its best distance so far).
	sorted := make([]int, len(facs))
	copy(sorted, facs)
	sort.Slice(sorted, func(i, j int) bool { return l.facilities[sorted[i]].Lat < l.facilities[sorted[j]].Lat })
	lats := make([]float64, len(sorted))
	for i, f := range sorted {
		lats[i] = l.facilities[f].Lat
	}
	pos := make(map[int]int, len(facs))
	for i, f := range facs {
		pos[f] = i
	}
	for o, op := range l.origins {
		best, bestD := -1, math.Inf(1)
		limit := maxDist
		band := limit / metresPerDegLat
		start := sort.SearchFloat64s(lats, op.Lat-band)
		for i := start; i < len(sorted) && lats[i] <= op.Lat+band; i++ {
			f := l.facilities[sorted[i]]
			d := geo.Haversine(op.Lon, op.Lat, f.Lon, f.Lat)
			if d <= limit && (best < 0 || d < bestD || (d == bestD && sorted[i] < facs[best])) {
				best, bestD = pos[sorted[i]], d
			}
		}
		idx[o], dist[o] = best, bestD
	}
	return idx, dist
}
