package store

// What crmd bench needs of the database beside the API: the floor of a soft delete (the statement crmd
// runs, with nothing around it), and the setup and planning reads no service offers. The bench runs them
// on its own database only, with no server running when they write.

import (
	"context"
	"fmt"

	"github.com/crmd/crmd"
)

// FloorSoftDelete runs, in one write transaction of its own, exactly the UPDATE every soft delete runs
// (softDeleteSQL, shared with SoftDeleteRecords) on ids, and nothing else: no locks, no reads, no checks,
// no audit rows, no notifications. Its time is what the database engine alone needs for crmd's
// deletion design, the floor crmd bench prints beside crmd's own figures. It leaves the records it
// deleted without an audit trail, so only the bench's throwaway database may see it.
func (s *Store) FloorSoftDelete(ctx context.Context, orgID, moduleID crmd.ID, ids []crmd.ID, at int64, by, jobID crmd.ID) error {
	if len(ids) == 0 {
		return nil
	}
	args := append([]any{at, int64(by), recNullInt(int64(jobID)), int64(orgID), int64(moduleID)}, recIDArgs(ids)...)
	return s.Tx(ctx, func(tx *Tx) error {
		rows, err := tx.q.QueryContext(ctx, s.softDeleteStmt(len(ids), false), args...)
		if err != nil {
			return fmt.Errorf("floor soft delete: %w", err)
		}
		// SoftDeleteRecords reads the RETURNING rows for its audit trail; reading them is part of the
		// statement's cost on both engines.
		n := 0
		for rows.Next() {
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("floor soft delete: %w", err)
		}
		if n != len(ids) {
			return fmt.Errorf("floor soft delete: %d of %d ids were live", n, len(ids))
		}
		return nil
	})
}

// BenchRecord is a live record's id, creation time (Unix ms) and the text of one of its data fields
// ("" when absent).
type BenchRecord struct {
	ID          crmd.ID
	CreatedTime int64
	Value       string
}

// BenchRecordValues returns every live record of a module of an org with its creation time and the
// value of the data field apiName, oldest first (the id breaks ties): what crmd bench plans its
// scattered views from and counts their records with, independently of the criteria compiler it
// measures.
func (s *Store) BenchRecordValues(ctx context.Context, orgID, moduleID crmd.ID, apiName string) ([]BenchRecord, error) {
	expr, arg := `json_extract(data, ?)`, any("$."+apiName)
	if s.Dialect == Postgres {
		expr, arg = `data->>?`, apiName
	}
	rows, err := s.R.QueryContext(ctx, s.Q(`SELECT id, created_time, `+expr+` FROM records WHERE org_id = ? AND module_id = ?
		AND deleted_time IS NULL ORDER BY created_time, id`), arg, int64(orgID), int64(moduleID))
	if err != nil {
		return nil, fmt.Errorf("bench record values: %w", err)
	}
	defer rows.Close()
	var out []BenchRecord
	for rows.Next() {
		var id int64
		var v *string
		var r BenchRecord
		if err := rows.Scan(&id, &r.CreatedTime, &v); err != nil {
			return nil, err
		}
		r.ID = crmd.ID(id)
		if v != nil {
			r.Value = *v
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// BenchAssignTerritory assigns territoryID to every record of a module of an org whose id is rem modulo
// mod, in one statement, and returns how many it assigned. The API assigns ten records per call: crmd
// bench assigns hundreds of thousands before it measures a territory's selection, which is what it
// measures, not the assignment.
func (s *Store) BenchAssignTerritory(ctx context.Context, orgID, moduleID, territoryID crmd.ID, mod, rem int64, by crmd.ID, at int64) (int64, error) {
	var n int64
	err := s.Tx(ctx, func(tx *Tx) error {
		res, err := tx.q.ExecContext(ctx, s.Q(`INSERT INTO record_territories (record_id, territory_id, org_id, assigned_by, assigned_time)
			SELECT id, ?, org_id, ?, ? FROM records WHERE org_id = ? AND module_id = ? AND id % ? = ?`),
			int64(territoryID), int64(by), at, int64(orgID), int64(moduleID), mod, rem)
		if err != nil {
			return fmt.Errorf("bench assign territory: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
