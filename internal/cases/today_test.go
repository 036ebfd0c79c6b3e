package cases

import (
	"slices"
	"testing"

	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
)

// TestWorkDay: a handler's day holds the cases due today or overdue and those
// they acted on today, not open cases due later that nobody (or only the
// dispatcher) touched today.
func TestWorkDay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		dispatched := func(category string) Case {
			c := f.report(t, category, inG1)
			ok(t)(f.svc.Accept(f.as("community"), c.ID, Step{}))
			return ok(t)(f.svc.Dispatch(f.as("community"), c.ID, 0, Step{}))
		}
		f.clk.set(t, "2025-06-09 10:00")
		overdue := dispatched("stairwell_light") // on site due yesterday 10:40
		signedYesterday := dispatched("general_request")
		ok(t)(f.svc.Sign(f.as("grid1"), signedYesterday.ID, Step{})) // resolve due in 7 days
		signedToday := dispatched("general_request")
		f.clk.set(t, "2025-06-10 09:00")
		dueToday := dispatched("stairwell_light")
		untouched := dispatched("general_request")
		f.clk.set(t, "2025-06-10 09:30")
		ok(t)(f.svc.Sign(f.as("grid1"), signedToday.ID, Step{}))

		day := &WorkDay{ActorID: f.users["grid1"], Start: at(t, "2025-06-10 00:00"), End: at(t, "2025-06-11 00:00")}
		open := Filter{AssigneeID: f.users["grid1"], States: todayStates}
		today := open
		today.WorkDay = day
		cs, n, err := f.svc.List(f.ctx, today)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, c := range cs {
			got = append(got, c.ID)
		}
		want := []int64{dueToday.ID, signedToday.ID, overdue.ID}
		slices.Sort(got)
		slices.Sort(want)
		if n != 3 || !slices.Equal(got, want) {
			t.Errorf("today's work = %v (%d), want %v; not %d and %d", got, n, want, signedYesterday.ID, untouched.ID)
		}
		if _, all, _ := f.svc.List(f.ctx, open); all != 5 {
			t.Errorf("%d open cases, want 5", all)
		}
		// The actor counts: the dispatcher acted today on the untouched case,
		// not on the one the grid worker signed.
		other := today
		other.WorkDay = &WorkDay{ActorID: f.users["community"], Start: day.Start, End: day.End}
		cs, _, err = f.svc.List(f.ctx, other)
		if err != nil {
			t.Fatal(err)
		}
		got = got[:0]
		for _, c := range cs {
			got = append(got, c.ID)
		}
		want = []int64{overdue.ID, dueToday.ID, untouched.ID}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("the dispatcher's day = %v, want %v", got, want)
		}
	})
}
