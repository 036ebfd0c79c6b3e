package cases

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
	"github.com/gengxin/gengxin/internal/geo"
	"github.com/gengxin/gengxin/internal/sla"
)

func TestCatalogue(t *testing.T) {
	pols := map[string]sla.Policy{}
	for _, p := range sla.Builtin() {
		pols[p.Code] = p
	}
	depts := map[string]bool{}
	for _, d := range BuiltinDepartments() {
		depts[d.Code] = true
	}
	seen := map[string]bool{}
	for _, c := range BuiltinCategories() {
		p, ok := pols[c.Policy]
		if !ok || seen[c.Code] || c.NameZH == "" || c.NameEN == "" {
			t.Errorf("category %+v: unknown policy, repeated code or missing name", c)
		}
		seen[c.Code] = true
		if c.Department != "" && !depts[c.Department] {
			t.Errorf("category %s names unknown department %s", c.Code, c.Department)
		}
		if _, ok := p.Limit(sla.StageResolve, c.Grade); !ok && c.Grade != sla.GradeSimple {
			t.Errorf("category %s: policy %s has no resolve limit for grade %q", c.Code, c.Policy, c.Grade)
		}
	}
}

func TestRouting(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		cases := []struct {
			name, category string
			p              [2]float64
			assignee       string
			dispatcher     string
			grid           string
			region         string
		}{
			{"grid worker of the grid", "stairwell_light", inG1, "grid1", "community", "G1", "G1"},
			{"grid without worker → community", "noise", inG2, "community", "community", "G2", "G2"},
			{"department handler", "pipe_leak", inG2, "water", "community", "G2", "G2"},
			{"department without handler → dispatcher", "exposed_waste", inG1, "community", "community", "G1", "G1"},
			{"outside every grid → subdistrict", "stairwell_light", inSOnly, "subdistrict", "subdistrict", "", "S"},
			{"outside the subdistrict → district", "stairwell_light", inDOnly, "district", "district", "", "D"},
			{"outside every region → district", "stairwell_light", outsideAll, "district", "district", "", "D"},
		}
		for _, tc := range cases {
			c := f.report(t, tc.category, tc.p)
			if c.AssigneeID != f.users[tc.assignee] || c.DispatcherID != f.users[tc.dispatcher] || c.GridID != f.regions[tc.grid] ||
				c.RegionID != f.regions[tc.region] || c.RegionPath != f.paths[tc.region] || c.RouteNote == "" {
				t.Errorf("%s: assignee %d dispatcher %d grid %d region %d (%s); want %s, %s, %s, %s",
					tc.name, c.AssigneeID, c.DispatcherID, c.GridID, c.RegionID, c.RouteNote, tc.assignee, tc.dispatcher, tc.grid, tc.region)
			}
		}
		// An address without a point goes to the district dispatcher.
		c, err := f.svc.Report(f.ctx, ReportInput{Category: "general_request", Description: "路灯", Address: "青果巷 12 号", Channel: ChannelHotline,
			Reporter: Reporter{Name: "李四", Contact: "13900002222"}})
		if err != nil || c.AssigneeID != f.users["district"] || c.HasLocation {
			t.Errorf("address-only report: %+v, %v", c, err)
		}
		// The index follows region changes: a grid worker for G2 and a moved G1.
		if _, err := d.Write().ExecContext(f.ctx, `UPDATE regions SET geometry = $1, updated_at = $2 WHERE id = $3`,
			box(119.0, 31.0, 119.1, 31.1), f.clk.Now().Add(time.Second), f.regions["G1"]); err != nil {
			t.Fatal(err)
		}
		if rt, err := f.svc.Route(f.ctx, "stairwell_light", inG1[0], inG1[1], true); err != nil || rt.GridID != 0 || rt.RegionID != f.regions["C"] {
			t.Errorf("after moving G1: %+v, %v", rt, err)
		}
	})
}

func TestReportValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ok := ReportInput{Category: "noise", Description: "夜里施工", Lon: inG1[0], Lat: inG1[1], Channel: ChannelResident,
			Reporter: Reporter{UserID: f.users["resident"]}}
		bad := map[string]func(*ReportInput){
			"unknown category":       func(in *ReportInput) { in.Category = "ufo" },
			"no description":         func(in *ReportInput) { in.Description = "  " },
			"no point, no address":   func(in *ReportInput) { in.Lon, in.Lat = 0, 0 },
			"bad latitude":           func(in *ReportInput) { in.Lat = 95 },
			"unknown channel":        func(in *ReportInput) { in.Channel = "pigeon" },
			"nobody":                 func(in *ReportInput) { in.Reporter = Reporter{} },
			"anonymous, no contact":  func(in *ReportInput) { in.Reporter = Reporter{Anonymous: true} },
			"future report time":     func(in *ReportInput) { in.ReportedAt = f.clk.Now().Add(1e9) },
			"photo that is no photo": func(in *ReportInput) { in.Photos = []int64{999} },
		}
		for name, mutate := range bad {
			in := ok
			mutate(&in)
			if _, err := f.svc.Report(f.ctx, in); !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: %v", name, err)
			}
		}
		var n int
		d.Read().QueryRow(`SELECT COUNT(*) FROM cases`).Scan(&n)
		if n != 0 {
			t.Errorf("%d cases written by bad reports", n)
		}
	})
}

// offset returns p moved north by metres.
func offset(p [2]float64, metres float64) [2]float64 {
	return [2]float64{p[0], p[1] + metres/(geo.EarthRadius*math.Pi/180)}
}

func TestNearbyAndJoin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.clk.set(t, "2025-06-01 10:00")
		c := f.report(t, "stairwell_light", inG1)
		f.report(t, "noise", inG1) // another category
		f.clk.set(t, "2025-06-07 10:00")
		if got, err := f.svc.Nearby(f.ctx, "stairwell_light", offset(inG1, 49)[0], offset(inG1, 49)[1]); err != nil || len(got) != 1 || got[0].ID != c.ID ||
			got[0].DistanceM < 48.5 || got[0].DistanceM > 49.5 {
			t.Errorf("49 m after 6 days: %+v, %v", got, err)
		}
		if got, _ := f.svc.Nearby(f.ctx, "stairwell_light", offset(inG1, 51)[0], offset(inG1, 51)[1]); len(got) != 0 {
			t.Errorf("51 m away: %+v", got)
		}
		if err := f.svc.Join(f.as("neighbour"), c.ID, Reporter{UserID: f.users["neighbour"]}); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Join(f.as("neighbour"), c.ID, Reporter{UserID: f.users["neighbour"]}); err != nil {
			t.Fatal(err)
		}
		det, _ := f.svc.Get(f.ctx, c.ID)
		if det.Followers != 1 || det.Events[len(det.Events)-1].Action != ActJoin {
			t.Errorf("followers %d, events %+v", det.Followers, det.Events)
		}
		if v, err := f.svc.ReporterView(f.ctx, c.ID, f.users["neighbour"]); err != nil || v.ID != c.ID {
			t.Errorf("a follower sees the case: %v", err)
		}
		if _, err := f.svc.ReporterView(f.ctx, c.ID, f.users["grid1"]); !errors.Is(err, ErrNotFound) {
			t.Errorf("a stranger's view: %v", err)
		}
		if list, n, _ := f.svc.List(f.ctx, Filter{ReporterID: f.users["neighbour"]}); n != 1 || list[0].ID != c.ID {
			t.Errorf("the neighbour's cases: %d", n)
		}
		f.clk.set(t, "2025-06-09 10:00")
		if got, _ := f.svc.Nearby(f.ctx, "stairwell_light", inG1[0], inG1[1]); len(got) != 0 {
			t.Errorf("8 days later: %+v", got)
		}
	})
}

// TestSimpleCase follows a simple 54321 case from report to close.
func TestSimpleCase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.clk.set(t, "2025-06-10 09:00") // Tuesday
		c := f.report(t, "stairwell_light", inG1)
		wantDue(t, f.clockOf(t, c.ID, "accept"), "2025-06-10 09:05")
		f.clk.set(t, "2025-06-10 09:03")
		c = ok(t)(f.svc.Accept(f.as("community"), c.ID, Step{}))
		if c.OwnerID != f.users["community"] {
			t.Errorf("first receiver %d", c.OwnerID)
		}
		wantDue(t, f.clockOf(t, c.ID, "on_site"), "2025-06-10 09:43")
		ok(t)(f.svc.Dispatch(f.as("community"), c.ID, 0, Step{}))
		f.clk.set(t, "2025-06-10 09:10")
		ok(t)(f.svc.Sign(f.as("grid1"), c.ID, Step{}))
		f.clk.set(t, "2025-06-10 09:30")
		ok(t)(f.svc.Arrive(f.as("grid1"), c.ID, false, Step{Note: "到场"}))
		wantDue(t, f.clockOf(t, c.ID, "resolve"), "2025-06-10 12:30")
		f.clk.set(t, "2025-06-10 11:45")
		ok(t)(f.svc.Resolve(f.as("grid1"), c.ID, Step{Note: "已更换灯泡"}))
		wantDue(t, f.clockOf(t, c.ID, "follow_up"), "2025-06-17 11:45")
		f.clk.set(t, "2025-06-10 18:00")
		ok(t)(f.svc.Verify(f.as("resident"), c.ID, ByReporter, Step{Note: "灯亮了"}))
		f.clk.set(t, "2025-06-12 10:00")
		c = ok(t)(f.svc.FollowUp(f.as("community"), c.ID, FollowUpInput{Method: "phone", Rating: RatingSatisfied, Comment: "很快"}))
		if c.State != StateRated || c.Rating != RatingSatisfied {
			t.Errorf("after follow-up: %s %s", c.State, c.Rating)
		}
		c = ok(t)(f.svc.Close(f.as("community"), c.ID, Step{}))
		det, err := f.svc.Get(f.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range det.Events {
			actions = append(actions, string(e.Action))
		}
		if got := strings.Join(actions, " "); got != "report accept dispatch sign arrive resolve verify follow_up rate close" {
			t.Errorf("events: %s", got)
		}
		for _, k := range det.Clocks {
			if !k.Met() {
				t.Errorf("%s was on time: %+v", k.Stage, k.Clock)
			}
		}
		if len(det.FollowUps) != 1 || det.FollowUps[0].Rating != RatingSatisfied || det.ClosedAt.IsZero() {
			t.Errorf("follow-ups %+v", det.FollowUps)
		}
		var audits int
		d.Read().QueryRow(`SELECT COUNT(*) FROM audit_log WHERE object_type = 'case' AND object_id = $1`, itoa(c.ID)).Scan(&audits)
		if audits != len(det.Events) {
			t.Errorf("%d audit entries for %d events", audits, len(det.Events))
		}
		if list, n, _ := f.svc.List(f.ctx, Filter{States: []State{StateClosed}, Scope: f.paths["C"], Category: "stairwell_light"}); n != 1 || list[0].ID != c.ID {
			t.Errorf("closed cases in C: %d", n)
		}
	})
}

// TestComplexCase: a complex problem gets a plan within 2 days, and is fixed
// by the date agreed in it.
func TestComplexCase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.clk.set(t, "2025-09-26 16:00")
		c := f.report(t, "facility_damage", inG1)
		f.clk.set(t, "2025-09-26 16:07")
		ok(t)(f.svc.Accept(f.as("community"), c.ID, Step{}))
		ok(t)(f.svc.Dispatch(f.as("community"), c.ID, 0, Step{}))
		ok(t)(f.svc.Sign(f.as("grid1"), c.ID, Step{}))
		f.clk.set(t, "2025-09-26 16:40")
		c = ok(t)(f.svc.Arrive(f.as("grid1"), c.ID, true, Step{Note: "围墙倒塌，需要施工"}))
		if c.Grade != sla.GradeComplex {
			t.Errorf("grade %s", c.Grade)
		}
		wantDue(t, f.clockOf(t, c.ID, "plan"), "2025-09-28 16:40")
		if _, err := f.svc.Resolve(f.as("grid1"), c.ID, Step{}); err != nil {
			t.Errorf("resolving without a plan is allowed from on site: %v", err)
		}
		// Start again for the plan path.
		f.clk.set(t, "2025-09-26 16:00")
		c = f.report(t, "facility_damage", inG1)
		ok(t)(f.svc.Accept(f.as("community"), c.ID, Step{}))
		ok(t)(f.svc.Dispatch(f.as("community"), c.ID, 0, Step{}))
		ok(t)(f.svc.Sign(f.as("grid1"), c.ID, Step{}))
		f.clk.set(t, "2025-09-26 16:40")
		ok(t)(f.svc.Arrive(f.as("grid1"), c.ID, true, Step{}))
		f.clk.set(t, "2025-09-28 10:00")
		if _, err := f.svc.AgreePlan(f.as("grid1"), c.ID, at(t, "2025-09-27 10:00"), Step{}); !errors.Is(err, ErrInvalid) {
			t.Errorf("a plan date in the past: %v", err)
		}
		c = ok(t)(f.svc.AgreePlan(f.as("grid1"), c.ID, at(t, "2025-10-20 17:00"), Step{Note: "10 月 20 日前修复"}))
		if c.State != StatePlanAgreed || !f.clockOf(t, c.ID, "plan").Met() {
			t.Errorf("plan: %s", c.State)
		}
		wantDue(t, f.clockOf(t, c.ID, "resolve"), "2025-10-20 17:00")
		f.clk.set(t, "2025-10-15 15:00")
		ok(t)(f.svc.Resolve(f.as("grid1"), c.ID, Step{}))
		wantDue(t, f.clockOf(t, c.ID, "follow_up"), "2025-10-22 15:00")
	})
}

// TestSuspendAcrossHoliday: an exposed-waste case (2 working hours from
// dispatch) suspended before the 2026 National Day holiday resumes with the
// working time it had left.
func TestSuspendAcrossHoliday(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.clk.set(t, "2026-09-29 15:50")
		c := f.report(t, "exposed_waste", inG1)
		ok(t)(f.svc.Accept(f.as("community"), c.ID, Step{}))
		f.clk.set(t, "2026-09-29 16:00")
		ok(t)(f.svc.Dispatch(f.as("community"), c.ID, f.users["grid1"], Step{}))
		wantDue(t, f.clockOf(t, c.ID, "resolve"), "2026-09-30 09:00")
		f.clk.set(t, "2026-09-29 17:00")
		if _, err := f.svc.Suspend(f.as("grid1"), c.ID, Step{}); !errors.Is(err, ErrInvalid) {
			t.Errorf("suspend without a reason: %v", err)
		}
		c = ok(t)(f.svc.Suspend(f.as("grid1"), c.ID, Step{Note: "等待环卫车"}))
		if c.State != StateSuspended || c.PauseReason != "等待环卫车" {
			t.Errorf("suspended: %s %q", c.State, c.PauseReason)
		}
		v, err := f.svc.ReporterView(f.ctx, c.ID, f.users["resident"])
		if err != nil || !v.Paused || v.PauseReason != "等待环卫车" || v.Left.Hours() != 1 {
			t.Errorf("the reporter sees %+v, %v", v, err)
		}
		// Nothing fires during the holiday.
		f.clk.set(t, "2026-10-05 10:00")
		if notes, err := f.svc.RunTimers(f.ctx, f.clk.Now()); err != nil || len(notes) != 0 {
			t.Errorf("timers while suspended: %v, %v", notes, err)
		}
		if _, n, _ := f.svc.List(f.ctx, Filter{Overdue: true}); n != 0 {
			t.Errorf("a suspended case is not overdue: %d", n)
		}
		f.clk.set(t, "2026-10-08 10:00")
		c = ok(t)(f.svc.Resume(f.as("grid1"), c.ID, Step{}))
		if c.State != StateDispatched || c.PauseReason != "" {
			t.Errorf("resumed into %s", c.State)
		}
		wantDue(t, f.clockOf(t, c.ID, "resolve"), "2026-10-08 11:00")
	})
}

func TestReopen(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.clk.set(t, "2025-06-10 09:00")
		c := f.report(t, "stairwell_light", inG1)
		ok(t)(f.svc.Accept(f.as("community"), c.ID, Step{}))
		ok(t)(f.svc.Dispatch(f.as("community"), c.ID, 0, Step{}))
		ok(t)(f.svc.Sign(f.as("grid1"), c.ID, Step{}))
		f.clk.set(t, "2025-06-10 09:30")
		ok(t)(f.svc.Arrive(f.as("grid1"), c.ID, false, Step{}))
		f.clk.set(t, "2025-06-10 12:25")
		ok(t)(f.svc.Resolve(f.as("grid1"), c.ID, Step{}))
		f.clk.set(t, "2025-06-12 10:00")
		c = ok(t)(f.svc.Reopen(f.as("resident"), c.ID, Step{Note: "灯又坏了"}))
		if c.State != StateReopened || c.Reopens != 1 || !c.ResolvedAt.IsZero() {
			t.Errorf("reopened: %+v", c)
		}
		k := f.clockOf(t, c.ID, "resolve")
		wantDue(t, k, "2025-06-12 13:00")
		if k.Reopens != 1 || k.Completed() {
			t.Errorf("resolve clock %+v", k.Clock)
		}
		if fu := f.clockOf(t, c.ID, "follow_up"); !fu.Cancelled {
			t.Error("the follow-up waits for the new fix")
		}
		f.clk.set(t, "2025-06-12 11:00")
		ok(t)(f.svc.Arrive(f.as("grid1"), c.ID, false, Step{}))
		wantDue(t, f.clockOf(t, c.ID, "resolve"), "2025-06-12 13:00") // a second arrival keeps the reopened clock
		ok(t)(f.svc.Resolve(f.as("grid1"), c.ID, Step{}))
		if fu := f.clockOf(t, c.ID, "follow_up"); fu.Cancelled || !fu.Due.Equal(at(t, "2025-06-19 11:00")) {
			t.Errorf("new follow-up clock %+v", fu)
		}
	})
}

func TestIllegalTransitions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		c := f.report(t, "stairwell_light", inG1)
		ctx := f.as("grid1")
		steps := []struct {
			name string
			do   func() (Case, error)
		}{
			{"sign", func() (Case, error) { return f.svc.Sign(ctx, c.ID, Step{}) }},
			{"resolve", func() (Case, error) { return f.svc.Resolve(ctx, c.ID, Step{}) }},
			{"close", func() (Case, error) { return f.svc.Close(ctx, c.ID, Step{}) }},
			{"reopen", func() (Case, error) { return f.svc.Reopen(ctx, c.ID, Step{}) }},
			{"resume", func() (Case, error) { return f.svc.Resume(ctx, c.ID, Step{}) }},
			{"verify", func() (Case, error) { return f.svc.Verify(ctx, c.ID, ByReporter, Step{}) }},
		}
		for _, s := range steps {
			_, err := s.do()
			if !errors.Is(err, ErrIllegalTransition) || !strings.Contains(err.Error(), "cannot "+s.name) || !strings.Contains(err.Error(), "reported") {
				t.Errorf("%s a reported case: %v", s.name, err)
			}
		}
		ok(t)(f.svc.Accept(ctx, c.ID, Step{}))
		if _, err := f.svc.Accept(ctx, c.ID, Step{}); !errors.Is(err, ErrIllegalTransition) {
			t.Errorf("accept twice: %v", err)
		}
		ok(t)(f.svc.Dispatch(ctx, c.ID, 0, Step{}))
		if _, err := f.svc.Return(ctx, c.ID, Step{}); !errors.Is(err, ErrInvalid) {
			t.Errorf("return without a reason: %v", err)
		}
		c = ok(t)(f.svc.Return(ctx, c.ID, Step{Note: "不属于本网格"}))
		if c.State != StateReturned || c.AssigneeID != f.users["community"] {
			t.Errorf("returned to %d in %s", c.AssigneeID, c.State)
		}
		if _, err := f.svc.Reassign(ctx, c.ID, f.users["water"], Step{}); !errors.Is(err, ErrInvalid) {
			t.Errorf("reassign without a reason: %v", err)
		}
		c = ok(t)(f.svc.Reassign(ctx, c.ID, f.users["water"], Step{Note: "水管问题"}))
		if c.AssigneeID != f.users["water"] || c.OwnerID != f.users["grid1"] {
			t.Errorf("reassigned to %d, owner %d", c.AssigneeID, c.OwnerID)
		}
		// Merge a duplicate into the case; the merged case is final.
		dup := f.report(t, "stairwell_light", inG1)
		dup = ok(t)(f.svc.Merge(ctx, dup.ID, c.ID, Step{Note: "重复"}))
		if dup.State != StateMerged || dup.MergedInto != c.ID {
			t.Errorf("merged %+v", dup)
		}
		if _, err := f.svc.Accept(ctx, dup.ID, Step{}); !errors.Is(err, ErrIllegalTransition) {
			t.Errorf("accept a merged case: %v", err)
		}
		if _, err := f.svc.Sign(ctx, 99999, Step{}); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown case: %v", err)
		}
	})
}

// TestTimers: near-due and overdue are recorded and notified exactly once,
// to the assignee and the community worker above the grid.
func TestTimers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.clk.set(t, "2025-06-10 09:00")
		c := f.report(t, "stairwell_light", inG1)
		f.clk.set(t, "2025-06-10 09:02")
		ok(t)(f.svc.Accept(f.as("community"), c.ID, Step{}))
		ok(t)(f.svc.Dispatch(f.as("community"), c.ID, 0, Step{})) // on site due 09:42
		var got []Notification
		for _, now := range []string{"2025-06-10 09:20", "2025-06-10 09:27", "2025-06-10 09:30", "2025-06-10 09:42", "2025-06-10 09:50", "2025-06-10 12:00"} {
			notes, err := f.svc.RunTimers(context.Background(), at(t, now))
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, notes...)
		}
		if len(got) != 2 || got[0].Kind != sla.NearDue || got[1].Kind != sla.Overdue || got[0].Stage != sla.StageOnSite {
			t.Fatalf("notifications %+v", got)
		}
		if r := got[1].Recipients(); len(r) != 2 || r[0] != f.users["grid1"] || r[1] != f.users["community"] {
			t.Errorf("recipients %v", r)
		}
		if !got[0].At.Equal(at(t, "2025-06-10 09:27")) || !got[1].Due.Equal(at(t, "2025-06-10 09:42")) {
			t.Errorf("times %+v", got)
		}
		f.clk.set(t, "2025-06-10 12:00")
		if list, n, _ := f.svc.List(f.ctx, Filter{Overdue: true, AssigneeID: f.users["grid1"]}); n != 1 || list[0].ID != c.ID {
			t.Errorf("overdue list: %d", n)
		}
		det, _ := f.svc.Get(f.ctx, c.ID)
		var timerEvents int
		for _, e := range det.Events {
			if e.Action == ActNearDue || e.Action == ActOverdue {
				timerEvents++
			}
		}
		if timerEvents != 2 {
			t.Errorf("%d timer events", timerEvents)
		}
		// A service started afresh (a restart) finds nothing more to send.
		again := New(d, f.svc.log, f.box, f.clk.Now)
		if notes, _ := again.RunTimers(context.Background(), at(t, "2025-06-11 12:00")); len(notes) != 0 {
			t.Errorf("after restart: %+v", notes)
		}
	})
}

// TestTimersConcurrent: runners sharing a database never send an event twice.
func TestTimersConcurrent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.clk.set(t, "2025-06-10 09:00")
		const n = 450
		for i := 0; i < n; i++ {
			f.report(t, "stairwell_light", inG1) // accept due 09:05
		}
		var mu sync.Mutex
		seen := map[[2]int64]int{}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				svc := New(d, f.svc.log, f.box, f.clk.Now)
				for _, now := range []string{"2025-06-10 09:01", "2025-06-10 09:04", "2025-06-10 09:30"} {
					notes, err := svc.RunTimers(context.Background(), at(t, now))
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					for _, x := range notes {
						kind := int64(1)
						if x.Kind == sla.Overdue {
							kind = 2
						}
						seen[[2]int64{x.CaseID, kind}]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if len(seen) != 2*n {
			t.Errorf("%d distinct events, want %d", len(seen), 2*n)
		}
		for k, v := range seen {
			if v != 1 {
				t.Errorf("event %v sent %d times", k, v)
			}
		}
		var rows int
		d.Read().QueryRow(`SELECT COUNT(*) FROM case_events WHERE action IN ('near_due', 'overdue')`).Scan(&rows)
		if rows != 2*n {
			t.Errorf("%d timer events recorded, want %d", rows, 2*n)
		}
	})
}

func TestContactEncrypted(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		c, err := f.svc.Report(f.ctx, ReportInput{Category: "noise", Description: "广场舞太吵", Lon: inG1[0], Lat: inG1[1], Channel: ChannelHotline,
			Reporter: Reporter{Anonymous: true, Name: "王五", Contact: "13912345678"}})
		if err != nil {
			t.Fatal(err)
		}
		if c.Contact != "139****5678" || c.ReporterName != "" {
			t.Errorf("masked %q, name %q", c.Contact, c.ReporterName)
		}
		var enc []byte
		var hash string
		if err := d.Read().QueryRow(`SELECT contact_enc, contact_hash FROM cases WHERE id = $1`, c.ID).Scan(&enc, &hash); err != nil {
			t.Fatal(err)
		}
		if len(enc) == 0 || bytes.Contains(enc, []byte("13912345678")) || strings.Contains(hash, "1391234") {
			t.Error("the contact is stored in the clear")
		}
		var leaks int
		d.Read().QueryRow(`SELECT COUNT(*) FROM audit_log WHERE after_json LIKE '%13912345678%' OR after_json LIKE '%王五%'`).Scan(&leaks)
		if leaks != 0 {
			t.Error("the audit log holds the contact or an anonymous name")
		}
		det, _ := f.svc.Get(f.ctx, c.ID)
		list, _, _ := f.svc.List(f.ctx, Filter{})
		near, _ := f.svc.Nearby(f.ctx, "noise", inG1[0], inG1[1])
		if det.Contact != "139****5678" || list[0].Contact != "139****5678" || near[0].Contact != "139****5678" || ForReporter(det).Contact != "139****5678" {
			t.Errorf("views: %q %q %q", det.Contact, list[0].Contact, near[0].Contact)
		}
		full, err := f.svc.RevealContact(f.as("community"), c.ID)
		if err != nil || full != "13912345678" {
			t.Errorf("reveal %q, %v", full, err)
		}
		var reveals int
		d.Read().QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'pii.reveal' AND actor_name = 'community'`).Scan(&reveals)
		if reveals != 1 {
			t.Errorf("%d reveals audited", reveals)
		}
	})
}
