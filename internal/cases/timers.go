package cases

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/sla"
)

// Notification tells people that a stage of a case is near due or overdue.
// Recipients are the assignee and their supervisor: the first dispatcher above
// the case's region (the community worker above a grid, else the subdistrict
// officer, else the district officer) who is not the assignee.
type Notification struct {
	CaseID     int64
	Category   string
	RegionPath string
	Kind       sla.EventKind
	Stage      sla.Stage
	Due        time.Time
	At         time.Time // when the event became due
	AssigneeID int64
	Supervisor int64
}

// Recipients returns the user ids to notify, without zeros or repeats.
func (n Notification) Recipients() []int64 {
	var out []int64
	for _, id := range []int64{n.AssigneeID, n.Supervisor} {
		if id != 0 && (len(out) == 0 || out[0] != id) {
			out = append(out, id)
		}
	}
	return out
}

// TimerBatch is how many stored timers one transaction of RunTimers claims.
const TimerBatch = 200

// RunTimers sends the near-due and overdue events that are due at now: it
// claims stored timers in batches (on PostgreSQL with SELECT … FOR UPDATE
// SKIP LOCKED, so that several instances share the work and never send an
// event twice; on SQLite the single writer serialises runs), records each
// event on its case with an audit entry, leaves a notification in the inbox
// of each recipient (see Inbox), moves the timer to its next check, all in
// the same transaction, and returns the notifications for other channels.
func (s *Service) RunTimers(ctx context.Context, now time.Time) ([]Notification, error) {
	now = now.UTC()
	ctx = audit.WithActor(ctx, audit.System("timer"))
	r, err := s.loadRouter(ctx, s.db.Read())
	if err != nil {
		return nil, err
	}
	var out []Notification
	for round := 0; round < 10000; round++ {
		var claimed int
		err := s.tx(ctx, func(tx *sql.Tx) error {
			var notes []Notification
			var err error
			claimed, notes, err = s.timerBatch(ctx, tx, now, r)
			if err == nil {
				out = append(out, notes...)
			}
			return err
		})
		if err != nil {
			return out, err
		}
		if claimed < TimerBatch {
			break
		}
	}
	return out, nil
}

// claimed is one stored timer with what the runner needs of its case.
type claimed struct {
	k          StageClock
	state      State
	assignee   int64
	regionPath string
	category   string
}

func (s *Service) timerBatch(ctx context.Context, tx *sql.Tx, now time.Time, r *router) (int, []Notification, error) {
	rows, err := tx.QueryContext(ctx, `SELECT k.case_id, k.clock, k.cancelled, c.state, COALESCE(c.assignee_id, 0), c.region_path, c.category
		FROM case_clocks k JOIN cases c ON c.id = k.case_id
		WHERE k.next_check IS NOT NULL AND k.next_check <= $1
		ORDER BY k.next_check, k.case_id LIMIT $2`+forUpdate(s.db, " OF k SKIP LOCKED"), now, TimerBatch)
	if err != nil {
		return 0, nil, fmt.Errorf("claim timers: %w", err)
	}
	var batch []claimed
	for rows.Next() {
		var c claimed
		var text string
		if err := rows.Scan(&c.k.CaseID, &text, &c.k.Cancelled, &c.state, &c.assignee, &c.regionPath, &c.category); err != nil {
			rows.Close()
			return 0, nil, fmt.Errorf("claim timers: %w", err)
		}
		if err := json.Unmarshal([]byte(text), &c.k.Clock); err != nil {
			rows.Close()
			return 0, nil, fmt.Errorf("clock of case %d: %w", c.k.CaseID, err)
		}
		batch = append(batch, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, nil, fmt.Errorf("claim timers: %w", err)
	}
	var out []Notification
	for _, c := range batch {
		k := c.k
		var events []sla.Event
		for {
			next, evs := k.Check(now)
			if len(evs) == 0 {
				break
			}
			k.Clock = next
			events = append(events, evs...)
		}
		if len(events) == 0 {
			// Nothing to send (a clock stored inconsistently): drop the timer
			// rather than claim it forever.
			if _, err := tx.ExecContext(ctx, `UPDATE case_clocks SET next_check = NULL WHERE case_id = $1 AND stage = $2`, k.CaseID, string(k.Stage)); err != nil {
				return 0, nil, fmt.Errorf("timer of case %d: %w", k.CaseID, err)
			}
			continue
		}
		if err := saveClock(ctx, tx, k); err != nil {
			return 0, nil, err
		}
		cs := &Case{ID: k.CaseID, State: c.state}
		sup := r.supervisor(c.regionPath, c.assignee)
		for _, ev := range events {
			e := timerEvent(cs, ev)
			if err := insertEvent(ctx, tx, e); err != nil {
				return 0, nil, err
			}
			if err := s.log.Record(ctx, tx, audit.Change{Action: "case." + string(e.Action), ObjectType: "case", ObjectID: itoa(k.CaseID),
				After: map[string]any{"state": c.state, "stage": ev.Stage, "due": ev.Due.UTC()}}); err != nil {
				return 0, nil, err
			}
			n := Notification{CaseID: k.CaseID, Category: c.category, RegionPath: c.regionPath, Kind: ev.Kind, Stage: ev.Stage,
				Due: ev.Due.UTC(), At: ev.At.UTC(), AssigneeID: c.assignee, Supervisor: sup}
			if err := storeNotification(ctx, tx, n); err != nil {
				return 0, nil, err
			}
			out = append(out, n)
		}
	}
	return len(batch), out, nil
}
