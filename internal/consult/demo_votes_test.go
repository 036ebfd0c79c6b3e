package consult

import (
	"context"
	"testing"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
	"github.com/gengxin/gengxin/internal/demo"
	"github.com/gengxin/gengxin/internal/pii"
	"github.com/gengxin/gengxin/internal/places"
)

// residentCompound cuts the demo resident's compound (with every region, so the
// tree stays whole) out of the generated district and returns it with the
// resident's household id.
func residentCompound(t *testing.T) (*places.Dataset, int64) {
	t.Helper()
	full, _, err := demo.Generate(demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var code string
	for _, a := range demo.Accounts(full) {
		if a.HouseholdCode != "" {
			code = a.HouseholdCode
		}
	}
	var resident places.Household
	for _, h := range full.Households {
		if h.Code == code {
			resident = h
		}
	}
	var compound int64
	for _, b := range full.Buildings {
		if b.ID == resident.BuildingID {
			compound = b.CompoundID
		}
	}
	ds := &places.Dataset{Regions: full.Regions}
	for _, c := range full.Compounds {
		if c.ID == compound {
			ds.Compounds = append(ds.Compounds, c)
		}
	}
	buildings := map[int64]bool{}
	for _, b := range full.Buildings {
		if b.CompoundID == compound {
			ds.Buildings = append(ds.Buildings, b)
			buildings[b.ID] = true
		}
	}
	for _, e := range full.Entrances {
		if buildings[e.BuildingID] {
			ds.Entrances = append(ds.Entrances, e)
		}
	}
	households := map[int64]bool{}
	for _, h := range full.Households {
		if buildings[h.BuildingID] {
			ds.Households = append(ds.Households, h)
			households[h.ID] = true
		}
	}
	owners := map[int64]bool{}
	for _, l := range full.HouseholdOwners {
		if households[l.HouseholdID] {
			ds.HouseholdOwners = append(ds.HouseholdOwners, l)
			owners[l.OwnerID] = true
		}
	}
	for _, o := range full.Owners {
		if owners[o.ID] {
			ds.Owners = append(ds.Owners, o)
		}
	}
	if resident.ID == 0 || len(ds.Households) == 0 {
		t.Fatal("the demo has no resident household")
	}
	return ds, resident.ID
}

func TestSeedDemo(t *testing.T) {
	ds, resident := residentCompound(t)
	now := time.Date(2026, 5, 4, 1, 0, 0, 0, time.UTC)
	seed := func(t *testing.T, d *db.DB) (*Service, DemoSummary) {
		t.Helper()
		clock := func() time.Time { return now }
		log := audit.New(d, clock)
		box, err := pii.New(make([]byte, 64))
		if err != nil {
			t.Fatal(err)
		}
		ctx := audit.WithActor(context.Background(), audit.System("demo"))
		if err := places.NewStore(d, box, log, clock).Load(ctx, ds, audit.Change{Action: "test.load", ObjectType: "dataset", ObjectID: "demo"}); err != nil {
			t.Fatal(err)
		}
		svc := NewService(d, log, clock)
		sum, err := SeedDemo(ctx, svc, DemoOptions{HouseholdID: resident, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		return svc, sum
	}
	var first []Tally
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		svc, sum := seed(t, d)
		ctx := context.Background()
		if len(sum.ClosedVotes) != 1 || len(sum.OpenVotes) != 1 || len(sum.ElevatorVotes) == 0 || len(sum.ElevatorVotes) > 3 {
			t.Fatalf("summary = %+v", sum)
		}
		res, err := svc.Results(ctx, sum.ClosedVotes[0])
		if err != nil || res.Tally.Result != ResultPassed || res.Vote.ClosedAt.IsZero() {
			t.Errorf("closed demo vote: %+v %v", res.Tally, err)
		}
		// The resident's own entrance comes first, linked to the common-land vote,
		// and the resident has not voted yet anywhere.
		el := sum.ElevatorVotes[0]
		v, err := svc.Vote(ctx, el)
		if err != nil || v.Kind != KindElevator || v.Status != StatusOpen || v.RequiresVoteID != sum.OpenVotes[0] {
			t.Errorf("first elevator vote: %+v %v", v, err)
		}
		var owner int64
		for _, e := range mustRollOf(t, svc, el) {
			if e.HouseholdID == resident && len(e.OwnerIDs) > 0 {
				owner = e.OwnerIDs[0]
			}
		}
		ov, err := svc.OwnerBallot(ctx, el, owner)
		if err != nil || ov.Counted != nil || !ov.CanCast || ov.Households[0].CostShareFen == nil {
			t.Errorf("the resident's ballot page: %+v %v", ov, err)
		}
		es, err := svc.Elevator(ctx, el)
		if err != nil || len(es.Consents) != 1 || len(es.Blockers) == 0 {
			t.Errorf("first elevator status: %+v %v", es, err)
		}
		var tallies []Tally
		quorate := 0
		all := append(append(append([]int64{}, sum.ClosedVotes...), sum.OpenVotes...), sum.ElevatorVotes...)
		for _, id := range all {
			tl, err := svc.Tally(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if tl.VotedHeads == 0 {
				t.Errorf("vote %d: nobody voted; the demo wants a moving quorum meter", id)
			}
			if tl.Quorum.Met {
				quorate++
			}
			t.Logf("vote %d (%s): %s, voted %d/%d heads, %d/%d dm², agree %d heads", id, tl.Rules, tl.Result, tl.VotedHeads, tl.TotalHeads, tl.VotedAreaDM2, tl.TotalAreaDM2, tl.AgreeHeads)
			tallies = append(tallies, tl)
			if ver, err := svc.Verify(ctx, id); err != nil || !ver.OK {
				t.Errorf("verify demo vote %d: %+v %v", id, ver.Problems, err)
			}
		}
		if quorate == 0 || quorate == len(all) {
			t.Errorf("%d of %d demo votes reached their quorum; the demo wants some of each", quorate, len(all))
		}
		// The same seed gives the same ballots on either database.
		if first == nil {
			first = tallies
		} else {
			for i := range first {
				if !sameCounts(first[i], tallies[i]) {
					t.Errorf("vote %d differs between databases: %+v vs %+v", all[i], first[i], tallies[i])
				}
			}
		}
	})
}

func mustRollOf(t *testing.T, svc *Service, id int64) []RollEntry {
	t.Helper()
	r, err := svc.Roll(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
