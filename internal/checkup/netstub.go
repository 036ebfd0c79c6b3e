//go:build !checkup_walk

package checkup

import (
	"context"
	"errors"
	"io"

	"github.com/gengxin/gengxin/internal/network"
	"github.com/gengxin/gengxin/internal/places"
)

func parseOSM(ctx context.Context, r io.Reader, format string) (*network.Graph, error) {
	return nil, errors.New("walk networks are not available in this build")
}

type walkRouter struct{ lineRouter }

func newWalkRouter(g *network.Graph, origins, facilities []places.Point, maxSnap float64) *walkRouter {
	return &walkRouter{lineRouter{origins: origins, facilities: facilities}}
}

func (w *walkRouter) off() (origins, facilities int) { return 0, 0 }
