package cases

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/web"
)

// kpiWeightsKey is the deployment setting that holds the score weights.
const kpiWeightsKey = "cases.kpi_weights"

// storedWeights is the stored form of KPIWeights.
type storedWeights struct {
	Response     int `json:"response"`
	Resolution   int `json:"resolution"`
	Satisfaction int `json:"satisfaction"`
}

// KPIWeights returns the deployment's score weights: the setting an
// administrator saved, else DefaultKPIWeights.
func (s *Service) KPIWeights(ctx context.Context) (KPIWeights, error) {
	var v string
	err := s.db.Read().QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, kpiWeightsKey).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultKPIWeights(), nil
	}
	if err != nil {
		return KPIWeights{}, fmt.Errorf("kpi weights: %w", err)
	}
	var w storedWeights
	if err := json.Unmarshal([]byte(v), &w); err != nil {
		return KPIWeights{}, fmt.Errorf("kpi weights %q: %w", v, err)
	}
	return KPIWeights(w), nil
}

// checkWeights accepts weights in whole percent that add up to 100.
func checkWeights(w KPIWeights) error {
	for _, v := range []int{w.Response, w.Resolution, w.Satisfaction} {
		if v < 0 || v > 100 {
			return fmt.Errorf("%w: a score weight is a percentage from 0 to 100", ErrInvalid)
		}
	}
	if w.Response+w.Resolution+w.Satisfaction != 100 {
		return fmt.Errorf("%w: the score weights must add up to 100, not %d", ErrInvalid, w.Response+w.Resolution+w.Satisfaction)
	}
	return nil
}

// SetKPIWeights saves the deployment's score weights, with an audit entry.
func (s *Service) SetKPIWeights(ctx context.Context, w KPIWeights) error {
	if err := checkWeights(w); err != nil {
		return err
	}
	before, err := s.KPIWeights(ctx)
	if err != nil {
		return err
	}
	b, err := json.Marshal(storedWeights(w))
	if err != nil {
		return fmt.Errorf("kpi weights: %w", err)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, kpiWeightsKey, string(b), s.clock()); err != nil {
			return fmt.Errorf("kpi weights: %w", err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "setting.save", ObjectType: "setting", ObjectID: kpiWeightsKey,
			Before: storedWeights(before), After: storedWeights(w)})
	})
}

// saveWeights is the administrator's form on the KPI page.
func (h *Handlers) saveWeights(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, fmt.Errorf("%w: %v", ErrInvalid, err))
		return
	}
	var kw KPIWeights
	for _, f := range []struct {
		name string
		v    *int
	}{{"response", &kw.Response}, {"resolution", &kw.Resolution}, {"satisfaction", &kw.Satisfaction}} {
		n, err := strconv.Atoi(r.PostFormValue(f.name))
		if err != nil {
			h.fail(w, r, fmt.Errorf("%w: the %s weight %q is not a whole number", ErrInvalid, f.name, r.PostFormValue(f.name)))
			return
		}
		*f.v = n
	}
	if err := h.svc.SetKPIWeights(r.Context(), kw); err != nil {
		h.fail(w, r, err)
		return
	}
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusOK, storedWeights(kw))
		return
	}
	http.Redirect(w, r, "/cases/kpi", http.StatusSeeOther)
}

// canSetWeights reports whether the viewer may change the score weights.
func canSetWeights(r *http.Request) bool {
	p := principalOf(r)
	return p != nil && p.Can(auth.UsersManage)
}
