// Package places holds the base map (一张图): the region tree (district →
// subdistrict → community → grid), compounds, buildings, entrances, households and
// their owners, and public facilities, with their importers and exporters.
package places

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrNotFound is returned (wrapped) when a place does not exist.
var ErrNotFound = errors.New("place not found")

// Region levels, from the top of the tree down.
const (
	LevelCity        = "city"
	LevelDistrict    = "district"
	LevelSubdistrict = "subdistrict"
	LevelCommunity   = "community"
	LevelGrid        = "grid"
)

// Levels lists the region levels from the top down.
var Levels = []string{LevelCity, LevelDistrict, LevelSubdistrict, LevelCommunity, LevelGrid}

// LevelRank returns the depth of a level (city 0 … grid 4), or -1 if unknown.
func LevelRank(level string) int {
	for i, l := range Levels {
		if l == level {
			return i
		}
	}
	return -1
}

// Region is one node of the region tree.
type Region struct {
	ID       int64
	ParentID int64 // 0 for the root
	Code     string
	Level    string
	Name     string
	// Path lists the ids from the root down to this region, as "/1/4/17/"; a region
	// lies inside another when its path starts with the other's.
	Path     string
	Geometry string // GeoJSON Polygon or MultiPolygon, WGS-84; may be empty
	BBox     BBox
}

// BBox is a bounding box in WGS-84 degrees; the zero value means "unknown".
type BBox struct {
	MinLon, MinLat, MaxLon, MaxLat float64
}

// Empty reports whether the box is unknown.
func (b BBox) Empty() bool { return b == BBox{} }

// Property-management modes of a compound.
const (
	PropertyProfessional = "professional" // 专业物业
	PropertyTrust        = "trust"        // 信托制物业
	PropertySelf         = "self"         // 业主自治
	PropertyCaretaker    = "caretaker"    // 社区托管 / 兜底
	PropertyNone         = "none"         // 无物业
)

// PropertyModes lists the valid property-management modes.
var PropertyModes = []string{PropertyProfessional, PropertyTrust, PropertySelf, PropertyCaretaker, PropertyNone}

// Renovation statuses of a compound.
const (
	RenovationNone       = "none"
	RenovationPlanned    = "planned"
	RenovationInProgress = "in_progress"
	RenovationDone       = "done"
)

// RenovationStatuses lists the valid renovation statuses.
var RenovationStatuses = []string{RenovationNone, RenovationPlanned, RenovationInProgress, RenovationDone}

// Compound is a residential estate (小区).
type Compound struct {
	ID               int64
	Code             string
	RegionID         int64  // the most specific region: grid if known, else community
	RegionPath       string // Path of RegionID
	Name             string
	Address          string
	BuiltYear        int // 0 if unknown
	PropertyMode     string
	RenovationStatus string
	Gates            []Point
	Geometry         string // GeoJSON Polygon, WGS-84; may be empty
	Lon, Lat         float64
	BBox             BBox
}

// Point is a WGS-84 position.
type Point struct {
	Lon, Lat float64
}

// Building structures.
var Structures = []string{"brick_concrete", "brick_wood", "frame", "shear_wall", "steel", "other"}

// Building is one residential building (楼栋).
type Building struct {
	ID             int64
	Code           string
	CompoundID     int64
	Name           string
	Storeys        int
	BuiltYear      int
	Structure      string
	EntranceCount  int
	HasElevator    bool
	HasRamp        bool
	GasPipeYear    int // 0 if unknown
	HouseholdCount int
	Footprint      string // GeoJSON Polygon, WGS-84; may be empty
	Lon, Lat       float64
	BBox           BBox
}

// Entrance is a stairwell inside a building (单元).
type Entrance struct {
	ID          int64
	Code        string
	BuildingID  int64
	Name        string
	Number      int
	HasElevator bool
	Lon, Lat    float64
}

// Area sources, in the order the owner-vote rules prefer them.
const (
	AreaRegistered = "registered"
	AreaSurveyed   = "surveyed"
	AreaContract   = "contract"
)

// Occupancies of a household.
var Occupancies = []string{"owner", "rented", "vacant", "unknown"}

// Household is one dwelling (户) with its exclusive area.
type Household struct {
	ID            int64
	Code          string
	BuildingID    int64
	EntranceID    int64 // 0 if unknown
	Room          string
	Floor         int
	RegisteredDM2 int64 // 0 if unknown
	SurveyedDM2   int64
	ContractDM2   int64
	Occupancy     string
	HasKitchen    bool
	HasToilet     bool
	DeveloperHeld bool // unsold, or sold and not delivered
}

// Area returns the exclusive area that counts (registered, else surveyed, else
// contract) in dm² and its source; 0 and "" when none is known.
func (h Household) Area() (int64, string) {
	switch {
	case h.RegisteredDM2 > 0:
		return h.RegisteredDM2, AreaRegistered
	case h.SurveyedDM2 > 0:
		return h.SurveyedDM2, AreaSurveyed
	case h.ContractDM2 > 0:
		return h.ContractDM2, AreaContract
	}
	return 0, ""
}

// AreaDM2 returns the exclusive area that counts, in dm² (0 when unknown).
func (h Household) AreaDM2() int64 {
	a, _ := h.Area()
	return a
}

// Owner kinds.
const (
	OwnerPerson       = "person"
	OwnerOrganisation = "organisation"
)

// Owner is a person or organisation on the property register. Phone and IDNumber
// are plain text in memory only; the store keeps them encrypted.
type Owner struct {
	ID          int64
	Code        string
	Kind        string
	Name        string
	IsDeveloper bool
	Phone       string
	IDNumber    string
}

// HouseholdOwner links an owner to a household. Joint owners are several links to
// one household; IsVoter marks the one who casts the household's ballot.
type HouseholdOwner struct {
	HouseholdID int64
	OwnerID     int64
	ShareBP     int // ownership share in basis points (10000 = whole)
	IsVoter     bool
}

// Facility is a public service facility (配套设施).
type Facility struct {
	ID           int64
	Code         string
	Category     string // a Category code
	Name         string
	Address      string
	RegionID     int64 // 0 if unknown
	RegionPath   string
	Capacity     int   // places, beds or classes as the category says; 0 if unknown
	FloorAreaDM2 int64 // 0 if unknown
	SiteAreaDM2  int64 // parks and sports grounds; 0 if unknown
	Lon, Lat     float64
	Geometry     string // optional GeoJSON polygon
	Source       string // manual, import, osm, demo
	OSMRef       string // e.g. "node/123" or "way/45"
}

// Dataset is a batch of places written in one transaction, as the demo generator
// and the importers produce it. Ids are assigned by the producer.
type Dataset struct {
	Regions         []Region
	Compounds       []Compound
	Buildings       []Building
	Entrances       []Entrance
	Households      []Household
	Owners          []Owner
	HouseholdOwners []HouseholdOwner
	Facilities      []Facility
}

// ParseArea reads an area in square metres with at most two decimals ("68.5",
// "68.35", "68") into exact dm², without floating point.
func ParseArea(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty area")
	}
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("negative area %q", s)
	}
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 {
		return 0, fmt.Errorf("area %q has more than two decimals", s)
	}
	if whole == "" {
		whole = "0"
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 {
		return 0, fmt.Errorf("area %q is not a number of square metres", s)
	}
	if w > 1e12 {
		return 0, fmt.Errorf("area %q is too large", s)
	}
	f := int64(0)
	if frac != "" {
		for len(frac) < 2 {
			frac += "0"
		}
		f, err = strconv.ParseInt(frac, 10, 64)
		if err != nil || f < 0 {
			return 0, fmt.Errorf("area %q is not a number of square metres", s)
		}
	}
	return w*100 + f, nil
}

// FormatArea writes dm² as square metres with two decimals.
func FormatArea(dm2 int64) string {
	sign := ""
	if dm2 < 0 {
		sign, dm2 = "-", -dm2
	}
	return fmt.Sprintf("%s%d.%02d", sign, dm2/100, dm2%100)
}
