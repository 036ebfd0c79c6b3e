package consult

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
)

// DemoSurveyOptions tells SeedDemoSurveys where to put the demo surveys.
type DemoSurveyOptions struct {
	// HouseholdID is the demo resident's household: its compound is surveyed and
	// it is left without an answer in the open round, so the resident can try.
	HouseholdID int64
	// CompoundID is used when HouseholdID is 0.
	CompoundID int64
	Seed       int64
}

// DemoSurveySummary lists what SeedDemoSurveys created.
type DemoSurveySummary struct {
	CompoundID   int64
	ClosedSurvey int64 // survey whose round 1 is closed
	ClosedRound  int64
	OpenSurvey   int64 // survey with an open round
	OpenRound    int64
}

// Shares of the demo: the closed round has answers from 80 % of the
// households, 70 % of them in support; the open round from 40 %.
const (
	demoClosedCoveragePct = 80
	demoClosedSupportPct  = 70
	demoOpenCoveragePct   = 40
)

var demoSurnames = [...]string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "朱", "马", "胡", "郭"}

var demoNoReasons = [...]string{"担心施工期间噪音和出行不便", "费用分摊方案还不清楚", "一楼住户担心采光受影响", "希望先看到设计方案再决定", "房屋准备出售，暂不参与"}

var demoSuggestions = [...]string{"希望增加停车位", "楼道灯经常不亮", "建议增设老年人休息座椅", "雨天小区门口积水严重", "希望保留小区里的老树"}

// pctOf returns round(n*pct/100).
func pctOf(n, pct int) int { return (n*pct + 50) / 100 }

// SeedDemoSurveys fills the compound of opt.HouseholdID (or opt.CompoundID)
// with two surveys a new user can look at: a renewal-willingness survey whose
// first round closed last month with answers from 80 % of the households (70 %
// of them in support), and a design survey whose round is open, answered by
// 40 % of the households through every channel but not by the resident's
// household. The households are drawn from opt.Seed, so the same seed always
// gives the same answers.
func SeedDemoSurveys(ctx context.Context, svc *SurveyService, opt DemoSurveyOptions) (DemoSurveySummary, error) {
	var sum DemoSurveySummary
	if audit.ActorFrom(ctx).Name == "unknown" {
		ctx = audit.WithActor(ctx, audit.System("demo"))
	}
	fail := func(err error) (DemoSurveySummary, error) { return sum, fmt.Errorf("demo surveys: %w", err) }
	sum.CompoundID = opt.CompoundID
	if opt.HouseholdID != 0 {
		err := svc.db.Read().QueryRowContext(ctx, `SELECT b.compound_id FROM households h JOIN buildings b ON b.id = h.building_id WHERE h.id = $1`,
			opt.HouseholdID).Scan(&sum.CompoundID)
		if errors.Is(err, sql.ErrNoRows) {
			return fail(fmt.Errorf("household %d: %w", opt.HouseholdID, ErrNotFound))
		}
		if err != nil {
			return fail(err)
		}
	}
	r := rand.New(rand.NewPCG(uint64(opt.Seed), 0x737572766579))
	scan, err := svc.UploadAttachment(ctx, "签字确认扫描件.pdf", bytes.NewReader(demoScan))
	if err != nil {
		return fail(err)
	}
	now := svc.clock()
	day := 24 * time.Hour
	aud := Audience{Type: AudienceCompounds, IDs: []int64{sum.CompoundID}}

	// A closed willingness survey (the first of the four rounds).
	closed, err := svc.at(now.Add(-95*day)).CreateSurvey(ctx, NewSurvey{Title: "老旧小区改造居民意愿征询",
		Description: "为确定本小区是否申报老旧小区改造及改造内容，现征询全体住户意见。", Audience: aud})
	if err != nil {
		return fail(err)
	}
	opens, closes := now.Add(-90*day), now.Add(-60*day)
	past := svc.at(opens.Add(-time.Hour))
	r1, err := past.AddRound(ctx, closed.ID, RoundInput{Stage: StageSurvey, Title: "第一轮：改造意愿征询", OpensAt: opens, ClosesAt: closes,
		Questions: []Question{
			{ID: "support", Kind: QuestionYesNo, TextZH: "您是否同意本小区纳入老旧小区改造计划？", TextEN: "Do you agree that the compound joins the renovation programme?",
				Required: true, Support: true, ReasonOnNo: true},
			{ID: "items", Kind: QuestionMultiple, TextZH: "您最希望改造哪些内容？（最多选三项）", TextEN: "What should the renovation fix first? (up to three)",
				MaxChoices: 3, Options: []Option{{ID: "elevator", TextZH: "加装电梯"}, {ID: "drainage", TextZH: "雨污分流"},
					{ID: "insulation", TextZH: "外墙保温"}, {ID: "parking", TextZH: "停车位"}, {ID: "greening", TextZH: "绿化景观"},
					{ID: "ageing", TextZH: "适老化设施"}}},
			{ID: "satisfaction", Kind: QuestionRating, TextZH: "您对小区目前居住环境的满意度（1–5分）", TextEN: "How satisfied are you with the compound today (1–5)?", Required: true},
			{ID: "advice", Kind: QuestionText, TextZH: "其他意见和建议", TextEN: "Other comments"},
		}})
	if err != nil {
		return fail(err)
	}
	if _, err := svc.at(opens).OpenRound(ctx, r1.ID); err != nil {
		return fail(err)
	}
	hh, err := demoAudience(ctx, svc, r1.ID)
	if err != nil {
		return fail(err)
	}
	picked := demoPick(r, hh, pctOf(len(hh), demoClosedCoveragePct), 0)
	yes := pctOf(len(picked), demoClosedSupportPct)
	step := min(7*time.Minute, (closes.Sub(opens)-4*time.Hour)/time.Duration(len(picked)+1))
	for i, h := range picked {
		at := opens.Add(2*time.Hour + time.Duration(i)*step)
		support := i < yes
		a := []Answer{{Question: "support", Options: []string{AnswerNo}, Text: demoNoReasons[r.IntN(len(demoNoReasons))]},
			{Question: "satisfaction", Rating: 1 + r.IntN(3)}}
		if support {
			a[0] = Answer{Question: "support", Options: []string{AnswerYes}}
			a[1].Rating = 1 + r.IntN(5)
			items := []string{"elevator", "drainage", "insulation", "parking", "greening", "ageing"}
			r.Shuffle(len(items), func(x, y int) { items[x], items[y] = items[y], items[x] })
			a = append(a, Answer{Question: "items", Options: items[:1+r.IntN(3)]})
		}
		if r.IntN(5) == 0 {
			a = append(a, Answer{Question: "advice", Text: demoSuggestions[r.IntN(len(demoSuggestions))]})
		}
		if err := demoRespond(ctx, svc.at(at), r, r1.ID, h, i, a, scan.ID); err != nil {
			return fail(err)
		}
	}
	if _, err := svc.at(closes.Add(time.Hour)).CloseRound(ctx, r1.ID); err != nil {
		return fail(err)
	}
	sum.ClosedSurvey, sum.ClosedRound = closed.ID, r1.ID

	// An open design survey (the second of the four rounds), not yet answered
	// by the resident.
	design, err := svc.at(now.Add(-6*day)).CreateSurvey(ctx, NewSurvey{Title: "小区改造设计方案意见征询",
		Description: "设计单位已根据第一轮意见完成改造方案初稿（含加装电梯、雨污分流和停车位调整），请各户提出意见。", Audience: aud})
	if err != nil {
		return fail(err)
	}
	opens, closes = now.Add(-5*day), now.Add(25*day)
	r2, err := svc.at(opens.Add(-time.Hour)).AddRound(ctx, design.ID, RoundInput{Stage: StageDesign, Title: "第二轮：设计方案意见征询", OpensAt: opens, ClosesAt: closes,
		Questions: []Question{
			{ID: "plan", Kind: QuestionSingle, TextZH: "您对改造设计方案的意见", TextEN: "Your view of the design", Required: true, Support: true,
				Options: []Option{{ID: "agree", TextZH: "同意", TextEN: "Agree", Support: true}, {ID: "adjust", TextZH: "基本同意，建议调整", TextEN: "Agree with changes", Support: true},
					{ID: "disagree", TextZH: "不同意", TextEN: "Disagree"}}},
			{ID: "elevator", Kind: QuestionYesNo, TextZH: "您所在单元是否愿意加装电梯？", TextEN: "Does your entrance want an elevator?", Required: true, ReasonOnNo: true},
			{ID: "parking", Kind: QuestionRating, TextZH: "您对停车位调整方案的评价（1–5分）", TextEN: "Rate the parking plan (1–5)"},
			{ID: "advice", Kind: QuestionText, TextZH: "对设计方案的具体意见", TextEN: "Comments on the design"},
		}})
	if err != nil {
		return fail(err)
	}
	if _, err := svc.at(opens).OpenRound(ctx, r2.ID); err != nil {
		return fail(err)
	}
	hh, err = demoAudience(ctx, svc, r2.ID)
	if err != nil {
		return fail(err)
	}
	picked = demoPick(r, hh, pctOf(len(hh), demoOpenCoveragePct), opt.HouseholdID)
	step = min(5*time.Minute, now.Sub(opens)/time.Duration(len(picked)+2))
	for i, h := range picked {
		at := opens.Add(time.Duration(i+1) * step)
		plan := []string{"agree", "agree", "agree", "adjust", "adjust", "disagree"}[r.IntN(6)]
		a := []Answer{{Question: "plan", Options: []string{plan}}, {Question: "elevator", Options: []string{AnswerYes}}}
		if r.IntN(4) == 0 {
			a[1] = Answer{Question: "elevator", Options: []string{AnswerNo}, Text: demoNoReasons[r.IntN(len(demoNoReasons))]}
		}
		if r.IntN(3) > 0 {
			a = append(a, Answer{Question: "parking", Rating: 2 + r.IntN(4)})
		}
		if plan == "adjust" {
			a = append(a, Answer{Question: "advice", Text: demoSuggestions[r.IntN(len(demoSuggestions))]})
		}
		if err := demoRespond(ctx, svc.at(at), r, r2.ID, h, i, a, scan.ID); err != nil {
			return fail(err)
		}
	}
	sum.OpenSurvey, sum.OpenRound = design.ID, r2.ID
	return sum, nil
}

// demoAudience lists the household ids of a round's audience in id order.
func demoAudience(ctx context.Context, svc *SurveyService, roundID int64) ([]int64, error) {
	rows, err := svc.db.Read().QueryContext(ctx, `SELECT household_id FROM survey_audience WHERE round_id = $1 ORDER BY household_id`, roundID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// demoPick draws n households (never skip) in a random order.
func demoPick(r *rand.Rand, hh []int64, n int, skip int64) []int64 {
	var pool []int64
	for _, h := range hh {
		if h != skip {
			pool = append(pool, h)
		}
	}
	r.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	return pool[:min(n, len(pool))]
}

// demoRespond enters one household's response through a channel chosen by
// its position: half online, the rest door-to-door, by phone or on paper; a few
// households first answer differently and then correct themselves.
func demoRespond(ctx context.Context, svc *SurveyService, r *rand.Rand, roundID, household int64, i int, answers []Answer, scan int64) error {
	in := ResponseInput{RoundID: roundID, HouseholdID: household, Answers: answers, Relation: RelationOwner}
	switch i % 10 {
	case 0, 1, 2, 3, 4:
		in.Channel = ResponseOnline
	case 5, 6:
		in.Channel, in.Confirmation, in.AttachmentID = ResponseDoor, ConfirmSignature, scan
	case 7, 8:
		in.Channel, in.Confirmation, in.ConfirmedAt = ResponsePhone, ConfirmVerbal, svc.clock().Add(-2*time.Minute)
	default:
		in.Channel, in.AttachmentID = ResponsePaper, scan
	}
	switch k := r.IntN(20); {
	case k < 3:
		in.Relation = RelationTenant
	case k < 5:
		in.Relation = RelationFamily
	}
	if in.Channel != ResponseOnline {
		title := "先生"
		if r.IntN(2) == 0 {
			title = "女士"
		}
		in.RespondentName = demoSurnames[r.IntN(len(demoSurnames))] + title
	}
	if r.IntN(25) == 0 {
		first := in
		first.Answers = make([]Answer, len(answers))
		for k, a := range answers {
			switch {
			case a.Question == "support" && len(a.Options) == 1 && a.Options[0] == AnswerYes:
				a = Answer{Question: a.Question, Options: []string{AnswerNo}, Text: "还没想好"}
			case a.Question == "support":
				a = Answer{Question: a.Question, Options: []string{AnswerYes}}
			case a.Question == "plan" && len(a.Options) == 1 && a.Options[0] == "disagree":
				a = Answer{Question: a.Question, Options: []string{"agree"}}
			case a.Question == "plan":
				a = Answer{Question: a.Question, Options: []string{"disagree"}}
			}
			first.Answers[k] = a
		}
		if _, err := svc.at(svc.clock().Add(-time.Minute)).SubmitResponse(ctx, first); err != nil {
			return err
		}
	}
	_, err := svc.SubmitResponse(ctx, in)
	return err
}
