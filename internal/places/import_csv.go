package places

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// readCSV reads a comma-separated file with a header row, UTF-8 with or without a
// byte-order mark, and hands every data row to emit. Problems of the file itself
// (header, quoting, column count, size) go to errs; the error return is for I/O
// failures only. It returns the number of data rows.
func readCSV(ctx context.Context, r io.Reader, objectType string, errs *collector, emit func(*record)) (int, error) {
	cols := importColumns[objectType]
	cr := csv.NewReader(skipBOM(r))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		errs.add(RowError{Line: 1, Reason: "the file is empty: the first line must name the columns " + strings.Join(ColumnNames(objectType), ",")})
		return 0, nil
	}
	if err != nil {
		if stop, ioErr := csvProblem(err, 1, errs); stop {
			return 0, ioErr
		}
		return 0, nil
	}
	// pos maps a header position to a column of the object type, -1 for unknown.
	pos := make([]int, len(header))
	absent := make([]bool, len(cols))
	for i := range absent {
		absent[i] = true
	}
	index := make(map[string]int, len(cols))
	for i, c := range cols {
		index[c.Name] = i
	}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		pos[i] = -1
		ci, ok := index[name]
		switch {
		case name == "":
			errs.add(RowError{Line: 1, Reason: fmt.Sprintf("column %d has no name", i+1)})
		case !ok:
			errs.add(RowError{Line: 1, Field: h, Reason: fmt.Sprintf("unknown column %q: %s files have the columns %s", h, objectType, strings.Join(ColumnNames(objectType), ", "))})
		case !absent[ci]:
			errs.add(RowError{Line: 1, Field: name, Reason: fmt.Sprintf("column %q appears twice", name)})
		default:
			pos[i] = ci
			absent[ci] = false
		}
	}
	for i, c := range cols {
		if c.Required && absent[i] {
			errs.add(RowError{Line: 1, Field: c.Name, Reason: fmt.Sprintf("missing required column %q", c.Name)})
		}
	}

	rows, lastLine := 0, 1
	for {
		fields, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			line := lastLine + 1
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
				lastLine = pe.Line
			}
			rows++
			if stop, ioErr := csvProblem(err, line, errs); stop {
				return rows, ioErr
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		end, _ := cr.FieldPos(len(fields) - 1)
		lastLine = end
		if blank(fields) {
			continue
		}
		rows++
		if rows > MaxImportRows {
			errs.add(RowError{Line: line, Reason: fmt.Sprintf("the file has more than %d rows: split it into smaller files", MaxImportRows)})
			return rows - 1, nil
		}
		if rows%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return rows, err
			}
		}
		if len(fields) != len(header) {
			errs.add(RowError{Line: line, Reason: fmt.Sprintf("the row has %d fields but the header has %d columns", len(fields), len(header))})
			continue
		}
		rec := &record{line: line, vals: make([]string, len(cols)), absent: absent}
		for i, f := range fields {
			if pos[i] >= 0 {
				rec.vals[pos[i]] = strings.TrimSpace(f)
			}
		}
		emit(rec)
	}
}

// csvProblem records a reading error at line. stop is true when reading cannot go
// on; ioErr is set when the failure is not the file's fault.
func csvProblem(err error, line int, errs *collector) (stop bool, ioErr error) {
	var pe *csv.ParseError
	switch {
	case errors.Is(err, errTooLarge):
		errs.add(RowError{Line: line, Reason: errTooLarge.Error()})
		return true, nil
	case errors.As(err, &pe):
		errs.add(RowError{Line: pe.StartLine, Reason: "broken CSV: " + pe.Err.Error() + quoteHint(pe.Err)})
		return false, nil
	}
	return true, err
}

func quoteHint(err error) string {
	if errors.Is(err, csv.ErrQuote) || errors.Is(err, csv.ErrBareQuote) {
		return ` (a value containing a comma or quote must be enclosed in double quotes, with inner quotes doubled: "say ""hi""")`
	}
	return ""
}

// blank reports whether every field is empty, as spreadsheet programs leave at the
// end of a sheet.
func blank(fields []string) bool {
	for _, f := range fields {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}
