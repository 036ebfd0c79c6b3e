package main

import (
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestBenchCasesFlags(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "flags.db")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no database", []string{"cases"}, "--db is required"},
		{"unknown tool", []string{"cases", "--db", db, "--tool", "curl"}, "--tool must be wrk or hey"},
		{"too short", []string{"cases", "--db", db, "--duration", "100ms"}, "--duration must be between"},
		{"too long", []string{"cases", "--db", db, "--duration", "1h"}, "--duration must be between"},
		{"no cases", []string{"cases", "--db", db, "--cases", "0"}, "must be positive"},
		{"no connections", []string{"cases", "--db", db, "--concurrency", "0"}, "must be positive"},
		{"stray argument", []string{"cases", "--db", db, "extra"}, `unexpected argument "extra"`},
		{"unknown benchmark", []string{"roads"}, "want network or cases"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := runBench(t, tc.args...)
			if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want a usage error with %q", err, tc.want)
			}
		})
	}
}

// TestBenchCasesTinyRun fills a fresh database with the demo district (2,000
// cases) and 100 more; without the load tool it says the load phases are skipped, and with
// wrk installed a one-second run prints a verdict for every target.
func TestBenchCasesTinyRun(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "tiny.db")
	out, _, err := runBench(t, "cases", "--db", db, "--cases", "2100", "--duration", "2s", "--tool", filepath.Join(t.TempDir(), "wrk"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"demo district loaded", "cases written", "SKIP  load phases: load tool", "apt-get install -y wrk"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "PASS") || strings.Contains(out, "FAIL") {
		t.Errorf("a skipped run gives a verdict:\n%s", out)
	}

	if _, err := exec.LookPath("wrk"); err != nil {
		t.Skip("wrk is not installed")
	}
	start := time.Now()
	out, _, err = runBench(t, "cases", "--db", db, "--cases", "2100", "--duration", "1s", "--concurrency", "2", "--tool", "wrk")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "already holds") {
		t.Errorf("a second run filled the database again:\n%s", out)
	}
	for _, target := range []string{"create", "read", "list"} {
		if !regexp.MustCompile(`(?m)^(PASS|FAIL)  ` + target + `:`).MatchString(out) {
			t.Errorf("no verdict for %s:\n%s", target, out)
		}
	}
	if m := regexp.MustCompile(`(\d+) created`).FindStringSubmatch(out); m == nil || m[1] == "0" {
		t.Errorf("the create phase created no case:\n%s", out)
	}
	if time.Since(start) > 2*time.Minute {
		t.Errorf("a 1 s run took %s: the phases do not stop", time.Since(start))
	}
}

func TestParseLoadToolOutput(t *testing.T) {
	wrk := "Running 1s test @ http://127.0.0.1:1\nRequests/sec: 10\nGXRESULT requests=1500 duration_us=3000000 errors=2 p50=1000 p90=2500 p99=9000 max=12000\n"
	ph, err := parseWrk(wrk)
	if err != nil {
		t.Fatal(err)
	}
	if ph.requests != 1500 || ph.errors != 2 || ph.rate() != 500 || ph.p99 != 9*time.Millisecond || ph.max != 12*time.Millisecond {
		t.Errorf("wrk figures %+v", ph)
	}
	if _, err := parseWrk("Running 1s test\n"); err == nil {
		t.Error("wrk output without a result line was accepted")
	}

	hey := `
Summary:
  Total:	2.0000 secs
  Slowest:	0.0400 secs
  Fastest:	0.0010 secs
  Requests/sec:	1000.0000

Latency distribution:
  10% in 0.0020 secs
  50% in 0.0050 secs
  90% in 0.0100 secs
  99% in 0.0300 secs

Status code distribution:
  [200]	1990 responses
  [404]	5 responses

Error distribution:
  [5]	Post "http://127.0.0.1:1/": dial tcp: connection refused
`
	ph, err = parseHey(hey, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if ph.requests != 2000 || ph.errors != 10 || ph.elapsed != 2*time.Second || ph.p50 != 5*time.Millisecond || ph.p99 != 30*time.Millisecond || ph.max != 40*time.Millisecond {
		t.Errorf("hey figures %+v", ph)
	}
	if _, err := parseHey("Summary:\n", time.Second); err == nil {
		t.Error("hey output without status codes was accepted")
	}
}
