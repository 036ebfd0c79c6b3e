package cases

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/calendar"
)

// Settings keys of the stored working calendar: the working hours, and one
// holiday notice per year.
const (
	calendarHoursKey     = "calendar.hours"
	calendarNoticePrefix = "calendar.notice."
)

// Calendar returns the working calendar in force: the built-in one with the
// notices and working hours administrators stored.
func (s *Service) Calendar() *calendar.Calendar { return s.cal.Load() }

// StoredCalendar is what administrators added to the built-in calendar.
type StoredCalendar struct {
	Hours   []calendar.Period // nil: the built-in hours
	Notices []calendar.Notice // by year
}

// StoredCalendar reads the stored working hours and notices.
func (s *Service) StoredCalendar(ctx context.Context) (StoredCalendar, error) {
	var sc StoredCalendar
	rows, err := s.db.Read().QueryContext(ctx, `SELECT key, value FROM settings WHERE key = $1 OR key LIKE $2 ORDER BY key`,
		calendarHoursKey, calendarNoticePrefix+"%")
	if err != nil {
		return sc, fmt.Errorf("stored calendar: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return sc, fmt.Errorf("stored calendar: %w", err)
		}
		if k == calendarHoursKey {
			if sc.Hours, err = calendar.ParseHours(v); err != nil {
				return sc, fmt.Errorf("stored working hours: %w", err)
			}
			continue
		}
		n, err := calendar.ParseNotice([]byte(v))
		if err != nil {
			return sc, fmt.Errorf("stored notice %s: %w", k, err)
		}
		sc.Notices = append(sc.Notices, n)
	}
	return sc, rows.Err()
}

// LoadCalendar builds the calendar in force from the built-in one and what is
// stored, and uses it for every deadline computed from now on (deadlines
// already set keep their times). Instances sharing a database call it on
// their timer tick to pick up changes made on another instance.
func (s *Service) LoadCalendar(ctx context.Context) error {
	sc, err := s.StoredCalendar(ctx)
	if err != nil {
		return err
	}
	cal, err := s.compose(sc)
	if err != nil {
		return err
	}
	s.cal.Store(cal)
	return nil
}

func (s *Service) compose(sc StoredCalendar) (*calendar.Calendar, error) {
	cal, err := s.base.With(sc.Notices...)
	if err != nil {
		return nil, err
	}
	if sc.Hours != nil {
		if cal, err = cal.WithHours(sc.Hours); err != nil {
			return nil, err
		}
	}
	return cal, nil
}

// SaveNotice stores a year's holiday notice (replacing a stored one for that
// year, and taking precedence over a built-in one) after checking that it fits
// with the rest of the calendar.
func (s *Service) SaveNotice(ctx context.Context, n calendar.Notice) error {
	if err := n.Validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	sc, err := s.StoredCalendar(ctx)
	if err != nil {
		return err
	}
	var others []calendar.Notice
	for _, o := range sc.Notices {
		if o.Year != n.Year {
			others = append(others, o)
		}
	}
	sc.Notices = append(others, n)
	if _, err := s.compose(sc); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	data, err := n.Marshal()
	if err != nil {
		return err
	}
	key := calendarNoticePrefix + strconv.Itoa(n.Year)
	if err := s.putSetting(ctx, key, string(data), "calendar.notice.save", map[string]any{"year": n.Year, "source": n.Source, "holidays": len(n.Holidays)}); err != nil {
		return err
	}
	return s.LoadCalendar(ctx)
}

// DeleteNotice removes a stored notice; a built-in year returns to the
// schedule the program ships.
func (s *Service) DeleteNotice(ctx context.Context, year int) error {
	key := calendarNoticePrefix + strconv.Itoa(year)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM settings WHERE key = $1`, key)
		if err != nil {
			return fmt.Errorf("delete notice: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("no stored notice for %d: %w", year, ErrNotFound)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "calendar.notice.delete", ObjectType: "setting", ObjectID: key, Before: map[string]any{"year": year}})
	})
	if err != nil {
		return err
	}
	return s.LoadCalendar(ctx)
}

// SaveHours stores the daily working hours; nil returns to the built-in ones.
func (s *Service) SaveHours(ctx context.Context, hours []calendar.Period) error {
	if hours == nil {
		err := s.tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `DELETE FROM settings WHERE key = $1`, calendarHoursKey); err != nil {
				return fmt.Errorf("working hours: %w", err)
			}
			return s.log.Record(ctx, tx, audit.Change{Action: "calendar.hours.reset", ObjectType: "setting", ObjectID: calendarHoursKey})
		})
		if err != nil {
			return err
		}
		return s.LoadCalendar(ctx)
	}
	if _, err := s.base.WithHours(hours); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	parts := make([]string, len(hours))
	for i, p := range hours {
		parts[i] = p.String()
	}
	text := strings.Join(parts, ",")
	if err := s.putSetting(ctx, calendarHoursKey, text, "calendar.hours.save", map[string]any{"hours": text}); err != nil {
		return err
	}
	return s.LoadCalendar(ctx)
}

// putSetting replaces one settings row, audited.
func (s *Service) putSetting(ctx context.Context, key, value, action string, after any) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var before sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&before)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("setting %s: %w", key, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM settings WHERE key = $1`, key); err != nil {
			return fmt.Errorf("setting %s: %w", key, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)`, key, value, s.clock()); err != nil {
			return fmt.Errorf("setting %s: %w", key, err)
		}
		var b any
		if before.Valid {
			b = before.String
		}
		return s.log.Record(ctx, tx, audit.Change{Action: action, ObjectType: "setting", ObjectID: key, Before: b, After: after})
	})
}
