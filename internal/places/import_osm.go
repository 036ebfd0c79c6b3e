package places

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/gengxin/gengxin/internal/geo"
)

// osmDefaultStoreys is assumed for an OpenStreetMap building without
// building:levels.
const osmDefaultStoreys = 6

// readOSMFile reads an OpenStreetMap extract. A file that cannot be read as OSM
// data is reported in errs; the error return is for cancellation only.
func readOSMFile(ctx context.Context, r io.Reader, req ImportRequest, errs *collector) (*OSMFeatures, error) {
	format := "xml"
	if req.Format == FormatOSMPBF {
		format = "pbf"
	}
	feats, err := ReadOSM(ctx, r, format)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		if errors.Is(err, errTooLarge) {
			errs.add(RowError{Reason: errTooLarge.Error()})
		} else {
			errs.add(RowError{Reason: fmt.Sprintf("cannot read the OpenStreetMap %s file: %v", format, err)})
		}
		return &OSMFeatures{}, nil
	}
	return feats, nil
}

// osmCode turns an OSM reference such as "node/123" into a code "OSM-node-123".
func osmCode(ref string) string {
	return "OSM-" + strings.ReplaceAll(ref, "/", "-")
}

// resolveOSM turns OpenStreetMap features into facilities or buildings, leaving
// out those already imported and (for buildings) those outside every compound.
func (s *Store) resolveOSM(ctx context.Context, tx *sql.Tx, req ImportRequest, feats *OSMFeatures, ids IDs, rep *ImportReport) (*Dataset, error) {
	ds := &Dataset{}
	if feats.Skipped > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d tagged OpenStreetMap objects could not be built (nodes missing from the file, outlines not closed) and were ignored", feats.Skipped))
	}
	if req.ObjectType == ObjectFacility {
		return ds, s.resolveOSMFacilities(ctx, tx, feats.Facilities, ids, rep, ds)
	}
	return ds, s.resolveOSMBuildings(ctx, tx, feats.Buildings, ids, rep, ds)
}

func (s *Store) resolveOSMFacilities(ctx context.Context, tx *sql.Tx, list []OSMFacility, ids IDs, rep *ImportReport, ds *Dataset) error {
	rep.Rows = len(list)
	refs := make([]string, 0, len(list))
	codes := make([]string, 0, len(list))
	for _, f := range list {
		refs = append(refs, f.Ref)
		codes = append(codes, osmCode(f.Ref))
	}
	present := make(map[string]bool)
	err := lookupCodes(ctx, s.lookup(tx), "SELECT osm_ref FROM facilities WHERE osm_ref", refs, func(rows *sql.Rows) error {
		var ref string
		if err := rows.Scan(&ref); err != nil {
			return err
		}
		present[ref] = true
		return nil
	})
	if err != nil {
		return err
	}
	codeTaken, err := existing(ctx, s.lookup(tx), "facilities", codes)
	if err != nil {
		return err
	}
	grids, err := loadGrids(ctx, tx)
	if err != nil {
		return err
	}
	seen := make(map[string]bool)
	already, unplaced := 0, 0
	next := ids.Facility
	for _, f := range list {
		code := osmCode(f.Ref)
		if present[f.Ref] || codeTaken[code] || seen[f.Ref] {
			already++
			continue
		}
		seen[f.Ref] = true
		cat, ok := CategoryByCode(f.Category)
		if !ok {
			rep.Skipped++
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s: category %q is not in the catalogue; skipped", f.Ref, f.Category))
			continue
		}
		if err := geo.ValidLonLat(f.Lon, f.Lat); err != nil {
			rep.Skipped++
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s: coordinates out of range (%v); skipped", f.Ref, err))
			continue
		}
		name := f.Name
		if name == "" {
			name = cat.NameZh
		}
		fac := Facility{
			ID: next, Code: code, Category: f.Category, Name: name, SiteAreaDM2: f.SiteAreaDM2,
			Lon: f.Lon, Lat: f.Lat, Geometry: f.Geometry, Source: "osm", OSMRef: f.Ref,
		}
		fac.Address = osmAddress(f.Tags)
		fac.RegionID, fac.RegionPath = grids.find(f.Lon, f.Lat)
		if fac.RegionID == 0 {
			unplaced++
		}
		next++
		ds.Facilities = append(ds.Facilities, fac)
	}
	rep.Skipped += already
	if already > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d facilities were imported before and were skipped", already))
	}
	if unplaced > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d facilities lie in no grid", unplaced))
	}
	return nil
}

// osmAddress joins the addr:* tags the way Chinese addresses are written.
func osmAddress(tags map[string]string) string {
	if full := tags["addr:full"]; full != "" {
		return full
	}
	var b strings.Builder
	for _, k := range []string{"addr:city", "addr:district", "addr:street", "addr:housenumber"} {
		b.WriteString(tags[k])
	}
	if tags["addr:housenumber"] != "" && !strings.HasSuffix(tags["addr:housenumber"], "号") {
		b.WriteString("号")
	}
	return b.String()
}

type compoundShape struct {
	id   int64
	geom orb.Geometry
}

func (s *Store) resolveOSMBuildings(ctx context.Context, tx *sql.Tx, list []OSMBuilding, ids IDs, rep *ImportReport, ds *Dataset) error {
	rep.Rows = len(list)
	if len(list) == 0 {
		return nil
	}
	codes := make([]string, 0, len(list))
	box := BBox{MinLon: 180, MinLat: 90, MaxLon: -180, MaxLat: -90}
	for _, b := range list {
		codes = append(codes, osmCode(b.Ref))
		box.MinLon, box.MinLat = min(box.MinLon, b.Lon), min(box.MinLat, b.Lat)
		box.MaxLon, box.MaxLat = max(box.MaxLon, b.Lon), max(box.MaxLat, b.Lat)
	}
	taken, err := existing(ctx, s.lookup(tx), "buildings", codes)
	if err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, geometry FROM compounds
		WHERE geometry IS NOT NULL AND max_lon >= $1 AND min_lon <= $2 AND max_lat >= $3 AND min_lat <= $4 ORDER BY id`,
		box.MinLon, box.MaxLon, box.MinLat, box.MaxLat)
	if err != nil {
		return fmt.Errorf("load compounds: %w", err)
	}
	index := geo.NewIndex()
	shapes := make(map[int64]compoundShape)
	for rows.Next() {
		var c compoundShape
		var text string
		if err := rows.Scan(&c.id, &text); err != nil {
			rows.Close()
			return fmt.Errorf("load compounds: %w", err)
		}
		g, err := geo.ParseGeometry(text, geo.KindPolygon, geo.KindMultiPolygon)
		if err != nil {
			continue
		}
		c.geom = g
		a, b, cc, d := geo.Bound(g)
		index.Insert(c.id, a, b, cc, d)
		shapes[c.id] = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load compounds: %w", err)
	}
	already, outside, guessed := 0, 0, 0
	seen := make(map[string]bool)
	next := ids.Building
	for _, b := range list {
		code := osmCode(b.Ref)
		if taken[code] || seen[code] {
			already++
			continue
		}
		seen[code] = true
		var compound int64
		index.Search(b.Lon, b.Lat, b.Lon, b.Lat, func(id int64) bool {
			if (compound == 0 || id < compound) && geo.Contains(shapes[id].geom, b.Lon, b.Lat) {
				compound = id
			}
			return true
		})
		if compound == 0 {
			outside++
			continue
		}
		storeys := b.Levels
		if storeys <= 0 {
			storeys = osmDefaultStoreys
			guessed++
		}
		name := b.Name
		if name == "" && b.Tags["addr:housenumber"] != "" {
			name = b.Tags["addr:housenumber"]
			if !strings.HasSuffix(name, "号") && !strings.HasSuffix(name, "楼") {
				name += "号楼"
			}
		}
		if name == "" {
			name = code
		}
		ds.Buildings = append(ds.Buildings, Building{
			ID: next, Code: code, CompoundID: compound, Name: name, Storeys: storeys,
			BuiltYear: osmYear(b.Tags["start_date"]), Structure: "other", EntranceCount: 1,
			Footprint: b.Footprint, Lon: b.Lon, Lat: b.Lat, BBox: b.BBox,
		})
		next++
	}
	rep.Skipped += already + outside
	if already > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d buildings were imported before and were skipped", already))
	}
	if outside > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d buildings lie outside every compound and were skipped", outside))
	}
	if guessed > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d buildings have no building:levels tag; %d storeys were assumed", guessed, osmDefaultStoreys))
	}
	return nil
}

// osmYear reads the year of a start_date tag ("1987", "1987-05"); 0 when unknown
// or outside 1900–2100.
func osmYear(v string) int {
	if len(v) < 4 {
		return 0
	}
	y, err := strconv.Atoi(v[:4])
	if err != nil || y < 1900 || y > 2100 {
		return 0
	}
	return y
}
