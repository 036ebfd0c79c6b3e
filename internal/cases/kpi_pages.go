package cases

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/calendar"
	"github.com/gengxin/gengxin/internal/web"
)

// kpiRoutes are the routes of the supervisor's KPI page: the page (CasesRead),
// its Excel export (Export) and the proposal of a recurring cluster as a
// project-pool candidate (CasesDispatch). Everything stays inside the
// viewer's area. An administrator (UsersManage) sets the score weights.
func (h *Handlers) kpiRoutes() []web.Route {
	return []web.Route{
		{Method: "GET", Pattern: "/cases/kpi", Perm: string(auth.CasesRead), Handler: h.kpi},
		{Method: "GET", Pattern: "/cases/kpi.xlsx", Perm: string(auth.Export), Handler: h.kpiXLSX},
		{Method: "POST", Pattern: "/cases/kpi/propose", Perm: string(auth.CasesDispatch), Handler: h.propose},
		{Method: "POST", Pattern: "/cases/kpi/weights", Perm: string(auth.UsersManage), Handler: h.saveWeights},
	}
}

const dateForm = "2006-01-02"

// kpiFilter reads the period and grouping of the request: from and to are
// dates in Shanghai, to inclusive (default: this month up to today); by is a
// grouping (default grid). The scope is the viewer's area.
func (h *Handlers) kpiFilter(r *http.Request) (KPIFilter, error) {
	q := r.URL.Query()
	f := KPIFilter{Scope: principalOf(r).RegionPath, GroupBy: GroupBy(q.Get("by"))}
	if f.GroupBy == GroupNone {
		f.GroupBy = GroupGrid
	}
	if !f.GroupBy.valid() {
		return f, fmt.Errorf("%w: unknown grouping %q", ErrInvalid, f.GroupBy)
	}
	today := h.svc.clock().In(calendar.Shanghai())
	day := func(name string, def time.Time) (time.Time, error) {
		v := strings.TrimSpace(q.Get(name))
		if v == "" {
			return def, nil
		}
		t, err := time.ParseInLocation(dateForm, v, calendar.Shanghai())
		if err != nil {
			return t, fmt.Errorf("%w: %s %q is not a date YYYY-MM-DD", ErrInvalid, name, v)
		}
		return t, nil
	}
	var err error
	if f.From, err = day("from", monthStart(today)); err != nil {
		return f, err
	}
	to, err := day("to", time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, calendar.Shanghai()))
	if err != nil {
		return f, err
	}
	f.To = to.AddDate(0, 0, 1)
	if !f.From.Before(f.To) {
		return f, fmt.Errorf("%w: the period must end after it starts", ErrInvalid)
	}
	if v := q.Get("n"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return f, fmt.Errorf("%w: the cluster size %q is not a number from 1 to 1000", ErrInvalid, v)
		}
		f.ClusterMin = n
	}
	return f, nil
}

// kpiPeriod is a period shortcut on the page.
type kpiPeriod struct {
	Key      string
	From, To string
}

type kpiData struct {
	From, To string // dates shown, to inclusive
	// PrevFrom and PrevTo are the dates of the period the top problems are
	// compared with.
	PrevFrom, PrevTo string
	By               GroupBy
	N                int
	Groupings        []GroupBy
	Periods          []kpiPeriod
	Report           KPIReport
	Top              TopProblems
	Candidates       []ClusterCandidate
	CanPropose       bool
	CanExport        bool
	CanSetWeights    bool
	Query            string // the query of the current view, for the export link
	Charts           map[string]any
	Proposed         string
}

// periodDates returns the dates shown for the period [from, to).
func periodDates(from, to time.Time) (string, string) {
	return from.In(calendar.Shanghai()).Format(dateForm), to.Add(-time.Nanosecond).In(calendar.Shanghai()).Format(dateForm)
}

// percentOrNil is a rate in percent for a chart, or nil without a denominator.
func percentOrNil(r Rate) any {
	if !r.Defined() {
		return nil
	}
	return float64(int(r.Percent()*10+0.5)) / 10
}

func (h *Handlers) kpi(w http.ResponseWriter, r *http.Request) {
	f, err := h.kpiFilter(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx := r.Context()
	rep, err := h.svc.KPIs(ctx, f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f = rep.Filter
	top, err := h.svc.TopProblems(ctx, f, 10)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// The trend: the three rates of the last six months up to the period's end.
	trendFrom := monthStart(f.To.Add(-time.Nanosecond)).AddDate(0, -5, 0)
	trend, err := h.svc.KPIs(ctx, KPIFilter{Scope: f.Scope, From: trendFrom, To: f.To, GroupBy: GroupMonth, Weights: f.Weights})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	cands, err := h.svc.Candidates(ctx, f.Scope)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := principalOf(r)
	d := kpiData{By: f.GroupBy, N: f.ClusterMin, Groupings: Groupings(), Report: rep, Top: top, Candidates: cands,
		CanPropose: p.Can(auth.CasesDispatch), CanExport: p.Can(auth.Export), CanSetWeights: canSetWeights(r), Proposed: r.URL.Query().Get("proposed")}
	d.From, d.To = periodDates(f.From, f.To)
	d.PrevFrom, d.PrevTo = periodDates(top.PrevFrom, top.PrevTo)
	today := h.svc.clock().In(calendar.Shanghai())
	thisMonth := monthStart(today)
	for _, pr := range []struct {
		key      string
		from, to time.Time
	}{
		{"this_month", thisMonth, today.AddDate(0, 0, 1)},
		{"last_month", thisMonth.AddDate(0, -1, 0), thisMonth},
		{"last_3_months", thisMonth.AddDate(0, -2, 0), today.AddDate(0, 0, 1)},
		{"this_year", time.Date(today.Year(), 1, 1, 0, 0, 0, 0, calendar.Shanghai()), today.AddDate(0, 0, 1)},
	} {
		a, b := periodDates(pr.from, pr.to)
		d.Periods = append(d.Periods, kpiPeriod{Key: pr.key, From: a, To: b})
	}
	v := url.Values{"from": {d.From}, "to": {d.To}, "by": {string(d.By)}}
	d.Query = v.Encode()

	names := []string{}
	var resp, reso, sat, under, one, three, seven, overdue []any
	for _, row := range rep.Rows {
		name := row.Name
		if name == "" || row.Key == "0" {
			name = h.rd.T(r, "cases.kpi.none")
		}
		names = append(names, name)
		resp, reso, sat = append(resp, percentOrNil(row.Response)), append(reso, percentOrNil(row.Resolution)), append(sat, percentOrNil(row.Satisfaction))
		b := row.Backlog
		under, one, three, seven, overdue = append(under, b.UnderDay), append(one, b.OneToThree), append(three, b.ThreeToSeven), append(seven, b.OverSeven), append(overdue, b.Overdue)
	}
	var months []string
	var tResp, tReso, tSat []any
	for _, row := range trend.Rows {
		months = append(months, row.Name)
		tResp, tReso, tSat = append(tResp, percentOrNil(row.Response)), append(tReso, percentOrNil(row.Resolution)), append(tSat, percentOrNil(row.Satisfaction))
	}
	label := func(k string) string { return h.rd.T(r, k) }
	d.Charts = map[string]any{
		"labels": map[string]string{"response": label("cases.kpi.response"), "resolution": label("cases.kpi.resolution"),
			"satisfaction": label("cases.kpi.satisfaction"), "under": label("cases.kpi.age.under_day"), "one": label("cases.kpi.age.one_three"),
			"three": label("cases.kpi.age.three_seven"), "seven": label("cases.kpi.age.over_seven"), "overdue": label("cases.kpi.overdue")},
		"groups":  map[string]any{"names": names, "response": resp, "resolution": reso, "satisfaction": sat},
		"trend":   map[string]any{"months": months, "response": tResp, "resolution": tReso, "satisfaction": tSat},
		"backlog": map[string]any{"names": names, "under": under, "one": one, "three": three, "seven": seven, "overdue": overdue},
	}
	h.rd.Render(w, http.StatusOK, "case_kpi", h.rd.NewPage(r, "cases.kpi.title", d))
}

// kpiXLSX downloads the KPI table of the page as an Excel workbook.
func (h *Handlers) kpiXLSX(w http.ResponseWriter, r *http.Request) {
	f, err := h.kpiFilter(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rep, err := h.svc.KPIs(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	T := func(k string) string { return h.rd.T(r, k) }
	head := []any{T("cases.kpi.group." + string(rep.Filter.GroupBy)), T("cases.kpi.cases")}
	for _, k := range []string{"response", "resolution", "satisfaction"} {
		head = append(head, T("cases.kpi."+k)+" "+T("cases.kpi.num"), T("cases.kpi."+k)+" "+T("cases.kpi.den"), T("cases.kpi."+k)+" %")
	}
	head = append(head, T("cases.kpi.score"))
	for _, st := range stageOrder {
		head = append(head, T("cases.kpi.on_time")+" "+T("cases.stage."+string(st)), T("cases.kpi.on_time")+" "+T("cases.stage."+string(st))+" %")
	}
	head = append(head, T("cases.kpi.open"), T("cases.kpi.age.under_day"), T("cases.kpi.age.one_three"), T("cases.kpi.age.three_seven"),
		T("cases.kpi.age.over_seven"), T("cases.kpi.overdue"))
	pct := func(rt Rate) any {
		if !rt.Defined() {
			return ""
		}
		return percentOrNil(rt)
	}
	line := func(name string, row KPIRow) []any {
		out := []any{name, row.Cases}
		for _, rt := range []Rate{row.Response, row.Resolution, row.Satisfaction} {
			out = append(out, rt.Num, rt.Den, pct(rt))
		}
		if row.HasScore {
			out = append(out, row.Score)
		} else {
			out = append(out, "")
		}
		for _, sr := range row.OnTime {
			out = append(out, fmt.Sprintf("%d/%d", sr.Num, sr.Den), pct(sr.Rate))
		}
		b := row.Backlog
		return append(out, b.Open, b.UnderDay, b.OneToThree, b.ThreeToSeven, b.OverSeven, b.Overdue)
	}
	x := excelize.NewFile()
	defer x.Close()
	sheet := "KPI"
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		h.fail(w, r, err)
		return
	}
	rows := [][]any{head}
	for _, row := range rep.Rows {
		name := row.Name
		if name == "" || row.Key == "0" {
			name = T("cases.kpi.none")
		}
		rows = append(rows, line(name, row))
	}
	rows = append(rows, line(T("cases.kpi.total"), rep.Total))
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := x.SetSheetRow(sheet, cell, &row); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	from, to := periodDates(rep.Filter.From, rep.Filter.To)
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="case-kpi-%s-%s-%s.xlsx"`, from, to, rep.Filter.GroupBy))
	if err := x.Write(w); err != nil {
		h.logger.Error("kpi export", "err", err)
	}
}

// propose turns a recurring grid × category cluster of the period into a
// project-pool candidate.
func (h *Handlers) propose(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, fmt.Errorf("%w: %v", ErrInvalid, err))
		return
	}
	grid, err := strconv.ParseInt(r.PostFormValue("grid"), 10, 64)
	if err != nil || grid <= 0 {
		h.fail(w, r, fmt.Errorf("%w: name the grid of the cluster", ErrInvalid))
		return
	}
	// The period and cluster size come with the form, in the page's terms.
	q := url.Values{"from": {r.PostFormValue("from")}, "to": {r.PostFormValue("to")}, "n": {r.PostFormValue("n")}}
	if q.Get("n") == "" {
		q.Del("n")
	}
	r2 := r.Clone(r.Context())
	r2.URL.RawQuery = q.Encode()
	f, err := h.kpiFilter(r2)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	cc, err := h.svc.ProposeCluster(r.Context(), ProposeInput{Scope: f.Scope, GridID: grid, Category: r.PostFormValue("category"),
		From: f.From, To: f.To, Min: f.ClusterMin})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusOK, map[string]any{"id": cc.ID, "status": cc.Status, "cases": cc.Cases, "case_ids": cc.CaseIDs})
		return
	}
	q.Set("by", r.PostFormValue("by"))
	if !GroupBy(q.Get("by")).valid() || q.Get("by") == "" {
		q.Del("by")
	}
	q.Set("proposed", strconv.FormatInt(cc.ID, 10))
	http.Redirect(w, r, "/cases/kpi?"+q.Encode()+"#candidates", http.StatusSeeOther)
}

// kpiMessages are the texts of the KPI page (keys "cases.kpi.*").
func kpiMessages() map[string][2]string {
	return map[string][2]string{
		"cases.nav.kpi":                  {"考核", "KPIs"},
		"cases.kpi.title":                {"工单考核（三率）", "Case KPIs (three rates)"},
		"cases.kpi.intro":                {"响应率：响应环节（有到场时限的看到场，否则看受理）按时完成的比例，未到期的不计；解决率：已办结且从未被重新办理的工单占全部工单的比例；满意率：满意和基本满意占已评价工单的比例。重复合并的工单不计。", "Response rate: the response stage (on site where the policy has one, else registration) met its deadline, among cases whose response is decided; resolution rate: resolved and never reopened, among all cases; satisfaction rate: satisfied and basically satisfied among rated cases. Merged duplicates are left out."},
		"cases.kpi.from":                 {"从", "From"},
		"cases.kpi.to":                   {"到", "To"},
		"cases.kpi.by":                   {"分组", "Group by"},
		"cases.kpi.show":                 {"查看", "Show"},
		"cases.kpi.period.this_month":    {"本月", "This month"},
		"cases.kpi.period.last_month":    {"上月", "Last month"},
		"cases.kpi.period.last_3_months": {"近三个月", "Last 3 months"},
		"cases.kpi.period.this_year":     {"今年", "This year"},
		"cases.kpi.group.":               {"合计", "All"},
		"cases.kpi.group.grid":           {"网格", "Grid"},
		"cases.kpi.group.community":      {"社区", "Community"},
		"cases.kpi.group.subdistrict":    {"街道", "Subdistrict"},
		"cases.kpi.group.department":     {"部门", "Department"},
		"cases.kpi.group.category":       {"问题类别", "Category"},
		"cases.kpi.group.month":          {"月份", "Month"},
		"cases.kpi.group.week":           {"周（自周一）", "Week (from Monday)"},
		"cases.kpi.cases":                {"工单数", "Cases"},
		"cases.kpi.response":             {"响应率", "Response rate"},
		"cases.kpi.resolution":           {"解决率", "Resolution rate"},
		"cases.kpi.satisfaction":         {"满意率", "Satisfaction rate"},
		"cases.kpi.score":                {"综合得分", "Score"},
		"cases.kpi.weight.response":      {"响应（%）", "Response (%)"},
		"cases.kpi.weight.resolution":    {"解决（%）", "Resolution (%)"},
		"cases.kpi.weight.satisfaction":  {"满意（%）", "Satisfaction (%)"},
		"cases.kpi.weight.save":          {"保存权重（全区适用）", "Save the weights (for the whole deployment)"},
		"cases.kpi.weights":              {"综合得分权重：响应%d%%、解决%d%%、满意%d%%；没有分母的比率不计入，其余权重按比例放大。", "Score weights: response %d%%, resolution %d%%, satisfaction %d%%; a rate without a denominator is left out and the other weights scaled up."},
		"cases.kpi.num":                  {"分子", "numerator"},
		"cases.kpi.den":                  {"分母", "denominator"},
		"cases.kpi.on_time":              {"按时率", "On time"},
		"cases.kpi.on_time_title":        {"各环节按时率", "On time per stage"},
		"cases.kpi.backlog":              {"积压工单（未结案）", "Backlog (open cases)"},
		"cases.kpi.open":                 {"未结", "Open"},
		"cases.kpi.age.under_day":        {"不足1天", "< 1 day"},
		"cases.kpi.age.one_three":        {"1–3天", "1–3 days"},
		"cases.kpi.age.three_seven":      {"3–7天", "3–7 days"},
		"cases.kpi.age.over_seven":       {"超过7天", "> 7 days"},
		"cases.kpi.overdue":              {"超时", "Overdue"},
		"cases.kpi.total":                {"合计", "Total"},
		"cases.kpi.none":                 {"（无）", "(none)"},
		"cases.kpi.no_cases":             {"这段时间没有工单。", "No cases in this period."},
		"cases.kpi.chart_rates":          {"各组三率", "Three rates by group"},
		"cases.kpi.chart_trend":          {"近六个月三率走势", "Three rates over six months"},
		"cases.kpi.chart_backlog":        {"积压账龄", "Backlog ageing"},
		"cases.kpi.export":               {"导出 Excel", "Export to Excel"},
		"cases.kpi.top":                  {"本期突出问题", "This period's top problems"},
		"cases.kpi.top_intro":            {"与上一个等长时段（%s 至 %s）相比。", "Compared with the period of the same length before (%s to %s)."},
		"cases.kpi.previous":             {"上期", "Previous"},
		"cases.kpi.trend":                {"趋势", "Trend"},
		"cases.kpi.trend.up":             {"上升", "up"},
		"cases.kpi.trend.down":           {"下降", "down"},
		"cases.kpi.trend.flat":           {"持平", "flat"},
		"cases.kpi.categories":           {"问题类别", "Categories"},
		"cases.kpi.clusters":             {"网格 × 类别", "Grid × category"},
		"cases.kpi.recurring":            {"同一网格同类问题达到%d件即为反复出现，可转为项目库候选。", "A grid with %d or more cases of one kind is a recurring cluster and can become a project-pool candidate."},
		"cases.kpi.propose":              {"转为项目候选", "Propose as project"},
		"cases.kpi.proposed":             {"已提议", "proposed"},
		"cases.kpi.proposed_ok":          {"已提议为项目库候选（#%s）。", "Proposed as a project-pool candidate (#%s)."},
		"cases.kpi.candidates":           {"项目库候选", "Project-pool candidates"},
		"cases.kpi.candidates_none":      {"还没有候选。", "No candidates yet."},
		"cases.kpi.period":               {"时段", "Period"},
		"cases.kpi.evidence":             {"依据工单", "Evidence"},
		"cases.kpi.status":               {"状态", "Status"},
		"cases.kpi.by_whom":              {"提议人", "Proposed by"},
	}
}

// Period returns the candidate's period as Shanghai dates, "2026-03-01 – 2026-03-31".
func (c ClusterCandidate) Period() string {
	a, b := periodDates(c.From, c.To)
	return a + " – " + b
}
