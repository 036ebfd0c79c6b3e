package projects

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
)

// DemoOptions tells SeedDemo how to fill the demo district's project pool.
type DemoOptions struct {
	// Seed drives every random choice: the same seed on the same district
	// gives the same projects.
	Seed int64
	// Now is the demo's present; plan years and dates are counted back from it
	// (zero: the service's clock).
	Now time.Time
}

// DemoProject is one project SeedDemo created.
type DemoProject struct {
	ID       int64  `json:"id"`
	Code     string `json:"code"`
	Name     string `json:"name"`
	Type     string `json:"type"`
	Stage    string `json:"stage"`
	PlanYear int    `json:"plan_year"`
	// Overridden is true when the consultation gate was passed over to
	// back-fill a project whose votes and surveys were held on paper.
	Overridden bool `json:"overridden"`
}

// DemoSummary lists what SeedDemo created.
type DemoSummary struct {
	Projects []DemoProject  `json:"projects"`
	ByStage  map[string]int `json:"by_stage"`
	// Findings is how many health-check findings the projects took in.
	Findings int `json:"findings"`
	// Feedback is how many resident opinions were recorded in the four rounds.
	Feedback int `json:"feedback"`
}

// demoOverrideReason is the written reason for passing over the consultation
// gate of a project from an earlier plan year: its survey and owner votes were
// held on paper before the platform was used, as real offices back-fill them.
const demoOverrideReason = "历史项目补录：居民意愿征询与业主表决材料已线下归档（平台启用前完成）"

// demoPlan is one project of the demo: its type, the stage it has reached,
// its plan year (offset from the present year), how many neighbouring
// compounds it bundles, whether it starts from findings, and which compound
// to prefer.
type demoPlan struct {
	stage, typ, mode string
	year             int
	bundle           int
	findings         bool
	status           string // preferred renovation status of the compound
	name             string // "" = the compound's name; a name filter for heritage and industrial
}

// demoPlans puts projects in every stage: aftercare from earlier years, works
// under way from last year, the pool for next year.
var demoPlans = []demoPlan{
	{stage: StageAftercare, typ: TypeCompound, year: -4, bundle: 1, findings: true, status: "done"},
	{stage: StageAftercare, typ: TypeCompound, year: -3, bundle: 2, findings: true, status: "done"},
	{stage: StageAftercare, typ: TypeCompound, year: -3, bundle: 1, status: "done"},
	{stage: StageAftercare, typ: TypeMicro, year: -2, bundle: 1, status: "done"},
	{stage: StageAftercare, typ: TypeCompound, year: -2, bundle: 1, findings: true, status: "done"},
	{stage: StageAcceptance, typ: TypeCompound, year: -2, bundle: 1, findings: true, status: "in_progress"},
	{stage: StageAcceptance, typ: TypeCompound, year: -1, bundle: 1, findings: true, status: "in_progress"},
	{stage: StageConstruction, typ: TypeCompound, year: -1, bundle: 1, findings: true, status: "in_progress"},
	{stage: StageConstruction, typ: TypeCompound, year: -1, bundle: 2, findings: true, status: "in_progress"},
	{stage: StageConstruction, typ: TypeCompound, year: -1, bundle: 1, status: "in_progress"},
	{stage: StageConstruction, typ: TypeHeritage, year: -1, bundle: 2, name: "heritage"},
	{stage: StageConstruction, typ: TypeIndustrial, year: 0, bundle: 1, name: "industrial"},
	{stage: StageSample, typ: TypeCompound, year: -1, bundle: 1, findings: true, status: "planned"},
	{stage: StageSample, typ: TypeCompound, year: -1, bundle: 1, findings: true, status: "planned"},
	{stage: StageSample, typ: TypeVillage, mode: "renovate", year: -1, bundle: 1, name: "village"},
	{stage: StageDesign, typ: TypeCompound, year: -1, bundle: 1, findings: true, status: "planned"},
	{stage: StageDesign, typ: TypeCompound, year: -1, bundle: 1, status: "planned"},
	{stage: StageDesign, typ: TypeMicro, year: -1, bundle: 1, status: "planned"},
	{stage: StageConsultation, typ: TypeCompound, year: 0, bundle: 1, findings: true, status: "planned"},
	{stage: StageConsultation, typ: TypeCompound, year: 0, bundle: 2, findings: true, status: "planned"},
	{stage: StageConsultation, typ: TypeCompound, year: 0, bundle: 1, findings: true, status: "none"},
	{stage: StageConsultation, typ: TypeVillage, mode: "mixed", year: 0, bundle: 1, name: "village"},
	{stage: StagePool, typ: TypeCompound, year: 1, bundle: 1, findings: true, status: "none"},
	{stage: StagePool, typ: TypeCompound, year: 1, bundle: 1, findings: true, status: "none"},
	{stage: StagePool, typ: TypeCompound, year: 1, bundle: 3, findings: true, status: "none"},
	{stage: StagePool, typ: TypeVillage, mode: "rebuild", year: 1, bundle: 1, name: "village"},
	{stage: StagePool, typ: TypeCompound, year: 0, bundle: 1, findings: true, status: "none"},
}

// demoCompound is a compound the demo may put in a project.
type demoCompound struct {
	id          int64
	name        string
	subdistrict string // region path of the subdistrict
	builtYear   int
	status      string
	mode        string
	lon, lat    float64
	findings    []int64 // open findings of the latest run on it or its buildings
}

// demoShanghai is China Standard Time, in which the demo's dates are given.
var demoShanghai = time.FixedZone("CST", 8*3600)

// SeedDemo fills the demo district with renewal projects in every stage, so
// that the pool, the statistics and the map are alive on first start. Most
// compound projects start from the open findings of the latest health check
// (grouped by compound); the others are created by hand from compounds built
// before 2000. Each gets work items with quantities and unit costs, funding
// that adds up to its budget, resident feedback in the rounds it has been
// through, approval records, progress, milestones and spend, and is moved
// through the gates to its stage. Projects of earlier plan years pass the
// consultation gate by an audited override stating that their votes and
// surveys were archived on paper; the projects under consultation show what is
// missing. The same seed gives the same projects.
func SeedDemo(ctx context.Context, svc *Service, opts DemoOptions) (DemoSummary, error) {
	sum := DemoSummary{ByStage: map[string]int{}}
	if audit.ActorFrom(ctx).Name == "unknown" {
		ctx = audit.WithActor(ctx, audit.System("demo"))
	}
	now := opts.Now
	if now.IsZero() {
		now = svc.now()
	}
	now = now.UTC().Truncate(time.Second)
	fail := func(err error) (DemoSummary, error) { return sum, fmt.Errorf("demo projects: %w", err) }
	cands, err := demoCandidates(ctx, svc)
	if err != nil {
		return fail(err)
	}
	if len(cands) == 0 {
		return fail(fmt.Errorf("%w: the district has no compound built before 2000", ErrInvalid))
	}
	r := rand.New(rand.NewPCG(uint64(opts.Seed), 0x70726f6a656374))
	w := &demoWorld{svc: svc, r: r, now: now, year: now.In(demoShanghai).Year(), cands: cands, used: map[int64]bool{}}
	var subs []string
	for _, c := range cands {
		if !slices.Contains(subs, c.subdistrict) {
			subs = append(subs, c.subdistrict)
		}
	}
	slices.Sort(subs)
	for i, pl := range demoPlans {
		picked := w.pick(pl, subs[i%len(subs)])
		if len(picked) == 0 {
			continue // a small district may not have a compound for every plan
		}
		dp, err := w.project(ctx, pl, picked)
		if err != nil {
			return fail(err)
		}
		sum.Projects = append(sum.Projects, dp)
		sum.ByStage[dp.Stage]++
	}
	sum.Findings, sum.Feedback = w.findings, w.feedback
	return sum, nil
}

// demoCandidates reads the compounds built up to 2000 with their subdistrict
// and the open findings of the latest health check on them and their buildings.
func demoCandidates(ctx context.Context, svc *Service) ([]demoCompound, error) {
	rows, err := svc.db.Read().QueryContext(ctx, `SELECT c.id, c.name, c.region_path, COALESCE(c.built_year, 0), c.renovation_status, c.property_mode,
		COALESCE(c.lon, 0), COALESCE(c.lat, 0) FROM compounds c WHERE c.built_year <= 2000 ORDER BY c.id`)
	if err != nil {
		return nil, fmt.Errorf("compounds: %w", err)
	}
	var out []demoCompound
	idx := map[int64]int{}
	for rows.Next() {
		var c demoCompound
		if err := rows.Scan(&c.id, &c.name, &c.subdistrict, &c.builtYear, &c.status, &c.mode, &c.lon, &c.lat); err != nil {
			rows.Close()
			return nil, fmt.Errorf("compounds: %w", err)
		}
		// The subdistrict is the third region of the path (/city/district/subdistrict/…).
		parts := strings.Split(strings.Trim(c.subdistrict, "/"), "/")
		if len(parts) >= 3 {
			c.subdistrict = "/" + strings.Join(parts[:3], "/") + "/"
		}
		idx[c.id] = len(out)
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("compounds: %w", err)
	}
	rows, err = svc.db.Read().QueryContext(ctx, `SELECT f.id, CASE WHEN f.object_type = 'compound' THEN f.object_id ELSE COALESCE(b.compound_id, 0) END
		FROM findings f LEFT JOIN buildings b ON f.object_type = 'building' AND b.id = f.object_id
		WHERE f.status IN ('new', 'open') AND f.object_type IN ('compound', 'building')
		  AND f.last_run_id = (SELECT MAX(id) FROM checkup_runs WHERE status = 'done')
		  AND (f.indicator_code LIKE 'housing.%' OR f.indicator_code IN ('compound.property_management', 'compound.elderly_care'))
		ORDER BY f.id`)
	if err != nil {
		return nil, fmt.Errorf("findings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var fid, cid int64
		if err := rows.Scan(&fid, &cid); err != nil {
			return nil, fmt.Errorf("findings: %w", err)
		}
		if i, ok := idx[cid]; ok {
			out[i].findings = append(out[i].findings, fid)
		}
	}
	return out, rows.Err()
}

// demoWorld is the state of one SeedDemo call.
type demoWorld struct {
	svc      *Service
	r        *rand.Rand
	now      time.Time
	year     int
	cands    []demoCompound
	used     map[int64]bool
	findings int
	feedback int
}

// at returns the service with its clock stopped at t, so that the stage
// events, records and feedback of a back-filled project carry their dates.
func (w *demoWorld) at(t time.Time) *Service {
	c := *w.svc
	c.now = func() time.Time { return t }
	return &c
}

// fits reports whether compound c suits plan pl.
func (w *demoWorld) fits(pl demoPlan, c demoCompound) bool {
	if w.used[c.id] {
		return false
	}
	switch pl.name {
	case "heritage":
		return demoContainsAny(c.name, "文庙", "书院", "城隍", "鼓楼", "府前", "学前", "县前")
	case "industrial":
		return strings.Contains(c.name, "宿舍")
	case "village":
		return (strings.HasSuffix(c.name, "一村") || strings.HasSuffix(c.name, "二村")) && c.mode == "none"
	}
	if pl.findings && len(c.findings) == 0 {
		return false
	}
	return c.builtYear < 2000
}

func demoContainsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// pick chooses the compounds of plan pl: one that suits it, in the preferred
// subdistrict and with the preferred renovation status when there is one,
// then its nearest suitable neighbours in the same subdistrict.
func (w *demoWorld) pick(pl demoPlan, sub string) []demoCompound {
	var pool []demoCompound
	for _, pass := range []func(c demoCompound) bool{
		func(c demoCompound) bool { return c.subdistrict == sub && (pl.status == "" || c.status == pl.status) },
		func(c demoCompound) bool { return pl.status == "" || c.status == pl.status },
		func(c demoCompound) bool { return true },
	} {
		for _, c := range w.cands {
			if w.fits(pl, c) && pass(c) {
				pool = append(pool, c)
			}
		}
		if len(pool) > 0 {
			break
		}
	}
	if len(pool) == 0 {
		return nil
	}
	first := pool[w.r.IntN(len(pool))]
	w.used[first.id] = true
	out := []demoCompound{first}
	for len(out) < pl.bundle {
		best, bestD := -1, 0.0
		for i, c := range w.cands {
			if c.subdistrict != first.subdistrict || !w.fits(pl, c) {
				continue
			}
			d := (c.lon-first.lon)*(c.lon-first.lon) + (c.lat-first.lat)*(c.lat-first.lat)
			if best < 0 || d < bestD {
				best, bestD = i, d
			}
		}
		if best < 0 {
			break
		}
		w.used[w.cands[best].id] = true
		out = append(out, w.cands[best])
	}
	return out
}

// schedule returns when the project entered each stage up to target: created
// in the autumn before its plan year, consulted in the winter, designed in the
// spring, built over the summer; compressed to end before now.
func (w *demoWorld) schedule(planYear, target int) []time.Time {
	r := w.r
	day := 24 * time.Hour
	t := make([]time.Time, target+1)
	t[0] = time.Date(planYear-1, 9, 1+r.IntN(40), 9+r.IntN(8), r.IntN(60), 0, 0, demoShanghai).UTC()
	gaps := [][2]int{{0, 0}, {100, 140}, {50, 80}, {45, 70}, {30, 50}, {150, 220}, {30, 60}}
	for k := 1; k <= target; k++ {
		g := gaps[k]
		t[k] = t[k-1].Add(time.Duration(g[0]+r.IntN(g[1]-g[0]+1))*day + time.Duration(r.IntN(8))*time.Hour)
	}
	limit := w.now.Add(-time.Duration(2+r.IntN(10)) * day)
	if latest := limit.Add(-time.Duration(25*target+20) * day); t[0].After(latest) {
		t[0] = latest.Add(-time.Duration(r.IntN(10)) * day)
	}
	// A project still under way entered its stage in the last months; a
	// finished one ends before now.
	recent := map[int][2]int{1: {20, 120}, 2: {20, 100}, 3: {20, 80}, 4: {60, 200}, 5: {10, 40}}
	want := limit
	if d, ok := recent[target]; ok {
		want = w.now.Add(-time.Duration(d[0]+r.IntN(d[1]-d[0]+1)) * day)
	} else if !t[target].After(limit) {
		return t
	}
	if target > 0 && want.After(t[0]) {
		span, to := t[target].Sub(t[0]), want.Sub(t[0])
		base := t[0]
		for k := 1; k <= target; k++ {
			t[k] = base.Add(time.Duration(float64(t[k].Sub(base)) * float64(to) / float64(span)))
		}
	}
	return t
}

// demoEarlier returns the earlier of a and b.
func demoEarlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// demoScope is what the items of a project are sized from.
type demoScope struct {
	households []int64
	entrances  []int64 // without an elevator, in buildings of five storeys or more
	buildings  []int64
	storeys    float64
}

func (w *demoWorld) scope(ctx context.Context, id int64) (demoScope, error) {
	var s demoScope
	q := w.svc.db.Read()
	ids := func(query string) ([]int64, error) {
		rows, err := q.QueryContext(ctx, query, id)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []int64
		for rows.Next() {
			var v int64
			if err := rows.Scan(&v); err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, rows.Err()
	}
	var err error
	if s.households, err = ids(`SELECT h.id FROM households h WHERE h.building_id IN (` + scopeBuildings + `) ORDER BY h.id`); err != nil {
		return s, fmt.Errorf("scope households: %w", err)
	}
	if s.entrances, err = ids(`SELECT e.id FROM entrances e JOIN buildings b ON b.id = e.building_id WHERE b.id IN (` + scopeBuildings + `)
		AND NOT e.has_elevator AND b.storeys >= 5 ORDER BY e.id`); err != nil {
		return s, fmt.Errorf("scope entrances: %w", err)
	}
	if s.buildings, err = ids(`SELECT x.id FROM (` + scopeBuildings + `) x ORDER BY x.id`); err != nil {
		return s, fmt.Errorf("scope buildings: %w", err)
	}
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(AVG(storeys), 6) FROM buildings WHERE id IN (`+scopeBuildings+`)`, id).Scan(&s.storeys); err != nil {
		return s, fmt.Errorf("scope storeys: %w", err)
	}
	if s.storeys < 1 {
		s.storeys = 1
	}
	return s, nil
}

// demoItem is a work item to add with its funding shares in per cent (the
// last source takes what the rounding leaves).
type demoItem struct {
	in    ItemInput
	split []demoShare
}

type demoShare struct {
	source string
	pct    int64
	note   string
}

// between returns a whole number from lo to hi.
func (w *demoWorld) between(lo, hi int64) int64 { return lo + w.r.Int64N(hi-lo+1) }

// items sizes the work items of a project of type typ from its scope.
func (w *demoWorld) items(pl demoPlan, p Project, sc demoScope) []demoItem {
	areaM2 := max(p.Scope.AreaDM2/100, 1000)
	hh := max(int64(len(sc.households)), 20)
	nb := max(int64(len(sc.buildings)), 1)
	roof := max(int64(float64(areaM2)/sc.storeys*1.1), 300)
	yuan := func(lo, hi int64) int64 { return w.between(lo, hi) * 100 }
	item := func(kind, name string, qty, cost int64, split ...demoShare) demoItem {
		return demoItem{in: ItemInput{Kind: kind, Name: name, QuantityMilli: qty * 1000, UnitCostFen: cost, VoteMatter: -1}, split: split}
	}
	basic := []demoShare{{SourceCentral, 60, "中央补助资金"}, {SourceLocal, 40, "市区两级财政"}}
	shell := []demoShare{{SourceCentral, 50, "中央补助资金"}, {SourceLocal, 35, "市区两级财政"}, {SourceMaintenanceFund, 15, "使用专项维修资金"}}
	utility := func(firm string) []demoShare {
		return []demoShare{{SourceCentral, 55, "中央补助资金"}, {SourceLocal, 30, "市区两级财政"}, {SourceEnterprise, 15, firm}}
	}
	improve := []demoShare{{SourceCentral, 30, "中央补助资金"}, {SourceLocal, 70, "区级财政"}}
	var out []demoItem
	switch pl.typ {
	case TypeCompound:
		out = append(out,
			item("roof", "屋面防水", roof, yuan(120, 180), shell...),
			item("water_pipes", "给水管网改造", hh*w.between(6, 10), yuan(200, 400), utility("供水公司出资")...),
			item("facade", "外墙保温及立面整治", areaM2*w.between(55, 75)/100, yuan(180, 260), shell...),
			item("fire_safety", "消防设施完善", nb, yuan(8000, 15000), basic...),
			item("lighting", "路灯及楼道照明", nb*6+w.between(10, 30), yuan(800, 1500), improve...),
			item("ramps", "无障碍坡道", max(int64(len(sc.entrances))/2, nb/2, 2), yuan(6000, 9000), improve...),
		)
		if w.r.IntN(3) > 0 {
			out = append(out, item("gas_pipes", "燃气管道更新", hh*w.between(4, 7), yuan(250, 380), utility("燃气公司出资")...))
		}
		if w.r.IntN(5) < 2 {
			out = append(out, item("drainage", "雨污分流改造", hh*w.between(3, 6), yuan(450, 650), basic...))
		}
		if w.r.IntN(2) == 0 {
			out = append(out, item("chargers", "电动自行车充电桩", max(hh/25, 4), yuan(3000, 4500),
				demoShare{SourceEnterprise, 80, "运营企业投资建设"}, demoShare{SourceLocal, 20, "区级财政"}))
		}
		if w.r.IntN(10) < 3 {
			out = append(out, item("service_centre", "社区综合服务站（含助餐点）", w.between(200, 450), yuan(2800, 4000),
				demoShare{SourceCentral, 40, "中央补助资金"}, demoShare{SourceLocal, 60, "市区两级财政"}))
		}
		if len(sc.entrances) > 0 && w.r.IntN(10) < 6 {
			n := min(len(sc.entrances), 1+w.r.IntN(3))
			for _, e := range sc.entrances[:n] {
				it := item("elevator", "加装电梯", 1, yuan(550_000, 700_000),
					demoShare{SourceLocal, 35, "加装电梯财政补贴"}, demoShare{SourceProvidentFund, 30, "提取住房公积金"},
					demoShare{SourceResidents, 35, "业主按楼层分摊"})
				it.in.TargetType, it.in.TargetID = "entrance", e
				out = append(out, it)
			}
		}
	case TypeMicro:
		out = append(out,
			item("greening", "口袋公园及绿化提升", w.between(600, 1500), yuan(300, 450), improve...),
			item("lighting", "景观及步道照明", w.between(20, 45), yuan(1200, 2000), improve...),
			item("ramps", "无障碍坡道及扶手", w.between(4, 10), yuan(6000, 9000), improve...),
			item("parcel_lockers", "智能快递柜", w.between(2, 4), yuan(18000, 26000), demoShare{SourceEnterprise, 100, "快递企业投放"}),
		)
	case TypeHeritage:
		out = append(out,
			item("facade", "传统风貌立面修缮", areaM2*w.between(40, 55)/100, yuan(380, 520), basic...),
			item("roads", "石板街巷路面修复", w.between(2500, 5000), yuan(320, 450), basic...),
			item("power", "架空线入地", w.between(800, 1600), yuan(600, 900), utility("供电公司出资")...),
			item("drainage", "街巷排水管网改造", w.between(600, 1200), yuan(450, 650), basic...),
			item("fire_safety", "消防设施及微型消防站", nb+2, yuan(12000, 20000), basic...),
			item("lighting", "街巷照明", w.between(40, 80), yuan(1500, 2500), improve...),
		)
	case TypeIndustrial:
		out = append(out,
			item("energy_retrofit", "旧厂房节能改造", w.between(6000, 12000), yuan(350, 500),
				demoShare{SourceEnterprise, 70, "更新主体企业自筹"}, demoShare{SourceLocal, 30, "区级工业更新专项"}),
			item("power", "电力增容改造", w.between(600, 1200), yuan(700, 1000),
				demoShare{SourceEnterprise, 60, "更新主体企业自筹"}, demoShare{SourceLocal, 40, "区级工业更新专项"}),
			item("roads", "厂区道路及停车场改造", w.between(3000, 6000), yuan(200, 300),
				demoShare{SourceEnterprise, 50, "更新主体企业自筹"}, demoShare{SourceLocal, 50, "区级工业更新专项"}),
			item("fire_safety", "消防系统改造", nb+3, yuan(20000, 35000), demoShare{SourceEnterprise, 100, "更新主体企业自筹"}),
			item("smart_sensing", "园区智慧管理平台", 1, yuan(300_000, 500_000), demoShare{SourceEnterprise, 100, "更新主体企业自筹"}),
		)
	case TypeVillage:
		out = append(out,
			item("roads", "村内道路硬化及拓宽", w.between(3000, 7000), yuan(180, 260), basic...),
			item("drainage", "污水管网接入市政", hh*w.between(4, 7), yuan(450, 650), basic...),
			item("water_pipes", "供水管网改造", hh*w.between(5, 8), yuan(200, 350), utility("供水公司出资")...),
			item("fire_safety", "消防通道及消防设施", nb+4, yuan(9000, 14000), basic...),
			item("illegal_structures", "违章搭建拆除", w.between(800, 2000), yuan(80, 150), improve...),
			item("lighting", "巷道照明", nb*4+20, yuan(800, 1300), improve...),
		)
	}
	return out
}

// demoSplit divides budget by the shares; the last source takes the remainder, so
// the amounts add up to the budget exactly.
func demoSplit(budget int64, shares []demoShare) []Funding {
	out := make([]Funding, len(shares))
	var given int64
	for i, s := range shares {
		amt := budget * s.pct / 100
		if i == len(shares)-1 {
			amt = budget - given
		}
		out[i] = Funding{Source: s.source, AmountFen: amt, Note: s.note}
		given += amt
	}
	return out
}

// names of the project types in project names.
var demoTypeSuffix = map[string]string{
	TypeCompound:   "老旧小区改造",
	TypeVillage:    "城中村改造",
	TypeIndustrial: "工业用地更新",
	TypeHeritage:   "历史文化街区保护更新",
	TypeMicro:      "口袋公园微更新",
}

func demoName(pl demoPlan, planYear int, cs []demoCompound) string {
	base := cs[0].name
	switch {
	case pl.typ == TypeIndustrial:
		if b, _, ok := strings.Cut(base, "宿舍"); ok && b != "" {
			base = b
		}
		base += "厂片区"
	case len(cs) > 1:
		base = fmt.Sprintf("%s等%d个小区", base, len(cs))
	}
	return fmt.Sprintf("%d年%s%s", planYear, base, demoTypeSuffix[pl.typ])
}

func demoDescription(pl demoPlan, cs []demoCompound) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.name
	}
	list := strings.Join(names, "、")
	switch pl.typ {
	case TypeVillage:
		mode := map[string]string{"rebuild": "拆除重建", "renovate": "整治提升", "mixed": "拆整结合"}[pl.mode]
		return fmt.Sprintf("%s城中村按%s方式更新：完善道路、排水、供水和消防设施，拆除违章搭建，改善村民居住条件。", list, mode)
	case TypeIndustrial:
		return fmt.Sprintf("原厂区及%s一带低效工业用地更新：旧厂房节能改造和电力增容，引入创意办公和小微企业，由更新主体企业投资为主。", list)
	case TypeHeritage:
		return fmt.Sprintf("%s所在历史街巷保护更新：按传统风貌修缮立面，修复石板路面，架空线入地，完善排水与消防。", list)
	case TypeMicro:
		return fmt.Sprintf("利用%s边角空地建设口袋公园，增设步道照明、无障碍设施和快递柜。", list)
	}
	return fmt.Sprintf("%s建于%d年，列入老旧小区改造计划：基础类改造屋面、管网、外墙和消防，完善类增设无障碍、照明等设施，按居民意愿加装电梯。", list, cs[0].builtYear)
}

// project creates one demo project and takes it to its stage.
func (w *demoWorld) project(ctx context.Context, pl demoPlan, cs []demoCompound) (DemoProject, error) {
	planYear := w.year + pl.year
	target := StageIndex(pl.stage)
	times := w.schedule(planYear, target)
	np := NewProject{Name: demoName(pl, planYear, cs), Type: pl.typ, Mode: pl.mode, PlanYear: planYear, Description: demoDescription(pl, cs)}
	for _, c := range cs {
		if pl.findings {
			np.Findings = append(np.Findings, c.findings...)
		} else {
			np.Compounds = append(np.Compounds, c.id)
		}
	}
	p, err := w.at(times[0]).Create(ctx, np)
	if err != nil {
		return DemoProject{}, err
	}
	w.findings += len(np.Findings)
	dp := DemoProject{ID: p.ID, Code: p.Code, Name: p.Name, Type: p.Type, PlanYear: p.PlanYear}
	sc, err := w.scope(ctx, p.ID)
	if err != nil {
		return dp, err
	}
	if err := w.works(ctx, p, pl, target, times, sc); err != nil {
		return dp, fmt.Errorf("works of %s: %w", p.Code, err)
	}
	// Walk the stages through the gates.
	for k := 0; k < target; k++ {
		stage, next := Stages[k], times[k+1]
		svc := w.at(next.Add(-time.Duration(1+w.r.IntN(48)) * time.Hour))
		switch stage {
		case StageDesign:
			if _, err := svc.AddRecord(ctx, p.ID, RecordDesignApproval, fmt.Sprintf("施工图设计经区住房和城乡建设局审查通过（区住建审〔%d〕%d号）", next.In(demoShanghai).Year(), 10+w.r.IntN(180)), 0); err != nil {
				return dp, err
			}
		case StageSample:
			if err := w.sample(ctx, svc, p, sc, true); err != nil {
				return dp, err
			}
		case StageAcceptance:
			if _, err := svc.AddRecord(ctx, p.ID, RecordCompletionAcceptance, "建设、设计、施工、监理单位及居民代表联合竣工验收合格", 0); err != nil {
				return dp, err
			}
		}
		adv := w.at(next)
		_, err := adv.Advance(ctx, p.ID, false, "")
		var ge *GateError
		if errors.As(err, &ge) && stage == StageConsultation && planYear < w.year {
			_, err = adv.Advance(ctx, p.ID, true, demoOverrideReason)
			dp.Overridden = true
		}
		if err != nil {
			return dp, fmt.Errorf("advance %s from %s: %w", p.Code, stage, err)
		}
	}
	now := w.at(w.now.Add(-time.Duration(1+w.r.IntN(72)) * time.Hour))
	// The sample building is being shown and its acceptance awaited.
	if target == StageIndex(StageSample) {
		if err := w.sample(ctx, now, p, sc, false); err != nil {
			return dp, err
		}
	}
	// Per-household notes on the projects under consultation.
	if target == StageIndex(StageConsultation) && len(sc.households) > 0 {
		for i, n := range demoNotes {
			h := sc.households[w.r.IntN(len(sc.households))]
			in := NoteInput{ProjectID: p.ID, Kind: n.kind, Body: n.body}
			if n.kind == "follow_up" {
				in.DueOn = w.now.Add(time.Duration(5+i*3) * 24 * time.Hour).In(demoShanghai).Format(dateLayout)
			}
			if _, err := now.AddNote(ctx, h, in); err != nil {
				return dp, err
			}
		}
	}
	dp.Stage = pl.stage
	return dp, nil
}

// sample chooses the sample building and, when accept is set, records its
// acceptance.
func (w *demoWorld) sample(ctx context.Context, svc *Service, p Project, sc demoScope, accept bool) error {
	if g := DefaultGate(p.Type, StageSample); !g.Has(CondSampleAcceptance) || len(sc.buildings) == 0 {
		return nil
	}
	cur, err := svc.Get(ctx, p.ID)
	if err != nil {
		return err
	}
	b := sc.buildings[w.r.IntN(len(sc.buildings))]
	if _, err := svc.Update(ctx, p.ID, ProjectUpdate{Name: cur.Name, Description: cur.Description, PlanYear: cur.PlanYear, SampleBuildingID: b}); err != nil {
		return err
	}
	if !accept {
		return nil
	}
	_, err = svc.AddRecord(ctx, p.ID, RecordSampleAcceptance, "样板楼栋经居民代表、设计和监理单位现场验收，同意按样板标准全面施工", 0)
	return err
}

// works writes, in one transaction with one audit entry, what a project has
// accumulated by its stage: the work items with their funding (in full from
// consultation on; a pool project has the money of its basic items lined up
// only) and progress, the milestones with planned and actual dates (some
// late), the payments, and the residents' opinions of every round it has
// reached — the rounds it has left answered in full, the current one in part.
// The gates read these records when the project is then moved to its stage.
func (w *demoWorld) works(ctx context.Context, p Project, pl demoPlan, target int, times []time.Time, sc demoScope) error {
	iDesign, iSample, iWorks, iAccept := StageIndex(StageDesign), StageIndex(StageSample), StageIndex(StageConstruction), StageIndex(StageAcceptance)
	day := 24 * time.Hour
	date := func(t time.Time) string { return t.In(demoShanghai).Format(dateLayout) }
	a := audit.ActorFrom(ctx)
	summary := map[string]int{}
	return w.svc.db.Tx(ctx, func(tx *sql.Tx) error {
		// Items, funding and progress.
		type added struct {
			id, budget int64
			kind       string
			pct        int
		}
		var items []added
		funding := w.svc.db.NewInserter(tx, "project_funding", "item_id", "source", "amount_fen", "note")
		for i, di := range w.items(pl, p, sc) {
			in, k := di.in, Kind(di.in.Kind)
			pct := 0
			switch {
			case target > iWorks:
				pct = 100
			case target == iWorks:
				pct = 15 + w.r.IntN(81)
				if i == 0 {
					pct = 100
				}
			}
			budget := Budget(in.QuantityMilli, in.UnitCostFen)
			var id int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO project_items (project_id, class, kind, name, quantity_milli, unit, unit_cost_fen, budget_fen,
				weight, progress_pct, vote_matter, target_type, target_id, share_rule, share_params, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10, $11, $12, $13, '{}', $14, $15) RETURNING id`,
				p.ID, k.Class, k.Code, in.Name, in.QuantityMilli, k.Unit, in.UnitCostFen, budget, pct, k.Matter, in.TargetType, in.TargetID,
				k.Rule, times[0], times[target]).Scan(&id); err != nil {
				return fmt.Errorf("item %s: %w", in.Name, err)
			}
			items = append(items, added{id, budget, k.Code, pct})
			summary["items"]++
			if target == 0 && k.Class != ClassBasic {
				continue
			}
			for _, f := range demoSplit(budget, di.split) {
				if f.AmountFen == 0 {
					continue
				}
				if err := funding.Add(ctx, id, f.Source, f.AmountFen, f.Note); err != nil {
					return err
				}
				summary["funding"]++
			}
		}
		if _, err := funding.Flush(ctx); err != nil {
			return err
		}
		// Milestones: planned dates from the schedule, actual dates when the
		// project has got that far (three in ten late).
		reached := func(planned time.Time, k int) string {
			if target <= k {
				return ""
			}
			actual := times[k+1].Add(-time.Duration(w.r.IntN(5)) * day)
			if w.r.IntN(10) < 3 {
				actual = planned.Add(time.Duration(10+w.r.IntN(35)) * day)
			}
			return date(demoEarlier(actual, w.now))
		}
		if target >= iDesign {
			type ms struct {
				item             int64
				name, plan, done string
			}
			var list []ms
			plan := times[iDesign].Add(time.Duration(40+w.r.IntN(20)) * day)
			list = append(list, ms{0, "施工图设计及审查", date(plan), reached(plan, iDesign)})
			if target >= iSample {
				plan = times[iSample].Add(time.Duration(35+w.r.IntN(15)) * day)
				list = append(list, ms{0, "样板楼栋完工并展示", date(plan), reached(plan, iSample)})
			}
			works, started := times[min(target, iWorks)], target >= iWorks
			if !started {
				works = w.now.Add(time.Duration(60+w.r.IntN(60)) * day)
			}
			list = append(list, ms{0, "施工单位进场开工", date(works.Add(-time.Duration(w.r.IntN(10)) * day)), map[bool]string{true: date(works)}[started]})
			for _, it := range items {
				if it.kind == "elevator" {
					at := works.Add(120 * day)
					list = append(list, ms{it.id, "电梯井道及设备安装", date(at), reached(at, iWorks)})
					break
				}
			}
			end := works.Add(time.Duration(150+w.r.IntN(40)) * day)
			list = append(list, ms{0, "主体工程完工", date(end), reached(end, iWorks)})
			accept := end.Add(time.Duration(20+w.r.IntN(20)) * day)
			list = append(list, ms{0, "竣工联合验收", date(accept), reached(accept, iAccept)})
			mi := w.svc.db.NewInserter(tx, "project_milestones", "project_id", "item_id", "name", "planned_on", "actual_on", "note", "created_at", "updated_at")
			for _, m := range list {
				note := ""
				if m.done == "" && started && m.plan < date(w.now) {
					note = "受雨季及管线迁改影响，工期顺延"
				}
				if err := mi.Add(ctx, p.ID, nullID(m.item), m.name, m.plan, m.done, note, times[iDesign], times[target]); err != nil {
					return err
				}
				summary["milestones"]++
			}
			if _, err := mi.Flush(ctx); err != nil {
				return err
			}
		}
		// Payments: an advance at the start of the works, then progress or
		// final payments.
		if target >= iWorks {
			sp := w.svc.db.NewInserter(tx, "project_spend", "project_id", "item_id", "amount_fen", "spent_on", "note", "created_by", "created_at")
			start := times[iWorks]
			for _, it := range items {
				if it.budget < 100 {
					continue
				}
				on := start.Add(time.Duration(5+w.r.IntN(10)) * day)
				if err := sp.Add(ctx, p.ID, it.id, it.budget*30/100, date(demoEarlier(on, w.now)), "工程预付款", a.Name, demoEarlier(on, w.now)); err != nil {
					return err
				}
				summary["payments"]++
				var rest int64
				note := "工程结算款"
				switch {
				case target == iWorks && it.pct >= 50:
					rest, on, note = it.budget*int64(it.pct*7/10-30)/100, w.now.Add(-time.Duration(5+w.r.IntN(20))*day), "工程进度款"
				case target == iAccept:
					rest, on, note = it.budget*60/100, times[iAccept].Add(time.Duration(w.r.IntN(10))*day), "工程进度款"
				case target > iAccept:
					rest, on = it.budget*w.between(62, 70)/100, times[iAccept].Add(time.Duration(15+w.r.IntN(20))*day)
				}
				if rest > 0 {
					on = demoEarlier(on, w.now)
					if err := sp.Add(ctx, p.ID, it.id, rest, date(on), note, a.Name, on); err != nil {
						return err
					}
					summary["payments"]++
				}
			}
			if _, err := sp.Flush(ctx); err != nil {
				return err
			}
		}
		n, err := w.opinions(ctx, tx, p, pl, target, times, sc)
		if err != nil {
			return err
		}
		summary["opinions"] = n
		w.feedback += n
		return w.svc.log.Record(ctx, tx, audit.Change{Action: "project.demo.import", ObjectType: "project", ObjectID: itoa(p.ID),
			After: map[string]any{"code": p.Code, "records": summary}})
	})
}

var demoNotes = []struct{ kind, body string }{
	{"concern", "一楼住户担心加装电梯影响采光和通风，希望先看到日照分析报告。"},
	{"agreement", "同意按楼层分摊加装电梯费用，愿意提取住房公积金支付本户份额。"},
	{"follow_up", "户主在外地工作，约定下周末回来时上门说明改造方案并签字确认。"},
	{"concern", "老人行动不便，希望施工期间楼道保持通行，并提前告知停水停气时间。"},
	{"agreement", "同意拆除自家搭建的阳台雨棚，配合屋面防水施工。"},
	{"follow_up", "对燃气管道入户改线有疑问，已联系燃气公司技术人员一同上门解释。"},
}

// demoOpinion is one kind of opinion residents give in a round, with the
// answers an office gives when it adopts or explains it.
type demoOpinion struct{ topic, body, adopted, explained string }

var demoOpinions = map[string][]demoOpinion{
	RoundSurvey: {
		{"加装电梯", "家里有老人，上下楼困难，希望本单元加装电梯。", "已列入改造内容，由本单元业主表决后实施。", "加装电梯须本单元业主表决通过，社区将组织协商。"},
		{"停车", "小区停车难，晚上车辆乱停堵住消防通道。", "设计中利用边角空地增设停车位并划线管理。", "小区用地有限，另与周边单位协商错时共享停车。"},
		{"屋面漏水", "顶楼漏水多年，下雨天家里要用盆接水。", "屋面防水列为基础类改造，优先实施。", "屋面防水已在改造范围内，施工时先做顶层。"},
		{"排水", "下雨时小区门口积水严重，雨水倒灌进车棚。", "已增加雨污分流及道路排水改造。", "积水由市政管网引起，已转市政部门同步处理。"},
		{"充电", "电动车在楼道里充电不安全，希望集中建充电桩。", "增设电动自行车集中充电棚。", "充电设施需业主共同决定使用共有部分，将一并表决。"},
		{"适老化", "楼道没有扶手，希望加装扶手和照明。", "楼道扶手和感应照明纳入适老化改造。", "扶手安装须保证消防疏散宽度，按规范设置。"},
		{"费用", "想了解改造要不要居民出钱、出多少。", "公示资金筹措方案及分户测算表。", "基础类改造由财政出资，加装电梯等按自愿原则分摊。"},
	},
	RoundDesign: {
		{"电梯位置", "电梯井道放在南面会挡住一楼采光。", "调整井道位置至北侧楼梯间。", "已做日照分析，满足国家日照标准。"},
		{"外墙颜色", "外墙颜色希望保持原来的灰白色调。", "立面配色调整为灰白色系。", "配色按片区风貌导则确定，已作说明。"},
		{"充电桩位置", "充电棚离住宅窗户太近，担心安全。", "充电棚移至距住宅6米以外的空地。", "充电棚按消防规范设置并配烟感和灭火器。"},
		{"绿化", "设计不要砍掉小区里的老香樟树。", "保留全部大树，步道绕树布置。", "该树影响管线施工，改为移栽至小区中心绿地。"},
		{"停车位", "新画的停车位太窄，老人倒车困难。", "车位宽度调整为2.5米。", "受道路宽度所限，已在入口处增设临时停车位。"},
	},
	RoundSample: {
		{"扶手", "样板楼栋的楼道扶手高度偏低。", "扶手高度调整为0.9米。", "扶手高度符合无障碍设计规范。"},
		{"保温接缝", "外墙保温接缝处有细小裂缝。", "要求施工单位重新处理接缝并加挂网格布。", "属表面腻子收缩，罩面后不影响保温效果。"},
		{"屋面收口", "屋面防水卷材在女儿墙收口处理不到位。", "收口处增加金属压条和密封胶。", "监理已复查，收口做法符合图纸。"},
		{"楼道灯", "楼道感应灯太灵敏，夜里经常自己亮。", "调低感应灵敏度并加装延时开关。", "感应灯按节能要求设置，亮灯时间已缩短。"},
	},
	RoundConstruction: {
		{"施工时间", "早上七点就开始施工，噪音影响休息。", "施工时间调整为早八点至晚六点。", "混凝土浇筑须连续作业，已提前张贴公告。"},
		{"消防通道", "施工车辆占用消防通道。", "施工车辆改停小区外临时场地。", "已安排专人值守，确保随时可以让行。"},
		{"停水通知", "管道改造停水请提前通知，家里有老人。", "停水提前两天在楼道和业主群通知。", "停水已按计划公告，期间在楼下设临时供水点。"},
		{"渣土", "建筑垃圾没有及时清运，扬尘很大。", "增加清运频次并覆盖防尘网。", "已督促施工单位每日清运。"},
		{"质量", "新换的雨水管接口有渗漏。", "施工单位已返工更换接头。", "经检查为冷凝水，不属渗漏。"},
	},
}

// opinions writes the residents' opinions of every round the project has
// reached and returns how many: the rounds it has left are answered in full,
// the current one only in part.
func (w *demoWorld) opinions(ctx context.Context, tx *sql.Tx, p Project, pl demoPlan, target int, times []time.Time, sc demoScope) (int, error) {
	roundStage := map[string]int{RoundSurvey: StageIndex(StageConsultation), RoundDesign: StageIndex(StageDesign),
		RoundSample: StageIndex(StageSample), RoundConstruction: StageIndex(StageConstruction)}
	hh := int64(len(sc.households))
	counts := map[string]int64{
		RoundSurvey:       min(hh*w.between(8, 20)/100, 300) + w.between(8, 20),
		RoundDesign:       w.between(20, 80),
		RoundSample:       w.between(10, 40),
		RoundConstruction: w.between(15, 60),
	}
	if pl.typ == TypeIndustrial {
		for _, k := range Rounds {
			counts[k] = w.between(5, 15)
		}
	}
	a := audit.ActorFrom(ctx)
	day := 24 * time.Hour
	ins := w.svc.db.NewInserter(tx, "project_feedback", "project_id", "round", "household_id", "channel", "topic", "body", "status",
		"response", "created_by", "created_at", "resolved_by", "resolved_at")
	for _, round := range Rounds {
		k := roundStage[round]
		if target < k {
			break
		}
		from, until := times[k], w.now
		if target > k {
			until = times[k+1]
		}
		span := until.Sub(from)
		current := target == k
		ops := demoOpinions[round]
		for i := int64(0); i < counts[round]; i++ {
			o := ops[w.r.IntN(len(ops))]
			created := from.Add(time.Duration(w.r.Int64N(int64(span)/2 + 1)))
			var hid any
			channel := Channels[w.r.IntN(len(Channels))]
			if channel != "meeting" && len(sc.households) > 0 {
				hid = sc.households[w.r.IntN(len(sc.households))]
			}
			status, response, by := FeedbackOpen, "", ""
			var resolved any
			if !current || w.r.IntN(10) < 7 {
				status, response = FeedbackExplained, o.explained
				if w.r.IntN(10) < 4 {
					status, response = FeedbackAdopted, o.adopted
				}
				at := demoEarlier(created.Add(time.Duration(1+w.r.IntN(12))*day), until.Add(-time.Hour))
				if at.Before(created) {
					at = created
				}
				by, resolved = a.Name, at
			}
			if err := ins.Add(ctx, p.ID, round, hid, channel, o.topic, o.body, status, response, a.Name, created, by, resolved); err != nil {
				return 0, fmt.Errorf("feedback: %w", err)
			}
		}
	}
	n, err := ins.Flush(ctx)
	if err != nil {
		return n, fmt.Errorf("feedback: %w", err)
	}
	return n, nil
}
