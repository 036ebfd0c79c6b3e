// Package auth holds who may do what in gengxin: user accounts and their roles,
// the region each account is scoped to, password hashing, browser sessions with
// CSRF protection, login rate limiting, API keys for other systems, and the
// verification of residents against the households they live in.
//
// A request carries a Principal (the logged-in user or API key) in its context;
// modules ask Principal.Can for a capability and Principal.Covers for a region.
package auth

import "strings"

// Roles. A role decides what an account may do; its region decides where.
const (
	RoleAdmin              = "admin"
	RoleDistrictOfficer    = "district_officer"
	RoleSubdistrictOfficer = "subdistrict_officer"
	RoleCommunityWorker    = "community_worker"
	RoleGridWorker         = "grid_worker"
	RoleDepartmentHandler  = "department_handler"
	RoleResident           = "resident"
	RoleAuditor            = "auditor"
)

// roles lists every role in display order, with its zh-CN and English label.
var roles = []struct {
	name, zh, en string
}{
	{RoleAdmin, "管理员", "Administrator"},
	{RoleDistrictOfficer, "区级工作人员", "District officer"},
	{RoleSubdistrictOfficer, "街道工作人员", "Subdistrict officer"},
	{RoleCommunityWorker, "社区工作者", "Community worker"},
	{RoleGridWorker, "网格员", "Grid worker"},
	{RoleDepartmentHandler, "部门处置人员", "Department handler"},
	{RoleResident, "居民", "Resident"},
	{RoleAuditor, "审计员", "Auditor"},
}

// Roles returns every role name in display order.
func Roles() []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = r.name
	}
	return out
}

// ValidRole reports whether role is one of the known roles.
func ValidRole(role string) bool {
	for _, r := range roles {
		if r.name == role {
			return true
		}
	}
	return false
}

// IsStaff reports whether role belongs to government or community staff (every
// role except resident and auditor).
func IsStaff(role string) bool {
	return ValidRole(role) && role != RoleResident && role != RoleAuditor
}

// NeedsRegion reports whether an account with role must be scoped to a region:
// every staff role except the administrator. Administrators and auditors may
// cover the whole deployment; residents are scoped by their households instead.
func NeedsRegion(role string) bool {
	return IsStaff(role) && role != RoleAdmin
}

// RoleLabel returns the name people read for role: English when lang starts with
// "en", Chinese otherwise. An unknown role is returned as is.
func RoleLabel(role, lang string) string {
	en := strings.HasPrefix(strings.ToLower(lang), "en")
	for _, r := range roles {
		if r.name == role {
			if en {
				return r.en
			}
			return r.zh
		}
	}
	return role
}

// Permission is one capability a role may hold.
type Permission string

// Capabilities checked by the modules and the web layer.
const (
	// PlacesRead: see regions, compounds, buildings and households. Residents
	// do not hold it; they see only their own verified households.
	PlacesRead Permission = "places.read"
	// PlacesWrite: create and edit places.
	PlacesWrite Permission = "places.write"
	// PlacesImport: bulk-import places from files.
	PlacesImport Permission = "places.import"
	// Export: download tables as Excel, CSV or GeoJSON.
	Export Permission = "export"
	// PIIReveal: unmask an owner's phone or ID number (each reveal is audited).
	PIIReveal Permission = "pii.reveal"
	// UsersManage: create, edit and disable accounts.
	UsersManage Permission = "users.manage"
	// APIKeysManage: create and revoke API keys.
	APIKeysManage Permission = "apikeys.manage"
	// AuditRead: read the audit log.
	AuditRead Permission = "audit.read"
	// ResidentsVerify: approve or reject a resident's claim to a household.
	ResidentsVerify Permission = "residents.verify"
	// MapView: open the map; every logged-in account holds it.
	MapView Permission = "map.view"
	// CheckupRead: see health-check results and findings in one's area.
	CheckupRead Permission = "checkup.read"
	// CheckupRun: start a health-check run and change indicator parameters.
	CheckupRun Permission = "checkup.run"
	// FindingsManage: move findings through their workflow (in project, resolved, verified).
	FindingsManage Permission = "findings.manage"
	// VotesRead: see the owner votes and surveys of one's area with their live counts.
	VotesRead Permission = "votes.read"
	// VotesManage: open and close owner votes and surveys.
	VotesManage Permission = "votes.manage"
	// BallotsEnter: enter paper and proxy ballots and door-to-door answers.
	BallotsEnter Permission = "ballots.enter"
	// CasesReport: report a problem and follow one's own reports; every
	// logged-in account holds it.
	CasesReport Permission = "cases.report"
	// CasesHandle: act on cases assigned to oneself or inside one's area (sign,
	// arrive, resolve, agree a plan, return).
	CasesHandle Permission = "cases.handle"
	// CasesDispatch: accept, dispatch, reassign, merge, suspend and resume the
	// cases of one's area.
	CasesDispatch Permission = "cases.dispatch"
	// CasesRead: see every case of one's area with its history and clocks.
	CasesRead Permission = "cases.read"
	// ProjectsRead: see the renewal projects of one's area with their money,
	// gates, rounds and progress, and the project statistics.
	ProjectsRead Permission = "projects.read"
	// ProjectsManage: create projects, plan items and funding, record
	// approvals, progress and spend, and move projects through their stages.
	ProjectsManage Permission = "projects.manage"
	// ProjectsFeedback: record residents' feedback in the four rounds and what
	// was done with it.
	ProjectsFeedback Permission = "projects.feedback"
	// ProjectsOverride: move a project past a gate that is not met, with a
	// written reason; configure the gates and the priority weights.
	ProjectsOverride Permission = "projects.override"
	// HouseholdNotes: keep the per-household notes (一户一策).
	HouseholdNotes Permission = "households.notes"
)

// staff lists the roles of government and community staff.
var staff = []string{RoleAdmin, RoleDistrictOfficer, RoleSubdistrictOfficer, RoleCommunityWorker, RoleGridWorker, RoleDepartmentHandler}

// matrix says which roles hold each permission. It is a constant table.
var matrix = map[Permission][]string{
	PlacesRead:       append(append([]string{}, staff...), RoleAuditor),
	PlacesWrite:      {RoleAdmin, RoleDistrictOfficer, RoleSubdistrictOfficer, RoleCommunityWorker},
	PlacesImport:     {RoleAdmin, RoleDistrictOfficer, RoleSubdistrictOfficer},
	Export:           {RoleAdmin, RoleDistrictOfficer, RoleSubdistrictOfficer, RoleCommunityWorker, RoleAuditor},
	PIIReveal:        {RoleAdmin, RoleCommunityWorker, RoleGridWorker},
	UsersManage:      {RoleAdmin},
	APIKeysManage:    {RoleAdmin},
	AuditRead:        {RoleAdmin, RoleAuditor},
	ResidentsVerify:  {RoleAdmin, RoleCommunityWorker, RoleGridWorker},
	MapView:          append(append([]string{}, staff...), RoleResident, RoleAuditor),
	CheckupRead:      append(append([]string{}, staff...), RoleAuditor),
	CheckupRun:       {RoleAdmin, RoleDistrictOfficer, RoleSubdistrictOfficer},
	FindingsManage:   {RoleAdmin, RoleDistrictOfficer, RoleSubdistrictOfficer, RoleCommunityWorker},
	VotesRead:        append(append([]string{}, staff...), RoleAuditor),
	VotesManage:      {RoleAdmin, RoleDistrictOfficer, RoleSubdistrictOfficer, RoleCommunityWorker},
	BallotsEnter:     {RoleAdmin, RoleCommunityWorker, RoleGridWorker},
	CasesReport:      append(append([]string{}, staff...), RoleResident, RoleAuditor),
	CasesHandle:      append([]string{}, staff...),
	CasesDispatch:    {RoleAdmin, RoleDistrictOfficer, RoleSubdistrictOfficer, RoleCommunityWorker},
	CasesRead:        append(append([]string{}, staff...), RoleAuditor),
	ProjectsRead:     append(append([]string{}, staff...), RoleAuditor),
	ProjectsManage:   {RoleAdmin, RoleDistrictOfficer, RoleSubdistrictOfficer},
	ProjectsFeedback: {RoleAdmin, RoleDistrictOfficer, RoleSubdistrictOfficer, RoleCommunityWorker},
	ProjectsOverride: {RoleAdmin, RoleDistrictOfficer},
	HouseholdNotes:   {RoleAdmin, RoleSubdistrictOfficer, RoleCommunityWorker, RoleGridWorker},
}

// Permissions returns every permission, in a stable order.
func Permissions() []Permission {
	return []Permission{PlacesRead, PlacesWrite, PlacesImport, Export, PIIReveal, UsersManage, APIKeysManage, AuditRead, ResidentsVerify, MapView,
		CheckupRead, CheckupRun, FindingsManage, VotesRead, VotesManage, BallotsEnter, CasesReport, CasesHandle, CasesDispatch, CasesRead,
		ProjectsRead, ProjectsManage, ProjectsFeedback, ProjectsOverride, HouseholdNotes}
}

// Can reports whether role holds permission p. Unknown roles and permissions hold
// nothing.
func Can(role string, p Permission) bool {
	for _, r := range matrix[p] {
		if r == role {
			return true
		}
	}
	return false
}
