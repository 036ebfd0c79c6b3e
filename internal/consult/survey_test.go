package consult

import (
	"errors"
	"strings"
	"testing"
)

func yesNo(id string, support, reason bool) Question {
	return Question{ID: id, Kind: QuestionYesNo, TextZH: "同意吗？", Required: true, Support: support, ReasonOnNo: reason}
}

func choice(kind, id string, opts ...string) Question {
	q := Question{ID: id, Kind: kind, TextZH: "选哪个？"}
	for _, o := range opts {
		q.Options = append(q.Options, Option{ID: o, TextZH: "选项" + o})
	}
	return q
}

func TestValidateQuestions(t *testing.T) {
	supportSingle := choice(QuestionSingle, "plan", "a", "b", "c")
	supportSingle.Support = true
	supportSingle.Options[0].Support = true
	allSupport := choice(QuestionSingle, "plan", "a", "b")
	allSupport.Support = true
	allSupport.Options[0].Support, allSupport.Options[1].Support = true, true
	strayFlag := choice(QuestionSingle, "s", "a", "b")
	strayFlag.Options[1].Support = true
	multi := choice(QuestionMultiple, "m", "a", "b")
	multi.MaxChoices = 3
	single := choice(QuestionSingle, "s", "a", "b")
	single.MaxChoices = 2
	dupOpts := choice(QuestionSingle, "s", "a", "a")
	badKey := choice(QuestionSingle, "s", "a b", "c")
	rating := Question{ID: "r", Kind: QuestionRating, TextZH: "打分", Options: []Option{{ID: "x", TextZH: "x"}}}

	tests := []struct {
		name string
		qs   []Question
		want []string // fragments of the error; none means valid
	}{
		{"a full valid round", []Question{yesNo("support", true, true), choice(QuestionMultiple, "items", "a", "b", "c"),
			{ID: "score", Kind: QuestionRating, TextZH: "满意度"}, {ID: "advice", Kind: QuestionText, TextZH: "建议"}}, nil},
		{"single choice as support question", []Question{supportSingle}, nil},
		{"no questions at all (a draft)", nil, nil},
		{"empty text", []Question{{ID: "q", Kind: QuestionText}}, []string{"question q: text_zh: the question text (Chinese) is empty"}},
		{"unknown kind", []Question{{ID: "q", Kind: "slider", TextZH: "?"}}, []string{`unknown kind "slider"`}},
		{"one option", []Question{choice(QuestionSingle, "s", "a")}, []string{"needs at least two options, it has 1"}},
		{"duplicate option ids", []Question{dupOpts}, []string{"option id a is used twice"}},
		{"bad option id", []Question{badKey}, []string{`option id "a b" may hold only`}},
		{"duplicate question ids", []Question{yesNo("q", false, false), yesNo("q", false, false)}, []string{"question q: id: the id is used by another question"}},
		{"two support questions", []Question{yesNo("a", true, false), yesNo("b", true, false)}, []string{"only one question may be the support question, 2 are marked"}},
		{"support on a text question", []Question{{ID: "t", Kind: QuestionText, TextZH: "?", Support: true}}, []string{"must be a yes/no or a single-choice question, not text"}},
		{"support question without support option", []Question{func() Question { q := choice(QuestionSingle, "p", "a", "b"); q.Support = true; return q }()},
			[]string{"needs at least one option marked as support"}},
		{"support question where every option supports", []Question{allSupport}, []string{"at least one option that is not support"}},
		{"support flag on an option of an ordinary question", []Question{strayFlag}, []string{"option b is marked as support but the question is not the support question"}},
		{"reason on no for a choice question", []Question{func() Question { q := choice(QuestionSingle, "s", "a", "b"); q.ReasonOnNo = true; return q }()},
			[]string{"a reason on \"no\" belongs to yes/no questions"}},
		{"max choices above the options", []Question{multi}, []string{"max choices 3 exceeds the 2 options"}},
		{"max choices on single choice", []Question{single}, []string{"does not fit a single question"}},
		{"rating with options", []Question{rating}, []string{"a rating question has no options of its own"}},
		{"all problems reported at once", []Question{{ID: "x", Kind: QuestionText}, choice(QuestionSingle, "y", "a")},
			[]string{"question x: text_zh", "question y: options"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ValidateQuestions(tc.qs)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			var verr *ValidationError
			if !errors.As(err, &verr) || len(verr.Problems) == 0 {
				t.Fatalf("error %v carries no problems", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestValidateQuestionsAssignsIDs(t *testing.T) {
	qs, err := ValidateQuestions([]Question{
		{Kind: QuestionSingle, TextZH: " 方案 ", Options: []Option{{TextZH: "甲"}, {TextZH: "乙"}}},
		{ID: "q1", Kind: QuestionText, TextZH: "意见"}, // takes "q1", so the first question gets another id
	})
	if err != nil {
		t.Fatal(err)
	}
	if qs[0].ID == "" || qs[0].ID == "q1" || qs[0].TextZH != "方案" || qs[0].Options[0].ID != "o1" || qs[0].Options[1].ID != "o2" {
		t.Errorf("normalised %+v", qs[0])
	}
}

func TestValidateAnswers(t *testing.T) {
	multi := choice(QuestionMultiple, "items", "a", "b", "c")
	multi.MaxChoices = 2
	multi.Required = true
	lift := yesNo("lift", false, false)
	lift.Required = false
	qs := []Question{
		yesNo("support", true, true),
		lift,
		choice(QuestionSingle, "plan", "x", "y"),
		multi,
		{ID: "score", Kind: QuestionRating, TextZH: "分", Required: true},
		{ID: "advice", Kind: QuestionText, TextZH: "建议"},
	}
	base := func() []Answer {
		return []Answer{{Question: "support", Options: []string{AnswerYes}}, {Question: "items", Options: []string{"c", "a"}}, {Question: "score", Rating: 4}}
	}
	with := func(a ...Answer) []Answer {
		out := base()
		for _, x := range a {
			replaced := false
			for i := range out {
				if out[i].Question == x.Question {
					out[i], replaced = x, true
				}
			}
			if !replaced {
				out = append(out, x)
			}
		}
		return out
	}
	without := func(id string) []Answer {
		var out []Answer
		for _, a := range base() {
			if a.Question != id {
				out = append(out, a)
			}
		}
		return out
	}
	tests := []struct {
		name    string
		answers []Answer
		want    string // fragment of the error; "" means valid
	}{
		{"minimal valid", base(), ""},
		{"all answered", with(Answer{Question: "lift", Options: []string{AnswerNo}}, Answer{Question: "plan", Options: []string{"y"}},
			Answer{Question: "advice", Text: "多种树"}), ""},
		{"no with a reason", with(Answer{Question: "support", Options: []string{AnswerNo}, Text: "费用太高"}), ""},
		{"no without a reason where one is required", with(Answer{Question: "support", Options: []string{AnswerNo}}), `question support: text: a reason is required when the answer is "no"`},
		{"no without a reason where none is required", with(Answer{Question: "lift", Options: []string{AnswerNo}}), ""},
		{"required question missing", without("score"), "question score: an answer is required"},
		{"required question given empty", with(Answer{Question: "items"}), "question items: an answer is required"},
		{"unknown option", with(Answer{Question: "plan", Options: []string{"z"}}), `question plan: options: "z" is not an option of this question`},
		{"yes/no with another word", with(Answer{Question: "support", Options: []string{"maybe"}}), `"maybe" is not an option`},
		{"two options on single choice", with(Answer{Question: "plan", Options: []string{"x", "y"}}), "only one option may be chosen, not 2"},
		{"too many on multiple choice", with(Answer{Question: "items", Options: []string{"a", "b", "c"}}), "at most 2 options may be chosen, not 3"},
		{"option twice", with(Answer{Question: "items", Options: []string{"a", "a"}}), "option a is chosen twice"},
		{"rating above 5", with(Answer{Question: "score", Rating: 6}), "the rating must be from 1 to 5, not 6"},
		{"rating below 1", with(Answer{Question: "score", Rating: -1}), "the rating must be from 1 to 5, not -1"},
		{"rating with text", with(Answer{Question: "score", Rating: 3, Text: "好"}), "a rating question takes only a rating"},
		{"text for a choice question", with(Answer{Question: "plan", Options: []string{"x"}, Text: "?"}), "a single question takes no text"},
		{"unknown question", with(Answer{Question: "nope", Text: "?"}), "question nope: there is no such question in this round"},
		{"question answered twice", append(base(), Answer{Question: "score", Rating: 2}), "question score: the question is answered twice"},
		{"text too long", with(Answer{Question: "advice", Text: strings.Repeat("长", MaxTextRunes+1)}), "longer than 2000 characters"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ValidateAnswers(qs, tc.answers)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				for i := 1; i < len(got); i++ {
					if got[i-1].Question == got[i].Question {
						t.Errorf("answers not normalised: %+v", got)
					}
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	// Options come back in definition order, answers in question order.
	got, err := ValidateAnswers(qs, []Answer{{Question: "score", Rating: 2}, {Question: "items", Options: []string{"c", "a"}}, {Question: "support", Options: []string{AnswerYes}, Text: "多余"}})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Question != "support" || got[0].Text != "" || got[1].Options[0] != "a" || got[1].Options[1] != "c" || got[2].Question != "score" {
		t.Errorf("normalised answers %+v", got)
	}
}

func TestNaturalCompare(t *testing.T) {
	ordered := []string{"1幢", "2幢", "10幢", "10幢A", "101", "0102", "1101"}
	for i := 1; i < len(ordered); i++ {
		if naturalCompare(ordered[i-1], ordered[i]) >= 0 || naturalCompare(ordered[i], ordered[i-1]) <= 0 {
			t.Errorf("%q should come before %q", ordered[i-1], ordered[i])
		}
	}
}
