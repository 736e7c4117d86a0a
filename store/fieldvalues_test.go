package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/app"
	"github.com/crmd/crmd/criteria"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/records"
	"github.com/crmd/crmd/store"
	"github.com/crmd/crmd/views"
)

// sideCriteria read the fields the side index serves, with every kind of comparator, negations and
// empties included (which stay on the records row).
var sideCriteria = []string{
	`{"field":"Lead_Source","comparator":"equal","value":"Web"}`,
	`{"field":"Lead_Source","comparator":"in","value":["web","Trade Show"]}`,
	`{"field":"Lead_Source","comparator":"not_equal","value":"Web"}`,
	`{"field":"Lead_Source","comparator":"equal","value":"${EMPTY}"}`,
	`{"field":"Company","comparator":"starts_with","value":"co1"}`,
	`{"field":"Company","comparator":"contains","value":"5"}`,
	`{"field":"Company","comparator":"ends_with","value":"7"}`,
	`{"field":"Company","comparator":"not_contains","value":"2"}`,
	`{"field":"No_of_Employees","comparator":"between","value":[10,40]}`,
	`{"field":"No_of_Employees","comparator":"greater_than","value":70}`,
	`{"field":"No_of_Employees","comparator":"less_equal","value":5}`,
	`{"field":"Annual_Revenue","comparator":"greater_equal","value":500.5}`,
	`{"field":"Email_Opt_Out","comparator":"equal","value":true}`,
	`{"field":"Email_Opt_Out","comparator":"not_equal","value":true}`,
	`{"group_operator":"or","group":[{"field":"Lead_Source","comparator":"equal","value":"Web"},{"field":"No_of_Employees","comparator":"less_than","value":20}]}`,
	`{"group_operator":"and","group":[{"field":"Company","comparator":"starts_with","value":"co"},{"field":"Email_Opt_Out","comparator":"equal","value":false},{"field":"Lead_Source","comparator":"not_equal","value":"Partner"}]}`,
}

// TestSideIndexSelectsWhatTheJSONSelects (SQLite): views over the data fields of 400 Leads are created,
// their index jobs run to the end, and the Leads then change every way a record can (inserted,
// updated, deleted, restored, purged): for every criterion the selection read through field_values is
// exactly the one read from the JSON, and it is field_values that is read.
func TestSideIndexSelectsWhatTheJSONSelects(t *testing.T) {
	ctx := context.Background()
	st := crmdtest.OpenStore(t)
	if st.Dialect != store.SQLite {
		t.Skip("field_values is SQLite's: PostgreSQL builds its expression indexes CONCURRENTLY (TestFieldIndexServesCriteriaPostgres)")
	}
	a := app.New(st, app.Config{})
	o := crmdtest.NewTeam(t, st, "Side", "UTC")
	c := o.Caller(o.Admin)
	leads := o.Module(t, "Leads")
	rng := rand.New(rand.NewPCG(7, 13))
	sources := []string{"Web", "WEB", "Trade Show", "Partner", ""}
	entry := func(i int) map[string]any {
		v := map[string]any{"Last_Name": fmt.Sprintf("L%d", i), "Company": fmt.Sprintf("Co%d", rng.IntN(300))}
		if s := sources[rng.IntN(len(sources))]; s != "" {
			v["Lead_Source"] = s
		}
		if rng.IntN(4) > 0 {
			v["No_of_Employees"] = json.Number(fmt.Sprint(rng.IntN(100)))
		}
		if rng.IntN(3) > 0 {
			v["Annual_Revenue"] = json.Number(fmt.Sprintf("%d.%d", rng.IntN(1000), rng.IntN(10)))
		}
		if rng.IntN(2) > 0 {
			v["Email_Opt_Out"] = rng.IntN(2) == 0
		}
		return v
	}
	insert := func(n int) []crmd.ID {
		var ids []crmd.ID
		for start := 0; start < n; start += 100 {
			var es []records.Entry
			for i := start; i < min(n, start+100); i++ {
				es = append(es, records.Entry{Pos: i - start, Values: entry(i)})
			}
			w, err := a.Records.Insert(ctx, c, leads, es)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range w.Results {
				if r.Err != nil {
					t.Fatal(r.Err)
				}
				ids = append(ids, r.Value.ID)
			}
		}
		return ids
	}
	ids := insert(400)

	nodes := make([]*criteria.Node, len(sideCriteria))
	var in []views.Input
	for i, raw := range sideCriteria {
		n, err := criteria.Parse(crmdtest.Decode(t, raw), leads)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		nodes[i] = n
		in = append(in, views.Input{Name: views.Set(fmt.Sprintf("V%d", i)), Criteria: views.Set(n)})
	}
	if _, err := a.Views.Create(ctx, c, leads, in); err != nil {
		t.Fatal(err)
	}
	// A record written between the views' creation and their jobs' batches is indexed by the triggers.
	ids = append(ids, insert(20)...)
	runJobs(t, a)
	for _, f := range []string{"Lead_Source", "Company", "No_of_Employees", "Annual_Revenue", "Email_Opt_Out"} {
		if s, err := st.FieldIndexStatus(ctx, leads.ID, leads.Field(f)); err != nil || s != crmd.JobCompleted {
			t.Fatalf("%s: index %q %v, want COMPLETED", f, s, err)
		}
	}

	compare := func(when string) {
		t.Helper()
		env := criteria.Env{Now: st.Now(), Loc: time.UTC, UserID: o.Admin.ID}
		for i, n := range nodes {
			side, err := st.SelectRecordIDs(ctx, o.Org.ID, leads.ID, store.RecordFilter{View: &store.ViewFilter{Criteria: n, Env: env, ModuleID: leads.ID}}, 1_000_000)
			if err != nil {
				t.Fatal(err)
			}
			plain, err := st.SelectRecordIDs(ctx, o.Org.ID, leads.ID, store.RecordFilter{View: &store.ViewFilter{Criteria: n, Env: env, Unindexed: true}}, 1_000_000)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(side, plain) {
				t.Errorf("%s, %s: field_values selects %d records, the JSON %d", when, sideCriteria[i], len(side), len(plain))
			}
		}
	}
	compare("after the build")

	// Every way a record changes afterwards.
	var upd []records.Entry
	for i, id := range ids[:80] {
		v := entry(1000 + i)
		delete(v, "Last_Name")
		if i%5 == 0 {
			v["Lead_Source"] = nil // cleared
		}
		upd = append(upd, records.Entry{Pos: i, ID: id, Values: v})
	}
	if _, err := a.Records.Update(ctx, c, leads, upd[:50]); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Records.Update(ctx, c, leads, upd[50:]); err != nil {
		t.Fatal(err)
	}
	ids = append(ids, insert(30)...)
	if _, err := a.Records.Delete(ctx, c, leads, ids[100:160]); err != nil {
		t.Fatal(err)
	}
	if _, err := a.RecycleBin.Restore(ctx, c, ids[100:120]); err != nil {
		t.Fatal(err)
	}
	if _, err := a.RecycleBin.Delete(ctx, c, ids[120:140]); err != nil {
		t.Fatal(err)
	}
	compare("after updates, inserts, deletes, restores and purges")
	var n int
	if err := st.R.QueryRow(`SELECT COUNT(*) FROM field_values WHERE record_id IN (`+strings.Repeat("?,", 19)+`?)`, idArgs(ids[120:140])...).Scan(&n); err != nil || n != 0 {
		t.Errorf("purged records keep %d field_values rows (%v)", n, err)
	}

	// The selection really is read from field_values: with its Lead_Source rows gone, Lead_Source = Web
	// selects nothing, while the JSON still holds the values.
	if _, err := st.W.Exec(`DELETE FROM field_values WHERE field = 'Lead_Source'`); err != nil {
		t.Fatal(err)
	}
	env := criteria.Env{Now: st.Now(), Loc: time.UTC, UserID: o.Admin.ID}
	if got, err := st.SelectRecordIDs(ctx, o.Org.ID, leads.ID, store.RecordFilter{View: &store.ViewFilter{Criteria: nodes[0], Env: env, ModuleID: leads.ID}}, 1000); err != nil || len(got) != 0 {
		t.Errorf("with its field_values gone, Lead_Source = Web selects %d records (%v): the side index is not what was read", len(got), err)
	}
	// The plans of these selections: TestFieldIndexServesCriteria.
}

// runJobs runs every scheduled job of a's runner to its end.
func runJobs(t *testing.T, a *app.App) {
	t.Helper()
	for {
		worked, err := a.Runner().RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !worked {
			return
		}
	}
}

func idArgs(ids []crmd.ID) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = int64(id)
	}
	return out
}
