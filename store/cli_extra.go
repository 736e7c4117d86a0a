package store

import (
	"context"
	"database/sql"

	"github.com/crmd/crmd"
)

// SchemaVersion returns the name of the newest migration applied ("" on a database never migrated).
func (s *Store) SchemaVersion(ctx context.Context) (string, error) {
	var v sql.NullString
	err := s.R.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v)
	return v.String, err
}

// RecordRef is a record's id and display name, what a lookup value shows.
type RecordRef struct {
	ID          crmd.ID
	DisplayName string
}

// RecordRefs returns up to limit live records of a module, in id order: the candidates `crmd seed`
// picks lookup values from.
func (s *Store) RecordRefs(ctx context.Context, orgID, moduleID crmd.ID, limit int) ([]RecordRef, error) {
	rows, err := s.R.QueryContext(ctx, s.Q(`SELECT id, display_name FROM records
		WHERE org_id = ? AND module_id = ? AND deleted_time IS NULL ORDER BY id LIMIT ?`), int64(orgID), int64(moduleID), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RecordRef
	for rows.Next() {
		var id int64
		var r RecordRef
		if err := rows.Scan(&id, &r.DisplayName); err != nil {
			return nil, err
		}
		r.ID = crmd.ID(id)
		out = append(out, r)
	}
	return out, rows.Err()
}

// RecordTime is a record's id and creation time (Unix ms).
type RecordTime struct {
	ID          crmd.ID
	CreatedTime int64
}

// LiveRecordTimes returns every live record of a module of an org with its creation time, oldest first
// (the id breaks ties): what crmd bench plans its Created_Time views from.
func (s *Store) LiveRecordTimes(ctx context.Context, orgID, moduleID crmd.ID) ([]RecordTime, error) {
	rows, err := s.R.QueryContext(ctx, s.Q(`SELECT id, created_time FROM records WHERE org_id = ? AND module_id = ?
		AND deleted_time IS NULL ORDER BY created_time, id`), int64(orgID), int64(moduleID))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RecordTime
	for rows.Next() {
		var id int64
		var r RecordTime
		if err := rows.Scan(&id, &r.CreatedTime); err != nil {
			return nil, err
		}
		r.ID = crmd.ID(id)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Engine names the database engine the store runs on, for people and reports: "SQLite" or
// "PostgreSQL".
func (s *Store) Engine() string {
	if s.Dialect == Postgres {
		return "PostgreSQL"
	}
	return "SQLite"
}
