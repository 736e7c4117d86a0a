package admin_test

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/admin"
	"github.com/crmd/crmd/catalog"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/metadata"
	"github.com/crmd/crmd/oauth"
	"github.com/crmd/crmd/store"
)

func moduleNames(t *testing.T, st *store.Store, orgID crmd.ID) []string {
	t.Helper()
	mods, err := metadata.New(st).Modules(context.Background(), orgID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range mods {
		out = append(out, m.APIName)
	}
	return out
}

func TestCreateOrg(t *testing.T) {
	ctx := context.Background()
	st := crmdtest.OpenStore(t)
	n, err := admin.CreateOrg(ctx, st, "Zylker", "Boss@Zylker.Test", false)
	if err != nil {
		t.Fatal(err)
	}
	if n.Org.Name != "Zylker" || n.Org.PrimaryEmail != "boss@zylker.test" || n.Org.TimeZone != "UTC" {
		t.Errorf("org %+v", n.Org)
	}
	a := n.Admin
	if a.OrgID != n.Org.ID || a.Email != "boss@zylker.test" || a.FullName() != "crmd Admin" ||
		a.Profile.Name != crmd.ProfileAdministrator || a.Status != "active" {
		t.Errorf("admin %+v", a)
	}
	md := metadata.New(st)
	if u, err := md.FirstAdmin(ctx, n.Org.ID); err != nil || u == nil || u.ID != a.ID {
		t.Errorf("FirstAdmin = %+v, %v; want the new admin", u, err)
	}
	if us, err := md.Users(ctx, n.Org.ID); err != nil || len(us) != 1 {
		t.Errorf("users %v, %v; want the admin alone", us, err)
	}
	var want []string
	for _, m := range catalog.Standard() {
		want = append(want, m.APIName)
	}
	if got := moduleNames(t, st, n.Org.ID); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("modules %v, want the standard catalog %v", got, want)
	}

	// The client is stored with the org; of its secret only the hash is kept.
	if _, err := hex.DecodeString(n.ClientSecret); err != nil || len(n.ClientSecret) != 42 || !strings.HasPrefix(n.ClientID, "1000.") {
		t.Errorf("credentials %q / %q", n.ClientID, n.ClientSecret)
	}
	c, err := st.FirstClient(ctx, n.Org.ID)
	if err != nil || c.ClientID != n.ClientID || c.OrgID != n.Org.ID || c.SecretHash != oauth.HashToken(n.ClientSecret) {
		t.Fatalf("stored client %+v, %v", c, err)
	}
	// The credentials work: the client_credentials grant gives a token that acts as the admin.
	srv := &oauth.Server{Store: st, BaseURL: "http://crmd.test"}
	resp, code, err := srv.Token(ctx, oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, ClientID: n.ClientID,
		ClientSecret: n.ClientSecret, SOID: "ZohoCRM." + n.Org.ID.String(), Scope: "ZohoCRM.org.READ"})
	if err != nil || code != "" || resp == nil {
		t.Fatalf("client_credentials: %+v, %q, %v", resp, code, err)
	}
	caller, err := srv.Authenticate(ctx, "Zoho-oauthtoken "+resp.AccessToken)
	if err != nil || caller.Org.ID != n.Org.ID || caller.User.ID != a.ID {
		t.Fatalf("the token authenticates as %+v, %v", caller, err)
	}

	// A second org is independent: other ids, other client.
	n2, err := admin.CreateOrg(ctx, st, "Other", "a@other.test", false)
	if err != nil {
		t.Fatal(err)
	}
	if n2.Org.ID == n.Org.ID || n2.Admin.ID == a.ID || n2.ClientID == n.ClientID || n2.ClientSecret == n.ClientSecret {
		t.Errorf("second org shares something with the first: %+v / %+v", n2, n)
	}
}

// With onlyIfEmpty, CreateOrg creates only into an empty database and otherwise creates nothing and
// answers ErrOrgsExist; without it, any number of orgs may be made (crmd init).
func TestCreateOrgOnlyIfEmpty(t *testing.T) {
	ctx := context.Background()
	st := crmdtest.OpenStore(t)
	first, err := admin.CreateOrg(ctx, st, "First", "a@first.test", true)
	if err != nil {
		t.Fatalf("onlyIfEmpty on an empty database: %v", err)
	}
	n, err := admin.CreateOrg(ctx, st, "Second", "a@second.test", true)
	if !errors.Is(err, admin.ErrOrgsExist) || n != nil {
		t.Fatalf("onlyIfEmpty on a database with an org: %+v, %v; want ErrOrgsExist", n, err)
	}
	if c, err := st.CountOrgs(ctx); err != nil || c != 1 {
		t.Fatalf("%d orgs, %v after the refused create; want 1", c, err)
	}
	if _, err := admin.CreateOrg(ctx, st, "Second", "a@second.test", false); err != nil {
		t.Fatalf("without onlyIfEmpty: %v", err)
	}
	if c, _ := st.CountOrgs(ctx); c != 2 {
		t.Fatalf("%d orgs, want 2", c)
	}
	if ids, err := st.OrgIDs(ctx, 10); err != nil || len(ids) != 2 || (ids[0] != first.Org.ID && ids[1] != first.Org.ID) {
		t.Errorf("orgs %v, %v; want the first one kept", ids, err)
	}
}

// Servers starting at once on one empty database (several stores, as several processes) bootstrap
// exactly one org, and its client is the one that was stored.
func TestCreateOrgOnlyIfEmptyRace(t *testing.T) {
	sts := crmdtest.OpenStores(t, 4)
	res := make([]*admin.NewOrg, len(sts))
	errs := make([]error, len(sts))
	crmdtest.Race(len(sts), func(i int) {
		res[i], errs[i] = admin.CreateOrg(context.Background(), sts[i], fmt.Sprint("Org", i), fmt.Sprintf("a@org%d.test", i), true)
	})
	var won *admin.NewOrg
	for i, err := range errs {
		switch {
		case err == nil && won == nil:
			won = res[i]
		case err == nil:
			t.Errorf("two orgs created: %v and %v", won.Org.Name, res[i].Org.Name)
		case !errors.Is(err, admin.ErrOrgsExist):
			t.Errorf("racer %d: %v", i, err)
		}
	}
	if won == nil {
		t.Fatal("no racer created the org")
	}
	if c, err := sts[0].CountOrgs(context.Background()); err != nil || c != 1 {
		t.Errorf("%d orgs, %v", c, err)
	}
	if c, err := sts[0].FirstClient(context.Background(), won.Org.ID); err != nil || c.ClientID != won.ClientID {
		t.Errorf("the winner's client %+v, %v; want %s", c, err, won.ClientID)
	}
}

func TestAddModule(t *testing.T) {
	ctx := context.Background()
	st := crmdtest.OpenStore(t)
	a := crmdtest.NewOrg(t, st, store.NewOrg{Name: "Acme", AdminEmail: "a@acme.test"})
	b := crmdtest.NewOrg(t, st, store.NewOrg{Name: "Beta", AdminEmail: "a@beta.test"})
	var fields []*crmd.Field
	for _, spec := range []string{"Budget:currency", "Stage:picklist:Open|Won|Lost", "Client:lookup:accounts", "Parent:lookup:PROJECTS"} {
		f, err := catalog.ParseFieldSpec(spec)
		if err != nil {
			t.Fatal(err)
		}
		fields = append(fields, f)
	}
	m, err := admin.AddModule(ctx, st, a.Org.ID, admin.ModuleSpec{APIName: "Projects", Singular: "Project", Plural: "Projects", Fields: fields})
	if err != nil {
		t.Fatal(err)
	}
	nStd := len(catalog.Standard())
	if m.APIName != "Projects" || !m.IsCustom() || m.OrgID != a.Org.ID || m.ModuleName != "CustomModule1" ||
		m.SingularLabel != "Project" || m.PluralLabel != "Projects" || m.SequenceNumber != nStd+1 || m.ScopeToken != "custom" {
		t.Errorf("module %+v", m)
	}
	// Every custom module's default fields, then the extra ones; lookups name their target's canonical
	// api name, the module itself included.
	if f := m.Field("Name"); f == nil || !f.Mandatory {
		t.Errorf("Name field %+v", f)
	}
	if f := m.Field("Stage"); f == nil || !f.Custom || fmt.Sprint(f.Picklist) != "[Open Won Lost]" {
		t.Errorf("Stage field %+v", f)
	}
	if f := m.Field("Budget"); f == nil || f.DataType != crmd.TypeCurrency || !f.Custom {
		t.Errorf("Budget field %+v", f)
	}
	for name, target := range map[string]string{"Client": "Accounts", "Parent": "Projects"} {
		if f := m.Field(name); f == nil || f.DataType != crmd.TypeLookup || f.LookupModule != target {
			t.Errorf("%s field %+v, want a lookup of %s", name, f, target)
		}
	}
	// The metadata service finds it, in the org it was added to only.
	md := metadata.New(st)
	if got, err := md.Module(ctx, a.Org.ID, "projects"); err != nil || got == nil || got.ID != m.ID || len(got.Fields) != len(m.Fields) {
		t.Errorf("metadata finds %+v, %v; want %v", got, err, m.ID)
	}
	if got, err := md.Module(ctx, b.Org.ID, "Projects"); err != nil || got != nil {
		t.Errorf("org B sees org A's module: %+v, %v", got, err)
	}
	// Names are per org; the CustomModuleN counter too.
	if mb, err := admin.AddModule(ctx, st, b.Org.ID, admin.ModuleSpec{APIName: "Projects", Singular: "P", Plural: "Ps"}); err != nil || mb.ModuleName != "CustomModule1" {
		t.Errorf("Projects in org B: %+v, %v", mb, err)
	}
	if m2, err := admin.AddModule(ctx, st, a.Org.ID, admin.ModuleSpec{APIName: "Visits", Singular: "Visit", Plural: "Visits"}); err != nil ||
		m2.ModuleName != "CustomModule2" || m2.SequenceNumber != nStd+2 {
		t.Errorf("second module of org A: %+v, %v", m2, err)
	}
}

func TestAddModuleRefuses(t *testing.T) {
	ctx := context.Background()
	st := crmdtest.OpenStore(t)
	o := crmdtest.NewOrg(t, st, store.NewOrg{Name: "Acme", AdminEmail: "a@acme.test"})
	add := func(name string, fields ...*crmd.Field) error {
		_, err := admin.AddModule(ctx, st, o.Org.ID, admin.ModuleSpec{APIName: name, Singular: name, Plural: name, Fields: fields})
		return err
	}
	if err := add("Projects"); err != nil {
		t.Fatal(err)
	}
	before := moduleNames(t, st, o.Org.ID)
	// Names catalog.CheckModuleName refuses, with its message: invalid api names, the system suffix,
	// and the words of the API's own paths in any case.
	for _, name := range []string{"", "1Projects", "My Projects", "Pro__jects", "Projects_", "Projécts", "Visits__s",
		strings.Repeat("a", catalog.MaxFieldNameLength+1), "settings", "Users", "COQL", "actions", "Notifications"} {
		want := catalog.CheckModuleName(name)
		if err := add(name); want == nil || err == nil || err.Error() != want.Error() {
			t.Errorf("AddModule(%q) = %v; want %v", name, err, want)
		}
	}
	// A name the org already has, standard or custom, in any case.
	for _, name := range []string{"leads", "LEADS", "projects"} {
		if err := add(name); err == nil || !strings.Contains(err.Error(), "already has a module") {
			t.Errorf("AddModule(%q) = %v; want already has a module", name, err)
		}
	}
	// A lookup of a module the org does not have.
	f, err := catalog.ParseFieldSpec("Gadget:lookup:Widgets")
	if err != nil {
		t.Fatal(err)
	}
	if err := add("Visits", f); err == nil || !strings.Contains(err.Error(), "Widgets") {
		t.Errorf("lookup of a missing module: %v", err)
	}
	if after := moduleNames(t, st, o.Org.ID); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("refused adds changed the modules: %v, was %v", after, before)
	}
	// Nothing refused spent a CustomModuleN number.
	m, err := admin.AddModule(ctx, st, o.Org.ID, admin.ModuleSpec{APIName: "Visits", Singular: "Visit", Plural: "Visits"})
	if err != nil || m.ModuleName != "CustomModule2" {
		t.Errorf("next module: %+v, %v; want CustomModule2", m, err)
	}
}

// Processes adding the same module at once (several stores, each with its own module cache, so each
// may pass the existence check): exactly one adds it, the others are told it exists.
func TestAddModuleRace(t *testing.T) {
	sts := crmdtest.OpenStores(t, 4)
	o := crmdtest.NewOrg(t, sts[0], store.NewOrg{Name: "Acme", AdminEmail: "a@acme.test"})
	mods := make([]*crmd.Module, len(sts))
	errs := make([]error, len(sts))
	crmdtest.Race(len(sts), func(i int) {
		mods[i], errs[i] = admin.AddModule(context.Background(), sts[i], o.Org.ID, admin.ModuleSpec{APIName: "Projects", Singular: "Project", Plural: "Projects"})
	})
	added := 0
	for i, err := range errs {
		switch {
		case err == nil:
			added++
			if mods[i].ModuleName != "CustomModule1" {
				t.Errorf("winner is %s, want CustomModule1", mods[i].ModuleName)
			}
		case !strings.Contains(err.Error(), "already has a module"):
			t.Errorf("racer %d: %v", i, err)
		}
	}
	if added != 1 {
		t.Errorf("%d racers added Projects, want 1", added)
	}
	if n := len(moduleNames(t, sts[0], o.Org.ID)); n != len(catalog.Standard())+1 {
		t.Errorf("%d modules, want the standard ones and Projects", n)
	}
}
