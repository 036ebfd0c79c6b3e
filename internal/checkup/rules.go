package checkup

import "math"

// The pure rules of the indicator system; each takes plain values so tables of
// cases can test the boundaries.

// GasPipeAge returns the age in years of a building's gas risers and mains in the
// check year, whether the age is known, and whether it fails: pipes in service for
// maxAge years or more fail, so exactly maxAge years fails.
func GasPipeAge(year, pipeYear, maxAge int) (age int, known, fails bool) {
	if pipeYear <= 0 {
		return 0, false, false
	}
	age = year - pipeYear
	return age, true, age >= maxAge
}

// NeedsElevator reports whether a building of storeys floors without an
// elevator needs one: minStoreys floors or more and no elevator.
func NeedsElevator(storeys int, hasElevator bool, minStoreys int) bool {
	return storeys >= minStoreys && !hasElevator
}

// AgeFriendlyReasons lists why a building needs age-friendly retrofit:
// "no_elevator" (minStoreys floors or more without an elevator) and "no_ramp"
// (when requireRamp). An empty list means it needs none.
func AgeFriendlyReasons(storeys int, hasElevator, hasRamp bool, minStoreys int, requireRamp bool) []string {
	var out []string
	if NeedsElevator(storeys, hasElevator, minStoreys) {
		out = append(out, "no_elevator")
	}
	if requireRamp && !hasRamp {
		out = append(out, "no_ramp")
	}
	return out
}

// ParkServiceRadius returns the service radius of a park of siteAreaM2 square
// metres under classes (largest minimum first): the radius of the first class
// whose minimum it reaches, 0 when it reaches none and serves nobody.
func ParkServiceRadius(classes []ParkClass, siteAreaM2 float64) float64 {
	for _, c := range classes {
		if siteAreaM2 >= c.MinSiteAreaM2 {
			return c.RadiusM
		}
	}
	return 0
}

// CoveragePercent returns covered ÷ total as a percentage, and false when total
// is zero (no figure).
func CoveragePercent(covered, total int64) (float64, bool) {
	if total <= 0 {
		return 0, false
	}
	return float64(covered) * 100 / float64(total), true
}

// CoverageMeets reports whether covered ÷ total reaches minPercent, compared
// without rounding (covered·100 ≥ minPercent·total).
func CoverageMeets(covered, total int64, minPercent float64) bool {
	return float64(covered)*100 >= minPercent*float64(total)
}

// Within reports whether a distance lies inside a service radius; the radius
// itself counts as inside. Unknown (NaN) and unreachable (+Inf) distances are
// outside.
func Within(d, radius float64) bool {
	return !math.IsNaN(d) && d <= radius
}

// LifeCircleOutcome is the verdict of one compound on one life circle.
type LifeCircleOutcome struct {
	Missing []string // kinds without a facility inside their radius
	Unknown []string // kinds whose distance is unknown (gates off the network)
}

// Attained reports whether every kind is known to be inside its radius.
func (o LifeCircleOutcome) Attained() bool { return len(o.Missing) == 0 && len(o.Unknown) == 0 }

// Decided reports whether the verdict is certain: something is missing, or
// nothing is unknown.
func (o LifeCircleOutcome) Decided() bool { return len(o.Missing) > 0 || len(o.Unknown) == 0 }

// LifeCircle judges one compound on a life circle of the given minutes: every
// required kind whose circle is at most minutes (levels are cumulative) must have
// a facility within its radius. dist gives the distance to the nearest facility
// of each kind: NaN when unknown, +Inf when none was found.
func LifeCircle(kinds []KindSpec, minutes int, dist func(kind string) float64) LifeCircleOutcome {
	var o LifeCircleOutcome
	for _, k := range kinds {
		if k.Circle > minutes {
			continue
		}
		d := dist(k.Kind)
		switch {
		case math.IsNaN(d):
			o.Unknown = append(o.Unknown, k.Kind)
		case d > k.RadiusM:
			o.Missing = append(o.Missing, k.Kind)
		}
	}
	return o
}
