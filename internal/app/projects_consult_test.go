package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/consult"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
	"github.com/gengxin/gengxin/internal/projects"
)

// TestProjectGatesReadConsultation passes the consultation gate with a real
// survey round and a real owner vote linked to the project: 5 of 8 households
// supporting is below 2/3 and 6 is enough; the elevator needs the entrance's
// matter-7 vote, which counts only once it has closed and passed.
func TestProjectGatesReadConsultation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clk := &fakeClock{t: time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)}
		ta := newTestAppAt(t, d, clk.Now)
		ctx := audit.WithActor(context.Background(), audit.System("test"))
		p, err := ta.Projects.Create(ctx, projects.NewProject{Name: "工人新村改造", Type: projects.TypeCompound, PlanYear: 2026, Compounds: []int64{1}})
		if err != nil || p.Scope.Households != 8 {
			t.Fatalf("project = %+v, %v", p, err)
		}
		if _, err := ta.Projects.AddItem(ctx, p.ID, projects.ItemInput{Kind: "elevator", Name: "加装电梯", QuantityMilli: 1000, UnitCostFen: 100, VoteMatter: -1, TargetType: "entrance", TargetID: 11}); err != nil {
			t.Fatal(err)
		}
		if _, err := ta.Projects.Advance(ctx, p.ID, false, ""); err != nil {
			t.Fatal(err)
		}
		missing := func() string {
			t.Helper()
			gs, err := ta.Projects.NextGate(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, c := range projects.Missing(gs.Checks) {
				out = append(out, fmt.Sprintf("%s:%v", c.Condition, c.Args))
			}
			return strings.Join(out, " ")
		}
		if m := missing(); !strings.Contains(m, "survey_support") || !strings.Contains(m, "votes") {
			t.Fatalf("before any survey or vote, missing = %s", m)
		}

		// A survey round of the compound's households, linked to the project.
		sv, err := ta.Surveys.CreateSurvey(ctx, consult.NewSurvey{Title: "加装电梯与改造意愿", ProjectID: p.ID,
			Audience: consult.Audience{Type: consult.AudienceCompounds, IDs: []int64{1}}})
		if err != nil {
			t.Fatal(err)
		}
		opens := clk.Now().Add(time.Hour)
		round, err := ta.Surveys.AddRound(ctx, sv.ID, consult.RoundInput{Stage: consult.StageSurvey, OpensAt: opens, ClosesAt: opens.Add(72 * time.Hour),
			Questions: []consult.Question{{ID: "q1", Kind: consult.QuestionYesNo, TextZH: "是否同意实施改造？", Required: true, Support: true}}})
		if err != nil {
			t.Fatal(err)
		}
		clk.Add(2 * time.Hour)
		if _, err := ta.Surveys.OpenRound(ctx, round.ID); err != nil {
			t.Fatal(err)
		}
		answer := func(hh int64, yes bool) {
			t.Helper()
			a := consult.AnswerNo
			if yes {
				a = consult.AnswerYes
			}
			if _, err := ta.Surveys.SubmitResponse(ctx, consult.ResponseInput{RoundID: round.ID, HouseholdID: hh, Channel: consult.ResponsePhone,
				RespondentName: "业主", Relation: consult.RelationOwner, Confirmation: consult.ConfirmVerbal, ConfirmedAt: clk.Now().Add(-time.Minute),
				Answers: []consult.Answer{{Question: "q1", Options: []string{a}}}}); err != nil {
				t.Fatalf("household %d: %v", hh, err)
			}
		}
		for hh := int64(1); hh <= 8; hh++ {
			answer(hh, hh <= 5)
		}
		if m := missing(); !strings.Contains(m, "survey_support") {
			t.Fatalf("an open round counted: %s", m)
		}
		clk.Add(time.Hour)
		if _, err := ta.Surveys.CloseRound(ctx, round.ID); err != nil {
			t.Fatal(err)
		}
		if m := missing(); !strings.Contains(m, "survey_support:[加装电梯与改造意愿 5 8 62.5 2 3]") {
			t.Fatalf("5 of 8: missing = %s", m)
		}
		// A second round in which one more household supports.
		opens = clk.Now().Add(time.Hour)
		r2, err := ta.Surveys.AddRound(ctx, sv.ID, consult.RoundInput{Stage: consult.StageSurvey, OpensAt: opens, ClosesAt: opens.Add(72 * time.Hour),
			Questions: round.Questions})
		if err != nil {
			t.Fatal(err)
		}
		clk.Add(2 * time.Hour)
		if _, err := ta.Surveys.OpenRound(ctx, r2.ID); err != nil {
			t.Fatal(err)
		}
		round = r2
		for hh := int64(1); hh <= 8; hh++ {
			answer(hh, hh <= 6)
		}
		clk.Add(time.Hour)
		if _, err := ta.Surveys.CloseRound(ctx, r2.ID); err != nil {
			t.Fatal(err)
		}
		if m := missing(); strings.Contains(m, "survey_support") || !strings.Contains(m, "votes") {
			t.Fatalf("6 of 8: missing = %s", m)
		}

		// The entrance's elevator vote: open, all four owners agree, closed.
		opens = clk.Now().Add(time.Hour)
		v, err := ta.Consult.CreateVote(ctx, consult.NewVote{Title: "1幢1单元加装电梯", Matter: consult.MatterRebuild, Rules: consult.RulesElevator,
			ScopeType: "entrance", ScopeID: 11, OpensAt: opens, ClosesAt: opens.Add(72 * time.Hour), ProjectID: p.ID})
		if err != nil {
			t.Fatal(err)
		}
		clk.Add(2 * time.Hour)
		if _, err := ta.Consult.OpenVote(ctx, v.ID); err != nil {
			t.Fatal(err)
		}
		roll, err := ta.Consult.Roll(ctx, v.ID)
		if err != nil || len(roll) != 4 {
			t.Fatalf("roll = %d, %v", len(roll), err)
		}
		for _, e := range roll {
			if _, err := ta.Consult.CastBallot(ctx, consult.BallotInput{VoteID: v.ID, OwnerID: e.VoterIDs[0], Choice: consult.Agree, Channel: "online"}); err != nil {
				t.Fatal(err)
			}
		}
		if m := missing(); !strings.Contains(m, "votes") {
			t.Fatalf("an open vote counted: %s", m)
		}
		clk.Add(72 * time.Hour)
		if v, err = ta.Consult.CloseVote(ctx, v.ID); err != nil || v.Result != consult.ResultPassed {
			t.Fatalf("vote = %s, %v", v.Result, err)
		}
		if m := missing(); m != "" {
			t.Fatalf("after the survey and the vote, missing = %s", m)
		}
		if p, err = ta.Projects.Advance(ctx, p.ID, false, ""); err != nil || p.Stage != projects.StageDesign {
			t.Fatalf("advance = %s, %v", p.Stage, err)
		}
	})
}
