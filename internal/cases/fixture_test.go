package cases

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/calendar"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/pii"
)

// fakeClock is the injected clock of the tests.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) set(t testing.TB, s string) time.Time {
	t.Helper()
	v := at(t, s)
	f.mu.Lock()
	f.now = v
	f.mu.Unlock()
	return v
}

// at parses a Shanghai wall-clock time "2006-01-02 15:04".
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Shanghai())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// fixture is a small district: D ⊃ S ⊃ C ⊃ {G1, G2}. G1 has a grid worker,
// G2 has none; C has a community worker, S a subdistrict officer, D a
// district officer; the water department has one handler.
type fixture struct {
	d       *db.DB
	svc     *Service
	clk     *fakeClock
	box     *pii.Box
	regions map[string]int64
	paths   map[string]string
	users   map[string]int64
	ctx     context.Context
}

// Points in each area.
var (
	inG1       = [2]float64{119.97, 31.78}
	inG2       = [2]float64{119.99, 31.78}
	inSOnly    = [2]float64{120.02, 31.82}
	inDOnly    = [2]float64{119.92, 31.72}
	outsideAll = [2]float64{121.50, 31.20}
)

func box(minLon, minLat, maxLon, maxLat float64) string {
	return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}`,
		minLon, minLat, maxLon, minLat, maxLon, maxLat, minLon, maxLat, minLon, minLat)
}

// bareFixture is a service on an empty database.
func bareFixture(t testing.TB, d *db.DB) *fixture {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.System("test"))
	key := make([]byte, 64)
	for i := range key {
		key[i] = byte(i * 7)
	}
	bx, err := pii.New(key)
	if err != nil {
		t.Fatal(err)
	}
	clk := &fakeClock{}
	clk.set(t, "2025-06-10 09:00")
	f := &fixture{d: d, clk: clk, box: bx, regions: map[string]int64{}, paths: map[string]string{}, users: map[string]int64{}, ctx: ctx}
	f.svc = New(d, audit.New(d, clk.Now), bx, clk.Now)
	return f
}

func newFixture(t testing.TB, d *db.DB) *fixture {
	t.Helper()
	f := bareFixture(t, d)
	ctx, clk := f.ctx, f.clk
	type reg struct {
		name, parent, level string
		bbox                [4]float64
	}
	regs := []reg{
		{"D", "", "district", [4]float64{119.90, 31.70, 120.10, 31.90}},
		{"S", "D", "subdistrict", [4]float64{119.95, 31.75, 120.05, 31.85}},
		{"C", "S", "community", [4]float64{119.96, 31.76, 120.00, 31.80}},
		{"G1", "C", "grid", [4]float64{119.96, 31.76, 119.98, 31.80}},
		{"G2", "C", "grid", [4]float64{119.98, 31.76, 120.00, 31.80}},
	}
	now := clk.Now().UTC()
	for i, r := range regs {
		id := int64(i + 1)
		path := f.paths[r.parent] + fmt.Sprintf("%d/", id)
		if r.parent == "" {
			path = fmt.Sprintf("/%d/", id)
		}
		var parent any
		if r.parent != "" {
			parent = f.regions[r.parent]
		}
		if _, err := d.Write().ExecContext(ctx, `INSERT INTO regions (id, parent_id, code, level, name, path, geometry, min_lon, min_lat, max_lon, max_lat, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)`, id, parent, "R"+r.name, r.level, r.name, path,
			box(r.bbox[0], r.bbox[1], r.bbox[2], r.bbox[3]), r.bbox[0], r.bbox[1], r.bbox[2], r.bbox[3], now); err != nil {
			t.Fatal(err)
		}
		f.regions[r.name], f.paths[r.name] = id, path
	}
	users := []struct{ name, role, region string }{
		{"district", auth.RoleDistrictOfficer, "D"},
		{"subdistrict", auth.RoleSubdistrictOfficer, "S"},
		{"community", auth.RoleCommunityWorker, "C"},
		{"grid1", auth.RoleGridWorker, "G1"},
		{"water", auth.RoleDepartmentHandler, "D"},
		{"resident", auth.RoleResident, ""},
		{"neighbour", auth.RoleResident, ""},
	}
	for i, u := range users {
		id := int64(i + 1)
		var region any
		if u.region != "" {
			region = f.regions[u.region]
		}
		if _, err := d.Write().ExecContext(ctx, `INSERT INTO users (id, username, password_hash, role, region_id, created_at, updated_at)
			VALUES ($1, $2, 'x', $3, $4, $5, $5)`, id, u.name, u.role, region, now); err != nil {
			t.Fatal(err)
		}
		f.users[u.name] = id
	}
	if d.Dialect() == db.Postgres {
		for _, tb := range []string{"regions", "users"} {
			tx, _ := d.Write().BeginTx(ctx, nil)
			if err := d.SyncSequence(ctx, tx, tb); err != nil {
				t.Fatal(err)
			}
			tx.Commit()
		}
	}
	if err := f.svc.AddDepartment(ctx, Department{Code: DeptWater, Name: "自来水公司"}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.AddDepartment(ctx, Department{Code: DeptCityMgmt, Name: "城管"}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.AddDepartmentMember(ctx, DeptWater, f.users["water"]); err != nil {
		t.Fatal(err)
	}
	return f
}

// as returns a context whose actor is the named fixture user.
func (f *fixture) as(name string) context.Context {
	return audit.WithActor(context.Background(), audit.Actor{Kind: audit.ActorUser, ID: f.users[name], Name: name})
}

// report files a resident's report of category at p now.
func (f *fixture) report(t *testing.T, category string, p [2]float64) Case {
	t.Helper()
	c, err := f.svc.Report(f.as("resident"), ReportInput{Category: category, Description: "楼道灯不亮了", Lon: p[0], Lat: p[1],
		Channel: ChannelResident, Reporter: Reporter{UserID: f.users["resident"], Name: "张三", Contact: "138 0000 1111"}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// ok fails t on an error and returns the case: ok(t)(svc.Accept(…)).
func ok(t *testing.T) func(Case, error) Case {
	t.Helper()
	return func(c Case, err error) Case {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
}

// clockOf returns the stored clock of a stage.
func (f *fixture) clockOf(t *testing.T, id int64, st string) StageClock {
	t.Helper()
	d, err := f.svc.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range d.Clocks {
		if string(k.Stage) == st {
			return k
		}
	}
	t.Fatalf("case %d has no %s clock", id, st)
	return StageClock{}
}

func wantDue(t *testing.T, k StageClock, s string) {
	t.Helper()
	if !k.Due.Equal(at(t, s)) {
		t.Errorf("%s due %s, want %s", k.Stage, k.Due.In(calendar.Shanghai()).Format("2006-01-02 15:04 Mon"), s)
	}
}
