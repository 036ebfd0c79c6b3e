package cases

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gengxin/gengxin/internal/auth"
	"github.com/gengxin/gengxin/internal/db"
	"github.com/gengxin/gengxin/internal/db/dbtest"
)

// o311Server is an httptest server with only the Open311 routes, the fake
// keys: "gx_community" scoped to community C, "gx_city" for everywhere,
// "gx_revoked" revoked; anything else is not a key.
type o311Server struct {
	*httptest.Server
	f *fixture
}

func newO311Server(t *testing.T, d *db.DB) *o311Server {
	t.Helper()
	f := newFixture(t, d)
	keys := func(ctx context.Context, key string) (*auth.Principal, error) {
		switch key {
		case "gx_community":
			return &auth.Principal{Kind: auth.KindAPIKey, APIKeyID: 1, Username: "apikey:community", Role: auth.RoleCommunityWorker,
				RegionID: f.regions["C"], RegionPath: f.paths["C"]}, nil
		case "gx_city":
			return &auth.Principal{Kind: auth.KindAPIKey, APIKeyID: 2, Username: "apikey:city", Role: auth.RoleAdmin}, nil
		case "gx_revoked":
			return nil, auth.ErrAPIKeyRevoked
		}
		return nil, auth.ErrBadAPIKey
	}
	mux := http.NewServeMux()
	for _, rt := range NewOpen311(f.svc, keys, "gengxin.test", f.clk.Now, nil).Routes() {
		if !rt.Public {
			t.Fatalf("%s %s is not public", rt.Method, rt.Pattern)
		}
		mux.HandleFunc(rt.Method+" "+rt.Pattern, rt.Handler)
	}
	s := &o311Server{Server: httptest.NewServer(mux), f: f}
	t.Cleanup(s.Close)
	return s
}

func (s *o311Server) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(s.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (s *o311Server) post(t *testing.T, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := http.PostForm(s.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// report is a valid POST in grid G1 with the community key.
func o311Report(extra map[string]string) url.Values {
	v := url.Values{"api_key": {"gx_community"}, "service_code": {"stairwell_light"}, "lat": {fmt.Sprint(inG1[1])},
		"long": {fmt.Sprint(inG1[0])}, "description": {"3号楼2单元楼道灯坏了，请联系我 138 0000 1111"}, "first_name": {"三"},
		"last_name": {"张"}, "phone": {"13800001111"}, "email": {"zhang@example.org"}}
	for k, x := range extra {
		if x == "" {
			v.Del(k)
		} else {
			v.Set(k, x)
		}
	}
	return v
}

// created reads the service_request_id of a POST answer.
func created(t *testing.T, resp *http.Response, body string) string {
	t.Helper()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST = %d: %s", resp.StatusCode, body)
	}
	var got []o311TokenDoc
	if err := json.Unmarshal([]byte(body), &got); err != nil || len(got) != 1 || got[0].ServiceRequestID == "" {
		t.Fatalf("POST answer %s: %v", body, err)
	}
	return got[0].ServiceRequestID
}

// sameRequests checks that the JSON and XML answers of path say the same.
func (s *o311Server) sameRequests(t *testing.T, path string) []o311RequestDoc {
	t.Helper()
	return s.sameRequestsQ(t, path, "")
}

func TestOpen311DiscoveryAndServices(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newO311Server(t, d)
		for _, tc := range []struct{ path, root, want string }{
			{"/open311/v2/discovery", "discovery", "http://wiki.open311.org/GeoReport_v2"},
			{"/open311/v2/services", "services", "stairwell_light"},
			{"/open311/v2/services/pipe_leak", "service_definition", "location_detail"},
		} {
			resp, js := s.get(t, tc.path+".json")
			if resp.StatusCode != 200 || !strings.Contains(js, tc.want) {
				t.Errorf("%s.json = %d: %s", tc.path, resp.StatusCode, js)
			}
			resp, xs := s.get(t, tc.path+".xml")
			if resp.StatusCode != 200 || !strings.HasPrefix(xs, "<?xml") || !strings.Contains(xs, "<"+tc.root+">") || !strings.Contains(xs, tc.want) {
				t.Errorf("%s.xml = %d: %s", tc.path, resp.StatusCode, xs)
			}
		}
		_, js := s.get(t, "/open311/v2/services.json")
		var svcs []o311ServiceDoc
		if err := json.Unmarshal([]byte(js), &svcs); err != nil {
			t.Fatal(err)
		}
		if len(svcs) != len(BuiltinCategories()) || svcs[0].ServiceName != "楼道照明" || !svcs[0].Metadata || svcs[0].Type != "realtime" {
			t.Errorf("services = %+v", svcs)
		}
		_, js = s.get(t, "/open311/v2/services.json?locale=en")
		if !strings.Contains(js, `"service_name":"Stairwell light"`) {
			t.Errorf("English services: %s", js)
		}
		var xd o311DefinitionDoc
		_, xs := s.get(t, "/open311/v2/services/noise.xml")
		if err := xml.Unmarshal([]byte(xs), &xd); err != nil || xd.ServiceCode != "noise" || len(xd.Attributes) != 2 ||
			xd.Attributes[0].Datatype != "singlevaluelist" || len(xd.Attributes[0].Values) != 2 {
			t.Errorf("definition %+v: %v", xd, err)
		}
	})
}

func TestOpen311PostAndRead(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newO311Server(t, d)
		resp, body := s.post(t, "/open311/v2/requests.json", o311Report(map[string]string{
			"media_url": "https://photos.example.org/a.jpg", "attribute[location_detail]": "3号楼2单元"}))
		id := created(t, resp, body)
		if loc := resp.Header.Get("Location"); !strings.HasSuffix(loc, "/open311/v2/requests/"+id+".json") {
			t.Errorf("Location %q", loc)
		}

		got := s.sameRequests(t, "/open311/v2/requests/"+id)
		if len(got) != 1 {
			t.Fatalf("requests/%s = %+v", id, got)
		}
		r := got[0]
		if r.ServiceRequestID != id || r.Status != "open" || r.ServiceCode != "stairwell_light" || r.ServiceName != "楼道照明" ||
			r.MediaURL != "https://photos.example.org/a.jpg" || r.Lat == nil || *r.Lat != inG1[1] || *r.Long != inG1[0] ||
			r.RequestedDatetime != "2025-06-10T09:00:00+08:00" || r.Extended != nil {
			t.Errorf("request = %+v", r)
		}
		// 54321: registered within 5 minutes.
		if r.ExpectedDatetime != "2025-06-10T09:05:00+08:00" {
			t.Errorf("expected_datetime %q", r.ExpectedDatetime)
		}
		if !strings.Contains(r.Address, "3号楼2单元") {
			t.Errorf("address %q lacks the location detail", r.Address)
		}
		_, raw := s.get(t, "/open311/v2/requests/"+id+".json")
		for _, secret := range []string{"张", "13800001111", "138 0000 1111", "zhang@example.org"} {
			if strings.Contains(raw, secret) {
				t.Errorf("public answer shows %q: %s", secret, raw)
			}
		}
		// The case is stored with the contact and name for the handlers.
		c, err := s.f.svc.Get(context.Background(), mustID(t, id))
		if err != nil {
			t.Fatal(err)
		}
		if c.Channel != ChannelOpen311 || c.ReporterName != "张三" || c.Contact != "138****1111" || c.GridID != s.f.regions["G1"] {
			t.Errorf("stored case %+v", c.Case)
		}

		// XML POST answers the same way.
		resp, body = s.post(t, "/open311/v2/requests.xml", o311Report(map[string]string{"phone": "", "email": "", "api_key": "gx_city",
			"attribute[anonymous]": "true", "lat": "", "long": "", "address_string": "青果巷 8 号"}))
		if resp.StatusCode != http.StatusCreated || !strings.Contains(body, "<service_requests><request><service_request_id>") {
			t.Fatalf("XML POST = %d: %s", resp.StatusCode, body)
		}
		var xt o311TokensDoc
		if err := xml.Unmarshal([]byte(body), &xt); err != nil || len(xt.Requests) != 1 {
			t.Fatalf("XML POST answer %s: %v", body, err)
		}
		c2, err := s.f.svc.Get(context.Background(), mustID(t, xt.Requests[0].ServiceRequestID))
		if err != nil {
			t.Fatal(err)
		}
		if !c2.Anonymous || c2.ReporterName != "" || c2.HasLocation || c2.Address != "青果巷 8 号" || c2.Contact == "" {
			t.Errorf("anonymous address-only case %+v", c2.Case)
		}

		// Tokens answer at once with the request id.
		_, tj := s.get(t, "/open311/v2/tokens/"+id+".json")
		if tj != `[{"service_request_id":"`+id+`","token":"`+id+`"}]` {
			t.Errorf("token answer %s", tj)
		}
		_, tx := s.get(t, "/open311/v2/tokens/"+id+".xml")
		if !strings.Contains(tx, "<service_request_id>"+id+"</service_request_id><token>"+id+"</token>") {
			t.Errorf("token XML %s", tx)
		}

		// Extensions: the exact state, the stage clocks and the pause reason.
		cid := mustID(t, id)
		s.f.clk.set(t, "2025-06-10 09:02")
		ok(t)(s.f.svc.Accept(s.f.as("community"), cid, Step{}))
		ok(t)(s.f.svc.Dispatch(s.f.as("community"), cid, 0, Step{}))
		ok(t)(s.f.svc.Suspend(s.f.as("grid1"), cid, Step{Note: "等待配件"}))
		got = s.sameRequestsQ(t, "/open311/v2/requests/"+id, "extensions=true")
		x := got[0].Extended
		if x == nil || x.State != "suspended" || x.PauseReason != "等待配件" || len(x.Stages) < 2 || got[0].Status != "open" ||
			got[0].StatusNotes != "暂停办理：等待配件" || got[0].ExpectedDatetime != "" {
			t.Fatalf("extended = %+v / %+v", got[0], x)
		}
		var onSite *o311StageDoc
		for i := range x.Stages {
			if x.Stages[i].Name == "on_site" {
				onSite = &x.Stages[i]
			}
		}
		if x.Stages[0].Name != "accept" || x.Stages[0].Done != "2025-06-10T09:02:00+08:00" || onSite == nil || !onSite.Paused ||
			onSite.LeftSeconds != int64(40*time.Minute/time.Second) {
			t.Errorf("stages %+v", x.Stages)
		}
	})
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	var id int64
	if _, err := fmt.Sscan(s, &id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestOpen311Errors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newO311Server(t, d)
		resp, body := s.post(t, "/open311/v2/requests.json", o311Report(nil))
		id := created(t, resp, body)
		tests := []struct {
			name   string
			method string
			path   string
			form   url.Values
			status int
		}{
			{"no api_key", "POST", "requests", o311Report(map[string]string{"api_key": ""}), 403},
			{"unknown api_key", "POST", "requests", o311Report(map[string]string{"api_key": "gx_nope"}), 403},
			{"revoked api_key", "POST", "requests", o311Report(map[string]string{"api_key": "gx_revoked"}), 403},
			{"outside the key's region", "POST", "requests", o311Report(map[string]string{"lat": fmt.Sprint(inSOnly[1]), "long": fmt.Sprint(inSOnly[0])}), 403},
			{"scoped key without a point", "POST", "requests", o311Report(map[string]string{"lat": "", "long": "", "address_string": "青果巷"}), 403},
			{"missing service_code", "POST", "requests", o311Report(map[string]string{"service_code": ""}), 400},
			{"unknown service", "POST", "requests", o311Report(map[string]string{"service_code": "dragons"}), 400},
			{"bad lat", "POST", "requests", o311Report(map[string]string{"lat": "north"}), 400},
			{"lat out of range", "POST", "requests", o311Report(map[string]string{"lat": "95"}), 400},
			{"lat without long", "POST", "requests", o311Report(map[string]string{"long": ""}), 400},
			{"no location", "POST", "requests", o311Report(map[string]string{"lat": "", "long": "", "api_key": "gx_city"}), 400},
			{"unknown attribute", "POST", "requests", o311Report(map[string]string{"attribute[colour]": "red"}), 400},
			{"bad attribute value", "POST", "requests", o311Report(map[string]string{"attribute[anonymous]": "maybe"}), 400},
			{"bad media_url", "POST", "requests", o311Report(map[string]string{"media_url": "javascript:alert(1)"}), 400},
			{"other jurisdiction", "POST", "requests", o311Report(map[string]string{"jurisdiction_id": "elsewhere"}), 400},
			{"too long description", "POST", "requests", o311Report(map[string]string{"description": strings.Repeat("灯", MaxDescription+1)}), 400},
			{"POST elsewhere", "POST", "services", o311Report(nil), 404},
			{"bad start_date", "GET", "requests?start_date=yesterday", nil, 400},
			{"bad end_date", "GET", "requests?end_date=2025-13-40", nil, 400},
			{"end before start", "GET", "requests?start_date=2025-06-10T00:00:00%2B08:00&end_date=2025-06-01T00:00:00%2B08:00", nil, 400},
			{"more than 90 days", "GET", "requests?start_date=2025-01-01&end_date=2025-06-01", nil, 400},
			{"bad status", "GET", "requests?status=pending", nil, 400},
			{"unknown service filter", "GET", "requests?service_code=dragons", nil, 400},
			{"bad id filter", "GET", "requests?service_request_id=abc", nil, 400},
			{"bad page", "GET", "requests?page=0", nil, 400},
			{"bad page_size", "GET", "requests?page_size=5000", nil, 400},
			{"other jurisdiction GET", "GET", "services?jurisdiction_id=elsewhere", nil, 400},
			{"unknown request", "GET", "requests/99999", nil, 404},
			{"request id not a number", "GET", "requests/abc", nil, 404},
			{"unknown token", "GET", "tokens/99999", nil, 404},
			{"unknown service definition", "GET", "services/dragons", nil, 404},
			{"unknown resource", "GET", "dragons", nil, 404},
		}
		for _, tc := range tests {
			for _, f := range []string{"json", "xml"} {
				path, query, _ := strings.Cut(tc.path, "?")
				full := "/open311/v2/" + path + "." + f
				if query != "" {
					full += "?" + query
				}
				var resp *http.Response
				var body string
				if tc.method == "POST" {
					resp, body = s.post(t, full, tc.form)
				} else {
					resp, body = s.get(t, full)
				}
				if resp.StatusCode != tc.status {
					t.Errorf("%s (%s): %d, want %d: %s", tc.name, f, resp.StatusCode, tc.status, body)
					continue
				}
				var list []o311ApiError
				if f == "json" {
					if err := json.Unmarshal([]byte(body), &list); err != nil {
						t.Errorf("%s: not an error list: %s", tc.name, body)
					}
				} else {
					var x o311ApiErrors
					if err := xml.Unmarshal([]byte(body), &x); err != nil || x.XMLName.Local != "errors" {
						t.Errorf("%s: not an XML error list: %s", tc.name, body)
					}
					list = x.Errors
				}
				if len(list) != 1 || list[0].Code != tc.status || list[0].Description == "" {
					t.Errorf("%s (%s): error list %+v", tc.name, f, list)
				}
			}
		}
		// Nothing was half-written by the refused posts.
		_, n, err := s.f.svc.List(context.Background(), Filter{})
		if err != nil || n != 1 {
			t.Errorf("%d cases after the refused posts (want only %s): %v", n, id, err)
		}
		// An unknown format is not a resource.
		if resp, _ := s.get(t, "/open311/v2/services.csv"); resp.StatusCode != 404 {
			t.Errorf("services.csv = %d", resp.StatusCode)
		}
	})
}

func TestOpen311Filters(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newO311Server(t, d)
		f := s.f
		light := f.report(t, "stairwell_light", inG1)
		f.clk.set(t, "2025-06-10 10:00")
		noise := f.report(t, "noise", inG2)
		f.clk.set(t, "2025-06-10 11:00")
		waste := f.report(t, "waste_removal", inG1)
		// The light is fixed: closed for Open311.
		ok(t)(f.svc.Accept(f.as("community"), light.ID, Step{}))
		ok(t)(f.svc.Dispatch(f.as("community"), light.ID, 0, Step{}))
		ok(t)(f.svc.Sign(f.as("grid1"), light.ID, Step{}))
		ok(t)(f.svc.Resolve(f.as("grid1"), light.ID, Step{Note: "换了灯泡"}))
		f.clk.set(t, "2025-06-11 09:00")

		ids := func(q string) string {
			t.Helper()
			got := s.sameRequestsQ(t, "/open311/v2/requests", q)
			var out []string
			for _, r := range got {
				out = append(out, r.ServiceRequestID)
			}
			return strings.Join(out, ",")
		}
		all := fmt.Sprintf("%d,%d,%d", waste.ID, noise.ID, light.ID)
		for _, tc := range []struct{ query, want string }{
			{"", all},
			{"status=open", fmt.Sprintf("%d,%d", waste.ID, noise.ID)},
			{"status=closed", fmt.Sprint(light.ID)},
			{"status=open,closed", all},
			{"status=resolved", fmt.Sprint(light.ID)},
			{"service_code=noise", fmt.Sprint(noise.ID)},
			{"service_code=noise,waste_removal", fmt.Sprintf("%d,%d", waste.ID, noise.ID)},
			{"service_code=noise&status=closed", ""},
			{fmt.Sprintf("service_request_id=%d,%d,99999", light.ID, waste.ID), fmt.Sprintf("%d,%d", light.ID, waste.ID)},
			{fmt.Sprintf("service_request_id=%d&service_code=noise", light.ID), fmt.Sprint(light.ID)},
			{"start_date=2025-06-10T09:30:00%2B08:00", fmt.Sprintf("%d,%d", waste.ID, noise.ID)},
			{"end_date=2025-06-10T10:30:00%2B08:00", fmt.Sprintf("%d,%d", noise.ID, light.ID)},
			{"start_date=2025-06-10T09:30:00Z", ""},
			{"start_date=2025-03-20&end_date=2025-06-10", ""},
			{"page_size=2", fmt.Sprintf("%d,%d", waste.ID, noise.ID)},
			{"page_size=2&page=2", fmt.Sprint(light.ID)},
			{"page=3&page_size=2", ""},
		} {
			if got := ids(tc.query); got != tc.want {
				t.Errorf("requests?%s = [%s], want [%s]", tc.query, got, tc.want)
			}
		}
		resp, _ := s.get(t, "/open311/v2/requests.json?page_size=1")
		if resp.Header.Get("X-Total-Count") != "3" {
			t.Errorf("X-Total-Count %q", resp.Header.Get("X-Total-Count"))
		}
		// The count is kept per filter while nothing changes, and follows a
		// new report and a state change at once.
		total := func(q string) string {
			t.Helper()
			resp, _ := s.get(t, "/open311/v2/requests.json?"+q)
			return resp.Header.Get("X-Total-Count")
		}
		if total("page_size=1&page=2") != "3" || total("status=open&page_size=1") != "2" {
			t.Error("counts of the second page or another filter are off")
		}
		extra := f.report(t, "waste_removal", inG1)
		if got := total("page_size=1"); got != "4" {
			t.Errorf("X-Total-Count after a new report = %s, want 4", got)
		}
		ok(t)(f.svc.Accept(f.as("community"), extra.ID, Step{}))
		ok(t)(f.svc.Dispatch(f.as("community"), extra.ID, 0, Step{}))
		ok(t)(f.svc.Sign(f.as("grid1"), extra.ID, Step{}))
		ok(t)(f.svc.Resolve(f.as("grid1"), extra.ID, Step{Note: "已处理"}))
		if got := total("status=open&page_size=1"); got != "2" {
			t.Errorf("open count after resolving the new report = %s, want 2", got)
		}
		got := s.sameRequestsQ(t, "/open311/v2/requests", "service_code=stairwell_light&extensions=true")
		if len(got) != 1 || got[0].Status != "closed" || got[0].Extended == nil || got[0].Extended.State != "resolved" || got[0].ExpectedDatetime != "" {
			t.Errorf("resolved light %+v", got)
		}
		got = s.sameRequestsQ(t, "/open311/v2/requests", "service_code=noise")
		if len(got) != 1 || got[0].AgencyResponsible != "社区网格" || strings.Contains(fmt.Sprint(got[0]), "1111") {
			t.Errorf("noise %+v", got)
		}
	})
}

// sameRequestsQ is sameRequests with a query string.
func (s *o311Server) sameRequestsQ(t *testing.T, path, q string) []o311RequestDoc {
	t.Helper()
	resp, js := s.get(t, path+".json?"+q)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET %s.json?%s = %d: %s", path, q, resp.StatusCode, js)
	}
	resp, xs := s.get(t, path+".xml?"+q)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/xml") {
		t.Fatalf("GET %s.xml?%s = %d: %s", path, q, resp.StatusCode, xs)
	}
	var fromJSON []o311RequestDoc
	if err := json.Unmarshal([]byte(js), &fromJSON); err != nil {
		t.Fatal(err)
	}
	var fromXML o311RequestsDoc
	if err := xml.Unmarshal([]byte(xs), &fromXML); err != nil {
		t.Fatal(err)
	}
	for i := range fromXML.Requests {
		fromXML.Requests[i].XMLName = xml.Name{}
	}
	a, _ := json.Marshal(fromJSON)
	b, _ := json.Marshal(fromXML.Requests)
	if fromXML.Requests == nil {
		b = []byte("[]")
	}
	if string(a) != string(b) {
		t.Errorf("%s?%s: JSON and XML differ:\n%s\n%s", path, q, a, b)
	}
	return fromJSON
}

func TestOpen311PublicText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"请打 13800001111 联系", "请打 138****1111 联系"},
		{"电话 138 0000 1111。", "电话 138****1111。"},
		{"3号楼2单元", "3号楼2单元"},
		{"2025 年 6 月", "2025 年 6 月"},
	} {
		if got := o311PublicText(tc.in); got != tc.want {
			t.Errorf("o311PublicText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct{ desc, text, media string }{
		{"灯坏了\n" + o311MediaMarker + "https://x.org/a.jpg", "灯坏了", "https://x.org/a.jpg"},
		{"灯坏了", "灯坏了", ""},
		{o311MediaMarker + "https://x.org/a.jpg", "", "https://x.org/a.jpg"},
	} {
		if text, media := o311SplitMedia(tc.desc); text != tc.text || media != tc.media {
			t.Errorf("o311SplitMedia(%q) = %q, %q", tc.desc, text, media)
		}
	}
}
