package network

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/paulmach/osm"
	"github.com/paulmach/osm/osmpbf"
	"github.com/paulmach/osm/osmxml"
)

// ErrNoWalkways is returned (wrapped) when a file holds no walkable segment.
var ErrNoWalkways = errors.New("no walkable ways with their nodes")

// ErrEmptyFile is returned (wrapped) when an OpenStreetMap file is empty.
var ErrEmptyFile = errors.New("the file is empty")

// ReadOSM reads OpenStreetMap data, format "pbf" or "xml", and builds the walk
// network of its walkable ways (see the package documentation). The file is read
// once, in any order of nodes and ways; the position of every node is kept until
// the graph is built (24 bytes a node). Damaged, truncated and empty files, and
// files without a single walkable segment, give an error.
func ReadOSM(ctx context.Context, r io.Reader, format string) (*Graph, error) {
	format = strings.ToLower(strings.TrimSpace(format))
	if format != "pbf" && format != "xml" {
		return nil, fmt.Errorf("read OpenStreetMap file: unknown format %q: use pbf or xml", format)
	}
	br := bufio.NewReaderSize(r, 256<<10)
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("read OpenStreetMap file: %w", err)
	}
	if len(bytes.TrimSpace(head)) == 0 {
		return nil, fmt.Errorf("read OpenStreetMap %s file: %w", format, ErrEmptyFile)
	}
	b := NewBuilder()
	var nodeMu sync.Mutex // guards the builder's nodes while the PBF decoders run
	var sc osm.Scanner
	switch format {
	case "pbf":
		if !bytes.Contains(head[:min(len(head), 64)], []byte("OSMHeader")) {
			return nil, errors.New("read OpenStreetMap pbf file: not an OpenStreetMap PBF file (no OSMHeader block at the start)")
		}
		ps := osmpbf.New(ctx, br, max(1, runtime.GOMAXPROCS(0)))
		ps.SkipRelations = true
		// Decoders call the filters concurrently. Node positions go straight
		// into the builder, which spares allocating an object per node.
		ps.FilterNode = func(n *osm.Node) bool {
			nodeMu.Lock()
			b.AddNode(int64(n.ID), Point{Lon: n.Lon, Lat: n.Lat})
			nodeMu.Unlock()
			return false
		}
		ps.FilterWay = func(w *osm.Way) bool { return walkableTags(w.Tags) }
		sc = ps
	default:
		if !bytes.Contains(head, []byte("<osm")) {
			return nil, errors.New("read OpenStreetMap xml file: not an OpenStreetMap XML file (no <osm> element at the start)")
		}
		sc = osmxml.New(ctx, br)
	}
	defer sc.Close()
	var refs []int64
	count := 0
	for sc.Scan() {
		switch o := sc.Object().(type) {
		case *osm.Node:
			b.AddNode(int64(o.ID), Point{Lon: o.Lon, Lat: o.Lat})
		case *osm.Way:
			if format == "xml" && !walkableTags(o.Tags) {
				continue
			}
			refs = refs[:0]
			for _, n := range o.Nodes {
				refs = append(refs, int64(n.ID))
			}
			b.AddWay(refs)
		}
		if count++; count&0xffff == 0 && ctx.Err() != nil {
			break
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read OpenStreetMap file: %w", err)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read OpenStreetMap %s file: damaged or truncated: %w", format, err)
	}
	sc.Close() // waits for the decoders
	nodeMu.Lock()
	defer nodeMu.Unlock()
	g := b.Build()
	if g.Edges() == 0 {
		st := g.Stats()
		return nil, fmt.Errorf("read OpenStreetMap %s file: %w (%d nodes, %d walkable ways, %d references to missing nodes)",
			format, ErrNoWalkways, st.FileNodes, st.Ways, st.MissingRefs)
	}
	return g, nil
}

// ReadOSMFile reads an OpenStreetMap file with ReadOSM. The format comes from
// the file name (.pbf; .osm or .xml), or else from the first bytes.
func ReadOSMFile(ctx context.Context, path string) (*Graph, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read walk network: %w", err)
	}
	defer f.Close()
	format := FormatOf(path)
	if format == "" {
		var head [1]byte
		n, _ := io.ReadFull(f, head[:])
		format = "pbf"
		if n == 1 && (head[0] == '<' || head[0] == ' ' || head[0] == '\n' || head[0] == '\r' || head[0] == '\t' || head[0] == 0xEF) {
			format = "xml"
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, fmt.Errorf("read walk network %s: %w", path, err)
		}
	}
	g, err := ReadOSM(ctx, f, format)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return g, nil
}

// FormatOf returns "pbf" or "xml" for an OpenStreetMap file name, "" when the
// name does not tell.
func FormatOf(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".pbf":
		return "pbf"
	case ".osm", ".xml":
		return "xml"
	}
	return ""
}
