package cases

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/paulmach/orb"

	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/geo"
	"github.com/gengxin/gengxin/internal/places"
)

// Route is where a case goes: the region its point lies in, the handler and
// the dispatcher, with a sentence saying why.
type Route struct {
	RegionID     int64
	RegionPath   string
	GridID       int64
	Department   string
	AssigneeID   int64 // 0 when nobody at all could be found
	DispatcherID int64
	Note         string
}

// regionNode is a region as routing needs it.
type regionNode struct {
	id, parent  int64
	level, path string
	geom        orb.Geometry
}

// shapes is the in-memory point-in-polygon index of the regions, rebuilt when
// the regions table changes (its fingerprint: count, largest id, newest edit).
// On the demo district (BenchmarkRouting, SQLite, 2 cores) a route with the
// cached index takes about 70 µs, most of it the fingerprint, staff and
// department queries; rebuilding the index per call takes about 1.7 ms; the
// lookup itself about 0.4 µs.
type shapes struct {
	fingerprint string
	regions     map[int64]*regionNode
	idx         *geo.Index
}

// shapeCache holds the current shapes for a service.
type shapeCache struct {
	mu  sync.Mutex
	cur *shapes
}

// staffUser is an enabled account that can receive or supervise cases.
type staffUser struct {
	id       int64
	role     string
	regionID int64
}

// router answers routing questions from one consistent read of the regions,
// the staff and the department memberships.
type router struct {
	*shapes
	staff   []staffUser        // ordered by id
	members map[string][]int64 // department code → handler ids, ordered
}

// dispatcherRole is the role that dispatches cases at each level.
func dispatcherRole(level string) string {
	switch level {
	case places.LevelCommunity:
		return auth.RoleCommunityWorker
	case places.LevelSubdistrict:
		return auth.RoleSubdistrictOfficer
	case places.LevelDistrict, places.LevelCity:
		return auth.RoleDistrictOfficer
	}
	return ""
}

// loadShapes returns the current shapes, rebuilding them when the regions
// changed since the last call.
func (s *Service) loadShapes(ctx context.Context, q db.Querier) (*shapes, error) {
	var n, maxID int64
	var newest sql.NullString
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(id), 0), MAX(updated_at) FROM regions`).Scan(&n, &maxID, &newest); err != nil {
		return nil, fmt.Errorf("routing: regions: %w", err)
	}
	fp := fmt.Sprintf("%d/%d/%s", n, maxID, newest.String)
	s.shapes.mu.Lock()
	defer s.shapes.mu.Unlock()
	if s.shapes.cur != nil && s.shapes.cur.fingerprint == fp {
		return s.shapes.cur, nil
	}
	sh, err := buildShapes(ctx, q)
	if err != nil {
		return nil, err
	}
	sh.fingerprint = fp
	s.shapes.cur = sh
	return sh, nil
}

// buildShapes reads every region and indexes those with a polygon.
func buildShapes(ctx context.Context, q db.Querier) (*shapes, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, COALESCE(parent_id, 0), level, path, COALESCE(geometry, '') FROM regions`)
	if err != nil {
		return nil, fmt.Errorf("routing: regions: %w", err)
	}
	defer rows.Close()
	sh := &shapes{regions: map[int64]*regionNode{}, idx: geo.NewIndex()}
	for rows.Next() {
		var r regionNode
		var g string
		if err := rows.Scan(&r.id, &r.parent, &r.level, &r.path, &g); err != nil {
			return nil, fmt.Errorf("routing: regions: %w", err)
		}
		if g != "" {
			if geom, err := geo.ParseGeometry(g, "Polygon", "MultiPolygon"); err == nil {
				r.geom = geom
				minLon, minLat, maxLon, maxLat := geo.Bound(geom)
				sh.idx.Insert(r.id, minLon, minLat, maxLon, maxLat)
			}
		}
		sh.regions[r.id] = &r
	}
	return sh, rows.Err()
}

// loadRouter reads the staff and departments and pairs them with the shapes.
func (s *Service) loadRouter(ctx context.Context, q db.Querier) (*router, error) {
	sh, err := s.loadShapes(ctx, q)
	if err != nil {
		return nil, err
	}
	r := &router{shapes: sh, members: map[string][]int64{}}
	rows, err := q.QueryContext(ctx, `SELECT id, role, COALESCE(region_id, 0) FROM users
		WHERE disabled = FALSE AND role IN ($1, $2, $3, $4, $5, $6) ORDER BY id`,
		auth.RoleGridWorker, auth.RoleCommunityWorker, auth.RoleSubdistrictOfficer, auth.RoleDistrictOfficer, auth.RoleAdmin, auth.RoleDepartmentHandler)
	if err != nil {
		return nil, fmt.Errorf("routing: staff: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var u staffUser
		if err := rows.Scan(&u.id, &u.role, &u.regionID); err != nil {
			return nil, fmt.Errorf("routing: staff: %w", err)
		}
		r.staff = append(r.staff, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("routing: staff: %w", err)
	}
	mrows, err := q.QueryContext(ctx, `SELECT m.department_code, m.user_id FROM department_members m JOIN users u ON u.id = m.user_id
		WHERE u.disabled = FALSE AND u.role = $1 ORDER BY m.department_code, m.user_id`, auth.RoleDepartmentHandler)
	if err != nil {
		return nil, fmt.Errorf("routing: departments: %w", err)
	}
	defer mrows.Close()
	for mrows.Next() {
		var code string
		var id int64
		if err := mrows.Scan(&code, &id); err != nil {
			return nil, fmt.Errorf("routing: departments: %w", err)
		}
		r.members[code] = append(r.members[code], id)
	}
	return r, mrows.Err()
}

// locate returns the deepest region whose polygon contains the point.
func (r *router) locate(lon, lat float64) *regionNode {
	var best *regionNode
	r.idx.Search(lon, lat, lon, lat, func(id int64) bool {
		n := r.regions[id]
		if n != nil && (best == nil || places.LevelRank(n.level) > places.LevelRank(best.level)) && geo.Contains(n.geom, lon, lat) {
			best = n
		}
		return true
	})
	return best
}

// firstWith returns the first enabled user with role scoped to region.
func (r *router) firstWith(role string, region int64, skip int64) int64 {
	for _, u := range r.staff {
		if u.role == role && u.regionID == region && u.id != skip {
			return u.id
		}
	}
	return 0
}

// upward walks from n to the root, calling fn until it returns true.
func (r *router) upward(n *regionNode, fn func(*regionNode) bool) {
	for seen := 0; n != nil && seen < 16; seen++ {
		if fn(n) {
			return
		}
		n = r.regions[n.parent]
	}
}

// dispatcher finds the dispatcher above region n: the community worker of its
// community, else the subdistrict officer, else the district officer; with no
// region (or nobody on the way up) the first district officer, then the first
// administrator. It returns the user and the region they are scoped to.
func (r *router) dispatcher(n *regionNode, skip int64) (int64, int64) {
	var id, region int64
	r.upward(n, func(x *regionNode) bool {
		if role := dispatcherRole(x.level); role != "" {
			if u := r.firstWith(role, x.id, skip); u != 0 {
				id, region = u, x.id
				return true
			}
		}
		return false
	})
	if id != 0 {
		return id, region
	}
	for _, role := range []string{auth.RoleDistrictOfficer, auth.RoleAdmin} {
		for _, u := range r.staff {
			if u.role == role && u.id != skip {
				return u.id, u.regionID
			}
		}
	}
	return 0, 0
}

// route decides where a case of category cat reported at (lon, lat) goes.
func (r *router) route(cat Category, lon, lat float64, located bool) Route {
	var rt Route
	var n *regionNode
	if located {
		n = r.locate(lon, lat)
	}
	if n != nil {
		rt.RegionID, rt.RegionPath = n.id, n.path
		if n.level == places.LevelGrid {
			rt.GridID = n.id
		}
	}
	disp, dispRegion := r.dispatcher(n, 0)
	rt.DispatcherID = disp
	if n == nil && dispRegion != 0 {
		if d := r.regions[dispRegion]; d != nil {
			rt.RegionID, rt.RegionPath = d.id, d.path
		}
	}
	switch {
	case cat.Department != "":
		rt.Department = cat.Department
		if h := r.members[cat.Department]; len(h) > 0 {
			rt.AssigneeID = h[0]
			rt.Note = "department " + cat.Department + " handles " + cat.Code
		} else {
			rt.AssigneeID = disp
			rt.Note = "department " + cat.Department + " has no handler; the dispatcher takes it"
		}
	case rt.GridID != 0:
		if w := r.firstWith(auth.RoleGridWorker, rt.GridID, 0); w != 0 {
			rt.AssigneeID = w
			rt.Note = "grid worker of the grid the point lies in"
		} else {
			rt.AssigneeID = disp
			rt.Note = "the grid has no grid worker; the dispatcher above it takes it"
		}
	case located && n != nil:
		rt.AssigneeID = disp
		rt.Note = "the point lies outside every grid; the dispatcher of the area takes it"
	case located:
		rt.AssigneeID = disp
		rt.Note = "the point lies outside every region; the district dispatcher takes it"
	default:
		rt.AssigneeID = disp
		rt.Note = "no location; the district dispatcher takes it"
	}
	return rt
}

// supervisor returns who is told besides the assignee when a stage is near
// due or overdue: the first dispatcher above the case's region (its
// community's worker, else the subdistrict officer, else the district officer)
// who is not the assignee.
func (r *router) supervisor(regionPath string, assignee int64) int64 {
	n := r.regions[deepestID(regionPath)]
	if n != nil && n.level == places.LevelGrid {
		n = r.regions[n.parent]
	}
	id, _ := r.dispatcher(n, assignee)
	return id
}

// deepestID returns the last id of a region path such as "/1/4/17/".
func deepestID(path string) int64 {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	id, _ := strconv.ParseInt(parts[len(parts)-1], 10, 64)
	return id
}

// Route tells where a case of category at (lon, lat) would go, without
// creating it; located false means there is no point.
func (s *Service) Route(ctx context.Context, category string, lon, lat float64, located bool) (Route, error) {
	cat, ok := s.Category(category)
	if !ok {
		return Route{}, fmt.Errorf("%w: unknown category %q", ErrInvalid, category)
	}
	r, err := s.loadRouter(ctx, s.db.Read())
	if err != nil {
		return Route{}, err
	}
	return r.route(cat, lon, lat, located), nil
}
