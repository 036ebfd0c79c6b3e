package projects

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/db"
)

// ItemInput is what a work item is created or changed from.
type ItemInput struct {
	Class         string // "" takes the kind's class
	Kind          string
	Name          string // "" takes the kind's name as given by the caller
	QuantityMilli int64
	Unit          string // "" takes the kind's unit
	UnitCostFen   int64
	Weight        int64
	// VoteMatter is the art. 278 matter the item needs (0: none; -1: the kind's default).
	VoteMatter int
	TargetType string // compound, building, entrance or ""
	TargetID   int64
	ShareRule  string // "" takes the kind's rule
	Params     ShareParams
}

func (s *Service) checkItem(ctx context.Context, q db.Querier, projectID int64, in *ItemInput) error {
	k := Kind(in.Kind)
	if in.Kind == "" {
		in.Kind = "other"
	}
	if in.Class == "" {
		in.Class = k.Class
	}
	if in.Unit == "" {
		in.Unit = k.Unit
	}
	if in.ShareRule == "" {
		in.ShareRule = k.Rule
	}
	if in.VoteMatter < 0 {
		in.VoteMatter = k.Matter
	}
	if in.TargetType == "" && in.TargetID == 0 {
		in.TargetType = ""
	}
	in.Name = strings.TrimSpace(in.Name)
	in.Unit = strings.TrimSpace(in.Unit)
	var bad []string
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 100 {
		bad = append(bad, "the item needs a name of 1 to 100 characters")
	}
	if !slices.Contains(Classes, in.Class) {
		bad = append(bad, "the class must be basic, improvement or upgrade")
	}
	if in.QuantityMilli <= 0 {
		bad = append(bad, "the quantity must be more than 0")
	}
	if in.Unit == "" || utf8.RuneCountInString(in.Unit) > 20 {
		bad = append(bad, "the unit must have 1 to 20 characters")
	}
	if in.UnitCostFen < 0 || in.UnitCostFen > 1e12 {
		bad = append(bad, "the unit cost must be from 0 to 10,000,000,000 yuan")
	}
	if in.QuantityMilli > 1e9 {
		bad = append(bad, "the quantity must be at most 1,000,000")
	}
	if in.Weight < 0 {
		bad = append(bad, "the weight cannot be negative")
	}
	if !slices.Contains([]int{0, 5, 6, 7, 8, 9}, in.VoteMatter) {
		bad = append(bad, fmt.Sprintf("matter %d is not an owner-vote matter a work item can need (5–9)", in.VoteMatter))
	}
	if !slices.Contains(ShareRules, in.ShareRule) {
		bad = append(bad, fmt.Sprintf("unknown share rule %q", in.ShareRule))
	}
	for _, c := range in.Params.Coef {
		if c < 0 {
			bad = append(bad, "floor coefficients cannot be negative")
			break
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(bad, "; "))
	}
	if in.TargetType != "" {
		if err := s.checkTarget(ctx, q, projectID, in.TargetType, in.TargetID); err != nil {
			return err
		}
	}
	return nil
}

// checkTarget makes sure a target lies inside the project's scope.
func (s *Service) checkTarget(ctx context.Context, q db.Querier, projectID int64, typ string, id int64) error {
	var query string
	switch typ {
	case "compound":
		query = `SELECT COUNT(*) FROM buildings WHERE compound_id = $2 AND id IN (` + scopeBuildings + `)`
	case "building":
		query = `SELECT COUNT(*) FROM (` + scopeBuildings + `) x WHERE x.id = $2`
	case "entrance":
		query = `SELECT COUNT(*) FROM entrances e WHERE e.id = $2 AND e.building_id IN (` + scopeBuildings + `)`
	default:
		return fmt.Errorf("%w: the target must be a compound, building or entrance, not %q", ErrInvalid, typ)
	}
	var n int
	if err := q.QueryRowContext(ctx, query, projectID, id).Scan(&n); err != nil {
		return fmt.Errorf("item target: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("%w: %s %d is not in the project's scope", ErrInvalid, typ, id)
	}
	return nil
}

// AddItem adds a work item; its budget is quantity × unit cost.
func (s *Service) AddItem(ctx context.Context, projectID int64, in ItemInput) (Item, error) {
	var id int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.get(ctx, tx, projectID); err != nil {
			return err
		}
		if err := s.checkItem(ctx, tx, projectID, &in); err != nil {
			return err
		}
		params, _ := json.Marshal(in.Params)
		now := s.clock()
		budget := Budget(in.QuantityMilli, in.UnitCostFen)
		if err := tx.QueryRowContext(ctx, `INSERT INTO project_items (project_id, class, kind, name, quantity_milli, unit, unit_cost_fen, budget_fen,
			weight, vote_matter, target_type, target_id, share_rule, share_params, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id`,
			projectID, in.Class, in.Kind, in.Name, in.QuantityMilli, in.Unit, in.UnitCostFen, budget, in.Weight, in.VoteMatter,
			in.TargetType, in.TargetID, in.ShareRule, string(params), now).Scan(&id); err != nil {
			return fmt.Errorf("insert item: %w", err)
		}
		if err := s.touch(ctx, tx, projectID); err != nil {
			return err
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "project.item.add", ObjectType: "project_item", ObjectID: itoa(id),
			After: map[string]any{"project_id": projectID, "input": in, "budget_fen": budget}})
	})
	if err != nil {
		return Item{}, err
	}
	return s.Item(ctx, id)
}

// UpdateItem changes a work item (not its progress or funding).
func (s *Service) UpdateItem(ctx context.Context, id int64, in ItemInput) (Item, error) {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := s.item(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.checkItem(ctx, tx, before.ProjectID, &in); err != nil {
			return err
		}
		params, _ := json.Marshal(in.Params)
		budget := Budget(in.QuantityMilli, in.UnitCostFen)
		if _, err := tx.ExecContext(ctx, `UPDATE project_items SET class = $1, kind = $2, name = $3, quantity_milli = $4, unit = $5, unit_cost_fen = $6,
			budget_fen = $7, weight = $8, vote_matter = $9, target_type = $10, target_id = $11, share_rule = $12, share_params = $13, updated_at = $14 WHERE id = $15`,
			in.Class, in.Kind, in.Name, in.QuantityMilli, in.Unit, in.UnitCostFen, budget, in.Weight, in.VoteMatter, in.TargetType, in.TargetID,
			in.ShareRule, string(params), s.clock(), id); err != nil {
			return fmt.Errorf("update item: %w", err)
		}
		if err := s.touch(ctx, tx, before.ProjectID); err != nil {
			return err
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "project.item.update", ObjectType: "project_item", ObjectID: itoa(id),
			Before: before, After: map[string]any{"input": in, "budget_fen": budget}})
	})
	if err != nil {
		return Item{}, err
	}
	return s.Item(ctx, id)
}

// DeleteItem removes a work item with its funding, spend and shares. Items of
// a project under construction or later cannot be removed.
func (s *Service) DeleteItem(ctx context.Context, id int64) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := s.item(ctx, tx, id)
		if err != nil {
			return err
		}
		p, err := s.get(ctx, tx, before.ProjectID)
		if err != nil {
			return err
		}
		if StageIndex(p.Stage) >= StageIndex(StageConstruction) {
			return fmt.Errorf("%w: the project is in %s; items cannot be removed after construction starts", ErrInvalid, p.Stage)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM project_items WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete item: %w", err)
		}
		if err := s.touch(ctx, tx, before.ProjectID); err != nil {
			return err
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "project.item.delete", ObjectType: "project_item", ObjectID: itoa(id), Before: before})
	})
}

func (s *Service) touch(ctx context.Context, tx *sql.Tx, projectID int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE projects SET updated_at = $1 WHERE id = $2`, s.clock(), projectID); err != nil {
		return fmt.Errorf("project %d: %w", projectID, err)
	}
	return nil
}

const itemCols = `i.id, i.project_id, i.class, i.kind, i.name, i.quantity_milli, i.unit, i.unit_cost_fen, i.budget_fen, i.weight, i.progress_pct,
	i.vote_matter, i.target_type, i.target_id, i.share_rule, i.share_params,
	COALESCE((SELECT SUM(x.amount_fen) FROM project_spend x WHERE x.item_id = i.id), 0),
	COALESCE(CASE i.target_type
		WHEN 'entrance' THEN (SELECT b.name || e.name FROM entrances e JOIN buildings b ON b.id = e.building_id WHERE e.id = i.target_id)
		WHEN 'building' THEN (SELECT c.name || ' ' || b.name FROM buildings b JOIN compounds c ON c.id = b.compound_id WHERE b.id = i.target_id)
		WHEN 'compound' THEN (SELECT c.name FROM compounds c WHERE c.id = i.target_id) END, '')`

func scanItem(sc interface{ Scan(...any) error }) (Item, error) {
	var it Item
	var params string
	err := sc.Scan(&it.ID, &it.ProjectID, &it.Class, &it.Kind, &it.Name, &it.QuantityMilli, &it.Unit, &it.UnitCostFen, &it.BudgetFen, &it.Weight,
		&it.ProgressPct, &it.VoteMatter, &it.TargetType, &it.TargetID, &it.ShareRule, &params, &it.SpentFen, &it.TargetName)
	if err == nil && params != "" {
		err = json.Unmarshal([]byte(params), &it.ShareParams)
	}
	return it, err
}

// Item returns one work item with its funding.
func (s *Service) Item(ctx context.Context, id int64) (Item, error) {
	return s.item(ctx, s.db.Read(), id)
}

func (s *Service) item(ctx context.Context, q db.Querier, id int64) (Item, error) {
	it, err := scanItem(q.QueryRowContext(ctx, `SELECT `+itemCols+` FROM project_items i WHERE i.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return it, fmt.Errorf("item %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return it, fmt.Errorf("item %d: %w", id, err)
	}
	f, err := s.funding(ctx, q, "f.item_id = $1", id)
	if err != nil {
		return it, err
	}
	it.Funding = f[id]
	return it, nil
}

// Items lists a project's work items with their funding, in class order.
func (s *Service) Items(ctx context.Context, projectID int64) ([]Item, error) {
	return s.items(ctx, s.db.Read(), projectID)
}

func (s *Service) items(ctx context.Context, q db.Querier, projectID int64) ([]Item, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+itemCols+` FROM project_items i WHERE i.project_id = $1
		ORDER BY CASE i.class WHEN 'basic' THEN 1 WHEN 'improvement' THEN 2 ELSE 3 END, i.id`, projectID)
	if err != nil {
		return nil, fmt.Errorf("items: %w", err)
	}
	var out []Item
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("items: %w", err)
		}
		out = append(out, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	f, err := s.funding(ctx, q, "i.project_id = $1", projectID)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Funding = f[out[i].ID]
	}
	return out, nil
}

func (s *Service) funding(ctx context.Context, q db.Querier, cond string, arg int64) (map[int64][]Funding, error) {
	rows, err := q.QueryContext(ctx, `SELECT f.item_id, f.source, f.amount_fen, f.note FROM project_funding f JOIN project_items i ON i.id = f.item_id
		WHERE `+cond+` ORDER BY f.item_id, CASE f.source WHEN 'central' THEN 1 WHEN 'local' THEN 2 WHEN 'maintenance_fund' THEN 3
		WHEN 'residents' THEN 4 WHEN 'provident_fund' THEN 5 ELSE 6 END`, arg)
	if err != nil {
		return nil, fmt.Errorf("funding: %w", err)
	}
	defer rows.Close()
	out := map[int64][]Funding{}
	for rows.Next() {
		var id int64
		var f Funding
		if err := rows.Scan(&id, &f.Source, &f.AmountFen, &f.Note); err != nil {
			return nil, fmt.Errorf("funding: %w", err)
		}
		out[id] = append(out[id], f)
	}
	return out, rows.Err()
}

// SetFunding replaces an item's funding sources. The sources may not add up to
// more than the item's budget.
func (s *Service) SetFunding(ctx context.Context, itemID int64, funding []Funding) (Item, error) {
	seen := map[string]bool{}
	var sum int64
	for _, f := range funding {
		if !slices.Contains(Sources, f.Source) {
			return Item{}, fmt.Errorf("%w: unknown funding source %q", ErrInvalid, f.Source)
		}
		if seen[f.Source] {
			return Item{}, fmt.Errorf("%w: source %s is listed twice", ErrInvalid, f.Source)
		}
		if f.AmountFen < 0 {
			return Item{}, fmt.Errorf("%w: the amount of %s cannot be negative", ErrInvalid, f.Source)
		}
		seen[f.Source] = true
		sum += f.AmountFen
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := s.item(ctx, tx, itemID)
		if err != nil {
			return err
		}
		if sum > before.BudgetFen {
			return fmt.Errorf("%w: the sources add up to %s yuan, more than the item's budget of %s yuan", ErrInvalid, yuan(sum), yuan(before.BudgetFen))
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM project_funding WHERE item_id = $1`, itemID); err != nil {
			return fmt.Errorf("funding: %w", err)
		}
		for _, f := range funding {
			if f.AmountFen == 0 {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO project_funding (item_id, source, amount_fen, note) VALUES ($1, $2, $3, $4)`,
				itemID, f.Source, f.AmountFen, strings.TrimSpace(f.Note)); err != nil {
				return fmt.Errorf("funding: %w", err)
			}
		}
		if err := s.touch(ctx, tx, before.ProjectID); err != nil {
			return err
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "project.item.funding", ObjectType: "project_item", ObjectID: itoa(itemID),
			Before: before.Funding, After: funding})
	})
	if err != nil {
		return Item{}, err
	}
	return s.Item(ctx, itemID)
}

// SetProgress records an item's progress in per cent. Progress is reported
// only from design onwards and cannot pass 100.
func (s *Service) SetProgress(ctx context.Context, itemID int64, pct int, note string) (Item, error) {
	if pct < 0 || pct > 100 {
		return Item{}, fmt.Errorf("%w: progress must be from 0 to 100 per cent, not %d", ErrInvalid, pct)
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := s.item(ctx, tx, itemID)
		if err != nil {
			return err
		}
		p, err := s.get(ctx, tx, before.ProjectID)
		if err != nil {
			return err
		}
		if StageIndex(p.Stage) < StageIndex(StageSample) {
			return fmt.Errorf("%w: the project is in %s; works progress is recorded from the sample stage on", ErrInvalid, p.Stage)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE project_items SET progress_pct = $1, updated_at = $2 WHERE id = $3`, pct, s.clock(), itemID); err != nil {
			return fmt.Errorf("progress: %w", err)
		}
		if err := s.touch(ctx, tx, before.ProjectID); err != nil {
			return err
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "project.item.progress", ObjectType: "project_item", ObjectID: itoa(itemID),
			Before: map[string]any{"progress_pct": before.ProgressPct}, After: map[string]any{"progress_pct": pct, "note": note}})
	})
	if err != nil {
		return Item{}, err
	}
	return s.Item(ctx, itemID)
}

// Spend is one payment against an item.
type Spend struct {
	ID        int64     `json:"id"`
	ItemID    int64     `json:"item_id"`
	ItemName  string    `json:"item_name"`
	AmountFen int64     `json:"amount_fen"`
	SpentOn   string    `json:"spent_on"` // YYYY-MM-DD
	Note      string    `json:"note,omitempty"`
	By        string    `json:"by"`
	At        time.Time `json:"at"`
}

// AddSpend records a payment against an item.
func (s *Service) AddSpend(ctx context.Context, itemID, amountFen int64, spentOn, note string) (Spend, error) {
	if amountFen <= 0 {
		return Spend{}, fmt.Errorf("%w: the amount must be more than 0", ErrInvalid)
	}
	if _, err := time.Parse("2006-01-02", spentOn); err != nil {
		return Spend{}, fmt.Errorf("%w: the date %q is not YYYY-MM-DD", ErrInvalid, spentOn)
	}
	a := audit.ActorFrom(ctx)
	var sp Spend
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		it, err := s.item(ctx, tx, itemID)
		if err != nil {
			return err
		}
		sp = Spend{ItemID: itemID, ItemName: it.Name, AmountFen: amountFen, SpentOn: spentOn, Note: strings.TrimSpace(note), By: a.Name, At: s.clock()}
		if err := tx.QueryRowContext(ctx, `INSERT INTO project_spend (project_id, item_id, amount_fen, spent_on, note, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, it.ProjectID, itemID, amountFen, spentOn, sp.Note, a.Name, sp.At).Scan(&sp.ID); err != nil {
			return fmt.Errorf("spend: %w", err)
		}
		if err := s.touch(ctx, tx, it.ProjectID); err != nil {
			return err
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "project.spend.add", ObjectType: "project_spend", ObjectID: itoa(sp.ID), After: sp})
	})
	return sp, err
}

// SpendOf lists a project's payments, newest first.
func (s *Service) SpendOf(ctx context.Context, projectID int64) ([]Spend, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT x.id, x.item_id, i.name, x.amount_fen, x.spent_on, x.note, x.created_by, x.created_at
		FROM project_spend x JOIN project_items i ON i.id = x.item_id WHERE x.project_id = $1 ORDER BY x.spent_on DESC, x.id DESC`, projectID)
	if err != nil {
		return nil, fmt.Errorf("spend: %w", err)
	}
	defer rows.Close()
	var out []Spend
	for rows.Next() {
		var sp Spend
		if err := rows.Scan(&sp.ID, &sp.ItemID, &sp.ItemName, &sp.AmountFen, &sp.SpentOn, &sp.Note, &sp.By, &sp.At); err != nil {
			return nil, fmt.Errorf("spend: %w", err)
		}
		out = append(out, sp)
	}
	return out, rows.Err()
}

// shareHouseholds lists the households an item's money is shared among: those
// of its target, or of the whole scope.
func (s *Service) shareHouseholds(ctx context.Context, q db.Querier, it Item) ([]ShareHousehold, error) {
	cond := `h.building_id IN (` + scopeBuildings + `)`
	args := []any{it.ProjectID}
	switch it.TargetType {
	case "entrance":
		cond, args = `h.entrance_id = $1`, []any{it.TargetID}
	case "building":
		cond, args = `h.building_id = $1`, []any{it.TargetID}
	case "compound":
		cond, args = `b.compound_id = $1`, []any{it.TargetID}
	}
	rows, err := q.QueryContext(ctx, `SELECT h.id, h.code, b.name, COALESCE(e.name, ''), h.floor, h.room, `+areaExpr+`
		FROM households h JOIN buildings b ON b.id = h.building_id LEFT JOIN entrances e ON e.id = h.entrance_id
		WHERE `+cond+` ORDER BY b.id, COALESCE(e.number, 0), h.floor, h.room, h.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("share households: %w", err)
	}
	defer rows.Close()
	var out []ShareHousehold
	for rows.Next() {
		var h ShareHousehold
		if err := rows.Scan(&h.ID, &h.Code, &h.BuildingName, &h.EntranceName, &h.Floor, &h.Room, &h.AreaDM2); err != nil {
			return nil, fmt.Errorf("share households: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// Shares returns each household's part of an item's household-paid money
// (residents and provident fund) under the item's rule.
func (s *Service) Shares(ctx context.Context, itemID int64) (Item, []Share, error) {
	it, err := s.Item(ctx, itemID)
	if err != nil {
		return it, nil, err
	}
	hh, err := s.shareHouseholds(ctx, s.db.Read(), it)
	if err != nil {
		return it, nil, err
	}
	shares, err := Allocate(it.HouseholdFen(), it.ShareRule, it.ShareParams, hh)
	return it, shares, err
}

// HouseholdShare is one household's part of one item, for the household's own view.
type HouseholdShare struct {
	Project   Project `json:"project"`
	Item      Item    `json:"item"`
	Share     Share   `json:"share"`
	TotalFen  int64   `json:"total_fen"` // the household-paid money of the item
	Household int64   `json:"household_id"`
}

// SharesOfHousehold returns the household's share of every resident-funded
// item of the projects whose scope holds it.
func (s *Service) SharesOfHousehold(ctx context.Context, householdID int64) ([]HouseholdShare, error) {
	projects, err := s.ProjectsOfHousehold(ctx, householdID)
	if err != nil {
		return nil, err
	}
	var out []HouseholdShare
	for _, p := range projects {
		items, err := s.Items(ctx, p.ID)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			if it.HouseholdFen() == 0 {
				continue
			}
			hh, err := s.shareHouseholds(ctx, s.db.Read(), it)
			if err != nil {
				return nil, err
			}
			if !slices.ContainsFunc(hh, func(h ShareHousehold) bool { return h.ID == householdID }) {
				continue
			}
			shares, err := Allocate(it.HouseholdFen(), it.ShareRule, it.ShareParams, hh)
			if err != nil {
				continue // a rule nobody can pay under shows on the staff page
			}
			for _, sh := range shares {
				if sh.ID == householdID {
					out = append(out, HouseholdShare{Project: p, Item: it, Share: sh, TotalFen: it.HouseholdFen(), Household: householdID})
				}
			}
		}
	}
	return out, nil
}
