package places

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/web"
)

// Handlers serves the places pages and the map layers.
type Handlers struct {
	store  *Store
	rd     *web.Renderer
	audit  *audit.Log
	logger *slog.Logger
}

// NewHandlers returns the places handlers.
func NewHandlers(store *Store, rd *web.Renderer, log *audit.Log, logger *slog.Logger) *Handlers {
	return &Handlers{store: store, rd: rd, audit: log, logger: logger}
}

// Routes lists every places route with the permission it needs; the caller
// wraps each in auth.Require.
func (h *Handlers) Routes() []web.Route {
	return []web.Route{
		{Method: "GET", Pattern: "/map", Perm: string(auth.MapView), Handler: h.mapPage},
		{Method: "GET", Pattern: "/api/v1/layers/regions", Perm: string(auth.MapView), Handler: h.regionLayer},
		{Method: "GET", Pattern: "/api/v1/layers/compounds", Perm: string(auth.MapView), Handler: h.compoundLayer},
		{Method: "GET", Pattern: "/api/v1/layers/buildings", Perm: string(auth.PlacesRead), Handler: h.buildingLayer},
		{Method: "GET", Pattern: "/api/v1/layers/facilities", Perm: string(auth.MapView), Handler: h.facilityLayer},
		{Method: "GET", Pattern: "/api/v1/categories", Perm: string(auth.MapView), Handler: h.categoriesAPI},
		{Method: "GET", Pattern: "/regions", Perm: string(auth.PlacesRead), Handler: h.regionsPage},
		{Method: "GET", Pattern: "/regions/{id}", Perm: string(auth.PlacesRead), Handler: h.regionPage},
		{Method: "GET", Pattern: "/compounds/{id}", Perm: string(auth.PlacesRead), Handler: h.compoundPage},
		{Method: "GET", Pattern: "/compounds/{id}/edit", Perm: string(auth.PlacesWrite), Handler: h.editCompoundPage},
		{Method: "POST", Pattern: "/compounds/{id}", Perm: string(auth.PlacesWrite), Handler: h.updateCompound},
		{Method: "GET", Pattern: "/buildings/{id}", Perm: string(auth.PlacesRead), Handler: h.buildingPage},
		{Method: "POST", Pattern: "/owners/{id}/reveal", Perm: string(auth.PIIReveal), Handler: h.revealOwner},
		{Method: "GET", Pattern: "/search", Perm: string(auth.PlacesRead), Handler: h.searchPage},
		{Method: "GET", Pattern: "/api/v1/compounds", Perm: string(auth.PlacesRead), Handler: h.compoundsAPI},
		{Method: "GET", Pattern: "/api/v1/compounds/{id}", Perm: string(auth.PlacesRead), Handler: h.compoundAPI},
		{Method: "GET", Pattern: "/api/v1/regions/{id}", Perm: string(auth.PlacesRead), Handler: h.regionAPI},
	}
}

func principal(r *http.Request) *auth.Principal {
	p, _ := auth.PrincipalFrom(r.Context())
	return p
}

func scopeOf(r *http.Request) Scope {
	if p := principal(r); p != nil {
		return Scope(p.RegionPath)
	}
	return Scope("/nothing/")
}

func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

func (h *Handlers) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, ErrNotFound) {
		h.rd.Error(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	h.logger.Error("places request", "path", r.URL.Path, "err", err)
	h.rd.Error(w, r, http.StatusInternalServerError, "error.internal")
}

// denyOutside answers 403 and returns true when path lies outside the viewer's scope.
func (h *Handlers) denyOutside(w http.ResponseWriter, r *http.Request, path string) bool {
	if scopeOf(r).Covers(path) {
		return false
	}
	h.rd.Error(w, r, http.StatusForbidden, "error.out_of_scope")
	return true
}

// inScope reads the object the path's {id} names with get and checks that its
// region path (from pathOf) lies inside the viewer's area, answering 404 or 403
// itself when not.
func inScope[T any](h *Handlers, w http.ResponseWriter, r *http.Request, get func(context.Context, int64) (T, error), pathOf func(T) string) (T, bool) {
	var zero T
	id, ok := pathID(r)
	if !ok {
		h.rd.Error(w, r, http.StatusNotFound, "error.not_found")
		return zero, false
	}
	v, err := get(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return zero, false
	}
	if h.denyOutside(w, r, pathOf(v)) {
		return zero, false
	}
	return v, true
}

func (h *Handlers) compoundInScope(w http.ResponseWriter, r *http.Request) (Compound, bool) {
	return inScope(h, w, r, h.store.Compound, func(c Compound) string { return c.RegionPath })
}

func (h *Handlers) regionInScope(w http.ResponseWriter, r *http.Request) (Region, bool) {
	return inScope(h, w, r, h.store.Region, func(rg Region) string { return rg.Path })
}

// parseBBox reads "minLon,minLat,maxLon,maxLat".
func parseBBox(s string) (BBox, error) {
	if s == "" {
		return BBox{}, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return BBox{}, errors.New("bbox needs four numbers: minLon,minLat,maxLon,maxLat")
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return BBox{}, fmt.Errorf("bbox value %q is not a number", p)
		}
		v[i] = f
	}
	b := BBox{MinLon: v[0], MinLat: v[1], MaxLon: v[2], MaxLat: v[3]}
	if b.MinLon > b.MaxLon || b.MinLat > b.MaxLat || b.MinLon < -180 || b.MaxLon > 180 || b.MinLat < -90 || b.MaxLat > 90 {
		return BBox{}, errors.New("bbox is out of range or inverted")
	}
	return b, nil
}

// feature is a GeoJSON feature with raw geometry.
type feature struct {
	Type       string          `json:"type"`
	ID         int64           `json:"id"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties map[string]any  `json:"properties"`
}

type featureCollection struct {
	Type     string    `json:"type"`
	Features []feature `json:"features"`
}

func pointGeometry(lon, lat float64) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"type":"Point","coordinates":[%g,%g]}`, lon, lat))
}

func geometryOr(text string, lon, lat float64) json.RawMessage {
	if text != "" {
		return json.RawMessage(text)
	}
	return pointGeometry(lon, lat)
}

func (h *Handlers) mapPage(w http.ResponseWriter, r *http.Request) {
	type cat struct {
		Code, Name, Colour string
	}
	var cats []cat
	for _, c := range Categories {
		name := c.NameZh
		if web.Lang(r) == "en" {
			name = c.NameEn
		}
		cats = append(cats, cat{c.Code, name, c.Colour})
	}
	// Outline the level the viewer works at: subdistricts for the whole district,
	// the own community with its grids for a community worker, and so on.
	level := LevelSubdistrict
	if pr := principal(r); pr != nil && pr.RegionID != 0 {
		if rg, err := h.store.Region(r.Context(), pr.RegionID); err == nil && LevelRank(rg.Level) > LevelRank(LevelDistrict) {
			level = rg.Level
		}
	}
	p := h.rd.NewPage(r, "map.title", map[string]any{"Categories": cats, "Level": level})
	h.rd.Render(w, http.StatusOK, "map", p)
}

func (h *Handlers) regionLayer(w http.ResponseWriter, r *http.Request) {
	level := r.URL.Query().Get("level")
	if LevelRank(level) < 0 {
		h.rd.Error(w, r, http.StatusBadRequest, "error.bad_level")
		return
	}
	sc := scopeOf(r)
	if p := principal(r); p != nil && p.Role == auth.RoleResident {
		sc = "" // region outlines are public
	}
	rs, err := h.store.RegionsAtLevel(r.Context(), sc, level)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	fc := featureCollection{Type: "FeatureCollection", Features: []feature{}}
	for _, rg := range rs {
		if rg.Geometry == "" {
			continue
		}
		fc.Features = append(fc.Features, feature{Type: "Feature", ID: rg.ID, Geometry: json.RawMessage(rg.Geometry),
			Properties: map[string]any{"id": rg.ID, "name": rg.Name, "code": rg.Code, "level": rg.Level}})
	}
	web.JSON(w, http.StatusOK, fc)
}

func (h *Handlers) compoundLayer(w http.ResponseWriter, r *http.Request) {
	bb, err := parseBBox(r.URL.Query().Get("bbox"))
	if err != nil {
		web.JSON(w, http.StatusBadRequest, map[string]any{"error": err.Error(), "status": 400})
		return
	}
	sc := scopeOf(r)
	if p := principal(r); p != nil && p.Role == auth.RoleResident {
		sc = ""
	}
	cs, _, err := h.store.Compounds(r.Context(), CompoundFilter{Scope: sc, BBox: bb, Limit: 5000})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	fc := featureCollection{Type: "FeatureCollection", Features: make([]feature, 0, len(cs))}
	for _, c := range cs {
		fc.Features = append(fc.Features, feature{Type: "Feature", ID: c.ID, Geometry: geometryOr(c.Geometry, c.Lon, c.Lat),
			Properties: map[string]any{"id": c.ID, "name": c.Name, "code": c.Code, "address": c.Address, "built_year": c.BuiltYear,
				"renovation_status": c.RenovationStatus, "property_mode": c.PropertyMode}})
	}
	web.JSON(w, http.StatusOK, fc)
}

func (h *Handlers) buildingLayer(w http.ResponseWriter, r *http.Request) {
	bb, err := parseBBox(r.URL.Query().Get("bbox"))
	if err != nil || bb.Empty() {
		web.JSON(w, http.StatusBadRequest, map[string]any{"error": "bbox is required: minLon,minLat,maxLon,maxLat", "status": 400})
		return
	}
	bs, err := h.store.BuildingsIn(r.Context(), scopeOf(r), bb, 3000)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	fc := featureCollection{Type: "FeatureCollection", Features: make([]feature, 0, len(bs))}
	for _, b := range bs {
		fc.Features = append(fc.Features, feature{Type: "Feature", ID: b.ID, Geometry: geometryOr(b.Footprint, b.Lon, b.Lat),
			Properties: map[string]any{"id": b.ID, "name": b.Name, "storeys": b.Storeys, "has_elevator": b.HasElevator,
				"households": b.HouseholdCount, "compound_id": b.CompoundID, "built_year": b.BuiltYear}})
	}
	web.JSON(w, http.StatusOK, fc)
}

func (h *Handlers) facilityLayer(w http.ResponseWriter, r *http.Request) {
	bb, err := parseBBox(r.URL.Query().Get("bbox"))
	if err != nil {
		web.JSON(w, http.StatusBadRequest, map[string]any{"error": err.Error(), "status": 400})
		return
	}
	var cats []string
	if c := r.URL.Query().Get("category"); c != "" {
		for _, code := range strings.Split(c, ",") {
			if _, ok := CategoryByCode(code); !ok {
				web.JSON(w, http.StatusBadRequest, map[string]any{"error": fmt.Sprintf("unknown category %q", code), "status": 400})
				return
			}
			cats = append(cats, code)
		}
	}
	sc := scopeOf(r)
	if p := principal(r); p != nil && p.Role == auth.RoleResident {
		sc = ""
	}
	fs, err := h.store.Facilities(r.Context(), FacilityFilter{Scope: sc, Categories: cats, BBox: bb})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	fc := featureCollection{Type: "FeatureCollection", Features: make([]feature, 0, len(fs))}
	for _, f := range fs {
		cat, _ := CategoryByCode(f.Category)
		props := map[string]any{"id": f.ID, "name": f.Name, "category": f.Category, "category_zh": cat.NameZh, "category_en": cat.NameEn,
			"colour": cat.Colour, "address": f.Address}
		if f.SiteAreaDM2 > 0 {
			props["site_area_m2"] = f.SiteAreaDM2 / 100
		}
		if f.Capacity > 0 {
			props["capacity"] = f.Capacity
		}
		fc.Features = append(fc.Features, feature{Type: "Feature", ID: f.ID, Geometry: pointGeometry(f.Lon, f.Lat), Properties: props})
	}
	web.JSON(w, http.StatusOK, fc)
}

func (h *Handlers) categoriesAPI(w http.ResponseWriter, r *http.Request) {
	type cat struct {
		Code    string  `json:"code"`
		NameZh  string  `json:"name_zh"`
		NameEn  string  `json:"name_en"`
		Circle  int     `json:"life_circle_minutes"`
		RadiusM float64 `json:"service_radius_m"`
		Colour  string  `json:"colour"`
	}
	out := make([]cat, 0, len(Categories))
	for _, c := range Categories {
		out = append(out, cat{c.Code, c.NameZh, c.NameEn, c.Circle, c.RadiusM, c.Colour})
	}
	web.JSON(w, http.StatusOK, out)
}

// regionView is what the region page shows for one region.
type regionView struct {
	Region    Region
	Counts    Counts
	Children  []childView
	Crumbs    []Region
	Compounds []Compound
	Total     int
}

type childView struct {
	Region Region
	Counts Counts
}

func (h *Handlers) regionsPage(w http.ResponseWriter, r *http.Request) {
	roots, err := h.store.Roots(r.Context(), scopeOf(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(roots) == 1 {
		http.Redirect(w, r, fmt.Sprintf("/regions/%d", roots[0].ID), http.StatusSeeOther)
		return
	}
	var kids []childView
	for _, rg := range roots {
		c, err := h.store.CountIn(r.Context(), rg.Path)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		kids = append(kids, childView{rg, c})
	}
	h.rd.Render(w, http.StatusOK, "regions", h.rd.NewPage(r, "regions.title", regionView{Children: kids}))
}

func (h *Handlers) regionPage(w http.ResponseWriter, r *http.Request) {
	rg, ok := h.regionInScope(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	v := regionView{Region: rg}
	var err error
	if v.Counts, err = h.store.CountIn(ctx, rg.Path); err != nil {
		h.fail(w, r, err)
		return
	}
	crumbs, err := h.store.Ancestors(ctx, rg)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, c := range crumbs {
		if scopeOf(r).Covers(c.Path) {
			v.Crumbs = append(v.Crumbs, c)
		}
	}
	kids, err := h.store.Children(ctx, rg.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, k := range kids {
		c, err := h.store.CountIn(ctx, k.Path)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		v.Children = append(v.Children, childView{k, c})
	}
	if rg.Level == LevelCommunity || rg.Level == LevelGrid {
		v.Compounds, v.Total, err = h.store.Compounds(ctx, CompoundFilter{Scope: Scope(rg.Path), Limit: 500})
		if err != nil {
			h.fail(w, r, err)
			return
		}
	}
	p := h.rd.NewPage(r, "regions.title", v)
	p.Title = rg.Name
	h.rd.Render(w, http.StatusOK, "region", p)
}

type compoundView struct {
	Compound  Compound
	Stats     CompoundStats
	Buildings []Building
	Nearby    []Nearby
	Crumbs    []Region
}

func (h *Handlers) compoundPage(w http.ResponseWriter, r *http.Request) {
	c, ok := h.compoundInScope(w, r)
	if !ok {
		return
	}
	ctx, id := r.Context(), c.ID
	v := compoundView{Compound: c}
	var err error
	if v.Stats, err = h.store.StatsOfCompound(ctx, id); err != nil {
		h.fail(w, r, err)
		return
	}
	if v.Buildings, err = h.store.BuildingsOf(ctx, id); err != nil {
		h.fail(w, r, err)
		return
	}
	if v.Nearby, err = h.store.FacilitiesNear(ctx, c.Lon, c.Lat, 1000); err != nil {
		h.fail(w, r, err)
		return
	}
	if rg, err := h.store.Region(ctx, c.RegionID); err == nil {
		crumbs, _ := h.store.Ancestors(ctx, rg)
		for _, cr := range crumbs {
			if scopeOf(r).Covers(cr.Path) {
				v.Crumbs = append(v.Crumbs, cr)
			}
		}
	}
	p := h.rd.NewPage(r, "compound.title", v)
	p.Title = c.Name
	h.rd.Render(w, http.StatusOK, "compound", p)
}

type editView struct {
	Compound           Compound
	PropertyModes      []string
	RenovationStatuses []string
}

func (h *Handlers) editCompoundPage(w http.ResponseWriter, r *http.Request) {
	c, ok := h.compoundInScope(w, r)
	if !ok {
		return
	}
	h.renderEdit(w, r, http.StatusOK, c, "")
}

func (h *Handlers) renderEdit(w http.ResponseWriter, r *http.Request, status int, c Compound, errMsg string) {
	p := h.rd.NewPage(r, "compound.edit", editView{Compound: c, PropertyModes: PropertyModes, RenovationStatuses: RenovationStatuses})
	p.Error = errMsg
	h.rd.Render(w, status, "compound_edit", p)
}

// updateCompound saves the edit form (name, address, built_year, property_mode,
// renovation_status) of a compound inside the editor's area.
func (h *Handlers) updateCompound(w http.ResponseWriter, r *http.Request) {
	c, ok := h.compoundInScope(w, r)
	if !ok {
		return
	}
	ctx, id := r.Context(), c.ID
	var err error
	u := CompoundUpdate{Name: r.FormValue("name"), Address: r.FormValue("address"), PropertyMode: r.FormValue("property_mode"), RenovationStatus: r.FormValue("renovation_status")}
	if y := strings.TrimSpace(r.FormValue("built_year")); y != "" {
		if u.BuiltYear, err = strconv.Atoi(y); err != nil {
			u.BuiltYear = -1
		}
	}
	updated, err := h.store.UpdateCompound(ctx, id, u)
	if errors.Is(err, ErrInvalid) {
		if web.WantsJSON(r) {
			web.JSON(w, http.StatusBadRequest, map[string]any{"error": err.Error(), "status": http.StatusBadRequest})
			return
		}
		c.Name, c.Address, c.BuiltYear, c.PropertyMode, c.RenovationStatus = u.Name, u.Address, u.BuiltYear, u.PropertyMode, u.RenovationStatus
		h.renderEdit(w, r, http.StatusBadRequest, c, err.Error())
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusOK, toCompoundJSON(updated))
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/compounds/%d", id), http.StatusSeeOther)
}

type buildingView struct {
	Building   Building
	Compound   Compound
	Households []HouseholdRow
	CanReveal  bool
}

func (h *Handlers) buildingPage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.rd.Error(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	ctx := r.Context()
	b, path, err := h.store.Building(ctx, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if h.denyOutside(w, r, path) {
		return
	}
	v := buildingView{Building: b, CanReveal: principal(r).Can(auth.PIIReveal)}
	if v.Compound, err = h.store.Compound(ctx, b.CompoundID); err != nil {
		h.fail(w, r, err)
		return
	}
	if v.Households, err = h.store.HouseholdsOf(ctx, id); err != nil {
		h.fail(w, r, err)
		return
	}
	p := h.rd.NewPage(r, "building.title", v)
	p.Title = v.Compound.Name + " " + b.Name
	h.rd.Render(w, http.StatusOK, "building", p)
}

// revealOwner shows an owner's phone and ID number in clear to a role allowed to
// see them, inside its scope, and records the reveal.
func (h *Handlers) revealOwner(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.rd.Error(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	ctx := r.Context()
	oc, err := h.store.RevealOwner(ctx, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sc := scopeOf(r)
	inside := false
	for _, p := range oc.RegionPaths {
		inside = inside || sc.Covers(p)
	}
	if !inside {
		h.rd.Error(w, r, http.StatusForbidden, "error.out_of_scope")
		return
	}
	if err := h.audit.RecordTx(ctx, audit.Change{Action: "pii.reveal", ObjectType: "owner", ObjectID: strconv.FormatInt(id, 10),
		After: map[string]any{"fields": []string{"phone", "id_number"}}}); err != nil {
		h.fail(w, r, err)
		return
	}
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusOK, map[string]any{"owner_id": oc.OwnerID, "name": oc.Name, "phone": oc.Phone, "id_number": oc.IDNumber})
		return
	}
	p := h.rd.NewPage(r, "building.title", oc)
	h.rd.Fragment(w, "building", "revealed", p)
}

type searchView struct {
	Q       string
	Results []SearchResult
}

func (h *Handlers) searchPage(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	v := searchView{Q: q}
	if q != "" {
		var err error
		if v.Results, err = h.store.Search(r.Context(), scopeOf(r), q, 50); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if r.Header.Get("HX-Request") == "true" {
		h.rd.Fragment(w, "search", "results", h.rd.NewPage(r, "search.title", v))
		return
	}
	h.rd.Render(w, http.StatusOK, "search", h.rd.NewPage(r, "search.title", v))
}

// compoundJSON is the API form of a compound.
type compoundJSON struct {
	ID               int64        `json:"id"`
	Code             string       `json:"code"`
	Name             string       `json:"name"`
	Address          string       `json:"address"`
	RegionID         int64        `json:"region_id"`
	BuiltYear        int          `json:"built_year,omitempty"`
	PropertyMode     string       `json:"property_mode"`
	RenovationStatus string       `json:"renovation_status"`
	Lon              float64      `json:"lon"`
	Lat              float64      `json:"lat"`
	Gates            [][2]float64 `json:"gates,omitempty"`
}

func toCompoundJSON(c Compound) compoundJSON {
	out := compoundJSON{ID: c.ID, Code: c.Code, Name: c.Name, Address: c.Address, RegionID: c.RegionID, BuiltYear: c.BuiltYear,
		PropertyMode: c.PropertyMode, RenovationStatus: c.RenovationStatus, Lon: c.Lon, Lat: c.Lat}
	for _, g := range c.Gates {
		out.Gates = append(out.Gates, [2]float64{g.Lon, g.Lat})
	}
	return out
}

func (h *Handlers) compoundsAPI(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	bb, err := parseBBox(q.Get("bbox"))
	if err != nil {
		web.JSON(w, http.StatusBadRequest, map[string]any{"error": err.Error(), "status": 400})
		return
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	offset, _ := strconv.Atoi(q.Get("offset"))
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	if offset < 0 {
		offset = 0
	}
	cs, total, err := h.store.Compounds(r.Context(), CompoundFilter{Scope: scopeOf(r), BBox: bb, Query: q.Get("q"), Limit: limit, Offset: offset})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	items := make([]compoundJSON, 0, len(cs))
	for _, c := range cs {
		items = append(items, toCompoundJSON(c))
	}
	web.JSON(w, http.StatusOK, map[string]any{"total": total, "limit": limit, "offset": offset, "items": items})
}

func (h *Handlers) compoundAPI(w http.ResponseWriter, r *http.Request) {
	c, ok := h.compoundInScope(w, r)
	if !ok {
		return
	}
	st, err := h.store.StatsOfCompound(r.Context(), c.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.JSON(w, http.StatusOK, map[string]any{"compound": toCompoundJSON(c), "buildings": st.Buildings, "entrances": st.Entrances,
		"households": st.Households, "owners": st.Owners, "exclusive_area_m2": FormatArea(st.AreaDM2)})
}

func (h *Handlers) regionAPI(w http.ResponseWriter, r *http.Request) {
	rg, ok := h.regionInScope(w, r)
	if !ok {
		return
	}
	c, err := h.store.CountIn(r.Context(), rg.Path)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	kids, err := h.store.Children(r.Context(), rg.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	type child struct {
		ID    int64  `json:"id"`
		Code  string `json:"code"`
		Name  string `json:"name"`
		Level string `json:"level"`
	}
	ch := make([]child, 0, len(kids))
	for _, k := range kids {
		ch = append(ch, child{k.ID, k.Code, k.Name, k.Level})
	}
	web.JSON(w, http.StatusOK, map[string]any{"id": rg.ID, "code": rg.Code, "name": rg.Name, "level": rg.Level,
		"compounds": c.Compounds, "buildings": c.Buildings, "households": c.Households, "facilities": c.Facilities, "children": ch})
}
