package places

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/gengxin/gengxin/internal/geo"
)

// record is one data row of an import file (a CSV line or a GeoJSON feature),
// its values aligned with the columns of the object type.
type record struct {
	line    int
	feature int
	vals    []string
	// absent marks columns the CSV header did not name (their emptiness was
	// reported once, on line 1); nil when every column may be filled.
	absent []bool
	// badGeometry is set when a GeoJSON feature's geometry was already reported.
	badGeometry bool
}

// pos says where a row is in the file.
type pos struct{ line, feature int }

// where names a row for messages that point at another row.
func (p pos) where() string {
	if p.feature > 0 {
		return fmt.Sprintf("feature %d", p.feature)
	}
	return fmt.Sprintf("line %d", p.line)
}

// Typed rows, with references still given by code.
type (
	regionRow struct {
		at         pos
		parentCode string
		Region
	}
	compoundRow struct {
		at         pos
		regionCode string
		Compound
	}
	buildingRow struct {
		at           pos
		compoundCode string
		hasPoint     bool
		Building
	}
	entranceRow struct {
		at           pos
		buildingCode string
		hasPoint     bool
		Entrance
	}
	householdRow struct {
		at                         pos
		buildingCode, entranceCode string
		Household
	}
	ownerRow struct {
		at pos
		Owner
	}
	linkRow struct {
		at                       pos
		householdCode, ownerCode string
		HouseholdOwner
	}
	facilityRow struct {
		at         pos
		regionCode string
		Facility
	}
)

// batch collects the typed rows of one import file.
type batch struct {
	objectType string
	crs        geo.CRS
	errs       *collector
	idx        map[string]int
	seen       map[string]pos

	regions    []regionRow
	compounds  []compoundRow
	buildings  []buildingRow
	entrances  []entranceRow
	households []householdRow
	owners     []ownerRow
	links      []linkRow
	facilities []facilityRow
}

func newBatch(objectType string, crs geo.CRS, errs *collector) *batch {
	idx := make(map[string]int)
	for i, c := range importColumns[objectType] {
		idx[c.Name] = i
	}
	return &batch{objectType: objectType, crs: crs, errs: errs, idx: idx, seen: make(map[string]pos)}
}

// add checks one record and keeps its typed row. Rows with errors are kept too,
// so that reference checks can report their problems as well.
func (b *batch) add(rec *record) {
	r := &rowReader{b: b, rec: rec}
	switch b.objectType {
	case ObjectRegion:
		b.addRegion(r)
	case ObjectCompound:
		b.addCompound(r)
	case ObjectBuilding:
		b.addBuilding(r)
	case ObjectEntrance:
		b.addEntrance(r)
	case ObjectHousehold:
		b.addHousehold(r)
	case ObjectOwner:
		b.addOwner(r)
	case ObjectHouseholdOwner:
		b.addLink(r)
	case ObjectFacility:
		b.addFacility(r)
	}
}

// fail records an error at a row.
func (b *batch) fail(at pos, field, format string, args ...any) {
	b.errs.add(RowError{Line: at.line, Feature: at.feature, Field: field, Reason: fmt.Sprintf(format, args...)})
}

// unique reports a key already used earlier in the file.
func (b *batch) unique(r *rowReader, field, key, shown string) {
	if key == "" {
		return
	}
	if first, dup := b.seen[key]; dup {
		r.fail(field, "duplicate id %q: already on %s", shown, first.where())
		return
	}
	b.seen[key] = r.pos()
}

func (b *batch) addRegion(r *rowReader) {
	row := regionRow{at: r.pos()}
	row.Code = r.code("code")
	row.Name = r.text("name", true)
	row.Level = r.enum("level", Levels, "")
	row.parentCode = r.code("parent_code")
	g, text := r.geometry("geometry", geo.KindPolygon, geo.KindMultiPolygon)
	row.Geometry, row.BBox = text, bboxOf(g)
	b.unique(r, "code", row.Code, row.Code)
	b.regions = append(b.regions, row)
}

func (b *batch) addCompound(r *rowReader) {
	row := compoundRow{at: r.pos()}
	row.Code = r.code("code")
	row.Name = r.text("name", true)
	row.regionCode = r.code("region_code")
	row.Address = r.text("address", false)
	row.BuiltYear = r.year("built_year")
	row.PropertyMode = r.enum("property_mode", PropertyModes, PropertyNone)
	row.RenovationStatus = r.enum("renovation_status", RenovationStatuses, RenovationNone)
	row.Gates = r.gates("gates")
	lon, lat, hasPoint := r.point()
	g, text := r.geometry("geometry", geo.KindPolygon)
	row.Geometry, row.BBox = text, bboxOf(g)
	switch {
	case hasPoint:
		row.Lon, row.Lat = lon, lat
	case g != nil:
		row.Lon, row.Lat = geo.Centroid(g)
	case !r.rec.badGeometry && r.raw("geometry") == "" && r.raw("lon") == "" && r.raw("lat") == "":
		r.fail("lon", "a compound needs lon and lat or a geometry")
	}
	b.unique(r, "code", row.Code, row.Code)
	b.compounds = append(b.compounds, row)
}

func (b *batch) addBuilding(r *rowReader) {
	row := buildingRow{at: r.pos()}
	row.Code = r.code("code")
	row.compoundCode = r.code("compound_code")
	row.Name = r.text("name", true)
	row.Storeys = r.int("storeys", true, 1, 200)
	row.BuiltYear = r.year("built_year")
	row.Structure = r.enum("structure", Structures, "other")
	row.EntranceCount = r.intDefault("entrance_count", 1, 0, 100)
	row.HasElevator = r.bool("has_elevator", false)
	row.HasRamp = r.bool("has_ramp", false)
	row.GasPipeYear = r.year("gas_pipe_year")
	row.HouseholdCount = r.int("household_count", false, 0, 100000)
	lon, lat, hasPoint := r.point()
	g, text := r.geometry("footprint", geo.KindPolygon, geo.KindMultiPolygon)
	row.Footprint, row.BBox = text, bboxOf(g)
	switch {
	case hasPoint:
		row.Lon, row.Lat, row.hasPoint = lon, lat, true
	case g != nil:
		row.Lon, row.Lat = geo.Centroid(g)
		row.hasPoint = true
	}
	b.unique(r, "code", row.Code, row.Code)
	b.buildings = append(b.buildings, row)
}

func (b *batch) addEntrance(r *rowReader) {
	row := entranceRow{at: r.pos()}
	row.Code = r.code("code")
	row.buildingCode = r.code("building_code")
	row.Number = r.int("number", true, 0, 1000)
	row.Name = r.text("name", false)
	if row.Name == "" && row.Number > 0 {
		row.Name = fmt.Sprintf("%d单元", row.Number)
	}
	row.HasElevator = r.bool("has_elevator", false)
	row.Lon, row.Lat, row.hasPoint = r.point()
	b.unique(r, "code", row.Code, row.Code)
	b.entrances = append(b.entrances, row)
}

func (b *batch) addHousehold(r *rowReader) {
	row := householdRow{at: r.pos()}
	row.Code = r.code("code")
	row.buildingCode = r.code("building_code")
	row.entranceCode = r.code("entrance_code")
	row.Room = r.text("room", true)
	row.Floor = r.int("floor", true, -10, 200)
	row.RegisteredDM2 = r.area("registered_area_m2")
	row.SurveyedDM2 = r.area("surveyed_area_m2")
	row.ContractDM2 = r.area("contract_area_m2")
	row.Occupancy = r.enum("occupancy", Occupancies, "unknown")
	row.HasKitchen = r.bool("has_kitchen", true)
	row.HasToilet = r.bool("has_toilet", true)
	row.DeveloperHeld = r.bool("developer_held", false)
	b.unique(r, "code", row.Code, row.Code)
	b.households = append(b.households, row)
}

func (b *batch) addOwner(r *rowReader) {
	row := ownerRow{at: r.pos()}
	row.Code = r.code("code")
	row.Name = r.text("name", true)
	row.Kind = r.enum("kind", []string{OwnerPerson, OwnerOrganisation}, OwnerPerson)
	row.IsDeveloper = r.bool("is_developer", false)
	row.Phone = r.personal("phone")
	row.IDNumber = r.personal("id_number")
	b.unique(r, "code", row.Code, row.Code)
	b.owners = append(b.owners, row)
}

func (b *batch) addLink(r *rowReader) {
	row := linkRow{at: r.pos()}
	row.householdCode = r.code("household_code")
	row.ownerCode = r.code("owner_code")
	row.ShareBP = r.percent("share_percent")
	row.IsVoter = r.bool("is_voter", true)
	if row.householdCode != "" && row.ownerCode != "" {
		b.unique(r, "owner_code", row.householdCode+"\x00"+row.ownerCode, row.householdCode+" / "+row.ownerCode)
	}
	b.links = append(b.links, row)
}

func (b *batch) addFacility(r *rowReader) {
	row := facilityRow{at: r.pos()}
	row.Code = r.code("code")
	row.Category = r.text("category", true)
	if row.Category != "" {
		if _, ok := CategoryByCode(row.Category); !ok {
			codes := make([]string, len(Categories))
			for i, c := range Categories {
				codes[i] = c.Code
			}
			r.fail("category", "unknown category %q: use one of %s", row.Category, strings.Join(codes, ", "))
		}
	}
	row.Name = r.text("name", true)
	row.Address = r.text("address", false)
	row.regionCode = r.code("region_code")
	row.Capacity = r.int("capacity", false, 0, 1_000_000)
	row.FloorAreaDM2 = r.area("floor_area_m2")
	row.SiteAreaDM2 = r.area("site_area_m2")
	row.OSMRef = r.text("osm_ref", false)
	row.Source = "import"
	lon, lat, hasPoint := r.point()
	g, text := r.geometry("geometry", geo.KindPolygon, geo.KindMultiPolygon)
	row.Geometry = text
	switch {
	case hasPoint:
		row.Lon, row.Lat = lon, lat
	case g != nil:
		row.Lon, row.Lat = geo.Centroid(g)
	case !r.rec.badGeometry && r.raw("geometry") == "" && r.raw("lon") == "" && r.raw("lat") == "":
		r.fail("lon", "a facility needs lon and lat or a geometry")
	}
	b.unique(r, "code", row.Code, row.Code)
	b.facilities = append(b.facilities, row)
}

// rowReader reads typed values out of one record, reporting what is wrong.
type rowReader struct {
	b   *batch
	rec *record
}

func (r *rowReader) pos() pos { return pos{line: r.rec.line, feature: r.rec.feature} }

func (r *rowReader) fail(field, format string, args ...any) {
	r.b.fail(r.pos(), field, format, args...)
}

// raw returns the trimmed value of a column; "" for none.
func (r *rowReader) raw(name string) string {
	i, ok := r.b.idx[name]
	if !ok || i >= len(r.rec.vals) {
		return ""
	}
	return r.rec.vals[i]
}

// empty reports whether a required column is empty, reporting it unless the
// header already said the column is missing.
func (r *rowReader) empty(name, v string, required bool) bool {
	if v != "" {
		return false
	}
	if required {
		i := r.b.idx[name]
		if r.rec.absent == nil || !r.rec.absent[i] {
			r.fail(name, "required value is empty")
		}
	}
	return true
}

// maxText bounds free-text values.
const maxText = 500

func (r *rowReader) text(name string, required bool) string {
	v := r.raw(name)
	if r.empty(name, v, required) {
		return ""
	}
	if !utf8.ValidString(v) {
		r.fail(name, "text is not UTF-8: save the file as UTF-8 (Excel: \"CSV UTF-8\")")
		return ""
	}
	if utf8.RuneCountInString(v) > maxText {
		r.fail(name, "text is longer than %d characters", maxText)
		return ""
	}
	return v
}

// code reads an identifier: required when the column is, at most 64 characters,
// no control characters.
func (r *rowReader) code(name string) string {
	required := false
	for _, c := range importColumns[r.b.objectType] {
		if c.Name == name {
			required = c.Required
		}
	}
	v := r.raw(name)
	if r.empty(name, v, required) {
		return ""
	}
	if !utf8.ValidString(v) {
		r.fail(name, "code is not UTF-8 text")
		return ""
	}
	if utf8.RuneCountInString(v) > 64 {
		r.fail(name, "code %q is longer than 64 characters", v)
		return ""
	}
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		r.fail(name, "code %q contains control characters", v)
		return ""
	}
	return v
}

func (r *rowReader) int(name string, required bool, lo, hi int) int {
	v := r.raw(name)
	if r.empty(name, v, required) {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.fail(name, "%q is not a whole number", v)
		return 0
	}
	if n < lo || n > hi {
		r.fail(name, "%d is outside %d–%d", n, lo, hi)
		return 0
	}
	return n
}

func (r *rowReader) intDefault(name string, def, lo, hi int) int {
	if r.raw(name) == "" {
		return def
	}
	return r.int(name, false, lo, hi)
}

// personal reads a phone or ID number; a masked value (from an export without
// personal data) is refused so it never overwrites the real one.
func (r *rowReader) personal(name string) string {
	v := r.text(name, false)
	if strings.Contains(v, "*") {
		r.fail(name, "%q is masked: export with personal data revealed to import it again", v)
		return ""
	}
	return v
}

// year reads an optional year in 1900–2100.
func (r *rowReader) year(name string) int {
	v := r.raw(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.fail(name, "%q is not a year", v)
		return 0
	}
	if n < 1900 || n > 2100 {
		r.fail(name, "year %d is outside 1900–2100", n)
		return 0
	}
	return n
}

// parseBool reads 1/0, true/false, yes/no, y/n and 是/否.
func parseBool(v string) (bool, bool) {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "y", "是", "有":
		return true, true
	case "0", "false", "no", "n", "否", "无":
		return false, true
	}
	return false, false
}

func (r *rowReader) bool(name string, def bool) bool {
	v := r.raw(name)
	if v == "" {
		return def
	}
	b, ok := parseBool(v)
	if !ok {
		r.fail(name, "%q is not a yes/no value: use 1/0, true/false or 是/否", v)
		return def
	}
	return b
}

// area reads an optional area in m² with at most two decimals into dm².
func (r *rowReader) area(name string) int64 {
	v := r.raw(name)
	if v == "" {
		return 0
	}
	if strings.HasPrefix(v, "-") {
		r.fail(name, "negative area %s m²", v)
		return 0
	}
	a, err := ParseArea(v)
	if err != nil {
		r.fail(name, "%v", err)
		return 0
	}
	return a
}

// percent reads an optional share in per cent (0 < share ≤ 100, two decimals)
// into basis points; 0 when empty.
func (r *rowReader) percent(name string) int {
	v := r.raw(name)
	if v == "" {
		return 0
	}
	bp, err := ParseArea(v)
	if err != nil || bp <= 0 || bp > 10000 {
		r.fail(name, "%q is not a share between 0 and 100 per cent with at most two decimals", v)
		return 0
	}
	return int(bp)
}

func (r *rowReader) enum(name string, valid []string, def string) string {
	v := r.raw(name)
	if v == "" {
		if def == "" {
			r.empty(name, v, true)
		}
		return def
	}
	for _, ok := range valid {
		if strings.EqualFold(v, ok) {
			return ok
		}
	}
	r.fail(name, "%q is not a valid %s: use one of %s", v, strings.ReplaceAll(name, "_", " "), strings.Join(valid, ", "))
	return def
}

// coordinate reads one number of a position.
func parseCoordinate(v string) (float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a number", v)
	}
	return f, nil
}

// point reads the lon and lat columns, converts them to WGS-84 and checks the
// range; ok is false when both are empty or wrong.
func (r *rowReader) point() (lon, lat float64, ok bool) {
	lv, av := r.raw("lon"), r.raw("lat")
	if lv == "" && av == "" {
		return 0, 0, false
	}
	if lv == "" || av == "" {
		r.fail("lon", "lon and lat go together: give both or neither")
		return 0, 0, false
	}
	lon, err := parseCoordinate(lv)
	if err != nil {
		r.fail("lon", "%v", err)
		return 0, 0, false
	}
	lat, err = parseCoordinate(av)
	if err != nil {
		r.fail("lat", "%v", err)
		return 0, 0, false
	}
	if err := geo.ValidLonLat(lon, lat); err != nil {
		r.fail("lon", "coordinates out of range: %v", err)
		return 0, 0, false
	}
	lon, lat = geo.ToWGS84(r.b.crs, lon, lat)
	return lon, lat, true
}

// geometry reads a GeoJSON geometry of one of kinds from a column, converts it to
// WGS-84 and returns it with its text; nil and "" when the column is empty or
// wrong.
func (r *rowReader) geometry(name string, kinds ...string) (orb.Geometry, string) {
	v := r.raw(name)
	if v == "" {
		return nil, ""
	}
	g, err := geo.ParseGeometry(v, kinds...)
	if err != nil {
		r.fail(name, "malformed geometry: %v", err)
		return nil, ""
	}
	if r.b.crs != geo.WGS84 {
		g = geo.TransformGeometry(g, r.b.crs)
	}
	text, err := geo.MarshalGeometry(g)
	if err != nil {
		r.fail(name, "malformed geometry: %v", err)
		return nil, ""
	}
	return g, text
}

// gates reads a JSON list of [lon, lat] positions.
func (r *rowReader) gates(name string) []Point {
	v := r.raw(name)
	if v == "" {
		return nil
	}
	var raw [][]float64
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		r.fail(name, "gates must be a JSON list of [lon, lat] pairs, such as [[120.1,31.2]]")
		return nil
	}
	out := make([]Point, 0, len(raw))
	for i, p := range raw {
		if len(p) != 2 {
			r.fail(name, "gate %d must be a [lon, lat] pair", i+1)
			return nil
		}
		if err := geo.ValidLonLat(p[0], p[1]); err != nil {
			r.fail(name, "coordinates out of range: gate %d: %v", i+1, err)
			return nil
		}
		lon, lat := geo.ToWGS84(r.b.crs, p[0], p[1])
		out = append(out, Point{Lon: lon, Lat: lat})
	}
	return out
}

func bboxOf(g orb.Geometry) BBox {
	if g == nil {
		return BBox{}
	}
	a, b, c, d := geo.Bound(g)
	return BBox{MinLon: a, MinLat: b, MaxLon: c, MaxLat: d}
}

// regionInfo is what references need of a region.
type regionInfo struct {
	id          int64
	level, path string
}

// pointRef is a referenced row with its position.
type pointRef struct {
	id       int64
	lon, lat float64
}

// resolve checks the rows of b against the database inside tx — duplicate ids,
// unknown parents — and turns them into a dataset with ids from ids.
func (s *Store) resolve(ctx context.Context, tx *sql.Tx, b *batch, ids IDs) (*Dataset, error) {
	ds := &Dataset{}
	switch b.objectType {
	case ObjectRegion:
		return ds, s.resolveRegions(ctx, tx, b, ids, ds)
	case ObjectCompound:
		return ds, s.resolveCompounds(ctx, tx, b, ids, ds)
	case ObjectBuilding:
		return ds, s.resolveBuildings(ctx, tx, b, ids, ds)
	case ObjectEntrance:
		return ds, s.resolveEntrances(ctx, tx, b, ids, ds)
	case ObjectHousehold:
		return ds, s.resolveHouseholds(ctx, tx, b, ids, ds)
	case ObjectOwner:
		return ds, s.resolveOwners(ctx, tx, b, ids, ds)
	case ObjectHouseholdOwner:
		return ds, s.resolveLinks(ctx, tx, b, ds)
	case ObjectFacility:
		return ds, s.resolveFacilities(ctx, tx, b, ids, ds)
	}
	return nil, fmt.Errorf("%w: unknown object type %q", ErrBadRequest, b.objectType)
}

// existing returns which of codes already exist in table.
func existing(ctx context.Context, lq lookupQuerier, table string, codes []string) (map[string]bool, error) {
	out := make(map[string]bool)
	err := lookupCodes(ctx, lq, "SELECT code FROM "+table+" WHERE code", codes, func(rows *sql.Rows) error {
		var c string
		if err := rows.Scan(&c); err != nil {
			return err
		}
		out[c] = true
		return nil
	})
	return out, err
}

func regionsByCode(ctx context.Context, lq lookupQuerier, codes []string) (map[string]regionInfo, error) {
	out := make(map[string]regionInfo)
	err := lookupCodes(ctx, lq, "SELECT code, id, level, path FROM regions WHERE code", codes, func(rows *sql.Rows) error {
		var c string
		var ri regionInfo
		if err := rows.Scan(&c, &ri.id, &ri.level, &ri.path); err != nil {
			return err
		}
		out[c] = ri
		return nil
	})
	return out, err
}

func pointsByCode(ctx context.Context, lq lookupQuerier, table string, codes []string) (map[string]pointRef, error) {
	out := make(map[string]pointRef)
	err := lookupCodes(ctx, lq, "SELECT code, id, COALESCE(lon, 0), COALESCE(lat, 0) FROM "+table+" WHERE code", codes, func(rows *sql.Rows) error {
		var c string
		var p pointRef
		if err := rows.Scan(&c, &p.id, &p.lon, &p.lat); err != nil {
			return err
		}
		out[c] = p
		return nil
	})
	return out, err
}

func (s *Store) resolveRegions(ctx context.Context, tx *sql.Tx, b *batch, ids IDs, ds *Dataset) error {
	codes := make([]string, 0, 2*len(b.regions))
	for _, r := range b.regions {
		codes = append(codes, r.Code, r.parentCode)
	}
	known, err := regionsByCode(ctx, s.lookup(tx), codes)
	if err != nil {
		return err
	}
	inFile := make(map[string]regionInfo, len(b.regions))
	for i, row := range b.regions {
		row.ID = ids.Region + int64(i)
		if _, dup := known[row.Code]; dup {
			b.fail(row.at, "code", "duplicate id %q: a region with this code already exists", row.Code)
		}
		row.Path = fmt.Sprintf("/%d/", row.ID)
		if row.parentCode != "" {
			parent, ok := inFile[row.parentCode]
			if !ok {
				parent, ok = known[row.parentCode]
			}
			switch {
			case !ok:
				b.fail(row.at, "parent_code", "unknown region %q: it is neither in the database nor on an earlier row", row.parentCode)
			case row.Level != "" && LevelRank(row.Level) <= LevelRank(parent.level):
				b.fail(row.at, "level", "a %s cannot lie under %q, which is a %s", row.Level, row.parentCode, parent.level)
			default:
				row.ParentID = parent.id
				row.Path = fmt.Sprintf("%s%d/", parent.path, row.ID)
			}
		}
		if row.Code != "" {
			if _, dup := inFile[row.Code]; !dup {
				inFile[row.Code] = regionInfo{id: row.ID, level: row.Level, path: row.Path}
			}
		}
		ds.Regions = append(ds.Regions, row.Region)
	}
	return nil
}

func (s *Store) resolveCompounds(ctx context.Context, tx *sql.Tx, b *batch, ids IDs, ds *Dataset) error {
	codes := make([]string, 0, len(b.compounds))
	parents := make([]string, 0, len(b.compounds))
	for _, c := range b.compounds {
		codes = append(codes, c.Code)
		parents = append(parents, c.regionCode)
	}
	dups, err := existing(ctx, s.lookup(tx), "compounds", codes)
	if err != nil {
		return err
	}
	regions, err := regionsByCode(ctx, s.lookup(tx), parents)
	if err != nil {
		return err
	}
	for i, row := range b.compounds {
		row.ID = ids.Compound + int64(i)
		if dups[row.Code] {
			b.fail(row.at, "code", "duplicate id %q: a compound with this code already exists", row.Code)
		}
		if row.regionCode != "" {
			reg, ok := regions[row.regionCode]
			switch {
			case !ok:
				b.fail(row.at, "region_code", "unknown region %q", row.regionCode)
			case reg.level != LevelCommunity && reg.level != LevelGrid:
				b.fail(row.at, "region_code", "region %q is a %s: a compound belongs to a community or a grid", row.regionCode, reg.level)
			default:
				row.RegionID, row.RegionPath = reg.id, reg.path
			}
		}
		ds.Compounds = append(ds.Compounds, row.Compound)
	}
	return nil
}

func (s *Store) resolveBuildings(ctx context.Context, tx *sql.Tx, b *batch, ids IDs, ds *Dataset) error {
	codes := make([]string, 0, len(b.buildings))
	parents := make([]string, 0, len(b.buildings))
	for _, r := range b.buildings {
		codes = append(codes, r.Code)
		parents = append(parents, r.compoundCode)
	}
	dups, err := existing(ctx, s.lookup(tx), "buildings", codes)
	if err != nil {
		return err
	}
	compounds, err := pointsByCode(ctx, s.lookup(tx), "compounds", parents)
	if err != nil {
		return err
	}
	for i, row := range b.buildings {
		row.ID = ids.Building + int64(i)
		if dups[row.Code] {
			b.fail(row.at, "code", "duplicate id %q: a building with this code already exists", row.Code)
		}
		if row.compoundCode != "" {
			c, ok := compounds[row.compoundCode]
			if !ok {
				b.fail(row.at, "compound_code", "unknown compound %q", row.compoundCode)
			}
			row.CompoundID = c.id
			if !row.hasPoint {
				row.Lon, row.Lat = c.lon, c.lat
			}
		}
		ds.Buildings = append(ds.Buildings, row.Building)
	}
	return nil
}

func (s *Store) resolveEntrances(ctx context.Context, tx *sql.Tx, b *batch, ids IDs, ds *Dataset) error {
	codes := make([]string, 0, len(b.entrances))
	parents := make([]string, 0, len(b.entrances))
	for _, r := range b.entrances {
		codes = append(codes, r.Code)
		parents = append(parents, r.buildingCode)
	}
	dups, err := existing(ctx, s.lookup(tx), "entrances", codes)
	if err != nil {
		return err
	}
	buildings, err := pointsByCode(ctx, s.lookup(tx), "buildings", parents)
	if err != nil {
		return err
	}
	for i, row := range b.entrances {
		row.ID = ids.Entrance + int64(i)
		if dups[row.Code] {
			b.fail(row.at, "code", "duplicate id %q: an entrance with this code already exists", row.Code)
		}
		if row.buildingCode != "" {
			bl, ok := buildings[row.buildingCode]
			if !ok {
				b.fail(row.at, "building_code", "unknown building %q", row.buildingCode)
			}
			row.BuildingID = bl.id
			if !row.hasPoint {
				row.Lon, row.Lat = bl.lon, bl.lat
			}
		}
		ds.Entrances = append(ds.Entrances, row.Entrance)
	}
	return nil
}

func (s *Store) resolveHouseholds(ctx context.Context, tx *sql.Tx, b *batch, ids IDs, ds *Dataset) error {
	codes := make([]string, 0, len(b.households))
	buildingCodes := make([]string, 0, len(b.households))
	entranceCodes := make([]string, 0, len(b.households))
	for _, r := range b.households {
		codes = append(codes, r.Code)
		buildingCodes = append(buildingCodes, r.buildingCode)
		entranceCodes = append(entranceCodes, r.entranceCode)
	}
	dups, err := existing(ctx, s.lookup(tx), "households", codes)
	if err != nil {
		return err
	}
	buildings := make(map[string]int64)
	err = lookupCodes(ctx, s.lookup(tx), "SELECT code, id FROM buildings WHERE code", buildingCodes, func(rows *sql.Rows) error {
		var c string
		var id int64
		if err := rows.Scan(&c, &id); err != nil {
			return err
		}
		buildings[c] = id
		return nil
	})
	if err != nil {
		return err
	}
	type entranceRef struct{ id, building int64 }
	entrances := make(map[string]entranceRef)
	err = lookupCodes(ctx, s.lookup(tx), "SELECT code, id, building_id FROM entrances WHERE code", entranceCodes, func(rows *sql.Rows) error {
		var c string
		var e entranceRef
		if err := rows.Scan(&c, &e.id, &e.building); err != nil {
			return err
		}
		entrances[c] = e
		return nil
	})
	if err != nil {
		return err
	}
	ds.Households = make([]Household, 0, len(b.households))
	for i, row := range b.households {
		row.ID = ids.Household + int64(i)
		if dups[row.Code] {
			b.fail(row.at, "code", "duplicate id %q: a household with this code already exists", row.Code)
		}
		if row.buildingCode != "" {
			id, ok := buildings[row.buildingCode]
			if !ok {
				b.fail(row.at, "building_code", "unknown building %q", row.buildingCode)
			}
			row.BuildingID = id
		}
		if row.entranceCode != "" {
			e, ok := entrances[row.entranceCode]
			switch {
			case !ok:
				b.fail(row.at, "entrance_code", "unknown entrance %q", row.entranceCode)
			case row.BuildingID != 0 && e.building != row.BuildingID:
				b.fail(row.at, "entrance_code", "entrance %q is not in building %q", row.entranceCode, row.buildingCode)
			default:
				row.EntranceID = e.id
			}
		}
		ds.Households = append(ds.Households, row.Household)
	}
	return nil
}

func (s *Store) resolveOwners(ctx context.Context, tx *sql.Tx, b *batch, ids IDs, ds *Dataset) error {
	codes := make([]string, 0, len(b.owners))
	for _, r := range b.owners {
		codes = append(codes, r.Code)
	}
	dups, err := existing(ctx, s.lookup(tx), "owners", codes)
	if err != nil {
		return err
	}
	for i, row := range b.owners {
		row.ID = ids.Owner + int64(i)
		if dups[row.Code] {
			b.fail(row.at, "code", "duplicate id %q: an owner with this code already exists", row.Code)
		}
		ds.Owners = append(ds.Owners, row.Owner)
	}
	return nil
}

func (s *Store) resolveLinks(ctx context.Context, tx *sql.Tx, b *batch, ds *Dataset) error {
	households := make([]string, 0, len(b.links))
	owners := make([]string, 0, len(b.links))
	for _, r := range b.links {
		households = append(households, r.householdCode)
		owners = append(owners, r.ownerCode)
	}
	ids := func(table string, codes []string) (map[string]int64, error) {
		out := make(map[string]int64)
		err := lookupCodes(ctx, s.lookup(tx), "SELECT code, id FROM "+table+" WHERE code", codes, func(rows *sql.Rows) error {
			var c string
			var id int64
			if err := rows.Scan(&c, &id); err != nil {
				return err
			}
			out[c] = id
			return nil
		})
		return out, err
	}
	hh, err := ids("households", households)
	if err != nil {
		return err
	}
	ow, err := ids("owners", owners)
	if err != nil {
		return err
	}
	pairs := make(map[[2]int64]bool)
	err = lookupCodes(ctx, s.lookup(tx), "SELECT ho.household_id, ho.owner_id FROM household_owners ho JOIN households h ON h.id = ho.household_id WHERE h.code", households, func(rows *sql.Rows) error {
		var p [2]int64
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			return err
		}
		pairs[p] = true
		return nil
	})
	if err != nil {
		return err
	}
	for _, row := range b.links {
		if row.householdCode != "" {
			id, ok := hh[row.householdCode]
			if !ok {
				b.fail(row.at, "household_code", "unknown household %q", row.householdCode)
			}
			row.HouseholdID = id
		}
		if row.ownerCode != "" {
			id, ok := ow[row.ownerCode]
			if !ok {
				b.fail(row.at, "owner_code", "unknown owner %q", row.ownerCode)
			}
			row.OwnerID = id
		}
		if row.HouseholdID != 0 && row.OwnerID != 0 && pairs[[2]int64{row.HouseholdID, row.OwnerID}] {
			b.fail(row.at, "owner_code", "duplicate id %q: owner %q is already linked to household %q", row.householdCode+" / "+row.ownerCode, row.ownerCode, row.householdCode)
		}
		ds.HouseholdOwners = append(ds.HouseholdOwners, row.HouseholdOwner)
	}
	return nil
}

func (s *Store) resolveFacilities(ctx context.Context, tx *sql.Tx, b *batch, ids IDs, ds *Dataset) error {
	codes := make([]string, 0, len(b.facilities))
	regionCodes := make([]string, 0, len(b.facilities))
	needGrid := false
	for _, r := range b.facilities {
		codes = append(codes, r.Code)
		regionCodes = append(regionCodes, r.regionCode)
		needGrid = needGrid || r.regionCode == ""
	}
	dups, err := existing(ctx, s.lookup(tx), "facilities", codes)
	if err != nil {
		return err
	}
	regions, err := regionsByCode(ctx, s.lookup(tx), regionCodes)
	if err != nil {
		return err
	}
	var grids *gridIndex
	if needGrid {
		if grids, err = loadGrids(ctx, tx); err != nil {
			return err
		}
	}
	for i, row := range b.facilities {
		row.ID = ids.Facility + int64(i)
		if dups[row.Code] {
			b.fail(row.at, "code", "duplicate id %q: a facility with this code already exists", row.Code)
		}
		if row.regionCode != "" {
			reg, ok := regions[row.regionCode]
			if !ok {
				b.fail(row.at, "region_code", "unknown region %q", row.regionCode)
			}
			row.RegionID, row.RegionPath = reg.id, reg.path
		} else if grids != nil && (row.Lon != 0 || row.Lat != 0) {
			row.RegionID, row.RegionPath = grids.find(row.Lon, row.Lat)
		}
		ds.Facilities = append(ds.Facilities, row.Facility)
	}
	return nil
}

// gridIndex finds the grid containing a point.
type gridIndex struct {
	index *geo.Index
	grids map[int64]gridShape
}

type gridShape struct {
	path string
	geom orb.Geometry
}

// loadGrids reads every grid with a polygon.
func loadGrids(ctx context.Context, tx *sql.Tx) (*gridIndex, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, path, geometry FROM regions WHERE level = $1 AND geometry IS NOT NULL ORDER BY id`, LevelGrid)
	if err != nil {
		return nil, fmt.Errorf("load grids: %w", err)
	}
	defer rows.Close()
	gi := &gridIndex{index: geo.NewIndex(), grids: make(map[int64]gridShape)}
	for rows.Next() {
		var id int64
		var path, text string
		if err := rows.Scan(&id, &path, &text); err != nil {
			return nil, fmt.Errorf("load grids: %w", err)
		}
		g, err := geo.ParseGeometry(text, geo.KindPolygon, geo.KindMultiPolygon)
		if err != nil {
			continue // a grid without a usable polygon cannot contain anything
		}
		a, b, c, d := geo.Bound(g)
		gi.index.Insert(id, a, b, c, d)
		gi.grids[id] = gridShape{path: path, geom: g}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load grids: %w", err)
	}
	return gi, nil
}

// find returns the grid (lowest id) containing the point; 0, "" for none.
func (gi *gridIndex) find(lon, lat float64) (int64, string) {
	var best int64
	gi.index.Search(lon, lat, lon, lat, func(id int64) bool {
		if (best == 0 || id < best) && geo.Contains(gi.grids[id].geom, lon, lat) {
			best = id
		}
		return true
	})
	if best == 0 {
		return 0, ""
	}
	return best, gi.grids[best].path
}

// errStop ends a reader loop early without being an I/O failure.
var errStop = errors.New("stop")
