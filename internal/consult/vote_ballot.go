package consult

import (
	"context"
	"database/sql"
	"encoding/base32"
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
)

// BallotInput is one ballot to cast.
type BallotInput struct {
	VoteID  int64
	OwnerID int64
	Choice  Choice
	// Channel is online (by the owner; the default — the caller must have checked
	// that the signed-in resident is this owner), paper (entered by a worker,
	// AttachmentID holds the scan) or proxy (AttachmentID holds the authorisation).
	Channel      string
	AttachmentID int64
	Note         string // e.g. the proxy's name; at most 500 characters
}

// BallotRecord is one stored ballot. Ballots are never changed: a new ballot of
// the same head replaces the old one in the count, and both stay.
type BallotRecord struct {
	VoteID           int64     `json:"vote_id"`
	Seq              int64     `json:"seq"`
	UnitNo           int       `json:"unit_no"`
	OwnerID          int64     `json:"owner_id"`
	Choice           Choice    `json:"choice"`
	Channel          string    `json:"channel"`
	EnteredBy        string    `json:"entered_by"`
	EnteredByID      int64     `json:"entered_by_id,omitempty"`
	AttachmentID     int64     `json:"attachment_id,omitempty"`
	AttachmentSHA256 string    `json:"attachment_sha256,omitempty"`
	Note             string    `json:"note,omitempty"`
	CastAt           time.Time `json:"cast_at"`
	Receipt          string    `json:"-"` // known only to whoever cast it
	PrevHash         string    `json:"prev_hash"`
	Hash             string    `json:"hash"`
}

// ComputeHash returns the ballot's hash over the previous hash and every field.
func (b BallotRecord) ComputeHash() string {
	f := newFieldHash()
	f.str("gengxin ballot v1")
	f.str(b.PrevHash)
	f.int(b.VoteID)
	f.int(b.Seq)
	f.int(int64(b.UnitNo))
	f.int(b.OwnerID)
	f.str(string(b.Choice))
	f.str(b.Channel)
	f.str(b.EnteredBy)
	f.int(b.EnteredByID)
	f.int(b.AttachmentID)
	f.str(b.AttachmentSHA256)
	f.str(b.Note)
	f.str(b.CastAt.UTC().Format(time.RFC3339Nano))
	f.str(b.Receipt)
	return f.sum()
}

// Receipt is what the owner keeps after casting: the code lets them check later
// which choice was counted for them.
type Receipt struct {
	VoteID  int64     `json:"vote_id"`
	Seq     int64     `json:"seq"`
	Code    string    `json:"code"`
	UnitNo  int       `json:"unit_no"`
	OwnerID int64     `json:"owner_id"`
	Choice  Choice    `json:"choice"`
	Channel string    `json:"channel"`
	CastAt  time.Time `json:"cast_at"`
	Hash    string    `json:"hash"`
}

var receiptEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newReceipt returns a random code of 80 bits as four groups, "ABCD-EFGH-…".
func newReceipt(r io.Reader) (string, error) {
	var b [10]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("receipt code: %w", err)
	}
	s := receiptEncoding.EncodeToString(b[:])
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16], nil
}

// normReceipt accepts a receipt typed in lower case, with spaces or without dashes.
func normReceipt(code string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(code) {
		if (r >= 'A' && r <= 'Z') || (r >= '2' && r <= '7') {
			b.WriteRune(r)
		}
	}
	s := b.String()
	if len(s) != 16 {
		return s
	}
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}

const ballotCols = `vote_id, seq, unit_no, owner_id, choice, channel, entered_by, entered_by_id, attachment_id, attachment_sha256, note, cast_at, receipt, prev_hash, hash`

func scanBallot(sc scanner) (BallotRecord, error) {
	var b BallotRecord
	var by, att sql.NullInt64
	if err := sc.Scan(&b.VoteID, &b.Seq, &b.UnitNo, &b.OwnerID, &b.Choice, &b.Channel, &b.EnteredBy, &by, &att, &b.AttachmentSHA256,
		&b.Note, &b.CastAt, &b.Receipt, &b.PrevHash, &b.Hash); err != nil {
		return b, err
	}
	b.EnteredByID, b.AttachmentID, b.CastAt = by.Int64, att.Int64, b.CastAt.UTC()
	return b, nil
}

func loadBallots(ctx context.Context, q db.Querier, voteID int64, where string, args ...any) ([]BallotRecord, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+ballotCols+` FROM ballots WHERE vote_id = $1`+where+` ORDER BY seq`, append([]any{voteID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("read ballots of vote %d: %w", voteID, err)
	}
	defer rows.Close()
	var out []BallotRecord
	for rows.Next() {
		b, err := scanBallot(rows)
		if err != nil {
			return nil, fmt.Errorf("read ballots of vote %d: %w", voteID, err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read ballots of vote %d: %w", voteID, err)
	}
	return out, nil
}

// CastBallot appends a ballot to the vote's chain and returns the receipt. The
// vote must be open and within its voting period, and the owner on its roll. The
// ballot replaces any earlier ballot of the owner's head (a joint household or
// several households of one owner count once). The actor in ctx is recorded as
// the person who entered it.
func (s *Service) CastBallot(ctx context.Context, in BallotInput) (Receipt, error) {
	if in.Channel == "" {
		in.Channel = ChannelOnline
	}
	in.Note = strings.TrimSpace(in.Note)
	switch {
	case !in.Choice.Valid():
		return Receipt{}, fmt.Errorf("%w: %w, not %q", ErrInvalid, ErrBadChoice, in.Choice)
	case in.Channel != ChannelOnline && in.Channel != ChannelPaper && in.Channel != ChannelProxy:
		return Receipt{}, fmt.Errorf("%w: channel %q is not online, paper or proxy", ErrInvalid, in.Channel)
	case in.Channel != ChannelOnline && in.AttachmentID == 0:
		return Receipt{}, fmt.Errorf("%s ballot: %w", in.Channel, ErrAttachmentRequired)
	case utf8.RuneCountInString(in.Note) > 500:
		return Receipt{}, fmt.Errorf("%w: the note is longer than 500 characters", ErrInvalid)
	}
	code, err := newReceipt(s.rand)
	if err != nil {
		return Receipt{}, err
	}
	var rec Receipt
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		// Taking the vote row first serialises the ballots of one vote, so the
		// chain never forks and two ballots never share a sequence number.
		var b BallotRecord
		var status, rulesJSON string
		var opens, closes time.Time
		err := tx.QueryRowContext(ctx, `UPDATE votes SET ballot_seq = ballot_seq + 1 WHERE id = $1
			RETURNING status, opens_at, closes_at, ballot_seq, last_hash, rules_json`, in.VoteID).Scan(&status, &opens, &closes, &b.Seq, &b.PrevHash, &rulesJSON)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("vote %d: %w", in.VoteID, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("lock vote %d: %w", in.VoteID, err)
		}
		now := s.clock()
		switch {
		case status == StatusDraft || now.Before(opens):
			return fmt.Errorf("vote %d: %w (opens %s)", in.VoteID, ErrNotYetOpen, opens.UTC().Format(time.RFC3339))
		case status == StatusClosed || !now.Before(closes):
			return fmt.Errorf("vote %d: %w (closed %s)", in.VoteID, ErrVotingClosed, closes.UTC().Format(time.RFC3339))
		}
		unit, voter, err := ownerOnRoll(ctx, tx, in.VoteID, in.OwnerID)
		if err != nil {
			return err
		}
		var rules RuleSet
		if err := json.Unmarshal([]byte(rulesJSON), &rules); err != nil {
			return fmt.Errorf("vote %d: stored rule set: %w", in.VoteID, err)
		}
		if !voter && rules.JointVoter == JointVoterDesignated {
			return fmt.Errorf("owner %d: %w", in.OwnerID, ErrNotVoter)
		}
		if in.AttachmentID != 0 {
			if err := tx.QueryRowContext(ctx, `SELECT sha256 FROM attachments WHERE id = $1`, in.AttachmentID).Scan(&b.AttachmentSHA256); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return fmt.Errorf("attachment %d: %w", in.AttachmentID, ErrNotFound)
				}
				return fmt.Errorf("read attachment %d: %w", in.AttachmentID, err)
			}
		}
		a := audit.ActorFrom(ctx)
		b.VoteID, b.UnitNo, b.OwnerID, b.Choice, b.Channel = in.VoteID, unit, in.OwnerID, in.Choice, in.Channel
		b.EnteredBy, b.EnteredByID, b.AttachmentID, b.Note, b.CastAt, b.Receipt = a.Name, a.ID, in.AttachmentID, in.Note, now, code
		b.Hash = b.ComputeHash()
		if _, err := tx.ExecContext(ctx, `INSERT INTO ballots (`+ballotCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			b.VoteID, b.Seq, b.UnitNo, b.OwnerID, string(b.Choice), b.Channel, b.EnteredBy, nullID(b.EnteredByID), nullID(b.AttachmentID),
			b.AttachmentSHA256, b.Note, b.CastAt, b.Receipt, b.PrevHash, b.Hash); err != nil {
			return fmt.Errorf("insert ballot: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE votes SET last_hash = $2, updated_at = $3 WHERE id = $1`, in.VoteID, b.Hash, now); err != nil {
			return fmt.Errorf("advance ballot chain: %w", err)
		}
		rec = Receipt{VoteID: b.VoteID, Seq: b.Seq, Code: code, UnitNo: b.UnitNo, OwnerID: b.OwnerID, Choice: b.Choice, Channel: b.Channel, CastAt: b.CastAt, Hash: b.Hash}
		return s.log.Record(ctx, tx, audit.Change{Action: "ballot.cast", ObjectType: "vote", ObjectID: strconv.FormatInt(in.VoteID, 10),
			After: map[string]any{"seq": b.Seq, "unit_no": b.UnitNo, "owner_id": b.OwnerID, "choice": b.Choice, "channel": b.Channel,
				"attachment_id": b.AttachmentID, "hash": b.Hash}})
	})
	if err != nil {
		return Receipt{}, err
	}
	return rec, nil
}

// ownerOnRoll returns the head of an owner on a vote's roll and whether they are
// a designated voter.
func ownerOnRoll(ctx context.Context, q db.Querier, voteID, ownerID int64) (int, bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT unit_no, is_voter FROM vote_roll_owners WHERE vote_id = $1 AND owner_id = $2`, voteID, ownerID)
	if err != nil {
		return 0, false, fmt.Errorf("read roll: %w", err)
	}
	defer rows.Close()
	unit, voter, found := 0, false, false
	for rows.Next() {
		var u int
		var v bool
		if err := rows.Scan(&u, &v); err != nil {
			return 0, false, fmt.Errorf("read roll: %w", err)
		}
		unit, voter, found = u, voter || v, true
	}
	if err := rows.Err(); err != nil {
		return 0, false, fmt.Errorf("read roll: %w", err)
	}
	if !found {
		return 0, false, fmt.Errorf("owner %d, vote %d: %w", ownerID, voteID, ErrNotOnRoll)
	}
	return unit, voter, nil
}

// voteState is a vote with its roll and every ballot, read in one transaction.
type voteState struct {
	vote    Vote
	rd      *rollData
	ballots []BallotRecord
}

func (s *Service) load(ctx context.Context, q db.Querier, v Vote) (*voteState, error) {
	rd, err := loadRoll(ctx, q, v.ID)
	if err != nil {
		return nil, err
	}
	if _, err := rd.regroup(); err != nil {
		return nil, fmt.Errorf("roll of vote %d: %w", v.ID, err)
	}
	bs, err := loadBallots(ctx, q, v.ID, "")
	if err != nil {
		return nil, err
	}
	return &voteState{vote: v, rd: rd, ballots: bs}, nil
}

func (st *voteState) counter() (*Counter, error) {
	return NewCounter(st.rd.roll, st.vote.Rules, st.vote.Matter)
}

func (st *voteState) count() (Tally, error) {
	c, err := st.counter()
	if err != nil {
		return Tally{}, err
	}
	for _, b := range st.ballots {
		if _, err := c.Cast(idString(b.OwnerID), b.Choice); err != nil {
			return Tally{}, fmt.Errorf("vote %d, ballot %d: %w", st.vote.ID, b.Seq, err)
		}
	}
	return c.Tally(), nil
}

// ReceiptCheck tells an owner what became of the ballot a receipt belongs to.
type ReceiptCheck struct {
	VoteID     int64     `json:"vote_id"`
	VoteStatus string    `json:"vote_status"`
	Seq        int64     `json:"seq"`
	UnitNo     int       `json:"unit_no"`
	OwnerID    int64     `json:"owner_id"`
	Choice     Choice    `json:"choice"` // on this ballot
	Channel    string    `json:"channel"`
	CastAt     time.Time `json:"cast_at"`
	// HashOK is true when the stored ballot still matches its hash.
	HashOK bool `json:"hash_ok"`
	// Latest is true when this ballot is the newest of its head, so it is the one
	// counted; otherwise Counted* describe the newer ballot that counts.
	Latest         bool      `json:"latest"`
	Counted        Choice    `json:"counted"`
	CountedSeq     int64     `json:"counted_seq"`
	CountedOwnerID int64     `json:"counted_owner_id"`
	CountedAt      time.Time `json:"counted_at"`
}

// VerifyReceipt finds the ballot of a receipt code in a vote and tells which
// choice is counted for the owner's head and whether it is this ballot.
func (s *Service) VerifyReceipt(ctx context.Context, voteID int64, code string) (ReceiptCheck, error) {
	var rc ReceiptCheck
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		v, err := s.vote(ctx, tx, voteID)
		if err != nil {
			return err
		}
		b, err := scanBallot(tx.QueryRowContext(ctx, `SELECT `+ballotCols+` FROM ballots WHERE vote_id = $1 AND receipt = $2`, voteID, normReceipt(code)))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("receipt for vote %d: %w", voteID, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("read ballot: %w", err)
		}
		last, err := scanBallot(tx.QueryRowContext(ctx, `SELECT `+ballotCols+` FROM ballots WHERE vote_id = $1 AND unit_no = $2 ORDER BY seq DESC LIMIT 1`, voteID, b.UnitNo))
		if err != nil {
			return fmt.Errorf("read latest ballot: %w", err)
		}
		rc = ReceiptCheck{VoteID: voteID, VoteStatus: v.Status, Seq: b.Seq, UnitNo: b.UnitNo, OwnerID: b.OwnerID, Choice: b.Choice,
			Channel: b.Channel, CastAt: b.CastAt, HashOK: b.ComputeHash() == b.Hash, Latest: last.Seq == b.Seq,
			Counted: last.Choice, CountedSeq: last.Seq, CountedOwnerID: last.OwnerID, CountedAt: last.CastAt}
		return nil
	})
	return rc, err
}

// OwnerView is what an owner's ballot page shows.
type OwnerView struct {
	Vote       Vote        `json:"vote"`
	OwnerID    int64       `json:"owner_id"`
	UnitNo     int         `json:"unit_no"`
	Households []RollEntry `json:"households"` // of the owner's head, with cost shares
	AreaDM2    int64       `json:"area_dm2"`
	IsVoter    bool        `json:"is_voter"`
	// CanCast is true when a ballot by this owner would be accepted now.
	CanCast bool `json:"can_cast"`
	// Counted is the head's ballot that counts now (nil before any ballot).
	Counted *BallotRecord `json:"counted,omitempty"`
	// History lists every ballot of the head, oldest first.
	History []BallotRecord `json:"history"`
}

// OwnerBallot returns an owner's view of a vote: their head, its households and
// cost shares, and the head's ballots.
func (s *Service) OwnerBallot(ctx context.Context, voteID, ownerID int64) (OwnerView, error) {
	var ov OwnerView
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		v, err := s.vote(ctx, tx, voteID)
		if err != nil {
			return err
		}
		if v.Status == StatusDraft {
			return fmt.Errorf("%w: vote %d is a draft and has no roll yet", ErrState, voteID)
		}
		unit, voter, err := ownerOnRoll(ctx, tx, voteID, ownerID)
		if err != nil {
			return err
		}
		rd, err := loadRoll(ctx, tx, voteID)
		if err != nil {
			return err
		}
		ov = OwnerView{Vote: v, OwnerID: ownerID, UnitNo: unit, IsVoter: voter, History: []BallotRecord{}}
		for _, e := range rd.entries() {
			if e.UnitNo == unit {
				ov.Households = append(ov.Households, e)
				ov.AreaDM2 += e.AreaDM2
			}
		}
		ov.CanCast = v.AcceptsBallots(s.clock()) && (voter || v.Rules.JointVoter != JointVoterDesignated)
		bs, err := loadBallots(ctx, tx, voteID, " AND unit_no = $2", unit)
		if err != nil {
			return err
		}
		for i := range bs {
			bs[i].Receipt = ""
		}
		ov.History = append(ov.History, bs...)
		if len(bs) > 0 {
			last := bs[len(bs)-1]
			ov.Counted = &last
		}
		return nil
	})
	return ov, err
}

// Verification is the outcome of Verify.
type Verification struct {
	VoteID  int64  `json:"vote_id"`
	Status  string `json:"status"`
	Ballots int    `json:"ballots"`
	Heads   int64  `json:"heads"`
	OK      bool   `json:"ok"`
	// Problems lists every discrepancy found, the first one first.
	Problems []string `json:"problems"`
	// Recount is the tally recomputed from the roll and the ballots.
	Recount *Tally `json:"recount,omitempty"`
	// Stored is the result stored when the vote closed.
	Stored *Tally `json:"stored,omitempty"`
}

// Verify recomputes a vote from its roll and ballots: it checks the roll against
// its fingerprint, the ballot chain (sequence, links and hashes, and the head
// kept on the vote), that every ballot comes from the roll, and, for a closed
// vote, that the recount equals the stored result.
func (s *Service) Verify(ctx context.Context, voteID int64) (Verification, error) {
	var ver Verification
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		v, err := s.vote(ctx, tx, voteID)
		if err != nil {
			return err
		}
		ver = Verification{VoteID: voteID, Status: v.Status, Problems: []string{}, Stored: v.Stored}
		problem := func(format string, args ...any) { ver.Problems = append(ver.Problems, fmt.Sprintf(format, args...)) }
		if v.Status == StatusDraft {
			if v.BallotCount != 0 {
				problem("a draft vote records %d ballots", v.BallotCount)
			}
			return nil
		}
		rd, err := loadRoll(ctx, tx, voteID)
		if err != nil {
			return err
		}
		if h := rd.hash(voteID); h != v.RollHash {
			problem("roll: its content does not match the fingerprint taken when the vote opened (altered)")
		}
		regroup, err := rd.regroup()
		if err != nil {
			problem("roll: %v", err)
			return nil
		}
		ver.Problems = append(ver.Problems, regroup...)
		ver.Heads = rd.roll.TotalHeads()
		bs, err := loadBallots(ctx, tx, voteID, "")
		if err != nil {
			return err
		}
		ver.Ballots = len(bs)
		c, err := NewCounter(rd.roll, v.Rules, v.Matter)
		if err != nil {
			problem("cannot count: %v", err)
			return nil
		}
		prev, want := "", int64(1)
		for _, b := range bs {
			switch {
			case b.Seq != want:
				problem("ballot %d is missing (next present is %d)", want, b.Seq)
			case b.PrevHash != prev:
				problem("ballot %d: its link to the previous ballot does not match", b.Seq)
			case b.ComputeHash() != b.Hash:
				problem("ballot %d: its content does not match its hash (altered)", b.Seq)
			}
			unit, err := c.Cast(idString(b.OwnerID), b.Choice)
			if err != nil {
				problem("ballot %d: %v", b.Seq, err)
			} else if unit != b.UnitNo {
				problem("ballot %d: stored for head %d but owner %d belongs to head %d", b.Seq, b.UnitNo, b.OwnerID, unit)
			}
			prev, want = b.Hash, b.Seq+1
		}
		if v.BallotCount != want-1 || v.LastHash != prev {
			problem("ballot chain: the vote records %d ballots ending in %.12s…, the table holds %d ending in %.12s… (ballots removed or added)",
				v.BallotCount, v.LastHash, want-1, prev)
		}
		t := c.Tally()
		ver.Recount = &t
		if v.Status == StatusClosed {
			if v.Stored == nil {
				problem("the closed vote has no stored result")
			} else {
				ver.Problems = append(ver.Problems, compareTallies(*v.Stored, t)...)
				if v.Result != v.Stored.Result {
					problem("result: the vote says %s, its stored tally says %s", v.Result, v.Stored.Result)
				}
			}
		}
		return nil
	})
	ver.OK = err == nil && len(ver.Problems) == 0
	return ver, err
}

// compareTallies lists the fields where a stored tally and a recount differ.
func compareTallies(stored, re Tally) []string {
	var out []string
	if stored.Result != re.Result {
		out = append(out, fmt.Sprintf("result: stored %s, recount %s", stored.Result, re.Result))
	}
	if stored.Matter != re.Matter || stored.Rules != re.Rules {
		out = append(out, fmt.Sprintf("rules: stored matter %d under %s, recount matter %d under %s", stored.Matter, stored.Rules, re.Matter, re.Rules))
	}
	fields := []struct {
		name string
		a, b int64
	}{
		{"total_area_dm2", stored.TotalAreaDM2, re.TotalAreaDM2}, {"total_heads", stored.TotalHeads, re.TotalHeads},
		{"voted_area_dm2", stored.VotedAreaDM2, re.VotedAreaDM2}, {"voted_heads", stored.VotedHeads, re.VotedHeads},
		{"agree_area_dm2", stored.AgreeAreaDM2, re.AgreeAreaDM2}, {"agree_heads", stored.AgreeHeads, re.AgreeHeads},
		{"disagree_area_dm2", stored.DisagreeAreaDM2, re.DisagreeAreaDM2}, {"disagree_heads", stored.DisagreeHeads, re.DisagreeHeads},
		{"abstain_area_dm2", stored.AbstainAreaDM2, re.AbstainAreaDM2}, {"abstain_heads", stored.AbstainHeads, re.AbstainHeads},
	}
	for _, f := range fields {
		if f.a != f.b {
			out = append(out, fmt.Sprintf("%s: stored %d, recount %d", f.name, f.a, f.b))
		}
	}
	return out
}
