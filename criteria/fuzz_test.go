package criteria

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd/catalog"

	"github.com/crmd/crmd"
)

// FuzzParse feeds fuzzed JSON to Parse, against the Leads module of the standard catalog or (with
// things) against testModule, which has a field of every kind criteria know. The properties:
//
//   - a refusal is a *crmd.Error with a Zoho code and a 4xx status, whose details encode as JSON;
//   - an accepted criterion renders in every version as JSON that parses back to the same rendering
//     (what GET /settings/custom_views shows can be PUT back);
//   - it compiles for both dialects with one placeholder per bound value and no text in the SQL but
//     the compiler's own literals and the module's field names: whatever the client wrote is bound;
//   - the SQLite predicate runs, and selects exactly the rows Eval accepts among a few awkward records.
//
// Run: go test ./criteria -run '^$' -fuzz '^FuzzParse$' -fuzztime 1m
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"field":{"api_name":"Company"},"comparator":"equal","value":"Acme"}`,
		`{"field":"Last_Name","comparator":"starts_with","value":"O'Br"}`,
		`{"field":{"api_name":"Company"},"comparator":"contains","value":"%_'\"?"}`,
		`{"field":{"api_name":"Email"},"comparator":"ends_with","value":"@acme.test"}`,
		`{"field":{"api_name":"Lead_Status"},"comparator":"in","value":["Contacted","Not Contacted"]}`,
		`{"field":{"api_name":"No_of_Employees"},"comparator":"between","value":[10,"100"]}`,
		`{"field":{"api_name":"Annual_Revenue"},"comparator":"greater_than","value":1e3}`,
		`{"field":{"api_name":"Email_Opt_Out"},"comparator":"equal","value":true}`,
		`{"field":{"api_name":"Owner"},"comparator":"equal","value":"${CURRENTUSER}"}`,
		`{"field":{"api_name":"Owner"},"comparator":"in","value":[{"id":"42"},"43",44]}`,
		`{"field":{"api_name":"Created_Time"},"comparator":"between","value":["2024-01-01T00:00:00+05:30","2024-02-01T00:00:00Z"]}`,
		`{"field":{"api_name":"Modified_Time"},"comparator":"equal","value":"${LASTNDAYS}:7"}`,
		`{"field":{"api_name":"Created_Time"},"comparator":"less_than","value":"${TODAY}"}`,
		`{"field":{"api_name":"Company"},"comparator":"not_equal","value":"${EMPTY}"}`,
		`{"field":{"api_name":"Description"},"comparator":"like","value":"%x_y%"}`,
		`{"group_operator":"AND","group":[{"field":{"api_name":"Company"},"comparator":"equal","value":"Acme"},{"group_operator":"or","group":[{"field":{"api_name":"Rating"},"comparator":"equal","value":"Hot"},{"field":{"api_name":"No_of_Employees"},"comparator":"less_equal","value":-5}]}]}`,
		`{"group_operator":"and","group":[]}`,
		`{"group_operator":"xor","group":[{"field":"Company","comparator":"equal","value":"x"}]}`,
		`{"field":{"id":"1"},"comparator":"equal","value":"x"}`,
		`{"field":{"api_name":"Nope"},"comparator":"equal","value":"x"}`,
		`{"field":{"api_name":"Company"},"comparator":"sounds_like","value":"x"}`,
		`{"field":{"api_name":"No_of_Employees"},"comparator":"equal","value":99999999999999999999}`,
		`{"field":{"api_name":"Company"},"comparator":"equal"}`,
		`{"field":{"api_name":"Company"},"comparator":"equal","value":null}`,
		`[]`, `null`, `"x"`, `{}`,
	} {
		f.Add(false, s)
	}
	for _, s := range []string{
		`{"field":{"api_name":"Tags"},"comparator":"in","value":["Red","%"]}`,
		`{"field":{"api_name":"Due"},"comparator":"between","value":["2024-02-29","${NEXTNMONTHS}:2"]}`,
		`{"field":{"api_name":"Seen"},"comparator":"greater_equal","value":"${THISWEEK}"}`,
		`{"field":{"api_name":"Account"},"comparator":"equal","value":{"id":"9007199254740993"}}`,
		`{"field":{"api_name":"Manager"},"comparator":"not_equal","value":"${CURRENTUSER}"}`,
		`{"field":{"api_name":"Big"},"comparator":"in","value":["9223372036854775807",-9223372036854775808]}`,
		`{"field":{"api_name":"Ratio"},"comparator":"less_than","value":0.1}`,
		`{"field":{"api_name":"Attachment"},"comparator":"equal","value":"x"}`,
	} {
		f.Add(true, s)
	}
	leads := catalog.Numbered("Leads", 7, 5000)
	things := testModule()
	db, rows := fuzzRows(f)
	env := Env{Now: time.Date(2024, 5, 13, 8, 2, 33, 0, time.UTC), Loc: mustZone(f, "Asia/Kolkata"), UserID: 42}
	allowed := map[*crmd.Module]map[string]bool{leads: literals(leads), things: literals(things)}

	f.Fuzz(func(t *testing.T, useThings bool, text string) {
		m := leads
		if useThings {
			m = things
		}
		dec := json.NewDecoder(strings.NewReader(text))
		dec.UseNumber()
		var raw any
		if dec.Decode(&raw) != nil {
			return // not JSON: the API layer answers it before criteria see it
		}
		n, err := Parse(raw, m)
		if err != nil {
			e, ok := crmd.AsError(err)
			if !ok || e.Code == "" || e.Message == "" || e.Status < 400 || e.Status >= 500 {
				t.Fatalf("Parse(%s): not a Zoho client error: %#v", text, err)
			}
			if _, jerr := json.Marshal(e.Details); jerr != nil {
				t.Fatalf("Parse(%s): details do not encode: %v", text, jerr)
			}
			return
		}
		for _, v := range []int{20, 21, 80} {
			first, err := json.Marshal(n.Render(v))
			if err != nil {
				t.Fatalf("Render(%d) of %s does not encode: %v", v, text, err)
			}
			d := json.NewDecoder(bytes.NewReader(first))
			d.UseNumber()
			var back any
			if err := d.Decode(&back); err != nil {
				t.Fatal(err)
			}
			n2, err := Parse(back, m)
			if err != nil {
				t.Fatalf("the v%d rendering %s of %s does not parse: %v %v", v, first, text, err, detailsOf(err))
			}
			second, _ := json.Marshal(n2.Render(v))
			if !bytes.Equal(first, second) {
				t.Fatalf("v%d rendering does not round-trip:\n input  %s\n first  %s\n second %s", v, text, first, second)
			}
		}
		checkCompiled(t, n, text, allowed[m], db, rows, env)
	})
}

// checkCompiled compiles an accepted tree for both dialects and checks the fuzz properties: one
// placeholder per bound value, no quoted text in the SQL but the compiler's own literals and the field
// names in allowed (whatever the client wrote is bound), balanced quotes, and on SQLite a predicate that
// runs and selects exactly the rows Eval accepts.
func checkCompiled(t *testing.T, n *Node, text string, allowed map[string]bool, db *backend, rows []testRow, env Env) {
	t.Helper()
	for _, d := range []Dialect{SQLite, Postgres} {
		where, args := Compile(n, Target{Dialect: d, Alias: "r"}, env)
		if q := strings.Count(where, "?"); q != len(args) {
			t.Fatalf("%d placeholders for %d bound values:\n%s\n%s", q, len(args), text, where)
		}
		for _, lit := range literalRe.FindAllString(where, -1) {
			if !allowed[lit] {
				t.Fatalf("literal %s in the SQL is not the compiler's: client text in SQL?\ncriteria %s\nSQL %s", lit, text, where)
			}
		}
		if strings.Count(where, "'")%2 != 0 {
			t.Fatalf("unbalanced quotes in the SQL:\ncriteria %s\nSQL %s", text, where)
		}
		if d != SQLite {
			continue
		}
		got, err := db.ids(where, args)
		if err != nil {
			t.Fatalf("the SQL fails: %v\ncriteria %s\nSQL %s\nargs %#v", err, text, where, args)
		}
		var want []int64
		for _, r := range rows {
			if Eval(n, &r.row, env) {
				want = append(want, int64(r.row.ID))
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("SQL selects %v, Eval %v\ncriteria %s\nSQL %s\nargs %#v", got, want, text, where, args)
		}
	}
}

// literalRe finds the single-quoted literals of compiled SQL.
var literalRe = regexp.MustCompile(`'[^']*'`)

// literals is every quoted literal Compile may write for m: its own constants and the JSON paths and
// keys of m's fields. Anything else between quotes came from the client.
func literals(m *crmd.Module) map[string]bool {
	set := map[string]bool{}
	for _, s := range []string{
		"", "id", "text", "integer", "real", "true", "false", "array", "string", "number", "boolean", "{}",
		sqliteIntGlob + "*", "-" + sqliteIntGlob + "*", "*[^0-9]*", sqliteDateGlob, sqliteDatetimeGlob,
		pgIntRe, pgDateRe, pgDatetimeRe, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz",
	} {
		set["'"+s+"'"] = true
	}
	for _, f := range m.Fields {
		for _, s := range []string{f.APIName, "$." + f.APIName, "$." + f.APIName + ".id"} {
			set["'"+s+"'"] = true
		}
	}
	return set
}

func mustZone(tb testing.TB, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

// fuzzRows loads a few records with awkward data — numbers as digit strings and beyond float precision,
// wrong JSON types, empty strings, quotes and LIKE wildcards, non-ASCII text — for the fields of both
// fuzzed modules into a SQLite table, and returns them as Eval sees them.
func fuzzRows(tb testing.TB) (*backend, []testRow) {
	tb.Helper()
	db, err := sql.Open("sqlite", filepath.Join(tb.TempDir(), "criteria.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE records (
		id INTEGER PRIMARY KEY, owner_id INTEGER NOT NULL, created_by INTEGER NOT NULL,
		modified_by INTEGER NOT NULL, created_time INTEGER NOT NULL, modified_time INTEGER NOT NULL,
		data TEXT NOT NULL)`); err != nil {
		tb.Fatal(err)
	}
	docs := []string{
		`{"Last_Name":"Ng","Company":"Acme","Email":"a@acme.test","No_of_Employees":40,"Annual_Revenue":2500.5,"Lead_Status":"Contacted","Email_Opt_Out":true,"Rating":"Hot",
		  "Name":"Acme","Stage":"Open","Tags":["Red","Blue"],"Count":3,"Big":"9007199254740993","Amount":10.5,"Ratio":0.1,"Flag":true,"Due":"2024-05-13","Seen":"2024-05-13T02:00:00Z","Account":{"id":"9007199254740993","name":"A"},"Manager":{"id":"42"}}`,
		`{"Last_Name":"o'brien","Company":"acme %_","No_of_Employees":"12","Annual_Revenue":-3,"Email_Opt_Out":false,"Description":"x_y%z",
		  "Name":"o'brien ?","Stage":"Won %","Tags":["%","x_y",""],"Count":"-12","Big":-9223372036854775808,"Amount":-3,"Flag":false,"Due":"2024-02-29","Seen":"2023-12-31T18:30:00Z","Account":{"id":""},"Manager":null}`,
		`{}`,
		`{"Last_Name":"","Company":null,"No_of_Employees":1e300,"Email_Opt_Out":"true","Lead_Status":["x"],"Name":"","Tags":"Red","Count":1.5,"Big":"12345678901234567890","Flag":"true","Due":"2024-5-1","Seen":"2024-05-13","Account":"7"}`,
		`{"Last_Name":"Ünïcode","Company":"ÀCME","No_of_Employees":9007199254740993,"Annual_Revenue":0.1,"Name":"ÀCME","Stage":"open","Tags":["RED"],"Count":0,"Ratio":-0.0,"Due":"2025-01-01","Seen":"2024-05-20T00:00:00Z","Manager":{"id":43}}`,
	}
	var rows []testRow
	for i, doc := range docs {
		d := json.NewDecoder(strings.NewReader(doc))
		d.UseNumber()
		var data map[string]any
		if err := d.Decode(&data); err != nil {
			tb.Fatalf("row %d: %v", i, err)
		}
		owner := crmd.ID(42 + i%2)
		at := time.Date(2024, 5, 13-i*3, 4+i, 0, 0, 0, time.UTC).UnixMilli()
		rows = append(rows, testRow{row: Row{ID: crmd.ID(i + 1), OwnerID: owner, CreatedBy: 42, ModifiedBy: owner,
			CreatedTime: at, ModifiedTime: at + int64(i)*3600_000, Data: data}, data: doc})
	}
	b := &backend{db: db, dialect: SQLite, table: "records"}
	if err := b.load(rows); err != nil {
		tb.Fatal(err)
	}
	return b, rows
}
