package cases

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/calendar"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/geo"
	"github.com/gengxin/gengxin/internal/pii"
	"github.com/gengxin/gengxin/internal/sla"
)

// Sealer encrypts callback contacts for storage and hashes them for lookups;
// *pii.Box implements it.
type Sealer interface {
	Seal(plain string) ([]byte, error)
	Open(sealed []byte) (string, error)
	Index(plain string) string
}

// Service runs the case workflow on the database.
type Service struct {
	db  *db.DB
	log *audit.Log
	box Sealer
	now func() time.Time
	// base is the calendar the program starts from; cal is base with the
	// notices and working hours administrators stored (see LoadCalendar).
	base *calendar.Calendar
	cal  atomic.Pointer[calendar.Calendar]
	// writes counts the write transactions of this service, so that counts
	// cached for lists know when cases may have changed (see Open311).
	writes     atomic.Uint64
	policies   []sla.Policy
	categories []Category
	shapes     shapeCache
	stmts      stmtCache
	depts      deptCache
}

// Option configures a Service.
type Option func(*Service)

// WithCalendar sets the working calendar (calendar.Default() otherwise).
func WithCalendar(c *calendar.Calendar) Option { return func(s *Service) { s.base = c } }

// WithPolicies sets the SLA policies (sla.Builtin() otherwise).
func WithPolicies(ps []sla.Policy) Option {
	return func(s *Service) { s.policies = append([]sla.Policy(nil), ps...) }
}

// WithCategories sets the category catalogue (BuiltinCategories() otherwise).
func WithCategories(cs []Category) Option {
	return func(s *Service) { s.categories = append([]Category(nil), cs...) }
}

// New returns the case service on d. log records every change, box seals
// callback contacts, now is the clock (time.Now in production).
func New(d *db.DB, log *audit.Log, box Sealer, now func() time.Time, opts ...Option) *Service {
	s := &Service{db: d, log: log, box: box, now: now, base: calendar.Default(), policies: sla.Builtin(), categories: BuiltinCategories()}
	for _, o := range opts {
		o(s)
	}
	s.cal.Store(s.base)
	return s
}

// tx runs fn in a write transaction and counts the write.
func (s *Service) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	defer s.writes.Add(1)
	return s.db.Tx(ctx, fn)
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func (s *Service) engine() sla.Engine { return sla.Engine{Calendar: s.cal.Load(), Now: s.now} }

// Reporter is who reports a problem or joins a report: a user account, or a
// name and callback contact (a hotline caller). An anonymous reporter's name
// is not shown to anybody; a private callback contact is then required.
type Reporter struct {
	UserID    int64
	Name      string
	Contact   string // phone or other callback contact; sealed at rest, masked on screen
	Anonymous bool
}

func (r Reporter) validate() error {
	switch {
	case r.Anonymous && trimmed(r.Contact) == "":
		return fmt.Errorf("%w: an anonymous report needs a private callback contact", ErrInvalid)
	case r.UserID == 0 && trimmed(r.Contact) == "":
		return fmt.Errorf("%w: a report needs a reporter account or a callback contact", ErrInvalid)
	case utf8.RuneCountInString(r.Contact) > 100 || utf8.RuneCountInString(r.Name) > 100:
		return fmt.Errorf("%w: reporter name or contact is too long", ErrInvalid)
	}
	return nil
}

// ReportInput is a new report.
type ReportInput struct {
	Category    string
	Description string
	// Lon and Lat (WGS-84) locate the problem; both zero means no point, and
	// then Address is required.
	Lon, Lat float64
	Address  string
	Channel  Channel
	Reporter Reporter
	Photos   []int64 // attachment ids (UploadPhoto)
	// ReportedAt is when the problem was reported, for hotline calls typed in
	// later; zero means now. It may not lie in the future.
	ReportedAt time.Time
}

// MaxDescription is the longest description accepted, in characters.
const MaxDescription = 2000

func (s *Service) validate(in ReportInput) (Category, error) {
	cat, ok := s.Category(in.Category)
	if !ok {
		return cat, fmt.Errorf("%w: unknown category %q", ErrInvalid, in.Category)
	}
	if _, ok := s.Policy(cat.Policy); !ok {
		return cat, fmt.Errorf("%w: category %s names unknown policy %q", ErrInvalid, cat.Code, cat.Policy)
	}
	desc := trimmed(in.Description)
	switch {
	case desc == "":
		return cat, fmt.Errorf("%w: describe the problem", ErrInvalid)
	case utf8.RuneCountInString(desc) > MaxDescription:
		return cat, fmt.Errorf("%w: the description is longer than %d characters", ErrInvalid, MaxDescription)
	case !in.Channel.valid():
		return cat, fmt.Errorf("%w: unknown channel %q", ErrInvalid, in.Channel)
	case located(in.Lon, in.Lat) && (in.Lon < -180 || in.Lon > 180 || in.Lat < -90 || in.Lat > 90 || math.IsNaN(in.Lon) || math.IsNaN(in.Lat)):
		return cat, fmt.Errorf("%w: location %.6f, %.6f is not a WGS-84 longitude and latitude", ErrInvalid, in.Lon, in.Lat)
	case !located(in.Lon, in.Lat) && trimmed(in.Address) == "":
		return cat, fmt.Errorf("%w: give a map point or an address", ErrInvalid)
	case !in.ReportedAt.IsZero() && in.ReportedAt.After(s.now()):
		return cat, fmt.Errorf("%w: the report time lies in the future", ErrInvalid)
	}
	return cat, in.Reporter.validate()
}

func located(lon, lat float64) bool { return lon != 0 || lat != 0 }

// newCase builds the case of a validated report routed by rt.
func (s *Service) newCase(in ReportInput, cat Category, rt Route, now time.Time) (*Case, error) {
	c := &Case{Category: cat.Code, Policy: cat.Policy, Grade: cat.Grade, Channel: in.Channel, Description: trimmed(in.Description),
		Address: trimmed(in.Address), HasLocation: located(in.Lon, in.Lat), Lon: in.Lon, Lat: in.Lat,
		RegionID: rt.RegionID, RegionPath: rt.RegionPath, GridID: rt.GridID, Department: rt.Department,
		AssigneeID: rt.AssigneeID, DispatcherID: rt.DispatcherID, RouteNote: rt.Note,
		ReporterID: in.Reporter.UserID, Anonymous: in.Reporter.Anonymous, Photos: slices.Clone(in.Photos), ReportedAt: now}
	if !in.Reporter.Anonymous {
		c.ReporterName = trimmed(in.Reporter.Name)
	}
	if !in.ReportedAt.IsZero() {
		c.ReportedAt = in.ReportedAt.UTC().Truncate(time.Microsecond)
	}
	if contact := trimmed(in.Reporter.Contact); contact != "" {
		enc, err := s.box.Seal(contact)
		if err != nil {
			return nil, fmt.Errorf("seal contact: %w", err)
		}
		c.contactEnc, c.contactHash = enc, s.box.Index(pii.Normalize(contact))
	}
	return c, nil
}

// Report creates a case from a report, routes it and starts its first clock.
// The returned case shows the contact masked.
func (s *Service) Report(ctx context.Context, in ReportInput) (Case, error) {
	return s.ReportChecked(ctx, in, nil)
}

// ReportChecked is Report with a check of the route before anything is
// written: check (when not nil) sees where the case would go and may refuse
// it with an error, which ReportChecked returns. The route is decided once,
// so a check and the report never see different staff or regions.
func (s *Service) ReportChecked(ctx context.Context, in ReportInput, check func(Route) error) (Case, error) {
	cat, ok := s.Category(in.Category)
	if !ok {
		return Case{}, fmt.Errorf("%w: unknown category %q", ErrInvalid, in.Category)
	}
	r, err := s.loadRouter(ctx, s.db.Read())
	if err != nil {
		return Case{}, err
	}
	rt := r.route(cat, in.Lon, in.Lat, located(in.Lon, in.Lat))
	// The check comes first, as a refusal does not depend on the rest.
	if check != nil {
		if err := check(rt); err != nil {
			return Case{}, err
		}
	}
	if cat, err = s.validate(in); err != nil {
		return Case{}, err
	}
	pol, _ := s.Policy(cat.Policy)
	now := s.clock()
	c, err := s.newCase(in, cat, rt, now)
	if err != nil {
		return Case{}, err
	}
	m := newMachine(c, pol, s.engine(), nil, audit.ActorFrom(ctx), now)
	if err := m.report(Step{Note: c.RouteNote, Photos: c.Photos}); err != nil {
		return Case{}, err
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.checkPhotos(ctx, tx, in.Photos); err != nil {
			return err
		}
		return s.persist(ctx, tx, m, true)
	})
	if err != nil {
		return Case{}, err
	}
	out := *c
	s.mask(&out)
	return out, nil
}

// checkPhotos makes sure every id names a stored image.
func (s *Service) checkPhotos(ctx context.Context, q db.Querier, ids []int64) error {
	for _, id := range ids {
		var ct string
		err := q.QueryRowContext(ctx, `SELECT content_type FROM attachments WHERE id = $1`, id).Scan(&ct)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: photo %d does not exist", ErrInvalid, id)
		}
		if err != nil {
			return fmt.Errorf("photo %d: %w", id, err)
		}
		if !strings.HasPrefix(ct, "image/") {
			return fmt.Errorf("%w: attachment %d is %s, not a photo", ErrInvalid, id, ct)
		}
	}
	return nil
}

// persist writes a machine's case, changed clocks and new events, with one
// audit entry per event, inside tx.
func (s *Service) persist(ctx context.Context, tx *sql.Tx, m *machine, created bool) error {
	if created {
		if err := insertCase(ctx, tx, m.c); err != nil {
			return err
		}
	} else if err := updateCase(ctx, tx, m.c); err != nil {
		return err
	}
	for _, st := range stageOrder {
		if !m.dirty[st] {
			continue
		}
		k := *m.clocks[st]
		k.CaseID = m.c.ID
		if err := saveClock(ctx, tx, k); err != nil {
			return err
		}
	}
	for _, e := range m.events {
		e.CaseID = m.c.ID
		if err := insertEvent(ctx, tx, e); err != nil {
			return err
		}
		after := map[string]any{"state": e.To}
		if e.Note != "" {
			after["note"] = e.Note
		}
		if len(e.Photos) > 0 {
			after["photos"] = e.Photos
		}
		for k, v := range e.Data {
			after[k] = v
		}
		var before any
		if e.From != "" {
			before = map[string]any{"state": e.From}
		}
		if err := s.log.Record(ctx, tx, audit.Change{Action: "case." + string(e.Action), ObjectType: "case", ObjectID: itoa(m.c.ID),
			Before: before, After: after}); err != nil {
			return err
		}
	}
	m.events = nil
	clear(m.dirty)
	return nil
}

func (s *Service) policyOf(c Case) (sla.Policy, error) {
	p, ok := s.Policy(c.Policy)
	if !ok {
		return p, fmt.Errorf("case %d: unknown policy %q", c.ID, c.Policy)
	}
	return p, nil
}

// transition applies one action to case id in a transaction: the case row and
// its clocks are locked, the machine applies the action, extra (if any) does
// the action's own writes, and everything is saved with its audit entries.
func (s *Service) transition(ctx context.Context, id int64, a Action, st Step, args transitionArgs,
	extra func(tx *sql.Tx, m *machine) error) (Case, error) {
	var out Case
	st.Note = trimmed(st.Note)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		c, err := s.lockCase(ctx, tx, id)
		if err != nil {
			return err
		}
		clocks, err := s.readClocks(ctx, tx, id, true)
		if err != nil {
			return err
		}
		pol, err := s.policyOf(c)
		if err != nil {
			return err
		}
		m := newMachine(&c, pol, s.engine(), clocks, audit.ActorFrom(ctx), s.clock())
		if err := m.apply(a, st, args); err != nil {
			return fmt.Errorf("case %d: %w", id, err)
		}
		if err := s.checkPhotos(ctx, tx, st.Photos); err != nil {
			return err
		}
		if extra != nil {
			if err := extra(tx, m); err != nil {
				return err
			}
		}
		if err := s.persist(ctx, tx, m, false); err != nil {
			return err
		}
		out = c
		return nil
	})
	if err != nil {
		return Case{}, err
	}
	s.mask(&out)
	return out, nil
}

// Accept registers a reported case (受理); the actor becomes its first
// receiver, who stays responsible.
func (s *Service) Accept(ctx context.Context, id int64, st Step) (Case, error) {
	return s.transition(ctx, id, ActAccept, st, transitionArgs{}, nil)
}

// Dispatch sends an accepted or returned case to assignee (0: the routed
// handler).
func (s *Service) Dispatch(ctx context.Context, id, assignee int64, st Step) (Case, error) {
	if err := s.checkUser(ctx, assignee); err != nil {
		return Case{}, err
	}
	return s.transition(ctx, id, ActDispatch, st, transitionArgs{assignee: assignee}, nil)
}

// Reassign gives the case to another handler; st.Note is the reason.
func (s *Service) Reassign(ctx context.Context, id, assignee int64, st Step) (Case, error) {
	if assignee == 0 {
		return Case{}, fmt.Errorf("%w: reassign needs the new handler", ErrInvalid)
	}
	if err := s.checkUser(ctx, assignee); err != nil {
		return Case{}, err
	}
	return s.transition(ctx, id, ActReassign, st, transitionArgs{assignee: assignee}, nil)
}

// Return sends the case back to its dispatcher; st.Note is the reason.
func (s *Service) Return(ctx context.Context, id int64, st Step) (Case, error) {
	return s.transition(ctx, id, ActReturn, st, transitionArgs{}, nil)
}

// Sign records that the handler took the case (签收).
func (s *Service) Sign(ctx context.Context, id int64, st Step) (Case, error) {
	return s.transition(ctx, id, ActSign, st, transitionArgs{}, nil)
}

// Arrive records that the handler is on site. complex marks a complex
// problem (54321: a plan within 2 days instead of a fix within 3 hours).
func (s *Service) Arrive(ctx context.Context, id int64, complex bool, st Step) (Case, error) {
	return s.transition(ctx, id, ActArrive, st, transitionArgs{complex: complex}, nil)
}

// AgreePlan records the plan for a complex problem with its agreed fixing
// date, which becomes the due time of the resolve stage.
func (s *Service) AgreePlan(ctx context.Context, id int64, fixBy time.Time, st Step) (Case, error) {
	return s.transition(ctx, id, ActAgreePlan, st, transitionArgs{due: fixBy.UTC()}, nil)
}

// Resolve records the fix, usually with a photo.
func (s *Service) Resolve(ctx context.Context, id int64, st Step) (Case, error) {
	return s.transition(ctx, id, ActResolve, st, transitionArgs{}, nil)
}

// Verifier says who verified a fix.
type Verifier string

// Verifiers.
const (
	ByReporter   Verifier = "reporter"
	ByGridWorker Verifier = "grid_worker"
)

// Verify confirms the fix, by the reporter or the grid worker, optionally
// with a photo.
func (s *Service) Verify(ctx context.Context, id int64, by Verifier, st Step) (Case, error) {
	if by != ByReporter && by != ByGridWorker {
		return Case{}, fmt.Errorf("%w: a fix is verified by the reporter or the grid worker, not %q", ErrInvalid, by)
	}
	return s.transition(ctx, id, ActVerify, st, transitionArgs{by: string(by)}, nil)
}

// FollowUpInput is a follow-up visit or call (回访).
type FollowUpInput struct {
	Method  string // phone, visit, online
	Note    string
	Rating  Rating // optional; given, the case is rated at once
	Comment string
}

// FollowUp records a follow-up visit; with a rating the case is rated in the
// same transaction.
func (s *Service) FollowUp(ctx context.Context, id int64, in FollowUpInput) (Case, error) {
	if in.Rating != ratingNone && !in.Rating.valid() {
		return Case{}, fmt.Errorf("%w: rating %q is not satisfied, basically_satisfied or dissatisfied", ErrInvalid, in.Rating)
	}
	return s.transition(ctx, id, ActFollowUp, Step{Note: in.Note}, transitionArgs{}, func(tx *sql.Tx, m *machine) error {
		if in.Rating != ratingNone {
			if err := m.apply(ActRate, Step{Note: in.Comment}, transitionArgs{rating: in.Rating}); err != nil {
				return err
			}
		}
		return insertFollowUp(ctx, tx, FollowUp{CaseID: id, Rating: in.Rating, Comment: trimmed(in.Comment), Method: in.Method, Actor: m.actor, At: m.at})
	})
}

// Rate records the reporter's rating after a follow-up without one.
func (s *Service) Rate(ctx context.Context, id int64, r Rating, comment string) (Case, error) {
	return s.transition(ctx, id, ActRate, Step{Note: comment}, transitionArgs{rating: r}, func(tx *sql.Tx, m *machine) error {
		return insertFollowUp(ctx, tx, FollowUp{CaseID: id, Rating: r, Comment: trimmed(comment), Method: "online", Actor: m.actor, At: m.at})
	})
}

func insertFollowUp(ctx context.Context, tx *sql.Tx, f FollowUp) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO case_followups (case_id, rating, comment, method, actor_name, actor_id, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, f.CaseID, string(f.Rating), f.Comment, f.Method, f.Actor.Name, actorID(f.Actor), f.At.UTC()); err != nil {
		return fmt.Errorf("case %d: follow-up: %w", f.CaseID, err)
	}
	return nil
}

// Close closes a followed-up or rated case.
func (s *Service) Close(ctx context.Context, id int64, st Step) (Case, error) {
	return s.transition(ctx, id, ActClose, st, transitionArgs{}, nil)
}

// Reopen reopens a resolved case because the problem is not fixed; it is done
// by the reporter (the caller checks who) and counts against the resolution
// rate. The resolve stage starts again with its full limit.
func (s *Service) Reopen(ctx context.Context, id int64, st Step) (Case, error) {
	return s.transition(ctx, id, ActReopen, st, transitionArgs{}, nil)
}

// Merge closes case id as a duplicate of into; its reporter follows into.
func (s *Service) Merge(ctx context.Context, id, into int64, st Step) (Case, error) {
	return s.transition(ctx, id, ActMerge, st, transitionArgs{into: into}, func(tx *sql.Tx, m *machine) error {
		target, err := s.lockCase(ctx, tx, into)
		if err != nil {
			return err
		}
		if !target.State.Open() {
			return fmt.Errorf("%w: case %d is %s and cannot take duplicates", ErrInvalid, into, target.State)
		}
		return s.addFollower(ctx, tx, target, m.c.ReporterID, m.c.contactEnc, m.c.contactHash, m.at)
	})
}

// Suspend pauses the case and its clocks; st.Note is the reason the reporter
// sees.
func (s *Service) Suspend(ctx context.Context, id int64, st Step) (Case, error) {
	return s.transition(ctx, id, ActSuspend, st, transitionArgs{}, nil)
}

// Resume ends a suspension; each clock continues with the time it had left
// (working time for working-time policies).
func (s *Service) Resume(ctx context.Context, id int64, st Step) (Case, error) {
	return s.transition(ctx, id, ActResume, st, transitionArgs{}, nil)
}

// checkUser makes sure a user to assign exists and is enabled (0 passes).
func (s *Service) checkUser(ctx context.Context, id int64) error {
	if id == 0 {
		return nil
	}
	var disabled bool
	err := s.db.Read().QueryRowContext(ctx, `SELECT disabled FROM users WHERE id = $1`, id).Scan(&disabled)
	if errors.Is(err, sql.ErrNoRows) || disabled {
		return fmt.Errorf("%w: user %d does not exist or is disabled", ErrInvalid, id)
	}
	if err != nil {
		return fmt.Errorf("user %d: %w", id, err)
	}
	return nil
}

// NearbyCase is an open case near a point, for offering a resident to join it.
type NearbyCase struct {
	Case
	DistanceM float64
}

// Nearby radius and window: open cases of the same category within 50 m
// reported in the last 7 days.
const (
	NearbyRadiusM = 50.0
	NearbyWindow  = 7 * 24 * time.Hour
)

// Nearby returns the open cases of category within NearbyRadiusM of the
// point reported in the last NearbyWindow, nearest first.
func (s *Service) Nearby(ctx context.Context, category string, lon, lat float64) ([]NearbyCase, error) {
	dLat := NearbyRadiusM / 111320.0 * 1.01
	dLon := dLat / math.Max(math.Cos(lat*math.Pi/180), 0.01)
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+caseCols+` FROM cases WHERE category = $1 AND state NOT IN ($2, $3)
		AND reported_at >= $4 AND lon BETWEEN $5 AND $6 AND lat BETWEEN $7 AND $8`,
		category, string(StateClosed), string(StateMerged), s.clock().Add(-NearbyWindow), lon-dLon, lon+dLon, lat-dLat, lat+dLat)
	if err != nil {
		return nil, fmt.Errorf("nearby cases: %w", err)
	}
	defer rows.Close()
	var out []NearbyCase
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, fmt.Errorf("nearby cases: %w", err)
		}
		if d := geo.Haversine(lon, lat, c.Lon, c.Lat); d <= NearbyRadiusM {
			s.mask(&c)
			out = append(out, NearbyCase{Case: c, DistanceM: d})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].DistanceM < out[j].DistanceM })
	return out, rows.Err()
}

// Join adds a reporter to an open case as a follower instead of a duplicate
// report; joining twice changes nothing.
func (s *Service) Join(ctx context.Context, id int64, r Reporter) error {
	if err := r.validate(); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		c, err := s.lockCase(ctx, tx, id)
		if err != nil {
			return err
		}
		if !c.State.Open() {
			return fmt.Errorf("%w: cannot join a case that is %s", ErrIllegalTransition, c.State)
		}
		var enc []byte
		var hash string
		if contact := trimmed(r.Contact); contact != "" {
			if enc, err = s.box.Seal(contact); err != nil {
				return fmt.Errorf("seal contact: %w", err)
			}
			hash = s.box.Index(pii.Normalize(contact))
		}
		return s.addFollower(ctx, tx, c, r.UserID, enc, hash, s.clock())
	})
}

// addFollower adds a follower to case c unless they already report or follow
// it, with a join event and its audit entry.
func (s *Service) addFollower(ctx context.Context, tx *sql.Tx, c Case, userID int64, enc []byte, hash string, at time.Time) error {
	if userID == 0 && hash == "" {
		return nil
	}
	if userID != 0 && userID == c.ReporterID || hash != "" && hash == c.contactHash {
		return nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM case_followers WHERE case_id = $1 AND (user_id = $2 OR contact_hash = $3)`,
		c.ID, userID, hash).Scan(&n); err != nil {
		return fmt.Errorf("case %d: followers: %w", c.ID, err)
	}
	if n > 0 {
		return nil
	}
	var encArg any
	if len(enc) > 0 {
		encArg = enc
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO case_followers (case_id, user_id, contact_enc, contact_hash, joined_at) VALUES ($1, $2, $3, $4, $5)`,
		c.ID, nullID(userID), encArg, nullStr(hash), at.UTC()); err != nil {
		return fmt.Errorf("case %d: add follower: %w", c.ID, err)
	}
	actor := audit.ActorFrom(ctx)
	e := Event{CaseID: c.ID, Action: ActJoin, From: c.State, To: c.State, Actor: actor, At: at}
	if err := insertEvent(ctx, tx, e); err != nil {
		return err
	}
	return s.log.Record(ctx, tx, audit.Change{Action: "case.join", ObjectType: "case", ObjectID: itoa(c.ID),
		After: map[string]any{"state": c.State, "follower_user": userID}})
}

// Detail is a case with its history, clocks and follow-ups.
type Detail struct {
	Case
	Events    []Event
	Clocks    []StageClock
	FollowUps []FollowUp
	Followers int
}

// Get returns a case with its events, clocks and follow-ups; the contact is
// masked.
func (s *Service) Get(ctx context.Context, id int64) (Detail, error) {
	c, err := scanCase(s.db.Read().QueryRowContext(ctx, `SELECT `+caseCols+` FROM cases WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Detail{}, fmt.Errorf("case %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Detail{}, fmt.Errorf("read case %d: %w", id, err)
	}
	s.mask(&c)
	d := Detail{Case: c}
	if d.Events, err = s.events(ctx, id); err != nil {
		return d, err
	}
	if d.Clocks, err = s.readClocks(ctx, s.db.Read(), id, false); err != nil {
		return d, err
	}
	if d.FollowUps, err = s.followUps(ctx, id); err != nil {
		return d, err
	}
	if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM case_followers WHERE case_id = $1`, id).Scan(&d.Followers); err != nil {
		return d, fmt.Errorf("followers of case %d: %w", id, err)
	}
	return d, nil
}

// Current returns the open clock the case is working against now: the
// earliest due of the open stages; false when none is open.
func (d Detail) Current() (StageClock, bool) {
	var best StageClock
	found := false
	for _, k := range d.Clocks {
		if k.Open() && (!found || k.Due.Before(best.Due)) {
			best, found = k, true
		}
	}
	return best, found
}

// ReporterEvent is a step of the case as the reporter sees it.
type ReporterEvent struct {
	Action Action
	At     time.Time
	Note   string
	Photos []int64
}

// ReporterCase is the reporter's view of a case: no staff names, the contact
// masked, the reason of a suspension and the current deadline.
type ReporterCase struct {
	ID          int64
	Category    string
	State       State
	Description string
	Address     string
	HasLocation bool
	Lon, Lat    float64
	Photos      []int64
	Contact     string
	ReportedAt  time.Time
	// Stage and Due are the current deadline; Paused with PauseReason while
	// the case is suspended (Left is then the time left).
	Stage       sla.Stage
	Due         time.Time
	Paused      bool
	PauseReason string
	Left        time.Duration
	Rating      Rating
	Reopens     int
	Events      []ReporterEvent
}

// ForReporter turns a detail into the reporter's view. Timer events and
// internal routing steps are left out; notes stay, as they explain the case.
func ForReporter(d Detail) ReporterCase {
	v := ReporterCase{ID: d.ID, Category: d.Category, State: d.State, Description: d.Description, Address: d.Address, HasLocation: d.HasLocation,
		Lon: d.Lon, Lat: d.Lat, Photos: d.Photos, Contact: d.Contact, ReportedAt: d.ReportedAt, PauseReason: d.PauseReason,
		Rating: d.Rating, Reopens: d.Reopens}
	if k, ok := d.Current(); ok {
		v.Stage, v.Due, v.Paused, v.Left = k.Stage, k.Due, k.Paused(), k.Left
	}
	for _, e := range d.Events {
		switch e.Action {
		case ActNearDue, ActOverdue:
			continue
		case ActReport, ActReassign, ActReturn, ActDispatch:
			v.Events = append(v.Events, ReporterEvent{Action: e.Action, At: e.At})
			continue
		}
		v.Events = append(v.Events, ReporterEvent{Action: e.Action, At: e.At, Note: e.Note, Photos: e.Photos})
	}
	return v
}

// ReporterView returns case id as the reporter (or a follower) userID sees
// it; ErrNotFound for anybody else, so that case ids reveal nothing.
func (s *Service) ReporterView(ctx context.Context, id, userID int64) (ReporterCase, error) {
	d, err := s.Get(ctx, id)
	if err != nil {
		return ReporterCase{}, err
	}
	if userID == 0 {
		return ReporterCase{}, fmt.Errorf("case %d: %w", id, ErrNotFound)
	}
	if d.ReporterID != userID {
		var n int
		if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM case_followers WHERE case_id = $1 AND user_id = $2`, id, userID).Scan(&n); err != nil {
			return ReporterCase{}, fmt.Errorf("followers of case %d: %w", id, err)
		}
		if n == 0 {
			return ReporterCase{}, fmt.Errorf("case %d: %w", id, ErrNotFound)
		}
	}
	return ForReporter(d), nil
}

// RevealContact returns the reporter's callback contact in full and records
// the reveal in the audit log.
func (s *Service) RevealContact(ctx context.Context, id int64) (string, error) {
	var enc []byte
	err := s.db.Read().QueryRowContext(ctx, `SELECT contact_enc FROM cases WHERE id = $1`, id).Scan(&enc)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("case %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("case %d: %w", id, err)
	}
	plain, err := s.box.Open(enc)
	if err != nil {
		return "", fmt.Errorf("case %d: contact: %w", id, err)
	}
	if err := s.log.RecordTx(ctx, audit.Change{Action: "pii.reveal", ObjectType: "case", ObjectID: itoa(id),
		After: map[string]any{"field": "contact"}}); err != nil {
		return "", err
	}
	return plain, nil
}

// maskContact masks a callback contact: a phone number as 138****1111,
// anything else down to its first character.
func maskContact(c string) string {
	n := pii.Normalize(c)
	digits := strings.TrimLeft(n, "+")
	if len(digits) >= 7 && strings.Trim(digits, "0123456789") == "" {
		return pii.MaskPhone(digits)
	}
	r, size := utf8.DecodeRuneInString(c)
	if size == 0 {
		return ""
	}
	return string(r) + "***"
}

// AddDepartment creates or renames a department.
func (s *Service) AddDepartment(ctx context.Context, d Department) error {
	if trimmed(d.Code) == "" || trimmed(d.Name) == "" {
		return fmt.Errorf("%w: a department needs a code and a name", ErrInvalid)
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO departments (code, name, region_id, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (code) DO UPDATE SET name = excluded.name, region_id = excluded.region_id`,
			d.Code, d.Name, nullID(d.RegionID), s.clock()); err != nil {
			return fmt.Errorf("department %s: %w", d.Code, err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "department.save", ObjectType: "department", ObjectID: d.Code, After: d})
	})
	s.forgetDepartments()
	return err
}

// AddDepartmentMember makes a user a handler of a department.
func (s *Service) AddDepartmentMember(ctx context.Context, code string, userID int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO department_members (department_code, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
			code, userID); err != nil {
			return fmt.Errorf("%w: department %s member %d: %v", ErrInvalid, code, userID, err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "department.member.add", ObjectType: "department", ObjectID: code,
			After: map[string]any{"user_id": userID}})
	})
}

// Departments lists the departments by code.
func (s *Service) Departments(ctx context.Context) ([]Department, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT code, name, COALESCE(region_id, 0) FROM departments ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("departments: %w", err)
	}
	defer rows.Close()
	var out []Department
	for rows.Next() {
		var d Department
		if err := rows.Scan(&d.Code, &d.Name, &d.RegionID); err != nil {
			return nil, fmt.Errorf("departments: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
