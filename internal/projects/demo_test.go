package projects

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
)

func TestSeedDemo(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx, svc := demoDistrict(t, d)
		sum, err := SeedDemo(ctx, svc, DemoOptions{Seed: 7, Now: demoNow})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("demo: %d projects %v, %d findings, %d opinions", len(sum.Projects), sum.ByStage, sum.Findings, sum.Feedback)
		if len(sum.Projects) < 20 || sum.Findings == 0 {
			t.Errorf("the demo made %d projects from %d findings", len(sum.Projects), sum.Findings)
		}
		// Every stage is listed, as the pool page and the API read it.
		for _, st := range Stages {
			list, n, err := svc.List(ctx, Filter{Stage: st})
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				t.Errorf("no demo project in %s", st)
				continue
			}
			for _, p := range list {
				if p.Scope.Households == 0 || p.BudgetFen == 0 || p.RegionPath == "" {
					t.Errorf("%s %s: households %d, budget %d, region %q", p.Code, p.Name, p.Scope.Households, p.BudgetFen, p.RegionPath)
				}
			}
		}
		all, _, err := svc.List(ctx, Filter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		types := map[string]int{}
		subdistricts := map[string]bool{}
		years := map[int]bool{}
		var delayed, openFeedback, overridden int
		for _, p := range all {
			types[p.Type]++
			subdistricts[regionPrefix(p.RegionPath, 3)] = true
			years[p.PlanYear] = true
			si := StageIndex(p.Stage)
			items, err := svc.Items(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			// Past the sample gate, every item is funded exactly.
			if si > StageIndex(StageSample) {
				for _, it := range items {
					if it.FundingFen() != it.BudgetFen {
						t.Errorf("%s item %s: funding %d, budget %d", p.Code, it.Name, it.FundingFen(), it.BudgetFen)
					}
				}
				if p.FundingFen != p.BudgetFen {
					t.Errorf("%s: funding %d, budget %d", p.Code, p.FundingFen, p.BudgetFen)
				}
			}
			for _, it := range items {
				if it.Kind == "elevator" && (it.TargetType != "entrance" || it.TargetID == 0 || it.VoteMatter != 7) {
					t.Errorf("%s elevator item %+v", p.Code, it)
				}
			}
			switch {
			case si > StageIndex(StageConstruction) && p.ProgressPermille != 1000:
				t.Errorf("%s in %s at %d ‰", p.Code, p.Stage, p.ProgressPermille)
			case si == StageIndex(StageConstruction) && (p.ProgressPermille == 0 || p.ProgressPermille == 1000 || p.SpentFen == 0):
				t.Errorf("%s under construction at %d ‰, spent %d", p.Code, p.ProgressPermille, p.SpentFen)
			case si > StageIndex(StageConstruction) && (p.SpentFen == 0 || p.SpentFen > p.BudgetFen):
				t.Errorf("%s spent %d of %d", p.Code, p.SpentFen, p.BudgetFen)
			}
			ms, err := svc.Milestones(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				if m.Delayed {
					delayed++
				}
			}
			rounds, total, err := svc.FeedbackSummary(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			openFeedback += total.Open
			if si >= StageIndex(StageConsultation) && total.Collected == 0 {
				t.Errorf("%s in %s has no resident feedback", p.Code, p.Stage)
			}
			if si >= StageIndex(StageAcceptance) && (total.Open != 0 || slices.ContainsFunc(rounds, func(r RoundSummary) bool { return r.Collected == 0 })) {
				t.Errorf("%s in %s: rounds %+v", p.Code, p.Stage, rounds)
			}
			// A gate is passed over only for a back-filled project of an
			// earlier year, with the written reason.
			evs, err := svc.Events(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != si+1 {
				t.Errorf("%s in %s has %d stage events", p.Code, p.Stage, len(evs))
			}
			for i, e := range evs {
				if i > 0 && e.At.Before(evs[i-1].At) || e.At.After(demoNow) {
					t.Errorf("%s: stage events out of order or in the future: %+v", p.Code, evs)
				}
				if e.Overridden {
					overridden++
					if p.PlanYear >= 2026 || e.From != StageConsultation || e.Reason != demoOverrideReason {
						t.Errorf("%s (%d): override %+v", p.Code, p.PlanYear, e)
					}
				}
			}
		}
		if types[TypeCompound] < len(all)/2 || len(types) < 4 {
			t.Errorf("project types %v", types)
		}
		if len(subdistricts) < 4 || len(years) < 4 {
			t.Errorf("projects spread over subdistricts %v and years %v", subdistricts, years)
		}
		if delayed == 0 || openFeedback == 0 || overridden == 0 {
			t.Errorf("delayed milestones %d, open opinions %d, overrides %d", delayed, openFeedback, overridden)
		}

		// The projects under consultation say honestly what is missing, and
		// Advance refuses them.
		cons, _, err := svc.List(ctx, Filter{Stage: StageConsultation, Type: TypeCompound})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range cons {
			gs, err := svc.NextGate(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if gs.Open || gs.Checks[0].Condition != CondSurveySupport || gs.Checks[0].Met {
				t.Errorf("%s consultation gate %+v", p.Code, gs)
			}
			var ge *GateError
			if _, err := svc.Advance(ctx, p.ID, false, ""); !errors.As(err, &ge) {
				t.Errorf("%s left consultation without its survey: %v", p.Code, err)
			}
		}
		// The households of the projects under consultation have notes.
		var notes int
		if err := d.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM household_notes n JOIN projects p ON p.id = n.project_id WHERE p.stage = 'consultation'`).Scan(&notes); err != nil {
			t.Fatal(err)
		}
		if notes == 0 {
			t.Error("no household notes on the projects under consultation")
		}

		// Entering aftercare resolved the projects' findings, pending the next check.
		rows, err := d.Read().QueryContext(ctx, `SELECT f.status, COUNT(*) FROM project_findings pf JOIN findings f ON f.id = pf.finding_id
			JOIN projects p ON p.id = pf.project_id WHERE p.stage = 'aftercare' GROUP BY f.status`)
		if err != nil {
			t.Fatal(err)
		}
		st := map[string]int{}
		for rows.Next() {
			var s string
			var n int
			if err := rows.Scan(&s, &n); err != nil {
				t.Fatal(err)
			}
			st[s] = n
		}
		rows.Close()
		if len(st) != 1 || st["resolved"] == 0 {
			t.Errorf("findings of aftercare projects: %v", st)
		}
		if js, err := json.Marshal(sum); err != nil || len(js) < 100 {
			t.Errorf("summary JSON %s, %v", js, err)
		}
	})
}

// regionPrefix returns the first n regions of a path.
func regionPrefix(path string, n int) string {
	k := 0
	for i, c := range path {
		if c == '/' && i > 0 {
			k++
			if k == n {
				return path[:i+1]
			}
		}
	}
	return path
}

// TestSeedDemoSameSeed seeds two fresh databases with the same seed and finds
// the same projects in the same stages.
func TestSeedDemoSameSeed(t *testing.T) {
	var got [2][]DemoProject
	for i := range got {
		d := dbtest.SQLite(t)
		ctx, svc := demoDistrict(t, d)
		sum, err := SeedDemo(ctx, svc, DemoOptions{Seed: 3, Now: demoNow})
		if err != nil {
			t.Fatal(err)
		}
		got[i] = sum.Projects
	}
	if len(got[0]) == 0 || !slices.Equal(got[0], got[1]) {
		t.Errorf("the same seed gave\n%v\nand\n%v", got[0], got[1])
	}
	other, _, _ := func() ([]DemoProject, int, error) {
		d := dbtest.SQLite(t)
		ctx, svc := demoDistrict(t, d)
		sum, err := SeedDemo(ctx, svc, DemoOptions{Seed: 4, Now: demoNow})
		return sum.Projects, 0, err
	}()
	if slices.Equal(got[0], other) {
		t.Error("another seed gave the same projects")
	}
}
