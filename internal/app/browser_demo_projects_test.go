package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gengxin/gengxin/internal/demo"
	"github.com/gengxin/gengxin/internal/projects"
)

// TestBrowserDemoProjects opens the demo's renewal projects as the district
// office sees them on first start: the pool with projects in every stage on
// the list and the map, a project under construction with its items, funding
// and rounds, the gates page, and the statistics.
func TestBrowserDemoProjects(t *testing.T) {
	ctx := browser(t)
	a, srv := demoApp(t)
	all, total, err := a.Projects.List(context.Background(), projects.Filter{})
	if err != nil || total == 0 {
		t.Fatalf("demo projects: %d, %v", total, err)
	}

	do(t, ctx, "login", login(srv.URL, "district", demo.Password))
	do(t, ctx, "pool", chromedp.Navigate(srv.URL+"/projects"), chromedp.WaitVisible(chromedp.CSS("#projects")))
	features := run(t, ctx, "pool map", chromedp.Poll[string](`document.getElementById("projects-map").dataset.features`, chromedp.WithPollingTimeout(20*time.Second)))
	stages := run(t, ctx, "stages listed", chromedp.Evaluate[int](`new Set([...document.querySelectorAll("#projects tbody tr[data-stage]")].map(r => r.dataset.stage)).size`))
	rows := run(t, ctx, "rows", chromedp.Evaluate[int](`document.querySelectorAll("#projects tbody tr[data-stage]").length`))
	scored := run(t, ctx, "scores", chromedp.Evaluate[int](`document.querySelectorAll("#projects .score").length`))
	do(t, ctx, "pool shot", shot("projects-pool"))
	if rows != total || stages != len(projects.Stages) || features != fmt.Sprint(total) || scored == 0 {
		t.Fatalf("pool shows %d rows in %d stages, %s on the map and %d scores; the demo has %d projects", rows, stages, features, scored, total)
	}
	// The pool sorted by priority lists scored pool projects first.
	if first := run(t, ctx, "first row", chromedp.Evaluate[string](`document.querySelector("#projects tbody tr").dataset.stage`)); first != projects.StagePool {
		t.Errorf("the first row by priority is in %s, want a pool project", first)
	}

	var building projects.Project
	for _, p := range all {
		if p.Stage == projects.StageConstruction {
			building = p
			break
		}
	}
	do(t, ctx, "project", chromedp.Navigate(fmt.Sprintf("%s/projects/%d", srv.URL, building.ID)), chromedp.WaitVisible(chromedp.CSS("#item-table")))
	scope := run(t, ctx, "scope map", chromedp.Poll[string](`document.getElementById("scope-map").dataset.features`, chromedp.WithPollingTimeout(20*time.Second)))
	items := run(t, ctx, "items", chromedp.Evaluate[int](`document.querySelectorAll("#item-table tbody tr[id^=item-]").length`))
	summary := run(t, ctx, "rounds", chromedp.Text(chromedp.CSS("#rounds-summary")))
	stage := run(t, ctx, "stage", chromedp.Evaluate[string](`document.getElementById("project-stage").dataset.stage`))
	checks := run(t, ctx, "checks", chromedp.Text(chromedp.CSS("#gate-checks")))
	listed := run(t, ctx, "opinions listed", chromedp.Evaluate[int](`document.querySelectorAll("#feedback-list li").length`))
	allLink := run(t, ctx, "all opinions link", chromedp.Evaluate[bool](`!!document.getElementById("all-feedback")`))
	do(t, ctx, "project shot", shot("project-construction"))
	if listed == 0 || listed > 60 || !allLink {
		t.Errorf("the project page lists %d opinions (want the open ones and the latest, with a link to all: %v)", listed, allLink)
	}
	if stage != projects.StageConstruction || items == 0 || scope == "0" || scope == "error" || !strings.Contains(summary, "共收集居民意见") || strings.Contains(checks, "%!") {
		t.Fatalf("project page: stage %s, %d items, scope %s, rounds %q, checks %q", stage, items, scope, summary, checks)
	}

	do(t, ctx, "gates", chromedp.Navigate(srv.URL+"/projects/gates"), chromedp.WaitVisible(chromedp.CSS("#weights-form")), shot("project-gates"))
	if n := run(t, ctx, "gate forms", chromedp.Evaluate[int](`document.querySelectorAll("section.gate form").length`)); n != len(projects.Types)*(len(projects.Stages)-1) {
		t.Errorf("gates page has %d forms", n)
	}
	do(t, ctx, "stats", chromedp.Navigate(srv.URL+"/projects/stats"), chromedp.WaitReady(chromedp.CSS("footer")), chromedp.Sleep(time.Second), shot("project-stats"))
	if n := run(t, ctx, "charts", chromedp.Evaluate[int](`document.querySelectorAll("canvas").length`)); n == 0 {
		t.Error("the statistics page draws no chart")
	}
}
