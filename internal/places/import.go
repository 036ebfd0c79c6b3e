package places

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/geo"
)

// Limits of one import file.
const (
	// MaxImportBytes is the largest file an import reads (200 MB).
	MaxImportBytes = 200 << 20
	// MaxImportRows is the largest number of data rows (or features) in one file.
	MaxImportRows = 1_000_000
	// MaxReportedErrors caps the row errors kept in a report; ErrorCount still
	// counts all of them.
	MaxReportedErrors = 1000
)

// Object types that can be imported and exported.
const (
	ObjectRegion         = "region"
	ObjectCompound       = "compound"
	ObjectBuilding       = "building"
	ObjectEntrance       = "entrance"
	ObjectHousehold      = "household"
	ObjectOwner          = "owner"
	ObjectHouseholdOwner = "household_owner"
	ObjectFacility       = "facility"
)

// ObjectTypes lists the importable object types, parents before children.
var ObjectTypes = []string{ObjectRegion, ObjectCompound, ObjectBuilding, ObjectEntrance, ObjectHousehold, ObjectOwner, ObjectHouseholdOwner, ObjectFacility}

// File formats of imports and exports.
const (
	FormatCSV     = "csv"
	FormatGeoJSON = "geojson"
	FormatOSMPBF  = "osm-pbf"
	FormatOSMXML  = "osm-xml"
	FormatXLSX    = "xlsx"
)

// ErrBadRequest is returned (wrapped) when an import or export asks for an object
// type, format or coordinate system that does not exist or does not fit together.
var ErrBadRequest = errors.New("bad import or export request")

// Import statuses stored in the imports table.
const (
	ImportCommitted = "committed"
	ImportRejected  = "rejected"
)

// ImportRequest describes one file to import. The actor is taken from the
// context (audit.WithActor).
type ImportRequest struct {
	ObjectType string  // one of ObjectTypes
	Format     string  // FormatCSV, FormatGeoJSON, FormatOSMPBF or FormatOSMXML
	Filename   string  // as the user named it, for the report
	CRS        geo.CRS // coordinate system of the file; "" means WGS-84
	DryRun     bool    // check everything, write nothing (not even the report)
}

// RowError is one problem found in an import file.
type RowError struct {
	// Line is the 1-based line of the file where the row (or GeoJSON feature)
	// starts; 1 for header problems; 0 when unknown.
	Line int `json:"line"`
	// Feature is the 1-based index of the feature in a GeoJSON file; 0 for CSV.
	Feature int    `json:"feature,omitempty"`
	Field   string `json:"field,omitempty"`
	Reason  string `json:"reason"`
}

// String writes the error as a person reads it: "line 4, floor: not an integer".
func (e RowError) String() string {
	var b strings.Builder
	switch {
	case e.Feature > 0 && e.Line > 0:
		fmt.Fprintf(&b, "feature %d (line %d)", e.Feature, e.Line)
	case e.Feature > 0:
		fmt.Fprintf(&b, "feature %d", e.Feature)
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d", e.Line)
	default:
		b.WriteString("file")
	}
	if e.Field != "" {
		b.WriteString(", ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

// ImportReport tells what an import did. A file imports completely or not at all:
// Committed is false whenever Errors is not empty.
type ImportReport struct {
	ID         int64 // 0 for a dry run
	ObjectType string
	Format     string
	Filename   string
	Rows       int        // data rows (or features, or OSM objects) read
	Inserted   int        // rows written
	Skipped    int        // rows left out on purpose (OSM objects already present or outside every compound)
	ErrorCount int        // every error found; Errors keeps the first MaxReportedErrors
	Errors     []RowError // in file order
	Notes      []string   // remarks that are not errors
	Committed  bool
	DryRun     bool
	Actor      string
	CreatedAt  time.Time
}

// Status returns "committed" or "rejected".
func (r *ImportReport) Status() string {
	if r.Committed {
		return ImportCommitted
	}
	return ImportRejected
}

// Column is one column of an import file (a property of a GeoJSON feature).
type Column struct {
	Name     string
	Required bool // the header must name it and every row must fill it
}

// importColumns lists the columns of every object type, in the order exports
// write them.
var importColumns = map[string][]Column{
	ObjectRegion: {
		{"code", true}, {"name", true}, {"level", true}, {"parent_code", false}, {"geometry", false},
	},
	ObjectCompound: {
		{"code", true}, {"name", true}, {"region_code", true}, {"address", false}, {"built_year", false},
		{"property_mode", false}, {"renovation_status", false}, {"lon", false}, {"lat", false},
		{"gates", false}, {"geometry", false},
	},
	ObjectBuilding: {
		{"code", true}, {"compound_code", true}, {"name", true}, {"storeys", true}, {"built_year", false},
		{"structure", false}, {"entrance_count", false}, {"has_elevator", false}, {"has_ramp", false},
		{"gas_pipe_year", false}, {"household_count", false}, {"lon", false}, {"lat", false}, {"footprint", false},
	},
	ObjectEntrance: {
		{"code", true}, {"building_code", true}, {"number", true}, {"name", false}, {"has_elevator", false},
		{"lon", false}, {"lat", false},
	},
	ObjectHousehold: {
		{"code", true}, {"building_code", true}, {"entrance_code", false}, {"room", true}, {"floor", true},
		{"registered_area_m2", false}, {"surveyed_area_m2", false}, {"contract_area_m2", false},
		{"occupancy", false}, {"has_kitchen", false}, {"has_toilet", false}, {"developer_held", false},
	},
	ObjectOwner: {
		{"code", true}, {"name", true}, {"kind", false}, {"is_developer", false}, {"phone", false}, {"id_number", false},
	},
	ObjectHouseholdOwner: {
		{"household_code", true}, {"owner_code", true}, {"share_percent", false}, {"is_voter", false},
	},
	ObjectFacility: {
		{"code", true}, {"category", true}, {"name", true}, {"address", false}, {"region_code", false},
		{"capacity", false}, {"floor_area_m2", false}, {"site_area_m2", false}, {"lon", false}, {"lat", false},
		{"osm_ref", false}, {"geometry", false},
	},
}

// geometryColumn names the column holding a polygon geometry, per object type.
var geometryColumn = map[string]string{
	ObjectRegion:   "geometry",
	ObjectCompound: "geometry",
	ObjectBuilding: "footprint",
	ObjectFacility: "geometry",
}

// Columns returns the columns of an object type's import file (and export), in
// order; nil for an unknown type.
func Columns(objectType string) []Column {
	return slices.Clone(importColumns[objectType])
}

// ColumnNames returns just the names of Columns(objectType).
func ColumnNames(objectType string) []string {
	cols := importColumns[objectType]
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

// hasColumn reports whether an object type has the named column.
func hasColumn(objectType, name string) bool {
	return slices.ContainsFunc(importColumns[objectType], func(c Column) bool { return c.Name == name })
}

// collector gathers row errors, keeping the first MaxReportedErrors.
type collector struct {
	list  []RowError
	count int
}

func (c *collector) add(e RowError) {
	c.count++
	if len(c.list) < MaxReportedErrors {
		c.list = append(c.list, e)
	}
}

// sorted returns the errors in file order.
func (c *collector) sorted() []RowError {
	out := slices.Clone(c.list)
	key := func(e RowError) int {
		if e.Feature > 0 {
			return e.Feature
		}
		return e.Line
	}
	slices.SortStableFunc(out, func(a, b RowError) int { return key(a) - key(b) })
	return out
}

// errTooLarge is what limitedReader returns past MaxImportBytes.
var errTooLarge = fmt.Errorf("the file is larger than %d MB: split it into smaller files", MaxImportBytes>>20)

// limitedReader fails with errTooLarge once more than n bytes were read.
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > l.n+1 {
		p = p[:l.n+1]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n < 0 {
		return n, errTooLarge
	}
	return n, err
}

// skipBOM returns a reader past a leading UTF-8 byte-order mark.
func skipBOM(r io.Reader) *bufio.Reader {
	br := bufio.NewReaderSize(r, 1<<16)
	if b, err := br.Peek(3); err == nil && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		_, _ = br.Discard(3)
	}
	return br
}

// errRollback ends a transaction without committing and without being an error.
var errRollback = errors.New("rollback")

// Import reads one file of req.ObjectType and, when every row is valid, writes
// all of it in one transaction with one audit entry; otherwise it writes nothing
// but the report. Every bad row is reported with its line and reason. The error is
// non-nil only for a bad request or an I/O or database failure; a rejected file is
// a report with Committed false.
func (s *Store) Import(ctx context.Context, req ImportRequest, r io.Reader) (*ImportReport, error) {
	if err := checkImportRequest(&req); err != nil {
		return nil, err
	}
	rep := &ImportReport{
		ObjectType: req.ObjectType, Format: req.Format, Filename: req.Filename,
		DryRun: req.DryRun, Actor: audit.ActorFrom(ctx).Name,
	}
	errs := &collector{}
	lr := &limitedReader{r: r, n: MaxImportBytes}
	var (
		b   *batch
		osm *OSMFeatures
		err error
	)
	switch req.Format {
	case FormatCSV, FormatGeoJSON:
		b = newBatch(req.ObjectType, req.CRS, errs)
		if req.Format == FormatCSV {
			rep.Rows, err = readCSV(ctx, lr, req.ObjectType, errs, b.add)
		} else {
			rep.Rows, err = readGeoJSON(ctx, lr, req.ObjectType, req.CRS, errs, b.add)
		}
	case FormatOSMPBF, FormatOSMXML:
		osm, err = readOSMFile(ctx, lr, req, errs)
	}
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", req.Filename, err)
	}

	var ds *Dataset
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		ids, err := s.NextIDs(ctx, tx)
		if err != nil {
			return err
		}
		if osm != nil {
			ds, err = s.resolveOSM(ctx, tx, req, osm, ids, rep)
		} else {
			ds, err = s.resolve(ctx, tx, b, ids)
		}
		if err != nil {
			return err
		}
		if errs.count > 0 || req.DryRun {
			return errRollback
		}
		if err := s.InsertDataset(ctx, tx, ds); err != nil {
			return err
		}
		rep.Inserted = ds.size()
		rep.Committed = true
		if err := s.saveReport(ctx, tx, rep, errs); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Change{
			Action: "places.import", ObjectType: "import", ObjectID: fmt.Sprint(rep.ID),
			After: importSummary(rep),
		})
	})
	if err != nil && !errors.Is(err, errRollback) {
		return nil, fmt.Errorf("import %s: %w", req.Filename, err)
	}
	rep.ErrorCount = errs.count
	rep.Errors = errs.sorted()
	if errs.count > len(rep.Errors) {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d errors in all; only the first %d are listed", errs.count, len(rep.Errors)))
	}
	if rep.Committed || req.DryRun {
		if req.DryRun && errs.count == 0 && ds != nil {
			rep.Notes = append(rep.Notes, fmt.Sprintf("dry run: %d rows would be written", ds.size()))
		}
		return rep, nil
	}
	rep.Inserted = 0
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.saveReport(ctx, tx, rep, errs); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Change{
			Action: "places.import_rejected", ObjectType: "import", ObjectID: fmt.Sprint(rep.ID),
			After: importSummary(rep),
		})
	})
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", req.Filename, err)
	}
	return rep, nil
}

// checkImportRequest validates the request and fills defaults.
func checkImportRequest(req *ImportRequest) error {
	if _, ok := importColumns[req.ObjectType]; !ok {
		return fmt.Errorf("%w: unknown object type %q: use one of %s", ErrBadRequest, req.ObjectType, strings.Join(ObjectTypes, ", "))
	}
	switch req.Format {
	case FormatCSV, FormatGeoJSON:
	case FormatOSMPBF, FormatOSMXML:
		if req.ObjectType != ObjectFacility && req.ObjectType != ObjectBuilding {
			return fmt.Errorf("%w: OpenStreetMap files import facilities or buildings, not %s", ErrBadRequest, req.ObjectType)
		}
		if req.CRS != "" && req.CRS != geo.WGS84 {
			return fmt.Errorf("%w: OpenStreetMap data is always WGS-84; do not ask for %s", ErrBadRequest, req.CRS)
		}
	default:
		return fmt.Errorf("%w: unknown import format %q: use csv, geojson, osm-pbf or osm-xml", ErrBadRequest, req.Format)
	}
	if req.CRS == "" {
		req.CRS = geo.WGS84
	}
	if _, err := geo.ParseCRS(string(req.CRS)); err != nil {
		return fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	if req.Filename == "" {
		req.Filename = "upload." + strings.TrimPrefix(strings.TrimPrefix(req.Format, "osm-"), "geo")
	}
	return nil
}

// importSummary is what the audit log keeps of an import: counts, no personal data.
func importSummary(r *ImportReport) map[string]any {
	return map[string]any{
		"object_type": r.ObjectType, "format": r.Format, "filename": r.Filename,
		"status": r.Status(), "rows": r.Rows, "inserted": r.Inserted, "skipped": r.Skipped,
		"errors": r.ErrorCount,
	}
}

// saveReport stores rep in the imports table and sets its ID and CreatedAt.
func (s *Store) saveReport(ctx context.Context, tx *sql.Tx, rep *ImportReport, errs *collector) error {
	rep.CreatedAt = s.now().UTC().Truncate(time.Microsecond)
	list := errs.sorted()
	if list == nil {
		list = []RowError{}
	}
	errJSON, err := json.Marshal(list)
	if err != nil {
		return fmt.Errorf("import report: %w", err)
	}
	notes := rep.Notes
	if notes == nil {
		notes = []string{}
	}
	notesJSON, err := json.Marshal(notes)
	if err != nil {
		return fmt.Errorf("import report: %w", err)
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO imports
		(object_type, format, filename, status, row_count, error_count, errors_json, actor_name, created_at, inserted_count, skipped_count, notes_json)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		rep.ObjectType, rep.Format, rep.Filename, rep.Status(), rep.Rows, errs.count, string(errJSON),
		rep.Actor, rep.CreatedAt, rep.Inserted, rep.Skipped, string(notesJSON)).Scan(&rep.ID)
	if err != nil {
		return fmt.Errorf("save import report: %w", err)
	}
	return nil
}

const importSelect = `SELECT id, object_type, format, filename, status, row_count, error_count, errors_json,
	actor_name, created_at, inserted_count, skipped_count, notes_json FROM imports`

// ListImports returns the newest import reports first, at most limit (100 when
// limit ≤ 0).
func (s *Store) ListImports(ctx context.Context, limit int) ([]ImportReport, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.db.Read().QueryContext(ctx, importSelect+` ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("list imports: %w", err)
	}
	defer rows.Close()
	var out []ImportReport
	for rows.Next() {
		r, err := scanImport(rows)
		if err != nil {
			return nil, fmt.Errorf("list imports: %w", err)
		}
		out = append(out, *r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list imports: %w", err)
	}
	return out, nil
}

// GetImport returns one import report; the error wraps ErrNotFound when there is
// none with that id.
func (s *Store) GetImport(ctx context.Context, id int64) (*ImportReport, error) {
	rows, err := s.db.Read().QueryContext(ctx, importSelect+` WHERE id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("get import %d: %w", id, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("get import %d: %w", id, err)
		}
		return nil, fmt.Errorf("import %d: %w", id, ErrNotFound)
	}
	r, err := scanImport(rows)
	if err != nil {
		return nil, fmt.Errorf("get import %d: %w", id, err)
	}
	return r, nil
}

func scanImport(rows *sql.Rows) (*ImportReport, error) {
	var (
		r                 ImportReport
		status            string
		errJSON, notesJSN string
	)
	if err := rows.Scan(&r.ID, &r.ObjectType, &r.Format, &r.Filename, &status, &r.Rows, &r.ErrorCount, &errJSON,
		&r.Actor, &r.CreatedAt, &r.Inserted, &r.Skipped, &notesJSN); err != nil {
		return nil, err
	}
	r.Committed = status == ImportCommitted
	r.CreatedAt = r.CreatedAt.UTC()
	if err := json.Unmarshal([]byte(errJSON), &r.Errors); err != nil {
		return nil, fmt.Errorf("errors of import %d: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(notesJSN), &r.Notes); err != nil {
		return nil, fmt.Errorf("notes of import %d: %w", r.ID, err)
	}
	if len(r.Errors) == 0 {
		r.Errors = nil
	}
	if len(r.Notes) == 0 {
		r.Notes = nil
	}
	return &r, nil
}

// size counts the rows of a dataset.
func (ds *Dataset) size() int {
	return len(ds.Regions) + len(ds.Compounds) + len(ds.Buildings) + len(ds.Entrances) +
		len(ds.Households) + len(ds.Owners) + len(ds.HouseholdOwners) + len(ds.Facilities)
}

// lookupQuerier is where lookupCodes asks, and whether it takes "?" placeholders.
type lookupQuerier struct {
	q     db.Querier
	qmark bool
}

// lookup returns a lookupQuerier on tx.
func (s *Store) lookup(tx *sql.Tx) lookupQuerier {
	return lookupQuerier{q: tx, qmark: s.db.Dialect() == db.SQLite}
}

// lookupBatch is how many codes one IN (…) query asks for.
const lookupBatch = 500

// lookupCodes runs query (ending in "WHERE code" or similar) with " IN (…)"
// appended for every batch of distinct non-empty keys, calling scan on each row.
// On SQLite the placeholders are positional "?", which the driver binds without
// looking names up.
func lookupCodes(ctx context.Context, q lookupQuerier, query string, keys []string, scan func(*sql.Rows) error) error {
	seen := make(map[string]bool, len(keys))
	uniq := make([]string, 0, len(keys))
	for _, k := range keys {
		if k != "" && !seen[k] {
			seen[k] = true
			uniq = append(uniq, k)
		}
	}
	for start := 0; start < len(uniq); start += lookupBatch {
		part := uniq[start:min(start+lookupBatch, len(uniq))]
		var b strings.Builder
		b.WriteString(query)
		b.WriteString(" IN (")
		args := make([]any, len(part))
		for i, k := range part {
			if i > 0 {
				b.WriteByte(',')
			}
			if q.qmark {
				b.WriteByte('?')
			} else {
				fmt.Fprintf(&b, "$%d", i+1)
			}
			args[i] = k
		}
		b.WriteByte(')')
		if err := func() error {
			rows, err := q.q.QueryContext(ctx, b.String(), args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				if err := scan(rows); err != nil {
					return err
				}
			}
			return rows.Err()
		}(); err != nil {
			return fmt.Errorf("look up codes: %w", err)
		}
	}
	return nil
}
