package checkup

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/network"
)

// Formats of a stored walk network.
const (
	FormatOSMXML = "osm-xml"
	FormatOSMPBF = "osm-pbf"
)

// ErrBadNetwork reports a walk-network file that cannot be used.
var ErrBadNetwork = errors.New("bad walk network")

// NetworkInfo describes a stored walk network.
type NetworkInfo struct {
	ID        int64
	Name      string
	Format    string // FormatOSMXML or FormatOSMPBF
	Bytes     int64  // size of the original file
	Nodes     int
	Edges     int // directed edges
	CreatedBy string
	CreatedAt time.Time
}

// FormatFromName guesses a walk-network format from a file name: ".pbf" is
// FormatOSMPBF, ".osm" and ".xml" (also gzip-free ".osm.xml") FormatOSMXML.
func FormatFromName(name string) (string, error) {
	n := strings.ToLower(name)
	switch {
	case strings.HasSuffix(n, ".pbf"):
		return FormatOSMPBF, nil
	case strings.HasSuffix(n, ".osm"), strings.HasSuffix(n, ".xml"):
		return FormatOSMXML, nil
	}
	return "", fmt.Errorf("%w: cannot tell the format of %q (use a .osm.pbf, .osm or .xml file)", ErrBadNetwork, name)
}

// SaveNetwork reads an OpenStreetMap file (format FormatOSMXML or FormatOSMPBF),
// builds its walk graph to check it, and stores the file gzip-compressed as a new
// walk network; later runs use the newest one. The change is audited.
func (s *Service) SaveNetwork(ctx context.Context, name, format string, r io.Reader) (NetworkInfo, error) {
	if format != FormatOSMXML && format != FormatOSMPBF {
		return NetworkInfo{}, fmt.Errorf("%w: format %q is neither %s nor %s", ErrBadNetwork, format, FormatOSMXML, FormatOSMPBF)
	}
	if strings.TrimSpace(name) == "" {
		return NetworkInfo{}, fmt.Errorf("%w: a name is required", ErrBadNetwork)
	}
	var zbuf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&zbuf, gzip.BestSpeed)
	if err != nil {
		return NetworkInfo{}, err
	}
	counter := &countingWriter{}
	g, err := parseOSM(ctx, io.TeeReader(r, io.MultiWriter(zw, counter)), format)
	if err != nil {
		return NetworkInfo{}, fmt.Errorf("%w: %s: %v", ErrBadNetwork, name, err)
	}
	// The parser may stop before the end of the file; keep all of it.
	if _, err := io.Copy(io.MultiWriter(zw, counter), r); err != nil {
		return NetworkInfo{}, fmt.Errorf("read %s: %w", name, err)
	}
	if err := zw.Close(); err != nil {
		return NetworkInfo{}, err
	}
	if g.Edges() == 0 {
		return NetworkInfo{}, fmt.Errorf("%w: %s holds no walkable street", ErrBadNetwork, name)
	}
	info := NetworkInfo{Name: name, Format: format, Bytes: counter.n, Nodes: g.Nodes(), Edges: g.Edges(),
		CreatedBy: audit.ActorFrom(ctx).Name, CreatedAt: s.now().UTC().Truncate(time.Microsecond)}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO walk_networks (name, format, data, bytes, nodes, edges, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			info.Name, info.Format, zbuf.Bytes(), info.Bytes, info.Nodes, info.Edges, info.CreatedBy, info.CreatedAt).Scan(&info.ID); err != nil {
			return fmt.Errorf("save walk network: %w", err)
		}
		return s.audit.Record(ctx, tx, audit.Change{Action: "checkup.network.save", ObjectType: "walk_network", ObjectID: strconv.FormatInt(info.ID, 10),
			After: map[string]any{"name": info.Name, "format": info.Format, "bytes": info.Bytes, "nodes": info.Nodes, "edges": info.Edges}})
	})
	if err != nil {
		return NetworkInfo{}, err
	}
	s.mu.Lock()
	s.graphs[info.ID] = g
	s.mu.Unlock()
	return info, nil
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

const networkCols = `id, name, format, bytes, nodes, edges, created_by, created_at`

func scanNetwork(sc interface{ Scan(...any) error }) (NetworkInfo, error) {
	var n NetworkInfo
	err := sc.Scan(&n.ID, &n.Name, &n.Format, &n.Bytes, &n.Nodes, &n.Edges, &n.CreatedBy, &n.CreatedAt)
	n.CreatedAt = n.CreatedAt.UTC()
	return n, err
}

// Networks lists the stored walk networks, newest first.
func (s *Service) Networks(ctx context.Context) ([]NetworkInfo, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+networkCols+` FROM walk_networks ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("walk networks: %w", err)
	}
	defer rows.Close()
	var out []NetworkInfo
	for rows.Next() {
		n, err := scanNetwork(rows)
		if err != nil {
			return nil, fmt.Errorf("walk networks: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// Network describes one stored walk network; id 0 means the newest. It returns
// ErrNotFound (wrapped) when there is none.
func (s *Service) Network(ctx context.Context, id int64) (NetworkInfo, error) {
	q, args := `SELECT `+networkCols+` FROM walk_networks WHERE id = $1`, []any{id}
	if id == 0 {
		q, args = `SELECT `+networkCols+` FROM walk_networks ORDER BY id DESC LIMIT 1`, nil
	}
	n, err := scanNetwork(s.db.Read().QueryRowContext(ctx, q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		if id == 0 {
			return n, fmt.Errorf("no walk network stored: %w", ErrNotFound)
		}
		return n, fmt.Errorf("walk network %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return n, fmt.Errorf("walk network %d: %w", id, err)
	}
	return n, nil
}

// Graph returns the walk graph of a stored network (id 0: the newest), parsing
// the stored file once and keeping the graph for later calls.
func (s *Service) Graph(ctx context.Context, id int64) (*network.Graph, NetworkInfo, error) {
	info, err := s.Network(ctx, id)
	if err != nil {
		return nil, info, err
	}
	s.mu.Lock()
	g := s.graphs[info.ID]
	s.mu.Unlock()
	if g != nil {
		return g, info, nil
	}
	var data []byte
	if err := s.db.Read().QueryRowContext(ctx, `SELECT data FROM walk_networks WHERE id = $1`, info.ID).Scan(&data); err != nil {
		return nil, info, fmt.Errorf("walk network %d: %w", info.ID, err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, info, fmt.Errorf("walk network %d: %w", info.ID, err)
	}
	g, err = parseOSM(ctx, zr, info.Format)
	if err != nil {
		return nil, info, fmt.Errorf("walk network %d: %w", info.ID, err)
	}
	s.mu.Lock()
	s.graphs[info.ID] = g
	s.mu.Unlock()
	return g, info, nil
}

// ErrNotFound is returned (wrapped) when a run, finding, network or override
// does not exist.
var ErrNotFound = db.ErrNotFound
