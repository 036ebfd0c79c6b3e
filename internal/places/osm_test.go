package places

import (
	"bytes"
	"context"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gengxin/gengxin/internal/geo"
)

// onlyReader hides Seek, so ReadOSM takes its single-pass path.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func readSample(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "osm", "changzhou-sample.osm"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadOSMXML(t *testing.T) {
	data := readSample(t)
	two, err := ReadOSM(context.Background(), bytes.NewReader(data), "xml")
	if err != nil {
		t.Fatalf("ReadOSM (seekable): %v", err)
	}
	one, err := ReadOSM(context.Background(), onlyReader{bytes.NewReader(data)}, "XML")
	if err != nil {
		t.Fatalf("ReadOSM (stream): %v", err)
	}
	if !reflect.DeepEqual(one, two) {
		t.Fatalf("two-pass and one-pass reads differ:\n%+v\n%+v", two, one)
	}
	got := map[string]OSMFacility{}
	for _, f := range two.Facilities {
		got[f.Ref] = f
	}
	want := map[string]string{
		"node/30": "kindergarten",
		"node/31": "primary_school",
		"node/32": "middle_school",
		"node/33": "elderly_home",
		"node/34": "elderly_daycare",
		"node/35": "public_toilet",
		"node/37": "health_station",
		"node/38": "parcel_locker",
		"way/100": "park",
		"way/101": "sports_large",
		"way/102": "sports_medium",
		"way/203": "middle_school",
	}
	if len(two.Facilities) != len(want) {
		t.Errorf("found %d facilities, want %d: %+v", len(two.Facilities), len(want), two.Facilities)
	}
	for ref, cat := range want {
		f, ok := got[ref]
		if !ok {
			t.Errorf("facility %s not found", ref)
			continue
		}
		if f.Category != cat {
			t.Errorf("%s is %s, want %s", ref, f.Category, cat)
		}
	}
	var refs []string
	for _, f := range two.Facilities {
		refs = append(refs, f.Ref)
	}
	if refs[0] != "node/30" || refs[len(refs)-1] != "way/203" {
		t.Errorf("facilities not ordered nodes first then ways by id: %v", refs)
	}

	kg := got["node/30"]
	if kg.Name != "红梅幼儿园" || kg.Lon != 119.977 || kg.Lat != 31.817 || kg.Geometry != "" || kg.Tags["amenity"] != "kindergarten" {
		t.Errorf("kindergarten read as %+v", kg)
	}

	park := got["way/100"]
	if park.Name != "东坡公园" {
		t.Errorf("park name %q", park.Name)
	}
	if math.Abs(park.Lon-119.9705) > 1e-9 || math.Abs(park.Lat-31.8105) > 1e-9 {
		t.Errorf("park centroid %v, %v; want 119.9705, 31.8105", park.Lon, park.Lat)
	}
	// Area of the 0.001° square on the sphere: R²·Δλ·(sin φ2 − sin φ1).
	rad := math.Pi / 180
	wantM2 := geo.EarthRadius * geo.EarthRadius * 0.001 * rad * (math.Sin(31.811*rad) - math.Sin(31.810*rad))
	if got := float64(park.SiteAreaDM2) / 100; math.Abs(got-wantM2)/wantM2 > 0.005 {
		t.Errorf("park site area %.1f m², want %.1f m²", got, wantM2)
	}
	if ParkRadius(park.SiteAreaDM2) != 500 {
		t.Errorf("a %.0f m² park serves %v m, want 500", wantM2, ParkRadius(park.SiteAreaDM2))
	}
	g, err := geo.ParseGeometry(park.Geometry, "Polygon")
	if err != nil {
		t.Fatalf("park geometry %q: %v", park.Geometry, err)
	}
	if !geo.Contains(g, 119.9705, 31.8105) {
		t.Error("park polygon does not contain its centre")
	}
	if a := float64(got["way/101"].SiteAreaDM2) / 100; a < SportsLargeM2 {
		t.Errorf("large pitch has %.0f m²", a)
	}
	if a := float64(got["way/102"].SiteAreaDM2) / 100; a < 900 || a > 1000 {
		t.Errorf("small pitch has %.0f m², want about 950", a)
	}

	if len(two.Buildings) != 2 {
		t.Fatalf("found %d buildings, want 2: %+v", len(two.Buildings), two.Buildings)
	}
	b := two.Buildings[0]
	if b.Ref != "way/200" || b.Name != "1号楼" || b.Levels != 6 || b.Kind != "residential" {
		t.Errorf("building read as %+v", b)
	}
	if math.Abs(b.Lon-119.9751) > 1e-9 || math.Abs(b.Lat-31.81505) > 1e-9 {
		t.Errorf("building centroid %v, %v; want 119.9751, 31.81505", b.Lon, b.Lat)
	}
	if b.BBox != (BBox{MinLon: 119.975, MinLat: 31.815, MaxLon: 119.9752, MaxLat: 31.8151}) {
		t.Errorf("building box %+v", b.BBox)
	}
	if _, err := geo.ParseGeometry(b.Footprint, "Polygon"); err != nil {
		t.Errorf("building footprint %q: %v", b.Footprint, err)
	}
	if s := two.Buildings[1]; s.Ref != "way/203" || s.Kind != "school" || s.Levels != 4 {
		t.Errorf("school building read as %+v", s)
	}
	// way/201 (missing node), way/202 (not closed), way/205 (missing node).
	if two.Skipped != 3 {
		t.Errorf("skipped %d, want 3", two.Skipped)
	}
}

func TestCategoryForTags(t *testing.T) {
	tests := []struct {
		name string
		tags map[string]string
		want string // "" for not a facility
	}{
		{"kindergarten", map[string]string{"amenity": "kindergarten"}, "kindergarten"},
		{"private kindergarten grounds still count", map[string]string{"amenity": "kindergarten", "access": "private"}, "kindergarten"},
		{"childcare", map[string]string{"amenity": "childcare"}, "nursery"},
		{"school by default", map[string]string{"amenity": "school"}, "primary_school"},
		{"school isced 1", map[string]string{"amenity": "school", "isced:level": "1"}, "primary_school"},
		{"school isced 2", map[string]string{"amenity": "school", "isced:level": "2"}, "middle_school"},
		{"school isced 3", map[string]string{"amenity": "school", "isced:level": "3"}, "middle_school"},
		{"nine-year school", map[string]string{"amenity": "school", "isced:level": "1;2"}, "primary_school"},
		{"school type secondary", map[string]string{"amenity": "school", "school": "secondary"}, "middle_school"},
		{"middle school by name", map[string]string{"amenity": "school", "name": "常州市第一中学"}, "middle_school"},
		{"junior high by name", map[string]string{"amenity": "school", "name": "北郊初中"}, "middle_school"},
		{"primary attached to a middle school", map[string]string{"amenity": "school", "name": "常州市第一中学附属小学"}, "primary_school"},
		{"english name", map[string]string{"amenity": "school", "name:en": "Lycee High School"}, "middle_school"},
		{"french collège", map[string]string{"amenity": "school", "name": "Collège privé Saint-Joseph"}, "middle_school"},
		{"french école primaire", map[string]string{"amenity": "school", "name": "École primaire Rataou"}, "primary_school"},
		{"french école maternelle", map[string]string{"amenity": "school", "name": "École maternelle Manon des Sources"}, "kindergarten"},
		{"german gymnasium", map[string]string{"amenity": "school", "name": "Helmholtz-Gymnasium"}, "middle_school"},
		{"clinic", map[string]string{"amenity": "clinic"}, "health_station"},
		{"doctors", map[string]string{"amenity": "doctors"}, "health_station"},
		{"clinic named centre", map[string]string{"amenity": "clinic", "name": "兰陵街道社区卫生服务中心"}, "health_centre"},
		{"hospital", map[string]string{"amenity": "hospital"}, "health_centre"},
		{"healthcare centre", map[string]string{"healthcare": "centre"}, "health_centre"},
		{"healthcare centre beats clinic", map[string]string{"amenity": "clinic", "healthcare": "centre"}, "health_centre"},
		{"healthcare doctor", map[string]string{"healthcare": "doctor"}, "health_station"},
		{"nursing home", map[string]string{"amenity": "social_facility", "social_facility": "nursing_home"}, "elderly_home"},
		{"assisted living", map[string]string{"amenity": "social_facility", "social_facility": "assisted_living"}, "elderly_home"},
		{"senior day care", map[string]string{"amenity": "social_facility", "social_facility": "day_care", "social_facility:for": "senior"}, "elderly_daycare"},
		{"day care by name", map[string]string{"amenity": "social_facility", "social_facility": "day_care", "name": "红梅老年人日间照料中心"}, "elderly_daycare"},
		{"child day care", map[string]string{"amenity": "social_facility", "social_facility": "day_care", "social_facility:for": "child"}, "nursery"},
		{"day care for whom unknown", map[string]string{"amenity": "social_facility", "social_facility": "day_care"}, ""},
		{"food bank", map[string]string{"amenity": "social_facility", "social_facility": "food_bank"}, ""},
		{"community centre", map[string]string{"amenity": "community_centre"}, "community_service"},
		{"library", map[string]string{"amenity": "library"}, "culture_station"},
		{"arts centre", map[string]string{"amenity": "arts_centre"}, "culture_station"},
		{"marketplace", map[string]string{"amenity": "marketplace"}, "market"},
		{"supermarket", map[string]string{"shop": "supermarket"}, "supermarket"},
		{"convenience", map[string]string{"shop": "convenience"}, "convenience_store"},
		{"bakery", map[string]string{"shop": "bakery"}, ""},
		{"park", map[string]string{"leisure": "park"}, "park"},
		{"private park", map[string]string{"leisure": "park", "access": "private"}, ""},
		{"named public garden", map[string]string{"leisure": "garden", "name": "近园"}, "park"},
		{"community garden", map[string]string{"leisure": "garden", "garden:type": "community"}, "park"},
		{"back garden", map[string]string{"leisure": "garden"}, ""},
		{"residential garden", map[string]string{"leisure": "garden", "garden:type": "residential", "name": "x"}, ""},
		{"pitch", map[string]string{"leisure": "pitch"}, "sports_medium"},
		{"sports centre", map[string]string{"leisure": "sports_centre"}, "sports_medium"},
		{"fitness station", map[string]string{"leisure": "fitness_station"}, "fitness"},
		{"toilets", map[string]string{"amenity": "toilets"}, "public_toilet"},
		{"private toilets", map[string]string{"amenity": "toilets", "access": "private"}, ""},
		{"waste disposal", map[string]string{"amenity": "waste_disposal"}, "waste_collection"},
		{"recycling", map[string]string{"amenity": "recycling"}, "waste_collection"},
		{"charging", map[string]string{"amenity": "charging_station"}, "ev_charging"},
		{"parking", map[string]string{"amenity": "parking"}, "parking"},
		{"private parking", map[string]string{"amenity": "parking", "access": "no"}, ""},
		{"police", map[string]string{"amenity": "police"}, "police_station"},
		{"parcel locker", map[string]string{"amenity": "parcel_locker"}, "parcel_locker"},
		{"parcel vending machine", map[string]string{"amenity": "vending_machine", "vending": "parcel_pickup;parcel_mail_in"}, "parcel_locker"},
		{"drinks vending machine", map[string]string{"amenity": "vending_machine", "vending": "drinks"}, ""},
		{"road", map[string]string{"highway": "residential"}, ""},
		{"no tags", nil, ""},
	}
	for _, tt := range tests {
		got, ok := CategoryForTags(tt.tags)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("%s: CategoryForTags(%v) = %q, %v; want %q", tt.name, tt.tags, got, ok, tt.want)
		}
		if ok {
			if _, known := CategoryByCode(got); !known {
				t.Errorf("%s: %q is not in the catalogue", tt.name, got)
			}
		}
	}
}

func TestReadOSMBadInput(t *testing.T) {
	data := readSample(t)
	cut := data[:bytes.Index(data, []byte(`<way id="200">`))+20]
	tests := []struct {
		name   string
		data   []byte
		format string
		want   string
	}{
		{"unknown format", data, "geojson", `unknown OpenStreetMap format "geojson"`},
		{"not OSM XML", []byte("name,lon,lat\nx,1,2\n"), "xml", "not an OpenStreetMap XML file"},
		{"empty file", nil, "xml", "not an OpenStreetMap XML file"},
		{"XML given as PBF", data, "pbf", "not an OpenStreetMap PBF file"},
		{"truncated XML", cut, "xml", "damaged or truncated"},
		{"bad coordinate", []byte(`<osm><node id="1" lat="north" lon="1"/></osm>`), "xml", "damaged or truncated"},
	}
	for _, tt := range tests {
		for _, seek := range []bool{true, false} {
			var r io.Reader = bytes.NewReader(tt.data)
			if !seek {
				r = onlyReader{r}
			}
			_, err := ReadOSM(context.Background(), r, tt.format)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s (seekable %v): error %v, want one saying %q", tt.name, seek, err, tt.want)
			}
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ReadOSM(ctx, bytes.NewReader(data), "xml"); err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Errorf("cancelled read gave %v", err)
	}
}

func TestReadOSMOutOfRangeNodes(t *testing.T) {
	text := `<osm>
  <node id="1" lat="95" lon="119.97"><tag k="amenity" v="toilets"/></node>
  <node id="2" lat="31.81" lon="119.97"/>
  <node id="3" lat="31.81" lon="119.98"/>
  <node id="4" lat="131.82" lon="119.98"/>
  <way id="10"><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="2"/><tag k="building" v="yes"/></way>
</osm>`
	f, err := ReadOSM(context.Background(), strings.NewReader(text), "xml")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Facilities) != 0 || len(f.Buildings) != 0 || f.Skipped != 2 {
		t.Errorf("got %d facilities, %d buildings, %d skipped; want 0, 0, 2", len(f.Facilities), len(f.Buildings), f.Skipped)
	}
}

// monacoPBF finds the Monaco extract shipped in the shared data folder.
func monacoPBF(t *testing.T) []byte {
	t.Helper()
	for _, p := range []string{
		"/work/shared/data/osm/monaco.osm.pbf",
		filepath.Join("..", "..", "..", "shared", "data", "osm", "monaco.osm.pbf"),
	} {
		if b, err := os.ReadFile(p); err == nil {
			return b
		}
	}
	t.Skip("monaco.osm.pbf not found in shared/data/osm: skipping the real-data test")
	return nil
}

func TestReadOSMMonacoPBF(t *testing.T) {
	if testing.Short() {
		t.Skip("reads a 1.7 MB extract")
	}
	data := monacoPBF(t)
	f, err := ReadOSM(context.Background(), bytes.NewReader(data), "pbf")
	if err != nil {
		t.Fatalf("ReadOSM: %v", err)
	}
	count := map[string]int{}
	for _, fc := range f.Facilities {
		count[fc.Category]++
		// Monaco and the French edge of the extract.
		if fc.Lon < 7.3 || fc.Lon > 7.6 || fc.Lat < 43.6 || fc.Lat > 43.9 {
			t.Errorf("%s at %v, %v is outside the extract", fc.Ref, fc.Lon, fc.Lat)
		}
		if _, ok := CategoryByCode(fc.Category); !ok {
			t.Errorf("%s has unknown category %q", fc.Ref, fc.Category)
		}
	}
	t.Logf("%d facilities %v, %d buildings, %d skipped", len(f.Facilities), count, len(f.Buildings), f.Skipped)
	schools := count["primary_school"] + count["middle_school"]
	parks := count["park"]
	if schools < 5 || schools > 40 {
		t.Errorf("%d schools, want about 16", schools)
	}
	// Monaco's collèges and lycées are its middle schools.
	if count["middle_school"] < 2 || count["primary_school"] < 2 {
		t.Errorf("%d primary and %d middle schools, want several of each", count["primary_school"], count["middle_school"])
	}
	if parks < 5 || parks > 60 {
		t.Errorf("%d parks, want about 16", parks)
	}
	if count["parking"] < 10 || count["public_toilet"] < 3 {
		t.Errorf("implausibly few car parks (%d) or toilets (%d)", count["parking"], count["public_toilet"])
	}
	if len(f.Buildings) < 1000 {
		t.Errorf("%d buildings, want thousands", len(f.Buildings))
	}
	levels := 0
	for _, b := range f.Buildings {
		if b.Levels > 0 {
			levels++
		}
		if b.BBox.Empty() || b.Lon < b.BBox.MinLon || b.Lon > b.BBox.MaxLon || b.Lat < b.BBox.MinLat || b.Lat > b.BBox.MaxLat {
			t.Fatalf("building %s centroid %v, %v outside its box %+v", b.Ref, b.Lon, b.Lat, b.BBox)
		}
	}
	if levels == 0 {
		t.Error("no building has building:levels")
	}

	// The same file read as a stream, in one pass, gives the same result.
	g, err := ReadOSM(context.Background(), onlyReader{bytes.NewReader(data)}, "pbf")
	if err != nil {
		t.Fatalf("ReadOSM (stream): %v", err)
	}
	if !reflect.DeepEqual(f, g) {
		t.Errorf("stream read differs: %d/%d facilities, %d/%d buildings, %d/%d skipped",
			len(f.Facilities), len(g.Facilities), len(f.Buildings), len(g.Buildings), f.Skipped, g.Skipped)
	}

	// A truncated copy is reported, not half-read in silence.
	if _, err := ReadOSM(context.Background(), bytes.NewReader(data[:len(data)/2]), "pbf"); err == nil || !strings.Contains(err.Error(), "damaged or truncated") {
		t.Errorf("truncated PBF gave %v", err)
	}
}

func FuzzReadOSMXML(f *testing.F) {
	f.Add(`<osm><node id="1" lat="31.8" lon="119.9"><tag k="amenity" v="school"/></node></osm>`)
	f.Add(`<osm><node id="1" lat="0" lon="0"/><node id="2" lat="0" lon="1"/><node id="3" lat="1" lon="1"/><way id="5"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="1"/><tag k="building" v="yes"/><tag k="leisure" v="park"/></way></osm>`)
	f.Add(`<osm><way id="5"><nd ref="1"/><tag k="building" v="yes"/></way><node id="1" lat="NaN" lon="1"/></osm>`)
	f.Add(`<osm><node id="1" lat="1e308" lon="-1e308"/></osm>`)
	f.Add(`<osm><way id="7"><nd ref="1"/><nd ref="1"/><nd ref="1"/><nd ref="1"/><tag k="leisure" v="pitch"/></way></osm>`)
	f.Fuzz(func(t *testing.T, text string) {
		for _, r := range []io.Reader{strings.NewReader(text), onlyReader{strings.NewReader(text)}} {
			got, err := ReadOSM(context.Background(), r, "xml")
			if err != nil {
				if got != nil {
					t.Fatal("result returned with an error")
				}
				continue
			}
			for _, fc := range got.Facilities {
				if geo.ValidLonLat(fc.Lon, fc.Lat) != nil {
					t.Fatalf("facility %s at invalid position %v, %v", fc.Ref, fc.Lon, fc.Lat)
				}
				if _, ok := CategoryByCode(fc.Category); !ok {
					t.Fatalf("facility %s has unknown category %q", fc.Ref, fc.Category)
				}
				if fc.Geometry != "" {
					if _, err := geo.ParseGeometry(fc.Geometry, "Polygon"); err != nil {
						t.Fatalf("facility %s geometry %s: %v", fc.Ref, fc.Geometry, err)
					}
				}
			}
			for _, b := range got.Buildings {
				if _, err := geo.ParseGeometry(b.Footprint, "Polygon"); err != nil {
					t.Fatalf("building %s footprint %s: %v", b.Ref, b.Footprint, err)
				}
			}
		}
	})
}

func TestReadOSMFlatOutlines(t *testing.T) {
	// Both outlines lie on one line: no footprint can be made of them. The park
	// is still a facility at the middle of its outline.
	text := `<osm>
  <node id="1" lat="31.80" lon="119.97"/>
  <node id="2" lat="31.81" lon="119.98"/>
  <node id="3" lat="31.82" lon="119.99"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="1"/><tag k="building" v="yes"/></way>
  <way id="11"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="1"/><tag k="leisure" v="park"/></way>
</osm>`
	f, err := ReadOSM(context.Background(), strings.NewReader(text), "xml")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Buildings) != 0 || f.Skipped != 1 {
		t.Errorf("got %d buildings, %d skipped; want 0 and 1", len(f.Buildings), f.Skipped)
	}
	if len(f.Facilities) != 1 || f.Facilities[0].Geometry != "" || f.Facilities[0].SiteAreaDM2 != 0 {
		t.Errorf("flat park read as %+v", f.Facilities)
	}
}
