package places

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gengxin/gengxin/internal/audit"
)

// ErrInvalid is returned (wrapped) when an edit breaks a rule; its message says
// which.
var ErrInvalid = errors.New("invalid")

// CompoundUpdate holds the fields of a compound a worker may edit.
type CompoundUpdate struct {
	Name             string
	Address          string
	BuiltYear        int // 0 = unknown
	PropertyMode     string
	RenovationStatus string
}

// Validate checks the update and returns every problem, joined.
func (u CompoundUpdate) Validate() error {
	var errs []error
	if n := utf8.RuneCountInString(strings.TrimSpace(u.Name)); n == 0 || n > 100 {
		errs = append(errs, fmt.Errorf("%w: 名称须为 1–100 个字 (name must be 1–100 characters)", ErrInvalid))
	}
	if utf8.RuneCountInString(u.Address) > 200 {
		errs = append(errs, fmt.Errorf("%w: 地址最多 200 个字 (address is at most 200 characters)", ErrInvalid))
	}
	if u.BuiltYear != 0 && (u.BuiltYear < 1900 || u.BuiltYear > 2100) {
		errs = append(errs, fmt.Errorf("%w: 建成年份须在 1900–2100 之间 (built year must be 1900–2100)", ErrInvalid))
	}
	if !slices.Contains(PropertyModes, u.PropertyMode) {
		errs = append(errs, fmt.Errorf("%w: 物业管理方式无效 (property mode must be one of %s)", ErrInvalid, strings.Join(PropertyModes, ", ")))
	}
	if !slices.Contains(RenovationStatuses, u.RenovationStatus) {
		errs = append(errs, fmt.Errorf("%w: 改造状态无效 (renovation status must be one of %s)", ErrInvalid, strings.Join(RenovationStatuses, ", ")))
	}
	return errors.Join(errs...)
}

// compoundFields is what the audit log records of a compound edit.
type compoundFields struct {
	Name             string `json:"name"`
	Address          string `json:"address"`
	BuiltYear        int    `json:"built_year"`
	PropertyMode     string `json:"property_mode"`
	RenovationStatus string `json:"renovation_status"`
}

// UpdateCompound changes a compound's editable fields and records the change,
// before and after, in the audit log in the same transaction.
func (s *Store) UpdateCompound(ctx context.Context, id int64, u CompoundUpdate) (Compound, error) {
	u.Name, u.Address = strings.TrimSpace(u.Name), strings.TrimSpace(u.Address)
	if err := u.Validate(); err != nil {
		return Compound{}, err
	}
	var out Compound
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := scanCompound(tx.QueryRowContext(ctx, `SELECT `+compoundCols+` FROM compounds c WHERE c.id = $1`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("compound %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("compound %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE compounds SET name = $1, address = $2, built_year = $3, property_mode = $4, renovation_status = $5, updated_at = $6 WHERE id = $7`,
			u.Name, u.Address, nullInt(u.BuiltYear), u.PropertyMode, u.RenovationStatus, s.now().UTC().Truncate(time.Microsecond), id); err != nil {
			return fmt.Errorf("update compound %d: %w", id, err)
		}
		out = before
		out.Name, out.Address, out.BuiltYear, out.PropertyMode, out.RenovationStatus = u.Name, u.Address, u.BuiltYear, u.PropertyMode, u.RenovationStatus
		return s.audit.Record(ctx, tx, audit.Change{Action: "compound.update", ObjectType: "compound", ObjectID: strconv.FormatInt(id, 10),
			Before: compoundFields{before.Name, before.Address, before.BuiltYear, before.PropertyMode, before.RenovationStatus},
			After:  compoundFields{u.Name, u.Address, u.BuiltYear, u.PropertyMode, u.RenovationStatus}})
	})
	return out, err
}
