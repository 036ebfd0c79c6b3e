package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gengxin/gengxin/internal/app"
	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/places"
)

// testPassword is the password of every fixture account.
const testPassword = "fixture-password-1"

// cheap keeps password hashing fast in tests.
var cheap = auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// square returns a GeoJSON polygon of the box.
func square(minLon, minLat, maxLon, maxLat float64) string {
	return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}`,
		minLon, minLat, maxLon, minLat, maxLon, maxLat, minLon, maxLat, minLon, minLat)
}

func region(id, parent int64, code, level, name, path string, minLon, minLat, maxLon, maxLat float64) places.Region {
	return places.Region{ID: id, ParentID: parent, Code: code, Level: level, Name: name, Path: path,
		Geometry: square(minLon, minLat, maxLon, maxLat), BBox: places.BBox{MinLon: minLon, MinLat: minLat, MaxLon: maxLon, MaxLat: maxLat}}
}

// fixture is a small district: two subdistricts, A (with community A1 and grids
// A1-1 and A1-2) and B (community B1, grid B1-1), one compound in each grid.
func fixture() *places.Dataset {
	ds := &places.Dataset{
		Regions: []places.Region{
			region(1, 0, "320400000000", places.LevelCity, "测试市", "/1/", 119.90, 31.70, 120.00, 31.80),
			region(2, 1, "320499000000", places.LevelDistrict, "清河区", "/1/2/", 119.90, 31.70, 120.00, 31.80),
			region(3, 2, "320499001000", places.LevelSubdistrict, "甲街道", "/1/2/3/", 119.90, 31.70, 119.95, 31.80),
			region(4, 2, "320499002000", places.LevelSubdistrict, "乙街道", "/1/2/4/", 119.95, 31.70, 120.00, 31.80),
			region(5, 3, "320499001001", places.LevelCommunity, "甲一社区", "/1/2/3/5/", 119.90, 31.70, 119.95, 31.80),
			region(6, 4, "320499002001", places.LevelCommunity, "乙一社区", "/1/2/4/6/", 119.95, 31.70, 120.00, 31.80),
			region(7, 5, "320499001001001", places.LevelGrid, "甲一第1网格", "/1/2/3/5/7/", 119.90, 31.70, 119.95, 31.75),
			region(8, 5, "320499001001002", places.LevelGrid, "甲一第2网格", "/1/2/3/5/8/", 119.90, 31.75, 119.95, 31.80),
			region(9, 6, "320499002001001", places.LevelGrid, "乙一第1网格", "/1/2/4/6/9/", 119.95, 31.70, 120.00, 31.80),
		},
	}
	type cp struct {
		id     int64
		grid   int64
		path   string
		name   string
		lon    float64
		lat    float64
		year   int
		status string
	}
	cps := []cp{
		{1, 7, "/1/2/3/5/7/", "工人新村", 119.92, 31.72, 1985, places.RenovationNone},
		{2, 8, "/1/2/3/5/8/", "红梅新村", 119.92, 31.77, 1995, places.RenovationPlanned},
		{3, 9, "/1/2/4/6/9/", "化工宿舍", 119.97, 31.75, 1990, places.RenovationDone},
	}
	hid, oid := int64(1), int64(1)
	for _, c := range cps {
		ds.Compounds = append(ds.Compounds, places.Compound{ID: c.id, Code: fmt.Sprintf("C%04d", c.id), RegionID: c.grid, RegionPath: c.path,
			Name: c.name, Address: fmt.Sprintf("测试路%d号", c.id), BuiltYear: c.year, PropertyMode: places.PropertyNone, RenovationStatus: c.status,
			Gates: []places.Point{{Lon: c.lon - 0.001, Lat: c.lat}}, Geometry: square(c.lon-0.001, c.lat-0.001, c.lon+0.001, c.lat+0.001),
			Lon: c.lon, Lat: c.lat, BBox: places.BBox{MinLon: c.lon - 0.001, MinLat: c.lat - 0.001, MaxLon: c.lon + 0.001, MaxLat: c.lat + 0.001}})
		for b := int64(1); b <= 2; b++ {
			bid := c.id*10 + b
			ds.Buildings = append(ds.Buildings, places.Building{ID: bid, Code: fmt.Sprintf("C%04d-B%02d", c.id, b), CompoundID: c.id,
				Name: fmt.Sprintf("%d幢", b), Storeys: 6, BuiltYear: c.year, Structure: "brick_concrete", EntranceCount: 1, HouseholdCount: 4,
				Footprint: square(c.lon-0.0005, c.lat+float64(b)*0.0002, c.lon+0.0005, c.lat+float64(b)*0.0002+0.0001),
				Lon:       c.lon, Lat: c.lat + float64(b)*0.0002, BBox: places.BBox{MinLon: c.lon - 0.0005, MinLat: c.lat + float64(b)*0.0002, MaxLon: c.lon + 0.0005, MaxLat: c.lat + float64(b)*0.0002 + 0.0001}})
			ds.Entrances = append(ds.Entrances, places.Entrance{ID: bid, Code: fmt.Sprintf("C%04d-B%02d-E1", c.id, b), BuildingID: bid, Name: "1单元", Number: 1, Lon: c.lon, Lat: c.lat})
			for f := 1; f <= 4; f++ {
				ds.Households = append(ds.Households, places.Household{ID: hid, Code: fmt.Sprintf("C%04d-B%02d-E1-%d01", c.id, b, f), BuildingID: bid,
					EntranceID: bid, Room: fmt.Sprintf("%d01", f), Floor: f, RegisteredDM2: 6550 + int64(f), Occupancy: "owner", HasKitchen: true, HasToilet: true})
				ds.Owners = append(ds.Owners, places.Owner{ID: oid, Code: fmt.Sprintf("O%06d", oid), Kind: places.OwnerPerson, Name: fmt.Sprintf("业主%d", oid),
					Phone: fmt.Sprintf("1381234%04d", oid), IDNumber: fmt.Sprintf("32040219800101%04d", oid)})
				ds.HouseholdOwners = append(ds.HouseholdOwners, places.HouseholdOwner{HouseholdID: hid, OwnerID: oid, ShareBP: 10000, IsVoter: true})
				hid++
				oid++
			}
		}
		ds.Facilities = append(ds.Facilities, places.Facility{ID: c.id, Code: fmt.Sprintf("F%04d", c.id), Category: "kindergarten",
			Name: c.name + "幼儿园", RegionID: c.grid, RegionPath: c.path, Lon: c.lon + 0.002, Lat: c.lat, Source: "manual"})
	}
	return ds
}

// account is one fixture user per role.
type account struct {
	role, username string
	regionID       int64
}

var accounts = []account{
	{auth.RoleAdmin, "admin", 0},
	{auth.RoleDistrictOfficer, "district", 2},
	{auth.RoleSubdistrictOfficer, "subdistrict", 3},
	{auth.RoleCommunityWorker, "community", 5},
	{auth.RoleGridWorker, "grid", 7},
	{auth.RoleDepartmentHandler, "department", 2},
	{auth.RoleResident, "resident", 0},
	{auth.RoleAuditor, "auditor", 0},
}

// testApp is an app on a database loaded with the fixture and its accounts.
type testApp struct {
	*app.App
	srv *httptest.Server
}

func newTestApp(t *testing.T, d *db.DB) *testApp {
	t.Helper()
	return newTestAppAt(t, d, nil)
}

// newTestAppAt builds an app on d loaded with the fixture and its accounts;
// now is its clock (nil for the wall clock).
func newTestAppAt(t *testing.T, d *db.DB, now func() time.Time) *testApp {
	t.Helper()
	ctx := context.Background()
	a, err := app.New(app.Config{DSN: "test", KeyFile: filepath.Join(t.TempDir(), "pii.key"), Version: "test", Now: now,
		AuthOptions: []auth.Option{auth.WithParams(cheap), auth.WithLoginLimits(1000, 1000, time.Minute)}}, d, slog.New(slog.NewTextHandler(testLogWriter(t), nil)))
	if err != nil {
		t.Fatal(err)
	}
	sctx := audit.WithActor(ctx, audit.System("test"))
	if err := a.Places.Load(sctx, fixture(), audit.Change{Action: "test.load", ObjectType: "dataset", ObjectID: "fixture"}); err != nil {
		t.Fatal(err)
	}
	var adminP *auth.Principal
	for _, acc := range accounts {
		u, err := a.Auth.CreateUser(sctx, auth.NewUser{Username: acc.username, Password: testPassword, Role: acc.role, RegionID: acc.regionID})
		if err != nil {
			t.Fatalf("create %s: %v", acc.username, err)
		}
		if acc.role == auth.RoleAdmin {
			adminP = &auth.Principal{Kind: auth.KindUser, UserID: u.ID, Username: u.Username, Role: u.Role}
		}
		if acc.role == auth.RoleResident {
			if err := a.Auth.RequestResidentLink(sctx, u.ID, 1); err != nil {
				t.Fatal(err)
			}
			actx := auth.WithPrincipal(audit.WithActor(ctx, adminP.Actor()), adminP)
			links, err := a.Auth.PendingResidentLinks(actx, "")
			if err != nil || len(links) != 1 {
				t.Fatalf("pending links = %v, %v", links, err)
			}
			if err := a.Auth.DecideResidentLink(actx, links[0].ID, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	ta := &testApp{App: a, srv: httptest.NewServer(a.Handler())}
	t.Cleanup(ta.srv.Close)
	return ta
}

// session logs username in and returns its session token and CSRF token.
func (ta *testApp) session(t *testing.T, username string) (string, string) {
	t.Helper()
	s, err := ta.Auth.Login(context.Background(), username, testPassword, "127.0.0.1")
	if err != nil {
		t.Fatalf("login %s: %v", username, err)
	}
	return s.Token, s.CSRFToken
}

// do sends a request as username ("" for anonymous) and returns the response
// with its body read.
func (ta *testApp) do(t *testing.T, username, method, path string, body io.Reader, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, ta.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if username != "" {
		token, csrf := ta.session(t, username)
		req.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: token})
		if req.Header.Get(auth.CSRFHeader) == "" {
			req.Header.Set(auth.CSRFHeader, csrf)
		}
	}
	cl := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// fill replaces path parameters with ids that exist inside every scoped
// account's area (compound 1 lies in grid 7).
func fill(pattern string) string {
	r := strings.NewReplacer("{id}", "1", "{$}", "")
	p := r.Replace(pattern)
	switch {
	case strings.HasPrefix(pattern, "/regions/"):
		p = "/regions/7"
	case strings.HasPrefix(pattern, "/api/v1/regions/"):
		p = "/api/v1/regions/7"
	case strings.HasPrefix(pattern, "/buildings/"):
		p = "/buildings/11"
	}
	return p
}

// testLogWriter sends the app's error log to the test log when GENGXIN_TEST_LOG is set.
func testLogWriter(t *testing.T) io.Writer {
	if os.Getenv("GENGXIN_TEST_LOG") == "" {
		return io.Discard
	}
	return tlog{t}
}

type tlog struct{ t *testing.T }

func (l tlog) Write(p []byte) (int, error) { l.t.Log(strings.TrimSpace(string(p))); return len(p), nil }
