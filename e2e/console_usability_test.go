package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// labelCheck lists, in the page, every visible control without an accessible name: an input, select or
// textarea with no <label>, aria-label or aria-labelledby, or a button or link with no text.
const labelCheck = `(function(){
	var bad = [];
	document.querySelectorAll('input, select, textarea, button, a[href]').forEach(function (el) {
		if (el.type === 'hidden' || el.closest('[hidden]') || el.offsetParent === null) { return; }
		var named = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') ||
			((el.tagName === 'BUTTON' || el.tagName === 'A') ? el.textContent.trim() : (el.labels && el.labels.length > 0));
		if (!named) { bad.push(el.outerHTML.slice(0, 120)); }
	});
	return bad;
})()`

// overflowCheck is how far the page is wider than a window of width w (0 when it fits: wide tables
// scroll inside their own box, not the page). The width is given, not read: a mobile browser widens its
// layout viewport to fit a page that overflows.
func overflowCheck(w int64) string {
	return fmt.Sprintf(`Math.max(0, document.documentElement.scrollWidth - %d)`, w)
}

// TestConsoleUsability: every page's controls have labels and the pages fit a 390-px-wide phone as well
// as 1280×800; the wizard is done with the keyboard alone — Tab to the confirm box, type, Enter.
func TestConsoleUsability(t *testing.T) {
	chromiumPath(t)
	h := startServer(t)
	h.CLIJSON("seed", "--org", h.OrgID, "--module", "Leads", "--count", "60", "--seed", "5")
	leads := listIDs(t, h, "Leads")
	deleteRecords(t, h, "Leads", leads[:3])
	b := newBrowser(t, h.BaseURL)
	b.signIn(consoleLink(t, h, "admin@crmd.local"))

	// The view of the wizard's first step, as the page offers it.
	b.wantPage(b.open("/console/mass-delete?module=Leads"), http.StatusOK, "/console/mass-delete", "wizard-view")
	cvid := evalJS[string](b, "first view", `document.querySelector('[data-testid="wizard-view"]').value`)
	pages := []string{"/console/jobs", "/console/mass-delete?module=Leads", "/console/mass-delete/preview?module=Leads&cvid=" + cvid,
		"/console/bin", "/console/records?module=Leads", "/console/bin/empty"}
	for _, size := range []struct {
		name string
		w, h int64
		mob  bool
	}{{"desktop", 1280, 800, false}, {"phone", 390, 844, true}} {
		b.do("viewport "+size.name, chromedp.EmulateViewport(size.w, size.h, func(p *emulation.SetDeviceMetricsOverrideParams, q *emulation.SetTouchEmulationEnabledParams) {
			p.Mobile = size.mob
			p.DeviceScaleFactor = 1
		}))
		for _, p := range pages {
			resp := b.open(p)
			if resp.Status != http.StatusOK {
				t.Fatalf("%s: %d", p, resp.Status)
			}
			if bad := evalJS[[]string](b, "labels", labelCheck); len(bad) > 0 {
				t.Errorf("%s (%s): controls without a label: %s", p, size.name, strings.Join(bad, "; "))
			}
			if over := evalJS[int](b, "overflow", overflowCheck(size.w)); over > 0 {
				t.Errorf("%s (%s): the page is %d px wider than the window", p, size.name, over)
			}
		}
		b.open("/console/mass-delete/preview?module=Leads&cvid=" + cvid)
		b.shot("preview-" + size.name)
	}

	// Keyboard only: from the top of the preview page, Tab until the confirm box has the focus, type
	// the number, press Enter — the job starts and its page opens.
	b.do("viewport desktop", chromedp.EmulateViewport(1280, 800))
	b.open("/console/mass-delete/preview?module=Leads&cvid=" + cvid)
	want := b.text("preview-deletable")
	focused := ""
	for range 80 {
		b.do("tab", chromedp.KeyEvent(kb.Tab))
		focused = evalJS[string](b, "focus", `document.activeElement ? (document.activeElement.getAttribute('data-testid') || '') : ''`)
		if focused == "wizard-confirm-input" {
			break
		}
	}
	if focused != "wizard-confirm-input" {
		t.Fatalf("80 presses of Tab never reached the confirm box")
	}
	resp := b.follow("type and press Enter", chromedp.KeyEvent(want+kb.Enter))
	u, _ := url.Parse(resp.URL)
	if resp.Status != http.StatusOK || !strings.HasPrefix(u.Path, "/console/jobs/") {
		t.Fatalf("Enter in the confirm box: %d %s", resp.Status, resp.URL)
	}
	b.visible("job-progress")
	b.shot("job-by-keyboard")
}

// TestConsoleOAuthConsent: an app sends the browser to /oauth/v2/auth; the signed-in user allows it on
// the consent page; the real browser follows the redirect to the app (the page's CSP lets the form go
// there) with a code that the app exchanges for a working token.
func TestConsoleOAuthConsent(t *testing.T) {
	chromiumPath(t)
	h := startServer(t)
	var mu sync.Mutex
	var got []url.Values
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Only the redirect counts: Chromium may also ask the app's origin for /favicon.ico.
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		got = append(got, r.URL.Query())
		mu.Unlock()
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<!doctype html><title>app</title><p id="done">back at the app</p>`)
	}))
	defer app.Close()
	callback := app.URL + "/callback"

	b := newBrowser(t, h.BaseURL)
	b.signIn(consoleLink(t, h, "admin@crmd.local"))
	auth := url.Values{"client_id": {h.ClientID}, "response_type": {"code"}, "redirect_uri": {callback},
		"scope": {"ZohoCRM.modules.ALL,ZohoCRM.users.READ"}, "state": {"st-42"}, "access_type": {"offline"}}
	b.wantPage(b.open("/oauth/v2/auth?"+auth.Encode()), http.StatusOK, "/console/oauth/consent", "oauth-accept")
	if s := b.text("oauth-scopes"); !strings.Contains(s, "ZohoCRM.users.READ") {
		t.Errorf("the consent page lists %q", s)
	}
	b.shot("consent")
	resp := b.click(tid("oauth-accept"))
	if !strings.HasPrefix(resp.URL, callback+"?") || resp.Status != http.StatusOK {
		t.Fatalf("after Allow the browser is at %d %s, want the app's %s", resp.Status, resp.URL, callback)
	}
	mu.Lock()
	if len(got) != 1 {
		mu.Unlock()
		t.Fatalf("the app received %d callbacks", len(got))
	}
	q := got[0]
	mu.Unlock()
	if q.Get("state") != "st-42" || q.Get("location") != "us" || q.Get("accounts-server") != h.BaseURL || q.Get("code") == "" {
		t.Fatalf("callback query %v", q)
	}
	tok := url.Values{"grant_type": {"authorization_code"}, "client_id": {h.ClientID}, "client_secret": {h.ClientSecret},
		"code": {q.Get("code")}, "redirect_uri": {callback}}
	status, body, raw := h.Do("POST", "/oauth/v2/token?"+tok.Encode(), nil, "")
	access, _ := body["access_token"].(string)
	if status != http.StatusOK || access == "" {
		t.Fatalf("exchange: %d %s", status, raw)
	}
	if status, _, raw := h.Do("GET", "/crm/v8/users?type=CurrentUser", nil, access); status != http.StatusOK || !strings.Contains(string(raw), "admin@crmd.local") {
		t.Fatalf("the app's token: %d %s", status, raw)
	}

	// Deny sends the browser back with error=access_denied and no code.
	b.wantPage(b.open("/oauth/v2/auth?"+auth.Encode()), http.StatusOK, "/console/oauth/consent", "oauth-deny")
	resp = b.click(tid("oauth-deny"))
	u, _ := url.Parse(resp.URL)
	if !strings.HasPrefix(resp.URL, callback+"?") || u.Query().Get("error") != "access_denied" || u.Query().Get("code") != "" {
		t.Fatalf("after Deny the browser is at %s", resp.URL)
	}
}
