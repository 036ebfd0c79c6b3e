package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gengxin/gengxin/internal/geo"
	"github.com/gengxin/gengxin/internal/network"
)

const networkAbout = `
Walk-network tools over OpenStreetMap streets (walkable ways as OSMnx's "walk"
network; see the internal/network package documentation).

  nearest   for each origin, the nearest facility by walking (or the k nearest, or
            the nearest of each category) and its exact walking distance

Origins and facilities are CSV files with the header id,lon,lat (WGS-84 degrees;
facilities may add a category column). Each point is snapped to the nearest
walkable street segment; points farther than --snap-max are off-network. The
result is CSV on standard output: id,facility_id,distance_m, with a category
column for --by-category and a rank column when --k is over 1; facility_id and
distance_m are empty when nothing is reachable within --max-distance or the
origin is off-network. A summary goes to standard error.`

func cmdNetwork(ctx context.Context, e *env, args []string) error {
	subs := []string{"nearest"}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fs := newFlags(e, "network", "network nearest --osm FILE --from ORIGINS.csv --to FACILITIES.csv [flags]", networkAbout)
		if err := parse(fs, args); err != nil {
			return err
		}
		return usageErr("name a subcommand: %s", strings.Join(subs, ", "))
	}
	if !slices.Contains(subs, args[0]) {
		return usageErr("unknown subcommand %q: use %s", args[0], strings.Join(subs, ", "))
	}
	return networkNearest(ctx, e, args[1:])
}

func networkNearest(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "network nearest",
		"network nearest --osm FILE --from ORIGINS.csv --to FACILITIES.csv [--max-distance M] [--k K] [--by-category] [--snap-max M]",
		networkAbout)
	osmPath := fs.String("osm", "", "OpenStreetMap file, .osm.pbf or .osm (XML) (required)")
	from := fs.String("from", "", "origins CSV with the header id,lon,lat (required)")
	to := fs.String("to", "", "facilities CSV with the header id,lon,lat[,category] (required)")
	maxDist := fs.Float64("max-distance", 0, "walking distance limit in metres; 0 means no limit")
	k := fs.Int("k", 1, "how many nearest facilities to list per origin (and per category)")
	byCat := fs.Bool("by-category", false, "the nearest facility of each category (needs a category column)")
	snapMax := fs.Float64("snap-max", network.DefaultMaxSnap, "points farther than this many metres from every walkable street are off-network")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usageErr("unexpected argument %q", fs.Arg(0))
	case *osmPath == "":
		return usageErr("--osm is required")
	case *from == "":
		return usageErr("--from is required")
	case *to == "":
		return usageErr("--to is required")
	case *k < 1:
		return usageErr("--k must be at least 1")
	case !(*maxDist >= 0):
		return usageErr("--max-distance must be 0 (no limit) or a positive number of metres")
	case !(*snapMax > 0):
		return usageErr("--snap-max must be a positive number of metres")
	}
	origins, err := readPointsCSV(*from, false)
	if err != nil {
		return err
	}
	facilities, err := readPointsCSV(*to, *byCat)
	if err != nil {
		return err
	}

	t0 := time.Now()
	g, err := network.ReadOSMFile(ctx, *osmPath)
	if err != nil {
		return err
	}
	tRead := time.Since(t0)
	fmt.Fprintf(e.stderr, "network %s: %d nodes, %d directed edges, %.1f MiB, read in %s\n",
		filepath.Base(*osmPath), g.Nodes(), g.Edges(), float64(g.MemoryBytes())/(1<<20), tRead.Round(time.Millisecond))

	t0 = time.Now()
	so := g.SnapAll(points(origins), *snapMax)
	sf := g.SnapAll(points(facilities), *snapMax)
	tSnap := time.Since(t0)
	fmt.Fprintf(e.stderr, "origins: %d, %d off-network; facilities: %d, %d off-network (farther than %g m from a walkable street); snapped in %s\n",
		len(so), offNetwork(so), len(sf), offNetwork(sf), *snapMax, tSnap.Round(time.Microsecond))

	// Groups of facilities: all of them, or one group per category.
	type group struct {
		category string
		members  []int // indices into facilities
	}
	var groups []group
	if *byCat {
		idx := map[string]int{}
		for i, f := range facilities {
			gi, ok := idx[f.category]
			if !ok {
				gi = len(groups)
				idx[f.category] = gi
				groups = append(groups, group{category: f.category})
			}
			groups[gi].members = append(groups[gi].members, i)
		}
		slices.SortStableFunc(groups, func(a, b group) int { return strings.Compare(a.category, b.category) })
	} else {
		all := make([]int, len(facilities))
		for i := range all {
			all[i] = i
		}
		groups = []group{{members: all}}
	}

	t0 = time.Now()
	s := g.NewSearcher()
	// answers[g][o] lists up to k results for origin o in group g, by index
	// into facilities.
	answers := make([][][]network.Result, len(groups))
	for gi, gr := range groups {
		sub := make([]network.Snapped, len(gr.members))
		for j, m := range gr.members {
			sub[j] = sf[m]
		}
		var res [][]network.Result
		if *k == 1 {
			one := s.Nearest(so, sub, *maxDist)
			res = make([][]network.Result, len(one))
			for o, r := range one {
				if r.Facility >= 0 {
					res[o] = []network.Result{r}
				}
			}
		} else {
			res = s.KNearest(so, sub, *k, *maxDist)
		}
		for _, rs := range res {
			for j := range rs {
				rs[j].Facility = gr.members[rs[j].Facility]
			}
		}
		answers[gi] = res
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	tSearch := time.Since(t0)

	bw := bufio.NewWriterSize(e.stdout, 64<<10)
	w := csv.NewWriter(bw)
	header := []string{"id"}
	if *byCat {
		header = append(header, "category")
	}
	if *k > 1 {
		header = append(header, "rank")
	}
	header = append(header, "facility_id", "distance_m")
	if err := w.Write(header); err != nil {
		return err
	}
	reached := 0
	row := make([]string, 0, len(header))
	for o := range origins {
		found := false
		for gi, gr := range groups {
			rs := answers[gi][o]
			found = found || len(rs) > 0
			for rank := range *k {
				row = append(row[:0], origins[o].id)
				if *byCat {
					row = append(row, gr.category)
				}
				if *k > 1 {
					row = append(row, strconv.Itoa(rank+1))
				}
				if rank < len(rs) {
					row = append(row, facilities[rs[rank].Facility].id, strconv.FormatFloat(rs[rank].Distance, 'f', 2, 64))
				} else {
					row = append(row, "", "")
				}
				if err := w.Write(row); err != nil {
					return err
				}
			}
		}
		if found {
			reached++
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	limit := "without a distance limit"
	if *maxDist > 0 {
		limit = fmt.Sprintf("within %g m", *maxDist)
	}
	fmt.Fprintf(e.stderr, "searched in %s: %d of %d origins reached a facility %s\n",
		tSearch.Round(time.Microsecond), reached, len(origins), limit)
	return nil
}

// csvPoint is one row of an origins or facilities file.
type csvPoint struct {
	id       string
	p        network.Point
	category string
}

func points(ps []csvPoint) []network.Point {
	out := make([]network.Point, len(ps))
	for i, p := range ps {
		out[i] = p.p
	}
	return out
}

func offNetwork(ss []network.Snapped) int {
	n := 0
	for _, s := range ss {
		if !s.OK {
			n++
		}
	}
	return n
}

// maxCSVErrors is how many bad rows are listed before giving up on a file.
const maxCSVErrors = 10

// readPointsCSV reads a CSV file with the columns id, lon and lat (and category
// when needCategory), in any order, other columns ignored. Every bad row is
// reported with its line number, up to maxCSVErrors of them.
func readPointsCSV(path string, needCategory bool) ([]csvPoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	name := filepath.Base(path)
	r := csv.NewReader(bufio.NewReaderSize(f, 64<<10))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	r.ReuseRecord = true
	head, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: the file is empty; it needs the header id,lon,lat", name)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		switch h {
		case "lng", "longitude", "x":
			h = "lon"
		case "latitude", "y":
			h = "lat"
		}
		if _, dup := col[h]; !dup {
			col[h] = i
		}
	}
	need := []string{"id", "lon", "lat"}
	if needCategory {
		need = append(need, "category")
	}
	for _, c := range need {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("%s line 1: no %s column; the header must name the columns %s", name, c, strings.Join(need, ","))
		}
	}
	var out []csvPoint
	var problems []string
	bad := func(line int, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s line %d: %s", name, line, fmt.Sprintf(format, args...)))
	}
	for len(problems) < maxCSVErrors {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad(pe.StartLine, "%v", pe.Err)
				if !errors.Is(pe.Err, csv.ErrFieldCount) {
					break // the reader cannot go on after a quoting error
				}
				continue
			}
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		field := func(c string) string {
			if i := col[c]; i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		p := csvPoint{id: field("id"), category: field("category")}
		if p.id == "" {
			bad(line, "empty id")
			continue
		}
		lon, err1 := strconv.ParseFloat(field("lon"), 64)
		lat, err2 := strconv.ParseFloat(field("lat"), 64)
		switch {
		case err1 != nil:
			bad(line, "lon %q is not a number", field("lon"))
			continue
		case err2 != nil:
			bad(line, "lat %q is not a number", field("lat"))
			continue
		}
		if err := geo.ValidLonLat(lon, lat); err != nil {
			bad(line, "%v", err)
			continue
		}
		if needCategory && p.category == "" {
			bad(line, "empty category (--by-category needs one on every row)")
			continue
		}
		p.p = network.Point{Lon: lon, Lat: lat}
		out = append(out, p)
	}
	if len(problems) > 0 {
		more := ""
		if len(problems) == maxCSVErrors {
			more = "\n(stopped after " + strconv.Itoa(maxCSVErrors) + " bad rows)"
		}
		return nil, errors.New(strings.Join(problems, "\n") + more)
	}
	return out, nil
}
