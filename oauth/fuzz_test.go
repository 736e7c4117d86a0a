package oauth

import (
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// FuzzParseScopes feeds a fuzzed scope list to ParseScopes (the client_credentials grant's scope
// parameter, crmd token --scope) and the result, with a fuzzed need, to Permits and HasFamily. The
// properties: no panic; a refusal wraps ErrInvalidScope; an accepted list is non-empty, every entry is in
// the grammar and appears in the input, no two are equal ignoring case, and the list parses back to
// itself joined by spaces (as the token endpoint answers it) or commas (as tokens store it); Permits
// implies HasFamily of the need's family, and granting more scopes never takes a permission away.
//
// Run: go test ./oauth -run '^$' -fuzz '^FuzzParseScopes$' -fuzztime 1m
func FuzzParseScopes(f *testing.F) {
	for _, s := range [][4]string{
		{"ZohoCRM.modules.ALL,ZohoCRM.mass_delete.ALL", "mass_delete", "leads", "DELETE"},
		{"ZohoCRM.modules.ALL", "mass_delete", "leads", "DELETE"},
		{"ZohoCRM.modules.leads.READ ZohoCRM.settings.fields.read", "settings", "fields", "READ"},
		{"zohocrm.MODULES.Price_Books.write,\tZohoCRM.modules.pricebooks.DELETE", "modules", "pricebooks", "create"},
		{"ZohoCRM.modules.meetings.ALL", "modules", "events", "UPDATE"},
		{"ZohoCRM.users.READ,ZohoCRM.users.read,ZohoCRM.org.READ", "users", "", "READ"},
		{"ZohoCRM.settings.territories.ALL", "settings", "territories.x", "READ"},
		{"ZohoCRM.modules", "modules", "", "ALL"}, {"ZohoCRM..ALL", "", "", "ALL"}, {"Zoho CRM.modules.ALL", "modules", "", "ALL"},
		{"ZohoCRM.modules.ALL.", "modules", "", "READ"}, {"ZohoCRM.modules.leads.EXECUTE", "modules", "leads", "EXECUTE"},
		{"ZohoBooks.modules.ALL", "modules", "leads", "READ"}, {"ZohoCRM.modüles.ALL", "modules", "", "READ"}, {",, ,", "", "", ""}, {"", "", "", ""},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, list, family, resource, op string) {
		scopes, err := ParseScopes(list)
		if err != nil {
			if !errors.Is(err, ErrInvalidScope) || scopes != nil {
				t.Fatalf("ParseScopes(%q) = %v, %v", list, scopes, err)
			}
			return
		}
		if len(scopes) == 0 {
			t.Fatalf("ParseScopes(%q) accepted no scope", list)
		}
		seen := map[string]bool{}
		for _, s := range scopes {
			if _, ok := parseScope(s); !ok || !strings.Contains(list, s) {
				t.Fatalf("ParseScopes(%q) gave %q", list, s)
			}
			if seen[strings.ToLower(s)] {
				t.Fatalf("ParseScopes(%q) gave %q twice", list, s)
			}
			seen[strings.ToLower(s)] = true
		}
		for _, sep := range []string{" ", ","} {
			if again, err := ParseScopes(strings.Join(scopes, sep)); err != nil || !slices.Equal(again, scopes) {
				t.Fatalf("ParseScopes(%q) = %v, which joined by %q parses to %v, %v", list, scopes, sep, again, err)
			}
		}
		need := Need{Family: family, Resource: resource, Op: op}
		if Permits(scopes, need) && !HasFamily(scopes, family) {
			t.Fatalf("%v permits %+v without its family", scopes, need)
		}
		for k := range scopes {
			if Permits(scopes[:k], need) && !Permits(scopes, need) {
				t.Fatalf("%v permits %+v but %v does not", scopes[:k], need, scopes)
			}
		}
	})
}

// FuzzTokenParams feeds fuzzed bodies with fuzzed content types to parseParams, the first step of the
// token and revoke endpoints, and its parameters to what the grants read from them: parseSOID and
// ParseScopes. The properties: no panic; a parsed request has a form; an accepted soid names ZohoCRM and
// a positive org id.
//
// Run: go test ./oauth -run '^$' -fuzz '^FuzzTokenParams$' -fuzztime 1m
func FuzzTokenParams(f *testing.F) {
	form := "application/x-www-form-urlencoded"
	for _, s := range [][2]string{
		{form, "grant_type=client_credentials&client_id=1000.ABC&client_secret=s3cr3t&soid=ZohoCRM.4150868000000000001&scope=ZohoCRM.modules.ALL"},
		{form, "grant_type=authorization_code&client_id=1000.ABC&client_secret=x&code=1000.abc.def&redirect_uri=https%3A%2F%2Fapp.test%2Fcb"},
		{form, "grant_type=refresh_token&refresh_token=1000.x&refresh_token=1000.y"},
		{form, "soid=zohocrm.0"}, {form, "soid=ZohoCRM."}, {form, "soid=ZohoCRM.-1"}, {form, "soid=ZohoCRM.1.2"}, {form, "%zz=1&a=%"}, {form, ";;&&=="},
		{form + "; charset=utf-8", "token=1000.x"}, {"", "grant_type=x"}, {"text/plain", "grant_type=x"}, {"application/json", `{"grant_type":"x"}`},
		{"multipart/form-data; boundary=XX", "--XX\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\nrefresh_token\r\n--XX--\r\n"},
		{"multipart/form-data; boundary=XX", "--XX\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nabc\r\n--XX--\r\n"},
		{"multipart/form-data", "--XX\r\n"}, {"multipart/form-data; boundary=", ""}, {"multipart/mixed; boundary=XX", "--XX--"},
		{"application/x-www-form-urlencoded; charset=\"", "a=b"}, {"\x00", "a=b"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, contentType, body string) {
		r := httptest.NewRequest("POST", "/oauth/v2/token", strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		w := httptest.NewRecorder()
		if err := parseParams(w, r); err != nil {
			return // answered {"error":"invalid_request"}
		}
		if r.MultipartForm != nil {
			defer r.MultipartForm.RemoveAll()
		}
		if r.Form == nil {
			t.Fatalf("parseParams(%q, %q) succeeded without a form", contentType, body)
		}
		p := func(k string) string { return strings.TrimSpace(r.Form.Get(k)) }
		if id, ok := parseSOID(p("soid")); ok {
			svc, _, _ := strings.Cut(p("soid"), ".")
			if id <= 0 || !strings.EqualFold(svc, Service) {
				t.Fatalf("parseSOID(%q) = %d", p("soid"), id)
			}
		}
		ParseScopes(p("scope"))
	})
}
