package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/api"
	"github.com/crmd/crmd/app"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/oauth"
)

const controlToken = "ctl-secret-42"

type ctlEnv struct {
	a     *app.App
	url   string
	o     *crmdtest.Org
	token string
}

func newCtlEnv(t *testing.T, cfg api.Config) *ctlEnv {
	t.Helper()
	st := crmdtest.OpenStore(t)
	o := crmdtest.NewTeam(t, st, "Acme", "UTC")
	a := newApp(t, st, cfg, nil)
	ts := httptest.NewServer(a.Handler)
	t.Cleanup(ts.Close)
	return &ctlEnv{a: a, url: ts.URL, o: o, token: o.Token(t, o.Admin, "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.mass_delete.ALL,ZohoCRM.org.READ")}
}

// ctl calls the control API with the control token.
func (e *ctlEnv) ctl(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	return crmdtest.DoJSON(t, method, e.url+"/crmd/v1/control/"+path, body, map[string]string{"Authorization": "Bearer " + controlToken})
}

func (e *ctlEnv) api(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	return crmdtest.DoJSON(t, method, e.url+path, body, crmdtest.Auth(e.token))
}

// TestControlAPIIsHiddenWithoutToken: without a control token every control path is an unknown path;
// with one, a missing or wrong token is 401 and the right one works.
func TestControlAPIIsHiddenWithoutToken(t *testing.T) {
	off := newCtlEnv(t, api.Config{})
	for _, m := range []string{"GET", "PUT", "DELETE", "POST"} {
		for _, p := range []string{"faults", "requests", "clock", "settings", "nope"} {
			code, body := crmdtest.DoJSON(t, m, off.url+"/crmd/v1/control/"+p, "", map[string]string{"Authorization": "Bearer " + controlToken})
			if code != 404 || body["code"] != "INVALID_URL_PATTERN" {
				t.Errorf("%s %s without a control token: %d %v", m, p, code, body)
			}
		}
	}
	on := newCtlEnv(t, api.Config{ControlToken: controlToken})
	for name, h := range map[string]map[string]string{
		"none":       nil,
		"wrong":      {"Authorization": "Bearer ctl-secret-43"},
		"zoho token": crmdtest.Auth(on.token),
		"no scheme":  {"Authorization": controlToken},
	} {
		if code, body := crmdtest.DoJSON(t, "GET", on.url+"/crmd/v1/control/faults", "", h); code != 401 || body["code"] != "AUTHENTICATION_FAILURE" {
			t.Errorf("%s: %d %v", name, code, body)
		}
	}
	if code, body := on.ctl(t, "GET", "faults", ""); code != 200 {
		t.Fatalf("with the token: %d %v", code, body)
	} else {
		crmdtest.JSONEq(t, "no faults", body, `{"faults":[],"job":{"fail_after_records":0}}`)
	}
}

// TestFaultsFireExactlyTimes: a fault on a {module} pattern answers Zoho's error object exactly times
// times, then the real answer comes back; another path is never touched; a delay-only fault delays.
func TestFaultsFireExactlyTimes(t *testing.T) {
	e := newCtlEnv(t, api.Config{ControlToken: controlToken})
	code, body := e.ctl(t, "PUT", "faults", `{"faults":[
		{"method":"get","path":"/crm/v8/{module}","status":503,"code":"SERVICE_UNAVAILABLE","message":"try later","times":3},
		{"path":"/crm/v8/org","delay_ms":300}]}`)
	if code != 200 || len(body["faults"].([]any)) != 2 {
		t.Fatalf("put faults: %d %v", code, body)
	}
	for i := range 3 {
		code, body := e.api(t, "GET", "/crm/v8/Leads?fields=Last_Name", "")
		if code != 503 {
			t.Fatalf("call %d: %d %v", i, code, body)
		}
		crmdtest.JSONEq(t, "fault answer", body, `{"code":"SERVICE_UNAVAILABLE","details":{},"message":"try later","status":"error"}`)
	}
	if code, _ := e.api(t, "GET", "/crm/v8/Leads?fields=Last_Name", ""); code != 204 {
		t.Fatalf("the fourth call: %d, want the real answer (204, no leads)", code)
	}
	if code, _ := e.api(t, "POST", "/crm/v8/Leads", `{"data":[{"Last_Name":"x"}]}`); code != 201 {
		t.Errorf("another method was faulted: %d", code)
	}
	start := time.Now()
	if code, _ := e.api(t, "GET", "/crm/v8/org", ""); code != 200 || time.Since(start) < 300*time.Millisecond {
		t.Errorf("delay fault: %d after %v", code, time.Since(start))
	}
	_, body = e.ctl(t, "GET", "faults", "")
	fired := []float64{}
	for _, f := range body["faults"].([]any) {
		fired = append(fired, f.(map[string]any)["fired"].(float64))
	}
	if fmt.Sprint(fired) != "[3 1]" {
		t.Errorf("fired %v, want [3 1]", fired)
	}
	// probability 0 never fires; DELETE clears.
	e.ctl(t, "PUT", "faults", `{"faults":[{"path":"/crm/v8/org","status":500,"probability":0}]}`)
	for range 5 {
		if code, _ := e.api(t, "GET", "/crm/v8/org", ""); code != 200 {
			t.Fatalf("a fault of probability 0 fired: %d", code)
		}
	}
	e.ctl(t, "PUT", "faults", `{"faults":[{"path":"/crm/v8/org","status":500}]}`)
	if code, _ := e.api(t, "GET", "/crm/v8/org", ""); code != 500 {
		t.Fatalf("an unlimited fault: %d", code)
	}
	if code, body := e.ctl(t, "DELETE", "faults", ""); code != 200 || len(body["faults"].([]any)) != 0 {
		t.Fatalf("delete: %d %v", code, body)
	}
	if code, _ := e.api(t, "GET", "/crm/v8/org", ""); code != 200 {
		t.Fatalf("after DELETE: %d", code)
	}
	// Bad faults are refused with their JSON path and change nothing.
	for body, path := range map[string]string{
		`{"faults":[{"path":"crm/v8/org","status":500}]}`:               "$.faults[0].path",
		`{"faults":[{"path":"/crm/v8/org","status":200}]}`:              "$.faults[0].status",
		`{"faults":[{"path":"/crm/v8/org"}]}`:                           "$.faults[0].status",
		`{"faults":[{"path":"/crm/v8/org","status":500,"times":-1}]}`:   "$.faults[0].times",
		`{"faults":[{"path":"/crmd/v1/control/faults","status":500}]}`:  "$.faults[0].path",
		`{"faults":[{"path":"/x","status":500,"probability":2}]}`:       "$.faults[0].probability",
		`{"faults":[{"path":"/x","status":500,"method":"GE T"}]}`:       "$.faults[0].method",
		`{"job":{"fail_after_records":-3}}`:                             "$.job.fail_after_records",
		`{"faults":[{"path":"/x","status":500,"delay_ms":99999}]}`:      "$.faults[0].delay_ms",
		`{"faults":[{"path":"/x","status":500,"color":"red"}]}`:         "$",
		`{"faults":[{"path":"/crm/v8/{module}","status":400}], "x": 1}`: "$",
	} {
		code, b := e.ctl(t, "PUT", "faults", body)
		d, _ := b["details"].(map[string]any)
		if code != 400 || d["json_path"] != path {
			t.Errorf("%s: %d %v, want 400 at %s", body, code, b, path)
		}
	}
	if _, b := e.ctl(t, "GET", "faults", ""); len(b["faults"].([]any)) != 0 {
		t.Errorf("a refused PUT changed the faults: %v", b)
	}
}

// TestJournalKeepsNoSecret: the journal shows what clients sent and got — with every token, secret and
// grant code redacted, from the query, form bodies and JSON bodies alike — and never its own calls.
func TestJournalKeepsNoSecret(t *testing.T) {
	e := newCtlEnv(t, api.Config{ControlToken: controlToken, JournalSize: 5})
	ctx := context.Background()
	clientID, secret, err := oauth.NewClient(ctx, e.a.Store, e.o.Org.ID, "journal")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := e.a.Auth.IssueForUser(ctx, clientID, e.o.Org.ID, e.o.Admin.ID, "ZohoCRM.modules.ALL", time.Hour, true)
	if err != nil {
		t.Fatal(err)
	}
	code, err := e.a.Auth.NewGrantCode(ctx, clientID, e.o.Org.ID, e.o.Admin.ID, "ZohoCRM.modules.ALL", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"grant_type": {"refresh_token"}, "client_id": {clientID}, "client_secret": {secret}, "refresh_token": {tr.RefreshToken}}
	resp, err := http.Post(e.url+"/oauth/v2/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	var minted map[string]any
	json.NewDecoder(resp.Body).Decode(&minted)
	resp.Body.Close()
	q := url.Values{"grant_type": {"authorization_code"}, "client_id": {clientID}, "client_secret": {secret}, "code": {code}}
	crmdtest.DoJSON(t, "POST", e.url+"/oauth/v2/token?"+q.Encode(), "", nil)
	e.api(t, "POST", "/crm/v8/Leads", `{"data":[{"Last_Name":"Journal","Description":"my password is hunter2"}],"access_token":"`+tr.AccessToken+`"}`)
	e.ctl(t, "GET", "faults", "")

	_, body := e.ctl(t, "GET", "requests?limit=10", "")
	raw, _ := json.Marshal(body)
	for name, s := range map[string]string{"client secret": secret, "refresh token": tr.RefreshToken, "grant code": code,
		"access token": tr.AccessToken, "minted token": fmt.Sprint(minted["access_token"]), "API token": e.token, "control token": controlToken} {
		if strings.Contains(string(raw), s) {
			t.Errorf("the journal holds the %s", name)
		}
	}
	reqs := body["requests"].([]any)
	if len(reqs) != 3 {
		t.Fatalf("%d requests journaled, want 3 (the control API's own calls are not): %s", len(reqs), raw)
	}
	insert := reqs[0].(map[string]any)
	if insert["method"] != "POST" || insert["path"] != "/crm/v8/Leads" || insert["status"] != 201.0 || insert["code"] != "SUCCESS" ||
		insert["org_id"] != e.o.Org.ID.String() || insert["user_id"] != e.o.Admin.ID.String() {
		t.Errorf("the insert's entry: %v", insert)
	}
	rb := insert["request_body"].(map[string]any)
	if rb["access_token"] != "[redacted]" || rb["data"].([]any)[0].(map[string]any)["Last_Name"] != "Journal" {
		t.Errorf("the insert's body as journaled: %v", rb)
	}
	refresh := reqs[2].(map[string]any)
	if rb := refresh["request_body"].(map[string]any); rb["client_secret"] != "[redacted]" || rb["refresh_token"] != "[redacted]" || rb["grant_type"] != "refresh_token" {
		t.Errorf("the refresh's form as journaled: %v", rb)
	}
	if out := refresh["response_body"].(map[string]any); out["access_token"] != "[redacted]" || out["api_domain"] == nil {
		t.Errorf("the refresh's answer as journaled: %v", out)
	}
	exchange := reqs[1].(map[string]any)
	if qq := exchange["query"].(map[string]any); qq["code"] != "[redacted]" || qq["client_secret"] != "[redacted]" || qq["grant_type"] != "authorization_code" {
		t.Errorf("the exchange's query as journaled: %v", qq)
	}
	// path filters; the ring keeps the last JournalSize; DELETE clears.
	if _, b := e.ctl(t, "GET", "requests?path=/oauth/", ""); len(b["requests"].([]any)) != 2 {
		t.Errorf("path=/oauth/: %v", b)
	}
	for range 7 {
		e.api(t, "GET", "/crm/v8/org", "")
	}
	if _, b := e.ctl(t, "GET", "requests?limit=100", ""); len(b["requests"].([]any)) != 5 {
		t.Errorf("the ring of 5 holds %d", len(b["requests"].([]any)))
	}
	if code, _ := e.ctl(t, "GET", "requests?limit=0", ""); code != 400 {
		t.Errorf("limit=0: %d", code)
	}
	e.ctl(t, "DELETE", "requests", "")
	if _, b := e.ctl(t, "GET", "requests", ""); len(b["requests"].([]any)) != 0 {
		t.Errorf("after DELETE: %v", b)
	}
}

// TestVirtualClock: moving the clock expires tokens, and reads back.
func TestVirtualClock(t *testing.T) {
	e := newCtlEnv(t, api.Config{ControlToken: controlToken})
	tr, err := e.a.Auth.IssueForUser(context.Background(), e.o.ClientID, e.o.Org.ID, e.o.Admin.ID, "ZohoCRM.org.READ", time.Hour, false)
	if err != nil {
		t.Fatal(err)
	}
	org := func() int {
		code, _ := crmdtest.DoJSON(t, "GET", e.url+"/crm/v8/org", "", crmdtest.Auth(tr.AccessToken))
		return code
	}
	if org() != 200 {
		t.Fatal("a fresh token is refused")
	}
	code, body := e.ctl(t, "POST", "clock", `{"advance":"61m"}`)
	c := body["clock"].(map[string]any)
	if code != 200 || c["offset_ms"].(float64) < float64(61*time.Minute/time.Millisecond) {
		t.Fatalf("advance: %d %v", code, body)
	}
	if org() != 401 {
		t.Error("an hour-long token still works 61 minutes later")
	}
	// Ten days on (the API token of the test lives longer): a record written now carries that time.
	at := time.Now().UTC().Add(240 * time.Hour).Truncate(time.Second)
	code, body = e.ctl(t, "POST", "clock", `{"set":"`+at.Format(time.RFC3339)+`"}`)
	now, _ := time.Parse(time.RFC3339Nano, body["clock"].(map[string]any)["now"].(string))
	if code != 200 || now.Sub(at).Abs() > 5*time.Second {
		t.Fatalf("set: %d %v", code, body)
	}
	e.api(t, "POST", "/crm/v8/Leads", `{"data":[{"Last_Name":"Future"}]}`)
	_, list := e.api(t, "GET", "/crm/v8/Leads?fields=Created_Time", "")
	ct, _ := time.Parse(time.RFC3339, crmdtest.Items(t, list, "data")[0]["Created_Time"].(string))
	if ct.Sub(at).Abs() > 5*time.Second {
		t.Errorf("Created_Time %s, want the virtual %s", ct, at)
	}
	for body, path := range map[string]string{`{}`: "$", `{"set":"2030-01-02T03:04:05Z","advance":"1h"}`: "$", `{"set":"tomorrow"}`: "$.set", `{"advance":"1 day"}`: "$.advance"} {
		code, b := e.ctl(t, "POST", "clock", body)
		if d, _ := b["details"].(map[string]any); code != 400 || d["json_path"] != path {
			t.Errorf("%s: %d %v", body, code, b)
		}
	}
}

// TestRunTimeSettings: the API limits and the job runner's pacing change without a restart, and a
// job fault ends the next job FAILED once it has processed the records asked.
func TestRunTimeSettings(t *testing.T) {
	e := newCtlEnv(t, api.Config{ControlToken: controlToken})
	code, body := e.ctl(t, "GET", "settings", "")
	if code != 200 {
		t.Fatalf("settings: %d %v", code, body)
	}
	crmdtest.JSONEq(t, "defaults", body, `{"settings":{"job":{"batch_size":500,"batch_delay_ms":0},"limits":{"credits_per_day":0,"max_concurrent_per_user":0}}}`)
	code, body = e.ctl(t, "PUT", "settings", `{"limits":{"credits_per_day":2},"job":{"batch_size":7}}`)
	if code != 200 {
		t.Fatalf("put: %d %v", code, body)
	}
	crmdtest.JSONEq(t, "changed", body, `{"settings":{"job":{"batch_size":7,"batch_delay_ms":0},"limits":{"credits_per_day":2,"max_concurrent_per_user":0}}}`)
	if size, _ := e.a.Runner().Pacing(); size != 7 {
		t.Errorf("the runner's batch size is %d", size)
	}
	for i := range 3 {
		code, _ := e.api(t, "GET", "/crm/v8/org", "")
		if want := map[bool]int{true: 200, false: 429}[i < 2]; code != want {
			t.Errorf("call %d with 2 credits: %d, want %d", i, code, want)
		}
	}
	e.ctl(t, "PUT", "settings", `{"limits":{"credits_per_day":0}}`)
	if code, _ := e.api(t, "GET", "/crm/v8/org", ""); code != 200 {
		t.Errorf("credits back to unlimited: %d", code)
	}
	for body, path := range map[string]string{`{"job":{"batch_size":0}}`: "$.job.batch_size", `{"job":{"batch_delay_ms":-1}}`: "$.job.batch_delay_ms",
		`{"limits":{"credits_per_day":-1}}`: "$.limits.credits_per_day", `{"limits":{"max_concurrent_per_user":-2}}`: "$.limits.max_concurrent_per_user"} {
		code, b := e.ctl(t, "PUT", "settings", body)
		if d, _ := b["details"].(map[string]any); code != 400 || d["json_path"] != path {
			t.Errorf("%s: %d %v", body, code, b)
		}
	}

	// A job fault: the mass delete of a view of 30 leads, in batches of 7, fails once 14 are done.
	var rows []string
	for i := range 30 {
		rows = append(rows, fmt.Sprintf(`{"Last_Name":"L%d"}`, i))
	}
	if code, b := e.api(t, "POST", "/crm/v8/Leads", `{"data":[`+strings.Join(rows, ",")+`]}`); code != 201 {
		t.Fatalf("insert: %d %v", code, b)
	}
	if code, b := e.ctl(t, "PUT", "faults", `{"job":{"fail_after_records":10}}`); code != 200 || b["job"].(map[string]any)["fail_after_records"] != 10.0 {
		t.Fatalf("job fault: %d %v", code, b)
	}
	_, views := e.api(t, "GET", "/crm/v8/settings/custom_views?module=Leads", "")
	cvid := ""
	for _, v := range crmdtest.Items(t, views, "custom_views") {
		if v["system_name"] == "ALLVIEWS" {
			cvid = v["id"].(string)
		}
	}
	code, b := e.api(t, "POST", "/crm/v8/Leads/actions/mass_delete", `{"cvid":"`+cvid+`"}`)
	if code != 202 && code != 200 {
		t.Fatalf("mass delete: %d %v", code, b)
	}
	job := crmdtest.Entries(t, b)[0]["details"].(map[string]any)["job_id"].(string)
	drainJobs(t, e.a)
	_, jb := e.api(t, "GET", "/crmd/v1/jobs/"+job, "")
	j := jb["job"].(map[string]any)
	if j["status"] != crmd.JobFailed || j["succeeded"] != 14.0 || !strings.Contains(fmt.Sprint(j["error"]), "fault injected") {
		t.Errorf("the faulted job: %v", j)
	}
	if _, l := e.api(t, "GET", "/crm/v8/Leads?fields=Last_Name", ""); len(crmdtest.Items(t, l, "data")) != 16 {
		t.Errorf("after the faulted job %d leads are live, want 16", len(crmdtest.Items(t, l, "data")))
	}
	if n := e.a.Runner().FailingAfter(); n != 0 {
		t.Errorf("the job fault is still armed: %d", n)
	}
}

// TestControlConcurrentCalls: faults, the journal and settings used at once (run with -race in CI):
// every call is answered as one of them would answer it, each fault fires once at most, and the journal
// never holds more than its size.
func TestControlConcurrentCalls(t *testing.T) {
	e := newCtlEnv(t, api.Config{ControlToken: controlToken, JournalSize: 16})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var bad []string
	want := func(what string, code int, ok ...int) {
		if !slices.Contains(ok, code) {
			mu.Lock()
			bad = append(bad, fmt.Sprintf("%s: %d", what, code))
			mu.Unlock()
		}
	}
	for i := range 4 {
		wg.Go(func() {
			for k := range 10 {
				switch (i + k) % 4 {
				case 0:
					code, _ := e.ctl(t, "PUT", "faults", `{"faults":[{"path":"/crm/v8/org","status":503,"times":1}]}`)
					want("put faults", code, 200)
				case 1:
					code, _ := e.api(t, "GET", "/crm/v8/org", "")
					want("org", code, 200, 503)
				case 2:
					code, body := e.ctl(t, "GET", "requests?limit=100", "")
					want("requests", code, 200)
					if n := len(body["requests"].([]any)); n > 16 {
						want(fmt.Sprintf("journal of %d", n), 0)
					}
				case 3:
					code, _ := e.ctl(t, "PUT", "settings", `{"limits":{"max_concurrent_per_user":5}}`)
					want("settings", code, 200)
				}
			}
		})
	}
	wg.Wait()
	if len(bad) > 0 {
		t.Errorf("unexpected answers: %v", bad)
	}
	_, body := e.ctl(t, "GET", "faults", "")
	for _, f := range body["faults"].([]any) {
		if fired := f.(map[string]any)["fired"].(float64); fired > 1 {
			t.Errorf("a fault of times 1 fired %v times", fired)
		}
	}
}
