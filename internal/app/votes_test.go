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
)

// TestVotePages: a resident casts and checks a ballot, a community worker enters
// a paper ballot with its scan, and staff outside the compound's area are refused.
func TestVotePages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ta := newTestApp(t, d)
		ctx := audit.WithActor(context.Background(), audit.System("test"))
		now := time.Now()
		open := func(compound int64) consult.Vote {
			v, err := ta.Consult.CreateVote(ctx, consult.NewVote{Title: "使用维修资金修缮屋面", Matter: consult.MatterFundUse,
				ScopeType: "compound", ScopeID: compound, OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(24 * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			if v, err = ta.Consult.OpenVote(ctx, v.ID); err != nil {
				t.Fatal(err)
			}
			return v
		}
		v1, v3 := open(1), open(3)
		p1, p3 := "/votes/"+jsonNumber(v1.ID), "/votes/"+jsonNumber(v3.ID)
		form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}

		// The resident (verified for household 1 of compound 1) sees only vote 1.
		_, page := ta.do(t, "resident", "GET", "/votes", nil, nil)
		if !strings.Contains(page, p1+`"`) || strings.Contains(page, p3+`"`) {
			t.Errorf("resident's vote list is wrong")
		}
		if resp, _ := ta.do(t, "resident", "GET", p3, nil, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("resident opens a vote of another compound: %d", resp.StatusCode)
		}
		if resp, _ := ta.do(t, "resident", "POST", p1+"/ballot", strings.NewReader("choice=maybe"), form); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("bad choice = %d", resp.StatusCode)
		}
		resp, page := ta.do(t, "resident", "POST", p1+"/ballot", strings.NewReader("choice=agree"), form)
		m := regexp.MustCompile(`id="receipt-code">([A-Z0-9-]+)<`).FindStringSubmatch(page)
		if resp.StatusCode != http.StatusCreated || m == nil {
			t.Fatalf("cast = %d", resp.StatusCode)
		}
		if _, page := ta.do(t, "resident", "GET", p1+"/receipt?code="+url.QueryEscape(m[1]), nil, nil); !strings.Contains(page, "这是您这一户当前计入的选票") {
			t.Error("receipt check does not say the ballot counts")
		}
		// A change replaces the counted ballot; the old receipt says so.
		ta.do(t, "resident", "POST", p1+"/ballot", strings.NewReader("choice=disagree"), form)
		if _, page := ta.do(t, "resident", "GET", p1+"/receipt?code="+url.QueryEscape(m[1]), nil, nil); !strings.Contains(page, "您之后又改投了") {
			t.Error("an old receipt does not say it was replaced")
		}

		// A paper ballot for household 2 with a scan.
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("household_code", "C0001-B01-E1-201")
		mw.WriteField("choice", "agree")
		mw.WriteField("channel", "paper")
		fw, _ := mw.CreateFormFile("file", "ballot.png")
		png.Encode(fw, image.NewGray(image.Rect(0, 0, 4, 4)))
		mw.Close()
		resp, page = ta.do(t, "community", "POST", p1+"/paper", &buf, map[string]string{"Content-Type": mw.FormDataContentType()})
		if resp.StatusCode != http.StatusCreated || !strings.Contains(page, "C0001-B01-E1-201") {
			t.Fatalf("paper ballot = %d", resp.StatusCode)
		}
		_, body := ta.do(t, "community", "GET", "/api/v1"+p1+"/tally", nil, nil)
		if !strings.Contains(body, `"voted_heads":2`) || !strings.Contains(body, `"agree_heads":1`) {
			t.Errorf("tally after two ballots: %s", body)
		}
		// Staff outside the area, and a paper ballot without its scan.
		if resp, _ := ta.do(t, "community", "GET", p3, nil, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("community worker opens a vote outside the area: %d", resp.StatusCode)
		}
		if resp, _ := ta.do(t, "community", "POST", p1+"/ballot", strings.NewReader("choice=agree"), form); resp.StatusCode != http.StatusForbidden {
			t.Errorf("staff online ballot = %d", resp.StatusCode)
		}
		buf.Reset()
		mw = multipart.NewWriter(&buf)
		mw.WriteField("household_code", "C0001-B01-E1-301")
		mw.WriteField("choice", "agree")
		mw.WriteField("channel", "paper")
		mw.Close()
		if resp, _ := ta.do(t, "community", "POST", p1+"/paper", &buf, map[string]string{"Content-Type": mw.FormDataContentType()}); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("paper ballot without a scan = %d", resp.StatusCode)
		}
		if resp, _ := ta.do(t, "community", "POST", p1+"/close", nil, nil); resp.StatusCode != http.StatusConflict {
			t.Errorf("closing before the closing time = %d", resp.StatusCode)
		}

		// An elevator vote in entrance 11 (building 11): the ground-floor household 1
		// is affected and must consent in writing; the worker records it with a scan.
		ev, err := ta.Consult.CreateVote(ctx, consult.NewVote{Title: "1单元加装电梯", Matter: consult.MatterRebuild, Rules: consult.RulesElevator,
			ScopeType: "entrance", ScopeID: 11, Affected: []int64{1}, OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if ev, err = ta.Consult.OpenVote(ctx, ev.ID); err != nil {
			t.Fatal(err)
		}
		pe := "/votes/" + jsonNumber(ev.ID)
		if _, page := ta.do(t, "community", "GET", pe, nil, nil); !strings.Contains(page, `id="consents"`) || !strings.Contains(page, "待同意") {
			t.Error("elevator vote page does not list the pending consent")
		}
		buf.Reset()
		mw = multipart.NewWriter(&buf)
		mw.WriteField("household_id", "1")
		mw.WriteField("consent", "yes")
		fw, _ = mw.CreateFormFile("file", "consent.png")
		png.Encode(fw, image.NewGray(image.Rect(0, 0, 4, 4)))
		mw.Close()
		resp, page = ta.do(t, "community", "POST", pe+"/consents", &buf, map[string]string{"Content-Type": mw.FormDataContentType()})
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "书面意见已登记") {
			t.Errorf("record consent = %d", resp.StatusCode)
		}
		es, err := ta.Consult.Elevator(ctx, ev.ID)
		if err != nil || len(es.Consents) != 1 || !es.Consents[0].Recorded || !es.Consents[0].Consent {
			t.Errorf("consents after recording: %+v, %v", es.Consents, err)
		}
	})
}
