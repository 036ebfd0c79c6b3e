package network

import "unsafe"

// minContractEdges is the smallest graph, in directed edges, whose chains are
// contracted by default: below it the core graph's fixed cost outweighs the gain.
const minContractEdges = 256

// coreGraph is the graph the searches run on: the walk graph with every chain
// of nodes of degree 2 replaced by one edge between the nodes at its ends
// (junctions, dead ends, and one node of each ring made only of degree-2
// nodes). On a city network that leaves about one node in seven. Snapped points
// stay on the original segments: a point on a chain hangs on the chain's two
// ends, at its exact distances from them along the chain.
type coreGraph struct {
	first  []int32   // core node v's edges are first[v]..first[v+1]-1
	to     []int32   // target core node of each directed edge
	length []float64 // length of each directed edge (the chain's), metres

	// where tells, per graph node, its core index (>= 0) or, for a node
	// inside a chain, -(chain+1).
	where []int32
	// pos is, per node inside a chain, its distance from the chain's a end
	// along the chain.
	pos []float64

	chainA, chainB []int32   // core nodes at the ends of each chain
	chainLen       []float64 // length of each chain
}

func (c *coreGraph) nodes() int { return len(c.first) - 1 }

// contracted reports whether the core graph has arrays of its own; when
// contracting would not pay, it is the walk graph itself.
func (c *coreGraph) contracted() bool { return c.where != nil }

// bytes returns the memory the core graph holds beyond the walk graph's.
func (c *coreGraph) bytes() int {
	if !c.contracted() {
		return 0
	}
	return int(unsafe.Sizeof(*c)) + cap(c.first)*4 + cap(c.to)*4 + cap(c.length)*8 + cap(c.where)*4 + cap(c.pos)*8 +
		cap(c.chainA)*4 + cap(c.chainB)*4 + cap(c.chainLen)*8
}

// Contraction modes of a Builder.
const (
	contractAuto   = 0  // when it pays: see buildCore
	contractAlways = 1  // whenever there is a degree-2 node (tests)
	contractNever  = -1 // never (tests)
)

// buildCore contracts the chains of degree-2 nodes of g. In mode contractAuto
// it does so when the graph has at least minContractEdges directed edges and
// the core graph keeps at most half of them; otherwise the searches run on the
// walk graph itself, and the memory stays what it was.
func buildCore(g *Graph, mode int) *coreGraph {
	n := len(g.ids)
	first, to, length := g.first, g.to, g.length
	isCore := make([]bool, n)
	coreEdges := 0
	for v := range n {
		if isCore[v] = first[v+1]-first[v] != 2; isCore[v] {
			coreEdges += int(first[v+1] - first[v])
		}
	}
	worth := len(to) >= minContractEdges && coreEdges <= len(to)/2
	if mode == contractNever || coreEdges == len(to) || mode == contractAuto && !worth {
		return &coreGraph{first: first, to: to, length: length}
	}
	c := &coreGraph{where: make([]int32, n), pos: make([]float64, n)}
	where, pos := c.where, c.pos // 0 for chain nodes not yet walked
	// walk follows a chain from node a over edge e to the next core node,
	// numbering it and placing its nodes.
	walk := func(a int32, e int32) {
		id := int32(len(c.chainA))
		prev, cur, d := a, to[e], length[e]
		for !isCore[cur] {
			where[cur], pos[cur] = -(id + 1), d
			k := first[cur]
			if to[k] == prev {
				k++
			}
			prev, cur = cur, to[k]
			d += length[k]
		}
		c.chainA = append(c.chainA, a)
		c.chainB = append(c.chainB, cur)
		c.chainLen = append(c.chainLen, d)
	}
	for a := range int32(n) {
		if !isCore[a] {
			continue
		}
		for e := first[a]; e < first[a+1]; e++ {
			if x := to[e]; !isCore[x] && where[x] == 0 {
				walk(a, e)
			}
		}
	}
	// What is left are rings without a junction: one node of each becomes
	// a core node.
	for v := range int32(n) {
		if !isCore[v] && where[v] == 0 {
			isCore[v] = true
			walk(v, first[v])
		}
	}
	// Core nodes keep the graph's (Hilbert) order.
	nc := int32(0)
	for v := range n {
		if isCore[v] {
			where[v] = nc
			nc++
		}
	}
	for i := range c.chainA {
		c.chainA[i], c.chainB[i] = where[c.chainA[i]], where[c.chainB[i]]
	}
	// Every edge of a core node starts a direct segment or a chain.
	c.first = make([]int32, nc+1)
	m := int32(0)
	for v := range n {
		if isCore[v] {
			c.first[where[v]] = m
			m += first[v+1] - first[v]
		}
	}
	c.first[nc] = m
	c.to = make([]int32, m)
	c.length = make([]float64, m)
	k := 0
	for v := range n {
		if !isCore[v] {
			continue
		}
		cv := where[v]
		for e := first[v]; e < first[v+1]; e++ {
			x := to[e]
			if isCore[x] {
				c.to[k], c.length[k] = where[x], length[e]
			} else {
				ch := -where[x] - 1
				// The other end; a ring's both ends are v.
				c.to[k], c.length[k] = c.chainA[ch]+c.chainB[ch]-cv, c.chainLen[ch]
			}
			k++
		}
	}
	return c
}

// locate fills in where a snapped point on segment (u, v) hangs on the core
// graph: the two core nodes, its distances to them and the key of the chain
// or direct segment it lies on.
func (g *Graph) locate(s *Snapped) {
	c := g.core
	if !c.contracted() {
		s.a, s.b, s.ta, s.tb = s.u, s.v, s.du, s.dv
		s.key = 1<<63 | uint64(s.u)<<32 | uint64(s.v)
		return
	}
	cu, cv := c.where[s.u], c.where[s.v]
	if cu >= 0 && cv >= 0 {
		s.a, s.b, s.ta, s.tb = cu, cv, s.du, s.dv
		s.key = 1<<63 | uint64(s.u)<<32 | uint64(s.v)
		return
	}
	// p is a node inside the chain, q the other end of the segment.
	p, q, dp, dq := s.u, s.v, s.du, s.dv
	if cu >= 0 {
		p, q, dp, dq = s.v, s.u, s.dv, s.du
	}
	ch := -c.where[p] - 1
	var qFirst bool // q comes before p from the chain's a end
	switch {
	case c.where[q] < 0:
		qFirst = c.pos[q] < c.pos[p]
	case c.chainA[ch] != c.chainB[ch]:
		qFirst = c.where[q] == c.chainA[ch]
	default:
		// A ring through one core node: look at p's other neighbour,
		// which lies inside the chain.
		w := g.to[g.first[p]]
		if w == q {
			w = g.to[g.first[p]+1]
		}
		qFirst = c.pos[w] > c.pos[p]
	}
	var t float64
	if qFirst {
		if c.where[q] < 0 {
			t = c.pos[q]
		}
		t += dq
	} else {
		t = c.pos[p] + dp
	}
	s.a, s.b = c.chainA[ch], c.chainB[ch]
	s.ta, s.tb = t, max(c.chainLen[ch]-t, 0)
	s.key = uint64(ch)
}
