package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gengxin/gengxin/internal/app"
	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/db/dbtest"
	"github.com/gengxin/gengxin/internal/demo"
)

// TestBrowserKPI opens the supervisor's KPI page over the demo's three months of
// cases and checks that the rates table is filled and the three charts draw.
func TestBrowserKPI(t *testing.T) {
	ctx := browser(t)
	d := dbtest.SQLite(t)
	a, err := app.New(app.Config{DSN: "test", KeyFile: filepath.Join(t.TempDir(), "pii.key"), Version: "test", Demo: true,
		AuthOptions: []auth.Option{auth.WithParams(cheap)}}, d, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.LoadDemo(context.Background(), demo.Options{Seed: demo.DefaultSeed, Scale: 1}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
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
