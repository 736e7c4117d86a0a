package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/catalog"
	"github.com/crmd/crmd/internal/testdb"
)

// recFixture is a store with two orgs, each with the standard modules.
type recFixture struct {
	st           *Store
	dsn          string // what st was opened on, for a second store on the same database
	orgA, orgB   *crmd.Org
	userA, userB *crmd.User
	leadsA       *crmd.Module
	accountsA    *crmd.Module
	leadsB       *crmd.Module
}

func newRecFixture(t testing.TB) *recFixture {
	t.Helper()
	ctx := context.Background()
	dsn := testdb.DSN(t)
	st, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &recFixture{st: st, dsn: dsn}
	f.orgA, f.userA, err = st.CreateOrg(ctx, NewOrg{Name: "A", AdminEmail: "a@a.test", AdminLast: "A", Modules: catalog.Standard()})
	if err != nil {
		t.Fatal(err)
	}
	f.orgB, f.userB, err = st.CreateOrg(ctx, NewOrg{Name: "B", AdminEmail: "b@b.test", AdminLast: "B", Modules: catalog.Standard()})
	if err != nil {
		t.Fatal(err)
	}
	mod := func(org crmd.ID, name string) *crmd.Module {
		m, err := st.Module(ctx, org, name)
		if err != nil || m == nil {
			t.Fatalf("module %s: %v", name, err)
		}
		return m
	}
	f.leadsA, f.accountsA, f.leadsB = mod(f.orgA.ID, "Leads"), mod(f.orgA.ID, "Accounts"), mod(f.orgB.ID, "Leads")
	return f
}

// add inserts n records of a module in one transaction; record i gets created_time base+i/2 (pairs of
// records share a time, so that ties are exercised) and modified_time base-i.
func (f *recFixture) add(t testing.TB, org *crmd.Org, user *crmd.User, m *crmd.Module, n int, approval func(i int) string) []crmd.ID {
	t.Helper()
	ctx := context.Background()
	var ids []crmd.ID
	err := f.st.Tx(ctx, func(tx *Tx) error {
		first, err := f.st.AllocIDs(ctx, tx, org.ID, n)
		if err != nil {
			return err
		}
		recs := make([]crmd.Record, n)
		for i := range recs {
			state := ""
			if approval != nil {
				state = approval(i)
			}
			recs[i] = crmd.Record{ID: first + crmd.ID(i), OrgID: org.ID, ModuleID: m.ID, OwnerID: user.ID, CreatedBy: user.ID,
				ModifiedBy: user.ID, CreatedTime: 1_700_000_000_000 + int64(i/2), ModifiedTime: 1_800_000_000_000 - int64(i),
				ApprovalState: state, DisplayName: fmt.Sprintf("R%04d", i), Data: []byte(fmt.Sprintf(`{"Last_Name":"R%04d","N":%d}`, i, i%7))}
			ids = append(ids, recs[i].ID)
		}
		return f.st.InsertRecords(ctx, tx, recs)
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestRecordsInsertAndRead(t *testing.T) {
	f := newRecFixture(t)
	ctx := context.Background()
	ids := f.add(t, f.orgA, f.userA, f.leadsA, 250, func(i int) string {
		if i == 3 {
			return "approval_process_pending"
		}
		return ""
	})
	r, err := f.st.LiveRecord(ctx, f.orgA.ID, f.leadsA.ID, ids[3])
	if err != nil {
		t.Fatal(err)
	}
	if r.DisplayName != "R0003" || !sameJSON(r.Data, `{"Last_Name":"R0003","N":3}`) || r.ApprovalState != "approval_process_pending" ||
		r.Approved() || r.OwnerID != f.userA.ID || r.CreatedTime != 1_700_000_000_001 || r.DeletedTime != 0 {
		t.Errorf("read back %+v", r)
	}
	r, _ = f.st.LiveRecord(ctx, f.orgA.ID, f.leadsA.ID, ids[4])
	if r.ApprovalState != "approved" {
		t.Errorf("empty approval state stored as %q", r.ApprovalState)
	}
	// Scoped by org and module.
	for name, c := range map[string]struct{ org, mod, id crmd.ID }{
		"other org":    {f.orgB.ID, f.leadsA.ID, ids[0]},
		"other module": {f.orgA.ID, f.accountsA.ID, ids[0]},
		"unknown":      {f.orgA.ID, f.leadsA.ID, ids[0] - 1000},
	} {
		if _, err := f.st.LiveRecord(ctx, c.org, c.mod, c.id); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: %v", name, err)
		}
	}
	got, err := f.st.RecordsByID(ctx, nil, f.orgB.ID, f.leadsB.ID, ids[:5])
	if err != nil || len(got) != 0 {
		t.Errorf("org B sees org A's records: %v %v", got, err)
	}
	names, err := f.st.LiveRecordNames(ctx, nil, f.orgA.ID, f.leadsA.ID, []crmd.ID{ids[1], ids[2], 42})
	if err != nil || len(names) != 2 || names[ids[2]] != "R0002" {
		t.Errorf("names %v %v", names, err)
	}
}

// walkRecords lists every page of q with the given page size, by offset or by keyset.
func walkRecords(t *testing.T, st *Store, q RecordQuery, size int, keyset bool) []crmd.ID {
	t.Helper()
	var out []crmd.ID
	for page := 0; ; page++ {
		q.Limit = size
		if !keyset {
			q.Offset = page * size
		}
		recs, err := st.ListRecords(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			out = append(out, r.ID)
		}
		if len(recs) < size {
			return out
		}
		if !keyset {
			continue
		}
		last := recs[len(recs)-1]
		key := int64(last.ID)
		switch q.SortBy {
		case SortCreatedTime:
			key = last.CreatedTime
		case SortModifiedTime:
			key = last.ModifiedTime
		}
		q.After = &Cursor{Key: key, ID: last.ID}
	}
}

func TestRecordsListPaging(t *testing.T) {
	f := newRecFixture(t)
	ids := f.add(t, f.orgA, f.userA, f.leadsA, 333, func(i int) string {
		if i%10 == 0 {
			return "webform_unapproved"
		}
		return ""
	})
	f.add(t, f.orgB, f.userB, f.leadsB, 50, nil)
	f.add(t, f.orgA, f.userA, f.accountsA, 20, nil)
	approved := func(desc bool) []crmd.ID {
		var out []crmd.ID
		for i, id := range ids {
			if i%10 != 0 {
				out = append(out, id)
			}
		}
		if desc {
			for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
				out[i], out[j] = out[j], out[i]
			}
		}
		return out
	}
	base := RecordQuery{OrgID: f.orgA.ID, ModuleID: f.leadsA.ID}
	eq := func(name string, got, want []crmd.ID) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: got %d ids %v…, want %d", name, len(got), got[:min(3, len(got))], len(want))
		}
	}
	for _, keyset := range []bool{false, true} {
		// Ids ascend with creation, so id order and creation order (id breaking ties) agree, and
		// modification order is the reverse.
		q := base
		q.Desc = true
		eq(fmt.Sprintf("id desc keyset=%v", keyset), walkRecords(t, f.st, q, 40, keyset), approved(true))
		q = base
		q.SortBy = SortCreatedTime
		eq(fmt.Sprintf("created asc keyset=%v", keyset), walkRecords(t, f.st, q, 7, keyset), approved(false))
		q.Desc = true
		eq(fmt.Sprintf("created desc keyset=%v", keyset), walkRecords(t, f.st, q, 64, keyset), approved(true))
		q = base
		q.SortBy = SortModifiedTime
		eq(fmt.Sprintf("modified asc keyset=%v", keyset), walkRecords(t, f.st, q, 50, keyset), approved(true))
	}
	q := base
	q.Approval = ApprovedBoth
	if got := walkRecords(t, f.st, q, 1000, false); len(got) != 333 {
		t.Errorf("both: %d", len(got))
	}
	q.Approval = UnapprovedOnly
	if got := walkRecords(t, f.st, q, 1000, false); len(got) != 34 {
		t.Errorf("unapproved: %d", len(got))
	}
	q = base
	q.IDs = []crmd.ID{ids[1], ids[2], ids[10], 77}
	eq("ids filter", walkRecords(t, f.st, q, 10, false), []crmd.ID{ids[1], ids[2]})
	// v2 sorts on a data value, id breaking ties.
	q = base
	q.SortField = "N"
	got := walkRecords(t, f.st, q, 1000, false)
	if len(got) != 299 {
		t.Fatalf("json sort: %d", len(got))
	}
	recs, _ := f.st.RecordsByID(context.Background(), nil, f.orgA.ID, f.leadsA.ID, got)
	prev := -1
	for _, id := range got {
		var n int
		fmt.Sscanf(strings.Split(string(recs[id].Data), `"N":`)[1], "%d", &n)
		if n < prev {
			t.Fatalf("json sort out of order at %d", id)
		}
		prev = n
	}
}

func TestRecordsListUsesLiveIndexes(t *testing.T) {
	f := newRecFixture(t)
	if f.st.Dialect != SQLite {
		t.Skip("asserts SQLite query plans (EXPLAIN QUERY PLAN)")
	}
	for _, c := range []struct {
		query string
		index string
	}{
		{`SELECT id FROM records WHERE org_id = 1 AND module_id = 2 AND deleted_time IS NULL AND approval_state = 'approved' ORDER BY id DESC LIMIT 201 OFFSET 0`, "records_live"},
		{`SELECT id FROM records WHERE org_id = 1 AND module_id = 2 AND deleted_time IS NULL AND (created_time, id) < (5, 6) ORDER BY created_time DESC, id DESC LIMIT 201`, "records_created"},
		{`SELECT id FROM records WHERE org_id = 1 AND module_id = 2 AND deleted_time IS NULL AND (modified_time, id) > (5, 6) ORDER BY modified_time ASC, id ASC LIMIT 201`, "records_modified"},
		{`SELECT id FROM records WHERE org_id = 1 AND module_id = 2 AND deleted_time IS NOT NULL ORDER BY deleted_time DESC, id DESC LIMIT 201`, "records_deleted"},
	} {
		rows, err := f.st.R.Query(`EXPLAIN QUERY PLAN ` + c.query)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			rows.Scan(&id, &parent, &notused, &detail)
			plan = append(plan, detail)
		}
		rows.Close()
		p := strings.Join(plan, "; ")
		if !strings.Contains(p, "INDEX "+c.index) {
			t.Errorf("%s: plan %q does not use %s", c.query, p, c.index)
		}
		if strings.Contains(p, "TEMP B-TREE") && c.index != "records_deleted" {
			t.Errorf("%s: plan %q sorts in memory", c.query, p)
		}
	}
}

func TestRecordsSoftDeleteAndDeletedList(t *testing.T) {
	f := newRecFixture(t)
	ctx := context.Background()
	ids := f.add(t, f.orgA, f.userA, f.leadsA, 5, nil)
	bIDs := f.add(t, f.orgB, f.userB, f.leadsB, 2, nil)
	del := func(org, mod crmd.ID, at int64, ids ...crmd.ID) int64 {
		var n int64
		if err := f.st.Tx(ctx, func(tx *Tx) error {
			var err error
			n, err = f.st.SoftDeleteRecords(ctx, tx, org, mod, ids, Change{Actor: f.userA.ID, Via: ViaIDs, At: at})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := del(f.orgA.ID, f.leadsA.ID, 1000, ids[0], ids[1], bIDs[0]); n != 2 {
		t.Errorf("deleted %d, want 2 (org B's id is out of reach)", n)
	}
	if n := del(f.orgA.ID, f.leadsA.ID, 2000, ids[1], ids[2]); n != 1 {
		t.Errorf("deleted %d, want 1 (already deleted stays as it was)", n)
	}
	if _, err := f.st.LiveRecord(ctx, f.orgA.ID, f.leadsA.ID, ids[0]); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted record still live: %v", err)
	}
	live, _ := f.st.ListRecords(ctx, RecordQuery{OrgID: f.orgA.ID, ModuleID: f.leadsA.ID, Approval: ApprovedBoth})
	if len(live) != 2 {
		t.Errorf("%d live records, want 2", len(live))
	}
	if names, _ := f.st.LiveRecordNames(ctx, nil, f.orgA.ID, f.leadsA.ID, ids); len(names) != 2 {
		t.Errorf("deleted records still resolve as lookups: %v", names)
	}
	all, _ := f.st.RecordsByID(ctx, nil, f.orgA.ID, f.leadsA.ID, ids)
	if r := all[ids[1]]; r.DeletedTime != 1000 || r.DeletedBy != f.userA.ID {
		t.Errorf("deleted record %+v", r)
	}
	// Purge one by hand (the purge job's work) and list each kind, newest deletion first.
	if _, err := f.st.W.Exec(f.st.Q(`UPDATE records SET purged_time = 3000 WHERE id = ?`), int64(ids[0])); err != nil {
		t.Fatal(err)
	}
	for typ, want := range map[string][]crmd.ID{
		DeletedAll: {ids[2], ids[1], ids[0]}, "": {ids[2], ids[1], ids[0]}, DeletedRecycle: {ids[2], ids[1]}, DeletedPermanent: {ids[0]},
	} {
		recs, err := f.st.ListDeletedRecords(ctx, DeletedQuery{OrgID: f.orgA.ID, ModuleID: f.leadsA.ID, Type: typ})
		if err != nil {
			t.Fatal(err)
		}
		var got []crmd.ID
		for _, r := range recs {
			got = append(got, r.ID)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("deleted %q: %v, want %v", typ, got, want)
		}
	}
	if recs, _ := f.st.ListDeletedRecords(ctx, DeletedQuery{OrgID: f.orgB.ID, ModuleID: f.leadsB.ID}); len(recs) != 0 {
		t.Errorf("org B's bin holds %d records", len(recs))
	}
	page, _ := f.st.ListDeletedRecords(ctx, DeletedQuery{OrgID: f.orgA.ID, ModuleID: f.leadsA.ID, Offset: 1, Limit: 1})
	if len(page) != 1 || page[0].ID != ids[1] {
		t.Errorf("deleted page 2: %v", page)
	}
}

func TestRecordsUpdate(t *testing.T) {
	f := newRecFixture(t)
	ctx := context.Background()
	ids := f.add(t, f.orgA, f.userA, f.leadsA, 2, nil)
	recs, _ := f.st.RecordsByID(ctx, nil, f.orgA.ID, f.leadsA.ID, ids)
	r := *recs[ids[0]]
	r.Data, r.DisplayName, r.ModifiedTime, r.ApprovalState = []byte(`{"Last_Name":"New"}`), "New", 5, "approved"
	if err := f.st.Tx(ctx, func(tx *Tx) error { return f.st.UpdateRecords(ctx, tx, []*crmd.Record{&r}) }); err != nil {
		t.Fatal(err)
	}
	got, _ := f.st.LiveRecord(ctx, f.orgA.ID, f.leadsA.ID, ids[0])
	if !sameJSON(got.Data, `{"Last_Name":"New"}`) || got.DisplayName != "New" || got.ModifiedTime != 5 || got.CreatedTime != r.CreatedTime {
		t.Errorf("updated %+v", got)
	}
	// An update aimed at another org's module changes nothing and fails the transaction.
	r.ModuleID, r.OrgID = f.leadsB.ID, f.orgB.ID
	if err := f.st.Tx(ctx, func(tx *Tx) error { return f.st.UpdateRecords(ctx, tx, []*crmd.Record{&r}) }); err == nil {
		t.Error("cross-org update succeeded")
	}
}

// BenchmarkInsertRecords measures what the seeder relies on (≥ 50,000 rows/s); it prints rows/s.
func BenchmarkInsertRecords(b *testing.B) {
	f := newRecFixture(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f.add(b, f.orgA, f.userA, f.leadsA, 10_000, nil)
	}
	b.ReportMetric(float64(10_000*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// sameJSON reports whether the JSON document got means the same as want: PostgreSQL's jsonb gives
// documents back with its own key order and spacing.
func sameJSON(got []byte, want string) bool {
	var g, w any
	if json.Unmarshal(got, &g) != nil || json.Unmarshal([]byte(want), &w) != nil {
		return false
	}
	return reflect.DeepEqual(g, w)
}

// TestRecordsSortFieldMissingValues checks where records without the sort field go: first when
// ascending and last when descending, as SQLite orders NULL, on every database.
func TestRecordsSortFieldMissingValues(t *testing.T) {
	f := newRecFixture(t)
	ctx := context.Background()
	docs := []string{`{"Last_Name":"a","S":"b"}`, `{"Last_Name":"b"}`, `{"Last_Name":"c","S":"B"}`, `{"Last_Name":"d","S":"a"}`}
	var ids []crmd.ID
	err := f.st.Tx(ctx, func(tx *Tx) error {
		first, err := f.st.AllocIDs(ctx, tx, f.orgA.ID, len(docs))
		if err != nil {
			return err
		}
		recs := make([]crmd.Record, len(docs))
		for i, d := range docs {
			recs[i] = crmd.Record{ID: first + crmd.ID(i), OrgID: f.orgA.ID, ModuleID: f.leadsA.ID, OwnerID: f.userA.ID, CreatedBy: f.userA.ID,
				ModifiedBy: f.userA.ID, CreatedTime: 1, ModifiedTime: 1, DisplayName: "x", Data: []byte(d)}
			ids = append(ids, recs[i].ID)
		}
		return f.st.InsertRecords(ctx, tx, recs)
	})
	if err != nil {
		t.Fatal(err)
	}
	q := RecordQuery{OrgID: f.orgA.ID, ModuleID: f.leadsA.ID, SortField: "S"}
	if got, want := walkRecords(t, f.st, q, 10, false), []crmd.ID{ids[1], ids[2], ids[3], ids[0]}; !slices.Equal(got, want) {
		t.Errorf("ascending: %v, want %v", got, want)
	}
	q.Desc = true
	if got, want := walkRecords(t, f.st, q, 10, false), []crmd.ID{ids[0], ids[3], ids[2], ids[1]}; !slices.Equal(got, want) {
		t.Errorf("descending: %v, want %v", got, want)
	}
}
