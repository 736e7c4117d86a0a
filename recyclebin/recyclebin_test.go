package recyclebin_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/app"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/records"
	"github.com/crmd/crmd/recyclebin"
	"github.com/crmd/crmd/store"
)

// t0 is the fixed start of the tests' clock.
var t0 = time.Date(2024, 5, 13, 8, 2, 33, 0, time.UTC)

type env struct {
	t     *testing.T
	ctx   context.Context
	st    *store.Store
	clock *crmdtest.Clock
	a, b  *crmdtest.Org
	recs  *records.Service
	bin   *recyclebin.Service
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st := crmdtest.OpenStore(t)
	a := app.New(st, app.Config{})
	e := &env{t: t, ctx: context.Background(), st: st, clock: crmdtest.UseClock(st, t0), recs: a.Records, bin: a.RecycleBin}
	e.a = crmdtest.NewTeam(t, st, "Acme", "UTC")
	e.b = crmdtest.NewTeam(t, st, "Beta", "UTC")
	return e
}

// insert adds Leads as u and returns their ids.
func (e *env) insert(o *crmdtest.Org, u *crmd.User, lastNames ...string) []crmd.ID {
	e.t.Helper()
	var data []any
	for _, n := range lastNames {
		data = append(data, map[string]any{"Last_Name": n, "Company": "Zylker", "Email": n + "@zylker.com"})
	}
	outs, err := e.recs.Insert(e.ctx, o.Caller(u), o.Module(e.t, "Leads"), map[string]any{"data": data})
	if err != nil {
		e.t.Fatal(err)
	}
	var ids []crmd.ID
	for _, out := range outs {
		if !out.OK() {
			e.t.Fatalf("insert: %v", out.Err)
		}
		ids = append(ids, out.Details["id"].(crmd.ID))
	}
	return ids
}

// del deletes Leads as u through the records service, as DELETE /Leads does.
func (e *env) del(o *crmdtest.Org, u *crmd.User, ids ...crmd.ID) {
	e.t.Helper()
	outs, err := e.recs.Delete(e.ctx, o.Caller(u), o.Module(e.t, "Leads"), ids)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, out := range outs {
		if !out.OK() {
			e.t.Fatalf("delete: %v", out.Err)
		}
	}
}

func (e *env) get(o *crmdtest.Org, id crmd.ID) (map[string]any, error) {
	return e.recs.Get(e.ctx, o.Caller(o.Admin), o.Module(e.t, "Leads"), id.String(), url.Values{})
}

func (e *env) count(o *crmdtest.Org) int {
	e.t.Helper()
	n, err := e.bin.Count(e.ctx, o.Caller(o.Admin), url.Values{})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestRestoreBringsBackTheSameRecord(t *testing.T) {
	e := newEnv(t)
	ids := e.insert(e.a, e.a.Admin, "Smith", "Jones")
	root, err := e.st.EnsureRootTerritory(e.ctx, e.a.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	err = e.st.Tx(e.ctx, func(tx *store.Tx) error {
		return e.st.AssignTerritories(e.ctx, tx, e.a.Org.ID, ids[0], []crmd.ID{root.ID}, e.a.Admin.ID, e.st.NowMS())
	})
	if err != nil {
		t.Fatal(err)
	}
	before, err := e.get(e.a, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if before["Territories"] == nil {
		t.Fatalf("no territories before delete: %v", before)
	}
	e.clock.Advance(time.Hour)
	e.del(e.a, e.a.Admin, ids...)
	if _, err := e.get(e.a, ids[0]); err == nil {
		t.Fatal("deleted record still readable")
	}
	e.clock.Advance(time.Hour)
	res, err := e.bin.Restore(e.ctx, e.a.Caller(e.a.Admin), map[string]any{"ids": []any{ids[0].String(), ids[0].String(), "42"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Outcomes) != 2 || !res.Outcomes[0].OK() || res.Outcomes[0].Message != recyclebin.MsgRestored ||
		res.Outcomes[1].OK() || res.Outcomes[1].Err.Code != "INVALID_DATA" {
		t.Fatalf("outcomes %+v", res.Outcomes)
	}
	after, err := e.get(e.a, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	crmdtest.JSONEq(t, "restored record", after, mustJSON(t, before))
	if n := e.count(e.a); n != 1 {
		t.Errorf("bin holds %d, want 1", n)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRestoreAndDeleteNeedOwnerOrAdmin(t *testing.T) {
	e := newEnv(t)
	adminOwned := e.insert(e.a, e.a.Admin, "Boss")
	stdOwned := e.insert(e.a, e.a.Std, "Rep")
	e.del(e.a, e.a.Admin, adminOwned[0], stdOwned[0])
	std := e.a.Caller(e.a.Std)

	res, err := e.bin.Restore(e.ctx, std, map[string]any{"ids": []any{adminOwned[0].String(), stdOwned[0].String()}})
	if err != nil {
		t.Fatal(err)
	}
	if o := res.Outcomes[0]; o.OK() || o.Err.Code != "NO_PERMISSION" || o.Err.Details["id"] != adminOwned[0] {
		t.Errorf("restore of another's record: %+v", o)
	}
	if !res.Outcomes[1].OK() {
		t.Errorf("restore of own record: %+v", res.Outcomes[1])
	}
	res, err = e.bin.DeleteOne(e.ctx, std, adminOwned[0].String())
	if err != nil || res.Outcomes[0].OK() || res.Outcomes[0].Err.Code != "NO_PERMISSION" {
		t.Errorf("std purge of another's record: %+v %v", res, err)
	}
	if _, err := e.bin.Empty(e.ctx, std); err == nil {
		t.Error("std emptied the bin")
	} else if ce, _ := crmd.AsError(err); ce.Code != "NO_PERMISSION" || ce.Status != 403 {
		t.Errorf("std empty: %v", err)
	}
	res, err = e.bin.Empty(e.ctx, e.a.Caller(e.a.Admin))
	if err != nil || res.Scheduled != nil || res.Outcomes[0].Message != recyclebin.MsgEmptied {
		t.Errorf("admin empty: %+v %v", res, err)
	}
	if n := e.count(e.a); n != 0 {
		t.Errorf("bin holds %d after empty", n)
	}
}

func TestRestoreByFiltersIsScheduledAndLimitedToTheCallersReach(t *testing.T) {
	e := newEnv(t)
	ids := e.insert(e.a, e.a.Admin, "Alpha", "Beta", "Gamma")
	mine := e.insert(e.a, e.a.Std, "Alpine")
	e.del(e.a, e.a.Admin, append(ids, mine...)...)
	other := e.insert(e.b, e.b.Admin, "Alps")
	e.del(e.b, e.b.Admin, other...)

	filter := crmdtest.Decode(t, `{"field":{"api_name":"display_name"},"comparator":"starts_with","value":"alp"}`)
	res, err := e.bin.Restore(e.ctx, e.a.Caller(e.a.Std), map[string]any{"filters": filter})
	if err != nil || res.Scheduled == nil || res.Scheduled.JobID == 0 {
		t.Fatalf("restore by filters: %+v %v", res, err)
	}
	// The Standard user restored only its own Alpine.
	if _, err := e.get(e.a, mine[0]); err != nil {
		t.Errorf("own record not restored: %v", err)
	}
	if _, err := e.get(e.a, ids[0]); err == nil {
		t.Error("another's record restored")
	}
	res, err = e.bin.Restore(e.ctx, e.a.Caller(e.a.Admin), map[string]any{"restore_all_records": true})
	if err != nil || res.Scheduled == nil {
		t.Fatalf("restore all: %+v %v", res, err)
	}
	if n := e.count(e.a); n != 0 {
		t.Errorf("org A bin holds %d after restore all", n)
	}
	if n := e.count(e.b); n != 1 {
		t.Errorf("org B bin holds %d, want 1: restore all crossed orgs", n)
	}
}

func TestListFilters(t *testing.T) {
	e := newEnv(t)
	ids := e.insert(e.a, e.a.Admin, "Alpha")
	ids = append(ids, e.insert(e.a, e.a.Std, "beta_1")...)
	ids = append(ids, e.insert(e.a, e.a.Admin, "Gamma")...)
	e.del(e.a, e.a.Admin, ids[0])
	e.clock.Advance(time.Minute)
	e.del(e.a, e.a.Std, ids[1])
	e.clock.Advance(time.Minute)
	e.del(e.a, e.a.Admin, ids[2])
	admin := e.a.Caller(e.a.Admin)
	list := func(filter string) []crmd.ID {
		t.Helper()
		p, err := e.bin.List(e.ctx, admin, url.Values{"filters": {filter}})
		if err != nil {
			t.Fatalf("%s: %v", filter, err)
		}
		var out []crmd.ID
		for _, it := range p.Items {
			out = append(out, it.ID)
		}
		return out
	}
	stamp := func(d time.Duration) string { return t0.Add(d).Format(time.RFC3339) }
	cases := []struct {
		filter string
		want   []crmd.ID
	}{
		{`{"field":{"api_name":"display_name"},"comparator":"equal","value":"ALPHA"}`, ids[:1]},
		{`{"field":"display_name","comparator":"contains","value":"_"}`, ids[1:2]},
		{`{"field":"display_name","comparator":"not_contains","value":"a_"}`, []crmd.ID{ids[2], ids[0]}},
		{`{"field":"display_name","comparator":"contains","value":"%"}`, nil},
		{`{"field":"display_name","comparator":"ends_with","value":"MA"}`, ids[2:]},
		{`{"field":"module","comparator":"equal","value":"leads"}`, []crmd.ID{ids[2], ids[1], ids[0]}},
		{`{"field":"module","comparator":"not_equal","value":{"api_name":"Leads"}}`, nil},
		{`{"field":"deleted_by","comparator":"equal","value":"` + e.a.Std.ID.String() + `"}`, ids[1:2]},
		{`{"field":"deleted_by","comparator":"not_in","value":[{"id":"` + e.a.Std.ID.String() + `"}]}`, []crmd.ID{ids[2], ids[0]}},
		{`{"field":"deleted_time","comparator":"equal","value":"` + stamp(time.Minute) + `"}`, ids[1:2]},
		{`{"field":"deleted_time","comparator":"greater_than","value":"` + stamp(time.Minute) + `"}`, ids[2:]},
		{`{"field":"deleted_time","comparator":"less_equal","value":"` + stamp(time.Minute) + `"}`, []crmd.ID{ids[1], ids[0]}},
		{`{"field":"deleted_time","comparator":"between","value":["` + stamp(0) + `","` + stamp(time.Minute) + `"]}`, []crmd.ID{ids[1], ids[0]}},
		{`{"group_operator":"OR","group":[{"field":"display_name","comparator":"equal","value":"gamma"},
			{"group_operator":"and","group":[{"field":"module","comparator":"in","value":["Leads"]},{"field":"display_name","comparator":"starts_with","value":"al"}]}]}`, []crmd.ID{ids[2], ids[0]}},
	}
	for _, c := range cases {
		if got := list(c.filter); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.filter, got, c.want)
		}
	}
	bad := []struct {
		filter, code, details string
	}{
		{`{nope`, "INVALID_DATA", `{"param_name":"filters"}`},
		{`{"field":"Last_Name","comparator":"equal","value":"x"}`, "INVALID_DATA", `{"api_name":"field","json_path":"$.field","param_name":"filters","supported_values":["display_name","module","deleted_by","deleted_time"]}`},
		{`{"field":"module","comparator":"contains","value":"x"}`, "INVALID_DATA", `{"api_name":"comparator","json_path":"$.comparator","param_name":"filters","supported_values":["equal","not_equal","in","not_in"]}`},
		{`{"field":"module","comparator":"equal","value":"Nope"}`, "INVALID_DATA", `{"api_name":"module","json_path":"$.value","param_name":"filters"}`},
		{`{"field":"display_name","comparator":"equal"}`, "MANDATORY_NOT_FOUND", `{"api_name":"value","json_path":"$.value","param_name":"filters"}`},
		{`{"field":"deleted_time","comparator":"equal","value":"yesterday"}`, "INVALID_DATA", `{"api_name":"deleted_time","json_path":"$.value","param_name":"filters","expected_data_type":"datetime"}`},
		{`{"group_operator":"xor","group":[]}`, "INVALID_DATA", `{"api_name":"group_operator","json_path":"$.group_operator","param_name":"filters","supported_values":["AND","OR"]}`},
		{`{"group_operator":"and","group":[{"field":"display_name","comparator":"equal","value":"a"}]}`, "INVALID_DATA", `{"api_name":"group","json_path":"$.group","param_name":"filters","minimum_length":2}`},
	}
	for _, c := range bad {
		_, err := e.bin.List(e.ctx, admin, url.Values{"filters": {c.filter}})
		ce, ok := crmd.AsError(err)
		if !ok || ce.Code != c.code {
			t.Errorf("%s: %v, want %s", c.filter, err, c.code)
			continue
		}
		crmdtest.JSONEq(t, c.filter, ce.Details, c.details)
	}
}

func TestPurgerTouchesOnlyDueRecords(t *testing.T) {
	e := newEnv(t)
	old := e.insert(e.a, e.a.Admin, "Old")
	e.del(e.a, e.a.Admin, old...)
	e.clock.Advance(24 * time.Hour)
	young := e.insert(e.b, e.b.Admin, "Young")
	e.del(e.b, e.b.Admin, young...)
	live := e.insert(e.a, e.a.Admin, "Live")

	p := recyclebin.NewPurger(e.st, 60*24*time.Hour, nil)
	// 60 days after the first delete: exactly at its retention, not yet due.
	e.clock.Set(t0.Add(60 * 24 * time.Hour))
	if n, err := p.PurgeDue(e.ctx, e.st.Now()); err != nil || n != 0 {
		t.Fatalf("at the retention: purged %d, %v", n, err)
	}
	e.clock.Advance(time.Millisecond)
	if n, err := p.PurgeDue(e.ctx, e.st.Now()); err != nil || n != 1 {
		t.Fatalf("past the retention: purged %d, %v; want 1", n, err)
	}
	if e.count(e.a) != 0 || e.count(e.b) != 1 {
		t.Errorf("bins after purge: A %d, B %d", e.count(e.a), e.count(e.b))
	}
	if _, err := e.get(e.a, live[0]); err != nil {
		t.Errorf("live record touched: %v", err)
	}
	// The purged record is listed as permanent by /deleted until 120 days after its purge.
	leads := e.a.Module(t, "Leads")
	deleted := func() int {
		t.Helper()
		pg, err := e.recs.ListDeleted(e.ctx, e.a.Caller(e.a.Admin), leads, url.Values{"type": {"permanent"}})
		if err != nil {
			t.Fatal(err)
		}
		return len(pg.Data)
	}
	if deleted() != 1 {
		t.Fatal("purged record not listed as permanent")
	}
	e.clock.Advance(120 * 24 * time.Hour)
	if n, err := p.DropExpired(e.ctx, e.st.Now()); err != nil || n != 0 {
		t.Fatalf("drop at 120 days: %d, %v", n, err)
	}
	e.clock.Advance(time.Millisecond)
	if n, err := p.DropExpired(e.ctx, e.st.Now()); err != nil || n != 1 {
		t.Fatalf("drop after 120 days: %d, %v", n, err)
	}
	if deleted() != 0 {
		t.Error("expired permanent row still listed")
	}
}

func TestPurgerRunStopsWithItsContext(t *testing.T) {
	e := newEnv(t)
	ids := e.insert(e.a, e.a.Admin, "Old")
	e.del(e.a, e.a.Admin, ids...)
	e.clock.Advance(61 * 24 * time.Hour)
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan struct{})
	p := recyclebin.NewPurger(e.st, 0, slog.New(slog.DiscardHandler))
	go func() { p.Run(ctx); close(done) }()
	// Run purges once at start; cancelling then ends it.
	cancel()
	<-done
	// Whether the first pass ran before the cancel or not, PurgeDue finishes the job deterministically.
	if _, err := p.PurgeDue(e.ctx, e.st.Now()); err != nil {
		t.Fatal(err)
	}
	if n := e.count(e.a); n != 0 {
		t.Errorf("bin holds %d", n)
	}
}

// seed writes n Leads of o owned by owner straight into the store and soft-deletes them at the
// clock's time: quicker than the service for the sizes that cross batch and sync limits.
func (e *env) seed(o *crmdtest.Org, owner *crmd.User, n int) {
	e.t.Helper()
	m := o.Module(e.t, "Leads")
	err := e.st.Tx(e.ctx, func(tx *store.Tx) error {
		first, err := e.st.AllocIDs(e.ctx, tx, o.Org.ID, n)
		if err != nil {
			return err
		}
		recs := make([]crmd.Record, n)
		ids := make([]crmd.ID, n)
		for i := range recs {
			ids[i] = first + crmd.ID(i)
			recs[i] = crmd.Record{ID: ids[i], OrgID: o.Org.ID, ModuleID: m.ID, OwnerID: owner.ID, CreatedBy: owner.ID, ModifiedBy: owner.ID,
				CreatedTime: e.st.NowMS(), ModifiedTime: e.st.NowMS(), DisplayName: "Seed", Data: []byte(`{"Last_Name":"Seed"}`)}
		}
		if err := e.st.InsertRecords(e.ctx, tx, recs); err != nil {
			return err
		}
		_, err = e.st.SoftDeleteRecords(e.ctx, tx, o.Org.ID, m.ID, ids, owner.ID, 0, e.st.NowMS())
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func TestLargeOperationsRunInBatches(t *testing.T) {
	e := newEnv(t)
	admin := e.a.Caller(e.a.Admin)
	e.seed(e.a, e.a.Std, recyclebin.SyncLimit+1)
	e.seed(e.b, e.b.Admin, 3)

	// A restore by filters crosses several batches and restores every match.
	res, err := e.bin.Restore(e.ctx, admin, map[string]any{"filters": crmdtest.Decode(t, `{"field":"display_name","comparator":"equal","value":"seed"}`)})
	if err != nil || res.Scheduled == nil {
		t.Fatalf("restore: %+v %v", res, err)
	}
	if n := e.count(e.a); n != 0 {
		t.Fatalf("bin holds %d after restoring all", n)
	}

	// Emptying a bin of more than SyncLimit records answers SCHEDULED, and empties it all the same.
	e.seed(e.a, e.a.Std, recyclebin.SyncLimit+1)
	res, err = e.bin.Empty(e.ctx, admin)
	if err != nil || res.Scheduled == nil || res.Scheduled.Message != recyclebin.MsgEmptySchedule {
		t.Fatalf("empty: %+v %v", res, err)
	}
	if n := e.count(e.a); n != 0 {
		t.Errorf("bin holds %d after empty", n)
	}

	// The purger crosses batches too, and leaves the records that are not due.
	e.seed(e.a, e.a.Std, recyclebin.PurgeBatch*2+1)
	e.clock.Advance(time.Hour)
	e.seed(e.a, e.a.Std, 2)
	p := recyclebin.NewPurger(e.st, time.Hour, slog.New(slog.DiscardHandler))
	n, err := p.PurgeDue(e.ctx, e.st.Now().Add(time.Millisecond))
	if err != nil || n != recyclebin.PurgeBatch*2+1+3 {
		t.Errorf("purged %d, %v; want %d (org A's old records and org B's)", n, err, recyclebin.PurgeBatch*2+1+3)
	}
	if n := e.count(e.a); n != 2 {
		t.Errorf("bin holds %d, want the 2 records that are not due", n)
	}
}
