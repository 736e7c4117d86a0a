package store_test

import (
	"context"
	"testing"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// TestFloorSoftDelete: the floor runs the soft delete's statement on exactly the live ids it is given,
// in a transaction of its own, and refuses (rolling back) a batch with an id that is not live.
func TestFloorSoftDelete(t *testing.T) {
	f := newBinFixture(t)
	ctx := context.Background()
	ids := f.add(t, f.a, f.leadsA, f.a.Admin, "a", "b", "c", "d")
	if err := f.st.FloorSoftDelete(ctx, f.a.Org.ID, f.leadsA.ID, ids[:2], 5000, f.a.Admin.ID, 77); err != nil {
		t.Fatal(err)
	}
	recs, err := f.st.RecordsByID(ctx, nil, f.a.Org.ID, f.leadsA.ID, ids)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		r := recs[id]
		if r == nil {
			t.Fatalf("record %d is gone", id)
		}
		deleted := i < 2
		if (r.DeletedTime != 0) != deleted {
			t.Errorf("record %d: deleted_time %d, want deleted %v", i, r.DeletedTime, deleted)
		}
		if deleted && (r.DeletedTime != 5000 || r.DeletedBy != f.a.Admin.ID || r.DeleteJobID != 77) {
			t.Errorf("record %d: deleted at %d by %d in job %d, want 5000, %d, 77", i, r.DeletedTime, r.DeletedBy, r.DeleteJobID, f.a.Admin.ID)
		}
	}
	// An id already deleted: the whole batch is refused and rolled back.
	if err := f.st.FloorSoftDelete(ctx, f.a.Org.ID, f.leadsA.ID, []crmd.ID{ids[2], ids[0]}, 6000, f.a.Admin.ID, 0); err == nil {
		t.Error("a batch with a deleted id was accepted")
	}
	if r, err := f.st.LiveRecord(ctx, f.a.Org.ID, f.leadsA.ID, ids[2]); err != nil || r == nil {
		t.Errorf("record c after the refused batch: %v %v, want live", r, err)
	}
	// Another org's ids are not touched.
	other := f.add(t, f.b, f.leadsB, f.b.Admin, "x")
	if err := f.st.FloorSoftDelete(ctx, f.a.Org.ID, f.leadsA.ID, other, 6000, f.a.Admin.ID, 0); err == nil {
		t.Error("another org's id was accepted")
	}
}

// TestBenchStoreHelpers: the values crmd bench plans from, the territory assignment by id modulo, and
// the view filter built from a stored user view.
func TestBenchStoreHelpers(t *testing.T) {
	f := newBinFixture(t)
	ctx := context.Background()
	ids := f.add(t, f.a, f.leadsA, f.a.Admin, "a", "b", "c", "d", "e", "f")
	vals, err := f.st.BenchRecordValues(ctx, f.a.Org.ID, f.leadsA.ID, "Last_Name")
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != len(ids) {
		t.Fatalf("%d values for %d records", len(vals), len(ids))
	}
	for i, v := range vals {
		if v.ID != ids[i] || v.Value != string(rune('a'+i)) || v.CreatedTime != 1000 {
			t.Errorf("value %d: %+v", i, v)
		}
	}
	if vals, err = f.st.BenchRecordValues(ctx, f.a.Org.ID, f.leadsA.ID, "Lead_Source"); err != nil || vals[0].Value != "" {
		t.Errorf("an absent field: %+v %v, want empty values", vals, err)
	}

	root, err := f.st.EnsureRootTerritory(ctx, f.a.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	child := &crmd.Territory{OrgID: f.a.Org.ID, Name: "West", APIName: store.TerritoryAPIName("West"), ReportingTo: root.ID,
		PermissionType: crmd.TerritoryReadWriteDelete, CreatedBy: f.a.Admin.ID, ModifiedBy: f.a.Admin.ID}
	f.tx(t, func(tx *store.Tx) error {
		id, err := f.st.AllocIDs(ctx, tx, f.a.Org.ID, 1)
		child.ID = id
		if err != nil {
			return err
		}
		return f.st.InsertTerritory(ctx, tx, child)
	})
	n, err := f.st.BenchAssignTerritory(ctx, f.a.Org.ID, f.leadsA.ID, child.ID, 2, 1, f.a.Admin.ID, 9)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, id := range ids {
		if int64(id)%2 == 1 {
			want++
		}
	}
	if int(n) != want {
		t.Errorf("assigned %d, want %d", n, want)
	}
	got, err := f.st.RecordIDs(ctx, store.RecordQuery{OrgID: f.a.Org.ID, ModuleID: f.leadsA.ID,
		Filter: store.RecordFilter{Territory: &store.TerritoryScope{OrgID: f.a.Org.ID, ID: child.ID}}})
	if err != nil || len(got) != want {
		t.Errorf("the territory selects %v (%v), want %d records", got, err, want)
	}

}
