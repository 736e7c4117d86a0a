package territories_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/store"
	"github.com/crmd/crmd/territories"
)

// svcEnv is a territory service on a real SQLite file with two orgs.
type svcEnv struct {
	st     *store.Store
	svc    *territories.Service
	a, b   *crmd.Caller
	leadsA *crmd.Module
}

func newSvcEnv(t *testing.T) *svcEnv {
	t.Helper()
	st := crmdtest.OpenStore(t)
	e := &svcEnv{st: st, svc: territories.New(st)}
	for i, c := range []**crmd.Caller{&e.a, &e.b} {
		o := crmdtest.NewOrg(t, st, store.NewOrg{Name: fmt.Sprintf("Org%d", i), AdminEmail: fmt.Sprintf("a@%d.test", i), AdminLast: "A"})
		*c = o.Caller(o.Admin)
		if i == 0 {
			e.leadsA = o.Module(t, "Leads")
		}
	}
	return e
}

// create adds one territory under parent through the service.
func (e *svcEnv) create(t *testing.T, c *crmd.Caller, name string, parent crmd.ID) crmd.ID {
	t.Helper()
	outs, err := e.svc.Create(context.Background(), c, []territories.Draft{{Name: name, PermissionType: crmd.TerritoryReadOnly, ReportingTo: parent}})
	if err != nil || !outs[0].OK() {
		t.Fatalf("create %s: %v %+v", name, err, outs)
	}
	return outs[0].Value.ID
}

func (e *svcEnv) root(t *testing.T, c *crmd.Caller) crmd.ID {
	t.Helper()
	r, err := e.st.EnsureRootTerritory(context.Background(), c.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}

// TestSubtreeAndFilter exercises what other services (mass delete, GET /{module}) use: Subtree and
// Filter on a chain twelve levels deep with a branch, and their error for foreign territories.
func TestSubtreeAndFilter(t *testing.T) {
	e := newSvcEnv(t)
	ctx := context.Background()
	root := e.root(t, e.a)
	chain := []crmd.ID{}
	parent := root
	for i := 0; i < 12; i++ {
		parent = e.create(t, e.a, fmt.Sprintf("L%d", i), parent)
		chain = append(chain, parent)
	}
	branch := e.create(t, e.a, "Branch", chain[5])

	got, err := e.svc.Subtree(ctx, e.a.Org.ID, chain[5], false)
	if err != nil || !slices.Equal(got, []crmd.ID{chain[5]}) {
		t.Fatalf("subtree without children: %v %v", got, err)
	}
	got, err = e.svc.Subtree(ctx, e.a.Org.ID, chain[5], true)
	want := append(slices.Clone(chain[5:]), branch)
	slices.Sort(want)
	if err != nil || got[0] != chain[5] || !slices.Equal(slices.Sorted(slices.Values(got)), want) {
		t.Fatalf("subtree with children: %v %v, want %v", got, err, want)
	}
	got, _ = e.svc.Subtree(ctx, e.a.Org.ID, root, true)
	if len(got) != 14 {
		t.Fatalf("root subtree: %d", len(got))
	}

	// Unknown and foreign territories: a fresh *crmd.Error each time, whose details a caller replaces.
	rootB := e.root(t, e.b)
	for _, include := range []bool{false, true} {
		for _, id := range []crmd.ID{rootB, 1234567000000000001} {
			_, err := e.svc.Subtree(ctx, e.a.Org.ID, id, include)
			ce, ok := crmd.AsError(err)
			if !ok || ce.Code != "INVALID_DATA" || ce.Message != crmd.MsgInvalidID || ce.Details["id"] != id || ce.Status != 400 {
				t.Fatalf("subtree of foreign %s: %v", id, err)
			}
			_, err = e.svc.Scope(ctx, e.a.Org.ID, id, include)
			ce, ok = crmd.AsError(err)
			if !ok || ce.Code != "INVALID_DATA" {
				t.Fatalf("scope of foreign %s: %v", id, err)
			}
			ce.Details = crmd.D{"api_name": "id", "json_path": "$.territory.id"}
			if _, again := e.svc.Scope(ctx, e.a.Org.ID, id, include); again.(*crmd.Error).Details["id"] != id {
				t.Fatal("the unknown-territory error is shared between calls")
			}
		}
	}

	// Scope as a record filter: records in the chain's lower half and the branch.
	var recs []crmd.ID
	err = e.st.Tx(ctx, func(tx *store.Tx) error {
		first, err := e.st.AllocIDs(ctx, tx, e.a.Org.ID, 4)
		if err != nil {
			return err
		}
		var rows []crmd.Record
		for i := 0; i < 4; i++ {
			id := first + crmd.ID(i)
			recs = append(recs, id)
			rows = append(rows, crmd.Record{ID: id, OrgID: e.a.Org.ID, ModuleID: e.leadsA.ID, OwnerID: e.a.User.ID,
				CreatedBy: e.a.User.ID, ModifiedBy: e.a.User.ID, Data: []byte(`{"Last_Name":"x"}`)})
		}
		return e.st.InsertRecords(ctx, tx, rows)
	})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := e.svc.Assign(ctx, e.a, e.leadsA, []territories.Assignment{
		{Pos: 0, Record: recs[0], Territories: []crmd.ID{chain[11]}},
		{Pos: 1, Record: recs[1], Territories: []crmd.ID{branch}},
		{Pos: 2, Record: recs[2], Territories: []crmd.ID{chain[2]}},
	})
	if err != nil || !outs[0].OK() || !outs[1].OK() || !outs[2].OK() {
		t.Fatalf("assign: %v %+v", err, outs)
	}
	for _, c := range []struct {
		terr    crmd.ID
		include bool
		want    []crmd.ID
	}{
		{chain[5], true, recs[:2]}, {chain[5], false, nil}, {chain[2], false, recs[2:3]}, {chain[0], true, recs[:3]}, {root, true, recs[:3]}, {root, false, nil},
	} {
		scope, err := e.svc.Scope(ctx, e.a.Org.ID, c.terr, c.include)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := e.st.ListRecords(ctx, store.RecordQuery{OrgID: e.a.Org.ID, ModuleID: e.leadsA.ID, Filter: store.RecordFilter{Territory: scope}})
		if err != nil {
			t.Fatal(err)
		}
		var got []crmd.ID
		for _, r := range rows {
			got = append(got, r.ID)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("filter %s include=%v: %v, want %v", c.terr, c.include, got, c.want)
		}
	}
}

// TestNoCycleEver re-parents territories at random-looking but fixed positions and checks after every
// accepted move that walking up from every territory reaches the root.
func TestNoCycleEver(t *testing.T) {
	e := newSvcEnv(t)
	ctx := context.Background()
	root := e.root(t, e.a)
	ids := []crmd.ID{root}
	for i := 0; i < 30; i++ {
		ids = append(ids, e.create(t, e.a, fmt.Sprintf("T%d", i), ids[(i*7)%len(ids)]))
	}
	accepted, refused := 0, 0
	for step := 0; step < 200; step++ {
		node := ids[1+(step*13)%(len(ids)-1)]
		parent := ids[(step*29+5)%len(ids)]
		outs, err := e.svc.Update(ctx, e.a, []territories.Edit{{ID: node, ReportingTo: territories.Change[crmd.ID]{Set: true, To: parent}}})
		if err != nil {
			t.Fatal(err)
		}
		if outs[0].OK() {
			accepted++
		} else {
			refused++
			if outs[0].Err.Code != "NOT_ALLOWED" {
				t.Fatalf("step %d: %v", step, outs[0].Err)
			}
		}
		all, err := e.st.ListTerritories(ctx, store.TerritoryQuery{OrgID: e.a.Org.ID})
		if err != nil {
			t.Fatal(err)
		}
		up := map[crmd.ID]crmd.ID{}
		for _, tr := range all {
			up[tr.ID] = tr.ReportingTo
		}
		for _, tr := range all {
			n, hops := tr.ID, 0
			for n != root {
				if n = up[n]; n == 0 || hops > len(all) {
					t.Fatalf("step %d: %s does not reach the root", step, tr.ID)
				}
				hops++
			}
		}
	}
	if accepted == 0 || refused == 0 {
		t.Fatalf("accepted %d, refused %d: the walk did not exercise both", accepted, refused)
	}
}
