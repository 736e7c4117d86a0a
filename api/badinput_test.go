package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/crmd/crmd/crmdtest"
)

// The bad input catalogue (issue "Reliability and security", item 2): malformed requests of every kind,
// each with the exact status and Zoho code — and, where docs/ fixes them, the
// details — a client gets. Every answer must be JSON of Zoho's shape, and a refused request must leave
// every table of the database exactly as it was.

// badScope is every scope family the catalogue's endpoints need, so that rows fail on their input
// and not on the token.
const badScope = "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.mass_delete.ALL,ZohoCRM.users.ALL,ZohoCRM.org.ALL"

// rawAnswer is an HTTP answer as the client got it.
type rawAnswer struct {
	status int
	ctype  string
	body   []byte
}

// rawCall sends a request with headers as given (several values per name allowed) and, with chunked,
// without a Content-Length, so that only the server's reading of the body can find it too large.
func rawCall(t testing.TB, method, url string, header http.Header, body string, chunked bool) rawAnswer {
	t.Helper()
	var rd io.Reader = strings.NewReader(body)
	if chunked {
		rd = io.MultiReader(strings.NewReader(body)) // hides the length from http.NewRequest
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return rawAnswer{status: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), body: raw}
}

// zohoShape checks that an answer is what Zoho's clients can read: a 204 with no body, or a JSON object
// with a JSON content type; a request-level error has exactly code, details (an object), message and
// status "error". It returns the decoded object (nil for 204).
func zohoShape(t testing.TB, a rawAnswer) map[string]any {
	t.Helper()
	if a.status == http.StatusNoContent {
		if len(a.body) != 0 {
			t.Fatalf("204 with a body %q", a.body)
		}
		return nil
	}
	if !strings.HasPrefix(a.ctype, "application/json") {
		t.Fatalf("content type %q, body %.200q", a.ctype, a.body)
	}
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %.300q", a.body)
	}
	if _, isEntry := m["code"]; isEntry || m["status"] == "error" {
		// An error, or a bare success entry (emptying the recycle bin answers one): four keys either way.
		bare := m["status"] == "success" && m["code"] == "SUCCESS"
		if len(m) != 4 || (m["status"] != "error" && !bare) {
			t.Fatalf("error object of the wrong shape: %s", a.body)
		}
		if _, ok := m["code"].(string); !ok {
			t.Fatalf("code is not a string: %s", a.body)
		}
		if _, ok := m["message"].(string); !ok {
			t.Fatalf("message is not a string: %s", a.body)
		}
		if _, ok := m["details"].(map[string]any); !ok {
			t.Fatalf("details is not an object: %s", a.body)
		}
	}
	return m
}

// nestedCriteria is a criteria tree depth groups deep: each group holds a leaf and the next group.
func nestedCriteria(field string, depth int) string {
	leaf := fmt.Sprintf(`{"field":{"api_name":%q},"comparator":"equal","value":"x"}`, field)
	s := leaf
	for i := 0; i < depth; i++ {
		s = `{"group_operator":"and","group":[` + leaf + `,` + s + `]}`
	}
	return s
}

// groupPath is the JSON path of the group depth levels down a nestedCriteria tree rooted at root.
func groupPath(root string, depth int) string {
	return root + strings.Repeat(".group[1]", depth)
}

// badCase is one row of the catalogue. Paths and bodies may name the fixtures: {lead} (a live Lead),
// {view} (a user view of Leads), {terr} (a territory under the root), {root}, {bin} (a Lead in the
// recycle bin), {user} (the admin).
type badCase struct {
	name    string
	method  string
	path    string
	header  http.Header // nil: the admin token; use noAuth for none
	body    string
	chunked bool
	status  int
	code    string // "" for a success
	details string // the exact details JSON; "" when the ruling fixes none
	item    string // when set, code and details are those of the first entry under this key
	oauth   string // for the accounts endpoints: the "error" value of a 200 answer
	// unchanged asks the database check of a successful answer too: the request must not write.
	unchanged bool
}

// noAuth is a header set with no Authorization.
var noAuth = http.Header{}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func TestBadInputCatalogue(t *testing.T) {
	e := newRecEnv(t)
	tok := e.a.fx.Token(t, e.a.admin, badScope)
	admin := hdr("Authorization", "Zoho-oauthtoken "+tok)

	// The scene: a live Lead, a Lead in the bin, a user view, a territory. Listing views and territories
	// once creates the system views and the root territory, which are made on first use; after that a
	// refused request has nothing legitimate to write.
	lead := e.insert(t, "Leads", tok, `{"Last_Name":"Live","Company":"Acme"}`)[0]
	bin := e.insert(t, "Leads", tok, `{"Last_Name":"Binned","Company":"Acme"}`)[0]
	mustDo := func(method, path, body string, want int) map[string]any {
		t.Helper()
		st, b := e.do(t, method, path, tok, body)
		if st != want {
			t.Fatalf("%s %s: %d %v", method, path, st, b)
		}
		return b
	}
	mustDo("DELETE", "/crm/v8/Leads/"+bin, "", 200)
	view := crmdtest.DetailIDs(t, mustDo("POST", "/crm/v8/settings/custom_views?module=Leads", `{"custom_views":[{"name":"Acme leads","criteria":{"field":{"api_name":"Company"},"comparator":"equal","value":"Acme"}}]}`, 201), "custom_views")[0]
	mustDo("GET", "/crm/v8/settings/custom_views?module=Contacts", "", 200)
	root := crmdtest.Items(t, mustDo("GET", "/crm/v8/settings/territories", "", 200), "territories")[0]["id"].(string)
	terr := crmdtest.DetailIDs(t, mustDo("POST", "/crm/v8/settings/territories", `{"territories":[{"name":"West","permission_type":"read_only","reporting_to":{"id":"`+root+`"}}]}`, 201), "territories")[0]
	fixtures := strings.NewReplacer("{lead}", lead, "{view}", view, "{terr}", terr, "{root}", root, "{bin}", bin, "{user}", e.a.admin.ID.String())

	const (
		unparsable = `{}`
		tenMB      = 10 << 20
		limit      = `{"limit":8388608}`
	)
	huge := `{"data":[{"Last_Name":"` + strings.Repeat("x", tenMB) + `"}]}`
	deep11 := nestedCriteria("Last_Name", 11)
	deepJSON := strings.Repeat(`{"group":[`, 20000) + strings.Repeat(`]}`, 20000)
	long := strings.Repeat("A", 64<<10)
	invalidID := func(index int) string { return fmt.Sprintf(`{"resource_path_index":%d}`, index) }
	dataArray := `{"api_name":"data","json_path":"$.data","expected_data_type":"jsonarray"}`
	mdIDs := func(i int, id string) string {
		return fmt.Sprintf(`{"api_name":"ids","json_path":"$.ids[%d]","id":%s}`, i, id)
	}
	form := func(kv ...string) string {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		w.SetBoundary("crmdboundary")
		for i := 0; i+1 < len(kv); i += 2 {
			w.WriteField(kv[i], kv[i+1])
		}
		w.Close()
		return b.String()
	}
	multipartCT := hdr("Content-Type", "multipart/form-data; boundary=crmdboundary")

	cases := []badCase{
		// ---- truncated and malformed JSON --------------------------------------------------------
		{name: "truncated insert", method: "POST", path: "/crm/v8/Leads", body: `{"data":[{"Last_Name":"x"`, status: 400, code: "UNABLE_TO_PARSE_DATA_TYPE", details: unparsable},
		{name: "truncated update", method: "PUT", path: "/crm/v8/Leads", body: `{"data":[`, status: 400, code: "UNABLE_TO_PARSE_DATA_TYPE", details: unparsable},
		{name: "truncated update by id", method: "PUT", path: "/crm/v8/Leads/{lead}", body: `{"data":[{"Last_Name":`, status: 400, code: "UNABLE_TO_PARSE_DATA_TYPE", details: unparsable},
		{name: "truncated mass delete", method: "POST", path: "/crm/v8/Leads/actions/mass_delete", body: `{"ids":["{lead}"`, status: 400, code: "UNABLE_TO_PARSE_DATA_TYPE", details: unparsable},
		{name: "truncated view create", method: "POST", path: "/crm/v8/settings/custom_views?module=Leads", body: `{"custom_views":[{"name":"x"`, status: 400, code: "UNABLE_TO_PARSE_DATA_TYPE", details: unparsable},
		{name: "truncated view update", method: "PUT", path: "/crm/v8/settings/custom_views/{view}?module=Leads", body: `{"custom_views":[{`, status: 400, code: "UNABLE_TO_PARSE_DATA_TYPE", details: unparsable},
		{name: "truncated territory create", method: "POST", path: "/crm/v8/settings/territories", body: `{"territories":[{"name":"T"`, status: 400, code: "UNABLE_TO_PARSE_DATA_TYPE", details: unparsable},
		{name: "truncated restore", method: "POST", path: "/crm/v8/settings/recycle_bin/actions/restore", body: `{"ids":[`, status: 400, code: "UNABLE_TO_PARSE_DATA_TYPE", details: unparsable},
		{name: "truncated assign territories", method: "POST", path: "/crm/v8/Leads/actions/assign_territories", body: `{"data":[{"id":`, status: 400, code: "UNABLE_TO_PARSE_DATA_TYPE", details: unparsable},
		{name: "truncated transfer", method: "POST", path: "/crm/v8/settings/territories/{terr}/actions/transfer_and_delete", body: `{"transfer_to_id":`, status: 400, code: "UNABLE_TO_PARSE_DATA_TYPE", details: unparsable},
		{name: "trailing garbage", method: "POST", path: "/crm/v8/Leads", body: `{"data":[{"Last_Name":"x"}]} x`, status: 400, code: "UNABLE_TO_PARSE_DATA_TYPE", details: unparsable},
		{name: "two objects", method: "POST", path: "/crm/v8/Leads", body: `{"data":[]}{"data":[]}`, status: 400, code: "UNABLE_TO_PARSE_DATA_TYPE", details: unparsable},
		{name: "byte order mark", method: "POST", path: "/crm/v8/Leads", body: "\ufeff" + `{"data":[{"Last_Name":"x"}]}`, status: 400, code: "UNABLE_TO_PARSE_DATA_TYPE", details: unparsable},
		{name: "array body", method: "POST", path: "/crm/v8/Leads", body: `[{"Last_Name":"x"}]`, status: 400, code: "UNABLE_TO_PARSE_DATA_TYPE", details: unparsable},
		{name: "null body", method: "PUT", path: "/crm/v8/Leads", body: `null`, status: 400, code: "UNABLE_TO_PARSE_DATA_TYPE", details: unparsable},
		{name: "string body", method: "POST", path: "/crm/v8/Leads/actions/mass_delete", body: `"ids"`, status: 400, code: "UNABLE_TO_PARSE_DATA_TYPE", details: unparsable},
		{name: "single quotes", method: "POST", path: "/crm/v8/settings/territories", body: `{'territories':[]}`, status: 400, code: "UNABLE_TO_PARSE_DATA_TYPE", details: unparsable},
		{name: "json past the decoder's depth", method: "POST", path: "/crm/v8/settings/custom_views?module=Leads", body: deepJSON, status: 400, code: "UNABLE_TO_PARSE_DATA_TYPE", details: unparsable},

		// ---- wrong types ---------------------------------------------------------------------------
		{name: "data is an object", method: "POST", path: "/crm/v8/Leads", body: `{"data":{"Last_Name":"x"}}`, status: 400, code: "INVALID_DATA", details: dataArray},
		{name: "data is a string", method: "PUT", path: "/crm/v8/Leads", body: `{"data":"x"}`, status: 400, code: "INVALID_DATA", details: dataArray},
		{name: "record is a number", method: "POST", path: "/crm/v8/Leads", body: `{"data":[5]}`, status: 400, item: "data", code: "INVALID_DATA", details: `{"json_path":"$.data[0]","expected_data_type":"jsonobject"}`},
		{name: "text field is a number", method: "POST", path: "/crm/v8/Leads", body: `{"data":[{"Last_Name":5}]}`, status: 400, item: "data", code: "INVALID_DATA", details: `{"api_name":"Last_Name","expected_data_type":"text","json_path":"$.data[0].Last_Name"}`},
		{name: "text field is an object", method: "POST", path: "/crm/v8/Leads", body: `{"data":[{"Last_Name":{"$gt":""}}]}`, status: 400, item: "data", code: "INVALID_DATA", details: `{"api_name":"Last_Name","expected_data_type":"text","json_path":"$.data[0].Last_Name"}`},
		{name: "integer field is a string", method: "POST", path: "/crm/v8/Leads", body: `{"data":[{"Last_Name":"x","No_of_Employees":"many"}]}`, status: 400, item: "data", code: "INVALID_DATA", details: `{"api_name":"No_of_Employees","json_path":"$.data[0].No_of_Employees","expected_data_type":"integer"}`},
		{name: "boolean field is a string", method: "POST", path: "/crm/v8/Leads", body: `{"data":[{"Last_Name":"x","Email_Opt_Out":"true"}]}`, status: 400, item: "data", code: "INVALID_DATA", details: `{"api_name":"Email_Opt_Out","json_path":"$.data[0].Email_Opt_Out","expected_data_type":"boolean"}`},
		{name: "update id is a number", method: "PUT", path: "/crm/v8/Leads", body: `{"data":[{"id":1,"Last_Name":"x"}]}`, status: 400, item: "data", code: "INVALID_DATA", details: `{"id":"1"}`},
		{name: "update id missing", method: "PUT", path: "/crm/v8/Leads", body: `{"data":[{"Last_Name":"x"}]}`, status: 400, item: "data", code: "MANDATORY_NOT_FOUND", details: `{"api_name":"id","json_path":"$.data[0].id"}`},
		{name: "mass delete ids is a string", method: "POST", path: "/crm/v8/Leads/actions/mass_delete", body: `{"ids":"{lead}"}`, status: 400, code: "INVALID_DATA", details: `{"api_name":"ids","json_path":"$.ids","expected_data_type":"jsonarray"}`},
		{name: "mass delete id is a bool", method: "POST", path: "/crm/v8/Leads/actions/mass_delete", body: `{"ids":[true]}`, status: 400, code: "INVALID_DATA", details: mdIDs(0, `true`)},
		{name: "mass delete id is an object", method: "POST", path: "/crm/v8/Leads/actions/mass_delete", body: `{"ids":["{lead}",{"id":"{lead}"}]}`, status: 400, code: "INVALID_DATA", details: mdIDs(1, `{"id":"{lead}"}`)},
		{name: "mass delete cvid is an object", method: "POST", path: "/crm/v8/Leads/actions/mass_delete", body: `{"cvid":{"id":"{view}"}}`, status: 400, code: "INVALID_DATA", details: `{"api_name":"cvid","json_path":"$.cvid"}`},
		{name: "mass delete territory is a string", method: "POST", path: "/crm/v8/Leads/actions/mass_delete", body: `{"ids":["{lead}"],"territory":"{terr}"}`, status: 400, code: "INVALID_DATA", details: `{"api_name":"territory","json_path":"$.territory","expected_data_type":"jsonobject"}`},
		{name: "mass delete include_child is a string", method: "POST", path: "/crm/v8/Leads/actions/mass_delete", body: `{"cvid":"{view}","territory":{"id":"{terr}","include_child":"yes"}}`, status: 400, code: "INVALID_DATA", details: `{"api_name":"include_child","json_path":"$.territory.include_child","expected_data_type":"boolean"}`},
		{name: "custom_views is an object", method: "POST", path: "/crm/v8/settings/custom_views?module=Leads", body: `{"custom_views":{"name":"x"}}`, status: 400, code: "INVALID_DATA", details: `{"api_name":"custom_views","json_path":"$.custom_views","expected_data_type":"jsonarray"}`},
		{name: "view name is a number", method: "POST", path: "/crm/v8/settings/custom_views?module=Leads", body: `{"custom_views":[{"name":7}]}`, status: 400, item: "custom_views", code: "INVALID_DATA", details: `{"api_name":"name","expected_data_type":"string","json_path":"$.custom_views[0].name"}`},
		{name: "view criteria is a string", method: "POST", path: "/crm/v8/settings/custom_views?module=Leads", body: `{"custom_views":[{"name":"v","criteria":"Last_Name = 'x'"}]}`, status: 400, item: "custom_views", code: "INVALID_DATA", details: `{"api_name":"criteria","expected_data_type":"jsonobject","json_path":"$.custom_views[0].criteria"}`},
		{name: "view fields is a string", method: "PUT", path: "/crm/v8/settings/custom_views/{view}?module=Leads", body: `{"custom_views":[{"fields":"Last_Name"}]}`, status: 400, item: "custom_views", code: "INVALID_DATA", details: `{"api_name":"fields","expected_data_type":"jsonarray","json_path":"$.custom_views[0].fields"}`},
		{name: "territory name is a number", method: "POST", path: "/crm/v8/settings/territories", body: `{"territories":[{"name":1,"permission_type":"read_only","reporting_to":{"id":"{root}"}}]}`, status: 400, item: "territories", code: "INVALID_DATA", details: `{"api_name":"name","expected_data_type":"string","json_path":"$.territories[0].name"}`},
		{name: "territory reporting_to is a string", method: "POST", path: "/crm/v8/settings/territories", body: `{"territories":[{"name":"East","permission_type":"read_only","reporting_to":"{root}"}]}`, status: 400, item: "territories", code: "INVALID_DATA", details: `{"api_name":"reporting_to","expected_data_type":"jsonobject","json_path":"$.territories[0].reporting_to"}`},
		{name: "restore ids is a string", method: "POST", path: "/crm/v8/settings/recycle_bin/actions/restore", body: `{"ids":"{bin}"}`, status: 400, code: "INVALID_DATA", details: `{"api_name":"ids","expected_data_type":"jsonarray","json_path":"$.ids"}`},
		{name: "restore_all_records is a string", method: "POST", path: "/crm/v8/settings/recycle_bin/actions/restore", body: `{"restore_all_records":"true"}`, status: 400, code: "INVALID_DATA", details: `{"api_name":"restore_all_records","expected_data_type":"boolean","json_path":"$.restore_all_records"}`},
		{name: "assign Territories is an object", method: "POST", path: "/crm/v8/Leads/actions/assign_territories", body: `{"data":[{"id":"{lead}","Territories":{"id":"{terr}"}}]}`, status: 400, item: "data", code: "INVALID_DATA", details: `{"api_name":"Territories","expected_data_type":"jsonarray","json_path":"$.data[0].Territories"}`},
		{name: "transfer_to_id is a number", method: "POST", path: "/crm/v8/settings/territories/{terr}/actions/transfer_and_delete", body: `{"territories":[{"transfer_to_id":1}]}`, status: 400, item: "territories", code: "INVALID_DATA", details: `{"api_name":"transfer_to_id","json_path":"$.territories[0].transfer_to_id"}`},

		// ---- huge numbers --------------------------------------------------------------------------
		{name: "integer beyond int64", method: "POST", path: "/crm/v8/Leads", body: `{"data":[{"Last_Name":"x","No_of_Employees":99999999999999999999999}]}`, status: 400, item: "data", code: "INVALID_DATA", details: `{"api_name":"No_of_Employees","expected_data_type":"integer","json_path":"$.data[0].No_of_Employees"}`},
		{name: "number beyond float64", method: "POST", path: "/crm/v8/Leads", body: `{"data":[{"Last_Name":"x","Annual_Revenue":1e400}]}`, status: 400, item: "data", code: "INVALID_DATA", details: `{"api_name":"Annual_Revenue","expected_data_type":"currency","json_path":"$.data[0].Annual_Revenue"}`},
		{name: "integer as a float", method: "POST", path: "/crm/v8/Leads", body: `{"data":[{"Last_Name":"x","No_of_Employees":1.5}]}`, status: 400, item: "data", code: "INVALID_DATA", details: `{"api_name":"No_of_Employees","json_path":"$.data[0].No_of_Employees","expected_data_type":"integer"}`},
		{name: "mass delete id beyond int64", method: "POST", path: "/crm/v8/Leads/actions/mass_delete", body: `{"ids":["99999999999999999999"]}`, status: 400, code: "INVALID_DATA", details: mdIDs(0, `"99999999999999999999"`)},
		{name: "mass delete id in exponent form", method: "POST", path: "/crm/v8/Leads/actions/mass_delete", body: `{"ids":[1e18]}`, status: 400, code: "INVALID_DATA", details: mdIDs(0, `1e18`)},
		{name: "per_page beyond int64", method: "GET", path: "/crm/v8/Leads?fields=Last_Name&per_page=99999999999999999999", status: 400, code: "INVALID_DATA", details: `{"param_name":"per_page"}`},
		{name: "page beyond int64", method: "GET", path: "/crm/v8/Leads?fields=Last_Name&page=99999999999999999999", status: 400, code: "INVALID_DATA", details: `{"param_name":"page"}`},
		{name: "job_id beyond int64", method: "GET", path: "/crm/v8/Leads/actions/mass_delete?job_id=99999999999999999999", status: 400, code: "INVALID_DATA", details: `{"param_name":"job_id"}`},
		{name: "bin per_page beyond int64", method: "GET", path: "/crm/v8/settings/recycle_bin?per_page=99999999999999999999", status: 400, code: "INVALID_DATA", details: `{"param_name":"per_page"}`},
		{name: "territories page beyond int64", method: "GET", path: "/crm/v8/settings/territories?page=99999999999999999999", status: 400, code: "INVALID_DATA", details: `{"param_name":"page"}`},

		// ---- negative, zero and overflowing ids ----------------------------------------------------
		{name: "get record 0", method: "GET", path: "/crm/v8/Leads/0", status: 400, code: "INVALID_DATA", details: invalidID(1)},
		{name: "get record -1", method: "GET", path: "/crm/v8/Leads/-1", status: 400, code: "INVALID_DATA", details: invalidID(1)},
		{name: "get record beyond int64", method: "GET", path: "/crm/v8/Leads/99999999999999999999", status: 400, code: "INVALID_DATA", details: invalidID(1)},
		{name: "get record 1.5", method: "GET", path: "/crm/v8/Leads/1.5", status: 400, code: "INVALID_DATA", details: invalidID(1)},
		{name: "update record 0", method: "PUT", path: "/crm/v8/Leads/0", body: `{"data":[{"Last_Name":"x"}]}`, status: 400, code: "INVALID_DATA", details: invalidID(1)},
		{name: "delete record -5", method: "DELETE", path: "/crm/v8/Leads/-5", status: 400, code: "INVALID_DATA", details: invalidID(1)},
		{name: "delete ids=0", method: "DELETE", path: "/crm/v8/Leads?ids=0", status: 400, code: "UNABLE_TO_PARSE_DATA_TYPE", details: `{"param_name":"ids"}`},
		{name: "delete ids empty", method: "DELETE", path: "/crm/v8/Leads?ids=", status: 400, code: "REQUIRED_PARAM_MISSING", details: `{"param_name":"ids"}`},
		{name: "mass delete id 0", method: "POST", path: "/crm/v8/Leads/actions/mass_delete", body: `{"ids":["0"]}`, status: 400, code: "INVALID_DATA", details: mdIDs(0, `"0"`)},
		{name: "mass delete id -1", method: "POST", path: "/crm/v8/Leads/actions/mass_delete", body: `{"ids":[-1]}`, status: 400, code: "INVALID_DATA", details: mdIDs(0, `-1`)},
		{name: "mass delete cvid 0", method: "POST", path: "/crm/v8/Leads/actions/mass_delete", body: `{"cvid":"0"}`, status: 400, code: "INVALID_DATA", details: `{"api_name":"cvid","json_path":"$.cvid"}`},
		{name: "mass delete cvid -1", method: "POST", path: "/crm/v8/Leads/actions/mass_delete", body: `{"cvid":"-1"}`, status: 400, code: "INVALID_DATA", details: `{"api_name":"cvid","json_path":"$.cvid"}`},
		{name: "mass delete territory 0", method: "POST", path: "/crm/v8/Leads/actions/mass_delete", body: `{"ids":["{lead}"],"territory":{"id":"0"}}`, status: 400, code: "INVALID_DATA", details: `{"api_name":"id","json_path":"$.territory.id"}`},
		{name: "job_id 0", method: "GET", path: "/crm/v8/Leads/actions/mass_delete?job_id=0", status: 400, code: "INVALID_DATA", details: `{"param_name":"job_id"}`},
		{name: "job_id -1", method: "GET", path: "/crm/v8/Leads/actions/mass_delete?job_id=-1", status: 400, code: "UNABLE_TO_PARSE_DATA_TYPE", details: `{}`},
		{name: "job_id missing", method: "GET", path: "/crm/v8/Leads/actions/mass_delete", status: 400, code: "MANDATORY_NOT_FOUND", details: `{"param_name":"job_id"}`},
		{name: "list cvid 0", method: "GET", path: "/crm/v8/Leads?fields=Last_Name&cvid=0", status: 400, code: "INVALID_DATA", details: `{"param_name":"cvid"}`},
		{name: "list territory_id -1", method: "GET", path: "/crm/v8/Leads?fields=Last_Name&territory_id=-1", status: 400, code: "INVALID_DATA", details: `{"param_name":"territory_id"}`},
		{name: "view 0", method: "GET", path: "/crm/v8/settings/custom_views/0?module=Leads", status: 400, code: "INVALID_DATA", details: invalidID(2)},
		{name: "update view -1", method: "PUT", path: "/crm/v8/settings/custom_views/-1?module=Leads", body: `{"custom_views":[{"name":"x"}]}`, status: 400, code: "INVALID_DATA", details: invalidID(2)},
		{name: "delete view beyond int64", method: "DELETE", path: "/crm/v8/settings/custom_views/99999999999999999999?module=Leads", status: 400, code: "INVALID_DATA", details: invalidID(2)},
		{name: "territory -1", method: "GET", path: "/crm/v8/settings/territories/-1", status: 400, code: "INVALID_DATA", details: invalidID(2)},
		{name: "delete territory 0", method: "DELETE", path: "/crm/v8/settings/territories/0", status: 400, code: "INVALID_DATA", details: invalidID(2)},
		{name: "bin record 0", method: "GET", path: "/crm/v8/settings/recycle_bin/0", status: 400, code: "INVALID_DATA", details: `{"resource_path_index":2}`},
		{name: "purge bin record beyond int64", method: "DELETE", path: "/crm/v8/settings/recycle_bin/99999999999999999999", status: 400, code: "INVALID_DATA", details: `{"resource_path_index":2}`},
		{name: "restore bin record -1", method: "POST", path: "/crm/v8/settings/recycle_bin/-1/actions/restore", status: 400, code: "INVALID_DATA", details: `{"resource_path_index":2}`},
		{name: "user 0", method: "GET", path: "/crm/v8/users/0", status: 400, code: "INVALID_DATA", details: invalidID(1)},
		{name: "field -1", method: "GET", path: "/crm/v8/settings/fields/-1?module=Leads", status: 400, code: "INVALID_DATA", details: invalidID(2)},
		{name: "profile beyond int64", method: "GET", path: "/crm/v8/settings/profiles/99999999999999999999", status: 400, code: "INVALID_DATA", details: invalidID(2)},

		// ---- bodies of 10 MB, with the default limit (8 MiB) -----------------------------------------
		{name: "10 MB insert", method: "POST", path: "/crm/v8/Leads", body: huge, status: 413, code: "REQUEST_ENTITY_TOO_LARGE", details: limit},
		{name: "10 MB update, chunked", method: "PUT", path: "/crm/v8/Leads", body: huge, chunked: true, status: 413, code: "REQUEST_ENTITY_TOO_LARGE", details: limit},
		{name: "10 MB mass delete", method: "POST", path: "/crm/v8/Leads/actions/mass_delete", body: huge, status: 413, code: "REQUEST_ENTITY_TOO_LARGE", details: limit},
		{name: "10 MB mass delete, chunked", method: "POST", path: "/crm/v8/Leads/actions/mass_delete", body: huge, chunked: true, status: 413, code: "REQUEST_ENTITY_TOO_LARGE", details: limit},
		{name: "10 MB view create, chunked", method: "POST", path: "/crm/v8/settings/custom_views?module=Leads", body: huge, chunked: true, status: 413, code: "REQUEST_ENTITY_TOO_LARGE", details: limit},
		{name: "10 MB territory create", method: "POST", path: "/crm/v8/settings/territories", body: huge, status: 413, code: "REQUEST_ENTITY_TOO_LARGE", details: limit},
		{name: "10 MB restore, chunked", method: "POST", path: "/crm/v8/settings/recycle_bin/actions/restore", body: huge, chunked: true, status: 413, code: "REQUEST_ENTITY_TOO_LARGE", details: limit},
		{name: "10 MB token request", method: "POST", path: "/oauth/v2/token", header: hdr("Content-Type", "application/x-www-form-urlencoded"), body: "grant_type=refresh_token&x=" + strings.Repeat("y", tenMB), status: 413, code: "REQUEST_ENTITY_TOO_LARGE", details: limit},
		{name: "10 MB token request, chunked", method: "POST", path: "/oauth/v2/token", header: hdr("Content-Type", "application/x-www-form-urlencoded"), body: "grant_type=refresh_token&x=" + strings.Repeat("y", tenMB), chunked: true, status: 413, code: "REQUEST_ENTITY_TOO_LARGE", details: `{"limit":1048576}`},
		{name: "10 MB revoke, chunked", method: "POST", path: "/oauth/v2/token/revoke", header: hdr("Content-Type", "application/x-www-form-urlencoded"), body: "token=" + strings.Repeat("y", tenMB), chunked: true, status: 413, code: "REQUEST_ENTITY_TOO_LARGE", details: `{"limit":1048576}`},

		// ---- criteria: deep, wide and wrong -----------------------------------------------------------
		{name: "view criteria 11 groups deep", method: "POST", path: "/crm/v8/settings/custom_views?module=Leads", body: `{"custom_views":[{"name":"deep","criteria":` + deep11 + `}]}`, status: 400, item: "custom_views", code: "LIMIT_EXCEEDED", details: `{"limit":10,"api_name":"group","json_path":"` + groupPath("$.custom_views[0].criteria", 10) + `"}`},
		{name: "view criteria 11 groups deep, update", method: "PUT", path: "/crm/v8/settings/custom_views/{view}?module=Leads", body: `{"custom_views":[{"criteria":` + deep11 + `}]}`, status: 400, item: "custom_views", code: "LIMIT_EXCEEDED", details: `{"api_name":"group","json_path":"$.custom_views[0].criteria.group[1].group[1].group[1].group[1].group[1].group[1].group[1].group[1].group[1].group[1]","limit":10}`},
		{name: "bin filters 11 groups deep", method: "POST", path: "/crm/v8/settings/recycle_bin/actions/restore", body: `{"filters":` + nestedCriteria("display_name", 11) + `}`, status: 400, code: "LIMIT_EXCEEDED", details: `{"api_name":"group","json_path":"$.filters.group[1].group[1].group[1].group[1].group[1].group[1].group[1].group[1].group[1].group[1]","limit":10}`},
		{name: "bin filters 11 groups deep in the query", method: "GET", path: "/crm/v8/settings/recycle_bin?filters=" + url.QueryEscape(nestedCriteria("display_name", 11)), status: 400, code: "LIMIT_EXCEEDED", details: `{"api_name":"group","json_path":"$.group[1].group[1].group[1].group[1].group[1].group[1].group[1].group[1].group[1].group[1]","limit":10,"param_name":"filters"}`},
		{name: "criteria group of one", method: "POST", path: "/crm/v8/settings/custom_views?module=Leads", body: `{"custom_views":[{"name":"one","criteria":{"group_operator":"and","group":[{"field":{"api_name":"Last_Name"},"comparator":"equal","value":"x"}]}}]}`, status: 400, item: "custom_views", code: "INVALID_DATA", details: `{"api_name":"group","json_path":"$.custom_views[0].criteria.group","minimum_length":2}`},
		{name: "criteria operator xor", method: "POST", path: "/crm/v8/settings/custom_views?module=Leads", body: `{"custom_views":[{"name":"xor","criteria":{"group_operator":"xor","group":[{"field":{"api_name":"Last_Name"},"comparator":"equal","value":"x"},{"field":{"api_name":"Last_Name"},"comparator":"equal","value":"y"}]}}]}`, status: 400, item: "custom_views", code: "INVALID_DATA", details: `{"api_name":"group_operator","json_path":"$.custom_views[0].criteria.group_operator","supported_values":["AND","OR"]}`},
		{name: "criteria unknown comparator", method: "POST", path: "/crm/v8/settings/custom_views?module=Leads", body: `{"custom_views":[{"name":"cmp","criteria":{"field":{"api_name":"Last_Name"},"comparator":"sounds_like","value":"x"}}]}`, status: 400, item: "custom_views", code: "INVALID_DATA", details: `{"api_name":"comparator","json_path":"$.custom_views[0].criteria.comparator","supported_values":["equal","not_equal","in","not_in","contains","not_contains","starts_with","ends_with","like","not_like"]}`},
		{name: "criteria unknown field", method: "POST", path: "/crm/v8/settings/custom_views?module=Leads", body: `{"custom_views":[{"name":"fld","criteria":{"field":{"api_name":"Nope"},"comparator":"equal","value":"x"}}]}`, status: 400, item: "custom_views", code: "INVALID_DATA", details: `{"api_name":"Nope","json_path":"$.custom_views[0].criteria.field"}`},
		{name: "criteria value missing", method: "POST", path: "/crm/v8/settings/custom_views?module=Leads", body: `{"custom_views":[{"name":"val","criteria":{"field":{"api_name":"Last_Name"},"comparator":"equal"}}]}`, status: 400, item: "custom_views", code: "MANDATORY_NOT_FOUND", details: `{"api_name":"value","json_path":"$.custom_views[0].criteria.value"}`},
		{name: "criteria between one value", method: "POST", path: "/crm/v8/settings/custom_views?module=Leads", body: `{"custom_views":[{"name":"btw","criteria":{"field":{"api_name":"Created_Time"},"comparator":"between","value":["2024-01-01T00:00:00+00:00"]}}]}`, status: 400, item: "custom_views", code: "INVALID_DATA", details: `{"api_name":"Created_Time","expected_data_type":"jsonarray","json_path":"$.custom_views[0].criteria.value"}`},
		{name: "criteria 26 members", method: "POST", path: "/crm/v8/settings/custom_views?module=Leads", body: `{"custom_views":[{"name":"wide","criteria":{"group_operator":"or","group":[` + strings.TrimSuffix(strings.Repeat(`{"field":{"api_name":"Last_Name"},"comparator":"equal","value":"x"},`, 26), ",") + `]}}]}`, status: 400, item: "custom_views", code: "LIMIT_EXCEEDED", details: `{"api_name":"group","json_path":"$.custom_views[0].criteria.group","limit":25}`},
		{name: "bin filter on an unknown field", method: "DELETE", path: "/crm/v8/settings/recycle_bin?filters=" + url.QueryEscape(`{"field":{"api_name":"Last_Name"},"comparator":"equal","value":"x"}`), status: 400, code: "INVALID_DATA", details: `{"api_name":"field","json_path":"$.field","param_name":"filters","supported_values":["display_name","module","deleted_by","deleted_time"]}`},

		// ---- unicode and NUL -------------------------------------------------------------------------
		{name: "NUL in a record name", method: "POST", path: "/crm/v8/Leads", body: `{"data":[{"Last_Name":"a\u0000b"}]}`, status: 400, code: "INVALID_DATA", details: `{"json_path":"$.data[0].Last_Name"}`},
		{name: "NUL in a view name", method: "POST", path: "/crm/v8/settings/custom_views?module=Leads", body: `{"custom_views":[{"name":"v\u0000"}]}`, status: 400, code: "INVALID_DATA", details: `{"json_path":"$.custom_views[0].name"}`},
		{name: "NUL in a territory name", method: "POST", path: "/crm/v8/settings/territories", body: `{"territories":[{"name":"t\u0000","permission_type":"read_only","reporting_to":{"id":"{root}"}}]}`, status: 400, code: "INVALID_DATA", details: `{"json_path":"$.territories[0].name"}`},
		{name: "NUL in a territory description", method: "PUT", path: "/crm/v8/settings/territories/{terr}", body: `{"territories":[{"description":"\u0000"}]}`, status: 400, code: "INVALID_DATA", details: `{"json_path":"$.territories[0].description"}`},
		{name: "NUL in a key", method: "POST", path: "/crm/v8/Leads/actions/mass_delete", body: `{"ids\u0000":["{lead}"]}`, status: 400, code: "INVALID_DATA", details: `{"json_path":"$.ids\u0000"}`},
		{name: "NUL in a criteria value", method: "POST", path: "/crm/v8/settings/custom_views?module=Leads", body: `{"custom_views":[{"name":"nul","criteria":{"field":{"api_name":"Last_Name"},"comparator":"equal","value":"\u0000"}}]}`, status: 400, code: "INVALID_DATA", details: `{"json_path":"$.custom_views[0].criteria.value"}`},
		{name: "NUL in a path id", method: "GET", path: "/crm/v8/Leads/%00", status: 400, code: "INVALID_DATA", details: invalidID(1)},
		{name: "NUL in fields", method: "GET", path: "/crm/v8/Leads?fields=Last_Name%00", status: 400, code: "INVALID_DATA", details: `{"param_name":"fields"}`},
		{name: "NUL in a bin filter", method: "GET", path: "/crm/v8/settings/recycle_bin?filters=" + url.QueryEscape(`{"field":{"api_name":"display_name"},"comparator":"equal","value":"\u0000"}`), status: 400, code: "INVALID_DATA", details: `{"api_name":"display_name","json_path":"$.value","expected_data_type":"string","param_name":"filters"}`},
		{name: "NUL in the filters parameter", method: "GET", path: "/crm/v8/settings/recycle_bin?filters=%00", status: 400, code: "INVALID_DATA", details: `{"param_name":"filters"}`},
		{name: "lone surrogate in a name", method: "POST", path: "/crm/v8/Leads", body: `{"data":[{"Last_Name":"\ud800"}]}`, status: 201},
		{name: "80 emoji are 80 characters", method: "POST", path: "/crm/v8/Leads", body: `{"data":[{"Last_Name":"` + strings.Repeat("😀", 80) + `"}]}`, status: 201},
		{name: "81 emoji are too many", method: "POST", path: "/crm/v8/Leads", body: `{"data":[{"Last_Name":"` + strings.Repeat("😀", 81) + `"}]}`, status: 400, item: "data", code: "INVALID_DATA", details: `{"api_name":"Last_Name","json_path":"$.data[0].Last_Name","maximum_length":80}`},
		{name: "right-to-left view name", method: "POST", path: "/crm/v8/settings/custom_views?module=Leads", body: `{"custom_views":[{"name":"عملاء \u202e مهمون"}]}`, status: 201},
		{name: "unicode module name", method: "GET", path: "/crm/v8/L%C3%A9ads?fields=Last_Name", status: 400, code: "INVALID_MODULE", details: `{"resource_path_index":0}`},
		{name: "full-width digits as an id", method: "GET", path: "/crm/v8/Leads/%EF%BC%91%EF%BC%92", status: 400, code: "INVALID_DATA", details: invalidID(1)},
		{name: "arabic-indic digits in mass delete", method: "POST", path: "/crm/v8/Leads/actions/mass_delete", body: `{"ids":["١٢٣"]}`, status: 400, code: "INVALID_DATA", details: mdIDs(0, `"١٢٣"`)},
		{name: "NUL in the module", method: "GET", path: "/crm/v8/Le%00ads?fields=Last_Name", status: 400, code: "INVALID_MODULE", details: `{"resource_path_index":0}`},
		{name: "NUL in the view module", method: "GET", path: "/crm/v8/settings/custom_views?module=Leads%00", status: 400, code: "INVALID_DATA", details: `{"param_name":"module"}`},
		{name: "NUL in the bin count module", method: "GET", path: "/crm/v8/settings/recycle_bin/actions/count?module=Leads%00", status: 400, code: "INVALID_DATA", details: `{"param_name":"module"}`},
		{name: "NUL in the fields module", method: "GET", path: "/crm/v8/settings/fields?module=Leads%00", status: 400, code: "INVALID_DATA", details: `{"param_name":"module"}`},
		{name: "NUL in a module's api name", method: "GET", path: "/crm/v8/settings/modules/Leads%00", status: 400, code: "INVALID_MODULE", details: `{"resource_path_index":2}`},
		{name: "NUL in a client id", method: "POST", path: "/oauth/v2/token?grant_type=refresh_token&client_id=1000.%00&client_secret=x&refresh_token=y", header: noAuth, status: 200, oauth: "invalid_request"},
		{name: "NUL in a sort_by", method: "GET", path: "/crm/v8/Leads?fields=Last_Name&sort_by=Last_Name%00", status: 400, code: "INVALID_DATA", details: `{"param_name":"sort_by"}`},
		{name: "invalid UTF-8 in the module query", method: "GET", path: "/crm/v8/settings/custom_views?module=%FF%FE", status: 400, code: "INVALID_MODULE", details: `{"param_name":"module"}`},

		// ---- SQL and JSON injection --------------------------------------------------------------------
		{name: "sql in fields", method: "GET", path: "/crm/v8/Leads?fields=" + url.QueryEscape("Last_Name,'; DROP TABLE records;--"), status: 400, code: "INVALID_DATA", details: `{"api_name":"'; DROP TABLE records;--","param_name":"fields"}`},
		{name: "sql in sort_by", method: "GET", path: "/crm/v8/Leads?fields=Last_Name&sort_by=" + url.QueryEscape("id; DELETE FROM records"), status: 400, code: "INVALID_DATA", details: `{"param_name":"sort_by","supported_values":["id","Created_Time","Modified_Time"]}`},
		{name: "sql in the module", method: "GET", path: "/crm/v8/" + url.PathEscape("Leads' OR '1'='1") + "?fields=Last_Name", status: 400, code: "INVALID_MODULE", details: `{"resource_path_index":0}`},
		{name: "sql in a path id", method: "GET", path: "/crm/v8/Leads/" + url.PathEscape("1 OR 1=1"), status: 400, code: "INVALID_DATA", details: invalidID(1)},
		{name: "sql in ids", method: "DELETE", path: "/crm/v8/Leads?ids=" + url.QueryEscape(fixtures.Replace("{lead};DROP TABLE records")), status: 400, code: "UNABLE_TO_PARSE_DATA_TYPE", details: `{"param_name":"ids"}`},
		{name: "sql in the view module", method: "GET", path: "/crm/v8/settings/custom_views?module=" + url.QueryEscape("Leads'--"), status: 400, code: "INVALID_MODULE", details: `{"param_name":"module"}`},
		{name: "sql in a criteria field", method: "POST", path: "/crm/v8/settings/custom_views?module=Leads", body: `{"custom_views":[{"name":"sqlf","criteria":{"field":{"api_name":"Last_Name') OR 1=1--"},"comparator":"equal","value":"x"}}]}`, status: 400, item: "custom_views", code: "INVALID_DATA", details: `{"api_name":"Last_Name') OR 1=1--","json_path":"$.custom_views[0].criteria.field"}`},
		{name: "sql in a job_id", method: "GET", path: "/crm/v8/Leads/actions/mass_delete?job_id=" + url.QueryEscape("1 OR 1=1"), status: 400, code: "UNABLE_TO_PARSE_DATA_TYPE", details: `{}`},
		{name: "sql in a cvid", method: "POST", path: "/crm/v8/Leads/actions/mass_delete", body: `{"cvid":"1 OR 1=1"}`, status: 400, code: "INVALID_DATA", details: `{"api_name":"cvid","json_path":"$.cvid"}`},
		{name: "sql in the users type", method: "GET", path: "/crm/v8/users?type=" + url.QueryEscape("AllUsers' OR '1"), status: 400, code: "INVALID_DATA", details: `{"param_name":"type"}`},
		{name: "sql in a bin sort_by", method: "GET", path: "/crm/v8/settings/recycle_bin?sort_by=" + url.QueryEscape("deleted_time; DROP TABLE records"), status: 400, code: "INVALID_DATA", details: `{"param_name":"sort_by","supported_values":["display_name","deleted_time","deleted_by"]}`},
		{name: "sql in a bin filter value purges nothing", method: "DELETE", path: "/crm/v8/settings/recycle_bin?filters=" + url.QueryEscape(`{"field":{"api_name":"display_name"},"comparator":"equal","value":"x' OR '1'='1"}`), status: 202, unchanged: true},
		{name: "sql in a territory id", method: "GET", path: "/crm/v8/settings/territories/" + url.PathEscape(fixtures.Replace("{terr} OR 1=1")), status: 400, code: "INVALID_DATA", details: invalidID(2)},
		{name: "sql in an update id", method: "PUT", path: "/crm/v8/Leads", body: `{"data":[{"id":"{lead} OR 1=1","Last_Name":"x"}]}`, status: 400, item: "data", code: "INVALID_DATA", details: `{"api_name":"id","json_path":"$.data[0].id"}`},
		{name: "sql in a record name is data", method: "POST", path: "/crm/v8/Leads", body: `{"data":[{"Last_Name":"Robert'); DROP TABLE records;--"}]}`, status: 201},
		{name: "json in a record name is data", method: "POST", path: "/crm/v8/Leads", body: `{"data":[{"Last_Name":"x\",\"Owner\":{\"id\":\"1\"},\"y\":\""}]}`, status: 201},
		{name: "sql in the client id", method: "POST", path: "/oauth/v2/token?grant_type=refresh_token&client_id=" + url.QueryEscape("' OR '1'='1") + "&client_secret=x&refresh_token=x", status: 200, oauth: "invalid_client"},
		{name: "sql in a refresh token", method: "POST", path: "/oauth/v2/token?grant_type=refresh_token&client_id=" + e.a.fx.ClientID + "&client_secret=" + url.QueryEscape("' OR 1=1--") + "&refresh_token=" + url.QueryEscape("' OR 1=1--"), status: 200, oauth: "invalid_client_secret"},
		{name: "sql in a revoked token revokes nothing", method: "POST", path: "/oauth/v2/token/revoke?token=" + url.QueryEscape("' OR 1=1--"), status: 200, unchanged: true},
		{name: "sql in a client_credentials soid", method: "POST", path: "/oauth/v2/token", header: multipartCT, body: form("grant_type", "client_credentials", "client_id", e.a.fx.ClientID, "client_secret", "nope", "soid", "ZohoCRM.1 OR 1=1"), status: 200, oauth: "invalid_client_secret"},

		// ---- header abuse ----------------------------------------------------------------------------
		{name: "no Authorization", method: "GET", path: "/crm/v8/Leads?fields=Last_Name", header: noAuth, status: 401, code: "AUTHENTICATION_FAILURE", details: `{}`},
		{name: "scheme without a token", method: "GET", path: "/crm/v8/Leads?fields=Last_Name", header: hdr("Authorization", "Zoho-oauthtoken"), status: 401, code: "AUTHENTICATION_FAILURE", details: `{}`},
		{name: "token in three parts", method: "GET", path: "/crm/v8/Leads?fields=Last_Name", header: hdr("Authorization", "Zoho-oauthtoken "+tok+" extra"), status: 401, code: "AUTHENTICATION_FAILURE", details: `{}`},
		{name: "Bearer scheme", method: "GET", path: "/crm/v8/Leads?fields=Last_Name", header: hdr("Authorization", "Bearer "+tok), status: 401, code: "AUTHENTICATION_FAILURE", details: `{}`},
		{name: "64 KB token", method: "GET", path: "/crm/v8/Leads?fields=Last_Name", header: hdr("Authorization", "Zoho-oauthtoken "+long), status: 401, code: "INVALID_TOKEN", details: `{}`},
		{name: "token in the query string", method: "GET", path: "/crm/v8/Leads?fields=Last_Name&authtoken=" + tok, header: noAuth, status: 401, code: "AUTHENTICATION_FAILURE", details: `{}`},
		{name: "garbage then a good Authorization", method: "GET", path: "/crm/v8/Leads?fields=Last_Name", header: hdr("Authorization", "garbage", "Authorization", "Zoho-oauthtoken "+tok), status: 401, code: "AUTHENTICATION_FAILURE", details: `{}`},
		{name: "a good then a garbage Authorization", method: "GET", path: "/crm/v8/Leads?fields=Last_Name", header: hdr("Authorization", "Zoho-oauthtoken "+tok, "Authorization", "garbage"), status: 401, code: "AUTHENTICATION_FAILURE", details: `{}`},
		{name: "the good Authorization twice", method: "DELETE", path: "/crm/v8/Leads/{lead}", header: hdr("Authorization", "Zoho-oauthtoken "+tok, "Authorization", "Zoho-oauthtoken "+tok), status: 401, code: "AUTHENTICATION_FAILURE", details: `{}`},
		{name: "wrong token on a write", method: "POST", path: "/crm/v8/Leads", header: hdr("Authorization", "Zoho-oauthtoken 1000.0000.0000"), body: `{"data":[{"Last_Name":"x"}]}`, status: 401, code: "INVALID_TOKEN", details: `{}`},

		// ---- wrong content types ---------------------------------------------------------------------
		{name: "form body to records", method: "POST", path: "/crm/v8/Leads", header: hdr("Authorization", "Zoho-oauthtoken "+tok, "Content-Type", "application/x-www-form-urlencoded"), body: "data=Last_Name%3Dx", status: 400, code: "UNABLE_TO_PARSE_DATA_TYPE", details: unparsable},
		{name: "xml body to mass delete", method: "POST", path: "/crm/v8/Leads/actions/mass_delete", header: hdr("Authorization", "Zoho-oauthtoken "+tok, "Content-Type", "application/xml"), body: "<ids><id>1</id></ids>", status: 400, code: "UNABLE_TO_PARSE_DATA_TYPE", details: unparsable},
		{name: "multipart body to views", method: "POST", path: "/crm/v8/settings/custom_views?module=Leads", header: hdr("Authorization", "Zoho-oauthtoken "+tok, "Content-Type", "multipart/form-data; boundary=crmdboundary"), body: form("custom_views", `[{"name":"m"}]`), status: 400, code: "UNABLE_TO_PARSE_DATA_TYPE", details: unparsable},
		{name: "json body to the token endpoint", method: "POST", path: "/oauth/v2/token", header: hdr("Content-Type", "application/json"), body: `{"grant_type":"refresh_token","client_id":"x","client_secret":"y","refresh_token":"z"}`, status: 200, oauth: "invalid_request"},
		{name: "multipart with a broken boundary", method: "POST", path: "/oauth/v2/token", header: hdr("Content-Type", "multipart/form-data; boundary=other"), body: form("grant_type", "refresh_token"), status: 200, oauth: "invalid_request"},
		{name: "multipart without a boundary", method: "POST", path: "/oauth/v2/token/revoke", header: hdr("Content-Type", "multipart/form-data"), body: form("token", "x"), status: 200, oauth: "invalid_request"},

		// ---- wrong methods (D29) ---------------------------------------------------------------------
		{name: "PATCH records", method: "PATCH", path: "/crm/v8/Leads", status: 400, code: "INVALID_REQUEST_METHOD", details: `{}`},
		{name: "POST a record id", method: "POST", path: "/crm/v8/Leads/{lead}", body: `{"data":[{"Last_Name":"x"}]}`, status: 400, code: "INVALID_REQUEST_METHOD", details: `{}`},
		{name: "DELETE deleted records", method: "DELETE", path: "/crm/v8/Leads/deleted", status: 400, code: "INVALID_REQUEST_METHOD", details: `{}`},
		{name: "PUT mass delete", method: "PUT", path: "/crm/v8/Leads/actions/mass_delete", body: `{"ids":["{lead}"]}`, status: 400, code: "INVALID_REQUEST_METHOD", details: `{}`},
		{name: "DELETE mass delete", method: "DELETE", path: "/crm/v8/Leads/actions/mass_delete?job_id=1", status: 400, code: "INVALID_REQUEST_METHOD", details: `{}`},
		{name: "DELETE all views", method: "DELETE", path: "/crm/v8/settings/custom_views?module=Leads", status: 400, code: "INVALID_REQUEST_METHOD", details: `{}`},
		{name: "POST a territory id", method: "POST", path: "/crm/v8/settings/territories/{terr}", status: 400, code: "INVALID_REQUEST_METHOD", details: `{}`},
		{name: "GET transfer_and_delete", method: "GET", path: "/crm/v8/settings/territories/actions/transfer_and_delete", status: 400, code: "INVALID_REQUEST_METHOD", details: `{}`},
		{name: "GET assign_territories", method: "GET", path: "/crm/v8/Leads/actions/assign_territories", status: 400, code: "INVALID_REQUEST_METHOD", details: `{}`},
		{name: "PUT the bin", method: "PUT", path: "/crm/v8/settings/recycle_bin", status: 400, code: "INVALID_REQUEST_METHOD", details: `{}`},
		{name: "GET empty the bin", method: "GET", path: "/crm/v8/settings/recycle_bin/actions/empty", status: 400, code: "INVALID_REQUEST_METHOD", details: `{}`},
		{name: "DELETE the bin count", method: "DELETE", path: "/crm/v8/settings/recycle_bin/actions/count", status: 400, code: "INVALID_REQUEST_METHOD", details: `{}`},
		{name: "POST modules", method: "POST", path: "/crm/v8/settings/modules", status: 400, code: "INVALID_REQUEST_METHOD", details: `{}`},
		{name: "DELETE a user", method: "DELETE", path: "/crm/v8/users/{user}", status: 400, code: "INVALID_REQUEST_METHOD", details: `{}`},
		{name: "PUT the org", method: "PUT", path: "/crm/v8/org", status: 400, code: "INVALID_REQUEST_METHOD", details: `{}`},
		{name: "OPTIONS records", method: "OPTIONS", path: "/crm/v8/Leads", header: noAuth, status: 400, code: "INVALID_REQUEST_METHOD", details: `{}`},
		{name: "GET revoke", method: "GET", path: "/oauth/v2/token/revoke?token=x", header: noAuth, status: 400, code: "INVALID_REQUEST_METHOD", details: `{}`},
		{name: "PUT token", method: "PUT", path: "/oauth/v2/token", header: noAuth, status: 400, code: "INVALID_REQUEST_METHOD", details: `{}`},
		{name: "POST healthz", method: "POST", path: "/healthz", header: noAuth, status: 400, code: "INVALID_REQUEST_METHOD", details: `{}`},
	}
	if len(cases) < 100 {
		t.Fatalf("the catalogue has %d cases, fewer than 100", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := admin
			if c.header != nil {
				h = c.header
			}
			before := crmdtest.TakeFingerprint(t, e.st, 0)
			a := rawCall(t, c.method, e.ts.URL+fixtures.Replace(c.path), h, fixtures.Replace(c.body), c.chunked)
			body := zohoShape(t, a)
			if a.status != c.status {
				t.Fatalf("status %d, want %d; body %.400s", a.status, c.status, a.body)
			}
			got := body
			if c.item != "" {
				items := crmdtest.Items(t, body, c.item)
				got = items[0]
			}
			switch {
			case c.oauth != "":
				if body["error"] != c.oauth || len(body) != 1 {
					t.Fatalf("answer %s, want {\"error\":%q}", a.body, c.oauth)
				}
			case c.code != "":
				if got["code"] != c.code || got["status"] != "error" {
					t.Fatalf("code %v, want %s; body %.400s", got["code"], c.code, a.body)
				}
				if c.details != "" {
					crmdtest.JSONEq(t, "details", got["details"], fixtures.Replace(c.details))
				}
			}
			after := crmdtest.TakeFingerprint(t, e.st, 0)
			if c.unchanged {
				// Work answered 202 takes a fresh job id from the org's id sequence and records its
				// job (which finds nothing to do), and changes nothing else.
				after["orgs"] = before["orgs"]
				after["jobs"] = before["jobs"]
			}
			if c.code != "" || c.oauth != "" || c.unchanged {
				if d := before.Diff(after); d != "" {
					t.Fatalf("a refused request wrote: %s", d)
				}
			}
		})
	}
}
