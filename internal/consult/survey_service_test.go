package consult

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
	"github.com/gengxin/gengxin/internal/pii"
	"github.com/gengxin/gengxin/internal/places"
)

type surveyFixture struct {
	svc   *SurveyService
	clock *testClock
	log   *audit.Log
	db    *db.DB
	ctx   context.Context
	scan  int64
}

// newSurveyFixture loads the compound of loadFixture (twelve households, see
// there), gives owner A the phone 13800001111, and uploads one scan.
func newSurveyFixture(t *testing.T, d *db.DB) *surveyFixture {
	t.Helper()
	clk := &testClock{t: t0}
	log := audit.New(d, clk.Now)
	loadFixture(t, d, log)
	box, err := pii.New(make([]byte, 64))
	if err != nil {
		t.Fatal(err)
	}
	phone, err := box.Seal("13800001111")
	if err != nil {
		t.Fatal(err)
	}
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: audit.ActorUser, ID: 7, Name: "worker1"})
	if _, err := d.Write().ExecContext(ctx, `UPDATE owners SET phone_enc = $1 WHERE id = 1`, phone); err != nil {
		t.Fatal(err)
	}
	f := &surveyFixture{svc: NewSurveyService(d, log, box, clk.Now), clock: clk, log: log, db: d, ctx: ctx}
	a, err := f.svc.UploadAttachment(ctx, "签字.pdf", bytes.NewReader(demoScan))
	if err != nil {
		t.Fatal(err)
	}
	f.scan = a.ID
	return f
}

// supportQuestions is a round with a required yes/no support question (reason
// required on "no"), an optional rating and an optional multiple choice.
func supportQuestions() []Question {
	return []Question{
		{ID: "support", Kind: QuestionYesNo, TextZH: "是否同意改造？", Required: true, Support: true, ReasonOnNo: true},
		{ID: "score", Kind: QuestionRating, TextZH: "满意度"},
		{ID: "items", Kind: QuestionMultiple, TextZH: "改造内容", Options: []Option{{ID: "lift", TextZH: "电梯"}, {ID: "roof", TextZH: "屋面"}}},
	}
}

// openRound creates a compound survey with one open round of qs.
func (f *surveyFixture) openRound(t *testing.T, qs []Question) (Survey, Round) {
	t.Helper()
	sv, err := f.svc.CreateSurvey(f.ctx, NewSurvey{Title: "改造意愿", Audience: Audience{Type: AudienceCompounds, IDs: []int64{fxCompound}}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.svc.AddRound(f.ctx, sv.ID, RoundInput{Stage: StageSurvey, Questions: qs, OpensAt: t0, ClosesAt: t0.Add(72 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if r, err = f.svc.OpenRound(f.ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	return sv, r
}

func yes() []Answer { return []Answer{{Question: "support", Options: []string{AnswerYes}}} }

func no(reason string) []Answer {
	return []Answer{{Question: "support", Options: []string{AnswerNo}, Text: reason}}
}

func (f *surveyFixture) respond(t *testing.T, in ResponseInput) Response {
	t.Helper()
	if in.Relation == "" {
		in.Relation = RelationOwner
	}
	if in.Channel == "" {
		in.Channel = ResponseOnline
	}
	r, err := f.svc.SubmitResponse(f.ctx, in)
	if err != nil {
		t.Fatalf("household %d: %v", in.HouseholdID, err)
	}
	return r
}

func TestSurveyLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newSurveyFixture(t, d)
		ctx := f.ctx
		if _, err := f.svc.CreateSurvey(ctx, NewSurvey{Title: "x", Audience: Audience{Type: AudienceRegion, IDs: []int64{1, 2}}}); !errors.Is(err, ErrInvalid) {
			t.Errorf("two regions: %v", err)
		}
		if _, err := f.svc.CreateSurvey(ctx, NewSurvey{Title: "x", Audience: Audience{Type: AudienceBuildings, IDs: []int64{77}}}); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown building: %v", err)
		}
		if _, err := f.svc.CreateSurvey(ctx, NewSurvey{Title: " ", Audience: Audience{Type: AudienceRegion, IDs: []int64{1}}}); !errors.Is(err, ErrInvalid) {
			t.Errorf("empty title: %v", err)
		}
		sv, err := f.svc.CreateSurvey(ctx, NewSurvey{Title: "电梯意愿", Audience: Audience{Type: AudienceRegion, IDs: []int64{1}}, ProjectID: 5})
		if err != nil {
			t.Fatal(err)
		}
		if sv.ProjectID != 5 || sv.CreatedBy != "worker1" || len(sv.Rounds) != 0 {
			t.Errorf("created %+v", sv)
		}
		r1, err := f.svc.AddRound(ctx, sv.ID, RoundInput{Stage: StageSurvey, OpensAt: t0.Add(time.Hour), ClosesAt: t0.Add(48 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if r1.No != 1 || r1.Title != "第1轮" || r1.Status != StatusDraft {
			t.Errorf("round 1 = %+v", r1)
		}
		if _, err := f.svc.OpenRound(ctx, r1.ID); !errors.Is(err, ErrInvalid) {
			t.Errorf("opening a round without questions: %v", err)
		}
		if _, err := f.svc.UpdateRound(ctx, r1.ID, RoundInput{Stage: "vote", OpensAt: t0, ClosesAt: t0.Add(time.Hour)}); !errors.Is(err, ErrInvalid) {
			t.Errorf("unknown stage: %v", err)
		}
		if _, err := f.svc.UpdateRound(ctx, r1.ID, RoundInput{Questions: []Question{{ID: "q", Kind: "slider", TextZH: "?"}}, OpensAt: t0, ClosesAt: t0.Add(time.Hour)}); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad question: %v", err)
		}
		if r1, err = f.svc.UpdateRound(ctx, r1.ID, RoundInput{Stage: StageSurvey, Title: "意愿", Questions: supportQuestions(),
			OpensAt: t0.Add(time.Hour), ClosesAt: t0.Add(48 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if r1, err = f.svc.OpenRound(ctx, r1.ID); err != nil {
			t.Fatal(err)
		}
		if r1.Status != StatusOpen || r1.Households != 12 || r1.Title != "意愿" {
			t.Errorf("opened %+v", r1)
		}
		if _, err := f.svc.UpdateRound(ctx, r1.ID, RoundInput{Questions: supportQuestions(), OpensAt: t0, ClosesAt: t0.Add(time.Hour)}); !errors.Is(err, ErrState) {
			t.Errorf("editing an open round: %v", err)
		}
		// Before the opening time.
		if _, err := f.svc.SubmitResponse(ctx, ResponseInput{RoundID: r1.ID, HouseholdID: 101, Channel: ResponseOnline, Relation: RelationOwner, Answers: yes()}); !errors.Is(err, ErrRoundNotOpen) {
			t.Errorf("response before opening: %v", err)
		}
		f.clock.Set(t0.Add(2 * time.Hour))
		f.respond(t, ResponseInput{RoundID: r1.ID, HouseholdID: 101, Answers: yes()})
		if _, err := f.svc.SubmitResponse(ctx, ResponseInput{RoundID: r1.ID, HouseholdID: 4242, Channel: ResponseOnline, Relation: RelationOwner, Answers: yes()}); !errors.Is(err, ErrNotInAudience) {
			t.Errorf("household outside the audience: %v", err)
		}
		r2, err := f.svc.AddRound(ctx, sv.ID, RoundInput{Stage: StageDesign, Questions: supportQuestions(), OpensAt: t0, ClosesAt: t0.Add(96 * time.Hour)})
		if err != nil || r2.No != 2 {
			t.Fatalf("round 2 = %+v, %v", r2, err)
		}
		if _, err := f.svc.OpenRound(ctx, r2.ID); !errors.Is(err, ErrState) {
			t.Errorf("second open round: %v", err)
		}
		homes, err := f.svc.RoundsForHousehold(ctx, 101)
		if err != nil || len(homes) != 1 || !homes[0].Answered || homes[0].Survey.ID != sv.ID {
			t.Errorf("rounds of household 101: %+v %v", homes, err)
		}
		if homes, _ := f.svc.RoundsForHousehold(ctx, 102); len(homes) != 1 || homes[0].Answered {
			t.Errorf("rounds of household 102: %+v", homes)
		}
		if r1, err = f.svc.CloseRound(ctx, r1.ID); err != nil || r1.Status != StatusClosed || r1.ClosedAt.IsZero() {
			t.Fatalf("closed %+v %v", r1, err)
		}
		if _, err := f.svc.SubmitResponse(ctx, ResponseInput{RoundID: r1.ID, HouseholdID: 102, Channel: ResponseOnline, Relation: RelationOwner, Answers: yes()}); !errors.Is(err, ErrRoundClosed) {
			t.Errorf("response after closing: %v", err)
		}
		if _, err := f.svc.OpenRound(ctx, r2.ID); err != nil {
			t.Errorf("round 2 after round 1 closed: %v", err)
		}
		list, err := f.svc.ListSurveys(ctx, SurveyFilter{ProjectID: 5, Status: StatusOpen})
		if err != nil || len(list) != 1 || len(list[0].Rounds) != 2 {
			t.Errorf("list = %+v %v", list, err)
		}
		entries, _, err := f.log.List(ctx, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		actions := map[string]int{}
		for _, e := range entries {
			actions[e.Action]++
		}
		for _, a := range []string{"survey.create", "survey.round.add", "survey.round.update", "survey.round.open", "survey.round.close", "survey.response"} {
			if actions[a] == 0 {
				t.Errorf("no audit entry %s in %v", a, actions)
			}
		}
	})
}

func TestSurveyResponseChannels(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newSurveyFixture(t, d)
		_, r := f.openRound(t, supportQuestions())
		f.clock.Set(t0.Add(time.Hour))
		base := ResponseInput{RoundID: r.ID, HouseholdID: 101, Answers: yes(), Relation: RelationOwner, RespondentName: "王女士"}
		tests := []struct {
			name string
			edit func(*ResponseInput)
			want string // fragment of the error; "" means accepted
		}{
			{"online", func(in *ResponseInput) { in.Channel, in.RespondentName = ResponseOnline, "" }, ""},
			{"online without relation", func(in *ResponseInput) { in.Channel, in.Relation = ResponseOnline, "" }, "relation: say who answered"},
			{"online with a confirmation", func(in *ResponseInput) { in.Channel, in.Confirmation = ResponseOnline, ConfirmVerbal }, "an online response needs no confirmation"},
			{"door with signature scan", func(in *ResponseInput) {
				in.Channel, in.Confirmation, in.AttachmentID, in.Relation = ResponseDoor, ConfirmSignature, f.scan, RelationTenant
			}, ""},
			{"door without scan", func(in *ResponseInput) { in.Channel, in.Confirmation = ResponseDoor, ConfirmSignature }, "needs the scan of the respondent's signature"},
			{"door verbal", func(in *ResponseInput) { in.Channel, in.Confirmation = ResponseDoor, ConfirmVerbal }, "confirmed by signature"},
			{"door without name", func(in *ResponseInput) {
				in.Channel, in.Confirmation, in.AttachmentID, in.RespondentName = ResponseDoor, ConfirmSignature, f.scan, ""
			}, "the respondent's name is required"},
			{"phone verbal with time", func(in *ResponseInput) {
				in.Channel, in.Confirmation, in.ConfirmedAt = ResponsePhone, ConfirmVerbal, t0.Add(50*time.Minute)
			}, ""},
			{"phone verbal without time", func(in *ResponseInput) { in.Channel, in.Confirmation = ResponsePhone, ConfirmVerbal }, "needs the time the respondent confirmed"},
			{"phone verbal in the future", func(in *ResponseInput) {
				in.Channel, in.Confirmation, in.ConfirmedAt = ResponsePhone, ConfirmVerbal, t0.Add(3*time.Hour)
			}, "is in the future"},
			{"phone without confirmation", func(in *ResponseInput) { in.Channel = ResponsePhone }, "needs the respondent's confirmation"},
			{"paper with scan", func(in *ResponseInput) { in.Channel, in.AttachmentID = ResponsePaper, f.scan }, ""},
			{"paper without scan", func(in *ResponseInput) { in.Channel = ResponsePaper }, "a paper response needs the scan of the form"},
			{"paper with a missing scan", func(in *ResponseInput) { in.Channel, in.AttachmentID = ResponsePaper, 9999 }, "attachment 9999 does not exist"},
			{"unknown channel", func(in *ResponseInput) { in.Channel = "wechat" }, `channel "wechat" is not online`},
			{"bad relation", func(in *ResponseInput) { in.Channel, in.Relation = ResponseOnline, "neighbour" }, `relation "neighbour"`},
			{"answer problems reported with channel problems", func(in *ResponseInput) { in.Channel, in.Answers = ResponsePaper, no("") }, `a reason is required when the answer is "no"`},
		}
		accepted := 0
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				in := base
				tc.edit(&in)
				resp, err := f.svc.SubmitResponse(f.ctx, in)
				if tc.want == "" {
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					accepted++
					if resp.Channel != in.Channel || resp.Relation != in.Relation || !resp.Current || resp.EnteredBy != "worker1" || resp.AttachmentID != in.AttachmentID {
						t.Errorf("stored %+v", resp)
					}
					return
				}
				var verr *ValidationError
				if !errors.As(err, &verr) || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v, want a validation error containing %q", err, tc.want)
				}
			})
		}
		hist, err := f.svc.ResponseHistory(f.ctx, r.ID, 101)
		if err != nil || len(hist) != accepted {
			t.Fatalf("history of %d, want %d: %v", len(hist), accepted, err)
		}
		// The phone response kept its confirmation time; the audit entries hold no name.
		for _, h := range hist {
			if h.Channel == ResponsePhone && !h.ConfirmedAt.Equal(t0.Add(50*time.Minute)) {
				t.Errorf("phone confirmation at %v", h.ConfirmedAt)
			}
		}
		entries, _, err := f.log.List(f.ctx, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Action == "survey.response" && (strings.Contains(string(e.After), "王女士") || strings.Contains(string(e.After), "answers\":[")) {
				t.Errorf("audit entry holds personal data: %s", e.After)
			}
		}
	})
}

func TestSurveyLatestResponseCounts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newSurveyFixture(t, d)
		_, r := f.openRound(t, supportQuestions())
		f.clock.Set(t0.Add(time.Hour))
		first := f.respond(t, ResponseInput{RoundID: r.ID, HouseholdID: 301, Answers: yes()})
		f.clock.Set(t0.Add(2 * time.Hour))
		second := f.respond(t, ResponseInput{RoundID: r.ID, HouseholdID: 301, Answers: no("费用太高")})
		cur, err := f.svc.CurrentResponse(f.ctx, r.ID, 301)
		if err != nil || cur.ID != second.ID || !cur.Current {
			t.Fatalf("current = %+v %v", cur, err)
		}
		hist, err := f.svc.ResponseHistory(f.ctx, r.ID, 301)
		if err != nil || len(hist) != 2 || hist[0].ID != first.ID || hist[0].Current || !hist[1].Current || hist[0].Seq >= hist[1].Seq {
			t.Fatalf("history = %+v %v", hist, err)
		}
		if a, _ := hist[0].Answer("support"); a.Options[0] != AnswerYes {
			t.Errorf("the earlier answer changed: %+v", hist[0])
		}
		st, err := f.svc.Stats(f.ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.Responded != 1 || st.Support.SupportHouseholds != 0 || st.Support.RespondentHouseholds != 1 {
			t.Errorf("only the latest response counts: %+v", st.Support)
		}
		all, err := f.svc.Responses(f.ctx, r.ID)
		if err != nil || len(all) != 1 || all[0].ID != second.ID {
			t.Errorf("responses = %+v %v", all, err)
		}
		if _, err := f.svc.CurrentResponse(f.ctx, r.ID, 302); !errors.Is(err, ErrNotFound) {
			t.Errorf("household without response: %v", err)
		}
	})
}

// TestSurveyStats answers the round for six of the twelve households of the
// fixture (areas in dm²):
//
//	h101 10000 registered   yes  owner   online
//	h102  9000 surveyed     yes  tenant  door
//	h103  8000 contract     yes  family  phone
//	h104 11000 registered   no   owner   paper
//	h203     0 unknown      yes  tenant  online
//	h301 12000 registered   yes, then no (latest counts)  owner online
//
// The audience holds 101000 dm²; the six respondents 50000, the supporters 27000.
func TestSurveyStats(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newSurveyFixture(t, d)
		_, r := f.openRound(t, supportQuestions())
		f.clock.Set(t0.Add(time.Hour))
		score := func(n int) Answer { return Answer{Question: "score", Rating: n} }
		f.respond(t, ResponseInput{RoundID: r.ID, HouseholdID: 101, Answers: append(yes(), score(5), Answer{Question: "items", Options: []string{"lift", "roof"}})})
		f.respond(t, ResponseInput{RoundID: r.ID, HouseholdID: 102, Answers: append(yes(), score(4), Answer{Question: "items", Options: []string{"lift"}}),
			Channel: ResponseDoor, Relation: RelationTenant, RespondentName: "李先生", Confirmation: ConfirmSignature, AttachmentID: f.scan})
		f.respond(t, ResponseInput{RoundID: r.ID, HouseholdID: 103, Answers: append(yes(), score(4)),
			Channel: ResponsePhone, Relation: RelationFamily, RespondentName: "赵女士", Confirmation: ConfirmVerbal, ConfirmedAt: t0.Add(time.Hour)})
		f.respond(t, ResponseInput{RoundID: r.ID, HouseholdID: 104, Answers: append(no("担心噪音"), score(1)),
			Channel: ResponsePaper, RespondentName: "E", AttachmentID: f.scan})
		f.respond(t, ResponseInput{RoundID: r.ID, HouseholdID: 203, Answers: yes(), Relation: RelationTenant})
		f.respond(t, ResponseInput{RoundID: r.ID, HouseholdID: 301, Answers: yes()})
		f.respond(t, ResponseInput{RoundID: r.ID, HouseholdID: 301, Answers: no("不需要")})

		st, err := f.svc.Stats(f.ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.Households != 12 || st.Responded != 6 || st.Coverage != (Ratio{6, 12}) || st.SupportQuestion != "support" {
			t.Fatalf("coverage %d/%d %+v", st.Responded, st.Households, st.Coverage)
		}
		want := SupportFigures{AudienceHouseholds: 12, AudienceAreaDM2: 101000, RespondentHouseholds: 6, RespondentAreaDM2: 50000,
			SupportHouseholds: 4, SupportAreaDM2: 27000, ByHouseholds: Ratio{4, 6}, ByArea: Ratio{27000, 50000},
			OfAudienceHouseholds: Ratio{4, 12}, OfAudienceArea: Ratio{27000, 101000}}
		if *st.Support != want {
			t.Errorf("support\n got %+v\nwant %+v", *st.Support, want)
		}
		if !st.Support.ByHouseholds.AtLeast(2, 3) || st.Support.ByArea.AtLeast(2, 3) {
			t.Errorf("4/6 is at least 2/3, 27000/50000 is not")
		}
		type grp struct {
			name                      string
			households, responded     int64
			supportHH, supportArea    int64
			respondentHH, respondArea int64
		}
		check := func(kind string, got []GroupStats, want []grp) {
			t.Helper()
			if len(got) != len(want) {
				t.Fatalf("%s: %d groups, want %d: %+v", kind, len(got), len(want), got)
			}
			for i, w := range want {
				g := got[i]
				if g.Name != w.name || g.Households != w.households || g.Responded != w.responded || g.Coverage != (Ratio{w.responded, w.households}) {
					t.Errorf("%s %d: %+v, want %+v", kind, i, g, w)
					continue
				}
				if w.supportHH >= 0 && (g.Support == nil || g.Support.SupportHouseholds != w.supportHH || g.Support.SupportAreaDM2 != w.supportArea ||
					g.Support.RespondentHouseholds != w.respondentHH || g.Support.RespondentAreaDM2 != w.respondArea ||
					g.Support.ByArea != (Ratio{w.supportArea, w.respondArea})) {
					t.Errorf("%s %s support %+v, want %+v", kind, w.name, g.Support, w)
				}
			}
		}
		check("building", st.Buildings, []grp{{"1幢", 10, 5, 4, 27000, 5, 38000}, {"2幢", 2, 1, 0, 0, 1, 12000}})
		check("entrance", st.Entrances, []grp{{"1幢1单元", 7, 4, 3, 27000, 4, 38000}, {"1幢2单元", 3, 1, 1, 0, 1, 0}, {"2幢1单元", 2, 1, 0, 0, 1, 12000}})
		check("floor", st.Floors, []grp{{"1层", 3, 2, -1, 0, 0, 0}, {"2层", 3, 1, -1, 0, 0, 0}, {"3层", 2, 2, -1, 0, 0, 0},
			{"4层", 1, 1, -1, 0, 0, 0}, {"5层", 1, 0, -1, 0, 0, 0}, {"6层", 2, 0, -1, 0, 0, 0}})
		rel := map[string]int64{}
		for _, x := range st.Relations {
			rel[x.Relation] = x.Responded
			if x.Coverage.Den != 12 {
				t.Errorf("relation coverage %+v", x)
			}
		}
		if rel[RelationOwner] != 3 || rel[RelationTenant] != 2 || rel[RelationFamily] != 1 {
			t.Errorf("relations %v", rel)
		}
		ch := map[string]int64{}
		for _, x := range st.Channels {
			ch[x.Channel] = x.Responses
		}
		if ch[ResponseOnline] != 3 || ch[ResponseDoor] != 1 || ch[ResponsePhone] != 1 || ch[ResponsePaper] != 1 {
			t.Errorf("channels %v", ch)
		}
		sq, score0, items := st.Questions[0], st.Questions[1], st.Questions[2]
		if sq.Answered != 6 || sq.Options[0].ID != AnswerYes || sq.Options[0].Count != 4 || sq.Options[1].Count != 2 || sq.Reasons != 2 || !sq.Options[0].Support {
			t.Errorf("support question %+v", sq)
		}
		if score0.Answered != 4 || len(score0.Ratings) != 5 || score0.Ratings[0] != 1 || score0.Ratings[3] != 2 || score0.Ratings[4] != 1 || score0.RatingMean != (Ratio{14, 4}) {
			t.Errorf("rating %+v", score0)
		}
		if items.Answered != 2 || items.Options[0].Count != 2 || items.Options[1].Count != 1 || items.Options[1].Share != (Ratio{1, 2}) {
			t.Errorf("multiple choice %+v", items)
		}

		calls, err := f.svc.CallList(f.ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range calls {
			got = append(got, c.HouseholdCode+":"+c.EntranceName+":"+strings.Join(c.OwnerNames, "+")+":"+strings.Join(c.Phones, "+"))
		}
		wantCalls := "H105:1单元:X 置业:|H106:1单元:X 置业:|H107:1单元::|H201:2单元:A:138****1111|H202:2单元:E+F:|H302:1单元:I:"
		if strings.Join(got, "|") != wantCalls {
			t.Errorf("call list\n got %s\nwant %s", strings.Join(got, "|"), wantCalls)
		}
	})
}

func TestSurveyStatsWithoutSupportQuestionAndRegionAudience(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newSurveyFixture(t, d)
		sv, err := f.svc.CreateSurvey(f.ctx, NewSurvey{Title: "楼栋", Audience: Audience{Type: AudienceEntrances, IDs: []int64{3, 2, 3}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(sv.Audience.IDs) != 2 || sv.Audience.IDs[0] != 2 {
			t.Errorf("audience %+v", sv.Audience)
		}
		r, err := f.svc.AddRound(f.ctx, sv.ID, RoundInput{Questions: []Question{{ID: "t", Kind: QuestionText, TextZH: "意见"}}, OpensAt: t0, ClosesAt: t0.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if r, err = f.svc.OpenRound(f.ctx, r.ID); err != nil || r.Households != 5 {
			t.Fatalf("entrances 2 and 3 hold 5 households: %+v %v", r, err)
		}
		f.respond(t, ResponseInput{RoundID: r.ID, HouseholdID: 202, Answers: []Answer{{Question: "t", Text: "无"}}})
		st, err := f.svc.Stats(f.ctx, r.ID)
		if err != nil || st.Support != nil || st.Buildings[0].Support != nil || st.Questions[0].Answered != 1 || st.Responded != 1 {
			t.Errorf("stats without support question %+v %v", st, err)
		}
		reg, err := f.svc.CreateSurvey(f.ctx, NewSurvey{Title: "全区", Audience: Audience{Type: AudienceRegion, IDs: []int64{1}}})
		if err != nil {
			t.Fatal(err)
		}
		r2, err := f.svc.AddRound(f.ctx, reg.ID, RoundInput{Questions: supportQuestions(), OpensAt: t0, ClosesAt: t0.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if r2, err = f.svc.OpenRound(f.ctx, r2.ID); err != nil || r2.Households != 12 {
			t.Errorf("region audience: %+v %v", r2, err)
		}
		if _, err := f.svc.Stats(f.ctx, 9999); !errors.Is(err, ErrNotFound) {
			t.Errorf("stats of a missing round: %v", err)
		}
	})
}

func TestSurveyExcel(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newSurveyFixture(t, d)
		_, r := f.openRound(t, supportQuestions())
		f.clock.Set(t0.Add(time.Hour))
		f.respond(t, ResponseInput{RoundID: r.ID, HouseholdID: 101, Answers: append(yes(), Answer{Question: "items", Options: []string{"lift", "roof"}})})
		f.respond(t, ResponseInput{RoundID: r.ID, HouseholdID: 104, Answers: no("担心噪音"), Channel: ResponsePaper, RespondentName: "E", AttachmentID: f.scan})
		var buf bytes.Buffer
		if err := f.svc.ExportResponses(f.ctx, r.ID, &buf); err != nil {
			t.Fatal(err)
		}
		x, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := x.GetRows("答卷")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 13 {
			t.Fatalf("%d rows, want a header and 12 households", len(rows))
		}
		byCode := map[string][]string{}
		for _, row := range rows[1:] {
			byCode[row[0]] = row
		}
		h101, h104 := byCode["H101"], byCode["H104"]
		last := len(rows[0]) - 1
		if rows[0][last] != "items 改造内容" || h101[6] != "是" || h101[7] != "线上" || h101[last] != "电梯；屋面" {
			t.Errorf("header %v, H101 %v", rows[0], h101)
		}
		if h104[7] != "纸质" || h104[last-2] != "否（理由：担心噪音）" {
			t.Errorf("H104 %v", h104)
		}
		if byCode["H302"][6] != "否" {
			t.Errorf("H302 %v", byCode["H302"])
		}
		x.Close()

		buf.Reset()
		if err := f.svc.ExportStats(f.ctx, r.ID, &buf); err != nil {
			t.Fatal(err)
		}
		x, err = excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		if got := x.GetSheetList(); strings.Join(got, ",") != "概况,楼栋,单元,楼层,答题分布" {
			t.Errorf("sheets %v", got)
		}
		sum, _ := x.GetRows("概况")
		found := false
		for _, row := range sum {
			if row[0] == "支持率(户，按答复户)" && row[1] == "1" && row[2] == "2" && row[3] == "50" {
				found = true
			}
		}
		if !found {
			t.Errorf("summary %v", sum)
		}
		if err := f.svc.ExportStats(f.ctx, 4242, &buf); !errors.Is(err, ErrNotFound) {
			t.Errorf("export of a missing round: %v", err)
		}
	})
}

func TestSurveyConcurrentResponses(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newSurveyFixture(t, d)
		_, r := f.openRound(t, supportQuestions())
		f.clock.Set(t0.Add(time.Hour))
		const n = 16
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				a := yes()
				if i%2 == 1 {
					a = no("再考虑")
				}
				_, err := f.svc.SubmitResponse(f.ctx, ResponseInput{RoundID: r.ID, HouseholdID: 101 + int64(i%2), Channel: ResponseOnline, Relation: RelationOwner, Answers: a})
				errs <- err
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("concurrent response: %v", err)
			}
		}
		for _, h := range []int64{101, 102} {
			var all, current int64
			if err := d.Read().QueryRowContext(f.ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN is_current THEN 1 ELSE 0 END), 0) FROM survey_responses
				WHERE round_id = $1 AND household_id = $2`, r.ID, h).Scan(&all, &current); err != nil {
				t.Fatal(err)
			}
			if all != n/2 || current != 1 {
				t.Errorf("household %d: %d responses, %d current; want %d and 1", h, all, current, n/2)
			}
			hist, err := f.svc.ResponseHistory(f.ctx, r.ID, h)
			if err != nil || !hist[len(hist)-1].Current {
				t.Errorf("the newest response of household %d is not the current one: %v", h, err)
			}
		}
		st, err := f.svc.Stats(f.ctx, r.ID)
		if err != nil || st.Responded != 2 || st.Support.SupportHouseholds != 1 {
			t.Errorf("stats after concurrent responses: %+v %v", st.Support, err)
		}
		rd, _ := f.svc.Round(f.ctx, r.ID)
		if rd.Submissions != n {
			t.Errorf("submissions %d, want %d", rd.Submissions, n)
		}
	})
}

func TestSeedDemoSurveys(t *testing.T) {
	ds, resident := residentCompound(t)
	now := time.Date(2026, 5, 4, 1, 0, 0, 0, time.UTC)
	var first []int64
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clock := func() time.Time { return now }
		log := audit.New(d, clock)
		box, err := pii.New(make([]byte, 64))
		if err != nil {
			t.Fatal(err)
		}
		ctx := audit.WithActor(context.Background(), audit.System("demo"))
		if err := places.NewStore(d, box, log, clock).Load(ctx, ds, audit.Change{Action: "test.load", ObjectType: "dataset", ObjectID: "demo"}); err != nil {
			t.Fatal(err)
		}
		svc := NewSurveyService(d, log, box, clock)
		sum, err := SeedDemoSurveys(ctx, svc, DemoSurveyOptions{HouseholdID: resident, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		closed, err := svc.Stats(ctx, sum.ClosedRound)
		if err != nil {
			t.Fatal(err)
		}
		n := closed.Households
		if closed.Round.Status != StatusClosed || n != int64(len(ds.Households)) {
			t.Fatalf("closed round %+v of %d households", closed.Round, n)
		}
		if closed.Responded != int64(pctOf(int(n), 80)) || closed.Support.SupportHouseholds != int64(pctOf(int(closed.Responded), 70)) {
			t.Errorf("closed round: %d of %d responded, %d support", closed.Responded, n, closed.Support.SupportHouseholds)
		}
		open, err := svc.Stats(ctx, sum.OpenRound)
		if err != nil {
			t.Fatal(err)
		}
		if open.Round.Status != StatusOpen || !open.Round.AcceptsResponses(now) || open.Responded != int64(pctOf(int(n), 40)) {
			t.Errorf("open round: %+v, %d responded", open.Round, open.Responded)
		}
		t.Logf("closed round: %d/%d households, support %.1f %% by households, %.1f %% by area; open round: %d responded",
			closed.Responded, n, closed.Support.ByHouseholds.Percent(), closed.Support.ByArea.Percent(), open.Responded)
		for _, c := range open.Channels {
			if c.Responses == 0 {
				t.Errorf("no demo response through %s", c.Channel)
			}
		}
		homes, err := svc.RoundsForHousehold(ctx, resident)
		if err != nil || len(homes) != 1 || homes[0].Round.ID != sum.OpenRound || homes[0].Answered {
			t.Errorf("the resident's open rounds: %+v %v", homes, err)
		}
		calls, err := svc.CallList(ctx, sum.OpenRound)
		if err != nil || int64(len(calls)) != n-open.Responded {
			t.Errorf("call list of %d: %v", len(calls), err)
		}
		resp, err := svc.Responses(ctx, sum.OpenRound)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, r := range resp {
			ids = append(ids, r.HouseholdID)
		}
		if first == nil {
			first = ids
		} else if len(ids) != len(first) || ids[0] != first[0] || ids[len(ids)-1] != first[len(first)-1] {
			t.Errorf("the same seed gave other households on the second database")
		}
	})
}
