package db_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
)

func TestParseDSN(t *testing.T) {
	tests := []struct {
		in      string
		dialect db.Dialect
		conn    string
		bad     bool
	}{
		{in: "gengxin.db", dialect: db.SQLite, conn: "gengxin.db"},
		{in: "sqlite:/var/lib/gengxin.db", dialect: db.SQLite, conn: "/var/lib/gengxin.db"},
		{in: "sqlite:///var/lib/gengxin.db", dialect: db.SQLite, conn: "/var/lib/gengxin.db"},
		{in: "postgres://u:p@h/db", dialect: db.Postgres, conn: "postgres://u:p@h/db"},
		{in: "postgresql://h/db", dialect: db.Postgres, conn: "postgresql://h/db"},
		{in: "", bad: true},
		{in: "sqlite:", bad: true},
		{in: "mysql://h/db", bad: true},
	}
	for _, tt := range tests {
		d, c, err := db.ParseDSN(tt.in)
		if tt.bad {
			if !errors.Is(err, db.ErrBadDSN) {
				t.Errorf("ParseDSN(%q) error = %v, want ErrBadDSN", tt.in, err)
			}
			continue
		}
		if err != nil || d != tt.dialect || c != tt.conn {
			t.Errorf("ParseDSN(%q) = %v, %q, %v; want %v, %q", tt.in, d, c, err, tt.dialect, tt.conn)
		}
	}
}

// TestRoundTrip writes and reads back the column types every module relies on:
// booleans, times in UTC, blobs, nulls and explicit ids with bulk insert.
func TestRoundTrip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		at := time.Date(2026, 3, 5, 8, 30, 15, 123456000, time.UTC)
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			next, err := d.NextID(ctx, tx, "regions")
			if err != nil {
				return err
			}
			ins := d.NewInserter(tx, "regions", "id", "code", "level", "name", "path", "created_at", "updated_at")
			for i := int64(0); i < 1200; i++ {
				id := next + i
				if err := ins.Add(ctx, id, "R"+time.Duration(id).String(), "grid", "网格", "/", at, at); err != nil {
					return err
				}
			}
			n, err := ins.Flush(ctx)
			if err != nil {
				return err
			}
			if n != 1200 {
				t.Errorf("inserted %d rows, want 1200", n)
			}
			if err := d.SyncSequence(ctx, tx, "regions"); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO owners (code, kind, name, is_developer, phone_enc, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, "O1", "person", "张三", true, []byte{0, 1, 2, 255}, at, at)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var (
			dev     bool
			phone   []byte
			idHash  sql.NullString
			created time.Time
		)
		if err := d.Read().QueryRowContext(ctx, `SELECT is_developer, phone_enc, id_number_hash, created_at FROM owners WHERE code = $1`, "O1").
			Scan(&dev, &phone, &idHash, &created); err != nil {
			t.Fatal(err)
		}
		if !dev || string(phone) != string([]byte{0, 1, 2, 255}) || idHash.Valid || !created.Equal(at) {
			t.Errorf("read back dev=%v phone=%v idHash=%v created=%v", dev, phone, idHash, created)
		}
		// A row inserted without an id after explicit ids gets a fresh one.
		var id int64
		err = d.Tx(ctx, func(tx *sql.Tx) error {
			return tx.QueryRowContext(ctx, `INSERT INTO regions (code, level, name, path, created_at, updated_at) VALUES ($1, 'grid', 'x', '/', $2, $2) RETURNING id`, "NEW", at).Scan(&id)
		})
		if err != nil {
			t.Fatal(err)
		}
		if id != 1201 {
			t.Errorf("next generated id = %d, want 1201", id)
		}
		// A failed transaction leaves nothing behind.
		boom := errors.New("boom")
		err = d.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `DELETE FROM regions`); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Tx error = %v", err)
		}
		var n int
		if err := d.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM regions`).Scan(&n); err != nil || n != 1201 {
			t.Errorf("regions after rollback = %d, %v; want 1201", n, err)
		}
	})
}

func TestMigrateTwice(t *testing.T) {
	d := dbtest.SQLite(t)
	if err := d.Migrate(context.Background(), nil); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	st, err := d.MigrationStatus(context.Background())
	if err != nil || len(st) == 0 {
		t.Fatalf("status = %v, %v", st, err)
	}
}

// TestOddPaths opens SQLite files whose paths hold the characters a file: URI
// treats specially.
func TestOddPaths(t *testing.T) {
	for _, name := range []string{"a#1.db", "b?x=1.db", "c%20.db", "数据 库.db"} {
		path := filepath.Join(t.TempDir(), name)
		d, err := db.Open(context.Background(), "sqlite:"+path)
		if err != nil {
			t.Fatalf("open %q: %v", name, err)
		}
		if err := d.Migrate(context.Background(), nil); err != nil {
			t.Fatalf("migrate %q: %v", name, err)
		}
		d.Close()
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%q: the database is not where asked: %v", name, err)
		}
	}
}

// TestPlannedArgs: a query run with PlannedArgs answers as with the plain
// arguments on both databases.
func TestPlannedArgs(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		args := d.PlannedArgs(int64(2), "x")
		if d.Dialect() == db.SQLite && len(args) != 2 || d.Dialect() == db.Postgres && len(args) != 3 {
			t.Fatalf("%s: %d arguments", d.Dialect(), len(args))
		}
		var n int64
		var s string
		if err := d.Read().QueryRowContext(context.Background(), `SELECT $1 + 1, $2`, args...).Scan(&n, &s); err != nil || n != 3 || s != "x" {
			t.Fatalf("%s: %d %q %v", d.Dialect(), n, s, err)
		}
	})
}
