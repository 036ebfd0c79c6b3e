package cases

import (
	"errors"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
	"github.com/gengxin/gengxin/internal/sla"
)

// kpiCases builds the hand-made cases of the KPI tests on the fixture, each
// through the workflow with the fake clock, and leaves the clock at
// 2025-06-20 12:00. In June 2025:
//
//	A  G1 stairwell light: accepted 2 min, on site 28 min after, fixed, rated satisfied, closed
//	B  G1 stairwell light: accepted late (10 min), on site late (50 min), fixed, rated basically satisfied, closed
//	K  S (no grid) stairwell light: accepted in time, nobody on site (overdue)
//	C  G2 noise: on site in time, fixed, rated dissatisfied, reopened (rating cleared), fixed again in time
//	D  G2 noise: on site late, fixed, rated dissatisfied (still open: rated, not closed)
//	E  G1 stairwell light: accepted, dispatched, never signed (on-site stage overdue)
//	F  G1 stairwell light: reported 11:50, not registered (accept overdue at 11:55)
//	G  G1 stairwell light: reported 11:58, registration still pending
//	H  G1 stairwell light: reported 11:59, merged into G (left out)
//
// and I, a G1 stairwell-light report of 20 May (previous period).
func kpiCases(t *testing.T, f *fixture) map[string]int64 {
	t.Helper()
	ids := map[string]int64{}
	ds, gw := f.as("community"), f.as("grid1")
	step := func(when string, fn func() (Case, error)) Case {
		t.Helper()
		f.clk.set(t, when)
		c, err := fn()
		if err != nil {
			t.Fatalf("at %s: %v", when, err)
		}
		return c
	}
	report := func(name, when, category string, p [2]float64) int64 {
		t.Helper()
		f.clk.set(t, when)
		id := f.report(t, category, p).ID
		ids[name] = id
		return id
	}
	// accept, dispatch (to the grid worker), sign and arrive at the given times.
	onSite := func(id int64, accept, dispatch, sign, arrive string) {
		t.Helper()
		step(accept, func() (Case, error) { return f.svc.Accept(ds, id, Step{}) })
		step(dispatch, func() (Case, error) { return f.svc.Dispatch(ds, id, f.users["grid1"], Step{}) })
		step(sign, func() (Case, error) { return f.svc.Sign(gw, id, Step{}) })
		step(arrive, func() (Case, error) { return f.svc.Arrive(gw, id, false, Step{}) })
	}
	fixRate := func(id int64, resolve, followUp string, r Rating) {
		t.Helper()
		step(resolve, func() (Case, error) { return f.svc.Resolve(gw, id, Step{Note: "修好了"}) })
		step(resolve, func() (Case, error) { return f.svc.Verify(gw, id, ByGridWorker, Step{}) })
		step(followUp, func() (Case, error) {
			return f.svc.FollowUp(ds, id, FollowUpInput{Method: "phone", Rating: r})
		})
	}

	report("I", "2025-05-20 09:00", "stairwell_light", inG1)

	a := report("A", "2025-06-10 09:00", "stairwell_light", inG1)
	onSite(a, "2025-06-10 09:02", "2025-06-10 09:03", "2025-06-10 09:10", "2025-06-10 09:30")
	fixRate(a, "2025-06-10 10:00", "2025-06-10 15:00", RatingSatisfied)
	step("2025-06-10 15:05", func() (Case, error) { return f.svc.Close(ds, a, Step{}) })

	b := report("B", "2025-06-10 16:00", "stairwell_light", inG1)
	onSite(b, "2025-06-10 16:10", "2025-06-10 16:11", "2025-06-10 16:20", "2025-06-10 17:00")
	fixRate(b, "2025-06-10 17:30", "2025-06-10 20:00", RatingBasically)
	step("2025-06-10 20:05", func() (Case, error) { return f.svc.Close(ds, b, Step{}) })

	k := report("K", "2025-06-11 09:00", "stairwell_light", inSOnly)
	step("2025-06-11 09:01", func() (Case, error) { return f.svc.Accept(f.as("subdistrict"), k, Step{}) })

	c := report("C", "2025-06-12 09:00", "noise", inG2)
	onSite(c, "2025-06-12 09:01", "2025-06-12 09:02", "2025-06-12 09:10", "2025-06-12 09:20")
	fixRate(c, "2025-06-12 09:40", "2025-06-12 12:00", RatingDissatisfied)
	step("2025-06-12 14:00", func() (Case, error) { return f.svc.Reopen(f.as("resident"), c, Step{Note: "还是很吵"}) })
	step("2025-06-12 15:00", func() (Case, error) { return f.svc.Resolve(gw, c, Step{Note: "再次处理"}) })

	d := report("D", "2025-06-15 09:00", "noise", inG2)
	onSite(d, "2025-06-15 09:03", "2025-06-15 09:04", "2025-06-15 09:30", "2025-06-15 09:50")
	fixRate(d, "2025-06-15 10:00", "2025-06-15 16:00", RatingDissatisfied)

	e := report("E", "2025-06-19 09:00", "stairwell_light", inG1)
	step("2025-06-19 09:01", func() (Case, error) { return f.svc.Accept(ds, e, Step{}) })
	step("2025-06-19 09:02", func() (Case, error) { return f.svc.Dispatch(ds, e, f.users["grid1"], Step{}) })

	report("F", "2025-06-20 11:50", "stairwell_light", inG1)
	g := report("G", "2025-06-20 11:58", "stairwell_light", inG1)
	h := report("H", "2025-06-20 11:59", "stairwell_light", inG1)
	step("2025-06-20 11:59", func() (Case, error) { return f.svc.Merge(ds, h, g, Step{Note: "重复"}) })
	f.clk.set(t, "2025-06-20 12:00")
	return ids
}

func june(t *testing.T) (time.Time, time.Time) {
	return at(t, "2025-06-01 00:00"), at(t, "2025-07-01 00:00")
}

func wantRate(t *testing.T, what string, got Rate, num, den int) {
	t.Helper()
	if got.Num != num || got.Den != den {
		t.Errorf("%s = %d/%d, want %d/%d", what, got.Num, got.Den, num, den)
	}
}

// TestKPIsByHand checks the three rates, the on-time rate of every stage, the
// score and the backlog against figures worked out by hand for kpiCases.
func TestKPIsByHand(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		kpiCases(t, f)
		from, to := june(t)
		rep, err := f.svc.KPIs(f.ctx, KPIFilter{From: from, To: to})
		if err != nil {
			t.Fatal(err)
		}
		tot := rep.Total
		if tot.Cases != 8 {
			t.Errorf("cases = %d, want 8 (A B C D E F G K; H merged, I in May)", tot.Cases)
		}
		// Response: A and C on site in time; B, D late; E, K on site overdue;
		// F registration overdue; G pending.
		wantRate(t, "response", tot.Response, 2, 7)
		// Resolution: A, B, D resolved and never reopened, of all 8.
		wantRate(t, "resolution", tot.Resolution, 3, 8)
		// Satisfaction: A satisfied, B basically; D dissatisfied; C's rating
		// was cleared by the reopening.
		wantRate(t, "satisfaction", tot.Satisfaction, 2, 3)
		// 0.30 × 28.571 + 0.35 × 37.5 + 0.35 × 66.667 = 45.03
		if !tot.HasScore || tot.Score != 45.0 {
			t.Errorf("score = %v (%v), want 45.0", tot.Score, tot.HasScore)
		}
		want := map[sla.Stage][2]int{
			sla.StageAccept:   {5, 7}, // A C D E K in time; B late; F overdue; G pending
			sla.StageOnSite:   {2, 6}, // A C in time; B D late; E K overdue
			sla.StagePlan:     {0, 0},
			sla.StageResolve:  {4, 4}, // A B D, and C's second fix within 3 h of the reopening
			sla.StageFollowUp: {3, 4}, // A B D; C's new follow-up, due 19 June 15:00, overdue
		}
		for _, sr := range tot.OnTime {
			wantRate(t, "on time "+string(sr.Stage), sr.Rate, want[sr.Stage][0], want[sr.Stage][1])
		}
		wantBacklog := Backlog{Open: 6, UnderDay: 2, OneToThree: 1, ThreeToSeven: 1, OverSeven: 2, Overdue: 4} // C (follow-up), E, F, K
		if tot.Backlog != wantBacklog {
			t.Errorf("backlog = %+v, want %+v", tot.Backlog, wantBacklog)
		}

		// Other weights change the score only.
		rep2, err := f.svc.KPIs(f.ctx, KPIFilter{From: from, To: to, Weights: KPIWeights{Response: 0, Resolution: 50, Satisfaction: 50}})
		if err != nil {
			t.Fatal(err)
		}
		if rep2.Total.Score != 52.1 { // (37.5 + 66.667) / 2
			t.Errorf("score 0/50/50 = %v, want 52.1", rep2.Total.Score)
		}

		// By grid: G1 has A B E F G; G2 has C D; K lies in no grid.
		rep, err = f.svc.KPIs(f.ctx, KPIFilter{From: from, To: to, GroupBy: GroupGrid})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Rows) != 3 || rep.Rows[0].Name != "G1" || rep.Rows[1].Name != "G2" || rep.Rows[2].Key != "0" {
			t.Fatalf("grid rows = %+v", rep.Rows)
		}
		g1, g2, none := rep.Rows[0], rep.Rows[1], rep.Rows[2]
		if g1.Cases != 5 || g2.Cases != 2 || none.Cases != 1 {
			t.Errorf("grid cases = %d %d %d, want 5 2 1", g1.Cases, g2.Cases, none.Cases)
		}
		wantRate(t, "G1 response", g1.Response, 1, 4)
		wantRate(t, "G1 resolution", g1.Resolution, 2, 5)
		wantRate(t, "G1 satisfaction", g1.Satisfaction, 2, 2)
		wantRate(t, "G2 response", g2.Response, 1, 2)
		wantRate(t, "G2 resolution", g2.Resolution, 1, 2)
		wantRate(t, "G2 satisfaction", g2.Satisfaction, 0, 1)
		wantRate(t, "no grid response", none.Response, 0, 1)
		if g1.Backlog.Open != 3 || g1.Backlog.Overdue != 2 || g2.Backlog.Open != 2 || g2.Backlog.Overdue != 1 {
			t.Errorf("grid backlog = %+v / %+v", g1.Backlog, g2.Backlog)
		}
		if rep.Total.Response != (Rate{2, 7}) {
			t.Errorf("grid total response = %v", rep.Total.Response)
		}

		// By community and subdistrict the grids roll up.
		rep, err = f.svc.KPIs(f.ctx, KPIFilter{From: from, To: to, GroupBy: GroupCommunity})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Rows) != 2 || rep.Rows[0].Name != "C" || rep.Rows[0].Cases != 7 || rep.Rows[1].Cases != 1 {
			t.Errorf("community rows = %+v", rep.Rows)
		}
		rep, err = f.svc.KPIs(f.ctx, KPIFilter{From: from, To: to, GroupBy: GroupSubdistrict})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Rows) != 1 || rep.Rows[0].Name != "S" || rep.Rows[0].Cases != 8 {
			t.Errorf("subdistrict rows = %+v", rep.Rows)
		}

		// By category.
		rep, err = f.svc.KPIs(f.ctx, KPIFilter{From: from, To: to, GroupBy: GroupCategory})
		if err != nil {
			t.Fatal(err)
		}
		cats := map[string]KPIRow{}
		for _, r := range rep.Rows {
			cats[r.Key] = r
		}
		if cats["stairwell_light"].Cases != 6 || cats["noise"].Cases != 2 || cats["noise"].Name != "噪音扰民" {
			t.Errorf("category rows = %+v", rep.Rows)
		}

		// By month over May and June.
		rep, err = f.svc.KPIs(f.ctx, KPIFilter{From: at(t, "2025-05-01 00:00"), To: to, GroupBy: GroupMonth})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Rows) != 2 || rep.Rows[0].Name != "2025-05" || rep.Rows[0].Cases != 1 || rep.Rows[1].Cases != 8 || rep.Total.Cases != 9 {
			t.Errorf("month rows = %+v", rep.Rows)
		}
		rep, err = f.svc.KPIs(f.ctx, KPIFilter{From: from, To: to, GroupBy: GroupWeek})
		if err != nil {
			t.Fatal(err)
		}
		// 1 June 2025 is a Sunday: its week is cut to one day, then five Mondays.
		if len(rep.Rows) != 6 || rep.Rows[0].From != from.UTC() || rep.Rows[1].Key != "2025-06-02" || rep.Total.Cases != 8 {
			t.Errorf("week rows = %d, first from %v, total %d", len(rep.Rows), rep.Rows[0].From, rep.Total.Cases)
		}
	})
}

// TestKPIScope: a community worker's scope leaves out the case outside the
// community.
func TestKPIScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		kpiCases(t, f)
		from, to := june(t)
		rep, err := f.svc.KPIs(f.ctx, KPIFilter{Scope: f.paths["C"], From: from, To: to, GroupBy: GroupGrid})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Total.Cases != 7 || len(rep.Rows) != 2 {
			t.Errorf("community scope: %d cases in %d rows, want 7 in 2", rep.Total.Cases, len(rep.Rows))
		}
		wantRate(t, "community response", rep.Total.Response, 2, 6)
		rep, err = f.svc.KPIs(f.ctx, KPIFilter{Scope: f.paths["G2"], From: from, To: to})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Total.Cases != 2 {
			t.Errorf("G2 scope: %d cases, want 2", rep.Total.Cases)
		}
	})
}

func TestKPIFilterErrors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := bareFixture(t, d)
		now := f.clk.Now()
		for _, kf := range []KPIFilter{
			{GroupBy: "street"},
			{From: now, To: now.Add(-time.Hour)},
			{From: now.AddDate(-20, 0, 0), To: now, GroupBy: GroupWeek},
			{Weights: KPIWeights{Response: -1, Resolution: 50, Satisfaction: 50}},
		} {
			if _, err := f.svc.KPIs(f.ctx, kf); !errors.Is(err, ErrInvalid) {
				t.Errorf("KPIs(%+v) = %v, want ErrInvalid", kf, err)
			}
		}
		// An empty database has no rates and no score, and a default period.
		rep, err := f.svc.KPIs(f.ctx, KPIFilter{})
		if err != nil || rep.Total.Cases != 0 || rep.Total.HasScore || rep.Total.Response.String() != "—" {
			t.Errorf("empty KPIs = %+v, %v", rep.Total, err)
		}
		if !rep.Filter.From.Equal(at(t, "2025-06-01 00:00")) {
			t.Errorf("default period starts %v", rep.Filter.From)
		}
	})
}

func TestScoreAndRate(t *testing.T) {
	tests := []struct {
		w             KPIWeights
		r1, r2, r3    Rate
		want          float64
		wantHasScore  bool
		wantRateText1 string
	}{
		{DefaultKPIWeights(), Rate{9, 10}, Rate{8, 10}, Rate{1, 1}, 90, true, "9/10 (90.0%)"},
		{DefaultKPIWeights(), Rate{}, Rate{1, 2}, Rate{}, 50, true, "—"},
		{KPIWeights{100, 0, 0}, Rate{}, Rate{1, 2}, Rate{1, 1}, 0, false, "—"},
		{KPIWeights{30, 35, 35}, Rate{1, 3}, Rate{2, 3}, Rate{3, 3}, 68.3, true, "1/3 (33.3%)"},
	}
	for _, tt := range tests {
		got, ok := Score(tt.w, tt.r1, tt.r2, tt.r3)
		if got != tt.want || ok != tt.wantHasScore {
			t.Errorf("Score(%v, %v, %v, %v) = %v, %v; want %v, %v", tt.w, tt.r1, tt.r2, tt.r3, got, ok, tt.want, tt.wantHasScore)
		}
		if s := tt.r1.String(); s != tt.wantRateText1 {
			t.Errorf("%#v.String() = %q, want %q", tt.r1, s, tt.wantRateText1)
		}
	}
}

// TestTopProblemsAndPropose: the month's top categories and clusters with
// their trend, and a recurring cluster proposed as a project-pool candidate
// with its evidence and an audit entry.
func TestTopProblemsAndPropose(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ids := kpiCases(t, f)
		from, to := june(t)
		top, err := f.svc.TopProblems(f.ctx, KPIFilter{From: from, To: to}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(top.Categories) != 2 {
			t.Fatalf("top categories = %+v", top.Categories)
		}
		if c := top.Categories[0]; c.Category != "stairwell_light" || c.Cases != 6 || c.Previous != 1 || c.Trend() != 1 {
			t.Errorf("first category = %+v", c)
		}
		if c := top.Categories[1]; c.Category != "noise" || c.Cases != 2 || c.Previous != 0 {
			t.Errorf("second category = %+v", c)
		}
		if len(top.Clusters) != 2 {
			t.Fatalf("clusters = %+v", top.Clusters)
		}
		g1 := top.Clusters[0]
		if g1.GridID != f.regions["G1"] || g1.GridName != "G1" || g1.Cases != 5 || g1.Previous != 1 || !g1.Recurring || g1.Proposed {
			t.Errorf("G1 cluster = %+v", g1)
		}
		if g2 := top.Clusters[1]; g2.Recurring || g2.Cases != 2 {
			t.Errorf("G2 cluster = %+v", g2)
		}

		ctx := f.as("community")
		in := ProposeInput{Scope: f.paths["C"], GridID: f.regions["G1"], Category: "stairwell_light", From: from, To: to}
		cc, err := f.svc.ProposeCluster(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		want := []int64{ids["A"], ids["B"], ids["E"], ids["F"], ids["G"]}
		if cc.Cases != 5 || cc.Previous != 1 || cc.Status != CandidateProposed || len(cc.CaseIDs) != 5 || cc.CreatedBy != f.users["community"] {
			t.Errorf("candidate = %+v", cc)
		}
		for i, id := range want {
			if i < len(cc.CaseIDs) && cc.CaseIDs[i] != id {
				t.Errorf("evidence = %v, want %v", cc.CaseIDs, want)
				break
			}
		}
		var n int
		if err := d.Read().QueryRowContext(f.ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'case_cluster.propose' AND object_id = $1`,
			itoa(cc.ID)).Scan(&n); err != nil || n != 1 {
			t.Errorf("audit entries = %d, %v", n, err)
		}
		if _, err := f.svc.ProposeCluster(ctx, in); !errors.Is(err, ErrDuplicateCandidate) || !errors.Is(err, ErrInvalid) {
			t.Errorf("second proposal = %v", err)
		}
		small := in
		small.GridID, small.Category = f.regions["G2"], "noise"
		if _, err := f.svc.ProposeCluster(ctx, small); !errors.Is(err, ErrInvalid) {
			t.Errorf("2 cases proposed: %v", err)
		}
		small.Min = 2
		if _, err := f.svc.ProposeCluster(ctx, small); err != nil {
			t.Errorf("2 cases with N = 2: %v", err)
		}
		outside := in
		outside.Scope = f.paths["G2"]
		if _, err := f.svc.ProposeCluster(ctx, outside); !errors.Is(err, ErrNotFound) {
			t.Errorf("grid outside the scope: %v", err)
		}
		notGrid := in
		notGrid.GridID = f.regions["C"]
		if _, err := f.svc.ProposeCluster(ctx, notGrid); !errors.Is(err, ErrNotFound) {
			t.Errorf("a community as grid: %v", err)
		}

		list, err := f.svc.Candidates(f.ctx, f.paths["C"])
		if err != nil || len(list) != 2 {
			t.Fatalf("candidates = %+v, %v", list, err)
		}
		if list, _ := f.svc.Candidates(f.ctx, f.paths["G1"]); len(list) != 1 || list[0].GridName != "G1" || len(list[0].CaseIDs) != 5 {
			t.Errorf("G1 candidates = %+v", list)
		}
		top, _ = f.svc.TopProblems(f.ctx, KPIFilter{From: from, To: to}, 0)
		if !top.Clusters[0].Proposed {
			t.Errorf("the proposed cluster is not marked")
		}
	})
}

// BenchmarkKPIs measures the KPI report of one month by grid and the top
// problems over the demo district's cases; GENGXIN_KPI_BENCH_CASES sets how
// many (20,000 by default, spread over 90 days).
func BenchmarkKPIs(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("GENGXIN_KPI_BENCH_CASES")); err == nil && v > 0 {
		n = v
	}
	d := dbtest.SQLite(b)
	f := bareFixture(b, d)
	demoDistrict(b, d, f)
	end := at(b, "2026-03-20 15:00")
	f.clk.set(b, "2026-03-20 15:00")
	if _, err := SeedDemo(f.ctx, f.svc, DemoOptions{Seed: 7, Now: end, Cases: n}); err != nil {
		b.Fatal(err)
	}
	kf := KPIFilter{From: at(b, "2026-02-01 00:00"), To: at(b, "2026-03-01 00:00"), GroupBy: GroupGrid}
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.svc.KPIs(f.ctx, kf); err != nil {
			b.Fatal(err)
		}
		if _, err := f.svc.TopProblems(f.ctx, kf, 10); err != nil {
			b.Fatal(err)
		}
	}
}
