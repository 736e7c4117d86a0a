package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/store"
)

// binFixture is a store with two orgs (A with a second user), each with the standard modules.
type binFixture struct {
	st     *store.Store
	a, b   *crmdtest.Org
	leadsA *crmd.Module
	accA   *crmd.Module
	leadsB *crmd.Module
}

func newBinFixture(t *testing.T) *binFixture {
	t.Helper()
	st := crmdtest.OpenStore(t)
	f := &binFixture{st: st}
	f.a = crmdtest.NewTeam(t, st, "Acme", "UTC")
	f.b = crmdtest.NewTeam(t, st, "Beta", "UTC")
	f.leadsA, f.accA, f.leadsB = f.a.Module(t, "Leads"), f.a.Module(t, "Accounts"), f.b.Module(t, "Leads")
	return f
}

// add inserts live records named names into a module of an org, owned by owner, and returns their ids.
func (f *binFixture) add(t *testing.T, o *crmdtest.Org, m *crmd.Module, owner *crmd.User, names ...string) []crmd.ID {
	t.Helper()
	ctx := context.Background()
	var ids []crmd.ID
	err := f.st.Tx(ctx, func(tx *store.Tx) error {
		first, err := f.st.AllocIDs(ctx, tx, o.Org.ID, len(names))
		if err != nil {
			return err
		}
		recs := make([]crmd.Record, len(names))
		for i, n := range names {
			recs[i] = crmd.Record{ID: first + crmd.ID(i), OrgID: o.Org.ID, ModuleID: m.ID, OwnerID: owner.ID, CreatedBy: owner.ID,
				ModifiedBy: owner.ID, CreatedTime: 1000, ModifiedTime: 2000, DisplayName: n, Data: []byte(fmt.Sprintf(`{"Last_Name":%q}`, n))}
			ids = append(ids, recs[i].ID)
		}
		return f.st.InsertRecords(ctx, tx, recs)
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// del soft-deletes ids of a module as by at at (Unix ms).
func (f *binFixture) del(t *testing.T, o *crmdtest.Org, m *crmd.Module, by *crmd.User, at int64, ids ...crmd.ID) {
	t.Helper()
	ctx := context.Background()
	err := f.st.Tx(ctx, func(tx *store.Tx) error {
		n, err := f.st.SoftDeleteRecords(ctx, tx, o.Org.ID, m.ID, ids, store.Change{Actor: by.ID, Via: store.ViaIDs, At: at})
		if err == nil && n != int64(len(ids)) {
			err = fmt.Errorf("deleted %d of %d", n, len(ids))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (f *binFixture) tx(t *testing.T, fn func(tx *store.Tx) error) {
	t.Helper()
	if err := f.st.Tx(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func recIDs(recs []*crmd.Record) []crmd.ID {
	var out []crmd.ID
	for _, r := range recs {
		out = append(out, r.ID)
	}
	return out
}

func TestBinListSortsPagesAndStaysInItsOrg(t *testing.T) {
	f := newBinFixture(t)
	ctx := context.Background()
	ids := f.add(t, f.a, f.leadsA, f.a.Admin, "carol", "Alice", "bob")
	acc := f.add(t, f.a, f.accA, f.a.Admin, "Dora")
	live := f.add(t, f.a, f.leadsA, f.a.Admin, "Live")
	other := f.add(t, f.b, f.leadsB, f.b.Admin, "Alice")
	f.del(t, f.a, f.leadsA, f.a.Admin, 300, ids[0])
	f.del(t, f.a, f.leadsA, f.a.Std, 100, ids[1])
	f.del(t, f.a, f.leadsA, f.a.Admin, 200, ids[2])
	f.del(t, f.a, f.accA, f.a.Std, 200, acc[0])
	f.del(t, f.b, f.leadsB, f.b.Admin, 400, other[0])

	list := func(q store.BinQuery) []crmd.ID {
		t.Helper()
		q.OrgID = f.a.Org.ID
		recs, err := f.st.ListBin(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return recIDs(recs)
	}
	// Newest deletion first; the id breaks the tie at 200 (acc[0] was allocated after ids[2]).
	if got, want := list(store.BinQuery{Desc: true}), []crmd.ID{ids[0], acc[0], ids[2], ids[1]}; !slices.Equal(got, want) {
		t.Errorf("default order %v, want %v", got, want)
	}
	if got, want := list(store.BinQuery{SortBy: store.BinSortDisplayName}), []crmd.ID{ids[1], ids[2], ids[0], acc[0]}; !slices.Equal(got, want) {
		t.Errorf("by display_name %v, want %v", got, want)
	}
	// Patricia Boyle (admin) before Sam Rep.
	if got, want := list(store.BinQuery{SortBy: store.BinSortDeletedBy}), []crmd.ID{ids[0], ids[2], ids[1], acc[0]}; !slices.Equal(got, want) {
		t.Errorf("by deleted_by %v, want %v", got, want)
	}
	if got, want := list(store.BinQuery{Desc: true, Offset: 1, Limit: 2}), []crmd.ID{acc[0], ids[2]}; !slices.Equal(got, want) {
		t.Errorf("page %v, want %v", got, want)
	}
	// ids of another org, or of live records, are not in this bin.
	if got, want := list(store.BinQuery{IDs: []crmd.ID{ids[1], other[0], live[0]}}), []crmd.ID{ids[1]}; !slices.Equal(got, want) {
		t.Errorf("by ids %v, want %v", got, want)
	}
	// Filters on the bin's own fields, compiled by the store.
	t200, t300 := int64(200), int64(300)
	byModule := &store.BinFilter{Field: store.BinModule, IDs: []crmd.ID{f.accA.ID}}
	notAccounts := &store.BinFilter{Field: store.BinModule, IDs: []crmd.ID{f.accA.ID}, Not: true}
	for name, c := range map[string]struct {
		filter *store.BinFilter
		want   []crmd.ID
	}{
		"module":     {byModule, []crmd.ID{acc[0]}},
		"not module": {notAccounts, []crmd.ID{ids[0], ids[2], ids[1]}},
		"or":         {&store.BinFilter{Group: store.BinOr, Members: []*store.BinFilter{byModule, {Field: store.BinDeletedBy, IDs: []crmd.ID{f.a.Std.ID}}}}, []crmd.ID{ids[1], acc[0]}},
		"and":        {&store.BinFilter{Group: store.BinAnd, Members: []*store.BinFilter{notAccounts, {Field: store.BinDeletedBy, IDs: []crmd.ID{f.a.Admin.ID}}}}, []crmd.ID{ids[0], ids[2]}},
		"nothing":    {&store.BinFilter{Field: store.BinDeletedBy, IDs: []crmd.ID{f.b.Admin.ID}}, nil},
		"contains":   {&store.BinFilter{Field: store.BinDisplayName, Match: store.BinContains, Values: []string{"O"}}, []crmd.ID{ids[0], ids[2], acc[0]}},
		"starts":     {&store.BinFilter{Field: store.BinDisplayName, Match: store.BinStartsWith, Values: []string{"aL"}}, []crmd.ID{ids[1]}},
		"in":         {&store.BinFilter{Field: store.BinDisplayName, Match: store.BinEqual, Values: []string{"BOB", "dora"}}, []crmd.ID{ids[2], acc[0]}},
		"wildcards":  {&store.BinFilter{Field: store.BinDisplayName, Match: store.BinContains, Values: []string{"%"}}, nil},
		"time range": {&store.BinFilter{Field: store.BinDeletedTime, From: &t200, To: &t300}, []crmd.ID{ids[2], acc[0]}},
		"before":     {&store.BinFilter{Field: store.BinDeletedTime, To: &t200}, []crmd.ID{ids[1]}},
	} {
		if got := list(store.BinQuery{Filter: c.filter, SortBy: store.BinSortDeletedBy}); !slices.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("filter %s: %v, want %v", name, got, c.want)
		}
	}

	for _, c := range []struct {
		org, mod crmd.ID
		want     int
	}{{f.a.Org.ID, 0, 4}, {f.a.Org.ID, f.leadsA.ID, 3}, {f.a.Org.ID, f.accA.ID, 1}, {f.b.Org.ID, 0, 1}, {f.b.Org.ID, f.leadsA.ID, 0}} {
		n, err := f.st.CountBin(ctx, c.org, c.mod)
		if err != nil || n != c.want {
			t.Errorf("count org %v module %v = %d, %v; want %d", c.org, c.mod, n, err, c.want)
		}
	}
}

func TestBinRestoreBringsBackTheSameRecordWithItsTerritories(t *testing.T) {
	f := newBinFixture(t)
	ctx := context.Background()
	ids := f.add(t, f.a, f.leadsA, f.a.Admin, "Ann", "Ben")
	other := f.add(t, f.b, f.leadsB, f.b.Admin, "Xena")
	root, err := f.st.EnsureRootTerritory(ctx, f.a.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.tx(t, func(tx *store.Tx) error {
		return f.st.AssignTerritories(ctx, tx, f.a.Org.ID, ids[0], []crmd.ID{root.ID}, f.a.Admin.ID, 50)
	})
	before, err := f.st.LiveRecord(ctx, f.a.Org.ID, f.leadsA.ID, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	f.del(t, f.a, f.leadsA, f.a.Admin, 100, ids...)
	f.del(t, f.b, f.leadsB, f.b.Admin, 100, other...)

	var n int64
	f.tx(t, func(tx *store.Tx) (err error) {
		// ids[0] is restorable; the other org's record and an unknown id are not.
		n, err = f.st.RestoreRecords(ctx, tx, f.a.Org.ID, []crmd.ID{ids[0], other[0], 42}, store.Change{Via: store.ViaRecycleBin})
		return err
	})
	if n != 1 {
		t.Fatalf("restored %d, want 1", n)
	}
	after, err := f.st.LiveRecord(ctx, f.a.Org.ID, f.leadsA.ID, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if after.ID != before.ID || string(after.Data) != string(before.Data) || after.DisplayName != before.DisplayName ||
		after.ModifiedTime != before.ModifiedTime || after.OwnerID != before.OwnerID || after.DeletedTime != 0 || after.DeletedBy != 0 || after.DeleteJobID != 0 {
		t.Errorf("restored %+v, was %+v", after, before)
	}
	terr, err := f.st.RecordTerritories(ctx, nil, f.a.Org.ID, []crmd.ID{ids[0]})
	if err != nil || len(terr[ids[0]]) != 1 || terr[ids[0]][0].TerritoryID != root.ID {
		t.Errorf("territories after restore: %v, %v", terr, err)
	}
	if n, _ := f.st.CountBin(ctx, f.b.Org.ID, 0); n != 1 {
		t.Errorf("org B's bin holds %d, want 1", n)
	}
}

func TestBinPurgeEmptiesTheRecordAndDropsItsTerritories(t *testing.T) {
	f := newBinFixture(t)
	ctx := context.Background()
	ids := f.add(t, f.a, f.leadsA, f.a.Admin, "Ann", "Ben", "Live")
	root, err := f.st.EnsureRootTerritory(ctx, f.a.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.tx(t, func(tx *store.Tx) error {
		if err := f.st.AssignTerritories(ctx, tx, f.a.Org.ID, ids[0], []crmd.ID{root.ID}, f.a.Admin.ID, 50); err != nil {
			return err
		}
		return f.st.AssignTerritories(ctx, tx, f.a.Org.ID, ids[2], []crmd.ID{root.ID}, f.a.Admin.ID, 50)
	})
	f.del(t, f.a, f.leadsA, f.a.Admin, 100, ids[0], ids[1])
	var n int64
	f.tx(t, func(tx *store.Tx) (err error) {
		n, err = f.st.PurgeRecords(ctx, tx, f.a.Org.ID, []crmd.ID{ids[0], ids[2]}, store.Change{Via: store.ViaRecycleBin, At: 500})
		return err
	})
	if n != 1 {
		t.Fatalf("purged %d, want 1 (the live record is not in the bin)", n)
	}
	recs, err := f.st.ListDeletedRecords(ctx, store.DeletedQuery{OrgID: f.a.Org.ID, ModuleID: f.leadsA.ID, Type: store.DeletedPermanent})
	if err != nil || len(recs) != 1 {
		t.Fatalf("permanent: %v, %v", recs, err)
	}
	if r := recs[0]; r.ID != ids[0] || r.PurgedTime != 500 || string(r.Data) != "{}" || r.DisplayName != "" || r.DeletedTime != 100 {
		t.Errorf("purged row %+v", r)
	}
	terr, err := f.st.RecordTerritories(ctx, nil, f.a.Org.ID, []crmd.ID{ids[0], ids[2]})
	if err != nil || len(terr[ids[0]]) != 0 || len(terr[ids[2]]) != 1 {
		t.Errorf("territories after purge: %v, %v", terr, err)
	}
	if n, _ := f.st.CountBin(ctx, f.a.Org.ID, 0); n != 1 {
		t.Errorf("bin holds %d, want 1", n)
	}
	// A purged record cannot be restored.
	f.tx(t, func(tx *store.Tx) (err error) {
		n, err = f.st.RestoreRecords(ctx, tx, f.a.Org.ID, []crmd.ID{ids[0]}, store.Change{Via: store.ViaRecycleBin})
		return err
	})
	if n != 0 {
		t.Errorf("restored a purged record")
	}
}

// TestBinPurgeDueTouchesOnlyDueRecords: the retention purge's selections and batches (DueBinOrgs,
// DueBinIDs, PurgeDueIDs; ExpiredPurgeOrgs, ExpiredPurgeIDs, DropPermanentIDs) take the records deleted
// (or purged) before the cut-off and no other: not one deleted at the cut-off, not a live one, not one
// of another org, and not one restored and deleted again after the snapshot was taken.
func TestBinPurgeDueTouchesOnlyDueRecords(t *testing.T) {
	f := newBinFixture(t)
	ctx := context.Background()
	names := make([]string, 7)
	for i := range names {
		names[i] = fmt.Sprint("R", i)
	}
	ids := f.add(t, f.a, f.leadsA, f.a.Admin, names...)
	other := f.add(t, f.b, f.leadsB, f.b.Admin, "X", "Y")
	f.del(t, f.a, f.leadsA, f.a.Admin, 100, ids[:5]...)
	f.del(t, f.a, f.leadsA, f.a.Admin, 200, ids[5]) // exactly at the cut-off: not due
	f.del(t, f.b, f.leadsB, f.b.Admin, 150, other[0])
	f.del(t, f.b, f.leadsB, f.b.Admin, 300, other[1])

	orgs, err := f.st.DueBinOrgs(ctx, 200)
	if err != nil || !slices.Equal(orgs, sortedIDs(f.a.Org.ID, f.b.Org.ID)) {
		t.Fatalf("due orgs %v %v", orgs, err)
	}
	due, err := f.st.DueBinIDs(ctx, f.a.Org.ID, 200)
	if err != nil || !slices.Equal(due, ids[:5]) {
		t.Fatalf("due ids of A %v %v, want %v", due, err, ids[:5])
	}
	// A record restored and deleted again after the snapshot is no longer due: the batch skips it.
	f.tx(t, func(tx *store.Tx) error {
		_, err := f.st.RestoreRecords(ctx, tx, f.a.Org.ID, due[:1], store.Change{Via: store.ViaRecycleBin})
		return err
	})
	f.del(t, f.a, f.leadsA, f.a.Admin, 250, due[0])
	var n int64
	f.tx(t, func(tx *store.Tx) (err error) {
		n, err = f.st.PurgeDueIDs(ctx, tx, f.a.Org.ID, append(due, ids[6], other[0]), 200, store.Change{Via: store.ViaRetention, At: 999})
		return err
	})
	if n != 4 {
		t.Errorf("purged %d, want 4 (not the one deleted again, the live one nor another org's)", n)
	}
	if n, _ := f.st.CountBin(ctx, f.a.Org.ID, 0); n != 2 {
		t.Errorf("org A bin %d, want 2 (deleted again; deleted at the cut-off)", n)
	}
	if n, _ := f.st.CountBin(ctx, f.b.Org.ID, 0); n != 2 {
		t.Errorf("org B bin %d, want 2 (untouched)", n)
	}
	if _, err := f.st.LiveRecord(ctx, f.a.Org.ID, f.leadsA.ID, ids[6]); err != nil {
		t.Errorf("live record: %v", err)
	}

	// Purged rows are dropped once their permanent listing time is over, and only those.
	if orgs, err := f.st.ExpiredPurgeOrgs(ctx, 999); err != nil || len(orgs) != 0 {
		t.Errorf("orgs with rows purged before 999: %v %v, want none", orgs, err)
	}
	expired, err := f.st.ExpiredPurgeIDs(ctx, f.a.Org.ID, 1000)
	if err != nil || len(expired) != 4 {
		t.Fatalf("expired rows %v %v, want 4", expired, err)
	}
	var dropped int64
	f.tx(t, func(tx *store.Tx) (err error) {
		dropped, err = f.st.DropPermanentIDs(ctx, tx, f.a.Org.ID, append(expired, ids[5]), 1000)
		return err
	})
	if dropped != 4 {
		t.Errorf("dropped %d, want 4", dropped)
	}
	recs, _ := f.st.ListDeletedRecords(ctx, store.DeletedQuery{OrgID: f.a.Org.ID, ModuleID: f.leadsA.ID})
	if got := recIDs(recs); len(got) != 2 {
		t.Errorf("/deleted after drop: %v, want the 2 records still in the bin", got)
	}
}

func sortedIDs(ids ...crmd.ID) []crmd.ID {
	slices.Sort(ids)
	return ids
}

func TestBinIDsBatchesByOwner(t *testing.T) {
	f := newBinFixture(t)
	ctx := context.Background()
	mine := f.add(t, f.a, f.leadsA, f.a.Std, "S1", "S2", "S3")
	theirs := f.add(t, f.a, f.leadsA, f.a.Admin, "A1")
	f.del(t, f.a, f.leadsA, f.a.Admin, 100, append(mine, theirs...)...)
	got, err := f.st.BinIDs(ctx, nil, f.a.Org.ID, f.a.Std.ID, nil, 2)
	if err != nil || !slices.Equal(got, mine[:2]) {
		t.Errorf("first batch %v, %v; want %v", got, err, mine[:2])
	}
	got, err = f.st.BinIDs(ctx, nil, f.a.Org.ID, 0, nil, 10)
	if err != nil || len(got) != 4 {
		t.Errorf("all %v, %v", got, err)
	}
}
