package projects

import (
	"bytes"
	"encoding/json"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
)

func TestStatsListSizes(t *testing.T) {
	if len(Stages) != numStages || len(Types) != numTypes || len(Sources) != numSources {
		t.Fatalf("stats sizes %d/%d/%d do not match %d stages, %d types, %d sources", numStages, numTypes, numSources, len(Stages), len(Types), len(Sources))
	}
}

// genProjects makes n random projects across the regions of statsRegions (one
// district-wide path per district stands for a scope spanning subdistricts),
// four plan years, every stage and type, with items, funding and spend.
func genProjects(rng *rand.Rand, n int) []genProject {
	paths := []string{"/1/2/", "/1/2/5/", "/1/3/", "/1/4/", "/1/", "/9/10/", "/9/"}
	kinds := []string{"elevator", "elevator", "roof", "water_pipes", "chargers"}
	var out []genProject
	itemID := int64(100)
	for i := range n {
		p := genProject{id: int64(i + 1), typ: Types[rng.IntN(len(Types))], stage: Stages[rng.IntN(len(Stages))],
			regionPath: paths[rng.IntN(len(paths))], year: 2023 + rng.IntN(4),
			buildings: 1 + rng.Int64N(40), area: rng.Int64N(5_000_000_00), households: rng.Int64N(2000), other: rng.Int64N(9)}
		if p.typ == TypeVillage {
			p.mode = Modes[rng.IntN(len(Modes))]
		}
		for range rng.IntN(5) {
			itemID++
			it := genItem{id: itemID, kind: kinds[rng.IntN(len(kinds))], budget: rng.Int64N(50_000_000_000), funding: map[string]int64{}}
			it.class = Kind(it.kind).Class
			if it.kind == "elevator" {
				it.quantityMilli = 1000 * (1 + rng.Int64N(3))
				if rng.IntN(8) == 0 {
					it.quantityMilli = 1500
				}
			} else {
				it.quantityMilli = 1 + rng.Int64N(1_000_000)
			}
			if rng.IntN(3) == 0 {
				it.progress = 100
			} else {
				it.progress = rng.IntN(100)
			}
			for _, src := range Sources {
				if rng.IntN(2) == 0 {
					it.funding[src] = rng.Int64N(it.budget/6 + 1)
				}
			}
			for range rng.IntN(3) {
				it.spend = append(it.spend, 1+rng.Int64N(it.budget/3+1))
			}
			p.items = append(p.items, it)
		}
		out = append(out, p)
	}
	return out
}

// sumFigures adds two Figures field by field, by reflection, so that the
// recount does not lean on the code under test.
func sumFigures(a, b Figures) Figures {
	var add func(x, y reflect.Value)
	add = func(x, y reflect.Value) {
		switch x.Kind() {
		case reflect.Int64:
			x.SetInt(x.Int() + y.Int())
		case reflect.Array:
			for i := range x.Len() {
				add(x.Index(i), y.Index(i))
			}
		case reflect.Struct:
			for i := range x.NumField() {
				add(x.Field(i), y.Field(i))
			}
		default:
			panic("unexpected kind " + x.Kind().String())
		}
	}
	add(reflect.ValueOf(&a).Elem(), reflect.ValueOf(b))
	return a
}

// recount computes the statistics of f from the generated records, project by
// project, following the rules of Figures.
func recount(ps []genProject, f StatsFilter) Stats {
	st := Stats{Filter: f}
	var subs []statsRegion
	for _, r := range statsRegions {
		if r.path == f.Scope {
			st.ScopeName = r.name
		}
		if r.level == "subdistrict" && (strings.HasPrefix(r.path, f.Scope) || strings.HasPrefix(f.Scope, r.path)) {
			subs = append(subs, r)
		}
	}
	slices.SortFunc(subs, func(a, b statsRegion) int { return strings.Compare(a.code, b.code) })
	bySub := map[int64]Figures{}
	byYear := map[int]Figures{}
	for _, p := range ps {
		if !strings.HasPrefix(p.regionPath, f.Scope) {
			continue
		}
		if !slices.Contains(st.Years, p.year) {
			st.Years = append(st.Years, p.year)
		}
		if f.Year != 0 && p.year != f.Year {
			continue
		}
		var g Figures
		s, ty := slices.Index(Stages, p.stage), slices.Index(Types, p.typ)
		g.Projects, g.Stages[s], g.StageType[s][ty] = 1, 1, 1
		if p.stage != StagePool {
			g.Buildings, g.AreaDM2, g.Households = p.buildings, p.area, p.households
			for _, it := range p.items {
				g.BudgetFen += it.budget
				if it.kind == "elevator" {
					if it.progress == 100 {
						g.ElevatorsBuiltMilli += it.quantityMilli
					} else if p.stage == StageConstruction || p.stage == StageAcceptance {
						g.ElevatorsUnderwayMilli += it.quantityMilli
					}
				}
				for i, src := range Sources {
					g.Funding[i] += it.funding[src]
				}
				for _, v := range it.spend {
					g.SpentFen += v
				}
			}
		}
		var sub int64
		for _, r := range statsRegions {
			if r.level == "subdistrict" && strings.HasPrefix(p.regionPath, r.path) {
				sub = r.id
			}
		}
		st.Total = sumFigures(st.Total, g)
		bySub[sub] = sumFigures(bySub[sub], g)
		byYear[p.year] = sumFigures(byYear[p.year], g)
	}
	slices.Sort(st.Years)
	for _, r := range subs {
		st.Subdistricts = append(st.Subdistricts, StatsRow{RegionID: r.id, RegionPath: r.path, Name: r.name, Figures: bySub[r.id]})
	}
	if bySub[0].Projects > 0 {
		st.Subdistricts = append(st.Subdistricts, StatsRow{Figures: bySub[0]})
	}
	for _, y := range slices.Sorted(maps.Keys(byYear)) {
		st.ByYear = append(st.ByYear, StatsRow{Year: y, Figures: byYear[y]})
	}
	return st
}

func jsonOf(v any) string {
	b, _ := json.MarshalIndent(v, "", " ")
	return string(b)
}

// TestStatsProperty: on random projects, every figure of Stats equals a
// recount made from the records in Go, for several scopes and years, and the
// rows by subdistrict and by year add up to the total.
func TestStatsProperty(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := newStatsWorld(t, d)
		w.regions(t)
		ps := genProjects(rand.New(rand.NewPCG(2026, 4)), 60)
		w.insert(t, ps)

		// The data must exercise every rule, or the comparison proves little.
		all := recount(ps, StatsFilter{})
		if all.Total.ElevatorsBuiltMilli == 0 || all.Total.ElevatorsUnderwayMilli == 0 || all.Total.SpentFen == 0 || all.Total.Stage(StagePool) == 0 {
			t.Fatalf("the random data lacks elevators, spend or pool projects: %s", jsonOf(all.Total))
		}
		for _, src := range Sources {
			if all.Total.Source(src) == 0 {
				t.Fatalf("no funding from %s in the random data", src)
			}
		}
		poolMoney := false
		for _, p := range ps {
			if p.stage == StagePool && len(p.items) > 0 && len(p.items[0].funding) > 0 {
				poolMoney = true
			}
		}
		if !poolMoney {
			t.Fatal("no pool project with funded items in the random data")
		}

		scopes := []string{"/1/", "/1/2/", "/1/2/5/", "/1/3/", "/9/", ""}
		checked := 0
		for _, scope := range scopes {
			for _, year := range []int{0, 2023, 2024, 2025, 2026, 2030} {
				f := StatsFilter{Scope: scope, Year: year}
				got, err := w.svc.Stats(w.ctx, f)
				if err != nil {
					t.Fatalf("stats %+v: %v", f, err)
				}
				want := recount(ps, f)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("stats %+v differ from the recount:\n got: %s\nwant: %s", f, jsonOf(got), jsonOf(want))
				}
				var subs, years Figures
				for _, r := range got.Subdistricts {
					subs = sumFigures(subs, r.Figures)
				}
				for _, r := range got.ByYear {
					years = sumFigures(years, r.Figures)
				}
				if subs != got.Total || years != got.Total {
					t.Fatalf("stats %+v: rows do not add up to the total:\nsubdistricts %s\nyears %s\ntotal %s", f, jsonOf(subs), jsonOf(years), jsonOf(got.Total))
				}
				if got.Total.Projects > 0 {
					checked++
				}
			}
		}
		if checked < 20 {
			t.Fatalf("only %d filters had projects", checked)
		}
		// The district view lists its three subdistricts in code order and the
		// projects spanning them, and nothing of the other district.
		d1, err := w.svc.Stats(w.ctx, StatsFilter{Scope: "/1/"})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range d1.Subdistricts {
			names = append(names, r.Name)
		}
		if want := []string{"丙街道", "甲街道", "乙街道", ""}; !slices.Equal(names, want) {
			t.Errorf("district rows = %q, want %q", names, want)
		}
		if d1.ScopeName != "清河区" {
			t.Errorf("scope name = %q", d1.ScopeName)
		}
	})
}

// statsGoldenData is a small district: an elevator project in construction in
// community 甲一, a pool project in 乙 whose money must not count, a
// heritage block in acceptance spanning subdistricts with an elevator under
// way, a micro-renewal in aftercare in 丙, and a project of another district.
func statsGoldenData() []genProject {
	return []genProject{
		{id: 1, typ: TypeCompound, stage: StageConstruction, regionPath: "/1/2/5/", year: 2025, buildings: 6, area: 1519300_57, households: 194, items: []genItem{
			{id: 11, kind: "elevator", class: ClassImprovement, quantityMilli: 2000, budget: 120_000_000, progress: 100,
				funding: map[string]int64{SourceCentral: 30_000_000, SourceResidents: 12_345_67, SourceProvidentFund: 20_000_000}, spend: []int64{50_000_00, 7_77}},
			{id: 12, kind: "elevator", class: ClassImprovement, quantityMilli: 1000, budget: 60_000_000, progress: 30,
				funding: map[string]int64{SourceLocal: 60_000_000}},
			{id: 13, kind: "roof", class: ClassBasic, quantityMilli: 850_500, budget: 42_525_00, progress: 60,
				funding: map[string]int64{SourceCentral: 42_525_00}},
		}},
		{id: 2, typ: TypeVillage, mode: "renovate", stage: StagePool, regionPath: "/1/3/", year: 2026, buildings: 3, area: 250000, households: 30, items: []genItem{
			{id: 21, kind: "water_pipes", class: ClassBasic, quantityMilli: 1000, budget: 999_999_99, funding: map[string]int64{SourceLocal: 999_999_99}},
		}},
		{id: 3, typ: TypeHeritage, stage: StageAcceptance, regionPath: "/1/", year: 2026, buildings: 12, area: 880000, households: 64, items: []genItem{
			{id: 31, kind: "elevator", class: ClassImprovement, quantityMilli: 1000, budget: 55_000_000, progress: 40,
				funding: map[string]int64{SourceEnterprise: 15_000_000, SourceMaintenanceFund: 5_000_000}, spend: []int64{10_000_000}},
		}},
		{id: 4, typ: TypeMicro, stage: StageAftercare, regionPath: "/1/4/", year: 2025, buildings: 1, area: 1234_56, households: 8, items: []genItem{
			{id: 41, kind: "chargers", class: ClassImprovement, quantityMilli: 10_000, budget: 2_000_000, progress: 100,
				funding: map[string]int64{SourceEnterprise: 1_500_000, SourceResidents: 500_000}, spend: []int64{2_000_000}},
		}},
		{id: 5, typ: TypeCompound, stage: StageDesign, regionPath: "/9/10/", year: 2025, buildings: 99, area: 99, households: 99, items: []genItem{
			{id: 51, kind: "elevator", class: ClassImprovement, quantityMilli: 9000, budget: 99_00, progress: 100, funding: map[string]int64{SourceCentral: 99_00}},
		}},
	}
}

// TestStatsExportGolden reads the workbook's cells back and compares them
// with testdata/stats_export.golden (rewrite it with -update).
func TestStatsExportGolden(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := newStatsWorld(t, d)
		w.regions(t)
		w.insert(t, statsGoldenData())
		var buf bytes.Buffer
		if err := w.svc.ExportStats(w.ctx, StatsFilter{Scope: "/1/"}, &buf); err != nil {
			t.Fatal(err)
		}
		x, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		var got strings.Builder
		for _, name := range x.GetSheetList() {
			rows, err := x.GetRows(name)
			if err != nil {
				t.Fatal(err)
			}
			got.WriteString("## " + name + "\n")
			for _, r := range rows {
				got.WriteString(strings.Join(r, " | ") + "\n")
			}
		}
		path := filepath.Join("testdata", "stats_export.golden")
		if updateStatsGolden() && d.Dialect() == db.SQLite {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(got.String()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if got.String() != string(want) {
			t.Errorf("export differs from %s:\n got:\n%s\nwant:\n%s", path, got.String(), want)
		}
		// A few figures a reader checks first, independent of the golden file.
		total, _ := x.GetRows("按街道")
		last := total[len(total)-1]
		head := total[0]
		cell := func(col string) string { return last[slices.Index(head, col)] }
		if last[0] != "清河区合计" || cell("楼栋数") != "19" || cell("已建成电梯（部）") != "2" || cell("在建电梯（部）") != "2" || cell("惠及户数") != "266" {
			t.Errorf("total row = %q", last)
		}
	})
}
