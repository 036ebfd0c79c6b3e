package checkup

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/web"
)

// indicatorRow is one catalogue entry as the indicators page shows it.
type indicatorRow struct {
	Indicator  Indicator
	Name       string
	Effective  string // the parameters in force, as JSON
	Overridden bool
	UpdatedBy  string
}

type indicatorsData struct {
	Version string
	Rows    []indicatorRow
	CanEdit bool
}

// indicatorsPage lists the catalogue with the parameters in force; an
// administrator may override an indicator's parameters there.
func (h *Handlers) indicatorsPage(w http.ResponseWriter, r *http.Request) {
	h.renderIndicators(w, r, http.StatusOK, "", "")
}

func (h *Handlers) renderIndicators(w http.ResponseWriter, r *http.Request, status int, flash, errMsg string) {
	eff, err := h.svc.EffectiveParams(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ovs, err := h.svc.Overrides(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	by := map[string]Override{}
	for _, o := range ovs {
		by[o.Code] = o
	}
	cat := h.svc.Catalogue()
	d := indicatorsData{Version: cat.Version, CanEdit: viewer(r).Can(auth.CheckupRun)}
	for _, ind := range cat.Indicators {
		b, err := json.MarshalIndent(eff[ind.Code], "", "  ")
		if err != nil {
			h.fail(w, r, err)
			return
		}
		o, over := by[ind.Code]
		d.Rows = append(d.Rows, indicatorRow{Indicator: ind, Name: h.indicatorName(r, ind), Effective: string(b), Overridden: over, UpdatedBy: o.UpdatedBy})
	}
	if web.WantsJSON(r) && status < 400 {
		web.JSON(w, status, map[string]any{"version": d.Version, "parameters": eff})
		return
	}
	p := h.rd.NewPage(r, "checkup.indicators", d)
	p.Flash, p.Error = flash, errMsg
	h.rd.Render(w, status, "indicators", p)
}

// setParams saves (form field params, a JSON object) or clears (clear=1) the
// override of one indicator; the next run uses it.
func (h *Handlers) setParams(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if _, ok := h.svc.Catalogue().Indicator(code); !ok {
		h.rd.Error(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	var err error
	if r.FormValue("clear") == "1" {
		err = h.svc.ClearOverride(r.Context(), code)
	} else {
		var p Params
		if jerr := json.Unmarshal([]byte(r.FormValue("params")), &p); jerr != nil || p == nil {
			h.renderIndicators(w, r, http.StatusBadRequest, "", h.rd.T(r, "checkup.params_json", code))
			return
		}
		err = h.svc.SetOverride(r.Context(), code, p)
	}
	switch {
	case errors.Is(err, ErrBadParams), errors.Is(err, ErrBadRequest):
		h.renderIndicators(w, r, http.StatusBadRequest, "", err.Error())
	case errors.Is(err, ErrNotFound):
		h.renderIndicators(w, r, http.StatusNotFound, "", err.Error())
	case err != nil:
		h.fail(w, r, err)
	default:
		h.renderIndicators(w, r, http.StatusOK, h.rd.T(r, "checkup.params_saved", code), "")
	}
}
