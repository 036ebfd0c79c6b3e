package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gengxin/gengxin/internal/app"
	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/places"
)

// checkupCmd runs the checkup command directly and returns its error and output.
func checkupCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, stdin: strings.NewReader(""), getenv: func(string) string { return "" }}
	e.logger = newLogger(&errb, "error")
	err := cmdCheckup(context.Background(), e, args)
	return out.String(), err
}

const checkupOSM = `<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
  <node id="1" lat="31.0000000" lon="120.0000000"/>
  <node id="2" lat="31.0000000" lon="120.0050000"/>
  <node id="3" lat="31.0000000" lon="120.0100000"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/></way>
</osm>`

func TestCheckupCommand(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "c.db")
	key := "--key-file=" + filepath.Join(dir, "pii.key")
	ctx := audit.WithActor(context.Background(), audit.System("test"))
	a, err := app.Open(ctx, app.Config{DSN: dsn, KeyFile: filepath.Join(dir, "pii.key")}, newLogger(&bytes.Buffer{}, "error"))
	if err != nil {
		t.Fatal(err)
	}
	ds := &places.Dataset{
		Regions: []places.Region{{ID: 1, Code: "320499000000", Level: places.LevelDistrict, Name: "测试区", Path: "/1/"},
			{ID: 2, ParentID: 1, Code: "320499001001", Level: places.LevelCommunity, Name: "甲社区", Path: "/1/2/"}},
		Compounds: []places.Compound{{ID: 1, Code: "C1", RegionID: 2, RegionPath: "/1/2/", Name: "老街小区", BuiltYear: 1985,
			Gates: []places.Point{{Lon: 120.002, Lat: 31.0002}}, Lon: 120.002, Lat: 31.0005}},
		Buildings:  []places.Building{{ID: 1, Code: "B1", CompoundID: 1, Name: "1幢", Storeys: 6, GasPipeYear: 1990, Lon: 120.002, Lat: 31.0005}},
		Facilities: []places.Facility{{ID: 1, Code: "F1", Category: "kindergarten", Name: "远处幼儿园", Lon: 120.009, Lat: 31.0001}},
	}
	if err := a.Places.Load(ctx, ds, audit.Change{Action: "test.load", ObjectType: "dataset", ObjectID: "1"}); err != nil {
		t.Fatal(err)
	}
	a.Close()

	out, err := checkupCmd(t, "--db", dsn, key, "--year", "2026")
	if err != nil || !strings.Contains(out, "checkup run 1 for 2026, all regions") || !strings.Contains(out, "no walk network") ||
		!strings.Contains(out, "variants: line") {
		t.Fatalf("first run = %v\n%s", err, out)
	}
	osm := writeFile(t, dir, "streets.osm", checkupOSM)
	out, err = checkupCmd(t, "--db", dsn, key, "--year", "2026", "--scope", "320499001001", "--network", osm)
	if err != nil || !strings.Contains(out, "walk network 1 stored from streets.osm: 3 nodes, 4 directed edges") ||
		!strings.Contains(out, "甲社区") || !strings.Contains(out, "variants: walk, line") || !strings.Contains(out, "findings: ") {
		t.Fatalf("second run = %v\n%s", err, out)
	}
	// The walking kindergarten finding is new in the second run; the others were
	// found again.
	if !strings.Contains(out, "open") || strings.Contains(out, "findings: 0 new") {
		t.Errorf("second run findings:\n%s", out)
	}
	if _, err := checkupCmd(t, "--db", dsn, key, "--scope", "999"); err == nil || !strings.Contains(err.Error(), "no region has the code 999") {
		t.Errorf("unknown scope: %v", err)
	}
	if _, err := checkupCmd(t, "--db", dsn, key, "--network", "x.shp"); !errors.Is(err, errUsage) {
		t.Errorf("bad network name: %v", err)
	}
	if _, err := checkupCmd(t, "--db", dsn, key, "--year", "20"); !errors.Is(err, errUsage) {
		t.Errorf("bad year: %v", err)
	}
	if _, err := checkupCmd(t, key); !errors.Is(err, errUsage) {
		t.Errorf("no database: %v", err)
	}
}
