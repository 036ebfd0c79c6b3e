package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/cases"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
)

// kpiData is the chart data the KPI page hands to its script.
type kpiData struct {
	Groups struct {
		Names    []string   `json:"names"`
		Response []*float64 `json:"response"`
	} `json:"groups"`
	Trend struct {
		Months     []string   `json:"months"`
		Resolution []*float64 `json:"resolution"`
	} `json:"trend"`
	Backlog struct {
		Names []string `json:"names"`
		Under []int    `json:"under"`
	} `json:"backlog"`
}

func chartData(t *testing.T, body string) kpiData {
	t.Helper()
	_, rest, ok := strings.Cut(body, `<script type="application/json" id="kpi-data">`)
	js, _, ok2 := strings.Cut(rest, "</script>")
	if !ok || !ok2 {
		t.Fatalf("no chart data on the page: %.400s", body)
	}
	var d kpiData
	if err := json.Unmarshal([]byte(js), &d); err != nil {
		t.Fatalf("chart data %s: %v", js, err)
	}
	return d
}

// TestKPIPage: the supervisor's KPI page with its tables and chart data
// inside the viewer's area, the Excel export, and proposing a recurring
// cluster as a project-pool candidate (403 without the dispatch permission,
// stored and audited with it).
func TestKPIPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clk := &fakeClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))}
		ta := newTestAppAt(t, d, clk.Now)
		ctx := audit.WithActor(context.Background(), audit.System("test"))
		report := func(lon, lat float64) int64 {
			t.Helper()
			c, err := ta.Cases.Report(ctx, cases.ReportInput{Category: "stairwell_light", Description: "楼道灯不亮", Lon: lon, Lat: lat,
				Channel: cases.ChannelHotline, Reporter: cases.Reporter{Name: "李四", Contact: "13800002222"}})
			if err != nil {
				t.Fatal(err)
			}
			return c.ID
		}
		// Five reports in grid A1-1 an hour apart (the last accepted within 5
		// minutes, nobody on site), one in subdistrict B; judged a day later:
		// response 0/5, registration on time 1/5, resolution 0/5.
		var ids []int64
		for range 5 {
			ids = append(ids, report(119.92, 31.72))
			clk.Add(time.Hour)
		}
		clk.Add(-time.Hour + 2*time.Minute)
		if _, err := ta.Cases.Accept(ctx, ids[4], cases.Step{}); err != nil {
			t.Fatal(err)
		}
		report(119.97, 31.75)
		clk.Add(24 * time.Hour)

		q := "/cases/kpi?from=2026-03-01&to=2026-03-31&by=grid"
		resp, body := ta.do(t, "community", "GET", q, nil, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("kpi page = %d: %.300s", resp.StatusCode, body)
		}
		for _, want := range []string{"甲一第1网格", `id="chart-rates"`, `id="chart-trend"`, `id="chart-backlog"`, "/static/kpi.js", "/cases/kpi.xlsx?",
			"1/5 (20.0%)", `action="/cases/kpi/propose"`} {
			if !strings.Contains(body, want) {
				t.Errorf("kpi page lacks %q", want)
			}
		}
		if strings.Contains(body, "乙一第1网格") || strings.Contains(body, "乙街道") {
			t.Errorf("the community worker sees a grid outside the community")
		}
		cd := chartData(t, body)
		if len(cd.Groups.Names) != 1 || cd.Groups.Names[0] != "甲一第1网格" || len(cd.Groups.Response) != 1 || cd.Groups.Response[0] == nil || *cd.Groups.Response[0] != 0 {
			t.Errorf("rate chart data = %+v", cd.Groups)
		}
		if len(cd.Trend.Months) != 6 || cd.Trend.Months[5] != "2026-03" || cd.Trend.Resolution[5] == nil || *cd.Trend.Resolution[5] != 0 {
			t.Errorf("trend chart data = %+v", cd.Trend)
		}
		if len(cd.Backlog.Under) != 1 || cd.Backlog.Under[0] != 0 {
			t.Errorf("backlog chart data = %+v", cd.Backlog)
		}
		// The district officer sees both subdistricts; by subdistrict, two rows.
		_, body = ta.do(t, "district", "GET", "/cases/kpi?from=2026-03-01&to=2026-03-31&by=subdistrict", nil, nil)
		if cd := chartData(t, body); len(cd.Groups.Names) != 2 {
			t.Errorf("district rows = %v", cd.Groups.Names)
		}
		for _, bad := range []string{"by=street", "from=yesterday", "from=2026-03-10&to=2026-03-01", "n=0"} {
			if resp, _ := ta.do(t, "district", "GET", "/cases/kpi?"+bad, nil, nil); resp.StatusCode != http.StatusBadRequest {
				t.Errorf("kpi?%s = %d, want 400", bad, resp.StatusCode)
			}
		}

		// The export holds the same figures.
		resp, body = ta.do(t, "community", "GET", "/cases/kpi.xlsx?from=2026-03-01&to=2026-03-31&by=grid&lang=en", nil, nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "spreadsheetml") {
			t.Fatalf("export = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		x, err := excelize.OpenReader(bytes.NewReader([]byte(body)))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := x.GetRows("KPI")
		if err != nil || len(rows) != 3 || rows[1][0] != "甲一第1网格" || rows[1][1] != "5" || rows[2][0] != "Total" || rows[1][2] != "0" || rows[1][3] != "5" {
			t.Errorf("export rows = %v, %v", rows, err)
		}

		// Proposing the cluster: not for roles without the dispatch permission.
		form := url.Values{"grid": {"7"}, "category": {"stairwell_light"}, "from": {"2026-03-01"}, "to": {"2026-03-31"}, "by": {"grid"}}
		for _, user := range []string{"grid", "auditor", "department", "resident"} {
			if resp, _ := ta.do(t, user, "POST", "/cases/kpi/propose", strings.NewReader(form.Encode()), formHeader); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s proposes = %d, want 403", user, resp.StatusCode)
			}
		}
		outside := url.Values{"grid": {"9"}, "category": {"stairwell_light"}, "from": {"2026-03-01"}, "to": {"2026-03-31"}, "n": {"1"}}
		if resp, _ := ta.do(t, "community", "POST", "/cases/kpi/propose", strings.NewReader(outside.Encode()), formHeader); resp.StatusCode != http.StatusNotFound {
			t.Errorf("proposing a grid outside the area = %d, want 404", resp.StatusCode)
		}
		resp, body = ta.do(t, "community", "POST", "/cases/kpi/propose", strings.NewReader(form.Encode()), formHeader)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/cases/kpi?") {
			t.Fatalf("propose = %d %s: %s", resp.StatusCode, resp.Header.Get("Location"), body)
		}
		cands, err := ta.Cases.Candidates(ctx, "")
		if err != nil || len(cands) != 1 || cands[0].GridID != 7 || cands[0].Cases != 5 || cands[0].CreatedByName != "community" ||
			cands[0].Status != cases.CandidateProposed {
			t.Fatalf("candidates = %+v, %v", cands, err)
		}
		var n int
		if err := d.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'case_cluster.propose' AND actor_name = 'community'`).Scan(&n); err != nil || n != 1 {
			t.Errorf("audit entries = %d, %v", n, err)
		}
		if resp, _ := ta.do(t, "community", "POST", "/cases/kpi/propose", strings.NewReader(form.Encode()), formHeader); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("second proposal = %d, want 400", resp.StatusCode)
		}
		// The page lists the candidate with its evidence and no longer offers the button.
		_, body = ta.do(t, "community", "GET", q, nil, nil)
		if !strings.Contains(body, "candidate-list") || !strings.Contains(body, "/cases/"+strconv.FormatInt(ids[0], 10)) || strings.Contains(body, `action="/cases/kpi/propose"`) {
			t.Errorf("page after the proposal lacks the candidate or still offers it: %.300s", body)
		}
		// The whole district's view lists it as well.
		if _, body = ta.do(t, "admin", "GET", q, nil, nil); !strings.Contains(body, "candidate-list") {
			t.Errorf("admin does not see the candidate")
		}
	})
}
