package geo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"
)

// GeoJSON geometry type names accepted by ParseGeometry.
const (
	KindPoint           = "Point"
	KindMultiPoint      = "MultiPoint"
	KindLineString      = "LineString"
	KindMultiLineString = "MultiLineString"
	KindPolygon         = "Polygon"
	KindMultiPolygon    = "MultiPolygon"
)

// allKinds is the list used when ParseGeometry is given no kinds.
var allKinds = []string{KindPoint, KindMultiPoint, KindLineString, KindMultiLineString, KindPolygon, KindMultiPolygon}

// knownTypes lists every GeoJSON type name, for case-insensitive matching.
var knownTypes = []string{KindPoint, KindMultiPoint, KindLineString, KindMultiLineString, KindPolygon, KindMultiPolygon,
	"Feature", "FeatureCollection", "GeometryCollection"}

// geoJSONObject holds the members of a GeoJSON object that the parser reads.
type geoJSONObject struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
	Geometry    json.RawMessage `json:"geometry"`
}

// ParseGeometry reads one GeoJSON geometry object, or a Feature whose geometry is
// taken, and checks it thoroughly: the type must be one of kinds (any simple
// geometry type when none are given), every position a valid WGS-84 longitude and
// latitude, every line at least two positions, and every polygon ring closed, with
// at least four positions and a non-zero area. Errors say in plain words what is
// wrong and where.
func ParseGeometry(text string, kinds ...string) (orb.Geometry, error) {
	if len(kinds) == 0 {
		kinds = allKinds
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, errors.New("geometry is empty")
	}
	var obj geoJSONObject
	if err := decodeStrict(text, &obj); err != nil {
		return nil, fmt.Errorf("geometry is not a GeoJSON object: %w", err)
	}
	typ := canonicalKind(obj.Type)
	switch typ {
	case "":
		return nil, errors.New(`geometry has no "type" member`)
	case "Feature":
		raw := bytes.TrimSpace(obj.Geometry)
		if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
			return nil, errors.New("feature has no geometry")
		}
		var inner geoJSONObject
		if err := decodeStrict(string(raw), &inner); err != nil {
			return nil, fmt.Errorf("feature geometry is not a GeoJSON object: %w", err)
		}
		if canonicalKind(inner.Type) == "Feature" {
			return nil, errors.New("feature geometry is itself a feature")
		}
		obj = inner
		typ = canonicalKind(obj.Type)
		if typ == "" {
			return nil, errors.New(`feature geometry has no "type" member`)
		}
	case "FeatureCollection":
		return nil, errors.New("a FeatureCollection holds many geometries: give a single geometry or Feature")
	}
	allowed := false
	for _, k := range kinds {
		if strings.EqualFold(k, typ) {
			allowed = true
			break
		}
	}
	if !allowed {
		return nil, fmt.Errorf("geometry type %q is not allowed here: use %s", obj.Type, strings.Join(kinds, " or "))
	}
	raw := bytes.TrimSpace(obj.Coordinates)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, fmt.Errorf("%s has no coordinates", typ)
	}
	g, err := parseCoordinates(typ, raw)
	if err != nil {
		return nil, err
	}
	return g, nil
}

// parseCoordinates decodes and checks the coordinates of a geometry of type typ.
func parseCoordinates(typ string, raw json.RawMessage) (orb.Geometry, error) {
	switch typ {
	case KindPoint:
		var c []float64
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, errors.New("point coordinates must be [longitude, latitude]")
		}
		return parsePosition(c, "point")
	case KindMultiPoint:
		var cs [][]float64
		if err := json.Unmarshal(raw, &cs); err != nil {
			return nil, errors.New("multipoint coordinates must be a list of [longitude, latitude] positions")
		}
		if len(cs) == 0 {
			return nil, errors.New("multipoint has no points")
		}
		mp := make(orb.MultiPoint, len(cs))
		for i, c := range cs {
			p, err := parsePosition(c, fmt.Sprintf("point %d", i+1))
			if err != nil {
				return nil, err
			}
			mp[i] = p
		}
		return mp, nil
	case KindLineString:
		var cs [][]float64
		if err := json.Unmarshal(raw, &cs); err != nil {
			return nil, errors.New("linestring coordinates must be a list of [longitude, latitude] positions")
		}
		return parseLine(cs, "line")
	case KindMultiLineString:
		var css [][][]float64
		if err := json.Unmarshal(raw, &css); err != nil {
			return nil, errors.New("multilinestring coordinates must be a list of lines, each a list of [longitude, latitude] positions")
		}
		if len(css) == 0 {
			return nil, errors.New("multilinestring has no lines")
		}
		ml := make(orb.MultiLineString, len(css))
		for i, cs := range css {
			l, err := parseLine(cs, fmt.Sprintf("line %d", i+1))
			if err != nil {
				return nil, err
			}
			ml[i] = l
		}
		return ml, nil
	case KindPolygon:
		var css [][][]float64
		if err := json.Unmarshal(raw, &css); err != nil {
			return nil, errors.New("polygon coordinates must be a list of rings, each a list of [longitude, latitude] positions")
		}
		return parsePolygon(css, "polygon")
	case KindMultiPolygon:
		var csss [][][][]float64
		if err := json.Unmarshal(raw, &csss); err != nil {
			return nil, errors.New("multipolygon coordinates must be a list of polygons, each a list of rings of [longitude, latitude] positions")
		}
		if len(csss) == 0 {
			return nil, errors.New("multipolygon has no polygons")
		}
		mp := make(orb.MultiPolygon, len(csss))
		for i, css := range csss {
			p, err := parsePolygon(css, fmt.Sprintf("polygon %d", i+1))
			if err != nil {
				return nil, err
			}
			mp[i] = p
		}
		return mp, nil
	}
	return nil, fmt.Errorf("geometry type %q is not supported", typ)
}

// decodeStrict decodes one JSON object and rejects trailing data.
func decodeStrict(text string, v any) error {
	dec := json.NewDecoder(strings.NewReader(text))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("unexpected data after the object")
	}
	return nil
}

// canonicalKind maps a type name to its GeoJSON spelling, ignoring case.
func canonicalKind(t string) string {
	for _, k := range knownTypes {
		if strings.EqualFold(k, t) {
			return k
		}
	}
	return t
}

// parsePosition checks one GeoJSON position; where names the thing it belongs to.
func parsePosition(c []float64, where string) (orb.Point, error) {
	if len(c) < 2 {
		return orb.Point{}, fmt.Errorf("%s has %d numbers, it needs a longitude and a latitude", where, len(c))
	}
	lon, lat := c[0], c[1]
	if lon < -180 || lon > 180 {
		return orb.Point{}, fmt.Errorf("%s has longitude %v, outside -180..180", where, lon)
	}
	if lat < -90 || lat > 90 {
		return orb.Point{}, fmt.Errorf("%s has latitude %v, outside -90..90", where, lat)
	}
	return orb.Point{lon, lat}, nil
}

// parseLine checks the positions of a line.
func parseLine(cs [][]float64, where string) (orb.LineString, error) {
	if len(cs) < 2 {
		return nil, fmt.Errorf("%s has %d positions, a line needs at least 2", where, len(cs))
	}
	l := make(orb.LineString, len(cs))
	for i, c := range cs {
		p, err := parsePosition(c, fmt.Sprintf("%s coordinate %d", where, i+1))
		if err != nil {
			return nil, err
		}
		l[i] = p
	}
	return l, nil
}

// parsePolygon checks the rings of a polygon: ring 1 is the outer boundary, the
// others are holes.
func parsePolygon(css [][][]float64, where string) (orb.Polygon, error) {
	if len(css) == 0 {
		return nil, fmt.Errorf("%s has no rings", where)
	}
	p := make(orb.Polygon, len(css))
	for i, cs := range css {
		rw := fmt.Sprintf("%s ring %d", where, i+1)
		if len(cs) < 4 {
			return nil, fmt.Errorf("%s has %d positions, a ring needs at least 4 (the last repeating the first)", rw, len(cs))
		}
		r := make(orb.Ring, len(cs))
		for j, c := range cs {
			pt, err := parsePosition(c, fmt.Sprintf("%s coordinate %d", rw, j+1))
			if err != nil {
				return nil, err
			}
			r[j] = pt
		}
		if err := checkRing(r, rw); err != nil {
			return nil, err
		}
		p[i] = r
	}
	return p, nil
}

// checkRing checks the shape of a ring whose positions are valid.
func checkRing(r orb.Ring, where string) error {
	if len(r) < 4 {
		return fmt.Errorf("%s has %d positions, a ring needs at least 4 (the last repeating the first)", where, len(r))
	}
	if r[0] != r[len(r)-1] {
		return fmt.Errorf("%s is not closed: its last position must repeat the first", where)
	}
	if !hasArea(r) {
		return fmt.Errorf("%s has no area: its positions lie on one line", where)
	}
	return nil
}

// hasArea reports whether a ring encloses an area that is more than rounding
// noise: at least a billionth of its bounding box.
func hasArea(r orb.Ring) bool {
	b := r.Bound()
	box := (b.Max[0] - b.Min[0]) * (b.Max[1] - b.Min[1])
	return math.Abs(planarRingArea(r)) > 1e-9*box
}

// Validate applies the checks of ParseGeometry to a geometry built in code:
// valid positions, lines of at least two positions, closed rings of at least
// four positions with a non-zero area. Bounds and collections are checked part
// by part.
func Validate(g orb.Geometry) error {
	checkPoints := func(ps []orb.Point, where string) error {
		for i, p := range ps {
			if err := ValidLonLat(p[0], p[1]); err != nil {
				return fmt.Errorf("%s coordinate %d: %w", where, i+1, err)
			}
		}
		return nil
	}
	checkLine := func(l orb.LineString, where string) error {
		if len(l) < 2 {
			return fmt.Errorf("%s has %d positions, a line needs at least 2", where, len(l))
		}
		return checkPoints(l, where)
	}
	checkPolygon := func(p orb.Polygon, where string) error {
		if len(p) == 0 {
			return fmt.Errorf("%s has no rings", where)
		}
		for i, r := range p {
			rw := fmt.Sprintf("%s ring %d", where, i+1)
			if err := checkPoints(r, rw); err != nil {
				return err
			}
			if err := checkRing(r, rw); err != nil {
				return err
			}
		}
		return nil
	}
	switch g := g.(type) {
	case nil:
		return errors.New("no geometry")
	case orb.Point:
		if err := ValidLonLat(g[0], g[1]); err != nil {
			return fmt.Errorf("point: %w", err)
		}
	case orb.MultiPoint:
		if len(g) == 0 {
			return errors.New("multipoint has no points")
		}
		return checkPoints(g, "multipoint")
	case orb.LineString:
		return checkLine(g, "line")
	case orb.MultiLineString:
		if len(g) == 0 {
			return errors.New("multilinestring has no lines")
		}
		for i, l := range g {
			if err := checkLine(l, fmt.Sprintf("line %d", i+1)); err != nil {
				return err
			}
		}
	case orb.Ring:
		return checkPolygon(orb.Polygon{g}, "polygon")
	case orb.Polygon:
		return checkPolygon(g, "polygon")
	case orb.MultiPolygon:
		if len(g) == 0 {
			return errors.New("multipolygon has no polygons")
		}
		for i, p := range g {
			if err := checkPolygon(p, fmt.Sprintf("polygon %d", i+1)); err != nil {
				return err
			}
		}
	case orb.Bound:
		return checkPolygon(g.ToPolygon(), "box")
	case orb.Collection:
		for i, c := range g {
			if err := Validate(c); err != nil {
				return fmt.Errorf("part %d: %w", i+1, err)
			}
		}
	default:
		return fmt.Errorf("unsupported geometry type %T", g)
	}
	return nil
}

// planarRingArea returns the signed shoelace area of a ring in square degrees,
// computed relative to the first position to keep precision.
func planarRingArea(r orb.Ring) float64 {
	if len(r) < 3 {
		return 0
	}
	o := r[0]
	s := 0.0
	for i := 0; i+1 < len(r); i++ {
		x1, y1 := r[i][0]-o[0], r[i][1]-o[1]
		x2, y2 := r[i+1][0]-o[0], r[i+1][1]-o[1]
		s += x1*y2 - x2*y1
	}
	return s / 2
}

// mapPoints returns a copy of g with f applied to every position.
func mapPoints(g orb.Geometry, f func(orb.Point) orb.Point) orb.Geometry {
	mapLine := func(l []orb.Point) []orb.Point {
		out := make([]orb.Point, len(l))
		for i, p := range l {
			out[i] = f(p)
		}
		return out
	}
	mapPolygon := func(p orb.Polygon) orb.Polygon {
		out := make(orb.Polygon, len(p))
		for i, r := range p {
			out[i] = mapLine(r)
		}
		return out
	}
	switch g := g.(type) {
	case orb.Point:
		return f(g)
	case orb.MultiPoint:
		return orb.MultiPoint(mapLine(g))
	case orb.LineString:
		return orb.LineString(mapLine(g))
	case orb.MultiLineString:
		out := make(orb.MultiLineString, len(g))
		for i, l := range g {
			out[i] = mapLine(l)
		}
		return out
	case orb.Ring:
		return orb.Ring(mapLine(g))
	case orb.Polygon:
		return mapPolygon(g)
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(g))
		for i, p := range g {
			out[i] = mapPolygon(p)
		}
		return out
	case orb.Bound:
		return mapPolygon(g.ToPolygon())
	case orb.Collection:
		out := make(orb.Collection, len(g))
		for i, c := range g {
			out[i] = mapPoints(c, f)
		}
		return out
	}
	return g
}

// TransformGeometry returns a copy of g with every position converted from crs to
// WGS-84. A Bound becomes a Polygon, since a converted box is no longer aligned
// with the axes.
func TransformGeometry(g orb.Geometry, crs CRS) orb.Geometry {
	if g == nil {
		return nil
	}
	return mapPoints(g, func(p orb.Point) orb.Point {
		lon, lat := ToWGS84(crs, p[0], p[1])
		return orb.Point{lon, lat}
	})
}

// Centroid returns the centre of mass of g: area-weighted for polygons (holes
// taken out), length-weighted for lines, the mean for points. It returns 0, 0 for
// nil or empty geometries.
func Centroid(g orb.Geometry) (lon, lat float64) {
	c, _ := centroidWeight(g)
	return c[0], c[1]
}

// weight says how much a part counts towards a centroid: areal parts outrank
// lines, lines outrank points.
type weight struct {
	dim int     // 2 areal, 1 linear, 0 points, -1 empty
	w   float64 // area, length or count
}

// centroidWeight returns the centroid of g and its weight.
func centroidWeight(g orb.Geometry) (orb.Point, weight) {
	switch g := g.(type) {
	case orb.Point:
		return g, weight{0, 1}
	case orb.MultiPoint:
		return meanPoint(g)
	case orb.LineString:
		return lineCentroid([]orb.LineString{g})
	case orb.MultiLineString:
		return lineCentroid(g)
	case orb.Ring:
		return polygonsCentroid([]orb.Polygon{{g}})
	case orb.Polygon:
		return polygonsCentroid([]orb.Polygon{g})
	case orb.MultiPolygon:
		return polygonsCentroid(g)
	case orb.Bound:
		return g.Center(), weight{2, (g.Max[0] - g.Min[0]) * (g.Max[1] - g.Min[1])}
	case orb.Collection:
		best := weight{-1, 0}
		var sx, sy float64
		for _, c := range g {
			p, w := centroidWeight(c)
			switch {
			case w.dim > best.dim:
				best = w
				sx, sy = p[0]*w.w, p[1]*w.w
			case w.dim == best.dim && w.dim >= 0:
				best.w += w.w
				sx += p[0] * w.w
				sy += p[1] * w.w
			}
		}
		if best.dim < 0 || best.w == 0 {
			return orb.Point{}, weight{-1, 0}
		}
		return orb.Point{sx / best.w, sy / best.w}, best
	}
	return orb.Point{}, weight{-1, 0}
}

func meanPoint(ps []orb.Point) (orb.Point, weight) {
	if len(ps) == 0 {
		return orb.Point{}, weight{-1, 0}
	}
	var sx, sy float64
	for _, p := range ps {
		sx += p[0]
		sy += p[1]
	}
	n := float64(len(ps))
	return orb.Point{sx / n, sy / n}, weight{0, n}
}

func lineCentroid(ls []orb.LineString) (orb.Point, weight) {
	var sx, sy, total float64
	var all []orb.Point
	for _, l := range ls {
		all = append(all, l...)
		for i := 0; i+1 < len(l); i++ {
			d := math.Hypot(l[i+1][0]-l[i][0], l[i+1][1]-l[i][1])
			sx += (l[i][0] + l[i+1][0]) / 2 * d
			sy += (l[i][1] + l[i+1][1]) / 2 * d
			total += d
		}
	}
	if total == 0 {
		return meanPoint(all)
	}
	return orb.Point{sx / total, sy / total}, weight{1, total}
}

// polygonsCentroid computes the area-weighted centroid with the shoelace formula
// relative to a local origin; holes count negatively whatever their winding.
func polygonsCentroid(ps []orb.Polygon) (orb.Point, weight) {
	var origin orb.Point
	found := false
	for _, p := range ps {
		if len(p) > 0 && len(p[0]) > 0 {
			origin, found = p[0][0], true
			break
		}
	}
	if !found {
		return orb.Point{}, weight{-1, 0}
	}
	var sa, sx, sy float64
	for _, p := range ps {
		for ri, r := range p {
			a, cx, cy := ringMoments(r, origin)
			if (ri == 0) != (a > 0) {
				a, cx, cy = -a, -cx, -cy
			}
			sa += a
			sx += cx
			sy += cy
		}
	}
	if sa == 0 {
		var outer []orb.Point
		for _, p := range ps {
			if len(p) > 0 {
				outer = append(outer, p[0]...)
			}
		}
		c, _ := meanPoint(outer)
		return c, weight{2, 0}
	}
	return orb.Point{origin[0] + sx/(3*sa), origin[1] + sy/(3*sa)}, weight{2, math.Abs(sa)}
}

// ringMoments returns the signed area A of r and Σ(xᵢ+xᵢ₊₁)·crossᵢ/2 and
// Σ(yᵢ+yᵢ₊₁)·crossᵢ/2, all relative to origin; the centroid is those sums divided
// by 3A, and sums over several rings give the combined centroid.
func ringMoments(r orb.Ring, origin orb.Point) (a, mx, my float64) {
	n := len(r)
	if n < 3 {
		return 0, 0, 0
	}
	for i := range n {
		p, q := r[i], r[(i+1)%n]
		x1, y1 := p[0]-origin[0], p[1]-origin[1]
		x2, y2 := q[0]-origin[0], q[1]-origin[1]
		cross := x1*y2 - x2*y1
		a += cross
		mx += (x1 + x2) * cross
		my += (y1 + y2) * cross
	}
	return a / 2, mx / 2, my / 2
}

// AreaM2 returns the area in square metres of the polygons in g (holes taken
// out), on the sphere of radius EarthRadius; lines and points have no area.
func AreaM2(g orb.Geometry) float64 {
	switch g := g.(type) {
	case orb.Ring:
		return math.Abs(sphericalRingArea(g))
	case orb.Polygon:
		return polygonArea(g)
	case orb.MultiPolygon:
		s := 0.0
		for _, p := range g {
			s += polygonArea(p)
		}
		return s
	case orb.Bound:
		return math.Abs(sphericalRingArea(g.ToRing()))
	case orb.Collection:
		s := 0.0
		for _, c := range g {
			s += AreaM2(c)
		}
		return s
	}
	return 0
}

func polygonArea(p orb.Polygon) float64 {
	if len(p) == 0 {
		return 0
	}
	a := math.Abs(sphericalRingArea(p[0]))
	for _, h := range p[1:] {
		a -= math.Abs(sphericalRingArea(h))
	}
	return max(a, 0)
}

// sphericalRingArea returns the signed area of a ring on the sphere, summing
// (λ2−λ1)·(2 + sin φ1 + sin φ2) over its edges.
func sphericalRingArea(r orb.Ring) float64 {
	n := len(r)
	if n < 3 {
		return 0
	}
	s := 0.0
	for i := range n {
		p, q := r[i], r[(i+1)%n]
		dl := (q[0] - p[0]) * math.Pi / 180
		s += dl * (2 + math.Sin(p[1]*math.Pi/180) + math.Sin(q[1]*math.Pi/180))
	}
	return s * EarthRadius * EarthRadius / 2
}

// Bound returns the bounding box of g; all zero for nil.
func Bound(g orb.Geometry) (minLon, minLat, maxLon, maxLat float64) {
	if g == nil {
		return 0, 0, 0, 0
	}
	b := g.Bound()
	return b.Min[0], b.Min[1], b.Max[0], b.Max[1]
}

// Contains reports whether the position lies inside a Polygon or MultiPolygon
// (or Ring or Bound), holes excluded; points on a boundary count as inside.
// Other geometry types contain nothing.
func Contains(g orb.Geometry, lon, lat float64) bool {
	pt := orb.Point{lon, lat}
	switch g := g.(type) {
	case orb.Ring:
		return len(g) > 0 && planar.RingContains(g, pt)
	case orb.Polygon:
		return polygonContains(g, pt)
	case orb.MultiPolygon:
		for _, p := range g {
			if polygonContains(p, pt) {
				return true
			}
		}
	case orb.Bound:
		return g.Contains(pt)
	case orb.Collection:
		for _, c := range g {
			if Contains(c, lon, lat) {
				return true
			}
		}
	}
	return false
}

func polygonContains(p orb.Polygon, pt orb.Point) bool {
	if len(p) == 0 || len(p[0]) == 0 {
		return false
	}
	if !planar.RingContains(p[0], pt) {
		return false
	}
	for _, h := range p[1:] {
		if len(h) > 0 && planar.RingContains(h, pt) {
			// on the edge of a hole counts as inside the polygon's boundary
			if onRingEdge(h, pt) {
				return true
			}
			return false
		}
	}
	return true
}

// onRingEdge reports whether pt lies exactly on an edge of r.
func onRingEdge(r orb.Ring, pt orb.Point) bool {
	n := len(r)
	for i := range n {
		a, b := r[i], r[(i+1)%n]
		cross := (b[0]-a[0])*(pt[1]-a[1]) - (b[1]-a[1])*(pt[0]-a[0])
		if cross != 0 {
			continue
		}
		if pt[0] >= math.Min(a[0], b[0]) && pt[0] <= math.Max(a[0], b[0]) &&
			pt[1] >= math.Min(a[1], b[1]) && pt[1] <= math.Max(a[1], b[1]) {
			return true
		}
	}
	return false
}

// MarshalGeometry writes g as GeoJSON geometry text (a Ring or Bound becomes a
// Polygon).
func MarshalGeometry(g orb.Geometry) (string, error) {
	if g == nil {
		return "", errors.New("no geometry to write")
	}
	b, err := geojson.NewGeometry(g).MarshalJSON()
	if err != nil {
		return "", fmt.Errorf("write geometry as GeoJSON: %w", err)
	}
	return string(b), nil
}
