package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/calendar"
	"github.com/gengxin/gengxin/internal/cases"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
)

// TestCalendarAdmin: an administrator enters next year's holiday notice and
// local working hours on the calendar page; deadlines follow them at once, a
// second instance on the same database picks them up, and bad input is refused
// with the reason.
func TestCalendarAdmin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ta := newTestApp(t, d)
		post := func(path string, v url.Values) (*http.Response, string) {
			return ta.do(t, "admin", "POST", path, strings.NewReader(v.Encode()), formHeader)
		}
		_, page := ta.do(t, "admin", "GET", "/admin/calendar", nil, nil)
		if !strings.Contains(page, `id="year-2026"`) || !strings.Contains(page, "内置") {
			t.Fatal("the calendar page does not list the built-in 2026 schedule")
		}
		// Friday 5 February 2027, 17:00: one working hour ends on Monday the
		// 8th at 09:00 by the weekdays alone, on the 15th once the Spring
		// Festival (6–12 February) is known.
		start := time.Date(2027, 2, 5, 17, 0, 0, 0, calendar.Shanghai())
		due := func(c *calendar.Calendar) string {
			t.Helper()
			at, _ := c.AddWorking(start, time.Hour)
			return at.In(calendar.Shanghai()).Format("2006-01-02 15:04")
		}
		if got := due(ta.Cases.Calendar()); got != "2027-02-08 09:00" {
			t.Fatalf("before the notice: %s", got)
		}
		resp, page := post("/admin/calendar/notices", url.Values{"notice": {"year 2027\n春节: off 2027-02-20; workday 2027-02-20"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "listed under both") {
			t.Fatalf("contradictory notice = %d", resp.StatusCode)
		}
		resp, page = post("/admin/calendar/notices", url.Values{"notice": {"year 2027\n春节: off 2027-02-06..2027-02-12; workday 2027-02-17"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "Saturdays or Sundays") || !strings.Contains(page, "2027-02-06..2027-02-12") {
			t.Fatalf("weekday make-up = %d (the form must keep what was typed)", resp.StatusCode)
		}
		notice := "year 2027\nsource 测试通知\n春节: off 2027-02-06..2027-02-12; workday 2027-02-20"
		if resp, _ := post("/admin/calendar/notices", url.Values{"notice": {notice}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save notice = %d", resp.StatusCode)
		}
		if got := due(ta.Cases.Calendar()); got != "2027-02-15 09:00" {
			t.Fatalf("after the notice: %s, want 2027-02-15 09:00", got)
		}
		// A second instance on the same database reads it.
		other := cases.New(d, audit.New(d, time.Now), nil, time.Now)
		if err := other.LoadCalendar(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := due(other.Calendar()); got != "2027-02-15 09:00" {
			t.Fatalf("second instance: %s", got)
		}
		// Local hours: 09:00–12:00 and 13:00–18:00.
		if resp, page := post("/admin/calendar/hours", url.Values{"hours": {"9-5"}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "HH:MM") {
			t.Fatalf("bad hours = %d", resp.StatusCode)
		}
		if resp, _ := post("/admin/calendar/hours", url.Values{"hours": {"09:00-12:00,13:00-18:00"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save hours = %d", resp.StatusCode)
		}
		if got := due(ta.Cases.Calendar()); got != "2027-02-05 18:00" {
			t.Fatalf("with the local hours: %s", got)
		}
		_, page = ta.do(t, "admin", "GET", "/admin/calendar", nil, nil)
		if !strings.Contains(page, `id="year-2027"`) || !strings.Contains(page, "测试通知") || !strings.Contains(page, "09:00-12:00,13:00-18:00") {
			t.Fatal("the page does not show the stored year and hours")
		}
		post("/admin/calendar/hours", url.Values{"reset": {"1"}})
		if resp, _ := post("/admin/calendar/notices/2027/delete", nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("delete = %d", resp.StatusCode)
		}
		if resp, _ := post("/admin/calendar/notices/2026/delete", nil); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("deleting a built-in year = %d, want 404", resp.StatusCode)
		}
		if got := due(ta.Cases.Calendar()); got != "2027-02-08 09:00" {
			t.Fatalf("after removing the notice and the hours: %s", got)
		}
		var n int
		if err := d.Read().QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action LIKE 'calendar.%'`).Scan(&n); err != nil || n != 4 {
			t.Fatalf("audited calendar changes = %d, %v", n, err)
		}
	})
}
