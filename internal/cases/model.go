// Package cases holds residents' reports and the work orders they become
// (domain rules §5): intake from residents, the hotline, grid patrols and
// Open311; routing by point-in-polygon to the grid worker or by category to a
// department, with fallback to the community, subdistrict and district
// dispatchers; one state machine from the report to the closed case, every
// transition an event with an audit entry; SLA clocks per stage on the working
// calendar (package sla), stored so that they survive a restart, and a timer
// runner that sends near-due and overdue notifications once.
//
// The state machine and the clocks are pure (machine in model.go); the store
// persists them and the service wraps each change in a transaction.
package cases

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/calendar"
	"github.com/gengxin/gengxin/internal/sla"
)

// Errors of the case service.
var (
	// ErrNotFound: the case (or another object named in the call) does not exist.
	ErrNotFound = errors.New("case not found")
	// ErrIllegalTransition: the action is not allowed in the case's state; the
	// wrapped message names both.
	ErrIllegalTransition = errors.New("illegal case transition")
	// ErrInvalid: the input is incomplete or wrong; the message says what.
	ErrInvalid = errors.New("invalid case input")
)

// State is where a case stands in the workflow.
type State string

// States of the workflow (domain rules §5).
const (
	StateReported   State = "reported"    // 已上报
	StateAccepted   State = "accepted"    // 已受理 (registered)
	StateDispatched State = "dispatched"  // 已派遣
	StateSigned     State = "signed"      // 已签收
	StateOnSite     State = "on_site"     // 已到场
	StateResolved   State = "resolved"    // 已办结 (simple)
	StatePlanAgreed State = "plan_agreed" // 方案已确定 (complex)
	StateVerified   State = "verified"    // 已核查
	StateFollowedUp State = "followed_up" // 已回访
	StateRated      State = "rated"       // 已评价
	StateClosed     State = "closed"      // 已结案
	StateReturned   State = "returned"    // 已退回 to the dispatcher
	StateMerged     State = "merged"      // 已合并 as a duplicate
	StateReopened   State = "reopened"    // 已重办, reopened by the reporter
	StateSuspended  State = "suspended"   // 已挂起, the clocks pause
)

// States lists every state in workflow order.
func States() []State {
	return []State{StateReported, StateAccepted, StateDispatched, StateSigned, StateOnSite, StatePlanAgreed, StateResolved,
		StateVerified, StateFollowedUp, StateRated, StateClosed, StateReturned, StateReopened, StateSuspended, StateMerged}
}

// Open reports whether a case in state s still needs work: every state except
// closed and merged. Rated cases are open until somebody closes them.
func (s State) Open() bool { return s != StateClosed && s != StateMerged }

// Action is what happens to a case: a transition, or a timer event.
type Action string

// Actions. Every transition is recorded as an event with its action.
const (
	ActReport    Action = "report"
	ActAccept    Action = "accept"
	ActDispatch  Action = "dispatch"
	ActReassign  Action = "reassign"
	ActReturn    Action = "return"
	ActSign      Action = "sign"
	ActArrive    Action = "arrive"
	ActAgreePlan Action = "agree_plan"
	ActResolve   Action = "resolve"
	ActVerify    Action = "verify"
	ActFollowUp  Action = "follow_up"
	ActRate      Action = "rate"
	ActClose     Action = "close"
	ActReopen    Action = "reopen"
	ActMerge     Action = "merge"
	ActSuspend   Action = "suspend"
	ActResume    Action = "resume"
	// ActJoin: another resident joined the report instead of duplicating it.
	ActJoin Action = "join"
	// ActNearDue and ActOverdue are written by the timer runner.
	ActNearDue Action = "near_due"
	ActOverdue Action = "overdue"
)

// rule is one row of the transition table.
type rule struct {
	from []State
	to   State // "" for resume: back to the state before the suspension
}

// transitions is the workflow as a constant table.
var transitions = map[Action]rule{
	ActAccept:    {[]State{StateReported}, StateAccepted},
	ActDispatch:  {[]State{StateAccepted, StateReturned}, StateDispatched},
	ActReassign:  {[]State{StateAccepted, StateDispatched, StateSigned, StateReturned, StateReopened}, StateDispatched},
	ActReturn:    {[]State{StateDispatched, StateSigned, StateOnSite}, StateReturned},
	ActSign:      {[]State{StateDispatched}, StateSigned},
	ActArrive:    {[]State{StateSigned, StateReopened}, StateOnSite},
	ActAgreePlan: {[]State{StateOnSite}, StatePlanAgreed},
	ActResolve:   {[]State{StateSigned, StateOnSite, StatePlanAgreed, StateReopened}, StateResolved},
	ActVerify:    {[]State{StateResolved}, StateVerified},
	ActFollowUp:  {[]State{StateVerified}, StateFollowedUp},
	ActRate:      {[]State{StateFollowedUp}, StateRated},
	ActClose:     {[]State{StateFollowedUp, StateRated}, StateClosed},
	ActReopen:    {[]State{StateResolved, StateVerified, StateFollowedUp, StateRated}, StateReopened},
	ActMerge:     {[]State{StateReported, StateAccepted, StateDispatched, StateSigned, StateReturned}, StateMerged},
	ActSuspend:   {[]State{StateAccepted, StateDispatched, StateSigned, StateOnSite, StatePlanAgreed, StateReturned, StateReopened}, StateSuspended},
	ActResume:    {[]State{StateSuspended}, ""},
}

// Allowed returns the actions possible in state s, for buttons on a page.
func Allowed(s State) []Action {
	var out []Action
	for _, a := range []Action{ActAccept, ActDispatch, ActReassign, ActReturn, ActSign, ActArrive, ActAgreePlan, ActResolve, ActVerify,
		ActFollowUp, ActRate, ActClose, ActReopen, ActMerge, ActSuspend, ActResume} {
		if slices.Contains(transitions[a].from, s) {
			out = append(out, a)
		}
	}
	return out
}

// Channel is how a report came in.
type Channel string

// Channels.
const (
	ChannelResident Channel = "resident" // a resident's phone
	ChannelHotline  Channel = "hotline"  // staff typing a call to the hotline
	ChannelPatrol   Channel = "patrol"   // a grid worker's patrol
	ChannelOpen311  Channel = "open311"  // Open311 GeoReport v2 POST
)

func (c Channel) valid() bool {
	return c == ChannelResident || c == ChannelHotline || c == ChannelPatrol || c == ChannelOpen311
}

// Rating is the reporter's verdict at the follow-up.
type Rating string

// Ratings; the satisfaction rate counts satisfied and basically satisfied.
const (
	RatingSatisfied    Rating = "satisfied"           // 满意
	RatingBasically    Rating = "basically_satisfied" // 基本满意
	RatingDissatisfied Rating = "dissatisfied"        // 不满意
	ratingNone         Rating = ""
)

func (r Rating) valid() bool {
	return r == RatingSatisfied || r == RatingBasically || r == RatingDissatisfied
}

// Case is one report and the work order it became. Contact is always masked.
type Case struct {
	ID          int64
	Category    string
	Policy      string // SLA policy code
	Grade       string // grade of the policy (simple/complex, urgency, subtype)
	State       State
	ResumeState State  // the state to return to while suspended
	PauseReason string // shown to the reporter while suspended
	Channel     Channel
	Description string
	Address     string
	HasLocation bool
	Lon, Lat    float64
	// RegionID and RegionPath are the deepest region containing the point (the
	// grid when there is one); GridID is 0 outside every grid.
	RegionID   int64
	RegionPath string
	GridID     int64
	Department string // handling department code; "" for grid work
	// AssigneeID is the current handler; DispatcherID the dispatcher returns go
	// to; OwnerID the first receiver, who stays responsible (首接负责).
	AssigneeID   int64
	DispatcherID int64
	OwnerID      int64
	RouteNote    string // how the case was routed, in plain words
	ReporterID   int64  // 0 for anonymous and hotline reporters without an account
	ReporterName string
	Anonymous    bool
	Contact      string // masked callback contact
	Photos       []int64
	MergedInto   int64
	Reopens      int
	Rating       Rating
	ReportedAt   time.Time
	AcceptedAt   time.Time
	ResolvedAt   time.Time
	ClosedAt     time.Time
	UpdatedAt    time.Time

	contactEnc  []byte
	contactHash string
}

// Event is one entry of a case's history.
type Event struct {
	ID     int64
	CaseID int64
	Action Action
	From   State
	To     State
	Actor  audit.Actor
	At     time.Time
	Note   string
	Photos []int64
	// Data holds details: the new assignee, the stage of a timer event, who
	// verified, the merge target.
	Data map[string]string
}

// StageClock is the stored clock of one stage of a case.
type StageClock struct {
	CaseID int64
	sla.Clock
	// Cancelled: the stage no longer applies (merged case, reopened follow-up).
	Cancelled bool
}

// Open reports whether the clock still runs or stands paused.
func (c StageClock) Open() bool { return !c.Cancelled && !c.Completed() }

// Overdue reports whether the stage is open and late at now.
func (c StageClock) Overdue(now time.Time) bool {
	return c.Open() && !c.Due.IsZero() && !now.Before(c.Due) && (!c.Paused() || c.Left <= 0)
}

// FollowUp is one follow-up visit or call (回访) with the reporter's rating.
type FollowUp struct {
	ID      int64
	CaseID  int64
	Rating  Rating
	Comment string
	Method  string // phone, visit, online
	Actor   audit.Actor
	At      time.Time
}

// Step is what a person adds to a transition: a note (the reason, where one is
// needed) and photo attachment ids.
type Step struct {
	Note   string
	Photos []int64
}

// machine applies transitions to one case and its clocks, in memory. It is
// the whole workflow; the service loads, applies and saves.
type machine struct {
	c      *Case
	pol    sla.Policy
	eng    sla.Engine
	clocks map[sla.Stage]*StageClock
	dirty  map[sla.Stage]bool
	events []Event
	actor  audit.Actor
	at     time.Time
	warn   error // an unknown calendar year met while computing a due time
}

// stageOrder is the order in which clocks are started and listed.
var stageOrder = []sla.Stage{sla.StageAccept, sla.StageOnSite, sla.StagePlan, sla.StageResolve, sla.StageFollowUp}

func newMachine(c *Case, pol sla.Policy, eng sla.Engine, clocks []StageClock, actor audit.Actor, at time.Time) *machine {
	m := &machine{c: c, pol: pol, eng: eng, clocks: map[sla.Stage]*StageClock{}, dirty: map[sla.Stage]bool{}, actor: actor, at: at}
	for i := range clocks {
		k := clocks[i]
		m.clocks[k.Stage] = &k
	}
	m.eng.Now = func() time.Time { return m.at }
	return m
}

// keep notes an unknown-year warning and turns other errors into failures.
func (m *machine) keep(err error) error {
	if err == nil {
		return nil
	}
	var u *calendar.UnknownYearError
	if errors.As(err, &u) {
		m.warn = err
		return nil
	}
	return fmt.Errorf("case clock: %w", err)
}

// set replaces a stage's clock.
func (m *machine) set(k sla.Clock) {
	m.clocks[k.Stage] = &StageClock{CaseID: m.c.ID, Clock: k}
	m.dirty[k.Stage] = true
}

// start starts the clocks of every stage whose limit counts from anchor. With
// replace false a stage that already has a clock keeps it (a second dispatch,
// a second arrival after reopening).
func (m *machine) start(anchor sla.Anchor, from time.Time, replace bool) error {
	for _, st := range stageOrder {
		l, ok := m.pol.Limit(st, m.c.Grade)
		if !ok || l.From != anchor {
			continue
		}
		if _, has := m.clocks[st]; has && !replace {
			continue
		}
		k, err := m.eng.Start(m.pol, st, m.c.Grade, from)
		if err := m.keep(err); err != nil {
			return err
		}
		m.set(k)
	}
	return nil
}

// complete marks a stage done if its clock is open.
func (m *machine) complete(st sla.Stage) error {
	k, ok := m.clocks[st]
	if !ok || !k.Open() {
		return nil
	}
	c, err := m.eng.Complete(k.Clock)
	if err := m.keep(err); err != nil {
		return err
	}
	k.Clock = c
	m.dirty[st] = true
	return nil
}

func (m *machine) cancel(st sla.Stage) {
	if k, ok := m.clocks[st]; ok && k.Open() {
		k.Cancelled = true
		m.dirty[st] = true
	}
}

// event records a transition (or a timer event) from state from.
func (m *machine) event(a Action, from State, s Step, data map[string]string) {
	m.events = append(m.events, Event{CaseID: m.c.ID, Action: a, From: from, To: m.c.State, Actor: m.actor, At: m.at,
		Note: s.Note, Photos: s.Photos, Data: data})
}

// check returns a clear error when action is not allowed in the case's state.
func (m *machine) check(a Action) (rule, error) {
	r, ok := transitions[a]
	if !ok || !slices.Contains(r.from, m.c.State) {
		return r, fmt.Errorf("%w: cannot %s a case that is %s", ErrIllegalTransition, a, m.c.State)
	}
	return r, nil
}

func needNote(a Action, s Step) error {
	if trimmed(s.Note) == "" {
		return fmt.Errorf("%w: %s needs a reason", ErrInvalid, a)
	}
	return nil
}

// apply runs one transition. Arguments beyond the step travel in args: the
// assignee of dispatch and reassign, "complex" for arrive, the plan's due time,
// the merge target, the rating.
func (m *machine) apply(a Action, s Step, args transitionArgs) error {
	r, err := m.check(a)
	if err != nil {
		return err
	}
	from := m.c.State
	data := map[string]string{}
	switch a {
	case ActAccept:
		if err := m.complete(sla.StageAccept); err != nil {
			return err
		}
		m.c.AcceptedAt = m.at
		if m.c.OwnerID == 0 {
			if m.actor.Kind == audit.ActorUser && m.actor.ID != 0 {
				m.c.OwnerID = m.actor.ID
			} else {
				m.c.OwnerID = m.c.DispatcherID
			}
		}
		if err := m.start(sla.FromAccepted, m.at, false); err != nil {
			return err
		}
	case ActDispatch, ActReassign:
		if a == ActReassign {
			if err := needNote(a, s); err != nil {
				return err
			}
		}
		to := args.assignee
		if to == 0 {
			to = m.c.AssigneeID
		}
		if to == 0 {
			return fmt.Errorf("%w: %s needs an assignee", ErrInvalid, a)
		}
		if a == ActReassign && to == m.c.AssigneeID {
			return fmt.Errorf("%w: the case is already assigned to user %d", ErrInvalid, to)
		}
		data["from_assignee"] = itoa(m.c.AssigneeID)
		data["assignee"] = itoa(to)
		m.c.AssigneeID = to
		if err := m.start(sla.FromDispatched, m.at, false); err != nil {
			return err
		}
	case ActReturn:
		if err := needNote(a, s); err != nil {
			return err
		}
		data["from_assignee"] = itoa(m.c.AssigneeID)
		if m.c.DispatcherID != 0 {
			m.c.AssigneeID = m.c.DispatcherID
		}
		data["assignee"] = itoa(m.c.AssigneeID)
	case ActArrive:
		if from == StateSigned {
			if args.complex {
				if _, ok := m.pol.Limit(sla.StagePlan, sla.GradeComplex); !ok {
					return fmt.Errorf("%w: policy %s has no plan stage for complex problems", ErrInvalid, m.pol.Code)
				}
				m.c.Grade = sla.GradeComplex
				data["grade"] = sla.GradeComplex
			}
			if err := m.complete(sla.StageOnSite); err != nil {
				return err
			}
			if err := m.start(sla.FromOnSite, m.at, false); err != nil {
				return err
			}
		}
	case ActAgreePlan:
		if m.c.Grade != sla.GradeComplex {
			return fmt.Errorf("%w: only a complex problem gets a plan; this case is %q", ErrInvalid, m.c.Grade)
		}
		if !args.due.After(m.at) {
			return fmt.Errorf("%w: the plan needs a fixing date after now", ErrInvalid)
		}
		if err := m.complete(sla.StagePlan); err != nil {
			return err
		}
		k, err := m.eng.StartFixed(sla.StageResolve, m.at, args.due, m.pol.NearDue)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		k.Policy, k.Version = m.pol.Code, m.pol.Version
		m.set(k)
		data["due"] = args.due.UTC().Format(time.RFC3339)
	case ActResolve:
		for _, st := range []sla.Stage{sla.StageOnSite, sla.StagePlan, sla.StageResolve} {
			if err := m.complete(st); err != nil {
				return err
			}
		}
		m.c.ResolvedAt = m.at
		if err := m.start(sla.FromResolved, m.at, true); err != nil {
			return err
		}
	case ActVerify:
		data["by"] = args.by
	case ActFollowUp:
		if err := m.complete(sla.StageFollowUp); err != nil {
			return err
		}
	case ActRate:
		if !args.rating.valid() {
			return fmt.Errorf("%w: rating %q is not satisfied, basically_satisfied or dissatisfied", ErrInvalid, args.rating)
		}
		m.c.Rating = args.rating
		data["rating"] = string(args.rating)
	case ActClose:
		m.c.ClosedAt = m.at
	case ActReopen:
		k, ok := m.clocks[sla.StageResolve]
		if ok && k.Completed() && !k.Cancelled {
			c, err := m.eng.Reopen(k.Clock)
			if err := m.keep(err); err != nil {
				return err
			}
			k.Clock = c
			m.dirty[sla.StageResolve] = true
		}
		m.cancel(sla.StageFollowUp)
		if f, ok := m.clocks[sla.StageFollowUp]; ok && !f.Cancelled {
			f.Cancelled = true
			m.dirty[sla.StageFollowUp] = true
		}
		m.c.Reopens++
		m.c.Rating = ratingNone
		m.c.ResolvedAt = time.Time{}
	case ActMerge:
		if args.into == 0 || args.into == m.c.ID {
			return fmt.Errorf("%w: merge needs another case", ErrInvalid)
		}
		m.c.MergedInto = args.into
		data["into"] = itoa(args.into)
		for _, st := range stageOrder {
			m.cancel(st)
		}
		m.c.ClosedAt = m.at
	case ActSuspend:
		if err := needNote(a, s); err != nil {
			return err
		}
		for _, st := range stageOrder {
			k, ok := m.clocks[st]
			if !ok || !k.Open() || k.Paused() {
				continue
			}
			c, err := m.eng.Pause(k.Clock, s.Note)
			if err := m.keep(err); err != nil {
				return err
			}
			k.Clock = c
			m.dirty[st] = true
		}
		m.c.ResumeState, m.c.PauseReason = from, s.Note
	case ActResume:
		for _, st := range stageOrder {
			k, ok := m.clocks[st]
			if !ok || !k.Open() || !k.Paused() {
				continue
			}
			c, err := m.eng.Resume(k.Clock)
			if err := m.keep(err); err != nil {
				return err
			}
			k.Clock = c
			m.dirty[st] = true
		}
	}
	if r.to == "" {
		m.c.State, m.c.ResumeState, m.c.PauseReason = m.c.ResumeState, "", ""
	} else {
		m.c.State = r.to
	}
	m.c.UpdatedAt = m.at
	if len(data) == 0 {
		data = nil
	}
	m.event(a, from, s, data)
	return nil
}

// report starts a new case's clocks and records the report event.
func (m *machine) report(s Step) error {
	m.c.State = StateReported
	if err := m.start(sla.FromReported, m.c.ReportedAt, true); err != nil {
		return err
	}
	m.c.UpdatedAt = m.at
	m.event(ActReport, "", s, nil)
	return nil
}

// tick checks every clock at now and records the events they ask to send.
func (m *machine) tick(now time.Time) []sla.Event {
	var out []sla.Event
	for _, st := range stageOrder {
		k, ok := m.clocks[st]
		if !ok || k.Cancelled {
			continue
		}
		for {
			c, evs := k.Check(now)
			if len(evs) == 0 {
				break
			}
			k.Clock = c
			m.dirty[st] = true
			for _, ev := range evs {
				out = append(out, ev)
				m.events = append(m.events, timerEvent(m.c, ev))
			}
		}
	}
	return out
}

// timerEvent is the case event of a clock's near-due or overdue event.
func timerEvent(c *Case, ev sla.Event) Event {
	a := ActNearDue
	if ev.Kind == sla.Overdue {
		a = ActOverdue
	}
	return Event{CaseID: c.ID, Action: a, From: c.State, To: c.State, Actor: audit.System("timer"), At: ev.At,
		Data: map[string]string{"stage": string(ev.Stage), "due": ev.Due.UTC().Format(time.RFC3339)}}
}

// transitionArgs carries the action-specific arguments of apply.
type transitionArgs struct {
	assignee int64
	complex  bool
	due      time.Time
	into     int64
	rating   Rating
	by       string
}
