package consult

import (
	"errors"
	"strings"
	"testing"
)

func TestReadRollCSV(t *testing.T) {
	// Excel adds a byte order mark; columns may come in any order; extra columns are ignored.
	src := "\ufeffowner_id, household_id,area_dm2,developer_unsold,name\n" +
		"A,101,8000,false,张三\n" +
		"B,102,7000,false,李四\n" +
		"C,102,7000,false,王五\n" +
		"D,901,6000,true,开发商\n" +
		"D,902,6000,true,开发商\n"
	roll, err := ReadRollCSV(strings.NewReader(src), "roll.csv")
	if err != nil {
		t.Fatal(err)
	}
	if roll.TotalHeads() != 3 || roll.TotalAreaDM2() != 8000+7000+12000 {
		t.Fatalf("heads %d area %d", roll.TotalHeads(), roll.TotalAreaDM2())
	}
	if u, _ := roll.UnitOfOwner("C"); u.AreaDM2 != 7000 || len(u.Owners) != 2 {
		t.Errorf("joint household = %+v", u)
	}

	bad := []struct {
		name, src, want string
	}{
		{"empty", "", "roll.csv: the file is empty"},
		{"missing column", "household_id,owner_id,area_dm2\n1,A,100\n", `roll.csv line 1 (developer_unsold): missing column "developer_unsold"`},
		{"header only", "household_id,owner_id,area_dm2,developer_unsold\n", "roll.csv: no household rows"},
		{"bad number", "household_id,owner_id,area_dm2,developer_unsold\n1,A,100,false\n2,B,12.5,false\n", `roll.csv line 3 (area_dm2): "12.5" is not a whole, non-negative number of dm²`},
		{"negative", "household_id,owner_id,area_dm2,developer_unsold\n1,A,-5,false\n", `roll.csv line 2 (area_dm2): "-5"`},
		{"empty area", "household_id,owner_id,area_dm2,developer_unsold\n1,A,,false\n", `roll.csv line 2 (area_dm2): ""`},
		{"bad flag", "household_id,owner_id,area_dm2,developer_unsold\n1,A,100,no\n", `roll.csv line 2 (developer_unsold): "no" is not true or false`},
		{"empty owner", "household_id,owner_id,area_dm2,developer_unsold\n1,A,100,false\n\n2,,100,false\n", "roll.csv line 4 (owner_id): empty"},
		{"inconsistent area", "household_id,owner_id,area_dm2,developer_unsold\n1,A,100,false\n2,B,90,false\n1,C,101,false\n", "roll.csv line 4 (area_dm2): household 1 has area 101 here but 100 on line 2"},
		{"inconsistent developer flag", "household_id,owner_id,area_dm2,developer_unsold\n1,A,100,true\n1,C,100,false\n", "roll.csv line 3 (developer_unsold): household 1 is false here but true on line 2"},
		{"owner twice", "household_id,owner_id,area_dm2,developer_unsold\n1,A,100,false\n1,A,100,false\n", "roll.csv line 3 (owner_id): owner A is listed twice for household 1"},
		{"short row", "household_id,owner_id,area_dm2,developer_unsold\n1,A,100,false\n2,B,100\n", "roll.csv line 3: wrong number of fields"},
		{"quote", "household_id,owner_id,area_dm2,developer_unsold\n1,\"A,100,false\n", "roll.csv line 2:"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadRollCSV(strings.NewReader(c.src), "roll.csv")
			if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrFile) {
				t.Errorf("error = %v, want %q", err, c.want)
			}
		})
	}
}

func TestReadBallotsCSV(t *testing.T) {
	roll, err := ReadRollCSV(strings.NewReader("household_id,owner_id,area_dm2,developer_unsold\n1,A,100,false\n2,B,100,false\n"), "roll.csv")
	if err != nil {
		t.Fatal(err)
	}
	rs := mustRules(t, "")
	bs, err := ReadBallotsCSV(strings.NewReader("owner_id,choice,signed_at\nA,agree,x\nB, Abstain ,y\nA,disagree,z\n"), "ballots.csv", roll, rs)
	if err != nil || len(bs) != 3 || bs[1].Choice != Abstain || bs[2].Choice != Disagree {
		t.Fatalf("ballots = %+v, %v", bs, err)
	}
	bad := []struct {
		name, src, want string
	}{
		{"missing column", "owner_id\nA\n", `ballots.csv line 1 (choice): missing column "choice"`},
		{"not on roll", "owner_id,choice\nA,agree\nB,agree\nZ,agree\n", "ballots.csv line 4 (owner_id): owner Z is not on the roll"},
		{"bad choice", "owner_id,choice\nA,agree\nB,yes\n", `ballots.csv line 3 (choice): choice must be agree, disagree or abstain, not "yes"`},
		{"empty owner", "owner_id,choice\n,agree\n", "ballots.csv line 2 (owner_id): empty"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadBallotsCSV(strings.NewReader(c.src), "ballots.csv", roll, rs)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error = %v, want %q", err, c.want)
			}
		})
	}
}
