package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/checkup"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
	"github.com/gengxin/gengxin/internal/projects"
)

// TestProjectFromFindingsToAftercare takes findings through the web into a
// project and moves it through every stage: each gate refuses with the
// missing condition named until it is met, the consultation gate is passed by
// an audited override (a subdistrict officer may not override), and entering
// aftercare resolves the findings, which the next checkup confirms or reopens.
func TestProjectFromFindingsToAftercare(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ta := newTestApp(t, d)
		ctx := audit.WithActor(context.Background(), audit.System("test"))
		if _, err := ta.Checkup.Run(ctx, checkup.RunRequest{Year: 2026}, nil); err != nil {
			t.Fatal(err)
		}
		fins, _, err := ta.Checkup.Findings(ctx, checkup.FindingFilter{Indicator: "housing.elevator_need", Scope: "/1/2/3/5/7/"})
		if err != nil || len(fins) != 2 {
			t.Fatalf("findings of compound 1 = %d, %v", len(fins), err)
		}
		form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
		post := func(user, path string, v url.Values) (*http.Response, string) {
			return ta.do(t, user, "POST", path, strings.NewReader(v.Encode()), form)
		}
		ids := []string{jsonNumber(fins[0].ID), jsonNumber(fins[1].ID)}

		// The findings page offers the findings for a project; the form lists them.
		if _, page := ta.do(t, "district", "GET", "/checkup/findings?indicator=housing.elevator_need", nil, nil); !strings.Contains(page, `name="finding" value="`+ids[0]+`"`) {
			t.Fatal("findings page offers no checkbox for a project")
		}
		resp, page := ta.do(t, "district", "GET", "/projects/new?finding="+ids[0]+"&finding="+ids[1], nil, nil)
		if resp.StatusCode != 200 || !strings.Contains(page, "所选体检问题（2个）") {
			t.Fatalf("new form = %d", resp.StatusCode)
		}
		// Bad input is refused with the reason and nothing is stored.
		resp, page = post("district", "/projects", url.Values{"finding": ids, "name": {""}, "type": {"compound"}, "plan_year": {"2027"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "name must have") {
			t.Fatalf("empty name = %d", resp.StatusCode)
		}
		resp, _ = post("district", "/projects", url.Values{"finding": ids, "name": {"工人新村综合改造"}, "type": {"compound"}, "plan_year": {"2027"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("create = %d", resp.StatusCode)
		}
		loc := resp.Header.Get("Location")
		m := regexp.MustCompile(`^/projects/(\d+)\?`).FindStringSubmatch(loc)
		if m == nil {
			t.Fatalf("redirect to %q", loc)
		}
		base := "/projects/" + m[1]
		_, page = ta.do(t, "district", "GET", base, nil, nil)
		if !strings.Contains(page, "工人新村综合改造") || !strings.Contains(page, `id="scope-households">8<`) {
			t.Fatal("project page lacks the name or the 8 households of compound 1")
		}
		f0, _ := ta.Checkup.FindingByID(ctx, fins[0].ID)
		if f0.Status != checkup.StatusInProject {
			t.Fatalf("finding status = %s, want in_project", f0.Status)
		}

		advance := func(user string, wantCode int, wantText string) {
			t.Helper()
			resp, page := post(user, base+"/advance", nil)
			if resp.StatusCode != wantCode || !strings.Contains(page, wantText) {
				t.Fatalf("advance as %s = %d, want %d with %q: %s", user, resp.StatusCode, wantCode, wantText, firstError(page))
			}
			if wantCode == http.StatusConflict && (!strings.Contains(page, `id="gate-checks"`) || !strings.Contains(page, `role="alert"`)) {
				t.Fatal("a refused move does not show on the project page beside its checks")
			}
		}
		advance("district", http.StatusConflict, "还没有改造内容")
		// An elevator for the entrance of building 11, and roofs for the scope.
		if resp, page := post("district", base+"/items", url.Values{"kind": {"elevator"}, "quantity": {"1"}, "unit_cost": {"600000"}, "target": {"entrance:11"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("add elevator = %d: %s", resp.StatusCode, firstError(page))
		}
		if resp, _ := post("district", base+"/items", url.Values{"kind": {"roof"}, "quantity": {"800.5"}, "unit_cost": {"150"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("add roof = %d", resp.StatusCode)
		}
		if resp, _ := post("district", base+"/items", url.Values{"kind": {"roof"}, "quantity": {"-3"}, "unit_cost": {"150"}}); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("negative quantity = %d", resp.StatusCode)
		}
		advance("district", http.StatusSeeOther, "")
		advance("district", http.StatusConflict, "还没有已结束的意愿征询")
		_, page = ta.do(t, "district", "GET", base, nil, nil)
		if !strings.Contains(page, "加装电梯 @") || !strings.Contains(page, "[278-7]") || !strings.Contains(page, "需要范围内至少2/3住户支持") {
			t.Fatal("the gate does not name the elevator vote or the survey support it misses")
		}
		if strings.Contains(page, "%!") {
			t.Fatal("a gate message is badly formatted")
		}
		if resp, _ := post("subdistrict", base+"/advance", url.Values{"override": {"1"}, "reason": {"区里要求先行"}}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("subdistrict override = %d, want 403", resp.StatusCode)
		}
		if resp, _ := post("district", base+"/advance", url.Values{"override": {"1"}, "reason": {"短"}}); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("override without a real reason = %d", resp.StatusCode)
		}
		if resp, _ := post("district", base+"/advance", url.Values{"override": {"1"}, "reason": {"表决材料已线下归档，补录"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("override = %d", resp.StatusCode)
		}
		var n int
		if err := d.Read().QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'project.advance' AND after_json LIKE '%override_reason%'`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("audited overrides = %d, %v", n, err)
		}
		advance("district", http.StatusSeeOther, "") // design → sample: no conditions by default
		advance("district", http.StatusConflict, "还没有登记设计方案审批")

		items, err := ta.Projects.Items(ctx, mustID(t, m[1]))
		if err != nil || len(items) != 2 {
			t.Fatalf("items = %v, %v", items, err)
		}
		elevator, roof := items[1], items[0] // basic (roof) first
		if roof.BudgetFen != 12007500 || elevator.BudgetFen != 60000000 {
			t.Fatalf("budgets = %d, %d", roof.BudgetFen, elevator.BudgetFen)
		}
		if resp, _ := post("district", base+"/records", url.Values{"kind": {"design_approval"}, "note": {"区住建局 2027-12 号批复"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("record = %d", resp.StatusCode)
		}
		// Funding more than the budget is refused.
		if resp, _ := post("district", base+"/items/"+jsonNumber(roof.ID)+"/funding", url.Values{"central": {"200000"}}); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("over-funding = %d", resp.StatusCode)
		}
		post("district", base+"/items/"+jsonNumber(roof.ID)+"/funding", url.Values{"central": {"60000"}, "local": {"60075"}})
		advance("district", http.StatusConflict, "资金来源与预算不一致")
		post("district", base+"/items/"+jsonNumber(elevator.ID)+"/funding", url.Values{"local": {"200000"}, "residents": {"300000"}, "provident_fund": {"100000"}})
		advance("district", http.StatusConflict, "样板还没有验收")
		post("district", base+"/records", url.Values{"kind": {"sample_acceptance"}, "note": {"样板楼1幢验收合格"}})
		advance("district", http.StatusConflict, "还没有就样板展示征求居民意见")
		post("community", base+"/feedback", url.Values{"round": {"sample"}, "channel": {"meeting"}, "household": {"C0001-B01-E1-201"}, "body": {"电梯候梯厅太窄"}})
		advance("district", http.StatusConflict, "未答复")
		fbs, _ := ta.Projects.ListFeedback(ctx, projects.FeedbackFilter{ProjectID: mustID(t, m[1])})
		if resp, _ := post("community", base+"/feedback/"+jsonNumber(fbs[0].ID)+"/resolve", url.Values{"status": {"adopted"}, "response": {"候梯厅加宽30厘米"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("resolve = %d", resp.StatusCode)
		}
		if _, page := ta.do(t, "district", "GET", base, nil, nil); !strings.Contains(page, "共收集居民意见1条，已答复1条") {
			t.Fatal("rounds summary missing")
		}
		advance("district", http.StatusSeeOther, "")

		// Household shares of the elevator: 400,000 yuan by floor, ground floor exempt.
		resp, page = ta.do(t, "district", "GET", base+"/items/"+jsonNumber(elevator.ID)+"/shares", nil, nil)
		if resp.StatusCode != 200 || !strings.Contains(page, `id="shares-sum">400000.00<`) || !strings.Contains(page, "66666.67") || !strings.Contains(page, "200000.00") {
			t.Fatalf("shares = %d", resp.StatusCode)
		}
		advance("district", http.StatusConflict, "尚未完工")
		post("district", base+"/items/"+jsonNumber(roof.ID)+"/progress", url.Values{"progress": {"100"}})
		if resp, _ := post("district", base+"/items/"+jsonNumber(elevator.ID)+"/progress", url.Values{"progress": {"101"}}); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("progress 101 = %d", resp.StatusCode)
		}
		post("district", base+"/items/"+jsonNumber(elevator.ID)+"/progress", url.Values{"progress": {"100"}})
		advance("district", http.StatusSeeOther, "")
		advance("district", http.StatusConflict, "还没有登记竣工验收")
		post("district", base+"/records", url.Values{"kind": {"completion_acceptance"}, "note": {"五方验收合格"}})
		advance("district", http.StatusSeeOther, "")
		advance("district", http.StatusBadRequest, "last stage")

		// The API lists it with its stage.
		_, body := ta.do(t, "admin", "GET", "/api/v1/projects", nil, nil)
		var list struct {
			Total    int
			Projects []struct{ Code, Stage string }
		}
		if err := json.Unmarshal([]byte(body), &list); err != nil || list.Total != 1 || list.Projects[0].Stage != "aftercare" {
			t.Fatalf("api = %s, %v", body, err)
		}

		// Closing the loop: the findings are resolved, pending verification; a
		// checkup that still finds building 12 without an elevator reopens it,
		// and one that finds building 11 fixed confirms it.
		for _, f := range fins {
			fd, _ := ta.Checkup.FindingByID(ctx, f.ID)
			if fd.Status != checkup.StatusResolved {
				t.Fatalf("finding %d = %s, want resolved", f.ID, fd.Status)
			}
		}
		if _, err := d.Write().Exec(`UPDATE buildings SET has_elevator = TRUE WHERE id = 11`); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Write().Exec(`UPDATE entrances SET has_elevator = TRUE WHERE building_id = 11`); err != nil {
			t.Fatal(err)
		}
		if _, err := ta.Checkup.Run(ctx, checkup.RunRequest{Year: 2027}, nil); err != nil {
			t.Fatal(err)
		}
		status := map[int64]string{}
		for _, f := range fins {
			fd, _ := ta.Checkup.FindingByID(ctx, f.ID)
			status[fd.ObjectID] = fd.Status
		}
		if status[11] != checkup.StatusVerified || status[12] != checkup.StatusOpen {
			t.Fatalf("after the next checkup: %v, want building 11 verified and 12 open", status)
		}
		_, page = ta.do(t, "district", "GET", base, nil, nil)
		if !strings.Contains(page, `id="indicator-table"`) || !strings.Contains(page, "已核验") {
			t.Fatal("project page lacks the before/after indicators")
		}
	})
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	var id int64
	for _, c := range s {
		id = id*10 + int64(c-'0')
	}
	return id
}

// firstError returns the error paragraph of a page, for messages.
func firstError(page string) string {
	if i := strings.Index(page, `class="error"`); i >= 0 {
		end := min(len(page), i+400)
		return page[i:end]
	}
	if len(page) > 300 {
		return page[:300]
	}
	return page
}
