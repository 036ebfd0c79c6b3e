package demo

import "github.com/gengxin/gengxin/internal/places"

// Password is the password of every demo account. It is published here on
// purpose and must only ever protect demo data: never use it for a real
// deployment.
const Password = "gengxin-demo-2026"

// Account is a demo user to create next to a demo dataset.
type Account struct {
	Username    string
	Password    string
	DisplayName string
	Role        string
	// RegionCode is the code of the region the account is scoped to; "" for none.
	RegionCode string
	// HouseholdCode is, for the resident, the household the account is linked to.
	HouseholdCode string
}

// Accounts returns one demo account per role, scoped to the first district,
// subdistrict, community and grid of ds, the resident linked to a privately
// owned household in that grid. Scopes whose region is missing from ds stay
// empty.
func Accounts(ds *places.Dataset) []Account {
	var district, subdistrict, community, grid *places.Region
	for i := range ds.Regions {
		rg := &ds.Regions[i]
		switch {
		case rg.Level == places.LevelDistrict && district == nil:
			district = rg
		case rg.Level == places.LevelSubdistrict && subdistrict == nil && district != nil && rg.ParentID == district.ID:
			subdistrict = rg
		case rg.Level == places.LevelCommunity && community == nil && subdistrict != nil && rg.ParentID == subdistrict.ID:
			community = rg
		case rg.Level == places.LevelGrid && grid == nil && community != nil && rg.ParentID == community.ID:
			grid = rg
		}
	}
	code := func(r *places.Region) string {
		if r == nil {
			return ""
		}
		return r.Code
	}
	accounts := []Account{
		{Username: "admin", DisplayName: "系统管理员（演示）", Role: "admin"},
		{Username: "district", DisplayName: "区更新办（演示）", Role: "district_officer", RegionCode: code(district)},
		{Username: "subdistrict", DisplayName: "街道更新办（演示）", Role: "subdistrict_officer", RegionCode: code(subdistrict)},
		{Username: "community", DisplayName: "社区工作者（演示）", Role: "community_worker", RegionCode: code(community)},
		{Username: "grid", DisplayName: "网格员（演示）", Role: "grid_worker", RegionCode: code(grid)},
		{Username: "department", DisplayName: "部门经办人（演示）", Role: "department_handler", RegionCode: code(district)},
		{Username: "resident", DisplayName: "居民（演示）", Role: "resident", HouseholdCode: residentHousehold(ds, grid)},
		{Username: "auditor", DisplayName: "审计员（演示）", Role: "auditor"},
	}
	for i := range accounts {
		accounts[i].Password = Password
	}
	return accounts
}

// residentHousehold picks the first household in grid that one private person
// owns and lives in.
func residentHousehold(ds *places.Dataset, grid *places.Region) string {
	if grid == nil {
		return ""
	}
	compounds := make(map[int64]bool)
	for _, c := range ds.Compounds {
		if c.RegionID == grid.ID {
			compounds[c.ID] = true
		}
	}
	buildings := make(map[int64]bool)
	for _, b := range ds.Buildings {
		if compounds[b.CompoundID] {
			buildings[b.ID] = true
		}
	}
	candidates := make(map[int64]bool)
	for _, h := range ds.Households {
		if buildings[h.BuildingID] && !h.DeveloperHeld && h.Occupancy == "owner" {
			candidates[h.ID] = true
		}
	}
	count := make(map[int64]int)     // candidate household → number of owners
	ownerOf := make(map[int64]int64) // candidate household → an owner
	for _, l := range ds.HouseholdOwners {
		if candidates[l.HouseholdID] {
			count[l.HouseholdID]++
			ownerOf[l.HouseholdID] = l.OwnerID
		}
	}
	persons := make(map[int64]bool, len(ownerOf))
	for _, id := range ownerOf {
		persons[id] = false
	}
	for _, o := range ds.Owners {
		if _, ok := persons[o.ID]; ok && o.Kind == places.OwnerPerson {
			persons[o.ID] = true
		}
	}
	for _, h := range ds.Households {
		if candidates[h.ID] && count[h.ID] == 1 && persons[ownerOf[h.ID]] {
			return h.Code
		}
	}
	return ""
}
