package network

import (
	"cmp"
	"math"
	"runtime"
	"slices"
	"sync"
)

// Result is the answer for one origin: the facility found and the walking
// distance to it.
type Result struct {
	Facility int     // index into the facilities; -1 when none is within the limit, or the origin is off-network
	Distance float64 // metres; +Inf when Facility is -1
}

// none is the Result for an origin without an answer.
var none = Result{Facility: -1, Distance: math.Inf(1)}

// nodeState is the search state of one node, packed so that one memory access
// brings all of it.
type nodeState struct {
	d    float64 // best distance found so far
	lab  int32   // the facility it comes from
	mark uint32  // 2*gen once reached in search gen, 2*gen+1 once settled
}

// heapItem is an entry of the search queue; f is the facility for searches
// that keep several facilities per node.
type heapItem struct {
	d    float64
	v, f int32
}

func (a heapItem) less(b heapItem) bool { return a.d < b.d || a.d == b.d && a.f < b.f }

// kLabel is one of the k nearest facilities of a node.
type kLabel struct {
	f int32
	d float64
}

// Searcher runs searches on one graph and keeps its buffers from one search to
// the next, so that repeated queries do not allocate. A Searcher is not safe for
// concurrent use: give each goroutine its own. The Graph methods Nearest,
// KNearest and CountWithin borrow one from a pool.
type Searcher struct {
	g     *Graph
	st    []nodeState
	tmark []uint32 // == gen for nodes an origin hangs on
	gen   uint32
	rh    radixHeap  // queue of the single-label searches
	heap  []heapItem // queue of the k-nearest search

	// k nearest
	k    int
	kgen []uint32
	kcnt []int32
	klab []kLabel
}

// NewSearcher returns a Searcher for the graph.
func (g *Graph) NewSearcher() *Searcher {
	n := g.core.nodes()
	return &Searcher{g: g, st: make([]nodeState, n), tmark: make([]uint32, n)}
}

func (g *Graph) searcher() *Searcher {
	if s, ok := g.searchers.Get().(*Searcher); ok {
		return s
	}
	return g.NewSearcher()
}

// begin starts a new search generation.
func (s *Searcher) begin() {
	s.gen++
	if s.gen >= math.MaxUint32/2-1 {
		clear(s.st)
		clear(s.tmark)
		clear(s.kgen)
		s.gen = 1
	}
	s.heap = s.heap[:0]
	s.rh.reset()
}

func (s *Searcher) push(it heapItem) {
	h := append(s.heap, it)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) >> 2
		if !it.less(h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = it
	s.heap = h
}

func (s *Searcher) pop() heapItem {
	h := s.heap
	top := h[0]
	last := h[len(h)-1]
	h = h[:len(h)-1]
	n := len(h)
	if n > 0 {
		i := 0
		for {
			c := 4*i + 1
			if c >= n {
				break
			}
			m := c
			for j := c + 1; j < min(c+4, n); j++ {
				if h[j].less(h[m]) {
					m = j
				}
			}
			if !h[m].less(last) {
				break
			}
			h[i] = h[m]
			i = m
		}
		h[i] = last
	}
	s.heap = h
	return top
}

// reach offers distance d from facility f to node v.
func (s *Searcher) reach(v int32, d float64, f int32) {
	st := &s.st[v]
	reached := 2 * s.gen
	switch {
	case st.mark < reached:
		*st = nodeState{d: d, lab: f, mark: reached}
		s.rh.push(d, v)
	case st.mark == reached:
		if d < st.d {
			st.d, st.lab = d, f
			s.rh.push(d, v)
		} else if d == st.d && f < st.lab {
			st.lab = f
		}
	}
}

// run settles nodes in order of distance up to limit (limit <= 0: no limit),
// stopping early once pending target nodes are all settled (pending < 0: never).
// visit, when not nil, is called for every settled node.
func (s *Searcher) run(limit float64, pending int, visit func(v int32, d float64)) {
	g := s.g.core
	if !(limit > 0) {
		limit = math.Inf(1)
	}
	reached, settled := 2*s.gen, 2*s.gen+1
	for s.rh.size > 0 {
		d, v := s.rh.pop()
		if d > limit {
			break
		}
		st := &s.st[v]
		if st.mark == settled || d > st.d {
			continue
		}
		st.mark = settled
		if visit != nil {
			visit(v, d)
		}
		if pending > 0 && s.tmark[v] == s.gen {
			if pending--; pending == 0 {
				break
			}
		}
		lab := st.lab
		for e := g.first[v]; e < g.first[v+1]; e++ {
			w := g.to[e]
			nd := d + g.length[e]
			if nd > limit {
				continue
			}
			sw := &s.st[w]
			switch {
			case sw.mark < reached:
				*sw = nodeState{d: nd, lab: lab, mark: reached}
				s.rh.push(nd, w)
			case sw.mark == reached:
				if nd < sw.d {
					sw.d, sw.lab = nd, lab
					s.rh.push(nd, w)
				} else if nd == sw.d && lab < sw.lab {
					sw.lab = lab
				}
			}
		}
	}
}

// markTargets marks the nodes the OK origins hang on and returns how many
// distinct nodes that is.
func (s *Searcher) markTargets(origins []Snapped) int {
	n := 0
	for _, o := range origins {
		if !o.OK {
			continue
		}
		for _, v := range [2]int32{o.a, o.b} {
			if s.tmark[v] != s.gen {
				s.tmark[v] = s.gen
				n++
			}
		}
	}
	return n
}

// bySegment groups the OK points by chain (or direct segment), for points on
// the same chain as another, where the direct way along the chain may be the
// shortest.
func bySegment(ps []Snapped) map[uint64][]int32 {
	m := make(map[uint64][]int32, len(ps))
	for i, p := range ps {
		if p.OK {
			m[p.key] = append(m[p.key], int32(i))
		}
	}
	return m
}

// better orders answers by distance, then by facility index.
func better(d float64, f int, than Result) bool {
	return d < than.Distance || d == than.Distance && f < than.Facility
}

// Nearest returns for each origin the nearest facility over the walk network and
// its distance, with one search started from all facilities at once. maxDist <=
// 0 means no limit. Off-network origins and facilities take no part (their
// answer is Facility -1). Ties go to the lower facility index.
func (s *Searcher) Nearest(origins, facilities []Snapped, maxDist float64) []Result {
	out := make([]Result, len(origins))
	s.nearest(out, origins, facilities, maxDist)
	return out
}

func (s *Searcher) nearest(out []Result, origins, facilities []Snapped, maxDist float64) {
	limit := math.Inf(1)
	if maxDist > 0 {
		limit = maxDist
	}
	s.begin()
	pending := s.markTargets(origins)
	for f, p := range facilities {
		if !p.OK {
			continue
		}
		if p.ta <= limit {
			s.reach(p.a, p.ta, int32(f))
		}
		if p.tb <= limit {
			s.reach(p.b, p.tb, int32(f))
		}
	}
	if pending > 0 {
		s.run(limit, pending, nil)
	}
	same := bySegment(facilities)
	reached := 2 * s.gen
	for i, o := range origins {
		best := none
		if o.OK {
			for _, end := range [2]struct {
				v   int32
				off float64
			}{{o.a, o.ta}, {o.b, o.tb}} {
				if st := &s.st[end.v]; st.mark >= reached {
					if d := st.d + end.off; better(d, int(st.lab), best) {
						best = Result{Facility: int(st.lab), Distance: d}
					}
				}
			}
			for _, f := range same[o.key] {
				if d := math.Abs(o.ta - facilities[f].ta); better(d, int(f), best) {
					best = Result{Facility: int(f), Distance: d}
				}
			}
			if best.Distance > limit {
				best = none
			}
		}
		out[i] = best
	}
}

// Distance returns the walking distance between two snapped points, +Inf when
// either is off-network or the distance is over maxDist (maxDist <= 0: no
// limit).
func (s *Searcher) Distance(a, b Snapped, maxDist float64) float64 {
	var r [1]Result
	s.nearest(r[:], []Snapped{a}, []Snapped{b}, maxDist)
	return r[0].Distance
}

// KNearest returns for each origin up to k facilities, the nearest first (ties
// by facility index), within maxDist (maxDist <= 0: no limit). An origin with
// fewer facilities in reach gets fewer results; an off-network origin gets none.
func (s *Searcher) KNearest(origins, facilities []Snapped, k int, maxDist float64) [][]Result {
	out := make([][]Result, len(origins))
	if k <= 0 {
		return out
	}
	if k == 1 {
		one := s.Nearest(origins, facilities, maxDist)
		for i, r := range one {
			if r.Facility >= 0 {
				out[i] = []Result{r}
			}
		}
		return out
	}
	limit := math.Inf(1)
	if maxDist > 0 {
		limit = maxDist
	}
	g := s.g.core
	n := g.nodes()
	if s.k != k || len(s.kgen) != n {
		s.k = k
		s.kgen = make([]uint32, n)
		s.kcnt = make([]int32, n)
		s.klab = make([]kLabel, n*k)
	}
	s.begin()
	gen := s.gen
	pending := s.markTargets(origins)
	// has reports whether node v already holds facility f, and how many it holds.
	has := func(v, f int32) (bool, int32) {
		if s.kgen[v] != gen {
			return false, 0
		}
		c := s.kcnt[v]
		for _, l := range s.klab[int(v)*k : int(v)*k+int(c)] {
			if l.f == f {
				return true, c
			}
		}
		return false, c
	}
	for f, p := range facilities {
		if !p.OK {
			continue
		}
		if p.ta <= limit {
			s.push(heapItem{d: p.ta, v: p.a, f: int32(f)})
		}
		if p.tb <= limit {
			s.push(heapItem{d: p.tb, v: p.b, f: int32(f)})
		}
	}
	for pending > 0 && len(s.heap) > 0 {
		it := s.pop()
		if it.d > limit {
			break
		}
		dup, c := has(it.v, it.f)
		if dup || int(c) >= k {
			continue
		}
		if s.kgen[it.v] != gen {
			s.kgen[it.v], s.kcnt[it.v] = gen, 0
		}
		s.klab[int(it.v)*k+int(c)] = kLabel{f: it.f, d: it.d}
		s.kcnt[it.v] = c + 1
		if int(c)+1 == k && s.tmark[it.v] == gen {
			if pending--; pending == 0 {
				break
			}
		}
		for e := g.first[it.v]; e < g.first[it.v+1]; e++ {
			w := g.to[e]
			nd := it.d + g.length[e]
			if nd > limit {
				continue
			}
			if dup, cw := has(w, it.f); dup || int(cw) >= k {
				continue
			}
			s.push(heapItem{d: nd, v: w, f: it.f})
		}
	}
	same := bySegment(facilities)
	var cand []Result
	for i, o := range origins {
		if !o.OK {
			continue
		}
		cand = cand[:0]
		for _, end := range [2]struct {
			v   int32
			off float64
		}{{o.a, o.ta}, {o.b, o.tb}} {
			if s.kgen[end.v] != gen {
				continue
			}
			for _, l := range s.klab[int(end.v)*k : int(end.v)*k+int(s.kcnt[end.v])] {
				cand = append(cand, Result{Facility: int(l.f), Distance: l.d + end.off})
			}
		}
		for _, f := range same[o.key] {
			cand = append(cand, Result{Facility: int(f), Distance: math.Abs(o.ta - facilities[f].ta)})
		}
		slices.SortFunc(cand, func(a, b Result) int {
			return cmp.Or(cmp.Compare(a.Facility, b.Facility), cmp.Compare(a.Distance, b.Distance))
		})
		cand = slices.CompactFunc(cand, func(a, b Result) bool { return a.Facility == b.Facility })
		slices.SortFunc(cand, func(a, b Result) int {
			return cmp.Or(cmp.Compare(a.Distance, b.Distance), cmp.Compare(a.Facility, b.Facility))
		})
		var res []Result
		for _, c := range cand {
			if len(res) == k || c.Distance > limit {
				break
			}
			res = append(res, c)
		}
		out[i] = res
	}
	return out
}

// attachment is a point hanging on a node, at some distance from it.
type attachment struct {
	p   int32
	off float64
}

// attachments lists, per core node, the OK points hanging on it (each point on
// the two ends of its chain).
type attachments struct {
	start []int32
	items []attachment
}

func attach(n int, ps []Snapped) attachments {
	a := attachments{start: make([]int32, n+1)}
	for _, p := range ps {
		if p.OK {
			a.start[p.a+1]++
			a.start[p.b+1]++
		}
	}
	for v := range n {
		a.start[v+1] += a.start[v]
	}
	a.items = make([]attachment, a.start[n])
	fill := slices.Clone(a.start[:n])
	for i, p := range ps {
		if p.OK {
			a.items[fill[p.a]] = attachment{p: int32(i), off: p.ta}
			fill[p.a]++
			a.items[fill[p.b]] = attachment{p: int32(i), off: p.tb}
			fill[p.b]++
		}
	}
	return a
}

// CountWithin returns for each origin the number of facilities within radius
// metres of walking (radius <= 0: all facilities it can reach). Off-network
// origins count 0, off-network facilities are never counted.
func (s *Searcher) CountWithin(origins, facilities []Snapped, radius float64) []int {
	cw := newCountJob(s.g, origins, facilities, radius)
	cw.run(s, 0, len(cw.src))
	return cw.counts
}

// countJob is a CountWithin computation: one bounded search from each point of
// the smaller side, collecting the points of the other side it reaches.
type countJob struct {
	origins, facilities []Snapped
	src, dst            []Snapped
	fromOrigins         bool // src are the origins
	radius              float64
	att                 attachments
	same                map[uint64][]int32
	counts              []int
	mu                  sync.Mutex
}

func newCountJob(g *Graph, origins, facilities []Snapped, radius float64) *countJob {
	j := &countJob{origins: origins, facilities: facilities, radius: math.Inf(1), counts: make([]int, len(origins))}
	if radius > 0 {
		j.radius = radius
	}
	ok := func(ps []Snapped) int {
		n := 0
		for _, p := range ps {
			if p.OK {
				n++
			}
		}
		return n
	}
	j.src, j.dst = facilities, origins
	if ok(origins) < ok(facilities) {
		j.src, j.dst, j.fromOrigins = origins, facilities, true
	}
	j.att = attach(g.core.nodes(), j.dst)
	j.same = bySegment(j.dst)
	return j
}

// run does the searches from src[lo:hi] and adds up their counts.
func (j *countJob) run(s *Searcher, lo, hi int) {
	counts := make([]int, len(j.origins))
	stamp := make([]int32, len(j.dst))
	for i := range stamp {
		stamp[i] = -1
	}
	for i := lo; i < hi; i++ {
		p := j.src[i]
		if !p.OK {
			continue
		}
		found := func(t int32) {
			if stamp[t] == int32(i) {
				return
			}
			stamp[t] = int32(i)
			if j.fromOrigins {
				counts[i]++
			} else {
				counts[t]++
			}
		}
		for _, t := range j.same[p.key] {
			if math.Abs(p.ta-j.dst[t].ta) <= j.radius {
				found(t)
			}
		}
		s.begin()
		if p.ta <= j.radius {
			s.reach(p.a, p.ta, 0)
		}
		if p.tb <= j.radius {
			s.reach(p.b, p.tb, 0)
		}
		s.run(j.radius, -1, func(v int32, d float64) {
			for _, a := range j.att.items[j.att.start[v]:j.att.start[v+1]] {
				if d+a.off <= j.radius {
					found(a.p)
				}
			}
		})
	}
	j.mu.Lock()
	for i, c := range counts {
		j.counts[i] += c
	}
	j.mu.Unlock()
}

// Nearest is Searcher.Nearest with a pooled Searcher.
func (g *Graph) Nearest(origins, facilities []Snapped, maxDist float64) []Result {
	s := g.searcher()
	defer g.searchers.Put(s)
	return s.Nearest(origins, facilities, maxDist)
}

// KNearest is Searcher.KNearest with a pooled Searcher.
func (g *Graph) KNearest(origins, facilities []Snapped, k int, maxDist float64) [][]Result {
	s := g.searcher()
	defer g.searchers.Put(s)
	return s.KNearest(origins, facilities, k, maxDist)
}

// Distance is Searcher.Distance with a pooled Searcher.
func (g *Graph) Distance(a, b Snapped, maxDist float64) float64 {
	s := g.searcher()
	defer g.searchers.Put(s)
	return s.Distance(a, b, maxDist)
}

// CountWithin is Searcher.CountWithin, with the searches spread over the
// available processors.
func (g *Graph) CountWithin(origins, facilities []Snapped, radius float64) []int {
	j := newCountJob(g, origins, facilities, radius)
	workers := min(runtime.GOMAXPROCS(0), max(1, len(j.src)/16))
	chunk := (len(j.src) + workers - 1) / max(workers, 1)
	var wg sync.WaitGroup
	for lo := 0; lo < len(j.src); lo += chunk {
		hi := min(lo+chunk, len(j.src))
		wg.Go(func() {
			s := g.searcher()
			defer g.searchers.Put(s)
			j.run(s, lo, hi)
		})
	}
	wg.Wait()
	return j.counts
}
