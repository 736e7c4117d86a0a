package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/api"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/oauth"
	"github.com/crmd/crmd/store"
)

// The tenancy and authorization matrix (issue "Reliability and security", item 3). Every route the
// router registers is called by org A's administrator with org B's ids, and must answer exactly what
// an id that never existed gets — byte for byte, the id aside — while B's rows stay as they were; then
// every route is called without the scope it needs, by a Standard user, and with expired, revoked and
// malformed tokens. The server's log is captured throughout and must never hold a secret.

// tenScope is every scope the matrix's endpoints need.
const tenScope = "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.mass_delete.ALL,ZohoCRM.users.ALL,ZohoCRM.org.ALL,ZohoCRM.coql.READ,ZohoCRM.notifications.ALL"

// tenTargets are the ids a matrix case may aim at: one org's, or ghosts that never existed.
type tenTargets map[string]string

// tenOrg is one org of the matrix with its data.
type tenOrg struct {
	fx            *crmdtest.Org
	tok, stdTok   string
	ids           tenTargets // lead, binned, view, terr, job, user, profile, field, module, org, channel, refresh, tokhash
	clientID      string
	secret        string
	knownIDs      []string // every id of the org's rows, for the leak check
	distinctNames []string // names only this org's data carries
}

type tenEnv struct {
	t     *testing.T
	st    *store.Store
	srv   *api.Server
	ts    *httptest.Server
	clock *crmdtest.Clock
	auth  *oauth.Server
	logs  *crmdtest.LockedBuffer
	a, b  tenOrg
	ghost tenTargets
	// secrets are every token, refresh token and client secret the test saw; none may be logged.
	secrets []string
}

func (e *tenEnv) call(method, path, token, body string, header http.Header) rawAnswer {
	e.t.Helper()
	h := http.Header{}
	for k, v := range header {
		h[k] = v
	}
	if token != "" {
		h.Set("Authorization", "Zoho-oauthtoken "+token)
	}
	return rawCall(e.t, method, e.ts.URL+path, h, body, false)
}

// must sends a request as an org's admin and fails the test unless it answered want.
func (e *tenEnv) must(o tenOrg, method, path, body string, want int) map[string]any {
	e.t.Helper()
	a := e.call(method, path, o.tok, body, nil)
	if a.status != want {
		e.t.Fatalf("%s %s: %d %s", method, path, a.status, a.body)
	}
	return zohoShape(e.t, a)
}

func newTenEnv(t *testing.T) *tenEnv {
	t.Helper()
	st := crmdtest.OpenStore(t)
	e := &tenEnv{t: t, st: st, clock: crmdtest.UseClock(st, time.Date(2024, 5, 13, 8, 2, 33, 0, time.UTC)), logs: &crmdtest.LockedBuffer{}}
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a := newApp(t, st, api.Config{}, log)
	e.auth, e.srv = a.Auth, a.API
	e.ts = httptest.NewServer(e.srv)
	t.Cleanup(e.ts.Close)
	e.a = e.addOrg("Acme", "Aardvark")
	e.b = e.addOrg("Zebra", "Zeppelin")
	// Ghost ids: well-formed ids that name nothing in any org. Each is distinct, so an answer can be
	// mapped from a ghost call to the foreign call by replacing ids.
	e.ghost = tenTargets{}
	for i, k := range []string{"lead", "binned", "view", "terr", "job", "user", "profile", "field", "module", "org"} {
		e.ghost[k] = fmt.Sprintf("10000000000000000%02d", i+1)
	}
	e.ghost["channel"] = "1000000000000000011"
	e.ghost["refresh"] = "1000.00000000000000000000000000000000.00000000000000000000000000000000"
	e.ghost["tokhash"] = strings.Repeat("0", len(e.b.ids["tokhash"]))
	e.ghost["name"] = "Ghost view"
	return e
}

// addOrg makes an org with a live Lead in a territory, a Lead in the recycle bin, a user view, a
// territory, a running mass delete job (B only matters, but both orgs get one), a second OAuth client
// whose secret the test knows, and a refresh token.
func (e *tenEnv) addOrg(name, word string) tenOrg {
	t := e.t
	ctx := context.Background()
	fx := crmdtest.NewTeam(t, e.st, name, "Asia/Kolkata")
	o := tenOrg{fx: fx, tok: fx.Token(t, fx.Admin, tenScope), stdTok: fx.Token(t, fx.Std, tenScope), ids: tenTargets{}}
	e.secrets = append(e.secrets, o.tok, o.stdTok)
	ins := e.must(o, "POST", "/crm/v8/Leads", fmt.Sprintf(`{"data":[{"Last_Name":"%s Live","Company":"%s Corp"},{"Last_Name":"%s Binned","Company":"%s Corp"}]}`, word, word, word, word), 201)
	leads := crmdtest.DetailIDs(t, ins, "data")
	o.ids["lead"], o.ids["binned"] = leads[0], leads[1]
	e.must(o, "DELETE", "/crm/v8/Leads/"+leads[1], "", 200)
	v := e.must(o, "POST", "/crm/v8/settings/custom_views?module=Leads", fmt.Sprintf(`{"custom_views":[{"name":"%s view","criteria":{"field":{"api_name":"Company"},"comparator":"equal","value":"%s Corp"}}]}`, word, word), 201)
	o.ids["view"] = crmdtest.DetailIDs(t, v, "custom_views")[0]
	o.ids["name"] = word + " view"
	root := crmdtest.Items(t, e.must(o, "GET", "/crm/v8/settings/territories", "", 200), "territories")[0]["id"].(string)
	tr := e.must(o, "POST", "/crm/v8/settings/territories", fmt.Sprintf(`{"territories":[{"name":"%s West","permission_type":"read_only","reporting_to":{"id":%q}}]}`, word, root), 201)
	o.ids["terr"] = crmdtest.DetailIDs(t, tr, "territories")[0]
	e.must(o, "POST", "/crm/v8/Leads/actions/assign_territories", fmt.Sprintf(`{"data":[{"id":%q,"Territories":[{"id":%q}]}]}`, o.ids["lead"], o.ids["terr"]), 200)
	job := e.must(o, "POST", "/crm/v8/Leads/actions/mass_delete", fmt.Sprintf(`{"cvid":%q}`, o.ids["view"]), 200)
	o.ids["job"] = crmdtest.Entries(t, job)[0]["details"].(map[string]any)["job_id"].(string)
	o.ids["user"] = fx.Std.ID.String()
	o.ids["profile"] = crmdtest.IDs(t, e.must(o, "GET", "/crm/v8/settings/profiles", "", 200), "profiles")[0]
	o.ids["field"] = crmdtest.IDs(t, e.must(o, "GET", "/crm/v8/settings/fields?module=Leads", "", 200), "fields")[0]
	o.ids["module"] = fx.Module(t, "Leads").ID.String()
	o.ids["org"] = fx.Org.ID.String()
	// A notification channel; its id is the subscriber's own number, so each org picks a distinct one.
	o.ids["channel"] = map[string]string{"Acme": "4100000000000000001", "Zebra": "4200000000000000002"}[name]
	e.must(o, "POST", "/crm/v8/actions/watch", `{"watch":[{"channel_id":"`+o.ids["channel"]+`","events":["Leads.all"],"notify_url":"https://hooks.example.com/`+word+`"}]}`, 201)
	var err error
	o.clientID, o.secret, err = oauth.NewClient(ctx, e.st, fx.Org.ID, "matrix")
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.auth.IssueForUser(ctx, o.clientID, fx.Org.ID, fx.Admin.ID, tenScope, time.Hour, true)
	if err != nil {
		t.Fatal(err)
	}
	o.ids["refresh"] = r.RefreshToken
	o.ids["tokhash"] = oauth.HashToken(o.tok)
	e.secrets = append(e.secrets, o.secret, r.RefreshToken, r.AccessToken)
	o.distinctNames = []string{name, word}
	return o
}

// collectIDs reads every id of an org's rows, so that the leak check knows all of them, not only the
// ones the test made on purpose (system views, fields, profiles, roles …).
func (e *tenEnv) collectIDs(o *tenOrg) {
	ctx := context.Background()
	for _, table := range []string{"records", "users", "profiles", "roles", "modules", "fields", "custom_views", "territories", "jobs"} {
		rows, err := e.st.W.QueryContext(ctx, e.st.Q("SELECT id FROM "+table+" WHERE org_id = ?"), int64(o.fx.Org.ID))
		if err != nil {
			e.t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				e.t.Fatal(err)
			}
			o.knownIDs = append(o.knownIDs, crmd.ID(id).String())
		}
		rows.Close()
	}
	o.knownIDs = append(o.knownIDs, o.fx.Org.ID.String(), o.fx.Org.ZGID)
}

// leaks returns the first identifier of o that body mentions, or "".
func leaks(o tenOrg, body []byte) string {
	s := string(body)
	for _, id := range o.knownIDs {
		if id != "" && strings.Contains(s, id) {
			return id
		}
	}
	for _, n := range o.distinctNames {
		if strings.Contains(s, n) {
			return n
		}
	}
	return ""
}

// tenCase is one call of the matrix. Path and body may name the target's ids as {lead}, {binned},
// {view}, {terr}, {job}, {user}, {profile}, {field}, {module}, {org}, {channel}, {refresh}, {tokhash}, {name}, and
// the caller's own as {own.lead}, {own.terr}, {own.view}; {v} is the API version.
type tenCase struct {
	method, path, body string
	header             http.Header
	// own: the call names no foreign id (a list, a count, the org); it is made once, must not leak, and
	// must answer want when set.
	own  bool
	want string
	// created: the call creates something in A (a view named like B's), so the foreign and ghost answers
	// differ by the new id, which is masked before comparing.
	created bool
	// last: run after every other case (it empties A's recycle bin).
	last bool
	// only: the one version the case runs in (a create cannot be repeated under another version).
	only string
}

// render fills a case's templates for a version and a set of targets.
func (e *tenEnv) render(s, v string, tg tenTargets) string {
	pairs := []string{"{v}", v, "{own.lead}", e.a.ids["lead"], "{own.terr}", e.a.ids["terr"], "{own.view}", e.a.ids["view"]}
	for k, id := range tg {
		pairs = append(pairs, "{"+k+"}", id)
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// tenCases is the matrix: for every "METHOD pattern" the router registers, the calls that aim at
// another org's data. A route missing here fails the test.
func (e *tenEnv) tenCases() map[string][]tenCase {
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	a := e.a
	// q escapes a query value but keeps the placeholders, which render fills in afterwards.
	q := func(s string) string {
		return regexp.MustCompile(`%7B([a-z.]+)%7D`).ReplaceAllString(url.QueryEscape(s), "{$1}")
	}
	return map[string][]tenCase{
		"GET /healthz": {{method: "GET", path: "/healthz", own: true}},
		"GET /readyz":  {{method: "GET", path: "/readyz", own: true}},
		"GET /metrics": {{method: "GET", path: "/metrics", own: true}},
		"POST /oauth/v2/token": {
			// A's client cannot redeem B's refresh token, nor mint a token for B's org.
			{method: "POST", path: "/oauth/v2/token", header: form, body: "grant_type=refresh_token&client_id=" + a.clientID + "&client_secret=" + a.secret + "&refresh_token={refresh}"},
			{method: "POST", path: "/oauth/v2/token", header: form, body: "grant_type=client_credentials&client_id=" + a.clientID + "&client_secret=" + a.secret + "&soid=ZohoCRM.{org}&scope=ZohoCRM.modules.ALL"},
		},
		// Presenting B's stored token hash as a token revokes nothing.
		"POST /oauth/v2/token/revoke": {{method: "POST", path: "/oauth/v2/token/revoke", header: form, body: "token={tokhash}"}},

		"GET /crm/{version}/settings/modules":            {{method: "GET", path: "/crm/{v}/settings/modules", own: true}},
		"GET /crm/{version}/settings/modules/{api_name}": {{method: "GET", path: "/crm/{v}/settings/modules/{module}"}},
		"GET /crm/{version}/settings/fields":             {{method: "GET", path: "/crm/{v}/settings/fields?module=Leads", own: true}, {method: "GET", path: "/crm/{v}/settings/fields?module={module}"}},
		"GET /crm/{version}/settings/fields/{id}":        {{method: "GET", path: "/crm/{v}/settings/fields/{field}?module=Leads"}},
		"GET /crm/{version}/settings/profiles":           {{method: "GET", path: "/crm/{v}/settings/profiles", own: true}},
		"GET /crm/{version}/settings/profiles/{id}":      {{method: "GET", path: "/crm/{v}/settings/profiles/{profile}"}},
		"GET /crm/{version}/users":                       {{method: "GET", path: "/crm/{v}/users?type=AllUsers", own: true}, {method: "GET", path: "/crm/{v}/users?type=AllUsers&ids={user}"}},
		"GET /crm/{version}/users/{id}":                  {{method: "GET", path: "/crm/{v}/users/{user}"}},
		"GET /crm/{version}/org":                         {{method: "GET", path: "/crm/{v}/org", own: true}},

		"GET /crm/{version}/{module}": {
			{method: "GET", path: "/crm/{v}/Leads?fields=Last_Name,Company&approved=both", own: true},
			{method: "GET", path: "/crm/{v}/Leads?fields=Last_Name&cvid={view}"},
			{method: "GET", path: "/crm/{v}/Leads?fields=Last_Name&territory_id={terr}&include_child=true"},
			{method: "GET", path: "/crm/{v}/Leads?fields=Last_Name&ids={lead}"},
		},
		"POST /crm/{version}/{module}": {{method: "POST", path: "/crm/{v}/Leads", body: `{"data":[{"Last_Name":"x","Owner":{"id":"{user}"}}]}`}},
		"PUT /crm/{version}/{module}":  {{method: "PUT", path: "/crm/{v}/Leads", body: `{"data":[{"id":"{lead}","Last_Name":"Hijacked"}]}`}},
		"DELETE /crm/{version}/{module}": {
			{method: "DELETE", path: "/crm/{v}/Leads?ids={lead}"},
		},
		"GET /crm/{version}/{module}/deleted": {{method: "GET", path: "/crm/{v}/Leads/deleted?type=all", own: true}},
		// Search and count: B's records, views and users select nothing of A's (and nothing of B's).
		"GET /crm/{version}/{module}/search": {
			{method: "GET", path: "/crm/{v}/Leads/search?word=a", own: true},
			{method: "GET", path: "/crm/{v}/Leads/search?criteria=" + q("(Owner:equals:{user})")},
			{method: "GET", path: "/crm/{v}/Leads/search?word=a&cvid={view}"},
		},
		"GET /crm/{version}/{module}/actions/count": {
			{method: "GET", path: "/crm/{v}/Leads/actions/count", own: true},
			{method: "GET", path: "/crm/{v}/Leads/actions/count?criteria=" + q("(Owner:in:{user})")},
			{method: "GET", path: "/crm/{v}/Leads/actions/count?cvid={view}"},
		},
		// COQL: B's records and users are not A's, whether named by id or through a lookup.
		"POST /crm/{version}/coql": {
			{method: "POST", path: "/crm/{v}/coql", body: `{"select_query":"select Last_Name from Leads where Last_Name is not null limit 5"}`, own: true},
			{method: "POST", path: "/crm/{v}/coql", body: `{"select_query":"select Last_Name from Leads where id = '{lead}'"}`},
			{method: "POST", path: "/crm/{v}/coql", body: `{"select_query":"select Last_Name, Owner.email from Leads where Owner = '{user}'"}`},
		},
		// An upsert naming B's user, or B's record's id, neither updates B nor leaks.
		"POST /crm/{version}/{module}/upsert": {
			{method: "POST", path: "/crm/{v}/Leads/upsert", body: `{"data":[{"Last_Name":"x","Owner":{"id":"{user}"}}]}`},
			{method: "POST", path: "/crm/{v}/Leads/upsert", body: `{"duplicate_check_fields":["Owner"],"data":[{"Last_Name":"x"}]}`, own: true},
		},
		"GET /crm/{version}/{module}/{id}": {
			{method: "GET", path: "/crm/{v}/Leads/{lead}"},
			{method: "GET", path: "/crm/{v}/Leads/{binned}"},
		},
		"PUT /crm/{version}/{module}/{id}":    {{method: "PUT", path: "/crm/{v}/Leads/{lead}", body: `{"data":[{"Last_Name":"Hijacked"}]}`}},
		"DELETE /crm/{version}/{module}/{id}": {{method: "DELETE", path: "/crm/{v}/Leads/{lead}"}},

		"GET /crm/{version}/settings/custom_views": {{method: "GET", path: "/crm/{v}/settings/custom_views?module=Leads", own: true}},
		// A view named like one of B's is no duplicate for A.
		"POST /crm/{version}/settings/custom_views": {{method: "POST", path: "/crm/{v}/settings/custom_views?module=Leads", body: `{"custom_views":[{"name":"{name}"}]}`, created: true, only: "v8"}},
		"PUT /crm/{version}/settings/custom_views":  {{method: "PUT", path: "/crm/{v}/settings/custom_views?module=Leads", body: `{"custom_views":[{"id":"{view}","name":"Hijacked"}]}`}},
		"GET /crm/{version}/settings/custom_views/{id}": {
			{method: "GET", path: "/crm/{v}/settings/custom_views/{view}?module=Leads"},
			{method: "GET", path: "/crm/{v}/settings/custom_views/{view}?module={module}"},
		},
		"PUT /crm/{version}/settings/custom_views/{id}":    {{method: "PUT", path: "/crm/{v}/settings/custom_views/{view}?module=Leads", body: `{"custom_views":[{"name":"Hijacked"}]}`}},
		"DELETE /crm/{version}/settings/custom_views/{id}": {{method: "DELETE", path: "/crm/{v}/settings/custom_views/{view}?module=Leads"}},

		"GET /crm/{version}/settings/territories":    {{method: "GET", path: "/crm/{v}/settings/territories", own: true}, {method: "GET", path: "/crm/{v}/settings/territories?ids={terr}"}},
		"POST /crm/{version}/settings/territories":   {{method: "POST", path: "/crm/{v}/settings/territories", body: `{"territories":[{"name":"Under B {v}","permission_type":"read_only","reporting_to":{"id":"{terr}"}}]}`}},
		"PUT /crm/{version}/settings/territories":    {{method: "PUT", path: "/crm/{v}/settings/territories", body: `{"territories":[{"id":"{terr}","name":"Hijacked"}]}`}, {method: "PUT", path: "/crm/{v}/settings/territories", body: `{"territories":[{"id":"{own.terr}","reporting_to":{"id":"{terr}"}}]}`}},
		"DELETE /crm/{version}/settings/territories": {{method: "DELETE", path: "/crm/{v}/settings/territories?ids={terr}"}},
		"GET /crm/{version}/settings/territories/{id}": {
			{method: "GET", path: "/crm/{v}/settings/territories/{terr}"},
		},
		"PUT /crm/{version}/settings/territories/{id}":                     {{method: "PUT", path: "/crm/{v}/settings/territories/{terr}", body: `{"territories":[{"name":"Hijacked"}]}`}},
		"DELETE /crm/{version}/settings/territories/{id}":                  {{method: "DELETE", path: "/crm/{v}/settings/territories/{terr}"}},
		"GET /crm/{version}/settings/territories/{id}/__child_territories": {{method: "GET", path: "/crm/{v}/settings/territories/{terr}/__child_territories"}},
		"POST /crm/{version}/settings/territories/actions/transfer_and_delete": {
			{method: "POST", path: "/crm/{v}/settings/territories/actions/transfer_and_delete", body: `{"territories":[{"id":"{terr}","transfer_to_id":"{own.terr}"}]}`},
			{method: "POST", path: "/crm/{v}/settings/territories/actions/transfer_and_delete", body: `{"territories":[{"id":"{own.terr}","transfer_to_id":"{terr}"}]}`},
		},
		"POST /crm/{version}/settings/territories/{id}/actions/transfer_and_delete": {
			{method: "POST", path: "/crm/{v}/settings/territories/{terr}/actions/transfer_and_delete", body: `{"territories":[{"transfer_to_id":"{own.terr}"}]}`},
			{method: "POST", path: "/crm/{v}/settings/territories/{own.terr}/actions/transfer_and_delete", body: `{"territories":[{"transfer_to_id":"{terr}"}]}`},
		},
		"POST /crm/{version}/{module}/actions/assign_territories": {
			{method: "POST", path: "/crm/{v}/Leads/actions/assign_territories", body: `{"data":[{"id":"{lead}","Territories":[{"id":"{own.terr}"}]}]}`},
			{method: "POST", path: "/crm/{v}/Leads/actions/assign_territories", body: `{"data":[{"id":"{own.lead}","Territories":[{"id":"{terr}"}]}]}`},
		},
		"POST /crm/{version}/{module}/{id}/actions/assign_territories": {
			{method: "POST", path: "/crm/{v}/Leads/{lead}/actions/assign_territories", body: `{"data":[{"Territories":[{"id":"{own.terr}"}]}]}`},
		},
		"POST /crm/{version}/{module}/actions/remove_territories": {
			{method: "POST", path: "/crm/{v}/Leads/actions/remove_territories", body: `{"data":[{"id":"{lead}","Territories":[{"id":"{terr}"}]}]}`},
			{method: "POST", path: "/crm/{v}/Leads/actions/remove_territories", body: `{"data":[{"id":"{own.lead}","Territories":[{"id":"{terr}"}]}]}`},
		},
		"POST /crm/{version}/{module}/{id}/actions/remove_territories": {
			{method: "POST", path: "/crm/{v}/Leads/{lead}/actions/remove_territories", body: `{"data":[{"Territories":[{"id":"{terr}"}]}]}`},
		},

		"POST /crm/{version}/{module}/actions/mass_delete": {
			{method: "POST", path: "/crm/{v}/Leads/actions/mass_delete", body: `{"ids":["{lead}"]}`},
			{method: "POST", path: "/crm/{v}/Leads/actions/mass_delete", body: `{"ids":["{binned}"]}`},
			{method: "POST", path: "/crm/{v}/Leads/actions/mass_delete", body: `{"cvid":"{view}"}`},
			{method: "POST", path: "/crm/{v}/Leads/actions/mass_delete", body: `{"ids":["{own.lead}"],"territory":{"id":"{terr}"}}`},
		},
		"GET /crm/{version}/{module}/actions/mass_delete": {{method: "GET", path: "/crm/{v}/Leads/actions/mass_delete?job_id={job}"}},

		"GET /crm/{version}/settings/recycle_bin": {
			{method: "GET", path: "/crm/{v}/settings/recycle_bin", own: true},
			{method: "GET", path: "/crm/{v}/settings/recycle_bin?ids={binned}"},
			{method: "GET", path: "/crm/{v}/settings/recycle_bin?filters=" + q(`{"field":{"api_name":"deleted_by"},"comparator":"equal","value":"{user}"}`)},
		},
		"DELETE /crm/{version}/settings/recycle_bin":      {{method: "DELETE", path: "/crm/{v}/settings/recycle_bin?ids={binned}"}},
		"GET /crm/{version}/settings/recycle_bin/{id}":    {{method: "GET", path: "/crm/{v}/settings/recycle_bin/{binned}"}},
		"DELETE /crm/{version}/settings/recycle_bin/{id}": {{method: "DELETE", path: "/crm/{v}/settings/recycle_bin/{binned}"}},
		"GET /crm/{version}/settings/recycle_bin/actions/count": {
			{method: "GET", path: "/crm/{v}/settings/recycle_bin/actions/count", own: true, want: `{"count":1}`},
			{method: "GET", path: "/crm/{v}/settings/recycle_bin/actions/count?module={module}"},
		},
		"POST /crm/{version}/settings/recycle_bin/actions/restore":      {{method: "POST", path: "/crm/{v}/settings/recycle_bin/actions/restore", body: `{"ids":["{binned}"]}`}},
		"POST /crm/{version}/settings/recycle_bin/{id}/actions/restore": {{method: "POST", path: "/crm/{v}/settings/recycle_bin/{binned}/actions/restore"}},
		// crmd's own API: B's jobs, views and records are unknown to A.
		"GET /crmd/v1/openapi.json": {{method: "GET", path: "/crmd/v1/openapi.json", own: true}},
		"POST /crmd/v1/{module}/actions/mass_delete/preview": {
			{method: "POST", path: "/crmd/v1/Leads/actions/mass_delete/preview", body: `{"ids":["{lead}"]}`},
			{method: "POST", path: "/crmd/v1/Leads/actions/mass_delete/preview", body: `{"cvid":"{view}"}`},
			{method: "POST", path: "/crmd/v1/Leads/actions/mass_delete/preview", body: `{"cvid":"{view}","territory":{"id":"{terr}"}}`},
		},
		"GET /crmd/v1/jobs": {
			{method: "GET", path: "/crmd/v1/jobs", own: true},
			{method: "GET", path: "/crmd/v1/jobs?module={module}"},
		},
		"GET /crmd/v1/jobs/{id}":                 {{method: "GET", path: "/crmd/v1/jobs/{job}"}},
		"GET /crmd/v1/jobs/{id}/events":          {{method: "GET", path: "/crmd/v1/jobs/{job}/events"}},
		"POST /crmd/v1/jobs/{id}/actions/cancel": {{method: "POST", path: "/crmd/v1/jobs/{job}/actions/cancel"}},
		"POST /crmd/v1/jobs/{id}/actions/undo":   {{method: "POST", path: "/crmd/v1/jobs/{job}/actions/undo"}},
		"GET /crmd/v1/audit": {
			{method: "GET", path: "/crmd/v1/audit", own: true},
			{method: "GET", path: "/crmd/v1/audit?job_id={job}"},
			{method: "GET", path: "/crmd/v1/audit?record_id={binned}"},
			{method: "GET", path: "/crmd/v1/audit?actor={user}"},
		},
		// Notification channels are keyed by (org, channel_id): B's channel id names nothing of A's, and
		// a call that creates one in A creates A's own, the same for B's id and a ghost's.
		"POST /crm/{version}/actions/watch": {{method: "POST", path: "/crm/{v}/actions/watch",
			body: `{"watch":[{"channel_id":"{channel}","events":["Leads.create"],"notify_url":"https://hooks.example.com/a"}]}`}},
		"GET /crm/{version}/actions/watch": {
			{method: "GET", path: "/crm/{v}/actions/watch", own: true},
			{method: "GET", path: "/crm/{v}/actions/watch?channel_id={channel}"},
		},
		"PUT /crm/{version}/actions/watch": {{method: "PUT", path: "/crm/{v}/actions/watch",
			body: `{"watch":[{"channel_id":"{channel}","events":["Leads.edit"],"notify_url":"https://hooks.example.com/hijack"}]}`}},
		"PATCH /crm/{version}/actions/watch": {
			{method: "PATCH", path: "/crm/{v}/actions/watch", body: `{"watch":[{"channel_id":"{channel}","token":"hijack"}]}`},
			{method: "PATCH", path: "/crm/{v}/actions/watch", body: `{"watch":[{"channel_id":"{channel}","events":["Leads.all"],"_delete_events":true}]}`},
		},
		"DELETE /crm/{version}/actions/watch": {{method: "DELETE", path: "/crm/{v}/actions/watch?channel_ids={channel}"}},
		// The deliveries of B's channel are not A's (the lead's route; adjust the case as it settles).
		"GET /crmd/v1/notifications/deliveries": {
			{method: "GET", path: "/crmd/v1/notifications/deliveries", own: true},
			{method: "GET", path: "/crmd/v1/notifications/deliveries?channel_id={channel}"},
		},
		// Emptying A's bin purges A's record and nothing of B's.
		"POST /crm/{version}/settings/recycle_bin/actions/empty": {{method: "POST", path: "/crm/{v}/settings/recycle_bin/actions/empty", own: true, last: true,
			want: `{"code":"SUCCESS","details":{},"message":"recyclebin is cleared","status":"success"}`}},
	}
}

// routeKeys lists "METHOD pattern" for every route the router registers, in a stable order.
func routeKeys(s *api.Server) []string {
	var keys []string
	for _, r := range s.Routes() {
		keys = append(keys, r.Key)
	}
	return keys
}

// routeOf finds a "METHOD pattern" key's route.
func routeOf(s *api.Server, key string) api.RouteInfo {
	for _, r := range s.Routes() {
		if r.Key == key {
			return r
		}
	}
	return api.RouteInfo{}
}

// versionsOf are the versions a route is called in: the oldest it serves and the newest.
func versionsOf(o api.RouteInfo) []string {
	switch {
	case !o.CRM:
		return []string{""}
	case o.MinVersion >= 60:
		return []string{"v6", "v8"}
	}
	return []string{"v2", "v8"}
}

var newIDs = regexp.MustCompile(`"id":"\d{19}"`)

func TestTenancyMatrix(t *testing.T) {
	e := newTenEnv(t)
	e.collectIDs(&e.b)
	if len(e.b.knownIDs) < 100 {
		// Records, users, modules, fields, system views …: far more than 100 ids, or the leak check is blind.
		t.Fatalf("only %d ids of B to look for", len(e.b.knownIDs))
	}
	cases := e.tenCases()

	// Every registered route has cases, and every case is a registered route.
	keys := routeKeys(e.srv)
	registered := map[string]bool{}
	for _, k := range keys {
		registered[k] = true
		if len(cases[k]) == 0 {
			t.Errorf("route %s has no case in the tenancy matrix", k)
		}
	}
	for k := range cases {
		if !registered[k] {
			t.Errorf("the matrix has cases for %s, which the router does not register", k)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	var last []func()
	for _, key := range keys {
		opts := routeOf(e.srv, key)
		for i, c := range cases[key] {
			for _, v := range versionsOf(opts) {
				if c.only != "" && v != c.only {
					continue
				}
				name := fmt.Sprintf("%s#%d%s", key, i, v)
				run := func() { t.Run(name, func(t *testing.T) { e.runCase(t, c, v) }) }
				if c.last {
					last = append(last, run)
				} else {
					run()
				}
			}
		}
	}
	for _, run := range last {
		run()
	}
	// The empty purged A's bin, and B's is as it was.
	for o, want := range map[*tenOrg]string{&e.a: `{"count":0}`, &e.b: `{"count":1}`} {
		crmdtest.JSONEq(t, "bin count after A emptied its bin", e.must(*o, "GET", "/crm/v8/settings/recycle_bin/actions/count", "", 200), want)
	}
	t.Logf("tenancy matrix: %d routes, %d cases", len(keys), countCases(cases))

	t.Run("scopes and profiles", func(t *testing.T) { e.scopesAndProfiles(t, keys, cases) })
	t.Run("tokens", func(t *testing.T) { e.badTokens(t, keys, cases) })

	// Nothing the test minted or presented ever reached the log; and the log did capture the run.
	logs := e.logs.String()
	if !strings.Contains(logs, `"msg":"request"`) || !strings.Contains(logs, "oauth token") {
		t.Fatalf("the log captured nothing: %.300s", logs)
	}
	for _, s := range e.secrets {
		if s != "" && strings.Contains(logs, s) {
			t.Errorf("a secret was logged: %.12s…", s)
		}
	}
}

func countCases(m map[string][]tenCase) int {
	n := 0
	for _, cs := range m {
		n += len(cs)
	}
	return n
}

// runCase calls one case as A's admin, once with B's ids and once with ghosts, and checks that the
// answers are the same but for the ids, that the ghost answer names nothing of B, and that B's rows
// did not change.
func (e *tenEnv) runCase(t *testing.T, c tenCase, v string) {
	before := crmdtest.TakeFingerprint(t, e.st, e.b.fx.Org.ID)
	token := e.a.tok
	if !strings.HasPrefix(c.path, "/crm/") && (!strings.HasPrefix(c.path, "/crmd/v1/") || c.path == "/crmd/v1/openapi.json") {
		token = ""
	}
	if c.own {
		a := e.call(c.method, e.render(c.path, v, e.ghost), token, e.render(c.body, v, e.ghost), c.header)
		if a.status >= 500 {
			t.Fatalf("%d %s", a.status, a.body)
		}
		if c.path != "/metrics" {
			zohoShape(t, a)
		}
		if id := leaks(e.b, a.body); id != "" {
			t.Fatalf("A's answer names B's %s: %.500s", id, a.body)
		}
		if c.want != "" {
			crmdtest.JSONEq(t, "answer", zohoShape(t, a), c.want)
		}
	} else {
		ghost := e.call(c.method, e.render(c.path, v, e.ghost), token, e.render(c.body, v, e.ghost), c.header)
		foreign := e.call(c.method, e.render(c.path, v, e.b.ids), token, e.render(c.body, v, e.b.ids), c.header)
		zohoShape(t, ghost)
		zohoShape(t, foreign)
		if ghost.status >= 500 {
			t.Fatalf("ghost call: %d %s", ghost.status, ghost.body)
		}
		want, got := string(ghost.body), string(foreign.body)
		// The foreign call echoes B's ids where the ghost call echoed ghosts.
		for k, id := range e.ghost {
			want = strings.ReplaceAll(want, id, e.b.ids[k])
		}
		if c.created {
			want, got = newIDs.ReplaceAllString(want, `"id":"NEW"`), newIDs.ReplaceAllString(got, `"id":"NEW"`)
		}
		if foreign.status != ghost.status || got != want {
			t.Fatalf("B's ids answer differently from ids that never existed:\nforeign %d %s\nghost   %d %s", foreign.status, got, ghost.status, want)
		}
		if id := leaks(e.b, ghost.body); id != "" {
			t.Fatalf("A's answer names B's %s: %.500s", id, ghost.body)
		}
	}
	if d := before.Diff(crmdtest.TakeFingerprint(t, e.st, e.b.fx.Org.ID)); d != "" {
		t.Fatalf("B's rows changed: %s", d)
	}
}

// ghostCall renders a route's first case with ghost ids for version v8 (or the route's own version).
func (e *tenEnv) ghostRequest(key string, c tenCase) (method, path, body string, header http.Header) {
	vs := versionsOf(routeOf(e.srv, key))
	v := vs[len(vs)-1]
	return c.method, e.render(c.path, v, e.ghost), e.render(c.body, v, e.ghost), c.header
}

// scopesAndProfiles checks every CRM route with tokens short of a scope and with a Standard user.
func (e *tenEnv) scopesAndProfiles(t *testing.T, keys []string, cases map[string][]tenCase) {
	a := e.a.fx
	mint := func(u *crmd.User, scope string) string {
		tok := a.Token(t, u, scope)
		e.secrets = append(e.secrets, tok)
		return tok
	}
	orgOnly := mint(a.Admin, "ZohoCRM.org.READ")
	usersOnly := mint(a.Admin, "ZohoCRM.users.READ")
	readOnly := mint(a.Admin, "ZohoCRM.modules.READ,ZohoCRM.settings.READ,ZohoCRM.mass_delete.READ,ZohoCRM.users.READ,ZohoCRM.org.READ,ZohoCRM.notifications.READ")
	noMassDelete := mint(a.Admin, "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.users.ALL,ZohoCRM.org.ALL,ZohoCRM.coql.READ,ZohoCRM.notifications.ALL")
	std := e.a.stdTok
	mismatch := `{"code":"OAUTH_SCOPE_MISMATCH","details":{},"message":"invalid oauth scope to access this URL","status":"error"}`
	noPerm := func(perm string) string {
		return fmt.Sprintf(`{"code":"NO_PERMISSION","details":{"permissions":[%q]},"message":"permission denied","status":"error"}`, perm)
	}
	// The routes where the profile decides, with the ruled answer for a Standard user (D19, docs/mass-delete.md#d19).
	profileRuled := map[string]string{
		"POST /crm/{version}/{module}/actions/mass_delete":                          noPerm("Crm_Implied_Mass_Delete_Leads"),
		"POST /crmd/v1/{module}/actions/mass_delete/preview":                        noPerm("Crm_Implied_Mass_Delete_Leads"),
		"POST /crm/{version}/settings/recycle_bin/actions/empty":                    noPerm("Crm_Implied_Empty_Recycle_Bin"),
		"POST /crm/{version}/settings/territories":                                  noPerm("Crm_Implied_Manage_Territories"),
		"PUT /crm/{version}/settings/territories":                                   noPerm("Crm_Implied_Manage_Territories"),
		"DELETE /crm/{version}/settings/territories":                                noPerm("Crm_Implied_Manage_Territories"),
		"PUT /crm/{version}/settings/territories/{id}":                              noPerm("Crm_Implied_Manage_Territories"),
		"DELETE /crm/{version}/settings/territories/{id}":                           noPerm("Crm_Implied_Manage_Territories"),
		"POST /crm/{version}/settings/territories/actions/transfer_and_delete":      noPerm("Crm_Implied_Manage_Territories"),
		"POST /crm/{version}/settings/territories/{id}/actions/transfer_and_delete": noPerm("Crm_Implied_Manage_Territories"),
	}
	for _, key := range keys {
		opts := routeOf(e.srv, key)
		if opts.Public {
			continue
		}
		c := cases[key][0]
		for _, cc := range cases[key] {
			if !cc.own && !cc.created {
				c = cc // prefer a call that aims at ids: the scope must be checked before they are looked at
				break
			}
		}
		if c.last || c.created {
			c.body = strings.ReplaceAll(c.body, "{name}", "Scope probe")
		}
		method, path, body, header := e.ghostRequest(key, c)
		t.Run(key, func(t *testing.T) {
			check := func(what, token string, wantMismatch bool) {
				t.Helper()
				ans := e.call(method, path, token, body, header)
				got := zohoShape(t, ans)
				if wantMismatch {
					if ans.status != 401 {
						t.Fatalf("%s: %d %s, want 401 OAUTH_SCOPE_MISMATCH", what, ans.status, ans.body)
					}
					crmdtest.JSONEq(t, what, got, mismatch)
				} else if got != nil && got["code"] == "OAUTH_SCOPE_MISMATCH" {
					t.Fatalf("%s: refused for its scope: %s", what, ans.body)
				}
			}
			other := orgOnly
			if strings.HasSuffix(key, "/org") {
				other = usersOnly
			}
			check("a token of another scope family", other, true)
			isMassDelete := strings.Contains(key, "/actions/mass_delete")
			check("a read-only token", readOnly, method != "GET")
			// ZohoCRM.modules.ALL (and everything else) without mass_delete never grants mass delete (D20).
			check("a token without mass_delete", noMassDelete, isMassDelete)

			before := crmdtest.TakeFingerprint(t, e.st, 0)
			ans := e.call(method, path, std, body, header)
			got := zohoShape(t, ans)
			if want, ruled := profileRuled[key]; ruled {
				if ans.status != 403 {
					t.Fatalf("Standard user: %d %s, want 403", ans.status, ans.body)
				}
				crmdtest.JSONEq(t, "Standard user", got, want)
				if d := before.Diff(crmdtest.TakeFingerprint(t, e.st, 0)); d != "" {
					t.Fatalf("a refused Standard call wrote: %s", d)
				}
			} else if ans.status == 403 {
				t.Fatalf("Standard user refused where the profile is not ruled to matter: %s", ans.body)
			}
		})
	}
}

// badTokens calls every route that needs a token with tokens that must be refused.
func (e *tenEnv) badTokens(t *testing.T, keys []string, cases map[string][]tenCase) {
	ctx := context.Background()
	a := e.a
	issue := func(ttl time.Duration, refresh bool) *oauth.TokenResponse {
		r, err := e.auth.IssueForUser(ctx, a.clientID, a.fx.Org.ID, a.fx.Admin.ID, tenScope, ttl, refresh)
		if err != nil {
			t.Fatal(err)
		}
		e.secrets = append(e.secrets, r.AccessToken, r.RefreshToken)
		return r
	}
	expiring := issue(time.Hour, false)
	revoked := issue(0, false)
	parent := issue(0, true)
	// A refresh through the token endpoint, with its secrets in the query string, which must not be
	// logged either.
	fresh := e.call("POST", "/oauth/v2/token?grant_type=refresh_token&client_id="+a.clientID+"&client_secret="+a.secret+"&refresh_token="+parent.RefreshToken, "", "", nil)
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(fresh.body, &tr); err != nil || tr.AccessToken == "" {
		t.Fatalf("refresh: %d %s", fresh.status, fresh.body)
	}
	e.secrets = append(e.secrets, tr.AccessToken)
	if ans := e.call("GET", "/crm/v8/org", tr.AccessToken, "", nil); ans.status != 200 {
		t.Fatalf("a refreshed token: %d %s", ans.status, ans.body)
	}
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	for _, tok := range []string{revoked.AccessToken, parent.RefreshToken} {
		if ans := e.call("POST", "/oauth/v2/token/revoke", "", "token="+tok, form); ans.status != 200 || !strings.Contains(string(ans.body), "success") {
			t.Fatalf("revoke: %d %s", ans.status, ans.body)
		}
	}
	e.clock.Advance(2 * time.Hour)

	authFailed := `{"code":"AUTHENTICATION_FAILURE","details":{},"message":"Authentication failed","status":"error"}`
	invalid := `{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}`
	tokens := []struct {
		name, header, want string
	}{
		{"no header", "", authFailed},
		{"empty scheme", "Zoho-oauthtoken ", authFailed},
		{"Bearer x", "Bearer x", authFailed},
		{"Bearer with a good token", "Bearer " + a.tok, authFailed},
		{"garbage", "Zoho-oauthtoken garbage", invalid},
		{"wrong prefix", "Zoho-oauthtoken 1001." + strings.TrimPrefix(a.tok, "1000."), invalid},
		{"very long", "Zoho-oauthtoken 1000." + strings.Repeat("f", 100<<10), invalid},
		{"two tokens", "Zoho-oauthtoken " + a.tok + " " + a.tok, authFailed},
		{"expired", "Zoho-oauthtoken " + expiring.AccessToken, invalid},
		{"revoked", "Zoho-oauthtoken " + revoked.AccessToken, invalid},
		{"minted from a revoked refresh token", "Zoho-oauthtoken " + tr.AccessToken, invalid},
		{"of a revoked refresh token's parent", "Zoho-oauthtoken " + parent.AccessToken, invalid},
		{"a refresh token", "Zoho-oauthtoken " + parent.RefreshToken, invalid},
		{"B's token hash", "Zoho-oauthtoken " + oauth.HashToken(e.b.tok), invalid},
	}
	for _, key := range keys {
		if routeOf(e.srv, key).Public {
			continue
		}
		method, path, body, header := e.ghostRequest(key, cases[key][0])
		t.Run(key, func(t *testing.T) {
			for _, tk := range tokens {
				h := http.Header{}
				for k, v := range header {
					h[k] = v
				}
				if tk.header != "" {
					h.Set("Authorization", tk.header)
				}
				ans := rawCall(t, method, e.ts.URL+path, h, body, false)
				if ans.status != 401 {
					t.Fatalf("%s: %d %s", tk.name, ans.status, ans.body)
				}
				crmdtest.JSONEq(t, tk.name, zohoShape(t, ans), tk.want)
			}
		})
	}
}
