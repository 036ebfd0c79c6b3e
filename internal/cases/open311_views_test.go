package cases

import (
	"errors"
	"reflect"
	"testing"

	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
)

// The public views read only the columns of a case they show, and only the
// stored due and done times of a running or finished clock (only the running
// ones without extensions), and the whole clock only while it stands paused;
// they must show exactly what the whole cases and clocks show, for cases in
// every state, by id and in a list page, and a case with no clocks at all.
func TestOpen311ViewsMatchStoredClocks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := bareFixture(t, d)
		demoDistrict(t, d, f)
		now := f.clk.set(t, "2026-03-20 15:00")
		sum, err := SeedDemo(f.ctx, f.svc, DemoOptions{Seed: 7, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		o := NewOpen311(f.svc, nil, "gengxin", f.clk.Now, nil)
		cs, _, err := o.find(f.ctx, o311ListQuery{from: now.AddDate(0, 0, -90), to: now.AddDate(0, 0, 1), page: 1, size: 3000})
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) < sum.Cases*9/10 {
			t.Fatalf("the list found %d of %d cases", len(cs), sum.Cases)
		}
		// What the views show of the whole stored cases and clocks.
		full := map[int64][]StageClock{}
		whole := make([]Case, len(cs))
		paused, overdue := 0, 0
		for i, c := range cs {
			det, err := f.svc.Get(f.ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			whole[i] = det.Case
			ks := det.Clocks
			full[c.ID] = ks
			for _, k := range ks {
				if k.Open() && k.Paused() {
					paused++
				}
				if k.Overdue(now) {
					overdue++
				}
			}
		}
		if paused == 0 || overdue == 0 {
			t.Fatalf("the demo has %d paused and %d overdue clocks; the test needs both", paused, overdue)
		}
		for _, v := range []struct {
			lang string
			ext  bool
		}{{"zh", true}, {"en", true}, {"zh", false}} {
			lang, ext := v.lang, v.ext
			want, err := o.viewsWith(f.ctx, whole, full, lang, ext)
			if err != nil {
				t.Fatal(err)
			}
			got, err := o.views(f.ctx, cs, lang, ext)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d views, want %d", len(got), len(want))
			}
			for i := range want {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Fatalf("list view of case %s:\n got %+v %+v\nwant %+v %+v", want[i].ServiceRequestID, got[i], got[i].Extended, want[i], want[i].Extended)
				}
			}
			// One by one, as GET requests/{id} reads them.
			for i, c := range cs {
				one, ks, err := o.one(f.ctx, c.ID, ext)
				if err != nil {
					t.Fatal(err)
				}
				v, err := o.viewsWith(f.ctx, []Case{one}, map[int64][]StageClock{c.ID: ks}, lang, ext)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(v[0], want[i]) {
					t.Fatalf("view of case %d by id:\n got %+v %+v\nwant %+v %+v", c.ID, v[0], v[0].Extended, want[i], want[i].Extended)
				}
			}
		}
		// A case without clocks still reads, with no stages.
		if _, err := d.Write().ExecContext(f.ctx, `DELETE FROM case_clocks WHERE case_id = $1`, cs[0].ID); err != nil {
			t.Fatal(err)
		}
		c, ks, err := o.one(f.ctx, cs[0].ID, true)
		if err != nil || c.ID != cs[0].ID || len(ks) != 0 {
			t.Fatalf("case without clocks: %+v %v %v", c, ks, err)
		}
		if _, _, err := o.one(f.ctx, 1<<40, false); !errors.Is(err, ErrNotFound) {
			t.Fatal("a missing case reads")
		}
	})
}
