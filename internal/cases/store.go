package cases

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/places"
	"github.com/gengxin/gengxin/internal/sla"
)

// caseCols are the columns of cases in the order scanCase reads them.
const caseCols = `id, category, policy, grade, state, resume_state, pause_reason, channel, description, address, lon, lat,
	COALESCE(region_id, 0), region_path, COALESCE(grid_id, 0), department, COALESCE(assignee_id, 0), COALESCE(dispatcher_id, 0),
	COALESCE(owner_id, 0), route_note, COALESCE(reporter_id, 0), reporter_name, anonymous, contact_enc, COALESCE(contact_hash, ''),
	photos, COALESCE(merged_into, 0), reopens, rating, reported_at, accepted_at, resolved_at, closed_at, updated_at`

// insertCols are the columns written when a case is created.
var insertCols = []string{"id", "category", "policy", "grade", "state", "resume_state", "pause_reason", "channel", "description", "address",
	"lon", "lat", "region_id", "region_path", "grid_id", "department", "assignee_id", "dispatcher_id", "owner_id", "route_note",
	"reporter_id", "reporter_name", "anonymous", "contact_enc", "contact_hash", "photos", "merged_into", "reopens", "rating",
	"reported_at", "accepted_at", "resolved_at", "closed_at", "updated_at"}

type rowScanner interface{ Scan(...any) error }

func scanCase(sc rowScanner) (Case, error) {
	var c Case
	var lon, lat sql.NullFloat64
	var photos string
	var accepted, resolved, closed sql.NullTime
	err := sc.Scan(&c.ID, &c.Category, &c.Policy, &c.Grade, &c.State, &c.ResumeState, &c.PauseReason, &c.Channel, &c.Description, &c.Address,
		&lon, &lat, &c.RegionID, &c.RegionPath, &c.GridID, &c.Department, &c.AssigneeID, &c.DispatcherID, &c.OwnerID, &c.RouteNote,
		&c.ReporterID, &c.ReporterName, &c.Anonymous, &c.contactEnc, &c.contactHash, &photos, &c.MergedInto, &c.Reopens, &c.Rating,
		&c.ReportedAt, &accepted, &resolved, &closed, &c.UpdatedAt)
	if err != nil {
		return c, err
	}
	c.HasLocation = lon.Valid && lat.Valid
	c.Lon, c.Lat = lon.Float64, lat.Float64
	c.AcceptedAt, c.ResolvedAt, c.ClosedAt = accepted.Time.UTC(), resolved.Time.UTC(), closed.Time.UTC()
	if !accepted.Valid {
		c.AcceptedAt = time.Time{}
	}
	if !resolved.Valid {
		c.ResolvedAt = time.Time{}
	}
	if !closed.Valid {
		c.ClosedAt = time.Time{}
	}
	c.ReportedAt, c.UpdatedAt = c.ReportedAt.UTC(), c.UpdatedAt.UTC()
	c.Photos = parseIDs(photos)
	return c, nil
}

// values returns the case's column values in insertCols order.
func (c *Case) values() []any {
	var lon, lat any
	if c.HasLocation {
		lon, lat = c.Lon, c.Lat
	}
	var enc any
	if len(c.contactEnc) > 0 {
		enc = c.contactEnc
	}
	var id any
	if c.ID != 0 {
		id = c.ID
	}
	return []any{id, c.Category, c.Policy, c.Grade, string(c.State), string(c.ResumeState), c.PauseReason, string(c.Channel), c.Description,
		c.Address, lon, lat, nullID(c.RegionID), c.RegionPath, nullID(c.GridID), c.Department, nullID(c.AssigneeID), nullID(c.DispatcherID),
		nullID(c.OwnerID), c.RouteNote, nullID(c.ReporterID), c.ReporterName, c.Anonymous, enc, nullStr(c.contactHash), idsJSON(c.Photos),
		nullID(c.MergedInto), c.Reopens, string(c.Rating), c.ReportedAt.UTC(), nullTime(c.AcceptedAt), nullTime(c.ResolvedAt),
		nullTime(c.ClosedAt), c.UpdatedAt.UTC()}
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

func idsJSON(ids []int64) string {
	if len(ids) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(ids)
	return string(b)
}

func parseIDs(s string) []int64 {
	var ids []int64
	if s != "" && s != "[]" {
		_ = json.Unmarshal([]byte(s), &ids)
	}
	return ids
}

func placeholders(n, from int) string {
	ph := make([]string, n)
	for i := range ph {
		ph[i] = "$" + strconv.Itoa(from+i)
	}
	return strings.Join(ph, ", ")
}

// insertCase writes a new case and sets its id.
func insertCase(ctx context.Context, tx *sql.Tx, c *Case) error {
	vals := c.values()
	if err := tx.QueryRowContext(ctx, `INSERT INTO cases (`+strings.Join(insertCols[1:], ", ")+`) VALUES (`+
		placeholders(len(insertCols)-1, 1)+`) RETURNING id`, vals[1:]...).Scan(&c.ID); err != nil {
		return fmt.Errorf("insert case: %w", err)
	}
	return nil
}

// updateCase writes every mutable column of c.
func updateCase(ctx context.Context, tx *sql.Tx, c *Case) error {
	_, err := tx.ExecContext(ctx, `UPDATE cases SET grade = $2, state = $3, resume_state = $4, pause_reason = $5, assignee_id = $6,
		owner_id = $7, merged_into = $8, reopens = $9, rating = $10, accepted_at = $11, resolved_at = $12, closed_at = $13, updated_at = $14
		WHERE id = $1`, c.ID, c.Grade, string(c.State), string(c.ResumeState), c.PauseReason, nullID(c.AssigneeID), nullID(c.OwnerID),
		nullID(c.MergedInto), c.Reopens, string(c.Rating), nullTime(c.AcceptedAt), nullTime(c.ResolvedAt), nullTime(c.ClosedAt), c.UpdatedAt.UTC())
	if err != nil {
		return fmt.Errorf("update case %d: %w", c.ID, err)
	}
	return nil
}

// forUpdate is the row-locking suffix of a SELECT on PostgreSQL; SQLite's
// single writer already serialises transactions.
func forUpdate(d *db.DB, suffix string) string {
	if d.Dialect() == db.Postgres {
		return " FOR UPDATE" + suffix
	}
	return ""
}

// lockCase reads a case inside tx, locking its row on PostgreSQL.
func (s *Service) lockCase(ctx context.Context, tx *sql.Tx, id int64) (Case, error) {
	c, err := scanCase(tx.QueryRowContext(ctx, `SELECT `+caseCols+` FROM cases WHERE id = $1`+forUpdate(s.db, ""), id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("case %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("read case %d: %w", id, err)
	}
	return c, nil
}

// clockCols are the columns of case_clocks in the order scanClock reads them.
const clockCols = `case_id, clock, cancelled`

func scanClock(sc rowScanner) (StageClock, error) {
	var k StageClock
	var text string
	if err := sc.Scan(&k.CaseID, &text, &k.Cancelled); err != nil {
		return k, err
	}
	if err := json.Unmarshal([]byte(text), &k.Clock); err != nil {
		return k, fmt.Errorf("clock of case %d: %w", k.CaseID, err)
	}
	return k, nil
}

// readClocks returns the clocks of a case in stage order; lock takes their
// row locks on PostgreSQL (after the case's, so transitions never deadlock
// with the timer runner, which locks only clocks).
func (s *Service) readClocks(ctx context.Context, q db.Querier, id int64, lock bool) ([]StageClock, error) {
	suffix := ""
	if lock {
		suffix = forUpdate(s.db, "")
	}
	rows, err := q.QueryContext(ctx, `SELECT `+clockCols+` FROM case_clocks WHERE case_id = $1 ORDER BY stage`+suffix, id)
	if err != nil {
		return nil, fmt.Errorf("clocks of case %d: %w", id, err)
	}
	defer rows.Close()
	byStage := map[sla.Stage]StageClock{}
	for rows.Next() {
		k, err := scanClock(rows)
		if err != nil {
			return nil, err
		}
		byStage[k.Stage] = k
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []StageClock
	for _, st := range stageOrder {
		if k, ok := byStage[st]; ok {
			out = append(out, k)
		}
	}
	return out, nil
}

// clockValues returns the stored columns of a clock.
func clockValues(k StageClock) ([]any, error) {
	b, err := json.Marshal(k.Clock)
	if err != nil {
		return nil, err
	}
	var next any
	if t, ok := k.NextCheck(); ok && !k.Cancelled {
		next = t.UTC()
	}
	return []any{k.CaseID, string(k.Stage), string(b), nullTime(k.Due), nullTime(k.Done), k.Paused(), k.Cancelled, next}, nil
}

var clockInsertCols = []string{"case_id", "stage", "clock", "due", "done_at", "paused", "cancelled", "next_check"}

// saveClock inserts or replaces the stored clock of one stage.
func saveClock(ctx context.Context, tx *sql.Tx, k StageClock) error {
	vals, err := clockValues(k)
	if err != nil {
		return fmt.Errorf("save clock: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO case_clocks (case_id, stage, clock, due, done_at, paused, cancelled, next_check)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (case_id, stage) DO UPDATE SET clock = excluded.clock, due = excluded.due, done_at = excluded.done_at,
		paused = excluded.paused, cancelled = excluded.cancelled, next_check = excluded.next_check`, vals...); err != nil {
		return fmt.Errorf("save clock %s of case %d: %w", k.Stage, k.CaseID, err)
	}
	return nil
}

var eventCols = []string{"case_id", "action", "from_state", "to_state", "actor_kind", "actor_id", "actor_name", "at", "note", "photos", "data"}

func eventValues(e Event) []any {
	data := "{}"
	if len(e.Data) > 0 {
		b, _ := json.Marshal(e.Data)
		data = string(b)
	}
	return []any{e.CaseID, string(e.Action), string(e.From), string(e.To), e.Actor.Kind, nullID(e.Actor.ID), e.Actor.Name, e.At.UTC(),
		e.Note, idsJSON(e.Photos), data}
}

func insertEvent(ctx context.Context, tx *sql.Tx, e Event) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO case_events (`+strings.Join(eventCols, ", ")+`) VALUES (`+placeholders(len(eventCols), 1)+`)`,
		eventValues(e)...); err != nil {
		return fmt.Errorf("case %d: record %s: %w", e.CaseID, e.Action, err)
	}
	return nil
}

// events returns the history of a case, oldest first.
func (s *Service) events(ctx context.Context, id int64) ([]Event, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, case_id, action, from_state, to_state, actor_kind, COALESCE(actor_id, 0), actor_name,
		at, note, photos, data FROM case_events WHERE case_id = $1 ORDER BY at, id`, id)
	if err != nil {
		return nil, fmt.Errorf("events of case %d: %w", id, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var photos, data string
		if err := rows.Scan(&e.ID, &e.CaseID, &e.Action, &e.From, &e.To, &e.Actor.Kind, &e.Actor.ID, &e.Actor.Name, &e.At, &e.Note, &photos, &data); err != nil {
			return nil, fmt.Errorf("events of case %d: %w", id, err)
		}
		e.At = e.At.UTC()
		e.Photos = parseIDs(photos)
		if data != "" && data != "{}" {
			_ = json.Unmarshal([]byte(data), &e.Data)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// followUps returns the follow-up records of a case, oldest first.
func (s *Service) followUps(ctx context.Context, id int64) ([]FollowUp, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, case_id, rating, comment, method, actor_name, COALESCE(actor_id, 0), at
		FROM case_followups WHERE case_id = $1 ORDER BY at, id`, id)
	if err != nil {
		return nil, fmt.Errorf("follow-ups of case %d: %w", id, err)
	}
	defer rows.Close()
	var out []FollowUp
	for rows.Next() {
		var f FollowUp
		if err := rows.Scan(&f.ID, &f.CaseID, &f.Rating, &f.Comment, &f.Method, &f.Actor.Name, &f.Actor.ID, &f.At); err != nil {
			return nil, fmt.Errorf("follow-ups of case %d: %w", id, err)
		}
		f.At = f.At.UTC()
		out = append(out, f)
	}
	return out, rows.Err()
}

// Filter selects cases for a list. Zero fields do not filter.
type Filter struct {
	States     []State
	Scope      string // region path prefix, e.g. "/1/4/"; "" for everywhere
	Category   string
	Department string
	AssigneeID int64
	ReporterID int64 // cases the user reported or joined
	// Overdue keeps cases with a running stage past its due time now.
	Overdue bool
	// WorkDay, when set, keeps a handler's work of one day.
	WorkDay *WorkDay
	BBox    places.BBox
	// ReportedFrom and ReportedTo bound the report time (from inclusive, to exclusive).
	ReportedFrom, ReportedTo time.Time
	Limit, Offset            int // Limit 0 means 100
}

// WorkDay selects the work of one day: cases with a running stage (neither
// done, cancelled nor paused) due before End, so due that day or already
// overdue, or acted on by ActorID from Start on.
type WorkDay struct {
	ActorID    int64
	Start, End time.Time
}

// where builds the WHERE clause of f.
func (f Filter) where(now time.Time) (string, []any) {
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if len(f.States) > 0 {
		ph := make([]string, len(f.States))
		for i, st := range f.States {
			ph[i] = arg(string(st))
		}
		conds = append(conds, "c.state IN ("+strings.Join(ph, ", ")+")")
	}
	if f.Scope != "" {
		conds = append(conds, "c.region_path LIKE "+arg(strings.NewReplacer("%", "", "_", "").Replace(f.Scope)+"%"))
	}
	if f.Category != "" {
		conds = append(conds, "c.category = "+arg(f.Category))
	}
	if f.Department != "" {
		conds = append(conds, "c.department = "+arg(f.Department))
	}
	if f.AssigneeID != 0 {
		conds = append(conds, "c.assignee_id = "+arg(f.AssigneeID))
	}
	if f.ReporterID != 0 {
		p := arg(f.ReporterID)
		conds = append(conds, "(c.reporter_id = "+p+" OR EXISTS (SELECT 1 FROM case_followers w WHERE w.case_id = c.id AND w.user_id = "+p+"))")
	}
	if f.Overdue {
		conds = append(conds, "EXISTS (SELECT 1 FROM case_clocks k WHERE k.case_id = c.id AND k.done_at IS NULL AND k.cancelled = FALSE AND k.paused = FALSE AND k.due <= "+arg(now.UTC())+")")
	}
	if w := f.WorkDay; w != nil {
		cond := "EXISTS (SELECT 1 FROM case_clocks k WHERE k.case_id = c.id AND k.done_at IS NULL AND k.cancelled = FALSE AND k.paused = FALSE AND k.due < " +
			arg(w.End.UTC()) + ")"
		if w.ActorID != 0 {
			cond = "(" + cond + " OR EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.actor_id = " + arg(w.ActorID) +
				" AND e.at >= " + arg(w.Start.UTC()) + "))"
		}
		conds = append(conds, cond)
	}
	if !f.BBox.Empty() {
		conds = append(conds, "c.lon >= "+arg(f.BBox.MinLon)+" AND c.lon <= "+arg(f.BBox.MaxLon)+" AND c.lat >= "+arg(f.BBox.MinLat)+" AND c.lat <= "+arg(f.BBox.MaxLat))
	}
	if !f.ReportedFrom.IsZero() {
		conds = append(conds, "c.reported_at >= "+arg(f.ReportedFrom.UTC()))
	}
	if !f.ReportedTo.IsZero() {
		conds = append(conds, "c.reported_at < "+arg(f.ReportedTo.UTC()))
	}
	if len(conds) == 0 {
		return "", args
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// List returns the cases matching f, newest report first, and how many match
// in all. Contacts are masked.
func (s *Service) List(ctx context.Context, f Filter) ([]Case, int, error) {
	where, args := f.where(s.clock())
	var total int
	if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM cases c`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count cases: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	n := len(args)
	args = append(args, limit, max(f.Offset, 0))
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+caseCols+` FROM cases c`+where+
		` ORDER BY c.reported_at DESC, c.id DESC LIMIT $`+strconv.Itoa(n+1)+` OFFSET $`+strconv.Itoa(n+2), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list cases: %w", err)
	}
	defer rows.Close()
	var out []Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list cases: %w", err)
		}
		s.mask(&c)
		out = append(out, c)
	}
	return out, total, rows.Err()
}

// mask replaces the sealed contact with its masked form.
func (s *Service) mask(c *Case) {
	c.Contact = ""
	if len(c.contactEnc) == 0 {
		return
	}
	plain, err := s.box.Open(c.contactEnc)
	if err != nil {
		c.Contact = "***"
		return
	}
	c.Contact = maskContact(plain)
}

// actorID returns the id of a user actor for the nullable actor columns.
func actorID(a audit.Actor) any {
	if a.Kind == audit.ActorUser && a.ID != 0 {
		return a.ID
	}
	return nil
}
