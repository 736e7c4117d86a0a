package seed_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/crmd/crmd/admin"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/internal/testdb"
	"github.com/crmd/crmd/seed"
	"github.com/crmd/crmd/store"
)

// TestSeedNumbersCases checks that seeded Cases get consecutive Case_Numbers, continuing the module's
// counter across runs.
func TestSeedNumbersCases(t *testing.T) {
	ctx := context.Background()
	st := crmdtest.OpenStore(t)
	n, err := admin.CreateOrg(ctx, st, "numbers", "admin@numbers.test", false)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := seed.New(ctx, st, n.Org, "Cases", 1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for run := 0; run < 2; run++ {
		if _, err := sd.Run(ctx, 30, nil); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := st.ListRecords(ctx, store.RecordQuery{OrgID: n.Org.ID, ModuleID: sd.Module.ID, Desc: false})
	if err != nil {
		t.Fatal(err)
	}
	want := 1
	for _, r := range recs {
		data, err := r.Fields()
		if err != nil {
			t.Fatal(err)
		}
		if got := data["Case_Number"]; got != strconv.Itoa(want) {
			t.Fatalf("case %d has Case_Number %v", want, got)
		}
		want++
	}
	if want != 61 {
		t.Fatalf("%d cases numbered, want 60", want-1)
	}
}

// TestSeedAnalyzesPostgres checks that a seed on PostgreSQL leaves the planner statistics of records
// behind: without them the first cvid job after a bulk load was planned on no figures at all and took
// ten times as long (autovacuum may be off, and is late when on).
func TestSeedAnalyzesPostgres(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, testdb.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err := admin.CreateOrg(ctx, st, "stats", "admin@stats.test", false)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := seed.New(ctx, st, n.Org, "Leads", 1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	sd.Batch = 500 // several COPY batches on both writers
	if _, err := sd.Run(ctx, 3000, nil); err != nil {
		t.Fatal(err)
	}
	var tuples float64
	var columns int
	var analyzed bool
	err = st.R.QueryRowContext(ctx, `SELECT c.reltuples, s.last_analyze IS NOT NULL,
		(SELECT COUNT(*) FROM pg_stats p WHERE p.schemaname = current_schema() AND p.tablename = 'records')
		FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid
		WHERE c.oid = 'records'::regclass`).Scan(&tuples, &analyzed, &columns)
	if err != nil {
		t.Fatal(err)
	}
	if tuples < 3000 || !analyzed || columns == 0 {
		t.Fatalf("after a seed of 3000 Leads: reltuples %.0f, analyzed %v, %d columns in pg_stats; want ≥ 3000, true, > 0", tuples, analyzed, columns)
	}
}
