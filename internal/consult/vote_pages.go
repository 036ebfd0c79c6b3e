package consult

import (
	"context"
	"errors"
	"fmt"
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

// ResidentHomes returns the households a resident account is verified for.
type ResidentHomes func(ctx context.Context, userID int64) ([]int64, error)

// VoteHandlers serves the owner-vote pages: the list, the vote page with its
// quorum meter, the owner's ballot with its receipt, paper-ballot entry and the
// results.
type VoteHandlers struct {
	svc    *Service
	places *places.Store
	homes  ResidentHomes
	rd     *web.Renderer
	logger *slog.Logger
	now    func() time.Time
}

// NewVoteHandlers returns the vote pages.
func NewVoteHandlers(svc *Service, ps *places.Store, homes ResidentHomes, rd *web.Renderer, logger *slog.Logger, now func() time.Time) *VoteHandlers {
	return &VoteHandlers{svc: svc, places: ps, homes: homes, rd: rd, logger: logger, now: now}
}

// Routes lists the vote routes with the permission each needs. Residents reach
// the votes they are on the roll of through MapView; the handlers check the roll.
func (h *VoteHandlers) Routes() []web.Route {
	view := string(auth.MapView)
	return []web.Route{
		{Method: "GET", Pattern: "/votes", Perm: view, Handler: h.list},
		{Method: "GET", Pattern: "/votes/{id}", Perm: view, Handler: h.page},
		{Method: "POST", Pattern: "/votes/{id}/ballot", Perm: view, Handler: h.castOnline},
		{Method: "POST", Pattern: "/votes/{id}/paper", Perm: string(auth.BallotsEnter), Handler: h.castPaper},
		{Method: "GET", Pattern: "/votes/{id}/receipt", Perm: view, Handler: h.receipt},
		{Method: "POST", Pattern: "/votes/{id}/close", Perm: string(auth.VotesManage), Handler: h.close},
		{Method: "POST", Pattern: "/votes/{id}/consents", Perm: string(auth.BallotsEnter), Handler: h.consent},
		{Method: "GET", Pattern: "/api/v1/votes/{id}/tally", Perm: view, Handler: h.tallyAPI},
	}
}

func principalOf(r *http.Request) *auth.Principal {
	p, _ := auth.PrincipalFrom(r.Context())
	return p
}

func (h *VoteHandlers) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrNotFound), errors.Is(err, places.ErrNotFound):
		h.rd.Error(w, r, http.StatusNotFound, "error.not_found")
	case errors.Is(err, ErrNotOnRoll), errors.Is(err, ErrNotVoter):
		h.rd.Error(w, r, http.StatusForbidden, "votes.not_on_roll")
	case errors.Is(err, ErrVotingClosed), errors.Is(err, ErrNotYetOpen), errors.Is(err, ErrState), errors.Is(err, ErrTooEarly):
		h.rd.Error(w, r, http.StatusConflict, "error.bad_request", err.Error())
	case errors.Is(err, ErrInvalid), errors.Is(err, ErrBadChoice), errors.Is(err, ErrAttachmentRequired), errors.Is(err, ErrAttachmentType), errors.Is(err, ErrAttachmentTooLarge):
		h.rd.Error(w, r, http.StatusBadRequest, "error.bad_request", err.Error())
	default:
		h.logger.Error("vote request", "path", r.URL.Path, "err", err)
		h.rd.Error(w, r, http.StatusInternalServerError, "error.internal")
	}
}

// access says how the viewer may see a vote.
type access struct {
	Staff   bool  // a staff member whose area holds the vote's compound
	OwnerID int64 // the owner the resident votes as (0 for staff)
}

// allowed checks that the viewer may see vote v: staff inside the compound's
// area, or a resident verified for a household on the roll.
func (h *VoteHandlers) allowed(r *http.Request, v Vote) (access, error) {
	p := principalOf(r)
	if p.Role != auth.RoleResident {
		if !p.Can(auth.VotesRead) {
			return access{}, errForbidden
		}
		c, err := h.places.Compound(r.Context(), v.CompoundID)
		if err != nil {
			return access{}, err
		}
		if !p.Covers(c.RegionPath) {
			return access{}, errOutOfScope
		}
		return access{Staff: true}, nil
	}
	owner, err := h.residentOwner(r, v.ID)
	if err != nil {
		return access{}, err
	}
	return access{OwnerID: owner}, nil
}

var (
	errForbidden  = errors.New("forbidden")
	errOutOfScope = errors.New("out of scope")
)

// residentOwner finds the owner a resident votes as: the designated voter (else
// the first owner) of a household of theirs on the vote's roll.
func (h *VoteHandlers) residentOwner(r *http.Request, voteID int64) (int64, error) {
	p := principalOf(r)
	homes, err := h.homes(r.Context(), p.UserID)
	if err != nil {
		return 0, err
	}
	roll, err := h.svc.Roll(r.Context(), voteID)
	if err != nil {
		return 0, err
	}
	for _, e := range roll {
		if !slices.Contains(homes, e.HouseholdID) {
			continue
		}
		if len(e.VoterIDs) > 0 {
			return e.VoterIDs[0], nil
		}
		if len(e.OwnerIDs) > 0 {
			return e.OwnerIDs[0], nil
		}
	}
	return 0, ErrNotOnRoll
}

func (h *VoteHandlers) deny(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, errForbidden):
		h.rd.Error(w, r, http.StatusForbidden, "error.forbidden")
	case errors.Is(err, errOutOfScope):
		h.rd.Error(w, r, http.StatusForbidden, "error.out_of_scope")
	default:
		h.fail(w, r, err)
	}
	return true
}

func (h *VoteHandlers) vote(w http.ResponseWriter, r *http.Request) (Vote, access, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.rd.Error(w, r, http.StatusNotFound, "error.not_found")
		return Vote{}, access{}, false
	}
	v, err := h.svc.Vote(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return v, access{}, false
	}
	acc, err := h.allowed(r, v)
	if h.deny(w, r, err) {
		return v, acc, false
	}
	return v, acc, true
}

// voteRow is a vote in the list with its live participation.
type voteRow struct {
	Vote     Vote
	Compound string
	Tally    Tally
}

func (h *VoteHandlers) list(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	var votes []Vote
	var err error
	if p.Role == auth.RoleResident {
		votes, err = h.residentVotes(r)
	} else if !p.Can(auth.VotesRead) {
		h.rd.Error(w, r, http.StatusForbidden, "error.forbidden")
		return
	} else {
		votes, err = h.svc.ListVotes(r.Context(), VoteFilter{Limit: 500})
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var rows []voteRow
	names := map[int64]places.Compound{}
	for _, v := range votes {
		c, ok := names[v.CompoundID]
		if !ok {
			if c, err = h.places.Compound(r.Context(), v.CompoundID); err != nil {
				h.fail(w, r, err)
				return
			}
			names[v.CompoundID] = c
		}
		if p.Role != auth.RoleResident && !p.Covers(c.RegionPath) {
			continue
		}
		t, err := h.tallyOf(r.Context(), v)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		rows = append(rows, voteRow{Vote: v, Compound: c.Name, Tally: t})
	}
	if web.WantsJSON(r) {
		web.JSON(w, http.StatusOK, rows)
		return
	}
	h.rd.Render(w, http.StatusOK, "votes", h.rd.NewPage(r, "votes.title", rows))
}

// residentVotes lists the votes whose roll holds a household of the resident.
func (h *VoteHandlers) residentVotes(r *http.Request) ([]Vote, error) {
	homes, err := h.homes(r.Context(), principalOf(r).UserID)
	if err != nil {
		return nil, err
	}
	var out []Vote
	seen := map[int64]bool{}
	for _, hid := range homes {
		hh, _, err := h.places.Household(r.Context(), hid)
		if err != nil {
			return nil, err
		}
		b, _, err := h.places.Building(r.Context(), hh.BuildingID)
		if err != nil {
			return nil, err
		}
		vs, err := h.svc.ListVotes(r.Context(), VoteFilter{CompoundID: b.CompoundID, Limit: 200})
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			if seen[v.ID] || v.Status == StatusDraft {
				continue
			}
			roll, err := h.svc.Roll(r.Context(), v.ID)
			if err != nil {
				return nil, err
			}
			if slices.ContainsFunc(roll, func(e RollEntry) bool { return slices.Contains(homes, e.HouseholdID) }) {
				seen[v.ID] = true
				out = append(out, v)
			}
		}
	}
	return out, nil
}

// tallyOf is the live count of an open vote or the stored one of a closed vote.
func (h *VoteHandlers) tallyOf(ctx context.Context, v Vote) (Tally, error) {
	if v.Status == StatusClosed && v.Stored != nil {
		return *v.Stored, nil
	}
	if v.Status == StatusDraft {
		return Tally{}, nil
	}
	return h.svc.Tally(ctx, v.ID)
}

type votePage struct {
	Vote     Vote
	Compound places.Compound
	Tally    Tally
	Access   access
	Owner    *OwnerView
	Results  *Results
	Elevator *ElevatorStatus
	Receipt  *Receipt
	Check    *ReceiptCheck
	Open     bool
	Matters  map[string]string
}

func (h *VoteHandlers) page(w http.ResponseWriter, r *http.Request) {
	v, acc, ok := h.vote(w, r)
	if !ok {
		return
	}
	h.render(w, r, http.StatusOK, v, acc, nil, nil, "", "")
}

func (h *VoteHandlers) render(w http.ResponseWriter, r *http.Request, status int, v Vote, acc access, rec *Receipt, check *ReceiptCheck, flash, errMsg string) {
	ctx := r.Context()
	d := votePage{Vote: v, Access: acc, Receipt: rec, Check: check, Open: v.AcceptsBallots(h.now())}
	var err error
	if d.Compound, err = h.places.Compound(ctx, v.CompoundID); err != nil {
		h.fail(w, r, err)
		return
	}
	if d.Tally, err = h.tallyOf(ctx, v); err != nil {
		h.fail(w, r, err)
		return
	}
	if acc.OwnerID != 0 {
		ov, err := h.svc.OwnerBallot(ctx, v.ID, acc.OwnerID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		d.Owner = &ov
	}
	if v.Kind == KindElevator {
		es, err := h.svc.Elevator(ctx, v.ID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		d.Elevator = &es
	}
	if v.Status == StatusClosed {
		res, err := h.svc.Results(ctx, v.ID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		d.Results = &res
	}
	if web.WantsJSON(r) {
		web.JSON(w, status, d)
		return
	}
	p := h.rd.NewPage(r, "votes.title", d)
	p.Title = v.Title
	p.Flash, p.Error = flash, errMsg
	h.rd.Render(w, status, "vote", p)
}

// castOnline records a resident's own ballot and shows the receipt.
func (h *VoteHandlers) castOnline(w http.ResponseWriter, r *http.Request) {
	v, acc, ok := h.vote(w, r)
	if !ok {
		return
	}
	if acc.OwnerID == 0 {
		h.rd.Error(w, r, http.StatusForbidden, "votes.staff_use_paper")
		return
	}
	choice, err := ParseChoice(r.FormValue("choice"))
	if err != nil {
		h.render(w, r, http.StatusBadRequest, v, acc, nil, nil, "", h.rd.T(r, "votes.choose"))
		return
	}
	rec, err := h.svc.CastBallot(r.Context(), BallotInput{VoteID: v.ID, OwnerID: acc.OwnerID, Choice: choice, Channel: ChannelOnline})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusCreated, v, acc, &rec, nil, h.rd.T(r, "votes.cast_ok"), "")
}

// castPaper records a ballot a worker enters from paper or for a proxy, with the
// scan or the authorisation attached: form fields household_code, choice,
// channel (paper|proxy), note, file.
func (h *VoteHandlers) castPaper(w http.ResponseWriter, r *http.Request) {
	v, acc, ok := h.vote(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 12<<20)
	if err := r.ParseMultipartForm(12 << 20); err != nil {
		h.render(w, r, http.StatusBadRequest, v, acc, nil, nil, "", h.rd.T(r, "imports.bad_upload", err.Error()))
		return
	}
	defer r.MultipartForm.RemoveAll()
	code := strings.TrimSpace(r.FormValue("household_code"))
	var owner int64
	roll, err := h.svc.Roll(r.Context(), v.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, e := range roll {
		if e.HouseholdCode == code {
			switch {
			case len(e.VoterIDs) > 0:
				owner = e.VoterIDs[0]
			case len(e.OwnerIDs) > 0:
				owner = e.OwnerIDs[0]
			}
		}
	}
	if owner == 0 {
		h.render(w, r, http.StatusBadRequest, v, acc, nil, nil, "", h.rd.T(r, "votes.household_not_on_roll", code))
		return
	}
	choice, err := ParseChoice(r.FormValue("choice"))
	if err != nil {
		h.render(w, r, http.StatusBadRequest, v, acc, nil, nil, "", h.rd.T(r, "votes.choose"))
		return
	}
	channel := r.FormValue("channel")
	if channel != ChannelPaper && channel != ChannelProxy {
		h.render(w, r, http.StatusBadRequest, v, acc, nil, nil, "", h.rd.T(r, "votes.channel"))
		return
	}
	f, fh, err := r.FormFile("file")
	if err != nil {
		h.render(w, r, http.StatusBadRequest, v, acc, nil, nil, "", h.rd.T(r, "votes.scan_required"))
		return
	}
	defer f.Close()
	att, err := h.svc.UploadAttachment(r.Context(), fh.Filename, f)
	if errors.Is(err, ErrAttachmentType) || errors.Is(err, ErrAttachmentTooLarge) {
		h.render(w, r, http.StatusBadRequest, v, acc, nil, nil, "", err.Error())
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rec, err := h.svc.CastBallot(r.Context(), BallotInput{VoteID: v.ID, OwnerID: owner, Choice: choice, Channel: channel, AttachmentID: att.ID, Note: r.FormValue("note")})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusCreated, v, acc, &rec, nil, h.rd.T(r, "votes.paper_ok", code), "")
}

// receipt checks a receipt code: which choice it carries and whether it counts.
func (h *VoteHandlers) receipt(w http.ResponseWriter, r *http.Request) {
	v, acc, ok := h.vote(w, r)
	if !ok {
		return
	}
	check, err := h.svc.VerifyReceipt(r.Context(), v.ID, strings.TrimSpace(r.URL.Query().Get("code")))
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrInvalid) {
		h.render(w, r, http.StatusNotFound, v, acc, nil, nil, "", h.rd.T(r, "votes.receipt_unknown"))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if acc.OwnerID != 0 && check.OwnerID != acc.OwnerID {
		// A resident checks only receipts of the head they vote for.
		ov, err := h.svc.OwnerBallot(r.Context(), v.ID, acc.OwnerID)
		if err != nil || ov.UnitNo != check.UnitNo {
			h.render(w, r, http.StatusNotFound, v, acc, nil, nil, "", h.rd.T(r, "votes.receipt_unknown"))
			return
		}
	}
	h.render(w, r, http.StatusOK, v, acc, nil, &check, "", "")
}

func (h *VoteHandlers) close(w http.ResponseWriter, r *http.Request) {
	v, acc, ok := h.vote(w, r)
	if !ok {
		return
	}
	if !acc.Staff {
		h.rd.Error(w, r, http.StatusForbidden, "error.forbidden")
		return
	}
	closed, err := h.svc.CloseVote(r.Context(), v.ID)
	if errors.Is(err, ErrTooEarly) {
		h.render(w, r, http.StatusConflict, v, acc, nil, nil, "", h.rd.T(r, "votes.too_early", v.ClosesAt.In(web.Shanghai()).Format("2006-01-02 15:04")))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, closed, acc, nil, nil, h.rd.T(r, "votes.closed_ok"), "")
}

// consent records the written consent (or refusal) of a household whose
// exclusive part an elevator retrofit affects: form fields household_id,
// consent (yes|no), note, file (the signed statement).
func (h *VoteHandlers) consent(w http.ResponseWriter, r *http.Request) {
	v, acc, ok := h.vote(w, r)
	if !ok {
		return
	}
	if !acc.Staff {
		h.rd.Error(w, r, http.StatusForbidden, "error.forbidden")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 12<<20)
	if err := r.ParseMultipartForm(12 << 20); err != nil {
		h.render(w, r, http.StatusBadRequest, v, acc, nil, nil, "", h.rd.T(r, "imports.bad_upload", err.Error()))
		return
	}
	defer r.MultipartForm.RemoveAll()
	hid, err := strconv.ParseInt(r.FormValue("household_id"), 10, 64)
	if err != nil {
		h.render(w, r, http.StatusBadRequest, v, acc, nil, nil, "", h.rd.T(r, "votes.household_not_on_roll", r.FormValue("household_id")))
		return
	}
	f, fh, err := r.FormFile("file")
	if err != nil {
		h.render(w, r, http.StatusBadRequest, v, acc, nil, nil, "", h.rd.T(r, "votes.scan_required"))
		return
	}
	defer f.Close()
	att, err := h.svc.UploadAttachment(r.Context(), fh.Filename, f)
	if err == nil {
		err = h.svc.RecordConsent(r.Context(), v.ID, hid, r.FormValue("consent") == "yes", att.ID, r.FormValue("note"))
	}
	switch {
	case errors.Is(err, ErrInvalid), errors.Is(err, ErrAttachmentType), errors.Is(err, ErrAttachmentTooLarge), errors.Is(err, ErrNotFound):
		h.render(w, r, http.StatusBadRequest, v, acc, nil, nil, "", err.Error())
	case err != nil:
		h.fail(w, r, err)
	default:
		h.render(w, r, http.StatusOK, v, acc, nil, nil, h.rd.T(r, "votes.consent_ok"), "")
	}
}

func (h *VoteHandlers) tallyAPI(w http.ResponseWriter, r *http.Request) {
	v, _, ok := h.vote(w, r)
	if !ok {
		return
	}
	t, err := h.tallyOf(r.Context(), v)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.JSON(w, http.StatusOK, map[string]any{"vote_id": v.ID, "status": v.Status, "tally": t})
}

// Messages returns the display names of the nine matters for the web
// catalogue, keyed "matter.N".
func Messages() map[string][2]string {
	m := map[string][2]string{}
	for _, mt := range Matters() {
		m[fmt.Sprintf("matter.%d", int(mt))] = [2]string{mt.Title(), mt.TitleEN()}
	}
	return m
}
