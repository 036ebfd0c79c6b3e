package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/gengxin/gengxin/internal/web"
)

// Handlers serves the login page and the administrators' pages for accounts and
// API keys.
type Handlers struct {
	svc    *Service
	rd     *web.Renderer
	logger *slog.Logger
	secure bool
	demo   bool
}

// NewHandlers returns the auth pages. secure marks cookies Secure; demo shows the
// demo accounts on the login page.
func NewHandlers(svc *Service, rd *web.Renderer, logger *slog.Logger, secure, demo bool) *Handlers {
	return &Handlers{svc: svc, rd: rd, logger: logger, secure: secure, demo: demo}
}

// Routes lists the auth routes with the permission each needs.
func (h *Handlers) Routes() []web.Route {
	return []web.Route{
		{Method: "GET", Pattern: "/login", Public: true, Handler: h.loginPage},
		{Method: "POST", Pattern: "/login", Public: true, Handler: h.login},
		{Method: "POST", Pattern: "/logout", Public: true, Handler: h.logout},
		{Method: "GET", Pattern: "/admin/users", Perm: string(UsersManage), Handler: h.usersPage},
		{Method: "POST", Pattern: "/admin/users", Perm: string(UsersManage), Handler: h.createUser},
		{Method: "GET", Pattern: "/admin/users/{id}", Perm: string(UsersManage), Handler: h.userPage},
		{Method: "POST", Pattern: "/admin/users/{id}", Perm: string(UsersManage), Handler: h.updateUser},
		{Method: "POST", Pattern: "/admin/users/{id}/password", Perm: string(UsersManage), Handler: h.resetPassword},
		{Method: "GET", Pattern: "/admin/apikeys", Perm: string(APIKeysManage), Handler: h.keysPage},
		{Method: "POST", Pattern: "/admin/apikeys", Perm: string(APIKeysManage), Handler: h.createKey},
		{Method: "POST", Pattern: "/admin/apikeys/{id}/revoke", Perm: string(APIKeysManage), Handler: h.revokeKey},
	}
}

// loginCSRFCookie carries the double-submit token of the login form, which has
// no session yet.
const loginCSRFCookie = "gx_login_csrf"

type loginData struct {
	CSRF, Next, Username string
	Demo                 bool
}

func (h *Handlers) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := PrincipalFrom(r.Context()); ok {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	h.renderLogin(w, r, http.StatusOK, "", r.URL.Query().Get("next"), "")
}

func (h *Handlers) renderLogin(w http.ResponseWriter, r *http.Request, status int, username, next, errKey string) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		h.rd.Error(w, r, http.StatusInternalServerError, "error.internal")
		return
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: token, Path: "/login", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: h.secure || r.TLS != nil, MaxAge: 3600})
	p := h.rd.NewPage(r, "login.title", loginData{CSRF: token, Next: safeNext(next), Username: username, Demo: h.demo})
	if errKey != "" {
		p.Error = h.rd.T(r, errKey)
	}
	h.rd.Render(w, status, "login", p)
}

func (h *Handlers) login(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(loginCSRFCookie)
	form := r.FormValue(CSRFField)
	if err != nil || form == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(form)) != 1 {
		h.renderLogin(w, r, http.StatusForbidden, r.FormValue("username"), r.FormValue("next"), "error.csrf")
		return
	}
	username, password := r.FormValue("username"), r.FormValue("password")
	sess, err := h.svc.Login(r.Context(), username, password, remoteIP(r))
	switch {
	case errors.Is(err, ErrBadCredentials):
		h.renderLogin(w, r, http.StatusUnauthorized, username, r.FormValue("next"), "login.failed")
		return
	case errors.Is(err, ErrRateLimited):
		h.renderLogin(w, r, http.StatusTooManyRequests, username, r.FormValue("next"), "login.rate_limited")
		return
	case errors.Is(err, ErrDisabled):
		h.renderLogin(w, r, http.StatusForbidden, username, r.FormValue("next"), "login.disabled")
		return
	case err != nil:
		h.logger.Error("login", "err", err)
		h.rd.Error(w, r, http.StatusInternalServerError, "error.internal")
		return
	}
	SetSessionCookie(w, r, sess.Token, h.secure)
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: "", Path: "/login", MaxAge: -1})
	http.Redirect(w, r, safeNext(r.FormValue("next")), http.StatusSeeOther)
}

func (h *Handlers) logout(w http.ResponseWriter, r *http.Request) {
	if _, ok := PrincipalFrom(r.Context()); ok {
		if err := h.svc.Logout(r.Context(), SessionToken(r)); err != nil {
			h.logger.Error("logout", "err", err)
		}
	}
	ClearSessionCookie(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// safeNext keeps a redirect target on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.HasPrefix(next, "/login") {
		return "/"
	}
	return next
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type usersData struct {
	Users   []User
	Total   int
	Roles   []roleOption
	Query   string
	Form    NewUser
	Region  string
	Editing *User
}

type roleOption struct{ Name, Label string }

func (h *Handlers) roleOptions(r *http.Request) []roleOption {
	var out []roleOption
	for _, role := range Roles() {
		out = append(out, roleOption{role, RoleLabel(role, web.Lang(r))})
	}
	return out
}

func (h *Handlers) usersPage(w http.ResponseWriter, r *http.Request) {
	h.renderUsers(w, r, http.StatusOK, usersData{}, "", "")
}

func (h *Handlers) renderUsers(w http.ResponseWriter, r *http.Request, status int, d usersData, flash, errMsg string) {
	d.Query = r.URL.Query().Get("q")
	var err error
	d.Users, d.Total, err = h.svc.ListUsers(r.Context(), UserFilter{Query: d.Query, Role: r.URL.Query().Get("role"), Limit: 200})
	if err != nil {
		h.logger.Error("list users", "err", err)
		h.rd.Error(w, r, http.StatusInternalServerError, "error.internal")
		return
	}
	d.Roles = h.roleOptions(r)
	if web.WantsJSON(r) && status < 400 {
		web.JSON(w, status, map[string]any{"total": d.Total, "users": d.Users})
		return
	}
	p := h.rd.NewPage(r, "users.title", d)
	p.Flash, p.Error = flash, errMsg
	h.rd.Render(w, status, "users", p)
}

// regionID resolves a region code typed into a form; "" means none.
func (h *Handlers) regionID(r *http.Request, code string) (int64, error) {
	code = strings.TrimSpace(code)
	if code == "" {
		return 0, nil
	}
	var id int64
	err := h.svc.db.Read().QueryRowContext(r.Context(), `SELECT id FROM regions WHERE code = $1`, code).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrUnknownRegion
	}
	return id, err
}

// userError turns a validation error into a 4xx status, or reports false.
func userError(err error) (int, bool) {
	for _, e := range []error{ErrWeakPassword, ErrLongPassword, ErrBadUsername, ErrBadRole, ErrRegionRequired, ErrUnknownRegion, ErrBadLocale, ErrLastAdmin} {
		if errors.Is(err, e) {
			return http.StatusBadRequest, true
		}
	}
	if errors.Is(err, ErrUsernameTaken) {
		return http.StatusConflict, true
	}
	if errors.Is(err, ErrUserNotFound) {
		return http.StatusNotFound, true
	}
	return 0, false
}

func (h *Handlers) createUser(w http.ResponseWriter, r *http.Request) {
	nu := NewUser{Username: r.FormValue("username"), DisplayName: r.FormValue("display_name"), Password: r.FormValue("password"), Role: r.FormValue("role")}
	d := usersData{Form: nu, Region: r.FormValue("region_code")}
	d.Form.Password = ""
	id, err := h.regionID(r, d.Region)
	if err == nil {
		nu.RegionID = id
		var u User
		u, err = h.svc.CreateUser(r.Context(), nu)
		if err == nil {
			h.renderUsers(w, r, http.StatusCreated, usersData{}, h.rd.T(r, "users.created", u.Username), "")
			return
		}
	}
	if status, ok := userError(err); ok {
		h.renderUsers(w, r, status, d, "", err.Error())
		return
	}
	h.logger.Error("create user", "err", err)
	h.rd.Error(w, r, http.StatusInternalServerError, "error.internal")
}

func pathInt(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

func (h *Handlers) userPage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathInt(r)
	if !ok {
		h.rd.Error(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	h.renderUser(w, r, id, http.StatusOK, "", "")
}

func (h *Handlers) renderUser(w http.ResponseWriter, r *http.Request, id int64, status int, flash, errMsg string) {
	u, err := h.svc.GetUser(r.Context(), id)
	if errors.Is(err, ErrUserNotFound) {
		h.rd.Error(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	if err != nil {
		h.logger.Error("get user", "err", err)
		h.rd.Error(w, r, http.StatusInternalServerError, "error.internal")
		return
	}
	var code string
	if u.RegionID != 0 {
		_ = h.svc.db.Read().QueryRowContext(r.Context(), `SELECT code FROM regions WHERE id = $1`, u.RegionID).Scan(&code)
	}
	p := h.rd.NewPage(r, "users.edit", usersData{Editing: &u, Roles: h.roleOptions(r), Region: code})
	p.Flash, p.Error = flash, errMsg
	h.rd.Render(w, status, "user", p)
}

func (h *Handlers) updateUser(w http.ResponseWriter, r *http.Request) {
	id, ok := pathInt(r)
	if !ok {
		h.rd.Error(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	display, role := r.FormValue("display_name"), r.FormValue("role")
	disabled := r.FormValue("disabled") == "1"
	upd := UserUpdate{DisplayName: &display, Role: &role, Disabled: &disabled}
	regionID, err := h.regionID(r, r.FormValue("region_code"))
	if err == nil {
		upd.RegionID = &regionID
		_, err = h.svc.UpdateUser(r.Context(), id, upd)
	}
	if err == nil {
		h.renderUser(w, r, id, http.StatusOK, h.rd.T(r, "users.saved"), "")
		return
	}
	if status, ok := userError(err); ok {
		h.renderUser(w, r, id, status, "", err.Error())
		return
	}
	h.logger.Error("update user", "err", err)
	h.rd.Error(w, r, http.StatusInternalServerError, "error.internal")
}

func (h *Handlers) resetPassword(w http.ResponseWriter, r *http.Request) {
	id, ok := pathInt(r)
	if !ok {
		h.rd.Error(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	err := h.svc.SetPassword(r.Context(), id, r.FormValue("password"))
	if err == nil {
		h.renderUser(w, r, id, http.StatusOK, h.rd.T(r, "users.password_set"), "")
		return
	}
	if status, ok := userError(err); ok {
		h.renderUser(w, r, id, status, "", err.Error())
		return
	}
	h.logger.Error("set password", "err", err)
	h.rd.Error(w, r, http.StatusInternalServerError, "error.internal")
}

type keysData struct {
	Keys   []APIKey
	Roles  []roleOption
	Secret string
	Name   string
	Region string
}

func (h *Handlers) keysPage(w http.ResponseWriter, r *http.Request) {
	h.renderKeys(w, r, http.StatusOK, keysData{}, "", "")
}

func (h *Handlers) renderKeys(w http.ResponseWriter, r *http.Request, status int, d keysData, flash, errMsg string) {
	var err error
	if d.Keys, err = h.svc.ListAPIKeys(r.Context()); err != nil {
		h.logger.Error("list api keys", "err", err)
		h.rd.Error(w, r, http.StatusInternalServerError, "error.internal")
		return
	}
	for _, ro := range h.roleOptions(r) {
		if ro.Name != RoleResident {
			d.Roles = append(d.Roles, ro)
		}
	}
	p := h.rd.NewPage(r, "apikeys.title", d)
	p.Flash, p.Error = flash, errMsg
	h.rd.Render(w, status, "apikeys", p)
}

func (h *Handlers) createKey(w http.ResponseWriter, r *http.Request) {
	d := keysData{Name: r.FormValue("name"), Region: r.FormValue("region_code")}
	regionID, err := h.regionID(r, d.Region)
	if err == nil {
		var key string
		key, _, err = h.svc.CreateAPIKey(r.Context(), d.Name, r.FormValue("role"), regionID)
		if err == nil {
			h.renderKeys(w, r, http.StatusCreated, keysData{Secret: key}, h.rd.T(r, "apikeys.created"), "")
			return
		}
	}
	if errors.Is(err, ErrBadName) || errors.Is(err, ErrBadRole) || errors.Is(err, ErrUnknownRegion) || errors.Is(err, ErrRegionRequired) {
		h.renderKeys(w, r, http.StatusBadRequest, d, "", err.Error())
		return
	}
	h.logger.Error("create api key", "err", err)
	h.rd.Error(w, r, http.StatusInternalServerError, "error.internal")
}

func (h *Handlers) revokeKey(w http.ResponseWriter, r *http.Request) {
	id, ok := pathInt(r)
	if !ok {
		h.rd.Error(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	err := h.svc.RevokeAPIKey(r.Context(), id)
	if errors.Is(err, ErrAPIKeyNotFound) {
		h.rd.Error(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	if err != nil {
		h.logger.Error("revoke api key", "err", err)
		h.rd.Error(w, r, http.StatusInternalServerError, "error.internal")
		return
	}
	h.renderKeys(w, r, http.StatusOK, keysData{}, h.rd.T(r, "apikeys.revoked"), "")
}
