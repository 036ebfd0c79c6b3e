package network

import (
	"math"
	"math/bits"
)

// radixHeap is a monotone priority queue of non-negative distances: every key
// pushed is at least the last key popped, as in Dijkstra's algorithm. Keys are
// the bit patterns of the float64 distances, which order like the distances.
// Each item moves down the buckets at most a few times, which beats a
// comparison heap on road networks. Keys of non-negative numbers never differ
// in the sign bit, so 64 buckets are enough.
type radixHeap struct {
	last    uint64
	size    int
	full    uint64 // bit b is set when bucket b holds items
	buckets [64][]rhItem
}

type rhItem struct {
	key uint64
	v   int32
}

func (h *radixHeap) reset() {
	for i := range h.buckets {
		h.buckets[i] = h.buckets[i][:0]
	}
	h.last, h.size, h.full = 0, 0, 0
}

func (h *radixHeap) push(d float64, v int32) {
	k := math.Float64bits(d)
	b := bits.Len64(k^h.last) & 63
	h.buckets[b] = append(h.buckets[b], rhItem{key: k, v: v})
	h.full |= 1 << b
	h.size++
}

// pop removes an item with the smallest key; the heap must not be empty.
func (h *radixHeap) pop() (float64, int32) {
	if h.full&1 == 0 {
		i := bits.TrailingZeros64(h.full)
		bk := h.buckets[i]
		m := bk[0].key
		for _, it := range bk[1:] {
			m = min(m, it.key)
		}
		h.last = m
		for _, it := range bk {
			b := bits.Len64(it.key^m) & 63
			h.buckets[b] = append(h.buckets[b], it)
			h.full |= 1 << b
		}
		h.buckets[i] = bk[:0]
		h.full &^= 1 << i
	}
	b0 := h.buckets[0]
	it := b0[len(b0)-1]
	h.buckets[0] = b0[:len(b0)-1]
	if len(b0) == 1 {
		h.full &^= 1
	}
	h.size--
	return math.Float64frombits(it.key), it.v
}

// radixSort sorts keys ascending and permutes vals with them, 11 bits at a
// time, skipping digits that are the same in every key.
func radixSort(keys []uint64, vals []int32) {
	n := len(keys)
	if n < 2 {
		return
	}
	if n < 256 {
		for i := 1; i < n; i++ {
			for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
				keys[j], keys[j-1] = keys[j-1], keys[j]
				vals[j], vals[j-1] = vals[j-1], vals[j]
			}
		}
		return
	}
	const digit = 11
	const buckets = 1 << digit
	var or, and uint64 = 0, math.MaxUint64
	for _, k := range keys {
		or |= k
		and &= k
	}
	differ := or ^ and // bits that are not the same in every key
	origK, origV := keys, vals
	tk, tv := make([]uint64, n), make([]int32, n)
	var count [buckets]int
	for shift := uint(0); shift < 64; shift += digit {
		if (differ>>shift)&(buckets-1) == 0 {
			continue
		}
		count = [buckets]int{}
		for _, k := range keys {
			count[(k>>shift)&(buckets-1)]++
		}
		sum := 0
		for i, c := range count {
			count[i] = sum
			sum += c
		}
		for i, k := range keys {
			d := (k >> shift) & (buckets - 1)
			tk[count[d]], tv[count[d]] = k, vals[i]
			count[d]++
		}
		keys, tk = tk, keys
		vals, tv = tv, vals
	}
	// After an odd number of passes the sorted data is in the scratch arrays.
	if &keys[0] != &origK[0] {
		copy(origK, keys)
		copy(origV, vals)
	}
}
