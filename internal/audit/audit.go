// Package audit keeps the append-only, hash-chained record of every change: who
// (actor), when, what action on which object, and the object before and after.
// Entries are written in the same transaction as the change they describe, and
// Verify walks the chain to find the first entry that was altered or removed.
package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gengxin/gengxin/internal/db"
)

// Actor kinds.
const (
	ActorUser   = "user"
	ActorAPIKey = "apikey"
	ActorSystem = "system"
)

// Actor is whoever makes a change.
type Actor struct {
	Kind string
	ID   int64
	Name string
}

// System is the actor for changes the program makes by itself (demo, migrations,
// command-line tools run by an operator).
func System(name string) Actor { return Actor{Kind: ActorSystem, Name: name} }

type actorKey struct{}

// WithActor returns ctx carrying the actor of the current request.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor carried by ctx, or the system actor "unknown".
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return System("unknown")
}

// Entry is one record of the log.
type Entry struct {
	Seq        int64
	At         time.Time
	Actor      Actor
	Action     string
	ObjectType string
	ObjectID   string
	Before     string // JSON, "" when the object did not exist
	After      string // JSON, "" when the object was removed
	PrevHash   string
	Hash       string
}

// Log writes and reads the audit log.
type Log struct {
	db  *db.DB
	now func() time.Time
}

// New returns a Log on d; now is the clock (time.Now in production).
func New(d *db.DB, now func() time.Time) *Log {
	return &Log{db: d, now: now}
}

// Change describes one change to record.
type Change struct {
	Action     string // e.g. "compound.update", "user.create", "pii.reveal"
	ObjectType string
	ObjectID   string
	Before     any // marshalled to JSON; nil for none
	After      any
}

// Record appends an entry for ch inside tx, the transaction that makes the change.
// The actor comes from ctx.
func (l *Log) Record(ctx context.Context, tx *sql.Tx, ch Change) error {
	before, err := marshal(ch.Before)
	if err != nil {
		return fmt.Errorf("audit %s: before: %w", ch.Action, err)
	}
	after, err := marshal(ch.After)
	if err != nil {
		return fmt.Errorf("audit %s: after: %w", ch.Action, err)
	}
	// Taking the head row's lock serialises writers so the chain never forks.
	var e Entry
	if err := tx.QueryRowContext(ctx, `UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, last_hash`).Scan(&e.Seq, &e.PrevHash); err != nil {
		return fmt.Errorf("audit %s: head: %w", ch.Action, err)
	}
	e.At = l.now().UTC().Truncate(time.Microsecond)
	e.Actor = ActorFrom(ctx)
	e.Action, e.ObjectType, e.ObjectID, e.Before, e.After = ch.Action, ch.ObjectType, ch.ObjectID, before, after
	e.Hash = e.ComputeHash()
	var actorID any
	if e.Actor.ID != 0 {
		actorID = e.Actor.ID
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log
		(seq, at, actor_kind, actor_id, actor_name, action, object_type, object_id, before_json, after_json, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		e.Seq, e.At, e.Actor.Kind, actorID, e.Actor.Name, e.Action, e.ObjectType, e.ObjectID,
		nullable(e.Before), nullable(e.After), e.PrevHash, e.Hash); err != nil {
		return fmt.Errorf("audit %s: insert: %w", ch.Action, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET last_hash = $1 WHERE id = 1`, e.Hash); err != nil {
		return fmt.Errorf("audit %s: head: %w", ch.Action, err)
	}
	return nil
}

// RecordTx records ch in a transaction of its own, for events that change nothing
// else (a login, a reveal of personal data).
func (l *Log) RecordTx(ctx context.Context, ch Change) error {
	return l.db.Tx(ctx, func(tx *sql.Tx) error { return l.Record(ctx, tx, ch) })
}

// ComputeHash returns the entry's hash over its previous hash and every field.
func (e Entry) ComputeHash() string {
	h := sha256.New()
	field := func(s string) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	field(e.PrevHash)
	field(strconv.FormatInt(e.Seq, 10))
	field(e.At.UTC().Format(time.RFC3339Nano))
	field(e.Actor.Kind)
	field(strconv.FormatInt(e.Actor.ID, 10))
	field(e.Actor.Name)
	field(e.Action)
	field(e.ObjectType)
	field(e.ObjectID)
	field(e.Before)
	field(e.After)
	return hex.EncodeToString(h.Sum(nil))
}

// Broken describes the first entry where the chain does not hold.
type Broken struct {
	Seq    int64
	Reason string
}

// VerifyResult is the outcome of Verify.
type VerifyResult struct {
	Checked int64
	Broken  *Broken // nil when the whole chain holds
}

// Verify walks the whole chain in order and reports the first broken entry: a hash
// that does not match its content, a link to the wrong previous hash, a gap in the
// sequence, or a head that does not match the last entry.
func (l *Log) Verify(ctx context.Context) (VerifyResult, error) {
	var res VerifyResult
	rows, err := l.db.Read().QueryContext(ctx, `SELECT `+columns+` FROM audit_log ORDER BY seq`)
	if err != nil {
		return res, fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close()
	prev, want := "", int64(1)
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return res, err
		}
		switch {
		case e.Seq != want:
			res.Broken = &Broken{Seq: want, Reason: fmt.Sprintf("entry %d is missing (next present is %d)", want, e.Seq)}
		case e.PrevHash != prev:
			res.Broken = &Broken{Seq: e.Seq, Reason: "its link to the previous entry does not match"}
		case e.ComputeHash() != e.Hash:
			res.Broken = &Broken{Seq: e.Seq, Reason: "its content does not match its hash (altered)"}
		}
		if res.Broken != nil {
			return res, nil
		}
		res.Checked++
		prev, want = e.Hash, e.Seq+1
	}
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("read audit log: %w", err)
	}
	var headSeq int64
	var headHash string
	if err := l.db.Read().QueryRowContext(ctx, `SELECT seq, last_hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash); err != nil {
		return res, fmt.Errorf("read audit head: %w", err)
	}
	if headSeq != want-1 || headHash != prev {
		res.Broken = &Broken{Seq: want, Reason: fmt.Sprintf("entries after %d were removed (the head records %d)", want-1, headSeq)}
	}
	return res, nil
}

// Filter selects entries for List; zero fields match everything.
type Filter struct {
	Actor      string
	Action     string // prefix, e.g. "user."
	ObjectType string
	ObjectID   string
	From, To   time.Time
	Limit      int
	Offset     int
}

// List returns matching entries, newest first, and how many match in all.
func (l *Log) List(ctx context.Context, f Filter) ([]Entry, int, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.Actor != "" {
		add("actor_name = $%d", f.Actor)
	}
	if f.Action != "" {
		add("action LIKE $%d", strings.ReplaceAll(f.Action, "%", "")+"%")
	}
	if f.ObjectType != "" {
		add("object_type = $%d", f.ObjectType)
	}
	if f.ObjectID != "" {
		add("object_id = $%d", f.ObjectID)
	}
	if !f.From.IsZero() {
		add("at >= $%d", f.From.UTC())
	}
	if !f.To.IsZero() {
		add("at < $%d", f.To.UTC())
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := l.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count audit log: %w", err)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	args = append(args, f.Limit, f.Offset)
	rows, err := l.db.Read().QueryContext(ctx, fmt.Sprintf(`SELECT %s FROM audit_log%s ORDER BY seq DESC LIMIT $%d OFFSET $%d`, columns, cond, len(args)-1, len(args)), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list audit log: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list audit log: %w", err)
	}
	return out, total, nil
}

const columns = `seq, at, actor_kind, actor_id, actor_name, action, object_type, object_id, before_json, after_json, prev_hash, hash`

func scan(rows *sql.Rows) (Entry, error) {
	var e Entry
	var actorID sql.NullInt64
	var before, after sql.NullString
	if err := rows.Scan(&e.Seq, &e.At, &e.Actor.Kind, &actorID, &e.Actor.Name, &e.Action, &e.ObjectType, &e.ObjectID, &before, &after, &e.PrevHash, &e.Hash); err != nil {
		return e, fmt.Errorf("read audit entry: %w", err)
	}
	e.At = e.At.UTC()
	e.Actor.ID, e.Before, e.After = actorID.Int64, before.String, after.String
	return e, nil
}

func marshal(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	switch x := v.(type) {
	case json.RawMessage:
		return string(x), nil
	case string:
		b, err := json.Marshal(x)
		return string(b), err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// ErrChainBroken is returned by callers that turn a broken chain into an error.
var ErrChainBroken = errors.New("audit chain broken")
