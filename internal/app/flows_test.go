package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
)

func TestHealthAndMetrics(t *testing.T) {
	ta := newTestApp(t, dbtest.SQLite(t))
	resp, body := ta.do(t, "", "GET", "/healthz", nil, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"status":"ok"`) {
		t.Fatalf("healthz = %d %s", resp.StatusCode, body)
	}
	ta.do(t, "community", "GET", "/map", nil, nil)
	resp, body = ta.do(t, "", "GET", "/metrics", nil, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `gengxin_http_requests_total{code="200",route="GET /map"}`) {
		t.Fatalf("metrics = %d, no request counter for /map", resp.StatusCode)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("missing header %s", h)
		}
	}
}

// TestLogin goes through the login form as a browser does: the form's CSRF
// cookie, a wrong password, the right one, and a logout.
func TestLogin(t *testing.T) {
	ta := newTestApp(t, dbtest.SQLite(t))
	cl := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func() (string, []*http.Cookie) {
		resp, err := cl.Get(ta.srv.URL + "/login?next=/map")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(buf.String())
		if m == nil {
			t.Fatal("login form has no CSRF token")
		}
		return m[1], resp.Cookies()
	}
	post := func(token string, cookies []*http.Cookie, user, pw string) *http.Response {
		form := url.Values{"csrf_token": {token}, "username": {user}, "password": {pw}, "next": {"/map"}}
		req, _ := http.NewRequest("POST", ta.srv.URL+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	token, cookies := get()
	if r := post("forged", cookies, "admin", testPassword); r.StatusCode != http.StatusForbidden {
		t.Errorf("login with a forged form token = %d, want 403", r.StatusCode)
	}
	if r := post(token, nil, "admin", testPassword); r.StatusCode != http.StatusForbidden {
		t.Errorf("login without the form cookie = %d, want 403", r.StatusCode)
	}
	if r := post(token, cookies, "admin", "wrong-password!"); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password = %d, want 401", r.StatusCode)
	}
	r := post(token, cookies, "admin", testPassword)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/map" {
		t.Fatalf("login = %d to %q, want 303 to /map", r.StatusCode, r.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, c := range r.Cookies() {
		if c.Name == auth.SessionCookie {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie = %+v", session)
	}
	// A POST with the session but without its CSRF token is refused.
	req, _ := http.NewRequest("POST", ta.srv.URL+"/logout", nil)
	req.AddCookie(session)
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("logout without CSRF token = %d, want 403", resp.StatusCode)
	}
	// An open redirect is not followed.
	token, cookies = get()
	form := url.Values{"csrf_token": {token}, "username": {"admin"}, "password": {testPassword}, "next": {"//evil.example/"}}
	req, _ = http.NewRequest("POST", ta.srv.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, _ = cl.Do(req)
	resp.Body.Close()
	if resp.Header.Get("Location") != "/" {
		t.Errorf("next=//evil.example/ redirected to %q", resp.Header.Get("Location"))
	}
}

func TestAdminPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ta := newTestApp(t, d)
		form := func(v url.Values) (*bytes.Reader, map[string]string) {
			return bytes.NewReader([]byte(v.Encode())), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
		}
		// A new account: bad input is refused with a reason, good input is created.
		body, h := form(url.Values{"username": {"x"}, "role": {"grid_worker"}, "password": {"long-enough-pw"}, "region_code": {"320499001001001"}})
		resp, page := ta.do(t, "admin", "POST", "/admin/users", body, h)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "用户名须为") {
			t.Errorf("short username = %d", resp.StatusCode)
		}
		body, h = form(url.Values{"username": {"wang.grid"}, "role": {"grid_worker"}, "password": {"long-enough-pw"}, "region_code": {"999"}})
		if resp, _ := ta.do(t, "admin", "POST", "/admin/users", body, h); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("unknown region = %d", resp.StatusCode)
		}
		body, h = form(url.Values{"username": {"wang.grid"}, "display_name": {"王网格"}, "role": {"grid_worker"}, "password": {"long-enough-pw"}, "region_code": {"320499001001001"}})
		if resp, page := ta.do(t, "admin", "POST", "/admin/users", body, h); resp.StatusCode != http.StatusCreated || !strings.Contains(page, "王网格") {
			t.Errorf("create user = %d", resp.StatusCode)
		}
		if _, err := ta.Auth.Login(context.Background(), "wang.grid", "long-enough-pw", "127.0.0.1"); err != nil {
			t.Errorf("new account cannot log in: %v", err)
		}
		// An API key: shown once, then it authenticates a JSON call with its scope.
		body, h = form(url.Values{"name": {"12345 hotline"}, "role": {"community_worker"}, "region_code": {"320499001001"}})
		resp, page = ta.do(t, "admin", "POST", "/admin/apikeys", body, h)
		m := regexp.MustCompile(`id="new-key">([^<]+)<`).FindStringSubmatch(page)
		if resp.StatusCode != http.StatusCreated || m == nil {
			t.Fatalf("create key = %d", resp.StatusCode)
		}
		bearer := map[string]string{"Authorization": "Bearer " + m[1]}
		if resp, body := ta.do(t, "", "GET", "/api/v1/compounds", nil, bearer); resp.StatusCode != 200 || !strings.Contains(body, `"total":2`) {
			t.Errorf("API call with key = %d %s", resp.StatusCode, body)
		}
		if resp, _ := ta.do(t, "", "GET", "/api/v1/compounds/3", nil, bearer); resp.StatusCode != http.StatusForbidden {
			t.Errorf("key outside its scope = %d, want 403", resp.StatusCode)
		}
		if resp, _ := ta.do(t, "", "GET", "/api/v1/compounds", nil, map[string]string{"Authorization": "Bearer gx_nope_nope"}); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("bad key = %d, want 401", resp.StatusCode)
		}
		// The audit page lists these changes and the chain verifies.
		resp, page = ta.do(t, "auditor", "GET", "/audit?action=user.&verify=1", nil, nil)
		if resp.StatusCode != 200 || !strings.Contains(page, "user.create") || !strings.Contains(page, `id="verify-result"`) || strings.Contains(page, "断开") {
			t.Errorf("audit page = %d", resp.StatusCode)
		}
		if strings.Contains(page, "long-enough-pw") || strings.Contains(page, m[1]) {
			t.Error("the audit page shows a password or key")
		}
	})
}

func TestResidentClaim(t *testing.T) {
	ta := newTestApp(t, dbtest.SQLite(t))
	ctx := context.Background()
	u, err := ta.Auth.CreateUser(ctx, auth.NewUser{Username: "li.resident", Password: testPassword, Role: auth.RoleResident})
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	if resp, page := ta.do(t, "li.resident", "POST", "/me/link", strings.NewReader("household_code=NOPE"), h); resp.StatusCode != http.StatusNotFound || !strings.Contains(page, "NOPE") {
		t.Errorf("unknown code = %d", resp.StatusCode)
	}
	// Household 17 lies in compound 3, subdistrict B.
	if resp, _ := ta.do(t, "li.resident", "POST", "/me/link", strings.NewReader("household_code=C0003-B01-E1-101"), h); resp.StatusCode != http.StatusOK {
		t.Fatalf("claim = %d", resp.StatusCode)
	}
	// The community worker of A does not see it; the district officer cannot decide.
	if _, page := ta.do(t, "community", "GET", "/residents", nil, nil); strings.Contains(page, "li.resident") {
		t.Error("a claim outside the community is listed")
	}
	links, err := ta.Auth.UserResidentLinks(ctx, u.ID)
	if err != nil || len(links) != 1 {
		t.Fatalf("links = %v, %v", links, err)
	}
	path := "/residents/" + jsonNumber(links[0].ID) + "/decide"
	if resp, _ := ta.do(t, "community", "POST", path, strings.NewReader("decision=approve"), h); resp.StatusCode != http.StatusForbidden {
		t.Errorf("decide outside scope = %d, want 403", resp.StatusCode)
	}
	if resp, _ := ta.do(t, "admin", "POST", path, strings.NewReader("decision=approve"), h); resp.StatusCode != http.StatusOK {
		t.Errorf("admin decides = %d", resp.StatusCode)
	}
	if _, page := ta.do(t, "li.resident", "GET", "/me", nil, nil); !strings.Contains(page, "化工宿舍") {
		t.Error("the verified home is not shown")
	}
}

func jsonNumber(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestImportUpload sends a good and a bad CSV through the upload form.
func TestImportUpload(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ta := newTestApp(t, d)
		upload := func(user, name, content string) (*http.Response, string) {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			mw.WriteField("object_type", "facility")
			mw.WriteField("crs", "wgs84")
			fw, _ := mw.CreateFormFile("file", name)
			fw.Write([]byte(content))
			mw.Close()
			return ta.do(t, user, "POST", "/admin/imports", &buf, map[string]string{"Content-Type": mw.FormDataContentType(), "Accept": "application/json"})
		}
		var n0 int
		ta.DB.Read().QueryRow(`SELECT COUNT(*) FROM facilities`).Scan(&n0)
		bad := "code,category,name,lon,lat\nF9001,kindergarten,新幼儿园,119.921,31.721\nF9002,no_such,坏类别,119.92,31.72\nF9003,park,坏坐标,219.92,31.72\n"
		resp, body := upload("district", "bad.csv", bad)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `"line":3`) || !strings.Contains(body, `"line":4`) {
			t.Fatalf("bad file = %d %s", resp.StatusCode, body)
		}
		var n1 int
		ta.DB.Read().QueryRow(`SELECT COUNT(*) FROM facilities`).Scan(&n1)
		if n1 != n0 {
			t.Fatalf("a rejected file changed the database: %d → %d facilities", n0, n1)
		}
		resp, body = upload("district", "good.csv", "code,category,name,lon,lat\nF9001,kindergarten,新幼儿园,119.921,31.721\n")
		if resp.StatusCode != http.StatusCreated || !strings.Contains(body, `"Committed":true`) {
			t.Fatalf("good file = %d %s", resp.StatusCode, body)
		}
		if resp, _ := upload("community", "good.csv", "x"); resp.StatusCode != http.StatusForbidden {
			t.Errorf("community worker upload = %d, want 403", resp.StatusCode)
		}
		// Export within scope: the community worker gets masked phones of its area only.
		resp, body = ta.do(t, "community", "GET", "/export?type=owner&format=csv", nil, nil)
		if resp.StatusCode != 200 || !strings.Contains(body, "138****0001") || strings.Contains(body, "13812340001") || strings.Contains(body, "O000017") {
			t.Errorf("owner export = %d:\n%s", resp.StatusCode, body)
		}
		if resp, _ := ta.do(t, "community", "GET", "/export?type=nothing", nil, nil); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("bad export type = %d, want 400", resp.StatusCode)
		}
		if resp, _ := ta.do(t, "auditor", "GET", "/export?type=owner&reveal=1", nil, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("auditor reveal = %d, want 403", resp.StatusCode)
		}
	})
}

func TestEditCompound(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ta := newTestApp(t, d)
		h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
		good := url.Values{"name": {"工人新村（北区）"}, "address": {"测试路1号"}, "built_year": {"1986"}, "property_mode": {"trust"}, "renovation_status": {"in_progress"}}
		bad := url.Values{"name": {""}, "address": {"测试路1号"}, "built_year": {"1700"}, "property_mode": {"magic"}, "renovation_status": {"done"}}
		if resp, page := ta.do(t, "community", "POST", "/compounds/1", strings.NewReader(bad.Encode()), h); resp.StatusCode != http.StatusBadRequest ||
			!strings.Contains(page, "1900–2100") || !strings.Contains(page, "property mode") || !strings.Contains(page, "1–100") {
			t.Errorf("bad edit = %d", resp.StatusCode)
		}
		if c, _ := ta.Places.Compound(context.Background(), 1); c.Name != "工人新村" {
			t.Fatalf("a refused edit changed the compound: %+v", c)
		}
		if resp, _ := ta.do(t, "community", "POST", "/compounds/3", strings.NewReader(good.Encode()), h); resp.StatusCode != http.StatusForbidden {
			t.Errorf("edit outside the area = %d, want 403", resp.StatusCode)
		}
		if resp, _ := ta.do(t, "community", "POST", "/compounds/1", strings.NewReader(good.Encode()), h); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("edit = %d", resp.StatusCode)
		}
		c, err := ta.Places.Compound(context.Background(), 1)
		if err != nil || c.Name != "工人新村（北区）" || c.BuiltYear != 1986 || c.PropertyMode != "trust" || c.RenovationStatus != "in_progress" {
			t.Fatalf("after edit: %+v, %v", c, err)
		}
		_, body := ta.do(t, "auditor", "GET", "/audit?action=compound.update", nil, map[string]string{"Accept": "application/json"})
		if !strings.Contains(body, `"total":1`) || !strings.Contains(body, `\"name\":\"工人新村\"`) || !strings.Contains(body, `工人新村（北区）`) || !strings.Contains(body, `"Name":"community"`) {
			t.Errorf("audit of the edit: %s", body)
		}
	})
}

// TestOpenAPI checks that the served document names every JSON route with a
// summary.
func TestOpenAPI(t *testing.T) {
	ta := newTestApp(t, dbtest.SQLite(t))
	resp, body := ta.do(t, "", "GET", "/api/v1/openapi.json", nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("openapi = %d", resp.StatusCode)
	}
	var doc struct {
		OpenAPI string                                         `json:"openapi"`
		Paths   map[string]map[string]struct{ Summary string } `json:"paths"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil || doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi document: %v", err)
	}
	n := 0
	for _, rt := range ta.Routes() {
		if !strings.HasPrefix(rt.Pattern, "/api/") {
			continue
		}
		n++
		op, ok := doc.Paths[rt.Pattern][strings.ToLower(rt.Method)]
		if !ok || op.Summary == "" {
			t.Errorf("%s %s has no summary in the OpenAPI document", rt.Method, rt.Pattern)
		}
	}
	if n < 8 {
		t.Errorf("only %d API routes", n)
	}
}

// TestCheckupFromTheWeb changes a parameter, runs a health check from the web
// and reads its results and findings within scope.
func TestCheckupFromTheWeb(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ta := newTestApp(t, d)
		h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
		post := func(user, path string, v url.Values) (*http.Response, string) {
			return ta.do(t, user, "POST", path, strings.NewReader(v.Encode()), h)
		}
		if resp, _ := post("admin", "/checkup/indicators/housing.gas_pipe_age", url.Values{"params": {"{bad"}}); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("bad JSON = %d", resp.StatusCode)
		}
		if resp, _ := post("admin", "/checkup/indicators/housing.gas_pipe_age", url.Values{"params": {`{"max_age_years": "old"}`}}); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("wrong parameter type = %d", resp.StatusCode)
		}
		if resp, _ := post("admin", "/checkup/indicators/no.such", url.Values{"params": {`{}`}}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("unknown indicator = %d", resp.StatusCode)
		}
		if resp, page := post("district", "/checkup/indicators/housing.gas_pipe_age", url.Values{"params": {`{"max_age_years": 25}`}}); resp.StatusCode != 200 || !strings.Contains(page, "已修改") {
			t.Fatalf("override = %d", resp.StatusCode)
		}
		if resp, _ := post("district", "/checkup/runs", url.Values{"year": {"2026"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("start run = %d", resp.StatusCode)
		}
		var run struct {
			ID     int64
			Status string
			Params map[string]map[string]any
		}
		for i := 0; i < 300; i++ {
			_, body := ta.do(t, "district", "GET", "/checkup/status", nil, map[string]string{"Accept": "application/json"})
			if err := json.Unmarshal([]byte(body), &run); err != nil {
				t.Fatal(err)
			}
			if run.Status != "running" && run.ID != 0 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if run.Status != "done" || run.Params["housing.gas_pipe_age"]["max_age_years"] != 25.0 {
			t.Fatalf("run = %+v", run)
		}
		resp, body := ta.do(t, "community", "GET", "/api/v1/checkup/runs/"+jsonNumber(run.ID)+"/results", nil, nil)
		if resp.StatusCode != 200 || !strings.Contains(body, `"code":"housing.elevator_need"`) {
			t.Fatalf("results = %d %s", resp.StatusCode, body)
		}
		// Every building of the fixture has six storeys and no elevator: each is a
		// finding, and a community worker sees only those of its community.
		_, body = ta.do(t, "community", "GET", "/api/v1/findings?indicator=housing.elevator_need", nil, nil)
		var fc struct {
			Total    int
			Features []struct{ ID int64 }
		}
		if err := json.Unmarshal([]byte(body), &fc); err != nil || fc.Total != 4 {
			t.Fatalf("community findings = %d, %v: %s", fc.Total, err, body)
		}
		_, body = ta.do(t, "admin", "GET", "/api/v1/findings?indicator=housing.elevator_need", nil, nil)
		if err := json.Unmarshal([]byte(body), &fc); err != nil || fc.Total != 6 {
			t.Fatalf("all findings = %d, %v", fc.Total, err)
		}
		// A finding outside the community worker's area is refused; inside it may
		// move to "in project", which the history records.
		var outside, inside int64
		for _, f := range fc.Features {
			fd, err := ta.Checkup.FindingByID(context.Background(), f.ID)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(fd.RegionPath, "/1/2/4/") {
				outside = f.ID
			} else {
				inside = f.ID
			}
		}
		if resp, _ := post("community", "/findings/"+jsonNumber(outside)+"/status", url.Values{"status": {"in_project"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("status change outside the area = %d", resp.StatusCode)
		}
		if resp, _ := post("community", "/findings/"+jsonNumber(inside)+"/status", url.Values{"status": {"verified"}}); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("new → verified = %d, want 400", resp.StatusCode)
		}
		if resp, page := post("community", "/findings/"+jsonNumber(inside)+"/status", url.Values{"status": {"in_project"}, "note": {"2027 项目"}}); resp.StatusCode != 200 || !strings.Contains(page, "2027 项目") {
			t.Errorf("status change = %d", resp.StatusCode)
		}
		resp, _ = ta.do(t, "district", "GET", "/checkup/findings.xlsx?indicator=housing.elevator_need", nil, nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
			t.Errorf("findings export = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	})
}
