// Package geo holds the geometry helpers shared by the modules: coordinate
// systems used in China (WGS-84, GCJ-02, BD-09) and the conversions between them,
// great-circle distances, a strict GeoJSON geometry parser, areas, centroids,
// point-in-polygon tests and a spatial index over bounding boxes.
//
// Everything stored by the platform is WGS-84 (EPSG:4326); GCJ-02 (used by Amap
// and Tencent maps) and BD-09 (used by Baidu maps) are accepted on import and
// converted with ToWGS84.
package geo

import (
	"fmt"
	"math"
	"strings"
)

// CRS names a coordinate reference system.
type CRS string

// The coordinate systems the platform understands.
const (
	WGS84 CRS = "wgs84" // GPS, OpenStreetMap, EPSG:4326
	GCJ02 CRS = "gcj02" // Chinese national offset system: Amap, Tencent
	BD09  CRS = "bd09"  // Baidu's further offset of GCJ-02
)

// CRSs lists the valid coordinate systems.
var CRSs = []CRS{WGS84, GCJ02, BD09}

// ParseCRS reads a coordinate-system name, ignoring case and surrounding space.
func ParseCRS(s string) (CRS, error) {
	v := CRS(strings.ToLower(strings.TrimSpace(s)))
	for _, c := range CRSs {
		if v == c {
			return c, nil
		}
	}
	return "", fmt.Errorf("unknown coordinate system %q: use one of wgs84, gcj02, bd09", s)
}

// Parameters of the Krasovsky 1940 ellipsoid used by the published GCJ-02 formula.
const (
	gcjA  = 6378245.0
	gcjEE = 0.00669342162296594323
)

// xPi is the constant of the BD-09 transform.
const xPi = math.Pi * 3000.0 / 180.0

// OutOfChina reports whether a point lies outside the rectangle in which GCJ-02
// offsets are applied; such points are left unchanged by the conversions.
func OutOfChina(lon, lat float64) bool {
	return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271
}

func gcjLatShift(x, y float64) float64 {
	r := -100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	r += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	r += (20.0*math.Sin(y*math.Pi) + 40.0*math.Sin(y/3.0*math.Pi)) * 2.0 / 3.0
	r += (160.0*math.Sin(y/12.0*math.Pi) + 320.0*math.Sin(y*math.Pi/30.0)) * 2.0 / 3.0
	return r
}

func gcjLonShift(x, y float64) float64 {
	r := 300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	r += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	r += (20.0*math.Sin(x*math.Pi) + 40.0*math.Sin(x/3.0*math.Pi)) * 2.0 / 3.0
	r += (150.0*math.Sin(x/12.0*math.Pi) + 300.0*math.Sin(x/30.0*math.Pi)) * 2.0 / 3.0
	return r
}

// gcjOffset returns the GCJ-02 offset in degrees at a WGS-84 position.
func gcjOffset(lon, lat float64) (dLon, dLat float64) {
	dLat = gcjLatShift(lon-105.0, lat-35.0)
	dLon = gcjLonShift(lon-105.0, lat-35.0)
	radLat := lat / 180.0 * math.Pi
	magic := math.Sin(radLat)
	magic = 1 - gcjEE*magic*magic
	sqrtMagic := math.Sqrt(magic)
	dLat = (dLat * 180.0) / ((gcjA * (1 - gcjEE)) / (magic * sqrtMagic) * math.Pi)
	dLon = (dLon * 180.0) / (gcjA / sqrtMagic * math.Cos(radLat) * math.Pi)
	return dLon, dLat
}

// WGS84ToGCJ02 converts a WGS-84 position to GCJ-02.
func WGS84ToGCJ02(lon, lat float64) (float64, float64) {
	if OutOfChina(lon, lat) {
		return lon, lat
	}
	dLon, dLat := gcjOffset(lon, lat)
	return lon + dLon, lat + dLat
}

// inverseTolerance is the accuracy, in degrees, the iterative inverses stop at.
const inverseTolerance = 1e-10

// GCJ02ToWGS84 converts a GCJ-02 position back to WGS-84. The offset has no
// closed-form inverse; the result is refined until the forward conversion
// reproduces the input to about 1e-10 degrees.
func GCJ02ToWGS84(lon, lat float64) (float64, float64) {
	if OutOfChina(lon, lat) {
		return lon, lat
	}
	wLon, wLat := lon, lat
	for range 30 {
		gLon, gLat := WGS84ToGCJ02(wLon, wLat)
		eLon, eLat := lon-gLon, lat-gLat
		wLon += eLon
		wLat += eLat
		if math.Abs(eLon) < inverseTolerance && math.Abs(eLat) < inverseTolerance {
			break
		}
	}
	return wLon, wLat
}

// GCJ02ToBD09 converts a GCJ-02 position to BD-09.
func GCJ02ToBD09(lon, lat float64) (float64, float64) {
	z := math.Sqrt(lon*lon+lat*lat) + 0.00002*math.Sin(lat*xPi)
	theta := math.Atan2(lat, lon) + 0.000003*math.Cos(lon*xPi)
	return z*math.Cos(theta) + 0.0065, z*math.Sin(theta) + 0.006
}

// BD09ToGCJ02 converts a BD-09 position to GCJ-02. The usual one-step inverse is
// refined against GCJ02ToBD09 so that a round trip is exact to about 1e-10 degrees.
func BD09ToGCJ02(lon, lat float64) (float64, float64) {
	x, y := lon-0.0065, lat-0.006
	z := math.Sqrt(x*x+y*y) - 0.00002*math.Sin(y*xPi)
	theta := math.Atan2(y, x) - 0.000003*math.Cos(x*xPi)
	gLon, gLat := z*math.Cos(theta), z*math.Sin(theta)
	for range 10 {
		bLon, bLat := GCJ02ToBD09(gLon, gLat)
		eLon, eLat := lon-bLon, lat-bLat
		gLon += eLon
		gLat += eLat
		if math.Abs(eLon) < inverseTolerance && math.Abs(eLat) < inverseTolerance {
			break
		}
	}
	return gLon, gLat
}

// WGS84ToBD09 converts a WGS-84 position to BD-09.
func WGS84ToBD09(lon, lat float64) (float64, float64) {
	return GCJ02ToBD09(WGS84ToGCJ02(lon, lat))
}

// BD09ToWGS84 converts a BD-09 position to WGS-84.
func BD09ToWGS84(lon, lat float64) (float64, float64) {
	return GCJ02ToWGS84(BD09ToGCJ02(lon, lat))
}

// ToWGS84 converts a position given in crs to WGS-84. An empty or unknown crs is
// taken as WGS-84 (validate names with ParseCRS first).
func ToWGS84(crs CRS, lon, lat float64) (float64, float64) {
	switch crs {
	case GCJ02:
		return GCJ02ToWGS84(lon, lat)
	case BD09:
		return BD09ToWGS84(lon, lat)
	}
	return lon, lat
}

// FromWGS84 converts a WGS-84 position to crs (for showing on Chinese base maps).
func FromWGS84(crs CRS, lon, lat float64) (float64, float64) {
	switch crs {
	case GCJ02:
		return WGS84ToGCJ02(lon, lat)
	case BD09:
		return WGS84ToBD09(lon, lat)
	}
	return lon, lat
}

// EarthRadius is the radius in metres of the sphere used for distances and areas,
// the same as OSMnx uses, so walking distances compare with its figures.
const EarthRadius = 6371009.0

// Haversine returns the great-circle distance in metres between two WGS-84
// positions on a sphere of radius EarthRadius.
func Haversine(lon1, lat1, lon2, lat2 float64) float64 {
	p1 := lat1 * math.Pi / 180
	p2 := lat2 * math.Pi / 180
	dp := p2 - p1
	dl := (lon2 - lon1) * math.Pi / 180
	h := math.Sin(dp/2)*math.Sin(dp/2) + math.Cos(p1)*math.Cos(p2)*math.Sin(dl/2)*math.Sin(dl/2)
	h = min(max(h, 0), 1)
	return 2 * EarthRadius * math.Asin(math.Sqrt(h))
}

// ValidLonLat checks that a position is a finite longitude in -180..180 and
// latitude in -90..90.
func ValidLonLat(lon, lat float64) error {
	switch {
	case math.IsNaN(lon) || math.IsInf(lon, 0):
		return fmt.Errorf("longitude %v is not a finite number", lon)
	case math.IsNaN(lat) || math.IsInf(lat, 0):
		return fmt.Errorf("latitude %v is not a finite number", lat)
	case lon < -180 || lon > 180:
		return fmt.Errorf("longitude %v is outside -180..180", lon)
	case lat < -90 || lat > 90:
		return fmt.Errorf("latitude %v is outside -90..90", lat)
	}
	return nil
}
