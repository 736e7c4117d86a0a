package store

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/crmd/crmd"
)

// viewDefs are stand-in system view definitions; the real ones live in package views.
func viewDefs(names ...string) []crmd.View {
	out := make([]crmd.View, len(names))
	for i, n := range names {
		out[i] = crmd.View{Name: "View " + n, DisplayValue: "View " + n, SystemName: n, Default: i == 0}
	}
	return out
}

func countSystemViews(t *testing.T, st *Store, orgID, moduleID crmd.ID) map[string]int {
	t.Helper()
	vs, err := st.ModuleViews(context.Background(), orgID, moduleID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, v := range vs {
		if v.IsSystem() {
			out[v.SystemName]++
		}
	}
	return out
}

func TestEnsureSystemViewsIdempotentUnderRaces(t *testing.T) {
	f := newRecFixture(t)
	ctx := context.Background()
	defs := viewDefs("ALLVIEWS", "MYVIEWS", "today")

	// A second store on the same file stands for another process.
	other, err := Open(ctx, f.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		st := f.st
		if i%2 == 1 {
			st = other
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := st.EnsureSystemViews(ctx, f.orgA.ID, f.leadsA.ID, defs)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got := countSystemViews(t, f.st, f.orgA.ID, f.leadsA.ID)
	if len(got) != 3 || got["ALLVIEWS"] != 1 || got["MYVIEWS"] != 1 || got["today"] != 1 {
		t.Fatalf("system views after racing ensures: %v", got)
	}
	before, _ := f.st.ModuleViews(ctx, f.orgA.ID, f.leadsA.ID)

	// A later build adding a system view creates only that one; existing ids stay.
	if n, err := f.st.EnsureSystemViews(ctx, f.orgA.ID, f.leadsA.ID, viewDefs("ALLVIEWS", "MYVIEWS", "today", "UNREADVIEWS")); err != nil || n != 1 {
		t.Fatalf("created %d: %v", n, err)
	}
	if n, err := f.st.EnsureSystemViews(ctx, f.orgA.ID, f.leadsA.ID, viewDefs("ALLVIEWS", "MYVIEWS", "today", "UNREADVIEWS")); err != nil || n != 0 {
		t.Fatalf("created %d again: %v", n, err)
	}
	after, _ := f.st.ModuleViews(ctx, f.orgA.ID, f.leadsA.ID)
	if len(after) != 4 {
		t.Fatalf("got %d views, want 4", len(after))
	}
	for i, v := range before {
		if after[i].ID != v.ID || after[i].SystemName != v.SystemName {
			t.Errorf("view %d changed: %+v -> %+v", i, v, after[i])
		}
	}
	if !after[0].Default || after[1].Default || after[0].AccessType != "public" || after[0].CreatedBy != 0 || after[0].CreatedTime != 0 {
		t.Errorf("first system view %+v", after[0])
	}
	// Other modules and orgs are untouched.
	if n := len(countSystemViews(t, f.st, f.orgA.ID, f.accountsA.ID)); n != 0 {
		t.Errorf("Accounts has %d system views", n)
	}
	if n := len(countSystemViews(t, f.st, f.orgB.ID, f.leadsB.ID)); n != 0 {
		t.Errorf("org B has %d system views", n)
	}
}

func TestCreateUpdateDeleteViews(t *testing.T) {
	f := newRecFixture(t)
	ctx := context.Background()
	if _, err := f.st.EnsureSystemViews(ctx, f.orgA.ID, f.leadsA.ID, viewDefs("ALLVIEWS")); err != nil {
		t.Fatal(err)
	}
	mk := func(name string, m *crmd.Module) *crmd.View {
		return &crmd.View{ModuleID: m.ID, Name: name, DisplayValue: name, AccessType: "only_to_me", CreatedBy: f.userA.ID,
			ModifiedBy: f.userA.ID, CreatedTime: 1000, ModifiedTime: 1000, Fields: []string{"Last_Name", "Email"},
			Criteria: []byte(`{"field":{"api_name":"Last_Name","id":"1"},"comparator":"equal","value":"x"}`), SortBy: "Last_Name", SortOrder: "asc"}
	}
	batch := []*crmd.View{mk("Hot", f.leadsA), mk("hot", f.leadsA), mk("Cold", f.leadsA), mk("Hot", f.accountsA)}
	added, err := f.st.CreateViews(ctx, f.orgA.ID, batch)
	if err != nil {
		t.Fatal(err)
	}
	if !added[0] || added[1] || !added[2] || !added[3] {
		t.Fatalf("added %v: names are unique per module, case-insensitively", added)
	}
	if batch[0].ID == 0 || batch[1].ID != 0 || batch[2].ID == 0 || batch[3].ID == 0 {
		t.Fatalf("ids %v %v %v %v", batch[0].ID, batch[1].ID, batch[2].ID, batch[3].ID)
	}
	// An existing name is taken too, and a system view's name is not reserved by the database.
	added, err = f.st.CreateViews(ctx, f.orgA.ID, []*crmd.View{mk("COLD", f.leadsA), mk("View ALLVIEWS", f.leadsA)})
	if err != nil {
		t.Fatal(err)
	}
	if added[0] || !added[1] {
		t.Fatalf("added %v", added)
	}

	got, err := f.st.View(ctx, f.orgA.ID, f.leadsA.ID, batch[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Hot" || got.IsSystem() || string(got.Criteria) != string(batch[0].Criteria) || len(got.Fields) != 2 ||
		got.SortBy != "Last_Name" || got.SortOrder != "asc" || got.AccessType != "only_to_me" || got.CreatedBy != f.userA.ID || got.CreatedTime != 1000 {
		t.Errorf("stored view %+v", got)
	}
	// Tenant and module isolation: the id is not found elsewhere.
	if _, err := f.st.View(ctx, f.orgB.ID, f.leadsB.ID, batch[0].ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("org B sees org A's view: %v", err)
	}
	if _, err := f.st.View(ctx, f.orgA.ID, f.accountsA.ID, batch[0].ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Accounts sees a Leads view: %v", err)
	}

	// Update: a rename onto another view's name is a duplicate; clearing criteria and sort works.
	upd := *got
	upd.Name = "cold"
	if err := f.st.UpdateView(ctx, &upd); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("rename onto Cold: %v", err)
	}
	upd.Name, upd.DisplayValue, upd.Criteria, upd.SortBy, upd.SortOrder, upd.Fields = "HOT", "HOT", nil, "", "", nil
	upd.ModifiedTime = 2000
	if err := f.st.UpdateView(ctx, &upd); err != nil {
		t.Fatal(err)
	}
	got, _ = f.st.View(ctx, f.orgA.ID, f.leadsA.ID, batch[0].ID)
	if got.Name != "HOT" || got.Criteria != nil || got.SortBy != "" || got.SortOrder != "" || len(got.Fields) != 0 || got.ModifiedTime != 2000 || got.CreatedTime != 1000 {
		t.Errorf("updated view %+v", got)
	}
	// System views are neither updated nor deleted here.
	vs, _ := f.st.ModuleViews(ctx, f.orgA.ID, f.leadsA.ID)
	sys := vs[0]
	if !sys.IsSystem() {
		t.Fatalf("system views come first: %+v", vs)
	}
	sys.Name = "Renamed"
	if err := f.st.UpdateView(ctx, sys); !errors.Is(err, ErrNotFound) {
		t.Errorf("update of a system view: %v", err)
	}
	if err := f.st.DeleteView(ctx, f.orgA.ID, f.leadsA.ID, sys.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete of a system view: %v", err)
	}
	// Delete: another org cannot, the owner org can, once.
	if err := f.st.DeleteView(ctx, f.orgB.ID, f.leadsB.ID, batch[0].ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("org B deleted org A's view: %v", err)
	}
	if err := f.st.DeleteView(ctx, f.orgA.ID, f.leadsA.ID, batch[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := f.st.DeleteView(ctx, f.orgA.ID, f.leadsA.ID, batch[0].ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	// The freed name can be used again.
	added, err = f.st.CreateViews(ctx, f.orgA.ID, []*crmd.View{mk("hot", f.leadsA)})
	if err != nil || !added[0] {
		t.Fatalf("reuse of a deleted view's name: %v %v", added, err)
	}
}

func TestRecordReadsAndUnread(t *testing.T) {
	f := newRecFixture(t)
	ctx := context.Background()
	ids := f.add(t, f.orgA, f.userA, f.leadsA, 4, nil)
	unread := func(user crmd.ID) []crmd.ID {
		recs, err := f.st.ListRecords(ctx, RecordQuery{OrgID: f.orgA.ID, ModuleID: f.leadsA.ID, Filter: RecordFilter{View: &ViewFilter{UnreadBy: user}}})
		if err != nil {
			t.Fatal(err)
		}
		var out []crmd.ID
		for _, r := range recs {
			out = append(out, r.ID)
		}
		return out
	}
	if got := unread(f.userA.ID); len(got) != 4 {
		t.Fatalf("unread before any read: %v", got)
	}
	for i := 0; i < 2; i++ { // marking twice is harmless
		if err := f.st.MarkRecordRead(ctx, f.userA.ID, ids[1]); err != nil {
			t.Fatal(err)
		}
	}
	got := unread(f.userA.ID)
	if len(got) != 3 {
		t.Fatalf("unread after reading %v: %v", ids[1], got)
	}
	for _, id := range got {
		if id == ids[1] {
			t.Errorf("read record %v still unread", id)
		}
	}
	// Reads are per user.
	if got := unread(f.userB.ID); len(got) != 4 {
		t.Errorf("another user's reads leak: %v", got)
	}
}
