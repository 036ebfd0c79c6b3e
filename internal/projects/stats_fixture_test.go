package projects

import (
	"context"
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/checkup"
	"github.com/gengxin/gengxin/internal/db"
)

// updateStatsGolden rewrites the golden files of the statistics export. The
// flag is -update, shared with any other golden test of the package.
var updateStatsGolden = lookupOrDefineBool("update", "rewrite the golden files in testdata")

func lookupOrDefineBool(name, usage string) func() bool {
	if f := flag.Lookup(name); f != nil {
		return func() bool { return f.Value.String() == "true" }
	}
	v := flag.Bool(name, false, usage)
	return func() bool { return *v }
}

// statsWorld is a projects service on a database whose records the statistics
// tests write directly, so that every figure is known.
type statsWorld struct {
	d   *db.DB
	svc *Service
	ctx context.Context
	t0  time.Time
}

func newStatsWorld(t testing.TB, d *db.DB) *statsWorld {
	t.Helper()
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	now := func() time.Time { return t0 }
	log := audit.New(d, now)
	ck, err := checkup.New(d, log, now)
	if err != nil {
		t.Fatal(err)
	}
	return &statsWorld{d: d, svc: New(d, log, ck, nil, now), ctx: audit.WithActor(context.Background(), audit.System("test")), t0: t0}
}

// statsRegion is a row of the regions table.
type statsRegion struct {
	id, parent  int64
	code, level string
	name, path  string
}

// statsRegions: district 清河区 /1/ with subdistricts 甲 /1/2/, 乙 /1/3/ and 丙
// /1/4/ (丙 sorts first by code), community 甲一 /1/2/5/; and another district
// 远山区 /9/ with subdistrict 丁 /9/10/.
var statsRegions = []statsRegion{
	{1, 0, "320499000000", "district", "清河区", "/1/"},
	{2, 1, "320499002000", "subdistrict", "甲街道", "/1/2/"},
	{3, 1, "320499003000", "subdistrict", "乙街道", "/1/3/"},
	{4, 1, "320499001000", "subdistrict", "丙街道", "/1/4/"},
	{5, 2, "320499002001", "community", "甲一社区", "/1/2/5/"},
	{9, 0, "320599000000", "district", "远山区", "/9/"},
	{10, 9, "320599001000", "subdistrict", "丁街道", "/9/10/"},
}

// Records written straight to the tables.
type (
	genProject struct {
		id                                 int64
		typ, mode, stage, regionPath       string
		year                               int
		buildings, area, households, other int64 // other: compounds, eligible, entrances (not counted)
		items                              []genItem
	}
	genItem struct {
		id                    int64
		kind, class           string
		quantityMilli, budget int64
		progress              int
		funding               map[string]int64
		spend                 []int64
	}
)

func (w *statsWorld) exec(t testing.TB, q string, args ...any) {
	t.Helper()
	if _, err := w.d.Write().ExecContext(w.ctx, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func (w *statsWorld) regions(t testing.TB) {
	t.Helper()
	for _, r := range statsRegions {
		var parent any
		if r.parent != 0 {
			parent = r.parent
		}
		w.exec(t, `INSERT INTO regions (id, parent_id, code, level, name, path, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
			r.id, parent, r.code, r.level, r.name, r.path, w.t0)
	}
}

// insert writes the projects with their items, funding and spend.
func (w *statsWorld) insert(t testing.TB, ps []genProject) {
	t.Helper()
	for _, p := range ps {
		w.exec(t, `INSERT INTO projects (id, code, name, type, mode, stage, plan_year, region_path, cutoff_year, compounds, buildings, eligible_buildings,
			entrances, households, floor_area_dm2, stage_entered_at, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 2000, $9, $10, $11, $12, $13, $14, $15, 'test', $15, $15)`,
			p.id, fmt.Sprintf("GX%d-%04d", p.year, p.id), fmt.Sprintf("项目%d", p.id), p.typ, p.mode, p.stage, p.year, p.regionPath,
			p.other, p.buildings, p.other, p.other, p.households, p.area, w.t0)
		for _, it := range p.items {
			w.exec(t, `INSERT INTO project_items (id, project_id, class, kind, name, quantity_milli, unit, unit_cost_fen, budget_fen, progress_pct, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, 'unit', 0, $7, $8, $9, $9)`,
				it.id, p.id, it.class, it.kind, it.kind, it.quantityMilli, it.budget, it.progress, w.t0)
			for _, src := range Sources {
				if v, ok := it.funding[src]; ok {
					w.exec(t, `INSERT INTO project_funding (item_id, source, amount_fen) VALUES ($1, $2, $3)`, it.id, src, v)
				}
			}
			for _, v := range it.spend {
				w.exec(t, `INSERT INTO project_spend (project_id, item_id, amount_fen, spent_on, created_by, created_at) VALUES ($1, $2, $3, '2026-02-01', 'test', $4)`,
					p.id, it.id, v, w.t0)
			}
		}
	}
}
