package checkup

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
)

//go:embed catalogue.json
var catalogueJSON []byte

// Indicator levels, from the smallest unit upwards.
const (
	LevelHousing  = "housing"
	LevelCompound = "compound"
	LevelBlock    = "block"
	LevelDistrict = "district"
)

// Levels lists the indicator levels from the smallest unit upwards.
var Levels = []string{LevelHousing, LevelCompound, LevelBlock, LevelDistrict}

// Computation kinds of an indicator.
const (
	KindCount     = "count"     // number of failing objects (or the sum of their values)
	KindCoverage  = "coverage"  // percentage of households covered
	KindGap       = "gap"       // shortfall against a norm
	KindAggregate = "aggregate" // a district-wide figure
)

// Object types an indicator is measured on.
const (
	ObjectBuilding = "building"
	ObjectCompound = "compound"
	ObjectRegion   = "region"
)

// Variants of a distance-based figure.
const (
	VariantWalk = "walk" // walking distance over the walk network
	VariantLine = "line" // straight-line (great-circle) distance
)

// ErrBadParams reports indicator parameters that cannot be used.
var ErrBadParams = errors.New("bad indicator parameters")

// Params are an indicator's parameters as JSON values: numbers, booleans,
// strings, lists and objects.
type Params map[string]any

// Indicator is one entry of the catalogue.
type Indicator struct {
	Code   string `json:"code"`
	Level  string `json:"level"`
	Object string `json:"object"`
	Kind   string `json:"kind"`
	// Rule names the computation; indicators sharing a rule differ by parameters.
	Rule   string `json:"rule"`
	NameZh string `json:"name_zh"`
	NameEn string `json:"name_en"`
	Unit   string `json:"unit"`
	// Aggregate is "sum" when the headline figure sums the objects' values
	// (dwellings), else the number of failing objects is counted.
	Aggregate string `json:"aggregate,omitempty"`
	// Variants marks distance-based indicators computed both walking and in a
	// straight line.
	Variants   bool `json:"variants,omitempty"`
	Computable bool `json:"computable"`
	// Needs names the input a non-computable indicator waits for.
	Needs  string `json:"needs,omitempty"`
	Params Params `json:"params"`
	Source string `json:"source"`
}

// Settings are catalogue-wide parameters of the life-circle analysis.
type Settings struct {
	MaxSnapM float64 `json:"max_snap_m"` // farther from the walk network counts as off-network
	SearchM  float64 `json:"search_m"`   // nearest facilities are looked for up to this distance
}

// Catalogue is the indicator system: a version and its indicators.
type Catalogue struct {
	Version    string      `json:"version"`
	Settings   Settings    `json:"settings"`
	Indicators []Indicator `json:"indicators"`
}

// LoadCatalogue parses the built-in catalogue and checks every entry.
func LoadCatalogue() (*Catalogue, error) {
	return ParseCatalogue(catalogueJSON)
}

// ParseCatalogue parses a catalogue document and checks every entry.
func ParseCatalogue(b []byte) (*Catalogue, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var c Catalogue
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("catalogue: %w", err)
	}
	if err := c.Check(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Check verifies that every indicator is well formed and that the parameters of
// every computable one compile into its rule.
func (c *Catalogue) Check() error {
	if c.Version == "" {
		return errors.New("catalogue: no version")
	}
	if c.Settings.MaxSnapM <= 0 || c.Settings.SearchM <= 0 {
		return errors.New("catalogue: settings max_snap_m and search_m must be positive")
	}
	seen := map[string]bool{}
	for _, ind := range c.Indicators {
		if ind.Code == "" || seen[ind.Code] {
			return fmt.Errorf("catalogue: empty or repeated code %q", ind.Code)
		}
		seen[ind.Code] = true
		if !slices.Contains(Levels, ind.Level) {
			return fmt.Errorf("catalogue: %s: unknown level %q", ind.Code, ind.Level)
		}
		if !slices.Contains([]string{KindCount, KindCoverage, KindGap, KindAggregate}, ind.Kind) {
			return fmt.Errorf("catalogue: %s: unknown kind %q", ind.Code, ind.Kind)
		}
		if !slices.Contains([]string{ObjectBuilding, ObjectCompound, ObjectRegion}, ind.Object) {
			return fmt.Errorf("catalogue: %s: unknown object %q", ind.Code, ind.Object)
		}
		if ind.NameZh == "" || ind.NameEn == "" || ind.Unit == "" || ind.Source == "" || ind.Rule == "" {
			return fmt.Errorf("catalogue: %s: name_zh, name_en, unit, rule and source are required", ind.Code)
		}
		if ind.Params == nil {
			return fmt.Errorf("catalogue: %s: no params", ind.Code)
		}
		if !ind.Computable {
			if ind.Needs == "" {
				return fmt.Errorf("catalogue: %s: a non-computable indicator must say what input it needs", ind.Code)
			}
			continue
		}
		if _, err := compileRule(ind, ind.Params); err != nil {
			return fmt.Errorf("catalogue: %w", err)
		}
	}
	for _, ind := range c.Indicators {
		if ind.Computable && ind.Rule == "life_circle_rate" {
			from, _ := ind.Params["from"].(string)
			src, ok := c.Indicator(from)
			if !ok || src.Rule != "life_circle" {
				return fmt.Errorf("catalogue: %s: from %q is not a life-circle indicator", ind.Code, from)
			}
		}
	}
	return nil
}

// Indicator finds an indicator by code.
func (c *Catalogue) Indicator(code string) (Indicator, bool) {
	for _, ind := range c.Indicators {
		if ind.Code == code {
			return ind, true
		}
	}
	return Indicator{}, false
}

// Effective returns each indicator's parameters with the overrides applied
// (override keys replace the catalogue's), keyed by code.
func (c *Catalogue) Effective(overrides map[string]Params) map[string]Params {
	out := make(map[string]Params, len(c.Indicators))
	for _, ind := range c.Indicators {
		p := maps.Clone(ind.Params)
		maps.Copy(p, overrides[ind.Code])
		out[ind.Code] = p
	}
	return out
}

// CheckOverride verifies that params may override the parameters of code: every
// key must be one of the indicator's, of the same JSON type, and the merged
// parameters must compile.
func (c *Catalogue) CheckOverride(code string, params Params) error {
	ind, ok := c.Indicator(code)
	if !ok {
		return fmt.Errorf("%w: unknown indicator %q", ErrBadParams, code)
	}
	if len(params) == 0 {
		return fmt.Errorf("%w: %s: no parameters given", ErrBadParams, code)
	}
	keys := slices.Sorted(maps.Keys(params))
	for _, k := range keys {
		def, ok := ind.Params[k]
		if !ok {
			known := slices.Sorted(maps.Keys(ind.Params))
			return fmt.Errorf("%w: %s has no parameter %q (it has %v)", ErrBadParams, code, k, known)
		}
		if jsonType(def) != jsonType(params[k]) {
			return fmt.Errorf("%w: %s: %s must be a %s", ErrBadParams, code, k, jsonType(def))
		}
	}
	if !ind.Computable {
		return nil
	}
	merged := maps.Clone(ind.Params)
	maps.Copy(merged, params)
	if _, err := compileRule(ind, merged); err != nil {
		return err
	}
	return nil
}

func jsonType(v any) string {
	switch v.(type) {
	case float64, int, int64:
		return "number"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "list"
	case map[string]any:
		return "object"
	}
	return "null"
}

// decode reads params into dst (a struct with json tags), refusing unknown keys.
func (p Params) decode(dst any) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(dst)
}

// KindSpec is one facility kind a life circle requires: any facility of one of
// its categories within RadiusM serves it.
type KindSpec struct {
	Kind       string   `json:"kind"`
	Categories []string `json:"categories"`
	RadiusM    float64  `json:"radius_m"`
	Circle     int      `json:"circle"`
}

// ParkClass gives the service radius of parks from a minimum site area.
type ParkClass struct {
	MinSiteAreaM2 float64 `json:"min_site_area_m2"`
	RadiusM       float64 `json:"radius_m"`
}

// rule is an indicator's compiled parameters.
type rule struct {
	ind Indicator
	// housing
	MaxAgeYears  int  `json:"max_age_years"`
	MinStoreys   int  `json:"min_storeys"`
	RequireRamp  bool `json:"require_ramp"`
	MaxDwellings int  `json:"max_dwellings"`
	// compound
	Categories     []string   `json:"categories"`
	RadiusM        float64    `json:"radius_m"`
	UnmanagedModes []string   `json:"unmanaged_modes"`
	Circle         int        `json:"circle"`
	Kinds          []KindSpec `json:"kinds"`
	// block and district
	Classes    []ParkClass `json:"classes"`
	MinPercent float64     `json:"min_percent"`
	From       string      `json:"from"`
	// aggregates
	CutoffYear        int      `json:"cutoff_year"`
	RenovatedStatuses []string `json:"renovated_statuses"`
}

// compileRule checks params against the indicator's rule and returns them typed.
func compileRule(ind Indicator, params Params) (*rule, error) {
	r := &rule{ind: ind}
	if err := params.decode(r); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadParams, ind.Code, err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrBadParams, ind.Code, fmt.Sprintf(format, args...))
	}
	switch ind.Rule {
	case "gas_pipe_age":
		if r.MaxAgeYears <= 0 {
			return nil, bad("max_age_years must be positive")
		}
	case "age_friendly", "elevator_need":
		if r.MinStoreys < 2 {
			return nil, bad("min_storeys must be at least 2")
		}
	case "non_self_contained":
		if r.MaxDwellings < 0 {
			return nil, bad("max_dwellings must not be negative")
		}
	case "property_management":
		if len(r.UnmanagedModes) == 0 {
			return nil, bad("unmanaged_modes is empty")
		}
	case "provision", "radius_coverage":
		if len(r.Categories) == 0 || r.RadiusM <= 0 {
			return nil, bad("categories and a positive radius_m are required")
		}
	case "park_coverage":
		if len(r.Categories) == 0 || len(r.Classes) == 0 {
			return nil, bad("categories and classes are required")
		}
		for _, c := range r.Classes {
			if c.RadiusM <= 0 || c.MinSiteAreaM2 < 0 {
				return nil, bad("every park class needs a positive radius_m and a min_site_area_m2")
			}
		}
		// Larger parks first, so the first class a park reaches is its own.
		sort.Slice(r.Classes, func(i, j int) bool { return r.Classes[i].MinSiteAreaM2 > r.Classes[j].MinSiteAreaM2 })
	case "life_circle":
		if r.Circle <= 0 || len(r.Kinds) == 0 {
			return nil, bad("circle and kinds are required")
		}
		seen := map[string]bool{}
		for _, k := range r.Kinds {
			if k.Kind == "" || seen[k.Kind] || len(k.Categories) == 0 || k.RadiusM <= 0 || k.Circle <= 0 || k.Circle > r.Circle {
				return nil, bad("kind %q needs a unique name, categories, a positive radius_m and a circle no larger than %d", k.Kind, r.Circle)
			}
			seen[k.Kind] = true
		}
	case "life_circle_rate":
		if r.From == "" {
			return nil, bad("from is required")
		}
	case "old_renovated":
		if r.CutoffYear <= 0 || len(r.RenovatedStatuses) == 0 {
			return nil, bad("cutoff_year and renovated_statuses are required")
		}
	default:
		return nil, bad("no computation for rule %q", ind.Rule)
	}
	if ind.Kind == KindCoverage && (r.MinPercent < 0 || r.MinPercent > 100) {
		return nil, bad("min_percent must lie between 0 and 100")
	}
	return r, nil
}
