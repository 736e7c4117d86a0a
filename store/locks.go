package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/crmd/crmd"
)

// LockRecords locks, inside tx and until it ends, the rows of those of ids that are records of the
// org and not purged, so that what tx reads of them next (RecordsByID, BinRecords) stays true until
// its writes commit. Every service transaction that reads records to decide what to write calls it
// first: "is it live? then update (or delete) it", "is it in the bin? then restore (or purge) it",
// "read its data, merge the request's fields, write it back".
//
// On PostgreSQL a READ COMMITTED transaction holds no lock on what it reads: without this, two replicas
// deleting one record both find it live and the second's UPDATE changes nothing (its request failed as
// a whole), and two updates of different fields of one record each write back a document missing the
// other's field. SELECT … FOR UPDATE makes the second wait for the first to commit and then read the
// committed row. The rows are locked in id order, chunk after chunk, so that two lockers of
// overlapping sets queue instead of deadlocking. Purged rows are skipped: nothing changes them but the
// retention purger's final DELETE, which must not wait on them.
//
// On SQLite it does nothing: a write transaction takes the database's only write lock at BEGIN
// IMMEDIATE, so its reads already see every committed write and no other writer runs until it ends.
func (s *Store) LockRecords(ctx context.Context, tx *Tx, orgID crmd.ID, ids []crmd.ID) error {
	if s.Dialect != Postgres || len(ids) == 0 {
		return nil
	}
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	for start := 0; start < len(sorted); start += binChunk {
		part := sorted[start:min(start+binChunk, len(sorted))]
		rows, err := tx.q.QueryContext(ctx, s.Q(`SELECT id FROM records WHERE org_id = ? AND purged_time IS NULL
			AND id IN (`+recPlaceholders(len(part))+`) ORDER BY id FOR UPDATE`), append([]any{int64(orgID)}, recIDArgs(part)...)...)
		if err != nil {
			return fmt.Errorf("lock records: %w", err)
		}
		if _, err := scanIDs(rows); err != nil {
			return fmt.Errorf("lock records: %w", err)
		}
	}
	return nil
}
