package cases

import (
	"context"
	"testing"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
	"github.com/gengxin/gengxin/internal/demo"
	"github.com/gengxin/gengxin/internal/geo"
	"github.com/gengxin/gengxin/internal/places"
)

// demoDistrict loads the regions of the demo district and its accounts (one
// per role, grid worker for one grid only).
func demoDistrict(t testing.TB, d *db.DB, f *fixture) {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.System("demo"))
	ds, _, err := demo.Generate(demo.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	regions := &places.Dataset{Regions: ds.Regions}
	store := places.NewStore(d, f.box, f.svc.log, f.clk.Now)
	if err := store.Load(ctx, regions, audit.Change{Action: "demo.generate", ObjectType: "dataset", ObjectID: "1"}); err != nil {
		t.Fatal(err)
	}
	for _, a := range demo.Accounts(ds) {
		var region any
		if a.RegionCode != "" {
			r, err := store.RegionByCode(ctx, a.RegionCode)
			if err != nil {
				t.Fatal(err)
			}
			region = r.ID
		}
		if _, err := d.Write().ExecContext(ctx, `INSERT INTO users (username, password_hash, role, region_id, created_at, updated_at)
			VALUES ($1, 'x', $2, $3, $4, $4)`, "demo-"+a.Username, a.Role, region, f.clk.Now().UTC()); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSeedDemo(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := bareFixture(t, d)
		demoDistrict(t, d, f)
		now := at(t, "2026-03-20 15:00")
		f.clk.set(t, "2026-03-20 15:00")
		sum, err := SeedDemo(f.ctx, f.svc, DemoOptions{Seed: 7, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("demo: %+v", sum)
		if sum.Cases != 2000 || sum.Overdue == 0 {
			t.Errorf("summary %+v", sum)
		}
		for _, st := range []State{StateClosed, StateSuspended, StateReopened, StateMerged, StateDispatched, StateSigned, StateRated} {
			if sum.ByState[st] == 0 {
				t.Errorf("no demo case is %s: %v", st, sum.ByState)
			}
		}
		if sum.ByState[StateClosed] < sum.Cases/2 {
			t.Errorf("most demo cases are closed: %v", sum.ByState)
		}
		// The stored cases read back like any other.
		list, n, err := f.svc.List(f.ctx, Filter{States: []State{StateSuspended}, Limit: 5})
		if err != nil || n != sum.ByState[StateSuspended] || list[0].PauseReason == "" {
			t.Fatalf("suspended: %d, %v", n, err)
		}
		if _, n, _ := f.svc.List(f.ctx, Filter{Overdue: true}); n == 0 {
			t.Error("no overdue case in the list")
		}
		closed, _, _ := f.svc.List(f.ctx, Filter{States: []State{StateClosed}, Limit: 1})
		det, err := f.svc.Get(f.ctx, closed[0].ID)
		if err != nil || len(det.FollowUps) == 0 || det.Rating == "" || len(det.Events) < 8 {
			t.Errorf("a closed demo case: %+v, %v", det, err)
		}
		// The demo workflow continues in the service: a suspended case resumes.
		if _, err := f.svc.Resume(f.ctx, list[0].ID, Step{}); err != nil {
			t.Errorf("resume a demo case: %v", err)
		}
		// Timers of the demo have sent what was due; a run at Now sends nothing new.
		if notes, err := f.svc.RunTimers(f.ctx, now); err != nil || len(notes) != 0 {
			t.Errorf("timers at the demo's now: %d, %v", len(notes), err)
		}
		if notes, err := f.svc.RunTimers(f.ctx, now.Add(30*24*time.Hour)); err != nil || len(notes) == 0 {
			t.Errorf("timers a month later: %d, %v", len(notes), err)
		}

		// The same seed gives the same cases.
		d2 := dbtest.SQLite(t)
		f2 := bareFixture(t, d2)
		demoDistrict(t, d2, f2)
		f2.clk.set(t, "2026-03-20 15:00")
		sum2, err := SeedDemo(f2.ctx, f2.svc, DemoOptions{Seed: 7, Now: now})
		if err != nil || sum2.Events != sum.Events || sum2.Overdue != sum.Overdue {
			t.Errorf("second run: %+v vs %+v, %v", sum2, sum, err)
		}
	})
}

func BenchmarkSeedDemo(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		d := dbtest.SQLite(b)
		f := bareFixture(b, d)
		demoDistrict(b, d, f)
		b.StartTimer()
		if _, err := SeedDemo(f.ctx, f.svc, DemoOptions{Seed: 7, Now: at(b, "2026-03-20 15:00")}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRouting compares routing with the cached point-in-polygon index
// (one fingerprint query per call) against rebuilding the index per call, on
// the demo district.
func BenchmarkRouting(b *testing.B) {
	d := dbtest.SQLite(b)
	f := bareFixture(b, d)
	demoDistrict(b, d, f)
	ctx := context.Background()
	cat, _ := f.svc.Category("stairwell_light")
	r, err := f.svc.loadRouter(ctx, d.Read())
	if err != nil {
		b.Fatal(err)
	}
	var grid *regionNode
	for _, n := range r.regions {
		if n.level == places.LevelGrid && n.geom != nil {
			grid = n
			break
		}
	}
	lon, lat := geo.Centroid(grid.geom)
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			if _, err := f.svc.Route(ctx, cat.Code, lon, lat, true); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rebuilt", func(b *testing.B) {
		for b.Loop() {
			sh, err := buildShapes(ctx, d.Read())
			if err != nil {
				b.Fatal(err)
			}
			(&router{shapes: sh}).route(cat, lon, lat, true)
		}
	})
	b.Run("locate", func(b *testing.B) {
		for b.Loop() {
			r.locate(lon, lat)
		}
	})
}
