// Package checkup is the city health check (城市体检): the indicator catalogue
// (embedded data with a version), administrator overrides of its parameters,
// checkup runs that compute every indicator for every object of its level —
// buildings, compounds, blocks and districts — including walking and
// straight-line life-circle analysis from compound gates to facilities, the
// indicator values and results of each run, the findings ledger that keeps a
// finding's identity across runs with its status workflow and history, and
// Excel exports.
package checkup

import (
	"errors"
	"sync"
	"time"

	"github.com/gengxin/gengxin/internal/audit"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/network"
)

// Run statuses.
const (
	RunRunning = "running"
	RunDone    = "done"
	RunFailed  = "failed"
)

// Finding statuses, in workflow order.
const (
	StatusNew       = "new"
	StatusOpen      = "open"
	StatusInProject = "in_project"
	StatusResolved  = "resolved"
	StatusVerified  = "verified"
)

// Statuses lists the finding statuses in workflow order.
var Statuses = []string{StatusNew, StatusOpen, StatusInProject, StatusResolved, StatusVerified}

// transitions lists the status changes a user may make.
var transitions = map[string][]string{
	StatusNew:       {StatusOpen, StatusInProject, StatusResolved},
	StatusOpen:      {StatusInProject, StatusResolved},
	StatusInProject: {StatusOpen, StatusResolved},
	StatusResolved:  {StatusVerified, StatusOpen},
	StatusVerified:  {StatusOpen},
}

// CanTransition reports whether a user may move a finding from one status to
// another: open → in_project → resolved → verified, and reopening.
func CanTransition(from, to string) bool {
	for _, t := range transitions[from] {
		if t == to {
			return true
		}
	}
	return false
}

// Errors of the checkup service.
var (
	ErrBadRequest    = errors.New("bad checkup request")
	ErrBadTransition = errors.New("status change not allowed")
)

// Service runs checkups and keeps the findings ledger.
type Service struct {
	db    *db.DB
	audit *audit.Log
	now   func() time.Time
	cat   *Catalogue

	mu     sync.Mutex
	graphs map[int64]*network.Graph // parsed walk networks by id
}

// New returns a Service on d with the built-in catalogue; log records every
// change and now is the clock.
func New(d *db.DB, log *audit.Log, now func() time.Time) (*Service, error) {
	cat, err := LoadCatalogue()
	if err != nil {
		return nil, err
	}
	return &Service{db: d, audit: log, now: now, cat: cat, graphs: map[int64]*network.Graph{}}, nil
}

// Catalogue returns the indicator catalogue the service uses.
func (s *Service) Catalogue() *Catalogue { return s.cat }
