package places

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/pii"
)

// ExportRequest describes one export.
type ExportRequest struct {
	ObjectType string // one of ObjectTypes
	Format     string // FormatCSV, FormatXLSX or FormatGeoJSON
	// RegionPath limits the export to rows inside that region (a Region.Path such
	// as "/1/4/"); "" exports everything.
	RegionPath string
	// RevealPII writes owners' phone and ID numbers in full instead of masked; the
	// reveal is recorded in the audit log.
	RevealPII bool
}

// maxXLSXRows is the number of data rows an Excel sheet can hold under its header.
const maxXLSXRows = 1_048_575

var regionPathRE = regexp.MustCompile(`^(/[0-9]+)+/$`)

// column value kinds of an export query.
const (
	kText     = iota // text as stored
	kInt             // integer; NULL as empty
	kBool            // true / false
	kArea            // dm² as m² with two decimals; NULL as empty
	kFloat           // degrees; NULL as empty
	kPercent         // basis points as per cent
	kGates           // MultiPoint as a [[lon, lat], …] list
	kPhone           // sealed phone number
	kIDNumber        // sealed ID number
)

// exportQuery is the SELECT of one object type: its columns follow
// importColumns, with kinds saying how to write each.
type exportQuery struct {
	sql   string
	kinds []int
}

// exportQueries hold one query per object type; $1 is the region path prefix
// followed by '%'.
var exportQueries = map[string]exportQuery{
	ObjectRegion: {`SELECT r.code, r.name, r.level, COALESCE(p.code, ''), COALESCE(r.geometry, '')
		FROM regions r LEFT JOIN regions p ON p.id = r.parent_id
		WHERE r.path LIKE $1 ORDER BY r.id`,
		[]int{kText, kText, kText, kText, kText}},
	ObjectCompound: {`SELECT c.code, c.name, r.code, c.address, c.built_year, c.property_mode, c.renovation_status,
		c.lon, c.lat, COALESCE(c.gates, ''), COALESCE(c.geometry, '')
		FROM compounds c JOIN regions r ON r.id = c.region_id
		WHERE c.region_path LIKE $1 ORDER BY c.id`,
		[]int{kText, kText, kText, kText, kInt, kText, kText, kFloat, kFloat, kGates, kText}},
	ObjectBuilding: {`SELECT b.code, c.code, b.name, b.storeys, b.built_year, b.structure, b.entrance_count,
		b.has_elevator, b.has_ramp, b.gas_pipe_year, b.household_count, b.lon, b.lat, COALESCE(b.footprint, '')
		FROM buildings b JOIN compounds c ON c.id = b.compound_id
		WHERE c.region_path LIKE $1 ORDER BY b.id`,
		[]int{kText, kText, kText, kInt, kInt, kText, kInt, kBool, kBool, kInt, kInt, kFloat, kFloat, kText}},
	ObjectEntrance: {`SELECT e.code, b.code, e.number, e.name, e.has_elevator, e.lon, e.lat
		FROM entrances e JOIN buildings b ON b.id = e.building_id JOIN compounds c ON c.id = b.compound_id
		WHERE c.region_path LIKE $1 ORDER BY e.id`,
		[]int{kText, kText, kInt, kText, kBool, kFloat, kFloat}},
	ObjectHousehold: {`SELECT h.code, b.code, COALESCE(e.code, ''), h.room, h.floor, h.registered_area_dm2,
		h.surveyed_area_dm2, h.contract_area_dm2, h.occupancy, h.has_kitchen, h.has_toilet, h.developer_held
		FROM households h JOIN buildings b ON b.id = h.building_id JOIN compounds c ON c.id = b.compound_id
		LEFT JOIN entrances e ON e.id = h.entrance_id
		WHERE c.region_path LIKE $1 ORDER BY h.id`,
		[]int{kText, kText, kText, kText, kInt, kArea, kArea, kArea, kText, kBool, kBool, kBool}},
	ObjectOwner: {`SELECT o.code, o.name, o.kind, o.is_developer, o.phone_enc, o.id_number_enc
		FROM owners o
		WHERE $1 = '%' OR EXISTS (SELECT 1 FROM household_owners ho
			JOIN households h ON h.id = ho.household_id JOIN buildings b ON b.id = h.building_id
			JOIN compounds c ON c.id = b.compound_id
			WHERE ho.owner_id = o.id AND c.region_path LIKE $1)
		ORDER BY o.id`,
		[]int{kText, kText, kText, kBool, kPhone, kIDNumber}},
	ObjectHouseholdOwner: {`SELECT h.code, o.code, ho.share_bp, ho.is_voter
		FROM household_owners ho JOIN households h ON h.id = ho.household_id JOIN owners o ON o.id = ho.owner_id
		JOIN buildings b ON b.id = h.building_id JOIN compounds c ON c.id = b.compound_id
		WHERE c.region_path LIKE $1 ORDER BY h.id, o.id`,
		[]int{kText, kText, kPercent, kBool}},
	ObjectFacility: {`SELECT f.code, f.category, f.name, f.address, COALESCE(r.code, ''), f.capacity,
		f.floor_area_dm2, f.site_area_dm2, f.lon, f.lat, COALESCE(f.osm_ref, ''), COALESCE(f.geometry, '')
		FROM facilities f LEFT JOIN regions r ON r.id = f.region_id
		WHERE f.region_path LIKE $1 ORDER BY f.id`,
		[]int{kText, kText, kText, kText, kText, kInt, kArea, kArea, kFloat, kFloat, kText, kText}},
}

// Export writes every row of req.ObjectType inside req.RegionPath to w as CSV
// (UTF-8 with a byte-order mark, so spreadsheet programs read it), an Excel
// workbook or a GeoJSON FeatureCollection. CSV and Excel columns are exactly the
// import columns, so an exported file imports again. Owners' phone and ID numbers
// are masked unless req.RevealPII.
func (s *Store) Export(ctx context.Context, w io.Writer, req ExportRequest) error {
	q, ok := exportQueries[req.ObjectType]
	if !ok {
		return fmt.Errorf("%w: unknown object type %q: use one of %s", ErrBadRequest, req.ObjectType, strings.Join(ObjectTypes, ", "))
	}
	if req.RegionPath != "" && !regionPathRE.MatchString(req.RegionPath) {
		return fmt.Errorf("%w: region path %q is not of the form /1/4/", ErrBadRequest, req.RegionPath)
	}
	var out rowWriter
	switch req.Format {
	case FormatCSV:
		out = newCSVWriter(w)
	case FormatXLSX:
		x, err := newXLSXWriter(w, req.ObjectType)
		if err != nil {
			return fmt.Errorf("export %s: %w", req.ObjectType, err)
		}
		out = x
	case FormatGeoJSON:
		out = newGeoJSONWriter(w, req.ObjectType)
	default:
		return fmt.Errorf("%w: unknown export format %q: use csv, xlsx or geojson", ErrBadRequest, req.Format)
	}
	if req.RevealPII && req.ObjectType == ObjectOwner {
		if err := s.audit.RecordTx(ctx, audit.Change{
			Action: "pii.reveal", ObjectType: "owner", ObjectID: "export",
			After: map[string]any{"scope": req.RegionPath, "format": req.Format},
		}); err != nil {
			return fmt.Errorf("export owners: %w", err)
		}
	}
	names := ColumnNames(req.ObjectType)
	if err := out.header(names); err != nil {
		return fmt.Errorf("export %s: %w", req.ObjectType, err)
	}
	if err := s.exportRows(ctx, req, q, out.row); err != nil {
		return fmt.Errorf("export %s: %w", req.ObjectType, err)
	}
	if err := out.close(); err != nil {
		return fmt.Errorf("export %s: %w", req.ObjectType, err)
	}
	return nil
}

// exportRows runs the query of an object type and calls fn with each row's
// values written as import text.
func (s *Store) exportRows(ctx context.Context, req ExportRequest, q exportQuery, fn func([]string) error) error {
	rows, err := s.db.Read().QueryContext(ctx, q.sql, req.RegionPath+"%")
	if err != nil {
		return err
	}
	defer rows.Close()
	dest := make([]any, len(q.kinds))
	for i, k := range q.kinds {
		switch k {
		case kText, kGates:
			dest[i] = new(string)
		case kInt, kArea, kPercent:
			dest[i] = new(sql.NullInt64)
		case kBool:
			dest[i] = new(bool)
		case kFloat:
			dest[i] = new(sql.NullFloat64)
		case kPhone, kIDNumber:
			dest[i] = new([]byte)
		}
	}
	vals := make([]string, len(q.kinds))
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		for i, k := range q.kinds {
			v, err := s.exportValue(k, dest[i], req.RevealPII)
			if err != nil {
				return err
			}
			vals[i] = v
		}
		if err := fn(vals); err != nil {
			return err
		}
	}
	return rows.Err()
}

// exportValue writes one scanned value as import text.
func (s *Store) exportValue(kind int, v any, reveal bool) (string, error) {
	switch kind {
	case kText:
		return *v.(*string), nil
	case kInt:
		n := v.(*sql.NullInt64)
		if !n.Valid {
			return "", nil
		}
		return strconv.FormatInt(n.Int64, 10), nil
	case kArea:
		n := v.(*sql.NullInt64)
		if !n.Valid || n.Int64 == 0 {
			return "", nil
		}
		return FormatArea(n.Int64), nil
	case kPercent:
		n := v.(*sql.NullInt64)
		if !n.Valid {
			return "", nil
		}
		return FormatArea(n.Int64), nil
	case kBool:
		return strconv.FormatBool(*v.(*bool)), nil
	case kFloat:
		f := v.(*sql.NullFloat64)
		if !f.Valid {
			return "", nil
		}
		return strconv.FormatFloat(f.Float64, 'f', -1, 64), nil
	case kGates:
		gates, err := ParseGates(*v.(*string))
		if err != nil || len(gates) == 0 {
			return "", err
		}
		pairs := make([][2]float64, len(gates))
		for i, g := range gates {
			pairs[i] = [2]float64{g.Lon, g.Lat}
		}
		b, err := json.Marshal(pairs)
		return string(b), err
	case kPhone, kIDNumber:
		plain, err := s.box.Open(*v.(*[]byte))
		if err != nil {
			return "", fmt.Errorf("open personal data: %w", err)
		}
		if reveal || plain == "" {
			return plain, nil
		}
		if kind == kPhone {
			return pii.MaskPhone(plain), nil
		}
		return pii.MaskID(plain), nil
	}
	return "", fmt.Errorf("unknown column kind %d", kind)
}

// rowWriter writes an export in one format.
type rowWriter interface {
	header(names []string) error
	row(vals []string) error
	close() error
}

type csvWriter struct {
	w  *bufio.Writer
	cw *csv.Writer
}

func newCSVWriter(w io.Writer) *csvWriter {
	bw := bufio.NewWriterSize(w, 1<<16)
	return &csvWriter{w: bw, cw: csv.NewWriter(bw)}
}

func (c *csvWriter) header(names []string) error {
	if _, err := c.w.WriteString("\uFEFF"); err != nil {
		return err
	}
	return c.cw.Write(names)
}

func (c *csvWriter) row(vals []string) error { return c.cw.Write(vals) }

func (c *csvWriter) close() error {
	c.cw.Flush()
	if err := c.cw.Error(); err != nil {
		return err
	}
	return c.w.Flush()
}

// numericColumns are written as numbers in Excel and GeoJSON.
var numericColumns = map[string]bool{
	"built_year": true, "storeys": true, "entrance_count": true, "gas_pipe_year": true, "household_count": true,
	"number": true, "floor": true, "registered_area_m2": true, "surveyed_area_m2": true, "contract_area_m2": true,
	"capacity": true, "floor_area_m2": true, "site_area_m2": true, "lon": true, "lat": true, "share_percent": true,
}

// boolColumns are written as true/false in GeoJSON.
var boolColumns = map[string]bool{
	"has_elevator": true, "has_ramp": true, "has_kitchen": true, "has_toilet": true, "developer_held": true,
	"is_developer": true, "is_voter": true,
}

type xlsxWriter struct {
	w       io.Writer
	f       *excelize.File
	sw      *excelize.StreamWriter
	names   []string
	n       int
	twoDec  int
	objType string
}

func newXLSXWriter(w io.Writer, objectType string) (*xlsxWriter, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", objectType); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(objectType)
	if err != nil {
		return nil, err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	two, err := f.NewStyle(&excelize.Style{NumFmt: 2})
	if err != nil {
		return nil, err
	}
	return &xlsxWriter{w: w, f: f, sw: sw, twoDec: two, objType: objectType}, nil
}

func (x *xlsxWriter) header(names []string) error {
	x.names = names
	bold, err := x.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	cells := make([]any, len(names))
	for i, n := range names {
		cells[i] = excelize.Cell{StyleID: bold, Value: n}
	}
	if err := x.sw.SetColWidth(1, len(names), 16); err != nil {
		return err
	}
	return x.sw.SetRow("A1", cells)
}

func (x *xlsxWriter) row(vals []string) error {
	x.n++
	if x.n > maxXLSXRows {
		return fmt.Errorf("%w: more than %d rows do not fit in an Excel sheet; export CSV or a smaller region", ErrBadRequest, maxXLSXRows)
	}
	cells := make([]any, len(vals))
	for i, v := range vals {
		name := x.names[i]
		if v != "" && numericColumns[name] {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				if strings.HasSuffix(name, "_m2") || name == "share_percent" {
					cells[i] = excelize.Cell{StyleID: x.twoDec, Value: f}
				} else {
					cells[i] = f
				}
				continue
			}
		}
		cells[i] = v
	}
	cell, err := excelize.CoordinatesToCellName(1, x.n+1)
	if err != nil {
		return err
	}
	return x.sw.SetRow(cell, cells)
}

func (x *xlsxWriter) close() error {
	if err := x.sw.Flush(); err != nil {
		return err
	}
	if _, err := x.f.WriteTo(x.w); err != nil {
		return err
	}
	return x.f.Close()
}

type geoJSONWriter struct {
	w        *bufio.Writer
	names    []string
	geomCol  int // index of the geometry column, -1 for none
	lon, lat int // indexes of lon and lat, -1 for none
	n        int
}

func newGeoJSONWriter(w io.Writer, objectType string) *geoJSONWriter {
	g := &geoJSONWriter{w: bufio.NewWriterSize(w, 1<<16), geomCol: -1, lon: -1, lat: -1}
	for i, c := range importColumns[objectType] {
		switch c.Name {
		case geometryColumn[objectType]:
			g.geomCol = i
		case "lon":
			g.lon = i
		case "lat":
			g.lat = i
		}
	}
	return g
}

func (g *geoJSONWriter) header(names []string) error {
	g.names = names
	_, err := g.w.WriteString(`{"type":"FeatureCollection","features":[`)
	return err
}

func (g *geoJSONWriter) row(vals []string) error {
	var b strings.Builder
	if g.n > 0 {
		b.WriteString(",")
	}
	g.n++
	b.WriteString("\n{\"type\":\"Feature\",\"properties\":{")
	first := true
	for i, v := range vals {
		if i == g.geomCol {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		key, _ := json.Marshal(g.names[i])
		b.Write(key)
		b.WriteByte(':')
		name := g.names[i]
		switch {
		case v == "":
			b.WriteString("null")
		case numericColumns[name] && json.Valid([]byte(v)):
			b.WriteString(v)
		case boolColumns[name] && (v == "true" || v == "false"):
			b.WriteString(v)
		case name == "gates" && json.Valid([]byte(v)):
			b.WriteString(v)
		default:
			s, _ := json.Marshal(v)
			b.Write(s)
		}
	}
	b.WriteString("},\"geometry\":")
	switch {
	case g.geomCol >= 0 && vals[g.geomCol] != "":
		b.WriteString(vals[g.geomCol])
	case g.lon >= 0 && vals[g.lon] != "" && vals[g.lat] != "":
		fmt.Fprintf(&b, `{"type":"Point","coordinates":[%s,%s]}`, vals[g.lon], vals[g.lat])
	default:
		b.WriteString("null")
	}
	b.WriteString("}")
	_, err := g.w.WriteString(b.String())
	return err
}

func (g *geoJSONWriter) close() error {
	if _, err := g.w.WriteString("\n]}\n"); err != nil {
		return err
	}
	return g.w.Flush()
}
