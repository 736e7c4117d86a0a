package territories_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/app"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/records"
	"github.com/crmd/crmd/recyclebin"
	"github.com/crmd/crmd/store"
	"github.com/crmd/crmd/territories"
)

// Race tests: territory writes race from two stores opened separately on one database (two crmd
// processes). Every writer of an org's tree first locks the root's row (store.LockTerritories), so
// on PostgreSQL as on SQLite the checks each write makes (a name is free, a move makes no cycle, a
// territory has no children) hold until it commits; these tests prove it.

type raceEnv struct {
	stores []*store.Store
	svcs   []*territories.Service
	c      *crmd.Caller
	leads  *crmd.Module
	root   crmd.ID
}

func newRaceEnv(t *testing.T) *raceEnv {
	t.Helper()
	stores := crmdtest.OpenStores(t, 2)
	o := crmdtest.NewOrg(t, stores[0], store.NewOrg{Name: "Race", AdminEmail: "a@race.test", AdminLast: "A"})
	e := &raceEnv{stores: stores, c: o.Caller(o.Admin), leads: o.Module(t, "Leads")}
	for _, st := range stores {
		e.svcs = append(e.svcs, territories.New(st))
	}
	root, err := stores[0].EnsureRootTerritory(context.Background(), e.c.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.root = root.ID
	return e
}

func (e *raceEnv) create(t *testing.T, name string, parent crmd.ID) crmd.ID {
	t.Helper()
	outs, err := e.svcs[0].Create(context.Background(), e.c, oneDraft(name, parent))
	if err != nil || !outs[0].OK() {
		t.Fatalf("create %s: %v %+v", name, err, outs)
	}
	return outs[0].Value.ID
}

// oneDraft is a Create of one read-only territory under parent.
func oneDraft(name string, parent crmd.ID) []territories.Draft {
	return []territories.Draft{{Name: name, PermissionType: crmd.TerritoryReadOnly, ReportingTo: parent}}
}

// parents reads every territory of the org and its parent.
func (e *raceEnv) parents(t *testing.T) map[crmd.ID]crmd.ID {
	t.Helper()
	ts, err := e.stores[0].ListTerritories(context.Background(), store.TerritoryQuery{OrgID: e.c.Org.ID})
	if err != nil {
		t.Fatal(err)
	}
	out := map[crmd.ID]crmd.ID{}
	for _, x := range ts {
		out[x.ID] = x.ReportingTo
	}
	return out
}

// checkTree checks that every territory reaches the root through existing parents, without a cycle.
func (e *raceEnv) checkTree(t *testing.T) map[crmd.ID]crmd.ID {
	t.Helper()
	ps := e.parents(t)
	for id := range ps {
		seen := map[crmd.ID]bool{}
		for at := id; at != e.root; at = ps[at] {
			if _, ok := ps[at]; !ok || seen[at] {
				t.Fatalf("territory %s does not reach the root (at %s): %v", id, at, ps)
			}
			seen[at] = true
		}
	}
	return ps
}

// wantErr checks that o failed with code and message.
func wantErr[T any](t *testing.T, what string, o crmd.Result[T], code, msg string) {
	t.Helper()
	if o.OK() || o.Err.Code != code || o.Err.Message != msg {
		t.Fatalf("%s: %+v, want %s %q", what, o, code, msg)
	}
}

// TestCreateSameNameRace: territories created at once under one name (differing in case): exactly one
// is created, the others are DUPLICATE_DATA "Given Territory name already exists".
func TestCreateSameNameRace(t *testing.T) {
	e := newRaceEnv(t)
	const n = 10
	outs := make([][]crmd.Result[*crmd.Territory], n)
	errs := make([]error, n)
	crmdtest.Race(n, func(i int) {
		name := []string{"Sales", "SALES", "sales"}[i%3]
		outs[i], errs[i] = e.svcs[i%2].Create(context.Background(), e.c, oneDraft(name, e.root))
	})
	created := 0
	for i := range outs {
		if errs[i] != nil {
			t.Fatalf("create %d: %v", i, errs[i])
		}
		if outs[i][0].OK() {
			created++
			continue
		}
		wantErr(t, fmt.Sprint("create ", i), outs[i][0], "DUPLICATE_DATA", territories.MsgNameTaken)
	}
	if ps := e.checkTree(t); created != 1 || len(ps) != 2 {
		t.Fatalf("%d creates succeeded, %d territories", created, len(ps))
	}
}

// TestMoveCycleRace: A and B report to the root; at once, half the requests move A under B and half
// move B under A. Either move alone is fine, both together would be a cycle: one direction wins (all
// its requests succeed), every request of the other is NOT_ALLOWED with Zoho's cycle message.
func TestMoveCycleRace(t *testing.T) {
	e := newRaceEnv(t)
	for round := 0; round < 3; round++ {
		a := e.create(t, fmt.Sprintf("A%d", round), e.root)
		b := e.create(t, fmt.Sprintf("B%d", round), e.root)
		const n = 8
		outs := make([][]crmd.Result[*crmd.Territory], n)
		errs := make([]error, n)
		crmdtest.Race(n, func(i int) {
			move, under := a, b
			if i%2 == 1 {
				move, under = b, a
			}
			edit := territories.Edit{ID: move, ReportingTo: territories.Change[crmd.ID]{Set: true, To: under}}
			outs[i], errs[i] = e.svcs[(i/2)%2].Update(context.Background(), e.c, []territories.Edit{edit})
		})
		won := [2]int{}
		for i := range outs {
			if errs[i] != nil {
				t.Fatalf("round %d, move %d: %v", round, i, errs[i])
			}
			if outs[i][0].OK() {
				won[i%2]++
				continue
			}
			wantErr(t, fmt.Sprint("move ", i), outs[i][0], "NOT_ALLOWED", territories.MsgCycle)
		}
		ps := e.checkTree(t)
		if won != [2]int{n / 2, 0} && won != [2]int{0, n / 2} || (ps[a] == b) == (ps[b] == a) {
			t.Fatalf("round %d: moves won %v; A reports to %s, B to %s", round, won, ps[a], ps[b])
		}
	}
}

// TestDeleteCreateChildRace: a territory is deleted while children are created under it. Either the
// delete wins and every create finds the parent gone (INVALID_DATA on reporting_to), or the delete is
// NOT_ALLOWED "having child" and every create succeeds; never a child of a deleted territory.
func TestDeleteCreateChildRace(t *testing.T) {
	e := newRaceEnv(t)
	for round := 0; round < 4; round++ {
		p := e.create(t, fmt.Sprintf("P%d", round), e.root)
		const n = 6
		var del []crmd.Result[crmd.ID]
		outs := make([][]crmd.Result[*crmd.Territory], n)
		errs := make([]error, n)
		crmdtest.Race(n, func(i int) {
			ctx := context.Background()
			if i == 0 {
				del, errs[i] = e.svcs[0].Delete(ctx, e.c, []crmd.ID{p})
				return
			}
			outs[i], errs[i] = e.svcs[i%2].Create(ctx, e.c, oneDraft(fmt.Sprintf("C%d.%d", round, i), p))
		})
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, call %d: %v", round, i, err)
			}
		}
		deleted := del[0].OK()
		if !deleted {
			wantErr(t, "delete", del[0], "NOT_ALLOWED", territories.MsgHasChildren)
		}
		for i := 1; i < n; i++ {
			o := outs[i][0]
			if deleted && (o.OK() || o.Err.Code != "INVALID_DATA" || o.Err.Details["api_name"] != "reporting_to") || !deleted && !o.OK() {
				t.Fatalf("round %d: delete succeeded %v, create %d: %+v", round, deleted, i, o)
			}
		}
		if _, there := e.checkTree(t)[p]; there == deleted {
			t.Fatalf("round %d: delete answered %v, territory there %v", round, deleted, there)
		}
	}
}

// TestTransferAndDeleteRace: X and Y, each with a child, are transferred into each other at once.
// One transfer wins; the other finds its territory or its target gone (INVALID_DATA). The survivor
// holds both children, and the tree stays whole.
func TestTransferAndDeleteRace(t *testing.T) {
	e := newRaceEnv(t)
	for round := 0; round < 3; round++ {
		x := e.create(t, fmt.Sprintf("X%d", round), e.root)
		y := e.create(t, fmt.Sprintf("Y%d", round), e.root)
		cx := e.create(t, fmt.Sprintf("X%d child", round), x)
		cy := e.create(t, fmt.Sprintf("Y%d child", round), y)
		const n = 6
		outs := make([][]crmd.Result[crmd.ID], n)
		errs := make([]error, n)
		crmdtest.Race(n, func(i int) {
			from, to := x, y
			if i%2 == 1 {
				from, to = y, x
			}
			items := []territories.Transfer{{ID: from, To: to}}
			outs[i], errs[i] = e.svcs[(i/2)%2].TransferAndDelete(context.Background(), e.c, items)
		})
		won := 0
		for i := range outs {
			if errs[i] != nil {
				t.Fatalf("round %d, transfer %d: %v", round, i, errs[i])
			}
			if o := outs[i][0]; o.OK() {
				won++
			} else if o.Err.Code != "INVALID_DATA" {
				t.Fatalf("round %d, transfer %d: %+v", round, i, o.Err)
			}
		}
		ps := e.checkTree(t)
		_, xThere := ps[x]
		_, yThere := ps[y]
		survivor := x
		if yThere {
			survivor = y
		}
		if won != 1 || xThere == yThere || ps[cx] != survivor || ps[cy] != survivor {
			t.Fatalf("round %d: %d transfers won; X there %v, Y there %v; children report to %s, %s", round, won, xThere, yThere, ps[cx], ps[cy])
		}
	}
}

// TestAssignRace: one territory assigned to one record by many requests at once: exactly one assigns
// it, the others are DUPLICATE_DATA "Given Territory id already exists for that record".
func TestAssignRace(t *testing.T) {
	e := newRaceEnv(t)
	terr := e.create(t, "T", e.root)
	rec := insertLead(t, e)
	const n = 8
	outs := make([][]crmd.Result[crmd.ID], n)
	errs := make([]error, n)
	crmdtest.Race(n, func(i int) {
		outs[i], errs[i] = e.svcs[i%2].Assign(context.Background(), e.c, e.leads, assignment(rec, terr))
	})
	assigned := 0
	for i := range outs {
		if errs[i] != nil {
			t.Fatalf("assign %d: %v", i, errs[i])
		}
		if outs[i][0].OK() {
			assigned++
			continue
		}
		wantErr(t, fmt.Sprint("assign ", i), outs[i][0], "DUPLICATE_DATA", territories.MsgAlreadyAssigned)
	}
	got, err := e.stores[0].RecordTerritories(context.Background(), nil, e.c.Org.ID, []crmd.ID{rec})
	if err != nil || assigned != 1 || len(got[rec]) != 1 {
		t.Fatalf("%d assigns succeeded, record has %d territories (%v)", assigned, len(got[rec]), err)
	}
}

// TestAssignPurgeRace: territories are assigned to records while other requests delete the records
// and purge them from the bin. A purged record must end without territory rows: an assign that found
// the record live must not add its row after the purge dropped the record's rows.
func TestAssignPurgeRace(t *testing.T) {
	e := newRaceEnv(t)
	terr := e.create(t, "T", e.root)
	ctx := context.Background()
	recs := []*records.Service{app.New(e.stores[0], app.Config{}).Records, app.New(e.stores[1], app.Config{}).Records}
	bins := []*recyclebin.Service{recyclebin.New(e.stores[0]), recyclebin.New(e.stores[1])}
	var ids []crmd.ID
	for round := 0; round < 6; round++ {
		id := insertLead(t, e)
		ids = append(ids, id)
		errs := make([]error, 4)
		crmdtest.Race(4, func(i int) {
			if i%2 == 0 {
				_, errs[i] = e.svcs[i/2].Assign(ctx, e.c, e.leads, assignment(id, terr))
				return
			}
			if _, err := recs[i/2].Delete(ctx, e.c, e.leads, []crmd.ID{id}); err != nil {
				errs[i] = err
				return
			}
			_, errs[i] = bins[i/2].Delete(ctx, e.c, []crmd.ID{id})
		})
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, call %d: %v", round, i, err)
			}
		}
	}
	rows, err := e.stores[0].RecordsByID(ctx, nil, e.c.Org.ID, e.leads.ID, ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if rows[id].PurgedTime == 0 {
			t.Fatalf("%s was not purged", id)
		}
	}
	got, err := e.stores[0].RecordTerritories(ctx, nil, e.c.Org.ID, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("purged records with territories: %v", got)
	}
}

func insertLead(t *testing.T, e *raceEnv) crmd.ID {
	t.Helper()
	w, err := app.New(e.stores[0], app.Config{}).Records.Insert(context.Background(), e.c, e.leads, []records.Entry{{Values: map[string]any{"Last_Name": "R"}}})
	if err != nil || !w.Results[0].OK() {
		t.Fatalf("insert: %v %+v", err, w)
	}
	return w.Results[0].Value.ID
}

// assignment is an Assign of one territory to one record.
func assignment(rec, terr crmd.ID) []territories.Assignment {
	return []territories.Assignment{{Record: rec, Territories: []crmd.ID{terr}}}
}
