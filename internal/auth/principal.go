package auth

import (
	"context"
	"strings"

	"github.com/gengxin/gengxin/internal/audit"
)

// Principal kinds.
const (
	KindUser   = "user"
	KindAPIKey = "apikey"
)

// Principal is whoever is behind a request: a logged-in user or an API key.
type Principal struct {
	Kind        string // KindUser or KindAPIKey
	UserID      int64  // set for users
	APIKeyID    int64  // set for API keys
	Username    string // the login name; "apikey:<prefix>" for API keys
	DisplayName string
	Role        string
	RegionID    int64  // 0 = the whole deployment
	RegionPath  string // e.g. "/1/4/"; "" for the whole deployment
	Locale      string
}

// Can reports whether the principal's role holds permission perm. A nil principal
// holds nothing.
func (p *Principal) Can(perm Permission) bool {
	return p != nil && Can(p.Role, perm)
}

// Covers reports whether regionPath (a region's, compound's or facility's path)
// lies inside the principal's scope: always when the principal covers the whole
// deployment (RegionPath ""), otherwise when regionPath starts with RegionPath.
// Residents cover no region at all: what they may see goes through their
// verified households, never through a region scope.
func (p *Principal) Covers(regionPath string) bool {
	if p == nil || p.Role == RoleResident {
		return false
	}
	return p.RegionPath == "" || strings.HasPrefix(regionPath, p.RegionPath)
}

// Actor returns the principal as the actor of audit entries.
func (p *Principal) Actor() audit.Actor {
	if p == nil {
		return audit.System("unknown")
	}
	if p.Kind == KindAPIKey {
		return audit.Actor{Kind: audit.ActorAPIKey, ID: p.APIKeyID, Name: p.Username}
	}
	return audit.Actor{Kind: audit.ActorUser, ID: p.UserID, Name: p.Username}
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal carried by ctx, if any.
func PrincipalFrom(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}
