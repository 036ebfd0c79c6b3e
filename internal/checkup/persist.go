package checkup

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
)

func nullF(v float64, ok bool) any {
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

func nullPassed(p int8) any {
	switch p {
	case 1:
		return true
	case 0:
		return false
	}
	return nil
}

// writeValues stores the run's values, results and life-circle distances in one
// transaction.
func (e *engine) writeValues(ctx context.Context) error {
	d := e.s.db
	return d.Tx(ctx, func(tx *sql.Tx) error {
		ins := d.NewInserter(tx, "indicator_values", "run_id", "indicator_code", "level", "variant", "object_type", "object_id", "object_name", "region_path", "value", "threshold", "passed", "detail_json")
		for i := range e.values {
			v := &e.values[i]
			if err := ins.Add(ctx, e.runID, v.r.ind.Code, v.r.ind.Level, v.variant, v.objType, v.objID, v.name, v.path,
				nullF(v.value, v.hasValue), nullF(v.threshold, v.hasThreshold), nullPassed(v.passed), v.detail); err != nil {
				return err
			}
		}
		if _, err := ins.Flush(ctx); err != nil {
			return err
		}
		ins = d.NewInserter(tx, "indicator_results", "run_id", "indicator_code", "level", "variant", "computed", "value", "threshold", "passed", "objects", "failing", "unknown", "note")
		for _, r := range e.results {
			if err := ins.Add(ctx, e.runID, r.ind.Code, r.ind.Level, r.variant, r.computed, nullF(r.value, r.hasValue), nullF(r.threshold, r.hasThreshold),
				nullPassed(r.passed), r.objects, r.failing, r.unknown, r.note); err != nil {
				return err
			}
		}
		if _, err := ins.Flush(ctx); err != nil {
			return err
		}
		if lc := e.cardRule(); lc != nil {
			ins = d.NewInserter(tx, "life_circle_distances", "run_id", "compound_id", "kind", "circle", "radius_m", "walk_facility_id", "walk_facility_name", "walk_m", "line_facility_id", "line_facility_name", "line_m")
			for c, cp := range e.compounds {
				for _, k := range lc.Kinds {
					sd := e.dists[setKey(k.Categories, 0)]
					var wid, wm any
					wname := ""
					if e.walk != nil {
						f, dist := sd.get(VariantWalk, c)
						if f >= 0 {
							wid, wname = e.facilities[f].id, e.facilities[f].name
						}
						wm = nullF(dist, true)
					}
					var lid any
					lname := ""
					f, dist := sd.get(VariantLine, c)
					if f >= 0 {
						lid, lname = e.facilities[f].id, e.facilities[f].name
					}
					if err := ins.Add(ctx, e.runID, cp.id, k.Kind, k.Circle, k.RadiusM, wid, wname, wm, lid, lname, nullF(dist, true)); err != nil {
						return err
					}
				}
			}
			if _, err := ins.Flush(ctx); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE checkup_runs SET progress_done = $1, progress_total = $2, values_count = $3 WHERE id = $4`, e.done+1, e.total, len(e.values), e.runID)
		if err != nil {
			return fmt.Errorf("run progress: %w", err)
		}
		return nil
	})
}

// cardRule is the life-circle rule with the widest circle: its kinds make up
// the life-circle card of a compound.
func (e *engine) cardRule() *rule {
	var best *rule
	for _, r := range e.rules {
		if r.ind.Rule == "life_circle" && (best == nil || r.Circle > best.Circle) {
			best = r
		}
	}
	return best
}

type findingKey struct {
	code, variant, objType string
	objID                  int64
}

type existingFinding struct {
	// pending: resolved by a person or a project, not yet confirmed by a run.
	pending bool
	id      int64
	status  string
}

// finish updates the findings ledger and marks the run done, in one transaction.
func (e *engine) finish(ctx context.Context) error {
	s := e.s
	now := s.now().UTC().Truncate(time.Microsecond)
	actor := "checkup run " + strconv.FormatInt(e.runID, 10)
	var computed []string
	for _, r := range e.rules {
		computed = append(computed, r.ind.Code)
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		existing := map[findingKey]existingFinding{}
		if len(computed) > 0 {
			args := []any{likePrefix(e.scopePath)}
			ph := make([]string, len(computed))
			for i, c := range computed {
				args = append(args, c)
				ph[i] = "$" + strconv.Itoa(i+2)
			}
			rows, err := tx.QueryContext(ctx, `SELECT id, indicator_code, variant, object_type, object_id, status, resolved_run_id IS NULL FROM findings
				WHERE region_path LIKE $1 AND indicator_code IN (`+strings.Join(ph, ",")+`)`, args...)
			if err != nil {
				return fmt.Errorf("read findings: %w", err)
			}
			for rows.Next() {
				var k findingKey
				var f existingFinding
				if err := rows.Scan(&f.id, &k.code, &k.variant, &k.objType, &k.objID, &f.status, &f.pending); err != nil {
					rows.Close()
					return fmt.Errorf("read findings: %w", err)
				}
				existing[k] = f
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("read findings: %w", err)
			}
		}
		nextID, err := s.db.NextID(ctx, tx, "findings")
		if err != nil {
			return err
		}
		fins := s.db.NewInserter(tx, "findings", "id", "indicator_code", "level", "variant", "object_type", "object_id", "object_code", "object_name", "status",
			"value", "threshold", "geometry", "lon", "lat", "region_path", "evidence_json", "first_run_id", "last_run_id", "created_at", "updated_at")
		type ev struct {
			id             int64
			from, to, note string
		}
		var events []ev
		event := func(id int64, from, to, note string) error {
			events = append(events, ev{id, from, to, note})
			return nil
		}
		measuredPairs := map[string]bool{}
		for _, r := range e.results {
			if r.computed {
				measuredPairs[r.ind.Code+"|"+r.variant] = true
			}
		}
		var stillFailing, toOpen, reopen, resolve, verify []int64
		seen := make(map[findingKey]int8, len(e.values))
		newCount := 0
		for i := range e.values {
			v := &e.values[i]
			k := findingKey{v.r.ind.Code, v.variant, v.objType, v.objID}
			seen[k] = v.passed
			if v.passed != 0 {
				continue
			}
			f, ok := existing[k]
			if !ok {
				var geom any
				if v.geometry != "" {
					geom = v.geometry
				}
				if err := fins.Add(ctx, nextID, k.code, v.r.ind.Level, k.variant, k.objType, k.objID, v.code, v.name, StatusNew,
					nullF(v.value, v.hasValue), nullF(v.threshold, v.hasThreshold), geom, v.lon, v.lat, v.path, v.detail, e.runID, e.runID, now, now); err != nil {
					return err
				}
				if err := event(nextID, "", StatusNew, "found by the checkup"); err != nil {
					return err
				}
				nextID++
				newCount++
				continue
			}
			stillFailing = append(stillFailing, f.id)
			switch f.status {
			case StatusNew:
				toOpen = append(toOpen, f.id)
				if err := event(f.id, StatusNew, StatusOpen, "found again"); err != nil {
					return err
				}
			case StatusResolved, StatusVerified:
				reopen = append(reopen, f.id)
				if err := event(f.id, f.status, StatusOpen, "fails again: reopened"); err != nil {
					return err
				}
			}
		}
		for k, f := range existing {
			if !measuredPairs[k.code+"|"+k.variant] {
				continue // this variant was not computed in this run
			}
			p, measured := seen[k]
			if p == 0 && measured || p == -1 {
				continue // still failing, or not measurable this time
			}
			if f.status == StatusResolved && f.pending && measured {
				verify = append(verify, f.id)
				if err := event(f.id, f.status, StatusVerified, "passes in this checkup: fix confirmed"); err != nil {
					return err
				}
				continue
			}
			if f.status == StatusNew || f.status == StatusOpen || f.status == StatusInProject {
				note := "passes in this checkup"
				if !measured {
					note = "the object is no longer in the data"
				}
				resolve = append(resolve, f.id)
				if err := event(f.id, f.status, StatusResolved, note); err != nil {
					return err
				}
			}
		}
		if _, err := fins.Flush(ctx); err != nil {
			return err
		}
		if err := s.db.SyncSequence(ctx, tx, "findings"); err != nil {
			return err
		}
		match := `v.run_id = $1 AND v.indicator_code = findings.indicator_code AND v.variant = findings.variant AND v.object_type = findings.object_type AND v.object_id = findings.object_id`
		if err := updateIDs(ctx, tx, stillFailing, `UPDATE findings SET
			value = (SELECT v.value FROM indicator_values v WHERE `+match+`),
			threshold = (SELECT v.threshold FROM indicator_values v WHERE `+match+`),
			evidence_json = (SELECT v.detail_json FROM indicator_values v WHERE `+match+`),
			last_run_id = $1, updated_at = $2 WHERE id IN `, e.runID, now); err != nil {
			return err
		}
		if err := updateIDs(ctx, tx, toOpen, `UPDATE findings SET status = 'open' WHERE id IN `); err != nil {
			return err
		}
		if err := updateIDs(ctx, tx, reopen, `UPDATE findings SET status = 'open', resolved_run_id = NULL WHERE id IN `); err != nil {
			return err
		}
		if err := updateIDs(ctx, tx, resolve, `UPDATE findings SET status = 'resolved', resolved_run_id = $1, updated_at = $2 WHERE id IN `, e.runID, now); err != nil {
			return err
		}
		if err := updateIDs(ctx, tx, verify, `UPDATE findings SET status = 'verified', resolved_run_id = $1, updated_at = $2 WHERE id IN `, e.runID, now); err != nil {
			return err
		}
		evs := s.db.NewInserter(tx, "finding_events", "finding_id", "run_id", "actor_name", "from_status", "to_status", "note", "at")
		for _, x := range events {
			if err := evs.Add(ctx, x.id, e.runID, actor, x.from, x.to, x.note, now); err != nil {
				return err
			}
		}
		if _, err := evs.Flush(ctx); err != nil {
			return err
		}
		notes, _ := json.Marshal(e.notes)
		variants := strings.Join(e.variants, ",")
		if _, err := tx.ExecContext(ctx, `UPDATE checkup_runs SET status = $1, progress_done = $2, progress_total = $3, variants = $4,
			indicators_computed = $5, indicators_skipped = $6, findings_new = $7, findings_open = $8, findings_resolved = $9,
			notes_json = $10, finished_at = $11 WHERE id = $12`,
			RunDone, e.total, e.total, variants, len(e.rules), len(e.skipped), newCount, len(stillFailing), len(resolve), string(notes), now, e.runID); err != nil {
			return fmt.Errorf("finish run: %w", err)
		}
		return s.audit.Record(ctx, tx, audit.Change{Action: "checkup.run.finish", ObjectType: "checkup_run", ObjectID: strconv.FormatInt(e.runID, 10),
			After: map[string]any{"values": len(e.values), "findings_new": newCount, "findings_open": len(stillFailing), "findings_resolved": len(resolve)}})
	})
}

// updateIDs runs an UPDATE whose text ends in "WHERE id IN " for ids in chunks;
// args come first as $1, $2 ….
func updateIDs(ctx context.Context, tx *sql.Tx, ids []int64, q string, args ...any) error {
	const chunk = 2000
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		a := append([]any{}, args...)
		ph := make([]string, len(part))
		for i, id := range part {
			a = append(a, id)
			ph[i] = "$" + strconv.Itoa(len(a))
		}
		if _, err := tx.ExecContext(ctx, q+"("+strings.Join(ph, ",")+")", a...); err != nil {
			return fmt.Errorf("update findings: %w", err)
		}
	}
	return nil
}
