package projects

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/checkup"
	"github.com/gengxin/gengxin/internal/places"
	"github.com/gengxin/gengxin/internal/web"
)

// pageRoutes are the routes of the project pages, their forms and the API.
func (h *Handlers) pageRoutes() []web.Route {
	read, manage, fb, over := string(auth.ProjectsRead), string(auth.ProjectsManage), string(auth.ProjectsFeedback), string(auth.ProjectsOverride)
	return []web.Route{
		{Method: "GET", Pattern: "/projects", Perm: read, Handler: h.list},
		{Method: "GET", Pattern: "/projects/map.geojson", Perm: read, Handler: h.mapData},
		{Method: "GET", Pattern: "/projects/new", Perm: manage, Handler: h.newForm},
		{Method: "POST", Pattern: "/projects", Perm: manage, Handler: h.create},
		{Method: "GET", Pattern: "/projects/gates", Perm: read, Handler: h.gatesPage},
		{Method: "POST", Pattern: "/projects/gates", Perm: over, Handler: h.saveGate},
		{Method: "POST", Pattern: "/projects/weights", Perm: over, Handler: h.saveWeights},
		{Method: "GET", Pattern: "/projects/mine", Perm: string(auth.MapView), Handler: h.mine},
		{Method: "GET", Pattern: "/projects/{id}", Perm: read, Handler: h.detail},
		{Method: "GET", Pattern: "/projects/{id}/scope.geojson", Perm: read, Handler: h.scopeData},
		{Method: "POST", Pattern: "/projects/{id}/edit", Perm: manage, Handler: h.edit},
		{Method: "POST", Pattern: "/projects/{id}/advance", Perm: manage, Handler: h.advance},
		{Method: "POST", Pattern: "/projects/{id}/items", Perm: manage, Handler: h.addItem},
		{Method: "POST", Pattern: "/projects/{id}/items/{item}/funding", Perm: manage, Handler: h.setFunding},
		{Method: "POST", Pattern: "/projects/{id}/items/{item}/progress", Perm: manage, Handler: h.setProgress},
		{Method: "POST", Pattern: "/projects/{id}/items/{item}/spend", Perm: manage, Handler: h.addSpend},
		{Method: "POST", Pattern: "/projects/{id}/items/{item}/delete", Perm: manage, Handler: h.deleteItem},
		{Method: "GET", Pattern: "/projects/{id}/items/{item}/shares", Perm: read, Handler: h.shares},
		{Method: "POST", Pattern: "/projects/{id}/records", Perm: manage, Handler: h.addRecord},
		{Method: "POST", Pattern: "/projects/{id}/feedback", Perm: fb, Handler: h.addFeedback},
		{Method: "POST", Pattern: "/projects/{id}/feedback/{fb}/resolve", Perm: fb, Handler: h.resolveFeedback},
		{Method: "POST", Pattern: "/projects/{id}/milestones", Perm: manage, Handler: h.addMilestone},
		{Method: "POST", Pattern: "/projects/{id}/milestones/{m}/reached", Perm: manage, Handler: h.reached},
		{Method: "POST", Pattern: "/projects/{id}/files", Perm: manage, Handler: h.addFile},
		{Method: "GET", Pattern: "/projects/{id}/files/{file}", Perm: read, Handler: h.file},
		{Method: "GET", Pattern: "/households/{id}/history", Perm: string(auth.HouseholdNotes), Handler: h.household},
		{Method: "POST", Pattern: "/households/{id}/notes", Perm: string(auth.HouseholdNotes), Handler: h.addNote},
		{Method: "POST", Pattern: "/households/{id}/notes/{note}/done", Perm: string(auth.HouseholdNotes), Handler: h.noteDone},
		{Method: "GET", Pattern: "/api/v1/projects", Perm: read, Handler: h.apiList},
		{Method: "GET", Pattern: "/api/v1/projects/{id}", Perm: read, Handler: h.apiGet},
	}
}

// ---- pool list ----

type listRow struct {
	Project
	Priority Priority
	HasScore bool
}

type listData struct {
	Rows    []listRow
	Total   int
	Filter  Filter
	Sort    string
	Weights Weights
	Years   []int
	Query   string
}

func (h *Handlers) filterOf(r *http.Request) (Filter, string, error) {
	q := r.URL.Query()
	f := Filter{Scope: principalOf(r).RegionPath, Stage: q.Get("stage"), Type: q.Get("type"), Query: q.Get("q"), Limit: 500}
	if f.Stage != "" && !slices.Contains(Stages, f.Stage) {
		return f, "", fmt.Errorf("%w: unknown stage %q", ErrInvalid, f.Stage)
	}
	if f.Type != "" && !slices.Contains(Types, f.Type) {
		return f, "", fmt.Errorf("%w: unknown project type %q", ErrInvalid, f.Type)
	}
	if v := q.Get("year"); v != "" {
		y, err := strconv.Atoi(v)
		if err != nil {
			return f, "", fmt.Errorf("%w: year %q is not a number", ErrInvalid, v)
		}
		f.Year = y
	}
	sort := cmp.Or(q.Get("sort"), "priority")
	if !slices.Contains([]string{"priority", "households", "budget", "newest", "progress"}, sort) {
		return f, "", fmt.Errorf("%w: unknown sort %q", ErrInvalid, sort)
	}
	return f, sort, nil
}

func (h *Handlers) list(w http.ResponseWriter, r *http.Request) {
	f, sort, err := h.filterOf(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ps, total, err := h.svc.List(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// The score compares pool projects with each other.
	var pool []Project
	for _, p := range ps {
		if p.Stage == StagePool {
			pool = append(pool, p)
		}
	}
	pr, weights, err := h.svc.Priorities(r.Context(), pool)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rows := make([]listRow, len(ps))
	for i, p := range ps {
		rows[i].Project = p
		rows[i].Priority, rows[i].HasScore = pr[p.ID]
	}
	slices.SortStableFunc(rows, func(a, b listRow) int {
		switch sort {
		case "households":
			return cmp.Compare(b.Scope.Households, a.Scope.Households)
		case "budget":
			return cmp.Compare(b.BudgetFen, a.BudgetFen)
		case "progress":
			return cmp.Compare(b.ProgressPermille, a.ProgressPermille)
		case "newest":
			return cmp.Compare(b.ID, a.ID)
		}
		if a.HasScore != b.HasScore {
			if a.HasScore {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(b.Priority.Score, a.Priority.Score); c != 0 {
			return c
		}
		return cmp.Compare(StageIndex(a.Stage), StageIndex(b.Stage))
	})
	now := time.Now().In(shanghai).Year()
	data := listData{Rows: rows, Total: total, Filter: f, Sort: sort, Weights: weights, Query: r.URL.RawQuery}
	for y := now + 2; y >= now-5; y-- {
		data.Years = append(data.Years, y)
	}
	h.rd.Render(w, http.StatusOK, "projects", h.rd.NewPage(r, "projects.title", data))
}

// mapData answers the pool as GeoJSON points for the list's map.
func (h *Handlers) mapData(w http.ResponseWriter, r *http.Request) {
	f, _, err := h.filterOf(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f.Limit = 5000
	ps, _, err := h.svc.List(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	type feature struct {
		Type       string         `json:"type"`
		Geometry   map[string]any `json:"geometry"`
		Properties map[string]any `json:"properties"`
	}
	fc := struct {
		Type     string    `json:"type"`
		Features []feature `json:"features"`
	}{Type: "FeatureCollection", Features: []feature{}}
	for _, p := range ps {
		if p.Lon == 0 && p.Lat == 0 {
			continue
		}
		fc.Features = append(fc.Features, feature{Type: "Feature",
			Geometry: map[string]any{"type": "Point", "coordinates": []float64{p.Lon, p.Lat}},
			Properties: map[string]any{"id": p.ID, "code": p.Code, "name": p.Name, "stage": p.Stage,
				"stage_label": h.rd.T(r, "projects.stage."+p.Stage), "households": p.Scope.Households}})
	}
	web.JSON(w, http.StatusOK, fc)
}

// ---- create ----

type findingRow struct {
	checkup.Finding
	Name string
}

type newData struct {
	Findings []findingRow
	Year     int
	Error    string
	Form     url.Values
}

func (h *Handlers) findingsOf(r *http.Request, ids []string) ([]findingRow, []int64, error) {
	var out []findingRow
	var nums []int64
	scope := places.Scope(principalOf(r).RegionPath)
	for _, s := range ids {
		id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || id <= 0 {
			return nil, nil, fmt.Errorf("%w: finding %q is not a number", ErrInvalid, s)
		}
		f, err := h.svc.checkup.FindingByID(r.Context(), id)
		if errors.Is(err, checkup.ErrNotFound) {
			return nil, nil, fmt.Errorf("%w: finding %d does not exist", ErrInvalid, id)
		}
		if err != nil {
			return nil, nil, err
		}
		if !scope.Covers(f.RegionPath) {
			return nil, nil, errOutOfScope
		}
		name := f.Indicator
		if ind, ok := h.svc.checkup.Catalogue().Indicator(f.Indicator); ok {
			name = ind.NameZh
			if web.Lang(r) == "en" {
				name = ind.NameEn
			}
		}
		out = append(out, findingRow{Finding: f, Name: name})
		nums = append(nums, id)
	}
	return out, nums, nil
}

func (h *Handlers) newForm(w http.ResponseWriter, r *http.Request) {
	fins, _, err := h.findingsOf(r, r.URL.Query()["finding"])
	if err != nil {
		h.fail(w, r, err)
		return
	}
	form := url.Values{}
	if len(fins) > 0 {
		form.Set("name", fins[0].ObjectName+" "+h.rd.T(r, "projects.type.compound"))
	}
	h.rd.Render(w, http.StatusOK, "project_new", h.rd.NewPage(r, "projects.new.title", newData{Findings: fins, Year: time.Now().In(shanghai).Year() + 1, Form: form}))
}

// idsFromCodes turns a list of compound or building codes (one per line or
// separated by commas) into ids.
func (h *Handlers) idsFromCodes(r *http.Request, table, text string) ([]int64, error) {
	var out []int64
	for _, code := range strings.FieldsFunc(text, func(c rune) bool { return c == ',' || c == '，' || c == '\n' || c == '\r' || c == ' ' }) {
		var id int64
		var path string
		q := `SELECT c.id, c.region_path FROM compounds c WHERE c.code = $1`
		if table == "buildings" {
			q = `SELECT b.id, c.region_path FROM buildings b JOIN compounds c ON c.id = b.compound_id WHERE b.code = $1`
		}
		if err := h.svc.db.Read().QueryRowContext(r.Context(), q, code).Scan(&id, &path); err != nil {
			return nil, fmt.Errorf("%w: no %s with the code %q", ErrInvalid, strings.TrimSuffix(table, "s"), code)
		}
		if !places.Scope(principalOf(r).RegionPath).Covers(path) {
			return nil, errOutOfScope
		}
		out = append(out, id)
	}
	return out, nil
}

func (h *Handlers) create(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, fmt.Errorf("%w: %v", ErrInvalid, err))
		return
	}
	fins, ids, err := h.findingsOf(r, r.PostForm["finding"])
	if err != nil {
		h.fail(w, r, err)
		return
	}
	np := NewProject{Name: r.PostFormValue("name"), Type: r.PostFormValue("type"), Mode: r.PostFormValue("mode"),
		Description: r.PostFormValue("description"), Findings: ids}
	np.PlanYear, _ = strconv.Atoi(r.PostFormValue("plan_year"))
	np.CutoffYear, _ = strconv.Atoi(r.PostFormValue("cutoff_year"))
	if np.Type != TypeVillage {
		np.Mode = ""
	}
	if err == nil {
		np.Compounds, err = h.idsFromCodes(r, "compounds", r.PostFormValue("compounds"))
	}
	if err == nil {
		np.Buildings, err = h.idsFromCodes(r, "buildings", r.PostFormValue("buildings"))
	}
	var p Project
	if err == nil {
		p, err = h.svc.Create(r.Context(), np)
	}
	if err == nil && !places.Scope(principalOf(r).RegionPath).Covers(p.RegionPath) {
		err = errOutOfScope // cannot happen: every object was checked
	}
	if err != nil {
		if errors.Is(err, ErrInvalid) {
			h.rd.Render(w, http.StatusBadRequest, "project_new", h.rd.NewPage(r, "projects.new.title",
				newData{Findings: fins, Year: np.PlanYear, Error: err.Error(), Form: r.PostForm}))
			return
		}
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/projects/%d?done=created", p.ID), http.StatusSeeOther)
}

// ---- project page ----

type itemView struct {
	Item
	Quantity string
	Shares   bool
	// FundBy is each source's amount in yuan, for the funding form.
	FundBy map[string]string
}

type stageStep struct {
	Stage   string
	State   string // done, current, next
	Entered time.Time
}

type detailData struct {
	P           Project
	Steps       []stageStep
	Gate        GateStatus
	Events      []Event
	Items       []itemView
	ByClass     map[string]int64
	Funding     map[string]int64
	Scope       []ScopeObject
	Rounds      []RoundSummary
	AllRounds   RoundSummary
	Feedback    []Feedback
	AllFeedback bool // every opinion is listed, not only the open and latest
	Records     []Record
	Milestones  []Milestone
	Documents   []File
	Spend       []Spend
	Indicators  []IndicatorChange
	Priority    Priority
	HasPriority bool
	Weights     Weights
	Kinds       []ItemKind
	Entrances   []entranceOption
	Buildings   []ScopeObject
	Today       string
	Round       string // the feedback round of the current stage
	CanManage   bool
	CanOverride bool
	CanFeedback bool
}

type entranceOption struct {
	ID   int64
	Name string
}

func (h *Handlers) entrances(r *http.Request, projectID int64) ([]entranceOption, []ScopeObject, error) {
	rows, err := h.svc.db.Read().QueryContext(r.Context(), `SELECT e.id, c.name || ' ' || b.name || e.name FROM entrances e JOIN buildings b ON b.id = e.building_id
		JOIN compounds c ON c.id = b.compound_id WHERE e.building_id IN (`+scopeBuildings+`) ORDER BY c.name, b.id, e.number LIMIT 2000`, projectID)
	if err != nil {
		return nil, nil, fmt.Errorf("entrances: %w", err)
	}
	defer rows.Close()
	var out []entranceOption
	for rows.Next() {
		var e entranceOption
		if err := rows.Scan(&e.ID, &e.Name); err != nil {
			return nil, nil, err
		}
		out = append(out, e)
	}
	brows, err := h.svc.db.Read().QueryContext(r.Context(), `SELECT b.id, c.name || ' ' || b.name FROM buildings b JOIN compounds c ON c.id = b.compound_id
		WHERE b.id IN (`+scopeBuildings+`) ORDER BY c.name, b.id LIMIT 2000`, projectID)
	if err != nil {
		return nil, nil, fmt.Errorf("buildings: %w", err)
	}
	defer brows.Close()
	var bs []ScopeObject
	for brows.Next() {
		var b ScopeObject
		if err := brows.Scan(&b.ID, &b.Name); err != nil {
			return nil, nil, err
		}
		bs = append(bs, b)
	}
	return out, bs, errors.Join(rows.Err(), brows.Err())
}

func (h *Handlers) detail(w http.ResponseWriter, r *http.Request) {
	p, err := h.project(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.detailPage(w, r, p, http.StatusOK, "")
}

// detailPage renders the project page with status and, when refused is set,
// the reason a stage move was refused shown above it.
func (h *Handlers) detailPage(w http.ResponseWriter, r *http.Request, p Project, status int, refused string) {
	ctx := r.Context()
	d := detailData{P: p, ByClass: map[string]int64{}, Funding: map[string]int64{}, Kinds: ItemKinds,
		Today: time.Now().In(shanghai).Format(dateLayout)}
	pr := principalOf(r)
	d.CanManage, d.CanOverride, d.CanFeedback = pr.Can(auth.ProjectsManage), pr.Can(auth.ProjectsOverride), pr.Can(auth.ProjectsFeedback)
	var errs []error
	var e error
	d.Gate, e = h.svc.NextGate(ctx, p.ID)
	errs = append(errs, e)
	d.Events, e = h.svc.Events(ctx, p.ID)
	errs = append(errs, e)
	items, e := h.svc.Items(ctx, p.ID)
	errs = append(errs, e)
	d.Scope, e = h.svc.Scope(ctx, p.ID)
	errs = append(errs, e)
	d.Rounds, d.AllRounds, e = h.svc.FeedbackSummary(ctx, p.ID)
	errs = append(errs, e)
	if r.URL.Query().Get("feedback") == "all" {
		d.Feedback, e = h.svc.ListFeedback(ctx, FeedbackFilter{ProjectID: p.ID, Limit: 5000})
		d.AllFeedback = true
		errs = append(errs, e)
	} else {
		// The open opinions to answer, then the latest answered ones.
		var done []Feedback
		d.Feedback, e = h.svc.ListFeedback(ctx, FeedbackFilter{ProjectID: p.ID, Status: FeedbackOpen, Limit: 50})
		errs = append(errs, e)
		for _, st := range []string{FeedbackAdopted, FeedbackExplained} {
			list, e := h.svc.ListFeedback(ctx, FeedbackFilter{ProjectID: p.ID, Status: st, Limit: 5})
			errs = append(errs, e)
			done = append(done, list...)
		}
		slices.SortFunc(done, func(a, b Feedback) int { return cmp.Compare(b.ID, a.ID) })
		d.Feedback = append(d.Feedback, done...)
	}
	d.Records, e = h.svc.Records(ctx, p.ID)
	errs = append(errs, e)
	d.Milestones, e = h.svc.Milestones(ctx, p.ID)
	errs = append(errs, e)
	d.Documents, e = h.svc.Documents(ctx, p.ID)
	errs = append(errs, e)
	d.Spend, e = h.svc.SpendOf(ctx, p.ID)
	errs = append(errs, e)
	d.Indicators, e = h.svc.Indicators(ctx, p.ID)
	errs = append(errs, e)
	if d.CanManage {
		d.Entrances, d.Buildings, e = h.entrances(r, p.ID)
		errs = append(errs, e)
	}
	if err := errors.Join(errs...); err != nil {
		h.fail(w, r, err)
		return
	}
	if p.Stage == StagePool {
		pool, _, err := h.svc.List(ctx, Filter{Scope: pr.RegionPath, Stage: StagePool, Limit: 5000})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		scores, weights, err := h.svc.Priorities(ctx, pool)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		d.Priority, d.HasPriority = scores[p.ID]
		d.Weights = weights
	}
	for _, it := range items {
		iv := itemView{Item: it, Quantity: FormatQuantity(it.QuantityMilli), Shares: it.HouseholdFen() > 0, FundBy: map[string]string{}}
		for _, f := range it.Funding {
			iv.FundBy[f.Source] = yuan(f.AmountFen)
		}
		d.Items = append(d.Items, iv)
		d.ByClass[it.Class] += it.BudgetFen
		for _, f := range it.Funding {
			d.Funding[f.Source] += f.AmountFen
		}
	}
	d.Round = roundOfStage(p.Stage)
	for i, c := range d.Indicators {
		if ind, ok := h.svc.checkup.Catalogue().Indicator(c.Indicator); ok {
			d.Indicators[i].Name = ind.NameZh
			if web.Lang(r) == "en" {
				d.Indicators[i].Name = ind.NameEn
			}
		} else {
			d.Indicators[i].Name = c.Indicator
		}
	}
	entered := map[string]time.Time{}
	for _, ev := range d.Events {
		entered[ev.To] = ev.At
	}
	cur := StageIndex(p.Stage)
	for i, st := range Stages {
		step := stageStep{Stage: st, Entered: entered[st], State: "next"}
		switch {
		case i < cur:
			step.State = "done"
		case i == cur:
			step.State = "current"
		}
		d.Steps = append(d.Steps, step)
	}
	page := h.rd.NewPage(r, "projects.detail.title", d)
	page.Title = p.Name
	if k := r.URL.Query().Get("done"); k != "" && h.rd.Catalog().Has("projects.done."+k) && refused == "" {
		page.Flash = h.rd.T(r, "projects.done."+k)
	}
	page.Error = refused
	h.rd.Render(w, status, "project", page)
}

// scopeData answers the scope's compounds and buildings as GeoJSON.
func (h *Handlers) scopeData(w http.ResponseWriter, r *http.Request) {
	p, err := h.project(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	objs, err := h.svc.Scope(r.Context(), p.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	type feature struct {
		Type       string          `json:"type"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	}
	features := []feature{}
	for _, o := range objs {
		geom := json.RawMessage(o.Geometry)
		if o.Geometry == "" {
			if o.Lon == 0 && o.Lat == 0 {
				continue
			}
			geom, _ = json.Marshal(map[string]any{"type": "Point", "coordinates": []float64{o.Lon, o.Lat}})
		}
		features = append(features, feature{Type: "Feature", Geometry: geom,
			Properties: map[string]any{"type": o.Type, "id": o.ID, "name": o.Name, "eligible": o.Eligible, "households": o.Households}})
	}
	w.Header().Set("Content-Type", "application/geo+json")
	if err := json.NewEncoder(w).Encode(map[string]any{"type": "FeatureCollection", "features": features}); err != nil {
		h.logger.Warn("project scope", "project_id", p.ID, "err", err)
	}
}

// back redirects to the project page with a done message.
func (h *Handlers) back(w http.ResponseWriter, r *http.Request, id int64, done, anchor string) {
	http.Redirect(w, r, fmt.Sprintf("/projects/%d?done=%s#%s", id, done, anchor), http.StatusSeeOther)
}

func (h *Handlers) edit(w http.ResponseWriter, r *http.Request) {
	p, err := h.project(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	u := ProjectUpdate{Name: r.PostFormValue("name"), Description: r.PostFormValue("description")}
	u.PlanYear, _ = strconv.Atoi(r.PostFormValue("plan_year"))
	u.SampleBuildingID, _ = strconv.ParseInt(r.PostFormValue("sample_building"), 10, 64)
	if _, err := h.svc.Update(r.Context(), p.ID, u); err != nil {
		h.fail(w, r, err)
		return
	}
	h.back(w, r, p.ID, "saved", "overview")
}

func (h *Handlers) advance(w http.ResponseWriter, r *http.Request) {
	p, err := h.project(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	override := r.PostFormValue("override") == "1"
	if override && !principalOf(r).Can(auth.ProjectsOverride) {
		h.rd.Error(w, r, http.StatusForbidden, "error.forbidden")
		return
	}
	if _, err := h.svc.Advance(r.Context(), p.ID, override, r.PostFormValue("reason")); err != nil {
		// A refused move shows on the project page itself, next to the checks.
		var ge *GateError
		if errors.As(err, &ge) && !web.WantsJSON(r) {
			h.detailPage(w, r, p, http.StatusConflict, h.rd.T(r, "projects.gate.refused", h.missingText(r, ge.Missing)))
			return
		}
		h.fail(w, r, err)
		return
	}
	h.back(w, r, p.ID, "advanced", "stages")
}

// milli parses a decimal number into thousandths.
func milli(s string) (int64, error) {
	s = strings.TrimSpace(s)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > 1e12 {
		return 0, fmt.Errorf("%w: %q is not a number", ErrInvalid, s)
	}
	return int64(math.Round(v * 1000)), nil
}

// fen parses an amount in yuan (up to two decimals) into fen.
func fen(s string) (int64, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > 1e11 {
		return 0, fmt.Errorf("%w: %q is not an amount in yuan", ErrInvalid, s)
	}
	return int64(math.Round(v * 100)), nil
}

func (h *Handlers) itemInput(r *http.Request) (ItemInput, error) {
	in := ItemInput{Kind: r.PostFormValue("kind"), Class: r.PostFormValue("class"), Name: r.PostFormValue("name"),
		Unit: r.PostFormValue("unit"), ShareRule: r.PostFormValue("share_rule"), VoteMatter: -1}
	var err error
	if in.QuantityMilli, err = milli(r.PostFormValue("quantity")); err != nil {
		return in, err
	}
	if in.UnitCostFen, err = fen(r.PostFormValue("unit_cost")); err != nil {
		return in, err
	}
	if v := r.PostFormValue("vote_matter"); v != "" && v != "default" {
		if in.VoteMatter, err = strconv.Atoi(v); err != nil {
			return in, fmt.Errorf("%w: matter %q", ErrInvalid, v)
		}
	}
	if t := r.PostFormValue("target"); t != "" {
		typ, id, ok := strings.Cut(t, ":")
		n, perr := strconv.ParseInt(id, 10, 64)
		if !ok || perr != nil {
			return in, fmt.Errorf("%w: target %q", ErrInvalid, t)
		}
		in.TargetType, in.TargetID = typ, n
	}
	if in.Name == "" {
		in.Name = h.rd.T(r, "projects.kind."+in.Kind)
	}
	return in, nil
}

func (h *Handlers) addItem(w http.ResponseWriter, r *http.Request) {
	p, err := h.project(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	in, err := h.itemInput(r)
	if err == nil {
		_, err = h.svc.AddItem(r.Context(), p.ID, in)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.back(w, r, p.ID, "item_added", "items")
}

// itemOf loads the item of the path and checks it belongs to the project.
func (h *Handlers) itemOf(r *http.Request) (Project, Item, error) {
	p, err := h.project(r)
	if err != nil {
		return p, Item{}, err
	}
	id, ok := pathID(r, "item")
	if !ok {
		return p, Item{}, ErrNotFound
	}
	it, err := h.svc.Item(r.Context(), id)
	if err == nil && it.ProjectID != p.ID {
		err = ErrNotFound
	}
	return p, it, err
}

func (h *Handlers) setFunding(w http.ResponseWriter, r *http.Request) {
	p, it, err := h.itemOf(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var fs []Funding
	for _, src := range Sources {
		v, err := fen(r.PostFormValue(src))
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if v > 0 {
			fs = append(fs, Funding{Source: src, AmountFen: v})
		}
	}
	if _, err := h.svc.SetFunding(r.Context(), it.ID, fs); err != nil {
		h.fail(w, r, err)
		return
	}
	h.back(w, r, p.ID, "funding_saved", "items")
}

func (h *Handlers) setProgress(w http.ResponseWriter, r *http.Request) {
	p, it, err := h.itemOf(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	pct, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("progress")))
	if err != nil {
		h.fail(w, r, fmt.Errorf("%w: progress %q is not a whole number", ErrInvalid, r.PostFormValue("progress")))
		return
	}
	if _, err := h.svc.SetProgress(r.Context(), it.ID, pct, r.PostFormValue("note")); err != nil {
		h.fail(w, r, err)
		return
	}
	h.back(w, r, p.ID, "progress_saved", "items")
}

func (h *Handlers) addSpend(w http.ResponseWriter, r *http.Request) {
	p, it, err := h.itemOf(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	amount, err := fen(r.PostFormValue("amount"))
	if err == nil {
		_, err = h.svc.AddSpend(r.Context(), it.ID, amount, r.PostFormValue("spent_on"), r.PostFormValue("note"))
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.back(w, r, p.ID, "spend_added", "money")
}

func (h *Handlers) deleteItem(w http.ResponseWriter, r *http.Request) {
	p, it, err := h.itemOf(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.svc.DeleteItem(r.Context(), it.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	h.back(w, r, p.ID, "item_deleted", "items")
}

type sharesData struct {
	P       Project
	Item    itemView
	Shares  []Share
	Problem string
	Sum     int64
}

func (h *Handlers) shares(w http.ResponseWriter, r *http.Request) {
	p, it, err := h.itemOf(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	it, shares, err := h.svc.Shares(r.Context(), it.ID)
	d := sharesData{P: p, Item: itemView{Item: it, Quantity: FormatQuantity(it.QuantityMilli)}, Shares: shares}
	if err != nil {
		if !errors.Is(err, ErrInvalid) {
			h.fail(w, r, err)
			return
		}
		d.Problem = err.Error()
	}
	for _, s := range shares {
		d.Sum += s.AmountFen
	}
	page := h.rd.NewPage(r, "projects.shares.title", d)
	h.rd.Render(w, http.StatusOK, "project_shares", page)
}

func (h *Handlers) addRecord(w http.ResponseWriter, r *http.Request) {
	p, err := h.project(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := h.svc.AddRecord(r.Context(), p.ID, r.PostFormValue("kind"), r.PostFormValue("note"), 0); err != nil {
		h.fail(w, r, err)
		return
	}
	h.back(w, r, p.ID, "record_added", "stages")
}

func (h *Handlers) addFeedback(w http.ResponseWriter, r *http.Request) {
	p, err := h.project(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	in := FeedbackInput{Round: r.PostFormValue("round"), Channel: r.PostFormValue("channel"), Topic: r.PostFormValue("topic"), Body: r.PostFormValue("body")}
	if code := strings.TrimSpace(r.PostFormValue("household")); code != "" {
		id, err := h.places.HouseholdByCode(r.Context(), code)
		if err != nil {
			h.fail(w, r, fmt.Errorf("%w: no household with the code %q", ErrInvalid, code))
			return
		}
		in.HouseholdID = id
	}
	if _, err := h.svc.AddFeedback(r.Context(), p.ID, in); err != nil {
		h.fail(w, r, err)
		return
	}
	h.back(w, r, p.ID, "feedback_added", "rounds")
}

func (h *Handlers) resolveFeedback(w http.ResponseWriter, r *http.Request) {
	p, err := h.project(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id, ok := pathID(r, "fb")
	if !ok {
		h.fail(w, r, ErrNotFound)
		return
	}
	fb, err := h.svc.FeedbackByID(r.Context(), id)
	if err == nil && fb.ProjectID != p.ID {
		err = ErrNotFound
	}
	if err == nil {
		_, err = h.svc.ResolveFeedback(r.Context(), id, r.PostFormValue("status"), r.PostFormValue("response"))
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.back(w, r, p.ID, "feedback_resolved", "rounds")
}

func (h *Handlers) milestoneInput(r *http.Request) MilestoneInput {
	in := MilestoneInput{Name: r.PostFormValue("name"), PlannedOn: r.PostFormValue("planned_on"), ActualOn: r.PostFormValue("actual_on"), Note: r.PostFormValue("note")}
	in.ItemID, _ = strconv.ParseInt(r.PostFormValue("item"), 10, 64)
	return in
}

func (h *Handlers) addMilestone(w http.ResponseWriter, r *http.Request) {
	p, err := h.project(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := h.svc.AddMilestone(r.Context(), p.ID, h.milestoneInput(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	h.back(w, r, p.ID, "milestone_added", "progress")
}

func (h *Handlers) reached(w http.ResponseWriter, r *http.Request) {
	p, err := h.project(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id, ok := pathID(r, "m")
	if !ok {
		h.fail(w, r, ErrNotFound)
		return
	}
	m, err := h.svc.Milestone(r.Context(), id)
	if err == nil && m.ProjectID != p.ID {
		err = ErrNotFound
	}
	if err == nil {
		in := MilestoneInput{ItemID: m.ItemID, Name: m.Name, PlannedOn: m.PlannedOn, ActualOn: r.PostFormValue("actual_on"), Note: m.Note}
		if n := strings.TrimSpace(r.PostFormValue("note")); n != "" {
			in.Note = n
		}
		_, err = h.svc.UpdateMilestone(r.Context(), id, in)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.back(w, r, p.ID, "milestone_saved", "progress")
}

func (h *Handlers) addFile(w http.ResponseWriter, r *http.Request) {
	p, err := h.project(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxFileBytes+1<<20)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		h.fail(w, r, fmt.Errorf("%w: %v", ErrInvalid, err))
		return
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		h.fail(w, r, fmt.Errorf("%w: choose a file to upload", ErrInvalid))
		return
	}
	defer file.Close()
	mid, _ := strconv.ParseInt(r.FormValue("milestone"), 10, 64)
	kind := r.FormValue("kind")
	if _, err := h.svc.AddFile(r.Context(), p.ID, mid, kind, r.FormValue("title"), hdr.Filename, file); err != nil {
		h.fail(w, r, err)
		return
	}
	anchor := "documents"
	if mid != 0 {
		anchor = "progress"
	}
	h.back(w, r, p.ID, "file_added", anchor)
}

func (h *Handlers) file(w http.ResponseWriter, r *http.Request) {
	p, err := h.project(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id, ok := pathID(r, "file")
	if !ok {
		h.fail(w, r, ErrNotFound)
		return
	}
	f, data, err := h.svc.FileContent(r.Context(), p.ID, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Content-Disposition", fmt.Sprintf("inline; filename*=UTF-8''%s", url.PathEscape(f.Filename)))
	w.Header().Set("Cache-Control", "private, max-age=3600")
	_, _ = w.Write(data)
}

// ---- gates and weights ----

type gatesData struct {
	Gates      []Gate
	Conditions []Condition
	Weights    Weights
	CanEdit    bool
}

func (h *Handlers) gatesPage(w http.ResponseWriter, r *http.Request) {
	gs, err := h.svc.Gates(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	wt, err := h.svc.Weights(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	page := h.rd.NewPage(r, "projects.gates.title", gatesData{Gates: gs, Conditions: Conditions, Weights: wt, CanEdit: principalOf(r).Can(auth.ProjectsOverride)})
	if k := r.URL.Query().Get("done"); k != "" && h.rd.Catalog().Has("projects.done."+k) {
		page.Flash = h.rd.T(r, "projects.done."+k)
	}
	h.rd.Render(w, http.StatusOK, "project_gates", page)
}

func (h *Handlers) saveGate(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, fmt.Errorf("%w: %v", ErrInvalid, err))
		return
	}
	g := Gate{Type: r.PostFormValue("type"), Stage: r.PostFormValue("stage")}
	for _, c := range r.PostForm["condition"] {
		g.Conditions = append(g.Conditions, Condition(c))
	}
	num, den, ok := strings.Cut(strings.TrimSpace(cmp.Or(r.PostFormValue("support"), "2/3")), "/")
	var err1, err2 error
	g.SupportNum, err1 = strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	g.SupportDen, err2 = strconv.ParseInt(strings.TrimSpace(den), 10, 64)
	if !ok || err1 != nil || err2 != nil {
		h.fail(w, r, fmt.Errorf("%w: the survey support must be a fraction like 2/3", ErrInvalid))
		return
	}
	if err := h.svc.SetGate(r.Context(), g); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/projects/gates?done=gate_saved#gate-"+g.Type+"-"+g.Stage, http.StatusSeeOther)
}

func (h *Handlers) saveWeights(w http.ResponseWriter, r *http.Request) {
	var wt Weights
	var errs []error
	for _, f := range []struct {
		name string
		v    *int64
	}{{"severity", &wt.Severity}, {"households", &wt.Households}, {"cost", &wt.Cost}} {
		n, err := strconv.ParseInt(strings.TrimSpace(r.PostFormValue(f.name)), 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: weight %s %q is not a whole number", ErrInvalid, f.name, r.PostFormValue(f.name)))
		}
		*f.v = n
	}
	if err := errors.Join(errs...); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.svc.SetWeights(r.Context(), wt); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/projects/gates?done=weights_saved#weights", http.StatusSeeOther)
}

// ---- households ----

type householdData struct {
	ID       int64
	Code     string
	Place    string
	Notes    []Note
	Projects []Project
	Shares   []HouseholdShare
	Feedback []Feedback
	Today    string
}

func (h *Handlers) householdOf(r *http.Request) (places.Household, string, error) {
	id, ok := pathID(r, "id")
	if !ok {
		return places.Household{}, "", ErrNotFound
	}
	hh, path, err := h.places.Household(r.Context(), id)
	if errors.Is(err, places.ErrNotFound) {
		return hh, path, ErrNotFound
	}
	if err != nil {
		return hh, path, err
	}
	if !places.Scope(principalOf(r).RegionPath).Covers(path) {
		return hh, path, errOutOfScope
	}
	return hh, path, nil
}

func (h *Handlers) household(w http.ResponseWriter, r *http.Request) {
	hh, _, err := h.householdOf(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx := r.Context()
	d := householdData{ID: hh.ID, Code: hh.Code, Today: time.Now().In(shanghai).Format(dateLayout)}
	var errs []error
	var e error
	d.Place, e = h.householdPlace(r, hh.ID)
	errs = append(errs, e)
	d.Notes, e = h.svc.NotesOf(ctx, hh.ID)
	errs = append(errs, e)
	d.Projects, e = h.svc.ProjectsOfHousehold(ctx, hh.ID)
	errs = append(errs, e)
	d.Shares, e = h.svc.SharesOfHousehold(ctx, hh.ID)
	errs = append(errs, e)
	d.Feedback, e = h.svc.ListFeedback(ctx, FeedbackFilter{HouseholdID: hh.ID})
	errs = append(errs, e)
	if err := errors.Join(errs...); err != nil {
		h.fail(w, r, err)
		return
	}
	page := h.rd.NewPage(r, "projects.household.title", d)
	if k := r.URL.Query().Get("done"); k != "" && h.rd.Catalog().Has("projects.done."+k) {
		page.Flash = h.rd.T(r, "projects.done."+k)
	}
	h.rd.Render(w, http.StatusOK, "household_history", page)
}

func (h *Handlers) householdPlace(r *http.Request, id int64) (string, error) {
	var s string
	err := h.svc.db.Read().QueryRowContext(r.Context(), `SELECT c.name || ' ' || b.name || COALESCE(e.name, '') || ' ' || h.room FROM households h
		JOIN buildings b ON b.id = h.building_id JOIN compounds c ON c.id = b.compound_id LEFT JOIN entrances e ON e.id = h.entrance_id WHERE h.id = $1`, id).Scan(&s)
	return s, err
}

func (h *Handlers) addNote(w http.ResponseWriter, r *http.Request) {
	hh, _, err := h.householdOf(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	in := NoteInput{Kind: r.PostFormValue("kind"), Body: r.PostFormValue("body"), DueOn: r.PostFormValue("due_on")}
	in.ProjectID, _ = strconv.ParseInt(r.PostFormValue("project"), 10, 64)
	if _, err := h.svc.AddNote(r.Context(), hh.ID, in); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/households/%d/history?done=note_added#notes", hh.ID), http.StatusSeeOther)
}

func (h *Handlers) noteDone(w http.ResponseWriter, r *http.Request) {
	hh, _, err := h.householdOf(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id, ok := pathID(r, "note")
	if !ok {
		h.fail(w, r, ErrNotFound)
		return
	}
	notes, err := h.svc.NotesOf(r.Context(), hh.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !slices.ContainsFunc(notes, func(n Note) bool { return n.ID == id }) {
		h.fail(w, r, ErrNotFound)
		return
	}
	if _, err := h.svc.SetNoteDone(r.Context(), id, r.PostFormValue("done") != "0"); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/households/%d/history?done=note_saved#notes", hh.ID), http.StatusSeeOther)
}

// ---- residents ----

type mineData struct {
	Shares   []HouseholdShare
	Projects []Project
}

// mine shows a resident the projects around their verified homes and their
// household's share of resident-funded items.
func (h *Handlers) mine(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	if p.Role != auth.RoleResident || h.homes == nil {
		http.Redirect(w, r, "/projects", http.StatusSeeOther)
		return
	}
	homes, err := h.homes(r.Context(), p.UserID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var d mineData
	seen := map[int64]bool{}
	for _, hid := range homes {
		shares, err := h.svc.SharesOfHousehold(r.Context(), hid)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		d.Shares = append(d.Shares, shares...)
		ps, err := h.svc.ProjectsOfHousehold(r.Context(), hid)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		for _, pr := range ps {
			if !seen[pr.ID] {
				seen[pr.ID] = true
				d.Projects = append(d.Projects, pr)
			}
		}
	}
	h.rd.Render(w, http.StatusOK, "project_mine", h.rd.NewPage(r, "projects.mine.title", d))
}

// ---- API ----

func (h *Handlers) apiList(w http.ResponseWriter, r *http.Request) {
	f, _, err := h.filterOf(r)
	if err != nil {
		h.rd.Error(w, r, http.StatusBadRequest, "error.bad_request", err.Error())
		return
	}
	f.Limit = 5000
	if v := r.URL.Query().Get("limit"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			f.Limit = min(n, 5000)
		}
	}
	if v := r.URL.Query().Get("offset"); v != "" {
		f.Offset, _ = strconv.Atoi(v)
	}
	ps, total, err := h.svc.List(r.Context(), f)
	if err != nil {
		h.logger.Error("project api", "err", err)
		h.rd.Error(w, r, http.StatusInternalServerError, "error.internal")
		return
	}
	if ps == nil {
		ps = []Project{}
	}
	web.JSON(w, http.StatusOK, map[string]any{"total": total, "projects": ps})
}

func (h *Handlers) apiGet(w http.ResponseWriter, r *http.Request) {
	p, err := h.project(r)
	if err != nil {
		switch {
		case errors.Is(err, ErrNotFound):
			h.rd.Error(w, r, http.StatusNotFound, "error.not_found")
		case errors.Is(err, errOutOfScope):
			h.rd.Error(w, r, http.StatusForbidden, "error.out_of_scope")
		default:
			h.rd.Error(w, r, http.StatusInternalServerError, "error.internal")
		}
		return
	}
	items, err1 := h.svc.Items(r.Context(), p.ID)
	gate, err2 := h.svc.NextGate(r.Context(), p.ID)
	events, err3 := h.svc.Events(r.Context(), p.ID)
	rounds, all, err4 := h.svc.FeedbackSummary(r.Context(), p.ID)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		h.logger.Error("project api", "err", err)
		h.rd.Error(w, r, http.StatusInternalServerError, "error.internal")
		return
	}
	for i, c := range gate.Checks {
		gate.Checks[i].Key = h.rd.T(r, c.Key, c.Args...)
		gate.Checks[i].Args = nil
	}
	web.JSON(w, http.StatusOK, map[string]any{"project": p, "items": items, "next_gate": gate, "events": events, "rounds": rounds, "feedback": all})
}

// roundOfStage is the feedback round that belongs to a stage.
func roundOfStage(stage string) string {
	switch stage {
	case StageDesign:
		return RoundDesign
	case StageSample:
		return RoundSample
	case StageConstruction, StageAcceptance, StageAftercare:
		return RoundConstruction
	}
	return RoundSurvey
}
