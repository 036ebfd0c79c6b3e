package places

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
	"github.com/gengxin/gengxin/internal/geo"
	"github.com/gengxin/gengxin/internal/pii"
)

// impClock is the fixed time of the import tests.
var impClock = func() time.Time { return time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC) }

// impStore returns a store on d with a fixed key and clock.
func impStore(t testing.TB, d *db.DB) *Store {
	t.Helper()
	box, err := pii.New(bytes.Repeat([]byte{7}, 64))
	if err != nil {
		t.Fatal(err)
	}
	return NewStore(d, box, audit.New(d, impClock), impClock)
}

func impSquare(x0, y0, x1, y1 float64) string {
	return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%v,%v],[%v,%v],[%v,%v],[%v,%v],[%v,%v]]]}`,
		x0, y0, x1, y0, x1, y1, x0, y1, x0, y0)
}

// impFixture is a small fixed neighbourhood in Changzhou: a region chain down to
// two grids, one compound with one building, entrance, household, two owners
// (one linked) and one facility.
func impFixture() *Dataset {
	return &Dataset{
		Regions: []Region{
			{ID: 1, Code: "320400", Level: LevelCity, Name: "常州市", Path: "/1/"},
			{ID: 2, ParentID: 1, Code: "320402", Level: LevelDistrict, Name: "天宁区", Path: "/1/2/"},
			{ID: 3, ParentID: 2, Code: "320402001", Level: LevelSubdistrict, Name: "茶山街道", Path: "/1/2/3/"},
			{ID: 4, ParentID: 3, Code: "320402001001", Level: LevelCommunity, Name: "丽华新村社区", Path: "/1/2/3/4/"},
			{ID: 5, ParentID: 4, Code: "G1", Level: LevelGrid, Name: "丽华一网格", Path: "/1/2/3/4/5/",
				Geometry: impSquare(119.96, 31.80, 119.97, 31.81), BBox: BBox{119.96, 31.80, 119.97, 31.81}},
			{ID: 6, ParentID: 4, Code: "G2", Level: LevelGrid, Name: "丽华二网格", Path: "/1/2/3/4/6/",
				Geometry: impSquare(119.97, 31.80, 119.98, 31.81), BBox: BBox{119.97, 31.80, 119.98, 31.81}},
		},
		Compounds: []Compound{{
			ID: 1, Code: "C1", RegionID: 5, RegionPath: "/1/2/3/4/5/", Name: "丽华一村", Address: "丽华路1号",
			BuiltYear: 1988, PropertyMode: PropertyTrust, RenovationStatus: RenovationPlanned,
			Gates:    []Point{{119.962, 31.805}},
			Geometry: impSquare(119.962, 31.802, 119.968, 31.808), Lon: 119.965, Lat: 31.805,
			BBox: BBox{119.962, 31.802, 119.968, 31.808},
		}},
		Buildings: []Building{{
			ID: 1, Code: "C1-B1", CompoundID: 1, Name: "1幢", Storeys: 6, BuiltYear: 1988, Structure: "brick_concrete",
			EntranceCount: 2, GasPipeYear: 1990, HouseholdCount: 24,
			Footprint: impSquare(119.9645, 31.8045, 119.9650, 31.8048), Lon: 119.96475, Lat: 31.80465,
			BBox: BBox{119.9645, 31.8045, 119.9650, 31.8048},
		}},
		Entrances:  []Entrance{{ID: 1, Code: "C1-B1-E1", BuildingID: 1, Name: "1单元", Number: 1, Lon: 119.9646, Lat: 31.8045}},
		Households: []Household{{ID: 1, Code: "C1-B1-101", BuildingID: 1, EntranceID: 1, Room: "101", Floor: 1, RegisteredDM2: 6850, Occupancy: "owner", HasKitchen: true, HasToilet: true}},
		Owners: []Owner{
			{ID: 1, Code: "O1", Kind: OwnerPerson, Name: "张三", Phone: "13800001111", IDNumber: "320402198801011234"},
			{ID: 2, Code: "O2", Kind: OwnerPerson, Name: "李四", Phone: "13900003333"},
		},
		HouseholdOwners: []HouseholdOwner{{HouseholdID: 1, OwnerID: 1, ShareBP: 10000, IsVoter: true}},
		Facilities: []Facility{{
			ID: 1, Code: "F1", Category: "kindergarten", Name: "丽华幼儿园", Address: "丽华路3号", RegionID: 5, RegionPath: "/1/2/3/4/5/",
			Capacity: 270, FloorAreaDM2: 200000, Lon: 119.966, Lat: 31.806, Source: "manual",
		}},
	}
}

// impSetup returns a store on d loaded with the fixture.
func impSetup(t testing.TB, d *db.DB) *Store {
	t.Helper()
	s := impStore(t, d)
	if err := s.Load(context.Background(), impFixture(), audit.Change{Action: "places.load", ObjectType: "dataset", ObjectID: "fixture"}); err != nil {
		t.Fatalf("load fixture: %v", err)
	}
	return s
}

var impTables = []string{"regions", "compounds", "buildings", "entrances", "households", "owners", "household_owners", "facilities"}

// impCounts returns the number of rows of every places table.
func impCounts(t testing.TB, d *db.DB) map[string]int {
	t.Helper()
	out := make(map[string]int)
	for _, tb := range impTables {
		var n int
		if err := d.Read().QueryRow("SELECT COUNT(*) FROM " + tb).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[tb] = n
	}
	return out
}

func impCtx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{Kind: audit.ActorUser, ID: 7, Name: "grid-worker"})
}

func impRun(t *testing.T, s *Store, req ImportRequest, data string) *ImportReport {
	t.Helper()
	rep, err := s.Import(impCtx(), req, strings.NewReader(data))
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return rep
}

func impFile(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "import", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var tableOf = map[string]string{
	ObjectRegion: "regions", ObjectCompound: "compounds", ObjectBuilding: "buildings", ObjectEntrance: "entrances",
	ObjectHousehold: "households", ObjectOwner: "owners", ObjectHouseholdOwner: "household_owners", ObjectFacility: "facilities",
}

func TestImportGoodFiles(t *testing.T) {
	want := map[string]int{
		ObjectRegion: 3, ObjectCompound: 2, ObjectBuilding: 2, ObjectEntrance: 1,
		ObjectHousehold: 2, ObjectOwner: 2, ObjectHouseholdOwner: 1, ObjectFacility: 2,
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		for _, format := range []string{FormatCSV, FormatGeoJSON} {
			for _, typ := range ObjectTypes {
				t.Run(format+"/"+typ, func(t *testing.T) {
					s := impStore(t, d)
					// Each case gets a fresh fixture: clear and reload.
					impReset(t, d)
					if err := s.Load(context.Background(), impFixture(), audit.Change{Action: "places.load", ObjectType: "dataset", ObjectID: "fixture"}); err != nil {
						t.Fatal(err)
					}
					before := impCounts(t, d)
					rep := impRun(t, s, ImportRequest{ObjectType: typ, Format: format, Filename: typ + "." + format}, impFile(t, typ+"."+format))
					if !rep.Committed || len(rep.Errors) != 0 {
						t.Fatalf("not committed: %v", rep.Errors)
					}
					if rep.Inserted != want[typ] || rep.Rows != want[typ] {
						t.Errorf("rows %d inserted %d, want %d", rep.Rows, rep.Inserted, want[typ])
					}
					after := impCounts(t, d)
					if got := after[tableOf[typ]] - before[tableOf[typ]]; got != want[typ] {
						t.Errorf("%s grew by %d, want %d", tableOf[typ], got, want[typ])
					}
					impCheckImported(t, s, typ)
					stored, err := s.GetImport(context.Background(), rep.ID)
					if err != nil {
						t.Fatal(err)
					}
					if !stored.Committed || stored.Inserted != want[typ] || stored.Actor != "grid-worker" || stored.Filename != typ+"."+format {
						t.Errorf("stored report %+v", stored)
					}
				})
			}
		}
	})
}

// impReset empties every places table and the import reports.
func impReset(t testing.TB, d *db.DB) {
	t.Helper()
	for _, tb := range []string{"household_owners", "households", "entrances", "buildings", "compounds", "owners", "facilities", "regions", "imports"} {
		if _, err := d.Write().Exec("DELETE FROM " + tb); err != nil {
			t.Fatal(err)
		}
	}
}

// impCheckImported looks at what the good files wrote.
func impCheckImported(t *testing.T, s *Store, typ string) {
	t.Helper()
	q := s.DB().Read()
	str := func(query string, args ...any) string {
		t.Helper()
		var v string
		if err := q.QueryRow(query, args...).Scan(&v); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return v
	}
	switch typ {
	case ObjectRegion:
		var comm int64
		if err := q.QueryRow(`SELECT id FROM regions WHERE code = '320402001002'`).Scan(&comm); err != nil {
			t.Fatal(err)
		}
		if got, want := str(`SELECT path FROM regions WHERE code = 'G4'`), fmt.Sprintf("/1/2/3/%d/", comm); !strings.HasPrefix(got, want) {
			t.Errorf("G4 path %s, want under %s", got, want)
		}
		if got := str(`SELECT CAST(min_lon AS TEXT) FROM regions WHERE code = 'G3'`); !strings.HasPrefix(got, "119.98") {
			t.Errorf("G3 bbox min_lon %s", got)
		}
	case ObjectCompound:
		var lon, lat float64
		if err := q.QueryRow(`SELECT lon, lat FROM compounds WHERE code = 'C2'`).Scan(&lon, &lat); err != nil {
			t.Fatal(err)
		}
		if abs(lon-119.973) > 1e-9 || abs(lat-31.805) > 1e-9 {
			t.Errorf("C2 centroid %v %v", lon, lat)
		}
		if got := str(`SELECT region_path FROM compounds WHERE code = 'C2'`); got != "/1/2/3/4/6/" {
			t.Errorf("C2 region path %s", got)
		}
		if got := str(`SELECT gates FROM compounds WHERE code = 'C2'`); !strings.Contains(got, "119.972") {
			t.Errorf("C2 gates %s", got)
		}
	case ObjectBuilding:
		var lon float64
		if err := q.QueryRow(`SELECT lon FROM buildings WHERE code = 'C1-B3'`).Scan(&lon); err != nil {
			t.Fatal(err)
		}
		if lon != 119.965 {
			t.Errorf("building without position should take the compound's: %v", lon)
		}
		var elev, ramp bool
		if err := q.QueryRow(`SELECT has_elevator, has_ramp FROM buildings WHERE code = 'C1-B2'`).Scan(&elev, &ramp); err != nil {
			t.Fatal(err)
		}
		if elev || !ramp {
			t.Errorf("C1-B2 elevator %v ramp %v, want 否/是", elev, ramp)
		}
	case ObjectEntrance:
		if got := str(`SELECT name FROM entrances WHERE code = 'C1-B1-E2'`); got != "2单元" {
			t.Errorf("default entrance name %q", got)
		}
	case ObjectHousehold:
		var area int64
		if err := q.QueryRow(`SELECT registered_area_dm2 FROM households WHERE code = 'C1-B1-102'`).Scan(&area); err != nil {
			t.Fatal(err)
		}
		if area != 7235 {
			t.Errorf("area %d dm², want 7235", area)
		}
		var kitchen bool
		if err := q.QueryRow(`SELECT has_kitchen FROM households WHERE code = 'C1-B1-201'`).Scan(&kitchen); err != nil {
			t.Fatal(err)
		}
		if kitchen {
			t.Error("否 should read as false")
		}
	case ObjectOwner:
		var enc []byte
		var hash string
		if err := q.QueryRow(`SELECT phone_enc, phone_hash FROM owners WHERE code = 'O3'`).Scan(&enc, &hash); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(enc, []byte("13900002222")) || hash != s.box.Index("13900002222") {
			t.Error("phone must be sealed and indexed")
		}
	case ObjectHouseholdOwner:
		if got := str(`SELECT CAST(share_bp AS TEXT) FROM household_owners WHERE owner_id = 2`); got != "5000" {
			t.Errorf("share %s bp, want 5000", got)
		}
	case ObjectFacility:
		if got := str(`SELECT region_path FROM facilities WHERE code = 'F2'`); got != "/1/2/3/4/6/" {
			t.Errorf("F2 should fall in grid G2, got path %q", got)
		}
		if got := str(`SELECT source FROM facilities WHERE code = 'F2'`); got != "import" {
			t.Errorf("source %q", got)
		}
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// impErr is an expected error: line, field and a piece of the reason.
type impErr struct {
	line  int
	field string
	says  string
}

func TestImportBadFiles(t *testing.T) {
	cases := []struct {
		name   string
		typ    string
		format string
		data   string
		want   []impErr
	}{
		{
			name: "malformed geometry", typ: ObjectCompound,
			data: "code,name,region_code,geometry\n" +
				`C7,好,G1,"{""type"":""Polygon"",""coordinates"":[[[119.96,31.80],[119.97,31.80],[119.97,31.81]]]}"` + "\n" +
				`C8,好,G1,"{""type"":""Point"",""coordinates"":[119.96,31.80]}"` + "\n" +
				`C9,好,G1,not json` + "\n",
			want: []impErr{{2, "geometry", "malformed geometry"}, {3, "geometry", "malformed geometry"}, {4, "geometry", "malformed geometry"}},
		},
		{
			name: "wrong column", typ: ObjectHousehold,
			data: "code,building_code,room,flor\nH9,C1-B1,909,9\n",
			want: []impErr{{1, "flor", "unknown column"}, {1, "floor", "missing required column"}},
		},
		{
			name: "wrong type", typ: ObjectHousehold,
			data: "code,building_code,room,floor,has_kitchen,occupancy\n" +
				"H1,C1-B1,101,abc,1,owner\n" +
				"H2,C1-B1,102,1,1,owner\n" +
				"H3,C1-B1,103,1,maybe,owner\n" +
				"H4,C1-B1,104,1,1,squatted\n",
			want: []impErr{{2, "floor", "not a whole number"}, {4, "has_kitchen", "是/否"}, {5, "occupancy", "owner, rented, vacant, unknown"}},
		},
		{
			name: "year out of range", typ: ObjectBuilding,
			data: "code,compound_code,name,storeys,built_year\nB8,C1,8幢,6,1800\nB9,C1,9幢,six,1990\n",
			want: []impErr{{2, "built_year", "outside 1900–2100"}, {3, "storeys", "not a whole number"}},
		},
		{
			name: "negative area", typ: ObjectHousehold,
			data: "code,building_code,room,floor,registered_area_m2,surveyed_area_m2\n" +
				"H1,C1-B1,101,1,68.5,\n" +
				"H2,C1-B1,102,1,-5,\n" +
				"H3,C1-B1,103,1,,68.123\n",
			want: []impErr{{3, "registered_area_m2", "negative area"}, {4, "surveyed_area_m2", "more than two decimals"}},
		},
		{
			name: "duplicate id within the file", typ: ObjectHousehold,
			data: "code,building_code,room,floor\nH1,C1-B1,101,1\nH2,C1-B1,102,1\nH1,C1-B1,103,1\n",
			want: []impErr{{4, "code", "duplicate id \"H1\": already on line 2"}},
		},
		{
			name: "duplicate id against the database", typ: ObjectHousehold,
			data: "code,building_code,room,floor\nH1,C1-B1,101,1\nC1-B1-101,C1-B1,101,1\n",
			want: []impErr{{3, "code", "duplicate id \"C1-B1-101\""}},
		},
		{
			name: "unknown region", typ: ObjectCompound,
			data: "code,name,region_code,lon,lat\nC7,甲,NOPE,119.965,31.805\nC8,乙,G1,119.965,31.805\nC9,丙,320402001,119.965,31.805\n",
			want: []impErr{{2, "region_code", "unknown region \"NOPE\""}, {4, "region_code", "a compound belongs to a community or a grid"}},
		},
		{
			name: "unknown parents", typ: ObjectHousehold,
			data: "code,building_code,entrance_code,room,floor\nH1,NOPE,,101,1\nH2,C1-B1,NOPE,102,1\n",
			want: []impErr{{2, "building_code", "unknown building"}, {3, "entrance_code", "unknown entrance"}},
		},
		{
			name: "coordinates out of range", typ: ObjectFacility,
			data: "code,category,name,lon,lat\nF7,park,甲,200,31.8\nF8,park,乙,119.97,95\nF9,park,丙,119.97,\n",
			want: []impErr{{2, "lon", "coordinates out of range"}, {3, "lon", "coordinates out of range"}, {4, "lon", "give both or neither"}},
		},
		{
			name: "unknown category", typ: ObjectFacility,
			data: "code,category,name,lon,lat\nF7,spa,甲,119.97,31.8\n",
			want: []impErr{{2, "category", "unknown category \"spa\""}},
		},
		{
			name: "three bad rows report three", typ: ObjectEntrance,
			data: "code,building_code,number\nE1,C1-B1,x\nE2,C1-B1,2\nE3,NOPE,3\nE4,C1-B1,\n",
			want: []impErr{{2, "number", "not a whole number"}, {4, "building_code", "unknown building"}, {5, "number", "required value is empty"}},
		},
		{
			name: "broken quoting", typ: ObjectOwner,
			data: "code,name\nO7,\"张\"三\"\nO8,李四\n",
			want: []impErr{{2, "", "broken CSV"}},
		},
		{
			name: "field count", typ: ObjectOwner,
			data: "code,name\nO7,张三,extra\n",
			want: []impErr{{2, "", "the row has 3 fields but the header has 2"}},
		},
		{
			name: "empty file", typ: ObjectOwner,
			data: "",
			want: []impErr{{1, "", "the file is empty"}},
		},
		{
			name: "region under a lower level", typ: ObjectRegion,
			data: "code,name,level,parent_code\nX1,甲,district,G1\nX2,乙,grid,LATER\nLATER,丙,community,320402001\n",
			want: []impErr{{2, "level", "cannot lie under"}, {3, "parent_code", "unknown region \"LATER\""}},
		},
		{
			name: "coordinate not a number", typ: ObjectEntrance,
			data: "code,building_code,number,lon,lat\nE5,C1-B1,5,abc,31.8\n",
			want: []impErr{{2, "lon", "not a number"}},
		},
		{
			name: "geojson bad features", typ: ObjectFacility, format: FormatGeoJSON,
			data: `{"type": "FeatureCollection",
"features": [
  {"type": "Feature", "properties": {"code": "F7", "category": "park", "name": "好"},
   "geometry": {"type": "Point", "coordinates": [119.97, 31.8]}},
  {"type": "Feature", "properties": {"code": "F8", "category": "spa", "name": "坏"},
   "geometry": {"type": "Point", "coordinates": [119.97, 31.8]}},
  {"type": "Feature", "properties": {"code": "F9", "category": "park", "name": "坏", "colour": "red"},
   "geometry": {"type": "Polygon", "coordinates": [[[119.97, 31.8], [119.98, 31.8]]]}}
]}`,
			want: []impErr{{5, "category", "unknown category"}, {7, "colour", "unknown property"}, {7, "geometry", "malformed geometry"}},
		},
		{
			name: "geojson broken JSON", typ: ObjectFacility, format: FormatGeoJSON,
			data: "{\"type\": \"FeatureCollection\",\n\"features\": [\n{\"type\": \"Feature\", \"properties\": {,}}\n]}",
			want: []impErr{{3, "", "broken JSON"}},
		},
		{
			name: "geojson not a collection", typ: ObjectFacility, format: FormatGeoJSON,
			data: `{"type": "Feature", "properties": {}, "geometry": null}`,
			want: []impErr{{1, "", "not a FeatureCollection"}},
		},
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := impSetup(t, d)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				format := c.format
				if format == "" {
					format = FormatCSV
				}
				before := impCounts(t, d)
				rep := impRun(t, s, ImportRequest{ObjectType: c.typ, Format: format, Filename: "bad." + format}, c.data)
				if rep.Committed || rep.Inserted != 0 {
					t.Errorf("a bad file must not commit: %+v", rep)
				}
				if after := impCounts(t, d); !equalCounts(before, after) {
					t.Errorf("tables changed: before %v after %v", before, after)
				}
				if len(rep.Errors) != len(c.want) || rep.ErrorCount != len(c.want) {
					t.Fatalf("got %d errors, want %d:\n%s", len(rep.Errors), len(c.want), impErrText(rep.Errors))
				}
				for i, w := range c.want {
					e := rep.Errors[i]
					if e.Line != w.line || e.Field != w.field || !strings.Contains(e.Reason, w.says) {
						t.Errorf("error %d = %s; want line %d, field %q, saying %q", i, e, w.line, w.field, w.says)
					}
				}
				stored, err := s.GetImport(context.Background(), rep.ID)
				if err != nil {
					t.Fatal(err)
				}
				if stored.Committed || stored.ErrorCount != len(c.want) || len(stored.Errors) != len(c.want) {
					t.Errorf("stored report %+v", stored)
				}
			})
		}
	})
}

func equalCounts(a, b map[string]int) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return len(a) == len(b)
}

func impErrText(errs []RowError) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString(e.String())
		b.WriteByte('\n')
	}
	return b.String()
}

func TestImportGeoJSONFeatureLines(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := impSetup(t, d)
		data := "{\"type\":\"FeatureCollection\",\"features\":[\n" +
			`{"type":"Feature","properties":{"code":"E7","building_code":"C1-B1","number":7},"geometry":{"type":"Point","coordinates":[119.9646,31.8045]}},` + "\n" +
			`{"type":"Feature","properties":{"code":"E8","building_code":"C1-B1","number":8},` + "\n" +
			` "geometry":{"type":"Polygon","coordinates":[[[119.96,31.80],[119.97,31.80],[119.97,31.81],[119.96,31.80]]]}}` + "\n]}"
		rep := impRun(t, s, ImportRequest{ObjectType: ObjectEntrance, Format: FormatGeoJSON}, data)
		if len(rep.Errors) != 1 {
			t.Fatalf("errors: %s", impErrText(rep.Errors))
		}
		if e := rep.Errors[0]; e.Feature != 2 || e.Line != 3 || e.Field != "geometry" {
			t.Errorf("got %s, want feature 2 on line 3", e)
		}
	})
}

func TestImportCoordinateSystems(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := impSetup(t, d)
		ctx := context.Background()
		const lon, lat = 119.975, 31.805
		data := fmt.Sprintf("code,name,region_code,lon,lat,gates,geometry\nCG,火星坐标小区,G2,%v,%v,\"[[%v,%v]]\",\"%s\"\n", lon, lat, lon, lat,
			strings.ReplaceAll(impSquare(119.971, 31.801, 119.979, 31.809), `"`, `""`))
		rep := impRun(t, s, ImportRequest{ObjectType: ObjectCompound, Format: FormatCSV, CRS: geo.GCJ02}, data)
		if !rep.Committed {
			t.Fatalf("gcj02 import: %s", impErrText(rep.Errors))
		}
		var gotLon, gotLat, minLon float64
		var gates string
		if err := d.Read().QueryRowContext(ctx, `SELECT lon, lat, min_lon, gates FROM compounds WHERE code = 'CG'`).Scan(&gotLon, &gotLat, &minLon, &gates); err != nil {
			t.Fatal(err)
		}
		wantLon, wantLat := geo.GCJ02ToWGS84(lon, lat)
		if abs(gotLon-wantLon) > 1e-9 || abs(gotLat-wantLat) > 1e-9 {
			t.Errorf("gcj02 point stored as %v,%v, want %v,%v", gotLon, gotLat, wantLon, wantLat)
		}
		if abs(gotLon-lon) < 1e-4 {
			t.Error("gcj02 point was not converted")
		}
		wantMin, _ := geo.GCJ02ToWGS84(119.971, 31.801)
		if abs(minLon-wantMin) > 1e-6 {
			t.Errorf("polygon not converted: min lon %v, want about %v", minLon, wantMin)
		}
		if !strings.Contains(gates, fmt.Sprint(wantLon)[:9]) {
			t.Errorf("gates not converted: %s", gates)
		}

		data = fmt.Sprintf("code,category,name,lon,lat\nFB,park,百度坐标公园,%v,%v\n", lon, lat)
		rep = impRun(t, s, ImportRequest{ObjectType: ObjectFacility, Format: FormatCSV, CRS: geo.BD09}, data)
		if !rep.Committed {
			t.Fatalf("bd09 import: %s", impErrText(rep.Errors))
		}
		if err := d.Read().QueryRowContext(ctx, `SELECT lon, lat FROM facilities WHERE code = 'FB'`).Scan(&gotLon, &gotLat); err != nil {
			t.Fatal(err)
		}
		wantLon, wantLat = geo.BD09ToWGS84(lon, lat)
		if abs(gotLon-wantLon) > 1e-9 || abs(gotLat-wantLat) > 1e-9 {
			t.Errorf("bd09 point stored as %v,%v, want %v,%v", gotLon, gotLat, wantLon, wantLat)
		}
	})
}

func TestImportOSM(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := impSetup(t, d)
		ctx := context.Background()
		rep := impRun(t, s, ImportRequest{ObjectType: ObjectFacility, Format: FormatOSMXML, Filename: "facilities.osm"}, impFile(t, "facilities.osm"))
		if !rep.Committed || rep.Inserted != 2 || rep.Skipped != 0 {
			t.Fatalf("facilities: %+v", rep)
		}
		var code, cat, source, ref, path, address string
		if err := d.Read().QueryRowContext(ctx, `SELECT code, category, source, osm_ref, region_path FROM facilities WHERE name = '丽华新村幼儿园'`).
			Scan(&code, &cat, &source, &ref, &path); err != nil {
			t.Fatal(err)
		}
		if code != "OSM-node-101" || cat != "kindergarten" || source != "osm" || ref != "node/101" || path != "/1/2/3/4/5/" {
			t.Errorf("kindergarten: %s %s %s %s %s", code, cat, source, ref, path)
		}
		if err := d.Read().QueryRowContext(ctx, `SELECT address FROM facilities WHERE code = 'OSM-node-102'`).Scan(&address); err != nil {
			t.Fatal(err)
		}
		if address != "丽华路9号" {
			t.Errorf("address %q", address)
		}
		// The same file again adds nothing and says so.
		rep = impRun(t, s, ImportRequest{ObjectType: ObjectFacility, Format: FormatOSMXML}, impFile(t, "facilities.osm"))
		if !rep.Committed || rep.Inserted != 0 || rep.Skipped != 2 || len(rep.Errors) != 0 {
			t.Errorf("second import: %+v", rep)
		}

		rep = impRun(t, s, ImportRequest{ObjectType: ObjectBuilding, Format: FormatOSMXML, Filename: "buildings.osm"}, impFile(t, "buildings.osm"))
		if !rep.Committed || rep.Rows != 3 || rep.Inserted != 2 || rep.Skipped != 1 {
			t.Fatalf("buildings: %+v", rep)
		}
		if !slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.Contains(n, "outside every compound") }) {
			t.Errorf("notes %q", rep.Notes)
		}
		var name string
		var storeys, year int
		var compound int64
		if err := d.Read().QueryRowContext(ctx, `SELECT name, storeys, COALESCE(built_year, 0), compound_id FROM buildings WHERE code = 'OSM-way-201'`).
			Scan(&name, &storeys, &year, &compound); err != nil {
			t.Fatal(err)
		}
		if name != "丽华一村12幢" || storeys != 7 || year != 1987 || compound != 1 {
			t.Errorf("way 201: %s %d %d %d", name, storeys, year, compound)
		}
		if err := d.Read().QueryRowContext(ctx, `SELECT name, storeys FROM buildings WHERE code = 'OSM-way-202'`).Scan(&name, &storeys); err != nil {
			t.Fatal(err)
		}
		if name != "15号楼" || storeys != osmDefaultStoreys {
			t.Errorf("way 202: %s %d", name, storeys)
		}

		before := impCounts(t, d)
		rep = impRun(t, s, ImportRequest{ObjectType: ObjectFacility, Format: FormatOSMXML}, "<osm><node id=")
		if rep.Committed || len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Reason, "OpenStreetMap") {
			t.Errorf("broken OSM file: %+v", rep)
		}
		if !equalCounts(before, impCounts(t, d)) {
			t.Error("a broken OSM file changed the tables")
		}
	})
}

func TestImportRequestAndReports(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := impSetup(t, d)
		ctx := impCtx()
		for _, req := range []ImportRequest{
			{ObjectType: "parcel", Format: FormatCSV},
			{ObjectType: ObjectOwner, Format: "xls"},
			{ObjectType: ObjectOwner, Format: FormatOSMXML},
			{ObjectType: ObjectOwner, Format: FormatCSV, CRS: "mars"},
		} {
			if _, err := s.Import(ctx, req, strings.NewReader("")); err == nil {
				t.Errorf("%+v: want an error", req)
			}
		}
		before := impCounts(t, d)
		rep, err := s.Import(ctx, ImportRequest{ObjectType: ObjectOwner, Format: FormatCSV, DryRun: true}, strings.NewReader(impFile(t, "owner.csv")))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Committed || rep.ID != 0 || len(rep.Errors) != 0 || !equalCounts(before, impCounts(t, d)) {
			t.Errorf("dry run: %+v", rep)
		}
		// BOM and CRLF line ends are fine.
		rep = impRun(t, s, ImportRequest{ObjectType: ObjectOwner, Format: FormatCSV, Filename: "bom.csv"},
			"\uFEFFcode,name\r\nO9,赵六\r\n")
		if !rep.Committed {
			t.Fatalf("BOM file: %s", impErrText(rep.Errors))
		}
		rep2 := impRun(t, s, ImportRequest{ObjectType: ObjectOwner, Format: FormatCSV, Filename: "dup.csv"}, "code,name\nO9,赵六\n")
		list, err := s.ListImports(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].ID != rep2.ID || list[1].ID != rep.ID || list[0].Committed || !list[1].Committed {
			t.Errorf("list: %+v", list)
		}
		if !list[1].CreatedAt.Equal(impClock()) {
			t.Errorf("created at %v", list[1].CreatedAt)
		}
		if _, err := s.GetImport(ctx, 9999); err == nil || !strings.Contains(err.Error(), ErrNotFound.Error()) {
			t.Errorf("missing import: %v", err)
		}
		entries, _, err := s.audit.List(ctx, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range entries {
			if e.Action == "places.import" && e.ObjectID == fmt.Sprint(rep.ID) {
				found = true
				if e.Actor.Name != "grid-worker" || strings.Contains(e.After, "赵六") {
					t.Errorf("audit entry %+v", e)
				}
			}
		}
		if !found {
			t.Error("no audit entry for the import")
		}
	})
}

func TestImportTooManyErrorsAreCapped(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := impSetup(t, d)
		var b strings.Builder
		b.WriteString("code,name,kind\n")
		for i := range MaxReportedErrors + 10 {
			fmt.Fprintf(&b, "X%d,某,alien\n", i)
		}
		rep := impRun(t, s, ImportRequest{ObjectType: ObjectOwner, Format: FormatCSV}, b.String())
		if rep.ErrorCount != MaxReportedErrors+10 || len(rep.Errors) != MaxReportedErrors || rep.Rows != MaxReportedErrors+10 {
			t.Errorf("count %d listed %d rows %d", rep.ErrorCount, len(rep.Errors), rep.Rows)
		}
	})
}

func TestLimitedReader(t *testing.T) {
	lr := &limitedReader{r: strings.NewReader("abcdef"), n: 4}
	buf := make([]byte, 16)
	total := 0
	var err error
	for err == nil {
		var n int
		n, err = lr.Read(buf)
		total += n
	}
	if err != errTooLarge {
		t.Errorf("err %v, want errTooLarge", err)
	}
	lr = &limitedReader{r: strings.NewReader("abcd"), n: 4}
	got, err := readAllLimited(lr)
	if err != nil || got != "abcd" {
		t.Errorf("exactly at the limit: %q %v", got, err)
	}
}

func readAllLimited(lr *limitedReader) (string, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(lr)
	return b.String(), err
}

func TestRowErrorString(t *testing.T) {
	for _, c := range []struct {
		e    RowError
		want string
	}{
		{RowError{Line: 4, Field: "floor", Reason: "bad"}, "line 4, floor: bad"},
		{RowError{Line: 9, Feature: 3, Reason: "bad"}, "feature 3 (line 9): bad"},
		{RowError{Feature: 3, Field: "code", Reason: "bad"}, "feature 3, code: bad"},
		{RowError{Reason: "unreadable"}, "file: unreadable"},
	} {
		if got := c.e.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.e, got, c.want)
		}
	}
}

// TestImportDocsNameEveryColumn keeps docs/import.md in step with the columns.
func TestImportDocsNameEveryColumn(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "import.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, typ := range ObjectTypes {
		i := strings.Index(doc, "### "+typ+" ")
		if i < 0 {
			t.Errorf("docs/import.md has no section for %s", typ)
			continue
		}
		section := doc[i:]
		if j := strings.Index(section[4:], "\n### "); j >= 0 {
			section = section[:j+4]
		}
		for _, c := range Columns(typ) {
			if !strings.Contains(section, "`"+c.Name+"`") {
				t.Errorf("docs/import.md does not describe %s column %s", typ, c.Name)
			}
		}
	}
	for _, c := range Categories {
		if !strings.Contains(doc, "`"+c.Code+"`") {
			t.Errorf("docs/import.md does not list category %s", c.Code)
		}
	}
}
