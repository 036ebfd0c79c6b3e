package cases

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/media"
)

// Photo limits: the largest upload accepted and the largest picture decoded.
const (
	MaxPhotoBytes  = 10 << 20
	MaxPhotoPixels = 40_000_000
	// MaxPhotos is how many photos one report or step may carry.
	MaxPhotos = 4
)

// ErrPhoto: the upload is not a JPEG or PNG picture, or is too large.
var ErrPhoto = errors.New("photo rejected")

// UploadPhoto checks that r holds a JPEG or PNG picture within the limits,
// decodes it and encodes it again, which drops every metadata segment (EXIF
// with the GPS position, XMP, comments), and stores the clean picture as an
// attachment. It returns the attachment id to pass in ReportInput.Photos or
// Step.Photos.
func (s *Service) UploadPhoto(ctx context.Context, filename string, r io.Reader) (int64, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxPhotoBytes+1))
	if err != nil {
		return 0, fmt.Errorf("read photo: %w", err)
	}
	switch {
	case len(data) == 0:
		return 0, fmt.Errorf("%w: %s is empty", ErrPhoto, filename)
	case len(data) > MaxPhotoBytes:
		return 0, fmt.Errorf("%w: %s is larger than %d MB", ErrPhoto, filename, MaxPhotoBytes>>20)
	}
	ct, clean, err := media.Clean(filename, data, MaxPhotoPixels)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrPhoto, err)
	}
	sum := sha256.Sum256(clean)
	name := photoName(filename, ct)
	actor := audit.ActorFrom(ctx)
	var id int64
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO attachments (filename, content_type, size_bytes, data, sha256, uploaded_by, uploaded_by_id, uploaded_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, name, ct, len(clean), clean, hex.EncodeToString(sum[:]),
			actor.Name, actorID(actor), s.clock()).Scan(&id); err != nil {
			return fmt.Errorf("store photo: %w", err)
		}
		return s.log.Record(ctx, tx, audit.Change{Action: "attachment.upload", ObjectType: "attachment", ObjectID: itoa(id),
			After: map[string]any{"filename": name, "content_type": ct, "size": len(clean), "metadata": "stripped"}})
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}

// photoName keeps the base of an uploaded file's name with the extension of
// its real type.
func photoName(filename, ct string) string {
	base := strings.TrimSuffix(path.Base(strings.ReplaceAll(filename, "\\", "/")), path.Ext(filename))
	base = strings.Map(func(r rune) rune {
		if r < 32 || strings.ContainsRune(`/\:*?"<>|`, r) {
			return '_'
		}
		return r
	}, base)
	if base == "" || base == "." {
		base = "photo"
	}
	if len(base) > 80 {
		base = base[:80]
	}
	if ct == "image/png" {
		return base + ".png"
	}
	return base + ".jpg"
}

// Photo returns a stored photo's content type and bytes.
func (s *Service) Photo(ctx context.Context, id int64) (string, []byte, error) {
	var ct string
	var data []byte
	err := s.db.Read().QueryRowContext(ctx, `SELECT content_type, data FROM attachments WHERE id = $1`, id).Scan(&ct, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, fmt.Errorf("photo %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return "", nil, fmt.Errorf("read photo %d: %w", id, err)
	}
	return ct, data, nil
}
