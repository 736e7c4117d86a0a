package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/crmd/crmd"
)

const jobCols = `id, kind, target, org_id, module_id, cvid, territory_id, include_child, lock_key, status, total_count,
	deleted_count, failed_count, cursor_pos, cancel_requested, lease_owner, lease_until, created_by, created_time,
	started_time, finished_time, error`

func scanJob(row interface{ Scan(...any) error }) (*crmd.Job, error) {
	var j crmd.Job
	var id, org, mod, cvid, by int64
	var terr, until, started, finished sql.NullInt64
	var owner, reason sql.NullString
	var child, cancel int
	if err := row.Scan(&id, &j.Kind, &j.Target, &org, &mod, &cvid, &terr, &child, &j.LockKey, &j.Status, &j.TotalCount,
		&j.DeletedCount, &j.FailedCount, &j.Cursor, &cancel, &owner, &until, &by, &j.CreatedTime,
		&started, &finished, &reason); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	j.ID, j.OrgID, j.ModuleID, j.CVID, j.CreatedBy = crmd.ID(id), crmd.ID(org), crmd.ID(mod), crmd.ID(cvid), crmd.ID(by)
	j.TerritoryID, j.IncludeChild, j.CancelRequested = crmd.ID(terr.Int64), child == 1, cancel == 1
	j.LeaseOwner, j.LeaseUntil = owner.String, until.Int64
	j.StartedTime, j.FinishedTime, j.Error = started.Int64, finished.Int64, reason.String
	return &j, nil
}

// InsertJob writes a new job (kind, status, lease and counters as given: a PREPARING job under its
// preparer's lease) inside tx, unless an unfinished job (PREPARING, SCHEDULED or RUNNING) with the same
// lock key exists: then it writes nothing and reports false. The partial unique index jobs_lock decides,
// so two racing requests, in this process or another, can never both win (D5).
func (s *Store) InsertJob(ctx context.Context, tx *Tx, j *crmd.Job) (bool, error) {
	var owner, until any
	if j.LeaseOwner != "" {
		owner, until = j.LeaseOwner, j.LeaseUntil
	}
	res, err := tx.q.ExecContext(ctx, s.Q(`INSERT INTO jobs (id, kind, target, org_id, module_id, cvid, territory_id,
		include_child, lock_key, status, total_count, lease_owner, lease_until, created_by, created_time)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (lock_key) WHERE status IN ('PREPARING', 'SCHEDULED', 'RUNNING') DO NOTHING`),
		int64(j.ID), j.Kind, j.Target, int64(j.OrgID), int64(j.ModuleID), int64(j.CVID), recNullInt(int64(j.TerritoryID)),
		b2i(j.IncludeChild), j.LockKey, j.Status, j.TotalCount, owner, until, int64(j.CreatedBy), j.CreatedTime)
	if err != nil {
		if isUniqueViolation(err) {
			return false, nil
		}
		return false, fmt.Errorf("insert job: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// SelectRecordIDs returns, in id order, the ids of the live records of a module of an org that filter
// selects (approved or not), at most limit+1 of them, so that a caller enforcing limit learns that the
// selection is too large without reading all of it. It reads through the read pool, outside any write
// transaction: one statement, so one consistent snapshot of the database (WAL on SQLite, MVCC on
// PostgreSQL), however long it takes, and no writer waits for it. A territory beside the view is
// probed record by record (see territoryProbe).
func (s *Store) SelectRecordIDs(ctx context.Context, orgID, moduleID crmd.ID, filter RecordFilter, limit int) ([]crmd.ID, error) {
	conds, err := s.compileFilter(ctx, s.R, filter, true)
	if err != nil {
		return nil, fmt.Errorf("select job records: %w", err)
	}
	var q strings.Builder
	q.WriteString(`SELECT records.id FROM records
		WHERE records.org_id = ? AND records.module_id = ? AND records.deleted_time IS NULL`)
	args := andAll(&q, []any{int64(orgID), int64(moduleID)}, conds)
	q.WriteString(` ORDER BY records.id LIMIT ?`)
	args = append(args, limit+1)
	rows, err := s.R.QueryContext(ctx, s.Q(q.String()), args...)
	if err != nil {
		return nil, fmt.Errorf("select job records: %w", err)
	}
	return scanIDs(rows)
}

// AddJobItems appends ids to a job's snapshot inside tx, with seq from, from+1, … The ids travel as one
// bound array (a JSON array on SQLite, read by json_each; a bigint[] on PostgreSQL, read by unnest), so
// one short statement writes thousands of items.
func (s *Store) AddJobItems(ctx context.Context, tx *Tx, jobID crmd.ID, from int64, ids []crmd.ID) error {
	if len(ids) == 0 {
		return nil
	}
	var err error
	if s.Dialect == Postgres {
		arr := make([]int64, len(ids))
		for i, id := range ids {
			arr[i] = int64(id)
		}
		_, err = tx.q.ExecContext(ctx, `INSERT INTO job_items (job_id, seq, record_id)
			SELECT $1, $2 + t.ord - 1, t.v FROM unnest($3::bigint[]) WITH ORDINALITY AS t(v, ord)`, int64(jobID), from, arr)
	} else {
		var b strings.Builder
		b.WriteByte('[')
		for i, id := range ids {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatInt(int64(id), 10))
		}
		b.WriteByte(']')
		_, err = tx.q.ExecContext(ctx, `INSERT INTO job_items (job_id, seq, record_id)
			SELECT ?, ? + key, value FROM json_each(?)`, int64(jobID), from, b.String())
	}
	if err != nil {
		return fmt.Errorf("add job items: %w", err)
	}
	return nil
}

// PublishJob turns a PREPARING job its preparer (owner) still holds into a SCHEDULED one of total items
// with no lease, for any runner to claim; or, when a cancel was requested meanwhile, into a CANCELLED
// one without items. It reports false when the job is no longer the preparer's (it was reaped).
func (s *Store) PublishJob(ctx context.Context, jobID crmd.ID, owner string, total, at int64) (bool, error) {
	var ok bool
	err := s.Tx(ctx, func(tx *Tx) error {
		res, err := tx.q.ExecContext(ctx, s.Q(`UPDATE jobs SET total_count = ?, lease_owner = NULL, lease_until = NULL,
			status = CASE WHEN cancel_requested = 1 THEN 'CANCELLED' ELSE 'SCHEDULED' END,
			finished_time = CASE WHEN cancel_requested = 1 THEN CAST(? AS BIGINT) END
			WHERE id = ? AND status = 'PREPARING' AND lease_owner = ?`), total, at, int64(jobID), owner)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n != 1 {
			return err
		}
		ok = true
		return nil
	})
	return ok, err
}

// RenewPreparingJob extends owner's lease on a PREPARING job to until.
func (s *Store) RenewPreparingJob(ctx context.Context, jobID crmd.ID, owner string, until int64) error {
	_, err := s.W.ExecContext(ctx, s.Q(`UPDATE jobs SET lease_until = ? WHERE id = ? AND status = 'PREPARING' AND lease_owner = ?`),
		until, int64(jobID), owner)
	return err
}

// DropPreparingJob removes a PREPARING job its preparer still holds: a selection that turned out empty
// or too large leaves nothing behind and frees the lock. A job that already has snapshot items is
// marked DROPPED instead (never shown), and SweepJobItems removes the items, then the row, in short
// transactions.
func (s *Store) DropPreparingJob(ctx context.Context, jobID crmd.ID, owner string) error {
	return s.Tx(ctx, func(tx *Tx) error {
		res, err := tx.q.ExecContext(ctx, s.Q(`DELETE FROM jobs WHERE id = ? AND status = 'PREPARING' AND lease_owner = ?
			AND NOT EXISTS (SELECT 1 FROM job_items WHERE job_id = ?)`), int64(jobID), owner, int64(jobID))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		_, err = tx.q.ExecContext(ctx, s.Q(`UPDATE jobs SET status = 'DROPPED', lease_owner = NULL, lease_until = NULL
			WHERE id = ? AND status = 'PREPARING' AND lease_owner = ?`), int64(jobID), owner)
		return err
	})
}

// ReapAbandonedJobs marks DROPPED the PREPARING jobs whose preparer's lease ran out before now (the
// process stopped or crashed while writing the snapshot; its client never got an answer), and returns
// how many: their lock is free again, and SweepJobItems removes them.
func (s *Store) ReapAbandonedJobs(ctx context.Context, now int64) (int64, error) {
	res, err := s.W.ExecContext(ctx, s.Q(`UPDATE jobs SET status = 'DROPPED', lease_owner = NULL, lease_until = NULL
		WHERE status = 'PREPARING' AND lease_until < ?`), now)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// jobItemsSweep is how many snapshot items one transaction of SweepJobItems removes.
const jobItemsSweep = 5000

// SweepJobItems removes, in transactions of at most 5,000 items each, the snapshot items of jobs that
// no longer need them (finished or dropped), then the rows of DROPPED jobs; jobID, when not zero, limits
// it to that job. A job's snapshot can be a million records long (an index build): dropping it in one
// statement would hold the write lock for seconds. It returns how many items it removed.
func (s *Store) SweepJobItems(ctx context.Context, jobID crmd.ID) (int64, error) {
	var total int64
	for {
		var n int64
		err := s.Tx(ctx, func(tx *Tx) error {
			var job, low sql.NullInt64
			q := `SELECT job_id, MIN(seq) FROM job_items WHERE job_id IN
				(SELECT id FROM jobs WHERE status NOT IN ('PREPARING', 'SCHEDULED', 'RUNNING')) GROUP BY job_id LIMIT 1`
			args := []any{}
			if jobID != 0 {
				q = `SELECT job_id, MIN(seq) FROM job_items WHERE job_id = ? AND job_id IN
					(SELECT id FROM jobs WHERE status NOT IN ('PREPARING', 'SCHEDULED', 'RUNNING')) GROUP BY job_id`
				args = append(args, int64(jobID))
			}
			err := tx.q.QueryRowContext(ctx, s.Q(q), args...).Scan(&job, &low)
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			if err != nil {
				return err
			}
			res, err := tx.q.ExecContext(ctx, s.Q(`DELETE FROM job_items WHERE job_id = ? AND seq >= ? AND seq < ?`),
				job.Int64, low.Int64, low.Int64+jobItemsSweep)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if n == 0 {
			break
		}
	}
	_, err := s.W.ExecContext(ctx, `DELETE FROM jobs WHERE status = 'DROPPED' AND NOT EXISTS (SELECT 1 FROM job_items WHERE job_id = jobs.id)`)
	return total, err
}

// JobByID returns a job whatever its org, or ErrNotFound: for the server's own bookkeeping (the events
// hub following another process's jobs). What answers an org uses Job.
func (s *Store) JobByID(ctx context.Context, id crmd.ID) (*crmd.Job, error) {
	return scanJob(s.R.QueryRowContext(ctx, s.Q(`SELECT `+jobCols+` FROM jobs WHERE id = ? AND status NOT IN ('PREPARING', 'DROPPED')`), int64(id)))
}

// Job returns a job of an org, or ErrNotFound (a job of another org included). A PREPARING job is not
// found either (it is not accepted yet), nor a DROPPED one (it never was).
func (s *Store) Job(ctx context.Context, orgID, id crmd.ID) (*crmd.Job, error) {
	return scanJob(s.R.QueryRowContext(ctx, s.Q(`SELECT `+jobCols+` FROM jobs WHERE id = ? AND org_id = ? AND status NOT IN ('PREPARING', 'DROPPED')`), int64(id), int64(orgID)))
}

// ClaimJob gives a claimable job — SCHEDULED or RUNNING, with no lease or an expired one — to owner until
// leaseUntil, marks it RUNNING, and returns it; nil when there is none. The job with the lowest turn comes
// first (the oldest among equals): a job that yields (YieldJob) goes behind every other, so jobs that
// yield take turns. The lease condition
// is repeated in the UPDATE itself, so two processes claiming at once cannot both get the job.
func (s *Store) ClaimJob(ctx context.Context, owner string, now, leaseUntil int64) (*crmd.Job, error) {
	lock := ""
	if s.Dialect == Postgres {
		// Writers run concurrently on PostgreSQL: a claimer skips a job another claimer has locked
		// and takes the next one, instead of queueing behind it and then finding it taken.
		lock = " FOR UPDATE SKIP LOCKED"
	}
	query := `UPDATE jobs
		SET status = 'RUNNING', lease_owner = ?, lease_until = ?, started_time = COALESCE(started_time, ?)
		WHERE id = (SELECT id FROM jobs WHERE status IN ('SCHEDULED', 'RUNNING')
				AND (lease_until IS NULL OR lease_until < ?) ORDER BY turn, id LIMIT 1` + lock + `)
			AND status IN ('SCHEDULED', 'RUNNING') AND (lease_until IS NULL OR lease_until < ?)
		RETURNING ` + jobCols
	j, err := scanJob(s.W.QueryRowContext(ctx, s.Q(query), owner, leaseUntil, now, now, now))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return j, err
}

// JobItems returns, inside tx, the record ids of a job's snapshot from seq from on, at most n of them, in
// seq order.
func (s *Store) JobItems(ctx context.Context, tx *Tx, jobID crmd.ID, from int64, n int) ([]crmd.ID, error) {
	rows, err := tx.q.QueryContext(ctx, s.Q(`SELECT record_id FROM job_items WHERE job_id = ? AND seq >= ? ORDER BY seq LIMIT ?`),
		int64(jobID), from, n)
	if err != nil {
		return nil, err
	}
	return scanIDs(rows)
}

// JobCancelRequested reads, inside tx, whether a cancel was requested for a job.
func (s *Store) JobCancelRequested(ctx context.Context, tx *Tx, jobID crmd.ID) (bool, error) {
	var c int
	err := tx.q.QueryRowContext(ctx, s.Q(`SELECT cancel_requested FROM jobs WHERE id = ?`), int64(jobID)).Scan(&c)
	return c == 1, err
}

// JobProgress is what one batch did to a job.
type JobProgress struct {
	Processed, Deleted, Failed int64
	LeaseUntil                 int64 // the renewed lease
	Done                       bool  // the last item was processed: the job is COMPLETED
	At                         int64 // Unix ms
}

// AdvanceJob adds one batch's progress to a job inside tx — cursor, counters, lease, and COMPLETED with
// the batch that processes the last item — provided owner still holds the job at cursor (a guard
// against a process whose lease ran out and whose job was claimed by another). It reports false when
// the guard failed; the caller must then roll back the batch.
func (s *Store) AdvanceJob(ctx context.Context, tx *Tx, jobID crmd.ID, owner string, cursor int64, p JobProgress) (bool, error) {
	status, finished, leaseOwner, leaseUntil := crmd.JobRunning, any(nil), any(owner), any(p.LeaseUntil)
	if p.Done {
		status, finished, leaseOwner, leaseUntil = crmd.JobCompleted, p.At, nil, nil
	}
	res, err := tx.q.ExecContext(ctx, s.Q(`UPDATE jobs SET cursor_pos = cursor_pos + ?,
		deleted_count = deleted_count + ?, failed_count = failed_count + ?, status = ?, finished_time = ?,
		lease_owner = ?, lease_until = ?
		WHERE id = ? AND lease_owner = ? AND cursor_pos = ? AND status = 'RUNNING'`),
		p.Processed, p.Deleted, p.Failed, status, finished, leaseOwner, leaseUntil, int64(jobID), owner, cursor)
	if err != nil {
		return false, fmt.Errorf("advance job: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil || n != 1 {
		return false, err
	}
	// The batch's items have served their purpose: they go with it, so that the snapshot shrinks as the
	// job advances and nothing is left to drop in one long statement at the end.
	if _, err := tx.q.ExecContext(ctx, s.Q(`DELETE FROM job_items WHERE job_id = ? AND seq >= ? AND seq < ?`),
		int64(jobID), cursor, cursor+p.Processed); err != nil {
		return false, fmt.Errorf("drop the batch's snapshot items: %w", err)
	}
	return true, s.notifyJob(ctx, tx, jobID)
}

// EndJob ends a RUNNING job owner holds, inside tx, with status (FAILED or CANCELLED) and drops its
// snapshot. A FAILED job counts what was not done as failed, so that Total_Count = Deleted_Count +
// Failed_Count still holds; a CANCELLED one keeps its counts, which say what was done before it stopped.
// reason is kept for operators. It reports false when owner no longer holds the job. The rest of its
// snapshot is left to SweepJobItems.
func (s *Store) EndJob(ctx context.Context, tx *Tx, jobID crmd.ID, owner, status, reason string, at int64) (bool, error) {
	var reasonArg any
	if reason != "" {
		reasonArg = reason
	}
	failed := `failed_count`
	if status == crmd.JobFailed {
		failed = `total_count - deleted_count`
	}
	res, err := tx.q.ExecContext(ctx, s.Q(`UPDATE jobs SET status = ?, failed_count = `+failed+`,
		error = ?, finished_time = ?, lease_owner = NULL, lease_until = NULL
		WHERE id = ? AND lease_owner = ? AND status = 'RUNNING'`), status, reasonArg, at, int64(jobID), owner)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, err
	}
	return true, s.notifyJob(ctx, tx, jobID) // what is left of its snapshot goes with SweepJobItems
}

// RequestJobCancel asks an org's job to stop and returns the job as it is then, or ErrNotFound. A
// SCHEDULED job no runner holds ends CANCELLED at once (its snapshot is left to SweepJobItems); a
// RUNNING (or PREPARING) one is marked, and its runner (or preparer) ends it CANCELLED before its next
// batch; a finished job is returned unchanged.
func (s *Store) RequestJobCancel(ctx context.Context, orgID, jobID crmd.ID, at int64) (*crmd.Job, error) {
	var j *crmd.Job
	err := s.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.q.ExecContext(ctx, s.Q(`UPDATE jobs SET cancel_requested = 1
			WHERE id = ? AND org_id = ? AND status IN ('PREPARING', 'SCHEDULED', 'RUNNING')`), int64(jobID), int64(orgID)); err != nil {
			return err
		}
		if _, err := tx.q.ExecContext(ctx, s.Q(`UPDATE jobs SET status = 'CANCELLED', finished_time = ?
			WHERE id = ? AND org_id = ? AND status = 'SCHEDULED' AND (lease_until IS NULL OR lease_until < ?)`), at, int64(jobID), int64(orgID), at); err != nil {
			return err
		}
		var err error
		j, err = scanJob(tx.q.QueryRowContext(ctx, s.Q(`SELECT `+jobCols+` FROM jobs WHERE id = ? AND org_id = ? AND status NOT IN ('PREPARING', 'DROPPED')`), int64(jobID), int64(orgID)))
		if err != nil {
			return err
		}
		return s.notifyJob(ctx, tx, jobID)
	})
	return j, err
}

// PurgeJobs removes the jobs that finished (COMPLETED, FAILED or CANCELLED) before before, with whatever
// is left of their snapshots, and returns how many jobs it removed. Their status is then unknown.
func (s *Store) PurgeJobs(ctx context.Context, before int64) (int64, error) {
	if _, err := s.SweepJobItems(ctx, 0); err != nil {
		return 0, err
	}
	res, err := s.W.ExecContext(ctx, s.Q(`DELETE FROM jobs WHERE status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND finished_time < ?
		AND NOT EXISTS (SELECT 1 FROM job_items WHERE job_id = jobs.id)`), before)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// CountJobItems counts what is left of a job's snapshot.
func (s *Store) CountJobItems(ctx context.Context, jobID crmd.ID) (int64, error) {
	var n int64
	err := s.R.QueryRowContext(ctx, s.Q(`SELECT COUNT(*) FROM job_items WHERE job_id = ?`), int64(jobID)).Scan(&n)
	return n, err
}

// YieldJob gives up owner's lease on a RUNNING job and puts it behind every other job (the highest turn
// yet), so that a runner claims the others before this one again.
func (s *Store) YieldJob(ctx context.Context, jobID crmd.ID, owner string) error {
	_, err := s.W.ExecContext(ctx, s.Q(`UPDATE jobs SET lease_owner = NULL, lease_until = NULL,
		turn = (SELECT COALESCE(MAX(turn), 0) + 1 FROM jobs)
		WHERE id = ? AND lease_owner = ? AND status = 'RUNNING'`), int64(jobID), owner)
	return err
}

// OtherJobWaiting reports whether a job other than jobID is claimable at now.
func (s *Store) OtherJobWaiting(ctx context.Context, jobID crmd.ID, now int64) (bool, error) {
	var n int
	err := s.R.QueryRowContext(ctx, s.Q(`SELECT COUNT(*) FROM (SELECT 1 FROM jobs WHERE status IN ('SCHEDULED', 'RUNNING')
		AND (lease_until IS NULL OR lease_until < ?) AND id <> ? LIMIT 1) w`), now, int64(jobID)).Scan(&n)
	return n > 0, err
}

// ReleaseJob gives up owner's lease on a job that is still RUNNING (a graceful shutdown), so that the
// next process claims it at once instead of waiting for the lease to expire.
func (s *Store) ReleaseJob(ctx context.Context, jobID crmd.ID, owner string) error {
	_, err := s.W.ExecContext(ctx, s.Q(`UPDATE jobs SET lease_owner = NULL, lease_until = NULL
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

// CountUnfinishedJobs counts an org's jobs of kind that are not finished (PREPARING, SCHEDULED or
// RUNNING): for tools that wait for background work, such as crmd bench waiting for an index build.
func (s *Store) CountUnfinishedJobs(ctx context.Context, orgID crmd.ID, kind string) (int, error) {
	var n int
	err := s.R.QueryRowContext(ctx, s.Q(`SELECT COUNT(*) FROM jobs WHERE org_id = ? AND kind = ?
		AND status IN ('PREPARING', 'SCHEDULED', 'RUNNING')`), int64(orgID), kind).Scan(&n)
	return n, err
}

// JobQuery selects a page of an org's jobs, newest first.
type JobQuery struct {
	OrgID crmd.ID
	// Kind, Status and ModuleID filter when not empty or zero.
	Kind, Status string
	ModuleID     crmd.ID
	// Visible is what the caller may read: for each kind, nil for every job of the kind, or the modules
	// whose jobs of that kind it may read. A kind absent from it is never listed.
	Visible       map[string][]crmd.ID
	Offset, Limit int
}

// ListJobs returns the jobs q selects, newest first (PREPARING and DROPPED jobs are never shown).
func (s *Store) ListJobs(ctx context.Context, q JobQuery) ([]*crmd.Job, error) {
	var b strings.Builder
	b.WriteString(`SELECT ` + jobCols + ` FROM jobs WHERE org_id = ? AND status NOT IN ('PREPARING', 'DROPPED')`)
	args := []any{int64(q.OrgID)}
	if q.Kind != "" {
		b.WriteString(` AND kind = ?`)
		args = append(args, q.Kind)
	}
	if q.Status != "" {
		b.WriteString(` AND status = ?`)
		args = append(args, q.Status)
	}
	if q.ModuleID != 0 {
		b.WriteString(` AND module_id = ?`)
		args = append(args, int64(q.ModuleID))
	}
	// The visible kinds, in a stable order so that the statement text is too.
	b.WriteString(` AND (1 = 0`)
	for _, kind := range crmd.JobKinds {
		mods, ok := q.Visible[kind]
		if !ok {
			continue
		}
		switch {
		case mods == nil:
			b.WriteString(` OR kind = ?`)
			args = append(args, kind)
		case len(mods) > 0:
			b.WriteString(` OR (kind = ? AND module_id IN (` + recPlaceholders(len(mods)) + `))`)
			args = append(append(args, kind), recIDArgs(mods)...)
		}
	}
	b.WriteString(`)`)
	args = newestFirst(&b, args, q.Limit, q.Offset)
	rows, err := s.R.QueryContext(ctx, s.Q(b.String()), args...)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return scanAll(rows, scanJob)
}

// UndoJobs returns, for those of an org's jobs ids that have an undo job, the undo job's id.
func (s *Store) UndoJobs(ctx context.Context, orgID crmd.ID, ids []crmd.ID) (map[crmd.ID]crmd.ID, error) {
	out := map[crmd.ID]crmd.ID{}
	if len(ids) == 0 {
		return out, nil
	}
	targets := make([]any, len(ids))
	for i, id := range ids {
		targets[i] = id.String()
	}
	rows, err := s.R.QueryContext(ctx, s.Q(`SELECT target, id FROM jobs WHERE org_id = ? AND kind = 'undo'
		AND status NOT IN ('PREPARING', 'DROPPED') AND target IN (`+recPlaceholders(len(ids))+`)`), append([]any{int64(orgID)}, targets...)...)
	if err != nil {
		return nil, fmt.Errorf("undo jobs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var target string
		var id int64
		if err := rows.Scan(&target, &id); err != nil {
			return nil, err
		}
		if t, ok := crmd.ParseID(target); ok {
			out[t] = crmd.ID(id)
		}
	}
	return out, rows.Err()
}

// LockHolder returns the SCHEDULED or RUNNING job that holds lock key, or nil: the job that makes a new
// job with that key wait (ALREADY_SCHEDULED).
func (s *Store) LockHolder(ctx context.Context, key string) (*crmd.Job, error) {
	j, err := scanJob(s.R.QueryRowContext(ctx, s.Q(`SELECT `+jobCols+` FROM jobs WHERE lock_key = ? AND status IN ('SCHEDULED', 'RUNNING')`), key))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return j, err
}

// IDName is a record's id and display name.
type IDName struct {
	ID   crmd.ID
	Name string
}

// SummarizeSelection counts the live records of a module of an org that filter selects, and how many of
// them are not approved; and returns the first sample of the approved ones by id (at most sample): what
// a mass delete of that selection would take. Reads through the read pool, no lock, like
// SelectRecordIDs.
func (s *Store) SummarizeSelection(ctx context.Context, orgID, moduleID crmd.ID, filter RecordFilter, sample int) (total, unapproved int64, first []IDName, err error) {
	conds, err := s.compileFilter(ctx, s.R, filter, true)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("summarize selection: %w", err)
	}
	var q strings.Builder
	q.WriteString(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN records.approval_state <> 'approved' THEN 1 ELSE 0 END), 0) FROM records
		WHERE records.org_id = ? AND records.module_id = ? AND records.deleted_time IS NULL`)
	args := andAll(&q, []any{int64(orgID), int64(moduleID)}, conds)
	if err := s.R.QueryRowContext(ctx, s.Q(q.String()), args...).Scan(&total, &unapproved); err != nil {
		return 0, 0, nil, fmt.Errorf("summarize selection: %w", err)
	}
	q.Reset()
	q.WriteString(`SELECT records.id, records.display_name FROM records
		WHERE records.org_id = ? AND records.module_id = ? AND records.deleted_time IS NULL AND records.approval_state = 'approved'`)
	args = andAll(&q, []any{int64(orgID), int64(moduleID)}, conds)
	q.WriteString(` ORDER BY records.id LIMIT ?`)
	rows, err := s.R.QueryContext(ctx, s.Q(q.String()), append(args, sample)...)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("summarize selection: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return 0, 0, nil, err
		}
		first = append(first, IDName{ID: crmd.ID(id), Name: name})
	}
	return total, unapproved, first, rows.Err()
}
