package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/calendar"
	"github.com/gengxin/gengxin/internal/cases"
	"github.com/gengxin/gengxin/internal/db"
)

const calendarAbout = `
The working-day calendar behind deadlines counted in working time. Subcommands:
  due   --start TIME (--working DURATION | --wall DURATION)
        prints the due time (RFC 3339, +08:00) when DURATION is added to TIME
  show  [--json] YEAR
        lists the year's days off and make-up workdays, by holiday

Working days are Monday to Friday plus make-up workdays (调休), minus public
holidays; working hours are 08:30–12:00 and 13:30–17:30 China Standard Time unless
--hours says otherwise. The State Council schedules for 2025 and 2026 are built in;
--db DSN adds the schedules and hours administrators stored on the calendar page
(/admin/calendar) of that database; --notice FILE adds a later year's notice, as JSON (the form "calendar show --json
2026" prints) or as text, one line per holiday block:
  year YYYY
  source NAME OF THE NOTICE
  HOLIDAY NAME: off YYYY-MM-DD..YYYY-MM-DD; workday YYYY-MM-DD, YYYY-MM-DD
A year without a schedule is assumed to have only weekends off, and a WARNING
line on standard error says so.

TIME is RFC 3339 (2026-02-13T16:00:00+08:00); without an offset it is read as
China Standard Time (2026-02-13T16:00). DURATION is Go syntax (90m, 3h, 1h30m) or
a whole number of days: with --working "2d" is two working days (two days' worth
of working hours, so 10:00 on a working day gives 10:00 on the second working day
after it); with --wall "2d" is 48 hours.`

func cmdCalendar(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fs := newFlags(e, "calendar", "calendar due|show [flags]", calendarAbout)
		if err := parse(fs, args); err != nil {
			return err
		}
		return usageErr("name a subcommand: due or show")
	}
	switch args[0] {
	case "due":
		return calendarDue(e, args[1:])
	case "show":
		return calendarShow(e, args[1:])
	}
	return usageErr("unknown subcommand %q: use due or show", args[0])
}

// calendarFlags adds the flags that shape the calendar: --hours and --notice.
type calendarFlags struct {
	hours   *string
	dsn     *string
	notices listFlag
}

func (cf *calendarFlags) build() (*calendar.Calendar, error) {
	cal := calendar.Default()
	if *cf.dsn != "" {
		// The schedules and hours administrators stored on /admin/calendar.
		ctx := context.Background()
		d, err := db.Open(ctx, *cf.dsn)
		if err != nil {
			return nil, err
		}
		defer d.Close()
		svc := cases.New(d, audit.New(d, time.Now), nil, time.Now)
		if err := svc.LoadCalendar(ctx); err != nil {
			return nil, fmt.Errorf("--db: %w", err)
		}
		cal = svc.Calendar()
	}
	if *cf.hours != "" {
		hours, err := calendar.ParseHours(*cf.hours)
		if err != nil {
			return nil, usageErr("--hours: %v", err)
		}
		if cal, err = cal.WithHours(hours); err != nil {
			return nil, err
		}
	}
	for _, path := range cf.notices.values {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		n, err := calendar.ParseNotice(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if cal, err = cal.With(n); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return cal, nil
}

func calendarFlagSet(e *env, sub, synopsis string) (*calendarFlags, *flag.FlagSet) {
	fs := newFlags(e, "calendar "+sub, synopsis, calendarAbout)
	cf := &calendarFlags{hours: fs.String("hours", "", `working hours, e.g. "08:30-12:00,13:30-17:30" (default: those)`)}
	cf.dsn = fs.String("db", "", "also use the notices and working hours stored in this database (sqlite:PATH or postgres://…)")
	fs.Var(&cf.notices, "notice", "add a year's holiday notice from a text or JSON file (repeatable)")
	return cf, fs
}

func calendarDue(e *env, args []string) error {
	cf, fs := calendarFlagSet(e, "due", "calendar due --start TIME (--working DURATION | --wall DURATION) [--hours H] [--notice FILE] [--db DSN]")
	startText := fs.String("start", "", "start time, RFC 3339 (required)")
	working := fs.String("working", "", "working time to add: 90m, 3h, 2d (working days)")
	wall := fs.String("wall", "", "wall-clock time to add: 40m, 3h, 2d (48 hours)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	if *startText == "" {
		return usageErr("--start is required")
	}
	if (*working == "") == (*wall == "") {
		return usageErr("give exactly one of --working and --wall")
	}
	start, err := parseCalendarTime(*startText)
	if err != nil {
		return usageErr("--start: %v", err)
	}
	cal, err := cf.build()
	if err != nil {
		return err
	}
	var due time.Time
	if *working != "" {
		d, days, err := parseCalendarDuration(*working)
		if err != nil {
			return usageErr("--working: %v", err)
		}
		if days > 0 {
			due, err = cal.AddWorkingDays(start, days)
		} else {
			due, err = cal.AddWorking(start, d)
		}
		var unknown *calendar.UnknownYearError
		if errors.As(err, &unknown) {
			fmt.Fprintf(e.stderr, "WARNING: %s (add it with --notice FILE)\n", strings.TrimPrefix(err.Error(), "calendar: "))
		} else if err != nil {
			return err
		}
	} else {
		d, days, err := parseCalendarDuration(*wall)
		if err != nil {
			return usageErr("--wall: %v", err)
		}
		if days > 0 {
			d = time.Duration(days) * 24 * time.Hour
		}
		if due, err = cal.AddWall(start, d); err != nil {
			return err
		}
	}
	fmt.Fprintln(e.stdout, due.Format(time.RFC3339))
	return nil
}

// parseCalendarTime reads RFC 3339, or a date and time without an offset taken
// as China Standard Time.
func parseCalendarTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, calendar.Shanghai()); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time such as 2026-02-13T16:00:00+08:00", s)
}

// parseCalendarDuration reads a positive Go duration, or "Nd" for N whole days
// (returned as days, the duration then being zero).
func parseCalendarDuration(s string) (time.Duration, int, error) {
	if strings.Contains(s, "d") {
		days, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
		if err != nil || days <= 0 || !strings.HasSuffix(s, "d") {
			return 0, 0, fmt.Errorf("%q: days are a whole positive number such as 2d, not combined with hours", s)
		}
		return 0, days, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, 0, fmt.Errorf("%q is not a duration such as 90m, 3h or 2d", s)
	}
	if d <= 0 {
		return 0, 0, fmt.Errorf("%q: the duration must be positive", s)
	}
	return d, 0, nil
}

func calendarShow(e *env, args []string) error {
	cf, fs := calendarFlagSet(e, "show", "calendar show [--json] [--notice FILE] [--db DSN] YEAR")
	asJSON := fs.Bool("json", false, "print the year's notice as JSON (the form --notice reads)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("name exactly one year")
	}
	year, err := strconv.Atoi(fs.Arg(0))
	if err != nil {
		return usageErr("%q is not a year", fs.Arg(0))
	}
	cal, err := cf.build()
	if err != nil {
		return err
	}
	n, ok := cal.Notice(year)
	if !ok {
		fmt.Fprintf(e.stderr, "WARNING: no holiday schedule for %d: deadlines in %d take only weekends as days off\n", year, year)
		return fmt.Errorf("%d is not in the calendar (known: %s); add the State Council notice with --notice FILE", year, joinYears(cal.Years()))
	}
	if *asJSON {
		data, err := n.Marshal()
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s\n", data)
		return nil
	}
	off, work, _ := cal.Year(year)
	fmt.Fprintf(e.stdout, "%d: %d days off, %d make-up workdays", year, len(off), len(work))
	if n.Source != "" {
		fmt.Fprintf(e.stdout, " (%s)", n.Source)
	}
	fmt.Fprintf(e.stdout, "\nworking hours %s\n", calendar.FormatHours(cal.Hours()))
	for _, h := range n.Holidays {
		fmt.Fprintf(e.stdout, "\n%s\n", h.Name)
		days := len(h.Days())
		if days == 1 {
			fmt.Fprintf(e.stdout, "  off      %s  (1 day)\n", dayText(h.From))
		} else {
			fmt.Fprintf(e.stdout, "  off      %s .. %s  (%d days)\n", dayText(h.From), dayText(h.To), days)
		}
		if len(h.Workdays) > 0 {
			ws := make([]string, len(h.Workdays))
			for i, d := range h.Workdays {
				ws[i] = dayText(d)
			}
			fmt.Fprintf(e.stdout, "  workday  %s\n", strings.Join(ws, ", "))
		}
	}
	return nil
}

func dayText(d calendar.Date) string { return d.String() + " " + d.Weekday().String()[:3] }

func joinYears(ys []int) string {
	s := make([]string, len(ys))
	for i, y := range ys {
		s[i] = strconv.Itoa(y)
	}
	return strings.Join(s, ", ")
}
