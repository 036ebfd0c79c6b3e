package consult

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gengxin/gengxin/internal/audit"
)

// MaxAttachmentBytes is the largest scan accepted (10 MB).
const MaxAttachmentBytes = 10 << 20

// ErrAttachmentTooLarge is returned (wrapped) for a file over MaxAttachmentBytes.
var ErrAttachmentTooLarge = errors.New("the file is larger than 10 MB")

// ErrAttachmentType is returned (wrapped) for a file that is not an image or a PDF.
var ErrAttachmentType = errors.New("only images (JPEG, PNG, GIF, WebP) and PDF files are accepted")

// allowedTypes are the content types a scan may have, as sniffed from its bytes.
var allowedTypes = [...]string{"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"}

// Attachment is a stored scan: a paper ballot, a proxy authorisation or a
// written consent.
type Attachment struct {
	ID          int64     `json:"id"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	UploadedBy  string    `json:"uploaded_by"`
	UploadedAt  time.Time `json:"uploaded_at"`
	Data        []byte    `json:"-"`
}

// sniff returns the content type of data if it is an accepted one.
func sniff(data []byte) (string, error) {
	ct := http.DetectContentType(data)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	for _, a := range allowedTypes {
		if ct == a {
			return ct, nil
		}
	}
	return "", fmt.Errorf("%w (the file looks like %s)", ErrAttachmentType, ct)
}

func cleanFilename(name string) string {
	name = filepath.Base(strings.ReplaceAll(strings.TrimSpace(name), "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	if name == "." || name == "/" || name == "" {
		name = "scan"
	}
	for utf8.RuneCountInString(name) > 120 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return name
}

// UploadAttachment stores a scan read from r, checking its size and, by its
// content (not its name), that it is an image or a PDF.
func (s *Service) UploadAttachment(ctx context.Context, filename string, r io.Reader) (Attachment, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxAttachmentBytes+1))
	if err != nil {
		return Attachment{}, fmt.Errorf("read upload: %w", err)
	}
	if len(data) > MaxAttachmentBytes {
		return Attachment{}, fmt.Errorf("%s: %w", filename, ErrAttachmentTooLarge)
	}
	if len(data) == 0 {
		return Attachment{}, fmt.Errorf("%w: %s is empty", ErrInvalid, filename)
	}
	ct, err := sniff(data)
	if err != nil {
		return Attachment{}, fmt.Errorf("%s: %w", filename, err)
	}
	sum := sha256.Sum256(data)
	a := Attachment{Filename: cleanFilename(filename), ContentType: ct, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]),
		UploadedAt: s.clock(), Data: data}
	actor := audit.ActorFrom(ctx)
	a.UploadedBy = actor.Name
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO attachments (filename, content_type, size_bytes, data, sha256, uploaded_by, uploaded_by_id, uploaded_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, a.Filename, a.ContentType, a.Size, a.Data, a.SHA256, a.UploadedBy,
			actorID(actor), a.UploadedAt).Scan(&a.ID); err != nil {
			return fmt.Errorf("store attachment: %w", err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "attachment.upload", ObjectType: "attachment", ObjectID: strconv.FormatInt(a.ID, 10),
			After: map[string]any{"filename": a.Filename, "content_type": a.ContentType, "size": a.Size, "sha256": a.SHA256}})
	})
	if err != nil {
		return Attachment{}, err
	}
	return a, nil
}

// Attachment returns a stored scan with its bytes.
func (s *Service) Attachment(ctx context.Context, id int64) (Attachment, error) {
	var a Attachment
	err := s.db.Read().QueryRowContext(ctx, `SELECT id, filename, content_type, size_bytes, data, sha256, uploaded_by, uploaded_at
		FROM attachments WHERE id = $1`, id).Scan(&a.ID, &a.Filename, &a.ContentType, &a.Size, &a.Data, &a.SHA256, &a.UploadedBy, &a.UploadedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("attachment %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("read attachment %d: %w", id, err)
	}
	a.UploadedAt = a.UploadedAt.UTC()
	if sum := sha256.Sum256(a.Data); hex.EncodeToString(sum[:]) != a.SHA256 {
		return a, fmt.Errorf("attachment %d: its content does not match its checksum", id)
	}
	return a, nil
}
