package app

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/places"
	"github.com/gengxin/gengxin/internal/web"
)

// myHome is one verified household of a resident, as the /me page shows it.
type myHome struct {
	Household places.Household
	Building  places.Building
	Compound  places.Compound
	Nearby    []places.Nearby
}

type mePage struct {
	Homes   []myHome
	Pending []auth.ResidentLink
	Code    string
}

// me shows a resident the households they are verified for, their pending
// claims, and a form to claim another household.
func (a *App) me(w http.ResponseWriter, r *http.Request) {
	a.renderMe(w, r, http.StatusOK, "", "", "")
}

func (a *App) renderMe(w http.ResponseWriter, r *http.Request, status int, flash, errMsg, code string) {
	ctx := r.Context()
	p, _ := auth.PrincipalFrom(ctx)
	d := mePage{Code: code}
	ids, err := a.Auth.ResidentHouseholds(ctx, p.UserID)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	for _, id := range ids {
		h, _, err := a.Places.Household(ctx, id)
		if err != nil {
			a.serverError(w, r, err)
			return
		}
		b, _, err := a.Places.Building(ctx, h.BuildingID)
		if err != nil {
			a.serverError(w, r, err)
			return
		}
		c, err := a.Places.Compound(ctx, b.CompoundID)
		if err != nil {
			a.serverError(w, r, err)
			return
		}
		near, err := a.Places.FacilitiesNear(ctx, c.Lon, c.Lat, 1000)
		if err != nil {
			a.serverError(w, r, err)
			return
		}
		d.Homes = append(d.Homes, myHome{Household: h, Building: b, Compound: c, Nearby: nearestPerCategory(near)})
	}
	links, err := a.Auth.UserResidentLinks(ctx, p.UserID)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	for _, l := range links {
		if l.Status != auth.LinkVerified {
			d.Pending = append(d.Pending, l)
		}
	}
	pg := a.Render.NewPage(r, "me.title", d)
	pg.Flash, pg.Error = flash, errMsg
	a.Render.Render(w, status, "me", pg)
}

// nearestPerCategory keeps the nearest facility of each category, in order of
// distance: what a resident asks is "where is the nearest clinic", not a list of
// every shop.
func nearestPerCategory(near []places.Nearby) []places.Nearby {
	seen := map[string]bool{}
	var out []places.Nearby
	for _, n := range near {
		if !seen[n.Category] {
			seen[n.Category] = true
			out = append(out, n)
		}
	}
	return out
}

// claimHousehold records a resident's claim to the household with the given code.
func (a *App) claimHousehold(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, _ := auth.PrincipalFrom(ctx)
	code := strings.TrimSpace(r.FormValue("household_code"))
	if code == "" {
		a.renderMe(w, r, http.StatusBadRequest, "", a.Render.T(r, "me.code_required"), code)
		return
	}
	hid, err := a.Places.HouseholdByCode(ctx, code)
	if errors.Is(err, places.ErrNotFound) {
		a.renderMe(w, r, http.StatusNotFound, "", a.Render.T(r, "me.code_unknown", code), code)
		return
	}
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	err = a.Auth.RequestResidentLink(ctx, p.UserID, hid)
	switch {
	case errors.Is(err, auth.ErrLinkExists):
		a.renderMe(w, r, http.StatusConflict, "", a.Render.T(r, "me.already"), code)
		return
	case errors.Is(err, auth.ErrNotResident):
		a.Render.Error(w, r, http.StatusForbidden, "error.forbidden")
		return
	case err != nil:
		a.serverError(w, r, err)
		return
	}
	a.renderMe(w, r, http.StatusOK, a.Render.T(r, "me.requested"), "", "")
}

type residentsPage struct {
	Links []auth.ResidentLink
}

// residents lists the pending claims inside the worker's area.
func (a *App) residents(w http.ResponseWriter, r *http.Request) {
	a.renderResidents(w, r, http.StatusOK, "")
}

func (a *App) renderResidents(w http.ResponseWriter, r *http.Request, status int, flash string) {
	p, _ := auth.PrincipalFrom(r.Context())
	links, err := a.Auth.PendingResidentLinks(r.Context(), p.RegionPath)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	if web.WantsJSON(r) {
		web.JSON(w, status, map[string]any{"pending": links})
		return
	}
	pg := a.Render.NewPage(r, "residents.title", residentsPage{Links: links})
	pg.Flash = flash
	a.Render.Render(w, status, "residents", pg)
}

// decideResident approves or rejects one claim (form field decision=approve|reject).
func (a *App) decideResident(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		a.Render.Error(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	decision := r.FormValue("decision")
	if decision != "approve" && decision != "reject" {
		a.Render.Error(w, r, http.StatusBadRequest, "error.bad_request", "decision must be approve or reject")
		return
	}
	err = a.Auth.DecideResidentLink(r.Context(), id, decision == "approve")
	switch {
	case errors.Is(err, auth.ErrOutOfScope):
		a.Render.Error(w, r, http.StatusForbidden, "error.out_of_scope")
		return
	case errors.Is(err, auth.ErrLinkNotFound):
		a.Render.Error(w, r, http.StatusNotFound, "error.not_found")
		return
	case errors.Is(err, auth.ErrLinkDecided):
		a.Render.Error(w, r, http.StatusConflict, "error.bad_request", err.Error())
		return
	case err != nil:
		a.serverError(w, r, err)
		return
	}
	a.renderResidents(w, r, http.StatusOK, a.Render.T(r, "residents.done"))
}

func (a *App) serverError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, places.ErrNotFound) {
		a.Render.Error(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	a.Logger.Error("request failed", "path", r.URL.Path, "err", err)
	a.Render.Error(w, r, http.StatusInternalServerError, "error.internal")
}
