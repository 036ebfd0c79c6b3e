package app_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/checkup"
	"github.com/gengxin/gengxin/internal/db/dbtest"
)

// press clicks a button that posts a form, waits until the page it leads to
// has loaded and returns that page's HTTP status (after redirects).
func press(t *testing.T, ctx context.Context, what, sel string) int64 {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return resp.Status
}

// TestBrowserProject is a new district officer's way, in Chromium and by the
// pages alone, from checkup findings to a project in aftercare: tick two
// findings of a compound, create the project, and move it through every
// stage. Each gate refuses with the missing condition named until it is met;
// the consultation gate is passed by a written, audited override.
func TestBrowserProject(t *testing.T) {
	ctx := browser(t)
	ta := newTestApp(t, dbtest.SQLite(t))
	sctx := audit.WithActor(context.Background(), audit.System("test"))
	if _, err := ta.Checkup.Run(sctx, checkup.RunRequest{Year: 2026}, nil); err != nil {
		t.Fatal(err)
	}
	base := ta.srv.URL
	var project string // the project page's address, once created
	text := func(what, sel string) string {
		t.Helper()
		return run(t, ctx, what, chromedp.Text(chromedp.CSS(sel)))
	}
	stage := func() string {
		t.Helper()
		return run(t, ctx, "stage", chromedp.Evaluate[string](`document.getElementById("project-stage").dataset.stage`))
	}
	// fine presses a button that must succeed and land on the project page
	// with the message of the change.
	fine := func(what, sel, flash string) {
		t.Helper()
		if st := press(t, ctx, what, sel); st != http.StatusOK {
			t.Fatalf("%s: status %d: %s", what, st, text(what, "main"))
		}
		if got := text(what, "p.flash"); !strings.Contains(got, flash) {
			t.Fatalf("%s: message %q, want %q", what, got, flash)
		}
	}
	// advance moves the project on and checks it reached the next stage.
	advance := func(want string) {
		t.Helper()
		fine("advance to "+want, "#advance", "项目已进入下一阶段")
		if got := stage(); got != want {
			t.Fatalf("after advancing the stage is %q, want %q", got, want)
		}
	}
	// refused presses advance while the gate lists a missing condition, sees
	// the refusal name each wanted condition, and goes back to the project.
	refused := func(wants ...string) {
		t.Helper()
		from := stage()
		checks := text("gate checks", "#gate-checks")
		for _, w := range wants {
			if !strings.Contains(checks, w) {
				t.Errorf("gate of %s lists %q, want it to name %q", from, checks, w)
			}
		}
		if n := run(t, ctx, "missing checks", chromedp.Evaluate[int](`document.querySelectorAll("#gate-checks li.missing").length`)); n == 0 {
			t.Errorf("gate of %s marks no condition missing", from)
		}
		if st := press(t, ctx, "refused advance from "+from, "#advance"); st != http.StatusConflict {
			t.Fatalf("advance from %s: status %d, want 409: %s", from, st, text("page", "main"))
		}
		msg := text("refusal", "p.error[role=alert]")
		for _, w := range wants {
			if !strings.Contains(msg, w) {
				t.Fatalf("refusal from %s says %q, want it to name %q", from, msg, w)
			}
		}
		// The refusal page links only home; go to the project page again
		// (the browser's Back, by NavigateBack or history.back(), left
		// chromedp waiting for the page here).
		do(t, ctx, "back to the project", chromedp.Navigate(project), chromedp.WaitReady(chromedp.CSS("footer")))
		if got := stage(); got != from {
			t.Fatalf("after a refusal the stage is %q, want %q", got, from)
		}
	}

	// The district officer opens the elevator findings and ticks the two
	// buildings of 工人新村.
	do(t, ctx, "login", login(base, "district", testPassword),
		chromedp.Navigate(base+"/checkup/findings?indicator=housing.elevator_need"), chromedp.WaitVisible(chromedp.CSS("#findings")))
	ticked := run(t, ctx, "findings of 工人新村", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#findings tbody tr")]
		.filter(tr => tr.textContent.includes("工人新村"))
		.map(tr => tr.querySelector("input[name=finding]")).filter(Boolean).map(b => b.value)`))
	if len(ticked) != 2 {
		t.Fatalf("findings page offers %d findings of 工人新村 to tick, want 2: %s", len(ticked), text("findings", "#findings"))
	}
	for _, id := range ticked {
		do(t, ctx, "tick", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#findings input[name=finding][value="%s"]`, id))))
	}
	if st := press(t, ctx, "to project", "#create-from-findings"); st != http.StatusOK {
		t.Fatalf("new project form: status %d", st)
	}
	if h := text("chosen findings", "#project-form h2"); h != "所选体检问题（2个）" {
		t.Fatalf("new project form heading %q", h)
	}
	if v := run(t, ctx, "suggested name", chromedp.Value(chromedp.CSS("#name"))); !strings.Contains(v, "工人新村") {
		t.Errorf("the form suggests the name %q, want one naming 工人新村", v)
	}
	do(t, ctx, "name", chromedp.Clear(chromedp.CSS("#name")), chromedp.SendKeys(chromedp.CSS("#name"), "工人新村加装电梯和屋面改造"))
	fine("create", "#create-project", "项目已创建")
	url := run(t, ctx, "project url", chromedp.Location())
	m := regexp.MustCompile(`^(.*/projects/\d+)\?done=created`).FindStringSubmatch(url)
	if m == nil {
		t.Fatalf("after creating the browser is at %q", url)
	}
	project = m[1]
	if h := text("project name", "#project-name"); h != "工人新村加装电梯和屋面改造" {
		t.Errorf("project page heading %q", h)
	}
	if got := stage(); got != "pool" {
		t.Fatalf("new project stage %q", got)
	}
	if h := text("households", "#scope-households"); h != "8" {
		t.Errorf("scope has %s households, want the 8 of 工人新村", h)
	}

	// Pool → consultation needs a work item.
	refused("还没有改造内容")
	entrance := run(t, ctx, "entrance option", chromedp.Evaluate[string](`[...document.querySelectorAll("#target option")].find(o => o.textContent.includes("工人新村 1幢1单元"))?.value || ""`))
	if entrance == "" {
		t.Fatalf("the item form offers no entrance of 1幢: %s", text("targets", "#target"))
	}
	do(t, ctx, "elevator item", chromedp.SetValue(chromedp.CSS("#kind"), "elevator"), chromedp.SendKeys(chromedp.CSS("#quantity"), "1"),
		chromedp.SendKeys(chromedp.CSS("#unit_cost"), "600000"), chromedp.SetValue(chromedp.CSS("#target"), entrance))
	fine("add elevator", "#add-item-submit", "已添加改造内容")
	do(t, ctx, "roof item", chromedp.Click(chromedp.CSS("#add-item summary")), chromedp.WaitVisible(chromedp.CSS("#quantity")),
		chromedp.SetValue(chromedp.CSS("#kind"), "roof"), chromedp.SendKeys(chromedp.CSS("#quantity"), "800.5"), chromedp.SendKeys(chromedp.CSS("#unit_cost"), "150"))
	fine("add roof", "#add-item-submit", "已添加改造内容")
	if n := run(t, ctx, "item rows", chromedp.Evaluate[int](`document.querySelectorAll("#item-table tbody tr[id^=item-]").length`)); n != 2 {
		t.Fatalf("item table shows %d items", n)
	}
	advance("consultation")

	// Consultation → design needs a survey and the elevator vote; the
	// district officer overrides with a written reason.
	refused("还没有已结束的意愿征询", "加装电梯 @")
	do(t, ctx, "override", chromedp.Click(chromedp.CSS("details.override summary")), chromedp.WaitVisible(chromedp.CSS("#reason")),
		chromedp.SendKeys(chromedp.CSS("#reason"), "表决材料已线下归档，补录"))
	fine("override", "#override-form button", "项目已进入下一阶段")
	if got := stage(); got != "design" {
		t.Fatalf("after the override the stage is %q", got)
	}
	if ev := text("timeline", "#events"); !strings.Contains(ev, "越过条件") || !strings.Contains(ev, "表决材料已线下归档，补录") {
		t.Errorf("timeline does not show the override and its reason: %q", ev)
	}
	advance("sample") // design → sample: no conditions by default

	// Sample → construction needs the design approval, the sample accepted,
	// funding equal to the budget and every sample opinion answered.
	refused("还没有登记设计方案审批", "样板还没有验收", "还没有就样板展示征求居民意见")
	record := func(kind, note string) {
		t.Helper()
		do(t, ctx, "record "+kind, chromedp.SetValue(chromedp.CSS("#record-form select[name=kind]"), kind), chromedp.SendKeys(chromedp.CSS("#record-form input[name=note]"), note))
		fine("record "+kind, "#record-form button", "已登记")
	}
	record("design_approval", "区住建局 2027-12 号批复")
	record("sample_acceptance", "样板楼1幢验收合格")
	refused("资金来源与预算不一致", "还没有就样板展示征求居民意见")
	// item finds the row of the work item named name and opens its forms.
	item := func(name string) string {
		t.Helper()
		id := run(t, ctx, "item "+name, chromedp.Evaluate[string](fmt.Sprintf(`[...document.querySelectorAll("#item-table tbody tr[id^=item-]")].find(tr => tr.cells[0].textContent.includes(%q))?.id || ""`, name)))
		if id == "" {
			t.Fatalf("no item %q in %s", name, text("items", "#item-table"))
		}
		forms := "#" + id + " + tr.item-forms"
		do(t, ctx, "open "+name, chromedp.Click(chromedp.CSS(forms+" summary")), chromedp.WaitVisible(chromedp.CSS(forms+" .funding-form")))
		return forms
	}
	fund := func(name string, amounts map[string]string) {
		t.Helper()
		forms := item(name)
		for src, v := range amounts {
			do(t, ctx, "fund "+src, chromedp.SendKeys(chromedp.CSS(forms+fmt.Sprintf(" .funding-form input[name=%s]", src)), v))
		}
		fine("fund "+name, forms+" .funding-form button", "资金来源已保存")
	}
	fund("屋面防水", map[string]string{"central": "60000", "local": "60075"})
	fund("加装电梯", map[string]string{"local": "200000", "residents": "300000", "provident_fund": "100000"})
	if m := text("money", "#money"); !strings.Contains(m, "720,075") && !strings.Contains(m, "720075") {
		t.Errorf("money section does not show the 720,075 yuan funded: %q", m)
	}
	// A resident's opinion at the sample display, then its answer.
	do(t, ctx, "opinion", chromedp.Click(chromedp.CSS("#rounds details.add summary")), chromedp.WaitVisible(chromedp.CSS("#fb-body")),
		chromedp.SetValue(chromedp.CSS("#fb-round"), "sample"), chromedp.SetValue(chromedp.CSS("#fb-channel"), "meeting"),
		chromedp.SendKeys(chromedp.CSS("#fb-household"), "C0001-B01-E1-201"), chromedp.SendKeys(chromedp.CSS("#fb-body"), "电梯候梯厅太窄"))
	fine("opinion", "#feedback-form button", "意见已登记")
	refused("未答复")
	do(t, ctx, "answer", chromedp.SetValue(chromedp.CSS("#feedback-list .resolve-form select[name=status]"), "adopted"),
		chromedp.SendKeys(chromedp.CSS("#feedback-list .resolve-form input[name=response]"), "候梯厅加宽30厘米"))
	fine("answer", "#feedback-list .resolve-form button", "已答复")
	if s := text("rounds", "#rounds-summary"); !strings.Contains(s, "共收集居民意见1条，已答复1条") {
		t.Errorf("rounds summary %q", s)
	}
	advance("construction")

	// Construction → acceptance needs every item complete.
	refused("尚未完工")
	for _, name := range []string{"屋面防水", "加装电梯"} {
		forms := item(name)
		do(t, ctx, "progress "+name, chromedp.SetValue(chromedp.CSS(forms+" .progress-form input[name=progress]"), "100"))
		fine("progress "+name, forms+" .progress-form button", "进度已保存")
	}
	if p := text("progress", "#project-progress"); p != "100%" && p != "100.0%" {
		t.Errorf("project progress shows %q", p)
	}
	advance("acceptance")

	// Acceptance → aftercare needs the completion acceptance.
	refused("还没有登记竣工验收")
	record("completion_acceptance", "五方验收合格")
	advance("aftercare")

	steps := run(t, ctx, "stage list", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#stages ol.stages li")].map(li => li.dataset.stage + ":" + li.className + ":" + (li.querySelector("small") ? "dated" : "undated"))`))
	want := []string{"pool:done:dated", "consultation:done:dated", "design:done:dated", "sample:done:dated", "construction:done:dated", "acceptance:done:dated", "aftercare:current:dated"}
	if strings.Join(steps, " ") != strings.Join(want, " ") {
		t.Errorf("stage list %v, want %v", steps, want)
	}
	if s := text("stages", "#stages"); !strings.Contains(s, "这是最后一个阶段") {
		t.Errorf("the stage section does not say aftercare is the last stage: %q", s)
	}
	if n := run(t, ctx, "advance button", chromedp.Evaluate[int](`document.querySelectorAll("#advance").length`)); n != 0 {
		t.Error("the project in aftercare still offers to advance")
	}
	if s := text("indicators", "#indicator-table"); strings.Count(s, "已解决") != 2 {
		t.Errorf("indicators before and after do not show both findings resolved: %q", s)
	}
	do(t, ctx, "desktop shot", shot("project-aftercare"))

	// The same page on a phone.
	do(t, ctx, "phone", chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#project-stage")), shot("project-phone"))
	if w := run(t, ctx, "page width", chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 390 {
		t.Errorf("the project page is %d px wide on a 390 px screen", w)
	}
}
