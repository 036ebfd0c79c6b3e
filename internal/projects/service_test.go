package projects

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"strings"
	"testing"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/checkup"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
)

// fakeConsult is the gates' view of surveys and votes, set by the test.
type fakeConsult struct {
	surveys []SurveyRound
	votes   []VoteResult
}

func (f *fakeConsult) SurveyRounds(context.Context, int64) ([]SurveyRound, error) {
	return f.surveys, nil
}
func (f *fakeConsult) Votes(context.Context, int64) ([]VoteResult, error) { return f.votes, nil }

// serviceWorld loads one compound with one six-storey building of one entrance
// and six households, one per floor.
func serviceWorld(t *testing.T, d *db.DB, cons Consultation) (*Service, context.Context) {
	t.Helper()
	now := func() time.Time { return time.Date(2026, 5, 10, 2, 0, 0, 0, time.UTC) }
	log := audit.New(d, now)
	ck, err := checkup.New(d, log, now)
	if err != nil {
		t.Fatal(err)
	}
	ts := now()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO regions (id, code, level, name, path, created_at, updated_at) VALUES (1, 'R1', 'district', '清河区', '/1/', $1, $1)`, []any{ts}},
		{`INSERT INTO regions (id, parent_id, code, level, name, path, created_at, updated_at) VALUES (2, 1, 'R2', 'subdistrict', '甲街道', '/1/2/', $1, $1)`, []any{ts}},
		{`INSERT INTO compounds (id, code, region_id, region_path, name, built_year, lon, lat, created_at, updated_at) VALUES (1, 'C1', 2, '/1/2/', '工人新村', 1988, 119.9, 31.7, $1, $1)`, []any{ts}},
		{`INSERT INTO buildings (id, code, compound_id, name, storeys, built_year, household_count, created_at, updated_at) VALUES (11, 'B11', 1, '1幢', 6, 1988, 6, $1, $1)`, []any{ts}},
		{`INSERT INTO entrances (id, code, building_id, name, number, created_at, updated_at) VALUES (111, 'E111', 11, '1单元', 1, $1, $1)`, []any{ts}},
	} {
		if _, err := d.Write().Exec(q.sql, q.args...); err != nil {
			t.Fatal(err)
		}
	}
	for f := 1; f <= 6; f++ {
		if _, err := d.Write().Exec(`INSERT INTO households (id, code, building_id, entrance_id, room, floor, registered_area_dm2, created_at, updated_at)
			VALUES ($1, $2, 11, 111, $3, $4, 6000, $5, $5)`, f, "H"+string(rune('0'+f)), string(rune('0'+f))+"01", f, ts); err != nil {
			t.Fatal(err)
		}
	}
	return New(d, log, ck, cons, now), audit.WithActor(context.Background(), audit.System("test"))
}

func TestProjectService(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		cons := &fakeConsult{}
		svc, ctx := serviceWorld(t, d, cons)
		if _, err := svc.Create(ctx, NewProject{Name: "工人新村加装电梯", Type: TypeVillage, PlanYear: 2027, Compounds: []int64{1}}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("village without a mode: %v", err)
		}
		p, err := svc.Create(ctx, NewProject{Name: "工人新村加装电梯", Type: TypeCompound, PlanYear: 2027, Buildings: []int64{11}})
		if err != nil {
			t.Fatal(err)
		}
		want := ScopeSums{Compounds: 1, Buildings: 1, Eligible: 1, Entrances: 1, Households: 6, AreaDM2: 36000}
		if p.Scope != want || p.RegionPath != "/1/2/" || p.RegionName != "甲街道" || p.Code != "GX2027-0001" || p.Stage != StagePool {
			t.Fatalf("project = %+v", p)
		}
		el, err := svc.AddItem(ctx, p.ID, ItemInput{Kind: "elevator", Name: "加装电梯", QuantityMilli: 1000, UnitCostFen: 60_000_000, VoteMatter: -1, TargetType: "entrance", TargetID: 111})
		if err != nil || el.VoteMatter != 7 || el.ShareRule != ShareByFloor || el.Class != ClassImprovement || el.TargetName != "1幢1单元" {
			t.Fatalf("elevator = %+v, %v", el, err)
		}
		if _, err := svc.AddItem(ctx, p.ID, ItemInput{Kind: "roof", Name: "屋面", QuantityMilli: 1000, UnitCostFen: 1, TargetType: "entrance", TargetID: 999}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("target outside the scope: %v", err)
		}
		if _, err := svc.Advance(ctx, p.ID, false, ""); err != nil {
			t.Fatal(err)
		}
		// Consultation: 3 of 6 households is not 2/3; 4 is, and the vote passes.
		cons.surveys = []SurveyRound{{Title: "加装电梯意愿", Stage: "survey", Status: "closed", HasSupport: true, SupportHouseholds: 3}}
		_, err = svc.Advance(ctx, p.ID, false, "")
		var ge *GateError
		if !errors.As(err, &ge) || len(ge.Missing) != 2 || ge.Missing[0].Condition != CondSurveySupport || ge.Missing[1].Condition != CondVotes {
			t.Fatalf("refusal = %v", err)
		}
		cons.surveys[0].SupportHouseholds = 4
		cons.votes = []VoteResult{{Matter: 7, ScopeType: "entrance", ScopeID: 111, Status: "closed", Result: "passed"}}
		if p, err = svc.Advance(ctx, p.ID, false, ""); err != nil || p.Stage != StageDesign {
			t.Fatalf("advance with the support and the vote = %v, %v", p.Stage, err)
		}

		// Shares: 300,000 yuan by floor, ground floor exempt: floors 2–6 weigh 1–5.
		if _, err := svc.SetFunding(ctx, el.ID, []Funding{{Source: SourceLocal, AmountFen: 30_000_000}, {Source: SourceResidents, AmountFen: 20_000_000}, {Source: SourceProvidentFund, AmountFen: 10_000_000}}); err != nil {
			t.Fatal(err)
		}
		_, shares, err := svc.Shares(ctx, el.ID)
		if err != nil || len(shares) != 6 {
			t.Fatalf("shares = %v, %v", shares, err)
		}
		for i, s := range shares {
			if s.AmountFen != int64(i)*2_000_000 {
				t.Errorf("floor %d pays %d fen, want %d", s.Floor, s.AmountFen, int64(i)*2_000_000)
			}
		}
		mine, err := svc.SharesOfHousehold(ctx, 6)
		if err != nil || len(mine) != 1 || mine[0].Share.AmountFen != 10_000_000 || mine[0].Project.ID != p.ID {
			t.Fatalf("top floor's shares = %+v, %v", mine, err)
		}

		// Milestones: planned before today and not reached is late.
		m, err := svc.AddMilestone(ctx, p.ID, MilestoneInput{ItemID: el.ID, Name: "井道基础", PlannedOn: "2026-05-01"})
		if err != nil || !m.Delayed || m.DelayDays != 9 {
			t.Fatalf("milestone = %+v, %v", m, err)
		}
		if m, err = svc.UpdateMilestone(ctx, m.ID, MilestoneInput{ItemID: el.ID, Name: "井道基础", PlannedOn: "2026-05-01", ActualOn: "2026-04-28"}); err != nil || m.Delayed {
			t.Fatalf("reached early = %+v, %v", m, err)
		}
		// A photo loses its metadata; a text file is no photo.
		var pic bytes.Buffer
		if err := jpeg.Encode(&pic, image.NewRGBA(image.Rect(0, 0, 8, 8)), nil); err != nil {
			t.Fatal(err)
		}
		withExif := append([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x10, 'E', 'x', 'i', 'f', 0, 0, 'G', 'P', 'S', '!', '!', '!', '!', '!'}, pic.Bytes()[2:]...)
		f, err := svc.AddFile(ctx, p.ID, m.ID, "before", "", "现场.jpg", bytes.NewReader(withExif))
		if err != nil {
			t.Fatal(err)
		}
		_, data, err := svc.FileContent(ctx, p.ID, f.ID)
		if err != nil || bytes.Contains(data, []byte("GPS!")) || bytes.Contains(data, []byte("Exif")) {
			t.Fatalf("stored photo keeps its metadata (%v)", err)
		}
		if _, err := svc.AddFile(ctx, p.ID, m.ID, "after", "", "a.txt", strings.NewReader("hello")); !errors.Is(err, ErrFile) {
			t.Fatalf("text as a photo: %v", err)
		}

		// Per-household notes.
		n, err := svc.AddNote(ctx, 2, NoteInput{ProjectID: p.ID, Kind: "follow_up", Body: "二楼住户担心采光，约定出图后上门解释", DueOn: "2026-06-01"})
		if err != nil || n.ProjectName != p.Name {
			t.Fatalf("note = %+v, %v", n, err)
		}
		if n, err = svc.SetNoteDone(ctx, n.ID, true); err != nil || !n.Done {
			t.Fatalf("done = %+v, %v", n, err)
		}
		if _, err := svc.AddNote(ctx, 2, NoteInput{Kind: "wish", Body: "x"}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("unknown kind: %v", err)
		}

		// Gates per type are stored and read back; a bad fraction is refused.
		if err := svc.SetGate(ctx, Gate{Type: TypeMicro, Stage: StageConsultation, Conditions: []Condition{CondSurveySupport}, SupportNum: 3, SupportDen: 4}); err != nil {
			t.Fatal(err)
		}
		if g, _ := svc.Gate(ctx, TypeMicro, StageConsultation); !g.Custom || g.SupportNum != 3 || g.Has(CondVotes) {
			t.Fatalf("stored gate = %+v", g)
		}
		if err := svc.SetGate(ctx, Gate{Type: TypeMicro, Stage: StagePool, SupportNum: 4, SupportDen: 3}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("4/3: %v", err)
		}
		var audited int
		if err := d.Read().QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action LIKE 'project.%' OR action LIKE 'household.note.%'`).Scan(&audited); err != nil || audited < 10 {
			t.Fatalf("audited changes = %d, %v", audited, err)
		}
	})
}
