package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"golang.org/x/text/width"

	"github.com/gengxin/gengxin/internal/app"
	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/demo"
)

// dbFlag adds --db with its default from GENGXIN_DB.
func dbFlag(fs *flag.FlagSet, e *env, def string) *string {
	if v := e.getenv("GENGXIN_DB"); v != "" {
		def = v
	}
	return fs.String("db", def, "database: sqlite:PATH, a plain path, or postgres://USER@HOST/DB (env GENGXIN_DB)")
}

// appFlags are the flags every command that opens the database shares.
type appFlags struct {
	db      *string
	keyFile *string
}

func addAppFlags(fs *flag.FlagSet, e *env, defDB string) *appFlags {
	return &appFlags{
		db:      dbFlag(fs, e, defDB),
		keyFile: fs.String("key-file", e.getenv("GENGXIN_KEY_FILE"), "personal-data key file, created with mode 0600 on first run (default: gengxin-pii.key beside a SQLite database; env GENGXIN_KEY_FILE; GENGXIN_PII_KEY overrides it)"),
	}
}

func (f *appFlags) config(e *env) (app.Config, error) {
	if *f.db == "" {
		return app.Config{}, usageErr("--db is required (or set GENGXIN_DB)")
	}
	return app.Config{DSN: *f.db, KeyFile: *f.keyFile, PIIKey: e.getenv("GENGXIN_PII_KEY"), Version: version}, nil
}

func openApp(ctx context.Context, e *env, f *appFlags) (*app.App, error) {
	cfg, err := f.config(e)
	if err != nil {
		return nil, err
	}
	return app.Open(ctx, cfg, e.logger)
}

func cmdServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "serve", "serve --db DSN [--addr :8080] [flags]", `
Runs the gengxin web server on an existing database (migrating it first). Logs are
JSON on standard error. Stop with Ctrl-C or SIGTERM; requests in flight finish first.`)
	af := addAppFlags(fs, e, "")
	addr := fs.String("addr", app.EnvOr("GENGXIN_ADDR", ":8080"), "listen address (env GENGXIN_ADDR)")
	tiles := fs.String("tile-url", e.getenv("GENGXIN_TILE_URL"), "map tile URL template, e.g. https://tiles.example.org/{z}/{x}/{y}.png (env GENGXIN_TILE_URL); empty draws the map without a background")
	secure := fs.Bool("secure-cookies", e.getenv("GENGXIN_SECURE_COOKIES") == "true", "mark cookies Secure; set when serving behind HTTPS (env GENGXIN_SECURE_COOKIES=true)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := af.config(e)
	if err != nil {
		return err
	}
	cfg.TileURL, cfg.SecureCookies = *tiles, *secure
	a, err := app.Open(ctx, cfg, e.logger)
	if err != nil {
		return err
	}
	defer a.Close()
	return a.Serve(ctx, *addr, func(bound string) {
		e.logger.Info("serving", "addr", bound, "database", a.DB.String())
	})
}

func cmdDemo(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "demo", "demo [--addr 127.0.0.1:8080] [--db gengxin-demo.db] [--scale N]", `
Creates the demo district on first run — a fictional old-city district of a Jiangsu
city with its subdistricts, communities, grids, compounds, buildings, households,
owners and facilities, generated from a seed — then serves it and prints the URL
and one demo account per role. A database that already holds places is served as
it is. --scale 10 makes a whole city (about a million households) for benchmarks.`)
	af := addAppFlags(fs, e, "gengxin-demo.db")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	scale := fs.Int("scale", 1, "number of districts to generate (1 = about 100,000 households)")
	seed := fs.Int64("seed", demo.DefaultSeed, "random seed; the same seed gives the same district")
	noServe := fs.Bool("no-serve", false, "generate (if needed) and exit without serving")
	osmOut := fs.String("write-osm", "", "also write the demo street network as OpenStreetMap XML to this file")
	tiles := fs.String("tile-url", e.getenv("GENGXIN_TILE_URL"), "map tile URL template (optional)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *scale < 1 || *scale > demo.MaxScale {
		return usageErr("--scale must be between 1 and %d", demo.MaxScale)
	}
	cfg, err := af.config(e)
	if err != nil {
		return err
	}
	cfg.TileURL, cfg.Demo = *tiles, true
	a, err := app.Open(ctx, cfg, e.logger)
	if err != nil {
		return err
	}
	defer a.Close()
	has, err := a.HasPlaces(ctx)
	if err != nil {
		return err
	}
	opts := demo.Options{Seed: *seed, Scale: *scale}
	if !has {
		start := time.Now()
		fmt.Fprintf(e.stdout, "Generating the demo district (scale %d, seed %d)…\n", *scale, *seed)
		// Generating and writing leave much short-lived garbage; collecting it
		// sooner keeps the peak memory of a laptop's first run down.
		old := debug.SetGCPercent(50)
		err := a.LoadDemo(ctx, opts)
		debug.SetGCPercent(old)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Done in %.1f s.\n", time.Since(start).Seconds())
	} else {
		fmt.Fprintf(e.stdout, "%s already holds places; serving it as it is.\n", a.DB)
	}
	if *osmOut != "" {
		_, network, err := demo.Generate(opts)
		if err != nil {
			return err
		}
		f, err := os.Create(*osmOut)
		if err != nil {
			return fmt.Errorf("write street network: %w", err)
		}
		if err := network.WriteOSM(f); err != nil {
			f.Close()
			return fmt.Errorf("write street network: %w", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("write street network: %w", err)
		}
		fmt.Fprintf(e.stdout, "Street network written to %s (OpenStreetMap XML).\n", *osmOut)
	}
	if *noServe {
		return nil
	}
	return a.Serve(ctx, *addr, func(bound string) {
		fmt.Fprintf(e.stdout, "\ngengxin demo is running at http://%s/  (Ctrl-C to stop)\n\n", bound)
		printAccounts(ctx, e, a)
	})
}

// printAccounts lists the accounts in the database with the demo password.
func printAccounts(ctx context.Context, e *env, a *app.App) {
	users, _, err := a.Auth.ListUsers(ctx, auth.UserFilter{Limit: 20})
	if err != nil {
		e.logger.Error("list demo accounts", "err", err)
		return
	}
	fmt.Fprintf(e.stdout, "Demo accounts, password %s (demo only — change or remove them before real use):\n", demo.Password)
	rows := [][]string{{"USERNAME", "ROLE", "SCOPE"}}
	for _, u := range users {
		scope := u.RegionName
		switch {
		case u.Role == auth.RoleResident:
			scope = "本人已认证房屋 (own verified household)"
		case scope == "":
			scope = "全部 (whole deployment)"
		}
		rows = append(rows, []string{u.Username, auth.RoleLabel(u.Role, "zh-CN") + " (" + u.Role + ")", scope})
	}
	printTable(e.stdout, rows)
}

// printTable writes rows in aligned columns, counting Chinese characters as two
// columns wide as terminals show them.
func printTable(w io.Writer, rows [][]string) {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		b.WriteString("  ")
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
			}
		}
		fmt.Fprintln(w, b.String())
	}
}

func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}
