package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/paulmach/osm"
	"github.com/paulmach/osm/osmpbf"
	"github.com/paulmach/osm/osmxml"

	"github.com/gengxin/gengxin/internal/demo"
	"github.com/gengxin/gengxin/internal/geo"
	"github.com/gengxin/gengxin/internal/network"
)

// agreeTolerance is how far, in metres, a peer's distance may be from ours.
const agreeTolerance = 0.5

// Targets of the walk-network engine, checked by "gengxin bench network".
const (
	targetVsOSMnx       = 100.0 // end to end at least this many times faster than OSMnx + NetworkX
	targetVsFloor       = 2.0   // end to end at most this many times the decode-only floor
	targetBytesPerEdge  = 40.0  // graph memory per directed edge
	minTimedRun         = 200 * time.Millisecond
	maxRunsOfShortPhase = 2000
)

// The peers "gengxin bench network" knows.
const (
	peerOSMnx     = "osmnx"
	peerScipy     = "scipy"
	peerPgRouting = "pgrouting"
)

var allPeers = []string{peerOSMnx, peerScipy, peerPgRouting}

func cmdBench(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fs := newFlags(e, "bench", "bench network|cases [flags]", `
Measures gengxin against other engines on the same data in the same run.

  network   the walk network (read, snap, nearest facility) against OSMnx +
            NetworkX, scipy's csgraph and pgRouting, after checking that every
            distance agrees
  cases     the case API under load (creates, reads, lists) with wrk or hey
            against a database filled with a million cases

Run 'gengxin bench network --help' or 'gengxin bench cases --help' for the flags.`)
		if err := parse(fs, args); err != nil {
			return err
		}
		return usageErr("name what to measure: network or cases")
	}
	switch args[0] {
	case "network":
		return benchNetwork(ctx, e, args[1:])
	case "cases":
		return benchCases(ctx, e, args[1:])
	}
	return usageErr("unknown benchmark %q: want network or cases", args[0])
}

// listFlag is a flag that can be repeated and takes comma-separated lists.
type listFlag struct {
	values []string
	set    bool
}

func (l *listFlag) String() string { return strings.Join(l.values, ",") }

func (l *listFlag) Set(s string) error {
	if !l.set {
		l.values, l.set = nil, true
	}
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			l.values = append(l.values, v)
		}
	}
	return nil
}

// benchOptions are the settings of one "gengxin bench network" run.
type benchOptions struct {
	origins, facilities int
	seed                uint64
	maxDist             float64
	repeat, peerRepeat  int
	peers               map[string]bool // requested peers
	peersAuto           bool            // peers not named: use what is installed
	scripts             string
	python              string
	pgHost, pgUser      string
	pgPort              int
	workDir             string
}

func benchNetwork(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "bench network", "bench network [--osm FILE]... [--demo-scale N] [flags]", `
Measures the walk-network engine on OpenStreetMap files and the demo street
network, and runs the peers (OSMnx + NetworkX, scipy's csgraph, pgRouting) on
the same files with the same origins and facilities: random nodes of the walk
graph picked with --seed. It first checks that every peer's distance agrees with
ours within 0.5 m (unreachable origins counted the same); times of a peer that
disagrees are not compared, its differences are listed instead. Then it prints
the time of each phase, the ratios and the memory, and a PASS or FAIL line per
target. Missing peers are reported as skipped. Install the peers with
bench/peers/setup.sh.`)
	var osmFiles, demoScales, peers listFlag
	fs.Var(&osmFiles, "osm", "OpenStreetMap file `FILE` (.osm.pbf or .osm); repeatable or comma-separated (default: heidelberg and monaco from ../shared/data/osm when present)")
	fs.Var(&demoScales, "demo-scale", "also measure the demo street network at scale `N`; repeatable or comma-separated")
	fs.Var(&peers, "peers", "peers to run: osmnx, scipy, pgrouting or none (default: every one installed)")
	o := benchOptions{}
	fs.IntVar(&o.origins, "origins", 1000, "number of origins")
	fs.IntVar(&o.facilities, "facilities", 50, "number of facilities")
	seed := fs.Uint64("seed", 1, "seed of the random pick of origins and facilities")
	fs.Float64Var(&o.maxDist, "max-distance", 1000, "cut-off of the bounded searches, metres")
	fs.IntVar(&o.repeat, "repeat", 5, "runs of each of our phases (the best is reported)")
	fs.IntVar(&o.peerRepeat, "peer-repeat", 3, "runs of each scipy and pgRouting search (the best is reported)")
	fs.StringVar(&o.scripts, "scripts", filepath.Join("bench", "peers"), "folder of the peer scripts")
	fs.StringVar(&o.python, "python", "/usr/bin/python3", "Python that has OSMnx")
	fs.StringVar(&o.pgHost, "pg-host", "127.0.0.1", "PostgreSQL host for pgRouting")
	fs.IntVar(&o.pgPort, "pg-port", 5432, "PostgreSQL port")
	fs.StringVar(&o.pgUser, "pg-user", "postgres", "PostgreSQL user allowed to create a scratch database")
	keep := fs.String("keep", "", "keep the CSVs and peer outputs in `DIR` (default: a temporary folder, removed)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	o.seed = *seed
	if o.origins < 1 || o.facilities < 1 || o.repeat < 1 || o.peerRepeat < 1 || !(o.maxDist > 0) {
		return usageErr("--origins, --facilities, --repeat, --peer-repeat and --max-distance must be positive")
	}
	o.peers = map[string]bool{}
	o.peersAuto = !peers.set
	if o.peersAuto {
		for _, p := range allPeers {
			o.peers[p] = true
		}
	}
	for _, p := range peers.values {
		switch p {
		case "none":
		case peerOSMnx, peerScipy, peerPgRouting:
			o.peers[p] = true
		default:
			return usageErr("unknown peer %q: want osmnx, scipy, pgrouting or none", p)
		}
	}
	var scales []int
	for _, s := range demoScales.values {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > demo.MaxScale {
			return usageErr("--demo-scale %q: want a whole number from 1 to %d", s, demo.MaxScale)
		}
		scales = append(scales, n)
	}
	files := osmFiles.values
	if !osmFiles.set {
		for _, name := range []string{"heidelberg.osm.pbf", "monaco.osm.pbf"} {
			p := filepath.Join("..", "shared", "data", "osm", name)
			if _, err := os.Stat(p); err == nil {
				files = append(files, p)
			}
		}
	}
	if len(files) == 0 && len(scales) == 0 {
		return usageErr("nothing to measure: give --osm FILE or --demo-scale N (../shared/data/osm has no default files here)")
	}

	if *keep != "" {
		if err := os.MkdirAll(*keep, 0o755); err != nil {
			return fmt.Errorf("bench network: %w", err)
		}
		o.workDir = *keep
	} else {
		dir, err := os.MkdirTemp("", "gengxin-bench-")
		if err != nil {
			return fmt.Errorf("bench network: %w", err)
		}
		defer os.RemoveAll(dir)
		o.workDir = dir
	}

	w := e.stdout
	avail := detectPeers(ctx, &o)
	fmt.Fprintf(w, "gengxin bench network — %s, %d CPU, %s/%s\n", version, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(w, "origins %d, facilities %d, seed %d, cut-off %g m, best of %d runs (peers' searches: best of %d)\n",
		o.origins, o.facilities, o.seed, o.maxDist, o.repeat, o.peerRepeat)
	for _, p := range allPeers {
		switch {
		case avail[p] == "" && o.peers[p]:
			fmt.Fprintf(w, "peer %-9s  run\n", p)
		case !o.peers[p]:
			fmt.Fprintf(w, "peer %-9s  skipped: not requested (--peers)\n", p)
		default:
			fmt.Fprintf(w, "peer %-9s  skipped: %s\n", p, avail[p])
		}
	}
	if !o.peersAuto {
		for _, p := range allPeers {
			if o.peers[p] && avail[p] != "" {
				fmt.Fprintf(e.stderr, "gengxin bench network: peer %s requested but not available: %s\n", p, avail[p])
			}
		}
	}
	for p, why := range avail {
		if why != "" {
			delete(o.peers, p)
		}
	}

	type dataset struct{ name, path string }
	var sets []dataset
	for _, f := range files {
		sets = append(sets, dataset{filepath.Base(f), f})
	}
	for _, n := range scales {
		p := filepath.Join(o.workDir, fmt.Sprintf("demo-scale-%d.osm", n))
		if err := writeDemoNetwork(p, n); err != nil {
			return err
		}
		sets = append(sets, dataset{fmt.Sprintf("demo scale %d", n), p})
	}
	failed := 0
	for i, ds := range sets {
		sub := filepath.Join(o.workDir, fmt.Sprintf("set%d", i+1))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return fmt.Errorf("bench network: %w", err)
		}
		r, err := benchDataset(ctx, e, &o, ds.name, ds.path, sub)
		if err != nil {
			return fmt.Errorf("bench network: %s: %w", ds.name, err)
		}
		failed += r.printReport(w, &o)
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		fmt.Fprintf(w, "\ngengxin process peak RSS over the whole run: %s (it also generated the demo networks and held the peers' outputs)\n", mib(ru.Maxrss*1024))
	}
	if failed > 0 {
		fmt.Fprintf(w, "%d check(s) failed\n", failed)
	}
	return nil
}

// detectPeers tells, per peer, why it cannot run ("" when it can).
func detectPeers(ctx context.Context, o *benchOptions) map[string]string {
	why := map[string]string{}
	script := func(name string) string {
		p := filepath.Join(o.scripts, name)
		if _, err := os.Stat(p); err != nil {
			return fmt.Sprintf("%s not found (run from the repository root or pass --scripts)", p)
		}
		return ""
	}
	if o.peers[peerOSMnx] || o.peers[peerScipy] {
		reason := script("osmnx_nearest.py")
		if reason == "" {
			out, err := exec.CommandContext(ctx, o.python, "-c", "import osmnx, networkx, scipy").CombinedOutput()
			if err != nil {
				reason = fmt.Sprintf("%s cannot import osmnx, networkx and scipy (bench/peers/setup.sh installs them): %s", o.python, lastLine(out, err))
			}
		}
		why[peerOSMnx], why[peerScipy] = reason, reason
	}
	if o.peers[peerPgRouting] {
		reason := script("pgrouting_nearest.sh")
		if reason == "" {
			out, err := exec.CommandContext(ctx, "psql", "-X", "-At", "-h", o.pgHost, "-p", strconv.Itoa(o.pgPort), "-U", o.pgUser, "-d", "postgres",
				"-c", "SELECT count(*) FROM pg_available_extensions WHERE name = 'pgrouting'").CombinedOutput()
			switch {
			case err != nil:
				reason = "cannot reach PostgreSQL with psql: " + lastLine(out, err)
			case strings.TrimSpace(string(out)) != "1":
				reason = "the PostgreSQL server has no pgrouting extension (bench/peers/setup.sh installs postgresql-15-pgrouting)"
			}
		}
		why[peerPgRouting] = reason
	}
	return why
}

func lastLine(out []byte, err error) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if l := strings.TrimSpace(lines[len(lines)-1]); l != "" {
		return l
	}
	return err.Error()
}

// writeDemoNetwork writes the demo street network at a scale as OSM XML.
func writeDemoNetwork(path string, scale int) error {
	_, net, err := demo.Generate(demo.Options{Scale: scale})
	if err != nil {
		return fmt.Errorf("demo network at scale %d: %w", scale, err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("demo network: %w", err)
	}
	if err := net.WriteOSM(f); err != nil {
		f.Close()
		return fmt.Errorf("demo network: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("demo network: %w", err)
	}
	return nil
}

// benchPoint is one origin or facility: a graph node at a position no other node
// shares, so that the point and the node mean the same place to every engine.
type benchPoint struct {
	id int64
	p  network.Point
}

// outcome is one engine's answer for one origin.
type outcome struct {
	facility string
	dist     float64 // NaN when nothing is reachable
}

// agreement is the comparison of one peer's answers with ours.
type agreement struct {
	peer, variant string
	exact         bool // the peer claims exact distances (all but pgRouting's equicost)
	cut           bool
	reached       int // origins the peer reached
	oursReached   int
	maxDiff       float64
	differ        []string // descriptions of disagreements
	ndiffer       int
	err           string
}

func (a *agreement) ok() bool { return a.err == "" && a.ndiffer == 0 }

// datasetReport holds what was measured on one file.
type datasetReport struct {
	name, path, format string
	size               int64
	nodes, edges       int
	graphBytes         int
	bytesPerEdge       float64
	heapAfterBuild     uint64
	allocPerRead       uint64
	missingRefs        int
	nOrigins, nFac     int

	decode, read, snap, search, searchCut, end time.Duration
	reached, reachedCut                        int

	convert   time.Duration // PBF to XML with osmium, for OSMnx
	osmnx     map[string]any
	osmnxErr  string
	osmnxWall time.Duration
	pgr       map[string]any
	pgrErr    string
	edgesFile time.Duration

	agree []*agreement
	ran   map[string]bool
}

func benchDataset(ctx context.Context, e *env, o *benchOptions, name, path, dir string) (*datasetReport, error) {
	r := &datasetReport{name: name, path: path, format: network.FormatOf(path), ran: map[string]bool{}}
	if r.format == "" {
		r.format = "pbf"
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	r.size = st.Size()

	// Our engine, phase by phase.
	r.decode, err = bestOf(o.repeat, 0, func() error { return decodeOnly(ctx, path, r.format) })
	if err != nil {
		return nil, err
	}
	var g *network.Graph
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	r.read, err = bestOf(o.repeat, 0, func() error {
		var err error
		g, err = network.ReadOSMFile(ctx, path)
		return err
	})
	if err != nil {
		return nil, err
	}
	runtime.GC()
	runtime.ReadMemStats(&ms1)
	r.heapAfterBuild = ms1.HeapAlloc - min(ms1.HeapAlloc, ms0.HeapAlloc)
	r.allocPerRead = (ms1.TotalAlloc - ms0.TotalAlloc) / uint64(o.repeat)
	r.nodes, r.edges, r.graphBytes, r.bytesPerEdge = g.Nodes(), g.Edges(), g.MemoryBytes(), g.BytesPerEdge()
	r.missingRefs = g.Stats().MissingRefs

	origins, facilities := pickPoints(g, o)
	r.nOrigins, r.nFac = len(origins), len(facilities)
	oPath, fPath := filepath.Join(dir, "origins.csv"), filepath.Join(dir, "facilities.csv")
	if err := writePoints(oPath, origins); err != nil {
		return nil, err
	}
	if err := writePoints(fPath, facilities); err != nil {
		return nil, err
	}
	op, fp := pointsOf(origins), pointsOf(facilities)
	var so, sf []network.Snapped
	r.snap, _ = bestOf(o.repeat, minTimedRun, func() error {
		so, sf = g.SnapAll(op, 0), g.SnapAll(fp, 0)
		return nil
	})
	s := g.NewSearcher()
	var res, resCut []network.Result
	r.search, _ = bestOf(o.repeat, minTimedRun, func() error { res = s.Nearest(so, sf, 0); return nil })
	r.searchCut, _ = bestOf(o.repeat, minTimedRun, func() error { resCut = s.Nearest(so, sf, o.maxDist); return nil })
	r.end, err = bestOf(o.repeat, 0, func() error {
		g2, err := network.ReadOSMFile(ctx, path)
		if err != nil {
			return err
		}
		g2.Nearest(g2.SnapAll(op, 0), g2.SnapAll(fp, 0), 0)
		return nil
	})
	if err != nil {
		return nil, err
	}
	ours, oursCut := outcomes(res, facilities), outcomes(resCut, facilities)
	r.reached, r.reachedCut = countReached(ours), countReached(oursCut)
	if err := writeOutcomes(filepath.Join(dir, "gengxin.csv"), origins, ours); err != nil {
		return nil, err
	}
	if err := writeOutcomes(filepath.Join(dir, "gengxin_cut.csv"), origins, oursCut); err != nil {
		return nil, err
	}

	// The peers, on the same files and points.
	if o.peers[peerOSMnx] || o.peers[peerScipy] {
		r.runOSMnx(ctx, o, dir, oPath, fPath)
		if r.osmnxErr == "" {
			outs, _ := r.osmnx["outputs"].(map[string]any)
			for _, c := range []struct {
				peer, key, variant string
				cut                bool
			}{
				{peerOSMnx, "osmnx", "multi_source_dijkstra", false},
				{peerOSMnx, "osmnx_cut", "multi_source_dijkstra, cutoff", true},
				{peerScipy, "scipy", "dijkstra min_only", false},
				{peerScipy, "scipy_cut", "dijkstra min_only, limit", true},
			} {
				if !o.peers[c.peer] {
					continue
				}
				p, _ := outs[c.key].(string)
				r.ran[c.peer] = true
				r.agree = append(r.agree, compareOutcomes(c.peer, c.variant, true, c.cut, p, origins, pick(c.cut, oursCut, ours), o.maxDist))
			}
		}
	}
	if o.peers[peerPgRouting] {
		r.runPgRouting(ctx, o, g, dir, oPath, fPath)
		if r.pgrErr == "" {
			outs, _ := r.pgr["outputs"].(map[string]any)
			r.ran[peerPgRouting] = true
			for _, c := range []struct {
				key, variant string
				exact, cut   bool
			}{
				{"pgr_cost", "pgr_dijkstraCost", true, false},
				{"pgr_dd", "pgr_drivingDistance", true, true},
				{"pgr_dd_equicost", "pgr_drivingDistance equicost", false, true},
			} {
				p, _ := outs[c.key].(string)
				r.agree = append(r.agree, compareOutcomes(peerPgRouting, c.variant, c.exact, c.cut, p, origins, pick(c.cut, oursCut, ours), o.maxDist))
			}
		}
	}
	return r, nil
}

func pick[T any](c bool, a, b T) T {
	if c {
		return a
	}
	return b
}

// bestOf runs f at least n times, and for short phases until minTotal has
// passed, and returns the best time.
func bestOf(n int, minTotal time.Duration, f func() error) (time.Duration, error) {
	best := time.Duration(math.MaxInt64)
	var total time.Duration
	for i := 0; i < n || (total < minTotal && i < maxRunsOfShortPhase); i++ {
		t := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		d := time.Since(t)
		total += d
		best = min(best, d)
	}
	return best, nil
}

// decodeOnly decodes every node and way of a file and keeps nothing: the floor
// under any reader of that file. Relations are skipped, as the graph reader
// skips them.
func decodeOnly(ctx context.Context, path, format string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var sc osm.Scanner
	if format == "xml" {
		sc = osmxml.New(ctx, bufio.NewReaderSize(f, 256<<10))
	} else {
		ps := osmpbf.New(ctx, f, max(1, runtime.GOMAXPROCS(0)))
		ps.SkipRelations = true
		sc = ps
	}
	defer sc.Close()
	n := 0
	for sc.Scan() {
		n++
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	if n == 0 {
		return fmt.Errorf("decode %s: no objects", path)
	}
	return nil
}

// pickPoints picks the origins and the facilities: random graph nodes (seed and
// seed+1), leaving out nodes whose position another node shares.
func pickPoints(g *network.Graph, o *benchOptions) (origins, facilities []benchPoint) {
	count := make(map[network.Point]int, g.Nodes())
	for i := range g.Nodes() {
		count[g.NodePoint(i)]++
	}
	take := func(seed uint64, n int) []benchPoint {
		var out []benchPoint
		for want := n + n/4 + 16; ; want *= 2 {
			out = out[:0]
			sample := g.SampleNodes(seed, want)
			for _, s := range sample {
				if count[s.Point] == 1 {
					out = append(out, benchPoint{id: s.ID, p: s.Point})
					if len(out) == n {
						return out
					}
				}
			}
			if len(sample) < want {
				return out // every node looked at
			}
		}
	}
	return take(o.seed, o.origins), take(o.seed+1, o.facilities)
}

func pointsOf(bs []benchPoint) []network.Point {
	ps := make([]network.Point, len(bs))
	for i, b := range bs {
		ps[i] = b.p
	}
	return ps
}

// writePoints writes an id,lon,lat CSV; the id is the OpenStreetMap node id.
func writePoints(path string, ps []benchPoint) error {
	var b bytes.Buffer
	b.WriteString("id,lon,lat\n")
	for _, p := range ps {
		fmt.Fprintf(&b, "%d,%.7f,%.7f\n", p.id, p.p.Lon, p.p.Lat)
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func outcomes(res []network.Result, facilities []benchPoint) []outcome {
	out := make([]outcome, len(res))
	for i, r := range res {
		if r.Facility < 0 {
			out[i] = outcome{dist: math.NaN()}
			continue
		}
		out[i] = outcome{facility: strconv.FormatInt(facilities[r.Facility].id, 10), dist: r.Distance}
	}
	return out
}

func countReached(os []outcome) int {
	n := 0
	for _, o := range os {
		if !math.IsNaN(o.dist) {
			n++
		}
	}
	return n
}

func writeOutcomes(path string, origins []benchPoint, os_ []outcome) error {
	var b bytes.Buffer
	b.WriteString("id,facility_id,distance_m\n")
	for i, p := range origins {
		if math.IsNaN(os_[i].dist) {
			fmt.Fprintf(&b, "%d,,\n", p.id)
			continue
		}
		fmt.Fprintf(&b, "%d,%s,%.2f\n", p.id, os_[i].facility, os_[i].dist)
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// readOutcomes reads an id,facility_id,distance_m CSV written by a peer.
func readOutcomes(path string, origins []benchPoint) ([]outcome, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != "id,facility_id,distance_m" {
		return nil, fmt.Errorf("%s: want the header id,facility_id,distance_m", path)
	}
	rows = rows[1:]
	if len(rows) != len(origins) {
		return nil, fmt.Errorf("%s: %d rows for %d origins", path, len(rows), len(origins))
	}
	out := make([]outcome, len(rows))
	for i, row := range rows {
		if len(row) != 3 || row[0] != strconv.FormatInt(origins[i].id, 10) {
			return nil, fmt.Errorf("%s:%d: want origin %d, got %q", path, i+2, origins[i].id, row)
		}
		if row[2] == "" {
			out[i] = outcome{dist: math.NaN()}
			continue
		}
		d, err := strconv.ParseFloat(row[2], 64)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: distance %q: %w", path, i+2, row[2], err)
		}
		out[i] = outcome{facility: row[1], dist: d}
	}
	return out, nil
}

// compareOutcomes checks a peer's answers against ours: both unreachable, or
// both reachable within agreeTolerance. With a cut-off, an origin one engine
// reaches at less than agreeTolerance under the cut-off and the other does not
// reach counts as agreeing (the engines round edge lengths differently).
func compareOutcomes(peer, variant string, exact, cut bool, path string, origins []benchPoint, ours []outcome, maxDist float64) *agreement {
	a := &agreement{peer: peer, variant: variant, exact: exact, cut: cut}
	if path == "" {
		a.err = "the peer wrote no output"
		return a
	}
	theirs, err := readOutcomes(path, origins)
	if err != nil {
		a.err = err.Error()
		return a
	}
	for i := range origins {
		u, t := ours[i].dist, theirs[i].dist
		un, tn := math.IsNaN(u), math.IsNaN(t)
		if !un {
			a.oursReached++
		}
		if !tn {
			a.reached++
		}
		var bad bool
		switch {
		case un && tn:
		case un || tn:
			d := pick(un, t, u)
			bad = !cut || d < maxDist-agreeTolerance
		default:
			diff := math.Abs(u - t)
			a.maxDiff = max(a.maxDiff, diff)
			bad = diff > agreeTolerance
		}
		if bad {
			a.ndiffer++
			if len(a.differ) < 10 {
				a.differ = append(a.differ, fmt.Sprintf("origin %d: gengxin %s, %s %s", origins[i].id, fmtOutcome(ours[i]), variant, fmtOutcome(theirs[i])))
			}
		}
	}
	return a
}

func fmtOutcome(o outcome) string {
	if math.IsNaN(o.dist) {
		return "unreachable"
	}
	return fmt.Sprintf("%.2f m (facility %s)", o.dist, o.facility)
}

// runOSMnx runs bench/peers/osmnx_nearest.py, first turning a PBF file into
// OSM XML with osmium (OSMnx 1.2 reads XML only).
func (r *datasetReport) runOSMnx(ctx context.Context, o *benchOptions, dir, oPath, fPath string) {
	xmlPath := r.path
	if r.format == "pbf" {
		xmlPath = filepath.Join(dir, "walk-input.osm")
		t := time.Now()
		out, err := exec.CommandContext(ctx, "osmium", "cat", "--overwrite", "-f", "osm", "-o", xmlPath, r.path).CombinedOutput()
		if err != nil {
			r.osmnxErr = "osmium cat (bench/peers/setup.sh installs osmium-tool): " + lastLine(out, err)
			return
		}
		r.convert = time.Since(t)
	}
	args := []string{filepath.Join(o.scripts, "osmnx_nearest.py"), "--osm", xmlPath, "--origins", oPath, "--facilities", fPath,
		"--max-distance", strconv.FormatFloat(o.maxDist, 'f', -1, 64), "--out-dir", filepath.Join(dir, "osmnx"),
		"--filter", network.WalkFilter, "--ids-are-nodes", "--repeat", strconv.Itoa(o.peerRepeat)}
	if !o.peers[peerOSMnx] {
		args = append(args, "--no-networkx")
	}
	if !o.peers[peerScipy] {
		args = append(args, "--no-scipy")
	}
	t := time.Now()
	r.osmnx, r.osmnxErr = runJSON(ctx, o.python, args...)
	r.osmnxWall = time.Since(t)
}

// runPgRouting writes the walk graph's segments as a CSV and runs
// bench/peers/pgrouting_nearest.sh on them.
func (r *datasetReport) runPgRouting(ctx context.Context, o *benchOptions, g *network.Graph, dir, oPath, fPath string) {
	edges := filepath.Join(dir, "edges.csv")
	t := time.Now()
	if err := writeEdges(ctx, g, edges); err != nil {
		r.pgrErr = err.Error()
		return
	}
	r.edgesFile = time.Since(t)
	r.pgr, r.pgrErr = runJSON(ctx, "sh", filepath.Join(o.scripts, "pgrouting_nearest.sh"), "--edges", edges, "--origins", oPath, "--facilities", fPath,
		"--out-dir", filepath.Join(dir, "pgrouting"), "--max-distance", strconv.FormatFloat(o.maxDist, 'f', -1, 64),
		"--repeat", strconv.Itoa(o.peerRepeat), "--host", o.pgHost, "--port", strconv.Itoa(o.pgPort), "--user", o.pgUser)
}

// writeEdges writes the graph's segments as "source,target,length" between
// OpenStreetMap node ids, from the graph's own OSM export, with the engine's
// great-circle length.
func writeEdges(ctx context.Context, g *network.Graph, path string) error {
	var x bytes.Buffer
	if err := g.WriteOSM(&x); err != nil {
		return err
	}
	sc := osmxml.New(ctx, &x)
	defer sc.Close()
	var b bytes.Buffer
	b.WriteString("source,target,length\n")
	for sc.Scan() {
		w, ok := sc.Object().(*osm.Way)
		if !ok || len(w.Nodes) != 2 {
			continue
		}
		u, okU := g.NodeIndex(int64(w.Nodes[0].ID))
		v, okV := g.NodeIndex(int64(w.Nodes[1].ID))
		if !okU || !okV {
			return fmt.Errorf("edges: way %d refers to nodes outside the graph", w.ID)
		}
		pu, pv := g.NodePoint(u), g.NodePoint(v)
		fmt.Fprintf(&b, "%d,%d,%s\n", w.Nodes[0].ID, w.Nodes[1].ID, strconv.FormatFloat(geo.Haversine(pu.Lon, pu.Lat, pv.Lon, pv.Lat), 'g', -1, 64))
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("edges: %w", err)
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// runJSON runs a peer script and decodes the JSON object it prints last.
func runJSON(ctx context.Context, name string, args ...string) (map[string]any, string) {
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Sprintf("%s failed: %s", filepath.Base(args[0]), lastLine(errb.Bytes(), err))
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil {
		return nil, fmt.Sprintf("%s printed no JSON report: %v", filepath.Base(args[0]), err)
	}
	return m, ""
}

// num reads a number from a decoded JSON report by path, ok false when absent.
func num(m map[string]any, keys ...string) (float64, bool) {
	var v any = m
	for _, k := range keys {
		mm, ok := v.(map[string]any)
		if !ok {
			return 0, false
		}
		if v, ok = mm[k]; !ok {
			return 0, false
		}
	}
	f, ok := v.(float64)
	return f, ok
}

func str(m map[string]any, keys ...string) string {
	var v any = m
	for _, k := range keys {
		mm, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = mm[k]
	}
	s, _ := v.(string)
	return s
}

// secs converts seconds from a report to a duration (0 when absent).
func secs(m map[string]any, keys ...string) time.Duration {
	f, ok := num(m, keys...)
	if !ok {
		return 0
	}
	return time.Duration(f * float64(time.Second))
}

// fmtDur prints a duration with three significant digits.
func fmtDur(d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	s := d.Seconds()
	switch {
	case s >= 100:
		return fmt.Sprintf("%.0f s", s)
	case s >= 10:
		return fmt.Sprintf("%.1f s", s)
	case s >= 1:
		return fmt.Sprintf("%.2f s", s)
	case s >= 0.1:
		return fmt.Sprintf("%.0f ms", s*1e3)
	case s >= 0.01:
		return fmt.Sprintf("%.1f ms", s*1e3)
	case s >= 0.001:
		return fmt.Sprintf("%.2f ms", s*1e3)
	}
	return fmt.Sprintf("%.0f µs", s*1e6)
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func ratio(a, b time.Duration) string {
	if a <= 0 || b <= 0 {
		return "—"
	}
	r := float64(a) / float64(b)
	if r >= 10 {
		return fmt.Sprintf("%.0f×", r)
	}
	return fmt.Sprintf("%.2f×", r)
}

// agreed tells whether every comparison of a peer's variants with ours agreed;
// found is false when the peer did not run.
func (r *datasetReport) agreed(peer, variant string) (ok, found bool) {
	for _, a := range r.agree {
		if a.peer == peer && (variant == "" || a.variant == variant) {
			found = true
			if !a.ok() {
				return false, true
			}
		}
	}
	return found, found
}

// printReport prints the tables, agreement and checks of one dataset and
// returns the number of failed checks.
func (r *datasetReport) printReport(w io.Writer, o *benchOptions) int {
	fmt.Fprintf(w, "\n== %s (%s, %s): %d nodes, %d directed edges, %d references to missing nodes; %d origins, %d facilities\n",
		r.name, r.format, mib(r.size), r.nodes, r.edges, r.missingRefs, r.nOrigins, r.nFac)
	skipped := func(peer string) string {
		if r.ran[peer] {
			return ""
		}
		switch {
		case peer != peerPgRouting && r.osmnxErr != "":
			return "failed"
		case peer == peerPgRouting && r.pgrErr != "":
			return "failed"
		}
		return "skipped"
	}
	// A peer's time is shown only when its distances agree with ours.
	peerTime := func(peer, variant string, d time.Duration) string {
		if s := skipped(peer); s != "" {
			return s
		}
		if d <= 0 {
			return "—"
		}
		if ok, found := r.agreed(peer, variant); found && !ok {
			return "(disagrees)"
		}
		return fmtDur(d)
	}
	xo := r.osmnx
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "phase\tgengxin\tOSMnx+NetworkX\tscipy\tpgRouting\t")
	fmt.Fprintf(tw, "decode only (floor)\t%s\t\t\t\t\n", fmtDur(r.decode))
	load := secs(xo, "seconds", "load")
	osmnxLoad := fmtDur(load)
	if s := skipped(peerOSMnx); s != "" && !r.ran[peerScipy] {
		osmnxLoad = s
	}
	pgLoad := peerTime(peerPgRouting, "pgr_dijkstraCost", secs(r.pgr, "seconds", "load"))
	if pgLoad != "skipped" && pgLoad != "failed" {
		pgLoad += " (COPY)"
	}
	note := func(peer, text string) string { return pick(r.ran[peer], text, skipped(peer)) }
	fmt.Fprintf(tw, "read + build graph\t%s\t%s\t%s\t%s\t\n", fmtDur(r.read), osmnxLoad, note(peerScipy, "(OSMnx graph)"), pgLoad)
	fmt.Fprintf(tw, "snap %d points\t%s\t%s\t%s\t%s\t\n", r.nOrigins+r.nFac, fmtDur(r.snap), peerTime(peerOSMnx, "", secs(xo, "seconds", "snap")),
		note(peerScipy, "(OSMnx)"), note(peerPgRouting, "(node ids)"))
	fmt.Fprintf(tw, "one search, no cut-off\t%s\t%s\t%s\t%s\t\n", fmtDur(r.search),
		peerTime(peerOSMnx, "multi_source_dijkstra", secs(xo, "seconds", "nx_search")),
		peerTime(peerScipy, "dijkstra min_only", secs(xo, "seconds", "scipy_search")),
		peerTime(peerPgRouting, "pgr_dijkstraCost", secs(r.pgr, "seconds", "dijkstra_cost"))+pick(r.ran[peerPgRouting], " (dijkstraCost)", ""))
	fmt.Fprintf(tw, "one search, %g m cut-off\t%s\t%s\t%s\t%s\t\n", o.maxDist, fmtDur(r.searchCut),
		peerTime(peerOSMnx, "multi_source_dijkstra, cutoff", secs(xo, "seconds", "nx_search_cut")),
		peerTime(peerScipy, "dijkstra min_only, limit", secs(xo, "seconds", "scipy_search_cut")),
		peerTime(peerPgRouting, "pgr_drivingDistance", secs(r.pgr, "seconds", "dd"))+pick(r.ran[peerPgRouting], " (drivingDistance)", ""))
	if r.ran[peerPgRouting] {
		fmt.Fprintf(tw, "  same, equicost\t\t\t\t%s\t\n", peerTime(peerPgRouting, "pgr_drivingDistance equicost", secs(r.pgr, "seconds", "dd_equicost")))
	}
	fmt.Fprintf(tw, "end to end\t%s\t%s\t\t\t\n", fmtDur(r.end), peerTime(peerOSMnx, "multi_source_dijkstra", secs(xo, "seconds", "end_to_end")))
	mem := "—"
	if rss, ok := num(xo, "max_rss_bytes"); ok {
		mem = mib(int64(rss)) + " RSS"
	}
	pgMem := pick(r.ran[peerPgRouting], "—", skipped(peerPgRouting))
	if rss, ok := num(r.pgr, "max_rss_bytes"); ok {
		pgMem = mib(int64(rss)) + " backend"
	}
	fmt.Fprintf(tw, "memory\t%s graph\t%s\t%s\t%s\t\n", mib(int64(r.graphBytes)), pick(r.ran[peerOSMnx] || r.ran[peerScipy], mem, osmnxLoad), note(peerScipy, "(same process)"), pgMem)
	tw.Flush()
	fmt.Fprintf(w, "gengxin memory: %.1f bytes per directed edge; Go heap holding the graph %s; allocated per read %s\n",
		r.bytesPerEdge, mib(int64(r.heapAfterBuild)), mib(int64(r.allocPerRead)))
	fmt.Fprintf(w, "gengxin reached %d origins without cut-off, %d within %g m\n", r.reached, r.reachedCut, o.maxDist)
	if xo != nil {
		fmt.Fprintf(w, "OSMnx %s, NetworkX %s, scipy %s: graph %v nodes, %v edges (%v walkable ways, %v cut at missing nodes, %v ways where OSMnx 1.2's own walk filter decides otherwise); parse %s, filter %s, graph %s, import %s; snapping: %s, %v mismatches",
			str(xo, "versions", "osmnx"), str(xo, "versions", "networkx"), str(xo, "versions", "scipy"),
			jsonInt(xo, "graph", "nodes"), jsonInt(xo, "graph", "edges"), jsonInt(xo, "graph", "walk_ways"), jsonInt(xo, "graph", "cut_pieces"), jsonInt(xo, "graph", "filter_disagreements"),
			fmtDur(secs(xo, "seconds", "parse")), fmtDur(secs(xo, "seconds", "filter")), fmtDur(secs(xo, "seconds", "graph")), fmtDur(secs(xo, "seconds", "import")),
			str(xo, "snap"), jsonInt(xo, "snap_mismatches"))
		if r.convert > 0 {
			fmt.Fprintf(w, "; PBF to XML with osmium beforehand %s (not counted)", fmtDur(r.convert))
		}
		fmt.Fprintf(w, "; whole Python process %s\n", fmtDur(r.osmnxWall))
	}
	if r.osmnxErr != "" {
		fmt.Fprintf(w, "OSMnx/scipy failed: %s\n", r.osmnxErr)
	}
	if r.pgr != nil {
		fmt.Fprintf(w, "pgRouting %s on PostgreSQL %s: %v edges from the gengxin graph (written in %s)\n",
			str(r.pgr, "versions", "pgrouting"), str(r.pgr, "versions", "postgresql"), jsonInt(r.pgr, "graph", "edges"), fmtDur(r.edgesFile))
	}
	if r.pgrErr != "" {
		fmt.Fprintf(w, "pgRouting failed: %s\n", r.pgrErr)
	}

	fmt.Fprintln(w, "agreement (within 0.5 m, unreachable counted the same):")
	if len(r.agree) == 0 {
		fmt.Fprintln(w, "  no peer ran")
	}
	for _, a := range r.agree {
		cut := pick(a.cut, fmt.Sprintf("cut-off %g m", o.maxDist), "no cut-off")
		switch {
		case a.err != "":
			fmt.Fprintf(w, "  %-9s %-32s %s: ERROR %s\n", a.peer, a.variant, cut, a.err)
		case a.ok():
			fmt.Fprintf(w, "  %-9s %-32s %s: agree on all %d origins (%d reached by both), max |difference| %.4f m\n", a.peer, a.variant, cut, r.nOrigins, a.reached, a.maxDiff)
		default:
			note := ""
			if !a.exact {
				note = " (this variant is not exact)"
			}
			fmt.Fprintf(w, "  %-9s %-32s %s: DISAGREE on %d origins%s; peer reached %d, gengxin %d; max |difference| among both reached %.2f m; times not compared\n",
				a.peer, a.variant, cut, a.ndiffer, note, a.reached, a.oursReached, a.maxDiff)
			for _, d := range a.differ {
				fmt.Fprintf(w, "      %s\n", d)
			}
		}
	}

	fmt.Fprintln(w, "ratios:")
	nxEnd := secs(xo, "seconds", "end_to_end")
	nxOK, _ := r.agreed(peerOSMnx, "")
	if nxOK {
		fmt.Fprintf(w, "  end to end, OSMnx + NetworkX / gengxin     %s\n", ratio(nxEnd, r.end))
	}
	fmt.Fprintf(w, "  end to end, gengxin / decode floor         %s\n", ratio(r.end, r.decode))
	spCut := secs(xo, "seconds", "scipy_search_cut")
	spOK, _ := r.agreed(peerScipy, "")
	if spOK {
		fmt.Fprintf(w, "  %g m search, scipy min_only / gengxin   %s\n", o.maxDist, ratio(spCut, r.searchCut))
		fmt.Fprintf(w, "  search without cut-off, scipy / gengxin    %s\n", ratio(secs(xo, "seconds", "scipy_search"), r.search))
	}
	if ok, _ := r.agreed(peerPgRouting, "pgr_dijkstraCost"); ok {
		fmt.Fprintf(w, "  many-to-many, pgr_dijkstraCost / gengxin   %s\n", ratio(secs(r.pgr, "seconds", "dijkstra_cost"), r.search))
	}
	if ok, _ := r.agreed(peerPgRouting, "pgr_drivingDistance"); ok {
		fmt.Fprintf(w, "  %g m, pgr_drivingDistance / gengxin     %s\n", o.maxDist, ratio(secs(r.pgr, "seconds", "dd"), r.searchCut))
	}

	failed := 0
	check := func(state, what string) {
		fmt.Fprintf(w, "%-4s %s: %s\n", state, r.name, what)
		if state == "FAIL" {
			failed++
		}
	}
	for _, a := range r.agree {
		if !a.exact {
			continue
		}
		what := fmt.Sprintf("distances agree with %s %s (%s)", a.peer, a.variant, pick(a.cut, "cut-off", "no cut-off"))
		check(pick(a.ok(), "PASS", "FAIL"), what)
	}
	// The issue sets the end-to-end target against OSMnx on Heidelberg; on other
	// files the ratio is reported without a verdict.
	vs := pick(strings.Contains(strings.ToLower(r.name), "heidelberg"), "", "INFO")
	switch {
	case !r.ran[peerOSMnx]:
		check("SKIP", fmt.Sprintf("end to end at least %.0f× faster than OSMnx + NetworkX (OSMnx did not run)", targetVsOSMnx))
	case !nxOK:
		check("FAIL", fmt.Sprintf("end to end at least %.0f× faster than OSMnx + NetworkX (not compared: distances disagree)", targetVsOSMnx))
	default:
		x := float64(nxEnd) / float64(r.end)
		check(cmp.Or(vs, pick(x >= targetVsOSMnx, "PASS", "FAIL")), fmt.Sprintf("end to end at least %.0f× faster than OSMnx + NetworkX (%.0f×: %s against %s)", targetVsOSMnx, x, fmtDur(r.end), fmtDur(nxEnd)))
	}
	x := float64(r.end) / float64(r.decode)
	check(pick(x <= targetVsFloor, "PASS", "FAIL"), fmt.Sprintf("end to end at most %.0f× the decode-only floor (%.2f×: %s against %s)", targetVsFloor, x, fmtDur(r.end), fmtDur(r.decode)))
	switch {
	case !r.ran[peerScipy]:
		check("SKIP", fmt.Sprintf("%g m search no slower than scipy dijkstra(min_only=True) (scipy did not run)", o.maxDist))
	case !spOK:
		check("FAIL", fmt.Sprintf("%g m search no slower than scipy dijkstra(min_only=True) (not compared: distances disagree)", o.maxDist))
	default:
		check(pick(r.searchCut <= spCut, "PASS", "FAIL"), fmt.Sprintf("%g m search no slower than scipy dijkstra(min_only=True) (%s against %s)", o.maxDist, fmtDur(r.searchCut), fmtDur(spCut)))
	}
	check(pick(r.bytesPerEdge <= targetBytesPerEdge, "PASS", "FAIL"), fmt.Sprintf("at most %.0f bytes per directed edge (%.1f)", targetBytesPerEdge, r.bytesPerEdge))
	return failed
}

// jsonInt prints a whole number from a JSON report, "?" when absent.
func jsonInt(m map[string]any, keys ...string) string {
	f, ok := num(m, keys...)
	if !ok {
		return "?"
	}
	return strconv.FormatInt(int64(f), 10)
}
