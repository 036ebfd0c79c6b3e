package cases

// Open311 GeoReport v2 server at /open311/v2: discovery, the service list and
// service definitions, reports posted by other systems with an API key, and
// the public list of requests. Every endpoint answers in JSON and XML, chosen
// by the .json or .xml suffix. Errors are the specification's list of
// {code, description} with the HTTP status 400, 403, 404 (or 500).
//
// Public answers never carry personal data: no reporter name, no callback
// contact, and phone-like digit runs in descriptions are masked.

import (
	"context"
	"database/sql"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/calendar"
	"github.com/gengxin/gengxin/internal/sla"
	"github.com/gengxin/gengxin/internal/web"
)

// APIKeyChecker returns the principal of an API key; auth.Service's
// AuthenticateAPIKey implements it. auth.ErrBadAPIKey and
// auth.ErrAPIKeyRevoked mean the key is refused.
type APIKeyChecker func(ctx context.Context, key string) (*auth.Principal, error)

// Open311 serves the Open311 GeoReport v2 API for the case service.
type Open311 struct {
	svc          *Service
	keys         APIKeyChecker
	jurisdiction string
	now          func() time.Time
	log          *slog.Logger
	counts       countCache
}

// countCache keeps the X-Total-Count of recent list queries. An entry serves
// while no case was written through this instance since it was counted, and
// for countTTL at most (cases written by another instance on the same
// database show in the count after that).
type countCache struct {
	mu      sync.Mutex
	entries map[string]countEntry
}

type countEntry struct {
	total  int
	writes uint64
	at     time.Time
}

// countTTL is how long a cached list count serves at most.
const countTTL = 10 * time.Second

func (c *countCache) get(key string, writes uint64, now time.Time) (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || e.writes != writes || now.Sub(e.at) > countTTL || now.Before(e.at) {
		return 0, false
	}
	return e.total, true
}

func (c *countCache) put(key string, total int, writes uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= 2000 {
		c.entries = make(map[string]countEntry)
	}
	c.entries[key] = countEntry{total: total, writes: writes, at: now}
}

// NewOpen311 returns the Open311 server of svc. keys checks the api_key of
// posted reports; jurisdiction is this deployment's jurisdiction_id (a
// request naming another one is refused; "" accepts any); now is the clock.
func NewOpen311(svc *Service, keys APIKeyChecker, jurisdiction string, now func() time.Time, logger *slog.Logger) *Open311 {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Open311{svc: svc, keys: keys, jurisdiction: jurisdiction, now: now, log: logger}
}

// Open311 limits and defaults.
const (
	// Open311Base is the path under which the API is served.
	Open311Base = "/open311/v2"
	// Open311Window is the longest span of start_date to end_date, and the
	// window searched when neither is given (the most recent 90 days).
	Open311Window = 90 * 24 * time.Hour
	// Open311PageSize is the default and largest page_size.
	Open311PageSize = 1000
	// Open311MaxIDs is how many service_request_id values one query may list.
	Open311MaxIDs = 200
	// open311Changeset is when the shape of this API last changed.
	open311Changeset = "2025-06-01T00:00:00+08:00"
	// o311MediaMarker starts the description line that keeps a posted media_url.
	o311MediaMarker = "照片 Photo: "
)

// Routes returns the API's routes. They are public: reading is open to
// everybody as the specification wants, and a POST checks its api_key itself.
func (o *Open311) Routes() []web.Route {
	return []web.Route{
		{Method: "GET", Pattern: Open311Base + "/{file}", Public: true, Handler: o.getTop},
		{Method: "POST", Pattern: Open311Base + "/{file}", Public: true, Handler: o.postTop},
		{Method: "GET", Pattern: Open311Base + "/services/{file}", Public: true, Handler: o.serviceDefinition},
		{Method: "GET", Pattern: Open311Base + "/requests/{file}", Public: true, Handler: o.request},
		{Method: "GET", Pattern: Open311Base + "/tokens/{file}", Public: true, Handler: o.token},
	}
}

// o311Format is the answer format of a request.
type o311Format string

const (
	o311FormatJSON o311Format = "json"
	o311FormatXML  o311Format = "xml"
)

// o311SplitFile splits "requests.json" into "requests" and its format; ok false
// for a missing or unknown suffix.
func o311SplitFile(file string) (string, o311Format, bool) {
	i := strings.LastIndexByte(file, '.')
	if i <= 0 {
		return file, o311FormatJSON, false
	}
	switch f := o311Format(strings.ToLower(file[i+1:])); f {
	case o311FormatJSON, o311FormatXML:
		return file[:i], f, true
	}
	return file[:i], o311FormatJSON, false
}

// o311ApiError is one entry of the error list.
type o311ApiError struct {
	XMLName     xml.Name `json:"-" xml:"error"`
	Code        int      `json:"code" xml:"code"`
	Description string   `json:"description" xml:"description"`
}

type o311ApiErrors struct {
	XMLName xml.Name       `xml:"errors"`
	Errors  []o311ApiError `xml:"error"`
}

// write sends v (JSON) or wrapped (XML) with status.
func (o *Open311) write(w http.ResponseWriter, f o311Format, status int, v any, wrapped any) {
	var body []byte
	var err error
	if f == o311FormatXML {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		body, err = xml.Marshal(wrapped)
		body = append([]byte(xml.Header), body...)
	} else {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		body, err = json.Marshal(v)
	}
	if err != nil {
		o.log.Error("open311: encode answer", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// fail sends the error list with one entry.
func (o *Open311) fail(w http.ResponseWriter, f o311Format, status int, description string) {
	list := []o311ApiError{{Code: status, Description: description}}
	o.write(w, f, status, list, o311ApiErrors{Errors: list})
}

// failErr turns an error of the service into the error list: invalid input
// 400, not found 404, anything else 500 (logged, not shown).
func (o *Open311) failErr(w http.ResponseWriter, f o311Format, err error) {
	switch {
	case errors.Is(err, ErrInvalid):
		o.fail(w, f, http.StatusBadRequest, strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": "))
	case errors.Is(err, ErrNotFound):
		o.fail(w, f, http.StatusNotFound, "service request not found")
	default:
		o.log.Error("open311", "err", err)
		o.fail(w, f, http.StatusInternalServerError, "internal error")
	}
}

// checkJurisdiction refuses a jurisdiction_id other than this deployment's.
func (o *Open311) checkJurisdiction(w http.ResponseWriter, r *http.Request, f o311Format) bool {
	j := strings.TrimSpace(r.FormValue("jurisdiction_id"))
	if j != "" && o.jurisdiction != "" && j != o.jurisdiction {
		o.fail(w, f, http.StatusBadRequest, fmt.Sprintf("jurisdiction_id %q is not served here; use %q", j, o.jurisdiction))
		return false
	}
	return true
}

// o311Lang picks the language of service names: the locale parameter, else
// Accept-Language; Chinese unless English is asked for.
func o311Lang(r *http.Request) string {
	if l := r.URL.Query().Get("locale"); l != "" {
		return l
	}
	return r.Header.Get("Accept-Language")
}

func (o *Open311) getTop(w http.ResponseWriter, r *http.Request) {
	name, f, ok := o311SplitFile(r.PathValue("file"))
	if !ok {
		o.fail(w, f, http.StatusNotFound, "unknown resource; add .json or .xml")
		return
	}
	switch name {
	case "discovery":
		o.discovery(w, r, f)
	case "services":
		o.services(w, r, f)
	case "requests":
		o.requests(w, r, f)
	default:
		o.fail(w, f, http.StatusNotFound, fmt.Sprintf("unknown resource %q", name))
	}
}

func (o *Open311) postTop(w http.ResponseWriter, r *http.Request) {
	name, f, ok := o311SplitFile(r.PathValue("file"))
	if !ok || name != "requests" {
		o.fail(w, f, http.StatusNotFound, "only requests.json and requests.xml take a POST")
		return
	}
	o.create(w, r, f)
}

// Discovery.

type o311DiscoveryDoc struct {
	XMLName    xml.Name               `json:"-" xml:"discovery"`
	Changeset  string                 `json:"changeset" xml:"changeset"`
	Contact    string                 `json:"contact" xml:"contact"`
	KeyService string                 `json:"key_service" xml:"key_service"`
	Endpoints  []o311DiscoveryEnpoint `json:"endpoints" xml:"endpoints>endpoint"`
}

type o311DiscoveryEnpoint struct {
	Specification string   `json:"specification" xml:"specification"`
	URL           string   `json:"url" xml:"url"`
	Changeset     string   `json:"changeset" xml:"changeset"`
	Type          string   `json:"type" xml:"type"`
	Formats       []string `json:"formats" xml:"formats>format"`
}

// o311BaseURL is the absolute address of the API as the client reached it.
func o311BaseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host + Open311Base
}

func (o *Open311) discovery(w http.ResponseWriter, r *http.Request, f o311Format) {
	d := o311DiscoveryDoc{
		Changeset:  open311Changeset,
		Contact:    "gengxin 更新 — the district's renewal office runs this service",
		KeyService: "API keys are issued by an administrator: gengxin apikey create --name NAME --role ROLE --region CODE",
		Endpoints: []o311DiscoveryEnpoint{{
			Specification: "http://wiki.open311.org/GeoReport_v2",
			URL:           o311BaseURL(r),
			Changeset:     open311Changeset,
			Type:          "production",
			Formats:       []string{"application/json", "text/xml"},
		}},
	}
	o.write(w, f, http.StatusOK, d, d)
}

// Services.

type o311ServiceDoc struct {
	XMLName     xml.Name `json:"-" xml:"service"`
	ServiceCode string   `json:"service_code" xml:"service_code"`
	ServiceName string   `json:"service_name" xml:"service_name"`
	Description string   `json:"description" xml:"description"`
	Metadata    bool     `json:"metadata" xml:"metadata"`
	Type        string   `json:"type" xml:"type"`
	Keywords    string   `json:"keywords" xml:"keywords"`
	Group       string   `json:"group" xml:"group"`
}

type o311ServicesDoc struct {
	XMLName  xml.Name         `xml:"services"`
	Services []o311ServiceDoc `xml:"service"`
}

// o311PolicyGroup names the group of services on one SLA policy.
var o311PolicyGroup = map[string][2]string{
	"54321":    {"社区服务（54321 承诺）", "Community service (54321 promise)"},
	"citymgmt": {"城市管理", "City management"},
	"12345":    {"12345 热线", "12345 hotline"},
}

func o311English(l string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(l)), "en")
}

func o311Pick(l string, zh, en string) string {
	if o311English(l) && en != "" {
		return en
	}
	return zh
}

func (o *Open311) serviceOf(c Category, l string) o311ServiceDoc {
	g := o311PolicyGroup[c.Policy]
	group := o311Pick(l, g[0], g[1])
	if group == "" {
		group = c.Policy
	}
	desc := o311Pick(l, fmt.Sprintf("%s：按 %s 时限办理", c.NameZH, c.Policy), fmt.Sprintf("%s, handled under the %s deadlines", c.NameEN, c.Policy))
	kw := []string{c.Code, c.Policy}
	if c.Grade != "" {
		kw = append(kw, c.Grade)
	}
	if c.Department != "" {
		kw = append(kw, c.Department)
	}
	return o311ServiceDoc{ServiceCode: c.Code, ServiceName: c.Name(o311Pick(l, "zh", "en")), Description: desc, Metadata: true,
		Type: "realtime", Keywords: strings.Join(kw, ","), Group: group}
}

func (o *Open311) services(w http.ResponseWriter, r *http.Request, f o311Format) {
	if !o.checkJurisdiction(w, r, f) {
		return
	}
	l := o311Lang(r)
	list := []o311ServiceDoc{}
	for _, c := range o.svc.Categories() {
		list = append(list, o.serviceOf(c, l))
	}
	o.write(w, f, http.StatusOK, list, o311ServicesDoc{Services: list})
}

// Service definitions.

type o311AttributeValue struct {
	Key  string `json:"key" xml:"key"`
	Name string `json:"name" xml:"name"`
}

type o311AttributeDoc struct {
	Variable            bool                 `json:"variable" xml:"variable"`
	Code                string               `json:"code" xml:"code"`
	Datatype            string               `json:"datatype" xml:"datatype"`
	Required            bool                 `json:"required" xml:"required"`
	DatatypeDescription string               `json:"datatype_description" xml:"datatype_description"`
	Order               int                  `json:"order" xml:"order"`
	Description         string               `json:"description" xml:"description"`
	Values              []o311AttributeValue `json:"values,omitempty" xml:"values>value,omitempty"`
}

type o311DefinitionDoc struct {
	XMLName     xml.Name           `json:"-" xml:"service_definition"`
	ServiceCode string             `json:"service_code" xml:"service_code"`
	Attributes  []o311AttributeDoc `json:"attributes" xml:"attributes>attribute"`
}

// Attribute codes every service takes.
const (
	o311AttrAnonymous = "anonymous"
	o311AttrDetail    = "location_detail"
)

// o311MaxDetail is the longest location_detail accepted, in characters.
const o311MaxDetail = 100

func o311Attributes(l string) []o311AttributeDoc {
	return []o311AttributeDoc{
		{Variable: true, Code: o311AttrAnonymous, Datatype: "singlevaluelist", Required: false, Order: 1,
			DatatypeDescription: o311Pick(l, "true 或 false", "true or false"),
			Description:         o311Pick(l, "匿名上报：不保存上报人姓名，回访只用联系方式", "Anonymous report: the reporter's name is not kept; only the contact is used to call back"),
			Values: []o311AttributeValue{{Key: "true", Name: o311Pick(l, "匿名", "anonymous")},
				{Key: "false", Name: o311Pick(l, "署名", "named")}}},
		{Variable: true, Code: o311AttrDetail, Datatype: "string", Required: false, Order: 2,
			DatatypeDescription: o311Pick(l, fmt.Sprintf("最多 %d 个字", o311MaxDetail), fmt.Sprintf("at most %d characters", o311MaxDetail)),
			Description:         o311Pick(l, "楼栋、单元、楼层等位置补充", "Building, entrance, floor or other detail of the place")},
	}
}

func (o *Open311) serviceDefinition(w http.ResponseWriter, r *http.Request) {
	code, f, ok := o311SplitFile(r.PathValue("file"))
	if !ok {
		o.fail(w, f, http.StatusNotFound, "unknown resource; add .json or .xml")
		return
	}
	if !o.checkJurisdiction(w, r, f) {
		return
	}
	if _, ok := o.svc.Category(code); !ok {
		o.fail(w, f, http.StatusNotFound, fmt.Sprintf("service_code %q does not exist", code))
		return
	}
	d := o311DefinitionDoc{ServiceCode: code, Attributes: o311Attributes(o311Lang(r))}
	o.write(w, f, http.StatusOK, d, d)
}

// Service requests.

// o311RequestDoc is one service request as the public sees it.
type o311RequestDoc struct {
	XMLName           xml.Name         `json:"-" xml:"request"`
	ServiceRequestID  string           `json:"service_request_id" xml:"service_request_id"`
	Status            string           `json:"status" xml:"status"`
	StatusNotes       string           `json:"status_notes,omitempty" xml:"status_notes,omitempty"`
	ServiceName       string           `json:"service_name" xml:"service_name"`
	ServiceCode       string           `json:"service_code" xml:"service_code"`
	Description       string           `json:"description" xml:"description"`
	AgencyResponsible string           `json:"agency_responsible,omitempty" xml:"agency_responsible,omitempty"`
	ServiceNotice     string           `json:"service_notice,omitempty" xml:"service_notice,omitempty"`
	RequestedDatetime string           `json:"requested_datetime" xml:"requested_datetime"`
	UpdatedDatetime   string           `json:"updated_datetime" xml:"updated_datetime"`
	ExpectedDatetime  string           `json:"expected_datetime,omitempty" xml:"expected_datetime,omitempty"`
	Address           string           `json:"address,omitempty" xml:"address,omitempty"`
	Lat               *float64         `json:"lat,omitempty" xml:"lat,omitempty"`
	Long              *float64         `json:"long,omitempty" xml:"long,omitempty"`
	MediaURL          string           `json:"media_url,omitempty" xml:"media_url,omitempty"`
	Extended          *o311ExtendedDoc `json:"extended_attributes,omitempty" xml:"extended_attributes,omitempty"`
}

// o311ExtendedDoc holds what extensions=true adds: the exact workflow state and
// the clock of every stage.
type o311ExtendedDoc struct {
	State       string         `json:"state" xml:"state"`
	Policy      string         `json:"policy" xml:"policy"`
	Grade       string         `json:"grade,omitempty" xml:"grade,omitempty"`
	Channel     string         `json:"channel" xml:"channel"`
	PauseReason string         `json:"pause_reason,omitempty" xml:"pause_reason,omitempty"`
	Reopens     int            `json:"reopens" xml:"reopens"`
	MergedInto  string         `json:"merged_into,omitempty" xml:"merged_into,omitempty"`
	Stages      []o311StageDoc `json:"stages" xml:"stages>stage"`
}

// o311StageDoc is the clock of one stage.
type o311StageDoc struct {
	Name        string `json:"name" xml:"name"`
	Due         string `json:"due,omitempty" xml:"due,omitempty"`
	Done        string `json:"done,omitempty" xml:"done,omitempty"`
	Paused      bool   `json:"paused" xml:"paused"`
	LeftSeconds int64  `json:"left_seconds,omitempty" xml:"left_seconds,omitempty"`
	Overdue     bool   `json:"overdue" xml:"overdue"`
	Cancelled   bool   `json:"cancelled" xml:"cancelled"`
}

type o311RequestsDoc struct {
	XMLName  xml.Name         `xml:"service_requests"`
	Requests []o311RequestDoc `xml:"request"`
}

// o311ClosedStates are the states Open311 calls closed: the problem is fixed (or
// folded into another request). A reopened case is open again.
var o311ClosedStates = []State{StateResolved, StateVerified, StateFollowedUp, StateRated, StateClosed, StateMerged}

// Open311Status maps a state to the Open311 status "open" or "closed".
func Open311Status(s State) string {
	if slices.Contains(o311ClosedStates, s) {
		return "closed"
	}
	return "open"
}

// o311StatesOf returns the states an Open311 status value stands for: open,
// closed, or (an extension) one exact state.
func o311StatesOf(v string) ([]State, bool) {
	switch v {
	case "open":
		var out []State
		for _, s := range States() {
			if Open311Status(s) == "open" {
				out = append(out, s)
			}
		}
		return out, true
	case "closed":
		return slices.Clone(o311ClosedStates), true
	}
	if slices.Contains(States(), State(v)) {
		return []State{State(v)}, true
	}
	return nil, false
}

func o311Stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(calendar.Shanghai()).Format(time.RFC3339)
}

// o311PhoneLike finds runs of seven or more digits, possibly split by spaces or
// dashes: phone numbers residents type into descriptions.
var o311PhoneLike = regexp.MustCompile(`\+?\d[\d \-]{5,}\d`)

// o311PublicText masks phone-like numbers in text written by a reporter.
func o311PublicText(s string) string {
	return o311PhoneLike.ReplaceAllStringFunc(s, func(m string) string {
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, m)
		if len(digits) < 7 {
			return m
		}
		return maskContact(digits)
	})
}

// o311SplitMedia takes the media_url line back out of a description.
func o311SplitMedia(desc string) (string, string) {
	i := strings.LastIndex(desc, "\n"+o311MediaMarker)
	if i < 0 {
		if rest, ok := strings.CutPrefix(desc, o311MediaMarker); ok && !strings.Contains(rest, "\n") {
			return "", rest
		}
		return desc, ""
	}
	rest := desc[i+1+len(o311MediaMarker):]
	if strings.Contains(rest, "\n") {
		return desc, ""
	}
	return strings.TrimRight(desc[:i], "\n"), rest
}

// o311Expected is the due time Open311 calls expected_datetime: the resolve
// stage's while it runs, else the earliest running stage's; empty when the
// case is closed or its clocks stand paused.
func o311Expected(c Case, clocks []StageClock) time.Time {
	if Open311Status(c.State) == "closed" {
		return time.Time{}
	}
	var best time.Time
	for _, k := range clocks {
		if !k.Open() || k.Paused() || k.Due.IsZero() {
			continue
		}
		if k.Stage == sla.StageResolve {
			return k.Due
		}
		if best.IsZero() || k.Due.Before(best) {
			best = k.Due
		}
	}
	return best
}

// view turns a case into its public Open311 form.
func (o *Open311) view(c Case, clocks []StageClock, depts map[string]string, l string, ext bool, now time.Time) o311RequestDoc {
	desc, media := o311SplitMedia(c.Description)
	d := o311RequestDoc{ServiceRequestID: itoa(c.ID), Status: Open311Status(c.State), ServiceCode: c.Category,
		Description: o311PublicText(desc), RequestedDatetime: o311Stamp(c.ReportedAt), UpdatedDatetime: o311Stamp(c.UpdatedAt),
		ExpectedDatetime: o311Stamp(o311Expected(c, clocks)), Address: o311PublicText(c.Address), MediaURL: media}
	if cat, ok := o.svc.Category(c.Category); ok {
		d.ServiceName = cat.Name(o311Pick(l, "zh", "en"))
	} else {
		d.ServiceName = c.Category
	}
	if c.Department != "" {
		d.AgencyResponsible = depts[c.Department]
		if d.AgencyResponsible == "" {
			d.AgencyResponsible = c.Department
		}
	} else {
		d.AgencyResponsible = o311Pick(l, "社区网格", "Community grid")
	}
	if c.HasLocation {
		lat, lon := c.Lat, c.Lon
		d.Lat, d.Long = &lat, &lon
	}
	switch c.State {
	case StateSuspended:
		d.StatusNotes = o311Pick(l, "暂停办理："+c.PauseReason, "paused: "+c.PauseReason)
	case StateMerged:
		d.StatusNotes = o311Pick(l, "已并入 "+itoa(c.MergedInto), "merged into request "+itoa(c.MergedInto))
	case StateReopened:
		d.StatusNotes = o311Pick(l, "上报人已要求重办", "reopened by the reporter")
	}
	if ext {
		x := &o311ExtendedDoc{State: string(c.State), Policy: c.Policy, Grade: c.Grade, Channel: string(c.Channel),
			PauseReason: c.PauseReason, Reopens: c.Reopens, Stages: []o311StageDoc{}}
		if c.MergedInto != 0 {
			x.MergedInto = itoa(c.MergedInto)
		}
		for _, k := range clocks {
			s := o311StageDoc{Name: string(k.Stage), Due: o311Stamp(k.Due), Done: o311Stamp(k.Done), Paused: k.Paused() && k.Open(),
				Overdue: k.Overdue(now), Cancelled: k.Cancelled}
			if s.Paused {
				s.LeftSeconds = int64(k.Left / time.Second)
			}
			x.Stages = append(x.Stages, s)
		}
		d.Extended = x
	}
	return d
}

// clocksOf reads the clocks of many cases in one query, by case id: every
// clock with extensions, else only the running ones (all that
// expected_datetime looks at).
func (o *Open311) clocksOf(ctx context.Context, ids []int64, ext bool) (map[int64][]StageClock, error) {
	out := map[int64][]StageClock{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := o.svc.readQuery(ctx, `SELECT `+publicClockCols+` FROM case_clocks k WHERE k.case_id IN (`+placeholders(len(ids), 1)+`)`+
		runningOnly(ext), args...)
	if err != nil {
		return nil, fmt.Errorf("open311 clocks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		k, ok, err := scanPublicClock(rows)
		if err != nil {
			return nil, err
		}
		if ok {
			out[k.CaseID] = append(out[k.CaseID], k)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("open311 clocks: %w", err)
	}
	for _, ks := range out {
		sortStages(ks)
	}
	return out, nil
}

// sortStages puts clocks in stage order.
func sortStages(ks []StageClock) {
	slices.SortFunc(ks, func(a, b StageClock) int {
		return slices.Index(stageOrder, a.Stage) - slices.Index(stageOrder, b.Stage)
	})
}

// views turns cases into public requests, with their clocks.
func (o *Open311) views(ctx context.Context, cs []Case, l string, ext bool) ([]o311RequestDoc, error) {
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	clocks, err := o.clocksOf(ctx, ids, ext)
	if err != nil {
		return nil, err
	}
	return o.viewsWith(ctx, cs, clocks, l, ext)
}

// viewsWith turns cases into public requests with the clocks given.
func (o *Open311) viewsWith(ctx context.Context, cs []Case, clocks map[int64][]StageClock, l string, ext bool) ([]o311RequestDoc, error) {
	depts, err := o.svc.departmentNames(ctx)
	if err != nil {
		return nil, err
	}
	now := o.now()
	out := make([]o311RequestDoc, 0, len(cs))
	for _, c := range cs {
		out = append(out, o.view(c, clocks[c.ID], depts, l, ext, now))
	}
	return out, nil
}

// o311ListQuery is a parsed GET requests query.
type o311ListQuery struct {
	ids        []int64
	categories []string
	states     []State
	from, to   time.Time
	// defaultWindow is set when the request named no dates: the window then
	// ends now and moves with the clock.
	defaultWindow bool
	page, size    int
}

// countKey names what the query counts: the filter without the page. A
// default window is named as such, so that its moving end does not make every
// request a new key (cases reported since are writes, which end the entry).
func (lq o311ListQuery) countKey() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v|%v|", lq.categories, lq.states)
	if lq.defaultWindow {
		b.WriteString("default")
	} else {
		fmt.Fprintf(&b, "%d|%d", lq.from.UnixNano(), lq.to.UnixNano())
	}
	return b.String()
}

// o311ParseTime reads a W3C date-time (time zone required) or a date (midnight
// in Shanghai).
func o311ParseTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", v, calendar.Shanghai()); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date-time such as 2025-06-10T09:00:00+08:00", v)
}

func o311SplitList(v string) []string {
	var out []string
	for p := range strings.SplitSeq(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseList reads the query of GET requests; the error is the 400 message.
func (o *Open311) parseList(q url.Values) (o311ListQuery, error) {
	lq := o311ListQuery{page: 1, size: Open311PageSize}
	if v := q.Get("service_request_id"); v != "" {
		for _, p := range o311SplitList(v) {
			id, err := strconv.ParseInt(p, 10, 64)
			if err != nil || id <= 0 {
				return lq, fmt.Errorf("service_request_id %q is not a request id", p)
			}
			lq.ids = append(lq.ids, id)
		}
		if len(lq.ids) > Open311MaxIDs {
			return lq, fmt.Errorf("at most %d service_request_id values at once", Open311MaxIDs)
		}
		// With ids the other filters are ignored, as the specification says.
		return lq, nil
	}
	for _, code := range o311SplitList(q.Get("service_code")) {
		if _, ok := o.svc.Category(code); !ok {
			return lq, fmt.Errorf("service_code %q does not exist", code)
		}
		lq.categories = append(lq.categories, code)
	}
	for _, st := range o311SplitList(q.Get("status")) {
		states, ok := o311StatesOf(strings.ToLower(st))
		if !ok {
			return lq, fmt.Errorf("status %q is not open or closed", st)
		}
		for _, s := range states {
			if !slices.Contains(lq.states, s) {
				lq.states = append(lq.states, s)
			}
		}
	}
	var err error
	if v := q.Get("start_date"); v != "" {
		if lq.from, err = o311ParseTime(v); err != nil {
			return lq, fmt.Errorf("start_date: %w", err)
		}
	}
	if v := q.Get("end_date"); v != "" {
		if lq.to, err = o311ParseTime(v); err != nil {
			return lq, fmt.Errorf("end_date: %w", err)
		}
	}
	switch {
	case lq.from.IsZero() && lq.to.IsZero():
		lq.defaultWindow = true
		lq.to = o.now().Add(time.Second)
		lq.from = lq.to.Add(-Open311Window)
	case lq.from.IsZero():
		lq.from = lq.to.Add(-Open311Window)
	case lq.to.IsZero():
		lq.to = lq.from.Add(Open311Window)
	}
	if !lq.to.After(lq.from) {
		return lq, errors.New("end_date must be after start_date")
	}
	if lq.to.Sub(lq.from) > Open311Window {
		return lq, errors.New("start_date and end_date may not span more than 90 days")
	}
	if v := q.Get("page"); v != "" {
		if lq.page, err = strconv.Atoi(v); err != nil || lq.page < 1 {
			return lq, fmt.Errorf("page %q is not a page number from 1", v)
		}
	}
	if v := q.Get("page_size"); v != "" {
		if lq.size, err = strconv.Atoi(v); err != nil || lq.size < 1 || lq.size > Open311PageSize {
			return lq, fmt.Errorf("page_size %q is not between 1 and %d", v, Open311PageSize)
		}
	}
	return lq, nil
}

// find returns the cases of a parsed query, newest report first (ids in the
// order asked), and how many match in all.
func (o *Open311) find(ctx context.Context, lq o311ListQuery) ([]Case, int, error) {
	if len(lq.ids) > 0 {
		args := make([]any, len(lq.ids))
		for i, id := range lq.ids {
			args[i] = id
		}
		rows, err := o.svc.readQuery(ctx, `SELECT `+o311CaseCols+` FROM cases c WHERE c.id IN (`+placeholders(len(args), 1)+`)`, args...)
		if err != nil {
			return nil, 0, fmt.Errorf("open311 requests: %w", err)
		}
		defer rows.Close()
		byID := map[int64]Case{}
		for rows.Next() {
			c, err := scanO311Case(rows)
			if err != nil {
				return nil, 0, fmt.Errorf("open311 requests: %w", err)
			}
			byID[c.ID] = c
		}
		if err := rows.Err(); err != nil {
			return nil, 0, fmt.Errorf("open311 requests: %w", err)
		}
		var out []Case
		for _, id := range lq.ids {
			if c, ok := byID[id]; ok {
				out = append(out, c)
				delete(byID, id)
			}
		}
		return out, len(out), nil
	}
	f := Filter{States: lq.states, ReportedFrom: lq.from, ReportedTo: lq.to}
	if len(lq.categories) == 1 {
		f.Category = lq.categories[0]
	}
	where, args := f.where(o.now())
	if len(lq.categories) > 1 {
		cond := "c.category IN (" + placeholders(len(lq.categories), len(args)+1) + ")"
		for _, c := range lq.categories {
			args = append(args, c)
		}
		if where == "" {
			where = " WHERE " + cond
		} else {
			where += " AND " + cond
		}
	}
	// The count is cached per filter (not per page) while no case changes.
	writes, wall := o.svc.writes.Load(), o.now()
	key := lq.countKey()
	total, cached := o.counts.get(key, writes, wall)
	if !cached {
		if err := o.svc.readRowPlanned(ctx, `SELECT COUNT(*) FROM cases c`+where, args...).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("open311 count: %w", err)
		}
		o.counts.put(key, total, writes, wall)
	}
	n := len(args)
	args = append(args, lq.size, (lq.page-1)*lq.size)
	// The page's ids first, from the index alone where one covers the
	// filter, then only those rows.
	rows, err := o.svc.readQueryPlanned(ctx, `SELECT `+o311CaseCols+` FROM cases c WHERE c.id IN (SELECT c.id FROM cases c`+where+
		` ORDER BY c.reported_at DESC, c.id DESC LIMIT $`+strconv.Itoa(n+1)+` OFFSET $`+strconv.Itoa(n+2)+`)
		ORDER BY c.reported_at DESC, c.id DESC`, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("open311 requests: %w", err)
	}
	defer rows.Close()
	var out []Case
	for rows.Next() {
		c, err := scanO311Case(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("open311 requests: %w", err)
		}
		out = append(out, c)
	}
	return out, total, rows.Err()
}

func o311Extensions(r *http.Request) bool {
	v, _ := strconv.ParseBool(r.URL.Query().Get("extensions"))
	return v
}

func (o *Open311) requests(w http.ResponseWriter, r *http.Request, f o311Format) {
	if !o.checkJurisdiction(w, r, f) {
		return
	}
	lq, err := o.parseList(r.URL.Query())
	if err != nil {
		o.fail(w, f, http.StatusBadRequest, err.Error())
		return
	}
	cs, total, err := o.find(r.Context(), lq)
	if err != nil {
		o.failErr(w, f, err)
		return
	}
	list, err := o.views(r.Context(), cs, o311Lang(r), o311Extensions(r))
	if err != nil {
		o.failErr(w, f, err)
		return
	}
	w.Header().Set("X-Total-Count", strconv.Itoa(total))
	o.write(w, f, http.StatusOK, list, o311RequestsDoc{Requests: list})
}

// requestID reads the id of requests/{id}.json or tokens/{id}.json; 0 when
// it is not a number.
func (o *Open311) requestID(w http.ResponseWriter, r *http.Request) (int64, o311Format, bool) {
	name, f, ok := o311SplitFile(r.PathValue("file"))
	if !ok {
		o.fail(w, f, http.StatusNotFound, "unknown resource; add .json or .xml")
		return 0, f, false
	}
	if !o.checkJurisdiction(w, r, f) {
		return 0, f, false
	}
	id, err := strconv.ParseInt(name, 10, 64)
	if err != nil || id <= 0 {
		o.fail(w, f, http.StatusNotFound, fmt.Sprintf("service request %q not found", name))
		return 0, f, false
	}
	return id, f, true
}

func (o *Open311) request(w http.ResponseWriter, r *http.Request) {
	id, f, ok := o.requestID(w, r)
	if !ok {
		return
	}
	ext := o311Extensions(r)
	c, clocks, err := o.one(r.Context(), id, ext)
	if errors.Is(err, ErrNotFound) {
		o.fail(w, f, http.StatusNotFound, fmt.Sprintf("service request %d not found", id))
		return
	}
	if err != nil {
		o.failErr(w, f, err)
		return
	}
	list, err := o.viewsWith(r.Context(), []Case{c}, map[int64][]StageClock{id: clocks}, o311Lang(r), ext)
	if err != nil {
		o.failErr(w, f, err)
		return
	}
	o.write(w, f, http.StatusOK, list, o311RequestsDoc{Requests: list})
}

// one reads a case with its clocks (as clocksOf) in one query; ErrNotFound
// when it does not exist.
func (o *Open311) one(ctx context.Context, id int64, ext bool) (Case, []StageClock, error) {
	rows, err := o.svc.readQuery(ctx, `SELECT `+o311CaseCols+`, `+publicClockCols+`
		FROM cases c LEFT JOIN case_clocks k ON k.case_id = c.id`+runningOnly(ext)+` WHERE c.id = $1`, id)
	if err != nil {
		return Case{}, nil, fmt.Errorf("open311 request %d: %w", id, err)
	}
	defer rows.Close()
	var c Case
	var clocks []StageClock
	found := false
	for rows.Next() {
		var k StageClock
		var ok bool
		pk := publicClockScanner{k: &k, ok: &ok}
		if c, err = scanO311Case(rowWith{rows, pk.dest()}); err != nil {
			return Case{}, nil, fmt.Errorf("open311 request %d: %w", id, err)
		}
		found = true
		if err := pk.finish(); err != nil {
			return Case{}, nil, err
		}
		if ok {
			clocks = append(clocks, k)
		}
	}
	if err := rows.Err(); err != nil {
		return Case{}, nil, fmt.Errorf("open311 request %d: %w", id, err)
	}
	if !found {
		return Case{}, nil, fmt.Errorf("case %d: %w", id, ErrNotFound)
	}
	sortStages(clocks)
	return c, clocks, nil
}

// o311CaseCols are the columns of cases c that a public view shows, in the
// order scanO311Case reads them: a third of caseCols, and none of the
// reporter's.
const o311CaseCols = `c.id, c.category, c.policy, c.grade, c.state, c.pause_reason, c.channel, c.description, c.address, c.lon, c.lat,
	c.department, COALESCE(c.merged_into, 0), c.reopens, c.reported_at, c.updated_at`

func scanO311Case(sc rowScanner) (Case, error) {
	var c Case
	var lon, lat sql.NullFloat64
	err := sc.Scan(&c.ID, &c.Category, &c.Policy, &c.Grade, &c.State, &c.PauseReason, &c.Channel, &c.Description, &c.Address,
		&lon, &lat, &c.Department, &c.MergedInto, &c.Reopens, &c.ReportedAt, &c.UpdatedAt)
	if err != nil {
		return c, err
	}
	c.HasLocation = lon.Valid && lat.Valid
	c.Lon, c.Lat = lon.Float64, lat.Float64
	c.ReportedAt, c.UpdatedAt = c.ReportedAt.UTC(), c.UpdatedAt.UTC()
	return c, nil
}

// publicClockCols are the columns of case_clocks a public view needs: the
// stored due and done times and flags, and the whole clock only while it
// stands paused (for the time it has left). Decoding every clock's JSON cost
// more than the rest of a list page.
var publicClockCols = publicClockColsOf("k")

// runningOnly is the condition on case_clocks k that keeps only the running
// clocks (not done, cancelled or paused) unless ext asks for all of them.
func runningOnly(ext bool) string {
	if ext {
		return ""
	}
	return " AND k.done_at IS NULL AND k.cancelled = FALSE AND k.paused = FALSE"
}

func publicClockColsOf(alias string) string {
	a := ""
	if alias != "" {
		a = alias + "."
	}
	return a + "case_id, " + a + "stage, " + a + "due, " + a + "done_at, " + a + "paused, " + a + "cancelled, CASE WHEN " + a +
		"paused THEN " + a + "clock ELSE '' END"
}

// publicClockScanner reads the publicClockCols of a row, which may be all
// NULL (a case without clocks in a LEFT JOIN).
type publicClockScanner struct {
	k                 *StageClock
	ok                *bool
	caseID            sql.NullInt64
	stage             sql.NullString
	due, done         sql.NullTime
	paused, cancelled sql.NullBool
	clock             sql.NullString
}

func (p *publicClockScanner) dest() []any {
	return []any{&p.caseID, &p.stage, &p.due, &p.done, &p.paused, &p.cancelled, &p.clock}
}

// finish fills the clock from the scanned columns.
func (p *publicClockScanner) finish() error {
	*p.ok = p.caseID.Valid
	if !p.caseID.Valid {
		return nil
	}
	k := StageClock{CaseID: p.caseID.Int64, Cancelled: p.cancelled.Bool}
	if p.paused.Bool {
		if err := json.Unmarshal([]byte(p.clock.String), &k.Clock); err != nil {
			return fmt.Errorf("clock of case %d: %w", k.CaseID, err)
		}
	} else {
		k.Stage = sla.Stage(p.stage.String)
		if p.due.Valid {
			k.Due = p.due.Time.UTC()
		}
		if p.done.Valid {
			k.Done = p.done.Time.UTC()
		}
	}
	*p.k = k
	return nil
}

// scanPublicClock reads one row of publicClockCols; false for a NULL row.
func scanPublicClock(sc rowScanner) (StageClock, bool, error) {
	var k StageClock
	var ok bool
	p := publicClockScanner{k: &k, ok: &ok}
	if err := sc.Scan(p.dest()...); err != nil {
		return k, false, fmt.Errorf("open311 clocks: %w", err)
	}
	err := p.finish()
	return k, ok, err
}

// rowWith scans the columns of a row that come after the ones its caller
// asks for into extra.
type rowWith struct {
	sc    rowScanner
	extra []any
}

func (r rowWith) Scan(dest ...any) error { return r.sc.Scan(append(dest, r.extra...)...) }

// o311TokenDoc answers tokens/{id}, and a POST.
type o311TokenDoc struct {
	XMLName          xml.Name `json:"-" xml:"request"`
	ServiceRequestID string   `json:"service_request_id" xml:"service_request_id"`
	Token            string   `json:"token,omitempty" xml:"token,omitempty"`
	ServiceNotice    string   `json:"service_notice,omitempty" xml:"service_notice,omitempty"`
}

type o311TokensDoc struct {
	XMLName  xml.Name       `xml:"service_requests"`
	Requests []o311TokenDoc `xml:"request"`
}

// token answers tokens/{token_id}. A request is created at once, so its token
// is its service_request_id and the answer is known immediately.
func (o *Open311) token(w http.ResponseWriter, r *http.Request) {
	id, f, ok := o.requestID(w, r)
	if !ok {
		return
	}
	var n int
	if err := o.svc.readRow(r.Context(), `SELECT COUNT(*) FROM cases WHERE id = $1`, id).Scan(&n); err != nil {
		o.failErr(w, f, fmt.Errorf("open311 token: %w", err))
		return
	}
	if n == 0 {
		o.fail(w, f, http.StatusNotFound, fmt.Sprintf("token %d not found", id))
		return
	}
	list := []o311TokenDoc{{ServiceRequestID: itoa(id), Token: itoa(id)}}
	o.write(w, f, http.StatusOK, list, o311TokensDoc{Requests: list})
}

// Posting a request.

// errOutsideKeyRegion refuses a post of a region-scoped key outside its region.
var errOutsideKeyRegion = errors.New("outside the region of the api_key")

// o311MaxPostBytes bounds the body of a POST.
const o311MaxPostBytes = 1 << 20

// principal checks the request's api_key (or an API key already given as a
// bearer token); the error is the 403 message.
func (o *Open311) principal(r *http.Request) (*auth.Principal, error) {
	key := strings.TrimSpace(r.FormValue("api_key"))
	if key == "" {
		if p, ok := auth.PrincipalFrom(r.Context()); ok && p.Kind == auth.KindAPIKey {
			return p, nil
		}
		return nil, errors.New("api_key is required to post a service request")
	}
	p, err := o.keys(r.Context(), key)
	switch {
	case errors.Is(err, auth.ErrAPIKeyRevoked):
		return nil, errors.New("api_key was revoked")
	case err != nil && errors.Is(err, auth.ErrBadAPIKey):
		return nil, errors.New("api_key is not valid")
	case err != nil:
		return nil, err
	case p == nil:
		return nil, errors.New("api_key is not valid")
	}
	return p, nil
}

// o311PostInput is a parsed POST; the error of parsePost is the 400 message.
type o311PostInput struct {
	in        ReportInput
	located   bool
	anonymous bool
}

func o311ParseCoord(v, name string, limit float64) (float64, error) {
	x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(x) || x < -limit || x > limit {
		return 0, fmt.Errorf("%s %q is not a WGS-84 %s", name, v, map[string]string{"lat": "latitude", "long": "longitude"}[name])
	}
	return x, nil
}

func (o *Open311) parsePost(r *http.Request) (o311PostInput, error) {
	var p o311PostInput
	code := strings.TrimSpace(r.FormValue("service_code"))
	if code == "" {
		return p, errors.New("service_code is required")
	}
	cat, ok := o.svc.Category(code)
	if !ok {
		return p, fmt.Errorf("service_code %q does not exist", code)
	}
	in := ReportInput{Category: cat.Code, Channel: ChannelOpen311}
	latS, lonS := r.FormValue("lat"), r.FormValue("long")
	switch {
	case latS != "" || lonS != "":
		if latS == "" || lonS == "" {
			return p, errors.New("lat and long go together")
		}
		lat, err := o311ParseCoord(latS, "lat", 90)
		if err != nil {
			return p, err
		}
		lon, err := o311ParseCoord(lonS, "long", 180)
		if err != nil {
			return p, err
		}
		if lat == 0 && lon == 0 {
			return p, errors.New("lat 0 and long 0 is not a place served here")
		}
		in.Lat, in.Lon, p.located = lat, lon, true
	case strings.TrimSpace(r.FormValue("address_string")) == "" && strings.TrimSpace(r.FormValue("address_id")) == "":
		return p, errors.New("a location is required: lat and long, or address_string")
	}
	in.Address = strings.TrimSpace(r.FormValue("address_string"))
	if in.Address == "" {
		in.Address = strings.TrimSpace(r.FormValue("address_id"))
	}
	if utf8.RuneCountInString(in.Address) > 300 {
		return p, errors.New("address_string is longer than 300 characters")
	}
	for k, vs := range r.Form {
		name, ok := strings.CutPrefix(k, "attribute[")
		if !ok {
			continue
		}
		name, ok = strings.CutSuffix(name, "]")
		if !ok {
			return p, fmt.Errorf("%s is not attribute[code]", k)
		}
		v := strings.TrimSpace(vs[0])
		switch name {
		case o311AttrAnonymous:
			b, err := strconv.ParseBool(v)
			if err != nil {
				return p, fmt.Errorf("attribute[%s] must be true or false, not %q", name, v)
			}
			p.anonymous = b
		case o311AttrDetail:
			if utf8.RuneCountInString(v) > o311MaxDetail {
				return p, fmt.Errorf("attribute[%s] is longer than %d characters", name, o311MaxDetail)
			}
			if v != "" {
				in.Address = strings.TrimSpace(in.Address + " " + v)
			}
		default:
			return p, fmt.Errorf("attribute %q does not exist for service %s", name, code)
		}
	}
	desc := strings.TrimSpace(r.FormValue("description"))
	if desc == "" {
		desc = cat.NameZH + "（Open311）"
	}
	if m := strings.TrimSpace(r.FormValue("media_url")); m != "" {
		u, err := url.Parse(m)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(m) > 500 || strings.ContainsAny(m, "\n\r") {
			return p, fmt.Errorf("media_url %q is not an http or https address", m)
		}
		desc += "\n" + o311MediaMarker + m
	}
	in.Description = desc
	name := strings.TrimSpace(strings.TrimSpace(r.FormValue("last_name")) + strings.TrimSpace(r.FormValue("first_name")))
	contact := strings.TrimSpace(r.FormValue("phone"))
	if contact == "" {
		contact = strings.TrimSpace(r.FormValue("email"))
	}
	in.Reporter = Reporter{Name: name, Contact: contact, Anonymous: p.anonymous}
	p.in = in
	return p, nil
}

func (o *Open311) create(w http.ResponseWriter, r *http.Request, f o311Format) {
	r.Body = http.MaxBytesReader(w, r.Body, o311MaxPostBytes)
	var perr error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		perr = r.ParseMultipartForm(o311MaxPostBytes)
	} else {
		perr = r.ParseForm()
	}
	if perr != nil {
		o.fail(w, f, http.StatusBadRequest, "the body is not a form: "+perr.Error())
		return
	}
	p, err := o.principal(r)
	if err != nil {
		if strings.HasPrefix(err.Error(), "api_key") {
			o.fail(w, f, http.StatusForbidden, err.Error())
		} else {
			o.failErr(w, f, err)
		}
		return
	}
	if !o.checkJurisdiction(w, r, f) {
		return
	}
	in, err := o.parsePost(r)
	if err != nil {
		o.fail(w, f, http.StatusBadRequest, err.Error())
		return
	}
	// The submitting system is the callback channel when the resident left
	// no phone or e-mail.
	if in.in.Reporter.Contact == "" {
		in.in.Reporter.Contact = "Open311 " + p.Username
	}
	ctx := audit.WithActor(auth.WithPrincipal(r.Context(), p), p.Actor())
	var check func(Route) error
	if p.RegionPath != "" {
		if !in.located {
			o.fail(w, f, http.StatusForbidden, "this api_key is limited to a region: send lat and long so the place can be checked")
			return
		}
		check = func(rt Route) error {
			if !p.Covers(rt.RegionPath) {
				return errOutsideKeyRegion
			}
			return nil
		}
	}
	c, err := o.svc.ReportChecked(ctx, in.in, check)
	if errors.Is(err, errOutsideKeyRegion) {
		o.fail(w, f, http.StatusForbidden, "the location lies outside the region of this api_key")
		return
	}
	if err != nil {
		o.failErr(w, f, err)
		return
	}
	notice := o311Pick(o311Lang(r), "已收到，请按编号查询进度", "received; follow it by its service_request_id")
	list := []o311TokenDoc{{ServiceRequestID: itoa(c.ID), Token: itoa(c.ID), ServiceNotice: notice}}
	w.Header().Set("Location", o311BaseURL(r)+"/requests/"+itoa(c.ID)+"."+string(f))
	o.write(w, f, http.StatusCreated, list, o311TokensDoc{Requests: list})
	o.log.Info("open311 request created", "case", c.ID, "apikey", p.APIKeyID, "category", c.Category)
}
