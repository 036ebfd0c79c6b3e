// Package sla holds the deadline rules for cases (service-level policies) and the
// clocks that run for each stage of a case. It is pure: no database, no system
// clock. Policies are data; a Clock is a value that the caller stores and passes
// back; the Engine takes the current time from an injected function.
//
// Three policies are built in (domain rules §5): the Changzhou "54321" promise
// counted in wall-clock time, Beijing's 12345 graded deadlines, and per-subtype
// working-time limits for digital city-management events counted on the working
// calendar (internal/calendar). Deployments configure their own values.
//
// Deadlines of working-time policies that touch a year without a holiday schedule
// come with a *calendar.UnknownYearError next to a usable value, following the
// convention of package calendar: the caller decides how loudly to warn.
package sla

import (
	"errors"
	"fmt"
	"time"

	"github.com/gengxin/gengxin/internal/calendar"
)

// Basis says how a limit's time is counted.
type Basis string

// Bases.
const (
	// Wall counts every hour, nights and holidays included (54321, 12345).
	Wall Basis = "wall"
	// WorkingTime counts only the working hours of working days.
	WorkingTime Basis = "working"
	// WorkingDays counts whole working days: n days of working time
	// (calendar.Calendar.AddWorkingDays).
	WorkingDays Basis = "working_days"
)

// Stage is a step of a case that has a deadline.
type Stage string

// Stages with deadlines, in workflow order.
const (
	StageAccept   Stage = "accept"    // registered (受理登记)
	StageOnSite   Stage = "on_site"   // the handler arrives on site
	StageResolve  Stage = "resolve"   // the problem is fixed
	StagePlan     Stage = "plan"      // a plan for a complex problem is given
	StageFollowUp Stage = "follow_up" // the reporter is visited or called again (回访)
)

// Anchor is the event of a case a deadline counts from.
type Anchor string

// Anchors.
const (
	FromReported   Anchor = "reported"
	FromAccepted   Anchor = "accepted"
	FromDispatched Anchor = "dispatched"
	FromOnSite     Anchor = "on_site"
	FromResolved   Anchor = "resolved"
)

// Limit is the time allowed for one stage.
type Limit struct {
	Stage Stage
	// From names the event whose time starts the clock; the case workflow starts
	// the stage's clock when that event happens.
	From Anchor
	// Grade limits the rule to cases of one grade (urgency, complexity or
	// city-management subtype); empty means every grade.
	Grade string
	Basis Basis
	// Duration is the time allowed for Wall and WorkingTime limits.
	Duration time.Duration
	// Days is the number of working days for WorkingDays limits.
	Days int
}

// String describes the limit: "40m0s wall-clock", "2h0m0s of working time",
// "5 working days".
func (l Limit) String() string {
	switch l.Basis {
	case WorkingTime:
		return l.Duration.String() + " of working time"
	case WorkingDays:
		return fmt.Sprintf("%d working days", l.Days)
	}
	return l.Duration.String() + " wall-clock"
}

// Due returns the due time of the limit for a clock started at start.
func (l Limit) Due(cal *calendar.Calendar, start time.Time) (time.Time, error) {
	switch l.Basis {
	case Wall:
		return cal.AddWall(start, l.Duration)
	case WorkingTime:
		return cal.AddWorking(start, l.Duration)
	case WorkingDays:
		return cal.AddWorkingDays(start, l.Days)
	}
	return time.Time{}, fmt.Errorf("sla: unknown basis %q", l.Basis)
}

// ReopenRule says what happens to a stage's clock when the reporter reopens a
// case after the stage was completed.
type ReopenRule string

// Reopen rules.
const (
	// ReopenRestart gives the stage its full limit again, counted from the
	// reopening (the built-in policies).
	ReopenRestart ReopenRule = "restart"
	// ReopenResume continues with the time that was left when the stage was
	// completed; a stage completed late is overdue again at once.
	ReopenResume ReopenRule = "resume"
)

// Grade is one grade of a policy, for choosing it on a form.
type Grade struct {
	Code string
	Name string
}

// Policy is a set of deadlines for cases.
type Policy struct {
	Code string
	Name string
	// Version is stored with every clock so a result can name the rule that
	// produced it.
	Version string
	// NearDue is how long before the due time the near-due event fires (wall
	// clock): 15 minutes in the built-in policies.
	NearDue time.Duration
	Reopen  ReopenRule
	Grades  []Grade
	Limits  []Limit
}

// Limit returns the policy's limit for a stage of a case of the given grade: the
// rule for that grade if there is one, otherwise the rule for every grade.
func (p Policy) Limit(stage Stage, grade string) (Limit, bool) {
	var general *Limit
	for i, l := range p.Limits {
		if l.Stage != stage {
			continue
		}
		if l.Grade == grade && grade != "" {
			return l, true
		}
		if l.Grade == "" && general == nil {
			general = &p.Limits[i]
		}
	}
	if general == nil {
		return Limit{}, false
	}
	return *general, true
}

// Validate checks a policy: a code, a known reopen rule, positive limits on a
// known basis, grades that exist, and at most one rule per stage and grade.
func (p Policy) Validate() error {
	if p.Code == "" {
		return errors.New("sla: policy without a code")
	}
	if p.NearDue < 0 {
		return fmt.Errorf("sla: policy %s: negative near-due threshold", p.Code)
	}
	if p.Reopen != ReopenRestart && p.Reopen != ReopenResume {
		return fmt.Errorf("sla: policy %s: unknown reopen rule %q", p.Code, p.Reopen)
	}
	grades := map[string]bool{}
	for _, g := range p.Grades {
		grades[g.Code] = true
	}
	type key struct {
		s Stage
		g string
	}
	seen := map[key]bool{}
	for _, l := range p.Limits {
		if l.Stage == "" || l.From == "" {
			return fmt.Errorf("sla: policy %s: a limit without a stage or a start event", p.Code)
		}
		if l.Grade != "" && !grades[l.Grade] {
			return fmt.Errorf("sla: policy %s: %s limit for unknown grade %q", p.Code, l.Stage, l.Grade)
		}
		switch l.Basis {
		case Wall, WorkingTime:
			if l.Duration <= 0 || l.Days != 0 {
				return fmt.Errorf("sla: policy %s: %s limit needs a positive duration and no days", p.Code, l.Stage)
			}
		case WorkingDays:
			if l.Days <= 0 || l.Duration != 0 {
				return fmt.Errorf("sla: policy %s: %s limit needs a positive number of days and no duration", p.Code, l.Stage)
			}
		default:
			return fmt.Errorf("sla: policy %s: %s limit has unknown basis %q", p.Code, l.Stage, l.Basis)
		}
		k := key{l.Stage, l.Grade}
		if seen[k] {
			return fmt.Errorf("sla: policy %s: two %s limits for grade %q", p.Code, l.Stage, l.Grade)
		}
		seen[k] = true
	}
	return nil
}

// Grades of the 54321 policy.
const (
	GradeSimple  = "simple"
	GradeComplex = "complex"
)

// Grades of the 12345 policy (GradeComplex is shared with 54321).
const (
	GradeEmergency = "emergency"
	GradeUtility   = "utility"
	GradeGeneral   = "general"
)

const day = 24 * time.Hour

// Policy54321 returns the Changzhou "54321" promise, the default for community
// service cases, counted in wall-clock time. Each deadline counts from the step
// before it, so the promise reads as a chain: registered within 5 minutes of the
// report, on site within 40 minutes of registration, a simple problem fixed
// within 3 hours of arriving or a plan for a complex one within 2 days of
// arriving, and the reporter visited again within 1 week of the fix. A complex
// case's own fixing deadline is the date agreed in its plan (Engine.StartFixed).
func Policy54321() Policy {
	return Policy{
		Code: "54321", Name: "54321 承诺 (5 min / 40 min / 3 h / 2 days / 1 week)", Version: "54321/1",
		NearDue: 15 * time.Minute, Reopen: ReopenRestart,
		Grades: []Grade{{GradeSimple, "simple problem 简单问题"}, {GradeComplex, "complex problem 复杂问题"}},
		Limits: []Limit{
			{Stage: StageAccept, From: FromReported, Basis: Wall, Duration: 5 * time.Minute},
			{Stage: StageOnSite, From: FromAccepted, Basis: Wall, Duration: 40 * time.Minute},
			{Stage: StageResolve, From: FromOnSite, Grade: GradeSimple, Basis: Wall, Duration: 3 * time.Hour},
			{Stage: StagePlan, From: FromOnSite, Grade: GradeComplex, Basis: Wall, Duration: 2 * day},
			{Stage: StageFollowUp, From: FromResolved, Basis: Wall, Duration: 7 * day},
		},
	}
}

// Policy12345 returns Beijing's 12345 graded deadlines, in wall-clock time:
// accepted within 2 hours of the report (web reports; calls are registered while
// the caller is on the line), and resolved within 2 hours of acceptance for
// emergencies with risk to life or property, 24 hours for water, power, gas and
// heating, 7 days for general matters and 15 days for complex ones.
func Policy12345() Policy {
	return Policy{
		Code: "12345", Name: "12345 graded deadlines (2 h / 24 h / 7 days / 15 days)", Version: "12345/1",
		NearDue: 15 * time.Minute, Reopen: ReopenRestart,
		Grades: []Grade{
			{GradeEmergency, "emergency, risk to life or property 紧急"},
			{GradeUtility, "water, power, gas, heating 水电气热"},
			{GradeGeneral, "general 一般"},
			{GradeComplex, "complex 复杂"},
		},
		Limits: []Limit{
			{Stage: StageAccept, From: FromReported, Basis: Wall, Duration: 2 * time.Hour},
			{Stage: StageResolve, From: FromAccepted, Grade: GradeEmergency, Basis: Wall, Duration: 2 * time.Hour},
			{Stage: StageResolve, From: FromAccepted, Grade: GradeUtility, Basis: Wall, Duration: 24 * time.Hour},
			{Stage: StageResolve, From: FromAccepted, Grade: GradeGeneral, Basis: Wall, Duration: 7 * day},
			{Stage: StageResolve, From: FromAccepted, Grade: GradeComplex, Basis: Wall, Duration: 15 * day},
		},
	}
}

// Example city-management event subtypes of PolicyCityManagement.
const (
	SubtypeExposedWaste     = "exposed_waste"
	SubtypeManholeMissing   = "manhole_cover_missing"
	SubtypeIllegalStructure = "illegal_structure"
)

// PolicyCityManagement returns per-subtype limits for digital city-management
// cases in the manner of GB/T 30428, counted on the working calendar from
// dispatch to the handling department. The subtypes and limits are examples that
// each city replaces with its own catalogue (configurable): exposed waste 2
// working hours, a missing manhole cover 1 working hour, an illegal structure 5
// working days.
func PolicyCityManagement() Policy {
	return Policy{
		Code: "citymgmt", Name: "city management events, working hours (examples)", Version: "citymgmt/example-1",
		NearDue: 15 * time.Minute, Reopen: ReopenRestart,
		Grades: []Grade{
			{SubtypeExposedWaste, "exposed waste 暴露垃圾"},
			{SubtypeManholeMissing, "manhole cover missing 井盖缺失"},
			{SubtypeIllegalStructure, "illegal structure 违法建设"},
		},
		Limits: []Limit{
			{Stage: StageResolve, From: FromDispatched, Grade: SubtypeExposedWaste, Basis: WorkingTime, Duration: 2 * time.Hour},
			{Stage: StageResolve, From: FromDispatched, Grade: SubtypeManholeMissing, Basis: WorkingTime, Duration: time.Hour},
			{Stage: StageResolve, From: FromDispatched, Grade: SubtypeIllegalStructure, Basis: WorkingDays, Days: 5},
		},
	}
}

// Builtin returns the built-in policies: 54321, 12345 and the city-management
// examples. Each call returns fresh values.
func Builtin() []Policy {
	return []Policy{Policy54321(), Policy12345(), PolicyCityManagement()}
}
