package calendar

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Notice is one year's holiday schedule as the State Council publishes it each
// autumn for the following year: blocks of days off, each with the weekend days
// that become make-up workdays (调休) for it. The built-in years come from
// Builtin; an administrator enters later years as data (ParseNotice).
type Notice struct {
	// Year is the year the notice is for. A block may begin in the last days of
	// the year before (New Year's Day) and still belong to this notice.
	Year int `json:"year"`
	// Source names the notice, for display.
	Source   string    `json:"source,omitempty"`
	Holidays []Holiday `json:"holidays"`
}

// Holiday is one block of consecutive days off and the make-up workdays that go
// with it. The block includes the weekend days that fall inside it.
type Holiday struct {
	Name     string `json:"name"`
	From     Date   `json:"from"`
	To       Date   `json:"to"`
	Workdays []Date `json:"workdays,omitempty"`
}

// Days returns every day of the block, From to To inclusive.
func (h Holiday) Days() []Date {
	var ds []Date
	for d := h.From; !d.After(h.To); d = d.AddDays(1) {
		ds = append(ds, d)
	}
	return ds
}

// Off returns every day off in the notice in date order.
func (n Notice) Off() []Date {
	var ds []Date
	for _, h := range n.Holidays {
		ds = append(ds, h.Days()...)
	}
	slices.SortFunc(ds, Date.Compare)
	return ds
}

// Workdays returns the notice's make-up workdays in date order.
func (n Notice) Workdays() []Date {
	var ds []Date
	for _, h := range n.Holidays {
		ds = append(ds, h.Workdays...)
	}
	slices.SortFunc(ds, Date.Compare)
	return ds
}

// Validate checks a notice: a plausible year, named blocks of at most 31 days
// lying between December of the year before and January of the year after, no
// day listed twice, and make-up workdays that are Saturdays or Sundays outside
// every block.
func (n Notice) Validate() error {
	if n.Year < 1950 || n.Year > 9998 {
		return fmt.Errorf("calendar: notice year %d is out of range", n.Year)
	}
	lo, hi := NewDate(n.Year-1, 12, 1), NewDate(n.Year+1, 1, 31)
	inRange := func(d Date) bool { return !d.Before(lo) && !d.After(hi) }
	seen := map[Date]string{}
	for _, h := range n.Holidays {
		if strings.TrimSpace(h.Name) == "" {
			return fmt.Errorf("calendar: notice %d: a holiday has no name", n.Year)
		}
		if h.From.IsZero() || h.To.IsZero() || h.To.Before(h.From) {
			return fmt.Errorf("calendar: notice %d: %s: days off must run from a date to the same or a later date", n.Year, h.Name)
		}
		if !inRange(h.From) || !inRange(h.To) {
			return fmt.Errorf("calendar: notice %d: %s: %s..%s is not in or next to %d", n.Year, h.Name, h.From, h.To, n.Year)
		}
		if h.From.AddDays(30).Before(h.To) {
			return fmt.Errorf("calendar: notice %d: %s: a block of days off longer than 31 days", n.Year, h.Name)
		}
		for _, d := range h.Days() {
			if other, dup := seen[d]; dup {
				return fmt.Errorf("calendar: notice %d: %s is listed under both %s and %s", n.Year, d, other, h.Name)
			}
			seen[d] = h.Name
		}
	}
	for _, h := range n.Holidays {
		for _, d := range h.Workdays {
			if !inRange(d) {
				return fmt.Errorf("calendar: notice %d: %s: make-up workday %s is not in or next to %d", n.Year, h.Name, d, n.Year)
			}
			if !d.Weekend() {
				return fmt.Errorf("calendar: notice %d: %s: make-up workday %s is a %s; make-up workdays are Saturdays or Sundays", n.Year, h.Name, d, d.Weekday())
			}
			if other, dup := seen[d]; dup {
				return fmt.Errorf("calendar: notice %d: %s is listed under both %s and %s", n.Year, d, other, h.Name)
			}
			seen[d] = h.Name
		}
	}
	return nil
}

// Marshal returns the notice as indented JSON, the form in which it is stored.
// ParseNotice reads it back.
func (n Notice) Marshal() ([]byte, error) {
	if n.Holidays == nil {
		n.Holidays = []Holiday{}
	}
	return json.MarshalIndent(n, "", "  ")
}

// String writes the notice in the text form ParseNotice reads:
//
//	year 2026
//	source 国务院办公厅关于2026年部分节假日安排的通知
//	元旦 New Year's Day: off 2026-01-01..2026-01-03; workday 2026-01-04
//	春节 Spring Festival: off 2026-02-15..2026-02-23; workday 2026-02-14, 2026-02-28
func (n Notice) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "year %d\n", n.Year)
	if n.Source != "" {
		fmt.Fprintf(&b, "source %s\n", n.Source)
	}
	for _, h := range n.Holidays {
		fmt.Fprintf(&b, "%s: off %s", h.Name, h.From)
		if h.To != h.From {
			fmt.Fprintf(&b, "..%s", h.To)
		}
		if len(h.Workdays) > 0 {
			ws := make([]string, len(h.Workdays))
			for i, d := range h.Workdays {
				ws[i] = d.String()
			}
			fmt.Fprintf(&b, "; workday %s", strings.Join(ws, ", "))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// ParseNotice reads a notice an administrator enters, either as JSON (the form
// Marshal writes) or in the text form of Notice.String: a line "year YYYY", an
// optional line "source …", and one line per holiday block,
// "NAME: off FROM..TO; workday DATE, DATE" (a one-day block is "off DATE"; the
// workday part is optional; NAME may not contain an ASCII colon). Blank lines and
// lines starting with # are ignored. The notice is validated.
func ParseNotice(data []byte) (Notice, error) {
	var n Notice
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(t))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&n); err != nil {
			return Notice{}, fmt.Errorf("calendar: notice: %w", err)
		}
	} else if err := parseNoticeText(string(data), &n); err != nil {
		return Notice{}, err
	}
	if n.Year == 0 {
		return Notice{}, fmt.Errorf("calendar: notice: the year is missing")
	}
	if err := n.Validate(); err != nil {
		return Notice{}, err
	}
	return n, nil
}

func parseNoticeText(s string, n *Notice) error {
	for i, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		bad := func(format string, args ...any) error {
			msg := strings.TrimPrefix(fmt.Sprintf(format, args...), "calendar: ")
			return fmt.Errorf("calendar: notice line %d: %s", i+1, msg)
		}
		if rest, ok := strings.CutPrefix(line, "year "); ok {
			y, err := strconv.Atoi(strings.TrimSpace(rest))
			if err != nil || n.Year != 0 {
				return bad("want one line \"year YYYY\"")
			}
			n.Year = y
			continue
		}
		if rest, ok := strings.CutPrefix(line, "source "); ok {
			n.Source = strings.TrimSpace(rest)
			continue
		}
		name, rest, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return bad("want \"NAME: off FROM..TO; workday DATE, …\"")
		}
		h := Holiday{Name: strings.TrimSpace(name)}
		for part := range strings.SplitSeq(rest, ";") {
			part = strings.TrimSpace(part)
			switch {
			case strings.HasPrefix(part, "off "):
				if !h.From.IsZero() {
					return bad("%s: one \"off\" range per line", h.Name)
				}
				a, b, isRange := strings.Cut(strings.TrimPrefix(part, "off "), "..")
				from, err := ParseDate(a)
				if err != nil {
					return bad("%v", err)
				}
				to := from
				if isRange {
					if to, err = ParseDate(b); err != nil {
						return bad("%v", err)
					}
				}
				h.From, h.To = from, to
			case strings.HasPrefix(part, "workday ") || strings.HasPrefix(part, "workdays "):
				_, list, _ := strings.Cut(part, " ")
				for w := range strings.SplitSeq(list, ",") {
					d, err := ParseDate(w)
					if err != nil {
						return bad("%v", err)
					}
					h.Workdays = append(h.Workdays, d)
				}
			default:
				return bad("%q: want \"off FROM..TO\" or \"workday DATE, …\"", part)
			}
		}
		if h.From.IsZero() {
			return bad("%s: no \"off\" days", h.Name)
		}
		n.Holidays = append(n.Holidays, h)
	}
	return nil
}

// Builtin returns the national schedules the program ships, from the State
// Council notices for 2025 and 2026. Each call returns fresh values.
func Builtin() []Notice {
	d := func(y int, m time.Month, day int) Date { return Date{y, m, day} }
	return []Notice{
		{
			Year:   2025,
			Source: "国务院办公厅关于2025年部分节假日安排的通知",
			Holidays: []Holiday{
				{Name: "元旦 New Year's Day", From: d(2025, 1, 1), To: d(2025, 1, 1)},
				{Name: "春节 Spring Festival", From: d(2025, 1, 28), To: d(2025, 2, 4), Workdays: []Date{d(2025, 1, 26), d(2025, 2, 8)}},
				{Name: "清明节 Qingming Festival", From: d(2025, 4, 4), To: d(2025, 4, 6)},
				{Name: "劳动节 Labour Day", From: d(2025, 5, 1), To: d(2025, 5, 5), Workdays: []Date{d(2025, 4, 27)}},
				{Name: "端午节 Dragon Boat Festival", From: d(2025, 5, 31), To: d(2025, 6, 2)},
				{Name: "国庆节、中秋节 National Day and Mid-Autumn Festival", From: d(2025, 10, 1), To: d(2025, 10, 8), Workdays: []Date{d(2025, 9, 28), d(2025, 10, 11)}},
			},
		},
		{
			Year:   2026,
			Source: "国务院办公厅关于2026年部分节假日安排的通知",
			Holidays: []Holiday{
				{Name: "元旦 New Year's Day", From: d(2026, 1, 1), To: d(2026, 1, 3), Workdays: []Date{d(2026, 1, 4)}},
				{Name: "春节 Spring Festival", From: d(2026, 2, 15), To: d(2026, 2, 23), Workdays: []Date{d(2026, 2, 14), d(2026, 2, 28)}},
				{Name: "清明节 Qingming Festival", From: d(2026, 4, 4), To: d(2026, 4, 6)},
				{Name: "劳动节 Labour Day", From: d(2026, 5, 1), To: d(2026, 5, 5), Workdays: []Date{d(2026, 5, 9)}},
				{Name: "端午节 Dragon Boat Festival", From: d(2026, 6, 19), To: d(2026, 6, 21)},
				{Name: "中秋节 Mid-Autumn Festival", From: d(2026, 9, 25), To: d(2026, 9, 27)},
				{Name: "国庆节 National Day", From: d(2026, 10, 1), To: d(2026, 10, 7), Workdays: []Date{d(2026, 9, 20), d(2026, 10, 10)}},
			},
		},
	}
}
