package store

import (
	"context"
	"slices"
	"testing"

	"github.com/crmd/crmd"
)

// TestTerritorySelection checks the ids a selection by territory returns, in both of its forms (the
// probed list, and the merge territoryRecordIDs runs for large subtrees): the live, approved records of
// the module and org assigned to the territory or its subtree, each once, in id order.
func TestTerritorySelection(t *testing.T) {
	f := newRecFixture(t)
	ctx := context.Background()
	st := f.st
	root, err := st.EnsureRootTerritory(ctx, f.orgA.ID)
	if err != nil {
		t.Fatal(err)
	}
	top := terrTree(t, st, f.orgA, f.userA, []crmd.ID{root.ID, root.ID})
	west, east := top[0], top[1]
	kids := terrTree(t, st, f.orgA, f.userA, []crmd.ID{west, west})
	c1, c2 := kids[0], kids[1]
	recs := f.add(t, f.orgA, f.userA, f.leadsA, 8, func(i int) string {
		if i == 5 {
			return "pending"
		}
		return "approved"
	})
	accts := f.add(t, f.orgA, f.userA, f.accountsA, 2, nil)
	other := f.add(t, f.orgB, f.userB, f.leadsB, 2, nil)
	assign := map[crmd.ID][]crmd.ID{
		recs[0]:  {c1},
		recs[1]:  {c1, c2}, // in two territories of the subtree: selected once
		recs[2]:  {west},
		recs[3]:  {east}, // outside the subtree
		recs[4]:  {c2},   // soft-deleted below
		recs[5]:  {c1},   // not approved
		recs[6]:  {west, east},
		accts[0]: {west}, // another module
	}
	err = st.Tx(ctx, func(tx *Tx) error {
		for r, ts := range assign {
			if err := st.AssignTerritories(ctx, tx, f.orgA.ID, r, ts, f.userA.ID, 1); err != nil {
				return err
			}
		}
		// Rows no service writes, that a selection must not see through the territory ids alone: another
		// org's record assigned to this org's territory, and a record of this org's module whose row says
		// another org.
		if _, err := tx.q.ExecContext(ctx, st.Q(`INSERT INTO record_territories (record_id, territory_id, org_id, assigned_by, assigned_time)
			VALUES (?, ?, ?, ?, 1), (?, ?, ?, ?, 1)`), int64(other[0]), int64(c1), int64(f.orgB.ID), int64(f.userB.ID),
			int64(other[1]), int64(west), int64(f.orgA.ID), int64(f.userA.ID)); err != nil {
			return err
		}
		_, err := tx.q.ExecContext(ctx, st.Q(`UPDATE records SET deleted_time = 5, deleted_by = ? WHERE id = ?`), int64(f.userA.ID), int64(recs[4]))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		scope    TerritoryScope
		approval string
		want     []crmd.ID
	}{
		{"subtree", TerritoryScope{OrgID: f.orgA.ID, ID: west, IncludeChild: true}, ApprovedOnly, []crmd.ID{recs[0], recs[1], recs[2], recs[6]}},
		{"subtree, any approval", TerritoryScope{OrgID: f.orgA.ID, ID: west, IncludeChild: true}, ApprovedBoth, []crmd.ID{recs[0], recs[1], recs[2], recs[5], recs[6]}},
		{"territory alone", TerritoryScope{OrgID: f.orgA.ID, ID: west}, ApprovedOnly, []crmd.ID{recs[2], recs[6]}},
		{"child", TerritoryScope{OrgID: f.orgA.ID, ID: c1, IncludeChild: true}, ApprovedOnly, []crmd.ID{recs[0], recs[1]}},
		{"another org's territory", TerritoryScope{OrgID: f.orgB.ID, ID: west, IncludeChild: true}, ApprovedOnly, nil},
	} {
		for _, merge := range []bool{false, true} {
			q := RecordQuery{OrgID: f.orgA.ID, ModuleID: f.leadsA.ID, Approval: c.approval, Filter: RecordFilter{Territory: &c.scope}}
			if c.scope.OrgID != f.orgA.ID {
				q.OrgID, q.ModuleID = c.scope.OrgID, f.leadsB.ID
			}
			// The ordinary query (RecordIDs, the subtree being small), or the merge (threshold 1).
			got, err := st.RecordIDs(ctx, q)
			merged := false
			if merge {
				got, merged, err = st.mergeTerritoryIDs(ctx, q, 1)
				if !merged {
					got, err = st.RecordIDs(ctx, q)
				}
			}
			if err != nil {
				t.Fatalf("%s (merge %v): %v", c.name, merge, err)
			}
			if want := merge && st.Dialect == SQLite && len(c.want) > 0; merged != want {
				t.Errorf("%s: merged %v, want %v", c.name, merged, want)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("%s (merge %v): got %v, want %v", c.name, merge, got, c.want)
			}
		}
	}
}
