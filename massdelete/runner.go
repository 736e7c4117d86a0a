package massdelete

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/records"
	"github.com/crmd/crmd/store"
)

// Runner defaults.
const (
	DefaultBatchSize = 500
	DefaultLease     = 30 * time.Second
	DefaultPoll      = time.Second
	// JobRetention is how long a finished job stays queryable (D16).
	JobRetention = 60 * 24 * time.Hour
)

// purgeEvery is how often a runner removes finished jobs older than JobRetention.
const purgeEvery = time.Hour

// RunnerConfig configures a Runner; zero values take the defaults.
type RunnerConfig struct {
	BatchSize  int           // snapshot items per batch, one transaction each (--job-batch-size)
	BatchDelay time.Duration // pause between batches (--job-batch-delay)
	Lease      time.Duration // how long a claim holds without renewal; renewed by every batch
	Poll       time.Duration // how often an idle runner looks for claimable jobs
	// BatchTimeout bounds one batch's database work (0 = none; crmd serve passes --query-timeout): a
	// batch that runs longer is cancelled, rolls back, and is retried like any failed batch.
	BatchTimeout time.Duration
}

// Runner runs mass delete jobs: it claims a job with a lease, then deletes its snapshot in batches,
// each batch one transaction that soft-deletes, advances the job's cursor and counters and renews the
// lease together — so a crash between batches loses nothing and repeats nothing, and any process may
// resume the job at its cursor once the lease has expired. Every process runs one; the database decides
// who runs which job.
type Runner struct {
	st    *store.Store
	svc   *Service
	cfg   RunnerConfig
	log   *slog.Logger
	owner string
}

// errLeaseLost ends a job's run in this process: another process holds the job now.
var errLeaseLost = errors.New("mass delete: lease lost")

// errJobFailed is an unrecoverable problem of the job itself (its module is gone): the job ends FAILED.
type errJobFailed struct{ reason string }

func (e *errJobFailed) Error() string { return "mass delete job failed: " + e.reason }

// NewRunner returns a runner for the jobs of svc's store, with a random owner name for its leases.
func NewRunner(svc *Service, cfg RunnerConfig, log *slog.Logger) *Runner {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if log == nil {
		log = slog.Default()
	}
	b := make([]byte, 8)
	rand.Read(b)
	return &Runner{st: svc.st, svc: svc, cfg: cfg, log: log, owner: hex.EncodeToString(b)}
}

// Owner is the name this runner's leases carry.
func (r *Runner) Owner() string { return r.owner }

// Run runs jobs until ctx is cancelled: it drains every claimable job, then waits for the service's
// kick or the poll interval. On cancellation it finishes the batch in progress, releases its lease so
// that the next process resumes at once, and returns nil.
func (r *Runner) Run(ctx context.Context) error {
	t := time.NewTicker(r.cfg.Poll)
	defer t.Stop()
	var lastPurge time.Time
	for {
		if now := r.st.Now(); now.Sub(lastPurge) >= purgeEvery {
			lastPurge = now
			if n, err := r.st.PurgeMassDeleteJobs(ctx, now.Add(-JobRetention).UnixMilli()); err != nil && ctx.Err() == nil {
				r.log.Error("mass delete runner: purging old jobs", "err", err)
			} else if n > 0 {
				r.log.Info("mass delete runner: purged old jobs", "jobs", n)
			}
		}
		for {
			worked, err := r.RunOnce(ctx)
			if err != nil && ctx.Err() == nil {
				r.log.Error("mass delete runner", "err", err)
			}
			if !worked || err != nil || ctx.Err() != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-r.svc.wake:
		case <-t.C:
		}
	}
}

// RunOnce claims one claimable job and runs it until it is done or ctx is cancelled (finishing the batch
// in progress, then releasing the lease). It reports whether it found a job.
func (r *Runner) RunOnce(ctx context.Context) (bool, error) {
	if ctx.Err() != nil {
		return false, nil
	}
	now := r.st.Now()
	job, err := r.st.ClaimMassDeleteJob(ctx, r.owner, now.UnixMilli(), now.Add(r.cfg.Lease).UnixMilli())
	if err != nil || job == nil {
		return false, err
	}
	r.log.Info("mass delete job claimed", "job", job.ID.String(), "cursor", job.Cursor, "total", job.TotalCount)
	// A batch in progress completes even when ctx is cancelled (graceful shutdown); only the wait for
	// the next batch is cut short.
	bctx := context.WithoutCancel(ctx)
	retry := 0
	for {
		done, err := r.batch(bctx, job)
		var jf *errJobFailed
		switch {
		case errors.As(err, &jf):
			r.log.Error("mass delete job failed", "job", job.ID.String(), "reason", jf.reason)
			return true, r.st.FailMassDeleteJob(bctx, job.ID, r.owner, jf.reason, r.st.NowMS())
		case errors.Is(err, errLeaseLost):
			r.log.Warn("mass delete job lease lost", "job", job.ID.String())
			return true, nil
		case err != nil:
			// A transient failure (the database is busy or unreachable; the batch rolled back). This
			// runner keeps the job and retries the batch after a growing pause, so that the job resumes
			// as soon as the database answers again instead of waiting out its lease (30 s by default).
			// Should the lease run out meanwhile and another process take the job, the retried batch
			// fails the lease guard and this runner lets the job go; nothing is deleted twice.
			retry++
			wait := retryDelay(retry)
			r.log.Warn("mass delete batch failed; retrying", "job", job.ID.String(), "cursor", job.Cursor, "attempt", retry, "in", wait.String(), "err", err)
			select {
			case <-ctx.Done():
				// Shutting down: the lease is left to expire (the database may be gone; a release
				// would fail), and the next process resumes the job at its cursor.
				return true, fmt.Errorf("job %s: %w", job.ID, err)
			case <-time.After(wait):
			}
			continue
		case done:
			r.log.Info("mass delete job completed", "job", job.ID.String(), "deleted", job.DeletedCount, "failed", job.FailedCount)
			return true, nil
		}
		if retry > 0 {
			r.log.Info("mass delete job resumed", "job", job.ID.String(), "cursor", job.Cursor, "after_attempts", retry)
			retry = 0
		}
		if r.cfg.BatchDelay > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(r.cfg.BatchDelay):
			}
		}
		if ctx.Err() != nil {
			r.log.Info("mass delete job paused for shutdown", "job", job.ID.String(), "cursor", job.Cursor)
			return true, r.st.ReleaseMassDeleteJob(bctx, job.ID, r.owner)
		}
	}
}

// retryDelay is the pause before the n-th retry (n ≥ 1) of a failed batch: 100 ms doubling up to
// 2 s, short enough that a job resumes within a couple of seconds of its database coming back.
func retryDelay(n int) time.Duration {
	d := 100 * time.Millisecond
	for i := 1; i < n && d < 2*time.Second; i++ {
		d *= 2
	}
	return min(d, 2*time.Second)
}

// batch processes the next BatchSize items of job in one transaction and updates job to match what
// committed. Between two batches the store's one write connection goes back to the pool, whose waiting
// requests get it before the runner asks again, so interactive writes are never starved by a job.
func (r *Runner) batch(ctx context.Context, job *crmd.Job) (done bool, err error) {
	mods, err := r.st.Modules(ctx, job.OrgID)
	if err != nil {
		return false, err
	}
	var m *crmd.Module
	for _, x := range mods {
		if x.ID == job.ModuleID {
			m = x
		}
	}
	if m == nil {
		return false, &errJobFailed{reason: "the module no longer exists"}
	}
	if r.cfg.BatchTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.cfg.BatchTimeout)
		defer cancel()
	}
	var p store.JobProgress
	err = r.st.Tx(ctx, func(tx *store.Tx) error {
		ids, err := r.st.JobItems(ctx, tx, job.ID, job.Cursor, r.cfg.BatchSize)
		if err != nil {
			return err
		}
		// The one soft delete locks the batch's records first, so that its checks and the delete agree
		// with a request racing the batch (PostgreSQL; SQLite's write transaction already excludes other
		// writers); a record deleted, purged or unapproved meanwhile counts as failed (D16).
		now := r.st.Now()
		verdicts, err := records.SoftDelete(ctx, r.st, tx, records.Deletion{OrgID: job.OrgID, ModuleID: job.ModuleID,
			IDs: ids, By: job.CreatedBy, JobID: job.ID, At: now.UnixMilli()})
		if err != nil {
			return err
		}
		var n int64
		for _, v := range verdicts {
			if v == records.Deleted {
				n++
			}
		}
		p = store.JobProgress{
			Processed: int64(len(ids)), Deleted: n, Failed: int64(len(ids)) - n,
			LeaseUntil: now.Add(r.cfg.Lease).UnixMilli(), At: now.UnixMilli(),
			Done: len(ids) == 0 || job.Cursor+int64(len(ids)) >= job.TotalCount,
		}
		ok, err := r.st.AdvanceMassDeleteJob(ctx, tx, job.ID, r.owner, job.Cursor, p)
		if err != nil {
			return err
		}
		if !ok {
			return errLeaseLost
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	job.Cursor += p.Processed
	job.DeletedCount += p.Deleted
	job.FailedCount += p.Failed
	job.LeaseUntil = p.LeaseUntil
	return p.Done, nil
}
