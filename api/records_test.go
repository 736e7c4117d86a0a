package api_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/api"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/store"
)

// recOrg is one org of the test server with an admin and a Standard user, each with a token.
type recOrg struct {
	org              *crmd.Org
	admin, std       *crmd.User
	adminTok, stdTok string
	fx               *crmdtest.Org // mints further tokens
}

// recEnv is a records test server on a real SQLite file.
type recEnv struct {
	st    *store.Store
	ts    *httptest.Server
	clock *crmdtest.Clock
	a     recOrg // the main org
}

const recScope = "ZohoCRM.modules.ALL"

func newRecEnv(t *testing.T) *recEnv {
	t.Helper()
	st := crmdtest.OpenStore(t)
	e := &recEnv{st: st, clock: crmdtest.UseClock(st, time.Date(2024, 5, 13, 8, 2, 33, 0, time.UTC))}
	e.a = e.addOrg(t, "Acme", "Asia/Kolkata")
	srv := newApp(t, st, api.Config{}, nil).API
	e.ts = httptest.NewServer(srv)
	t.Cleanup(e.ts.Close)
	return e
}

// addOrg creates an org with the standard catalog, a Standard user and tokens for both users.
func (e *recEnv) addOrg(t *testing.T, name, tz string) recOrg {
	t.Helper()
	o := crmdtest.NewTeam(t, e.st, name, tz)
	return recOrg{org: o.Org, admin: o.Admin, std: o.Std, adminTok: o.Token(t, o.Admin, recScope), stdTok: o.Token(t, o.Std, recScope), fx: o}
}

// do sends a request with a token and decodes the JSON object answer (nil for 204, which must have no
// body).
func (e *recEnv) do(t *testing.T, method, path, token, body string) (int, map[string]any) {
	t.Helper()
	return crmdtest.DoJSON(t, method, e.ts.URL+path, body, crmdtest.Auth(token))
}

// insert adds records through the API and returns their ids, failing unless all were added.
func (e *recEnv) insert(t *testing.T, module, token string, recs ...string) []string {
	t.Helper()
	st, body := e.do(t, "POST", "/crm/v8/"+module, token, `{"data":[`+strings.Join(recs, ",")+`]}`)
	if st != 201 {
		t.Fatalf("insert %s: %d %v", module, st, body)
	}
	return crmdtest.DetailIDs(t, body, "data")
}

func TestRecordsInsertAndGet(t *testing.T) {
	e := newRecEnv(t)
	tok := e.a.adminTok
	st, body := e.do(t, "POST", "/crm/v8/leads", tok, `{"data":[{"First_Name":"Jason","Last_Name":"Smith","Email":"j.smith@zylker.com",
		"No_of_Employees":"42","Annual_Revenue":1234.567,"Email_Opt_Out":true,"Lead_Source":"Made Up Source","Full_Name":"ignored",
		"Unknown_Field":1,"id":"1"}],"trigger":["workflow"]}`)
	if st != 201 {
		t.Fatalf("insert: %d %v", st, body)
	}
	ent := crmdtest.Entries(t, body)[0]
	id := ent["details"].(map[string]any)["id"].(string)
	if len(id) != 19 {
		t.Errorf("id %q is not 19 digits", id)
	}
	adminRef := fmt.Sprintf(`{"name":"Patricia Boyle","id":"%s"}`, e.a.admin.ID)
	crmdtest.JSONEq(t, "insert entry", ent, fmt.Sprintf(`{"code":"SUCCESS","message":"record added","status":"success","details":{
		"id":"%s","Created_Time":"2024-05-13T13:32:33+05:30","Modified_Time":"2024-05-13T13:32:33+05:30",
		"Created_By":%s,"Modified_By":%s,"$approval_state":"approved"}}`, id, adminRef, adminRef))

	st, body = e.do(t, "GET", "/crm/v8/Leads/"+id, tok, "")
	if st != 200 {
		t.Fatalf("get: %d %v", st, body)
	}
	if _, ok := body["info"]; ok {
		t.Error("single GET carries info")
	}
	rec := crmdtest.Entries(t, body)[0]
	owner := fmt.Sprintf(`{"name":"Patricia Boyle","id":"%s","email":"boss@acme.test"}`, e.a.admin.ID)
	for k, want := range map[string]string{
		"id": `"` + id + `"`, "First_Name": `"Jason"`, "Last_Name": `"Smith"`, "Full_Name": `"Jason Smith"`,
		"Email": `"j.smith@zylker.com"`, "No_of_Employees": `42`, "Annual_Revenue": `1234.57`, "Email_Opt_Out": `true`,
		"Lead_Source": `"Made Up Source"`, "Company": `null`, "Description": `null`, "Owner": owner, "Created_By": owner,
		"Modified_By": owner, "Created_Time": `"2024-05-13T13:32:33+05:30"`, "Modified_Time": `"2024-05-13T13:32:33+05:30"`,
		"$approved": `true`, "$approval_state": `"approved"`, "$editable": `true`,
	} {
		crmdtest.JSONEq(t, "record."+k, rec[k], want)
	}
	if _, ok := rec["Unknown_Field"]; ok {
		t.Error("unknown input field was stored")
	}

	// fields selects keys; id always comes back.
	st, body = e.do(t, "GET", "/crm/v8/Leads/"+id+"?fields=Last_Name,owner", tok, "")
	if st != 200 {
		t.Fatalf("get fields: %d %v", st, body)
	}
	crmdtest.JSONEq(t, "selected", crmdtest.Entries(t, body)[0], fmt.Sprintf(`{"id":"%s","Last_Name":"Smith","Owner":%s}`, id, owner))
}

func TestRecordsGetUnknownIsIndistinguishable(t *testing.T) {
	e := newRecEnv(t)
	b := e.addOrg(t, "Other", "UTC")
	mine := e.insert(t, "Leads", e.a.adminTok, `{"Last_Name":"Mine"}`)[0]
	deleted := e.insert(t, "Leads", e.a.adminTok, `{"Last_Name":"Gone"}`)[0]
	if st, body := e.do(t, "DELETE", "/crm/v8/Leads/"+deleted, e.a.adminTok, ""); st != 200 {
		t.Fatalf("delete: %d %v", st, body)
	}
	account := e.insert(t, "Accounts", e.a.adminTok, `{"Account_Name":"Zylker"}`)[0]
	want := `{"code":"INVALID_DATA","details":{"resource_path_index":1},"message":"the id given seems to be invalid","status":"error"}`
	for name, c := range map[string]struct{ path, tok string }{
		"never existed":  {"/crm/v8/Leads/1234567000000000001", e.a.adminTok},
		"deleted":        {"/crm/v8/Leads/" + deleted, e.a.adminTok},
		"other module":   {"/crm/v8/Leads/" + account, e.a.adminTok},
		"other org":      {"/crm/v8/Leads/" + mine, b.adminTok},
		"malformed":      {"/crm/v8/Leads/abc", e.a.adminTok},
		"too long":       {"/crm/v8/Leads/12345678901234567890", e.a.adminTok},
		"zero":           {"/crm/v8/Leads/0", e.a.adminTok},
		"other org v2.1": {"/crm/v2.1/Leads/" + mine, b.adminTok},
	} {
		st, body := e.do(t, "GET", c.path, c.tok, "")
		if st != 400 {
			t.Errorf("%s: status %d", name, st)
		}
		crmdtest.JSONEq(t, name, body, want)
	}
}

func TestRecordsInsertErrors(t *testing.T) {
	e := newRecEnv(t)
	tok := e.a.adminTok
	many := strings.TrimSuffix(strings.Repeat(`{"Last_Name":"x"},`, 101), ",")
	long := strings.Repeat("x", 81)
	cases := []struct {
		name, module, body string
		status             int
		want               string // the whole answer
	}{
		{"empty body", "Leads", ``, 400,
			`{"code":"MANDATORY_NOT_FOUND","details":{"api_name":"data","expected_data_type":"jsonarray"},"message":"required field not found","status":"error"}`},
		{"no data key", "Leads", `{"trigger":[]}`, 400,
			`{"code":"MANDATORY_NOT_FOUND","details":{"api_name":"data","expected_data_type":"jsonarray"},"message":"required field not found","status":"error"}`},
		{"empty data", "Leads", `{"data":[]}`, 400,
			`{"code":"MANDATORY_NOT_FOUND","details":{"api_name":"data","expected_data_type":"jsonarray"},"message":"required field not found","status":"error"}`},
		{"data not array", "Leads", `{"data":{"Last_Name":"x"}}`, 400,
			`{"code":"INVALID_DATA","details":{"api_name":"data","json_path":"$.data","expected_data_type":"jsonarray"},"message":"invalid data","status":"error"}`},
		{"too many", "Leads", `{"data":[` + many + `]}`, 400,
			`{"code":"LIMIT_EXCEEDED","details":{"limit":100,"api_name":"data","json_path":"$.data"},"message":"limit exceeded","status":"error"}`},
		{"unparsable", "Leads", `{"data":[`, 400,
			`{"code":"UNABLE_TO_PARSE_DATA_TYPE","details":{},"message":"either the request body or parameters is in wrong format","status":"error"}`},
		{"element not object", "Leads", `{"data":[5]}`, 400,
			`{"data":[{"code":"INVALID_DATA","details":{"json_path":"$.data[0]","expected_data_type":"jsonobject"},"message":"invalid data","status":"error"}]}`},
		{"mandatory missing", "Leads", `{"data":[{"First_Name":"x"}]}`, 400,
			`{"data":[{"code":"MANDATORY_NOT_FOUND","details":{"api_name":"Last_Name","json_path":"$.data[0].Last_Name"},"message":"required field not found","status":"error"}]}`},
		{"mandatory null", "Leads", `{"data":[{"Last_Name":null}]}`, 400,
			`{"data":[{"code":"MANDATORY_NOT_FOUND","details":{"api_name":"Last_Name","json_path":"$.data[0].Last_Name"},"message":"required field not found","status":"error"}]}`},
		{"mandatory empty", "Leads", `{"data":[{"Last_Name":""}]}`, 400,
			`{"data":[{"code":"MANDATORY_NOT_FOUND","details":{"api_name":"Last_Name","json_path":"$.data[0].Last_Name"},"message":"required field not found","status":"error"}]}`},
		{"wrong type", "Leads", `{"data":[{"Last_Name":"x","No_of_Employees":"many"}]}`, 400,
			`{"data":[{"code":"INVALID_DATA","details":{"api_name":"No_of_Employees","json_path":"$.data[0].No_of_Employees","expected_data_type":"integer"},"message":"invalid data","status":"error"}]}`},
		{"boolean as string", "Leads", `{"data":[{"Last_Name":"x","Email_Opt_Out":"false"}]}`, 400,
			`{"data":[{"code":"INVALID_DATA","details":{"api_name":"Email_Opt_Out","json_path":"$.data[0].Email_Opt_Out","expected_data_type":"boolean"},"message":"invalid data","status":"error"}]}`},
		{"bad email", "Leads", `{"data":[{"Last_Name":"x","Email":"nope"}]}`, 400,
			`{"data":[{"code":"INVALID_DATA","details":{"api_name":"Email","json_path":"$.data[0].Email","expected_data_type":"email"},"message":"invalid data","status":"error"}]}`},
		{"too long", "Leads", `{"data":[{"Last_Name":"` + long + `"}]}`, 400,
			`{"data":[{"code":"INVALID_DATA","details":{"api_name":"Last_Name","json_path":"$.data[0].Last_Name","maximum_length":80},"message":"invalid data","status":"error"}]}`},
		{"bad approval state", "Leads", `{"data":[{"Last_Name":"x","$approval_state":"maybe"}]}`, 400,
			`{"data":[{"code":"INVALID_DATA","details":{"api_name":"$approval_state","json_path":"$.data[0].$approval_state"},"message":"invalid data","status":"error"}]}`},
		{"unknown lookup", "Contacts", `{"data":[{"Last_Name":"x","Account_Name":{"id":"1234567000000000001"}}]}`, 400,
			`{"data":[{"code":"INVALID_DATA","details":{"api_name":"Account_Name","json_path":"$.data[0].Account_Name","expected_data_type":"lookup"},"message":"invalid data","status":"error"}]}`},
		{"unknown owner", "Leads", `{"data":[{"Last_Name":"x","Owner":"1234567000000000001"}]}`, 400,
			`{"data":[{"code":"INVALID_DATA","details":{"api_name":"Owner","json_path":"$.data[0].Owner","expected_data_type":"ownerlookup"},"message":"invalid data","status":"error"}]}`},
		{"bad date", "Deals", `{"data":[{"Deal_Name":"d","Stage":"Qualification","Closing_Date":"2024-13-01"}]}`, 400,
			`{"data":[{"code":"INVALID_DATA","details":{"api_name":"Closing_Date","json_path":"$.data[0].Closing_Date","expected_data_type":"date"},"message":"invalid data","status":"error"}]}`},
	}
	for _, c := range cases {
		st, body := e.do(t, "POST", "/crm/v8/"+c.module, tok, c.body)
		if st != c.status {
			t.Errorf("%s: status %d, want %d (%v)", c.name, st, c.status, body)
		}
		crmdtest.JSONEq(t, c.name, body, c.want)
	}
	// Nothing of the failed requests was written.
	if st, _ := e.do(t, "GET", "/crm/v8/Leads?fields=Last_Name&approved=both", tok, ""); st != 204 {
		t.Errorf("failed inserts left records behind: %d", st)
	}
}

func TestRecordsInsertMixedAndLookups(t *testing.T) {
	e := newRecEnv(t)
	tok := e.a.adminTok
	acc := e.insert(t, "Accounts", tok, `{"Account_Name":"Zylker"}`)[0]
	st, body := e.do(t, "POST", "/crm/v8/Contacts", tok, fmt.Sprintf(`{"data":[
		{"Last_Name":"A","Account_Name":{"id":"%s"},"Owner":{"id":"%s"},"$approval_state":"approval_process_pending"},
		{"First_Name":"no last name"},
		{"Last_Name":"C","Account_Name":"%s","Date_of_Birth":"1990-02-03","Mailing_City":null}]}`, acc, e.a.std.ID, acc))
	if st != 207 {
		t.Fatalf("mixed insert: %d %v", st, body)
	}
	ents := crmdtest.Entries(t, body)
	if ents[0]["status"] != "success" || ents[1]["code"] != "MANDATORY_NOT_FOUND" || ents[2]["status"] != "success" {
		t.Fatalf("entries: %v", ents)
	}
	crmdtest.JSONEq(t, "approval state in details", ents[0]["details"].(map[string]any)["$approval_state"], `"approval_process_pending"`)
	first := ents[0]["details"].(map[string]any)["id"].(string)
	third := ents[2]["details"].(map[string]any)["id"].(string)

	_, body = e.do(t, "GET", "/crm/v8/Contacts/"+first, tok, "")
	rec := crmdtest.Entries(t, body)[0]
	crmdtest.JSONEq(t, "lookup", rec["Account_Name"], fmt.Sprintf(`{"id":"%s","name":"Zylker"}`, acc))
	crmdtest.JSONEq(t, "owner", rec["Owner"], fmt.Sprintf(`{"id":"%s","name":"Sam Rep","email":"rep@acme.test"}`, e.a.std.ID))
	crmdtest.JSONEq(t, "created by", rec["Created_By"], fmt.Sprintf(`{"id":"%s","name":"Patricia Boyle","email":"boss@acme.test"}`, e.a.admin.ID))
	crmdtest.JSONEq(t, "$approved", rec["$approved"], `false`)
	crmdtest.JSONEq(t, "$approval_state", rec["$approval_state"], `"approval_process_pending"`)

	// Default listing shows approved records only; false only the others; both all.
	for q, want := range map[string][]string{"": {third}, "&approved=true": {third}, "&approved=false": {first}, "&approved=both": {third, first}} {
		_, body := e.do(t, "GET", "/crm/v8/Contacts?fields=Last_Name"+q, tok, "")
		var got []string
		for _, r := range crmdtest.Entries(t, body) {
			got = append(got, r["id"].(string))
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("approved %q: got %v, want %v", q, got, want)
		}
	}

	// A lookup to a deleted record is refused.
	if st, body := e.do(t, "DELETE", "/crm/v8/Accounts?ids="+acc, tok, ""); st != 200 {
		t.Fatalf("delete account: %d %v", st, body)
	}
	st, body = e.do(t, "POST", "/crm/v8/Contacts", tok, fmt.Sprintf(`{"data":[{"Last_Name":"D","Account_Name":"%s"}]}`, acc))
	if st != 400 || crmdtest.Entries(t, body)[0]["code"] != "INVALID_DATA" {
		t.Errorf("lookup to deleted record: %d %v", st, body)
	}
}

func TestRecordsListVersions(t *testing.T) {
	e := newRecEnv(t)
	tok := e.a.adminTok
	ids := e.insert(t, "Leads", tok, `{"Last_Name":"A"}`, `{"Last_Name":"B"}`)

	// v8: fields is mandatory.
	st, body := e.do(t, "GET", "/crm/v8/Leads", tok, "")
	if st != 400 {
		t.Errorf("v8 without fields: %d", st)
	}
	crmdtest.JSONEq(t, "v8 without fields", body, `{"code":"REQUIRED_PARAM_MISSING","details":{"param_name":"fields"},"message":"required param is missing","status":"error"}`)

	// v8 info carries the extended keys; records carry only the selected keys.
	st, body = e.do(t, "GET", "/crm/v8/Leads?fields=Last_Name,Email&", tok, "")
	if st != 200 {
		t.Fatalf("v8 list: %d %v", st, body)
	}
	crmdtest.JSONEq(t, "v8 info", body["info"], `{"call":false,"count":2,"email":false,"more_records":false,"next_page_token":null,"page":1,
		"page_token_expiry":null,"per_page":200,"previous_page_token":null,"sort_by":"id","sort_order":"desc"}`)
	crmdtest.JSONEq(t, "v8 record", crmdtest.Entries(t, body)[0], fmt.Sprintf(`{"id":"%s","Last_Name":"B","Email":null}`, ids[1]))

	// v2 and v4: fields optional, whole records, short info.
	for _, v := range []string{"v2", "v2.1", "v3", "v4"} {
		st, body = e.do(t, "GET", "/crm/"+v+"/Leads", tok, "")
		if st != 200 {
			t.Fatalf("%s list: %d %v", v, st, body)
		}
		crmdtest.JSONEq(t, v+" info", body["info"], `{"count":2,"more_records":false,"page":1,"per_page":200}`)
		rec := crmdtest.Entries(t, body)[0]
		if _, ok := rec["Modified_Time"]; !ok || rec["Full_Name"] != "B" {
			t.Errorf("%s record is not whole: %v", v, rec)
		}
	}

	// v2 sorts on any field; v3+ only on id and the times.
	e.insert(t, "Leads", tok, `{"Last_Name":"0first"}`)
	_, body = e.do(t, "GET", "/crm/v2/Leads?sort_by=last_name&sort_order=asc", tok, "")
	if got := crmdtest.Entries(t, body)[0]["Last_Name"]; got != "0first" {
		t.Errorf("v2 sort by Last_Name: first is %v", got)
	}
	st, body = e.do(t, "GET", "/crm/v3/Leads?sort_by=Last_Name", tok, "")
	if st != 400 {
		t.Errorf("v3 sort by field: %d", st)
	}
	crmdtest.JSONEq(t, "v3 sort_by", body, `{"code":"INVALID_DATA","details":{"param_name":"sort_by","supported_values":["id","Created_Time","Modified_Time"]},"message":"invalid data","status":"error"}`)
}

func TestRecordsListParamErrors(t *testing.T) {
	e := newRecEnv(t)
	tok := e.a.adminTok
	e.insert(t, "Leads", tok, `{"Last_Name":"A"}`)
	var names []string
	for i := 0; i < 51; i++ {
		names = append(names, fmt.Sprintf("Field_%d", i))
	}
	cases := []struct {
		name, query string
		want        string
	}{
		{"too many fields", "fields=" + strings.Join(names, ","),
			`{"code":"LIMIT_EXCEEDED","details":{"limit":50,"param_name":"fields"},"message":"limit exceeded","status":"error"}`},
		{"unknown field", "fields=Last_Name,Nope",
			`{"code":"INVALID_DATA","details":{"param_name":"fields","api_name":"Nope"},"message":"invalid data","status":"error"}`},
		{"page zero", "fields=Last_Name&page=0", `{"code":"INVALID_DATA","details":{"param_name":"page"},"message":"invalid data","status":"error"}`},
		{"page word", "fields=Last_Name&page=one", `{"code":"INVALID_DATA","details":{"param_name":"page"},"message":"invalid data","status":"error"}`},
		{"per_page word", "fields=Last_Name&per_page=x", `{"code":"INVALID_DATA","details":{"param_name":"per_page"},"message":"invalid data","status":"error"}`},
		{"per_page zero", "fields=Last_Name&per_page=0", `{"code":"INVALID_DATA","details":{"param_name":"per_page"},"message":"invalid data","status":"error"}`},
		{"sort_order", "fields=Last_Name&sort_order=up", `{"code":"INVALID_DATA","details":{"param_name":"sort_order"},"message":"invalid data","status":"error"}`},
		{"approved", "fields=Last_Name&approved=maybe", `{"code":"INVALID_DATA","details":{"param_name":"approved"},"message":"invalid data","status":"error"}`},
		{"ids", "fields=Last_Name&ids=1,x", `{"code":"INVALID_DATA","details":{"param_name":"ids"},"message":"invalid data","status":"error"}`},
		{"discrete limit", "fields=Last_Name&page=11",
			`{"code":"DISCRETE_PAGINATION_LIMIT_EXCEEDED","details":{"limit":2000},"message":"You can only get the first 2000 records without using page_token param","status":"error"}`},
		{"page and token", "fields=Last_Name&page=2&page_token=abc",
			`{"code":"AMBIGUITY_DURING_PROCESSING","details":{"ambiguity_due_to":[{"param_name":"page"},{"param_name":"page_token"}]},"message":"ambiguity during processing","status":"error"}`},
		{"garbage token", "fields=Last_Name&page_token=abc", `{"code":"INVALID_DATA","details":{"param_name":"page_token"},"message":"invalid data","status":"error"}`},
	}
	for _, c := range cases {
		st, body := e.do(t, "GET", "/crm/v8/Leads?"+c.query, tok, "")
		if st != 400 {
			t.Errorf("%s: status %d", c.name, st)
		}
		crmdtest.JSONEq(t, c.name, body, c.want)
	}
	// v2–v4 have no discrete limit and no page tokens; per_page above 200 is clamped.
	if st, _ := e.do(t, "GET", "/crm/v2/Leads?page=50", tok, ""); st != 204 {
		t.Errorf("v2 page 50: %d", st)
	}
	if st, body := e.do(t, "GET", "/crm/v2/Leads?page_token=abc&per_page=500", tok, ""); st != 200 || body["info"].(map[string]any)["per_page"] != 200.0 {
		t.Errorf("v2 ignores page_token and clamps per_page: %d %v", st, body)
	}
}

func TestRecordsPaging(t *testing.T) {
	e := newRecEnv(t)
	tok := e.a.adminTok
	var all []string
	for b := 0; b < 5; b++ {
		var recs []string
		for i := 0; i < 90; i++ {
			recs = append(recs, fmt.Sprintf(`{"Last_Name":"L%03d"}`, b*90+i))
		}
		all = append(all, e.insert(t, "Leads", tok, recs...)...)
		e.clock.Advance(time.Second)
	}
	// Newest id first by default.
	want := make([]string, len(all))
	for i := range all {
		want[i] = all[len(all)-1-i]
	}

	// v8: pages by token, 200 at a time.
	var got []string
	path := "/crm/v8/Leads?fields=Last_Name&per_page=200"
	st, body := e.do(t, "GET", path, tok, "")
	for pageNo := 1; ; pageNo++ {
		if st != 200 {
			t.Fatalf("page %d: %d %v", pageNo, st, body)
		}
		info := body["info"].(map[string]any)
		if info["page"] != float64(pageNo) {
			t.Errorf("page %d: info.page %v", pageNo, info["page"])
		}
		got = append(got, crmdtest.IDs(t, body, "data")...)
		if info["more_records"] != true {
			if info["next_page_token"] != nil {
				t.Errorf("last page has a next_page_token")
			}
			break
		}
		tokStr, _ := info["next_page_token"].(string)
		if len(tokStr) == 0 || len(tokStr) > 96 {
			t.Fatalf("next_page_token %q", tokStr)
		}
		if info["page_token_expiry"] != "2024-05-14T13:32:38+05:30" {
			t.Errorf("page_token_expiry %v", info["page_token_expiry"])
		}
		st, body = e.do(t, "GET", path+"&page_token="+tokStr, tok, "")
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("token walk: got %d ids, want %d in id order", len(got), len(want))
	}

	// v2: pages by number; ascending by Created_Time walks insertion order.
	got = nil
	for p := 1; ; p++ {
		st, body := e.do(t, "GET", fmt.Sprintf("/crm/v2/Leads?sort_by=Created_Time&sort_order=asc&per_page=100&page=%d", p), tok, "")
		if st == 204 {
			break
		}
		got = append(got, crmdtest.IDs(t, body, "data")...)
		if body["info"].(map[string]any)["more_records"] != true {
			break
		}
	}
	if strings.Join(got, ",") != strings.Join(all, ",") {
		t.Errorf("v2 page walk: got %d ids in the wrong order", len(got))
	}

	// A token is bound to its parameters, its user and its lifetime.
	_, body = e.do(t, "GET", "/crm/v8/Leads?fields=Last_Name&per_page=10&sort_by=Modified_Time", tok, "")
	next := body["info"].(map[string]any)["next_page_token"].(string)
	for name, c := range map[string]struct{ query, tok, want string }{
		"changed sort order": {"fields=Last_Name&sort_by=Modified_Time&sort_order=asc", tok,
			`{"code":"TOKEN_BOUND_DATA_MISMATCH","details":{"param_name":"page_token"},"message":"The page_token given seems to be invalid or input param is added or altered or deleted","status":"error"}`},
		"changed fields": {"fields=Last_Name,Email&sort_by=Modified_Time", tok,
			`{"code":"TOKEN_BOUND_DATA_MISMATCH","details":{"param_name":"page_token"},"message":"The page_token given seems to be invalid or input param is added or altered or deleted","status":"error"}`},
		"other user": {"fields=Last_Name&sort_by=Modified_Time", e.a.stdTok,
			`{"code":"TOKEN_BOUND_DATA_MISMATCH","details":{"param_name":"page_token"},"message":"The page_token given seems to be invalid or input param is added or altered or deleted","status":"error"}`},
		"tampered": {"fields=Last_Name&sort_by=Modified_Time", tok, `{"code":"INVALID_DATA","details":{"param_name":"page_token"},"message":"invalid data","status":"error"}`},
	} {
		tk := next
		if name == "tampered" {
			tk = "A" + next[1:]
			if tk == next {
				tk = "B" + next[1:]
			}
		}
		st, body := e.do(t, "GET", "/crm/v8/Leads?"+c.query+"&page_token="+tk, c.tok, "")
		if st != 400 {
			t.Errorf("%s: %d", name, st)
		}
		crmdtest.JSONEq(t, name, body, c.want)
	}
	// per_page may change between pages.
	if st, body := e.do(t, "GET", "/crm/v8/Leads?fields=Last_Name&sort_by=Modified_Time&per_page=5&page_token="+next, tok, ""); st != 200 || len(crmdtest.Entries(t, body)) != 5 {
		t.Errorf("token with another per_page: %d", st)
	}
	e.clock.Advance(25 * time.Hour)
	st, body = e.do(t, "GET", "/crm/v8/Leads?fields=Last_Name&sort_by=Modified_Time&page_token="+next, tok, "")
	if st != 400 {
		t.Errorf("expired token: %d", st)
	}
	crmdtest.JSONEq(t, "expired", body, `{"code":"EXPIRED_VALUE","details":{"api_name":"page_token","json_path":"$.query.page_token"},"message":"Page token expired","status":"error"}`)
}

func TestRecordsUpdate(t *testing.T) {
	e := newRecEnv(t)
	tok := e.a.adminTok
	ids := e.insert(t, "Leads", tok, `{"First_Name":"Jason","Last_Name":"Smith","Company":"Zylker"}`, `{"Last_Name":"Other"}`)
	e.clock.Advance(time.Minute)
	st, body := e.do(t, "PUT", "/crm/v8/Leads", tok, fmt.Sprintf(`{"data":[
		{"id":"%s","Last_Name":"Smythe","Company":null,"Owner":{"id":"%s"}},
		{"id":"1234567000000000001","Last_Name":"x"},
		{"Last_Name":"no id"},
		{"id":"%s","Last_Name":null},
		{"id":"%s","Email":"bad"},
		{"id":"12x","Last_Name":"x"},
		7]}`, ids[0], e.a.std.ID, ids[1], ids[1]))
	if st != 207 {
		t.Fatalf("bulk update: %d %v", st, body)
	}
	adminRef := fmt.Sprintf(`{"name":"Patricia Boyle","id":"%s"}`, e.a.admin.ID)
	crmdtest.JSONEq(t, "bulk update", body, fmt.Sprintf(`{"data":[
		{"code":"SUCCESS","message":"record updated","status":"success","details":{"id":"%s","Created_Time":"2024-05-13T13:32:33+05:30",
			"Modified_Time":"2024-05-13T13:33:33+05:30","Created_By":%s,"Modified_By":%s,"$approval_state":"approved"}},
		{"code":"INVALID_DATA","details":{"id":"1234567000000000001"},"message":"the id given seems to be invalid","status":"error"},
		{"code":"MANDATORY_NOT_FOUND","details":{"api_name":"id","json_path":"$.data[2].id"},"message":"required field not found","status":"error"},
		{"code":"MANDATORY_NOT_FOUND","details":{"api_name":"Last_Name","json_path":"$.data[3].Last_Name"},"message":"required field not found","status":"error"},
		{"code":"INVALID_DATA","details":{"api_name":"Email","json_path":"$.data[4].Email","expected_data_type":"email"},"message":"invalid data","status":"error"},
		{"code":"INVALID_DATA","details":{"api_name":"id","json_path":"$.data[5].id"},"message":"the id given seems to be invalid","status":"error"},
		{"code":"INVALID_DATA","details":{"json_path":"$.data[6]","expected_data_type":"jsonobject"},"message":"invalid data","status":"error"}
	]}`, ids[0], adminRef, adminRef))

	_, body = e.do(t, "GET", "/crm/v8/Leads/"+ids[0], tok, "")
	rec := crmdtest.Entries(t, body)[0]
	crmdtest.JSONEq(t, "updated", map[string]any{"Last_Name": rec["Last_Name"], "Full_Name": rec["Full_Name"], "Company": rec["Company"],
		"First_Name": rec["First_Name"], "Owner": rec["Owner"].(map[string]any)["id"]},
		fmt.Sprintf(`{"Last_Name":"Smythe","Full_Name":"Jason Smythe","Company":null,"First_Name":"Jason","Owner":"%s"}`, e.a.std.ID))

	// PUT /{module}/{id}: the path names the record.
	st, body = e.do(t, "PUT", "/crm/v8/Leads/"+ids[1], tok, `{"data":[{"Company":"Acme","id":"999"}]}`)
	if st != 200 || crmdtest.Entries(t, body)[0]["details"].(map[string]any)["id"] != ids[1] {
		t.Fatalf("update one: %d %v", st, body)
	}
	for name, c := range map[string]struct {
		path, body string
		status     int
		want       string
	}{
		"malformed path id": {"/crm/v8/Leads/abc", `{"data":[{"Company":"x"}]}`, 400,
			`{"code":"INVALID_DATA","details":{"resource_path_index":1},"message":"the id given seems to be invalid","status":"error"}`},
		"unknown path id": {"/crm/v8/Leads/1234567000000000001", `{"data":[{"Company":"x"}]}`, 400,
			`{"data":[{"code":"INVALID_DATA","details":{"id":"1234567000000000001"},"message":"the id given seems to be invalid","status":"error"}]}`},
		"two entries": {"/crm/v8/Leads/" + ids[1], `{"data":[{},{}]}`, 400,
			`{"code":"LIMIT_EXCEEDED","details":{"limit":1,"api_name":"data","json_path":"$.data"},"message":"limit exceeded","status":"error"}`},
		"no body": {"/crm/v8/Leads/" + ids[1], ``, 400,
			`{"code":"MANDATORY_NOT_FOUND","details":{"api_name":"data","expected_data_type":"jsonarray"},"message":"required field not found","status":"error"}`},
		"bulk too many": {"/crm/v8/Leads", `{"data":[` + strings.TrimSuffix(strings.Repeat(`{},`, 101), ",") + `]}`, 400,
			`{"code":"LIMIT_EXCEEDED","details":{"limit":100,"api_name":"data","json_path":"$.data"},"message":"limit exceeded","status":"error"}`},
	} {
		st, body := e.do(t, "PUT", c.path, tok, c.body)
		if st != c.status {
			t.Errorf("%s: %d", name, st)
		}
		crmdtest.JSONEq(t, name, body, c.want)
	}
}

func TestRecordsDelete(t *testing.T) {
	e := newRecEnv(t)
	tok := e.a.adminTok
	ids := e.insert(t, "Leads", tok, `{"Last_Name":"A"}`, `{"Last_Name":"B"}`, `{"Last_Name":"Pending","$approval_state":"review_process_pending"}`)
	e.clock.Advance(time.Hour)
	st, body := e.do(t, "DELETE", fmt.Sprintf("/crm/v8/Leads?ids=%s,%s,1234567000000000001,%s,%s&wf_trigger=false", ids[0], ids[2], ids[0], ids[1]), tok, "")
	if st != 207 {
		t.Fatalf("delete: %d %v", st, body)
	}
	crmdtest.JSONEq(t, "delete", body, fmt.Sprintf(`{"data":[
		{"code":"SUCCESS","details":{"id":"%s"},"message":"record deleted","status":"success"},
		{"code":"NOT_APPROVED","details":{"id":"%s"},"message":"cannot delete record that is not approved yet","status":"error"},
		{"code":"INVALID_DATA","details":{"id":"1234567000000000001"},"message":"record not deleted","status":"error"},
		{"code":"SUCCESS","details":{"id":"%s"},"message":"record deleted","status":"success"}]}`, ids[0], ids[2], ids[1]))

	// Deleted records leave every read path …
	if st, _ := e.do(t, "GET", "/crm/v8/Leads/"+ids[0], tok, ""); st != 400 {
		t.Errorf("GET of a deleted record: %d", st)
	}
	_, body = e.do(t, "GET", "/crm/v8/Leads?fields=Last_Name&approved=both", tok, "")
	if got := crmdtest.IDs(t, body, "data"); len(got) != 1 || got[0] != ids[2] {
		t.Errorf("list after delete: %v", got)
	}
	// … cannot be deleted or updated again …
	st, body = e.do(t, "DELETE", "/crm/v8/Leads/"+ids[0], tok, "")
	if st != 400 {
		t.Errorf("second delete: %d", st)
	}
	crmdtest.JSONEq(t, "second delete", body, fmt.Sprintf(`{"data":[{"code":"INVALID_DATA","details":{"id":"%s"},"message":"record not deleted","status":"error"}]}`, ids[0]))
	if st, _ := e.do(t, "PUT", "/crm/v8/Leads/"+ids[0], tok, `{"data":[{"Company":"x"}]}`); st != 400 {
		t.Errorf("update of a deleted record: %d", st)
	}
	// … and show up in /deleted, newest first.
	st, body = e.do(t, "GET", "/crm/v8/Leads/deleted?type=recycle", tok, "")
	if st != 200 {
		t.Fatalf("deleted: %d %v", st, body)
	}
	admin := fmt.Sprintf(`{"name":"Patricia Boyle","id":"%s"}`, e.a.admin.ID)
	item := func(id, name string) string {
		return fmt.Sprintf(`{"id":"%s","display_name":"%s","type":"recycle","deleted_by":%s,"created_by":%s,"deleted_time":"2024-05-13T14:32:33+05:30"}`, id, name, admin, admin)
	}
	crmdtest.JSONEq(t, "deleted list", body, `{"data":[`+item(ids[1], "B")+`,`+item(ids[0], "A")+`],"info":{"per_page":200,"count":2,"page":1,"more_records":false}}`)
	if st, _ := e.do(t, "GET", "/crm/v2/Leads/deleted?type=permanent", tok, ""); st != 204 {
		t.Errorf("no permanent deletions: %d", st)
	}
	_, body = e.do(t, "GET", "/crm/v8/Leads/deleted?per_page=1&page=2", tok, "")
	crmdtest.JSONEq(t, "deleted page 2", body, `{"data":[`+item(ids[0], "A")+`],"info":{"per_page":1,"count":1,"page":2,"more_records":false}}`)
	st, body = e.do(t, "GET", "/crm/v8/Leads/deleted?type=gone", tok, "")
	if st != 400 {
		t.Errorf("bad type: %d", st)
	}
	crmdtest.JSONEq(t, "bad type", body, `{"code":"PATTERN_NOT_MATCHED","details":{"param_name":"type"},"message":"Please check whether the input values are correct","status":"error"}`)

	// Request-level errors.
	var many []string
	for i := 0; i < 101; i++ {
		many = append(many, fmt.Sprintf("1234567%012d", i+1))
	}
	for name, c := range map[string]struct{ path, want string }{
		"no ids": {"/crm/v8/Leads",
			`{"code":"REQUIRED_PARAM_MISSING","details":{"param_name":"ids"},"message":"One of the expected parameter is missing","status":"error"}`},
		"empty ids": {"/crm/v8/Leads?ids=",
			`{"code":"REQUIRED_PARAM_MISSING","details":{"param_name":"ids"},"message":"One of the expected parameter is missing","status":"error"}`},
		"malformed": {"/crm/v8/Leads?ids=" + ids[2] + ",abc",
			`{"code":"UNABLE_TO_PARSE_DATA_TYPE","details":{"param_name":"ids"},"message":"either the request body or parameters is in wrong format","status":"error"}`},
		"too many": {"/crm/v8/Leads?ids=" + strings.Join(many, ","),
			`{"code":"LIMIT_EXCEEDED","details":{"limit":100,"param_name":"ids"},"message":"limit exceeded","status":"error"}`},
		"malformed path id": {"/crm/v8/Leads/-5",
			`{"code":"INVALID_DATA","details":{"resource_path_index":1},"message":"the id given seems to be invalid","status":"error"}`},
	} {
		st, body := e.do(t, "DELETE", c.path, tok, "")
		if st != 400 {
			t.Errorf("%s: %d", name, st)
		}
		crmdtest.JSONEq(t, name, body, c.want)
	}
	// 100 distinct ids (duplicates do not count) are accepted.
	if st, _ := e.do(t, "DELETE", "/crm/v8/Leads?ids="+strings.Join(many[:100], ",")+","+many[0], tok, ""); st != 400 {
		t.Errorf("100 unknown ids: %d, want 400 with per-id errors", st)
	}
}

func TestRecordsStandardUserOwnsWhatItTouches(t *testing.T) {
	e := newRecEnv(t)
	adminRec := e.insert(t, "Leads", e.a.adminTok, `{"Last_Name":"Admin's"}`)[0]
	stdRec := e.insert(t, "Leads", e.a.stdTok, `{"Last_Name":"Rep's"}`)[0]

	// A Standard user sees every record …
	if st, _ := e.do(t, "GET", "/crm/v8/Leads/"+adminRec, e.a.stdTok, ""); st != 200 {
		t.Errorf("standard user reading the admin's record: %d", st)
	}
	// … but changes and deletes only its own.
	st, body := e.do(t, "PUT", "/crm/v8/Leads", e.a.stdTok, fmt.Sprintf(`{"data":[{"id":"%s","Company":"x"},{"id":"%s","Company":"y"}]}`, adminRec, stdRec))
	if st != 207 {
		t.Fatalf("standard update: %d %v", st, body)
	}
	crmdtest.JSONEq(t, "standard update of another's record", crmdtest.Entries(t, body)[0],
		fmt.Sprintf(`{"code":"NO_PERMISSION","details":{"id":"%s"},"message":"permission denied","status":"error"}`, adminRec))
	st, body = e.do(t, "DELETE", "/crm/v8/Leads/"+adminRec, e.a.stdTok, "")
	if st != 400 {
		t.Errorf("standard delete of another's record: %d", st)
	}
	crmdtest.JSONEq(t, "standard delete", body, fmt.Sprintf(`{"data":[{"code":"NO_PERMISSION","details":{"id":"%s"},"message":"permission denied","status":"error"}]}`, adminRec))
	if st, body := e.do(t, "DELETE", "/crm/v8/Leads?ids="+stdRec, e.a.stdTok, ""); st != 200 {
		t.Errorf("standard delete of its own record: %d %v", st, body)
	}
	// A record handed to the Standard user becomes its to change; the admin may change anything.
	if st, body := e.do(t, "PUT", "/crm/v8/Leads/"+adminRec, e.a.adminTok, fmt.Sprintf(`{"data":[{"Owner":"%s"}]}`, e.a.std.ID)); st != 200 {
		t.Fatalf("admin reassign: %d %v", st, body)
	}
	if st, body := e.do(t, "PUT", "/crm/v8/Leads/"+adminRec, e.a.stdTok, `{"data":[{"Company":"now mine"}]}`); st != 200 {
		t.Errorf("standard update after reassignment: %d %v", st, body)
	}
}

func TestRecordsOrgsNeverMeet(t *testing.T) {
	e := newRecEnv(t)
	b := e.addOrg(t, "Other", "UTC")
	aRec := e.insert(t, "Leads", e.a.adminTok, `{"Last_Name":"A"}`)[0]
	bRec := e.insert(t, "Leads", b.adminTok, `{"Last_Name":"B"}`)[0]
	if aRec[:7] == bRec[:7] {
		t.Errorf("two orgs share an id prefix: %s %s", aRec, bRec)
	}
	_, body := e.do(t, "GET", "/crm/v8/Leads?fields=Last_Name", b.adminTok, "")
	if got := crmdtest.IDs(t, body, "data"); len(got) != 1 || got[0] != bRec {
		t.Errorf("org B lists %v", got)
	}
	if st, _ := e.do(t, "GET", "/crm/v8/Leads?fields=Last_Name&ids="+aRec, b.adminTok, ""); st != 204 {
		t.Errorf("org B filtering on org A's id: %d", st)
	}
	st, body := e.do(t, "PUT", "/crm/v8/Leads/"+aRec, b.adminTok, `{"data":[{"Last_Name":"stolen"}]}`)
	crmdtest.JSONEq(t, "foreign update", body, fmt.Sprintf(`{"data":[{"code":"INVALID_DATA","details":{"id":"%s"},"message":"the id given seems to be invalid","status":"error"}]}`, aRec))
	if st != 400 {
		t.Errorf("foreign update: %d", st)
	}
	st, body = e.do(t, "DELETE", "/crm/v8/Leads?ids="+aRec, b.adminTok, "")
	crmdtest.JSONEq(t, "foreign delete", body, fmt.Sprintf(`{"data":[{"code":"INVALID_DATA","details":{"id":"%s"},"message":"record not deleted","status":"error"}]}`, aRec))
	if st != 400 {
		t.Errorf("foreign delete: %d", st)
	}
	// A lookup cannot reach into another org either.
	st, _ = e.do(t, "POST", "/crm/v8/Contacts", b.adminTok, fmt.Sprintf(`{"data":[{"Last_Name":"x","Account_Name":"%s"}]}`, aRec))
	if st != 400 {
		t.Errorf("foreign lookup: %d", st)
	}
	if st, _ := e.do(t, "GET", "/crm/v8/Leads/deleted", b.adminTok, ""); st != 204 {
		t.Errorf("org B's recycle bin is not empty: %d", st)
	}
	_, body = e.do(t, "GET", "/crm/v8/Leads/"+aRec, e.a.adminTok, "")
	if crmdtest.Entries(t, body)[0]["Last_Name"] != "A" {
		t.Errorf("org A's record changed: %v", body)
	}
}

func TestRecordsScopes(t *testing.T) {
	e := newRecEnv(t)
	ro := e.a.fx.Token(t, e.a.admin, "ZohoCRM.modules.leads.READ")
	id := e.insert(t, "Leads", e.a.adminTok, `{"Last_Name":"A"}`)[0]
	if st, _ := e.do(t, "GET", "/crm/v8/Leads/"+id, ro, ""); st != 200 {
		t.Errorf("read with READ scope: %d", st)
	}
	mismatch := `{"code":"OAUTH_SCOPE_MISMATCH","details":{},"message":"invalid oauth scope to access this URL","status":"error"}`
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/crm/v8/Leads", `{"data":[{"Last_Name":"x"}]}`},
		{"PUT", "/crm/v8/Leads/" + id, `{"data":[{"Last_Name":"x"}]}`},
		{"PUT", "/crm/v8/Leads", `{"data":[{"id":"` + id + `"}]}`},
		{"DELETE", "/crm/v8/Leads?ids=" + id, ``},
		{"DELETE", "/crm/v8/Leads/" + id, ``},
		{"GET", "/crm/v8/Accounts?fields=Account_Name", ``},
		{"GET", "/crm/v8/Accounts/deleted", ``},
	} {
		st, body := e.do(t, c.method, c.path, ro, c.body)
		if st != 401 {
			t.Errorf("%s %s: %d", c.method, c.path, st)
		}
		crmdtest.JSONEq(t, c.method+" "+c.path, body, mismatch)
	}
}

// TestRecordsBooleanNeverEmpty checks that a checkbox left out on insert, or cleared with null, reads
// back as false (and is stored so, for views that filter on it).
func TestRecordsBooleanNeverEmpty(t *testing.T) {
	e := newRecEnv(t)
	ids := e.insert(t, "Leads", e.a.adminTok, `{"Last_Name":"Box"}`, `{"Last_Name":"Ticked","Email_Opt_Out":true}`)
	_, body := e.do(t, "GET", "/crm/v8/Leads/"+ids[0]+"?fields=Email_Opt_Out", e.a.adminTok, "")
	crmdtest.JSONEq(t, "unset checkbox", crmdtest.Entries(t, body)[0]["Email_Opt_Out"], `false`)
	if st, body := e.do(t, "PUT", "/crm/v8/Leads/"+ids[1], e.a.adminTok, `{"data":[{"Email_Opt_Out":null}]}`); st != 200 {
		t.Fatalf("update: %d %v", st, body)
	}
	_, body = e.do(t, "GET", "/crm/v8/Leads/"+ids[1]+"?fields=Email_Opt_Out", e.a.adminTok, "")
	crmdtest.JSONEq(t, "cleared checkbox", crmdtest.Entries(t, body)[0]["Email_Opt_Out"], `false`)
}

// TestRecordsAutonumber checks that Case_Number numbers a module's records 1, 2, 3 … across inserts,
// as text, and that a client cannot set it.
func TestRecordsAutonumber(t *testing.T) {
	e := newRecEnv(t)
	c := `{"Subject":"S","Status":"New","Case_Origin":"Web","Case_Number":"999"}`
	ids := e.insert(t, "Cases", e.a.adminTok, c, c)
	ids = append(ids, e.insert(t, "Cases", e.a.adminTok, c)...)
	for i, id := range ids {
		_, body := e.do(t, "GET", "/crm/v8/Cases/"+id+"?fields=Case_Number", e.a.adminTok, "")
		crmdtest.JSONEq(t, "Case_Number", crmdtest.Entries(t, body)[0]["Case_Number"], fmt.Sprintf(`"%d"`, i+1))
	}
}
