package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/api"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/oauth"
	"github.com/crmd/crmd/store"
)

// Race tests: token requests race from two servers on two stores opened separately on one database
// (two crmd replicas). A grant code is used by one single UPDATE … WHERE used_at IS NULL … RETURNING,
// so exactly one exchange gets tokens; a refresh racing the refresh token's revocation may still mint
// an access token, but Authenticate checks the parent refresh token, so that token never works.

type oauthRaceEnv struct {
	srvs     []*oauth.Server
	handlers []http.HandlerFunc
	org      *crmdtest.Org
	clientID string
	secret   string
}

func newOAuthRaceEnv(t *testing.T) *oauthRaceEnv {
	t.Helper()
	stores := crmdtest.OpenStores(t, 2)
	e := &oauthRaceEnv{org: crmdtest.NewOrg(t, stores[0], store.NewOrg{Name: "Race", AdminEmail: "a@race.test", AdminLast: "A"})}
	var err error
	e.clientID, e.secret, err = oauth.NewClient(context.Background(), stores[0], e.org.Org.ID, "race")
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range stores {
		a := newApp(t, st, api.Config{}, nil)
		e.srvs, e.handlers = append(e.srvs, a.Auth), append(e.handlers, a.Handler.ServeHTTP)
	}
	return e
}

// postForm sends an urlencoded form to handler and returns the status and the decoded body; it may run off
// the test goroutine.
func postForm(handler http.HandlerFunc, path string, form url.Values) (int, map[string]any) {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	handler(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		return rec.Code, map[string]any{"unparsable": rec.Body.String()}
	}
	return rec.Code, out
}

func (e *oauthRaceEnv) grant(grantType string, extra url.Values) url.Values {
	f := url.Values{"grant_type": {grantType}, "client_id": {e.clientID}, "client_secret": {e.secret}}
	for k, v := range extra {
		f[k] = v
	}
	return f
}

// TestOAuthCodeExchangeRace: one grant code exchanged by many requests at once yields tokens exactly once;
// every other request is {"error":"invalid_code"}, none an internal error.
func TestOAuthCodeExchangeRace(t *testing.T) {
	e := newOAuthRaceEnv(t)
	for round := 0; round < 3; round++ {
		code, err := e.srvs[0].NewGrantCode(context.Background(), e.clientID, e.org.Org.ID, e.org.Admin.ID, "ZohoCRM.modules.ALL", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		const n = 10
		status := make([]int, n)
		bodies := make([]map[string]any, n)
		crmdtest.Race(n, func(i int) {
			status[i], bodies[i] = postForm(e.handlers[i%2], "/oauth/v2/token", e.grant("authorization_code", url.Values{"code": {code}}))
		})
		issued := 0
		for i, b := range bodies {
			switch {
			case status[i] != http.StatusOK:
				t.Fatalf("round %d, exchange %d: status %d %v", round, i, status[i], b)
			case b["access_token"] != nil && b["refresh_token"] != nil:
				issued++
			case len(b) != 1 || b["error"] != "invalid_code":
				t.Fatalf("round %d, exchange %d: %v", round, i, b)
			}
		}
		if issued != 1 {
			t.Fatalf("round %d: the code yielded tokens %d times", round, issued)
		}
	}
}

// TestOAuthRefreshRevokeRace: refreshes race the revocation of their refresh token. Each refresh answers
// a new access token or invalid_code, and once the revocation has answered, no access token minted
// from the refresh token authenticates, however the race went.
func TestOAuthRefreshRevokeRace(t *testing.T) {
	e := newOAuthRaceEnv(t)
	ctx := context.Background()
	for round := 0; round < 3; round++ {
		first, err := e.srvs[0].IssueForUser(ctx, e.clientID, e.org.Org.ID, e.org.Admin.ID, "ZohoCRM.modules.ALL", 0, true)
		if err != nil {
			t.Fatal(err)
		}
		const n = 10
		status := make([]int, n)
		bodies := make([]map[string]any, n)
		crmdtest.Race(n, func(i int) {
			if i == n/2 {
				status[i], bodies[i] = postForm(e.handlers[1], "/oauth/v2/token/revoke", url.Values{"token": {first.RefreshToken}})
				return
			}
			status[i], bodies[i] = postForm(e.handlers[i%2], "/oauth/v2/token", e.grant("refresh_token", url.Values{"refresh_token": {first.RefreshToken}}))
		})
		access := []string{first.AccessToken}
		for i, b := range bodies {
			switch {
			case status[i] != http.StatusOK:
				t.Fatalf("round %d, call %d: status %d %v", round, i, status[i], b)
			case i == n/2 && b["status"] != "success":
				t.Fatalf("round %d: revoke answered %v", round, b)
			case i == n/2:
			case b["access_token"] != nil:
				access = append(access, b["access_token"].(string))
			case len(b) != 1 || b["error"] != "invalid_code":
				t.Fatalf("round %d, refresh %d: %v", round, i, b)
			}
		}
		for _, tok := range access {
			for _, srv := range e.srvs {
				_, err := srv.Authenticate(ctx, oauth.AuthScheme+" "+tok)
				if ce, ok := crmd.AsError(err); !ok || ce.Code != "INVALID_TOKEN" {
					t.Fatalf("round %d: an access token of the revoked refresh token: %v", round, err)
				}
			}
		}
	}
}
