package consult

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"

	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/pii"
)

// placedHousehold is an audience household with the names of its building
// and entrance.
type placedHousehold struct {
	audienceRow
	BuildingName   string
	EntranceName   string
	EntranceNumber int
}

// roundData is everything the statistics, the call list and the exports read.
type roundData struct {
	survey     Survey
	round      Round
	households []placedHousehold  // sorted by building, entrance, floor, room
	current    map[int64]Response // household → current response
}

// naturalCompare orders strings with embedded numbers by their value, so that
// "2幢" comes before "10幢" and room "302" before "1101".
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, dn := digitPrefix(a), digitPrefix(b)
		if da > 0 && dn > 0 {
			na, nb := trimZeros(a[:da]), trimZeros(b[:dn])
			if c := cmp.Compare(len(na), len(nb)); c != 0 {
				return c
			}
			if c := cmp.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[dn:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func digitPrefix(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

func comparePlaced(x, y placedHousehold) int {
	return cmp.Or(naturalCompare(x.BuildingName, y.BuildingName), cmp.Compare(x.BuildingID, y.BuildingID),
		cmp.Compare(x.EntranceNumber, y.EntranceNumber), cmp.Compare(x.EntranceID, y.EntranceID),
		cmp.Compare(x.Floor, y.Floor), naturalCompare(x.Room, y.Room), cmp.Compare(x.HouseholdID, y.HouseholdID))
}

// readTx runs fn in a read-only transaction so that every query sees the same
// state of the database.
func (s *SurveyService) readTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	var opts *sql.TxOptions
	if s.db.Dialect() == db.Postgres {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	tx, err := s.db.Read().BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}

// loadRound reads a round that has opened, its audience and current responses.
func (s *SurveyService) loadRound(ctx context.Context, q db.Querier, roundID int64) (*roundData, error) {
	r, err := s.round(ctx, q, roundID)
	if err != nil {
		return nil, err
	}
	if r.Status == StatusDraft {
		return nil, fmt.Errorf("%w: survey round %d is a draft and has no audience yet", ErrState, roundID)
	}
	sv, err := s.survey(ctx, q, r.SurveyID)
	if err != nil {
		return nil, err
	}
	rd := &roundData{survey: sv, round: r, current: make(map[int64]Response)}
	rows, err := q.QueryContext(ctx, `SELECT a.household_id, a.household_code, a.building_id, a.entrance_id, a.floor, a.room,
		a.area_dm2, a.area_source, COALESCE(b.name, ''), COALESCE(e.name, ''), COALESCE(e.number, 0)
		FROM survey_audience a LEFT JOIN buildings b ON b.id = a.building_id LEFT JOIN entrances e ON e.id = a.entrance_id
		WHERE a.round_id = $1`, roundID)
	if err != nil {
		return nil, fmt.Errorf("read audience of survey round %d: %w", roundID, err)
	}
	for rows.Next() {
		var h placedHousehold
		var entrance sql.NullInt64
		if err := rows.Scan(&h.HouseholdID, &h.Code, &h.BuildingID, &entrance, &h.Floor, &h.Room, &h.AreaDM2, &h.AreaSource,
			&h.BuildingName, &h.EntranceName, &h.EntranceNumber); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read audience of survey round %d: %w", roundID, err)
		}
		h.EntranceID = entrance.Int64
		if h.BuildingName == "" {
			h.BuildingName = "#" + strconv.FormatInt(h.BuildingID, 10)
		}
		rd.households = append(rd.households, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read audience of survey round %d: %w", roundID, err)
	}
	slices.SortFunc(rd.households, comparePlaced)
	resp, err := s.listResponses(ctx, q, `round_id = $1 AND is_current`, roundID)
	if err != nil {
		return nil, err
	}
	for _, r := range resp {
		rd.current[r.HouseholdID] = r
	}
	return rd, nil
}

// supportAcc accumulates SupportFigures.
type supportAcc struct{ f SupportFigures }

func (a *supportAcc) add(area int64, answered, support bool) {
	a.f.AudienceHouseholds++
	a.f.AudienceAreaDM2 += area
	if answered {
		a.f.RespondentHouseholds++
		a.f.RespondentAreaDM2 += area
	}
	if support {
		a.f.SupportHouseholds++
		a.f.SupportAreaDM2 += area
	}
}

func (a *supportAcc) figures() *SupportFigures {
	f := a.f
	f.ByHouseholds = Ratio{f.SupportHouseholds, f.RespondentHouseholds}
	f.ByArea = Ratio{f.SupportAreaDM2, f.RespondentAreaDM2}
	f.OfAudienceHouseholds = Ratio{f.SupportHouseholds, f.AudienceHouseholds}
	f.OfAudienceArea = Ratio{f.SupportAreaDM2, f.AudienceAreaDM2}
	return &f
}

// groupAcc accumulates one GroupStats.
type groupAcc struct {
	g   GroupStats
	sup supportAcc
}

func (s *SurveyService) stats(ctx context.Context, roundID int64) (SurveyStats, error) {
	var st SurveyStats
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		rd, err := s.loadRound(ctx, tx, roundID)
		if err != nil {
			return err
		}
		st = rd.stats()
		return nil
	})
	st.ComputedAt = s.clock()
	return st, err
}

// stats computes the statistics of a loaded round.
func (rd *roundData) stats() SurveyStats {
	st := SurveyStats{Survey: rd.survey, Round: rd.round, Buildings: []GroupStats{}, Entrances: []GroupStats{}, Floors: []GroupStats{},
		Relations: []RelationStats{}, Channels: []ChannelStats{}, Questions: []QuestionStats{}}
	sq, hasSupport := rd.round.SupportQuestion()
	if hasSupport {
		st.SupportQuestion = sq.ID
	}
	var total supportAcc
	var buildings, entrances, floors []*groupAcc
	byBuilding := map[int64]*groupAcc{}
	byEntrance := map[int64]*groupAcc{}
	byFloor := map[int]*groupAcc{}
	group := func(list *[]*groupAcc, m map[int64]*groupAcc, id int64, name string, building int64) *groupAcc {
		g, ok := m[id]
		if !ok {
			g = &groupAcc{g: GroupStats{ID: id, Name: name, BuildingID: building}}
			m[id] = g
			*list = append(*list, g)
		}
		return g
	}
	relations := map[string]int64{}
	channels := map[string]int64{}
	for _, h := range rd.households {
		resp, responded := rd.current[h.HouseholdID]
		answered, support := false, false
		if responded {
			relations[resp.Relation]++
			channels[resp.Channel]++
			if hasSupport {
				if a, ok := resp.Answer(sq.ID); ok {
					answered, support = true, supports(sq, a)
				}
			}
		}
		gs := []*groupAcc{group(&buildings, byBuilding, h.BuildingID, h.BuildingName, 0)}
		if h.EntranceID != 0 {
			gs = append(gs, group(&entrances, byEntrance, h.EntranceID, h.BuildingName+h.EntranceName, h.BuildingID))
		}
		fg, ok := byFloor[h.Floor]
		if !ok {
			fg = &groupAcc{g: GroupStats{ID: int64(h.Floor), Name: strconv.Itoa(h.Floor) + "层"}}
			byFloor[h.Floor] = fg
			floors = append(floors, fg)
		}
		gs = append(gs, fg)
		for _, g := range gs {
			g.g.Households++
			if responded {
				g.g.Responded++
			}
			g.sup.add(h.AreaDM2, answered, support)
		}
		total.add(h.AreaDM2, answered, support)
		st.Households++
		if responded {
			st.Responded++
		}
	}
	st.Coverage = Ratio{st.Responded, st.Households}
	if hasSupport {
		st.Support = total.figures()
	}
	slices.SortStableFunc(floors, func(a, b *groupAcc) int { return cmp.Compare(a.g.ID, b.g.ID) })
	finish := func(list []*groupAcc, floor bool) []GroupStats {
		out := make([]GroupStats, len(list))
		for i, g := range list {
			g.g.Coverage = Ratio{g.g.Responded, g.g.Households}
			if hasSupport && !floor {
				g.g.Support = g.sup.figures()
			}
			out[i] = g.g
		}
		return out
	}
	st.Buildings, st.Entrances, st.Floors = finish(buildings, false), finish(entrances, false), finish(floors, true)
	for _, rel := range []string{RelationOwner, RelationTenant, RelationFamily} {
		st.Relations = append(st.Relations, RelationStats{Relation: rel, Responded: relations[rel], Coverage: Ratio{relations[rel], st.Households}})
	}
	for _, ch := range []string{ResponseOnline, ResponseDoor, ResponsePhone, ResponsePaper} {
		st.Channels = append(st.Channels, ChannelStats{Channel: ch, Responses: channels[ch]})
	}
	for _, q := range rd.round.Questions {
		st.Questions = append(st.Questions, rd.questionStats(q))
	}
	return st
}

// questionStats counts the answers of the audience's current responses to q.
func (rd *roundData) questionStats(q Question) QuestionStats {
	qs := QuestionStats{Question: q.ID, Kind: q.Kind, TextZH: q.TextZH, TextEN: q.TextEN}
	opts := questionOptions(q)
	counts := make(map[string]int64, len(opts))
	if q.Kind == QuestionRating {
		qs.Ratings = make([]int64, MaxRating-MinRating+1)
	}
	var sum int64
	for _, h := range rd.households {
		resp, ok := rd.current[h.HouseholdID]
		if !ok {
			continue
		}
		a, ok := resp.Answer(q.ID)
		if !ok {
			continue
		}
		qs.Answered++
		for _, o := range a.Options {
			counts[o]++
		}
		if q.Kind == QuestionRating && a.Rating >= MinRating && a.Rating <= MaxRating {
			qs.Ratings[a.Rating-MinRating]++
			sum += int64(a.Rating)
		}
		if q.Kind == QuestionYesNo && len(a.Options) == 1 && a.Options[0] == AnswerNo && a.Text != "" {
			qs.Reasons++
		}
	}
	if q.Kind == QuestionRating {
		qs.RatingMean = Ratio{sum, qs.Answered}
	}
	for _, o := range opts {
		qs.Options = append(qs.Options, OptionCount{ID: o.ID, TextZH: o.TextZH, TextEN: o.TextEN, Support: o.Support && q.Support,
			Count: counts[o.ID], Share: Ratio{counts[o.ID], qs.Answered}})
	}
	return qs
}

func (s *SurveyService) callList(ctx context.Context, roundID int64) ([]CallEntry, error) {
	var out []CallEntry
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		rd, err := s.loadRound(ctx, tx, roundID)
		if err != nil {
			return err
		}
		out = []CallEntry{}
		at := map[int64]int{}
		for _, h := range rd.households {
			if _, ok := rd.current[h.HouseholdID]; ok {
				continue
			}
			at[h.HouseholdID] = len(out)
			out = append(out, CallEntry{HouseholdID: h.HouseholdID, HouseholdCode: h.Code, BuildingID: h.BuildingID, BuildingName: h.BuildingName,
				EntranceID: h.EntranceID, EntranceName: h.EntranceName, Floor: h.Floor, Room: h.Room, OwnerNames: []string{}, Phones: []string{}})
		}
		if len(out) == 0 {
			return nil
		}
		rows, err := tx.QueryContext(ctx, `SELECT ho.household_id, o.name, o.phone_enc FROM survey_audience a
			JOIN household_owners ho ON ho.household_id = a.household_id JOIN owners o ON o.id = ho.owner_id
			WHERE a.round_id = $1 ORDER BY ho.household_id, ho.is_voter DESC, o.id`, roundID)
		if err != nil {
			return fmt.Errorf("read owners for the call list: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var hh int64
			var name string
			var phone []byte
			if err := rows.Scan(&hh, &name, &phone); err != nil {
				return fmt.Errorf("read owners for the call list: %w", err)
			}
			i, ok := at[hh]
			if !ok {
				continue
			}
			out[i].OwnerNames = append(out[i].OwnerNames, name)
			if s.box != nil && len(phone) > 0 {
				p, err := s.box.Open(phone)
				if err != nil {
					return fmt.Errorf("call list: phone of an owner of household %d: %w", hh, err)
				}
				if p != "" && !slices.Contains(out[i].Phones, pii.MaskPhone(p)) {
					out[i].Phones = append(out[i].Phones, pii.MaskPhone(p))
				}
			}
		}
		return rows.Err()
	})
	return out, err
}
