package calendar

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// shanghai is China Standard Time. China has kept UTC+8 without daylight saving
// since 1991, so a fixed zone is exact for every date the platform handles and
// needs no time-zone database. It is never modified.
var shanghai = time.FixedZone("CST", 8*3600)

// Shanghai returns China Standard Time (UTC+8, the Asia/Shanghai zone without
// daylight saving), the zone in which working days and working hours are reckoned.
func Shanghai() *time.Location { return shanghai }

// Date is a civil date in China Standard Time. The zero Date is not a valid date.
// Dates are comparable and can be map keys.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// NewDate returns the date y-m-d, normalising out-of-range months and days the
// way time.Date does (January 32 is February 1).
func NewDate(y int, m time.Month, d int) Date {
	return DateOf(time.Date(y, m, d, 12, 0, 0, 0, shanghai))
}

// DateOf returns the date of t in China Standard Time.
func DateOf(t time.Time) Date {
	y, m, d := t.In(shanghai).Date()
	return Date{y, m, d}
}

// ParseDate reads a date written as YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(s), shanghai)
	if err != nil {
		return Date{}, fmt.Errorf("calendar: date %q: want YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// String writes the date as YYYY-MM-DD.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// Time returns midnight at the start of d in China Standard Time.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, shanghai) }

// AddDays returns the date n days after d (before it when n is negative).
func (d Date) AddDays(n int) Date {
	return NewDate(d.Year, d.Month, d.Day+n)
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday { return d.Time().Weekday() }

// Weekend reports whether d is a Saturday or a Sunday.
func (d Date) Weekend() bool {
	w := d.Weekday()
	return w == time.Saturday || w == time.Sunday
}

// Compare returns -1, 0 or +1 as d is before, equal to or after o.
func (d Date) Compare(o Date) int {
	switch {
	case d.Year != o.Year:
		return cmpInt(d.Year, o.Year)
	case d.Month != o.Month:
		return cmpInt(int(d.Month), int(o.Month))
	}
	return cmpInt(d.Day, o.Day)
}

// Before reports whether d comes before o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// After reports whether d comes after o.
func (d Date) After(o Date) bool { return d.Compare(o) > 0 }

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// MarshalText writes the date as YYYY-MM-DD (also its JSON form).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a date written as YYYY-MM-DD.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Period is one stretch of working hours within a day, as offsets from midnight:
// 08:30–12:00 is Period{8*time.Hour + 30*time.Minute, 12 * time.Hour}.
type Period struct {
	Start, End time.Duration
}

// String writes the period as HH:MM-HH:MM.
func (p Period) String() string { return clockText(p.Start) + "-" + clockText(p.End) }

func clockText(d time.Duration) string {
	m := int(d / time.Minute)
	return fmt.Sprintf("%02d:%02d", m/60, m%60)
}

// DefaultHours returns the default working hours, 08:30–12:00 and 13:30–17:30
// (7 h 30 min a day). Deployments may configure others.
func DefaultHours() []Period {
	return []Period{
		{8*time.Hour + 30*time.Minute, 12 * time.Hour},
		{13*time.Hour + 30*time.Minute, 17*time.Hour + 30*time.Minute},
	}
}

// ParseHours reads working hours written as "08:30-12:00,13:30-17:30": one or more
// periods in order, separated by commas, each within one day and not overlapping.
func ParseHours(s string) ([]Period, error) {
	var ps []Period
	for part := range strings.SplitSeq(s, ",") {
		a, b, ok := strings.Cut(strings.TrimSpace(part), "-")
		if !ok {
			return nil, fmt.Errorf("calendar: working hours %q: want HH:MM-HH:MM[,HH:MM-HH:MM…]", s)
		}
		start, err := parseClock(a)
		if err != nil {
			return nil, err
		}
		end, err := parseClock(b)
		if err != nil {
			return nil, err
		}
		ps = append(ps, Period{start, end})
	}
	if err := validateHours(ps); err != nil {
		return nil, err
	}
	return ps, nil
}

// FormatHours writes working hours the way ParseHours reads them.
func FormatHours(ps []Period) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	return strings.Join(parts, ",")
}

func parseClock(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || hh > 24 || mm < 0 || mm > 59 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("calendar: time of day %q: want HH:MM", s)
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}

func validateHours(ps []Period) error {
	if len(ps) == 0 {
		return fmt.Errorf("calendar: working hours: at least one period is needed")
	}
	var prev time.Duration
	for i, p := range ps {
		if p.Start < 0 || p.End > 24*time.Hour || p.Start >= p.End {
			return fmt.Errorf("calendar: working hours: period %s is not within one day", p)
		}
		if i > 0 && p.Start < prev {
			return fmt.Errorf("calendar: working hours: period %s overlaps or comes before the one before it", p)
		}
		prev = p.End
	}
	return nil
}
