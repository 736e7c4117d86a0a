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
