package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/db"
)

// Default timeouts and login limits.
const (
	DefaultIdleTimeout     = 12 * time.Hour
	DefaultAbsoluteTimeout = 7 * 24 * time.Hour
	DefaultUserFailures    = 5
	DefaultIPFailures      = 20
	DefaultFailureWindow   = 15 * time.Minute
)

// touchInterval is how stale last_seen_at (sessions) or last_used_at (API keys)
// may get before a request writes it again.
const touchInterval = time.Minute

// Service manages accounts, sessions, API keys and resident verification.
type Service struct {
	db       *db.DB
	log      *audit.Log
	now      func() time.Time
	params   Params
	idle     time.Duration
	absolute time.Duration
	limiter  *limiter

	dummyOnce sync.Once
	dummy     string // a hash to verify against for unknown usernames
}

// Option changes a Service setting.
type Option func(*Service)

// WithParams sets the argon2id cost of new password hashes (tests use a cheap one).
func WithParams(p Params) Option { return func(s *Service) { s.params = p } }

// WithIdleTimeout sets how long a session survives without requests.
func WithIdleTimeout(d time.Duration) Option { return func(s *Service) { s.idle = d } }

// WithAbsoluteTimeout sets how long a session lives at most after login.
func WithAbsoluteTimeout(d time.Duration) Option { return func(s *Service) { s.absolute = d } }

// WithLoginLimits sets how many failed logins per username and per client
// address are allowed within window before further attempts are refused.
func WithLoginLimits(perUser, perIP int, window time.Duration) Option {
	return func(s *Service) { s.limiter = newLimiter(perUser, perIP, window) }
}

// New returns a Service on d that records changes in log; now is the clock.
func New(d *db.DB, log *audit.Log, now func() time.Time, opts ...Option) *Service {
	s := &Service{
		db:       d,
		log:      log,
		now:      now,
		params:   DefaultParams(),
		idle:     DefaultIdleTimeout,
		absolute: DefaultAbsoluteTimeout,
		limiter:  newLimiter(DefaultUserFailures, DefaultIPFailures, DefaultFailureWindow),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// clock returns the current time in UTC at the database's precision.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// dummyHash returns a hash of a random password, made once with the service's
// parameters, so an unknown username costs as much as a wrong password.
func (s *Service) dummyHash() string {
	s.dummyOnce.Do(func() {
		h, err := HashPassword(randomToken(), s.params)
		if err == nil {
			s.dummy = h
		}
	})
	return s.dummy
}

// regionInfo returns the path and name of region id; id 0 means the whole
// deployment and gives "", "".
func regionInfo(ctx context.Context, q db.Querier, id int64) (path, name string, err error) {
	if id == 0 {
		return "", "", nil
	}
	err = q.QueryRowContext(ctx, `SELECT path, name FROM regions WHERE id=$1`, id).Scan(&path, &name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", fmt.Errorf("%w: %d", ErrUnknownRegion, id)
	}
	if err != nil {
		return "", "", fmt.Errorf("read region %d: %w", id, err)
	}
	return path, name, nil
}

// checkScope validates a role and its region together.
func checkScope(role string, regionID int64) error {
	if !ValidRole(role) {
		return fmt.Errorf("%w: %q", ErrBadRole, role)
	}
	if regionID < 0 {
		return fmt.Errorf("%w: %d", ErrUnknownRegion, regionID)
	}
	if NeedsRegion(role) && regionID == 0 {
		return fmt.Errorf("%w: %s", ErrRegionRequired, RoleLabel(role, "en"))
	}
	return nil
}

// randomToken returns 32 random bytes in unpadded base64url.
func randomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand never fails on supported platforms; it panics itself if it does.
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// sha256Hex returns the hex SHA-256 of s.
func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// nullID turns 0 into SQL NULL.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// isUniqueViolation reports whether err is a unique-constraint failure on either
// database.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	m := err.Error()
	return strings.Contains(m, "UNIQUE constraint failed") || strings.Contains(m, "SQLSTATE 23505") || strings.Contains(m, "duplicate key")
}

// withSelf returns ctx whose audit actor is the user, for events the user causes
// before any principal exists (a login).
func withSelf(ctx context.Context, id int64, username string) context.Context {
	return audit.WithActor(ctx, audit.Actor{Kind: audit.ActorUser, ID: id, Name: username})
}
