package web_test

import (
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/cases"
	"github.com/gengxin/gengxin/internal/consult"
	"github.com/gengxin/gengxin/internal/places"
	"github.com/gengxin/gengxin/internal/projects"
	"github.com/gengxin/gengxin/internal/web"
)

// TestEveryMessageTranslated checks that every message key a template names, and
// every key built from a code list, exists in Chinese and English.
func TestEveryMessageTranslated(t *testing.T) {
	cat := web.NewCatalog(places.Messages(), consult.Messages(), consult.SurveyMessages(), cases.Messages(), projects.Messages())
	var keys []string
	re := regexp.MustCompile(`T "([a-z_.0-9]+)"`)
	err := filepath.WalkDir("templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			keys = append(keys, m[1])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) < 100 {
		t.Fatalf("found only %d message keys in the templates", len(keys))
	}
	add := func(prefix string, codes []string) {
		for _, c := range codes {
			keys = append(keys, prefix+c)
		}
	}
	add("role.", auth.Roles())
	add("level.", places.Levels)
	add("property.", places.PropertyModes)
	add("renovation.", places.RenovationStatuses)
	add("structure.", places.Structures)
	add("object.", places.ObjectTypes)
	add("link.", []string{auth.LinkPending, auth.LinkVerified, auth.LinkRejected})
	add("kind.", []string{"region", "compound", "facility"})
	add("votes.status.", []string{consult.StatusDraft, consult.StatusOpen, consult.StatusClosed})
	add("votes.result.", []string{consult.ResultPassed, consult.ResultFailed, consult.ResultNoQuorum})
	add("votes.choice.", []string{string(consult.Agree), string(consult.Disagree), string(consult.Abstain)})
	add("votes.scope.", []string{"compound", "building", "entrance"})
	add("votes.channel.", []string{consult.ChannelPaper, consult.ChannelProxy})
	add("surveys.kind.", []string{consult.QuestionSingle, consult.QuestionMultiple, consult.QuestionRating, consult.QuestionYesNo, consult.QuestionText})
	add("surveys.channel.", []string{consult.ResponseOnline, consult.ResponseDoor, consult.ResponsePhone, consult.ResponsePaper})
	add("surveys.relation.", []string{consult.RelationOwner, consult.RelationTenant, consult.RelationFamily})
	add("surveys.stage.", []string{"none", consult.StageSurvey, consult.StageDesign, consult.StageSample, consult.StageConstruction})
	add("surveys.audience.", []string{consult.AudienceRegion, consult.AudienceCompounds, consult.AudienceBuildings, consult.AudienceEntrances})
	add("surveys.confirm.", []string{consult.ConfirmSignature, consult.ConfirmVerbal})
	add("surveys.answer.", []string{consult.AnswerYes, consult.AnswerNo})
	add("surveys.problem.", []string{"required", "answer", "options", "rating", "text", "relation", "respondent_name", "confirmation", "confirmed_at", "attachment", "channel"})
	add("checkup.level.", []string{"housing", "compound", "block", "district"})
	add("checkup.variant.", []string{"walk", "line"})
	add("finding.status.", []string{"new", "open", "in_project", "resolved", "verified"})
	add("projects.stage.", projects.Stages)
	add("projects.type.", projects.Types)
	add("projects.mode.", projects.Modes)
	add("projects.class.", projects.Classes)
	add("projects.source.", projects.Sources)
	add("projects.share.", projects.ShareRules)
	add("projects.round.", projects.Rounds)
	add("projects.channel.", projects.Channels)
	add("projects.record.", projects.RecordKinds)
	add("projects.note.", projects.NoteKinds)
	add("projects.feedback.", []string{projects.FeedbackAdopted, projects.FeedbackExplained})
	for _, k := range projects.ItemKinds {
		keys = append(keys, "projects.kind."+k.Code)
	}
	for _, c := range projects.Conditions {
		keys = append(keys, "projects.cond."+string(c))
	}
	for _, m := range consult.Matters() {
		keys = append(keys, fmt.Sprintf("matter.%d", int(m)))
	}
	for _, c := range places.Categories {
		keys = append(keys, "category."+c.Code)
	}
	for _, k := range keys {
		zh, en := cat.Translate("zh-CN", k), cat.Translate("en", k)
		if !cat.Has(k) || zh == "" || en == "" {
			t.Errorf("message %q is missing", k)
		}
	}
}

func TestLangAndHeaders(t *testing.T) {
	rd, err := web.NewRenderer(slog.New(slog.NewTextHandler(io.Discard, nil)), "", "test")
	if err != nil {
		t.Fatal(err)
	}
	h := web.SecurityHeaders("", web.RememberLang(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rd.Error(w, r, http.StatusNotFound, "error.not_found")
	})))
	tests := []struct {
		url, cookie, want string
	}{
		{"/x", "", "找不到该页面或对象。"},
		{"/x?lang=en", "", "That page or object does not exist."},
		{"/x", "en", "That page or object does not exist."},
		{"/x?lang=zh-CN", "en", "找不到该页面或对象。"},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("GET", tt.url, nil)
		if tt.cookie != "" {
			req.AddCookie(&http.Cookie{Name: web.LangCookie, Value: tt.cookie})
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), tt.want) {
			t.Errorf("%s (cookie %q): %d %q", tt.url, tt.cookie, rec.Code, rec.Body.String())
		}
		for _, hd := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} {
			if rec.Header().Get(hd) == "" {
				t.Errorf("header %s missing", hd)
			}
		}
	}
	// An API path answers errors in JSON.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/x", nil))
	if !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") || !strings.Contains(rec.Body.String(), `"status":404`) {
		t.Errorf("API error = %q %q", rec.Header().Get("Content-Type"), rec.Body.String())
	}
}

func TestStaticAssets(t *testing.T) {
	srv := httptest.NewServer(web.Static())
	defer srv.Close()
	for _, p := range []string{"/static/app.css", "/static/map.js", "/static/vendor/htmx.min.js", "/static/vendor/leaflet/leaflet.js", "/static/vendor/echarts.min.js"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.ContentLength == 0 {
			t.Errorf("%s = %d (%d bytes)", p, resp.StatusCode, resp.ContentLength)
		}
	}
}
