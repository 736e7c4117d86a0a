package coql

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/catalog"
	"github.com/crmd/crmd/criteria"
)

// testModules are Contacts (module 7) and Accounts (module 8) of the standard catalog, in org 1.
func testModules() (contacts, accounts *crmd.Module, resolve Resolver) {
	contacts = catalog.Numbered("Contacts", 7, 1000)
	accounts = catalog.Numbered("Accounts", 8, 2000)
	contacts.OrgID, accounts.OrgID = 1, 1
	resolve = func(name string) (*crmd.Module, error) {
		switch strings.ToLower(name) {
		case "contacts":
			return contacts, nil
		case "accounts":
			return accounts, nil
		}
		return nil, nil
	}
	return contacts, accounts, resolve
}

// run parses and checks q against Contacts in version v.
func run(q string, v int) (*Query, error) {
	contacts, _, resolve := testModules()
	st, err := Parse(q)
	if err != nil {
		return nil, err
	}
	return Check(st, contacts, resolve, v)
}

func errJSON(t *testing.T, err error) string {
	t.Helper()
	e, ok := crmd.AsError(err)
	if !ok {
		t.Fatalf("not a *crmd.Error: %v", err)
	}
	return enc(map[string]any{"code": e.Code, "message": e.Message, "details": e.Details, "status": e.Status})
}

// enc is JSON as the API writes it (no HTML escaping), with sorted keys.
func enc(v any) string {
	var b strings.Builder
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	_ = e.Encode(v)
	return strings.TrimSuffix(b.String(), "\n")
}

func TestCOQLErrors(t *testing.T) {
	syn := func(line, col int, near string) string {
		return enc(map[string]any{"code": "SYNTAX_ERROR", "message": MsgInvalidQuery,
			"details": map[string]any{"line": line, "column": col, "near": near}, "status": 400})
	}
	iq := func(msg, details string) string {
		return `{"code":"INVALID_QUERY","details":` + details + `,"message":"` + msg + `","status":400}`
	}
	lim := func(clause string, n int) string {
		return enc(map[string]any{"code": "LIMIT_EXCEEDED", "message": MsgLimitExceeded,
			"details": map[string]any{"clause": clause, "limit": n}, "status": 400})
	}
	many := func(n int, s string) string { return strings.TrimSuffix(strings.Repeat(s+",", n), ",") }
	tests := []struct {
		name, q string
		v       int
		want    string
	}{
		{"empty", "", 80, syn(1, 1, "<EOF>")},
		{"not select", "update Contacts set x = 1", 80, syn(1, 1, "update")},
		{"no from", "select Last_Name where id = 1", 80, syn(1, 18, "where")},
		{"reserved as module", "select id from where", 80, syn(1, 16, "where")},
		{"three criteria unbracketed", "select id from Contacts where id is not null and Last_Name is not null and Email is not null", 80,
			syn(1, 72, "and")},
		{"unclosed string", "select id from Contacts where Last_Name = 'x", 80, syn(1, 43, "'")},
		{"bad character", "select id from Contacts where Last_Name = #", 80, syn(1, 43, "#")},
		{"multi-line position", "select id\nfrom Contacts\nwhere Last_Name ==  'x'", 80, syn(3, 18, "=")},
		{"missing value", "select id from Contacts where Last_Name =", 80, syn(1, 42, "<EOF>")},
		{"unbalanced", "select id from Contacts where (Last_Name = 'x'", 80, syn(1, 47, "<EOF>")},
		{"trailing words", "select id from Contacts where id is not null limit 5 group", 80, syn(1, 54, "group")},
		{"offset twice", "select id from Contacts where id is not null limit 5, 5 offset 3", 80, syn(1, 57, "offset")},
		{"where missing before v7", "select id from Contacts", 60,
			`{"code":"SYNTAX_ERROR","details":{"clause":"where"},"message":"invalid query formed","status":400}`},
		{"unknown column", "select Nope from Contacts where id is not null", 80,
			iq(MsgInvalidColumn, `{"clause":"select","column_name":"Nope"}`)},
		{"unknown where column", "select id from Contacts where Nope = 'x'", 80,
			iq(MsgInvalidColumn, `{"clause":"where","column_name":"Nope"}`)},
		{"unknown lookup column", "select Account_Name.Nope from Contacts where id is not null", 80,
			iq(MsgInvalidColumn, `{"clause":"select","column_name":"Account_Name.Nope"}`)},
		{"dotted non-lookup", "select Last_Name.x from Contacts where id is not null", 80,
			iq(MsgInvalidColumn, `{"clause":"select","column_name":"Last_Name.x"}`)},
		{"owner attribute in where", "select id from Contacts where Owner.email = 'a@b.c'", 80,
			iq(MsgInvalidColumn, `{"clause":"where","column_name":"Owner.email"}`)},
		{"textarea in where", "select id from Contacts where Description = 'x'", 80,
			iq(MsgTypeNotAllowed, `{"clause":"where","column_name":"Description","data_type":"textarea"}`)},
		{"operator for type", "select id from Contacts where Email_Opt_Out > true", 80,
			iq(MsgTypeNotAllowed, `{"clause":"where","column_name":"Email_Opt_Out","data_type":"boolean","operator":">"}`)},
		{"like on a lookup", "select id from Contacts where Account_Name like '1%'", 80,
			iq(MsgTypeNotAllowed, `{"clause":"where","column_name":"Account_Name","data_type":"lookup","operator":"like"}`)},
		{"value type", "select id from Contacts where Last_Name = 5", 80,
			iq(MsgInvalidValue, `{"clause":"where","column_name":"Last_Name","expected_data_type":"text"}`)},
		{"date format", "select id from Contacts where Date_of_Birth = '12/01/2020'", 80,
			iq(MsgInvalidValue, `{"clause":"where","column_name":"Date_of_Birth","expected_data_type":"date"}`)},
		{"datetime format", "select id from Contacts where Created_Time > '2020-01-01 10:00'", 80,
			iq(MsgInvalidValue, `{"clause":"where","column_name":"Created_Time","expected_data_type":"datetime"}`)},
		{"lookup id", "select id from Contacts where Account_Name = 'abc'", 80,
			iq(MsgInvalidValue, `{"clause":"where","column_name":"Account_Name","expected_data_type":"lookup"}`)},
		{"related value", "select id from Contacts where Account_Name.Employees = 'many'", 80,
			iq(MsgInvalidValue, `{"clause":"where","column_name":"Account_Name.Employees","expected_data_type":"integer"}`)},
		{"fraction for integer", "select id from Contacts where Account_Name.Employees = 1.5", 80,
			iq(MsgInvalidValue, `{"clause":"where","column_name":"Account_Name.Employees","expected_data_type":"integer"}`)},
		{"order by multiselect-free lookup", "select id from Contacts where id is not null order by Account_Name", 80,
			iq(MsgTypeNotAllowed, `{"clause":"order by","column_name":"Account_Name","data_type":"lookup"}`)},
		{"order by dotted", "select id from Contacts where id is not null order by Account_Name.Account_Name", 80,
			iq(MsgInvalidColumn, `{"clause":"order by","column_name":"Account_Name.Account_Name"}`)},
		{"limit zero", "select id from Contacts where id is not null limit 0", 80,
			iq(MsgInvalidValue, `{"clause":"limit","reason":"the limit must be at least 1"}`)},
		{"limit v8", "select id from Contacts where id is not null limit 2001", 80, lim("limit", 2000)},
		{"limit v3", "select id from Contacts where id is not null limit 201", 30, lim("limit", 200)},
		{"offset v8", "select id from Contacts where id is not null limit 99000, 2000", 80, lim("offset", 100000)},
		{"offset v6", "select id from Contacts where id is not null limit 2000 offset 8001", 60, lim("offset", 10000)},
		{"huge limit", "select id from Contacts where id is not null limit 99999999999999999999", 80, lim("limit", 2000)},
		{"huge offset v2", "select id from Contacts where id is not null offset 99999999999999999999", 20, lim("offset", 10000)},
		{"in values v6", "select id from Contacts where Last_Name in (" + many(51, "'x'") + ")", 60, lim("where", 50)},
		{"in values v8", "select id from Contacts where Last_Name in (" + many(101, "'x'") + ")", 80, lim("where", 100)},
		{"select columns", "select " + many(51, "id") + " from Contacts where id is not null", 80, lim("select", 50)},
		{"order keys", "select id from Contacts where id is not null order by " + many(11, "id"), 80, lim("order by", 10)},
		{"criteria", "select id from Contacts where " + strings.Repeat("(id is not null and ", 25) + "id is not null" +
			strings.Repeat(")", 25), 80, lim("where", 25)},
		{"duplicate order", "select id from Contacts where id is not null order by id, id", 80,
			`{"code":"DUPLICATE_DATA","details":{"clause":"order by","column_name":"id"},"message":"duplicate data","status":400}`},
		{"duplicate select", "select Last_Name, last_name from Contacts where id is not null", 80,
			`{"code":"DUPLICATE_DATA","details":{"clause":"select","column_name":"Last_Name"},"message":"duplicate data","status":400}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := run(tt.q, tt.v)
			if err == nil {
				t.Fatalf("%q accepted", tt.q)
			}
			if got := errJSON(t, err); got != tt.want {
				t.Errorf("%q:\n got %s\nwant %s", tt.q, got, tt.want)
			}
		})
	}
}

func TestCOQLAccepted(t *testing.T) {
	q, err := run(`SELECT Last_Name, "Email", 'Title', Account_Name.Account_Name, Owner.EMAIL, id FROM contacts
		WHERE ((Last_Name like '%mi%' OR Account_Name.Employees between 10 AND 20) and Created_Time >= '2024-01-01T00:00:00+05:30')
		ORDER BY Date_of_Birth DESC, id LIMIT 10, 20`, 80)
	if err != nil {
		t.Fatal(errJSON(t, err))
	}
	var keys []string
	for _, c := range q.Columns {
		keys = append(keys, c.Key)
	}
	if got := strings.Join(keys, ","); got != "Last_Name,Email,Title,Account_Name.Account_Name,Owner.email,id" {
		t.Errorf("columns %s", got)
	}
	if c := q.Columns[3]; c.Target.ID != 8 || c.TargetField.ID != 2005 || c.Field.APIName != "Account_Name" || c.Field.ID < 1000 || c.Field.ID > 1999 {
		t.Errorf("lookup column %+v", c)
	}
	if q.Offset != 10 || q.Limit != 20 || len(q.Order) != 2 || !q.Order[0].Desc || q.Order[1].Field != criteria.IDField {
		t.Errorf("window/order %+v", q)
	}
	w := q.Where
	if w.Op != "and" || w.Members[0].Op != "or" {
		t.Fatalf("tree %+v", w)
	}
	rel := w.Members[0].Members[1]
	if rel.Comparator != criteria.RelatedTo || rel.SubModule != 8 || rel.SubOrg != 1 || rel.Sub.Comparator != criteria.Between {
		t.Errorf("related leaf %+v", rel)
	}
	if v, _ := rel.Sub.Value.([]any); len(v) != 2 || v[0] != int64(10) || v[1] != int64(20) {
		t.Errorf("between value %#v", rel.Sub.Value)
	}
	if len(q.Joined) != 1 || q.Joined[0].ID != 8 {
		t.Errorf("joined modules %v", q.Joined)
	}
	like := w.Members[0].Members[0]
	if like.Comparator != criteria.Like || like.Value != "%mi%" {
		t.Errorf("like leaf %+v", like)
	}

	// Defaults: LIMIT 200 from offset 0; WHERE optional from v7 on; quotes doubled inside a string.
	q, err = run("select id from Contacts", 70)
	if err != nil || q.Limit != 200 || q.Offset != 0 || q.Where != nil {
		t.Errorf("defaults: %+v %v", q, err)
	}
	q, err = run("select id from Contacts where Last_Name = 'O''Brien' limit 5 offset 7", 21)
	if err != nil || q.Where.Value != "O'Brien" || q.Limit != 5 || q.Offset != 7 {
		t.Errorf("escaped quote: %+v %v", q, err)
	}
	q, err = run("select id from Contacts where (Account_Name.id = '123' and Account_Name in ('5', 6))", 80)
	if err != nil || q.Where.Members[0].Value != crmd.ID(123) || q.Where.Members[0].Comparator != criteria.Equal {
		t.Errorf("lookup id: %+v %v", q, err)
	}
	for _, ok := range []string{
		"select id from Contacts where Email_Opt_Out = true",
		"select id from Contacts where Email_Opt_Out != 'false'",
		"select id from Contacts where Date_of_Birth between '2020-01-01' and '2020-12-31'",
		"select id from Contacts where Created_Time = '2024-03-01'",
		"select id from Contacts where Account_Name.Annual_Revenue < -12.5",
		"select id from Contacts where Lead_Source not in ('Advertisement', 'Chat')",
		"select id from Contacts where Owner = 42",
		"select id from Contacts where Account_Name is null",
		"select id from Contacts where Account_Name.Account_Name is not null",
		"select id from Contacts where Last_Name not like 'x%'",
		"select id from Contacts where id in (1, 2, 3)",
		"select id from Contacts where id >= 10",
	} {
		if _, err := run(ok, 80); err != nil {
			t.Errorf("%s: %s", ok, errJSON(t, err))
		}
	}
}
