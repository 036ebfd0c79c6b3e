package demo

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
	"github.com/gengxin/gengxin/internal/pii"
	"github.com/gengxin/gengxin/internal/places"
)

func newStore(t testing.TB, d *db.DB) (*places.Store, *pii.Box) {
	t.Helper()
	key := make([]byte, 64)
	for i := range key {
		key[i] = byte(i*7 + 1)
	}
	box, err := pii.New(key)
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC) }
	return places.NewStore(d, box, audit.New(d, now), now), box
}

func loadDemo(ctx context.Context, t testing.TB, st *places.Store, ds *places.Dataset) {
	t.Helper()
	ctx = audit.WithActor(ctx, audit.System("demo"))
	if err := st.Load(ctx, ds, audit.Change{Action: "demo.load", ObjectType: "dataset", ObjectID: "demo", After: map[string]int{"households": len(ds.Households)}}); err != nil {
		t.Fatalf("load: %v", err)
	}
}

func TestLoadScaleOne(t *testing.T) {
	ds, _ := generate(t, Options{})
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		st, box := newStore(t, d)
		loadDemo(ctx, t, st, ds)
		counts := []struct {
			table string
			want  int
		}{
			{"regions", len(ds.Regions)},
			{"compounds", len(ds.Compounds)},
			{"buildings", len(ds.Buildings)},
			{"entrances", len(ds.Entrances)},
			{"households", len(ds.Households)},
			{"owners", len(ds.Owners)},
			{"household_owners", len(ds.HouseholdOwners)},
			{"facilities", len(ds.Facilities)},
			{"audit_log", 1},
		}
		for _, c := range counts {
			var n int
			if err := d.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM "+c.table).Scan(&n); err != nil {
				t.Fatalf("count %s: %v", c.table, err)
			}
			if n != c.want {
				t.Errorf("%s: %d rows, want %d", c.table, n, c.want)
			}
		}
		// Personal data is stored sealed and opens to what was generated.
		o := ds.Owners[0]
		var sealed []byte
		var hash string
		if err := d.Read().QueryRowContext(ctx, "SELECT id_number_enc, id_number_hash FROM owners WHERE code = $1", o.Code).Scan(&sealed, &hash); err != nil {
			t.Fatal(err)
		}
		if plain, err := box.Open(sealed); err != nil || plain != o.IDNumber || hash != box.Index(o.IDNumber) {
			t.Errorf("owner %s: ID number opens to %q (%v)", o.Code, plain, err)
		}
		// A second demo can follow in the same database from the first free ids.
		var ids places.IDs
		if err := d.Tx(ctx, func(tx *sql.Tx) error {
			var err error
			ids, err = st.NextIDs(ctx, tx)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if ids.Household != ds.Households[len(ds.Households)-1].ID+1 || ids.Region != int64(len(ds.Regions))+1 {
			t.Errorf("next ids after load: %+v", ids)
		}
	})
}

func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Generate(Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoadSQLite(b *testing.B) {
	b.ReportAllocs()
	ctx := context.Background()
	for b.Loop() {
		d := dbtest.SQLite(b)
		st, _ := newStore(b, d)
		ds, _, err := Generate(Options{})
		if err != nil {
			b.Fatal(err)
		}
		loadDemo(ctx, b, st, ds)
		d.Close()
	}
}

func BenchmarkGenerateScale10(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Generate(Options{Scale: 10}); err != nil {
			b.Fatal(err)
		}
	}
}
