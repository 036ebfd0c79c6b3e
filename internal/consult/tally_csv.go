package consult

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ErrFile is returned (wrapped in a *LineError) for a roll or ballot file that
// cannot be read.
var ErrFile = errors.New("bad file")

// LineError names the file, line and column of a problem in a CSV file.
type LineError struct {
	File   string
	Line   int // 1-based; the header is line 1
	Column string
	Reason string
}

func (e *LineError) Error() string {
	col := ""
	if e.Column != "" {
		col = " (" + e.Column + ")"
	}
	if e.Line == 0 {
		return fmt.Sprintf("%s%s: %s", e.File, col, e.Reason)
	}
	return fmt.Sprintf("%s line %d%s: %s", e.File, e.Line, col, e.Reason)
}

// Unwrap makes errors.Is(err, ErrFile) hold.
func (e *LineError) Unwrap() error { return ErrFile }

// csvFile reads a CSV file with a header, trimming spaces and a UTF-8 byte order
// mark, and tells the line of every record.
type csvFile struct {
	name string
	r    *csv.Reader
	cols map[string]int
	rec  []string
	line int
}

func openCSV(r io.Reader, name string, required []string) (*csvFile, error) {
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	f := &csvFile{name: name, r: cr, cols: make(map[string]int)}
	head, err := cr.Read()
	if err == io.EOF {
		return nil, &LineError{File: name, Reason: "the file is empty; the first line must be the header " + strings.Join(required, ",")}
	}
	if err != nil {
		return nil, f.csvErr(err)
	}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := f.cols[h]; dup && h != "" {
			return nil, &LineError{File: name, Line: 1, Column: h, Reason: "column appears twice in the header"}
		}
		f.cols[h] = i
	}
	for _, c := range required {
		if _, ok := f.cols[c]; !ok {
			return nil, &LineError{File: name, Line: 1, Column: c, Reason: fmt.Sprintf("missing column %q; the header must be %s", c, strings.Join(required, ","))}
		}
	}
	return f, nil
}

func (f *csvFile) csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		reason := pe.Err.Error()
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			reason = "wrong number of fields (the header has " + strconv.Itoa(len(f.cols)) + ")"
		}
		return &LineError{File: f.name, Line: pe.StartLine, Reason: reason}
	}
	return fmt.Errorf("read %s: %w", f.name, err)
}

// next reads the next record; it returns false at the end of the file.
func (f *csvFile) next() (bool, error) {
	rec, err := f.r.Read()
	if err == io.EOF {
		return false, nil
	}
	if err != nil {
		return false, f.csvErr(err)
	}
	f.rec = rec
	f.line, _ = f.r.FieldPos(0)
	return true, nil
}

func (f *csvFile) get(col string) string {
	i, ok := f.cols[col]
	if !ok || i >= len(f.rec) {
		return ""
	}
	return strings.TrimSpace(f.rec[i])
}

func (f *csvFile) errf(col, format string, args ...any) error {
	return &LineError{File: f.name, Line: f.line, Column: col, Reason: fmt.Sprintf(format, args...)}
}

func (f *csvFile) id(col string) (string, error) {
	v := f.get(col)
	if v == "" {
		return "", f.errf(col, "empty")
	}
	return v, nil
}

func (f *csvFile) boolean(col string) (bool, error) {
	switch strings.ToLower(f.get(col)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, f.errf(col, "%q is not true or false", f.get(col))
}

// ReadRollCSV reads a roll file with the header
// household_id,owner_id,area_dm2,developer_unsold and one row per household–owner
// link (joint owners are rows with the same household_id); an optional column
// voter (true/false) marks the designated voter of a joint household, and other
// columns are ignored. Every row of a household must give the same area and
// developer flag. name is used in error messages.
func ReadRollCSV(r io.Reader, name string) (*Roll, error) {
	f, err := openCSV(r, name, []string{"household_id", "owner_id", "area_dm2", "developer_unsold"})
	if err != nil {
		return nil, err
	}
	_, hasVoter := f.cols["voter"]
	var hh []RollHousehold
	index := make(map[string]int)
	firstLine := make(map[string]int)
	for {
		ok, err := f.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		hid, err := f.id("household_id")
		if err != nil {
			return nil, err
		}
		oid, err := f.id("owner_id")
		if err != nil {
			return nil, err
		}
		raw := f.get("area_dm2")
		area, perr := strconv.ParseInt(raw, 10, 64)
		if perr != nil || area < 0 || strings.HasPrefix(raw, "+") {
			return nil, f.errf("area_dm2", "%q is not a whole, non-negative number of dm²", raw)
		}
		if area > 1e13 {
			return nil, f.errf("area_dm2", "%q is too large", raw)
		}
		dev, err := f.boolean("developer_unsold")
		if err != nil {
			return nil, err
		}
		voter := true
		if hasVoter && f.get("voter") != "" {
			if voter, err = f.boolean("voter"); err != nil {
				return nil, err
			}
		}
		i, seen := index[hid]
		if !seen {
			i = len(hh)
			index[hid] = i
			firstLine[hid] = f.line
			hh = append(hh, RollHousehold{ID: hid, AreaDM2: area, Developer: dev})
		}
		h := &hh[i]
		if h.AreaDM2 != area {
			return nil, f.errf("area_dm2", "household %s has area %d here but %d on line %d", hid, area, h.AreaDM2, firstLine[hid])
		}
		if h.Developer != dev {
			return nil, f.errf("developer_unsold", "household %s is %v here but %v on line %d", hid, dev, h.Developer, firstLine[hid])
		}
		for _, o := range h.Owners {
			if o.ID == oid {
				return nil, f.errf("owner_id", "owner %s is listed twice for household %s", oid, hid)
			}
		}
		h.Owners = append(h.Owners, RollOwner{ID: oid, Voter: voter})
	}
	if len(hh) == 0 {
		return nil, &LineError{File: name, Reason: "no household rows after the header"}
	}
	roll, err := NewRoll(hh)
	if err != nil {
		return nil, &LineError{File: name, Reason: err.Error()}
	}
	return roll, nil
}

// ReadBallotsCSV reads a ballot file with the header owner_id,choice (agree,
// disagree or abstain), in casting order, checking every owner against roll.
// Other columns are ignored. Only the last row of a head counts when tallied.
func ReadBallotsCSV(r io.Reader, name string, roll *Roll, rules RuleSet) ([]Ballot, error) {
	f, err := openCSV(r, name, []string{"owner_id", "choice"})
	if err != nil {
		return nil, err
	}
	var out []Ballot
	for {
		ok, err := f.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		oid, err := f.id("owner_id")
		if err != nil {
			return nil, err
		}
		c, err := ParseChoice(strings.ToLower(f.get("choice")))
		if err != nil {
			return nil, f.errf("choice", "%v", err)
		}
		if _, err := roll.unitFor(oid, rules.JointVoter); err != nil {
			if errors.Is(err, ErrNotOnRoll) {
				return nil, f.errf("owner_id", "owner %s is not on the roll", oid)
			}
			return nil, f.errf("owner_id", "%v", err)
		}
		out = append(out, Ballot{Owner: oid, Choice: c})
	}
	return out, nil
}
