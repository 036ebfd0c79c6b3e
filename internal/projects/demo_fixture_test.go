package projects

import (
	"context"
	"testing"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/checkup"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/demo"
	"github.com/gengxin/gengxin/internal/pii"
	"github.com/gengxin/gengxin/internal/places"
)

// demoNow is the present of the demo tests.
var demoNow = time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)

// demoDistrict loads every third compound of the demo district (all its
// regions, with the buildings, entrances, households and owners of those
// compounds), runs a straight-line health check on it, and returns the
// projects service with no consultation module (so the gates find no survey
// or vote).
func demoDistrict(t testing.TB, d *db.DB) (context.Context, *Service) {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.System("demo"))
	now := func() time.Time { return demoNow }
	ds, _, err := demo.Generate(demo.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	sub := &places.Dataset{Regions: ds.Regions, Facilities: ds.Facilities}
	keepC, keepB, keepH, keepO := map[int64]bool{}, map[int64]bool{}, map[int64]bool{}, map[int64]bool{}
	for i, c := range ds.Compounds {
		if i%3 == 0 {
			keepC[c.ID] = true
			sub.Compounds = append(sub.Compounds, c)
		}
	}
	for _, b := range ds.Buildings {
		if keepC[b.CompoundID] {
			keepB[b.ID] = true
			sub.Buildings = append(sub.Buildings, b)
		}
	}
	for _, e := range ds.Entrances {
		if keepB[e.BuildingID] {
			sub.Entrances = append(sub.Entrances, e)
		}
	}
	for _, h := range ds.Households {
		if keepB[h.BuildingID] {
			keepH[h.ID] = true
			sub.Households = append(sub.Households, h)
		}
	}
	for _, ho := range ds.HouseholdOwners {
		if keepH[ho.HouseholdID] {
			keepO[ho.OwnerID] = true
			sub.HouseholdOwners = append(sub.HouseholdOwners, ho)
		}
	}
	for _, o := range ds.Owners {
		if keepO[o.ID] {
			sub.Owners = append(sub.Owners, o)
		}
	}
	key := make([]byte, 64)
	for i := range key {
		key[i] = byte(i * 11)
	}
	box, err := pii.New(key)
	if err != nil {
		t.Fatal(err)
	}
	log := audit.New(d, now)
	if err := places.NewStore(d, box, log, now).Load(ctx, sub, audit.Change{Action: "demo.generate", ObjectType: "dataset", ObjectID: "1"}); err != nil {
		t.Fatal(err)
	}
	ck, err := checkup.New(d, log, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ck.Run(ctx, checkup.RunRequest{Year: 2026, LineOnly: true}, nil); err != nil {
		t.Fatal(err)
	}
	return ctx, New(d, log, ck, nil, now)
}
