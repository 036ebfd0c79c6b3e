package checkup

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/network"
	"github.com/gengxin/gengxin/internal/places"
)

// RunRequest chooses what a checkup run covers.
type RunRequest struct {
	Year          int   // the check year; pipe ages are counted to it
	ScopeRegionID int64 // 0 = the whole deployment
	// NetworkID picks the stored walk network: 0 = the newest. When none is
	// stored the run measures straight-line distances only and says so.
	NetworkID int64
	// LineOnly skips the walk network even when one is stored.
	LineOnly bool
}

// RunSummary is what a finished run reports.
type RunSummary struct {
	Run      Run
	Duration time.Duration
}

// likePrefix turns a region path (digits and slashes) into a LIKE pattern.
func likePrefix(p string) string {
	return strings.NewReplacer("%", "", "_", "").Replace(p) + "%"
}

// Run computes every computable indicator for every object of its level inside
// the scope, stores the values and results, updates the findings ledger and
// returns the run. progress (may be nil) hears how many steps are done. A run
// that fails is marked failed with its error.
func (s *Service) Run(ctx context.Context, req RunRequest, progress func(done, total int)) (*RunSummary, error) {
	start := time.Now()
	if req.Year < 1949 || req.Year > 2200 {
		return nil, fmt.Errorf("%w: year %d is not a check year", ErrBadRequest, req.Year)
	}
	e := &engine{s: s, req: req, progress: progress, settings: s.cat.Settings}
	if req.ScopeRegionID != 0 {
		err := s.db.Read().QueryRowContext(ctx, `SELECT path, name, level FROM regions WHERE id = $1`, req.ScopeRegionID).Scan(&e.scopePath, &e.scopeName, &e.scopeLevel)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("%w: scope region %d: %w", ErrBadRequest, req.ScopeRegionID, ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("scope region: %w", err)
		}
	}
	params, err := s.EffectiveParams(ctx)
	if err != nil {
		return nil, err
	}
	for _, ind := range s.cat.Indicators {
		if !ind.Computable {
			e.skipped = append(e.skipped, ind)
			continue
		}
		r, err := compileRule(ind, params[ind.Code])
		if err != nil {
			return nil, err
		}
		e.rules = append(e.rules, r)
	}
	if !req.LineOnly {
		g, info, err := s.Graph(ctx, req.NetworkID)
		switch {
		case err == nil:
			e.graph, e.networkID = g, info.ID
			e.note("walking distances over walk network %d %q (%d nodes, %d directed edges)", info.ID, info.Name, info.Nodes, info.Edges)
		case errors.Is(err, ErrNotFound) && req.NetworkID == 0:
			e.note("no walk network is stored: only the straight-line variant was computed; import an OpenStreetMap file to add the walking variant")
		default:
			return nil, err
		}
	} else {
		e.note("straight-line variant only, as requested")
	}
	for _, ind := range e.skipped {
		e.note("%s skipped: needs %s", ind.Code, ind.Needs)
	}
	if err := e.begin(ctx, params); err != nil {
		return nil, err
	}
	if err := e.execute(ctx); err != nil {
		if ferr := s.failRun(context.WithoutCancel(ctx), e.runID, err); ferr != nil {
			err = errors.Join(err, ferr)
		}
		return nil, err
	}
	run, err := s.RunByID(ctx, e.runID)
	if err != nil {
		return nil, err
	}
	return &RunSummary{Run: run, Duration: time.Since(start)}, nil
}

// engine holds the state of one run.
type engine struct {
	s          *Service
	req        RunRequest
	progress   func(done, total int)
	settings   Settings
	scopePath  string
	scopeName  string
	scopeLevel string
	rules      []*rule
	skipped    []Indicator
	runID      int64
	networkID  int64
	graph      *network.Graph
	notes      []string
	done       int
	total      int

	regions    []regionRow
	compounds  []compoundRow
	buildings  []buildingRow
	facilities []facilityRow
	variants   []string
	line       *lineRouter
	walk       *walkRouter
	dists      map[string]*setDist
	values     []valueRow
	results    []resultRow
	flags      map[string][]int8 // per rule code + variant: per compound covered/attained (1), not (0), unknown (-1)
}

type regionRow struct {
	id                      int64
	code, level, name, path string
	geometry                string
	lon, lat                float64
	compounds               []int
}

type compoundRow struct {
	id                       int64
	code, name, path         string
	builtYear                int
	propertyMode, renovation string
	geometry                 string
	lon, lat                 float64
	households               int64
	origins                  []int
}

type buildingRow struct {
	id                   int64
	code, name           string
	compound             int
	storeys              int
	hasElevator, hasRamp bool
	gasPipeYear          int
	householdCount       int
	footprint            string
	lon, lat             float64
	dwellings, nonSelf   int
}

type facilityRow struct {
	id             int64
	name, category string
	siteAreaM2     float64
	lon, lat       float64
}

// setDist holds, per compound, the nearest facility of a set (index into the
// facilities, -1 for none) and its distance by each variant: NaN when unknown,
// +Inf when none lies within the search distance.
type setDist struct {
	walkFac, lineFac []int
	walk, line       []float64
}

func (d *setDist) get(variant string, c int) (int, float64) {
	if variant == VariantWalk {
		return d.walkFac[c], d.walk[c]
	}
	return d.lineFac[c], d.line[c]
}

type valueRow struct {
	r                *rule
	variant          string
	objType          string
	objID            int64
	code, name, path string
	value            float64
	hasValue         bool
	threshold        float64
	hasThreshold     bool
	passed           int8 // 1 passed, 0 failed, -1 unknown
	detail           string
	geometry         string
	lon, lat         float64
}

type resultRow struct {
	ind                       Indicator
	variant                   string
	computed                  bool
	value, threshold          float64
	hasValue, hasThreshold    bool
	passed                    int8
	objects, failing, unknown int
	note                      string
}

func (e *engine) note(format string, args ...any) {
	e.notes = append(e.notes, fmt.Sprintf(format, args...))
}

func (e *engine) step(n int) {
	e.done += n
	if e.progress != nil {
		e.progress(min(e.done, e.total), e.total)
	}
}

// begin records the run as running, with the catalogue version and the full
// effective parameters.
func (e *engine) begin(ctx context.Context, params map[string]Params) error {
	pj, err := json.Marshal(params)
	if err != nil {
		return err
	}
	s := e.s
	now := s.now().UTC().Truncate(time.Microsecond)
	actor := audit.ActorFrom(ctx).Name
	var scopeID, netID any
	if e.req.ScopeRegionID != 0 {
		scopeID = e.req.ScopeRegionID
	}
	if e.networkID != 0 {
		netID = e.networkID
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO checkup_runs (year, scope_region_id, scope_path, scope_name, status, catalogue_version, params_json, network_id, created_by, started_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			e.req.Year, scopeID, e.scopePath, e.scopeName, RunRunning, s.cat.Version, string(pj), netID, actor, now).Scan(&e.runID); err != nil {
			return fmt.Errorf("start checkup run: %w", err)
		}
		return s.audit.Record(ctx, tx, audit.Change{Action: "checkup.run.start", ObjectType: "checkup_run", ObjectID: strconv.FormatInt(e.runID, 10),
			After: map[string]any{"year": e.req.Year, "scope": e.scopePath, "catalogue_version": s.cat.Version, "network_id": e.networkID}})
	})
}

func (s *Service) failRun(ctx context.Context, runID int64, cause error) error {
	now := s.now().UTC().Truncate(time.Microsecond)
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE checkup_runs SET status = $1, error = $2, finished_at = $3 WHERE id = $4`, RunFailed, cause.Error(), now, runID); err != nil {
			return fmt.Errorf("mark run %d failed: %w", runID, err)
		}
		return s.audit.Record(ctx, tx, audit.Change{Action: "checkup.run.fail", ObjectType: "checkup_run", ObjectID: strconv.FormatInt(runID, 10),
			After: map[string]any{"error": cause.Error()}})
	})
}

func (e *engine) setProgress(ctx context.Context) error {
	_, err := e.s.db.Write().ExecContext(ctx, `UPDATE checkup_runs SET progress_done = $1, progress_total = $2 WHERE id = $3`, e.done, e.total, e.runID)
	if err != nil {
		return fmt.Errorf("run progress: %w", err)
	}
	return nil
}

func (e *engine) execute(ctx context.Context) error {
	if err := e.load(ctx); err != nil {
		return err
	}
	sets := e.facilitySets()
	e.total = 1 + len(sets) + 3
	e.step(1)
	if err := e.setProgress(ctx); err != nil {
		return err
	}
	e.prepareRouters()
	if err := e.distances(ctx, sets); err != nil {
		return err
	}
	if err := e.setProgress(ctx); err != nil {
		return err
	}
	if err := e.evaluate(); err != nil {
		return err
	}
	e.step(1)
	if err := e.writeValues(ctx); err != nil {
		return err
	}
	e.step(1)
	if err := e.finish(ctx); err != nil {
		return err
	}
	e.step(1)
	return nil
}

// load reads the places inside the scope and all facilities (a facility just
// outside the scope still serves the compounds inside it).
func (e *engine) load(ctx context.Context) error {
	q := e.s.db.Read()
	like := likePrefix(e.scopePath)
	rows, err := q.QueryContext(ctx, `SELECT id, code, level, name, path, COALESCE(geometry, ''), COALESCE(min_lon, 0), COALESCE(min_lat, 0), COALESCE(max_lon, 0), COALESCE(max_lat, 0)
		FROM regions WHERE path LIKE $1 ORDER BY path`, like)
	if err != nil {
		return fmt.Errorf("read regions: %w", err)
	}
	for rows.Next() {
		var r regionRow
		var a, b, c, d float64
		if err := rows.Scan(&r.id, &r.code, &r.level, &r.name, &r.path, &r.geometry, &a, &b, &c, &d); err != nil {
			rows.Close()
			return fmt.Errorf("read regions: %w", err)
		}
		r.lon, r.lat = (a+c)/2, (b+d)/2
		e.regions = append(e.regions, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read regions: %w", err)
	}

	rows, err = q.QueryContext(ctx, `SELECT id, code, name, region_path, COALESCE(built_year, 0), property_mode, renovation_status, COALESCE(gates, ''), COALESCE(geometry, ''), COALESCE(lon, 0), COALESCE(lat, 0)
		FROM compounds WHERE region_path LIKE $1 ORDER BY id`, like)
	if err != nil {
		return fmt.Errorf("read compounds: %w", err)
	}
	byID := map[int64]int{}
	for rows.Next() {
		var c compoundRow
		var gates string
		if err := rows.Scan(&c.id, &c.code, &c.name, &c.path, &c.builtYear, &c.propertyMode, &c.renovation, &gates, &c.geometry, &c.lon, &c.lat); err != nil {
			rows.Close()
			return fmt.Errorf("read compounds: %w", err)
		}
		gs, err := places.ParseGates(gates)
		if err != nil {
			rows.Close()
			return fmt.Errorf("compound %s: %w", c.code, err)
		}
		if len(gs) == 0 && (c.lon != 0 || c.lat != 0) {
			gs = []places.Point{{Lon: c.lon, Lat: c.lat}}
		}
		byID[c.id] = len(e.compounds)
		e.compounds = append(e.compounds, c)
		e.compounds[len(e.compounds)-1].origins = e.addOrigins(gs)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read compounds: %w", err)
	}

	rows, err = q.QueryContext(ctx, `SELECT b.id, b.code, b.name, b.compound_id, b.storeys, b.has_elevator, b.has_ramp, COALESCE(b.gas_pipe_year, 0), b.household_count, COALESCE(b.footprint, ''), COALESCE(b.lon, 0), COALESCE(b.lat, 0)
		FROM buildings b JOIN compounds c ON c.id = b.compound_id WHERE c.region_path LIKE $1 ORDER BY b.id`, like)
	if err != nil {
		return fmt.Errorf("read buildings: %w", err)
	}
	bByID := map[int64]int{}
	for rows.Next() {
		var b buildingRow
		var cid int64
		if err := rows.Scan(&b.id, &b.code, &b.name, &cid, &b.storeys, &b.hasElevator, &b.hasRamp, &b.gasPipeYear, &b.householdCount, &b.footprint, &b.lon, &b.lat); err != nil {
			rows.Close()
			return fmt.Errorf("read buildings: %w", err)
		}
		b.compound = byID[cid]
		bByID[b.id] = len(e.buildings)
		e.buildings = append(e.buildings, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read buildings: %w", err)
	}

	hq := `SELECT building_id, COUNT(*), SUM(CASE WHEN has_kitchen AND has_toilet THEN 0 ELSE 1 END) FROM households GROUP BY building_id`
	var hargs []any
	if e.scopePath != "" {
		hq = `SELECT h.building_id, COUNT(*), SUM(CASE WHEN h.has_kitchen AND h.has_toilet THEN 0 ELSE 1 END)
			FROM households h JOIN buildings b ON b.id = h.building_id JOIN compounds c ON c.id = b.compound_id
			WHERE c.region_path LIKE $1 GROUP BY h.building_id`
		hargs = []any{like}
	}
	rows, err = q.QueryContext(ctx, hq, hargs...)
	if err != nil {
		return fmt.Errorf("read households: %w", err)
	}
	for rows.Next() {
		var bid int64
		var n, bad int
		if err := rows.Scan(&bid, &n, &bad); err != nil {
			rows.Close()
			return fmt.Errorf("read households: %w", err)
		}
		if i, ok := bByID[bid]; ok {
			e.buildings[i].dwellings, e.buildings[i].nonSelf = n, bad
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read households: %w", err)
	}
	for _, b := range e.buildings {
		n := int64(b.dwellings)
		if n == 0 {
			n = int64(b.householdCount)
		}
		e.compounds[b.compound].households += n
	}

	rows, err = q.QueryContext(ctx, `SELECT id, name, category, COALESCE(site_area_dm2, 0), lon, lat FROM facilities ORDER BY id`)
	if err != nil {
		return fmt.Errorf("read facilities: %w", err)
	}
	for rows.Next() {
		var f facilityRow
		var dm2 int64
		if err := rows.Scan(&f.id, &f.name, &f.category, &dm2, &f.lon, &f.lat); err != nil {
			rows.Close()
			return fmt.Errorf("read facilities: %w", err)
		}
		f.siteAreaM2 = float64(dm2) / 100
		e.facilities = append(e.facilities, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read facilities: %w", err)
	}
	for i := range e.regions {
		r := &e.regions[i]
		for c := range e.compounds {
			if strings.HasPrefix(e.compounds[c].path, r.path) {
				r.compounds = append(r.compounds, c)
			}
		}
	}
	e.note("scope %q: %d compounds, %d buildings, %d facilities", orAll(e.scopeName), len(e.compounds), len(e.buildings), len(e.facilities))
	return nil
}

func orAll(s string) string {
	if s == "" {
		return "all regions"
	}
	return s
}

// origins collects the gates (or centroids) of all compounds, in order.
func (e *engine) addOrigins(gs []places.Point) []int {
	if e.line == nil {
		e.line = &lineRouter{}
	}
	idx := make([]int, len(gs))
	for i, g := range gs {
		idx[i] = len(e.line.origins)
		e.line.origins = append(e.line.origins, g)
	}
	return idx
}

func (e *engine) prepareRouters() {
	if e.line == nil {
		e.line = &lineRouter{}
	}
	e.line.facilities = make([]places.Point, len(e.facilities))
	for i, f := range e.facilities {
		e.line.facilities[i] = places.Point{Lon: f.lon, Lat: f.lat}
	}
	e.variants = []string{VariantLine}
	if e.graph != nil {
		e.walk = newWalkRouter(e.graph, e.line.origins, e.line.facilities, e.settings.MaxSnapM)
		e.variants = []string{VariantWalk, VariantLine}
		if o, f := e.walk.off(); o > 0 || f > 0 {
			e.note("%d of %d gates and %d of %d facilities lie farther than %.0f m from the walk network and have no walking distance", o, len(e.line.origins), f, len(e.facilities), e.settings.MaxSnapM)
		}
	}
}

// facSet is a set of facilities measured from every compound.
type facSet struct {
	key        string
	categories []string
	minAreaM2  float64
	maxDist    float64
}

func setKey(categories []string, minAreaM2 float64) string {
	c := slices.Clone(categories)
	slices.Sort(c)
	return strings.Join(c, ",") + "|" + strconv.FormatFloat(minAreaM2, 'f', -1, 64)
}

// facilitySets lists the facility sets the rules need, each once.
func (e *engine) facilitySets() []facSet {
	var out []facSet
	seen := map[string]int{}
	add := func(cats []string, minArea, radius float64) {
		k := setKey(cats, minArea)
		d := max(e.settings.SearchM, radius)
		if i, ok := seen[k]; ok {
			out[i].maxDist = max(out[i].maxDist, d)
			return
		}
		seen[k] = len(out)
		out = append(out, facSet{key: k, categories: cats, minAreaM2: minArea, maxDist: d})
	}
	for _, r := range e.rules {
		switch r.ind.Rule {
		case "provision", "radius_coverage":
			add(r.Categories, 0, r.RadiusM)
		case "life_circle":
			for _, k := range r.Kinds {
				add(k.Categories, 0, k.RadiusM)
			}
		case "park_coverage":
			for _, c := range r.Classes {
				add(r.Categories, c.MinSiteAreaM2, c.RadiusM)
			}
		}
	}
	return out
}

// distances measures, for every facility set, each compound's nearest facility
// by each variant (the minimum over its gates).
func (e *engine) distances(ctx context.Context, sets []facSet) error {
	e.dists = make(map[string]*setDist, len(sets))
	for _, fs := range sets {
		if err := ctx.Err(); err != nil {
			return err
		}
		var facs []int
		for i, f := range e.facilities {
			if slices.Contains(fs.categories, f.category) && (fs.minAreaM2 == 0 || f.siteAreaM2 >= fs.minAreaM2) {
				facs = append(facs, i)
			}
		}
		d := &setDist{}
		d.lineFac, d.line = e.perCompound(e.line, facs, fs.maxDist)
		if e.walk != nil {
			d.walkFac, d.walk = e.perCompound(e.walk, facs, fs.maxDist)
		}
		e.dists[fs.key] = d
		e.step(1)
	}
	return nil
}

func (e *engine) perCompound(r router, facs []int, maxDist float64) ([]int, []float64) {
	fi := make([]int, len(e.compounds))
	fd := make([]float64, len(e.compounds))
	var idx []int
	var dist []float64
	if len(facs) > 0 {
		idx, dist = r.nearest(facs, maxDist)
	}
	for c, cp := range e.compounds {
		best, bestD := -1, math.NaN()
		for _, o := range cp.origins {
			var d float64
			f := -1
			if idx == nil {
				d = math.Inf(1)
			} else {
				d = dist[o]
				if idx[o] >= 0 {
					f = facs[idx[o]]
				}
			}
			if math.IsNaN(d) {
				continue
			}
			if math.IsNaN(bestD) || d < bestD {
				best, bestD = f, d
			}
		}
		fi[c], fd[c] = best, bestD
	}
	return fi, fd
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

func distJSON(d float64) any {
	if math.IsNaN(d) || math.IsInf(d, 0) {
		return nil
	}
	return round1(d)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "{}"
	}
	return string(b)
}

func (e *engine) buildingValue(r *rule, b *buildingRow) valueRow {
	cp := &e.compounds[b.compound]
	return valueRow{r: r, objType: ObjectBuilding, objID: b.id, code: b.code, name: strings.TrimSpace(cp.name + " " + b.name), path: cp.path,
		geometry: b.footprint, lon: b.lon, lat: b.lat, passed: 1}
}

func (e *engine) compoundValue(r *rule, variant string, c int) valueRow {
	cp := &e.compounds[c]
	return valueRow{r: r, variant: variant, objType: ObjectCompound, objID: cp.id, code: cp.code, name: cp.name, path: cp.path,
		geometry: cp.geometry, lon: cp.lon, lat: cp.lat, passed: 1}
}

func passFlag(ok bool) int8 {
	if ok {
		return 1
	}
	return 0
}

// evaluate computes every rule's values and results.
func (e *engine) evaluate() error {
	e.flags = map[string][]int8{}
	for _, r := range e.rules {
		first := len(e.values)
		variants := []string{""}
		if r.ind.Variants {
			variants = e.variants
		}
		for _, v := range variants {
			switch r.ind.Rule {
			case "gas_pipe_age":
				for i := range e.buildings {
					b := &e.buildings[i]
					val := e.buildingValue(r, b)
					val.threshold, val.hasThreshold = float64(r.MaxAgeYears), true
					age, known, fails := GasPipeAge(e.req.Year, b.gasPipeYear, r.MaxAgeYears)
					if !known {
						val.passed, val.detail = -1, `{"gas_pipe_year":null}`
					} else {
						val.value, val.hasValue, val.passed = float64(age), true, passFlag(!fails)
						val.detail = mustJSON(map[string]any{"gas_pipe_year": b.gasPipeYear, "age_years": age, "max_age_years": r.MaxAgeYears})
					}
					e.values = append(e.values, val)
				}
			case "age_friendly", "elevator_need":
				for i := range e.buildings {
					b := &e.buildings[i]
					val := e.buildingValue(r, b)
					var reasons []string
					if r.ind.Rule == "age_friendly" {
						reasons = AgeFriendlyReasons(b.storeys, b.hasElevator, b.hasRamp, r.MinStoreys, r.RequireRamp)
					} else if NeedsElevator(b.storeys, b.hasElevator, r.MinStoreys) {
						reasons = []string{"no_elevator"}
					}
					val.value, val.hasValue, val.threshold, val.hasThreshold = float64(len(reasons)), true, 0, true
					val.passed = passFlag(len(reasons) == 0)
					det := map[string]any{"storeys": b.storeys, "has_elevator": b.hasElevator, "min_storeys": r.MinStoreys, "reasons": reasons}
					if r.ind.Rule == "age_friendly" {
						det["has_ramp"] = b.hasRamp
					}
					val.detail = mustJSON(det)
					e.values = append(e.values, val)
				}
			case "non_self_contained":
				for i := range e.buildings {
					b := &e.buildings[i]
					val := e.buildingValue(r, b)
					val.threshold, val.hasThreshold = float64(r.MaxDwellings), true
					if b.dwellings == 0 {
						val.passed, val.detail = -1, `{"dwellings":0}`
					} else {
						val.value, val.hasValue, val.passed = float64(b.nonSelf), true, passFlag(b.nonSelf <= r.MaxDwellings)
						val.detail = mustJSON(map[string]any{"dwellings": b.dwellings, "non_self_contained": b.nonSelf})
					}
					e.values = append(e.values, val)
				}
			case "property_management":
				for c := range e.compounds {
					val := e.compoundValue(r, "", c)
					fails := slices.Contains(r.UnmanagedModes, e.compounds[c].propertyMode)
					val.value, val.hasValue, val.threshold, val.hasThreshold, val.passed = b2f(fails), true, 0, true, passFlag(!fails)
					val.detail = mustJSON(map[string]any{"property_mode": e.compounds[c].propertyMode})
					e.values = append(e.values, val)
				}
			case "provision":
				d := e.dists[setKey(r.Categories, 0)]
				flags := make([]int8, len(e.compounds))
				for c := range e.compounds {
					val := e.compoundValue(r, v, c)
					val.threshold, val.hasThreshold = r.RadiusM, true
					f, dist := d.get(v, c)
					det := map[string]any{"variant": v, "categories": r.Categories, "radius_m": r.RadiusM}
					switch {
					case math.IsNaN(dist):
						val.passed = -1
						det["off_network"] = true
					case math.IsInf(dist, 1):
						val.passed = 0
						det["nearest_facility"], det["searched_m"] = nil, max(e.settings.SearchM, r.RadiusM)
					default:
						val.value, val.hasValue, val.passed = dist, true, passFlag(Within(dist, r.RadiusM))
						det["nearest_facility"], det["nearest_facility_id"], det["distance_m"] = e.facilities[f].name, e.facilities[f].id, round1(dist)
					}
					flags[c] = val.passed
					val.detail = mustJSON(det)
					e.values = append(e.values, val)
				}
				e.flags[r.ind.Code+"|"+v] = flags
			case "life_circle":
				flags := make([]int8, len(e.compounds))
				for c := range e.compounds {
					val := e.compoundValue(r, v, c)
					val.threshold, val.hasThreshold = 0, true
					o := LifeCircle(r.Kinds, r.Circle, func(kind string) float64 {
						for _, k := range r.Kinds {
							if k.Kind == kind {
								_, d := e.dists[setKey(k.Categories, 0)].get(v, c)
								return d
							}
						}
						return math.NaN()
					})
					var missing []map[string]any
					for _, k := range r.Kinds {
						if !slices.Contains(o.Missing, k.Kind) {
							continue
						}
						f, d := e.dists[setKey(k.Categories, 0)].get(v, c)
						m := map[string]any{"kind": k.Kind, "radius_m": k.RadiusM, "distance_m": distJSON(d)}
						if f >= 0 {
							m["facility"] = e.facilities[f].name
						}
						missing = append(missing, m)
					}
					if o.Decided() {
						val.value, val.hasValue = float64(len(o.Missing)), true
						val.passed = passFlag(o.Attained())
					} else {
						val.passed = -1
					}
					flags[c] = val.passed
					val.detail = mustJSON(map[string]any{"variant": v, "circle": r.Circle, "kinds": len(r.Kinds), "missing": missing, "unknown": o.Unknown})
					e.values = append(e.values, val)
				}
				e.flags[r.ind.Code+"|"+v] = flags
			case "radius_coverage", "park_coverage", "life_circle_rate":
				flags, err := e.coverFlags(r, v)
				if err != nil {
					return err
				}
				for _, reg := range e.levelRegions(r.ind.Level) {
					e.values = append(e.values, e.coverageValue(r, v, reg, flags))
				}
			case "old_renovated":
				for _, reg := range e.levelRegions(r.ind.Level) {
					old, done := e.oldRenovated(r, reg.compounds)
					val := valueRow{r: r, objType: ObjectRegion, objID: reg.id, code: reg.code, name: reg.name, path: reg.path,
						geometry: reg.geometry, lon: reg.lon, lat: reg.lat, passed: -1}
					if p, ok := CoveragePercent(done, old); ok {
						val.value, val.hasValue = p, true
					}
					val.detail = mustJSON(map[string]any{"old_compounds": old, "renovated": done, "cutoff_year": r.CutoffYear, "renovated_statuses": r.RenovatedStatuses})
					e.values = append(e.values, val)
				}
			}
			e.results = append(e.results, e.result(r, v, e.values[first:]))
			first = len(e.values)
		}
	}
	for _, ind := range e.skipped {
		e.results = append(e.results, resultRow{ind: ind, passed: -1, note: "not computed: needs " + ind.Needs})
	}
	return nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// coverFlags returns, per compound, whether it is covered (1), not (0) or
// unknown (-1) under a coverage rule and variant.
func (e *engine) coverFlags(r *rule, v string) ([]int8, error) {
	flags := make([]int8, len(e.compounds))
	switch r.ind.Rule {
	case "radius_coverage":
		d := e.dists[setKey(r.Categories, 0)]
		for c := range e.compounds {
			_, dist := d.get(v, c)
			flags[c] = coverFlag(dist, r.RadiusM)
		}
	case "park_coverage":
		for c := range e.compounds {
			flags[c] = 0
			unknown := false
			for _, cl := range r.Classes {
				_, dist := e.dists[setKey(r.Categories, cl.MinSiteAreaM2)].get(v, c)
				switch coverFlag(dist, cl.RadiusM) {
				case 1:
					flags[c] = 1
				case -1:
					unknown = true
				}
			}
			if flags[c] == 0 && unknown {
				flags[c] = -1
			}
		}
	case "life_circle_rate":
		f, ok := e.flags[r.From+"|"+v]
		if !ok {
			return nil, fmt.Errorf("%s: %s was not computed in this run", r.ind.Code, r.From)
		}
		copy(flags, f)
	}
	return flags, nil
}

func coverFlag(d, radius float64) int8 {
	if math.IsNaN(d) {
		return -1
	}
	return passFlag(Within(d, radius))
}

// levelRegions returns the regions that are objects of a block or district
// indicator: communities (or grids, when there are none) for blocks; districts
// for districts, or the scope region itself when it lies below a district.
func (e *engine) levelRegions(level string) []*regionRow {
	pick := func(l string) []*regionRow {
		var out []*regionRow
		for i := range e.regions {
			if e.regions[i].level == l {
				out = append(out, &e.regions[i])
			}
		}
		return out
	}
	if level == LevelBlock {
		if out := pick(places.LevelCommunity); len(out) > 0 {
			return out
		}
		return pick(places.LevelGrid)
	}
	if out := pick(places.LevelDistrict); len(out) > 0 {
		return out
	}
	if e.scopePath != "" {
		for i := range e.regions {
			if e.regions[i].path == e.scopePath {
				return []*regionRow{&e.regions[i]}
			}
		}
	}
	return pick(places.LevelCity)
}

func (e *engine) cover(flags []int8, compounds []int) (covered, total, unknown int64) {
	for _, c := range compounds {
		h := e.compounds[c].households
		switch flags[c] {
		case 1:
			covered += h
			total += h
		case 0:
			total += h
		default:
			unknown += h
		}
	}
	return
}

func (e *engine) coverageValue(r *rule, v string, reg *regionRow, flags []int8) valueRow {
	val := valueRow{r: r, variant: v, objType: ObjectRegion, objID: reg.id, code: reg.code, name: reg.name, path: reg.path,
		geometry: reg.geometry, lon: reg.lon, lat: reg.lat, threshold: r.MinPercent, hasThreshold: true, passed: -1}
	covered, total, unknown := e.cover(flags, reg.compounds)
	if p, ok := CoveragePercent(covered, total); ok {
		val.value, val.hasValue = p, true
		val.passed = passFlag(CoverageMeets(covered, total, r.MinPercent))
	}
	val.detail = mustJSON(map[string]any{"variant": v, "covered_households": covered, "households": total, "unknown_households": unknown, "compounds": len(reg.compounds)})
	return val
}

func (e *engine) oldRenovated(r *rule, compounds []int) (old, done int64) {
	for _, c := range compounds {
		cp := &e.compounds[c]
		if cp.builtYear > 0 && cp.builtYear <= r.CutoffYear {
			old++
			if slices.Contains(r.RenovatedStatuses, cp.renovation) {
				done++
			}
		}
	}
	return
}

// result sums one rule's values (of one variant) into its headline figure.
func (e *engine) result(r *rule, v string, vals []valueRow) resultRow {
	res := resultRow{ind: r.ind, variant: v, computed: true, passed: -1, objects: len(vals)}
	var sum float64
	for _, val := range vals {
		switch val.passed {
		case 0:
			res.failing++
		case -1:
			res.unknown++
		}
		if val.hasValue {
			sum += val.value
		}
	}
	all := make([]int, len(e.compounds))
	for i := range all {
		all[i] = i
	}
	switch r.ind.Kind {
	case KindCount:
		res.value, res.hasValue, res.threshold, res.hasThreshold = float64(res.failing), true, 0, true
		if r.ind.Aggregate == "sum" {
			res.value = sum
		}
		res.passed = passFlag(res.value <= 0)
	case KindCoverage:
		flags, err := e.coverFlags(r, v)
		if err == nil {
			covered, total, _ := e.cover(flags, all)
			res.threshold, res.hasThreshold = r.MinPercent, true
			if p, ok := CoveragePercent(covered, total); ok {
				res.value, res.hasValue, res.passed = p, true, passFlag(CoverageMeets(covered, total, r.MinPercent))
			}
		}
	case KindAggregate:
		old, done := e.oldRenovated(r, all)
		if p, ok := CoveragePercent(done, old); ok {
			res.value, res.hasValue = p, true
		}
		res.note = fmt.Sprintf("%d of %d compounds built up to %d renovated", done, old, r.CutoffYear)
	}
	if res.unknown > 0 && res.note == "" {
		res.note = fmt.Sprintf("%d objects could not be measured", res.unknown)
	}
	return res
}
