package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/gengxin/gengxin/internal/app"
	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/cases"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/demo"
	"github.com/gengxin/gengxin/internal/places"
)

// Targets of the case API under load, checked by "gengxin bench cases".
const (
	targetCreatesPerSec = 500.0
	targetReadsPerSec   = 5000.0
	targetListP99       = 50 * time.Millisecond
)

// The load tools "gengxin bench cases" drives.
const (
	toolWrk = "wrk"
	toolHey = "hey"
)

// casesBenchOptions are the flags of "gengxin bench cases".
type casesBenchOptions struct {
	cases           int
	duration        time.Duration
	concurrency     int
	listConcurrency int
	threads         int
	tool            string // wrk, hey, or a path to one of them
	seed            int64
	profileDir      string
	keep            string
}

// casesPhase is one measured phase: what it asks and what came back.
type casesPhase struct {
	name     string
	requests int64
	errors   int64 // HTTP errors (status ≥ 400) and socket errors
	elapsed  time.Duration
	p50, p90 time.Duration
	p99, max time.Duration
}

func (p casesPhase) rate() float64 {
	if p.elapsed <= 0 {
		return 0
	}
	return float64(p.requests) / p.elapsed.Seconds()
}

func benchCases(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "bench cases", "bench cases --db DSN [--cases 1000000] [--duration 30s] [--concurrency 32] [--tool wrk|hey]", `
Measures the case API under load. It fills the database first: the demo district
when it holds no places, then generated cases (spread over the district and the
--days before now, in every state) until it holds --cases of them, printing the
rate. Then it serves the database on 127.0.0.1 at a free port inside this
process, creates an API key and drives three phases of --duration each with wrk
(a Lua script varies every request) or hey (one fixed request per phase):

  create  POST /open311/v2/requests.json with the api_key, random category and place
  read    GET /open311/v2/requests/{id}.json of random existing cases
  list    GET /open311/v2/requests.json?service_code=…&status=open&page=…&page_size=50

and prints requests per second, latency percentiles and a PASS or FAIL line per
target: at least 500 creates/s, 5,000 reads/s, list p99 under 50 ms. Traffic goes
to 127.0.0.1 only. Without the load tool it fills the database and reports the
load phases as skipped. Install the tool with: apt-get install -y wrk`)
	af := addAppFlags(fs, e, "")
	o := casesBenchOptions{}
	fs.IntVar(&o.cases, "cases", 1_000_000, "cases the database should hold before the load")
	fs.DurationVar(&o.duration, "duration", 30*time.Second, "length of each load phase")
	fs.IntVar(&o.concurrency, "concurrency", 32, "open connections of the create and read phases")
	fs.IntVar(&o.listConcurrency, "list-concurrency", 0, "open connections of the list phase (default: --concurrency)")
	fs.IntVar(&o.threads, "threads", 2, "wrk threads")
	fs.StringVar(&o.tool, "tool", "", "load tool: wrk or hey, or a path to one (default: wrk if installed, else hey)")
	fs.Int64Var(&o.seed, "seed", demo.DefaultSeed, "seed of the demo district and of the generated cases")
	days := fs.Int("days", 365, "days before now over which generated cases are reported")
	fs.StringVar(&o.profileDir, "profile", "", "write a CPU profile of the server for each phase into `DIR` (cases-PHASE.pprof)")
	fs.StringVar(&o.keep, "keep", "", "keep the load scripts and tool outputs in `DIR` (default: a temporary folder, removed)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	if o.cases < 1 || o.concurrency < 1 || o.threads < 1 || o.listConcurrency < 0 || *days < 1 {
		return usageErr("--cases, --concurrency, --threads and --days must be positive")
	}
	if o.duration < time.Second || o.duration > 10*time.Minute {
		return usageErr("--duration must be between 1s and 10m")
	}
	if o.listConcurrency == 0 {
		o.listConcurrency = o.concurrency
	}
	o.threads = min(o.threads, o.concurrency, o.listConcurrency)
	kind, toolPath, toolErr := findLoadTool(o.tool)
	if toolErr != nil && errors.Is(toolErr, errUsage) {
		return toolErr
	}
	cfg, err := af.config(e)
	if err != nil {
		return err
	}
	work := o.keep
	if work == "" {
		if work, err = os.MkdirTemp("", "gengxin-bench-cases-"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	if cfg.KeyFile == "" && cfg.PIIKey == "" {
		if d, _, err := db.ParseDSN(cfg.DSN); err == nil && d != db.SQLite {
			// A PostgreSQL run gets a throw-away key rather than a file in
			// the working folder.
			cfg.KeyFile = filepath.Join(work, "gengxin-pii.key")
		}
	}
	// The server logs every request as in production, but to nowhere.
	a, err := app.Open(ctx, cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer a.Close()
	out := e.stdout
	fmt.Fprintf(out, "gengxin bench cases: %s, %d cases wanted\n", a.DB, o.cases)
	if err := fillCases(ctx, out, a, o, *days); err != nil {
		return err
	}
	if toolErr != nil {
		fmt.Fprintf(out, "SKIP  load phases: %v (install it: apt-get install -y wrk)\n", toolErr)
		return nil
	}
	return loadCases(ctx, out, a, o, kind, toolPath, work)
}

// findLoadTool resolves --tool to wrk or hey and its path. A name other than
// wrk or hey is a usage error; a tool that is not installed is a plain error.
func findLoadTool(tool string) (kind, path string, err error) {
	if tool == "" {
		for _, k := range []string{toolWrk, toolHey} {
			if p, err := exec.LookPath(k); err == nil {
				return k, p, nil
			}
		}
		return toolWrk, "", errors.New("neither wrk nor hey is installed")
	}
	kind = filepath.Base(tool)
	if kind != toolWrk && kind != toolHey {
		return "", "", usageErr("--tool must be wrk or hey (or a path to one), not %q", tool)
	}
	p, err := exec.LookPath(tool)
	if err != nil {
		return kind, "", fmt.Errorf("load tool %s not found", tool)
	}
	return kind, p, nil
}

// fillCases makes sure the database holds the demo district and at least
// o.cases cases, generating the missing ones in batches.
func fillCases(ctx context.Context, out io.Writer, a *app.App, o casesBenchOptions, days int) error {
	has, err := a.HasPlaces(ctx)
	if err != nil {
		return err
	}
	if !has {
		start := time.Now()
		if err := a.LoadDemo(ctx, demo.Options{Seed: o.seed, Scale: 1}); err != nil {
			return err
		}
		fmt.Fprintf(out, "demo district loaded in %.1f s\n", time.Since(start).Seconds())
	}
	have, _, _, err := countCases(ctx, a)
	if err != nil {
		return err
	}
	if have >= o.cases {
		fmt.Fprintf(out, "the database already holds %d cases\n", have)
		return nil
	}
	want := o.cases - have
	start := time.Now()
	next := 100_000
	_, err = cases.GenerateLoad(ctx, a.Cases, cases.LoadOptions{Seed: o.seed, Now: a.Config.Now(), Days: days, Cases: want,
		Progress: func(done int) {
			if done >= next || done == want {
				fmt.Fprintf(out, "  %d of %d cases written, %.0f cases/s\n", done, want, float64(done)/time.Since(start).Seconds())
				next = done + 100_000
			}
		}})
	if err != nil {
		return err
	}
	took := time.Since(start)
	// Fresh planner statistics, as PRAGMA optimize (SQLite) or autovacuum
	// (PostgreSQL) would have after a bulk load; autovacuum also vacuums a
	// table after many inserts, which marks its pages all-visible so that
	// counts and list pages are read from the indexes alone.
	stats := `ANALYZE`
	if a.DB.Dialect() == db.Postgres {
		stats = `VACUUM (ANALYZE)`
	}
	if _, err := a.DB.Write().ExecContext(ctx, stats); err != nil {
		return fmt.Errorf("%s: %w", strings.ToLower(stats), err)
	}
	fmt.Fprintf(out, "generated %d cases in %.1f s: %.0f cases/s (with their clocks, events and follow-ups)\n",
		want, took.Seconds(), float64(want)/took.Seconds())
	return nil
}

func countCases(ctx context.Context, a *app.App) (n int, lo, hi int64, err error) {
	err = a.DB.Read().QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MIN(id), 0), COALESCE(MAX(id), 0) FROM cases`).Scan(&n, &lo, &hi)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("count cases: %w", err)
	}
	return n, lo, hi, nil
}

// loadCases serves a on 127.0.0.1 and runs the three phases against it.
func loadCases(ctx context.Context, out io.Writer, a *app.App, o casesBenchOptions, kind, toolPath, work string) error {
	// A key as a partner system gets one: a department handler scoped to
	// the district, so every post is also checked against the region.
	var district int64
	if err := a.DB.Read().QueryRowContext(ctx, `SELECT id FROM regions WHERE level = $1 ORDER BY code LIMIT 1`, places.LevelDistrict).Scan(&district); err != nil {
		return fmt.Errorf("district: %w", err)
	}
	key, _, err := a.Auth.CreateAPIKey(operator(ctx), "bench cases "+time.Now().Format(time.RFC3339), auth.RoleDepartmentHandler, district)
	if err != nil {
		return err
	}
	points, err := casePoints(ctx, a, 200)
	if err != nil {
		return err
	}
	var codes []string
	for _, c := range a.Cases.Categories() {
		codes = append(codes, c.Code)
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	bound := make(chan string, 1)
	served := make(chan error, 1)
	go func() {
		served <- a.Serve(sctx, "127.0.0.1:0", func(addr string) { bound <- addr })
	}()
	var base string
	select {
	case addr := <-bound:
		base = "http://" + addr
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	}
	defer func() {
		stop()
		<-served
	}()
	fmt.Fprintf(out, "serving on %s; %s %s, %d connections (list: %d), %s per phase\n", base, kind, toolPath, o.concurrency, o.listConcurrency, o.duration)

	var phases []casesPhase
	before, _, _, err := countCases(ctx, a)
	if err != nil {
		return err
	}
	create := casesRequest{method: "POST", path: cases.Open311Base + "/requests.json"}
	create.lua = createLua(key, codes, points)
	p0 := points[0]
	create.body = url.Values{"api_key": {key}, "service_code": {codes[0]}, "lat": {strconv.FormatFloat(p0[1], 'f', 6, 64)},
		"long": {strconv.FormatFloat(p0[0], 'f', 6, 64)}, "description": {"bench"}, "phone": {"13800000000"}}.Encode()
	ph, err := runPhase(ctx, out, o, kind, toolPath, work, base, "create", o.concurrency, create)
	if err != nil {
		return err
	}
	after, lo, hi, err := countCases(ctx, a)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  cases in the database: %d before, %d after (%d created)\n", before, after, after-before)
	phases = append(phases, ph)

	ids, err := caseIDs(ctx, a, lo, hi, readSample)
	if err != nil {
		return err
	}
	read := casesRequest{method: "GET", path: fmt.Sprintf("%s/requests/%d.json", cases.Open311Base, ids[len(ids)/2])}
	read.lua = readLua(ids)
	if ph, err = runPhase(ctx, out, o, kind, toolPath, work, base, "read", o.concurrency, read); err != nil {
		return err
	}
	phases = append(phases, ph)

	list := casesRequest{method: "GET", path: cases.Open311Base + "/requests.json?service_code=" + codes[0] + "&status=open&page=1&page_size=50"}
	list.lua = listLua(codes)
	if ph, err = runPhase(ctx, out, o, kind, toolPath, work, base, "list", o.listConcurrency, list); err != nil {
		return err
	}
	phases = append(phases, ph)
	printCasesReport(out, phases)
	return nil
}

// readSample is how many existing case ids the read phase picks from: spread
// evenly over the table, so that reads touch its whole file as random ids
// would, without asking for the ids missing from the sequence (a PostgreSQL
// identity leaves gaps), which answer 404.
const readSample = 50_000

// caseIDs returns up to n ids of existing cases between lo and hi, spread
// evenly.
func caseIDs(ctx context.Context, a *app.App, lo, hi int64, n int) ([]int64, error) {
	step := max((hi-lo+1)/int64(n), 1)
	rows, err := a.DB.Read().QueryContext(ctx, `SELECT id FROM cases WHERE (id - $1) % $2 = 0 ORDER BY id LIMIT $3`, lo, step, n)
	if err != nil {
		return nil, fmt.Errorf("case ids: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("case ids: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("case ids: %w", err)
	}
	if len(ids) == 0 {
		return nil, errors.New("case ids: no case to read")
	}
	return ids, nil
}

// casePoints returns up to n places (lon, lat) of existing located cases,
// spread over the table.
func casePoints(ctx context.Context, a *app.App, n int) ([][2]float64, error) {
	_, lo, hi, err := countCases(ctx, a)
	if err != nil {
		return nil, err
	}
	step := max((hi-lo)/int64(n), 1)
	rows, err := a.DB.Read().QueryContext(ctx, `SELECT lon, lat FROM cases WHERE lon <> 0 AND (id - $1) % $2 = 0 LIMIT $3`, lo, step, n)
	if err != nil {
		return nil, fmt.Errorf("case places: %w", err)
	}
	defer rows.Close()
	var pts [][2]float64
	for rows.Next() {
		var p [2]float64
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			return nil, fmt.Errorf("case places: %w", err)
		}
		pts = append(pts, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("case places: %w", err)
	}
	if len(pts) == 0 {
		return nil, errors.New("case places: no located case to report near")
	}
	return pts, nil
}

// casesRequest is what one phase sends: a wrk script, or for hey one request.
type casesRequest struct {
	lua          string
	method, path string
	body         string
}

// wrkDone prints wrk's figures in one line that runPhase reads.
const wrkDone = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("GXRESULT requests=%d duration_us=%d errors=%d p50=%d p90=%d p99=%d max=%d\n",
    summary.requests, summary.duration, e.status + e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
`

// wrkSeed gives every wrk thread its own random sequence.
const wrkSeed = `
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
init = function(args)
  math.randomseed(os.time() * 1000 + (tid or 0))
end
`

func luaStrings(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return "{" + strings.Join(q, ", ") + "}"
}

func createLua(key string, codes []string, points [][2]float64) string {
	var b strings.Builder
	b.WriteString(wrkSeed)
	fmt.Fprintf(&b, "local key = %q\nlocal codes = %s\nlocal pts = {\n", url.QueryEscape(key), luaStrings(codes))
	for _, p := range points {
		fmt.Fprintf(&b, "  {%.6f, %.6f},\n", p[1], p[0])
	}
	b.WriteString(`}
local n = 0
local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
request = function()
  n = n + 1
  local p = pts[math.random(#pts)]
  local body = "api_key=" .. key .. "&service_code=" .. codes[math.random(#codes)] ..
    string.format("&lat=%.6f&long=%.6f", p[1] + (math.random() - 0.5) * 0.0004, p[2] + (math.random() - 0.5) * 0.0004) ..
    "&description=load+test+" .. n .. "&first_name=Bench&phone=1380000" .. string.format("%04d", n % 10000)
  return wrk.format("POST", "` + cases.Open311Base + `/requests.json", headers, body)
end
`)
	b.WriteString(wrkDone)
	return b.String()
}

func readLua(ids []int64) string {
	var b strings.Builder
	b.WriteString(wrkSeed)
	b.WriteString("local ids = {")
	for i, id := range ids {
		if i > 0 {
			b.WriteString(",")
		}
		if i%20 == 0 {
			b.WriteString("\n")
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	fmt.Fprintf(&b, `}
request = function()
  return wrk.format("GET", "%s/requests/" .. ids[math.random(#ids)] .. ".json")
end
`, cases.Open311Base)
	b.WriteString(wrkDone)
	return b.String()
}

func listLua(codes []string) string {
	return wrkSeed + fmt.Sprintf(`
local codes = %s
request = function()
  return wrk.format("GET", "%s/requests.json?service_code=" .. codes[math.random(#codes)] ..
    "&status=open&page=" .. math.random(1, 5) .. "&page_size=50")
end
`, luaStrings(codes), cases.Open311Base) + wrkDone
}

// runPhase runs the load tool for one phase, with a CPU profile of this
// process when asked.
func runPhase(ctx context.Context, out io.Writer, o casesBenchOptions, kind, toolPath, work, base, name string, conns int, rq casesRequest) (casesPhase, error) {
	var args []string
	switch kind {
	case toolWrk:
		script := filepath.Join(work, "cases-"+name+".lua")
		if err := os.WriteFile(script, []byte(rq.lua), 0o644); err != nil {
			return casesPhase{}, err
		}
		args = []string{"-t", strconv.Itoa(min(o.threads, conns)), "-c", strconv.Itoa(conns), "-d", fmtSeconds(o.duration),
			"--timeout", "10s", "-s", script, base}
	case toolHey:
		args = []string{"-z", fmtSeconds(o.duration), "-c", strconv.Itoa(conns), "-t", "10", "-m", rq.method}
		if rq.body != "" {
			args = append(args, "-T", "application/x-www-form-urlencoded", "-d", rq.body)
		}
		args = append(args, base+rq.path)
	}
	if o.profileDir != "" {
		if err := os.MkdirAll(o.profileDir, 0o755); err != nil {
			return casesPhase{}, err
		}
		f, err := os.Create(filepath.Join(o.profileDir, "cases-"+name+".pprof"))
		if err != nil {
			return casesPhase{}, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return casesPhase{}, fmt.Errorf("profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	// The tool stops itself after the duration; the context is a backstop.
	tctx, cancel := context.WithTimeout(ctx, o.duration+time.Minute)
	defer cancel()
	cmd := exec.CommandContext(tctx, toolPath, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	_ = os.WriteFile(filepath.Join(work, "cases-"+name+".out"), append(stdout.Bytes(), stderr.Bytes()...), 0o644)
	if err != nil {
		return casesPhase{}, fmt.Errorf("%s %s: %w: %s", kind, name, err, lastLine(stderr.Bytes(), nil))
	}
	var ph casesPhase
	if kind == toolWrk {
		ph, err = parseWrk(stdout.String())
	} else {
		ph, err = parseHey(stdout.String(), elapsed)
	}
	if err != nil {
		return casesPhase{}, fmt.Errorf("%s %s: %w", kind, name, err)
	}
	ph.name = name
	fmt.Fprintf(out, "  %-6s %8d requests in %5.1f s: %7.0f req/s, p50 %s p90 %s p99 %s max %s, %d errors\n",
		name, ph.requests, ph.elapsed.Seconds(), ph.rate(), fmtMs(ph.p50), fmtMs(ph.p90), fmtMs(ph.p99), fmtMs(ph.max), ph.errors)
	return ph, nil
}

func fmtSeconds(d time.Duration) string {
	return strconv.Itoa(int(d.Round(time.Second)/time.Second)) + "s"
}

func fmtMs(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 1, 64) + " ms" }

// parseWrk reads the GXRESULT line that the script's done function prints.
func parseWrk(s string) (casesPhase, error) {
	var ph casesPhase
	for line := range strings.Lines(s) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "GXRESULT ")
		if !ok {
			continue
		}
		v := map[string]int64{}
		for f := range strings.FieldsSeq(rest) {
			k, x, _ := strings.Cut(f, "=")
			n, err := strconv.ParseInt(x, 10, 64)
			if err != nil {
				return ph, fmt.Errorf("bad figure %q", f)
			}
			v[k] = n
		}
		us := func(k string) time.Duration { return time.Duration(v[k]) * time.Microsecond }
		return casesPhase{requests: v["requests"], errors: v["errors"], elapsed: us("duration_us"),
			p50: us("p50"), p90: us("p90"), p99: us("p99"), max: us("max")}, nil
	}
	return ph, errors.New("no result line in the output (is the script's done function run?)")
}

// parseHey reads hey's text summary: the status code counts, the latency
// distribution and the slowest request.
func parseHey(s string, elapsed time.Duration) (casesPhase, error) {
	ph := casesPhase{elapsed: elapsed}
	secs := func(v string) time.Duration {
		f, _ := strconv.ParseFloat(v, 64)
		return time.Duration(f * float64(time.Second))
	}
	inStatus, inErrors := false, false
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 0:
			continue
		case f[0] == "Total:" && len(f) >= 2:
			ph.elapsed = secs(f[1])
		case f[0] == "Slowest:" && len(f) >= 2:
			ph.max = secs(f[1])
		case len(f) >= 3 && f[1] == "in" && strings.HasSuffix(f[0], "%"):
			switch f[0] {
			case "50%":
				ph.p50 = secs(f[2])
			case "90%":
				ph.p90 = secs(f[2])
			case "99%":
				ph.p99 = secs(f[2])
			}
		case strings.HasPrefix(f[0], "Status"):
			inStatus, inErrors = true, false
		case strings.HasPrefix(f[0], "Error"):
			inStatus, inErrors = false, true
		case inStatus && strings.HasPrefix(f[0], "[") && len(f) >= 2:
			code, _ := strconv.Atoi(strings.Trim(f[0], "[]"))
			n, _ := strconv.ParseInt(f[1], 10, 64)
			ph.requests += n
			if code >= 400 {
				ph.errors += n
			}
		case inErrors && strings.HasPrefix(f[0], "["):
			// "[count]	message"
			n, _ := strconv.ParseInt(strings.Trim(f[0], "[]"), 10, 64)
			ph.requests += n
			ph.errors += n
		}
	}
	if ph.requests == 0 {
		return ph, errors.New("no status code distribution in the output")
	}
	return ph, nil
}

// printCasesReport prints the verdict of each target.
func printCasesReport(out io.Writer, phases []casesPhase) {
	by := map[string]casesPhase{}
	for _, p := range phases {
		by[p.name] = p
	}
	verdict := func(ok bool, p casesPhase) string {
		switch {
		case p.errors > 0:
			return "FAIL"
		case ok:
			return "PASS"
		}
		return "FAIL"
	}
	c, r, l := by["create"], by["read"], by["list"]
	fmt.Fprintf(out, "%s  create: %.0f req/s (target ≥ %.0f), %d errors\n", verdict(c.rate() >= targetCreatesPerSec, c), c.rate(), targetCreatesPerSec, c.errors)
	fmt.Fprintf(out, "%s  read:   %.0f req/s (target ≥ %.0f), %d errors\n", verdict(r.rate() >= targetReadsPerSec, r), r.rate(), targetReadsPerSec, r.errors)
	fmt.Fprintf(out, "%s  list:   p99 %s (target < %s), %.0f req/s, %d errors\n", verdict(l.p99 < targetListP99, l), fmtMs(l.p99), fmtMs(targetListP99), l.rate(), l.errors)
}
