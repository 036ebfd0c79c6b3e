package cases

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// LoadOptions tells GenerateLoad what to create.
type LoadOptions struct {
	// Seed drives every random choice, as in DemoOptions.
	Seed int64
	// Now is the end of the period; zero means the service's clock.
	Now time.Time
	// Days is the length of the period before Now (365 when 0).
	Days int
	// Cases is how many cases to create (1,000,000 when 0).
	Cases int
	// Batch is how many cases one transaction writes (20,000 when 0).
	Batch int
	// Progress, when set, is called after each batch with the cases written so far.
	Progress func(done int)
}

// GenerateLoad creates opt.Cases realistic cases over the opt.Days before
// opt.Now, the way SeedDemo does (same categories, places, routing and
// stories), but in batches of opt.Batch cases, one transaction each, so that a
// million cases fit in little memory. Report times grow with the case ids
// across batches. Each batch writes one "demo.cases" audit entry.
func GenerateLoad(ctx context.Context, svc *Service, opt LoadOptions) (DemoSummary, error) {
	sum := DemoSummary{ByState: map[State]int{}}
	if opt.Now.IsZero() {
		opt.Now = svc.clock()
	}
	opt.Now = opt.Now.UTC().Truncate(time.Second)
	if opt.Days <= 0 {
		opt.Days = 365
	}
	if opt.Cases <= 0 {
		opt.Cases = 1_000_000
	}
	if opt.Batch <= 0 {
		opt.Batch = 20_000
	}
	if err := svc.demoDepartments(ctx); err != nil {
		return sum, err
	}
	w, err := svc.demoWorld(ctx)
	if err != nil {
		return sum, err
	}
	if len(w.grids) == 0 {
		return sum, fmt.Errorf("load cases: the database has no grids with a polygon")
	}
	rng := rand.New(rand.NewPCG(uint64(opt.Seed), 0x6c6f6164))
	start := opt.Now.Add(-time.Duration(opt.Days) * 24 * time.Hour)
	span := opt.Now.Sub(start)
	// The period is cut into one slice per batch, so that times rise with
	// the ids from batch to batch as well as within one.
	nb := (opt.Cases + opt.Batch - 1) / opt.Batch
	var earlier []*machine
	done := 0
	for b := range nb {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		n := min(opt.Batch, opt.Cases-done)
		from := start.Add(span * time.Duration(b) / time.Duration(nb))
		to := start.Add(span * time.Duration(b+1) / time.Duration(nb))
		times := make([]time.Time, n)
		for i := range times {
			times[i] = from.Add(time.Duration(rng.Int64N(int64(to.Sub(from)) + 1))).Truncate(time.Second)
		}
		slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
		// hist is the tail of the previous batch followed by this one:
		// merges look back at most 60 cases.
		hist := make([]*machine, len(earlier), len(earlier)+n)
		copy(hist, earlier)
		var machines []*machine
		err := svc.tx(ctx, func(tx *sql.Tx) error {
			hist = hist[:len(earlier)]
			first, err := svc.db.NextID(ctx, tx, "cases")
			if err != nil {
				return err
			}
			for i, t := range times {
				m, err := svc.demoCase(w, rng, first+int64(i), t, opt.Now, hist)
				if err != nil {
					return err
				}
				hist = append(hist, m)
			}
			machines = hist[len(earlier):]
			return svc.writeDemo(ctx, tx, machines, DemoOptions{Seed: opt.Seed, Now: opt.Now, Days: opt.Days, Cases: n}, &sum)
		})
		if err != nil {
			return sum, fmt.Errorf("load cases: %w", err)
		}
		earlier = slices.Clone(machines[max(0, len(machines)-60):])
		done += n
		if opt.Progress != nil {
			opt.Progress(done)
		}
	}
	return sum, nil
}
