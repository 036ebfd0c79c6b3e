package sla

import (
	"errors"
	"testing"
	"time"

	"github.com/gengxin/gengxin/internal/calendar"
)

// fakeClock is the injected clock of the tests.
type fakeClock struct{ now time.Time }

func (f *fakeClock) set(t *testing.T, s string) time.Time {
	t.Helper()
	f.now = at(t, s)
	return f.now
}

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Shanghai())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func newEngine() (Engine, *fakeClock) {
	f := &fakeClock{}
	return Engine{Calendar: calendar.Default(), Now: func() time.Time { return f.now }}, f
}

func mustDue(t *testing.T, c Clock, want string) {
	t.Helper()
	if !c.Due.Equal(at(t, want)) {
		t.Errorf("%s due %s, want %s", c.Stage, c.Due.Format("2006-01-02 15:04 Mon"), want)
	}
}

func TestBuiltinPolicies(t *testing.T) {
	for _, p := range Builtin() {
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", p.Code, err)
		}
	}
	bad := []Policy{
		{},
		{Code: "x", Reopen: "forget"},
		{Code: "x", Reopen: ReopenRestart, Limits: []Limit{{Stage: StageAccept, From: FromReported, Basis: Wall}}},
		{Code: "x", Reopen: ReopenRestart, Limits: []Limit{{Stage: StageAccept, From: FromReported, Basis: WorkingDays, Duration: time.Hour}}},
		{Code: "x", Reopen: ReopenRestart, Limits: []Limit{{Stage: StageAccept, From: FromReported, Basis: "lunar", Duration: time.Hour}}},
		{Code: "x", Reopen: ReopenRestart, Limits: []Limit{{Stage: StageAccept, From: FromReported, Grade: "vip", Basis: Wall, Duration: time.Hour}}},
		{Code: "x", Reopen: ReopenRestart, Limits: []Limit{
			{Stage: StageAccept, From: FromReported, Basis: Wall, Duration: time.Hour},
			{Stage: StageAccept, From: FromReported, Basis: Wall, Duration: 2 * time.Hour},
		}},
	}
	for i, p := range bad {
		if err := p.Validate(); err == nil {
			t.Errorf("bad policy %d accepted", i)
		}
	}
}

// Test12345Graded: a case accepted on Fri 2026-02-13 at 10:00, just before the
// Spring Festival; 12345 counts wall-clock time, holidays included.
func Test12345Graded(t *testing.T) {
	e, f := newEngine()
	f.set(t, "2026-02-13 10:00")
	p := Policy12345()
	cases := []struct {
		grade, want string
	}{
		{GradeEmergency, "2026-02-13 12:00"},
		{GradeUtility, "2026-02-14 10:00"},
		{GradeGeneral, "2026-02-20 10:00"},
		{GradeComplex, "2026-02-28 10:00"},
	}
	for _, tc := range cases {
		c, err := e.Start(p, StageResolve, tc.grade, f.now)
		if err != nil {
			t.Fatal(err)
		}
		mustDue(t, c, tc.want)
	}
	c, err := e.Start(p, StageAccept, GradeGeneral, at(t, "2026-02-13 09:30"))
	if err != nil {
		t.Fatal(err)
	}
	mustDue(t, c, "2026-02-13 11:30") // a web report is accepted within 2 h
	if _, err := e.Start(p, StagePlan, GradeGeneral, f.now); !errors.Is(err, ErrNoLimit) {
		t.Errorf("12345 has no plan stage: %v", err)
	}
}

// TestCityManagement counts working time on the calendar.
func TestCityManagement(t *testing.T) {
	e, _ := newEngine()
	p := PolicyCityManagement()
	cases := []struct {
		subtype, start, want string
	}{
		// 2 working hours from Mon 2025-03-03 11:00: 1 h before lunch, 1 h from 13:30.
		{SubtypeExposedWaste, "2025-03-03 11:00", "2025-03-03 14:30"},
		// 1 working hour from Fri 2025-03-07 17:00: 30 min, then Mon 08:30–09:00.
		{SubtypeManholeMissing, "2025-03-07 17:00", "2025-03-10 09:00"},
		// 5 working days from Thu 2026-02-12 10:00: Fri 13, Sat 14 (make-up),
		// Feb 15–23 off, Tue 24, Wed 25, Thu 26.
		{SubtypeIllegalStructure, "2026-02-12 10:00", "2026-02-26 10:00"},
	}
	for _, tc := range cases {
		c, err := e.Start(p, StageResolve, tc.subtype, at(t, tc.start))
		if err != nil {
			t.Fatal(err)
		}
		mustDue(t, c, tc.want)
	}
	// A deadline running into 2027, which has no schedule yet: a usable clock and a warning.
	c, err := e.Start(p, StageResolve, SubtypeExposedWaste, at(t, "2026-12-31 17:00"))
	var u *calendar.UnknownYearError
	if !errors.As(err, &u) || c.Due.IsZero() {
		t.Errorf("into 2027: %+v, %v; want a clock with a warning", c, err)
	}
}

// Test54321Chain follows a simple and a complex case through the chain of
// 54321 deadlines; every deadline counts from the step before it, in wall-clock
// time.
func Test54321Chain(t *testing.T) {
	e, f := newEngine()
	p := Policy54321()

	// Simple: reported Tue 2025-06-10 09:00.
	accept, _ := e.Start(p, StageAccept, GradeSimple, f.set(t, "2025-06-10 09:00"))
	mustDue(t, accept, "2025-06-10 09:05")
	f.set(t, "2025-06-10 09:03")
	accept, _ = e.Complete(accept)
	onSite, _ := e.Start(p, StageOnSite, GradeSimple, f.now)
	mustDue(t, onSite, "2025-06-10 09:43")
	f.set(t, "2025-06-10 09:30")
	onSite, _ = e.Complete(onSite)
	resolve, _ := e.Start(p, StageResolve, GradeSimple, f.now)
	mustDue(t, resolve, "2025-06-10 12:30") // wall clock: lunch counts
	f.set(t, "2025-06-10 11:45")
	resolve, _ = e.Complete(resolve)
	follow, _ := e.Start(p, StageFollowUp, GradeSimple, f.now)
	mustDue(t, follow, "2025-06-17 11:45")
	if !accept.Met() || !onSite.Met() || !resolve.Met() {
		t.Error("every stage of the simple case was on time")
	}
	if _, err := e.Start(p, StagePlan, GradeSimple, f.now); !errors.Is(err, ErrNoLimit) {
		t.Errorf("a simple case has no plan deadline: %v", err)
	}

	// Complex: reported Fri 2025-09-26 16:00; weekends count in wall-clock time.
	accept, _ = e.Start(p, StageAccept, GradeComplex, f.set(t, "2025-09-26 16:00"))
	mustDue(t, accept, "2025-09-26 16:05")
	f.set(t, "2025-09-26 16:07") // registered 2 minutes late
	accept, _ = e.Complete(accept)
	if accept.Met() {
		t.Error("registration at 16:07 missed 16:05")
	}
	onSite, _ = e.Start(p, StageOnSite, GradeComplex, f.now)
	mustDue(t, onSite, "2025-09-26 16:47")
	f.set(t, "2025-09-26 16:40")
	onSite, _ = e.Complete(onSite)
	plan, _ := e.Start(p, StagePlan, GradeComplex, f.now)
	mustDue(t, plan, "2025-09-28 16:40")
	if _, err := e.Start(p, StageResolve, GradeComplex, f.now); !errors.Is(err, ErrNoLimit) {
		t.Errorf("a complex case is fixed by the date in its plan: %v", err)
	}
	f.set(t, "2025-09-28 10:00")
	plan, _ = e.Complete(plan)
	fix, err := e.StartFixed(StageResolve, f.now, at(t, "2025-10-20 17:00"), p.NearDue)
	if err != nil {
		t.Fatal(err)
	}
	mustDue(t, fix, "2025-10-20 17:00")
	f.set(t, "2025-10-15 15:00")
	fix, _ = e.Complete(fix)
	follow, _ = e.Start(p, StageFollowUp, GradeComplex, f.now)
	mustDue(t, follow, "2025-10-22 15:00")
	if !plan.Met() || !fix.Met() {
		t.Error("plan and fix were on time")
	}
	if _, err := e.StartFixed(StageResolve, f.now, f.now, 0); err == nil {
		t.Error("an agreed due time must lie after the start")
	}
}

// TestPauseResume: a 54321 on-site clock paused while the resident is away.
func TestPauseResume(t *testing.T) {
	e, f := newEngine()
	c, _ := e.Start(Policy54321(), StageOnSite, GradeSimple, f.set(t, "2025-06-10 10:00"))
	mustDue(t, c, "2025-06-10 10:40")
	f.set(t, "2025-06-10 10:10")
	if _, err := e.Pause(c, ""); !errors.Is(err, ErrNoReason) {
		t.Errorf("pause without a reason: %v", err)
	}
	if _, err := e.Resume(c); !errors.Is(err, ErrState) {
		t.Errorf("resume a running clock: %v", err)
	}
	c, err := e.Pause(c, "居民不在家 resident not at home")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Paused() || c.PauseReason() != "居民不在家 resident not at home" || c.Left != 30*time.Minute {
		t.Errorf("paused clock: %+v", c)
	}
	if _, err := e.Pause(c, "again"); !errors.Is(err, ErrState) {
		t.Errorf("pause a paused clock: %v", err)
	}
	// While paused nothing fires, though the old due time passes.
	f.set(t, "2025-06-10 11:00")
	if _, ev := e.Check(c); len(ev) != 0 {
		t.Errorf("paused clock emitted %v", ev)
	}
	if _, ok := c.NextCheck(); ok {
		t.Error("a paused clock needs no timer")
	}
	c, err = e.Resume(c)
	if err != nil {
		t.Fatal(err)
	}
	mustDue(t, c, "2025-06-10 11:30") // the 30 minutes left continue from 11:00
	if c.Paused() || c.PauseReason() != "" || len(c.Pauses) != 1 || !c.Pauses[0].To.Equal(f.now) {
		t.Errorf("resumed clock: %+v", c)
	}
}

// TestPauseAcrossHoliday: an exposed-waste case (2 working hours) dispatched on
// Tue 2026-09-29 16:00 is due Wed Sep 30 09:00 (1.5 h on Tuesday, 30 min on
// Wednesday). Paused Tue 17:00 with 1 h of working time left (30 min Tuesday, 30
// min Wednesday) and resumed on Thu Oct 8 10:00 after the National Day holiday
// (Oct 1–7): due 11:00 the same day.
func TestPauseAcrossHoliday(t *testing.T) {
	e, f := newEngine()
	c, _ := e.Start(PolicyCityManagement(), StageResolve, SubtypeExposedWaste, f.set(t, "2026-09-29 16:00"))
	mustDue(t, c, "2026-09-30 09:00")
	f.set(t, "2026-09-29 17:00")
	c, err := e.Pause(c, "waiting for the sanitation truck")
	if err != nil || c.Left != time.Hour {
		t.Fatalf("pause: %v, left %v", err, c.Left)
	}
	f.set(t, "2026-10-08 10:00")
	c, err = e.Resume(c)
	if err != nil {
		t.Fatal(err)
	}
	mustDue(t, c, "2026-10-08 11:00")

	// The same with a resumption before work starts on Sat Oct 10 (a make-up workday).
	c, _ = e.Start(PolicyCityManagement(), StageResolve, SubtypeManholeMissing, f.set(t, "2026-10-09 17:00"))
	mustDue(t, c, "2026-10-10 09:00")
	f.set(t, "2026-10-09 17:15") // 15 min left on Friday, 30 on Saturday
	c, _ = e.Pause(c, "road closed")
	f.set(t, "2026-10-10 07:00")
	c, _ = e.Resume(c)
	mustDue(t, c, "2026-10-10 09:15")
}

// TestEventsOnce: near-due (15 minutes before) and overdue are each sent once.
func TestEventsOnce(t *testing.T) {
	e, f := newEngine()
	c, _ := e.Start(Policy54321(), StageResolve, GradeSimple, f.set(t, "2025-06-10 09:30"))
	mustDue(t, c, "2025-06-10 12:30")
	if next, ok := c.NextCheck(); !ok || !next.Equal(at(t, "2025-06-10 12:15")) {
		t.Errorf("next check %s", next)
	}
	var sent []EventKind
	for _, now := range []string{"2025-06-10 11:00", "2025-06-10 12:14", "2025-06-10 12:15", "2025-06-10 12:20", "2025-06-10 12:29", "2025-06-10 12:30", "2025-06-10 12:45", "2025-06-10 18:00"} {
		f.set(t, now)
		var ev []Event
		c, ev = e.Check(c)
		for _, x := range ev {
			sent = append(sent, x.Kind)
			if x.Stage != StageResolve || !x.Due.Equal(c.Due) {
				t.Errorf("event %+v", x)
			}
		}
		if now == "2025-06-10 12:15" && (len(ev) != 1 || ev[0].Kind != NearDue) {
			t.Errorf("at 12:15: %v", ev)
		}
		if now == "2025-06-10 12:30" && (len(ev) != 1 || ev[0].Kind != Overdue) {
			t.Errorf("at 12:30: %v", ev)
		}
	}
	if len(sent) != 2 || sent[0] != NearDue || sent[1] != Overdue {
		t.Errorf("sent %v, want near_due then overdue", sent)
	}
	if _, ok := c.NextCheck(); ok {
		t.Error("nothing left to send")
	}

	// A check that comes only after the due time sends overdue alone.
	c, _ = e.Start(Policy54321(), StageOnSite, GradeSimple, f.set(t, "2025-06-10 09:00"))
	f.set(t, "2025-06-10 10:00")
	c, ev := e.Check(c)
	if len(ev) != 1 || ev[0].Kind != Overdue {
		t.Errorf("late check: %v", ev)
	}
	if _, ev = e.Check(c); len(ev) != 0 {
		t.Errorf("second late check: %v", ev)
	}

	// A completed stage sends nothing.
	c, _ = e.Start(Policy54321(), StageOnSite, GradeSimple, f.set(t, "2025-06-10 09:00"))
	f.set(t, "2025-06-10 09:20")
	c, _ = e.Complete(c)
	f.set(t, "2025-06-10 12:00")
	if _, ev = e.Check(c); len(ev) != 0 {
		t.Errorf("completed clock: %v", ev)
	}

	// Near-due is armed again when a pause ends.
	c, _ = e.Start(Policy54321(), StageOnSite, GradeSimple, f.set(t, "2025-06-10 09:00"))
	f.set(t, "2025-06-10 09:30")
	c, ev = e.Check(c)
	if len(ev) != 1 || ev[0].Kind != NearDue {
		t.Fatalf("near due at 09:30: %v", ev)
	}
	f.set(t, "2025-06-10 09:35")
	c, _ = e.Pause(c, "waiting for the key")
	f.set(t, "2025-06-11 09:00")
	c, _ = e.Resume(c)
	mustDue(t, c, "2025-06-11 09:05")
	if c, ev = e.Check(c); len(ev) != 1 || ev[0].Kind != NearDue {
		t.Errorf("after resuming with 5 minutes left: %v", ev)
	}
	f.set(t, "2025-06-11 09:05")
	if _, ev = e.Check(c); len(ev) != 1 || ev[0].Kind != Overdue {
		t.Errorf("overdue after resuming: %v", ev)
	}
}

// TestOverduePause: pausing an overdue stage does not make it on time again.
func TestOverduePause(t *testing.T) {
	e, f := newEngine()
	c, _ := e.Start(Policy54321(), StageOnSite, GradeSimple, f.set(t, "2025-06-10 09:00"))
	f.set(t, "2025-06-10 10:00")
	c, _ = e.Check(c)
	c, _ = e.Pause(c, "waiting for parts")
	f.set(t, "2025-06-12 10:00")
	c, _ = e.Resume(c)
	mustDue(t, c, "2025-06-10 09:40")
	if _, ev := e.Check(c); len(ev) != 0 {
		t.Errorf("overdue was already sent: %v", ev)
	}
	c, _ = e.Complete(c)
	if c.Met() {
		t.Error("a late stage stays late")
	}
}

// TestReopen: the reporter reopens a resolved case. Under the built-in policies
// the resolve stage starts again with its full limit from the reopening.
func TestReopen(t *testing.T) {
	e, f := newEngine()
	c, _ := e.Start(Policy54321(), StageResolve, GradeSimple, f.set(t, "2025-06-10 09:30"))
	if _, err := e.Reopen(c); !errors.Is(err, ErrState) {
		t.Errorf("reopen an open stage: %v", err)
	}
	f.set(t, "2025-06-10 12:20")
	c, _ = e.Check(c) // near-due sent at 12:20
	f.set(t, "2025-06-10 12:25")
	c, _ = e.Complete(c)
	if !c.Met() {
		t.Error("resolved in time")
	}
	if _, err := e.Complete(c); !errors.Is(err, ErrState) {
		t.Errorf("complete twice: %v", err)
	}
	f.set(t, "2025-06-12 10:00")
	c, err := e.Reopen(c)
	if err != nil {
		t.Fatal(err)
	}
	mustDue(t, c, "2025-06-12 13:00")
	if c.Completed() || c.Reopens != 1 || !c.Started.Equal(f.now) {
		t.Errorf("reopened clock: %+v", c)
	}
	f.set(t, "2025-06-12 12:50")
	if _, ev := e.Check(c); len(ev) != 1 || ev[0].Kind != NearDue {
		t.Errorf("near-due is armed again after reopening: %v", ev)
	}

	// Working-time reopening: an exposed-waste case resolved, then reopened
	// on the last working afternoon before the 2026 Spring Festival (Sat Feb 14,
	// a make-up workday) at 16:30: 1 h that day, 1 h from 08:30 on Tue Feb 24.
	c, _ = e.Start(PolicyCityManagement(), StageResolve, SubtypeExposedWaste, f.set(t, "2026-02-13 09:00"))
	f.set(t, "2026-02-13 10:00")
	c, _ = e.Complete(c)
	f.set(t, "2026-02-14 16:30")
	c, _ = e.Reopen(c)
	mustDue(t, c, "2026-02-24 09:30")

	// A policy that resumes instead: the 30 minutes left at 12:00 continue.
	p := Policy54321()
	p.Reopen = ReopenResume
	c, _ = e.Start(p, StageResolve, GradeSimple, f.set(t, "2025-06-10 09:30"))
	f.set(t, "2025-06-10 12:00")
	c, _ = e.Complete(c)
	f.set(t, "2025-06-11 08:00")
	c, _ = e.Reopen(c)
	mustDue(t, c, "2025-06-11 08:30")
}
