package api_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/crmd/crmd/crmdtest"
)

// coqlEnv is a records test server with tokens that carry the coql scope.
type coqlEnv struct {
	*recEnv
	admin, std string
}

func newCOQLEnv(t *testing.T) *coqlEnv {
	t.Helper()
	e := newRecEnv(t)
	return &coqlEnv{recEnv: e,
		admin: e.a.fx.Token(t, e.a.admin, "ZohoCRM.modules.ALL,ZohoCRM.coql.READ"),
		std:   e.a.fx.Token(t, e.a.std, "ZohoCRM.modules.ALL,ZohoCRM.coql.READ")}
}

// query posts a select query.
func (e *coqlEnv) query(t *testing.T, version, token, q string) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"select_query": q})
	return e.do(t, "POST", "/crm/"+version+"/coql", token, string(b))
}

func TestCOQLAnswers(t *testing.T) {
	e := newCOQLEnv(t)
	acc := e.insert(t, "Accounts", e.a.adminTok, `{"Account_Name":"Zylker","Employees":40}`, `{"Account_Name":"Gone Inc"}`)
	con := e.insert(t, "Contacts", e.a.adminTok,
		fmt.Sprintf(`{"Last_Name":"Smith","First_Name":"Ann","Account_Name":{"id":%q},"Date_of_Birth":"1990-02-03"}`, acc[0]),
		fmt.Sprintf(`{"Last_Name":"Smyth","Account_Name":{"id":%q}}`, acc[1]),
		`{"Last_Name":"Jones"}`,
		`{"Last_Name":"Smart","$approval_state":"approval_process_pending"}`)
	deleted := e.insert(t, "Contacts", e.a.adminTok, `{"Last_Name":"Smithereen"}`)
	if st, b := e.do(t, "DELETE", "/crm/v8/Contacts?ids="+deleted[0], e.a.adminTok, ""); st != 200 {
		t.Fatalf("delete: %d %v", st, b)
	}
	if st, b := e.do(t, "DELETE", "/crm/v8/Accounts?ids="+acc[1], e.a.adminTok, ""); st != 200 {
		t.Fatalf("delete account: %d %v", st, b)
	}

	// Columns asked for and the id; lookups as {"id"}; Lookup.field under its key (null when the target is
	// deleted); Owner attributes; deleted and unapproved records never.
	st, body := e.query(t, "v8", e.admin, `select Last_Name, Account_Name, Account_Name.Account_Name, Owner, Owner.email, Date_of_Birth
		from Contacts where Last_Name like 'Sm%' order by Last_Name desc`)
	if st != 200 {
		t.Fatalf("query: %d %v", st, body)
	}
	crmdtest.JSONEq(t, "answer", body, fmt.Sprintf(`{"data":[
		{"id":%q,"Last_Name":"Smyth","Account_Name":{"id":%q},"Account_Name.Account_Name":null,"Owner":{"id":%q},"Owner.email":"boss@acme.test","Date_of_Birth":null},
		{"id":%q,"Last_Name":"Smith","Account_Name":{"id":%q},"Account_Name.Account_Name":"Zylker","Owner":{"id":%q},"Owner.email":"boss@acme.test","Date_of_Birth":"1990-02-03"}
	],"info":{"count":2,"more_records":false}}`, con[1], acc[1], e.a.admin.ID, con[0], acc[0], e.a.admin.ID))

	// A condition on the lookup's record; more_records; LIMIT offset, count.
	st, body = e.query(t, "v8", e.admin, "select Last_Name from Contacts where (Account_Name.Employees >= 10 or Last_Name = 'Jones') order by Last_Name limit 1")
	crmdtest.JSONEq(t, "first page", body, fmt.Sprintf(`{"data":[{"id":%q,"Last_Name":"Jones"}],"info":{"count":1,"more_records":true}}`, con[2]))
	st, body = e.query(t, "v8", e.admin, "select Last_Name from Contacts where (Account_Name.Employees >= 10 or Last_Name = 'Jones') order by Last_Name limit 1, 1")
	crmdtest.JSONEq(t, "second page", body, fmt.Sprintf(`{"data":[{"id":%q,"Last_Name":"Smith"}],"info":{"count":1,"more_records":false}}`, con[0]))

	// Nothing matches: 204 without a body. The Standard user's profile may view Contacts too.
	if st, body = e.query(t, "v8", e.std, "select id from Contacts where Last_Name = 'Nobody'"); st != 204 || body != nil {
		t.Errorf("no match: %d %v", st, body)
	}
	// From v7 on WHERE is optional; v2 answers the same shape.
	if st, body = e.query(t, "v7", e.admin, "select id from Contacts"); st != 200 || len(crmdtest.Items(t, body, "data")) != 3 {
		t.Errorf("v7 without where: %d %v", st, body)
	}
	if st, body = e.query(t, "v2", e.admin, "select Last_Name from Contacts where id = "+con[2]); st != 200 {
		t.Errorf("v2: %d %v", st, body)
	} else {
		crmdtest.JSONEq(t, "v2", body, fmt.Sprintf(`{"data":[{"id":%q,"Last_Name":"Jones"}],"info":{"count":1,"more_records":false}}`, con[2]))
	}
}

func TestCOQLErrorAnswers(t *testing.T) {
	e := newCOQLEnv(t)
	leadsOnly := e.a.fx.Token(t, e.a.admin, "ZohoCRM.modules.leads.READ,ZohoCRM.coql.READ")
	noCOQL := e.a.adminTok
	coqlOnly := e.a.fx.Token(t, e.a.admin, "ZohoCRM.coql.READ")
	tests := []struct {
		name, version, token, body string
		status                     int
		want                       string
	}{
		{"syntax", "v8", e.admin, `{"select_query":"select id Contacts"}`, 400,
			`{"code":"SYNTAX_ERROR","details":{"column":11,"line":1,"near":"Contacts"},"message":"invalid query formed","status":"error"}`},
		{"unbracketed criteria", "v8", e.admin, `{"select_query":"select id from Contacts where id = 1 and id = 2 and id = 3"}`, 400,
			`{"code":"SYNTAX_ERROR","details":{"column":49,"line":1,"near":"and"},"message":"invalid query formed","status":"error"}`},
		{"where before v7", "v6", e.admin, `{"select_query":"select id from Contacts"}`, 400,
			`{"code":"SYNTAX_ERROR","details":{"clause":"where"},"message":"invalid query formed","status":"error"}`},
		{"column", "v8", e.admin, `{"select_query":"select Nope from Contacts where id is not null"}`, 400,
			`{"code":"INVALID_QUERY","details":{"clause":"select","column_name":"Nope"},"message":"column given seems to be invalid","status":"error"}`},
		{"value", "v8", e.admin, `{"select_query":"select id from Contacts where Date_of_Birth = 'yesterday'"}`, 400,
			`{"code":"INVALID_QUERY","details":{"clause":"where","column_name":"Date_of_Birth","expected_data_type":"date"},"message":"value given seems to be invalid for the column","status":"error"}`},
		{"multi-line field", "v8", e.admin, `{"select_query":"select id from Contacts where Description = 'x'"}`, 400,
			`{"code":"INVALID_QUERY","details":{"clause":"where","column_name":"Description","data_type":"textarea"},"message":"data type not supported","status":"error"}`},
		{"limit v8", "v8", e.admin, `{"select_query":"select id from Contacts limit 2001"}`, 400,
			`{"code":"LIMIT_EXCEEDED","details":{"clause":"limit","limit":2000},"message":"limit exceeded","status":"error"}`},
		{"limit v2.1", "v2.1", e.admin, `{"select_query":"select id from Contacts where id is not null limit 201"}`, 400,
			`{"code":"LIMIT_EXCEEDED","details":{"clause":"limit","limit":200},"message":"limit exceeded","status":"error"}`},
		{"duplicate", "v8", e.admin, `{"select_query":"select id from Contacts where id is not null order by id, id"}`, 400,
			`{"code":"DUPLICATE_DATA","details":{"clause":"order by","column_name":"id"},"message":"duplicate data","status":"error"}`},
		{"module", "v8", e.admin, `{"select_query":"select id from Nowhere where id is not null"}`, 400,
			`{"code":"INVALID_MODULE","details":{"module":"Nowhere"},"message":"the module name given seems to be invalid","status":"error"}`},
		{"missing query", "v8", e.admin, `{}`, 400,
			`{"code":"MANDATORY_NOT_FOUND","details":{"api_name":"select_query","json_path":"$.select_query"},"message":"required field not found","status":"error"}`},
		{"query not a string", "v8", e.admin, `{"select_query":["select"]}`, 400,
			`{"code":"INVALID_DATA","details":{"api_name":"select_query","expected_data_type":"string","json_path":"$.select_query"},"message":"invalid data","status":"error"}`},
		{"body not JSON", "v8", e.admin, `select id from Contacts`, 400,
			`{"code":"UNABLE_TO_PARSE_DATA_TYPE","details":{},"message":"either the request body or parameters is in wrong format","status":"error"}`},
		{"no coql scope", "v8", noCOQL, `{"select_query":"select id from Contacts"}`, 401,
			`{"code":"OAUTH_SCOPE_MISMATCH","details":{},"message":"invalid oauth scope to access this URL","status":"error"}`},
		{"no module scope", "v8", leadsOnly, `{"select_query":"select id from Contacts"}`, 401,
			`{"code":"OAUTH_SCOPE_MISMATCH","details":{},"message":"invalid oauth scope to access this URL","status":"error"}`},
		{"unknown module, no modules scope", "v8", coqlOnly, `{"select_query":"select id from Nowhere"}`, 401,
			`{"code":"OAUTH_SCOPE_MISMATCH","details":{},"message":"invalid oauth scope to access this URL","status":"error"}`},
		{"no token", "v8", "", `{"select_query":"select id from Contacts"}`, 401, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, body := e.do(t, "POST", "/crm/"+tt.version+"/coql", tt.token, tt.body)
			if st != tt.status {
				t.Fatalf("status %d, want %d: %v", st, tt.status, body)
			}
			if tt.want != "" {
				crmdtest.JSONEq(t, tt.name, body, tt.want)
			}
		})
	}

	// The module scope of the queried module is enough: a Leads-only token may query Leads.
	e.insert(t, "Leads", e.a.adminTok, `{"Last_Name":"Lee","Company":"Acme"}`)
	if st, body := e.query(t, "v8", leadsOnly, "select Last_Name from Leads where Last_Name = 'lee'"); st != 200 ||
		len(crmdtest.Items(t, body, "data")) != 1 {
		t.Errorf("leads-only token on Leads: %d %v", st, body)
	}
	// coql is a route of its own, never a module: GET is the wrong verb there, and no insert happens.
	if st, body := e.do(t, "GET", "/crm/v8/coql", e.admin, ""); st != 400 || body["code"] != "INVALID_REQUEST_METHOD" {
		t.Errorf("GET /coql: %d %v", st, body)
	}
	if st, body := e.do(t, "POST", "/crm/v8/coql", e.admin, `{"data":[{"Last_Name":"x"}]}`); st != 400 || body["code"] != "MANDATORY_NOT_FOUND" {
		t.Errorf("an insert body at /coql: %d %v", st, body)
	}
	if st, body := e.do(t, "POST", "/crm/v1/coql", e.admin, `{"select_query":"select id from Leads"}`); st < 400 || st >= 500 {
		t.Errorf("unknown version: %d %v", st, body)
	}
}
