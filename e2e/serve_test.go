package e2e

import (
	"encoding/json"
	"errors"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// currentUserEmail returns the email of the token's user, through GET /users?type=CurrentUser.
func currentUserEmail(t *testing.T, h *Harness, token string) string {
	t.Helper()
	status, body, raw := h.Do("GET", "/crm/v8/users?type=CurrentUser", nil, token)
	if status != http.StatusOK {
		t.Fatalf("GET users?type=CurrentUser = %d %s", status, raw)
	}
	users, _ := body["users"].([]any)
	if len(users) != 1 {
		t.Fatalf("users = %s", raw)
	}
	u, _ := users[0].(map[string]any)
	email, _ := u["email"].(string)
	return email
}

func TestFirstStartPrintsWorkingToken(t *testing.T) {
	h := startServer(t)
	if h.Token == "" || h.OrgID == "" || h.RefreshToken == "" || h.ClientID == "" || h.ClientSecret == "" {
		t.Fatalf("bootstrap output incomplete: %+v\n%s", h, h.Bootstrap)
	}
	for _, want := range []string{"admin@crmd.local", "valid 24 h", "shown only once", "\nexport TOKEN=" + h.Token + "\n",
		`curl -H "Authorization: Zoho-oauthtoken $TOKEN" ` + h.BaseURL + `/crm/v8/org` + "\n"} {
		if !strings.Contains(h.Bootstrap, want) {
			t.Errorf("bootstrap output lacks %q:\n%s", want, h.Bootstrap)
		}
	}
	if !strings.HasPrefix(h.BaseURL, "http://127.0.0.1:") || strings.HasSuffix(h.BaseURL, ":0") {
		t.Errorf("base URL = %q", h.BaseURL)
	}

	status, _, raw := h.Do("GET", "/crm/v8/Leads?fields=Last_Name", nil, h.Token)
	if status != http.StatusNoContent || len(raw) != 0 {
		t.Errorf("GET Leads on an empty org = %d %q, want 204 and no body", status, raw)
	}
	if email := currentUserEmail(t, h, h.Token); email != "admin@crmd.local" {
		t.Errorf("current user = %q", email)
	}

	// The printed export and curl lines work as pasted, and show the org.
	if curl, err := exec.LookPath("curl"); err == nil {
		var script []string
		for _, l := range strings.Split(h.Bootstrap, "\n") {
			if strings.HasPrefix(l, "export TOKEN=") {
				script = append(script, l)
			}
			if strings.HasPrefix(l, "curl ") {
				script = append(script, strings.Replace(l, "curl ", curl+" -sS -f ", 1))
			}
		}
		out, err := exec.Command("sh", "-c", strings.Join(script, "\n")).CombinedOutput()
		if err != nil || !strings.Contains(string(out), `"company_name":"crmd"`) {
			t.Errorf("pasted lines %q: %v: %s", script, err, out)
		}
	}

	// Tokens never reach the logs.
	if strings.Contains(h.Stderr(), h.Token) || strings.Contains(h.Stderr(), h.RefreshToken) {
		t.Error("a bootstrap token appears in the server's log")
	}
	if !strings.Contains(h.Stderr(), `"msg":"request"`) {
		t.Errorf("no JSON request log on stderr:\n%s", tail(h.Stderr(), 2048))
	}
}

func TestCLIWhileServing(t *testing.T) {
	h := startServer(t)

	// A new org, made while the server runs on the same database.
	org := h.CLIJSON("init", "--org-name", "Second", "--admin-email", "owner@second.test")
	orgID, _ := org["org_id"].(string)
	if orgID == "" || orgID == h.OrgID {
		t.Fatalf("init = %v", org)
	}
	user := h.CLIJSON("user", "add", "--org", orgID, "--email", "jane@second.test", "--profile", "Administrator")
	if id, _ := user["user_id"].(string); len(id) != 19 {
		t.Fatalf("user add = %v", user)
	}
	tok := h.CLIJSON("token", "--org", orgID, "--email", "jane@second.test", "--scope", "ZohoCRM.modules.ALL,ZohoCRM.users.ALL,ZohoCRM.mass_delete.ALL", "--ttl", "90m")
	if tok["expires_in"] != float64(5400) || tok["api_domain"] != h.BaseURL || tok["token_type"] != "Bearer" {
		t.Errorf("token = %v", tok)
	}
	access, _ := tok["access_token"].(string)
	if email := currentUserEmail(t, h, access); email != "jane@second.test" {
		t.Errorf("new token's user = %q", email)
	}
	if status, _, raw := h.Do("GET", "/crm/v8/Leads?fields=Last_Name", nil, access); status != http.StatusNoContent {
		t.Errorf("GET Leads with the new token = %d %s", status, raw)
	}

	// The refresh token works at the token endpoint, through the org's client.
	if h.ClientID != "" {
		form := "grant_type=refresh_token&client_id=" + h.ClientID + "&client_secret=" + h.ClientSecret + "&refresh_token=" + h.RefreshToken
		resp, raw := h.Request("POST", "/oauth/v2/token?"+form, nil, "")
		var tr map[string]any
		json.Unmarshal(raw, &tr)
		if resp.StatusCode != http.StatusOK || tr["access_token"] == nil {
			t.Errorf("refresh = %d %s", resp.StatusCode, raw)
		} else if email := currentUserEmail(t, h, tr["access_token"].(string)); email != "admin@crmd.local" {
			t.Errorf("refreshed token's user = %q", email)
		}
	}

	// Errors exit non-zero with the message on stderr.
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"token", "--org", orgID, "--email", "ghost@second.test", "--scope", "ZohoCRM.modules.ALL"}, 1, "no user ghost@second.test in org " + orgID},
		{[]string{"token", "--org", orgID, "--email", "jane@second.test", "--scope", "ZohoCRM.modules.ALL", "--ttl", "0s"}, 2, "--ttl"},
		{[]string{"token", "--email", "jane@second.test", "--scope", "ZohoCRM.modules.ALL"}, 2, "--org is required"},
		{[]string{"user", "add", "--org", orgID, "--email", "jane@second.test"}, 1, "already exists"},
		{[]string{"nonsense"}, 2, "unknown command"},
	} {
		_, err := h.CLI(tc.args...)
		var ce *CLIError
		if !errors.As(err, &ce) || ce.ExitCode() != tc.code || !strings.Contains(ce.Stderr, tc.want) {
			t.Errorf("crmd %v: %v, want exit %d mentioning %q", tc.args, err, tc.code, tc.want)
		}
	}
}

func TestStandardUserToken(t *testing.T) {
	h := startServer(t)
	h.CLIJSON("user", "add", "--org", h.OrgID, "--email", "std@crmd.local")
	tok := h.CLIJSON("token", "--org", h.OrgID, "--email", "std@crmd.local", "--scope", "ZohoCRM.modules.ALL,ZohoCRM.users.READ")
	access, _ := tok["access_token"].(string)
	h.CLIJSON("seed", "--org", h.OrgID, "--module", "Leads", "--count", "10")
	status, body, raw := h.Do("GET", "/crm/v8/Leads?fields=Last_Name,Company", nil, access)
	if status != http.StatusOK {
		t.Fatalf("Standard user GET Leads = %d %s", status, raw)
	}
	if data, _ := body["data"].([]any); len(data) != 10 {
		t.Errorf("Standard user sees %d leads, want 10", len(data))
	}
}

func TestSeedWhileServing(t *testing.T) {
	h := startServer(t)
	// Requests keep being answered while the seed holds the write lock in turns.
	stop := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		defer close(errc)
		for {
			select {
			case <-stop:
				return
			default:
			}
			resp, err := http.Get(h.BaseURL + "/readyz")
			if err != nil {
				errc <- err
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				errc <- errors.New(resp.Status)
				return
			}
		}
	}()
	out := h.CLIJSON("seed", "--org", h.OrgID, "--module", "Leads", "--count", "12000")
	close(stop)
	if err := <-errc; err != nil {
		t.Errorf("readyz during the seed: %v", err)
	}
	if out["inserted"] != float64(12000) {
		t.Fatalf("seed = %v", out)
	}
	status, body, raw := h.Do("GET", "/crm/v8/Leads?fields=Last_Name,Company,Email&per_page=200", nil, h.Token)
	if status != http.StatusOK {
		t.Fatalf("GET Leads = %d %s", status, raw)
	}
	data, _ := body["data"].([]any)
	if len(data) != 200 {
		t.Fatalf("page of %d leads, want 200", len(data))
	}
	first, _ := data[0].(map[string]any)
	if s, _ := first["Last_Name"].(string); s == "" {
		t.Errorf("first lead = %v", first)
	}
	if info, _ := body["info"].(map[string]any); info["more_records"] != true {
		t.Errorf("info = %v", body["info"])
	}
}

func TestUnknownPathsAnswerJSON(t *testing.T) {
	h := startServer(t)
	for _, path := range []string{"/nope", "/crm/v99/Leads", "/", "/crm"} {
		resp, raw := h.Request("GET", path, nil, h.Token)
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Errorf("GET %s: body is not JSON: %q", path, raw)
			continue
		}
		if resp.StatusCode != http.StatusNotFound || body["code"] != "INVALID_URL_PATTERN" || body["status"] != "error" {
			t.Errorf("GET %s = %d %s", path, resp.StatusCode, raw)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("GET %s: Content-Type %q", path, ct)
		}
	}
}

func TestOperationsEndpoints(t *testing.T) {
	h := startServer(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		status, body, raw := h.Do("GET", path, nil, "")
		if status != http.StatusOK || body["status"] != "ok" {
			t.Errorf("GET %s = %d %s", path, status, raw)
		}
	}
	h.Do("GET", "/crm/v8/Leads?fields=Last_Name", nil, h.Token)
	resp, raw := h.Request("GET", "/metrics", nil, "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(raw), "crmd_http_requests_total") {
		t.Errorf("GET /metrics = %d\n%s", resp.StatusCode, tail(string(raw), 1024))
	}
	if !strings.Contains(string(raw), `route="GET /crm/{version}/{module}"`) {
		t.Errorf("metrics lack the route label of the records call:\n%s", tail(string(raw), 2048))
	}
	if strings.Contains(string(raw), h.OrgID) {
		t.Error("metrics carry raw ids")
	}
}

func TestRestartKeepsDataAndPrintsNoToken(t *testing.T) {
	h := startServer(t)
	h.CLIJSON("seed", "--org", h.OrgID, "--count", "5")
	h.Stop() // fails the test unless crmd exits 0
	if !h.Exited() {
		t.Fatal("crmd still running after Stop")
	}
	if !strings.Contains(h.Stderr(), `"msg":"stopped"`) {
		t.Errorf("no clean stop in the log:\n%s", tail(h.Stderr(), 1024))
	}

	h2 := startServer(t, "--db", h.DB)
	if h2.Token != "" || strings.Contains(h2.Bootstrap, "Zoho-oauthtoken") || h2.Bootstrap != "" {
		t.Errorf("second start printed a bootstrap:\n%s", h2.Bootstrap)
	}
	// The first start's token still works: tokens and records live in the database.
	status, body, raw := h2.Do("GET", "/crm/v8/Leads?fields=Last_Name", nil, h.Token)
	if status != http.StatusOK {
		t.Fatalf("GET Leads after restart = %d %s", status, raw)
	}
	if data, _ := body["data"].([]any); len(data) != 5 {
		t.Errorf("%d leads after restart, want 5", len(data))
	}
	h2.Stop()
}

func TestNoBootstrap(t *testing.T) {
	h := startServer(t, "--no-bootstrap")
	if h.Token != "" || h.Bootstrap != "" {
		t.Errorf("--no-bootstrap printed:\n%s", h.Bootstrap)
	}
	if status, _, _ := h.Do("GET", "/healthz", nil, ""); status != http.StatusOK {
		t.Errorf("healthz = %d", status)
	}
	// An org made by hand afterwards works as usual.
	org := h.CLIJSON("init")
	orgID, _ := org["org_id"].(string)
	tok := h.CLIJSON("token", "--org", orgID, "--email", "admin@crmd.local", "--scope", "ZohoCRM.modules.ALL")
	if status, _, raw := h.Do("GET", "/crm/v8/Leads?fields=Last_Name", nil, tok["access_token"].(string)); status != http.StatusNoContent {
		t.Errorf("GET Leads = %d %s", status, raw)
	}
}

func TestShutdownWaitsForInFlightRequests(t *testing.T) {
	h := startServer(t)
	h.CLIJSON("seed", "--org", h.OrgID, "--count", "2000")
	// Start a stream of requests, SIGTERM in the middle of it: every request that got a response got
	// a complete one, and crmd exits 0.
	results := make(chan error, 64)
	started := make(chan struct{})
	var once sync.Once
	go func() {
		defer close(results)
		defer once.Do(func() { close(started) })
		for i := 0; i < 64; i++ {
			if i == 4 {
				once.Do(func() { close(started) })
			}
			req, _ := http.NewRequest("GET", h.BaseURL+"/crm/v8/Leads?fields=Last_Name,Company,Email,Description&per_page=200", nil)
			req.Header.Set("Authorization", "Zoho-oauthtoken "+h.Token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return // refused once the listener closed
			}
			var body map[string]any
			err = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK {
				results <- errors.New("incomplete or failed response: " + resp.Status)
				return
			}
		}
	}()
	select {
	case <-started:
	case <-time.After(startTimeout):
		t.Fatal("requests did not start")
	}
	h.Stop()
	for err := range results {
		t.Error(err)
	}
}

// TestSeededModulesReadBack seeds standard modules with lookups between them and a custom module with
// every kind of field, and reads the records back through the API: the seeder writes what the records
// package reads.
func TestSeededModulesReadBack(t *testing.T) {
	h := startServer(t)
	h.CLIJSON("module", "add", "--org", h.OrgID, "--api-name", "Projects", "--singular", "Project", "--plural", "Projects",
		"--field", "Budget:currency", "--field", "Kickoff:datetime", "--field", "Due:date", "--field", "Tags:multiselectpicklist:a|b|c",
		"--field", "Big:bigint", "--field", "Client:lookup:Accounts", "--field", "Active:boolean")
	for _, m := range []string{"Accounts", "Contacts", "Deals", "Projects"} {
		out := h.CLIJSON("seed", "--org", h.OrgID, "--module", m, "--count", "30")
		if out["inserted"] != float64(30) {
			t.Fatalf("seed %s = %v", m, out)
		}
	}
	for _, tc := range []struct{ module, fields string }{
		{"Accounts", "Account_Name,Phone,Website,Industry,Annual_Revenue"},
		{"Contacts", "Full_Name,Last_Name,Email,Account_Name,Mailing_City"},
		{"Deals", "Deal_Name,Stage,Closing_Date,Amount,Account_Name"},
		{"Projects", "Name,Budget,Kickoff,Due,Tags,Big,Client,Active"},
	} {
		status, body, raw := h.Do("GET", "/crm/v8/"+tc.module+"?fields="+tc.fields+"&per_page=50", nil, h.Token)
		if status != http.StatusOK {
			t.Fatalf("GET %s = %d %s", tc.module, status, raw)
		}
		data, _ := body["data"].([]any)
		if len(data) != 30 {
			t.Fatalf("GET %s: %d records, want 30", tc.module, len(data))
		}
		rec, _ := data[0].(map[string]any)
		id, _ := rec["id"].(string)
		status, one, raw := h.Do("GET", "/crm/v8/"+tc.module+"/"+id, nil, h.Token)
		if status != http.StatusOK {
			t.Fatalf("GET %s/%s = %d %s", tc.module, id, status, raw)
		}
		got, _ := one["data"].([]any)
		if len(got) != 1 {
			t.Fatalf("GET %s/%s: %s", tc.module, id, raw)
		}
		r, _ := got[0].(map[string]any)
		if owner, _ := r["Owner"].(map[string]any); owner["email"] != "admin@crmd.local" {
			t.Errorf("%s owner = %v", tc.module, r["Owner"])
		}
		if tc.module == "Projects" {
			if kick, ok := r["Kickoff"].(string); ok && !strings.Contains(kick, "T") {
				t.Errorf("Kickoff = %q", kick)
			}
		}
	}
}
