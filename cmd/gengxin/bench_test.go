package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// tinyOSM is a 4×4 grid of footways about 110 m apart, plus a way with a
// reference to a missing node and a building that is not walkable.
func tinyOSM() string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<osm version=\"0.6\">\n")
	id := func(r, c int) int { return 100 + r*10 + c }
	for r := range 4 {
		for c := range 4 {
			fmt.Fprintf(&b, ` <node id="%d" lat="%.7f" lon="%.7f"/>`+"\n", id(r, c), 31.78+float64(r)*0.001, 119.95+float64(c)*0.00115)
		}
	}
	way := 1
	for r := range 4 {
		fmt.Fprintf(&b, ` <way id="%d">`, way)
		for c := range 4 {
			fmt.Fprintf(&b, `<nd ref="%d"/>`, id(r, c))
		}
		b.WriteString(`<tag k="highway" v="footway"/></way>` + "\n")
		way++
	}
	for c := range 4 {
		fmt.Fprintf(&b, ` <way id="%d">`, way)
		for r := range 4 {
			fmt.Fprintf(&b, `<nd ref="%d"/>`, id(r, c))
		}
		b.WriteString(`<tag k="highway" v="residential"/><tag k="oneway" v="yes"/></way>` + "\n")
		way++
	}
	b.WriteString(` <way id="90"><nd ref="100"/><nd ref="999"/><nd ref="111"/><tag k="highway" v="path"/></way>` + "\n")
	b.WriteString(` <way id="91"><nd ref="100"/><nd ref="101"/><nd ref="111"/><nd ref="100"/><tag k="building" v="yes"/></way>` + "\n")
	b.WriteString("</osm>\n")
	return b.String()
}

func runBench(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, stdin: strings.NewReader(""), getenv: func(string) string { return "" }}
	e.logger = newLogger(&errb, "error")
	err := cmdBench(context.Background(), e, args)
	return out.String(), errb.String(), err
}

func TestBenchNetworkWithoutPeers(t *testing.T) {
	dir := t.TempDir()
	osmPath := writeFile(t, dir, "tiny.osm", tinyOSM())
	keep := filepath.Join(dir, "work")
	out, errs, err := runBench(t, "network", "--osm", osmPath, "--peers", "none", "--origins", "5", "--facilities", "2",
		"--repeat", "1", "--keep", keep)
	if err != nil {
		t.Fatalf("bench network: %v\n%s\n%s", err, out, errs)
	}
	for _, p := range []string{"osmnx", "scipy", "pgrouting"} {
		if !regexp.MustCompile(`(?m)^peer ` + p + ` +skipped: not requested`).MatchString(out) {
			t.Errorf("peer %s is not reported as skipped:\n%s", p, out)
		}
	}
	if !strings.Contains(out, "== tiny.osm (xml, ") || !strings.Contains(out, "16 nodes, 48 directed edges, 1 references to missing nodes; 5 origins, 2 facilities") {
		t.Errorf("dataset heading missing or wrong:\n%s", out)
	}
	// The table: a header and one row per phase, each with five columns, the
	// peers' columns saying skipped.
	header := regexp.MustCompile(`(?m)^phase +gengxin +OSMnx\+NetworkX +scipy +pgRouting\s*$`)
	if !header.MatchString(out) {
		t.Fatalf("no table header:\n%s", out)
	}
	for _, row := range []string{"decode only (floor)", "read + build graph", "snap 7 points", "one search, no cut-off", "one search, 1000 m cut-off", "end to end", "memory"} {
		re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(row) + `  +(\S.*)$`)
		m := re.FindStringSubmatch(out)
		if m == nil {
			t.Errorf("no table row %q:\n%s", row, out)
			continue
		}
		if !regexp.MustCompile(`^\d[\d.]* (s|ms|µs|MiB)`).MatchString(m[1]) {
			t.Errorf("row %q: gengxin column %q is not a measurement", row, m[1])
		}
		if row != "decode only (floor)" && row != "end to end" && strings.Count(m[1], "skipped") < 2 {
			t.Errorf("row %q does not show the peers as skipped: %q", row, m[1])
		}
	}
	if !strings.Contains(out, "agreement (within 0.5 m, unreachable counted the same):\n  no peer ran") {
		t.Errorf("agreement section missing:\n%s", out)
	}
	if !strings.Contains(out, "gengxin reached 5 origins without cut-off") {
		t.Errorf("the grid is connected, every origin should be reached:\n%s", out)
	}
	checks := regexp.MustCompile(`(?m)^(PASS|FAIL|SKIP|INFO) tiny\.osm: (.*)$`).FindAllStringSubmatch(out, -1)
	var got []string
	for _, c := range checks {
		got = append(got, c[1]+" "+strings.SplitN(c[2], " (", 2)[0])
	}
	want := []string{
		"SKIP end to end at least 100× faster than OSMnx + NetworkX",
		"end to end at most 2× the decode-only floor",
		"SKIP 1000 m search no slower than scipy dijkstra(min_only=True)",
		"PASS at most 40 bytes per directed edge",
	}
	if len(got) != len(want) {
		t.Fatalf("checks = %q, want %d lines", got, len(want))
	}
	for i, w := range want {
		if !strings.HasSuffix(got[i], w) {
			t.Errorf("check %d = %q, want %q", i, got[i], w)
		}
	}
	// The points and our answers are written for the peers and for inspection.
	for _, f := range []string{"origins.csv", "facilities.csv", "gengxin.csv", "gengxin_cut.csv"} {
		raw, err := os.ReadFile(filepath.Join(keep, "set1", f))
		if err != nil {
			t.Fatal(err)
		}
		b := string(raw)
		if lines := strings.Count(b, "\n"); (f == "facilities.csv" && lines != 3) || (f != "facilities.csv" && lines != 6) {
			t.Errorf("%s has %d lines:\n%s", f, lines, b)
		}
	}
}

// A peer that was asked for but cannot run is reported, never dropped silently.
func TestBenchNetworkMissingPeer(t *testing.T) {
	dir := t.TempDir()
	osmPath := writeFile(t, dir, "tiny.osm", tinyOSM())
	out, errs, err := runBench(t, "network", "--osm", osmPath, "--peers", "osmnx,pgrouting", "--scripts", filepath.Join(dir, "nowhere"),
		"--origins", "3", "--facilities", "1", "--repeat", "1")
	if err != nil {
		t.Fatalf("bench network: %v\n%s", err, errs)
	}
	for _, p := range []string{"osmnx", "pgrouting"} {
		if !regexp.MustCompile(`(?m)^peer ` + p + ` +skipped: .*nowhere.* not found`).MatchString(out) {
			t.Errorf("peer %s not reported as missing:\n%s", p, out)
		}
		if !strings.Contains(errs, "peer "+p+" requested but not available") {
			t.Errorf("no warning for the requested peer %s: %q", p, errs)
		}
	}
	if !regexp.MustCompile(`(?m)^peer scipy +skipped: not requested`).MatchString(out) {
		t.Errorf("scipy not reported as not requested:\n%s", out)
	}
}

func TestBenchUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"roads"},
		{"network", "--peers", "graphhopper", "--osm", "x.osm"},
		{"network", "--demo-scale", "0"},
		{"network", "--origins", "0", "--osm", "x.osm"},
		{"network", "--osm", "x.osm", "extra"},
	} {
		_, _, err := runBench(t, args...)
		if !errors.Is(err, errUsage) {
			t.Errorf("bench %q: err = %v, want a usage error", args, err)
		}
	}
	if _, _, err := runBench(t, "network", "--osm", "/nonexistent/x.osm", "--peers", "none"); err == nil || errors.Is(err, errUsage) {
		t.Errorf("missing file: err = %v, want a plain error", err)
	}
}
