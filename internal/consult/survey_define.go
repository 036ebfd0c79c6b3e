package consult

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// problems collects validation findings.
type problems struct{ list []Problem }

func (p *problems) add(question, field, format string, args ...any) {
	p.list = append(p.list, Problem{Question: question, Field: field, Message: fmt.Sprintf(format, args...)})
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &ValidationError{Problems: p.list}
}

// validKey reports whether s may be a question or option id.
func validKey(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
		default:
			return false
		}
	}
	return true
}

func knownKind(k string) bool {
	switch k {
	case QuestionSingle, QuestionMultiple, QuestionRating, QuestionYesNo, QuestionText:
		return true
	}
	return false
}

// validateQuestions implements ValidateQuestions.
func validateQuestions(qs []Question) ([]Question, error) {
	var p problems
	if len(qs) > MaxQuestions {
		p.add("", "questions", "a round has at most %d questions, not %d", MaxQuestions, len(qs))
		return nil, p.err()
	}
	out := make([]Question, len(qs))
	seenQ := make(map[string]bool, len(qs))
	supports := 0
	for i, q := range qs {
		q.ID = strings.TrimSpace(q.ID)
		if q.ID == "" {
			q.ID = "q" + strconv.Itoa(i+1)
			for seenQ[q.ID] || idTaken(qs[i+1:], q.ID) {
				q.ID += "_"
			}
		}
		name := q.ID
		if !validKey(q.ID) {
			p.add(fmt.Sprintf("#%d", i+1), "id", "the id %q may hold only letters, digits, '_' and '-' (at most 40)", q.ID)
		} else if seenQ[q.ID] {
			p.add(name, "id", "the id is used by another question")
		}
		seenQ[q.ID] = true
		q.TextZH, q.TextEN = strings.TrimSpace(q.TextZH), strings.TrimSpace(q.TextEN)
		switch {
		case q.TextZH == "":
			p.add(name, "text_zh", "the question text (Chinese) is empty")
		case utf8.RuneCountInString(q.TextZH) > maxPromptRunes || utf8.RuneCountInString(q.TextEN) > maxPromptRunes:
			p.add(name, "text_zh", "the question text is longer than %d characters", maxPromptRunes)
		}
		if !knownKind(q.Kind) {
			p.add(name, "kind", "unknown kind %q (single, multiple, rating, yes_no or text)", q.Kind)
			out[i] = q
			continue
		}
		switch q.Kind {
		case QuestionSingle, QuestionMultiple:
			q.Options = validateOptions(&p, name, q.Options)
			if q.MaxChoices < 0 || (q.Kind == QuestionSingle && q.MaxChoices > 1) {
				p.add(name, "max_choices", "max choices %d does not fit a %s question", q.MaxChoices, q.Kind)
			}
			if q.Kind == QuestionMultiple && q.MaxChoices > len(q.Options) && len(q.Options) > 0 {
				p.add(name, "max_choices", "max choices %d exceeds the %d options", q.MaxChoices, len(q.Options))
			}
			if q.Kind == QuestionSingle {
				q.MaxChoices = 0
			}
		default:
			if len(q.Options) > 0 {
				p.add(name, "options", "a %s question has no options of its own", q.Kind)
			}
			if q.MaxChoices != 0 {
				p.add(name, "max_choices", "max choices belong to multiple-choice questions")
			}
		}
		if q.ReasonOnNo && q.Kind != QuestionYesNo {
			p.add(name, "reason_on_no", "a reason on \"no\" belongs to yes/no questions")
		}
		if !q.Support {
			for _, o := range q.Options {
				if o.Support {
					p.add(name, "options", "option %s is marked as support but the question is not the support question", o.ID)
					break
				}
			}
		} else {
			supports++
			switch q.Kind {
			case QuestionYesNo:
			case QuestionSingle:
				if !slices.ContainsFunc(q.Options, func(o Option) bool { return o.Support }) {
					p.add(name, "options", "the support question needs at least one option marked as support")
				} else if !slices.ContainsFunc(q.Options, func(o Option) bool { return !o.Support }) {
					p.add(name, "options", "the support question needs at least one option that is not support")
				}
			default:
				p.add(name, "support", "the support question must be a yes/no or a single-choice question, not %s", q.Kind)
			}
		}
		out[i] = q
	}
	if supports > 1 {
		p.add("", "support", "only one question may be the support question, %d are marked", supports)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return out, nil
}

func idTaken(qs []Question, id string) bool {
	return slices.ContainsFunc(qs, func(q Question) bool { return strings.TrimSpace(q.ID) == id })
}

func validateOptions(p *problems, question string, opts []Option) []Option {
	if len(opts) < 2 {
		p.add(question, "options", "a choice question needs at least two options, it has %d", len(opts))
	}
	if len(opts) > MaxOptions {
		p.add(question, "options", "a question has at most %d options, not %d", MaxOptions, len(opts))
	}
	out := make([]Option, len(opts))
	seen := make(map[string]bool, len(opts))
	texts := make(map[string]bool, len(opts))
	for i, o := range opts {
		o.ID = strings.TrimSpace(o.ID)
		if o.ID == "" {
			o.ID = "o" + strconv.Itoa(i+1)
			for seen[o.ID] || slices.ContainsFunc(opts[i+1:], func(x Option) bool { return strings.TrimSpace(x.ID) == o.ID }) {
				o.ID += "_"
			}
		}
		if !validKey(o.ID) {
			p.add(question, "options", "option id %q may hold only letters, digits, '_' and '-' (at most 40)", o.ID)
		} else if seen[o.ID] {
			p.add(question, "options", "option id %s is used twice", o.ID)
		}
		seen[o.ID] = true
		o.TextZH, o.TextEN = strings.TrimSpace(o.TextZH), strings.TrimSpace(o.TextEN)
		switch {
		case o.TextZH == "":
			p.add(question, "options", "option %s has no text", o.ID)
		case texts[o.TextZH]:
			p.add(question, "options", "option text %q appears twice", o.TextZH)
		case utf8.RuneCountInString(o.TextZH) > maxPromptRunes || utf8.RuneCountInString(o.TextEN) > maxPromptRunes:
			p.add(question, "options", "option %s is longer than %d characters", o.ID, maxPromptRunes)
		}
		texts[o.TextZH] = true
		out[i] = o
	}
	return out
}

// questionOptions returns the option ids a question accepts.
func questionOptions(q Question) []Option {
	if q.Kind == QuestionYesNo {
		return []Option{{ID: AnswerYes, TextZH: "是", TextEN: "Yes", Support: true}, {ID: AnswerNo, TextZH: "否", TextEN: "No"}}
	}
	return q.Options
}

// validateAnswers implements ValidateAnswers.
func validateAnswers(qs []Question, answers []Answer) ([]Answer, error) {
	var p problems
	byID := make(map[string]Answer, len(answers))
	for _, a := range answers {
		a.Question = strings.TrimSpace(a.Question)
		if !slices.ContainsFunc(qs, func(q Question) bool { return q.ID == a.Question }) {
			p.add(a.Question, "", "there is no such question in this round")
			continue
		}
		if _, dup := byID[a.Question]; dup {
			p.add(a.Question, "", "the question is answered twice")
			continue
		}
		byID[a.Question] = a
	}
	out := make([]Answer, 0, len(qs))
	for _, q := range qs {
		a, ok := byID[q.ID]
		a.Text = strings.TrimSpace(a.Text)
		empty := !ok || (len(a.Options) == 0 && a.Rating == 0 && a.Text == "")
		if empty {
			if q.Required {
				p.add(q.ID, "", "an answer is required")
			}
			continue
		}
		a = Answer{Question: q.ID, Options: a.Options, Rating: a.Rating, Text: a.Text}
		if utf8.RuneCountInString(a.Text) > MaxTextRunes {
			p.add(q.ID, "text", "the text is longer than %d characters", MaxTextRunes)
		}
		switch q.Kind {
		case QuestionSingle, QuestionMultiple, QuestionYesNo:
			if a.Rating != 0 {
				p.add(q.ID, "rating", "a %s question takes no rating", q.Kind)
			}
			if a.Text != "" && q.Kind != QuestionYesNo {
				p.add(q.ID, "text", "a %s question takes no text", q.Kind)
			}
			opts := questionOptions(q)
			seen := make(map[string]bool, len(a.Options))
			var chosen []string
			for _, id := range a.Options {
				id = strings.TrimSpace(id)
				switch {
				case !slices.ContainsFunc(opts, func(o Option) bool { return o.ID == id }):
					p.add(q.ID, "options", "%q is not an option of this question", id)
				case seen[id]:
					p.add(q.ID, "options", "option %s is chosen twice", id)
				default:
					seen[id] = true
					chosen = append(chosen, id)
				}
			}
			// keep definition order so that equal answers compare equal
			slices.SortFunc(chosen, func(x, y string) int {
				return slices.IndexFunc(opts, func(o Option) bool { return o.ID == x }) - slices.IndexFunc(opts, func(o Option) bool { return o.ID == y })
			})
			a.Options = chosen
			switch {
			case len(a.Options) == 0 && len(seen) == 0 && q.Kind == QuestionYesNo:
				p.add(q.ID, "options", "choose yes or no")
			case len(a.Options) == 0 && len(seen) == 0:
				p.add(q.ID, "options", "choose an option")
			case q.Kind != QuestionMultiple && len(a.Options) > 1:
				p.add(q.ID, "options", "only one option may be chosen, not %d", len(a.Options))
			case q.Kind == QuestionMultiple && q.MaxChoices > 0 && len(a.Options) > q.MaxChoices:
				p.add(q.ID, "options", "at most %d options may be chosen, not %d", q.MaxChoices, len(a.Options))
			}
			if q.Kind == QuestionYesNo && len(a.Options) == 1 {
				if a.Options[0] == AnswerNo && q.ReasonOnNo && a.Text == "" {
					p.add(q.ID, "text", "a reason is required when the answer is \"no\"")
				}
				if a.Options[0] == AnswerYes && a.Text != "" {
					a.Text = "" // a reason belongs to "no"
				}
			}
		case QuestionRating:
			if len(a.Options) > 0 || a.Text != "" {
				p.add(q.ID, "", "a rating question takes only a rating")
			}
			if a.Rating < MinRating || a.Rating > MaxRating {
				p.add(q.ID, "rating", "the rating must be from %d to %d, not %d", MinRating, MaxRating, a.Rating)
			}
		case QuestionText:
			if len(a.Options) > 0 || a.Rating != 0 {
				p.add(q.ID, "", "a text question takes only text")
			}
			if a.Text == "" {
				p.add(q.ID, "text", "the text is empty")
			}
		}
		out = append(out, a)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// supports reports whether an answer to the support question q supports.
func supports(q Question, a Answer) bool {
	if len(a.Options) != 1 {
		return false
	}
	for _, o := range questionOptions(q) {
		if o.ID == a.Options[0] {
			return o.Support
		}
	}
	return false
}
