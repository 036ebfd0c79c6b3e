package app_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gengxin/gengxin/internal/demo"
)

// submit clicks a button that posts a form and lets the next page load before
// anything else looks at the page (a query during the navigation can catch the
// old page's nodes as they go).
func submit(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.Click(chromedp.CSS(sel)), chromedp.Sleep(800*time.Millisecond), chromedp.WaitReady(chromedp.CSS("footer")))
}

// TestBrowserCases follows one report through Chromium: a resident reports on a
// phone with a map pin, the community worker accepts and dispatches it, the grid
// worker signs, arrives and resolves it with a photo, and the resident confirms
// the fix and rates it.
func TestBrowserCases(t *testing.T) {
	ctx := browser(t)
	a, srv := demoApp(t)
	photo := filepath.Join(t.TempDir(), "fixed.png")
	var img bytes.Buffer
	if err := png.Encode(&img, image.NewRGBA(image.Rect(0, 0, 16, 16))); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(photo, img.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	logout := chromedp.Steps(chromedp.Navigate(srv.URL+"/me"), chromedp.WaitReady(chromedp.CSS("form[action='/logout'] button")),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("form[action='/logout']").submit()`), chromedp.WaitVisible(chromedp.CSS("#username")))

	// The resident reports from a phone: category, words, a tap on the map.
	do(t, ctx, "report", chromedp.EmulateViewport(390, 844), login(srv.URL, "resident", demo.Password),
		chromedp.Navigate(srv.URL+"/cases/new"), chromedp.WaitVisible(chromedp.CSS("#case-pin-map .leaflet-pane")),
		chromedp.SetValue(chromedp.CSS("#category"), "stairwell_light"),
		chromedp.SendKeys(chromedp.CSS("#description"), "3 floor stairwell light broken"),
		chromedp.Click(chromedp.CSS("#case-pin-map")),
		chromedp.Poll[chromedp.Void](`document.getElementById("lat").value !== ""`),
		// Let the offer of nearby reports arrive before pressing submit.
		chromedp.Sleep(time.Second),
		shot("case-report"),
		submit("#report-submit"),
		chromedp.WaitVisible(chromedp.CSS("#reported")), shot("case-mine"))
	url := run(t, ctx, "after report", chromedp.Evaluate[string](`location.pathname + location.search`))
	m := regexp.MustCompile(`^/cases/mine\?reported=(\d+)$`).FindStringSubmatch(url)
	if m == nil {
		page := run(t, ctx, "page", chromedp.Text(chromedp.CSS("main")))
		t.Fatalf("after reporting the browser is at %q: %s", url, page)
	}
	casePath := "/cases/" + m[1]
	do(t, ctx, "logout resident", logout, chromedp.EmulateViewport(1280, 900))

	// The community worker accepts and dispatches it to the routed handler.
	do(t, ctx, "dispatch", login(srv.URL, "community", demo.Password),
		chromedp.Navigate(srv.URL+casePath), chromedp.WaitVisible(chromedp.CSS("#actions button.accept")),
		submit("#actions button.accept"), chromedp.WaitVisible(chromedp.CSS(".dispatch-form button")),
		submit(".dispatch-form button"), chromedp.WaitNotPresent(chromedp.CSS(".dispatch-form")), shot("case-dispatched"))
	if st := run(t, ctx, "state", chromedp.Text(chromedp.CSS("#case-state"))); st == "" {
		t.Fatal("no state shown")
	}
	do(t, ctx, "logout dispatcher", logout)

	// The grid worker finds it in the day's list, signs, arrives and resolves it.
	do(t, ctx, "handle", chromedp.EmulateViewport(390, 844), login(srv.URL, "grid", demo.Password),
		chromedp.Navigate(srv.URL+"/cases/today"), chromedp.WaitVisible(chromedp.CSS("#today")),
		chromedp.Navigate(srv.URL+casePath), chromedp.WaitVisible(chromedp.CSS("#case-title")), shot("case-grid"),
		chromedp.WaitVisible(chromedp.CSS("#actions button.sign")),
		submit("#actions button.sign"), chromedp.WaitVisible(chromedp.CSS(".arrive-form button")),
		submit(".arrive-form button"), chromedp.WaitVisible(chromedp.CSS(".resolve-form")),
		chromedp.SetUploadFiles(chromedp.CSS(".resolve-form input[type=file]"), []string{photo}),
		submit(".resolve-form button"), chromedp.WaitNotPresent(chromedp.CSS(".resolve-form")), shot("case-resolved"))
	do(t, ctx, "logout grid", logout)

	// The resident confirms the fix and rates it.
	do(t, ctx, "confirm", login(srv.URL, "resident", demo.Password),
		chromedp.Navigate(srv.URL+casePath), chromedp.WaitVisible(chromedp.CSS("button.verify")),
		submit("button.verify"), chromedp.WaitVisible(chromedp.CSS("button.rate")),
		chromedp.Click(chromedp.CSS(`.rate-form input[value="satisfied"]`)),
		submit("button.rate"), chromedp.WaitNotPresent(chromedp.CSS("button.rate")), shot("case-rated"))
	id := m[1]
	var caseID int64
	for _, ch := range id {
		caseID = caseID*10 + int64(ch-'0')
	}
	det, err := a.Cases.Get(context.Background(), caseID)
	if err != nil {
		t.Fatal(err)
	}
	if det.Rating != "satisfied" || !strings.Contains(string(det.State), "rated") && det.State != "closed" {
		t.Fatalf("after rating: state %s, rating %q", det.State, det.Rating)
	}
}
