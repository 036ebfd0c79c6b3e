package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/consult"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/pii"
	"github.com/gengxin/gengxin/internal/places"
)

// gxVote runs "gengxin vote ARGS" and returns the exit code run would give.
func gxVote(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, stdin: strings.NewReader(""), getenv: func(string) string { return "" }}
	e.logger = newLogger(&errb, "error")
	err := cmdVote(context.Background(), e, args)
	code := 0
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		code = 2
		errb.WriteString(err.Error())
	default:
		code = 1
		errb.WriteString(err.Error())
	}
	return code, out.String(), errb.String()
}

// voteRoll: A owns 101 and 103 (one head, 154.50 m²), B and C own 102 jointly
// (70.20 m²), D 90.00, E 88.00, F 88.00, and the developer holds 901–903
// (one head, 3 × 75.00 m²). 6 heads, 71570 dm² in all.
const voteRoll = `household_id,owner_id,area_dm2,developer_unsold
101,A,8950,false
102,B,7020,false
102,C,7020,false
103,A,6500,false
104,D,9000,false
105,E,8800,false
106,F,8800,false
901,DEV,7500,true
902,DEV,7500,true
903,DEV,7500,true
`

// voteBallots: C's ballot replaces B's (same household); F does not vote.
// Took part: A 15450, B/C 7020, D 9000, E 8800, DEV 22500 = 5 heads, 62770 dm²
// (3·62770 = 188310 ≥ 2·71570 = 143140; 3·5 ≥ 2·6): quorum.
// Agree: A, C, D, DEV = 4 heads, 53970 dm²; E abstains.
const voteBallots = `owner_id,choice
A,agree
B,disagree
D,agree
C,agree
E,abstain
DEV,agree
`

func TestVoteTally(t *testing.T) {
	dir := t.TempDir()
	roll := writeFile(t, dir, "roll.csv", voteRoll)
	ballots := writeFile(t, dir, "ballots.csv", voteBallots)
	// A changes their mind at the end: agree drops to C, D, DEV = 3 heads, 38520 dm².
	changed := writeFile(t, dir, "changed.csv", voteBallots+"A,disagree\n")
	cases := []struct {
		name, ballots, matter, rules string
		want                         string
		agreeHeads, agreeArea        int64
	}{
		// Matter 4, > 1/2: 2·53970 > 62770 and 2·4 > 5.
		{"more than half", ballots, "4", "", "passed", 4, 53970},
		// Matter 7, ≥ 3/4: 4·53970 = 215880 ≥ 188310 and 4·4 = 16 ≥ 15.
		{"three quarters", ballots, "rebuild", "", "passed", 4, 53970},
		// Matter 4 after A's change: 2·38520 = 77040 > 62770 and 2·3 > 5.
		{"after a change, more than half", changed, "4", "national", "passed", 3, 38520},
		// Matter 7 after A's change: 4·38520 = 154080 < 188310.
		{"after a change, short of three quarters", changed, "7", "national", "failed", 3, 38520},
		// Matter 5 under the old fund rule, over all owners: 3·53970 ≥ 2·71570 and
		// 4 of 6 heads is exactly 2/3.
		{"fund rule, exactly 2/3 of all heads", ballots, "5", "fund_two_thirds_all", "passed", 4, 53970},
		// The same after A's change: 3 of 6 heads < 2/3.
		{"fund rule after a change", changed, "5", "fund_two_thirds_all", "failed", 3, 38520},
		// Elevator rules: 3 of 5 participating heads < 3/4.
		{"elevator after a change", changed, "7", "elevator", "failed", 3, 38520},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"tally", "--roll", roll, "--ballots", c.ballots, "--matter", c.matter}
			if c.rules != "" {
				args = append(args, "--rules", c.rules)
			}
			code, out, errs := gxVote(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("output is not one JSON object: %v\n%s", err, out)
			}
			want := map[string]any{"result": c.want, "total_area_dm2": 71570.0, "total_heads": 6.0, "voted_area_dm2": 62770.0,
				"voted_heads": 5.0, "agree_area_dm2": float64(c.agreeArea), "agree_heads": float64(c.agreeHeads)}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
			if got["rules"] == "" || got["matter"] == nil || got["quorum"] == nil || got["approval"] == nil {
				t.Errorf("output lacks rules, matter or fractions: %s", out)
			}
		})
	}
	code, out, _ := gxVote(t, "tally", "--roll", roll, "--ballots", ballots, "--matter", "4")
	if code != 0 || !strings.Contains(out, `"fraction": "5/6"`) || !strings.Contains(out, `"fraction": "62770/71570"`) || !strings.Contains(out, `"rule": "≥ 2/3"`) {
		t.Errorf("fractions missing from:\n%s", out)
	}
}

func TestVoteTallyBadInput(t *testing.T) {
	dir := t.TempDir()
	roll := writeFile(t, dir, "roll.csv", voteRoll)
	ballots := writeFile(t, dir, "ballots.csv", voteBallots)
	cases := []struct {
		name       string
		roll, bals string
		args       []string
		code       int
		want       string
	}{
		{"ballot from outside the roll", "", "owner_id,choice\nA,agree\nB,agree\nZ,agree\n", nil, 1, "ballots.csv line 4 (owner_id): owner Z is not on the roll"},
		{"bad choice", "", "owner_id,choice\nA,agree\nB,yes\n", nil, 1, `ballots.csv line 3 (choice): choice must be agree, disagree or abstain, not "yes"`},
		{"missing ballot column", "", "owner,choice\nA,agree\n", nil, 1, `ballots.csv line 1 (owner_id): missing column "owner_id"`},
		{"bad number", "household_id,owner_id,area_dm2,developer_unsold\n101,A,8950,false\n102,B,70.2,false\n", "", nil, 1, `roll.csv line 3 (area_dm2): "70.2" is not a whole, non-negative number of dm²`},
		{"missing roll column", "household_id,owner_id,developer_unsold\n101,A,false\n", "", nil, 1, `roll.csv line 1 (area_dm2): missing column "area_dm2"`},
		{"inconsistent area", voteRoll + "104,G,9001,false\n", "", nil, 1, "roll.csv line 12 (area_dm2): household 104 has area 9001 here but 9000 on line 6"},
		{"bad developer flag", "household_id,owner_id,area_dm2,developer_unsold\n101,A,8950,yes\n", "", nil, 1, `roll.csv line 2 (developer_unsold): "yes" is not true or false`},
		{"missing file", "", "", []string{"--roll", filepath.Join(dir, "nope.csv")}, 1, "nope.csv"},
		{"no matter", "", "", []string{"--matter", ""}, 2, "--matter are required"},
		{"matter 10", "", "", []string{"--matter", "10"}, 2, "unknown matter"},
		{"unknown rules", "", "", []string{"--rules", "shanghai"}, 2, "unknown rule set"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, b := roll, ballots
			if c.roll != "" {
				r = writeFile(t, t.TempDir(), "roll.csv", c.roll)
			}
			if c.bals != "" {
				b = writeFile(t, t.TempDir(), "ballots.csv", c.bals)
			}
			args := append([]string{"tally", "--roll", r, "--ballots", b, "--matter", "4"}, c.args...)
			code, out, errs := gxVote(t, args...)
			if code != c.code || !strings.Contains(errs, c.want) || out != "" {
				t.Errorf("exit %d, stderr %q, stdout %q; want exit %d and %q", code, errs, out, c.code, c.want)
			}
		})
	}
	if code, _, _ := gxVote(t); code != 2 {
		t.Errorf("vote without a subcommand: exit %d", code)
	}
	if code, _, _ := gxVote(t, "count"); code != 2 {
		t.Errorf("unknown subcommand: exit %d", code)
	}
	if code, out, _ := gxVote(t, "tally", "--help"); code != 0 || !strings.Contains(out, "Usage: gengxin vote tally") {
		t.Errorf("help: %d %q", code, out)
	}
}

func TestVoteVerify(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "v.db")
	dsn := "sqlite:" + dbPath
	ctx := audit.WithActor(context.Background(), audit.System("test"))
	d, err := db.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	log := audit.New(d, clock)
	box, err := pii.New(make([]byte, 64))
	if err != nil {
		t.Fatal(err)
	}
	ds := &places.Dataset{
		Regions:   []places.Region{{ID: 1, Code: "320499000000", Level: places.LevelDistrict, Name: "示范区", Path: "/1/"}},
		Compounds: []places.Compound{{ID: 1, Code: "C1", RegionID: 1, RegionPath: "/1/", Name: "幸福里"}},
		Buildings: []places.Building{{ID: 1, Code: "B1", CompoundID: 1, Name: "1幢", Storeys: 3, Structure: "other"}},
		Owners:    []places.Owner{{ID: 1, Code: "O1", Kind: "person", Name: "甲"}, {ID: 2, Code: "O2", Kind: "person", Name: "乙"}, {ID: 3, Code: "O3", Kind: "person", Name: "丙"}},
	}
	for i := int64(1); i <= 3; i++ {
		ds.Households = append(ds.Households, places.Household{ID: i, Code: "H" + string(rune('0'+i)), BuildingID: 1, Room: "101", Floor: int(i), RegisteredDM2: 8000, Occupancy: "owner"})
		ds.HouseholdOwners = append(ds.HouseholdOwners, places.HouseholdOwner{HouseholdID: i, OwnerID: i, ShareBP: 10000, IsVoter: true})
	}
	if err := places.NewStore(d, box, log, clock).Load(ctx, ds, audit.Change{Action: "test.load", ObjectType: "dataset", ObjectID: "t"}); err != nil {
		t.Fatal(err)
	}
	svc := consult.NewService(d, log, clock)
	v, err := svc.CreateVote(ctx, consult.NewVote{Title: "选举业主委员会", Matter: consult.MatterCommittee, ScopeType: consult.ScopeCompound, ScopeID: 1,
		OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.OpenVote(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	for _, o := range []int64{1, 2, 3} {
		if _, err := svc.CastBallot(ctx, consult.BallotInput{VoteID: v.ID, OwnerID: o, Choice: consult.Agree}); err != nil {
			t.Fatal(err)
		}
	}
	if code, out, errs := gxVote(t, "verify", "--db", dsn, "1"); code != 0 || !strings.Contains(out, "OK: vote 1 (open)") {
		t.Errorf("verify open vote: %d %q %q", code, out, errs)
	}
	now = now.Add(time.Hour)
	if _, err := svc.CloseVote(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	d.Close()
	code, out, errs := gxVote(t, "verify", "--db", dsn, "1")
	if code != 0 || !strings.Contains(out, "OK: vote 1 (closed, passed): 3 ballots, 3 heads") {
		t.Errorf("verify closed vote: %d %q %q", code, out, errs)
	}
	if code, _, errs := gxVote(t, "verify", "--db", dsn, "9"); code != 1 || !strings.Contains(errs, "not found") {
		t.Errorf("verify a missing vote: %d %q", code, errs)
	}
	if code, _, _ := gxVote(t, "verify", "--db", dsn); code != 2 {
		t.Errorf("verify without an id: %d", code)
	}
	if code, _, _ := gxVote(t, "verify", "1"); code != 2 {
		t.Errorf("verify without --db: %d", code)
	}

	w, err := sql.Open("sqlite", "file:"+dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Exec(`UPDATE ballots SET choice = 'disagree' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	w.Close()
	code, out, errs = gxVote(t, "verify", "--db", dsn, "1")
	if code != 1 || !strings.Contains(out, "MISMATCH in vote 1 (closed): ballot 2: its content does not match its hash (altered)") ||
		!strings.Contains(out, "agree_heads: stored 3, recount 2") || !strings.Contains(errs, "ballot 2") {
		t.Errorf("verify after tampering: %d %q %q", code, out, errs)
	}
}
