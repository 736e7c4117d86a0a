package views

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/criteria"
)

// inputs numbers the items of a call (their Pos).
func inputs(in ...Input) []Input {
	for i := range in {
		in[i].Pos = i
	}
	return in
}

// outcome is a result as "" (success) or "CODE {details}".
func outcome(r crmd.Result[*crmd.View]) string {
	if r.OK() {
		return ""
	}
	b, _ := json.Marshal(r.Err.Details)
	return r.Err.Code + " " + string(b)
}

// createdIDs creates views and returns their ids, failing the test unless every one was created.
func (f *fixture) createdIDs(t *testing.T, c *crmd.Caller, m *crmd.Module, in ...Input) []crmd.ID {
	t.Helper()
	rs, err := f.svc.Create(context.Background(), c, m, inputs(in...))
	if err != nil {
		t.Fatal(err)
	}
	var out []crmd.ID
	for i, r := range rs {
		if !r.OK() {
			t.Fatalf("create %d: %s", i, outcome(r))
		}
		out = append(out, r.Value.ID)
	}
	return out
}

func TestCreateValidation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.caller(f.std)
	long := strings.Repeat("é", MaxNameLength+1)
	notObject := crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"json_path": "$.custom_views[10]", "expected_data_type": "jsonobject"})
	rs, err := f.svc.Create(ctx, c, f.leads, inputs(
		Input{Name: Set("Good"), Fields: Set(fields(f.leads, "Last_Name", "Email", "Last_Name")), SortBy: Set(f.leads.Field("Last_Name")), SortOrder: Set("DESC")},
		Input{},
		Input{Name: Null[string]()},
		Input{Name: Set(long)},
		Input{Name: Set("good")},
		Input{Name: Set("All Leads")},
		Input{Name: Set("   ")},
		Input{Name: Set("Tab\there")},
		Input{Name: Set("Bad order"), SortOrder: Set("up")},
		Input{Name: Set("Bad access"), AccessType: Set("shared")},
		Input{Err: notObject},
		Input{Name: Set("  Trimmed  "), Criteria: Null[*criteria.Node]()},
	))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"",
		`MANDATORY_NOT_FOUND {"api_name":"name","json_path":"$.custom_views[1].name"}`,
		`MANDATORY_NOT_FOUND {"api_name":"name","json_path":"$.custom_views[2].name"}`,
		`INVALID_DATA {"api_name":"name","json_path":"$.custom_views[3].name","maximum_length":50}`,
		`DUPLICATE_DATA {"api_name":"name","json_path":"$.custom_views[4].name"}`,
		`DUPLICATE_DATA {"api_name":"name","json_path":"$.custom_views[5].name"}`,
		`MANDATORY_NOT_FOUND {"api_name":"name","json_path":"$.custom_views[6].name"}`,
		`INVALID_DATA {"api_name":"name","json_path":"$.custom_views[7].name"}`,
		`INVALID_DATA {"api_name":"sort_order","json_path":"$.custom_views[8].sort_order","supported_values":["asc","desc"]}`,
		`INVALID_DATA {"api_name":"access_type","json_path":"$.custom_views[9].access_type","supported_values":["public","only_to_me"]}`,
		`INVALID_DATA {"expected_data_type":"jsonobject","json_path":"$.custom_views[10]"}`,
		"",
	}
	for i, r := range rs {
		if got := outcome(r); got != want[i] {
			t.Errorf("item %d: %s\n want %s", i, got, want[i])
		}
	}
	v, err := f.svc.Lookup(ctx, c, f.leads, rs[0].Value.ID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(v.Fields, ",") != "Last_Name,Email" || v.SortBy != "Last_Name" || v.SortOrder != "desc" || v.AccessType != AccessOnlyToMe ||
		v.CreatedBy != f.std.ID || v.CreatedTime != f.clock.Now().UnixMilli() || v.Criteria != nil {
		t.Errorf("created %+v", v)
	}
	trimmed, _ := f.svc.Lookup(ctx, c, f.leads, rs[11].Value.ID)
	if trimmed.Name != "Trimmed" || trimmed.DisplayValue != "Trimmed" {
		t.Errorf("trimmed name %q", trimmed.Name)
	}
}

// TestFaultOrder: a key the HTTP layer could not decode is answered in its turn: after the checks of
// the keys before it and before those of the keys after it, and on update after the view's id and
// the caller's right to change it.
func TestFaultOrder(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.caller(f.admin)
	bad := func(key string) *crmd.Error {
		return crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"api_name": key})
	}
	rs, err := f.svc.Create(ctx, c, f.leads, inputs(
		Input{Name: Set(strings.Repeat("x", MaxNameLength+1)), Fields: Fault[[]*crmd.Field](bad("fields"))},
		Input{Name: Fault[string](bad("name")), SortOrder: Set("up")},
		Input{Name: Set("a"), Criteria: Fault[*criteria.Node](bad("criteria")), Fields: Fault[[]*crmd.Field](bad("fields"))},
		Input{Name: Set("b"), Fields: Fault[[]*crmd.Field](bad("fields")), SortBy: Fault[*crmd.Field](bad("sort_by"))},
		Input{Name: Set("c"), SortBy: Fault[*crmd.Field](bad("sort_by")), SortOrder: Set("up")},
		Input{Name: Set("d"), SortOrder: Set("up"), AccessType: Set("shared")},
	))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`INVALID_DATA {"api_name":"name","json_path":"$.custom_views[0].name","maximum_length":50}`,
		`INVALID_DATA {"api_name":"name"}`,
		`INVALID_DATA {"api_name":"criteria"}`,
		`INVALID_DATA {"api_name":"fields"}`,
		`INVALID_DATA {"api_name":"sort_by"}`,
		`INVALID_DATA {"api_name":"sort_order","json_path":"$.custom_views[5].sort_order","supported_values":["asc","desc"]}`,
	}
	for i, r := range rs {
		if got := outcome(r); got != want[i] {
			t.Errorf("create %d: %s\n want %s", i, got, want[i])
		}
	}
	sys := f.system(t, c, f.leads)
	rs, err = f.svc.Update(ctx, c, f.leads, inputs(
		Input{ID: Set(sys[SysAll].ID), Name: Fault[string](bad("name"))},
		Input{ID: Fault[crmd.ID](bad("id")), Name: Null[string]()},
		Input{ID: Set(crmd.ID(42)), Name: Fault[string](bad("name"))},
	))
	if err != nil {
		t.Fatal(err)
	}
	want = []string{
		fmt.Sprintf(`NOT_ALLOWED {"id":"%s"}`, sys[SysAll].ID),
		`INVALID_DATA {"api_name":"id"}`,
		`INVALID_DATA {"api_name":"id","json_path":"$.custom_views[2].id"}`,
	}
	for i, r := range rs {
		if got := outcome(r); got != want[i] {
			t.Errorf("update %d: %s\n want %s", i, got, want[i])
		}
	}
}

func TestUpdateAndDeleteRules(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin, std := f.caller(f.admin), f.caller(f.std)
	sys := f.system(t, admin, f.leads)
	mk := func(c *crmd.Caller, name, access string) crmd.ID {
		return f.createdIDs(t, c, f.leads, Input{Name: Set(name), AccessType: Set(access),
			Criteria: Set(parse(t, f.leads, `{"field":"Last_Name","comparator":"equal","value":"x"}`)), SortBy: Set(f.leads.Field("Last_Name"))})[0]
	}
	adminView := mk(admin, "Admin's", AccessPublic)
	stdView := mk(std, "Std's", AccessOnlyToMe)
	other := mk(std, "Other", AccessOnlyToMe)

	f.clock.Set(f.clock.Now().Add(time.Hour))
	rs, err := f.svc.Update(ctx, std, f.leads, inputs(
		Input{ID: Set(stdView), Name: Set("Renamed"), Criteria: Null[*criteria.Node](), SortBy: Null[*crmd.Field]()},
		Input{ID: Set(adminView), Name: Set("Mine now")},
		Input{ID: Set(sys[SysAll].ID), Name: Set("x")},
		Input{Name: Set("no id")},
		Input{ID: Set(crmd.ID(42)), Name: Set("unknown")},
		Input{ID: Set(stdView), Name: Set("other")},
		Input{ID: Null[crmd.ID](), Name: Set("null id")},
	))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"",
		fmt.Sprintf(`NO_PERMISSION {"id":"%s"}`, adminView),
		fmt.Sprintf(`NOT_ALLOWED {"id":"%s"}`, sys[SysAll].ID),
		`MANDATORY_NOT_FOUND {"api_name":"id","json_path":"$.custom_views[3].id"}`,
		`INVALID_DATA {"api_name":"id","json_path":"$.custom_views[4].id"}`,
		`DUPLICATE_DATA {"api_name":"name","json_path":"$.custom_views[5].name"}`,
		`MANDATORY_NOT_FOUND {"api_name":"id","json_path":"$.custom_views[6].id"}`,
	}
	for i, r := range rs {
		if r.OK() && (r.Value.ID != stdView || r.Value.Name != "Renamed") {
			t.Errorf("item %d: %+v", i, r.Value)
		}
		if got := outcome(r); got != want[i] {
			t.Errorf("item %d: %s\n want %s", i, got, want[i])
		}
	}
	v, _ := f.svc.Lookup(ctx, std, f.leads, stdView)
	if v.Name != "Renamed" || v.Criteria != nil || v.SortBy != "" || v.ModifiedTime != f.clock.Now().UnixMilli() || v.ModifiedBy != f.std.ID || v.AccessType != AccessOnlyToMe {
		t.Errorf("after update %+v", v)
	}
	// An admin may change anyone's view.
	rs, err = f.svc.Update(ctx, admin, f.leads, inputs(Input{ID: Set(stdView), SortOrder: Set("asc")}))
	if err != nil || !rs[0].OK() || rs[0].Value.SortOrder != "asc" || rs[0].Value.ModifiedBy != f.admin.ID {
		t.Fatalf("admin update: %v %+v", err, rs)
	}
	// Another org's view is no view.
	rs, err = f.svc.Update(ctx, f.caller(f.adminB), f.leadsB, inputs(Input{ID: Set(stdView), Name: Set("z")}))
	if err != nil || outcome(rs[0]) != `INVALID_DATA {"api_name":"id","json_path":"$.custom_views[0].id"}` {
		t.Errorf("update of another org's view: %v %s", err, outcome(rs[0]))
	}

	// Delete.
	for _, tc := range []struct {
		c    *crmd.Caller
		id   crmd.ID
		want string
	}{
		{std, sys[SysMine].ID, fmt.Sprintf(`NOT_ALLOWED {"id":"%s"}`, sys[SysMine].ID)},
		{std, adminView, fmt.Sprintf(`NO_PERMISSION {"id":"%s"}`, adminView)},
	} {
		err := f.svc.Delete(ctx, tc.c, f.leads, tc.id)
		if code, d := errDetails(t, err); code+" "+d != tc.want {
			t.Errorf("delete %s: %s %s", tc.id, code, d)
		}
	}
	if err := f.svc.Delete(ctx, std, f.leads, 42); !errors.Is(err, ErrUnknownView) {
		t.Errorf("delete of an unknown view: %v", err)
	}
	if err := f.svc.Delete(ctx, admin, f.leads, other); err != nil {
		t.Fatalf("admin deletes std's view: %v", err)
	}
	if err := f.svc.Delete(ctx, std, f.leads, other); !errors.Is(err, ErrUnknownView) {
		t.Errorf("deleted twice: %v", err)
	}
	if err := f.svc.Delete(ctx, std, f.leads, stdView); err != nil {
		t.Fatalf("own delete: %v", err)
	}
}
