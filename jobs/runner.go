// Package jobs is crmd's one framework for long work: a job's records are fixed up front in a snapshot
// (written in short transactions, outside any long one: Prepare), then a Runner works through the
// snapshot in batches. Each batch is one short transaction that does the work, advances the job's
// cursor and counters and renews its lease together, so a crash between batches loses nothing and
// repeats nothing, and any process resumes the job at its cursor once the lease has expired. Mass
// delete and the recycle bin's bulk work are kinds of job: each kind gives the Runner its Work.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// Runner defaults.
const (
	DefaultBatchSize = 500
	DefaultLease     = 30 * time.Second
	DefaultPoll      = time.Second
	// DefaultSlice is how long a runner works on one job before it lets a waiting one have a turn.
	DefaultSlice = time.Second
	// DefaultBackgroundPause is the pause after each batch of a background kind (HandleBackground).
	DefaultBackgroundPause = 10 * time.Millisecond
	// Retention is how long a finished job stays queryable (D16).
	Retention = 60 * 24 * time.Hour
)

// purgeEvery is how often a runner removes finished jobs older than Retention.
const purgeEvery = time.Hour

// Config configures a Runner; zero values take the defaults.
type Config struct {
	BatchSize  int           // snapshot items per batch, one transaction each (--job-batch-size)
	BatchDelay time.Duration // pause between batches (--job-batch-delay)
	Lease      time.Duration // how long a claim holds without renewal; renewed by every batch
	Poll       time.Duration // how often an idle runner looks for claimable jobs
	// Slice is how long a runner works on one job before, between two batches, it yields the job to
	// let another claimable job have a turn (a long index build does not hold up a mass delete).
	Slice time.Duration
	// BackgroundPause is the pause after each batch of a background kind (index builds, retention):
	// work nobody waits for leaves the database's write lock free for a while between its batches, so
	// that another process's writers — whose SQLite busy handler polls only every 100 ms once it has
	// waited a while — get their turn instead of finding the lock taken again and again.
	BackgroundPause time.Duration
	// BatchTimeout bounds one batch's database work (0 = none; crmd serve passes --query-timeout): a
	// batch that runs longer is cancelled, rolls back, and is retried like any failed batch.
	BatchTimeout time.Duration
}

// Work does a job's work on one batch of its snapshot inside tx, at time at, and returns how many of
// ids it succeeded on (deleted, restored, purged); the others count as failed. An error rolls the batch
// back and the batch is retried; a *Failed error ends the job FAILED.
type Work func(ctx context.Context, tx *store.Tx, job *crmd.Job, ids []crmd.ID, at time.Time) (int64, error)

// Failed is an unrecoverable problem of a job itself (its module is gone): the job ends FAILED.
type Failed struct{ Reason string }

func (e *Failed) Error() string { return "job failed: " + e.Reason }

// errLeaseLost ends a job's run in this process: another process holds the job now.
var errLeaseLost = errors.New("jobs: lease lost")

// errCancelled ends a job's run: it was cancelled, and the batch that found out ended it CANCELLED.
var errCancelled = errors.New("jobs: cancelled")

// Runner runs jobs of every kind it was given Work for. Every process runs one; the database decides
// who runs which job.
type Runner struct {
	st    *store.Store
	cfg   Config
	log   *slog.Logger
	owner string
	kinds map[string]Work
	pause map[string]time.Duration // after each batch, by kind
	wake  chan struct{}
	hub   *Hub // nil: nobody watches

	// pacing is the batch size and delay in force: the configured ones until SetPacing changes them
	// at run time (the control API, docs/control.md).
	pacing atomic.Pointer[pacing]
	// failAfter, when above zero, makes the next job whose cursor reaches it end FAILED (a fault the
	// control API injects); it fires once.
	failAfter atomic.Int64
}

// pacing is a runner's batch size and the pause between batches.
type pacing struct {
	size  int
	delay time.Duration
}

// Pacing is the batch size and the pause between batches in force.
func (r *Runner) Pacing() (int, time.Duration) {
	p := r.pacing.Load()
	return p.size, p.delay
}

// SetPacing changes the batch size and the pause between batches from the next batch on; a size below
// one keeps the current size, a negative delay the current delay.
func (r *Runner) SetPacing(size int, delay time.Duration) {
	cur := r.pacing.Load()
	next := *cur
	if size >= 1 {
		next.size = size
	}
	if delay >= 0 {
		next.delay = delay
	}
	r.pacing.Store(&next)
}

// FailAfter makes the next job that reaches n processed records end FAILED, once; 0 clears it. It
// returns the value in force before.
func (r *Runner) FailAfter(n int64) int64 { return r.failAfter.Swap(max(n, 0)) }

// FailingAfter is the job fault in force (0: none).
func (r *Runner) FailingAfter() int64 { return r.failAfter.Load() }

// Notify makes the runner hand each job's state to h after every batch it commits and when the job
// ends, while someone watches the job.
func (r *Runner) Notify(h *Hub) { r.hub = h }

// publish reads job back and hands it to the hub, if anyone watches it. It reads after the commit, and
// only this runner advances the job while it holds the lease, so what it reads is what the batch left.
func (r *Runner) publish(ctx context.Context, job *crmd.Job) {
	if !r.hub.Watched(job.ID) {
		return
	}
	if j, err := r.st.Job(ctx, job.OrgID, job.ID); err == nil {
		r.hub.Publish(j)
	}
}

// New returns a runner for the jobs of st, with a random owner name for its leases. Give it the Work of
// each kind with Handle before Run.
func New(st *store.Store, cfg Config, log *slog.Logger) *Runner {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.Slice <= 0 {
		cfg.Slice = DefaultSlice
	}
	if cfg.BackgroundPause <= 0 {
		cfg.BackgroundPause = DefaultBackgroundPause
	}
	if log == nil {
		log = slog.Default()
	}
	r := &Runner{st: st, cfg: cfg, log: log, owner: randomName(), kinds: map[string]Work{}, pause: map[string]time.Duration{}, wake: make(chan struct{}, 1)}
	r.pacing.Store(&pacing{size: cfg.BatchSize, delay: cfg.BatchDelay})
	return r
}

func randomName() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Handle sets the work of jobs of kind.
func (r *Runner) Handle(kind string, w Work) { r.kinds[kind] = w }

// HandleBackground sets the work of jobs of a kind nobody waits for (index builds, retention): the
// runner pauses Config.BackgroundPause after each of their batches.
func (r *Runner) HandleBackground(kind string, w Work) {
	r.kinds[kind] = w
	r.pause[kind] = r.cfg.BackgroundPause
}

// Owner is the name this runner's leases carry.
func (r *Runner) Owner() string { return r.owner }

// Kick wakes the runner, if it is idle, to look for jobs now rather than at its next poll.
func (r *Runner) Kick() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run runs jobs until ctx is cancelled: it drains every claimable job, then waits for a Kick or the
// poll interval. On cancellation it finishes the batch in progress, releases its lease so that the next
// process resumes at once, and returns nil.
func (r *Runner) Run(ctx context.Context) error {
	t := time.NewTicker(r.cfg.Poll)
	defer t.Stop()
	var lastPurge time.Time
	for {
		now := r.st.Now()
		if now.Sub(lastPurge) >= purgeEvery {
			lastPurge = now
			if n, err := r.st.PurgeJobs(ctx, now.Add(-Retention).UnixMilli()); err != nil && ctx.Err() == nil {
				r.log.Error("job runner: purging old jobs", "err", err)
			} else if n > 0 {
				r.log.Info("job runner: purged old jobs", "jobs", n)
			}
		}
		if n, err := r.st.ReapAbandonedJobs(ctx, now.UnixMilli()); err != nil && ctx.Err() == nil {
			r.log.Error("job runner: removing abandoned jobs", "err", err)
		} else if n > 0 {
			r.log.Warn("job runner: removed jobs whose preparation was abandoned (their process stopped before accepting them)", "jobs", n)
		}
		// What is left of the snapshots of jobs that ended (cancelled, failed, dropped), a few thousand
		// items per transaction.
		if _, err := r.st.SweepJobItems(ctx, 0); err != nil && ctx.Err() == nil {
			r.log.Error("job runner: removing finished jobs' snapshots", "err", err)
		}
		for {
			worked, err := r.RunOnce(ctx)
			if err != nil && ctx.Err() == nil {
				r.log.Error("job runner", "err", err)
			}
			if !worked || err != nil || ctx.Err() != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-r.wake:
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
	job, err := r.st.ClaimJob(ctx, r.owner, now.UnixMilli(), now.Add(r.cfg.Lease).UnixMilli())
	if err != nil || job == nil {
		return false, err
	}
	log := r.log.With("job", job.ID.String(), "kind", job.Kind)
	log.Info("job claimed", "cursor", job.Cursor, "total", job.TotalCount)
	// A batch in progress completes even when ctx is cancelled (graceful shutdown); only the wait for
	// the next batch is cut short.
	bctx := context.WithoutCancel(ctx)
	work, ok := r.kinds[job.Kind]
	if !ok {
		reason := "no runner handles jobs of kind " + job.Kind
		log.Error("job failed", "reason", reason)
		return true, r.end(bctx, job, crmd.JobFailed, reason)
	}
	retry := 0
	claimed := time.Now()
	for {
		done, err := r.batch(bctx, job, work)
		if err == nil {
			r.publish(bctx, job)
			if n := r.failAfter.Load(); n > 0 && !done && job.Cursor >= n && r.failAfter.CompareAndSwap(n, 0) {
				err = &Failed{Reason: fmt.Sprintf("fault injected through the control API: the job fails after %d records", n)}
			}
		}
		var jf *Failed
		switch {
		case errors.As(err, &jf):
			log.Error("job failed", "reason", jf.Reason)
			err := r.end(bctx, job, crmd.JobFailed, jf.Reason)
			r.publish(bctx, job)
			return true, err
		case errors.Is(err, errCancelled):
			log.Info("job cancelled", "done", job.DeletedCount, "failed", job.FailedCount, "cursor", job.Cursor)
			r.publish(bctx, job)
			_, err := r.st.SweepJobItems(bctx, job.ID)
			return true, err
		case errors.Is(err, errLeaseLost):
			// Either another process holds the job now, or this runner's previous batch committed
			// although its answer was lost (the connection broke during COMMIT) and the retry found
			// the cursor moved on. In the second case the job is still this runner's: it takes the
			// job as the database has it and goes on (the retry rolled back; nothing was done twice).
			if cur, rerr := r.st.Job(bctx, job.OrgID, job.ID); rerr == nil && cur.LeaseOwner == r.owner &&
				cur.Status == crmd.JobRunning && cur.Cursor != job.Cursor {
				log.Warn("job batch committed though its answer was lost; resuming at the stored cursor", "cursor", cur.Cursor, "was", job.Cursor)
				*job = *cur
				continue
			}
			log.Warn("job lease lost")
			return true, nil
		case err != nil:
			// A transient failure (the database is busy or unreachable, or the batch ran out of time;
			// the batch rolled back). This runner keeps the job and retries the batch after a growing
			// pause, so that the job resumes as soon as the database answers again instead of waiting
			// out its lease (30 s by default). Should the lease run out meanwhile and another process
			// take the job, the retried batch fails the lease guard and this runner lets the job go;
			// nothing is done twice.
			retry++
			wait := retryDelay(retry)
			log.Warn("job batch failed; retrying", "cursor", job.Cursor, "attempt", retry, "in", wait.String(), "err", err)
			select {
			case <-ctx.Done():
				// Shutting down: the lease is left to expire (the database may be gone; a release
				// would fail), and the next process resumes the job at its cursor.
				return true, fmt.Errorf("job %s: %w", job.ID, err)
			case <-time.After(wait):
			}
			continue
		case done:
			log.Info("job completed", "done", job.DeletedCount, "failed", job.FailedCount)
			return true, nil
		}
		if retry > 0 {
			log.Info("job resumed", "cursor", job.Cursor, "after_attempts", retry)
			retry = 0
		}
		_, delay := r.Pacing()
		if d := max(delay, r.pause[job.Kind]); d > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(d):
			}
		}
		if ctx.Err() != nil {
			log.Info("job paused for shutdown", "cursor", job.Cursor)
			return true, r.st.ReleaseJob(bctx, job.ID, r.owner)
		}
		if time.Since(claimed) >= r.cfg.Slice {
			claimed = time.Now()
			if waiting, err := r.st.OtherJobWaiting(bctx, job.ID, r.st.NowMS()); err == nil && waiting {
				log.Debug("job yields its turn", "cursor", job.Cursor)
				return true, r.st.YieldJob(bctx, job.ID, r.owner)
			}
		}
	}
}

// end ends a job this runner holds with status (FAILED or CANCELLED) in a transaction of its own, then
// drops what is left of its snapshot in short ones.
func (r *Runner) end(ctx context.Context, job *crmd.Job, status, reason string) error {
	err := r.st.Tx(ctx, func(tx *store.Tx) error {
		_, err := r.st.EndJob(ctx, tx, job.ID, r.owner, status, reason, r.st.NowMS())
		return err
	})
	if err != nil {
		return err
	}
	_, err = r.st.SweepJobItems(ctx, job.ID)
	return err
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
// requests get it before the runner asks again, so interactive writes wait at most one batch.
func (r *Runner) batch(ctx context.Context, job *crmd.Job, work Work) (done bool, err error) {
	if r.cfg.BatchTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.cfg.BatchTimeout)
		defer cancel()
	}
	var p store.JobProgress
	cancelled := false
	err = r.st.Tx(ctx, func(tx *store.Tx) error {
		// A cancel request is honoured between batches: the batches before it stay done, and the
		// job's counts say what they did.
		if c, err := r.st.JobCancelRequested(ctx, tx, job.ID); err != nil {
			return err
		} else if c {
			ok, err := r.st.EndJob(ctx, tx, job.ID, r.owner, crmd.JobCancelled, "", r.st.NowMS())
			if err == nil && !ok {
				return errLeaseLost
			}
			cancelled = true
			return err
		}
		size, _ := r.Pacing()
		ids, err := r.st.JobItems(ctx, tx, job.ID, job.Cursor, size)
		if err != nil {
			return err
		}
		now := r.st.Now()
		var n int64
		if len(ids) > 0 {
			if n, err = work(ctx, tx, job, ids, now); err != nil {
				return err
			}
		}
		p = store.JobProgress{
			Processed: int64(len(ids)), Deleted: n, Failed: int64(len(ids)) - n,
			LeaseUntil: now.Add(r.cfg.Lease).UnixMilli(), At: now.UnixMilli(),
			Done: len(ids) == 0 || job.Cursor+int64(len(ids)) >= job.TotalCount,
		}
		ok, err := r.st.AdvanceJob(ctx, tx, job.ID, r.owner, job.Cursor, p)
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
	if cancelled {
		return false, errCancelled
	}
	job.Cursor += p.Processed
	job.DeletedCount += p.Deleted
	job.FailedCount += p.Failed
	job.LeaseUntil = p.LeaseUntil
	return p.Done, nil
}
