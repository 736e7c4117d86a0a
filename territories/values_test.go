package territories_test

import (
	"context"
	"strings"
	"testing"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/territories"
)

// TestServiceKeepsValueRules: a caller of the service that is not the HTTP layer (which checks these
// while decoding) still cannot write a territory with a blank or overlong name, an unknown permission
// type, an overlong description or a manager from outside the org; each item gets the error the HTTP
// layer gives, and nothing is written.
func TestServiceKeepsValueRules(t *testing.T) {
	e := newSvcEnv(t)
	ctx := context.Background()
	root := e.root(t, e.a)
	long := strings.Repeat("é", territories.MaxDescriptionLength+1)
	good := territories.Draft{Name: "North", PermissionType: crmd.TerritoryReadOnly, ReportingTo: root}
	bad := func(f func(*territories.Draft)) territories.Draft { d := good; f(&d); return d }
	drafts := []territories.Draft{
		bad(func(d *territories.Draft) { d.Name = "   " }),
		bad(func(d *territories.Draft) { d.Name = strings.Repeat("n", territories.MaxNameLength+1) }),
		bad(func(d *territories.Draft) { d.PermissionType = "Read_Only" }),
		bad(func(d *territories.Draft) { d.Description = &long }),
		bad(func(d *territories.Draft) { d.Manager = e.b.User.ID }), // org B's admin
	}
	for i := range drafts {
		drafts[i].Pos = i
	}
	want := []string{
		`MANDATORY_NOT_FOUND name $.territories[0].name`,
		`INVALID_DATA name $.territories[1].name`,
		`INVALID_DATA permission_type $.territories[2].permission_type`,
		`INVALID_DATA description $.territories[3].description`,
		`INVALID_DATA manager $.territories[4].manager`,
	}
	rs, err := e.svc.Create(ctx, e.a, drafts)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		if r.OK() {
			t.Fatalf("draft %d written: %+v", i, r.Value)
		}
		if got := r.Err.Code + " " + r.Err.Details["api_name"].(string) + " " + r.Err.Details["json_path"].(string); got != want[i] {
			t.Errorf("draft %d: %s, want %s", i, got, want[i])
		}
	}
	if drafts[0].Name != "   " {
		t.Errorf("Create changed the caller's draft: %q", drafts[0].Name)
	}
	// The same rules hold for an update, and a refused edit leaves the territory as it was.
	id := e.create(t, e.a, "  South  ", root)
	perm := territories.Change[string]{Set: true, To: "nope"}
	rs, err = e.svc.Update(ctx, e.a, []territories.Edit{{ID: id, PermissionType: perm}, {Pos: 1, ID: id, Manager: territories.Change[crmd.ID]{Set: true, To: e.b.User.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].OK() || rs[0].Err.Details["json_path"] != "$.territories[0].permission_type" || rs[1].OK() || rs[1].Err.Details["json_path"] != "$.territories[1].manager" {
		t.Fatalf("updates: %+v", rs)
	}
	got, err := e.svc.Get(ctx, e.a, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "South" || got.PermissionType != crmd.TerritoryReadOnly || got.ManagerID != 0 {
		t.Errorf("territory after refused updates: %+v", got)
	}
	// A manager of the org is accepted.
	rs, err = e.svc.Update(ctx, e.a, []territories.Edit{{ID: id, Manager: territories.Change[crmd.ID]{Set: true, To: e.a.User.ID}}})
	if err != nil || !rs[0].OK() || rs[0].Value.ManagerID != e.a.User.ID {
		t.Fatalf("manager of the org: %v %+v", err, rs)
	}
}
