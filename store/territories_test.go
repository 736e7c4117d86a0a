package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/catalog"
	"github.com/crmd/crmd/internal/testdb"
)

// terrTree builds territories under parents in one transaction: territory i reports to parents[i]. It
// returns the new ids in order.
func terrTree(t testing.TB, st *Store, org *crmd.Org, by *crmd.User, parents []crmd.ID) []crmd.ID {
	t.Helper()
	ctx := context.Background()
	var ids []crmd.ID
	err := st.Tx(ctx, func(tx *Tx) error {
		first, err := st.AllocIDs(ctx, tx, org.ID, len(parents))
		if err != nil {
			return err
		}
		for i, p := range parents {
			id := first + crmd.ID(i)
			name := fmt.Sprintf("T%d", id)
			if err := st.InsertTerritory(ctx, tx, &crmd.Territory{ID: id, OrgID: org.ID, Name: name, APIName: name,
				PermissionType: crmd.TerritoryReadOnly, ReportingTo: p, CreatedBy: by.ID, ModifiedBy: by.ID}); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// terrChain builds a chain of n territories below parent, each reporting to the one before.
func terrChain(t testing.TB, st *Store, org *crmd.Org, by *crmd.User, parent crmd.ID, n int) []crmd.ID {
	t.Helper()
	var ids []crmd.ID
	for i := 0; i < n; i++ {
		ids = append(ids, terrTree(t, st, org, by, []crmd.ID{parent})...)
		parent = ids[len(ids)-1]
	}
	return ids
}

// bfsSubtree reads every territory row of the org with a plain SELECT and walks the subtree of id
// breadth-first in Go: the reference the recursive query is checked against.
func bfsSubtree(t testing.TB, st *Store, orgID, id crmd.ID) []crmd.ID {
	t.Helper()
	rows, err := st.R.Query(st.Q(`SELECT id, reporting_to FROM territories WHERE org_id = ?`), int64(orgID))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	kids := map[crmd.ID][]crmd.ID{}
	exists := map[crmd.ID]bool{}
	for rows.Next() {
		var tid int64
		var parent sql.NullInt64
		if err := rows.Scan(&tid, &parent); err != nil {
			t.Fatal(err)
		}
		exists[crmd.ID(tid)] = true
		if parent.Valid {
			kids[crmd.ID(parent.Int64)] = append(kids[crmd.ID(parent.Int64)], crmd.ID(tid))
		}
	}
	if !exists[id] {
		return nil
	}
	out := []crmd.ID{id}
	for i := 0; i < len(out); i++ {
		out = append(out, kids[out[i]]...)
	}
	return out
}

func sortedIDs(ids []crmd.ID) []crmd.ID {
	c := slices.Clone(ids)
	slices.Sort(c)
	return c
}

// checkSubtree compares the recursive query's answer with the Go walk, and checks the territory comes
// first.
func checkSubtree(t *testing.T, st *Store, orgID, id crmd.ID) []crmd.ID {
	t.Helper()
	got, err := st.SubtreeTerritoryIDs(context.Background(), nil, orgID, id)
	if err != nil {
		t.Fatal(err)
	}
	want := bfsSubtree(t, st, orgID, id)
	if !slices.Equal(sortedIDs(got), sortedIDs(want)) {
		t.Fatalf("subtree of %s: got %d ids, want %d (%v vs %v)", id, len(got), len(want), got, want)
	}
	if len(got) > 0 && got[0] != id {
		t.Fatalf("subtree of %s starts with %s", id, got[0])
	}
	return got
}

func TestTerritoryRootIdempotent(t *testing.T) {
	f := newRecFixture(t)
	ctx := context.Background()
	if _, err := f.st.RootTerritory(ctx, nil, f.orgA.ID); err != ErrNotFound {
		t.Fatalf("root before first use: %v", err)
	}
	r1, err := f.st.EnsureRootTerritory(ctx, f.orgA.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r1.Name != "A" || r1.APIName != "A" || r1.Description == nil || *r1.Description != crmd.RootTerritoryDescription ||
		!r1.IsRoot() || r1.PermissionType != crmd.TerritoryReadWriteDelete || r1.CreatedBy != f.userA.ID || r1.CreatedTime != f.orgA.CreatedTime {
		t.Fatalf("root %+v", r1)
	}
	r2, err := f.st.EnsureRootTerritory(ctx, f.orgA.ID)
	if err != nil || r2.ID != r1.ID {
		t.Fatalf("second ensure: %v %v", r2, err)
	}
	rb, err := f.st.EnsureRootTerritory(ctx, f.orgB.ID)
	if err != nil || rb.ID == r1.ID || rb.OrgID != f.orgB.ID {
		t.Fatalf("org B root: %v %v", rb, err)
	}
	// The database itself refuses a second root.
	_, err = f.st.W.Exec(f.st.Q(`INSERT INTO territories (id, org_id, name, name_lower, api_name, permission_type, created_by, created_time, modified_by, modified_time)
		VALUES (?, ?, 'Other', 'other', 'Other', 'read_only', 1, 1, 1, 1)`), int64(r1.ID)+1_000_000, int64(f.orgA.ID))
	if err == nil || !isUniqueViolation(err) {
		t.Fatalf("second root inserted: %v", err)
	}
}

// TestTerritoryRootRace races EnsureRootTerritory from several processes' worth of stores (separate
// connection pools on one file) and goroutines: exactly one root comes out and everyone sees it.
func TestTerritoryRootRace(t *testing.T) {
	ctx := context.Background()
	path := testdb.DSN(t)
	var stores []*Store
	for i := 0; i < 3; i++ {
		st, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		stores = append(stores, st)
	}
	var orgs []*crmd.Org
	for i := 0; i < 3; i++ {
		org, _, err := stores[0].CreateOrg(ctx, NewOrg{Name: fmt.Sprintf("Org%d", i), AdminEmail: fmt.Sprintf("a%d@x.test", i), AdminLast: "A", Modules: catalog.Standard()[:1]})
		if err != nil {
			t.Fatal(err)
		}
		orgs = append(orgs, org)
	}
	const perStore = 8
	got := make([][]crmd.ID, len(orgs))
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for oi, org := range orgs {
		for _, st := range stores {
			for g := 0; g < perStore; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					r, err := st.EnsureRootTerritory(ctx, org.ID)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					got[oi] = append(got[oi], r.ID)
					mu.Unlock()
				}()
			}
		}
	}
	close(start)
	wg.Wait()
	for oi, org := range orgs {
		if len(got[oi]) != len(stores)*perStore {
			t.Fatalf("org %d: %d answers", oi, len(got[oi]))
		}
		for _, id := range got[oi] {
			if id != got[oi][0] {
				t.Fatalf("org %d: roots %v differ", oi, got[oi])
			}
		}
		var n int
		if err := stores[0].R.QueryRow(stores[0].Q(`SELECT COUNT(*) FROM territories WHERE org_id = ?`), int64(org.ID)).Scan(&n); err != nil || n != 1 {
			t.Fatalf("org %d: %d territories (%v)", oi, n, err)
		}
	}
}

func TestTerritorySubtreeDeepChain(t *testing.T) {
	f := newRecFixture(t)
	ctx := context.Background()
	root, err := f.st.EnsureRootTerritory(ctx, f.orgA.ID)
	if err != nil {
		t.Fatal(err)
	}
	const depth = 25
	chain := terrChain(t, f.st, f.orgA, f.userA, root.ID, depth)
	// A side branch half-way down, and a tree in the other org, must stay out of the wrong subtrees.
	side := terrChain(t, f.st, f.orgA, f.userA, chain[depth/2], 3)
	rootB, err := f.st.EnsureRootTerritory(ctx, f.orgB.ID)
	if err != nil {
		t.Fatal(err)
	}
	terrChain(t, f.st, f.orgB, f.userB, rootB.ID, 5)

	if got := checkSubtree(t, f.st, f.orgA.ID, root.ID); len(got) != 1+depth+3 {
		t.Fatalf("root subtree has %d territories", len(got))
	}
	for i, id := range chain {
		got := checkSubtree(t, f.st, f.orgA.ID, id)
		want := depth - i
		if i <= depth/2 {
			want += 3
		}
		if len(got) != want {
			t.Fatalf("level %d: %d territories, want %d", i+1, len(got), want)
		}
	}
	checkSubtree(t, f.st, f.orgA.ID, side[0])
	// Another org's territory has no subtree here.
	if got, err := f.st.SubtreeTerritoryIDs(ctx, nil, f.orgA.ID, rootB.ID); err != nil || len(got) != 0 {
		t.Fatalf("foreign subtree: %v %v", got, err)
	}
	// Ancestry walks up, as deep as the chain.
	leaf := chain[depth-1]
	for _, c := range []struct {
		anc, node crmd.ID
		want      bool
	}{
		{root.ID, leaf, true}, {chain[0], leaf, true}, {leaf, leaf, true}, {leaf, chain[0], false},
		{side[0], leaf, false}, {chain[depth/2], side[2], true}, {rootB.ID, leaf, false},
	} {
		got, err := f.st.TerritoryAncestorOf(ctx, nil, f.orgA.ID, c.anc, c.node)
		if err != nil || got != c.want {
			t.Errorf("AncestorOf(%s, %s) = %v %v, want %v", c.anc, c.node, got, err, c.want)
		}
	}
}

func TestTerritorySubtreeWide(t *testing.T) {
	f := newRecFixture(t)
	ctx := context.Background()
	root, err := f.st.EnsureRootTerritory(ctx, f.orgA.ID)
	if err != nil {
		t.Fatal(err)
	}
	// 12 + 12·9 + 108·10 = 1,200 territories on three levels below the root.
	l1 := terrTree(t, f.st, f.orgA, f.userA, slices.Repeat([]crmd.ID{root.ID}, 12))
	var p2, p3 []crmd.ID
	for _, p := range l1 {
		p2 = append(p2, slices.Repeat([]crmd.ID{p}, 9)...)
	}
	l2 := terrTree(t, f.st, f.orgA, f.userA, p2)
	for _, p := range l2 {
		p3 = append(p3, slices.Repeat([]crmd.ID{p}, 10)...)
	}
	l3 := terrTree(t, f.st, f.orgA, f.userA, p3)
	if n := len(l1) + len(l2) + len(l3); n < 1000 {
		t.Fatalf("only %d territories", n)
	}
	if got := checkSubtree(t, f.st, f.orgA.ID, root.ID); len(got) != 1+12+108+1080 {
		t.Fatalf("root subtree: %d", len(got))
	}
	for _, id := range []crmd.ID{l1[0], l1[11], l2[0], l2[57], l3[0], l3[1079]} {
		checkSubtree(t, f.st, f.orgA.ID, id)
	}

	// The records filter: records assigned at every level, one query selecting the subtree's records.
	leads := f.add(t, f.orgA, f.userA, f.leadsA, 40, nil)
	where := map[crmd.ID][]crmd.ID{} // territory → records
	assign := func(rec crmd.ID, terrs ...crmd.ID) {
		err := f.st.Tx(ctx, func(tx *Tx) error {
			return f.st.AssignTerritories(ctx, tx, f.orgA.ID, rec, terrs, f.userA.ID, 5)
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, tid := range terrs {
			where[tid] = append(where[tid], rec)
		}
	}
	assign(leads[0], root.ID)
	assign(leads[1], l1[0])
	assign(leads[2], l2[0])          // under l1[0]
	assign(leads[3], l3[0], l3[500]) // under l2[0] and elsewhere
	assign(leads[4], l3[1079])       // under l1[11]
	assign(leads[5], l1[11], l2[0])
	for _, c := range []struct {
		terr    crmd.ID
		subtree bool
	}{{root.ID, false}, {root.ID, true}, {l1[0], false}, {l1[0], true}, {l2[0], true}, {l3[0], true}, {l1[11], true}, {l2[1], true}} {
		want := map[crmd.ID]bool{}
		scope := []crmd.ID{c.terr}
		if c.subtree {
			scope = bfsSubtree(t, f.st, f.orgA.ID, c.terr)
		}
		for _, tid := range scope {
			for _, r := range where[tid] {
				want[r] = true
			}
		}
		// Both SQL forms — the list that drives a query and the per-row probe — select the same records.
		// A territory alone is listed; beside a view (here one selecting every record) it is probed.
		ts := &TerritoryScope{OrgID: f.orgA.ID, ID: c.terr, IncludeChild: c.subtree}
		for form, filter := range map[string]RecordFilter{
			"filter": {Territory: ts},
			"probe":  {View: &ViewFilter{}, Territory: ts},
		} {
			recs, err := f.st.ListRecords(ctx, RecordQuery{OrgID: f.orgA.ID, ModuleID: f.leadsA.ID, Filter: filter})
			if err != nil {
				t.Fatal(err)
			}
			got := map[crmd.ID]bool{}
			for _, r := range recs {
				got[r.ID] = true
			}
			if len(got) != len(want) {
				t.Fatalf("%s %s subtree=%v: got %v, want %v", form, c.terr, c.subtree, got, want)
			}
			for id := range want {
				if !got[id] {
					t.Fatalf("%s %s subtree=%v: %s missing", form, c.terr, c.subtree, id)
				}
			}
		}
	}
}

// TestTerritoryQueriesUseIndexes checks the plans: the subtree walk steps through territories_parent
// and the records filter reads record_territories_territory.
func TestTerritoryQueriesUseIndexes(t *testing.T) {
	f := newRecFixture(t)
	if f.st.Dialect != SQLite {
		t.Skip("asserts SQLite query plans (EXPLAIN QUERY PLAN)")
	}
	plan := func(q string, args ...any) string {
		rows, err := f.st.R.Query(`EXPLAIN QUERY PLAN `+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			rows.Scan(&id, &parent, &notused, &detail)
			out = append(out, detail)
		}
		return strings.Join(out, "; ")
	}
	p := plan(subtreeCTE+` SELECT id FROM sub`, 1, 2, 1)
	if !strings.Contains(p, "territories_parent") {
		t.Errorf("subtree plan %q does not step through territories_parent", p)
	}
	for _, sub := range []bool{false, true} {
		pred := territoryList(TerritoryScope{OrgID: f.orgA.ID, ID: 5, IncludeChild: sub})
		p := plan(`SELECT id FROM records WHERE org_id = ? AND module_id = ? AND deleted_time IS NULL AND (`+pred.sql+`)`,
			append([]any{1, 2}, pred.args...)...)
		if !strings.Contains(p, "record_territories_territory") {
			t.Errorf("filter (subtree=%v) plan %q does not read record_territories_territory", sub, p)
		}
	}
}

// TestTerritorySubtreeStopsOnCorruptCycle edits rows by hand into a cycle, which the service never
// lets happen: the recursive walk still ends, with each territory once.
func TestTerritorySubtreeStopsOnCorruptCycle(t *testing.T) {
	f := newRecFixture(t)
	ctx := context.Background()
	root, _ := f.st.EnsureRootTerritory(ctx, f.orgA.ID)
	chain := terrChain(t, f.st, f.orgA, f.userA, root.ID, 4)
	if _, err := f.st.W.Exec(f.st.Q(`UPDATE territories SET reporting_to = ? WHERE id = ?`), int64(chain[3]), int64(chain[0])); err != nil {
		t.Fatal(err)
	}
	got, err := f.st.SubtreeTerritoryIDs(ctx, nil, f.orgA.ID, chain[1])
	if err != nil || !slices.Equal(sortedIDs(got), sortedIDs(chain)) {
		t.Fatalf("cycle walk: %v %v", got, err)
	}
}

func TestTerritoryTransferDeleteAndAssignments(t *testing.T) {
	f := newRecFixture(t)
	ctx := context.Background()
	root, _ := f.st.EnsureRootTerritory(ctx, f.orgA.ID)
	ts := terrTree(t, f.st, f.orgA, f.userA, []crmd.ID{root.ID, root.ID})
	a, b := ts[0], ts[1]
	kids := terrTree(t, f.st, f.orgA, f.userA, []crmd.ID{a, a})
	recs := f.add(t, f.orgA, f.userA, f.leadsA, 3, nil)
	err := f.st.Tx(ctx, func(tx *Tx) error {
		if err := f.st.AssignTerritories(ctx, tx, f.orgA.ID, recs[0], []crmd.ID{a}, f.userA.ID, 10); err != nil {
			return err
		}
		if err := f.st.AssignTerritories(ctx, tx, f.orgA.ID, recs[1], []crmd.ID{a, b}, f.userA.ID, 11); err != nil {
			return err
		}
		return f.st.AssignTerritories(ctx, tx, f.orgA.ID, recs[2], []crmd.ID{kids[0]}, f.userA.ID, 12)
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.st.RecordTerritories(ctx, nil, f.orgA.ID, recs)
	if err != nil || len(got[recs[0]]) != 1 || len(got[recs[1]]) != 2 || got[recs[1]][1].TerritoryID != b || got[recs[2]][0].AssignedTime != 12 {
		t.Fatalf("record territories: %+v %v", got, err)
	}
	// Deleting a with its children in place is refused by the foreign key.
	if err := f.st.Tx(ctx, func(tx *Tx) error { return f.st.DeleteTerritories(ctx, tx, f.orgA.ID, []crmd.ID{a}) }); err == nil {
		t.Fatal("deleted a territory with children")
	}
	// Transfer a to b: children and records move (recs[1] keeps one row for b), then a goes.
	err = f.st.Tx(ctx, func(tx *Tx) error {
		if err := f.st.TransferTerritory(ctx, tx, f.orgA.ID, a, b, f.userA.ID, 99); err != nil {
			return err
		}
		return f.st.DeleteTerritories(ctx, tx, f.orgA.ID, []crmd.ID{a})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kids {
		kt, err := f.st.Territory(ctx, nil, f.orgA.ID, k)
		if err != nil || kt.ReportingTo != b || kt.ModifiedTime != 99 {
			t.Fatalf("child after transfer: %+v %v", kt, err)
		}
	}
	got, _ = f.st.RecordTerritories(ctx, nil, f.orgA.ID, recs)
	if len(got[recs[0]]) != 1 || got[recs[0]][0].TerritoryID != b || got[recs[0]][0].AssignedTime != 10 ||
		len(got[recs[1]]) != 1 || got[recs[1]][0].TerritoryID != b {
		t.Fatalf("assignments after transfer: %+v", got)
	}
	if _, err := f.st.Territory(ctx, nil, f.orgA.ID, a); err != ErrNotFound {
		t.Fatalf("a still there: %v", err)
	}
	// Deleting a leaf drops its assignments, never the records.
	if err := f.st.Tx(ctx, func(tx *Tx) error { return f.st.DeleteTerritories(ctx, tx, f.orgA.ID, []crmd.ID{kids[0]}) }); err != nil {
		t.Fatal(err)
	}
	got, _ = f.st.RecordTerritories(ctx, nil, f.orgA.ID, recs)
	if len(got[recs[2]]) != 0 {
		t.Fatalf("assignment of a deleted territory survives: %+v", got[recs[2]])
	}
	if _, err := f.st.LiveRecord(ctx, f.orgA.ID, f.leadsA.ID, recs[2]); err != nil {
		t.Fatalf("record gone with its territory: %v", err)
	}
	// Removing, and the records' modification stamp.
	err = f.st.Tx(ctx, func(tx *Tx) error {
		if err := f.st.RemoveTerritories(ctx, tx, f.orgA.ID, recs[1], []crmd.ID{b}); err != nil {
			return err
		}
		return f.st.TouchRecords(ctx, tx, f.orgA.ID, f.leadsA.ID, []crmd.ID{recs[1]}, f.userA.ID, 123)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ = f.st.RecordTerritories(ctx, nil, f.orgA.ID, recs); len(got[recs[1]]) != 0 {
		t.Fatalf("removed assignment survives: %+v", got[recs[1]])
	}
	if r, _ := f.st.LiveRecord(ctx, f.orgA.ID, f.leadsA.ID, recs[1]); r.ModifiedTime != 123 {
		t.Fatalf("record not touched: %d", r.ModifiedTime)
	}
}

func TestTerritoryListNamesAndAPIName(t *testing.T) {
	f := newRecFixture(t)
	ctx := context.Background()
	root, _ := f.st.EnsureRootTerritory(ctx, f.orgA.ID)
	ts := terrTree(t, f.st, f.orgA, f.userA, []crmd.ID{root.ID, root.ID, root.ID})
	kids := terrTree(t, f.st, f.orgA, f.userA, []crmd.ID{ts[1], ts[1]})
	all, err := f.st.ListTerritories(ctx, TerritoryQuery{OrgID: f.orgA.ID})
	if err != nil || len(all) != 6 || all[0].ID != root.ID {
		t.Fatalf("list: %d %v", len(all), err)
	}
	page, _ := f.st.ListTerritories(ctx, TerritoryQuery{OrgID: f.orgA.ID, Offset: 2, Limit: 2})
	if len(page) != 2 || page[0].ID != ts[1] {
		t.Fatalf("page: %+v", page)
	}
	children, _ := f.st.ListTerritories(ctx, TerritoryQuery{OrgID: f.orgA.ID, Parent: ts[1]})
	if len(children) != 2 || children[0].ID != kids[0] {
		t.Fatalf("children: %+v", children)
	}
	byID, _ := f.st.ListTerritories(ctx, TerritoryQuery{OrgID: f.orgA.ID, IDs: []crmd.ID{kids[1], 42}})
	if len(byID) != 1 || byID[0].ID != kids[1] {
		t.Fatalf("by ids: %+v", byID)
	}
	if taken, _ := f.st.TerritoryNameTaken(ctx, nil, f.orgA.ID, strings.ToLower(all[1].Name), 0); !taken {
		t.Fatal("name not taken case-insensitively")
	}
	if taken, _ := f.st.TerritoryNameTaken(ctx, nil, f.orgA.ID, all[1].Name, all[1].ID); taken {
		t.Fatal("a territory's own name counts as taken")
	}
	if taken, _ := f.st.TerritoryNameTaken(ctx, nil, f.orgB.ID, all[1].Name, 0); taken {
		t.Fatal("names leak across orgs")
	}
	for in, want := range map[string]string{"West": "West", "North America": "North_America", " a--b ": "a_b", "Ünïcode": "n_code", "--": "Territory"} {
		if got := TerritoryAPIName(in); got != want {
			t.Errorf("TerritoryAPIName(%q) = %q, want %q", in, got, want)
		}
	}
}
