package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
)

// clock is a settable clock for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a service on a seeded database:
//
//	region 1 city /1/ → 2 district /1/2/ → 3 subdistrict /1/2/3/ → 5 community /1/2/3/5/
//	                                    → 4 subdistrict /1/2/4/
//	compound 10 in region 5 (building 100, household 1000)
//	compound 11 in region 4 (building 101, household 1001)
type env struct {
	d     *db.DB
	clock *clock
	log   *audit.Log
	svc   *auth.Service
	ctx   context.Context
}

const pw = "secret-password-1"

func newEnv(t *testing.T, d *db.DB, opts ...auth.Option) *env {
	t.Helper()
	c := &clock{t: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	log := audit.New(d, c.now)
	e := &env{d: d, clock: c, log: log, ctx: audit.WithActor(context.Background(), audit.System("test"))}
	e.svc = auth.New(d, log, c.now, append([]auth.Option{auth.WithParams(cheapParams())}, opts...)...)
	now := c.now()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := d.Write().ExecContext(e.ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, r := range []struct {
		id, parent  int64
		level, path string
	}{
		{1, 0, "city", "/1/"}, {2, 1, "district", "/1/2/"}, {3, 2, "subdistrict", "/1/2/3/"},
		{4, 2, "subdistrict", "/1/2/4/"}, {5, 3, "community", "/1/2/3/5/"},
	} {
		var parent any
		if r.parent != 0 {
			parent = r.parent
		}
		exec(`INSERT INTO regions (id, parent_id, code, level, name, path, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
			r.id, parent, "R"+r.path, r.level, "区域"+r.path, r.path, now)
	}
	for _, c := range []struct {
		id, region int64
		path       string
	}{{10, 5, "/1/2/3/5/"}, {11, 4, "/1/2/4/"}} {
		exec(`INSERT INTO compounds (id, code, region_id, region_path, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)`,
			c.id, "C"+c.path, c.region, c.path, "小区"+c.path, now)
		exec(`INSERT INTO buildings (id, code, compound_id, name, storeys, created_at, updated_at) VALUES ($1, $2, $3, $4, 6, $5, $5)`,
			c.id*10, "B"+c.path, c.id, "1号楼", now)
		exec(`INSERT INTO households (id, code, building_id, room, floor, created_at, updated_at) VALUES ($1, $2, $3, '101', 1, $4, $4)`,
			c.id*100, "H"+c.path, c.id*10, now)
	}
	return e
}

func (e *env) user(t *testing.T, name, role string, region int64) auth.User {
	t.Helper()
	u, err := e.svc.CreateUser(e.ctx, auth.NewUser{Username: name, DisplayName: strings.ToUpper(name), Password: pw, Role: role, RegionID: region})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return u
}

func TestCreateUserValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.user(t, "taken", auth.RoleAdmin, 0)
		tests := []struct {
			name string
			nu   auth.NewUser
			want error
		}{
			{"short username", auth.NewUser{Username: "ab", Password: pw, Role: auth.RoleAdmin}, auth.ErrBadUsername},
			{"long username", auth.NewUser{Username: strings.Repeat("a", 33), Password: pw, Role: auth.RoleAdmin}, auth.ErrBadUsername},
			{"space in username", auth.NewUser{Username: "wang wu", Password: pw, Role: auth.RoleAdmin}, auth.ErrBadUsername},
			{"chinese username", auth.NewUser{Username: "王五五", Password: pw, Role: auth.RoleAdmin}, auth.ErrBadUsername},
			{"taken username", auth.NewUser{Username: "taken", Password: pw, Role: auth.RoleAdmin}, auth.ErrUsernameTaken},
			{"taken username, other case", auth.NewUser{Username: " TAKEN ", Password: pw, Role: auth.RoleAdmin}, auth.ErrUsernameTaken},
			{"unknown role", auth.NewUser{Username: "boss", Password: pw, Role: "boss"}, auth.ErrBadRole},
			{"grid worker without region", auth.NewUser{Username: "grid1", Password: pw, Role: auth.RoleGridWorker}, auth.ErrRegionRequired},
			{"district officer without region", auth.NewUser{Username: "dist1", Password: pw, Role: auth.RoleDistrictOfficer}, auth.ErrRegionRequired},
			{"handler without region", auth.NewUser{Username: "dept1", Password: pw, Role: auth.RoleDepartmentHandler}, auth.ErrRegionRequired},
			{"unknown region", auth.NewUser{Username: "grid2", Password: pw, Role: auth.RoleGridWorker, RegionID: 99}, auth.ErrUnknownRegion},
			{"short password", auth.NewUser{Username: "grid3", Password: "short", Role: auth.RoleGridWorker, RegionID: 5}, auth.ErrWeakPassword},
			{"bad locale", auth.NewUser{Username: "grid4", Password: pw, Role: auth.RoleGridWorker, RegionID: 5, Locale: "fr"}, auth.ErrBadLocale},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := e.svc.CreateUser(e.ctx, tt.nu); !errors.Is(err, tt.want) {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
			})
		}
		_, total, err := e.svc.ListUsers(e.ctx, auth.UserFilter{})
		if err != nil || total != 1 {
			t.Fatalf("after refused creations: %d users, %v; want only the first", total, err)
		}
		// Roles that may go without a region.
		for _, r := range []string{auth.RoleAuditor, auth.RoleResident} {
			if _, err := e.svc.CreateUser(e.ctx, auth.NewUser{Username: "x-" + r, Password: pw, Role: r}); err != nil {
				t.Errorf("%s without region: %v", r, err)
			}
		}
	})
}

func TestUsers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		admin := e.user(t, "admin", auth.RoleAdmin, 0)
		u, err := e.svc.CreateUser(e.ctx, auth.NewUser{Username: "Wang.Grid", DisplayName: "王网格", Password: pw, Role: auth.RoleGridWorker, RegionID: 5, Locale: "en"})
		if err != nil {
			t.Fatal(err)
		}
		if u.ID == 0 || u.Username != "wang.grid" || u.RegionPath != "/1/2/3/5/" || u.RegionName != "区域/1/2/3/5/" || u.Locale != "en" ||
			u.Disabled || !u.CreatedAt.Equal(e.clock.now()) || !u.LastLoginAt.IsZero() {
			t.Fatalf("created user = %+v", u)
		}
		e.user(t, "li.sub", auth.RoleSubdistrictOfficer, 4)
		e.user(t, "zhao.comm", auth.RoleCommunityWorker, 5)

		got, err := e.svc.GetUser(e.ctx, u.ID)
		if err != nil || got != u {
			t.Fatalf("GetUser = %+v, %v; want %+v", got, err, u)
		}
		if got, err := e.svc.UserByUsername(e.ctx, "WANG.GRID"); err != nil || got.ID != u.ID {
			t.Fatalf("UserByUsername = %+v, %v", got, err)
		}
		if _, err := e.svc.GetUser(e.ctx, 999); !errors.Is(err, auth.ErrUserNotFound) {
			t.Fatalf("missing user: %v", err)
		}
		if _, err := e.svc.UserByUsername(e.ctx, "nobody"); !errors.Is(err, auth.ErrUserNotFound) {
			t.Fatalf("missing username: %v", err)
		}

		list := func(f auth.UserFilter) []string {
			t.Helper()
			us, _, err := e.svc.ListUsers(e.ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, u := range us {
				names = append(names, u.Username)
			}
			return names
		}
		for _, tt := range []struct {
			f    auth.UserFilter
			want string
		}{
			{auth.UserFilter{}, "admin li.sub wang.grid zhao.comm"},
			{auth.UserFilter{RegionPath: "/1/2/3/"}, "wang.grid zhao.comm"},
			{auth.UserFilter{RegionPath: "/1/2/"}, "li.sub wang.grid zhao.comm"},
			{auth.UserFilter{Role: auth.RoleGridWorker}, "wang.grid"},
			{auth.UserFilter{Query: "网格"}, "wang.grid"},
			{auth.UserFilter{Query: "ZHAO"}, "zhao.comm"},
			{auth.UserFilter{Query: "%"}, ""},
			{auth.UserFilter{Limit: 2, Offset: 1}, "li.sub wang.grid"},
		} {
			if got := strings.Join(list(tt.f), " "); got != tt.want {
				t.Errorf("ListUsers(%+v) = %q, want %q", tt.f, got, tt.want)
			}
		}
		if _, total, _ := e.svc.ListUsers(e.ctx, auth.UserFilter{Limit: 1}); total != 4 {
			t.Errorf("total = %d, want 4", total)
		}

		// Move the grid worker to a community role in another subdistrict.
		role, region, name := auth.RoleCommunityWorker, int64(4), "王社区"
		up, err := e.svc.UpdateUser(e.ctx, u.ID, auth.UserUpdate{Role: &role, RegionID: &region, DisplayName: &name})
		if err != nil {
			t.Fatal(err)
		}
		if up.Role != role || up.RegionPath != "/1/2/4/" || up.DisplayName != name {
			t.Fatalf("updated = %+v", up)
		}
		noRegion := int64(0)
		if _, err := e.svc.UpdateUser(e.ctx, u.ID, auth.UserUpdate{RegionID: &noRegion}); !errors.Is(err, auth.ErrRegionRequired) {
			t.Errorf("removing a community worker's region: %v", err)
		}
		bad := "chief"
		if _, err := e.svc.UpdateUser(e.ctx, u.ID, auth.UserUpdate{Role: &bad}); !errors.Is(err, auth.ErrBadRole) {
			t.Errorf("unknown role: %v", err)
		}
		yes := true
		if _, err := e.svc.UpdateUser(e.ctx, admin.ID, auth.UserUpdate{Disabled: &yes}); !errors.Is(err, auth.ErrLastAdmin) {
			t.Errorf("disabling the only admin: %v", err)
		}
		if _, err := e.svc.UpdateUser(e.ctx, 999, auth.UserUpdate{Disabled: &yes}); !errors.Is(err, auth.ErrUserNotFound) {
			t.Errorf("updating a missing user: %v", err)
		}

		// A new password works at once and ends the old sessions.
		sess, err := e.svc.Login(e.ctx, "li.sub", pw, "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		li, _ := e.svc.UserByUsername(e.ctx, "li.sub")
		if err := e.svc.SetPassword(e.ctx, li.ID, "short"); !errors.Is(err, auth.ErrWeakPassword) {
			t.Errorf("short new password: %v", err)
		}
		if err := e.svc.SetPassword(e.ctx, li.ID, "another-password"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.Authenticate(e.ctx, sess.Token); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("session after password change: %v", err)
		}
		if _, err := e.svc.Login(e.ctx, "li.sub", pw, "10.0.0.1"); !errors.Is(err, auth.ErrBadCredentials) {
			t.Errorf("old password: %v", err)
		}
		if _, err := e.svc.Login(e.ctx, "li.sub", "another-password", "10.0.0.1"); err != nil {
			t.Errorf("new password: %v", err)
		}
		if err := e.svc.SetPassword(e.ctx, 999, "another-password"); !errors.Is(err, auth.ErrUserNotFound) {
			t.Errorf("password of missing user: %v", err)
		}
	})
}

func TestLogin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		u := e.user(t, "wang", auth.RoleGridWorker, 5)

		sess, err := e.svc.Login(e.ctx, "Wang", pw, "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if len(sess.Token) != 43 || len(sess.CSRFToken) != 43 || sess.Token == sess.CSRFToken || sess.UserID != u.ID {
			t.Fatalf("session = %+v", sess)
		}
		if !sess.ExpiresAt.Equal(e.clock.now().Add(7 * 24 * time.Hour)) {
			t.Errorf("expires at %v", sess.ExpiresAt)
		}
		var stored int
		if err := d.Read().QueryRowContext(e.ctx, `SELECT COUNT(*) FROM sessions WHERE token_hash = $1 OR token_hash = $2`, sess.Token, sess.CSRFToken).Scan(&stored); err != nil || stored != 0 {
			t.Errorf("plain token stored as the key (%d, %v)", stored, err)
		}
		p, got, err := e.svc.Authenticate(e.ctx, sess.Token)
		if err != nil {
			t.Fatal(err)
		}
		want := auth.Principal{Kind: auth.KindUser, UserID: u.ID, Username: "wang", DisplayName: "WANG", Role: auth.RoleGridWorker,
			RegionID: 5, RegionPath: "/1/2/3/5/", Locale: "zh-CN"}
		if *p != want || got.CSRFToken != sess.CSRFToken || got.Token != "" {
			t.Fatalf("Authenticate = %+v %+v", p, got)
		}
		if u2, _ := e.svc.GetUser(e.ctx, u.ID); !u2.LastLoginAt.Equal(e.clock.now()) {
			t.Errorf("last login = %v", u2.LastLoginAt)
		}

		for _, tt := range []struct {
			name, user, pass string
			want             error
		}{
			{"wrong password", "wang", "wrong-password", auth.ErrBadCredentials},
			{"unknown user", "lisi", pw, auth.ErrBadCredentials},
			{"empty", "", "", auth.ErrBadCredentials},
		} {
			if s, err := e.svc.Login(e.ctx, tt.user, tt.pass, "10.0.0.2"); !errors.Is(err, tt.want) || s != nil {
				t.Errorf("%s: %v, %v", tt.name, s, err)
			}
		}

		yes := true
		if _, err := e.svc.UpdateUser(e.ctx, u.ID, auth.UserUpdate{Disabled: &yes}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.Authenticate(e.ctx, sess.Token); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("session of disabled user: %v", err)
		}
		if _, err := e.svc.Login(e.ctx, "wang", pw, "10.0.0.1"); !errors.Is(err, auth.ErrDisabled) {
			t.Errorf("disabled login: %v", err)
		}
		if _, err := e.svc.Login(e.ctx, "wang", "wrong-password", "10.0.0.1"); !errors.Is(err, auth.ErrBadCredentials) {
			t.Errorf("disabled account with wrong password must not reveal it is disabled: %v", err)
		}

		// Logout ends the session.
		e.user(t, "lisi", auth.RoleGridWorker, 5)
		s2, err := e.svc.Login(e.ctx, "lisi", pw, "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Logout(e.ctx, s2.Token); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.Authenticate(e.ctx, s2.Token); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("after logout: %v", err)
		}
		if err := e.svc.Logout(e.ctx, s2.Token); err != nil {
			t.Errorf("second logout: %v", err)
		}
		if _, _, err := e.svc.Authenticate(e.ctx, "made-up"); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("made-up token: %v", err)
		}
	})
}

func TestLoginUpgradesHash(t *testing.T) {
	d := dbtest.SQLite(t)
	e := newEnv(t, d)
	u := e.user(t, "wang", auth.RoleGridWorker, 5)
	stronger := cheapParams()
	stronger.Time = 2
	svc := auth.New(d, e.log, e.clock.now, auth.WithParams(stronger))
	if _, err := svc.Login(e.ctx, "wang", pw, ""); err != nil {
		t.Fatal(err)
	}
	var h string
	if err := d.Read().QueryRowContext(e.ctx, `SELECT password_hash FROM users WHERE id = $1`, u.ID).Scan(&h); err != nil {
		t.Fatal(err)
	}
	if auth.NeedsRehash(h, stronger) {
		t.Errorf("hash %q was not upgraded at login", h)
	}
	if _, err := svc.Login(e.ctx, "wang", pw, ""); err != nil {
		t.Errorf("login after upgrade: %v", err)
	}
}

func TestLoginRateLimit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.user(t, "wang", auth.RoleGridWorker, 5)
		e.user(t, "lisi", auth.RoleGridWorker, 5)

		// Five wrong passwords for one username, from different addresses.
		for i := range 5 {
			if _, err := e.svc.Login(e.ctx, "wang", "wrong-password", "10.0.0."+string(rune('1'+i))); !errors.Is(err, auth.ErrBadCredentials) {
				t.Fatalf("failure %d: %v", i+1, err)
			}
			e.clock.advance(time.Minute)
		}
		// Now even the right password is refused, for that username only.
		if _, err := e.svc.Login(e.ctx, "wang", pw, "10.9.9.9"); !errors.Is(err, auth.ErrRateLimited) {
			t.Fatalf("sixth attempt: %v", err)
		}
		if _, err := e.svc.Login(e.ctx, "lisi", pw, "10.9.9.9"); err != nil {
			t.Fatalf("other user is blocked too: %v", err)
		}
		// The first failure leaves the 15-minute window 11 minutes on.
		e.clock.advance(11 * time.Minute)
		if _, err := e.svc.Login(e.ctx, "wang", pw, "10.9.9.9"); err != nil {
			t.Fatalf("after the window: %v", err)
		}
		// Success clears the username's count.
		for range 4 {
			e.svc.Login(e.ctx, "wang", "wrong-password", "10.9.9.8")
		}
		if _, err := e.svc.Login(e.ctx, "wang", pw, "10.9.9.8"); err != nil {
			t.Fatalf("four failures after a success: %v", err)
		}

		// Twenty failures from one address block it for every username.
		for i := range 20 {
			name := "guess" + string(rune('a'+i))
			if _, err := e.svc.Login(e.ctx, name, "wrong-password", "192.0.2.7"); !errors.Is(err, auth.ErrBadCredentials) {
				t.Fatalf("guess %d: %v", i+1, err)
			}
		}
		if _, err := e.svc.Login(e.ctx, "lisi", pw, "192.0.2.7"); !errors.Is(err, auth.ErrRateLimited) {
			t.Fatalf("blocked address: %v", err)
		}
		if _, err := e.svc.Login(e.ctx, "lisi", pw, "192.0.2.8"); err != nil {
			t.Fatalf("other address: %v", err)
		}
		e.clock.advance(15 * time.Minute)
		if _, err := e.svc.Login(e.ctx, "lisi", pw, "192.0.2.7"); err != nil {
			t.Fatalf("address after the window: %v", err)
		}
	})
}

func TestSessionExpiry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.user(t, "wang", auth.RoleGridWorker, 5)

		// Idle: activity every 11 hours keeps the session; 12 idle hours end it.
		s, err := e.svc.Login(e.ctx, "wang", pw, "")
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			e.clock.advance(11 * time.Hour)
			if _, _, err := e.svc.Authenticate(e.ctx, s.Token); err != nil {
				t.Fatalf("active session: %v", err)
			}
		}
		e.clock.advance(12 * time.Hour)
		if _, _, err := e.svc.Authenticate(e.ctx, s.Token); !errors.Is(err, auth.ErrSessionExpired) {
			t.Fatalf("idle session: %v", err)
		}
		if _, _, err := e.svc.Authenticate(e.ctx, s.Token); !errors.Is(err, auth.ErrNoSession) {
			t.Fatalf("expired session was kept: %v", err)
		}

		// Absolute: a session used every few hours still ends after 7 days.
		s, err = e.svc.Login(e.ctx, "wang", pw, "")
		if err != nil {
			t.Fatal(err)
		}
		for h := 0; h < 7*24-6; h += 6 {
			e.clock.advance(6 * time.Hour)
			if _, _, err := e.svc.Authenticate(e.ctx, s.Token); err != nil {
				t.Fatalf("after %d h: %v", h+6, err)
			}
		}
		e.clock.advance(6 * time.Hour)
		if _, _, err := e.svc.Authenticate(e.ctx, s.Token); !errors.Is(err, auth.ErrSessionExpired) {
			t.Fatalf("after 7 days: %v", err)
		}

		// Options shorten both.
		svc := auth.New(d, e.log, e.clock.now, auth.WithParams(cheapParams()), auth.WithIdleTimeout(time.Hour), auth.WithAbsoluteTimeout(2*time.Hour))
		s, err = svc.Login(e.ctx, "wang", pw, "")
		if err != nil {
			t.Fatal(err)
		}
		e.clock.advance(61 * time.Minute)
		if _, _, err := svc.Authenticate(e.ctx, s.Token); !errors.Is(err, auth.ErrSessionExpired) {
			t.Fatalf("short idle timeout: %v", err)
		}

		// PurgeSessions removes sessions past their absolute end.
		if _, err := e.svc.Login(e.ctx, "wang", pw, ""); err != nil {
			t.Fatal(err)
		}
		e.clock.advance(8 * 24 * time.Hour)
		if _, err := e.svc.Login(e.ctx, "wang", pw, ""); err != nil {
			t.Fatal(err)
		}
		n, err := e.svc.PurgeSessions(e.ctx)
		if err != nil || n != 1 {
			t.Fatalf("purged %d, %v; want 1", n, err)
		}
	})
}

func TestAPIKeys(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		admin := e.user(t, "admin", auth.RoleAdmin, 0)
		ctx := auth.WithPrincipal(e.ctx, &auth.Principal{Kind: auth.KindUser, UserID: admin.ID, Username: "admin", Role: auth.RoleAdmin})

		key, k, err := e.svc.CreateAPIKey(ctx, "12345 热线对接", auth.RoleSubdistrictOfficer, 3)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(key, "gx_"+k.Prefix+"_") || len(k.Prefix) != 8 || len(key) < 40 {
			t.Fatalf("key %q, prefix %q", key, k.Prefix)
		}
		if k.CreatedBy != admin.ID || k.RegionPath != "/1/2/3/" || k.Revoked() || !k.LastUsedAt.IsZero() {
			t.Fatalf("key = %+v", k)
		}
		secret := strings.TrimPrefix(key, "gx_"+k.Prefix+"_")
		var n int
		if err := d.Read().QueryRowContext(e.ctx, `SELECT COUNT(*) FROM api_keys WHERE secret_hash = $1 OR secret_hash = $2`, secret, key).Scan(&n); err != nil || n != 0 {
			t.Errorf("secret stored in plain (%d, %v)", n, err)
		}

		p, err := e.svc.AuthenticateAPIKey(e.ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if p.Kind != auth.KindAPIKey || p.APIKeyID != k.ID || p.Role != auth.RoleSubdistrictOfficer || p.RegionPath != "/1/2/3/" || p.DisplayName != "12345 热线对接" {
			t.Fatalf("principal = %+v", p)
		}
		if !p.Covers("/1/2/3/5/") || p.Covers("/1/2/4/") {
			t.Error("key scope is wrong")
		}
		keys, err := e.svc.ListAPIKeys(e.ctx)
		if err != nil || len(keys) != 1 || keys[0].LastUsedAt.IsZero() {
			t.Fatalf("ListAPIKeys = %+v, %v; want one used key", keys, err)
		}

		wrongSecret := key[:len(key)-4] + "AAAA"
		if strings.HasSuffix(key, "AAAA") {
			wrongSecret = key[:len(key)-4] + "BBBB"
		}
		for _, bad := range []string{"", "gx_", "nonsense", "gx_" + k.Prefix, "gx_00000000_" + secret, wrongSecret, "gx_" + k.Prefix + "-" + secret} {
			if _, err := e.svc.AuthenticateAPIKey(e.ctx, bad); !errors.Is(err, auth.ErrBadAPIKey) {
				t.Errorf("AuthenticateAPIKey(%q) = %v, want ErrBadAPIKey", bad, err)
			}
		}

		if err := e.svc.RevokeAPIKey(ctx, k.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AuthenticateAPIKey(e.ctx, key); !errors.Is(err, auth.ErrAPIKeyRevoked) {
			t.Errorf("revoked key: %v", err)
		}
		if _, err := e.svc.AuthenticateAPIKey(e.ctx, wrongSecret); !errors.Is(err, auth.ErrBadAPIKey) {
			t.Errorf("revoked key with wrong secret: %v", err)
		}
		if err := e.svc.RevokeAPIKey(ctx, k.ID); err != nil {
			t.Errorf("second revoke: %v", err)
		}
		if err := e.svc.RevokeAPIKey(ctx, 999); !errors.Is(err, auth.ErrAPIKeyNotFound) {
			t.Errorf("revoke missing key: %v", err)
		}
		if keys, _ := e.svc.ListAPIKeys(e.ctx); len(keys) != 1 || !keys[0].Revoked() {
			t.Errorf("after revoke: %+v", keys)
		}

		for _, tt := range []struct {
			name, role string
			region     int64
			want       error
		}{
			{"", auth.RoleAdmin, 0, auth.ErrBadName},
			{"x", "boss", 0, auth.ErrBadRole},
			{"x", auth.RoleResident, 0, auth.ErrBadRole},
			{"x", auth.RoleGridWorker, 0, auth.ErrRegionRequired},
			{"x", auth.RoleGridWorker, 77, auth.ErrUnknownRegion},
		} {
			if _, _, err := e.svc.CreateAPIKey(ctx, tt.name, tt.role, tt.region); !errors.Is(err, tt.want) {
				t.Errorf("CreateAPIKey(%q, %s, %d) = %v, want %v", tt.name, tt.role, tt.region, err, tt.want)
			}
		}
	})
}

func TestResidentLinks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		res := e.user(t, "resident1", auth.RoleResident, 0)
		worker := e.user(t, "worker5", auth.RoleCommunityWorker, 5)
		other := e.user(t, "worker4", auth.RoleGridWorker, 4)
		dist := e.user(t, "district", auth.RoleDistrictOfficer, 2)
		as := func(u auth.User) context.Context {
			return auth.WithPrincipal(e.ctx, &auth.Principal{Kind: auth.KindUser, UserID: u.ID, Username: u.Username, Role: u.Role, RegionID: u.RegionID, RegionPath: u.RegionPath})
		}

		if err := e.svc.RequestResidentLink(e.ctx, res.ID, 1000); err != nil { // compound 10, /1/2/3/5/
			t.Fatal(err)
		}
		if err := e.svc.RequestResidentLink(e.ctx, res.ID, 1100); err != nil { // compound 11, /1/2/4/
			t.Fatal(err)
		}
		if err := e.svc.RequestResidentLink(e.ctx, res.ID, 1000); !errors.Is(err, auth.ErrLinkExists) {
			t.Errorf("duplicate request: %v", err)
		}
		if err := e.svc.RequestResidentLink(e.ctx, res.ID, 4242); !errors.Is(err, auth.ErrHouseholdNotFound) {
			t.Errorf("missing household: %v", err)
		}
		if err := e.svc.RequestResidentLink(e.ctx, worker.ID, 1000); !errors.Is(err, auth.ErrNotResident) {
			t.Errorf("staff claiming a household: %v", err)
		}

		pending, err := e.svc.PendingResidentLinks(e.ctx, "/1/2/3/")
		if err != nil || len(pending) != 1 {
			t.Fatalf("pending in /1/2/3/ = %+v, %v", pending, err)
		}
		l := pending[0]
		if l.HouseholdID != 1000 || l.UserID != res.ID || l.Username != "resident1" || l.CompoundName != "小区/1/2/3/5/" ||
			l.BuildingName != "1号楼" || l.Room != "101" || l.Status != auth.LinkPending {
			t.Fatalf("pending link = %+v", l)
		}
		all, _ := e.svc.PendingResidentLinks(e.ctx, "")
		if len(all) != 2 {
			t.Fatalf("all pending = %d, want 2", len(all))
		}
		var far int64
		for _, x := range all {
			if x.HouseholdID == 1100 {
				far = x.ID
			}
		}

		// A grid worker of another subdistrict may not decide; nor may a district officer (no permission).
		if err := e.svc.DecideResidentLink(as(other), l.ID, true); !errors.Is(err, auth.ErrOutOfScope) {
			t.Errorf("out of scope: %v", err)
		}
		if err := e.svc.DecideResidentLink(as(dist), l.ID, true); !errors.Is(err, auth.ErrForbidden) {
			t.Errorf("district officer: %v", err)
		}
		if err := e.svc.DecideResidentLink(e.ctx, l.ID, true); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("no principal: %v", err)
		}
		if hs, _ := e.svc.ResidentHouseholds(e.ctx, res.ID); len(hs) != 0 {
			t.Fatalf("households before approval: %v", hs)
		}

		if err := e.svc.DecideResidentLink(as(worker), l.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.DecideResidentLink(as(worker), l.ID, false); !errors.Is(err, auth.ErrLinkDecided) {
			t.Errorf("second decision: %v", err)
		}
		if err := e.svc.DecideResidentLink(as(worker), 999, true); !errors.Is(err, auth.ErrLinkNotFound) {
			t.Errorf("missing link: %v", err)
		}
		if err := e.svc.DecideResidentLink(as(worker), far, true); !errors.Is(err, auth.ErrOutOfScope) {
			t.Errorf("community worker deciding outside: %v", err)
		}
		if err := e.svc.DecideResidentLink(as(other), far, false); err != nil {
			t.Fatal(err)
		}
		hs, err := e.svc.ResidentHouseholds(e.ctx, res.ID)
		if err != nil || len(hs) != 1 || hs[0] != 1000 {
			t.Fatalf("verified households = %v, %v; want [1000]", hs, err)
		}
		if p, _ := e.svc.PendingResidentLinks(e.ctx, ""); len(p) != 0 {
			t.Errorf("still pending: %+v", p)
		}
		// A rejected claim may be made again.
		if err := e.svc.RequestResidentLink(e.ctx, res.ID, 1100); err != nil {
			t.Errorf("renewed request: %v", err)
		}

		entries, _, err := e.log.List(e.ctx, audit.Filter{Action: "resident_link.verify"})
		if err != nil || len(entries) != 1 || entries[0].Actor.Name != "worker5" || !strings.Contains(entries[0].After, `"verified"`) {
			t.Errorf("verify audit = %+v, %v", entries, err)
		}
	})
}

func TestAuditHoldsNoSecrets(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		u := e.user(t, "wang", auth.RoleGridWorker, 5)
		sess, err := e.svc.Login(e.ctx, "wang", pw, "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Login(e.ctx, "wang", "wrong-password-guess", "10.0.0.1"); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatal(err)
		}
		key, k, err := e.svc.CreateAPIKey(e.ctx, "sensor feed", auth.RoleAdmin, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.SetPassword(e.ctx, u.ID, "a-new-password"); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.RevokeAPIKey(e.ctx, k.ID); err != nil {
			t.Fatal(err)
		}
		var hash, tokenHash string
		if err := d.Read().QueryRowContext(e.ctx, `SELECT password_hash FROM users WHERE id = $1`, u.ID).Scan(&hash); err != nil {
			t.Fatal(err)
		}
		if err := d.Read().QueryRowContext(e.ctx, `SELECT secret_hash FROM api_keys WHERE id = $1`, k.ID).Scan(&tokenHash); err != nil {
			t.Fatal(err)
		}

		entries, _, err := e.log.List(e.ctx, audit.Filter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, en := range entries {
			seen[en.Action] = true
			text := en.Before + en.After + en.ObjectID + en.Actor.Name
			for _, secret := range []string{pw, "a-new-password", "wrong-password-guess", "$argon2id", hash, sess.Token, sess.CSRFToken, key, key[12:], tokenHash} {
				if strings.Contains(text, secret) {
					t.Errorf("audit entry %d (%s) holds a secret %q: %s", en.Seq, en.Action, secret, text)
				}
			}
		}
		for _, a := range []string{"user.create", "auth.login", "auth.login_failed", "apikey.create", "user.password", "apikey.revoke"} {
			if !seen[a] {
				t.Errorf("no audit entry %q (have %v)", a, seen)
			}
		}
		login, _, _ := e.log.List(e.ctx, audit.Filter{Action: "auth.login"})
		for _, en := range login {
			if en.Action == "auth.login" && (en.Actor.Name != "wang" || en.ObjectID == "") {
				t.Errorf("login entry = %+v", en)
			}
		}
		if res, err := e.log.Verify(e.ctx); err != nil || res.Broken != nil {
			t.Errorf("audit chain: %+v, %v", res.Broken, err)
		}
	})
}
