package app_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
	"github.com/gengxin/gengxin/internal/projects"
)

// statsProjects makes three projects through the service: an elevator
// project in construction in subdistrict 甲 (compound 1) with its elevator
// finished, a pool project in 乙 (compound 3) whose money must not count, and
// a heritage project spanning both subdistricts (compounds 2 and 3) in
// acceptance with an elevator half built.
func statsProjects(t *testing.T, ta *testApp) {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.System("test"))
	ps := ta.Projects
	advance := func(id int64, to string) {
		t.Helper()
		for {
			p, err := ps.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if p.Stage == to {
				return
			}
			if _, err := ps.Advance(ctx, id, true, "统计测试推进阶段"); err != nil {
				t.Fatalf("advance %d from %s: %v", id, p.Stage, err)
			}
		}
	}
	item := func(projectID int64, in projects.ItemInput, funding ...projects.Funding) projects.Item {
		t.Helper()
		it, err := ps.AddItem(ctx, projectID, in)
		if err != nil {
			t.Fatalf("add item %+v: %v", in, err)
		}
		if _, err := ps.SetFunding(ctx, it.ID, funding); err != nil {
			t.Fatalf("funding: %v", err)
		}
		return it
	}
	p1, err := ps.Create(ctx, projects.NewProject{Name: "工人新村加装电梯", Type: projects.TypeCompound, PlanYear: 2025, Compounds: []int64{1}})
	if err != nil {
		t.Fatal(err)
	}
	lift := item(p1.ID, projects.ItemInput{Kind: "elevator", Name: "1幢1单元加装电梯", QuantityMilli: 1000, UnitCostFen: 60_000_000, VoteMatter: -1,
		TargetType: "entrance", TargetID: 11}, projects.Funding{Source: projects.SourceCentral, AmountFen: 20_000_000},
		projects.Funding{Source: projects.SourceResidents, AmountFen: 25_000_000}, projects.Funding{Source: projects.SourceProvidentFund, AmountFen: 15_000_000})
	roof := item(p1.ID, projects.ItemInput{Kind: "roof", Name: "屋面防水", QuantityMilli: 850_500, UnitCostFen: 12_000, VoteMatter: -1},
		projects.Funding{Source: projects.SourceLocal, AmountFen: 10_206_000})
	advance(p1.ID, projects.StageConstruction)
	if _, err := ps.SetProgress(ctx, lift.ID, 100, "已投入使用"); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.SetProgress(ctx, roof.ID, 40, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.AddSpend(ctx, lift.ID, 45_000_000, "2026-02-10", "电梯款"); err != nil {
		t.Fatal(err)
	}

	p2, err := ps.Create(ctx, projects.NewProject{Name: "化工宿舍微改造", Type: projects.TypeMicro, PlanYear: 2026, Compounds: []int64{3}})
	if err != nil {
		t.Fatal(err)
	}
	item(p2.ID, projects.ItemInput{Kind: "chargers", Name: "充电桩", QuantityMilli: 10_000, UnitCostFen: 300_000, VoteMatter: 0},
		projects.Funding{Source: projects.SourceEnterprise, AmountFen: 3_000_000})

	p3, err := ps.Create(ctx, projects.NewProject{Name: "红梅—化工片区风貌提升", Type: projects.TypeHeritage, PlanYear: 2026, Compounds: []int64{2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	lift3 := item(p3.ID, projects.ItemInput{Kind: "elevator", Name: "化工宿舍1幢加装电梯", QuantityMilli: 1000, UnitCostFen: 55_000_000, VoteMatter: -1,
		TargetType: "entrance", TargetID: 31}, projects.Funding{Source: projects.SourceMaintenanceFund, AmountFen: 5_000_000},
		projects.Funding{Source: projects.SourceEnterprise, AmountFen: 50_000_000})
	advance(p3.ID, projects.StageAcceptance)
	if _, err := ps.SetProgress(ctx, lift3.ID, 50, ""); err != nil {
		t.Fatal(err)
	}
}

// statsRecount counts, with SQL of its own, the figures of the projects
// under scope that have left the pool.
type statsRecount struct {
	projects, active, buildings, households, area int64
	built, underway, funding, budget, spent       int64
}

func recountStats(t *testing.T, d *db.DB, scope string) statsRecount {
	t.Helper()
	ctx := context.Background()
	var r statsRecount
	like := scope + "%"
	q := d.Read()
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM projects WHERE region_path LIKE $1`, like).Scan(&r.projects); err != nil {
		t.Fatal(err)
	}
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(buildings), 0), COALESCE(SUM(households), 0), COALESCE(SUM(floor_area_dm2), 0)
		FROM projects WHERE region_path LIKE $1 AND stage <> 'pool'`, like).Scan(&r.active, &r.buildings, &r.households, &r.area); err != nil {
		t.Fatal(err)
	}
	if err := q.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN i.kind = 'elevator' AND i.progress_pct = 100 THEN i.quantity_milli END), 0),
		COALESCE(SUM(CASE WHEN i.kind = 'elevator' AND i.progress_pct < 100 AND p.stage IN ('construction', 'acceptance') THEN i.quantity_milli END), 0),
		COALESCE(SUM(i.budget_fen), 0)
		FROM project_items i JOIN projects p ON p.id = i.project_id WHERE p.region_path LIKE $1 AND p.stage <> 'pool'`, like).Scan(&r.built, &r.underway, &r.budget); err != nil {
		t.Fatal(err)
	}
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(SUM(f.amount_fen), 0) FROM project_funding f JOIN project_items i ON i.id = f.item_id
		JOIN projects p ON p.id = i.project_id WHERE p.region_path LIKE $1 AND p.stage <> 'pool'`, like).Scan(&r.funding); err != nil {
		t.Fatal(err)
	}
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(SUM(x.amount_fen), 0) FROM project_spend x JOIN projects p ON p.id = x.project_id
		WHERE p.region_path LIKE $1 AND p.stage <> 'pool'`, like).Scan(&r.spent); err != nil {
		t.Fatal(err)
	}
	return r
}

func fen(v int64) string   { return fmt.Sprintf("%d.%02d", v/100, v%100) }
func milli(v int64) string { return projects.FormatQuantity(v) }

// figure returns the text of the element with id on the page.
func figure(t *testing.T, body, id string) string {
	t.Helper()
	start := strings.Index(body, `id="`+id+`">`)
	if start < 0 {
		t.Fatalf("no #%s on the page", id)
	}
	rest := body[start+len(`id="`+id+`">`):]
	return rest[:strings.Index(rest, "<")]
}

func TestProjectStatsPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ta := newTestApp(t, d)
		statsProjects(t, ta)

		// The district officer (district /1/2/) sees all three projects.
		want := recountStats(t, d, "/1/2/")
		if want.projects != 3 || want.active != 2 || want.built != 1000 || want.underway != 1000 || want.buildings != 6 {
			t.Fatalf("the fixture's projects are not as planned: %+v", want)
		}
		resp, body := ta.do(t, "district", "GET", "/projects/stats", nil, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /projects/stats = %d: %s", resp.StatusCode, body)
		}
		for id, v := range map[string]string{
			"fig-projects": fmt.Sprint(want.projects), "fig-active": fmt.Sprint(want.active), "fig-buildings": fmt.Sprint(want.buildings),
			"fig-households": fmt.Sprint(want.households), "fig-area": fen(want.area), "fig-elevators-built": milli(want.built),
			"fig-elevators-underway": milli(want.underway), "fig-funding": fen(want.funding), "fig-spent": fen(want.spent),
		} {
			if got := figure(t, body, id); got != v {
				t.Errorf("#%s = %q, the database says %q", id, got, v)
			}
		}
		for _, s := range []string{"甲街道", "乙街道", "跨街道项目", `id="chart-stages"`, `id="chart-sources"`, "/static/projects_stats.js", `href="/projects/stats.xlsx"`} {
			if !strings.Contains(body, s) {
				t.Errorf("the district page lacks %q", s)
			}
		}

		// The year filter keeps the 2025 project only.
		_, body25 := ta.do(t, "district", "GET", "/projects/stats?year=2025", nil, nil)
		if got := figure(t, body25, "fig-projects"); got != "1" {
			t.Errorf("projects in 2025 = %s, want 1", got)
		}
		if resp, _ := ta.do(t, "district", "GET", "/projects/stats?year=abc", nil, nil); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("a bad year answers %d, want 400", resp.StatusCode)
		}

		// The export holds the same totals.
		resp, xb := ta.do(t, "district", "GET", "/projects/stats.xlsx", nil, nil)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
			t.Fatalf("GET /projects/stats.xlsx = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		x, err := excelize.OpenReader(bytes.NewReader([]byte(xb)))
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		if sheets := x.GetSheetList(); !slices.Equal(sheets, []string{"按街道", "按年度", "阶段×类型", "资金来源"}) {
			t.Errorf("sheets = %q", sheets)
		}
		rows, err := x.GetRows("按街道")
		if err != nil {
			t.Fatal(err)
		}
		head, last := rows[0], rows[len(rows)-1]
		col := func(name string) string { return last[slices.Index(head, name)] }
		if last[0] != "清河区合计" || col("楼栋数") != fmt.Sprint(want.buildings) || col("惠及户数") != fmt.Sprint(want.households) ||
			col("已建成电梯（部）") != milli(want.built) || col("在建电梯（部）") != milli(want.underway) {
			t.Errorf("export total row %q differs from the database %+v", last, want)
		}

		// The subdistrict officer (甲, /1/2/3/) sees only the project of 甲.
		sub := recountStats(t, d, "/1/2/3/")
		if sub.projects != 1 {
			t.Fatalf("subdistrict 甲 has %d projects, want 1", sub.projects)
		}
		resp, body = ta.do(t, "subdistrict", "GET", "/projects/stats", nil, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("subdistrict GET /projects/stats = %d", resp.StatusCode)
		}
		if got := figure(t, body, "fig-projects"); got != "1" {
			t.Errorf("subdistrict officer sees %s projects, want 1", got)
		}
		if got := figure(t, body, "fig-households"); got != fmt.Sprint(sub.households) {
			t.Errorf("subdistrict officer sees %s households, the database says %d", got, sub.households)
		}
		if strings.Contains(body, "乙街道") || strings.Contains(body, "跨街道项目") {
			t.Error("the subdistrict officer sees another subdistrict's figures")
		}

		// A resident may not see the statistics.
		if resp, _ := ta.do(t, "resident", "GET", "/projects/stats", nil, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("resident GET /projects/stats = %d, want 403", resp.StatusCode)
		}
		if resp, _ := ta.do(t, "resident", "GET", "/projects/stats.xlsx", nil, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("resident GET /projects/stats.xlsx = %d, want 403", resp.StatusCode)
		}
	})
}

// TestBrowserProjectStatsPhone opens the statistics page on a 390 px phone:
// both charts draw, the figures are filled and only the tables scroll sideways,
// not the page.
func TestBrowserProjectStatsPhone(t *testing.T) {
	ctx := browser(t)
	ta := newTestApp(t, dbtest.SQLite(t))
	statsProjects(t, ta)
	do(t, ctx, "stats", chromedp.EmulateViewport(390, 844), login(ta.srv.URL, "district", testPassword),
		chromedp.Navigate(ta.srv.URL+"/projects/stats"), chromedp.WaitVisible(chromedp.CSS("#stats-subdistricts")),
		chromedp.WaitVisible(chromedp.CSS(`#chart-stages[data-ready="1"]`)), chromedp.WaitVisible(chromedp.CSS(`#chart-sources[data-ready="1"]`)),
		shot("project-stats-phone"))
	canvases := run(t, ctx, "charts", chromedp.Evaluate[int](`document.querySelectorAll("#chart-stages canvas, #chart-sources canvas").length`))
	pageWidth := run(t, ctx, "page width", chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	wrapped := run(t, ctx, "wrapped", chromedp.Evaluate[bool](`[...document.querySelectorAll("table")].every(t => t.parentElement.classList.contains("table-wrap"))`))
	projects := run(t, ctx, "projects", chromedp.Text(chromedp.CSS("#fig-projects")))
	if canvases < 2 || pageWidth > 390 || !wrapped || projects != "3" {
		t.Fatalf("phone stats page: %d charts, page %d px wide, tables wrapped %v, projects %q", canvases, pageWidth, wrapped, projects)
	}
}
