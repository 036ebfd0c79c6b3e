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
	"github.com/gengxin/gengxin/internal/consult"
)

// Note is one entry of a household's notes (一户一策): a concern, an agreement
// or a follow-up with its due date.
type Note struct {
	ID          int64     `json:"id"`
	HouseholdID int64     `json:"household_id"`
	ProjectID   int64     `json:"project_id,omitempty"`
	ProjectName string    `json:"project_name,omitempty"`
	Kind        string    `json:"kind"`
	Body        string    `json:"body"`
	DueOn       string    `json:"due_on,omitempty"`
	Done        bool      `json:"done"`
	Author      string    `json:"author"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// NoteInput is a note to record.
type NoteInput struct {
	ProjectID int64
	Kind      string
	Body      string
	DueOn     string // follow-ups: the date to come back, YYYY-MM-DD
}

// AddNote records a note on a household.
func (s *Service) AddNote(ctx context.Context, householdID int64, in NoteInput) (Note, error) {
	in.Body = strings.TrimSpace(in.Body)
	var bad []string
	if !slices.Contains(NoteKinds, in.Kind) {
		bad = append(bad, fmt.Sprintf("unknown note kind %q (concern, agreement or follow_up)", in.Kind))
	}
	if in.Body == "" || utf8.RuneCountInString(in.Body) > 2000 {
		bad = append(bad, "the note must have 1 to 2,000 characters")
	}
	if in.DueOn != "" {
		if _, err := time.Parse(dateLayout, in.DueOn); err != nil {
			bad = append(bad, fmt.Sprintf("the date %q is not YYYY-MM-DD", in.DueOn))
		}
	}
	if len(bad) > 0 {
		return Note{}, fmt.Errorf("%w: %s", ErrInvalid, strings.Join(bad, "; "))
	}
	a := audit.ActorFrom(ctx)
	var id int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM households WHERE id = $1`, householdID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("household %d: %w", householdID, ErrNotFound)
		}
		if in.ProjectID != 0 {
			if err := s.inScope(ctx, tx, in.ProjectID, householdID); err != nil {
				return err
			}
		}
		now := s.clock()
		if err := tx.QueryRowContext(ctx, `INSERT INTO household_notes (household_id, project_id, kind, body, due_on, author_name, author_id, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`, householdID, nullID(in.ProjectID), in.Kind, in.Body, in.DueOn, a.Name, actorID(a), now).Scan(&id); err != nil {
			return fmt.Errorf("note: %w", err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "household.note.add", ObjectType: "household", ObjectID: itoa(householdID),
			After: map[string]any{"note_id": id, "project_id": in.ProjectID, "kind": in.Kind, "body": in.Body, "due_on": in.DueOn}})
	})
	if err != nil {
		return Note{}, err
	}
	notes, err := s.notes(ctx, "n.id = $1", id)
	if err != nil || len(notes) == 0 {
		return Note{}, errors.Join(err, ErrNotFound)
	}
	return notes[0], nil
}

// SetNoteDone marks a follow-up done (or not done again).
func (s *Service) SetNoteDone(ctx context.Context, id int64, done bool) (Note, error) {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var hh int64
		var was bool
		err := tx.QueryRowContext(ctx, `SELECT household_id, done FROM household_notes WHERE id = $1`, id).Scan(&hh, &was)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("note %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE household_notes SET done = $1, updated_at = $2 WHERE id = $3`, done, s.clock(), id); err != nil {
			return fmt.Errorf("note: %w", err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "household.note.done", ObjectType: "household", ObjectID: itoa(hh),
			Before: map[string]any{"note_id": id, "done": was}, After: map[string]any{"note_id": id, "done": done}})
	})
	if err != nil {
		return Note{}, err
	}
	notes, err := s.notes(ctx, "n.id = $1", id)
	if err != nil || len(notes) == 0 {
		return Note{}, errors.Join(err, ErrNotFound)
	}
	return notes[0], nil
}

// NotesOf lists a household's notes, newest first.
func (s *Service) NotesOf(ctx context.Context, householdID int64) ([]Note, error) {
	return s.notes(ctx, "n.household_id = $1", householdID)
}

func (s *Service) notes(ctx context.Context, cond string, arg int64) ([]Note, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT n.id, n.household_id, COALESCE(n.project_id, 0), COALESCE(p.name, ''), n.kind, n.body, n.due_on, n.done,
		n.author_name, n.created_at, n.updated_at FROM household_notes n LEFT JOIN projects p ON p.id = n.project_id WHERE `+cond+` ORDER BY n.id DESC`, arg)
	if err != nil {
		return nil, fmt.Errorf("notes: %w", err)
	}
	defer rows.Close()
	var out []Note
	for rows.Next() {
		var n Note
		if err := rows.Scan(&n.ID, &n.HouseholdID, &n.ProjectID, &n.ProjectName, &n.Kind, &n.Body, &n.DueOn, &n.Done, &n.Author, &n.CreatedAt, &n.UpdatedAt); err != nil {
			return nil, fmt.Errorf("notes: %w", err)
		}
		n.CreatedAt, n.UpdatedAt = n.CreatedAt.UTC(), n.UpdatedAt.UTC()
		out = append(out, n)
	}
	return out, rows.Err()
}

// ProjectsOfHousehold lists the projects whose scope holds a household.
func (s *Service) ProjectsOfHousehold(ctx context.Context, householdID int64) ([]Project, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT DISTINCT s.project_id FROM project_scope s JOIN households h ON
		(s.object_type = 'building' AND s.object_id = h.building_id) OR
		(s.object_type = 'compound' AND s.object_id = (SELECT b.compound_id FROM buildings b WHERE b.id = h.building_id))
		WHERE h.id = $1 ORDER BY 1`, householdID)
	if err != nil {
		return nil, fmt.Errorf("household projects: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	var out []Project
	for _, id := range ids {
		p, err := s.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Weights returns the priority weights in force.
func (s *Service) Weights(ctx context.Context) (Weights, error) {
	w := DefaultWeights
	var js string
	err := s.db.Read().QueryRowContext(ctx, `SELECT value_json FROM project_settings WHERE key = 'priority_weights'`).Scan(&js)
	if errors.Is(err, sql.ErrNoRows) {
		return w, nil
	}
	if err != nil {
		return w, fmt.Errorf("priority weights: %w", err)
	}
	if err := json.Unmarshal([]byte(js), &w); err != nil || !w.Valid() {
		return DefaultWeights, nil
	}
	return w, nil
}

// SetWeights stores the priority weights.
func (s *Service) SetWeights(ctx context.Context, w Weights) error {
	if !w.Valid() {
		return fmt.Errorf("%w: weights must be 0 or more and not all 0", ErrInvalid)
	}
	before, err := s.Weights(ctx)
	if err != nil {
		return err
	}
	js, _ := json.Marshal(w)
	a := audit.ActorFrom(ctx)
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM project_settings WHERE key = 'priority_weights'`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO project_settings (key, value_json, updated_by, updated_at) VALUES ('priority_weights', $1, $2, $3)`,
			string(js), a.Name, s.clock()); err != nil {
			return fmt.Errorf("priority weights: %w", err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "project.weights.set", ObjectType: "project_settings", ObjectID: "priority_weights", Before: before, After: w})
	})
}

// Priorities scores the listed projects against each other under the
// weights in force, from their linked findings' severity, households and budget.
func (s *Service) Priorities(ctx context.Context, ps []Project) (map[int64]Priority, Weights, error) {
	w, err := s.Weights(ctx)
	if err != nil {
		return nil, w, err
	}
	if len(ps) == 0 {
		return map[int64]Priority{}, w, nil
	}
	sev := map[int64]float64{}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT project_id, SUM(severity_milli) FROM project_findings WHERE project_id IN (`+idList(ps)+`) GROUP BY project_id`)
	if err != nil {
		return nil, w, fmt.Errorf("severity: %w", err)
	}
	for rows.Next() {
		var id, v int64
		if err := rows.Scan(&id, &v); err != nil {
			rows.Close()
			return nil, w, err
		}
		sev[id] = float64(v) / 1000
	}
	rows.Close()
	in := make([]PriorityInput, len(ps))
	for i, p := range ps {
		in[i] = PriorityInput{ProjectID: p.ID, Severity: sev[p.ID], Households: p.Scope.Households, BudgetFen: p.BudgetFen}
	}
	return Score(in, w), w, rows.Err()
}

// ConsultSource reads surveys and votes from the consultation module.
type ConsultSource struct {
	Ballots *consult.Service
	Surveys *consult.SurveyService
}

// SurveyRounds returns every round of every survey linked to the project,
// with its support figures.
func (c ConsultSource) SurveyRounds(ctx context.Context, projectID int64) ([]SurveyRound, error) {
	svs, err := c.Surveys.ListSurveys(ctx, consult.SurveyFilter{ProjectID: projectID, Limit: 1000})
	if err != nil {
		return nil, err
	}
	var out []SurveyRound
	for _, sv := range svs {
		for _, r := range sv.Rounds {
			sr := SurveyRound{SurveyID: sv.ID, RoundID: r.ID, Title: sv.Title, Stage: r.Stage, Status: r.Status, Audience: int64(r.Households)}
			if r.Status != consult.StatusDraft {
				st, err := c.Surveys.Stats(ctx, r.ID)
				if err != nil {
					return nil, err
				}
				if st.Support != nil {
					sr.HasSupport = true
					sr.SupportHouseholds = st.Support.SupportHouseholds
				}
			}
			out = append(out, sr)
		}
	}
	return out, nil
}

// Votes returns the owner votes linked to the project.
func (c ConsultSource) Votes(ctx context.Context, projectID int64) ([]VoteResult, error) {
	vs, err := c.Ballots.ListVotes(ctx, consult.VoteFilter{ProjectID: projectID, Limit: 1000})
	if err != nil {
		return nil, err
	}
	out := make([]VoteResult, len(vs))
	for i, v := range vs {
		out[i] = VoteResult{ID: v.ID, Title: v.Title, Matter: int(v.Matter), ScopeType: v.ScopeType, ScopeID: v.ScopeID, Status: v.Status, Result: v.Result}
	}
	return out, nil
}
