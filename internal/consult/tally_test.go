package consult

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// testRoll builds a roll from rows "household owner[,owner…] area [dev]", e.g.
// "h1 A,B 100" (a household owned jointly by A and B) or "h9 D 70 dev". An
// owner written as "-" leaves the household without owners; an owner ending in
// "*" is its designated voter (otherwise every owner is one).
func testRoll(t *testing.T, rows ...string) *Roll {
	t.Helper()
	var hh []RollHousehold
	for _, r := range rows {
		f := strings.Fields(r)
		if len(f) < 3 {
			t.Fatalf("bad test row %q", r)
		}
		area, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		h := RollHousehold{ID: f[0], AreaDM2: area, Developer: len(f) > 3 && f[3] == "dev"}
		if f[1] != "-" {
			marked := strings.Contains(f[1], "*")
			for _, o := range strings.Split(f[1], ",") {
				h.Owners = append(h.Owners, RollOwner{ID: strings.TrimSuffix(o, "*"), Voter: !marked || strings.HasSuffix(o, "*")})
			}
		}
		hh = append(hh, h)
	}
	roll, err := NewRoll(hh)
	if err != nil {
		t.Fatal(err)
	}
	return roll
}

// testBallots reads "A agree", "B abstain" … in casting order.
func testBallots(t *testing.T, rows ...string) []Ballot {
	t.Helper()
	var out []Ballot
	for _, r := range rows {
		f := strings.Fields(r)
		out = append(out, Ballot{Owner: f[0], Choice: Choice(f[1])})
	}
	return out
}

func mustRules(t *testing.T, name string) RuleSet {
	t.Helper()
	rs, err := LookupRules(name)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestThresholdMet(t *testing.T) {
	cases := []struct {
		th         Threshold
		part, base int64
		want       bool
		needed     int64
	}{
		{AtLeast(2, 3), 2, 3, true, 2},                   // exactly 2/3 is enough ("以上")
		{AtLeast(2, 3), 1, 3, false, 2},                  //
		{AtLeast(2, 3), 400, 600, true, 400},             // exactly 2/3 of the area
		{AtLeast(2, 3), 399, 600, false, 400},            // one dm² below
		{AtLeast(2, 3), 401, 601, true, 401},             // 2/3 of 601 is 400.67
		{AtLeast(2, 3), 400, 601, false, 401},            //
		{MoreThan(1, 2), 1, 2, false, 2},                 // exactly half is not "过半数"
		{MoreThan(1, 2), 50, 100, false, 51},             //
		{MoreThan(1, 2), 51, 100, true, 51},              //
		{MoreThan(1, 2), 2, 3, true, 2},                  //
		{MoreThan(1, 2), 3, 5, true, 3},                  //
		{AtLeast(3, 4), 3, 4, true, 3},                   // exactly 3/4
		{AtLeast(3, 4), 74, 100, false, 75},              //
		{AtLeast(3, 4), 300, 401, false, 301},            // one dm² short of 3/4 of 401 (300.75)
		{AtLeast(3, 4), 301, 401, true, 301},             //
		{AtLeast(2, 3), 0, 0, false, 0},                  // nobody to count over
		{MoreThan(1, 2), 0, 0, false, 0},                 //
		{AtLeast(3, 4), 0, 0, false, 0},                  // 4*0 >= 3*0 must not pass
		{AtLeast(2, 3), 1 << 40, 3 << 39, true, 1 << 40}, // large areas stay exact
	}
	for _, c := range cases {
		if got := c.th.Met(c.part, c.base); got != c.want {
			t.Errorf("%v: %d/%d met = %v, want %v", c.th, c.part, c.base, got, c.want)
		}
		if got := c.th.Needed(c.base); got != c.needed {
			t.Errorf("%v of %d: needed = %d, want %d", c.th, c.base, got, c.needed)
		}
		if c.base > 0 && (!c.th.Met(c.th.Needed(c.base), c.base) || (c.th.Needed(c.base) > 0 && c.th.Met(c.th.Needed(c.base)-1, c.base))) {
			t.Errorf("%v of %d: needed %d is not the smallest count that meets it", c.th, c.base, c.th.Needed(c.base))
		}
	}
}

func TestMattersAndRuleSets(t *testing.T) {
	national := mustRules(t, "")
	if national.Name != RulesNational {
		t.Fatalf("default rule set = %s", national.Name)
	}
	for _, rs := range RuleSets() {
		if err := rs.Validate(); err != nil {
			t.Errorf("shipped rule set: %v", err)
		}
	}
	want := map[Matter]string{1: "> 1/2", 2: "> 1/2", 3: "> 1/2", 4: "> 1/2", 5: "> 1/2", 6: "≥ 3/4", 7: "≥ 3/4", 8: "≥ 3/4", 9: "> 1/2"}
	for m, w := range want {
		ap := national.Approval[m]
		if ap.Area.String() != w || ap.Heads.String() != w || ap.Base != BaseParticipants {
			t.Errorf("national matter %d: %v/%v over %s, want %s over participants", m, ap.Area, ap.Heads, ap.Base, w)
		}
	}
	if q := national.Quorum; q.Area.String() != "≥ 2/3" || q.Heads.String() != "≥ 2/3" {
		t.Errorf("quorum = %v %v", q.Area, q.Heads)
	}
	if _, err := LookupRules("nonsense"); !errors.Is(err, ErrUnknownRules) {
		t.Errorf("unknown rule set: %v", err)
	}
	for s, want := range map[string]Matter{"1": 1, "9": 9, "fund_use": MatterFundUse, " 7 ": 7} {
		if m, err := ParseMatter(s); err != nil || m != want {
			t.Errorf("ParseMatter(%q) = %d, %v", s, m, err)
		}
	}
	for _, s := range []string{"0", "10", "", "x"} {
		if _, err := ParseMatter(s); !errors.Is(err, ErrUnknownMatter) {
			t.Errorf("ParseMatter(%q) = %v", s, err)
		}
	}
}

// TestCount works through rolls and ballots by hand; each case says why.
func TestCount(t *testing.T) {
	six := []string{"h1 A 100", "h2 B 100", "h3 C 100", "h4 D 100", "h5 E 100", "h6 F 100"}
	cases := []struct {
		name    string
		roll    []string
		ballots []string
		matter  Matter
		rules   string
		want    string
		// voted heads, voted area, agree heads, agree area
		vh, va, ah, aa int64
	}{
		{"exactly 2/3 of heads and area", six, []string{"A agree", "B agree", "C agree", "D agree"}, 1, "", ResultPassed, 4, 400, 4, 400},
		{"one head below 2/3", six, []string{"A agree", "B agree", "C agree"}, 1, "", ResultNoQuorum, 3, 300, 3, 300},
		{"nobody voted", six, nil, 1, "", ResultNoQuorum, 0, 0, 0, 0},
		// 600 dm² in all: units 1-4 hold 399 (one dm² below 400) although 4/6 heads took part.
		{"one dm² below 2/3 of area", []string{"h1 A 100", "h2 B 100", "h3 C 100", "h4 D 99", "h5 E 101", "h6 F 100"},
			[]string{"A agree", "B agree", "C agree", "D agree"}, 1, "", ResultNoQuorum, 4, 399, 4, 399},
		{"exactly 2/3 of area with another head", []string{"h1 A 100", "h2 B 100", "h3 C 100", "h4 D 99", "h5 E 101", "h6 F 100"},
			[]string{"A agree", "B agree", "C agree", "E agree"}, 1, "", ResultPassed, 4, 401, 4, 401},
		// 900 dm²: A, B, C hold 600 = 2/3 of the area but are 3 of 6 heads.
		{"area reached, heads not", []string{"h1 A 400", "h2 B 100", "h3 C 100", "h4 D 100", "h5 E 100", "h6 F 100"},
			[]string{"A agree", "B agree", "C agree"}, 1, "", ResultNoQuorum, 3, 600, 3, 600},
		{"exactly half fails a > 1/2 matter", six[:4], []string{"A agree", "B agree", "C disagree", "D disagree"}, 1, "", ResultFailed, 4, 400, 2, 200},
		{"three quarters pass a > 1/2 matter", six[:4], []string{"A agree", "B agree", "C agree", "D disagree"}, 1, "", ResultPassed, 4, 400, 3, 300},
		{"abstention counts as taking part, not agreeing", six[:4], []string{"A agree", "B agree", "C disagree", "D abstain"}, 1, "", ResultFailed, 4, 400, 2, 200},
		{"without the abstention 2 of 3 agree", six[:4], []string{"A agree", "B agree", "C disagree"}, 1, "", ResultPassed, 3, 300, 2, 200},
		{"exactly 3/4 passes a ≥ 3/4 matter", six[:4], []string{"A agree", "B agree", "C agree", "D disagree"}, MatterRebuild, "", ResultPassed, 4, 400, 3, 300},
		// 401 dm²: A, B, C hold 300 < 3/4·401 = 300.75 though they are 3/4 of the heads.
		{"one dm² below 3/4", []string{"h1 A 100", "h2 B 100", "h3 C 100", "h4 D 101"}, []string{"A agree", "B agree", "C agree", "D disagree"},
			MatterFundRaise, "", ResultFailed, 4, 401, 3, 300},
		{"5/8 passes > 1/2", []string{"h1 A 1", "h2 B 1", "h3 C 1", "h4 D 1", "h5 E 1", "h6 F 1", "h7 G 1", "h8 H 1"},
			[]string{"A agree", "B agree", "C agree", "D agree", "E agree", "F disagree", "G disagree", "H disagree"}, MatterCommittee, "", ResultPassed, 8, 8, 5, 5},
		{"5/8 fails ≥ 3/4", []string{"h1 A 1", "h2 B 1", "h3 C 1", "h4 D 1", "h5 E 1", "h6 F 1", "h7 G 1", "h8 H 1"},
			[]string{"A agree", "B agree", "C agree", "D agree", "E agree", "F disagree", "G disagree", "H disagree"}, MatterCommonUse, "", ResultFailed, 8, 8, 5, 5},
		{"area without heads fails", []string{"h1 A 1000", "h2 B 100", "h3 C 100", "h4 D 100"}, []string{"A agree", "B disagree", "C disagree", "D disagree"},
			1, "", ResultFailed, 4, 1300, 1, 1000},
		{"heads without area fails", []string{"h1 A 1000", "h2 B 100", "h3 C 100", "h4 D 100"}, []string{"A disagree", "B agree", "C agree", "D agree"},
			1, "", ResultFailed, 4, 1300, 3, 300},
		// A owns h1 and h2: one head of 200 dm²; 3 heads, 400 dm² in all.
		{"an owner of two households counts once", []string{"h1 A 100", "h2 A 100", "h3 B 100", "h4 C 100"}, []string{"A agree", "B agree"},
			1, "", ResultPassed, 2, 300, 2, 300},
		{"an owner of two households alone is not a quorum of heads", []string{"h1 A 100", "h2 A 100", "h3 B 100", "h4 C 100"}, []string{"A agree"},
			1, "", ResultNoQuorum, 1, 200, 1, 200},
		// h1–h3 are the developer's: one head of 210 dm²; heads 3, area 410.
		{"developer-held households are one head", []string{"h1 X 70 dev", "h2 X 70 dev", "h3 Y 70 dev", "h4 B 100", "h5 C 100"},
			[]string{"Y agree", "B agree"}, 1, "", ResultPassed, 2, 310, 2, 310},
		{"the developer alone is not a quorum", []string{"h1 X 70 dev", "h2 X 70 dev", "h3 X 70 dev", "h4 B 100", "h5 C 100"},
			[]string{"X agree"}, 1, "", ResultNoQuorum, 1, 210, 1, 210},
		// h1 owned jointly by A and B is one head; the later ballot (B) counts.
		{"a joint household casts one ballot, the latest", []string{"h1 A,B 100", "h2 C 100", "h3 D 100"},
			[]string{"A agree", "C agree", "B disagree", "D disagree"}, 1, "", ResultFailed, 3, 300, 1, 100},
		{"an owner changes their ballot", []string{"h1 A 100", "h2 C 100", "h3 D 100"},
			[]string{"A disagree", "C agree", "D disagree", "A agree"}, 1, "", ResultPassed, 3, 300, 2, 200},
		// A owns h1 alone and h2 with B: one head of 300 dm²; B speaks for it.
		{"overlapping ownership forms one head", []string{"h1 A 100", "h2 A,B 200", "h3 C 100", "h4 D 100"},
			[]string{"B agree", "C agree", "D disagree"}, 1, "", ResultPassed, 3, 500, 2, 400},
		// A&B own h1, B&C own h2, C owns h3: all one head of 300 dm², so 3 heads
		// and 500 dm² in all, and A with D are 2/3 of the heads and 400/500 of the area.
		{"ownership chains join transitively", []string{"h1 A,B 100", "h2 B,C 100", "h3 C 100", "h4 D 100", "h5 E 100"},
			[]string{"A agree", "D agree"}, 1, "", ResultPassed, 2, 400, 2, 400},
		{"a household without area still counts as a head", []string{"h1 A 0", "h2 B 100", "h3 C 100"}, []string{"B agree", "C agree"},
			1, "", ResultPassed, 2, 200, 2, 200},
		{"a household without owner counts and cannot vote", []string{"h1 - 100", "h2 B 100", "h3 C 100"}, []string{"B agree"},
			1, "", ResultNoQuorum, 1, 100, 1, 100},
		// Fund rule of older local rules: approval over the whole roll.
		{"fund: 2/3 of all owners met", six, []string{"A agree", "B agree", "C agree", "D agree"}, MatterFundUse, RulesFundTwoThirdsAll, ResultPassed, 4, 400, 4, 400},
		{"fund: 3 of 6 owners agree fails the old rule", six, []string{"A agree", "B agree", "C agree", "D abstain"}, MatterFundUse, RulesFundTwoThirdsAll, ResultFailed, 4, 400, 3, 300},
		{"fund: the same ballots pass nationally", six, []string{"A agree", "B agree", "C agree", "D abstain"}, MatterFundUse, RulesNational, ResultPassed, 4, 400, 3, 300},
		{"fund rule leaves other matters alone", six, []string{"A agree", "B agree", "C agree", "D abstain"}, MatterCommittee, RulesFundTwoThirdsAll, ResultPassed, 4, 400, 3, 300},
		{"elevator: 3 of 4 participants", six[:4], []string{"A agree", "B agree", "C agree", "D disagree"}, MatterRebuild, RulesElevator, ResultPassed, 4, 400, 3, 300},
		{"elevator: 3 of 5 participants fail", six[:5], []string{"A agree", "B agree", "C agree", "D disagree", "E disagree"}, MatterRebuild, RulesElevator, ResultFailed, 5, 500, 3, 300},
		{"elevator: 3 of 5 pass a > 1/2 matter nationally", six[:5], []string{"A agree", "B agree", "C agree", "D disagree", "E disagree"}, MatterOtherMajor, RulesNational, ResultPassed, 5, 500, 3, 300},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs := mustRules(t, c.rules)
			got, err := Count(testRoll(t, c.roll...), rs, c.matter, testBallots(t, c.ballots...))
			if err != nil {
				t.Fatal(err)
			}
			if got.Result != c.want || got.VotedHeads != c.vh || got.VotedAreaDM2 != c.va || got.AgreeHeads != c.ah || got.AgreeAreaDM2 != c.aa {
				t.Errorf("got %s voted %d heads %d dm², agree %d heads %d dm²; want %s %d %d %d %d",
					got.Result, got.VotedHeads, got.VotedAreaDM2, got.AgreeHeads, got.AgreeAreaDM2, c.want, c.vh, c.va, c.ah, c.aa)
			}
			if got.VotedHeads != got.AgreeHeads+got.DisagreeHeads+got.AbstainHeads || got.VotedAreaDM2 != got.AgreeAreaDM2+got.DisagreeAreaDM2+got.AbstainAreaDM2 {
				t.Errorf("choices do not add up to the participation: %+v", got)
			}
		})
	}
}

func TestCountFractions(t *testing.T) {
	// 6 heads of 100 dm²; A–D vote, A–C agree, D abstains; matter 4 (> 1/2).
	six := testRoll(t, "h1 A 100", "h2 B 100", "h3 C 100", "h4 D 100", "h5 E 100", "h6 F 100")
	got, err := Count(six, mustRules(t, ""), MatterPropertyManager, testBallots(t, "A agree", "B agree", "C agree", "D abstain"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Quorum.Area.Fraction != "400/600" || got.Quorum.Heads.Fraction != "4/6" || got.Quorum.Area.Rule != "≥ 2/3" || !got.Quorum.Met {
		t.Errorf("quorum = %+v", got.Quorum)
	}
	if got.Approval.Area.Fraction != "300/400" || got.Approval.Heads.Fraction != "3/4" || got.Approval.Heads.Rule != "> 1/2" || got.Approval.Heads.Needed != 3 {
		t.Errorf("approval = %+v", got.Approval)
	}
	if got.TotalHeads != 6 || got.TotalAreaDM2 != 600 || got.AbstainHeads != 1 || got.Matter != 4 || got.MatterCode != "property_manager" || got.Rules != "national" {
		t.Errorf("tally = %+v", got)
	}
}

func TestCountRefuses(t *testing.T) {
	roll := testRoll(t, "h1 A*,B 100", "h2 C 100")
	if _, err := Count(roll, mustRules(t, ""), 1, testBallots(t, "Z agree")); !errors.Is(err, ErrNotOnRoll) {
		t.Errorf("ballot from outside the roll: %v", err)
	}
	if _, err := Count(roll, mustRules(t, ""), 1, testBallots(t, "A maybe")); !errors.Is(err, ErrBadChoice) {
		t.Errorf("bad choice: %v", err)
	}
	if _, err := Count(roll, mustRules(t, ""), 10, nil); !errors.Is(err, ErrUnknownMatter) {
		t.Errorf("matter 10: %v", err)
	}
	// Any co-owner may vote under the shipped rules; a designated-voter rule set
	// refuses B, who is not the voter of h1.
	if _, err := Count(roll, mustRules(t, ""), 1, testBallots(t, "B agree")); err != nil {
		t.Errorf("co-owner under national rules: %v", err)
	}
	strict := mustRules(t, "")
	strict.Name, strict.JointVoter = "designated_test", JointVoterDesignated
	if _, err := Count(roll, strict, 1, testBallots(t, "B agree")); !errors.Is(err, ErrNotVoter) {
		t.Errorf("co-owner under a designated-voter rule: %v", err)
	}
	if got, err := Count(roll, strict, 1, testBallots(t, "A agree", "C agree")); err != nil || got.Result != ResultPassed {
		t.Errorf("designated voter: %+v %v", got, err)
	}
}

func TestNewRoll(t *testing.T) {
	roll := testRoll(t, "h1 A 100", "h2 X 70 dev", "h3 A,B 50", "h4 C 80", "h5 Y 70 dev", "h6 - 30")
	units := roll.Units()
	if len(units) != 4 || roll.TotalHeads() != 4 || roll.TotalAreaDM2() != 400 {
		t.Fatalf("units = %+v", units)
	}
	want := []struct {
		hh   string
		area int64
		dev  bool
	}{{"h1 h3", 150, false}, {"h2 h5", 140, true}, {"h4", 80, false}, {"h6", 30, false}}
	for i, w := range want {
		u := units[i]
		if u.No != i+1 || strings.Join(u.Households, " ") != w.hh || u.AreaDM2 != w.area || u.Developer != w.dev {
			t.Errorf("unit %d = %+v, want %+v", i+1, u, w)
		}
	}
	if u, ok := roll.UnitOfOwner("B"); !ok || u.No != 1 {
		t.Errorf("B is in unit %+v", u)
	}
	if u, ok := roll.UnitOfOwner("Y"); !ok || u.No != 2 {
		t.Errorf("Y is in unit %+v", u)
	}
	bad := [][]RollHousehold{
		nil,
		{{ID: "h1", AreaDM2: 1}, {ID: "h1", AreaDM2: 1}},
		{{ID: "h1", AreaDM2: -1}},
		{{ID: "h1", Owners: []RollOwner{{ID: "A"}, {ID: "A"}}}},
		{{ID: ""}},
	}
	for i, hh := range bad {
		if _, err := NewRoll(hh); err == nil {
			t.Errorf("bad roll %d accepted", i)
		}
	}
}
