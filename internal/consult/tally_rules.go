package consult

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrUnknownMatter is returned (wrapped) for a matter number or code that is not
// one of the nine.
var ErrUnknownMatter = errors.New("unknown matter")

// ErrUnknownRules is returned (wrapped) for a rule-set name that does not exist.
var ErrUnknownRules = errors.New("unknown rule set")

// Matter is one of the nine kinds of decision of Civil Code art. 278.
type Matter int

// The nine matters, numbered as in domain rules §4 and art. 278.
const (
	MatterAssemblyRules     Matter = 1 // 制定和修改业主大会议事规则
	MatterManagementStatute Matter = 2 // 制定和修改管理规约
	MatterCommittee         Matter = 3 // 选举业主委员会或者更换业主委员会成员
	MatterPropertyManager   Matter = 4 // 选聘和解聘物业服务企业或者其他管理人
	MatterFundUse           Matter = 5 // 使用建筑物及其附属设施的维修资金
	MatterFundRaise         Matter = 6 // 筹集建筑物及其附属设施的维修资金
	MatterRebuild           Matter = 7 // 改建、重建建筑物及其附属设施
	MatterCommonUse         Matter = 8 // 改变共有部分的用途或者利用共有部分从事经营活动
	MatterOtherMajor        Matter = 9 // 有关共有和共同管理权利的其他重大事项
)

type matterInfo struct {
	code, zh, en string
}

var matterTable = [...]matterInfo{
	{},
	{"assembly_rules", "制定和修改业主大会议事规则", "adopt or amend the owners' assembly rules"},
	{"management_statute", "制定和修改管理规约", "adopt or amend the management statute"},
	{"committee", "选举业主委员会或者更换业主委员会成员", "elect or replace the owners' committee"},
	{"property_manager", "选聘和解聘物业服务企业或者其他管理人", "hire or dismiss the property company or manager"},
	{"fund_use", "使用建筑物及其附属设施的维修资金", "use the maintenance fund"},
	{"fund_raise", "筹集建筑物及其附属设施的维修资金", "raise the maintenance fund"},
	{"rebuild", "改建、重建建筑物及其附属设施", "rebuild or alter buildings and their facilities"},
	{"common_use", "改变共有部分的用途或者利用共有部分从事经营活动", "change the use of common parts or run business on them"},
	{"other_major", "有关共有和共同管理权利的其他重大事项", "other major matters of common ownership and management"},
}

// Matters lists the nine matters in order.
func Matters() []Matter {
	out := make([]Matter, 0, 9)
	for m := MatterAssemblyRules; m <= MatterOtherMajor; m++ {
		out = append(out, m)
	}
	return out
}

// Valid reports whether m is one of the nine matters.
func (m Matter) Valid() bool { return m >= MatterAssemblyRules && m <= MatterOtherMajor }

// Code is the English code of the matter, e.g. "fund_use".
func (m Matter) Code() string {
	if !m.Valid() {
		return ""
	}
	return matterTable[m].code
}

// Title is the Chinese name of the matter as art. 278 words it.
func (m Matter) Title() string {
	if !m.Valid() {
		return ""
	}
	return matterTable[m].zh
}

// TitleEN is the English name of the matter.
func (m Matter) TitleEN() string {
	if !m.Valid() {
		return ""
	}
	return matterTable[m].en
}

// ParseMatter reads a matter number ("1" … "9") or code ("fund_use").
func ParseMatter(s string) (Matter, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil {
		if m := Matter(n); m.Valid() {
			return m, nil
		}
		return 0, fmt.Errorf("%w: %q (use 1 to 9)", ErrUnknownMatter, s)
	}
	for _, m := range Matters() {
		if m.Code() == s {
			return m, nil
		}
	}
	return 0, fmt.Errorf("%w: %q (use 1 to 9 or a code such as fund_use)", ErrUnknownMatter, s)
}

// Threshold is a share a count must reach out of a base: at least Num/Den
// ("以上", inclusive) or, when Strict, more than Num/Den ("过半数").
type Threshold struct {
	Num    int64 `json:"num"`
	Den    int64 `json:"den"`
	Strict bool  `json:"strict"`
}

// AtLeast returns the inclusive threshold num/den.
func AtLeast(num, den int64) Threshold { return Threshold{Num: num, Den: den} }

// MoreThan returns the strict threshold num/den.
func MoreThan(num, den int64) Threshold { return Threshold{Num: num, Den: den, Strict: true} }

// Met reports whether part out of base reaches t, in integer arithmetic. An
// empty base (nobody to count over) never meets a threshold.
func (t Threshold) Met(part, base int64) bool {
	if base <= 0 {
		return false
	}
	if t.Strict {
		return part*t.Den > t.Num*base
	}
	return part*t.Den >= t.Num*base
}

// Needed returns the smallest count out of base that meets t.
func (t Threshold) Needed(base int64) int64 {
	if base <= 0 {
		return 0
	}
	if t.Strict {
		return t.Num*base/t.Den + 1
	}
	return (t.Num*base + t.Den - 1) / t.Den
}

// String writes t as "≥ 2/3" or "> 1/2".
func (t Threshold) String() string {
	op := "≥"
	if t.Strict {
		op = ">"
	}
	return fmt.Sprintf("%s %d/%d", op, t.Num, t.Den)
}

func (t Threshold) valid() bool { return t.Den > 0 && t.Num >= 0 && t.Num <= t.Den }

// Bases an approval share is counted over.
const (
	// BaseParticipants counts over the heads that took part (art. 278 since 2021).
	BaseParticipants = "participants"
	// BaseAll counts over the whole roll (older local rules: "of all owners").
	BaseAll = "all"
)

// Requirement is a pair of thresholds, on area and on heads, both of which must
// be met, counted over Base.
type Requirement struct {
	Area  Threshold `json:"area"`
	Heads Threshold `json:"heads"`
	Base  string    `json:"base"`
}

// How a jointly owned head chooses who may cast its ballot.
const (
	// JointVoterAny lets any owner of the head cast its ballot; the latest counts.
	JointVoterAny = "any_owner"
	// JointVoterDesignated accepts ballots only from owners marked as the voter of
	// one of the head's households.
	JointVoterDesignated = "designated"
)

// RuleSet is a complete counting rule: quorum, approval per matter and the
// joint-voter rule, with its legal basis. The rule set used is stored with every
// vote.
type RuleSet struct {
	Name       string                 `json:"name"`
	Version    string                 `json:"version"`
	Title      string                 `json:"title"`
	Basis      string                 `json:"basis"`
	Quorum     Requirement            `json:"quorum"`
	Approval   map[Matter]Requirement `json:"approval"`
	JointVoter string                 `json:"joint_voter"`
}

// Names of the rule sets that ship with gengxin.
const (
	RulesNational         = "national"
	RulesFundTwoThirdsAll = "fund_two_thirds_all"
	RulesElevator         = "elevator"
)

// RuleSets returns the rule sets that ship with gengxin, the default first.
func RuleSets() []RuleSet {
	quorum := Requirement{Area: AtLeast(2, 3), Heads: AtLeast(2, 3), Base: BaseAll}
	half := Requirement{Area: MoreThan(1, 2), Heads: MoreThan(1, 2), Base: BaseParticipants}
	threeQuarters := Requirement{Area: AtLeast(3, 4), Heads: AtLeast(3, 4), Base: BaseParticipants}
	national := func() map[Matter]Requirement {
		m := make(map[Matter]Requirement, 9)
		for _, x := range Matters() {
			m[x] = half
		}
		m[MatterFundRaise], m[MatterRebuild], m[MatterCommonUse] = threeQuarters, threeQuarters, threeQuarters
		return m
	}
	fund := national()
	twoThirdsAll := Requirement{Area: AtLeast(2, 3), Heads: AtLeast(2, 3), Base: BaseAll}
	fund[MatterFundUse], fund[MatterFundRaise] = twoThirdsAll, twoThirdsAll
	elevator := make(map[Matter]Requirement, 9)
	for _, x := range Matters() {
		elevator[x] = threeQuarters
	}
	return []RuleSet{
		{
			Name: RulesNational, Version: "2021-01-01", Title: "民法典第二百七十八条（全国）",
			Basis:  "《民法典》第278条、第1259条；《最高人民法院关于审理建筑物区分所有权纠纷案件适用法律若干问题的解释》（法释〔2009〕7号，2020年修正）第8、9条",
			Quorum: quorum, Approval: national(), JointVoter: JointVoterAny,
		},
		{
			Name: RulesFundTwoThirdsAll, Version: "2007-10-01", Title: "维修资金“双三分之二”（地方旧规）",
			Basis:  "《物权法》第76条（2007）及沿用其表述的地方住宅专项维修资金管理办法：筹集、使用维修资金须经专有部分占建筑物总面积三分之二以上的业主且占总人数三分之二以上的业主同意；其他事项按《民法典》第278条",
			Quorum: quorum, Approval: fund, JointVoter: JointVoterAny,
		},
		{
			Name: RulesElevator, Version: "2021-01-01", Title: "既有住宅加装电梯（单元/楼栋）",
			Basis:  "《民法典》第278条；无锡、潮州、四川等地既有住宅增设电梯办法：本单元或本幢专有部分面积三分之二以上且人数三分之二以上的业主参与表决，参与表决面积四分之三以上且人数四分之三以上的业主同意；专有部分受影响的业主须单独书面同意；占用小区共有场地的另须小区业主共同决定",
			Quorum: quorum, Approval: elevator, JointVoter: JointVoterAny,
		},
	}
}

// LookupRules returns the shipped rule set with the given name ("" means
// national).
func LookupRules(name string) (RuleSet, error) {
	if name == "" {
		name = RulesNational
	}
	for _, r := range RuleSets() {
		if r.Name == name {
			return r, nil
		}
	}
	names := make([]string, 0, 3)
	for _, r := range RuleSets() {
		names = append(names, r.Name)
	}
	return RuleSet{}, fmt.Errorf("%w: %q (known: %s)", ErrUnknownRules, name, strings.Join(names, ", "))
}

// Validate checks that rs is complete and every threshold is a proper fraction.
func (rs RuleSet) Validate() error {
	if rs.Name == "" {
		return fmt.Errorf("%w: rule set without a name", ErrUnknownRules)
	}
	check := func(what string, r Requirement) error {
		if !r.Area.valid() || !r.Heads.valid() {
			return fmt.Errorf("rule set %s: %s: thresholds must be fractions between 0 and 1", rs.Name, what)
		}
		if r.Base != BaseAll && r.Base != BaseParticipants {
			return fmt.Errorf("rule set %s: %s: base %q is neither %s nor %s", rs.Name, what, r.Base, BaseAll, BaseParticipants)
		}
		return nil
	}
	if err := check("quorum", rs.Quorum); err != nil {
		return err
	}
	if rs.Quorum.Base != BaseAll {
		return fmt.Errorf("rule set %s: the quorum is counted over the whole roll", rs.Name)
	}
	for _, m := range Matters() {
		r, ok := rs.Approval[m]
		if !ok {
			return fmt.Errorf("rule set %s: no approval rule for matter %d", rs.Name, m)
		}
		if err := check("matter "+strconv.Itoa(int(m)), r); err != nil {
			return err
		}
	}
	if rs.JointVoter != JointVoterAny && rs.JointVoter != JointVoterDesignated {
		return fmt.Errorf("rule set %s: joint voter rule %q is neither %s nor %s", rs.Name, rs.JointVoter, JointVoterAny, JointVoterDesignated)
	}
	return nil
}
