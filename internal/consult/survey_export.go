package consult

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// xlsxSheet streams rows into one sheet of a workbook.
type xlsxSheet struct {
	sw   *excelize.StreamWriter
	rows int
}

func addXLSXSheet(f *excelize.File, name string, header []string) (*xlsxSheet, error) {
	if _, err := f.NewSheet(name); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return nil, err
	}
	style, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	if err := sw.SetColWidth(1, max(len(header), 1), 14); err != nil {
		return nil, err
	}
	cells := make([]any, len(header))
	for i, h := range header {
		cells[i] = excelize.Cell{StyleID: style, Value: h}
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return nil, err
	}
	return &xlsxSheet{sw: sw}, nil
}

func (s *xlsxSheet) add(vals ...any) error {
	s.rows++
	cell, err := excelize.CoordinatesToCellName(1, s.rows+1)
	if err != nil {
		return err
	}
	return s.sw.SetRow(cell, vals)
}

func closeWorkbook(f *excelize.File, w io.Writer, sheets ...*xlsxSheet) error {
	for _, s := range sheets {
		if err := s.sw.Flush(); err != nil {
			return err
		}
	}
	if err := f.DeleteSheet("Sheet1"); err != nil {
		return err
	}
	if _, err := f.WriteTo(w); err != nil {
		return err
	}
	return f.Close()
}

// percentCell rounds a ratio to two decimals of a per cent ("" when undefined).
func percentCell(r Ratio) any {
	if r.Den == 0 {
		return ""
	}
	return math.Round(r.Percent()*100) / 100
}

var channelNames = map[string]string{ResponseOnline: "线上", ResponseDoor: "入户", ResponsePhone: "电话", ResponsePaper: "纸质"}

var relationNames = map[string]string{RelationOwner: "业主", RelationTenant: "租户", RelationFamily: "家属"}

var confirmationNames = map[string]string{ConfirmSignature: "签字", ConfirmVerbal: "电话口头确认"}

// answerCell renders an answer for a spreadsheet cell.
func answerCell(q Question, a Answer) any {
	switch q.Kind {
	case QuestionRating:
		return a.Rating
	case QuestionText:
		return a.Text
	}
	texts := make([]string, 0, len(a.Options))
	for _, id := range a.Options {
		t := id
		for _, o := range questionOptions(q) {
			if o.ID == id {
				t = o.TextZH
			}
		}
		texts = append(texts, t)
	}
	out := strings.Join(texts, "；")
	if a.Text != "" {
		out += "（理由：" + a.Text + "）"
	}
	return out
}

func (s *SurveyService) exportResponses(ctx context.Context, roundID int64, w io.Writer) error {
	var rd *roundData
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		rd, err = s.loadRound(ctx, tx, roundID)
		return err
	})
	if err != nil {
		return err
	}
	header := []string{"户编码", "楼栋", "单元", "楼层", "房号", "专有面积(m²)", "已答复", "渠道", "答复人关系", "答复人", "确认方式", "确认时间", "提交时间", "修改次数"}
	for _, q := range rd.round.Questions {
		header = append(header, q.ID+" "+q.TextZH)
	}
	f := excelize.NewFile()
	sh, err := addXLSXSheet(f, "答卷", header)
	if err != nil {
		return fmt.Errorf("export responses: %w", err)
	}
	counts, err := s.submissionCounts(ctx, roundID)
	if err != nil {
		return err
	}
	for _, h := range rd.households {
		row := []any{h.Code, h.BuildingName, h.EntranceName, h.Floor, h.Room, float64(h.AreaDM2) / 100}
		resp, ok := rd.current[h.HouseholdID]
		if !ok {
			row = append(row, "否")
			if err := sh.add(row...); err != nil {
				return fmt.Errorf("export responses: %w", err)
			}
			continue
		}
		confirmed := ""
		if !resp.ConfirmedAt.IsZero() {
			confirmed = resp.ConfirmedAt.Format("2006-01-02 15:04:05Z")
		}
		row = append(row, "是", channelNames[resp.Channel], relationNames[resp.Relation], resp.RespondentName,
			confirmationNames[resp.Confirmation], confirmed, resp.SubmittedAt.Format("2006-01-02 15:04:05Z"), counts[h.HouseholdID]-1)
		for _, q := range rd.round.Questions {
			if a, ok := resp.Answer(q.ID); ok {
				row = append(row, answerCell(q, a))
			} else {
				row = append(row, "")
			}
		}
		if err := sh.add(row...); err != nil {
			return fmt.Errorf("export responses: %w", err)
		}
	}
	if err := closeWorkbook(f, w, sh); err != nil {
		return fmt.Errorf("export responses: %w", err)
	}
	return nil
}

// submissionCounts returns how many responses each household submitted to a round.
func (s *SurveyService) submissionCounts(ctx context.Context, roundID int64) (map[int64]int, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT household_id, COUNT(*) FROM survey_responses WHERE round_id = $1 GROUP BY household_id`, roundID)
	if err != nil {
		return nil, fmt.Errorf("count responses: %w", err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var h int64
		var n int
		if err := rows.Scan(&h, &n); err != nil {
			return nil, fmt.Errorf("count responses: %w", err)
		}
		out[h] = n
	}
	return out, rows.Err()
}

func (s *SurveyService) exportStats(ctx context.Context, roundID int64, w io.Writer) error {
	st, err := s.Stats(ctx, roundID)
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	fail := func(err error) error { return fmt.Errorf("export statistics: %w", err) }
	sum, err := addXLSXSheet(f, "概况", []string{"项目", "分子", "分母", "百分比(%)"})
	if err != nil {
		return fail(err)
	}
	rows := [][]any{
		{"问卷", st.Survey.Title, "", ""},
		{"轮次", st.Round.Title, st.Round.No, ""},
		{"覆盖率(已答复户/应答户)", st.Coverage.Num, st.Coverage.Den, percentCell(st.Coverage)},
	}
	if sp := st.Support; sp != nil {
		rows = append(rows,
			[]any{"支持率(户，按答复户)", sp.ByHouseholds.Num, sp.ByHouseholds.Den, percentCell(sp.ByHouseholds)},
			[]any{"支持率(专有面积dm²，按答复户)", sp.ByArea.Num, sp.ByArea.Den, percentCell(sp.ByArea)},
			[]any{"支持率(户，按全部应答户)", sp.OfAudienceHouseholds.Num, sp.OfAudienceHouseholds.Den, percentCell(sp.OfAudienceHouseholds)},
			[]any{"支持率(专有面积dm²，按全部应答户)", sp.OfAudienceArea.Num, sp.OfAudienceArea.Den, percentCell(sp.OfAudienceArea)})
	}
	for _, r := range st.Relations {
		rows = append(rows, []any{"答复人：" + relationNames[r.Relation], r.Coverage.Num, r.Coverage.Den, percentCell(r.Coverage)})
	}
	for _, c := range st.Channels {
		rows = append(rows, []any{"渠道：" + channelNames[c.Channel], c.Responses, st.Responded, percentCell(Ratio{c.Responses, st.Responded})})
	}
	for _, r := range rows {
		if err := sum.add(r...); err != nil {
			return fail(err)
		}
	}
	groupHeader := []string{"名称", "应答户", "已答复", "覆盖率(%)", "支持户", "答复支持题户", "支持率-户(%)", "支持面积(dm²)", "答复面积(dm²)", "支持率-面积(%)"}
	groupSheet := func(name string, groups []GroupStats) (*xlsxSheet, error) {
		sh, err := addXLSXSheet(f, name, groupHeader)
		if err != nil {
			return nil, err
		}
		for _, g := range groups {
			row := []any{g.Name, g.Households, g.Responded, percentCell(g.Coverage)}
			if sp := g.Support; sp != nil {
				row = append(row, sp.SupportHouseholds, sp.RespondentHouseholds, percentCell(sp.ByHouseholds),
					sp.SupportAreaDM2, sp.RespondentAreaDM2, percentCell(sp.ByArea))
			}
			if err := sh.add(row...); err != nil {
				return nil, err
			}
		}
		return sh, nil
	}
	bs, err := groupSheet("楼栋", st.Buildings)
	if err != nil {
		return fail(err)
	}
	es, err := groupSheet("单元", st.Entrances)
	if err != nil {
		return fail(err)
	}
	fs, err := groupSheet("楼层", st.Floors)
	if err != nil {
		return fail(err)
	}
	qs, err := addXLSXSheet(f, "答题分布", []string{"题号", "题目", "题型", "选项/评分", "次数", "作答户", "占比(%)"})
	if err != nil {
		return fail(err)
	}
	for _, q := range st.Questions {
		for _, o := range q.Options {
			if err := qs.add(q.Question, q.TextZH, q.Kind, o.TextZH, o.Count, q.Answered, percentCell(o.Share)); err != nil {
				return fail(err)
			}
		}
		for i, n := range q.Ratings {
			if err := qs.add(q.Question, q.TextZH, q.Kind, strconv.Itoa(i+MinRating)+"分", n, q.Answered, percentCell(Ratio{n, q.Answered})); err != nil {
				return fail(err)
			}
		}
		if q.Kind == QuestionText {
			if err := qs.add(q.Question, q.TextZH, q.Kind, "", q.Answered, q.Answered, ""); err != nil {
				return fail(err)
			}
		}
	}
	if err := closeWorkbook(f, w, sum, bs, es, fs, qs); err != nil {
		return fail(err)
	}
	return nil
}
