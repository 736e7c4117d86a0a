package massdelete_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/app"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/massdelete"
	"github.com/crmd/crmd/recyclebin"
	"github.com/crmd/crmd/store"
)

// Race tests: mass deletes race each other, restores and their own job runner from two stores
// opened separately on one database (two crmd processes). Every record is deleted at most once per
// life, the losers answer per id (INVALID_DATA) instead of failing as a whole, and a job's counters
// add up.

// newRaceFixture is newFixture on the first of two stores sharing one database, and the second.
func newRaceFixture(t *testing.T, n int) (*fixture, *store.Store) {
	t.Helper()
	stores := crmdtest.OpenStores(t, 2)
	f := &fixture{t: t, st: stores[0], clock: crmdtest.UseClock(stores[0], time.Date(2024, 5, 13, 8, 0, 0, 0, time.UTC))}
	stores[1].Now = f.clock.Now
	f.org = crmdtest.NewTeam(t, stores[0], "Acme", "UTC")
	f.c = f.org.Caller(f.org.Admin)
	f.leads = f.org.Module(t, "Leads")
	f.ids = f.insert(f.leads, n, "approved")
	return f, stores[1]
}

// TestDeleteIDsRace: mass deletes by ids of the same records, in both orders: each record is deleted
// by exactly one of them.
func TestDeleteIDsRace(t *testing.T) {
	f, other := newRaceFixture(t, 20)
	svcs := []*massdelete.Service{app.New(f.st, app.Config{MassDelete: massdelete.Settings{}}).MassDelete, app.New(other, app.Config{MassDelete: massdelete.Settings{}}).MassDelete}
	const n = 8
	outs := make([][]crmd.Result[crmd.ID], n)
	errs := make([]error, n)
	crmdtest.Race(n, func(i int) {
		ids := slices.Clone(f.ids)
		if i%4 >= 2 {
			slices.Reverse(ids)
		}
		outs[i], errs[i] = svcs[i%2].DeleteIDs(context.Background(), f.c, f.leads, ids, nil)
		if i%4 >= 2 && outs[i] != nil {
			slices.Reverse(outs[i])
		}
	})
	for k, id := range f.ids {
		wins := 0
		for i := range outs {
			if errs[i] != nil {
				t.Fatalf("call %d: %v", i, errs[i])
			}
			if o := outs[i][k]; o.OK() {
				wins++
			} else if o.Err.Code != "INVALID_DATA" {
				t.Fatalf("call %d, %s: %+v", i, id, o.Err)
			}
		}
		if wins != 1 {
			t.Fatalf("%s deleted %d times", id, wins)
		}
	}
}

// TestDeleteIDsRestoreRace: records in the bin are restored while mass deletes by ids name them. A
// mass delete that came before the restore finds them in the bin (INVALID_DATA); after it, one mass
// delete deletes each again. So a record ends deleted exactly when one mass delete succeeded on it.
func TestDeleteIDsRestoreRace(t *testing.T) {
	f, other := newRaceFixture(t, 10)
	svcs := []*massdelete.Service{app.New(f.st, app.Config{MassDelete: massdelete.Settings{}}).MassDelete, app.New(other, app.Config{MassDelete: massdelete.Settings{}}).MassDelete}
	ctx := context.Background()
	for round := 0; round < 3; round++ {
		if outs, err := svcs[0].DeleteIDs(ctx, f.c, f.leads, f.ids, nil); err != nil || !outs[0].OK() {
			t.Fatalf("round %d: delete: %v %+v", round, err, outs)
		}
		const n = 6
		outs := make([][]crmd.Result[crmd.ID], n)
		errs := make([]error, n)
		var restored []crmd.Result[crmd.ID]
		crmdtest.Race(n, func(i int) {
			if i == 0 {
				restored, errs[i] = recyclebin.New(other).Restore(ctx, f.c, f.ids)
				return
			}
			outs[i], errs[i] = svcs[i%2].DeleteIDs(ctx, f.c, f.leads, f.ids, nil)
		})
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, call %d: %v", round, i, err)
			}
		}
		recs, err := f.st.RecordsByID(ctx, nil, f.org.Org.ID, f.leads.ID, f.ids)
		if err != nil {
			t.Fatal(err)
		}
		for k, id := range f.ids {
			if !restored[k].OK() {
				t.Fatalf("round %d: restore of %s: %+v", round, id, restored[k].Err)
			}
			wins := 0
			for _, o := range outs[1:] {
				if o[k].OK() {
					wins++
				} else if o[k].Err.Code != "INVALID_DATA" {
					t.Fatalf("round %d, %s: %+v", round, id, o[k].Err)
				}
			}
			if deleted := recs[id].DeletedTime != 0; wins > 1 || deleted != (wins == 1) {
				t.Fatalf("round %d: %s deleted by %d mass deletes, deleted at the end: %v", round, id, wins, deleted)
			}
		}
		// Bring back what ended deleted, so that every record is live for the next round.
		if _, err := recyclebin.New(f.st).Restore(ctx, f.c, f.ids); err != nil {
			t.Fatal(err)
		}
	}
}

func countOK(outs [][]crmd.Result[crmd.ID]) int {
	n := 0
	for _, os := range outs {
		for _, o := range os {
			if o.OK() {
				n++
			}
		}
	}
	return n
}

// TestRunnerDeleteIDsRace: a job runs (the runners of both processes try to claim it) while mass
// deletes by ids delete some of its records. The runner never fails on a record deleted under it: that
// record counts as failed (D16). Every record is deleted once, by the job or by a request.
func TestRunnerDeleteIDsRace(t *testing.T) {
	f, other := newRaceFixture(t, 60)
	svcs := []*massdelete.Service{app.New(f.st, app.Config{MassDelete: massdelete.Settings{}}).MassDelete, app.New(other, app.Config{MassDelete: massdelete.Settings{}}).MassDelete}
	ctx := context.Background()
	job, err := svcs[0].Schedule(ctx, f.c, f.leads, f.allView(f.leads), nil)
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	worked := make([]bool, n)
	outs := make([][]crmd.Result[crmd.ID], n)
	errs := make([]error, n)
	crmdtest.Race(n, func(i int) {
		if i < 2 {
			r := massdelete.NewRunner(svcs[i], massdelete.RunnerConfig{BatchSize: 4}, quiet())
			worked[i], errs[i] = r.RunOnce(ctx)
			return
		}
		// Each request deletes every sixth record, from a different start, one at a time.
		for k := i - 2; k < len(f.ids); k += 6 {
			o, err := svcs[i%2].DeleteIDs(ctx, f.c, f.leads, []crmd.ID{f.ids[k]}, nil)
			if err != nil {
				errs[i] = err
				return
			}
			outs[i] = append(outs[i], o...)
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if worked[0] == worked[1] {
		t.Fatalf("runners that found the job: %v", worked[:2])
	}
	j := f.job(job)
	byRequests := countOK(outs)
	if j.Status != crmd.JobCompleted || j.TotalCount != 60 || j.DeletedCount+j.FailedCount != 60 ||
		f.deletedBy(job) != j.DeletedCount || int64(byRequests) != j.FailedCount {
		t.Fatalf("job %+v; %d deleted by the job's mark, %d by requests", j, f.deletedBy(job), byRequests)
	}
}

// TestDeleteIDsOverlapNoDeadlock: mass deletes of overlapping id sets of very different sizes — one
// id, a few, all of them — race each other round after round, with a restore in between that moves
// the rows to new places in the table (PostgreSQL writes a restored row's new version elsewhere, so
// the table's order stops being the ids' order). Each soft delete locks the rows it moves as its
// UPDATE visits them; were that order the table's for some plans and the ids' for others, two of them
// could each wait for the other until PostgreSQL aborted one as a deadlock. No call may fail.
func TestDeleteIDsOverlapNoDeadlock(t *testing.T) {
	f, other := newRaceFixture(t, 120)
	svcs := []*massdelete.Service{app.New(f.st, app.Config{MassDelete: massdelete.Settings{}}).MassDelete, app.New(other, app.Config{MassDelete: massdelete.Settings{}}).MassDelete}
	ctx := context.Background()
	for round := range 12 {
		const n = 6
		errs := make([]error, n)
		crmdtest.Race(n, func(i int) {
			var ids []crmd.ID
			switch i % 3 {
			case 0:
				ids = f.ids[(round*7+i)%len(f.ids) : (round*7+i)%len(f.ids)+1]
			case 1:
				for k := i; k < len(f.ids); k += 9 {
					ids = append(ids, f.ids[k])
				}
			default:
				ids = slices.Clone(f.ids)
				if i%2 == 1 {
					slices.Reverse(ids)
				}
			}
			_, errs[i] = svcs[i%2].DeleteIDs(ctx, f.c, f.leads, ids, nil)
		})
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, call %d: %v", round, i, err)
			}
		}
		if _, err := recyclebin.New(f.st).Restore(ctx, f.c, f.ids[:100]); err != nil {
			t.Fatal(err)
		}
		if _, err := recyclebin.New(f.st).Restore(ctx, f.c, f.ids[100:]); err != nil {
			t.Fatal(err)
		}
	}
}
