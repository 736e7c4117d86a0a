package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/crmd/crmd/internal/testdb"
	"github.com/crmd/crmd/store"
)

// TestMigrateConcurrently opens one new database from several stores at once, as replicas starting
// together would: every migration runs exactly once and every store opens.
func TestMigrateConcurrently(t *testing.T) {
	ctx := context.Background()
	dsn := testdb.DSN(t)
	const n = 4
	stores := make([]*store.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = store.Open(ctx, dsn)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("store %d: %v", i, err)
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	var applied, distinct int
	if err := stores[0].R.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations`).Scan(&applied, &distinct); err != nil {
		t.Fatal(err)
	}
	if applied != distinct || applied < 7 {
		t.Fatalf("schema_migrations holds %d rows of %d versions", applied, distinct)
	}
}

// TestRedactDSN checks that a PostgreSQL password never reaches a log line or notice.
func TestRedactDSN(t *testing.T) {
	cases := map[string]string{
		"./crmd.db": "./crmd.db",
		"postgres://crmd:s3cret@db:5432/crmd?sslmode=require": "postgres://crmd:xxxxx@db:5432/crmd?sslmode=require",
		"postgresql://crmd@db/crmd":                           "postgresql://crmd@db/crmd",
	}
	for in, want := range cases {
		if got := store.RedactDSN(in); got != want {
			t.Errorf("RedactDSN(%q) = %q, want %q", in, got, want)
		}
	}
}
