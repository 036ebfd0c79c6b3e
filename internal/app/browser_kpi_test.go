package app_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gengxin/gengxin/internal/demo"
)

// TestBrowserKPI opens the supervisor's KPI page over the demo's three months of
// cases and checks that the rates table is filled and the three charts draw.
func TestBrowserKPI(t *testing.T) {
	ctx := browser(t)
	_, srv := demoApp(t)
	do(t, ctx, "kpi", login(srv.URL, "district", demo.Password),
		chromedp.Navigate(srv.URL+"/cases/kpi"), chromedp.WaitVisible(chromedp.CSS("#kpi-rates")),
		chromedp.WaitVisible(chromedp.CSS(`#chart-rates[data-ready="1"]`)), shot("kpi"))
	rows := run(t, ctx, "rate rows", chromedp.Evaluate[int](`document.querySelectorAll("#kpi-rates tbody tr").length`))
	canvases := run(t, ctx, "charts", chromedp.Evaluate[int](`document.querySelectorAll("#chart-rates canvas, #chart-trend canvas, #chart-backlog canvas").length`))
	text := run(t, ctx, "rates", chromedp.Text(chromedp.CSS("#kpi-rates")))
	if rows == 0 || canvases < 3 || !strings.Contains(text, "%") {
		t.Fatalf("KPI page: %d rows, %d charts, text %q", rows, canvases, text)
	}
}
