package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/crmd/crmd"
	"github.com/jackc/pgx/v5/stdlib"
)

// Job notifications (PostgreSQL): every change of a job's progress — a batch, its end, a cancel
// request — is announced on the channel crmd_jobs inside the transaction that makes it, so PostgreSQL
// delivers it to every listening process when, and only if, that transaction commits. The payload
// carries the job's id, cursor, counts, status and cancel flag as they are in that transaction, so that
// a replica that does not run the job can follow it batch by batch (the events stream of crmd's API).
const jobsChannel = "crmd_jobs"

// ErrNoNotifications is ListenJobs' answer on SQLite, which has no notifications: one process runs
// on a SQLite file in normal use, and its runner tells its own streams directly.
var ErrNoNotifications = errors.New("store: job notifications need PostgreSQL")

// notifyJob announces inside tx the job's state as tx has it (PostgreSQL; nothing on SQLite).
func (s *Store) notifyJob(ctx context.Context, tx *Tx, jobID crmd.ID) error {
	if s.Dialect != Postgres {
		return nil
	}
	_, err := tx.q.ExecContext(ctx, `SELECT pg_notify('`+jobsChannel+`', id || ',' || cursor_pos || ',' || deleted_count || ','
		|| failed_count || ',' || status || ',' || cancel_requested) FROM jobs WHERE id = $1`, int64(jobID))
	if err != nil {
		return fmt.Errorf("notify job: %w", err)
	}
	return nil
}

// JobNotice is one announced state of a job.
type JobNotice struct {
	JobID                   crmd.ID
	Cursor, Deleted, Failed int64
	Status                  string
	CancelRequested         bool
}

// parseNotice reads a payload of notifyJob.
func parseNotice(payload string) (JobNotice, bool) {
	f := strings.Split(payload, ",")
	if len(f) != 6 {
		return JobNotice{}, false
	}
	var n JobNotice
	id, ok := crmd.ParseID(f[0])
	if !ok {
		return JobNotice{}, false
	}
	n.JobID, n.Status, n.CancelRequested = id, f[4], f[5] == "1"
	for i, dst := range []*int64{&n.Cursor, &n.Deleted, &n.Failed} {
		v, err := strconv.ParseInt(f[i+1], 10, 64)
		if err != nil {
			return JobNotice{}, false
		}
		*dst = v
	}
	return n, true
}

// ListenJobs calls fn with every job notice any process commits, in commit order, until ctx ends or
// the connection fails (then it returns the error; the caller listens again). It holds one connection
// of the pool for as long as it listens. On SQLite it returns ErrNoNotifications at once.
func (s *Store) ListenJobs(ctx context.Context, fn func(JobNotice)) error {
	if s.Dialect != Postgres {
		return ErrNoNotifications
	}
	conn, err := s.R.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("listen for jobs: unexpected driver connection %T", dc)
		}
		pc := sc.Conn()
		if _, err := pc.Exec(ctx, "LISTEN "+jobsChannel); err != nil {
			return fmt.Errorf("listen for jobs: %w", err)
		}
		// The connection goes back to the pool afterwards: it must not go on listening there. (When
		// ctx ended during the wait, pgx has closed it and the pool discards it.)
		defer pc.Exec(context.WithoutCancel(ctx), "UNLISTEN *")
		for {
			n, err := pc.WaitForNotification(ctx)
			if err != nil {
				return err
			}
			if notice, ok := parseNotice(n.Payload); ok {
				fn(notice)
			}
		}
	})
}
