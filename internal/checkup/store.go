package checkup

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/places"
)

// Override is an administrator's change to an indicator's parameters.
type Override struct {
	Code      string
	Params    Params
	UpdatedAt time.Time
	UpdatedBy string
}

// Overrides lists the parameter overrides by code.
func (s *Service) Overrides(ctx context.Context) ([]Override, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT code, params_json, updated_at, updated_by FROM indicator_overrides ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("indicator overrides: %w", err)
	}
	defer rows.Close()
	var out []Override
	for rows.Next() {
		var o Override
		var pj string
		if err := rows.Scan(&o.Code, &pj, &o.UpdatedAt, &o.UpdatedBy); err != nil {
			return nil, fmt.Errorf("indicator overrides: %w", err)
		}
		if err := json.Unmarshal([]byte(pj), &o.Params); err != nil {
			return nil, fmt.Errorf("indicator override %s: %w", o.Code, err)
		}
		o.UpdatedAt = o.UpdatedAt.UTC()
		out = append(out, o)
	}
	return out, rows.Err()
}

// EffectiveParams returns every indicator's parameters with the overrides
// applied, keyed by code: what the next run will use.
func (s *Service) EffectiveParams(ctx context.Context) (map[string]Params, error) {
	os, err := s.Overrides(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]Params, len(os))
	for _, o := range os {
		m[o.Code] = o.Params
	}
	return s.cat.Effective(m), nil
}

// SetOverride replaces the override of an indicator's parameters (only the keys
// given change; see Catalogue.CheckOverride), audited.
func (s *Service) SetOverride(ctx context.Context, code string, params Params) error {
	// Round-trip through JSON so numbers are float64 as the catalogue's are.
	raw, err := json.Marshal(params)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadParams, err)
	}
	var norm Params
	if err := json.Unmarshal(raw, &norm); err != nil {
		return fmt.Errorf("%w: %v", ErrBadParams, err)
	}
	if err := s.cat.CheckOverride(code, norm); err != nil {
		return err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	actor := audit.ActorFrom(ctx).Name
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var before string
		err := tx.QueryRowContext(ctx, `SELECT params_json FROM indicator_overrides WHERE code = $1`, code).Scan(&before)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("override %s: %w", code, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM indicator_overrides WHERE code = $1`, code); err != nil {
			return fmt.Errorf("override %s: %w", code, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO indicator_overrides (code, params_json, updated_at, updated_by) VALUES ($1, $2, $3, $4)`, code, string(raw), now, actor); err != nil {
			return fmt.Errorf("override %s: %w", code, err)
		}
		var b any
		if before != "" {
			b = json.RawMessage(before)
		}
		return s.audit.Record(ctx, tx, audit.Change{Action: "checkup.override.set", ObjectType: "indicator", ObjectID: code, Before: b, After: json.RawMessage(raw)})
	})
}

// ClearOverride removes an indicator's override, so the catalogue's parameters
// apply again; audited. It returns ErrNotFound when there is none.
func (s *Service) ClearOverride(ctx context.Context, code string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var before string
		err := tx.QueryRowContext(ctx, `SELECT params_json FROM indicator_overrides WHERE code = $1`, code).Scan(&before)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("override %s: %w", code, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("override %s: %w", code, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM indicator_overrides WHERE code = $1`, code); err != nil {
			return fmt.Errorf("override %s: %w", code, err)
		}
		return s.audit.Record(ctx, tx, audit.Change{Action: "checkup.override.clear", ObjectType: "indicator", ObjectID: code, Before: json.RawMessage(before)})
	})
}

// Run is one checkup run.
type Run struct {
	ID                 int64
	Year               int
	ScopeRegionID      int64 // 0 = whole deployment
	ScopePath          string
	ScopeName          string
	Status             string // RunRunning, RunDone or RunFailed
	ProgressDone       int
	ProgressTotal      int
	CatalogueVersion   string
	Params             map[string]Params // the effective parameters used
	NetworkID          int64             // 0 when no walk network was used
	Variants           []string          // variants computed: walk and/or line
	IndicatorsComputed int
	IndicatorsSkipped  int
	Values             int
	FindingsNew        int
	FindingsOpen       int
	FindingsResolved   int
	Notes              []string
	CreatedBy          string
	StartedAt          time.Time
	FinishedAt         time.Time // zero while running
	Error              string
}

const runCols = `id, year, COALESCE(scope_region_id, 0), scope_path, scope_name, status, progress_done, progress_total, catalogue_version, params_json,
	COALESCE(network_id, 0), variants, indicators_computed, indicators_skipped, values_count, findings_new, findings_open, findings_resolved,
	notes_json, created_by, started_at, finished_at, error`

func scanRun(sc interface{ Scan(...any) error }) (Run, error) {
	var r Run
	var pj, variants, notes string
	var fin sql.NullTime
	if err := sc.Scan(&r.ID, &r.Year, &r.ScopeRegionID, &r.ScopePath, &r.ScopeName, &r.Status, &r.ProgressDone, &r.ProgressTotal, &r.CatalogueVersion, &pj,
		&r.NetworkID, &variants, &r.IndicatorsComputed, &r.IndicatorsSkipped, &r.Values, &r.FindingsNew, &r.FindingsOpen, &r.FindingsResolved,
		&notes, &r.CreatedBy, &r.StartedAt, &fin, &r.Error); err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(pj), &r.Params); err != nil {
		return r, fmt.Errorf("run %d params: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(notes), &r.Notes); err != nil {
		return r, fmt.Errorf("run %d notes: %w", r.ID, err)
	}
	if variants != "" {
		r.Variants = strings.Split(variants, ",")
	}
	r.StartedAt = r.StartedAt.UTC()
	if fin.Valid {
		r.FinishedAt = fin.Time.UTC()
	}
	return r, nil
}

// RunByID returns one run.
func (s *Service) RunByID(ctx context.Context, id int64) (Run, error) {
	r, err := scanRun(s.db.Read().QueryRowContext(ctx, `SELECT `+runCols+` FROM checkup_runs WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("checkup run %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("checkup run %d: %w", id, err)
	}
	return r, nil
}

// LatestRun returns the newest finished run, or ErrNotFound.
func (s *Service) LatestRun(ctx context.Context) (Run, error) {
	r, err := scanRun(s.db.Read().QueryRowContext(ctx, `SELECT `+runCols+` FROM checkup_runs WHERE status = $1 ORDER BY id DESC LIMIT 1`, RunDone))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("no finished checkup run: %w", ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("latest checkup run: %w", err)
	}
	return r, nil
}

// Runs lists runs newest first (limit 0 = 50) and how many there are in all.
func (s *Service) Runs(ctx context.Context, limit, offset int) ([]Run, int, error) {
	if limit <= 0 || limit > 1000 {
		limit = 50
	}
	var total int
	if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM checkup_runs`).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count checkup runs: %w", err)
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+runCols+` FROM checkup_runs ORDER BY id DESC LIMIT $1 OFFSET $2`, limit, max(offset, 0))
	if err != nil {
		return nil, 0, fmt.Errorf("list checkup runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list checkup runs: %w", err)
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// Result is one indicator's headline figure in a run (per variant), with the
// previous finished run's figure over the same scope for the trend.
type Result struct {
	Indicator Indicator
	Variant   string // VariantWalk, VariantLine, or "" for indicators without variants
	Computed  bool
	Value     *float64 // nil when there is no figure
	Threshold *float64
	Passed    *bool // nil when not judged (no threshold or no figure)
	Objects   int   // objects measured
	Failing   int   // objects failing
	Unknown   int   // objects that could not be measured
	Note      string
	Previous  *float64 // the value in the previous run, nil if none
	// PreviousRunID is the run Previous comes from, 0 if none.
	PreviousRunID int64
}

// Results returns a run's indicator results in catalogue order (which runs from
// the housing level upwards).
func (s *Service) Results(ctx context.Context, runID int64) ([]Result, error) {
	run, err := s.RunByID(ctx, runID)
	if err != nil {
		return nil, err
	}
	var prevID int64
	err = s.db.Read().QueryRowContext(ctx, `SELECT id FROM checkup_runs WHERE status = $1 AND scope_path = $2 AND id < $3 ORDER BY id DESC LIMIT 1`,
		RunDone, run.ScopePath, runID).Scan(&prevID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("previous run: %w", err)
	}
	prev := map[string]*float64{}
	if prevID != 0 {
		rows, err := s.db.Read().QueryContext(ctx, `SELECT indicator_code, variant, value FROM indicator_results WHERE run_id = $1`, prevID)
		if err != nil {
			return nil, fmt.Errorf("previous results: %w", err)
		}
		for rows.Next() {
			var code, variant string
			var v sql.NullFloat64
			if err := rows.Scan(&code, &variant, &v); err != nil {
				rows.Close()
				return nil, fmt.Errorf("previous results: %w", err)
			}
			prev[code+"|"+variant] = ptrF(v)
		}
		rows.Close()
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT indicator_code, variant, computed, value, threshold, passed, objects, failing, unknown, note
		FROM indicator_results WHERE run_id = $1`, runID)
	if err != nil {
		return nil, fmt.Errorf("results of run %d: %w", runID, err)
	}
	defer rows.Close()
	var out []Result
	for rows.Next() {
		var r Result
		var code string
		var v, th sql.NullFloat64
		var p sql.NullBool
		if err := rows.Scan(&code, &r.Variant, &r.Computed, &v, &th, &p, &r.Objects, &r.Failing, &r.Unknown, &r.Note); err != nil {
			return nil, fmt.Errorf("results of run %d: %w", runID, err)
		}
		ind, ok := s.cat.Indicator(code)
		if !ok {
			ind = Indicator{Code: code, NameZh: code, NameEn: code}
		}
		r.Indicator, r.Value, r.Threshold = ind, ptrF(v), ptrF(th)
		if p.Valid {
			b := p.Bool
			r.Passed = &b
		}
		if pv, ok := prev[code+"|"+r.Variant]; ok {
			r.Previous, r.PreviousRunID = pv, prevID
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	order := map[string]int{}
	for i, ind := range s.cat.Indicators {
		order[ind.Code] = i
	}
	slices.SortStableFunc(out, func(a, b Result) int {
		if d := order[a.Indicator.Code] - order[b.Indicator.Code]; d != 0 {
			return d
		}
		return strings.Compare(a.Variant, b.Variant)
	})
	return out, nil
}

func ptrF(v sql.NullFloat64) *float64 {
	if !v.Valid {
		return nil
	}
	f := v.Float64
	return &f
}

// Value is one indicator measured on one object in a run.
type Value struct {
	RunID      int64
	Indicator  string
	Level      string
	Variant    string
	ObjectType string
	ObjectID   int64
	ObjectName string
	RegionPath string
	Value      *float64
	Threshold  *float64
	Passed     *bool
	Detail     json.RawMessage
}

// ValueFilter selects values of one run.
type ValueFilter struct {
	RunID       int64
	Level       string // "" = all levels
	Indicator   string // "" = all indicators
	Variant     string // "" = all variants
	Scope       string // region path prefix; "" = all
	FailingOnly bool
	Limit       int // 0 = 500, at most 10,000
	Offset      int
}

// Values lists a run's values matching f, by indicator and object, and how many
// match in all.
func (s *Service) Values(ctx context.Context, f ValueFilter) ([]Value, int, error) {
	where, args := []string{"run_id = $1", "region_path LIKE $2"}, []any{f.RunID, likePrefix(f.Scope)}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.Level != "" {
		add("level = $%d", f.Level)
	}
	if f.Indicator != "" {
		add("indicator_code = $%d", f.Indicator)
	}
	if f.Variant != "" {
		add("variant = $%d", f.Variant)
	}
	if f.FailingOnly {
		where = append(where, "passed = FALSE")
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM indicator_values WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count values: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 500
	}
	limit = min(limit, 10000)
	args = append(args, limit, max(f.Offset, 0))
	rows, err := s.db.Read().QueryContext(ctx, fmt.Sprintf(`SELECT run_id, indicator_code, level, variant, object_type, object_id, object_name, region_path, value, threshold, passed, detail_json
		FROM indicator_values WHERE %s ORDER BY indicator_code, variant, object_type, object_id LIMIT $%d OFFSET $%d`, cond, len(args)-1, len(args)), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list values: %w", err)
	}
	defer rows.Close()
	var out []Value
	for rows.Next() {
		var v Value
		var val, th sql.NullFloat64
		var p sql.NullBool
		var det string
		if err := rows.Scan(&v.RunID, &v.Indicator, &v.Level, &v.Variant, &v.ObjectType, &v.ObjectID, &v.ObjectName, &v.RegionPath, &val, &th, &p, &det); err != nil {
			return nil, 0, fmt.Errorf("list values: %w", err)
		}
		v.Value, v.Threshold, v.Detail = ptrF(val), ptrF(th), json.RawMessage(det)
		if p.Valid {
			b := p.Bool
			v.Passed = &b
		}
		out = append(out, v)
	}
	return out, total, rows.Err()
}

// Finding is one indicator failing on one object, tracked across runs.
type Finding struct {
	ID            int64
	Indicator     string
	Level         string
	Variant       string
	ObjectType    string // ObjectBuilding, ObjectCompound or ObjectRegion
	ObjectID      int64
	ObjectCode    string
	ObjectName    string
	Status        string
	Value         *float64
	Threshold     *float64
	Geometry      string // GeoJSON geometry of the object; may be empty
	Lon, Lat      float64
	RegionPath    string
	Evidence      json.RawMessage
	FirstRunID    int64
	LastRunID     int64
	ResolvedRunID int64 // 0 unless resolved by a run
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// FindingFilter selects findings.
type FindingFilter struct {
	Indicator string
	Level     string
	Variant   string
	Statuses  []string    // empty = all
	Scope     string      // region path prefix; "" = all
	BBox      places.BBox // only findings whose position lies inside; zero = anywhere
	// NoGeometry leaves Geometry empty, for lists that do not draw.
	NoGeometry bool
	Limit      int // 0 = 500, at most 50,000
	Offset     int
}

const findingCols = `id, indicator_code, level, variant, object_type, object_id, object_code, object_name, status, value, threshold, %s, COALESCE(lon, 0), COALESCE(lat, 0),
	region_path, evidence_json, first_run_id, last_run_id, COALESCE(resolved_run_id, 0), created_at, updated_at`

func scanFinding(sc interface{ Scan(...any) error }) (Finding, error) {
	var f Finding
	var v, th sql.NullFloat64
	var ev string
	err := sc.Scan(&f.ID, &f.Indicator, &f.Level, &f.Variant, &f.ObjectType, &f.ObjectID, &f.ObjectCode, &f.ObjectName, &f.Status, &v, &th, &f.Geometry,
		&f.Lon, &f.Lat, &f.RegionPath, &ev, &f.FirstRunID, &f.LastRunID, &f.ResolvedRunID, &f.CreatedAt, &f.UpdatedAt)
	f.Value, f.Threshold, f.Evidence = ptrF(v), ptrF(th), json.RawMessage(ev)
	f.CreatedAt, f.UpdatedAt = f.CreatedAt.UTC(), f.UpdatedAt.UTC()
	return f, err
}

// Findings lists findings matching f, by indicator and object, and how many
// match in all.
func (s *Service) Findings(ctx context.Context, f FindingFilter) ([]Finding, int, error) {
	where, args := []string{"region_path LIKE $1"}, []any{likePrefix(f.Scope)}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.Indicator != "" {
		add("indicator_code = $%d", f.Indicator)
	}
	if f.Level != "" {
		add("level = $%d", f.Level)
	}
	if f.Variant != "" {
		add("variant = $%d", f.Variant)
	}
	if len(f.Statuses) > 0 {
		var ph []string
		for _, st := range f.Statuses {
			args = append(args, st)
			ph = append(ph, "$"+strconv.Itoa(len(args)))
		}
		where = append(where, "status IN ("+strings.Join(ph, ",")+")")
	}
	if !f.BBox.Empty() {
		args = append(args, f.BBox.MinLon, f.BBox.MaxLon, f.BBox.MinLat, f.BBox.MaxLat)
		n := len(args)
		where = append(where, fmt.Sprintf("lon >= $%d AND lon <= $%d AND lat >= $%d AND lat <= $%d", n-3, n-2, n-1, n))
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM findings WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count findings: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 500
	}
	limit = min(limit, 50000)
	geom := "COALESCE(geometry, '')"
	if f.NoGeometry {
		geom = "''"
	}
	args = append(args, limit, max(f.Offset, 0))
	rows, err := s.db.Read().QueryContext(ctx, fmt.Sprintf(`SELECT `+findingCols+` FROM findings WHERE %s ORDER BY indicator_code, variant, object_type, object_id LIMIT $%d OFFSET $%d`,
		geom, cond, len(args)-1, len(args)), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list findings: %w", err)
	}
	defer rows.Close()
	var out []Finding
	for rows.Next() {
		fd, err := scanFinding(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list findings: %w", err)
		}
		out = append(out, fd)
	}
	return out, total, rows.Err()
}

// FindingByID returns one finding.
func (s *Service) FindingByID(ctx context.Context, id int64) (Finding, error) {
	f, err := scanFinding(s.db.Read().QueryRowContext(ctx, fmt.Sprintf(`SELECT `+findingCols+` FROM findings WHERE id = $1`, "COALESCE(geometry, '')"), id))
	if errors.Is(err, sql.ErrNoRows) {
		return f, fmt.Errorf("finding %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return f, fmt.Errorf("finding %d: %w", id, err)
	}
	return f, nil
}

// Event is one entry of a finding's history.
type Event struct {
	ID         int64
	FindingID  int64
	RunID      int64 // the run that changed it; 0 for a user's change
	Actor      string
	FromStatus string // "" when the finding was created
	ToStatus   string
	Note       string
	At         time.Time
}

// FindingEvents returns a finding's history, oldest first.
func (s *Service) FindingEvents(ctx context.Context, id int64) ([]Event, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, finding_id, COALESCE(run_id, 0), actor_name, from_status, to_status, note, at FROM finding_events WHERE finding_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("finding %d history: %w", id, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.ID, &e.FindingID, &e.RunID, &e.Actor, &e.FromStatus, &e.ToStatus, &e.Note, &e.At); err != nil {
			return nil, fmt.Errorf("finding %d history: %w", id, err)
		}
		e.At = e.At.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// SetFindingStatus moves a finding along the workflow (open → in_project →
// resolved → verified, and reopening to open), recording an event and an audit
// entry. A change the workflow does not allow returns ErrBadTransition.
func (s *Service) SetFindingStatus(ctx context.Context, id int64, status, note string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error { return s.SetFindingStatusTx(ctx, tx, id, status, note) })
}

// SetFindingStatusTx is SetFindingStatus inside the caller's transaction, for
// modules that change findings together with their own records (a renewal
// project taking findings in, or resolving them when it enters aftercare).
// A finding set to resolved this way is "resolved, pending verification": the
// next checkup run that measures it confirms it (verified) or reopens it.
func (s *Service) SetFindingStatusTx(ctx context.Context, tx *sql.Tx, id int64, status, note string) error {
	if !slices.Contains(Statuses, status) {
		return fmt.Errorf("%w: unknown status %q", ErrBadTransition, status)
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	actor := audit.ActorFrom(ctx).Name
	var from string
	err := tx.QueryRowContext(ctx, `SELECT status FROM findings WHERE id = $1`, id).Scan(&from)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("finding %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("finding %d: %w", id, err)
	}
	if !CanTransition(from, status) {
		return fmt.Errorf("%w: finding %d is %s and cannot become %s", ErrBadTransition, id, from, status)
	}
	q := `UPDATE findings SET status = $1, updated_at = $2 WHERE id = $3`
	if status == StatusOpen || status == StatusResolved {
		q = `UPDATE findings SET status = $1, updated_at = $2, resolved_run_id = NULL WHERE id = $3`
	}
	if _, err := tx.ExecContext(ctx, q, status, now, id); err != nil {
		return fmt.Errorf("finding %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO finding_events (finding_id, run_id, actor_name, from_status, to_status, note, at) VALUES ($1, NULL, $2, $3, $4, $5, $6)`,
		id, actor, from, status, note, now); err != nil {
		return fmt.Errorf("finding %d event: %w", id, err)
	}
	return s.audit.Record(ctx, tx, audit.Change{Action: "checkup.finding.status", ObjectType: "finding", ObjectID: strconv.FormatInt(id, 10),
		Before: map[string]any{"status": from}, After: map[string]any{"status": status, "note": note}})
}

// CardRow is one required facility kind on a compound's life-circle card.
type CardRow struct {
	Kind           string
	Circle         int // 5, 10 or 15 minutes
	RadiusM        float64
	WalkFacilityID int64 // 0 when none
	WalkFacility   string
	WalkM          *float64 // nil: no walk network, gate off it, or nothing within reach
	LineFacilityID int64
	LineFacility   string
	LineM          *float64
	InsideWalk     *bool // nil when the walking distance is unknown
	InsideLine     bool
}

// Card is a compound's life-circle card from the newest finished run that
// measured it.
type Card struct {
	CompoundID int64
	RunID      int64
	Year       int
	FinishedAt time.Time
	Walk       bool // whether the run had a walk network
	Rows       []CardRow
}

// LifeCircleCard returns the life-circle card of a compound, or ErrNotFound when
// no finished run measured it.
func (s *Service) LifeCircleCard(ctx context.Context, compoundID int64) (Card, error) {
	c := Card{CompoundID: compoundID}
	var fin sql.NullTime
	var variants string
	err := s.db.Read().QueryRowContext(ctx, `SELECT r.id, r.year, r.finished_at, r.variants FROM checkup_runs r
		WHERE r.status = $1 AND EXISTS (SELECT 1 FROM life_circle_distances d WHERE d.run_id = r.id AND d.compound_id = $2)
		ORDER BY r.id DESC LIMIT 1`, RunDone, compoundID).Scan(&c.RunID, &c.Year, &fin, &variants)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("life-circle card of compound %d: %w", compoundID, ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("life-circle card of compound %d: %w", compoundID, err)
	}
	c.FinishedAt = fin.Time.UTC()
	c.Walk = slices.Contains(strings.Split(variants, ","), VariantWalk)
	rows, err := s.db.Read().QueryContext(ctx, `SELECT kind, circle, radius_m, COALESCE(walk_facility_id, 0), walk_facility_name, walk_m, COALESCE(line_facility_id, 0), line_facility_name, line_m
		FROM life_circle_distances WHERE run_id = $1 AND compound_id = $2 ORDER BY circle, radius_m, kind`, c.RunID, compoundID)
	if err != nil {
		return c, fmt.Errorf("life-circle card of compound %d: %w", compoundID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var r CardRow
		var wm, lm sql.NullFloat64
		if err := rows.Scan(&r.Kind, &r.Circle, &r.RadiusM, &r.WalkFacilityID, &r.WalkFacility, &wm, &r.LineFacilityID, &r.LineFacility, &lm); err != nil {
			return c, fmt.Errorf("life-circle card of compound %d: %w", compoundID, err)
		}
		r.WalkM, r.LineM = ptrF(wm), ptrF(lm)
		if r.WalkM != nil {
			in := *r.WalkM <= r.RadiusM
			r.InsideWalk = &in
		}
		r.InsideLine = r.LineM != nil && *r.LineM <= r.RadiusM
		c.Rows = append(c.Rows, r)
	}
	return c, rows.Err()
}
