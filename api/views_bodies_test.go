package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/crmd/crmd/crmdtest"
)

// entryOutcome is a per-item entry as "" (success) or "CODE {details}".
func entryOutcome(ent map[string]any) string {
	if ent["status"] == "success" {
		return ""
	}
	b, _ := json.Marshal(ent["details"])
	return fmt.Sprint(ent["code"], " ", string(b))
}

// wantOutcomes checks the entries of a per-item answer against want ("" for a success).
func wantOutcomes(t *testing.T, what string, body map[string]any, want []string) []map[string]any {
	t.Helper()
	items := viewItems(t, body)
	if len(items) != len(want) {
		t.Fatalf("%s: %d entries, want %d: %v", what, len(items), len(want), items)
	}
	for i, ent := range items {
		if got := entryOutcome(ent); got != want[i] {
			t.Errorf("%s, item %d: %s\n want %s", what, i, got, want[i])
		}
	}
	return items
}

// TestViewsCreateBodies: every item of a create is decoded and checked on its own, and its answer
// names its key by JSON path; errors of the body as a whole are the request's answer.
func TestViewsCreateBodies(t *testing.T) {
	e := newViewEnv(t)
	tok := e.a.stdTok
	long := strings.Repeat("é", 51)
	st, b := e.do("POST", "/crm/v8/settings/custom_views?module=Leads", tok, `{"custom_views":[
		{"name":"Good","fields":["Last_Name",{"api_name":"Email"},"Last_Name"],"sort_by":"Last_Name","sort_order":"DESC"},
		{},
		{"name":5},
		{"name":"`+long+`"},
		{"name":"good"},
		{"name":"All Leads"},
		{"name":"Bad comparator","criteria":{"field":"Email_Opt_Out","comparator":"contains","value":true}},
		{"name":"Bad field","fields":["Last_Name","Nope"]},
		{"name":"Bad sort","sort_by":"Nope"},
		{"name":"Bad order","sort_order":"up"},
		{"name":"Bad access","access_type":"shared"},
		"not an object",
		{"name":"  Trimmed  ","criteria":null}]}`)
	if st != 207 {
		t.Fatalf("create: %d %v", st, b)
	}
	items := wantOutcomes(t, "create", b, []string{
		"",
		`MANDATORY_NOT_FOUND {"api_name":"name","json_path":"$.custom_views[1].name"}`,
		`INVALID_DATA {"api_name":"name","expected_data_type":"string","json_path":"$.custom_views[2].name"}`,
		`INVALID_DATA {"api_name":"name","json_path":"$.custom_views[3].name","maximum_length":50}`,
		`DUPLICATE_DATA {"api_name":"name","json_path":"$.custom_views[4].name"}`,
		`DUPLICATE_DATA {"api_name":"name","json_path":"$.custom_views[5].name"}`,
		`INVALID_DATA {"api_name":"comparator","json_path":"$.custom_views[6].criteria.comparator","supported_values":["equal","not_equal"]}`,
		`INVALID_DATA {"api_name":"fields","json_path":"$.custom_views[7].fields[1]"}`,
		`INVALID_DATA {"api_name":"sort_by","json_path":"$.custom_views[8].sort_by"}`,
		`INVALID_DATA {"api_name":"sort_order","json_path":"$.custom_views[9].sort_order","supported_values":["asc","desc"]}`,
		`INVALID_DATA {"api_name":"access_type","json_path":"$.custom_views[10].access_type","supported_values":["public","only_to_me"]}`,
		`INVALID_DATA {"expected_data_type":"jsonobject","json_path":"$.custom_views[11]"}`,
		"",
	})
	good := viewItems(t, e.must(200, "GET", "/crm/v2/settings/custom_views/"+items[0]["details"].(map[string]any)["id"].(string)+"?module=Leads", tok, ""))[0]
	if enc, _ := json.Marshal(good["fields"]); string(enc) != `["Last_Name","Email"]` || good["sort_by"] != "Last_Name" || good["sort_order"] != "desc" ||
		good["shared_type"] != "only_to_me" || good["criteria"] != nil || good["category"] != "created_by_me" {
		t.Errorf("created %v", good)
	}
	trimmed := viewItems(t, e.must(200, "GET", "/crm/v8/settings/custom_views/"+items[12]["details"].(map[string]any)["id"].(string)+"?module=Leads", tok, ""))[0]
	if trimmed["name"] != "Trimmed" || trimmed["display_value"] != "Trimmed" {
		t.Errorf("trimmed name %v", trimmed["name"])
	}

	// Errors of the body as a whole.
	tooMany := make([]string, 201)
	for i := range tooMany {
		tooMany[i] = fmt.Sprintf(`{"name":"%d"}`, i)
	}
	for _, tc := range []struct{ body, code, details string }{
		{`{}`, "MANDATORY_NOT_FOUND", `{"api_name":"custom_views","expected_data_type":"jsonarray"}`},
		{`{"custom_views":null}`, "MANDATORY_NOT_FOUND", `{"api_name":"custom_views","expected_data_type":"jsonarray"}`},
		{`{"custom_views":[]}`, "MANDATORY_NOT_FOUND", `{"api_name":"custom_views","expected_data_type":"jsonarray"}`},
		{`{"custom_views":{}}`, "INVALID_DATA", `{"api_name":"custom_views","expected_data_type":"jsonarray","json_path":"$.custom_views"}`},
		{`{"custom_views":[` + strings.Join(tooMany, ",") + `]}`, "LIMIT_EXCEEDED", `{"api_name":"custom_views","json_path":"$.custom_views","limit":200}`},
	} {
		e.wantErr("POST", "/crm/v8/settings/custom_views?module=Leads", tok, tc.body, 400, tc.code, tc.details)
		e.wantErr("PUT", "/crm/v8/settings/custom_views?module=Leads", tok, tc.body, 400, tc.code, tc.details)
	}
}

// TestViewsUpdateBodies: the ids of an update (in the body, in the path), who may change what, and
// DELETE's answers.
func TestViewsUpdateBodies(t *testing.T) {
	e := newViewEnv(t)
	admin, std := e.a.adminTok, e.a.stdTok
	sys := e.systemIDs(admin, "Leads")
	mk := func(tok, name, access string) string {
		return e.create(tok, "Leads", `{"name":"`+name+`","access_type":"`+access+`","sort_by":"Last_Name",
			"criteria":{"field":"Last_Name","comparator":"equal","value":"x"}}`)
	}
	adminView := mk(admin, "Admin's", "public")
	stdView := mk(std, "Std's", "only_to_me")
	other := mk(std, "Other", "only_to_me")

	// The id of an item may be a JSON number.
	st, b := e.do("PUT", "/crm/v8/settings/custom_views?module=Leads", std, fmt.Sprintf(`{"custom_views":[
		{"id":"%s","name":"Renamed","criteria":null,"sort_by":null},
		{"id":"%s","name":"Mine now"},
		{"id":"%s","name":"x"},
		{"name":"no id"},
		{"id":"42","name":"unknown"},
		{"id":"%s","name":"other"},
		{"id":%s,"fields":["Nope"]},
		{"id":"12ab","name":"malformed"},
		{"id":true,"name":"not an id"}]}`, stdView, adminView, sys["ALLVIEWS"], stdView, other))
	if st != 207 {
		t.Fatalf("update: %d %v", st, b)
	}
	items := wantOutcomes(t, "update", b, []string{
		"",
		fmt.Sprintf(`NO_PERMISSION {"id":"%s"}`, adminView),
		fmt.Sprintf(`NOT_ALLOWED {"id":"%s"}`, sys["ALLVIEWS"]),
		`MANDATORY_NOT_FOUND {"api_name":"id","json_path":"$.custom_views[3].id"}`,
		`INVALID_DATA {"api_name":"id","json_path":"$.custom_views[4].id"}`,
		`DUPLICATE_DATA {"api_name":"name","json_path":"$.custom_views[5].name"}`,
		`INVALID_DATA {"api_name":"fields","json_path":"$.custom_views[6].fields[0]"}`,
		`INVALID_DATA {"api_name":"id","json_path":"$.custom_views[7].id"}`,
		`INVALID_DATA {"api_name":"id","json_path":"$.custom_views[8].id"}`,
	})
	crmdtest.JSONEq(t, "update entry", items[0], fmt.Sprintf(`{"code":"SUCCESS","details":{"id":"%s"},"message":"custom view updated successfully","status":"success"}`, stdView))
	got := viewItems(t, e.must(200, "GET", "/crm/v2/settings/custom_views/"+stdView+"?module=Leads", std, ""))[0]
	if got["name"] != "Renamed" || got["criteria"] != nil || got["sort_by"] != nil || got["shared_type"] != "only_to_me" {
		t.Errorf("after update %v", got)
	}
	// The faults of an item come after its id and the caller's rights.
	st, b = e.do("PUT", "/crm/v8/settings/custom_views?module=Leads", std, fmt.Sprintf(`{"custom_views":[{"id":"%s","name":5,"fields":"x"}]}`, sys["ALLVIEWS"]))
	if st != 400 {
		t.Fatalf("system view with bad keys: %d %v", st, b)
	}
	wantOutcomes(t, "system view with bad keys", b, []string{fmt.Sprintf(`NOT_ALLOWED {"id":"%s"}`, sys["ALLVIEWS"])})

	// An admin may change anyone's view; the path form takes one item, whose id, if given, must be
	// the path's.
	e.must(200, "PUT", "/crm/v8/settings/custom_views/"+stdView+"?module=Leads", admin, `{"custom_views":[{"sort_order":"asc"}]}`)
	e.must(200, "PUT", "/crm/v8/settings/custom_views/"+stdView+"?module=Leads", admin, `{"custom_views":[{"id":"`+stdView+`","sort_order":"desc"}]}`)
	e.must(200, "PUT", "/crm/v8/settings/custom_views/"+stdView+"?module=Leads", admin, `{"custom_views":[{"id":null,"sort_order":"asc"}]}`)
	st, b = e.do("PUT", "/crm/v8/settings/custom_views/"+stdView+"?module=Leads", admin, `{"custom_views":[{"id":"`+adminView+`"}]}`)
	if st != 400 {
		t.Fatalf("mismatched id: %d %v", st, b)
	}
	wantOutcomes(t, "mismatched id", b, []string{`INVALID_DATA {"api_name":"id","json_path":"$.custom_views[0].id"}`})
	const unknown = "1234567890123456789"
	for _, tc := range []struct{ tok, path, body string }{
		{std, "abc", `{"custom_views":[{"name":"z"}]}`},
		{std, sys["ALLVIEWS"] + "0", `{"custom_views":[{"name":"z"}]}`},
		{std, unknown, `{"custom_views":[{"name":"z"}]}`},
		{e.b.adminTok, stdView, `{"custom_views":[{"name":"z"}]}`},
		// An unknown path id is the answer before anything about the body but its syntax.
		{std, unknown, `{}`},
		{std, unknown, `{"custom_views":[{},{}]}`},
	} {
		e.wantErr("PUT", "/crm/v8/settings/custom_views/"+tc.path+"?module=Leads", tc.tok, tc.body, 400, "INVALID_DATA", `{"resource_path_index":2}`, "the id given seems to be invalid")
	}
	e.wantErr("PUT", "/crm/v8/settings/custom_views/abc?module=Leads", std, `{"custom_views":`, 400, "INVALID_DATA", `{"resource_path_index":2}`)
	e.wantErr("PUT", "/crm/v8/settings/custom_views/"+unknown+"?module=Leads", std, `{"custom_views":`, 400, "UNABLE_TO_PARSE_DATA_TYPE", `{}`)
	e.wantErr("PUT", "/crm/v8/settings/custom_views/"+stdView+"?module=Leads", admin, `{"custom_views":[{},{}]}`, 400, "LIMIT_EXCEEDED",
		`{"api_name":"custom_views","json_path":"$.custom_views","limit":1}`)
	e.wantErr("PUT", "/crm/v8/settings/custom_views/"+stdView+"?module=Leads", admin, `{}`, 400, "MANDATORY_NOT_FOUND",
		`{"api_name":"custom_views","expected_data_type":"jsonarray"}`)

	// Delete.
	e.wantErr("DELETE", "/crm/v8/settings/custom_views/"+sys["MYVIEWS"]+"?module=Leads", std, "", 400, "NOT_ALLOWED", fmt.Sprintf(`{"id":"%s"}`, sys["MYVIEWS"]),
		"system defined custom views cannot be deleted")
	e.wantErr("DELETE", "/crm/v8/settings/custom_views/"+adminView+"?module=Leads", std, "", 403, "NO_PERMISSION", fmt.Sprintf(`{"id":"%s"}`, adminView))
	e.wantErr("DELETE", "/crm/v8/settings/custom_views/x?module=Leads", std, "", 400, "INVALID_DATA", `{"resource_path_index":2}`)
	b = e.must(200, "DELETE", "/crm/v8/settings/custom_views/"+other+"?module=Leads", admin, "")
	crmdtest.JSONEq(t, "admin deletes std's view", viewItems(t, b)[0], fmt.Sprintf(`{"code":"SUCCESS","details":{"id":"%s"},"message":"custom view deleted successfully","status":"success"}`, other))
	e.wantErr("DELETE", "/crm/v8/settings/custom_views/"+other+"?module=Leads", std, "", 400, "INVALID_DATA", `{"resource_path_index":2}`)
	e.must(200, "DELETE", "/crm/v8/settings/custom_views/"+stdView+"?module=Leads", std, "")
}
