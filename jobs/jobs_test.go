package jobs_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/jobs"
	"github.com/crmd/crmd/store"
)

// The framework is tested with a kind of its own, "test", whose work records which ids each batch got
// and succeeds on all of them but those listed in fail. The real kinds (mass delete, the recycle
// bin's) are tested with their services and end to end.
const kind = "test"

type env struct {
	t   *testing.T
	ctx context.Context
	st  *store.Store
	org *crmdtest.Org

	mu      sync.Mutex
	batches [][]crmd.ID
	fail    map[crmd.ID]bool
	done    chan int // receives the number of each batch the work finished, when not nil
}

func newEnv(t *testing.T) *env {
	st := crmdtest.OpenStore(t)
	return &env{t: t, ctx: context.Background(), st: st, org: crmdtest.NewTeam(t, st, "Acme", "UTC"), fail: map[crmd.ID]bool{}}
}

func (e *env) work(_ context.Context, _ *store.Tx, _ *crmd.Job, ids []crmd.ID, _ time.Time) (int64, error) {
	e.mu.Lock()
	e.batches = append(e.batches, ids)
	n := len(e.batches)
	var ok int64
	for _, id := range ids {
		if !e.fail[id] {
			ok++
		}
	}
	e.mu.Unlock()
	if e.done != nil {
		select {
		case e.done <- n:
		default:
		}
	}
	return ok, nil
}

func (e *env) runner(cfg jobs.Config) *jobs.Runner {
	r := jobs.New(e.st, cfg, slog.New(slog.DiscardHandler))
	r.Handle(kind, e.work)
	return r
}

func ids(n int) []crmd.ID {
	out := make([]crmd.ID, n)
	for i := range out {
		out[i] = crmd.ID(1000 + i)
	}
	return out
}

// prepare accepts a test job of n items under lock (empty: none).
func (e *env) prepare(lock string, n int) (*crmd.Job, error) {
	return jobs.Prepare(e.ctx, e.st, &crmd.Job{Kind: kind, OrgID: e.org.Org.ID, LockKey: lock, CreatedBy: e.org.Admin.ID},
		func(context.Context) ([]crmd.ID, error) { return ids(n), nil }, func(int) error { return nil })
}

func (e *env) job(id crmd.ID) *crmd.Job {
	e.t.Helper()
	j, err := e.st.Job(e.ctx, e.org.Org.ID, id)
	if err != nil {
		e.t.Fatalf("job %s: %v", id, err)
	}
	return j
}

// TestPrepareAndRun: a job of 12 items is published SCHEDULED with its snapshot, and a runner with
// batches of 5 processes it in 3 batches in snapshot order, counting failures, to COMPLETED; the
// snapshot is dropped at the end.
func TestPrepareAndRun(t *testing.T) {
	e := newEnv(t)
	e.fail[1003] = true
	j, err := e.prepare("", 12)
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != crmd.JobScheduled || j.TotalCount != 12 || j.Kind != kind || j.LockKey != "job:"+j.ID.String() || j.LeaseOwner != "" {
		t.Fatalf("prepared job %+v", j)
	}
	if n, _ := e.st.CountJobItems(e.ctx, j.ID); n != 12 {
		t.Fatalf("snapshot of %d items, want 12", n)
	}
	if worked, err := e.runner(jobs.Config{BatchSize: 5}).RunOnce(e.ctx); !worked || err != nil {
		t.Fatalf("RunOnce: %v %v", worked, err)
	}
	got := e.job(j.ID)
	if got.Status != crmd.JobCompleted || got.Cursor != 12 || got.DeletedCount != 11 || got.FailedCount != 1 {
		t.Fatalf("job after the run %+v, want COMPLETED 11 done 1 failed", got)
	}
	if len(e.batches) != 3 || len(e.batches[0]) != 5 || len(e.batches[2]) != 2 || e.batches[0][0] != 1000 || e.batches[2][1] != 1011 {
		t.Fatalf("batches %v", e.batches)
	}
	if n, _ := e.st.CountJobItems(e.ctx, j.ID); n != 0 {
		t.Fatalf("%d snapshot items left after completion", n)
	}
}

// TestPrepareTakesTheLockFirst: while one job of a lock key is being prepared (its selection still
// running), a second one of the same key is refused with ErrLocked at once, and nothing of it stays;
// once the first is published, its lock still holds; a check that fails drops the job and frees it.
func TestPrepareTakesTheLockFirst(t *testing.T) {
	e := newEnv(t)
	selecting, release := make(chan struct{}), make(chan struct{})
	var first *crmd.Job
	var firstErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		first, firstErr = jobs.Prepare(e.ctx, e.st, &crmd.Job{Kind: kind, OrgID: e.org.Org.ID, LockKey: "org:x", CreatedBy: e.org.Admin.ID},
			func(context.Context) ([]crmd.ID, error) { close(selecting); <-release; return ids(3), nil }, func(int) error { return nil })
	})
	<-selecting
	if _, err := e.prepare("org:x", 1); !errors.Is(err, jobs.ErrLocked) {
		t.Fatalf("second job of the key while the first is prepared: %v, want ErrLocked", err)
	}
	close(release)
	wg.Wait()
	if firstErr != nil || first.Status != crmd.JobScheduled || first.TotalCount != 3 {
		t.Fatalf("first job: %+v %v", first, firstErr)
	}
	if _, err := e.prepare("org:x", 1); !errors.Is(err, jobs.ErrLocked) {
		t.Fatalf("second job of the key while the first is scheduled: %v, want ErrLocked", err)
	}
	// Another key is free, and a job whose check fails leaves nothing behind.
	tooMany := errors.New("too many")
	_, err := jobs.Prepare(e.ctx, e.st, &crmd.Job{Kind: kind, OrgID: e.org.Org.ID, LockKey: "org:y", CreatedBy: e.org.Admin.ID},
		func(context.Context) ([]crmd.ID, error) { return ids(7), nil }, func(n int) error { return tooMany })
	if !errors.Is(err, tooMany) {
		t.Fatalf("failed check: %v", err)
	}
	if j, err := e.prepare("org:y", 2); err != nil || j.TotalCount != 2 {
		t.Fatalf("the key after a failed check: %+v %v, want it free", j, err)
	}
}

// TestAbandonedPreparationIsReaped: a PREPARING job whose preparer vanished (its lease ran out) keeps its
// lock only until a runner reaps it; a live preparation is left alone.
func TestAbandonedPreparationIsReaped(t *testing.T) {
	e := newEnv(t)
	clock := crmdtest.UseClock(e.st, time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	now := clock.Now().UnixMilli()
	for i, until := range []int64{now - 1, now + 60_000} {
		err := e.st.Tx(e.ctx, func(tx *store.Tx) error {
			id, err := e.st.AllocIDs(e.ctx, tx, e.org.Org.ID, 1)
			if err != nil {
				return err
			}
			ok, err := e.st.InsertJob(e.ctx, tx, &crmd.Job{ID: id, Kind: kind, OrgID: e.org.Org.ID, LockKey: []string{"dead", "alive"}[i],
				Status: crmd.JobPreparing, LeaseOwner: "prepare:gone", LeaseUntil: until, CreatedBy: e.org.Admin.ID, CreatedTime: now})
			if err == nil && !ok {
				err = errors.New("not inserted")
			}
			if err == nil {
				err = e.st.AddJobItems(e.ctx, tx, id, 0, ids(4))
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.prepare("dead", 1); !errors.Is(err, jobs.ErrLocked) {
		t.Fatalf("lock of an abandoned preparation before the reaping: %v", err)
	}
	ctx, stop := context.WithCancel(e.ctx)
	done := make(chan struct{})
	go func() { e.runner(jobs.Config{Poll: 10 * time.Millisecond}).Run(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		if _, err = e.prepare("dead", 1); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	<-done
	if err != nil {
		t.Fatalf("the abandoned job's lock was not freed: %v", err)
	}
	if _, err := e.prepare("alive", 1); !errors.Is(err, jobs.ErrLocked) {
		t.Fatalf("a live preparation lost its lock: %v", err)
	}
}

// TestCancel: a SCHEDULED job is cancelled at once, its snapshot dropped, and no runner takes it; a
// RUNNING one stops before its next batch, CANCELLED, with the counts of the batches it did; a
// finished job is not changed by a cancel.
func TestCancel(t *testing.T) {
	e := newEnv(t)
	sched, err := e.prepare("", 10)
	if err != nil {
		t.Fatal(err)
	}
	j, err := e.st.RequestJobCancel(e.ctx, e.org.Org.ID, sched.ID, e.st.NowMS())
	if err != nil || j.Status != crmd.JobCancelled || j.Cursor != 0 {
		t.Fatalf("cancel of a scheduled job: %+v %v", j, err)
	}
	if worked, err := e.runner(jobs.Config{}).RunOnce(e.ctx); worked || err != nil {
		t.Fatalf("a runner took a cancelled job: %v %v", worked, err)
	}
	// Its snapshot goes with the runners' sweep, a few thousand items per transaction.
	if n, err := e.st.SweepJobItems(e.ctx, 0); err != nil || n != 10 {
		t.Fatalf("sweep after the cancel: %d items %v, want the 10", n, err)
	}
	if n, _ := e.st.CountJobItems(e.ctx, sched.ID); n != 0 {
		t.Fatalf("%d snapshot items left after the sweep", n)
	}

	running, err := e.prepare("", 10)
	if err != nil {
		t.Fatal(err)
	}
	e.done = make(chan int, 1)
	r := e.runner(jobs.Config{BatchSize: 3, BatchDelay: time.Second})
	result := make(chan error, 1)
	go func() { _, err := r.RunOnce(e.ctx); result <- err }()
	if n := <-e.done; n != 1 {
		t.Fatalf("first batch %d", n)
	}
	// The first batch commits, then the runner pauses a second: the request lands in the pause.
	j, err = e.st.RequestJobCancel(e.ctx, e.org.Org.ID, running.ID, e.st.NowMS())
	if err != nil || j.Status != crmd.JobRunning || !j.CancelRequested {
		t.Fatalf("cancel of a running job: %+v %v", j, err)
	}
	if err := <-result; err != nil {
		t.Fatal(err)
	}
	got := e.job(running.ID)
	if got.Status != crmd.JobCancelled || got.Cursor != 3 || got.DeletedCount != 3 || got.FailedCount != 0 || got.TotalCount != 10 {
		t.Fatalf("cancelled job %+v, want CANCELLED after one batch of 3", got)
	}
	if len(e.batches) != 1 {
		t.Fatalf("%d batches ran, want 1", len(e.batches))
	}
	if n, _ := e.st.CountJobItems(e.ctx, running.ID); n != 0 {
		t.Fatalf("%d snapshot items left after the cancel", n)
	}
	if j, err := e.st.RequestJobCancel(e.ctx, e.org.Org.ID, running.ID, e.st.NowMS()); err != nil || j.Status != crmd.JobCancelled || j.Cursor != 3 {
		t.Fatalf("a second cancel: %+v %v", j, err)
	}
	if _, err := e.st.RequestJobCancel(e.ctx, crmdtest.NewTeam(t, e.st, "Other", "UTC").Org.ID, running.ID, e.st.NowMS()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another org's cancel: %v, want not found", err)
	}
}

// TestUnknownKindFails: a job of a kind no runner handles ends FAILED, everything counted as failed.
func TestUnknownKindFails(t *testing.T) {
	e := newEnv(t)
	j, err := jobs.Prepare(e.ctx, e.st, &crmd.Job{Kind: "nobody", OrgID: e.org.Org.ID, CreatedBy: e.org.Admin.ID},
		func(context.Context) ([]crmd.ID, error) { return ids(4), nil }, func(int) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if worked, err := e.runner(jobs.Config{}).RunOnce(e.ctx); !worked || err != nil {
		t.Fatalf("RunOnce: %v %v", worked, err)
	}
	if got := e.job(j.ID); got.Status != crmd.JobFailed || got.FailedCount != 4 || got.DeletedCount != 0 {
		t.Fatalf("job of an unknown kind %+v, want FAILED with 4 failed", got)
	}
}

// TestJobsTakeTurns: with a slice shorter than a batch, a runner yields after every batch when another
// job waits, so two jobs advance in turns instead of the older one running to its end first; both
// complete with every item done once.
func TestJobsTakeTurns(t *testing.T) {
	e := newEnv(t)
	a, err := e.prepare("", 6)
	if err != nil {
		t.Fatal(err)
	}
	b, err := jobs.Prepare(e.ctx, e.st, &crmd.Job{Kind: kind, OrgID: e.org.Org.ID, CreatedBy: e.org.Admin.ID},
		func(context.Context) ([]crmd.ID, error) { return []crmd.ID{1, 2, 3, 4, 5, 6}, nil }, func(int) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	r := e.runner(jobs.Config{BatchSize: 2, Slice: time.Nanosecond})
	for {
		worked, err := r.RunOnce(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !worked {
			break
		}
	}
	var order []string
	for _, batch := range e.batches {
		if batch[0] >= 1000 {
			order = append(order, "a")
		} else {
			order = append(order, "b")
		}
	}
	if got := strings.Join(order, ""); got != "ababab" {
		t.Errorf("batches ran in the order %s, want ababab", got)
	}
	for _, id := range []crmd.ID{a.ID, b.ID} {
		if j := e.job(id); j.Status != crmd.JobCompleted || j.DeletedCount != 6 {
			t.Errorf("job %+v, want COMPLETED with 6 done", j)
		}
	}
}

// TestLostCommitAnswer: a batch whose COMMIT went through although the runner got an error back (the
// connection broke during it) is not redone, and the job is not given up: the runner's retry finds the
// cursor moved on, rolls back, takes the job as stored (still under its own lease) and goes on.
func TestLostCommitAnswer(t *testing.T) {
	e := newEnv(t)
	j, err := e.prepare("", 6)
	if err != nil {
		t.Fatal(err)
	}
	r := jobs.New(e.st, jobs.Config{BatchSize: 2}, slog.New(slog.DiscardHandler))
	lost := make(chan []crmd.ID)
	committed := make(chan struct{})
	calls := 0
	r.Handle(kind, func(_ context.Context, _ *store.Tx, _ *crmd.Job, ids []crmd.ID, _ time.Time) (int64, error) {
		calls++
		switch calls {
		case 2:
			// The second batch "fails"; meanwhile its commit is made to have happened.
			lost <- ids
			return 0, errors.New("connection reset during COMMIT")
		case 3:
			<-committed
		}
		return int64(len(ids)), nil
	})
	go func() {
		ids := <-lost
		err := e.st.Tx(e.ctx, func(tx *store.Tx) error {
			now := e.st.Now()
			ok, err := e.st.AdvanceJob(e.ctx, tx, j.ID, r.Owner(), 2, store.JobProgress{Processed: int64(len(ids)), Deleted: int64(len(ids)),
				LeaseUntil: now.Add(time.Minute).UnixMilli(), At: now.UnixMilli()})
			if err == nil && !ok {
				err = errors.New("the simulated commit found the job elsewhere")
			}
			return err
		})
		if err != nil {
			t.Error(err)
		}
		close(committed)
	}()
	if worked, err := r.RunOnce(e.ctx); !worked || err != nil {
		t.Fatalf("RunOnce: %v %v", worked, err)
	}
	got := e.job(j.ID)
	if got.Status != crmd.JobCompleted || got.Cursor != 6 || got.DeletedCount != 6 || got.FailedCount != 0 || got.LeaseOwner != "" {
		t.Fatalf("job %+v, want COMPLETED with each of its 6 items done once", got)
	}
}
