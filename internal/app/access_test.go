package app_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
)

// TestEveryRouteEveryRole walks every route with every role and with no login:
// a route a role may use never answers 401 or 403; one it may not use answers
// 403; without a login every non-public route answers 401.
func TestEveryRouteEveryRole(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ta := newTestApp(t, d)
		routes := ta.Routes()
		if len(routes) < 30 {
			t.Fatalf("only %d routes registered", len(routes))
		}
		json := map[string]string{"Accept": "application/json"}
		for _, rt := range routes {
			if rt.Pattern == "/static/" {
				continue
			}
			path := fill(rt.Pattern)
			resp, _ := ta.do(t, "", rt.Method, path, nil, json)
			switch {
			case rt.Public && rt.Method != "GET":
				// Public forms (login, logout) are checked in TestLogin.
			case rt.Public && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden):
				t.Errorf("anonymous %s %s = %d, want the public page", rt.Method, path, resp.StatusCode)
			case !rt.Public && resp.StatusCode != http.StatusUnauthorized:
				t.Errorf("anonymous %s %s = %d, want 401", rt.Method, path, resp.StatusCode)
			}
			if rt.Public {
				continue
			}
			for _, acc := range accounts {
				resp, body := ta.do(t, acc.username, rt.Method, path, nil, json)
				allowed := auth.Can(acc.role, rt.Perm)
				switch {
				case allowed && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden):
					t.Errorf("%s %s %s = %d, want it allowed: %s", acc.role, rt.Method, path, resp.StatusCode, strings.TrimSpace(body))
				case !allowed && resp.StatusCode != http.StatusForbidden:
					t.Errorf("%s %s %s = %d, want 403", acc.role, rt.Method, path, resp.StatusCode)
				case allowed && resp.StatusCode >= 500:
					t.Errorf("%s %s %s = %d: %s", acc.role, rt.Method, path, resp.StatusCode, strings.TrimSpace(body))
				}
			}
		}
	})
}

// TestScopeDenials proves that staff see nothing outside their region.
func TestScopeDenials(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ta := newTestApp(t, d)
		json := map[string]string{"Accept": "application/json"}
		tests := []struct {
			user, method, path string
			want               int
		}{
			// Compound 3 lies in subdistrict B; compound 2 in grid A1-2.
			{"community", "GET", "/compounds/3", http.StatusForbidden},
			{"community", "GET", "/compounds/2", http.StatusOK},
			{"grid", "GET", "/compounds/2", http.StatusForbidden},
			{"grid", "GET", "/compounds/1", http.StatusOK},
			{"subdistrict", "GET", "/api/v1/compounds/3", http.StatusForbidden},
			{"district", "GET", "/api/v1/compounds/3", http.StatusOK},
			{"community", "GET", "/regions/4", http.StatusForbidden},
			{"community", "GET", "/api/v1/regions/6", http.StatusForbidden},
			{"grid", "GET", "/regions/5", http.StatusForbidden},
			{"community", "GET", "/buildings/31", http.StatusForbidden},
			{"grid", "GET", "/buildings/21", http.StatusForbidden},
			{"grid", "GET", "/buildings/11", http.StatusOK},
			// Owner 17 owns a household of compound 3; owner 1 one of compound 1.
			{"community", "POST", "/owners/17/reveal", http.StatusForbidden},
			{"grid", "POST", "/owners/9/reveal", http.StatusForbidden},
			{"grid", "POST", "/owners/1/reveal", http.StatusOK},
			{"admin", "POST", "/owners/17/reveal", http.StatusOK},
			{"department", "POST", "/owners/1/reveal", http.StatusForbidden},
		}
		for _, tt := range tests {
			resp, body := ta.do(t, tt.user, tt.method, tt.path, nil, json)
			if resp.StatusCode != tt.want {
				t.Errorf("%s %s %s = %d, want %d: %s", tt.user, tt.method, tt.path, resp.StatusCode, tt.want, strings.TrimSpace(body))
			}
		}
		// Lists are cut to the scope as well.
		_, body := ta.do(t, "community", "GET", "/api/v1/compounds", nil, json)
		if !strings.Contains(body, `"total":2`) || strings.Contains(body, "化工宿舍") {
			t.Errorf("community compound list = %s", body)
		}
		_, body = ta.do(t, "grid", "GET", "/api/v1/layers/compounds", nil, json)
		if strings.Count(body, `"Feature"`) != 1 {
			t.Errorf("grid worker sees %d compounds on the map, want 1", strings.Count(body, `"Feature"`))
		}
		_, body = ta.do(t, "community", "GET", "/search?q=宿舍", nil, json)
		if strings.Contains(body, "化工宿舍") {
			t.Errorf("community search finds a compound outside its area")
		}
	})
}
