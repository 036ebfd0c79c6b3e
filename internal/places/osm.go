package places

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/osm"
	"github.com/paulmach/osm/osmpbf"
	"github.com/paulmach/osm/osmxml"

	"github.com/gengxin/gengxin/internal/geo"
)

// OSMFeatures is what ReadOSM finds in a file.
type OSMFeatures struct {
	Facilities []OSMFacility // nodes first, then ways, each by id
	Buildings  []OSMBuilding // by way id
	// Skipped counts the objects that were tagged as something wanted but could
	// not be built: ways with nodes missing from the file, building outlines that
	// are not closed or have no area, and nodes with invalid positions.
	Skipped int
}

// OSMFacility is a public facility found in OpenStreetMap.
type OSMFacility struct {
	Ref         string // "node/123" or "way/45"
	Category    string // a Categories code
	Name        string
	Lon, Lat    float64 // the node, or the centroid of the way
	Geometry    string  // GeoJSON Polygon for closed ways, "" otherwise
	SiteAreaDM2 int64   // parks and sports grounds mapped as areas; 0 otherwise
	Tags        map[string]string
}

// OSMBuilding is a building outline found in OpenStreetMap.
type OSMBuilding struct {
	Ref       string // "way/45"
	Name      string
	Levels    int    // building:levels, 0 if unknown
	Kind      string // the value of the building tag: yes, residential, apartments …
	Footprint string // GeoJSON Polygon, WGS-84
	Lon, Lat  float64
	BBox      BBox
	Tags      map[string]string
}

// SportsLargeM2 is the site area from which a sports ground counts as large.
const SportsLargeM2 = 10000

// ReadOSM reads an OpenStreetMap file, format "pbf" or "xml", and extracts the
// public facilities (nodes and ways whose tags CategoryForTags recognises) and the
// building outlines (closed ways with a building tag). Multipolygon relations are
// not read.
//
// When r can seek, the file is read twice: first the ways, then only the nodes
// they need, which keeps memory small for large extracts. Otherwise it is read
// once and every node position is kept.
func ReadOSM(ctx context.Context, r io.Reader, format string) (*OSMFeatures, error) {
	format = strings.ToLower(strings.TrimSpace(format))
	if format != "pbf" && format != "xml" {
		return nil, fmt.Errorf("unknown OpenStreetMap format %q: use pbf or xml", format)
	}
	rd := &osmReader{coords: map[osm.NodeID]osmCoord{}}
	if rs, ok := r.(io.ReadSeeker); ok {
		if start, err := rs.Seek(0, io.SeekCurrent); err == nil {
			if err := rd.scan(ctx, rs, format, passWays); err != nil {
				return nil, err
			}
			if _, err := rs.Seek(start, io.SeekStart); err != nil {
				return nil, fmt.Errorf("read OpenStreetMap file: rewind for the second pass: %w", err)
			}
			if err := rd.scan(ctx, rs, format, passNodes); err != nil {
				return nil, err
			}
			return rd.finish(), nil
		}
	}
	rd.keepAll = true
	if err := rd.scan(ctx, r, format, passAll); err != nil {
		return nil, err
	}
	return rd.finish(), nil
}

// Passes over the file.
type osmPass int

const (
	passAll   osmPass = iota // nodes and ways in one go
	passWays                 // ways only, noting which nodes they need
	passNodes                // nodes only
)

// osmCoord is a node position in units of 1e-7 degree, as OpenStreetMap stores
// it; ok is false while the node is needed but not yet seen.
type osmCoord struct {
	lon, lat int32
	ok       bool
}

// osmWay is a way kept for the second step.
type osmWay struct {
	id       osm.WayID
	nodes    []osm.NodeID
	tags     map[string]string
	category string
	building bool
}

type osmReader struct {
	keepAll    bool
	coords     map[osm.NodeID]osmCoord
	ways       []osmWay
	facilities []OSMFacility
	skipped    int
}

// osmScanner is what the PBF and XML scanners share.
type osmScanner interface {
	Scan() bool
	Object() osm.Object
	Err() error
	Close() error
}

// sniffLen is how much of the file is looked at to recognise its format.
const sniffLen = 4096

func (rd *osmReader) scan(ctx context.Context, r io.Reader, format string, pass osmPass) error {
	br := bufio.NewReaderSize(r, 64*1024)
	head, err := br.Peek(sniffLen)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return fmt.Errorf("read OpenStreetMap file: %w", err)
	}
	var sc osmScanner
	switch format {
	case "pbf":
		if !bytes.Contains(head[:min(len(head), 64)], []byte("OSMHeader")) {
			return errors.New("read OpenStreetMap file: not an OpenStreetMap PBF file (no OSMHeader block at the start)")
		}
		ps := osmpbf.New(ctx, br, max(1, min(runtime.GOMAXPROCS(0), 4)))
		ps.SkipRelations = true
		ps.SkipNodes = pass == passWays
		ps.SkipWays = pass == passNodes
		sc = ps
	default:
		if !bytes.Contains(head, []byte("<osm")) {
			return errors.New("read OpenStreetMap file: not an OpenStreetMap XML file (no <osm> element at the start)")
		}
		sc = osmxml.New(ctx, br)
	}
	defer sc.Close()
	for sc.Scan() {
		switch o := sc.Object().(type) {
		case *osm.Node:
			if pass != passWays {
				rd.node(o)
			}
		case *osm.Way:
			if pass != passNodes {
				rd.way(o)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("read OpenStreetMap file: %w", err)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read OpenStreetMap %s file: damaged or truncated: %w", format, err)
	}
	return nil
}

func (rd *osmReader) node(n *osm.Node) {
	c, needed := rd.coords[n.ID]
	cat, isFacility := "", false
	if len(n.Tags) > 0 {
		cat, isFacility = CategoryForTags(n.Tags.Map())
	}
	if !needed && !rd.keepAll && !isFacility {
		return
	}
	if geo.ValidLonLat(n.Lon, n.Lat) != nil {
		if isFacility {
			rd.skipped++
		}
		return
	}
	if needed || rd.keepAll {
		c = osmCoord{lon: int32(math.Round(n.Lon * 1e7)), lat: int32(math.Round(n.Lat * 1e7)), ok: true}
		rd.coords[n.ID] = c
	}
	if isFacility {
		tags := n.Tags.Map()
		rd.facilities = append(rd.facilities, OSMFacility{
			Ref:      "node/" + strconv.FormatInt(int64(n.ID), 10),
			Category: cat,
			Name:     osmName(tags),
			Lon:      n.Lon,
			Lat:      n.Lat,
			Tags:     tags,
		})
	}
}

func (rd *osmReader) way(w *osm.Way) {
	if len(w.Tags) == 0 || len(w.Nodes) == 0 {
		return
	}
	tags := w.Tags.Map()
	cat, isFacility := CategoryForTags(tags)
	b, hasBuilding := tags["building"]
	isBuilding := hasBuilding && b != "no"
	if !isFacility && !isBuilding {
		return
	}
	ids := make([]osm.NodeID, len(w.Nodes))
	for i, wn := range w.Nodes {
		ids[i] = wn.ID
		if !rd.keepAll {
			if _, ok := rd.coords[wn.ID]; !ok {
				rd.coords[wn.ID] = osmCoord{}
			}
		}
	}
	rd.ways = append(rd.ways, osmWay{id: w.ID, nodes: ids, tags: tags, category: cat, building: isBuilding})
}

// finish builds the geometries of the kept ways and sorts the results.
func (rd *osmReader) finish() *OSMFeatures {
	out := &OSMFeatures{Facilities: rd.facilities, Skipped: rd.skipped}
	slices.SortFunc(rd.ways, func(a, b osmWay) int { return cmp.Compare(a.id, b.id) })
	for _, w := range rd.ways {
		line, ok := rd.line(w.nodes)
		if !ok {
			out.Skipped++
			continue
		}
		ref := "way/" + strconv.FormatInt(int64(w.id), 10)
		closed := len(line) >= 4 && w.nodes[0] == w.nodes[len(w.nodes)-1]
		var poly orb.Polygon
		var area float64
		footprint := ""
		if closed {
			poly = orb.Polygon{orb.Ring(line)}
			area = geo.AreaM2(poly)
			if area > 0 && geo.Validate(poly) == nil {
				footprint, _ = geo.MarshalGeometry(poly)
			}
		}
		bad := false
		if w.building {
			if footprint == "" {
				bad = true
			} else {
				lon, lat := geo.Centroid(poly)
				minLon, minLat, maxLon, maxLat := geo.Bound(poly)
				out.Buildings = append(out.Buildings, OSMBuilding{
					Ref:       ref,
					Name:      osmName(w.tags),
					Levels:    osmLevels(w.tags["building:levels"]),
					Kind:      w.tags["building"],
					Footprint: footprint,
					Lon:       lon,
					Lat:       lat,
					BBox:      BBox{MinLon: minLon, MinLat: minLat, MaxLon: maxLon, MaxLat: maxLat},
					Tags:      w.tags,
				})
			}
		}
		if w.category != "" {
			f := OSMFacility{Ref: ref, Category: w.category, Name: osmName(w.tags), Tags: w.tags}
			if footprint != "" {
				f.Lon, f.Lat = geo.Centroid(poly)
				f.Geometry = footprint
				switch f.Category {
				case "sports_medium":
					if area >= SportsLargeM2 {
						f.Category = "sports_large"
					}
					f.SiteAreaDM2 = int64(math.Round(area * 100))
				case "park":
					f.SiteAreaDM2 = int64(math.Round(area * 100))
				}
			} else {
				// An open way (or a closed one with no area): its middle.
				f.Lon, f.Lat = geo.Centroid(orb.LineString(line))
			}
			out.Facilities = append(out.Facilities, f)
		}
		if bad {
			out.Skipped++
		}
	}
	slices.SortStableFunc(out.Facilities, func(a, b OSMFacility) int {
		ka, ia := splitRef(a.Ref)
		kb, ib := splitRef(b.Ref)
		return cmp.Or(cmp.Compare(ka, kb), cmp.Compare(ia, ib))
	})
	return out
}

// line returns the positions of a way's nodes; ok is false if any is missing.
func (rd *osmReader) line(ids []osm.NodeID) ([]orb.Point, bool) {
	pts := make([]orb.Point, len(ids))
	for i, id := range ids {
		c, ok := rd.coords[id]
		if !ok || !c.ok {
			return nil, false
		}
		pts[i] = orb.Point{float64(c.lon) / 1e7, float64(c.lat) / 1e7}
	}
	return pts, true
}

// splitRef splits "node/12" into its kind and number for sorting.
func splitRef(ref string) (string, int64) {
	kind, num, _ := strings.Cut(ref, "/")
	n, _ := strconv.ParseInt(num, 10, 64)
	return kind, n
}

// osmName picks the name of an object, preferring the Chinese one.
func osmName(tags map[string]string) string {
	for _, k := range []string{"name", "name:zh", "name:zh-Hans", "name:en", "official_name"} {
		if v := strings.TrimSpace(tags[k]); v != "" {
			return v
		}
	}
	return ""
}

// osmLevels reads building:levels ("6", "5.5", "6;7"), 0 when unknown.
func osmLevels(s string) int {
	s = strings.TrimSpace(s)
	end := 0
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == '.') {
		end++
	}
	f, err := strconv.ParseFloat(s[:end], 64)
	if err != nil || f <= 0 || f > 500 {
		return 0
	}
	return int(f)
}

// CategoryForTags maps OpenStreetMap tags to a facility category code of
// Categories; ok is false for objects that are not a facility the platform
// counts. Sports grounds come back as sports_medium: ReadOSM upgrades those of at
// least SportsLargeM2 to sports_large. Parks, sports grounds, toilets and
// parking tagged access=private or no are not public and are left out (schools
// and kindergartens often carry that tag for their grounds and are kept).
func CategoryForTags(tags map[string]string) (string, bool) {
	private := tags["access"] == "private" || tags["access"] == "no"
	name := strings.ToLower(tags["name"] + " " + tags["name:zh"] + " " + tags["name:en"])
	switch tags["healthcare"] {
	case "centre":
		return "health_centre", true
	case "hospital":
		return "health_centre", true
	}
	switch tags["amenity"] {
	case "kindergarten":
		return "kindergarten", true
	case "childcare":
		return "nursery", true
	case "school":
		return schoolCategory(tags, name), true
	case "clinic", "doctors":
		if strings.Contains(name, "卫生服务中心") {
			return "health_centre", true
		}
		return "health_station", true
	case "hospital":
		return "health_centre", true
	case "nursing_home":
		return "elderly_home", true
	case "social_facility":
		return socialFacilityCategory(tags, name)
	case "community_centre":
		return "community_service", true
	case "arts_centre", "library":
		return "culture_station", true
	case "marketplace":
		return "market", true
	case "toilets":
		if !private {
			return "public_toilet", true
		}
	case "waste_disposal", "recycling":
		return "waste_collection", true
	case "charging_station":
		return "ev_charging", true
	case "parking":
		if !private {
			return "parking", true
		}
	case "police":
		return "police_station", true
	case "parcel_locker":
		return "parcel_locker", true
	case "vending_machine":
		if strings.Contains(tags["vending"], "parcel") {
			return "parcel_locker", true
		}
	}
	switch tags["healthcare"] {
	case "clinic", "doctor":
		return "health_station", true
	}
	switch tags["shop"] {
	case "supermarket":
		return "supermarket", true
	case "convenience":
		return "convenience_store", true
	}
	if private {
		return "", false
	}
	switch tags["leisure"] {
	case "park":
		return "park", true
	case "garden":
		if publicGarden(tags) {
			return "park", true
		}
	case "pitch", "sports_centre":
		return "sports_medium", true
	case "fitness_station":
		return "fitness", true
	}
	return "", false
}

// schoolCategory tells a primary from a middle school: the ISCED level first,
// then the school type, then words of the name (Chinese, English, French and
// German); a school with primary grades (including nine-year schools) counts as
// primary, and primary is the default.
func schoolCategory(tags map[string]string, name string) string {
	if lv := tags["isced:level"]; lv != "" {
		has := func(d string) bool { return strings.Contains(lv, d) }
		switch {
		case has("1"):
			return "primary_school"
		case has("2") || has("3"):
			return "middle_school"
		}
	}
	for _, k := range []string{"school", "school:type"} {
		switch v := strings.ToLower(tags[k]); {
		case strings.Contains(v, "primary"), strings.Contains(v, "elementary"):
			return "primary_school"
		case strings.Contains(v, "secondary"), strings.Contains(v, "middle"), strings.Contains(v, "high"):
			return "middle_school"
		}
	}
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(name, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("幼儿园", "maternelle", "kindergarten"):
		return "kindergarten"
	case has("小学", "primary", "elementary", "élémentaire", "grundschule"):
		return "primary_school"
	case has("中学", "初中", "高中", "middle school", "high school", "secondary",
		"collège", "college", "lycée", "lycee", "gymnasium", "realschule", "gesamtschule"):
		return "middle_school"
	}
	return "primary_school"
}

// socialFacilityCategory maps amenity=social_facility by its kind and the people
// it serves.
func socialFacilityCategory(tags map[string]string, name string) (string, bool) {
	forWhom := strings.ToLower(tags["social_facility:for"])
	senior := strings.Contains(forWhom, "senior") || strings.Contains(forWhom, "elderly")
	child := strings.Contains(forWhom, "child") || strings.Contains(forWhom, "toddler")
	switch tags["social_facility"] {
	case "nursing_home", "assisted_living":
		return "elderly_home", true
	case "day_care":
		switch {
		case senior, strings.Contains(name, "日间照料"), strings.Contains(name, "老年"):
			return "elderly_daycare", true
		case child:
			return "nursery", true
		}
		return "", false
	case "group_home":
		if senior {
			return "elderly_home", true
		}
	}
	switch {
	case strings.Contains(name, "日间照料"):
		return "elderly_daycare", true
	case strings.Contains(name, "养老院"), strings.Contains(name, "敬老院"), strings.Contains(name, "福利院") && senior:
		return "elderly_home", true
	}
	return "", false
}

// publicGarden reports whether a leisure=garden is open to the public: gardens
// of houses are left out, named gardens and those marked public count.
func publicGarden(tags map[string]string) bool {
	gt := tags["garden:type"]
	if gt == "residential" || gt == "private" {
		return false
	}
	switch tags["access"] {
	case "customers", "permit", "destination":
		return false
	case "yes", "public", "permissive":
		return true
	}
	switch gt {
	case "botanical", "community", "public":
		return true
	}
	return tags["name"] != ""
}
