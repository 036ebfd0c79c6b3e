package demo

import (
	"bufio"
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
)

// Network is the walkable street network of the generated city, in the shape of
// OpenStreetMap data: nodes with positions and ways through them.
type Network struct {
	Nodes []Node
	Ways  []Way
}

// Node is one point of the network, WGS-84.
type Node struct {
	ID       int64
	Lon, Lat float64
}

// Way is one street, footway or service road through two or more nodes. Highway
// holds the OpenStreetMap highway value: primary, secondary, tertiary,
// residential, living_street, pedestrian, footway or service.
type Way struct {
	ID      int64
	NodeIDs []int64
	Highway string
	Name    string
}

// Highway values used by the generator.
const (
	hwPrimary     = "primary"
	hwSecondary   = "secondary"
	hwTertiary    = "tertiary"
	hwResidential = "residential"
	hwLiving      = "living_street"
	hwPedestrian  = "pedestrian"
	hwFootway     = "footway"
	hwService     = "service"
)

// halfWidth returns half the width, in metres, of a street of the given kind:
// the strip between its centreline and the first fence.
func halfWidth(highway string) float64 {
	switch highway {
	case hwPrimary:
		return 20
	case hwSecondary:
		return 15
	case hwTertiary:
		return 12
	case hwResidential:
		return 7
	case hwPedestrian:
		return 6
	case hwLiving:
		return 5
	case hwService:
		return 3
	}
	return 2
}

// street is one straight, axis-parallel street in local metres. Coordinates are
// whole metres so that junctions can be found by exact comparison.
type street struct {
	x0, y0, x1, y1 float64 // x0 <= x1, y0 <= y1; either x0 == x1 or y0 == y1
	highway        string
	name           string
}

func (s *street) vertical() bool { return s.x0 == s.x1 }

// netBuilder collects streets and turns them into a Network.
type netBuilder struct {
	streets []street
}

func (nb *netBuilder) add(s street) int {
	if s.x0 > s.x1 {
		s.x0, s.x1 = s.x1, s.x0
	}
	if s.y0 > s.y1 {
		s.y0, s.y1 = s.y1, s.y0
	}
	nb.streets = append(nb.streets, s)
	return len(nb.streets) - 1
}

// build finds every junction (a crossing, or one street ending on another), puts
// a shared node there and emits one way per street.
func (nb *netBuilder) build(p projection) *Network {
	ss := nb.streets
	var hs, vs []int32
	for i := range ss {
		if ss[i].vertical() {
			vs = append(vs, int32(i))
		} else {
			hs = append(hs, int32(i))
		}
	}
	slices.SortFunc(vs, func(a, b int32) int { return cmp.Compare(ss[a].x0, ss[b].x0) })
	// stops[i] lists the positions along street i (x for horizontal, y for
	// vertical) where a node goes.
	stops := make([][]float64, len(ss))
	for i := range ss {
		s := &ss[i]
		if s.vertical() {
			stops[i] = append(stops[i], s.y0, s.y1)
		} else {
			stops[i] = append(stops[i], s.x0, s.x1)
		}
	}
	for _, h := range hs {
		hsx := &ss[h]
		lo, _ := slices.BinarySearchFunc(vs, hsx.x0, func(v int32, x float64) int { return cmp.Compare(ss[v].x0, x) })
		for _, v := range vs[lo:] {
			vsx := &ss[v]
			if vsx.x0 > hsx.x1 {
				break
			}
			if hsx.y0 >= vsx.y0 && hsx.y0 <= vsx.y1 {
				stops[h] = append(stops[h], vsx.x0)
				stops[v] = append(stops[v], hsx.y0)
			}
		}
	}
	total := 0
	for i := range stops {
		slices.Sort(stops[i])
		stops[i] = slices.Compact(stops[i])
		total += len(stops[i])
	}
	net := &Network{Nodes: make([]Node, 0, total*2/3), Ways: make([]Way, 0, len(ss))}
	index := make(map[int64]int64, total*2/3)
	refs := make([]int64, total)
	for i := range ss {
		s := &ss[i]
		ids := refs[:len(stops[i]):len(stops[i])]
		refs = refs[len(stops[i]):]
		for k, t := range stops[i] {
			x, y := t, s.y0
			if s.vertical() {
				x, y = s.x0, t
			}
			key := int64(x)<<32 | int64(y)
			id, ok := index[key]
			if !ok {
				id = int64(len(net.Nodes) + 1)
				index[key] = id
				lon, lat := p.lonLat(x, y)
				net.Nodes = append(net.Nodes, Node{ID: id, Lon: lon, Lat: lat})
			}
			ids[k] = id
		}
		net.Ways = append(net.Ways, Way{ID: int64(i + 1), NodeIDs: ids, Highway: s.highway, Name: s.name})
	}
	return net
}

// WriteOSM writes the network as OpenStreetMap XML 0.6, readable by OSMnx,
// osmium and the network package.
func (n *Network) WriteOSM(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var b []byte
	b = append(b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<osm version="0.6" generator="gengxin demo">`+"\n"...)
	if len(n.Nodes) > 0 {
		minLon, minLat, maxLon, maxLat := n.Nodes[0].Lon, n.Nodes[0].Lat, n.Nodes[0].Lon, n.Nodes[0].Lat
		for _, nd := range n.Nodes {
			minLon, maxLon = min(minLon, nd.Lon), max(maxLon, nd.Lon)
			minLat, maxLat = min(minLat, nd.Lat), max(maxLat, nd.Lat)
		}
		b = append(b, ` <bounds minlat="`...)
		b = appendCoord(b, minLat)
		b = append(b, `" minlon="`...)
		b = appendCoord(b, minLon)
		b = append(b, `" maxlat="`...)
		b = appendCoord(b, maxLat)
		b = append(b, `" maxlon="`...)
		b = appendCoord(b, maxLon)
		b = append(b, "\"/>\n"...)
	}
	for _, nd := range n.Nodes {
		b = append(b, ` <node id="`...)
		b = strconv.AppendInt(b, nd.ID, 10)
		b = append(b, `" lat="`...)
		b = appendCoord(b, nd.Lat)
		b = append(b, `" lon="`...)
		b = appendCoord(b, nd.Lon)
		b = append(b, "\" version=\"1\"/>\n"...)
		if len(b) > 32<<10 {
			if _, err := bw.Write(b); err != nil {
				return fmt.Errorf("write osm: %w", err)
			}
			b = b[:0]
		}
	}
	for _, wy := range n.Ways {
		if len(wy.NodeIDs) < 2 {
			return fmt.Errorf("write osm: way %d has %d nodes", wy.ID, len(wy.NodeIDs))
		}
		b = append(b, ` <way id="`...)
		b = strconv.AppendInt(b, wy.ID, 10)
		b = append(b, "\" version=\"1\">\n"...)
		for _, ref := range wy.NodeIDs {
			b = append(b, `  <nd ref="`...)
			b = strconv.AppendInt(b, ref, 10)
			b = append(b, "\"/>\n"...)
		}
		b = appendTag(b, "highway", wy.Highway)
		if wy.Name != "" {
			b = appendTag(b, "name", wy.Name)
		}
		b = append(b, " </way>\n"...)
		if len(b) > 32<<10 {
			if _, err := bw.Write(b); err != nil {
				return fmt.Errorf("write osm: %w", err)
			}
			b = b[:0]
		}
	}
	b = append(b, "</osm>\n"...)
	if _, err := bw.Write(b); err != nil {
		return fmt.Errorf("write osm: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write osm: %w", err)
	}
	return nil
}

func appendCoord(b []byte, v float64) []byte {
	return strconv.AppendFloat(b, v, 'f', 7, 64)
}

// sliceWriter appends whatever is written to it to a byte slice.
type sliceWriter struct{ b *[]byte }

func (s sliceWriter) Write(p []byte) (int, error) {
	*s.b = append(*s.b, p...)
	return len(p), nil
}

func appendTag(b []byte, k, v string) []byte {
	b = append(b, `  <tag k="`...)
	b = append(b, k...)
	b = append(b, `" v="`...)
	_ = xml.EscapeText(sliceWriter{&b}, []byte(v)) // writing to a slice cannot fail
	return append(b, "\"/>\n"...)
}
