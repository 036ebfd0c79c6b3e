package cases

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime/multipart"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/sla"
	"github.com/gengxin/gengxin/internal/web"
)

// ResidentHomes returns the households a resident account is verified for.
type ResidentHomes func(ctx context.Context, userID int64) ([]int64, error)

// Handlers serves the case pages: the report form for a phone, "my reports"
// with the live clock, the dispatcher's queue, the grid worker's day, and the
// case page with its clocks, history and actions.
type Handlers struct {
	svc    *Service
	homes  ResidentHomes
	rd     *web.Renderer
	logger *slog.Logger
}

// NewHandlers returns the case pages; homes finds a resident's households so
// that the report form starts at the resident's compound.
func NewHandlers(svc *Service, homes ResidentHomes, rd *web.Renderer, logger *slog.Logger) *Handlers {
	return &Handlers{svc: svc, homes: homes, rd: rd, logger: logger}
}

// Routes lists the case routes with the permission each needs. Reporters reach
// their own cases through CasesReport; the handlers check that the caller
// reported the case, or works on it or inside its area.
func (h *Handlers) Routes() []web.Route {
	report, handle, dispatch := string(auth.CasesReport), string(auth.CasesHandle), string(auth.CasesDispatch)
	act := func(pattern, perm string, fn http.HandlerFunc) web.Route {
		return web.Route{Method: "POST", Pattern: "/cases/{id}/" + pattern, Perm: perm, Handler: fn}
	}
	return append([]web.Route{
		{Method: "GET", Pattern: "/cases/new", Perm: report, Handler: h.newForm},
		{Method: "GET", Pattern: "/cases/nearby", Perm: report, Handler: h.nearby},
		{Method: "POST", Pattern: "/cases", Perm: report, Handler: h.create},
		{Method: "GET", Pattern: "/cases/mine", Perm: report, Handler: h.mine},
		{Method: "GET", Pattern: "/cases/queue", Perm: dispatch, Handler: h.queue},
		{Method: "GET", Pattern: "/cases/today", Perm: handle, Handler: h.today},
		{Method: "GET", Pattern: "/cases/{id}", Perm: report, Handler: h.detail},
		{Method: "GET", Pattern: "/cases/{id}/clock", Perm: report, Handler: h.clock},
		{Method: "GET", Pattern: "/cases/{id}/photos/{photo}", Perm: report, Handler: h.photo},
		{Method: "POST", Pattern: "/cases/{id}/reveal", Perm: string(auth.PIIReveal), Handler: h.reveal},
		act("join", report, h.join),
		act("verify", report, h.verify),
		act("reopen", report, h.reopen),
		act("rate", report, h.rate),
		act("accept", dispatch, h.staffAction(ActAccept)),
		act("dispatch", dispatch, h.staffAction(ActDispatch)),
		act("reassign", dispatch, h.staffAction(ActReassign)),
		act("merge", dispatch, h.staffAction(ActMerge)),
		act("suspend", dispatch, h.staffAction(ActSuspend)),
		act("resume", dispatch, h.staffAction(ActResume)),
		act("close", dispatch, h.staffAction(ActClose)),
		act("followup", dispatch, h.staffAction(ActFollowUp)),
		act("return", handle, h.staffAction(ActReturn)),
		act("sign", handle, h.staffAction(ActSign)),
		act("arrive", handle, h.staffAction(ActArrive)),
		act("plan", handle, h.staffAction(ActAgreePlan)),
		act("resolve", handle, h.staffAction(ActResolve)),
	}, slices.Concat(h.kpiRoutes(), h.inboxRoutes(), h.calendarRoutes())...)
}

// errOutOfScope: the case lies outside the caller's area and is not theirs.
var errOutOfScope = errors.New("case outside your area")

func principalOf(r *http.Request) *auth.Principal {
	p, _ := auth.PrincipalFrom(r.Context())
	return p
}

func (h *Handlers) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		h.rd.Error(w, r, http.StatusNotFound, "error.not_found")
	case errors.Is(err, errOutOfScope):
		h.rd.Error(w, r, http.StatusForbidden, "error.out_of_scope")
	case errors.Is(err, ErrIllegalTransition):
		h.rd.Error(w, r, http.StatusConflict, "cases.conflict", err.Error())
	case errors.Is(err, ErrInvalid), errors.Is(err, ErrPhoto):
		h.rd.Error(w, r, http.StatusBadRequest, "error.bad_request", err.Error())
	default:
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			h.rd.Error(w, r, http.StatusRequestEntityTooLarge, "error.bad_request", err.Error())
			return
		}
		h.logger.Error("case request", "path", r.URL.Path, "err", err)
		h.rd.Error(w, r, http.StatusInternalServerError, "error.internal")
	}
}

func pathID(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id, err == nil && id > 0
}

// ---- access ----

// staffReads reports whether p may read case c as staff: CasesRead inside the
// area, or the case is assigned to p.
func staffReads(p *auth.Principal, c Case) bool {
	if p == nil || p.Role == auth.RoleResident {
		return false
	}
	return p.Can(auth.CasesRead) && p.Covers(c.RegionPath) || p.Can(auth.CasesHandle) && c.AssigneeID == p.UserID
}

// mayAct reports whether p may take action a on case c.
func mayAct(p *auth.Principal, c Case, a Action) bool {
	if p == nil || p.Role == auth.RoleResident {
		return false
	}
	switch a {
	case ActAccept, ActDispatch, ActReassign, ActMerge, ActSuspend, ActResume, ActClose, ActFollowUp:
		return p.Can(auth.CasesDispatch) && p.Covers(c.RegionPath)
	default:
		return p.Can(auth.CasesHandle) && (c.AssigneeID == p.UserID || p.Covers(c.RegionPath))
	}
}

// isReporter reports whether user reported case c or follows it.
func (h *Handlers) isReporter(ctx context.Context, c Case, userID int64) (bool, error) {
	if userID == 0 {
		return false, nil
	}
	if c.ReporterID == userID {
		return true, nil
	}
	var n int
	if err := h.svc.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM case_followers WHERE case_id = $1 AND user_id = $2`, c.ID, userID).Scan(&n); err != nil {
		return false, fmt.Errorf("followers of case %d: %w", c.ID, err)
	}
	return n > 0, nil
}

// load reads the case of the path.
func (h *Handlers) load(w http.ResponseWriter, r *http.Request) (Detail, bool) {
	id, ok := pathID(r, "id")
	if !ok {
		h.rd.Error(w, r, http.StatusNotFound, "error.not_found")
		return Detail{}, false
	}
	d, err := h.svc.Get(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return d, false
	}
	return d, true
}

// viewer decides how the caller sees case d: as staff, as its reporter, or
// not at all (404 for residents, so that ids reveal nothing; 403 for staff).
func (h *Handlers) viewer(r *http.Request, d Detail) (staff, reporter bool, err error) {
	p := principalOf(r)
	if staffReads(p, d.Case) {
		return true, false, nil
	}
	rep, err := h.isReporter(r.Context(), d.Case, p.UserID)
	if err != nil {
		return false, false, err
	}
	if rep {
		return false, true, nil
	}
	if p.Role == auth.RoleResident || !p.Can(auth.CasesRead) {
		return false, false, fmt.Errorf("case %d: %w", d.ID, ErrNotFound)
	}
	return false, false, errOutOfScope
}

// ---- clocks ----

// ClockLine is the live deadline of a case as a line of text.
type ClockLine struct {
	Stage sla.Stage
	Text  string
	Class string // due, overdue, paused or none
}

// Duration returns d rounded down to minutes as people read it: "2 h 10 min",
// "3 d 4 h", "35 min" ("2小时10分钟" in Chinese).
func Duration(d time.Duration, lang string) string {
	if d < 0 {
		d = -d
	}
	en := strings.HasPrefix(lang, "en")
	mins := int64(d / time.Minute)
	days, hours, m := mins/(24*60), mins/60%24, mins%60
	switch {
	case mins < 1 && en:
		return "less than 1 min"
	case mins < 1:
		return "不到1分钟"
	case days > 0 && en:
		return fmt.Sprintf("%d d %d h", days, hours)
	case days > 0:
		return fmt.Sprintf("%d天%d小时", days, hours)
	case hours > 0 && en:
		return fmt.Sprintf("%d h %d min", hours, m)
	case hours > 0:
		return fmt.Sprintf("%d小时%d分钟", hours, m)
	case en:
		return fmt.Sprintf("%d min", m)
	}
	return fmt.Sprintf("%d分钟", m)
}

// clockLine words the current clock k (ok false: none) at now.
func (h *Handlers) clockLine(r *http.Request, k StageClock, ok bool, now time.Time) ClockLine {
	lang := web.Lang(r)
	if !ok {
		return ClockLine{Text: h.rd.T(r, "cases.clock.none"), Class: "none"}
	}
	l := ClockLine{Stage: k.Stage}
	stage := h.rd.T(r, "cases.stage."+string(k.Stage))
	switch {
	case k.Paused():
		l.Class, l.Text = "paused", h.rd.T(r, "cases.clock.paused", k.PauseReason())
	case now.Before(k.Due):
		l.Class, l.Text = "due", stage+" · "+h.rd.T(r, "cases.clock.due", Duration(k.Due.Sub(now), lang))
	default:
		l.Class, l.Text = "overdue", stage+" · "+h.rd.T(r, "cases.clock.overdue", Duration(now.Sub(k.Due), lang))
	}
	return l
}

// current reads the current clock of case id.
func (h *Handlers) current(ctx context.Context, id int64) (StageClock, bool, error) {
	ks, err := h.svc.readClocks(ctx, h.svc.db.Read(), id, false)
	if err != nil {
		return StageClock{}, false, err
	}
	k, ok := Detail{Clocks: ks}.Current()
	return k, ok, nil
}

// ---- names ----

type option struct {
	Value, Label string
}

type categoryGroup struct {
	Label string
	Items []option
}

// groups returns the category catalogue grouped by policy.
func (h *Handlers) groups(r *http.Request) []categoryGroup {
	lang := web.Lang(r)
	var out []categoryGroup
	index := map[string]int{}
	for _, c := range h.svc.Categories() {
		i, ok := index[c.Policy]
		if !ok {
			i = len(out)
			index[c.Policy] = i
			out = append(out, categoryGroup{Label: h.rd.T(r, "cases.group."+c.Policy)})
		}
		out[i].Items = append(out[i].Items, option{c.Code, c.Name(lang)})
	}
	return out
}

func (h *Handlers) categoryName(r *http.Request, code string) string {
	if c, ok := h.svc.Category(code); ok {
		return c.Name(web.Lang(r))
	}
	return code
}

// assignable is a user cases can be given to.
type assignable struct {
	ID         int64
	Name, Role string
	Path       string
}

// people returns the enabled staff users who can handle cases, by id.
func (h *Handlers) people(ctx context.Context) (map[int64]assignable, error) {
	rows, err := h.svc.db.Read().QueryContext(ctx, `SELECT u.id, u.username, u.display_name, u.role, COALESCE(r.path, '')
		FROM users u LEFT JOIN regions r ON r.id = u.region_id WHERE u.disabled = FALSE AND u.role <> $1 AND u.role <> $2 ORDER BY u.id`,
		auth.RoleResident, auth.RoleAuditor)
	if err != nil {
		return nil, fmt.Errorf("case handlers: %w", err)
	}
	defer rows.Close()
	out := map[int64]assignable{}
	for rows.Next() {
		var a assignable
		var user, display string
		if err := rows.Scan(&a.ID, &user, &display, &a.Role, &a.Path); err != nil {
			return nil, fmt.Errorf("case handlers: %w", err)
		}
		a.Name = display
		if a.Name == "" {
			a.Name = user
		}
		out[a.ID] = a
	}
	return out, rows.Err()
}

// choices lists the people a dispatcher may give cases to: staff inside the
// dispatcher's area and the department handlers above it.
func (h *Handlers) choices(r *http.Request, people map[int64]assignable) []option {
	p := principalOf(r)
	var out []option
	for _, a := range people {
		if a.Role == auth.RoleAdmin {
			continue
		}
		if p.Covers(a.Path) || a.Role == auth.RoleDepartmentHandler && strings.HasPrefix(p.RegionPath, a.Path) {
			out = append(out, option{strconv.FormatInt(a.ID, 10), a.Name + " · " + h.rd.T(r, "role."+a.Role)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Label < out[j].Label })
	return out
}

func nameOf(people map[int64]assignable, id int64) string {
	if id == 0 {
		return ""
	}
	if a, ok := people[id]; ok {
		return a.Name
	}
	return "#" + strconv.FormatInt(id, 10)
}

// ---- report form ----

type reportForm struct {
	Groups      []categoryGroup
	Category    string
	Description string
	Address     string
	Lon, Lat    string
	HomeLon     float64
	HomeLat     float64
	HomeName    string
	Contact     string
	Anonymous   bool
	MaxPhotos   int
	MaxPhotoMB  int
}

// home returns the compound of the resident's first verified household.
func (h *Handlers) home(ctx context.Context, p *auth.Principal) (lon, lat float64, name string) {
	if p.Role != auth.RoleResident || h.homes == nil {
		return 0, 0, ""
	}
	hs, err := h.homes(ctx, p.UserID)
	if err != nil || len(hs) == 0 {
		return 0, 0, ""
	}
	err = h.svc.db.Read().QueryRowContext(ctx, `SELECT c.lon, c.lat, c.name FROM households hh JOIN buildings b ON b.id = hh.building_id
		JOIN compounds c ON c.id = b.compound_id WHERE hh.id = $1`, hs[0]).Scan(&lon, &lat, &name)
	if err != nil {
		return 0, 0, ""
	}
	return lon, lat, name
}

func (h *Handlers) renderForm(w http.ResponseWriter, r *http.Request, status int, f reportForm, problem string) {
	p := principalOf(r)
	f.Groups = h.groups(r)
	f.HomeLon, f.HomeLat, f.HomeName = h.home(r.Context(), p)
	f.MaxPhotos, f.MaxPhotoMB = MaxPhotos, MaxPhotoBytes>>20
	pg := h.rd.NewPage(r, "cases.new.title", f)
	pg.Error = problem
	h.rd.Render(w, status, "case_new", pg)
}

func (h *Handlers) newForm(w http.ResponseWriter, r *http.Request) {
	h.renderForm(w, r, http.StatusOK, reportForm{Category: r.URL.Query().Get("category")}, "")
}

// nearbyData is the list of open reports offered to join.
type nearbyData struct {
	Cases []nearbyItem
}

type nearbyItem struct {
	ID          int64
	Category    string
	Description string
	State       State
	Distance    int
	ReportedAt  time.Time
}

// nearby renders the open reports of the category near the pin, for htmx.
func (h *Handlers) nearby(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lon, err1 := strconv.ParseFloat(q.Get("lon"), 64)
	lat, err2 := strconv.ParseFloat(q.Get("lat"), 64)
	var data nearbyData
	if _, ok := h.svc.Category(q.Get("category")); ok && err1 == nil && err2 == nil && located(lon, lat) {
		ns, err := h.svc.Nearby(r.Context(), q.Get("category"), lon, lat)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		// The nearest few are enough to recognise one's own problem.
		if len(ns) > 5 {
			ns = ns[:5]
		}
		for _, n := range ns {
			data.Cases = append(data.Cases, nearbyItem{ID: n.ID, Category: h.categoryName(r, n.Category), Description: n.Description,
				State: n.State, Distance: int(n.DistanceM + 0.5), ReportedAt: n.ReportedAt})
		}
	}
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusOK, data)
		return
	}
	h.rd.Fragment(w, "case_new", "nearby", h.rd.NewPage(r, "cases.new.title", data))
}

// parseForm reads a form that may carry photos.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, int64(MaxPhotos)*MaxPhotoBytes+1<<20)
	err := r.ParseMultipartForm(8 << 20)
	if errors.Is(err, http.ErrNotMultipart) {
		return r.ParseForm()
	}
	return err
}

// photos stores the uploaded files of field (at most MaxPhotos).
func (h *Handlers) photos(r *http.Request, field string) ([]int64, error) {
	if r.MultipartForm == nil {
		return nil, nil
	}
	var files []*multipart.FileHeader
	for _, f := range r.MultipartForm.File[field] {
		if f.Size > 0 || f.Filename != "" {
			files = append(files, f)
		}
	}
	if len(files) > MaxPhotos {
		return nil, fmt.Errorf("%w: at most %d photos", ErrPhoto, MaxPhotos)
	}
	var ids []int64
	for _, fh := range files {
		f, err := fh.Open()
		if err != nil {
			return nil, fmt.Errorf("open upload: %w", err)
		}
		id, err := h.svc.UploadPhoto(r.Context(), fh.Filename, f)
		f.Close()
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func parseCoord(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	return strconv.ParseFloat(s, 64)
}

// create stores a report: residents report as themselves, grid workers as a
// patrol, other staff typing a hotline call.
func (h *Handlers) create(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, fmt.Errorf("%w: %v", ErrInvalid, err))
		return
	}
	f := reportForm{Category: r.FormValue("category"), Description: r.FormValue("description"), Address: r.FormValue("address"),
		Lon: r.FormValue("lon"), Lat: r.FormValue("lat"), Contact: r.FormValue("contact"), Anonymous: r.FormValue("anonymous") != ""}
	problem := func(err error) {
		if web.WantsJSON(r) {
			h.fail(w, r, err)
			return
		}
		if errors.Is(err, ErrInvalid) || errors.Is(err, ErrPhoto) {
			h.renderForm(w, r, http.StatusBadRequest, f, err.Error())
			return
		}
		h.fail(w, r, err)
	}
	lon, err1 := parseCoord(f.Lon)
	lat, err2 := parseCoord(f.Lat)
	if err1 != nil || err2 != nil {
		problem(fmt.Errorf("%w: the map point is not a number", ErrInvalid))
		return
	}
	in := ReportInput{Category: f.Category, Description: f.Description, Address: f.Address, Lon: lon, Lat: lat, Channel: ChannelResident,
		Reporter: Reporter{UserID: p.UserID, Name: p.DisplayName, Contact: f.Contact, Anonymous: f.Anonymous}}
	if in.Reporter.Name == "" {
		in.Reporter.Name = p.Username
	}
	switch {
	case p.Role == auth.RoleGridWorker:
		in.Channel = ChannelPatrol
	case p.Role != auth.RoleResident:
		in.Channel = ChannelHotline
	}
	// Validate before storing photos, so that a bad form stores nothing.
	if _, err := h.svc.validate(in); err != nil {
		problem(err)
		return
	}
	ids, err := h.photos(r, "photos")
	if err != nil {
		problem(err)
		return
	}
	in.Photos = ids
	c, err := h.svc.Report(r.Context(), in)
	if err != nil {
		problem(err)
		return
	}
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusCreated, map[string]any{"id": c.ID, "state": c.State})
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/cases/mine?reported=%d#case-%d", c.ID, c.ID), http.StatusSeeOther)
}

// join adds the caller to an open report instead of a duplicate.
func (h *Handlers) join(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	id, ok := pathID(r, "id")
	if !ok {
		h.rd.Error(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	name := p.DisplayName
	if name == "" {
		name = p.Username
	}
	if err := h.svc.Join(r.Context(), id, Reporter{UserID: p.UserID, Name: name}); err != nil {
		h.fail(w, r, err)
		return
	}
	h.done(w, r, id, fmt.Sprintf("/cases/mine?joined=%d#case-%d", id, id))
}

// done answers a successful action: JSON for API clients, else a redirect.
func (h *Handlers) done(w http.ResponseWriter, r *http.Request, id int64, to string) {
	if web.WantsJSON(r) {
		d, err := h.svc.Get(r.Context(), id)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		web.JSON(w, http.StatusOK, map[string]any{"id": d.ID, "state": d.State})
		return
	}
	if back := r.FormValue("back"); strings.HasPrefix(back, "/cases") && !strings.HasPrefix(back, "//") {
		to = back
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// ---- my reports ----

type mineItem struct {
	ReporterCase
	CategoryName string
	Clock        ClockLine
	Own          bool // reported (not joined) by the caller
	CanVerify    bool
	CanReopen    bool
	CanRate      bool
}

type mineData struct {
	Items    []mineItem
	Reported int64
	Joined   int64
}

func (h *Handlers) mineItem(r *http.Request, v ReporterCase, own bool, now time.Time) mineItem {
	it := mineItem{ReporterCase: v, CategoryName: h.categoryName(r, v.Category), Own: own}
	var k StageClock
	if v.Stage != "" {
		k = StageClock{Clock: sla.Clock{Stage: v.Stage, Due: v.Due, Left: v.Left}}
		if v.Paused {
			k.Pauses = []sla.Pause{{Reason: v.PauseReason}}
		}
	}
	it.Clock = h.clockLine(r, k, v.Stage != "", now)
	if own {
		it.CanVerify = v.State == StateResolved
		it.CanReopen = slices.Contains(transitions[ActReopen].from, v.State)
		it.CanRate = v.State == StateVerified || v.State == StateFollowedUp
	}
	return it
}

func (h *Handlers) mine(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	cs, _, err := h.svc.List(r.Context(), Filter{ReporterID: p.UserID, Limit: 50})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	now := h.svc.now()
	data := mineData{}
	data.Reported, _ = strconv.ParseInt(r.URL.Query().Get("reported"), 10, 64)
	data.Joined, _ = strconv.ParseInt(r.URL.Query().Get("joined"), 10, 64)
	for _, c := range cs {
		v, err := h.svc.ReporterView(r.Context(), c.ID, p.UserID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		data.Items = append(data.Items, h.mineItem(r, v, c.ReporterID == p.UserID, now))
	}
	h.rd.Render(w, http.StatusOK, "case_mine", h.rd.NewPage(r, "cases.mine.title", data))
}

// clock renders the live clock line of a case, for htmx every 30 s.
func (h *Handlers) clock(w http.ResponseWriter, r *http.Request) {
	d, ok := h.load(w, r)
	if !ok {
		return
	}
	if _, _, err := h.viewer(r, d); err != nil {
		h.fail(w, r, err)
		return
	}
	k, has := d.Current()
	line := h.clockLine(r, k, has, h.svc.now())
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusOK, line)
		return
	}
	h.rd.Fragment(w, "case_mine", "clock", h.rd.NewPage(r, "cases.mine.title", map[string]any{"ID": d.ID, "Clock": line}))
}

// reporterCase loads the case of the path for an action by its reporter.
func (h *Handlers) reporterCase(w http.ResponseWriter, r *http.Request) (Detail, bool) {
	d, ok := h.load(w, r)
	if !ok {
		return d, false
	}
	if p := principalOf(r); d.ReporterID == 0 || d.ReporterID != p.UserID {
		h.fail(w, r, fmt.Errorf("case %d: %w", d.ID, ErrNotFound))
		return d, false
	}
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, fmt.Errorf("%w: %v", ErrInvalid, err))
		return d, false
	}
	return d, true
}

// verify: the reporter confirms the fix (optionally with a photo); a handler
// of the case may verify it as the grid worker.
func (h *Handlers) verify(w http.ResponseWriter, r *http.Request) {
	d, ok := h.load(w, r)
	if !ok {
		return
	}
	p := principalOf(r)
	by := ByReporter
	if d.ReporterID == 0 || d.ReporterID != p.UserID {
		if !mayAct(p, d.Case, ActVerify) {
			h.fail(w, r, fmt.Errorf("case %d: %w", d.ID, ErrNotFound))
			return
		}
		by = ByGridWorker
	}
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, fmt.Errorf("%w: %v", ErrInvalid, err))
		return
	}
	if !slices.Contains(transitions[ActVerify].from, d.State) {
		h.fail(w, r, fmt.Errorf("case %d: %w: cannot %s a case that is %s", d.ID, ErrIllegalTransition, ActVerify, d.State))
		return
	}
	ids, err := h.photos(r, "photos")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := h.svc.Verify(r.Context(), d.ID, by, Step{Note: r.FormValue("note"), Photos: ids}); err != nil {
		h.fail(w, r, err)
		return
	}
	h.done(w, r, d.ID, fmt.Sprintf("/cases/mine#case-%d", d.ID))
}

// reopen: the reporter says the problem is not fixed.
func (h *Handlers) reopen(w http.ResponseWriter, r *http.Request) {
	d, ok := h.reporterCase(w, r)
	if !ok {
		return
	}
	if trimmed(r.FormValue("note")) == "" {
		h.fail(w, r, fmt.Errorf("%w: say why the problem is not fixed", ErrInvalid))
		return
	}
	if _, err := h.svc.Reopen(r.Context(), d.ID, Step{Note: r.FormValue("note")}); err != nil {
		h.fail(w, r, err)
		return
	}
	h.done(w, r, d.ID, fmt.Sprintf("/cases/mine#case-%d", d.ID))
}

// rate: the reporter's rating; a verified case gets its online follow-up
// with the rating in one step.
func (h *Handlers) rate(w http.ResponseWriter, r *http.Request) {
	d, ok := h.reporterCase(w, r)
	if !ok {
		return
	}
	rating, comment := Rating(r.FormValue("rating")), r.FormValue("comment")
	var err error
	if d.State == StateVerified {
		if !rating.valid() {
			h.fail(w, r, fmt.Errorf("%w: choose satisfied, basically satisfied or dissatisfied", ErrInvalid))
			return
		}
		_, err = h.svc.FollowUp(r.Context(), d.ID, FollowUpInput{Method: "online", Rating: rating, Comment: comment})
	} else {
		_, err = h.svc.Rate(r.Context(), d.ID, rating, comment)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.done(w, r, d.ID, fmt.Sprintf("/cases/mine#case-%d", d.ID))
}

// ---- staff actions ----

// staffAction returns the handler of one workflow action by staff.
func (h *Handlers) staffAction(a Action) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d, ok := h.load(w, r)
		if !ok {
			return
		}
		if !mayAct(principalOf(r), d.Case, a) {
			h.fail(w, r, errOutOfScope)
			return
		}
		if err := parseForm(w, r); err != nil {
			h.fail(w, r, fmt.Errorf("%w: %v", ErrInvalid, err))
			return
		}
		// Say first whether the action fits the state, before storing photos.
		if rl, ok := transitions[a]; ok && !slices.Contains(rl.from, d.State) {
			h.fail(w, r, fmt.Errorf("case %d: %w: cannot %s a case that is %s", d.ID, ErrIllegalTransition, a, d.State))
			return
		}
		ctx, id := r.Context(), d.ID
		st := Step{Note: r.FormValue("note")}
		var err error
		switch a {
		case ActAccept:
			_, err = h.svc.Accept(ctx, id, st)
		case ActDispatch, ActReassign:
			var to int64
			if v := r.FormValue("assignee"); v != "" {
				if to, err = strconv.ParseInt(v, 10, 64); err != nil {
					err = fmt.Errorf("%w: assignee %q is not a user id", ErrInvalid, v)
					break
				}
			}
			if a == ActDispatch {
				_, err = h.svc.Dispatch(ctx, id, to, st)
			} else {
				_, err = h.svc.Reassign(ctx, id, to, st)
			}
		case ActMerge:
			into, perr := strconv.ParseInt(strings.TrimPrefix(trimmed(r.FormValue("into")), "#"), 10, 64)
			if perr != nil {
				err = fmt.Errorf("%w: give the number of the case this one duplicates", ErrInvalid)
				break
			}
			_, err = h.svc.Merge(ctx, id, into, st)
		case ActSuspend:
			_, err = h.svc.Suspend(ctx, id, st)
		case ActResume:
			_, err = h.svc.Resume(ctx, id, st)
		case ActClose:
			_, err = h.svc.Close(ctx, id, st)
		case ActFollowUp:
			method := r.FormValue("method")
			if method == "" {
				method = "phone"
			}
			_, err = h.svc.FollowUp(ctx, id, FollowUpInput{Method: method, Note: st.Note, Rating: Rating(r.FormValue("rating")), Comment: r.FormValue("comment")})
		case ActReturn:
			_, err = h.svc.Return(ctx, id, st)
		case ActSign:
			_, err = h.svc.Sign(ctx, id, st)
		case ActArrive:
			_, err = h.svc.Arrive(ctx, id, r.FormValue("complex") != "", st)
		case ActAgreePlan:
			var due time.Time
			if due, err = parseDay(r.FormValue("fix_by")); err == nil {
				_, err = h.svc.AgreePlan(ctx, id, due, st)
			}
		case ActResolve:
			var ids []int64
			if ids, err = h.photos(r, "photos"); err == nil {
				if len(ids) == 0 {
					err = fmt.Errorf("%w: resolving needs a photo of the fix", ErrInvalid)
				} else {
					st.Photos = ids
					_, err = h.svc.Resolve(ctx, id, st)
				}
			}
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.done(w, r, id, fmt.Sprintf("/cases/%d", id))
	}
}

// parseDay reads a fixing date ("2006-01-02", the end of that day in China,
// or "2006-01-02T15:04").
func parseDay(s string) (time.Time, error) {
	s = trimmed(s)
	if t, err := time.ParseInLocation("2006-01-02T15:04", s, web.Shanghai()); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation("2006-01-02", s, web.Shanghai())
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: the plan needs a fixing date (YYYY-MM-DD)", ErrInvalid)
	}
	return t.Add(18 * time.Hour), nil
}

// ---- queue and day ----

type queueItem struct {
	Case
	CategoryName string
	Clock        ClockLine
	Overdue      bool
	due          time.Time
	Handler      string
	Assignee     string
	Allowed      []Action
}

type queueData struct {
	Items   []queueItem
	Total   int
	All     bool
	Choices []option
}

// queueStates are the states a dispatcher has to act on.
var queueStates = []State{StateReported, StateAccepted, StateReturned, StateSuspended}

// items turns cases into queue rows, overdue first, then by due time.
func (h *Handlers) items(r *http.Request, cs []Case, people map[int64]assignable) ([]queueItem, error) {
	now := h.svc.now()
	var out []queueItem
	for _, c := range cs {
		k, ok, err := h.current(r.Context(), c.ID)
		if err != nil {
			return nil, err
		}
		it := queueItem{Case: c, CategoryName: h.categoryName(r, c.Category), Clock: h.clockLine(r, k, ok, now),
			Overdue: ok && k.Overdue(now), Handler: nameOf(people, c.AssigneeID), Allowed: Allowed(c.State)}
		it.Assignee = strconv.FormatInt(c.AssigneeID, 10)
		if ok && !k.Paused() {
			it.due = k.Due
		}
		out = append(out, it)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Overdue != b.Overdue {
			return a.Overdue
		}
		if a.due.IsZero() != b.due.IsZero() {
			return !a.due.IsZero()
		}
		return a.due.Before(b.due)
	})
	return out, nil
}

func (h *Handlers) queue(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	f := Filter{Scope: p.RegionPath, States: queueStates, Limit: 200}
	all := r.URL.Query().Get("all") != ""
	if all {
		f.States = nil
		for _, s := range States() {
			if s.Open() {
				f.States = append(f.States, s)
			}
		}
	}
	cs, total, err := h.svc.List(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	people, err := h.people(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	items, err := h.items(r, cs, people)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := queueData{Items: items, Total: total, All: all, Choices: h.choices(r, people)}
	h.rd.Render(w, http.StatusOK, "case_queue", h.rd.NewPage(r, "cases.queue.title", data))
}

// todayStates are the states of a handler's open work.
var todayStates = []State{StateDispatched, StateSigned, StateOnSite, StatePlanAgreed, StateReopened, StateSuspended}

// todayData is the handler's day: today's work, or with All every open case.
type todayData struct {
	Items []queueItem
	Total int
	All   bool
	Rest  int // open cases assigned to the handler that are not today's work
}

// today shows the handler's work of today (Asia/Shanghai): cases with a
// deadline today or overdue, and those the handler acted on today; ?all=1
// shows every open case assigned to them.
func (h *Handlers) today(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	all := r.URL.Query().Get("all") == "1"
	f := Filter{AssigneeID: p.UserID, States: todayStates, Limit: 200}
	if !all {
		now := h.svc.now().In(web.Shanghai())
		start := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, web.Shanghai())
		f.WorkDay = &WorkDay{ActorID: p.UserID, Start: start, End: start.AddDate(0, 0, 1)}
	}
	cs, total, err := h.svc.List(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := todayData{Total: total, All: all}
	if !all {
		_, open, err := h.svc.List(r.Context(), Filter{AssigneeID: p.UserID, States: todayStates, Limit: 1})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		data.Rest = max(open-total, 0)
	}
	if data.Items, err = h.items(r, cs, nil); err != nil {
		h.fail(w, r, err)
		return
	}
	h.rd.Render(w, http.StatusOK, "case_today", h.rd.NewPage(r, "cases.today.title", data))
}

// ---- case page ----

type clockRow struct {
	StageClock
	Status string // running, paused, met, late, cancelled
}

type detailData struct {
	ID              int64
	Staff, Reporter bool
	Case            Case
	CategoryName    string
	Clock           ClockLine
	Clocks          []clockRow
	Events          []Event
	RepEvents       []ReporterEvent
	FollowUps       []FollowUp
	Followers       int
	Assignee        string
	Owner           string
	Dispatcher      string
	Allowed         []Action
	Choices         []option
	CanReveal       bool
	Mine            mineItem
}

func (h *Handlers) detail(w http.ResponseWriter, r *http.Request) {
	d, ok := h.load(w, r)
	if !ok {
		return
	}
	staff, reporter, err := h.viewer(r, d)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	now := h.svc.now()
	k, has := d.Current()
	data := detailData{ID: d.ID, Staff: staff, Reporter: reporter, Case: d.Case, CategoryName: h.categoryName(r, d.Category), Clock: h.clockLine(r, k, has, now)}
	if reporter {
		v := ForReporter(d)
		data.RepEvents = v.Events
		data.Mine = h.mineItem(r, v, d.ReporterID == principalOf(r).UserID, now)
		data.Case.ReporterName = ""
	} else {
		p := principalOf(r)
		people, err := h.people(r.Context())
		if err != nil {
			h.fail(w, r, err)
			return
		}
		for _, c := range d.Clocks {
			row := clockRow{StageClock: c}
			switch {
			case c.Cancelled:
				row.Status = "cancelled"
			case c.Completed() && c.Met():
				row.Status = "met"
			case c.Completed():
				row.Status = "late"
			case c.Paused():
				row.Status = "paused"
			case c.Overdue(now):
				row.Status = "overdue"
			default:
				row.Status = "running"
			}
			data.Clocks = append(data.Clocks, row)
		}
		data.Events, data.FollowUps, data.Followers = d.Events, d.FollowUps, d.Followers
		data.Assignee, data.Owner, data.Dispatcher = nameOf(people, d.AssigneeID), nameOf(people, d.OwnerID), nameOf(people, d.DispatcherID)
		for _, a := range Allowed(d.State) {
			if a != ActRate && a != ActReopen && mayAct(p, d.Case, a) {
				data.Allowed = append(data.Allowed, a)
			}
		}
		if slices.ContainsFunc(data.Allowed, func(a Action) bool { return a == ActDispatch || a == ActReassign }) {
			data.Choices = h.choices(r, people)
		}
		data.CanReveal = p.Can(auth.PIIReveal) && p.Covers(d.RegionPath) && d.Contact != ""
		if d.Anonymous {
			data.Case.ReporterName = ""
		}
	}
	h.rd.Render(w, http.StatusOK, "case_detail", h.rd.NewPage(r, "cases.detail.title", data))
}

// reveal shows the callback contact in full (audited).
func (h *Handlers) reveal(w http.ResponseWriter, r *http.Request) {
	d, ok := h.load(w, r)
	if !ok {
		return
	}
	p := principalOf(r)
	if !p.Covers(d.RegionPath) {
		h.fail(w, r, errOutOfScope)
		return
	}
	plain, err := h.svc.RevealContact(r.Context(), d.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusOK, map[string]string{"contact": plain})
		return
	}
	h.rd.Fragment(w, "case_detail", "revealed", h.rd.NewPage(r, "cases.detail.title", plain))
}

// photo serves a photo of a case to those who may see the case.
func (h *Handlers) photo(w http.ResponseWriter, r *http.Request) {
	d, ok := h.load(w, r)
	if !ok {
		return
	}
	if _, _, err := h.viewer(r, d); err != nil {
		h.fail(w, r, err)
		return
	}
	pid, ok := pathID(r, "photo")
	found := ok && slices.Contains(d.Photos, pid)
	for _, e := range d.Events {
		found = found || ok && slices.Contains(e.Photos, pid)
	}
	if !found {
		h.rd.Error(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	ct, data, err := h.svc.Photo(r.Context(), pid)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "private, max-age=3600")
	_, _ = w.Write(data)
}
