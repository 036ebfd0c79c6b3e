// Package app wires gengxin together: configuration, the database, the modules,
// the HTTP server with its middleware, metrics and graceful shutdown.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/cases"
	"github.com/gengxin/gengxin/internal/checkup"
	"github.com/gengxin/gengxin/internal/consult"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/pii"
	"github.com/gengxin/gengxin/internal/places"
	"github.com/gengxin/gengxin/internal/projects"
	"github.com/gengxin/gengxin/internal/web"
)

// Config is what a deployment sets, by flag or GENGXIN_* environment variable.
type Config struct {
	DSN     string // sqlite:PATH, a plain path, or postgres://…
	Addr    string // listen address for serve
	KeyFile string // personal-data key file; created on first run
	// PIIKey is the base64 key from GENGXIN_PII_KEY; it wins over KeyFile.
	PIIKey        string
	TileURL       string // optional map tile URL template
	SecureCookies bool   // mark cookies Secure (behind HTTPS)
	Version       string
	Demo          bool // show the demo accounts on the login page
	// AuthOptions tune the auth service (tests use cheap password hashing).
	AuthOptions []auth.Option
	Now         func() time.Time
}

// KeyFileFor returns the default key file beside a SQLite database, or in the
// working folder for PostgreSQL.
func KeyFileFor(dsn string) string {
	if d, p, err := db.ParseDSN(dsn); err == nil && d == db.SQLite {
		return filepath.Join(filepath.Dir(p), "gengxin-pii.key")
	}
	return "gengxin-pii.key"
}

// App is a running gengxin.
type App struct {
	Config   Config
	DB       *db.DB
	Audit    *audit.Log
	Auth     *auth.Service
	Places   *places.Store
	Checkup  *checkup.Service
	Consult  *consult.Service
	Surveys  *consult.SurveyService
	Cases    *cases.Service
	Projects *projects.Service
	Render   *web.Renderer
	Logger   *slog.Logger
	Metrics  *prometheus.Registry
	handler  http.Handler
	routes   []RouteInfo
}

// Open opens and migrates the database and builds every module.
func Open(ctx context.Context, cfg Config, logger *slog.Logger) (*App, error) {
	d, err := db.Open(ctx, cfg.DSN)
	if err != nil {
		return nil, err
	}
	if err := d.Migrate(ctx, logger); err != nil {
		d.Close()
		return nil, err
	}
	a, err := New(cfg, d, logger)
	if err != nil {
		d.Close()
		return nil, err
	}
	return a, nil
}

// New builds every module on an open, migrated database. Closing the App
// closes d.
func New(cfg Config, d *db.DB, logger *slog.Logger) (*App, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.KeyFile == "" {
		cfg.KeyFile = KeyFileFor(cfg.DSN)
	}
	key, err := pii.LoadKey(cfg.KeyFile, cfg.PIIKey)
	if err != nil {
		return nil, err
	}
	box, err := pii.New(key)
	if err != nil {
		return nil, err
	}
	log := audit.New(d, cfg.Now)
	a := &App{
		Config:  cfg,
		DB:      d,
		Audit:   log,
		Auth:    auth.New(d, log, cfg.Now, cfg.AuthOptions...),
		Places:  places.NewStore(d, box, log, cfg.Now),
		Logger:  logger,
		Metrics: prometheus.NewRegistry(),
	}
	a.Consult = consult.NewService(d, log, cfg.Now)
	a.Surveys = consult.NewSurveyService(d, log, box, cfg.Now)
	a.Cases = cases.New(d, log, box, cfg.Now)
	if err := a.Cases.LoadCalendar(context.Background()); err != nil {
		logger.Error("stored working calendar not used; the built-in one is", "err", err)
	}
	if a.Checkup, err = checkup.New(d, log, cfg.Now); err != nil {
		return nil, err
	}
	a.Projects = projects.New(d, log, a.Checkup, projects.ConsultSource{Ballots: a.Consult, Surveys: a.Surveys}, cfg.Now)
	a.Render, err = web.NewRenderer(logger, cfg.TileURL, cfg.Version, places.Messages(), consult.Messages(), consult.SurveyMessages(), cases.Messages(), projects.Messages())
	if err != nil {
		return nil, err
	}
	a.handler = a.buildHandler()
	return a, nil
}

// Close releases the database.
func (a *App) Close() error { return a.DB.Close() }

// Handler returns the whole HTTP handler.
func (a *App) Handler() http.Handler { return a.handler }

// Routes lists every registered route with the permission it needs.
func (a *App) Routes() []RouteInfo { return a.routes }

// RouteInfo describes one route for documentation and the access tests.
type RouteInfo struct {
	Method, Pattern string
	// Perm is the permission needed; Public routes need no login at all.
	Perm   auth.Permission
	Public bool
}

func (a *App) buildHandler() http.Handler {
	mux := http.NewServeMux()
	reqs := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gengxin_http_requests_total", Help: "HTTP requests by route and status code."}, []string{"route", "code"})
	dur := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gengxin_http_request_seconds", Help: "HTTP request duration by route.", Buckets: prometheus.DefBuckets}, []string{"route"})
	a.Metrics.MustRegister(reqs, dur, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	handle := func(method, pattern string, perm auth.Permission, public bool, h http.Handler) {
		if !public {
			if perm == "" {
				perm = auth.MapView
			}
			h = a.require(perm, h)
		}
		a.routes = append(a.routes, RouteInfo{Method: method, Pattern: pattern, Perm: perm, Public: public})
		route := method + " " + pattern
		mux.Handle(route, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
			h.ServeHTTP(sw, r)
			reqs.WithLabelValues(route, fmt.Sprint(sw.code)).Inc()
			dur.WithLabelValues(route).Observe(time.Since(start).Seconds())
		}))
	}

	handle("GET", "/healthz", "", true, http.HandlerFunc(a.healthz))
	handle("GET", "/metrics", "", true, promhttp.HandlerFor(a.Metrics, promhttp.HandlerOpts{}))
	handle("GET", "/static/", "", true, web.Static())
	handle("GET", "/{$}", "", false, http.HandlerFunc(a.home))
	handle("GET", "/api/v1/openapi.json", "", true, http.HandlerFunc(a.openAPI))

	for _, r := range a.moduleRoutes() {
		handle(r.Method, r.Pattern, auth.Permission(r.Perm), r.Public, r.Handler)
	}

	var h http.Handler = mux
	h = a.viewer(h)
	h = a.Auth.Middleware(h)
	h = web.RememberLang(h)
	h = web.SecurityHeaders(tileOrigin(a.Config.TileURL), h)
	h = a.logRequests(h)
	h = a.recoverPanics(h)
	return h
}

func (a *App) moduleRoutes() []web.Route {
	var out []web.Route
	out = append(out, auth.NewHandlers(a.Auth, a.Render, a.Logger, a.Config.SecureCookies, a.Config.Demo).Routes()...)
	out = append(out, places.NewHandlers(a.Places, a.Render, a.Audit, a.Logger).Routes()...)
	out = append(out, places.NewImportHandlers(a.Places, a.Render, a.Logger).Routes()...)
	out = append(out, checkup.NewHandlers(a.Checkup, a.Places, a.Render, a.Logger, a.Config.Now).Routes()...)
	out = append(out, consult.NewVoteHandlers(a.Consult, a.Places, a.Auth.ResidentHouseholds, a.Render, a.Logger, a.Config.Now).Routes()...)
	out = append(out, consult.NewSurveyHandlers(a.Surveys, a.Places, a.Auth.ResidentHouseholds, a.Render, a.Logger, a.Config.Now).Routes()...)
	out = append(out, cases.NewHandlers(a.Cases, a.Auth.ResidentHouseholds, a.Render, a.Logger).Routes()...)
	out = append(out, projects.NewHandlers(a.Projects, a.Places, a.Auth.ResidentHouseholds, a.Render, a.Logger).Routes()...)
	out = append(out, cases.NewOpen311(a.Cases, a.Auth.AuthenticateAPIKey, "gengxin", a.Config.Now, a.Logger).Routes()...)
	ah := audit.NewHandlers(a.Audit, a.Render, a.Logger)
	out = append(out,
		web.Route{Method: "GET", Pattern: "/audit", Perm: string(auth.AuditRead), Handler: ah.Page},
		web.Route{Method: "GET", Pattern: "/me", Perm: string(auth.MapView), Handler: a.me},
		web.Route{Method: "POST", Pattern: "/me/link", Perm: string(auth.MapView), Handler: a.claimHousehold},
		web.Route{Method: "GET", Pattern: "/residents", Perm: string(auth.ResidentsVerify), Handler: a.residents},
		web.Route{Method: "POST", Pattern: "/residents/{id}/decide", Perm: string(auth.ResidentsVerify), Handler: a.decideResident},
	)
	return out
}

// require lets a request through only when its principal holds perm: 401 (or a
// redirect to the login page) without one, 403 with a role that lacks perm.
func (a *App) require(perm auth.Permission, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := auth.PrincipalFrom(r.Context())
		if !ok {
			if web.WantsJSON(r) || r.Method != http.MethodGet {
				a.Render.Error(w, r, http.StatusUnauthorized, "error.unauthorized")
				return
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if !p.Can(perm) {
			a.Render.Error(w, r, http.StatusForbidden, "error.forbidden")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// viewer turns the principal into what the layout shows.
func (a *App) viewer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := auth.PrincipalFrom(r.Context()); ok {
			v := &web.Viewer{UserID: p.UserID, Username: p.Username, DisplayName: p.DisplayName, Role: p.Role,
				CSRF: auth.CSRFToken(r.Context()), Perms: map[string]bool{}}
			for _, perm := range auth.Permissions() {
				v.Perms[string(perm)] = p.Can(perm)
			}
			if p.Kind == auth.KindUser && p.Can(auth.CasesHandle) && r.Method == http.MethodGet && pageRequest(r) {
				n, err := a.Cases.UnreadCount(r.Context(), p.UserID)
				if err != nil {
					a.Logger.Warn("unread notifications", "user_id", p.UserID, "err", err)
				}
				v.UnreadAlerts = n
			}
			r = r.WithContext(web.WithViewer(r.Context(), v))
		}
		next.ServeHTTP(w, r)
	})
}

// pageRequest reports whether r asks for an HTML page (not an API, a static
// file or an export).
func pageRequest(r *http.Request) bool {
	p := r.URL.Path
	for _, prefix := range []string{"/api/", "/open311/", "/static/", "/metrics", "/healthz"} {
		if strings.HasPrefix(p, prefix) {
			return false
		}
	}
	return !web.WantsJSON(r) && !strings.HasSuffix(p, ".xlsx") && !strings.HasSuffix(p, ".geojson") && !strings.HasSuffix(p, ".json")
}

func (a *App) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.DB.Ping(ctx); err != nil {
		web.JSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": err.Error()})
		return
	}
	web.JSON(w, http.StatusOK, map[string]string{"status": "ok", "database": string(a.DB.Dialect()), "version": a.Config.Version})
}

func (a *App) home(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.PrincipalFrom(r.Context())
	if p.Role == auth.RoleResident {
		http.Redirect(w, r, "/me", http.StatusSeeOther)
		return
	}
	data := map[string]any{}
	if p.Can(auth.PlacesRead) {
		roots, err := a.Places.Roots(r.Context(), places.Scope(p.RegionPath))
		if err == nil && len(roots) > 0 {
			data["Region"] = roots[0]
		}
		c, err := a.Places.CountIn(r.Context(), p.RegionPath)
		if err != nil {
			a.Logger.Error("home counts", "err", err)
		} else {
			data["Counts"] = c
		}
	}
	a.Render.Render(w, http.StatusOK, "home", a.Render.NewPage(r, "home.title", data))
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (a *App) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r)
		if strings.HasPrefix(r.URL.Path, "/static/") && sw.code < 400 {
			return
		}
		a.Logger.Info("http request", "method", r.Method, "path", r.URL.Path, "status", sw.code,
			"duration_ms", time.Since(start).Milliseconds(), "remote_addr", clientIP(r))
	})
}

func (a *App) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				a.Logger.Error("panic in handler", "path", r.URL.Path, "panic", fmt.Sprint(v))
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// clientIP is the remote address without its port.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func tileOrigin(tileURL string) string {
	if tileURL == "" {
		return ""
	}
	u, err := url.Parse(strings.NewReplacer("{s}", "a", "{z}", "0", "{x}", "0", "{y}", "0").Replace(tileURL))
	if err != nil || u.Host == "" {
		return ""
	}
	host := u.Host
	if strings.Contains(tileURL, "{s}.") {
		host = "*." + strings.SplitN(u.Host, ".", 2)[1]
	}
	return u.Scheme + "://" + host
}

// Serve listens on addr until ctx ends, then shuts down gracefully. ready, when
// not nil, receives the bound address once listening.
func (a *App) Serve(ctx context.Context, addr string, ready func(addr string)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // imports upload large files
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(a.Logger.Handler(), slog.LevelWarn),
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	go a.runTimers(ctx, time.Minute)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.Logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// runTimers checks the case deadlines every interval until ctx ends: near-due and
// overdue events are written to their cases (several instances on one PostgreSQL
// share the work safely).
func (a *App) runTimers(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			// Pick up calendar changes made on another instance.
			if err := a.Cases.LoadCalendar(ctx); err != nil {
				a.Logger.Error("working calendar", "err", err)
			}
			notes, err := a.Cases.RunTimers(ctx, a.Config.Now())
			if err != nil {
				a.Logger.Error("case timers", "err", err)
				continue
			}
			for _, n := range notes {
				a.Logger.Info("case deadline", "case_id", n.CaseID, "kind", string(n.Kind), "stage", string(n.Stage),
					"due", n.Due, "assignee_id", n.AssigneeID, "supervisor_id", n.Supervisor)
			}
		}
	}
}

// EnvOr returns the environment variable name, or def when it is unset.
func EnvOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}
