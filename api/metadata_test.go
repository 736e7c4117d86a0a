package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/api"
	"github.com/crmd/crmd/catalog"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/store"
)

// metaAllScopes is what an SDK user typically grants: every family the metadata APIs need.
const metaAllScopes = "ZohoCRM.settings.ALL,ZohoCRM.users.ALL,ZohoCRM.org.ALL,ZohoCRM.modules.ALL"

// metaEnv is a crmd server on a real SQLite file with one org ("Acme") and its admin's token.
type metaEnv struct {
	t     *testing.T
	ts    *httptest.Server
	st    *store.Store
	acme  *crmdtest.Org
	org   *crmd.Org
	admin *crmd.User
	token string
}

func newMetaEnv(t *testing.T) *metaEnv {
	t.Helper()
	st := crmdtest.OpenStore(t)
	e := &metaEnv{t: t, st: st}
	e.acme = e.newOrg("Acme", "admin@acme.test")
	e.org, e.admin = e.acme.Org, e.acme.Admin
	e.token = e.acme.Token(t, e.admin, metaAllScopes)
	srv := newApp(t, st, api.Config{}, nil).API
	e.ts = httptest.NewServer(srv)
	t.Cleanup(e.ts.Close)
	return e
}

// newOrg creates another org with the standard catalog in the same database.
func (e *metaEnv) newOrg(name, adminEmail string) *crmdtest.Org {
	e.t.Helper()
	return crmdtest.NewOrg(e.t, e.st, store.NewOrg{Name: name, AdminEmail: adminEmail, AdminLast: "Admin"})
}

// get calls path with token and decodes the JSON object answer (nil for a 204, which must be empty).
func (e *metaEnv) get(token, path string) (int, map[string]any) {
	e.t.Helper()
	return crmdtest.DoJSON(e.t, http.MethodGet, e.ts.URL+path, "", crmdtest.Auth(token))
}

// ok calls path with the admin token and requires a 200.
func (e *metaEnv) ok(path string) map[string]any {
	e.t.Helper()
	st, body := e.get(e.token, path)
	if st != http.StatusOK {
		e.t.Fatalf("GET %s: status %d, body %v", path, st, body)
	}
	return body
}

// wantError checks a request-level error answer: status, code and exact details.
func (e *metaEnv) wantError(token, path string, status int, code string, details map[string]any) {
	e.t.Helper()
	st, body := e.get(token, path)
	if st != status || body["code"] != code || body["status"] != "error" {
		e.t.Fatalf("GET %s: got %d %v, want %d %s", path, st, body, status, code)
	}
	got, _ := json.Marshal(body["details"])
	want, _ := json.Marshal(details)
	if string(got) != string(want) {
		e.t.Errorf("GET %s: details %s, want %s", path, got, want)
	}
}

func metaByName(t *testing.T, items []map[string]any, key, name string) map[string]any {
	t.Helper()
	for _, it := range items {
		if it[key] == name {
			return it
		}
	}
	t.Fatalf("no item with %s=%q", key, name)
	return nil
}

func metaKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestMetaModules(t *testing.T) {
	e := newMetaEnv(t)
	mods := crmdtest.Items(t, e.ok("/crm/v8/settings/modules"), "modules")
	if len(mods) != len(catalog.Standard()) {
		t.Fatalf("v8 lists %d modules, want %d", len(mods), len(catalog.Standard()))
	}
	for _, m := range mods {
		name, _ := m["api_name"].(string)
		if name == "" || !crmdtest.IsID(m["id"]) {
			t.Fatalf("module without api_name or string id: %v", m)
		}
		if m["api_supported"] == true {
			if gt, _ := m["generated_type"].(string); gt == "" {
				t.Errorf("%s: api_supported without generated_type", name)
			}
		}
		if m["convertable"] != (name == "Leads") {
			t.Errorf("%s: convertable %v", name, m["convertable"])
		}
		if m["recycle_bin_on_delete"] != true || m["viewable"] != true || m["status"] != "visible" {
			t.Errorf("%s: v8 flags wrong: %v", name, m)
		}
		if profs := crmdtest.Items(t, m, "profiles"); len(profs) != 2 || m["profile_count"] != float64(2) {
			t.Errorf("%s: profiles %v", name, m["profiles"])
		}
		by, _ := m["modified_by"].(map[string]any)
		if by["id"] != e.admin.ID.String() {
			t.Errorf("%s: modified_by %v, want the first admin", name, m["modified_by"])
		}
		if _, err := time.Parse(crmd.TimeLayout, m["modified_time"].(string)); err != nil {
			t.Errorf("%s: modified_time: %v", name, err)
		}
	}

	// Services__s exists from v3 on; recycle_bin_on_delete from v6 on.
	v2 := crmdtest.Items(t, e.ok("/crm/v2/settings/modules"), "modules")
	for _, m := range v2 {
		if m["api_name"] == "Services__s" {
			t.Error("Services__s listed in v2")
		}
		if _, ok := m["recycle_bin_on_delete"]; ok {
			t.Error("recycle_bin_on_delete present in v2")
		}
	}
	metaByName(t, crmdtest.Items(t, e.ok("/crm/v3/settings/modules"), "modules"), "api_name", "Services__s")
	e.wantError(e.token, "/crm/v2/settings/modules/Services__s", 400, "INVALID_MODULE", map[string]any{"resource_path_index": 2})

	// One module: by api name in any case (echoed canonical), or by id.
	one := crmdtest.Items(t, e.ok("/crm/v8/settings/modules/leads"), "modules")
	if len(one) != 1 || one[0]["api_name"] != "Leads" {
		t.Fatalf("modules/leads: %v", one)
	}
	byID := crmdtest.Items(t, e.ok("/crm/v8/settings/modules/"+one[0]["id"].(string)), "modules")
	if byID[0]["api_name"] != "Leads" {
		t.Errorf("module by id: %v", byID[0]["api_name"])
	}
	e.wantError(e.token, "/crm/v8/settings/modules/Nope", 400, "INVALID_MODULE", map[string]any{"resource_path_index": 2})

	// A status filter without "visible" matches nothing.
	if st, _ := e.get(e.token, "/crm/v8/settings/modules?status=user_hidden"); st != 204 {
		t.Errorf("status=user_hidden: %d, want 204", st)
	}
}

func TestMetaFields(t *testing.T) {
	e := newMetaEnv(t)
	mods := crmdtest.Items(t, e.ok("/crm/v8/settings/modules"), "modules")
	ids := map[string]string{}
	for _, m := range mods {
		ids[m["api_name"].(string)] = m["id"].(string)
	}
	// What the SDK does with autoRefreshFields: the fields of every api_supported module.
	for _, m := range mods {
		if m["api_supported"] != true {
			continue
		}
		name := m["api_name"].(string)
		fields := crmdtest.Items(t, e.ok("/crm/v8/settings/fields?module="+name), "fields")
		if len(fields) == 0 {
			t.Fatalf("%s: no fields", name)
		}
		for _, f := range fields {
			api, _ := f["api_name"].(string)
			dt, _ := f["data_type"].(string)
			if api == "" || dt == "" || !crmdtest.IsID(f["id"]) {
				t.Fatalf("%s: field without api_name, data_type or id: %v", name, f)
			}
			if _, ok := f["pick_list_values"].([]any); !ok {
				t.Errorf("%s.%s: pick_list_values is not an array", name, api)
			}
			// The Node SDK drops a field whose "length" is 0 and then crashes on the hole.
			if l, _ := f["length"].(float64); l <= 0 {
				t.Errorf("%s.%s: length %v, want > 0", name, api, f["length"])
			}
			lk, ok := f["lookup"].(map[string]any)
			if !ok {
				t.Fatalf("%s.%s: lookup is not an object", name, api)
			}
			if dt == crmd.TypeLookup {
				mod, _ := lk["module"].(map[string]any)
				target, _ := mod["api_name"].(string)
				if target == "" || mod["id"] != ids[target] {
					t.Errorf("%s.%s: lookup module %v, want a listed module with its id", name, api, mod)
				}
			} else if len(lk) != 0 {
				t.Errorf("%s.%s: %s field has lookup %v", name, api, dt, lk)
			}
		}
	}

	leads := crmdtest.Items(t, e.ok("/crm/v8/settings/fields?module=leads&type=all&include=allowed_permissions_to_update"), "fields")
	owner := metaByName(t, leads, "api_name", "Owner")
	if owner["data_type"] != "ownerlookup" || owner["json_type"] != "jsonobject" {
		t.Errorf("Owner: %v", owner)
	}
	last := metaByName(t, leads, "api_name", "Last_Name")
	if last["system_mandatory"] != true || last["decimal_place"] != nil || last["created_source"] != "default" {
		t.Errorf("Last_Name: %v", last)
	}
	created := metaByName(t, leads, "api_name", "Created_Time")
	if created["read_only"] != true || crmdtest.Items(t, created, "profiles")[0]["permission_type"] != "read_only" {
		t.Errorf("Created_Time: %v", created)
	}
	// Picklist values are exactly the module's, "-None-" included because the catalog defines it.
	var catalogLeads *crmd.Module
	for _, m := range catalog.Standard() {
		if m.APIName == "Leads" {
			catalogLeads = m
		}
	}
	status := metaByName(t, leads, "api_name", "Lead_Status")
	var got []string
	for _, v := range crmdtest.Items(t, status, "pick_list_values") {
		if v["display_value"] != v["actual_value"] || v["type"] != "used" {
			t.Errorf("Lead_Status value %v", v)
		}
		got = append(got, v["display_value"].(string))
	}
	if strings.Join(got, "|") != strings.Join(catalogLeads.Field("Lead_Status").Picklist, "|") {
		t.Errorf("Lead_Status values %v", got)
	}

	// Currency fields say how they round; other fields have an empty currency object.
	deals := crmdtest.Items(t, e.ok("/crm/v8/settings/fields?module=Deals"), "fields")
	amount := metaByName(t, deals, "api_name", "Amount")
	if cur, _ := amount["currency"].(map[string]any); amount["data_type"] != "currency" || cur["precision"] != float64(2) || amount["decimal_place"] != float64(2) {
		t.Errorf("Deals.Amount: %v", amount)
	}

	// One field, by id, of the named module only.
	id := last["id"].(string)
	one := crmdtest.Items(t, e.ok("/crm/v8/settings/fields/"+id+"?module=Leads"), "fields")
	if len(one) != 1 || one[0]["api_name"] != "Last_Name" {
		t.Errorf("field by id: %v", one)
	}
	e.wantError(e.token, "/crm/v8/settings/fields/"+id+"?module=Contacts", 400, "INVALID_DATA", map[string]any{"resource_path_index": 2})
	e.wantError(e.token, "/crm/v8/settings/fields/123?module=Leads", 400, "INVALID_DATA", map[string]any{"resource_path_index": 2})
	e.wantError(e.token, "/crm/v8/settings/fields/abc?module=Leads", 400, "INVALID_DATA", map[string]any{"resource_path_index": 2})

	// The module parameter.
	e.wantError(e.token, "/crm/v8/settings/fields", 400, "REQUIRED_PARAM_MISSING", map[string]any{"param_name": "module"})
	e.wantError(e.token, "/crm/v8/settings/fields?module=", 400, "REQUIRED_PARAM_MISSING", map[string]any{"param_name": "module"})
	e.wantError(e.token, "/crm/v8/settings/fields/"+id, 400, "REQUIRED_PARAM_MISSING", map[string]any{"param_name": "module"})
	e.wantError(e.token, "/crm/v8/settings/fields?module=Nope", 400, "INVALID_MODULE", map[string]any{"param_name": "module"})
	e.wantError(e.token, "/crm/v2/settings/fields?module=Services__s", 400, "INVALID_MODULE", map[string]any{"param_name": "module"})
	if len(crmdtest.Items(t, e.ok("/crm/v3/settings/fields?module=Services__s"), "fields")) == 0 {
		t.Error("no Services__s fields in v3")
	}
}

func TestMetaProfiles(t *testing.T) {
	e := newMetaEnv(t)
	profiles := crmdtest.Items(t, e.ok("/crm/v8/settings/profiles"), "profiles")
	if len(profiles) != 2 {
		t.Fatalf("profiles: %v", profiles)
	}
	for _, p := range profiles {
		if !crmdtest.IsID(p["id"]) || p["type"] != "normal_profile" || p["default"] != false || p["created_time"] != nil {
			t.Errorf("profile %v", p)
		}
		if _, ok := p["permissions_details"]; ok {
			t.Error("permissions_details in the list")
		}
	}
	for _, p := range crmdtest.Items(t, e.ok("/crm/v2/settings/profiles"), "profiles") {
		if _, ok := p["type"]; ok {
			t.Errorf("type in v2: %v", p)
		}
	}

	perms := func(name string) map[string]map[string]any {
		id := metaByName(t, profiles, "name", name)["id"].(string)
		one := crmdtest.Items(t, e.ok("/crm/v8/settings/profiles/"+id), "profiles")
		if len(one) != 1 || one[0]["name"] != name {
			t.Fatalf("profile %s: %v", name, one)
		}
		out := map[string]map[string]any{}
		for _, pd := range crmdtest.Items(t, one[0], "permissions_details") {
			if !crmdtest.IsID(pd["id"]) {
				t.Fatalf("permission id %v", pd["id"])
			}
			out[pd["name"].(string)] = pd
		}
		return out
	}
	std, adm := perms(crmd.ProfileStandard), perms(crmd.ProfileAdministrator)
	if pd := std["Crm_Implied_Mass_Delete_Leads"]; pd == nil || pd["enabled"] != false || pd["display_label"] != "Mass Delete" || pd["module"] != "Leads" {
		t.Errorf("Standard mass delete Leads: %v", pd)
	}
	if pd := std["Crm_Implied_Delete_Leads"]; pd == nil || pd["enabled"] != true {
		t.Errorf("Standard delete Leads: %v", pd)
	}
	if pd := adm["Crm_Implied_Mass_Delete_Leads"]; pd == nil || pd["enabled"] != true {
		t.Errorf("Administrator mass delete Leads: %v", pd)
	}
	// One entry per module and verb (Mass_Delete only where mass delete exists); a permission keeps its
	// id across profiles, and ids are distinct.
	want := 0
	for _, m := range catalog.Standard() {
		want += len(crmd.PermissionVerbs)
		if !m.MassDeletable {
			want--
			if _, ok := std[crmd.PermissionName(crmd.PermMassDelete, m.APIName)]; ok {
				t.Errorf("%s: Mass_Delete permission on a module that cannot be mass deleted", m.APIName)
			}
		}
	}
	if len(std) != want || len(adm) != want {
		t.Errorf("%d / %d permissions, want %d", len(std), len(adm), want)
	}
	seen := map[any]bool{}
	for name, pd := range std {
		if adm[name]["id"] != pd["id"] || seen[pd["id"]] {
			t.Errorf("%s: id %v (Administrator %v) not stable or not unique", name, pd["id"], adm[name]["id"])
		}
		seen[pd["id"]] = true
	}

	e.wantError(e.token, "/crm/v8/settings/profiles/123", 400, "INVALID_DATA", map[string]any{"resource_path_index": 2})
	e.wantError(e.token, "/crm/v8/settings/profiles/x", 400, "INVALID_DATA", map[string]any{"resource_path_index": 2})
}

func TestMetaUsers(t *testing.T) {
	e := newMetaEnv(t)
	bob := e.acme.AddUser(t, store.NewUser{Email: "bob@acme.test", FirstName: "Bob", LastName: "Smith"})

	// What the SDK reads after each new token.
	me := crmdtest.Items(t, e.ok("/crm/v8/users?type=CurrentUser"), "users")
	if len(me) != 1 || me[0]["email"] != "admin@acme.test" {
		t.Fatalf("CurrentUser: %v", me)
	}
	want := []string{"Isonline", "Modified_By", "Modified_Time", "Reporting_To", "confirm", "country_locale", "created_by",
		"created_time", "date_format", "email", "first_name", "full_name", "id", "language", "last_name", "locale",
		"profile", "role", "status", "time_format", "time_zone", "zuid"}
	if got := metaKeys(me[0]); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("user keys %v\nwant %v", got, want)
	}
	if prof, _ := me[0]["profile"].(map[string]any); prof["name"] != crmd.ProfileAdministrator || !crmdtest.IsID(prof["id"]) {
		t.Errorf("profile %v", me[0]["profile"])
	}
	if me[0]["first_name"] != nil || me[0]["full_name"] != "Admin" || me[0]["time_zone"] != "UTC" || me[0]["confirm"] != true {
		t.Errorf("admin user %v", me[0])
	}
	bobTok := e.acme.Token(t, bob, "ZohoCRM.users.READ")
	_, body := e.get(bobTok, "/crm/v8/users?type=CurrentUser")
	if u := crmdtest.Items(t, body, "users"); len(u) != 1 || u[0]["email"] != "bob@acme.test" || u[0]["full_name"] != "Bob Smith" {
		t.Fatalf("CurrentUser as bob: %v", body)
	}

	all := e.ok("/crm/v8/users")
	if users := crmdtest.Items(t, all, "users"); len(users) != 2 {
		t.Fatalf("AllUsers: %v", users)
	}
	info, _ := all["info"].(map[string]any)
	if info["count"] != float64(2) || info["page"] != float64(1) || info["per_page"] != float64(200) || info["more_records"] != false {
		t.Errorf("info %v", info)
	}
	admins := crmdtest.Items(t, e.ok("/crm/v8/users?type=AdminUsers"), "users")
	if len(admins) != 1 || admins[0]["id"] != e.admin.ID.String() {
		t.Errorf("AdminUsers: %v", admins)
	}
	sub := crmdtest.Items(t, e.ok("/crm/v8/users?type=SubordinateRoleUsers"), "users")
	if len(sub) != 1 || sub[0]["id"] != bob.ID.String() {
		t.Errorf("SubordinateRoleUsers of the CEO: %v", sub)
	}

	// Paging.
	p1 := e.ok("/crm/v8/users?type=ActiveUsers&per_page=1")
	if u := crmdtest.Items(t, p1, "users"); len(u) != 1 || u[0]["id"] != e.admin.ID.String() || p1["info"].(map[string]any)["more_records"] != true {
		t.Errorf("page 1: %v", p1)
	}
	p2 := e.ok("/crm/v8/users?type=ActiveUsers&per_page=1&page=2")
	if u := crmdtest.Items(t, p2, "users"); len(u) != 1 || u[0]["id"] != bob.ID.String() || p2["info"].(map[string]any)["more_records"] != false {
		t.Errorf("page 2: %v", p2)
	}
	for _, path := range []string{"/crm/v8/users?per_page=1&page=3", "/crm/v8/users?type=DeactiveUsers", "/crm/v8/users?type=DeletedUsers"} {
		if st, _ := e.get(e.token, path); st != 204 {
			t.Errorf("%s: %d, want 204", path, st)
		}
	}
	if u := crmdtest.Items(t, e.ok("/crm/v8/users?per_page=500"), "users"); len(u) != 2 {
		t.Errorf("per_page=500: %d users", len(u))
	}
	if u := crmdtest.Items(t, e.ok("/crm/v8/users?ids="+bob.ID.String()), "users"); len(u) != 1 || u[0]["email"] != "bob@acme.test" {
		t.Errorf("ids filter: %v", u)
	}

	e.wantError(e.token, "/crm/v8/users?type=Nope", 400, "INVALID_DATA", map[string]any{"param_name": "type"})
	e.wantError(e.token, "/crm/v8/users?page=0", 400, "INVALID_DATA", map[string]any{"param_name": "page"})
	e.wantError(e.token, "/crm/v8/users?per_page=x", 400, "UNABLE_TO_PARSE_DATA_TYPE", map[string]any{"param_name": "per_page"})

	// One user.
	one := crmdtest.Items(t, e.ok("/crm/v8/users/"+bob.ID.String()), "users")
	if len(one) != 1 || one[0]["email"] != "bob@acme.test" {
		t.Errorf("user by id: %v", one)
	}
	if by, _ := one[0]["created_by"].(map[string]any); by["id"] != e.admin.ID.String() {
		t.Errorf("created_by %v", one[0]["created_by"])
	}
	e.wantError(e.token, "/crm/v8/users/123", 400, "INVALID_DATA", map[string]any{"resource_path_index": 1})
	e.wantError(e.token, "/crm/v8/users/abc", 400, "INVALID_DATA", map[string]any{"resource_path_index": 1})
}

func TestMetaOrg(t *testing.T) {
	e := newMetaEnv(t)
	org := crmdtest.Items(t, e.ok("/crm/v8/org"), "org")
	if len(org) != 1 {
		t.Fatalf("org: %v", org)
	}
	o := org[0]
	if o["zgid"] != e.org.ZGID || o["id"] != e.org.ID.String() || o["company_name"] != "Acme" || o["primary_zuid"] != e.admin.ZUID {
		t.Errorf("org %v", o)
	}
	if o["max_per_page"] != float64(200) || o["primary_email"] != "admin@acme.test" || o["domain_name"] != "org"+e.org.ID.String() {
		t.Errorf("org %v", o)
	}
	if lic, _ := o["license_details"].(map[string]any); lic["paid"] != true {
		t.Errorf("license_details %v", o["license_details"])
	}
}

// TestMetaTenantIsolation checks that nothing of another org is visible, and that its ids get the same
// answer as ids that never existed.
func TestMetaTenantIsolation(t *testing.T) {
	e := newMetaEnv(t)
	beta := e.newOrg("Beta", "admin@beta.test")
	orgB, adminB := beta.Org, beta.Admin
	carol := beta.AddUser(t, store.NewUser{Email: "carol@beta.test", LastName: "Carol"})
	for _, u := range crmdtest.Items(t, e.ok("/crm/v8/users?type=AllUsers"), "users") {
		if u["id"] == adminB.ID.String() || u["id"] == carol.ID.String() || strings.HasSuffix(u["email"].(string), "@beta.test") {
			t.Errorf("org A lists org B's user %v", u)
		}
	}
	e.wantError(e.token, "/crm/v8/users/"+carol.ID.String(), 400, "INVALID_DATA", map[string]any{"resource_path_index": 1})
	if st, _ := e.get(e.token, "/crm/v8/users?ids="+carol.ID.String()); st != 204 {
		t.Errorf("ids= of another org's user: %d, want 204", st)
	}
	profsB, err := e.st.Profiles(context.Background(), orgB.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.wantError(e.token, "/crm/v8/settings/profiles/"+profsB[0].ID.String(), 400, "INVALID_DATA", map[string]any{"resource_path_index": 2})
	modsB, err := e.st.Modules(context.Background(), orgB.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.wantError(e.token, "/crm/v8/settings/modules/"+modsB[0].ID.String(), 400, "INVALID_MODULE", map[string]any{"resource_path_index": 2})
	e.wantError(e.token, "/crm/v8/settings/fields/"+modsB[0].Fields[0].ID.String()+"?module="+modsB[0].APIName, 400, "INVALID_DATA", map[string]any{"resource_path_index": 2})
	if o := crmdtest.Items(t, e.ok("/crm/v8/org"), "org"); o[0]["id"] != e.org.ID.String() {
		t.Errorf("org A sees org %v", o[0]["id"])
	}

	// And the other way round: org B's token sees org B only.
	tokB := beta.Token(t, carol, metaAllScopes)
	_, body := e.get(tokB, "/crm/v8/users")
	users := crmdtest.Items(t, body, "users")
	if len(users) != 2 {
		t.Fatalf("org B users: %v", users)
	}
	for _, u := range users {
		if u["id"] == e.admin.ID.String() {
			t.Error("org B lists org A's admin")
		}
	}
	_, body = e.get(tokB, "/crm/v8/org")
	if o := crmdtest.Items(t, body, "org"); o[0]["zgid"] != orgB.ZGID {
		t.Errorf("org B sees %v", o[0])
	}
}

// TestMetaScopes checks that each endpoint asks for its own scope.
func TestMetaScopes(t *testing.T) {
	e := newMetaEnv(t)
	modulesOnly := e.acme.Token(t, e.admin, "ZohoCRM.modules.ALL")
	lead := crmdtest.Items(t, e.ok("/crm/v8/settings/modules/Leads"), "modules")[0]
	field := crmdtest.Items(t, e.ok("/crm/v8/settings/fields?module=Leads"), "fields")[0]
	profile := crmdtest.Items(t, e.ok("/crm/v8/settings/profiles"), "profiles")[0]
	paths := []string{
		"/crm/v8/settings/modules", "/crm/v8/settings/modules/Leads", "/crm/v8/settings/modules/" + lead["id"].(string),
		"/crm/v8/settings/fields?module=Leads", "/crm/v8/settings/fields/" + field["id"].(string) + "?module=Leads",
		"/crm/v8/settings/fields", "/crm/v8/settings/fields?module=Nope",
		"/crm/v8/settings/profiles", "/crm/v8/settings/profiles/" + profile["id"].(string),
		"/crm/v8/users?type=CurrentUser", "/crm/v8/users/" + e.admin.ID.String(), "/crm/v8/org",
	}
	for _, p := range paths {
		e.wantError(modulesOnly, p, 401, "OAUTH_SCOPE_MISMATCH", map[string]any{})
	}

	// A resource scope grants that resource only; READ is enough.
	fieldsRead := e.acme.Token(t, e.admin, "ZohoCRM.settings.fields.READ,ZohoCRM.users.READ,ZohoCRM.org.READ")
	for _, p := range []string{"/crm/v8/settings/fields?module=Leads", "/crm/v8/users?type=CurrentUser", "/crm/v8/org"} {
		if st, body := e.get(fieldsRead, p); st != 200 {
			t.Errorf("%s: %d %v", p, st, body)
		}
	}
	e.wantError(fieldsRead, "/crm/v8/settings/modules", 401, "OAUTH_SCOPE_MISMATCH", map[string]any{})
	e.wantError(fieldsRead, "/crm/v8/settings/profiles", 401, "OAUTH_SCOPE_MISMATCH", map[string]any{})
}
