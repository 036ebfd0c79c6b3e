// Package demo generates a fictional old-city district of a Jiangsu city — regions,
// compounds, buildings, entrances, households, owners, public facilities and the
// walkable street network — so that every part of gengxin can be tried, tested
// and benchmarked without real data.
//
// The output depends only on the seed and the scale: the same options give the
// same dataset byte for byte. Scale 1 is one district (6 subdistricts, 30
// communities, 150 grids, about 400 compounds, 4,000 buildings, 100,000
// households and 400 facilities) laid out around Changzhou's old city; scale N
// puts N such districts side by side under one city. All names, phone numbers and
// ID numbers are invented.
package demo

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/gengxin/gengxin/internal/places"
)

// DefaultSeed is the seed used when Options.Seed is 0.
const DefaultSeed int64 = 20260101

// MaxScale is the largest number of districts Generate accepts.
const MaxScale = 90

// ErrBadOptions reports options the generator cannot use.
var ErrBadOptions = errors.New("bad demo options")

// Options choose what to generate.
type Options struct {
	// Seed drives every random choice; 0 means DefaultSeed.
	Seed int64
	// Scale is the number of districts; 0 means 1.
	Scale int
}

// The city's 12-digit code (the district codes are 3204 99…, 3204 98…), the
// shape of one district and sizes for preallocation.
const (
	cityCode       = "320400000000"
	sbCols         = 6 // superblocks (one community each) across a district
	sbRows         = 5 // superblocks up a district
	subPairs       = 3 // subdistricts are column pairs split into two row groups
	districtBldgs  = 4000
	estHouseholds  = 103000 // per district, for preallocation
	estOwners      = 113000
	estEntrances   = 9000
	estRegions     = 1 + 6 + 30 + 150
	estFacilities  = 400
	estCompounds   = 400
	estBuildings   = 4100
	estStreetsDist = 2200
)

// Generate builds the demo dataset and street network for opts, with ids counted
// from 1 in every table.
func Generate(opts Options) (*places.Dataset, *Network, error) {
	return GenerateFrom(opts, places.IDs{Region: 1, Compound: 1, Building: 1, Entrance: 1, Household: 1, Owner: 1, Facility: 1})
}

// GenerateFrom builds the demo dataset with ids starting at the first free ids of
// an existing database (see places.Store.NextIDs); a zero field counts as 1. Codes
// do not depend on ids: they are fixed by the seed and scale, so a database can
// hold one demo of a given scale (loading it twice fails on the unique codes).
func GenerateFrom(opts Options, ids places.IDs) (*places.Dataset, *Network, error) {
	if opts.Seed == 0 {
		opts.Seed = DefaultSeed
	}
	if opts.Scale == 0 {
		opts.Scale = 1
	}
	if opts.Scale < 0 || opts.Scale > MaxScale {
		return nil, nil, fmt.Errorf("%w: scale %d is outside 1–%d", ErrBadOptions, opts.Scale, MaxScale)
	}
	for _, p := range []*int64{&ids.Region, &ids.Compound, &ids.Building, &ids.Entrance, &ids.Household, &ids.Owner, &ids.Facility} {
		if *p < 0 {
			return nil, nil, fmt.Errorf("%w: negative first id %d", ErrBadOptions, *p)
		}
		if *p == 0 {
			*p = 1
		}
	}
	g := newGenerator(opts, ids)
	g.city()
	for d := 0; d < opts.Scale; d++ {
		g.district(d)
	}
	return g.ds, g.nb.build(g.proj), nil
}

// generator holds the state of one Generate call.
type generator struct {
	opts Options
	next places.IDs
	ds   *places.Dataset
	nb   netBuilder
	proj projection
	text arena
	buf  []byte
	ids  *idAllocator

	cityRand   *rand.Rand
	cityNames  *namePool // names unique in the whole city
	cityTopos  *toponymPicker
	cityID     int64
	cityPath   string
	colsD      int       // districts across
	xs, ys     []float64 // arterial positions, metres from the south-west corner
	vArt, hArt []int     // street index of each arterial

	ownerSerial  int
	orgSerial    int
	facSerial    int
	middleSerial int
}

// Random streams. Each district draws from its own, so district 1 has the same
// compounds, buildings and households at every scale; only names that must be
// unique city-wide (arterials, districts, subdistricts) and codes change.
const (
	streamCity     = 0x9e3779b97f4a7c15
	streamX        = 0xbf58476d1ce4e5b9
	streamY        = 0x94d049bb133111eb
	streamDistBase = 0x2545f4914f6cdd1d
)

func newGenerator(opts Options, ids places.IDs) *generator {
	n := opts.Scale
	g := &generator{
		opts: opts,
		next: ids,
		ds: &places.Dataset{
			Regions:         make([]places.Region, 0, 1+n*estRegions),
			Compounds:       make([]places.Compound, 0, n*estCompounds),
			Buildings:       make([]places.Building, 0, n*estBuildings),
			Entrances:       make([]places.Entrance, 0, n*estEntrances),
			Households:      make([]places.Household, 0, n*estHouseholds),
			Owners:          make([]places.Owner, 0, n*estOwners),
			HouseholdOwners: make([]places.HouseholdOwner, 0, n*(estHouseholds*116/100)),
			Facilities:      make([]places.Facility, 0, n*estFacilities),
		},
		nb:        netBuilder{streets: make([]street, 0, n*estStreetsDist)},
		ids:       newIDAllocator(),
		buf:       make([]byte, 0, 256),
		cityRand:  rand.New(rand.NewPCG(uint64(opts.Seed), streamCity)),
		cityNames: newNamePool(64 + 8*n),
	}
	g.cityTopos = newToponymPicker(g.cityRand)
	return g
}

// str returns the scratch buffer as a string and empties it.
func (g *generator) str() string {
	s := g.text.str(g.buf)
	g.buf = g.buf[:0]
	return s
}

// between returns a random integer in [lo, hi].
func between(r *rand.Rand, lo, hi int) int { return lo + r.IntN(hi-lo+1) }

// uniform returns a random float in [lo, hi).
func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

// chance is true with probability p.
func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

// city lays out the arterial grid of the whole city and emits the city region.
func (g *generator) city() {
	n := g.opts.Scale
	g.colsD = int(math.Ceil(math.Sqrt(float64(n))))
	rowsD := (n + g.colsD - 1) / g.colsD
	rx := rand.New(rand.NewPCG(uint64(g.opts.Seed), streamX))
	ry := rand.New(rand.NewPCG(uint64(g.opts.Seed), streamY))
	g.xs = make([]float64, g.colsD*sbCols+1)
	for i := 1; i < len(g.xs); i++ {
		g.xs[i] = g.xs[i-1] + float64(between(rx, 460, 600))
	}
	g.ys = make([]float64, rowsD*sbRows+1)
	for i := 1; i < len(g.ys); i++ {
		g.ys[i] = g.ys[i-1] + float64(between(ry, 420, 560))
	}
	width, height := g.xs[len(g.xs)-1], g.ys[len(g.ys)-1]
	g.proj = newProjection(width, height)

	g.vArt = make([]int, len(g.xs))
	for i, x := range g.xs {
		hw := hwTertiary
		switch {
		case i%sbCols == 0:
			hw = hwPrimary
		case i%sbCols == 3:
			hw = hwSecondary
		}
		g.vArt[i] = g.nb.add(street{x0: x, y0: 0, x1: x, y1: height, highway: hw, name: g.arterialName()})
	}
	g.hArt = make([]int, len(g.ys))
	for j, y := range g.ys {
		hw := hwTertiary
		switch {
		case j%sbRows == 0:
			hw = hwPrimary
		case j%sbRows == 2:
			hw = hwSecondary
		}
		g.hArt[j] = g.nb.add(street{x0: 0, y0: y, x1: width, y1: y, highway: hw, name: g.arterialName()})
	}
	g.cityID, g.cityPath = g.addRegion(0, "", cityCode, places.LevelCity, cityName, rect{0, 0, width, height})
}

func (g *generator) arterialName() string {
	for {
		t, round := g.cityTopos.pick()
		suffix := "路"
		switch {
		case round > 0:
			suffix = arterialSuffixes[1+(round-1)%(len(arterialSuffixes)-1)]
		case g.cityRand.IntN(3) == 0:
			suffix = "街"
		}
		if name := t + suffix; g.cityNames.take(name) {
			return name
		}
	}
}

// addRegion appends a region and returns its id and path.
func (g *generator) addRegion(parentID int64, parentPath, code, level, name string, r rect) (int64, string) {
	id := g.next.Region
	g.next.Region++
	path := parentPath
	if path == "" {
		path = "/"
	}
	path += strconv.FormatInt(id, 10) + "/"
	g.buf = g.proj.appendPolygon(g.buf[:0], r)
	g.ds.Regions = append(g.ds.Regions, places.Region{
		ID: id, ParentID: parentID, Code: code, Level: level, Name: name, Path: path,
		Geometry: g.str(), BBox: g.proj.bbox(r),
	})
	return id, path
}

// regionCode builds a 12-digit code: 3204 + county (2) + town (3) + village (3).
func regionCode(county, town, village int) string {
	b := make([]byte, 0, 12)
	b = append(b, "3204"...)
	b = appendPadded(b, county, 2)
	b = appendPadded(b, town, 3)
	b = appendPadded(b, village, 3)
	return string(b)
}
