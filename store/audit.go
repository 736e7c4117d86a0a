package store

import (
	"context"
	"database/sql"
	"encoding/json"
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

// writeAudit records, inside tx, that action happened to rows by ch, in one statement of constant text
// whatever the number of rows: the rows travel as one bound array (a JSON array read by json_each on
// SQLite; arrays read by unnest on PostgreSQL), as the job snapshot's items do. A VALUES list of nine
// bound values per row would be a new statement for SQLite to parse at every batch size, thousands of
// values long.
func (s *Store) writeAudit(ctx context.Context, tx *Tx, orgID crmd.ID, action string, ch Change, rows []auditRow) error {
	if len(rows) == 0 {
		return nil
	}
	var err error
	if s.Dialect == Postgres {
		recs, mods, names := make([]int64, len(rows)), make([]int64, len(rows)), make([]string, len(rows))
		for i, r := range rows {
			recs[i], mods[i], names[i] = r.record, r.module, r.name
		}
		_, err = tx.q.ExecContext(ctx, `INSERT INTO audit (org_id, time, action, via, record_id, module_id, display_name, actor_id, job_id)
			SELECT $1, $2, $3, $4, t.rec, t.mod, t.name, $5, $6 FROM unnest($7::bigint[], $8::bigint[], $9::text[]) WITH ORDINALITY AS t(rec, mod, name, ord)
			ORDER BY t.ord`, int64(orgID), ch.At, action, ch.Via, recNullInt(int64(ch.Actor)), recNullInt(int64(ch.JobID)), recs, mods, names)
	} else {
		type row [3]any
		arr := make([]row, len(rows))
		for i, r := range rows {
			arr[i] = row{r.record, r.module, r.name}
		}
		var js []byte
		if js, err = json.Marshal(arr); err != nil {
			return err
		}
		_, err = tx.q.ExecContext(ctx, `INSERT INTO audit (org_id, time, action, via, record_id, module_id, display_name, actor_id, job_id)
			SELECT ?, ?, ?, ?, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), ?, ?
			FROM json_each(?) ORDER BY key`, int64(orgID), ch.At, action, ch.Via, recNullInt(int64(ch.Actor)), recNullInt(int64(ch.JobID)), string(js))
	}
	if err != nil {
		return fmt.Errorf("write audit trail: %w", err)
	}
	return nil
}

// writeAuditLive records, inside tx, that action happened to rows by ch, like writeAudit, for rows that
// are still in records with the same module and display name — a soft delete changes neither. On
// SQLite the row's module and name are read back from records (pages the statement that changed them
// has just cached) and only the ids travel, as a JSON array of numbers: extracting three values per row
// from a JSON array of arrays cost more than the whole insert. The text stays constant.
func (s *Store) writeAuditLive(ctx context.Context, tx *Tx, orgID crmd.ID, action string, ch Change, rows []auditRow) error {
	if s.Dialect != SQLite || len(rows) == 0 {
		return s.writeAudit(ctx, tx, orgID, action, ch, rows)
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.record
	}
	js, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	// CROSS JOIN keeps json_each outside, so each id is one rowid lookup.
	if _, err := tx.q.ExecContext(ctx, `INSERT INTO audit (org_id, time, action, via, record_id, module_id, display_name, actor_id, job_id)
		SELECT ?, ?, ?, ?, r.id, r.module_id, r.display_name, ?, ? FROM json_each(?) AS j CROSS JOIN records AS r
		WHERE r.id = j.value ORDER BY j.key`, int64(orgID), ch.At, action, ch.Via, recNullInt(int64(ch.Actor)), recNullInt(int64(ch.JobID)), string(js)); err != nil {
		return fmt.Errorf("write audit trail: %w", err)
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
