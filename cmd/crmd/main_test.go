package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/internal/testdb"
	"github.com/crmd/crmd/oauth"
	"github.com/crmd/crmd/store"
)

// cli runs crmd commands in-process against one temporary database: a SQLite file, or a PostgreSQL
// schema with CRMD_TEST_STORE=postgres (internal/testdb), so that the CLI contract is checked on both.
type cli struct {
	t   *testing.T
	db  string
	env map[string]string
}

func newCLI(t *testing.T) *cli {
	t.Helper()
	return &cli{t: t, db: testdb.DSN(t), env: map[string]string{}}
}

// run executes one command and returns its stdout, stderr and error.
func (c *cli) run(args ...string) (string, string, error) {
	c.t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return c.env[k] }}
	err := m.Run(context.Background(), args)
	return out.String(), errb.String(), err
}

// ok runs a command that must succeed and decodes its one line of JSON.
func (c *cli) ok(args ...string) map[string]any {
	c.t.Helper()
	out, stderr, err := c.run(args...)
	if err != nil {
		c.t.Fatalf("crmd %s: %v\nstderr: %s", strings.Join(args, " "), err, stderr)
	}
	return decodeLine(c.t, out)
}

// decodeLine checks that out is exactly one line of JSON and decodes it.
func decodeLine(t *testing.T, out string) map[string]any {
	t.Helper()
	if !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 {
		t.Fatalf("want one line of JSON ending in a newline, got %q", out)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("output is not JSON: %v: %q", err, out)
	}
	return m
}

func keysOf(m map[string]any) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	sort.Strings(k)
	return k
}

func wantKeys(t *testing.T, m map[string]any, want ...string) {
	t.Helper()
	sort.Strings(want)
	if got := keysOf(m); !reflect.DeepEqual(got, want) {
		t.Fatalf("keys = %v, want %v", got, want)
	}
}

// wantIDString checks that v is a JSON string holding a valid 19-digit id.
func wantIDString(t *testing.T, name string, v any) crmd.ID {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("%s = %#v, want a JSON string", name, v)
	}
	id, ok := crmd.ParseID(s)
	if !ok || len(s) != 19 {
		t.Fatalf("%s = %q, want a 19-digit id", name, s)
	}
	return id
}

// initOrg runs `crmd init` and returns its output.
func (c *cli) initOrg(extra ...string) map[string]any {
	c.t.Helper()
	return c.ok(append([]string{"init", "--db", c.db}, extra...)...)
}

func (c *cli) open() *store.Store {
	c.t.Helper()
	st, err := store.Open(context.Background(), c.db)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { st.Close() })
	return st
}

func TestInit(t *testing.T) {
	c := newCLI(t)
	out := c.initOrg()
	wantKeys(t, out, "org_id", "user_id", "client_id", "client_secret")
	orgID := wantIDString(t, "org_id", out["org_id"])
	userID := wantIDString(t, "user_id", out["user_id"])
	if id, _ := out["client_id"].(string); !strings.HasPrefix(id, "1000.") {
		t.Errorf("client_id = %q", id)
	}
	if s, _ := out["client_secret"].(string); len(s) < 32 {
		t.Errorf("client_secret = %q", s)
	}
	st := c.open()
	ctx := context.Background()
	org, err := st.Org(ctx, orgID)
	if err != nil {
		t.Fatal(err)
	}
	if org.Name != defaultOrgName {
		t.Errorf("org name = %q", org.Name)
	}
	admin, err := st.UserByEmail(ctx, orgID, defaultAdminEmail)
	if err != nil || admin.ID != userID || !admin.Profile.IsAdmin() {
		t.Fatalf("admin = %+v, %v", admin, err)
	}
	if m, _ := st.Module(ctx, orgID, "Leads"); m == nil {
		t.Error("no Leads module")
	}
	cl, err := st.FirstClient(ctx, orgID)
	if err != nil || cl.ClientID != out["client_id"] || cl.SecretHash != oauth.HashToken(out["client_secret"].(string)) {
		t.Errorf("first client = %+v, %v", cl, err)
	}

	// A second init makes a second org with the given name and admin.
	out2 := c.initOrg("--org-name", "Acme", "--admin-email", "boss@acme.test")
	if out2["org_id"] == out["org_id"] {
		t.Error("second init reused the org")
	}
	org2, _ := st.Org(ctx, wantIDString(t, "org_id", out2["org_id"]))
	if org2 == nil || org2.Name != "Acme" || org2.PrimaryEmail != "boss@acme.test" {
		t.Errorf("second org = %+v", org2)
	}
	if n, _ := st.CountOrgs(ctx); n != 2 {
		t.Errorf("orgs = %d", n)
	}
	if _, _, err := c.run("init", "--db", c.db, "--admin-email", "not an email"); err == nil {
		t.Error("init took a bad email")
	}
}

func TestUserAdd(t *testing.T) {
	c := newCLI(t)
	org := c.initOrg()["org_id"].(string)
	out := c.ok("user", "add", "--db", c.db, "--org", org, "--email", "Jane@Example.com")
	wantKeys(t, out, "user_id")
	uid := wantIDString(t, "user_id", out["user_id"])
	out = c.ok("user", "add", "--db", c.db, "--org", org, "--email", "boss@example.com", "--profile", "administrator", "--first-name", "Big", "--last-name", "Boss")
	bossID := wantIDString(t, "user_id", out["user_id"])

	st := c.open()
	ctx := context.Background()
	orgID, _ := crmd.ParseID(org)
	u, err := st.UserByEmail(ctx, orgID, "jane@example.com")
	if err != nil || u.ID != uid || u.Profile.Name != crmd.ProfileStandard {
		t.Fatalf("jane = %+v, %v", u, err)
	}
	b, err := st.User(ctx, orgID, bossID)
	if err != nil || b.Profile.Name != crmd.ProfileAdministrator || b.FullName() != "Big Boss" {
		t.Fatalf("boss = %+v, %v", b, err)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"duplicate", []string{"--org", org, "--email", "JANE@example.com"}, "already exists"},
		{"bad profile", []string{"--org", org, "--email", "x@example.com", "--profile", "Manager"}, "--profile"},
		{"missing email", []string{"--org", org}, "--email is required"},
		{"bad email", []string{"--org", org, "--email", "nope"}, "invalid email"},
		{"unknown org", []string{"--org", "1234567000000000001", "--email", "x@example.com"}, "no org"},
		{"bad org", []string{"--org", "abc", "--email", "x@example.com"}, "invalid --org"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := c.run(append([]string{"user", "add", "--db", c.db}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestToken(t *testing.T) {
	c := newCLI(t)
	org := c.initOrg()["org_id"].(string)
	c.ok("user", "add", "--db", c.db, "--org", org, "--email", "jane@example.com")
	out := c.ok("token", "--db", c.db, "--org", org, "--email", "Jane@example.com",
		"--scope", "ZohoCRM.modules.ALL,ZohoCRM.mass_delete.ALL", "--ttl", "90m")
	wantKeys(t, out, "access_token", "refresh_token", "expires_in", "token_type", "api_domain")
	if out["expires_in"] != float64(5400) {
		t.Errorf("expires_in = %v, want 5400", out["expires_in"])
	}
	if out["token_type"] != "Bearer" || out["api_domain"] != defaultBaseURL {
		t.Errorf("token_type/api_domain = %v / %v", out["token_type"], out["api_domain"])
	}

	// The token authenticates as jane, with the scopes given.
	st := c.open()
	auth := &oauth.Server{Store: st}
	caller, err := auth.Authenticate(context.Background(), "Zoho-oauthtoken "+out["access_token"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if caller.User.Email != "jane@example.com" || caller.Org.ID.String() != org {
		t.Errorf("caller = %+v / %+v", caller.User, caller.Org)
	}
	if !oauth.Permits(caller.Scopes, oauth.Need{Family: "mass_delete", Resource: "leads", Op: "DELETE"}) {
		t.Errorf("scopes = %v", caller.Scopes)
	}

	// The default ttl is an hour; --base-url is the api_domain.
	out = c.ok("token", "--db", c.db, "--org", org, "--email", "admin@crmd.local", "--scope", "ZohoCRM.users.READ",
		"--base-url", "https://crm.example.com/")
	if out["expires_in"] != float64(3600) || out["api_domain"] != "https://crm.example.com" {
		t.Errorf("defaults: %v", out)
	}
}

func TestCode(t *testing.T) {
	c := newCLI(t)
	in := c.initOrg()
	org := in["org_id"].(string)
	out := c.ok("code", "--db", c.db, "--org", org, "--email", "admin@crmd.local", "--scope", "ZohoCRM.modules.ALL")
	wantKeys(t, out, "code", "expires_in", "client_id")
	if out["expires_in"] != float64(120) || out["client_id"] != in["client_id"] {
		t.Errorf("code output = %v", out)
	}
	if code, _ := out["code"].(string); !strings.HasPrefix(code, "1000.") {
		t.Errorf("code = %q", code)
	}
	st := c.open()
	g, err := st.UseGrant(context.Background(), oauth.HashToken(out["code"].(string)))
	if err != nil || g.ClientID != in["client_id"] || g.Scope != "ZohoCRM.modules.ALL" {
		t.Errorf("grant = %+v, %v", g, err)
	}
	out = c.ok("code", "--db", c.db, "--org", org, "--email", "admin@crmd.local", "--scope", "ZohoCRM.modules.ALL", "--ttl", "10m")
	if out["expires_in"] != float64(600) {
		t.Errorf("expires_in = %v", out["expires_in"])
	}
	if _, _, err := c.run("code", "--db", c.db, "--org", org, "--email", "admin@crmd.local", "--scope", "Zoho.bad"); err == nil {
		t.Error("code took a bad scope")
	}
}

func TestCommandErrors(t *testing.T) {
	c := newCLI(t)
	org := c.initOrg()["org_id"].(string)
	scope := "ZohoCRM.modules.ALL"
	base := []string{"--db", c.db, "--org", org, "--email", "admin@crmd.local"}
	for _, tc := range []struct {
		name  string
		args  []string
		want  string
		usage bool // exit status 2
	}{
		{"token without org: the only one", []string{"token", "--db", c.db, "--email", "a@b.c", "--scope", scope}, "no user a@b.c in org " + org, false},
		{"token missing scope", append([]string{"token"}, base...), "--scope is required", true},
		{"token bad scope", append(append([]string{"token"}, base...), "--scope", "ZohoCRM.modules"), "invalid --scope", true},
		{"token bad scope op", append(append([]string{"token"}, base...), "--scope", "ZohoCRM.modules.EAT"), "invalid --scope", true},
		{"token ttl 0s", append(append([]string{"token"}, base...), "--scope", scope, "--ttl", "0s"), "--ttl", true},
		{"token ttl 999ms", append(append([]string{"token"}, base...), "--scope", scope, "--ttl", "999ms"), "--ttl", true},
		{"token ttl abc", append(append([]string{"token"}, base...), "--scope", scope, "--ttl", "abc"), "invalid value", true},
		{"token unknown email", []string{"token", "--db", c.db, "--org", org, "--email", "ghost@x.com", "--scope", scope}, "no user ghost@x.com in org " + org, false},
		{"token unknown org", []string{"token", "--db", c.db, "--org", "1111111000000000001", "--email", "ghost@x.com", "--scope", scope}, "no org", false},
		{"token no database", []string{"token", "--db", filepath.Join(t.TempDir(), "none.db"), "--org", org, "--email", "a@b.c", "--scope", scope}, "does not exist", false},
		{"unknown flag", []string{"token", "--bogus"}, "bogus", true},
		{"stray argument", []string{"migrate", "--db", c.db, "extra"}, "unexpected argument", true},
		{"unknown command", []string{"frobnicate"}, "unknown command", true},
		{"user without add", []string{"user"}, "subcommand", true},
		{"user bad sub", []string{"user", "remove"}, "subcommand", true},
		{"no command", nil, "no command", true},
		{"seed count 0", []string{"seed", "--db", c.db, "--org", org}, "--count", true},
		{"seed writers 0", []string{"seed", "--db", c.db, "--org", org, "--count", "1", "--writers", "0"}, "--writers", true},
		{"seed unknown module", []string{"seed", "--db", c.db, "--org", org, "--module", "Nope", "--count", "1"}, "no module Nope", false},
		{"serve bad lock", []string{"serve", "--mass-delete-lock", "table"}, "--mass-delete-lock", true},
		{"serve bad batch", []string{"serve", "--job-batch-size", "0"}, "--job-batch-size", true},
		{"serve bad timeout", []string{"serve", "--read-header-timeout", "0s"}, "--read-header-timeout", true},
		{"serve bad id limit", []string{"serve", "--mass-delete-id-limit", "0"}, "--mass-delete-id-limit", true},
		{"serve bad view limit", []string{"serve", "--mass-delete-view-limit", "-1"}, "--mass-delete-view-limit", true},
		{"serve bad level", []string{"serve", "--log-level", "loud"}, "--log-level", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := c.run(tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
			var stderr bytes.Buffer
			code := run(context.Background(), tc.args, &bytes.Buffer{}, &stderr, func(k string) string { return c.env[k] })
			want := 1
			if tc.usage {
				want = 2
			}
			if code != want {
				t.Errorf("exit status = %d, want %d", code, want)
			}
			if !strings.Contains(stderr.String(), "crmd: ") {
				t.Errorf("stderr = %q, want the error", stderr.String())
			}
		})
	}
	if code := run(context.Background(), []string{"migrate", "--db", c.db}, &bytes.Buffer{}, &bytes.Buffer{}, nil); code != 0 {
		t.Errorf("migrate exit status = %d", code)
	}
}

func TestEnvironmentFallback(t *testing.T) {
	c := newCLI(t)
	c.env["CRMD_DB"] = c.db
	c.env["CRMD_ORG_NAME"] = "From Env"
	c.env["CRMD_ADMIN_EMAIL"] = "env@example.com"
	out := c.ok("init")
	org := out["org_id"].(string)
	st := c.open()
	orgID, _ := crmd.ParseID(org)
	o, err := st.Org(context.Background(), orgID)
	if err != nil || o.Name != "From Env" || o.PrimaryEmail != "env@example.com" {
		t.Fatalf("org = %+v, %v", o, err)
	}

	c.env["CRMD_ORG"] = org
	c.env["CRMD_EMAIL"] = "second@example.com"
	c.env["CRMD_PROFILE"] = "ADMINISTRATOR"
	uid := wantIDString(t, "user_id", c.ok("user", "add")["user_id"])
	u, err := st.User(context.Background(), orgID, uid)
	if err != nil || u.Email != "second@example.com" || !u.Profile.IsAdmin() {
		t.Fatalf("user = %+v, %v", u, err)
	}

	c.env["CRMD_SCOPE"] = "ZohoCRM.modules.ALL"
	c.env["CRMD_TTL"] = "2h"
	c.env["CRMD_BASE_URL"] = "http://crmd.internal:9000"
	out = c.ok("token")
	if out["expires_in"] != float64(7200) || out["api_domain"] != "http://crmd.internal:9000" {
		t.Errorf("token from env = %v", out)
	}
	// The command line wins over the environment.
	out = c.ok("token", "--ttl", "1m", "--email", "env@example.com")
	if out["expires_in"] != float64(60) {
		t.Errorf("--ttl 1m with CRMD_TTL=2h: expires_in = %v", out["expires_in"])
	}
	// A bad value in the environment is an error naming the variable.
	c.env["CRMD_TTL"] = "soon"
	if _, _, err := c.run("token"); err == nil || !strings.Contains(err.Error(), "CRMD_TTL") {
		t.Errorf("CRMD_TTL=soon: err = %v", err)
	}
	c.env["CRMD_TTL"] = "0s"
	if _, _, err := c.run("token"); err == nil {
		t.Error("CRMD_TTL=0s accepted")
	}
	delete(c.env, "CRMD_TTL")

	c.env["CRMD_MODULE"] = "Leads"
	c.env["CRMD_COUNT"] = "25"
	if out := c.ok("seed"); out["inserted"] != float64(25) {
		t.Errorf("seed from env = %v", out)
	}
	c.env["CRMD_API_NAME"] = "Projects"
	c.env["CRMD_FIELD"] = "Budget:currency; Stage:picklist:Open|Done"
	out = c.ok("module", "add")
	m, _ := st.Module(context.Background(), orgID, "Projects")
	if m == nil || m.Field("Budget") == nil || m.Field("Stage") == nil || out["api_name"] != "Projects" {
		t.Errorf("module from env: %v, %+v", out, m)
	}
}

func TestModuleAdd(t *testing.T) {
	c := newCLI(t)
	org := c.initOrg()["org_id"].(string)
	out := c.ok("module", "add", "--db", c.db, "--org", org, "--api-name", "Projects", "--singular", "Project", "--plural", "Projects",
		"--field", "Budget:currency", "--field", "Phase:picklist:Plan|Build|Run", "--field", "Client:lookup:accounts", "--field", "Kickoff:date:Kick-off Date")
	wantKeys(t, out, "module_id", "api_name", "module_name")
	modID := wantIDString(t, "module_id", out["module_id"])
	if out["api_name"] != "Projects" || out["module_name"] != "CustomModule1" {
		t.Errorf("module add = %v", out)
	}
	st := c.open()
	ctx := context.Background()
	orgID, _ := crmd.ParseID(org)
	m, err := st.Module(ctx, orgID, "projects")
	if err != nil || m == nil || m.ID != modID || !m.IsCustom() || m.SingularLabel != "Project" {
		t.Fatalf("module = %+v, %v", m, err)
	}
	if f := m.Field("Client"); f == nil || f.LookupModule != "Accounts" {
		t.Errorf("Client = %+v", f)
	}
	if f := m.Field("Kickoff"); f == nil || f.Label != "Kick-off Date" || f.DataType != crmd.TypeDate {
		t.Errorf("Kickoff = %+v", f)
	}
	if f := m.Field("Phase"); f == nil || !reflect.DeepEqual(f.Picklist, []string{"Plan", "Build", "Run"}) {
		t.Errorf("Phase = %+v", f)
	}
	out = c.ok("module", "add", "--db", c.db, "--org", org, "--api-name", "Assets")
	if out["module_name"] != "CustomModule2" {
		t.Errorf("second custom module = %v", out)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"clash with standard", []string{"--api-name", "leads"}, "already has a module Leads"},
		{"clash with custom", []string{"--api-name", "PROJECTS"}, "already has a module Projects"},
		{"bad api name", []string{"--api-name", "9lives"}, "invalid --api-name"},
		{"double underscore", []string{"--api-name", "My__Mod"}, "invalid --api-name"},
		{"bad field spec", []string{"--api-name", "Things", "--field", "Cost:money"}, "invalid --field"},
		{"field clash", []string{"--api-name", "Things", "--field", "name:text"}, "already has a field"},
		{"lookup to nowhere", []string{"--api-name", "Things", "--field", "Ref:lookup:Nowhere"}, "no module Nowhere"},
		{"missing api name", nil, "--api-name is required"},
		{"reserved: Settings", []string{"--api-name", "Settings"}, `"settings" is a word of the Zoho API's own paths`},
		{"reserved: users", []string{"--api-name", "users"}, `"users" is a word of the Zoho API's own paths`},
		{"reserved: ORG", []string{"--api-name", "ORG"}, `"org" is a word of the Zoho API's own paths`},
		{"reserved: Actions", []string{"--api-name", "Actions"}, `"actions" is a word of the Zoho API's own paths`},
		{"reserved: coql", []string{"--api-name", "Coql"}, `"coql" is a word of the Zoho API's own paths`},
		{"reserved: search", []string{"--api-name", "search"}, `"search" is a word of the Zoho API's own paths`},
		{"reserved: upsert", []string{"--api-name", "Upsert"}, `"upsert" is a word of the Zoho API's own paths`},
		{"reserved: deleted", []string{"--api-name", "Deleted"}, `"deleted" is a word of the Zoho API's own paths`},
		{"reserved: Notifications", []string{"--api-name", "Notifications"}, `"notifications" is a word of the Zoho API's own paths`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := c.run(append([]string{"module", "add", "--db", c.db, "--org", org}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestMigrate(t *testing.T) {
	c := newCLI(t)
	out := c.ok("migrate", "--db", c.db)
	if v, _ := out["schema_version"].(string); !strings.HasSuffix(v, ".sql") {
		t.Errorf("migrate = %v", out)
	}
	c.ok("migrate", "--db", c.db) // idempotent
}

func TestHelp(t *testing.T) {
	c := newCLI(t)
	out, _, err := c.run("help")
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range commands {
		if !strings.Contains(out, "crmd "+cmd.fullName()) {
			t.Errorf("help does not mention crmd %s", cmd.fullName())
		}
	}
	for _, v := range []string{"CRMD_DB", "CRMD_ADDR", "CRMD_BASE_URL", "CRMD_ORG_NAME", "CRMD_ADMIN_EMAIL", "CRMD_ORG", "CRMD_EMAIL",
		"CRMD_SCOPE", "CRMD_TTL", "CRMD_MODULE", "CRMD_COUNT", "CRMD_PROFILE", "CRMD_NO_BOOTSTRAP", "CRMD_MAX_BODY_BYTES", "CRMD_LOG_LEVEL",
		"CRMD_JOB_BATCH_SIZE", "CRMD_JOB_BATCH_DELAY", "CRMD_MASS_DELETE_LOCK", "CRMD_RECYCLE_RETENTION", "CRMD_MAX_CONCURRENT_PER_USER",
		"CRMD_CREDITS_PER_DAY", "CRMD_API_NAME", "CRMD_FIELD"} {
		if !strings.Contains(out, v) {
			t.Errorf("help does not mention %s", v)
		}
	}
	for _, args := range [][]string{{"token", "-h"}, {"token", "--help"}, {"user", "add", "-h"}, {"help", "seed"}, {"help", "module", "add"}, {"help", "user"}, {"serve", "-h"}} {
		out, _, err := c.run(args...)
		if err != nil {
			t.Errorf("%v: %v", args, err)
			continue
		}
		if !strings.HasPrefix(out, "Usage: crmd ") || !strings.Contains(out, "--db") {
			t.Errorf("%v: usage = %q", args, out)
		}
	}
	out, _, _ = c.run("serve", "-h")
	for _, f := range []string{"--addr", "--base-url", "--no-bootstrap", "--max-body-bytes", "--log-level", "--job-batch-size", "--job-batch-delay", "--job-lease",
		"--mass-delete-lock", "--recycle-retention", "--max-concurrent-per-user", "--credits-per-day", "mass-delete job runner", "valid 24 h",
		"--mass-delete-id-limit", "--mass-delete-view-limit", "--mass-delete-edition-gate", "CRMD_MASS_DELETE_EDITION_GATE", "resumes the job",
		"--read-header-timeout", "--read-timeout", "--write-timeout", "--idle-timeout", "TOO_MANY_REQUESTS", "--query-timeout", "QUERY_TIMEOUT",
		"--control-token", "--journal-size"} {
		if !strings.Contains(out, f) {
			t.Errorf("serve -h does not mention %s", f)
		}
	}
	for _, bad := range []string{"0s", "500us", "-1s"} {
		var ue *usageError
		if _, _, err := c.run("serve", "--db", filepath.Join(t.TempDir(), "q.db"), "--query-timeout", bad); !errors.As(err, &ue) || !strings.Contains(err.Error(), "invalid --query-timeout") {
			t.Errorf("serve --query-timeout %s: %v, want a usage error naming the flag", bad, err)
		}
	}
	for flag, bad := range map[string]string{"--control-token": "short", "--journal-size": "0"} {
		var ue *usageError
		if _, _, err := c.run("serve", "--db", filepath.Join(t.TempDir(), "q.db"), flag, bad); !errors.As(err, &ue) || !strings.Contains(err.Error(), "invalid "+flag) {
			t.Errorf("serve %s %s: %v, want a usage error naming the flag", flag, bad, err)
		}
	}
	var ue *usageError
	if _, _, err := c.run(); !errors.As(err, &ue) {
		t.Errorf("no command: %v", err)
	}
}

// TestJobLease: --job-lease overrides the default lease, which outlives three batch pauses; a lease
// under a second is refused.
func TestJobLease(t *testing.T) {
	for _, tc := range []struct {
		lease, delay, want time.Duration
	}{{0, 0, 30 * time.Second}, {0, 20 * time.Second, 60 * time.Second}, {2 * time.Second, 20 * time.Second, 2 * time.Second}} {
		c := ServeConfig{JobLease: tc.lease, JobBatchDelay: tc.delay}
		if got := c.jobLease(); got != tc.want {
			t.Errorf("lease %s, delay %s: %s, want %s", tc.lease, tc.delay, got, tc.want)
		}
	}
	c := newCLI(t)
	var ue *usageError
	if _, _, err := c.run("serve", "--db", c.db, "--job-lease", "500ms"); !errors.As(err, &ue) || !strings.Contains(err.Error(), "--job-lease") {
		t.Errorf("--job-lease 500ms: %v, want a usage error naming the flag", err)
	}
}

func TestListenBaseURL(t *testing.T) {
	bound := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 43210}
	for addr, want := range map[string]string{
		"127.0.0.1:0":    "http://127.0.0.1:43210",
		"127.0.0.1:8080": "http://127.0.0.1:8080",
		":8080":          "http://127.0.0.1:8080",
		"0.0.0.0:0":      "http://127.0.0.1:43210",
		"localhost:9000": "http://localhost:9000",
		"[::1]:0":        "http://[::1]:43210",
	} {
		if got := listenBaseURL(addr, bound); got != want {
			t.Errorf("listenBaseURL(%q) = %q, want %q", addr, got, want)
		}
	}
}

// TestConsoleLink: the command prints one sign-in URL on the base URL given, whose secret is stored
// only as a hash; bad input is a usage error and an unknown user an error.
func TestConsoleLink(t *testing.T) {
	c := newCLI(t)
	c.initOrg()
	out, stderr, err := c.run("console-link", "--db", c.db, "--email", "admin@crmd.local", "--base-url", "https://crm.example.com/")
	if err != nil {
		t.Fatalf("console-link: %v\n%s", err, stderr)
	}
	m := regexp.MustCompile(`^https://crm\.example\.com/console/signin\?token=([0-9a-f]{64})\n$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("console-link printed %q", out)
	}
	// The link signs in once on a server of that database.
	st := c.open()
	auth := &oauth.Server{Store: st}
	if _, err := auth.SignIn(context.Background(), m[1]); err != nil {
		t.Fatalf("the printed link does not sign in: %v", err)
	}
	if _, err := auth.SignIn(context.Background(), m[1]); !errors.Is(err, oauth.ErrConsoleLink) {
		t.Fatalf("second sign-in: %v, want ErrConsoleLink", err)
	}
	for _, args := range [][]string{
		{"console-link", "--db", c.db},
		{"console-link", "--db", c.db, "--email", "admin@crmd.local", "--ttl", "0s"},
		{"console-link", "--db", c.db, "--email", "admin@crmd.local", "--base-url", "ftp://x"},
	} {
		var ue *usageError
		if _, _, err := c.run(args...); !errors.As(err, &ue) {
			t.Errorf("crmd %v: err = %v, want a usage error", args[1:], err)
		}
	}
	if _, _, err := c.run("console-link", "--db", c.db, "--email", "nobody@crmd.local"); err == nil || !strings.Contains(err.Error(), "no user nobody@crmd.local") {
		t.Errorf("unknown user: %v", err)
	}
}

// TestHealthcheck: 0 on a 200, an error otherwise, a usage error for a bad URL.
func TestHealthcheck(t *testing.T) {
	c := newCLI(t)
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) }))
	defer ok.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	defer down.Close()
	if out, _, err := c.run("healthcheck", "--url", ok.URL); err != nil || out != "healthy\n" {
		t.Errorf("healthy server: %q %v", out, err)
	}
	if _, _, err := c.run("healthcheck", "--url", down.URL); err == nil || !strings.Contains(err.Error(), "answered 503") {
		t.Errorf("unhealthy server: %v", err)
	}
	var ue *usageError
	if _, _, err := c.run("healthcheck", "--url", "ftp://x"); !errors.As(err, &ue) {
		t.Errorf("bad url: %v", err)
	}
}
