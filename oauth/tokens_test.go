package oauth

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// fixture is an org with its admin and one client, behind a Server.
type fixture struct {
	ctx      context.Context
	st       *store.Store
	srv      *Server
	org      *crmd.Org
	admin    *crmd.User
	clientID string
	secret   string
	now      time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "crmd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{ctx: ctx, st: st, now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	st.Now = func() time.Time { return f.now }
	f.org, f.admin, err = st.CreateOrg(ctx, store.NewOrg{Name: "Acme", AdminEmail: "admin@acme.test", AdminLast: "Admin"})
	if err != nil {
		t.Fatal(err)
	}
	f.clientID, f.secret, err = NewClient(ctx, st, f.org.ID, "default")
	if err != nil {
		t.Fatal(err)
	}
	f.srv = &Server{Store: st, BaseURL: "http://crmd.test"}
	return f
}

// issue mints tokens for the admin through IssueForUser.
func (f *fixture) issue(t *testing.T, scope string, withRefresh bool) *TokenResponse {
	t.Helper()
	resp, err := f.srv.IssueForUser(f.ctx, f.clientID, f.org.ID, f.admin.ID, scope, 0, withRefresh)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// wantCode asserts that err is a *crmd.Error with the code and status.
func wantCode(t *testing.T, err error, code string, status int) {
	t.Helper()
	e, ok := crmd.AsError(err)
	if !ok {
		t.Fatalf("error %v is not a *crmd.Error, want %s", err, code)
	}
	if e.Code != code || e.Status != status {
		t.Fatalf("got %s/%d, want %s/%d", e.Code, e.Status, code, status)
	}
}

var tokenRE = regexp.MustCompile(`^1000\.[0-9a-f]{32}\.[0-9a-f]{32}$`)

func TestNewClient(t *testing.T) {
	f := newFixture(t)
	if !regexp.MustCompile(`^1000\.[0-9A-Z]{30}$`).MatchString(f.clientID) {
		t.Errorf("client id %q", f.clientID)
	}
	if !regexp.MustCompile(`^[0-9a-f]{42}$`).MatchString(f.secret) {
		t.Errorf("client secret %q", f.secret)
	}
	c, err := f.st.ClientByID(f.ctx, f.clientID)
	if err != nil {
		t.Fatal(err)
	}
	if c.SecretHash != HashToken(f.secret) || c.SecretHash == f.secret || c.OrgID != f.org.ID || c.Name != "default" {
		t.Errorf("stored client %+v", c)
	}
	id2, secret2, err := NewClient(f.ctx, f.st, f.org.ID, "second")
	if err != nil {
		t.Fatal(err)
	}
	if id2 == f.clientID || secret2 == f.secret {
		t.Error("two clients share credentials")
	}
}

func TestIssueForUser(t *testing.T) {
	f := newFixture(t)
	resp, err := f.srv.IssueForUser(f.ctx, f.clientID, f.org.ID, f.admin.ID, "ZohoCRM.modules.ALL,ZohoCRM.users.READ", 90*time.Minute, true)
	if err != nil {
		t.Fatal(err)
	}
	if !tokenRE.MatchString(resp.AccessToken) || !tokenRE.MatchString(resp.RefreshToken) || resp.AccessToken == resp.RefreshToken {
		t.Errorf("tokens %q %q", resp.AccessToken, resp.RefreshToken)
	}
	if resp.ExpiresIn != 5400 || resp.TokenType != "Bearer" || resp.APIDomain != "http://crmd.test" || resp.Scope != "ZohoCRM.modules.ALL ZohoCRM.users.READ" {
		t.Errorf("response %+v", resp)
	}
	at, err := f.st.TokenByHash(f.ctx, HashToken(resp.AccessToken))
	if err != nil {
		t.Fatal(err)
	}
	if at.Kind != KindAccess || at.RefreshHash != HashToken(resp.RefreshToken) || at.ExpiresAt != f.now.Add(90*time.Minute).UnixMilli() {
		t.Errorf("stored access token %+v", at)
	}
	rt, err := f.st.TokenByHash(f.ctx, HashToken(resp.RefreshToken))
	if err != nil {
		t.Fatal(err)
	}
	if rt.Kind != KindRefresh || rt.ExpiresAt != 0 {
		t.Errorf("stored refresh token %+v", rt)
	}

	noRefresh := f.issue(t, "ZohoCRM.org.READ", false)
	if noRefresh.RefreshToken != "" || noRefresh.ExpiresIn != 3600 {
		t.Errorf("response %+v", noRefresh)
	}

	if _, err := f.srv.IssueForUser(f.ctx, f.clientID, f.org.ID, f.admin.ID, "ZohoCRM.modules", 0, false); !errors.Is(err, ErrInvalidScope) {
		t.Errorf("bad scope: %v", err)
	}
	if _, err := f.srv.IssueForUser(f.ctx, f.clientID, f.org.ID, f.admin.ID, "", 0, false); !errors.Is(err, ErrInvalidScope) {
		t.Errorf("empty scope: %v", err)
	}
	if _, err := f.srv.IssueForUser(f.ctx, "1000.NOPE", f.org.ID, f.admin.ID, "ZohoCRM.org.READ", 0, false); err == nil {
		t.Error("unknown client accepted")
	}
	if _, err := f.srv.IssueForUser(f.ctx, f.clientID, f.org.ID, f.admin.ID+999, "ZohoCRM.org.READ", 0, false); err == nil {
		t.Error("unknown user accepted")
	}
	other, otherAdmin, err := f.st.CreateOrg(f.ctx, store.NewOrg{Name: "Other", AdminEmail: "boss@other.test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.IssueForUser(f.ctx, f.clientID, other.ID, otherAdmin.ID, "ZohoCRM.org.READ", 0, false); err == nil {
		t.Error("client of another org accepted")
	}
}

func TestAuthenticate(t *testing.T) {
	f := newFixture(t)
	resp := f.issue(t, "ZohoCRM.modules.ALL ZohoCRM.settings.fields.READ", true)

	t.Run("ok", func(t *testing.T) {
		for _, h := range []string{
			"Zoho-oauthtoken " + resp.AccessToken,
			"zoho-oauthtoken " + resp.AccessToken,
			"ZOHO-OAUTHTOKEN   " + resp.AccessToken,
			"  Zoho-oauthtoken " + resp.AccessToken + " ",
		} {
			c, err := f.srv.Authenticate(f.ctx, h)
			if err != nil {
				t.Fatalf("%q: %v", h, err)
			}
			if c.Org.ID != f.org.ID || c.Org.Name != "Acme" || c.User.ID != f.admin.ID || c.User.Email != "admin@acme.test" {
				t.Errorf("caller %+v %+v", c.Org, c.User)
			}
			if !reflect.DeepEqual(c.Scopes, []string{"ZohoCRM.modules.ALL", "ZohoCRM.settings.fields.READ"}) {
				t.Errorf("scopes %q", c.Scopes)
			}
		}
	})

	t.Run("authentication failure", func(t *testing.T) {
		for _, h := range []string{
			"",
			"   ",
			"Zoho-oauthtoken",
			"Zoho-oauthtoken ",
			"Bearer x",
			"Bearer " + resp.AccessToken,
			resp.AccessToken,
			"Zoho-oauthtoken " + resp.AccessToken + " extra",
			"Zoho-oauthtoken:" + resp.AccessToken,
		} {
			_, err := f.srv.Authenticate(f.ctx, h)
			wantCode(t, err, "AUTHENTICATION_FAILURE", 401)
		}
	})

	t.Run("unknown", func(t *testing.T) {
		_, err := f.srv.Authenticate(f.ctx, "Zoho-oauthtoken 1000.00000000000000000000000000000000.00000000000000000000000000000000")
		wantCode(t, err, "INVALID_TOKEN", 401)
		_, err = f.srv.Authenticate(f.ctx, "Zoho-oauthtoken garbage")
		wantCode(t, err, "INVALID_TOKEN", 401)
		if e, _ := crmd.AsError(err); e.Message != crmd.MsgInvalidToken {
			t.Errorf("message %q", e.Message)
		}
	})

	t.Run("refresh token as access token", func(t *testing.T) {
		_, err := f.srv.Authenticate(f.ctx, "Zoho-oauthtoken "+resp.RefreshToken)
		wantCode(t, err, "INVALID_TOKEN", 401)
	})

	t.Run("expired", func(t *testing.T) {
		short, err := f.srv.IssueForUser(f.ctx, f.clientID, f.org.ID, f.admin.ID, "ZohoCRM.org.READ", 10*time.Minute, false)
		if err != nil {
			t.Fatal(err)
		}
		saved := f.now
		defer func() { f.now = saved }()
		f.now = saved.Add(10*time.Minute - time.Millisecond)
		if _, err := f.srv.Authenticate(f.ctx, "Zoho-oauthtoken "+short.AccessToken); err != nil {
			t.Fatalf("just before expiry: %v", err)
		}
		f.now = saved.Add(10 * time.Minute)
		_, err = f.srv.Authenticate(f.ctx, "Zoho-oauthtoken "+short.AccessToken)
		wantCode(t, err, "INVALID_TOKEN", 401)
		f.now = saved.Add(2 * time.Hour)
		_, err = f.srv.Authenticate(f.ctx, "Zoho-oauthtoken "+resp.AccessToken)
		wantCode(t, err, "INVALID_TOKEN", 401)
	})

	t.Run("revoked", func(t *testing.T) {
		r := f.issue(t, "ZohoCRM.org.READ", false)
		if _, err := f.srv.Authenticate(f.ctx, "Zoho-oauthtoken "+r.AccessToken); err != nil {
			t.Fatal(err)
		}
		if _, err := f.st.RevokeToken(f.ctx, HashToken(r.AccessToken)); err != nil {
			t.Fatal(err)
		}
		_, err := f.srv.Authenticate(f.ctx, "Zoho-oauthtoken "+r.AccessToken)
		wantCode(t, err, "INVALID_TOKEN", 401)
	})

	t.Run("refresh revoked", func(t *testing.T) {
		r := f.issue(t, "ZohoCRM.org.READ", true)
		if _, err := f.st.RevokeToken(f.ctx, HashToken(r.RefreshToken)); err != nil {
			t.Fatal(err)
		}
		_, err := f.srv.Authenticate(f.ctx, "Zoho-oauthtoken "+r.AccessToken)
		wantCode(t, err, "INVALID_TOKEN", 401)
	})

	t.Run("disabled user", func(t *testing.T) {
		u, err := f.st.CreateUser(f.ctx, f.org.ID, store.NewUser{Email: "rep@acme.test"})
		if err != nil {
			t.Fatal(err)
		}
		r, err := f.srv.IssueForUser(f.ctx, f.clientID, f.org.ID, u.ID, "ZohoCRM.modules.ALL", 0, false)
		if err != nil {
			t.Fatal(err)
		}
		c, err := f.srv.Authenticate(f.ctx, "Zoho-oauthtoken "+r.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		if c.User.ID != u.ID || c.User.Profile.Name != crmd.ProfileStandard {
			t.Errorf("user %+v", c.User)
		}
		if _, err := f.st.W.ExecContext(f.ctx, `UPDATE users SET status = 'disabled' WHERE id = ?`, int64(u.ID)); err != nil {
			t.Fatal(err)
		}
		_, err = f.srv.Authenticate(f.ctx, "Zoho-oauthtoken "+r.AccessToken)
		wantCode(t, err, "INVALID_TOKEN", 401)
	})

	t.Run("database error is plain", func(t *testing.T) {
		ctx, cancel := context.WithCancel(f.ctx)
		cancel()
		_, err := f.srv.Authenticate(ctx, "Zoho-oauthtoken "+resp.AccessToken)
		if err == nil {
			t.Fatal("no error on a cancelled context")
		}
		if _, ok := crmd.AsError(err); ok {
			t.Fatalf("internal error surfaced as *crmd.Error: %v", err)
		}
	})
}

func TestNewGrantCode(t *testing.T) {
	f := newFixture(t)
	code, err := f.srv.NewGrantCode(f.ctx, f.clientID, f.org.ID, f.admin.ID, "ZohoCRM.modules.ALL", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !tokenRE.MatchString(code) {
		t.Errorf("code %q", code)
	}
	if _, err := f.srv.NewGrantCode(f.ctx, f.clientID, f.org.ID, f.admin.ID, "nope", 0); !errors.Is(err, ErrInvalidScope) {
		t.Errorf("bad scope: %v", err)
	}
	if _, err := f.srv.NewGrantCode(f.ctx, "1000.X", f.org.ID, f.admin.ID, "ZohoCRM.modules.ALL", 0); err == nil {
		t.Error("unknown client accepted")
	}
}
