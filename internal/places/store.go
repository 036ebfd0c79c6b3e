package places

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/db"
)

// Sealer encrypts personal data for storage and hashes it for lookups; *pii.Box
// implements it.
type Sealer interface {
	Seal(plain string) ([]byte, error)
	Open(sealed []byte) (string, error)
	Index(plain string) string
}

// Store reads and writes places.
type Store struct {
	db    *db.DB
	box   Sealer
	audit *audit.Log
	now   func() time.Time
}

// NewStore returns a Store on d. box protects owners' phone and ID numbers, log
// records every change, now is the clock.
func NewStore(d *db.DB, box Sealer, log *audit.Log, now func() time.Time) *Store {
	return &Store{db: d, box: box, audit: log, now: now}
}

// DB returns the database the store works on.
func (s *Store) DB() *db.DB { return s.db }

// Tables in the order a dataset is written (parents first).
var datasetTables = []string{"regions", "compounds", "buildings", "entrances", "households", "owners", "facilities"}

// IDs holds the first free id of every table, for producers that assign ids
// themselves.
type IDs struct {
	Region, Compound, Building, Entrance, Household, Owner, Facility int64
}

// NextIDs returns the first free id of each places table inside tx (locking them
// against other writers on PostgreSQL until tx ends).
func (s *Store) NextIDs(ctx context.Context, tx *sql.Tx) (IDs, error) {
	var ids IDs
	dst := []*int64{&ids.Region, &ids.Compound, &ids.Building, &ids.Entrance, &ids.Household, &ids.Owner, &ids.Facility}
	for i, t := range datasetTables {
		n, err := s.db.NextID(ctx, tx, t)
		if err != nil {
			return ids, err
		}
		*dst[i] = n
	}
	return ids, nil
}

// Load writes a whole dataset in one transaction and records ch in the audit log.
// Either every row is written or none.
func (s *Store) Load(ctx context.Context, ds *Dataset, ch audit.Change) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.InsertDataset(ctx, tx, ds); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, ch)
	})
}

// InsertDataset bulk-inserts ds inside tx with the ids it carries, then moves the
// id sequences past them. It records nothing in the audit log; the caller does.
func (s *Store) InsertDataset(ctx context.Context, tx *sql.Tx, ds *Dataset) error {
	now := s.now().UTC().Truncate(time.Microsecond)
	ins := s.db.NewInserter(tx, "regions", "id", "parent_id", "code", "level", "name", "path", "geometry", "min_lon", "min_lat", "max_lon", "max_lat", "created_at", "updated_at")
	for _, r := range ds.Regions {
		b := nullBox(r.BBox)
		if err := ins.Add(ctx, r.ID, nullID(r.ParentID), r.Code, r.Level, r.Name, r.Path, nullStr(r.Geometry), b[0], b[1], b[2], b[3], now, now); err != nil {
			return err
		}
	}
	if _, err := ins.Flush(ctx); err != nil {
		return err
	}
	ins = s.db.NewInserter(tx, "compounds", "id", "code", "region_id", "region_path", "name", "address", "built_year", "property_mode", "renovation_status", "gates", "geometry", "lon", "lat", "min_lon", "min_lat", "max_lon", "max_lat", "created_at", "updated_at")
	for _, c := range ds.Compounds {
		b := nullBox(c.BBox)
		gates, err := GatesJSON(c.Gates)
		if err != nil {
			return err
		}
		if err := ins.Add(ctx, c.ID, c.Code, c.RegionID, c.RegionPath, c.Name, c.Address, nullInt(c.BuiltYear), orDefault(c.PropertyMode, PropertyNone), orDefault(c.RenovationStatus, RenovationNone), nullStr(gates), nullStr(c.Geometry), c.Lon, c.Lat, b[0], b[1], b[2], b[3], now, now); err != nil {
			return err
		}
	}
	if _, err := ins.Flush(ctx); err != nil {
		return err
	}
	ins = s.db.NewInserter(tx, "buildings", "id", "code", "compound_id", "name", "storeys", "built_year", "structure", "entrance_count", "has_elevator", "has_ramp", "gas_pipe_year", "household_count", "footprint", "lon", "lat", "min_lon", "min_lat", "max_lon", "max_lat", "created_at", "updated_at")
	for _, b := range ds.Buildings {
		bb := nullBox(b.BBox)
		if err := ins.Add(ctx, b.ID, b.Code, b.CompoundID, b.Name, b.Storeys, nullInt(b.BuiltYear), orDefault(b.Structure, "other"), b.EntranceCount, b.HasElevator, b.HasRamp, nullInt(b.GasPipeYear), b.HouseholdCount, nullStr(b.Footprint), b.Lon, b.Lat, bb[0], bb[1], bb[2], bb[3], now, now); err != nil {
			return err
		}
	}
	if _, err := ins.Flush(ctx); err != nil {
		return err
	}
	ins = s.db.NewInserter(tx, "entrances", "id", "code", "building_id", "name", "number", "has_elevator", "lon", "lat", "created_at", "updated_at")
	for _, e := range ds.Entrances {
		if err := ins.Add(ctx, e.ID, e.Code, e.BuildingID, e.Name, e.Number, e.HasElevator, e.Lon, e.Lat, now, now); err != nil {
			return err
		}
	}
	if _, err := ins.Flush(ctx); err != nil {
		return err
	}
	ins = s.db.NewInserter(tx, "households", "id", "code", "building_id", "entrance_id", "room", "floor", "registered_area_dm2", "surveyed_area_dm2", "contract_area_dm2", "occupancy", "has_kitchen", "has_toilet", "developer_held", "created_at", "updated_at")
	for _, h := range ds.Households {
		if err := ins.Add(ctx, h.ID, h.Code, h.BuildingID, nullID(h.EntranceID), h.Room, h.Floor, nullInt64(h.RegisteredDM2), nullInt64(h.SurveyedDM2), nullInt64(h.ContractDM2), orDefault(h.Occupancy, "unknown"), h.HasKitchen, h.HasToilet, h.DeveloperHeld, now, now); err != nil {
			return err
		}
	}
	if _, err := ins.Flush(ctx); err != nil {
		return err
	}
	ins = s.db.NewInserter(tx, "owners", "id", "code", "kind", "name", "is_developer", "id_number_enc", "id_number_hash", "phone_enc", "phone_hash", "created_at", "updated_at")
	for _, o := range ds.Owners {
		idEnc, err := s.box.Seal(o.IDNumber)
		if err != nil {
			return fmt.Errorf("owner %s: %w", o.Code, err)
		}
		phoneEnc, err := s.box.Seal(o.Phone)
		if err != nil {
			return fmt.Errorf("owner %s: %w", o.Code, err)
		}
		if err := ins.Add(ctx, o.ID, o.Code, orDefault(o.Kind, OwnerPerson), o.Name, o.IsDeveloper, idEnc, nullStr(s.box.Index(o.IDNumber)), phoneEnc, nullStr(s.box.Index(o.Phone)), now, now); err != nil {
			return err
		}
	}
	if _, err := ins.Flush(ctx); err != nil {
		return err
	}
	ins = s.db.NewInserter(tx, "household_owners", "household_id", "owner_id", "share_bp", "is_voter")
	for _, l := range ds.HouseholdOwners {
		share := l.ShareBP
		if share == 0 {
			share = 10000
		}
		if err := ins.Add(ctx, l.HouseholdID, l.OwnerID, share, l.IsVoter); err != nil {
			return err
		}
	}
	if _, err := ins.Flush(ctx); err != nil {
		return err
	}
	ins = s.db.NewInserter(tx, "facilities", "id", "code", "category", "name", "address", "region_id", "region_path", "capacity", "floor_area_dm2", "site_area_dm2", "lon", "lat", "geometry", "source", "osm_ref", "created_at", "updated_at")
	for _, f := range ds.Facilities {
		if err := ins.Add(ctx, f.ID, f.Code, f.Category, f.Name, f.Address, nullID(f.RegionID), f.RegionPath, nullInt(f.Capacity), nullInt64(f.FloorAreaDM2), nullInt64(f.SiteAreaDM2), f.Lon, f.Lat, nullStr(f.Geometry), orDefault(f.Source, "manual"), nullStr(f.OSMRef), now, now); err != nil {
			return err
		}
	}
	if _, err := ins.Flush(ctx); err != nil {
		return err
	}
	for _, t := range datasetTables {
		if err := s.db.SyncSequence(ctx, tx, t); err != nil {
			return err
		}
	}
	return nil
}

// CodeIndex maps every code of table ("regions", "compounds", "buildings",
// "entrances", "households", "owners", "facilities") to its id, reading through q
// (a transaction or the read pool).
func (s *Store) CodeIndex(ctx context.Context, q db.Querier, table string) (map[string]int64, error) {
	ok := false
	for _, t := range datasetTables {
		ok = ok || t == table
	}
	if !ok {
		return nil, fmt.Errorf("code index: unknown table %q", table)
	}
	rows, err := q.QueryContext(ctx, "SELECT code, id FROM "+table)
	if err != nil {
		return nil, fmt.Errorf("code index of %s: %w", table, err)
	}
	defer rows.Close()
	m := make(map[string]int64)
	for rows.Next() {
		var c string
		var id int64
		if err := rows.Scan(&c, &id); err != nil {
			return nil, fmt.Errorf("code index of %s: %w", table, err)
		}
		m[c] = id
	}
	return m, rows.Err()
}

// GatesJSON encodes gates as a GeoJSON MultiPoint; "" for none.
func GatesJSON(gates []Point) (string, error) {
	if len(gates) == 0 {
		return "", nil
	}
	coords := make([][2]float64, len(gates))
	for i, g := range gates {
		coords[i] = [2]float64{g.Lon, g.Lat}
	}
	b, err := json.Marshal(struct {
		Type        string       `json:"type"`
		Coordinates [][2]float64 `json:"coordinates"`
	}{"MultiPoint", coords})
	if err != nil {
		return "", fmt.Errorf("gates: %w", err)
	}
	return string(b), nil
}

// ParseGates decodes what GatesJSON wrote.
func ParseGates(s string) ([]Point, error) {
	if s == "" {
		return nil, nil
	}
	var g struct {
		Coordinates [][2]float64 `json:"coordinates"`
	}
	if err := json.Unmarshal([]byte(s), &g); err != nil {
		return nil, fmt.Errorf("gates: %w", err)
	}
	out := make([]Point, len(g.Coordinates))
	for i, c := range g.Coordinates {
		out[i] = Point{Lon: c[0], Lat: c[1]}
	}
	return out, nil
}

func nullBox(b BBox) [4]any {
	if b.Empty() {
		return [4]any{nil, nil, nil, nil}
	}
	return [4]any{b.MinLon, b.MinLat, b.MaxLon, b.MaxLat}
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func nullInt(v int) any {
	if v == 0 {
		return nil
	}
	return v
}

func nullInt64(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
