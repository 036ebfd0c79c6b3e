package projects

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Sizes of the fixed lists the statistics count by.
const (
	numStages  = 7 // len(Stages)
	numTypes   = 5 // len(Types)
	numSources = 6 // len(Sources)
)

// StatsFilter selects the projects the statistics count.
type StatsFilter struct {
	// Scope is a region path prefix ("/1/" for a district, "" for everything).
	Scope string
	// Year is a plan year; 0 counts every year.
	Year int
}

// Figures are the counts and sums over a set of projects.
//
// Every project counts in Projects and in Stages, pool projects included.
// Everything else — the counts by type, buildings, floor area, households,
// elevators, funding, budget and spend — counts only projects that have left
// the pool (stage other than pool): a pool project is a candidate, not a
// commitment, and its scope and money are drafts. StageType holds the counts
// of every stage, pool included, by type.
//
// Elevators are the work items of kind "elevator"; their quantity (in
// thousandths) is the number of elevators. An elevator is built when its item
// has reached 100 % progress, and under way when its item is below 100 % in a
// project in construction or acceptance. Every figure is an exact integer:
// areas in dm², money in fen, elevators in thousandths.
type Figures struct {
	Projects  int64                      `json:"projects"`
	Stages    [numStages]int64           `json:"stages"`     // by position in Stages
	StageType [numStages][numTypes]int64 `json:"stage_type"` // by position in Stages and Types
	Buildings int64                      `json:"buildings"`
	AreaDM2   int64                      `json:"floor_area_dm2"`
	// Households is the households benefited: those of the projects' scopes.
	Households int64 `json:"households"`
	// ElevatorsBuiltMilli and ElevatorsUnderwayMilli count elevators in thousandths.
	ElevatorsBuiltMilli    int64             `json:"elevators_built_milli"`
	ElevatorsUnderwayMilli int64             `json:"elevators_underway_milli"`
	Funding                [numSources]int64 `json:"funding_fen"` // by position in Sources
	BudgetFen              int64             `json:"budget_fen"`
	SpentFen               int64             `json:"spent_fen"`
}

// Stage returns the number of projects in stage.
func (f Figures) Stage(stage string) int64 {
	if i := StageIndex(stage); i >= 0 {
		return f.Stages[i]
	}
	return 0
}

// Type returns the number of projects of type typ that have left the pool.
func (f Figures) Type(typ string) int64 {
	t := slices.Index(Types, typ)
	if t < 0 {
		return 0
	}
	var n int64
	for s := 1; s < numStages; s++ {
		n += f.StageType[s][t]
	}
	return n
}

// Count returns the number of projects of type typ in stage.
func (f Figures) Count(stage, typ string) int64 {
	s, t := StageIndex(stage), slices.Index(Types, typ)
	if s < 0 || t < 0 {
		return 0
	}
	return f.StageType[s][t]
}

// Active returns the number of projects that have left the pool.
func (f Figures) Active() int64 { return f.Projects - f.Stages[0] }

// Source returns the funding from source in fen.
func (f Figures) Source(source string) int64 {
	if i := slices.Index(Sources, source); i >= 0 {
		return f.Funding[i]
	}
	return 0
}

// FundingFen returns the funding of every source in fen.
func (f Figures) FundingFen() int64 {
	var s int64
	for _, v := range f.Funding {
		s += v
	}
	return s
}

// ElevatorsBuilt shows the elevators built ("33", or "2.5" for a part).
func (f Figures) ElevatorsBuilt() string { return FormatQuantity(f.ElevatorsBuiltMilli) }

// ElevatorsUnderway shows the elevators under way.
func (f Figures) ElevatorsUnderway() string { return FormatQuantity(f.ElevatorsUnderwayMilli) }

func (f *Figures) add(o Figures) {
	f.Projects += o.Projects
	for s := range f.Stages {
		f.Stages[s] += o.Stages[s]
		for t := range f.StageType[s] {
			f.StageType[s][t] += o.StageType[s][t]
		}
	}
	f.Buildings += o.Buildings
	f.AreaDM2 += o.AreaDM2
	f.Households += o.Households
	f.ElevatorsBuiltMilli += o.ElevatorsBuiltMilli
	f.ElevatorsUnderwayMilli += o.ElevatorsUnderwayMilli
	for i := range f.Funding {
		f.Funding[i] += o.Funding[i]
	}
	f.BudgetFen += o.BudgetFen
	f.SpentFen += o.SpentFen
}

// StatsRow is the figures of one subdistrict or one plan year.
type StatsRow struct {
	// RegionID is the subdistrict (0 on the row of projects whose scope spans
	// several subdistricts, and on the rows by year).
	RegionID   int64  `json:"region_id,omitempty"`
	RegionPath string `json:"region_path,omitempty"`
	Name       string `json:"name,omitempty"`
	Year       int    `json:"year,omitempty"`
	Figures
}

// Stats are the district statistics of the renewal projects.
type Stats struct {
	Filter StatsFilter `json:"filter"`
	// ScopeName is the name of the scope's region ("" for everything).
	ScopeName string `json:"scope_name"`
	// Years lists the plan years of the scope's projects, whatever the filter's year.
	Years []int `json:"years"`
	// Total is the figures of the whole scope.
	Total Figures `json:"total"`
	// Subdistricts has one row per subdistrict of the scope (zeros included), in
	// code order, then — if it has projects — the row of projects spanning
	// several subdistricts (RegionID 0). The rows add up to Total.
	Subdistricts []StatsRow `json:"subdistricts"`
	// ByYear has one row per plan year with projects, oldest first. The rows add up to Total.
	ByYear []StatsRow `json:"by_year"`
}

// subdistrictOf is the SQL join giving each project p its subdistrict s: the
// region of level subdistrict whose path starts the project's region path. A
// project whose scope spans several subdistricts has none.
const subdistrictOf = ` LEFT JOIN regions s ON s.level = 'subdistrict' AND p.region_path LIKE (s.path || '%')`

// Stats counts the projects of f's scope and year per subdistrict, per plan
// year and in all; see Figures for what counts. The sums are made by the
// database; the rows are put together here.
func (s *Service) Stats(ctx context.Context, f StatsFilter) (Stats, error) {
	st := Stats{Filter: f}
	q := s.db.Read()
	if f.Scope != "" {
		if err := q.QueryRowContext(ctx, `SELECT name FROM regions WHERE path = $1`, f.Scope).Scan(&st.ScopeName); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return st, fmt.Errorf("stats scope %q: %w", f.Scope, err)
		}
	}
	// The plan years present, whatever the filter's year.
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT plan_year FROM projects WHERE region_path LIKE $1 ORDER BY plan_year`, likePrefix(f.Scope))
	if err != nil {
		return st, fmt.Errorf("stats years: %w", err)
	}
	for rows.Next() {
		var y int
		if err := rows.Scan(&y); err != nil {
			rows.Close()
			return st, fmt.Errorf("stats years: %w", err)
		}
		st.Years = append(st.Years, y)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("stats years: %w", err)
	}
	// The subdistricts of the scope, or the one holding it.
	rows, err = q.QueryContext(ctx, `SELECT id, path, name FROM regions WHERE level = 'subdistrict' ORDER BY code, id`)
	if err != nil {
		return st, fmt.Errorf("stats subdistricts: %w", err)
	}
	subIndex := map[int64]int{}
	for rows.Next() {
		var r StatsRow
		if err := rows.Scan(&r.RegionID, &r.RegionPath, &r.Name); err != nil {
			rows.Close()
			return st, fmt.Errorf("stats subdistricts: %w", err)
		}
		if strings.HasPrefix(r.RegionPath, f.Scope) || strings.HasPrefix(f.Scope, r.RegionPath) {
			subIndex[r.RegionID] = len(st.Subdistricts)
			st.Subdistricts = append(st.Subdistricts, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("stats subdistricts: %w", err)
	}
	var across StatsRow
	years := map[int]*Figures{}
	// add puts o on the total, the subdistrict's row and the year's row.
	add := func(sub int64, year int, o Figures) {
		st.Total.add(o)
		if i, ok := subIndex[sub]; ok {
			st.Subdistricts[i].add(o)
		} else {
			across.add(o)
		}
		if years[year] == nil {
			years[year] = &Figures{}
		}
		years[year].add(o)
	}
	where, args := " WHERE p.region_path LIKE $1", []any{likePrefix(f.Scope)}
	if f.Year != 0 {
		where += " AND p.plan_year = $2"
		args = append(args, f.Year)
	}
	const group = ` GROUP BY COALESCE(s.id, 0), p.plan_year`

	// Projects by stage and type, with their scope figures.
	if err := s.statsQuery(ctx, `SELECT COALESCE(s.id, 0), p.plan_year, p.stage, p.type, COUNT(*),
		COALESCE(SUM(p.buildings), 0), COALESCE(SUM(p.floor_area_dm2), 0), COALESCE(SUM(p.households), 0)
		FROM projects p`+subdistrictOf+where+group+`, p.stage, p.type`, args, func(sc scanner) error {
		var sub, n, buildings, area, households int64
		var year int
		var stage, typ string
		if err := sc.Scan(&sub, &year, &stage, &typ, &n, &buildings, &area, &households); err != nil {
			return err
		}
		si, ti := StageIndex(stage), slices.Index(Types, typ)
		if si < 0 || ti < 0 {
			return fmt.Errorf("unknown stage %q or type %q", stage, typ)
		}
		var o Figures
		o.Projects, o.Stages[si], o.StageType[si][ti] = n, n, n
		if stage != StagePool {
			o.Buildings, o.AreaDM2, o.Households = buildings, area, households
		}
		add(sub, year, o)
		return nil
	}); err != nil {
		return st, fmt.Errorf("stats projects: %w", err)
	}
	outOfPool := where + " AND p.stage <> 'pool'"
	// Budget and elevators from the items.
	if err := s.statsQuery(ctx, `SELECT COALESCE(s.id, 0), p.plan_year, COALESCE(SUM(i.budget_fen), 0),
		COALESCE(SUM(CASE WHEN i.kind = 'elevator' AND i.progress_pct = 100 THEN i.quantity_milli ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN i.kind = 'elevator' AND i.progress_pct < 100 AND p.stage IN ('construction', 'acceptance') THEN i.quantity_milli ELSE 0 END), 0)
		FROM project_items i JOIN projects p ON p.id = i.project_id`+subdistrictOf+outOfPool+group, args, func(sc scanner) error {
		var sub int64
		var year int
		var o Figures
		if err := sc.Scan(&sub, &year, &o.BudgetFen, &o.ElevatorsBuiltMilli, &o.ElevatorsUnderwayMilli); err != nil {
			return err
		}
		add(sub, year, o)
		return nil
	}); err != nil {
		return st, fmt.Errorf("stats items: %w", err)
	}
	// Funding by source.
	if err := s.statsQuery(ctx, `SELECT COALESCE(s.id, 0), p.plan_year, f.source, COALESCE(SUM(f.amount_fen), 0)
		FROM project_funding f JOIN project_items i ON i.id = f.item_id JOIN projects p ON p.id = i.project_id`+subdistrictOf+outOfPool+group+`, f.source`, args, func(sc scanner) error {
		var sub, amount int64
		var year int
		var source string
		if err := sc.Scan(&sub, &year, &source, &amount); err != nil {
			return err
		}
		i := slices.Index(Sources, source)
		if i < 0 {
			return fmt.Errorf("unknown funding source %q", source)
		}
		var o Figures
		o.Funding[i] = amount
		add(sub, year, o)
		return nil
	}); err != nil {
		return st, fmt.Errorf("stats funding: %w", err)
	}
	// Actual spend.
	if err := s.statsQuery(ctx, `SELECT COALESCE(s.id, 0), p.plan_year, COALESCE(SUM(x.amount_fen), 0)
		FROM project_spend x JOIN projects p ON p.id = x.project_id`+subdistrictOf+outOfPool+group, args, func(sc scanner) error {
		var sub int64
		var year int
		var o Figures
		if err := sc.Scan(&sub, &year, &o.SpentFen); err != nil {
			return err
		}
		add(sub, year, o)
		return nil
	}); err != nil {
		return st, fmt.Errorf("stats spend: %w", err)
	}
	if across.Projects > 0 {
		st.Subdistricts = append(st.Subdistricts, across)
	}
	for _, y := range slices.Sorted(maps.Keys(years)) {
		st.ByYear = append(st.ByYear, StatsRow{Year: y, Figures: *years[y]})
	}
	return st, nil
}

type scanner interface{ Scan(...any) error }

// statsQuery runs query and hands each row to fn.
func (s *Service) statsQuery(ctx context.Context, query string, args []any, fn func(scanner) error) error {
	rows, err := s.db.Read().QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// zh returns the Chinese text of a statistics message.
func zh(key string) string {
	if m, ok := statsMessagesTable()[key]; ok {
		return m[0]
	}
	return key
}

// cents turns an integer in hundredths (fen, dm²) into the number of yuan or m².
func cents(v int64) float64 { return float64(v) / 100 }

// ExportStats writes the statistics of f as an Excel workbook with Chinese
// headers and four sheets: by subdistrict, by plan year, projects by stage and
// type, and funding by source. Areas are in m², money in yuan.
func (s *Service) ExportStats(ctx context.Context, f StatsFilter, w io.Writer) error {
	st, err := s.Stats(ctx, f)
	if err != nil {
		return err
	}
	x := excelize.NewFile()
	defer x.Close()
	bold, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	total := zh("projects.stats.total")
	if st.ScopeName != "" {
		total = st.ScopeName + total
	}
	// figureHead and figureCells are the columns of a row of figures.
	figureHead := []string{zh("projects.stats.projects")}
	for _, stg := range Stages {
		figureHead = append(figureHead, zh("projects.stats.stage."+stg))
	}
	for _, t := range Types {
		figureHead = append(figureHead, zh("projects.stats.type."+t))
	}
	figureHead = append(figureHead, zh("projects.stats.buildings"), zh("projects.stats.area_m2"), zh("projects.stats.households"),
		zh("projects.stats.elevators_built"), zh("projects.stats.elevators_underway"), zh("projects.stats.funding_yuan"),
		zh("projects.stats.budget_yuan"), zh("projects.stats.spent_yuan"))
	figureCells := func(g Figures) []any {
		out := []any{g.Projects}
		for _, v := range g.Stages {
			out = append(out, v)
		}
		for _, t := range Types {
			out = append(out, g.Type(t))
		}
		return append(out, g.Buildings, cents(g.AreaDM2), g.Households, float64(g.ElevatorsBuiltMilli)/1000, float64(g.ElevatorsUnderwayMilli)/1000,
			cents(g.FundingFen()), cents(g.BudgetFen), cents(g.SpentFen))
	}
	sheets := []struct {
		name string
		rows [][]any
	}{}
	sheet := func(name string, head []string, rows [][]any) {
		h := make([]any, len(head))
		for i, v := range head {
			h[i] = v
		}
		sheets = append(sheets, struct {
			name string
			rows [][]any
		}{name, append([][]any{h}, rows...)})
	}

	var rows [][]any
	for _, r := range st.Subdistricts {
		name := r.Name
		if r.RegionID == 0 {
			name = zh("projects.stats.across")
		}
		rows = append(rows, append([]any{name}, figureCells(r.Figures)...))
	}
	rows = append(rows, append([]any{total}, figureCells(st.Total)...))
	sheet(zh("projects.stats.sheet.subdistricts"), append([]string{zh("projects.stats.subdistrict")}, figureHead...), rows)

	rows = nil
	for _, r := range st.ByYear {
		rows = append(rows, append([]any{r.Year}, figureCells(r.Figures)...))
	}
	rows = append(rows, append([]any{total}, figureCells(st.Total)...))
	sheet(zh("projects.stats.sheet.years"), append([]string{zh("projects.stats.plan_year")}, figureHead...), rows)

	head := []string{zh("projects.stats.stage")}
	for _, t := range Types {
		head = append(head, zh("projects.stats.type."+t))
	}
	head = append(head, zh("projects.stats.total"))
	rows = nil
	for si, stg := range Stages {
		row := []any{zh("projects.stats.stage." + stg)}
		for ti := range Types {
			row = append(row, st.Total.StageType[si][ti])
		}
		rows = append(rows, append(row, st.Total.Stages[si]))
	}
	row := []any{zh("projects.stats.active_total")}
	for _, t := range Types {
		row = append(row, st.Total.Type(t))
	}
	rows = append(rows, append(row, st.Total.Active()))
	sheet(zh("projects.stats.sheet.stage_type"), head, rows)

	head = []string{zh("projects.stats.subdistrict")}
	for _, src := range Sources {
		head = append(head, zh("projects.stats.source."+src)+zh("projects.stats.yuan_suffix"))
	}
	head = append(head, zh("projects.stats.funding_yuan"), zh("projects.stats.budget_yuan"), zh("projects.stats.spent_yuan"))
	money := func(name string, g Figures) []any {
		out := []any{name}
		for _, v := range g.Funding {
			out = append(out, cents(v))
		}
		return append(out, cents(g.FundingFen()), cents(g.BudgetFen), cents(g.SpentFen))
	}
	rows = nil
	for _, r := range st.Subdistricts {
		name := r.Name
		if r.RegionID == 0 {
			name = zh("projects.stats.across")
		}
		rows = append(rows, money(name, r.Figures))
	}
	rows = append(rows, money(total, st.Total))
	sheet(zh("projects.stats.sheet.sources"), head, rows)

	for i, sh := range sheets {
		if i == 0 {
			if err := x.SetSheetName("Sheet1", sh.name); err != nil {
				return err
			}
		} else if _, err := x.NewSheet(sh.name); err != nil {
			return err
		}
		for r, row := range sh.rows {
			cell, err := excelize.CoordinatesToCellName(1, r+1)
			if err != nil {
				return err
			}
			if err := x.SetSheetRow(sh.name, cell, &row); err != nil {
				return err
			}
		}
		last, err := excelize.CoordinatesToCellName(len(sh.rows[0]), 1)
		if err != nil {
			return err
		}
		if err := x.SetCellStyle(sh.name, "A1", last, bold); err != nil {
			return err
		}
		if err := x.SetPanes(sh.name, &excelize.Panes{Freeze: true, XSplit: 1, YSplit: 1, TopLeftCell: "B2", ActivePane: "bottomRight"}); err != nil {
			return err
		}
		if err := x.SetColWidth(sh.name, "A", "A", 18); err != nil {
			return err
		}
	}
	x.SetActiveSheet(0)
	if _, err := x.WriteTo(w); err != nil {
		return fmt.Errorf("write statistics workbook: %w", err)
	}
	return nil
}
