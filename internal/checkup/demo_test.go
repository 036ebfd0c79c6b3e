package checkup

import (
	"bytes"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
	"github.com/gengxin/gengxin/internal/demo"
)

// loadDemo writes the demo district of a scale and stores its street network.
func (w *world) loadDemo(t testing.TB, scale int) {
	t.Helper()
	ds, net, err := demo.Generate(demo.Options{Scale: scale})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.places.Load(w.ctx, ds, audit.Change{Action: "demo.generate", ObjectType: "dataset", ObjectID: "demo"}); err != nil {
		t.Fatal(err)
	}
	var xml bytes.Buffer
	if err := net.WriteOSM(&xml); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.SaveNetwork(w.ctx, "demo streets", FormatOSMXML, &xml); err != nil {
		t.Fatal(err)
	}
}

func TestDemoCheckup(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo district takes a few seconds")
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		w.loadDemo(t, 1)
		start := time.Now()
		sum := w.run(t, RunRequest{})
		t.Logf("demo checkup at scale 1 (%s): %v, %d values, %d findings", d.Dialect(), time.Since(start).Round(time.Millisecond), sum.Run.Values, sum.Run.FindingsNew)
		res, err := w.svc.Results(w.ctx, sum.Run.ID)
		if err != nil {
			t.Fatal(err)
		}
		byCode := map[string]Result{}
		for _, r := range res {
			byCode[r.Indicator.Code+"|"+r.Variant] = r
			if r.Value != nil {
				t.Logf("%-36s %-4s value %8.1f failing %5d of %5d unknown %d", r.Indicator.Code, r.Variant, *r.Value, r.Failing, r.Objects, r.Unknown)
			}
		}
		// What a planner expects to see in an old district: some but not all
		// buildings and compounds fail.
		for _, c := range []struct {
			key      string
			min, max float64 // share of objects failing
		}{
			{"housing.gas_pipe_age|", 0.05, 0.95},
			{"housing.elevator_need|", 0.05, 0.95},
			{"housing.age_friendly|", 0.05, 1},
			{"compound.kindergarten|walk", 0.02, 0.98},
			{"compound.kindergarten|line", 0.01, 0.98},
			{"compound.property_management|", 0.01, 0.9},
		} {
			r, ok := byCode[c.key]
			if !ok || r.Objects == 0 {
				t.Errorf("%s missing", c.key)
				continue
			}
			share := float64(r.Failing) / float64(r.Objects)
			if share < c.min || share > c.max {
				t.Errorf("%s: %d of %d fail (%.0f%%)", c.key, r.Failing, r.Objects, share*100)
			}
		}
		// Walking is never shorter than the straight line, so the walking
		// variant finds at least as many compounds without a kindergarten.
		if byCode["compound.kindergarten|walk"].Failing < byCode["compound.kindergarten|line"].Failing {
			t.Error("fewer walking than straight-line kindergarten failures")
		}
		if r := byCode["block.middle_school_coverage|walk"]; r.Value == nil || *r.Value <= 0 || *r.Value > 100 {
			t.Errorf("middle-school coverage = %+v", r)
		}
		if r := byCode["compound.kindergarten|walk"]; r.Unknown > r.Objects/20 {
			t.Errorf("%d of %d compounds could not be measured on foot", r.Unknown, r.Objects)
		}
		rows, err := d.Read().QueryContext(w.ctx, `SELECT kind, radius_m, SUM(CASE WHEN walk_m <= radius_m THEN 1 ELSE 0 END), SUM(CASE WHEN line_m <= radius_m THEN 1 ELSE 0 END), COUNT(*)
			FROM life_circle_distances WHERE run_id = $1 GROUP BY kind, radius_m ORDER BY kind`, sum.Run.ID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var kind string
			var radius float64
			var walk, line, n int
			if err := rows.Scan(&kind, &radius, &walk, &line, &n); err != nil {
				t.Fatal(err)
			}
			t.Logf("%-22s %5.0f m: %3d walking, %3d straight-line of %d compounds inside", kind, radius, walk, line, n)
		}
		rows.Close()
		fs, _, err := w.svc.Findings(w.ctx, FindingFilter{Indicator: "compound.kindergarten", Variant: VariantWalk, Limit: 1})
		if err != nil || len(fs) != 1 || fs[0].Geometry == "" {
			t.Fatalf("kindergarten finding: %+v %v", fs, err)
		}
		card, err := w.svc.LifeCircleCard(w.ctx, fs[0].ObjectID)
		if err != nil || len(card.Rows) != 17 {
			t.Fatalf("card: %+v %v", card, err)
		}
		for _, r := range card.Rows {
			if r.Kind == "kindergarten" && (r.InsideWalk == nil || *r.InsideWalk) {
				t.Errorf("the card disagrees with the finding: %+v", r)
			}
		}
	})
}

// BenchmarkDemoCheckup times a full checkup of the demo district on SQLite;
// GENGXIN_BENCH_SCALE sets the scale (default 1).
func BenchmarkDemoCheckup(b *testing.B) {
	scale := 1
	if s := os.Getenv("GENGXIN_BENCH_SCALE"); s != "" {
		scale, _ = strconv.Atoi(s)
	}
	w := newWorld(b, dbtest.SQLite(b))
	w.loadDemo(b, scale)
	b.ResetTimer()
	var peak uint64
	for b.Loop() {
		if _, err := w.svc.Run(w.ctx, RunRequest{Year: 2026}, nil); err != nil {
			b.Fatal(err)
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.Sys)
	}
	b.ReportMetric(float64(peak)/(1<<20), "MB-sys")
}
