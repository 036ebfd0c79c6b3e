package checkup

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
	"github.com/gengxin/gengxin/internal/places"
	"github.com/xuri/excelize/v2"
)

func TestCatalogueWellFormed(t *testing.T) {
	c, err := LoadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	if c.Version == "" {
		t.Fatal("no version")
	}
	levels := map[string]int{}
	computable := 0
	for _, ind := range c.Indicators {
		levels[ind.Level]++
		if ind.Computable {
			computable++
		} else if ind.Needs == "" {
			t.Errorf("%s: not computable but does not say what it needs", ind.Code)
		}
		if !strings.HasPrefix(ind.Code, ind.Level+".") {
			t.Errorf("%s: code does not start with its level %s", ind.Code, ind.Level)
		}
		for _, cat := range append(anyStrings(ind.Params["categories"]), kindCategories(ind)...) {
			if _, ok := places.CategoryByCode(cat); !ok {
				t.Errorf("%s: unknown facility category %q", ind.Code, cat)
			}
		}
	}
	for _, l := range Levels {
		if levels[l] == 0 {
			t.Errorf("no indicator at level %s", l)
		}
	}
	if computable < 15 {
		t.Errorf("only %d computable indicators", computable)
	}
	// The starter indicators of the national catalogue are all present.
	for _, code := range []string{"housing.structural_hazard", "housing.gas_pipe_age", "housing.stairwell_hazard", "housing.envelope_hazard",
		"housing.non_self_contained", "housing.age_friendly", "housing.energy_retrofit", "compound.elderly_care", "compound.infant_care",
		"compound.kindergarten", "compound.parking_gap", "compound.property_management", "block.middle_school_coverage", "block.park_coverage",
		"block.life_circle_15_rate", "district.old_compounds_renovated", "district.park_area_per_capita", "district.road_density"} {
		if _, ok := c.Indicator(code); !ok {
			t.Errorf("catalogue lacks %s", code)
		}
	}
	// Life-circle levels are cumulative: each wider circle requires every kind
	// of the narrower ones, with the same radius.
	prev := map[string]float64{}
	for _, code := range []string{"compound.life_circle_5", "compound.life_circle_10", "compound.life_circle_15"} {
		ind, _ := c.Indicator(code)
		r, err := compileRule(ind, ind.Params)
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]float64{}
		for _, k := range r.Kinds {
			have[k.Kind] = k.RadiusM
		}
		for k, rad := range prev {
			if have[k] != rad {
				t.Errorf("%s lacks %s (%v m) of the narrower circle", code, k, rad)
			}
		}
		prev = have
	}
	if prev["middle_school"] != 1000 || prev["kindergarten"] != 300 || prev["primary_school"] != 500 {
		t.Errorf("15-minute radii = %v", prev)
	}
}

func anyStrings(v any) []string {
	var out []string
	if l, ok := v.([]any); ok {
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

func kindCategories(ind Indicator) []string {
	var out []string
	if l, ok := ind.Params["kinds"].([]any); ok {
		for _, k := range l {
			if m, ok := k.(map[string]any); ok {
				out = append(out, anyStrings(m["categories"])...)
			}
		}
	}
	return out
}

func TestCatalogueRejectsBadEntries(t *testing.T) {
	good := string(catalogueJSON)
	for name, doc := range map[string]string{
		"no version":   strings.Replace(good, `"version": "2026.1"`, `"version": ""`, 1),
		"bad level":    strings.Replace(good, `"level": "housing"`, `"level": "planet"`, 1),
		"bad radius":   strings.Replace(good, `"categories": ["kindergarten"], "radius_m": 300}`, `"categories": ["kindergarten"], "radius_m": -1}`, 1),
		"unknown key":  strings.Replace(good, `"max_age_years": 20`, `"max_age_years": 20, "colour": "red"`, 1),
		"repeated":     strings.Replace(good, `"code": "housing.envelope_hazard"`, `"code": "housing.stairwell_hazard"`, 1),
		"not json":     good[:100],
		"needs absent": strings.Replace(good, `"needs": "structural safety appraisal or inspection records per building",`, "", 1),
	} {
		if _, err := ParseCatalogue([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestRules(t *testing.T) {
	for _, c := range []struct {
		year, pipe   int
		known, fails bool
		wantAge      int
	}{
		{2026, 2006, true, true, 20}, // exactly 20 years fails (≥ 20)
		{2026, 2007, true, false, 19},
		{2026, 1990, true, true, 36},
		{2026, 0, false, false, 0}, // unknown year: no verdict
	} {
		age, known, fails := GasPipeAge(c.year, c.pipe, 20)
		if age != c.wantAge || known != c.known || fails != c.fails {
			t.Errorf("GasPipeAge(%d, %d) = %d %v %v", c.year, c.pipe, age, known, fails)
		}
	}
	for _, c := range []struct {
		storeys        int
		elevator, ramp bool
		want           string
	}{
		{3, false, true, ""},
		{4, false, true, "no_elevator"}, // 4 storeys is the boundary
		{4, true, true, ""},
		{4, true, false, "no_ramp"},
		{6, false, false, "no_elevator,no_ramp"},
		{1, false, false, "no_ramp"},
	} {
		got := strings.Join(AgeFriendlyReasons(c.storeys, c.elevator, c.ramp, 4, true), ",")
		if got != c.want {
			t.Errorf("AgeFriendlyReasons(%d, %v, %v) = %q, want %q", c.storeys, c.elevator, c.ramp, got, c.want)
		}
		if NeedsElevator(c.storeys, c.elevator, 4) != strings.Contains(c.want, "no_elevator") {
			t.Errorf("NeedsElevator(%d, %v) disagrees", c.storeys, c.elevator)
		}
	}
	cat, _ := LoadCatalogue()
	park, _ := cat.Indicator("block.park_coverage")
	r, err := compileRule(park, park.Params)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		area, radius float64
	}{
		{10000, 500}, {5000, 500}, {4999.99, 300}, {2000, 300}, {1999.99, 0}, {0, 0},
	} {
		if got := ParkServiceRadius(r.Classes, c.area); got != c.radius {
			t.Errorf("park of %v m² serves %v m, want %v", c.area, got, c.radius)
		}
		if got := places.ParkRadius(int64(math.Round(c.area * 100))); got != c.radius {
			t.Errorf("catalogue and places disagree on a park of %v m²: %v", c.area, got)
		}
	}
	kinds := []KindSpec{
		{Kind: "kindergarten", RadiusM: 300, Circle: 5},
		{Kind: "primary_school", RadiusM: 500, Circle: 10},
		{Kind: "middle_school", RadiusM: 1000, Circle: 15},
	}
	dist := map[string]float64{"kindergarten": 300, "primary_school": 600, "middle_school": 900}
	lookup := func(k string) float64 { return dist[k] }
	for _, c := range []struct {
		minutes int
		missing string
	}{
		{5, ""}, {10, "primary_school"}, {15, "primary_school"},
	} {
		o := LifeCircle(kinds, c.minutes, lookup)
		if strings.Join(o.Missing, ",") != c.missing || o.Attained() != (c.missing == "") {
			t.Errorf("%d-minute circle: missing %v", c.minutes, o.Missing)
		}
	}
	// A 15-minute circle fails when a 5-minute kind is missing even though every
	// 15-minute kind is near (levels are cumulative).
	dist = map[string]float64{"kindergarten": math.Inf(1), "primary_school": 100, "middle_school": 100}
	if o := LifeCircle(kinds, 15, lookup); o.Attained() || !slices.Equal(o.Missing, []string{"kindergarten"}) {
		t.Errorf("cumulative: %+v", o)
	}
	dist = map[string]float64{"kindergarten": math.NaN(), "primary_school": 100, "middle_school": 100}
	if o := LifeCircle(kinds, 15, lookup); o.Attained() || o.Decided() {
		t.Errorf("unknown distance must leave the verdict open: %+v", o)
	}
	p, ok := CoveragePercent(2, 3)
	if !ok || math.Abs(p-200.0/3) > 1e-12 {
		t.Errorf("2/3 = %v", p)
	}
	if CoverageMeets(2, 3, 66.67) || !CoverageMeets(2, 3, 66.66) || !CoverageMeets(3, 3, 100) || CoverageMeets(299, 300, 100) {
		t.Error("CoverageMeets boundaries")
	}
	if _, ok := CoveragePercent(0, 0); ok {
		t.Error("coverage of nothing must have no figure")
	}
	if !Within(300, 300) || Within(300.01, 300) || Within(math.NaN(), 300) || Within(math.Inf(1), 300) {
		t.Error("Within boundaries")
	}
}

func TestRunSmallDistrict(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		w.load(t, smallDataset())
		net := w.saveNetwork(t)
		if net.Nodes != 44 || net.Edges != 2*43 {
			t.Errorf("network %d nodes, %d edges", net.Nodes, net.Edges)
		}
		var steps []int
		sum, err := w.svc.Run(w.ctx, RunRequest{Year: 2026}, func(done, total int) { steps = append(steps, done) })
		if err != nil {
			t.Fatal(err)
		}
		run := sum.Run
		if run.Status != RunDone || run.NetworkID != net.ID || !slices.Equal(run.Variants, []string{VariantWalk, VariantLine}) || run.CatalogueVersion == "" {
			t.Fatalf("run = %+v", run)
		}
		if len(steps) == 0 || steps[len(steps)-1] != run.ProgressTotal {
			t.Errorf("progress %v of %d", steps, run.ProgressTotal)
		}
		if run.Params["housing.gas_pipe_age"]["max_age_years"] != 20.0 {
			t.Errorf("stored params = %v", run.Params["housing.gas_pipe_age"])
		}
		if run.IndicatorsSkipped == 0 || !slices.ContainsFunc(run.Notes, func(n string) bool { return strings.Contains(n, "housing.structural_hazard skipped") }) {
			t.Errorf("notes = %v", run.Notes)
		}

		// Housing: gas pipes of exactly 20 years fail, 19 pass.
		for id, want := range map[int64]string{1: "fail", 2: "fail", 3: "pass", 4: "pass"} {
			if got := passed(w.value(t, run.ID, "housing.gas_pipe_age", "", ObjectBuilding, id)); got != want {
				t.Errorf("gas pipe of building %d: %s, want %s", id, got, want)
			}
		}
		gas := w.findingsOf(t, "housing.gas_pipe_age", "")
		if len(gas) != 2 || gas[1].Status != StatusNew || !strings.Contains(string(gas[1].Evidence), `"gas_pipe_year":1995`) || gas[1].Geometry == "" {
			t.Errorf("gas findings = %+v", gas)
		}
		if f := gas[1]; f.ObjectName != "老街小区 1幢" || *f.Value != 31 || *f.Threshold != 20 {
			t.Errorf("gas finding of B1 = %+v", f)
		}
		if el := w.findingsOf(t, "housing.elevator_need", ""); len(el) != 2 || el[1].ID == 0 || el[3].ID == 0 {
			t.Errorf("elevator findings = %v", el)
		}
		if af := w.findingsOf(t, "housing.age_friendly", ""); len(af) != 2 || !strings.Contains(string(af[1].Evidence), `"no_elevator","no_ramp"`) {
			t.Errorf("age-friendly findings = %v", af)
		}
		if ns := w.findingsOf(t, "housing.non_self_contained", ""); len(ns) != 1 || *ns[1].Value != 2 {
			t.Errorf("non-self-contained findings = %v", ns)
		}
		if pm := w.findingsOf(t, "compound.property_management", ""); len(pm) != 1 || pm[1].ID == 0 {
			t.Errorf("property findings = %v", pm)
		}

		// Kindergarten: C2 passes in a straight line (256 m) but fails on foot (≈1.29 km).
		kw := w.value(t, run.ID, "compound.kindergarten", VariantWalk, ObjectCompound, 2)
		kl := w.value(t, run.ID, "compound.kindergarten", VariantLine, ObjectCompound, 2)
		if passed(kw) != "fail" || math.Abs(*kw.Value-1286.8) > 2 || passed(kl) != "pass" || math.Abs(*kl.Value-255.7) > 1 {
			t.Errorf("C2 kindergarten walk %v %v, line %v %v", passed(kw), *kw.Value, passed(kl), *kl.Value)
		}
		if k1 := w.value(t, run.ID, "compound.kindergarten", VariantWalk, ObjectCompound, 1); passed(k1) != "pass" || math.Abs(*k1.Value-28.6) > 0.5 {
			t.Errorf("C1 kindergarten walk %v %v", passed(k1), *k1.Value)
		}
		kf := w.findingsOf(t, "compound.kindergarten", VariantWalk)
		if len(kf) != 1 || !strings.Contains(string(kf[2].Evidence), "河对岸幼儿园") {
			t.Errorf("kindergarten walk findings = %+v", kf)
		}
		if len(w.findingsOf(t, "compound.kindergarten", VariantLine)) != 0 {
			t.Error("no straight-line kindergarten finding expected")
		}
		if ec := w.findingsOf(t, "compound.elderly_care", VariantLine); len(ec) != 2 {
			t.Errorf("elderly care: no facility at all, both compounds fail: %v", ec)
		}

		// Middle school coverage by households: C1 (8 households) covered both
		// ways, C2 (4) only in a straight line → 2/3 on foot.
		for _, lvl := range []struct {
			code string
			id   int64
		}{{"block.middle_school_coverage", 2}, {"district.middle_school_coverage", 1}} {
			mw := w.value(t, run.ID, lvl.code, VariantWalk, ObjectRegion, lvl.id)
			ml := w.value(t, run.ID, lvl.code, VariantLine, ObjectRegion, lvl.id)
			if math.Abs(*mw.Value-200.0/3) > 1e-9 || passed(mw) != "fail" || *ml.Value != 100 || passed(ml) != "pass" {
				t.Errorf("%s walk %v line %v", lvl.code, *mw.Value, *ml.Value)
			}
		}
		// Parks: the 6,000 m² park serves C1 at 190 m, the 3,000 m² one C2 at 22 m.
		if pw := w.value(t, run.ID, "block.park_coverage", VariantWalk, ObjectRegion, 2); *pw.Value != 100 {
			t.Errorf("park coverage walk = %v", *pw.Value)
		}
		if od := w.value(t, run.ID, "district.old_compounds_renovated", "", ObjectRegion, 1); *od.Value != 0 || od.Passed != nil {
			t.Errorf("old compounds renovated = %+v", od)
		}

		// The run's results, by level.
		res, err := w.svc.Results(w.ctx, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]Result{}
		for _, r := range res {
			got[r.Indicator.Code+"|"+r.Variant] = r
		}
		if r := got["housing.gas_pipe_age|"]; *r.Value != 2 || *r.Passed || r.Objects != 4 || r.Failing != 2 || r.Previous != nil {
			t.Errorf("gas result = %+v", r)
		}
		if r := got["housing.non_self_contained|"]; *r.Value != 2 || r.Failing != 1 {
			t.Errorf("non-self-contained result = %+v", r)
		}
		if r := got["block.middle_school_coverage|walk"]; math.Abs(*r.Value-200.0/3) > 1e-9 || *r.Threshold != 100 || *r.Passed {
			t.Errorf("coverage result = %+v", r)
		}
		if r := got["housing.structural_hazard|"]; r.Computed || r.Value != nil || !strings.Contains(r.Note, "inspection") {
			t.Errorf("structural result = %+v", r)
		}
		if res[0].Indicator.Level != LevelHousing || res[len(res)-1].Indicator.Level != LevelDistrict {
			t.Error("results are not ordered by level")
		}

		// The life-circle card of C2.
		card, err := w.svc.LifeCircleCard(w.ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		if card.RunID != run.ID || !card.Walk || len(card.Rows) != 17 {
			t.Fatalf("card = %+v", card)
		}
		for _, r := range card.Rows {
			if r.Kind != "kindergarten" {
				continue
			}
			if r.WalkFacility != "河对岸幼儿园" || *r.InsideWalk || !r.InsideLine || math.Abs(*r.LineM-255.7) > 1 {
				t.Errorf("kindergarten row = %+v", r)
			}
		}
		if _, err := w.svc.LifeCircleCard(w.ctx, 999); !errors.Is(err, ErrNotFound) {
			t.Errorf("card of unknown compound: %v", err)
		}

		// Filters: status, level, scope and box.
		all, total, err := w.svc.Findings(w.ctx, FindingFilter{})
		if err != nil || total != len(all) || total == 0 {
			t.Fatalf("findings %d %d %v", len(all), total, err)
		}
		_, nb, _ := w.svc.Findings(w.ctx, FindingFilter{Level: LevelHousing})
		_, nbox, _ := w.svc.Findings(w.ctx, FindingFilter{Level: LevelHousing, BBox: places.BBox{MinLon: 120.0040, MinLat: 31.0005, MaxLon: 120.0047, MaxLat: 31.001}})
		_, nscope, _ := w.svc.Findings(w.ctx, FindingFilter{Scope: "/9/"})
		_, nres, _ := w.svc.Findings(w.ctx, FindingFilter{Statuses: []string{StatusResolved}})
		if nb != 7 || nbox != 4 || nscope != 0 || nres != 0 {
			t.Errorf("filtered findings: housing %d, box %d, other scope %d, resolved %d", nb, nbox, nscope, nres)
		}
	})
}

func TestStraightLineOnlyWithoutNetwork(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		w.load(t, smallDataset())
		sum := w.run(t, RunRequest{})
		if !slices.Equal(sum.Run.Variants, []string{VariantLine}) || sum.Run.NetworkID != 0 ||
			!slices.ContainsFunc(sum.Run.Notes, func(n string) bool { return strings.Contains(n, "no walk network") }) {
			t.Fatalf("run = %+v", sum.Run)
		}
		if n := len(w.findingsOf(t, "compound.kindergarten", VariantWalk)); n != 0 {
			t.Errorf("%d walking findings without a network", n)
		}
		card, err := w.svc.LifeCircleCard(w.ctx, 1)
		if err != nil || card.Walk || card.Rows[0].WalkM != nil {
			t.Errorf("card = %+v %v", card, err)
		}
		// A later run with a network adds walking findings and leaves the
		// straight-line ones alone.
		w.saveNetwork(t)
		w.run(t, RunRequest{})
		if n := len(w.findingsOf(t, "compound.kindergarten", VariantWalk)); n != 1 {
			t.Errorf("%d walking kindergarten findings", n)
		}
		// A scope that does not exist is refused before anything is written.
		if _, err := w.svc.Run(w.ctx, RunRequest{Year: 2026, ScopeRegionID: 99}, nil); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown scope: %v", err)
		}
		if _, err := w.svc.Run(w.ctx, RunRequest{Year: 26}, nil); !errors.Is(err, ErrBadRequest) {
			t.Errorf("bad year: %v", err)
		}
		if _, err := w.svc.SaveNetwork(w.ctx, "broken", FormatOSMXML, strings.NewReader("<osm><way")); !errors.Is(err, ErrBadNetwork) {
			t.Errorf("broken network: %v", err)
		}
	})
}

func TestFindingsAcrossRuns(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		w.load(t, smallDataset())
		w.saveNetwork(t)
		first := w.run(t, RunRequest{}).Run
		before := w.findingsOf(t, "housing.elevator_need", "")

		// B1 gets an elevator; a new 5-storey building without one appears in C2.
		if _, err := d.Write().ExecContext(w.ctx, `UPDATE buildings SET has_elevator = TRUE WHERE code = 'B1'`); err != nil {
			t.Fatal(err)
		}
		w.load(t, &places.Dataset{Buildings: []places.Building{{ID: 5, Code: "B5", CompoundID: 2, Name: "2幢", Storeys: 5, HasRamp: true, GasPipeYear: 2010, Lon: 120.0155, Lat: 31.0022}}})
		second := w.run(t, RunRequest{}).Run
		if second.FindingsNew == 0 || second.FindingsResolved == 0 || second.FindingsOpen == 0 {
			t.Errorf("second run counts = new %d open %d resolved %d", second.FindingsNew, second.FindingsOpen, second.FindingsResolved)
		}
		after := w.findingsOf(t, "housing.elevator_need", "")
		if f := after[1]; f.ID != before[1].ID || f.Status != StatusResolved || f.ResolvedRunID != second.ID || f.FirstRunID != first.ID {
			t.Errorf("B1 after the elevator = %+v", f)
		}
		if f := after[3]; f.ID != before[3].ID || f.Status != StatusOpen || f.LastRunID != second.ID || f.FirstRunID != first.ID {
			t.Errorf("unchanged B3 = %+v", f)
		}
		if f := after[5]; f.Status != StatusNew || f.FirstRunID != second.ID {
			t.Errorf("new B5 = %+v", f)
		}
		// B1 still lacks a ramp: its age-friendly finding stays open.
		if f := w.findingsOf(t, "housing.age_friendly", "")[1]; f.Status != StatusOpen || !strings.Contains(string(f.Evidence), `"has_elevator":true`) {
			t.Errorf("B1 age-friendly = %+v", f)
		}
		ev, err := w.svc.FindingEvents(w.ctx, after[1].ID)
		if err != nil || len(ev) != 2 || ev[0].ToStatus != StatusNew || ev[1].FromStatus != StatusNew || ev[1].ToStatus != StatusResolved || ev[1].RunID != second.ID {
			t.Errorf("B1 history = %+v %v", ev, err)
		}
		// The trend: the second run's results carry the first run's values.
		res, _ := w.svc.Results(w.ctx, second.ID)
		for _, r := range res {
			if r.Indicator.Code == "housing.elevator_need" && (r.Previous == nil || *r.Previous != 2 || *r.Value != 2 || r.PreviousRunID != first.ID) {
				t.Errorf("elevator trend = %+v", r)
			}
		}

		// The elevator is removed again: the resolved finding reopens with an event.
		if _, err := d.Write().ExecContext(w.ctx, `UPDATE buildings SET has_elevator = FALSE WHERE code = 'B1'`); err != nil {
			t.Fatal(err)
		}
		third := w.run(t, RunRequest{}).Run
		f := w.findingsOf(t, "housing.elevator_need", "")[1]
		if f.ID != before[1].ID || f.Status != StatusOpen || f.ResolvedRunID != 0 || f.LastRunID != third.ID {
			t.Errorf("reopened B1 = %+v", f)
		}
		ev, _ = w.svc.FindingEvents(w.ctx, f.ID)
		if last := ev[len(ev)-1]; last.FromStatus != StatusResolved || last.ToStatus != StatusOpen || last.RunID != third.ID {
			t.Errorf("reopen event = %+v", last)
		}
		runs, total, err := w.svc.Runs(w.ctx, 0, 0)
		if err != nil || total != 3 || runs[0].ID != third.ID {
			t.Errorf("runs = %d %v", total, err)
		}
	})
}

func TestFindingStatusWorkflow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		w.load(t, smallDataset())
		w.run(t, RunRequest{LineOnly: true})
		f := w.findingsOf(t, "housing.gas_pipe_age", "")[1]
		ctx := audit.WithActor(w.ctx, audit.Actor{Kind: audit.ActorUser, ID: 7, Name: "planner.li"})
		for _, st := range []string{StatusOpen, StatusInProject, StatusResolved, StatusVerified, StatusOpen} {
			if err := w.svc.SetFindingStatus(ctx, f.ID, st, "step "+st); err != nil {
				t.Fatalf("to %s: %v", st, err)
			}
		}
		if err := w.svc.SetFindingStatus(ctx, f.ID, StatusVerified, ""); !errors.Is(err, ErrBadTransition) {
			t.Errorf("open → verified: %v", err)
		}
		if err := w.svc.SetFindingStatus(ctx, f.ID, "done", ""); !errors.Is(err, ErrBadTransition) {
			t.Errorf("unknown status: %v", err)
		}
		if err := w.svc.SetFindingStatus(ctx, 9999, StatusOpen, ""); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown finding: %v", err)
		}
		got, err := w.svc.FindingByID(w.ctx, f.ID)
		if err != nil || got.Status != StatusOpen {
			t.Fatalf("finding = %+v %v", got, err)
		}
		ev, _ := w.svc.FindingEvents(w.ctx, f.ID)
		if len(ev) != 6 || ev[2].Actor != "planner.li" || ev[2].ToStatus != StatusInProject || ev[2].Note != "step in_project" || ev[2].RunID != 0 {
			t.Errorf("events = %+v", ev)
		}
		entries, n, err := w.log.List(w.ctx, audit.Filter{Action: "checkup.finding.status", ObjectID: strconv.FormatInt(f.ID, 10)})
		if err != nil || n != 5 || entries[0].Actor.Name != "planner.li" || !strings.Contains(entries[0].After, `"open"`) {
			t.Errorf("audit = %d %+v %v", n, entries, err)
		}
		if v, err := w.log.Verify(w.ctx); err != nil || v.Broken != nil {
			t.Errorf("audit chain: %+v %v", v, err)
		}
		// A finding in a project stays in the project while it keeps failing;
		// one verified as fixed that fails again is reopened.
		if err := w.svc.SetFindingStatus(ctx, f.ID, StatusInProject, ""); err != nil {
			t.Fatal(err)
		}
		w.run(t, RunRequest{LineOnly: true})
		if got, _ := w.svc.FindingByID(w.ctx, f.ID); got.Status != StatusInProject {
			t.Errorf("after a run: %s", got.Status)
		}
	})
}

func TestOverrideChangesResult(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		w.load(t, smallDataset())
		ctx := audit.WithActor(w.ctx, audit.Actor{Kind: audit.ActorUser, ID: 1, Name: "admin"})
		for name, p := range map[string]Params{
			"unknown key": {"colour": "red"},
			"wrong type":  {"max_age_years": "twenty"},
			"bad value":   {"max_age_years": -3},
			"empty":       {},
		} {
			if err := w.svc.SetOverride(ctx, "housing.gas_pipe_age", p); !errors.Is(err, ErrBadParams) {
				t.Errorf("%s: %v", name, err)
			}
		}
		if err := w.svc.SetOverride(ctx, "no.such", Params{"x": 1}); !errors.Is(err, ErrBadParams) {
			t.Errorf("unknown indicator: %v", err)
		}
		// Cities that count 25 years: the 2006 pipes of B2 (20 years) pass.
		if err := w.svc.SetOverride(ctx, "housing.gas_pipe_age", Params{"max_age_years": 25}); err != nil {
			t.Fatal(err)
		}
		os, err := w.svc.Overrides(w.ctx)
		if err != nil || len(os) != 1 || os[0].UpdatedBy != "admin" || os[0].Params["max_age_years"] != 25.0 {
			t.Fatalf("overrides = %+v %v", os, err)
		}
		run := w.run(t, RunRequest{LineOnly: true}).Run
		if run.Params["housing.gas_pipe_age"]["max_age_years"] != 25.0 {
			t.Errorf("run params = %v", run.Params["housing.gas_pipe_age"])
		}
		if v := w.value(t, run.ID, "housing.gas_pipe_age", "", ObjectBuilding, 2); passed(v) != "pass" || *v.Threshold != 25 {
			t.Errorf("B2 with 25 years = %s", passed(v))
		}
		if gas := w.findingsOf(t, "housing.gas_pipe_age", ""); len(gas) != 1 {
			t.Errorf("gas findings = %d", len(gas))
		}
		// A kindergarten radius of 30 m: C1's kindergarten at 28.6 m still serves.
		if err := w.svc.SetOverride(ctx, "compound.kindergarten", Params{"radius_m": 25}); err != nil {
			t.Fatal(err)
		}
		run = w.run(t, RunRequest{LineOnly: true}).Run
		if v := w.value(t, run.ID, "compound.kindergarten", VariantLine, ObjectCompound, 1); passed(v) != "fail" {
			t.Errorf("C1 kindergarten at 25 m radius = %s", passed(v))
		}
		if err := w.svc.ClearOverride(ctx, "housing.gas_pipe_age"); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.ClearOverride(ctx, "housing.gas_pipe_age"); !errors.Is(err, ErrNotFound) {
			t.Errorf("clear twice: %v", err)
		}
		run = w.run(t, RunRequest{LineOnly: true}).Run
		if run.Params["housing.gas_pipe_age"]["max_age_years"] != 20.0 {
			t.Errorf("after clearing = %v", run.Params["housing.gas_pipe_age"])
		}
		if _, n, _ := w.log.List(w.ctx, audit.Filter{Action: "checkup.override."}); n != 3 {
			t.Errorf("%d override audit entries", n)
		}
	})
}

func TestExcelExports(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		w.load(t, smallDataset())
		w.saveNetwork(t)
		run := w.run(t, RunRequest{}).Run
		var buf bytes.Buffer
		if err := w.svc.WriteIndicatorsExcel(w.ctx, run.ID, &buf); err != nil {
			t.Fatal(err)
		}
		rows := sheetRows(t, buf.Bytes(), "indicators")
		if len(rows) < 30 || rows[0][5] != "code" {
			t.Errorf("indicator sheet has %d rows: %v", len(rows), rows[0])
		}
		if fail := sheetRows(t, buf.Bytes(), "failing"); len(fail) < 10 {
			t.Errorf("failing sheet has %d rows", len(fail))
		}
		buf.Reset()
		if err := w.svc.WriteFindingsExcel(w.ctx, FindingFilter{Level: LevelHousing}, &buf); err != nil {
			t.Fatal(err)
		}
		rows = sheetRows(t, buf.Bytes(), "findings")
		if len(rows) != 8 || !slices.Contains(rows[1], "housing.age_friendly") {
			t.Errorf("findings sheet = %v", rows)
		}
		if err := w.svc.WriteIndicatorsExcel(w.ctx, 999, &buf); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown run: %v", err)
		}
	})
}

func sheetRows(t *testing.T, b []byte, sheet string) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
