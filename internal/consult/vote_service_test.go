package consult

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
	"github.com/gengxin/gengxin/internal/pii"
	"github.com/gengxin/gengxin/internal/places"
)

// testClock is a clock the test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

var t0 = time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)

// Fixture ids.
const (
	fxCompound = 1
	fxBuilding = 1
	fxEntrance = 1 // building 1, first entrance
	fxOutsider = 99
)

// loadFixture writes one compound:
//
//	building 1, entrance 1: h101 A 100.00 m² registered (A also owns h201)
//	                        h102 B+C jointly, 90.00 m² surveyed only (B votes)
//	                        h103 D 80.00 m² contract only
//	                        h104 E 110.00 m² registered (E owns h202 with F)
//	                        h105, h106 developer-held, 70.00 m² surveyed each (owner X)
//	                        h107 no owner on record, 50.00 m²
//	building 1, entrance 2: h201 A 100.00 m²; h202 E+F 100.00 m²; h203 G, area unknown
//	building 2, entrance 3: h301 H 120.00 m²; h302 I 120.00 m²
//
// and owner 99 who owns nothing. Compound-wide that makes 9 heads of
// 101000 dm²; entrance 1 makes 6 heads of 57000 dm².
func loadFixture(t *testing.T, d *db.DB, log *audit.Log) {
	t.Helper()
	key := make([]byte, 64)
	box, err := pii.New(key)
	if err != nil {
		t.Fatal(err)
	}
	st := places.NewStore(d, box, log, func() time.Time { return t0 })
	ds := &places.Dataset{
		Regions:   []places.Region{{ID: 1, Code: "320499000000", Level: places.LevelDistrict, Name: "示范区", Path: "/1/"}},
		Compounds: []places.Compound{{ID: 1, Code: "C1", RegionID: 1, RegionPath: "/1/", Name: "幸福里", PropertyMode: "none", RenovationStatus: "none"}},
		Buildings: []places.Building{
			{ID: 1, Code: "B1", CompoundID: 1, Name: "1幢", Storeys: 6, Structure: "other", EntranceCount: 2},
			{ID: 2, Code: "B2", CompoundID: 1, Name: "2幢", Storeys: 6, Structure: "other", EntranceCount: 1},
		},
		Entrances: []places.Entrance{
			{ID: 1, Code: "B1-1", BuildingID: 1, Name: "1单元", Number: 1},
			{ID: 2, Code: "B1-2", BuildingID: 1, Name: "2单元", Number: 2},
			{ID: 3, Code: "B2-1", BuildingID: 2, Name: "1单元", Number: 1},
		},
	}
	hh := []places.Household{
		{ID: 101, EntranceID: 1, BuildingID: 1, Floor: 1, RegisteredDM2: 10000, SurveyedDM2: 9990},
		{ID: 102, EntranceID: 1, BuildingID: 1, Floor: 2, SurveyedDM2: 9000, ContractDM2: 9500},
		{ID: 103, EntranceID: 1, BuildingID: 1, Floor: 3, ContractDM2: 8000},
		{ID: 104, EntranceID: 1, BuildingID: 1, Floor: 4, RegisteredDM2: 11000},
		{ID: 105, EntranceID: 1, BuildingID: 1, Floor: 5, SurveyedDM2: 7000, DeveloperHeld: true},
		{ID: 106, EntranceID: 1, BuildingID: 1, Floor: 6, SurveyedDM2: 7000, DeveloperHeld: true},
		{ID: 107, EntranceID: 1, BuildingID: 1, Floor: 6, RegisteredDM2: 5000},
		{ID: 201, EntranceID: 2, BuildingID: 1, Floor: 1, RegisteredDM2: 10000},
		{ID: 202, EntranceID: 2, BuildingID: 1, Floor: 2, RegisteredDM2: 10000},
		{ID: 203, EntranceID: 2, BuildingID: 1, Floor: 3},
		{ID: 301, EntranceID: 3, BuildingID: 2, Floor: 1, RegisteredDM2: 12000},
		{ID: 302, EntranceID: 3, BuildingID: 2, Floor: 2, RegisteredDM2: 12000},
	}
	for i := range hh {
		hh[i].Code = "H" + itoa(hh[i].ID)
		hh[i].Room = itoa(hh[i].ID)
		hh[i].Occupancy = "owner"
	}
	ds.Households = hh
	for _, o := range []struct {
		id   int64
		name string
		dev  bool
	}{{1, "A", false}, {2, "B", false}, {3, "C", false}, {4, "D", false}, {5, "E", false}, {6, "F", false}, {7, "G", false},
		{8, "H", false}, {9, "I", false}, {50, "X 置业", true}, {fxOutsider, "Z", false}} {
		kind := places.OwnerPerson
		if o.dev {
			kind = places.OwnerOrganisation
		}
		ds.Owners = append(ds.Owners, places.Owner{ID: o.id, Code: "O" + itoa(o.id), Kind: kind, Name: o.name, IsDeveloper: o.dev})
	}
	link := func(h, o int64, voter bool) {
		ds.HouseholdOwners = append(ds.HouseholdOwners, places.HouseholdOwner{HouseholdID: h, OwnerID: o, ShareBP: 10000, IsVoter: voter})
	}
	link(101, 1, true)
	link(201, 1, true)
	link(102, 2, true)
	link(102, 3, false)
	link(103, 4, true)
	link(104, 5, true)
	link(202, 5, true)
	link(202, 6, false)
	link(105, 50, true)
	link(106, 50, true)
	link(203, 7, true)
	link(301, 8, true)
	link(302, 9, true)
	ctx := audit.WithActor(context.Background(), audit.System("test"))
	if err := st.Load(ctx, ds, audit.Change{Action: "test.load", ObjectType: "dataset", ObjectID: "fixture"}); err != nil {
		t.Fatal(err)
	}
}

func itoa(v int64) string { return idString(v) }

type fixture struct {
	svc   *Service
	clock *testClock
	log   *audit.Log
	db    *db.DB
	ctx   context.Context
}

func newFixture(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	clk := &testClock{t: t0}
	log := audit.New(d, clk.Now)
	loadFixture(t, d, log)
	return &fixture{svc: NewService(d, log, clk.Now), clock: clk, log: log, db: d,
		ctx: audit.WithActor(context.Background(), audit.Actor{Kind: audit.ActorUser, ID: 7, Name: "worker1"})}
}

func (f *fixture) cast(t *testing.T, vote, owner int64, c Choice) Receipt {
	t.Helper()
	r, err := f.svc.CastBallot(f.ctx, BallotInput{VoteID: vote, OwnerID: owner, Choice: c})
	if err != nil {
		t.Fatalf("owner %d: %v", owner, err)
	}
	return r
}

func TestVoteLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := f.ctx
		v, err := f.svc.CreateVote(ctx, NewVote{Title: " 续聘物业 ", Matter: MatterPropertyManager, ScopeType: ScopeCompound, ScopeID: fxCompound,
			OpensAt: t0.Add(time.Hour), ClosesAt: t0.Add(48 * time.Hour), ProjectID: 42})
		if err != nil {
			t.Fatal(err)
		}
		if v.Status != StatusDraft || v.Title != "续聘物业" || v.Rules.Name != RulesNational || v.Kind != KindGeneral || v.CompoundID != fxCompound || v.ProjectID != 42 || v.CreatedBy != "worker1" {
			t.Fatalf("created %+v", v)
		}
		if _, err := f.svc.CastBallot(ctx, BallotInput{VoteID: v.ID, OwnerID: 1, Choice: Agree}); !errors.Is(err, ErrNotYetOpen) {
			t.Errorf("ballot on a draft: %v", err)
		}
		if _, err := f.svc.Tally(ctx, v.ID); !errors.Is(err, ErrState) {
			t.Errorf("tally of a draft: %v", err)
		}
		if v, err = f.svc.OpenVote(ctx, v.ID); err != nil || v.Status != StatusOpen || v.RollHash == "" {
			t.Fatalf("open: %+v %v", v, err)
		}
		if _, err := f.svc.OpenVote(ctx, v.ID); !errors.Is(err, ErrState) {
			t.Errorf("open twice: %v", err)
		}
		// Opened early: ballots wait for the opening time.
		if _, err := f.svc.CastBallot(ctx, BallotInput{VoteID: v.ID, OwnerID: 1, Choice: Agree}); !errors.Is(err, ErrNotYetOpen) {
			t.Errorf("ballot before opening time: %v", err)
		}
		f.clock.Set(t0.Add(2 * time.Hour))

		roll, err := f.svc.Roll(ctx, v.ID)
		if err != nil || len(roll) != 12 {
			t.Fatalf("roll: %d entries, %v", len(roll), err)
		}
		byID := map[int64]RollEntry{}
		for _, e := range roll {
			byID[e.HouseholdID] = e
		}
		if e := byID[101]; e.AreaDM2 != 10000 || e.AreaSource != places.AreaRegistered || e.UnitNo != byID[201].UnitNo {
			t.Errorf("h101 = %+v (h201 in unit %d)", e, byID[201].UnitNo)
		}
		if e := byID[102]; e.AreaDM2 != 9000 || e.AreaSource != places.AreaSurveyed || len(e.OwnerIDs) != 2 || len(e.VoterIDs) != 1 || e.VoterIDs[0] != 2 {
			t.Errorf("h102 = %+v", e)
		}
		if e := byID[103]; e.AreaSource != places.AreaContract || e.AreaDM2 != 8000 {
			t.Errorf("h103 = %+v", e)
		}
		if byID[105].UnitNo != byID[106].UnitNo || !byID[105].DeveloperHeld || byID[104].UnitNo != byID[202].UnitNo {
			t.Errorf("developer or multi-unit heads are split: %+v", byID)
		}
		if e := byID[203]; e.AreaDM2 != 0 || e.AreaSource != "" {
			t.Errorf("h203 = %+v", e)
		}

		rB := f.cast(t, v.ID, 2, Agree)
		f.cast(t, v.ID, 1, Agree)
		rC := f.cast(t, v.ID, 3, Disagree) // B's co-owner: replaces B's ballot
		f.cast(t, v.ID, 4, Agree)
		f.cast(t, v.ID, 6, Agree) // F, co-owner of h202, votes for E's head
		f.cast(t, v.ID, 50, Agree)
		f.cast(t, v.ID, 8, Abstain)
		f.cast(t, v.ID, 9, Agree)
		if _, err := f.svc.CastBallot(ctx, BallotInput{VoteID: v.ID, OwnerID: fxOutsider, Choice: Agree}); !errors.Is(err, ErrNotOnRoll) {
			t.Errorf("ballot from outside the roll: %v", err)
		}
		if _, err := f.svc.CastBallot(ctx, BallotInput{VoteID: v.ID, OwnerID: 1, Choice: "yes"}); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad choice: %v", err)
		}
		if _, err := f.svc.CastBallot(ctx, BallotInput{VoteID: 999, OwnerID: 1, Choice: Agree}); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown vote: %v", err)
		}
		// Worked by hand: 9 heads, 101000 dm². Voted: A (h101+h201, 20000), B/C
		// (9000), D (8000), E/F (h104+h202, 21000), developer (14000), H (12000),
		// I (12000) = 7 heads, 96000 dm² ≥ 2/3. Agree: A, D, E/F, developer, I =
		// 5 heads, 75000 dm²; 5/7 and 75000/96000 are more than half: passed.
		tl, err := f.svc.Tally(ctx, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if tl.TotalHeads != 9 || tl.TotalAreaDM2 != 101000 || tl.VotedHeads != 7 || tl.VotedAreaDM2 != 96000 ||
			tl.AgreeHeads != 5 || tl.AgreeAreaDM2 != 75000 || tl.DisagreeHeads != 1 || tl.AbstainAreaDM2 != 12000 || tl.Result != ResultPassed {
			t.Errorf("tally = %+v", tl)
		}

		// B's receipt: B's ballot was replaced by C's.
		rc, err := f.svc.VerifyReceipt(ctx, v.ID, rB.Code)
		if err != nil || rc.Latest || rc.Choice != Agree || rc.Counted != Disagree || rc.CountedOwnerID != 3 || rc.CountedSeq != rC.Seq || !rc.HashOK {
			t.Errorf("B's receipt: %+v %v", rc, err)
		}
		// C's receipt, typed in lower case without dashes.
		lower := []byte(rC.Code)
		lower = bytes.ToLower(bytes.ReplaceAll(lower, []byte("-"), nil))
		if rc, err := f.svc.VerifyReceipt(ctx, v.ID, string(lower)); err != nil || !rc.Latest || rc.Counted != Disagree {
			t.Errorf("C's receipt: %+v %v", rc, err)
		}
		if _, err := f.svc.VerifyReceipt(ctx, v.ID, "AAAA-BBBB-CCCC-DDDD"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown receipt: %v", err)
		}
		ov, err := f.svc.OwnerBallot(ctx, v.ID, 2)
		if err != nil || ov.Counted == nil || ov.Counted.OwnerID != 3 || len(ov.History) != 2 || ov.History[0].Receipt != "" || !ov.CanCast || ov.AreaDM2 != 9000 {
			t.Errorf("B's ballot page: %+v %v", ov, err)
		}

		if _, err := f.svc.Results(ctx, v.ID); !errors.Is(err, ErrState) {
			t.Errorf("results of an open vote: %v", err)
		}
		if _, err := f.svc.CloseVote(ctx, v.ID); !errors.Is(err, ErrTooEarly) {
			t.Errorf("close before the end: %v", err)
		}
		f.clock.Set(t0.Add(48 * time.Hour))
		if _, err := f.svc.CastBallot(ctx, BallotInput{VoteID: v.ID, OwnerID: 7, Choice: Agree}); !errors.Is(err, ErrVotingClosed) {
			t.Errorf("ballot at closing time: %v", err)
		}
		if v, err = f.svc.CloseVote(ctx, v.ID); err != nil || v.Status != StatusClosed || v.Result != ResultPassed {
			t.Fatalf("close: %+v %v", v, err)
		}
		if _, err := f.svc.CastBallot(ctx, BallotInput{VoteID: v.ID, OwnerID: 7, Choice: Agree}); !errors.Is(err, ErrVotingClosed) {
			t.Errorf("ballot on a closed vote: %v", err)
		}
		res, err := f.svc.Results(ctx, v.ID)
		if err != nil || res.Tally.AgreeAreaDM2 != 75000 || !res.Effective || res.Elevator != nil {
			t.Errorf("results: %+v %v", res, err)
		}
		ver, err := f.svc.Verify(ctx, v.ID)
		if err != nil || !ver.OK || ver.Ballots != 8 || ver.Heads != 9 {
			t.Errorf("verify: %+v %v", ver, err)
		}
		list, err := f.svc.ListVotes(ctx, VoteFilter{CompoundID: fxCompound, Status: StatusClosed})
		if err != nil || len(list) != 1 || list[0].ID != v.ID {
			t.Errorf("list: %+v %v", list, err)
		}
		mine, err := f.svc.VotesOfOwner(ctx, 3)
		if err != nil || len(mine) != 1 {
			t.Errorf("votes of owner 3: %+v %v", mine, err)
		}
		entries, total, err := f.log.List(ctx, audit.Filter{ObjectType: "vote"})
		if err != nil || total != 2+8+1 {
			t.Errorf("audit: %d entries (%v)", total, err)
		}
		if len(entries) > 0 && entries[0].Action != "vote.close" {
			t.Errorf("newest audit entry = %s", entries[0].Action)
		}
		if vr, err := f.log.Verify(ctx); err != nil || vr.Broken != nil {
			t.Errorf("audit chain: %+v %v", vr, err)
		}
	})
}

func TestCreateVoteRefuses(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ok := NewVote{Title: "t", Matter: 1, ScopeType: ScopeCompound, ScopeID: fxCompound, OpensAt: t0, ClosesAt: t0.Add(time.Hour)}
		cases := []struct {
			name string
			edit func(*NewVote)
			want error
		}{
			{"no title", func(n *NewVote) { n.Title = " " }, ErrInvalid},
			{"matter 0", func(n *NewVote) { n.Matter = 0 }, ErrUnknownMatter},
			{"unknown rules", func(n *NewVote) { n.Rules = "x" }, ErrUnknownRules},
			{"closes before opening", func(n *NewVote) { n.ClosesAt = n.OpensAt }, ErrInvalid},
			{"bad scope type", func(n *NewVote) { n.ScopeType = "city" }, ErrInvalid},
			{"missing compound", func(n *NewVote) { n.ScopeID = 5 }, ErrNotFound},
			{"missing entrance", func(n *NewVote) { n.ScopeType, n.ScopeID = ScopeEntrance, 9 }, ErrNotFound},
			{"elevator on a compound", func(n *NewVote) { n.Rules = RulesElevator }, ErrInvalid},
			{"affected households on a general vote", func(n *NewVote) { n.Affected = []int64{101} }, ErrInvalid},
			{"affected household outside the entrance", func(n *NewVote) {
				n.Rules, n.ScopeType, n.ScopeID, n.Affected = RulesElevator, ScopeEntrance, fxEntrance, []int64{301}
			}, ErrInvalid},
			{"linked vote missing", func(n *NewVote) {
				n.Rules, n.ScopeType, n.ScopeID, n.RequiresVoteID = RulesElevator, ScopeEntrance, fxEntrance, 77
			}, ErrNotFound},
		}
		for _, c := range cases {
			nv := ok
			c.edit(&nv)
			if _, err := f.svc.CreateVote(f.ctx, nv); !errors.Is(err, c.want) {
				t.Errorf("%s: %v, want %v", c.name, err, c.want)
			}
		}
		if list, _ := f.svc.ListVotes(f.ctx, VoteFilter{}); len(list) != 0 {
			t.Errorf("refused votes were stored: %d", len(list))
		}
	})
}

// TestVerifyDetectsTampering alters the stored ballots, roll and result behind
// the service's back and expects Verify to name each change.
func TestVerifyDetectsTampering(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := f.ctx
		v, err := f.svc.CreateVote(ctx, NewVote{Title: "t", Matter: 1, ScopeType: ScopeCompound, ScopeID: fxCompound, OpensAt: t0, ClosesAt: t0.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.OpenVote(ctx, v.ID); err != nil {
			t.Fatal(err)
		}
		for _, o := range []int64{1, 2, 4, 5, 50, 8, 9} {
			f.cast(t, v.ID, o, Agree)
		}
		f.cast(t, v.ID, 9, Disagree)
		f.clock.Set(t0.Add(time.Hour))
		if _, err := f.svc.CloseVote(ctx, v.ID); err != nil {
			t.Fatal(err)
		}
		expect := func(what, want string) {
			t.Helper()
			ver, err := f.svc.Verify(ctx, v.ID)
			if err != nil {
				t.Fatal(err)
			}
			if ver.OK || len(ver.Problems) == 0 || !bytes.Contains([]byte(ver.Problems[0]), []byte(want)) {
				t.Errorf("%s: problems %q, want first to contain %q", what, ver.Problems, want)
			}
		}
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := d.Write().ExecContext(ctx, q, args...); err != nil {
				t.Fatal(err)
			}
		}
		if ver, err := f.svc.Verify(ctx, v.ID); err != nil || !ver.OK {
			t.Fatalf("untouched vote: %+v %v", ver, err)
		}
		exec(`UPDATE ballots SET choice = 'disagree' WHERE vote_id = $1 AND seq = 3`, v.ID)
		expect("changed choice", "ballot 3: its content does not match its hash")
		exec(`UPDATE ballots SET choice = 'agree' WHERE vote_id = $1 AND seq = 3`, v.ID)
		exec(`DELETE FROM ballots WHERE vote_id = $1 AND seq = 8`, v.ID)
		expect("removed last ballot", "ballot chain: the vote records 8 ballots")
		exec(`DELETE FROM ballots WHERE vote_id = $1 AND seq = 4`, v.ID)
		expect("removed middle ballot", "ballot 4 is missing")
	})
}

// TestVerifyDetectsRollAndResultTampering alters the frozen roll and the stored
// result of a closed vote.
func TestVerifyDetectsRollAndResultTampering(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := f.ctx
		v, _ := f.svc.CreateVote(ctx, NewVote{Title: "t", Matter: 1, ScopeType: ScopeCompound, ScopeID: fxCompound, OpensAt: t0, ClosesAt: t0.Add(time.Hour)})
		if _, err := f.svc.OpenVote(ctx, v.ID); err != nil {
			t.Fatal(err)
		}
		f.cast(t, v.ID, 1, Agree)
		f.clock.Set(t0.Add(time.Hour))
		if _, err := f.svc.CloseVote(ctx, v.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Write().ExecContext(ctx, `UPDATE vote_roll SET area_dm2 = 20000 WHERE vote_id = $1 AND household_id = 101`, v.ID); err != nil {
			t.Fatal(err)
		}
		ver, _ := f.svc.Verify(ctx, v.ID)
		if ver.OK || ver.Problems[0] != "roll: its content does not match the fingerprint taken when the vote opened (altered)" {
			t.Errorf("changed roll: %q", ver.Problems)
		}
		if _, err := d.Write().ExecContext(ctx, `UPDATE vote_roll SET area_dm2 = 10000 WHERE vote_id = $1 AND household_id = 101`, v.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Write().ExecContext(ctx, `UPDATE votes SET result = 'passed', result_json = REPLACE(result_json, '"result":"no_quorum"', '"result":"passed"') WHERE id = $1`, v.ID); err != nil {
			t.Fatal(err)
		}
		ver, _ = f.svc.Verify(ctx, v.ID)
		if ver.OK || ver.Problems[0] != "result: stored passed, recount no_quorum" {
			t.Errorf("changed result: %q", ver.Problems)
		}
	})
}

// TestConcurrentBallots casts many ballots at once for the same heads and
// checks that each head counts once and the chain holds.
func TestConcurrentBallots(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := f.ctx
		v, err := f.svc.CreateVote(ctx, NewVote{Title: "t", Matter: 1, ScopeType: ScopeCompound, ScopeID: fxCompound, OpensAt: t0, ClosesAt: t0.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.OpenVote(ctx, v.ID); err != nil {
			t.Fatal(err)
		}
		const n = 24
		owners := []int64{1, 2, 3} // A alone; B and C share h102
		var wg sync.WaitGroup
		errs := make(chan error, n)
		codes := make(chan string, n)
		for i := range n {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				c := Agree
				if i%2 == 1 {
					c = Disagree
				}
				r, err := f.svc.CastBallot(ctx, BallotInput{VoteID: v.ID, OwnerID: owners[i%len(owners)], Choice: c})
				errs <- err
				codes <- r.Code
			}(i)
		}
		wg.Wait()
		close(errs)
		close(codes)
		for err := range errs {
			if err != nil {
				t.Fatalf("concurrent ballot: %v", err)
			}
		}
		seen := map[string]bool{}
		for c := range codes {
			if seen[c] {
				t.Fatalf("receipt %s issued twice", c)
			}
			seen[c] = true
		}
		var count, distinct, maxSeq int64
		if err := d.Read().QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT seq), MAX(seq) FROM ballots WHERE vote_id = $1`, v.ID).Scan(&count, &distinct, &maxSeq); err != nil {
			t.Fatal(err)
		}
		if count != n || distinct != n || maxSeq != n {
			t.Errorf("ballots %d, distinct seq %d, max seq %d; want %d each", count, distinct, maxSeq, n)
		}
		tl, err := f.svc.Tally(ctx, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if tl.VotedHeads != 2 || tl.VotedAreaDM2 != 20000+9000 {
			t.Errorf("two heads voted %d times; tally counts %d heads, %d dm²", n, tl.VotedHeads, tl.VotedAreaDM2)
		}
		ver, err := f.svc.Verify(ctx, v.ID)
		if err != nil || !ver.OK || ver.Ballots != n {
			t.Errorf("verify: %+v %v", ver, err)
		}
		if vr, err := f.log.Verify(ctx); err != nil || vr.Broken != nil {
			t.Errorf("audit chain: %+v %v", vr, err)
		}
	})
}

var (
	pngScan  = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 64)...)
	pdfScan  = []byte("%PDF-1.4\n%demo\n")
	textScan = []byte("<html><body>not a scan</body></html>")
)

func TestAttachmentsAndPaperBallots(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := f.ctx
		a, err := f.svc.UploadAttachment(ctx, "../../选票 扫描.png", bytes.NewReader(pngScan))
		if err != nil || a.ContentType != "image/png" || a.Filename != "选票 扫描.png" || a.Size != int64(len(pngScan)) || a.UploadedBy != "worker1" {
			t.Fatalf("upload: %+v %v", a, err)
		}
		back, err := f.svc.Attachment(ctx, a.ID)
		if err != nil || !bytes.Equal(back.Data, pngScan) || back.SHA256 != a.SHA256 {
			t.Errorf("read back: %+v %v", back, err)
		}
		if _, err := f.svc.UploadAttachment(ctx, "ballot.pdf", bytes.NewReader(textScan)); !errors.Is(err, ErrAttachmentType) {
			t.Errorf("HTML named .pdf: %v", err)
		}
		big := append(append([]byte{}, pdfScan...), make([]byte, MaxAttachmentBytes)...)
		if _, err := f.svc.UploadAttachment(ctx, "big.pdf", bytes.NewReader(big)); !errors.Is(err, ErrAttachmentTooLarge) {
			t.Errorf("11 MB: %v", err)
		}
		if _, err := f.svc.Attachment(ctx, 999); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing attachment: %v", err)
		}

		v, _ := f.svc.CreateVote(ctx, NewVote{Title: "t", Matter: 1, ScopeType: ScopeBuilding, ScopeID: fxBuilding, OpensAt: t0, ClosesAt: t0.Add(time.Hour)})
		if _, err := f.svc.OpenVote(ctx, v.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.CastBallot(ctx, BallotInput{VoteID: v.ID, OwnerID: 1, Choice: Agree, Channel: ChannelPaper}); !errors.Is(err, ErrAttachmentRequired) {
			t.Errorf("paper ballot without scan: %v", err)
		}
		if _, err := f.svc.CastBallot(ctx, BallotInput{VoteID: v.ID, OwnerID: 1, Choice: Agree, Channel: ChannelProxy, AttachmentID: 999}); !errors.Is(err, ErrNotFound) {
			t.Errorf("proxy with a missing authorisation: %v", err)
		}
		if _, err := f.svc.CastBallot(ctx, BallotInput{VoteID: v.ID, OwnerID: 1, Choice: Agree, Channel: "fax"}); !errors.Is(err, ErrInvalid) {
			t.Errorf("unknown channel: %v", err)
		}
		r, err := f.svc.CastBallot(ctx, BallotInput{VoteID: v.ID, OwnerID: 1, Choice: Agree, Channel: ChannelProxy, AttachmentID: a.ID, Note: "委托人：A 之女"})
		if err != nil || r.Channel != ChannelProxy {
			t.Fatalf("proxy ballot: %+v %v", r, err)
		}
		ov, err := f.svc.OwnerBallot(ctx, v.ID, 1)
		if err != nil || ov.Counted == nil || ov.Counted.AttachmentSHA256 != a.SHA256 || ov.Counted.EnteredBy != "worker1" || ov.Counted.Note != "委托人：A 之女" {
			t.Errorf("ballot page: %+v %v", ov.Counted, err)
		}
		// Building 1 only: A's head is h101+h201 (20000 dm²).
		if ov.AreaDM2 != 20000 || len(ov.Households) != 2 {
			t.Errorf("A's head in building 1: %d dm², %d households", ov.AreaDM2, len(ov.Households))
		}
	})
}

func TestElevatorVote(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := f.ctx
		land, err := f.svc.CreateVote(ctx, NewVote{Title: "占用共有绿地", Matter: MatterCommonUse, ScopeType: ScopeCompound, ScopeID: fxCompound,
			OpensAt: t0, ClosesAt: t0.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		other, _ := f.svc.CreateVote(ctx, NewVote{Title: "楼栋表决", Matter: 1, ScopeType: ScopeBuilding, ScopeID: fxBuilding, OpensAt: t0, ClosesAt: t0.Add(time.Hour)})
		el, err := f.svc.CreateVote(ctx, NewVote{Title: "1单元加装电梯", Matter: MatterRebuild, Rules: RulesElevator, ScopeType: ScopeEntrance, ScopeID: fxEntrance,
			OpensAt: t0, ClosesAt: t0.Add(time.Hour), Affected: []int64{101, 101}, UsesCommonLand: true})
		if err != nil {
			t.Fatal(err)
		}
		if el.Kind != KindElevator || len(el.Affected) != 1 || el.Rules.Approval[MatterRebuild].Heads.String() != "≥ 3/4" {
			t.Fatalf("elevator vote: %+v", el)
		}
		if err := f.svc.LinkCompoundVote(ctx, el.ID, other.ID); !errors.Is(err, ErrInvalid) {
			t.Errorf("linking a building vote: %v", err)
		}
		if err := f.svc.LinkCompoundVote(ctx, land.ID, land.ID); !errors.Is(err, ErrInvalid) {
			t.Errorf("linking to a general vote: %v", err)
		}
		es, err := f.svc.Elevator(ctx, el.ID)
		if err != nil || len(es.Blockers) != 2 {
			t.Errorf("draft elevator status: %+v %v", es, err)
		}
		if err := f.svc.LinkCompoundVote(ctx, el.ID, land.ID); err != nil {
			t.Fatal(err)
		}
		for _, id := range []int64{land.ID, el.ID} {
			if _, err := f.svc.OpenVote(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		shares := map[int64]int64{101: 0, 102: 1_200_000, 103: 2_400_000, 104: 3_600_000}
		if err := f.svc.SetCostShares(ctx, el.ID, shares); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetCostShares(ctx, el.ID, map[int64]int64{301: 5}); !errors.Is(err, ErrNotOnRoll) {
			t.Errorf("cost share outside the entrance: %v", err)
		}
		ov, err := f.svc.OwnerBallot(ctx, el.ID, 3)
		if err != nil || len(ov.Households) != 1 || ov.Households[0].CostShareFen == nil || *ov.Households[0].CostShareFen != 1_200_000 {
			t.Errorf("C's elevator ballot page: %+v %v", ov, err)
		}
		// A's ballot page in the entrance: only h101, which needs A's consent.
		ov, err = f.svc.OwnerBallot(ctx, el.ID, 1)
		if err != nil || len(ov.Households) != 1 || !ov.Households[0].ConsentRequired || ov.AreaDM2 != 10000 {
			t.Errorf("A's elevator ballot page: %+v %v", ov, err)
		}

		// Entrance 1: 6 heads, 57000 dm² (h107 has no owner on record).
		// A, B, D, E and the developer agree: 5 heads, 52000 dm² take part (≥ 2/3)
		// and all agree (≥ 3/4): passed.
		for _, o := range []int64{1, 2, 4, 5, 50} {
			f.cast(t, el.ID, o, Agree)
		}
		// The compound-wide vote: 9 heads, 101000 dm²; A, B, D, E, developer, H
		// and I take part (7 heads, 96000 dm²); all but I agree (6 of 7 heads,
		// 84000 of 96000 dm² ≥ 3/4): passed.
		for _, o := range []int64{1, 2, 4, 5, 50, 8} {
			f.cast(t, land.ID, o, Agree)
		}
		f.cast(t, land.ID, 9, Disagree)

		a, _ := f.svc.UploadAttachment(ctx, "consent.pdf", bytes.NewReader(pdfScan))
		if err := f.svc.RecordConsent(ctx, el.ID, 101, true, 0, ""); !errors.Is(err, ErrAttachmentRequired) {
			t.Errorf("consent without the signed statement: %v", err)
		}
		if err := f.svc.RecordConsent(ctx, el.ID, 102, true, a.ID, ""); !errors.Is(err, ErrInvalid) {
			t.Errorf("consent of an unaffected household: %v", err)
		}
		if err := f.svc.RecordConsent(ctx, el.ID, 301, true, a.ID, ""); !errors.Is(err, ErrNotOnRoll) {
			t.Errorf("consent from another entrance: %v", err)
		}
		if err := f.svc.RecordConsent(ctx, land.ID, 101, true, a.ID, ""); !errors.Is(err, ErrInvalid) {
			t.Errorf("consent on a general vote: %v", err)
		}
		if err := f.svc.RecordConsent(ctx, el.ID, 101, false, a.ID, "担心采光"); err != nil {
			t.Fatal(err)
		}
		es, err = f.svc.Elevator(ctx, el.ID)
		if err != nil || len(es.Consents) != 1 || !es.Consents[0].Recorded || es.Consents[0].Consent || len(es.Blockers) != 2 {
			t.Errorf("after a refusal: %+v %v", es, err)
		}

		f.clock.Set(t0.Add(time.Hour))
		for _, id := range []int64{el.ID, land.ID} {
			if _, err := f.svc.CloseVote(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		res, err := f.svc.Results(ctx, el.ID)
		if err != nil || res.Tally.Result != ResultPassed || res.Effective || res.Elevator == nil || len(res.Elevator.Blockers) != 1 {
			t.Fatalf("results with a refused consent: %+v %v", res, err)
		}
		if res.Tally.TotalHeads != 6 || res.Tally.TotalAreaDM2 != 57000 || res.Tally.VotedAreaDM2 != 52000 {
			t.Errorf("elevator tally: %+v", res.Tally)
		}
		// The household changes its mind after the vote; the newest consent counts.
		if err := f.svc.RecordConsent(ctx, el.ID, 101, true, a.ID, "补签同意书"); err != nil {
			t.Fatal(err)
		}
		res, err = f.svc.Results(ctx, el.ID)
		if err != nil || !res.Effective || res.Elevator.CompoundVoteResult != ResultPassed || len(res.Elevator.Blockers) != 0 {
			t.Errorf("results with every consent and the compound vote passed: %+v %v", res, err)
		}
		for _, id := range []int64{el.ID, land.ID} {
			if ver, err := f.svc.Verify(ctx, id); err != nil || !ver.OK {
				t.Errorf("verify %d: %+v %v", id, ver, err)
			}
		}
	})
}
