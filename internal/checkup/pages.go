package checkup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/network"
	"github.com/gengxin/gengxin/internal/places"
	"github.com/gengxin/gengxin/internal/web"
)

// Handlers serves the health-check pages: the overview, the findings map and
// ledger, finding details, the compound life-circle card, exports and the
// printable report.
type Handlers struct {
	svc    *Service
	places *places.Store
	rd     *web.Renderer
	logger *slog.Logger
	now    func() time.Time

	mu      sync.Mutex
	running bool // a run started from the web is under way
}

// NewHandlers returns the checkup pages.
func NewHandlers(svc *Service, ps *places.Store, rd *web.Renderer, logger *slog.Logger, now func() time.Time) *Handlers {
	return &Handlers{svc: svc, places: ps, rd: rd, logger: logger, now: now}
}

// Routes lists the checkup routes with the permission each needs.
func (h *Handlers) Routes() []web.Route {
	read, run, manage, export := string(auth.CheckupRead), string(auth.CheckupRun), string(auth.FindingsManage), string(auth.Export)
	return []web.Route{
		{Method: "GET", Pattern: "/checkup", Perm: read, Handler: h.overview},
		{Method: "POST", Pattern: "/checkup/runs", Perm: run, Handler: h.startRun},
		{Method: "GET", Pattern: "/checkup/status", Perm: read, Handler: h.status},
		{Method: "GET", Pattern: "/checkup/indicators", Perm: read, Handler: h.indicatorsPage},
		{Method: "POST", Pattern: "/checkup/indicators/{code}", Perm: run, Handler: h.setParams},
		{Method: "GET", Pattern: "/checkup/report", Perm: read, Handler: h.report},
		{Method: "GET", Pattern: "/checkup/findings", Perm: read, Handler: h.findingsPage},
		{Method: "GET", Pattern: "/checkup/findings.xlsx", Perm: export, Handler: h.findingsExcel},
		{Method: "GET", Pattern: "/checkup/runs/{id}/indicators.xlsx", Perm: export, Handler: h.indicatorsExcel},
		{Method: "GET", Pattern: "/checkup/compounds/{id}/card", Perm: string(auth.PlacesRead), Handler: h.card},
		{Method: "GET", Pattern: "/findings/{id}", Perm: read, Handler: h.findingPage},
		{Method: "POST", Pattern: "/findings/{id}/status", Perm: manage, Handler: h.setStatus},
		{Method: "GET", Pattern: "/api/v1/findings", Perm: read, Handler: h.findingsAPI},
		{Method: "GET", Pattern: "/api/v1/checkup/runs/{id}/results", Perm: read, Handler: h.resultsAPI},
		{Method: "GET", Pattern: "/api/v1/layers/streets", Perm: string(auth.MapView), Handler: h.streetsLayer},
	}
}

func viewer(r *http.Request) *auth.Principal {
	p, _ := auth.PrincipalFrom(r.Context())
	return p
}

func scope(r *http.Request) string {
	if p := viewer(r); p != nil {
		return p.RegionPath
	}
	return "/nothing/"
}

func covers(r *http.Request, path string) bool {
	p := viewer(r)
	return p != nil && p.Covers(path)
}

func idParam(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

func (h *Handlers) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrNotFound), errors.Is(err, places.ErrNotFound):
		h.rd.Error(w, r, http.StatusNotFound, "error.not_found")
	case errors.Is(err, ErrBadRequest), errors.Is(err, ErrBadTransition):
		h.rd.Error(w, r, http.StatusBadRequest, "error.bad_request", err.Error())
	default:
		h.logger.Error("checkup request", "path", r.URL.Path, "err", err)
		h.rd.Error(w, r, http.StatusInternalServerError, "error.internal")
	}
}

// levelGroup is one level of the overview table.
type levelGroup struct {
	Level   string
	Results []resultView
}

type resultView struct {
	Result
	Name    string
	InScope int // failing findings inside the viewer's area (open ones)
	Trend   string
}

type overviewData struct {
	Run     *Run
	Runs    []Run
	Groups  []levelGroup
	CanRun  bool
	Running bool
	Year    int
}

// runFromQuery returns the run named by ?run=, else the newest finished run.
func (h *Handlers) runFromQuery(r *http.Request) (*Run, error) {
	if v := r.URL.Query().Get("run"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: run %q", ErrNotFound, v)
		}
		run, err := h.svc.RunByID(r.Context(), id)
		if err != nil {
			return nil, err
		}
		return &run, nil
	}
	runs, _, err := h.svc.Runs(r.Context(), 20, 0)
	if err != nil {
		return nil, err
	}
	for i := range runs {
		if runs[i].Status == RunDone {
			return &runs[i], nil
		}
	}
	return nil, nil
}

func (h *Handlers) indicatorName(r *http.Request, ind Indicator) string {
	if web.Lang(r) == "en" {
		return ind.NameEn
	}
	return ind.NameZh
}

func (h *Handlers) groups(r *http.Request, run *Run) ([]levelGroup, error) {
	res, err := h.svc.Results(r.Context(), run.ID)
	if err != nil {
		return nil, err
	}
	// Open findings in the viewer's area, per indicator and variant.
	counts := map[string]int{}
	fs, _, err := h.svc.Findings(r.Context(), FindingFilter{Scope: scope(r), Statuses: []string{StatusNew, StatusOpen, StatusInProject}, NoGeometry: true, Limit: 1 << 30})
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		counts[f.Indicator+"/"+f.Variant]++
	}
	var out []levelGroup
	for _, rs := range res {
		v := resultView{Result: rs, Name: h.indicatorName(r, rs.Indicator), InScope: counts[rs.Indicator.Code+"/"+rs.Variant]}
		if rs.Value != nil && rs.Previous != nil {
			switch {
			case *rs.Value > *rs.Previous:
				v.Trend = "up"
			case *rs.Value < *rs.Previous:
				v.Trend = "down"
			default:
				v.Trend = "same"
			}
		}
		if len(out) == 0 || out[len(out)-1].Level != rs.Indicator.Level {
			out = append(out, levelGroup{Level: rs.Indicator.Level})
		}
		out[len(out)-1].Results = append(out[len(out)-1].Results, v)
	}
	return out, nil
}

func (h *Handlers) overview(w http.ResponseWriter, r *http.Request) {
	run, err := h.runFromQuery(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := overviewData{Run: run, CanRun: viewer(r).Can(auth.CheckupRun), Year: h.now().In(web.Shanghai()).Year()}
	h.mu.Lock()
	d.Running = h.running
	h.mu.Unlock()
	if d.Runs, _, err = h.svc.Runs(r.Context(), 10, 0); err != nil {
		h.fail(w, r, err)
		return
	}
	if run != nil {
		if d.Groups, err = h.groups(r, run); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	h.rd.Render(w, http.StatusOK, "checkup", h.rd.NewPage(r, "checkup.title", d))
}

// startRun starts a checkup in the background over the viewer's area and
// answers once the run is under way.
func (h *Handlers) startRun(w http.ResponseWriter, r *http.Request) {
	year, err := strconv.Atoi(r.FormValue("year"))
	if err != nil || year < 1949 || year > 2200 {
		h.rd.Error(w, r, http.StatusBadRequest, "error.bad_request", "year")
		return
	}
	h.mu.Lock()
	if h.running {
		h.mu.Unlock()
		h.rd.Error(w, r, http.StatusConflict, "checkup.busy")
		return
	}
	h.running = true
	h.mu.Unlock()
	p := viewer(r)
	ctx := audit.WithActor(context.WithoutCancel(r.Context()), p.Actor())
	started := make(chan struct{})
	var once sync.Once
	go func() {
		defer func() {
			h.mu.Lock()
			h.running = false
			h.mu.Unlock()
			once.Do(func() { close(started) })
		}()
		_, err := h.svc.Run(ctx, RunRequest{Year: year, ScopeRegionID: p.RegionID}, func(done, total int) {
			once.Do(func() { close(started) })
		})
		if err != nil {
			h.logger.Error("checkup run", "err", err)
		}
	}()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
	}
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusAccepted, map[string]any{"status": "started"})
		return
	}
	http.Redirect(w, r, "/checkup", http.StatusSeeOther)
}

// status is the progress fragment the overview polls while a run is under way.
func (h *Handlers) status(w http.ResponseWriter, r *http.Request) {
	runs, _, err := h.svc.Runs(r.Context(), 1, 0)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var run *Run
	if len(runs) > 0 {
		run = &runs[0]
	}
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusOK, run)
		return
	}
	if run != nil && run.Status != RunRunning && r.Header.Get("HX-Request") == "true" {
		// Finished: reload the overview to show the new results.
		w.Header().Set("HX-Refresh", "true")
	}
	h.rd.Fragment(w, "checkup", "run-status", h.rd.NewPage(r, "checkup.title", run))
}

type findingsData struct {
	Names      map[string]string // indicator names by code
	Findings   []Finding
	Total      int
	Indicators []Indicator
	Filter     FindingFilter
	Status     string
	Query      string
	Next, Prev string
}

func (h *Handlers) filterFrom(r *http.Request) (FindingFilter, error) {
	q := r.URL.Query()
	f := FindingFilter{Indicator: q.Get("indicator"), Level: q.Get("level"), Variant: q.Get("variant"), Scope: scope(r)}
	if st := q.Get("status"); st != "" {
		f.Statuses = strings.Split(st, ",")
	}
	if b := q.Get("bbox"); b != "" {
		var v [4]float64
		parts := strings.Split(b, ",")
		if len(parts) != 4 {
			return f, fmt.Errorf("%w: bbox needs four numbers", ErrBadRequest)
		}
		for i, p := range parts {
			x, err := strconv.ParseFloat(p, 64)
			if err != nil {
				return f, fmt.Errorf("%w: bbox value %q", ErrBadRequest, p)
			}
			v[i] = x
		}
		f.BBox = places.BBox{MinLon: v[0], MinLat: v[1], MaxLon: v[2], MaxLat: v[3]}
	}
	return f, nil
}

func (h *Handlers) findingsPage(w http.ResponseWriter, r *http.Request) {
	f, err := h.filterFrom(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if page < 1 {
		page = 1
	}
	f.Limit, f.Offset, f.NoGeometry = 100, (page-1)*100, true
	d := findingsData{Filter: f, Status: r.URL.Query().Get("status"), Indicators: h.svc.Catalogue().Indicators, Names: map[string]string{}}
	for _, ind := range d.Indicators {
		d.Names[ind.Code] = h.indicatorName(r, ind)
	}
	if d.Findings, d.Total, err = h.svc.Findings(r.Context(), f); err != nil {
		h.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	q.Del("page")
	d.Query = q.Encode()
	if page > 1 {
		d.Prev = fmt.Sprintf("?%s&page=%d", d.Query, page-1)
	}
	if page*100 < d.Total {
		d.Next = fmt.Sprintf("?%s&page=%d", d.Query, page+1)
	}
	h.rd.Render(w, http.StatusOK, "findings", h.rd.NewPage(r, "findings.title", d))
}

// findingsAPI answers the findings map: GeoJSON points (at most 5,000).
func (h *Handlers) findingsAPI(w http.ResponseWriter, r *http.Request) {
	f, err := h.filterFrom(r)
	if err != nil {
		web.JSON(w, http.StatusBadRequest, map[string]any{"error": err.Error(), "status": http.StatusBadRequest})
		return
	}
	f.Limit, f.NoGeometry = 5000, true
	fs, total, err := h.svc.Findings(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	type feature struct {
		Type       string          `json:"type"`
		ID         int64           `json:"id"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	}
	out := struct {
		Type     string    `json:"type"`
		Total    int       `json:"total"`
		Features []feature `json:"features"`
	}{Type: "FeatureCollection", Total: total, Features: make([]feature, 0, len(fs))}
	cat := h.svc.Catalogue()
	for _, fd := range fs {
		ind, _ := cat.Indicator(fd.Indicator)
		out.Features = append(out.Features, feature{Type: "Feature", ID: fd.ID,
			Geometry: json.RawMessage(fmt.Sprintf(`{"type":"Point","coordinates":[%g,%g]}`, fd.Lon, fd.Lat)),
			Properties: map[string]any{"id": fd.ID, "indicator": fd.Indicator, "name": h.indicatorName(r, ind), "level": fd.Level,
				"variant": fd.Variant, "status": fd.Status, "object": fd.ObjectName, "value": fd.Value, "threshold": fd.Threshold}})
	}
	web.JSON(w, http.StatusOK, out)
}

func (h *Handlers) resultsAPI(w http.ResponseWriter, r *http.Request) {
	id, ok := idParam(r)
	if !ok {
		h.rd.Error(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	res, err := h.svc.Results(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	type item struct {
		Code      string   `json:"code"`
		Level     string   `json:"level"`
		Name      string   `json:"name"`
		Unit      string   `json:"unit"`
		Variant   string   `json:"variant,omitempty"`
		Computed  bool     `json:"computed"`
		Value     *float64 `json:"value"`
		Threshold *float64 `json:"threshold"`
		Passed    *bool    `json:"passed"`
		Objects   int      `json:"objects"`
		Failing   int      `json:"failing"`
		Previous  *float64 `json:"previous"`
		Note      string   `json:"note,omitempty"`
	}
	out := make([]item, 0, len(res))
	for _, rs := range res {
		out = append(out, item{rs.Indicator.Code, rs.Indicator.Level, h.indicatorName(r, rs.Indicator), rs.Indicator.Unit, rs.Variant, rs.Computed,
			rs.Value, rs.Threshold, rs.Passed, rs.Objects, rs.Failing, rs.Previous, rs.Note})
	}
	web.JSON(w, http.StatusOK, out)
}

type findingData struct {
	Finding   Finding
	Indicator Indicator
	Name      string
	Events    []Event
	Evidence  map[string]any
	Next      []string
	CanManage bool
}

func (h *Handlers) findingPage(w http.ResponseWriter, r *http.Request) {
	h.renderFinding(w, r, http.StatusOK, "", "")
}

func (h *Handlers) renderFinding(w http.ResponseWriter, r *http.Request, status int, flash, errMsg string) {
	f, ok := h.findingInScope(w, r)
	if !ok {
		return
	}
	d := findingData{Finding: f, CanManage: viewer(r).Can(auth.FindingsManage)}
	d.Indicator, _ = h.svc.Catalogue().Indicator(f.Indicator)
	d.Name = h.indicatorName(r, d.Indicator)
	var err error
	if d.Events, err = h.svc.FindingEvents(r.Context(), f.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	_ = json.Unmarshal(f.Evidence, &d.Evidence)
	for _, to := range []string{StatusOpen, StatusInProject, StatusResolved, StatusVerified} {
		if CanTransition(f.Status, to) {
			d.Next = append(d.Next, to)
		}
	}
	if web.WantsJSON(r) {
		web.JSON(w, status, map[string]any{"finding": f, "events": d.Events})
		return
	}
	p := h.rd.NewPage(r, "findings.detail", d)
	p.Flash, p.Error = flash, errMsg
	h.rd.Render(w, status, "finding", p)
}

// findingInScope reads the finding the path names and checks that it lies in
// the viewer's area, answering 404 or 403 itself when not.
func (h *Handlers) findingInScope(w http.ResponseWriter, r *http.Request) (Finding, bool) {
	id, ok := idParam(r)
	if !ok {
		h.rd.Error(w, r, http.StatusNotFound, "error.not_found")
		return Finding{}, false
	}
	f, err := h.svc.FindingByID(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return Finding{}, false
	}
	if !covers(r, f.RegionPath) {
		h.rd.Error(w, r, http.StatusForbidden, "error.out_of_scope")
		return Finding{}, false
	}
	return f, true
}

func (h *Handlers) setStatus(w http.ResponseWriter, r *http.Request) {
	f, ok := h.findingInScope(w, r)
	if !ok {
		return
	}
	err := h.svc.SetFindingStatus(r.Context(), f.ID, r.FormValue("status"), strings.TrimSpace(r.FormValue("note")))
	switch {
	case errors.Is(err, ErrBadTransition), errors.Is(err, ErrBadRequest):
		h.renderFinding(w, r, http.StatusBadRequest, "", err.Error())
	case err != nil:
		h.fail(w, r, err)
	default:
		h.renderFinding(w, r, http.StatusOK, h.rd.T(r, "findings.saved"), "")
	}
}

// card is the life-circle card fragment a compound page loads.
func (h *Handlers) card(w http.ResponseWriter, r *http.Request) {
	id, ok := idParam(r)
	if !ok {
		h.rd.Error(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	c, err := h.places.Compound(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !covers(r, c.RegionPath) {
		h.rd.Error(w, r, http.StatusForbidden, "error.out_of_scope")
		return
	}
	card, err := h.svc.LifeCircleCard(r.Context(), id)
	if errors.Is(err, ErrNotFound) {
		h.rd.Fragment(w, "checkup", "card", h.rd.NewPage(r, "checkup.title", nil))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusOK, card)
		return
	}
	h.rd.Fragment(w, "checkup", "card", h.rd.NewPage(r, "checkup.title", card))
}

func (h *Handlers) indicatorsExcel(w http.ResponseWriter, r *http.Request) {
	id, ok := idParam(r)
	if !ok {
		h.rd.Error(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	if _, err := h.svc.RunByID(r.Context(), id); err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="gengxin-checkup-%d-indicators.xlsx"`, id))
	if err := h.svc.WriteIndicatorsExcel(r.Context(), id, w); err != nil {
		h.logger.Error("indicators export", "err", err)
	}
}

func (h *Handlers) findingsExcel(w http.ResponseWriter, r *http.Request) {
	f, err := h.filterFrom(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="gengxin-findings.xlsx"`)
	if err := h.svc.WriteFindingsExcel(r.Context(), f, w); err != nil {
		h.logger.Error("findings export", "err", err)
	}
}

// maxStreetSegments caps one answer of the streets layer.
const maxStreetSegments = 40000

// streetsLayer draws the newest stored walk network inside a box as one GeoJSON
// MultiLineString, so the map shows the streets even without a tile server.
func (h *Handlers) streetsLayer(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	b := [4]float64{-180, -90, 180, 90}
	if bb := q.Get("bbox"); bb != "" {
		parts := strings.Split(bb, ",")
		if len(parts) != 4 {
			web.JSON(w, http.StatusBadRequest, map[string]any{"error": "bbox needs four numbers: minLon,minLat,maxLon,maxLat", "status": 400})
			return
		}
		for i, p := range parts {
			v, err := strconv.ParseFloat(p, 64)
			if err != nil {
				web.JSON(w, http.StatusBadRequest, map[string]any{"error": fmt.Sprintf("bbox value %q is not a number", p), "status": 400})
				return
			}
			b[i] = v
		}
	}
	g, info, err := h.svc.Graph(r.Context(), 0)
	if errors.Is(err, ErrNotFound) {
		web.JSON(w, http.StatusOK, map[string]any{"type": "FeatureCollection", "features": []any{}})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	lines := make([][2][2]float64, 0, 1024)
	g.Segments(b[0], b[1], b[2], b[3], func(a, c network.Point) bool {
		lines = append(lines, [2][2]float64{{a.Lon, a.Lat}, {c.Lon, c.Lat}})
		return len(lines) < maxStreetSegments
	})
	web.JSON(w, http.StatusOK, map[string]any{"type": "FeatureCollection", "features": []any{map[string]any{
		"type":       "Feature",
		"geometry":   map[string]any{"type": "MultiLineString", "coordinates": lines},
		"properties": map[string]any{"network": info.Name, "segments": len(lines), "truncated": len(lines) >= maxStreetSegments},
	}}})
}

type reportData struct {
	Run    *Run
	Groups []levelGroup
	Charts map[string]any
}

// report is the printable report of a run with its charts.
func (h *Handlers) report(w http.ResponseWriter, r *http.Request) {
	run, err := h.runFromQuery(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if run == nil {
		h.rd.Error(w, r, http.StatusNotFound, "checkup.no_run")
		return
	}
	groups, err := h.groups(r, run)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// Chart data: failing objects of the count indicators, and each coverage
	// figure walking against straight-line.
	var countNames []string
	var countValues []int
	cover := map[string][2]any{}
	var coverNames []string
	for _, g := range groups {
		for _, rs := range g.Results {
			if !rs.Computed || rs.Value == nil {
				continue
			}
			switch {
			case rs.Indicator.Kind == KindCoverage:
				if _, ok := cover[rs.Name]; !ok {
					coverNames = append(coverNames, rs.Name)
				}
				v := cover[rs.Name]
				if rs.Variant == VariantLine {
					v[1] = *rs.Value
				} else {
					v[0] = *rs.Value
				}
				cover[rs.Name] = v
			case rs.Variant != VariantLine:
				countNames = append(countNames, rs.Name)
				countValues = append(countValues, rs.Failing)
			}
		}
	}
	var walk, line []any
	for _, n := range coverNames {
		walk, line = append(walk, cover[n][0]), append(line, cover[n][1])
	}
	d := reportData{Run: run, Groups: groups, Charts: map[string]any{
		"failing":  map[string]any{"names": countNames, "values": countValues, "label": h.rd.T(r, "checkup.failing")},
		"coverage": map[string]any{"names": coverNames, "walk": walk, "line": line, "walkLabel": h.rd.T(r, "checkup.variant.walk"), "lineLabel": h.rd.T(r, "checkup.variant.line")},
	}}
	h.rd.Render(w, http.StatusOK, "checkup_report", h.rd.NewPage(r, "checkup.report", d))
}
