package checkup

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/pii"
	"github.com/gengxin/gengxin/internal/places"
)

// clock is a test clock that advances one second per call.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { c.t = c.t.Add(time.Second); return c.t }

type world struct {
	d      *db.DB
	svc    *Service
	places *places.Store
	log    *audit.Log
	ctx    context.Context
}

func newWorld(t testing.TB, d *db.DB) *world {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}
	log := audit.New(d, c.now)
	box, err := pii.New(make([]byte, 64))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(d, log, c.now)
	if err != nil {
		t.Fatal(err)
	}
	return &world{d: d, svc: svc, places: places.NewStore(d, box, log, c.now), log: log,
		ctx: audit.WithActor(context.Background(), audit.System("test"))}
}

// The hand-made district: two east–west streets A (lat 31.000) and B (lat
// 31.003) from lon 120.000 to 120.020, joined only at their east end by street C.
// 0.001° of longitude is about 95.3 m here, 0.001° of latitude about 111.2 m.
const smallOSM = `<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
%s
  <way id="1"><nd ref="100"/><nd ref="101"/><nd ref="102"/><nd ref="103"/><nd ref="104"/><nd ref="105"/><nd ref="106"/><nd ref="107"/><nd ref="108"/><nd ref="109"/><nd ref="110"/><nd ref="111"/><nd ref="112"/><nd ref="113"/><nd ref="114"/><nd ref="115"/><nd ref="116"/><nd ref="117"/><nd ref="118"/><nd ref="119"/><nd ref="120"/><tag k="highway" v="residential"/></way>
  <way id="2"><nd ref="200"/><nd ref="201"/><nd ref="202"/><nd ref="203"/><nd ref="204"/><nd ref="205"/><nd ref="206"/><nd ref="207"/><nd ref="208"/><nd ref="209"/><nd ref="210"/><nd ref="211"/><nd ref="212"/><nd ref="213"/><nd ref="214"/><nd ref="215"/><nd ref="216"/><nd ref="217"/><nd ref="218"/><nd ref="219"/><nd ref="220"/><tag k="highway" v="residential"/></way>
  <way id="3"><nd ref="120"/><nd ref="300"/><nd ref="301"/><nd ref="220"/><tag k="highway" v="footway"/></way>
</osm>`

func smallNetworkXML() string {
	var b strings.Builder
	for i := 0; i <= 20; i++ {
		fmt.Fprintf(&b, "  <node id=\"%d\" lat=\"31.0000000\" lon=\"%.7f\"/>\n", 100+i, 120+float64(i)*0.001)
		fmt.Fprintf(&b, "  <node id=\"%d\" lat=\"31.0030000\" lon=\"%.7f\"/>\n", 200+i, 120+float64(i)*0.001)
	}
	b.WriteString("  <node id=\"300\" lat=\"31.0010000\" lon=\"120.0200000\"/>\n  <node id=\"301\" lat=\"31.0020000\" lon=\"120.0200000\"/>\n")
	return fmt.Sprintf(smallOSM, b.String())
}

func square(lon, lat, half float64) string {
	return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%[1]f,%[2]f],[%[3]f,%[2]f],[%[3]f,%[4]f],[%[1]f,%[4]f],[%[1]f,%[2]f]]]}`, lon-half, lat-half, lon+half, lat+half)
}

// smallDataset: compound C1 (1985, no property management) by street A with
// buildings B1 (6 storeys, no elevator or ramp, gas 1995, two of its four
// dwellings without a kitchen), B2 (3 storeys, ramp, gas 2006: exactly 20 years
// in 2026) and B3 (4 storeys, ramp, no elevator, gas 2007); compound C2 (2010,
// professional) by street B with tower B4. A kindergarten 29 m from C1's gate,
// another 256 m from C2's gate in a straight line but about 1.3 km on foot; a
// middle school 476 m walk from C1 and 557 m straight / 1.76 km walk from C2; a
// 6,000 m² park 190 m from C1, a 3,000 m² park 22 m from C2 and a 1,000 m² park
// that serves nobody.
func smallDataset() *places.Dataset {
	ds := &places.Dataset{
		Regions: []places.Region{
			{ID: 1, Code: "320499000000", Level: places.LevelDistrict, Name: "测试区", Path: "/1/", Geometry: square(120.01, 31.0015, 0.02)},
			{ID: 2, ParentID: 1, Code: "320499001001", Level: places.LevelCommunity, Name: "甲社区", Path: "/1/2/", Geometry: square(120.01, 31.0015, 0.015)},
			{ID: 3, ParentID: 2, Code: "320499001001001", Level: places.LevelGrid, Name: "一网格", Path: "/1/2/3/"},
		},
		Compounds: []places.Compound{
			{ID: 1, Code: "C1", RegionID: 3, RegionPath: "/1/2/3/", Name: "老街小区", BuiltYear: 1985, PropertyMode: places.PropertyNone,
				Gates: []places.Point{{Lon: 120.005, Lat: 31.0002}}, Geometry: square(120.005, 31.0008, 0.0005), Lon: 120.005, Lat: 31.0008},
			{ID: 2, Code: "C2", RegionID: 3, RegionPath: "/1/2/3/", Name: "新城花园", BuiltYear: 2010, PropertyMode: places.PropertyProfessional,
				Gates: []places.Point{{Lon: 120.015, Lat: 31.0028}}, Geometry: square(120.015, 31.0022, 0.0005), Lon: 120.015, Lat: 31.0022},
		},
		Buildings: []places.Building{
			{ID: 1, Code: "B1", CompoundID: 1, Name: "1幢", Storeys: 6, BuiltYear: 1985, GasPipeYear: 1995, HouseholdCount: 4, Footprint: square(120.0045, 31.0008, 0.0001), Lon: 120.0045, Lat: 31.0008},
			{ID: 2, Code: "B2", CompoundID: 1, Name: "2幢", Storeys: 3, BuiltYear: 1985, HasRamp: true, GasPipeYear: 2006, HouseholdCount: 2, Lon: 120.0050, Lat: 31.0008},
			{ID: 3, Code: "B3", CompoundID: 1, Name: "3幢", Storeys: 4, BuiltYear: 1985, HasRamp: true, GasPipeYear: 2007, HouseholdCount: 2, Lon: 120.0055, Lat: 31.0008},
			{ID: 4, Code: "B4", CompoundID: 2, Name: "1幢", Storeys: 18, BuiltYear: 2010, HasElevator: true, HasRamp: true, GasPipeYear: 2010, HouseholdCount: 4, Lon: 120.015, Lat: 31.0022},
		},
		Facilities: []places.Facility{
			{ID: 1, Code: "F1", Category: "kindergarten", Name: "老街幼儿园", Lon: 120.0053, Lat: 31.0002},
			{ID: 2, Code: "F2", Category: "kindergarten", Name: "河对岸幼儿园", Lon: 120.015, Lat: 31.0005},
			{ID: 3, Code: "F3", Category: "middle_school", Name: "第一中学", Lon: 120.010, Lat: 31.0002},
			{ID: 4, Code: "F4", Category: "park", Name: "大公园", SiteAreaDM2: 6000 * 100, Lon: 120.003, Lat: 31.0002},
			{ID: 5, Code: "F5", Category: "park", Name: "街角公园", SiteAreaDM2: 3000 * 100, Lon: 120.0152, Lat: 31.0029},
			{ID: 6, Code: "F6", Category: "park", Name: "口袋公园", SiteAreaDM2: 1000 * 100, Lon: 120.0148, Lat: 31.0029},
		},
	}
	hid := int64(1)
	for _, b := range ds.Buildings {
		for i := 0; i < b.HouseholdCount; i++ {
			ok := !(b.Code == "B1" && i < 2)
			ds.Households = append(ds.Households, places.Household{ID: hid, Code: fmt.Sprintf("%s-%d", b.Code, i+1), BuildingID: b.ID, Room: fmt.Sprint(101 + i), Floor: 1,
				HasKitchen: ok, HasToilet: true, Occupancy: "owner"})
			hid++
		}
	}
	return ds
}

func (w *world) load(t *testing.T, ds *places.Dataset) {
	t.Helper()
	if err := w.places.Load(w.ctx, ds, audit.Change{Action: "test.load", ObjectType: "dataset", ObjectID: "small"}); err != nil {
		t.Fatal(err)
	}
}

func (w *world) saveNetwork(t *testing.T) NetworkInfo {
	t.Helper()
	info, err := w.svc.SaveNetwork(w.ctx, "small", FormatOSMXML, strings.NewReader(smallNetworkXML()))
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func (w *world) run(t *testing.T, req RunRequest) *RunSummary {
	t.Helper()
	if req.Year == 0 {
		req.Year = 2026
	}
	sum, err := w.svc.Run(w.ctx, req, nil)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return sum
}

// value finds one value of a run.
func (w *world) value(t *testing.T, runID int64, code, variant, objType string, objID int64) Value {
	t.Helper()
	vals, _, err := w.svc.Values(w.ctx, ValueFilter{RunID: runID, Indicator: code, Variant: variant, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vals {
		if v.ObjectType == objType && v.ObjectID == objID {
			return v
		}
	}
	t.Fatalf("no value %s/%s for %s %d in run %d", code, variant, objType, objID, runID)
	return Value{}
}

// findingsOf returns the findings of one indicator and variant keyed by object id.
func (w *world) findingsOf(t *testing.T, code, variant string) map[int64]Finding {
	t.Helper()
	fs, _, err := w.svc.Findings(w.ctx, FindingFilter{Indicator: code, Variant: variant, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]Finding{}
	for _, f := range fs {
		out[f.ObjectID] = f
	}
	return out
}

func passed(v Value) string {
	if v.Passed == nil {
		return "unknown"
	}
	if *v.Passed {
		return "pass"
	}
	return "fail"
}
