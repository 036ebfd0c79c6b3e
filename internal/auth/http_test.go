package auth_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
)

// whoami answers with the principal, the audit actor, the CSRF token and a form
// value, so tests see what the handler behind the middleware got.
var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	name := "anonymous"
	if p, ok := auth.PrincipalFrom(r.Context()); ok {
		name = p.Username
	}
	fmt.Fprintf(w, "%s|%s|%s|%s", name, audit.ActorFrom(r.Context()).Name, auth.CSRFToken(r.Context()), r.FormValue("note"))
})

type request struct {
	method, path string
	cookie       string
	header       map[string]string
	form         url.Values
}

func serve(h http.Handler, rq request) *httptest.ResponseRecorder {
	var body *strings.Reader
	if rq.form != nil {
		body = strings.NewReader(rq.form.Encode())
	} else {
		body = strings.NewReader("")
	}
	r := httptest.NewRequest(rq.method, rq.path, body)
	if rq.form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if rq.cookie != "" {
		r.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: rq.cookie})
	}
	for k, v := range rq.header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestMiddleware(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.user(t, "wang", auth.RoleGridWorker, 5)
		sess, err := e.svc.Login(e.ctx, "wang", pw, "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		key, _, err := e.svc.CreateAPIKey(e.ctx, "hotline", auth.RoleDistrictOfficer, 2)
		if err != nil {
			t.Fatal(err)
		}
		h := e.svc.Middleware(whoami)
		tok := sess.Token
		wantWang := "wang|wang|" + sess.CSRFToken + "|"

		tests := []struct {
			name   string
			rq     request
			status int
			body   string // prefix of the body
		}{
			{"anonymous GET", request{method: "GET", path: "/"}, 200, "anonymous|unknown||"},
			{"anonymous POST needs no token", request{method: "POST", path: "/login", form: url.Values{"note": {"hi"}}}, 200, "anonymous|unknown||hi"},
			{"session GET", request{method: "GET", path: "/", cookie: tok}, 200, wantWang},
			{"session HEAD", request{method: "HEAD", path: "/", cookie: tok}, 200, ""},
			{"POST without CSRF token", request{method: "POST", path: "/x", cookie: tok, form: url.Values{"note": {"hi"}}}, 403, "安全校验失败"},
			{"POST with wrong header", request{method: "POST", path: "/x", cookie: tok, header: map[string]string{"X-CSRF-Token": "forged"}}, 403, ""},
			{"POST with wrong field", request{method: "POST", path: "/x", cookie: tok, form: url.Values{"csrf_token": {sess.Token}}}, 403, ""},
			{"DELETE without token", request{method: "DELETE", path: "/x", cookie: tok}, 403, ""},
			{"PUT API without token", request{method: "PUT", path: "/api/v1/x", cookie: tok}, 403, `{"error":`},
			{"POST with header", request{method: "POST", path: "/x", cookie: tok, header: map[string]string{"X-CSRF-Token": sess.CSRFToken}}, 200, wantWang},
			{"POST with form field keeps the form", request{method: "POST", path: "/x", cookie: tok, form: url.Values{"csrf_token": {sess.CSRFToken}, "note": {"hi"}}}, 200, wantWang + "hi"},
			{"PATCH with header", request{method: "PATCH", path: "/x", cookie: tok, header: map[string]string{"X-CSRF-Token": sess.CSRFToken}}, 200, wantWang},
			{"bearer POST needs no CSRF", request{method: "POST", path: "/api/v1/x", header: map[string]string{"Authorization": "Bearer " + key}}, 200, "apikey:"},
			{"bad bearer", request{method: "GET", path: "/api/v1/x", header: map[string]string{"Authorization": "Bearer gx_00000000_nope"}}, 401, `{"error":`},
			{"bearer wins over cookie", request{method: "POST", path: "/api/v1/x", cookie: tok, header: map[string]string{"Authorization": "bearer " + key}}, 200, "apikey:"},
			{"unknown cookie is anonymous", request{method: "GET", path: "/", cookie: "stale"}, 200, "anonymous"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				w := serve(h, tt.rq)
				if w.Code != tt.status || !strings.HasPrefix(w.Body.String(), tt.body) {
					t.Fatalf("%d %q, want %d %q…", w.Code, w.Body.String(), tt.status, tt.body)
				}
			})
		}

		// A stale cookie is cleared.
		w := serve(h, request{method: "GET", path: "/", cookie: "stale"})
		if c := w.Result().Cookies(); len(c) != 1 || c[0].Name != auth.SessionCookie || c[0].MaxAge >= 0 {
			t.Errorf("stale cookie not cleared: %v", c)
		}
		// An idle session goes anonymous.
		e.clock.advance(13 * time.Hour)
		if w := serve(h, request{method: "GET", path: "/", cookie: tok}); !strings.HasPrefix(w.Body.String(), "anonymous") {
			t.Errorf("expired session: %q", w.Body.String())
		}
	})
}

func TestRequire(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.user(t, "wang", auth.RoleGridWorker, 5)
		e.user(t, "resident1", auth.RoleResident, 0)
		login := func(name string) string {
			s, err := e.svc.Login(e.ctx, name, pw, "")
			if err != nil {
				t.Fatal(err)
			}
			return s.Token
		}
		grid, res := login("wang"), login("resident1")
		h := e.svc.Middleware(auth.Require(auth.PlacesRead, whoami))

		w := serve(h, request{method: "GET", path: "/places?q=1"})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login?next=%2Fplaces%3Fq%3D1" {
			t.Errorf("anonymous page: %d → %q", w.Code, w.Header().Get("Location"))
		}
		for _, rq := range []request{
			{method: "GET", path: "/api/v1/places"},
			{method: "GET", path: "/places", header: map[string]string{"Accept": "application/json"}},
		} {
			w := serve(h, rq)
			var body map[string]string
			if w.Code != http.StatusUnauthorized || json.Unmarshal(w.Body.Bytes(), &body) != nil || body["error"] == "" {
				t.Errorf("anonymous %s: %d %q", rq.path, w.Code, w.Body.String())
			}
		}
		if w := serve(h, request{method: "GET", path: "/places", cookie: res}); w.Code != http.StatusForbidden {
			t.Errorf("resident on places: %d", w.Code)
		}
		if w := serve(h, request{method: "GET", path: "/places", cookie: grid}); w.Code != http.StatusOK || !strings.HasPrefix(w.Body.String(), "wang|") {
			t.Errorf("grid worker on places: %d %q", w.Code, w.Body.String())
		}
		m := e.svc.Middleware(auth.Require(auth.MapView, whoami))
		if w := serve(m, request{method: "GET", path: "/map", cookie: res}); w.Code != http.StatusOK {
			t.Errorf("resident on map: %d", w.Code)
		}
	})
}

func TestSessionCookie(t *testing.T) {
	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/login", nil)
	auth.SetSessionCookie(w, r, "tok", true)
	auth.ClearSessionCookie(w)
	cs := w.Result().Cookies()
	if len(cs) != 2 {
		t.Fatalf("cookies = %v", cs)
	}
	c := cs[0]
	if c.Name != "gx_session" || c.Value != "tok" || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
		t.Errorf("session cookie = %+v", c)
	}
	if c := cs[1]; c.Name != "gx_session" || c.Value != "" || c.MaxAge >= 0 || c.Path != "/" {
		t.Errorf("clearing cookie = %+v", c)
	}
	w = httptest.NewRecorder()
	auth.SetSessionCookie(w, r, "tok", false)
	if c := w.Result().Cookies()[0]; c.Secure {
		t.Error("plain-HTTP cookie marked Secure")
	}
}
