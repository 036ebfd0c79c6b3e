package projects

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestAllocate(t *testing.T) {
	hh := func(id int64, floor int, area int64) ShareHousehold {
		return ShareHousehold{ID: id, Floor: floor, AreaDM2: area}
	}
	six := []ShareHousehold{hh(1, 1, 6000), hh(2, 2, 6000), hh(3, 3, 6000), hh(4, 4, 6000), hh(5, 5, 6000), hh(6, 6, 6000)}
	cases := []struct {
		name   string
		total  int64
		rule   string
		params ShareParams
		hh     []ShareHousehold
		want   []int64
		err    bool
	}{
		{"by floor, ground floor exempt, floor − 1", 1500000, ShareByFloor, ShareParams{}, six, []int64{0, 100000, 200000, 300000, 400000, 500000}, false},
		{"by floor with agreed coefficients", 100, ShareByFloor, ShareParams{Coef: map[int]int64{2: 1000, 3: 1000}}, six[:3], []int64{0, 50, 50}, false},
		{"by floor, nobody exempt", 600, ShareByFloor, ShareParams{Exempt: []int{}}, six[:3], []int64{0, 200, 400}, false},
		{"by floor, first two floors exempt", 90, ShareByFloor, ShareParams{Exempt: []int{1, 2}}, six[:4], []int64{0, 0, 36, 54}, false},
		{"by area", 1000, ShareByArea, ShareParams{}, []ShareHousehold{hh(1, 1, 5000), hh(2, 1, 15000)}, []int64{250, 750}, false},
		{"equal, remainder to the largest remainders then lower ids", 100, ShareEqual, ShareParams{}, six[:3], []int64{34, 33, 33}, false},
		{"zero total", 0, ShareEqual, ShareParams{}, six[:2], []int64{0, 0}, false},
		{"only exempt households", 100, ShareByFloor, ShareParams{}, six[:1], nil, true},
		{"unknown rule", 100, "by_mood", ShareParams{}, six, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Allocate(c.total, c.rule, c.params, c.hh)
			if c.err {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("err = %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range got {
				if s.AmountFen != c.want[i] {
					t.Errorf("household %d pays %d, want %d", s.ID, s.AmountFen, c.want[i])
				}
			}
		})
	}
}

// TestAllocateAddsUp: whatever the amounts, the shares add up to the total
// exactly and no household pays more than one fen above its exact share.
func TestAllocateAddsUp(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for n := 0; n < 500; n++ {
		var hh []ShareHousehold
		for i := range 1 + r.IntN(40) {
			hh = append(hh, ShareHousehold{ID: int64(i + 1), Floor: 1 + r.IntN(18), AreaDM2: 3000 + r.Int64N(15000)})
		}
		total := r.Int64N(200_000_000)
		rule := ShareRules[r.IntN(len(ShareRules))]
		got, err := Allocate(total, rule, ShareParams{}, hh)
		if err != nil {
			continue // everybody on the ground floor
		}
		var sum, weights int64
		for _, s := range got {
			sum += s.AmountFen
			weights += s.Weight
		}
		if sum != total {
			t.Fatalf("%s: shares add up to %d, not %d", rule, sum, total)
		}
		for _, s := range got {
			exact := float64(total) * float64(s.Weight) / float64(weights)
			if float64(s.AmountFen) < exact-1 || float64(s.AmountFen) > exact+1 {
				t.Fatalf("%s: household pays %d for an exact share of %.2f", rule, s.AmountFen, exact)
			}
		}
	}
}

func TestScore(t *testing.T) {
	in := []PriorityInput{
		{ProjectID: 1, Severity: 4, Households: 200, BudgetFen: 200 * 3_000_000}, // most severe, largest, middling cost
		{ProjectID: 2, Severity: 1, Households: 50, BudgetFen: 50 * 6_000_000},   // dearest per household
		{ProjectID: 3, Severity: 2, Households: 100, BudgetFen: 0},               // nothing planned yet: cheapest
	}
	got := Score(in, DefaultWeights)
	// 1: (40×1 + 40×1 + 20×0.5)/100 = 90; 2: (40×0.25 + 40×0.25 + 0)/100 = 20; 3: (40×0.5 + 40×0.5 + 20×1)/100 = 60.
	want := map[int64]float64{1: 90, 2: 20, 3: 60}
	for id, w := range want {
		if got[id].Score != w {
			t.Errorf("project %d scores %.1f, want %.1f (%+v)", id, got[id].Score, w, got[id])
		}
	}
	// Only households count: the largest project wins.
	got = Score(in, Weights{Households: 1})
	if got[1].Score != 100 || got[2].Score != 25 {
		t.Errorf("households only: %+v", got)
	}
	// Invalid weights fall back to the defaults.
	if Score(in, Weights{Severity: -1, Cost: 2})[1].Score != 90 {
		t.Error("invalid weights were used")
	}
}

func TestSeverityAndRollUp(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	for _, c := range []struct {
		v, th *float64
		want  float64
	}{{f(150), f(300), 0.5}, {f(900), f(300), 1}, {nil, f(3), 1}, {f(0.2), f(0), 1}, {f(2), f(2.5), 0.2}} {
		if got := Severity(c.v, c.th); got < c.want-1e-9 || got > c.want+1e-9 {
			t.Errorf("Severity(%v, %v) = %v, want %v", *orZero(c.v), *orZero(c.th), got, c.want)
		}
	}
	items := []Item{{BudgetFen: 300, ProgressPct: 100}, {BudgetFen: 100, ProgressPct: 0}}
	if got := RollUp(items); got != 750 {
		t.Errorf("by budget = %d‰, want 750", got)
	}
	items[1].Weight, items[0].Weight = 3, 1
	if got := RollUp(items); got != 250 {
		t.Errorf("by weight = %d‰, want 250", got)
	}
	if got := RollUp([]Item{{ProgressPct: 40}, {ProgressPct: 60}}); got != 500 {
		t.Errorf("no weights = %d‰, want 500", got)
	}
	if Budget(800_500, 15000) != 12007500 || FormatQuantity(800_500) != "800.5" || FormatQuantity(3000) != "3" {
		t.Error("budget or quantity format is off")
	}
}

func orZero(p *float64) *float64 {
	if p == nil {
		z := 0.0
		return &z
	}
	return p
}

// TestGates checks each condition against facts: met, and missing with the
// message that says what is missing.
func TestGates(t *testing.T) {
	elevator := Item{ID: 1, Name: "加装电梯", VoteMatter: 7, TargetType: "entrance", TargetID: 11, TargetName: "1幢1单元", BudgetFen: 100,
		Funding: []Funding{{Source: SourceLocal, AmountFen: 100}}, ProgressPct: 100}
	chargers := Item{ID: 2, Name: "充电桩", VoteMatter: 8, BudgetFen: 50, ProgressPct: 60}
	base := Facts{Project: Project{Type: TypeCompound, Scope: ScopeSums{Compounds: 1, Buildings: 2, Households: 9}},
		Items: []Item{elevator, chargers}, Compounds: []int64{1}, Records: map[string]int{}, FeedbackTotal: map[string]int{}, FeedbackOpen: map[string]int{}}
	check := func(f Facts, c Condition) Check {
		g := DefaultGate(TypeCompound, StageConsultation)
		g.Conditions = []Condition{c}
		return Evaluate(g, f)[0]
	}
	cases := []struct {
		name string
		cond Condition
		edit func(f *Facts)
		met  bool
		key  string
		arg  string
	}{
		{"no survey", CondSurveySupport, func(f *Facts) {}, false, "projects.gate.survey.none", ""},
		{"open survey does not count", CondSurveySupport, func(f *Facts) {
			f.Surveys = []SurveyRound{{Title: "意愿", Status: "open", HasSupport: true, SupportHouseholds: 9}}
		}, false, "projects.gate.survey.none", ""},
		{"5 of 9 is below 2/3", CondSurveySupport, func(f *Facts) {
			f.Surveys = []SurveyRound{{Title: "意愿", Status: "closed", HasSupport: true, SupportHouseholds: 5}}
		}, false, "projects.gate.survey.missing", "55.6"},
		{"6 of 9 is exactly 2/3", CondSurveySupport, func(f *Facts) {
			f.Surveys = []SurveyRound{{Title: "意愿", Status: "closed", HasSupport: true, SupportHouseholds: 6}}
		}, true, "projects.gate.survey.met", ""},
		{"votes missing for both items", CondVotes, func(f *Facts) {}, false, "projects.gate.votes.missing", "加装电梯 @ 1幢1单元 [278-7]；充电桩 @ compound 1 [278-8]"},
		{"a failed vote does not count", CondVotes, func(f *Facts) {
			f.Votes = []VoteResult{{Matter: 7, ScopeType: "entrance", ScopeID: 11, Status: "closed", Result: "failed"}, {Matter: 8, ScopeType: "compound", ScopeID: 1, Status: "closed", Result: "passed"}}
		}, false, "projects.gate.votes.missing", "加装电梯 @ 1幢1单元 [278-7] (failed)"},
		{"a vote of another entrance does not count", CondVotes, func(f *Facts) {
			f.Votes = []VoteResult{{Matter: 7, ScopeType: "entrance", ScopeID: 12, Status: "closed", Result: "passed"}, {Matter: 8, ScopeType: "compound", ScopeID: 1, Status: "closed", Result: "passed"}}
		}, false, "projects.gate.votes.missing", "[278-7]"},
		{"both passed", CondVotes, func(f *Facts) {
			f.Votes = []VoteResult{{Matter: 7, ScopeType: "entrance", ScopeID: 11, Status: "closed", Result: "passed"}, {Matter: 8, ScopeType: "compound", ScopeID: 1, Status: "closed", Result: "passed"}}
		}, true, "projects.gate.votes.met", ""},
		{"funding short", CondFunding, func(f *Facts) {}, false, "projects.gate.funding.missing", "充电桩 (0.00 / 0.50)"},
		{"items not complete", CondItemsComplete, func(f *Facts) {}, false, "projects.gate.items_complete.missing", "充电桩 60%"},
		{"sample feedback open", CondSampleFeedback, func(f *Facts) { f.FeedbackTotal["sample"], f.FeedbackOpen["sample"] = 3, 1 }, false, "projects.gate.sample_feedback.open", ""},
		{"sample feedback answered", CondSampleFeedback, func(f *Facts) { f.FeedbackTotal["sample"] = 3 }, true, "projects.gate.sample_feedback.met", ""},
		{"sample survey round closed", CondSampleFeedback, func(f *Facts) { f.Surveys = []SurveyRound{{Stage: "sample", Status: "closed"}} }, true, "projects.gate.sample_feedback.met", ""},
		{"design approval", CondDesignApproval, func(f *Facts) { f.Records[RecordDesignApproval] = 1 }, true, "projects.gate.design_approval.met", ""},
		{"no completion acceptance", CondCompletionAcceptance, func(f *Facts) {}, false, "projects.gate.completion_acceptance.missing", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := base
			f.Records, f.FeedbackTotal, f.FeedbackOpen = map[string]int{}, map[string]int{}, map[string]int{}
			c.edit(&f)
			got := check(f, c.cond)
			if got.Met != c.met || got.Key != c.key {
				t.Fatalf("got met=%v key=%s, want met=%v key=%s", got.Met, got.Key, c.met, c.key)
			}
			if c.arg != "" {
				var s strings.Builder
				for _, a := range got.Args {
					s.WriteString(strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(toString(a), "\n", ""), "\t", "")))
					s.WriteString("|")
				}
				if !strings.Contains(s.String(), c.arg) {
					t.Errorf("args %q lack %q", s.String(), c.arg)
				}
			}
		})
	}
	// The defaults of domain.md §3: consultation needs 2/3 support and the votes.
	g := DefaultGate(TypeCompound, StageConsultation)
	if !g.Has(CondSurveySupport) || !g.Has(CondVotes) || g.SupportNum != 2 || g.SupportDen != 3 {
		t.Errorf("default consultation gate = %+v", g)
	}
	if s := DefaultGate(TypeCompound, StageSample); !s.Has(CondDesignApproval) || !s.Has(CondSampleAcceptance) || !s.Has(CondSampleFeedback) {
		t.Errorf("default sample gate = %+v", s)
	}
	if DefaultGate(TypeIndustrial, StageConsultation).Has(CondSurveySupport) {
		t.Error("industrial land has no households to survey")
	}
}

func toString(a any) string {
	switch v := a.(type) {
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}
