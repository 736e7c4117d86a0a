package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/crmd/crmd"
)

// The recycle bin of an org is its records with deleted_time set and purged_time NULL. Restoring one
// clears the deletion columns; purging one sets purged_time, empties its data document and display name
// and drops its territory and read rows, keeping the bare row so that /deleted?type=permanent can list
// it; DropPermanent finally removes such rows.

// binChunk caps the ids one statement binds, well inside SQLite's and PostgreSQL's bind limits.
const binChunk = 500

// binCond selects the recycle bin of one org (bind the org id).
const binCond = `org_id = ? AND deleted_time IS NOT NULL AND purged_time IS NULL`

// Sort keys of ListBin.
const (
	BinSortDeletedTime = "deleted_time"
	BinSortDisplayName = "display_name"
	BinSortDeletedBy   = "deleted_by"
)

// BinQuery selects a page of an org's recycle bin.
type BinQuery struct {
	OrgID crmd.ID
	// IDs, when not empty, restricts the page to these ids.
	IDs []crmd.ID
	// Filter, when set, is a condition on the bin's fields the records must satisfy.
	Filter *BinFilter
	// SortBy is one of the BinSort* keys; empty means BinSortDeletedTime. The id breaks ties.
	SortBy string
	Desc   bool
	// Offset skips rows; Limit caps them (0 = 200).
	Offset, Limit int
}

// binOrder maps a sort key to its ORDER BY expression. deleted_by sorts by the deleting user's name,
// as the list shows it, through a correlated subquery (a join would make the record columns
// ambiguous); a user that no longer exists sorts as NULL.
var binOrder = map[string]string{
	BinSortDeletedTime: `deleted_time`,
	BinSortDisplayName: `lower(display_name)`,
	BinSortDeletedBy:   `(SELECT lower(u.first_name || ' ' || u.last_name) FROM users u WHERE u.id = records.deleted_by)`,
}

// binWhere builds the WHERE clause and arguments shared by ListBin and BinIDs.
func binWhere(orgID crmd.ID, ids []crmd.ID, filter *BinFilter) (string, []any) {
	var b strings.Builder
	args := []any{int64(orgID)}
	b.WriteString(binCond)
	if len(ids) > 0 {
		b.WriteString(` AND id IN (` + recPlaceholders(len(ids)) + `)`)
		args = append(args, recIDArgs(ids)...)
	}
	if filter != nil {
		args = andAll(&b, args, []predicate{compileBinFilter(filter)})
	}
	return b.String(), args
}

// ListBin returns one page of an org's recycle bin, newest deletion first by default.
func (s *Store) ListBin(ctx context.Context, q BinQuery) ([]*crmd.Record, error) {
	key := q.SortBy
	if key == "" {
		key = BinSortDeletedTime
	}
	expr, ok := binOrder[key]
	if !ok {
		return nil, fmt.Errorf("list recycle bin: unknown sort key %q", key)
	}
	dir := "ASC"
	if q.Desc {
		dir = "DESC"
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 200
	}
	where, args := binWhere(q.OrgID, q.IDs, q.Filter)
	query := `SELECT ` + recordCols + ` FROM records WHERE ` + where +
		` ORDER BY ` + expr + ` ` + dir + `, id ` + dir + ` LIMIT ? OFFSET ?`
	args = append(args, limit, q.Offset)
	rows, err := s.R.QueryContext(ctx, s.Q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("list recycle bin: %w", err)
	}
	return scanAll(rows, scanRecordRow)
}

// CountBin counts an org's recycle bin, of one module when moduleID is not zero.
func (s *Store) CountBin(ctx context.Context, orgID, moduleID crmd.ID) (int, error) {
	query := `SELECT COUNT(*) FROM records WHERE ` + binCond
	args := []any{int64(orgID)}
	if moduleID != 0 {
		query += ` AND module_id = ?`
		args = append(args, int64(moduleID))
	}
	var n int
	if err := s.R.QueryRowContext(ctx, s.Q(query), args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count recycle bin: %w", err)
	}
	return n, nil
}

// BinRecords returns those of ids that are in the org's recycle bin, keyed by id; with a transaction
// it reads inside it, so that what a restore or purge decides on is what it changes.
func (s *Store) BinRecords(ctx context.Context, tx *Tx, orgID crmd.ID, ids []crmd.ID) (map[crmd.ID]*crmd.Record, error) {
	out := make(map[crmd.ID]*crmd.Record, len(ids))
	for start := 0; start < len(ids); start += binChunk {
		part := ids[start:min(start+binChunk, len(ids))]
		where, args := binWhere(orgID, part, nil)
		rows, err := s.recDB(tx).QueryContext(ctx, s.Q(`SELECT `+recordCols+` FROM records WHERE `+where), args...)
		if err != nil {
			return nil, fmt.Errorf("recycle bin records: %w", err)
		}
		recs, err := scanAll(rows, scanRecordRow)
		if err != nil {
			return nil, fmt.Errorf("recycle bin records: %w", err)
		}
		for _, r := range recs {
			out[r.ID] = r
		}
	}
	return out, nil
}

// BinIDs returns up to limit ids (in id order) of the org's recycle bin that satisfy filter (nil: all)
// and, when ownerID is not zero, are owned by ownerID. Batched restores and purges call it repeatedly:
// what they processed has left the bin, so the next call returns the next batch.
func (s *Store) BinIDs(ctx context.Context, tx *Tx, orgID, ownerID crmd.ID, filter *BinFilter, limit int) ([]crmd.ID, error) {
	w, args := binWhere(orgID, nil, filter)
	if ownerID != 0 {
		w += ` AND owner_id = ?`
		args = append(args, int64(ownerID))
	}
	args = append(args, limit)
	rows, err := s.recDB(tx).QueryContext(ctx, s.Q(`SELECT id FROM records WHERE `+w+` ORDER BY id LIMIT ?`), args...)
	if err != nil {
		return nil, fmt.Errorf("recycle bin ids: %w", err)
	}
	return scanIDs(rows)
}

// scanIDs reads a one-column result of ids and closes rows.
func scanIDs(rows *sql.Rows) ([]crmd.ID, error) {
	defer rows.Close()
	var out []crmd.ID
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, crmd.ID(id))
	}
	return out, rows.Err()
}

// RestoreRecords brings those of ids that are in the org's recycle bin back to life inside tx: the
// deletion columns are cleared and nothing else changes, so the record keeps its id, fields, owner,
// times and (since their rows stayed) territories. Each restore is recorded in the audit trail as made
// by ch. It returns how many it restored.
func (s *Store) RestoreRecords(ctx context.Context, tx *Tx, orgID crmd.ID, ids []crmd.ID, ch Change) (int64, error) {
	return s.restore(ctx, tx, orgID, ids, 0, ch)
}

// RestoreJobRecords is RestoreRecords for the records among ids that are in the bin because job deleted
// them (the undo of a job): a record restored since, or deleted again since by someone else, is left
// alone.
func (s *Store) RestoreJobRecords(ctx context.Context, tx *Tx, orgID crmd.ID, ids []crmd.ID, job crmd.ID, ch Change) (int64, error) {
	return s.restore(ctx, tx, orgID, ids, job, ch)
}

func (s *Store) restore(ctx context.Context, tx *Tx, orgID crmd.ID, ids []crmd.ID, job crmd.ID, ch Change) (int64, error) {
	var n int64
	for start := 0; start < len(ids); start += binChunk {
		part := ids[start:min(start+binChunk, len(ids))]
		where, args := binWhere(orgID, part, nil)
		if job != 0 {
			where += ` AND delete_job_id = ?`
			args = append(args, int64(job))
		}
		rows, err := tx.q.QueryContext(ctx, s.Q(`UPDATE records SET deleted_time = NULL, deleted_by = NULL, delete_job_id = NULL
			WHERE `+where+` RETURNING id, module_id, display_name`), args...)
		if err != nil {
			return 0, fmt.Errorf("restore records: %w", err)
		}
		done, err := scanAuditRows(rows)
		if err != nil {
			return 0, fmt.Errorf("restore records: %w", err)
		}
		if err := s.writeAudit(ctx, tx, orgID, AuditRestored, ch, done); err != nil {
			return 0, err
		}
		// A restored record is live again: its module's channels hear of it as created (crmd's
		// choice where Zoho is silent, docs/notifications.md), so that a copy kept in sync gets it back.
		if err := s.noticeRows(ctx, tx, orgID, crmd.OpInsert, done, ch.At); err != nil {
			return 0, err
		}
		n += int64(len(done))
	}
	return n, nil
}

// PurgeRecords deletes for good, inside tx, those of ids that are in the org's recycle bin: purged_time
// is set to ch.At, the data document and display name are emptied (a purged record keeps only its id,
// module, deletion facts and creator, as /deleted?type=permanent shows it), and its territory and read
// rows go. Each purge is recorded in the audit trail as made by ch. It returns how many it purged. What
// is in the bin is decided by purgeIDs' own UPDATE, so a record restored by a racing transaction is
// neither purged nor stripped of its territories.
func (s *Store) PurgeRecords(ctx context.Context, tx *Tx, orgID crmd.ID, ids []crmd.ID, ch Change) (int64, error) {
	var n int64
	for start := 0; start < len(ids); start += binChunk {
		k, err := s.purgeIDsBefore(ctx, tx, orgID, ids[start:min(start+binChunk, len(ids))], 0, ch)
		if err != nil {
			return 0, err
		}
		n += k
	}
	return n, nil
}

// purgeIDsBefore purges those of ids (at most binChunk) that are in the org's recycle bin — and were
// deleted before before, when before is not zero — inside tx. The UPDATE re-checks the bin condition on
// the row it changes and returns the ids it purged, and only those lose their territory and read rows
// and get an audit row: on PostgreSQL a record found in the bin by an earlier statement may have been
// restored since (the UPDATE then waits for the restore, re-reads the row and skips it), and the
// restored record must keep its territories. The display names are read first, since the UPDATE
// empties them and its RETURNING list gives the new row.
func (s *Store) purgeIDsBefore(ctx context.Context, tx *Tx, orgID crmd.ID, ids []crmd.ID, before int64, ch Change) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	due := ""
	args := []any{int64(orgID)}
	if before != 0 {
		due = ` AND deleted_time < ?`
		args = append(args, before)
	}
	args = append(args, recIDArgs(ids)...)
	cond := `org_id = ? AND deleted_time IS NOT NULL AND purged_time IS NULL` + due + ` AND id IN (` + recPlaceholders(len(ids)) + `)`
	rows, err := tx.q.QueryContext(ctx, s.Q(`SELECT id, module_id, display_name FROM records WHERE `+cond), args...)
	if err != nil {
		return 0, fmt.Errorf("purge records: %w", err)
	}
	inBin, err := scanAuditRows(rows)
	if err != nil {
		return 0, fmt.Errorf("purge records: %w", err)
	}
	names := make(map[int64]auditRow, len(inBin))
	for _, r := range inBin {
		names[r.record] = r
	}
	rows, err = tx.q.QueryContext(ctx, s.Q(`UPDATE records SET purged_time = ?, data = '{}', display_name = ''
		WHERE `+cond+` RETURNING id`), append([]any{ch.At}, args...)...)
	if err != nil {
		return 0, fmt.Errorf("purge records: %w", err)
	}
	purged, err := scanIDs(rows)
	if err != nil || len(purged) == 0 {
		if err != nil {
			err = fmt.Errorf("purge records: %w", err)
		}
		return 0, err
	}
	audit := make([]auditRow, len(purged))
	for i, id := range purged {
		r, ok := names[int64(id)]
		if !ok {
			// Read in this transaction a moment ago; a row purged now that was not in the bin then
			// would mean the bin condition changed under a lock.
			r = auditRow{record: int64(id)}
		}
		audit[i] = r
	}
	in := recPlaceholders(len(purged))
	idArgs := recIDArgs(purged)
	if _, err := tx.q.ExecContext(ctx, s.Q(`DELETE FROM record_territories WHERE org_id = ? AND record_id IN (`+in+`)`),
		append([]any{int64(orgID)}, idArgs...)...); err != nil {
		return 0, fmt.Errorf("purge record territories: %w", err)
	}
	// record_reads has no org column; record ids are unique across orgs.
	if _, err := tx.q.ExecContext(ctx, s.Q(`DELETE FROM record_reads WHERE record_id IN (`+in+`)`), idArgs...); err != nil {
		return 0, fmt.Errorf("purge record reads: %w", err)
	}
	if err := s.writeAudit(ctx, tx, orgID, AuditPurged, ch, audit); err != nil {
		return 0, err
	}
	return int64(len(purged)), nil
}

// DueBinOrgs returns the orgs whose recycle bin holds records deleted before before (Unix ms): those
// the retention purge has work for. One read through the read pool: for each org, one seek into
// records_bin (org_id, deleted_time, id) for its oldest bin record, so no index of its own is kept for
// it (migration 13).
func (s *Store) DueBinOrgs(ctx context.Context, before int64) ([]crmd.ID, error) {
	rows, err := s.R.QueryContext(ctx, s.Q(`SELECT o.id FROM orgs o WHERE EXISTS (SELECT 1 FROM records r
		WHERE r.org_id = o.id AND r.deleted_time IS NOT NULL AND r.purged_time IS NULL AND r.deleted_time < ?)
		ORDER BY o.id`), before)
	if err != nil {
		return nil, fmt.Errorf("due orgs: %w", err)
	}
	return scanIDs(rows)
}

// DueBinIDs returns, oldest deletion first, the ids of an org's recycle-bin records deleted before
// before: the snapshot of a retention_purge job. One read through the read pool.
func (s *Store) DueBinIDs(ctx context.Context, orgID crmd.ID, before int64) ([]crmd.ID, error) {
	rows, err := s.R.QueryContext(ctx, s.Q(`SELECT id FROM records
		WHERE org_id = ? AND deleted_time IS NOT NULL AND purged_time IS NULL AND deleted_time < ?
		ORDER BY deleted_time, id`), int64(orgID), before)
	if err != nil {
		return nil, fmt.Errorf("due records: %w", err)
	}
	return scanIDs(rows)
}

// PurgeDueIDs purges, inside tx, those of ids that are in the org's recycle bin and were deleted before
// before, stamping them purged at ch.At and recording each in the audit trail, and returns how many it
// purged: one batch of a retention_purge job. The condition is re-checked by the UPDATE itself, so a
// record restored (and maybe deleted again, later) since the job's snapshot is left alone.
func (s *Store) PurgeDueIDs(ctx context.Context, tx *Tx, orgID crmd.ID, ids []crmd.ID, before int64, ch Change) (int64, error) {
	var n int64
	for start := 0; start < len(ids); start += binChunk {
		k, err := s.purgeIDsBefore(ctx, tx, orgID, ids[start:min(start+binChunk, len(ids))], before, ch)
		if err != nil {
			return 0, err
		}
		n += k
	}
	return n, nil
}

// ExpiredPurgeOrgs returns the orgs with purged rows purged before before (Unix ms): those whose time
// as type=permanent in /deleted is over.
func (s *Store) ExpiredPurgeOrgs(ctx context.Context, before int64) ([]crmd.ID, error) {
	rows, err := s.R.QueryContext(ctx, s.Q(`SELECT DISTINCT org_id FROM records WHERE purged_time IS NOT NULL AND purged_time < ? ORDER BY org_id`), before)
	if err != nil {
		return nil, fmt.Errorf("expired orgs: %w", err)
	}
	return scanIDs(rows)
}

// ExpiredPurgeIDs returns the ids of an org's purged rows purged before before, oldest first: the
// snapshot of a retention_drop job.
func (s *Store) ExpiredPurgeIDs(ctx context.Context, orgID crmd.ID, before int64) ([]crmd.ID, error) {
	rows, err := s.R.QueryContext(ctx, s.Q(`SELECT id FROM records WHERE org_id = ? AND purged_time IS NOT NULL AND purged_time < ?
		ORDER BY purged_time, id`), int64(orgID), before)
	if err != nil {
		return nil, fmt.Errorf("expired records: %w", err)
	}
	return scanIDs(rows)
}

// DropPermanentIDs removes, inside tx, those of ids that are purged rows of the org purged before
// before: nothing refers to them any more. It returns how many it removed.
func (s *Store) DropPermanentIDs(ctx context.Context, tx *Tx, orgID crmd.ID, ids []crmd.ID, before int64) (int64, error) {
	var n int64
	for start := 0; start < len(ids); start += binChunk {
		part := ids[start:min(start+binChunk, len(ids))]
		res, err := tx.q.ExecContext(ctx, s.Q(`DELETE FROM records WHERE org_id = ? AND purged_time IS NOT NULL AND purged_time < ?
			AND id IN (`+recPlaceholders(len(part))+`)`), append([]any{int64(orgID), before}, recIDArgs(part)...)...)
		if err != nil {
			return 0, fmt.Errorf("drop permanent records: %w", err)
		}
		k, err := res.RowsAffected()
		if err != nil {
			return 0, err
		}
		n += k
	}
	return n, nil
}
