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

// Statuses of a resident's claim to a household.
const (
	LinkPending  = "pending"
	LinkVerified = "verified"
	LinkRejected = "rejected"
)

// ResidentLink is a resident's claim to live in (or own) a household, with where
// the household is so a community worker can check it.
type ResidentLink struct {
	ID            int64
	UserID        int64
	Username      string
	DisplayName   string
	HouseholdID   int64
	HouseholdCode string
	Room          string
	BuildingName  string
	CompoundName  string
	RegionPath    string // the compound's region path
	Status        string // LinkPending, LinkVerified or LinkRejected
	RequestedAt   time.Time
	DecidedBy     int64     // 0 while pending or when decided by an API key
	DecidedAt     time.Time // zero while pending
}

const linkColumns = `l.id, l.user_id, u.username, u.display_name, l.household_id, h.code, h.room, b.name, c.name, c.region_path,
	l.status, l.requested_at, l.decided_by, l.decided_at`

const linkFrom = ` FROM resident_links l
	JOIN users u ON u.id = l.user_id
	JOIN households h ON h.id = l.household_id
	JOIN buildings b ON b.id = h.building_id
	JOIN compounds c ON c.id = b.compound_id`

func scanLink(sc scanner) (ResidentLink, error) {
	var l ResidentLink
	var by sql.NullInt64
	var at sql.NullTime
	if err := sc.Scan(&l.ID, &l.UserID, &l.Username, &l.DisplayName, &l.HouseholdID, &l.HouseholdCode, &l.Room, &l.BuildingName,
		&l.CompoundName, &l.RegionPath, &l.Status, &l.RequestedAt, &by, &at); err != nil {
		return l, err
	}
	l.RequestedAt = l.RequestedAt.UTC()
	l.DecidedBy = by.Int64
	if at.Valid {
		l.DecidedAt = at.Time.UTC()
	}
	return l, nil
}

func linkChange(action string, before, after *ResidentLink) audit.Change {
	ch := audit.Change{Action: action, ObjectType: "resident_link"}
	if before != nil {
		ch.Before, ch.ObjectID = before, strconv.FormatInt(before.ID, 10)
	}
	if after != nil {
		ch.After, ch.ObjectID = after, strconv.FormatInt(after.ID, 10)
	}
	return ch
}

// RequestResidentLink records that resident userID claims householdID; a
// community worker or grid worker of the area then decides. A claim that was
// rejected may be made again; a pending or verified one gives ErrLinkExists.
func (s *Service) RequestResidentLink(ctx context.Context, userID, householdID int64) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var role string
		err := tx.QueryRowContext(ctx, `SELECT role FROM users WHERE id = $1`, userID).Scan(&role)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: %d", ErrUserNotFound, userID)
		}
		if err != nil {
			return fmt.Errorf("read user: %w", err)
		}
		if role != RoleResident {
			return ErrNotResident
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM households WHERE id = $1`, householdID).Scan(&n); err != nil {
			return fmt.Errorf("read household: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("%w: %d", ErrHouseholdNotFound, householdID)
		}
		now := s.clock()
		var before *ResidentLink
		var id int64
		old, err := scanLink(tx.QueryRowContext(ctx, `SELECT `+linkColumns+linkFrom+` WHERE l.user_id = $1 AND l.household_id = $2`, userID, householdID))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if err := tx.QueryRowContext(ctx, `INSERT INTO resident_links (user_id, household_id, status, requested_at) VALUES ($1, $2, $3, $4) RETURNING id`,
				userID, householdID, LinkPending, now).Scan(&id); err != nil {
				return fmt.Errorf("insert resident link: %w", err)
			}
		case err != nil:
			return fmt.Errorf("read resident link: %w", err)
		case old.Status != LinkRejected:
			return ErrLinkExists
		default:
			before, id = &old, old.ID
			if _, err := tx.ExecContext(ctx, `UPDATE resident_links SET status = $1, requested_at = $2, decided_by = NULL, decided_at = NULL WHERE id = $3`,
				LinkPending, now, id); err != nil {
				return fmt.Errorf("renew resident link: %w", err)
			}
		}
		after, err := scanLink(tx.QueryRowContext(ctx, `SELECT `+linkColumns+linkFrom+` WHERE l.id = $1`, id))
		if err != nil {
			return fmt.Errorf("read resident link: %w", err)
		}
		return s.log.Record(ctx, tx, linkChange("resident_link.request", before, &after))
	})
	if err != nil {
		return fmt.Errorf("request household %d for user %d: %w", householdID, userID, err)
	}
	return nil
}

// DecideResidentLink approves or rejects pending claim linkID on behalf of the
// principal in ctx, who needs ResidentsVerify (else ErrUnauthenticated or
// ErrForbidden) and a scope covering the household's compound (else
// ErrOutOfScope). It records "resident_link.verify" or "resident_link.reject".
func (s *Service) DecideResidentLink(ctx context.Context, linkID int64, approve bool) error {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return ErrUnauthenticated
	}
	if !p.Can(ResidentsVerify) {
		return ErrForbidden
	}
	ctx = audit.WithActor(ctx, p.Actor())
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := scanLink(tx.QueryRowContext(ctx, `SELECT `+linkColumns+linkFrom+` WHERE l.id = $1`, linkID))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: %d", ErrLinkNotFound, linkID)
		}
		if err != nil {
			return fmt.Errorf("read resident link: %w", err)
		}
		if !p.Covers(before.RegionPath) {
			return ErrOutOfScope
		}
		if before.Status != LinkPending {
			return ErrLinkDecided
		}
		after := before
		action := "resident_link.reject"
		after.Status, after.DecidedAt = LinkRejected, s.clock()
		if approve {
			after.Status, action = LinkVerified, "resident_link.verify"
		}
		if p.Kind == KindUser {
			after.DecidedBy = p.UserID
		}
		if _, err := tx.ExecContext(ctx, `UPDATE resident_links SET status = $1, decided_by = $2, decided_at = $3 WHERE id = $4`,
			after.Status, nullID(after.DecidedBy), after.DecidedAt, linkID); err != nil {
			return fmt.Errorf("decide resident link: %w", err)
		}
		return s.log.Record(ctx, tx, linkChange(action, &before, &after))
	})
	if err != nil {
		return fmt.Errorf("decide resident link %d: %w", linkID, err)
	}
	return nil
}

// ResidentHouseholds returns the households userID is verified for, by id.
func (s *Service) ResidentHouseholds(ctx context.Context, userID int64) ([]int64, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT household_id FROM resident_links WHERE user_id = $1 AND status = $2 ORDER BY household_id`, userID, LinkVerified)
	if err != nil {
		return nil, fmt.Errorf("households of user %d: %w", userID, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("households of user %d: %w", userID, err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("households of user %d: %w", userID, err)
	}
	return out, nil
}

// PendingResidentLinks returns the claims awaiting a decision whose compound lies
// inside regionPath ("" for all), oldest first.
func (s *Service) PendingResidentLinks(ctx context.Context, regionPath string) ([]ResidentLink, error) {
	out, err := s.queryLinks(ctx, `SELECT `+linkColumns+linkFrom+` WHERE l.status = $1 AND c.region_path LIKE $2 ESCAPE '\' ORDER BY l.requested_at, l.id`,
		LinkPending, likeEscaper.Replace(regionPath)+"%")
	if err != nil {
		return nil, fmt.Errorf("pending resident links: %w", err)
	}
	return out, nil
}

// UserResidentLinks returns every claim of one resident, newest first.
func (s *Service) UserResidentLinks(ctx context.Context, userID int64) ([]ResidentLink, error) {
	out, err := s.queryLinks(ctx, `SELECT `+linkColumns+linkFrom+` WHERE l.user_id = $1 ORDER BY l.requested_at DESC, l.id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("resident links of user %d: %w", userID, err)
	}
	return out, nil
}

func (s *Service) queryLinks(ctx context.Context, q string, args ...any) ([]ResidentLink, error) {
	rows, err := s.db.Read().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ResidentLink
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}
