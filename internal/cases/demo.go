package cases

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/geo"
	"github.com/gengxin/gengxin/internal/places"
	"github.com/gengxin/gengxin/internal/sla"
)

// DemoOptions tells SeedDemo what to create.
type DemoOptions struct {
	// Seed drives every random choice; the same seed, database and Now give
	// the same cases.
	Seed int64
	// Now is the end of the demo period; zero means the service's clock.
	Now time.Time
	// Days is the length of the period before Now (90 when 0).
	Days int
	// Cases is how many cases to create (2,000 when 0).
	Cases int
}

// DemoSummary counts what SeedDemo created.
type DemoSummary struct {
	Cases   int
	Events  int
	ByState map[State]int
	// Overdue counts open cases with a running stage past its due time at Now.
	Overdue int
}

// demoPauseReasons are the reasons of demo suspensions, as a reporter reads them.
var demoPauseReasons = []string{
	"等待配件到货 (waiting for spare parts)",
	"居民不在家，已约定周末上门 (resident away, visit agreed for the weekend)",
	"需业主大会表决使用维修资金 (repair fund needs the owners' vote)",
	"连续降雨无法施工 (rain, no outdoor work possible)",
}

var demoDescriptions = map[string][]string{
	"stairwell_light":   {"3 单元楼道灯不亮", "楼道声控灯坏了，晚上看不见台阶", "5 楼楼梯灯一直闪"},
	"pipe_leak":         {"楼上水管漏水渗到我家天花板", "小区主水管爆裂，路面积水", "地下室水管滴水"},
	"waste_removal":     {"垃圾桶满了两天没人清运", "装修垃圾堆在楼下", "分类垃圾房异味严重"},
	"noise":             {"夜里 11 点后还在装修", "广场舞音响太大", "空调外机噪音扰民"},
	"facility_damage":   {"健身器材断裂有危险", "小区围墙倒塌一段", "单元门禁坏了", "休息长椅木板断了"},
	"exposed_waste":     {"路边有暴露垃圾", "绿化带里堆满垃圾"},
	"manhole_cover":     {"人行道井盖缺失", "井盖破损，车辆经过有响声"},
	"illegal_structure": {"一楼住户私自搭建阳光房", "楼顶加盖彩钢板房"},
	"gas_leak":          {"楼道里有燃气味"},
	"power_outage":      {"整栋楼停电", "单元楼道电表箱跳闸"},
	"water_outage":      {"早上开始停水，没有通知"},
	"general_request":   {"建议在小区门口加装路灯", "咨询老旧小区改造时间"},
	"property_dispute":  {"物业费收支不公开", "物业不管电梯维修"},
}

// demoWeights says how often each category occurs, in per mille.
var demoWeights = []struct {
	code string
	w    int
}{
	{"stairwell_light", 170}, {"pipe_leak", 90}, {"waste_removal", 160}, {"noise", 120}, {"facility_damage", 150},
	{"exposed_waste", 90}, {"manhole_cover", 30}, {"illegal_structure", 30}, {"gas_leak", 10}, {"power_outage", 25},
	{"water_outage", 25}, {"general_request", 70}, {"property_dispute", 30},
}

// demoWorld is what the demo reads from the database once.
type demoWorld struct {
	r       *router
	grids   []*regionNode // grids with a polygon, by id
	worked  []*regionNode // grids that have a grid worker
	names   map[int64]string
	reports []int64 // resident accounts
}

// SeedDemo creates opt.Cases realistic cases over the opt.Days before opt.Now
// in the regions of the database, in every state: most closed with ratings,
// some overdue, some suspended with a reason, some reopened, some merged or
// returned, and the recent ones in every intermediate state. It creates no
// users: cases in grids without a grid worker go to the dispatcher above them
// (the community worker, else the subdistrict or district officer), as real
// routing would. The built-in departments are created if missing, and when a
// department has no handler the deployment's department handlers join it.
// Everything is written in one transaction with bulk inserts and one audit
// entry, so it is fast; the result depends only on the seed, the database
// and Now.
func SeedDemo(ctx context.Context, svc *Service, opt DemoOptions) (DemoSummary, error) {
	sum := DemoSummary{ByState: map[State]int{}}
	if opt.Now.IsZero() {
		opt.Now = svc.clock()
	}
	opt.Now = opt.Now.UTC().Truncate(time.Second)
	if opt.Days <= 0 {
		opt.Days = 90
	}
	if opt.Cases <= 0 {
		opt.Cases = 2000
	}
	if err := svc.demoDepartments(ctx); err != nil {
		return sum, err
	}
	w, err := svc.demoWorld(ctx)
	if err != nil {
		return sum, err
	}
	if len(w.grids) == 0 {
		return sum, fmt.Errorf("demo cases: the database has no grids with a polygon")
	}
	rng := rand.New(rand.NewPCG(uint64(opt.Seed), 0x6361736573))
	start := opt.Now.Add(-time.Duration(opt.Days) * 24 * time.Hour)
	// Report times, oldest first, so that ids follow time and merges point back.
	times := make([]time.Time, opt.Cases)
	for i := range times {
		times[i] = start.Add(time.Duration(rng.Int64N(int64(opt.Now.Sub(start))))).Truncate(time.Second)
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })

	machines := make([]*machine, 0, opt.Cases)
	err = svc.tx(ctx, func(tx *sql.Tx) error {
		first, err := svc.db.NextID(ctx, tx, "cases")
		if err != nil {
			return err
		}
		for i, t := range times {
			m, err := svc.demoCase(w, rng, first+int64(i), t, opt.Now, machines)
			if err != nil {
				return err
			}
			machines = append(machines, m)
		}
		return svc.writeDemo(ctx, tx, machines, opt, &sum)
	})
	if err != nil {
		return sum, fmt.Errorf("demo cases: %w", err)
	}
	return sum, nil
}

// demoDepartments creates the built-in departments that are missing and
// gives handler-less departments the deployment's department handlers.
func (s *Service) demoDepartments(ctx context.Context) error {
	var district int64
	_ = s.db.Read().QueryRowContext(ctx, `SELECT id FROM regions WHERE level = $1 ORDER BY code LIMIT 1`, places.LevelDistrict).Scan(&district)
	have, err := s.Departments(ctx)
	if err != nil {
		return err
	}
	for _, d := range BuiltinDepartments() {
		if slices.ContainsFunc(have, func(h Department) bool { return h.Code == d.Code }) {
			continue
		}
		d.RegionID = district
		if err := s.AddDepartment(ctx, d); err != nil {
			return err
		}
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id FROM users WHERE role = $1 AND disabled = FALSE ORDER BY id`, auth.RoleDepartmentHandler)
	if err != nil {
		return fmt.Errorf("demo departments: %w", err)
	}
	var handlers []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		handlers = append(handlers, id)
	}
	rows.Close()
	for _, d := range BuiltinDepartments() {
		var n int
		if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM department_members WHERE department_code = $1`, d.Code).Scan(&n); err != nil {
			return fmt.Errorf("demo departments: %w", err)
		}
		if n > 0 {
			continue
		}
		for _, h := range handlers {
			if err := s.AddDepartmentMember(ctx, d.Code, h); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Service) demoWorld(ctx context.Context) (*demoWorld, error) {
	r, err := s.loadRouter(ctx, s.db.Read())
	if err != nil {
		return nil, err
	}
	w := &demoWorld{r: r, names: map[int64]string{}}
	for _, n := range r.regions {
		if n.level == places.LevelGrid && n.geom != nil {
			w.grids = append(w.grids, n)
			if r.firstWith(auth.RoleGridWorker, n.id, 0) != 0 {
				w.worked = append(w.worked, n)
			}
		}
	}
	byID := func(a, b *regionNode) int { return int(a.id - b.id) }
	slices.SortFunc(w.grids, byID)
	slices.SortFunc(w.worked, byID)
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, username, role FROM users ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("demo users: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name, role string
		if err := rows.Scan(&id, &name, &role); err != nil {
			return nil, fmt.Errorf("demo users: %w", err)
		}
		w.names[id] = name
		if role == auth.RoleResident {
			w.reports = append(w.reports, id)
		}
	}
	return w, rows.Err()
}

func (w *demoWorld) actor(id int64, fallback string) audit.Actor {
	if name, ok := w.names[id]; ok && id != 0 {
		return audit.Actor{Kind: audit.ActorUser, ID: id, Name: name}
	}
	return audit.System(fallback)
}

// point returns a random point inside grid g.
func demoPoint(rng *rand.Rand, g *regionNode) (float64, float64) {
	minLon, minLat, maxLon, maxLat := geo.Bound(g.geom)
	for range 50 {
		lon := minLon + rng.Float64()*(maxLon-minLon)
		lat := minLat + rng.Float64()*(maxLat-minLat)
		if geo.Contains(g.geom, lon, lat) {
			return lon, lat
		}
	}
	return geo.Centroid(g.geom)
}

func (s *Service) demoCategory(rng *rand.Rand) Category {
	x := rng.IntN(1000)
	for _, dw := range demoWeights {
		if x < dw.w {
			if c, ok := s.Category(dw.code); ok {
				return c
			}
			break
		}
		x -= dw.w
	}
	return s.categories[0]
}

// demoCase simulates one case from its report to where it stands at now.
func (s *Service) demoCase(w *demoWorld, rng *rand.Rand, id int64, reported, now time.Time, earlier []*machine) (*machine, error) {
	cat := s.demoCategory(rng)
	pol, ok := s.Policy(cat.Policy)
	if !ok {
		return nil, fmt.Errorf("category %s: unknown policy %s", cat.Code, cat.Policy)
	}
	grid := w.grids[rng.IntN(len(w.grids))]
	if len(w.worked) > 0 && rng.IntN(100) < 20 {
		grid = w.worked[rng.IntN(len(w.worked))]
	}
	lon, lat := demoPoint(rng, grid)
	descs := demoDescriptions[cat.Code]
	in := ReportInput{Category: cat.Code, Description: cat.NameZH, Lon: lon, Lat: lat}
	if len(descs) > 0 {
		in.Description = descs[rng.IntN(len(descs))]
	}
	rt := w.r.route(cat, lon, lat, true)
	switch x := rng.IntN(100); {
	case x < 45 && len(w.reports) > 0:
		in.Channel, in.Reporter = ChannelResident, Reporter{UserID: w.reports[rng.IntN(len(w.reports))]}
		if id%150 != 0 {
			// Most residents report without an account here; only a few reports
			// belong to the demo's resident accounts, so "my reports" shows a
			// realistic handful.
			in.Reporter = Reporter{Name: "居民", Contact: fmt.Sprintf("137%08d", id*7919%100000000)}
		}
	case x < 70:
		in.Channel, in.Reporter = ChannelHotline, Reporter{Name: "来电市民", Contact: fmt.Sprintf("139%08d", rng.IntN(100000000)), Anonymous: rng.IntN(5) == 0}
	case x < 90:
		in.Channel, in.Reporter = ChannelPatrol, Reporter{UserID: rt.AssigneeID}
	default:
		in.Channel, in.Reporter = ChannelOpen311, Reporter{Name: "Open311", Contact: fmt.Sprintf("138%08d", rng.IntN(100000000))}
	}
	c, err := s.newCase(in, cat, rt, reported)
	if err != nil {
		return nil, err
	}
	c.ID = id
	reporter := w.actor(c.ReporterID, "open311")
	if in.Channel == ChannelHotline {
		reporter = w.actor(c.DispatcherID, "hotline")
	}
	m := newMachine(c, pol, s.engine(), nil, reporter, reported)
	if err := m.report(Step{Note: c.RouteNote}); err != nil {
		return nil, err
	}
	disp := w.actor(c.DispatcherID, "dispatcher")
	handler := func() audit.Actor { return w.actor(m.c.AssigneeID, "handler") }

	// The story of the case: each step after a random delay, as long as it
	// happens before now; the scenario decides where the story may stop.
	scenario := rng.IntN(100)
	recent := now.Sub(reported) < 10*24*time.Hour
	// A third of the recent cases wait after some step, so that every queue
	// has work in it.
	var stopAfter Action
	if recent && rng.IntN(3) == 0 {
		stops := []Action{ActReport, ActAccept, ActDispatch, ActSign, ActArrive, ActResolve, ActVerify, ActFollowUp}
		stopAfter = stops[rng.IntN(len(stops))]
	}
	if stopAfter == ActReport {
		m.tick(now)
		return m, nil
	}
	t := reported
	stopped := false
	step := func(minD, maxD time.Duration, actor audit.Actor, a Action, st Step, args transitionArgs) bool {
		t = t.Add(minD + time.Duration(rng.Int64N(int64(maxD-minD)+1))).Truncate(time.Second)
		if stopped || t.After(now) {
			return false
		}
		m.tick(t)
		m.at, m.actor = t, actor
		if err := m.apply(a, st, args); err != nil {
			return false
		}
		stopped = a == stopAfter
		return !stopped
	}
	func() {
		if !step(time.Minute, 9*time.Minute, disp, ActAccept, Step{}, transitionArgs{}) {
			return
		}
		if scenario < 4 && len(earlier) > 0 {
			// A duplicate of an earlier open case of the same category.
			for i := len(earlier) - 1; i >= 0 && i >= len(earlier)-60; i-- {
				e := earlier[i]
				if e.c.Category == c.Category && e.c.State.Open() && e.c.State != StateReported {
					step(time.Minute, 20*time.Minute, disp, ActMerge, Step{Note: "与前案重复"}, transitionArgs{into: e.c.ID})
					return
				}
			}
		}
		if !step(time.Minute, 6*time.Minute, disp, ActDispatch, Step{}, transitionArgs{}) {
			return
		}
		if scenario >= 4 && scenario < 8 {
			if !step(5*time.Minute, 30*time.Minute, handler(), ActReturn, Step{Note: "非本网格/本部门职责，退回重新派遣"}, transitionArgs{}) {
				return
			}
			if recent && scenario < 6 {
				return // waiting at the dispatcher
			}
			if !step(5*time.Minute, 40*time.Minute, disp, ActDispatch, Step{}, transitionArgs{assignee: c.DispatcherID}) {
				return
			}
		}
		if recent && scenario >= 8 && scenario < 14 {
			return // overdue: nobody signed
		}
		if !step(2*time.Minute, 15*time.Minute, handler(), ActSign, Step{}, transitionArgs{}) {
			return
		}
		complex := pol.Code == "54321" && scenario >= 14 && scenario < 24
		if !step(10*time.Minute, 45*time.Minute, handler(), ActArrive, Step{Note: "已到现场"}, transitionArgs{complex: complex}) {
			return
		}
		if scenario >= 24 && scenario < 30 {
			reason := demoPauseReasons[rng.IntN(len(demoPauseReasons))]
			if !step(10*time.Minute, 2*time.Hour, handler(), ActSuspend, Step{Note: reason}, transitionArgs{}) {
				return
			}
			if recent || rng.IntN(4) == 0 {
				return // still suspended
			}
			if !step(12*time.Hour, 5*24*time.Hour, handler(), ActResume, Step{}, transitionArgs{}) {
				return
			}
		}
		if complex {
			fix := t.Add(time.Duration(3+rng.IntN(20)) * 24 * time.Hour)
			if !step(6*time.Hour, 40*time.Hour, handler(), ActAgreePlan, Step{Note: "已制定维修方案"}, transitionArgs{due: fix}) {
				return
			}
			if !step(2*24*time.Hour, 20*24*time.Hour, handler(), ActResolve, Step{Note: "已按方案完成"}, transitionArgs{}) {
				return
			}
		} else {
			l, ok := pol.Limit(sla.StageResolve, m.c.Grade)
			limit := 3 * time.Hour
			if ok && l.Basis == sla.Wall {
				limit = l.Duration
			} else if ok {
				limit = 24 * time.Hour
			}
			if !step(limit/6, limit*5/4, handler(), ActResolve, Step{Note: "已处理完毕"}, transitionArgs{}) {
				return
			}
		}
		verifier := ByGridWorker
		verifyActor := handler()
		if m.c.ReporterID != 0 && rng.IntN(2) == 0 {
			verifier, verifyActor = ByReporter, w.actor(m.c.ReporterID, "reporter")
		}
		if scenario >= 30 && scenario < 36 {
			if !step(2*time.Hour, 2*24*time.Hour, w.actor(m.c.ReporterID, "reporter"), ActReopen, Step{Note: "问题没有解决，又出现了"}, transitionArgs{}) {
				return
			}
			if recent {
				return // reopened, waiting for the handler
			}
			if !step(time.Hour, 6*time.Hour, handler(), ActResolve, Step{Note: "重新处理完毕"}, transitionArgs{}) {
				return
			}
		}
		if !step(time.Hour, 2*24*time.Hour, verifyActor, ActVerify, Step{}, transitionArgs{by: string(verifier)}) {
			return
		}
		if !step(24*time.Hour, 6*24*time.Hour, disp, ActFollowUp, Step{Note: "电话回访"}, transitionArgs{}) {
			return
		}
		rating := RatingSatisfied
		switch x := rng.IntN(100); {
		case x < 7 || scenario >= 30 && scenario < 33:
			rating = RatingDissatisfied
		case x < 25:
			rating = RatingBasically
		}
		if !step(0, 0, disp, ActRate, Step{Note: "回访评价"}, transitionArgs{rating: rating}) {
			return
		}
		step(10*time.Minute, 24*time.Hour, disp, ActClose, Step{}, transitionArgs{})
	}()
	m.tick(now)
	return m, nil
}

// writeDemo writes the simulated cases with bulk inserts.
func (s *Service) writeDemo(ctx context.Context, tx *sql.Tx, ms []*machine, opt DemoOptions, sum *DemoSummary) error {
	cases := s.db.NewInserter(tx, "cases", insertCols...)
	clocks := s.db.NewInserter(tx, "case_clocks", clockInsertCols...)
	events := s.db.NewInserter(tx, "case_events", eventCols...)
	follow := s.db.NewInserter(tx, "case_followups", "case_id", "rating", "comment", "method", "actor_name", "actor_id", "at")
	for _, m := range ms {
		if err := cases.Add(ctx, m.c.values()...); err != nil {
			return err
		}
	}
	if _, err := cases.Flush(ctx); err != nil {
		return err
	}
	for _, m := range ms {
		overdue := false
		for _, st := range stageOrder {
			k, ok := m.clocks[st]
			if !ok {
				continue
			}
			k.CaseID = m.c.ID
			vals, err := clockValues(*k)
			if err != nil {
				return err
			}
			if err := clocks.Add(ctx, vals...); err != nil {
				return err
			}
			if !k.Paused() && k.Overdue(opt.Now) {
				overdue = true
			}
		}
		if overdue && m.c.State.Open() {
			sum.Overdue++
		}
		for _, e := range m.events {
			if e.Action == ActFollowUp || e.Action == ActRate {
				if e.Action == ActRate || m.c.Rating == ratingNone {
					rating := ratingNone
					if e.Action == ActRate {
						rating = Rating(e.Data["rating"])
					}
					if err := follow.Add(ctx, m.c.ID, string(rating), e.Note, "phone", e.Actor.Name, actorID(e.Actor), e.At.UTC()); err != nil {
						return err
					}
				}
			}
			if err := events.Add(ctx, eventValues(e)...); err != nil {
				return err
			}
			sum.Events++
		}
		sum.Cases++
		sum.ByState[m.c.State]++
	}
	for _, in := range []*db.Inserter{clocks, events, follow} {
		if _, err := in.Flush(ctx); err != nil {
			return err
		}
	}
	if err := s.db.SyncSequence(ctx, tx, "cases"); err != nil {
		return err
	}
	byState := map[string]int{}
	for st, n := range sum.ByState {
		byState[string(st)] = n
	}
	return s.log.Record(ctx, tx, audit.Change{Action: "demo.cases", ObjectType: "dataset", ObjectID: itoa(opt.Seed),
		After: map[string]any{"cases": sum.Cases, "events": sum.Events, "by_state": byState, "days": opt.Days, "until": opt.Now}})
}
