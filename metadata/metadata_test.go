package metadata_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/catalog"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/metadata"
	"github.com/crmd/crmd/store"
)

// t0 is the fixed start of the tests' clock, so that user times are exact.
var t0 = time.Date(2024, 5, 13, 8, 2, 33, 0, time.UTC)

type env struct {
	ctx   context.Context
	st    *store.Store
	clock *crmdtest.Clock
	md    *metadata.Service
	a, b  *crmdtest.Org // two orgs on one store: every answer about a must leave b out
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st := crmdtest.OpenStore(t)
	e := &env{ctx: context.Background(), st: st, clock: crmdtest.UseClock(st, t0), md: metadata.New(st)}
	e.a = crmdtest.NewTeam(t, st, "Acme", "UTC")
	e.b = crmdtest.NewTeam(t, st, "Beta", "UTC")
	return e
}

// addCustom adds a custom module straight through the store (package admin is the real caller; it
// sits above metadata and has its own tests).
func addCustom(t *testing.T, st *store.Store, orgID crmd.ID, apiName string) *crmd.Module {
	t.Helper()
	m, err := st.AddCustomModule(context.Background(), orgID, func(name string, seq int) *crmd.Module {
		m := catalog.NewCustomModule(apiName, name, apiName, apiName, nil)
		m.SequenceNumber = seq
		return m
	})
	if err != nil || m == nil {
		t.Fatalf("add %s: %v, %v", apiName, m, err)
	}
	return m
}

func apiNames(mods []*crmd.Module) []string {
	var out []string
	for _, m := range mods {
		out = append(out, m.APIName)
	}
	return out
}

func TestModulesAreTheOrgsCatalogInTabOrder(t *testing.T) {
	e := newEnv(t)
	mods, err := e.md.Modules(e.ctx, e.a.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := catalog.Standard()
	if got, w := fmt.Sprint(apiNames(mods)), fmt.Sprint(apiNames(want)); got != w {
		t.Fatalf("modules %s, want %s", got, w)
	}
	for i, m := range mods {
		if m.OrgID != e.a.Org.ID || m.ID == 0 || len(m.Fields) != len(want[i].Fields) {
			t.Errorf("%s: org %v id %v, %d fields (catalog has %d)", m.APIName, m.OrgID, m.ID, len(m.Fields), len(want[i].Fields))
		}
		if i > 0 && m.SequenceNumber <= mods[i-1].SequenceNumber {
			t.Errorf("%s comes after %s but has sequence %d ≤ %d", m.APIName, mods[i-1].APIName, m.SequenceNumber, mods[i-1].SequenceNumber)
		}
	}
	// A custom module added later goes to the end of the tab order.
	addCustom(t, e.st, e.a.Org.ID, "Projects")
	mods, err = e.md.Modules(e.ctx, e.a.Org.ID)
	if err != nil || len(mods) != len(want)+1 || mods[len(mods)-1].APIName != "Projects" {
		t.Fatalf("after adding Projects: %v, %v", apiNames(mods), err)
	}
}

// The store caches modules per org and metadata version; a module added by another process (the CLI,
// another replica: another store on the same database) must still show on the next read.
func TestModulesSeeAModuleAddedByAnotherProcess(t *testing.T) {
	sts := crmdtest.OpenStores(t, 2)
	o := crmdtest.NewOrg(t, sts[0], store.NewOrg{Name: "Acme", AdminEmail: "boss@acme.test"})
	md := metadata.New(sts[0])
	ctx := context.Background()
	if m, err := md.Module(ctx, o.Org.ID, "Projects"); err != nil || m != nil {
		t.Fatalf("Projects before it exists: %v, %v", m, err)
	}
	added := addCustom(t, sts[1], o.Org.ID, "Projects")
	m, err := md.Module(ctx, o.Org.ID, "projects")
	if err != nil || m == nil || m.ID != added.ID {
		t.Fatalf("Projects after another store added it: %+v, %v (added id %v)", m, err, added.ID)
	}
}

func TestModuleIsCaseInsensitiveAndPerOrg(t *testing.T) {
	e := newEnv(t)
	leads := e.a.Module(t, "Leads")
	for _, name := range []string{"Leads", "leads", "LEADS", "lEaDs"} {
		m, err := e.md.Module(e.ctx, e.a.Org.ID, name)
		if err != nil || m == nil || m.ID != leads.ID || m.APIName != "Leads" {
			t.Errorf("Module(%q) = %+v, %v; want Leads %v", name, m, err, leads.ID)
		}
	}
	if m, err := e.md.Module(e.ctx, e.a.Org.ID, "price_books"); err != nil || m == nil || m.APIName != "Price_Books" {
		t.Errorf("Module(price_books) = %+v, %v", m, err)
	}
	// No prefix or fuzzy matching: only the whole name.
	for _, name := range []string{"Nope", "", "Lead", "Leadss", " Leads"} {
		if m, err := e.md.Module(e.ctx, e.a.Org.ID, name); err != nil || m != nil {
			t.Errorf("Module(%q) = %+v, %v; want nil", name, m, err)
		}
	}
	// Each org has its own copy of a standard module, and never sees another org's custom module.
	bLeads, err := e.md.Module(e.ctx, e.b.Org.ID, "leads")
	if err != nil || bLeads == nil || bLeads.OrgID != e.b.Org.ID || bLeads.ID == leads.ID {
		t.Errorf("org B's Leads = %+v, %v (org A's id %v)", bLeads, err, leads.ID)
	}
	proj := addCustom(t, e.st, e.b.Org.ID, "Projects")
	if m, err := e.md.Module(e.ctx, e.a.Org.ID, "Projects"); err != nil || m != nil {
		t.Errorf("org A resolves org B's custom module: %+v, %v", m, err)
	}
	if m, err := e.md.Module(e.ctx, e.b.Org.ID, "PROJECTS"); err != nil || m == nil || m.ID != proj.ID {
		t.Errorf("org B's own Projects = %+v, %v", m, err)
	}
}

func TestProfiles(t *testing.T) {
	e := newEnv(t)
	seen := map[crmd.ID]bool{}
	for _, o := range []*crmdtest.Org{e.a, e.b} {
		ps, err := e.md.Profiles(e.ctx, o.Org.ID)
		if err != nil || len(ps) != 2 {
			t.Fatalf("%s: profiles %+v, %v", o.Org.Name, ps, err)
		}
		if ps[0].Name != crmd.ProfileAdministrator || ps[1].Name != crmd.ProfileStandard || ps[0].ID >= ps[1].ID {
			t.Errorf("%s: profiles %+v, want Administrator then Standard in id order", o.Org.Name, ps)
		}
		if o.Admin.Profile.ID != ps[0].ID || o.Std.Profile.ID != ps[1].ID {
			t.Errorf("%s: users' profiles %v, %v are not the org's %+v", o.Org.Name, o.Admin.Profile.ID, o.Std.Profile.ID, ps)
		}
		for _, p := range ps {
			if seen[p.ID] {
				t.Errorf("profile id %v shared between orgs", p.ID)
			}
			seen[p.ID] = true
		}
	}
}

func TestUsers(t *testing.T) {
	e := newEnv(t)
	e.clock.Advance(time.Hour)
	third := e.a.AddUser(t, store.NewUser{Email: "Third@Acme.Test", FirstName: "Tia", LastName: "Third"})
	wantIDs := []crmd.ID{e.a.Admin.ID, e.a.Std.ID, third.ID}

	us, err := e.md.Users(e.ctx, e.a.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []crmd.ID
	for _, u := range us {
		ids = append(ids, u.ID)
		if u.OrgID != e.a.Org.ID {
			t.Errorf("user %v of org %v listed for org A", u.ID, u.OrgID)
		}
	}
	if fmt.Sprint(ids) != fmt.Sprint(wantIDs) {
		t.Fatalf("Users = %v, want %v in id order", ids, wantIDs)
	}
	if us[2].Email != "third@acme.test" || us[2].Profile.Name != crmd.ProfileStandard || us[2].Status != "active" {
		t.Errorf("third user %+v", us[2])
	}

	byID, err := e.md.UsersByID(e.ctx, e.a.Org.ID)
	if err != nil || len(byID) != len(wantIDs) {
		t.Fatalf("UsersByID: %d users, %v", len(byID), err)
	}
	for _, u := range us {
		if got := byID[u.ID]; got == nil || got.Email != u.Email || got.Profile != u.Profile {
			t.Errorf("UsersByID[%v] = %+v, want %+v", u.ID, got, u)
		}
	}
	if byID[e.b.Admin.ID] != nil {
		t.Error("UsersByID of org A holds org B's admin")
	}

	if u, err := e.md.User(e.ctx, e.a.Org.ID, e.a.Std.ID); err != nil || u == nil || u.Email != "rep@acme.test" || u.Profile.Name != crmd.ProfileStandard {
		t.Errorf("User(Std) = %+v, %v", u, err)
	}
	// Absent and another org's user look the same: nil, no error.
	for name, id := range map[string]crmd.ID{"unknown id": 42, "org B's admin": e.b.Admin.ID} {
		if u, err := e.md.User(e.ctx, e.a.Org.ID, id); err != nil || u != nil {
			t.Errorf("User(%s) = %+v, %v; want nil, nil", name, u, err)
		}
	}

	times, err := e.md.UserModifiedTimes(e.ctx, e.a.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[crmd.ID]int64{e.a.Admin.ID: t0.UnixMilli(), e.a.Std.ID: t0.UnixMilli(), third.ID: t0.Add(time.Hour).UnixMilli()}
	if fmt.Sprint(times) != fmt.Sprint(want) {
		t.Errorf("UserModifiedTimes = %v, want %v", times, want)
	}
}

func TestFirstAdmin(t *testing.T) {
	e := newEnv(t)
	check := func(what string, o *crmdtest.Org, wantStatus string) {
		t.Helper()
		u, err := e.md.FirstAdmin(e.ctx, o.Org.ID)
		if err != nil || u == nil || u.ID != o.Admin.ID || u.Status != wantStatus {
			t.Errorf("%s: FirstAdmin = %+v, %v; want %v (%s)", what, u, err, o.Admin.ID, wantStatus)
		}
	}
	check("org A", e.a, "active")
	check("org B", e.b, "active")
	// A later administrator does not take the founder's place...
	e.a.AddUser(t, store.NewUser{Email: "second@acme.test", Profile: crmd.ProfileAdministrator})
	check("after a second admin", e.a, "active")
	// ...nor does disabling the founder. No service disables users yet, so the test writes the status.
	if _, err := e.st.W.ExecContext(e.ctx, e.st.Q(`UPDATE users SET status = 'disabled' WHERE id = ?`), int64(e.a.Admin.ID)); err != nil {
		t.Fatal(err)
	}
	check("after disabling the founder", e.a, "disabled")
	// An org id with no administrator (here: no org at all) gives nil, not an error.
	if u, err := e.md.FirstAdmin(e.ctx, 42); err != nil || u != nil {
		t.Errorf("FirstAdmin(no org) = %+v, %v", u, err)
	}
}

func TestPermissions(t *testing.T) {
	e := newEnv(t)
	mods, err := e.md.Modules(e.ctx, e.a.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := e.md.Profiles(e.ctx, e.a.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	adm, std := e.md.Permissions(ps[0], mods), e.md.Permissions(ps[1], mods)
	// Five verbs per module, but Notes cannot be mass deleted and so has no Mass_Delete permission.
	if want := 5*len(mods) - 1; len(adm) != want || len(std) != want {
		t.Fatalf("%d and %d permissions, want %d", len(adm), len(std), want)
	}
	byModule := map[string][]string{}
	stored := map[crmd.ID]bool{e.a.Admin.ID: true, e.a.Std.ID: true, ps[0].ID: true, ps[1].ID: true}
	for _, m := range mods {
		stored[m.ID] = true
		for _, f := range m.Fields {
			stored[f.ID] = true
		}
	}
	ids := map[crmd.ID]bool{}
	for i, p := range adm {
		byModule[p.Module.APIName] = append(byModule[p.Module.APIName], p.Verb)
		if !p.Enabled {
			t.Errorf("Administrator: %s %s disabled", p.Verb, p.Module.APIName)
		}
		if q := std[i]; q.Verb != p.Verb || q.Module != p.Module || q.ID != p.ID || q.Enabled != (p.Verb != crmd.PermMassDelete) {
			t.Errorf("Standard #%d = %s %s enabled=%v id %v; Administrator's is %s %s id %v", i, q.Verb, q.Module.APIName, q.Enabled, q.ID, p.Verb, p.Module.APIName, p.ID)
		}
		if ids[p.ID] || stored[p.ID] || len(p.ID.String()) != 19 {
			t.Errorf("%s %s: id %v is repeated, a stored row's, or not 19 digits", p.Verb, p.Module.APIName, p.ID)
		}
		ids[p.ID] = true
	}
	if got := fmt.Sprint(byModule["Leads"]); got != "[View Create Edit Delete Mass_Delete]" {
		t.Errorf("Leads verbs %s", got)
	}
	if got := fmt.Sprint(byModule["Notes"]); got != "[View Create Edit Delete]" {
		t.Errorf("Notes verbs %s", got)
	}
	// The ids are derived, not random: asking again gives the same ones.
	again := e.md.Permissions(ps[0], mods)
	for i := range again {
		if again[i].ID != adm[i].ID {
			t.Fatalf("permission #%d: id %v, then %v", i, adm[i].ID, again[i].ID)
		}
	}
	if got := e.md.Permissions(ps[0], nil); len(got) != 0 {
		t.Errorf("no modules gave %d permissions", len(got))
	}
}
