package projects

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/places"
	"github.com/gengxin/gengxin/internal/web"
)

// Handlers serves the project pages, the statistics and the JSON API.
type Handlers struct {
	svc    *Service
	places *places.Store
	// homes finds a resident's verified households, for the resident's own shares.
	homes  func(ctx context.Context, userID int64) ([]int64, error)
	rd     *web.Renderer
	logger *slog.Logger
}

// NewHandlers returns the project handlers. homes returns the verified
// households of a resident.
func NewHandlers(svc *Service, ps *places.Store, homes func(ctx context.Context, userID int64) ([]int64, error), rd *web.Renderer, logger *slog.Logger) *Handlers {
	return &Handlers{svc: svc, places: ps, homes: homes, rd: rd, logger: logger}
}

// Routes lists every project route with the permission it needs.
func (h *Handlers) Routes() []web.Route {
	var out []web.Route
	out = append(out, h.pageRoutes()...)
	out = append(out, h.statsRoutes()...)
	return out
}

func principalOf(r *http.Request) *auth.Principal {
	p, _ := auth.PrincipalFrom(r.Context())
	return p
}

func pathID(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id, err == nil && id > 0
}

// errOutOfScope: the object lies outside the viewer's region.
var errOutOfScope = errors.New("outside your area")

func (h *Handlers) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ge *GateError
	switch {
	case errors.Is(err, ErrNotFound):
		h.rd.Error(w, r, http.StatusNotFound, "error.not_found")
	case errors.Is(err, errOutOfScope):
		h.rd.Error(w, r, http.StatusForbidden, "error.out_of_scope")
	case errors.As(err, &ge):
		h.rd.Error(w, r, http.StatusConflict, "projects.gate.refused", h.missingText(r, ge.Missing))
	case errors.Is(err, ErrInvalid), errors.Is(err, ErrFile):
		h.rd.Error(w, r, http.StatusBadRequest, "error.bad_request", err.Error())
	default:
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			h.rd.Error(w, r, http.StatusRequestEntityTooLarge, "error.bad_request", err.Error())
			return
		}
		h.logger.Error("project request", "path", r.URL.Path, "err", err)
		h.rd.Error(w, r, http.StatusInternalServerError, "error.internal")
	}
}

// missingText joins the messages of the missing checks.
func (h *Handlers) missingText(r *http.Request, checks []Check) string {
	s := ""
	for i, c := range checks {
		if i > 0 {
			s += "；"
		}
		s += h.rd.T(r, c.Key, c.Args...)
	}
	return s
}

// project loads a project and checks the viewer's region covers it.
func (h *Handlers) project(r *http.Request) (Project, error) {
	id, ok := pathID(r, "id")
	if !ok {
		return Project{}, ErrNotFound
	}
	p, err := h.svc.Get(r.Context(), id)
	if err != nil {
		return p, err
	}
	if !places.Scope(principalOf(r).RegionPath).Covers(p.RegionPath) {
		return p, errOutOfScope
	}
	return p, nil
}
