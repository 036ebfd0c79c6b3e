package projects

import (
	"cmp"
	"fmt"
	"math"
	"math/big"
	"slices"
)

// ShareHousehold is one household that may pay part of an item.
type ShareHousehold struct {
	ID           int64  `json:"household_id"`
	Code         string `json:"household_code"`
	BuildingName string `json:"building_name"`
	EntranceName string `json:"entrance_name,omitempty"`
	Floor        int    `json:"floor"`
	Room         string `json:"room"`
	AreaDM2      int64  `json:"area_dm2"`
}

// Share is one household's part of an item's household-paid money.
type Share struct {
	ShareHousehold
	// Weight is the household's weight under the rule (dm² for by_area, the
	// floor coefficient in per mille for by_floor, 1 for equal).
	Weight    int64 `json:"weight"`
	AmountFen int64 `json:"amount_fen"`
}

// FloorCoefficient returns the by_floor coefficient in per mille for floor.
func (p ShareParams) FloorCoefficient(floor int) int64 {
	exempt := p.Exempt
	if exempt == nil {
		exempt = []int{1}
	}
	if slices.Contains(exempt, floor) || floor < 1 {
		return 0
	}
	if c, ok := p.Coef[floor]; ok {
		return c
	}
	return int64(floor-1) * 1000
}

// Allocate splits total fen among households under rule: by_area (by floor
// area), by_floor (floor coefficients, the ground floor exempt by default) or
// equal. The amounts add up to total exactly: each household gets the whole
// fen of its exact share and the fen left over go, one each, to the largest
// remainders (ties to the lower household id). Households with weight 0 pay
// nothing.
func Allocate(total int64, rule string, params ShareParams, households []ShareHousehold) ([]Share, error) {
	if total < 0 {
		return nil, fmt.Errorf("%w: negative amount", ErrInvalid)
	}
	out := make([]Share, len(households))
	var sum int64
	for i, h := range households {
		var w int64
		switch rule {
		case ShareByArea:
			w = max(h.AreaDM2, 0)
		case ShareByFloor:
			w = params.FloorCoefficient(h.Floor)
		case ShareEqual:
			w = 1
		default:
			return nil, fmt.Errorf("%w: unknown share rule %q", ErrInvalid, rule)
		}
		out[i] = Share{ShareHousehold: h, Weight: w}
		sum += w
	}
	if total == 0 {
		return out, nil
	}
	if sum == 0 {
		return nil, fmt.Errorf("%w: no household in the item's scope carries a weight under the rule %s", ErrInvalid, rule)
	}
	type rem struct {
		i int
		r *big.Int
	}
	rems := make([]rem, 0, len(out))
	bigSum := big.NewInt(sum)
	var given int64
	for i := range out {
		q, r := new(big.Int).QuoRem(new(big.Int).Mul(big.NewInt(total), big.NewInt(out[i].Weight)), bigSum, new(big.Int))
		out[i].AmountFen = q.Int64()
		given += out[i].AmountFen
		if out[i].Weight > 0 {
			rems = append(rems, rem{i, r})
		}
	}
	slices.SortStableFunc(rems, func(a, b rem) int {
		if c := b.r.Cmp(a.r); c != 0 {
			return c
		}
		return cmp.Compare(out[a.i].ID, out[b.i].ID)
	})
	for k := 0; given < total; k++ {
		out[rems[k%len(rems)].i].AmountFen++
		given++
	}
	return out, nil
}

// Weights weigh the three parts of the priority score.
type Weights struct {
	Severity   int64 `json:"severity"`
	Households int64 `json:"households"`
	Cost       int64 `json:"cost"`
}

// DefaultWeights are 40 / 40 / 20.
var DefaultWeights = Weights{Severity: 40, Households: 40, Cost: 20}

// Valid reports whether the weights can be used (none negative, some positive).
func (w Weights) Valid() bool {
	return w.Severity >= 0 && w.Households >= 0 && w.Cost >= 0 && w.Severity+w.Households+w.Cost > 0
}

// PriorityInput is what the score of one pool project is computed from.
type PriorityInput struct {
	ProjectID int64
	// Severity is the sum of the linked findings' severities (each 0…1).
	Severity   float64
	Households int64
	BudgetFen  int64
}

// Priority is a project's score with its parts, each normalised to 0…1 over
// the projects compared.
type Priority struct {
	Score      float64 `json:"score"` // 0…100
	Severity   float64 `json:"severity"`
	Households float64 `json:"households"`
	Cost       float64 `json:"cost"` // 1 for the cheapest per household, 0 for the dearest
	// CostPerHousehold is the budget per household in fen (0 without households).
	CostPerHousehold int64 `json:"cost_per_household_fen"`
}

// Score ranks projects: score = (wS·S + wH·H + wC·C) / (wS + wH + wC) × 100,
// where S is the severity of the linked findings divided by the largest
// among the projects, H the households in scope divided by the largest, and
// C = 1 − (budget per household ÷ the largest budget per household).
func Score(in []PriorityInput, w Weights) map[int64]Priority {
	if !w.Valid() {
		w = DefaultWeights
	}
	var maxS float64
	var maxH, maxC int64
	cost := func(p PriorityInput) int64 {
		if p.Households <= 0 {
			return p.BudgetFen
		}
		return p.BudgetFen / p.Households
	}
	for _, p := range in {
		maxS = math.Max(maxS, p.Severity)
		maxH = max(maxH, p.Households)
		maxC = max(maxC, cost(p))
	}
	out := make(map[int64]Priority, len(in))
	total := float64(w.Severity + w.Households + w.Cost)
	for _, p := range in {
		var pr Priority
		if maxS > 0 {
			pr.Severity = p.Severity / maxS
		}
		if maxH > 0 {
			pr.Households = float64(p.Households) / float64(maxH)
		}
		pr.CostPerHousehold = cost(p)
		pr.Cost = 1
		if maxC > 0 {
			pr.Cost = 1 - float64(pr.CostPerHousehold)/float64(maxC)
		}
		pr.Score = math.Round((float64(w.Severity)*pr.Severity+float64(w.Households)*pr.Households+float64(w.Cost)*pr.Cost)/total*1000) / 10
		out[p.ProjectID] = pr
	}
	return out
}

// Severity of one finding from 0 to 1: how far its value misses the threshold
// relative to the threshold, capped at 1; 1 when there is no value to compare.
func Severity(value, threshold *float64) float64 {
	if value == nil || threshold == nil {
		return 1
	}
	gap := math.Abs(*value - *threshold)
	base := math.Abs(*threshold)
	if base < 1e-9 {
		if gap > 0 {
			return 1
		}
		return 0
	}
	return math.Min(gap/base, 1)
}

// RollUp returns the weighted progress of items in per mille: each item counts
// by its weight, or by its budget when it has no weight; when no item has
// either, all count alike.
func RollUp(items []Item) int64 {
	if len(items) == 0 {
		return 0
	}
	var num, den int64
	for _, it := range items {
		w := it.Weight
		if w == 0 {
			w = it.BudgetFen
		}
		num += w * int64(it.ProgressPct) * 10
		den += w
	}
	if den == 0 {
		for _, it := range items {
			num += int64(it.ProgressPct) * 10
		}
		return num / int64(len(items))
	}
	return num / den
}
