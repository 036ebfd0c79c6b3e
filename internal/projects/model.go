// Package projects is the renewal project pool and lifecycle: projects created
// from health-check findings or by hand with their scope computed from the
// places (compounds, buildings, entrances, households, floor area, eligibility
// by built year); work items in the three classes with quantities and unit
// costs; funding sources per item, spend against budget and each household's
// share of resident-funded items; the stage machine pool → consultation →
// design → sample → construction → acceptance → aftercare whose gates are
// configured per project type and read survey and vote results from the
// consultation module; the four rounds of resident feedback; milestones with
// before/after photos and progress rolled up by weight; a priority score for
// the pool; district statistics; closing the loop with the findings; and
// per-household notes (一户一策).
package projects

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Errors of the projects module.
var (
	// ErrNotFound: no such project, item, milestone or note.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: the input breaks a rule; the message says which.
	ErrInvalid = errors.New("invalid project input")
	// ErrGate: a stage transition was refused because a gate condition is not met.
	ErrGate = errors.New("stage gate not met")
)

// Project types.
const (
	TypeCompound   = "compound"   // 老旧小区改造
	TypeVillage    = "village"    // 城中村改造
	TypeIndustrial = "industrial" // 工业用地更新
	TypeHeritage   = "heritage"   // 历史文化街区
	TypeMicro      = "micro"      // 微改造
)

// Types lists the project types in display order.
var Types = []string{TypeCompound, TypeVillage, TypeIndustrial, TypeHeritage, TypeMicro}

// Village modes.
var Modes = []string{"rebuild", "renovate", "mixed"}

// Stages of a project, in order.
const (
	StagePool         = "pool"
	StageConsultation = "consultation"
	StageDesign       = "design"
	StageSample       = "sample"
	StageConstruction = "construction"
	StageAcceptance   = "acceptance"
	StageAftercare    = "aftercare"
)

// Stages lists the stages in order.
var Stages = []string{StagePool, StageConsultation, StageDesign, StageSample, StageConstruction, StageAcceptance, StageAftercare}

// StageIndex returns the position of stage in Stages, or -1.
func StageIndex(stage string) int { return slices.Index(Stages, stage) }

// NextStage returns the stage after stage ("" after aftercare or for an unknown stage).
func NextStage(stage string) string {
	i := StageIndex(stage)
	if i < 0 || i+1 >= len(Stages) {
		return ""
	}
	return Stages[i+1]
}

// Item classes (国办发〔2020〕23号).
const (
	ClassBasic       = "basic"
	ClassImprovement = "improvement"
	ClassUpgrade     = "upgrade"
)

// Classes lists the item classes.
var Classes = []string{ClassBasic, ClassImprovement, ClassUpgrade}

// Funding sources.
const (
	SourceCentral         = "central"
	SourceLocal           = "local"
	SourceMaintenanceFund = "maintenance_fund"
	SourceResidents       = "residents"
	SourceProvidentFund   = "provident_fund"
	SourceEnterprise      = "enterprise"
)

// Sources lists the funding sources in display order.
var Sources = []string{SourceCentral, SourceLocal, SourceMaintenanceFund, SourceResidents, SourceProvidentFund, SourceEnterprise}

// HouseholdSource reports whether money from source is paid by the households
// themselves (directly or from their provident fund), and so is shared among
// them by the item's share rule.
func HouseholdSource(source string) bool {
	return source == SourceResidents || source == SourceProvidentFund
}

// Share rules.
const (
	ShareByArea  = "by_area"
	ShareByFloor = "by_floor"
	ShareEqual   = "equal"
)

// ShareRules lists the share rules.
var ShareRules = []string{ShareByArea, ShareByFloor, ShareEqual}

// Feedback rounds (四轮工作机制).
const (
	RoundSurvey       = "survey"
	RoundDesign       = "design"
	RoundSample       = "sample"
	RoundConstruction = "construction"
)

// Rounds lists the four rounds in order.
var Rounds = []string{RoundSurvey, RoundDesign, RoundSample, RoundConstruction}

// Feedback statuses: open, adopted (the plan was changed), explained (answered
// without a change). Adopted and explained both count as resolved.
const (
	FeedbackOpen      = "open"
	FeedbackAdopted   = "adopted"
	FeedbackExplained = "explained"
)

// Channels through which feedback is collected.
var Channels = []string{"meeting", "door", "phone", "online", "paper"}

// Record kinds.
const (
	RecordDesignApproval       = "design_approval"
	RecordSampleAcceptance     = "sample_acceptance"
	RecordCompletionAcceptance = "completion_acceptance"
)

// RecordKinds lists the kinds of approval records.
var RecordKinds = []string{RecordDesignApproval, RecordSampleAcceptance, RecordCompletionAcceptance}

// Note kinds of the per-household notes.
var NoteKinds = []string{"concern", "agreement", "follow_up"}

// Item kinds: the catalogue of common work items with their class, default unit
// (as residents read it; a user may type another) and the owner-vote matter
// they need (0: none). Users may enter other kinds.
type ItemKind struct {
	Code   string
	Class  string
	Unit   string
	Matter int
	// Target is the place an item of this kind is counted per ("entrance" for
	// elevators), "" for the whole scope.
	Target string
	// Rule is the default share rule for resident-funded money.
	Rule string
}

// ItemKinds is the catalogue of common work items.
var ItemKinds = []ItemKind{
	{Code: "water_pipes", Class: ClassBasic, Unit: "米", Rule: ShareByArea},
	{Code: "drainage", Class: ClassBasic, Unit: "米", Rule: ShareByArea},
	{Code: "power", Class: ClassBasic, Unit: "米", Rule: ShareByArea},
	{Code: "gas_pipes", Class: ClassBasic, Unit: "米", Rule: ShareByArea},
	{Code: "roads", Class: ClassBasic, Unit: "平方米", Rule: ShareByArea},
	{Code: "fire_safety", Class: ClassBasic, Unit: "套", Rule: ShareByArea},
	{Code: "roof", Class: ClassBasic, Unit: "平方米", Rule: ShareByArea},
	{Code: "facade", Class: ClassBasic, Unit: "平方米", Rule: ShareByArea},
	{Code: "stairs", Class: ClassBasic, Unit: "平方米", Rule: ShareByArea},
	{Code: "illegal_structures", Class: ClassImprovement, Unit: "平方米", Rule: ShareByArea},
	{Code: "greening", Class: ClassImprovement, Unit: "平方米", Matter: 8, Rule: ShareByArea},
	{Code: "lighting", Class: ClassImprovement, Unit: "套", Rule: ShareByArea},
	{Code: "ramps", Class: ClassImprovement, Unit: "套", Rule: ShareEqual},
	{Code: "parking", Class: ClassImprovement, Unit: "个", Matter: 8, Rule: ShareEqual},
	{Code: "chargers", Class: ClassImprovement, Unit: "套", Matter: 8, Rule: ShareEqual},
	{Code: "parcel_lockers", Class: ClassImprovement, Unit: "套", Rule: ShareEqual},
	{Code: "energy_retrofit", Class: ClassImprovement, Unit: "平方米", Rule: ShareByArea},
	{Code: "elevator", Class: ClassImprovement, Unit: "部", Matter: 7, Target: "entrance", Rule: ShareByFloor},
	{Code: "service_centre", Class: ClassUpgrade, Unit: "平方米", Matter: 8, Rule: ShareByArea},
	{Code: "elderly_care", Class: ClassUpgrade, Unit: "平方米", Matter: 8, Rule: ShareByArea},
	{Code: "canteen", Class: ClassUpgrade, Unit: "平方米", Matter: 8, Rule: ShareByArea},
	{Code: "smart_sensing", Class: ClassUpgrade, Unit: "套", Rule: ShareEqual},
	{Code: "other", Class: "", Unit: "", Rule: ShareByArea},
}

// Kind returns the catalogue entry for code (the "other" entry when unknown).
func Kind(code string) ItemKind {
	for _, k := range ItemKinds {
		if k.Code == code {
			return k
		}
	}
	return ItemKinds[len(ItemKinds)-1]
}

// Budget returns quantity × unit cost in fen, rounded half up; quantity is in
// thousandths of the unit.
func Budget(quantityMilli, unitCostFen int64) int64 {
	return (quantityMilli*unitCostFen + 500) / 1000
}

// FormatQuantity shows a quantity in thousandths without trailing zeros.
func FormatQuantity(milli int64) string {
	s := fmt.Sprintf("%d.%03d", milli/1000, milli%1000)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}

// Project is a renewal project.
type Project struct {
	ID          int64     `json:"id"`
	Code        string    `json:"code"`
	Name        string    `json:"name"`
	Type        string    `json:"type"`
	Mode        string    `json:"mode,omitempty"`
	Stage       string    `json:"stage"`
	Description string    `json:"description,omitempty"`
	PlanYear    int       `json:"plan_year"`
	RegionID    int64     `json:"region_id"`
	RegionPath  string    `json:"region_path"`
	RegionName  string    `json:"region_name"`
	CutoffYear  int       `json:"cutoff_year"`
	Scope       ScopeSums `json:"scope"`
	Lon         float64   `json:"lon"`
	Lat         float64   `json:"lat"`
	// SampleBuildingID is the building shown as the sample (0: none chosen).
	SampleBuildingID int64     `json:"sample_building_id,omitempty"`
	StageEnteredAt   time.Time `json:"stage_entered_at"`
	CreatedBy        string    `json:"created_by"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
	// Money sums over the items (filled by the list and detail queries).
	BudgetFen  int64 `json:"budget_fen"`
	FundingFen int64 `json:"funding_fen"`
	SpentFen   int64 `json:"spent_fen"`
	// Progress is the weighted progress of the items in per mille.
	ProgressPermille int64 `json:"progress_permille"`
	// Findings is how many findings are linked.
	Findings int `json:"findings"`
}

// ScopeSums are the figures of a project's scope, computed from the places.
type ScopeSums struct {
	Compounds  int64 `json:"compounds"`
	Buildings  int64 `json:"buildings"`
	Eligible   int64 `json:"eligible_buildings"` // buildings built up to the cut-off year
	Entrances  int64 `json:"entrances"`
	Households int64 `json:"households"`
	AreaDM2    int64 `json:"floor_area_dm2"`
}

// Item is one work item of a project.
type Item struct {
	ID            int64  `json:"id"`
	ProjectID     int64  `json:"project_id"`
	Class         string `json:"class"`
	Kind          string `json:"kind"`
	Name          string `json:"name"`
	QuantityMilli int64  `json:"quantity_milli"`
	Unit          string `json:"unit"`
	UnitCostFen   int64  `json:"unit_cost_fen"`
	BudgetFen     int64  `json:"budget_fen"`
	// Weight for the progress roll-up; 0 means "by budget".
	Weight      int64  `json:"weight"`
	ProgressPct int    `json:"progress_pct"`
	VoteMatter  int    `json:"vote_matter"`
	TargetType  string `json:"target_type,omitempty"` // compound, building or entrance; "" = the whole scope
	TargetID    int64  `json:"target_id,omitempty"`
	TargetName  string `json:"target_name,omitempty"`
	ShareRule   string `json:"share_rule"`
	// ShareParams are the rule's parameters (for by_floor: coefficients by floor).
	ShareParams ShareParams `json:"share_params"`
	Funding     []Funding   `json:"funding"`
	SpentFen    int64       `json:"spent_fen"`
}

// FundingFen is the sum of the item's funding.
func (it Item) FundingFen() int64 {
	var s int64
	for _, f := range it.Funding {
		s += f.AmountFen
	}
	return s
}

// HouseholdFen is the part of the item's funding the households pay.
func (it Item) HouseholdFen() int64 {
	var s int64
	for _, f := range it.Funding {
		if HouseholdSource(f.Source) {
			s += f.AmountFen
		}
	}
	return s
}

// Funding is one source's amount for an item.
type Funding struct {
	Source    string `json:"source"`
	AmountFen int64  `json:"amount_fen"`
	Note      string `json:"note,omitempty"`
}

// ShareParams tune a share rule.
type ShareParams struct {
	// Exempt floors pay nothing (by_floor; default: floor 1).
	Exempt []int `json:"exempt,omitempty"`
	// Coef gives the coefficient in per mille by floor (by_floor); a floor not
	// listed uses (floor − 1) × 1000.
	Coef map[int]int64 `json:"coef,omitempty"`
}
