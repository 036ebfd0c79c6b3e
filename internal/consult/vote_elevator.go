package consult

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gengxin/gengxin/internal/audit"
)

// Consent is the individual consent of a household whose exclusive part an
// elevator's works affect (the newest record counts; earlier ones are kept).
type Consent struct {
	HouseholdID   int64     `json:"household_id"`
	HouseholdCode string    `json:"household_code"`
	Recorded      bool      `json:"recorded"` // false while nothing is recorded
	Consent       bool      `json:"consent"`
	AttachmentID  int64     `json:"attachment_id,omitempty"`
	Note          string    `json:"note,omitempty"`
	RecordedBy    string    `json:"recorded_by,omitempty"`
	RecordedAt    time.Time `json:"recorded_at,omitzero"`
}

// ElevatorStatus gathers what an elevator retrofit needs besides its own vote.
type ElevatorStatus struct {
	VoteID   int64     `json:"vote_id"`
	Consents []Consent `json:"consents"` // one per affected household
	// UsesCommonLand: the works use compound-wide common land, so a compound-wide
	// vote (CompoundVoteID) must pass as well.
	UsesCommonLand     bool   `json:"uses_common_land"`
	CompoundVoteID     int64  `json:"compound_vote_id,omitempty"`
	CompoundVoteStatus string `json:"compound_vote_status,omitempty"`
	CompoundVoteResult string `json:"compound_vote_result,omitempty"`
	// Blockers lists, in words, what still stands in the way besides the vote.
	Blockers []string `json:"blockers"`
}

// RecordConsent records the written consent (or refusal) of an affected
// household of an elevator vote; attachmentID is the signed statement.
func (s *Service) RecordConsent(ctx context.Context, voteID, householdID int64, consent bool, attachmentID int64, note string) error {
	note = strings.TrimSpace(note)
	if attachmentID == 0 {
		return fmt.Errorf("consent of household %d: %w", householdID, ErrAttachmentRequired)
	}
	if utf8.RuneCountInString(note) > 500 {
		return fmt.Errorf("%w: the note is longer than 500 characters", ErrInvalid)
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		v, err := s.lockVote(ctx, tx, voteID)
		if err != nil {
			return err
		}
		if v.Kind != KindElevator {
			return fmt.Errorf("%w: vote %d is not an elevator vote", ErrInvalid, voteID)
		}
		if v.Status == StatusDraft {
			return fmt.Errorf("%w: vote %d is a draft; consents are recorded once it opens", ErrState, voteID)
		}
		var required bool
		err = tx.QueryRowContext(ctx, `SELECT consent_required FROM vote_roll WHERE vote_id = $1 AND household_id = $2`, voteID, householdID).Scan(&required)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("household %d, vote %d: %w", householdID, voteID, ErrNotOnRoll)
		}
		if err != nil {
			return fmt.Errorf("read roll: %w", err)
		}
		if !required {
			return fmt.Errorf("%w: household %d is not among the households the works affect", ErrInvalid, householdID)
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM attachments WHERE id = $1`, attachmentID).Scan(&n); err != nil {
			return fmt.Errorf("read attachment: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("attachment %d: %w", attachmentID, ErrNotFound)
		}
		a := audit.ActorFrom(ctx)
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO vote_consents (vote_id, household_id, consent, attachment_id, note, recorded_by, recorded_by_id, recorded_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, voteID, householdID, consent, attachmentID, note, a.Name, actorID(a), s.clock()).Scan(&id); err != nil {
			return fmt.Errorf("record consent: %w", err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "vote.consent", ObjectType: "vote", ObjectID: strconv.FormatInt(voteID, 10),
			After: map[string]any{"consent_id": id, "household_id": householdID, "consent": consent, "attachment_id": attachmentID}})
	})
}

// LinkCompoundVote records that an elevator vote's works use compound-wide common
// land and names the compound-wide vote that decides it.
func (s *Service) LinkCompoundVote(ctx context.Context, voteID, compoundVoteID int64) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		v, err := s.lockVote(ctx, tx, voteID)
		if err != nil {
			return err
		}
		if v.Kind != KindElevator {
			return fmt.Errorf("%w: vote %d is not an elevator vote", ErrInvalid, voteID)
		}
		if err := s.checkLinkable(ctx, tx, v.CompoundID, compoundVoteID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE votes SET uses_common_land = TRUE, requires_vote_id = $2 WHERE id = $1`, voteID, compoundVoteID); err != nil {
			return fmt.Errorf("link vote: %w", err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "vote.link", ObjectType: "vote", ObjectID: strconv.FormatInt(voteID, 10),
			Before: map[string]any{"uses_common_land": v.UsesCommonLand, "requires_vote_id": v.RequiresVoteID},
			After:  map[string]any{"uses_common_land": true, "requires_vote_id": compoundVoteID}})
	})
}

// SetCostShares stores each household's share of the works' cost, in fen, on the
// roll of an open vote so the ballot page can show it. Shares come from the
// project; they do not enter the count.
func (s *Service) SetCostShares(ctx context.Context, voteID int64, shares map[int64]int64) error {
	ids := make([]int64, 0, len(shares))
	for id, fen := range shares {
		if fen < 0 {
			return fmt.Errorf("%w: negative cost share for household %d", ErrInvalid, id)
		}
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		v, err := s.lockVote(ctx, tx, voteID)
		if err != nil {
			return err
		}
		if v.Status != StatusOpen {
			return fmt.Errorf("%w: vote %d is %s; cost shares are set while it is open", ErrState, voteID, v.Status)
		}
		for _, id := range ids {
			res, err := tx.ExecContext(ctx, `UPDATE vote_roll SET cost_share_fen = $3 WHERE vote_id = $1 AND household_id = $2`, voteID, id, shares[id])
			if err != nil {
				return fmt.Errorf("set cost share: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fmt.Errorf("household %d, vote %d: %w", id, voteID, ErrNotOnRoll)
			}
		}
		after := make(map[string]int64, len(shares))
		for id, fen := range shares {
			after[strconv.FormatInt(id, 10)] = fen
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "vote.cost_shares", ObjectType: "vote", ObjectID: strconv.FormatInt(voteID, 10), After: after})
	})
}

// Elevator returns the consents and the linked compound-wide vote of an
// elevator vote, with what still blocks the works.
func (s *Service) Elevator(ctx context.Context, voteID int64) (ElevatorStatus, error) {
	var es ElevatorStatus
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		v, err := s.vote(ctx, tx, voteID)
		if err != nil {
			return err
		}
		if v.Kind != KindElevator {
			return fmt.Errorf("%w: vote %d is not an elevator vote", ErrInvalid, voteID)
		}
		es = ElevatorStatus{VoteID: voteID, UsesCommonLand: v.UsesCommonLand, CompoundVoteID: v.RequiresVoteID, Consents: []Consent{}, Blockers: []string{}}
		if v.Status == StatusDraft {
			for _, h := range v.Affected {
				es.Consents = append(es.Consents, Consent{HouseholdID: h})
			}
		} else {
			rows, err := tx.QueryContext(ctx, `SELECT household_id, household_code FROM vote_roll WHERE vote_id = $1 AND consent_required ORDER BY household_id`, voteID)
			if err != nil {
				return fmt.Errorf("read affected households: %w", err)
			}
			for rows.Next() {
				var c Consent
				if err := rows.Scan(&c.HouseholdID, &c.HouseholdCode); err != nil {
					rows.Close()
					return fmt.Errorf("read affected households: %w", err)
				}
				es.Consents = append(es.Consents, c)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("read affected households: %w", err)
			}
			for i := range es.Consents {
				c := &es.Consents[i]
				var att sql.NullInt64
				err := tx.QueryRowContext(ctx, `SELECT consent, attachment_id, note, recorded_by, recorded_at FROM vote_consents
					WHERE vote_id = $1 AND household_id = $2 ORDER BY id DESC LIMIT 1`, voteID, c.HouseholdID).Scan(&c.Consent, &att, &c.Note, &c.RecordedBy, &c.RecordedAt)
				if errors.Is(err, sql.ErrNoRows) {
					continue
				}
				if err != nil {
					return fmt.Errorf("read consents: %w", err)
				}
				c.Recorded, c.AttachmentID, c.RecordedAt = true, att.Int64, c.RecordedAt.UTC()
			}
		}
		for _, c := range es.Consents {
			name := c.HouseholdCode
			if name == "" {
				name = strconv.FormatInt(c.HouseholdID, 10)
			}
			switch {
			case !c.Recorded:
				es.Blockers = append(es.Blockers, fmt.Sprintf("household %s, whose exclusive part the works affect, has not given its written consent", name))
			case !c.Consent:
				es.Blockers = append(es.Blockers, fmt.Sprintf("household %s, whose exclusive part the works affect, refused its consent", name))
			}
		}
		if v.UsesCommonLand {
			if v.RequiresVoteID == 0 {
				es.Blockers = append(es.Blockers, "the works use compound-wide common land, so a compound-wide vote is required, and none is linked")
			} else {
				cv, err := s.vote(ctx, tx, v.RequiresVoteID)
				if err != nil {
					return err
				}
				es.CompoundVoteStatus, es.CompoundVoteResult = cv.Status, cv.Result
				switch {
				case cv.Status != StatusClosed:
					es.Blockers = append(es.Blockers, fmt.Sprintf("the compound-wide vote %d on the use of common land is %s", cv.ID, cv.Status))
				case cv.Result != ResultPassed:
					es.Blockers = append(es.Blockers, fmt.Sprintf("the compound-wide vote %d on the use of common land did not pass (%s)", cv.ID, cv.Result))
				}
			}
		}
		return nil
	})
	return es, err
}
