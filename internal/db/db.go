// Package db opens the gengxin database — embedded SQLite or PostgreSQL — runs the
// per-dialect migrations and runs transactions. Every other module reaches the
// database through the *DB it returns.
package db

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Dialect names the SQL database behind a DB.
type Dialect string

// The two supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// ErrNotFound is returned (wrapped) by store methods when a row does not exist.
var ErrNotFound = errors.New("not found")

// ErrBadDSN reports a database address gengxin cannot use.
var ErrBadDSN = errors.New("bad database address")

//go:embed migrations
var migrations embed.FS

// DB is an open gengxin database. For SQLite it holds one writer connection and a
// pool of readers; for PostgreSQL both point at one pool.
type DB struct {
	dialect Dialect
	write   *sql.DB
	read    *sql.DB
	where   string
}

// Querier is what *sql.DB and *sql.Tx have in common.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ParseDSN splits a database address into its dialect and the driver's own
// connection string. "sqlite:PATH" and a plain path mean SQLite; "postgres://…"
// and "postgresql://…" mean PostgreSQL.
func ParseDSN(dsn string) (Dialect, string, error) {
	dsn = strings.TrimSpace(dsn)
	switch {
	case dsn == "":
		return "", "", fmt.Errorf("%w: empty; use sqlite:PATH or postgres://USER@HOST/DB", ErrBadDSN)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		if _, err := url.Parse(dsn); err != nil {
			return "", "", fmt.Errorf("%w: %v", ErrBadDSN, err)
		}
		return Postgres, dsn, nil
	case strings.HasPrefix(dsn, "sqlite:"):
		p := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
		if p == "" {
			return "", "", fmt.Errorf("%w: sqlite: needs a file path", ErrBadDSN)
		}
		return SQLite, p, nil
	case strings.Contains(dsn, "://"):
		return "", "", fmt.Errorf("%w: %q is neither sqlite:PATH nor postgres://", ErrBadDSN, redact(dsn))
	default:
		return SQLite, dsn, nil
	}
}

// Open opens (creating it if needed, for SQLite) the database at dsn. It does not
// migrate; call Migrate.
func Open(ctx context.Context, dsn string) (*DB, error) {
	dialect, conn, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	d := &DB{dialect: dialect, where: redact(dsn)}
	switch dialect {
	case SQLite:
		if dir := filepath.Dir(conn); dir != "." {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("create database folder: %w", err)
			}
		}
		// In a file: URI, '?' starts the options and '#' a fragment; escape both (and
		// '%') so that any path names the file it says.
		file := "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(conn)
		pragmas := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_time_format=sqlite"
		w, err := sql.Open("sqlite", file+"?"+pragmas+"&_pragma=cache_size(-65536)&_pragma=temp_store(MEMORY)&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", conn, err)
		}
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		w.SetConnMaxLifetime(0)
		w.SetConnMaxIdleTime(0)
		// Readers get a page cache of their own and memory-mapped reads, so that
		// many concurrent reads of a large file do not each go through pread.
		r, err := sql.Open("sqlite", file+"?"+pragmas+"&_pragma=query_only(1)&_pragma=cache_size(-16384)&_pragma=mmap_size(1073741824)")
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("open sqlite %s: %w", conn, err)
		}
		r.SetMaxOpenConns(8)
		r.SetMaxIdleConns(8)
		d.write, d.read = w, r
		// The writer creates the file and switches it to WAL before any reader opens it.
		if err := w.PingContext(ctx); err != nil {
			d.Close()
			return nil, fmt.Errorf("open sqlite %s: %w", conn, err)
		}
	case Postgres:
		p, err := sql.Open("pgx", conn)
		if err != nil {
			return nil, fmt.Errorf("open postgres %s: %w", d.where, err)
		}
		p.SetMaxOpenConns(20)
		p.SetMaxIdleConns(10)
		p.SetConnMaxIdleTime(5 * time.Minute)
		d.write, d.read = p, p
		if err := p.PingContext(ctx); err != nil {
			p.Close()
			return nil, fmt.Errorf("connect to postgres %s: %w", d.where, err)
		}
	}
	return d, nil
}

// Dialect tells which database this is.
func (d *DB) Dialect() Dialect { return d.dialect }

// String names the database without its password.
func (d *DB) String() string { return d.where }

// Read returns the pool for queries that change nothing.
func (d *DB) Read() *sql.DB { return d.read }

// Write returns the pool (for SQLite, the single connection) that changes data.
func (d *DB) Write() *sql.DB { return d.write }

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.read.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", d.where, err)
	}
	return nil
}

// Close closes every connection.
func (d *DB) Close() error {
	var errs []error
	if d.write != nil {
		errs = append(errs, d.write.Close())
	}
	if d.read != nil && d.read != d.write {
		errs = append(errs, d.read.Close())
	}
	return errors.Join(errs...)
}

// PlannedArgs returns args for a query that must be planned with its values
// each time it runs. On PostgreSQL pgx would otherwise run a statement it has
// seen a few times on a generic plan, which for skewed filters (one category
// among many, a few states) can be far slower; the extra first argument asks
// pgx to send the query with its values. SQLite plans every execution with
// its values already, so args come back unchanged.
func (d *DB) PlannedArgs(args ...any) []any {
	if d.dialect != Postgres {
		return args
	}
	return append([]any{pgx.QueryExecModeExec}, args...)
}

// Tx runs fn in a write transaction, committing when fn returns nil and rolling
// back otherwise.
func (d *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Migrate brings the schema up to the newest version for this dialect.
func (d *DB) Migrate(ctx context.Context, logger *slog.Logger) error {
	p, err := d.provider(logger)
	if err != nil {
		return err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", d.where, err)
	}
	for _, r := range res {
		if logger != nil {
			logger.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration_ms", r.Duration.Milliseconds())
		}
	}
	return nil
}

// MigrationStatus lists every known migration and whether it is applied.
func (d *DB) MigrationStatus(ctx context.Context) ([]string, error) {
	p, err := d.provider(nil)
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	out := make([]string, 0, len(st))
	for _, s := range st {
		state := "pending"
		if s.State == goose.StateApplied {
			state = "applied " + s.AppliedAt.UTC().Format(time.RFC3339)
		}
		out = append(out, fmt.Sprintf("%05d %-40s %s", s.Source.Version, filepath.Base(s.Source.Path), state))
	}
	return out, nil
}

func (d *DB) provider(logger *slog.Logger) (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations/"+string(d.dialect))
	if err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", d.dialect, err)
	}
	dialect := goose.DialectSQLite3
	if d.dialect == Postgres {
		dialect = goose.DialectPostgres
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	opts = append(opts, goose.WithSlog(logger))
	p, err := goose.NewProvider(dialect, d.write, sub, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", d.dialect, err)
	}
	return p, nil
}

// redact hides the password in a postgres:// address.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
