package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gengxin/gengxin/internal/app"
	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/geo"
	"github.com/gengxin/gengxin/internal/places"
)

// operator is the audit actor for changes made from the command line.
func operator(ctx context.Context) context.Context {
	name := "cli"
	if u := os.Getenv("USER"); u != "" {
		name = "cli:" + u
	}
	return audit.WithActor(ctx, audit.System(name))
}

func cmdMigrate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "migrate", "migrate --db DSN [--status]", `
Brings the database schema up to the newest version (every other command does this
too when it opens the database), or with --status lists the migrations.`)
	dsn := dbFlag(fs, e, "")
	status := fs.Bool("status", false, "only list the migrations and whether each is applied")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dsn == "" {
		return usageErr("--db is required (or set GENGXIN_DB)")
	}
	d, err := db.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	if !*status {
		if err := d.Migrate(ctx, e.logger); err != nil {
			return err
		}
	}
	lines, err := d.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	for _, l := range lines {
		fmt.Fprintln(e.stdout, l)
	}
	return nil
}

func cmdImport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "import", "import --db DSN --type TYPE [--format FORMAT] [--crs wgs84|gcj02|bd09] FILE", `
Imports one file of places. The whole file is checked first: if any row is bad,
nothing is written and every bad row is listed with its line number and reason.
TYPE is region, compound, building, entrance, household, owner, household_owner or
facility; FORMAT is csv, geojson, osm-pbf or osm-xml (default: from the file name).
OpenStreetMap files bring facilities (--type facility) or building footprints
(--type building). Columns are described in docs/import.md.`)
	af := addAppFlags(fs, e, "")
	typ := fs.String("type", "", "object type (required)")
	format := fs.String("format", "", "csv, geojson, osm-pbf or osm-xml (default: guessed from the file name)")
	crs := fs.String("crs", "wgs84", "coordinate system of the file: wgs84 (GPS, OSM), gcj02 (Amap, Tencent) or bd09 (Baidu)")
	dry := fs.Bool("dry-run", false, "check the file and report, but write nothing")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("name exactly one file to import")
	}
	if *typ == "" {
		return usageErr("--type is required")
	}
	c, err := geo.ParseCRS(*crs)
	if err != nil {
		return usageErr("%v", err)
	}
	path := fs.Arg(0)
	if *format == "" {
		*format = guessFormat(path)
		if *format == "" {
			return usageErr("cannot tell the format of %s; give --format", path)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	a, err := openApp(ctx, e, af)
	if err != nil {
		return err
	}
	defer a.Close()
	rep, err := a.Places.Import(operator(ctx), places.ImportRequest{ObjectType: *typ, Format: *format, Filename: filepath.Base(path), CRS: c, DryRun: *dry}, f)
	if err != nil {
		return err
	}
	printReport(e.stdout, rep)
	if !rep.Committed && !*dry {
		return fmt.Errorf("%s was not imported: %d bad rows", path, len(rep.Errors))
	}
	if *dry && len(rep.Errors) > 0 {
		return fmt.Errorf("%s has %d bad rows", path, len(rep.Errors))
	}
	return nil
}

func guessFormat(path string) string {
	p := strings.ToLower(path)
	switch {
	case strings.HasSuffix(p, ".csv"):
		return "csv"
	case strings.HasSuffix(p, ".geojson"), strings.HasSuffix(p, ".json"):
		return "geojson"
	case strings.HasSuffix(p, ".osm.pbf"), strings.HasSuffix(p, ".pbf"):
		return "osm-pbf"
	case strings.HasSuffix(p, ".osm"), strings.HasSuffix(p, ".osm.xml"):
		return "osm-xml"
	}
	return ""
}

func printReport(w io.Writer, rep *places.ImportReport) {
	state := "imported"
	if !rep.Committed {
		state = "NOT imported (nothing was written)"
	}
	fmt.Fprintf(w, "%s (%s, %s): %d rows, %d inserted, %d skipped — %s\n", rep.Filename, rep.ObjectType, rep.Format, rep.Rows, rep.Inserted, rep.Skipped, state)
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	for _, re := range rep.Errors {
		field := ""
		if re.Field != "" {
			field = " [" + re.Field + "]"
		}
		fmt.Fprintf(w, "  line %d%s: %s\n", re.Line, field, re.Reason)
	}
}

func cmdExport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "export", "export --db DSN --type TYPE [--format csv|xlsx|geojson] [--region CODE] [--out FILE]", `
Exports one table of places. CSV and Excel use the import columns, so an export can
be imported again; GeoJSON exports the layers that have geometry. Phone and ID
numbers are masked unless --reveal-pii is given (the reveal is audited).`)
	af := addAppFlags(fs, e, "")
	typ := fs.String("type", "", "object type (required)")
	format := fs.String("format", "csv", "csv, xlsx or geojson")
	region := fs.String("region", "", "region code: only places inside it")
	out := fs.String("out", "", "output file (default: standard output)")
	reveal := fs.Bool("reveal-pii", false, "write phone and ID numbers in clear")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *typ == "" {
		return usageErr("--type is required")
	}
	a, err := openApp(ctx, e, af)
	if err != nil {
		return err
	}
	defer a.Close()
	ctx = operator(ctx)
	req := places.ExportRequest{ObjectType: *typ, Format: *format, RevealPII: *reveal}
	if *region != "" {
		r, err := a.Places.RegionByCode(ctx, *region)
		if err != nil {
			return err
		}
		req.RegionPath = r.Path
	}
	var w io.Writer = e.stdout
	var f *os.File
	if *out != "" {
		if f, err = os.Create(*out); err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	if err := a.Places.Export(ctx, bw, req); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if f != nil {
		return f.Close()
	}
	return nil
}

func cmdUser(ctx context.Context, e *env, args []string) error {
	about := `
Manages accounts. Subcommands:
  create  --username NAME --role ROLE [--region CODE] [--name DISPLAY]   reads the password from standard input
  list    [--role ROLE]
  passwd  --username NAME                                                 reads the new password from standard input
  disable --username NAME  /  enable --username NAME
Roles: ` + strings.Join(auth.Roles(), ", ")
	sub, fs, err := subcommand(e, "user", about, []string{"create", "list", "passwd", "disable", "enable"}, args)
	if err != nil {
		return err
	}
	af := addAppFlags(fs, e, "")
	username := fs.String("username", "", "account name")
	role := fs.String("role", "", "role")
	region := fs.String("region", "", "region code the account is scoped to")
	display := fs.String("name", "", "display name")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	a, err := openApp(ctx, e, af)
	if err != nil {
		return err
	}
	defer a.Close()
	ctx = operator(ctx)
	switch sub {
	case "create":
		if *username == "" || *role == "" {
			return usageErr("--username and --role are required")
		}
		regionID, err := regionID(ctx, a, *region)
		if err != nil {
			return err
		}
		pw, err := readPassword(e)
		if err != nil {
			return err
		}
		u, err := a.Auth.CreateUser(ctx, auth.NewUser{Username: *username, DisplayName: *display, Password: pw, Role: *role, RegionID: regionID})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "created account %s (id %d, %s)\n", u.Username, u.ID, u.Role)
	case "list":
		users, total, err := a.Auth.ListUsers(ctx, auth.UserFilter{Role: *role, Limit: 1000})
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tUSERNAME\tROLE\tREGION\tDISABLED")
		for _, u := range users {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%v\n", u.ID, u.Username, u.Role, u.RegionName, u.Disabled)
		}
		tw.Flush()
		fmt.Fprintf(e.stdout, "%d accounts\n", total)
	case "passwd", "disable", "enable":
		if *username == "" {
			return usageErr("--username is required")
		}
		u, err := a.Auth.UserByUsername(ctx, *username)
		if err != nil {
			return err
		}
		if sub == "passwd" {
			pw, err := readPassword(e)
			if err != nil {
				return err
			}
			if err := a.Auth.SetPassword(ctx, u.ID, pw); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "password of %s changed\n", u.Username)
			return nil
		}
		off := sub == "disable"
		if _, err := a.Auth.UpdateUser(ctx, u.ID, auth.UserUpdate{Disabled: &off}); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s %sd\n", u.Username, sub)
	default:
		return usageErr("unknown subcommand %q", sub)
	}
	return nil
}

// subcommand reads the subcommand word of a command with several (user create,
// audit verify …) and returns a flag set for its flags; `name --help` lists them.
func subcommand(e *env, name, about string, subs []string, args []string) (string, *flag.FlagSet, error) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fs := newFlags(e, name, name+" "+strings.Join(subs, "|")+" [flags]", about)
		if err := parse(fs, args); err != nil {
			return "", nil, err
		}
		return "", nil, usageErr("name a subcommand: %s", strings.Join(subs, ", "))
	}
	if !slices.Contains(subs, args[0]) {
		return "", nil, usageErr("unknown subcommand %q: use %s", args[0], strings.Join(subs, ", "))
	}
	return args[0], newFlags(e, name+" "+args[0], name+" "+args[0]+" --db DSN [flags]", about), nil
}

// regionID resolves a region code given on the command line; "" means none.
func regionID(ctx context.Context, a *app.App, code string) (int64, error) {
	if code == "" {
		return 0, nil
	}
	r, err := a.Places.RegionByCode(ctx, code)
	if err != nil {
		return 0, fmt.Errorf("region %s: %w", code, err)
	}
	return r.ID, nil
}

func readPassword(e *env) (string, error) {
	fmt.Fprintln(e.stderr, "password (from standard input):")
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", usageErr("no password on standard input")
	}
	return pw, nil
}

func cmdAPIKey(ctx context.Context, e *env, args []string) error {
	about := `
Manages API keys for machine clients (Open311 and other integrations). A key carries
a role and a region scope; clients send it as "Authorization: Bearer KEY".
  create --name NAME [--role ROLE] [--region CODE]   prints the key once; store it safely
  list
  revoke --id ID`
	sub, fs, err := subcommand(e, "apikey", about, []string{"create", "list", "revoke"}, args)
	if err != nil {
		return err
	}
	af := addAppFlags(fs, e, "")
	name := fs.String("name", "", "what the key is for")
	role := fs.String("role", auth.RoleDepartmentHandler, "role of the key")
	region := fs.String("region", "", "region code the key is scoped to")
	id := fs.Int64("id", 0, "key id (revoke)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	a, err := openApp(ctx, e, af)
	if err != nil {
		return err
	}
	defer a.Close()
	ctx = operator(ctx)
	switch sub {
	case "create":
		if *name == "" {
			return usageErr("--name is required")
		}
		regionID, err := regionID(ctx, a, *region)
		if err != nil {
			return err
		}
		key, k, err := a.Auth.CreateAPIKey(ctx, *name, *role, regionID)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "API key %d (%s, role %s) — shown only this once:\n", k.ID, k.Name, k.Role)
		fmt.Fprintln(e.stdout, key)
	case "list":
		keys, err := a.Auth.ListAPIKeys(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tROLE\tREGION\tREVOKED")
		for _, k := range keys {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%v\n", k.ID, k.Name, k.Prefix, k.Role, k.RegionName, k.Revoked())
		}
		tw.Flush()
	case "revoke":
		if *id == 0 {
			return usageErr("--id is required")
		}
		if err := a.Auth.RevokeAPIKey(ctx, *id); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "key %d revoked\n", *id)
	default:
		return usageErr("unknown subcommand %q", sub)
	}
	return nil
}

func cmdAudit(ctx context.Context, e *env, args []string) error {
	about := `
  verify   checks the whole hash chain and names the first broken entry (exit 1 when broken)
  list     [--limit N] [--actor NAME] [--action PREFIX] shows the newest entries`
	sub, fs, err := subcommand(e, "audit", about, []string{"verify", "list"}, args)
	if err != nil {
		return err
	}
	dsn := dbFlag(fs, e, "")
	limit := fs.Int("limit", 50, "entries to list")
	actor := fs.String("actor", "", "only entries of this actor")
	action := fs.String("action", "", "only actions starting with this")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *dsn == "" {
		return usageErr("--db is required (or set GENGXIN_DB)")
	}
	d, err := db.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Migrate(ctx, nil); err != nil {
		return err
	}
	log := audit.New(d, time.Now)
	switch sub {
	case "verify":
		res, err := log.Verify(ctx)
		if err != nil {
			return err
		}
		if res.Broken != nil {
			fmt.Fprintf(e.stdout, "BROKEN at entry %d: %s (%d entries before it are intact)\n", res.Broken.Seq, res.Broken.Reason, res.Checked)
			return fmt.Errorf("audit chain broken at entry %d: %w", res.Broken.Seq, audit.ErrChainBroken)
		}
		fmt.Fprintf(e.stdout, "OK: %d entries, chain intact\n", res.Checked)
	case "list":
		entries, total, err := log.List(ctx, audit.Filter{Actor: *actor, Action: *action, Limit: *limit})
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SEQ\tTIME (UTC)\tACTOR\tACTION\tOBJECT")
		for _, en := range entries {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s %s\n", en.Seq, en.At.Format("2006-01-02 15:04:05"), en.Actor.Name, en.Action, en.ObjectType, en.ObjectID)
		}
		tw.Flush()
		fmt.Fprintf(e.stdout, "%d of %d entries\n", len(entries), total)
	default:
		return usageErr("unknown subcommand %q", sub)
	}
	return nil
}

func cmdBackup(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "backup", "backup --db DSN --out FILE", `
Writes a consistent copy of a SQLite database while it is in use (VACUUM INTO).
Keep the personal-data key file (gengxin-pii.key) with the copy, or the phone and ID
numbers in it cannot be read. For PostgreSQL use pg_dump, which is the standard tool.`)
	dsn := dbFlag(fs, e, "")
	out := fs.String("out", "", "file to write (must not exist)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dsn == "" || *out == "" {
		return usageErr("--db and --out are required")
	}
	dialect, _, err := db.ParseDSN(*dsn)
	if err != nil {
		return err
	}
	if dialect == db.Postgres {
		return fmt.Errorf("for PostgreSQL use its own tool, which makes a consistent online copy: pg_dump --format=custom --file=%s '<your postgres URL>'; restore with pg_restore", *out)
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("%s exists; choose a new file", *out)
	}
	d, err := db.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Write().ExecContext(ctx, `VACUUM INTO `+quoteSQL(*out)); err != nil {
		return fmt.Errorf("backup to %s: %w", *out, err)
	}
	st, err := os.Stat(*out)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "backup written to %s (%s bytes)\n", *out, strconv.FormatInt(st.Size(), 10))
	return nil
}

func quoteSQL(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
