package demo

import (
	"math"
	"strconv"

	"github.com/gengxin/gengxin/internal/places"
)

// Where the city lies: around Changzhou's old city, WGS-84.
const (
	centreLon = 119.95
	centreLat = 31.78
	// earthRadius is the mean radius the walk-distance code uses too (metres).
	earthRadius = 6371009.0
)

// projection maps local metres (x east, y north, origin at the city's south-west
// corner) to WGS-84 degrees rounded to 7 decimals (about 1 cm), so that every
// figure written out equals the figure compared in memory.
type projection struct {
	originLon, originLat float64
	degPerMLon, degPerM  float64
}

func newProjection(width, height float64) projection {
	degPerM := 180 / (math.Pi * earthRadius)
	degPerMLon := degPerM / math.Cos(centreLat*math.Pi/180)
	return projection{
		originLon:  centreLon - width/2*degPerMLon,
		originLat:  centreLat - height/2*degPerM,
		degPerMLon: degPerMLon,
		degPerM:    degPerM,
	}
}

func round7(v float64) float64 { return math.Round(v*1e7) / 1e7 }

func (p projection) lonLat(x, y float64) (float64, float64) {
	return round7(p.originLon + x*p.degPerMLon), round7(p.originLat + y*p.degPerM)
}

func (p projection) point(x, y float64) places.Point {
	lon, lat := p.lonLat(x, y)
	return places.Point{Lon: lon, Lat: lat}
}

// rect is an axis-parallel rectangle in local metres.
type rect struct {
	x0, y0, x1, y1 float64
}

func (r rect) w() float64 { return r.x1 - r.x0 }
func (r rect) h() float64 { return r.y1 - r.y0 }

func (r rect) centre() (float64, float64) { return (r.x0 + r.x1) / 2, (r.y0 + r.y1) / 2 }

// inset shrinks r by d on every side.
func (r rect) inset(d float64) rect { return rect{r.x0 + d, r.y0 + d, r.x1 - d, r.y1 - d} }

func (p projection) bbox(r rect) places.BBox {
	minLon, minLat := p.lonLat(r.x0, r.y0)
	maxLon, maxLat := p.lonLat(r.x1, r.y1)
	return places.BBox{MinLon: minLon, MinLat: minLat, MaxLon: maxLon, MaxLat: maxLat}
}

// appendPolygon appends r as a GeoJSON Polygon (counter-clockwise outer ring).
func (p projection) appendPolygon(b []byte, r rect) []byte {
	bb := p.bbox(r)
	b = append(b, `{"type":"Polygon","coordinates":[[`...)
	pts := [5][2]float64{
		{bb.MinLon, bb.MinLat}, {bb.MaxLon, bb.MinLat}, {bb.MaxLon, bb.MaxLat}, {bb.MinLon, bb.MaxLat}, {bb.MinLon, bb.MinLat},
	}
	for i, pt := range pts {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendFloat(b, pt[0], 'f', -1, 64)
		b = append(b, ',')
		b = strconv.AppendFloat(b, pt[1], 'f', -1, 64)
		b = append(b, ']')
	}
	return append(b, "]]}"...)
}
