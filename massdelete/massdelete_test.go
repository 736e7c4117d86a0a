package massdelete_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/app"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/massdelete"
	"github.com/crmd/crmd/store"
	"github.com/crmd/crmd/views"
)

// fixture is a store with one org, its Leads and Contacts, and the ids of n Leads.
type fixture struct {
	t     testing.TB
	st    *store.Store
	clock *crmdtest.Clock
	org   *crmdtest.Org
	c     *crmd.Caller
	leads *crmd.Module
	ids   []crmd.ID
}

func newFixture(t testing.TB, n int) *fixture {
	t.Helper()
	st := crmdtest.OpenStore(t)
	f := &fixture{t: t, st: st, clock: crmdtest.UseClock(st, time.Date(2024, 5, 13, 8, 0, 0, 0, time.UTC))}
	f.org = crmdtest.NewTeam(t, st, "Acme", "UTC")
	f.c = f.org.Caller(f.org.Admin)
	f.leads = f.org.Module(t, "Leads")
	f.ids = f.insert(f.leads, n, "approved")
	return f
}

// insert writes n records of module m with the approval state and returns their ids.
func (f *fixture) insert(m *crmd.Module, n int, approval string) []crmd.ID {
	f.t.Helper()
	ctx := context.Background()
	var ids []crmd.ID
	err := f.st.Tx(ctx, func(tx *store.Tx) error {
		first, err := f.st.AllocIDs(ctx, tx, f.org.Org.ID, n)
		if err != nil {
			return err
		}
		recs := make([]crmd.Record, n)
		for i := range recs {
			id := first + crmd.ID(i)
			ids = append(ids, id)
			recs[i] = crmd.Record{ID: id, OrgID: f.org.Org.ID, ModuleID: m.ID, OwnerID: f.org.Admin.ID, CreatedBy: f.org.Admin.ID,
				ModifiedBy: f.org.Admin.ID, CreatedTime: f.st.NowMS(), ModifiedTime: f.st.NowMS(), ApprovalState: approval,
				Data: []byte(`{"Last_Name":"X"}`)}
		}
		return f.st.InsertRecords(ctx, tx, recs)
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return ids
}

// allView returns the id of the module's "All" system view.
func (f *fixture) allView(m *crmd.Module) crmd.ID {
	f.t.Helper()
	vs, err := views.New(f.st).Views(context.Background(), f.c, m)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, v := range vs {
		if v.SystemName == "ALLVIEWS" {
			return v.ID
		}
	}
	f.t.Fatal("no ALLVIEWS")
	return 0
}

func (f *fixture) job(id crmd.ID) *crmd.Job {
	f.t.Helper()
	j, err := f.st.Job(context.Background(), f.org.Org.ID, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return j
}

func (f *fixture) deletedBy(job crmd.ID) int64 {
	f.t.Helper()
	n, err := f.st.CountJobDeletions(context.Background(), f.org.Org.ID, job)
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

func code(err error) string {
	if e, ok := crmd.AsError(err); ok {
		return e.Code
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestLockScopes(t *testing.T) {
	for _, tc := range []struct {
		lock                     string
		sameView, otherView, mod string // outcome of a second job: same view, other view of the module, other module
	}{
		{massdelete.LockOrg, "ALREADY_SCHEDULED", "ALREADY_SCHEDULED", "ALREADY_SCHEDULED"},
		{massdelete.LockModule, "ALREADY_SCHEDULED", "ALREADY_SCHEDULED", ""},
		{massdelete.LockView, "ALREADY_SCHEDULED", "", ""},
	} {
		t.Run(tc.lock, func(t *testing.T) {
			f := newFixture(t, 3)
			contacts := f.org.Module(t, "Contacts")
			f.insert(contacts, 2, "approved")
			svc := app.New(f.st, app.Config{MassDelete: massdelete.Settings{Lock: tc.lock}}).MassDelete
			ctx := context.Background()
			all := f.allView(f.leads)
			if _, err := svc.Schedule(ctx, f.c, f.leads, all, nil); err != nil {
				t.Fatal(err)
			}
			vs, _ := views.New(f.st).Views(ctx, f.c, f.leads)
			var mine crmd.ID
			for _, v := range vs {
				if v.SystemName == "MYVIEWS" {
					mine = v.ID
				}
			}
			_, err := svc.Schedule(ctx, f.c, f.leads, all, nil)
			_, err2 := svc.Schedule(ctx, f.c, f.leads, mine, nil)
			_, err3 := svc.Schedule(ctx, f.c, contacts, f.allView(contacts), nil)
			if code(err) != tc.sameView || code(err2) != tc.otherView || code(err3) != tc.mod {
				t.Errorf("second jobs: %q %q %q, want %q %q %q", code(err), code(err2), code(err3), tc.sameView, tc.otherView, tc.mod)
			}
		})
	}
}

// TestScheduleRace: however many requests race, the database lets exactly one job in.
func TestScheduleRace(t *testing.T) {
	f := newFixture(t, 10)
	svc := app.New(f.st, app.Config{MassDelete: massdelete.Settings{}}).MassDelete
	all := f.allView(f.leads)
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = svc.Schedule(context.Background(), f.c, f.leads, all, nil)
		}()
	}
	wg.Wait()
	ok, already := 0, 0
	for _, err := range errs {
		switch code(err) {
		case "":
			ok++
		case "ALREADY_SCHEDULED":
			already++
		default:
			t.Errorf("unexpected %v", err)
		}
	}
	if ok != 1 || already != 19 {
		t.Fatalf("%d accepted, %d ALREADY_SCHEDULED; want 1 and 19", ok, already)
	}
}

func TestEditionGate(t *testing.T) {
	f := newFixture(t, 1)
	svc := app.New(f.st, app.Config{MassDelete: massdelete.Settings{EditionGate: true}}).MassDelete
	_, err := svc.Schedule(context.Background(), f.c, f.leads, f.allView(f.leads), nil)
	e, _ := crmd.AsError(err)
	if e == nil || e.Code != "FEATURE_NOT_SUPPORTED" || e.Message != "Scheduled Mass Operation feature is not available in your edition" || e.Status != 400 {
		t.Fatalf("gate: %v", err)
	}
	// ids calls are not gated.
	outs, err := svc.DeleteIDs(context.Background(), f.c, f.leads, f.ids, nil)
	if err != nil || !outs[0].OK() {
		t.Fatalf("ids: %v %v", outs, err)
	}
}

// TestRunnerBatchesAndCounts: a job walks its snapshot in batches; records deleted or unapproved
// meanwhile are failures, records created later are never touched, and every deleted record carries
// the job and its creator.
func TestRunnerBatchesAndCounts(t *testing.T) {
	f := newFixture(t, 7)
	unapproved := f.insert(f.leads, 1, "approval_process_pending")
	svc := app.New(f.st, app.Config{MassDelete: massdelete.Settings{}}).MassDelete
	ctx := context.Background()
	job, err := svc.Schedule(ctx, f.c, f.leads, f.allView(f.leads), nil)
	if err != nil {
		t.Fatal(err)
	}
	late := f.insert(f.leads, 2, "approved")
	if _, err := svc.DeleteIDs(ctx, f.c, f.leads, f.ids[:1], nil); err != nil {
		t.Fatal(err)
	}
	r := massdelete.NewRunner(svc, massdelete.RunnerConfig{BatchSize: 3}, quiet())
	if worked, err := r.RunOnce(ctx); !worked || err != nil {
		t.Fatalf("RunOnce: %v %v", worked, err)
	}
	j := f.job(job)
	if j.Status != crmd.JobCompleted || j.TotalCount != 8 || j.DeletedCount != 6 || j.FailedCount != 2 || j.Cursor != 8 || j.LeaseOwner != "" {
		t.Fatalf("job: %+v", j)
	}
	if n := f.deletedBy(job); n != 6 {
		t.Fatalf("deleted by the job: %d", n)
	}
	recs, _ := f.st.RecordsByID(ctx, nil, f.org.Org.ID, f.leads.ID, append(append(late, unapproved...), f.ids[1]))
	if recs[late[0]].DeletedTime != 0 || recs[late[1]].DeletedTime != 0 || recs[unapproved[0]].DeletedTime != 0 {
		t.Fatal("a record outside the snapshot, or unapproved, was deleted")
	}
	if r := recs[f.ids[1]]; r.DeletedBy != f.org.Admin.ID || r.DeleteJobID != job {
		t.Fatalf("deleted record: %+v", r)
	}
	if worked, _ := r.RunOnce(ctx); worked {
		t.Fatal("a completed job was claimed again")
	}
	if n, err := f.st.CountJobItems(ctx, job); err != nil || n != 0 {
		t.Fatalf("snapshot left after completion: %d %v", n, err)
	}

	// Finished jobs stay queryable for 60 days, then a runner removes them.
	f.clock.Advance(massdelete.JobRetention - time.Minute)
	if n, err := f.st.PurgeJobs(ctx, f.st.Now().Add(-massdelete.JobRetention).UnixMilli()); err != nil || n != 0 {
		t.Fatalf("purged a young job: %d %v", n, err)
	}
	f.clock.Advance(2 * time.Minute)
	rctx, cancel := context.WithCancel(ctx)
	stopped := make(chan error)
	go func() { stopped <- r.Run(rctx) }()
	waitFor(t, func() bool {
		_, err := f.st.Job(ctx, f.org.Org.ID, job)
		return errors.Is(err, store.ErrNotFound)
	})
	cancel()
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if j, err := svc.Job(ctx, f.c, f.leads, job); j != nil || err != nil {
		t.Fatalf("a purged job: %+v %v", j, err)
	}
}

// TestRunnerResume: a runner stopped gracefully releases the job mid-way, and another picks it up at
// its cursor; a runner that died holding a lease is replaced once the lease expires. Nothing is
// deleted twice or skipped.
func TestRunnerResume(t *testing.T) {
	f := newFixture(t, 10)
	svc := app.New(f.st, app.Config{MassDelete: massdelete.Settings{}}).MassDelete
	ctx := context.Background()
	job, err := svc.Schedule(ctx, f.c, f.leads, f.allView(f.leads), nil)
	if err != nil {
		t.Fatal(err)
	}

	// Graceful stop after the first batch: the cancellation arrives during the pause.
	cctx, cancel := context.WithCancel(ctx)
	r1 := massdelete.NewRunner(svc, massdelete.RunnerConfig{BatchSize: 3, BatchDelay: time.Hour}, quiet())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r1.RunOnce(cctx)
	}()
	waitFor(t, func() bool { return f.job(job).Cursor == 3 })
	cancel()
	<-done
	j := f.job(job)
	if j.Status != crmd.JobRunning || j.Cursor != 3 || j.DeletedCount != 3 || j.LeaseOwner != "" {
		t.Fatalf("after a graceful stop: %+v", j)
	}

	// A process that claimed the job and died: its lease blocks others until it expires.
	now := f.st.Now()
	if dead, err := f.st.ClaimJob(ctx, "dead", now.UnixMilli(), now.Add(30*time.Second).UnixMilli()); err != nil || dead == nil {
		t.Fatalf("claim: %v %v", dead, err)
	}
	r2 := massdelete.NewRunner(svc, massdelete.RunnerConfig{BatchSize: 3}, quiet())
	if worked, err := r2.RunOnce(ctx); worked || err != nil {
		t.Fatalf("claimed a leased job: %v %v", worked, err)
	}
	// The dead owner's batch guard fails: it may no longer write.
	err = f.st.Tx(ctx, func(tx *store.Tx) error {
		ok, err := f.st.AdvanceJob(ctx, tx, job, "someone-else", 3, store.JobProgress{Processed: 1})
		if err == nil && ok {
			return errors.New("a foreign owner advanced the job")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(31 * time.Second)
	if worked, err := r2.RunOnce(ctx); !worked || err != nil {
		t.Fatalf("resume: %v %v", worked, err)
	}
	j = f.job(job)
	if j.Status != crmd.JobCompleted || j.DeletedCount != 10 || j.FailedCount != 0 || j.TotalCount != 10 {
		t.Fatalf("after resuming: %+v", j)
	}
	if n := f.deletedBy(job); n != 10 {
		t.Fatalf("deleted by the job: %d", n)
	}
}

// TestRunnerWakesOnSchedule: a new job starts at once, not at the runner's next poll.
func TestRunnerWakesOnSchedule(t *testing.T) {
	f := newFixture(t, 4)
	svc := app.New(f.st, app.Config{MassDelete: massdelete.Settings{}}).MassDelete
	r := massdelete.NewRunner(svc, massdelete.RunnerConfig{BatchSize: 2, Poll: time.Hour}, quiet())
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error)
	go func() { stopped <- r.Run(ctx) }()
	job, err := svc.Schedule(context.Background(), f.c, f.leads, f.allView(f.leads), nil)
	if err != nil {
		t.Fatal(err)
	}
	// The poll interval is an hour: only the kick from Schedule can get the job done.
	waitFor(t, func() bool { return f.job(job).Status == crmd.JobCompleted })
	cancel()
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds (or fails the test after 10 s).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRunnerFailsHonestly: a job whose module is gone ends FAILED, and what it did not delete counts as
// failed.
func TestRunnerFailsHonestly(t *testing.T) {
	f := newFixture(t, 5)
	svc := app.New(f.st, app.Config{MassDelete: massdelete.Settings{}}).MassDelete
	ctx := context.Background()
	job, err := svc.Schedule(ctx, f.c, f.leads, f.allView(f.leads), nil)
	if err != nil {
		t.Fatal(err)
	}
	// No API removes a module; the test points the job at one that does not exist.
	if _, err := f.st.W.Exec(f.st.Q(`UPDATE jobs SET module_id = 1 WHERE id = ?`), int64(job)); err != nil {
		t.Fatal(err)
	}
	r := massdelete.NewRunner(svc, massdelete.RunnerConfig{BatchSize: 2}, quiet())
	if worked, err := r.RunOnce(ctx); !worked || err != nil {
		t.Fatalf("RunOnce: %v %v", worked, err)
	}
	j := f.job(job)
	if j.Status != crmd.JobFailed || j.TotalCount != 5 || j.DeletedCount != 0 || j.FailedCount != 5 || j.LeaseOwner != "" {
		t.Fatalf("job: %+v", j)
	}
	if n, err := f.st.CountJobItems(ctx, job); err != nil || n != 0 {
		t.Fatalf("snapshot left after failure: %d %v", n, err)
	}
	// A FAILED job frees the lock.
	if _, err := svc.Schedule(ctx, f.c, f.leads, f.allView(f.leads), nil); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkScheduleAndRun50k measures accepting a 50,000-record job (view resolution, lock, snapshot)
// and running it in batches of 500, each on a fresh store; it reports both as ms per job.
func BenchmarkScheduleAndRun50k(b *testing.B) {
	var schedule, run time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		f := newFixture(b, 50_000)
		svc := app.New(f.st, app.Config{MassDelete: massdelete.Settings{}}).MassDelete
		all := f.allView(f.leads)
		ctx := context.Background()
		b.StartTimer()
		t0 := time.Now()
		job, err := svc.Schedule(ctx, f.c, f.leads, all, nil)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		r := massdelete.NewRunner(svc, massdelete.RunnerConfig{BatchSize: 500}, quiet())
		if _, err := r.RunOnce(ctx); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		b.StopTimer()
		if j := f.job(job); j.DeletedCount != 50_000 {
			b.Fatalf("job %+v", j)
		}
		schedule += t1.Sub(t0)
		run += t2.Sub(t1)
	}
	b.ReportMetric(float64(schedule.Milliseconds())/float64(b.N), "ms-schedule/job")
	b.ReportMetric(float64(run.Milliseconds())/float64(b.N), "ms-run/job")
}

// TestRunnerYieldsToInteractiveWrites: a write that arrives while a job runs waits for one batch at
// most, not for the whole job.
func TestRunnerYieldsToInteractiveWrites(t *testing.T) {
	f := newFixture(t, 5_000)
	contacts := f.org.Module(t, "Contacts")
	other := f.insert(contacts, 1, "approved")
	svc := app.New(f.st, app.Config{MassDelete: massdelete.Settings{}}).MassDelete
	ctx := context.Background()
	job, err := svc.Schedule(ctx, f.c, f.leads, f.allView(f.leads), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := massdelete.NewRunner(svc, massdelete.RunnerConfig{BatchSize: 50}, quiet())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.RunOnce(ctx)
	}()
	waitFor(t, func() bool { return f.job(job).Cursor > 0 })
	outs, err := svc.DeleteIDs(ctx, f.c, contacts, other, nil)
	if err != nil || !outs[0].OK() {
		t.Fatalf("interactive delete: %v %v", outs, err)
	}
	j := f.job(job)
	<-done
	if j.Status != crmd.JobRunning || j.Cursor >= j.TotalCount {
		t.Fatalf("the interactive write waited for the whole job: %+v", j)
	}
	if j := f.job(job); j.Status != crmd.JobCompleted || j.DeletedCount != 5_000 {
		t.Fatalf("job: %+v", j)
	}
}

// TestRunnerRetriesTransientFailures: when a batch fails for a reason outside the job (here a trigger
// standing in for a database that has become unreachable), the runner keeps its claim and retries
// with backoff, so the job resumes as soon as the database answers again — not when its lease (an hour
// here) runs out — and completes with exact counts.
func TestRunnerRetriesTransientFailures(t *testing.T) {
	f := newFixture(t, 20)
	svc := app.New(f.st, app.Config{MassDelete: massdelete.Settings{}}).MassDelete
	ctx := context.Background()
	job, err := svc.Schedule(ctx, f.c, f.leads, f.allView(f.leads), nil)
	if err != nil {
		t.Fatal(err)
	}
	fault := []string{`CREATE TABLE fault (x INTEGER)`,
		`CREATE TRIGGER job_fault BEFORE UPDATE OF cursor_pos ON jobs WHEN EXISTS (SELECT 1 FROM fault)
		BEGIN SELECT RAISE(ABORT, 'injected fault'); END`}
	if f.st.Dialect == store.Postgres {
		fault = []string{`CREATE TABLE fault (x INTEGER)`,
			`CREATE FUNCTION job_fault() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN IF EXISTS (SELECT 1 FROM fault) THEN RAISE EXCEPTION 'injected fault'; END IF; RETURN NEW; END $$`,
			`CREATE TRIGGER job_fault BEFORE UPDATE OF cursor_pos ON jobs FOR EACH ROW EXECUTE FUNCTION job_fault()`}
	}
	for _, q := range append(fault, `INSERT INTO fault VALUES (1)`) {
		if _, err := f.st.W.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	r := massdelete.NewRunner(svc, massdelete.RunnerConfig{BatchSize: 5, Lease: time.Hour}, quiet())
	type result struct {
		worked bool
		err    error
	}
	done := make(chan result, 1)
	go func() {
		worked, err := r.RunOnce(ctx)
		done <- result{worked, err}
	}()
	time.Sleep(500 * time.Millisecond) // a few failed attempts
	select {
	case res := <-done:
		t.Fatalf("RunOnce gave up during the fault: %v %v", res.worked, res.err)
	default:
	}
	if j := f.job(job); j.Cursor != 0 || j.LeaseOwner != r.Owner() {
		t.Fatalf("during the fault: %+v, want cursor 0 and the job still held", j)
	}
	if _, err := f.st.W.Exec(`DELETE FROM fault`); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-done:
		if !res.worked || res.err != nil {
			t.Fatalf("RunOnce: %v %v", res.worked, res.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the job did not resume within 10 s of the fault ending")
	}
	if j := f.job(job); j.Status != crmd.JobCompleted || j.DeletedCount != 20 || j.FailedCount != 0 {
		t.Fatalf("job: %+v", j)
	}
}
