package criteria

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/catalog"
)

func TestParseSearch(t *testing.T) {
	leads := catalog.Numbered("Leads", 7, 5000)
	cases := []struct {
		in   string
		want string // the tree, as leafString prints it
	}{
		{`(Last_Name:equals:Burns)`, `Last_Name equal Burns`},
		{`((Last_Name:equals:Burns\,B)and(First_Name:starts_with:M))`, `and(Last_Name equal Burns,B; First_Name starts_with M)`},
		{`( (Last_Name:equals:A) OR (Last_Name:equals:B) and (Company:equals:C) )`, `or(Last_Name equal A; and(Last_Name equal B; Company equal C))`},
		{`(Company:equals:Zylker \(East\) \\ x)`, `Company equal Zylker (East) \ x`},
		{`(Lead_Source:in:Web,Ads)`, `Lead_Source in [Web Ads]`},
		{`(Lead_Source:equals:Web,Ads)`, `Lead_Source equal [Web Ads]`},
		{`(No_of_Employees:between:1,5)`, `No_of_Employees between [1 5]`},
		{`(Modified_Time:greater_equal:2024-04-20T05:58:06+05:30)`, `Modified_Time greater_equal 2024-04-20 00:28:06 +0000 UTC`},
		{`(Email_Opt_Out:equals:TRUE)`, `Email_Opt_Out equal true`},
		{`(Owner:equals:42)`, `Owner equal 42`},
	}
	for _, c := range cases {
		n, err := ParseSearch(c.in, leads)
		if err != nil {
			t.Errorf("%s: %v %v", c.in, err, detailsOf(err))
			continue
		}
		if got := treeString(n); got != c.want {
			t.Errorf("%s:\n got  %s\n want %s", c.in, got, c.want)
		}
	}
	bad := []struct{ in, code, reason string }{
		{``, "INVALID_QUERY", "invalid criteria"},
		{`Last_Name:equals:Burns`, "INVALID_QUERY", "invalid criteria"},
		{`(Last_Name:equals:Burns`, "INVALID_QUERY", "invalid criteria"},
		{`(Last_Name:equals:Burns))`, "INVALID_QUERY", "invalid criteria"},
		{`(Last_Name:equals)`, "INVALID_QUERY", "invalid criteria"},
		{`(Last_Name:equals:Bu(rns)`, "INVALID_QUERY", "invalid criteria"},
		{`((Last_Name:equals:A)xor(Last_Name:equals:B))`, "INVALID_QUERY", "invalid criteria"},
		{`(Nope:equals:x)`, "INVALID_QUERY", "the field is not available for search"},
		{`(Last_Name:contains:x)`, "INVALID_QUERY", "invalid operator found"},
		{`(Lead_Source:starts_with:x)`, "INVALID_QUERY", "invalid operator found"},
		{`(Created_Time:in:2024-01-01,2024-01-02)`, "INVALID_QUERY", "invalid operator found"},
		{`(Last_Name:equals:)`, "INVALID_QUERY", "invalid value given"},
		{`(No_of_Employees:greater_than:x)`, "INVALID_QUERY", "invalid value given"},
		{`(Email_Opt_Out:equals:yes)`, "INVALID_QUERY", "invalid value given"},
		{`(Created_Time:equals:yesterday)`, "INVALID_QUERY", "invalid value given"},
		{`(Last_Name:in:` + strings.Repeat("a,", MaxListValues) + `a)`, "LIMIT_EXCEEDED", ""},
		{strings.Repeat(`(`, MaxDepth+2) + `Last_Name:equals:a` + strings.Repeat(`)`, MaxDepth+2), "LIMIT_EXCEEDED", ""},
		{`(Last_Name:equals:a)` + strings.Repeat(`or(Last_Name:equals:a)`, MaxSearchConditions), "LIMIT_EXCEEDED", ""},
	}
	for _, c := range bad {
		_, err := ParseSearch(c.in, leads)
		e, ok := crmd.AsError(err)
		if !ok || e.Code != c.code || e.Status != 400 || (c.reason != "" && e.Details["reason"] != c.reason) {
			t.Errorf("%.80s: %v %v, want %s %q", c.in, err, detailsOf(err), c.code, c.reason)
		}
	}
}

// treeString prints a parsed tree compactly for comparisons.
func treeString(n *Node) string {
	if n.IsGroup() {
		parts := make([]string, len(n.Members))
		for i, m := range n.Members {
			parts[i] = treeString(m)
		}
		return n.Op + "(" + strings.Join(parts, "; ") + ")"
	}
	return fmt.Sprintf("%s %s %v", n.Field.APIName, n.Comparator, n.Value)
}

// FuzzSearch feeds fuzzed strings to ParseSearch against Leads. The properties: a refusal is a
// Zoho-shaped client error (INVALID_QUERY or LIMIT_EXCEEDED, 400, details that encode); an accepted
// criteria string compiles for both dialects with one placeholder per bound value and no text in the
// SQL but the compiler's own literals and field names (whatever the client wrote is bound); the SQLite
// predicate runs and selects exactly what Eval accepts.
//
// Run: go test ./criteria -run '^$' -fuzz '^FuzzSearch$' -fuzztime 1m
func FuzzSearch(f *testing.F) {
	for _, s := range []string{
		`(Last_Name:equals:Burns)`,
		`((Last_Name:equals:Burns\,B)and(First_Name:starts_with:M))`,
		`((Company:equals:O'Br%_?)or(Lead_Status:in:Contacted,Not Contacted))`,
		`(No_of_Employees:between:10,100)`,
		`(Annual_Revenue:greater_than:1e3)`,
		`(Created_Time:less_equal:2024-05-13T00:00:00+05:30)`,
		`(Email_Opt_Out:equals:true)`,
		`(Owner:in:42,43)`,
		`(Company:equals:\(x\)\\)`,
		`(Nope:equals:x)`, `(`, `)`, `()`, `(a:b:c)`, `((()))`, `(Last_Name:equals:x)and`,
	} {
		f.Add(s)
	}
	leads := catalog.Numbered("Leads", 7, 5000)
	db, rows := fuzzRows(f)
	env := Env{Now: time.Date(2024, 5, 13, 8, 2, 33, 0, time.UTC), Loc: mustZone(f, "Asia/Kolkata"), UserID: 42}
	allowed := literals(leads)
	f.Fuzz(func(t *testing.T, text string) {
		n, err := ParseSearch(text, leads)
		if err != nil {
			e, ok := crmd.AsError(err)
			if !ok || (e.Code != "INVALID_QUERY" && e.Code != "LIMIT_EXCEEDED") || e.Status != 400 || e.Message == "" {
				t.Fatalf("ParseSearch(%q): not a Zoho client error: %#v", text, err)
			}
			return
		}
		checkCompiled(t, n, text, allowed, db, rows, env)
	})
}
