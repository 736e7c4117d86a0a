package criteria

import (
	"database/sql"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd"
)

func TestCompileShape(t *testing.T) {
	m := testModule()
	env := Env{Now: time.Date(2024, 2, 29, 10, 30, 0, 0, time.UTC), UserID: 1001}
	name := "(CASE WHEN json_type(r.data, '$.Name') = 'text' AND json_extract(r.data, '$.Name') <> '' THEN json_extract(r.data, '$.Name') END)"
	pgName := "(CASE WHEN jsonb_typeof((r.data -> 'Name')) = 'string' AND ((r.data -> 'Name') #>> '{}') <> '' THEN ((r.data -> 'Name') #>> '{}') END)"
	cases := []struct {
		in      string
		dialect Dialect
		sql     string
		args    []any
	}{
		{`{"field":"Name","comparator":"equal","value":"O'Brien"}`, SQLite,
			"(lower(" + name + ") IS NOT NULL AND lower(" + name + ") = ?)", []any{"o'brien"}},
		{`{"field":"Name","comparator":"equal","value":"O'Brien"}`, Postgres,
			"(translate(" + pgName + ", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') IS NOT NULL AND translate(" + pgName + ", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') = CAST(? AS text))", []any{"o'brien"}},
		{`{"group_operator":"OR","group":[{"field":"Owner","comparator":"not_equal","value":"${CURRENTUSER}"},{"field":"Name","comparator":"equal","value":"${EMPTY}"}]}`, SQLite,
			"((NOT (NULLIF(r.owner_id, 0) IS NOT NULL AND r.owner_id = ?)) OR (" + name + " IS NULL))", []any{int64(1001)}},
		{`{"field":"Created_Time","comparator":"equal","value":"${TODAY}"}`, Postgres,
			"(r.created_time IS NOT NULL AND r.created_time >= CAST(? AS bigint) AND r.created_time < CAST(? AS bigint))",
			[]any{time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC).UnixMilli(), time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).UnixMilli()}},
	}
	for _, c := range cases {
		n := mustParse(t, m, c.in)
		sql, args := Compile(n, Target{Dialect: c.dialect, Alias: "r"}, env)
		if sql != c.sql {
			t.Errorf("%s\n got %s\nwant %s", c.in, sql, c.sql)
		}
		if !reflect.DeepEqual(args, c.args) {
			t.Errorf("%s: args %#v, want %#v", c.in, args, c.args)
		}
	}
}

// Every user-supplied string is bound, never spliced: not one of them appears in the SQL text, in either
// dialect, whatever quotes, comments or placeholders it holds.
func TestCompileBindsEveryValue(t *testing.T) {
	evil := []string{"'; DROP TABLE records; --", `x' OR '1'='1`, `Robert"); DELETE FROM records; --`,
		`$.Name') OR 1=1 --`, `\'; SELECT 1; --`, `?' || '?`, `$1 OR TRUE`}
	var leaves []string
	for _, s := range evil {
		q := strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`)
		for _, c := range []string{"equal", "not_equal", "contains", "not_contains", "starts_with", "ends_with", "like", "not_like"} {
			leaves = append(leaves, `{"field":"Name","comparator":"`+c+`","value":"`+q+`"}`)
		}
		leaves = append(leaves, `{"field":"Stage","comparator":"in","value":["`+q+`","b"]}`,
			`{"field":"Tags","comparator":"not_in","value":["`+q+`"]}`,
			`{"field":"Email","comparator":"equal","value":["a","`+q+`"]}`)
	}
	var groups []string
	for i := 0; i < len(leaves); i += 20 {
		end := min(i+20, len(leaves))
		groups = append(groups, `{"group_operator":"or","group":[`+strings.Join(leaves[i:end], ",")+`]}`)
	}
	n := mustParse(t, testModule(), `{"group_operator":"and","group":[`+strings.Join(groups, ",")+`]}`)

	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE records (id INTEGER PRIMARY KEY, owner_id INTEGER, created_by INTEGER, modified_by INTEGER,
		created_time INTEGER, modified_time INTEGER, data TEXT NOT NULL);
		INSERT INTO records (id, data) VALUES (1, '{"Name":"''; drop table records; --"}')`); err != nil {
		t.Fatal(err)
	}

	for _, d := range []Dialect{SQLite, Postgres} {
		sqlText, args := Compile(n, Target{Dialect: d, Alias: "r"}, Env{})
		lower := strings.ToLower(sqlText)
		for _, s := range evil {
			if strings.Contains(lower, strings.ToLower(s)) {
				t.Errorf("dialect %d: %q appears in the SQL", d, s)
			}
		}
		for _, frag := range []string{"drop table", "delete from", "select 1;", "or 1=1", "$1"} {
			if strings.Contains(lower, frag) {
				t.Errorf("dialect %d: %q appears in the SQL", d, frag)
			}
		}
		if q := strings.Count(sqlText, "?"); q != len(args) || q == 0 {
			t.Errorf("dialect %d: %d placeholders, %d args", d, q, len(args))
		}
		if d == Postgres {
			if casts := strings.Count(sqlText, "CAST(? AS "); casts != len(args) {
				t.Errorf("%d of %d PostgreSQL parameters cast", casts, len(args))
			}
			continue
		}
		// The SQL runs, and the table survives it.
		var cnt int
		if err := db.QueryRow("SELECT count(*) FROM records r WHERE "+sqlText, args...).Scan(&cnt); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow("SELECT count(*) FROM records").Scan(&cnt); err != nil || cnt != 1 {
			t.Fatalf("records table: %d rows, %v", cnt, err)
		}
	}
}

func TestCompileTargets(t *testing.T) {
	m := testModule()
	n := mustParse(t, m, `{"group_operator":"and","group":[{"field":"Name","comparator":"contains","value":"x"},{"field":"Modified_By","comparator":"equal","value":"1001"}]}`)

	sqlText, _ := Compile(n, Target{Dialect: SQLite}, Env{})
	if strings.Contains(sqlText, "r.") || !strings.Contains(sqlText, "json_extract(data, '$.Name')") || !strings.Contains(sqlText, "NULLIF(modified_by, 0)") {
		t.Errorf("unqualified: %s", sqlText)
	}

	routed := Target{Dialect: SQLite, Alias: "rec", FieldExpr: func(f *crmd.Field) string {
		if f.APIName == "Name" {
			return "rec.name_col"
		}
		return ""
	}}
	sqlText, _ = Compile(n, routed, Env{})
	if strings.Contains(sqlText, "'$.Name'") || !strings.Contains(sqlText, "instr(lower((rec.name_col)), ?) > 0") || !strings.Contains(sqlText, "rec.modified_by") {
		t.Errorf("routed: %s", sqlText)
	}

	if s, args := Compile(nil, Target{}, Env{}); s != "1 = 1" || args != nil || !Eval(nil, &Row{}, Env{}) {
		t.Errorf("nil criteria: %q %v", s, args)
	}

	for _, op := range []string{"and", "or"} {
		g := &Node{Op: op}
		s, _ := Compile(g, Target{}, Env{})
		if want := map[bool]string{true: "1 = 1", false: "1 = 0"}[Eval(g, &Row{}, Env{})]; s != want {
			t.Errorf("empty %s group: %q, Eval says %q", op, s, want)
		}
	}

	mustPanic(t, "bad alias", func() { Compile(n, Target{Alias: "r; DROP TABLE x"}, Env{}) })
	evilField := &crmd.Field{APIName: "Name') OR 1=1 --", DataType: crmd.TypeText}
	mustPanic(t, "bad field name", func() { Compile(&Node{Field: evilField, Comparator: Equal, Value: "x"}, Target{}, Env{}) })
}

func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", what)
		}
	}()
	f()
}
