package crmdtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// Fingerprint is a digest of every row of every table of a store, table by table, so that a test can
// tell that a request wrote nothing: take one before, one after, and compare with Diff. With a
// non-zero orgID it covers only that org's rows (and the rows hanging off them: read marks of its
// users, items of its jobs), so that a test can show that one org's calls never touched another's data
// while the first org's own rows may change.
type Fingerprint map[string]string

// TakeFingerprint reads the store's tables (found in the database's catalog, so a table added by a new
// migration is covered without touching this) and digests their rows in a stable order.
func TakeFingerprint(t testing.TB, st *store.Store, orgID crmd.ID) Fingerprint {
	t.Helper()
	ctx := context.Background()
	list := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if st.Dialect == store.Postgres {
		list = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := st.W.QueryContext(ctx, list)
	if err != nil {
		t.Fatalf("fingerprint: list tables: %v", err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatalf("fingerprint: %v", err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	fp := Fingerprint{}
	for _, table := range tables {
		fp[table] = digestTable(t, st, table, orgID)
	}
	return fp
}

// orgFilter is the WHERE clause that keeps one org's rows of a table, or "" when the table has no
// notion of org (its rows are then all kept).
func orgFilter(table string, cols []string) string {
	switch table {
	case "orgs":
		return "id = ?"
	case "record_reads":
		return "user_id IN (SELECT id FROM users WHERE org_id = ?)"
	case "mass_delete_job_items":
		return "job_id IN (SELECT id FROM mass_delete_jobs WHERE org_id = ?)"
	}
	for _, c := range cols {
		if c == "org_id" {
			return "org_id = ?"
		}
	}
	return ""
}

func digestTable(t testing.TB, st *store.Store, table string, orgID crmd.ID) string {
	t.Helper()
	ctx := context.Background()
	probe, err := st.W.QueryContext(ctx, "SELECT * FROM "+table+" WHERE 1 = 0")
	if err != nil {
		t.Fatalf("fingerprint %s: %v", table, err)
	}
	cols, _ := probe.Columns()
	probe.Close()
	q, args := "SELECT * FROM "+table, []any{}
	if orgID != 0 {
		if f := orgFilter(table, cols); f != "" {
			q += " WHERE " + f
			args = append(args, int64(orgID))
		}
	}
	rows, err := st.W.QueryContext(ctx, st.Q(q), args...)
	if err != nil {
		t.Fatalf("fingerprint %s: %v", table, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("fingerprint %s: %v", table, err)
		}
		var b strings.Builder
		for i, v := range vals {
			if b2, ok := v.([]byte); ok {
				v = string(b2)
			}
			fmt.Fprintf(&b, "%s=%#v;", cols[i], v)
		}
		lines = append(lines, b.String())
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("fingerprint %s: %v", table, err)
	}
	// Rows come in no guaranteed order; sorting makes the digest depend on the content alone.
	sort.Strings(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return fmt.Sprintf("%d rows %s", len(lines), hex.EncodeToString(sum[:8]))
}

// Diff names the tables whose rows differ between two fingerprints ("" when none do).
func (fp Fingerprint) Diff(other Fingerprint) string {
	var out []string
	for table, d := range fp {
		if other[table] != d {
			out = append(out, fmt.Sprintf("%s: %s → %s", table, d, other[table]))
		}
	}
	for table, d := range other {
		if _, ok := fp[table]; !ok {
			out = append(out, fmt.Sprintf("%s: new table, %s", table, d))
		}
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}
