package store

import (
	"context"
	"fmt"

	"github.com/crmd/crmd"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// CopyRecords inserts recs, whose ids are already allocated, in one transaction of its own: the bulk
// path of `crmd seed`. On PostgreSQL the rows stream through COPY records FROM STDIN in pgx's binary
// format, which spends the server's time on the rows themselves rather than on parsing INSERT
// statements and their 7,500 bind parameters; several CopyRecords may run at once on separate
// connections (they touch no shared row, which is why the caller allocates ids beforehand in a short
// transaction instead of here: the org's id counter row would serialize them). On SQLite it is
// InsertRecords in a transaction, as there is one writer anyway.
func (s *Store) CopyRecords(ctx context.Context, recs []crmd.Record) error {
	if len(recs) == 0 {
		return nil
	}
	if s.Dialect != Postgres {
		return s.Tx(ctx, func(tx *Tx) error { return s.InsertRecords(ctx, tx, recs) })
	}
	conn, err := s.W.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		// The transaction begins and ends inside Raw, so the connection goes back to the pool clean.
		return pgx.BeginFunc(ctx, pc, func(tx pgx.Tx) error {
			// The commit does not wait for its WAL flush: the batches' fsyncs would otherwise queue one
			// behind another. A bulk load ends with FinishBulk, whose synchronous commit flushes the WAL
			// of every batch before it, so what a seed reports as inserted is durable.
			if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
				return err
			}
			row := make([]any, recordColCount)
			_, err := tx.CopyFrom(ctx, pgx.Identifier{"records"}, recordColNames, pgx.CopyFromSlice(len(recs), func(i int) ([]any, error) {
				return appendRecordArgs(row[:0], &recs[i]), nil
			}))
			if err != nil {
				return fmt.Errorf("copy records: %w", err)
			}
			return nil
		})
	})
}

// recordColNames is recordCols as a list, for COPY.
var recordColNames = []string{"id", "org_id", "module_id", "owner_id", "created_by", "modified_by", "created_time",
	"modified_time", "approval_state", "display_name", "data", "deleted_time", "deleted_by", "delete_job_id", "purged_time"}

// FinishBulk ends a bulk load of CopyRecords. On PostgreSQL it commits a synchronous write (the WAL is
// flushed in order, so this makes every earlier asynchronous batch durable) and refreshes the planner's
// statistics of records (ANALYZE samples 30,000 rows whatever the table's size); on SQLite it is
// Optimize.
func (s *Store) FinishBulk(ctx context.Context, orgID crmd.ID) error {
	if s.Dialect != Postgres {
		return s.Optimize(ctx)
	}
	if _, err := s.W.ExecContext(ctx, `UPDATE orgs SET next_seq = next_seq WHERE id = $1`, int64(orgID)); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	if _, err := s.W.ExecContext(ctx, `ANALYZE records`); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}
