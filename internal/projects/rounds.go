package projects

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/db"
)

// Feedback is one resident opinion collected in one of the four rounds, with
// what was done with it.
type Feedback struct {
	ID            int64     `json:"id"`
	ProjectID     int64     `json:"project_id"`
	Round         string    `json:"round"`
	HouseholdID   int64     `json:"household_id,omitempty"`
	HouseholdCode string    `json:"household_code,omitempty"`
	Channel       string    `json:"channel"`
	Topic         string    `json:"topic,omitempty"`
	Body          string    `json:"body"`
	Status        string    `json:"status"`
	Response      string    `json:"response,omitempty"`
	CreatedBy     string    `json:"created_by"`
	CreatedAt     time.Time `json:"created_at"`
	ResolvedBy    string    `json:"resolved_by,omitempty"`
	ResolvedAt    time.Time `json:"resolved_at,omitzero"`
}

// FeedbackInput is one opinion to record.
type FeedbackInput struct {
	Round       string
	HouseholdID int64 // 0: not tied to a household (a meeting, an anonymous note)
	Channel     string
	Topic       string
	Body        string
}

// AddFeedback records a resident's opinion in a round.
func (s *Service) AddFeedback(ctx context.Context, projectID int64, in FeedbackInput) (Feedback, error) {
	in.Body, in.Topic = strings.TrimSpace(in.Body), strings.TrimSpace(in.Topic)
	var bad []string
	if !slices.Contains(Rounds, in.Round) {
		bad = append(bad, fmt.Sprintf("unknown round %q (survey, design, sample or construction)", in.Round))
	}
	if !slices.Contains(Channels, in.Channel) {
		bad = append(bad, fmt.Sprintf("unknown channel %q", in.Channel))
	}
	if in.Body == "" || utf8.RuneCountInString(in.Body) > 2000 {
		bad = append(bad, "the opinion must have 1 to 2,000 characters")
	}
	if utf8.RuneCountInString(in.Topic) > 50 {
		bad = append(bad, "the topic may have at most 50 characters")
	}
	if len(bad) > 0 {
		return Feedback{}, fmt.Errorf("%w: %s", ErrInvalid, strings.Join(bad, "; "))
	}
	a := audit.ActorFrom(ctx)
	var id int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.get(ctx, tx, projectID); err != nil {
			return err
		}
		if in.HouseholdID != 0 {
			if err := s.inScope(ctx, tx, projectID, in.HouseholdID); err != nil {
				return err
			}
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO project_feedback (project_id, round, household_id, channel, topic, body, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, projectID, in.Round, nullID(in.HouseholdID), in.Channel, in.Topic, in.Body,
			a.Name, s.clock()).Scan(&id); err != nil {
			return fmt.Errorf("feedback: %w", err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "project.feedback.add", ObjectType: "project_feedback", ObjectID: itoa(id),
			After: map[string]any{"project_id": projectID, "round": in.Round, "household_id": in.HouseholdID, "channel": in.Channel, "topic": in.Topic, "body": in.Body}})
	})
	if err != nil {
		return Feedback{}, err
	}
	return s.feedback(ctx, s.db.Read(), id)
}

// inScope checks that a household lies in the project's scope.
func (s *Service) inScope(ctx context.Context, q db.Querier, projectID, householdID int64) error {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM households WHERE id = $2 AND building_id IN (`+scopeBuildings+`)`, projectID, householdID).Scan(&n); err != nil {
		return fmt.Errorf("household scope: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("%w: household %d is not in the project's scope", ErrInvalid, householdID)
	}
	return nil
}

// ResolveFeedback records what was done with an opinion: adopted (the plan
// changed) or explained (answered without a change), with the answer given.
func (s *Service) ResolveFeedback(ctx context.Context, id int64, status, response string) (Feedback, error) {
	response = strings.TrimSpace(response)
	if status != FeedbackAdopted && status != FeedbackExplained {
		return Feedback{}, fmt.Errorf("%w: an opinion is resolved as adopted or explained, not %q", ErrInvalid, status)
	}
	if response == "" || utf8.RuneCountInString(response) > 2000 {
		return Feedback{}, fmt.Errorf("%w: say what was done with the opinion (1 to 2,000 characters)", ErrInvalid)
	}
	a := audit.ActorFrom(ctx)
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := s.feedback(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE project_feedback SET status = $1, response = $2, resolved_by = $3, resolved_at = $4 WHERE id = $5`,
			status, response, a.Name, s.clock(), id); err != nil {
			return fmt.Errorf("feedback: %w", err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "project.feedback.resolve", ObjectType: "project_feedback", ObjectID: itoa(id),
			Before: map[string]any{"status": before.Status, "response": before.Response}, After: map[string]any{"status": status, "response": response}})
	})
	if err != nil {
		return Feedback{}, err
	}
	return s.feedback(ctx, s.db.Read(), id)
}

const feedbackCols = `f.id, f.project_id, f.round, COALESCE(f.household_id, 0), COALESCE(h.code, ''), f.channel, f.topic, f.body, f.status, f.response,
	f.created_by, f.created_at, f.resolved_by, f.resolved_at`

func scanFeedback(sc interface{ Scan(...any) error }) (Feedback, error) {
	var f Feedback
	var resolved sql.NullTime
	err := sc.Scan(&f.ID, &f.ProjectID, &f.Round, &f.HouseholdID, &f.HouseholdCode, &f.Channel, &f.Topic, &f.Body, &f.Status, &f.Response,
		&f.CreatedBy, &f.CreatedAt, &f.ResolvedBy, &resolved)
	f.CreatedAt = f.CreatedAt.UTC()
	if resolved.Valid {
		f.ResolvedAt = resolved.Time.UTC()
	}
	return f, err
}

func (s *Service) feedback(ctx context.Context, q db.Querier, id int64) (Feedback, error) {
	f, err := scanFeedback(q.QueryRowContext(ctx, `SELECT `+feedbackCols+` FROM project_feedback f LEFT JOIN households h ON h.id = f.household_id WHERE f.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return f, fmt.Errorf("feedback %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return f, fmt.Errorf("feedback %d: %w", id, err)
	}
	return f, nil
}

// FeedbackByID returns one opinion.
func (s *Service) FeedbackByID(ctx context.Context, id int64) (Feedback, error) {
	return s.feedback(ctx, s.db.Read(), id)
}

// FeedbackFilter selects opinions.
type FeedbackFilter struct {
	ProjectID   int64
	HouseholdID int64
	Round       string
	Status      string
	Limit       int // 0 = 500
}

// ListFeedback lists opinions, newest first.
func (s *Service) ListFeedback(ctx context.Context, f FeedbackFilter) ([]Feedback, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.ProjectID != 0 {
		add("f.project_id = $%d", f.ProjectID)
	}
	if f.HouseholdID != 0 {
		add("f.household_id = $%d", f.HouseholdID)
	}
	if f.Round != "" {
		add("f.round = $%d", f.Round)
	}
	if f.Status != "" {
		add("f.status = $%d", f.Status)
	}
	if len(where) == 0 {
		where = []string{"1 = 1"}
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 500
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+feedbackCols+` FROM project_feedback f LEFT JOIN households h ON h.id = f.household_id
		WHERE `+strings.Join(where, " AND ")+fmt.Sprintf(` ORDER BY f.id DESC LIMIT %d`, limit), args...)
	if err != nil {
		return nil, fmt.Errorf("feedback: %w", err)
	}
	defer rows.Close()
	var out []Feedback
	for rows.Next() {
		fb, err := scanFeedback(rows)
		if err != nil {
			return nil, fmt.Errorf("feedback: %w", err)
		}
		out = append(out, fb)
	}
	return out, rows.Err()
}

// RoundSummary counts one round's opinions.
type RoundSummary struct {
	Round     string `json:"round"`
	Collected int    `json:"collected"`
	Adopted   int    `json:"adopted"`
	Explained int    `json:"explained"`
	Open      int    `json:"open"`
}

// Resolved is adopted plus explained.
func (r RoundSummary) Resolved() int { return r.Adopted + r.Explained }

// Summary counts the opinions of every round and in all ("3,012 opinions
// collected, 2,977 resolved").
func (s *Service) FeedbackSummary(ctx context.Context, projectID int64) ([]RoundSummary, RoundSummary, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT round, status, COUNT(*) FROM project_feedback WHERE project_id = $1 GROUP BY round, status`, projectID)
	if err != nil {
		return nil, RoundSummary{}, fmt.Errorf("feedback summary: %w", err)
	}
	defer rows.Close()
	by := map[string]*RoundSummary{}
	out := make([]RoundSummary, len(Rounds))
	for i, r := range Rounds {
		out[i].Round = r
		by[r] = &out[i]
	}
	total := RoundSummary{Round: "all"}
	for rows.Next() {
		var round, status string
		var n int
		if err := rows.Scan(&round, &status, &n); err != nil {
			return nil, total, err
		}
		rs := by[round]
		if rs == nil {
			continue
		}
		for _, x := range []*RoundSummary{rs, &total} {
			x.Collected += n
			switch status {
			case FeedbackAdopted:
				x.Adopted += n
			case FeedbackExplained:
				x.Explained += n
			default:
				x.Open += n
			}
		}
	}
	return out, total, rows.Err()
}
