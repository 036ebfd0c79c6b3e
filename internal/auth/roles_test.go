package auth_test

import (
	"context"
	"testing"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/auth"
)

func TestRoleLabel(t *testing.T) {
	tests := []struct {
		role, lang, want string
	}{
		{auth.RoleAdmin, "zh-CN", "管理员"},
		{auth.RoleDistrictOfficer, "zh-CN", "区级工作人员"},
		{auth.RoleSubdistrictOfficer, "", "街道工作人员"},
		{auth.RoleCommunityWorker, "zh", "社区工作者"},
		{auth.RoleGridWorker, "zh-CN", "网格员"},
		{auth.RoleDepartmentHandler, "zh-CN", "部门处置人员"},
		{auth.RoleResident, "zh-CN", "居民"},
		{auth.RoleAuditor, "zh-CN", "审计员"},
		{auth.RoleGridWorker, "en", "Grid worker"},
		{auth.RoleAdmin, "en-GB", "Administrator"},
		{"janitor", "en", "janitor"},
	}
	for _, tt := range tests {
		if got := auth.RoleLabel(tt.role, tt.lang); got != tt.want {
			t.Errorf("RoleLabel(%q, %q) = %q, want %q", tt.role, tt.lang, got, tt.want)
		}
	}
	if n := len(auth.Roles()); n != 8 {
		t.Errorf("%d roles, want 8", n)
	}
}

func TestCan(t *testing.T) {
	const (
		A = auth.RoleAdmin
		D = auth.RoleDistrictOfficer
		S = auth.RoleSubdistrictOfficer
		C = auth.RoleCommunityWorker
		G = auth.RoleGridWorker
		H = auth.RoleDepartmentHandler
		R = auth.RoleResident
		U = auth.RoleAuditor
	)
	// Every role that holds each permission; all others must not.
	want := map[auth.Permission][]string{
		auth.PlacesRead:       {A, D, S, C, G, H, U},
		auth.PlacesWrite:      {A, D, S, C},
		auth.PlacesImport:     {A, D, S},
		auth.Export:           {A, D, S, C, U},
		auth.PIIReveal:        {A, C, G},
		auth.UsersManage:      {A},
		auth.APIKeysManage:    {A},
		auth.AuditRead:        {A, U},
		auth.ResidentsVerify:  {A, C, G},
		auth.MapView:          {A, D, S, C, G, H, R, U},
		auth.CheckupRead:      {A, D, S, C, G, H, U},
		auth.CheckupRun:       {A, D, S},
		auth.FindingsManage:   {A, D, S, C},
		auth.VotesRead:        {A, D, S, C, G, H, U},
		auth.VotesManage:      {A, D, S, C},
		auth.BallotsEnter:     {A, C, G},
		auth.CasesReport:      {A, D, S, C, G, H, R, U},
		auth.CasesHandle:      {A, D, S, C, G, H},
		auth.CasesDispatch:    {A, D, S, C},
		auth.CasesRead:        {A, D, S, C, G, H, U},
		auth.ProjectsRead:     {A, D, S, C, G, H, U},
		auth.ProjectsManage:   {A, D, S},
		auth.ProjectsFeedback: {A, D, S, C},
		auth.ProjectsOverride: {A, D},
		auth.HouseholdNotes:   {A, S, C, G},
	}
	if len(want) != len(auth.Permissions()) {
		t.Fatalf("table covers %d permissions, package has %d", len(want), len(auth.Permissions()))
	}
	for _, perm := range auth.Permissions() {
		holders := map[string]bool{}
		for _, r := range want[perm] {
			holders[r] = true
		}
		for _, role := range auth.Roles() {
			if got := auth.Can(role, perm); got != holders[role] {
				t.Errorf("Can(%s, %s) = %v, want %v", role, perm, got, holders[role])
			}
			p := &auth.Principal{Role: role}
			if p.Can(perm) != holders[role] {
				t.Errorf("Principal{%s}.Can(%s) disagrees with Can", role, perm)
			}
		}
		if auth.Can("janitor", perm) {
			t.Errorf("unknown role holds %s", perm)
		}
	}
	var nobody *auth.Principal
	if nobody.Can(auth.MapView) {
		t.Error("nil principal can view the map")
	}
}

func TestCovers(t *testing.T) {
	tests := []struct {
		name  string
		p     auth.Principal
		path  string
		cover bool
	}{
		{"whole deployment", auth.Principal{Role: auth.RoleAdmin}, "/1/2/3/", true},
		{"whole deployment, empty path", auth.Principal{Role: auth.RoleAuditor}, "", true},
		{"same region", auth.Principal{Role: auth.RoleCommunityWorker, RegionPath: "/1/2/3/"}, "/1/2/3/", true},
		{"below", auth.Principal{Role: auth.RoleSubdistrictOfficer, RegionPath: "/1/2/"}, "/1/2/3/5/", true},
		{"sibling", auth.Principal{Role: auth.RoleSubdistrictOfficer, RegionPath: "/1/2/"}, "/1/4/", false},
		{"id prefix is not a path prefix", auth.Principal{Role: auth.RoleGridWorker, RegionPath: "/1/2/"}, "/1/23/", false},
		{"above", auth.Principal{Role: auth.RoleGridWorker, RegionPath: "/1/2/3/"}, "/1/2/", false},
		{"resident covers nothing", auth.Principal{Role: auth.RoleResident}, "/1/2/", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Covers(tt.path); got != tt.cover {
				t.Errorf("Covers(%q) = %v, want %v", tt.path, got, tt.cover)
			}
		})
	}
}

func TestPrincipalContextAndActor(t *testing.T) {
	ctx := context.Background()
	if _, ok := auth.PrincipalFrom(ctx); ok {
		t.Fatal("empty context has a principal")
	}
	p := &auth.Principal{Kind: auth.KindUser, UserID: 7, Username: "wang", Role: auth.RoleGridWorker}
	got, ok := auth.PrincipalFrom(auth.WithPrincipal(ctx, p))
	if !ok || got != p {
		t.Fatalf("PrincipalFrom = %v, %v", got, ok)
	}
	if a := p.Actor(); a != (audit.Actor{Kind: audit.ActorUser, ID: 7, Name: "wang"}) {
		t.Errorf("user actor = %+v", a)
	}
	k := &auth.Principal{Kind: auth.KindAPIKey, APIKeyID: 3, Username: "apikey:ab12cd34"}
	if a := k.Actor(); a != (audit.Actor{Kind: audit.ActorAPIKey, ID: 3, Name: "apikey:ab12cd34"}) {
		t.Errorf("key actor = %+v", a)
	}
}
