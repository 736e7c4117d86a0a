package coql

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/criteria"
	_ "modernc.org/sqlite"
)

// FuzzCOQL feeds select queries to Parse and Check (against Contacts, whose lookups reach Accounts, in
// v2.1 and v8). A refusal must be a *crmd.Error with a 4xx status, a code and details, never a panic.
// An accepted query must compile, for both dialects, to SQL that binds every client value: one "?" per
// argument and no client string in the text; and its SQLite form, run over an empty records table,
// must be valid SQL.
func FuzzCOQL(f *testing.F) {
	for _, s := range []string{
		"select Last_Name from Contacts where Last_Name = 'Smith'",
		"select id, Account_Name.Account_Name, Owner.email from Contacts where (Account_Name.Employees between 10 and 20 or Last_Name like '%a%') order by Date_of_Birth desc, id limit 5, 10",
		"select id from Contacts where Email_Opt_Out = true and Created_Time >= '2024-01-01T00:00:00+05:30'",
		"select id from Contacts where Lead_Source not in ('Chat', 'Partner') offset 20",
		"select id from Contacts where Account_Name.Account_Name = 'x'' OR 1=1 --'",
		"select id from Contacts where (Date_of_Birth is null and (Account_Name is not null or id > 5))",
		"SELECT \"Last_Name\" FROM contacts WHERE Last_Name != 'a;DROP TABLE records' ORDER BY Last_Name ASC LIMIT 2000",
		"select id from Contacts where Account_Name.Annual_Revenue < -12.5 limit 99000, 1000",
		"select id from Contacts where Last_Name = '\x00'",
		"select id from Contacts where Last_Name = 'a' and Email = 'b' and id = 1",
	} {
		f.Add(s)
	}
	db, err := sql.Open("sqlite", filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE records (id INTEGER PRIMARY KEY, org_id INTEGER NOT NULL, module_id INTEGER NOT NULL,
		owner_id INTEGER NOT NULL, created_by INTEGER NOT NULL, modified_by INTEGER NOT NULL, created_time INTEGER NOT NULL,
		modified_time INTEGER NOT NULL, deleted_time INTEGER, data TEXT NOT NULL)`); err != nil {
		f.Fatal(err)
	}
	contacts, _, resolve := testModules()
	f.Fuzz(func(t *testing.T, text string) {
		st, err := Parse(text)
		if err != nil {
			wantRefusal(t, text, err)
			return
		}
		for _, v := range []int{21, 80} {
			q, err := Check(st, contacts, resolve, v)
			if err != nil {
				wantRefusal(t, text, err)
				continue
			}
			if q.Limit < 1 || q.Offset < 0 || q.Offset+q.Limit > LimitsOf(v).MaxRows {
				t.Fatalf("%q: window %d, %d", text, q.Offset, q.Limit)
			}
			for _, d := range []criteria.Dialect{criteria.SQLite, criteria.Postgres} {
				tgt := criteria.Target{Dialect: d, Alias: "records"}
				pred, args := criteria.Compile(q.Where, tgt, criteria.Env{})
				order := ""
				for _, o := range q.Order {
					order += criteria.OrderExpr(o.Field, tgt) + ", "
				}
				query := "SELECT records.id FROM records WHERE records.org_id = 1 AND " + pred + " ORDER BY " + order + "records.id"
				if n := strings.Count(query, "?"); n != len(args) {
					t.Fatalf("%q: %d placeholders for %d arguments in %s", text, n, len(args), query)
				}
				for _, s := range clientStrings(st.Where) {
					if strings.Contains(query, s) {
						t.Fatalf("%q: client text %q in SQL %s", text, s, query)
					}
				}
				if d == criteria.SQLite {
					rows, err := db.Query(query, args...)
					if err != nil {
						t.Fatalf("%q: %v\n%s", text, err, query)
					}
					rows.Close()
				}
			}
		}
	})
}

func wantRefusal(t *testing.T, text string, err error) {
	t.Helper()
	e, ok := crmd.AsError(err)
	if !ok || e.Status < 400 || e.Status > 499 || e.Code == "" || e.Details == nil || e.Message == "" {
		t.Fatalf("%q: refusal %#v is not a Zoho 4xx", text, err)
	}
}

// clientStrings are the string values of a WHERE clause that could not pass for SQL the compiler writes
// itself: those with a character outside identifiers and at least four characters long.
func clientStrings(c *Cond) []string {
	if c == nil {
		return nil
	}
	if c.Op != "" {
		return append(clientStrings(c.Left), clientStrings(c.Right)...)
	}
	var out []string
	for _, v := range c.Values {
		if v.Kind == LitString && len(v.Text) >= 4 && strings.IndexFunc(v.Text, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_')
		}) >= 0 {
			out = append(out, v.Text)
		}
	}
	return out
}
