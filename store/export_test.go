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
	si, err := s.readSchema(ctx, s.R)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(si.columns))
	for t := range si.columns {
		out = append(out, t)
	}
	return out, nil
}
