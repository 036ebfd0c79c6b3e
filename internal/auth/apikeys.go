package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gengxin/gengxin/internal/audit"
)

// API key layout: "gx_" + 8 hex characters of public prefix + "_" + secret.
const (
	apiKeyScheme    = "gx_"
	apiKeyPrefixLen = 8
)

// APIKey describes a key; its secret is never stored or shown again.
type APIKey struct {
	ID         int64
	Name       string
	Prefix     string // the public part, shown in lists so a key can be recognised
	Role       string
	RegionID   int64
	RegionPath string
	RegionName string
	CreatedBy  int64 // the user who created it, 0 when made by the system
	CreatedAt  time.Time
	LastUsedAt time.Time // zero when never used
	RevokedAt  time.Time // zero while valid
}

// Revoked reports whether the key was revoked.
func (k APIKey) Revoked() bool { return !k.RevokedAt.IsZero() }

const apiKeyColumns = `k.id, k.name, k.prefix, k.role, k.region_id, COALESCE(r.path, ''), COALESCE(r.name, ''), k.created_by,
	k.created_at, k.last_used_at, k.revoked_at`

const apiKeyFrom = ` FROM api_keys k LEFT JOIN regions r ON r.id = k.region_id`

func scanAPIKey(sc scanner) (APIKey, error) {
	var k APIKey
	var region, by sql.NullInt64
	var used, revoked sql.NullTime
	if err := sc.Scan(&k.ID, &k.Name, &k.Prefix, &k.Role, &region, &k.RegionPath, &k.RegionName, &by, &k.CreatedAt, &used, &revoked); err != nil {
		return k, err
	}
	k.RegionID, k.CreatedBy = region.Int64, by.Int64
	k.CreatedAt = k.CreatedAt.UTC()
	if used.Valid {
		k.LastUsedAt = used.Time.UTC()
	}
	if revoked.Valid {
		k.RevokedAt = revoked.Time.UTC()
	}
	return k, nil
}

// CreateAPIKey makes a key for another system, acting with role inside regionID
// (0 = the whole deployment), and records "apikey.create". The returned key
// string is the only copy of the secret. Residents' role is not available to keys.
func (s *Service) CreateAPIKey(ctx context.Context, name, role string, regionID int64) (string, APIKey, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return "", APIKey{}, ErrBadName
	}
	if role == RoleResident {
		return "", APIKey{}, fmt.Errorf("%w: API keys cannot act as residents", ErrBadRole)
	}
	if err := checkScope(role, regionID); err != nil {
		return "", APIKey{}, err
	}
	var createdBy int64
	if p, ok := PrincipalFrom(ctx); ok && p.Kind == KindUser {
		createdBy = p.UserID
	}
	secret := randomToken()
	var key string
	var k APIKey
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, _, err := regionInfo(ctx, tx, regionID); err != nil {
			return err
		}
		var id int64
		for attempt := 0; ; attempt++ {
			var b [apiKeyPrefixLen / 2]byte
			if _, err := rand.Read(b[:]); err != nil {
				return fmt.Errorf("key prefix: %w", err)
			}
			prefix := hex.EncodeToString(b[:])
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_keys WHERE prefix = $1`, prefix).Scan(&n); err != nil {
				return fmt.Errorf("check key prefix: %w", err)
			}
			if n > 0 {
				if attempt < 5 {
					continue
				}
				return errors.New("could not find a free key prefix")
			}
			err := tx.QueryRowContext(ctx, `INSERT INTO api_keys (name, prefix, secret_hash, role, region_id, created_by, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
				name, prefix, sha256Hex(secret), role, nullID(regionID), nullID(createdBy), s.clock()).Scan(&id)
			if err != nil {
				return fmt.Errorf("insert API key: %w", err)
			}
			key = apiKeyScheme + prefix + "_" + secret
			break
		}
		var err error
		if k, err = scanAPIKey(tx.QueryRowContext(ctx, `SELECT `+apiKeyColumns+apiKeyFrom+` WHERE k.id = $1`, id)); err != nil {
			return fmt.Errorf("read API key: %w", err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "apikey.create", ObjectType: "apikey", ObjectID: strconv.FormatInt(id, 10), After: k})
	})
	if err != nil {
		return "", APIKey{}, fmt.Errorf("create API key %q: %w", name, err)
	}
	return key, k, nil
}

// AuthenticateAPIKey returns the principal of key. A malformed or unknown key or
// a wrong secret gives ErrBadAPIKey; a revoked one ErrAPIKeyRevoked (told only to
// someone holding the right secret). last_used_at is written at most once a
// minute.
func (s *Service) AuthenticateAPIKey(ctx context.Context, key string) (*Principal, error) {
	rest, ok := strings.CutPrefix(key, apiKeyScheme)
	if !ok || len(rest) < apiKeyPrefixLen+2 || len(rest) > 200 || rest[apiKeyPrefixLen] != '_' {
		return nil, ErrBadAPIKey
	}
	prefix, secret := rest[:apiKeyPrefixLen], rest[apiKeyPrefixLen+1:]
	var stored string
	var k APIKey
	var region, by sql.NullInt64
	var used, revoked sql.NullTime
	err := s.db.Read().QueryRowContext(ctx, `SELECT k.secret_hash, `+apiKeyColumns+apiKeyFrom+` WHERE k.prefix = $1`, prefix).Scan(
		&stored, &k.ID, &k.Name, &k.Prefix, &k.Role, &region, &k.RegionPath, &k.RegionName, &by, &k.CreatedAt, &used, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrBadAPIKey
	}
	if err != nil {
		return nil, fmt.Errorf("read API key: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(sha256Hex(secret)), []byte(stored)) != 1 {
		return nil, ErrBadAPIKey
	}
	if revoked.Valid {
		return nil, ErrAPIKeyRevoked
	}
	now := s.clock()
	if !used.Valid || now.Sub(used.Time) >= touchInterval {
		if _, err := s.db.Write().ExecContext(ctx, `UPDATE api_keys SET last_used_at = $1 WHERE id = $2`, now, k.ID); err != nil {
			return nil, fmt.Errorf("record API key use: %w", err)
		}
	}
	return &Principal{Kind: KindAPIKey, APIKeyID: k.ID, Username: "apikey:" + k.Prefix, DisplayName: k.Name, Role: k.Role,
		RegionID: region.Int64, RegionPath: k.RegionPath, Locale: LocaleZH}, nil
}

// ListAPIKeys returns every key, revoked ones included, oldest first.
func (s *Service) ListAPIKeys(ctx context.Context) ([]APIKey, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+apiKeyColumns+apiKeyFrom+` ORDER BY k.id`)
	if err != nil {
		return nil, fmt.Errorf("list API keys: %w", err)
	}
	defer rows.Close()
	var out []APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, fmt.Errorf("list API keys: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list API keys: %w", err)
	}
	return out, nil
}

// RevokeAPIKey ends key id for good and records "apikey.revoke". Revoking a key
// twice changes nothing.
func (s *Service) RevokeAPIKey(ctx context.Context, id int64) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := scanAPIKey(tx.QueryRowContext(ctx, `SELECT `+apiKeyColumns+apiKeyFrom+` WHERE k.id = $1`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: %d", ErrAPIKeyNotFound, id)
		}
		if err != nil {
			return fmt.Errorf("read API key: %w", err)
		}
		if before.Revoked() {
			return nil
		}
		after := before
		after.RevokedAt = s.clock()
		if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = $1 WHERE id = $2`, after.RevokedAt, id); err != nil {
			return fmt.Errorf("revoke API key: %w", err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "apikey.revoke", ObjectType: "apikey", ObjectID: strconv.FormatInt(id, 10), Before: before, After: after})
	})
	if err != nil {
		return fmt.Errorf("revoke API key %d: %w", id, err)
	}
	return nil
}
