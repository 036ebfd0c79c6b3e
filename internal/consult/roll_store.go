package consult

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"

	"github.com/gengxin/gengxin/internal/db"
)

// rollRow is one household of a stored roll.
type rollRow struct {
	HouseholdID     int64
	UnitNo          int
	Code            string
	BuildingID      int64
	EntranceID      int64
	Floor           int
	Room            string
	AreaDM2         int64
	AreaSource      string
	Developer       bool
	ConsentRequired bool
	CostShareFen    sql.NullInt64
}

// rollOwnerRow is one owner link of a stored roll.
type rollOwnerRow struct {
	HouseholdID int64
	OwnerID     int64
	UnitNo      int
	Voter       bool
}

// rollData is a stored roll: its rows (households sorted by id, owners by
// household and owner) and the heads built from them.
type rollData struct {
	households []rollRow
	owners     []rollOwnerRow
	roll       *Roll
}

func idString(id int64) string { return strconv.FormatInt(id, 10) }

// groups builds the heads from the rows.
func (rd *rollData) groups() (*Roll, error) {
	owners := make(map[int64][]RollOwner, len(rd.households))
	for _, o := range rd.owners {
		owners[o.HouseholdID] = append(owners[o.HouseholdID], RollOwner{ID: idString(o.OwnerID), Voter: o.Voter})
	}
	hh := make([]RollHousehold, len(rd.households))
	for i, h := range rd.households {
		hh[i] = RollHousehold{ID: idString(h.HouseholdID), AreaDM2: h.AreaDM2, Developer: h.Developer, Owners: owners[h.HouseholdID]}
	}
	return NewRoll(hh)
}

// build groups a freshly taken roll and numbers its rows.
func (rd *rollData) build() error {
	r, err := rd.groups()
	if err != nil {
		return err
	}
	rd.roll = r
	for i := range rd.households {
		u, _ := r.UnitOfHousehold(idString(rd.households[i].HouseholdID))
		rd.households[i].UnitNo = u.No
	}
	for i := range rd.owners {
		u, _ := r.UnitOfHousehold(idString(rd.owners[i].HouseholdID))
		rd.owners[i].UnitNo = u.No
	}
	return nil
}

// regroup builds the heads of a stored roll and lists every row whose stored
// head number differs from the recomputed one.
func (rd *rollData) regroup() ([]string, error) {
	r, err := rd.groups()
	if err != nil {
		return nil, err
	}
	rd.roll = r
	var problems []string
	for _, h := range rd.households {
		if u, _ := r.UnitOfHousehold(idString(h.HouseholdID)); u.No != h.UnitNo {
			problems = append(problems, fmt.Sprintf("roll: household %d is stored in head %d but counts in head %d", h.HouseholdID, h.UnitNo, u.No))
		}
	}
	for _, o := range rd.owners {
		if u, _ := r.UnitOfHousehold(idString(o.HouseholdID)); u.No != o.UnitNo {
			problems = append(problems, fmt.Sprintf("roll: owner %d of household %d is stored in head %d but counts in head %d", o.OwnerID, o.HouseholdID, o.UnitNo, u.No))
		}
	}
	return problems, nil
}

// fieldHash writes length-prefixed fields into a hash.
type fieldHash struct{ h hash.Hash }

func newFieldHash() fieldHash { return fieldHash{h: sha256.New()} }

func (f fieldHash) str(s string) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(s)))
	f.h.Write(n[:])
	f.h.Write([]byte(s))
}

func (f fieldHash) int(v int64) { f.str(strconv.FormatInt(v, 10)) }

func (f fieldHash) bool(b bool) { f.str(strconv.FormatBool(b)) }

func (f fieldHash) sum() string { return hex.EncodeToString(f.h.Sum(nil)) }

// hash fingerprints what the count depends on: every household with its head,
// area, developer flag and consent flag, and every owner link. Cost shares are
// display data and may be set later, so they are left out.
func (rd *rollData) hash(voteID int64) string {
	f := newFieldHash()
	f.str("gengxin vote roll v1")
	f.int(voteID)
	f.int(int64(len(rd.households)))
	for _, h := range rd.households {
		f.int(h.HouseholdID)
		f.int(int64(h.UnitNo))
		f.int(h.AreaDM2)
		f.bool(h.Developer)
		f.bool(h.ConsentRequired)
	}
	f.int(int64(len(rd.owners)))
	for _, o := range rd.owners {
		f.int(o.HouseholdID)
		f.int(o.OwnerID)
		f.int(int64(o.UnitNo))
		f.bool(o.Voter)
	}
	return f.sum()
}

// loadRoll reads a stored roll in the order it was written.
func loadRoll(ctx context.Context, q db.Querier, voteID int64) (*rollData, error) {
	rows, err := q.QueryContext(ctx, `SELECT household_id, unit_no, household_code, building_id, entrance_id, floor, room,
		area_dm2, area_source, developer_held, consent_required, cost_share_fen
		FROM vote_roll WHERE vote_id = $1 ORDER BY household_id`, voteID)
	if err != nil {
		return nil, fmt.Errorf("read roll of vote %d: %w", voteID, err)
	}
	rd := &rollData{}
	for rows.Next() {
		var r rollRow
		var entrance sql.NullInt64
		if err := rows.Scan(&r.HouseholdID, &r.UnitNo, &r.Code, &r.BuildingID, &entrance, &r.Floor, &r.Room,
			&r.AreaDM2, &r.AreaSource, &r.Developer, &r.ConsentRequired, &r.CostShareFen); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read roll of vote %d: %w", voteID, err)
		}
		r.EntranceID = entrance.Int64
		rd.households = append(rd.households, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read roll of vote %d: %w", voteID, err)
	}
	orows, err := q.QueryContext(ctx, `SELECT household_id, owner_id, unit_no, is_voter FROM vote_roll_owners
		WHERE vote_id = $1 ORDER BY household_id, owner_id`, voteID)
	if err != nil {
		return nil, fmt.Errorf("read roll owners of vote %d: %w", voteID, err)
	}
	defer orows.Close()
	for orows.Next() {
		var o rollOwnerRow
		if err := orows.Scan(&o.HouseholdID, &o.OwnerID, &o.UnitNo, &o.Voter); err != nil {
			return nil, fmt.Errorf("read roll owners of vote %d: %w", voteID, err)
		}
		rd.owners = append(rd.owners, o)
	}
	if err := orows.Err(); err != nil {
		return nil, fmt.Errorf("read roll owners of vote %d: %w", voteID, err)
	}
	return rd, nil
}

// RollEntry is one household of a vote's roll as the roll page and the ballot
// page show it.
type RollEntry struct {
	UnitNo          int     `json:"unit_no"`
	HouseholdID     int64   `json:"household_id"`
	HouseholdCode   string  `json:"household_code"`
	BuildingID      int64   `json:"building_id"`
	EntranceID      int64   `json:"entrance_id,omitempty"`
	Floor           int     `json:"floor"`
	Room            string  `json:"room"`
	AreaDM2         int64   `json:"area_dm2"`
	AreaSource      string  `json:"area_source"` // registered, surveyed, contract or "" (unknown)
	DeveloperHeld   bool    `json:"developer_held"`
	ConsentRequired bool    `json:"consent_required"`
	CostShareFen    *int64  `json:"cost_share_fen,omitempty"`
	OwnerIDs        []int64 `json:"owner_ids"`
	VoterIDs        []int64 `json:"voter_ids"` // designated voters among OwnerIDs
}

func (rd *rollData) entries() []RollEntry {
	out := make([]RollEntry, len(rd.households))
	at := make(map[int64]int, len(rd.households))
	for i, h := range rd.households {
		e := RollEntry{UnitNo: h.UnitNo, HouseholdID: h.HouseholdID, HouseholdCode: h.Code, BuildingID: h.BuildingID, EntranceID: h.EntranceID,
			Floor: h.Floor, Room: h.Room, AreaDM2: h.AreaDM2, AreaSource: h.AreaSource, DeveloperHeld: h.Developer, ConsentRequired: h.ConsentRequired,
			OwnerIDs: []int64{}, VoterIDs: []int64{}}
		if h.CostShareFen.Valid {
			v := h.CostShareFen.Int64
			e.CostShareFen = &v
		}
		out[i] = e
		at[h.HouseholdID] = i
	}
	for _, o := range rd.owners {
		if i, ok := at[o.HouseholdID]; ok {
			out[i].OwnerIDs = append(out[i].OwnerIDs, o.OwnerID)
			if o.Voter {
				out[i].VoterIDs = append(out[i].VoterIDs, o.OwnerID)
			}
		}
	}
	return out
}

// Roll returns the roll of an open or closed vote, one entry per household in
// household order; entries with the same UnitNo form one head.
func (s *Service) Roll(ctx context.Context, voteID int64) ([]RollEntry, error) {
	v, err := s.Vote(ctx, voteID)
	if err != nil {
		return nil, err
	}
	if v.Status == StatusDraft {
		return nil, fmt.Errorf("%w: vote %d is a draft and has no roll yet", ErrState, voteID)
	}
	rd, err := loadRoll(ctx, s.db.Read(), voteID)
	if err != nil {
		return nil, err
	}
	return rd.entries(), nil
}
