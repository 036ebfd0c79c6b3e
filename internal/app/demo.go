package app

import (
	"bytes"
	"context"
	"fmt"
	"strconv"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/cases"
	"github.com/gengxin/gengxin/internal/checkup"
	"github.com/gengxin/gengxin/internal/consult"
	"github.com/gengxin/gengxin/internal/demo"
	"github.com/gengxin/gengxin/internal/places"
	"github.com/gengxin/gengxin/internal/projects"
	"github.com/gengxin/gengxin/internal/web"
)

// HasPlaces reports whether the database holds any region yet.
func (a *App) HasPlaces(ctx context.Context) (bool, error) {
	var n int
	if err := a.DB.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM regions`).Scan(&n); err != nil {
		return false, fmt.Errorf("read database: %w", err)
	}
	return n > 0, nil
}

// LoadDemo generates the demo district, writes it in one transaction, creates
// one account per role (the resident verified for a household), stores the
// district's street network as the walk network, runs a first health check,
// so that findings exist when a new user looks, and fills the project pool
// with renewal projects in every stage from that check's findings.
func (a *App) LoadDemo(ctx context.Context, opts demo.Options) error {
	ds, streets, err := demo.Generate(opts)
	if err != nil {
		return fmt.Errorf("generate demo: %w", err)
	}
	ctx = audit.WithActor(ctx, audit.System("demo"))
	if err := a.Places.Load(ctx, ds, audit.Change{Action: "demo.generate", ObjectType: "dataset", ObjectID: strconv.FormatInt(opts.Seed, 10),
		After: map[string]any{"seed": opts.Seed, "scale": opts.Scale, "regions": len(ds.Regions), "compounds": len(ds.Compounds),
			"buildings": len(ds.Buildings), "households": len(ds.Households), "owners": len(ds.Owners), "facilities": len(ds.Facilities)}}); err != nil {
		return fmt.Errorf("load demo: %w", err)
	}
	residentHome, err := a.demoAccounts(ctx, ds)
	if err != nil {
		return err
	}
	if _, err := consult.SeedDemo(ctx, a.Consult, consult.DemoOptions{HouseholdID: residentHome, Seed: opts.Seed}); err != nil {
		return fmt.Errorf("demo votes: %w", err)
	}
	if _, err := consult.SeedDemoSurveys(ctx, a.Surveys, consult.DemoSurveyOptions{HouseholdID: residentHome, Seed: opts.Seed}); err != nil {
		return fmt.Errorf("demo surveys: %w", err)
	}
	if _, err := cases.SeedDemo(ctx, a.Cases, cases.DemoOptions{Seed: opts.Seed, Now: a.Config.Now()}); err != nil {
		return fmt.Errorf("demo cases: %w", err)
	}
	var osm bytes.Buffer
	if err := streets.WriteOSM(&osm); err != nil {
		return fmt.Errorf("demo streets: %w", err)
	}
	if _, err := a.Checkup.SaveNetwork(ctx, "demo streets (演示路网)", checkup.FormatOSMXML, &osm); err != nil {
		return fmt.Errorf("demo streets: %w", err)
	}
	if _, err := a.Checkup.Run(ctx, checkup.RunRequest{Year: a.Config.Now().In(web.Shanghai()).Year()}, nil); err != nil {
		return fmt.Errorf("demo health check: %w", err)
	}
	// Renewal projects start from that run's findings.
	if _, err := projects.SeedDemo(ctx, a.Projects, projects.DemoOptions{Seed: opts.Seed, Now: a.Config.Now()}); err != nil {
		return fmt.Errorf("demo projects: %w", err)
	}
	return nil
}

// demoAccounts creates one account per role and returns the household the
// resident is verified for.
func (a *App) demoAccounts(ctx context.Context, ds *places.Dataset) (int64, error) {
	var admin *auth.Principal
	var home int64
	for _, acc := range demo.Accounts(ds) {
		var regionID int64
		if acc.RegionCode != "" {
			r, err := a.Places.RegionByCode(ctx, acc.RegionCode)
			if err != nil {
				return 0, fmt.Errorf("demo account %s: %w", acc.Username, err)
			}
			regionID = r.ID
		}
		u, err := a.Auth.CreateUser(ctx, auth.NewUser{Username: acc.Username, DisplayName: acc.DisplayName, Password: acc.Password, Role: acc.Role, RegionID: regionID})
		if err != nil {
			return 0, fmt.Errorf("demo account %s: %w", acc.Username, err)
		}
		if acc.Role == auth.RoleAdmin {
			admin = &auth.Principal{Kind: auth.KindUser, UserID: u.ID, Username: u.Username, Role: u.Role}
		}
		if acc.HouseholdCode == "" {
			continue
		}
		if admin == nil {
			return 0, fmt.Errorf("demo resident %s: the administrator account must come first", acc.Username)
		}
		hid, err := a.Places.HouseholdByCode(ctx, acc.HouseholdCode)
		home = hid
		if err != nil {
			return 0, fmt.Errorf("demo resident: %w", err)
		}
		if err := a.Auth.RequestResidentLink(ctx, u.ID, hid); err != nil {
			return 0, fmt.Errorf("demo resident: %w", err)
		}
		actx := auth.WithPrincipal(audit.WithActor(ctx, admin.Actor()), admin)
		links, err := a.Auth.UserResidentLinks(actx, u.ID)
		if err != nil {
			return 0, fmt.Errorf("demo resident: %w", err)
		}
		for _, l := range links {
			if l.Status == auth.LinkPending {
				if err := a.Auth.DecideResidentLink(actx, l.ID, true); err != nil {
					return 0, fmt.Errorf("demo resident: %w", err)
				}
			}
		}
	}
	return home, nil
}
