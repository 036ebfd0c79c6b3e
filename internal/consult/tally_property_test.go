package consult

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"
)

// bruteHeads groups households into heads by relabelling until nothing changes:
// every household starts with its own label, and households sharing an owner,
// or both developer-held, take the smaller label. It shares no code with NewRoll.
func bruteHeads(hh []RollHousehold) []int {
	label := make([]int, len(hh))
	for i := range label {
		label[i] = i
	}
	for changed := true; changed; {
		changed = false
		for i := range hh {
			for j := range hh {
				if label[i] == label[j] {
					continue
				}
				joined := hh[i].Developer && hh[j].Developer
				for _, a := range hh[i].Owners {
					for _, b := range hh[j].Owners {
						if a.ID == b.ID {
							joined = true
						}
					}
				}
				if joined {
					m := min(label[i], label[j])
					label[i], label[j] = m, m
					changed = true
				}
			}
		}
	}
	return label
}

// bruteCount recounts from scratch: the heads, the newest ballot of each head
// (found by reading the ballots backwards), the sums, and the thresholds as
// exact rational numbers.
func bruteCount(hh []RollHousehold, rs RuleSet, m Matter, ballots []Ballot) Tally {
	label := bruteHeads(hh)
	headOfOwner := map[string]int{}
	area := map[int]int64{}
	heads := map[int]bool{}
	var totalArea int64
	for i, h := range hh {
		heads[label[i]] = true
		area[label[i]] += h.AreaDM2
		totalArea += h.AreaDM2
		for _, o := range h.Owners {
			headOfOwner[o.ID] = label[i]
		}
	}
	counted := map[int]Choice{}
	for i := len(ballots) - 1; i >= 0; i-- {
		h := headOfOwner[ballots[i].Owner]
		if _, ok := counted[h]; !ok {
			counted[h] = ballots[i].Choice
		}
	}
	t := Tally{Matter: m, Rules: rs.Name, TotalAreaDM2: totalArea, TotalHeads: int64(len(heads))}
	for h, c := range counted {
		t.VotedHeads++
		t.VotedAreaDM2 += area[h]
		switch c {
		case Agree:
			t.AgreeHeads++
			t.AgreeAreaDM2 += area[h]
		case Disagree:
			t.DisagreeHeads++
			t.DisagreeAreaDM2 += area[h]
		default:
			t.AbstainHeads++
			t.AbstainAreaDM2 += area[h]
		}
	}
	meets := func(part, base int64, th Threshold) bool {
		if base == 0 {
			return false
		}
		share := big.NewRat(part, base)
		c := share.Cmp(big.NewRat(th.Num, th.Den))
		if th.Strict {
			return c > 0
		}
		return c >= 0
	}
	quorum := meets(t.VotedAreaDM2, t.TotalAreaDM2, rs.Quorum.Area) && meets(t.VotedHeads, t.TotalHeads, rs.Quorum.Heads)
	ap := rs.Approval[m]
	ba, bh := t.VotedAreaDM2, t.VotedHeads
	if ap.Base == BaseAll {
		ba, bh = t.TotalAreaDM2, t.TotalHeads
	}
	approved := meets(t.AgreeAreaDM2, ba, ap.Area) && meets(t.AgreeHeads, bh, ap.Heads)
	switch {
	case !quorum:
		t.Result = ResultNoQuorum
	case approved:
		t.Result = ResultPassed
	default:
		t.Result = ResultFailed
	}
	return t
}

func sameCounts(a, b Tally) bool {
	return a.Result == b.Result && a.TotalAreaDM2 == b.TotalAreaDM2 && a.TotalHeads == b.TotalHeads &&
		a.VotedAreaDM2 == b.VotedAreaDM2 && a.VotedHeads == b.VotedHeads && a.AgreeAreaDM2 == b.AgreeAreaDM2 &&
		a.AgreeHeads == b.AgreeHeads && a.DisagreeAreaDM2 == b.DisagreeAreaDM2 && a.DisagreeHeads == b.DisagreeHeads &&
		a.AbstainAreaDM2 == b.AbstainAreaDM2 && a.AbstainHeads == b.AbstainHeads
}

// TestLiveTallyEqualsRecount casts random ballots on random rolls and checks,
// after every ballot, that the live counter equals a brute-force recount of all
// ballots so far.
func TestLiveTallyEqualsRecount(t *testing.T) {
	r := rand.New(rand.NewPCG(20240605, 278))
	choices := []Choice{Agree, Disagree, Abstain}
	for round := range 400 {
		n := 1 + r.IntN(14)
		owners := 1 + r.IntN(n+4)
		hh := make([]RollHousehold, n)
		var ownerIDs []string
		for i := range hh {
			h := RollHousehold{ID: fmt.Sprintf("h%d", i), Developer: r.IntN(8) == 0}
			// Small areas make ties with the thresholds frequent.
			if r.IntN(3) == 0 {
				h.AreaDM2 = int64(r.IntN(4))
			} else {
				h.AreaDM2 = int64(r.IntN(15000))
			}
			k := r.IntN(3) // 0 owners sometimes, joint owners sometimes
			if r.IntN(6) > 0 && k == 0 {
				k = 1
			}
			seen := map[string]bool{}
			for range k {
				o := fmt.Sprintf("o%d", r.IntN(owners))
				if !seen[o] {
					seen[o] = true
					h.Owners = append(h.Owners, RollOwner{ID: o, Voter: true})
					ownerIDs = append(ownerIDs, o)
				}
			}
			hh[i] = h
		}
		roll, err := NewRoll(hh)
		if err != nil {
			t.Fatal(err)
		}
		rs := RuleSets()[r.IntN(len(RuleSets()))]
		m := Matter(1 + r.IntN(9))
		c, err := NewCounter(roll, rs, m)
		if err != nil {
			t.Fatal(err)
		}
		var ballots []Ballot
		check := func() {
			want := bruteCount(hh, rs, m, ballots)
			if got := c.Tally(); !sameCounts(got, want) {
				t.Fatalf("round %d (%s, matter %d), after %d ballots:\nlive  %+v\nrecount %+v\nroll %+v", round, rs.Name, m, len(ballots), got, want, hh)
			}
		}
		check()
		if len(ownerIDs) == 0 {
			continue
		}
		for range r.IntN(3 * n) {
			b := Ballot{Owner: ownerIDs[r.IntN(len(ownerIDs))], Choice: choices[r.IntN(3)]}
			if _, err := c.Cast(b.Owner, b.Choice); err != nil {
				t.Fatal(err)
			}
			ballots = append(ballots, b)
			check()
		}
		if got, err := Count(roll, rs, m, ballots); err != nil || !sameCounts(got, c.Tally()) {
			t.Fatalf("round %d: Count differs from the live counter: %v", round, err)
		}
	}
}
