package cases

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/gengxin/gengxin/internal/db"
)

// maxPrepared bounds how many read statements a service keeps prepared; the
// queries of the hot read paths come in a few dozen shapes, and a query seen
// after the cache is full simply runs unprepared.
const maxPrepared = 256

// stmtCache keeps the prepared read statements of a service by their SQL, on
// SQLite. Parsing and planning a statement costs as much as running it on
// the read paths of the Open311 API (a case by id, a page of a list), so they
// are prepared once; database/sql prepares each again on every pooled
// connection it is used on, and closes them with the database.
type stmtCache struct {
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// readQuery runs a read query on the read pool through a prepared statement.
func (s *Service) readQuery(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return s.db.Read().QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// readRow is readQuery for one row.
func (s *Service) readRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := s.prepared(ctx, query)
	if err != nil || st == nil {
		// An error to prepare shows again, and is returned, by the query.
		return s.db.Read().QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// readQueryPlanned runs a read query that must be planned with its values
// each time. On PostgreSQL a prepared statement soon runs on a generic plan,
// and the generic plan of a category's page in a report-time window walks
// the report-time index and filters a quarter of a million cases (280 ms at a
// million cases, against 3 ms with the values); the unnamed statement of
// pgx's exec mode is planned with the values. SQLite plans a prepared
// statement with its values anyway.
func (s *Service) readQueryPlanned(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s.db.Dialect() == db.Postgres {
		return s.db.Read().QueryContext(ctx, query, s.db.PlannedArgs(args...)...)
	}
	return s.readQuery(ctx, query, args...)
}

// readRowPlanned is readQueryPlanned for one row.
func (s *Service) readRowPlanned(ctx context.Context, query string, args ...any) *sql.Row {
	if s.db.Dialect() == db.Postgres {
		return s.db.Read().QueryRowContext(ctx, query, s.db.PlannedArgs(args...)...)
	}
	return s.readRow(ctx, query, args...)
}

// prepared returns the prepared statement of query on the read pool; nil
// when the cache is full, and on PostgreSQL, where the driver already keeps
// a prepared statement per query and connection.
func (s *Service) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if s.db.Dialect() != db.SQLite {
		return nil, nil
	}
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	if st, ok := s.stmts.stmts[query]; ok {
		return st, nil
	}
	if len(s.stmts.stmts) >= maxPrepared {
		return nil, nil
	}
	st, err := s.db.Read().PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	if s.stmts.stmts == nil {
		s.stmts.stmts = map[string]*sql.Stmt{}
	}
	s.stmts.stmts[query] = st
	return st, nil
}

// departmentsTTL is how long the department names are kept before they are
// read again. A department saved through this service is seen at once; one
// saved by another process (another instance, the command line) within this
// time.
const departmentsTTL = time.Minute

// deptCache keeps the department names for the public views.
type deptCache struct {
	mu    sync.Mutex
	names map[string]string
	read  time.Time
	gen   uint64 // bumped by every change, so that a read racing it is not kept
}

// departmentNames maps department codes to names, from the cache while it is
// fresh. The map is shared: callers only read it.
func (s *Service) departmentNames(ctx context.Context) (map[string]string, error) {
	now := s.now()
	s.depts.mu.Lock()
	if s.depts.names != nil && now.Sub(s.depts.read) < departmentsTTL && !now.Before(s.depts.read) {
		m := s.depts.names
		s.depts.mu.Unlock()
		return m, nil
	}
	gen := s.depts.gen
	s.depts.mu.Unlock()
	ds, err := s.Departments(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(ds))
	for _, d := range ds {
		m[d.Code] = d.Name
	}
	s.depts.mu.Lock()
	if s.depts.gen == gen {
		s.depts.names, s.depts.read = m, now
	}
	s.depts.mu.Unlock()
	return m, nil
}

// forgetDepartments drops the cached department names after a change.
func (s *Service) forgetDepartments() {
	s.depts.mu.Lock()
	s.depts.names = nil
	s.depts.gen++
	s.depts.mu.Unlock()
}
