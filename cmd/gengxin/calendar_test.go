package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/calendar"
	"github.com/gengxin/gengxin/internal/cases"
	"github.com/gengxin/gengxin/internal/db"
)

// gxCalendar runs "gengxin calendar ARGS" and returns the exit code run would give.
func gxCalendar(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, stdin: strings.NewReader(""), getenv: func(string) string { return "" }}
	e.logger = newLogger(&errb, "error")
	err := cmdCalendar(context.Background(), e, args)
	code := 0
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		code = 2
		errb.WriteString(err.Error())
	default:
		code = 1
		errb.WriteString(err.Error())
	}
	return code, out.String(), errb.String()
}

// TestCalendarDue checks due times worked out by hand from the State Council
// notices for 2025 and 2026, with working hours 08:30–12:00 and 13:30–17:30.
func TestCalendarDue(t *testing.T) {
	dir := t.TempDir()
	// A made-up notice for 2027, for the test only: Jan 1–3 off.
	notice := writeFile(t, dir, "2027.txt", "year 2027\nsource test\n元旦 New Year's Day: off 2027-01-01..2027-01-03\n")
	cases := []struct {
		name string
		args []string
		want string
		warn bool
	}{
		// Wed 2025-11-12: 45 min before lunch, 15 min after it.
		{"lunch break", []string{"--start", "2025-11-12T11:15:00+08:00", "--working", "1h"}, "2025-11-12T13:45:00+08:00", false},
		// Fri 2026-02-13 16:00–17:30 is 1.5 h; Sat Feb 14 is a make-up workday: 08:30 + 1.5 h.
		{"make-up Saturday before the Spring Festival", []string{"--start", "2026-02-13T16:00:00+08:00", "--working", "3h"}, "2026-02-14T10:00:00+08:00", false},
		// Sat Feb 14 16:00–17:30 is 1.5 h; Feb 15–23 off; Tue Feb 24 08:30 + 2.5 h.
		{"across the 2026 Spring Festival", []string{"--start", "2026-02-14T16:00:00+08:00", "--working", "4h"}, "2026-02-24T11:00:00+08:00", false},
		// 07:00 UTC is 15:00 in Beijing on Tue 2025-09-30: 2.5 h that day; Oct 1–8 off; Thu Oct 9 08:30 + 30 min.
		{"start given in UTC, National Day 2025", []string{"--start", "2025-09-30T07:00:00Z", "--working", "3h"}, "2025-10-09T09:00:00+08:00", false},
		// Wed 2025-12-31 17:00: 30 min; Jan 1–3 2026 off; Sun Jan 4 is a make-up workday.
		{"year boundary, start without offset", []string{"--start", "2025-12-31T17:00", "--working", "1h"}, "2026-01-04T09:00:00+08:00", false},
		// Fri 2026-04-03 10:00 plus one working day: Apr 4–6 (Qingming) off, so Tue Apr 7 10:00.
		{"one working day over Qingming", []string{"--start", "2026-04-03T10:00:00+08:00", "--working", "1d"}, "2026-04-07T10:00:00+08:00", false},
		// Fri 2025-04-25 10:00 plus two working days: Sat Apr 26 off, Sun Apr 27 make-up, Mon Apr 28.
		{"two working days over a make-up Sunday", []string{"--start", "2025-04-25T10:00:00+08:00", "--working", "2d"}, "2025-04-28T10:00:00+08:00", false},
		// Start exactly at 12:00 on Mon 2026-03-09: counting begins at 13:30.
		{"start at noon", []string{"--start", "2026-03-09T12:00:00+08:00", "--working", "30m"}, "2026-03-09T14:00:00+08:00", false},
		// Start exactly at 17:30 on Thu 2026-04-30: May 1–5 off, Wed May 6 08:30 + 1 h.
		{"start at 17:30 before Labour Day", []string{"--start", "2026-04-30T17:30:00+08:00", "--working", "1h"}, "2026-05-06T09:30:00+08:00", false},
		// Deployment hours 09:00–12:00, 14:00–18:00: 1 h before lunch, 1 h after.
		{"local working hours", []string{"--hours", "09:00-12:00,14:00-18:00", "--start", "2025-11-12T11:00:00+08:00", "--working", "2h"}, "2025-11-12T15:00:00+08:00", false},
		{"wall clock days", []string{"--start", "2026-02-14T16:00:00+08:00", "--wall", "2d"}, "2026-02-16T16:00:00+08:00", false},
		{"wall clock minutes", []string{"--start", "2026-02-14T23:50:00+08:00", "--wall", "40m"}, "2026-02-15T00:30:00+08:00", false},
		// 2027 is unknown: Fri Jan 1 2027 is taken as a working day, with a warning.
		{"unknown year warns", []string{"--start", "2026-12-31T17:00:00+08:00", "--working", "1h"}, "2027-01-01T09:00:00+08:00", true},
		{"notice added for 2027", []string{"--notice", notice, "--start", "2026-12-31T17:00:00+08:00", "--working", "1h"}, "2027-01-04T09:00:00+08:00", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := gxCalendar(t, append([]string{"due"}, tc.args...)...)
			if code != 0 || strings.TrimSpace(out) != tc.want {
				t.Fatalf("calendar due %v = %d %q %q; want %s", tc.args, code, out, errs, tc.want)
			}
			warned := strings.Contains(errs, "WARNING") && strings.Contains(errs, "2027")
			if warned != tc.warn {
				t.Errorf("stderr %q; warning expected: %v", errs, tc.warn)
			}
		})
	}
}

func TestCalendarDueBadInput(t *testing.T) {
	dir := t.TempDir()
	badNotice := writeFile(t, dir, "bad.txt", "year 2027\nX: off 2027-05-01; workday 2027-05-06\n")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"due", "--working", "1h"}, 2, "--start"},
		{[]string{"due", "--start", "2026-03-09T10:00:00+08:00"}, 2, "exactly one"},
		{[]string{"due", "--start", "2026-03-09T10:00:00+08:00", "--working", "1h", "--wall", "1h"}, 2, "exactly one"},
		{[]string{"due", "--start", "2026-03-09T10:00:00+08:00", "--working", "0s"}, 2, "positive"},
		{[]string{"due", "--start", "2026-03-09T10:00:00+08:00", "--working", "-1h"}, 2, "positive"},
		{[]string{"due", "--start", "2026-03-09T10:00:00+08:00", "--working", "2d3h"}, 2, "whole positive number"},
		{[]string{"due", "--start", "2026-03-09T10:00:00+08:00", "--wall", "0d"}, 2, "whole positive number"},
		{[]string{"due", "--start", "next monday", "--working", "1h"}, 2, "RFC 3339"},
		{[]string{"due", "--start", "2026-03-09T10:00:00+08:00", "--working", "1h", "--hours", "12:00-08:00"}, 2, "--hours"},
		{[]string{"due", "--start", "2026-03-09T10:00:00+08:00", "--working", "1h", "--notice", badNotice}, 1, "Saturdays or Sundays"},
		{[]string{"due", "--start", "2026-03-09T10:00:00+08:00", "--working", "1h", "extra"}, 2, "unexpected"},
		{[]string{"show"}, 2, "one year"},
		{[]string{"show", "twenty"}, 2, "not a year"},
		{[]string{}, 2, "subcommand"},
		{[]string{"when"}, 2, "unknown subcommand"},
	}
	for _, tc := range cases {
		code, out, errs := gxCalendar(t, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) || out != "" {
			t.Errorf("calendar %v = %d %q %q; want %d and %q", tc.args, code, out, errs, tc.code, tc.want)
		}
	}
	if code, out, _ := gxCalendar(t, "due", "--help"); code != 0 || !strings.Contains(out, "--working") {
		t.Errorf("due --help = %d %q", code, out)
	}
}

func TestCalendarShow(t *testing.T) {
	code, out, errs := gxCalendar(t, "show", "2026")
	if code != 0 {
		t.Fatalf("show 2026 = %d %q", code, errs)
	}
	for _, want := range []string{
		"2026: 33 days off, 6 make-up workdays",
		"working hours 08:30-12:00,13:30-17:30",
		"元旦 New Year's Day\n  off      2026-01-01 Thu .. 2026-01-03 Sat  (3 days)\n  workday  2026-01-04 Sun\n",
		"春节 Spring Festival\n  off      2026-02-15 Sun .. 2026-02-23 Mon  (9 days)\n  workday  2026-02-14 Sat, 2026-02-28 Sat\n",
		"清明节 Qingming Festival\n  off      2026-04-04 Sat .. 2026-04-06 Mon  (3 days)\n\n",
		"劳动节 Labour Day\n  off      2026-05-01 Fri .. 2026-05-05 Tue  (5 days)\n  workday  2026-05-09 Sat\n",
		"端午节 Dragon Boat Festival\n  off      2026-06-19 Fri .. 2026-06-21 Sun  (3 days)\n",
		"中秋节 Mid-Autumn Festival\n  off      2026-09-25 Fri .. 2026-09-27 Sun  (3 days)\n",
		"国庆节 National Day\n  off      2026-10-01 Thu .. 2026-10-07 Wed  (7 days)\n  workday  2026-09-20 Sun, 2026-10-10 Sat\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("show 2026 lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = gxCalendar(t, "show", "2025")
	for _, want := range []string{
		"2025: 28 days off, 5 make-up workdays",
		"元旦 New Year's Day\n  off      2025-01-01 Wed  (1 day)\n",
		"春节 Spring Festival\n  off      2025-01-28 Tue .. 2025-02-04 Tue  (8 days)\n  workday  2025-01-26 Sun, 2025-02-08 Sat\n",
		"  off      2025-10-01 Wed .. 2025-10-08 Wed  (8 days)\n  workday  2025-09-28 Sun, 2025-10-11 Sat\n",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("show 2025 lacks %q:\n%s", want, out)
		}
	}

	code, out, errs = gxCalendar(t, "show", "2027")
	if code != 1 || out != "" || !strings.Contains(errs, "WARNING") || !strings.Contains(errs, "--notice") {
		t.Errorf("show 2027 = %d %q %q", code, out, errs)
	}

	// The JSON form reads back as the built-in notice, and can be given to --notice.
	code, out, _ = gxCalendar(t, "show", "--json", "2026")
	n, err := calendar.ParseNotice([]byte(out))
	if code != 0 || err != nil || !reflect.DeepEqual(n, calendar.Builtin()[1]) {
		t.Errorf("show --json 2026 = %d %v\n%s", code, err, out)
	}
	dir := t.TempDir()
	path := writeFile(t, dir, "2026.json", out)
	if code, out, errs := gxCalendar(t, "show", "--notice", path, "2026"); code != 0 || !strings.Contains(out, "33 days off") {
		t.Errorf("show with the notice given again = %d %q %q", code, out, errs)
	}
}

// TestCalendarFromDatabase: --db uses the schedule an administrator stored.
func TestCalendarFromDatabase(t *testing.T) {
	ctx := context.Background()
	dsn := "sqlite:" + t.TempDir() + "/cal.db"
	d, err := db.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Migrate(ctx, newLogger(io.Discard, "error")); err != nil {
		t.Fatal(err)
	}
	n, err := calendar.ParseNotice([]byte("year 2027\n春节: off 2027-02-06..2027-02-12; workday 2027-02-20"))
	if err != nil {
		t.Fatal(err)
	}
	svc := cases.New(d, audit.New(d, time.Now), nil, time.Now)
	if err := svc.SaveNotice(audit.WithActor(ctx, audit.System("test")), n); err != nil {
		t.Fatal(err)
	}
	d.Close()
	args := []string{"due", "--start", "2027-02-05T17:00:00+08:00", "--working", "1h"}
	if _, out, _ := gxCalendar(t, args...); strings.TrimSpace(out) != "2027-02-08T09:00:00+08:00" {
		t.Fatalf("without --db: %q", out)
	}
	if code, out, errs := gxCalendar(t, append(args, "--db", dsn)...); code != 0 || strings.TrimSpace(out) != "2027-02-15T09:00:00+08:00" {
		t.Fatalf("with --db: %d %q %q", code, out, errs)
	}
}
