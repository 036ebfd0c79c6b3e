package places

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
	"github.com/gengxin/gengxin/internal/geo"
)

// fuzzImport imports data as objectTypes[kind] and checks that the file went in
// whole or not at all.
func fuzzImport(t *testing.T, s *Store, d *db.DB, format string, kind uint8, data []byte) {
	typ := ObjectTypes[int(kind)%len(ObjectTypes)]
	before := impCounts(t, d)
	rep, err := s.Import(impCtx(), ImportRequest{ObjectType: typ, Format: format}, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("import %s: %v", typ, err)
	}
	after := impCounts(t, d)
	grew := 0
	for _, tb := range impTables {
		grew += after[tb] - before[tb]
	}
	switch {
	case rep.Committed && len(rep.Errors) > 0:
		t.Fatalf("committed with errors: %s", impErrText(rep.Errors))
	case !rep.Committed && grew != 0:
		t.Fatalf("rejected file changed %d rows", grew)
	case rep.Committed && grew != rep.Inserted:
		t.Fatalf("committed %d rows but reported %d", grew, rep.Inserted)
	case !rep.Committed && rep.ErrorCount == 0:
		t.Fatalf("rejected without a reason")
	}
	for _, e := range rep.Errors {
		if e.Reason == "" || e.Line < 0 {
			t.Fatalf("bad error %+v", e)
		}
	}
}

// fuzzParse runs the parsing half of an import, which needs no database, and
// checks that every problem has a reason and that a clean file yields one row per
// data row.
func fuzzParse(t *testing.T, format string, kind uint8, data []byte) {
	typ := ObjectTypes[int(kind)%len(ObjectTypes)]
	errs := &collector{}
	b := newBatch(typ, geo.WGS84, errs)
	var rows int
	var err error
	r := &limitedReader{r: bytes.NewReader(data), n: MaxImportBytes}
	if format == FormatCSV {
		rows, err = readCSV(context.Background(), r, typ, errs, b.add)
	} else {
		rows, err = readGeoJSON(context.Background(), r, typ, geo.WGS84, errs, b.add)
	}
	if err != nil {
		t.Fatalf("parse %s: %v", typ, err)
	}
	for _, e := range errs.list {
		if e.Reason == "" || e.Line < 0 || e.Feature < 0 {
			t.Fatalf("bad error %+v", e)
		}
	}
	typed := len(b.regions) + len(b.compounds) + len(b.buildings) + len(b.entrances) + len(b.households) +
		len(b.owners) + len(b.links) + len(b.facilities)
	if errs.count == 0 && typed != rows {
		t.Fatalf("%d rows read but %d kept without an error", rows, typed)
	}
}

// fuzzing reports whether the test binary runs with -fuzz. Coverage
// instrumentation then makes the embedded SQLite engine far too slow to run per
// input, so mutation runs check the parser alone; ordinary test runs replay the
// seeds and every saved input through the database as well.
func fuzzing() bool {
	f := flag.Lookup("test.fuzz")
	return f != nil && f.Value.String() != ""
}

// fuzzStore returns a store with the fixture loaded, or nil while fuzzing.
func fuzzStore(f *testing.F) (*Store, *db.DB) {
	if fuzzing() {
		return nil, nil
	}
	d := dbtest.SQLite(f)
	s := impStore(f, d)
	if err := s.Load(context.Background(), impFixture(), audit.Change{Action: "places.load", ObjectType: "dataset", ObjectID: "fixture"}); err != nil {
		f.Fatal(err)
	}
	return s, d
}

func FuzzImportCSV(f *testing.F) {
	for i, typ := range ObjectTypes {
		f.Add(uint8(i), []byte(impFile(f, typ+".csv")))
		f.Add(uint8(i), []byte(strings.Join(ColumnNames(typ), ",")+"\n"+strings.Repeat("x,", len(ColumnNames(typ))-1)+"x\n"))
	}
	f.Add(uint8(4), []byte("code,building_code,room,floor,registered_area_m2\nH1,C1-B1,1,1,-1\nH1,C1-B1,1,1,1.234\n\"unterminated"))
	f.Add(uint8(2), []byte("\uFEFFcode,compound_code,name,storeys\r\nB,C1,\"a,b\",3\r\n"))
	s, d := fuzzStore(f)
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		fuzzParse(t, FormatCSV, kind, data)
		if s != nil {
			fuzzImport(t, s, d, FormatCSV, kind, data)
		}
	})
}

func FuzzImportGeoJSON(f *testing.F) {
	for i, typ := range ObjectTypes {
		f.Add(uint8(i), []byte(impFile(f, typ+".geojson")))
	}
	f.Add(uint8(7), []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":1,"category":"park","name":null},"geometry":{"type":"Point","coordinates":[1e400,2]}}]}`))
	f.Add(uint8(1), []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"gates":{"a":1}},"geometry":{"type":"Polygon","coordinates":[]}}],"features":[]}`))
	f.Add(uint8(3), []byte(`{"features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1]}}]`))
	s, d := fuzzStore(f)
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		fuzzParse(t, FormatGeoJSON, kind, data)
		if s != nil {
			fuzzImport(t, s, d, FormatGeoJSON, kind, data)
		}
	})
}

// BenchmarkImportHouseholdsCSV imports 100,000 households into a database that
// holds 400 compounds with 4,000 buildings.
func BenchmarkImportHouseholdsCSV(b *testing.B) {
	const compounds, perCompound, perBuilding = 400, 10, 25
	d := dbtest.SQLite(b)
	s := impStore(b, d)
	ds := &Dataset{Regions: []Region{
		{ID: 1, Code: "R1", Level: LevelCity, Name: "市", Path: "/1/"},
		{ID: 2, ParentID: 1, Code: "R2", Level: LevelCommunity, Name: "社区", Path: "/1/2/"},
	}}
	for c := 1; c <= compounds; c++ {
		ds.Compounds = append(ds.Compounds, Compound{ID: int64(c), Code: fmt.Sprintf("C%d", c), RegionID: 2, RegionPath: "/1/2/", Name: fmt.Sprintf("小区%d", c), Lon: 119.9, Lat: 31.8})
		for k := 1; k <= perCompound; k++ {
			id := int64((c-1)*perCompound + k)
			ds.Buildings = append(ds.Buildings, Building{ID: id, Code: fmt.Sprintf("C%d-B%d", c, k), CompoundID: int64(c), Name: fmt.Sprintf("%d幢", k), Storeys: 6})
		}
	}
	if err := s.Load(context.Background(), ds, audit.Change{Action: "places.load", ObjectType: "dataset", ObjectID: "bench"}); err != nil {
		b.Fatal(err)
	}
	csvFor := func(round int) []byte {
		var buf bytes.Buffer
		buf.WriteString("code,building_code,room,floor,registered_area_m2,occupancy,has_kitchen,has_toilet\n")
		for _, bl := range ds.Buildings {
			for h := 1; h <= perBuilding; h++ {
				fmt.Fprintf(&buf, "R%d-%s-%d,%s,%d,%d,%d.%02d,owner,1,1\n", round, bl.Code, h, bl.Code, 100*(1+h/4)+h%4, 1+h/4, 60+h, h)
			}
		}
		return buf.Bytes()
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		data := csvFor(i)
		b.StartTimer()
		rep, err := s.Import(impCtx(), ImportRequest{ObjectType: ObjectHousehold, Format: FormatCSV}, bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		if !rep.Committed || rep.Inserted != compounds*perCompound*perBuilding {
			b.Fatalf("import: %d inserted, errors %s", rep.Inserted, impErrText(rep.Errors))
		}
	}
	b.ReportMetric(float64(compounds*perCompound*perBuilding)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
