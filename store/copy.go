package store

import (
	"context"
	"fmt"
	"strconv"

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

// BulkLoad is a bulk load in progress (crmd seed): StartBulk tunes the store for it, CopyRecords writes
// its batches, Committed follows each committed batch, Close undoes the tuning. Call FinishBulk at the
// end of a load that succeeded.
type BulkLoad struct {
	// Writers is how many CopyRecords may usefully run at once: several on PostgreSQL (each on a
	// connection of its own, so that several server backends parse and index rows at once), one on
	// SQLite, which has one writer.
	Writers int

	ckpt  chan struct{} // wakes the checkpoint goroutine (SQLite); nil when there is none
	close func()
}

// StartBulk tunes the store's one write connection for a bulk load of at most writers concurrent
// batches. Besides the inserts themselves, the WAL checkpoint SQLite runs after each commit on the
// committing connection dominates a seed (statement journals already stay in memory: the store sets
// temp_store). The automatic checkpoint is turned off on the write connection and a goroutine runs
// PASSIVE checkpoints on a read connection instead, on the other core, while the next batch is written
// (Committed asks for one). A PASSIVE checkpoint never blocks writers or readers, so a server on the
// same database is unaffected.
func (s *Store) StartBulk(ctx context.Context, writers int) *BulkLoad {
	if s.Dialect == Postgres {
		return &BulkLoad{Writers: max(1, writers), close: func() {}}
	}
	b := &BulkLoad{Writers: 1, close: func() {}}
	var autoCheckpoint int
	if err := s.W.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&autoCheckpoint); err != nil {
		return b
	}
	if _, err := s.W.ExecContext(ctx, `PRAGMA wal_autocheckpoint = 0`); err != nil {
		return b
	}
	ckpt := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range ckpt {
			// Errors (SQLITE_BUSY while another process checkpoints) only delay the checkpoint.
			s.R.ExecContext(context.WithoutCancel(ctx), `PRAGMA wal_checkpoint(PASSIVE)`)
		}
	}()
	b.ckpt = ckpt
	b.close = func() {
		close(ckpt)
		<-done
		bg := context.WithoutCancel(ctx)
		s.W.ExecContext(bg, `PRAGMA wal_autocheckpoint = `+strconv.Itoa(autoCheckpoint))
		s.R.ExecContext(bg, `PRAGMA wal_checkpoint(PASSIVE)`)
	}
	return b
}

// Committed asks for a checkpoint after a batch committed, unless one is already pending.
func (b *BulkLoad) Committed() {
	if b.ckpt == nil {
		return
	}
	select {
	case b.ckpt <- struct{}{}:
	default:
	}
}

// Close ends the tuning of StartBulk (once every batch has returned).
func (b *BulkLoad) Close() { b.close() }
