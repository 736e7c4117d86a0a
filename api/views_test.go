package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/api"
	"github.com/crmd/crmd/criteria"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/store"
	"github.com/crmd/crmd/views"
)

// viewScope is what the views tests' tokens carry: custom views and records.
const viewScope = "ZohoCRM.settings.custom_views.ALL,ZohoCRM.modules.ALL"

// viewOrg is one org with an admin and a Standard user and their tokens.
type viewOrg struct {
	org              *crmd.Org
	admin, std       *crmd.User
	adminTok, stdTok string
	fx               *crmdtest.Org // mints further tokens
}

// viewEnv is a crmd server on a real SQLite file with a settable clock and two orgs.
type viewEnv struct {
	t     *testing.T
	st    *store.Store
	ts    *httptest.Server
	clock *crmdtest.Clock
	a, b  viewOrg
}

func newViewEnv(t *testing.T) *viewEnv {
	t.Helper()
	st := crmdtest.OpenStore(t)
	e := &viewEnv{t: t, st: st, clock: crmdtest.UseClock(st, time.Date(2024, 5, 13, 8, 2, 33, 0, time.UTC))}
	e.a = e.addOrg("Acme", "Asia/Kolkata")
	e.b = e.addOrg("Other", "UTC")
	e.ts = httptest.NewServer(newApp(t, st, api.Config{}, nil).Handler)
	t.Cleanup(e.ts.Close)
	return e
}

func (e *viewEnv) addOrg(name, tz string) viewOrg {
	e.t.Helper()
	fx := crmdtest.NewTeam(e.t, e.st, name, tz)
	o := viewOrg{org: fx.Org, admin: fx.Admin, std: fx.Std, fx: fx}
	o.adminTok = e.token(o, o.admin, viewScope)
	o.stdTok = e.token(o, o.std, viewScope)
	return o
}

func (e *viewEnv) token(o viewOrg, u *crmd.User, scope string) string {
	e.t.Helper()
	return o.fx.Token(e.t, u, scope)
}

// do sends a request and decodes the JSON object answer (nil for 204, which must have no body).
func (e *viewEnv) do(method, path, token, body string) (int, map[string]any) {
	e.t.Helper()
	return crmdtest.DoJSON(e.t, method, e.ts.URL+path, body, crmdtest.Auth(token))
}

// must requires a status and returns the body.
func (e *viewEnv) must(status int, method, path, token, body string) map[string]any {
	e.t.Helper()
	st, b := e.do(method, path, token, body)
	if st != status {
		e.t.Fatalf("%s %s: status %d, want %d: %v", method, path, st, status, b)
	}
	return b
}

// wantErr checks a request-level error: status, code, exact details (and message when given).
func (e *viewEnv) wantErr(method, path, token, body string, status int, code, details string, message ...string) {
	e.t.Helper()
	st, b := e.do(method, path, token, body)
	if st != status || b["code"] != code || b["status"] != "error" {
		e.t.Errorf("%s %s: got %d %v, want %d %s", method, path, st, b, status, code)
		return
	}
	crmdtest.JSONEq(e.t, method+" "+path+" details", b["details"], details)
	if len(message) > 0 && b["message"] != message[0] {
		e.t.Errorf("%s %s: message %q, want %q", method, path, b["message"], message[0])
	}
}

// viewItems returns the custom_views array of a body.
func viewItems(t *testing.T, body map[string]any) []map[string]any {
	t.Helper()
	return crmdtest.Items(t, body, "custom_views")
}

// create makes one view through the API and returns its id.
func (e *viewEnv) create(token, module, view string) string {
	e.t.Helper()
	b := e.must(201, "POST", "/crm/v8/settings/custom_views?module="+module, token, `{"custom_views":[`+view+`]}`)
	return viewItems(e.t, b)[0]["details"].(map[string]any)["id"].(string)
}

// systemIDs lists the module's views and maps system_name to id.
func (e *viewEnv) systemIDs(token, module string) map[string]string {
	e.t.Helper()
	b := e.must(200, "GET", "/crm/v8/settings/custom_views?module="+module, token, "")
	out := map[string]string{}
	for _, v := range viewItems(e.t, b) {
		if s, ok := v["system_name"].(string); ok {
			out[s] = v["id"].(string)
		}
	}
	return out
}

// insert adds leads through the API and returns their ids.
func (e *viewEnv) insert(token, module string, recs ...string) []string {
	e.t.Helper()
	b := e.must(201, "POST", "/crm/v8/"+module, token, `{"data":[`+strings.Join(recs, ",")+`]}`)
	return crmdtest.DetailIDs(e.t, b, "data")
}

// listIDs lists GET /{module} (v2.1, no fields needed) with extra query and returns the ids, sorted
// unless ordered is set.
func (e *viewEnv) listIDs(token, query string, ordered bool) []string {
	e.t.Helper()
	st, b := e.do("GET", "/crm/v2.1/Leads?"+query, token, "")
	if st == 204 {
		return []string{}
	}
	if st != 200 {
		e.t.Fatalf("GET ?%s: %d %v", query, st, b)
	}
	out := []string{}
	for _, r := range b["data"].([]any) {
		out = append(out, r.(map[string]any)["id"].(string))
	}
	if !ordered {
		sort.Strings(out)
	}
	return out
}

func sorted(xs ...string) []string {
	out := append([]string{}, xs...)
	sort.Strings(out)
	return out
}

func eqList(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%s:\n got %v\nwant %v", what, got, want)
	}
}

func TestViewsListAndGetPerVersion(t *testing.T) {
	e := newViewEnv(t)
	tok := e.a.adminTok
	id := e.create(tok, "Leads", `{"name":"Hot","fields":["Last_Name","Email"],"sort_by":"Created_Time","sort_order":"desc",
		"criteria":{"group_operator":"OR","group":[{"field":{"api_name":"Lead_Status"},"comparator":"equal","value":"Contacted"},
		{"field":"Annual_Revenue","comparator":"greater_than","value":1000}]}}`)
	leads := e.a.fx.Module(t, "Leads")
	fid := func(name string) string { return leads.Field(name).ID.String() }

	for _, v := range []string{"v2", "v2.1", "v8"} {
		b := e.must(200, "GET", "/crm/"+v+"/settings/custom_views?module=leads", tok, "")
		items := viewItems(t, b)
		if len(items) != 13 {
			t.Fatalf("%s: %d views", v, len(items))
		}
		info := b["info"].(map[string]any)
		all := items[0]
		if all["system_name"] != "ALLVIEWS" || all["display_value"] != "All Leads" || all["default"] != true || info["default"] != all["id"] {
			t.Errorf("%s: first view %v, info %v", v, all, info)
		}
		crmdtest.JSONEq(t, v+" translation", info["translation"], `{"public_views":"Public Views","other_users_views":"Other Users' Views","shared_with_me":"Shared With Me","created_by_me":"Created By Me"}`)
		if info["count"] != float64(13) || info["page"] != float64(1) || info["per_page"] != float64(200) || info["more_records"] != false {
			t.Errorf("%s: info %v", v, info)
		}
		hot := items[12]
		if hot["id"] != id || hot["category"] != "created_by_me" || hot["system_defined"] != false || hot["system_name"] != nil {
			t.Errorf("%s: user view %v", v, hot)
		}
		for _, k := range []string{"criteria", "fields"} {
			if _, ok := hot[k]; ok {
				t.Errorf("%s: list item has %s", v, k)
			}
		}
		_, hasShared := hot["shared_type"]
		_, hasAccess := hot["access_type"]
		if hasShared != (v == "v2") || hasAccess == (v == "v2") {
			t.Errorf("%s: keys %v", v, hot)
		}
	}

	one := func(v string) map[string]any {
		b := e.must(200, "GET", "/crm/"+v+"/settings/custom_views/"+id+"?module=Leads", tok, "")
		crmdtest.JSONEq(t, v+" info", b["info"], `{"translation":{"public_views":"Public Views","other_users_views":"Other Users' Views","shared_with_me":"Shared With Me","created_by_me":"Created By Me"}}`)
		items := viewItems(t, b)
		if len(items) != 1 {
			t.Fatalf("%s: %d items", v, len(items))
		}
		return items[0]
	}
	v2 := one("v2")
	crmdtest.JSONEq(t, "v2 criteria", v2["criteria"], `{"group_operator":"or","group":[{"field":"Lead_Status","comparator":"equal","value":"Contacted"},
		{"field":"Annual_Revenue","comparator":"greater_than","value":1000}]}`)
	crmdtest.JSONEq(t, "v2 fields", v2["fields"], `["Last_Name","Email"]`)
	if v2["sort_by"] != "Created_Time" || v2["sort_order"] != "desc" || v2["offline"] != false || v2["shared_type"] != "only_to_me" {
		t.Errorf("v2 view %v", v2)
	}
	v21 := one("v2.1")
	crmdtest.JSONEq(t, "v2.1 criteria", v21["criteria"], fmt.Sprintf(`{"group_operator":"or","group":[{"field":{"api_name":"Lead_Status","id":"%s"},"comparator":"equal","value":"Contacted"},
		{"field":{"api_name":"Annual_Revenue","id":"%s"},"comparator":"greater_than","value":1000}]}`, fid("Lead_Status"), fid("Annual_Revenue")))
	crmdtest.JSONEq(t, "v2.1 created_by", v21["created_by"], fmt.Sprintf(`{"name":"Patricia Boyle","id":"%s"}`, e.a.admin.ID))
	if v21["created_time"] != "2024-05-13T13:32:33+05:30" || v21["access_type"] != "only_to_me" {
		t.Errorf("v2.1 view %v", v21)
	}
	v8 := one("v8")
	crmdtest.JSONEq(t, "v8 criteria", v8["criteria"], fmt.Sprintf(`{"group_operator":"OR","group":[{"field":{"api_name":"Lead_Status","id":"%s"},"comparator":"equal","value":"Contacted"},
		{"field":{"api_name":"Annual_Revenue","id":"%s"},"comparator":"greater_than","value":1000}]}`, fid("Lead_Status"), fid("Annual_Revenue")))
	crmdtest.JSONEq(t, "v8 fields", v8["fields"], fmt.Sprintf(`[{"api_name":"Last_Name","id":"%s","_pin":false},{"api_name":"Email","id":"%s","_pin":false}]`, fid("Last_Name"), fid("Email")))
	crmdtest.JSONEq(t, "v8 sort_by", v8["sort_by"], fmt.Sprintf(`{"api_name":"Created_Time","id":"%s"}`, fid("Created_Time")))
	crmdtest.JSONEq(t, "v8 module", v8["module"], fmt.Sprintf(`{"api_name":"Leads","id":"%s"}`, leads.ID))

	// Paging of the list; a page past the end is 204.
	b := e.must(200, "GET", "/crm/v8/settings/custom_views?module=Leads&per_page=10&page=2", tok, "")
	if n := len(viewItems(t, b)); n != 3 || b["info"].(map[string]any)["more_records"] != false {
		t.Errorf("page 2: %d items, info %v", n, b["info"])
	}
	if st, _ := e.do("GET", "/crm/v8/settings/custom_views?module=Leads&page=3&per_page=10", tok, ""); st != 204 {
		t.Errorf("page past the end: %d", st)
	}

	// Errors.
	e.wantErr("GET", "/crm/v8/settings/custom_views", tok, "", 400, "REQUIRED_PARAM_MISSING", `{"param_name":"module"}`, "required param is missing")
	e.wantErr("GET", "/crm/v8/settings/custom_views/"+id, tok, "", 400, "REQUIRED_PARAM_MISSING", `{"param_name":"module"}`)
	e.wantErr("GET", "/crm/v8/settings/custom_views?module=Nope", tok, "", 400, "INVALID_MODULE", `{"param_name":"module"}`)
	e.wantErr("GET", "/crm/v2/settings/custom_views?module=Services__s", tok, "", 400, "INVALID_MODULE", `{"param_name":"module"}`)
	e.wantErr("GET", "/crm/v8/settings/custom_views/123?module=Leads", tok, "", 400, "INVALID_DATA", `{"resource_path_index":2}`, "the id given seems to be invalid")
	e.wantErr("GET", "/crm/v8/settings/custom_views/"+id+"?module=Accounts", tok, "", 400, "INVALID_DATA", `{"resource_path_index":2}`)
	e.wantErr("GET", "/crm/v8/settings/custom_views?module=Leads&page=x", tok, "", 400, "INVALID_DATA", `{"param_name":"page"}`)
	e.wantErr("DELETE", "/crm/v8/settings/custom_views?module=Leads", tok, "", 400, "INVALID_REQUEST_METHOD", `{}`)
	e.wantErr("GET", "/crm/v9/settings/custom_views?module=Leads", tok, "", 404, "INVALID_URL_PATTERN", `{}`)
}

func TestViewsWrites(t *testing.T) {
	e := newViewEnv(t)
	tok, stdTok := e.a.adminTok, e.a.stdTok

	// Create, under every version (D32).
	b := e.must(201, "POST", "/crm/v2/settings/custom_views?module=Leads", tok, `{"custom_views":[{"name":"Mine","access_type":"public"}]}`)
	ent := viewItems(t, b)[0]
	adminView := ent["details"].(map[string]any)["id"].(string)
	crmdtest.JSONEq(t, "create entry", ent, fmt.Sprintf(`{"code":"SUCCESS","details":{"id":"%s"},"message":"custom view created successfully","status":"success"}`, adminView))

	// Mixed: 207 with one entry per item in order; all failed: 400 with the array.
	st, b := e.do("POST", "/crm/v8/settings/custom_views?module=Leads", stdTok, `{"custom_views":[{"name":"Std view"},{"name":"MINE"},
		{"name":"Bad","criteria":{"field":"Email_Opt_Out","comparator":"greater_than","value":true}}]}`)
	if st != 207 {
		t.Fatalf("mixed create: %d %v", st, b)
	}
	items := viewItems(t, b)
	stdView := items[0]["details"].(map[string]any)["id"].(string)
	crmdtest.JSONEq(t, "duplicate", items[1], `{"code":"DUPLICATE_DATA","details":{"api_name":"name","json_path":"$.custom_views[1].name"},"message":"duplicate data","status":"error"}`)
	crmdtest.JSONEq(t, "bad comparator", items[2], `{"code":"INVALID_DATA","details":{"api_name":"comparator","json_path":"$.custom_views[2].criteria.comparator","supported_values":["equal","not_equal"]},"message":"invalid data","status":"error"}`)
	st, b = e.do("POST", "/crm/v8/settings/custom_views?module=Leads", tok, `{"custom_views":[{"name":"`+strings.Repeat("x", 51)+`"},{"fields":["Nope"]}]}`)
	if st != 400 {
		t.Fatalf("all failed: %d %v", st, b)
	}
	items = viewItems(t, b)
	crmdtest.JSONEq(t, "too long", items[0]["details"], `{"api_name":"name","json_path":"$.custom_views[0].name","maximum_length":50}`)
	crmdtest.JSONEq(t, "no name", items[1], `{"code":"MANDATORY_NOT_FOUND","details":{"api_name":"name","json_path":"$.custom_views[1].name"},"message":"required field not found","status":"error"}`)
	many := make([]string, 201)
	for i := range many {
		many[i] = fmt.Sprintf(`{"name":"V%d"}`, i)
	}
	e.wantErr("POST", "/crm/v8/settings/custom_views?module=Leads", tok, `{"custom_views":[`+strings.Join(many, ",")+`]}`, 400, "LIMIT_EXCEEDED",
		`{"limit":200,"api_name":"custom_views","json_path":"$.custom_views"}`, "limit exceeded")
	e.wantErr("POST", "/crm/v8/settings/custom_views?module=Leads", tok, ``, 400, "MANDATORY_NOT_FOUND", `{"api_name":"custom_views","expected_data_type":"jsonarray"}`)
	e.wantErr("POST", "/crm/v8/settings/custom_views?module=Leads", tok, `{"custom_views":`, 400, "UNABLE_TO_PARSE_DATA_TYPE", `{}`)
	e.wantErr("POST", "/crm/v8/settings/custom_views", tok, `{"custom_views":[{"name":"x"}]}`, 400, "REQUIRED_PARAM_MISSING", `{"param_name":"module"}`)

	// Update one by path, and several by body ids.
	b = e.must(200, "PUT", "/crm/v2.1/settings/custom_views/"+stdView+"?module=Leads", stdTok, `{"custom_views":[{"name":"Renamed","sort_by":"Last_Name","sort_order":"asc"}]}`)
	crmdtest.JSONEq(t, "update entry", viewItems(t, b)[0], fmt.Sprintf(`{"code":"SUCCESS","details":{"id":"%s"},"message":"custom view updated successfully","status":"success"}`, stdView))
	got := viewItems(t, e.must(200, "GET", "/crm/v8/settings/custom_views/"+stdView+"?module=Leads", stdTok, ""))[0]
	if got["name"] != "Renamed" || got["display_value"] != "Renamed" || got["sort_order"] != "asc" {
		t.Errorf("after update %v", got)
	}
	sys := e.systemIDs(tok, "Leads")
	st, b = e.do("PUT", "/crm/v8/settings/custom_views?module=Leads", stdTok, fmt.Sprintf(`{"custom_views":[{"id":"%s","name":"Again"},{"id":"%s","name":"Theirs"},{"id":"%s","name":"Sys"}]}`,
		stdView, adminView, sys["ALLVIEWS"]))
	if st != 207 {
		t.Fatalf("mixed update: %d %v", st, b)
	}
	items = viewItems(t, b)
	crmdtest.JSONEq(t, "no permission", items[1], fmt.Sprintf(`{"code":"NO_PERMISSION","details":{"id":"%s"},"message":"permission denied","status":"error"}`, adminView))
	if items[2]["code"] != "NOT_ALLOWED" {
		t.Errorf("system view update: %v", items[2])
	}
	e.wantErr("PUT", "/crm/v8/settings/custom_views/abc?module=Leads", tok, `{"custom_views":[{"name":"x"}]}`, 400, "INVALID_DATA", `{"resource_path_index":2}`)

	// Delete.
	e.wantErr("DELETE", "/crm/v8/settings/custom_views/"+sys["MYVIEWS"]+"?module=Leads", tok, "", 400, "NOT_ALLOWED", fmt.Sprintf(`{"id":"%s"}`, sys["MYVIEWS"]))
	e.wantErr("DELETE", "/crm/v8/settings/custom_views/"+adminView+"?module=Leads", stdTok, "", 403, "NO_PERMISSION", fmt.Sprintf(`{"id":"%s"}`, adminView), "permission denied")
	b = e.must(200, "DELETE", "/crm/v2/settings/custom_views/"+stdView+"?module=Leads", stdTok, "")
	crmdtest.JSONEq(t, "delete entry", viewItems(t, b)[0], fmt.Sprintf(`{"code":"SUCCESS","details":{"id":"%s"},"message":"custom view deleted successfully","status":"success"}`, stdView))
	e.wantErr("GET", "/crm/v8/settings/custom_views/"+stdView+"?module=Leads", stdTok, "", 400, "INVALID_DATA", `{"resource_path_index":2}`)
	e.must(200, "DELETE", "/crm/v8/settings/custom_views/"+adminView+"?module=Leads", tok, "")
}

func TestViewsPrivacy(t *testing.T) {
	e := newViewEnv(t)
	private := e.create(e.a.adminTok, "Leads", `{"name":"Admin only"}`)
	stdPrivate := e.create(e.a.stdTok, "Leads", `{"name":"Std only","access_type":"only_to_me"}`)
	// A Standard user does not see an administrator's private view at all.
	e.wantErr("GET", "/crm/v8/settings/custom_views/"+private+"?module=Leads", e.a.stdTok, "", 400, "INVALID_DATA", `{"resource_path_index":2}`)
	e.wantErr("GET", "/crm/v2.1/Leads?cvid="+private, e.a.stdTok, "", 400, "INVALID_DATA", `{"param_name":"cvid"}`, "the cvid given seems to be invalid")
	for _, v := range viewItems(t, e.must(200, "GET", "/crm/v8/settings/custom_views?module=Leads", e.a.stdTok, "")) {
		if v["id"] == private {
			t.Error("private view listed for another user")
		}
	}
	// An administrator sees a user's private view as another user's.
	found := false
	for _, v := range viewItems(t, e.must(200, "GET", "/crm/v8/settings/custom_views?module=Leads", e.a.adminTok, "")) {
		if v["id"] == stdPrivate {
			found = v["category"] == "other_users_views"
		}
	}
	if !found {
		t.Error("admin does not see the user's view as other_users_views")
	}
}

func TestViewsScopes(t *testing.T) {
	e := newViewEnv(t)
	read := e.token(e.a, e.a.admin, "ZohoCRM.settings.custom_views.READ")
	settings := e.token(e.a, e.a.admin, "ZohoCRM.settings.ALL")
	modules := e.token(e.a, e.a.admin, "ZohoCRM.modules.ALL")
	create := e.token(e.a, e.a.admin, "ZohoCRM.settings.custom_views.CREATE")
	e.must(200, "GET", "/crm/v8/settings/custom_views?module=Leads", read, "")
	e.must(200, "GET", "/crm/v8/settings/custom_views?module=Leads", settings, "")
	id := e.create(create, "Leads", `{"name":"By create scope"}`)
	mismatch := `{}`
	e.wantErr("GET", "/crm/v8/settings/custom_views?module=Leads", modules, "", 401, "OAUTH_SCOPE_MISMATCH", mismatch)
	e.wantErr("GET", "/crm/v8/settings/custom_views?module=Leads", create, "", 401, "OAUTH_SCOPE_MISMATCH", mismatch)
	e.wantErr("POST", "/crm/v8/settings/custom_views?module=Leads", read, `{"custom_views":[{"name":"x"}]}`, 401, "OAUTH_SCOPE_MISMATCH", mismatch)
	e.wantErr("PUT", "/crm/v8/settings/custom_views/"+id+"?module=Leads", read, `{"custom_views":[{"name":"x"}]}`, 401, "OAUTH_SCOPE_MISMATCH", mismatch)
	e.wantErr("DELETE", "/crm/v8/settings/custom_views/"+id+"?module=Leads", create, "", 401, "OAUTH_SCOPE_MISMATCH", mismatch)
	// The scope is checked before the module, so a token without it learns nothing.
	e.wantErr("GET", "/crm/v8/settings/custom_views", modules, "", 401, "OAUTH_SCOPE_MISMATCH", mismatch)
	e.must(200, "DELETE", "/crm/v8/settings/custom_views/"+id+"?module=Leads", settings, "")
}

func TestViewsTenantIsolation(t *testing.T) {
	e := newViewEnv(t)
	bView := e.create(e.b.adminTok, "Leads", `{"name":"B's view","access_type":"public"}`)
	bAll := e.systemIDs(e.b.adminTok, "Leads")["ALLVIEWS"]
	e.insert(e.b.adminTok, "Leads", `{"Last_Name":"B lead"}`)
	for _, id := range []string{bView, bAll} {
		e.wantErr("GET", "/crm/v8/settings/custom_views/"+id+"?module=Leads", e.a.adminTok, "", 400, "INVALID_DATA", `{"resource_path_index":2}`)
		e.wantErr("PUT", "/crm/v8/settings/custom_views/"+id+"?module=Leads", e.a.adminTok, `{"custom_views":[{"name":"x"}]}`, 400, "INVALID_DATA", `{"resource_path_index":2}`)
		e.wantErr("DELETE", "/crm/v8/settings/custom_views/"+id+"?module=Leads", e.a.adminTok, "", 400, "INVALID_DATA", `{"resource_path_index":2}`)
		e.wantErr("GET", "/crm/v2.1/Leads?cvid="+id, e.a.adminTok, "", 400, "INVALID_DATA", `{"param_name":"cvid"}`)
		if _, err := views.New(e.st).Resolve(context.Background(), e.a.fx.Caller(e.a.admin), e.a.fx.Module(t, "Leads"), id); err == nil {
			t.Errorf("org A resolves org B's view %s", id)
		}
	}
	st, b := e.do("PUT", "/crm/v8/settings/custom_views?module=Leads", e.a.adminTok, `{"custom_views":[{"id":"`+bView+`","name":"x"}]}`)
	if st != 400 || viewItems(t, b)[0]["code"] != "INVALID_DATA" {
		t.Errorf("bulk update of another org's view: %d %v", st, b)
	}
	for _, v := range viewItems(t, e.must(200, "GET", "/crm/v8/settings/custom_views?module=Leads", e.a.adminTok, "")) {
		if v["id"] == bView || v["id"] == bAll {
			t.Errorf("org A lists org B's view %v", v)
		}
	}
	// The same name is free in another org.
	e.create(e.a.adminTok, "Leads", `{"name":"B's view"}`)
	// And org B's view still works for org B.
	if ids := e.listIDs(e.b.adminTok, "cvid="+bAll, false); len(ids) != 1 {
		t.Errorf("org B's All view: %v", ids)
	}
}

func TestRecordsByCvid(t *testing.T) {
	e := newViewEnv(t)
	admin, std := e.a.adminTok, e.a.stdTok
	base := e.clock.Now()
	// Ten days ago, an old lead.
	e.clock.Set(base.AddDate(0, 0, -10))
	old := e.insert(admin, "Leads", `{"Last_Name":"Old","Lead_Status":"Lost Lead"}`)[0]
	e.clock.Set(base)
	mine := e.insert(admin, "Leads", `{"Last_Name":"Zed","Lead_Status":"Junk Lead","Annual_Revenue":5000}`,
		`{"Last_Name":"Amy","Lead_Status":"Contacted","Email_Opt_Out":true}`)
	theirs := e.insert(std, "Leads", `{"Last_Name":"Max","Lead_Status":"Not Qualified","Annual_Revenue":100}`, `{"Last_Name":"Bob"}`)
	all := sorted(append(append([]string{old}, mine...), theirs...)...)
	sys := e.systemIDs(admin, "Leads")

	for name, want := range map[string][]string{
		"ALLVIEWS":              all,
		"MYVIEWS":               sorted(mine[0], mine[1], old),
		"RECENTLYCREATED":       sorted(append(append([]string{}, mine...), theirs...)...),
		"RECENTLYMODIFIED":      sorted(append(append([]string{}, mine...), theirs...)...),
		"today":                 sorted(append(append([]string{}, mine...), theirs...)...),
		"JUNKLEADVIEWS":         {mine[0]},
		"NOTQUALIFIEDLEADVIEWS": {theirs[0]},
		"OPENLEADVIEWS":         sorted(mine[1], theirs[1]),
		"UNSUBSCRIBED":          {mine[1]},
		"CONVERTEDVIEWS":        {},
		"UNREADVIEWS":           all,
	} {
		eqList(t, name, e.listIDs(admin, "cvid="+sys[name], false), want)
	}
	// My is the caller's.
	eqList(t, "MYVIEWS for the standard user", e.listIDs(std, "cvid="+sys["MYVIEWS"], false), sorted(theirs...))

	// Unread before and after opening a record, per user.
	e.must(200, "GET", "/crm/v8/Leads/"+mine[0], admin, "")
	e.must(200, "GET", "/crm/v8/Leads/"+mine[0], admin, "") // twice is harmless
	eqList(t, "unread after a GET", e.listIDs(admin, "cvid="+sys["UNREADVIEWS"], false), sorted(old, mine[1], theirs[0], theirs[1]))
	eqList(t, "unread for another user", e.listIDs(std, "cvid="+sys["UNREADVIEWS"], false), all)

	// The store clock moves the recent views: eight days on, nothing is recent or today's.
	e.clock.Set(base.AddDate(0, 0, 8))
	eqList(t, "RECENTLYCREATED later", e.listIDs(admin, "cvid="+sys["RECENTLYCREATED"], false), []string{})
	e.clock.Set(base.AddDate(0, 0, 6))
	eqList(t, "RECENTLYCREATED six days on", e.listIDs(admin, "cvid="+sys["RECENTLYCREATED"], false), sorted(append(append([]string{}, mine...), theirs...)...))
	eqList(t, "today six days on", e.listIDs(admin, "cvid="+sys["today"], false), []string{})
	e.clock.Set(base)

	// A user view lists exactly what criteria.Eval selects, in the view's own order.
	crit := `{"group_operator":"or","group":[{"field":"Annual_Revenue","comparator":"greater_equal","value":1000},{"field":"Last_Name","comparator":"starts_with","value":"b"}]}`
	cv := e.create(admin, "Leads", `{"name":"Rich or B","access_type":"public","sort_by":"Last_Name","sort_order":"asc","criteria":`+crit+`}`)
	got := e.listIDs(admin, "cvid="+cv, true)
	eqList(t, "user view in its order (v2.1 sorts on any field)", got, []string{theirs[1], mine[0]})
	caller := e.a.fx.Caller(e.a.admin)
	m := e.a.fx.Module(t, "Leads")
	var raw any
	dec := json.NewDecoder(strings.NewReader(crit))
	dec.UseNumber()
	dec.Decode(&raw)
	node, err := criteria.Parse(raw, m)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := e.st.ListRecords(context.Background(), store.RecordQuery{OrgID: e.a.org.ID, ModuleID: m.ID})
	if err != nil {
		t.Fatal(err)
	}
	var evalIDs []string
	for _, r := range recs {
		d := json.NewDecoder(strings.NewReader(string(r.Data)))
		d.UseNumber()
		var data map[string]any
		d.Decode(&data)
		row := &criteria.Row{ID: r.ID, OwnerID: r.OwnerID, CreatedBy: r.CreatedBy, ModifiedBy: r.ModifiedBy, CreatedTime: r.CreatedTime, ModifiedTime: r.ModifiedTime, Data: data}
		if criteria.Eval(node, row, views.New(e.st).Env(caller)) {
			evalIDs = append(evalIDs, r.ID.String())
		}
	}
	eqList(t, "GET ?cvid= vs Eval", sorted(got...), sorted(evalIDs...))
	// sort_order given beside cvid overrides the view's order; v8 keeps id order for a Last_Name sort.
	eqList(t, "sort_order desc", e.listIDs(admin, "cvid="+cv+"&sort_order=desc", true), []string{mine[0], theirs[1]})
	b := e.must(200, "GET", "/crm/v8/Leads?fields=Last_Name&cvid="+cv, admin, "")
	if info := b["info"].(map[string]any); info["sort_by"] != "id" || info["sort_order"] != "asc" {
		t.Errorf("v8 info with a Last_Name view: %v", info)
	}

	// cvid with sort_by is ambiguous, as page with page_token is.
	e.wantErr("GET", "/crm/v2.1/Leads?cvid="+cv+"&sort_by=Last_Name", admin, "", 400, "AMBIGUITY_DURING_PROCESSING",
		`{"ambiguity_due_to":[{"param_name":"cvid"},{"param_name":"sort_by"}]}`, "ambiguity during processing")
	e.wantErr("GET", "/crm/v8/Leads?fields=Last_Name&cvid="+cv+"&sort_by=id", admin, "", 400, "AMBIGUITY_DURING_PROCESSING",
		`{"ambiguity_due_to":[{"param_name":"cvid"},{"param_name":"sort_by"}]}`)
	for _, bad := range []string{"abc", "-1", "123", sys["ALLVIEWS"] + "1"} {
		e.wantErr("GET", "/crm/v2.1/Leads?cvid="+bad, admin, "", 400, "INVALID_DATA", `{"param_name":"cvid"}`, "the cvid given seems to be invalid")
	}
	// Another module's view is not a view of this one.
	accAll := e.systemIDs(admin, "Accounts")["ALLVIEWS"]
	e.wantErr("GET", "/crm/v2.1/Leads?cvid="+accAll, admin, "", 400, "INVALID_DATA", `{"param_name":"cvid"}`)

	// Page tokens are bound to the view.
	b = e.must(200, "GET", "/crm/v8/Leads?fields=Last_Name&per_page=2&cvid="+sys["ALLVIEWS"], admin, "")
	tokStr, _ := b["info"].(map[string]any)["next_page_token"].(string)
	if tokStr == "" {
		t.Fatalf("no page token: %v", b["info"])
	}
	b = e.must(200, "GET", "/crm/v8/Leads?fields=Last_Name&per_page=2&cvid="+sys["ALLVIEWS"]+"&page_token="+tokStr, admin, "")
	if n := len(b["data"].([]any)); n != 2 {
		t.Errorf("second page: %d records", n)
	}
	e.wantErr("GET", "/crm/v8/Leads?fields=Last_Name&per_page=2&cvid="+sys["MYVIEWS"]+"&page_token="+tokStr, admin, "", 400, "TOKEN_BOUND_DATA_MISMATCH", `{"param_name":"page_token"}`)
	e.wantErr("GET", "/crm/v8/Leads?fields=Last_Name&per_page=2&page_token="+tokStr, admin, "", 400, "TOKEN_BOUND_DATA_MISMATCH", `{"param_name":"page_token"}`)

	// An emptied view answers 204.
	e.must(200, "PUT", "/crm/v8/settings/custom_views/"+cv+"?module=Leads", admin, `{"custom_views":[{"criteria":{"field":"Last_Name","comparator":"equal","value":"nobody"}}]}`)
	if st, _ := e.do("GET", "/crm/v2.1/Leads?cvid="+cv, admin, ""); st != 204 {
		t.Errorf("empty view: %d", st)
	}
}

// TestPageOverflow: a page whose offset, (page-1)*per_page, overflows an int is INVALID_DATA on every
// list API. It once wrapped negative: the views list sliced with it and panicked (a 500), the records
// list served page 1 again on SQLite and failed on PostgreSQL. Found by FuzzQueryParams.
func TestPageOverflow(t *testing.T) {
	e := newViewEnv(t)
	tok := e.token(e.a, e.a.admin, "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL")
	for _, path := range []string{
		"/crm/v8/settings/custom_views?module=Leads",
		"/crm/v2/Leads?fields=Last_Name",
		"/crm/v8/Leads?fields=Last_Name",
		"/crm/v8/Leads/deleted?type=all",
		"/crm/v8/settings/territories?x=1",
		"/crm/v8/settings/recycle_bin?x=1",
	} {
		for _, page := range []string{"4611686018427387905", "9223372036854775807", "46116860184273880"} {
			e.wantErr("GET", path+"&page="+page+"&per_page=200", tok, "", 400, "INVALID_DATA", `{"param_name":"page"}`)
		}
	}
}
