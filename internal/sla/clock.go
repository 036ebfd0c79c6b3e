package sla

import (
	"errors"
	"fmt"
	"time"

	"github.com/gengxin/gengxin/internal/calendar"
)

// Errors of clock operations.
var (
	// ErrNoLimit: the policy sets no deadline for that stage and grade.
	ErrNoLimit = errors.New("sla: the policy has no deadline for this stage")
	// ErrNoReason: a pause needs a reason the reporter can read.
	ErrNoReason = errors.New("sla: a pause needs a reason")
	// ErrState: the operation does not fit the clock's state (pausing a paused
	// or completed clock, resuming a running one, reopening an open one).
	ErrState = errors.New("sla: not possible in the clock's current state")
)

// EventKind names an event a clock asks to send.
type EventKind string

// Event kinds; both go to the assignee and their supervisor.
const (
	NearDue EventKind = "near_due"
	Overdue EventKind = "overdue"
)

// Event is a notification a clock asks to send.
type Event struct {
	Kind  EventKind
	Stage Stage
	Due   time.Time
	// At is when the event became due: the near-due threshold or the due time.
	At time.Time
}

// Pause is one stretch during which a clock stood still.
type Pause struct {
	From time.Time
	// To is zero while the pause lasts.
	To time.Time
	// Reason is shown to the reporter.
	Reason string
}

// Clock is the deadline of one stage of one case. It is a plain value: the
// caller stores it and passes it to the Engine, which returns the changed copy.
type Clock struct {
	Stage   Stage
	Policy  string // policy code
	Version string // policy version
	Limit   Limit
	NearDue time.Duration
	Reopen  ReopenRule
	// Started is when the clock started (or restarted on reopening).
	Started time.Time
	// Due is the current due time; it moves when a pause ends.
	Due time.Time
	// Left is the time that was left when the clock was paused or completed:
	// wall-clock time for Wall limits, working time otherwise. Negative when late.
	Left time.Duration
	// Pauses lists every pause; the last one is open while the clock is paused.
	Pauses []Pause
	// Done is when the stage was completed; zero while it is open.
	Done time.Time
	// Reopens counts how often the reporter reopened the stage.
	Reopens int
	// NearDueSent and OverdueSent record the events already emitted.
	NearDueSent, OverdueSent bool
}

// Paused reports whether the clock stands still.
func (c Clock) Paused() bool {
	return len(c.Pauses) > 0 && c.Pauses[len(c.Pauses)-1].To.IsZero()
}

// PauseReason returns the reason of the current pause, for the reporter; empty
// when the clock runs.
func (c Clock) PauseReason() string {
	if !c.Paused() {
		return ""
	}
	return c.Pauses[len(c.Pauses)-1].Reason
}

// Completed reports whether the stage is done.
func (c Clock) Completed() bool { return !c.Done.IsZero() }

// Met reports whether the stage was completed by its due time.
func (c Clock) Met() bool { return c.Completed() && !c.Done.After(c.Due) }

// Check returns the events the clock asks to send at now, and the clock with
// them marked as sent, so each is sent once. Nothing is sent while the clock is
// paused or after the stage is done. Near-due fires NearDue before the due time;
// overdue fires once the due time has come. If a check comes only after the due
// time (the server was down), only the overdue event is sent.
func (c Clock) Check(now time.Time) (Clock, []Event) {
	if c.Completed() || c.Paused() || c.Due.IsZero() {
		return c, nil
	}
	if !c.OverdueSent && !now.Before(c.Due) {
		c.OverdueSent, c.NearDueSent = true, true
		return c, []Event{{Kind: Overdue, Stage: c.Stage, Due: c.Due, At: c.Due}}
	}
	if near := c.Due.Add(-c.NearDue); !c.NearDueSent && !now.Before(near) {
		c.NearDueSent = true
		return c, []Event{{Kind: NearDue, Stage: c.Stage, Due: c.Due, At: near}}
	}
	return c, nil
}

// NextCheck returns when Check will next have something to send, for a stored
// timer; false when nothing is pending (paused, done, or both events sent).
func (c Clock) NextCheck() (time.Time, bool) {
	switch {
	case c.Completed() || c.Paused() || c.Due.IsZero():
		return time.Time{}, false
	case !c.NearDueSent:
		return c.Due.Add(-c.NearDue), true
	case !c.OverdueSent:
		return c.Due, true
	}
	return time.Time{}, false
}

// Engine runs clocks on a working calendar with an injected clock.
type Engine struct {
	Calendar *calendar.Calendar
	Now      func() time.Time
}

// usable reports whether err leaves a usable value (nil or an unknown-year
// warning).
func usable(err error) bool {
	var u *calendar.UnknownYearError
	return err == nil || errors.As(err, &u)
}

// Start starts the clock of a stage at start, the time of the event the
// policy's limit counts from (the report time for registration, which may lie
// before now for hotline entries typed in later). ErrNoLimit if the policy has
// no deadline for the stage and grade.
func (e Engine) Start(p Policy, stage Stage, grade string, start time.Time) (Clock, error) {
	l, ok := p.Limit(stage, grade)
	if !ok {
		return Clock{}, fmt.Errorf("%w: %s %s for grade %q", ErrNoLimit, p.Code, stage, grade)
	}
	due, err := l.Due(e.Calendar, start)
	if !usable(err) {
		return Clock{}, err
	}
	return Clock{Stage: stage, Policy: p.Code, Version: p.Version, Limit: l, NearDue: p.NearDue, Reopen: p.Reopen, Started: start, Due: due}, err
}

// StartFixed starts a clock whose due time was agreed rather than computed,
// such as the fixing date in the plan for a complex problem. It counts in
// wall-clock time and warns nearDue before the due time.
func (e Engine) StartFixed(stage Stage, start, due time.Time, nearDue time.Duration) (Clock, error) {
	if !due.After(start) {
		return Clock{}, fmt.Errorf("%w: the agreed due time %s is not after %s", calendar.ErrDuration, due.Format(time.RFC3339), start.Format(time.RFC3339))
	}
	l := Limit{Stage: stage, From: FromOnSite, Basis: Wall, Duration: due.Sub(start)}
	return Clock{Stage: stage, Limit: l, NearDue: nearDue, Reopen: ReopenRestart, Started: start, Due: due}, nil
}

// left returns the time left from at to the due time on the limit's basis.
func (e Engine) left(c Clock, at time.Time) (time.Duration, error) {
	if c.Limit.Basis == Wall {
		return c.Due.Sub(at), nil
	}
	return e.Calendar.WorkingBetween(at, c.Due)
}

// extend returns the due time when left is counted from at on the limit's
// basis. When nothing is left the stage is already late, and the due time is at.
func (e Engine) extend(c Clock, at time.Time, left time.Duration) (time.Time, error) {
	switch {
	case left <= 0:
		return at, nil
	case c.Limit.Basis == Wall:
		return at.Add(left), nil
	}
	return e.Calendar.AddWorking(at, left)
}

// Pause stops the clock now with a reason the reporter sees. The time left is
// kept: wall-clock time for wall limits, working time for working-time limits.
func (e Engine) Pause(c Clock, reason string) (Clock, error) {
	if reason == "" {
		return c, ErrNoReason
	}
	if c.Paused() || c.Completed() {
		return c, fmt.Errorf("%w: pause a %s clock", ErrState, c.state())
	}
	now := e.Now()
	left, err := e.left(c, now)
	if !usable(err) {
		return c, err
	}
	c.Pauses = append(c.Pauses[:len(c.Pauses):len(c.Pauses)], Pause{From: now, Reason: reason})
	c.Left = left
	return c, err
}

// Resume starts a paused clock again now with the time that was left: for a
// working-time limit the remaining working time is counted from now, so a pause
// across a holiday costs nothing. A clock paused after its due time stays
// overdue (its due time is left unchanged). Resuming arms the near-due event
// again, unless the stage is already overdue.
func (e Engine) Resume(c Clock) (Clock, error) {
	if !c.Paused() {
		return c, fmt.Errorf("%w: resume a %s clock", ErrState, c.state())
	}
	now := e.Now()
	pauses := append([]Pause(nil), c.Pauses...)
	pauses[len(pauses)-1].To = now
	c.Pauses = pauses
	if c.Left <= 0 {
		c.Left = 0
		return c, nil
	}
	due, err := e.extend(c, now, c.Left)
	if !usable(err) {
		return c, err
	}
	c.Due, c.Left = due, 0
	if !c.OverdueSent {
		c.NearDueSent = false
	}
	return c, err
}

// Complete marks the stage done now; Met then tells whether it was on time.
// Completing a paused clock ends the pause.
func (e Engine) Complete(c Clock) (Clock, error) {
	if c.Completed() {
		return c, fmt.Errorf("%w: complete a %s clock", ErrState, c.state())
	}
	now := e.Now()
	var err error
	if c.Paused() {
		pauses := append([]Pause(nil), c.Pauses...)
		pauses[len(pauses)-1].To = now
		c.Pauses = pauses
	} else {
		c.Left, err = e.left(c, now)
		if !usable(err) {
			return c, err
		}
	}
	c.Done = now
	return c, err
}

// Reopen reopens a completed stage now, when the reporter says the problem is
// not fixed. Under ReopenRestart (the built-in policies) the stage gets its full
// limit again, counted from the reopening, and both events are armed again;
// under ReopenResume the time left at completion continues from now (a stage
// completed late is due at once). The reopening is counted in Reopens; that it
// counts against the resolution rate is for the KPIs, not the clock.
func (e Engine) Reopen(c Clock) (Clock, error) {
	if !c.Completed() {
		return c, fmt.Errorf("%w: reopen a %s clock", ErrState, c.state())
	}
	now := e.Now()
	c.Done, c.Reopens = time.Time{}, c.Reopens+1
	c.NearDueSent, c.OverdueSent = false, false
	var (
		due time.Time
		err error
	)
	switch c.Reopen {
	case ReopenResume:
		due, err = e.extend(c, now, c.Left)
	default:
		c.Started = now
		due, err = c.Limit.Due(e.Calendar, now)
	}
	if !usable(err) {
		return c, err
	}
	c.Due, c.Left = due, 0
	return c, err
}

// Check returns the events to send now (see Clock.Check).
func (e Engine) Check(c Clock) (Clock, []Event) { return c.Check(e.Now()) }

func (c Clock) state() string {
	switch {
	case c.Completed():
		return "completed"
	case c.Paused():
		return "paused"
	}
	return "running"
}
