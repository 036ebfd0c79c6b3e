package projects

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/web"
)

// statsRoutes are the routes of the statistics page (ProjectsRead) and its
// Excel export (Export). Both count only the viewer's area.
func (h *Handlers) statsRoutes() []web.Route {
	return []web.Route{
		{Method: "GET", Pattern: "/projects/stats", Perm: string(auth.ProjectsRead), Handler: h.stats},
		{Method: "GET", Pattern: "/projects/stats.xlsx", Perm: string(auth.Export), Handler: h.statsXLSX},
	}
}

// statsFilter reads the plan year of the request ("" or 0: every year); the
// scope is the viewer's area.
func statsFilter(r *http.Request) (StatsFilter, error) {
	f := StatsFilter{Scope: principalOf(r).RegionPath}
	if v := strings.TrimSpace(r.URL.Query().Get("year")); v != "" {
		y, err := strconv.Atoi(v)
		if err != nil || (y != 0 && (y < 2000 || y > 2100)) {
			return f, fmt.Errorf("%w: the year %q is not a plan year from 2000 to 2100", ErrInvalid, v)
		}
		f.Year = y
	}
	return f, nil
}

type statsData struct {
	Stats     Stats
	Stages    []string
	Types     []string
	Sources   []string
	CanExport bool
	Query     string // the query of the current view, for the export link
	Charts    map[string]any
}

func (h *Handlers) stats(w http.ResponseWriter, r *http.Request) {
	f, err := statsFilter(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	st, err := h.svc.Stats(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusOK, st)
		return
	}
	d := statsData{Stats: st, Stages: Stages, Types: Types, Sources: Sources, CanExport: principalOf(r).Can(auth.Export)}
	if f.Year != 0 {
		d.Query = "year=" + strconv.Itoa(f.Year)
	}
	T := func(k string) string { return h.rd.T(r, k) }
	// Bar chart: projects by stage in each subdistrict, one series per stage.
	var names []string
	for _, row := range st.Subdistricts {
		names = append(names, h.rowName(r, row))
	}
	var series []map[string]any
	for i, stg := range Stages {
		var data []int64
		for _, row := range st.Subdistricts {
			data = append(data, row.Stages[i])
		}
		series = append(series, map[string]any{"name": T("projects.stats.stage." + stg), "data": data})
	}
	// Pie: funding by source, in yuan.
	var pie []map[string]any
	for i, src := range Sources {
		if v := st.Total.Funding[i]; v > 0 {
			pie = append(pie, map[string]any{"name": T("projects.stats.source." + src), "value": cents(v)})
		}
	}
	d.Charts = map[string]any{
		"stages":  map[string]any{"names": names, "series": series},
		"sources": pie,
		"labels":  map[string]string{"yuan": T("projects.stats.funding_yuan")},
	}
	h.rd.Render(w, http.StatusOK, "projects_stats", h.rd.NewPage(r, "projects.stats.title", d))
}

// rowName is the name of a row by subdistrict.
func (h *Handlers) rowName(r *http.Request, row StatsRow) string {
	if row.RegionID == 0 {
		return h.rd.T(r, "projects.stats.across")
	}
	return row.Name
}

// statsXLSX downloads the statistics of the page as an Excel workbook.
func (h *Handlers) statsXLSX(w http.ResponseWriter, r *http.Request) {
	f, err := statsFilter(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := h.svc.ExportStats(r.Context(), f, &buf); err != nil {
		h.fail(w, r, err)
		return
	}
	year := "all"
	if f.Year != 0 {
		year = strconv.Itoa(f.Year)
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="project-stats-%s.xlsx"`, year))
	if _, err := buf.WriteTo(w); err != nil {
		h.logger.Error("project stats export", "err", err)
	}
}
