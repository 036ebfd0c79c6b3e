package db

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// maxParams stays under both SQLite's (32,766) and PostgreSQL's (65,535) limit on
// bound parameters in one statement.
const maxParams = 30000

// Inserter writes many rows of one table with multi-row INSERT statements inside a
// transaction. Add rows, then Flush once at the end.
type Inserter struct {
	tx *sql.Tx
	// qmark writes ? placeholders: SQLite binds them by position, while $N makes
	// the driver look each name up, which costs time quadratic in the row count.
	qmark   bool
	table   string
	cols    []string
	perStmt int
	args    []any
	n       int
	full    *sql.Stmt
	total   int
}

// NewInserter prepares a bulk insert into table's cols inside tx.
func (d *DB) NewInserter(tx *sql.Tx, table string, cols ...string) *Inserter {
	per := maxParams / len(cols)
	if per > 500 {
		per = 500
	}
	return &Inserter{tx: tx, qmark: d.dialect == SQLite, table: table, cols: cols, perStmt: per, args: make([]any, 0, per*len(cols))}
}

// Add queues one row; its values must follow the column order.
func (in *Inserter) Add(ctx context.Context, vals ...any) error {
	if len(vals) != len(in.cols) {
		return fmt.Errorf("insert into %s: %d values for %d columns", in.table, len(vals), len(in.cols))
	}
	in.args = append(in.args, vals...)
	in.n++
	if in.n == in.perStmt {
		return in.flush(ctx)
	}
	return nil
}

// Flush writes the queued rows and returns the number of rows written in all.
func (in *Inserter) Flush(ctx context.Context) (int, error) {
	if err := in.flush(ctx); err != nil {
		return in.total, err
	}
	if in.full != nil {
		in.full.Close()
		in.full = nil
	}
	return in.total, nil
}

func (in *Inserter) flush(ctx context.Context) error {
	if in.n == 0 {
		return nil
	}
	var err error
	if in.n == in.perStmt {
		if in.full == nil {
			in.full, err = in.tx.PrepareContext(ctx, in.statement(in.n))
			if err != nil {
				return fmt.Errorf("prepare insert into %s: %w", in.table, err)
			}
		}
		_, err = in.full.ExecContext(ctx, in.args...)
	} else {
		_, err = in.tx.ExecContext(ctx, in.statement(in.n), in.args...)
	}
	if err != nil {
		return fmt.Errorf("insert into %s: %w", in.table, err)
	}
	in.total += in.n
	in.n = 0
	in.args = in.args[:0]
	return nil
}

func (in *Inserter) statement(rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	b.WriteString(in.table)
	b.WriteString(" (")
	b.WriteString(strings.Join(in.cols, ", "))
	b.WriteString(") VALUES ")
	p := 1
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range in.cols {
			if c > 0 {
				b.WriteByte(',')
			}
			if in.qmark {
				b.WriteByte('?')
			} else {
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(p))
			}
			p++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// NextID returns the first free id of table inside tx, for callers that assign ids
// themselves before a bulk insert. On PostgreSQL it locks the table against other
// writers until the transaction ends; call SyncSequence after inserting.
func (d *DB) NextID(ctx context.Context, tx *sql.Tx, table string) (int64, error) {
	if d.dialect == Postgres {
		if _, err := tx.ExecContext(ctx, "LOCK TABLE "+table+" IN SHARE ROW EXCLUSIVE MODE"); err != nil {
			return 0, fmt.Errorf("lock %s: %w", table, err)
		}
	}
	var max sql.NullInt64
	if err := tx.QueryRowContext(ctx, "SELECT MAX(id) FROM "+table).Scan(&max); err != nil {
		return 0, fmt.Errorf("next id of %s: %w", table, err)
	}
	return max.Int64 + 1, nil
}

// SyncSequence moves PostgreSQL's id sequence of table past the largest id, after
// rows were inserted with explicit ids. SQLite needs nothing.
func (d *DB) SyncSequence(ctx context.Context, tx *sql.Tx, table string) error {
	if d.dialect != Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, "SELECT setval(pg_get_serial_sequence($1, 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM "+table, table)
	if err != nil {
		return fmt.Errorf("sync id sequence of %s: %w", table, err)
	}
	return nil
}
