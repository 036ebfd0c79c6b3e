package places

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gengxin/gengxin/internal/geo"
)

// geoJSONFeature is one feature as read from the file.
type geoJSONFeature struct {
	Type       string                     `json:"type"`
	ID         json.RawMessage            `json:"id"`
	Properties map[string]json.RawMessage `json:"properties"`
	Geometry   json.RawMessage            `json:"geometry"`
}

// readGeoJSON reads a FeatureCollection whose features carry the columns of
// objectType as properties and, for placed objects, a geometry; it hands every
// feature to emit as a record. File problems go to errs; the error return is for
// I/O failures only. It returns the number of features.
func readGeoJSON(ctx context.Context, r io.Reader, objectType string, crs geo.CRS, errs *collector, emit func(*record)) (int, error) {
	data, err := io.ReadAll(skipBOM(r))
	if errors.Is(err, errTooLarge) {
		errs.add(RowError{Line: 1, Reason: errTooLarge.Error()})
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		errs.add(RowError{Line: 1, Reason: "the file is empty: expected a GeoJSON FeatureCollection"})
		return 0, nil
	}
	if !utf8.Valid(data) {
		errs.add(RowError{Line: 1, Reason: "the file is not UTF-8 text: GeoJSON must be saved as UTF-8"})
		return 0, nil
	}
	g := &geoJSONReader{data: data, objectType: objectType, crs: crs, errs: errs, emit: emit, unknown: make(map[string]bool)}
	g.index = make(map[string]int)
	for i, c := range importColumns[objectType] {
		g.index[c.Name] = i
	}
	return g.read(ctx)
}

type geoJSONReader struct {
	data       []byte
	objectType string
	crs        geo.CRS
	errs       *collector
	emit       func(*record)
	index      map[string]int
	unknown    map[string]bool // unknown property names already reported
	rows       int
	// line counting: lineAt holds the line of byte offset offAt.
	offAt, lineAt int
}

// lineOf returns the 1-based line of byte offset off (offsets only grow).
func (g *geoJSONReader) lineOf(off int) int {
	if g.lineAt == 0 {
		g.lineAt = 1
	}
	if off < g.offAt {
		g.offAt, g.lineAt = 0, 1
	}
	off = min(off, len(g.data))
	g.lineAt += bytes.Count(g.data[g.offAt:off], []byte{'\n'})
	g.offAt = off
	return g.lineAt
}

// syntax reports a JSON syntax error at its line and stops reading.
func (g *geoJSONReader) syntax(dec *json.Decoder, err error) {
	off := int(dec.InputOffset())
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = int(se.Offset)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = errors.New("the file ends in the middle of the JSON text")
		off = len(g.data)
	}
	g.errs.add(RowError{Line: g.lineOf(off), Reason: "broken JSON: " + err.Error()})
}

func (g *geoJSONReader) read(ctx context.Context) (int, error) {
	dec := json.NewDecoder(bytes.NewReader(g.data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		g.syntax(dec, err)
		return 0, nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		g.errs.add(RowError{Line: 1, Reason: "expected a GeoJSON FeatureCollection object"})
		return 0, nil
	}
	typ, sawFeatures := "", false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			g.syntax(dec, err)
			return g.rows, nil
		}
		key, _ := tok.(string)
		switch key {
		case "type":
			var v any
			if err := dec.Decode(&v); err != nil {
				g.syntax(dec, err)
				return g.rows, nil
			}
			typ, _ = v.(string)
			if typ != "FeatureCollection" {
				g.errs.add(RowError{Line: g.lineOf(int(dec.InputOffset())), Reason: fmt.Sprintf("the file is a GeoJSON %q, not a FeatureCollection", typ)})
				return g.rows, nil
			}
		case "features":
			sawFeatures = true
			ok, err := g.features(ctx, dec)
			if err != nil {
				return g.rows, err
			}
			if !ok {
				return g.rows, nil
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				g.syntax(dec, err)
				return g.rows, nil
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		g.syntax(dec, err)
		return g.rows, nil
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		g.errs.add(RowError{Line: g.lineOf(int(dec.InputOffset())), Reason: "unexpected text after the FeatureCollection"})
	}
	if typ != "FeatureCollection" {
		g.errs.add(RowError{Line: 1, Reason: `the file has no "type": "FeatureCollection"`})
	} else if !sawFeatures {
		g.errs.add(RowError{Line: 1, Reason: `the FeatureCollection has no "features" list`})
	}
	return g.rows, nil
}

// features reads the features array; ok is false when reading had to stop.
func (g *geoJSONReader) features(ctx context.Context, dec *json.Decoder) (bool, error) {
	tok, err := dec.Token()
	if err != nil {
		g.syntax(dec, err)
		return false, nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		g.errs.add(RowError{Line: g.lineOf(int(dec.InputOffset())), Reason: `"features" must be a list`})
		return false, nil
	}
	for dec.More() {
		start := int(dec.InputOffset())
		for start < len(g.data) && strings.IndexByte(" \t\r\n,", g.data[start]) >= 0 {
			start++
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			g.syntax(dec, err)
			return false, nil
		}
		g.rows++
		if g.rows > MaxImportRows {
			g.errs.add(RowError{Line: g.lineOf(start), Feature: g.rows, Reason: fmt.Sprintf("the file has more than %d features: split it into smaller files", MaxImportRows)})
			g.rows--
			return false, nil
		}
		if g.rows%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return false, err
			}
		}
		g.feature(raw, pos{line: g.lineOf(start), feature: g.rows})
	}
	if _, err := dec.Token(); err != nil {
		g.syntax(dec, err)
		return false, nil
	}
	return true, nil
}

// feature turns one feature into a record.
func (g *geoJSONReader) feature(raw json.RawMessage, at pos) {
	fail := func(field, format string, args ...any) {
		g.errs.add(RowError{Line: at.line, Feature: at.feature, Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	var f geoJSONFeature
	if err := json.Unmarshal(raw, &f); err != nil {
		fail("", "not a GeoJSON Feature object: properties must be an object")
		return
	}
	if f.Type != "Feature" {
		fail("type", `expected "type": "Feature", found %q`, f.Type)
		return
	}
	cols := importColumns[g.objectType]
	rec := &record{line: at.line, feature: at.feature, vals: make([]string, len(cols))}
	for name, v := range f.Properties {
		i, ok := g.index[name]
		if !ok {
			if !g.unknown[name] {
				g.unknown[name] = true
				fail(name, "unknown property %q: %s features have the properties %s", name, g.objectType, strings.Join(ColumnNames(g.objectType), ", "))
			}
			continue
		}
		s, err := propertyText(v)
		if err != nil {
			fail(name, "%v", err)
			continue
		}
		rec.vals[i] = s
	}
	if i, ok := g.index["code"]; ok && rec.vals[i] == "" && len(f.ID) > 0 {
		if s, err := propertyText(f.ID); err == nil {
			rec.vals[i] = s
		}
	}
	// A feature with a bad geometry is still checked field by field; the file is
	// rejected anyway because the problem was reported.
	rec.badGeometry = !g.geometry(f.Geometry, rec, fail)
	g.emit(rec)
}

// geometry puts the feature's geometry into the record: a Point fills lon and lat
// (unless the properties give them), any other shape fills the geometry column of
// the object type. It returns false after reporting a problem.
func (g *geoJSONReader) geometry(raw json.RawMessage, rec *record, fail func(field, format string, args ...any)) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return true
	}
	var head struct {
		Type        string    `json:"type"`
		Coordinates []float64 `json:"coordinates"`
	}
	_ = json.Unmarshal(raw, &head)
	lonIdx, hasLon := g.index["lon"]
	latIdx := g.index["lat"]
	gcol, hasGeom := geometryColumn[g.objectType]
	switch {
	case strings.EqualFold(head.Type, geo.KindPoint) && hasLon:
		if _, err := geo.ParseGeometry(string(raw), geo.KindPoint); err != nil {
			fail("geometry", "malformed geometry: %v", err)
			return false
		}
		if rec.vals[lonIdx] == "" && rec.vals[latIdx] == "" {
			rec.vals[lonIdx] = strconv.FormatFloat(head.Coordinates[0], 'f', -1, 64)
			rec.vals[latIdx] = strconv.FormatFloat(head.Coordinates[1], 'f', -1, 64)
		}
	case hasGeom:
		i := g.index[gcol]
		if rec.vals[i] == "" {
			rec.vals[i] = string(raw)
		}
	default:
		if hasLon {
			fail("geometry", "malformed geometry: %s features take a Point geometry", g.objectType)
		} else {
			fail("geometry", "%s features carry no geometry: use \"geometry\": null", g.objectType)
		}
		return false
	}
	return true
}

// propertyText turns a property value into the text a CSV cell would hold.
func propertyText(v json.RawMessage) (string, error) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || bytes.Equal(v, []byte("null")) {
		return "", nil
	}
	switch v[0] {
	case '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", fmt.Errorf("bad string: %w", err)
		}
		return strings.TrimSpace(s), nil
	case 't', 'f':
		return string(v), nil
	case '[', '{':
		return string(v), nil
	}
	return string(v), nil
}
