package app_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gengxin/gengxin/internal/cases"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
)

// fakeClock is a settable clock for the case deadlines.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// exifJPEG returns a small JPEG carrying an APP1 Exif segment with a GPS tag.
func exifJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 32, 24))
	for x := range 32 {
		for y := range 24 {
			img.Set(x, y, color.RGBA{uint8(x * 8), uint8(y * 10), 90, 255})
		}
	}
	var plain bytes.Buffer
	if err := jpeg.Encode(&plain, img, nil); err != nil {
		t.Fatal(err)
	}
	payload := append([]byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08"), []byte("GPSLatitude 31.7201 GPSLongitude 119.9201")...)
	seg := []byte{0xFF, 0xE1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	out := append([]byte{}, plain.Bytes()[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, plain.Bytes()[2:]...)
}

func pngPhoto(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// multipartForm builds a multipart body of fields and one file per name.
func multipartForm(t *testing.T, fields url.Values, files map[string][]byte) (*bytes.Buffer, map[string]string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			if err := mw.WriteField(k, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, data := range files {
		fw, err := mw.CreateFormFile("photos", name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &body, map[string]string{"Content-Type": mw.FormDataContentType()}
}

var formHeader = map[string]string{"Content-Type": "application/x-www-form-urlencoded"}

// caseID reads the case id from the redirect after a report.
func caseID(t *testing.T, resp *http.Response, body string) int64 {
	t.Helper()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/cases/mine?reported=") {
		t.Fatalf("report = %d %q: %s", resp.StatusCode, loc, body)
	}
	v, _ := strings.CutPrefix(loc, "/cases/mine?reported=")
	v, _, _ = strings.Cut(v, "#")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestCasePages walks a case from a resident's phone to the rating: the
// report with a photo (its EXIF removed), the nearby offer, the live clock,
// the dispatcher's accept and dispatch, the grid worker's sign, arrival and
// resolution with a photo, the resident's confirmation and rating; then a
// reopened case, illegal steps (409 with the reason) and staff outside the
// area (403).
func TestCasePages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clk := &fakeClock{t: time.Date(2026, 3, 10, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))}
		ta := newTestAppAt(t, d, clk.Now)
		ctx := context.Background()
		jsonH := map[string]string{"Accept": "application/json"}

		// The form starts at the resident's home compound and groups categories.
		resp, body := ta.do(t, "resident", "GET", "/cases/new", nil, nil)
		if resp.StatusCode != 200 || !strings.Contains(body, `data-home-lon="119.92"`) || !strings.Contains(body, "<optgroup") {
			t.Fatalf("report form = %d: %.300s", resp.StatusCode, body)
		}

		// A report with a JPEG carrying EXIF GPS data.
		photo := exifJPEG(t)
		if !bytes.Contains(photo, []byte("Exif")) {
			t.Fatal("test photo has no EXIF")
		}
		form := url.Values{"category": {"stairwell_light"}, "description": {"3单元楼道灯不亮"}, "lon": {"119.9201"}, "lat": {"31.7201"},
			"contact": {"13800001111"}}
		b, h := multipartForm(t, form, map[string][]byte{"light.jpg": photo})
		resp, body = ta.do(t, "resident", "POST", "/cases", b, h)
		id := caseID(t, resp, body)
		c, err := ta.Cases.Get(ctx, id)
		if err != nil || len(c.Photos) != 1 || c.Channel != cases.ChannelResident {
			t.Fatalf("stored case = %+v, %v", c.Case, err)
		}
		ct, stored, err := ta.Cases.Photo(ctx, c.Photos[0])
		if err != nil || ct != "image/jpeg" || bytes.Contains(stored, []byte("Exif")) || bytes.Contains(stored, []byte("GPSLatitude")) {
			t.Fatalf("stored photo %s (%d bytes) still has its EXIF data or failed: %v", ct, len(stored), err)
		}
		if _, err := jpeg.Decode(bytes.NewReader(stored)); err != nil {
			t.Fatalf("stored photo is no JPEG: %v", err)
		}
		// A text file is no photo; nothing is stored.
		b, h = multipartForm(t, form, map[string][]byte{"notes.jpg": []byte("just text, not a picture")})
		if resp, body = ta.do(t, "resident", "POST", "/cases", b, h); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "JPEG") {
			t.Errorf("text as photo = %d: %.200s", resp.StatusCode, body)
		}

		// The same problem 20 m away is offered for joining.
		resp, body = ta.do(t, "resident", "GET", "/cases/nearby?category=stairwell_light&lon=119.9202&lat=31.7202", nil, nil)
		if resp.StatusCode != 200 || !strings.Contains(body, fmt.Sprintf("/cases/%d/join", id)) {
			t.Errorf("nearby = %d: %s", resp.StatusCode, body)
		}
		if _, body = ta.do(t, "resident", "GET", "/cases/nearby?category=noise&lon=119.9202&lat=31.7202", nil, nil); strings.Contains(body, "join") {
			t.Errorf("nearby offers a case of another category: %s", body)
		}

		// The live clock: 5 minutes to register, then overdue.
		_, body = ta.do(t, "resident", "GET", "/cases/mine?lang=en", nil, nil)
		if !strings.Contains(body, "due in 5 min") || !strings.Contains(body, `hx-trigger="every 30s"`) {
			t.Errorf("my reports without the live clock: %s", body)
		}
		clk.Add(7*time.Minute + 20*time.Second)
		if _, body = ta.do(t, "resident", "GET", fmt.Sprintf("/cases/%d/clock?lang=en", id), nil, nil); !strings.Contains(body, "overdue by 2 min") {
			t.Errorf("clock after 7 min = %s", body)
		}

		// The dispatcher's queue shows it with the routed grid worker.
		_, body = ta.do(t, "community", "GET", "/cases/queue", nil, nil)
		if !strings.Contains(body, fmt.Sprintf(`id="case-%d"`, id)) || !strings.Contains(body, "grid") {
			t.Errorf("queue lacks the case or its handler: %.500s", body)
		}
		for _, step := range []string{"accept", "dispatch"} {
			if resp, body = ta.do(t, "community", "POST", fmt.Sprintf("/cases/%d/%s", id, step), strings.NewReader("back=/cases/queue"), formHeader); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("%s = %d: %s", step, resp.StatusCode, body)
			}
		}
		// Accepting twice is illegal and says why.
		resp, body = ta.do(t, "community", "POST", fmt.Sprintf("/cases/%d/accept", id), nil, jsonH)
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "dispatched") {
			t.Errorf("second accept = %d: %s", resp.StatusCode, body)
		}
		grid, err := ta.Auth.UserByUsername(ctx, "grid")
		if err != nil {
			t.Fatal(err)
		}
		if c, _ = ta.Cases.Get(ctx, id); c.State != cases.StateDispatched || c.AssigneeID != grid.ID {
			t.Fatalf("after dispatch: %s to %d, want the grid worker %d", c.State, c.AssigneeID, grid.ID)
		}

		// The grid worker's day, then sign, arrive and resolve with a photo.
		if _, body = ta.do(t, "grid", "GET", "/cases/today", nil, nil); !strings.Contains(body, fmt.Sprintf(`id="case-%d"`, id)) || !strings.Contains(body, `data-lat="31.7201"`) {
			t.Errorf("today lacks the case: %.500s", body)
		}
		for _, step := range []string{"sign", "arrive"} {
			if resp, body = ta.do(t, "grid", "POST", fmt.Sprintf("/cases/%d/%s", id, step), nil, nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("%s = %d: %s", step, resp.StatusCode, body)
			}
		}
		if resp, body = ta.do(t, "grid", "POST", fmt.Sprintf("/cases/%d/resolve", id), strings.NewReader("note=换了灯泡"), formHeader); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("resolve without a photo = %d: %s", resp.StatusCode, body)
		}
		b, h = multipartForm(t, url.Values{"note": {"换了灯泡"}}, map[string][]byte{"fixed.png": pngPhoto(t)})
		if resp, body = ta.do(t, "grid", "POST", fmt.Sprintf("/cases/%d/resolve", id), b, h); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("resolve = %d: %s", resp.StatusCode, body)
		}

		// The resident sees the fix, confirms it and rates.
		_, body = ta.do(t, "resident", "GET", fmt.Sprintf("/cases/%d", id), nil, nil)
		if !strings.Contains(body, "换了灯泡") || !strings.Contains(body, "verify-form") || strings.Contains(body, "grid") {
			t.Errorf("reporter's case page: %.600s", body)
		}
		if resp, body = ta.do(t, "resident", "POST", fmt.Sprintf("/cases/%d/rate", id), strings.NewReader("rating=satisfied"), formHeader); resp.StatusCode != http.StatusConflict {
			t.Errorf("rating before the confirmation = %d: %s", resp.StatusCode, body)
		}
		if resp, body = ta.do(t, "resident", "POST", fmt.Sprintf("/cases/%d/verify", id), nil, nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("verify = %d: %s", resp.StatusCode, body)
		}
		if resp, body = ta.do(t, "resident", "POST", fmt.Sprintf("/cases/%d/rate", id), strings.NewReader("rating=satisfied&comment=很及时"), formHeader); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("rate = %d: %s", resp.StatusCode, body)
		}
		if c, _ = ta.Cases.Get(ctx, id); c.State != cases.StateRated || c.Rating != cases.RatingSatisfied || len(c.FollowUps) != 1 {
			t.Errorf("after rating: %s %q with %d follow-ups", c.State, c.Rating, len(c.FollowUps))
		}

		// Staff see the whole case with its clocks; the contact is masked until revealed.
		_, body = ta.do(t, "community", "GET", fmt.Sprintf("/cases/%d?lang=en", id), nil, nil)
		if !strings.Contains(body, "138****1111") || strings.Contains(body, "13800001111") || !strings.Contains(body, `id="clocks"`) || !strings.Contains(body, "late") {
			t.Errorf("staff case page: %.800s", body)
		}
		if resp, body = ta.do(t, "community", "POST", fmt.Sprintf("/cases/%d/reveal", id), nil, nil); resp.StatusCode != 200 || !strings.Contains(body, "13800001111") {
			t.Errorf("reveal = %d: %s", resp.StatusCode, body)
		}

		// A second case, resolved and reopened by the resident.
		form.Set("category", "waste_removal")
		form.Set("description", "垃圾三天没清运")
		b, h = multipartForm(t, form, nil)
		resp, body = ta.do(t, "resident", "POST", "/cases", b, h)
		id2 := caseID(t, resp, body)
		for _, step := range []struct{ user, action string }{{"community", "accept"}, {"community", "dispatch"}, {"grid", "sign"}} {
			if resp, body = ta.do(t, step.user, "POST", fmt.Sprintf("/cases/%d/%s", id2, step.action), nil, nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("%s = %d: %s", step.action, resp.StatusCode, body)
			}
		}
		b, h = multipartForm(t, nil, map[string][]byte{"done.jpg": photo})
		if resp, body = ta.do(t, "grid", "POST", fmt.Sprintf("/cases/%d/resolve", id2), b, h); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("resolve = %d: %s", resp.StatusCode, body)
		}
		if resp, _ = ta.do(t, "resident", "POST", fmt.Sprintf("/cases/%d/reopen", id2), strings.NewReader("note="), formHeader); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("reopen without a reason = %d", resp.StatusCode)
		}
		if resp, body = ta.do(t, "resident", "POST", fmt.Sprintf("/cases/%d/reopen", id2), strings.NewReader("note=还是没有清运"), formHeader); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("reopen = %d: %s", resp.StatusCode, body)
		}
		if c, _ = ta.Cases.Get(ctx, id2); c.State != cases.StateReopened || c.Reopens != 1 {
			t.Errorf("after reopening: %s, %d reopens", c.State, c.Reopens)
		}
		if _, body = ta.do(t, "resident", "GET", "/cases/mine", nil, nil); !strings.Contains(body, "重新办理") {
			t.Errorf("my reports do not show the reopened case")
		}
		// The grid worker may not dispatch; verifying a reopened case is illegal.
		if resp, _ = ta.do(t, "grid", "POST", fmt.Sprintf("/cases/%d/dispatch", id2), nil, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("grid worker dispatching = %d, want 403", resp.StatusCode)
		}
		if resp, body = ta.do(t, "resident", "POST", fmt.Sprintf("/cases/%d/verify", id2), nil, jsonH); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "reopened") {
			t.Errorf("verifying a reopened case = %d: %s", resp.StatusCode, body)
		}

		// A case in subdistrict B: staff of subdistrict A get 403, the resident's
		// neighbours (here: staff reading as a reporter) get nothing.
		form.Set("lon", "119.97")
		form.Set("lat", "31.75")
		b, h = multipartForm(t, form, nil)
		resp, body = ta.do(t, "resident", "POST", "/cases", b, h)
		id3 := caseID(t, resp, body)
		for _, tt := range []struct{ user, method, path string }{
			{"community", "POST", "/cases/%d/accept"},
			{"subdistrict", "POST", "/cases/%d/accept"},
			{"community", "GET", "/cases/%d"},
			{"grid", "GET", "/cases/%d"},
			{"grid", "POST", "/cases/%d/sign"},
			{"community", "POST", "/cases/%d/reveal"},
		} {
			if resp, body = ta.do(t, tt.user, tt.method, fmt.Sprintf(tt.path, id3), nil, nil); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s %s = %d, want 403: %.200s", tt.user, tt.method, fmt.Sprintf(tt.path, id3), resp.StatusCode, body)
			}
		}
		if resp, _ = ta.do(t, "district", "POST", fmt.Sprintf("/cases/%d/accept", id3), nil, nil); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("district officer accepting = %d", resp.StatusCode)
		}
		if _, body = ta.do(t, "community", "GET", "/cases/queue", nil, nil); strings.Contains(body, fmt.Sprintf(`id="case-%d"`, id3)) {
			t.Errorf("the queue shows a case outside the area")
		}
	})
}
