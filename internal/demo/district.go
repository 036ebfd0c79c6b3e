package demo

import (
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/gengxin/gengxin/internal/places"
)

// Sides of a rectangle, indexing gridInfo.edge and face bit masks.
const (
	sideS = iota
	sideE
	sideN
	sideW
)

// gridInfo is one grid (网格): a block bounded by streets on all four sides.
type gridInfo struct {
	r          rect
	edge       [4]int // street index on each side
	id         int64
	path       string
	comm       int
	compounds  int
	facParcels []int // indices into districtState.facs of facilities that take a parcel
}

type commInfo struct {
	topo  string
	name  string
	sub   int
	grids []int
}

type subInfo struct {
	topo  string
	comms []int
}

// districtState holds what one district's generation shares between its steps.
type districtState struct {
	r         *rand.Rand
	index     int
	county    int
	prefix    string // code prefix of compounds: "" at scale 1, else "D02-"
	name      string
	topos     *toponymPicker
	names     *namePool
	subs      []subInfo
	comms     []commInfo
	grids     []gridInfo
	facs      []facPlan
	compounds []compoundPlan
	bureau    int // index in Owners of the housing bureau, -1 until needed
}

// district generates district d: regions and streets, then facilities' and
// compounds' parcels, then the compounds with everything inside them, then the
// facilities.
func (g *generator) district(d int) {
	r := rand.New(rand.NewPCG(uint64(g.opts.Seed), streamDistBase+uint64(d)))
	st := &districtState{
		r:      r,
		index:  d,
		county: 99 - d,
		topos:  newToponymPicker(r),
		names:  newNamePool(1024),
		comms:  make([]commInfo, 0, sbCols*sbRows),
		grids:  make([]gridInfo, 0, 160),
		bureau: -1,
	}
	if g.opts.Scale > 1 {
		st.prefix = "D" + string(appendPadded(nil, d+1, 2)) + "-"
	}
	st.name = firstDistrictName
	if d > 0 || !g.cityNames.take(st.name) {
		for {
			t, round := g.cityTopos.pick()
			name := t + "区"
			if round > 0 {
				name = t + cnNumber(round+1) + "区"
			}
			if g.cityNames.take(name) {
				st.name = name
				break
			}
		}
	}
	di, dj := d%g.colsD, d/g.colsD
	c0, r0 := di*sbCols, dj*sbRows
	drect := rect{g.xs[c0], g.ys[r0], g.xs[c0+sbCols], g.ys[r0+sbRows]}
	distID, distPath := g.addRegion(g.cityID, g.cityPath, regionCode(st.county, 0, 0), places.LevelDistrict, st.name, drect)

	// Grid counts per community: 8 × 4, 14 × 5, 8 × 6 = 150 grids.
	gridCounts := make([]int, 0, sbCols*sbRows)
	for i := 0; i < sbCols*sbRows; i++ {
		switch {
		case i < 8:
			gridCounts = append(gridCounts, 4)
		case i < 22:
			gridCounts = append(gridCounts, 5)
		default:
			gridCounts = append(gridCounts, 6)
		}
	}
	r.Shuffle(len(gridCounts), func(i, j int) { gridCounts[i], gridCounts[j] = gridCounts[j], gridCounts[i] })
	pedestrian := r.IntN(sbCols * sbRows)

	town := 0
	for p := 0; p < subPairs; p++ {
		split := 2 + r.IntN(2)
		for grp := 0; grp < 2; grp++ {
			rowLo, rowHi := 0, split
			if grp == 1 {
				rowLo, rowHi = split, sbRows
			}
			colLo := 2 * p
			srect := rect{g.xs[c0+colLo], g.ys[r0+rowLo], g.xs[c0+colLo+2], g.ys[r0+rowHi]}
			town++
			sub := subInfo{}
			var subName string
			for {
				t, round := g.cityTopos.pick()
				subName = t + "街道"
				if round > 0 {
					subName = t + cnNumber(round+1) + "街道"
				}
				if g.cityNames.take(subName) {
					sub.topo = t
					break
				}
			}
			subID, subPath := g.addRegion(distID, distPath, regionCode(st.county, town, 0), places.LevelSubdistrict, subName, srect)
			village := 0
			for row := rowLo; row < rowHi; row++ {
				for col := colLo; col < colLo+2; col++ {
					village += 10
					ci := len(st.comms)
					var ctopo string
					for {
						t, _ := st.topos.pick()
						if st.names.take(t + "社区") {
							ctopo = t
							break
						}
					}
					cname := ctopo + "社区"
					sb := rect{g.xs[c0+col], g.ys[r0+row], g.xs[c0+col+1], g.ys[r0+row+1]}
					commID, commPath := g.addRegion(subID, subPath, regionCode(st.county, town, village), places.LevelCommunity, cname, sb)
					edges := [4]int{g.hArt[r0+row], g.vArt[c0+col+1], g.hArt[r0+row+1], g.vArt[c0+col]}
					cells := g.subdivide(st, sb, edges, gridCounts[ci], ctopo, ci == pedestrian)
					comm := commInfo{topo: ctopo, name: cname, sub: len(st.subs)}
					for j, c := range cells {
						gname := cname + "第" + strconv.Itoa(j+1) + "网格"
						id, path := g.addRegion(commID, commPath, regionCode(st.county, town, village+j+1), places.LevelGrid, gname, c.r)
						comm.grids = append(comm.grids, len(st.grids))
						st.grids = append(st.grids, gridInfo{r: c.r, edge: c.edge, id: id, path: path, comm: ci})
					}
					sub.comms = append(sub.comms, ci)
					st.comms = append(st.comms, comm)
				}
			}
			st.subs = append(st.subs, sub)
		}
	}

	// Compounds per grid: 10 × 1, 50 × 2, 70 × 3, 20 × 4 = 400 compounds over 150
	// grids; other grid counts scale the same shares.
	counts := make([]int, len(st.grids))
	for i := range counts {
		f := i * 150 / len(counts)
		switch {
		case f < 10:
			counts[i] = 1
		case f < 60:
			counts[i] = 2
		case f < 130:
			counts[i] = 3
		default:
			counts[i] = 4
		}
	}
	r.Shuffle(len(counts), func(i, j int) { counts[i], counts[j] = counts[j], counts[i] })
	for i := range st.grids {
		st.grids[i].compounds = counts[i]
	}

	g.planFacilities(st)
	g.planParcels(st)
	g.emitCompounds(st)
	g.emitFacilities(st)
}

type cell struct {
	r    rect
	edge [4]int
}

// subdivide cuts a superblock into n grids (4, 5 or 6) with local streets: one
// street north–south through the middle and one or two east–west streets on each
// side of it.
func (g *generator) subdivide(st *districtState, sb rect, edges [4]int, n int, topo string, pedestrian bool) []cell {
	r := st.r
	localName := func() string {
		t, _ := st.topos.pick()
		return t + localSuffixes[r.IntN(len(localSuffixes))]
	}
	splitHighway := func() string {
		if chance(r, 0.35) {
			return hwLiving
		}
		return hwResidential
	}
	mid := math.Round(sb.x0 + sb.w()*uniform(r, 0.42, 0.58))
	midHW, midName := hwResidential, topo+localSuffixes[r.IntN(len(localSuffixes))]
	switch {
	case pedestrian:
		midHW, midName = hwPedestrian, topo+"步行街"
	case chance(r, 0.25):
		midHW = hwLiving
	}
	midSt := g.nb.add(street{x0: mid, y0: sb.y0, x1: mid, y1: sb.y1, highway: midHW, name: midName})

	at := func(lo, hi float64) float64 { return math.Round(sb.y0 + sb.h()*uniform(r, lo, hi)) }
	var leftY, rightY []float64
	var leftSt, rightSt []int
	switch n {
	case 4:
		y := at(0.42, 0.58)
		s := g.nb.add(street{x0: sb.x0, y0: y, x1: sb.x1, y1: y, highway: splitHighway(), name: localName()})
		leftY, rightY, leftSt, rightSt = []float64{y}, []float64{y}, []int{s}, []int{s}
	case 6:
		y1, y2 := at(0.30, 0.37), at(0.63, 0.70)
		s1 := g.nb.add(street{x0: sb.x0, y0: y1, x1: sb.x1, y1: y1, highway: splitHighway(), name: localName()})
		s2 := g.nb.add(street{x0: sb.x0, y0: y2, x1: sb.x1, y1: y2, highway: splitHighway(), name: localName()})
		leftY, rightY, leftSt, rightSt = []float64{y1, y2}, []float64{y1, y2}, []int{s1, s2}, []int{s1, s2}
	default: // 5: one side has one cross street, the other two
		y := at(0.42, 0.58)
		y1, y2 := at(0.30, 0.37), at(0.63, 0.70)
		oneLeft := r.IntN(2) == 0
		x0, x1 := sb.x0, mid
		if !oneLeft {
			x0, x1 = mid, sb.x1
		}
		s := g.nb.add(street{x0: x0, y0: y, x1: x1, y1: y, highway: splitHighway(), name: localName()})
		x0, x1 = mid, sb.x1
		if !oneLeft {
			x0, x1 = sb.x0, mid
		}
		s1 := g.nb.add(street{x0: x0, y0: y1, x1: x1, y1: y1, highway: splitHighway(), name: localName()})
		s2 := g.nb.add(street{x0: x0, y0: y2, x1: x1, y1: y2, highway: splitHighway(), name: localName()})
		one, two := []float64{y}, []float64{y1, y2}
		oneSt, twoSt := []int{s}, []int{s1, s2}
		if oneLeft {
			leftY, rightY, leftSt, rightSt = one, two, oneSt, twoSt
		} else {
			leftY, rightY, leftSt, rightSt = two, one, twoSt, oneSt
		}
	}
	cells := make([]cell, 0, n)
	for side := 0; side < 2; side++ {
		x0, x1, w, e := sb.x0, mid, edges[sideW], midSt
		ys, sts := leftY, leftSt
		if side == 1 {
			x0, x1, w, e = mid, sb.x1, midSt, edges[sideE]
			ys, sts = rightY, rightSt
		}
		y0, s0 := sb.y0, edges[sideS]
		for k := 0; k <= len(ys); k++ {
			y1, s1 := sb.y1, edges[sideN]
			if k < len(ys) {
				y1, s1 = ys[k], sts[k]
			}
			cells = append(cells, cell{r: rect{x0, y0, x1, y1}, edge: [4]int{s0, e, s1, w}})
			y0, s0 = y1, s1
		}
	}
	return cells
}
