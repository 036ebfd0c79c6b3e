package places

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden export files in testdata/golden")

func impExport(t *testing.T, s *Store, req ExportRequest) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := s.Export(context.Background(), &buf, req); err != nil {
		t.Fatalf("export %+v: %v", req, err)
	}
	return buf.Bytes()
}

func TestExportGolden(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := impSetup(t, d)
		for _, typ := range ObjectTypes {
			for _, format := range []string{FormatCSV, FormatGeoJSON} {
				t.Run(typ+"."+format, func(t *testing.T) {
					got := impExport(t, s, ExportRequest{ObjectType: typ, Format: format})
					if format == FormatGeoJSON && !json.Valid(got) {
						t.Fatalf("not JSON:\n%s", got)
					}
					path := filepath.Join("testdata", "golden", typ+"."+format)
					if *updateGolden && d.Dialect() == db.SQLite {
						if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
							t.Fatal(err)
						}
						if err := os.WriteFile(path, got, 0o644); err != nil {
							t.Fatal(err)
						}
					}
					want, err := os.ReadFile(path)
					if err != nil {
						t.Fatalf("%v (run with -update to create it)", err)
					}
					if !bytes.Equal(got, want) {
						t.Errorf("export differs from %s:\n got: %s\nwant: %s", path, got, want)
					}
				})
			}
		}
	})
}

func TestExportMasksPersonalData(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := impSetup(t, d)
		masked := string(impExport(t, s, ExportRequest{ObjectType: ObjectOwner, Format: FormatCSV}))
		if !strings.Contains(masked, "138****1111") || strings.Contains(masked, "13800001111") ||
			!strings.Contains(masked, "320402********1234") {
			t.Errorf("masked export:\n%s", masked)
		}
		ctx := audit.WithActor(context.Background(), audit.Actor{Kind: audit.ActorUser, ID: 3, Name: "officer"})
		var buf bytes.Buffer
		if err := s.Export(ctx, &buf, ExportRequest{ObjectType: ObjectOwner, Format: FormatCSV, RevealPII: true}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), "13800001111") || !strings.Contains(buf.String(), "320402198801011234") {
			t.Errorf("revealed export:\n%s", buf.String())
		}
		entries, _, err := s.audit.List(ctx, audit.Filter{Action: "pii.reveal"})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].Actor.Name != "officer" {
			t.Errorf("reveal audit: %+v", entries)
		}
	})
}

func TestExportScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := impSetup(t, d)
		for _, c := range []struct {
			path string
			rows int
		}{{"", 1}, {"/1/2/", 1}, {"/1/2/3/4/5/", 1}, {"/1/2/3/4/6/", 0}} {
			for _, typ := range []string{ObjectCompound, ObjectBuilding, ObjectEntrance, ObjectHousehold, ObjectHouseholdOwner, ObjectFacility} {
				out := impExport(t, s, ExportRequest{ObjectType: typ, Format: FormatCSV, RegionPath: c.path})
				if n := bytes.Count(out, []byte("\n")) - 1; n != c.rows {
					t.Errorf("%s in %q: %d rows, want %d", typ, c.path, n, c.rows)
				}
			}
			owners := impExport(t, s, ExportRequest{ObjectType: ObjectOwner, Format: FormatCSV, RegionPath: c.path})
			want := c.rows
			if c.path == "" {
				want = 2 // every owner, linked or not
			}
			if n := bytes.Count(owners, []byte("\n")) - 1; n != want {
				t.Errorf("owners in %q: %d rows, want %d", c.path, n, want)
			}
		}
		for _, req := range []ExportRequest{
			{ObjectType: ObjectCompound, Format: "pdf"},
			{ObjectType: "parcel", Format: FormatCSV},
			{ObjectType: ObjectCompound, Format: FormatCSV, RegionPath: "1/2' OR 1=1"},
		} {
			if err := s.Export(context.Background(), &bytes.Buffer{}, req); !errors.Is(err, ErrBadRequest) {
				t.Errorf("%+v: err %v, want ErrBadRequest", req, err)
			}
		}
	})
}

// TestExportImportRoundTrip exports every table of the fixture, imports the files
// into an empty database in order, and exports again: the files must match.
func TestExportImportRoundTrip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		src := impSetup(t, d)
		dst := impStore(t, dbtest.SQLite(t))
		for _, format := range []string{FormatCSV} {
			for _, typ := range ObjectTypes {
				req := ExportRequest{ObjectType: typ, Format: format, RevealPII: true}
				first := impExport(t, src, req)
				rep, err := dst.Import(impCtx(), ImportRequest{ObjectType: typ, Format: format, Filename: typ + "." + format}, bytes.NewReader(first))
				if err != nil {
					t.Fatal(err)
				}
				if !rep.Committed {
					t.Fatalf("%s: re-import rejected: %s", typ, impErrText(rep.Errors))
				}
				second := impExport(t, dst, req)
				if !bytes.Equal(first, second) {
					t.Errorf("%s round trip differs:\nfirst:  %s\nsecond: %s", typ, first, second)
				}
			}
		}
	})
}

func TestExportGeoJSONReimports(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		src := impSetup(t, d)
		dst := impStore(t, dbtest.SQLite(t))
		for _, typ := range ObjectTypes {
			req := ExportRequest{ObjectType: typ, Format: FormatGeoJSON, RevealPII: true}
			first := impExport(t, src, req)
			rep, err := dst.Import(impCtx(), ImportRequest{ObjectType: typ, Format: FormatGeoJSON}, bytes.NewReader(first))
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Committed {
				t.Fatalf("%s: re-import rejected: %s", typ, impErrText(rep.Errors))
			}
			if second := impExport(t, dst, req); !bytes.Equal(first, second) {
				t.Errorf("%s round trip differs:\nfirst:  %s\nsecond: %s", typ, first, second)
			}
		}
	})
}

func TestExportExcel(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := impSetup(t, d)
		for _, typ := range ObjectTypes {
			out := impExport(t, s, ExportRequest{ObjectType: typ, Format: FormatXLSX})
			f, err := excelize.OpenReader(bytes.NewReader(out))
			if err != nil {
				t.Fatalf("%s: open workbook: %v", typ, err)
			}
			if got := f.GetSheetList(); !slices.Equal(got, []string{typ}) {
				t.Errorf("sheets %v, want [%s]", got, typ)
			}
			rows, err := f.GetRows(typ)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 2 && !(typ == ObjectRegion && len(rows) == 7) && !(typ == ObjectOwner && len(rows) == 3) {
				t.Errorf("%s: %d rows", typ, len(rows))
			}
			if !slices.Equal(rows[0], ColumnNames(typ)) {
				t.Errorf("%s header %v", typ, rows[0])
			}
			style, err := f.GetCellStyle(typ, "A1")
			if err != nil {
				t.Fatal(err)
			}
			st, err := f.GetStyle(style)
			if err != nil || st.Font == nil || !st.Font.Bold {
				t.Errorf("%s: header not bold (%v)", typ, err)
			}
			panes, err := f.GetPanes(typ)
			if err != nil || !panes.Freeze || panes.YSplit != 1 {
				t.Errorf("%s: header not frozen: %+v %v", typ, panes, err)
			}
			if typ == ObjectHousehold {
				if rows[1][0] != "C1-B1-101" || rows[1][5] != "68.50" {
					t.Errorf("household row %v", rows[1])
				}
			}
			f.Close()
		}
	})
}
