package oauth

import (
	"errors"
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

// FuzzParseSOID checks what the client_credentials grant reads from its soid parameter: an accepted
// soid names ZohoCRM (in any case) and a positive org id.
//
// Run: go test ./oauth -run '^$' -fuzz '^FuzzParseSOID$' -fuzztime 1m
func FuzzParseSOID(f *testing.F) {
	for _, s := range []string{"ZohoCRM.4150868000000000001", "zohocrm.0", "ZohoCRM.", "ZohoCRM.-1", "ZohoCRM.1.2", "Other.1", ".1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, soid string) {
		if id, ok := parseSOID(soid); ok {
			svc, _, _ := strings.Cut(soid, ".")
			if id <= 0 || !strings.EqualFold(svc, Service) {
				t.Fatalf("parseSOID(%q) = %d", soid, id)
			}
		}
	})
}
