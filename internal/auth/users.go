package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/db"
)

// Locales an account may choose.
const (
	LocaleZH = "zh-CN"
	LocaleEN = "en"
)

// User is an account as others see it; the password hash never leaves the store.
type User struct {
	ID          int64
	Username    string
	DisplayName string
	Role        string
	RegionID    int64  // 0 = the whole deployment (or none, for residents)
	RegionPath  string // "" when RegionID is 0
	RegionName  string
	Locale      string
	Disabled    bool
	CreatedAt   time.Time
	LastLoginAt time.Time // zero when the user never logged in
}

// NewUser is what CreateUser needs.
type NewUser struct {
	Username    string // 3–32 of a–z, 0–9, _ . - (upper case is folded)
	DisplayName string
	Password    string
	Role        string
	RegionID    int64  // required for every staff role except admin
	Locale      string // "" means zh-CN
}

// UserUpdate lists the fields UpdateUser changes; nil fields stay as they are.
type UserUpdate struct {
	DisplayName *string
	Role        *string
	RegionID    *int64 // 0 removes the region
	Locale      *string
	Disabled    *bool
}

// UserFilter selects users for ListUsers; zero fields match everything.
type UserFilter struct {
	RegionPath string // only users whose region lies inside this path
	Role       string
	Query      string // part of the username or display name
	Limit      int    // default 50, at most 500
	Offset     int
}

// NormalizeUsername folds a username to the stored form (trimmed, lower case).
func NormalizeUsername(name string) string {
	return strings.ToLower(strings.TrimSpace(name))
}

// ValidUsername reports whether name (already normalised) follows the rules.
func ValidUsername(name string) bool {
	if len(name) < 3 || len(name) > 32 {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

func validLocale(l string) bool { return l == LocaleZH || l == LocaleEN }

const userColumns = `u.id, u.username, u.display_name, u.role, u.region_id, COALESCE(r.path, ''), COALESCE(r.name, ''),
	u.locale, u.disabled, u.created_at, u.last_login_at`

const userFrom = ` FROM users u LEFT JOIN regions r ON r.id = u.region_id`

type scanner interface{ Scan(dest ...any) error }

func scanUser(sc scanner) (User, error) {
	var u User
	var region sql.NullInt64
	var last sql.NullTime
	if err := sc.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Role, &region, &u.RegionPath, &u.RegionName,
		&u.Locale, &u.Disabled, &u.CreatedAt, &last); err != nil {
		return u, err
	}
	u.RegionID = region.Int64
	u.CreatedAt = u.CreatedAt.UTC()
	if last.Valid {
		u.LastLoginAt = last.Time.UTC()
	}
	return u, nil
}

func getUser(ctx context.Context, q db.Querier, where string, arg any) (User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+userFrom+` WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("%w: %v", ErrUserNotFound, arg)
	}
	if err != nil {
		return u, fmt.Errorf("read user %v: %w", arg, err)
	}
	return u, nil
}

// CreateUser adds an account after checking its username, password, role and
// region, and records "user.create".
func (s *Service) CreateUser(ctx context.Context, nu NewUser) (User, error) {
	nu.Username = NormalizeUsername(nu.Username)
	nu.DisplayName = strings.TrimSpace(nu.DisplayName)
	if nu.Locale == "" {
		nu.Locale = LocaleZH
	}
	switch {
	case !ValidUsername(nu.Username):
		return User{}, fmt.Errorf("%w: %q", ErrBadUsername, nu.Username)
	case !validLocale(nu.Locale):
		return User{}, fmt.Errorf("%w: %q", ErrBadLocale, nu.Locale)
	case len(nu.DisplayName) > 200:
		return User{}, ErrBadName
	}
	if err := checkScope(nu.Role, nu.RegionID); err != nil {
		return User{}, err
	}
	if err := ValidatePassword(nu.Password); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(nu.Password, s.params)
	if err != nil {
		return User{}, err
	}
	if nu.DisplayName == "" {
		nu.DisplayName = nu.Username
	}
	var u User
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, _, err := regionInfo(ctx, tx, nu.RegionID); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE username = $1`, nu.Username).Scan(&n); err != nil {
			return fmt.Errorf("check username: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("%w: %s", ErrUsernameTaken, nu.Username)
		}
		now := s.clock()
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO users (username, display_name, password_hash, role, region_id, locale, disabled, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, FALSE, $7, $7) RETURNING id`,
			nu.Username, nu.DisplayName, hash, nu.Role, nullID(nu.RegionID), nu.Locale, now).Scan(&id)
		if isUniqueViolation(err) {
			return fmt.Errorf("%w: %s", ErrUsernameTaken, nu.Username)
		}
		if err != nil {
			return fmt.Errorf("insert user: %w", err)
		}
		if u, err = getUser(ctx, tx, "u.id = $1", id); err != nil {
			return err
		}
		return s.log.Record(ctx, tx, userChange("user.create", nil, &u))
	})
	if err != nil {
		return User{}, fmt.Errorf("create user %s: %w", nu.Username, err)
	}
	return u, nil
}

// userChange builds the audit record of a user change; the User type holds no
// secret, so before and after are safe to store.
func userChange(action string, before, after *User) audit.Change {
	ch := audit.Change{Action: action, ObjectType: "user"}
	if before != nil {
		ch.Before, ch.ObjectID = before, strconv.FormatInt(before.ID, 10)
	}
	if after != nil {
		ch.After, ch.ObjectID = after, strconv.FormatInt(after.ID, 10)
	}
	return ch
}

// GetUser returns the user with id, or ErrUserNotFound.
func (s *Service) GetUser(ctx context.Context, id int64) (User, error) {
	return getUser(ctx, s.db.Read(), "u.id = $1", id)
}

// UserByUsername returns the user with that username (case-insensitive), or
// ErrUserNotFound.
func (s *Service) UserByUsername(ctx context.Context, username string) (User, error) {
	return getUser(ctx, s.db.Read(), "u.username = $1", NormalizeUsername(username))
}

// ListUsers returns one page of matching users ordered by username, and how many
// match in all.
func (s *Service) ListUsers(ctx context.Context, f UserFilter) ([]User, int, error) {
	var where []string
	var args []any
	add := func(cond string, vals ...any) {
		for _, v := range vals {
			args = append(args, v)
			cond = strings.Replace(cond, "$?", "$"+strconv.Itoa(len(args)), 1)
		}
		where = append(where, cond)
	}
	if f.RegionPath != "" {
		add(`r.path LIKE $? ESCAPE '\'`, likeEscaper.Replace(f.RegionPath)+"%")
	}
	if f.Role != "" {
		add(`u.role = $?`, f.Role)
	}
	if q := strings.ToLower(strings.TrimSpace(f.Query)); q != "" {
		pat := "%" + likeEscaper.Replace(q) + "%"
		add(`(LOWER(u.username) LIKE $? ESCAPE '\' OR LOWER(u.display_name) LIKE $? ESCAPE '\')`, pat, pat)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*)`+userFrom+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count users: %w", err)
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 500)
	f.Offset = max(f.Offset, 0)
	args = append(args, f.Limit, f.Offset)
	rows, err := s.db.Read().QueryContext(ctx, fmt.Sprintf(`SELECT %s%s%s ORDER BY u.username LIMIT $%d OFFSET $%d`,
		userColumns, userFrom, cond, len(args)-1, len(args)), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	return out, total, nil
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// UpdateUser changes the given fields of user id and records "user.update".
// Disabling a user ends their sessions. The last active administrator cannot be
// disabled or given another role (ErrLastAdmin).
func (s *Service) UpdateUser(ctx context.Context, id int64, up UserUpdate) (User, error) {
	var after User
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := getUser(ctx, tx, "u.id = $1", id)
		if err != nil {
			return err
		}
		next := before
		if up.DisplayName != nil {
			next.DisplayName = strings.TrimSpace(*up.DisplayName)
			if next.DisplayName == "" {
				next.DisplayName = next.Username
			}
			if len(next.DisplayName) > 200 {
				return ErrBadName
			}
		}
		if up.Role != nil {
			next.Role = *up.Role
		}
		if up.RegionID != nil {
			next.RegionID = *up.RegionID
		}
		if up.Locale != nil {
			if !validLocale(*up.Locale) {
				return fmt.Errorf("%w: %q", ErrBadLocale, *up.Locale)
			}
			next.Locale = *up.Locale
		}
		if up.Disabled != nil {
			next.Disabled = *up.Disabled
		}
		if err := checkScope(next.Role, next.RegionID); err != nil {
			return err
		}
		if _, _, err := regionInfo(ctx, tx, next.RegionID); err != nil {
			return err
		}
		wasAdmin := before.Role == RoleAdmin && !before.Disabled
		isAdmin := next.Role == RoleAdmin && !next.Disabled
		if wasAdmin && !isAdmin {
			var others int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE role = $1 AND disabled = FALSE AND id <> $2`, RoleAdmin, id).Scan(&others); err != nil {
				return fmt.Errorf("count administrators: %w", err)
			}
			if others == 0 {
				return ErrLastAdmin
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET display_name = $1, role = $2, region_id = $3, locale = $4, disabled = $5, updated_at = $6 WHERE id = $7`,
			next.DisplayName, next.Role, nullID(next.RegionID), next.Locale, next.Disabled, s.clock(), id); err != nil {
			return fmt.Errorf("update user: %w", err)
		}
		if next.Disabled && !before.Disabled {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, id); err != nil {
				return fmt.Errorf("end sessions: %w", err)
			}
		}
		if after, err = getUser(ctx, tx, "u.id = $1", id); err != nil {
			return err
		}
		return s.log.Record(ctx, tx, userChange("user.update", &before, &after))
	})
	if err != nil {
		return User{}, fmt.Errorf("update user %d: %w", id, err)
	}
	return after, nil
}

// SetPassword replaces the password of user id, ends all of the user's sessions
// and records "user.password" (without the password or its hash).
func (s *Service) SetPassword(ctx context.Context, id int64, pw string) error {
	if err := ValidatePassword(pw); err != nil {
		return err
	}
	hash, err := HashPassword(pw, s.params)
	if err != nil {
		return err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3`, hash, s.clock(), id)
		if err != nil {
			return fmt.Errorf("update password: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("update password: %w", err)
		} else if n == 0 {
			return fmt.Errorf("%w: %d", ErrUserNotFound, id)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, id); err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "user.password", ObjectType: "user", ObjectID: strconv.FormatInt(id, 10), After: map[string]any{"password": "changed"}})
	})
	if err != nil {
		return fmt.Errorf("set password of user %d: %w", id, err)
	}
	return nil
}
