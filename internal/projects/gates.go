package projects

import (
	"fmt"
	"slices"
	"strings"
)

// Condition is one gate condition a project must meet to leave a stage.
type Condition string

// Gate conditions.
const (
	// CondScope: the scope holds at least one compound or building.
	CondScope Condition = "scope"
	// CondItems: at least one work item is planned.
	CondItems Condition = "items"
	// CondSurveySupport: a closed survey round of the project shows support
	// from at least the configured share (default 2/3) of the households in scope.
	CondSurveySupport Condition = "survey_support"
	// CondVotes: every item that needs an owner vote has a passed one (elevator
	// retrofit: matter 7 per entrance; using common parts: matter 8).
	CondVotes Condition = "votes"
	// CondDesignApproval: a design approval is recorded.
	CondDesignApproval Condition = "design_approval"
	// CondFunding: every item's funding adds up to its budget.
	CondFunding Condition = "funding"
	// CondSampleAcceptance: the sample's acceptance is recorded.
	CondSampleAcceptance Condition = "sample_acceptance"
	// CondSampleFeedback: a resident feedback round on the sample was held: a
	// closed survey round at the sample stage, or feedback collected in the
	// sample round with every opinion answered.
	CondSampleFeedback Condition = "sample_feedback"
	// CondItemsComplete: every item reports 100 % progress.
	CondItemsComplete Condition = "items_complete"
	// CondCompletionAcceptance: the completion acceptance is recorded.
	CondCompletionAcceptance Condition = "completion_acceptance"
)

// Conditions lists every condition in display order.
var Conditions = []Condition{CondScope, CondItems, CondSurveySupport, CondVotes, CondDesignApproval, CondFunding,
	CondSampleAcceptance, CondSampleFeedback, CondItemsComplete, CondCompletionAcceptance}

// Gate is what a project of one type needs to leave one stage.
type Gate struct {
	Type       string      `json:"type"`
	Stage      string      `json:"stage"` // the stage being left
	Conditions []Condition `json:"conditions"`
	// SupportNum/SupportDen is the survey support needed (CondSurveySupport).
	SupportNum int64 `json:"support_num"`
	SupportDen int64 `json:"support_den"`
	// Custom is true when an administrator changed the defaults.
	Custom bool `json:"custom"`
}

// Has reports whether the gate includes condition c.
func (g Gate) Has(c Condition) bool { return slices.Contains(g.Conditions, c) }

// DefaultGate returns the built-in gate for leaving stage in a project of typ.
func DefaultGate(typ, stage string) Gate {
	g := Gate{Type: typ, Stage: stage, SupportNum: 2, SupportDen: 3}
	switch stage {
	case StagePool:
		g.Conditions = []Condition{CondScope, CondItems}
	case StageConsultation:
		switch typ {
		case TypeIndustrial:
			g.Conditions = []Condition{CondVotes}
		default:
			g.Conditions = []Condition{CondSurveySupport, CondVotes}
		}
	case StageDesign:
		g.Conditions = nil
	case StageSample:
		switch typ {
		case TypeMicro, TypeIndustrial:
			g.Conditions = []Condition{CondDesignApproval, CondFunding}
		default:
			g.Conditions = []Condition{CondDesignApproval, CondFunding, CondSampleAcceptance, CondSampleFeedback}
		}
	case StageConstruction:
		g.Conditions = []Condition{CondItemsComplete}
	case StageAcceptance:
		g.Conditions = []Condition{CondCompletionAcceptance}
	}
	return g
}

// SurveyRound is what the gates read of one survey round linked to a project.
type SurveyRound struct {
	SurveyID int64
	RoundID  int64
	Title    string
	Stage    string // survey, design, sample, construction or ""
	Status   string // draft, open, closed
	// HasSupport is false when the round asks no support question.
	HasSupport        bool
	SupportHouseholds int64
	Audience          int64
}

// VoteResult is what the gates read of one owner vote linked to a project.
type VoteResult struct {
	ID        int64
	Title     string
	Matter    int
	ScopeType string // compound, building, entrance
	ScopeID   int64
	Status    string // draft, open, closed
	Result    string // passed, failed, "" while not closed
}

// Passed reports whether the vote is closed and passed.
func (v VoteResult) Passed() bool { return v.Status == "closed" && v.Result == "passed" }

// Facts are what a gate is evaluated against.
type Facts struct {
	Project   Project
	Items     []Item
	Compounds []int64 // compounds in scope (for votes of items without a target)
	Surveys   []SurveyRound
	Votes     []VoteResult
	Records   map[string]int // approval records by kind
	// Feedback counts per round: collected and still open.
	FeedbackTotal map[string]int
	FeedbackOpen  map[string]int
}

// Check is one evaluated gate condition.
type Check struct {
	Condition Condition `json:"condition"`
	Met       bool      `json:"met"`
	// Key and Args form the message shown (a message catalogue key).
	Key  string `json:"key"`
	Args []any  `json:"args,omitempty"`
}

// Evaluate checks every condition of g against f, in the gate's order.
func Evaluate(g Gate, f Facts) []Check {
	out := make([]Check, 0, len(g.Conditions))
	for _, c := range g.Conditions {
		out = append(out, evaluate(c, g, f))
	}
	return out
}

// Missing returns the checks that are not met.
func Missing(checks []Check) []Check {
	var out []Check
	for _, c := range checks {
		if !c.Met {
			out = append(out, c)
		}
	}
	return out
}

func evaluate(c Condition, g Gate, f Facts) Check {
	ck := Check{Condition: c}
	switch c {
	case CondScope:
		ck.Met = f.Project.Scope.Compounds > 0 || f.Project.Scope.Buildings > 0
		ck.Key = "projects.gate.scope." + metKey(ck.Met)
	case CondItems:
		ck.Met = len(f.Items) > 0
		ck.Key, ck.Args = "projects.gate.items."+metKey(ck.Met), []any{len(f.Items)}
	case CondSurveySupport:
		hh := f.Project.Scope.Households
		var best *SurveyRound
		for i := range f.Surveys {
			s := &f.Surveys[i]
			if s.Status != "closed" || !s.HasSupport {
				continue
			}
			if best == nil || s.SupportHouseholds > best.SupportHouseholds {
				best = s
			}
		}
		switch {
		case hh == 0:
			ck.Key = "projects.gate.survey.no_households"
		case best == nil:
			ck.Key, ck.Args = "projects.gate.survey.none", []any{g.SupportNum, g.SupportDen}
		default:
			// support / households ≥ num / den, in integers.
			ck.Met = best.SupportHouseholds*g.SupportDen >= g.SupportNum*hh
			ck.Key = "projects.gate.survey." + metKey(ck.Met)
			ck.Args = []any{best.Title, best.SupportHouseholds, hh, percent(best.SupportHouseholds, hh), g.SupportNum, g.SupportDen}
		}
	case CondVotes:
		missing := missingVotes(f)
		ck.Met = len(missing) == 0
		if ck.Met {
			ck.Key = "projects.gate.votes.met"
		} else {
			ck.Key, ck.Args = "projects.gate.votes.missing", []any{strings.Join(missing, "；")}
		}
	case CondDesignApproval:
		ck.Met = f.Records[RecordDesignApproval] > 0
		ck.Key = "projects.gate.design_approval." + metKey(ck.Met)
	case CondFunding:
		var short []string
		for _, it := range f.Items {
			if it.FundingFen() != it.BudgetFen {
				short = append(short, fmt.Sprintf("%s (%s / %s)", it.Name, yuan(it.FundingFen()), yuan(it.BudgetFen)))
			}
		}
		ck.Met = len(short) == 0
		if ck.Met {
			ck.Key = "projects.gate.funding.met"
		} else {
			ck.Key, ck.Args = "projects.gate.funding.missing", []any{strings.Join(short, "；")}
		}
	case CondSampleAcceptance:
		ck.Met = f.Records[RecordSampleAcceptance] > 0
		ck.Key = "projects.gate.sample_acceptance." + metKey(ck.Met)
	case CondSampleFeedback:
		closedRound := false
		for _, s := range f.Surveys {
			if s.Stage == RoundSample && s.Status == "closed" {
				closedRound = true
			}
		}
		total, open := f.FeedbackTotal[RoundSample], f.FeedbackOpen[RoundSample]
		ck.Met = closedRound || (total > 0 && open == 0)
		switch {
		case ck.Met:
			ck.Key, ck.Args = "projects.gate.sample_feedback.met", []any{total}
		case total > 0:
			ck.Key, ck.Args = "projects.gate.sample_feedback.open", []any{open, total}
		default:
			ck.Key = "projects.gate.sample_feedback.none"
		}
	case CondItemsComplete:
		var todo []string
		for _, it := range f.Items {
			if it.ProgressPct < 100 {
				todo = append(todo, fmt.Sprintf("%s %d%%", it.Name, it.ProgressPct))
			}
		}
		ck.Met = len(todo) == 0 && len(f.Items) > 0
		switch {
		case ck.Met:
			ck.Key = "projects.gate.items_complete.met"
		case len(f.Items) == 0:
			ck.Key = "projects.gate.items.missing"
		default:
			ck.Key, ck.Args = "projects.gate.items_complete.missing", []any{strings.Join(todo, "；")}
		}
	case CondCompletionAcceptance:
		ck.Met = f.Records[RecordCompletionAcceptance] > 0
		ck.Key = "projects.gate.completion_acceptance." + metKey(ck.Met)
	default:
		ck.Key, ck.Args = "projects.gate.unknown", []any{string(c)}
	}
	return ck
}

// missingVotes names every vote an item still needs.
func missingVotes(f Facts) []string {
	var out []string
	for _, it := range f.Items {
		if it.VoteMatter == 0 {
			continue
		}
		type target struct {
			typ string
			id  int64
		}
		var need []target
		if it.TargetType != "" && it.TargetID != 0 {
			need = []target{{it.TargetType, it.TargetID}}
		} else {
			for _, c := range f.Compounds {
				need = append(need, target{"compound", c})
			}
		}
		for _, t := range need {
			ok := false
			var state string
			for _, v := range f.Votes {
				if v.Matter != it.VoteMatter || v.ScopeType != t.typ || v.ScopeID != t.id {
					continue
				}
				if v.Passed() {
					ok = true
					break
				}
				state = v.Status
				if v.Result != "" {
					state = v.Result
				}
			}
			if ok {
				continue
			}
			where := it.TargetName
			if where == "" || it.TargetID != t.id {
				where = fmt.Sprintf("%s %d", t.typ, t.id)
			}
			msg := fmt.Sprintf("%s @ %s [278-%d]", it.Name, where, it.VoteMatter)
			if state != "" {
				msg += " (" + state + ")"
			}
			out = append(out, msg)
		}
	}
	return out
}

func metKey(met bool) string {
	if met {
		return "met"
	}
	return "missing"
}

func percent(part, whole int64) string {
	if whole == 0 {
		return "0"
	}
	return fmt.Sprintf("%.1f", float64(part)*100/float64(whole))
}

func yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}
