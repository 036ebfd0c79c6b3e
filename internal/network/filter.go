package network

import (
	"strings"

	"github.com/paulmach/osm"
)

// WalkFilter is the Overpass filter that decides which ways are walkable; see
// the package documentation.
const WalkFilter = `["highway"]["area"!~"yes"]["access"!~"private"]` +
	`["highway"!~"abandoned|bus_guideway|construction|cycleway|motor|no|planned|platform|proposed|raceway|razed"]` +
	`["foot"!~"no"]["service"!~"private"]`

// excludedHighway lists the alternatives of the highway test of WalkFilter.
var excludedHighway = [...]string{"abandoned", "bus_guideway", "construction", "cycleway", "motor", "no", "planned", "platform", "proposed", "raceway", "razed"}

// Walkable reports whether a way with these tags is part of the walk network,
// following WalkFilter.
func Walkable(tags map[string]string) bool {
	hw, ok := tags["highway"]
	if !ok {
		return false
	}
	return walkable(hw, tags["area"], tags["access"], tags["foot"], tags["service"])
}

// walkableTags is Walkable for the tag list of a decoded way.
func walkableTags(tags osm.Tags) bool {
	var hw, area, access, foot, service string
	hasHighway := false
	for _, t := range tags {
		switch t.Key {
		case "highway":
			hw, hasHighway = t.Value, true
		case "area":
			area = t.Value
		case "access":
			access = t.Value
		case "foot":
			foot = t.Value
		case "service":
			service = t.Value
		}
	}
	return hasHighway && walkable(hw, area, access, foot, service)
}

// walkable applies the value tests of WalkFilter; an absent tag is passed as "".
func walkable(highway, area, access, foot, service string) bool {
	if strings.Contains(area, "yes") || strings.Contains(access, "private") ||
		strings.Contains(foot, "no") || strings.Contains(service, "private") {
		return false
	}
	for _, x := range excludedHighway {
		if strings.Contains(highway, x) {
			return false
		}
	}
	return true
}
