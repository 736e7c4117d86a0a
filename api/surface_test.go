package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/api"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/store"
)

// surface is a server on a real SQLite file with one org and an admin token.
type surface struct {
	srv   *api.Server
	ts    *httptest.Server
	st    *store.Store
	org   *crmd.Org
	token string
}

func newSurface(t *testing.T, scope string) *surface {
	t.Helper()
	st := crmdtest.OpenStore(t)
	o := crmdtest.NewOrg(t, st, store.NewOrg{Name: "Acme", AdminEmail: "admin@acme.test", AdminLast: "Admin"})
	srv := newApp(t, st, api.Config{MaxBodyBytes: 1 << 10}, nil).API
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &surface{srv: srv, ts: ts, st: st, org: o.Org, token: o.Token(t, o.Admin, scope)}
}

// call sends a request and decodes the JSON answer, failing the test when the body is not JSON.
func (s *surface) call(t *testing.T, method, path, body string, header map[string]string) (int, map[string]any) {
	t.Helper()
	return crmdtest.DoJSON(t, method, s.ts.URL+path, body, header)
}

func (s *surface) auth() map[string]string { return crmdtest.Auth(s.token) }

// TestSurfaceErrors is the table of cross-cutting errors: routing, versions, methods, auth, scopes,
// body limits. Each row names the exact status, code, message and details a client sees.
func TestSurfaceErrors(t *testing.T) {
	s := newSurface(t, "ZohoCRM.modules.ALL,ZohoCRM.users.READ")
	auth := s.auth()
	big := strings.Repeat("x", 2<<10)
	cases := []struct {
		name         string
		method, path string
		body         string
		header       map[string]string
		status       int
		code         string
		message      string
		details      string // JSON of details, "" = not checked
	}{
		{"unknown top path", "GET", "/nothing", "", nil, 404, "INVALID_URL_PATTERN", crmd.MsgInvalidURL, `{}`},
		{"root", "GET", "/", "", nil, 404, "INVALID_URL_PATTERN", crmd.MsgInvalidURL, `{}`},
		{"unknown version", "GET", "/crm/v9/Leads", "", auth, 404, "INVALID_URL_PATTERN", crmd.MsgInvalidURL, `{}`},
		{"unknown version without token", "GET", "/crm/v1/Leads", "", nil, 404, "INVALID_URL_PATTERN", crmd.MsgInvalidURL, `{}`},
		{"too deep", "GET", "/crm/v8/Leads/1/2/3/4", "", auth, 404, "INVALID_URL_PATTERN", crmd.MsgInvalidURL, `{}`},
		{"wrong method on records", "PATCH", "/crm/v8/Leads", "", auth, 400, "INVALID_REQUEST_METHOD", crmd.MsgInvalidMethod, `{}`},
		{"wrong method on org", "DELETE", "/crm/v8/org", "", auth, 400, "INVALID_REQUEST_METHOD", crmd.MsgInvalidMethod, `{}`},
		{"wrong method on token endpoint", "GET", "/oauth/v2/token", "", nil, 400, "INVALID_REQUEST_METHOD", crmd.MsgInvalidMethod, `{}`},
		{"no token", "GET", "/crm/v8/Leads?fields=Last_Name", "", nil, 401, "AUTHENTICATION_FAILURE", crmd.MsgAuthFailed, `{}`},
		{"other scheme", "GET", "/crm/v8/Leads?fields=Last_Name", "", map[string]string{"Authorization": "Bearer " + s.token}, 401, "AUTHENTICATION_FAILURE", crmd.MsgAuthFailed, `{}`},
		{"unknown token", "GET", "/crm/v8/Leads?fields=Last_Name", "", map[string]string{"Authorization": "Zoho-oauthtoken 1000.abc.def"}, 401, "INVALID_TOKEN", crmd.MsgInvalidToken, `{}`},
		{"scheme case-insensitive", "GET", "/crm/v8/users?type=CurrentUser", "", map[string]string{"Authorization": "zoho-OAUTHTOKEN " + s.token}, 200, "", "", ""},
		{"scope mismatch", "GET", "/crm/v8/org", "", auth, 401, "OAUTH_SCOPE_MISMATCH", crmd.MsgScopeMismatch, `{}`},
		{"unknown module", "GET", "/crm/v8/Nope?fields=Last_Name", "", auth, 400, "INVALID_MODULE", crmd.MsgInvalidModule, `{"resource_path_index":0}`},
		{"v3 module in v2", "GET", "/crm/v2/Services__s", "", auth, 400, "INVALID_MODULE", crmd.MsgInvalidModule, `{"resource_path_index":0}`},
		{"settings is not a module", "GET", "/crm/v8/settings/nothing", "", auth, 404, "INVALID_URL_PATTERN", crmd.MsgInvalidURL, `{}`},
		{"body over the limit", "POST", "/crm/v8/Leads", `{"data":[{"Last_Name":"` + big + `"}]}`, auth, 413, "REQUEST_ENTITY_TOO_LARGE", "request body is too large", `{"limit":1024}`},
		{"module name case-insensitive", "GET", "/crm/v2/leads", "", auth, 204, "", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := s.call(t, c.method, c.path, c.body, c.header)
			if status != c.status {
				t.Fatalf("status %d, want %d; body %v", status, c.status, body)
			}
			if c.code == "" {
				return
			}
			if body["code"] != c.code || body["message"] != c.message || body["status"] != "error" {
				t.Fatalf("body %v, want code %s message %q", body, c.code, c.message)
			}
			if c.details != "" {
				got, _ := json.Marshal(body["details"])
				if string(got) != c.details {
					t.Fatalf("details %s, want %s", got, c.details)
				}
			}
		})
	}
}

// TestPanicAnswersJSON checks that a panicking handler yields Zoho's INTERNAL_ERROR object, not a
// dropped connection or a text page.
func TestPanicAnswersJSON(t *testing.T) {
	s := newSurface(t, "ZohoCRM.modules.ALL")
	s.srv.HandleForTest("/boom", func(w http.ResponseWriter, r *http.Request) error { panic("boom") })
	status, body := s.call(t, "GET", "/boom", "", nil)
	if status != 500 || body["code"] != "INTERNAL_ERROR" || body["message"] != crmd.MsgInternal {
		t.Fatalf("got %d %v", status, body)
	}
}

// TestInternalErrorHidesText checks that a non-Zoho error becomes a 500 without its text.
func TestInternalErrorHidesText(t *testing.T) {
	s := newSurface(t, "ZohoCRM.modules.ALL")
	s.srv.HandleForTest("/fail", func(w http.ResponseWriter, r *http.Request) error { return io.ErrUnexpectedEOF })
	status, body := s.call(t, "GET", "/fail", "", nil)
	if status != 500 || body["code"] != "INTERNAL_ERROR" || strings.Contains(body["message"].(string), "EOF") {
		t.Fatalf("got %d %v", status, body)
	}
}

func TestOperationsEndpoints(t *testing.T) {
	s := newSurface(t, "ZohoCRM.modules.ALL")
	if status, body := s.call(t, "GET", "/healthz", "", nil); status != 200 || body["status"] != "ok" {
		t.Fatalf("healthz %d %v", status, body)
	}
	if status, body := s.call(t, "GET", "/readyz", "", nil); status != 200 || body["database"] != "ok" {
		t.Fatalf("readyz %d %v", status, body)
	}
	s.call(t, "GET", "/crm/v8/Nope?fields=x", "", s.auth())
	resp, err := http.Get(s.ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(raw)
	want := `crmd_http_requests_total{code="400",route="GET /crm/{version}/{module}"} 1`
	if !strings.Contains(text, want) {
		t.Fatalf("metrics lack %q:\n%s", want, text)
	}
	s.st.Close()
	if status, body := s.call(t, "GET", "/readyz", "", nil); status != 503 || body["database"] != "unreachable" || body["code"] != "DATABASE_UNREACHABLE" {
		t.Fatalf("readyz on a closed store: %d %v", status, body)
	}
}
