package app_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/consult"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
	"github.com/gengxin/gengxin/internal/web"
)

// builderForm is a filled-in survey builder for compound 1 with a yes/no
// support question, a single-choice, a rating and a text question.
func builderForm(now time.Time) url.Values {
	local := func(t time.Time) string { return t.In(web.Shanghai()).Format("2006-01-02T15:04") }
	return url.Values{
		"title": {"加装电梯意愿征询"}, "description": {"请各户表达意愿。"},
		"audience_type": {"compounds"}, "audience_codes": {"C0001"},
		"stage": {"survey"}, "round_title": {"第一轮"},
		"opens_at": {local(now.Add(-time.Hour))}, "closes_at": {local(now.Add(7 * 24 * time.Hour))},
		"blocks":  {"10"},
		"q1_kind": {"yes_no"}, "q1_text_zh": {"是否同意加装电梯？"}, "q1_required": {"1"}, "q1_reason": {"1"}, "support": {"1"},
		"q2_kind": {"single"}, "q2_text_zh": {"您倾向的费用分摊方式"}, "q2_options": {"按楼层分摊 | by floor\n平均分摊"}, "q2_required": {"1"},
		"q3_kind": {"rating"}, "q3_text_zh": {"您对楼道环境的满意度"},
		"q4_kind": {"text"}, "q4_text_zh": {"其他意见"},
	}
}

// TestSurveyPages: a community worker builds a survey through the form, opens
// its round; the resident answers online and changes the answer; the worker
// enters a door-to-door response with the signature scan; the dashboard, the
// call list and the exports follow, and staff outside the area are refused.
func TestSurveyPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ta := newTestApp(t, d)
		ctx := audit.WithActor(context.Background(), audit.System("test"))
		now := time.Now()
		form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}

		if resp, page := ta.do(t, "community", "GET", "/surveys/new", nil, nil); resp.StatusCode != http.StatusOK || !strings.Contains(page, `id="block-10"`) {
			t.Fatalf("builder = %d", resp.StatusCode)
		}
		// A choice question with one option, and a place outside the area: 400 with both shown.
		bad := builderForm(now)
		bad.Set("q2_options", "只有一个选项")
		bad.Set("audience_codes", "C0001, C0003")
		resp, page := ta.do(t, "community", "POST", "/surveys", strings.NewReader(bad.Encode()), form)
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("bad survey = %d", resp.StatusCode)
		}
		block2 := page[strings.Index(page, `id="block-2"`):strings.Index(page, `id="block-3"`)]
		if !strings.Contains(block2, "选项有误") || !strings.Contains(block2, "at least two options") {
			t.Errorf("block 2 does not show its problem")
		}
		if !strings.Contains(page, "编码 C0003 不在您的辖区内") || !strings.Contains(page, "只有一个选项") {
			t.Errorf("the refused form lost the audience problem or the typed options")
		}
		if ss, _ := ta.Surveys.ListSurveys(ctx, consult.SurveyFilter{}); len(ss) != 0 {
			t.Fatalf("a refused form stored %d surveys", len(ss))
		}
		resp, _ = ta.do(t, "community", "POST", "/surveys", strings.NewReader(builderForm(now).Encode()), form)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/surveys/") {
			t.Fatalf("create = %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		ss, err := ta.Surveys.ListSurveys(ctx, consult.SurveyFilter{})
		if err != nil || len(ss) != 1 || len(ss[0].Rounds) != 1 {
			t.Fatalf("surveys = %+v, %v", ss, err)
		}
		sv, rd := ss[0], ss[0].Rounds[0]
		if rd.Status != consult.StatusDraft || len(rd.Questions) != 4 || !rd.Questions[0].Support || rd.Questions[1].Options[0].TextEN != "by floor" {
			t.Fatalf("round 1 = %+v", rd)
		}
		surveyPath, roundPath := resp.Header.Get("Location"), "/surveys/rounds/"+jsonNumber(rd.ID)
		if resp, _ := ta.do(t, "community", "POST", roundPath+"/open", nil, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("open = %d", resp.StatusCode)
		}
		_, page = ta.do(t, "community", "GET", roundPath+"/calls", nil, nil)
		if !strings.Contains(page, "尚未联系到 8 户（共 8 户）") {
			t.Errorf("call list before any answer is wrong")
		}

		// The resident answers online: a missing answer and a "no" without a reason are refused.
		if _, page := ta.do(t, "resident", "GET", "/surveys", nil, nil); !strings.Contains(page, roundPath+"/answer?household=1") {
			t.Errorf("the resident's survey list has no answer link")
		}
		if resp, page := ta.do(t, "resident", "GET", roundPath+"/answer", nil, nil); resp.StatusCode != http.StatusOK || !strings.Contains(page, `name="a_q1"`) {
			t.Fatalf("answer form = %d", resp.StatusCode)
		}
		answer := url.Values{"household": {"1"}, "relation": {"owner"}, "a_q1": {"no"}, "a_q2": {"o1"}, "a_q3": {"4"}}
		resp, page = ta.do(t, "resident", "POST", roundPath+"/answer", strings.NewReader(answer.Encode()), form)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "请填写文字") {
			t.Errorf("\"no\" without a reason = %d", resp.StatusCode)
		}
		answer.Set("a_q1_reason", "担心费用")
		answer.Del("a_q2")
		resp, page = ta.do(t, "resident", "POST", roundPath+"/answer", strings.NewReader(answer.Encode()), form)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page[strings.Index(page, `id="q-q2"`):], "此题必答") {
			t.Errorf("missing required answer = %d", resp.StatusCode)
		}
		answer.Set("a_q2", "o1")
		if resp, page := ta.do(t, "resident", "POST", roundPath+"/answer", strings.NewReader(answer.Encode()), form); resp.StatusCode != http.StatusCreated || !strings.Contains(page, "提交成功") {
			t.Fatalf("first answer = %d", resp.StatusCode)
		}
		answer.Set("a_q1", "yes")
		resp, page = ta.do(t, "resident", "POST", roundPath+"/answer", strings.NewReader(answer.Encode()), form)
		if resp.StatusCode != http.StatusCreated || !regexp.MustCompile(`name="a_q1" value="yes" checked`).MatchString(page) {
			t.Fatalf("second answer = %d", resp.StatusCode)
		}
		if hist, err := ta.Surveys.ResponseHistory(ctx, rd.ID, 1); err != nil || len(hist) != 2 || !hist[1].Current || hist[1].Answers[0].Options[0] != "yes" {
			t.Errorf("history = %+v, %v", hist, err)
		}

		// A door-to-door response with the signature scan; without the scan it is refused.
		door := func(withScan bool) (*http.Response, string) {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			for k, v := range map[string]string{"household_code": "C0001-B01-E1-201", "channel": "door", "respondent_name": "王女士",
				"relation": "tenant", "confirmation": "signature", "a_q1": "no", "a_q1_reason": "一楼采光", "a_q2": "o2"} {
				mw.WriteField(k, v)
			}
			if withScan {
				fw, _ := mw.CreateFormFile("file", "signature.png")
				png.Encode(fw, image.NewGray(image.Rect(0, 0, 4, 4)))
			}
			mw.Close()
			return ta.do(t, "community", "POST", roundPath+"/answer", &buf, map[string]string{"Content-Type": mw.FormDataContentType()})
		}
		if resp, page := door(false); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "请附上签字或问卷的扫描件") {
			t.Errorf("door-to-door without a scan = %d", resp.StatusCode)
		}
		if resp, page := door(true); resp.StatusCode != http.StatusCreated || !strings.Contains(page, "C0001-B01-E1-201 的答复已录入") {
			t.Fatalf("door-to-door = %d", resp.StatusCode)
		}

		// The dashboard: one of two respondents supports, by households and by area.
		resp, page = ta.do(t, "community", "GET", surveyPath, nil, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("survey page = %d", resp.StatusCode)
		}
		for _, want := range []string{`id="support-households">50.0%`, "(1/2 户)", "65.51/131.03 m²", `id="coverage">25.0%`, `id="survey-data"`, "租户", "入户"} {
			if !strings.Contains(page, want) {
				t.Errorf("survey page lacks %q", want)
			}
		}
		_, body := ta.do(t, "community", "GET", "/api/v1"+roundPath+"/stats", nil, nil)
		if !strings.Contains(body, `"by_households":{"num":1,"den":2}`) || !strings.Contains(body, `"by_area":{"num":6551,"den":13103}`) {
			t.Errorf("stats API = %s", body)
		}
		if _, page := ta.do(t, "community", "GET", roundPath+"/calls", nil, nil); !strings.Contains(page, "尚未联系到 6 户（共 8 户）") || strings.Contains(page, "C0001-B01-E1-201<") {
			t.Errorf("the call list did not shrink")
		}
		for _, p := range []string{"/responses.xlsx", "/stats.xlsx"} {
			resp, body := ta.do(t, "community", "GET", roundPath+p, nil, nil)
			if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "spreadsheetml") || !strings.HasPrefix(body, "PK") {
				t.Errorf("%s = %d %s", p, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
		}

		// Staff outside the area: a survey of compound 3 (subdistrict B).
		other, err := ta.Surveys.CreateSurvey(ctx, consult.NewSurvey{Title: "化工宿舍停车意见", Audience: consult.Audience{Type: consult.AudienceCompounds, IDs: []int64{3}}})
		if err != nil {
			t.Fatal(err)
		}
		otherRound, err := ta.Surveys.AddRound(ctx, other.ID, consult.RoundInput{OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(time.Hour),
			Questions: []consult.Question{{Kind: consult.QuestionYesNo, TextZH: "是否同意？", Support: true, Required: true}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ta.Surveys.OpenRound(ctx, otherRound.ID); err != nil {
			t.Fatal(err)
		}
		tests := []struct{ user, method, path string }{
			{"community", "GET", "/surveys/" + jsonNumber(other.ID)},
			{"community", "GET", "/surveys/rounds/" + jsonNumber(otherRound.ID) + "/calls"},
			{"community", "GET", "/surveys/rounds/" + jsonNumber(otherRound.ID) + "/responses.xlsx"},
			{"community", "POST", "/surveys/rounds/" + jsonNumber(otherRound.ID) + "/close"},
			{"grid", "GET", "/surveys/rounds/" + jsonNumber(otherRound.ID) + "/answer"},
			{"resident", "GET", "/surveys/rounds/" + jsonNumber(otherRound.ID) + "/answer"},
			{"department", "GET", roundPath + "/answer"},
		}
		for _, tt := range tests {
			if resp, _ := ta.do(t, tt.user, tt.method, tt.path, nil, nil); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s %s = %d, want 403", tt.user, tt.method, tt.path, resp.StatusCode)
			}
		}
		if _, page := ta.do(t, "community", "GET", "/surveys", nil, nil); strings.Contains(page, "化工宿舍停车意见") || !strings.Contains(page, "加装电梯意愿征询") {
			t.Errorf("community survey list is not cut to the area")
		}
		if _, page := ta.do(t, "district", "GET", "/surveys", nil, nil); !strings.Contains(page, "化工宿舍停车意见") {
			t.Errorf("the district officer does not see a survey of the district")
		}

		// Closing, then the next round starts from the previous questions.
		if resp, _ := ta.do(t, "community", "POST", roundPath+"/close", nil, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("close = %d", resp.StatusCode)
		}
		if resp, _ := ta.do(t, "resident", "POST", roundPath+"/answer", strings.NewReader(answer.Encode()), form); resp.StatusCode != http.StatusConflict {
			t.Errorf("answer after closing = %d", resp.StatusCode)
		}
		resp, page = ta.do(t, "community", "GET", surveyPath+"/next", nil, nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "是否同意加装电梯？") || !strings.Contains(page, `value="design" selected`) {
			t.Fatalf("next round builder = %d", resp.StatusCode)
		}
		next := builderForm(now)
		next.Set("stage", "design")
		if resp, _ := ta.do(t, "community", "POST", surveyPath+"/next", strings.NewReader(next.Encode()), form); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("add round = %d", resp.StatusCode)
		}
		if s, err := ta.Surveys.Survey(ctx, sv.ID); err != nil || len(s.Rounds) != 2 || s.Rounds[1].Stage != consult.StageDesign {
			t.Errorf("after adding a round: %+v, %v", s.Rounds, err)
		}
	})
}
