package api_test

import (
	"encoding/json"
	"testing"
)

// FuzzCOQLHTTP posts fuzzed select queries to POST /crm/{version}/coql through the real handler, over the
// fuzz fixture (Leads, an unapproved Lead, a Contact): no 500, always JSON (or an empty 204), every
// error Zoho-shaped, nothing written. Bit 4 of the variant sends the text as the whole body instead of
// as select_query, so that malformed bodies are fuzzed too.
func FuzzCOQLHTTP(f *testing.F) {
	for _, s := range []string{
		"select Last_Name, Company, Owner, Owner.email from Leads where Last_Name like 'L%' order by Annual_Revenue desc limit 3",
		"select id from Leads where (Annual_Revenue between 1000 and 3000 and Email is not null) limit 1, 2",
		"select id from Leads where id in ({lead1}, '{lead2}', {foreign})",
		"select Last_Name, Account_Name.Account_Name from Contacts where Account_Name.Account_Name = 'x' or id = {contact}",
		"select id from Leads",
		"select id from Leads where Last_Name = 'a' and Company = 'b' and Email = 'c'",
		"select id from Nope where id is not null",
		"select id from coql where id is not null",
		"select Description from Leads where Description = 'x'",
		"select id from Leads where Created_Time >= '2024-05-13T08:02:33+05:30' order by Created_Time, Owner limit 2000",
		"", "select", "select id from Leads where Last_Name = '\x00'",
	} {
		f.Add(uint8(0), s)
	}
	f.Add(uint8(1), "select id from Leads limit 300")
	f.Add(uint8(8), "select Last_Name from Leads where id is not null")
	f.Add(uint8(16), `{"select_query":5}`)
	f.Add(uint8(16), `{"select_query":null}`)
	f.Add(uint8(16), `{}`)
	f.Add(uint8(16), `[]`)
	e := newFuzzEnv(f)
	admin := e.acme.Token(f, e.acme.Admin, fuzzScope+",ZohoCRM.coql.READ")
	std := e.acme.Token(f, e.acme.Std, fuzzScope+",ZohoCRM.coql.READ")
	f.Fuzz(func(t *testing.T, variant uint8, text string) {
		version, token := e.pick(variant & 15)
		if token == e.adminTok {
			token = admin
		} else {
			token = std
		}
		body := e.fill(text)
		if variant&16 == 0 {
			b, _ := json.Marshal(map[string]string{"select_query": body})
			body = string(b)
		}
		out := e.do(t, "POST", "/crm/"+version+"/coql", "application/json", token, body, false)
		if out.written {
			t.Fatalf("a query reported a write: %d %v", out.status, out.body)
		}
	})
}
