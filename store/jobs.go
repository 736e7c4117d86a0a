package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/crmd/crmd"
)

const jobCols = `id, org_id, module_id, cvid, territory_id, include_child, lock_key, status, total_count,
	deleted_count, failed_count, cursor_pos, lease_owner, lease_until, created_by, created_time`

func scanJob(row interface{ Scan(...any) error }) (*crmd.Job, error) {
	var j crmd.Job
	var id, org, mod, cvid, by int64
	var terr, until sql.NullInt64
	var owner sql.NullString
	var child int
	if err := row.Scan(&id, &org, &mod, &cvid, &terr, &child, &j.LockKey, &j.Status, &j.TotalCount,
		&j.DeletedCount, &j.FailedCount, &j.Cursor, &owner, &until, &by, &j.CreatedTime); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	j.ID, j.OrgID, j.ModuleID, j.CVID, j.CreatedBy = crmd.ID(id), crmd.ID(org), crmd.ID(mod), crmd.ID(cvid), crmd.ID(by)
	j.TerritoryID, j.IncludeChild = crmd.ID(terr.Int64), child == 1
	j.LeaseOwner, j.LeaseUntil = owner.String, until.Int64
	return &j, nil
}

// InsertMassDeleteJob writes a new job (status, counters and cursor as given, usually SCHEDULED and
// zero) inside tx, unless a SCHEDULED or RUNNING job with the same lock key exists: then it writes
// nothing and reports false. The partial unique index mass_delete_jobs_lock decides, so two racing
// requests, in this process or another, can never both win (D5).
func (s *Store) InsertMassDeleteJob(ctx context.Context, tx *Tx, j *crmd.Job) (bool, error) {
	res, err := tx.q.ExecContext(ctx, s.Q(`INSERT INTO mass_delete_jobs (id, org_id, module_id, cvid, territory_id,
		include_child, lock_key, status, total_count, created_by, created_time)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (lock_key) WHERE status IN ('SCHEDULED', 'RUNNING') DO NOTHING`),
		int64(j.ID), int64(j.OrgID), int64(j.ModuleID), int64(j.CVID), recNullInt(int64(j.TerritoryID)),
		b2i(j.IncludeChild), j.LockKey, j.Status, j.TotalCount, int64(j.CreatedBy), j.CreatedTime)
	if err != nil {
		if isUniqueViolation(err) {
			return false, nil
		}
		return false, fmt.Errorf("insert mass delete job: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// SnapshotJobItems copies, inside tx, the ids of the live records of a module of an org that filter
// selects (approved or not) into the job's items, in id order with seq 0, 1, …, and returns how many it
// copied. It copies at most limit+1 rows, so that a caller enforcing limit learns that the selection is
// too large without copying all of it. One INSERT … SELECT: the ids never leave the database. A
// territory beside the view is probed record by record (see territoryProbe).
func (s *Store) SnapshotJobItems(ctx context.Context, tx *Tx, jobID, orgID, moduleID crmd.ID, filter RecordFilter, limit int) (int64, error) {
	conds, err := s.compileFilter(ctx, tx.q, filter, true)
	if err != nil {
		return 0, fmt.Errorf("snapshot mass delete job: %w", err)
	}
	var q strings.Builder
	q.WriteString(`INSERT INTO mass_delete_job_items (job_id, seq, record_id)
		SELECT CAST(? AS BIGINT), ROW_NUMBER() OVER (ORDER BY records.id) - 1, records.id FROM records
		WHERE records.org_id = ? AND records.module_id = ? AND records.deleted_time IS NULL`)
	args := andAll(&q, []any{int64(jobID), int64(orgID), int64(moduleID)}, conds)
	q.WriteString(` ORDER BY records.id LIMIT ?`)
	args = append(args, limit+1)
	res, err := tx.q.ExecContext(ctx, s.Q(q.String()), args...)
	if err != nil {
		return 0, fmt.Errorf("snapshot mass delete job: %w", err)
	}
	return res.RowsAffected()
}

// SetJobTotal records the size of a job's snapshot inside tx.
func (s *Store) SetJobTotal(ctx context.Context, tx *Tx, jobID crmd.ID, total int64) error {
	_, err := tx.q.ExecContext(ctx, s.Q(`UPDATE mass_delete_jobs SET total_count = ? WHERE id = ?`), total, int64(jobID))
	return err
}

// MassDeleteJob returns a job of an org, or ErrNotFound (a job of another org included).
func (s *Store) MassDeleteJob(ctx context.Context, orgID, id crmd.ID) (*crmd.Job, error) {
	return scanJob(s.R.QueryRowContext(ctx, s.Q(`SELECT `+jobCols+` FROM mass_delete_jobs WHERE id = ? AND org_id = ?`), int64(id), int64(orgID)))
}

// ClaimMassDeleteJob gives the oldest claimable job — SCHEDULED or RUNNING, with no lease or an expired
// one — to owner until leaseUntil, marks it RUNNING, and returns it; nil when there is none. The
// lease condition is repeated in the UPDATE itself, so two processes claiming at once cannot both get
// the job.
func (s *Store) ClaimMassDeleteJob(ctx context.Context, owner string, now, leaseUntil int64) (*crmd.Job, error) {
	query := `UPDATE mass_delete_jobs
		SET status = 'RUNNING', lease_owner = ?, lease_until = ?, started_time = COALESCE(started_time, ?)
		WHERE id = (SELECT id FROM mass_delete_jobs WHERE status IN ('SCHEDULED', 'RUNNING')
				AND (lease_until IS NULL OR lease_until < ?) ORDER BY id LIMIT 1)
			AND status IN ('SCHEDULED', 'RUNNING') AND (lease_until IS NULL OR lease_until < ?)
		RETURNING ` + jobCols
	if s.Dialect == Postgres {
		// Writers run concurrently on PostgreSQL: a claimer skips a job another claimer has locked
		// and takes the next one, instead of queueing behind it and then finding it taken.
		query = `UPDATE mass_delete_jobs
		SET status = 'RUNNING', lease_owner = ?, lease_until = ?, started_time = COALESCE(started_time, ?)
		WHERE id = (SELECT id FROM mass_delete_jobs WHERE status IN ('SCHEDULED', 'RUNNING')
				AND (lease_until IS NULL OR lease_until < ?) ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
			AND status IN ('SCHEDULED', 'RUNNING') AND (lease_until IS NULL OR lease_until < ?)
		RETURNING ` + jobCols
	}
	j, err := scanJob(s.W.QueryRowContext(ctx, s.Q(query), owner, leaseUntil, now, now, now))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return j, err
}

// JobItems returns, inside tx, the record ids of a job's snapshot from seq from on, at most n of them, in
// seq order.
func (s *Store) JobItems(ctx context.Context, tx *Tx, jobID crmd.ID, from int64, n int) ([]crmd.ID, error) {
	rows, err := tx.q.QueryContext(ctx, s.Q(`SELECT record_id FROM mass_delete_job_items WHERE job_id = ? AND seq >= ? ORDER BY seq LIMIT ?`),
		int64(jobID), from, n)
	if err != nil {
		return nil, err
	}
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

// JobProgress is what one batch did to a job.
type JobProgress struct {
	Processed, Deleted, Failed int64
	LeaseUntil                 int64 // the renewed lease
	Done                       bool  // the last item was processed: the job is COMPLETED
	At                         int64 // Unix ms
}

// AdvanceMassDeleteJob adds one batch's progress to a job inside tx — cursor, counters, lease, and
// COMPLETED with the batch that processes the last item — provided owner still holds the job at
// cursor (a guard against a process whose lease ran out and whose job was claimed by another). It
// reports false when the guard failed; the caller must then roll back the batch.
func (s *Store) AdvanceMassDeleteJob(ctx context.Context, tx *Tx, jobID crmd.ID, owner string, cursor int64, p JobProgress) (bool, error) {
	status, finished, leaseOwner, leaseUntil := crmd.JobRunning, any(nil), any(owner), any(p.LeaseUntil)
	if p.Done {
		status, finished, leaseOwner, leaseUntil = crmd.JobCompleted, p.At, nil, nil
	}
	res, err := tx.q.ExecContext(ctx, s.Q(`UPDATE mass_delete_jobs SET cursor_pos = cursor_pos + ?,
		deleted_count = deleted_count + ?, failed_count = failed_count + ?, status = ?, finished_time = ?,
		lease_owner = ?, lease_until = ?
		WHERE id = ? AND lease_owner = ? AND cursor_pos = ? AND status = 'RUNNING'`),
		p.Processed, p.Deleted, p.Failed, status, finished, leaseOwner, leaseUntil, int64(jobID), owner, cursor)
	if err != nil {
		return false, fmt.Errorf("advance mass delete job: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil || n != 1 {
		return false, err
	}
	if p.Done {
		// The snapshot has served its purpose; the job row with its counters stays for the status API.
		if _, err := tx.q.ExecContext(ctx, s.Q(`DELETE FROM mass_delete_job_items WHERE job_id = ?`), int64(jobID)); err != nil {
			return false, fmt.Errorf("drop mass delete snapshot: %w", err)
		}
	}
	return true, nil
}

// FailMassDeleteJob ends a job owner holds as FAILED: what was not deleted counts as failed, so that
// Total_Count = Deleted_Count + Failed_Count still holds. reason is kept for operators.
func (s *Store) FailMassDeleteJob(ctx context.Context, jobID crmd.ID, owner, reason string, at int64) error {
	return s.Tx(ctx, func(tx *Tx) error {
		res, err := tx.q.ExecContext(ctx, s.Q(`UPDATE mass_delete_jobs SET status = 'FAILED', failed_count = total_count - deleted_count,
			error = ?, finished_time = ?, lease_owner = NULL, lease_until = NULL
			WHERE id = ? AND lease_owner = ? AND status = 'RUNNING'`), reason, at, int64(jobID), owner)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return err
		}
		_, err = tx.q.ExecContext(ctx, s.Q(`DELETE FROM mass_delete_job_items WHERE job_id = ?`), int64(jobID))
		return err
	})
}

// PurgeMassDeleteJobs removes the jobs that finished (COMPLETED or FAILED) before before, with whatever
// is left of their snapshots, and returns how many jobs it removed. Their status is then unknown.
func (s *Store) PurgeMassDeleteJobs(ctx context.Context, before int64) (int64, error) {
	var n int64
	err := s.Tx(ctx, func(tx *Tx) error {
		old := `SELECT id FROM mass_delete_jobs WHERE status IN ('COMPLETED', 'FAILED') AND finished_time < ?`
		if _, err := tx.q.ExecContext(ctx, s.Q(`DELETE FROM mass_delete_job_items WHERE job_id IN (`+old+`)`), before); err != nil {
			return err
		}
		res, err := tx.q.ExecContext(ctx, s.Q(`DELETE FROM mass_delete_jobs WHERE status IN ('COMPLETED', 'FAILED') AND finished_time < ?`), before)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// CountJobItems counts what is left of a job's snapshot.
func (s *Store) CountJobItems(ctx context.Context, jobID crmd.ID) (int64, error) {
	var n int64
	err := s.R.QueryRowContext(ctx, s.Q(`SELECT COUNT(*) FROM mass_delete_job_items WHERE job_id = ?`), int64(jobID)).Scan(&n)
	return n, err
}

// ReleaseMassDeleteJob gives up owner's lease on a job that is still RUNNING (a graceful shutdown), so
// that the next process claims it at once instead of waiting for the lease to expire.
func (s *Store) ReleaseMassDeleteJob(ctx context.Context, jobID crmd.ID, owner string) error {
	_, err := s.W.ExecContext(ctx, s.Q(`UPDATE mass_delete_jobs SET lease_owner = NULL, lease_until = NULL
		WHERE id = ? AND lease_owner = ? AND status = 'RUNNING'`), int64(jobID), owner)
	return err
}

// InTerritory returns which of ids are records assigned to the territory of t (or to its subtree),
// reading inside tx when one is given: the territory guard of a mass delete by ids. The territory is
// probed record by record, since the ids are few.
func (s *Store) InTerritory(ctx context.Context, tx *Tx, ids []crmd.ID, t TerritoryScope) (map[crmd.ID]bool, error) {
	out := make(map[crmd.ID]bool, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	db := s.recDB(tx)
	p, err := s.territoryCondition(ctx, db, t, true)
	if err != nil {
		return nil, err
	}
	args := append(recIDArgs(ids), p.args...)
	rows, err := db.QueryContext(ctx, s.Q(`SELECT records.id FROM records WHERE records.id IN (`+recPlaceholders(len(ids))+`) AND (`+p.sql+`)`), args...)
	if err != nil {
		return nil, err
	}
	found, err := scanIDs(rows)
	if err != nil {
		return nil, err
	}
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}

// CountJobDeletions counts the records a job deleted (delete_job_id = job), for checks and tests.
func (s *Store) CountJobDeletions(ctx context.Context, orgID, jobID crmd.ID) (int64, error) {
	var n int64
	err := s.R.QueryRowContext(ctx, s.Q(`SELECT COUNT(*) FROM records WHERE org_id = ? AND delete_job_id = ?`), int64(orgID), int64(jobID)).Scan(&n)
	return n, err
}
