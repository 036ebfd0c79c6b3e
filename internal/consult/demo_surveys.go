package consult

// DemoSurveyOptions tells SeedDemoSurveys where to put the demo surveys.
type DemoSurveyOptions struct {
	// HouseholdID is the demo resident's household: its compound is surveyed and
	// it is left without an answer in the open round, so the resident can try.
	HouseholdID int64
	// CompoundID is used when HouseholdID is 0.
	CompoundID int64
	Seed       int64
}

// DemoSurveySummary lists what SeedDemoSurveys created.
type DemoSurveySummary struct {
	CompoundID   int64
	ClosedSurvey int64 // survey whose round 1 is closed
	ClosedRound  int64
	OpenSurvey   int64 // survey with an open round
	OpenRound    int64
}
