package geo

import (
	"math"
	"strings"
	"testing"
)

func TestParseCRS(t *testing.T) {
	tests := []struct {
		in   string
		want CRS
		err  bool
	}{
		{"wgs84", WGS84, false},
		{"WGS84", WGS84, false},
		{" GCJ02 ", GCJ02, false},
		{"Bd09", BD09, false},
		{"epsg:3857", "", true},
		{"", "", true},
	}
	for _, tt := range tests {
		got, err := ParseCRS(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseCRS(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.err)
		}
		if err != nil && !strings.Contains(err.Error(), "wgs84, gcj02, bd09") {
			t.Errorf("ParseCRS(%q) error %q does not list the valid values", tt.in, err)
		}
	}
}

// Published reference values of the GCJ-02 and BD-09 formulas for a point in
// central Beijing.
func TestConversionReferenceValues(t *testing.T) {
	tests := []struct {
		name     string
		f        func(float64, float64) (float64, float64)
		lon, lat float64
		wLon     float64
		wLat     float64
	}{
		{"WGS84ToGCJ02", WGS84ToGCJ02, 116.404, 39.915, 116.41024449916938, 39.91640428150164},
		{"GCJ02ToBD09", GCJ02ToBD09, 116.404, 39.915, 116.41036949371029, 39.92133699351021},
	}
	for _, tt := range tests {
		lon, lat := tt.f(tt.lon, tt.lat)
		if math.Abs(lon-tt.wLon) > 1e-9 || math.Abs(lat-tt.wLat) > 1e-9 {
			t.Errorf("%s(%v, %v) = %v, %v; want %v, %v", tt.name, tt.lon, tt.lat, lon, lat, tt.wLon, tt.wLat)
		}
	}
}

func TestRoundTripsAndOffsetSize(t *testing.T) {
	points := []struct {
		name     string
		lon, lat float64
	}{
		{"Beijing Tiananmen", 116.3975, 39.9087},
		{"Changzhou Wujin", 119.9570, 31.7180},
		{"Changzhou centre", 119.9740, 31.8110},
		{"Urumqi", 87.6168, 43.8256},
		{"Haikou", 110.3312, 20.0310},
		{"Harbin", 126.5350, 45.8038},
	}
	for _, p := range points {
		gLon, gLat := WGS84ToGCJ02(p.lon, p.lat)
		off := Haversine(p.lon, p.lat, gLon, gLat)
		if off < 100 || off > 700 {
			t.Errorf("%s: GCJ-02 offset %.0f m, want 100–700 m", p.name, off)
		}
		lon, lat := GCJ02ToWGS84(gLon, gLat)
		if math.Abs(lon-p.lon) > 1e-6 || math.Abs(lat-p.lat) > 1e-6 {
			t.Errorf("%s: GCJ02ToWGS84 round trip gives %v, %v; want %v, %v", p.name, lon, lat, p.lon, p.lat)
		}
		bLon, bLat := WGS84ToBD09(p.lon, p.lat)
		if d := Haversine(gLon, gLat, bLon, bLat); d < 300 || d > 1500 {
			t.Errorf("%s: BD-09 shift from GCJ-02 is %.0f m, want a few hundred metres", p.name, d)
		}
		lon, lat = BD09ToWGS84(bLon, bLat)
		if math.Abs(lon-p.lon) > 1e-6 || math.Abs(lat-p.lat) > 1e-6 {
			t.Errorf("%s: BD09ToWGS84 round trip gives %v, %v; want %v, %v", p.name, lon, lat, p.lon, p.lat)
		}
		for _, crs := range CRSs {
			fLon, fLat := FromWGS84(crs, p.lon, p.lat)
			lon, lat = ToWGS84(crs, fLon, fLat)
			if math.Abs(lon-p.lon) > 1e-6 || math.Abs(lat-p.lat) > 1e-6 {
				t.Errorf("%s: %s round trip gives %v, %v", p.name, crs, lon, lat)
			}
		}
	}
}

func TestOutOfChinaUnchanged(t *testing.T) {
	for _, p := range [][2]float64{{7.4246, 43.7384}, {-0.1276, 51.5072}, {139.6917, 35.6895}} {
		if !OutOfChina(p[0], p[1]) {
			t.Errorf("OutOfChina(%v) = false", p)
		}
		lon, lat := WGS84ToGCJ02(p[0], p[1])
		if lon != p[0] || lat != p[1] {
			t.Errorf("WGS84ToGCJ02(%v) moved a point outside China to %v, %v", p, lon, lat)
		}
		lon, lat = GCJ02ToWGS84(p[0], p[1])
		if lon != p[0] || lat != p[1] {
			t.Errorf("GCJ02ToWGS84(%v) moved a point outside China to %v, %v", p, lon, lat)
		}
	}
	if OutOfChina(119.97, 31.81) {
		t.Error("Changzhou reported outside China")
	}
}

func TestHaversine(t *testing.T) {
	tests := []struct {
		name                   string
		lon1, lat1, lon2, lat2 float64
		want, tol              float64
	}{
		// One degree of latitude on the sphere of radius 6,371,009 m.
		{"one degree of latitude", 119.97, 31, 119.97, 32, EarthRadius * math.Pi / 180, 1e-6},
		// Quarter of a great circle.
		{"equator to pole", 0, 0, 0, 90, EarthRadius * math.Pi / 2, 1e-6},
		// The textbook example, Nashville BNA to Los Angeles LAX: 2,887.260 km on
		// a sphere of radius 6,372.8 km, scaled to EarthRadius.
		{"BNA to LAX", -86.67, 36.12, -118.40, 33.94, 2_887_259.95 * EarthRadius / 6_372_800, 1},
		// Tiananmen to People's Square, Shanghai: about 1,068 km.
		{"Beijing to Shanghai", 116.397477, 39.908692, 121.473701, 31.230416, 1_068_000, 2_000},
		{"same point", 119.9, 31.8, 119.9, 31.8, 0, 0},
		{"antipodes", 0, 0, 180, 0, EarthRadius * math.Pi, 1e-6},
	}
	for _, tt := range tests {
		got := Haversine(tt.lon1, tt.lat1, tt.lon2, tt.lat2)
		if math.Abs(got-tt.want) > tt.tol {
			t.Errorf("%s: Haversine = %.3f m, want %.3f ± %v", tt.name, got, tt.want, tt.tol)
		}
	}
}

func TestValidLonLat(t *testing.T) {
	tests := []struct {
		lon, lat float64
		msg      string
	}{
		{119.97, 31.81, ""},
		{-180, -90, ""},
		{180, 90, ""},
		{181, 0, "longitude 181 is outside -180..180"},
		{0, -90.5, "latitude -90.5 is outside -90..90"},
		{math.NaN(), 0, "longitude NaN is not a finite number"},
		{0, math.Inf(1), "latitude +Inf is not a finite number"},
	}
	for _, tt := range tests {
		err := ValidLonLat(tt.lon, tt.lat)
		switch {
		case tt.msg == "" && err != nil:
			t.Errorf("ValidLonLat(%v, %v) = %v, want nil", tt.lon, tt.lat, err)
		case tt.msg != "" && (err == nil || err.Error() != tt.msg):
			t.Errorf("ValidLonLat(%v, %v) = %v, want %q", tt.lon, tt.lat, err, tt.msg)
		}
	}
}
