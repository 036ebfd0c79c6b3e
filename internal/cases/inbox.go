package cases

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/sla"
	"github.com/gengxin/gengxin/internal/web"
)

// Recipient says why a user got a deadline notification.
type Recipient string

// Recipients of a deadline notification.
const (
	ToAssignee   Recipient = "assignee"
	ToSupervisor Recipient = "supervisor"
)

// InboxItem is one stored deadline notification of a user.
type InboxItem struct {
	ID        int64
	CaseID    int64
	Recipient Recipient
	Kind      sla.EventKind
	Stage     sla.Stage
	Due, At   time.Time
	ReadAt    time.Time // zero while unread
	Category  string
	State     State
}

// Unread reports whether the item was not marked read yet.
func (i InboxItem) Unread() bool { return i.ReadAt.IsZero() }

// InboxLimit is how many notifications the inbox shows, newest first.
const InboxLimit = 100

// storeNotification keeps n for each of its recipients inside tx, as part
// of the timer run that raised it.
func storeNotification(ctx context.Context, tx *sql.Tx, n Notification) error {
	for _, to := range []struct {
		id  int64
		why Recipient
	}{{n.AssigneeID, ToAssignee}, {n.Supervisor, ToSupervisor}} {
		if to.id == 0 || to.why == ToSupervisor && to.id == n.AssigneeID {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO case_notifications (user_id, case_id, recipient, kind, stage, due, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, to.id, n.CaseID, string(to.why), string(n.Kind), string(n.Stage), n.Due.UTC(), n.At.UTC()); err != nil {
			return fmt.Errorf("case %d: notify user %d: %w", n.CaseID, to.id, err)
		}
	}
	return nil
}

// Inbox returns the newest InboxLimit deadline notifications of userID,
// newest first, and how many of all of theirs are unread. Nobody sees
// another user's notifications.
func (s *Service) Inbox(ctx context.Context, userID int64) ([]InboxItem, int, error) {
	unread, err := s.UnreadCount(ctx, userID)
	if err != nil {
		return nil, 0, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT n.id, n.case_id, n.recipient, n.kind, n.stage, n.due, n.at, n.read_at, c.category, c.state
		FROM case_notifications n JOIN cases c ON c.id = n.case_id
		WHERE n.user_id = $1 ORDER BY n.id DESC LIMIT $2`, userID, InboxLimit)
	if err != nil {
		return nil, 0, fmt.Errorf("inbox of user %d: %w", userID, err)
	}
	defer rows.Close()
	var out []InboxItem
	for rows.Next() {
		var i InboxItem
		var read sql.NullTime
		if err := rows.Scan(&i.ID, &i.CaseID, &i.Recipient, &i.Kind, &i.Stage, &i.Due, &i.At, &read, &i.Category, &i.State); err != nil {
			return nil, 0, fmt.Errorf("inbox of user %d: %w", userID, err)
		}
		i.Due, i.At = i.Due.UTC(), i.At.UTC()
		if read.Valid {
			i.ReadAt = read.Time.UTC()
		}
		out = append(out, i)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("inbox of user %d: %w", userID, err)
	}
	return out, unread, nil
}

// UnreadCount returns how many deadline notifications of userID are unread.
func (s *Service) UnreadCount(ctx context.Context, userID int64) (int, error) {
	var n int
	if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM case_notifications WHERE user_id = $1 AND read_at IS NULL`,
		userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("unread notifications of user %d: %w", userID, err)
	}
	return n, nil
}

// MarkRead marks notifications of userID read: those of ids, or every
// unread one when ids is empty. Ids of other users' notifications change
// nothing. It returns how many were marked, and records that in the audit log.
func (s *Service) MarkRead(ctx context.Context, userID int64, ids []int64) (int, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		args := []any{s.clock(), userID}
		q := `UPDATE case_notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL`
		if len(ids) > 0 {
			q += ` AND id IN (` + placeholders(len(ids), 3) + `)`
			for _, id := range ids {
				args = append(args, id)
			}
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("mark notifications read: %w", err)
		}
		if n, err = res.RowsAffected(); err != nil {
			return fmt.Errorf("mark notifications read: %w", err)
		}
		if n == 0 {
			return nil
		}
		after := map[string]any{"marked": n}
		if len(ids) > 0 {
			after["ids"] = ids
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "case.notifications.read", ObjectType: "user", ObjectID: itoa(userID), After: after})
	})
	return int(n), err
}

// ---- inbox page ----

// maxMarkIDs bounds the ids one mark-read request may name.
const maxMarkIDs = InboxLimit

func (h *Handlers) inboxRoutes() []web.Route {
	handle := string(auth.CasesHandle)
	return []web.Route{
		{Method: "GET", Pattern: "/cases/inbox", Perm: handle, Handler: h.inbox},
		{Method: "POST", Pattern: "/cases/inbox/read", Perm: handle, Handler: h.markRead},
	}
}

type inboxRow struct {
	InboxItem
	CategoryName string
}

type inboxData struct {
	Items  []inboxRow
	Unread int
}

func (h *Handlers) inbox(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	items, unread, err := h.svc.Inbox(r.Context(), p.UserID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if web.WantsJSON(r) {
		type item struct {
			ID        int64     `json:"id"`
			CaseID    int64     `json:"case_id"`
			Recipient string    `json:"recipient"`
			Kind      string    `json:"kind"`
			Stage     string    `json:"stage"`
			Due       time.Time `json:"due"`
			At        time.Time `json:"at"`
			Unread    bool      `json:"unread"`
		}
		out := []item{}
		for _, i := range items {
			out = append(out, item{ID: i.ID, CaseID: i.CaseID, Recipient: string(i.Recipient), Kind: string(i.Kind), Stage: string(i.Stage),
				Due: i.Due, At: i.At, Unread: i.Unread()})
		}
		web.JSON(w, http.StatusOK, map[string]any{"unread": unread, "items": out})
		return
	}
	data := inboxData{Unread: unread}
	for _, i := range items {
		data.Items = append(data.Items, inboxRow{InboxItem: i, CategoryName: h.categoryName(r, i.Category)})
	}
	h.rd.Render(w, http.StatusOK, "case_inbox", h.rd.NewPage(r, "cases.inbox.title", data))
}

// markRead marks the notifications named by the form's id fields read, or
// all of the caller's with all=1.
func (h *Handlers) markRead(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, fmt.Errorf("%w: %v", ErrInvalid, err))
		return
	}
	var ids []int64
	for _, v := range r.Form["id"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			h.fail(w, r, fmt.Errorf("%w: notification %q", ErrInvalid, v))
			return
		}
		ids = append(ids, id)
	}
	switch {
	case len(ids) > maxMarkIDs:
		h.fail(w, r, fmt.Errorf("%w: at most %d notifications at once", ErrInvalid, maxMarkIDs))
		return
	case len(ids) == 0 && r.FormValue("all") != "1":
		h.fail(w, r, fmt.Errorf("%w: name the notifications to mark read, or all", ErrInvalid))
		return
	}
	p := principalOf(r)
	n, err := h.svc.MarkRead(r.Context(), p.UserID, ids)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if web.WantsJSON(r) {
		unread, err := h.svc.UnreadCount(r.Context(), p.UserID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		web.JSON(w, http.StatusOK, map[string]int{"marked": n, "unread": unread})
		return
	}
	http.Redirect(w, r, "/cases/inbox", http.StatusSeeOther)
}
