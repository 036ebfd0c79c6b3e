// Package calendar is the Chinese working calendar: which days are working days
// (weekends are off except make-up workdays, 调休; public holidays are off), the
// working hours of a day (08:30–12:00 and 13:30–17:30 by default, configurable),
// and arithmetic with working time for deadlines counted in working hours or
// working days. Everything is reckoned in China Standard Time (UTC+8).
//
// The national schedules for 2025 and 2026 are built in (Builtin); an
// administrator adds each later year's State Council notice as data (ParseNotice,
// Calendar.With). A Calendar is immutable and safe for concurrent use.
//
// # Unknown years
//
// A year without a schedule is never silently treated as ordinary. Every
// operation that touches a day of such a year still computes its answer, assuming
// that only Saturdays and Sundays are off, and returns it together with an
// *UnknownYearError naming the years. Callers choose how loud to be: a caller
// that simply returns on any error refuses to give a due date; one that wants the
// best guess uses errors.As to recognise the warning, keeps the value, and shows
// the warning to the user. Other errors (a non-positive duration) come with a
// zero value.
package calendar

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrDuration is returned when a duration or a number of days to add is zero or
// negative: a deadline must lie after its start.
var ErrDuration = errors.New("calendar: the time to add must be positive")

// UnknownYearError warns that a computation crossed days of years that have no
// holiday schedule. The value returned with it assumed that only weekends are
// off in those years.
type UnknownYearError struct {
	Years []int // in increasing order
}

// Error says which years are unknown and what to do.
func (e *UnknownYearError) Error() string {
	ys := make([]string, len(e.Years))
	for i, y := range e.Years {
		ys[i] = strconv.Itoa(y)
	}
	list := strings.Join(ys, ", ")
	return fmt.Sprintf("calendar: no holiday schedule for %s: only weekends were taken as days off; enter the State Council notice for %s", list, list)
}

// Calendar is a working calendar: the holiday notices it knows and the daily
// working hours. Build it with Default or New; it is never changed afterwards.
type Calendar struct {
	hours   []Period
	daily   time.Duration
	notices map[int]Notice
	off     map[Date]string // day off → holiday name
	work    map[Date]string // make-up workday → holiday name
}

// Default returns the national calendar: the built-in notices (2025 and 2026)
// and the default working hours.
func Default() *Calendar {
	c, err := New(DefaultHours(), Builtin()...)
	if err != nil {
		panic(err) // the built-in data is checked by the tests
	}
	return c
}

// New returns a calendar with the given working hours and notices. A later
// notice for the same year replaces an earlier one. Notices are validated, and
// no day may be a day off in one notice and a workday in another.
func New(hours []Period, notices ...Notice) (*Calendar, error) {
	if err := validateHours(hours); err != nil {
		return nil, err
	}
	byYear := map[int]Notice{}
	for _, n := range notices {
		if err := n.Validate(); err != nil {
			return nil, err
		}
		byYear[n.Year] = n
	}
	c := &Calendar{hours: slices.Clone(hours), notices: byYear, off: map[Date]string{}, work: map[Date]string{}}
	for _, p := range hours {
		c.daily += p.End - p.Start
	}
	for _, y := range slices.Sorted(maps.Keys(byYear)) {
		for _, h := range byYear[y].Holidays {
			for _, d := range h.Days() {
				if other, ok := c.work[d]; ok {
					return nil, fmt.Errorf("calendar: %s is a day off for %s (%d) but a workday for %s", d, h.Name, y, other)
				}
				c.off[d] = h.Name
			}
			for _, d := range h.Workdays {
				if other, ok := c.off[d]; ok {
					return nil, fmt.Errorf("calendar: %s is a workday for %s (%d) but a day off for %s", d, h.Name, y, other)
				}
				c.work[d] = h.Name
			}
		}
	}
	return c, nil
}

// With returns a copy of c with the notices added; a notice for a year c already
// knows replaces it.
func (c *Calendar) With(notices ...Notice) (*Calendar, error) {
	all := slices.Collect(maps.Values(c.notices))
	return New(c.hours, append(all, notices...)...)
}

// WithHours returns a copy of c with other daily working hours.
func (c *Calendar) WithHours(hours []Period) (*Calendar, error) {
	return New(hours, slices.Collect(maps.Values(c.notices))...)
}

// Hours returns the daily working hours.
func (c *Calendar) Hours() []Period { return slices.Clone(c.hours) }

// DailyHours returns the working time of one working day (7 h 30 min by default).
func (c *Calendar) DailyHours() time.Duration { return c.daily }

// Years returns the years whose schedule the calendar knows, in order.
func (c *Calendar) Years() []int { return slices.Sorted(maps.Keys(c.notices)) }

// Notice returns the notice for year y, if the calendar knows it.
func (c *Calendar) Notice(y int) (Notice, bool) {
	n, ok := c.notices[y]
	return n, ok
}

// Year returns the days off (every day of the year's holiday blocks, weekend days
// inside them included; ordinary weekends are not listed) and the make-up
// workdays of year y's notice, in date order, and whether the year is known.
func (c *Calendar) Year(y int) (off, workdays []Date, known bool) {
	n, ok := c.notices[y]
	if !ok {
		return nil, nil, false
	}
	return n.Off(), n.Workdays(), true
}

// Day describes one date of the calendar.
type Day struct {
	Date    Date
	Workday bool
	// MakeUp is set for a Saturday or Sunday that is a make-up workday.
	MakeUp bool
	// Holiday names the holiday block the day is off for, or that it is a
	// make-up workday for; empty for ordinary days.
	Holiday string
	// Known is false when the date's year has no schedule; Workday then only
	// reflects the day of the week.
	Known bool
}

// Day describes date d.
func (c *Calendar) Day(d Date) Day {
	_, known := c.notices[d.Year]
	if name, ok := c.off[d]; ok {
		return Day{Date: d, Holiday: name, Known: known}
	}
	if name, ok := c.work[d]; ok {
		return Day{Date: d, Workday: true, MakeUp: true, Holiday: name, Known: known}
	}
	return Day{Date: d, Workday: !d.Weekend(), Known: known}
}

// IsWorkday reports whether d is a working day. For a date in a year without a
// schedule it answers by the day of the week and returns an *UnknownYearError.
func (c *Calendar) IsWorkday(d Date) (bool, error) {
	day := c.Day(d)
	if !day.Known {
		return day.Workday, &UnknownYearError{Years: []int{d.Year}}
	}
	return day.Workday, nil
}

// unknownYears collects the unknown years a computation touches.
type unknownYears []int

func (u *unknownYears) note(c *Calendar, y int) {
	if _, ok := c.notices[y]; !ok && !slices.Contains(*u, y) {
		*u = append(*u, y)
	}
}

func (u unknownYears) err() error {
	if len(u) == 0 {
		return nil
	}
	slices.Sort(u)
	return &UnknownYearError{Years: u}
}

// workday reports whether d is a working day, noting its year if unknown.
func (c *Calendar) workday(d Date, u *unknownYears) bool {
	u.note(c, d.Year)
	return c.Day(d).Workday
}

// AddWorking returns the instant at which d of working time has passed after
// start, counting only the working hours of working days. A start outside working
// hours counts from the next working period; time that runs out exactly at the
// end of a period gives that end (12:00, not 13:30). d must be positive
// (ErrDuration). If the days counted touch a year without a schedule, the result
// comes with an *UnknownYearError (see the package comment). The result is in
// China Standard Time.
func (c *Calendar) AddWorking(start time.Time, d time.Duration) (time.Time, error) {
	if d <= 0 {
		return time.Time{}, fmt.Errorf("%w: %v", ErrDuration, d)
	}
	var u unknownYears
	t := start.In(shanghai)
	rem := d
	last := c.hours[len(c.hours)-1].End
	for day := DateOf(t); ; day = day.AddDays(1) {
		mid := day.Time()
		if !t.Before(mid.Add(last)) {
			continue // the start lies after this day's working hours
		}
		if !c.workday(day, &u) {
			continue
		}
		// Whole working days in one step once the start is behind us.
		if t.Before(mid.Add(c.hours[0].Start)) && rem > c.daily {
			rem -= c.daily
			continue
		}
		for _, p := range c.hours {
			ps, pe := mid.Add(p.Start), mid.Add(p.End)
			if !t.Before(pe) {
				continue
			}
			from := ps
			if t.After(ps) {
				from = t
			}
			if avail := pe.Sub(from); rem > avail {
				rem -= avail
				continue
			}
			return from.Add(rem), u.err()
		}
	}
}

// AddWorkingDays returns the instant n working days after start, where a working
// day is one day's working time (DailyHours): from 10:00 on a working day that is
// 10:00 on the n-th following working day; from outside working hours it is the
// end of the n-th working day's hours. n must be positive (ErrDuration); unknown
// years are reported as for AddWorking.
func (c *Calendar) AddWorkingDays(start time.Time, n int) (time.Time, error) {
	if n <= 0 {
		return time.Time{}, fmt.Errorf("%w: %d working days", ErrDuration, n)
	}
	return c.AddWorking(start, time.Duration(n)*c.daily)
}

// WorkingBetween returns the working time between a and b: the working hours of
// working days that lie between them. It is negative when b is before a. For a
// start s and a positive d, WorkingBetween(s, AddWorking(s, d)) == d. Days of
// unknown years that overlap the span are reported with an *UnknownYearError;
// the duration is still returned.
func (c *Calendar) WorkingBetween(a, b time.Time) (time.Duration, error) {
	if b.Before(a) {
		d, err := c.WorkingBetween(b, a)
		return -d, err
	}
	if !b.After(a) {
		return 0, nil
	}
	var u unknownYears
	var total time.Duration
	first, last := c.hours[0].Start, c.hours[len(c.hours)-1].End
	for day, end := DateOf(a), DateOf(b); !day.After(end); day = day.AddDays(1) {
		mid := day.Time()
		if !a.Before(mid.Add(last)) || !b.After(mid.Add(first)) {
			continue // the span does not reach into this day's working hours
		}
		if !c.workday(day, &u) {
			continue
		}
		for _, p := range c.hours {
			lo, hi := mid.Add(p.Start), mid.Add(p.End)
			if a.After(lo) {
				lo = a
			}
			if b.Before(hi) {
				hi = b
			}
			if hi.After(lo) {
				total += hi.Sub(lo)
			}
		}
	}
	return total, u.err()
}

// AddWall returns start plus d of wall-clock time, in China Standard Time, for
// policies that count every hour (the 54321 promise). d must be positive
// (ErrDuration). The calendar's schedule plays no part, so no year warning.
func (c *Calendar) AddWall(start time.Time, d time.Duration) (time.Time, error) {
	if d <= 0 {
		return time.Time{}, fmt.Errorf("%w: %v", ErrDuration, d)
	}
	return start.Add(d).In(shanghai), nil
}
