package consult

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/places"
	"github.com/gengxin/gengxin/internal/web"
)

// BuilderBlocks is how many empty question blocks the survey builder offers.
const BuilderBlocks = 10

// xlsxType is the content type of the Excel exports.
const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// SurveyHandlers serves the survey pages: the list, the builder, the survey
// page with each round's live dashboard, the answer form (a resident's own, or
// a community worker's door-to-door, phone or paper entry), the call list and
// the Excel exports.
type SurveyHandlers struct {
	svc    *SurveyService
	places *places.Store
	homes  ResidentHomes
	rd     *web.Renderer
	logger *slog.Logger
	now    func() time.Time
}

// NewSurveyHandlers returns the survey pages.
func NewSurveyHandlers(svc *SurveyService, ps *places.Store, homes ResidentHomes, rd *web.Renderer, logger *slog.Logger, now func() time.Time) *SurveyHandlers {
	return &SurveyHandlers{svc: svc, places: ps, homes: homes, rd: rd, logger: logger, now: now}
}

// Routes lists the survey routes with the permission each needs. Residents
// reach the list and the answer form through MapView; the handlers check that
// the household is in the round's audience, and that staff work inside their area.
func (h *SurveyHandlers) Routes() []web.Route {
	view, read, manage, export := string(auth.MapView), string(auth.VotesRead), string(auth.VotesManage), string(auth.Export)
	return []web.Route{
		{Method: "GET", Pattern: "/surveys", Perm: view, Handler: h.list},
		{Method: "GET", Pattern: "/surveys/new", Perm: manage, Handler: h.newForm},
		{Method: "POST", Pattern: "/surveys", Perm: manage, Handler: h.create},
		{Method: "GET", Pattern: "/surveys/{id}", Perm: read, Handler: h.page},
		{Method: "GET", Pattern: "/surveys/{id}/next", Perm: manage, Handler: h.nextForm},
		{Method: "POST", Pattern: "/surveys/{id}/next", Perm: manage, Handler: h.addRound},
		{Method: "GET", Pattern: "/surveys/rounds/{id}/edit", Perm: manage, Handler: h.editForm},
		{Method: "POST", Pattern: "/surveys/rounds/{id}/edit", Perm: manage, Handler: h.updateRound},
		{Method: "POST", Pattern: "/surveys/rounds/{id}/open", Perm: manage, Handler: h.open},
		{Method: "POST", Pattern: "/surveys/rounds/{id}/close", Perm: manage, Handler: h.close},
		{Method: "GET", Pattern: "/surveys/rounds/{id}/answer", Perm: view, Handler: h.answerForm},
		{Method: "POST", Pattern: "/surveys/rounds/{id}/answer", Perm: view, Handler: h.answer},
		{Method: "GET", Pattern: "/surveys/rounds/{id}/calls", Perm: read, Handler: h.calls},
		{Method: "GET", Pattern: "/surveys/rounds/{id}/responses.xlsx", Perm: export, Handler: h.exportResponses},
		{Method: "GET", Pattern: "/surveys/rounds/{id}/stats.xlsx", Perm: export, Handler: h.exportStats},
		{Method: "GET", Pattern: "/api/v1/surveys/rounds/{id}/stats", Perm: read, Handler: h.statsAPI},
	}
}

// ---- access ----

func (h *SurveyHandlers) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrNotFound), errors.Is(err, places.ErrNotFound):
		h.rd.Error(w, r, http.StatusNotFound, "error.not_found")
	case errors.Is(err, errForbidden):
		h.rd.Error(w, r, http.StatusForbidden, "error.forbidden")
	case errors.Is(err, errOutOfScope):
		h.rd.Error(w, r, http.StatusForbidden, "error.out_of_scope")
	case errors.Is(err, ErrNotInAudience):
		h.rd.Error(w, r, http.StatusForbidden, "surveys.not_in_audience")
	case errors.Is(err, ErrState), errors.Is(err, ErrRoundNotOpen), errors.Is(err, ErrRoundClosed):
		h.rd.Error(w, r, http.StatusConflict, "error.bad_request", err.Error())
	case errors.Is(err, ErrInvalid), errors.Is(err, ErrAttachmentType), errors.Is(err, ErrAttachmentTooLarge):
		h.rd.Error(w, r, http.StatusBadRequest, "error.bad_request", err.Error())
	default:
		h.logger.Error("survey request", "path", r.URL.Path, "err", err)
		h.rd.Error(w, r, http.StatusInternalServerError, "error.internal")
	}
}

// audiencePaths returns the region paths of an audience's places (a region's
// own path, else the path of the compound holding the place).
func (h *SurveyHandlers) audiencePaths(ctx context.Context, a Audience) ([]string, error) {
	var q string
	switch a.Type {
	case AudienceRegion:
		q = `SELECT path FROM regions WHERE id = $1`
	case AudienceCompounds:
		q = `SELECT region_path FROM compounds WHERE id = $1`
	case AudienceBuildings:
		q = `SELECT c.region_path FROM buildings b JOIN compounds c ON c.id = b.compound_id WHERE b.id = $1`
	case AudienceEntrances:
		q = `SELECT c.region_path FROM entrances e JOIN buildings b ON b.id = e.building_id JOIN compounds c ON c.id = b.compound_id WHERE e.id = $1`
	default:
		return nil, nil
	}
	var out []string
	for _, id := range a.IDs {
		var p string
		err := h.svc.db.Read().QueryRowContext(ctx, q, id).Scan(&p)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("audience paths: %w", err)
		}
		out = append(out, p)
	}
	return out, nil
}

// staffCovers checks that a staff member reads surveys and that the survey's
// whole audience lies inside their area.
func (h *SurveyHandlers) staffCovers(r *http.Request, sv Survey) error {
	p := principalOf(r)
	if p.Role == auth.RoleResident || !p.Can(auth.VotesRead) {
		return errForbidden
	}
	if p.RegionPath == "" {
		return nil
	}
	paths, err := h.audiencePaths(r.Context(), sv.Audience)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return errOutOfScope
	}
	for _, path := range paths {
		if !p.Covers(path) {
			return errOutOfScope
		}
	}
	return nil
}

func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// staffSurvey loads the survey of the path and checks the staff member's area.
func (h *SurveyHandlers) staffSurvey(w http.ResponseWriter, r *http.Request) (Survey, bool) {
	id, ok := pathID(r)
	if !ok {
		h.rd.Error(w, r, http.StatusNotFound, "error.not_found")
		return Survey{}, false
	}
	sv, err := h.svc.Survey(r.Context(), id)
	if err == nil {
		err = h.staffCovers(r, sv)
	}
	if err != nil {
		h.fail(w, r, err)
		return sv, false
	}
	return sv, true
}

// roundOf loads the round of the path and its survey, without access checks.
func (h *SurveyHandlers) roundOf(w http.ResponseWriter, r *http.Request) (Survey, Round, bool) {
	id, ok := pathID(r)
	if !ok {
		h.rd.Error(w, r, http.StatusNotFound, "error.not_found")
		return Survey{}, Round{}, false
	}
	rd, err := h.svc.Round(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return Survey{}, rd, false
	}
	sv, err := h.svc.Survey(r.Context(), rd.SurveyID)
	if err != nil {
		h.fail(w, r, err)
		return sv, rd, false
	}
	return sv, rd, true
}

// staffRound loads the round of the path for a staff member inside the area.
func (h *SurveyHandlers) staffRound(w http.ResponseWriter, r *http.Request) (Survey, Round, bool) {
	sv, rd, ok := h.roundOf(w, r)
	if !ok {
		return sv, rd, false
	}
	if err := h.staffCovers(r, sv); err != nil {
		h.fail(w, r, err)
		return sv, rd, false
	}
	return sv, rd, true
}

// ---- problems ----

// problemView is one validation problem as shown next to its field: a
// translated message when the field has one, with the service's detail.
type problemView struct {
	Text   string
	Detail string
}

func (h *SurveyHandlers) problemOf(r *http.Request, p Problem) problemView {
	key := "surveys.problem." + p.Field
	if p.Field == "" && p.Question != "" {
		key = "surveys.problem.required"
		if !strings.Contains(p.Message, "required") {
			key = "surveys.problem.answer"
		}
	}
	if h.rd.Catalog().Has(key) {
		return problemView{Text: h.rd.T(r, key), Detail: p.Message}
	}
	return problemView{Text: p.Message}
}

func (h *SurveyHandlers) note(r *http.Request, key string, args ...any) problemView {
	return problemView{Text: h.rd.T(r, key, args...)}
}

// ---- list ----

// surveyRow is a survey in the staff list, with its current round.
type surveyRow struct {
	Survey   Survey
	Round    *Round
	Support  *SupportFigures
	Coverage Ratio
	Audience string
}

// homeRound is an open round of a resident's household.
type homeRound struct {
	HouseholdRound
	Home    homeOption
	Support *SupportFigures
}

type surveysPage struct {
	Resident  bool
	Rows      []surveyRow
	Homes     []homeRound
	CanManage bool
}

// currentRound is the round a survey shows first: the open one, else the
// latest opened, else the latest.
func currentRound(sv Survey) *Round {
	var pick *Round
	for i := range sv.Rounds {
		r := &sv.Rounds[i]
		if r.Status == StatusOpen {
			return r
		}
		if r.Status == StatusClosed || pick == nil || pick.Status == StatusDraft {
			pick = r
		}
	}
	return pick
}

func (h *SurveyHandlers) list(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	ctx := r.Context()
	d := surveysPage{Resident: p.Role == auth.RoleResident, CanManage: p.Can(auth.VotesManage)}
	if d.Resident {
		homes, err := h.homes(ctx, p.UserID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		for _, hid := range homes {
			opt, err := h.homeOption(ctx, hid)
			if err != nil {
				h.fail(w, r, err)
				return
			}
			rounds, err := h.svc.RoundsForHousehold(ctx, hid)
			if err != nil {
				h.fail(w, r, err)
				return
			}
			for _, hr := range rounds {
				row := homeRound{HouseholdRound: hr, Home: opt}
				if st, err := h.svc.Stats(ctx, hr.Round.ID); err == nil {
					row.Support = st.Support
				} else {
					h.logger.Warn("survey stats", "round", hr.Round.ID, "err", err)
				}
				d.Homes = append(d.Homes, row)
			}
		}
	} else {
		if !p.Can(auth.VotesRead) {
			h.rd.Error(w, r, http.StatusForbidden, "error.forbidden")
			return
		}
		all, err := h.svc.ListSurveys(ctx, SurveyFilter{Limit: 1000})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		for _, sv := range all {
			if err := h.staffCovers(r, sv); err != nil {
				if errors.Is(err, errOutOfScope) || errors.Is(err, errForbidden) {
					continue
				}
				h.fail(w, r, err)
				return
			}
			row := surveyRow{Survey: sv, Round: currentRound(sv), Audience: h.audienceSummary(r, sv.Audience)}
			if row.Round != nil && row.Round.Status != StatusDraft {
				st, err := h.svc.Stats(ctx, row.Round.ID)
				if err != nil {
					h.fail(w, r, err)
					return
				}
				row.Support, row.Coverage = st.Support, st.Coverage
			}
			d.Rows = append(d.Rows, row)
		}
	}
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusOK, d)
		return
	}
	h.rd.Render(w, http.StatusOK, "surveys", h.rd.NewPage(r, "surveys.title", d))
}

func (h *SurveyHandlers) audienceSummary(r *http.Request, a Audience) string {
	return h.rd.T(r, "surveys.audience_summary", h.rd.T(r, "surveys.audience."+a.Type), len(a.IDs))
}

// ---- places by code ----

// homeOption is a household as the pages name it.
type homeOption struct {
	ID       int64
	Code     string
	Compound string
	Building string
	Entrance string
	Room     string
}

// Label is the household's name on screen.
func (o homeOption) Label() string {
	return strings.TrimSpace(strings.Join([]string{o.Compound, o.Building, o.Entrance, o.Room}, " "))
}

func (h *SurveyHandlers) homeOption(ctx context.Context, id int64) (homeOption, error) {
	o := homeOption{ID: id}
	err := h.svc.db.Read().QueryRowContext(ctx, `SELECT h.code, c.name, b.name, COALESCE(e.name, ''), h.room
		FROM households h JOIN buildings b ON b.id = h.building_id JOIN compounds c ON c.id = b.compound_id
		LEFT JOIN entrances e ON e.id = h.entrance_id WHERE h.id = $1`, id).Scan(&o.Code, &o.Compound, &o.Building, &o.Entrance, &o.Room)
	if errors.Is(err, sql.ErrNoRows) {
		return o, fmt.Errorf("household %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return o, fmt.Errorf("household %d: %w", id, err)
	}
	return o, nil
}

// placeByCode finds a region, compound, building or entrance by its code and
// returns its id, its region path and its name.
func (h *SurveyHandlers) placeByCode(ctx context.Context, typ, code string) (int64, string, string, error) {
	var q string
	switch typ {
	case AudienceRegion:
		q = `SELECT id, path, name FROM regions WHERE code = $1`
	case AudienceCompounds:
		q = `SELECT id, region_path, name FROM compounds WHERE code = $1`
	case AudienceBuildings:
		q = `SELECT b.id, c.region_path, c.name || ' ' || b.name FROM buildings b JOIN compounds c ON c.id = b.compound_id WHERE b.code = $1`
	case AudienceEntrances:
		q = `SELECT e.id, c.region_path, c.name || ' ' || b.name || ' ' || e.name FROM entrances e JOIN buildings b ON b.id = e.building_id
			JOIN compounds c ON c.id = b.compound_id WHERE e.code = $1`
	default:
		return 0, "", "", ErrInvalid
	}
	var id int64
	var path, name string
	err := h.svc.db.Read().QueryRowContext(ctx, q, code).Scan(&id, &path, &name)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", "", ErrNotFound
	}
	if err != nil {
		return 0, "", "", fmt.Errorf("%s %s: %w", typ, code, err)
	}
	return id, path, name, nil
}

// audienceLabels names the places of an audience ("code name"), in order.
func (h *SurveyHandlers) audienceLabels(ctx context.Context, a Audience) ([]string, []string, error) {
	var q string
	switch a.Type {
	case AudienceRegion:
		q = `SELECT code, name FROM regions WHERE id = $1`
	case AudienceCompounds:
		q = `SELECT code, name FROM compounds WHERE id = $1`
	case AudienceBuildings:
		q = `SELECT b.code, c.name || ' ' || b.name FROM buildings b JOIN compounds c ON c.id = b.compound_id WHERE b.id = $1`
	case AudienceEntrances:
		q = `SELECT e.code, c.name || ' ' || b.name || ' ' || e.name FROM entrances e JOIN buildings b ON b.id = e.building_id
			JOIN compounds c ON c.id = b.compound_id WHERE e.id = $1`
	default:
		return nil, nil, nil
	}
	var codes, labels []string
	for _, id := range a.IDs {
		var code, name string
		err := h.svc.db.Read().QueryRowContext(ctx, q, id).Scan(&code, &name)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("audience names: %w", err)
		}
		codes = append(codes, code)
		labels = append(labels, code+" "+name)
	}
	return codes, labels, nil
}

// ---- builder ----

// builderBlock is one question block of the builder form.
type builderBlock struct {
	No         int
	ID         string
	Kind       string
	TextZH     string
	TextEN     string
	Options    string // one per line: "+" marks support, "中文 | English"
	Required   bool
	Support    bool
	ReasonOnNo bool
	MaxChoices string
	Problems   []problemView
}

func (b builderBlock) empty() bool {
	return strings.TrimSpace(b.TextZH) == "" && strings.TrimSpace(b.TextEN) == "" && strings.TrimSpace(b.Options) == ""
}

// builderForm is the survey builder: a new survey with its first round, the
// next round of a survey, or a draft round being edited.
type builderForm struct {
	Mode   string // "new", "next" or "edit"
	Action string
	Survey *Survey
	// Survey fields (mode "new").
	Title, Description, AudienceType, AudienceCodes string
	// Round fields.
	Stage, RoundTitle, OpensAt, ClosesAt string
	Blocks                               []builderBlock
	Problems                             []problemView // the survey or the round as a whole
	AudienceProblems                     []problemView
	TimeProblems                         []problemView
	Kinds, Stages, AudienceTypes         []string
}

func newBuilder(mode, action string) *builderForm {
	return &builderForm{Mode: mode, Action: action, AudienceType: AudienceCompounds,
		Kinds:         []string{QuestionSingle, QuestionMultiple, QuestionRating, QuestionYesNo, QuestionText},
		Stages:        []string{"", StageSurvey, StageDesign, StageSample, StageConstruction},
		AudienceTypes: []string{AudienceCompounds, AudienceBuildings, AudienceEntrances, AudienceRegion}}
}

const localLayout = "2006-01-02T15:04"

func localTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(web.Shanghai()).Format(localLayout)
}

func parseLocal(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if len(s) > len(localLayout) { // seconds from some browsers
		s = s[:len(localLayout)]
	}
	return time.ParseInLocation(localLayout, s, web.Shanghai())
}

// fillBlocks puts questions into the builder's blocks, padded with empty blocks.
func (f *builderForm) fillBlocks(qs []Question) {
	n := max(BuilderBlocks, len(qs))
	f.Blocks = make([]builderBlock, n)
	for i := range f.Blocks {
		f.Blocks[i] = builderBlock{No: i + 1, Kind: QuestionSingle, Required: true}
		if i >= len(qs) {
			continue
		}
		q := qs[i]
		b := &f.Blocks[i]
		b.ID, b.Kind, b.TextZH, b.TextEN, b.Required, b.Support, b.ReasonOnNo = q.ID, q.Kind, q.TextZH, q.TextEN, q.Required, q.Support, q.ReasonOnNo
		if q.MaxChoices > 0 {
			b.MaxChoices = strconv.Itoa(q.MaxChoices)
		}
		var lines []string
		for _, o := range q.Options {
			line := o.TextZH
			if o.TextEN != "" {
				line += " | " + o.TextEN
			}
			if o.Support {
				line = "+" + line
			}
			lines = append(lines, line)
		}
		b.Options = strings.Join(lines, "\n")
	}
}

// parseOptions reads the options of a block: one per line, a leading "+"
// marks a supporting option, "中文 | English" gives both texts.
func parseOptions(text string) []Option {
	var out []Option
	for line := range strings.SplitSeq(strings.ReplaceAll(text, "\r", ""), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		var o Option
		for _, mark := range []string{"+", "＋"} {
			if rest, ok := strings.CutPrefix(line, mark); ok {
				o.Support, line = true, strings.TrimSpace(rest)
			}
		}
		zh, en, _ := strings.Cut(line, "|")
		o.TextZH, o.TextEN = strings.TrimSpace(zh), strings.TrimSpace(en)
		out = append(out, o)
	}
	return out
}

// readRound reads the round fields and the question blocks of the form.
func (h *SurveyHandlers) readRound(r *http.Request, f *builderForm) {
	f.Stage = r.FormValue("stage")
	f.RoundTitle = strings.TrimSpace(r.FormValue("round_title"))
	f.OpensAt, f.ClosesAt = r.FormValue("opens_at"), r.FormValue("closes_at")
	n, _ := strconv.Atoi(r.FormValue("blocks"))
	n = min(max(n, 0), MaxQuestions)
	support := r.FormValue("support")
	f.Blocks = nil
	for i := 1; i <= n; i++ {
		pre := "q" + strconv.Itoa(i) + "_"
		f.Blocks = append(f.Blocks, builderBlock{No: i, ID: strings.TrimSpace(r.FormValue(pre + "id")), Kind: r.FormValue(pre + "kind"),
			TextZH: r.FormValue(pre + "text_zh"), TextEN: r.FormValue(pre + "text_en"), Options: r.FormValue(pre + "options"),
			Required: r.FormValue(pre+"required") != "", ReasonOnNo: r.FormValue(pre+"reason") != "",
			Support: support == strconv.Itoa(i), MaxChoices: strings.TrimSpace(r.FormValue(pre + "max"))})
	}
	for len(f.Blocks) < BuilderBlocks {
		f.Blocks = append(f.Blocks, builderBlock{No: len(f.Blocks) + 1, Kind: QuestionSingle, Required: true})
	}
}

// roundInput turns the round fields and blocks into a RoundInput, putting
// every problem next to its field or block; ok is false when there is any.
func (h *SurveyHandlers) roundInput(r *http.Request, f *builderForm) (RoundInput, bool) {
	in := RoundInput{Stage: f.Stage, Title: f.RoundTitle}
	ok := true
	if !slices.Contains(f.Stages, f.Stage) {
		f.Problems = append(f.Problems, h.note(r, "surveys.bad_stage"))
		ok = false
	}
	var err1, err2 error
	in.OpensAt, err1 = parseLocal(f.OpensAt)
	in.ClosesAt, err2 = parseLocal(f.ClosesAt)
	switch {
	case err1 != nil || err2 != nil:
		f.TimeProblems = append(f.TimeProblems, h.note(r, "surveys.bad_times"))
		ok = false
	case !in.ClosesAt.After(in.OpensAt):
		f.TimeProblems = append(f.TimeProblems, h.note(r, "surveys.close_after_open"))
		ok = false
	}
	// Questions, with ids assigned here so that problems find their block.
	used := map[string]bool{}
	for _, b := range f.Blocks {
		if !b.empty() && b.ID != "" {
			used[b.ID] = true
		}
	}
	byID := map[string]int{}
	var order []int
	for i := range f.Blocks {
		b := &f.Blocks[i]
		if b.empty() {
			if b.Support {
				b.Problems = append(b.Problems, h.note(r, "surveys.support_empty"))
				ok = false
			}
			continue
		}
		id := b.ID
		if id == "" {
			id = "q" + strconv.Itoa(b.No)
			for used[id] {
				id += "_"
			}
			used[id] = true
		}
		if _, dup := byID[id]; !dup {
			byID[id] = i
		}
		q := Question{ID: id, Kind: b.Kind, TextZH: b.TextZH, TextEN: b.TextEN, Required: b.Required, Support: b.Support,
			ReasonOnNo: b.ReasonOnNo && b.Kind == QuestionYesNo, Options: parseOptions(b.Options)}
		if b.MaxChoices != "" {
			m, err := strconv.Atoi(b.MaxChoices)
			if err != nil || m < 0 {
				b.Problems = append(b.Problems, h.note(r, "surveys.bad_max"))
				ok = false
			} else if b.Kind == QuestionMultiple {
				q.MaxChoices = m
			}
		}
		in.Questions = append(in.Questions, q)
		order = append(order, i)
	}
	if len(in.Questions) == 0 {
		f.Problems = append(f.Problems, h.note(r, "surveys.no_questions"))
		return in, false
	}
	qs, err := ValidateQuestions(in.Questions)
	var verr *ValidationError
	switch {
	case errors.As(err, &verr):
		for _, p := range verr.Problems {
			i, found := byID[p.Question]
			if n, perr := strconv.Atoi(strings.TrimPrefix(p.Question, "#")); !found && strings.HasPrefix(p.Question, "#") && perr == nil && n >= 1 && n <= len(order) {
				i, found = order[n-1], true
			}
			if found {
				f.Blocks[i].Problems = append(f.Blocks[i].Problems, h.questionProblem(r, p))
			} else {
				f.Problems = append(f.Problems, h.questionProblem(r, p))
			}
		}
		return in, false
	case err != nil:
		f.Problems = append(f.Problems, problemView{Text: err.Error()})
		return in, false
	}
	in.Questions = qs
	return in, ok
}

// questionProblem translates a problem of the builder by its field.
func (h *SurveyHandlers) questionProblem(r *http.Request, p Problem) problemView {
	key := "surveys.qproblem." + p.Field
	if h.rd.Catalog().Has(key) {
		return problemView{Text: h.rd.T(r, key), Detail: p.Message}
	}
	return problemView{Text: p.Message}
}

func (h *SurveyHandlers) renderBuilder(w http.ResponseWriter, r *http.Request, status int, f *builderForm) {
	if web.WantsJSON(r) && status >= 400 {
		web.JSON(w, status, map[string]any{"error": h.rd.T(r, "surveys.fix_problems"), "status": status, "form": f})
		return
	}
	p := h.rd.NewPage(r, "surveys.new", f)
	switch f.Mode {
	case "next":
		p.Title = h.rd.T(r, "surveys.add_round")
	case "edit":
		p.Title = h.rd.T(r, "surveys.edit_round")
	}
	if status >= 400 {
		p.Error = h.rd.T(r, "surveys.fix_problems")
	}
	h.rd.Render(w, status, "survey_builder", p)
}

func (h *SurveyHandlers) newForm(w http.ResponseWriter, r *http.Request) {
	f := newBuilder("new", "/surveys")
	now := h.now()
	f.OpensAt, f.ClosesAt = localTime(now), localTime(now.Add(30*24*time.Hour))
	f.Stage = StageSurvey
	f.fillBlocks(nil)
	h.renderBuilder(w, r, http.StatusOK, f)
}

// create makes a survey and its first round (a draft) from the builder.
func (h *SurveyHandlers) create(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := principalOf(r)
	f := newBuilder("new", "/surveys")
	f.Title, f.Description = strings.TrimSpace(r.FormValue("title")), strings.TrimSpace(r.FormValue("description"))
	f.AudienceType, f.AudienceCodes = r.FormValue("audience_type"), strings.TrimSpace(r.FormValue("audience_codes"))
	h.readRound(r, f)
	ok := true
	if f.Title == "" {
		f.Problems = append(f.Problems, h.note(r, "surveys.title_required"))
		ok = false
	}
	aud := Audience{Type: f.AudienceType}
	codes := strings.FieldsFunc(f.AudienceCodes, func(c rune) bool {
		return c == ',' || c == '，' || c == '、' || c == ';' || c == '；' || c == ' ' || c == '\n' || c == '\r' || c == '\t'
	})
	switch {
	case !slices.Contains(f.AudienceTypes, aud.Type):
		f.AudienceProblems = append(f.AudienceProblems, h.note(r, "surveys.bad_audience_type"))
	case len(codes) == 0:
		f.AudienceProblems = append(f.AudienceProblems, h.note(r, "surveys.audience_required"))
	case aud.Type == AudienceRegion && len(codes) != 1:
		f.AudienceProblems = append(f.AudienceProblems, h.note(r, "surveys.one_region"))
	case len(codes) > 1000:
		f.AudienceProblems = append(f.AudienceProblems, h.note(r, "surveys.too_many_places"))
	default:
		for _, c := range codes {
			id, path, _, err := h.placeByCode(ctx, aud.Type, c)
			switch {
			case errors.Is(err, ErrNotFound):
				f.AudienceProblems = append(f.AudienceProblems, h.note(r, "surveys.unknown_code", c))
			case err != nil:
				h.fail(w, r, err)
				return
			case !p.Covers(path):
				f.AudienceProblems = append(f.AudienceProblems, h.note(r, "surveys.code_outside", c))
			default:
				aud.IDs = append(aud.IDs, id)
			}
		}
	}
	if len(f.AudienceProblems) > 0 {
		ok = false
	}
	in, rok := h.roundInput(r, f)
	if !ok || !rok {
		h.renderBuilder(w, r, http.StatusBadRequest, f)
		return
	}
	sv, err := h.svc.CreateSurvey(ctx, NewSurvey{Title: f.Title, Description: f.Description, Audience: aud})
	if errors.Is(err, ErrInvalid) || errors.Is(err, ErrNotFound) {
		f.Problems = append(f.Problems, problemView{Text: err.Error()})
		h.renderBuilder(w, r, http.StatusBadRequest, f)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := h.svc.AddRound(ctx, sv.ID, in); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/surveys/%d", sv.ID), http.StatusSeeOther)
}

// nextForm offers the next round, its questions copied from the last round.
func (h *SurveyHandlers) nextForm(w http.ResponseWriter, r *http.Request) {
	sv, ok := h.staffSurvey(w, r)
	if !ok {
		return
	}
	f := newBuilder("next", fmt.Sprintf("/surveys/%d/next", sv.ID))
	f.Survey = &sv
	now := h.now()
	f.OpensAt, f.ClosesAt = localTime(now), localTime(now.Add(30*24*time.Hour))
	var qs []Question
	if n := len(sv.Rounds); n > 0 {
		last := sv.Rounds[n-1]
		qs, f.Stage = last.Questions, nextStage(last.Stage)
	}
	f.fillBlocks(qs)
	h.renderBuilder(w, r, http.StatusOK, f)
}

// nextStage follows the four rounds: survey → design → sample → construction.
func nextStage(s string) string {
	switch s {
	case StageSurvey:
		return StageDesign
	case StageDesign:
		return StageSample
	case StageSample, StageConstruction:
		return StageConstruction
	}
	return s
}

func (h *SurveyHandlers) addRound(w http.ResponseWriter, r *http.Request) {
	sv, ok := h.staffSurvey(w, r)
	if !ok {
		return
	}
	f := newBuilder("next", fmt.Sprintf("/surveys/%d/next", sv.ID))
	f.Survey = &sv
	h.readRound(r, f)
	in, ok := h.roundInput(r, f)
	if !ok {
		h.renderBuilder(w, r, http.StatusBadRequest, f)
		return
	}
	if _, err := h.svc.AddRound(r.Context(), sv.ID, in); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/surveys/%d", sv.ID), http.StatusSeeOther)
}

func (h *SurveyHandlers) editForm(w http.ResponseWriter, r *http.Request) {
	sv, rd, ok := h.staffRound(w, r)
	if !ok {
		return
	}
	if rd.Status != StatusDraft {
		h.rd.Error(w, r, http.StatusConflict, "surveys.only_draft")
		return
	}
	f := newBuilder("edit", fmt.Sprintf("/surveys/rounds/%d/edit", rd.ID))
	f.Survey = &sv
	f.Stage, f.RoundTitle, f.OpensAt, f.ClosesAt = rd.Stage, rd.Title, localTime(rd.OpensAt), localTime(rd.ClosesAt)
	f.fillBlocks(rd.Questions)
	h.renderBuilder(w, r, http.StatusOK, f)
}

func (h *SurveyHandlers) updateRound(w http.ResponseWriter, r *http.Request) {
	sv, rd, ok := h.staffRound(w, r)
	if !ok {
		return
	}
	f := newBuilder("edit", fmt.Sprintf("/surveys/rounds/%d/edit", rd.ID))
	f.Survey = &sv
	h.readRound(r, f)
	in, ok := h.roundInput(r, f)
	if !ok {
		h.renderBuilder(w, r, http.StatusBadRequest, f)
		return
	}
	if _, err := h.svc.UpdateRound(r.Context(), rd.ID, in); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/surveys/%d?round=%d", sv.ID, rd.ID), http.StatusSeeOther)
}

// ---- survey page and dashboard ----

// chartData is what static/survey.js draws.
type chartData struct {
	Questions []questionChart `json:"questions"`
	Buildings buildingChart   `json:"buildings"`
}

type questionChart struct {
	ID     string   `json:"id"`
	Title  string   `json:"title"`
	Labels []string `json:"labels"`
	Values []int64  `json:"values"`
}

type buildingChart struct {
	Names         []string  `json:"names"`
	Coverage      []float64 `json:"coverage"`
	Support       []float64 `json:"support,omitempty"`
	CoverageLabel string    `json:"coverage_label"`
	SupportLabel  string    `json:"support_label"`
}

type surveyPageData struct {
	Survey    Survey
	Audience  []string
	Round     *Round
	Stats     *SurveyStats
	Charts    *chartData
	CanManage bool
	CanEnter  bool
	CanExport bool
	// CanAddRound: no draft round waits.
	CanAddRound bool
	Open        bool
	// Means holds the mean rating of each rating question, "3.45".
	Means map[string]string
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }

func (h *SurveyHandlers) charts(r *http.Request, st SurveyStats) *chartData {
	en := web.Lang(r) == "en"
	text := func(zh, enText string) string {
		if en && enText != "" {
			return enText
		}
		return zh
	}
	c := &chartData{Questions: []questionChart{}}
	for _, q := range st.Questions {
		qc := questionChart{ID: q.Question, Title: text(q.TextZH, q.TextEN), Labels: []string{}, Values: []int64{}}
		switch {
		case len(q.Options) > 0:
			for _, o := range q.Options {
				label := text(o.TextZH, o.TextEN)
				if q.Kind == QuestionYesNo {
					label = h.rd.T(r, "surveys.answer."+o.ID)
				}
				qc.Labels, qc.Values = append(qc.Labels, label), append(qc.Values, o.Count)
			}
		case q.Kind == QuestionRating:
			for i, n := range q.Ratings {
				qc.Labels, qc.Values = append(qc.Labels, h.rd.T(r, "surveys.points", i+1)), append(qc.Values, n)
			}
		default:
			continue
		}
		c.Questions = append(c.Questions, qc)
	}
	c.Buildings = buildingChart{Names: []string{}, Coverage: []float64{}, CoverageLabel: h.rd.T(r, "surveys.coverage"), SupportLabel: h.rd.T(r, "surveys.support_by_households")}
	for _, b := range st.Buildings {
		c.Buildings.Names = append(c.Buildings.Names, b.Name)
		c.Buildings.Coverage = append(c.Buildings.Coverage, round1(b.Coverage.Percent()))
		if b.Support != nil {
			c.Buildings.Support = append(c.Buildings.Support, round1(b.Support.ByHouseholds.Percent()))
		}
	}
	return c
}

func (h *SurveyHandlers) page(w http.ResponseWriter, r *http.Request) {
	sv, ok := h.staffSurvey(w, r)
	if !ok {
		return
	}
	h.renderSurvey(w, r, http.StatusOK, sv, "")
}

func (h *SurveyHandlers) renderSurvey(w http.ResponseWriter, r *http.Request, status int, sv Survey, flash string) {
	ctx := r.Context()
	p := principalOf(r)
	d := surveyPageData{Survey: sv, CanManage: p.Can(auth.VotesManage), CanEnter: p.Can(auth.BallotsEnter), CanExport: p.Can(auth.Export), CanAddRound: true}
	var err error
	if _, d.Audience, err = h.audienceLabels(ctx, sv.Audience); err != nil {
		h.fail(w, r, err)
		return
	}
	for _, rd := range sv.Rounds {
		if rd.Status == StatusDraft {
			d.CanAddRound = false
		}
	}
	d.Round = currentRound(sv)
	if want, err := strconv.ParseInt(r.URL.Query().Get("round"), 10, 64); err == nil {
		for i := range sv.Rounds {
			if sv.Rounds[i].ID == want {
				d.Round = &sv.Rounds[i]
			}
		}
	}
	if d.Round != nil && d.Round.Status != StatusDraft {
		st, err := h.svc.Stats(ctx, d.Round.ID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		d.Stats, d.Charts = &st, h.charts(r, st)
		d.Means = map[string]string{}
		for _, q := range st.Questions {
			if q.Kind == QuestionRating && q.RatingMean.Den > 0 {
				d.Means[q.Question] = strconv.FormatFloat(float64(q.RatingMean.Num)/float64(q.RatingMean.Den), 'f', 2, 64)
			}
		}
		d.Open = d.Round.AcceptsResponses(h.now())
	}
	if web.WantsJSON(r) {
		web.JSON(w, status, d)
		return
	}
	pg := h.rd.NewPage(r, "surveys.title", d)
	pg.Title, pg.Flash = sv.Title, flash
	h.rd.Render(w, status, "survey", pg)
}

func (h *SurveyHandlers) open(w http.ResponseWriter, r *http.Request) {
	sv, rd, ok := h.staffRound(w, r)
	if !ok {
		return
	}
	if _, err := h.svc.OpenRound(r.Context(), rd.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	if sv, err := h.svc.Survey(r.Context(), sv.ID); err == nil {
		h.renderSurvey(w, r, http.StatusOK, sv, h.rd.T(r, "surveys.opened"))
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/surveys/%d", sv.ID), http.StatusSeeOther)
}

func (h *SurveyHandlers) close(w http.ResponseWriter, r *http.Request) {
	sv, rd, ok := h.staffRound(w, r)
	if !ok {
		return
	}
	if _, err := h.svc.CloseRound(r.Context(), rd.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	if sv, err := h.svc.Survey(r.Context(), sv.ID); err == nil {
		h.renderSurvey(w, r, http.StatusOK, sv, h.rd.T(r, "surveys.closed"))
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/surveys/%d", sv.ID), http.StatusSeeOther)
}

func (h *SurveyHandlers) statsAPI(w http.ResponseWriter, r *http.Request) {
	_, rd, ok := h.staffRound(w, r)
	if !ok {
		return
	}
	st, err := h.svc.Stats(r.Context(), rd.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.JSON(w, http.StatusOK, st)
}

// ---- call list and exports ----

type callsPage struct {
	Survey   Survey
	Round    Round
	Entries  []CallEntry
	CanEnter bool
}

func (h *SurveyHandlers) calls(w http.ResponseWriter, r *http.Request) {
	sv, rd, ok := h.staffRound(w, r)
	if !ok {
		return
	}
	list, err := h.svc.CallList(r.Context(), rd.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusOK, list)
		return
	}
	d := callsPage{Survey: sv, Round: rd, Entries: list, CanEnter: principalOf(r).Can(auth.BallotsEnter) && rd.AcceptsResponses(h.now())}
	pg := h.rd.NewPage(r, "surveys.calls", d)
	h.rd.Render(w, http.StatusOK, "survey_calls", pg)
}

func (h *SurveyHandlers) exportResponses(w http.ResponseWriter, r *http.Request) {
	h.export(w, r, "responses", h.svc.ExportResponses)
}

func (h *SurveyHandlers) exportStats(w http.ResponseWriter, r *http.Request) {
	h.export(w, r, "statistics", h.svc.ExportStats)
}

func (h *SurveyHandlers) export(w http.ResponseWriter, r *http.Request, what string, write func(context.Context, int64, io.Writer) error) {
	sv, rd, ok := h.staffRound(w, r)
	if !ok {
		return
	}
	var buf bytes.Buffer
	if err := write(r.Context(), rd.ID, &buf); err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", xlsxType)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="survey-%d-round-%d-%s.xlsx"`, sv.ID, rd.No, what))
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	_, _ = buf.WriteTo(w)
}

// ---- answering ----

// answerOption is one choice of a question on the answer form.
type answerOption struct {
	ID      string
	Label   string
	Checked bool
}

// answerQuestion is one question on the answer form with what is filled in.
type answerQuestion struct {
	Question Question
	Label    string
	Options  []answerOption
	Text     string
	Problems []problemView
}

// answerForm is the answer page: a resident answering for their household,
// or a community worker entering a response.
type answerForm struct {
	Survey    Survey
	Round     Round
	Open      bool
	Staff     bool
	Homes     []homeOption
	Home      *homeOption
	Current   *Response
	Questions []answerQuestion
	Problems  []problemView
	// Staff entry fields.
	Code, Channel, RespondentName, Relation, Confirmation, ConfirmedAt, Note string
	Channels, Relations                                                      []string
}

func (h *SurveyHandlers) newAnswerForm(r *http.Request, sv Survey, rd Round, staff bool) *answerForm {
	f := &answerForm{Survey: sv, Round: rd, Open: rd.AcceptsResponses(h.now()), Staff: staff,
		Channels: []string{ResponseDoor, ResponsePhone, ResponsePaper}, Relations: []string{RelationOwner, RelationTenant, RelationFamily}}
	if staff {
		f.Channel, f.Confirmation, f.ConfirmedAt = ResponseDoor, ConfirmSignature, localTime(h.now())
	}
	f.fill(r, nil)
	return f
}

// fill lays out the questions with the given answers checked.
func (f *answerForm) fill(r *http.Request, answers []Answer) {
	en := web.Lang(r) == "en"
	text := func(zh, enText string) string {
		if en && enText != "" {
			return enText
		}
		return zh
	}
	f.Questions = make([]answerQuestion, len(f.Round.Questions))
	for i, q := range f.Round.Questions {
		var a Answer
		for _, x := range answers {
			if x.Question == q.ID {
				a = x
			}
		}
		aq := answerQuestion{Question: q, Label: text(q.TextZH, q.TextEN), Text: a.Text}
		switch q.Kind {
		case QuestionRating:
			for v := MinRating; v <= MaxRating; v++ {
				aq.Options = append(aq.Options, answerOption{ID: strconv.Itoa(v), Label: strconv.Itoa(v), Checked: a.Rating == v})
			}
		default:
			for _, o := range questionOptions(q) {
				label := text(o.TextZH, o.TextEN)
				aq.Options = append(aq.Options, answerOption{ID: o.ID, Label: label, Checked: slices.Contains(a.Options, o.ID)})
			}
		}
		f.Questions[i] = aq
	}
}

// readAnswers reads the answers of the form: a_ID (repeated for multiple
// choice), a_ID_reason for the reason of a "no".
func readAnswers(r *http.Request, qs []Question) []Answer {
	var out []Answer
	for _, q := range qs {
		key := "a_" + q.ID
		a := Answer{Question: q.ID}
		switch q.Kind {
		case QuestionSingle:
			if v := strings.TrimSpace(r.FormValue(key)); v != "" {
				a.Options = []string{v}
			}
		case QuestionYesNo:
			if v := strings.TrimSpace(r.FormValue(key)); v != "" {
				a.Options = []string{v}
			}
			if len(a.Options) == 1 && a.Options[0] == AnswerNo {
				a.Text = r.FormValue(key + "_reason")
			}
		case QuestionMultiple:
			for _, v := range r.Form[key] {
				if v = strings.TrimSpace(v); v != "" {
					a.Options = append(a.Options, v)
				}
			}
		case QuestionRating:
			a.Rating, _ = strconv.Atoi(strings.TrimSpace(r.FormValue(key)))
		case QuestionText:
			a.Text = r.FormValue(key)
		}
		out = append(out, a)
	}
	return out
}

// residentHomes lists the resident's verified households in the round's audience.
func (h *SurveyHandlers) residentHomes(r *http.Request, roundID int64) ([]homeOption, error) {
	homes, err := h.homes(r.Context(), principalOf(r).UserID)
	if err != nil {
		return nil, err
	}
	var out []homeOption
	for _, hid := range homes {
		var n int
		if err := h.svc.db.Read().QueryRowContext(r.Context(), `SELECT COUNT(*) FROM survey_audience WHERE round_id = $1 AND household_id = $2`,
			roundID, hid).Scan(&n); err != nil {
			return nil, fmt.Errorf("audience: %w", err)
		}
		if n == 0 {
			continue
		}
		o, err := h.homeOption(r.Context(), hid)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// answerAccess loads the round and says whether the viewer answers as staff;
// for a resident it returns their households in the audience.
func (h *SurveyHandlers) answerAccess(w http.ResponseWriter, r *http.Request) (Survey, Round, bool, []homeOption, bool) {
	sv, rd, ok := h.roundOf(w, r)
	if !ok {
		return sv, rd, false, nil, false
	}
	p := principalOf(r)
	if p.Role != auth.RoleResident {
		if !p.Can(auth.BallotsEnter) {
			h.rd.Error(w, r, http.StatusForbidden, "error.forbidden")
			return sv, rd, false, nil, false
		}
		if err := h.staffCovers(r, sv); err != nil {
			h.fail(w, r, err)
			return sv, rd, false, nil, false
		}
		return sv, rd, true, nil, true
	}
	homes, err := h.residentHomes(r, rd.ID)
	if err != nil {
		h.fail(w, r, err)
		return sv, rd, false, nil, false
	}
	if len(homes) == 0 {
		h.rd.Error(w, r, http.StatusForbidden, "surveys.not_in_audience")
		return sv, rd, false, nil, false
	}
	return sv, rd, false, homes, true
}

// pickHome chooses the resident's household: the one named in the request,
// else the only one.
func pickHome(homes []homeOption, want string) *homeOption {
	for i := range homes {
		if strconv.FormatInt(homes[i].ID, 10) == want {
			return &homes[i]
		}
	}
	if len(homes) == 1 {
		return &homes[0]
	}
	return nil
}

func (h *SurveyHandlers) answerForm(w http.ResponseWriter, r *http.Request) {
	sv, rd, staff, homes, ok := h.answerAccess(w, r)
	if !ok {
		return
	}
	f := h.newAnswerForm(r, sv, rd, staff)
	f.Homes = homes
	var hid int64
	if staff {
		if code := strings.TrimSpace(r.URL.Query().Get("household")); code != "" {
			f.Code = code
			hid, _ = h.audienceHousehold(r.Context(), rd.ID, code)
		}
	} else if f.Home = pickHome(homes, r.URL.Query().Get("household")); f.Home != nil {
		hid = f.Home.ID
	}
	if hid != 0 {
		cur, err := h.svc.CurrentResponse(r.Context(), rd.ID, hid)
		switch {
		case err == nil:
			f.Current = &cur
			f.fill(r, cur.Answers)
			if !staff {
				f.Relation = cur.Relation
			}
		case !errors.Is(err, ErrNotFound):
			h.fail(w, r, err)
			return
		}
	}
	h.renderAnswer(w, r, http.StatusOK, f, "")
}

// audienceHousehold finds a household of the round's audience by its code.
func (h *SurveyHandlers) audienceHousehold(ctx context.Context, roundID int64, code string) (int64, error) {
	var id int64
	err := h.svc.db.Read().QueryRowContext(ctx, `SELECT household_id FROM survey_audience WHERE round_id = $1 AND household_code = $2`, roundID, code).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotInAudience
	}
	return id, err
}

func (h *SurveyHandlers) renderAnswer(w http.ResponseWriter, r *http.Request, status int, f *answerForm, flash string) {
	if web.WantsJSON(r) {
		body := map[string]any{"status": status, "survey_id": f.Survey.ID, "round_id": f.Round.ID, "open": f.Open, "current": f.Current,
			"problems": f.Problems, "questions": f.Questions}
		if status >= 400 {
			body["error"] = h.rd.T(r, "surveys.fix_problems")
		}
		web.JSON(w, status, body)
		return
	}
	p := h.rd.NewPage(r, "surveys.answer", f)
	p.Title = f.Survey.Title
	p.Flash = flash
	if status >= 400 {
		p.Error = h.rd.T(r, "surveys.fix_problems")
	}
	h.rd.Render(w, status, "survey_answer", p)
}

// answer stores a response: a resident's own (online), or one a community
// worker enters (door, phone or paper, multipart with the scan in "file").
func (h *SurveyHandlers) answer(w http.ResponseWriter, r *http.Request) {
	sv, rd, staff, homes, ok := h.answerAccess(w, r)
	if !ok {
		return
	}
	f := h.newAnswerForm(r, sv, rd, staff)
	f.Homes = homes
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		r.Body = http.MaxBytesReader(w, r.Body, MaxAttachmentBytes+2<<20)
		if err := r.ParseMultipartForm(MaxAttachmentBytes + 2<<20); err != nil {
			f.Problems = append(f.Problems, h.note(r, "surveys.bad_upload"))
			h.renderAnswer(w, r, http.StatusBadRequest, f, "")
			return
		}
		defer r.MultipartForm.RemoveAll()
	} else if err := r.ParseForm(); err != nil {
		h.rd.Error(w, r, http.StatusBadRequest, "error.bad_request", err.Error())
		return
	}
	answers := readAnswers(r, rd.Questions)
	f.fill(r, answers)
	in := ResponseInput{RoundID: rd.ID, Answers: answers, Relation: r.FormValue("relation")}
	f.Relation = in.Relation
	if staff {
		f.Code = strings.TrimSpace(r.FormValue("household_code"))
		f.Channel, f.RespondentName, f.Note = r.FormValue("channel"), strings.TrimSpace(r.FormValue("respondent_name")), strings.TrimSpace(r.FormValue("note"))
		f.Confirmation, f.ConfirmedAt = r.FormValue("confirmation"), r.FormValue("confirmed_at")
		in.Channel, in.RespondentName, in.Note = f.Channel, f.RespondentName, f.Note
		if !slices.Contains(f.Channels, in.Channel) {
			f.Problems = append(f.Problems, h.note(r, "surveys.problem.channel"))
		}
		switch in.Channel {
		case ResponseDoor:
			in.Confirmation = ConfirmSignature
		case ResponsePhone:
			in.Confirmation = f.Confirmation
			if in.Confirmation == ConfirmVerbal {
				t, err := parseLocal(f.ConfirmedAt)
				if err != nil {
					f.Problems = append(f.Problems, h.note(r, "surveys.problem.confirmed_at"))
				}
				in.ConfirmedAt = t
			}
		}
		hid, err := h.audienceHousehold(r.Context(), rd.ID, f.Code)
		switch {
		case errors.Is(err, ErrNotInAudience):
			f.Problems = append(f.Problems, h.note(r, "surveys.household_not_in_audience", f.Code))
		case err != nil:
			h.fail(w, r, err)
			return
		}
		in.HouseholdID = hid
		if file, fh, err := r.FormFile("file"); err == nil {
			att, err := h.svc.UploadAttachment(r.Context(), fh.Filename, file)
			file.Close()
			switch {
			case errors.Is(err, ErrAttachmentType) || errors.Is(err, ErrAttachmentTooLarge):
				f.Problems = append(f.Problems, problemView{Text: h.rd.T(r, "surveys.problem.attachment"), Detail: err.Error()})
			case err != nil:
				h.fail(w, r, err)
				return
			default:
				in.AttachmentID = att.ID
			}
		}
	} else {
		f.Home = pickHome(homes, r.FormValue("household"))
		if f.Home == nil {
			f.Problems = append(f.Problems, h.note(r, "surveys.choose_home"))
		} else {
			in.HouseholdID = f.Home.ID
		}
		in.Channel = ResponseOnline
	}
	if len(f.Problems) > 0 {
		h.renderAnswer(w, r, http.StatusBadRequest, f, "")
		return
	}
	resp, err := h.svc.SubmitResponse(r.Context(), in)
	var verr *ValidationError
	switch {
	case errors.As(err, &verr):
		for _, p := range verr.Problems {
			pv := h.problemOf(r, p)
			placed := false
			for i := range f.Questions {
				if p.Question != "" && f.Questions[i].Question.ID == p.Question {
					f.Questions[i].Problems = append(f.Questions[i].Problems, pv)
					placed = true
				}
			}
			if !placed {
				f.Problems = append(f.Problems, pv)
			}
		}
		h.renderAnswer(w, r, http.StatusBadRequest, f, "")
		return
	case errors.Is(err, ErrRoundNotOpen), errors.Is(err, ErrRoundClosed):
		f.Problems = append(f.Problems, h.note(r, "surveys.not_open"))
		h.renderAnswer(w, r, http.StatusConflict, f, "")
		return
	case errors.Is(err, ErrNotInAudience):
		f.Problems = append(f.Problems, h.note(r, "surveys.household_not_in_audience", f.Code))
		h.renderAnswer(w, r, http.StatusBadRequest, f, "")
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	if staff {
		done := f.Code
		f = h.newAnswerForm(r, sv, rd, true)
		h.renderAnswer(w, r, http.StatusCreated, f, h.rd.T(r, "surveys.entered", done))
		return
	}
	f.Current = &resp
	f.fill(r, resp.Answers)
	h.renderAnswer(w, r, http.StatusCreated, f, h.rd.T(r, "surveys.answered"))
}
