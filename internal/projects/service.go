package projects

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/checkup"
	"github.com/gengxin/gengxin/internal/db"
)

// Consultation is what the gates read from the consultation module: the survey
// rounds and owner votes linked to a project.
type Consultation interface {
	SurveyRounds(ctx context.Context, projectID int64) ([]SurveyRound, error)
	Votes(ctx context.Context, projectID int64) ([]VoteResult, error)
}

// Service keeps the renewal projects.
type Service struct {
	db      *db.DB
	log     *audit.Log
	checkup *checkup.Service
	consult Consultation
	now     func() time.Time
}

// New returns the projects service. ck changes the findings a project takes in
// and resolves; cons answers the gates' questions about surveys and votes.
func New(d *db.DB, log *audit.Log, ck *checkup.Service, cons Consultation, now func() time.Time) *Service {
	return &Service{db: d, log: log, checkup: ck, consult: cons, now: now}
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func actorID(a audit.Actor) any {
	if a.Kind == audit.ActorUser && a.ID != 0 {
		return a.ID
	}
	return nil
}

// DefaultCutoffYear is the eligibility cut-off of domain.md §3: compounds built
// before the end of 2000.
const DefaultCutoffYear = 2000

// NewProject is what a project is created from. Its scope is the listed
// compounds and buildings plus the objects of the listed findings.
type NewProject struct {
	Name        string
	Type        string
	Mode        string // village projects: rebuild, renovate or mixed
	Description string
	PlanYear    int
	CutoffYear  int // 0: DefaultCutoffYear
	Compounds   []int64
	Buildings   []int64
	Findings    []int64
}

func (np *NewProject) check() error {
	np.Name = strings.TrimSpace(np.Name)
	var bad []string
	if np.Name == "" || utf8.RuneCountInString(np.Name) > 100 {
		bad = append(bad, "the name must have 1 to 100 characters")
	}
	if !slices.Contains(Types, np.Type) {
		bad = append(bad, fmt.Sprintf("unknown project type %q", np.Type))
	}
	switch {
	case np.Type == TypeVillage && !slices.Contains(Modes, np.Mode):
		bad = append(bad, "a village project needs a mode: rebuild, renovate or mixed")
	case np.Type != TypeVillage && np.Mode != "":
		bad = append(bad, "only village projects have a mode")
	}
	if np.PlanYear < 2000 || np.PlanYear > 2100 {
		bad = append(bad, fmt.Sprintf("plan year %d is not between 2000 and 2100", np.PlanYear))
	}
	if np.CutoffYear == 0 {
		np.CutoffYear = DefaultCutoffYear
	}
	if np.CutoffYear < 1900 || np.CutoffYear > 2100 {
		bad = append(bad, fmt.Sprintf("cut-off year %d is not between 1900 and 2100", np.CutoffYear))
	}
	if len(np.Compounds)+len(np.Buildings)+len(np.Findings) == 0 {
		bad = append(bad, "choose at least one finding, compound or building")
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(bad, "; "))
	}
	return nil
}

// Create stores a new pool project: it takes in the findings (which become
// "in project"), computes the scope from the places and records the first
// stage event.
func (s *Service) Create(ctx context.Context, np NewProject) (Project, error) {
	if err := np.check(); err != nil {
		return Project{}, err
	}
	now := s.clock()
	a := audit.ActorFrom(ctx)
	var id int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		compounds, buildings := slices.Clone(np.Compounds), slices.Clone(np.Buildings)
		type linked struct {
			f        checkup.Finding
			severity int64
		}
		var fins []linked
		for _, fid := range uniq(np.Findings) {
			f, err := s.checkup.FindingByID(ctx, fid)
			if errors.Is(err, checkup.ErrNotFound) {
				return fmt.Errorf("%w: finding %d does not exist", ErrInvalid, fid)
			}
			if err != nil {
				return err
			}
			if f.Status != checkup.StatusNew && f.Status != checkup.StatusOpen {
				return fmt.Errorf("%w: finding %d (%s, %s) is %s; only new or open findings can start a project", ErrInvalid, fid, f.Indicator, f.ObjectName, f.Status)
			}
			switch f.ObjectType {
			case checkup.ObjectBuilding:
				buildings = append(buildings, f.ObjectID)
			case checkup.ObjectCompound:
				compounds = append(compounds, f.ObjectID)
			}
			fins = append(fins, linked{f, int64(Severity(f.Value, f.Threshold)*1000 + 0.5)})
		}
		compounds, buildings = uniq(compounds), uniq(buildings)
		if len(compounds)+len(buildings) == 0 {
			return fmt.Errorf("%w: the findings chosen lie on no compound or building; choose a compound or building for the scope", ErrInvalid)
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO projects (code, name, type, mode, stage, description, plan_year, region_path, cutoff_year,
			stage_entered_at, created_by, created_by_id, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, '', $8, $9, $10, $11, $9, $9) RETURNING id`,
			fmt.Sprintf("tmp-%d", now.UnixNano()), np.Name, np.Type, np.Mode, StagePool, strings.TrimSpace(np.Description), np.PlanYear, np.CutoffYear,
			now, a.Name, actorID(a)).Scan(&id); err != nil {
			return fmt.Errorf("insert project: %w", err)
		}
		code := fmt.Sprintf("GX%d-%04d", np.PlanYear, id)
		if _, err := tx.ExecContext(ctx, `UPDATE projects SET code = $1 WHERE id = $2`, code, id); err != nil {
			return fmt.Errorf("project code: %w", err)
		}
		if err := s.writeScope(ctx, tx, id, compounds, buildings); err != nil {
			return err
		}
		for _, l := range fins {
			if _, err := tx.ExecContext(ctx, `INSERT INTO project_findings (project_id, finding_id, value_before, threshold, severity_milli, linked_at)
				VALUES ($1, $2, $3, $4, $5, $6)`, id, l.f.ID, l.f.Value, l.f.Threshold, l.severity, now); err != nil {
				return fmt.Errorf("link finding %d: %w", l.f.ID, err)
			}
			if err := s.checkup.SetFindingStatusTx(ctx, tx, l.f.ID, checkup.StatusInProject, "taken into project "+code); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO project_stage_events (project_id, from_stage, to_stage, actor_name, actor_id, at)
			VALUES ($1, '', $2, $3, $4, $5)`, id, StagePool, a.Name, actorID(a), now); err != nil {
			return fmt.Errorf("stage event: %w", err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "project.create", ObjectType: "project", ObjectID: itoa(id),
			After: map[string]any{"code": code, "name": np.Name, "type": np.Type, "mode": np.Mode, "plan_year": np.PlanYear,
				"cutoff_year": np.CutoffYear, "compounds": compounds, "buildings": buildings, "findings": np.Findings}})
	})
	if err != nil {
		return Project{}, err
	}
	return s.Get(ctx, id)
}

func uniq(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// writeScope replaces the project's scope with compounds and buildings (a
// building inside a listed compound is covered by the compound) and stores
// the scope's figures, region and position.
func (s *Service) writeScope(ctx context.Context, tx *sql.Tx, id int64, compounds, buildings []int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM project_scope WHERE project_id = $1`, id); err != nil {
		return fmt.Errorf("clear scope: %w", err)
	}
	for _, c := range compounds {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM compounds WHERE id = $1`, c).Scan(&n); err != nil {
			return fmt.Errorf("compound %d: %w", c, err)
		}
		if n == 0 {
			return fmt.Errorf("%w: compound %d does not exist", ErrInvalid, c)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO project_scope (project_id, object_type, object_id) VALUES ($1, 'compound', $2)`, id, c); err != nil {
			return fmt.Errorf("scope: %w", err)
		}
	}
	for _, b := range buildings {
		var cid int64
		err := tx.QueryRowContext(ctx, `SELECT compound_id FROM buildings WHERE id = $1`, b).Scan(&cid)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: building %d does not exist", ErrInvalid, b)
		}
		if err != nil {
			return fmt.Errorf("building %d: %w", b, err)
		}
		if slices.Contains(compounds, cid) {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO project_scope (project_id, object_type, object_id) VALUES ($1, 'building', $2)`, id, b); err != nil {
			return fmt.Errorf("scope: %w", err)
		}
	}
	var sum ScopeSums
	var cutoff int
	if err := tx.QueryRowContext(ctx, `SELECT cutoff_year FROM projects WHERE id = $1`, id).Scan(&cutoff); err != nil {
		return fmt.Errorf("project %d: %w", id, err)
	}
	bsel := scopeBuildings
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN COALESCE(b.built_year, c.built_year, 9999) <= $2 THEN 1 ELSE 0 END), 0),
		COUNT(DISTINCT b.compound_id)
		FROM buildings b JOIN compounds c ON c.id = b.compound_id WHERE b.id IN (`+bsel+`)`, id, cutoff).Scan(&sum.Buildings, &sum.Eligible, &sum.Compounds); err != nil {
		return fmt.Errorf("scope buildings: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM entrances WHERE building_id IN (`+bsel+`)`, id).Scan(&sum.Entrances); err != nil {
		return fmt.Errorf("scope entrances: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(`+areaExpr+`), 0) FROM households h WHERE h.building_id IN (`+bsel+`)`, id).Scan(&sum.Households, &sum.AreaDM2); err != nil {
		return fmt.Errorf("scope households: %w", err)
	}
	// The region is the deepest region holding every compound of the scope;
	// the position is the mean of the compounds' positions.
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT c.region_path, COALESCE(c.lon, 0), COALESCE(c.lat, 0) FROM compounds c
		WHERE c.id IN (SELECT compound_id FROM buildings WHERE id IN (`+bsel+`)) OR c.id IN (SELECT object_id FROM project_scope WHERE project_id = $1 AND object_type = 'compound')`, id)
	if err != nil {
		return fmt.Errorf("scope region: %w", err)
	}
	var paths []string
	var lon, lat float64
	var n int
	for rows.Next() {
		var p string
		var x, y float64
		if err := rows.Scan(&p, &x, &y); err != nil {
			rows.Close()
			return fmt.Errorf("scope region: %w", err)
		}
		paths = append(paths, p)
		if x != 0 || y != 0 {
			lon, lat, n = lon+x, lat+y, n+1
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("scope region: %w", err)
	}
	if n > 0 {
		lon, lat = lon/float64(n), lat/float64(n)
	}
	path := commonPath(paths)
	var regionID any
	if path != "" {
		parts := strings.Split(strings.Trim(path, "/"), "/")
		if v, err := strconv.ParseInt(parts[len(parts)-1], 10, 64); err == nil {
			regionID = v
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE projects SET compounds = $1, buildings = $2, eligible_buildings = $3, entrances = $4, households = $5,
		floor_area_dm2 = $6, region_path = $7, region_id = $8, lon = $9, lat = $10 WHERE id = $11`,
		sum.Compounds, sum.Buildings, sum.Eligible, sum.Entrances, sum.Households, sum.AreaDM2, path, regionID, lon, lat, id); err != nil {
		return fmt.Errorf("scope figures: %w", err)
	}
	return nil
}

// scopeBuildings selects the ids of the buildings in project $1's scope.
const scopeBuildings = `SELECT b2.id FROM buildings b2 WHERE b2.compound_id IN (SELECT object_id FROM project_scope WHERE project_id = $1 AND object_type = 'compound')
	UNION SELECT object_id FROM project_scope WHERE project_id = $1 AND object_type = 'building'`

// areaExpr is a household's floor area: registered, else surveyed, else contract.
const areaExpr = `COALESCE(h.registered_area_dm2, h.surveyed_area_dm2, h.contract_area_dm2, 0)`

// commonPath returns the longest region path every path starts with.
func commonPath(paths []string) string {
	if len(paths) == 0 {
		return ""
	}
	common := strings.Split(strings.Trim(paths[0], "/"), "/")
	for _, p := range paths[1:] {
		parts := strings.Split(strings.Trim(p, "/"), "/")
		n := 0
		for n < len(common) && n < len(parts) && common[n] == parts[n] {
			n++
		}
		common = common[:n]
	}
	if len(common) == 0 || common[0] == "" {
		return ""
	}
	return "/" + strings.Join(common, "/") + "/"
}

const projectCols = `p.id, p.code, p.name, p.type, p.mode, p.stage, p.description, p.plan_year, COALESCE(p.region_id, 0), p.region_path,
	COALESCE(r.name, ''), p.cutoff_year, p.compounds, p.buildings, p.eligible_buildings, p.entrances, p.households, p.floor_area_dm2,
	COALESCE(p.lon, 0), COALESCE(p.lat, 0), COALESCE(p.sample_building_id, 0), p.stage_entered_at, p.created_by, p.created_at, p.updated_at,
	COALESCE((SELECT SUM(i.budget_fen) FROM project_items i WHERE i.project_id = p.id), 0),
	COALESCE((SELECT SUM(f.amount_fen) FROM project_funding f JOIN project_items i ON i.id = f.item_id WHERE i.project_id = p.id), 0),
	COALESCE((SELECT SUM(x.amount_fen) FROM project_spend x WHERE x.project_id = p.id), 0),
	(SELECT COUNT(*) FROM project_findings pf WHERE pf.project_id = p.id)`

const projectFrom = ` FROM projects p LEFT JOIN regions r ON r.id = p.region_id`

func scanProject(sc interface{ Scan(...any) error }) (Project, error) {
	var p Project
	err := sc.Scan(&p.ID, &p.Code, &p.Name, &p.Type, &p.Mode, &p.Stage, &p.Description, &p.PlanYear, &p.RegionID, &p.RegionPath,
		&p.RegionName, &p.CutoffYear, &p.Scope.Compounds, &p.Scope.Buildings, &p.Scope.Eligible, &p.Scope.Entrances, &p.Scope.Households, &p.Scope.AreaDM2,
		&p.Lon, &p.Lat, &p.SampleBuildingID, &p.StageEnteredAt, &p.CreatedBy, &p.CreatedAt, &p.UpdatedAt,
		&p.BudgetFen, &p.FundingFen, &p.SpentFen, &p.Findings)
	p.StageEnteredAt, p.CreatedAt, p.UpdatedAt = p.StageEnteredAt.UTC(), p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return p, err
}

// Get returns one project with its money sums and progress.
func (s *Service) Get(ctx context.Context, id int64) (Project, error) {
	p, err := s.get(ctx, s.db.Read(), id)
	if err != nil {
		return p, err
	}
	items, err := s.items(ctx, s.db.Read(), id)
	if err != nil {
		return p, err
	}
	p.ProgressPermille = RollUp(items)
	return p, nil
}

// get reads one project row with its money sums (not its progress, which
// Get adds) inside q.
func (s *Service) get(ctx context.Context, q db.Querier, id int64) (Project, error) {
	p, err := scanProject(q.QueryRowContext(ctx, `SELECT `+projectCols+projectFrom+` WHERE p.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("project %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("project %d: %w", id, err)
	}
	return p, nil
}

// Filter selects projects.
type Filter struct {
	Scope  string // region path prefix; "" = all
	Stage  string
	Type   string
	Year   int
	Query  string // part of the name or code
	Limit  int    // 0 = 200, at most 5,000
	Offset int
}

// List returns matching projects, newest first, and how many match in all.
func (s *Service) List(ctx context.Context, f Filter) ([]Project, int, error) {
	where, args := []string{"p.region_path LIKE $1"}, []any{likePrefix(f.Scope)}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.Stage != "" {
		add("p.stage = $%d", f.Stage)
	}
	if f.Type != "" {
		add("p.type = $%d", f.Type)
	}
	if f.Year != 0 {
		add("p.plan_year = $%d", f.Year)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		args = append(args, "%"+strings.NewReplacer("%", "", "_", "").Replace(q)+"%")
		where = append(where, fmt.Sprintf("(p.name LIKE $%d OR p.code LIKE $%d)", len(args), len(args)))
	}
	cond := " WHERE " + strings.Join(where, " AND ")
	var total int
	if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM projects p`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count projects: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 200
	}
	limit = min(limit, 5000)
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+projectCols+projectFrom+cond+fmt.Sprintf(` ORDER BY p.id DESC LIMIT %d OFFSET %d`, limit, max(f.Offset, 0)), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list projects: %w", err)
	}
	defer rows.Close()
	var out []Project
	for rows.Next() {
		p, err := scanProject(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list projects: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	progress, err := s.progressOf(ctx, out)
	if err != nil {
		return nil, 0, err
	}
	for i := range out {
		out[i].ProgressPermille = progress[out[i].ID]
	}
	return out, total, nil
}

// progressOf rolls up the items of the listed projects.
func (s *Service) progressOf(ctx context.Context, ps []Project) (map[int64]int64, error) {
	out := map[int64]int64{}
	if len(ps) == 0 {
		return out, nil
	}
	byProject := map[int64][]Item{}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT project_id, budget_fen, weight, progress_pct FROM project_items WHERE project_id IN (`+idList(ps)+`)`)
	if err != nil {
		return nil, fmt.Errorf("item progress: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var it Item
		if err := rows.Scan(&it.ProjectID, &it.BudgetFen, &it.Weight, &it.ProgressPct); err != nil {
			return nil, fmt.Errorf("item progress: %w", err)
		}
		byProject[it.ProjectID] = append(byProject[it.ProjectID], it)
	}
	for id, items := range byProject {
		out[id] = RollUp(items)
	}
	return out, rows.Err()
}

func idList(ps []Project) string {
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = itoa(p.ID)
	}
	return strings.Join(ids, ",")
}

func likePrefix(p string) string {
	return strings.NewReplacer("%", "", "_", "").Replace(p) + "%"
}

// ProjectUpdate changes a project's description fields.
type ProjectUpdate struct {
	Name             string
	Description      string
	PlanYear         int
	SampleBuildingID int64
}

// Update changes the name, description, plan year and sample building.
func (s *Service) Update(ctx context.Context, id int64, u ProjectUpdate) (Project, error) {
	u.Name = strings.TrimSpace(u.Name)
	if u.Name == "" || utf8.RuneCountInString(u.Name) > 100 {
		return Project{}, fmt.Errorf("%w: the name must have 1 to 100 characters", ErrInvalid)
	}
	if u.PlanYear < 2000 || u.PlanYear > 2100 {
		return Project{}, fmt.Errorf("%w: plan year %d is not between 2000 and 2100", ErrInvalid, u.PlanYear)
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		if u.SampleBuildingID != 0 {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (`+scopeBuildings+`) x WHERE x.id = $2`, id, u.SampleBuildingID).Scan(&n); err != nil {
				return fmt.Errorf("sample building: %w", err)
			}
			if n == 0 {
				return fmt.Errorf("%w: building %d is not in the project's scope", ErrInvalid, u.SampleBuildingID)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE projects SET name = $1, description = $2, plan_year = $3, sample_building_id = $4, updated_at = $5 WHERE id = $6`,
			u.Name, strings.TrimSpace(u.Description), u.PlanYear, nullID(u.SampleBuildingID), s.clock(), id); err != nil {
			return fmt.Errorf("update project: %w", err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "project.update", ObjectType: "project", ObjectID: itoa(id),
			Before: map[string]any{"name": before.Name, "description": before.Description, "plan_year": before.PlanYear, "sample_building_id": before.SampleBuildingID},
			After:  map[string]any{"name": u.Name, "description": u.Description, "plan_year": u.PlanYear, "sample_building_id": u.SampleBuildingID}})
	})
	if err != nil {
		return Project{}, err
	}
	return s.Get(ctx, id)
}

// ScopeObject is one compound or building of a project's scope.
type ScopeObject struct {
	Type       string `json:"type"` // compound or building
	ID         int64  `json:"id"`
	Code       string `json:"code"`
	Name       string `json:"name"`
	BuiltYear  int    `json:"built_year,omitempty"`
	Eligible   bool   `json:"eligible"`
	Households int64  `json:"households"`
	Geometry   string `json:"-"`
	Lon        float64
	Lat        float64
}

// Scope lists the compounds and buildings of a project's scope with their
// geometry, for the scope map and table.
func (s *Service) Scope(ctx context.Context, id int64) ([]ScopeObject, error) {
	var cutoff int
	if err := s.db.Read().QueryRowContext(ctx, `SELECT cutoff_year FROM projects WHERE id = $1`, id).Scan(&cutoff); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("project %d: %w", id, ErrNotFound)
		}
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT 'compound', c.id, c.code, c.name, COALESCE(c.built_year, 0), COALESCE(c.geometry, ''), COALESCE(c.lon, 0), COALESCE(c.lat, 0),
		(SELECT COUNT(*) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.compound_id = c.id)
		FROM project_scope s JOIN compounds c ON c.id = s.object_id WHERE s.project_id = $1 AND s.object_type = 'compound'
		UNION ALL
		SELECT 'building', b.id, b.code, c.name || ' ' || b.name, COALESCE(b.built_year, c.built_year, 0), COALESCE(b.footprint, ''), COALESCE(b.lon, 0), COALESCE(b.lat, 0),
		(SELECT COUNT(*) FROM households h WHERE h.building_id = b.id)
		FROM project_scope s JOIN buildings b ON b.id = s.object_id JOIN compounds c ON c.id = b.compound_id WHERE s.project_id = $1 AND s.object_type = 'building'
		ORDER BY 1 DESC, 3`, id)
	if err != nil {
		return nil, fmt.Errorf("project scope: %w", err)
	}
	defer rows.Close()
	var out []ScopeObject
	for rows.Next() {
		var o ScopeObject
		if err := rows.Scan(&o.Type, &o.ID, &o.Code, &o.Name, &o.BuiltYear, &o.Geometry, &o.Lon, &o.Lat, &o.Households); err != nil {
			return nil, fmt.Errorf("project scope: %w", err)
		}
		o.Eligible = o.BuiltYear != 0 && o.BuiltYear <= cutoff
		out = append(out, o)
	}
	return out, rows.Err()
}

// ScopeCompounds returns the ids of the compounds a project's scope touches.
func (s *Service) ScopeCompounds(ctx context.Context, q db.Querier, id int64) ([]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT compound_id FROM buildings WHERE id IN (`+scopeBuildings+`) ORDER BY 1`, id)
	if err != nil {
		return nil, fmt.Errorf("scope compounds: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var c int64
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Event is one stage change of a project.
type Event struct {
	ID         int64     `json:"id"`
	From       string    `json:"from"`
	To         string    `json:"to"`
	Overridden bool      `json:"overridden"`
	Reason     string    `json:"reason,omitempty"`
	Missing    string    `json:"missing,omitempty"` // JSON list of the checks overridden
	Actor      string    `json:"actor"`
	At         time.Time `json:"at"`
}

// Events lists a project's stage changes, oldest first.
func (s *Service) Events(ctx context.Context, id int64) ([]Event, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, from_stage, to_stage, overridden, reason, missing_json, actor_name, at
		FROM project_stage_events WHERE project_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("stage events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.ID, &e.From, &e.To, &e.Overridden, &e.Reason, &e.Missing, &e.Actor, &e.At); err != nil {
			return nil, fmt.Errorf("stage events: %w", err)
		}
		e.At = e.At.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}
