package e2e

// End-to-end tests of the web console (package console, docs/console.md) in a real browser: Debian's
// Chromium, driven over the DevTools protocol by chromedp, against the real `crmd serve` binary. Each
// test signs in through a `crmd console-link` link, works the pages as a person does (clicks, typed
// numbers, confirm steps) and checks the outcome through crmd's API. Every test saves PNG screenshots
// under CRMD_ARTIFACTS_DIR (default <repo>/artifacts/console).
//
// Without Chromium the tests are skipped with a message, unless CRMD_BROWSER_TEST=require (CI) makes
// that a failure. CRMD_CHROMIUM names another browser binary.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/crmd/crmd/crmdtest"
)

const (
	// consoleTestTimeout bounds a whole browser test: the browser, every step and every wait.
	consoleTestTimeout = 150 * time.Second
	// consoleStepTimeout bounds one browser step (a navigation, a click, a wait for an element).
	consoleStepTimeout = 45 * time.Second
	// consoleJobTimeout bounds the wait for a job shown in the browser to reach a status.
	consoleJobTimeout = 90 * time.Second
)

// chromiumPath finds the browser: $CRMD_CHROMIUM, else /usr/bin/chromium, else chromium on PATH. Without
// one the test is skipped, or fails when CRMD_BROWSER_TEST=require.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CRMD_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("CRMD_CHROMIUM=%s: %v", p, err)
		}
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	msg := "the console's browser tests need Chromium (/usr/bin/chromium, chromium on PATH, or CRMD_CHROMIUM): " +
		"apt-get install chromium to run them"
	if os.Getenv("CRMD_BROWSER_TEST") == "require" {
		t.Fatal(msg + " (CRMD_BROWSER_TEST=require)")
	}
	t.Skip(msg)
	return ""
}

// artifactsDir is where screenshots go: $CRMD_ARTIFACTS_DIR, else <repo root>/artifacts/console.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("CRMD_ARTIFACTS_DIR")
	if dir == "" {
		dir = filepath.Join("..", "artifacts", "console") // the test runs in <repo>/e2e
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		t.Fatalf("artifacts directory: %v", err)
	}
	return abs
}

// consoleBrowser is one headless Chromium with one tab, pointed at one crmd server.
type consoleBrowser struct {
	t    *testing.T
	ctx  context.Context // the tab's context; it ends with the test or at consoleTestTimeout
	base string
	out  *crmdtest.LockedBuffer // the browser's stdout and stderr, and chromedp's own log
	dir  string                 // where screenshots go
}

// newBrowser starts Chromium for the test; it is closed (and its profile removed) when the test ends.
func newBrowser(t *testing.T, base string) *consoleBrowser {
	t.Helper()
	exe := chromiumPath(t)
	profile := t.TempDir()
	b := &consoleBrowser{t: t, base: base, out: &crmdtest.LockedBuffer{}, dir: artifactsDir(t)}
	ctx, cancelTimeout := context.WithTimeout(context.Background(), consoleTestTimeout)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-extensions", true),
		// A container's /dev/shm is often 64 MB: Chromium keeps its shared memory in /tmp instead.
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 800),
		chromedp.CombinedOutput(b.out),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	logf := func(format string, args ...any) { fmt.Fprintf(b.out, "chromedp: "+format+"\n", args...) }
	tabCtx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithLogf(logf), chromedp.WithErrorf(logf))
	t.Cleanup(func() {
		cancelTab()   // closes the tab and the browser
		cancelAlloc() // waits for the browser process to exit
		cancelTimeout()
		if t.Failed() {
			t.Logf("browser output (last 4 KiB):\n%s", tail(b.output(), 4096))
		}
		// Chromium's helper processes may write to the profile for a moment after the browser exits:
		// remove it here, retrying, so that t.TempDir's own removal finds nothing left.
		deadline := time.Now().Add(10 * time.Second)
		for os.RemoveAll(profile) != nil && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
	})
	// The first Run starts the browser; its life is tabCtx's (the test's timeout), not a step's.
	if err := chromedp.Do(tabCtx); err != nil {
		t.Fatalf("starting %s: %v\nbrowser output:\n%s", exe, err, tail(b.output(), 4096))
	}
	b.ctx = tabCtx
	return b
}

// output is what the browser and chromedp logged, without Chromium's complaints about the missing
// D-Bus of a container.
func (b *consoleBrowser) output() string {
	var keep []string
	for _, l := range strings.Split(b.out.String(), "\n") {
		if !strings.Contains(l, "dbus/") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// tid is the CSS selector of an element by its data-testid.
func tid(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }

// jsTID is the same selector as a JavaScript string literal.
func jsTID(id string) string { return strconv.Quote(`[data-testid="` + id + `"]`) }

// run runs one browser step (what names it in a failure) within consoleStepTimeout; a failure saves a
// screenshot and ends the test.
func run[T any](b *consoleBrowser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, consoleStepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.fail(what, err)
	}
	return v
}

// evalJS evaluates a JavaScript expression in the page and decodes its value.
func evalJS[T any](b *consoleBrowser, what, expr string) T {
	b.t.Helper()
	return run(b, what, chromedp.Evaluate[T](expr))
}

// fail reports a failed step with where the browser is, saves a screenshot and ends the test.
func (b *consoleBrowser) fail(what string, err error) {
	b.t.Helper()
	where := ""
	if b.ctx.Err() == nil {
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		loc, lerr := chromedp.Run(ctx, chromedp.Location())
		if lerr == nil {
			where = " (page " + loc + ")"
		}
		if png, serr := chromedp.Run(ctx, chromedp.FullScreenshot(100)); serr == nil {
			path := b.shotPath("failure")
			if os.WriteFile(path, png, 0o644) == nil {
				b.t.Logf("screenshot of the failure: %s", path)
			}
		}
		cancel()
	}
	b.t.Fatalf("browser: %s%s: %v", what, where, err)
}

// unsafeInName is what a screenshot's file name replaces with "_".
var unsafeInName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

func (b *consoleBrowser) shotPath(step string) string {
	name := unsafeInName.ReplaceAllString(b.t.Name()+"-"+step, "_")
	return filepath.Join(b.dir, name+".png")
}

// shot saves a PNG screenshot of the whole page as <TestName>-<step>.png in the artifacts directory.
func (b *consoleBrowser) shot(step string) string {
	b.t.Helper()
	png := run(b, "screenshot "+step, chromedp.FullScreenshot(100))
	path := b.shotPath(step)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatalf("writing the screenshot: %v", err)
	}
	b.t.Logf("screenshot %s: %s", step, path)
	return path
}

// url makes a console path absolute; a full URL is kept.
func (b *consoleBrowser) url(path string) string {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path
	}
	return b.base + path
}

// open navigates to a path (or URL), waits for the page to load and returns the document's response
// (after any redirect).
func (b *consoleBrowser) open(path string) *network.Response {
	b.t.Helper()
	resp := run(b, "open "+path, chromedp.NavigateResponse(b.url(path)))
	if resp == nil {
		b.fail("open "+path, errors.New("no response for the document"))
	}
	return resp
}

// follow runs steps that make the page navigate (a click on a link or a submit button), waits for the
// new page to load and returns its document's response.
func (b *consoleBrowser) follow(what string, steps ...chromedp.Action[chromedp.Void]) *network.Response {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, consoleStepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err == nil && resp == nil {
		err = errors.New("no response for the document")
	}
	if err != nil {
		b.fail(what, err)
	}
	return resp
}

// click clicks an element that loads another page and returns that page's response.
func (b *consoleBrowser) click(sel chromedp.CSS) *network.Response {
	b.t.Helper()
	return b.follow("click "+string(sel), chromedp.Click(sel))
}

// do runs steps that stay on the page.
func (b *consoleBrowser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	run(b, what, chromedp.Steps(steps...))
}

// visible waits until the element is shown.
func (b *consoleBrowser) visible(id string) {
	b.t.Helper()
	b.do("wait for "+id, chromedp.WaitVisible(tid(id)))
}

// count is how many elements have the data-testid.
func (b *consoleBrowser) count(id string) int {
	b.t.Helper()
	return evalJS[int](b, "count "+id, `document.querySelectorAll(`+jsTID(id)+`).length`)
}

// text is an element's text, trimmed ("" when there is none).
func (b *consoleBrowser) text(id string) string {
	b.t.Helper()
	return evalJS[string](b, "text of "+id, `(function(){var e=document.querySelector(`+jsTID(id)+`);return e?e.textContent.trim():""})()`)
}

// path is the page's path and query.
func (b *consoleBrowser) path() string {
	b.t.Helper()
	return evalJS[string](b, "location", `location.pathname + location.search`)
}

// waitJS polls a JavaScript condition every 50 ms until it is true or timeout passes. The condition is
// evaluated afresh each time, so it survives navigations (an evaluation that fails meanwhile counts as
// false).
func (b *consoleBrowser) waitJS(what string, timeout time.Duration, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!(`+cond+`)`))
		cancel()
		if err == nil && ok {
			return
		}
		if err != nil {
			last = err
		}
		if b.ctx.Err() != nil || time.Now().After(deadline) {
			if last == nil {
				last = fmt.Errorf("still false after %s", timeout)
			}
			b.fail("wait for "+what, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// wantPage checks a loaded page: its status, its path (and query, when want has one) and an element.
func (b *consoleBrowser) wantPage(resp *network.Response, status int64, path, id string) {
	b.t.Helper()
	u, err := url.Parse(resp.URL)
	if err != nil {
		b.t.Fatalf("response URL %q: %v", resp.URL, err)
	}
	got := u.Path
	if strings.Contains(path, "?") {
		got += "?" + u.RawQuery
	}
	if resp.Status != status || got != path {
		b.fail("page check", fmt.Errorf("got %d %s, want %d %s", resp.Status, resp.URL, status, path))
	}
	if id != "" {
		b.visible(id)
	}
}

// signIn opens a console link, which must sign in and land on the jobs page.
func (b *consoleBrowser) signIn(link string) {
	b.t.Helper()
	resp := b.open(link)
	b.wantPage(resp, http.StatusOK, "/console/jobs", "jobs-table")
	if p := b.path(); p != "/console/jobs" {
		b.t.Fatalf("after sign-in the address is %s, want /console/jobs (the link's secret must leave it)", p)
	}
}

// consoleLink mints a sign-in link with `crmd console-link`.
func consoleLink(t *testing.T, h *Harness, email string, extra ...string) string {
	t.Helper()
	out, err := h.CLI(append([]string{"console-link", "--org", h.OrgID, "--email", email}, extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	link := strings.TrimSpace(out)
	if strings.Count(out, "\n") != 1 || !strings.HasPrefix(link, h.BaseURL+"/console/signin?token=") {
		t.Fatalf("console-link printed %q, want one line %s/console/signin?token=…", out, h.BaseURL)
	}
	return link
}

// massDeleteJobs is how many mass delete jobs the org has (views' index builds are jobs too).
func massDeleteJobs(t *testing.T, h *Harness) int {
	t.Helper()
	status, body, raw := h.Do("GET", "/crmd/v1/jobs?kind=mass_delete", nil, h.Token)
	if status == http.StatusNoContent {
		return 0
	}
	if status != http.StatusOK {
		t.Fatalf("GET jobs: %d %s", status, raw)
	}
	js, _ := body["jobs"].([]any)
	return len(js)
}

// apiPreview is the API's mass delete preview of a view.
func apiPreview(t *testing.T, h *Harness, cvid string) (total, deletable, unapproved int) {
	t.Helper()
	status, answer, raw := h.Do("POST", "/crmd/v1/Leads/actions/mass_delete/preview", map[string]any{"cvid": cvid}, h.Token)
	body, _ := answer["preview"].(map[string]any)
	if status != http.StatusOK || body == nil {
		t.Fatalf("preview: %d %s", status, raw)
	}
	num := func(k string) int {
		f, ok := body[k].(float64)
		if !ok {
			t.Fatalf("preview %s = %v", k, body[k])
		}
		return int(f)
	}
	return num("total"), num("deletable"), num("unapproved")
}

// binIDs lists the ids in the org's recycle bin (none when the API answers 204).
func binIDs(t *testing.T, h *Harness) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for page := 1; ; page++ {
		status, body, raw := h.Do("GET", fmt.Sprintf("/crm/v8/settings/recycle_bin?per_page=200&page=%d", page), nil, h.Token)
		if status == http.StatusNoContent {
			return ids
		}
		if status != http.StatusOK {
			t.Fatalf("recycle bin: %d %s", status, raw)
		}
		for _, it := range body["recycle_bin"].([]any) {
			ids[it.(map[string]any)["id"].(string)] = true
		}
		if info, _ := body["info"].(map[string]any); info == nil || info["more_records"] != true {
			return ids
		}
	}
}

// leadLive tells whether GET /crm/v8/Leads/{id} finds the record.
func leadLive(t *testing.T, h *Harness, id string) bool {
	t.Helper()
	status, _, raw := h.Do("GET", "/crm/v8/Leads/"+id+"?fields=Last_Name", nil, h.Token)
	switch status {
	case http.StatusOK:
		return true
	case http.StatusNoContent, http.StatusNotFound, http.StatusBadRequest:
		return false
	}
	t.Fatalf("GET lead %s: %d %s", id, status, raw)
	return false
}

// deleteRecords deletes a module's records by ids through Zoho's API (they go to the recycle bin).
func deleteRecords(t *testing.T, h *Harness, module string, ids []string) {
	t.Helper()
	status, _, raw := h.Do("DELETE", "/crm/v8/"+module+"?ids="+strings.Join(ids, ","), nil, h.Token)
	if status != http.StatusOK {
		t.Fatalf("delete %s %v: %d %s", module, ids, status, raw)
	}
}

// listIDs lists a module's live record ids (the first 200), sorted.
func listIDs(t *testing.T, h *Harness, module string) []string {
	t.Helper()
	status, body, raw := h.Do("GET", "/crm/v8/"+module+"?fields=Last_Name&per_page=200", nil, h.Token)
	if status == http.StatusNoContent {
		return nil
	}
	if status != http.StatusOK {
		t.Fatalf("list %s: %d %s", module, status, raw)
	}
	var ids []string
	for _, r := range body["data"].([]any) {
		ids = append(ids, r.(map[string]any)["id"].(string))
	}
	sort.Strings(ids)
	return ids
}

func sameIDs(a, b []string) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

// jobPageState is what a job page shows of its job.
type jobPageState struct {
	ID       string  `json:"id"`
	Status   string  `json:"status"`
	Progress float64 `json:"progress"`
	Counts   string  `json:"counts"`
	Marker   bool    `json:"marker"`
}

const jobPageStateJS = `(function(){
  var s = document.querySelector('[data-testid="job"]');
  var q = function(id){ return s && s.querySelector('[data-testid="' + id + '"]'); };
  return {id: s ? s.getAttribute('data-job-id') : "", status: q('job-status') ? q('job-status').textContent.trim() : "",
    progress: q('job-progress') ? q('job-progress').value : -1, counts: q('job-counts') ? q('job-counts').textContent.trim() : "",
    marker: window.__noReload === 1};
})()`

// TestConsoleWizardUndo: the whole mass delete in the browser — sign in, the wizard's choice, a preview
// that matches the API's, a wrong typed number refused, the right one starting the job, the job page
// following the job live to COMPLETED without a reload, then undo from the same page.
func TestConsoleWizardUndo(t *testing.T) {
	chromiumPath(t) // skip (or fail) before any work when there is no browser
	h := startServer(t, "--job-batch-size", "25", "--job-batch-delay", "250ms")
	// newMDScene's view must select at least 100 leads; its seeded data puts about one lead in eleven in
	// the view, so 2000 leads give ~200 to delete: 9 batches of 25, some 2 s of paced work, long enough
	// for the job page to load while the job runs.
	s := newMDScene(t, h, 2000)
	t.Logf("the view selects %d of %d leads", len(s.selected), len(s.all))
	b := newBrowser(t, h.BaseURL)
	b.signIn(consoleLink(t, h, "admin@crmd.local"))

	// The wizard: the module (choosing it submits the form by itself), then the view.
	b.wantPage(b.click(tid("nav-mass-delete")), http.StatusOK, "/console/mass-delete", "wizard-module")
	resp := b.follow("choose Leads", chromedp.Evaluate[chromedp.Void](`(function(){
		var s = document.querySelector('[data-testid="wizard-module"]');
		s.value = 'Leads';
		s.dispatchEvent(new Event('change', {bubbles: true}));
	})()`))
	b.wantPage(resp, http.StatusOK, "/console/mass-delete?module=Leads", "wizard-view")
	if label := evalJS[string](b, "view option", `(function(){
		var o = [...document.querySelector('[data-testid="wizard-view"]').options].find(o => o.value === `+strconv.Quote(s.cvid)+`);
		return o ? o.textContent.trim() : "";
	})()`); label != "Doomed" {
		t.Fatalf("the wizard's view list has %q for %s, want Doomed", label, s.cvid)
	}
	b.do("choose the view", chromedp.SetValue(tid("wizard-view"), s.cvid))
	resp = b.click(tid("wizard-preview"))
	b.wantPage(resp, http.StatusOK, "/console/mass-delete/preview", "preview-total")
	if q, _ := url.Parse(resp.URL); q.Query().Get("module") != "Leads" || q.Query().Get("cvid") != s.cvid {
		t.Fatalf("preview address %s, want module=Leads and cvid=%s", resp.URL, s.cvid)
	}

	// The preview shows the API's numbers.
	total, deletable, unapproved := apiPreview(t, h, s.cvid)
	if deletable != len(s.selected) {
		t.Fatalf("API preview: %d deletable, want the view's %d", deletable, len(s.selected))
	}
	for id, want := range map[string]int{"preview-total": total, "preview-deletable": deletable, "preview-unapproved": unapproved} {
		if got := b.text(id); got != strconv.Itoa(want) {
			t.Errorf("%s shows %q, the API says %d", id, got, want)
		}
	}
	if got := b.text("preview-outcome"); got != "SCHEDULE" {
		t.Errorf("preview-outcome %q, want SCHEDULE", got)
	}
	if n := evalJS[int](b, "sample rows", `document.querySelectorAll('[data-testid="preview-sample"] tbody tr').length`); n == 0 {
		t.Error("the preview shows no sample of the records")
	}
	b.shot("wizard-preview")

	// A wrong number is refused and deletes nothing.
	b.do("type a wrong number", chromedp.SendKeys(tid("wizard-confirm-input"), strconv.Itoa(deletable+1)))
	resp = b.click(tid("wizard-confirm"))
	b.wantPage(resp, http.StatusUnprocessableEntity, "/console/mass-delete", "error")
	if msg := b.text("error"); !strings.Contains(msg, strconv.Itoa(deletable)) {
		t.Errorf("the error %q does not name the number to type, %d", msg, deletable)
	}
	if got := s.liveIDs(t); !sameIDs(got, s.all) {
		t.Fatalf("after a wrong confirmation %d leads are live, want all %d", len(got), len(s.all))
	}
	if n := massDeleteJobs(t, h); n != 0 {
		t.Fatalf("a wrong confirmation made %d jobs", n)
	}

	// The right number starts the job; its page follows it live.
	b.do("type the right number", chromedp.Clear(tid("wizard-confirm-input")),
		chromedp.SendKeys(tid("wizard-confirm-input"), strconv.Itoa(deletable)))
	resp = b.click(tid("wizard-confirm"))
	// Right after the load: a marker that a reload would lose, and a record of every value the progress
	// bar takes from then on.
	first := evalJS[jobPageState](b, "set the marker", `(function(){
		window.__noReload = 1;
		window.__progress = [];
		var bar = document.querySelector('[data-testid="job"] [data-testid="job-progress"]');
		new MutationObserver(function(){ window.__progress.push(bar.value); }).observe(bar, {attributes: true, attributeFilter: ['value']});
		return `+jobPageStateJS+`;
	})()`)
	b.wantPage(resp, http.StatusOK, "/console/jobs/"+first.ID+"?done=started", "job")
	if first.ID == "" || first.Progress >= 100 || first.Status == "COMPLETED" {
		t.Fatalf("the job page first showed %+v: want a job still under way (progress < 100)", first)
	}
	b.visible("notice")
	if undoHidden := evalJS[bool](b, "undo link", `document.querySelector('[data-testid="job-undo"]').hidden`); !undoHidden {
		t.Error("the undo link is shown while the job runs")
	}
	t.Logf("job %s first shown: %s, %v%%", first.ID, first.Status, first.Progress)
	b.waitJS("the job page to show COMPLETED at 100%", consoleJobTimeout, `(function(){
		var st = `+jobPageStateJS+`;
		return st.status === 'COMPLETED' && st.progress === 100;
	})()`)
	last := evalJS[jobPageState](b, "job page", jobPageStateJS)
	if !last.Marker {
		t.Fatal("the job page reloaded while the job ran (the marker set on load is gone)")
	}
	if seen := evalJS[[]float64](b, "progress values", `window.__progress`); !slices.ContainsFunc(seen, func(p float64) bool { return p > first.Progress && p < 100 }) {
		t.Errorf("the progress bar went %v → %v without a value in between: it did not follow the job batch by batch", first.Progress, seen)
	}
	// The times the script fills in read as the server's own.
	timeRE := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$`)
	for _, id := range []string{"job-started", "job-finished"} {
		if got := b.text(id); !timeRE.MatchString(got) {
			t.Errorf("%s shows %q, want a time such as 2026-01-02 15:04:05 UTC", id, got)
		}
	}
	wantCounts := fmt.Sprintf("%d of %d processed, %d succeeded, 0 failed", deletable, deletable, deletable)
	if last.Counts != wantCounts {
		t.Errorf("job-counts %q, want %q", last.Counts, wantCounts)
	}
	b.waitJS("the undo link to be revealed", consoleStepTimeout, `!document.querySelector('[data-testid="job-undo"]').hidden`)
	b.shot("job-completed")
	if got := s.liveIDs(t); !sameIDs(got, s.unselected()) {
		t.Fatalf("after the job %d leads are live, want the %d the view did not select", len(got), len(s.unselected()))
	}
	if j := v1Job(t, h, first.ID); j["status"] != "COMPLETED" || j["succeeded"] != float64(deletable) {
		t.Fatalf("API job %v", j)
	}

	// Undo, from the job page, through its confirm step.
	resp = b.click(tid("job-undo"))
	b.wantPage(resp, http.StatusOK, "/console/jobs/"+first.ID+"/undo", "confirm-yes")
	resp = b.click(tid("confirm-yes"))
	undo := evalJS[jobPageState](b, "undo job page", jobPageStateJS)
	b.wantPage(resp, http.StatusOK, "/console/jobs/"+undo.ID, "job")
	if undo.ID == "" || undo.ID == first.ID {
		t.Fatalf("after the undo the browser shows job %q, want the undo job (not %s)", undo.ID, first.ID)
	}
	if kind := b.text("job-kind"); kind != "undo" {
		t.Errorf("the undo job's page shows kind %q", kind)
	}
	b.waitJS("the undo job to show COMPLETED", consoleJobTimeout, `(function(){
		var st = `+jobPageStateJS+`;
		return st.status === 'COMPLETED' && st.progress === 100;
	})()`)
	b.shot("undo-completed")
	if got := s.liveIDs(t); !sameIDs(got, s.all) {
		t.Fatalf("after the undo %d leads are live, want all %d", len(got), len(s.all))
	}
	if j := v1Job(t, h, first.ID); j["undone_by"] != undo.ID {
		t.Fatalf("the mass delete job's undone_by = %v, want %s", j["undone_by"], undo.ID)
	}
	if j := v1Job(t, h, undo.ID); j["undo_of"] != first.ID || j["status"] != "COMPLETED" {
		t.Fatalf("the undo job %v", j)
	}
	// Opened afresh, the mass delete's page offers no second undo.
	b.wantPage(b.open("/console/jobs/"+first.ID), http.StatusOK, "/console/jobs/"+first.ID, "job-undone-by")
	if hidden := evalJS[bool](b, "undo link", `(function(){var u=document.querySelector('[data-testid="job-undo"]');return !u || u.hidden})()`); !hidden {
		t.Error("an undone job's page still offers undo")
	}
}

// TestConsoleCancelPacedJob: a job started over the API shows up on the jobs page and moves there live;
// cancelled from its row, it ends CANCELLED part-way.
func TestConsoleCancelPacedJob(t *testing.T) {
	chromiumPath(t) // skip (or fail) before any work when there is no browser
	h := startServer(t, "--job-batch-size", "10", "--job-batch-delay", "300ms")
	// ~200 leads in the view (see TestConsoleWizardUndo): ~20 batches of 10, some 6 s of paced work.
	s := newMDScene(t, h, 2000)
	b := newBrowser(t, h.BaseURL)
	b.signIn(consoleLink(t, h, "admin@crmd.local"))

	status, body := s.schedule(t, h)
	if status != http.StatusOK {
		t.Fatalf("schedule: %d %v", status, body)
	}
	job := jobIDOf(t, body)
	b.wantPage(b.open("/console/jobs"), http.StatusOK, "/console/jobs", "jobs-table")
	row := `document.querySelector('[data-testid="job-row"][data-job-id="` + job + `"]')`
	start := evalJS[float64](b, "mark the page", `(window.__noReload = 1, `+row+`.querySelector('[data-testid="job-progress"]').value)`)
	t.Logf("job %s first shown at %v%%", job, start)
	b.waitJS("the row to move on live, RUNNING", consoleJobTimeout, `(function(){
		var r = `+row+`;
		var p = r.querySelector('[data-testid="job-progress"]').value;
		return r.querySelector('[data-testid="job-status"]').textContent.trim() === 'RUNNING' && p > 0 && p > `+strconv.FormatFloat(start, 'f', -1, 64)+` && p < 100;
	})()`)
	if !evalJS[bool](b, "marker", `window.__noReload === 1`) {
		t.Fatal("the jobs page reloaded (the marker is gone)")
	}
	b.shot("jobs-running")

	resp := b.click(chromedp.CSS(`[data-testid="job-row"][data-job-id="` + job + `"] [data-testid="job-cancel"]`))
	b.wantPage(resp, http.StatusOK, "/console/jobs/"+job+"/cancel", "confirm-yes")
	resp = b.click(tid("confirm-yes"))
	b.wantPage(resp, http.StatusOK, "/console/jobs/"+job+"?done=cancel", "notice")
	b.waitJS("the job page to show CANCELLED", consoleJobTimeout, `(function(){
		var st = `+jobPageStateJS+`;
		return st.status === 'CANCELLED';
	})()`)
	if n := evalJS[int](b, "cancel link", `[...document.querySelectorAll('[data-testid="job-cancel"]')].filter(e => !e.hidden).length`); n != 0 {
		t.Error("a cancelled job's page still offers cancel")
	}
	b.shot("job-cancelled")

	j := v1Job(t, h, job)
	processed, total := j["processed"].(float64), j["total"].(float64)
	if j["status"] != "CANCELLED" || processed <= 0 || processed >= total {
		t.Fatalf("API job after cancel: status %v, %v of %v processed; want CANCELLED part-way", j["status"], processed, total)
	}
	if got := len(s.liveIDs(t)); got != len(s.all)-int(processed) {
		t.Fatalf("%d leads live, want %d - %v", got, len(s.all), processed)
	}
	st := evalJS[jobPageState](b, "job page", jobPageStateJS)
	if want := fmt.Sprintf("%v of %v processed", processed, total); !strings.HasPrefix(st.Counts, want) {
		t.Errorf("job-counts %q, want it to start with %q", st.Counts, want)
	}

	// A job that ends while the jobs page watches it gets its Undo link in its row, with no reload.
	status, body = s.schedule(t, h)
	if status != http.StatusOK {
		t.Fatalf("second schedule: %d %v", status, body)
	}
	job2 := jobIDOf(t, body)
	b.wantPage(b.open("/console/jobs"), http.StatusOK, "/console/jobs", "jobs-table")
	row2 := `document.querySelector('[data-testid="job-row"][data-job-id="` + job2 + `"]')`
	if evalJS[bool](b, "mark the page", `(window.__noReload = 1, !!`+row2+`.querySelector('[data-testid="job-undo"]'))`) {
		t.Fatal("a running job's row offers undo")
	}
	if status, _, raw := h.Do("POST", "/crmd/v1/jobs/"+job2+"/actions/cancel", nil, h.Token); status != http.StatusOK {
		t.Fatalf("cancel over the API: %d %s", status, raw)
	}
	b.waitJS("the row to end CANCELLED with an Undo link", consoleJobTimeout, `(function(){
		var r = `+row2+`, u = r.querySelector('[data-testid="job-undo"]'), c = r.querySelector('[data-testid="job-cancel"]');
		return r.querySelector('[data-testid="job-status"]').textContent.trim() === 'CANCELLED' && u && !u.hidden && (!c || c.hidden);
	})()`)
	if !evalJS[bool](b, "marker", `window.__noReload === 1`) {
		t.Fatal("the jobs page reloaded (the marker is gone)")
	}
	b.shot("jobs-cancelled")
	resp = b.click(chromedp.CSS(`[data-testid="job-row"][data-job-id="` + job2 + `"] [data-testid="job-undo"]`))
	b.wantPage(resp, http.StatusOK, "/console/jobs/"+job2+"/undo", "confirm-yes")
}

// TestConsoleRecycleBin: the recycle bin page lists deleted records; restore, permanent delete (after
// its confirm step), the module filter and emptying the bin all do what the API then shows.
func TestConsoleRecycleBin(t *testing.T) {
	chromiumPath(t) // skip (or fail) before any work when there is no browser
	h := startServer(t)
	h.CLIJSON("seed", "--org", h.OrgID, "--module", "Leads", "--count", "10", "--seed", "5")
	h.CLIJSON("seed", "--org", h.OrgID, "--module", "Contacts", "--count", "3", "--seed", "5")
	leads := listIDs(t, h, "Leads")
	contacts := listIDs(t, h, "Contacts")
	if len(leads) != 10 || len(contacts) != 3 {
		t.Fatalf("seeded %d leads and %d contacts", len(leads), len(contacts))
	}
	gone := leads[:6]
	deleteRecords(t, h, "Leads", gone)
	deleteRecords(t, h, "Contacts", contacts[:1])
	if n := len(binIDs(t, h)); n != 7 {
		t.Fatalf("the bin holds %d records, want 7", n)
	}

	b := newBrowser(t, h.BaseURL)
	b.signIn(consoleLink(t, h, "admin@crmd.local"))
	b.wantPage(b.click(tid("nav-bin")), http.StatusOK, "/console/bin", "bin-table")
	rowIDs := func() []string {
		ids := evalJS[[]string](b, "bin rows", `[...document.querySelectorAll('[data-testid="bin-row"]')].map(r => r.getAttribute('data-id'))`)
		sort.Strings(ids)
		return ids
	}
	if got := rowIDs(); len(got) != 7 {
		t.Fatalf("the bin page shows %d rows, want 7: %v", len(got), got)
	}

	// The module filter.
	b.do("filter Leads", chromedp.SetValue(tid("bin-filter-module"), "Leads"))
	b.wantPage(b.click(tid("bin-filter")), http.StatusOK, "/console/bin", "bin-table")
	if got := rowIDs(); !sameIDs(got, gone) {
		t.Fatalf("filtered by Leads the bin shows %v, want %v", got, gone)
	}
	if p := b.path(); !strings.Contains(p, "module=Leads") {
		t.Fatalf("the filtered bin's address %s has no module=Leads", p)
	}
	b.shot("bin-leads")

	// Restore two.
	restore := gone[:2]
	for _, id := range restore {
		b.do("tick "+id, chromedp.Click(chromedp.CSS(`[data-testid="bin-row"][data-id="`+id+`"] [data-testid="bin-select"]`)))
	}
	resp := b.click(tid("bin-restore"))
	b.wantPage(resp, http.StatusOK, "/console/bin", "notice")
	if q, _ := url.Parse(resp.URL); q.Query().Get("done") != "restore" || q.Query().Get("n") != "2" || q.Query().Get("module") != "Leads" {
		t.Errorf("after the restore the address is %s, want done=restore&n=2 and the filter kept", resp.URL)
	}
	if msg := b.text("notice"); !strings.Contains(msg, "2") {
		t.Errorf("restore notice %q", msg)
	}
	for _, id := range restore {
		if !leadLive(t, h, id) {
			t.Fatalf("restored lead %s is not live", id)
		}
	}
	if got := rowIDs(); !sameIDs(got, gone[2:]) {
		t.Fatalf("after the restore the bin shows %v, want %v", got, gone[2:])
	}

	// Delete one permanently, through the confirm step.
	purge := gone[2]
	b.do("tick "+purge, chromedp.Click(chromedp.CSS(`[data-testid="bin-row"][data-id="`+purge+`"] [data-testid="bin-select"]`)))
	resp = b.click(tid("bin-delete"))
	b.wantPage(resp, http.StatusOK, "/console/bin/delete", "confirm-yes")
	if !binIDs(t, h)[purge] {
		t.Fatalf("%s left the bin before the confirmation", purge)
	}
	b.shot("bin-delete-confirm")
	resp = b.click(tid("confirm-yes"))
	b.wantPage(resp, http.StatusOK, "/console/bin", "notice")
	if q, _ := url.Parse(resp.URL); q.Query().Get("done") != "delete" || q.Query().Get("n") != "1" {
		t.Errorf("after the permanent delete the address is %s, want done=delete&n=1", resp.URL)
	}
	if leadLive(t, h, purge) || binIDs(t, h)[purge] {
		t.Fatalf("%s is still live or in the bin after its permanent delete", purge)
	}
	if got := rowIDs(); !sameIDs(got, gone[3:]) {
		t.Fatalf("after the permanent delete the bin shows %v, want %v", got, gone[3:])
	}
	b.shot("bin-after-delete")

	// Empty the bin (Administrators), through its confirm step.
	resp = b.click(tid("bin-empty"))
	b.wantPage(resp, http.StatusOK, "/console/bin/empty", "confirm-yes")
	resp = b.click(tid("confirm-yes"))
	if resp.Status != http.StatusOK {
		t.Fatalf("emptying the bin: %d %s", resp.Status, resp.URL)
	}
	eventually(t, consoleJobTimeout, "the recycle bin to be empty (204)", func() bool {
		status, _, _ := h.Do("GET", "/crm/v8/settings/recycle_bin", nil, h.Token)
		return status == http.StatusNoContent
	})
	if u, _ := url.Parse(resp.URL); u.Path == "/console/bin" {
		b.visible("notice")
	} else {
		// The empty ran as a job: its page follows it to the end.
		b.waitJS("the empty job to complete", consoleJobTimeout, `(`+jobPageStateJS+`).status === 'COMPLETED'`)
	}
	b.wantPage(b.open("/console/bin"), http.StatusOK, "/console/bin", "bin-empty-state")
	if n := b.count("bin-row"); n != 0 {
		t.Fatalf("the emptied bin shows %d rows", n)
	}
	b.shot("bin-emptied")
	for _, id := range gone {
		if want := id == restore[0] || id == restore[1]; leadLive(t, h, id) != want {
			t.Fatalf("lead %s live = %v after the bin was emptied, want %v", id, !want, want)
		}
	}
}

// TestConsoleStandardUser: a Standard user's console offers no mass delete and no emptying of the bin,
// and a mass delete posted from their signed-in browser, CSRF token and all, is refused.
func TestConsoleStandardUser(t *testing.T) {
	chromiumPath(t) // skip (or fail) before any work when there is no browser
	h := startServer(t)
	s := newMDScene(t, h, 1200) // about the fewest leads whose view holds the 100 newMDScene wants
	h.CLIJSON("user", "add", "--org", h.OrgID, "--email", "std@crmd.local", "--profile", "Standard")
	_, deletable, _ := apiPreview(t, h, s.cvid)
	deleteRecords(t, h, "Leads", s.unselected()[:2]) // something in the bin
	s.all = s.liveIDs(t)

	b := newBrowser(t, h.BaseURL)
	b.signIn(consoleLink(t, h, "std@crmd.local"))
	if who := b.text("user"); !strings.Contains(who, "std@crmd.local") || !strings.Contains(who, "Standard") {
		t.Fatalf("signed in as %q, want the Standard user", who)
	}
	for _, id := range []string{"nav-mass-delete", "start-mass-delete"} {
		if n := b.count(id); n != 0 {
			t.Errorf("a Standard user's jobs page shows %s", id)
		}
	}
	if n := b.count("nav-jobs") + b.count("nav-bin") + b.count("nav-records"); n != 3 {
		t.Errorf("a Standard user's nav has %d of jobs, bin and records", n)
	}
	b.shot("jobs")

	b.wantPage(b.open("/console/mass-delete"), http.StatusForbidden, "/console/mass-delete", "forbidden")
	b.shot("forbidden")
	b.wantPage(b.open("/console/mass-delete/preview?module=Leads&cvid="+s.cvid), http.StatusForbidden,
		"/console/mass-delete/preview", "forbidden")
	b.wantPage(b.open("/console/bin"), http.StatusOK, "/console/bin", "bin-table")
	if n := b.count("bin-row"); n != 2 {
		t.Errorf("the Standard user's bin shows %d rows, want 2", n)
	}
	if n := b.count("bin-empty"); n != 0 {
		t.Error("a Standard user's bin page offers to empty the bin")
	}

	// A mass delete posted by the page itself, with the session's valid CSRF token, is refused by the
	// profile (not by the CSRF check).
	resp := b.follow("post a mass delete", chromedp.Evaluate[chromedp.Void](`(function(){
		var csrf = document.querySelector('[data-testid="signout"]').form.querySelector('input[name="csrf"]').value;
		var f = document.createElement('form');
		f.method = 'post';
		f.action = '/console/mass-delete';
		var fields = {csrf: csrf, module: 'Leads', cvid: `+strconv.Quote(s.cvid)+`, confirm_count: '`+strconv.Itoa(deletable)+`'};
		for (var k in fields) {
			var i = document.createElement('input');
			i.type = 'hidden'; i.name = k; i.value = fields[k];
			f.appendChild(i);
		}
		document.body.appendChild(f);
		f.submit();
	})()`))
	b.wantPage(resp, http.StatusForbidden, "/console/mass-delete", "forbidden")
	if n := b.count("csrf-refused"); n != 0 {
		t.Fatal("the forged post was refused for its CSRF token, which was valid: the profile check went untested")
	}
	b.shot("post-refused")
	if got := s.liveIDs(t); !sameIDs(got, s.all) {
		t.Fatalf("after the refused mass delete %d leads are live, want %d", len(got), len(s.all))
	}
	if n := massDeleteJobs(t, h); n != 0 {
		t.Fatalf("the refused mass delete made %d jobs", n)
	}
}

// TestConsoleLinksAndCSRF: sign-in links work once and expire; a form without the session's CSRF token
// is refused and leaves the session alone; a request with the session cookie but no token (another
// client) is refused; signing out ends the session for every holder of its cookie.
func TestConsoleLinksAndCSRF(t *testing.T) {
	chromiumPath(t) // skip (or fail) before any work when there is no browser
	h := startServer(t)
	h.CLIJSON("seed", "--org", h.OrgID, "--module", "Leads", "--count", "5", "--seed", "7")
	leads := listIDs(t, h, "Leads")
	deleteRecords(t, h, "Leads", leads[:2])
	b := newBrowser(t, h.BaseURL)

	// An expired link.
	expired := consoleLink(t, h, "admin@crmd.local", "--ttl", "1s")
	time.Sleep(1500 * time.Millisecond)
	b.wantPage(b.open(expired), http.StatusUnauthorized, "/console/signin", "signin-refused")
	if n := b.count("signout"); n != 0 {
		t.Fatal("a refused sign-in shows a signed-in page")
	}
	b.wantPage(b.open("/console/jobs"), http.StatusUnauthorized, "/console/jobs", "signed-out")

	// A link works once.
	link := consoleLink(t, h, "admin@crmd.local")
	b.signIn(link)
	b.wantPage(b.open(link), http.StatusUnauthorized, "/console/signin", "signin-refused")
	b.shot("link-reused")

	// The session cookie is HttpOnly, SameSite=Strict, scoped to /console/.
	cctx, cancel := context.WithTimeout(b.ctx, consoleStepTimeout)
	res, err := chromedp.Call(cctx, network.GetCookies, network.GetCookiesParams{URLs: []string{h.BaseURL + "/console/jobs"}})
	cancel()
	if err != nil {
		t.Fatalf("Network.getCookies: %v", err)
	}
	var session *network.Cookie
	for _, c := range res.Cookies {
		if c.Name == "crmd_console" {
			session = c
		}
	}
	if session == nil {
		t.Fatalf("no crmd_console cookie among %d", len(res.Cookies))
	}
	if !session.HTTPOnly || session.SameSite != network.CookieSameSiteStrict || session.Path != "/console/" || session.Value == "" {
		t.Fatalf("session cookie: HttpOnly %v, SameSite %q, Path %q", session.HTTPOnly, session.SameSite, session.Path)
	}
	if evalJS[bool](b, "document.cookie", `document.cookie.includes('crmd_console')`) {
		t.Fatal("the page's script can read the session cookie")
	}

	// A sign-out form without its CSRF token is refused; the session stays.
	b.wantPage(b.open("/console/jobs"), http.StatusOK, "/console/jobs", "signout")
	resp := b.follow("sign out without the CSRF token", chromedp.Evaluate[chromedp.Void](`(function(){
		var f = document.querySelector('[data-testid="signout"]').form;
		f.querySelector('input[name="csrf"]').remove();
		f.submit();
	})()`))
	b.wantPage(resp, http.StatusForbidden, "/console/signout", "csrf-refused")
	b.shot("csrf-refused")
	b.wantPage(b.open("/console/jobs"), http.StatusOK, "/console/jobs", "jobs-table")
	// And with a wrong token.
	resp = b.follow("sign out with a wrong CSRF token", chromedp.Evaluate[chromedp.Void](`(function(){
		var f = document.querySelector('[data-testid="signout"]').form;
		f.querySelector('input[name="csrf"]').value = 'not-the-token';
		f.submit();
	})()`))
	b.wantPage(resp, http.StatusForbidden, "/console/signout", "csrf-refused")
	b.wantPage(b.open("/console/bin"), http.StatusOK, "/console/bin", "bin-table")
	if n := b.count("bin-row"); n != 2 {
		t.Fatalf("the bin shows %d rows, want 2", n)
	}
	csrf := evalJS[string](b, "csrf token", `document.querySelector('[data-testid="signout"]').form.querySelector('input[name="csrf"]').value`)

	// Another client holding the session cookie: without the form's token, or from another origin,
	// a state change is refused.
	jar := &http.Cookie{Name: session.Name, Value: session.Value}
	post := func(form url.Values, origin string) (int, string) {
		t.Helper()
		req, err := http.NewRequest("POST", h.BaseURL+"/console/bin/empty", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		req.AddCookie(jar)
		client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		r, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		body, _ := io.ReadAll(r.Body)
		return r.StatusCode, string(body)
	}
	if status, body := post(url.Values{}, ""); status != http.StatusForbidden || !strings.Contains(body, `data-testid="csrf-refused"`) {
		t.Fatalf("POST /console/bin/empty with the cookie but no csrf: %d, want 403 csrf-refused", status)
	}
	if status, body := post(url.Values{"csrf": {csrf}}, "http://evil.example"); status != http.StatusForbidden || !strings.Contains(body, `data-testid="csrf-refused"`) {
		t.Fatalf("POST /console/bin/empty from another origin: %d, want 403 csrf-refused", status)
	}
	if n := len(binIDs(t, h)); n != 2 {
		t.Fatalf("after the refused posts the bin holds %d records, want 2", n)
	}
	b.wantPage(b.open("/console/jobs"), http.StatusOK, "/console/jobs", "jobs-table")

	// Signing out with the right token ends the session, for the browser and for the copied cookie.
	resp = b.click(tid("signout"))
	b.wantPage(resp, http.StatusOK, "/console/signout", "signed-out")
	b.shot("signed-out")
	b.wantPage(b.open("/console/jobs"), http.StatusUnauthorized, "/console/jobs", "signed-out")
	if n := b.count("jobs-table"); n != 0 {
		t.Fatal("the jobs page is shown after sign-out")
	}
	if status, body := post(url.Values{"csrf": {csrf}}, ""); status != http.StatusUnauthorized || !strings.Contains(body, `data-testid="signed-out"`) {
		t.Fatalf("POST with the signed-out session's cookie and token: %d, want 401 signed-out", status)
	}
	if n := len(binIDs(t, h)); n != 2 {
		t.Fatalf("the bin holds %d records, want 2", n)
	}
}
