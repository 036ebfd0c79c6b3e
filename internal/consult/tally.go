package consult

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrNotOnRoll is returned (wrapped) for a ballot from someone who is not on the
// vote's roll.
var ErrNotOnRoll = errors.New("not on the roll")

// ErrNotVoter is returned (wrapped) when the rule set accepts only designated
// voters and the owner is not one.
var ErrNotVoter = errors.New("not the designated voter")

// ErrBadChoice is returned (wrapped) for a choice other than agree, disagree or
// abstain.
var ErrBadChoice = errors.New("choice must be agree, disagree or abstain")

// Choice is what a ballot says.
type Choice string

// The three choices of a ballot.
const (
	Agree    Choice = "agree"
	Disagree Choice = "disagree"
	Abstain  Choice = "abstain"
)

// Valid reports whether c is one of the three choices.
func (c Choice) Valid() bool { return c == Agree || c == Disagree || c == Abstain }

// ParseChoice reads "agree", "disagree" or "abstain".
func ParseChoice(s string) (Choice, error) {
	c := Choice(s)
	if !c.Valid() {
		return "", fmt.Errorf("%w, not %q", ErrBadChoice, s)
	}
	return c, nil
}

// Results of a vote.
const (
	ResultPassed   = "passed"
	ResultFailed   = "failed"
	ResultNoQuorum = "no_quorum"
)

// Ballot is one ballot in casting order: the owner who cast it and the choice.
type Ballot struct {
	Owner  string
	Choice Choice
}

// Test is one threshold applied to one count: Value out of Base against
// Threshold, with the smallest value that would meet it.
type Test struct {
	Value     int64     `json:"value"`
	Base      int64     `json:"base"`
	Fraction  string    `json:"fraction"` // "Value/Base"
	Threshold Threshold `json:"threshold"`
	Rule      string    `json:"rule"` // "≥ 2/3"
	Needed    int64     `json:"needed"`
	Met       bool      `json:"met"`
}

func newTest(value, base int64, t Threshold) Test {
	return Test{Value: value, Base: base, Fraction: strconv.FormatInt(value, 10) + "/" + strconv.FormatInt(base, 10),
		Threshold: t, Rule: t.String(), Needed: t.Needed(base), Met: t.Met(value, base)}
}

// Check is a requirement applied to area and heads; Met when both are.
type Check struct {
	Base  string `json:"base"`
	Area  Test   `json:"area"`
	Heads Test   `json:"heads"`
	Met   bool   `json:"met"`
}

// Tally is the count of a vote at one moment, with its result.
type Tally struct {
	Result          string `json:"result"`
	Matter          Matter `json:"matter"`
	MatterCode      string `json:"matter_code"`
	Rules           string `json:"rules"`
	RulesVersion    string `json:"rules_version"`
	TotalAreaDM2    int64  `json:"total_area_dm2"`
	TotalHeads      int64  `json:"total_heads"`
	VotedAreaDM2    int64  `json:"voted_area_dm2"`
	VotedHeads      int64  `json:"voted_heads"`
	AgreeAreaDM2    int64  `json:"agree_area_dm2"`
	AgreeHeads      int64  `json:"agree_heads"`
	DisagreeAreaDM2 int64  `json:"disagree_area_dm2"`
	DisagreeHeads   int64  `json:"disagree_heads"`
	AbstainAreaDM2  int64  `json:"abstain_area_dm2"`
	AbstainHeads    int64  `json:"abstain_heads"`
	Quorum          Check  `json:"quorum"`
	Approval        Check  `json:"approval"`
}

// Counter keeps a live tally: each Cast replaces the ballot of the caster's head,
// so a head counts once whatever the number of ballots.
type Counter struct {
	roll    *Roll
	rules   RuleSet
	matter  Matter
	current []Choice // per unit; "" when it has not voted
	area    [3]int64 // agree, disagree, abstain
	heads   [3]int64
}

func choiceIndex(c Choice) int {
	switch c {
	case Agree:
		return 0
	case Disagree:
		return 1
	}
	return 2
}

// NewCounter starts an empty tally of roll for matter under rules.
func NewCounter(roll *Roll, rules RuleSet, matter Matter) (*Counter, error) {
	if roll == nil || len(roll.units) == 0 {
		return nil, ErrEmptyRoll
	}
	if !matter.Valid() {
		return nil, fmt.Errorf("%w: %d", ErrUnknownMatter, matter)
	}
	if err := rules.Validate(); err != nil {
		return nil, err
	}
	return &Counter{roll: roll, rules: rules, matter: matter, current: make([]Choice, len(roll.units))}, nil
}

// Cast counts a ballot of owner, replacing any earlier ballot of the same head,
// and returns the head's unit number.
func (c *Counter) Cast(owner string, choice Choice) (int, error) {
	if !choice.Valid() {
		return 0, fmt.Errorf("%w, not %q", ErrBadChoice, choice)
	}
	i, err := c.roll.unitFor(owner, c.rules.JointVoter)
	if err != nil {
		return 0, err
	}
	a := c.roll.units[i].AreaDM2
	if old := c.current[i]; old != "" {
		k := choiceIndex(old)
		c.area[k] -= a
		c.heads[k]--
	}
	k := choiceIndex(choice)
	c.area[k] += a
	c.heads[k]++
	c.current[i] = choice
	return i + 1, nil
}

// Current returns the choice counted for unit number no ("" when none).
func (c *Counter) Current(no int) Choice {
	if no < 1 || no > len(c.current) {
		return ""
	}
	return c.current[no-1]
}

// Tally returns the count so far and its result.
func (c *Counter) Tally() Tally {
	t := Tally{
		Matter: c.matter, MatterCode: c.matter.Code(), Rules: c.rules.Name, RulesVersion: c.rules.Version,
		TotalAreaDM2: c.roll.area, TotalHeads: int64(len(c.roll.units)),
		AgreeAreaDM2: c.area[0], AgreeHeads: c.heads[0],
		DisagreeAreaDM2: c.area[1], DisagreeHeads: c.heads[1],
		AbstainAreaDM2: c.area[2], AbstainHeads: c.heads[2],
	}
	t.VotedAreaDM2 = c.area[0] + c.area[1] + c.area[2]
	t.VotedHeads = c.heads[0] + c.heads[1] + c.heads[2]
	q := c.rules.Quorum
	t.Quorum = Check{Base: BaseAll, Area: newTest(t.VotedAreaDM2, t.TotalAreaDM2, q.Area), Heads: newTest(t.VotedHeads, t.TotalHeads, q.Heads)}
	t.Quorum.Met = t.Quorum.Area.Met && t.Quorum.Heads.Met
	ap := c.rules.Approval[c.matter]
	baseArea, baseHeads := t.VotedAreaDM2, t.VotedHeads
	if ap.Base == BaseAll {
		baseArea, baseHeads = t.TotalAreaDM2, t.TotalHeads
	}
	t.Approval = Check{Base: ap.Base, Area: newTest(t.AgreeAreaDM2, baseArea, ap.Area), Heads: newTest(t.AgreeHeads, baseHeads, ap.Heads)}
	t.Approval.Met = t.Approval.Area.Met && t.Approval.Heads.Met
	switch {
	case !t.Quorum.Met:
		t.Result = ResultNoQuorum
	case t.Approval.Met:
		t.Result = ResultPassed
	default:
		t.Result = ResultFailed
	}
	return t
}

// Count tallies ballots, in casting order, against roll: the latest ballot of
// each head counts. A ballot from someone not on the roll is an error.
func Count(roll *Roll, rules RuleSet, matter Matter, ballots []Ballot) (Tally, error) {
	c, err := NewCounter(roll, rules, matter)
	if err != nil {
		return Tally{}, err
	}
	for i, b := range ballots {
		if _, err := c.Cast(b.Owner, b.Choice); err != nil {
			return Tally{}, fmt.Errorf("ballot %d: %w", i+1, err)
		}
	}
	return c.Tally(), nil
}
