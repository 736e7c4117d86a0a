package bench_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/admin"
	"github.com/crmd/crmd/criteria"
	"github.com/crmd/crmd/internal/testdb"
	"github.com/crmd/crmd/jobs"
	"github.com/crmd/crmd/seed"
	"github.com/crmd/crmd/store"
	"github.com/crmd/crmd/territories"
	"github.com/crmd/crmd/views"
)

// BenchmarkViewSelect measures what a cvid mass delete does first: resolve a custom view (∩ a
// territory subtree) to the ids of its records. It seeds CRMD_BENCH_LEADS Leads (default 1,000,000)
// with `crmd seed`'s generator, assigns a third of them to each of two child territories of "West",
// creates the views through the views service (which builds the expression indexes they need), and
// reports the median over five runs of each query, in ms:
//
//	indexed-ms   Lead_Source equal X                      (through the expression index)
//	combined-ms  … AND Owner = ${CURRENTUSER} AND Created_Time ≥ ${LAST_N_DAYS:30}, ∩ West and children
//	territory-ms every Lead of West and its children (the All view ∩ a territory subtree)
//	scan-ms      Lead_Source equal X, compiled without the store's field expressions (the JSON scan)
//	speedup      scan-ms / indexed-ms
//
// Run it with: go test ./bench -run '^$' -bench ViewSelect -benchtime 1x; on PostgreSQL (internal/testdb)
// with CRMD_TEST_STORE=postgres CRMD_TEST_POSTGRES=<DSN> besides. docs/territories.md has the figures.
func BenchmarkViewSelect(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("CRMD_BENCH_LEADS")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	st, err := store.Open(ctx, testdb.DSN(b))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	no, err := admin.CreateOrg(ctx, st, "bench", "admin@bench.test", false)
	if err != nil {
		b.Fatal(err)
	}
	sd, err := seed.New(ctx, st, no.Org, "Leads", 42, 90*24*time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if _, err := sd.Run(ctx, n, nil); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d Leads in %v", n, time.Since(start).Round(time.Millisecond))
	caller := &crmd.Caller{Org: no.Org, User: no.Admin}
	leads, err := st.Module(ctx, no.Org.ID, "Leads")
	if err != nil {
		b.Fatal(err)
	}

	// Territories: West with two children; a third of the Leads in each child.
	tsvc := territories.New(st)
	root, err := st.EnsureRootTerritory(ctx, no.Org.ID)
	if err != nil {
		b.Fatal(err)
	}
	mkTerritory := func(name string, parent crmd.ID) crmd.ID {
		out, err := tsvc.Create(ctx, caller, []territories.Draft{{Name: name, PermissionType: crmd.TerritoryReadWriteDelete, ReportingTo: parent}})
		if err != nil || !out[0].OK() {
			b.Fatalf("territory %s: %v %v", name, err, out)
		}
		return out[0].Value.ID
	}
	west := mkTerritory("West", root.ID)
	for i, child := range []crmd.ID{mkTerritory("California", west), mkTerritory("Oregon", west)} {
		// Bulk assignment in SQL: the API assigns 10 records per call, which is not what is measured.
		_, err := st.W.ExecContext(ctx, st.Q(`INSERT INTO record_territories (record_id, territory_id, org_id, assigned_by, assigned_time)
			SELECT id, ?, org_id, owner_id, created_time FROM records WHERE module_id = ? AND id % 3 = ?`), int64(child), int64(leads.ID), i)
		if err != nil {
			b.Fatal(err)
		}
	}

	if err := st.Optimize(ctx); err != nil { // as the server does hourly
		b.Fatal(err)
	}
	if st.Dialect == store.Postgres {
		// What autovacuum does soon after a bulk load on a server: statistics for the planner, and the
		// visibility map without which no index-only scan skips the heap.
		if _, err := st.W.ExecContext(ctx, `VACUUM (ANALYZE) records, record_territories, territories`); err != nil {
			b.Fatal(err)
		}
	}
	// The most frequent Lead_Source, so the view selects roughly 1/17 of the Leads (~59,000 of 1M).
	field := `json_extract(data, '$.Lead_Source')`
	if st.Dialect == store.Postgres {
		field = `data->>'Lead_Source'`
	}
	var source string
	if err := st.R.QueryRowContext(ctx, st.Q(`SELECT `+field+` AS s FROM records WHERE module_id = ?
		AND `+field+` IS NOT NULL GROUP BY s ORDER BY COUNT(*) DESC LIMIT 1`), int64(leads.ID)).Scan(&source); err != nil {
		b.Fatal(err)
	}
	vsvc := views.New(st)
	// The views' index builds are jobs (SQLite's side index): a runner of their kind runs them to the end
	// before the selections are timed.
	runner := jobs.New(st, jobs.Config{}, slog.New(slog.DiscardHandler))
	vsvc.Attach(runner)
	mkView := func(name, crit string) string {
		start := time.Now()
		node, err := criteria.Parse(decodeAny(b, crit), leads)
		if err != nil {
			b.Fatal(err)
		}
		out, err := vsvc.Create(ctx, caller, leads, []views.Input{{Name: views.Set(name), Criteria: views.Set(node)}})
		if err != nil || !out[0].OK() {
			b.Fatalf("view %s: %v %+v", name, err, out)
		}
		for {
			worked, err := runner.RunOnce(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if !worked {
				break
			}
		}
		b.Logf("created view %q and built its indexes in %v", name, time.Since(start).Round(time.Millisecond))
		return out[0].Value.ID.String()
	}
	leaf := `{"field":{"api_name":"Lead_Source"},"comparator":"equal","value":"` + source + `"}`
	simple := mkView("By source", leaf)
	combined := mkView("Mine, recent, by source", `{"group_operator":"AND","group":[`+leaf+`,
		{"field":{"api_name":"Owner"},"comparator":"equal","value":"${CURRENTUSER}"},
		{"field":{"api_name":"Created_Time"},"comparator":"greater_equal","value":"${LAST_N_DAYS:30}"}]}`)
	westScope, err := tsvc.Scope(ctx, no.Org.ID, west, true)
	if err != nil {
		b.Fatal(err)
	}

	// ids runs the selection a cvid job snapshots: the ids of the live, approved records of the module
	// the filter selects.
	ids := func(f store.RecordFilter) (int, time.Duration) {
		start := time.Now()
		got, err := st.RecordIDs(ctx, store.RecordQuery{OrgID: no.Org.ID, ModuleID: leads.ID, Filter: f})
		if err != nil {
			b.Fatal(err)
		}
		return len(got), time.Since(start)
	}
	resolve := func(cvid string) *store.ViewFilter {
		f, err := vsvc.Resolve(ctx, caller, leads, cvid)
		if err != nil {
			b.Fatal(err)
		}
		return f
	}
	// The same view read without the expression indexes: the JSON of every Lead is read.
	node, err := criteria.Parse(decodeAny(b, leaf), leads)
	if err != nil {
		b.Fatal(err)
	}
	scan := store.RecordFilter{View: &store.ViewFilter{Criteria: node, Env: vsvc.Env(caller), Unindexed: true}}

	median := func(f func() (int, time.Duration)) (int, float64) {
		var ds []float64
		count := 0
		for i := 0; i < 5; i++ {
			c, d := f()
			count = c
			ds = append(ds, float64(d.Microseconds())/1000)
		}
		sort.Float64s(ds)
		return count, ds[len(ds)/2]
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		nIdx, idx := median(func() (int, time.Duration) { return ids(store.RecordFilter{View: resolve(simple)}) })
		nComb, comb := median(func() (int, time.Duration) {
			return ids(store.RecordFilter{View: resolve(combined), Territory: westScope})
		})
		nScan, scanMS := median(func() (int, time.Duration) { return ids(scan) })
		nTerr, terr := median(func() (int, time.Duration) { return ids(store.RecordFilter{Territory: westScope}) })
		if nScan != nIdx {
			b.Fatalf("the indexed view selects %d records, the scan %d", nIdx, nScan)
		}
		b.ReportMetric(idx, "indexed-ms")
		b.ReportMetric(comb, "combined-ms")
		b.ReportMetric(scanMS, "scan-ms")
		b.ReportMetric(scanMS/idx, "speedup")
		b.ReportMetric(float64(nIdx), "ids")
		b.ReportMetric(float64(nComb), "combined-ids")
		b.ReportMetric(terr, "territory-ms")
		b.ReportMetric(float64(nTerr), "territory-ids")
	}
}

func decodeAny(tb testing.TB, s string) any {
	tb.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		tb.Fatal(err)
	}
	return v
}
