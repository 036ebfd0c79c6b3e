// Command gengxin is the whole gengxin platform in one program: the web server,
// the demo district, imports and exports, migrations, accounts, API keys, the
// audit check and backups. Run "gengxin help" for the list of commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what every command gets: its output streams and a logger.
type env struct {
	stdout, stderr io.Writer
	stdin          io.Reader
	logger         *slog.Logger
	getenv         func(string) string
}

func commands() []command {
	return []command{
		{"serve", "run the web server on a database", cmdServe},
		{"demo", "create the demo district (first run) and serve it", cmdDemo},
		{"import", "import places from a CSV, GeoJSON or OpenStreetMap file", cmdImport},
		{"export", "export places as CSV, Excel or GeoJSON", cmdExport},
		{"checkup", "run the city health check", cmdCheckup},
		{"vote", "tally owner votes offline or verify a stored vote", cmdVote},
		{"calendar", "working-day calendar: due times and holidays", cmdCalendar},
		{"network", "walk-network tools: nearest facilities over OpenStreetMap streets", cmdNetwork},
		{"bench", "measure gengxin against OSMnx and pgRouting on the same data", cmdBench},
		{"migrate", "bring the database schema up to date, or show its status", cmdMigrate},
		{"user", "create, list and change accounts", cmdUser},
		{"apikey", "create, list and revoke API keys for other systems", cmdAPIKey},
		{"audit", "verify the audit chain or list entries", cmdAudit},
		{"backup", "write a consistent copy of a SQLite database", cmdBackup},
		{"version", "print the version", cmdVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{stdout: os.Stdout, stderr: os.Stderr, stdin: os.Stdin, getenv: os.Getenv}
	os.Exit(run(ctx, e, os.Args[1:]))
}

// run executes one command line and returns the exit code: 0 success, 1 failure,
// 2 usage error.
func run(ctx context.Context, e *env, args []string) int {
	if e.logger == nil {
		e.logger = newLogger(e.stderr, e.getenv("GENGXIN_LOG_LEVEL"))
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(e.stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			fmt.Fprintf(e.stderr, "gengxin %s: %v\nRun 'gengxin %s --help' for usage.\n", c.name, err, c.name)
			return 2
		default:
			fmt.Fprintf(e.stderr, "gengxin %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(e.stderr, "gengxin: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "gengxin %s — urban renewal and grassroots governance in one program\n\nUsage: gengxin COMMAND [flags]\n\nCommands:\n", version)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Every --db takes sqlite:PATH, a plain path (SQLite) or a postgres:// URL.
Run 'gengxin COMMAND --help' for the flags of a command.
Start with: gengxin demo
`)
}

// errUsage marks a mistake in the command line.
var errUsage = errors.New("usage")

func usageErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// newFlags makes a flag set whose --help prints the summary, usage line and flags.
func newFlags(e *env, name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "Usage: gengxin %s\n\n%s\n\nFlags:\n", synopsis, strings.TrimSpace(about))
		fs.SetOutput(e.stdout)
		fs.PrintDefaults()
		fs.SetOutput(e.stderr)
	}
	return fs
}

// parse parses args, turning flag errors into usage errors.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	switch strings.ToLower(level) {
	case "debug":
		l = slog.LevelDebug
	case "warn":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	default:
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

func cmdVersion(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "version", "version", "Prints the version of this program.")
	if err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "gengxin %s\n", version)
	return nil
}
