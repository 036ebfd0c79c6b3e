package demo

import (
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/gengxin/gengxin/internal/places"
)

// compoundPlan is the parcel of one compound before it is filled.
type compoundPlan struct {
	r     rect // the fence
	grid  int
	faces uint8 // bit s set when side s faces a street of the grid
}

// stripGap is the space left between neighbouring parcels of a grid; a footway
// runs along its middle.
const stripGap = 8

// planParcels cuts every grid into parallel strips, one per compound or
// parcel-sized facility (school, park, sports ground), each strip touching the
// streets on two sides of the grid, with footways between the strips.
func (g *generator) planParcels(st *districtState) {
	r := st.r
	st.compounds = make([]compoundPlan, 0, 450)
	weights := make([]float64, 0, 8)
	for gi := range st.grids {
		gr := &st.grids[gi]
		var m [4]float64
		for s := range m {
			m[s] = halfWidth(g.nb.streets[gr.edge[s]].highway) + float64(between(r, 2, 5))
		}
		in := rect{gr.r.x0 + m[sideW], gr.r.y0 + m[sideS], gr.r.x1 - m[sideE], gr.r.y1 - m[sideN]}
		k := gr.compounds + len(gr.facParcels)
		alongX := in.w() >= in.h()
		start, length := in.x0, in.w()
		if !alongX {
			start, length = in.y0, in.h()
		}
		weights = weights[:0]
		sum := 0.0
		for i := 0; i < k; i++ {
			w := uniform(r, 0.75, 1.25)
			weights = append(weights, w)
			sum += w
		}
		usable := length - stripGap*float64(k-1)
		order := r.Perm(k)
		lo, cum := start, 0.0
		for i := 0; i < k; i++ {
			cum += weights[i]
			hi := start + length
			if i < k-1 {
				hi = math.Round(start + cum/sum*usable + float64(i)*stripGap)
			}
			var pr rect
			var faces uint8
			if alongX {
				pr = rect{lo, in.y0, hi, in.y1}
				faces = 1<<sideS | 1<<sideN
				if i == 0 {
					faces |= 1 << sideW
				}
				if i == k-1 {
					faces |= 1 << sideE
				}
			} else {
				pr = rect{in.x0, lo, in.x1, hi}
				faces = 1<<sideW | 1<<sideE
				if i == 0 {
					faces |= 1 << sideS
				}
				if i == k-1 {
					faces |= 1 << sideN
				}
			}
			if i < k-1 {
				f := hi + stripGap/2
				if alongX {
					g.nb.add(street{x0: f, y0: gr.r.y0, x1: f, y1: gr.r.y1, highway: hwFootway})
				} else {
					g.nb.add(street{x0: gr.r.x0, y0: f, x1: gr.r.x1, y1: f, highway: hwFootway})
				}
			}
			if who := order[i]; who < len(gr.facParcels) {
				fp := &st.facs[gr.facParcels[who]]
				fp.r, fp.faces = pr, faces
			} else {
				st.compounds = append(st.compounds, compoundPlan{r: pr, grid: gi, faces: faces})
			}
			lo = hi + stripGap
		}
	}
}

// emitCompounds fills every compound parcel: compound, gates, buildings,
// entrances, households and owners.
func (g *generator) emitCompounds(st *districtState) {
	area := 0.0
	for _, c := range st.compounds {
		area += c.r.w() * c.r.h()
	}
	density := districtBldgs / area
	hh := &houseState{recent: make([]int, 0, recentOwners)}
	years := builtYears(st.r, len(st.compounds))
	for i := range st.compounds {
		g.compound(st, hh, i, years[i], density)
	}
}

// recentOwners is how many recent buyers can buy another unit in the district.
const recentOwners = 64

// houseState carries owner bookkeeping across the compounds of a district.
type houseState struct {
	recent     []int // indices in Owners of recent person owners (a ring)
	pos        int
	buildings  int // buildings so far
	households int // households so far
}

// householdsPerBuilding is the district average aimed at: 4,000 buildings hold
// 100,000 households.
const householdsPerBuilding = 25

// builtYears returns n construction years in random order: 8 % in 1980–1984,
// 68 % in 1985–2000 and 24 % in 2001–2015, drawn stratified so that every
// district has the same mix of old and new compounds.
func builtYears(r *rand.Rand, n int) []int {
	years := make([]int, n)
	for i := range years {
		u := (float64(i) + r.Float64()) / float64(n)
		switch {
		case u < 0.08:
			years[i] = 1980 + int(u/0.08*5)
		case u < 0.76:
			years[i] = 1985 + int((u-0.08)/0.68*16)
		default:
			years[i] = 2001 + min(int((u-0.76)/0.24*15), 14)
		}
	}
	r.Shuffle(n, func(i, j int) { years[i], years[j] = years[j], years[i] })
	return years
}

// pick returns the first value whose cumulative weight exceeds a random draw.
func pick(r *rand.Rand, values []string, weights []float64) string {
	p := r.Float64()
	for i, w := range weights {
		if p < w {
			return values[i]
		}
		p -= w
	}
	return values[len(values)-1]
}

var (
	renovationValues = []string{places.RenovationNone, places.RenovationPlanned, places.RenovationInProgress, places.RenovationDone}
	propertyValues   = []string{places.PropertyNone, places.PropertyCaretaker, places.PropertyProfessional, places.PropertySelf, places.PropertyTrust}
)

func renovation(r *rand.Rand, year int) string {
	switch {
	case year <= 2000:
		return pick(r, renovationValues, []float64{0.48, 0.20, 0.10, 0.22})
	case year <= 2005:
		return pick(r, renovationValues, []float64{0.85, 0.10, 0, 0.05})
	}
	return places.RenovationNone
}

func propertyMode(r *rand.Rand, year int, reno string) string {
	switch {
	case year > 2000:
		return pick(r, propertyValues, []float64{0, 0.05, 0.80, 0.08, 0.07})
	case reno == places.RenovationDone:
		return pick(r, propertyValues, []float64{0, 0.25, 0.35, 0.10, 0.30})
	}
	return pick(r, propertyValues, []float64{0.38, 0.30, 0.14, 0.10, 0.08})
}

// compoundName returns a name fitting the era and, for staff housing, the work
// unit that built it (-1 for none).
func compoundName(st *districtState, year int) (string, int) {
	r := st.r
	if year < 1993 && chance(r, 0.3) {
		u := r.IntN(len(workUnits))
		return st.names.unique(workUnits[u].short + "宿舍"), u
	}
	suffixes := newSuffixes
	switch {
	case year < 1998:
		suffixes = oldSuffixes
	case year <= 2005:
		suffixes = midSuffixes
	}
	t, _ := st.topos.pick()
	return st.names.unique(t + suffixes[r.IntN(len(suffixes))]), -1
}

// compound emits compound i of the district with everything inside it.
func (g *generator) compound(st *districtState, hh *houseState, i, year int, density float64) {
	r := st.r
	cp := &st.compounds[i]
	gr := &st.grids[cp.grid]
	name, unit := compoundName(st, year)
	reno := renovation(r, year)
	c := places.Compound{
		ID:               g.next.Compound,
		RegionID:         gr.id,
		RegionPath:       gr.path,
		Name:             name,
		BuiltYear:        year,
		RenovationStatus: reno,
		PropertyMode:     propertyMode(r, year, reno),
		BBox:             g.proj.bbox(cp.r),
	}
	g.next.Compound++
	g.buf = append(g.buf[:0], st.prefix...)
	g.buf = append(g.buf, 'C')
	g.buf = appendPadded(g.buf, i+1, 4)
	c.Code = g.str()
	g.buf = g.proj.appendPolygon(g.buf, cp.r)
	c.Geometry = g.str()
	c.Lon, c.Lat = g.proj.lonLat(cp.r.centre())
	c.Gates, c.Address = g.gates(st, cp, gr)
	g.ds.Compounds = append(g.ds.Compounds, c)

	cs := compoundState{
		id: c.ID, code: c.Code, year: year, reno: reno, unit: unit,
		devHeld: year >= 2005 && chance(r, 0.6), developer: -1, unitOrg: -1,
	}
	target := max(1, int(math.Round(cp.r.w()*cp.r.h()*density*uniform(r, 0.85, 1.15))))
	g.buildings(st, hh, &cs, cp.r.inset(5), target)
}

// gates puts 1–3 gates on the sides of the compound that face streets, joins each
// to its street with a short service way, and returns the gates and the postal
// address taken from the first one.
func (g *generator) gates(st *districtState, cp *compoundPlan, gr *gridInfo) ([]places.Point, string) {
	r := st.r
	var faces [4]int
	nf := 0
	for s := 0; s < 4; s++ {
		if cp.faces&(1<<s) != 0 {
			faces[nf] = s
			nf++
		}
	}
	n := 1
	switch p := r.Float64(); {
	case p < 0.13:
		n = 3
	case p < 0.55:
		n = 2
	}
	f0 := r.IntN(nf)
	var per, seen [4]int
	for k := 0; k < n; k++ {
		per[faces[(f0+k)%nf]]++
	}
	pts := make([]places.Point, 0, n)
	address := ""
	for k := 0; k < n; k++ {
		side := faces[(f0+k)%nf]
		a, b := cp.r.x0, cp.r.x1
		if side == sideW || side == sideE {
			a, b = cp.r.y0, cp.r.y1
		}
		part := (b - a) / float64(per[side])
		lo := a + part*float64(seen[side]) + 5
		hi := a + part*float64(seen[side]+1) - 5
		seen[side]++
		if hi <= lo {
			lo = (lo + hi) / 2
			hi = lo
		}
		pos := math.Round(uniform(r, lo, hi))
		var gx, gy, sx, sy float64
		switch side {
		case sideS:
			gx, gy, sx, sy = pos, cp.r.y0, pos, gr.r.y0
		case sideN:
			gx, gy, sx, sy = pos, cp.r.y1, pos, gr.r.y1
		case sideW:
			gx, gy, sx, sy = cp.r.x0, pos, gr.r.x0, pos
		default:
			gx, gy, sx, sy = cp.r.x1, pos, gr.r.x1, pos
		}
		g.nb.add(street{x0: gx, y0: gy, x1: sx, y1: sy, highway: hwService})
		pts = append(pts, g.proj.point(gx, gy))
		if k == 0 {
			address = g.address(gr.edge[side], side, pos)
		}
	}
	return pts, address
}

// address returns "<street>NN号" for a place on the given side of its grid at pos
// along the street; places on the north or east of a street get odd numbers.
func (g *generator) address(streetIdx, side int, pos float64) string {
	s := &g.nb.streets[streetIdx]
	along := pos - s.x0
	if s.vertical() {
		along = pos - s.y0
	}
	num := 2*int(along/30) + 1
	if side == sideN || side == sideE {
		num++
	}
	g.buf = append(g.buf[:0], s.name...)
	g.buf = strconv.AppendInt(g.buf, int64(num), 10)
	g.buf = append(g.buf, "号"...)
	return g.str()
}

// compoundState is what the buildings of one compound share.
type compoundState struct {
	id        int64
	code      string
	year      int
	reno      string
	unit      int // work unit index for staff housing, -1 for none
	devHeld   bool
	developer int // index in Owners of the developer, -1 until needed
	unitOrg   int // index in Owners of the work unit, -1 until needed
}

var entranceNames = []string{"", "1单元", "2单元", "3单元", "4单元"}

// buildings lays out n buildings in rows of slots inside in and fills them.
func (g *generator) buildings(st *districtState, hh *houseState, cs *compoundState, in rect, n int) {
	r := st.r
	cMax := max(1, int(in.w()/16))
	rMax := max(1, int(in.h()/18))
	n = min(n, cMax*rMax)
	cols := min(max(1, int(math.Round(in.w()/48))), cMax)
	rows := (n + cols - 1) / cols
	if rows > rMax {
		rows = rMax
		cols = (n + rows - 1) / rows
	}
	slotW, slotH := in.w()/float64(cols), in.h()/float64(rows)
	tower := 0.0
	switch {
	case cs.year > 2008:
		tower = 0.45
	case cs.year > 2000:
		tower = 0.2
	}
	for b := 0; b < n; b++ {
		slot := rect{in.x0 + slotW*float64(b%cols), in.y0 + slotH*float64(b/cols), 0, 0}
		slot.x1, slot.y1 = slot.x0+slotW, slot.y0+slotH
		g.building(st, hh, cs, b+1, slot, chance(r, tower))
	}
}

// building emits one building in its slot, with its entrances and households.
func (g *generator) building(st *districtState, hh *houseState, cs *compoundState, num int, slot rect, tower bool) {
	r := st.r
	year := cs.year
	if chance(r, 0.15) {
		year = min(year+1, 2015)
	}
	var storeys, entrances, perFloor int
	var length, depth float64
	maxE := min(max(1, int((slot.w()-6)/12)), 4)
	if tower {
		storeys = between(r, 11, 18)
		entrances = 1
		if maxE >= 3 && chance(r, 0.4) {
			entrances = 2
		}
		perFloor = 2
		if entrances == 1 {
			perFloor = between(r, 3, 4)
		}
		length = float64(entrances) * uniform(r, 15, 19)
		depth = uniform(r, 15, 19)
	} else {
		switch p := r.Float64(); {
		case year < 1990:
			storeys = int(pickInt(p, []int{4, 5, 6, 7}, []float64{0.1, 0.35, 0.5, 0.05}))
		case year <= 2000:
			storeys = int(pickInt(p, []int{5, 6, 7}, []float64{0.15, 0.7, 0.15}))
		default:
			storeys = int(pickInt(p, []int{5, 6, 7}, []float64{0.08, 0.62, 0.30}))
		}
		// A gentle feedback keeps the district near its household target: when
		// the buildings so far fall short, larger buildings become likelier.
		deficit := float64(hh.buildings*householdsPerBuilding - hh.households)
		u := min(max(r.Float64()+min(max(deficit/3000, -0.2), 0.2), 0), 0.999)
		entrances = min(int(pickInt(u, []int{1, 2, 3, 4}, []float64{0.25, 0.45, 0.21, 0.09})), maxE)
		perFloor = 2
		if year < 1986 && chance(r, 0.15) {
			perFloor = 3
		}
		length = float64(entrances) * uniform(r, 11.5, 13.5)
		depth = uniform(r, 10, 12.5)
	}
	length = max(min(length, slot.w()-6), min(6, slot.w()-2))
	depth = max(min(depth, slot.h()-8), min(6, slot.h()-2))
	cx, cy := slot.centre()
	cx += uniform(r, -0.5, 0.5) * max(0, slot.w()-6-length)
	fp := rect{cx - length/2, cy - depth/2, cx + length/2, cy + depth/2}

	selfContained := !(year < 1986 && chance(r, 0.3))
	hasToilet := selfContained || chance(r, 0.3)
	hh.buildings++
	hh.households += storeys * entrances * perFloor
	b := places.Building{
		ID:             g.next.Building,
		CompoundID:     cs.id,
		Storeys:        storeys,
		BuiltYear:      year,
		EntranceCount:  entrances,
		HasElevator:    tower,
		HouseholdCount: storeys * entrances * perFloor,
		BBox:           g.proj.bbox(fp),
	}
	g.next.Building++
	switch {
	case tower:
		b.Structure = "shear_wall"
	case year < 1986:
		b.Structure = pick(r, []string{"brick_concrete", "brick_wood", "other"}, []float64{0.90, 0.08, 0.02})
	case year <= 2000:
		b.Structure = pick(r, []string{"brick_concrete", "frame"}, []float64{0.92, 0.08})
	default:
		b.Structure = pick(r, []string{"brick_concrete", "frame"}, []float64{0.5, 0.5})
	}
	switch {
	case cs.reno == places.RenovationDone:
		b.HasRamp = chance(r, 0.6)
	case year >= 2005:
		b.HasRamp = chance(r, 0.8)
	default:
		b.HasRamp = chance(r, 0.08)
	}
	switch {
	case chance(r, 0.05):
		b.GasPipeYear = 0
	case cs.reno == places.RenovationDone:
		b.GasPipeYear = between(r, 2016, 2023)
	case year >= 1995:
		b.GasPipeYear = year
	default:
		b.GasPipeYear = max(year, between(r, 1986, 1997))
	}
	g.buf = append(g.buf[:0], cs.code...)
	g.buf = append(g.buf, "-B"...)
	g.buf = appendPadded(g.buf, num, 2)
	b.Code = g.str()
	g.buf = strconv.AppendInt(g.buf, int64(num), 10)
	g.buf = append(g.buf, "幢"...)
	b.Name = g.str()
	g.buf = g.proj.appendPolygon(g.buf, fp)
	b.Footprint = g.str()
	b.Lon, b.Lat = g.proj.lonLat(fp.centre())

	// Unit areas repeat on every floor: one base area per position on a landing.
	var base [4]int64
	for k := 0; k < perFloor; k++ {
		var a int
		switch {
		case !selfContained:
			a = between(r, 4000, 5200)
		case tower:
			a = between(r, 7500, 12000)
		case year < 1990:
			a = between(r, 4200, 6800)
		case year <= 2000:
			a = between(r, 5000, 9000)
		default:
			a = between(r, 6500, 11500)
		}
		base[k] = int64(a)
	}
	retrofit := cs.reno == places.RenovationDone && !tower && storeys >= 5
	allLifts := true
	for e := 1; e <= entrances; e++ {
		ex := fp.x0 + length*(float64(e)-0.5)/float64(entrances)
		lift := tower || (retrofit && chance(r, 0.12))
		allLifts = allLifts && lift
		en := places.Entrance{ID: g.next.Entrance, BuildingID: b.ID, Name: entranceNames[e], Number: e, HasElevator: lift}
		g.next.Entrance++
		g.buf = append(g.buf[:0], b.Code...)
		g.buf = append(g.buf, "-E"...)
		g.buf = strconv.AppendInt(g.buf, int64(e), 10)
		en.Code = g.str()
		en.Lon, en.Lat = g.proj.lonLat(ex, fp.y0)
		g.ds.Entrances = append(g.ds.Entrances, en)
		for f := 1; f <= storeys; f++ {
			for k := 1; k <= perFloor; k++ {
				g.household(st, hh, cs, &en, f, k, base[k-1], selfContained, hasToilet)
			}
		}
	}
	if allLifts && !tower {
		b.HasElevator = true
	}
	g.ds.Buildings = append(g.ds.Buildings, b)
}

// pickInt is pick for integers, with the draw p given.
func pickInt(p float64, values []int, weights []float64) int {
	for i, w := range weights {
		if p < w {
			return values[i]
		}
		p -= w
	}
	return values[len(values)-1]
}

// household emits one dwelling and its owners.
func (g *generator) household(st *districtState, hs *houseState, cs *compoundState, en *places.Entrance, floor, room int, base int64, selfContained, hasToilet bool) {
	r := st.r
	g.buf = append(g.buf[:0], en.Code...)
	g.buf = append(g.buf, '-')
	g.buf = appendPadded(g.buf, floor, 2)
	g.buf = appendPadded(g.buf, room, 2)
	code := g.str()
	roomNo := code[len(code)-4:]
	if floor < 10 {
		roomNo = code[len(code)-3:]
	}
	h := places.Household{
		ID:            g.next.Household,
		Code:          code,
		BuildingID:    en.BuildingID,
		EntranceID:    en.ID,
		Room:          roomNo,
		Floor:         floor,
		HasKitchen:    selfContained,
		HasToilet:     hasToilet,
		DeveloperHeld: cs.devHeld && chance(r, 0.07),
	}
	g.next.Household++
	area := base
	if chance(r, 0.1) {
		area += int64(between(r, -150, 150))
	}
	area = min(max(area, 4000), 12000)
	switch p := r.Float64(); {
	case h.DeveloperHeld:
		h.SurveyedDM2 = area
	case p < 0.86:
		h.RegisteredDM2 = area
		if chance(r, 0.25) {
			h.SurveyedDM2 = min(max(area+int64(between(r, -80, 80)), 4000), 12000)
		}
	case p < 0.95:
		h.SurveyedDM2 = area
	default:
		h.ContractDM2 = min(area+int64(between(r, 0, 200)), 12000)
	}

	switch p := r.Float64(); {
	case h.DeveloperHeld:
		h.Occupancy = "vacant"
		if cs.developer < 0 {
			t, _ := st.topos.pick()
			cs.developer = g.newOrg(t+"置业有限公司", true)
		}
		g.link(h.ID, cs.developer, 10000, true)
	case cs.unit >= 0 && p < 0.04:
		h.Occupancy = pick(r, []string{"owner", "rented"}, []float64{0.3, 0.7})
		if cs.unitOrg < 0 {
			cs.unitOrg = g.newOrg(cityName+workUnits[cs.unit].full, false)
		}
		g.link(h.ID, cs.unitOrg, 10000, true)
	case cs.year < 1990 && p < 0.06:
		h.Occupancy = "rented"
		if st.bureau < 0 {
			st.bureau = g.newOrg(st.name+"房产管理所", false)
		}
		g.link(h.ID, st.bureau, 10000, true)
	default:
		h.Occupancy = pick(r, []string{"owner", "rented", "vacant", "unknown"}, []float64{0.66, 0.22, 0.08, 0.04})
		born := min(max(cs.year-between(r, 25, 55), idMinYear), idMaxYear)
		var owner int
		male := chance(r, 0.5)
		if len(hs.recent) > 0 && chance(r, 0.05) {
			owner = hs.recent[r.IntN(len(hs.recent))]
		} else {
			owner = g.newPerson(r, born, male)
			if len(hs.recent) < recentOwners {
				hs.recent = append(hs.recent, owner)
			} else {
				hs.recent[hs.pos] = owner
				hs.pos = (hs.pos + 1) % recentOwners
			}
		}
		if chance(r, 0.14) {
			spouse := g.newPerson(r, born+between(r, -3, 3), !male)
			g.link(h.ID, owner, 5000, true)
			g.link(h.ID, spouse, 5000, false)
		} else {
			g.link(h.ID, owner, 10000, true)
		}
	}
	g.ds.Households = append(g.ds.Households, h)
}

func (g *generator) link(household int64, owner int, share int, voter bool) {
	g.ds.HouseholdOwners = append(g.ds.HouseholdOwners, places.HouseholdOwner{
		HouseholdID: household, OwnerID: g.ds.Owners[owner].ID, ShareBP: share, IsVoter: voter,
	})
}

// ownerCode builds the next owner code, "O000001" …
func (g *generator) ownerCode() string {
	g.ownerSerial++
	g.buf = append(g.buf[:0], 'O')
	g.buf = appendPadded(g.buf, g.ownerSerial, 6)
	return g.str()
}

// newPerson adds a private owner and returns its index in Owners.
func (g *generator) newPerson(r *rand.Rand, born int, male bool) int {
	o := places.Owner{ID: g.next.Owner, Kind: places.OwnerPerson, Code: g.ownerCode()}
	g.next.Owner++
	g.buf = append(g.buf[:0], surname(r)...)
	g.buf = appendGivenName(g.buf, r, male, born)
	o.Name = g.str()
	g.buf = appendMobile(g.buf, r, g.ownerSerial)
	o.Phone = g.str()
	g.buf = g.ids.appendID(g.buf, r, born, male)
	o.IDNumber = g.str()
	g.ds.Owners = append(g.ds.Owners, o)
	return len(g.ds.Owners) - 1
}

// newOrg adds an organisation owner (a work unit, the housing bureau or a
// developer) and returns its index in Owners. Organisations carry an office phone
// and no personal ID number.
func (g *generator) newOrg(name string, developer bool) int {
	o := places.Owner{ID: g.next.Owner, Kind: places.OwnerOrganisation, Code: g.ownerCode(), Name: name, IsDeveloper: developer}
	g.next.Owner++
	g.orgSerial++
	g.buf = appendLandline(g.buf[:0], g.orgSerial)
	o.Phone = g.str()
	g.ds.Owners = append(g.ds.Owners, o)
	return len(g.ds.Owners) - 1
}
