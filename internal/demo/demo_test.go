package demo

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/gengxin/gengxin/internal/places"
)

func generate(t testing.TB, opts Options) (*places.Dataset, *Network) {
	t.Helper()
	ds, net, err := Generate(opts)
	if err != nil {
		t.Fatalf("Generate(%+v): %v", opts, err)
	}
	return ds, net
}

// digest hashes a canonical text form of everything generated.
func digest(ds *places.Dataset, net *Network) string {
	h := sha256.New()
	write := func(v any) { fmt.Fprintf(h, "%+v\n", v) }
	for _, v := range ds.Regions {
		write(v)
	}
	for _, v := range ds.Compounds {
		write(v)
	}
	for _, v := range ds.Buildings {
		write(v)
	}
	for _, v := range ds.Entrances {
		write(v)
	}
	for _, v := range ds.Households {
		write(v)
	}
	for _, v := range ds.Owners {
		write(v)
	}
	for _, v := range ds.HouseholdOwners {
		write(v)
	}
	for _, v := range ds.Facilities {
		write(v)
	}
	for _, v := range net.Nodes {
		write(v)
	}
	for _, v := range net.Ways {
		write(v)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestSameSeedSameDataset(t *testing.T) {
	a := digest(generate(t, Options{}))
	b := digest(generate(t, Options{Seed: DefaultSeed, Scale: 1}))
	if a != b {
		t.Fatalf("two runs with the default seed differ: %s vs %s", a, b)
	}
	if c := digest(generate(t, Options{Seed: 7})); c == a {
		t.Fatal("seed 7 gives the same dataset as the default seed")
	}
}

func TestCountsAtScaleOne(t *testing.T) {
	ds, _ := generate(t, Options{})
	levels := map[string]int{}
	for _, r := range ds.Regions {
		levels[r.Level]++
	}
	tests := []struct {
		what   string
		got    int
		lo, hi int
	}{
		{"cities", levels[places.LevelCity], 1, 1},
		{"districts", levels[places.LevelDistrict], 1, 1},
		{"subdistricts", levels[places.LevelSubdistrict], 6, 6},
		{"communities", levels[places.LevelCommunity], 28, 32},
		{"grids", levels[places.LevelGrid], 140, 160},
		{"compounds", len(ds.Compounds), 380, 420},
		{"buildings", len(ds.Buildings), 3800, 4200},
		{"households", len(ds.Households), 95000, 105000},
		{"facilities", len(ds.Facilities), 380, 420},
	}
	for _, tc := range tests {
		if tc.got < tc.lo || tc.got > tc.hi {
			t.Errorf("%s: %d, want %d–%d", tc.what, tc.got, tc.lo, tc.hi)
		}
	}
}

func TestOtherSeedsStayInRange(t *testing.T) {
	for _, seed := range []int64{1, 2, 99} {
		ds, _ := generate(t, Options{Seed: seed})
		if n := len(ds.Households); n < 95000 || n > 105000 {
			t.Errorf("seed %d: %d households", seed, n)
		}
		if n := len(ds.Buildings); n < 3800 || n > 4200 {
			t.Errorf("seed %d: %d buildings", seed, n)
		}
	}
}

func TestCompoundsAndBuildingsLookOld(t *testing.T) {
	ds, _ := generate(t, Options{})
	core := 0
	modes := map[string]int{}
	renos := map[string]int{}
	for _, c := range ds.Compounds {
		if c.BuiltYear < 1980 || c.BuiltYear > 2015 {
			t.Errorf("compound %s built %d", c.Code, c.BuiltYear)
		}
		if c.BuiltYear >= 1985 && c.BuiltYear <= 2000 {
			core++
		}
		if len(c.Gates) < 1 || len(c.Gates) > 3 {
			t.Errorf("compound %s has %d gates", c.Code, len(c.Gates))
		}
		if !regexp.MustCompile(`^\p{Han}+(路|街|巷|弄|里|大道)\d+号$`).MatchString(c.Address) {
			t.Errorf("compound %s address %q", c.Code, c.Address)
		}
		modes[c.PropertyMode]++
		renos[c.RenovationStatus]++
	}
	if core*2 <= len(ds.Compounds) {
		t.Errorf("only %d of %d compounds built 1985–2000", core, len(ds.Compounds))
	}
	for _, m := range []string{places.PropertyNone, places.PropertyCaretaker, places.PropertyTrust, places.PropertyProfessional} {
		if modes[m] == 0 {
			t.Errorf("no compound with property mode %s", m)
		}
	}
	for _, s := range places.RenovationStatuses {
		if renos[s] == 0 {
			t.Errorf("no compound with renovation status %s", s)
		}
	}
	if renos[places.RenovationNone] < renos[places.RenovationDone] {
		t.Errorf("more renovated compounds (%d) than untouched ones (%d)", renos[places.RenovationDone], renos[places.RenovationNone])
	}

	midRise, noLift, tall := 0, 0, 0
	perBuilding := map[int64]int{}
	for _, h := range ds.Households {
		perBuilding[h.BuildingID]++
	}
	for _, b := range ds.Buildings {
		if b.Storeys >= 5 && b.Storeys <= 7 {
			midRise++
		}
		if !b.HasElevator {
			noLift++
		}
		if b.Storeys >= 11 {
			tall++
			if !b.HasElevator {
				t.Errorf("building %s has %d storeys and no elevator", b.Code, b.Storeys)
			}
		}
		if b.EntranceCount < 1 || b.EntranceCount > 4 {
			t.Errorf("building %s has %d entrances", b.Code, b.EntranceCount)
		}
		if perBuilding[b.ID] != b.HouseholdCount {
			t.Errorf("building %s says %d households, has %d", b.Code, b.HouseholdCount, perBuilding[b.ID])
		}
		if !slicesContain(places.Structures, b.Structure) {
			t.Errorf("building %s structure %q", b.Code, b.Structure)
		}
		if b.GasPipeYear != 0 && b.GasPipeYear < b.BuiltYear {
			t.Errorf("building %s gas pipes (%d) older than the building (%d)", b.Code, b.GasPipeYear, b.BuiltYear)
		}
	}
	if midRise*2 <= len(ds.Buildings) {
		t.Errorf("only %d of %d buildings have 5–7 storeys", midRise, len(ds.Buildings))
	}
	if noLift*2 <= len(ds.Buildings) {
		t.Errorf("only %d of %d buildings lack an elevator", noLift, len(ds.Buildings))
	}
	if tall == 0 {
		t.Error("no building of 11 storeys or more")
	}
}

func slicesContain(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestFootprintsDoNotOverlap(t *testing.T) {
	ds, _ := generate(t, Options{})
	compounds := map[int64]places.Compound{}
	for _, c := range ds.Compounds {
		compounds[c.ID] = c
	}
	byCompound := map[int64][]places.Building{}
	for _, b := range ds.Buildings {
		c := compounds[b.CompoundID]
		if !inside(b.BBox, c.BBox) {
			t.Errorf("building %s sticks out of compound %s", b.Code, c.Code)
		}
		byCompound[b.CompoundID] = append(byCompound[b.CompoundID], b)
	}
	for _, bs := range byCompound {
		for i := range bs {
			for j := i + 1; j < len(bs); j++ {
				a, b := bs[i].BBox, bs[j].BBox
				if a.MinLon < b.MaxLon && b.MinLon < a.MaxLon && a.MinLat < b.MaxLat && b.MinLat < a.MaxLat {
					t.Errorf("buildings %s and %s overlap", bs[i].Code, bs[j].Code)
				}
			}
		}
	}
}

func TestHouseholdsAndOwners(t *testing.T) {
	ds, _ := generate(t, Options{})
	buildings := map[int64]places.Building{}
	for _, b := range ds.Buildings {
		buildings[b.ID] = b
	}
	sources := map[string]int{}
	occupancy := map[string]int{}
	nonSelf, developerHeld := 0, 0
	for _, h := range ds.Households {
		area, src := h.Area()
		if area < 4000 || area > 12000 {
			t.Errorf("household %s: %s m²", h.Code, places.FormatArea(area))
		}
		sources[src]++
		occupancy[h.Occupancy]++
		if !h.HasKitchen || !h.HasToilet {
			nonSelf++
			if y := buildings[h.BuildingID].BuiltYear; y > 1990 {
				t.Errorf("household %s without kitchen or toilet in a building of %d", h.Code, y)
			}
		}
		if h.DeveloperHeld {
			developerHeld++
		}
		if !strings.HasSuffix(h.Code, fmt.Sprintf("-%02d%s", h.Floor, h.Room[len(h.Room)-2:])) {
			t.Errorf("household %s: floor %d room %s", h.Code, h.Floor, h.Room)
		}
	}
	if sources[places.AreaRegistered]*2 <= len(ds.Households) || sources[places.AreaSurveyed] == 0 || sources[places.AreaContract] == 0 {
		t.Errorf("area sources %v: want mostly registered, some surveyed and contract", sources)
	}
	for _, o := range places.Occupancies {
		if occupancy[o] == 0 {
			t.Errorf("no household with occupancy %s", o)
		}
	}
	if nonSelf == 0 {
		t.Error("no household without its own kitchen or toilet")
	}

	owners := map[int64]places.Owner{}
	ids := map[string]bool{}
	phone := regexp.MustCompile(`^1[3-9]\d{9}$`)
	orgs := 0
	for _, o := range ds.Owners {
		owners[o.ID] = o
		switch o.Kind {
		case places.OwnerPerson:
			if !ValidIDNumber(o.IDNumber) || !strings.HasPrefix(o.IDNumber, "3204") {
				t.Errorf("owner %s ID number %q", o.Code, o.IDNumber)
			}
			if ids[o.IDNumber] {
				t.Errorf("ID number %s given twice", o.IDNumber)
			}
			ids[o.IDNumber] = true
			if !phone.MatchString(o.Phone) {
				t.Errorf("owner %s phone %q", o.Code, o.Phone)
			}
			if n := len([]rune(o.Name)); n < 2 || n > 4 {
				t.Errorf("owner %s name %q", o.Code, o.Name)
			}
			if o.IsDeveloper {
				t.Errorf("person %s is a developer", o.Code)
			}
		case places.OwnerOrganisation:
			orgs++
		default:
			t.Errorf("owner %s kind %q", o.Code, o.Kind)
		}
	}
	if orgs == 0 {
		t.Error("no organisation owners")
	}

	type tally struct{ links, voters, share int }
	perHousehold := map[int64]*tally{}
	perOwner := map[int64]int{}
	for _, l := range ds.HouseholdOwners {
		tl := perHousehold[l.HouseholdID]
		if tl == nil {
			tl = &tally{}
			perHousehold[l.HouseholdID] = tl
		}
		tl.links++
		tl.share += l.ShareBP
		if l.IsVoter {
			tl.voters++
		}
		perOwner[l.OwnerID]++
	}
	joint := 0
	for _, h := range ds.Households {
		tl := perHousehold[h.ID]
		if tl == nil {
			t.Errorf("household %s has no owner", h.Code)
			continue
		}
		if tl.voters != 1 || tl.share != 10000 {
			t.Errorf("household %s: %d voters, shares %d", h.Code, tl.voters, tl.share)
		}
		if tl.links == 2 {
			joint++
		}
	}
	multi := 0
	for id, n := range perOwner {
		if n > 1 && owners[id].Kind == places.OwnerPerson {
			multi++
		}
	}
	developerUnits := 0
	for _, l := range ds.HouseholdOwners {
		if owners[l.OwnerID].IsDeveloper {
			developerUnits++
		}
	}
	if joint == 0 || multi == 0 || developerHeld == 0 {
		t.Errorf("joint households %d, persons owning several units %d, developer-held units %d: want some of each", joint, multi, developerHeld)
	}
	if developerUnits != developerHeld {
		t.Errorf("%d households are developer-held, %d are owned by a developer", developerHeld, developerUnits)
	}
}

func TestCodesUniqueAndReferencesResolve(t *testing.T) {
	for _, scale := range []int{1, 2} {
		t.Run(fmt.Sprint("scale", scale), func(t *testing.T) {
			ds, _ := generate(t, Options{Scale: scale})
			checkDataset(t, ds)
		})
	}
}

func checkDataset(t *testing.T, ds *places.Dataset) {
	t.Helper()
	unique := func(table string, codes []string) {
		seen := make(map[string]bool, len(codes))
		for _, c := range codes {
			if c == "" || seen[c] {
				t.Errorf("%s: code %q empty or repeated", table, c)
			}
			seen[c] = true
		}
	}
	var codes []string
	regions := map[int64]places.Region{}
	for _, r := range ds.Regions {
		regions[r.ID] = r
		codes = append(codes, r.Code)
	}
	unique("regions", codes)
	codes = codes[:0]
	compounds := map[int64]places.Compound{}
	for _, c := range ds.Compounds {
		compounds[c.ID] = c
		codes = append(codes, c.Code)
	}
	unique("compounds", codes)
	codes = codes[:0]
	buildings := map[int64]places.Building{}
	for _, b := range ds.Buildings {
		buildings[b.ID] = b
		codes = append(codes, b.Code)
	}
	unique("buildings", codes)
	codes = codes[:0]
	entrances := map[int64]places.Entrance{}
	for _, e := range ds.Entrances {
		entrances[e.ID] = e
		codes = append(codes, e.Code)
	}
	unique("entrances", codes)
	codes = codes[:0]
	households := map[int64]bool{}
	for _, h := range ds.Households {
		households[h.ID] = true
		codes = append(codes, h.Code)
	}
	unique("households", codes)
	codes = codes[:0]
	owners := map[int64]bool{}
	for _, o := range ds.Owners {
		owners[o.ID] = true
		codes = append(codes, o.Code)
	}
	unique("owners", codes)
	codes = codes[:0]
	for _, f := range ds.Facilities {
		codes = append(codes, f.Code)
	}
	unique("facilities", codes)
	for _, r := range ds.Regions {
		if len(r.Code) != 12 {
			t.Errorf("region %s code is not 12 digits", r.Code)
		}
		if r.ParentID == 0 {
			if r.Level != places.LevelCity || r.Path != fmt.Sprintf("/%d/", r.ID) {
				t.Errorf("root %s: level %s path %s", r.Code, r.Level, r.Path)
			}
			continue
		}
		p, ok := regions[r.ParentID]
		if !ok {
			t.Errorf("region %s: parent %d missing", r.Code, r.ParentID)
			continue
		}
		if places.LevelRank(r.Level) != places.LevelRank(p.Level)+1 {
			t.Errorf("region %s (%s) under %s (%s)", r.Code, r.Level, p.Code, p.Level)
		}
		if r.Path != fmt.Sprintf("%s%d/", p.Path, r.ID) {
			t.Errorf("region %s path %s under %s", r.Code, r.Path, p.Path)
		}
	}
	for _, c := range ds.Compounds {
		g, ok := regions[c.RegionID]
		if !ok || g.Level != places.LevelGrid || c.RegionPath != g.Path {
			t.Errorf("compound %s: region %d (%s) path %s", c.Code, c.RegionID, g.Level, c.RegionPath)
		}
	}
	for _, b := range ds.Buildings {
		if c, ok := compounds[b.CompoundID]; !ok || !strings.HasPrefix(b.Code, c.Code+"-") {
			t.Errorf("building %s: compound %d", b.Code, b.CompoundID)
		}
	}
	for _, e := range ds.Entrances {
		if b, ok := buildings[e.BuildingID]; !ok || !strings.HasPrefix(e.Code, b.Code+"-") {
			t.Errorf("entrance %s: building %d", e.Code, e.BuildingID)
		}
	}
	for _, h := range ds.Households {
		e, ok := entrances[h.EntranceID]
		if _, bok := buildings[h.BuildingID]; !ok || !bok || e.BuildingID != h.BuildingID || !strings.HasPrefix(h.Code, e.Code+"-") {
			t.Errorf("household %s: building %d entrance %d", h.Code, h.BuildingID, h.EntranceID)
		}
	}
	for _, l := range ds.HouseholdOwners {
		if !households[l.HouseholdID] || !owners[l.OwnerID] {
			t.Errorf("link %+v does not resolve", l)
		}
	}
	for _, f := range ds.Facilities {
		g, ok := regions[f.RegionID]
		if !ok || g.Level != places.LevelGrid || f.RegionPath != g.Path {
			t.Errorf("facility %s: region %d path %s", f.Code, f.RegionID, f.RegionPath)
		}
	}
}

func inside(in, out places.BBox) bool {
	return in.MinLon >= out.MinLon && in.MaxLon <= out.MaxLon && in.MinLat >= out.MinLat && in.MaxLat <= out.MaxLat
}

type polygon struct {
	Type        string         `json:"type"`
	Coordinates [][][2]float64 `json:"coordinates"`
}

func parsePolygon(t *testing.T, s string) polygon {
	t.Helper()
	var p polygon
	if err := json.Unmarshal([]byte(s), &p); err != nil || p.Type != "Polygon" || len(p.Coordinates) == 0 || len(p.Coordinates[0]) < 4 {
		t.Fatalf("bad polygon %q: %v", s, err)
	}
	ring := p.Coordinates[0]
	if ring[0] != ring[len(ring)-1] {
		t.Fatalf("polygon ring not closed: %q", s)
	}
	return p
}

// contains is an even–odd ray-casting test on the outer ring.
func (p polygon) contains(lon, lat float64) bool {
	ring := p.Coordinates[0]
	in := false
	for i, j := 0, len(ring)-1; i < len(ring); j, i = i, i+1 {
		a, b := ring[i], ring[j]
		if (a[1] > lat) != (b[1] > lat) && lon < (b[0]-a[0])*(lat-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}

func (p polygon) area() float64 {
	ring := p.Coordinates[0]
	s := 0.0
	for i := 1; i < len(ring); i++ {
		s += ring[i-1][0]*ring[i][1] - ring[i][0]*ring[i-1][1]
	}
	return math.Abs(s) / 2
}

func TestRegionsNest(t *testing.T) {
	ds, _ := generate(t, Options{Scale: 2})
	byID := map[int64]places.Region{}
	childArea := map[int64]float64{}
	for _, r := range ds.Regions {
		byID[r.ID] = r
		poly := parsePolygon(t, r.Geometry)
		for _, pt := range poly.Coordinates[0] {
			if pt[0] < r.BBox.MinLon || pt[0] > r.BBox.MaxLon || pt[1] < r.BBox.MinLat || pt[1] > r.BBox.MaxLat {
				t.Errorf("region %s: polygon corner %v outside its box", r.Code, pt)
			}
		}
		if r.ParentID != 0 {
			if !inside(r.BBox, byID[r.ParentID].BBox) {
				t.Errorf("region %s box %+v not inside its parent %s", r.Code, r.BBox, byID[r.ParentID].Code)
			}
			childArea[r.ParentID] += poly.area()
		}
	}
	// Children partition their parent: their areas add up to it (the city may
	// have empty district slots).
	for _, r := range ds.Regions {
		ca, ok := childArea[r.ID]
		if !ok || r.Level == places.LevelCity {
			continue
		}
		pa := parsePolygon(t, r.Geometry).area()
		if math.Abs(ca-pa) > pa*1e-6 {
			t.Errorf("region %s: children cover %.9f of %.9f", r.Code, ca, pa)
		}
	}
}

func TestPlacesLieInsideTheirGrid(t *testing.T) {
	ds, _ := generate(t, Options{})
	grids := map[int64]polygon{}
	boxes := map[int64]places.BBox{}
	for _, r := range ds.Regions {
		if r.Level == places.LevelGrid {
			grids[r.ID] = parsePolygon(t, r.Geometry)
			boxes[r.ID] = r.BBox
		}
	}
	for _, c := range ds.Compounds {
		if !grids[c.RegionID].contains(c.Lon, c.Lat) {
			t.Errorf("compound %s centre (%f, %f) outside its grid", c.Code, c.Lon, c.Lat)
		}
		if !inside(c.BBox, boxes[c.RegionID]) {
			t.Errorf("compound %s sticks out of its grid", c.Code)
		}
		if !parsePolygon(t, c.Geometry).contains(c.Lon, c.Lat) {
			t.Errorf("compound %s centre outside its own polygon", c.Code)
		}
	}
	for _, f := range ds.Facilities {
		if !grids[f.RegionID].contains(f.Lon, f.Lat) {
			t.Errorf("facility %s (%s) outside its grid", f.Code, f.Name)
		}
	}
}

func TestFacilities(t *testing.T) {
	ds, _ := generate(t, Options{})
	perCategory := map[string]int{}
	regionOf := map[int64]int64{} // grid → community
	for _, r := range ds.Regions {
		if r.Level == places.LevelGrid {
			regionOf[r.ID] = r.ParentID
		}
	}
	communities := 0
	for _, r := range ds.Regions {
		if r.Level == places.LevelCommunity {
			communities++
		}
	}
	served := map[string]map[int64]bool{}
	for _, f := range ds.Facilities {
		if _, ok := places.CategoryByCode(f.Category); !ok {
			t.Errorf("facility %s: unknown category %q", f.Code, f.Category)
		}
		if f.Source != "demo" || f.Name == "" || f.Address == "" {
			t.Errorf("facility %s: source %q name %q address %q", f.Code, f.Source, f.Name, f.Address)
		}
		perCategory[f.Category]++
		if served[f.Category] == nil {
			served[f.Category] = map[int64]bool{}
		}
		served[f.Category][regionOf[f.RegionID]] = true
		if f.Category == "park" {
			if f.SiteAreaDM2 < 1000*100 || f.SiteAreaDM2 > 60000*100 {
				t.Errorf("park %s of %s m²", f.Name, places.FormatArea(f.SiteAreaDM2))
			}
			if f.Geometry == "" {
				t.Errorf("park %s has no outline", f.Name)
			}
		}
	}
	for _, c := range places.Categories {
		if perCategory[c.Code] == 0 {
			t.Errorf("no facility of category %s", c.Code)
		}
	}
	for _, cat := range []string{"kindergarten", "elderly_daycare"} {
		if n := len(served[cat]); n == 0 || n >= communities {
			t.Errorf("%s in %d of %d communities: want some gaps", cat, n, communities)
		}
	}
}

func TestIDCheckDigit(t *testing.T) {
	tests := []struct {
		id    string
		valid bool
	}{
		{"11010519491231002X", true},
		{"440524188001010014", true},
		{"320402198001010010", false},
		{"11010519491231002", false},
		{"1101051949123100AX", false},
	}
	for _, tc := range tests {
		if got := ValidIDNumber(tc.id); got != tc.valid {
			t.Errorf("ValidIDNumber(%q) = %v, want %v", tc.id, got, tc.valid)
		}
	}
}

func TestAccounts(t *testing.T) {
	ds, _ := generate(t, Options{})
	regions := map[string]string{}
	for _, r := range ds.Regions {
		regions[r.Code] = r.Level
	}
	households := map[string]bool{}
	for _, h := range ds.Households {
		households[h.Code] = true
	}
	want := map[string]string{
		"admin": "", "district_officer": places.LevelDistrict, "subdistrict_officer": places.LevelSubdistrict,
		"community_worker": places.LevelCommunity, "grid_worker": places.LevelGrid,
		"department_handler": places.LevelDistrict, "resident": "", "auditor": "",
	}
	accounts := Accounts(ds)
	if len(accounts) != len(want) {
		t.Fatalf("%d accounts, want %d", len(accounts), len(want))
	}
	users := map[string]bool{}
	for _, a := range accounts {
		level, ok := want[a.Role]
		if !ok {
			t.Errorf("unexpected role %q", a.Role)
		}
		delete(want, a.Role)
		if users[a.Username] || a.Username == "" || a.DisplayName == "" {
			t.Errorf("account %+v: username repeated or empty", a)
		}
		users[a.Username] = true
		if a.Password != Password {
			t.Errorf("account %s password %q", a.Username, a.Password)
		}
		if level == "" && a.RegionCode != "" {
			t.Errorf("account %s scoped to %s, want no region", a.Username, a.RegionCode)
		}
		if level != "" && regions[a.RegionCode] != level {
			t.Errorf("account %s region %q is not a %s of the dataset", a.Username, a.RegionCode, level)
		}
		if (a.Role == "resident") != (a.HouseholdCode != "") {
			t.Errorf("account %s household %q", a.Username, a.HouseholdCode)
		}
		if a.HouseholdCode != "" && !households[a.HouseholdCode] {
			t.Errorf("resident household %q not in the dataset", a.HouseholdCode)
		}
	}
}

func TestScaleTwoPutsTwoDistrictsUnderOneCity(t *testing.T) {
	one, _ := generate(t, Options{})
	ds, net := generate(t, Options{Scale: 2})
	districts := 0
	for _, r := range ds.Regions {
		switch r.Level {
		case places.LevelCity:
			if r.ParentID != 0 {
				t.Errorf("city %s has a parent", r.Code)
			}
		case places.LevelDistrict:
			districts++
		}
	}
	if districts != 2 {
		t.Errorf("%d districts, want 2", districts)
	}
	if n := len(ds.Households); n < 190000 || n > 210000 {
		t.Errorf("%d households at scale 2", n)
	}
	if !strings.HasPrefix(ds.Compounds[0].Code, "D01-C") {
		t.Errorf("first compound code %s, want a district prefix", ds.Compounds[0].Code)
	}
	// The first district is the scale-1 district, codes aside.
	if got, want := ds.Compounds[0].Name, one.Compounds[0].Name; got != want {
		t.Errorf("first compound %q at scale 2, %q at scale 1", got, want)
	}
	checkNetwork(t, net)
}

func TestGenerateFromStartsAtGivenIDs(t *testing.T) {
	base, _ := generate(t, Options{})
	ids := places.IDs{Region: 10, Compound: 20, Building: 30, Entrance: 40, Household: 50, Owner: 60, Facility: 70}
	ds, _, err := GenerateFrom(Options{}, ids)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Regions[0].ID != 10 || ds.Compounds[0].ID != 20 || ds.Buildings[0].ID != 30 || ds.Entrances[0].ID != 40 ||
		ds.Households[0].ID != 50 || ds.Owners[0].ID != 60 || ds.Facilities[0].ID != 70 {
		t.Errorf("first ids %d %d %d %d %d %d %d", ds.Regions[0].ID, ds.Compounds[0].ID, ds.Buildings[0].ID, ds.Entrances[0].ID, ds.Households[0].ID, ds.Owners[0].ID, ds.Facilities[0].ID)
	}
	if ds.Households[5].Code != base.Households[5].Code || ds.Households[5].BuildingID != base.Households[5].BuildingID+29 {
		t.Errorf("household 5: %+v vs %+v", ds.Households[5], base.Households[5])
	}
	checkDataset(t, ds)
}

func TestBadOptions(t *testing.T) {
	for _, opts := range []Options{{Scale: -1}, {Scale: MaxScale + 1}} {
		if _, _, err := Generate(opts); !errors.Is(err, ErrBadOptions) {
			t.Errorf("Generate(%+v) = %v, want ErrBadOptions", opts, err)
		}
	}
	if _, _, err := GenerateFrom(Options{}, places.IDs{Region: -3}); !errors.Is(err, ErrBadOptions) {
		t.Errorf("negative id: %v", err)
	}
}
