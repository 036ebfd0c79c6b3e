package consult

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
	"unicode/utf8"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/places"
)

// at returns a copy of s whose clock says t; used to seed past rounds.
func (s *SurveyService) at(t time.Time) *SurveyService {
	c := *s
	c.now = func() time.Time { return t }
	return &c
}

func (s *SurveyService) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func surveyObject(id int64) string { return strconv.FormatInt(id, 10) }

// checkAudience normalises an audience and makes sure its places exist.
func checkAudience(ctx context.Context, q db.Querier, a Audience) (Audience, error) {
	ids := slices.Clone(a.IDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var table string
	switch a.Type {
	case AudienceRegion:
		if len(ids) != 1 {
			return a, fmt.Errorf("%w: a region audience names exactly one region, not %d", ErrInvalid, len(ids))
		}
		table = "regions"
	case AudienceCompounds:
		table = "compounds"
	case AudienceBuildings:
		table = "buildings"
	case AudienceEntrances:
		table = "entrances"
	default:
		return a, fmt.Errorf("%w: audience type %q is not region, compounds, buildings or entrances", ErrInvalid, a.Type)
	}
	if len(ids) == 0 {
		return a, fmt.Errorf("%w: the audience names no %s", ErrInvalid, a.Type)
	}
	if len(ids) > 10000 {
		return a, fmt.Errorf("%w: the audience names more than 10000 places", ErrInvalid)
	}
	for _, id := range ids {
		var n int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table+` WHERE id = $1`, id).Scan(&n); err != nil {
			return a, fmt.Errorf("check audience: %w", err)
		}
		if n == 0 {
			return a, fmt.Errorf("audience: %s %d: %w", strings.TrimSuffix(table, "s"), id, ErrNotFound)
		}
	}
	return Audience{Type: a.Type, IDs: ids}, nil
}

func (s *SurveyService) createSurvey(ctx context.Context, ns NewSurvey) (Survey, error) {
	ns.Title, ns.Description = strings.TrimSpace(ns.Title), strings.TrimSpace(ns.Description)
	switch {
	case ns.Title == "":
		return Survey{}, fmt.Errorf("%w: the title is empty", ErrInvalid)
	case utf8.RuneCountInString(ns.Title) > maxTitleRunes:
		return Survey{}, fmt.Errorf("%w: the title is longer than %d characters", ErrInvalid, maxTitleRunes)
	case utf8.RuneCountInString(ns.Description) > 10*MaxTextRunes:
		return Survey{}, fmt.Errorf("%w: the description is longer than %d characters", ErrInvalid, 10*MaxTextRunes)
	case ns.ProjectID < 0:
		return Survey{}, fmt.Errorf("%w: project id %d", ErrInvalid, ns.ProjectID)
	}
	var id int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		aud, err := checkAudience(ctx, tx, ns.Audience)
		if err != nil {
			return err
		}
		js, _ := json.Marshal(aud.IDs)
		now := s.clock()
		a := audit.ActorFrom(ctx)
		if err := tx.QueryRowContext(ctx, `INSERT INTO surveys (title, description, audience_type, audience_json, project_id,
			created_by, created_by_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`,
			ns.Title, ns.Description, aud.Type, string(js), nullID(ns.ProjectID), a.Name, actorID(a), now).Scan(&id); err != nil {
			return fmt.Errorf("insert survey: %w", err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "survey.create", ObjectType: "survey", ObjectID: surveyObject(id),
			After: map[string]any{"title": ns.Title, "audience": aud, "project_id": ns.ProjectID}})
	})
	if err != nil {
		return Survey{}, err
	}
	return s.Survey(ctx, id)
}

const surveyCols = `id, title, description, audience_type, audience_json, project_id, created_by, created_at, updated_at`

func scanSurvey(sc scanner) (Survey, error) {
	var v Survey
	var ids string
	var project sql.NullInt64
	if err := sc.Scan(&v.ID, &v.Title, &v.Description, &v.Audience.Type, &ids, &project, &v.CreatedBy, &v.CreatedAt, &v.UpdatedAt); err != nil {
		return v, err
	}
	if err := json.Unmarshal([]byte(ids), &v.Audience.IDs); err != nil {
		return v, fmt.Errorf("survey %d: stored audience: %w", v.ID, err)
	}
	v.ProjectID = project.Int64
	v.CreatedAt, v.UpdatedAt = v.CreatedAt.UTC(), v.UpdatedAt.UTC()
	v.Rounds = []Round{}
	return v, nil
}

const roundCols = `id, survey_id, round_no, stage, title, questions_json, opens_at, closes_at, status, opened_at, closed_at,
	households, response_seq`

func scanRound(sc scanner) (Round, error) {
	var r Round
	var qs string
	var opened, closed sql.NullTime
	if err := sc.Scan(&r.ID, &r.SurveyID, &r.No, &r.Stage, &r.Title, &qs, &r.OpensAt, &r.ClosesAt, &r.Status, &opened, &closed,
		&r.Households, &r.Submissions); err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(qs), &r.Questions); err != nil {
		return r, fmt.Errorf("round %d: stored questions: %w", r.ID, err)
	}
	if r.Questions == nil {
		r.Questions = []Question{}
	}
	r.OpensAt, r.ClosesAt = r.OpensAt.UTC(), r.ClosesAt.UTC()
	if opened.Valid {
		r.OpenedAt = opened.Time.UTC()
	}
	if closed.Valid {
		r.ClosedAt = closed.Time.UTC()
	}
	return r, nil
}

func (s *SurveyService) survey(ctx context.Context, q db.Querier, id int64) (Survey, error) {
	v, err := scanSurvey(q.QueryRowContext(ctx, `SELECT `+surveyCols+` FROM surveys WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return v, fmt.Errorf("survey %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return v, fmt.Errorf("read survey %d: %w", id, err)
	}
	v.Rounds, err = s.roundsOf(ctx, q, id)
	return v, err
}

func (s *SurveyService) roundsOf(ctx context.Context, q db.Querier, surveyID int64) ([]Round, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+roundCols+` FROM survey_rounds WHERE survey_id = $1 ORDER BY round_no`, surveyID)
	if err != nil {
		return nil, fmt.Errorf("read rounds of survey %d: %w", surveyID, err)
	}
	defer rows.Close()
	out := []Round{}
	for rows.Next() {
		r, err := scanRound(rows)
		if err != nil {
			return nil, fmt.Errorf("read rounds of survey %d: %w", surveyID, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read rounds of survey %d: %w", surveyID, err)
	}
	return out, nil
}

func (s *SurveyService) listSurveys(ctx context.Context, f SurveyFilter) ([]Survey, error) {
	var where []string
	var args []any
	if f.ProjectID != 0 {
		args = append(args, f.ProjectID)
		where = append(where, fmt.Sprintf("project_id = $%d", len(args)))
	}
	if f.Status != "" {
		args = append(args, f.Status)
		where = append(where, fmt.Sprintf("id IN (SELECT survey_id FROM survey_rounds WHERE status = $%d)", len(args)))
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	args = append(args, f.Limit)
	q := s.db.Read()
	rows, err := q.QueryContext(ctx, fmt.Sprintf(`SELECT %s FROM surveys%s ORDER BY id DESC LIMIT $%d`, surveyCols, cond, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("list surveys: %w", err)
	}
	var out []Survey
	for rows.Next() {
		v, err := scanSurvey(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list surveys: %w", err)
		}
		out = append(out, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list surveys: %w", err)
	}
	for i := range out {
		if out[i].Rounds, err = s.roundsOf(ctx, q, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *SurveyService) round(ctx context.Context, q db.Querier, id int64) (Round, error) {
	r, err := scanRound(q.QueryRowContext(ctx, `SELECT `+roundCols+` FROM survey_rounds WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("survey round %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("read survey round %d: %w", id, err)
	}
	return r, nil
}

// lockRound takes the round row's write lock for the rest of tx and returns the
// round as it is now.
func (s *SurveyService) lockRound(ctx context.Context, tx *sql.Tx, id int64) (Round, error) {
	res, err := tx.ExecContext(ctx, `UPDATE survey_rounds SET updated_at = $2 WHERE id = $1`, id, s.clock())
	if err != nil {
		return Round{}, fmt.Errorf("lock survey round %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Round{}, fmt.Errorf("survey round %d: %w", id, ErrNotFound)
	}
	return s.round(ctx, tx, id)
}

// checkRoundInput validates a round definition; the questions may be empty
// while the round is a draft.
func checkRoundInput(in RoundInput) (RoundInput, error) {
	switch in.Stage {
	case "", StageSurvey, StageDesign, StageSample, StageConstruction:
	default:
		return in, fmt.Errorf("%w: stage %q is not survey, design, sample or construction", ErrInvalid, in.Stage)
	}
	in.Title = strings.TrimSpace(in.Title)
	switch {
	case utf8.RuneCountInString(in.Title) > maxTitleRunes:
		return in, fmt.Errorf("%w: the round title is longer than %d characters", ErrInvalid, maxTitleRunes)
	case in.OpensAt.IsZero() || in.ClosesAt.IsZero():
		return in, fmt.Errorf("%w: opening and closing times are required", ErrInvalid)
	case !in.ClosesAt.After(in.OpensAt):
		return in, fmt.Errorf("%w: the round must close after it opens", ErrInvalid)
	}
	qs, err := validateQuestions(in.Questions)
	if err != nil {
		return in, err
	}
	if qs == nil {
		qs = []Question{}
	}
	in.Questions = qs
	return in, nil
}

func (s *SurveyService) addRound(ctx context.Context, surveyID int64, in RoundInput) (Round, error) {
	in, err := checkRoundInput(in)
	if err != nil {
		return Round{}, err
	}
	var id int64
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := s.clock()
		res, err := tx.ExecContext(ctx, `UPDATE surveys SET updated_at = $2 WHERE id = $1`, surveyID, now)
		if err != nil {
			return fmt.Errorf("lock survey %d: %w", surveyID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("survey %d: %w", surveyID, ErrNotFound)
		}
		var no int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(round_no), 0) + 1 FROM survey_rounds WHERE survey_id = $1`, surveyID).Scan(&no); err != nil {
			return fmt.Errorf("number round: %w", err)
		}
		if in.Title == "" {
			in.Title = fmt.Sprintf("第%d轮", no)
		}
		qs, _ := json.Marshal(in.Questions)
		if err := tx.QueryRowContext(ctx, `INSERT INTO survey_rounds (survey_id, round_no, stage, title, questions_json, opens_at, closes_at,
			status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'draft', $8, $8) RETURNING id`,
			surveyID, no, in.Stage, in.Title, string(qs), in.OpensAt.UTC(), in.ClosesAt.UTC(), now).Scan(&id); err != nil {
			return fmt.Errorf("insert survey round: %w", err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "survey.round.add", ObjectType: "survey_round", ObjectID: surveyObject(id),
			After: map[string]any{"survey_id": surveyID, "no": no, "stage": in.Stage, "title": in.Title, "questions": len(in.Questions),
				"opens_at": in.OpensAt.UTC(), "closes_at": in.ClosesAt.UTC()}})
	})
	if err != nil {
		return Round{}, err
	}
	return s.Round(ctx, id)
}

func (s *SurveyService) updateRound(ctx context.Context, roundID int64, in RoundInput) (Round, error) {
	in, err := checkRoundInput(in)
	if err != nil {
		return Round{}, err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		r, err := s.lockRound(ctx, tx, roundID)
		if err != nil {
			return err
		}
		if r.Status != StatusDraft {
			return fmt.Errorf("%w: survey round %d is %s; only a draft changes", ErrState, roundID, r.Status)
		}
		if in.Title == "" {
			in.Title = fmt.Sprintf("第%d轮", r.No)
		}
		qs, _ := json.Marshal(in.Questions)
		if _, err := tx.ExecContext(ctx, `UPDATE survey_rounds SET stage = $2, title = $3, questions_json = $4, opens_at = $5, closes_at = $6
			WHERE id = $1`, roundID, in.Stage, in.Title, string(qs), in.OpensAt.UTC(), in.ClosesAt.UTC()); err != nil {
			return fmt.Errorf("update survey round %d: %w", roundID, err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "survey.round.update", ObjectType: "survey_round", ObjectID: surveyObject(roundID),
			Before: map[string]any{"stage": r.Stage, "title": r.Title, "questions": r.Questions, "opens_at": r.OpensAt, "closes_at": r.ClosesAt},
			After:  map[string]any{"stage": in.Stage, "title": in.Title, "questions": in.Questions, "opens_at": in.OpensAt.UTC(), "closes_at": in.ClosesAt.UTC()}})
	})
	if err != nil {
		return Round{}, err
	}
	return s.Round(ctx, roundID)
}

// audienceRow is one household of a round's audience.
type audienceRow struct {
	HouseholdID int64
	Code        string
	BuildingID  int64
	EntranceID  int64
	Floor       int
	Room        string
	AreaDM2     int64
	AreaSource  string
}

// takeAudience reads the households of an audience from the places tables.
func takeAudience(ctx context.Context, q db.Querier, a Audience) ([]audienceRow, error) {
	var cond string
	var args []any
	if a.Type == AudienceRegion {
		var path string
		err := q.QueryRowContext(ctx, `SELECT path FROM regions WHERE id = $1`, a.IDs[0]).Scan(&path)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("audience: region %d: %w", a.IDs[0], ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("audience: %w", err)
		}
		cond, args = "b.compound_id IN (SELECT id FROM compounds WHERE region_path LIKE $1)", []any{path + "%"}
	} else {
		col := map[string]string{AudienceCompounds: "b.compound_id", AudienceBuildings: "h.building_id", AudienceEntrances: "h.entrance_id"}[a.Type]
		ph := make([]string, len(a.IDs))
		for i, id := range a.IDs {
			args = append(args, id)
			ph[i] = "$" + strconv.Itoa(i+1)
		}
		cond = col + " IN (" + strings.Join(ph, ", ") + ")"
	}
	rows, err := q.QueryContext(ctx, `SELECT h.id, h.code, h.building_id, h.entrance_id, h.floor, h.room,
		h.registered_area_dm2, h.surveyed_area_dm2, h.contract_area_dm2
		FROM households h JOIN buildings b ON b.id = h.building_id WHERE `+cond+` ORDER BY h.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read audience: %w", err)
	}
	defer rows.Close()
	var out []audienceRow
	for rows.Next() {
		var r audienceRow
		var h places.Household
		var entrance, reg, sur, con sql.NullInt64
		if err := rows.Scan(&r.HouseholdID, &r.Code, &r.BuildingID, &entrance, &r.Floor, &r.Room, &reg, &sur, &con); err != nil {
			return nil, fmt.Errorf("read audience: %w", err)
		}
		h.RegisteredDM2, h.SurveyedDM2, h.ContractDM2 = reg.Int64, sur.Int64, con.Int64
		r.EntranceID = entrance.Int64
		r.AreaDM2, r.AreaSource = h.Area()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read audience: %w", err)
	}
	return out, nil
}

func (s *SurveyService) openRound(ctx context.Context, roundID int64) (Round, error) {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		r, err := s.lockRound(ctx, tx, roundID)
		if err != nil {
			return err
		}
		if r.Status != StatusDraft {
			return fmt.Errorf("%w: survey round %d is %s; only a draft opens", ErrState, roundID, r.Status)
		}
		now := s.clock()
		if !now.Before(r.ClosesAt) {
			return fmt.Errorf("%w: survey round %d closes at %s, which has passed", ErrState, roundID, r.ClosesAt.Format(time.RFC3339))
		}
		if len(r.Questions) == 0 {
			return fmt.Errorf("%w: survey round %d has no questions", ErrInvalid, roundID)
		}
		if _, err := validateQuestions(r.Questions); err != nil {
			return err
		}
		var open int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM survey_rounds WHERE survey_id = $1 AND status = 'open'`, r.SurveyID).Scan(&open); err != nil {
			return fmt.Errorf("open survey round %d: %w", roundID, err)
		}
		if open > 0 {
			return fmt.Errorf("%w: survey %d already has an open round; close it first", ErrState, r.SurveyID)
		}
		sv, err := s.survey(ctx, tx, r.SurveyID)
		if err != nil {
			return err
		}
		aud, err := takeAudience(ctx, tx, sv.Audience)
		if err != nil {
			return err
		}
		if len(aud) == 0 {
			return fmt.Errorf("%w: the audience of survey %d has no household", ErrInvalid, r.SurveyID)
		}
		in := s.db.NewInserter(tx, "survey_audience", "round_id", "household_id", "household_code", "building_id", "entrance_id",
			"floor", "room", "area_dm2", "area_source")
		var area int64
		for _, h := range aud {
			area += h.AreaDM2
			if err := in.Add(ctx, roundID, h.HouseholdID, h.Code, h.BuildingID, nullID(h.EntranceID), h.Floor, h.Room, h.AreaDM2, h.AreaSource); err != nil {
				return fmt.Errorf("write audience: %w", err)
			}
		}
		if _, err := in.Flush(ctx); err != nil {
			return fmt.Errorf("write audience: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE survey_rounds SET status = 'open', opened_at = $2, households = $3 WHERE id = $1`,
			roundID, now, len(aud)); err != nil {
			return fmt.Errorf("open survey round %d: %w", roundID, err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "survey.round.open", ObjectType: "survey_round", ObjectID: surveyObject(roundID),
			Before: map[string]any{"status": r.Status},
			After:  map[string]any{"status": StatusOpen, "survey_id": r.SurveyID, "households": len(aud), "area_dm2": area}})
	})
	if err != nil {
		return Round{}, err
	}
	return s.Round(ctx, roundID)
}

func (s *SurveyService) closeRound(ctx context.Context, roundID int64) (Round, error) {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		r, err := s.lockRound(ctx, tx, roundID)
		if err != nil {
			return err
		}
		if r.Status != StatusOpen {
			return fmt.Errorf("%w: survey round %d is %s; only an open round closes", ErrState, roundID, r.Status)
		}
		now := s.clock()
		var current int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM survey_responses WHERE round_id = $1 AND is_current`, roundID).Scan(&current); err != nil {
			return fmt.Errorf("close survey round %d: %w", roundID, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE survey_rounds SET status = 'closed', closed_at = $2 WHERE id = $1`, roundID, now); err != nil {
			return fmt.Errorf("close survey round %d: %w", roundID, err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "survey.round.close", ObjectType: "survey_round", ObjectID: surveyObject(roundID),
			Before: map[string]any{"status": r.Status},
			After:  map[string]any{"status": StatusClosed, "responded": current, "submissions": r.Submissions, "early": now.Before(r.ClosesAt)}})
	})
	if err != nil {
		return Round{}, err
	}
	return s.Round(ctx, roundID)
}

func (s *SurveyService) roundsForHousehold(ctx context.Context, householdID int64) ([]HouseholdRound, error) {
	q := s.db.Read()
	rows, err := q.QueryContext(ctx, `SELECT `+prefixCols("r.", roundCols)+`,
		(SELECT COUNT(*) FROM survey_responses sr WHERE sr.round_id = r.id AND sr.household_id = a.household_id AND sr.is_current)
		FROM survey_rounds r JOIN survey_audience a ON a.round_id = r.id
		WHERE a.household_id = $1 AND r.status = 'open' ORDER BY r.id DESC`, householdID)
	if err != nil {
		return nil, fmt.Errorf("rounds of household %d: %w", householdID, err)
	}
	var out []HouseholdRound
	for rows.Next() {
		var hr HouseholdRound
		var answered int
		r, err := scanRound(scanFunc(func(dest ...any) error { return rows.Scan(append(dest, &answered)...) }))
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("rounds of household %d: %w", householdID, err)
		}
		hr.Round, hr.Answered = r, answered > 0
		out = append(out, hr)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rounds of household %d: %w", householdID, err)
	}
	for i := range out {
		if out[i].Survey, err = s.survey(ctx, q, out[i].Round.SurveyID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// scanFunc adapts a function to the scanner interface.
type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// prefixCols qualifies a comma-separated column list with a table alias.
func prefixCols(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}
