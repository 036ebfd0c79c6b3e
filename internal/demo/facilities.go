package demo

import (
	"math"
	"math/rand/v2"

	"github.com/gengxin/gengxin/internal/places"
)

// facSpec says how many facilities of one category a district gets, at which
// level they are spread, and their sizes. Capacity counts classes for schools and
// kindergartens, places or beds for care, chargers, parking spaces or locker
// cells; areas are in m².
type facSpec struct {
	cat              string
	n                int  // per district
	perSubdistrict   bool // spread over subdistricts (15-minute level) instead of communities
	parcel           bool // takes a parcel of its own (school, park, large sports ground)
	capLo, capHi     int
	floorLo, floorHi int
	siteLo, siteHi   int
}

// facSpecs lists 399 facilities per district. Counts below the number of
// communities (30) or subdistricts (6) leave realistic gaps: some communities have
// no kindergarten or day-care centre, one subdistrict has no health centre.
var facSpecs = []facSpec{
	{cat: "kindergarten", n: 22, capLo: 6, capHi: 12, floorLo: 1800, floorHi: 4000},
	{cat: "nursery", n: 10, capLo: 40, capHi: 150, floorLo: 300, floorHi: 1000},
	{cat: "primary_school", n: 10, parcel: true, capLo: 18, capHi: 36, floorLo: 6000, floorHi: 15000},
	{cat: "middle_school", n: 5, perSubdistrict: true, parcel: true, capLo: 24, capHi: 48, floorLo: 10000, floorHi: 22000},
	{cat: "health_station", n: 24, floorLo: 100, floorHi: 400},
	{cat: "health_centre", n: 5, perSubdistrict: true, capLo: 20, capHi: 60, floorLo: 2000, floorHi: 6000},
	{cat: "elderly_daycare", n: 21, capLo: 20, capHi: 60, floorLo: 200, floorHi: 900},
	{cat: "elderly_home", n: 5, perSubdistrict: true, capLo: 60, capHi: 300, floorLo: 2000, floorHi: 9000},
	{cat: "community_service", n: 30, floorLo: 300, floorHi: 1200},
	{cat: "street_service_centre", n: 6, perSubdistrict: true, floorLo: 1500, floorHi: 4000},
	{cat: "culture_station", n: 24, floorLo: 200, floorHi: 600},
	{cat: "culture_centre", n: 3, perSubdistrict: true, floorLo: 2000, floorHi: 5000},
	{cat: "market", n: 14, floorLo: 800, floorHi: 3000},
	{cat: "supermarket", n: 18, floorLo: 300, floorHi: 3000},
	{cat: "convenience_store", n: 42, floorLo: 50, floorHi: 150},
	{cat: "park", n: 14, parcel: true, siteLo: 1000, siteHi: 60000},
	{cat: "sports_large", n: 3, perSubdistrict: true, parcel: true, siteLo: 8000, siteHi: 20000},
	{cat: "sports_medium", n: 8, siteLo: 1300, siteHi: 3000},
	{cat: "fitness", n: 36, siteLo: 150, siteHi: 800},
	{cat: "public_toilet", n: 28, floorLo: 40, floorHi: 120},
	{cat: "waste_collection", n: 35, floorLo: 20, floorHi: 60},
	{cat: "ev_charging", n: 10, capLo: 6, capHi: 30, siteLo: 300, siteHi: 1500},
	{cat: "parking", n: 14, capLo: 40, capHi: 300, siteLo: 1000, siteHi: 8000},
	{cat: "police_station", n: 4, perSubdistrict: true, floorLo: 1500, floorHi: 4000},
	{cat: "parcel_locker", n: 8, capLo: 60, capHi: 300},
}

// facPlan is one facility before it is emitted.
type facPlan struct {
	spec  int
	grid  int
	comm  int
	r     rect  // parcel, for parcel facilities
	faces uint8 // sides of the parcel facing streets
}

// planFacilities decides which community and grid each facility goes to. It runs
// before the parcels are cut, since schools and parks take parcels.
func (g *generator) planFacilities(st *districtState) {
	r := st.r
	st.facs = make([]facPlan, 0, 420)
	ncomm := len(st.comms)
	nsub := len(st.subs)
	var perm []int
	for si, spec := range facSpecs {
		for k := 0; k < spec.n; k++ {
			var comm int
			if spec.perSubdistrict {
				if k%nsub == 0 {
					perm = r.Perm(nsub)
				}
				sub := &st.subs[perm[k%nsub]]
				comm = sub.comms[r.IntN(len(sub.comms))]
			} else {
				if k%ncomm == 0 {
					perm = r.Perm(ncomm)
				}
				comm = perm[k%ncomm]
			}
			grids := st.comms[comm].grids
			gi := grids[r.IntN(len(grids))]
			if spec.parcel {
				for try := 0; try < 8 && len(st.grids[gi].facParcels) > 0; try++ {
					gi = grids[r.IntN(len(grids))]
				}
				st.grids[gi].facParcels = append(st.grids[gi].facParcels, len(st.facs))
			}
			st.facs = append(st.facs, facPlan{spec: si, grid: gi, comm: comm})
		}
	}
}

// logUniform draws from [lo, hi] with equal weight per order of magnitude.
func logUniform(r *rand.Rand, lo, hi float64) float64 {
	return lo * math.Exp(r.Float64()*math.Log(hi/lo))
}

// emitFacilities places the planned facilities: parcel facilities fill (parks
// and sports grounds part of) their parcel, the others stand just inside their
// grid along one of its streets.
func (g *generator) emitFacilities(st *districtState) {
	r := st.r
	names := newNamePool(512)
	for i := range st.facs {
		fp := &st.facs[i]
		spec := &facSpecs[fp.spec]
		gr := &st.grids[fp.grid]
		g.facSerial++
		f := places.Facility{
			ID:         g.next.Facility,
			Category:   spec.cat,
			RegionID:   gr.id,
			RegionPath: gr.path,
			Source:     "demo",
		}
		g.next.Facility++
		g.buf = append(g.buf[:0], 'F')
		g.buf = appendPadded(g.buf, g.facSerial, 4)
		f.Code = g.str()
		if spec.capHi > 0 {
			f.Capacity = between(r, spec.capLo, spec.capHi)
		}
		if spec.floorHi > 0 {
			f.FloorAreaDM2 = int64(between(r, spec.floorLo, spec.floorHi)) * 100
		}
		var side int
		if spec.parcel {
			pr := fp.r
			if spec.siteHi > 0 {
				target := min(logUniform(r, float64(spec.siteLo), float64(spec.siteHi)), 0.95*pr.w()*pr.h())
				s := math.Sqrt(target / (pr.w() * pr.h()))
				cx, cy := pr.centre()
				pr = rect{cx - pr.w()*s/2, cy - pr.h()*s/2, cx + pr.w()*s/2, cy + pr.h()*s/2}
				f.SiteAreaDM2 = int64(math.Round(pr.w() * pr.h() * 100))
			}
			g.buf = g.proj.appendPolygon(g.buf[:0], pr)
			f.Geometry = g.str()
			cx, cy := pr.centre()
			f.Lon, f.Lat = g.proj.lonLat(cx, cy)
			side = firstFace(fp.faces)
			pos := cx
			if side == sideW || side == sideE {
				pos = cy
			}
			f.Address = g.address(gr.edge[side], side, pos)
		} else {
			if spec.siteHi > 0 {
				f.SiteAreaDM2 = int64(between(r, spec.siteLo, spec.siteHi)) * 100
			}
			side = r.IntN(4)
			depth := halfWidth(g.nb.streets[gr.edge[side]].highway) + 1 + uniform(r, 0, 15)
			var x, y, pos float64
			switch side {
			case sideS, sideN:
				pos = math.Round(uniform(r, gr.r.x0+25, gr.r.x1-25))
				x, y = pos, gr.r.y0+depth
				if side == sideN {
					y = gr.r.y1 - depth
				}
			default:
				pos = math.Round(uniform(r, gr.r.y0+25, gr.r.y1-25))
				x, y = gr.r.x0+depth, pos
				if side == sideE {
					x = gr.r.x1 - depth
				}
			}
			f.Lon, f.Lat = g.proj.lonLat(x, y)
			f.Address = g.address(gr.edge[side], side, pos)
		}
		f.Name = g.facilityName(st, names, fp, spec.cat, g.nb.streets[gr.edge[side]].name, f.SiteAreaDM2)
		g.ds.Facilities = append(g.ds.Facilities, f)
	}
}

// facilityName names a facility after its community, subdistrict or street, the
// way such places are usually called.
func (g *generator) facilityName(st *districtState, names *namePool, fp *facPlan, cat, streetName string, siteDM2 int64) string {
	r := st.r
	comm := &st.comms[fp.comm]
	sub := &st.subs[comm.sub]
	var n string
	switch cat {
	case "kindergarten":
		n = comm.topo + "幼儿园"
	case "nursery":
		n = comm.topo + "托育园"
	case "primary_school":
		n = comm.topo + "小学"
	case "middle_school":
		g.middleSerial++
		n = cityName + "第" + cnNumber(g.middleSerial) + "中学"
	case "health_station":
		n = comm.name + "卫生服务站"
	case "health_centre":
		n = sub.topo + "街道社区卫生服务中心"
	case "elderly_daycare":
		n = comm.name + "日间照料中心"
	case "elderly_home":
		n = sub.topo + "颐养院"
	case "community_service":
		n = comm.name + "党群服务中心"
	case "street_service_centre":
		n = sub.topo + "街道便民服务中心"
	case "culture_station":
		n = comm.name + "文化活动站"
	case "culture_centre":
		n = sub.topo + "街道文化活动中心"
	case "market":
		n = comm.topo + "菜市场"
	case "supermarket":
		n = supermarketBrands[r.IntN(len(supermarketBrands))] + "（" + comm.topo + "店）"
	case "convenience_store":
		n = convenienceBrands[r.IntN(len(convenienceBrands))] + "（" + comm.topo + "店）"
	case "park":
		t, _ := st.topos.pick()
		n = t + "公园"
		if siteDM2 < 5000*100 {
			n = t + "游园"
		}
	case "sports_large":
		n = sub.topo + "体育公园"
	case "sports_medium":
		n = comm.name + "运动场"
	case "fitness":
		n = comm.topo + "健身广场"
	case "public_toilet":
		n = streetName + "公厕"
	case "waste_collection":
		n = streetName + "垃圾收集点"
	case "ev_charging":
		n = streetName + "充电站"
	case "parking":
		n = streetName + "公共停车场"
	case "police_station":
		n = sub.topo + "派出所"
	default:
		n = comm.topo + "智能快递柜"
	}
	if names.take(n) {
		return n
	}
	for i := 2; ; i++ {
		if m := n + "（" + cnNumber(i) + "）"; names.take(m) {
			return m
		}
	}
}

// firstFace returns the first side (S, E, N, W order) set in faces.
func firstFace(faces uint8) int {
	for s := sideS; s < sideW; s++ {
		if faces&(1<<s) != 0 {
			return s
		}
	}
	return sideW
}
