package consult

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/db"
)

// checkResponseInput checks the channel, the respondent and the confirmation
// of a response; the answers are checked against the round later.
func checkResponseInput(in ResponseInput, now time.Time) (ResponseInput, []Problem) {
	var p problems
	in.RespondentName, in.Note = strings.TrimSpace(in.RespondentName), strings.TrimSpace(in.Note)
	switch in.Relation {
	case RelationOwner, RelationTenant, RelationFamily:
	case "":
		p.add("", "relation", "say who answered: owner, tenant or family")
	default:
		p.add("", "relation", "relation %q is not owner, tenant or family", in.Relation)
	}
	if utf8.RuneCountInString(in.RespondentName) > 100 {
		p.add("", "respondent_name", "the name is longer than 100 characters")
	}
	if utf8.RuneCountInString(in.Note) > MaxTextRunes {
		p.add("", "note", "the note is longer than %d characters", MaxTextRunes)
	}
	if in.AttachmentID < 0 {
		p.add("", "attachment", "attachment id %d", in.AttachmentID)
	}
	needName := func() {
		if in.RespondentName == "" {
			p.add("", "respondent_name", "the respondent's name is required for a response entered by a community worker")
		}
	}
	switch in.Channel {
	case ResponseOnline:
		if in.Confirmation != "" || !in.ConfirmedAt.IsZero() {
			p.add("", "confirmation", "an online response needs no confirmation")
		}
	case ResponseDoor:
		needName()
		switch in.Confirmation {
		case ConfirmSignature:
			if in.AttachmentID == 0 {
				p.add("", "attachment", "a door-to-door response needs the scan of the respondent's signature")
			}
		case "":
			p.add("", "confirmation", "a door-to-door response needs the respondent's signature")
		default:
			p.add("", "confirmation", "a door-to-door response is confirmed by signature, not %q", in.Confirmation)
		}
	case ResponsePhone:
		needName()
		switch in.Confirmation {
		case ConfirmSignature:
			if in.AttachmentID == 0 {
				p.add("", "attachment", "a signature confirmation needs the scan of the signature")
			}
		case ConfirmVerbal:
			switch {
			case in.ConfirmedAt.IsZero():
				p.add("", "confirmed_at", "a verbal confirmation needs the time the respondent confirmed")
			case in.ConfirmedAt.After(now):
				p.add("", "confirmed_at", "the confirmation time %s is in the future", in.ConfirmedAt.UTC().Format(time.RFC3339))
			}
		case "":
			p.add("", "confirmation", "a phone response needs the respondent's confirmation: verbal (with its time) or signature")
		default:
			p.add("", "confirmation", "confirmation %q is not verbal or signature", in.Confirmation)
		}
	case ResponsePaper:
		needName()
		if in.AttachmentID == 0 {
			p.add("", "attachment", "a paper response needs the scan of the form")
		}
		if in.Confirmation != "" && in.Confirmation != ConfirmSignature {
			p.add("", "confirmation", "a paper form is confirmed by its signature, not %q", in.Confirmation)
		}
	case "":
		p.add("", "channel", "the channel is missing")
	default:
		p.add("", "channel", "channel %q is not online, door, phone or paper", in.Channel)
	}
	if in.Confirmation != ConfirmVerbal {
		in.ConfirmedAt = time.Time{}
	}
	return in, p.list
}

func (s *SurveyService) submitResponse(ctx context.Context, in ResponseInput) (Response, error) {
	now := s.clock()
	in, probs := checkResponseInput(in, now)
	var id int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		r, err := s.lockRound(ctx, tx, in.RoundID)
		if err != nil {
			return err
		}
		switch {
		case r.Status == StatusDraft || (r.Status == StatusOpen && now.Before(r.OpensAt)):
			return fmt.Errorf("survey round %d opens at %s: %w", r.ID, r.OpensAt.Format(time.RFC3339), ErrRoundNotOpen)
		case r.Status == StatusClosed || !now.Before(r.ClosesAt):
			return fmt.Errorf("survey round %d closed at %s: %w", r.ID, r.ClosesAt.Format(time.RFC3339), ErrRoundClosed)
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM survey_audience WHERE round_id = $1 AND household_id = $2`, r.ID, in.HouseholdID).Scan(&n); err != nil {
			return fmt.Errorf("check audience: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("household %d, survey round %d: %w", in.HouseholdID, r.ID, ErrNotInAudience)
		}
		answers, aerr := validateAnswers(r.Questions, in.Answers)
		var verr *ValidationError
		if errors.As(aerr, &verr) {
			probs = append(probs, verr.Problems...)
		} else if aerr != nil {
			return aerr
		}
		if in.AttachmentID > 0 {
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM attachments WHERE id = $1`, in.AttachmentID).Scan(&n); err != nil {
				return fmt.Errorf("check attachment: %w", err)
			}
			if n == 0 {
				probs = append(probs, Problem{Field: "attachment", Message: fmt.Sprintf("attachment %d does not exist", in.AttachmentID)})
			}
		}
		if len(probs) > 0 {
			return &ValidationError{Problems: probs}
		}
		var seq int64
		if err := tx.QueryRowContext(ctx, `UPDATE survey_rounds SET response_seq = response_seq + 1 WHERE id = $1 RETURNING response_seq`, r.ID).Scan(&seq); err != nil {
			return fmt.Errorf("number response: %w", err)
		}
		var replaced sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM survey_responses WHERE round_id = $1 AND household_id = $2 AND is_current`, r.ID, in.HouseholdID).Scan(&replaced); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read current response: %w", err)
		}
		if replaced.Valid {
			if _, err := tx.ExecContext(ctx, `UPDATE survey_responses SET is_current = FALSE WHERE id = $1`, replaced.Int64); err != nil {
				return fmt.Errorf("replace response: %w", err)
			}
		}
		js, err := json.Marshal(answers)
		if err != nil {
			return err
		}
		var confirmedAt any
		if !in.ConfirmedAt.IsZero() {
			confirmedAt = in.ConfirmedAt.UTC().Truncate(time.Microsecond)
		}
		a := audit.ActorFrom(ctx)
		if err := tx.QueryRowContext(ctx, `INSERT INTO survey_responses (round_id, household_id, seq, is_current, channel, answers_json,
			respondent_name, relation, confirmation, confirmed_at, attachment_id, note, entered_by, entered_by_id, submitted_at)
			VALUES ($1, $2, $3, TRUE, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
			r.ID, in.HouseholdID, seq, in.Channel, string(js), in.RespondentName, in.Relation, in.Confirmation, confirmedAt,
			nullID(in.AttachmentID), in.Note, a.Name, actorID(a), now).Scan(&id); err != nil {
			return fmt.Errorf("insert response: %w", err)
		}
		after := map[string]any{"round_id": r.ID, "household_id": in.HouseholdID, "seq": seq, "channel": in.Channel,
			"relation": in.Relation, "answered": len(answers)}
		if in.Confirmation != "" {
			after["confirmation"] = in.Confirmation
		}
		if in.AttachmentID != 0 {
			after["attachment_id"] = in.AttachmentID
		}
		var before any
		if replaced.Valid {
			before = map[string]any{"current_response_id": replaced.Int64}
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "survey.response", ObjectType: "survey_response", ObjectID: surveyObject(id),
			Before: before, After: after})
	})
	if err != nil {
		return Response{}, err
	}
	return s.response(ctx, s.db.Read(), `id = $1`, id)
}

const responseCols = `id, round_id, household_id, seq, is_current, channel, answers_json, respondent_name, relation, confirmation,
	confirmed_at, attachment_id, note, entered_by, submitted_at`

func scanResponse(sc scanner) (Response, error) {
	var r Response
	var js string
	var confirmed sql.NullTime
	var att sql.NullInt64
	if err := sc.Scan(&r.ID, &r.RoundID, &r.HouseholdID, &r.Seq, &r.Current, &r.Channel, &js, &r.RespondentName, &r.Relation,
		&r.Confirmation, &confirmed, &att, &r.Note, &r.EnteredBy, &r.SubmittedAt); err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(js), &r.Answers); err != nil {
		return r, fmt.Errorf("response %d: stored answers: %w", r.ID, err)
	}
	if r.Answers == nil {
		r.Answers = []Answer{}
	}
	if confirmed.Valid {
		r.ConfirmedAt = confirmed.Time.UTC()
	}
	r.AttachmentID = att.Int64
	r.SubmittedAt = r.SubmittedAt.UTC()
	return r, nil
}

func (s *SurveyService) response(ctx context.Context, q db.Querier, cond string, args ...any) (Response, error) {
	r, err := scanResponse(q.QueryRowContext(ctx, `SELECT `+responseCols+` FROM survey_responses WHERE `+cond, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("survey response: %w", ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("read survey response: %w", err)
	}
	return r, nil
}

func (s *SurveyService) listResponses(ctx context.Context, q db.Querier, cond string, args ...any) ([]Response, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+responseCols+` FROM survey_responses WHERE `+cond, args...)
	if err != nil {
		return nil, fmt.Errorf("read survey responses: %w", err)
	}
	defer rows.Close()
	out := []Response{}
	for rows.Next() {
		r, err := scanResponse(rows)
		if err != nil {
			return nil, fmt.Errorf("read survey responses: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read survey responses: %w", err)
	}
	return out, nil
}

func (s *SurveyService) currentResponse(ctx context.Context, roundID, householdID int64) (Response, error) {
	r, err := s.response(ctx, s.db.Read(), `round_id = $1 AND household_id = $2 AND is_current`, roundID, householdID)
	if errors.Is(err, ErrNotFound) {
		return r, fmt.Errorf("household %d has not answered survey round %d: %w", householdID, roundID, ErrNotFound)
	}
	return r, err
}

func (s *SurveyService) responseHistory(ctx context.Context, roundID, householdID int64) ([]Response, error) {
	return s.listResponses(ctx, s.db.Read(), `round_id = $1 AND household_id = $2 ORDER BY seq`, roundID, householdID)
}

func (s *SurveyService) responses(ctx context.Context, roundID int64) ([]Response, error) {
	if _, err := s.Round(ctx, roundID); err != nil {
		return nil, err
	}
	return s.listResponses(ctx, s.db.Read(), `round_id = $1 AND is_current ORDER BY household_id`, roundID)
}
