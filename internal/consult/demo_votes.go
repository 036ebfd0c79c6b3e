package consult

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
)

// DemoOptions tells SeedDemo where to put the demo votes.
type DemoOptions struct {
	// HouseholdID is a household of the compound to seed, normally the demo
	// resident's; its entrance gets the first elevator vote, and its head casts
	// no ballot so the resident can try.
	HouseholdID int64
	Seed        int64
	// Entrances is the number of elevator votes to open (default 3).
	Entrances int
}

// DemoSummary lists the votes SeedDemo created.
type DemoSummary struct {
	CompoundID    int64
	ElevatorVotes []int64 // open, one per entrance, the resident's entrance first
	OpenVotes     []int64 // open compound-wide votes
	ClosedVotes   []int64 // closed compound-wide votes with a published result
}

// demoScan is a one-page PDF standing for the scans of paper ballots and
// written consents in the demo.
var demoScan = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")

// SeedDemo fills the compound of opt.HouseholdID with votes a new user can look
// at: a closed compound-wide vote with its published result, an open
// compound-wide vote on the use of common land, and one open elevator vote per
// entrance for a few entrances (the first linked to the common-land vote), each
// with ballots from a share of the owners drawn from opt.Seed, so the same seed
// always gives the same ballots.
func SeedDemo(ctx context.Context, svc *Service, opt DemoOptions) (DemoSummary, error) {
	if opt.Entrances <= 0 {
		opt.Entrances = 3
	}
	if audit.ActorFrom(ctx).Name == "unknown" {
		ctx = audit.WithActor(ctx, audit.System("demo"))
	}
	var sum DemoSummary
	var ownEntrance sql.NullInt64
	err := svc.db.Read().QueryRowContext(ctx, `SELECT b.compound_id, h.entrance_id FROM households h JOIN buildings b ON b.id = h.building_id WHERE h.id = $1`,
		opt.HouseholdID).Scan(&sum.CompoundID, &ownEntrance)
	if errors.Is(err, sql.ErrNoRows) {
		return sum, fmt.Errorf("demo votes: household %d: %w", opt.HouseholdID, ErrNotFound)
	}
	if err != nil {
		return sum, fmt.Errorf("demo votes: %w", err)
	}
	entrances, err := demoEntrances(ctx, svc, sum.CompoundID, ownEntrance.Int64, opt.Entrances)
	if err != nil {
		return sum, err
	}
	r := rand.New(rand.NewPCG(uint64(opt.Seed), 0x766f746573))
	scan, err := svc.UploadAttachment(ctx, "纸质表决票扫描件.pdf", bytes.NewReader(demoScan))
	if err != nil {
		return sum, fmt.Errorf("demo votes: %w", err)
	}
	skip := opt.HouseholdID
	now := svc.clock()
	day := 24 * time.Hour

	// A closed vote from last month with its published result.
	opens := now.Add(-60 * day)
	past := svc.at(opens.Add(time.Hour))
	closed, err := past.CreateVote(ctx, NewVote{Title: "关于续聘小区物业服务企业的业主共同决定", Matter: MatterPropertyManager,
		Description: "物业服务合同期满，业主委员会提议按原标准续聘现物业服务企业三年。",
		ScopeType:   ScopeCompound, ScopeID: sum.CompoundID, OpensAt: opens, ClosesAt: now.Add(-30 * day)})
	if err != nil {
		return sum, fmt.Errorf("demo votes: %w", err)
	}
	if _, err := past.OpenVote(ctx, closed.ID); err != nil {
		return sum, fmt.Errorf("demo votes: %w", err)
	}
	if err := demoBallots(ctx, svc, closed.ID, r, 0.86, 0.82, skip, scan.ID, func(i int) time.Time { return opens.Add(2*time.Hour + time.Duration(i)*3*time.Minute) }); err != nil {
		return sum, err
	}
	if _, err := svc.CloseVote(ctx, closed.ID); err != nil {
		return sum, fmt.Errorf("demo votes: %w", err)
	}
	sum.ClosedVotes = append(sum.ClosedVotes, closed.ID)

	// An open compound-wide vote on using common land for the first elevator.
	land, err := svc.CreateVote(ctx, NewVote{Title: "关于加装电梯占用小区共有绿地的业主共同决定", Matter: MatterCommonUse,
		Description: "拟在单元北侧共有绿地上建设电梯井道及候梯厅，占地约12平方米，绿地在小区内另行补建。",
		ScopeType:   ScopeCompound, ScopeID: sum.CompoundID, OpensAt: now.Add(-3 * day), ClosesAt: now.Add(27 * day)})
	if err != nil {
		return sum, fmt.Errorf("demo votes: %w", err)
	}
	if _, err := svc.OpenVote(ctx, land.ID); err != nil {
		return sum, fmt.Errorf("demo votes: %w", err)
	}
	if err := demoBallots(ctx, svc, land.ID, r, 0.41, 0.8, skip, scan.ID, nil); err != nil {
		return sum, err
	}
	sum.OpenVotes = append(sum.OpenVotes, land.ID)

	// One open elevator vote per entrance.
	for i, en := range entrances {
		nv := NewVote{Title: fmt.Sprintf("%s%s加装电梯业主表决", en.building, en.name), Matter: MatterRebuild, Rules: RulesElevator,
			Description: "既有住宅加装电梯：费用按楼层分摊，一层不分摊；专有部分受影响的住户须另行书面同意。",
			ScopeType:   ScopeEntrance, ScopeID: en.id, OpensAt: now.Add(-7 * day), ClosesAt: now.Add(21 * day), Affected: en.ground}
		if i == 0 {
			nv.UsesCommonLand, nv.RequiresVoteID = true, land.ID
		}
		v, err := svc.CreateVote(ctx, nv)
		if err != nil {
			return sum, fmt.Errorf("demo votes: %w", err)
		}
		if _, err := svc.OpenVote(ctx, v.ID); err != nil {
			return sum, fmt.Errorf("demo votes: %w", err)
		}
		if err := svc.SetCostShares(ctx, v.ID, demoCostShares(en.floors, 60_000_000)); err != nil {
			return sum, fmt.Errorf("demo votes: %w", err)
		}
		share := 0.45 + 0.4*r.Float64()
		if i == 1 {
			share = 0.95 // one entrance has already reached its quorum
		}
		if err := demoBallots(ctx, svc, v.ID, r, share, 0.85, skip, scan.ID, nil); err != nil {
			return sum, err
		}
		if i > 0 {
			for _, h := range en.ground {
				if err := svc.RecordConsent(ctx, v.ID, h, true, scan.ID, "书面同意书"); err != nil {
					return sum, fmt.Errorf("demo votes: %w", err)
				}
			}
		}
		sum.ElevatorVotes = append(sum.ElevatorVotes, v.ID)
	}
	return sum, nil
}

type demoEntrance struct {
	id             int64
	name, building string
	ground         []int64         // the ground-floor household nearest the shaft
	floors         map[int64]int64 // household → floor
}

// demoEntrances picks up to n entrances without an elevator, the resident's
// first, and reads their households.
func demoEntrances(ctx context.Context, svc *Service, compound, own int64, n int) ([]demoEntrance, error) {
	rows, err := svc.db.Read().QueryContext(ctx, `SELECT e.id, e.name, b.name FROM entrances e JOIN buildings b ON b.id = e.building_id
		WHERE b.compound_id = $1 AND NOT e.has_elevator ORDER BY e.id`, compound)
	if err != nil {
		return nil, fmt.Errorf("demo votes: %w", err)
	}
	var all []demoEntrance
	for rows.Next() {
		var e demoEntrance
		if err := rows.Scan(&e.id, &e.name, &e.building); err != nil {
			rows.Close()
			return nil, fmt.Errorf("demo votes: %w", err)
		}
		all = append(all, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("demo votes: %w", err)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].id == own && all[j].id != own })
	var out []demoEntrance
	for _, e := range all {
		if len(out) == n {
			break
		}
		hrows, err := svc.db.Read().QueryContext(ctx, `SELECT id, floor FROM households WHERE entrance_id = $1 ORDER BY floor, id`, e.id)
		if err != nil {
			return nil, fmt.Errorf("demo votes: %w", err)
		}
		e.floors = make(map[int64]int64)
		for hrows.Next() {
			var id, floor int64
			if err := hrows.Scan(&id, &floor); err != nil {
				hrows.Close()
				return nil, fmt.Errorf("demo votes: %w", err)
			}
			if len(e.ground) == 0 {
				e.ground = []int64{id}
			}
			e.floors[id] = floor
		}
		hrows.Close()
		if err := hrows.Err(); err != nil {
			return nil, fmt.Errorf("demo votes: %w", err)
		}
		if len(e.floors) > 0 {
			out = append(out, e)
		}
	}
	return out, nil
}

// demoCostShares splits total fen by floor: the ground floor pays nothing and
// each floor above pays in proportion to its height above it; the remainder of
// the integer division goes to the highest household.
func demoCostShares(floors map[int64]int64, total int64) map[int64]int64 {
	ids := make([]int64, 0, len(floors))
	var weight int64
	for id, f := range floors {
		ids = append(ids, id)
		weight += max(f-1, 0)
	}
	sort.Slice(ids, func(i, j int) bool {
		if floors[ids[i]] != floors[ids[j]] {
			return floors[ids[i]] < floors[ids[j]]
		}
		return ids[i] < ids[j]
	})
	out := make(map[int64]int64, len(ids))
	if weight == 0 {
		for _, id := range ids {
			out[id] = 0
		}
		return out
	}
	var given int64
	for _, id := range ids {
		out[id] = total * max(floors[id]-1, 0) / weight
		given += out[id]
	}
	out[ids[len(ids)-1]] += total - given
	return out
}

// demoBallots casts a ballot for a share of the heads of a vote, agreeing with
// probability agree, a tenth of them from paper; a few owners change their mind.
// at, when set, gives the clock of the i-th ballot (for votes in the past).
func demoBallots(ctx context.Context, svc *Service, voteID int64, r *rand.Rand, share, agree float64, skipHousehold, scan int64, at func(int) time.Time) error {
	roll, err := svc.Roll(ctx, voteID)
	if err != nil {
		return fmt.Errorf("demo votes: %w", err)
	}
	voter := make(map[int]int64)
	skipUnit := -1
	var units []int
	for _, e := range roll {
		if e.HouseholdID == skipHousehold {
			skipUnit = e.UnitNo
		}
		if _, ok := voter[e.UnitNo]; ok {
			continue
		}
		switch {
		case len(e.VoterIDs) > 0:
			voter[e.UnitNo] = e.VoterIDs[0]
		case len(e.OwnerIDs) > 0:
			voter[e.UnitNo] = e.OwnerIDs[0]
		default:
			continue
		}
		units = append(units, e.UnitNo)
	}
	n := 0
	for _, u := range units {
		if u == skipUnit || r.Float64() >= share {
			continue
		}
		casts := 1
		if r.Float64() < 0.04 {
			casts = 2
		}
		for k := 0; k < casts; k++ {
			c := Agree
			switch p := r.Float64(); {
			case p >= agree+(1-agree)/2:
				c = Abstain
			case p >= agree:
				c = Disagree
			}
			in := BallotInput{VoteID: voteID, OwnerID: voter[u], Choice: c}
			if r.Float64() < 0.1 {
				in.Channel, in.AttachmentID = ChannelPaper, scan
			}
			s := svc
			if at != nil {
				s = svc.at(at(n))
			}
			if _, err := s.CastBallot(ctx, in); err != nil {
				return fmt.Errorf("demo votes: %w", err)
			}
			n++
		}
	}
	return nil
}
