package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/cases"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
)

type inboxAnswer struct {
	Unread int `json:"unread"`
	Items  []struct {
		ID        int64  `json:"id"`
		CaseID    int64  `json:"case_id"`
		Recipient string `json:"recipient"`
		Kind      string `json:"kind"`
		Unread    bool   `json:"unread"`
	} `json:"items"`
}

func inboxOf(t *testing.T, ta *testApp, user string) inboxAnswer {
	t.Helper()
	resp, body := ta.do(t, user, "GET", "/cases/inbox", nil, map[string]string{"Accept": "application/json"})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("inbox of %s = %d: %s", user, resp.StatusCode, body)
	}
	var a inboxAnswer
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatalf("inbox of %s: %v: %s", user, err, body)
	}
	return a
}

// TestCaseInbox: the timer run leaves deadline notifications for the
// assignee and the supervisor; each sees only their own in the inbox,
// can mark only their own read (with the CSRF token), and others see none.
func TestCaseInbox(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clk := &fakeClock{t: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)}
		ta := newTestAppAt(t, d, clk.Now)
		ctx := audit.WithActor(context.Background(), audit.System("test"))
		ids := map[int64]bool{}
		for _, desc := range []string{"楼道灯不亮", "3单元灯坏了"} {
			c, err := ta.Cases.Report(ctx, cases.ReportInput{Category: "stairwell_light", Description: desc, Lon: 119.9201, Lat: 31.7201,
				Channel: cases.ChannelHotline, Reporter: cases.Reporter{Name: "王", Contact: "13800002222"}})
			if err != nil {
				t.Fatal(err)
			}
			ids[c.ID] = true
		}
		for _, u := range []string{"grid", "community", "district"} {
			if a := inboxOf(t, ta, u); a.Unread != 0 || len(a.Items) != 0 {
				t.Fatalf("%s has notifications before any deadline: %+v", u, a)
			}
		}
		// The 5 minutes to register both pass.
		clk.Add(10 * time.Minute)
		notes, err := ta.Cases.RunTimers(context.Background(), clk.Now())
		if err != nil || len(notes) != 2 {
			t.Fatalf("timers = %+v, %v", notes, err)
		}
		grid, community := inboxOf(t, ta, "grid"), inboxOf(t, ta, "community")
		for _, v := range []struct {
			a   inboxAnswer
			who string
		}{{grid, "assignee"}, {community, "supervisor"}} {
			if v.a.Unread != 2 || len(v.a.Items) != 2 || v.a.Items[0].CaseID == v.a.Items[1].CaseID {
				t.Fatalf("%s inbox = %+v", v.who, v.a)
			}
			for _, i := range v.a.Items {
				if !ids[i.CaseID] || i.Kind != "overdue" || i.Recipient != v.who || !i.Unread {
					t.Errorf("%s item %+v", v.who, i)
				}
			}
		}
		for _, u := range []string{"district", "subdistrict", "department", "admin"} {
			if a := inboxOf(t, ta, u); a.Unread != 0 || len(a.Items) != 0 {
				t.Errorf("%s sees notifications of others: %+v", u, a)
			}
		}
		// The page shows the grid worker's own, with the unread count.
		_, body := ta.do(t, "grid", "GET", "/cases/inbox?lang=en", nil, nil)
		if !strings.Contains(body, "2 unread") || !strings.Contains(body, fmt.Sprintf(`id="note-%d"`, grid.Items[0].ID)) ||
			strings.Contains(body, fmt.Sprintf(`id="note-%d"`, community.Items[0].ID)) {
			t.Errorf("inbox page: %s", body)
		}

		// Every page's menu shows the unread count to its owner only.
		if _, home := ta.do(t, "grid", "GET", "/", nil, nil); !strings.Contains(home, `id="unread-alerts">2<`) {
			t.Error("the menu does not show the grid worker's 2 unread alerts")
		}
		if _, home := ta.do(t, "district", "GET", "/", nil, nil); strings.Contains(home, `id="unread-alerts"`) {
			t.Error("the menu shows unread alerts to someone without any")
		}
		// Another user's notification cannot be marked read.
		jsonForm := map[string]string{"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"}
		resp, body := ta.do(t, "grid", "POST", "/cases/inbox/read", strings.NewReader(fmt.Sprintf("id=%d", community.Items[0].ID)), jsonForm)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"marked":0`) {
			t.Errorf("marking another's notification = %d: %s", resp.StatusCode, body)
		}
		if a := inboxOf(t, ta, "community"); a.Unread != 2 {
			t.Errorf("the supervisor's notifications changed: %+v", a)
		}
		// Without the CSRF token nothing is marked.
		resp, _ = ta.do(t, "grid", "POST", "/cases/inbox/read", strings.NewReader(fmt.Sprintf("id=%d", grid.Items[0].ID)),
			map[string]string{"Content-Type": "application/x-www-form-urlencoded", auth.CSRFHeader: "forged"})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("mark read without CSRF = %d", resp.StatusCode)
		}
		// One's own: one, then the rest.
		resp, _ = ta.do(t, "grid", "POST", "/cases/inbox/read", strings.NewReader(fmt.Sprintf("id=%d", grid.Items[0].ID)), formHeader)
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("mark read = %d", resp.StatusCode)
		}
		if a := inboxOf(t, ta, "grid"); a.Unread != 1 || a.Items[0].Unread || !a.Items[1].Unread {
			t.Errorf("after marking one: %+v", a)
		}
		resp, body = ta.do(t, "grid", "POST", "/cases/inbox/read", strings.NewReader("all=1"), jsonForm)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"marked":1`) || !strings.Contains(body, `"unread":0`) {
			t.Errorf("mark all = %d: %s", resp.StatusCode, body)
		}
		if a := inboxOf(t, ta, "community"); a.Unread != 2 {
			t.Errorf("marking all of the grid worker's touched the supervisor's: %+v", a)
		}
		// Nothing named is a bad request.
		if resp, _ = ta.do(t, "grid", "POST", "/cases/inbox/read", strings.NewReader(""), jsonForm); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("mark nothing = %d", resp.StatusCode)
		}
	})
}

// TestCaseToday: the grid worker's day shows the case due today and puts the
// one due next week behind the link to all open cases.
func TestCaseToday(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clk := &fakeClock{t: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)}
		ta := newTestAppAt(t, d, clk.Now)
		ctx := audit.WithActor(context.Background(), audit.System("test"))
		community, err := ta.Auth.UserByUsername(ctx, "community")
		if err != nil {
			t.Fatal(err)
		}
		asCommunity := audit.WithActor(context.Background(), audit.Actor{Kind: audit.ActorUser, ID: community.ID, Name: "community"})
		var ids []int64
		for _, cat := range []string{"stairwell_light", "general_request"} {
			c, err := ta.Cases.Report(ctx, cases.ReportInput{Category: cat, Description: "问题", Lon: 119.9201, Lat: 31.7201,
				Channel: cases.ChannelHotline, Reporter: cases.Reporter{Contact: "13800002222"}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ta.Cases.Accept(asCommunity, c.ID, cases.Step{}); err != nil {
				t.Fatal(err)
			}
			if _, err := ta.Cases.Dispatch(asCommunity, c.ID, 0, cases.Step{}); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		_, body := ta.do(t, "grid", "GET", "/cases/today?lang=en", nil, nil)
		if !strings.Contains(body, fmt.Sprintf(`id="case-%d"`, ids[0])) || strings.Contains(body, fmt.Sprintf(`id="case-%d"`, ids[1])) ||
			!strings.Contains(body, `href="/cases/today?all=1" id="today-all">1 more open cases`) {
			t.Errorf("today: %s", body)
		}
		_, body = ta.do(t, "grid", "GET", "/cases/today?all=1&lang=en", nil, nil)
		if !strings.Contains(body, fmt.Sprintf(`id="case-%d"`, ids[0])) || !strings.Contains(body, fmt.Sprintf(`id="case-%d"`, ids[1])) ||
			!strings.Contains(body, `id="today-only"`) {
			t.Errorf("all open cases: %s", body)
		}
	})
}
