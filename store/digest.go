package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/crmd/crmd"
)

// TableDigests digests every row of every table of the database, table by table, so that a test can
// tell that a request wrote nothing: take the digests before and after, and compare. The tables are
// found in the database's catalog, so a table added by a new migration is covered without touching
// this. With a non-zero orgID only that org's rows count (and the rows hanging off them: read marks of
// its users, items of its jobs), so that a test can show that one org's calls never touched another's
// data while the first org's own rows may change.
func (s *Store) TableDigests(ctx context.Context, orgID crmd.ID) (map[string]string, error) {
	list := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if s.Dialect == Postgres {
		list = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := s.W.QueryContext(ctx, list)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return nil, err
		}
		if isCrmdTable(name) { // snapshots (and their registry) are not the data a fingerprint compares
			tables = append(tables, name)
		}
	}
	rows.Close()
	out := map[string]string{}
	for _, table := range tables {
		d, err := s.digestTable(ctx, table, orgID)
		if err != nil {
			return nil, fmt.Errorf("digest %s: %w", table, err)
		}
		out[table] = d
	}
	return out, nil
}

// orgFilter is the WHERE clause that keeps one org's rows of a table, or "" when the table has no
// notion of org (its rows are then all kept).
func orgFilter(table string, cols []string) string {
	switch table {
	case "orgs":
		return "id = ?"
	case "record_reads":
		return "user_id IN (SELECT id FROM users WHERE org_id = ?)"
	case "job_items":
		return "job_id IN (SELECT id FROM jobs WHERE org_id = ?)"
	}
	for _, c := range cols {
		if c == "org_id" {
			return "org_id = ?"
		}
	}
	// Tables of a module's own (field_indexes, field_values) belong to the module's org.
	for _, c := range cols {
		if c == "module_id" {
			return "module_id IN (SELECT id FROM modules WHERE org_id = ?)"
		}
	}
	return ""
}

// digestTable digests one table's rows (of one org when orgID is not zero); table is a name read from
// the database's own catalog, never a client's.
func (s *Store) digestTable(ctx context.Context, table string, orgID crmd.ID) (string, error) {
	probe, err := s.W.QueryContext(ctx, "SELECT * FROM "+table+" WHERE 1 = 0")
	if err != nil {
		return "", err
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
	rows, err := s.W.QueryContext(ctx, s.Q(q), args...)
	if err != nil {
		return "", err
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
			return "", err
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
		return "", err
	}
	// Rows come in no guaranteed order; sorting makes the digest depend on the content alone.
	sort.Strings(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return fmt.Sprintf("%d rows %s", len(lines), hex.EncodeToString(sum[:8])), nil
}
