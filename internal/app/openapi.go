package app

import (
	"net/http"
	"sort"
	"strings"

	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/web"
)

// apiDoc describes one JSON route for the OpenAPI document.
type apiDoc struct {
	summary string
	params  []apiParam
}

type apiParam struct {
	name, in, typ, description string
	required                   bool
}

// apiDocs documents every route under /api/; TestOpenAPI fails when a route is
// missing here.
func apiDocs() map[string]apiDoc {
	id := apiParam{"id", "path", "integer", "object id", true}
	bboxParam := apiParam{"bbox", "query", "string", "minLon,minLat,maxLon,maxLat in WGS-84 degrees", false}
	return map[string]apiDoc{
		"GET /api/v1/layers/regions": {"Region outlines of one level inside the caller's area, as GeoJSON",
			[]apiParam{{"level", "query", "string", "city, district, subdistrict, community or grid", true}}},
		"GET /api/v1/layers/compounds":  {"Compounds with built year, renovation status and property mode, as GeoJSON", []apiParam{bboxParam}},
		"GET /api/v1/layers/buildings":  {"Building footprints inside a box (at most 3,000), as GeoJSON", []apiParam{{"bbox", "query", "string", bboxParam.description, true}}},
		"GET /api/v1/layers/facilities": {"Facilities, optionally of some categories, as GeoJSON", []apiParam{bboxParam, {"category", "query", "string", "comma-separated category codes (see /api/v1/categories)", false}}},
		"GET /api/v1/layers/streets":    {"The stored walk network's street segments inside a box, as one GeoJSON MultiLineString (at most 40,000 segments)", []apiParam{bboxParam}},
		"GET /api/v1/categories":        {"The facility category catalogue with life circles and service radii", nil},
		"GET /api/v1/compounds": {"Compounds inside the caller's area, paged", []apiParam{bboxParam,
			{"q", "query", "string", "part of the name or address, or the exact code", false},
			{"limit", "query", "integer", "page size, 1–1000 (default 100)", false},
			{"offset", "query", "integer", "rows to skip", false}}},
		"GET /api/v1/compounds/{id}": {"One compound with its totals (buildings, entrances, households, owners, exclusive area)", []apiParam{id}},
		"GET /api/v1/regions/{id}":   {"One region with its totals and the regions directly below it", []apiParam{id}},
		"GET /api/v1/openapi.json":   {"This document", nil},
		"GET /api/v1/findings": {"Health-check findings inside the caller's area (at most 5,000), as GeoJSON points", []apiParam{bboxParam,
			{"indicator", "query", "string", "indicator code", false},
			{"level", "query", "string", "housing, compound, block or district", false},
			{"status", "query", "string", "comma-separated: new, open, in_project, resolved, verified", false},
			{"variant", "query", "string", "walk or line", false}}},
		"GET /api/v1/votes/{id}/tally":          {"An owner vote's live tally (or its final one when closed): participation and approval by area and heads against the thresholds", []apiParam{id}},
		"GET /api/v1/surveys/rounds/{id}/stats": {"A survey round's live (or final) statistics: coverage, support by households and by area per building, entrance and floor, channels, relations and answer distributions", []apiParam{id}},
		"GET /api/v1/projects": {"Renewal projects inside the caller's area with their stage, scope figures, budget, funding, spend and progress", []apiParam{
			{"stage", "query", "string", "pool, consultation, design, sample, construction, acceptance or aftercare", false},
			{"type", "query", "string", "compound, village, industrial, heritage or micro", false},
			{"year", "query", "integer", "plan year", false},
			{"q", "query", "string", "part of the name or code", false},
			{"limit", "query", "integer", "page size, 1–5000 (default 5000)", false},
			{"offset", "query", "integer", "rows to skip", false}}},
		"GET /api/v1/projects/{id}":             {"One renewal project with its items and funding, the next gate with each condition checked, its stage history and the four rounds' feedback counts", []apiParam{id}},
		"GET /api/v1/checkup/runs/{id}/results": {"A health-check run's result per indicator and variant, with the previous run's value", []apiParam{id}},
	}
}

// openAPI serves an OpenAPI 3.1 description of the JSON API, built from the
// registered routes.
func (a *App) openAPI(w http.ResponseWriter, r *http.Request) {
	docs := apiDocs()
	paths := map[string]map[string]any{}
	var keys []string
	for _, rt := range a.routes {
		if !strings.HasPrefix(rt.Pattern, "/api/") {
			continue
		}
		key := rt.Method + " " + rt.Pattern
		keys = append(keys, key)
		d := docs[key]
		op := map[string]any{
			"summary":      d.summary,
			"x-permission": string(rt.Perm),
			"responses": map[string]any{
				"200": map[string]any{"description": "OK", "content": map[string]any{"application/json": map[string]any{}}},
				"400": map[string]any{"description": "Bad request; the body's error says why"},
				"401": map[string]any{"description": "No valid session or API key"},
				"403": map[string]any{"description": "The role lacks the permission, or the object lies outside the caller's area"},
				"404": map[string]any{"description": "No such object"},
			},
		}
		if rt.Public {
			op["security"] = []any{}
		}
		var params []any
		for _, p := range d.params {
			params = append(params, map[string]any{"name": p.name, "in": p.in, "required": p.required, "description": p.description,
				"schema": map[string]any{"type": p.typ}})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if paths[rt.Pattern] == nil {
			paths[rt.Pattern] = map[string]any{}
		}
		paths[rt.Pattern][strings.ToLower(rt.Method)] = op
	}
	sort.Strings(keys)
	web.JSON(w, http.StatusOK, map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "gengxin API", "version": a.Config.Version,
			"description": "JSON API of gengxin. Authenticate with a session cookie or `Authorization: Bearer KEY` (create keys with `gengxin apikey create`). Every answer is limited to the caller's region scope."},
		"servers": []any{map[string]any{"url": "/"}},
		"components": map[string]any{"securitySchemes": map[string]any{
			"apiKey":  map[string]any{"type": "http", "scheme": "bearer"},
			"session": map[string]any{"type": "apiKey", "in": "cookie", "name": auth.SessionCookie},
		}},
		"security": []any{map[string]any{"apiKey": []any{}}, map[string]any{"session": []any{}}},
		"paths":    paths,
	})
}
