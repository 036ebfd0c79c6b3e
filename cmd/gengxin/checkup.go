package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gengxin/gengxin/internal/checkup"
	"github.com/gengxin/gengxin/internal/places"
)

func cmdCheckup(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "checkup", "checkup --db DSN [--year 2026] [--scope REGION_CODE] [--network FILE] [--line-only]", `
Runs the city health check: computes every indicator of the catalogue for every
building, compound, block and district inside the scope, stores the values, and
updates the findings ledger (new findings, findings found again, findings fixed
since the last run).

Life circles are measured from compound gates to facilities both in a straight
line and walking over the walk network. --network stores an OpenStreetMap file
(.osm.pbf, .osm or .xml) as the walk network before the run; without it the newest
stored network is used, and when none is stored only straight-line distances are
computed.`)
	af := addAppFlags(fs, e, "")
	year := fs.Int("year", time.Now().Year(), "check year (pipe ages are counted to it)")
	scope := fs.String("scope", "", "code of the region to check (default: every region)")
	netFile := fs.String("network", "", "OpenStreetMap file to store as the walk network before the run")
	lineOnly := fs.Bool("line-only", false, "measure straight-line distances only, even when a walk network is stored")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	if *year < 1949 || *year > 2200 {
		return usageErr("--year %d is not a check year", *year)
	}
	var format string
	if *netFile != "" {
		f, err := checkup.FormatFromName(*netFile)
		if err != nil {
			return usageErr("%v", err)
		}
		format = f
	}
	a, err := openApp(ctx, e, af)
	if err != nil {
		return err
	}
	defer a.Close()
	now := a.Config.Now
	if now == nil {
		now = time.Now
	}
	svc, err := checkup.New(a.DB, a.Audit, now)
	if err != nil {
		return err
	}
	ctx = operator(ctx)
	req := checkup.RunRequest{Year: *year, LineOnly: *lineOnly}
	if *scope != "" {
		r, err := a.Places.RegionByCode(ctx, *scope)
		if errors.Is(err, places.ErrNotFound) {
			return fmt.Errorf("no region has the code %s", *scope)
		}
		if err != nil {
			return err
		}
		req.ScopeRegionID = r.ID
	}
	if *netFile != "" {
		f, err := os.Open(*netFile)
		if err != nil {
			return err
		}
		info, err := svc.SaveNetwork(ctx, filepath.Base(*netFile), format, f)
		f.Close()
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "walk network %d stored from %s: %d nodes, %d directed edges\n", info.ID, filepath.Base(*netFile), info.Nodes, info.Edges)
		req.NetworkID = info.ID
	}
	sum, err := svc.Run(ctx, req, nil)
	if err != nil {
		return err
	}
	r := sum.Run
	scopeName := r.ScopeName
	if scopeName == "" {
		scopeName = "all regions"
	}
	fmt.Fprintf(e.stdout, "checkup run %d for %d, %s (catalogue %s)\n", r.ID, r.Year, scopeName, r.CatalogueVersion)
	fmt.Fprintf(e.stdout, "indicators: %d computed, %d skipped (input not held); %d values; variants: %s\n",
		r.IndicatorsComputed, r.IndicatorsSkipped, r.Values, strings.Join(r.Variants, ", "))
	fmt.Fprintf(e.stdout, "findings: %d new, %d open, %d resolved\n", r.FindingsNew, r.FindingsOpen, r.FindingsResolved)
	for _, n := range r.Notes {
		if !strings.Contains(n, " skipped: needs ") {
			fmt.Fprintf(e.stdout, "note: %s\n", n)
		}
	}
	fmt.Fprintf(e.stdout, "time: %s\n", sum.Duration.Round(time.Millisecond))
	return nil
}
