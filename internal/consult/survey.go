package consult

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/places"
)

// Errors of the survey service besides ErrNotFound, ErrInvalid and ErrState;
// each is returned wrapped with details.
var (
	// ErrRoundNotOpen: a response for a round that is a draft or before its opening time.
	ErrRoundNotOpen = errors.New("the survey round is not open")
	// ErrRoundClosed: a response for a round that is closed or past its closing time.
	ErrRoundClosed = errors.New("the survey round is closed")
	// ErrNotInAudience: a response for a household outside the round's audience.
	ErrNotInAudience = errors.New("the household is not in the survey's audience")
)

// Audience types of a survey: the households of a region subtree, or of a list
// of compounds, buildings or entrances.
const (
	AudienceRegion    = "region"
	AudienceCompounds = "compounds"
	AudienceBuildings = "buildings"
	AudienceEntrances = "entrances"
)

// Stages of the "four rounds" practice; a round may also have no stage ("").
const (
	StageSurvey       = "survey"       // needs survey before design
	StageDesign       = "design"       // design review
	StageSample       = "sample"       // sample display
	StageConstruction = "construction" // supervision during works and acceptance
)

// Question kinds.
const (
	QuestionSingle   = "single"   // one option
	QuestionMultiple = "multiple" // one or more options (up to MaxChoices when set)
	QuestionRating   = "rating"   // an integer from 1 to 5
	QuestionYesNo    = "yes_no"   // "yes" or "no", with a reason when "no" (ReasonOnNo)
	QuestionText     = "text"     // free text
)

// Option ids of a yes/no question; a yes/no answer carries one of them in Options.
const (
	AnswerYes = "yes"
	AnswerNo  = "no"
)

// Response channels of a survey.
const (
	ResponseOnline = "online" // by a verified resident of the household
	ResponseDoor   = "door"   // door-to-door, entered by a community worker
	ResponsePhone  = "phone"  // by phone, entered by a community worker
	ResponsePaper  = "paper"  // a paper form, entered from its scan (attachment required)
)

// Relations of a respondent to the household.
const (
	RelationOwner  = "owner"
	RelationTenant = "tenant"
	RelationFamily = "family" // a family member of the owner living there
)

// Confirmation methods of a response entered by a community worker.
const (
	// ConfirmSignature: the respondent signed; the signature scan is attached.
	// Required for door-to-door responses, allowed for phone responses.
	ConfirmSignature = "signature"
	// ConfirmVerbal: the respondent confirmed verbally on the phone at ConfirmedAt.
	ConfirmVerbal = "verbal"
)

// Limits of a survey definition and of an answer.
const (
	MaxQuestions   = 100
	MaxOptions     = 50
	MaxTextRunes   = 2000 // a free-text answer or a reason
	MaxRating      = 5
	MinRating      = 1
	maxTitleRunes  = 200
	maxPromptRunes = 1000
)

// Audience says whose households a survey asks.
type Audience struct {
	// Type is AudienceRegion, AudienceCompounds, AudienceBuildings or AudienceEntrances.
	Type string `json:"type"`
	// IDs are the region (exactly one, any level; its whole subtree counts) or the
	// compounds, buildings or entrances.
	IDs []int64 `json:"ids"`
}

// Option is one choice of a single- or multiple-choice question.
type Option struct {
	// ID is the option's key within its question (letters, digits, '_' or '-';
	// assigned "o1", "o2", … when empty).
	ID     string `json:"id"`
	TextZH string `json:"text_zh"`
	TextEN string `json:"text_en,omitempty"`
	// Support marks the options that count as support when the question is the
	// round's support question.
	Support bool `json:"support,omitempty"`
}

// Question is one question of a round.
type Question struct {
	// ID is the question's key within its round (letters, digits, '_' or '-';
	// assigned "q1", "q2", … when empty).
	ID     string `json:"id"`
	Kind   string `json:"kind"` // QuestionSingle, QuestionMultiple, QuestionRating, QuestionYesNo or QuestionText
	TextZH string `json:"text_zh"`
	TextEN string `json:"text_en,omitempty"`
	// Options of a single- or multiple-choice question (at least two). Yes/no
	// questions have the implicit options AnswerYes and AnswerNo; rating and text
	// questions have none.
	Options  []Option `json:"options,omitempty"`
	Required bool     `json:"required"`
	// MaxChoices limits a multiple-choice answer (0: no limit).
	MaxChoices int `json:"max_choices,omitempty"`
	// ReasonOnNo, for yes/no questions, requires a reason (Answer.Text) when the
	// answer is "no".
	ReasonOnNo bool `json:"reason_on_no,omitempty"`
	// Support marks the round's support question (at most one): a yes/no
	// question ("yes" supports) or a single-choice question with at least one
	// option marked Support.
	Support bool `json:"support,omitempty"`
}

// Problem is one finding of a validation: which question (and option or
// field) is wrong, and why.
type Problem struct {
	Question string `json:"question,omitempty"` // question id ("" for the survey or the response as a whole)
	Field    string `json:"field,omitempty"`    // e.g. "options", "text_zh", "respondent_name"
	Message  string `json:"message"`
}

// ValidationError lists every problem of a survey definition or a response.
// It unwraps to ErrInvalid.
type ValidationError struct {
	Problems []Problem `json:"problems"`
}

// Error joins the problems into one line.
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		var b strings.Builder
		if p.Question != "" {
			fmt.Fprintf(&b, "question %s: ", p.Question)
		}
		if p.Field != "" {
			fmt.Fprintf(&b, "%s: ", p.Field)
		}
		b.WriteString(p.Message)
		parts[i] = b.String()
	}
	return ErrInvalid.Error() + ": " + strings.Join(parts, "; ")
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// Survey is a stored survey with its rounds (oldest first).
type Survey struct {
	ID          int64    `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Audience    Audience `json:"audience"`
	// ProjectID links the survey to a renewal project (0: none).
	ProjectID int64     `json:"project_id,omitempty"`
	Rounds    []Round   `json:"rounds"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Round is one round of a survey with its own questions. Its status goes draft
// → open → closed; while it is a draft its questions and times may change.
// When it opens, the households of the survey's audience are copied into the
// round (with their building, entrance, floor, room and exclusive area), so its
// statistics do not move when the places data changes later.
type Round struct {
	ID        int64      `json:"id"`
	SurveyID  int64      `json:"survey_id"`
	No        int        `json:"no"`    // 1, 2, … within the survey
	Stage     string     `json:"stage"` // one of the Stage constants or ""
	Title     string     `json:"title"`
	Questions []Question `json:"questions"`
	OpensAt   time.Time  `json:"opens_at"`
	ClosesAt  time.Time  `json:"closes_at"`
	Status    string     `json:"status"` // StatusDraft, StatusOpen or StatusClosed
	OpenedAt  time.Time  `json:"opened_at,omitzero"`
	ClosedAt  time.Time  `json:"closed_at,omitzero"`
	// Households is the audience size taken when the round opened (0 for a draft).
	Households int `json:"households"`
	// Submissions counts every response stored, including replaced ones.
	Submissions int64 `json:"submissions"`
}

// AcceptsResponses reports whether a response submitted at t would be accepted.
func (r Round) AcceptsResponses(t time.Time) bool {
	return r.Status == StatusOpen && !t.Before(r.OpensAt) && t.Before(r.ClosesAt)
}

// SupportQuestion returns the round's support question, if it has one.
func (r Round) SupportQuestion() (Question, bool) {
	for _, q := range r.Questions {
		if q.Support {
			return q, true
		}
	}
	return Question{}, false
}

// NewSurvey is what CreateSurvey needs.
type NewSurvey struct {
	Title       string
	Description string
	Audience    Audience
	ProjectID   int64 // 0 when the survey belongs to no project
}

// RoundInput defines a round for AddRound and UpdateRound.
type RoundInput struct {
	Stage     string // one of the Stage constants or ""
	Title     string // "" gives "第N轮"
	Questions []Question
	OpensAt   time.Time
	ClosesAt  time.Time
}

// Answer is the answer to one question.
type Answer struct {
	Question string `json:"q"`
	// Options holds the chosen option ids: one for a single-choice question,
	// one or more for a multiple-choice question, AnswerYes or AnswerNo for a
	// yes/no question.
	Options []string `json:"options,omitempty"`
	// Rating is the rating of a rating question (MinRating to MaxRating).
	Rating int `json:"rating,omitempty"`
	// Text is a free-text answer, or the reason of a yes/no answer.
	Text string `json:"text,omitempty"`
}

// ResponseInput is one household's response to a round. Questions left
// unanswered are omitted from Answers (or given with no options, rating or
// text).
type ResponseInput struct {
	RoundID     int64
	HouseholdID int64
	// Channel is ResponseOnline (the web layer has checked that the actor in ctx
	// is a verified resident of the household), ResponseDoor, ResponsePhone or
	// ResponsePaper (the last three entered by a community worker).
	Channel string
	Answers []Answer
	// RespondentName is who answered; required except online.
	RespondentName string
	// Relation of the respondent to the household: RelationOwner, RelationTenant
	// or RelationFamily; required on every channel.
	Relation string
	// Confirmation, for door-to-door and phone responses: ConfirmSignature (door
	// or phone, AttachmentID holds the signature scan) or ConfirmVerbal (phone
	// only, at ConfirmedAt).
	Confirmation string
	ConfirmedAt  time.Time
	// AttachmentID is the signature scan or, for paper responses, the scan of the
	// form (required); uploaded first with UploadAttachment.
	AttachmentID int64
	Note         string
}

// Response is one stored response. The newest response of a household in a
// round is current and counts; earlier ones are kept as history.
type Response struct {
	ID             int64     `json:"id"`
	RoundID        int64     `json:"round_id"`
	HouseholdID    int64     `json:"household_id"`
	Seq            int64     `json:"seq"` // order of submission within the round
	Current        bool      `json:"current"`
	Channel        string    `json:"channel"`
	Answers        []Answer  `json:"answers"`
	RespondentName string    `json:"respondent_name,omitempty"`
	Relation       string    `json:"relation"`
	Confirmation   string    `json:"confirmation,omitempty"`
	ConfirmedAt    time.Time `json:"confirmed_at,omitzero"`
	AttachmentID   int64     `json:"attachment_id,omitempty"`
	Note           string    `json:"note,omitempty"`
	EnteredBy      string    `json:"entered_by"`
	SubmittedAt    time.Time `json:"submitted_at"`
}

// Answer returns the answer to question id, if the response has one.
func (r Response) Answer(id string) (Answer, bool) {
	for _, a := range r.Answers {
		if a.Question == id {
			return a, true
		}
	}
	return Answer{}, false
}

// Ratio is an exact fraction Num/Den; Den is 0 when there is nothing to divide.
type Ratio struct {
	Num int64 `json:"num"`
	Den int64 `json:"den"`
}

// Percent returns the ratio in per cent for display (0 when Den is 0).
func (r Ratio) Percent() float64 {
	if r.Den == 0 {
		return 0
	}
	return 100 * float64(r.Num) / float64(r.Den)
}

// AtLeast reports whether Num/Den ≥ num/den, in integer arithmetic.
func (r Ratio) AtLeast(num, den int64) bool { return r.Den > 0 && r.Num*den >= num*r.Den }

// SupportFigures is the support of a group of households on the round's
// support question. A household supports when its current response chooses a
// supporting option (or "yes"); its area is its exclusive area in dm² taken
// when the round opened (registered, else surveyed, else contract, else 0).
type SupportFigures struct {
	AudienceHouseholds int64 `json:"audience_households"`
	AudienceAreaDM2    int64 `json:"audience_area_dm2"`
	// Respondents are the households whose current response answers the support question.
	RespondentHouseholds int64 `json:"respondent_households"`
	RespondentAreaDM2    int64 `json:"respondent_area_dm2"`
	SupportHouseholds    int64 `json:"support_households"`
	SupportAreaDM2       int64 `json:"support_area_dm2"`
	// ByHouseholds and ByArea are the support rates among the respondents.
	ByHouseholds Ratio `json:"by_households"`
	ByArea       Ratio `json:"by_area"`
	// OfAudienceHouseholds and OfAudienceArea are the support rates over the
	// whole audience (households that did not answer count as not supporting).
	OfAudienceHouseholds Ratio `json:"of_audience_households"`
	OfAudienceArea       Ratio `json:"of_audience_area"`
}

// GroupStats is coverage and support for one building, entrance or floor.
type GroupStats struct {
	ID   int64  `json:"id"`   // building or entrance id; the floor number for floors
	Name string `json:"name"` // e.g. "3幢", "3幢1单元", "5层"
	// BuildingID is the building of an entrance (0 for other groups).
	BuildingID int64 `json:"building_id,omitempty"`
	Households int64 `json:"households"` // in the audience
	Responded  int64 `json:"responded"`  // with a current response
	Coverage   Ratio `json:"coverage"`   // Responded / Households
	// Support is set when the round has a support question.
	Support *SupportFigures `json:"support,omitempty"`
}

// RelationStats counts the responding households by who answered.
type RelationStats struct {
	Relation  string `json:"relation"` // RelationOwner, RelationTenant or RelationFamily
	Responded int64  `json:"responded"`
	Coverage  Ratio  `json:"coverage"` // Responded / audience households
}

// ChannelStats counts current responses by channel.
type ChannelStats struct {
	Channel   string `json:"channel"`
	Responses int64  `json:"responses"`
}

// OptionCount is how often one option was chosen.
type OptionCount struct {
	ID      string `json:"id"`
	TextZH  string `json:"text_zh"`
	TextEN  string `json:"text_en,omitempty"`
	Support bool   `json:"support,omitempty"`
	Count   int64  `json:"count"`
	Share   Ratio  `json:"share"` // Count / households that answered the question
}

// QuestionStats is the answer distribution of one question over the current
// responses.
type QuestionStats struct {
	Question string `json:"question"`
	Kind     string `json:"kind"`
	TextZH   string `json:"text_zh"`
	TextEN   string `json:"text_en,omitempty"`
	Answered int64  `json:"answered"` // households that answered it
	// Options: counts per option (for yes/no: "yes" then "no"), in definition order.
	Options []OptionCount `json:"options,omitempty"`
	// Ratings[i] counts rating i+1 (rating questions).
	Ratings []int64 `json:"ratings,omitempty"`
	// RatingMean is the sum of the ratings over Answered (rating questions).
	RatingMean Ratio `json:"rating_mean"`
	// Reasons counts the "no" answers that gave a reason (yes/no questions).
	Reasons int64 `json:"reasons,omitempty"`
}

// SurveyStats is the live (or, once closed, final) statistics of a round.
type SurveyStats struct {
	Survey Survey `json:"survey"`
	Round  Round  `json:"round"`
	// SupportQuestion is the id of the support question ("" when there is none;
	// then Support and the groups' Support are nil).
	SupportQuestion string          `json:"support_question,omitempty"`
	Households      int64           `json:"households"` // audience
	Responded       int64           `json:"responded"`
	Coverage        Ratio           `json:"coverage"`
	Support         *SupportFigures `json:"support,omitempty"`
	Buildings       []GroupStats    `json:"buildings"` // in building order
	Entrances       []GroupStats    `json:"entrances"` // in building, entrance order; households without an entrance are left out
	Floors          []GroupStats    `json:"floors"`    // coverage by floor number, lowest first
	Relations       []RelationStats `json:"relations"` // owner, tenant, family
	Channels        []ChannelStats  `json:"channels"`  // online, door, phone, paper
	Questions       []QuestionStats `json:"questions"` // in question order
	ComputedAt      time.Time       `json:"computed_at"`
}

// CallEntry is one household of the audience without a current response.
type CallEntry struct {
	HouseholdID   int64  `json:"household_id"`
	HouseholdCode string `json:"household_code"`
	BuildingID    int64  `json:"building_id"`
	BuildingName  string `json:"building_name"`
	EntranceID    int64  `json:"entrance_id,omitempty"`
	EntranceName  string `json:"entrance_name,omitempty"`
	Floor         int    `json:"floor"`
	Room          string `json:"room"`
	// OwnerNames are the owners on record (full names, for community workers).
	OwnerNames []string `json:"owner_names"`
	// Phones are the owners' phone numbers, masked (138****1111); empty when
	// the service has no Sealer or no phone is on record.
	Phones []string `json:"phones"`
}

// HouseholdRound is an open round whose audience includes a household, as the
// resident's page lists it.
type HouseholdRound struct {
	Survey   Survey `json:"survey"`
	Round    Round  `json:"round"`
	Answered bool   `json:"answered"` // the household has a current response
}

// SurveyFilter selects surveys for ListSurveys; zero fields match everything.
type SurveyFilter struct {
	ProjectID int64
	// Status keeps surveys with at least one round in that status.
	Status string
	Limit  int // default 100, at most 1000
}

// SurveyService runs surveys on the database.
type SurveyService struct {
	db    *db.DB
	log   *audit.Log
	box   places.Sealer
	now   func() time.Time
	files *Service // attachments are shared with owner votes
}

// NewSurveyService returns the survey service. box opens owners' phone numbers
// for the call list (nil leaves phones out); now is the clock.
func NewSurveyService(d *db.DB, log *audit.Log, box places.Sealer, now func() time.Time) *SurveyService {
	return &SurveyService{db: d, log: log, box: box, now: now, files: NewService(d, log, now)}
}

// ValidateQuestions checks a round's questions and fills in missing question
// and option ids; it returns the normalised questions or a *ValidationError
// listing every problem.
func ValidateQuestions(qs []Question) ([]Question, error) { return validateQuestions(qs) }

// ValidateAnswers checks answers against the questions (required answers,
// known option ids, the rating range, a reason when "no" needs one, text
// length) and returns them normalised in question order, or a *ValidationError.
func ValidateAnswers(qs []Question, answers []Answer) ([]Answer, error) {
	return validateAnswers(qs, answers)
}

// CreateSurvey stores a survey (without rounds) after checking its title and
// audience.
func (s *SurveyService) CreateSurvey(ctx context.Context, ns NewSurvey) (Survey, error) {
	return s.createSurvey(ctx, ns)
}

// Survey returns one survey with its rounds.
func (s *SurveyService) Survey(ctx context.Context, id int64) (Survey, error) {
	return s.survey(ctx, s.db.Read(), id)
}

// ListSurveys returns matching surveys with their rounds, newest first.
func (s *SurveyService) ListSurveys(ctx context.Context, f SurveyFilter) ([]Survey, error) {
	return s.listSurveys(ctx, f)
}

// AddRound appends a draft round (numbered after the last one) to a survey.
func (s *SurveyService) AddRound(ctx context.Context, surveyID int64, in RoundInput) (Round, error) {
	return s.addRound(ctx, surveyID, in)
}

// UpdateRound replaces the stage, title, questions and times of a draft round.
func (s *SurveyService) UpdateRound(ctx context.Context, roundID int64, in RoundInput) (Round, error) {
	return s.updateRound(ctx, roundID, in)
}

// Round returns one round.
func (s *SurveyService) Round(ctx context.Context, roundID int64) (Round, error) {
	return s.round(ctx, s.db.Read(), roundID)
}

// OpenRound opens a draft round: it takes the audience's households and
// freezes them. Responses are accepted from OpensAt until ClosesAt. The round
// needs at least one question, and a survey has at most one open round at a time.
func (s *SurveyService) OpenRound(ctx context.Context, roundID int64) (Round, error) {
	return s.openRound(ctx, roundID)
}

// CloseRound closes an open round (early, or after its closing time); its
// statistics stay available.
func (s *SurveyService) CloseRound(ctx context.Context, roundID int64) (Round, error) {
	return s.closeRound(ctx, roundID)
}

// SubmitResponse validates and stores a household's response to an open round;
// it becomes the household's current response and the previous one is kept as
// history. The audit entry holds ids, channel, relation and confirmation
// method only.
func (s *SurveyService) SubmitResponse(ctx context.Context, in ResponseInput) (Response, error) {
	return s.submitResponse(ctx, in)
}

// CurrentResponse returns the household's current response to a round
// (ErrNotFound when it has none).
func (s *SurveyService) CurrentResponse(ctx context.Context, roundID, householdID int64) (Response, error) {
	return s.currentResponse(ctx, roundID, householdID)
}

// ResponseHistory returns every response of a household to a round, oldest
// first; the last one is current.
func (s *SurveyService) ResponseHistory(ctx context.Context, roundID, householdID int64) ([]Response, error) {
	return s.responseHistory(ctx, roundID, householdID)
}

// Responses returns the current responses of a round in household order.
func (s *SurveyService) Responses(ctx context.Context, roundID int64) ([]Response, error) {
	return s.responses(ctx, roundID)
}

// RoundsForHousehold returns the open rounds whose audience includes the
// household, newest first, and whether it has answered each.
func (s *SurveyService) RoundsForHousehold(ctx context.Context, householdID int64) ([]HouseholdRound, error) {
	return s.roundsForHousehold(ctx, householdID)
}

// Stats computes the statistics of an open or closed round from its audience
// and current responses.
func (s *SurveyService) Stats(ctx context.Context, roundID int64) (SurveyStats, error) {
	return s.stats(ctx, roundID)
}

// CallList returns the audience households without a current response, sorted
// by building, entrance, floor and room.
func (s *SurveyService) CallList(ctx context.Context, roundID int64) ([]CallEntry, error) {
	return s.callList(ctx, roundID)
}

// ExportResponses writes an Excel workbook of a round's current responses: one
// row per audience household (building, entrance, floor, room, channel,
// relation, then one column per question).
func (s *SurveyService) ExportResponses(ctx context.Context, roundID int64, w io.Writer) error {
	return s.exportResponses(ctx, roundID, w)
}

// ExportStats writes an Excel workbook of a round's statistics: summary,
// buildings, entrances, floors and answer distributions.
func (s *SurveyService) ExportStats(ctx context.Context, roundID int64, w io.Writer) error {
	return s.exportStats(ctx, roundID, w)
}

// UploadAttachment stores a scan (signature or paper form); the same store as
// the owner votes' scans, with the same size and type checks.
func (s *SurveyService) UploadAttachment(ctx context.Context, filename string, r io.Reader) (Attachment, error) {
	return s.files.UploadAttachment(ctx, filename, r)
}

// Attachment returns a stored scan with its bytes.
func (s *SurveyService) Attachment(ctx context.Context, id int64) (Attachment, error) {
	return s.files.Attachment(ctx, id)
}
