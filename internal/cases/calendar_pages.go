package cases

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/calendar"
	"github.com/gengxin/gengxin/internal/web"
)

// calendarRoutes are the administrator's working-calendar pages: the years
// known with their days off and make-up workdays, a form to add a year's
// notice (text or JSON), to remove a stored one, and to set the working hours.
func (h *Handlers) calendarRoutes() []web.Route {
	admin := string(auth.UsersManage)
	return []web.Route{
		{Method: "GET", Pattern: "/admin/calendar", Perm: admin, Handler: h.calendarPage},
		{Method: "POST", Pattern: "/admin/calendar/notices", Perm: admin, Handler: h.saveNotice},
		{Method: "POST", Pattern: "/admin/calendar/notices/{year}/delete", Perm: admin, Handler: h.deleteNotice},
		{Method: "POST", Pattern: "/admin/calendar/hours", Perm: admin, Handler: h.saveHours},
	}
}

type calendarYear struct {
	Year     int
	Source   string
	Stored   bool
	Holidays []calendar.Holiday
	Off      int
	Workdays int
}

type calendarData struct {
	Years      []calendarYear
	Hours      string
	HoursSaved bool
	Today      string
	NoticeText string
	Example    string
	Problem    string
}

func (h *Handlers) calendarData(r *http.Request) (calendarData, error) {
	sc, err := h.svc.StoredCalendar(r.Context())
	if err != nil {
		return calendarData{}, err
	}
	cal := h.svc.Calendar()
	stored := map[int]bool{}
	for _, n := range sc.Notices {
		stored[n.Year] = true
	}
	d := calendarData{HoursSaved: sc.Hours != nil, Today: h.svc.clock().In(calendar.Shanghai()).Format(dateForm)}
	var hs []string
	for _, p := range cal.Hours() {
		hs = append(hs, p.String())
	}
	d.Hours = strings.Join(hs, ",")
	years := cal.Years()
	slices.Reverse(years)
	for _, y := range years {
		n, _ := cal.Notice(y)
		d.Years = append(d.Years, calendarYear{Year: y, Source: n.Source, Stored: stored[y], Holidays: n.Holidays, Off: len(n.Off()), Workdays: len(n.Workdays())})
	}
	next := years[0] + 1
	d.Example = fmt.Sprintf("year %d\nsource 国务院办公厅关于%d年部分节假日安排的通知\n元旦: off %d-01-01\n春节: off %d-02-16..%d-02-22; workday %d-02-14, %d-02-28",
		next, next, next, next, next, next, next)
	return d, nil
}

func (h *Handlers) renderCalendar(w http.ResponseWriter, r *http.Request, status int, d calendarData, flash string) {
	p := h.rd.NewPage(r, "cases.calendar.title", d)
	p.Flash = flash
	if d.Problem != "" {
		p.Error = d.Problem
	}
	h.rd.Render(w, status, "case_calendar", p)
}

func (h *Handlers) calendarPage(w http.ResponseWriter, r *http.Request) {
	d, err := h.calendarData(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	flash := ""
	if k := r.URL.Query().Get("done"); k != "" && h.rd.Catalog().Has("cases.calendar.done."+k) {
		flash = h.rd.T(r, "cases.calendar.done."+k)
	}
	h.renderCalendar(w, r, http.StatusOK, d, flash)
}

// refuse shows the page again with the problem and what was entered.
func (h *Handlers) refuse(w http.ResponseWriter, r *http.Request, problem error, notice string) {
	d, err := h.calendarData(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.Problem, d.NoticeText = strings.TrimPrefix(problem.Error(), "invalid case input: "), notice
	h.renderCalendar(w, r, http.StatusBadRequest, d, "")
}

func (h *Handlers) saveNotice(w http.ResponseWriter, r *http.Request) {
	text := r.PostFormValue("notice")
	n, err := calendar.ParseNotice([]byte(text))
	if err == nil {
		err = h.svc.SaveNotice(r.Context(), n)
	}
	if err != nil {
		if errors.Is(err, ErrInvalid) || strings.HasPrefix(err.Error(), "calendar:") {
			h.refuse(w, r, err, text)
			return
		}
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/calendar?done=notice#year-"+strconv.Itoa(n.Year), http.StatusSeeOther)
}

func (h *Handlers) deleteNotice(w http.ResponseWriter, r *http.Request) {
	y, err := strconv.Atoi(r.PathValue("year"))
	if err != nil {
		h.fail(w, r, ErrNotFound)
		return
	}
	if err := h.svc.DeleteNotice(r.Context(), y); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/calendar?done=deleted", http.StatusSeeOther)
}

func (h *Handlers) saveHours(w http.ResponseWriter, r *http.Request) {
	var err error
	if r.PostFormValue("reset") == "1" {
		err = h.svc.SaveHours(r.Context(), nil)
	} else {
		var hours []calendar.Period
		hours, err = calendar.ParseHours(strings.TrimSpace(r.PostFormValue("hours")))
		if err == nil {
			err = h.svc.SaveHours(r.Context(), hours)
		} else {
			err = fmt.Errorf("%w: %v", ErrInvalid, err)
		}
	}
	if err != nil {
		if errors.Is(err, ErrInvalid) {
			h.refuse(w, r, err, "")
			return
		}
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/calendar?done=hours", http.StatusSeeOther)
}
