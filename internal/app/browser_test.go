package app_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gengxin/gengxin/internal/app"
	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/consult"
	"github.com/gengxin/gengxin/internal/db/dbtest"
	"github.com/gengxin/gengxin/internal/demo"
	"github.com/gengxin/gengxin/internal/places"
)

// chromium finds a Chromium to drive: GENGXIN_TEST_CHROMIUM, else one on PATH. It
// skips the test when there is none, and fails it under CI=true.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("GENGXIN_TEST_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium found: browser tests are mandatory in CI (apt-get install chromium chromium-driver)")
	}
	t.Skip("browser tests skipped: no Chromium found; install chromium or set GENGXIN_TEST_CHROMIUM")
	return ""
}

// browser starts a headless Chromium and returns a context to drive it.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancel3 := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancel3)
	return ctx
}

// shot saves a screenshot when GENGXIN_SCREENSHOTS names a folder.
func shot(name string) chromedp.Action[chromedp.Void] {
	dir := os.Getenv("GENGXIN_SCREENSHOTS")
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if dir == "" {
			return nil
		}
		buf, err := chromedp.FullScreenshot(100)(ctx, t)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
	})
}

// demoApp is an app on a fresh SQLite database holding the demo district at
// scale 1, served on a test server closed with the test.
func demoApp(t *testing.T) (*app.App, *httptest.Server) {
	t.Helper()
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
	t.Cleanup(srv.Close)
	return a, srv
}

func login(base, user, password string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitReady(chromedp.CSS("header .who")),
	)
}

// run runs one action that returns a value, failing the test on error.
func run[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// TestBrowserDemo drives the demo district in Chromium: log in, open the map and
// see the compounds drawn, open a compound page, and see a resident's home on a
// phone-sized screen.
func TestBrowserDemo(t *testing.T) {
	ctx := browser(t)
	a, srv := demoApp(t)

	// The community worker's compounds, to compare with the map and open one.
	u, err := a.Auth.UserByUsername(context.Background(), "community")
	if err != nil {
		t.Fatal(err)
	}
	cs, total, err := a.Places.Compounds(context.Background(), places.CompoundFilter{Scope: places.Scope(u.RegionPath), Limit: 1})
	if err != nil || total == 0 {
		t.Fatalf("community worker has %d compounds: %v", total, err)
	}

	do(t, ctx, "login", login(srv.URL, "community", demo.Password), shot("home"))
	who := run(t, ctx, "header", chromedp.Text(chromedp.CSS("header .who")))
	title := run(t, ctx, "title", chromedp.Title())
	if !strings.Contains(who, "社区工作者") || !strings.Contains(title, "工作台") {
		t.Fatalf("after login: header %q, title %q", who, title)
	}

	do(t, ctx, "map", chromedp.Navigate(srv.URL+"/map"), chromedp.WaitVisible(chromedp.CSS(`#map[data-ready="1"]`)))
	compounds := run(t, ctx, "map compounds", chromedp.Poll[string](`document.getElementById("map").dataset.compounds`, chromedp.WithPollingTimeout(30*time.Second)))
	layers := run(t, ctx, "map layers", chromedp.Evaluate[int](`document.querySelectorAll(".leaflet-overlay-pane canvas, .leaflet-overlay-pane svg path").length`))
	do(t, ctx, "map shot", shot("map"))
	if compounds != fmt.Sprint(total) || layers == 0 {
		t.Fatalf("map drew %q compounds on %d layers; the community has %d", compounds, layers, total)
	}

	do(t, ctx, "compound page", chromedp.Navigate(fmt.Sprintf("%s/compounds/%d", srv.URL, cs[0].ID)), chromedp.WaitVisible(chromedp.CSS("#compound-name")), shot("compound"))
	h1 := run(t, ctx, "compound name", chromedp.Text(chromedp.CSS("#compound-name")))
	rows := run(t, ctx, "building rows", chromedp.Evaluate[int](`document.querySelectorAll("#buildings tbody tr").length`))
	if h1 != cs[0].Name || rows == 0 {
		t.Fatalf("compound page shows %q with %d buildings, want %q", h1, rows, cs[0].Name)
	}

	// The rest of the community worker's pages.
	do(t, ctx, "regions", chromedp.Navigate(srv.URL+"/regions"), chromedp.WaitVisible(chromedp.CSS("#children")), shot("region"))
	if h := run(t, ctx, "region heading", chromedp.Text(chromedp.CSS("h1"))); !strings.Contains(h, u.RegionName) {
		t.Errorf("/regions shows %q, want the worker's community %q", h, u.RegionName)
	}
	if n := run(t, ctx, "grid rows", chromedp.Evaluate[int](`document.querySelectorAll("#children tbody tr").length`)); n == 0 {
		t.Error("the community page lists no grids")
	}
	do(t, ctx, "edit page", chromedp.Navigate(fmt.Sprintf("%s/compounds/%d/edit", srv.URL, cs[0].ID)), chromedp.WaitVisible(chromedp.CSS("#edit-compound")))
	if v := run(t, ctx, "edit name", chromedp.Value(chromedp.CSS("#name"))); v != cs[0].Name {
		t.Errorf("edit form name = %q", v)
	}
	bs, err := a.Places.BuildingsOf(context.Background(), cs[0].ID)
	if err != nil || len(bs) == 0 {
		t.Fatal(err)
	}
	do(t, ctx, "building page", chromedp.Navigate(fmt.Sprintf("%s/buildings/%d", srv.URL, bs[0].ID)), chromedp.WaitVisible(chromedp.CSS("#households")))
	table := run(t, ctx, "households", chromedp.Text(chromedp.CSS("#households")))
	if !regexp.MustCompile(`1\d\d\*{4}\d{4}`).MatchString(table) {
		t.Errorf("no masked phone number on the building page")
	}
	// Revealing the numbers goes through htmx with the CSRF header.
	do(t, ctx, "reveal", chromedp.Click(chromedp.CSS("#households button")), chromedp.WaitVisible(chromedp.CSS("#households .secret")), shot("building"))
	if full := run(t, ctx, "revealed", chromedp.Text(chromedp.CSS("#households .secret"))); !regexp.MustCompile(`1\d{10} · \d{17}[\dX]`).MatchString(full) {
		t.Errorf("revealed numbers = %q", full)
	}
	do(t, ctx, "search", chromedp.Navigate(srv.URL+"/search"), chromedp.WaitVisible(chromedp.CSS("input[name=q]")),
		chromedp.SendKeys(chromedp.CSS("input[name=q]"), "新村"), chromedp.WaitVisible(chromedp.CSS("#results table")), shot("search"))
	if n := run(t, ctx, "search rows", chromedp.Evaluate[int](`document.querySelectorAll("#results tr").length`)); n == 0 {
		t.Error("typing in the search box found nothing")
	}
	// The health check the demo ran at first start, as the community worker sees it.
	do(t, ctx, "compound card", chromedp.Navigate(fmt.Sprintf("%s/compounds/%d", srv.URL, cs[0].ID)), chromedp.WaitVisible(chromedp.CSS("#life-circle table")))
	if n := run(t, ctx, "card rows", chromedp.Evaluate[int](`document.querySelectorAll("#life-circle tbody tr").length`)); n < 5 {
		t.Errorf("life-circle card has %d rows", n)
	}
	do(t, ctx, "checkup", chromedp.Navigate(srv.URL+"/checkup"), chromedp.WaitVisible(chromedp.CSS("table.results")), shot("checkup"))
	if n := run(t, ctx, "result rows", chromedp.Evaluate[int](`document.querySelectorAll("table.results tbody tr").length`)); n < 15 {
		t.Errorf("checkup overview shows %d indicator rows", n)
	}
	do(t, ctx, "findings", chromedp.Navigate(srv.URL+"/checkup/findings?indicator=housing.gas_pipe_age"), chromedp.WaitVisible(chromedp.CSS("#findings")))
	dots := run(t, ctx, "finding dots", chromedp.Poll[string](`document.getElementById("findings-map").dataset.findings`, chromedp.WithPollingTimeout(30*time.Second)))
	do(t, ctx, "findings shot", shot("findings"))
	if dots == "" || dots == "0" || dots == "error" {
		t.Errorf("findings map shows %q findings", dots)
	}
	do(t, ctx, "finding", chromedp.Click(chromedp.CSS("#findings tbody tr a")), chromedp.WaitVisible(chromedp.CSS("#status-form")),
		chromedp.SetValue(chromedp.CSS("#status-form select"), "in_project"), chromedp.SendKeys(chromedp.CSS("#note"), "renovation 2027"),
		chromedp.Click(chromedp.CSS("#status-form button")), chromedp.WaitVisible(chromedp.CSS(".flash")), shot("finding"))
	if st := run(t, ctx, "finding status", chromedp.Text(chromedp.CSS("#finding-status"))); st != "已纳入项目" {
		t.Errorf("finding status after the change = %q", st)
	}
	do(t, ctx, "report", chromedp.Navigate(srv.URL+"/checkup/report"), chromedp.WaitVisible(chromedp.CSS(`#chart-failing[data-ready="1"]`)), shot("report"))
	if n := run(t, ctx, "chart canvases", chromedp.Evaluate[int](`document.querySelectorAll("#chart-failing canvas, #chart-coverage canvas").length`)); n < 2 {
		t.Errorf("report draws %d charts", n)
	}
	// A paper ballot, entered with its scan into an open vote of the community.
	votes, err := a.Consult.ListVotes(context.Background(), consult.VoteFilter{Status: consult.StatusOpen})
	if err != nil || len(votes) == 0 {
		t.Fatalf("open demo votes = %d, %v", len(votes), err)
	}
	roll, err := a.Consult.Roll(context.Background(), votes[0].ID)
	if err != nil || len(roll) == 0 {
		t.Fatalf("roll = %d, %v", len(roll), err)
	}
	scan := filepath.Join(t.TempDir(), "ballot.png")
	var img bytes.Buffer
	if err := png.Encode(&img, image.NewGray(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(scan, img.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	code := roll[len(roll)-1].HouseholdCode
	do(t, ctx, "paper ballot", chromedp.Navigate(fmt.Sprintf("%s/votes/%d", srv.URL, votes[0].ID)), chromedp.WaitVisible(chromedp.CSS("#paper-form")),
		chromedp.SendKeys(chromedp.CSS("#household_code"), code), chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{scan}),
		chromedp.Click(chromedp.CSS("#paper-form button")), chromedp.WaitVisible(chromedp.CSS("#receipt-code")), shot("vote-paper"))
	if flash := run(t, ctx, "paper flash", chromedp.Text(chromedp.CSS(".flash"))); !strings.Contains(flash, code) {
		t.Errorf("paper ballot message %q", flash)
	}
	if n := run(t, ctx, "meters", chromedp.Evaluate[int](`document.querySelectorAll("#tally .meter").length`)); n != 4 {
		t.Errorf("vote page shows %d meters, want quorum and approval by area and heads", n)
	}
	// A door-to-door survey response with the signature scan, for a household on the call list.
	openSurveys, err := a.Surveys.ListSurveys(context.Background(), consult.SurveyFilter{Status: consult.StatusOpen})
	if err != nil || len(openSurveys) == 0 {
		t.Fatalf("open demo surveys = %d, %v", len(openSurveys), err)
	}
	openRound := openSurveys[0].Rounds[len(openSurveys[0].Rounds)-1]
	callList, err := a.Surveys.CallList(context.Background(), openRound.ID)
	if err != nil || len(callList) < 2 {
		t.Fatalf("call list = %d, %v", len(callList), err)
	}
	door := callList[len(callList)-1].HouseholdCode
	do(t, ctx, "call list", chromedp.Navigate(fmt.Sprintf("%s/surveys/rounds/%d/calls", srv.URL, openRound.ID)), chromedp.WaitVisible(chromedp.CSS("#calls")), shot("survey-calls"))
	do(t, ctx, "door-to-door", chromedp.Navigate(fmt.Sprintf("%s/surveys/rounds/%d/answer?household=%s", srv.URL, openRound.ID, door)),
		chromedp.WaitVisible(chromedp.CSS("#answer-form")), chromedp.SendKeys(chromedp.CSS("#respondent_name"), "王女士"),
		chromedp.Click(chromedp.CSS(`#answer-form input[name="a_plan"][value="adjust"]`)), chromedp.Click(chromedp.CSS(`#answer-form input[name="a_elevator"][value="yes"]`)),
		chromedp.Click(chromedp.CSS(`#answer-form input[name="relation"][value="tenant"]`)), chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{scan}),
		chromedp.Click(chromedp.CSS("#answer-submit")), chromedp.WaitVisible(chromedp.CSS(".flash")), shot("survey-door"))
	if flash := run(t, ctx, "door flash", chromedp.Text(chromedp.CSS(".flash"))); !strings.Contains(flash, door) {
		t.Errorf("door-to-door message %q", flash)
	}
	do(t, ctx, "survey dashboard", chromedp.Navigate(fmt.Sprintf("%s/surveys/%d", srv.URL, openSurveys[0].ID)),
		chromedp.WaitVisible(chromedp.CSS(`#chart-buildings[data-ready="1"]`)), shot("survey-dashboard"))
	if n := run(t, ctx, "survey charts", chromedp.Evaluate[int](`document.querySelectorAll("#dashboard canvas").length`)); n < 3 {
		t.Errorf("survey dashboard draws %d charts", n)
	}
	if v := run(t, ctx, "support", chromedp.Text(chromedp.CSS("#support-households"))); !strings.HasSuffix(v, "%") {
		t.Errorf("survey support shows %q", v)
	}
	do(t, ctx, "residents", chromedp.Navigate(srv.URL+"/residents"), chromedp.WaitVisible(chromedp.CSS("h1")))
	if h := run(t, ctx, "residents heading", chromedp.Text(chromedp.CSS("h1"))); h != "居民认证" {
		t.Errorf("/residents heading %q", h)
	}
	do(t, ctx, "not found", chromedp.Navigate(srv.URL+"/compounds/99999999"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	if h := run(t, ctx, "404 text", chromedp.Text(chromedp.CSS("main"))); !strings.Contains(h, "找不到") {
		t.Errorf("404 page says %q", h)
	}

	// The administrator's and auditor's pages.
	districts, err := a.Places.RegionsAtLevel(context.Background(), "", places.LevelDistrict)
	if err != nil || len(districts) == 0 {
		t.Fatalf("districts = %v, %v", districts, err)
	}
	do(t, ctx, "logout", chromedp.Click(chromedp.CSS("form[action='/logout'] button")), chromedp.WaitVisible(chromedp.CSS("#username")))
	do(t, ctx, "admin", login(srv.URL, "admin", demo.Password),
		chromedp.Navigate(srv.URL+"/admin/users"), chromedp.WaitVisible(chromedp.CSS("#users")), shot("users"))
	if n := run(t, ctx, "user rows", chromedp.Evaluate[int](`document.querySelectorAll("#users tbody tr").length`)); n != 8 {
		t.Errorf("users page lists %d accounts, want the 8 demo accounts", n)
	}
	do(t, ctx, "user page", chromedp.Click(chromedp.CSS("#users tbody tr a")), chromedp.WaitVisible(chromedp.CSS("select#role")))
	do(t, ctx, "api keys", chromedp.Navigate(srv.URL+"/admin/apikeys"), chromedp.WaitVisible(chromedp.CSS("input#name")),
		chromedp.SendKeys(chromedp.CSS("input#name"), "hotline 12345"), chromedp.SendKeys(chromedp.CSS("input#region_code"), districts[0].Code), chromedp.Click(chromedp.CSS("form[action='/admin/apikeys'] button")),
		chromedp.WaitVisible(chromedp.CSS("#new-key")))
	if key := run(t, ctx, "new key", chromedp.Text(chromedp.CSS("#new-key"))); !strings.HasPrefix(key, "gx_") {
		t.Errorf("new API key %q", key)
	}
	do(t, ctx, "imports", chromedp.Navigate(srv.URL+"/admin/imports"), chromedp.WaitVisible(chromedp.CSS("#upload")), shot("imports"))
	do(t, ctx, "audit", chromedp.Navigate(srv.URL+"/audit"), chromedp.WaitVisible(chromedp.CSS("#audit")),
		chromedp.Click(chromedp.CSS(`a[href="/audit?verify=1"]`)), chromedp.WaitVisible(chromedp.CSS("#verify-result")), shot("audit"))
	if v := run(t, ctx, "verify", chromedp.Text(chromedp.CSS("#verify-result"))); !strings.Contains(v, "完整") {
		t.Errorf("audit verification says %q", v)
	}

	// Log out, then a resident on a phone-sized screen sees their verified home.
	do(t, ctx, "logout", chromedp.Click(chromedp.CSS("form[action='/logout'] button")), chromedp.WaitVisible(chromedp.CSS("#username")))
	do(t, ctx, "resident", chromedp.EmulateViewport(390, 844), login(srv.URL, "resident", demo.Password),
		chromedp.WaitVisible(chromedp.CSS(".home h2")), shot("resident-phone"))
	home := run(t, ctx, "resident home", chromedp.Text(chromedp.CSS(".home h2")))
	if home == "" {
		t.Fatal("resident sees no home")
	}
	// The resident casts a ballot in an elevator vote of their entrance and gets a receipt.
	do(t, ctx, "resident votes", chromedp.Navigate(srv.URL+"/votes"), chromedp.WaitVisible(chromedp.CSS("#votes")),
		chromedp.Click(chromedp.CSS("#votes tbody tr a")), chromedp.WaitVisible(chromedp.CSS("#ballot-form")),
		chromedp.Click(chromedp.CSS(`#ballot-form input[value="agree"]`)), chromedp.Click(chromedp.CSS("#ballot-form button")),
		chromedp.WaitVisible(chromedp.CSS("#receipt-code")), shot("vote-resident"))
	if c := run(t, ctx, "counted", chromedp.Text(chromedp.CSS("#counted-choice"))); c != "同意" {
		t.Errorf("counted choice after casting = %q", c)
	}
	// The resident answers the open survey round on the phone, then sees the answer kept.
	do(t, ctx, "resident surveys", chromedp.Navigate(srv.URL+"/surveys"), chromedp.WaitVisible(chromedp.CSS(".survey-home a.button")),
		chromedp.Click(chromedp.CSS(".survey-home a.button")), chromedp.WaitVisible(chromedp.CSS("#answer-form")),
		chromedp.Click(chromedp.CSS(`#answer-form input[name="a_plan"][value="agree"]`)), chromedp.Click(chromedp.CSS(`#answer-form input[name="a_elevator"][value="no"]`)),
		chromedp.Click(chromedp.CSS(`#answer-form input[name="a_parking"][value="4"]`)), chromedp.Click(chromedp.CSS(`#answer-form input[name="relation"][value="owner"]`)),
		chromedp.Click(chromedp.CSS("#answer-submit")), chromedp.WaitVisible(chromedp.CSS("#answer-form .problems")), shot("survey-phone-problem"))
	do(t, ctx, "survey reason", chromedp.SendKeys(chromedp.CSS(`textarea[name="a_elevator_reason"]`), "一楼担心采光"),
		chromedp.Click(chromedp.CSS("#answer-submit")), chromedp.WaitVisible(chromedp.CSS("#current-answer")), shot("survey-phone"))
	if flash := run(t, ctx, "survey flash", chromedp.Text(chromedp.CSS(".flash"))); !strings.Contains(flash, "提交成功") {
		t.Errorf("survey answer message %q", flash)
	}
	if w := run(t, ctx, "page width", chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 390 {
		t.Errorf("the answer page is %d px wide on a 390 px screen", w)
	}

	// The English switch.
	do(t, ctx, "english", chromedp.Navigate(srv.URL+"/me?lang=en"), chromedp.WaitVisible(chromedp.CSS("h1")))
	if h := run(t, ctx, "english heading", chromedp.Text(chromedp.CSS("h1"))); h != "My home" {
		t.Fatalf("English page heading %q", h)
	}
}
