package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
)

// Session is a browser login. Only the SHA-256 of its token is stored, so Token is
// known only to the Login call that created it.
type Session struct {
	Token      string // set only by Login; give it to the browser and forget it
	CSRFToken  string // must accompany every unsafe request of the session
	UserID     int64
	CreatedAt  time.Time
	ExpiresAt  time.Time // absolute end, whatever the activity
	LastSeenAt time.Time // the session ends when idle longer than the idle timeout
}

// Login checks username and password and opens a session. An unknown username
// and a wrong password both give ErrBadCredentials and cost the same hashing
// time. After DefaultUserFailures failures for a username, or DefaultIPFailures
// from one address, within DefaultFailureWindow, attempts are refused with
// ErrRateLimited until the oldest failure leaves the window (counts are kept in
// memory, per process). A disabled account gives ErrDisabled, but only to someone
// who knows its password. clientIP is the caller's address without its port, as
// the web layer determines it; "" skips the per-address limit.
func (s *Service) Login(ctx context.Context, username, password, clientIP string) (*Session, error) {
	username = NormalizeUsername(username)
	now := s.clock()
	if !s.limiter.allowed(username, clientIP, now) {
		return nil, ErrRateLimited
	}
	var id int64
	var hash string
	var disabled bool
	err := s.db.Read().QueryRowContext(ctx, `SELECT id, password_hash, disabled FROM users WHERE username = $1`, username).Scan(&id, &hash, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		_, _ = VerifyPassword(s.dummyHash(), password)
		s.limiter.fail(username, clientIP, now)
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, fmt.Errorf("login: read user: %w", err)
	}
	ok, err := VerifyPassword(hash, password)
	if err != nil {
		return nil, fmt.Errorf("login %s: %w", username, err)
	}
	if !ok {
		s.limiter.fail(username, clientIP, now)
		if err := s.log.RecordTx(ctx, audit.Change{Action: "auth.login_failed", ObjectType: "user", ObjectID: strconv.FormatInt(id, 10),
			After: map[string]any{"username": username, "ip": clientIP}}); err != nil {
			return nil, fmt.Errorf("login %s: %w", username, err)
		}
		return nil, ErrBadCredentials
	}
	if disabled {
		return nil, ErrDisabled
	}
	s.limiter.succeed(username)

	sess := &Session{Token: randomToken(), CSRFToken: randomToken(), UserID: id, CreatedAt: now, ExpiresAt: now.Add(s.absolute), LastSeenAt: now}
	var rehash string
	if NeedsRehash(hash, s.params) {
		if rehash, err = HashPassword(password, s.params); err != nil {
			return nil, fmt.Errorf("login %s: %w", username, err)
		}
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			sha256Hex(sess.Token), id, sess.CSRFToken, sess.CreatedAt, sess.ExpiresAt, sess.LastSeenAt); err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET last_login_at = $1 WHERE id = $2`, now, id); err != nil {
			return fmt.Errorf("record last login: %w", err)
		}
		if rehash != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, rehash, id); err != nil {
				return fmt.Errorf("upgrade password hash: %w", err)
			}
		}
		return s.log.Record(withSelf(ctx, id, username), tx, audit.Change{Action: "auth.login", ObjectType: "user", ObjectID: strconv.FormatInt(id, 10),
			After: map[string]any{"ip": clientIP, "expires_at": sess.ExpiresAt}})
	})
	if err != nil {
		return nil, fmt.Errorf("login %s: %w", username, err)
	}
	return sess, nil
}

// Authenticate returns the principal and session of a session token. An unknown
// token gives ErrNoSession; one idle for longer than the idle timeout or past its
// absolute end gives ErrSessionExpired (and is deleted); a disabled account gives
// ErrDisabled. last_seen_at is written at most once a minute.
func (s *Service) Authenticate(ctx context.Context, token string) (*Principal, *Session, error) {
	if token == "" || len(token) > 200 {
		return nil, nil, ErrNoSession
	}
	th := sha256Hex(token)
	sess := &Session{}
	row := s.db.Read().QueryRowContext(ctx, `SELECT s.csrf_token, s.created_at, s.expires_at, s.last_seen_at, `+userColumns+`
		FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN regions r ON r.id = u.region_id WHERE s.token_hash = $1`, th)
	var u User
	var region sql.NullInt64
	var last sql.NullTime
	err := row.Scan(&sess.CSRFToken, &sess.CreatedAt, &sess.ExpiresAt, &sess.LastSeenAt,
		&u.ID, &u.Username, &u.DisplayName, &u.Role, &region, &u.RegionPath, &u.RegionName, &u.Locale, &u.Disabled, &u.CreatedAt, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, ErrNoSession
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read session: %w", err)
	}
	u.RegionID = region.Int64
	sess.UserID = u.ID
	sess.CreatedAt, sess.ExpiresAt, sess.LastSeenAt = sess.CreatedAt.UTC(), sess.ExpiresAt.UTC(), sess.LastSeenAt.UTC()
	now := s.clock()
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) >= s.idle {
		if _, err := s.db.Write().ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, th); err != nil {
			return nil, nil, fmt.Errorf("end expired session: %w", err)
		}
		return nil, nil, ErrSessionExpired
	}
	if u.Disabled {
		return nil, nil, ErrDisabled
	}
	if now.Sub(sess.LastSeenAt) >= touchInterval {
		if _, err := s.db.Write().ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2`, now, th); err != nil {
			return nil, nil, fmt.Errorf("refresh session: %w", err)
		}
		sess.LastSeenAt = now
	}
	p := &Principal{Kind: KindUser, UserID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Role: u.Role,
		RegionID: u.RegionID, RegionPath: u.RegionPath, Locale: u.Locale}
	return p, sess, nil
}

// Logout ends the session of token and records "auth.logout". An unknown token is
// not an error: the session is gone either way.
func (s *Service) Logout(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	th := sha256Hex(token)
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var id int64
		var username string
		err := tx.QueryRowContext(ctx, `SELECT u.id, u.username FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1`, th).Scan(&id, &username)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read session: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, th); err != nil {
			return fmt.Errorf("delete session: %w", err)
		}
		return s.log.Record(withSelf(ctx, id, username), tx, audit.Change{Action: "auth.logout", ObjectType: "user", ObjectID: strconv.FormatInt(id, 10)})
	})
	if err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	return nil
}

// PurgeSessions deletes sessions past their absolute end and returns how many it
// removed; run it from time to time. Idle sessions are removed when next
// presented. Removing dead sessions changes nothing a person could see, so it
// writes no audit entry.
func (s *Service) PurgeSessions(ctx context.Context) (int64, error) {
	res, err := s.db.Write().ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, s.clock())
	if err != nil {
		return 0, fmt.Errorf("purge sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("purge sessions: %w", err)
	}
	return n, nil
}
