package audit

import (
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gengxin/gengxin/internal/web"
)

// Handlers serves the auditor's page. The caller checks the permission.
type Handlers struct {
	log    *Log
	rd     *web.Renderer
	logger *slog.Logger
}

// NewHandlers returns the audit page handlers.
func NewHandlers(log *Log, rd *web.Renderer, logger *slog.Logger) *Handlers {
	return &Handlers{log: log, rd: rd, logger: logger}
}

type pageData struct {
	Filter   Filter
	FromText string
	ToText   string
	Entries  []Entry
	Total    int
	Prev     string
	Next     string
	Verified *VerifyResult
}

const pageSize = 50

// Page lists and filters entries: GET /audit?actor=&action=&object_type=&object_id=&from=YYYY-MM-DD&to=YYYY-MM-DD&page=N&verify=1.
func (h *Handlers) Page(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, _ := strconv.Atoi(q.Get("page"))
	if page < 1 {
		page = 1
	}
	f := Filter{Actor: q.Get("actor"), Action: q.Get("action"), ObjectType: q.Get("object_type"), ObjectID: q.Get("object_id"),
		Limit: pageSize, Offset: (page - 1) * pageSize}
	d := pageData{FromText: q.Get("from"), ToText: q.Get("to")}
	for _, v := range []struct {
		text string
		dst  *time.Time
		add  int
	}{{d.FromText, &f.From, 0}, {d.ToText, &f.To, 1}} {
		if v.text == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", v.text, web.Shanghai())
		if err != nil {
			h.rd.Error(w, r, http.StatusBadRequest, "error.bad_request", "date must look like 2026-11-23")
			return
		}
		*v.dst = t.AddDate(0, 0, v.add)
	}
	var err error
	d.Entries, d.Total, err = h.log.List(r.Context(), f)
	if err != nil {
		h.logger.Error("audit page", "err", err)
		h.rd.Error(w, r, http.StatusInternalServerError, "error.internal")
		return
	}
	d.Filter = f
	link := func(p int) string {
		v := url.Values{}
		for k, vs := range q {
			if k != "page" && k != "verify" {
				v[k] = vs
			}
		}
		v.Set("page", strconv.Itoa(p))
		return "/audit?" + v.Encode()
	}
	if page > 1 {
		d.Prev = link(page - 1)
	}
	if page*pageSize < d.Total {
		d.Next = link(page + 1)
	}
	if q.Get("verify") == "1" {
		res, err := h.log.Verify(r.Context())
		if err != nil {
			h.logger.Error("audit verify", "err", err)
			h.rd.Error(w, r, http.StatusInternalServerError, "error.internal")
			return
		}
		d.Verified = &res
	}
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusOK, map[string]any{"total": d.Total, "entries": d.Entries})
		return
	}
	h.rd.Render(w, http.StatusOK, "audit", h.rd.NewPage(r, "audit.title", d))
}
