package recyclebin_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/app"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/jobs"
	"github.com/crmd/crmd/records"
	"github.com/crmd/crmd/recyclebin"
	"github.com/crmd/crmd/store"
)

// t0 is the fixed start of the tests' clock.
var t0 = time.Date(2024, 5, 13, 8, 2, 33, 0, time.UTC)

type env struct {
	t     *testing.T
	ctx   context.Context
	st    *store.Store
	clock *crmdtest.Clock
	a, b  *crmdtest.Org
	recs  *records.Service
	bin   *recyclebin.Service
	jobs  *jobs.Runner
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st := crmdtest.OpenStore(t)
	a := app.New(st, app.Config{})
	e := &env{t: t, ctx: context.Background(), st: st, clock: crmdtest.UseClock(st, t0), recs: a.Records, bin: a.RecycleBin, jobs: a.Runner()}
	e.a = crmdtest.NewTeam(t, st, "Acme", "UTC")
	e.b = crmdtest.NewTeam(t, st, "Beta", "UTC")
	return e
}

// runJob runs the scheduled jobs to the end, as the server's runner does in the background, and checks
// that the job id names one of them, COMPLETED with done+failed = total; it returns the job.
func (e *env) runJob(o *crmdtest.Org, id crmd.ID) *crmd.Job {
	e.t.Helper()
	e.drain()
	j, err := e.st.Job(e.ctx, o.Org.ID, id)
	if err != nil {
		e.t.Fatalf("job %s: %v", id, err)
	}
	if j.Status != crmd.JobCompleted || j.DeletedCount+j.FailedCount != j.TotalCount || j.Cursor != j.TotalCount {
		e.t.Fatalf("job %s: %+v, want COMPLETED with every item counted", id, j)
	}
	return j
}

// drain runs every scheduled job to its end.
func (e *env) drain() {
	e.t.Helper()
	for {
		worked, err := e.jobs.RunOnce(e.ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		if !worked {
			return
		}
	}
}

// purger returns a purger with the given retention whose jobs e's runner runs.
func (e *env) purger(retention time.Duration) *recyclebin.Purger {
	p := recyclebin.NewPurger(e.st, retention, slog.New(slog.DiscardHandler))
	p.Attach(e.jobs)
	return p
}

// insert adds Leads as u and returns their ids.
func (e *env) insert(o *crmdtest.Org, u *crmd.User, lastNames ...string) []crmd.ID {
	e.t.Helper()
	var entries []records.Entry
	for i, n := range lastNames {
		entries = append(entries, records.Entry{Pos: i, Values: map[string]any{"Last_Name": n, "Company": "Zylker", "Email": n + "@zylker.com"}})
	}
	w, err := e.recs.Insert(e.ctx, o.Caller(u), o.Module(e.t, "Leads"), entries)
	if err != nil {
		e.t.Fatal(err)
	}
	var ids []crmd.ID
	for _, out := range w.Results {
		if !out.OK() {
			e.t.Fatalf("insert: %v", out.Err)
		}
		ids = append(ids, out.Value.ID)
	}
	return ids
}

// del deletes Leads as u through the records service, as DELETE /Leads does.
func (e *env) del(o *crmdtest.Org, u *crmd.User, ids ...crmd.ID) {
	e.t.Helper()
	outs, err := e.recs.Delete(e.ctx, o.Caller(u), o.Module(e.t, "Leads"), ids)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, out := range outs {
		if !out.OK() {
			e.t.Fatalf("delete: %v", out.Err)
		}
	}
}

// get reads a live Lead as GET /Leads/{id} does, with its territories; a record not live is an error.
func (e *env) get(o *crmdtest.Org, id crmd.ID) (*records.Item, error) {
	return e.recs.Get(e.ctx, o.Caller(o.Admin), o.Module(e.t, "Leads"), id, nil)
}

func (e *env) count(o *crmdtest.Org) int {
	e.t.Helper()
	n, err := e.bin.Count(e.ctx, o.Caller(o.Admin), 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestRestoreBringsBackTheSameRecord(t *testing.T) {
	e := newEnv(t)
	ids := e.insert(e.a, e.a.Admin, "Smith", "Jones")
	root, err := e.st.EnsureRootTerritory(e.ctx, e.a.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	err = e.st.Tx(e.ctx, func(tx *store.Tx) error {
		return e.st.AssignTerritories(e.ctx, tx, e.a.Org.ID, ids[0], []crmd.ID{root.ID}, e.a.Admin.ID, e.st.NowMS())
	})
	if err != nil {
		t.Fatal(err)
	}
	before, err := e.get(e.a, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(before.Territories) == 0 {
		t.Fatalf("no territories before delete: %v", before)
	}
	e.clock.Advance(time.Hour)
	e.del(e.a, e.a.Admin, ids...)
	if _, err := e.get(e.a, ids[0]); err == nil {
		t.Fatal("deleted record still readable")
	}
	e.clock.Advance(time.Hour)
	res, err := e.bin.Restore(e.ctx, e.a.Caller(e.a.Admin), []crmd.ID{ids[0], ids[0], 42})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || !res[0].OK() || res[0].Value != ids[0] || res[1].OK() || res[1].Err.Code != "INVALID_DATA" {
		t.Fatalf("results %+v", res)
	}
	after, err := e.get(e.a, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if got, want := mustJSON(t, after), mustJSON(t, before); got != want {
		t.Errorf("restored record:\n got %s\nwant %s", got, want)
	}
	if n := e.count(e.a); n != 1 {
		t.Errorf("bin holds %d, want 1", n)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRestoreAndDeleteNeedOwnerOrAdmin(t *testing.T) {
	e := newEnv(t)
	adminOwned := e.insert(e.a, e.a.Admin, "Boss")
	stdOwned := e.insert(e.a, e.a.Std, "Rep")
	e.del(e.a, e.a.Admin, adminOwned[0], stdOwned[0])
	std := e.a.Caller(e.a.Std)

	res, err := e.bin.Restore(e.ctx, std, []crmd.ID{adminOwned[0], stdOwned[0]})
	if err != nil {
		t.Fatal(err)
	}
	if o := res[0]; o.OK() || o.Err.Code != "NO_PERMISSION" || o.Err.Details["id"] != adminOwned[0] {
		t.Errorf("restore of another's record: %+v", o)
	}
	if !res[1].OK() {
		t.Errorf("restore of own record: %+v", res[1])
	}
	res, err = e.bin.Delete(e.ctx, std, []crmd.ID{adminOwned[0]})
	if err != nil || res[0].OK() || res[0].Err.Code != "NO_PERMISSION" {
		t.Errorf("std purge of another's record: %+v %v", res, err)
	}
	if _, err := e.bin.Empty(e.ctx, std); err == nil {
		t.Error("std emptied the bin")
	} else if ce, _ := crmd.AsError(err); ce.Code != "NO_PERMISSION" || ce.Status != 403 {
		t.Errorf("std empty: %v", err)
	}
	if sch, err := e.bin.Empty(e.ctx, e.a.Caller(e.a.Admin)); err != nil || sch != nil {
		t.Errorf("admin empty: %+v %v", sch, err)
	}
	if n := e.count(e.a); n != 0 {
		t.Errorf("bin holds %d after empty", n)
	}
}

func TestRestoreByFiltersIsScheduledAndLimitedToTheCallersReach(t *testing.T) {
	e := newEnv(t)
	ids := e.insert(e.a, e.a.Admin, "Alpha", "Beta", "Gamma")
	mine := e.insert(e.a, e.a.Std, "Alpine")
	e.del(e.a, e.a.Admin, append(ids, mine...)...)
	other := e.insert(e.b, e.b.Admin, "Alps")
	e.del(e.b, e.b.Admin, other...)

	filter := &recyclebin.Filter{Field: recyclebin.FieldDisplayName, Match: recyclebin.MatchStartsWith, Values: []string{"alp"}}
	sch, err := e.bin.RestoreMatching(e.ctx, e.a.Caller(e.a.Std), filter)
	if err != nil || sch.Work != recyclebin.WorkRestore || sch.JobID == 0 {
		t.Fatalf("restore by filters: %+v %v", sch, err)
	}
	// Scheduled: nothing is restored until the runner runs the job.
	if _, err := e.get(e.a, mine[0]); err == nil {
		t.Error("restored before the job ran")
	}
	if j := e.runJob(e.a, sch.JobID); j.Kind != crmd.JobBinRestore || j.TotalCount != 1 || j.DeletedCount != 1 {
		t.Errorf("restore job %+v, want 1 record restored", j)
	}
	// The Standard user restored only its own Alpine.
	if _, err := e.get(e.a, mine[0]); err != nil {
		t.Errorf("own record not restored: %v", err)
	}
	if _, err := e.get(e.a, ids[0]); err == nil {
		t.Error("another's record restored")
	}
	sch, err = e.bin.RestoreMatching(e.ctx, e.a.Caller(e.a.Admin), nil)
	if err != nil || sch.Work != recyclebin.WorkRestore || sch.JobID == 0 {
		t.Fatalf("restore all: %+v %v", sch, err)
	}
	if j := e.runJob(e.a, sch.JobID); j.TotalCount != 3 || j.DeletedCount != 3 {
		t.Errorf("restore-all job %+v, want 3 records restored", j)
	}
	if n := e.count(e.a); n != 0 {
		t.Errorf("org A bin holds %d after restore all", n)
	}
	if n := e.count(e.b); n != 1 {
		t.Errorf("org B bin holds %d, want 1: restore all crossed orgs", n)
	}
}

// TestListAndGet: a page of the bin in the query's order, with the users and module each record names;
// Get finds only records of the caller's org's bin.
func TestListAndGet(t *testing.T) {
	e := newEnv(t)
	ids := e.insert(e.a, e.a.Std, "Alpha", "Beta", "Gamma")
	live := e.insert(e.a, e.a.Admin, "Live")
	e.del(e.a, e.a.Admin, ids...)
	admin := e.a.Caller(e.a.Admin)
	q := recyclebin.Query{SortBy: recyclebin.SortDisplayName, Desc: true, Page: 1, PerPage: 2,
		Filter: &recyclebin.Filter{Not: true, Field: recyclebin.FieldDisplayName, Match: recyclebin.MatchEqual, Values: []string{"gamma"}}}
	p, err := e.bin.List(e.ctx, admin, q)
	if err != nil {
		t.Fatal(err)
	}
	leads := e.a.Module(t, "Leads")
	if len(p.Items) != 2 || p.More || p.Items[0].Record.ID != ids[1] || p.Items[1].Record.ID != ids[0] {
		t.Fatalf("page %+v", p)
	}
	for _, it := range p.Items {
		if it.Owner.ID != e.a.Std.ID || it.DeletedBy.ID != e.a.Admin.ID || it.Module.ID != leads.ID {
			t.Errorf("item %+v", it)
		}
	}
	q.Filter, q.IDs = nil, []crmd.ID{ids[2], ids[0], live[0]}
	if p, err = e.bin.List(e.ctx, admin, q); err != nil || len(p.Items) != 2 || p.Items[0].Record.ID != ids[2] {
		t.Fatalf("page by ids: %+v %v", p, err)
	}
	q.IDs, q.PerPage = nil, 1
	if p, err = e.bin.List(e.ctx, admin, q); err != nil || len(p.Items) != 1 || !p.More {
		t.Fatalf("first page of one: %+v %v", p, err)
	}
	if it, err := e.bin.Get(e.ctx, admin, ids[0]); err != nil || it == nil || it.Record.DisplayName != "Alpha" {
		t.Errorf("get: %+v %v", it, err)
	}
	for _, c := range []struct {
		caller *crmd.Caller
		id     crmd.ID
	}{{admin, live[0]}, {admin, 42}, {e.b.Caller(e.b.Admin), ids[0]}} {
		if it, err := e.bin.Get(e.ctx, c.caller, c.id); err != nil || it != nil {
			t.Errorf("get %s: %+v %v", c.id, it, err)
		}
	}
}

func TestPurgerTouchesOnlyDueRecords(t *testing.T) {
	e := newEnv(t)
	old := e.insert(e.a, e.a.Admin, "Old")
	e.del(e.a, e.a.Admin, old...)
	e.clock.Advance(24 * time.Hour)
	young := e.insert(e.b, e.b.Admin, "Young")
	e.del(e.b, e.b.Admin, young...)
	live := e.insert(e.a, e.a.Admin, "Live")

	p := e.purger(60 * 24 * time.Hour)
	// 60 days after the first delete: exactly at its retention, not yet due.
	e.clock.Set(t0.Add(60 * 24 * time.Hour))
	if n, err := p.PurgeDue(e.ctx, e.st.Now()); err != nil || n != 0 {
		t.Fatalf("at the retention: scheduled %d, %v", n, err)
	}
	e.clock.Advance(time.Millisecond)
	if n, err := p.PurgeDue(e.ctx, e.st.Now()); err != nil || n != 1 {
		t.Fatalf("past the retention: scheduled %d, %v; want 1", n, err)
	}
	// Scheduled, not done: the job runner purges.
	if e.count(e.a) != 1 {
		t.Fatal("purged before the job ran")
	}
	e.drain()
	if e.count(e.a) != 0 || e.count(e.b) != 1 {
		t.Errorf("bins after purge: A %d, B %d", e.count(e.a), e.count(e.b))
	}
	if _, err := e.get(e.a, live[0]); err != nil {
		t.Errorf("live record touched: %v", err)
	}
	// The purged record is listed as permanent by /deleted until 120 days after its purge.
	leads := e.a.Module(t, "Leads")
	deleted := func() int {
		t.Helper()
		pg, err := e.recs.ListDeleted(e.ctx, e.a.Caller(e.a.Admin), leads, records.DeletedQuery{Type: records.DeletedPermanent})
		if err != nil {
			t.Fatal(err)
		}
		return len(pg.Records)
	}
	if deleted() != 1 {
		t.Fatal("purged record not listed as permanent")
	}
	e.clock.Advance(120 * 24 * time.Hour)
	if n, err := p.DropExpired(e.ctx, e.st.Now()); err != nil || n != 0 {
		t.Fatalf("drop at 120 days: %d, %v", n, err)
	}
	e.clock.Advance(time.Millisecond)
	if n, err := p.DropExpired(e.ctx, e.st.Now()); err != nil || n != 1 {
		t.Fatalf("drop after 120 days: %d, %v", n, err)
	}
	e.drain()
	if deleted() != 0 {
		t.Error("expired permanent row still listed")
	}
}

func TestPurgerRunStopsWithItsContext(t *testing.T) {
	e := newEnv(t)
	ids := e.insert(e.a, e.a.Admin, "Old")
	e.del(e.a, e.a.Admin, ids...)
	e.clock.Advance(61 * 24 * time.Hour)
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan struct{})
	p := e.purger(0)
	go func() { p.Run(ctx); close(done) }()
	// Run schedules once at start; cancelling then ends it.
	cancel()
	<-done
	// Whether the first pass ran before the cancel or not, PurgeDue schedules what is left (a job of the
	// first pass holds the org's lock: nothing more then) and the runner finishes it.
	if _, err := p.PurgeDue(e.ctx, e.st.Now()); err != nil {
		t.Fatal(err)
	}
	e.drain()
	if n := e.count(e.a); n != 0 {
		t.Errorf("bin holds %d", n)
	}
}

// seed writes n Leads of o owned by owner straight into the store and soft-deletes them at the
// clock's time: quicker than the service for the sizes that cross batch and sync limits.
func (e *env) seed(o *crmdtest.Org, owner *crmd.User, n int) {
	e.t.Helper()
	m := o.Module(e.t, "Leads")
	err := e.st.Tx(e.ctx, func(tx *store.Tx) error {
		first, err := e.st.AllocIDs(e.ctx, tx, o.Org.ID, n)
		if err != nil {
			return err
		}
		recs := make([]crmd.Record, n)
		ids := make([]crmd.ID, n)
		for i := range recs {
			ids[i] = first + crmd.ID(i)
			recs[i] = crmd.Record{ID: ids[i], OrgID: o.Org.ID, ModuleID: m.ID, OwnerID: owner.ID, CreatedBy: owner.ID, ModifiedBy: owner.ID,
				CreatedTime: e.st.NowMS(), ModifiedTime: e.st.NowMS(), DisplayName: "Seed", Data: []byte(`{"Last_Name":"Seed"}`)}
		}
		if err := e.st.InsertRecords(e.ctx, tx, recs); err != nil {
			return err
		}
		_, err = e.st.SoftDeleteRecords(e.ctx, tx, o.Org.ID, m.ID, ids, store.Change{Actor: owner.ID, Via: store.ViaIDs, At: e.st.NowMS()})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func TestLargeOperationsRunInBatches(t *testing.T) {
	e := newEnv(t)
	admin := e.a.Caller(e.a.Admin)
	e.seed(e.a, e.a.Std, recyclebin.SyncLimit+1)
	e.seed(e.b, e.b.Admin, 3)

	// A restore by filters crosses several batches and restores every match.
	sch, err := e.bin.RestoreMatching(e.ctx, admin, &recyclebin.Filter{Field: recyclebin.FieldDisplayName, Match: recyclebin.MatchEqual, Values: []string{"seed"}})
	if err != nil || sch.Work != recyclebin.WorkRestore {
		t.Fatalf("restore: %+v %v", sch, err)
	}
	if j := e.runJob(e.a, sch.JobID); j.TotalCount != recyclebin.SyncLimit+1 || j.DeletedCount != j.TotalCount {
		t.Errorf("restore job %+v, want all %d restored", j, recyclebin.SyncLimit+1)
	}
	if n := e.count(e.a); n != 0 {
		t.Fatalf("bin holds %d after restoring all", n)
	}

	// Emptying a bin of more than SyncLimit records answers SCHEDULED, and empties it all the same.
	e.seed(e.a, e.a.Std, recyclebin.SyncLimit+1)
	empty, err := e.bin.Empty(e.ctx, admin)
	if err != nil || empty == nil || empty.Work != recyclebin.WorkEmpty {
		t.Fatalf("empty: %+v %v", empty, err)
	}
	if n := e.count(e.a); n != recyclebin.SyncLimit+1 {
		t.Errorf("bin holds %d before the empty job ran, want all %d", n, recyclebin.SyncLimit+1)
	}
	if j := e.runJob(e.a, empty.JobID); j.Kind != crmd.JobBinEmpty || j.DeletedCount != recyclebin.SyncLimit+1 {
		t.Errorf("empty job %+v", j)
	}
	if n := e.count(e.a); n != 0 {
		t.Errorf("bin holds %d after empty", n)
	}

	// The purger's jobs cross batches too, and leave the records that are not due.
	const old = 1001
	e.seed(e.a, e.a.Std, old)
	e.clock.Advance(time.Hour)
	e.seed(e.a, e.a.Std, 2)
	p := e.purger(time.Hour)
	n, err := p.PurgeDue(e.ctx, e.st.Now().Add(time.Millisecond))
	if err != nil || n != old+3 {
		t.Errorf("scheduled %d, %v; want %d (org A's old records and org B's)", n, err, old+3)
	}
	e.drain()
	if n := e.count(e.a); n != 2 {
		t.Errorf("bin holds %d, want the 2 records that are not due", n)
	}
}

// TestPerIDBounds: Restore and Delete keep their bounds for any caller (the HTTP layer checks them
// first): more distinct ids than MaxRestoreIDs / MaxDeleteIDs is LIMIT_EXCEEDED and changes nothing,
// while the same id repeated past the bound is one id.
func TestPerIDBounds(t *testing.T) {
	e := newEnv(t)
	ids := e.insert(e.a, e.a.Admin, "Smith")
	e.del(e.a, e.a.Admin, ids...)
	c := e.a.Caller(e.a.Admin)
	over := func(n int) []crmd.ID {
		out := append([]crmd.ID{}, ids...)
		for i := crmd.ID(1); len(out) <= n; i++ {
			out = append(out, i) // ids of nothing: only their number matters
		}
		return out
	}
	if _, err := e.bin.Restore(e.ctx, c, over(recyclebin.MaxRestoreIDs)); !isCode(err, "LIMIT_EXCEEDED") {
		t.Fatalf("restore of %d ids: %v", recyclebin.MaxRestoreIDs+1, err)
	}
	if _, err := e.bin.Delete(e.ctx, c, over(recyclebin.MaxDeleteIDs)); !isCode(err, "LIMIT_EXCEEDED") {
		t.Fatalf("delete of %d ids: %v", recyclebin.MaxDeleteIDs+1, err)
	}
	if n := e.count(e.a); n != 1 {
		t.Fatalf("refused calls changed the bin: %d records, want 1", n)
	}
	same := make([]crmd.ID, recyclebin.MaxRestoreIDs+1)
	for i := range same {
		same[i] = ids[0]
	}
	res, err := e.bin.Restore(e.ctx, c, same)
	if err != nil || len(res) != 1 || !res[0].OK() {
		t.Fatalf("one id named %d times: %v %+v", len(same), err, res)
	}
}

func isCode(err error, code string) bool {
	ce, ok := crmd.AsError(err)
	return ok && ce.Code == code
}
