package geo

import (
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func TestParseGeometry(t *testing.T) {
	square := `{"type":"Polygon","coordinates":[[[119.97,31.81],[119.98,31.81],[119.98,31.82],[119.97,31.82],[119.97,31.81]]]}`
	tests := []struct {
		name  string
		text  string
		kinds []string
		want  string // geometry type on success
		err   string // part of the error message on failure
	}{
		{"point", `{"type":"Point","coordinates":[119.97,31.81]}`, nil, "Point", ""},
		{"point with altitude", `{"type":"Point","coordinates":[119.97,31.81,12.5]}`, nil, "Point", ""},
		{"polygon", square, []string{"Polygon", "MultiPolygon"}, "Polygon", ""},
		{"lower-case type", strings.Replace(square, "Polygon", "polygon", 1), []string{"Polygon"}, "Polygon", ""},
		{"feature", `{"type":"Feature","properties":{"name":"x"},"geometry":` + square + `}`, []string{"Polygon"}, "Polygon", ""},
		{"multipolygon", `{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[2,2],[3,2],[3,3],[2,2]]]]}`, nil, "MultiPolygon", ""},
		{"polygon with hole", `{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[1,1],[1,2],[2,2],[1,1]]]}`, nil, "Polygon", ""},
		{"linestring", `{"type":"LineString","coordinates":[[0,0],[1,1]]}`, nil, "LineString", ""},
		{"multipoint", `{"type":"MultiPoint","coordinates":[[0,0],[1,1]]}`, nil, "MultiPoint", ""},
		{"multilinestring", `{"type":"MultiLineString","coordinates":[[[0,0],[1,1]],[[2,2],[3,3]]]}`, nil, "MultiLineString", ""},

		{"empty", "  ", nil, "", "geometry is empty"},
		{"not json", "POLYGON((0 0,1 0,1 1,0 0))", nil, "", "not a GeoJSON object"},
		{"trailing data", square + " {}", nil, "", "unexpected data after the object"},
		{"no type", `{"coordinates":[1,2]}`, nil, "", `no "type" member`},
		{"kind not allowed", `{"type":"Point","coordinates":[119.97,31.81]}`, []string{"Polygon", "MultiPolygon"}, "", `geometry type "Point" is not allowed here: use Polygon or MultiPolygon`},
		{"unknown type", `{"type":"Circle","coordinates":[1,2]}`, []string{"Circle"}, "", `"Circle" is not supported`},
		{"feature collection", `{"type":"FeatureCollection","features":[]}`, nil, "", "FeatureCollection holds many geometries"},
		{"feature without geometry", `{"type":"Feature","geometry":null}`, nil, "", "feature has no geometry"},
		{"no coordinates", `{"type":"Polygon"}`, nil, "", "Polygon has no coordinates"},
		{"latitude out of range", `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,95],[0,0]]]}`, nil, "", "polygon ring 1 coordinate 3 has latitude 95, outside -90..90"},
		{"longitude out of range", `{"type":"Point","coordinates":[200,10]}`, nil, "", "point has longitude 200, outside -180..180"},
		{"point too short", `{"type":"Point","coordinates":[1]}`, nil, "", "point has 1 numbers"},
		{"point wrong shape", `{"type":"Point","coordinates":[[1,2]]}`, nil, "", "point coordinates must be [longitude, latitude]"},
		{"ring not closed", `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}`, nil, "", "polygon ring 1 is not closed"},
		{"ring too short", `{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}`, nil, "", "polygon ring 1 has 3 positions, a ring needs at least 4"},
		{"hole not closed", `{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,0]],[[1,1],[1,2],[2,2],[1,1.5]]]}`, nil, "", "polygon ring 2 is not closed"},
		{"degenerate ring", `{"type":"Polygon","coordinates":[[[0,0],[1,1],[2,2],[0,0]]]}`, nil, "", "polygon ring 1 has no area"},
		{"empty polygon", `{"type":"Polygon","coordinates":[]}`, nil, "", "polygon has no rings"},
		{"bad second polygon", `{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[2,2],[3,2],[3,3]]]]}`, nil, "", "polygon 2 ring 1 has 3 positions"},
		{"line too short", `{"type":"LineString","coordinates":[[0,0]]}`, nil, "", "line has 1 positions"},
		{"number too large", `{"type":"Point","coordinates":[1e400,0]}`, nil, "", "point coordinates must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := ParseGeometry(tt.text, tt.kinds...)
			if tt.err != "" {
				if err == nil {
					t.Fatalf("ParseGeometry accepted %s", tt.text)
				}
				if !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %q does not say %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseGeometry: %v", err)
			}
			if g.GeoJSONType() != tt.want {
				t.Fatalf("type %s, want %s", g.GeoJSONType(), tt.want)
			}
		})
	}
}

func TestMarshalGeometryRoundTrip(t *testing.T) {
	text := `{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[1,1],[1,2],[2,2],[1,1]]]}`
	g, err := ParseGeometry(text)
	if err != nil {
		t.Fatal(err)
	}
	out, err := MarshalGeometry(g)
	if err != nil {
		t.Fatal(err)
	}
	if out != text {
		t.Errorf("MarshalGeometry = %s, want %s", out, text)
	}
	if _, err := MarshalGeometry(nil); err == nil {
		t.Error("MarshalGeometry(nil) gave no error")
	}
	ring, err := MarshalGeometry(orb.Ring{{0, 0}, {1, 0}, {1, 1}, {0, 0}})
	if err != nil || !strings.Contains(ring, `"type":"Polygon"`) {
		t.Errorf("a ring is written as %s, %v; want a Polygon", ring, err)
	}
}

// A 0.01° × 0.01° square near Changzhou (31.8°N) is about 1,112 m × 945 m.
func TestAreaOfKnownSquare(t *testing.T) {
	g, err := ParseGeometry(`{"type":"Polygon","coordinates":[[[119.95,31.8],[119.96,31.8],[119.96,31.81],[119.95,31.81],[119.95,31.8]]]}`)
	if err != nil {
		t.Fatal(err)
	}
	got := AreaM2(g)
	want := 1111.95 * 1111.95 * math.Cos(31.805*math.Pi/180)
	if math.Abs(got-want)/want > 0.005 {
		t.Errorf("area %.0f m², want %.0f m² ± 0.5%%", got, want)
	}
	// The ellipsoidal (WGS-84) area of the same square is 1.0500 km²; the sphere
	// is within 0.5% of it.
	if math.Abs(got-1_050_000)/1_050_000 > 0.005 {
		t.Errorf("area %.0f m², want about 1,050,000 m²", got)
	}

	// Winding does not matter, and a hole is taken out.
	withHole, err := ParseGeometry(`{"type":"Polygon","coordinates":[[[119.95,31.8],[119.95,31.81],[119.96,31.81],[119.96,31.8],[119.95,31.8]],[[119.952,31.802],[119.954,31.802],[119.954,31.804],[119.952,31.804],[119.952,31.802]]]}`)
	if err != nil {
		t.Fatal(err)
	}
	hole := got * 0.04
	if a := AreaM2(withHole); math.Abs(a-(got-hole))/got > 0.001 {
		t.Errorf("area with hole %.0f m², want %.0f", a, got-hole)
	}
	if a := AreaM2(orb.Point{1, 2}); a != 0 {
		t.Errorf("a point has area %v", a)
	}
	mp := orb.MultiPolygon{g.(orb.Polygon), g.(orb.Polygon)}
	if a := AreaM2(mp); math.Abs(a-2*got) > 1e-6*got {
		t.Errorf("multipolygon area %v, want %v", a, 2*got)
	}
}

func TestContainsWithHoles(t *testing.T) {
	donut, err := ParseGeometry(`{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[3,3],[7,3],[7,7],[3,7],[3,3]]]}`)
	if err != nil {
		t.Fatal(err)
	}
	multi, err := ParseGeometry(`{"type":"MultiPolygon","coordinates":[[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[3,3],[7,3],[7,7],[3,7],[3,3]]],[[[4,4],[6,4],[6,6],[4,6],[4,4]]]]}`)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		g        orb.Geometry
		lon, lat float64
		want     bool
	}{
		{"in the ring", donut, 1, 1, true},
		{"in the hole", donut, 5, 5, false},
		{"outside", donut, 11, 5, false},
		{"on the outer edge", donut, 0, 5, true},
		{"on the hole edge", donut, 3, 5, true},
		{"island inside the hole", multi, 5, 5, true},
		{"hole around the island", multi, 3.5, 5, false},
		{"ring of the multipolygon", multi, 9, 9, true},
		{"a point contains nothing", orb.Point{1, 1}, 1, 1, false},
		{"empty polygon", orb.Polygon{}, 1, 1, false},
	}
	for _, tt := range tests {
		if got := Contains(tt.g, tt.lon, tt.lat); got != tt.want {
			t.Errorf("%s: Contains(%v, %v) = %v, want %v", tt.name, tt.lon, tt.lat, got, tt.want)
		}
	}
}

func TestCentroid(t *testing.T) {
	l, err := ParseGeometry(`{"type":"Polygon","coordinates":[[[0,0],[2,0],[2,1],[1,1],[1,2],[0,2],[0,0]]]}`)
	if err != nil {
		t.Fatal(err)
	}
	// An L made of three unit squares centred at (0.5,0.5), (1.5,0.5), (0.5,1.5).
	want := [2]float64{2.5 / 3, 2.5 / 3}
	donut := orb.Polygon{
		{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}},
		{{2, 2}, {2, 4}, {4, 4}, {4, 2}, {2, 2}},
	}
	// A 4×4 square less its top-right 2×2 quarter is the same L shape scaled ×2,
	// but given as a hole (the hole is wound either way).
	tests := []struct {
		name     string
		g        orb.Geometry
		lon, lat float64
	}{
		{"L-shaped polygon", l, want[0], want[1]},
		{"polygon with hole", donut, 2 * want[0], 2 * want[1]},
		{"point", orb.Point{3, 4}, 3, 4},
		{"multipoint", orb.MultiPoint{{0, 0}, {2, 0}, {1, 3}}, 1, 1},
		{"line", orb.LineString{{0, 0}, {4, 0}, {4, 2}}, (2*4 + 4*2) / 6.0, (0*4 + 1*2) / 6.0},
		{"multipolygon weighs by area", orb.MultiPolygon{
			{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}},
			{{{10, 0}, {13, 0}, {13, 1}, {10, 1}, {10, 0}}},
		}, (0.5*1 + 11.5*3) / 4, 0.5},
		{"collection prefers areas", orb.Collection{orb.Point{100, 100}, orb.Polygon{{{0, 0}, {2, 0}, {2, 2}, {0, 2}, {0, 0}}}}, 1, 1},
		{"nil", nil, 0, 0},
		{"degenerate polygon", orb.Polygon{{{0, 0}, {2, 0}, {0, 0}, {0, 0}}}, 0.5, 0},
	}
	for _, tt := range tests {
		lon, lat := Centroid(tt.g)
		if math.Abs(lon-tt.lon) > 1e-9 || math.Abs(lat-tt.lat) > 1e-9 {
			t.Errorf("%s: Centroid = %v, %v; want %v, %v", tt.name, lon, lat, tt.lon, tt.lat)
		}
	}
}

func TestCentroidKeepsPrecisionAtCityCoordinates(t *testing.T) {
	// A 10 m building in Changzhou: the centroid must be inside it to the
	// centimetre, which naive shoelace sums at large coordinates lose.
	g := orb.Polygon{{{119.9700000, 31.8100000}, {119.9701000, 31.8100000}, {119.9701000, 31.8100900}, {119.9700000, 31.8100900}, {119.9700000, 31.8100000}}}
	lon, lat := Centroid(g)
	if d := Haversine(lon, lat, 119.97005, 31.81004500); d > 0.01 {
		t.Errorf("centroid is %.3f m off", d)
	}
}

func TestBound(t *testing.T) {
	g := orb.LineString{{119.9, 31.8}, {120.1, 31.7}, {120.0, 31.9}}
	minLon, minLat, maxLon, maxLat := Bound(g)
	if minLon != 119.9 || minLat != 31.7 || maxLon != 120.1 || maxLat != 31.9 {
		t.Errorf("Bound = %v %v %v %v", minLon, minLat, maxLon, maxLat)
	}
	if a, b, c, d := Bound(nil); a != 0 || b != 0 || c != 0 || d != 0 {
		t.Error("Bound(nil) is not zero")
	}
}

func TestTransformGeometry(t *testing.T) {
	// A small square drawn on an Amap (GCJ-02) base map, converted to WGS-84: every
	// vertex maps back exactly and the area is kept to within a percent (the
	// offset varies a little across the square).
	gcj := orb.Polygon{{{119.97, 31.81}, {119.98, 31.81}, {119.98, 31.82}, {119.97, 31.82}, {119.97, 31.81}}}
	w := TransformGeometry(gcj, GCJ02).(orb.Polygon)
	for i, p := range w[0] {
		want := gcj[0][i]
		lon, lat := WGS84ToGCJ02(p[0], p[1])
		if math.Abs(lon-want[0]) > 1e-9 || math.Abs(lat-want[1]) > 1e-9 {
			t.Errorf("vertex %d does not map back: %v, %v", i, lon, lat)
		}
	}
	if w[0][0] == gcj[0][0] {
		t.Error("geometry was not moved")
	}
	if gcj[0][0] != (orb.Point{119.97, 31.81}) {
		t.Error("TransformGeometry changed its input")
	}
	if r := AreaM2(w) / AreaM2(gcj); math.Abs(r-1) > 0.01 {
		t.Errorf("area changed by a factor %v", r)
	}
	same := TransformGeometry(orb.Point{1, 2}, WGS84)
	if same != (orb.Point{1, 2}) {
		t.Errorf("WGS-84 point changed to %v", same)
	}
	bd := TransformGeometry(orb.Collection{orb.Point{119.97, 31.81}, orb.MultiPoint{{119.97, 31.81}}}, BD09).(orb.Collection)
	lon, lat := BD09ToWGS84(119.97, 31.81)
	if bd[0] != (orb.Point{lon, lat}) || bd[1].(orb.MultiPoint)[0] != (orb.Point{lon, lat}) {
		t.Errorf("collection converted to %v", bd)
	}
	if TransformGeometry(nil, BD09) != nil {
		t.Error("nil geometry not kept nil")
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		g    orb.Geometry
		err  string
	}{
		{"polygon", orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, ""},
		{"point", orb.Point{119.97, 31.81}, ""},
		{"bound", orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{1, 1}}, ""},
		{"nil", nil, "no geometry"},
		{"point out of range", orb.Point{0, 91}, "point: latitude 91 is outside -90..90"},
		{"collinear ring", orb.Ring{{0, 0}, {1, 1}, {2, 2}, {0, 0}}, "polygon ring 1 has no area"},
		{"collinear up to rounding", orb.Ring{{119.97, 31.80}, {119.98, 31.81}, {119.99, 31.82}, {119.97, 31.80}}, "polygon ring 1 has no area"},
		{"thin but real strip", orb.Ring{{119.97, 31.80}, {119.98, 31.81}, {119.98, 31.81001}, {119.97, 31.80001}, {119.97, 31.80}}, ""},
		{"open ring", orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}, "polygon ring 1 is not closed"},
		{"bad hole position", orb.Polygon{{{0, 0}, {4, 0}, {4, 4}, {0, 0}}, {{1, 1}, {2, 1}, {2, 200}, {1, 1}}}, "polygon ring 2 coordinate 3: latitude 200"},
		{"short line", orb.MultiLineString{{{0, 0}, {1, 1}}, {{0, 0}}}, "line 2 has 1 positions"},
		{"empty multipolygon", orb.MultiPolygon{}, "multipolygon has no polygons"},
		{"collection part", orb.Collection{orb.Point{0, 0}, orb.Point{math.NaN(), 0}}, "part 2: point: longitude NaN"},
	}
	for _, tt := range tests {
		err := Validate(tt.g)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%s: Validate = %v", tt.name, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%s: Validate = %v, want %q", tt.name, err, tt.err)
		}
	}
}

func FuzzParseGeometry(f *testing.F) {
	seeds := []string{
		`{"type":"Point","coordinates":[119.97,31.81]}`,
		`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`,
		`{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}`,
		`{"type":"Feature","geometry":{"type":"LineString","coordinates":[[0,0],[1,1]]}}`,
		`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,95],[0,0]]]}`,
		`{"type":"MultiLineString","coordinates":[[[0,0]]]}`,
		`{"type":"Feature","geometry":{"type":"Feature"}}`,
		`[]`, `null`, `{}`, `"x"`,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		g, err := ParseGeometry(text)
		if err != nil {
			if g != nil {
				t.Fatalf("geometry %v returned with error %v", g, err)
			}
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		// Whatever is accepted is valid, measurable and can be written and read back.
		if err := Validate(g); err != nil {
			t.Fatalf("accepted geometry fails Validate: %v", err)
		}
		minLon, minLat, maxLon, maxLat := Bound(g)
		if ValidLonLat(minLon, minLat) != nil || ValidLonLat(maxLon, maxLat) != nil {
			t.Fatalf("accepted geometry with bound %v %v %v %v", minLon, minLat, maxLon, maxLat)
		}
		if a := AreaM2(g); math.IsNaN(a) || a < 0 {
			t.Fatalf("area %v", a)
		}
		lon, lat := Centroid(g)
		if math.IsNaN(lon) || math.IsNaN(lat) {
			t.Fatalf("centroid %v %v", lon, lat)
		}
		out, err := MarshalGeometry(g)
		if err != nil {
			t.Fatalf("MarshalGeometry: %v", err)
		}
		if _, err := ParseGeometry(out); err != nil {
			t.Fatalf("written geometry %s does not parse back: %v", out, err)
		}
	})
}
