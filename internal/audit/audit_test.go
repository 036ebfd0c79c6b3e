package audit_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
)

func fill(t *testing.T, d *db.DB, n int) *audit.Log {
	t.Helper()
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	log := audit.New(d, func() time.Time { now = now.Add(time.Second + 1500*time.Nanosecond); return now })
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: audit.ActorUser, ID: 7, Name: "王网格"})
	for i := 1; i <= n; i++ {
		err := log.RecordTx(ctx, audit.Change{Action: "compound.update", ObjectType: "compound", ObjectID: fmt.Sprint(i),
			Before: map[string]any{"name": "旧名"}, After: map[string]any{"name": fmt.Sprintf("新名%d", i)}})
		if err != nil {
			t.Fatal(err)
		}
	}
	return log
}

func TestVerify(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		tests := []struct {
			name   string
			tamper string
			seq    int64
			reason string
		}{
			{name: "intact"},
			{name: "content altered", tamper: `UPDATE audit_log SET after_json = '{"name":"假"}' WHERE seq = 3`, seq: 3, reason: "altered"},
			{name: "actor altered", tamper: `UPDATE audit_log SET actor_name = '别人' WHERE seq = 2`, seq: 2, reason: "altered"},
			{name: "entry removed", tamper: `DELETE FROM audit_log WHERE seq = 4`, seq: 4, reason: "missing"},
			{name: "tail removed", tamper: `DELETE FROM audit_log WHERE seq = 5`, seq: 5, reason: "removed"},
			{name: "rehashed but relinked wrong", tamper: `UPDATE audit_log SET prev_hash = 'x' WHERE seq = 2`, seq: 2, reason: "link"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := d.Write().ExecContext(ctx, `DELETE FROM audit_log`); err != nil {
					t.Fatal(err)
				}
				if _, err := d.Write().ExecContext(ctx, `UPDATE audit_head SET seq = 0, last_hash = ''`); err != nil {
					t.Fatal(err)
				}
				log := fill(t, d, 5)
				if tt.tamper != "" {
					if _, err := d.Write().ExecContext(ctx, tt.tamper); err != nil {
						t.Fatal(err)
					}
				}
				res, err := log.Verify(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if tt.seq == 0 {
					if res.Broken != nil || res.Checked != 5 {
						t.Fatalf("intact chain: %+v broken=%+v", res, res.Broken)
					}
					return
				}
				if res.Broken == nil || res.Broken.Seq != tt.seq || !strings.Contains(res.Broken.Reason, tt.reason) {
					t.Fatalf("broken = %+v, want seq %d with %q", res.Broken, tt.seq, tt.reason)
				}
			})
		}
	})
}

func TestRecordRollsBackWithChange(t *testing.T) {
	d := dbtest.SQLite(t)
	ctx := context.Background()
	log := audit.New(d, time.Now)
	_ = d.Tx(ctx, func(tx *sql.Tx) error {
		if err := log.Record(ctx, tx, audit.Change{Action: "x", ObjectType: "y", ObjectID: "1"}); err != nil {
			t.Fatal(err)
		}
		return fmt.Errorf("change failed")
	})
	entries, total, err := log.List(ctx, audit.Filter{})
	if err != nil || total != 0 || len(entries) != 0 {
		t.Fatalf("after rollback: %d entries, %v", total, err)
	}
	if res, _ := log.Verify(ctx); res.Broken != nil {
		t.Fatalf("chain broken after rollback: %+v", res.Broken)
	}
}

func TestList(t *testing.T) {
	d := dbtest.SQLite(t)
	log := fill(t, d, 12)
	ctx := context.Background()
	got, total, err := log.List(ctx, audit.Filter{ObjectID: "3"})
	if err != nil || total != 1 || len(got) != 1 || got[0].Actor.Name != "王网格" || !strings.Contains(got[0].After, "新名3") {
		t.Fatalf("List by object = %+v, %d, %v", got, total, err)
	}
	got, total, _ = log.List(ctx, audit.Filter{Action: "compound.", Limit: 5})
	if total != 12 || len(got) != 5 || got[0].Seq != 12 {
		t.Fatalf("List page = %d of %d, first seq %d", len(got), total, got[0].Seq)
	}
}
