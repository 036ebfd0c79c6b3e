package geo

import (
	"slices"
	"testing"
)

func TestIndex(t *testing.T) {
	ix := NewIndex()
	if ix.Len() != 0 {
		t.Fatalf("new index has %d entries", ix.Len())
	}
	// Three buildings and a point facility in Changzhou.
	ix.Insert(1, 119.970, 31.810, 119.971, 31.811)
	ix.Insert(2, 119.975, 31.815, 119.976, 31.816)
	ix.Insert(3, 119.990, 31.830, 119.991, 31.831)
	ix.Insert(4, 119.9705, 31.8105, 119.9705, 31.8105)
	if ix.Len() != 4 {
		t.Fatalf("Len = %d, want 4", ix.Len())
	}
	search := func(minLon, minLat, maxLon, maxLat float64) []int64 {
		var ids []int64
		ix.Search(minLon, minLat, maxLon, maxLat, func(id int64) bool {
			ids = append(ids, id)
			return true
		})
		slices.Sort(ids)
		return ids
	}
	tests := []struct {
		name                           string
		minLon, minLat, maxLon, maxLat float64
		want                           []int64
	}{
		{"around the first building", 119.9695, 31.8095, 119.9712, 31.8112, []int64{1, 4}},
		{"touching the second building's corner", 119.976, 31.816, 119.98, 31.82, []int64{2}},
		{"everything", 119, 31, 121, 32, []int64{1, 2, 3, 4}},
		{"nothing there", 120.5, 31.5, 120.6, 31.6, nil},
		{"a point query", 119.9755, 31.8155, 119.9755, 31.8155, []int64{2}},
	}
	for _, tt := range tests {
		if got := search(tt.minLon, tt.minLat, tt.maxLon, tt.maxLat); !slices.Equal(got, tt.want) {
			t.Errorf("%s: found %v, want %v", tt.name, got, tt.want)
		}
	}
	n := 0
	ix.Search(119, 31, 121, 32, func(int64) bool { n++; return false })
	if n != 1 {
		t.Errorf("search went on after fn returned false: %d calls", n)
	}
}
