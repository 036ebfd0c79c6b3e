// Package web holds what every page shares: the layout and page templates, the
// zh-CN and English message catalogues, the embedded static assets (htmx,
// Leaflet, ECharts), security headers and helpers for answering HTML and JSON.
package web

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

//go:embed templates
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Viewer is who looks at a page, as the layout needs it.
type Viewer struct {
	UserID      int64
	Username    string
	DisplayName string
	Role        string
	RegionName  string
	CSRF        string
	// Perms holds the permissions of the role, by name (e.g. "places.import").
	Perms map[string]bool
	// UnreadAlerts counts the user's unread case-deadline notifications.
	UnreadAlerts int
}

// Can reports whether the viewer holds the named permission.
func (v *Viewer) Can(perm string) bool { return v != nil && v.Perms[perm] }

type viewerKey struct{}

// WithViewer returns ctx carrying v.
func WithViewer(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// ViewerFrom returns the viewer in ctx, or nil for an anonymous visitor.
func ViewerFrom(ctx context.Context) *Viewer {
	v, _ := ctx.Value(viewerKey{}).(*Viewer)
	return v
}

// Page is what every template receives.
type Page struct {
	Title  string
	Lang   string
	Viewer *Viewer
	Path   string
	Query  string
	Flash  string
	Error  string
	Data   any
	// TileURL is an optional raster tile URL template for the map background.
	TileURL string
	// Version is the program version, shown in the footer.
	Version string
	cat     *Catalog
}

// T translates key in the page's language.
func (p *Page) T(key string, args ...any) string { return p.cat.Translate(p.Lang, key, args...) }

// Tv translates key with the arguments given as one list (templates cannot
// spread a slice).
func (p *Page) Tv(key string, args []any) string { return p.cat.Translate(p.Lang, key, args...) }

// Renderer renders the embedded templates.
type Renderer struct {
	pages   map[string]*template.Template
	logger  *slog.Logger
	tileURL string
	version string
	cat     *Catalog
}

// NewRenderer parses every page template with the layout. tileURL may be "".
func NewRenderer(logger *slog.Logger, tileURL, version string, extra ...map[string][2]string) (*Renderer, error) {
	funcs := template.FuncMap{
		"area":     formatArea,
		"datetime": formatTime,
		"json": func(v any) (template.JS, error) {
			b, err := json.Marshal(v)
			return template.JS(b), err
		},
		"add":    func(a, b int) int { return a + b },
		"levels": func() []string { return []string{"subdistrict", "community", "grid"} },
		"num":    formatNumber,
		"list":   func(items ...string) []string { return items },
		"yuan": func(fen any) string {
			var f int64
			switch x := fen.(type) {
			case int64:
				f = x
			case *int64:
				if x == nil {
					return "—"
				}
				f = *x
			}
			return fmt.Sprintf("%d.%02d", f/100, f%100)
		},
		"meter": func(label string, test any, figure string) map[string]any {
			return map[string]any{"Label": label, "Test": test, "Figure": figure}
		},
		// pct is part of base as a percentage with one decimal, for meters.
		"pct": func(part, base int64) string {
			if base <= 0 {
				return "0"
			}
			return strconv.FormatFloat(float64(part)*100/float64(base), 'f', 1, 64)
		},
		// yes reports whether a *bool is set and true; no whether set and false.
		"yes": func(b *bool) bool { return b != nil && *b },
		"no":  func(b *bool) bool { return b != nil && !*b },
		// sub hands a part of the data to a partial, keeping T and the viewer.
		"sub": func(p *Page, data any) *Page {
			q := *p
			q.Data = data
			return &q
		},
		"mapI18n": func(p *Page) map[string]string {
			m := map[string]string{}
			for k, key := range map[string]string{
				"before1990": "map.before1990", "after2005": "map.after2005", "built_year": "compound.built_year",
				"renovation": "compound.renovation", "renovation_none": "renovation.none", "renovation_planned": "renovation.planned",
				"renovation_in_progress": "renovation.in_progress", "renovation_done": "renovation.done",
				"open_compound": "map.open_compound", "open_building": "map.open_building", "storeys": "building.storeys",
				"elevator": "building.elevator", "households": "stat.households", "yes": "yes", "no": "no", "capacity": "facility.capacity",
			} {
				m[k] = p.T(key)
			}
			return m
		},
		"query": url.QueryEscape,
		// permille shows a value in per mille as a percentage with one decimal.
		"permille": func(v int64) string { return strconv.FormatFloat(float64(v)/10, 'f', 1, 64) + "%" },
		// pct1 shows a share from 0 to 1 as a whole percentage.
		"pct1": func(f float64) string { return strconv.FormatFloat(f*100, 'f', 0, 64) + "%" },
	}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	names, err := fs.Glob(templateFS, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	r := &Renderer{pages: map[string]*template.Template{}, logger: logger, tileURL: tileURL, version: version, cat: NewCatalog(extra...)}
	for _, n := range names {
		t, err := layout.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.ParseFS(templateFS, n); err != nil {
			return nil, fmt.Errorf("parse %s: %w", n, err)
		}
		r.pages[strings.TrimSuffix(path.Base(n), ".html")] = t
	}
	return r, nil
}

// NewPage starts the data of a page for request r.
func (rd *Renderer) NewPage(r *http.Request, titleKey string, data any) *Page {
	lang := Lang(r)
	return &Page{
		cat:     rd.cat,
		Title:   rd.cat.Translate(lang, titleKey),
		Lang:    lang,
		Viewer:  ViewerFrom(r.Context()),
		Path:    r.URL.Path,
		Query:   r.URL.RawQuery,
		Data:    data,
		TileURL: rd.tileURL,
		Version: rd.version,
	}
}

// Render writes page name with status.
func (rd *Renderer) Render(w http.ResponseWriter, status int, name string, p *Page) {
	t, ok := rd.pages[name]
	if !ok {
		rd.logger.Error("unknown template", "template", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		rd.logger.Error("render page", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// Fragment renders one named template (for htmx partial updates) without the layout.
func (rd *Renderer) Fragment(w http.ResponseWriter, page, block string, p *Page) {
	t, ok := rd.pages[page]
	if !ok {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, p); err != nil {
		rd.logger.Error("render fragment", "template", page, "block", block, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = buf.WriteTo(w)
}

// Error answers with an error: JSON for API clients, an error page otherwise.
func (rd *Renderer) Error(w http.ResponseWriter, r *http.Request, status int, msgKey string, args ...any) {
	lang := Lang(r)
	msg := rd.cat.Translate(lang, msgKey, args...)
	if WantsJSON(r) {
		JSON(w, status, map[string]any{"error": msg, "status": status})
		return
	}
	p := rd.NewPage(r, "error.title", nil)
	p.Error = msg
	rd.Render(w, status, "error", p)
}

// Catalog returns the message catalogue.
func (rd *Renderer) Catalog() *Catalog { return rd.cat }

// T translates key for request r.
func (rd *Renderer) T(r *http.Request, key string, args ...any) string {
	return rd.cat.Translate(Lang(r), key, args...)
}

// WantsJSON reports whether r is an API call that expects JSON.
func WantsJSON(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/open311/") ||
		strings.Contains(r.Header.Get("Accept"), "application/json")
}

// JSON writes v as JSON with status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// Static serves the embedded assets under /static/.
func Static() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embed directive guarantees the folder
	}
	fsrv := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		fsrv.ServeHTTP(w, r)
	})
}

// SecurityHeaders sets the headers every answer carries. tileHost, when not
// empty, is allowed as an image source for map tiles.
func SecurityHeaders(tileOrigin string, next http.Handler) http.Handler {
	img := "'self' data: blob:"
	if tileOrigin != "" {
		img += " " + tileOrigin
	}
	csp := "default-src 'self'; img-src " + img + "; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
		if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// LangCookie names the cookie that keeps the chosen language.
const LangCookie = "gx_lang"

// Lang picks the page language: ?lang=, then the cookie, then zh-CN.
func Lang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "en" || l == "zh-CN" {
		return l
	}
	if c, err := r.Cookie(LangCookie); err == nil && (c.Value == "en" || c.Value == "zh-CN") {
		return c.Value
	}
	return "zh-CN"
}

// RememberLang stores a ?lang= choice in a cookie so later pages keep it.
func RememberLang(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l := r.URL.Query().Get("lang"); l == "en" || l == "zh-CN" {
			http.SetCookie(w, &http.Cookie{Name: LangCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, HttpOnly: true})
		}
		next.ServeHTTP(w, r)
	})
}

// Shanghai returns the time zone pages show times in (China Standard Time).
func Shanghai() *time.Location { return time.FixedZone("CST", 8*3600) }

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(Shanghai()).Format("2006-01-02 15:04")
}

// formatNumber writes a figure with at most one decimal, "—" for none.
func formatNumber(v any) string {
	var f float64
	switch x := v.(type) {
	case nil:
		return "—"
	case *float64:
		if x == nil {
			return "—"
		}
		f = *x
	case float64:
		f = x
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	default:
		return fmt.Sprint(v)
	}
	s := strconv.FormatFloat(f, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0")
}

func formatArea(dm2 int64) string {
	return fmt.Sprintf("%d.%02d", dm2/100, dm2%100)
}

// Route is one HTTP route a module offers: the permission it needs (a
// permission name such as "places.read"; "" with Public for pages anyone may
// open) and its handler. The app wraps each handler with the permission check.
type Route struct {
	Method, Pattern string
	Perm            string
	Public          bool
	Handler         http.HandlerFunc
}
