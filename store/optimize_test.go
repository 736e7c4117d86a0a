package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/crmd/crmd/internal/testdb"
	"github.com/crmd/crmd/store"
)

// TestOptimizeAnalyzesChangedTables: on PostgreSQL Optimize ANALYZEs a table that has rows and no
// statistics, or whose rows changed by more than a tenth since its last ANALYZE, and leaves a table that
// barely changed alone (autovacuum may be off: Optimize is what keeps the planner's figures fresh).
func TestOptimizeAnalyzesChangedTables(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, testdb.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Tables of the test's own, so that nothing else of the schema weighs in.
	if _, err := st.W.ExecContext(ctx, `CREATE TABLE opt_big (n BIGINT); CREATE TABLE opt_small (n BIGINT)`); err != nil {
		t.Fatal(err)
	}
	insert := func(table string, n int) {
		t.Helper()
		if _, err := st.W.ExecContext(ctx, `INSERT INTO `+table+` SELECT g FROM generate_series(1, $1::int) g`, n); err != nil {
			t.Fatal(err)
		}
	}
	analyzes := func(table string) int64 {
		t.Helper()
		var n int64
		if err := st.R.QueryRowContext(ctx, `SELECT analyze_count + autoanalyze_count FROM pg_stat_user_tables WHERE relid = $1::regclass`, table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Table counters reach pg_stat_user_tables when the backend that changed them reports, up to a
	// second after its commit; the test forces the report instead of waiting.
	flush := func() {
		t.Helper()
		if _, err := st.W.ExecContext(ctx, `SELECT pg_stat_force_next_flush()`); err != nil {
			t.Fatal(err)
		}
	}
	insert("opt_big", 10000)
	insert("opt_small", 10000)
	flush()
	waitStats(t, st, "opt_small", 10000)
	if err := st.Optimize(ctx); err != nil {
		t.Fatal(err)
	}
	if analyzes("opt_big") != 1 || analyzes("opt_small") != 1 {
		t.Fatalf("never analyzed tables of 10,000 rows: analyzed %d and %d times, want 1 each", analyzes("opt_big"), analyzes("opt_small"))
	}
	insert("opt_big", 5000) // half as many again: past autovacuum's tenth
	insert("opt_small", 100)
	flush()
	waitStats(t, st, "opt_big", 5000)
	if err := st.Optimize(ctx); err != nil {
		t.Fatal(err)
	}
	if got := analyzes("opt_big"); got != 2 {
		t.Errorf("opt_big, 50%% new rows: analyzed %d times, want 2", got)
	}
	if got := analyzes("opt_small"); got != 1 {
		t.Errorf("opt_small, 1%% new rows: analyzed %d times, want 1 (left alone)", got)
	}
}

// waitStats waits until pg_stat_user_tables counts at least n changes of table since its last ANALYZE.
func waitStats(t *testing.T, st *store.Store, table string, n int64) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; {
		var mod int64
		if err := st.R.QueryRowContext(context.Background(), `SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE relid = $1::regclass`, table).Scan(&mod); err != nil {
			t.Fatal(err)
		}
		if mod >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d changes counted after 5 s, want %d", table, mod, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
