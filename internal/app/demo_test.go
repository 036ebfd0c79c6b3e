package app_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/gengxin/gengxin/internal/app"
	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/db/dbtest"
	"github.com/gengxin/gengxin/internal/demo"
	"github.com/gengxin/gengxin/internal/projects"
)

// TestDemoAccountsLogIn loads the demo district and logs in with every account
// it prints, checking each one's scope.
func TestDemoAccountsLogIn(t *testing.T) {
	d := dbtest.SQLite(t)
	a, err := app.New(app.Config{DSN: "test", KeyFile: filepath.Join(t.TempDir(), "pii.key"), Version: "test",
		AuthOptions: []auth.Option{auth.WithParams(cheap)}}, d, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := a.LoadDemo(ctx, demo.Options{}); err != nil {
		t.Fatal(err)
	}
	if has, err := a.HasPlaces(ctx); err != nil || !has {
		t.Fatalf("HasPlaces = %v, %v", has, err)
	}
	roles := map[string]bool{}
	ds, _, err := demo.Generate(demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, acc := range demo.Accounts(ds) {
		s, err := a.Auth.Login(ctx, acc.Username, demo.Password, "127.0.0.1")
		if err != nil {
			t.Errorf("demo account %s cannot log in: %v", acc.Username, err)
			continue
		}
		p, _, err := a.Auth.Authenticate(ctx, s.Token)
		if err != nil {
			t.Fatal(err)
		}
		roles[p.Role] = true
		if auth.NeedsRegion(p.Role) && p.RegionPath == "" {
			t.Errorf("%s (%s) has no region", acc.Username, p.Role)
		}
		if p.Role == auth.RoleResident {
			homes, err := a.Auth.ResidentHouseholds(ctx, p.UserID)
			if err != nil || len(homes) != 1 {
				t.Errorf("demo resident has homes %v, %v", homes, err)
			}
		}
	}
	if len(roles) != len(auth.Roles()) {
		t.Errorf("demo accounts cover %d of %d roles", len(roles), len(auth.Roles()))
	}
	// The project pool is alive: a project in every stage.
	for _, st := range projects.Stages {
		if _, n, err := a.Projects.List(ctx, projects.Filter{Stage: st}); err != nil || n == 0 {
			t.Errorf("demo projects in %s: %d, %v", st, n, err)
		}
	}
	// A second load into the same database is refused rather than doubled.
	if err := a.LoadDemo(ctx, demo.Options{}); err == nil {
		t.Error("loading the demo twice succeeded")
	}
}
