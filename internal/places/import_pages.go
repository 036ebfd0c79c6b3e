package places

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/geo"
	"github.com/gengxin/gengxin/internal/web"
)

// ImportHandlers serves the import pages and the export downloads.
type ImportHandlers struct {
	store  *Store
	rd     *web.Renderer
	logger *slog.Logger
}

// NewImportHandlers returns the import and export handlers.
func NewImportHandlers(store *Store, rd *web.Renderer, logger *slog.Logger) *ImportHandlers {
	return &ImportHandlers{store: store, rd: rd, logger: logger}
}

// Routes lists the import and export routes with the permission each needs.
func (h *ImportHandlers) Routes() []web.Route {
	return []web.Route{
		{Method: "GET", Pattern: "/admin/imports", Perm: string(auth.PlacesImport), Handler: h.importsPage},
		{Method: "POST", Pattern: "/admin/imports", Perm: string(auth.PlacesImport), Handler: h.upload},
		{Method: "GET", Pattern: "/admin/imports/{id}", Perm: string(auth.PlacesImport), Handler: h.reportPage},
		{Method: "GET", Pattern: "/export", Perm: string(auth.Export), Handler: h.export},
	}
}

type importsData struct {
	Imports     []ImportReport
	ObjectTypes []string
	Report      *ImportReport
}

func (h *ImportHandlers) importsPage(w http.ResponseWriter, r *http.Request) {
	h.renderImports(w, r, http.StatusOK, nil, "")
}

func (h *ImportHandlers) renderImports(w http.ResponseWriter, r *http.Request, status int, rep *ImportReport, errMsg string) {
	list, err := h.store.ListImports(r.Context(), 50)
	if err != nil {
		h.logger.Error("list imports", "err", err)
		h.rd.Error(w, r, http.StatusInternalServerError, "error.internal")
		return
	}
	p := h.rd.NewPage(r, "imports.title", importsData{Imports: list, ObjectTypes: ObjectTypes, Report: rep})
	p.Error = errMsg
	h.rd.Render(w, status, "imports", p)
}

// upload imports one file from a multipart form: object_type, format (optional),
// crs, dry_run and file.
func (h *ImportHandlers) upload(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxImportBytes+1<<20)
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		h.bad(w, r, "imports.bad_upload", err.Error())
		return
	}
	defer r.MultipartForm.RemoveAll()
	f, fh, err := r.FormFile("file")
	if err != nil {
		h.bad(w, r, "imports.no_file")
		return
	}
	defer f.Close()
	typ := r.FormValue("object_type")
	format := r.FormValue("format")
	if format == "" || format == "auto" {
		format = FormatFromName(fh.Filename)
	}
	crs, err := geo.ParseCRS(orDefault(r.FormValue("crs"), "wgs84"))
	if err != nil {
		h.bad(w, r, "imports.bad_field", err.Error())
		return
	}
	rep, err := h.store.Import(r.Context(), ImportRequest{ObjectType: typ, Format: format, Filename: filepath.Base(fh.Filename), CRS: crs,
		DryRun: r.FormValue("dry_run") == "1"}, f)
	if errors.Is(err, ErrBadRequest) {
		h.bad(w, r, "imports.bad_field", err.Error())
		return
	}
	if err != nil {
		h.logger.Error("import", "err", err)
		h.rd.Error(w, r, http.StatusInternalServerError, "error.internal")
		return
	}
	status := http.StatusCreated
	if !rep.Committed && !rep.DryRun {
		status = http.StatusUnprocessableEntity
	}
	if web.WantsJSON(r) {
		web.JSON(w, status, rep)
		return
	}
	if rep.ID > 0 && rep.Committed {
		http.Redirect(w, r, fmt.Sprintf("/admin/imports/%d", rep.ID), http.StatusSeeOther)
		return
	}
	h.renderImports(w, r, status, rep, "")
}

func (h *ImportHandlers) bad(w http.ResponseWriter, r *http.Request, key string, args ...any) {
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusBadRequest, map[string]any{"error": h.rd.T(r, key, args...), "status": http.StatusBadRequest})
		return
	}
	h.renderImports(w, r, http.StatusBadRequest, nil, h.rd.T(r, key, args...))
}

func (h *ImportHandlers) reportPage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.rd.Error(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	rep, err := h.store.GetImport(r.Context(), id)
	if errors.Is(err, ErrNotFound) {
		h.rd.Error(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	if err != nil {
		h.logger.Error("get import", "err", err)
		h.rd.Error(w, r, http.StatusInternalServerError, "error.internal")
		return
	}
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusOK, rep)
		return
	}
	h.rd.Render(w, http.StatusOK, "import", h.rd.NewPage(r, "imports.report", rep))
}

// export downloads one table inside the viewer's scope: /export?type=compound&format=csv|xlsx|geojson[&reveal=1].
func (h *ImportHandlers) export(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := principal(r)
	req := ExportRequest{ObjectType: q.Get("type"), Format: orDefault(q.Get("format"), FormatCSV), RegionPath: p.RegionPath}
	if q.Get("reveal") == "1" {
		if !p.Can(auth.PIIReveal) {
			h.rd.Error(w, r, http.StatusForbidden, "error.forbidden")
			return
		}
		req.RevealPII = true
	}
	ext := map[string]string{FormatCSV: "csv", FormatXLSX: "xlsx", FormatGeoJSON: "geojson"}[req.Format]
	ctype := map[string]string{FormatCSV: "text/csv; charset=utf-8", FormatXLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", FormatGeoJSON: "application/geo+json"}[req.Format]
	name := fmt.Sprintf("gengxin-%s-%s.%s", req.ObjectType, time.Now().In(web.Shanghai()).Format("20060102"), ext)
	lw := &lazyWriter{w: w, start: func() {
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	}}
	err := h.store.Export(r.Context(), lw, req)
	switch {
	case err == nil:
		if !lw.started {
			lw.start()
			w.WriteHeader(http.StatusOK)
		}
	case errors.Is(err, ErrBadRequest) && !lw.started:
		h.rd.Error(w, r, http.StatusBadRequest, "error.bad_request", err.Error())
	case !lw.started:
		h.logger.Error("export", "type", req.ObjectType, "err", err)
		h.rd.Error(w, r, http.StatusInternalServerError, "error.internal")
	default:
		// The download has begun; all that is left is to log and cut it short.
		h.logger.Error("export failed midway", "type", req.ObjectType, "err", err)
	}
}

// lazyWriter sets the download headers just before the first byte, so that an
// export refused before writing anything can still answer with an error page.
type lazyWriter struct {
	w       http.ResponseWriter
	start   func()
	started bool
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.start()
	}
	return l.w.Write(p)
}

// FormatFromName guesses an import format from a file name; "" when unknown.
func FormatFromName(name string) string {
	n := strings.ToLower(name)
	switch {
	case strings.HasSuffix(n, ".csv"):
		return FormatCSV
	case strings.HasSuffix(n, ".geojson"), strings.HasSuffix(n, ".json"):
		return FormatGeoJSON
	case strings.HasSuffix(n, ".pbf"):
		return FormatOSMPBF
	case strings.HasSuffix(n, ".osm"), strings.HasSuffix(n, ".osm.xml"):
		return FormatOSMXML
	}
	return ""
}
