package records

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/territories"
	"github.com/crmd/crmd/views"
)

// Race tests: several goroutines on two stores opened separately on one database (two crmd processes
// sharing it) write the same record at once. On PostgreSQL each statement of a READ COMMITTED
// transaction sees what committed before it, so a write that decided on an earlier read must have
// locked what it read (store.LockRecords); on SQLite a write transaction holds the database's only
// write lock from BEGIN. Either way the outcome must be one a serial order could give.

type raceEnv struct {
	svcs []*Service
	c    *crmd.Caller
	m    *crmd.Module
}

func newRaceEnv(t *testing.T) *raceEnv {
	t.Helper()
	stores := crmdtest.OpenStores(t, 2)
	org := crmdtest.NewTeam(t, stores[0], "Acme", "UTC")
	return &raceEnv{svcs: []*Service{New(stores[0], views.New(stores[0]), territories.New(stores[0])), New(stores[1], views.New(stores[1]), territories.New(stores[1]))}, c: org.Caller(org.Admin), m: org.Module(t, "Leads")}
}

func (e *raceEnv) insert(t *testing.T) crmd.ID {
	t.Helper()
	w, err := e.svcs[0].Insert(context.Background(), e.c, e.m, []Entry{{Values: map[string]any{"Last_Name": "Race"}}})
	if err != nil || !w.Results[0].OK() {
		t.Fatalf("insert: %v %+v", err, w)
	}
	return w.Results[0].Value.ID
}

func (e *raceEnv) stored(t *testing.T, id crmd.ID) (data map[string]any, deleted bool) {
	t.Helper()
	recs, err := e.svcs[0].st.RecordsByID(context.Background(), nil, e.c.Org.ID, e.m.ID, []crmd.ID{id})
	if err != nil || recs[id] == nil {
		t.Fatalf("read %s: %v", id, err)
	}
	if err := json.Unmarshal(recs[id].Data, &data); err != nil {
		t.Fatal(err)
	}
	return data, recs[id].DeletedTime != 0
}

// TestDeleteRace: of many deletes of one record, exactly one deletes it; the others answer per id, as
// for a record already in the recycle bin, and none fails as a whole.
func TestDeleteRace(t *testing.T) {
	e := newRaceEnv(t)
	const n = 12
	for round := 0; round < 3; round++ {
		id := e.insert(t)
		outs := make([][]crmd.Result[crmd.ID], n)
		errs := make([]error, n)
		crmdtest.Race(n, func(i int) {
			outs[i], errs[i] = e.svcs[i%2].Delete(context.Background(), e.c, e.m, []crmd.ID{id})
		})
		deleted := 0
		for i := range outs {
			switch {
			case errs[i] != nil:
				t.Fatalf("delete %d: %v", i, errs[i])
			case outs[i][0].OK():
				deleted++
			case outs[i][0].Err.Code != "INVALID_DATA" || outs[i][0].Err.Message != "record not deleted":
				t.Fatalf("delete %d: %+v", i, outs[i][0].Err)
			}
		}
		if _, gone := e.stored(t, id); deleted != 1 || !gone {
			t.Fatalf("round %d: %d deletes succeeded, record deleted %v", round, deleted, gone)
		}
	}
}

// raceFields are text-like Leads fields that each racing update sets one of.
var raceFields = []string{"First_Name", "Company", "Title", "Skype_ID", "Twitter", "Phone", "Mobile", "Fax"}

// TestUpdateRaceLosesNoField: updates of different fields of one record, racing, each read the record,
// merge their field into its data document and write the document back. Every field set must survive:
// an update that read the document before another committed would otherwise write the other's field
// back to its old value (a lost update).
func TestUpdateRaceLosesNoField(t *testing.T) {
	e := newRaceEnv(t)
	for round := 0; round < 3; round++ {
		id := e.insert(t)
		outs := make([]*Written, len(raceFields))
		errs := make([]error, len(raceFields))
		crmdtest.Race(len(raceFields), func(i int) {
			entry := Entry{ID: id, Values: map[string]any{raceFields[i]: fmt.Sprintf("5550%d", i)}}
			outs[i], errs[i] = e.svcs[i%2].Update(context.Background(), e.c, e.m, []Entry{entry})
		})
		for i := range outs {
			if errs[i] != nil || !outs[i].Results[0].OK() {
				t.Fatalf("update %d: %v %+v", i, errs[i], outs[i])
			}
		}
		data, _ := e.stored(t, id)
		for i, f := range raceFields {
			if want := fmt.Sprintf("5550%d", i); data[f] != want {
				t.Fatalf("round %d: %s = %v, want %s (data %v)", round, f, data[f], want, data)
			}
		}
	}
}

// TestUpdateDeleteRace: updates racing a delete of their record either update it before it goes or
// find it gone (INVALID_DATA for that entry); none fails as a whole, and the delete always succeeds.
func TestUpdateDeleteRace(t *testing.T) {
	e := newRaceEnv(t)
	const n = 8
	for round := 0; round < 3; round++ {
		id := e.insert(t)
		errs := make([]error, n)
		errOf := make([]*crmd.Error, n) // each call's only item's error, nil when it succeeded
		crmdtest.Race(n, func(i int) {
			ctx := context.Background()
			if i == 0 {
				outs, err := e.svcs[0].Delete(ctx, e.c, e.m, []crmd.ID{id})
				if errs[i] = err; err == nil {
					errOf[i] = outs[0].Err
				}
				return
			}
			entry := Entry{ID: id, Values: map[string]any{"Company": fmt.Sprintf("C%d", i)}}
			w, err := e.svcs[i%2].Update(ctx, e.c, e.m, []Entry{entry})
			if errs[i] = err; err == nil {
				errOf[i] = w.Results[0].Err
			}
		})
		for i := range errs {
			if errs[i] != nil {
				t.Fatalf("round %d, call %d: %v", round, i, errs[i])
			}
			e := errOf[i]
			if i == 0 && e != nil || i > 0 && e != nil && (e.Code != "INVALID_DATA" || e.Details["id"] != id) {
				t.Fatalf("round %d, call %d: %+v", round, i, e)
			}
		}
		if _, gone := e.stored(t, id); !gone {
			t.Fatalf("round %d: the record survived its delete", round)
		}
	}
}

// TestUpsertRace: many upserts of one new e-mail at once, on two stores, insert it exactly once; every
// other upsert updates that record, and none fails.
func TestUpsertRace(t *testing.T) {
	e := newRaceEnv(t)
	const n = 12
	for round := 0; round < 3; round++ {
		email := fmt.Sprintf("race%d@zylker.test", round)
		actions := make(chan string, n)
		errs := make(chan error, n)
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			go func(i int) {
				<-start
				u, err := e.svcs[i%2].Upsert(context.Background(), e.c, e.m,
					[]Entry{{Values: map[string]any{"Last_Name": fmt.Sprint("Racer ", i), "Email": email}}}, nil)
				if err != nil {
					errs <- err
					return
				}
				if !u.Results[0].OK() {
					errs <- u.Results[0].Err
					return
				}
				actions <- u.Actions[0]
			}(i)
		}
		close(start)
		inserts := 0
		for i := 0; i < n; i++ {
			select {
			case err := <-errs:
				t.Fatalf("round %d: %v", round, err)
			case a := <-actions:
				if a == ActionInsert {
					inserts++
				}
			}
		}
		count, err := e.svcs[0].Count(context.Background(), e.c, e.m, Match{Email: email})
		if err != nil || count != 1 || inserts != 1 {
			t.Fatalf("round %d: %d records with the e-mail, %d inserts (%v); want 1 and 1", round, count, inserts, err)
		}
	}
}
