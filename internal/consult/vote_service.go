package consult

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/places"
)

// Errors of the vote service; each is returned wrapped with details.
var (
	// ErrNotFound: the vote, receipt, attachment or place does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: the request is incomplete or contradicts itself.
	ErrInvalid = errors.New("invalid request")
	// ErrState: the vote is not in the status the operation needs.
	ErrState = errors.New("wrong vote status")
	// ErrNotYetOpen: a ballot for a vote that is a draft or before its opening time.
	ErrNotYetOpen = errors.New("the vote is not open yet")
	// ErrVotingClosed: a ballot for a vote that is closed or past its closing time.
	ErrVotingClosed = errors.New("the vote is closed")
	// ErrTooEarly: closing a vote before its closing time.
	ErrTooEarly = errors.New("the voting period has not ended")
	// ErrAttachmentRequired: a paper or proxy ballot, or a consent, without its scan.
	ErrAttachmentRequired = errors.New("a scan of the paper ballot or the proxy authorisation is required")
)

// Vote statuses.
const (
	StatusDraft  = "draft"
	StatusOpen   = "open"
	StatusClosed = "closed"
)

// Scope types of a vote.
const (
	ScopeCompound = "compound"
	ScopeBuilding = "building"
	ScopeEntrance = "entrance"
)

// Vote kinds.
const (
	KindGeneral  = "general"
	KindElevator = "elevator"
)

// Ballot channels.
const (
	ChannelOnline = "online" // cast by the owner
	ChannelPaper  = "paper"  // entered by a worker from a paper ballot (scan attached)
	ChannelProxy  = "proxy"  // cast by a proxy (authorisation attached)
)

// Service runs owner votes on the database.
type Service struct {
	db   *db.DB
	log  *audit.Log
	now  func() time.Time
	rand io.Reader
}

// NewService returns the vote service; now is the clock (time.Now in production).
func NewService(d *db.DB, log *audit.Log, now func() time.Time) *Service {
	return &Service{db: d, log: log, now: now, rand: rand.Reader}
}

// at returns a copy of s whose clock says t; used to seed past votes.
func (s *Service) at(t time.Time) *Service {
	c := *s
	c.now = func() time.Time { return t }
	return &c
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// NewVote is what CreateVote needs.
type NewVote struct {
	Title       string
	Description string
	Matter      Matter
	// Rules names the rule set ("" for national); "elevator" makes an elevator
	// retrofit vote, which must have entrance or building scope.
	Rules     string
	ScopeType string // compound, building or entrance
	ScopeID   int64
	OpensAt   time.Time
	ClosesAt  time.Time
	ProjectID int64 // 0 when the vote belongs to no project
	// Affected lists, for elevator votes, the households whose exclusive part the
	// works occupy; each must consent individually.
	Affected []int64
	// UsesCommonLand marks elevator works on compound-wide common land, which
	// need a compound-wide vote as well (RequiresVoteID, or LinkCompoundVote).
	UsesCommonLand bool
	RequiresVoteID int64
}

// Vote is a stored owner vote.
type Vote struct {
	ID             int64     `json:"id"`
	Title          string    `json:"title"`
	Description    string    `json:"description"`
	Matter         Matter    `json:"matter"`
	Rules          RuleSet   `json:"rules"`
	Kind           string    `json:"kind"`
	ScopeType      string    `json:"scope_type"`
	ScopeID        int64     `json:"scope_id"`
	CompoundID     int64     `json:"compound_id"`
	ProjectID      int64     `json:"project_id,omitempty"`
	UsesCommonLand bool      `json:"uses_common_land"`
	RequiresVoteID int64     `json:"requires_vote_id,omitempty"`
	Affected       []int64   `json:"affected,omitempty"`
	OpensAt        time.Time `json:"opens_at"`
	ClosesAt       time.Time `json:"closes_at"`
	Status         string    `json:"status"`
	OpenedAt       time.Time `json:"opened_at,omitzero"`
	ClosedAt       time.Time `json:"closed_at,omitzero"`
	RollHash       string    `json:"roll_hash,omitempty"`
	BallotCount    int64     `json:"ballot_count"` // ballots appended (every change counts)
	LastHash       string    `json:"last_hash,omitempty"`
	Result         string    `json:"result,omitempty"` // set when closed
	Stored         *Tally    `json:"stored_tally,omitempty"`
	CreatedBy      string    `json:"created_by"`
	CreatedAt      time.Time `json:"created_at"`
}

// AcceptsBallots reports whether a ballot cast at t would be accepted.
func (v Vote) AcceptsBallots(t time.Time) bool {
	return v.Status == StatusOpen && !t.Before(v.OpensAt) && t.Before(v.ClosesAt)
}

const voteCols = `id, title, description, matter, rules_json, kind, scope_type, scope_id, compound_id, project_id,
	uses_common_land, requires_vote_id, affected_json, opens_at, closes_at, status, opened_at, closed_at,
	roll_hash, ballot_seq, last_hash, result, result_json, created_by, created_at`

type scanner interface{ Scan(...any) error }

func scanVote(sc scanner) (Vote, error) {
	var v Vote
	var rulesJSON, affected string
	var project, requires sql.NullInt64
	var opened, closed sql.NullTime
	var result, resultJSON sql.NullString
	if err := sc.Scan(&v.ID, &v.Title, &v.Description, &v.Matter, &rulesJSON, &v.Kind, &v.ScopeType, &v.ScopeID, &v.CompoundID, &project,
		&v.UsesCommonLand, &requires, &affected, &v.OpensAt, &v.ClosesAt, &v.Status, &opened, &closed,
		&v.RollHash, &v.BallotCount, &v.LastHash, &result, &resultJSON, &v.CreatedBy, &v.CreatedAt); err != nil {
		return v, err
	}
	if err := json.Unmarshal([]byte(rulesJSON), &v.Rules); err != nil {
		return v, fmt.Errorf("vote %d: stored rule set: %w", v.ID, err)
	}
	if err := json.Unmarshal([]byte(affected), &v.Affected); err != nil {
		return v, fmt.Errorf("vote %d: stored affected households: %w", v.ID, err)
	}
	v.ProjectID, v.RequiresVoteID, v.Result = project.Int64, requires.Int64, result.String
	v.OpensAt, v.ClosesAt, v.CreatedAt = v.OpensAt.UTC(), v.ClosesAt.UTC(), v.CreatedAt.UTC()
	if opened.Valid {
		v.OpenedAt = opened.Time.UTC()
	}
	if closed.Valid {
		v.ClosedAt = closed.Time.UTC()
	}
	if resultJSON.Valid && resultJSON.String != "" {
		var t Tally
		if err := json.Unmarshal([]byte(resultJSON.String), &t); err != nil {
			return v, fmt.Errorf("vote %d: stored result: %w", v.ID, err)
		}
		v.Stored = &t
	}
	return v, nil
}

func (s *Service) vote(ctx context.Context, q db.Querier, id int64) (Vote, error) {
	v, err := scanVote(q.QueryRowContext(ctx, `SELECT `+voteCols+` FROM votes WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return v, fmt.Errorf("vote %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return v, fmt.Errorf("read vote %d: %w", id, err)
	}
	return v, nil
}

// Vote returns one vote.
func (s *Service) Vote(ctx context.Context, id int64) (Vote, error) {
	return s.vote(ctx, s.db.Read(), id)
}

// VoteFilter selects votes for ListVotes; zero fields match everything.
type VoteFilter struct {
	CompoundID int64
	ScopeType  string
	ScopeID    int64
	ProjectID  int64
	Status     string
	Kind       string
	Limit      int // default 100, at most 1000
}

// ListVotes returns matching votes, newest first.
func (s *Service) ListVotes(ctx context.Context, f VoteFilter) ([]Vote, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.CompoundID != 0 {
		add("compound_id = $%d", f.CompoundID)
	}
	if f.ScopeType != "" {
		add("scope_type = $%d", f.ScopeType)
	}
	if f.ScopeID != 0 {
		add("scope_id = $%d", f.ScopeID)
	}
	if f.ProjectID != 0 {
		add("project_id = $%d", f.ProjectID)
	}
	if f.Status != "" {
		add("status = $%d", f.Status)
	}
	if f.Kind != "" {
		add("kind = $%d", f.Kind)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	args = append(args, f.Limit)
	return s.votes(ctx, fmt.Sprintf(`SELECT %s FROM votes%s ORDER BY id DESC LIMIT $%d`, voteCols, cond, len(args)), args...)
}

// VotesOfOwner returns the votes whose roll lists the owner, newest first.
func (s *Service) VotesOfOwner(ctx context.Context, ownerID int64) ([]Vote, error) {
	return s.votes(ctx, `SELECT `+voteCols+` FROM votes WHERE id IN (SELECT vote_id FROM vote_roll_owners WHERE owner_id = $1) ORDER BY id DESC`, ownerID)
}

func (s *Service) votes(ctx context.Context, q string, args ...any) ([]Vote, error) {
	rows, err := s.db.Read().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list votes: %w", err)
	}
	defer rows.Close()
	var out []Vote
	for rows.Next() {
		v, err := scanVote(rows)
		if err != nil {
			return nil, fmt.Errorf("list votes: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list votes: %w", err)
	}
	return out, nil
}

// scopeCompound returns the compound a scope lies in.
func scopeCompound(ctx context.Context, q db.Querier, typ string, id int64) (int64, error) {
	var query string
	switch typ {
	case ScopeCompound:
		query = `SELECT id FROM compounds WHERE id = $1`
	case ScopeBuilding:
		query = `SELECT compound_id FROM buildings WHERE id = $1`
	case ScopeEntrance:
		query = `SELECT b.compound_id FROM entrances e JOIN buildings b ON b.id = e.building_id WHERE e.id = $1`
	default:
		return 0, fmt.Errorf("%w: scope type %q is not compound, building or entrance", ErrInvalid, typ)
	}
	var c int64
	err := q.QueryRowContext(ctx, query, id).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("%s %d: %w", typ, id, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("read %s %d: %w", typ, id, err)
	}
	return c, nil
}

func scopeCond(typ string) string {
	switch typ {
	case ScopeCompound:
		return "b.compound_id = $1"
	case ScopeBuilding:
		return "h.building_id = $1"
	}
	return "h.entrance_id = $1"
}

func actorID(a audit.Actor) any {
	if a.ID == 0 {
		return nil
	}
	return a.ID
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// CreateVote stores a draft vote after checking its matter, rule set, scope,
// times and, for elevator votes, the affected households and linked vote.
func (s *Service) CreateVote(ctx context.Context, nv NewVote) (Vote, error) {
	nv.Title, nv.Description = strings.TrimSpace(nv.Title), strings.TrimSpace(nv.Description)
	switch {
	case nv.Title == "":
		return Vote{}, fmt.Errorf("%w: the title is empty", ErrInvalid)
	case utf8.RuneCountInString(nv.Title) > 200:
		return Vote{}, fmt.Errorf("%w: the title is longer than 200 characters", ErrInvalid)
	case !nv.Matter.Valid():
		return Vote{}, fmt.Errorf("%w: %w: %d", ErrInvalid, ErrUnknownMatter, nv.Matter)
	case nv.OpensAt.IsZero() || nv.ClosesAt.IsZero():
		return Vote{}, fmt.Errorf("%w: opening and closing times are required", ErrInvalid)
	case !nv.ClosesAt.After(nv.OpensAt):
		return Vote{}, fmt.Errorf("%w: the vote must close after it opens", ErrInvalid)
	}
	rules, err := LookupRules(nv.Rules)
	if err != nil {
		return Vote{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	kind := KindGeneral
	if rules.Name == RulesElevator {
		kind = KindElevator
		if nv.ScopeType != ScopeEntrance && nv.ScopeType != ScopeBuilding {
			return Vote{}, fmt.Errorf("%w: an elevator vote is held within an entrance or a building", ErrInvalid)
		}
	} else if len(nv.Affected) > 0 || nv.UsesCommonLand || nv.RequiresVoteID != 0 {
		return Vote{}, fmt.Errorf("%w: affected households and a linked compound-wide vote belong to elevator votes", ErrInvalid)
	}
	rulesJSON, err := json.Marshal(rules)
	if err != nil {
		return Vote{}, err
	}
	var id int64
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		compound, err := scopeCompound(ctx, tx, nv.ScopeType, nv.ScopeID)
		if err != nil {
			return err
		}
		affected, err := s.checkAffected(ctx, tx, nv.ScopeType, nv.ScopeID, nv.Affected)
		if err != nil {
			return err
		}
		if nv.RequiresVoteID != 0 {
			if err := s.checkLinkable(ctx, tx, compound, nv.RequiresVoteID); err != nil {
				return err
			}
		}
		affJSON, _ := json.Marshal(affected)
		now := s.clock()
		a := audit.ActorFrom(ctx)
		if err := tx.QueryRowContext(ctx, `INSERT INTO votes (title, description, matter, rules, rules_json, kind, scope_type, scope_id,
			compound_id, project_id, uses_common_land, requires_vote_id, affected_json, opens_at, closes_at, status,
			created_by, created_by_id, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'draft', $16, $17, $18, $18) RETURNING id`,
			nv.Title, nv.Description, int(nv.Matter), rules.Name, string(rulesJSON), kind, nv.ScopeType, nv.ScopeID,
			compound, nullID(nv.ProjectID), nv.UsesCommonLand, nullID(nv.RequiresVoteID), string(affJSON),
			nv.OpensAt.UTC(), nv.ClosesAt.UTC(), a.Name, actorID(a), now).Scan(&id); err != nil {
			return fmt.Errorf("insert vote: %w", err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "vote.create", ObjectType: "vote", ObjectID: strconv.FormatInt(id, 10),
			After: map[string]any{"title": nv.Title, "matter": nv.Matter, "rules": rules.Name, "kind": kind, "scope_type": nv.ScopeType,
				"scope_id": nv.ScopeID, "opens_at": nv.OpensAt.UTC(), "closes_at": nv.ClosesAt.UTC(), "project_id": nv.ProjectID,
				"affected": affected, "uses_common_land": nv.UsesCommonLand, "requires_vote_id": nv.RequiresVoteID}})
	})
	if err != nil {
		return Vote{}, err
	}
	return s.Vote(ctx, id)
}

// checkAffected makes sure every affected household lies in the scope and
// returns them sorted without duplicates.
func (s *Service) checkAffected(ctx context.Context, q db.Querier, typ string, scope int64, ids []int64) ([]int64, error) {
	out := []int64{}
	seen := make(map[int64]bool)
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		var n int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM households h JOIN buildings b ON b.id = h.building_id WHERE `+scopeCond(typ)+` AND h.id = $2`, scope, id).Scan(&n); err != nil {
			return nil, fmt.Errorf("check household %d: %w", id, err)
		}
		if n == 0 {
			return nil, fmt.Errorf("%w: affected household %d is not in the vote's %s", ErrInvalid, id, typ)
		}
		out = append(out, id)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out, nil
}

// checkLinkable makes sure vote id is a compound-wide vote of compound.
func (s *Service) checkLinkable(ctx context.Context, q db.Querier, compound, id int64) error {
	v, err := s.vote(ctx, q, id)
	if err != nil {
		return fmt.Errorf("linked compound-wide vote: %w", err)
	}
	if v.ScopeType != ScopeCompound || v.CompoundID != compound {
		return fmt.Errorf("%w: vote %d is not a compound-wide vote of the same compound", ErrInvalid, id)
	}
	return nil
}

// lockVote takes the vote row's write lock for the rest of tx (on PostgreSQL a
// row lock, on SQLite the single writer already holds the database) and returns
// the vote as it is now.
func (s *Service) lockVote(ctx context.Context, tx *sql.Tx, id int64) (Vote, error) {
	res, err := tx.ExecContext(ctx, `UPDATE votes SET updated_at = $2 WHERE id = $1`, id, s.clock())
	if err != nil {
		return Vote{}, fmt.Errorf("lock vote %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Vote{}, fmt.Errorf("vote %d: %w", id, ErrNotFound)
	}
	return s.vote(ctx, tx, id)
}

// OpenVote opens a draft vote: it takes the roll from the places tables (the
// households of the scope with their owners, counting areas and developer
// flags) and freezes it. Ballots are accepted from OpensAt until ClosesAt.
func (s *Service) OpenVote(ctx context.Context, id int64) (Vote, error) {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		v, err := s.lockVote(ctx, tx, id)
		if err != nil {
			return err
		}
		if v.Status != StatusDraft {
			return fmt.Errorf("%w: vote %d is %s; only a draft opens", ErrState, id, v.Status)
		}
		if !s.clock().Before(v.ClosesAt) {
			return fmt.Errorf("%w: vote %d closes at %s, which has passed", ErrState, id, v.ClosesAt.Format(time.RFC3339))
		}
		rd, err := s.takeRoll(ctx, tx, v)
		if err != nil {
			return err
		}
		if err := s.writeRoll(ctx, tx, v.ID, rd); err != nil {
			return err
		}
		now := s.clock()
		hash := rd.hash(v.ID)
		if _, err := tx.ExecContext(ctx, `UPDATE votes SET status = 'open', opened_at = $2, roll_hash = $3, updated_at = $2 WHERE id = $1`, id, now, hash); err != nil {
			return fmt.Errorf("open vote %d: %w", id, err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "vote.open", ObjectType: "vote", ObjectID: strconv.FormatInt(id, 10),
			Before: map[string]any{"status": v.Status},
			After: map[string]any{"status": StatusOpen, "households": len(rd.households), "heads": rd.roll.TotalHeads(),
				"area_dm2": rd.roll.TotalAreaDM2(), "roll_hash": hash}})
	})
	if err != nil {
		return Vote{}, err
	}
	return s.Vote(ctx, id)
}

// takeRoll reads the households of the vote's scope and their owners.
func (s *Service) takeRoll(ctx context.Context, tx *sql.Tx, v Vote) (*rollData, error) {
	cond := scopeCond(v.ScopeType)
	rows, err := tx.QueryContext(ctx, `SELECT h.id, h.code, h.building_id, h.entrance_id, h.floor, h.room,
		h.registered_area_dm2, h.surveyed_area_dm2, h.contract_area_dm2, h.developer_held
		FROM households h JOIN buildings b ON b.id = h.building_id WHERE `+cond+` ORDER BY h.id`, v.ScopeID)
	if err != nil {
		return nil, fmt.Errorf("read households of the scope: %w", err)
	}
	rd := &rollData{}
	affected := make(map[int64]bool, len(v.Affected))
	for _, a := range v.Affected {
		affected[a] = true
	}
	for rows.Next() {
		var h places.Household
		var entrance, reg, sur, con sql.NullInt64
		var r rollRow
		if err := rows.Scan(&h.ID, &r.Code, &r.BuildingID, &entrance, &r.Floor, &r.Room, &reg, &sur, &con, &r.Developer); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read households of the scope: %w", err)
		}
		h.RegisteredDM2, h.SurveyedDM2, h.ContractDM2 = reg.Int64, sur.Int64, con.Int64
		r.HouseholdID, r.EntranceID = h.ID, entrance.Int64
		r.AreaDM2, r.AreaSource = h.Area()
		r.ConsentRequired = affected[h.ID]
		rd.households = append(rd.households, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read households of the scope: %w", err)
	}
	if len(rd.households) == 0 {
		return nil, fmt.Errorf("vote %d: %w: no household in %s %d", v.ID, ErrEmptyRoll, v.ScopeType, v.ScopeID)
	}
	orows, err := tx.QueryContext(ctx, `SELECT ho.household_id, ho.owner_id, ho.is_voter
		FROM household_owners ho JOIN households h ON h.id = ho.household_id JOIN buildings b ON b.id = h.building_id
		WHERE `+cond+` ORDER BY ho.household_id, ho.owner_id`, v.ScopeID)
	if err != nil {
		return nil, fmt.Errorf("read owners of the scope: %w", err)
	}
	for orows.Next() {
		var o rollOwnerRow
		if err := orows.Scan(&o.HouseholdID, &o.OwnerID, &o.Voter); err != nil {
			orows.Close()
			return nil, fmt.Errorf("read owners of the scope: %w", err)
		}
		rd.owners = append(rd.owners, o)
	}
	orows.Close()
	if err := orows.Err(); err != nil {
		return nil, fmt.Errorf("read owners of the scope: %w", err)
	}
	if err := rd.build(); err != nil {
		return nil, err
	}
	return rd, nil
}

func (s *Service) writeRoll(ctx context.Context, tx *sql.Tx, voteID int64, rd *rollData) error {
	in := s.db.NewInserter(tx, "vote_roll", "vote_id", "household_id", "unit_no", "household_code", "building_id", "entrance_id",
		"floor", "room", "area_dm2", "area_source", "developer_held", "consent_required")
	for _, h := range rd.households {
		if err := in.Add(ctx, voteID, h.HouseholdID, h.UnitNo, h.Code, h.BuildingID, nullID(h.EntranceID), h.Floor, h.Room,
			h.AreaDM2, h.AreaSource, h.Developer, h.ConsentRequired); err != nil {
			return fmt.Errorf("write roll: %w", err)
		}
	}
	if _, err := in.Flush(ctx); err != nil {
		return fmt.Errorf("write roll: %w", err)
	}
	oin := s.db.NewInserter(tx, "vote_roll_owners", "vote_id", "household_id", "owner_id", "unit_no", "is_voter")
	for _, o := range rd.owners {
		if err := oin.Add(ctx, voteID, o.HouseholdID, o.OwnerID, o.UnitNo, o.Voter); err != nil {
			return fmt.Errorf("write roll owners: %w", err)
		}
	}
	if _, err := oin.Flush(ctx); err != nil {
		return fmt.Errorf("write roll owners: %w", err)
	}
	return nil
}

// CloseVote closes an open vote once its closing time has passed, and stores the
// result and the full tally.
func (s *Service) CloseVote(ctx context.Context, id int64) (Vote, error) {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		v, err := s.lockVote(ctx, tx, id)
		if err != nil {
			return err
		}
		if v.Status != StatusOpen {
			return fmt.Errorf("%w: vote %d is %s; only an open vote closes", ErrState, id, v.Status)
		}
		now := s.clock()
		if now.Before(v.ClosesAt) {
			return fmt.Errorf("%w: vote %d closes at %s", ErrTooEarly, id, v.ClosesAt.Format(time.RFC3339))
		}
		st, err := s.load(ctx, tx, v)
		if err != nil {
			return err
		}
		t, err := st.count()
		if err != nil {
			return err
		}
		js, err := json.Marshal(t)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE votes SET status = 'closed', closed_at = $2, result = $3, result_json = $4, updated_at = $2 WHERE id = $1`,
			id, now, t.Result, string(js)); err != nil {
			return fmt.Errorf("close vote %d: %w", id, err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "vote.close", ObjectType: "vote", ObjectID: strconv.FormatInt(id, 10),
			Before: map[string]any{"status": v.Status},
			After:  map[string]any{"status": StatusClosed, "result": t.Result, "ballots": v.BallotCount, "last_hash": v.LastHash, "tally": json.RawMessage(js)}})
	})
	if err != nil {
		return Vote{}, err
	}
	return s.Vote(ctx, id)
}

// readTx runs fn in a read-only transaction so that every query sees the same
// state of the database.
func (s *Service) readTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	var opts *sql.TxOptions
	if s.db.Dialect() == db.Postgres {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	tx, err := s.db.Read().BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}

// Tally returns the live count of an open or closed vote, recomputed from its
// roll and ballots.
func (s *Service) Tally(ctx context.Context, id int64) (Tally, error) {
	var t Tally
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		v, err := s.vote(ctx, tx, id)
		if err != nil {
			return err
		}
		if v.Status == StatusDraft {
			return fmt.Errorf("%w: vote %d is a draft and has no roll yet", ErrState, id)
		}
		st, err := s.load(ctx, tx, v)
		if err != nil {
			return err
		}
		t, err = st.count()
		return err
	})
	return t, err
}

// Results is what the results page shows for a closed vote.
type Results struct {
	Vote  Vote  `json:"vote"`
	Tally Tally `json:"tally"`
	// Elevator is set for elevator votes: consents and the linked vote.
	Elevator *ElevatorStatus `json:"elevator,omitempty"`
	// Effective is true when the vote passed and nothing else blocks it (for
	// elevator votes: every consent given, and the compound-wide vote passed when
	// common land is used).
	Effective bool `json:"effective"`
}

// Results returns the stored result of a closed vote.
func (s *Service) Results(ctx context.Context, id int64) (Results, error) {
	v, err := s.Vote(ctx, id)
	if err != nil {
		return Results{}, err
	}
	if v.Status != StatusClosed || v.Stored == nil {
		return Results{}, fmt.Errorf("%w: vote %d is %s; results come when it closes", ErrState, id, v.Status)
	}
	r := Results{Vote: v, Tally: *v.Stored, Effective: v.Result == ResultPassed}
	if v.Kind == KindElevator {
		es, err := s.Elevator(ctx, id)
		if err != nil {
			return Results{}, err
		}
		r.Elevator = &es
		r.Effective = r.Effective && len(es.Blockers) == 0
	}
	return r, nil
}
