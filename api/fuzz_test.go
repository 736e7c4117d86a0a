package api_test

// Fuzz targets for the HTTP surface: every request goes through the real handler (api.New) over a
// SQLite store, and every answer must keep the promises the README makes whatever the client sends:
//
//   - never a 500 (a recovered panic is one too) — the logged error is shown on failure;
//   - every body is JSON with a JSON content type (a 204 has none);
//   - every error is Zoho-shaped: a request-level {"code","details","message","status":"error"}, or per-item
//     entries with those keys, or the token endpoint's {"error": code};
//   - a rejected request (no per-item success, no token issued) writes nothing: a fingerprint of the
//     database — counts of live and deleted records, max(modified_time) with the clock moved on 1 ms per
//     request, jobs, tokens, used grant codes, territory assignments, views — is the same before and after.
//
// The environment is built once per target (each fuzz worker process builds its own), not per input.
// Fuzzed bodies name the fixture's records, view, territory, client and tokens through placeholders
// such as {lead0} or {client_secret} (see fuzzEnv.fill), so that the mutator can reach the code behind
// the existence checks: random digits almost never name a live record.
//
// Run one with: go test ./api -run '^$' -fuzz '^FuzzMassDeleteHTTP$' -fuzztime 1m

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd/api"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/internal/testdb"
	"github.com/crmd/crmd/oauth"
	"github.com/crmd/crmd/store"
)

// fuzzScope is what the fuzz callers' tokens carry: everything the targets exercise.
const fuzzScope = "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.mass_delete.ALL"

// fuzzVersions are the version segments a fuzz input's variant byte chooses among.
var fuzzVersions = []string{"v8", "v2", "v2.1", "v3", "v5", "v6", "v7", "v4"}

// fuzzEnv is one crmd server on a temporary SQLite store with an org (Acme) holding Leads, an
// unapproved Lead, a Contact, a custom view and a territory, and a second org (Beta) whose Lead is the
// foreign id. Requests are served in-process through ServeHTTP; errors the server logs are kept in
// logs so that a failing input shows why it got a 500.
type fuzzEnv struct {
	st       *store.Store
	clock    *crmdtest.Clock
	srv      http.Handler
	logs     *bytes.Buffer
	acme     *crmdtest.Org
	adminTok string
	stdTok   string
	repl     *strings.Replacer
	// seedMax is the largest record rowid and tokenMax the largest token rowid of the fixture, so that
	// reset can remove what accepted fuzz inputs added.
	seedMax, tokenMax int64
}

// newFuzzEnv builds the environment; tb is the *testing.F of the target.
func newFuzzEnv(tb testing.TB) *fuzzEnv {
	tb.Helper()
	if testdb.Postgres() {
		// The targets measure the handlers, not the database, and a fuzz worker per schema would
		// only slow them down; the PostgreSQL suites cover the store.
		tb.Skip("the HTTP fuzz targets run on SQLite")
	}
	ctx := context.Background()
	st := crmdtest.OpenStore(tb)
	e := &fuzzEnv{st: st, clock: crmdtest.UseClock(st, time.Date(2024, 5, 13, 8, 2, 33, 0, time.UTC)), logs: &bytes.Buffer{}}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	e.srv = newApp(tb, st, api.Config{}, log).API

	e.acme = crmdtest.NewTeam(tb, st, "Acme", "Asia/Kolkata")
	beta := crmdtest.NewTeam(tb, st, "Beta", "UTC")
	e.adminTok = e.acme.Token(tb, e.acme.Admin, fuzzScope)
	e.stdTok = e.acme.Token(tb, e.acme.Std, fuzzScope)
	betaTok := beta.Token(tb, beta.Admin, fuzzScope)

	must := func(status int, body map[string]any, want int, what string) map[string]any {
		if status != want {
			tb.Fatalf("fuzz fixture: %s: %d %v", what, status, body)
		}
		return body
	}
	post := func(path, tok, body string) (int, map[string]any) {
		status, _, raw := e.serve("POST", path, "application/json", tok, body)
		var m map[string]any
		json.Unmarshal(raw, &m)
		return status, m
	}
	ids := func(body map[string]any, key string) []string { return crmdtest.DetailIDs(tb, body, key) }

	var leads []string
	for i := range 6 {
		st, b := post("/crm/v8/Leads", e.adminTok, fmt.Sprintf(`{"data":[{"Last_Name":"L%d","Company":"Acme","Email":"l%d@acme.test","Annual_Revenue":%d}]}`, i, i, i*1000))
		leads = append(leads, ids(must(st, b, 201, "lead"), "data")...)
	}
	st1, b := post("/crm/v8/Leads", e.stdTok, `{"data":[{"Last_Name":"Mine","Company":"Rep"}]}`)
	repLead := ids(must(st1, b, 201, "rep lead"), "data")[0]
	st1, b = post("/crm/v8/Leads", e.adminTok, `{"data":[{"Last_Name":"U","$approval_state":"approval_process_pending"}]}`)
	unapproved := ids(must(st1, b, 201, "unapproved"), "data")[0]
	st1, b = post("/crm/v8/Contacts", e.adminTok, `{"data":[{"Last_Name":"C"}]}`)
	contact := ids(must(st1, b, 201, "contact"), "data")[0]
	st1, b = post("/crm/v8/Leads", betaTok, `{"data":[{"Last_Name":"B"}]}`)
	foreign := ids(must(st1, b, 201, "foreign"), "data")[0]
	st1, b = post("/crm/v8/settings/custom_views?module=Leads", e.adminTok,
		`{"custom_views":[{"name":"Acme leads","criteria":{"field":{"api_name":"Company"},"comparator":"equal","value":"Acme"}}]}`)
	cvid := ids(must(st1, b, 201, "view"), "custom_views")[0]

	status, _, raw := e.serve("GET", "/crm/v8/settings/territories", "", e.adminTok, "")
	var terrs map[string]any
	json.Unmarshal(raw, &terrs)
	root := crmdtest.Items(tb, must(status, terrs, 200, "territories"), "territories")[0]["id"].(string)
	st1, b = post("/crm/v8/settings/territories", e.adminTok, fmt.Sprintf(`{"territories":[{"name":"West","permission_type":"read_only","reporting_to":{"id":%q}}]}`, root))
	west := ids(must(st1, b, 201, "territory"), "territories")[0]
	st1, b = post("/crm/v8/Leads/actions/assign_territories", e.adminTok, fmt.Sprintf(`{"data":[{"id":%q,"Territories":[{"id":%q}]}]}`, leads[0], west))
	must(st1, b, 200, "assign territory")

	// A page token of the default v8 list with per_page=2, so that inputs can carry a real one.
	status, _, raw = e.serve("GET", "/crm/v8/Leads?fields=Last_Name,Company&per_page=2", "", e.adminTok, "")
	var page map[string]any
	json.Unmarshal(raw, &page)
	pageToken, _ := must(status, page, 200, "list")["info"].(map[string]any)["next_page_token"].(string)

	// An OAuth client whose secret the token target knows, a grant code and a refresh token of it.
	clientID, secret, err := oauth.NewClient(ctx, st, e.acme.Org.ID, "fuzz")
	if err != nil {
		tb.Fatal(err)
	}
	auth := &oauth.Server{Store: st, BaseURL: "http://crmd.test"}
	code, err := auth.NewGrantCode(ctx, clientID, e.acme.Org.ID, e.acme.Admin.ID, fuzzScope, crmdtest.TokenTTL)
	if err != nil {
		tb.Fatal(err)
	}
	refresh, err := auth.IssueForUser(ctx, clientID, e.acme.Org.ID, e.acme.Admin.ID, fuzzScope, crmdtest.TokenTTL, true)
	if err != nil {
		tb.Fatal(err)
	}

	e.repl = strings.NewReplacer(
		"{lead0}", leads[0], "{lead1}", leads[1], "{lead2}", leads[2], "{lead3}", leads[3], "{lead4}", leads[4], "{lead5}", leads[5],
		"{replead}", repLead, "{unapproved}", unapproved, "{contact}", contact, "{foreign}", foreign,
		"{cvid}", cvid, "{territory}", west, "{root}", root,
		"{admin}", e.acme.Admin.ID.String(), "{std}", e.acme.Std.ID.String(), "{org}", e.acme.Org.ID.String(),
		"{page_token}", pageToken,
		"{client_id}", clientID, "{client_secret}", secret, "{code}", code, "{refresh_token}", refresh.RefreshToken,
	)
	if err := st.W.QueryRow(`SELECT (SELECT max(rowid) FROM records), (SELECT max(rowid) FROM oauth_tokens)`).Scan(&e.seedMax, &e.tokenMax); err != nil {
		tb.Fatal(err)
	}
	return e
}

// fill replaces the placeholders of a fuzzed text with the fixture's values.
func (e *fuzzEnv) fill(s string) string { return e.repl.Replace(s) }

// serve sends one request to the handler and returns the status, the content type and the body.
func (e *fuzzEnv) serve(method, target, contentType, token, body string) (int, string, []byte) {
	req := httptest.NewRequest(method, "/", strings.NewReader(body))
	// The target is set after NewRequest, which panics on what it cannot parse: the query is then
	// passed raw, as a server hands a handler whatever the request line held.
	path, query, _ := strings.Cut(target, "?")
	req.URL.Path, req.URL.RawQuery, req.RequestURI = path, query, target
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Zoho-oauthtoken "+token)
	}
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	return rec.Code, rec.Header().Get("Content-Type"), rec.Body.Bytes()
}

// fingerprint is a cheap digest of everything a request could write. The index jobs a view's
// first use starts (SQLite's side indexes) are the store's upkeep, not the request's write: they are
// left out.
func (e *fuzzEnv) fingerprint(t *testing.T) string {
	t.Helper()
	var live, deleted, maxMod, jobs, items, tokens, usedCodes, terr, views, seq int64
	err := e.st.W.QueryRow(`SELECT
		(SELECT count(*) FROM records WHERE deleted_time IS NULL),
		(SELECT count(*) FROM records WHERE deleted_time IS NOT NULL),
		(SELECT coalesce(max(modified_time), 0) FROM records),
		(SELECT count(*) FROM jobs WHERE kind <> 'index'),
		(SELECT count(*) FROM job_items WHERE job_id IN (SELECT id FROM jobs WHERE kind <> 'index')),
		(SELECT count(*) FROM oauth_tokens),
		(SELECT count(*) FROM oauth_codes WHERE used_at IS NOT NULL),
		(SELECT count(*) FROM record_territories),
		(SELECT count(*) FROM custom_views),
		(SELECT coalesce(sum(autonumber_seq), 0) FROM modules)`).
		Scan(&live, &deleted, &maxMod, &jobs, &items, &tokens, &usedCodes, &terr, &views, &seq)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("live=%d deleted=%d max_modified=%d jobs=%d job_items=%d tokens=%d used_codes=%d record_territories=%d views=%d autonumber=%d",
		live, deleted, maxMod, jobs, items, tokens, usedCodes, terr, views, seq)
}

// reset undoes what an accepted input wrote, so that every input meets the same fixture: the records
// it added go, the deleted ones come back, jobs and the tokens it was issued are dropped, the grant
// code is usable again.
func (e *fuzzEnv) reset(t *testing.T) {
	t.Helper()
	for _, q := range []string{
		`DELETE FROM record_territories WHERE record_id IN (SELECT id FROM records WHERE rowid > ?)`,
		`DELETE FROM records WHERE rowid > ?`,
		`UPDATE records SET deleted_time = NULL, deleted_by = NULL, delete_job_id = NULL, purged_time = NULL`,
		`DELETE FROM job_items WHERE job_id IN (SELECT id FROM jobs WHERE kind <> 'index')`,
		`DELETE FROM jobs WHERE kind <> 'index'`,
		`UPDATE oauth_codes SET used_at = NULL`,
	} {
		var args []any
		if strings.Contains(q, "?") {
			args = append(args, e.seedMax)
		}
		if _, err := e.st.W.Exec(q, args...); err != nil {
			t.Fatalf("reset: %s: %v", q, err)
		}
	}
	if _, err := e.st.W.Exec(`DELETE FROM oauth_tokens WHERE rowid > ?`, e.tokenMax); err != nil {
		t.Fatalf("reset tokens: %v", err)
	}
}

// outcome is what check learned of an answer.
type outcome struct {
	status  int
	body    map[string]any
	written bool // the answer reports a write: a per-item success or an issued token
}

// do serves one fuzzed request, checks the answer's shape and, when it reports no write, that nothing
// was written; it undoes what an accepted request wrote. oauthEndpoint selects the token endpoint's
// rules ({"error": code} with 200 for refusals).
func (e *fuzzEnv) do(t *testing.T, method, target, contentType, token, body string, oauthEndpoint bool) outcome {
	t.Helper()
	e.clock.Advance(time.Millisecond)
	e.logs.Reset()
	before := e.fingerprint(t)
	status, ct, raw := e.serve(method, target, contentType, token, body)
	after := e.fingerprint(t)
	show := func() string {
		return fmt.Sprintf("%s %q content-type %q body %q\nanswer %d %q\nlog:\n%s", method, target, contentType, body, status, raw, e.logs.String())
	}
	if status >= 500 {
		t.Fatalf("a server error:\n%s", show())
	}
	out := outcome{status: status}
	if status == http.StatusNoContent {
		if len(raw) != 0 {
			t.Fatalf("204 with a body:\n%s", show())
		}
	} else {
		if !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("not a JSON content type:\n%s", show())
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&out.body); err != nil || out.body == nil {
			t.Fatalf("the body is not a JSON object (%v):\n%s", err, show())
		}
		var why string
		out.written, why = classify(status, out.body, oauthEndpoint)
		if why != "" {
			t.Fatalf("%s:\n%s", why, show())
		}
	}
	if method == http.MethodGet && before != after {
		t.Fatalf("a GET wrote:\n before %s\n after  %s\n%s", before, after, show())
	}
	if !out.written && before != after {
		t.Fatalf("a rejected request wrote:\n before %s\n after  %s\n%s", before, after, show())
	}
	if out.written {
		e.reset(t)
	}
	return out
}

// classify checks that an answer is Zoho-shaped and tells whether it reports a write. It returns a
// reason when the shape is wrong.
func classify(status int, body map[string]any, oauthEndpoint bool) (written bool, why string) {
	if oauthEndpoint {
		if code, ok := body["error"]; ok {
			if s, isStr := code.(string); !isStr || s == "" || len(body) != 1 || status != http.StatusOK {
				return false, "a malformed OAuth error"
			}
			return false, ""
		}
		if _, ok := body["access_token"].(string); ok && status == http.StatusOK {
			return true, ""
		}
		if status < 400 {
			return false, "a token answer that is neither a token nor an error"
		}
		if why := zohoError(body, "error"); why != "" {
			return false, why
		}
		return false, ""
	}
	if _, ok := body["code"]; ok {
		if status < 400 {
			return false, "a request-level error object with a success status"
		}
		return false, zohoError(body, "error")
	}
	// Per-item entries under one array key (data, custom_views, …), or a list answer with info.
	for key, v := range body {
		arr, ok := v.([]any)
		if !ok {
			continue
		}
		if key == "data" && status == http.StatusOK && body["info"] != nil {
			return false, "" // a page of records
		}
		succeeded := 0
		for _, it := range arr {
			obj, ok := it.(map[string]any)
			if !ok {
				return false, "a per-item entry that is not an object"
			}
			st, _ := obj["status"].(string)
			if why := zohoError(obj, st); why != "" {
				return false, "per-item entry: " + why
			}
			if st == "success" {
				succeeded++
			} else if st != "error" {
				return false, "a per-item entry whose status is neither success nor error"
			}
		}
		if len(arr) == 0 {
			return false, "an empty per-item answer"
		}
		if status >= 400 && succeeded > 0 {
			return true, "an error status with a succeeded item"
		}
		return succeeded > 0, ""
	}
	if status >= 400 {
		return false, "an error answer that is neither an error object nor per-item entries"
	}
	return false, ""
}

// zohoError checks the four keys of a Zoho error object (or entry) and that its status is status.
func zohoError(obj map[string]any, status string) string {
	if len(obj) != 4 {
		return fmt.Sprintf("an error object with keys other than code, details, message, status: %v", obj)
	}
	if s, ok := obj["code"].(string); !ok || s == "" {
		return "an error object without a code"
	}
	if _, ok := obj["details"].(map[string]any); !ok {
		return "an error object whose details is not an object"
	}
	if _, ok := obj["message"].(string); !ok {
		return "an error object without a message"
	}
	if obj["status"] != status {
		return fmt.Sprintf("an error object whose status is %v, not %q", obj["status"], status)
	}
	return ""
}

// pick decodes a variant byte: the API version (low three bits) and whether the Standard user calls
// (bit 3) instead of the admin.
func (e *fuzzEnv) pick(variant uint8) (version, token string) {
	version, token = fuzzVersions[variant&7], e.adminTok
	if variant&8 != 0 {
		token = e.stdTok
	}
	return version, token
}

// FuzzMassDeleteHTTP posts fuzzed bodies to POST /crm/{version}/Leads/actions/mass_delete.
func FuzzMassDeleteHTTP(f *testing.F) {
	for _, s := range []string{
		`{"ids":["{lead1}","{lead2}"]}`,
		`{"ids":["{lead1}","{lead1}","{foreign}","{contact}","{unapproved}","1234567890123456789"]}`,
		`{"ids":[{lead3}]}`,
		`{"ids":["{lead0}"],"territory":{"id":"{territory}","include_child":true}}`,
		`{"ids":["{replead}"]}`,
		`{"cvid":"{cvid}"}`,
		`{"cvid":{cvid},"territory":{"id":"{root}"}}`,
		`{"cvid":"{cvid}","ids":["{lead1}"]}`,
		`{"ids":[]}`, `{"ids":null}`, `{"ids":"{lead1}"}`, `{"ids":[1.5e3]}`, `{"ids":[-1]}`, `{"ids":[true]}`,
		`{"cvid":"x"}`, `{"cvid":0}`, `{"territory":{"id":"{territory}"}}`, `{"ids":["{lead1}"],"territory":[]}`,
		`{"ids":["{lead1}"],"territory":{"id":"{territory}","include_child":"yes"}}`,
		`{}`, ``, `[]`, `null`, `{"ids":["1"]} {}`, `{"ids":["99999999999999999999"]}`,
	} {
		f.Add(uint8(0), s)
	}
	f.Add(uint8(1), `{"ids":["{lead1}","x"]}`)
	f.Add(uint8(2), `{"ids":["{lead4}","{foreign}"]}`)
	f.Add(uint8(8), `{"ids":["{lead1}"]}`)
	e := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, variant uint8, body string) {
		version, token := e.pick(variant)
		e.do(t, "POST", "/crm/"+version+"/Leads/actions/mass_delete", "application/json", token, e.fill(body), false)
	})
}

// FuzzRecordsWriteHTTP posts fuzzed record bodies to POST /crm/{version}/Leads (insert), or with bit 4
// of the variant to PUT (update by the ids in the body).
func FuzzRecordsWriteHTTP(f *testing.F) {
	for _, s := range []string{
		`{"data":[{"Last_Name":"New","Company":"Acme","Email":"n@acme.test","Annual_Revenue":1200.5,"No_of_Employees":12}]}`,
		`{"data":[{"Last_Name":"A"},{"Company":"no last name"},{"Last_Name":"B","Email":"not an email"}]}`,
		`{"data":[{"Last_Name":"O","Owner":{"id":"{std}"}},{"Last_Name":"P","Owner":"{admin}"},{"Last_Name":"Q","Owner":{"id":"1"}}]}`,
		`{"data":[{"Last_Name":"R","$approval_state":"approval_process_pending"},{"Last_Name":"S","$approval_state":"nope"}]}`,
		`{"data":[{"Last_Name":"T","Lead_Status":"Contacted","Rating":"Hot","Email_Opt_Out":true,"Website":"https://x.test"}]}`,
		`{"data":[{"Last_Name":"U","Annual_Revenue":"12","No_of_Employees":1e400,"Email_Opt_Out":"yes"}]}`,
		`{"data":[{"Last_Name":"` + strings.Repeat("x", 300) + `"}]}`,
		`{"data":[{"id":"{lead1}","Last_Name":"Renamed"},{"id":"{foreign}","Last_Name":"X"},{"id":"{replead}","Company":null}]}`,
		`{"data":[{"id":"{lead2}","Last_Name":null}]}`,
		`{"data":[]}`, `{"data":{}}`, `{"data":null}`, `{"data":[1,"x",null]}`, `{}`, ``, `[]`, `{"data":[{}]}`,
		`{"data":[{"Last_Name":"V"}],"trigger":["workflow"]}`,
	} {
		f.Add(uint8(0), s)
	}
	f.Add(uint8(16), `{"data":[{"id":"{lead1}","Last_Name":"Up"}]}`)
	f.Add(uint8(16+8), `{"data":[{"id":"{lead1}","Last_Name":"Up"},{"id":"{replead}","Last_Name":"Mine"}]}`)
	f.Add(uint8(1), `{"data":[{"Last_Name":"v2"}]}`)
	e := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, variant uint8, body string) {
		version, token := e.pick(variant)
		method := "POST"
		if variant&16 != 0 {
			method = "PUT"
		}
		e.do(t, method, "/crm/"+version+"/Leads", "application/json", token, e.fill(body), false)
	})
}

// FuzzRecordsListHTTP sends fuzzed query strings to GET /crm/{version}/Leads: fields, paging (page,
// per_page, page_token), sorting, ids, cvid, territory and approval filters. A GET never writes.
func FuzzRecordsListHTTP(f *testing.F) {
	for _, s := range []string{
		`fields=Last_Name,Company`,
		`fields=Last_Name&per_page=2&page=2`,
		`fields=Last_Name,Company&per_page=2&page_token={page_token}`,
		`fields=Last_Name,Company&page_token={page_token}&page=2`,
		`fields=Last_Name&page_token=AAAA`,
		`fields=Last_Name&sort_by=Created_Time&sort_order=asc`,
		`fields=Last_Name&sort_by=Last_Name&sort_order=sideways`,
		`fields=Last_Name&ids={lead1},{lead2},{foreign}`,
		`fields=Last_Name&ids=1,,2`,
		`fields=Last_Name&cvid={cvid}`,
		`fields=Last_Name&cvid={cvid}&sort_by=Modified_Time`,
		`fields=Last_Name&territory_id={territory}&include_child=true`,
		`fields=Last_Name&territory_id={root}&include_child=maybe`,
		`fields=Last_Name&approved=both`,
		`fields=Last_Name&approved=false&converted=true`,
		`fields=Nope`,
		`fields=Last_Name&page=0`, `fields=Last_Name&page=999999999999999999&per_page=200`,
		`fields=Last_Name&per_page=-1`, `fields=Last_Name&page=9223372036854775807&per_page=2`,
		``, `%zz`, `fields=%00`, `fields=Last_Name&page=1e3`,
	} {
		f.Add(uint8(0), s)
	}
	f.Add(uint8(1), `page=2&per_page=3&sort_by=Last_Name`)
	f.Add(uint8(1), `page=4611686018427387904&per_page=4`)
	f.Add(uint8(8), `fields=Last_Name`)
	e := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, variant uint8, query string) {
		version, token := e.pick(variant)
		e.do(t, "GET", "/crm/"+version+"/Leads?"+e.fill(query), "", token, "", false)
	})
}

// FuzzSearchHTTP sends fuzzed query strings to GET /crm/{v}/Leads/search and GET
// /crm/{v}/Leads/actions/count (variant's top bit), through the real handlers: the properties of
// FuzzRecordsListHTTP (no 500, JSON, Zoho-shaped errors, a GET never writes).
func FuzzSearchHTTP(f *testing.F) {
	for _, s := range []string{
		`criteria=(Last_Name:equals:Ng)`,
		`criteria=((Last_Name:starts_with:N)and(Company:equals:Acme%5C%2C%20Inc))`,
		`criteria=(No_of_Employees:between:1,100)&per_page=2&page=2`,
		`criteria=(Lead_Status:in:Contacted,Lost)&fields=Last_Name,Company`,
		`criteria=(Created_Time:greater_equal:2024-04-20T05%3A58%3A06%2B05%3A30)`,
		`criteria=(Nope:equals:x)`, `criteria=((Last_Name:equals:x)`, `criteria=%28`,
		`email=a@acme.test`, `phone=555`, `word=acme&approved=both`, `word=a&converted=true`,
		`word=a&cvid={cvid}`, `word=a&cvid=1`, `word=a&page=11`, `word=a&per_page=-1`,
		``, `%zz`, `criteria=%00`,
	} {
		f.Add(uint8(0), s)
		f.Add(uint8(0x80), s)
	}
	e := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, variant uint8, query string) {
		version, token := e.pick(variant & 0x7f)
		path := "/Leads/search?"
		if variant&0x80 != 0 {
			path = "/Leads/actions/count?"
		}
		e.do(t, "GET", "/crm/"+version+path+e.fill(query), "", token, "", false)
	})
}

// FuzzTokenHTTP posts fuzzed form bodies with fuzzed content types to POST /oauth/v2/token.
func FuzzTokenHTTP(f *testing.F) {
	form := "application/x-www-form-urlencoded"
	for _, s := range [][2]string{
		{form, `grant_type=client_credentials&client_id={client_id}&client_secret={client_secret}&soid=ZohoCRM.{org}&scope=ZohoCRM.modules.ALL`},
		{form, `grant_type=client_credentials&client_id={client_id}&client_secret={client_secret}&soid=ZohoCRM.{org}&scope=ZohoCRM.modules.ALL,bad`},
		{form, `grant_type=client_credentials&client_id={client_id}&client_secret={client_secret}&soid=zohocrm.1&scope=ZohoCRM.modules.ALL`},
		{form, `grant_type=authorization_code&client_id={client_id}&client_secret={client_secret}&code={code}`},
		{form, `grant_type=authorization_code&client_id={client_id}&client_secret={client_secret}&code=1000.nope`},
		{form, `grant_type=refresh_token&client_id={client_id}&client_secret={client_secret}&refresh_token={refresh_token}`},
		{form, `grant_type=refresh_token&client_id={client_id}&client_secret=wrong&refresh_token={refresh_token}`},
		{form, `grant_type=password&client_id={client_id}&client_secret={client_secret}`},
		{form, `grant_type=&client_id=x`}, {form, `%zz=1`}, {form, ``}, {"", `grant_type=refresh_token`},
		{"application/json", `{"grant_type":"client_credentials"}`},
		{"multipart/form-data; boundary=XX", "--XX\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\nrefresh_token\r\n--XX\r\nContent-Disposition: form-data; name=\"client_id\"\r\n\r\n{client_id}\r\n--XX\r\nContent-Disposition: form-data; name=\"client_secret\"\r\n\r\n{client_secret}\r\n--XX\r\nContent-Disposition: form-data; name=\"refresh_token\"\r\n\r\n{refresh_token}\r\n--XX--\r\n"},
		{"multipart/form-data", "--XX\r\n"},
		{"multipart/form-data; boundary=XX", "--XX\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n\r\nabc\r\n--XX--\r\n"},
		{"text/plain; charset=\"", `grant_type=refresh_token`},
	} {
		f.Add(s[0], s[1])
	}
	e := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, contentType, body string) {
		e.do(t, "POST", "/oauth/v2/token", contentType, "", e.fill(body), true)
	})
}

// TestFuzzFixture checks that the fixture's placeholders reach the code they are there for: the seed
// inputs above would silently test less if, say, {lead1} stopped naming a deletable record.
func TestFuzzFixture(t *testing.T) {
	e := newFuzzEnv(t)
	if o := e.do(t, "POST", "/crm/v8/Leads/actions/mass_delete", "application/json", e.adminTok, e.fill(`{"ids":["{lead1}","{foreign}"]}`), false); o.status != 207 || !o.written {
		t.Errorf("mass delete: %d %v", o.status, o.body)
	}
	if o := e.do(t, "POST", "/crm/v8/Leads/actions/mass_delete", "application/json", e.adminTok, e.fill(`{"cvid":"{cvid}"}`), false); o.status != 200 || !o.written {
		t.Errorf("mass delete by view: %d %v", o.status, o.body)
	}
	if o := e.do(t, "GET", "/crm/v8/Leads?"+e.fill("fields=Last_Name,Company&per_page=2&page_token={page_token}"), "", e.adminTok, "", false); o.status != 200 {
		t.Errorf("page token: %d %v", o.status, o.body)
	}
	for _, body := range []string{
		`grant_type=client_credentials&client_id={client_id}&client_secret={client_secret}&soid=ZohoCRM.{org}&scope=ZohoCRM.modules.ALL`,
		`grant_type=authorization_code&client_id={client_id}&client_secret={client_secret}&code={code}`,
		`grant_type=refresh_token&client_id={client_id}&client_secret={client_secret}&refresh_token={refresh_token}`,
		// The code again: reset made it usable once more.
		`grant_type=authorization_code&client_id={client_id}&client_secret={client_secret}&code={code}`,
	} {
		if o := e.do(t, "POST", "/oauth/v2/token", "application/x-www-form-urlencoded", "", e.fill(body), true); !o.written {
			t.Errorf("token %s: %d %v", body, o.status, o.body)
		}
	}
	if o := e.do(t, "POST", "/crm/v8/Leads", "application/json", e.adminTok, `{"data":[{"Last_Name":"N"}]}`, false); o.status != 201 || !o.written {
		t.Errorf("insert: %d %v", o.status, o.body)
	}
}
