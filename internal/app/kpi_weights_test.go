package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
)

// TestKPIWeightsForm: only an administrator sees and may post the score
// weights form; the saved weights are shown to every supervisor.
func TestKPIWeightsForm(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ta := newTestApp(t, d)
		if _, body := ta.do(t, "district", "GET", "/cases/kpi?lang=en", nil, nil); strings.Contains(body, `id="kpi-weights-form"`) ||
			!strings.Contains(body, "response 30%, resolution 35%, satisfaction 35%") {
			t.Errorf("district officer's KPI page: weights form shown or default weights missing")
		}
		if _, body := ta.do(t, "admin", "GET", "/cases/kpi", nil, nil); !strings.Contains(body, `id="kpi-weights-form"`) {
			t.Errorf("the administrator's KPI page lacks the weights form")
		}
		form := "response=20&resolution=40&satisfaction=40"
		if resp, _ := ta.do(t, "district", "POST", "/cases/kpi/weights", strings.NewReader(form), formHeader); resp.StatusCode != http.StatusForbidden {
			t.Errorf("district officer posts weights = %d, want 403", resp.StatusCode)
		}
		if resp, body := ta.do(t, "admin", "POST", "/cases/kpi/weights", strings.NewReader("response=20&resolution=40&satisfaction=30"), formHeader); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "100") {
			t.Errorf("weights adding up to 90 = %d: %.300s", resp.StatusCode, body)
		}
		if resp, _ := ta.do(t, "admin", "POST", "/cases/kpi/weights", strings.NewReader(form), formHeader); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("admin posts weights = %d", resp.StatusCode)
		}
		if w, err := ta.Cases.KPIWeights(context.Background()); err != nil || w.Response != 20 || w.Resolution != 40 || w.Satisfaction != 40 {
			t.Errorf("stored weights = %+v, %v", w, err)
		}
		if _, body := ta.do(t, "district", "GET", "/cases/kpi?lang=en", nil, nil); !strings.Contains(body, "response 20%, resolution 40%, satisfaction 40%") {
			t.Errorf("the district officer does not see the saved weights")
		}
	})
}
