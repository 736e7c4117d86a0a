package recyclebin_test

import (
	"context"
	"log/slog"
	"slices"
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

// Race tests: restores and purges of the same recycle-bin records race from two stores opened
// separately on one database (two crmd processes). Each record leaves the bin exactly once: the first
// restore or purge to reach it wins, everyone after finds it gone (INVALID_DATA for that id), nobody
// fails as a whole, and a restored record keeps its territories while a purged one loses them.

type raceEnv struct {
	stores []*store.Store
	bins   []*recyclebin.Service
	org    *crmdtest.Org
	c      *crmd.Caller
	leads  *crmd.Module
	root   crmd.ID
	clock  *crmdtest.Clock
}

func newRaceEnv(t *testing.T) *raceEnv {
	t.Helper()
	stores := crmdtest.OpenStores(t, 2)
	e := &raceEnv{stores: stores, clock: crmdtest.UseClock(stores[0], t0)}
	stores[1].Now = e.clock.Now
	e.org = crmdtest.NewTeam(t, stores[0], "Acme", "UTC")
	e.c, e.leads = e.org.Caller(e.org.Admin), e.org.Module(t, "Leads")
	for _, st := range stores {
		e.bins = append(e.bins, recyclebin.New(st))
	}
	root, err := stores[0].EnsureRootTerritory(context.Background(), e.org.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.root = root.ID
	return e
}

// binned inserts n Leads, assigns each to the root territory and deletes them: n records in the bin
// whose territories a restore must bring back.
func (e *raceEnv) binned(t *testing.T, n int) []crmd.ID {
	t.Helper()
	ctx := context.Background()
	recs := app.New(e.stores[0], app.Config{}).Records
	entries := make([]records.Entry, n)
	for i := range entries {
		entries[i] = records.Entry{Pos: i, Values: map[string]any{"Last_Name": "Race"}}
	}
	w, err := recs.Insert(ctx, e.c, e.leads, entries)
	if err != nil {
		t.Fatal(err)
	}
	var ids []crmd.ID
	for _, o := range w.Results {
		if !o.OK() {
			t.Fatalf("insert: %v", o.Err)
		}
		ids = append(ids, o.Value.ID)
	}
	err = e.stores[0].Tx(ctx, func(tx *store.Tx) error {
		for _, id := range ids {
			if err := e.stores[0].AssignTerritories(ctx, tx, e.org.Org.ID, id, []crmd.ID{e.root}, e.org.Admin.ID, e.stores[0].NowMS()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if outs, err := recs.Delete(ctx, e.c, e.leads, ids); err != nil || !outs[n-1].OK() {
		t.Fatalf("delete: %v %+v", err, outs)
	}
	return ids
}

// checkFinal checks that each record is either live with its territory or purged without it, as
// restored[id] says.
func (e *raceEnv) checkFinal(t *testing.T, ids []crmd.ID, restored map[crmd.ID]bool) {
	t.Helper()
	ctx := context.Background()
	recs, err := e.stores[0].RecordsByID(ctx, nil, e.org.Org.ID, e.leads.ID, ids)
	if err != nil {
		t.Fatal(err)
	}
	terrs, err := e.stores[0].RecordTerritories(ctx, nil, e.org.Org.ID, ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		r := recs[id]
		switch {
		case restored[id] && (r.DeletedTime != 0 || len(terrs[id]) != 1):
			t.Errorf("%s was restored but is deleted=%d with %d territories", id, r.DeletedTime, len(terrs[id]))
		case !restored[id] && (r.PurgedTime == 0 || len(terrs[id]) != 0):
			t.Errorf("%s was purged but is purged=%d with %d territories", id, r.PurgedTime, len(terrs[id]))
		}
	}
}

// TestRestorePurgeRace: restores and permanent deletes by ids of the same records, in both id orders.
func TestRestorePurgeRace(t *testing.T) {
	e := newRaceEnv(t)
	const n = 12
	for round := 0; round < 3; round++ {
		ids := e.binned(t, 6)
		outs := make([][]crmd.Result[crmd.ID], n)
		errs := make([]error, n)
		crmdtest.Race(n, func(i int) {
			ctx := context.Background()
			order := slices.Clone(ids)
			if i%4 >= 2 {
				slices.Reverse(order)
			}
			if i%2 == 0 {
				outs[i], errs[i] = e.bins[i%2].Restore(ctx, e.c, order)
			} else {
				outs[i], errs[i] = e.bins[(i/2)%2].Delete(ctx, e.c, order)
			}
			// Answers are in the order of the ids asked; put them back in ids order.
			if i%4 >= 2 {
				slices.Reverse(outs[i])
			}
		})
		restored := map[crmd.ID]bool{}
		for k, id := range ids {
			wins := 0
			for i := range outs {
				if errs[i] != nil {
					t.Fatalf("round %d, call %d: %v", round, i, errs[i])
				}
				o := outs[i][k]
				if o.OK() {
					wins++
					restored[id] = i%2 == 0 // the even calls restore, the odd ones delete for good
				} else if o.Err.Code != "INVALID_DATA" {
					t.Fatalf("round %d, call %d, %s: %+v", round, i, id, o.Err)
				}
			}
			if wins != 1 {
				t.Fatalf("round %d: %s left the bin %d times", round, id, wins)
			}
		}
		e.checkFinal(t, ids, restored)
	}
}

// TestPurgerRestoreRace: the retention purger of each process runs while users restore records that
// are due: a record is purged or restored, never both, and nothing fails.
func TestPurgerRestoreRace(t *testing.T) {
	e := newRaceEnv(t)
	const n = 8
	for round := 0; round < 3; round++ {
		ids := e.binned(t, 8)
		e.clock.Advance(2 * time.Hour)
		// Each process schedules the org's purge job (one of them gets the lock) and runs jobs.
		var purgers []*recyclebin.Purger
		var runners []*jobs.Runner
		for _, st := range e.stores {
			p := recyclebin.NewPurger(st, time.Hour, slog.New(slog.DiscardHandler))
			r := jobs.New(st, jobs.Config{BatchSize: 3}, slog.New(slog.DiscardHandler))
			p.Attach(r)
			purgers, runners = append(purgers, p), append(runners, r)
		}
		outs := make([][]crmd.Result[crmd.ID], n)
		errs := make([]error, n)
		crmdtest.Race(n, func(i int) {
			ctx := context.Background()
			if i < 2 {
				if _, errs[i] = purgers[i].PurgeDue(ctx, e.clock.Now()); errs[i] != nil {
					return
				}
				for {
					worked, err := runners[i].RunOnce(ctx)
					if err != nil || !worked {
						errs[i] = err
						return
					}
				}
			}
			// Each restorer asks for every other record, starting at a different one.
			var mine []crmd.ID
			for k := i % 2; k < len(ids); k += 2 {
				mine = append(mine, ids[k])
			}
			outs[i], errs[i] = e.bins[i%2].Restore(ctx, e.c, mine)
		})
		restored := map[crmd.ID]bool{}
		for i := range outs {
			if errs[i] != nil {
				t.Fatalf("round %d, call %d: %v", round, i, errs[i])
			}
			for k, o := range outs[i] {
				id := ids[i%2+2*k]
				switch {
				case o.OK() && restored[id]:
					t.Fatalf("round %d: %s restored twice", round, id)
				case o.OK():
					restored[id] = true
				case o.Err.Code != "INVALID_DATA":
					t.Fatalf("round %d, call %d, %s: %+v", round, i, id, o.Err)
				}
			}
		}
		// checkFinal: every record not restored was purged by the job, its territories gone.
		e.checkFinal(t, ids, restored)
	}
}

// TestEmptyRestoreRace: emptying the bin (batched purges that check no counts) races restores by id. A
// restore that wins must keep the record's territories: a purge that found the record in the bin but
// lost it to the restore before its UPDATE must not drop the territory rows of the now live record.
func TestEmptyRestoreRace(t *testing.T) {
	e := newRaceEnv(t)
	const n = 8
	for round := 0; round < 4; round++ {
		ids := e.binned(t, 8)
		outs := make([][]crmd.Result[crmd.ID], n)
		errs := make([]error, n)
		crmdtest.Race(n, func(i int) {
			ctx := context.Background()
			if i < 2 {
				_, errs[i] = e.bins[i].Empty(ctx, e.c)
				return
			}
			order := slices.Clone(ids)
			if i%2 == 1 {
				slices.Reverse(order)
			}
			outs[i], errs[i] = e.bins[i%2].Restore(ctx, e.c, order)
			if i%2 == 1 {
				slices.Reverse(outs[i])
			}
		})
		restored := map[crmd.ID]bool{}
		for i := range outs {
			if errs[i] != nil {
				t.Fatalf("round %d, call %d: %v", round, i, errs[i])
			}
			for k, o := range outs[i] {
				switch {
				case o.OK() && restored[ids[k]]:
					t.Fatalf("round %d: %s restored twice", round, ids[k])
				case o.OK():
					restored[ids[k]] = true
				case o.Err.Code != "INVALID_DATA":
					t.Fatalf("round %d, call %d: %+v", round, i, o.Err)
				}
			}
		}
		e.checkFinal(t, ids, restored)
	}
}
