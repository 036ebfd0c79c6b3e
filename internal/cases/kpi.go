package cases

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/calendar"
	"github.com/gengxin/gengxin/internal/places"
	"github.com/gengxin/gengxin/internal/sla"
)

// The three rates (三率) and the other figures of the KPI report are defined
// here, over the cases reported in the period [From, To) inside the scope.
// Cases merged as duplicates are left out everywhere: the case they joined
// carries the work.
//
//   - Response rate (响应率): the case's response stage met its deadline. The
//     response stage is the on-site clock when the policy has one (54321: the
//     handler signed and was on site within 40 minutes of registration),
//     otherwise the registration (accept) clock (12345: accepted within 2 h).
//     Numerator: that clock completed no later than its due time. Denominator:
//     cases whose response is decided: the clock is completed (on time or late)
//     or still open, running and past its due time. A running clock not yet due
//     and a paused clock are still pending and count nowhere; cases whose
//     policy has neither clock (city-management events) are not measured.
//   - Resolution rate (解决率): numerator, cases resolved and never reopened by
//     the reporter (resolved_at set and no reopening); denominator, every case
//     of the period. Open cases therefore count against it until resolved.
//   - Satisfaction rate (满意率): satisfied plus basically satisfied among the
//     rated cases (a reopening clears the rating).
//   - On time per stage: for each stage, clocks completed by their due time
//     among the decided clocks of that stage (same rule as the response stage;
//     cancelled clocks count nowhere).
//   - Backlog: the period's cases still open (not closed), aged by the time
//     since the report at the moment of judgement (under 1 day, 1–3 days,
//     3–7 days, over 7 days), and how many of them have a running stage past
//     its due time.
//   - Score: the weighted mean of the three rates in percent (default weights
//     30/35/35). A rate without a denominator is left out and the remaining
//     weights are scaled up; with no rate at all there is no score.

// GroupBy names how the KPI report is broken down.
type GroupBy string

// Groupings of the KPI report.
const (
	GroupNone        GroupBy = ""
	GroupGrid        GroupBy = "grid"
	GroupCommunity   GroupBy = "community"
	GroupSubdistrict GroupBy = "subdistrict"
	GroupDepartment  GroupBy = "department"
	GroupCategory    GroupBy = "category"
	GroupMonth       GroupBy = "month"
	GroupWeek        GroupBy = "week"
)

// Groupings lists the groupings offered on the KPI page.
func Groupings() []GroupBy {
	return []GroupBy{GroupGrid, GroupCommunity, GroupSubdistrict, GroupDepartment, GroupCategory, GroupMonth, GroupWeek}
}

func (g GroupBy) valid() bool {
	return g == GroupNone || g == GroupGrid || g == GroupCommunity || g == GroupSubdistrict || g == GroupDepartment ||
		g == GroupCategory || g == GroupMonth || g == GroupWeek
}

// KPIWeights are the weights of the combined score, in percent of the
// response, resolution and satisfaction rates.
type KPIWeights struct {
	Response, Resolution, Satisfaction int
}

// DefaultKPIWeights returns the default weights 30/35/35.
func DefaultKPIWeights() KPIWeights {
	return KPIWeights{Response: 30, Resolution: 35, Satisfaction: 35}
}

func (w KPIWeights) zero() bool { return w.Response == 0 && w.Resolution == 0 && w.Satisfaction == 0 }

// DefaultClusterMin is the number of cases of one grid and category in a
// period from which the cluster counts as recurring.
const DefaultClusterMin = 5

// MaxKPIBuckets bounds the number of months or weeks of one report.
const MaxKPIBuckets = 400

// KPIFilter selects the cases of a KPI report and how it is broken down.
type KPIFilter struct {
	// Scope is a region path prefix ("/1/4/"); "" for everywhere.
	Scope string
	// From (inclusive) and To (exclusive) bound the report time. A zero To is
	// now; a zero From is the start of To's month in Shanghai.
	From, To time.Time
	GroupBy  GroupBy
	// Weights of the combined score; zero means the deployment's setting
	// (Service.KPIWeights).
	Weights KPIWeights
	// ClusterMin is the least number of cases of a recurring grid × category
	// cluster; 0 means DefaultClusterMin.
	ClusterMin int
}

// normalize fills defaults and checks the filter at now.
func (f KPIFilter) normalize(now time.Time) (KPIFilter, error) {
	if !f.GroupBy.valid() {
		return f, fmt.Errorf("%w: unknown grouping %q", ErrInvalid, f.GroupBy)
	}
	if f.To.IsZero() {
		f.To = now
	}
	if f.From.IsZero() {
		f.From = monthStart(f.To.Add(-time.Nanosecond))
	}
	f.From, f.To = f.From.UTC(), f.To.UTC()
	if !f.From.Before(f.To) {
		return f, fmt.Errorf("%w: the period must end after it starts", ErrInvalid)
	}
	if f.Weights.zero() {
		f.Weights = DefaultKPIWeights()
	}
	if f.Weights.Response < 0 || f.Weights.Resolution < 0 || f.Weights.Satisfaction < 0 {
		return f, fmt.Errorf("%w: score weights may not be negative", ErrInvalid)
	}
	if f.ClusterMin <= 0 {
		f.ClusterMin = DefaultClusterMin
	}
	f.Scope = strings.NewReplacer("%", "", "_", "").Replace(f.Scope)
	return f, nil
}

// monthStart is the first instant of t's month in Shanghai.
func monthStart(t time.Time) time.Time {
	l := t.In(calendar.Shanghai())
	return time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, calendar.Shanghai())
}

// weekStart is the Monday 00:00 of t's week in Shanghai.
func weekStart(t time.Time) time.Time {
	l := t.In(calendar.Shanghai())
	d := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, calendar.Shanghai())
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

// Rate is a rate with its exact numerator and denominator.
type Rate struct {
	Num, Den int
}

// Defined reports whether the rate has a denominator.
func (r Rate) Defined() bool { return r.Den > 0 }

// Percent returns the rate in percent; 0 when undefined.
func (r Rate) Percent() float64 {
	if r.Den == 0 {
		return 0
	}
	return float64(r.Num) * 100 / float64(r.Den)
}

// String writes the rate as "3/4 (75.0%)", or "—" without a denominator.
func (r Rate) String() string {
	if r.Den == 0 {
		return "—"
	}
	return fmt.Sprintf("%d/%d (%.1f%%)", r.Num, r.Den, r.Percent())
}

// StageRate is the on-time rate of one stage.
type StageRate struct {
	Stage sla.Stage
	Rate
}

// Backlog ages the open cases of a group.
type Backlog struct {
	Open int
	// UnderDay, OneToThree, ThreeToSeven and OverSeven split Open by the time
	// since the report: < 1 day, 1–3 days, 3–7 days, > 7 days.
	UnderDay, OneToThree, ThreeToSeven, OverSeven int
	// Overdue counts open cases with a running stage past its due time.
	Overdue int
}

// KPIRow is the figures of one group (or of all groups together).
type KPIRow struct {
	// Key identifies the group: a region id, a department or category code,
	// or the first day of a month or week ("2026-03-01").
	Key  string
	Name string
	// From and To bound the period of a month or week row.
	From, To     time.Time
	Cases        int
	Response     Rate
	Resolution   Rate
	Satisfaction Rate
	// Score is the combined score in percent; HasScore is false when no rate
	// is defined.
	Score    float64
	HasScore bool
	OnTime   []StageRate // in workflow order: accept, on_site, plan, resolve, follow_up
	Backlog  Backlog
}

// KPIReport is the result of Service.KPIs.
type KPIReport struct {
	Filter KPIFilter // with its defaults filled in
	At     time.Time // the moment pending and overdue clocks were judged
	Rows   []KPIRow
	Total  KPIRow
}

// kpiCounts are the additive counts behind a KPIRow.
type kpiCounts struct {
	cases              int
	respNum, respDen   int
	resNum             int
	satNum, satDen     int
	stageNum, stageDen [5]int
	open, overdue      int
	ages               [4]int
}

func (a *kpiCounts) add(b kpiCounts) {
	a.cases += b.cases
	a.respNum += b.respNum
	a.respDen += b.respDen
	a.resNum += b.resNum
	a.satNum += b.satNum
	a.satDen += b.satDen
	for i := range a.stageNum {
		a.stageNum[i] += b.stageNum[i]
		a.stageDen[i] += b.stageDen[i]
	}
	a.open += b.open
	a.overdue += b.overdue
	for i := range a.ages {
		a.ages[i] += b.ages[i]
	}
}

// row turns counts into a row scored with w.
func (a kpiCounts) row(key, name string, w KPIWeights) KPIRow {
	r := KPIRow{Key: key, Name: name, Cases: a.cases, Response: Rate{a.respNum, a.respDen}, Resolution: Rate{a.resNum, a.cases},
		Satisfaction: Rate{a.satNum, a.satDen},
		Backlog:      Backlog{Open: a.open, UnderDay: a.ages[0], OneToThree: a.ages[1], ThreeToSeven: a.ages[2], OverSeven: a.ages[3], Overdue: a.overdue}}
	for i, st := range stageOrder {
		r.OnTime = append(r.OnTime, StageRate{Stage: st, Rate: Rate{a.stageNum[i], a.stageDen[i]}})
	}
	r.Score, r.HasScore = Score(w, r.Response, r.Resolution, r.Satisfaction)
	return r
}

// Score returns the combined score of the three rates in percent with weights
// w; rates without a denominator are left out and the other weights scaled
// up. false when no rate is defined or the weights of the defined ones are 0.
func Score(w KPIWeights, response, resolution, satisfaction Rate) (float64, bool) {
	var sum, weight float64
	for _, p := range []struct {
		r Rate
		w int
	}{{response, w.Response}, {resolution, w.Resolution}, {satisfaction, w.Satisfaction}} {
		if p.r.Defined() && p.w > 0 {
			sum += p.r.Percent() * float64(p.w)
			weight += float64(p.w)
		}
	}
	if weight == 0 {
		return 0, false
	}
	return math.Round(sum/weight*10) / 10, true
}

// SQL fragments of the KPI query. x is the alias of a joined clock; $now the
// placeholder of the moment of judgement.
func clockMet(x string) string {
	return x + ".cancelled = FALSE AND " + x + ".done_at IS NOT NULL AND " + x + ".done_at <= " + x + ".due"
}

func clockDecided(x, now string) string {
	return x + ".cancelled = FALSE AND (" + x + ".done_at IS NOT NULL OR (" + x + ".paused = FALSE AND " + x + ".due <= " + now + "))"
}

func clockOverdue(x, now string) string {
	return x + ".cancelled = FALSE AND " + x + ".done_at IS NULL AND " + x + ".paused = FALSE AND " + x + ".due <= " + now
}

func sumIf(cond string) string { return "COALESCE(SUM(CASE WHEN " + cond + " THEN 1 ELSE 0 END), 0)" }

// sqlArgs collects query arguments and hands out their placeholders.
type sqlArgs []any

func (a *sqlArgs) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// stageAlias is the alias of each stage's clock in the KPI query.
var stageAlias = map[sla.Stage]string{sla.StageAccept: "ka", sla.StageOnSite: "ko", sla.StagePlan: "kp", sla.StageResolve: "kr", sla.StageFollowUp: "kf"}

// kpiQuery is the aggregate over the cases reported in [from, to) inside scope,
// grouped by keyExpr ("" for a single row).
func kpiQuery(keyExpr, scope string, from, to, now time.Time) (string, []any) {
	var args sqlArgs
	n := args.add(now.UTC())
	var sel []string
	if keyExpr == "" {
		sel = append(sel, "''")
	} else {
		sel = append(sel, keyExpr)
	}
	sel = append(sel, "COUNT(*)",
		sumIf("CASE WHEN ko.case_id IS NOT NULL THEN CASE WHEN "+clockMet("ko")+" THEN 1 ELSE 0 END WHEN "+clockMet("ka")+" THEN 1 ELSE 0 END = 1"),
		sumIf("CASE WHEN ko.case_id IS NOT NULL THEN CASE WHEN "+clockDecided("ko", n)+" THEN 1 ELSE 0 END WHEN "+clockDecided("ka", n)+" THEN 1 ELSE 0 END = 1"),
		sumIf("c.resolved_at IS NOT NULL AND c.reopens = 0"),
		sumIf("c.rating IN ('satisfied', 'basically_satisfied')"),
		sumIf("c.rating <> ''"))
	var joins, overdue []string
	for _, st := range stageOrder {
		x := stageAlias[st]
		joins = append(joins, " LEFT JOIN case_clocks "+x+" ON "+x+".case_id = c.id AND "+x+".stage = '"+string(st)+"'")
		sel = append(sel, sumIf(clockMet(x)), sumIf(clockDecided(x, n)))
		overdue = append(overdue, "("+clockOverdue(x, n)+")")
	}
	open := "c.state <> 'closed'"
	d1, d3, d7 := args.add(now.Add(-24*time.Hour).UTC()), args.add(now.Add(-72*time.Hour).UTC()), args.add(now.Add(-168*time.Hour).UTC())
	sel = append(sel, sumIf(open),
		sumIf(open+" AND c.reported_at > "+d1),
		sumIf(open+" AND c.reported_at <= "+d1+" AND c.reported_at > "+d3),
		sumIf(open+" AND c.reported_at <= "+d3+" AND c.reported_at > "+d7),
		sumIf(open+" AND c.reported_at <= "+d7),
		sumIf(open+" AND ("+strings.Join(overdue, " OR ")+")"))
	where := " WHERE c.state <> 'merged' AND c.reported_at >= " + args.add(from.UTC()) + " AND c.reported_at < " + args.add(to.UTC())
	if scope != "" {
		where += " AND c.region_path LIKE " + args.add(scope+"%")
	}
	q := "SELECT " + strings.Join(sel, ", ") + " FROM cases c" + strings.Join(joins, "") + where
	if keyExpr != "" {
		q += " GROUP BY " + keyExpr
	}
	return q, args
}

// kpiCountsOf runs kpiQuery and returns the counts by key.
func (s *Service) kpiCountsOf(ctx context.Context, keyExpr, scope string, from, to, now time.Time) (map[string]kpiCounts, error) {
	q, args := kpiQuery(keyExpr, scope, from, to, now)
	rows, err := s.db.Read().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("case KPIs: %w", err)
	}
	defer rows.Close()
	out := map[string]kpiCounts{}
	for rows.Next() {
		var key sql.NullString
		var k kpiCounts
		dest := []any{&key, &k.cases, &k.respNum, &k.respDen, &k.resNum, &k.satNum, &k.satDen}
		for i := range stageOrder {
			dest = append(dest, &k.stageNum[i], &k.stageDen[i])
		}
		dest = append(dest, &k.open, &k.ages[0], &k.ages[1], &k.ages[2], &k.ages[3], &k.overdue)
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("case KPIs: %w", err)
		}
		acc := out[key.String]
		acc.add(k)
		out[key.String] = acc
	}
	return out, rows.Err()
}

// KPIs computes the three rates, the on-time rate of every stage, the score
// and the backlog of the cases reported in the filter's period inside its
// scope, per group and in total. The work is done by one aggregate query per
// report (per month or week for the time groupings) over the report-time
// index; region groupings are rolled up from region paths in Go.
func (s *Service) KPIs(ctx context.Context, f KPIFilter) (KPIReport, error) {
	now := s.clock()
	if f.Weights.zero() {
		w, err := s.KPIWeights(ctx)
		if err != nil {
			return KPIReport{}, err
		}
		f.Weights = w
	}
	f, err := f.normalize(now)
	if err != nil {
		return KPIReport{}, err
	}
	rep := KPIReport{Filter: f, At: now}
	var total kpiCounts
	switch f.GroupBy {
	case GroupMonth, GroupWeek:
		buckets, err := periodBuckets(f.GroupBy, f.From, f.To)
		if err != nil {
			return rep, err
		}
		for _, b := range buckets {
			counts, err := s.kpiCountsOf(ctx, "", f.Scope, b[0], b[1], now)
			if err != nil {
				return rep, err
			}
			k := counts[""]
			total.add(k)
			start := b[0].In(calendar.Shanghai())
			name := start.Format("2006-01")
			if f.GroupBy == GroupWeek {
				name = start.Format("2006-01-02")
			}
			row := k.row(start.Format("2006-01-02"), name, f.Weights)
			row.From, row.To = b[0], b[1]
			rep.Rows = append(rep.Rows, row)
		}
	case GroupNone:
		counts, err := s.kpiCountsOf(ctx, "", f.Scope, f.From, f.To, now)
		if err != nil {
			return rep, err
		}
		total = counts[""]
	case GroupDepartment, GroupCategory:
		col := "c.department"
		if f.GroupBy == GroupCategory {
			col = "c.category"
		}
		counts, err := s.kpiCountsOf(ctx, col, f.Scope, f.From, f.To, now)
		if err != nil {
			return rep, err
		}
		names, err := s.codeNames(ctx, f.GroupBy)
		if err != nil {
			return rep, err
		}
		for key, k := range counts {
			total.add(k)
			name := names[key]
			if name == "" {
				name = key
			}
			rep.Rows = append(rep.Rows, k.row(key, name, f.Weights))
		}
	default: // grid, community, subdistrict
		counts, err := s.kpiCountsOf(ctx, "c.region_path", f.Scope, f.From, f.To, now)
		if err != nil {
			return rep, err
		}
		regs, err := s.pathRegions(ctx, keysOf(counts))
		if err != nil {
			return rep, err
		}
		byRegion := map[string]kpiCounts{}
		for path, k := range counts {
			total.add(k)
			key := "0"
			if r, ok := ancestorAt(regs, path, string(f.GroupBy)); ok {
				key = strconv.FormatInt(r.ID, 10)
			}
			acc := byRegion[key]
			acc.add(k)
			byRegion[key] = acc
		}
		for key, k := range byRegion {
			id, _ := strconv.ParseInt(key, 10, 64)
			rep.Rows = append(rep.Rows, k.row(key, regs[id].Name, f.Weights))
		}
	}
	if f.GroupBy != GroupMonth && f.GroupBy != GroupWeek {
		sort.Slice(rep.Rows, func(i, j int) bool {
			a, b := rep.Rows[i], rep.Rows[j]
			if (a.Key == "0" || a.Key == "") != (b.Key == "0" || b.Key == "") {
				return b.Key == "0" || b.Key == ""
			}
			if a.Name != b.Name {
				return a.Name < b.Name
			}
			return a.Key < b.Key
		})
	}
	rep.Total = total.row("", "", f.Weights)
	return rep, nil
}

// periodBuckets cuts [from, to) into calendar months or weeks (Monday first)
// in Shanghai; the first and last bucket are clipped to the period.
func periodBuckets(g GroupBy, from, to time.Time) ([][2]time.Time, error) {
	var out [][2]time.Time
	start := monthStart(from)
	next := func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }
	if g == GroupWeek {
		start = weekStart(from)
		next = func(t time.Time) time.Time { return t.AddDate(0, 0, 7) }
	}
	for b := start; b.Before(to); b = next(b) {
		if len(out) == MaxKPIBuckets {
			return nil, fmt.Errorf("%w: the period holds more than %d %ss", ErrInvalid, MaxKPIBuckets, g)
		}
		lo, hi := b, next(b)
		if lo.Before(from) {
			lo = from
		}
		if hi.After(to) {
			hi = to
		}
		out = append(out, [2]time.Time{lo.UTC(), hi.UTC()})
	}
	return out, nil
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// kpiRegion is a region as the KPI report needs it.
type kpiRegion struct {
	ID    int64
	Name  string
	Level string
	Path  string
}

// pathRegions loads every region named in the given region paths, by id.
func (s *Service) pathRegions(ctx context.Context, paths []string) (map[int64]kpiRegion, error) {
	seen := map[int64]bool{}
	var ids []int64
	for _, p := range paths {
		for _, part := range strings.Split(strings.Trim(p, "/"), "/") {
			if id, err := strconv.ParseInt(part, 10, 64); err == nil && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	out := map[int64]kpiRegion{}
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 500)]
		ids = ids[len(chunk):]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := s.db.Read().QueryContext(ctx, `SELECT id, name, level, path FROM regions WHERE id IN (`+placeholders(len(chunk), 1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("KPI regions: %w", err)
		}
		for rows.Next() {
			var r kpiRegion
			if err := rows.Scan(&r.ID, &r.Name, &r.Level, &r.Path); err != nil {
				rows.Close()
				return nil, fmt.Errorf("KPI regions: %w", err)
			}
			out[r.ID] = r
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("KPI regions: %w", err)
		}
	}
	return out, nil
}

// ancestorAt returns the region of level on path (the path's own region
// included).
func ancestorAt(regs map[int64]kpiRegion, path, level string) (kpiRegion, bool) {
	for _, part := range strings.Split(strings.Trim(path, "/"), "/") {
		id, err := strconv.ParseInt(part, 10, 64)
		if err != nil {
			continue
		}
		if r, ok := regs[id]; ok && r.Level == level {
			return r, true
		}
	}
	return kpiRegion{}, false
}

// codeNames returns the names of departments or categories by code.
func (s *Service) codeNames(ctx context.Context, g GroupBy) (map[string]string, error) {
	out := map[string]string{}
	if g == GroupCategory {
		for _, c := range s.categories {
			out[c.Code] = c.NameZH
		}
		return out, nil
	}
	ds, err := s.Departments(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		out[d.Code] = d.Name
	}
	return out, nil
}

// ---- top problems and recurring clusters ----

// ProblemTrend is a category, or a grid × category cluster, with its cases
// in the period and in the period before (of the same length).
type ProblemTrend struct {
	Category     string
	CategoryName string
	GridID       int64 // 0 for a category over all grids
	GridName     string
	Cases        int
	Previous     int
	// Recurring: a grid cluster with at least KPIFilter.ClusterMin cases.
	Recurring bool
	// Proposed: the cluster is already a project-pool candidate.
	Proposed bool
}

// Trend is +1 when the cases rose against the previous period, -1 when they
// fell, 0 when equal.
func (p ProblemTrend) Trend() int {
	switch {
	case p.Cases > p.Previous:
		return 1
	case p.Cases < p.Previous:
		return -1
	}
	return 0
}

// TopProblems is "this period's top problems".
type TopProblems struct {
	From, To         time.Time // the period
	PrevFrom, PrevTo time.Time // the period before, of the same length
	ClusterMin       int
	Categories       []ProblemTrend
	Clusters         []ProblemTrend
}

// TopProblems returns the categories and the grid × category clusters with
// the most cases in the filter's period (at most limit of each; 10 when limit
// is 0), with their counts in the period before it.
func (s *Service) TopProblems(ctx context.Context, f KPIFilter, limit int) (TopProblems, error) {
	f, err := f.normalize(s.clock())
	if err != nil {
		return TopProblems{}, err
	}
	if limit <= 0 {
		limit = 10
	}
	prevFrom := f.From.Add(-f.To.Sub(f.From))
	out := TopProblems{From: f.From, To: f.To, PrevFrom: prevFrom, PrevTo: f.From, ClusterMin: f.ClusterMin}
	names, _ := s.codeNames(ctx, GroupCategory)
	for _, byGrid := range []bool{false, true} {
		var args sqlArgs
		cur := args.add(f.From)
		key := "0, c.category"
		if byGrid {
			key = "c.grid_id, c.category"
		}
		q := `SELECT ` + key + `, ` + sumIf("c.reported_at >= "+cur) + `, ` + sumIf("c.reported_at < "+cur) +
			` FROM cases c WHERE c.state <> 'merged' AND c.reported_at >= ` + args.add(prevFrom) + ` AND c.reported_at < ` + args.add(f.To)
		if f.Scope != "" {
			q += ` AND c.region_path LIKE ` + args.add(f.Scope+"%")
		}
		if byGrid {
			q += ` AND c.grid_id IS NOT NULL`
		}
		q += ` GROUP BY ` + strings.TrimPrefix(key, "0, ")
		rows, err := s.db.Read().QueryContext(ctx, q, args...)
		if err != nil {
			return out, fmt.Errorf("top problems: %w", err)
		}
		var list []ProblemTrend
		for rows.Next() {
			var p ProblemTrend
			if err := rows.Scan(&p.GridID, &p.Category, &p.Cases, &p.Previous); err != nil {
				rows.Close()
				return out, fmt.Errorf("top problems: %w", err)
			}
			if p.Cases == 0 {
				continue
			}
			p.CategoryName = names[p.Category]
			if p.CategoryName == "" {
				p.CategoryName = p.Category
			}
			p.Recurring = byGrid && p.Cases >= f.ClusterMin
			list = append(list, p)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return out, fmt.Errorf("top problems: %w", err)
		}
		sort.Slice(list, func(i, j int) bool {
			a, b := list[i], list[j]
			if a.Cases != b.Cases {
				return a.Cases > b.Cases
			}
			if a.Cases-a.Previous != b.Cases-b.Previous {
				return a.Cases-a.Previous > b.Cases-b.Previous
			}
			if a.Category != b.Category {
				return a.Category < b.Category
			}
			return a.GridID < b.GridID
		})
		if len(list) > limit {
			list = list[:limit]
		}
		if byGrid {
			out.Clusters = list
		} else {
			out.Categories = list
		}
	}
	if len(out.Clusters) > 0 {
		var paths []string
		for _, p := range out.Clusters {
			paths = append(paths, "/"+strconv.FormatInt(p.GridID, 10)+"/")
		}
		regs, err := s.pathRegions(ctx, paths)
		if err != nil {
			return out, err
		}
		proposed, err := s.proposedKeys(ctx, f.From, f.To)
		if err != nil {
			return out, err
		}
		for i := range out.Clusters {
			c := &out.Clusters[i]
			c.GridName = regs[c.GridID].Name
			c.Proposed = proposed[clusterKey(c.GridID, c.Category)]
		}
	}
	return out, nil
}

func clusterKey(grid int64, category string) string {
	return strconv.FormatInt(grid, 10) + "/" + category
}

// proposedKeys returns the grid × category clusters proposed for exactly the
// period [from, to).
func (s *Service) proposedKeys(ctx context.Context, from, to time.Time) (map[string]bool, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT grid_id, category FROM case_cluster_candidates WHERE period_from = $1 AND period_to = $2`,
		from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("proposed clusters: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var g int64
		var c string
		if err := rows.Scan(&g, &c); err != nil {
			return nil, fmt.Errorf("proposed clusters: %w", err)
		}
		out[clusterKey(g, c)] = true
	}
	return out, rows.Err()
}

// CandidateProposed is the status of a freshly proposed candidate.
const CandidateProposed = "proposed"

// ClusterCandidate is a recurring cluster proposed for the project pool, with
// the cases that are its evidence.
type ClusterCandidate struct {
	ID            int64
	GridID        int64
	GridName      string
	RegionPath    string
	Category      string
	CategoryName  string
	From, To      time.Time
	Cases         int
	Previous      int
	CaseIDs       []int64
	Status        string
	CreatedBy     int64
	CreatedByName string
	CreatedAt     time.Time
}

// ProposeInput names the cluster to propose: a grid and a category in the
// period [From, To), inside Scope (a region path prefix, "" for everywhere).
type ProposeInput struct {
	Scope    string
	GridID   int64
	Category string
	From, To time.Time
	// Min is the least number of cases; 0 means DefaultClusterMin.
	Min int
}

// ErrDuplicateCandidate: the cluster was already proposed for that period.
var ErrDuplicateCandidate = errors.New("the cluster is already a project-pool candidate")

// ProposeCluster stores the cluster of in as a project-pool candidate with
// status "proposed", its case ids and counts, and an audit entry. A grid
// outside the scope is ErrNotFound; too few cases is ErrInvalid; a second
// proposal of the same cluster and period is ErrDuplicateCandidate (which
// wraps ErrInvalid).
func (s *Service) ProposeCluster(ctx context.Context, in ProposeInput) (ClusterCandidate, error) {
	f, err := KPIFilter{Scope: in.Scope, From: in.From, To: in.To, ClusterMin: in.Min}.normalize(s.clock())
	if err != nil {
		return ClusterCandidate{}, err
	}
	cat, ok := s.Category(in.Category)
	if !ok {
		return ClusterCandidate{}, fmt.Errorf("%w: unknown category %q", ErrInvalid, in.Category)
	}
	var grid kpiRegion
	err = s.db.Read().QueryRowContext(ctx, `SELECT id, name, level, path FROM regions WHERE id = $1`, in.GridID).Scan(&grid.ID, &grid.Name, &grid.Level, &grid.Path)
	if errors.Is(err, sql.ErrNoRows) || err == nil && (grid.Level != places.LevelGrid || !strings.HasPrefix(grid.Path, f.Scope)) {
		return ClusterCandidate{}, fmt.Errorf("grid %d: %w", in.GridID, ErrNotFound)
	}
	if err != nil {
		return ClusterCandidate{}, fmt.Errorf("grid %d: %w", in.GridID, err)
	}
	actor := audit.ActorFrom(ctx)
	cc := ClusterCandidate{GridID: grid.ID, GridName: grid.Name, RegionPath: grid.Path, Category: cat.Code, CategoryName: cat.NameZH,
		From: f.From, To: f.To, Status: CandidateProposed, CreatedByName: actor.Name, CreatedAt: s.clock()}
	if actor.Kind == audit.ActorUser {
		cc.CreatedBy = actor.ID
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM cases WHERE grid_id = $1 AND category = $2 AND state <> 'merged'
			AND reported_at >= $3 AND reported_at < $4 ORDER BY id`, grid.ID, cat.Code, f.From, f.To)
		if err != nil {
			return fmt.Errorf("cluster cases: %w", err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("cluster cases: %w", err)
			}
			cc.CaseIDs = append(cc.CaseIDs, id)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("cluster cases: %w", err)
		}
		cc.Cases = len(cc.CaseIDs)
		if cc.Cases < f.ClusterMin {
			return fmt.Errorf("%w: %s in %s has %d cases in the period, fewer than %d", ErrInvalid, cat.Code, grid.Name, cc.Cases, f.ClusterMin)
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM cases WHERE grid_id = $1 AND category = $2 AND state <> 'merged'
			AND reported_at >= $3 AND reported_at < $4`, grid.ID, cat.Code, f.From.Add(-f.To.Sub(f.From)), f.From).Scan(&cc.Previous); err != nil {
			return fmt.Errorf("cluster cases: %w", err)
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM case_cluster_candidates WHERE grid_id = $1 AND category = $2 AND period_from = $3
			AND period_to = $4`, grid.ID, cat.Code, f.From, f.To).Scan(&n); err != nil {
			return fmt.Errorf("cluster candidates: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("%w: %w", ErrInvalid, ErrDuplicateCandidate)
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO case_cluster_candidates (grid_id, region_path, category, period_from, period_to, cases,
			previous, case_ids, status, created_by, created_by_name, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
			cc.GridID, cc.RegionPath, cc.Category, cc.From, cc.To, cc.Cases, cc.Previous, idsJSON(cc.CaseIDs), cc.Status, nullID(cc.CreatedBy),
			cc.CreatedByName, cc.CreatedAt).Scan(&cc.ID); err != nil {
			return fmt.Errorf("store cluster candidate: %w", err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "case_cluster.propose", ObjectType: "case_cluster_candidate", ObjectID: itoa(cc.ID),
			After: map[string]any{"grid_id": cc.GridID, "category": cc.Category, "from": cc.From, "to": cc.To, "cases": cc.Cases,
				"previous": cc.Previous, "case_ids": cc.CaseIDs, "status": cc.Status}})
	})
	if err != nil {
		return ClusterCandidate{}, err
	}
	return cc, nil
}

// Candidates lists the proposed clusters inside scope, newest first (at most
// 100).
func (s *Service) Candidates(ctx context.Context, scope string) ([]ClusterCandidate, error) {
	scope = strings.NewReplacer("%", "", "_", "").Replace(scope)
	rows, err := s.db.Read().QueryContext(ctx, `SELECT k.id, k.grid_id, COALESCE(r.name, ''), k.region_path, k.category, k.period_from, k.period_to,
		k.cases, k.previous, k.case_ids, k.status, COALESCE(k.created_by, 0), k.created_by_name, k.created_at
		FROM case_cluster_candidates k LEFT JOIN regions r ON r.id = k.grid_id
		WHERE k.region_path LIKE $1 ORDER BY k.created_at DESC, k.id DESC LIMIT 100`, scope+"%")
	if err != nil {
		return nil, fmt.Errorf("cluster candidates: %w", err)
	}
	defer rows.Close()
	var out []ClusterCandidate
	for rows.Next() {
		var c ClusterCandidate
		var ids string
		if err := rows.Scan(&c.ID, &c.GridID, &c.GridName, &c.RegionPath, &c.Category, &c.From, &c.To, &c.Cases, &c.Previous, &ids, &c.Status,
			&c.CreatedBy, &c.CreatedByName, &c.CreatedAt); err != nil {
			return nil, fmt.Errorf("cluster candidates: %w", err)
		}
		c.From, c.To, c.CreatedAt = c.From.UTC(), c.To.UTC(), c.CreatedAt.UTC()
		c.CaseIDs = parseIDs(ids)
		c.CategoryName = c.Category
		if cat, ok := s.Category(c.Category); ok {
			c.CategoryName = cat.NameZH
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
