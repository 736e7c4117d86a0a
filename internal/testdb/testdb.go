// Package testdb gives tests a database of their own: a SQLite file in the test's temporary directory
// by default, or, when CRMD_TEST_STORE=postgres, a fresh schema in the PostgreSQL database named by
// CRMD_TEST_POSTGRES, dropped when the test ends, so that tests run in parallel without seeing each
// other's data. It knows nothing of the store: it only hands out DSNs for store.Open.
package testdb

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// Postgres reports whether tests run their stores on PostgreSQL (CRMD_TEST_STORE=postgres).
func Postgres() bool { return os.Getenv("CRMD_TEST_STORE") == "postgres" }

// DSN returns the DSN of a new, empty database for t. Every store opened on it sees the same data,
// as processes sharing one database would.
func DSN(t testing.TB) string {
	t.Helper()
	if !Postgres() {
		return filepath.Join(t.TempDir(), "crmd.db")
	}
	base := os.Getenv("CRMD_TEST_POSTGRES")
	if base == "" {
		t.Fatal("CRMD_TEST_STORE=postgres needs CRMD_TEST_POSTGRES, a PostgreSQL DSN (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	b := make([]byte, 8)
	rand.Read(b)
	schema := "crmd_t_" + hex.EncodeToString(b)
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		db.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		defer db.Close()
		if _, err := db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
