package geo

import "github.com/tidwall/rtree"

// Index is an in-memory R-tree of ids by bounding box, for finding candidates
// before an exact test (point in polygon, distance). It is not safe for
// concurrent writes; concurrent searches without writes are fine.
type Index struct {
	tree rtree.RTreeG[int64]
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{}
}

// Insert adds id with its bounding box; a point is a box with equal corners.
func (ix *Index) Insert(id int64, minLon, minLat, maxLon, maxLat float64) {
	ix.tree.Insert([2]float64{minLon, minLat}, [2]float64{maxLon, maxLat}, id)
}

// Search calls fn for every id whose box intersects the given box, until fn
// returns false.
func (ix *Index) Search(minLon, minLat, maxLon, maxLat float64, fn func(id int64) bool) {
	ix.tree.Search([2]float64{minLon, minLat}, [2]float64{maxLon, maxLat},
		func(_, _ [2]float64, id int64) bool { return fn(id) })
}

// Len returns the number of entries.
func (ix *Index) Len() int {
	return ix.tree.Len()
}
