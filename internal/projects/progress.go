package projects

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/media"
)

const dateLayout = "2006-01-02"

// Milestone is a planned step of a project with its actual date.
type Milestone struct {
	ID        int64  `json:"id"`
	ProjectID int64  `json:"project_id"`
	ItemID    int64  `json:"item_id,omitempty"`
	ItemName  string `json:"item_name,omitempty"`
	Name      string `json:"name"`
	PlannedOn string `json:"planned_on"`          // YYYY-MM-DD
	ActualOn  string `json:"actual_on,omitempty"` // YYYY-MM-DD, "" while not reached
	Note      string `json:"note,omitempty"`
	// Delayed is set when the milestone was reached after its planned date or
	// is still open past it; DelayDays says by how many days.
	Delayed   bool   `json:"delayed"`
	DelayDays int    `json:"delay_days"`
	Photos    []File `json:"photos,omitempty"`
}

// File is a photo or document of a project.
type File struct {
	ID           int64     `json:"id"`
	MilestoneID  int64     `json:"milestone_id,omitempty"`
	Kind         string    `json:"kind"` // before, after, document
	Title        string    `json:"title"`
	AttachmentID int64     `json:"attachment_id"`
	Filename     string    `json:"filename"`
	ContentType  string    `json:"content_type"`
	Size         int64     `json:"size"`
	By           string    `json:"by"`
	At           time.Time `json:"at"`
}

// MilestoneInput is what a milestone is created or changed from.
type MilestoneInput struct {
	ItemID    int64
	Name      string
	PlannedOn string
	ActualOn  string
	Note      string
}

func (in *MilestoneInput) check() error {
	in.Name, in.Note = strings.TrimSpace(in.Name), strings.TrimSpace(in.Note)
	var bad []string
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 100 {
		bad = append(bad, "the milestone needs a name of 1 to 100 characters")
	}
	if _, err := time.Parse(dateLayout, in.PlannedOn); err != nil {
		bad = append(bad, fmt.Sprintf("the planned date %q is not YYYY-MM-DD", in.PlannedOn))
	}
	if in.ActualOn != "" {
		if _, err := time.Parse(dateLayout, in.ActualOn); err != nil {
			bad = append(bad, fmt.Sprintf("the actual date %q is not YYYY-MM-DD", in.ActualOn))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(bad, "; "))
	}
	return nil
}

// AddMilestone plans a milestone.
func (s *Service) AddMilestone(ctx context.Context, projectID int64, in MilestoneInput) (Milestone, error) {
	if err := in.check(); err != nil {
		return Milestone{}, err
	}
	var id int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.get(ctx, tx, projectID); err != nil {
			return err
		}
		if in.ItemID != 0 {
			it, err := s.item(ctx, tx, in.ItemID)
			if err != nil || it.ProjectID != projectID {
				return fmt.Errorf("%w: item %d is not part of this project", ErrInvalid, in.ItemID)
			}
		}
		now := s.clock()
		if err := tx.QueryRowContext(ctx, `INSERT INTO project_milestones (project_id, item_id, name, planned_on, actual_on, note, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`, projectID, nullID(in.ItemID), in.Name, in.PlannedOn, in.ActualOn, in.Note, now).Scan(&id); err != nil {
			return fmt.Errorf("milestone: %w", err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "project.milestone.add", ObjectType: "project_milestone", ObjectID: itoa(id),
			After: map[string]any{"project_id": projectID, "input": in}})
	})
	if err != nil {
		return Milestone{}, err
	}
	return s.Milestone(ctx, id)
}

// UpdateMilestone changes a milestone (typically to record its actual date).
func (s *Service) UpdateMilestone(ctx context.Context, id int64, in MilestoneInput) (Milestone, error) {
	if err := in.check(); err != nil {
		return Milestone{}, err
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := s.milestone(ctx, tx, id)
		if err != nil {
			return err
		}
		if in.ItemID != 0 {
			it, err := s.item(ctx, tx, in.ItemID)
			if err != nil || it.ProjectID != before.ProjectID {
				return fmt.Errorf("%w: item %d is not part of this project", ErrInvalid, in.ItemID)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE project_milestones SET item_id = $1, name = $2, planned_on = $3, actual_on = $4, note = $5, updated_at = $6 WHERE id = $7`,
			nullID(in.ItemID), in.Name, in.PlannedOn, in.ActualOn, in.Note, s.clock(), id); err != nil {
			return fmt.Errorf("milestone: %w", err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "project.milestone.update", ObjectType: "project_milestone", ObjectID: itoa(id),
			Before: before, After: in})
	})
	if err != nil {
		return Milestone{}, err
	}
	return s.Milestone(ctx, id)
}

const milestoneCols = `m.id, m.project_id, COALESCE(m.item_id, 0), COALESCE(i.name, ''), m.name, m.planned_on, m.actual_on, m.note`

func (s *Service) scanMilestone(sc interface{ Scan(...any) error }) (Milestone, error) {
	var m Milestone
	err := sc.Scan(&m.ID, &m.ProjectID, &m.ItemID, &m.ItemName, &m.Name, &m.PlannedOn, &m.ActualOn, &m.Note)
	if err != nil {
		return m, err
	}
	planned, _ := time.Parse(dateLayout, m.PlannedOn)
	end := s.now().In(shanghai)
	end = time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, time.UTC)
	if m.ActualOn != "" {
		end, _ = time.Parse(dateLayout, m.ActualOn)
	}
	if d := int(end.Sub(planned).Hours() / 24); d > 0 {
		m.Delayed, m.DelayDays = true, d
	}
	return m, nil
}

var shanghai = time.FixedZone("CST", 8*3600)

// Milestone returns one milestone with its photos.
func (s *Service) Milestone(ctx context.Context, id int64) (Milestone, error) {
	m, err := s.milestone(ctx, s.db.Read(), id)
	if err != nil {
		return m, err
	}
	files, err := s.files(ctx, s.db.Read(), "f.milestone_id = $1", id)
	m.Photos = files
	return m, err
}

func (s *Service) milestone(ctx context.Context, q db.Querier, id int64) (Milestone, error) {
	m, err := s.scanMilestone(q.QueryRowContext(ctx, `SELECT `+milestoneCols+` FROM project_milestones m LEFT JOIN project_items i ON i.id = m.item_id WHERE m.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return m, fmt.Errorf("milestone %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return m, fmt.Errorf("milestone %d: %w", id, err)
	}
	return m, nil
}

// Milestones lists a project's milestones by planned date, with their photos.
func (s *Service) Milestones(ctx context.Context, projectID int64) ([]Milestone, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+milestoneCols+` FROM project_milestones m LEFT JOIN project_items i ON i.id = m.item_id
		WHERE m.project_id = $1 ORDER BY m.planned_on, m.id`, projectID)
	if err != nil {
		return nil, fmt.Errorf("milestones: %w", err)
	}
	var out []Milestone
	for rows.Next() {
		m, err := s.scanMilestone(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("milestones: %w", err)
		}
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	files, err := s.files(ctx, s.db.Read(), "f.project_id = $1 AND f.milestone_id IS NOT NULL", projectID)
	if err != nil {
		return nil, err
	}
	for i := range out {
		for _, f := range files {
			if f.MilestoneID == out[i].ID {
				out[i].Photos = append(out[i].Photos, f)
			}
		}
	}
	return out, nil
}

// Upload limits.
const (
	MaxFileBytes  = 20 << 20
	MaxPhotoPixel = 40_000_000
)

// ErrFile: the upload is not an accepted file.
var ErrFile = errors.New("file rejected")

// cleanPhoto turns a JPEG or PNG picture upright and drops its metadata.
func cleanPhoto(filename string, data []byte) (string, []byte, error) {
	ct, clean, err := media.Clean(filename, data, MaxPhotoPixel)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %w", ErrFile, err)
	}
	return ct, clean, nil
}

// documentTypes are the kinds of documents accepted.
var documentTypes = []string{"application/pdf", "image/jpeg", "image/png", "application/zip", "text/plain; charset=utf-8"}

// AddFile stores a before/after photo of a milestone (metadata stripped) or
// a document of the project (PDF, picture, ZIP of drawings or text).
func (s *Service) AddFile(ctx context.Context, projectID, milestoneID int64, kind, title, filename string, r io.Reader) (File, error) {
	if !slices.Contains([]string{"before", "after", "document"}, kind) {
		return File{}, fmt.Errorf("%w: unknown file kind %q", ErrInvalid, kind)
	}
	if (kind == "document") != (milestoneID == 0) {
		return File{}, fmt.Errorf("%w: photos belong to a milestone, documents to the project", ErrInvalid)
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return File{}, fmt.Errorf("read upload: %w", err)
	}
	if len(data) == 0 || len(data) > MaxFileBytes {
		return File{}, fmt.Errorf("%w: %s is empty or larger than %d MB", ErrFile, filename, MaxFileBytes>>20)
	}
	ct := http.DetectContentType(data)
	if kind == "document" {
		if strings.HasPrefix(ct, "image/") {
			ct, data, err = cleanPhoto(filename, data)
			if err != nil {
				return File{}, err
			}
		} else if !slices.Contains(documentTypes, ct) {
			return File{}, fmt.Errorf("%w: %s is %s; documents may be PDF, JPEG, PNG, ZIP or text", ErrFile, filename, ct)
		}
	} else if ct, data, err = cleanPhoto(filename, data); err != nil {
		return File{}, err
	}
	name := path.Base(strings.ReplaceAll(filename, "\\", "/"))
	if name == "" || name == "." || name == "/" {
		name = "file"
	}
	title = strings.TrimSpace(title)
	if title == "" {
		title = name
	}
	a := audit.ActorFrom(ctx)
	sum := sha256.Sum256(data)
	f := File{MilestoneID: milestoneID, Kind: kind, Title: title, Filename: name, ContentType: ct, Size: int64(len(data)), By: a.Name, At: s.clock()}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.get(ctx, tx, projectID); err != nil {
			return err
		}
		if milestoneID != 0 {
			m, err := s.milestone(ctx, tx, milestoneID)
			if err != nil {
				return err
			}
			if m.ProjectID != projectID {
				return fmt.Errorf("%w: milestone %d is not part of this project", ErrInvalid, milestoneID)
			}
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO attachments (filename, content_type, size_bytes, data, sha256, uploaded_by, uploaded_by_id, uploaded_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, name, ct, len(data), data, hex.EncodeToString(sum[:]), a.Name, actorID(a), f.At).Scan(&f.AttachmentID); err != nil {
			return fmt.Errorf("store file: %w", err)
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO project_files (project_id, milestone_id, kind, title, attachment_id, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, projectID, nullID(milestoneID), kind, title, f.AttachmentID, a.Name, f.At).Scan(&f.ID); err != nil {
			return fmt.Errorf("store file: %w", err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "project.file.add", ObjectType: "project_file", ObjectID: itoa(f.ID),
			After: map[string]any{"project_id": projectID, "milestone_id": milestoneID, "kind": kind, "title": title, "filename": name, "size": len(data)}})
	})
	return f, err
}

func (s *Service) files(ctx context.Context, q db.Querier, cond string, arg int64) ([]File, error) {
	rows, err := q.QueryContext(ctx, `SELECT f.id, COALESCE(f.milestone_id, 0), f.kind, f.title, f.attachment_id, a.filename, a.content_type, a.size_bytes, f.created_by, f.created_at
		FROM project_files f JOIN attachments a ON a.id = f.attachment_id WHERE `+cond+` ORDER BY f.id`, arg)
	if err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	defer rows.Close()
	var out []File
	for rows.Next() {
		var f File
		if err := rows.Scan(&f.ID, &f.MilestoneID, &f.Kind, &f.Title, &f.AttachmentID, &f.Filename, &f.ContentType, &f.Size, &f.By, &f.At); err != nil {
			return nil, fmt.Errorf("files: %w", err)
		}
		f.At = f.At.UTC()
		out = append(out, f)
	}
	return out, rows.Err()
}

// Documents lists a project's documents.
func (s *Service) Documents(ctx context.Context, projectID int64) ([]File, error) {
	return s.files(ctx, s.db.Read(), "f.project_id = $1 AND f.kind = 'document'", projectID)
}

// FileContent returns a project file's bytes, checking it belongs to the project.
func (s *Service) FileContent(ctx context.Context, projectID, fileID int64) (File, []byte, error) {
	var f File
	var data []byte
	err := s.db.Read().QueryRowContext(ctx, `SELECT f.id, f.kind, f.title, a.filename, a.content_type, a.data FROM project_files f
		JOIN attachments a ON a.id = f.attachment_id WHERE f.id = $1 AND f.project_id = $2`, fileID, projectID).
		Scan(&f.ID, &f.Kind, &f.Title, &f.Filename, &f.ContentType, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return f, nil, fmt.Errorf("file %d: %w", fileID, ErrNotFound)
	}
	if err != nil {
		return f, nil, fmt.Errorf("file %d: %w", fileID, err)
	}
	return f, data, nil
}
