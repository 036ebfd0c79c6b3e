package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// gx runs one command line and returns its exit code and output.
func gx(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, stdin: strings.NewReader(stdin), getenv: func(string) string { return "" }}
	code := run(context.Background(), e, args)
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHelp(t *testing.T) {
	code, out, _ := gx(t, "", "help")
	if code != 0 || !strings.Contains(out, "demo") || !strings.Contains(out, "backup") {
		t.Fatalf("help = %d %q", code, out)
	}
	for _, c := range commands() {
		code, out, errs := gx(t, "", c.name, "--help")
		if code != 0 || !strings.Contains(out, "Usage: gengxin "+c.name) {
			t.Errorf("%s --help = %d %q %q", c.name, code, out, errs)
		}
	}
	if code, _, errs := gx(t, "", "frobnicate"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Errorf("unknown command = %d %q", code, errs)
	}
	if code, _, errs := gx(t, "", "import", "--db", "x.db"); code != 2 || !strings.Contains(errs, "exactly one file") {
		t.Errorf("import without a file = %d %q", code, errs)
	}
	if code, out, _ := gx(t, "", "version"); code != 0 || !strings.HasPrefix(out, "gengxin ") {
		t.Errorf("version = %d %q", code, out)
	}
}

// TestCommands runs the operator's commands against one SQLite database.
func TestCommands(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "g.db")
	dsn := "sqlite:" + dbPath
	key := "--key-file=" + filepath.Join(dir, "pii.key")

	if code, out, errs := gx(t, "", "migrate", "--db", dsn); code != 0 || !strings.Contains(out, "applied") {
		t.Fatalf("migrate = %d %q %q", code, out, errs)
	}
	regions := writeFile(t, dir, "regions.csv", "code,name,level,parent_code\n320499000000,清河区,district,\n320499001000,甲街道,subdistrict,320499000000\n")
	if code, out, errs := gx(t, "", "import", "--db", dsn, key, "--type", "region", regions); code != 0 || !strings.Contains(out, "2 inserted") {
		t.Fatalf("import regions = %d %q %q", code, out, errs)
	}
	bad := writeFile(t, dir, "bad.csv", "code,name,level,parent_code\nX1,甲,grid,NOPE\nX2,乙,planet,320499000000\n")
	code, out, errs := gx(t, "", "import", "--db", dsn, key, "--type", "region", bad)
	if code != 1 || !strings.Contains(out, "line 2") || !strings.Contains(out, "line 3") || !strings.Contains(errs, "not imported") {
		t.Fatalf("import bad = %d %q %q", code, out, errs)
	}
	if code, _, errs := gx(t, "long-enough-password\n", "user", "create", "--db", dsn, key, "--username", "wang", "--role", "subdistrict_officer", "--region", "320499001000"); code != 0 {
		t.Fatalf("user create = %d %q", code, errs)
	}
	if code, _, errs := gx(t, "short\n", "user", "create", "--db", dsn, key, "--username", "li.admin", "--role", "admin"); code != 1 || !strings.Contains(errs, "10") {
		t.Errorf("weak password = %d %q", code, errs)
	}
	if code, out, _ := gx(t, "", "user", "list", "--db", dsn, key); code != 0 || !strings.Contains(out, "wang") || !strings.Contains(out, "甲街道") {
		t.Errorf("user list = %d %q", code, out)
	}
	code, out, _ = gx(t, "", "apikey", "create", "--db", dsn, key, "--name", "hotline", "--region", "320499001000")
	if code != 0 || !regexp.MustCompile(`^gx_\w+_\S+\n$`).MatchString(out) {
		t.Fatalf("apikey create = %d %q", code, out)
	}
	if code, out, _ := gx(t, "", "apikey", "list", "--db", dsn, key); code != 0 || !strings.Contains(out, "hotline") {
		t.Errorf("apikey list = %d %q", code, out)
	}
	if code, out, _ := gx(t, "", "apikey", "revoke", "--db", dsn, key, "--id", "1"); code != 0 || !strings.Contains(out, "revoked") {
		t.Errorf("apikey revoke = %d %q", code, out)
	}
	if code, out, _ := gx(t, "", "export", "--db", dsn, key, "--type", "region"); code != 0 || !strings.Contains(out, "320499001000") {
		t.Errorf("export = %d %q", code, out)
	}
	if code, out, _ := gx(t, "", "audit", "verify", "--db", dsn); code != 0 || !strings.Contains(out, "chain intact") {
		t.Fatalf("audit verify = %d %q", code, out)
	}
	if code, out, _ := gx(t, "", "audit", "list", "--db", dsn); code != 0 || !strings.Contains(out, "user.create") || !strings.Contains(out, "apikey.revoke") {
		t.Errorf("audit list = %d %q", code, out)
	}

	backup := filepath.Join(dir, "copy.db")
	if code, out, errs := gx(t, "", "backup", "--db", dsn, "--out", backup); code != 0 || !strings.Contains(out, "backup written") {
		t.Fatalf("backup = %d %q %q", code, out, errs)
	}
	if code, _, errs := gx(t, "", "backup", "--db", dsn, "--out", backup); code != 1 || !strings.Contains(errs, "exists") {
		t.Errorf("backup over a file = %d %q", code, errs)
	}
	if code, _, errs := gx(t, "", "backup", "--db", "postgres://u@h/db", "--out", filepath.Join(dir, "pg.dump")); code != 1 || !strings.Contains(errs, "pg_dump") {
		t.Errorf("backup of postgres = %d %q", code, errs)
	}
	copyDB, err := sql.Open("sqlite", "file:"+backup)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := copyDB.QueryRow(`SELECT COUNT(*) FROM regions`).Scan(&n); err != nil || n != 2 {
		t.Errorf("backup holds %d regions, %v", n, err)
	}
	copyDB.Close()

	// Tampering with the log is found and named.
	w, err := sql.Open("sqlite", "file:"+dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Exec(`UPDATE audit_log SET actor_name = 'someone else' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if code, out, _ := gx(t, "", "audit", "verify", "--db", dsn); code != 1 || !strings.Contains(out, "BROKEN at entry 2") {
		t.Errorf("verify after tampering = %d %q", code, out)
	}
}
