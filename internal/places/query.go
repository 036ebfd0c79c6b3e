package places

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/gengxin/gengxin/internal/geo"
	"github.com/gengxin/gengxin/internal/pii"
)

// Scope limits reads to a region subtree: "" means the whole deployment.
type Scope string

// Covers reports whether a place at regionPath lies inside the scope.
func (sc Scope) Covers(regionPath string) bool {
	return sc == "" || strings.HasPrefix(regionPath, string(sc))
}

// likePrefix turns a region path (digits and slashes only) into a LIKE pattern.
func likePrefix(p string) string {
	return strings.NewReplacer("%", "", "_", "").Replace(p) + "%"
}

const regionCols = `id, COALESCE(parent_id, 0), code, level, name, path, COALESCE(geometry, ''), COALESCE(min_lon, 0), COALESCE(min_lat, 0), COALESCE(max_lon, 0), COALESCE(max_lat, 0)`

func scanRegion(sc interface{ Scan(...any) error }) (Region, error) {
	var r Region
	err := sc.Scan(&r.ID, &r.ParentID, &r.Code, &r.Level, &r.Name, &r.Path, &r.Geometry, &r.BBox.MinLon, &r.BBox.MinLat, &r.BBox.MaxLon, &r.BBox.MaxLat)
	return r, err
}

// Region returns one region.
func (s *Store) Region(ctx context.Context, id int64) (Region, error) {
	r, err := scanRegion(s.db.Read().QueryRowContext(ctx, `SELECT `+regionCols+` FROM regions WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("region %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("region %d: %w", id, err)
	}
	return r, nil
}

// RegionByCode returns the region with code.
func (s *Store) RegionByCode(ctx context.Context, code string) (Region, error) {
	r, err := scanRegion(s.db.Read().QueryRowContext(ctx, `SELECT `+regionCols+` FROM regions WHERE code = $1`, code))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("region %s: %w", code, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("region %s: %w", code, err)
	}
	return r, nil
}

// Roots returns the top regions visible in scope: the roots of the tree for the
// whole deployment, else the scope's own region.
func (s *Store) Roots(ctx context.Context, sc Scope) ([]Region, error) {
	if sc == "" {
		return s.regions(ctx, `SELECT `+regionCols+` FROM regions WHERE parent_id IS NULL ORDER BY code`)
	}
	return s.regions(ctx, `SELECT `+regionCols+` FROM regions WHERE path = $1`, string(sc))
}

// Children returns the regions directly under parent.
func (s *Store) Children(ctx context.Context, parent int64) ([]Region, error) {
	return s.regions(ctx, `SELECT `+regionCols+` FROM regions WHERE parent_id = $1 ORDER BY code`, parent)
}

// Ancestors returns the regions on r's path from the root down, r included.
func (s *Store) Ancestors(ctx context.Context, r Region) ([]Region, error) {
	var ids []any
	var ph []string
	for _, part := range strings.Split(strings.Trim(r.Path, "/"), "/") {
		if id, err := strconv.ParseInt(part, 10, 64); err == nil {
			ids = append(ids, id)
			ph = append(ph, fmt.Sprintf("$%d", len(ids)))
		}
	}
	if len(ids) == 0 {
		return []Region{r}, nil
	}
	out, err := s.regions(ctx, `SELECT `+regionCols+` FROM regions WHERE id IN (`+strings.Join(ph, ",")+`)`, ids...)
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i].Path) < len(out[j].Path) })
	return out, nil
}

// RegionsAtLevel returns the regions of one level inside scope, with geometry.
func (s *Store) RegionsAtLevel(ctx context.Context, sc Scope, level string) ([]Region, error) {
	return s.regions(ctx, `SELECT `+regionCols+` FROM regions WHERE level = $1 AND path LIKE $2 ORDER BY code`, level, likePrefix(string(sc)))
}

func (s *Store) regions(ctx context.Context, q string, args ...any) ([]Region, error) {
	rows, err := s.db.Read().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("regions: %w", err)
	}
	defer rows.Close()
	var out []Region
	for rows.Next() {
		r, err := scanRegion(rows)
		if err != nil {
			return nil, fmt.Errorf("regions: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Counts totals the places inside a region subtree.
type Counts struct {
	Compounds, Buildings, Households, Facilities int
	NoElevator                                   int   // buildings of 4+ storeys without an elevator
	Pre2000                                      int   // compounds built before 2001
	AreaDM2                                      int64 // exclusive area of all households
}

// CountIn totals the places whose region path starts with path.
func (s *Store) CountIn(ctx context.Context, path string) (Counts, error) {
	var c Counts
	like := likePrefix(path)
	q := s.db.Read()
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN built_year < 2001 THEN 1 ELSE 0 END), 0) FROM compounds WHERE region_path LIKE $1`, like).Scan(&c.Compounds, &c.Pre2000); err != nil {
		return c, fmt.Errorf("count compounds: %w", err)
	}
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN b.storeys >= 4 AND NOT b.has_elevator THEN 1 ELSE 0 END), 0)
		FROM buildings b JOIN compounds c ON c.id = b.compound_id WHERE c.region_path LIKE $1`, like).Scan(&c.Buildings, &c.NoElevator); err != nil {
		return c, fmt.Errorf("count buildings: %w", err)
	}
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(COALESCE(h.registered_area_dm2, h.surveyed_area_dm2, h.contract_area_dm2, 0)), 0)
		FROM households h JOIN buildings b ON b.id = h.building_id JOIN compounds c ON c.id = b.compound_id WHERE c.region_path LIKE $1`, like).Scan(&c.Households, &c.AreaDM2); err != nil {
		return c, fmt.Errorf("count households: %w", err)
	}
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM facilities WHERE region_path LIKE $1`, like).Scan(&c.Facilities); err != nil {
		return c, fmt.Errorf("count facilities: %w", err)
	}
	return c, nil
}

const compoundCols = `c.id, c.code, c.region_id, c.region_path, c.name, c.address, COALESCE(c.built_year, 0), c.property_mode, c.renovation_status, COALESCE(c.gates, ''), COALESCE(c.geometry, ''), COALESCE(c.lon, 0), COALESCE(c.lat, 0), COALESCE(c.min_lon, 0), COALESCE(c.min_lat, 0), COALESCE(c.max_lon, 0), COALESCE(c.max_lat, 0)`

func scanCompound(sc interface{ Scan(...any) error }) (Compound, error) {
	var c Compound
	var gates string
	err := sc.Scan(&c.ID, &c.Code, &c.RegionID, &c.RegionPath, &c.Name, &c.Address, &c.BuiltYear, &c.PropertyMode, &c.RenovationStatus, &gates, &c.Geometry, &c.Lon, &c.Lat, &c.BBox.MinLon, &c.BBox.MinLat, &c.BBox.MaxLon, &c.BBox.MaxLat)
	if err != nil {
		return c, err
	}
	c.Gates, err = ParseGates(gates)
	return c, err
}

// Compound returns one compound.
func (s *Store) Compound(ctx context.Context, id int64) (Compound, error) {
	c, err := scanCompound(s.db.Read().QueryRowContext(ctx, `SELECT `+compoundCols+` FROM compounds c WHERE c.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("compound %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("compound %d: %w", id, err)
	}
	return c, nil
}

// CompoundFilter selects compounds.
type CompoundFilter struct {
	Scope  Scope
	BBox   BBox   // only compounds whose box meets this one; zero = anywhere
	Query  string // name or address contains
	Limit  int
	Offset int
}

// Compounds lists compounds matching f, by code, and how many match in all.
func (s *Store) Compounds(ctx context.Context, f CompoundFilter) ([]Compound, int, error) {
	where, args := []string{"c.region_path LIKE $1"}, []any{likePrefix(string(f.Scope))}
	if !f.BBox.Empty() {
		args = append(args, f.BBox.MinLon, f.BBox.MaxLon, f.BBox.MinLat, f.BBox.MaxLat)
		where = append(where, fmt.Sprintf("c.max_lon >= $%d AND c.min_lon <= $%d AND c.max_lat >= $%d AND c.min_lat <= $%d", len(args)-3, len(args)-2, len(args)-1, len(args)))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		args = append(args, "%"+strings.NewReplacer("%", "", "_", "").Replace(q)+"%")
		where = append(where, fmt.Sprintf("(c.name LIKE $%d OR c.address LIKE $%d OR c.code = $%d)", len(args), len(args), len(args)+1))
		args = append(args, q)
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM compounds c WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count compounds: %w", err)
	}
	if f.Limit <= 0 || f.Limit > 5000 {
		f.Limit = 5000
	}
	args = append(args, f.Limit, f.Offset)
	rows, err := s.db.Read().QueryContext(ctx, fmt.Sprintf(`SELECT %s FROM compounds c WHERE %s ORDER BY c.code LIMIT $%d OFFSET $%d`, compoundCols, cond, len(args)-1, len(args)), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list compounds: %w", err)
	}
	defer rows.Close()
	var out []Compound
	for rows.Next() {
		c, err := scanCompound(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list compounds: %w", err)
		}
		out = append(out, c)
	}
	return out, total, rows.Err()
}

const buildingCols = `b.id, b.code, b.compound_id, b.name, b.storeys, COALESCE(b.built_year, 0), b.structure, b.entrance_count, b.has_elevator, b.has_ramp, COALESCE(b.gas_pipe_year, 0), b.household_count, COALESCE(b.footprint, ''), COALESCE(b.lon, 0), COALESCE(b.lat, 0), COALESCE(b.min_lon, 0), COALESCE(b.min_lat, 0), COALESCE(b.max_lon, 0), COALESCE(b.max_lat, 0)`

func scanBuilding(sc interface{ Scan(...any) error }) (Building, error) {
	var b Building
	err := sc.Scan(&b.ID, &b.Code, &b.CompoundID, &b.Name, &b.Storeys, &b.BuiltYear, &b.Structure, &b.EntranceCount, &b.HasElevator, &b.HasRamp, &b.GasPipeYear, &b.HouseholdCount, &b.Footprint, &b.Lon, &b.Lat, &b.BBox.MinLon, &b.BBox.MinLat, &b.BBox.MaxLon, &b.BBox.MaxLat)
	return b, err
}

// Building returns one building with the region path of its compound.
func (s *Store) Building(ctx context.Context, id int64) (Building, string, error) {
	var path string
	row := s.db.Read().QueryRowContext(ctx, `SELECT `+buildingCols+`, c.region_path FROM buildings b JOIN compounds c ON c.id = b.compound_id WHERE b.id = $1`, id)
	var b Building
	err := row.Scan(&b.ID, &b.Code, &b.CompoundID, &b.Name, &b.Storeys, &b.BuiltYear, &b.Structure, &b.EntranceCount, &b.HasElevator, &b.HasRamp, &b.GasPipeYear, &b.HouseholdCount, &b.Footprint, &b.Lon, &b.Lat, &b.BBox.MinLon, &b.BBox.MinLat, &b.BBox.MaxLon, &b.BBox.MaxLat, &path)
	if errors.Is(err, sql.ErrNoRows) {
		return b, "", fmt.Errorf("building %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return b, "", fmt.Errorf("building %d: %w", id, err)
	}
	return b, path, nil
}

// BuildingsOf lists the buildings of a compound by name.
func (s *Store) BuildingsOf(ctx context.Context, compoundID int64) ([]Building, error) {
	return s.buildings(ctx, `SELECT `+buildingCols+` FROM buildings b WHERE b.compound_id = $1 ORDER BY b.code`, compoundID)
}

// BuildingsIn lists the buildings inside scope whose box meets bb (at most limit).
func (s *Store) BuildingsIn(ctx context.Context, sc Scope, bb BBox, limit int) ([]Building, error) {
	return s.buildings(ctx, `SELECT `+buildingCols+` FROM buildings b JOIN compounds c ON c.id = b.compound_id
		WHERE c.region_path LIKE $1 AND b.max_lon >= $2 AND b.min_lon <= $3 AND b.max_lat >= $4 AND b.min_lat <= $5 ORDER BY b.id LIMIT $6`,
		likePrefix(string(sc)), bb.MinLon, bb.MaxLon, bb.MinLat, bb.MaxLat, limit)
}

func (s *Store) buildings(ctx context.Context, q string, args ...any) ([]Building, error) {
	rows, err := s.db.Read().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("buildings: %w", err)
	}
	defer rows.Close()
	var out []Building
	for rows.Next() {
		b, err := scanBuilding(rows)
		if err != nil {
			return nil, fmt.Errorf("buildings: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// CompoundStats totals one compound.
type CompoundStats struct {
	Buildings, Entrances, Households, Owners, DeveloperHeld int
	AreaDM2                                                 int64
}

// StatsOfCompound counts what a compound holds; owners are counted once each.
func (s *Store) StatsOfCompound(ctx context.Context, id int64) (CompoundStats, error) {
	var st CompoundStats
	q := s.db.Read()
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(entrance_count), 0) FROM buildings WHERE compound_id = $1`, id).Scan(&st.Buildings, &st.Entrances); err != nil {
		return st, fmt.Errorf("compound stats: %w", err)
	}
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(COALESCE(h.registered_area_dm2, h.surveyed_area_dm2, h.contract_area_dm2, 0)), 0), COALESCE(SUM(CASE WHEN h.developer_held THEN 1 ELSE 0 END), 0)
		FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.compound_id = $1`, id).Scan(&st.Households, &st.AreaDM2, &st.DeveloperHeld); err != nil {
		return st, fmt.Errorf("compound stats: %w", err)
	}
	if err := q.QueryRowContext(ctx, `SELECT COUNT(DISTINCT ho.owner_id) FROM household_owners ho JOIN households h ON h.id = ho.household_id
		JOIN buildings b ON b.id = h.building_id WHERE b.compound_id = $1`, id).Scan(&st.Owners); err != nil {
		return st, fmt.Errorf("compound stats: %w", err)
	}
	return st, nil
}

const facilityCols = `f.id, f.code, f.category, f.name, f.address, COALESCE(f.region_id, 0), f.region_path, COALESCE(f.capacity, 0), COALESCE(f.floor_area_dm2, 0), COALESCE(f.site_area_dm2, 0), f.lon, f.lat, COALESCE(f.geometry, ''), f.source, COALESCE(f.osm_ref, '')`

func scanFacility(sc interface{ Scan(...any) error }) (Facility, error) {
	var f Facility
	err := sc.Scan(&f.ID, &f.Code, &f.Category, &f.Name, &f.Address, &f.RegionID, &f.RegionPath, &f.Capacity, &f.FloorAreaDM2, &f.SiteAreaDM2, &f.Lon, &f.Lat, &f.Geometry, &f.Source, &f.OSMRef)
	return f, err
}

// Facility returns one facility.
func (s *Store) Facility(ctx context.Context, id int64) (Facility, error) {
	f, err := scanFacility(s.db.Read().QueryRowContext(ctx, `SELECT `+facilityCols+` FROM facilities f WHERE f.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return f, fmt.Errorf("facility %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return f, fmt.Errorf("facility %d: %w", id, err)
	}
	return f, nil
}

// FacilityFilter selects facilities.
type FacilityFilter struct {
	Scope      Scope
	Categories []string // none = all
	BBox       BBox
	Query      string
	Limit      int
}

// Facilities lists facilities matching f.
func (s *Store) Facilities(ctx context.Context, f FacilityFilter) ([]Facility, error) {
	where, args := []string{"f.region_path LIKE $1"}, []any{likePrefix(string(f.Scope))}
	if len(f.Categories) > 0 {
		var ph []string
		for _, c := range f.Categories {
			args = append(args, c)
			ph = append(ph, fmt.Sprintf("$%d", len(args)))
		}
		where = append(where, "f.category IN ("+strings.Join(ph, ",")+")")
	}
	if !f.BBox.Empty() {
		args = append(args, f.BBox.MinLon, f.BBox.MaxLon, f.BBox.MinLat, f.BBox.MaxLat)
		where = append(where, fmt.Sprintf("f.lon >= $%d AND f.lon <= $%d AND f.lat >= $%d AND f.lat <= $%d", len(args)-3, len(args)-2, len(args)-1, len(args)))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		args = append(args, "%"+strings.NewReplacer("%", "", "_", "").Replace(q)+"%")
		where = append(where, fmt.Sprintf("(f.name LIKE $%d OR f.address LIKE $%d)", len(args), len(args)))
	}
	if f.Limit <= 0 || f.Limit > 10000 {
		f.Limit = 10000
	}
	args = append(args, f.Limit)
	rows, err := s.db.Read().QueryContext(ctx, fmt.Sprintf(`SELECT %s FROM facilities f WHERE %s ORDER BY f.code LIMIT $%d`, facilityCols, strings.Join(where, " AND "), len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("list facilities: %w", err)
	}
	defer rows.Close()
	var out []Facility
	for rows.Next() {
		fa, err := scanFacility(rows)
		if err != nil {
			return nil, fmt.Errorf("list facilities: %w", err)
		}
		out = append(out, fa)
	}
	return out, rows.Err()
}

// Nearby is a facility with its straight-line distance from a point.
type Nearby struct {
	Facility
	DistanceM float64
}

// FacilitiesNear returns the facilities within radius metres of (lon, lat),
// nearest first, measured as great-circle distance.
func (s *Store) FacilitiesNear(ctx context.Context, lon, lat, radius float64) ([]Nearby, error) {
	dLat := radius / 111320.0
	dLon := radius / (111320.0 * math.Cos(lat*math.Pi/180))
	all, err := s.Facilities(ctx, FacilityFilter{BBox: BBox{MinLon: lon - dLon, MinLat: lat - dLat, MaxLon: lon + dLon, MaxLat: lat + dLat}})
	if err != nil {
		return nil, err
	}
	var out []Nearby
	for _, f := range all {
		if d := geo.Haversine(lon, lat, f.Lon, f.Lat); d <= radius {
			out = append(out, Nearby{Facility: f, DistanceM: d})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].DistanceM < out[j].DistanceM })
	return out, nil
}

// OwnerRef is an owner as a household list shows it.
type OwnerRef struct {
	ID          int64
	Code        string
	Name        string
	Kind        string
	IsDeveloper bool
	IsVoter     bool
	ShareBP     int
	PhoneMasked string
	IDMasked    string
}

// HouseholdRow is a household with its entrance name and owners.
type HouseholdRow struct {
	Household
	EntranceName string
	Owners       []OwnerRef
}

// HouseholdsOf lists a building's households with their owners; phone and ID
// numbers come masked.
func (s *Store) HouseholdsOf(ctx context.Context, buildingID int64) ([]HouseholdRow, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT h.id, h.code, h.building_id, COALESCE(h.entrance_id, 0), h.room, h.floor,
		COALESCE(h.registered_area_dm2, 0), COALESCE(h.surveyed_area_dm2, 0), COALESCE(h.contract_area_dm2, 0), h.occupancy, h.has_kitchen, h.has_toilet, h.developer_held,
		COALESCE(e.name, '')
		FROM households h LEFT JOIN entrances e ON e.id = h.entrance_id WHERE h.building_id = $1 ORDER BY h.floor, h.room`, buildingID)
	if err != nil {
		return nil, fmt.Errorf("households: %w", err)
	}
	var out []HouseholdRow
	index := map[int64]int{}
	for rows.Next() {
		var r HouseholdRow
		h := &r.Household
		if err := rows.Scan(&h.ID, &h.Code, &h.BuildingID, &h.EntranceID, &h.Room, &h.Floor, &h.RegisteredDM2, &h.SurveyedDM2, &h.ContractDM2, &h.Occupancy, &h.HasKitchen, &h.HasToilet, &h.DeveloperHeld, &r.EntranceName); err != nil {
			rows.Close()
			return nil, fmt.Errorf("households: %w", err)
		}
		index[h.ID] = len(out)
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("households: %w", err)
	}
	orows, err := s.db.Read().QueryContext(ctx, `SELECT ho.household_id, o.id, o.code, o.name, o.kind, o.is_developer, ho.is_voter, ho.share_bp, o.phone_enc, o.id_number_enc
		FROM household_owners ho JOIN owners o ON o.id = ho.owner_id JOIN households h ON h.id = ho.household_id
		WHERE h.building_id = $1 ORDER BY ho.household_id, ho.is_voter DESC, o.id`, buildingID)
	if err != nil {
		return nil, fmt.Errorf("household owners: %w", err)
	}
	defer orows.Close()
	for orows.Next() {
		var hid int64
		var o OwnerRef
		var phone, idn []byte
		if err := orows.Scan(&hid, &o.ID, &o.Code, &o.Name, &o.Kind, &o.IsDeveloper, &o.IsVoter, &o.ShareBP, &phone, &idn); err != nil {
			return nil, fmt.Errorf("household owners: %w", err)
		}
		if p, err := s.box.Open(phone); err == nil && p != "" {
			o.PhoneMasked = pii.MaskPhone(p)
		}
		if p, err := s.box.Open(idn); err == nil && p != "" {
			o.IDMasked = pii.MaskID(p)
		}
		if i, ok := index[hid]; ok {
			out[i].Owners = append(out[i].Owners, o)
		}
	}
	return out, orows.Err()
}

// Household returns one household with the region path of its compound.
func (s *Store) Household(ctx context.Context, id int64) (Household, string, error) {
	var h Household
	var path string
	err := s.db.Read().QueryRowContext(ctx, `SELECT h.id, h.code, h.building_id, COALESCE(h.entrance_id, 0), h.room, h.floor,
		COALESCE(h.registered_area_dm2, 0), COALESCE(h.surveyed_area_dm2, 0), COALESCE(h.contract_area_dm2, 0), h.occupancy, h.has_kitchen, h.has_toilet, h.developer_held, c.region_path
		FROM households h JOIN buildings b ON b.id = h.building_id JOIN compounds c ON c.id = b.compound_id WHERE h.id = $1`, id).
		Scan(&h.ID, &h.Code, &h.BuildingID, &h.EntranceID, &h.Room, &h.Floor, &h.RegisteredDM2, &h.SurveyedDM2, &h.ContractDM2, &h.Occupancy, &h.HasKitchen, &h.HasToilet, &h.DeveloperHeld, &path)
	if errors.Is(err, sql.ErrNoRows) {
		return h, "", fmt.Errorf("household %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return h, "", fmt.Errorf("household %d: %w", id, err)
	}
	return h, path, nil
}

// HouseholdByCode returns the id of the household with code.
func (s *Store) HouseholdByCode(ctx context.Context, code string) (int64, error) {
	var id int64
	err := s.db.Read().QueryRowContext(ctx, `SELECT id FROM households WHERE code = $1`, code).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("household %s: %w", code, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("household %s: %w", code, err)
	}
	return id, nil
}

// OwnerContact is an owner's personal data in clear, for roles allowed to see it.
type OwnerContact struct {
	OwnerID         int64
	Name            string
	Phone, IDNumber string
	RegionPaths     []string // region paths of the compounds of the owner's households
}

// RevealOwner decrypts an owner's phone and ID number. The caller checks the
// permission and scope (against RegionPaths) and records the reveal in the audit log.
func (s *Store) RevealOwner(ctx context.Context, id int64) (OwnerContact, error) {
	var oc OwnerContact
	var phone, idn []byte
	err := s.db.Read().QueryRowContext(ctx, `SELECT id, name, phone_enc, id_number_enc FROM owners WHERE id = $1`, id).Scan(&oc.OwnerID, &oc.Name, &phone, &idn)
	if errors.Is(err, sql.ErrNoRows) {
		return oc, fmt.Errorf("owner %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return oc, fmt.Errorf("owner %d: %w", id, err)
	}
	if oc.Phone, err = s.box.Open(phone); err != nil {
		return oc, fmt.Errorf("owner %d phone: %w", id, err)
	}
	if oc.IDNumber, err = s.box.Open(idn); err != nil {
		return oc, fmt.Errorf("owner %d id number: %w", id, err)
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT DISTINCT c.region_path FROM household_owners ho JOIN households h ON h.id = ho.household_id
		JOIN buildings b ON b.id = h.building_id JOIN compounds c ON c.id = b.compound_id WHERE ho.owner_id = $1`, id)
	if err != nil {
		return oc, fmt.Errorf("owner %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return oc, fmt.Errorf("owner %d: %w", id, err)
		}
		oc.RegionPaths = append(oc.RegionPaths, p)
	}
	return oc, rows.Err()
}

// OwnerByPhone finds owners by phone number through the keyed hash.
func (s *Store) OwnerByPhone(ctx context.Context, phone string) ([]int64, error) {
	h := s.box.Index(phone)
	if h == "" {
		return nil, nil
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id FROM owners WHERE phone_hash = $1 ORDER BY id`, h)
	if err != nil {
		return nil, fmt.Errorf("owner by phone: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("owner by phone: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// SearchResult is one hit of Search.
type SearchResult struct {
	Kind string // region, compound, facility
	ID   int64
	Name string
	Sub  string // address, level or category
}

// Search finds regions, compounds and facilities in scope by name or address.
func (s *Store) Search(ctx context.Context, sc Scope, q string, limit int) ([]SearchResult, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, nil
	}
	var out []SearchResult
	like := "%" + strings.NewReplacer("%", "", "_", "").Replace(q) + "%"
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, name, level FROM regions WHERE path LIKE $1 AND (name LIKE $2 OR code = $3) ORDER BY code LIMIT $4`, likePrefix(string(sc)), like, q, limit)
	if err != nil {
		return nil, fmt.Errorf("search regions: %w", err)
	}
	for rows.Next() {
		r := SearchResult{Kind: "region"}
		if err := rows.Scan(&r.ID, &r.Name, &r.Sub); err != nil {
			rows.Close()
			return nil, fmt.Errorf("search regions: %w", err)
		}
		out = append(out, r)
	}
	rows.Close()
	cs, _, err := s.Compounds(ctx, CompoundFilter{Scope: sc, Query: q, Limit: limit})
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		out = append(out, SearchResult{Kind: "compound", ID: c.ID, Name: c.Name, Sub: c.Address})
	}
	fs, err := s.Facilities(ctx, FacilityFilter{Scope: sc, Query: q, Limit: limit})
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		out = append(out, SearchResult{Kind: "facility", ID: f.ID, Name: f.Name, Sub: f.Category})
	}
	return out, nil
}
