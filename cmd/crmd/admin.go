package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/admin"
	"github.com/crmd/crmd/catalog"
	"github.com/crmd/crmd/oauth"
	"github.com/crmd/crmd/store"
)

// Defaults shared by several commands.
const (
	defaultDB         = "./crmd.db"
	dbUsage           = "database: a SQLite file path, or a postgres:// URL to run on PostgreSQL"
	defaultAddr       = "127.0.0.1:8080"
	defaultBaseURL    = "http://127.0.0.1:8080"
	defaultOrgName    = "crmd"
	defaultAdminEmail = "admin@crmd.local"
	orgUsage          = "id of the org (default: the database's only org; required when it holds several)"
)

// writeJSON prints v to w as one line of JSON followed by a newline.
func writeJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// openExisting opens a database that must already exist, running pending migrations.
func openExisting(ctx context.Context, dsn string) (*store.Store, error) {
	if err := fileMustExist(dsn); err != nil {
		return nil, err
	}
	return store.Open(ctx, dsn)
}

// parseOrgFlag checks --org and returns the org, which must exist in st. An empty value names the
// database's only org, so that a newcomer on the bootstrapped database never has to look its id up; a
// database of several orgs needs the flag.
func parseOrgFlag(ctx context.Context, st *store.Store, value string) (*crmd.Org, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		ids, err := st.OrgIDs(ctx, 2)
		if err != nil {
			return nil, err
		}
		switch len(ids) {
		case 0:
			return nil, errors.New("the database holds no org yet: start 'crmd serve' once (it creates one) or run 'crmd init'")
		case 1:
			return st.Org(ctx, ids[0])
		}
		return nil, usageErrorf("--org is required: the database holds several orgs (or set %s)", envName("org"))
	}
	id, ok := crmd.ParseID(value)
	if !ok {
		return nil, usageErrorf("invalid --org %q: want the org's numeric id (as printed by 'crmd init')", value)
	}
	org, err := st.Org(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("no org %s in this database", id)
	}
	return org, err
}

// openOrg opens the existing database dsn and finds the --org value there (the only org when the
// value is empty); the caller closes the store.
func openOrg(ctx context.Context, dsn, orgValue string) (*store.Store, *crmd.Org, error) {
	st, err := openExisting(ctx, dsn)
	if err != nil {
		return nil, nil, err
	}
	org, err := parseOrgFlag(ctx, st, orgValue)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, org, nil
}

// userInOrg finds a user of the org by email.
func userInOrg(ctx context.Context, st *store.Store, org *crmd.Org, email string) (*crmd.User, error) {
	u, err := st.UserByEmail(ctx, org.ID, email)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("no user %s in org %s", strings.ToLower(strings.TrimSpace(email)), org.ID)
	}
	return u, err
}

// checkEmail accepts a bare address such as jane@example.com.
func checkEmail(email string) error {
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" {
		return usageErrorf("invalid email address %q", email)
	}
	return nil
}

// ttlFlag checks a --ttl value.
func checkTTL(ttl time.Duration) error {
	if ttl < time.Second {
		return usageErrorf("invalid --ttl %s: want a duration of at least 1s, such as 90m or 24h", ttl)
	}
	return nil
}

var initCmd = &command{
	name:     "init",
	synopsis: "[--db PATH] [--org-name NAME] [--admin-email EMAIL]",
	summary:  "create a new org with its admin user and OAuth client",
	details: `Creates a new org (creating the database if needed) with Zoho CRM's standard modules, an Administrator
user and an OAuth client, and prints:
  {"org_id":"…","user_id":"…","client_id":"…","client_secret":"…"}
The client secret is shown only this once. Mint tokens for the org with 'crmd token'.`,
	define: func(fs *flag.FlagSet, m *Main) func(context.Context) error {
		db := fs.String("db", defaultDB, dbUsage)
		name := fs.String("org-name", defaultOrgName, "name of the new org")
		email := fs.String("admin-email", defaultAdminEmail, "email of the org's Administrator user")
		return func(ctx context.Context) error {
			if err := required(*name, "org-name"); err != nil {
				return err
			}
			if err := checkEmail(*email); err != nil {
				return err
			}
			st, err := store.Open(ctx, *db)
			if err != nil {
				return err
			}
			defer st.Close()
			n, err := admin.CreateOrg(ctx, st, strings.TrimSpace(*name), *email, false)
			if err != nil {
				return err
			}
			return writeJSON(m.Stdout, struct {
				OrgID        crmd.ID `json:"org_id"`
				UserID       crmd.ID `json:"user_id"`
				ClientID     string  `json:"client_id"`
				ClientSecret string  `json:"client_secret"`
			}{n.Org.ID, n.Admin.ID, n.ClientID, n.ClientSecret})
		}
	},
}

var userAddCmd = &command{
	group:    "user",
	name:     "add",
	synopsis: "[--db PATH] [--org ORG_ID] --email EMAIL [--profile Administrator|Standard] [--first-name NAME] [--last-name NAME]",
	summary:  "add a user to an org",
	details: `Adds a user to an org and prints {"user_id":"…"}. The profile is Administrator or Standard (any case);
Standard users may read and write records but not mass delete. An email already used in the org is an
error. The last name defaults to the part of the email before the @.`,
	define: func(fs *flag.FlagSet, m *Main) func(context.Context) error {
		db := fs.String("db", defaultDB, dbUsage)
		orgFlag := fs.String("org", "", orgUsage)
		email := fs.String("email", "", "the new user's email (required)")
		profile := fs.String("profile", crmd.ProfileStandard, "the user's profile: Administrator or Standard")
		first := fs.String("first-name", "", "the user's first name")
		last := fs.String("last-name", "", "the user's last name")
		return func(ctx context.Context) error {
			if err := required(*email, "email"); err != nil {
				return err
			}
			addr := strings.ToLower(strings.TrimSpace(*email))
			if err := checkEmail(addr); err != nil {
				return err
			}
			var prof string
			switch strings.ToLower(strings.TrimSpace(*profile)) {
			case "administrator":
				prof = crmd.ProfileAdministrator
			case "standard":
				prof = crmd.ProfileStandard
			default:
				return usageErrorf("invalid --profile %q: want Administrator or Standard", *profile)
			}
			st, org, err := openOrg(ctx, *db, *orgFlag)
			if err != nil {
				return err
			}
			defer st.Close()
			u, err := st.CreateUser(ctx, org.ID, store.NewUser{Email: addr, FirstName: strings.TrimSpace(*first),
				LastName: strings.TrimSpace(*last), Profile: prof})
			if errors.Is(err, store.ErrDuplicate) {
				return fmt.Errorf("user %s already exists in org %s", addr, org.ID)
			}
			if err != nil {
				return err
			}
			return writeJSON(m.Stdout, struct {
				UserID crmd.ID `json:"user_id"`
			}{u.ID})
		}
	},
}

var tokenCmd = &command{
	name:     "token",
	synopsis: `[--db PATH] [--org ORG_ID] --email EMAIL --scope "ZohoCRM.modules.ALL,…" [--ttl 1h] [--base-url URL]`,
	summary:  "mint an access token and a refresh token for a user",
	details: `Mints an access token (valid for --ttl) and a refresh token (valid until revoked) for a user of an org,
through the org's first OAuth client, and prints:
  {"access_token":"…","refresh_token":"…","expires_in":3600,"token_type":"Bearer","api_domain":"…"}
Scopes are comma- or space-separated, in Zoho's grammar ZohoCRM.<family>[.<resource>].<ALL|READ|CREATE|
UPDATE|DELETE|WRITE>; mass delete needs ZohoCRM.mass_delete.ALL (ZohoCRM.modules.ALL does not grant it).
api_domain is --base-url: the address clients should send API calls to. Use the access token as
  Authorization: Zoho-oauthtoken <access_token>`,
	define: func(fs *flag.FlagSet, m *Main) func(context.Context) error {
		db := fs.String("db", defaultDB, dbUsage)
		orgFlag := fs.String("org", "", orgUsage)
		email := fs.String("email", "", "email of the token's user (required)")
		scope := fs.String("scope", "", "the token's scopes, comma-separated (required)")
		ttl := fs.Duration("ttl", time.Hour, "lifetime of the access token: a Go duration of at least 1s")
		baseURL := fs.String("base-url", defaultBaseURL, "the server's public base URL, returned as api_domain")
		return func(ctx context.Context) error {
			g, err := resolveGrant(ctx, *db, *orgFlag, *email, *scope, *ttl)
			if err != nil {
				return err
			}
			defer g.st.Close()
			srv := &oauth.Server{Store: g.st, BaseURL: strings.TrimRight(*baseURL, "/")}
			tr, err := srv.IssueForUser(ctx, g.client.ClientID, g.org.ID, g.user.ID, *scope, *ttl, true)
			if err != nil {
				return err
			}
			return writeJSON(m.Stdout, struct {
				AccessToken  string `json:"access_token"`
				RefreshToken string `json:"refresh_token"`
				ExpiresIn    int    `json:"expires_in"`
				TokenType    string `json:"token_type"`
				APIDomain    string `json:"api_domain"`
			}{tr.AccessToken, tr.RefreshToken, int(*ttl / time.Second), tr.TokenType, tr.APIDomain})
		}
	},
}

var consoleLinkCmd = &command{
	name:     "console-link",
	synopsis: "[--db PATH] [--org ORG_ID] --email EMAIL [--ttl 10m] [--base-url URL]",
	summary:  "print a one-time link that signs a user in to the web console",
	details: `Prints a URL that signs a user of an org in to the web console (/console/, docs/console.md):
  http://127.0.0.1:8080/console/signin?token=…
The link works once, within --ttl; opening it starts a console session (a cookie, 12 hours) and moves
the browser on to the jobs page, so that the link's secret leaves the address bar. The console then
acts with the user's profile: a Standard user sees and may do everything but mass delete.
--base-url is the address the server is reached at (that of 'crmd serve').`,
	define: func(fs *flag.FlagSet, m *Main) func(context.Context) error {
		db := fs.String("db", defaultDB, dbUsage)
		orgFlag := fs.String("org", "", orgUsage)
		email := fs.String("email", "", "email of the user to sign in (required)")
		ttl := fs.Duration("ttl", oauth.DefaultConsoleLinkTTL, "how long the link can be used: a Go duration of at least 1s")
		baseURL := fs.String("base-url", defaultBaseURL, "the server's public base URL, the link's start")
		return func(ctx context.Context) error {
			if err := required(*email, "email"); err != nil {
				return err
			}
			if err := checkTTL(*ttl); err != nil {
				return err
			}
			base := strings.TrimRight(*baseURL, "/")
			if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
				return usageErrorf("invalid --base-url %q: want an http:// or https:// URL", *baseURL)
			}
			st, org, err := openOrg(ctx, *db, *orgFlag)
			if err != nil {
				return err
			}
			defer st.Close()
			u, err := userInOrg(ctx, st, org, *email)
			if err != nil {
				return err
			}
			srv := &oauth.Server{Store: st}
			secret, err := srv.NewConsoleLink(ctx, org.ID, u.ID, *ttl)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(m.Stdout, "%s/console/signin?token=%s\n", base, secret)
			return err
		}
	},
}

var codeCmd = &command{
	name:     "code",
	synopsis: `[--db PATH] [--org ORG_ID] --email EMAIL --scope "ZohoCRM.modules.ALL,…" [--ttl 2m]`,
	summary:  "mint a grant code for the authorization_code flow",
	details: `Mints a single-use grant code for a user of an org, through the org's first OAuth client, and prints:
  {"code":"…","expires_in":120,"client_id":"…"}
Exchange it at POST /oauth/v2/token with grant_type=authorization_code, client_id, client_secret and
code, as the Zoho SDKs do.`,
	define: func(fs *flag.FlagSet, m *Main) func(context.Context) error {
		db := fs.String("db", defaultDB, dbUsage)
		orgFlag := fs.String("org", "", orgUsage)
		email := fs.String("email", "", "email of the user granting access (required)")
		scope := fs.String("scope", "", "the scopes granted, comma-separated (required)")
		ttl := fs.Duration("ttl", oauth.DefaultCodeTTL, "lifetime of the code: a Go duration of at least 1s")
		return func(ctx context.Context) error {
			g, err := resolveGrant(ctx, *db, *orgFlag, *email, *scope, *ttl)
			if err != nil {
				return err
			}
			defer g.st.Close()
			srv := &oauth.Server{Store: g.st}
			code, err := srv.NewGrantCode(ctx, g.client.ClientID, g.org.ID, g.user.ID, *scope, *ttl)
			if err != nil {
				return err
			}
			return writeJSON(m.Stdout, struct {
				Code      string `json:"code"`
				ExpiresIn int    `json:"expires_in"`
				ClientID  string `json:"client_id"`
			}{code, int(*ttl / time.Second), g.client.ClientID})
		}
	},
}

// grant is what `token` and `code` mint for: a user of an org, through the org's first OAuth client.
type grant struct {
	st     *store.Store
	org    *crmd.Org
	user   *crmd.User
	client *store.Client
}

// resolveGrant checks the flags `token` and `code` share, opens the database and finds the user and
// the client. The caller closes g.st.
func resolveGrant(ctx context.Context, db, orgFlag, email, scope string, ttl time.Duration) (*grant, error) {
	for _, r := range [][2]string{{email, "email"}, {scope, "scope"}} {
		if err := required(r[0], r[1]); err != nil {
			return nil, err
		}
	}
	if err := checkTTL(ttl); err != nil {
		return nil, err
	}
	if _, err := oauth.ParseScopes(scope); err != nil {
		return nil, usageErrorf("invalid --scope: %v", err)
	}
	st, err := openExisting(ctx, db)
	if err != nil {
		return nil, err
	}
	g, err := func() (*grant, error) {
		org, err := parseOrgFlag(ctx, st, orgFlag)
		if err != nil {
			return nil, err
		}
		u, err := userInOrg(ctx, st, org, email)
		if err != nil {
			return nil, err
		}
		client, err := st.FirstClient(ctx, org.ID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("org %s has no OAuth client", org.ID)
		}
		if err != nil {
			return nil, err
		}
		return &grant{st: st, org: org, user: u, client: client}, nil
	}()
	if err != nil {
		st.Close()
		return nil, err
	}
	return g, nil
}

// fieldSpecs collects repeated --field flags.
type fieldSpecs []string

func (f *fieldSpecs) String() string { return strings.Join(*f, ";") }

// Set appends one spec.
func (f *fieldSpecs) Set(v string) error {
	*f = append(*f, v)
	return nil
}

// SetFromEnv takes several specs separated by semicolons.
func (f *fieldSpecs) SetFromEnv(v string) error {
	for _, s := range strings.Split(v, ";") {
		if s = strings.TrimSpace(s); s != "" {
			*f = append(*f, s)
		}
	}
	return nil
}

var moduleAddCmd = &command{
	group:    "module",
	name:     "add",
	synopsis: `[--db PATH] [--org ORG_ID] --api-name Projects [--singular Project] [--plural Projects] [--field "Budget:currency" …]`,
	summary:  "add a custom module to an org",
	details: `Adds an admin-defined module and prints {"module_id":"…","api_name":"Projects","module_name":"CustomModule1"}.
Every custom module has Zoho's default fields (Name, which is mandatory, Email, Secondary_Email,
Email_Opt_Out) and the system fields (Owner, Created_By, …); --field adds more, once per field:
  Api_Name:type[:Label]                 text, textarea, email, phone, website, integer, bigint, double,
                                        currency, percent, boolean, date, datetime
  Api_Name:picklist:A|B|C               also multiselectpicklist
  Api_Name:lookup:Accounts              a lookup to an existing module
In the environment, CRMD_FIELD holds several specs separated by semicolons. The api name must start
with a letter and hold letters, digits and single underscores; it may not clash with an existing module
(compared case-insensitively). Custom modules share the OAuth scope token "custom"
(ZohoCRM.modules.custom.ALL).`,
	define: func(fs *flag.FlagSet, m *Main) func(context.Context) error {
		db := fs.String("db", defaultDB, dbUsage)
		orgFlag := fs.String("org", "", orgUsage)
		apiName := fs.String("api-name", "", "the module's api name, used in URL paths (required)")
		singular := fs.String("singular", "", "singular label (default: the api name with spaces for underscores)")
		plural := fs.String("plural", "", "plural label (default: the api name with spaces for underscores)")
		var fields fieldSpecs
		fs.Var(&fields, "field", "an extra field, Api_Name:type[:Label]; repeatable")
		return func(ctx context.Context) error {
			if err := required(*apiName, "api-name"); err != nil {
				return err
			}
			name := strings.TrimSpace(*apiName)
			if err := catalog.CheckModuleName(name); err != nil {
				return usageErrorf("invalid --api-name: %v", err)
			}
			label := strings.ReplaceAll(name, "_", " ")
			sing, plur := strings.TrimSpace(*singular), strings.TrimSpace(*plural)
			if sing == "" {
				sing = label
			}
			if plur == "" {
				plur = label
			}
			var extra []*crmd.Field
			taken := map[string]bool{}
			for _, f := range catalog.NewCustomModule(name, "CustomModule0", sing, plur, nil).Fields {
				taken[strings.ToLower(f.APIName)] = true
			}
			for _, spec := range fields {
				f, err := catalog.ParseFieldSpec(spec)
				if err != nil {
					return usageErrorf("invalid --field: %v", err)
				}
				if taken[strings.ToLower(f.APIName)] {
					return usageErrorf("invalid --field %q: the module already has a field %s", spec, f.APIName)
				}
				taken[strings.ToLower(f.APIName)] = true
				extra = append(extra, f)
			}
			st, org, err := openOrg(ctx, *db, *orgFlag)
			if err != nil {
				return err
			}
			defer st.Close()
			mod, err := admin.AddModule(ctx, st, org.ID, admin.ModuleSpec{APIName: name, Singular: sing, Plural: plur, Fields: extra})
			if err != nil {
				return err
			}
			return writeJSON(m.Stdout, struct {
				ModuleID   crmd.ID `json:"module_id"`
				APIName    string  `json:"api_name"`
				ModuleName string  `json:"module_name"`
			}{mod.ID, mod.APIName, mod.ModuleName})
		}
	},
}

var migrateCmd = &command{
	name:     "migrate",
	synopsis: "[--db PATH]",
	summary:  "create the database or bring its schema up to date",
	details: `Applies every schema migration the database lacks (creating the database if needed) and prints
{"schema_version":"…"}, the newest migration applied. 'crmd serve' and every other command also migrate
on start; this command lets a deployment do it as a separate step.`,
	define: func(fs *flag.FlagSet, m *Main) func(context.Context) error {
		db := fs.String("db", defaultDB, dbUsage)
		return func(ctx context.Context) error {
			st, err := store.Open(ctx, *db)
			if err != nil {
				return err
			}
			defer st.Close()
			v, err := st.SchemaVersion(ctx)
			if err != nil {
				return err
			}
			return writeJSON(m.Stdout, struct {
				SchemaVersion string `json:"schema_version"`
			}{v})
		}
	},
}
