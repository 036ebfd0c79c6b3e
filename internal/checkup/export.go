package checkup

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// maxSheetRows is the most data rows an Excel sheet holds (below its header).
const maxSheetRows = 1048575

type sheet struct {
	f  *excelize.File
	sw *excelize.StreamWriter
	n  int
}

func newSheet(f *excelize.File, name string, header []string) (*sheet, error) {
	if _, err := f.NewSheet(name); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	if err := sw.SetColWidth(1, len(header), 16); err != nil {
		return nil, err
	}
	cells := make([]any, len(header))
	for i, h := range header {
		cells[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return nil, err
	}
	return &sheet{f: f, sw: sw}, nil
}

func (s *sheet) row(vals ...any) error {
	s.n++
	if s.n > maxSheetRows {
		return fmt.Errorf("%w: more rows than an Excel sheet holds; narrow the filter", ErrBadRequest)
	}
	cell, err := excelize.CoordinatesToCellName(1, s.n+1)
	if err != nil {
		return err
	}
	return s.sw.SetRow(cell, vals)
}

func cellF(v *float64) any {
	if v == nil {
		return ""
	}
	return *v
}

func cellB(b *bool) any {
	if b == nil {
		return ""
	}
	if *b {
		return "pass"
	}
	return "fail"
}

func finish(f *excelize.File, w io.Writer, sheets ...*sheet) error {
	for _, s := range sheets {
		if err := s.sw.Flush(); err != nil {
			return err
		}
	}
	if err := f.DeleteSheet("Sheet1"); err != nil {
		return err
	}
	if _, err := f.WriteTo(w); err != nil {
		return err
	}
	return f.Close()
}

// WriteIndicatorsExcel writes a run's indicator results (sheet "indicators",
// with the previous run's value) and its failing values (sheet "failing") as an
// Excel workbook.
func (s *Service) WriteIndicatorsExcel(ctx context.Context, runID int64, w io.Writer) error {
	run, err := s.RunByID(ctx, runID)
	if err != nil {
		return err
	}
	res, err := s.Results(ctx, runID)
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	ind, err := newSheet(f, "indicators", []string{"run", "year", "scope", "catalogue_version", "level", "code", "name_zh", "name_en", "unit", "kind", "variant",
		"computed", "value", "threshold", "result", "objects", "failing", "unknown", "previous_value", "note", "source"})
	if err != nil {
		return err
	}
	for _, r := range res {
		if err := ind.row(run.ID, run.Year, orAll(run.ScopeName), run.CatalogueVersion, r.Indicator.Level, r.Indicator.Code, r.Indicator.NameZh, r.Indicator.NameEn,
			r.Indicator.Unit, r.Indicator.Kind, r.Variant, r.Computed, cellF(r.Value), cellF(r.Threshold), cellB(r.Passed), r.Objects, r.Failing, r.Unknown,
			cellF(r.Previous), r.Note, r.Indicator.Source); err != nil {
			return err
		}
	}
	fail, err := newSheet(f, "failing", []string{"level", "code", "variant", "object_type", "object_id", "object_name", "region_path", "value", "threshold", "detail"})
	if err != nil {
		return err
	}
	for off := 0; ; off += 10000 {
		vals, _, err := s.Values(ctx, ValueFilter{RunID: runID, FailingOnly: true, Limit: 10000, Offset: off})
		if err != nil {
			return err
		}
		for _, v := range vals {
			if err := fail.row(v.Level, v.Indicator, v.Variant, v.ObjectType, v.ObjectID, v.ObjectName, v.RegionPath, cellF(v.Value), cellF(v.Threshold), string(v.Detail)); err != nil {
				return err
			}
		}
		if len(vals) < 10000 {
			break
		}
	}
	return finish(f, w, ind, fail)
}

// WriteFindingsExcel writes the findings matching flt (all of them, ignoring its
// limit and offset) as an Excel workbook with one sheet "findings".
func (s *Service) WriteFindingsExcel(ctx context.Context, flt FindingFilter, w io.Writer) error {
	f := excelize.NewFile()
	sh, err := newSheet(f, "findings", []string{"id", "level", "code", "name_zh", "name_en", "variant", "object_type", "object_code", "object_name", "status",
		"value", "unit", "threshold", "lon", "lat", "region_path", "evidence", "first_run", "last_run", "resolved_run", "updated_at"})
	if err != nil {
		return err
	}
	flt.NoGeometry = true
	const page = 20000
	for off := 0; ; off += page {
		flt.Limit, flt.Offset = page, off
		fs, _, err := s.Findings(ctx, flt)
		if err != nil {
			return err
		}
		for _, fd := range fs {
			ind, _ := s.cat.Indicator(fd.Indicator)
			resolved := ""
			if fd.ResolvedRunID != 0 {
				resolved = strconv.FormatInt(fd.ResolvedRunID, 10)
			}
			if err := sh.row(fd.ID, fd.Level, fd.Indicator, ind.NameZh, ind.NameEn, fd.Variant, fd.ObjectType, fd.ObjectCode, fd.ObjectName, fd.Status,
				cellF(fd.Value), ind.Unit, cellF(fd.Threshold), fd.Lon, fd.Lat, fd.RegionPath, string(fd.Evidence), fd.FirstRunID, fd.LastRunID, resolved,
				fd.UpdatedAt.Format("2006-01-02 15:04:05")); err != nil {
				return err
			}
		}
		if len(fs) < page {
			break
		}
	}
	return finish(f, w, sh)
}
