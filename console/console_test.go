package console_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/app"
	"github.com/crmd/crmd/console"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/oauth"
	"github.com/crmd/crmd/records"
)

// These tests drive the console in process, over real HTTP, without a browser: sign-in, sessions,
// CSRF, headers and the checks behind each action. The browser tests (e2e/console_test.go) run the
// same pages in Chromium.

type scene struct {
	t     *testing.T
	a     *app.App
	srv   *httptest.Server
	o     *crmdtest.Org
	clock *crmdtest.Clock
	logs  *crmdtest.LockedBuffer
	token string // the admin's API token
}

func newScene(t *testing.T, baseURL string) *scene {
	t.Helper()
	st := crmdtest.OpenStore(t)
	clock := crmdtest.UseClock(st, time.Now().UTC())
	logs := &crmdtest.LockedBuffer{}
	a := app.New(st, app.Config{BaseURL: baseURL, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(srv.Close)
	o := crmdtest.NewTeam(t, st, "Acme", "UTC")
	s := &scene{t: t, a: a, srv: srv, o: o, clock: clock, logs: logs}
	s.token = o.Token(t, o.Admin, "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.mass_delete.ALL,ZohoCRM.org.READ")
	return s
}

// link makes a console link for u, valid for ttl.
func (s *scene) link(u *crmd.User, ttl time.Duration) string {
	s.t.Helper()
	secret, err := s.a.Auth.NewConsoleLink(context.Background(), s.o.Org.ID, u.ID, ttl)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.srv.URL + "/console/signin?token=" + secret
}

// browser is an HTTP client with a cookie jar that does not follow redirects.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func post(t *testing.T, c *http.Client, u string, form url.Values, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

// signIn opens a link in c and returns the session's CSRF token, read off the jobs page.
func (s *scene) signIn(c *http.Client, u *crmd.User) string {
	s.t.Helper()
	resp, _ := get(s.t, c, s.link(u, time.Minute))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/jobs" {
		s.t.Fatalf("sign-in: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := get(s.t, c, s.srv.URL+"/console/jobs")
	m := csrfRE.FindStringSubmatch(body)
	if resp.StatusCode != 200 || m == nil {
		s.t.Fatalf("jobs page after sign-in: %d\n%s", resp.StatusCode, body)
	}
	return m[1]
}

func hasTestID(body, id string) bool { return strings.Contains(body, `data-testid="`+id+`"`) }

func TestSignInLinkWorksOnce(t *testing.T) {
	s := newScene(t, "http://crmd.test")
	link := s.link(s.o.Admin, time.Minute)
	c := browser(t)
	resp, _ := get(t, c, link)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/jobs" {
		t.Fatalf("first use: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var ck *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == console.CookieName {
			ck = c
		}
	}
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/console/" || ck.Secure {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/console/, not Secure over http", ck)
	}
	if strings.Contains(link, ck.Value) {
		t.Error("the session cookie is the link's secret")
	}
	resp, body := get(t, c, s.srv.URL+"/console/jobs")
	if resp.StatusCode != 200 || !hasTestID(body, "jobs-table") || !strings.Contains(body, "boss@acme.test") {
		t.Fatalf("jobs page: %d\n%s", resp.StatusCode, body)
	}

	// Used: refused, in this browser and in another.
	for _, b := range []*http.Client{c, browser(t)} {
		resp, body := get(t, b, link)
		if resp.StatusCode != http.StatusUnauthorized || !hasTestID(body, "signin-refused") || resp.Header.Get("Set-Cookie") != "" {
			t.Errorf("second use: %d %q\n%s", resp.StatusCode, resp.Header.Get("Set-Cookie"), body)
		}
	}
	// A made-up or empty token is refused the same way.
	for _, q := range []string{"?token=" + strings.Repeat("ab", 32), "", "?token=" + strings.Repeat("x", 5000)} {
		if resp, body := get(t, browser(t), s.srv.URL+"/console/signin"+q); resp.StatusCode != http.StatusUnauthorized || !hasTestID(body, "signin-refused") {
			t.Errorf("sign-in %.40q: %d", q, resp.StatusCode)
		}
	}
}

func TestSignInLinkExpires(t *testing.T) {
	s := newScene(t, "http://crmd.test")
	link := s.link(s.o.Admin, 10*time.Minute)
	s.clock.Advance(10*time.Minute + time.Second)
	if resp, body := get(t, browser(t), link); resp.StatusCode != http.StatusUnauthorized || !hasTestID(body, "signin-refused") {
		t.Fatalf("expired link: %d\n%s", resp.StatusCode, body)
	}
	// A session ends too, after its lifetime.
	c := browser(t)
	s.signIn(c, s.o.Admin)
	s.clock.Advance(12*time.Hour + time.Second)
	if resp, body := get(t, c, s.srv.URL+"/console/jobs"); resp.StatusCode != http.StatusUnauthorized || !hasTestID(body, "signed-out") {
		t.Fatalf("expired session: %d", resp.StatusCode)
	}
}

func TestSecureCookieBehindHTTPS(t *testing.T) {
	s := newScene(t, "https://crm.example.com")
	resp, _ := get(t, browser(t), s.link(s.o.Admin, time.Minute))
	if cs := resp.Cookies(); len(cs) != 1 || !cs[0].Secure {
		t.Fatalf("cookies %+v: want one Secure cookie when the base URL is https", cs)
	}
	// Behind a TLS-terminating proxy on a plain-http base URL too.
	s2 := newScene(t, "http://crmd.test")
	req, _ := http.NewRequest("GET", s2.link(s2.o.Admin, time.Minute), nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err := browser(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if cs := resp.Cookies(); len(cs) != 1 || !cs[0].Secure {
		t.Fatalf("cookies behind https proxy %+v: want Secure", cs)
	}
}

func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	s := newScene(t, "http://crmd.test")
	c := browser(t)
	s.signIn(c, s.o.Admin)
	for _, p := range []string{"/console/jobs", "/console/mass-delete", "/console/bin", "/console/records?module=Leads", "/console/nope", "/console/static/console.js", "/console/jobs/123"} {
		resp, _ := get(t, c, s.srv.URL+p)
		h := resp.Header
		if !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") || !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") ||
			strings.Contains(h.Get("Content-Security-Policy"), "unsafe") ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("Cache-Control") != "no-store" ||
			h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", p, h)
		}
		if resp.StatusCode >= 500 {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
	// Without a session every page is the signed-out page, and /console redirects to /console/.
	if resp, body := get(t, browser(t), s.srv.URL+"/console/bin"); resp.StatusCode != http.StatusUnauthorized || !hasTestID(body, "signed-out") {
		t.Errorf("bin without a session: %d", resp.StatusCode)
	}
	if resp, _ := get(t, browser(t), s.srv.URL+"/console"); resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/console/" {
		t.Errorf("/console: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The API is still the API next to it.
	if code, body := crmdtest.DoJSON(t, "GET", s.srv.URL+"/crm/v8/org", "", crmdtest.Auth(s.token)); code != 200 || body["org"] == nil {
		t.Errorf("the API behind the console's dispatch: %d %v", code, body)
	}
}

func TestCSRF(t *testing.T) {
	s := newScene(t, "http://crmd.test")
	c := browser(t)
	csrf := s.signIn(c, s.o.Admin)
	leads := s.o.Module(t, "Leads")
	id := insertLead(t, s, leads, "Doomed")
	if _, err := s.a.Records.Delete(context.Background(), s.o.Caller(s.o.Admin), leads, []crmd.ID{id}); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		form   url.Values
		header map[string]string
	}{
		"no token":     {url.Values{}, nil},
		"wrong token":  {url.Values{"csrf": {strings.Repeat("0", len(csrf))}}, nil},
		"other origin": {url.Values{"csrf": {csrf}}, map[string]string{"Origin": "http://evil.test"}},
	} {
		resp, body := post(t, c, s.srv.URL+"/console/bin/empty", tc.form, tc.header)
		if resp.StatusCode != http.StatusForbidden || !hasTestID(body, "csrf-refused") {
			t.Errorf("%s: %d\n%s", name, resp.StatusCode, body)
		}
	}
	if n := binCount(t, s); n != 1 {
		t.Fatalf("the refused empties emptied the bin: %d left", n)
	}
	// The session still works, and the right token empties the bin.
	resp, _ := post(t, c, s.srv.URL+"/console/bin/empty", url.Values{"csrf": {csrf}}, map[string]string{"Origin": s.srv.URL})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/bin?") {
		t.Fatalf("empty: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if n := binCount(t, s); n != 0 {
		t.Fatalf("bin holds %d after the empty", n)
	}
	// Sign-out ends the session for good: the old cookie signs nothing in.
	resp, body := post(t, c, s.srv.URL+"/console/signout", url.Values{"csrf": {csrf}}, nil)
	if resp.StatusCode != 200 || !hasTestID(body, "signed-out") {
		t.Fatalf("sign-out: %d", resp.StatusCode)
	}
	old := c.Jar.Cookies(mustURL(t, s.srv.URL+"/console/"))
	if len(old) != 0 {
		t.Errorf("the cookie was not cleared: %v", old)
	}
}

func TestStandardUserCannotMassDelete(t *testing.T) {
	s := newScene(t, "http://crmd.test")
	leads := s.o.Module(t, "Leads")
	for i := range 3 {
		insertLead(t, s, leads, fmt.Sprint("Lead", i))
	}
	all := viewID(t, s, "Leads", "All Leads")
	c := browser(t)
	csrf := s.signIn(c, s.o.Std)
	_, body := get(t, c, s.srv.URL+"/console/jobs")
	if hasTestID(body, "nav-mass-delete") || hasTestID(body, "start-mass-delete") {
		t.Error("a Standard user is offered mass delete")
	}
	for _, p := range []string{"/console/mass-delete", "/console/mass-delete/preview?module=Leads&cvid=" + all} {
		if resp, body := get(t, c, s.srv.URL+p); resp.StatusCode != http.StatusForbidden || !hasTestID(body, "forbidden") {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
	resp, _ := post(t, c, s.srv.URL+"/console/mass-delete", url.Values{"csrf": {csrf}, "module": {"Leads"}, "cvid": {all}, "confirm_count": {"3"}}, nil)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST mass delete as Standard: %d", resp.StatusCode)
	}
	if n := liveLeads(t, s); n != 3 {
		t.Errorf("%d leads live, want 3", n)
	}
	if _, body := get(t, c, s.srv.URL+"/console/bin"); hasTestID(body, "bin-empty") {
		t.Error("a Standard user is offered to empty the bin")
	}
}

var numRE = func(id string) *regexp.Regexp { return regexp.MustCompile(`data-testid="` + id + `">(\d+)<`) }

func TestPreviewIsTheAPIsAndConfirmNeedsTheNumber(t *testing.T) {
	s := newScene(t, "http://crmd.test")
	leads := s.o.Module(t, "Leads")
	for i := range 7 {
		insertLead(t, s, leads, fmt.Sprint("Lead", i))
	}
	all := viewID(t, s, "Leads", "All Leads")
	c := browser(t)
	csrf := s.signIn(c, s.o.Admin)
	resp, body := get(t, c, s.srv.URL+"/console/mass-delete/preview?module=Leads&cvid="+all)
	if resp.StatusCode != 200 {
		t.Fatalf("preview page: %d\n%s", resp.StatusCode, body)
	}
	code, api := crmdtest.DoJSON(t, "POST", s.srv.URL+"/crmd/v1/Leads/actions/mass_delete/preview", `{"cvid":"`+all+`"}`, crmdtest.Auth(s.token))
	if code != 200 {
		t.Fatalf("API preview: %d %v", code, api)
	}
	want := api["preview"].(map[string]any)
	if want["total"] != 7.0 {
		t.Fatalf("the API previews %v", want)
	}
	for _, k := range []string{"total", "deletable", "unapproved"} {
		m := numRE("preview-" + k).FindStringSubmatch(body)
		if m == nil || m[1] != fmt.Sprint(want[k]) {
			t.Errorf("preview-%s shows %v, the API says %v", k, m, want[k])
		}
	}
	// A wrong number deletes nothing.
	form := url.Values{"csrf": {csrf}, "module": {"Leads"}, "cvid": {all}, "confirm_count": {"6"}}
	if resp, body := post(t, c, s.srv.URL+"/console/mass-delete", form, nil); resp.StatusCode != http.StatusUnprocessableEntity || !hasTestID(body, "error") {
		t.Fatalf("wrong count: %d", resp.StatusCode)
	}
	if n := liveLeads(t, s); n != 7 {
		t.Fatalf("%d leads live after a refused confirm", n)
	}
	// The right one starts the job and leads to its page.
	form.Set("confirm_count", "7")
	resp, _ = post(t, c, s.srv.URL+"/console/mass-delete", form, nil)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !regexp.MustCompile(`^/console/jobs/\d+\?done=started$`).MatchString(loc) {
		t.Fatalf("confirm: %d %q", resp.StatusCode, loc)
	}
	if _, body := get(t, c, s.srv.URL+loc); !hasTestID(body, "job-progress") || !strings.Contains(body, "mass delete") {
		t.Errorf("job page:\n%s", body)
	}
}

func TestLogsCarryNoSecret(t *testing.T) {
	s := newScene(t, "http://crmd.test")
	link := s.link(s.o.Admin, time.Minute)
	c := browser(t)
	get(t, c, link)
	_, body := get(t, c, s.srv.URL+"/console/jobs")
	csrf := csrfRE.FindStringSubmatch(body)[1]
	secret := strings.TrimPrefix(link, s.srv.URL+"/console/signin?token=")
	cookie := c.Jar.Cookies(mustURL(t, s.srv.URL+"/console/"))[0].Value
	logs := s.logs.String()
	if !strings.Contains(logs, `"path":"/console/signin"`) {
		t.Fatalf("no log line for the sign-in:\n%s", logs)
	}
	for name, v := range map[string]string{"link secret": secret, "session": cookie, "csrf": csrf} {
		if strings.Contains(logs, v) {
			t.Errorf("the log holds the %s", name)
		}
	}
}

// ---- helpers ----

func insertLead(t *testing.T, s *scene, leads *crmd.Module, last string) crmd.ID {
	t.Helper()
	w, err := s.a.Records.Insert(context.Background(), s.o.Caller(s.o.Admin), leads, []records.Entry{{Values: map[string]any{"Last_Name": last}}})
	if err != nil || !w.Results[0].OK() {
		t.Fatalf("insert %s: %+v, %v", last, w, err)
	}
	return w.Results[0].Value.ID
}

func viewID(t *testing.T, s *scene, module, name string) string {
	t.Helper()
	code, body := crmdtest.DoJSON(t, "GET", s.srv.URL+"/crm/v8/settings/custom_views?module="+module, "", crmdtest.Auth(s.token))
	if code != 200 {
		t.Fatalf("views: %d %v", code, body)
	}
	for _, v := range crmdtest.Items(t, body, "custom_views") {
		if v["display_value"] == name {
			return v["id"].(string)
		}
	}
	t.Fatalf("no view %q", name)
	return ""
}

// count is how many items a list call answers (0 for its 204).
func count(t *testing.T, s *scene, path, key string) int {
	t.Helper()
	code, body := crmdtest.DoJSON(t, "GET", s.srv.URL+path, "", crmdtest.Auth(s.token))
	if code == 204 {
		return 0
	}
	if code != 200 {
		t.Fatalf("%s: %d %v", path, code, body)
	}
	return len(crmdtest.Items(t, body, key))
}

func liveLeads(t *testing.T, s *scene) int {
	return count(t, s, "/crm/v8/Leads?fields=Last_Name", "data")
}

func binCount(t *testing.T, s *scene) int {
	return count(t, s, "/crm/v8/settings/recycle_bin", "recycle_bin")
}

// with is a copy of base with the values of extra set over it.
func with(base, extra url.Values) url.Values {
	out := url.Values{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestOAuthAuthorizationCodeFlow: an app sends the browser to /oauth/v2/auth; the signed-in user
// allows it on the consent page; the browser goes back with a code the app exchanges for tokens that
// work. Deny sends error=access_denied; a bad request is refused without sending the browser anywhere.
func TestOAuthAuthorizationCodeFlow(t *testing.T) {
	s := newScene(t, "http://crmd.test")
	ctx := context.Background()
	clientID, secret, err := oauth.NewClient(ctx, s.a.Store, s.o.Org.ID, "Sync app")
	if err != nil {
		t.Fatal(err)
	}
	c := browser(t)
	csrf := s.signIn(c, s.o.Admin)
	app := "http://app.test/callback?keep=1"
	auth := url.Values{"client_id": {clientID}, "response_type": {"code"}, "redirect_uri": {app},
		"scope": {"ZohoCRM.modules.ALL,ZohoCRM.users.READ"}, "state": {"xyz"}, "access_type": {"offline"}}
	resp, _ := get(t, c, s.srv.URL+"/oauth/v2/auth?"+auth.Encode())
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/oauth/consent?") {
		t.Fatalf("auth: %d %q", resp.StatusCode, loc)
	}
	resp, body := get(t, c, s.srv.URL+loc)
	if resp.StatusCode != 200 || !strings.Contains(body, "Sync app") || !strings.Contains(body, "ZohoCRM.users.READ") || !hasTestID(body, "oauth-accept") {
		t.Fatalf("consent page: %d\n%s", resp.StatusCode, body)
	}
	if p := resp.Header.Get("Content-Security-Policy"); !strings.Contains(p, "form-action 'self' http://app.test;") {
		t.Errorf("consent CSP %q: the form's redirect to the app must be allowed", p)
	}
	form := with(auth, url.Values{"csrf": {csrf}, "decision": {"accept"}})
	resp, _ = post(t, c, s.srv.URL+"/console/oauth/consent", form, nil)
	back, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || err != nil || back.Host != "app.test" || back.Path != "/callback" {
		t.Fatalf("accept: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	bq := back.Query()
	if bq.Get("keep") != "1" || bq.Get("state") != "xyz" || bq.Get("location") != "us" || bq.Get("accounts-server") != "http://crmd.test" || bq.Get("code") == "" {
		t.Fatalf("back to the app with %v", bq)
	}
	// The app exchanges the code, with the same redirect_uri, as the SDKs do.
	tok := url.Values{"grant_type": {"authorization_code"}, "client_id": {clientID}, "client_secret": {secret}, "code": {bq.Get("code")}, "redirect_uri": {app}}
	code, tr := crmdtest.DoJSON(t, "POST", s.srv.URL+"/oauth/v2/token?"+tok.Encode(), "", nil)
	if code != 200 || tr["access_token"] == nil || tr["refresh_token"] == nil {
		t.Fatalf("exchange: %d %v", code, tr)
	}
	if code, body := crmdtest.DoJSON(t, "GET", s.srv.URL+"/crm/v8/users?type=CurrentUser", "", crmdtest.Auth(tr["access_token"].(string))); code != 200 || crmdtest.Items(t, body, "users")[0]["email"] != "boss@acme.test" {
		t.Fatalf("the token: %d %v", code, body)
	}
	// The code works once.
	if code, tr := crmdtest.DoJSON(t, "POST", s.srv.URL+"/oauth/v2/token?"+tok.Encode(), "", nil); code != 200 || tr["error"] != "invalid_code" {
		t.Errorf("second exchange: %d %v", code, tr)
	}

	// Deny.
	form.Set("decision", "deny")
	resp, _ = post(t, c, s.srv.URL+"/console/oauth/consent", form, nil)
	if back, _ := url.Parse(resp.Header.Get("Location")); resp.StatusCode != http.StatusSeeOther || back.Query().Get("error") != "access_denied" || back.Query().Get("code") != "" {
		t.Errorf("deny: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// Without the CSRF token nothing is granted.
	form.Set("decision", "accept")
	form.Del("csrf")
	if resp, _ := post(t, c, s.srv.URL+"/console/oauth/consent", form, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("consent without csrf: %d", resp.StatusCode)
	}
	// Refusals: an unknown client, a bad redirect, a bad response type or scope — a page, no redirect.
	for name, mod := range map[string]func(url.Values){
		"unknown client":    func(q url.Values) { q.Set("client_id", "1000.NOPE") },
		"javascript uri":    func(q url.Values) { q.Set("redirect_uri", "javascript:alert(1)") },
		"no redirect":       func(q url.Values) { q.Del("redirect_uri") },
		"token response":    func(q url.Values) { q.Set("response_type", "token") },
		"malformed scope":   func(q url.Values) { q.Set("scope", "everything") },
		"fragment redirect": func(q url.Values) { q.Set("redirect_uri", "http://app.test/#x") },
		"bad escape":        func(q url.Values) { q.Set("redirect_uri", "http://app.test/%zz") },
	} {
		q := with(auth, nil)
		mod(q)
		resp, body := get(t, c, s.srv.URL+"/oauth/v2/auth?"+q.Encode())
		if resp.StatusCode != http.StatusBadRequest || !hasTestID(body, "oauth-refused") || resp.Header.Get("Location") != "" {
			t.Errorf("%s: %d %q", name, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	// An app with a registered redirect address takes only that one.
	reg, _, err := oauth.NewClientCredentials("Registered app")
	if err != nil {
		t.Fatal(err)
	}
	reg.OrgID, reg.RedirectURI = s.o.Org.ID, "https://reg.test/cb"
	if err := s.a.Store.CreateClient(ctx, reg); err != nil {
		t.Fatal(err)
	}
	for uri, want := range map[string]int{"https://reg.test/cb": http.StatusSeeOther, "https://reg.test/cb2": http.StatusBadRequest} {
		q := url.Values{"client_id": {reg.ClientID}, "response_type": {"code"}, "redirect_uri": {uri}, "scope": {"ZohoCRM.org.READ"}}
		if resp, _ := get(t, c, s.srv.URL+"/oauth/v2/auth?"+q.Encode()); resp.StatusCode != want {
			t.Errorf("registered app, redirect %s: %d, want %d", uri, resp.StatusCode, want)
		}
	}
	// An app of another org is refused at the consent page.
	other := crmdtest.NewTeam(t, s.a.Store, "Other", "UTC")
	q := with(auth, url.Values{"client_id": {other.ClientID}})
	if resp, body := get(t, c, s.srv.URL+"/console/oauth/consent?"+q.Encode()); resp.StatusCode != http.StatusBadRequest || !hasTestID(body, "oauth-refused") {
		t.Errorf("another org's app: %d", resp.StatusCode)
	}
}
