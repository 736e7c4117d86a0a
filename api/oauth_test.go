package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/api"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/oauth"
	"github.com/crmd/crmd/store"
)

// The three ways a client may send the token endpoint's parameters.
var modes = []string{"query", "urlencoded", "multipart"}

// call sends params to handler as the mode says and returns the status and decoded JSON body.
func call(t *testing.T, handler http.HandlerFunc, method, path, mode string, params map[string]string) (int, map[string]any) {
	t.Helper()
	var body bytes.Buffer
	var ctype string
	target := path
	switch mode {
	case "query":
		q := url.Values{}
		for k, v := range params {
			q.Set(k, v)
		}
		target += "?" + q.Encode()
	case "urlencoded":
		q := url.Values{}
		for k, v := range params {
			q.Set(k, v)
		}
		body.WriteString(q.Encode())
		ctype = "application/x-www-form-urlencoded"
	case "multipart":
		mw := multipart.NewWriter(&body)
		keys := make([]string, 0, len(params))
		for k := range params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if err := mw.WriteField(k, params[k]); err != nil {
				t.Fatal(err)
			}
		}
		if err := mw.Close(); err != nil {
			t.Fatal(err)
		}
		ctype = mw.FormDataContentType()
	default:
		t.Fatalf("mode %q", mode)
	}
	req := httptest.NewRequest(method, target, &body)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	rec := httptest.NewRecorder()
	handler(rec, req)
	if ct := rec.Header().Get("Content-Type"); ct != "application/json;charset=UTF-8" {
		t.Errorf("Content-Type %q", ct)
	}
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("body %q: %v", rec.Body.String(), err)
	}
	return rec.Code, out
}

func (f *oauthFixture) token(t *testing.T, mode string, params map[string]string) map[string]any {
	t.Helper()
	status, body := call(t, f.handler, http.MethodPost, "/oauth/v2/token", mode, params)
	if status != http.StatusOK {
		t.Fatalf("status %d body %v", status, body)
	}
	return body
}

func (f *oauthFixture) creds(grant string, extra map[string]string) map[string]string {
	p := map[string]string{"grant_type": grant, "client_id": f.clientID, "client_secret": f.secret}
	for k, v := range extra {
		p[k] = v
	}
	return p
}

func wantOAuthError(t *testing.T, body map[string]any, code string) {
	t.Helper()
	if len(body) != 1 || body["error"] != code {
		t.Fatalf("body %v, want {\"error\":%q}", body, code)
	}
}

// wantTokens checks a success body's keys and returns the access and refresh tokens.
func wantTokens(t *testing.T, body map[string]any, keys ...string) (access, refresh string) {
	t.Helper()
	want := append([]string{"access_token", "api_domain", "token_type", "expires_in"}, keys...)
	if len(body) != len(want) {
		t.Fatalf("body %v, want keys %v", body, want)
	}
	for _, k := range want {
		if _, ok := body[k]; !ok {
			t.Fatalf("body %v lacks %q", body, k)
		}
	}
	if body["api_domain"] != "http://crmd.test" || body["token_type"] != "Bearer" || body["expires_in"] != float64(3600) {
		t.Fatalf("body %v", body)
	}
	access, _ = body["access_token"].(string)
	refresh, _ = body["refresh_token"].(string)
	if !tokenRE.MatchString(access) {
		t.Fatalf("access token %q", access)
	}
	return access, refresh
}

func (f *oauthFixture) mustAuth(t *testing.T, access string) *crmd.Caller {
	t.Helper()
	c, err := f.srv.Authenticate(f.ctx, "Zoho-oauthtoken "+access)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	return c
}

func (f *oauthFixture) mustNotAuth(t *testing.T, access string) {
	t.Helper()
	_, err := f.srv.Authenticate(f.ctx, "Zoho-oauthtoken "+access)
	crmdtest.WantCode(t, err, "INVALID_TOKEN", 401)
}

func (f *oauthFixture) code(t *testing.T, scope string) string {
	t.Helper()
	c, err := f.srv.NewGrantCode(f.ctx, f.clientID, f.org.ID, f.admin.ID, scope, 0)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAuthorizationCodeGrant(t *testing.T) {
	f := newOAuthFixture(t, nil)
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			code := f.code(t, "ZohoCRM.modules.ALL,ZohoCRM.users.READ")
			body := f.token(t, mode, f.creds("authorization_code", map[string]string{"code": code}))
			access, refresh := wantTokens(t, body, "refresh_token")
			if !tokenRE.MatchString(refresh) {
				t.Fatalf("refresh token %q", refresh)
			}
			c := f.mustAuth(t, access)
			if c.User.ID != f.admin.ID || len(c.Scopes) != 2 || !oauth.Permits(c.Scopes, oauth.Need{Family: "modules", Resource: "leads", Op: "DELETE"}) {
				t.Errorf("caller %+v scopes %q", c.User, c.Scopes)
			}
			f.mustNotAuth(t, refresh)

			// single use
			again := f.token(t, mode, f.creds("authorization_code", map[string]string{"code": code}))
			wantOAuthError(t, again, "invalid_code")
		})
	}
}

func TestAuthorizationCodeErrors(t *testing.T) {
	f := newOAuthFixture(t, nil)
	mode := "multipart"

	wantOAuthError(t, f.token(t, mode, f.creds("authorization_code", map[string]string{"code": "1000.abc.def"})), "invalid_code")
	wantOAuthError(t, f.token(t, mode, f.creds("authorization_code", nil)), "invalid_request")

	// wrong secret does not burn the code
	code := f.code(t, "ZohoCRM.modules.ALL")
	p := f.creds("authorization_code", map[string]string{"code": code})
	p["client_secret"] = strings.Repeat("0", 42)
	wantOAuthError(t, f.token(t, mode, p), "invalid_client_secret")
	wantTokens(t, f.token(t, mode, f.creds("authorization_code", map[string]string{"code": code})), "refresh_token")

	// expired code
	code = f.code(t, "ZohoCRM.modules.ALL")
	f.clock.Advance(oauth.DefaultCodeTTL)
	wantOAuthError(t, f.token(t, mode, f.creds("authorization_code", map[string]string{"code": code})), "invalid_code")

	// a code of another client of the same org
	otherID, otherSecret, err := oauth.NewClient(f.ctx, f.st, f.org.ID, "other")
	if err != nil {
		t.Fatal(err)
	}
	code = f.code(t, "ZohoCRM.modules.ALL")
	wantOAuthError(t, f.token(t, mode, map[string]string{"grant_type": "authorization_code", "client_id": otherID, "client_secret": otherSecret, "code": code}), "invalid_code")

	// redirect_uri must equal the registered one
	const redirect = "https://app.example/callback"
	if err := f.st.CreateClient(f.ctx, store.Client{ClientID: "1000.REDIRECTCLIENT", OrgID: f.org.ID, SecretHash: oauth.HashToken("s3cret"), Name: "web", RedirectURI: redirect}); err != nil {
		t.Fatal(err)
	}
	code, err = f.srv.NewGrantCode(f.ctx, "1000.REDIRECTCLIENT", f.org.ID, f.admin.ID, "ZohoCRM.modules.ALL", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	web := map[string]string{"grant_type": "authorization_code", "client_id": "1000.REDIRECTCLIENT", "client_secret": "s3cret", "code": code}
	wantOAuthError(t, f.token(t, mode, web), "invalid_redirect_uri")
	web["redirect_uri"] = redirect + "/evil"
	wantOAuthError(t, f.token(t, mode, web), "invalid_redirect_uri")
	web["redirect_uri"] = redirect
	wantTokens(t, f.token(t, mode, web), "refresh_token")
}

func TestRefreshTokenGrant(t *testing.T) {
	f := newOAuthFixture(t, nil)
	_, refresh := wantTokens(t, f.token(t, "urlencoded", f.creds("authorization_code", map[string]string{"code": f.code(t, "ZohoCRM.modules.leads.READ")})), "refresh_token")
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			body := f.token(t, mode, f.creds("refresh_token", map[string]string{"refresh_token": refresh}))
			access, _ := wantTokens(t, body) // no refresh_token key, no scope
			c := f.mustAuth(t, access)
			if len(c.Scopes) != 1 || c.Scopes[0] != "ZohoCRM.modules.leads.READ" {
				t.Errorf("scopes %q", c.Scopes)
			}
			at, err := f.st.TokenByHash(f.ctx, oauth.HashToken(access))
			if err != nil {
				t.Fatal(err)
			}
			if at.RefreshHash != oauth.HashToken(refresh) {
				t.Errorf("access token not linked to its refresh token")
			}
		})
	}

	// refresh tokens do not expire
	f.clock.Advance(400 * 24 * time.Hour)
	wantTokens(t, f.token(t, "query", f.creds("refresh_token", map[string]string{"refresh_token": refresh})))

	wantOAuthError(t, f.token(t, "query", f.creds("refresh_token", nil)), "invalid_request")
	wantOAuthError(t, f.token(t, "query", f.creds("refresh_token", map[string]string{"refresh_token": "1000.abc.def"})), "invalid_code")

	// an access token is not a refresh token
	access := f.issue(t, "ZohoCRM.org.READ", false).AccessToken
	wantOAuthError(t, f.token(t, "query", f.creds("refresh_token", map[string]string{"refresh_token": access})), "invalid_code")

	// a refresh token of another client
	otherID, otherSecret, err := oauth.NewClient(f.ctx, f.st, f.org.ID, "other")
	if err != nil {
		t.Fatal(err)
	}
	wantOAuthError(t, f.token(t, "query", map[string]string{"grant_type": "refresh_token", "client_id": otherID, "client_secret": otherSecret, "refresh_token": refresh}), "invalid_code")
}

func TestClientCredentialsGrant(t *testing.T) {
	f := newOAuthFixture(t, nil)
	// a standard user and a later administrator must not be picked
	if _, err := f.st.CreateUser(f.ctx, f.org.ID, store.NewUser{Email: "rep@acme.test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.CreateUser(f.ctx, f.org.ID, store.NewUser{Email: "second@acme.test", Profile: crmd.ProfileAdministrator}); err != nil {
		t.Fatal(err)
	}
	soid := "ZohoCRM." + f.org.ID.String()
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			body := f.token(t, mode, f.creds("client_credentials", map[string]string{"soid": soid, "scope": "ZohoCRM.modules.ALL,ZohoCRM.org.READ"}))
			access, _ := wantTokens(t, body, "scope")
			if body["scope"] != "ZohoCRM.modules.ALL ZohoCRM.org.READ" {
				t.Errorf("scope %v", body["scope"])
			}
			c := f.mustAuth(t, access)
			if c.User.ID != f.admin.ID || c.Org.ID != f.org.ID {
				t.Errorf("caller user %s org %s, want admin %s", c.User.ID, c.Org.ID, f.admin.ID)
			}
		})
	}

	mode := "multipart"
	wantOAuthError(t, f.token(t, mode, f.creds("client_credentials", map[string]string{"scope": "ZohoCRM.modules.ALL"})), "missing_org_info")
	wantOAuthError(t, f.token(t, mode, f.creds("client_credentials", map[string]string{"soid": "ZohoBooks." + f.org.ID.String(), "scope": "ZohoCRM.modules.ALL"})), "missing_org_info")
	wantOAuthError(t, f.token(t, mode, f.creds("client_credentials", map[string]string{"soid": "ZohoCRM.abc", "scope": "ZohoCRM.modules.ALL"})), "missing_org_info")
	wantOAuthError(t, f.token(t, mode, f.creds("client_credentials", map[string]string{"soid": soid})), "invalid_request")
	wantOAuthError(t, f.token(t, mode, f.creds("client_credentials", map[string]string{"soid": soid, "scope": "ZohoCRM.modules"})), "invalid_scope")

	other, _, err := f.st.CreateOrg(f.ctx, store.NewOrg{Name: "Other", AdminEmail: "boss@other.test"})
	if err != nil {
		t.Fatal(err)
	}
	wantOAuthError(t, f.token(t, mode, f.creds("client_credentials", map[string]string{"soid": "ZohoCRM." + other.ID.String(), "scope": "ZohoCRM.modules.ALL"})), "invalid_client")
}

func TestTokenEndpointErrors(t *testing.T) {
	f := newOAuthFixture(t, nil)
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			wantOAuthError(t, f.token(t, mode, map[string]string{"client_id": f.clientID, "client_secret": f.secret}), "invalid_request")
			wantOAuthError(t, f.token(t, mode, f.creds("password", nil)), "unsupported_grant_type")
			wantOAuthError(t, f.token(t, mode, map[string]string{"grant_type": "refresh_token", "client_id": f.clientID, "refresh_token": "x"}), "invalid_request")
			wantOAuthError(t, f.token(t, mode, map[string]string{"grant_type": "refresh_token", "client_id": "1000.UNKNOWN", "client_secret": "x", "refresh_token": "x"}), "invalid_client")
			wantOAuthError(t, f.token(t, mode, map[string]string{"grant_type": "refresh_token", "client_id": f.clientID, "client_secret": "wrong", "refresh_token": "x"}), "invalid_client_secret")
		})
	}

	// a garbled multipart body
	req := httptest.NewRequest(http.MethodPost, "/oauth/v2/token", strings.NewReader("not multipart"))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=xyz")
	rec := httptest.NewRecorder()
	f.handler(rec, req)
	if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != `{"error":"invalid_request"}` {
		t.Errorf("garbled multipart: %d %s", rec.Code, rec.Body.String())
	}

	// a body without a content type, parameters in the query string
	q := url.Values{"grant_type": {"client_credentials"}, "client_id": {f.clientID}, "client_secret": {f.secret}, "soid": {"ZohoCRM." + f.org.ID.String()}, "scope": {"ZohoCRM.org.READ"}}
	req = httptest.NewRequest(http.MethodPost, "/oauth/v2/token?"+q.Encode(), strings.NewReader("{}"))
	rec = httptest.NewRecorder()
	f.handler(rec, req)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"access_token"`) {
		t.Errorf("query with stray body: %d %s", rec.Code, rec.Body.String())
	}
}

func TestWrongMethod(t *testing.T) {
	f := newOAuthFixture(t, nil)
	const want = `{"code":"INVALID_REQUEST_METHOD","details":{},"message":"The http request method type is not a valid one","status":"error"}`
	for _, path := range []string{"/oauth/v2/token", "/oauth/v2/token/revoke"} {
		for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
			req := httptest.NewRequest(m, path, nil)
			rec := httptest.NewRecorder()
			f.handler(rec, req)
			if rec.Code != 400 || strings.TrimSpace(rec.Body.String()) != want || rec.Header().Get("Content-Type") != "application/json;charset=UTF-8" {
				t.Errorf("%s: %d %q %q", m, rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
			}
		}
	}
}

func TestRevoke(t *testing.T) {
	f := newOAuthFixture(t, nil)
	access1, refresh := wantTokens(t, f.token(t, "multipart", f.creds("authorization_code", map[string]string{"code": f.code(t, "ZohoCRM.modules.ALL")})), "refresh_token")
	access2, _ := wantTokens(t, f.token(t, "multipart", f.creds("refresh_token", map[string]string{"refresh_token": refresh})))
	other := f.issue(t, "ZohoCRM.modules.ALL", true)
	f.mustAuth(t, access1)
	f.mustAuth(t, access2)

	revoke := func(mode string, params map[string]string) map[string]any {
		t.Helper()
		status, body := call(t, f.handler, http.MethodPost, "/oauth/v2/token/revoke", mode, params)
		if status != 200 {
			t.Fatalf("revoke status %d", status)
		}
		return body
	}
	success := func(body map[string]any) {
		t.Helper()
		if len(body) != 1 || body["status"] != "success" {
			t.Fatalf("revoke body %v", body)
		}
	}

	success(revoke("query", map[string]string{"token": refresh}))
	wantOAuthError(t, f.token(t, "multipart", f.creds("refresh_token", map[string]string{"refresh_token": refresh})), "invalid_code")
	f.mustNotAuth(t, access1)
	f.mustNotAuth(t, access2)
	f.mustAuth(t, other.AccessToken) // other grants live on

	// again, and unknown tokens: the same answer
	success(revoke("urlencoded", map[string]string{"token": refresh}))
	success(revoke("multipart", map[string]string{"token": "1000.nope.nope"}))

	// an access token alone
	success(revoke("urlencoded", map[string]string{"token": other.AccessToken}))
	f.mustNotAuth(t, other.AccessToken)
	wantTokens(t, f.token(t, "query", f.creds("refresh_token", map[string]string{"refresh_token": other.RefreshToken})))

	for _, mode := range modes {
		wantOAuthError(t, revoke(mode, map[string]string{}), "invalid_request")
	}
}

func TestLogsHoldNoSecrets(t *testing.T) {
	var logs bytes.Buffer
	f := newOAuthFixture(t, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	code := f.code(t, "ZohoCRM.modules.ALL")
	access, refresh := wantTokens(t, f.token(t, "multipart", f.creds("authorization_code", map[string]string{"code": code})), "refresh_token")
	access2, _ := wantTokens(t, f.token(t, "query", f.creds("refresh_token", map[string]string{"refresh_token": refresh})))
	wantOAuthError(t, f.token(t, "query", f.creds("refresh_token", map[string]string{"refresh_token": "1000.bad.bad"})), "invalid_code")
	issued := f.issue(t, "ZohoCRM.org.READ", true)
	call(t, f.handler, http.MethodPost, "/oauth/v2/token/revoke", "query", map[string]string{"token": refresh})

	// an internal failure: 500 INTERNAL_ERROR JSON, logged without the secret
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	q := url.Values{"grant_type": {"refresh_token"}, "client_id": {f.clientID}, "client_secret": {f.secret}, "refresh_token": {refresh}}
	req := httptest.NewRequest(http.MethodPost, "/oauth/v2/token?"+q.Encode(), nil).WithContext(ctx)
	rec := httptest.NewRecorder()
	f.handler(rec, req)
	if rec.Code != 500 || rec.Header().Get("Content-Type") != "application/json;charset=UTF-8" ||
		strings.TrimSpace(rec.Body.String()) != `{"code":"INTERNAL_ERROR","details":{},"message":"Internal Server Error","status":"error"}` {
		t.Errorf("internal error answer %d %q", rec.Code, rec.Body.String())
	}

	if !strings.Contains(logs.String(), "oauth token issued") || !strings.Contains(logs.String(), "oauth endpoint failed") {
		t.Errorf("expected log lines missing:\n%s", logs.String())
	}
	for _, s := range []string{f.secret, code, access, refresh, access2, issued.AccessToken, issued.RefreshToken, "1000.bad.bad",
		oauth.HashToken(access), oauth.HashToken(refresh), oauth.HashToken(f.secret)} {
		if strings.Contains(logs.String(), s) {
			t.Errorf("log holds a secret %q:\n%s", s, logs.String())
		}
	}
}

// oauthFixture is crmd (package app) on a fresh store with one org, its admin and an OAuth client,
// with a clock the test moves, for the tests of the accounts endpoints.
type oauthFixture struct {
	ctx      context.Context
	st       *store.Store
	srv      *oauth.Server
	handler  http.HandlerFunc
	org      *crmd.Org
	admin    *crmd.User
	clientID string
	secret   string
	clock    *crmdtest.Clock
}

func newOAuthFixture(t *testing.T, log *slog.Logger) *oauthFixture {
	t.Helper()
	ctx := context.Background()
	// The shared fixtures: the test's database (SQLite, or PostgreSQL with CRMD_TEST_STORE=postgres)
	// and a clock the tests move past a code's or a token's lifetime.
	st := crmdtest.OpenStore(t)
	f := &oauthFixture{ctx: ctx, st: st, clock: crmdtest.UseClock(st, time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))}
	var err error
	f.org, f.admin, err = st.CreateOrg(ctx, store.NewOrg{Name: "Acme", AdminEmail: "admin@acme.test", AdminLast: "Admin"})
	if err != nil {
		t.Fatal(err)
	}
	f.clientID, f.secret, err = oauth.NewClient(ctx, st, f.org.ID, "default")
	if err != nil {
		t.Fatal(err)
	}
	a := newApp(t, st, api.Config{}, log)
	f.srv, f.handler = a.Auth, a.Handler.ServeHTTP
	return f
}

// issue mints tokens for the admin through IssueForUser.
func (f *oauthFixture) issue(t *testing.T, scope string, withRefresh bool) *oauth.TokenResponse {
	t.Helper()
	resp, err := f.srv.IssueForUser(f.ctx, f.clientID, f.org.ID, f.admin.ID, scope, 0, withRefresh)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

var tokenRE = regexp.MustCompile(`^1000\.[0-9a-f]{32}\.[0-9a-f]{32}$`)
