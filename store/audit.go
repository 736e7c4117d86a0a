package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/crmd/crmd"
)

// The audit trail (docs/crmd-api.md#get-crmdv1audit): every deletion, restore and purge of a record is
// a row of table audit, written by the method that makes the change, inside its transaction, for
// exactly the rows that statement changed (its RETURNING list). The trail can therefore neither miss a
// committed change nor show one that rolled back.

// Audit actions.
const (
	AuditDeleted  = "deleted"
	AuditRestored = "restored"
	AuditPurged   = "purged"
)

// How a change was asked for (an audit row's via).
const (
	ViaIDs        = "ids"         // a mass delete by ids
	ViaJob        = "job"         // a batch of a job (Change.JobID names it)
	ViaRecord     = "record"      // DELETE /{module} and /{module}/{id}
	ViaRecycleBin = "recycle_bin" // the recycle bin's restore and permanent delete by ids, a small empty
	ViaRetention  = "retention"   // the recycle bin's retention purge (no actor)
)

// Change says who changes records, how, and when: what the audit trail records beside each record.
type Change struct {
	Actor crmd.ID // the user; 0 for the system (retention)
	Via   string
	JobID crmd.ID // the job whose batch makes the change; 0 for none
	At    int64   // Unix ms
}

// auditRow is one changed record as the audit trail names it.
type auditRow struct {
	record, module int64
	name           string
}

// auditPerStmt caps the rows of one INSERT (9 bound values each), well inside both dialects' bind
// limits.
const auditPerStmt = 500

// writeAudit records, inside tx, that action happened to rows by ch.
func (s *Store) writeAudit(ctx context.Context, tx *Tx, orgID crmd.ID, action string, ch Change, rows []auditRow) error {
	for start := 0; start < len(rows); start += auditPerStmt {
		part := rows[start:min(start+auditPerStmt, len(rows))]
		var b strings.Builder
		b.WriteString(`INSERT INTO audit (org_id, time, action, via, record_id, module_id, display_name, actor_id, job_id) VALUES `)
		args := make([]any, 0, len(part)*9)
		for i, r := range part {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`(?, ?, ?, ?, ?, ?, ?, ?, ?)`)
			args = append(args, int64(orgID), ch.At, action, ch.Via, r.record, r.module, r.name,
				recNullInt(int64(ch.Actor)), recNullInt(int64(ch.JobID)))
		}
		if _, err := tx.q.ExecContext(ctx, s.Q(b.String()), args...); err != nil {
			return fmt.Errorf("write audit trail: %w", err)
		}
	}
	return nil
}

// scanAuditRows reads the (id, module_id, display_name) rows of a RETURNING list.
func scanAuditRows(rows *sql.Rows) ([]auditRow, error) {
	defer rows.Close()
	var out []auditRow
	for rows.Next() {
		var r auditRow
		if err := rows.Scan(&r.record, &r.module, &r.name); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// AuditEntry is one row of the audit trail.
type AuditEntry struct {
	ID          crmd.ID
	Time        int64
	Action, Via string
	RecordID    crmd.ID
	ModuleID    crmd.ID
	DisplayName string
	ActorID     crmd.ID // 0: the system
	JobID       crmd.ID // 0: none
}

// AuditQuery selects audit rows of one org, newest first.
type AuditQuery struct {
	OrgID crmd.ID
	// The filters; zero values do not filter. From ≤ time < To (Unix ms).
	ModuleID, ActorID, JobID, RecordID crmd.ID
	Action, Via                        string
	From, To                           int64
	// Before, when not zero, starts after that row (id < Before): keyset paging for a full export.
	Before        crmd.ID
	Offset, Limit int
}

// ListAudit returns the audit rows q selects, newest first (by id, which grows with time).
func (s *Store) ListAudit(ctx context.Context, q AuditQuery) ([]AuditEntry, error) {
	var b strings.Builder
	b.WriteString(`SELECT id, time, action, via, record_id, module_id, display_name, actor_id, job_id FROM audit WHERE org_id = ?`)
	args := []any{int64(q.OrgID)}
	cond := func(c string, v any) {
		b.WriteString(` AND ` + c)
		args = append(args, v)
	}
	if q.ModuleID != 0 {
		cond(`module_id = ?`, int64(q.ModuleID))
	}
	if q.ActorID != 0 {
		cond(`actor_id = ?`, int64(q.ActorID))
	}
	if q.JobID != 0 {
		cond(`job_id = ?`, int64(q.JobID))
	}
	if q.RecordID != 0 {
		cond(`record_id = ?`, int64(q.RecordID))
	}
	if q.Action != "" {
		cond(`action = ?`, q.Action)
	}
	if q.Via != "" {
		cond(`via = ?`, q.Via)
	}
	if q.From != 0 {
		cond(`time >= ?`, q.From)
	}
	if q.To != 0 {
		cond(`time < ?`, q.To)
	}
	if q.Before != 0 {
		cond(`id < ?`, int64(q.Before))
	}
	args = newestFirst(&b, args, q.Limit, q.Offset)
	rows, err := s.R.QueryContext(ctx, s.Q(b.String()), args...)
	if err != nil {
		return nil, fmt.Errorf("list audit trail: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var id, rec, mod int64
		var actor, job sql.NullInt64
		if err := rows.Scan(&id, &e.Time, &e.Action, &e.Via, &rec, &mod, &e.DisplayName, &actor, &job); err != nil {
			return nil, err
		}
		e.ID, e.RecordID, e.ModuleID = crmd.ID(id), crmd.ID(rec), crmd.ID(mod)
		e.ActorID, e.JobID = crmd.ID(actor.Int64), crmd.ID(job.Int64)
		out = append(out, e)
	}
	return out, rows.Err()
}

// JobDeletedIDs returns the ids of the records a job deleted, in the order it deleted them, as the
// audit trail records them: the snapshot of the job's undo. One read through the read pool.
func (s *Store) JobDeletedIDs(ctx context.Context, orgID, jobID crmd.ID) ([]crmd.ID, error) {
	rows, err := s.R.QueryContext(ctx, s.Q(`SELECT record_id FROM audit WHERE job_id = ? AND org_id = ? AND action = 'deleted' ORDER BY id`),
		int64(jobID), int64(orgID))
	if err != nil {
		return nil, fmt.Errorf("job's deleted records: %w", err)
	}
	return scanIDs(rows)
}
