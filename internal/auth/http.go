package auth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gengxin/gengxin/internal/audit"
)

// SessionCookie names the cookie holding a browser's session token.
const SessionCookie = "gx_session"

// CSRFField and CSRFHeader carry the CSRF token of unsafe requests: a hidden form
// field for forms, a header for scripts (htmx sends it via hx-headers).
const (
	CSRFField  = "csrf_token"
	CSRFHeader = "X-CSRF-Token"
)

type csrfKey struct{}

// CSRFToken returns the CSRF token of the session behind ctx, for templates to
// put in forms; "" when the request has no session.
func CSRFToken(ctx context.Context) string {
	t, _ := ctx.Value(csrfKey{}).(string)
	return t
}

// SessionToken returns the session token sent by the browser, or "".
func SessionToken(r *http.Request) string {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

// SetSessionCookie gives the browser its session token: HttpOnly, SameSite=Lax,
// Path=/, and Secure when secure is set or the request came over TLS. It is a
// browser-session cookie; the server ends the session after the idle or absolute
// timeout whatever the browser keeps.
func SetSessionCookie(w http.ResponseWriter, r *http.Request, token string, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name:     SessionCookie,
		Value:    token,
		Path:     "/",
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
		Secure:   secure || (r != nil && r.TLS != nil),
	})
}

// ClearSessionCookie tells the browser to drop its session cookie.
func ClearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name:     SessionCookie,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
}

// Middleware identifies the caller of every request and passes it on in the
// request's context (WithPrincipal, audit.WithActor, and the CSRF token for
// CSRFToken).
//
//   - "Authorization: Bearer <api key>": the key must be valid, else 401. Such
//     requests need no CSRF token, since browsers never add the header by themselves.
//   - The session cookie: a valid session identifies the user; for POST, PUT,
//     PATCH and DELETE the form field csrf_token or the X-CSRF-Token header must
//     equal the session's token, else 403. An expired or unknown session cookie is
//     cleared and the request goes on anonymously.
//   - Neither: the request goes on anonymously; Require turns it away where a
//     login is needed.
func (s *Service) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if authz := r.Header.Get("Authorization"); authz != "" {
			scheme, cred, _ := strings.Cut(authz, " ")
			if strings.EqualFold(scheme, "Bearer") {
				p, err := s.AuthenticateAPIKey(ctx, strings.TrimSpace(cred))
				switch {
				case errors.Is(err, ErrBadAPIKey), errors.Is(err, ErrAPIKeyRevoked):
					w.Header().Set("WWW-Authenticate", `Bearer realm="gengxin"`)
					writeJSONError(w, http.StatusUnauthorized, err)
					return
				case err != nil:
					writeJSONError(w, http.StatusInternalServerError, errors.New("internal error"))
					return
				}
				ctx = audit.WithActor(WithPrincipal(ctx, p), p.Actor())
				next.ServeHTTP(w, r.WithContext(ctx))
				return
			}
		}
		if token := SessionToken(r); token != "" {
			p, sess, err := s.Authenticate(ctx, token)
			switch {
			case err == nil:
				if unsafeMethod(r.Method) && !csrfMatches(r, sess.CSRFToken) {
					deny(w, r, http.StatusForbidden, "安全校验失败，请刷新页面后重试 (security check failed; reload the page and try again)")
					return
				}
				ctx = audit.WithActor(WithPrincipal(ctx, p), p.Actor())
				ctx = context.WithValue(ctx, csrfKey{}, sess.CSRFToken)
			case errors.Is(err, ErrNoSession), errors.Is(err, ErrSessionExpired), errors.Is(err, ErrDisabled):
				ClearSessionCookie(w)
			default:
				deny(w, r, http.StatusInternalServerError, "internal error")
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// Require lets a request through only when its principal holds perm. Without a
// principal it answers 401 in JSON for API clients (paths under /api/ or
// /open311/, or Accept: application/json) and otherwise redirects to
// /login?next=<this page>; with a principal lacking perm it answers 403.
func Require(perm Permission, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := PrincipalFrom(r.Context())
		if !ok {
			if wantsJSON(r) {
				writeJSONError(w, http.StatusUnauthorized, ErrUnauthenticated)
				return
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if !p.Can(perm) {
			deny(w, r, http.StatusForbidden, ErrForbidden.Error())
			return
		}
		next.ServeHTTP(w, r)
	})
}

func unsafeMethod(m string) bool {
	switch m {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// csrfMatches reports whether the request carries want in the header or, failing
// that, the form field.
func csrfMatches(r *http.Request, want string) bool {
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		got = r.FormValue(CSRFField)
	}
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func wantsJSON(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/open311/") ||
		strings.Contains(r.Header.Get("Accept"), "application/json")
}

func deny(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if wantsJSON(r) {
		writeJSONError(w, status, errors.New(msg))
		return
	}
	http.Error(w, msg, status)
}

func writeJSONError(w http.ResponseWriter, status int, err error) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}
