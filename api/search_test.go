package api_test

import (
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd/crmdtest"
)

// searchIDs runs GET /{module}/search with the query and returns the ids found (nil for 204).
func (e *recEnv) searchIDs(t *testing.T, module, token, query string) []string {
	t.Helper()
	st, body := e.do(t, "GET", "/crm/v8/"+module+"/search?"+query, token, "")
	if st == 204 {
		return nil
	}
	if st != 200 {
		t.Fatalf("search %s: %d %v", query, st, body)
	}
	ids := crmdtest.IDs(t, body, "data")
	sort.Strings(ids)
	return ids
}

func TestSearchCriteria(t *testing.T) {
	e := newRecEnv(t)
	tok := e.a.adminTok
	ids := e.insert(t, "Leads", tok,
		`{"Last_Name":"Burns,B","First_Name":"Mary","Email":"mary@zylker.com","Phone":"555-0100","Lead_Source":"Web","No_of_Employees":10,"Company":"Zylker (East)"}`,
		`{"Last_Name":"Burns","First_Name":"Mark","Email":"MARK@zylker.com","Lead_Source":"Ads","No_of_Employees":50}`,
		`{"Last_Name":"Smith","First_Name":"Anne","Email":"anne@acme.com","Lead_Source":"Web","No_of_Employees":200,"Description":"likes burnside"}`)
	mary, mark, anne := ids[0], ids[1], ids[2]
	q := func(c string) string { return "criteria=" + url.QueryEscape(c) }
	cases := []struct {
		query string
		want  []string
	}{
		{q(`(Last_Name:equals:Burns)`), []string{mark}},
		{q(`(Last_Name:equals:burns\,B)`), []string{mary}},
		{q(`((Last_Name:starts_with:Burns)and(First_Name:starts_with:Ma))`), sorted(mary, mark)},
		{q(`((Last_Name:starts_with:Burns) AND (First_Name:equals:Mark)) or (Last_Name:equals:Smith)`), sorted(mark, anne)},
		{q(`(Lead_Source:in:Web,Ads)`), sorted(mary, mark, anne)},
		{q(`(Lead_Source:not_equal:Web)`), []string{mark}},
		{q(`(Lead_Source:equals:Web,Ads)`), sorted(mary, mark, anne)},
		{q(`(No_of_Employees:greater_equal:50)`), sorted(mark, anne)},
		{q(`(No_of_Employees:between:10,50)`), sorted(mary, mark)},
		{q(`(Company:equals:Zylker \(East\))`), []string{mary}},
		{q(`(Email:equals:mark@zylker.com)`), []string{mark}},
		{q(`(Last_Name:equals:Nobody)`), nil},
		{"email=anne@acme.com", []string{anne}},
		{"phone=555-0100", []string{mary}},
		{"word=burns", sorted(mary, mark, anne)},                                                // "burnside" in Anne's description
		{"word=zylker&criteria=" + url.QueryEscape("(Last_Name:equals:Smith)"), []string{anne}}, // criteria wins
		{"word=burns&converted=true", nil},
	}
	for _, c := range cases {
		got := e.searchIDs(t, "Leads", tok, c.query)
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("search %s: got %v, want %v", c.query, got, c.want)
		}
	}

	// The answer's shape: data and info, fields honoured.
	st, body := e.do(t, "GET", "/crm/v8/Leads/search?fields=Last_Name,Email&per_page=1&criteria="+url.QueryEscape("(Last_Name:starts_with:Burns)"), tok, "")
	if st != 200 {
		t.Fatalf("search page: %d %v", st, body)
	}
	crmdtest.JSONEq(t, "info", body["info"], `{"per_page":1,"count":1,"page":1,"more_records":true}`)
	rec := crmdtest.Items(t, body, "data")[0]
	if rec["id"] != mark || rec["Last_Name"] != "Burns" || rec["Email"] != "MARK@zylker.com" || rec["First_Name"] != nil {
		t.Errorf("search record: %v", rec)
	}
}

func TestSearchErrors(t *testing.T) {
	e := newRecEnv(t)
	tok := e.a.adminTok
	e.insert(t, "Leads", tok, `{"Last_Name":"Burns"}`)
	cases := []struct {
		query, code string
		details     string
	}{
		{"", "REQUIRED_PARAM_MISSING", `{"expected_params":["criteria","email","phone","word"]}`},
		{"criteria=" + url.QueryEscape("(Last_Name:equals:Burns"), "INVALID_QUERY", `{"reason":"invalid criteria","api_name":"Last_Name"}`},
		{"criteria=" + url.QueryEscape("Last_Name:equals:Burns"), "INVALID_QUERY", `{"reason":"invalid criteria"}`},
		{"criteria=" + url.QueryEscape("(Nope:equals:x)"), "INVALID_QUERY", `{"reason":"the field is not available for search","api_name":"Nope"}`},
		{"criteria=" + url.QueryEscape("(Last_Name:greater_than:x)"), "INVALID_QUERY", `{"reason":"invalid operator found","api_name":"Last_Name","operator":"greater_than"}`},
		{"criteria=" + url.QueryEscape("(No_of_Employees:equals:many)"), "INVALID_QUERY", `{"reason":"invalid value given","api_name":"No_of_Employees"}`},
		{"criteria=" + url.QueryEscape("(No_of_Employees:between:1)"), "INVALID_QUERY", `{"reason":"invalid value given","api_name":"No_of_Employees"}`},
		{"criteria=" + url.QueryEscape("(Last_Name:equals:a)"+strings.Repeat("or(Last_Name:equals:a)", 10)), "LIMIT_EXCEEDED", `{"limit":10,"param_name":"criteria"}`},
		{"word=x&page=11", "LIMIT_REACHED", `{"limit":2000}`},
		{"word=x&approved=maybe", "INVALID_DATA", `{"param_name":"approved"}`},
		{"word=x&cvid=abc", "INVALID_DATA", `{"param_name":"cvid"}`},
	}
	for _, c := range cases {
		st, body := e.do(t, "GET", "/crm/v8/Leads/search?"+c.query, tok, "")
		if st != 400 || body["code"] != c.code || body["status"] != "error" {
			t.Errorf("search %q: %d %v, want 400 %s", c.query, st, body, c.code)
			continue
		}
		crmdtest.JSONEq(t, "details of "+c.query, body["details"], c.details)
	}
	// A token without the module's read scope, and a module that does not exist.
	noRead := e.a.fx.Token(t, e.a.admin, "ZohoCRM.modules.contacts.READ")
	if st, body := e.do(t, "GET", "/crm/v8/Leads/search?word=x", noRead, ""); st != 401 || body["code"] != "OAUTH_SCOPE_MISMATCH" {
		t.Errorf("scope: %d %v", st, body)
	}
	if st, body := e.do(t, "GET", "/crm/v8/Nope/search?word=x", tok, ""); st != 400 || body["code"] != "INVALID_MODULE" {
		t.Errorf("module: %d %v", st, body)
	}
}

func TestSearchVersionsAndViews(t *testing.T) {
	e := newRecEnv(t)
	tok := e.a.adminTok
	ids := e.insert(t, "Leads", tok, `{"Last_Name":"Burns","Lead_Source":"Web"}`, `{"Last_Name":"Burns","Lead_Source":"Ads"}`)
	settingsTok := e.a.fx.Token(t, e.a.admin, "ZohoCRM.modules.ALL ZohoCRM.settings.ALL")
	for _, v := range []string{"v2", "v2.1", "v5", "v7", "v8"} {
		st, body := e.do(t, "GET", "/crm/"+v+"/Leads/search?criteria="+url.QueryEscape("(Last_Name:equals:Burns)"), tok, "")
		if st != 200 || len(crmdtest.Items(t, body, "data")) != 2 {
			t.Errorf("%s: %d %v", v, st, body)
		}
	}
	// A custom view narrows the search.
	st, body := e.do(t, "POST", "/crm/v8/settings/custom_views?module=Leads", settingsTok, `{"custom_views":[{"name":"Web leads",
		"fields":[{"api_name":"Last_Name"}],"criteria":{"field":{"api_name":"Lead_Source"},"comparator":"equal","value":"Web"}}]}`)
	if st != 201 {
		t.Fatalf("view: %d %v", st, body)
	}
	cvid := crmdtest.DetailIDs(t, body, "custom_views")[0]
	got := e.searchIDs(t, "Leads", tok, "cvid="+cvid+"&criteria="+url.QueryEscape("(Last_Name:equals:Burns)"))
	if strings.Join(got, ",") != ids[0] {
		t.Errorf("search in view: %v, want %s", got, ids[0])
	}
}

func TestRecordCount(t *testing.T) {
	e := newRecEnv(t)
	tok := e.a.adminTok
	e.insert(t, "Leads", tok, `{"Last_Name":"Burns","Email":"a@b.co"}`, `{"Last_Name":"Burns"}`, `{"Last_Name":"Smith"}`)
	for q, want := range map[string]float64{
		"": 3, "criteria=" + url.QueryEscape("(Last_Name:equals:Burns)"): 2, "email=a@b.co": 1, "word=nobody": 0,
	} {
		st, body := e.do(t, "GET", "/crm/v8/Leads/actions/count?"+q, tok, "")
		if st != 200 || body["count"] != want || len(body) != 1 {
			t.Errorf("count %q: %d %v, want %v", q, st, body, want)
		}
	}
	if st, body := e.do(t, "GET", "/crm/v8/Contacts/actions/count", tok, ""); st != 200 || body["count"] != 0.0 {
		t.Errorf("empty count: %d %v", st, body)
	}
	if st, body := e.do(t, "GET", "/crm/v8/Leads/actions/count?criteria=bad", tok, ""); st != 400 || body["code"] != "INVALID_QUERY" {
		t.Errorf("bad count: %d %v", st, body)
	}
	// Another org's records are never counted.
	b := e.addOrg(t, "Other", "UTC")
	if st, body := e.do(t, "GET", "/crm/v8/Leads/actions/count", b.adminTok, ""); st != 200 || body["count"] != 0.0 {
		t.Errorf("other org: %d %v", st, body)
	}
}

func TestUpsert(t *testing.T) {
	e := newRecEnv(t)
	tok := e.a.adminTok
	existing := e.insert(t, "Leads", tok, `{"Last_Name":"Burns","Email":"mary@zylker.com","Company":"Zylker"}`)[0]

	// Default duplicate check field of Leads: Email (compared without case); a second entry with a new
	// email inserts, a third repeating it updates what the second inserted.
	st, body := e.do(t, "POST", "/crm/v8/Leads/upsert", tok, `{"data":[
		{"Last_Name":"Burns","Email":"MARY@zylker.com","Company":"Zylker Inc"},
		{"Last_Name":"New","Email":"new@zylker.com"},
		{"Last_Name":"Newer","Email":"new@zylker.com"}]}`)
	if st != 200 {
		t.Fatalf("upsert: %d %v", st, body)
	}
	ents := crmdtest.Entries(t, body)
	want := []struct{ action, field, msg string }{{"update", "Email", "record updated"}, {"insert", "", "record added"}, {"update", "Email", "record updated"}}
	for i, w := range want {
		ent := ents[i]
		if ent["action"] != w.action || ent["message"] != w.msg || ent["code"] != "SUCCESS" || ent["status"] != "success" {
			t.Errorf("entry %d: %v", i, ent)
		}
		if f, ok := ent["duplicate_field"]; !ok || (w.field == "" && f != nil) || (w.field != "" && f != w.field) {
			t.Errorf("entry %d duplicate_field: %v", i, ent)
		}
	}
	if id := ents[0]["details"].(map[string]any)["id"]; id != existing {
		t.Errorf("update hit %v, want %s", id, existing)
	}
	if ents[1]["details"].(map[string]any)["id"] != ents[2]["details"].(map[string]any)["id"] {
		t.Errorf("the third entry did not update the second's record: %v", ents)
	}
	_, got := e.do(t, "GET", "/crm/v8/Leads/"+existing, tok, "")
	if rec := crmdtest.Items(t, got, "data")[0]; rec["Company"] != "Zylker Inc" || rec["Email"] != "MARY@zylker.com" {
		t.Errorf("updated record: %v", rec)
	}

	// Named duplicate check fields, in order; all inserted is 201; a bad entry makes 207.
	st, body = e.do(t, "POST", "/crm/v8/Leads/upsert", tok, `{"duplicate_check_fields":["Company","Email"],"data":[
		{"Last_Name":"X","Company":"Zylker Inc","Email":"zzz@zylker.com"},
		{"Last_Name":"Y","Company":"Fresh Co"},
		{"Company":"Mandatory missing"}]}`)
	if st != 207 {
		t.Fatalf("upsert 2: %d %v", st, body)
	}
	ents = crmdtest.Entries(t, body)
	if ents[0]["action"] != "update" || ents[0]["duplicate_field"] != "Company" || ents[0]["details"].(map[string]any)["id"] != existing {
		t.Errorf("by Company: %v", ents[0])
	}
	if ents[1]["action"] != "insert" || ents[2]["code"] != "MANDATORY_NOT_FOUND" {
		t.Errorf("entries: %v", ents)
	}
	if st, body := e.do(t, "POST", "/crm/v8/Contacts/upsert", tok, `{"data":[{"Last_Name":"A","Email":"a@x.co"}]}`); st != 201 || crmdtest.Entries(t, body)[0]["action"] != "insert" {
		t.Errorf("all inserted: %d %v", st, body)
	}

	// Refusals of the whole request.
	for _, c := range []struct{ body, code, details string }{
		{`{"data":[{"Last_Name":"A"}],"duplicate_check_fields":["Nope"]}`, "INVALID_DATA", `{"api_name":"duplicate_check_fields","json_path":"$.duplicate_check_fields[0]"}`},
		{`{"data":[{"Last_Name":"A"}],"duplicate_check_fields":"Email"}`, "INVALID_DATA", `{"api_name":"duplicate_check_fields","json_path":"$.duplicate_check_fields","expected_data_type":"jsonarray"}`},
		{`{"data":[]}`, "MANDATORY_NOT_FOUND", `{"api_name":"data","expected_data_type":"jsonarray"}`},
		{`{"data":[` + strings.Repeat(`{"Last_Name":"A"},`, 100) + `{"Last_Name":"A"}]}`, "LIMIT_EXCEEDED", `{"limit":100,"api_name":"data","json_path":"$.data"}`},
	} {
		st, body := e.do(t, "POST", "/crm/v8/Leads/upsert", tok, c.body)
		if st != 400 || body["code"] != c.code {
			t.Errorf("%.60s: %d %v", c.body, st, body)
			continue
		}
		crmdtest.JSONEq(t, "details", body["details"], c.details)
	}

	// A Standard user updates only their own records: the admin's record is refused, nothing changes.
	st, body = e.do(t, "POST", "/crm/v8/Leads/upsert", e.a.stdTok, `{"duplicate_check_fields":["Company"],"data":[{"Last_Name":"Hijack","Company":"zylker inc"}]}`)
	if st != 400 || crmdtest.Entries(t, body)[0]["code"] != "NO_PERMISSION" {
		t.Errorf("standard user: %d %v", st, body)
	}
	// A token without the update scope may not upsert.
	createOnly := e.a.fx.Token(t, e.a.admin, "ZohoCRM.modules.leads.CREATE")
	if st, body := e.do(t, "POST", "/crm/v8/Leads/upsert", createOnly, `{"data":[{"Last_Name":"A"}]}`); st != 401 || body["code"] != "OAUTH_SCOPE_MISMATCH" {
		t.Errorf("create-only scope: %d %v", st, body)
	}
}

func TestIfModifiedSince(t *testing.T) {
	e := newRecEnv(t)
	tok := e.a.adminTok
	ids := e.insert(t, "Leads", tok, `{"Last_Name":"Old"}`)
	wide := e.a.fx.Token(t, e.a.admin, "ZohoCRM.modules.ALL ZohoCRM.settings.ALL ZohoCRM.users.READ")
	t0 := e.clock.Now()
	ims := map[string]string{"If-Modified-Since": t0.Format(time.RFC3339)}
	get := func(path string, h map[string]string) (int, map[string]any) {
		t.Helper()
		hh := crmdtest.Auth(wide)
		for k, v := range h {
			hh[k] = v
		}
		return crmdtest.DoJSON(t, "GET", e.ts.URL+path, "", hh)
	}
	// Nothing changed after t0 (the insert's own second does not count).
	for _, p := range []string{"/crm/v8/Leads?fields=Last_Name", "/crm/v8/Leads/" + ids[0], "/crm/v8/Leads/deleted", "/crm/v8/settings/modules", "/crm/v8/users"} {
		if st, body := get(p, ims); st != 304 {
			t.Errorf("%s: %d %v, want 304", p, st, body)
		}
		if st, _ := get(p, nil); st != 200 && !(st == 204 && strings.HasSuffix(p, "deleted")) {
			t.Errorf("%s without the header: %d", p, st)
		}
	}
	e.clock.Advance(2 * time.Second)
	fresh := e.insert(t, "Leads", tok, `{"Last_Name":"New"}`)[0]
	if st, body := get("/crm/v8/Leads?fields=Last_Name", ims); st != 200 || strings.Join(crmdtest.IDs(t, body, "data"), ",") != fresh {
		t.Errorf("list since: %d %v", st, body)
	}
	e.clock.Advance(2 * time.Second)
	if st, body := e.do(t, "PUT", "/crm/v8/Leads/"+ids[0], tok, `{"data":[{"Last_Name":"Older"}]}`); st != 200 {
		t.Fatalf("update: %d %v", st, body)
	}
	if st, body := get("/crm/v8/Leads/"+ids[0], ims); st != 200 || crmdtest.Items(t, body, "data")[0]["Last_Name"] != "Older" {
		t.Errorf("record since: %d %v", st, body)
	}
	if st, body := e.do(t, "DELETE", "/crm/v8/Leads/"+fresh, tok, ""); st != 200 {
		t.Fatalf("delete: %d %v", st, body)
	}
	// HTTP's own date form works too.
	httpDate := map[string]string{"If-Modified-Since": t0.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT")}
	if st, body := get("/crm/v8/Leads/deleted", httpDate); st != 200 || strings.Join(crmdtest.IDs(t, body, "data"), ",") != fresh {
		t.Errorf("deleted since: %d %v", st, body)
	}
	if st, body := get("/crm/v8/Leads?fields=Last_Name", map[string]string{"If-Modified-Since": "yesterday"}); st != 400 || body["code"] != "INVALID_DATA" {
		t.Errorf("bad header: %d %v", st, body)
	}
}
