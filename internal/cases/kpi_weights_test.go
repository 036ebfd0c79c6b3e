package cases

import (
	"errors"
	"testing"

	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
)

// TestKPIWeightsSetting: the score weights are a deployment setting: 30/35/35
// until an administrator saves others, which every report then uses (and
// which a report may still override); weights that do not add up to 100 or
// lie outside 0–100 are refused; each change is audited.
func TestKPIWeightsSetting(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := bareFixture(t, d)
		demoDistrict(t, d, f)
		now := f.clk.set(t, "2026-03-20 15:00")
		if _, err := SeedDemo(f.ctx, f.svc, DemoOptions{Seed: 7, Now: now, Cases: 400}); err != nil {
			t.Fatal(err)
		}
		if w, err := f.svc.KPIWeights(f.ctx); err != nil || w != DefaultKPIWeights() {
			t.Fatalf("weights before any setting = %+v, %v", w, err)
		}
		kf := KPIFilter{From: at(t, "2026-02-01 00:00"), To: at(t, "2026-03-20 00:00"), GroupBy: GroupGrid}
		before, err := f.svc.KPIs(f.ctx, kf)
		if err != nil {
			t.Fatal(err)
		}
		tot := before.Total
		if before.Filter.Weights != DefaultKPIWeights() || !tot.HasScore || !tot.Response.Defined() || !tot.Satisfaction.Defined() {
			t.Fatalf("default report: %+v %+v", before.Filter.Weights, tot)
		}
		for _, bad := range []KPIWeights{{30, 35, 25}, {-10, 60, 50}, {0, 0, 0}, {120, -10, -10}} {
			if err := f.svc.SetKPIWeights(f.ctx, bad); !errors.Is(err, ErrInvalid) {
				t.Errorf("weights %+v: %v, want refused", bad, err)
			}
		}
		w := KPIWeights{Response: 100}
		if err := f.svc.SetKPIWeights(f.ctx, w); err != nil {
			t.Fatal(err)
		}
		if got, err := f.svc.KPIWeights(f.ctx); err != nil || got != w {
			t.Fatalf("stored weights = %+v, %v", got, err)
		}
		after, err := f.svc.KPIs(f.ctx, kf)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := Score(w, tot.Response, tot.Resolution, tot.Satisfaction)
		if after.Filter.Weights != w || after.Total.Score != want || want != float64(int(tot.Response.Percent()*10+0.5))/10 {
			t.Errorf("score with response only = %v (weights %+v), want %v", after.Total.Score, after.Filter.Weights, want)
		}
		if after.Total.Score == tot.Score {
			t.Errorf("the stored weights did not change the score %v", tot.Score)
		}
		// A report's own weights still win.
		kf.Weights = DefaultKPIWeights()
		if own, err := f.svc.KPIs(f.ctx, kf); err != nil || own.Total.Score != tot.Score {
			t.Errorf("report with its own weights: %v, %v", own.Total.Score, err)
		}
		var n int
		if err := d.Read().QueryRowContext(f.ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'setting.save' AND object_id = $1`, kpiWeightsKey).Scan(&n); err != nil || n != 1 {
			t.Errorf("%d audit entries of the setting, %v", n, err)
		}
	})
}
