package calendar

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// at reads "2006-01-02 15:04" in China Standard Time.
func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, Shanghai())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func date(t *testing.T, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func warnedYears(err error) []int {
	var u *UnknownYearError
	if errors.As(err, &u) {
		return u.Years
	}
	return nil
}

// TestAddWorking works through deadlines by hand. Default hours: 08:30–12:00 and
// 13:30–17:30, 7 h 30 min a day. "+1h from 17:00" spends 30 minutes on the start
// day and the other 30 minutes from 08:30 of the next working day, i.e. 09:00.
func TestAddWorking(t *testing.T) {
	cal := Default()
	cases := []struct {
		name        string
		start       string
		d           time.Duration
		want        string
		wantUnknown []int
	}{
		// Ordinary week of 2025-03-03 (Monday) to 2025-03-09 (Sunday).
		{"within the morning", "2025-03-03 09:00", time.Hour, "2025-03-03 10:00", nil},
		{"lunch break skipped", "2025-03-03 11:00", 2 * time.Hour, "2025-03-03 14:30", nil},
		{"ends exactly at noon", "2025-03-03 11:30", 30 * time.Minute, "2025-03-03 12:00", nil},
		{"start exactly at 12:00", "2025-03-03 12:00", 30 * time.Minute, "2025-03-03 14:00", nil},
		{"start during lunch", "2025-03-03 12:45", time.Hour, "2025-03-03 14:30", nil},
		{"start exactly at 13:30", "2025-03-03 13:30", 30 * time.Minute, "2025-03-03 14:00", nil},
		{"ends exactly at 17:30", "2025-03-03 17:00", 30 * time.Minute, "2025-03-03 17:30", nil},
		{"start exactly at 17:30", "2025-03-03 17:30", time.Hour, "2025-03-04 09:30", nil},
		{"end of day rollover", "2025-03-04 17:00", time.Hour, "2025-03-05 09:00", nil},
		{"start before work", "2025-03-04 07:00", time.Hour, "2025-03-04 09:30", nil},
		{"start at night", "2025-03-04 23:59", time.Hour, "2025-03-05 09:30", nil},
		{"over the weekend", "2025-03-07 16:30", 2 * time.Hour, "2025-03-10 09:30", nil},
		{"start on a Saturday", "2025-03-08 10:00", time.Hour, "2025-03-10 09:30", nil},
		{"a full working day", "2025-03-03 10:00", 7*time.Hour + 30*time.Minute, "2025-03-04 10:00", nil},
		{"two weeks of working time", "2025-03-03 08:30", 75 * time.Hour, "2025-03-14 17:30", nil},
		{"seconds are kept", "2025-03-03 11:59", 90 * time.Second, "2025-03-03 13:30", nil}, // checked separately below

		// 2025 (State Council notice for 2025).
		{"2025 New Year's Day, Jan 1 (Wed) off", "2025-01-01 10:00", time.Hour, "2025-01-02 09:30", nil},
		{"2025 Spring Festival: Sat Jan 25 off, Sun Jan 26 make-up workday", "2025-01-25 10:00", time.Hour, "2025-01-26 09:30", nil},
		{"2025 Spring Festival: Jan 27 (Mon) evening to Feb 5 (Wed)", "2025-01-27 17:00", time.Hour, "2025-02-05 09:00", nil},
		{"2025 Spring Festival: Sat Feb 8 make-up workday", "2025-02-07 17:00", time.Hour, "2025-02-08 09:00", nil},
		{"2025 Qingming: Apr 4–6 off", "2025-04-03 17:00", time.Hour, "2025-04-07 09:00", nil},
		{"2025 Labour Day: Sun Apr 27 make-up workday", "2025-04-25 17:00", time.Hour, "2025-04-27 09:00", nil},
		{"2025 Labour Day: May 1–5 off", "2025-04-30 17:00", time.Hour, "2025-05-06 09:00", nil},
		{"2025 Dragon Boat: May 31–Jun 2 off", "2025-05-30 17:00", time.Hour, "2025-06-03 09:00", nil},
		{"2025 National Day: Sun Sep 28 make-up workday", "2025-09-26 17:00", time.Hour, "2025-09-28 09:00", nil},
		{"2025 National Day: Oct 1–8 off", "2025-09-30 17:00", time.Hour, "2025-10-09 09:00", nil},
		{"2025 National Day: Sat Oct 11 make-up workday", "2025-10-10 17:00", time.Hour, "2025-10-11 09:00", nil},

		// Year boundary: Dec 31 2025 (Wed) evening; Jan 1–3 2026 off, Sun Jan 4 a make-up workday.
		{"year boundary 2025 to 2026", "2025-12-31 17:00", time.Hour, "2026-01-04 09:00", nil},

		// 2026 (State Council notice for 2026).
		{"2026 Spring Festival: Sat Feb 14 make-up workday", "2026-02-13 17:00", time.Hour, "2026-02-14 09:00", nil},
		{"2026 Spring Festival: Feb 15–23 off", "2026-02-14 17:00", time.Hour, "2026-02-24 09:00", nil},
		{"2026 Spring Festival: Sat Feb 28 make-up workday", "2026-02-27 17:00", time.Hour, "2026-02-28 09:00", nil},
		// Thu Feb 12 10:00–17:30 gives 6 h, Fri Feb 13 7.5 h, Sat Feb 14 7.5 h (21 h);
		// the last 1.5 h run from 08:30 on Tue Feb 24.
		{"2026 three working days across the Spring Festival", "2026-02-12 10:00", 22*time.Hour + 30*time.Minute, "2026-02-24 10:00", nil},
		{"2026 Qingming: Apr 4–6 off", "2026-04-03 17:00", time.Hour, "2026-04-07 09:00", nil},
		{"2026 Labour Day: May 1–5 off", "2026-04-30 17:00", time.Hour, "2026-05-06 09:00", nil},
		{"2026 Labour Day: Sat May 9 make-up workday", "2026-05-08 17:00", time.Hour, "2026-05-09 09:00", nil},
		{"2026 Dragon Boat: Jun 19–21 off", "2026-06-18 17:00", time.Hour, "2026-06-22 09:00", nil},
		{"2026 National Day: Sun Sep 20 make-up workday", "2026-09-19 10:00", time.Hour, "2026-09-20 09:30", nil},
		{"2026 Mid-Autumn: Sep 25–27 off", "2026-09-24 17:00", time.Hour, "2026-09-28 09:00", nil},
		{"2026 National Day: Oct 1–7 off", "2026-09-30 17:00", time.Hour, "2026-10-08 09:00", nil},
		{"2026 National Day: Sat Oct 10 make-up workday", "2026-10-09 17:00", time.Hour, "2026-10-10 09:00", nil},

		// 2027 has no schedule yet: Fri Jan 1 2027 is taken as a working day, loudly.
		{"unknown year 2027 warns", "2026-12-31 17:00", time.Hour, "2027-01-01 09:00", []int{2027}},
		{"end of 2026 does not warn", "2026-12-31 16:00", time.Hour, "2026-12-31 17:00", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cal.AddWorking(at(t, tc.start), tc.d)
			if tc.wantUnknown == nil && err != nil {
				t.Fatalf("AddWorking: %v", err)
			}
			if !slices.Equal(warnedYears(err), tc.wantUnknown) {
				t.Fatalf("unknown years = %v, want %v (err %v)", warnedYears(err), tc.wantUnknown, err)
			}
			want := at(t, tc.want)
			if tc.name == "seconds are kept" {
				want = want.Add(30 * time.Second) // 11:59 + 60 s = 12:00, + 30 s after 13:30
			}
			if !got.Equal(want) {
				t.Errorf("AddWorking(%s, %v) = %s, want %s", tc.start, tc.d, got.Format(time.RFC3339), want.Format(time.RFC3339))
			}
			if _, off := got.Zone(); off != 8*3600 {
				t.Errorf("result zone offset %d, want +08:00", off)
			}
		})
	}
}

func TestAddWorkingRejectsNonPositive(t *testing.T) {
	cal := Default()
	s := time.Date(2025, 3, 3, 9, 0, 0, 0, Shanghai())
	for _, d := range []time.Duration{0, -time.Hour} {
		if _, err := cal.AddWorking(s, d); !errors.Is(err, ErrDuration) {
			t.Errorf("AddWorking(%v) err = %v, want ErrDuration", d, err)
		}
		if _, err := cal.AddWall(s, d); !errors.Is(err, ErrDuration) {
			t.Errorf("AddWall(%v) err = %v, want ErrDuration", d, err)
		}
	}
	for _, n := range []int{0, -2} {
		if _, err := cal.AddWorkingDays(s, n); !errors.Is(err, ErrDuration) {
			t.Errorf("AddWorkingDays(%d) err = %v, want ErrDuration", n, err)
		}
	}
}

func TestAddWorkingDays(t *testing.T) {
	cal := Default()
	cases := []struct {
		start string
		n     int
		want  string
	}{
		{"2025-03-03 10:00", 1, "2025-03-04 10:00"},
		{"2025-03-07 10:00", 1, "2025-03-10 10:00"}, // Friday → Monday
		{"2025-03-07 19:00", 1, "2025-03-10 17:30"}, // after hours: the end of the next working day
		{"2025-03-03 10:00", 5, "2025-03-10 10:00"},
		// Illegal-structure style 5 working days from Thu Feb 12 2026 10:00: Fri 13,
		// Sat 14 (make-up), Tue 24, Wed 25, Thu 26.
		{"2026-02-12 10:00", 5, "2026-02-26 10:00"},
		// From Tue Sep 30 2025: Oct 1–8 off, then Thu 9, Fri 10, Sat 11 (make-up).
		{"2025-09-30 15:00", 3, "2025-10-11 15:00"},
	}
	for _, tc := range cases {
		got, err := cal.AddWorkingDays(at(t, tc.start), tc.n)
		if err != nil || !got.Equal(at(t, tc.want)) {
			t.Errorf("AddWorkingDays(%s, %d) = %s, %v; want %s", tc.start, tc.n, got, err, tc.want)
		}
	}
}

func TestAddWall(t *testing.T) {
	cal := Default()
	// Wall-clock time ignores nights, weekends and holidays: 2 days from Sat Feb 14 2026.
	got, err := cal.AddWall(time.Date(2026, 2, 14, 2, 0, 0, 0, time.UTC), 48*time.Hour)
	if err != nil || got.Format(time.RFC3339) != "2026-02-16T10:00:00+08:00" {
		t.Errorf("AddWall = %s, %v", got.Format(time.RFC3339), err)
	}
}

func TestIsWorkday(t *testing.T) {
	cal := Default()
	cases := []struct {
		date string
		want bool
	}{
		{"2025-01-01", false}, {"2025-01-02", true},
		{"2025-01-26", true}, {"2025-01-28", false}, {"2025-02-04", false}, {"2025-02-05", true}, {"2025-02-08", true},
		{"2025-04-04", false}, {"2025-04-27", true}, {"2025-05-05", false}, {"2025-05-31", false}, {"2025-06-02", false},
		{"2025-09-28", true}, {"2025-10-08", false}, {"2025-10-09", true}, {"2025-10-11", true},
		{"2026-01-01", false}, {"2026-01-02", false}, {"2026-01-03", false}, {"2026-01-04", true},
		{"2026-02-14", true}, {"2026-02-24", true}, {"2026-02-28", true},
		{"2026-04-06", false}, {"2026-05-09", true}, {"2026-06-19", false}, {"2026-09-20", true},
		{"2026-09-25", false}, {"2026-10-07", false}, {"2026-10-08", true}, {"2026-10-10", true},
		{"2026-03-07", false}, {"2026-03-08", false}, {"2026-03-09", true}, // an ordinary weekend and Monday
	}
	for d := date(t, "2026-02-15"); !d.After(date(t, "2026-02-23")); d = d.AddDays(1) {
		cases = append(cases, struct {
			date string
			want bool
		}{d.String(), false})
	}
	for _, tc := range cases {
		got, err := cal.IsWorkday(date(t, tc.date))
		if err != nil || got != tc.want {
			t.Errorf("IsWorkday(%s) = %v, %v; want %v", tc.date, got, err, tc.want)
		}
	}
	// Fri Jan 1 2027: answered by the weekday, with a warning.
	got, err := cal.IsWorkday(date(t, "2027-01-01"))
	if !got || !slices.Equal(warnedYears(err), []int{2027}) {
		t.Errorf("IsWorkday(2027-01-01) = %v, %v; want true with a warning about 2027", got, err)
	}
	if !strings.Contains(err.Error(), "2027") {
		t.Errorf("warning %q does not name the year", err)
	}
	day := cal.Day(date(t, "2026-02-14"))
	if !day.Workday || !day.MakeUp || !strings.Contains(day.Holiday, "Spring Festival") || !day.Known {
		t.Errorf("Day(2026-02-14) = %+v", day)
	}
}

func TestYear(t *testing.T) {
	cal := Default()
	cases := []struct {
		year          int
		offDays       int
		workdays      []string
		firstLastOffs [2]string
	}{
		// 1 + 8 + 3 + 5 + 3 + 8 days off.
		{2025, 28, []string{"2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"}, [2]string{"2025-01-01", "2025-10-08"}},
		// 3 + 9 + 3 + 5 + 3 + 3 + 7 days off.
		{2026, 33, []string{"2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"}, [2]string{"2026-01-01", "2026-10-07"}},
	}
	for _, tc := range cases {
		off, work, known := cal.Year(tc.year)
		if !known || len(off) != tc.offDays {
			t.Errorf("Year(%d): %d days off, known %v; want %d", tc.year, len(off), known, tc.offDays)
			continue
		}
		var ws []string
		for _, d := range work {
			ws = append(ws, d.String())
		}
		if !slices.Equal(ws, tc.workdays) {
			t.Errorf("Year(%d) workdays = %v, want %v", tc.year, ws, tc.workdays)
		}
		if off[0].String() != tc.firstLastOffs[0] || off[len(off)-1].String() != tc.firstLastOffs[1] {
			t.Errorf("Year(%d) days off run %s..%s", tc.year, off[0], off[len(off)-1])
		}
	}
	if _, _, known := cal.Year(2027); known {
		t.Error("2027 should be unknown")
	}
	if !slices.Equal(cal.Years(), []int{2025, 2026}) {
		t.Errorf("Years = %v", cal.Years())
	}
}

func TestWorkingBetween(t *testing.T) {
	cal := Default()
	cases := []struct {
		a, b string
		want time.Duration
	}{
		{"2025-03-03 09:00", "2025-03-03 14:00", 3*time.Hour + 30*time.Minute},
		{"2025-03-03 12:10", "2025-03-03 13:20", 0},
		{"2025-03-03 18:00", "2025-03-04 08:00", 0},
		{"2025-03-07 17:00", "2025-03-10 09:00", time.Hour},
		// Fri Feb 13 2026 17:00 → Tue Feb 24 09:00: 30 min + all of Sat Feb 14 + 30 min.
		{"2026-02-13 17:00", "2026-02-24 09:00", 8*time.Hour + 30*time.Minute},
		{"2025-03-03 14:00", "2025-03-03 09:00", -(3*time.Hour + 30*time.Minute)},
		{"2025-03-03 10:00", "2025-03-03 10:00", 0},
	}
	for _, tc := range cases {
		got, err := cal.WorkingBetween(at(t, tc.a), at(t, tc.b))
		if err != nil || got != tc.want {
			t.Errorf("WorkingBetween(%s, %s) = %v, %v; want %v", tc.a, tc.b, got, err, tc.want)
		}
	}
	got, err := cal.WorkingBetween(at(t, "2026-12-31 17:00"), at(t, "2027-01-04 09:00"))
	if got != 8*time.Hour+30*time.Minute || !slices.Equal(warnedYears(err), []int{2027}) {
		t.Errorf("WorkingBetween into 2027 = %v, %v; want 8h30m (Fri Jan 1 2027 counted) with a warning", got, err)
	}
}

// TestAddWorkingInverse checks WorkingBetween(s, AddWorking(s, d)) == d for random
// starts and durations within the known years, and that every due time falls
// inside working hours of a working day.
func TestAddWorkingInverse(t *testing.T) {
	cal := Default()
	rng := rand.New(rand.NewPCG(6, 2026))
	lo := time.Date(2025, 1, 1, 0, 0, 0, 0, Shanghai())
	span := time.Date(2026, 11, 30, 0, 0, 0, 0, Shanghai()).Sub(lo)
	for i := range 3000 {
		s := lo.Add(time.Duration(rng.Int64N(int64(span))))
		d := time.Duration(1 + rng.Int64N(int64(60*time.Hour)))
		if i%3 == 0 {
			d = time.Duration(1+rng.IntN(40*60)) * time.Minute
		}
		due, err := cal.AddWorking(s, d)
		if err != nil {
			t.Fatalf("AddWorking(%s, %v): %v", s, d, err)
		}
		back, err := cal.WorkingBetween(s, due)
		if err != nil || back != d {
			t.Fatalf("WorkingBetween(%s, AddWorking(…, %v) = %s) = %v, %v", s, d, due, back, err)
		}
		day := DateOf(due)
		if ok, _ := cal.IsWorkday(day); !ok {
			t.Fatalf("due %s is on a day off", due)
		}
		inside := false
		for _, p := range cal.Hours() {
			if due.After(day.Time().Add(p.Start)) && !due.After(day.Time().Add(p.End)) {
				inside = true
			}
		}
		if !inside {
			t.Fatalf("due %s is outside working hours", due)
		}
	}
}

func TestHours(t *testing.T) {
	ps, err := ParseHours("08:30-12:00, 13:30-17:30")
	if err != nil || !reflect.DeepEqual(ps, DefaultHours()) || FormatHours(ps) != "08:30-12:00,13:30-17:30" {
		t.Fatalf("ParseHours = %v, %v", ps, err)
	}
	for _, bad := range []string{"", "12:00-08:30", "08:30-12:00,11:00-13:00", "8.30-12", "09:00-25:00", "09:5-10:00"} {
		if _, err := ParseHours(bad); err == nil {
			t.Errorf("ParseHours(%q) accepted", bad)
		}
	}
	// A deployment working 09:00–12:00 and 14:00–18:00 (7 h a day).
	local, err := ParseHours("09:00-12:00,14:00-18:00")
	if err != nil {
		t.Fatal(err)
	}
	cal, err := Default().WithHours(local)
	if err != nil {
		t.Fatal(err)
	}
	if cal.DailyHours() != 7*time.Hour {
		t.Errorf("DailyHours = %v", cal.DailyHours())
	}
	got, _ := cal.AddWorking(at(t, "2025-03-03 11:00"), 2*time.Hour)
	if !got.Equal(at(t, "2025-03-03 15:00")) {
		t.Errorf("local hours: %s", got)
	}
	got, _ = cal.AddWorkingDays(at(t, "2025-03-03 08:00"), 1)
	if !got.Equal(at(t, "2025-03-03 18:00")) {
		t.Errorf("local hours, one working day from before work: %s", got)
	}
}

// made2027 is a made-up notice for 2027 in the text form, for tests only.
const made2027 = `# test notice, not the real schedule
year 2027
source test notice
元旦 New Year's Day: off 2027-01-01..2027-01-03
春节 Spring Festival: off 2027-02-05..2027-02-12; workday 2027-02-06x
`

func TestNotices(t *testing.T) {
	for _, n := range Builtin() {
		if err := n.Validate(); err != nil {
			t.Errorf("built-in %d: %v", n.Year, err)
		}
		text, err := ParseNotice([]byte(n.String()))
		if err != nil || !reflect.DeepEqual(text, n) {
			t.Errorf("text round trip of %d: %v\n%s", n.Year, err, n.String())
		}
		js, err := n.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseNotice(js)
		if err != nil || !reflect.DeepEqual(back, n) {
			t.Errorf("JSON round trip of %d: %v\n%s", n.Year, err, js)
		}
	}

	if _, err := ParseNotice([]byte(made2027)); err == nil || !strings.Contains(err.Error(), "line 5: date") {
		t.Errorf("a bad date should be reported with its line: %v", err)
	}
	// Feb 5 2027 is a Friday and Feb 6 a Saturday; Sun Feb 14 2027 is the made-up make-up workday.
	good := strings.Replace(made2027, "2027-02-06x", "2027-02-14", 1)
	n, err := ParseNotice([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	cal, err := Default().With(n)
	if err != nil {
		t.Fatal(err)
	}
	due, err := cal.AddWorking(at(t, "2026-12-31 17:00"), time.Hour)
	if err != nil || !due.Equal(at(t, "2027-01-04 09:00")) {
		t.Errorf("with the 2027 notice: %s, %v", due, err)
	}
	if ok, err := cal.IsWorkday(date(t, "2027-02-14")); !ok || err != nil {
		t.Errorf("2027-02-14 = %v, %v", ok, err)
	}
	if ok, _ := Default().IsWorkday(date(t, "2027-02-14")); ok {
		t.Error("the default calendar must not be changed by With")
	}

	bad := map[string]string{
		"weekday make-up":  "year 2027\nA: off 2027-05-01..2027-05-03; workday 2027-05-06",
		"reversed range":   "year 2027\nA: off 2027-05-03..2027-05-01",
		"far from year":    "year 2027\nA: off 2028-05-01",
		"listed twice":     "year 2027\nA: off 2027-05-01..2027-05-03\nB: off 2027-05-03",
		"make-up also off": "year 2027\nA: off 2027-05-01..2027-05-03; workday 2027-05-02",
		"no year":          "A: off 2027-05-01",
		"no off days":      "year 2027\nA: workday 2027-05-08",
		"no name":          "year 2027\n: off 2027-05-01",
		"garbage":          "year 2027\nA: holiday 2027-05-01",
		"JSON extra field": `{"year":2027,"holidays":[],"bonus":1}`,
		"JSON bad date":    `{"year":2027,"holidays":[{"name":"A","from":"2027-5-1","to":"2027-05-02"}]}`,
	}
	for name, text := range bad {
		if _, err := ParseNotice([]byte(text)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A later notice may not make a day of an earlier one a workday.
	clash := Notice{Year: 2027, Holidays: []Holiday{{Name: "X", From: NewDate(2027, 1, 9), To: NewDate(2027, 1, 9), Workdays: []Date{NewDate(2026, 12, 26)}}}}
	if _, err := New(DefaultHours(), append(Builtin(), clash)...); err != nil {
		t.Errorf("an ordinary Saturday of 2026 may be a make-up workday of the 2027 notice: %v", err)
	}
	clash.Holidays[0].Workdays = []Date{NewDate(2026, 10, 3)}
	if _, err := New(DefaultHours(), append(Builtin(), clash)...); err == nil {
		t.Error("a day off of 2026 turned into a workday by 2027 was accepted")
	}
}

func TestDate(t *testing.T) {
	if _, err := ParseDate("2026-02-30"); err == nil {
		t.Error("2026-02-30 accepted")
	}
	d := NewDate(2025, 12, 31).AddDays(1)
	if d.String() != "2026-01-01" || d.Weekday() != time.Thursday {
		t.Errorf("%s %s", d, d.Weekday())
	}
	if DateOf(time.Date(2026, 2, 14, 17, 0, 0, 0, time.UTC)).String() != "2026-02-15" {
		t.Error("DateOf must use China Standard Time")
	}
}
