package projects

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/checkup"
	"github.com/gengxin/gengxin/internal/db"
)

// GateError is returned (wrapping ErrGate) when a transition is refused; it
// lists exactly the conditions that are missing.
type GateError struct {
	From, To string
	Missing  []Check
}

func (e *GateError) Error() string {
	var keys []string
	for _, c := range e.Missing {
		keys = append(keys, string(c.Condition))
	}
	return fmt.Sprintf("%s → %s: missing %s", e.From, e.To, strings.Join(keys, ", "))
}

// Unwrap lets errors.Is find ErrGate.
func (e *GateError) Unwrap() error { return ErrGate }

// Gate returns the gate for leaving stage in a project of typ: the
// administrator's setting when there is one, else the default.
func (s *Service) Gate(ctx context.Context, typ, stage string) (Gate, error) {
	return s.gate(ctx, s.db.Read(), typ, stage)
}

func (s *Service) gate(ctx context.Context, q db.Querier, typ, stage string) (Gate, error) {
	g := DefaultGate(typ, stage)
	var conds string
	err := q.QueryRowContext(ctx, `SELECT conditions, support_num, support_den FROM project_gates WHERE type = $1 AND stage = $2`, typ, stage).
		Scan(&conds, &g.SupportNum, &g.SupportDen)
	if errors.Is(err, sql.ErrNoRows) {
		return g, nil
	}
	if err != nil {
		return g, fmt.Errorf("gate %s/%s: %w", typ, stage, err)
	}
	g.Conditions, g.Custom = nil, true
	for _, c := range strings.Split(conds, ",") {
		if c != "" {
			g.Conditions = append(g.Conditions, Condition(c))
		}
	}
	return g, nil
}

// Gates returns every gate of every type, for the configuration page.
func (s *Service) Gates(ctx context.Context) ([]Gate, error) {
	var out []Gate
	for _, t := range Types {
		for _, st := range Stages[:len(Stages)-1] {
			g, err := s.Gate(ctx, t, st)
			if err != nil {
				return nil, err
			}
			out = append(out, g)
		}
	}
	return out, nil
}

// SetGate stores the conditions for leaving g.Stage in projects of g.Type.
func (s *Service) SetGate(ctx context.Context, g Gate) error {
	if !slices.Contains(Types, g.Type) || !slices.Contains(Stages[:len(Stages)-1], g.Stage) {
		return fmt.Errorf("%w: no gate %s/%s", ErrInvalid, g.Type, g.Stage)
	}
	var names []string
	for _, c := range g.Conditions {
		if !slices.Contains(Conditions, c) {
			return fmt.Errorf("%w: unknown condition %q", ErrInvalid, c)
		}
		names = append(names, string(c))
	}
	if g.SupportDen <= 0 || g.SupportNum <= 0 || g.SupportNum > g.SupportDen {
		return fmt.Errorf("%w: the survey support must be a fraction between 0 and 1, like 2/3", ErrInvalid)
	}
	a := audit.ActorFrom(ctx)
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := s.gate(ctx, tx, g.Type, g.Stage)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM project_gates WHERE type = $1 AND stage = $2`, g.Type, g.Stage); err != nil {
			return fmt.Errorf("gate: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO project_gates (type, stage, conditions, support_num, support_den, updated_by, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, g.Type, g.Stage, strings.Join(names, ","), g.SupportNum, g.SupportDen, a.Name, s.clock()); err != nil {
			return fmt.Errorf("gate: %w", err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "project.gate.set", ObjectType: "project_gate", ObjectID: g.Type + "/" + g.Stage,
			Before: before, After: g})
	})
}

// facts gathers what the gates of project p are evaluated against.
func (s *Service) facts(ctx context.Context, q db.Querier, p Project) (Facts, error) {
	f := Facts{Project: p, Records: map[string]int{}, FeedbackTotal: map[string]int{}, FeedbackOpen: map[string]int{}}
	var err error
	if f.Items, err = s.items(ctx, q, p.ID); err != nil {
		return f, err
	}
	if f.Compounds, err = s.ScopeCompounds(ctx, q, p.ID); err != nil {
		return f, err
	}
	if s.consult != nil {
		if f.Surveys, err = s.consult.SurveyRounds(ctx, p.ID); err != nil {
			return f, fmt.Errorf("surveys of project %d: %w", p.ID, err)
		}
		if f.Votes, err = s.consult.Votes(ctx, p.ID); err != nil {
			return f, fmt.Errorf("votes of project %d: %w", p.ID, err)
		}
	}
	rows, err := q.QueryContext(ctx, `SELECT kind, COUNT(*) FROM project_records WHERE project_id = $1 GROUP BY kind`, p.ID)
	if err != nil {
		return f, fmt.Errorf("records: %w", err)
	}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			rows.Close()
			return f, err
		}
		f.Records[k] = n
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT round, status, COUNT(*) FROM project_feedback WHERE project_id = $1 GROUP BY round, status`, p.ID)
	if err != nil {
		return f, fmt.Errorf("feedback: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var round, status string
		var n int
		if err := rows.Scan(&round, &status, &n); err != nil {
			return f, err
		}
		f.FeedbackTotal[round] += n
		if status == FeedbackOpen {
			f.FeedbackOpen[round] += n
		}
	}
	return f, rows.Err()
}

// GateStatus is the gate for a project's next transition with each condition
// checked.
type GateStatus struct {
	From   string  `json:"from"`
	To     string  `json:"to"` // "" in aftercare
	Gate   Gate    `json:"gate"`
	Checks []Check `json:"checks"`
	// Open is true when every condition is met.
	Open bool `json:"open"`
}

// NextGate evaluates the gate between the project's stage and the next.
func (s *Service) NextGate(ctx context.Context, id int64) (GateStatus, error) {
	p, err := s.Get(ctx, id)
	if err != nil {
		return GateStatus{}, err
	}
	return s.nextGate(ctx, s.db.Read(), p)
}

func (s *Service) nextGate(ctx context.Context, q db.Querier, p Project) (GateStatus, error) {
	gs := GateStatus{From: p.Stage, To: NextStage(p.Stage)}
	if gs.To == "" {
		return gs, nil
	}
	g, err := s.gate(ctx, q, p.Type, p.Stage)
	if err != nil {
		return gs, err
	}
	f, err := s.facts(ctx, q, p)
	if err != nil {
		return gs, err
	}
	gs.Gate, gs.Checks = g, Evaluate(g, f)
	gs.Open = len(Missing(gs.Checks)) == 0
	return gs, nil
}

// Advance moves a project to its next stage when every gate condition is met.
// Otherwise it returns a *GateError naming what is missing — unless override
// is set with a written reason, which the caller must be allowed to give; the
// override, the reason and the conditions passed over are recorded and
// audited. Entering aftercare marks the project's findings resolved, pending
// verification by the next checkup run.
func (s *Service) Advance(ctx context.Context, id int64, override bool, reason string) (Project, error) {
	reason = strings.TrimSpace(reason)
	if override && utf8.RuneCountInString(reason) < 5 {
		return Project{}, fmt.Errorf("%w: overriding a gate needs a written reason of at least 5 characters", ErrInvalid)
	}
	a := audit.ActorFrom(ctx)
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		p, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		gs, err := s.nextGate(ctx, tx, p)
		if err != nil {
			return err
		}
		if gs.To == "" {
			return fmt.Errorf("%w: the project is in aftercare, the last stage", ErrInvalid)
		}
		missing := Missing(gs.Checks)
		if len(missing) > 0 && !override {
			return &GateError{From: gs.From, To: gs.To, Missing: missing}
		}
		overridden := len(missing) > 0
		if !overridden {
			reason = ""
		}
		now := s.clock()
		if _, err := tx.ExecContext(ctx, `UPDATE projects SET stage = $1, stage_entered_at = $2, updated_at = $2 WHERE id = $3`, gs.To, now, id); err != nil {
			return fmt.Errorf("advance project %d: %w", id, err)
		}
		mj, _ := json.Marshal(missing)
		if missing == nil {
			mj = []byte("[]")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO project_stage_events (project_id, from_stage, to_stage, overridden, reason, missing_json, actor_name, actor_id, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, id, gs.From, gs.To, overridden, reason, string(mj), a.Name, actorID(a), now); err != nil {
			return fmt.Errorf("stage event: %w", err)
		}
		if gs.To == StageAftercare {
			if err := s.resolveFindings(ctx, tx, p); err != nil {
				return err
			}
		}
		after := map[string]any{"stage": gs.To}
		if overridden {
			after["override_reason"] = reason
			after["missing"] = missing
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "project.advance", ObjectType: "project", ObjectID: itoa(id),
			Before: map[string]any{"stage": gs.From}, After: after})
	})
	if err != nil {
		return Project{}, err
	}
	return s.Get(ctx, id)
}

// resolveFindings marks the project's findings that are still in the project
// as resolved, pending verification.
func (s *Service) resolveFindings(ctx context.Context, tx *sql.Tx, p Project) error {
	rows, err := tx.QueryContext(ctx, `SELECT f.id FROM project_findings pf JOIN findings f ON f.id = pf.finding_id
		WHERE pf.project_id = $1 AND f.status = $2 ORDER BY f.id`, p.ID, checkup.StatusInProject)
	if err != nil {
		return fmt.Errorf("project findings: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, fid := range ids {
		if err := s.checkup.SetFindingStatusTx(ctx, tx, fid, checkup.StatusResolved, "project "+p.Code+" entered aftercare; pending verification by the next checkup"); err != nil {
			return err
		}
	}
	return nil
}

// Record is an approval or acceptance recorded on a project.
type Record struct {
	ID           int64     `json:"id"`
	Kind         string    `json:"kind"`
	Note         string    `json:"note"`
	AttachmentID int64     `json:"attachment_id,omitempty"`
	By           string    `json:"by"`
	At           time.Time `json:"at"`
}

// AddRecord records a design approval, the sample's acceptance or the
// completion acceptance. A record belongs to its stage: the design approval
// from design on, the sample acceptance in the sample stage, the completion
// acceptance in acceptance.
func (s *Service) AddRecord(ctx context.Context, projectID int64, kind, note string, attachmentID int64) (Record, error) {
	if !slices.Contains(RecordKinds, kind) {
		return Record{}, fmt.Errorf("%w: unknown record kind %q", ErrInvalid, kind)
	}
	note = strings.TrimSpace(note)
	if note == "" {
		return Record{}, fmt.Errorf("%w: say who approved and on what (e.g. the approval's number)", ErrInvalid)
	}
	earliest := map[string]string{RecordDesignApproval: StageDesign, RecordSampleAcceptance: StageSample, RecordCompletionAcceptance: StageAcceptance}[kind]
	a := audit.ActorFrom(ctx)
	r := Record{Kind: kind, Note: note, AttachmentID: attachmentID, By: a.Name, At: s.clock()}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		p, err := s.get(ctx, tx, projectID)
		if err != nil {
			return err
		}
		if StageIndex(p.Stage) < StageIndex(earliest) {
			return fmt.Errorf("%w: the project is in %s; this record can be made from the %s stage on", ErrInvalid, p.Stage, earliest)
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO project_records (project_id, kind, note, attachment_id, recorded_by, recorded_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, projectID, kind, note, nullID(attachmentID), a.Name, r.At).Scan(&r.ID); err != nil {
			return fmt.Errorf("record: %w", err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "project.record.add", ObjectType: "project", ObjectID: itoa(projectID), After: r})
	})
	return r, err
}

// Records lists a project's approval records, oldest first.
func (s *Service) Records(ctx context.Context, projectID int64) ([]Record, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, kind, note, COALESCE(attachment_id, 0), recorded_by, recorded_at
		FROM project_records WHERE project_id = $1 ORDER BY id`, projectID)
	if err != nil {
		return nil, fmt.Errorf("records: %w", err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		if err := rows.Scan(&r.ID, &r.Kind, &r.Note, &r.AttachmentID, &r.By, &r.At); err != nil {
			return nil, fmt.Errorf("records: %w", err)
		}
		r.At = r.At.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// IndicatorChange is one linked finding's indicator before the project and now.
type IndicatorChange struct {
	FindingID  int64    `json:"finding_id"`
	Indicator  string   `json:"indicator"`
	Name       string   `json:"name,omitempty"` // the indicator's name, filled by the pages
	ObjectName string   `json:"object_name"`
	Status     string   `json:"status"`
	Before     *float64 `json:"before"`
	After      *float64 `json:"after"` // from the latest run that measured it after linking
	Threshold  *float64 `json:"threshold"`
	Severity   float64  `json:"severity"`
}

// Indicators lists each linked finding with its value when the project took
// it in and the latest value measured since.
func (s *Service) Indicators(ctx context.Context, projectID int64) ([]IndicatorChange, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT f.id, f.indicator_code, f.object_name, f.status, pf.value_before, pf.threshold, pf.severity_milli,
		(SELECT v.value FROM indicator_values v JOIN checkup_runs r ON r.id = v.run_id
		 WHERE v.indicator_code = f.indicator_code AND v.variant = f.variant AND v.object_type = f.object_type AND v.object_id = f.object_id
		   AND r.status = 'done' AND r.finished_at > pf.linked_at ORDER BY r.id DESC LIMIT 1)
		FROM project_findings pf JOIN findings f ON f.id = pf.finding_id WHERE pf.project_id = $1 ORDER BY f.indicator_code, f.object_name`, projectID)
	if err != nil {
		return nil, fmt.Errorf("project indicators: %w", err)
	}
	defer rows.Close()
	var out []IndicatorChange
	for rows.Next() {
		var c IndicatorChange
		var before, th, after sql.NullFloat64
		var sev int64
		if err := rows.Scan(&c.FindingID, &c.Indicator, &c.ObjectName, &c.Status, &before, &th, &sev, &after); err != nil {
			return nil, fmt.Errorf("project indicators: %w", err)
		}
		c.Before, c.Threshold, c.After = ptr(before), ptr(th), ptr(after)
		c.Severity = float64(sev) / 1000
		out = append(out, c)
	}
	return out, rows.Err()
}

func ptr(v sql.NullFloat64) *float64 {
	if !v.Valid {
		return nil
	}
	x := v.Float64
	return &x
}
