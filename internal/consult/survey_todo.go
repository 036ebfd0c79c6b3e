package consult

import (
	"context"
	"errors"
	"io"

	"github.com/gengxin/gengxin/internal/db"
)

var errSurveyTodo = errors.New("surveys: not available yet")

func validateQuestions(qs []Question) ([]Question, error)               { return nil, errSurveyTodo }
func validateAnswers(qs []Question, answers []Answer) ([]Answer, error) { return nil, errSurveyTodo }
func (s *SurveyService) createSurvey(ctx context.Context, ns NewSurvey) (Survey, error) {
	return Survey{}, errSurveyTodo
}
func (s *SurveyService) survey(ctx context.Context, q db.Querier, id int64) (Survey, error) {
	return Survey{}, errSurveyTodo
}
func (s *SurveyService) listSurveys(ctx context.Context, f SurveyFilter) ([]Survey, error) {
	return nil, errSurveyTodo
}
func (s *SurveyService) addRound(ctx context.Context, surveyID int64, in RoundInput) (Round, error) {
	return Round{}, errSurveyTodo
}
func (s *SurveyService) updateRound(ctx context.Context, roundID int64, in RoundInput) (Round, error) {
	return Round{}, errSurveyTodo
}
func (s *SurveyService) round(ctx context.Context, q db.Querier, roundID int64) (Round, error) {
	return Round{}, errSurveyTodo
}
func (s *SurveyService) openRound(ctx context.Context, roundID int64) (Round, error) {
	return Round{}, errSurveyTodo
}
func (s *SurveyService) closeRound(ctx context.Context, roundID int64) (Round, error) {
	return Round{}, errSurveyTodo
}
func (s *SurveyService) submitResponse(ctx context.Context, in ResponseInput) (Response, error) {
	return Response{}, errSurveyTodo
}
func (s *SurveyService) currentResponse(ctx context.Context, roundID, householdID int64) (Response, error) {
	return Response{}, errSurveyTodo
}
func (s *SurveyService) responseHistory(ctx context.Context, roundID, householdID int64) ([]Response, error) {
	return nil, errSurveyTodo
}
func (s *SurveyService) responses(ctx context.Context, roundID int64) ([]Response, error) {
	return nil, errSurveyTodo
}
func (s *SurveyService) roundsForHousehold(ctx context.Context, householdID int64) ([]HouseholdRound, error) {
	return nil, errSurveyTodo
}
func (s *SurveyService) stats(ctx context.Context, roundID int64) (SurveyStats, error) {
	return SurveyStats{}, errSurveyTodo
}
func (s *SurveyService) callList(ctx context.Context, roundID int64) ([]CallEntry, error) {
	return nil, errSurveyTodo
}
func (s *SurveyService) exportResponses(ctx context.Context, roundID int64, w io.Writer) error {
	return errSurveyTodo
}
func (s *SurveyService) exportStats(ctx context.Context, roundID int64, w io.Writer) error {
	return errSurveyTodo
}

// SeedDemoSurveys fills a compound with demo surveys.
func SeedDemoSurveys(ctx context.Context, svc *SurveyService, opt DemoSurveyOptions) (DemoSurveySummary, error) {
	return DemoSurveySummary{}, errSurveyTodo
}
