package store

import "context"

// FieldIndexDDL exposes to the external tests the name and statement of the index serving a field.
var FieldIndexDDL = fieldIndex

// CountConsoleRows counts every console link and session of the database.
func (s *Store) CountConsoleRows(ctx context.Context) (int, error) {
	var n int
	err := s.R.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM console_links) + (SELECT COUNT(*) FROM console_sessions)`).Scan(&n)
	return n, err
}

// AllTables lists every table of the store's schema, the snapshots' copies included (TableDigests
// leaves those out).
func (s *Store) AllTables(ctx context.Context) ([]string, error) {
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if s.Dialect == Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := s.R.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
