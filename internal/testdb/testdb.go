// Package testdb gives tests a database of their own: a SQLite file in the test's temporary directory
// by default, or, when CRMD_TEST_STORE=postgres, a fresh schema in the PostgreSQL database named by
// CRMD_TEST_POSTGRES, dropped when the test ends, so that tests run in parallel without seeing each
// other's data. It knows nothing of the store: it only hands out DSNs for store.Open.
package testdb

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
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
		// Asking for PostgreSQL and silently getting SQLite would pass for a PostgreSQL run.
		t.Fatal("CRMD_TEST_STORE=postgres needs CRMD_TEST_POSTGRES, a PostgreSQL DSN (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	return newSchema(t, base)
}

// PostgresDSN returns the DSN of a new, empty PostgreSQL schema whatever CRMD_TEST_STORE says, for
// tests that only mean something on PostgreSQL (several processes writing one database at once).
// Without CRMD_TEST_POSTGRES it skips t; the message names PostgreSQL so that CI, which greps skip
// messages for it, fails instead of passing a run that tested nothing.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv("CRMD_TEST_POSTGRES")
	if base == "" {
		t.Skip("needs PostgreSQL: set CRMD_TEST_POSTGRES to a PostgreSQL DSN (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	return newSchema(t, base)
}

// newSchema creates a schema with a random name in the database base names, drops it when t ends,
// and returns base with search_path set to it.
func newSchema(t testing.TB, base string) string {
	t.Helper()
	dsn, drop, err := createSchema(base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Error(err)
		}
	})
	return dsn
}

// MainDSN is DSN for code that runs outside a test, such as a TestMain that starts one server for a
// package's Example functions (which get no testing.TB): it returns the DSN of a new, empty database
// and a cleanup that removes it.
func MainDSN() (dsn string, cleanup func() error, err error) {
	if !Postgres() {
		dir, err := os.MkdirTemp("", "crmd-testdb-")
		if err != nil {
			return "", nil, err
		}
		return filepath.Join(dir, "crmd.db"), func() error { return os.RemoveAll(dir) }, nil
	}
	base := os.Getenv("CRMD_TEST_POSTGRES")
	if base == "" {
		return "", nil, errors.New("CRMD_TEST_STORE=postgres needs CRMD_TEST_POSTGRES, a PostgreSQL DSN (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	return createSchema(base)
}

// createSchema creates a schema with a random name in the database base names and returns base with
// search_path set to it, and a function that drops the schema.
func createSchema(base string) (string, func() error, error) {
	b := make([]byte, 8)
	rand.Read(b)
	schema := "crmd_t_" + hex.EncodeToString(b)
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, err
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("create schema: %w", err)
	}
	drop := func() error {
		defer db.Close()
		if _, err := db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			return fmt.Errorf("drop schema %s: %w", schema, err)
		}
		return nil
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}
