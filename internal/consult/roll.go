package consult

import (
	"errors"
	"fmt"
)

// ErrRoll is returned (wrapped) when a roll cannot be built from its rows.
var ErrRoll = errors.New("bad roll")

// ErrEmptyRoll is returned (wrapped) when a roll has no household.
var ErrEmptyRoll = errors.New("the roll has no household")

// RollOwner is one owner of a roll household. Voter marks the co-owner designated
// to cast the household's ballot.
type RollOwner struct {
	ID    string
	Voter bool
}

// RollHousehold is one exclusive part as the roll sees it: its counting area in
// dm², whether the developer still holds it (unsold, or sold and not delivered),
// and its owners.
type RollHousehold struct {
	ID        string
	AreaDM2   int64
	Developer bool
	Owners    []RollOwner
}

// Unit is one head of the roll: the households that count as one owner, with
// their total area, every owner who belongs to them and the designated voters.
type Unit struct {
	No         int      // 1-based position on the roll
	Households []string // in roll order
	Owners     []string // in roll order, each once
	Voters     []string // owners designated as voter of one of the households
	AreaDM2    int64
	Developer  bool // the developer's head (holds every developer-held household)
}

// Roll is the list of heads of a vote, built by NewRoll. It is immutable.
type Roll struct {
	units       []Unit
	byOwner     map[string]int
	byHousehold map[string]int
	voter       map[string]bool
	area        int64
}

// NewRoll groups households into heads following 法释〔2009〕7号 art. 9 (see the
// package documentation): households sharing an owner, transitively, form one
// head, and all developer-held households form one head. Units are numbered in
// the order their first household appears in hh.
func NewRoll(hh []RollHousehold) (*Roll, error) {
	if len(hh) == 0 {
		return nil, ErrEmptyRoll
	}
	n := len(hh)
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(a, b int) {
		ra, rb := find(a), find(b)
		if ra == rb {
			return
		}
		// The smaller index stays the root so numbering follows input order.
		if rb < ra {
			ra, rb = rb, ra
		}
		parent[rb] = ra
	}
	byHousehold := make(map[string]int, n)
	firstOfOwner := make(map[string]int)
	developer := -1
	var area int64
	for i, h := range hh {
		if h.ID == "" {
			return nil, fmt.Errorf("%w: household number %d has no id", ErrRoll, i+1)
		}
		if _, dup := byHousehold[h.ID]; dup {
			return nil, fmt.Errorf("%w: household %s is listed twice", ErrRoll, h.ID)
		}
		if h.AreaDM2 < 0 {
			return nil, fmt.Errorf("%w: household %s has a negative area", ErrRoll, h.ID)
		}
		byHousehold[h.ID] = i
		area += h.AreaDM2
		seen := make(map[string]bool, len(h.Owners))
		for _, o := range h.Owners {
			if o.ID == "" {
				return nil, fmt.Errorf("%w: household %s has an owner without id", ErrRoll, h.ID)
			}
			if seen[o.ID] {
				return nil, fmt.Errorf("%w: owner %s is listed twice on household %s", ErrRoll, o.ID, h.ID)
			}
			seen[o.ID] = true
			if j, ok := firstOfOwner[o.ID]; ok {
				union(j, i)
			} else {
				firstOfOwner[o.ID] = i
			}
		}
		if h.Developer {
			if developer >= 0 {
				union(developer, i)
			} else {
				developer = i
			}
		}
	}
	r := &Roll{byOwner: make(map[string]int, len(firstOfOwner)), byHousehold: make(map[string]int, n), voter: make(map[string]bool), area: area}
	unitOfRoot := make(map[int]int)
	for i, h := range hh {
		root := find(i)
		u, ok := unitOfRoot[root]
		if !ok {
			u = len(r.units)
			unitOfRoot[root] = u
			r.units = append(r.units, Unit{No: u + 1})
		}
		unit := &r.units[u]
		unit.Households = append(unit.Households, h.ID)
		unit.AreaDM2 += h.AreaDM2
		unit.Developer = unit.Developer || h.Developer
		r.byHousehold[h.ID] = u
		for _, o := range h.Owners {
			if _, ok := r.byOwner[o.ID]; !ok {
				r.byOwner[o.ID] = u
				unit.Owners = append(unit.Owners, o.ID)
			}
			if o.Voter && !r.voter[o.ID] {
				r.voter[o.ID] = true
				unit.Voters = append(unit.Voters, o.ID)
			}
		}
	}
	return r, nil
}

// Units returns the heads in roll order. The slice must not be changed.
func (r *Roll) Units() []Unit { return r.units }

// TotalHeads is the number of heads on the roll.
func (r *Roll) TotalHeads() int64 { return int64(len(r.units)) }

// TotalAreaDM2 is the exclusive area of the whole roll.
func (r *Roll) TotalAreaDM2() int64 { return r.area }

// UnitOfOwner returns the head an owner belongs to.
func (r *Roll) UnitOfOwner(owner string) (Unit, bool) {
	i, ok := r.byOwner[owner]
	if !ok {
		return Unit{}, false
	}
	return r.units[i], true
}

// UnitOfHousehold returns the head a household belongs to.
func (r *Roll) UnitOfHousehold(household string) (Unit, bool) {
	i, ok := r.byHousehold[household]
	if !ok {
		return Unit{}, false
	}
	return r.units[i], true
}

// IsVoter reports whether owner is the designated voter of one of their
// households.
func (r *Roll) IsVoter(owner string) bool { return r.voter[owner] }

// unitFor returns the index of the head an owner may cast a ballot for under
// the joint-voter rule jointVoter.
func (r *Roll) unitFor(owner, jointVoter string) (int, error) {
	i, ok := r.byOwner[owner]
	if !ok {
		return 0, fmt.Errorf("%w: owner %s", ErrNotOnRoll, owner)
	}
	if jointVoter == JointVoterDesignated && !r.voter[owner] {
		return 0, fmt.Errorf("%w: owner %s is not the designated voter of their household", ErrNotVoter, owner)
	}
	return i, nil
}
