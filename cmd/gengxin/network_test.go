package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gengxin/gengxin/internal/geo"
)

// netRun runs "gengxin network" with the arguments and returns its output and
// error.
func netRun(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, stdin: strings.NewReader(""), getenv: func(string) string { return "" }}
	err := cmdNetwork(context.Background(), e, args)
	return out.String(), errb.String(), err
}

// streetXML is a street along the meridian 0 with nodes every 0.001 degree of
// latitude from 0 to 0.004, and a motorway (not walkable) further east.
func streetXML() string {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\"?>\n<osm version=\"0.6\">\n")
	for i := range 5 {
		fmt.Fprintf(&b, "<node id=\"%d\" lat=\"%.3f\" lon=\"0\"/>\n", i+1, float64(i)*0.001)
	}
	b.WriteString("<node id=\"10\" lat=\"0\" lon=\"0.01\"/><node id=\"11\" lat=\"0.004\" lon=\"0.01\"/>\n")
	b.WriteString("<way id=\"1\"><nd ref=\"1\"/><nd ref=\"2\"/><nd ref=\"3\"/><nd ref=\"4\"/><nd ref=\"5\"/><tag k=\"highway\" v=\"residential\"/></way>\n")
	b.WriteString("<way id=\"2\"><nd ref=\"10\"/><nd ref=\"11\"/><tag k=\"highway\" v=\"motorway\"/></way>\n")
	b.WriteString("</osm>\n")
	return b.String()
}

func TestNetworkNearest(t *testing.T) {
	dir := t.TempDir()
	osm := writeFile(t, dir, "street.osm", streetXML())
	step := geo.Haversine(0, 0, 0, 0.001)
	origins := writeFile(t, dir, "origins.csv", "id,lon,lat\n"+
		"a,0,0\n"+
		"b,0.0001,0.0035\n"+ // about 11 m east of the street, half-way between nodes 4 and 5
		"far,0.01,0.002\n") // by the motorway only: off-network
	facilities := writeFile(t, dir, "facilities.csv", "\ufeffID,Lat,Lon,category\n"+
		"k1,0.001,0,kindergarten\n"+
		"s1,0.004,0,school\n"+
		"k2,0.003,0,kindergarten\n")

	out, summary, err := netRun(t, "nearest", "--osm", osm, "--from", origins, "--to", facilities)
	if err != nil {
		t.Fatalf("nearest: %v\n%s", err, summary)
	}
	want := fmt.Sprintf("id,facility_id,distance_m\na,k1,%.2f\nb,k2,%.2f\nfar,,\n", step, step/2)
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
	for _, s := range []string{"5 nodes", "8 directed edges", "1 off-network", "2 of 3 origins reached"} {
		if !strings.Contains(summary, s) {
			t.Errorf("summary does not say %q:\n%s", s, summary)
		}
	}

	// The two nearest of each category, within 2.5 steps.
	out, _, err = netRun(t, "nearest", "--osm", osm, "--from", origins, "--to", facilities, "--k", "2", "--by-category", "--max-distance", fmt.Sprint(2.5*step))
	if err != nil {
		t.Fatal(err)
	}
	want = "id,category,rank,facility_id,distance_m\n" +
		fmt.Sprintf("a,kindergarten,1,k1,%.2f\n", step) +
		"a,kindergarten,2,,\n" + // k2 is 3 steps away
		"a,school,1,,\n" +
		"a,school,2,,\n" +
		fmt.Sprintf("b,kindergarten,1,k2,%.2f\n", step/2) +
		fmt.Sprintf("b,kindergarten,2,k1,%.2f\n", 2.5*step) +
		fmt.Sprintf("b,school,1,s1,%.2f\n", step/2) +
		"b,school,2,,\n" +
		"far,kindergarten,1,,\nfar,kindergarten,2,,\nfar,school,1,,\nfar,school,2,,\n"
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}

	// The nearest of each category.
	out, _, err = netRun(t, "nearest", "--osm", osm, "--from", origins, "--to", facilities, "--by-category")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "id,category,facility_id,distance_m\n") || !strings.Contains(out, fmt.Sprintf("a,school,s1,%.2f\n", 4*step)) {
		t.Errorf("by category:\n%s", out)
	}
	// A tight snapping limit leaves b off-network.
	out, _, err = netRun(t, "nearest", "--osm", osm, "--from", origins, "--to", facilities, "--snap-max", "5")
	if err != nil || !strings.Contains(out, "\nb,,\n") {
		t.Errorf("--snap-max 5: %v\n%s", err, out)
	}
	if math.IsNaN(step) {
		t.Fatal("step")
	}
}

func TestNetworkNearestErrors(t *testing.T) {
	dir := t.TempDir()
	osm := writeFile(t, dir, "street.osm", streetXML())
	good := writeFile(t, dir, "good.csv", "id,lon,lat\na,0,0\n")
	for _, c := range []struct {
		name  string
		args  []string
		usage bool
		says  []string
	}{
		{"no subcommand", nil, true, []string{"nearest"}},
		{"unknown subcommand", []string{"farthest"}, true, []string{"farthest"}},
		{"no osm", []string{"nearest", "--from", good, "--to", good}, true, []string{"--osm"}},
		{"no from", []string{"nearest", "--osm", osm, "--to", good}, true, []string{"--from"}},
		{"bad k", []string{"nearest", "--osm", osm, "--from", good, "--to", good, "--k", "0"}, true, []string{"--k"}},
		{"bad snap", []string{"nearest", "--osm", osm, "--from", good, "--to", good, "--snap-max", "-1"}, true, []string{"--snap-max"}},
		{"bad rows", []string{"nearest", "--osm", osm, "--from", writeFile(t, dir, "bad.csv", "id,lon,lat\na,0,0\nb,east,0\n,0,0\nc,0,95\nd,0\n"), "--to", good}, false,
			[]string{"bad.csv line 3: lon \"east\" is not a number", "bad.csv line 4: empty id", "bad.csv line 5: latitude 95", "bad.csv line 6: lat \"\""}},
		{"no lat column", []string{"nearest", "--osm", osm, "--from", writeFile(t, dir, "nolat.csv", "id,lon\na,0\n"), "--to", good}, false, []string{"nolat.csv line 1: no lat column"}},
		{"empty csv", []string{"nearest", "--osm", osm, "--from", writeFile(t, dir, "empty.csv", ""), "--to", good}, false, []string{"empty.csv", "empty"}},
		{"no category", []string{"nearest", "--osm", osm, "--from", good, "--to", good, "--by-category"}, false, []string{"good.csv line 1: no category column"}},
		{"empty category", []string{"nearest", "--osm", osm, "--from", good, "--to", writeFile(t, dir, "cat.csv", "id,lon,lat,category\nf,0,0,\n"), "--by-category"}, false, []string{"cat.csv line 2: empty category"}},
		{"quoting", []string{"nearest", "--osm", osm, "--from", writeFile(t, dir, "quote.csv", "id,lon,lat\n\"a,0,0\n"), "--to", good}, false, []string{"quote.csv line 2"}},
		{"missing csv", []string{"nearest", "--osm", osm, "--from", dir + "/none.csv", "--to", good}, false, []string{"none.csv"}},
		{"bad osm", []string{"nearest", "--osm", writeFile(t, dir, "bad.osm.pbf", "not a pbf at all"), "--from", good, "--to", good}, false, []string{"bad.osm.pbf", "not an OpenStreetMap PBF"}},
		{"truncated osm", []string{"nearest", "--osm", writeFile(t, dir, "cut.osm", streetXML()[:150]), "--from", good, "--to", good}, false, []string{"cut.osm", "truncated"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := netRun(t, c.args...)
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, errUsage) != c.usage {
				t.Errorf("usage error %v, want %v: %v", errors.Is(err, errUsage), c.usage, err)
			}
			for _, s := range c.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error does not say %q:\n%v", s, err)
				}
			}
		})
	}
	// --help prints the usage and is not an error for the program.
	out, _, err := netRun(t, "nearest", "--help")
	if !strings.Contains(out, "Usage: gengxin network nearest") || err == nil {
		t.Errorf("--help: %v %q", err, out)
	}
}
