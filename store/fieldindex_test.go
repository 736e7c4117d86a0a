package store_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/app"
	"github.com/crmd/crmd/criteria"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/internal/testdb"
	"github.com/crmd/crmd/records"
	"github.com/crmd/crmd/store"
	"github.com/crmd/crmd/views"
)

// fieldIndexCases are criteria whose fields get an expression index, and the index's name. Numbers and
// booleans are indexed on SQLite only: on PostgreSQL the compiler's default, type-guarded expression reads them.
var fieldIndexCases = []struct {
	module, criteria, index string
	sqliteOnly              bool
}{
	{"Leads", `{"field":{"api_name":"Lead_Source"},"comparator":"equal","value":"Web Download"}`, "rx__lead__source_lc", false},
	{"Leads", `{"field":{"api_name":"Lead_Status"},"comparator":"in","value":["Junk Lead","Lost Lead"]}`, "rx__lead__status_lc", false},
	{"Leads", `{"field":{"api_name":"Annual_Revenue"},"comparator":"greater_than","value":1000}`, "rx__annual__revenue_v", true},
	{"Leads", `{"field":{"api_name":"Email_Opt_Out"},"comparator":"equal","value":true}`, "rx__email__opt__out_v", true},
	{"Contacts", `{"field":{"api_name":"Account_Name"},"comparator":"equal","value":{"id":"123"}}`, "rx__account__name_id", false},
}

// TestFieldIndexServesCriteria checks that, once the side index of a criterion's field is complete
// (a view on it was created and its index job ran), SQLite's plan for the compiled predicate, in
// the form store.compileFilter gives it, searches field_values instead of scanning the module's records
// — for a text (picklist) comparison, a number, a boolean and a lookup.
func TestFieldIndexServesCriteria(t *testing.T) {
	ctx := context.Background()
	st := crmdtest.OpenStore(t)
	if st.Dialect != store.SQLite {
		t.Skip("field_values and the plan assertions are SQLite's (EXPLAIN QUERY PLAN); TestFieldIndexServesCriteriaPostgres covers PostgreSQL")
	}
	a := app.New(st, app.Config{})
	org := crmdtest.NewOrg(t, st, store.NewOrg{Name: "Idx", AdminEmail: "a@idx.test"})
	for _, c := range fieldIndexCases {
		m := org.Module(t, c.module)
		n, err := criteria.Parse(crmdtest.Decode(t, c.criteria), m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Views.Create(ctx, org.Caller(org.Admin), m, []views.Input{{Name: views.Set("V " + c.index), Criteria: views.Set(n)}}); err != nil {
			t.Fatal(err)
		}
		runJobs(t, a)
		if s, err := st.FieldIndexStatus(ctx, m.ID, n.Field); err != nil || s != crmd.JobCompleted {
			t.Fatalf("%s: index %q %v, want COMPLETED", c.criteria, s, err)
		}
		pred, args := criteria.Compile(n, criteria.Target{Dialect: criteria.SQLite, Alias: "records", FieldExpr: st.FieldExpr,
			Side: func(f *crmd.Field) (string, []any, string) {
				return `records.id IN (SELECT fv.record_id FROM field_values fv WHERE fv.field = ? AND fv.module_id = ? AND `, []any{f.APIName, int64(m.ID)}, "fv.value"
			}}, criteria.Env{Now: time.Now()})
		q := `EXPLAIN QUERY PLAN SELECT id FROM records WHERE module_id = ? AND deleted_time IS NULL AND (` + pred + `)`
		rows, err := st.R.QueryContext(ctx, q, append([]any{int64(m.ID)}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		p := strings.Join(plan, "\n")
		if !strings.Contains(p, "SEARCH fv USING") || strings.Contains(p, "SCAN records") {
			t.Errorf("%s: plan does not search field_values:\n%s", c.criteria, p)
		}
	}
}

// TestFieldIndexServesCriteriaPostgres is the PostgreSQL counterpart: text and lookup criteria, compiled
// through FieldExpr, are answered from the expression indexes EnsureFieldIndex builds (the planner is
// told to avoid sequential scans, which it would rightly prefer on a table this small). It runs on
// PostgreSQL whatever CRMD_TEST_STORE says.
func TestFieldIndexServesCriteriaPostgres(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, testdb.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	org := crmdtest.NewOrg(t, st, store.NewOrg{Name: "Idx", AdminEmail: "a@idx.test"})
	conn, err := st.R.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	for _, c := range fieldIndexCases {
		if c.sqliteOnly {
			continue
		}
		m := org.Module(t, c.module)
		n, err := criteria.Parse(crmdtest.Decode(t, c.criteria), m)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ { // idempotent
			if err := st.EnsureFieldIndex(ctx, n.Field); err != nil {
				t.Fatal(err)
			}
		}
		pred, args := criteria.Compile(n, criteria.Target{Dialect: criteria.Postgres, Alias: "records", FieldExpr: st.FieldExpr}, criteria.Env{Now: time.Now()})
		q := st.Q(`EXPLAIN SELECT id FROM records WHERE module_id = ? AND deleted_time IS NULL AND approval_state = 'approved' AND (` + pred + `)`)
		rows, err := conn.QueryContext(ctx, q, append([]any{int64(m.ID)}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		rows.Close()
		if !strings.Contains(strings.Join(plan, "\n"), c.index) {
			t.Errorf("%s: plan does not use %s:\n%s", c.criteria, c.index, strings.Join(plan, "\n"))
		}
	}
}

// TestFieldExprAgreesWithDefault checks, on records written by the records service, that reading
// fields through FieldExpr (the indexable form) selects exactly what the criteria compiler's default,
// defensive expressions select.
func TestFieldExprAgreesWithDefault(t *testing.T) {
	ctx := context.Background()
	st := crmdtest.OpenStore(t)
	org := crmdtest.NewOrg(t, st, store.NewOrg{Name: "Idx", AdminEmail: "a@idx.test"})
	leads := org.Module(t, "Leads")
	caller := org.Caller(org.Admin)
	svc := app.New(st, app.Config{}).Records
	sources := []any{"Web Download", "web download", "Partner", "", nil, "Trade Show"}
	var data []any
	for i := 0; i < 120; i++ {
		rec := map[string]any{"Last_Name": "L" + strconv.Itoa(i)}
		if s := sources[i%len(sources)]; s != nil {
			rec["Lead_Source"] = s
		}
		if i%4 != 0 {
			rec["Annual_Revenue"] = json.Number(strconv.Itoa(i * 250))
		}
		if i%3 == 0 {
			rec["Email_Opt_Out"] = true
		}
		if i%5 != 0 {
			rec["Lead_Status"] = []string{"Junk Lead", "Contacted", "Not Qualified"}[i%3]
		}
		data = append(data, rec)
		if len(data) == 100 || i == 119 {
			entries := make([]records.Entry, len(data))
			for k, v := range data {
				entries[k] = records.Entry{Pos: k, Values: v.(map[string]any)}
			}
			out, err := svc.Insert(ctx, caller, leads, entries)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range out.Results {
				if !o.OK() {
					t.Fatal(o.Err, o.Err.Details)
				}
			}
			data = nil
		}
	}
	crit := []string{
		`{"field":{"api_name":"Lead_Source"},"comparator":"equal","value":"WEB download"}`,
		`{"field":{"api_name":"Lead_Source"},"comparator":"not_equal","value":"Partner"}`,
		`{"field":{"api_name":"Lead_Source"},"comparator":"equal","value":"${EMPTY}"}`,
		`{"field":{"api_name":"Last_Name"},"comparator":"starts_with","value":"l1"}`,
		`{"field":{"api_name":"Annual_Revenue"},"comparator":"between","value":[1000,9000]}`,
		`{"field":{"api_name":"Annual_Revenue"},"comparator":"less_than","value":500}`,
		`{"field":{"api_name":"Email_Opt_Out"},"comparator":"equal","value":false}`,
		`{"group_operator":"or","group":[{"field":{"api_name":"Lead_Status"},"comparator":"in","value":["junk lead"]},{"field":{"api_name":"Email_Opt_Out"},"comparator":"equal","value":true}]}`,
	}
	ids := func(pred string, args []any) map[int64]bool {
		rows, err := st.R.QueryContext(ctx, st.Q(`SELECT id FROM records WHERE module_id = ? AND deleted_time IS NULL AND (`+pred+`)`), append([]any{int64(leads.ID)}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[int64]bool{}
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			out[id] = true
		}
		return out
	}
	for _, c := range crit {
		n, err := criteria.Parse(crmdtest.Decode(t, c), leads)
		if err != nil {
			t.Fatal(c, err)
		}
		env := criteria.Env{Now: time.Now()}
		dialect := criteria.SQLite
		if st.Dialect == store.Postgres {
			dialect = criteria.Postgres
		}
		def := ids(criteria.Compile(n, criteria.Target{Dialect: dialect, Alias: "records"}, env))
		idx := ids(criteria.Compile(n, criteria.Target{Dialect: dialect, Alias: "records", FieldExpr: st.FieldExpr}, env))
		if len(def) == 0 || len(def) == 120 {
			t.Errorf("%s: selects %d of 120: the case does not discriminate", c, len(def))
		}
		if !reflect.DeepEqual(def, idx) {
			t.Errorf("%s: default selects %d records, FieldExpr %d", c, len(def), len(idx))
		}
	}
}
