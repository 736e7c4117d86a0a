package bench_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/admin"
	"github.com/crmd/crmd/criteria"
	"github.com/crmd/crmd/seed"
	"github.com/crmd/crmd/store"
	"github.com/crmd/crmd/views"
)

// The index sets of the records table on SQLite before and after migration 13. Before, the list's
// sort indexes were partial on "deleted_time IS NULL", so a soft delete changed an entry in each; after,
// they cover the whole table and a soft delete leaves them alone; records_bin_due is gone.
var (
	indexesBefore = []string{
		`DROP INDEX IF EXISTS records_created`, `DROP INDEX IF EXISTS records_modified`,
		`CREATE INDEX records_live_created ON records (module_id, created_time, id) WHERE deleted_time IS NULL`,
		`CREATE INDEX records_live_modified ON records (module_id, modified_time, id) WHERE deleted_time IS NULL`,
		`CREATE INDEX records_bin_due ON records (deleted_time) WHERE deleted_time IS NOT NULL AND purged_time IS NULL`,
	}
	indexesAfter = []string{
		`DROP INDEX IF EXISTS records_live_created`, `DROP INDEX IF EXISTS records_live_modified`,
		`DROP INDEX IF EXISTS records_bin_due`,
		`CREATE INDEX records_created ON records (module_id, created_time, id)`,
		`CREATE INDEX records_modified ON records (module_id, modified_time, id)`,
	}
)

// BenchmarkLeanIndexes measures, on one SQLite database of CRMD_BENCH_LEADS Leads (default 1,000,000)
// of which a tenth sit scattered in the recycle bin, what migration 13 changed: the bare soft delete
// (crmd's UPDATE alone, no HTTP, no job) of 500 random live ids (p50 of 9) and of a scattered
// 50,000 in batches of 500, and the reads that walked the indexes it changed — a list page by
// created and by modified time, a deep page, If-Modified-Since, a "My Leads" selection, a count, the
// recycle bin's page, /deleted's page and the retention purger's two reads — each the median of 5,
// with the index set before migration 13 and after it, twice each in turn, in the same run. It prints
// one line per measure: the mean of the two before and of the two after, each run, after/before.
//
// Run it with: go test ./bench -run '^$' -bench LeanIndexes -benchtime 1x
func BenchmarkLeanIndexes(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("CRMD_BENCH_LEADS")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "lean.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if st.Dialect != store.SQLite {
		b.Skip("the index sets compared are SQLite's")
	}
	no, err := admin.CreateOrg(ctx, st, "bench", "admin@bench.test", false)
	if err != nil {
		b.Fatal(err)
	}
	sd, err := seed.New(ctx, st, no.Org, "Leads", 42, 90*24*time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := sd.Run(ctx, n, nil); err != nil {
		b.Fatal(err)
	}
	leads := sd.Module
	// The job is 50,000 records, or a twentieth of a smaller org (four jobs and the bin must fit).
	jobSize := min(50_000, n/20)
	org := no.Org.ID
	caller := &crmd.Caller{Org: no.Org, User: no.Admin}
	// Four owners, so that "My Leads" selects a quarter of the module.
	if _, err := st.W.ExecContext(ctx, `UPDATE records SET owner_id = CASE WHEN id % 4 = 0 THEN owner_id ELSE 1000 + id % 4 END WHERE module_id = ?`, int64(leads.ID)); err != nil {
		b.Fatal(err)
	}
	ids, err := st.RecordIDs(ctx, store.RecordQuery{OrgID: org, ModuleID: leads.ID})
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 9))
	r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	take := func(k int) []crmd.ID {
		out := ids[:k]
		ids = ids[k:]
		return out
	}
	// A tenth of the Leads in the recycle bin, scattered, deleted over the last 90 days.
	bin := take(n / 10)
	now := time.Now().UnixMilli()
	for i := 0; i < len(bin); i += 500 {
		part := bin[i:min(i+500, len(bin))]
		at := now - int64(r.IntN(90*24*3600))*1000
		if err := st.Tx(ctx, func(tx *store.Tx) error {
			_, err := st.SoftDeleteRecords(ctx, tx, org, leads.ID, part, store.Change{Actor: no.Admin.ID, Via: store.ViaIDs, At: at})
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}

	// The bare soft delete, as crmd bench's floor runs it.
	bare := func(part []crmd.ID) time.Duration {
		args := []any{time.Now().UnixMilli(), int64(no.Admin.ID), nil, int64(org), int64(leads.ID)}
		for _, id := range part {
			args = append(args, int64(id))
		}
		start := time.Now()
		tx, err := st.W.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE records SET deleted_time = ?, deleted_by = ?, delete_job_id = ?
			WHERE org_id = ? AND module_id = ? AND deleted_time IS NULL AND id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(part)), ",")+`)`, args...); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	vsvc := views.New(st)
	env := vsvc.Env(caller)
	mine, err := criteria.Parse(decodeAny(b, `{"field":{"api_name":"Owner"},"comparator":"equal","value":"${CURRENTUSER}"}`), leads)
	if err != nil {
		b.Fatal(err)
	}
	recent := now - 9*24*3600*1000 // the newest tenth of 90 days
	reads := []struct {
		name string
		run  func() error
	}{
		{"list by Created_Time desc, first page of 200", func() error {
			_, err := st.ListRecords(ctx, store.RecordQuery{OrgID: org, ModuleID: leads.ID, SortBy: store.SortCreatedTime, Desc: true, Limit: 200})
			return err
		}},
		{"list by Modified_Time, page 10 of 200 (offset 1,800)", func() error {
			_, err := st.ListRecords(ctx, store.RecordQuery{OrgID: org, ModuleID: leads.ID, SortBy: store.SortModifiedTime, Offset: 1_800, Limit: 200})
			return err
		}},
		{"If-Modified-Since (last 9 days), first page of 200", func() error {
			_, err := st.ListRecords(ctx, store.RecordQuery{OrgID: org, ModuleID: leads.ID, SortBy: store.SortModifiedTime, Limit: 200,
				Filter: store.RecordFilter{ModifiedAfter: recent}})
			return err
		}},
		{`"My Leads" ids (Owner = ${CURRENTUSER}, a quarter)`, func() error {
			_, err := st.RecordIDs(ctx, store.RecordQuery{OrgID: org, ModuleID: leads.ID,
				Filter: store.RecordFilter{View: &store.ViewFilter{Criteria: mine, Env: env, ModuleID: leads.ID}}})
			return err
		}},
		{"count of live Leads", func() error {
			_, err := st.CountRecords(ctx, store.RecordQuery{OrgID: org, ModuleID: leads.ID})
			return err
		}},
		{"recycle bin, first page of 200", func() error {
			_, err := st.ListBin(ctx, store.BinQuery{OrgID: org})
			return err
		}},
		{"/deleted?type=all, first page of 200", func() error {
			_, err := st.ListDeletedRecords(ctx, store.DeletedQuery{OrgID: org, ModuleID: leads.ID})
			return err
		}},
		{"retention: orgs with records due (60 days)", func() error {
			_, err := st.DueBinOrgs(ctx, now-60*24*3600*1000)
			return err
		}},
		{"retention: an org's due ids (60 days)", func() error {
			_, err := st.DueBinIDs(ctx, org, now-60*24*3600*1000)
			return err
		}},
	}
	measure := func(ddl []string) []float64 {
		for _, q := range ddl {
			if _, err := st.W.ExecContext(ctx, q); err != nil {
				b.Fatal(q, err)
			}
		}
		if _, err := st.W.ExecContext(ctx, `ANALYZE`); err != nil {
			b.Fatal(err)
		}
		// Fresh connections load the new statistics.
		st.R.SetMaxIdleConns(0)
		st.R.SetMaxIdleConns(2)
		var out []float64
		var d500 []time.Duration
		for k := 0; k < 9; k++ {
			d500 = append(d500, bare(take(500)))
		}
		out = append(out, ms(median(d500)))
		job := slices.Clone(take(jobSize))
		slices.Sort(job)
		start := time.Now()
		for i := 0; i < len(job); i += 500 {
			bare(job[i : i+500])
		}
		out = append(out, ms(time.Since(start)))
		for _, rd := range reads {
			var ds []time.Duration
			for k := 0; k < 5; k++ {
				start := time.Now()
				if err := rd.run(); err != nil {
					b.Fatal(rd.name, err)
				}
				ds = append(ds, time.Since(start))
			}
			out = append(out, ms(median(ds)))
		}
		return out
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Before, after, before, after: each set sees the table in both states of its recycle bin.
		b1 := measure(indexesBefore)
		a1 := measure(indexesAfter)
		b2 := measure(indexesBefore)
		a2 := measure(indexesAfter)
		before, after := make([]float64, len(b1)), make([]float64, len(a1))
		for k := range b1 {
			before[k], after[k] = (b1[k]+b2[k])/2, (a1[k]+a2[k])/2
		}
		names := []string{"bare soft delete of 500 random ids, p50 of 9", fmt.Sprintf("bare soft delete of %d scattered ids, batches of 500", jobSize)}
		for _, rd := range reads {
			names = append(names, rd.name)
		}
		for k, name := range names {
			// Printed, not logged: the testing package keeps only a benchmark's first ten log lines.
			fmt.Printf("%-58s before %9.2f ms (%.2f, %.2f)  after %9.2f ms (%.2f, %.2f)  after/before %.2f\n", name, before[k], b1[k], b2[k],
				after[k], a1[k], a2[k], after[k]/before[k])
		}
		b.ReportMetric(before[0], "ids500-before-ms")
		b.ReportMetric(after[0], "ids500-after-ms")
		b.ReportMetric(before[1], "job50k-before-ms")
		b.ReportMetric(after[1], "job50k-after-ms")
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
