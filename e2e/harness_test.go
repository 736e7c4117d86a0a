// Package e2e holds end-to-end tests: they build the real crmd binary once, run `crmd serve` as a
// subprocess on 127.0.0.1:0 with a fresh database, and talk to it over HTTP and through the other
// crmd commands, exactly as scripts and SDKs do. The database is internal/testdb's: a SQLite file by
// default, a fresh PostgreSQL schema with CRMD_TEST_STORE=postgres (and CRMD_TEST_POSTGRES).
//
// Reuse the harness in new test files of this package:
//
//	h := startServer(t)                     // fresh database; h.Token is the bootstrap admin token
//	h2 := startServer(t, "--db", h.DB)      // a second process on the same database
//	status, body, _ := h.Do("GET", "/crm/v8/Leads?fields=Last_Name", nil, h.Token)
//	out, err := h.CLI("seed", "--org", h.OrgID, "--count", "100")
//	h.Stop()                                // SIGTERM; fails the test unless crmd exits 0
package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/crmd/crmd/crmdtest"

	"github.com/crmd/crmd/internal/testdb"
)

// crmdBin is the binary TestMain builds.
var crmdBin string

// startTimeout bounds how long a server may take to print its listening line.
const startTimeout = 30 * time.Second

// stopTimeout bounds a graceful shutdown (crmd itself allows in-flight requests 30 s).
const stopTimeout = 40 * time.Second

// TestMain builds ./cmd/crmd once for every test of the package.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "crmd-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	crmdBin = filepath.Join(dir, "crmd")
	build := exec.Command("go", "build", "-o", crmdBin, "./cmd/crmd")
	build.Dir = ".." // the module root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building crmd: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Harness is one running `crmd serve` process and the database it serves.
type Harness struct {
	// BaseURL is the server's base URL, from its "crmd listening on" line.
	BaseURL string
	// Token is the bootstrap admin access token printed on first start ("" on later starts).
	Token string
	// RefreshToken is the bootstrap refresh token ("" on later starts).
	RefreshToken string
	// OrgID is the bootstrap org's id ("" on later starts).
	OrgID string
	// ClientID and ClientSecret are the bootstrap org's OAuth client ("" on later starts).
	ClientID, ClientSecret string
	// DB is the database: a SQLite file path or a PostgreSQL DSN, as `crmd --db` takes it.
	DB string
	// Bootstrap is everything the server printed to stdout before its listening line.
	Bootstrap string

	t      *testing.T
	cmd    *exec.Cmd
	stdout *lineBuffer
	stderr *crmdtest.LockedBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // the process's exit error, valid after done
	client *http.Client

	stopOnce sync.Once
}

var (
	listenRE  = regexp.MustCompile(`^crmd listening on (\S+)$`)
	tokenRE   = regexp.MustCompile(`^export TOKEN=(\S+)$`)
	orgRE     = regexp.MustCompile(`(?m)^\s*org id:\s+(\d+)\s*$`)
	refreshRE = regexp.MustCompile(`(?m)^\s*refresh token:\s+(\S+)\s*$`)
	clientRE  = regexp.MustCompile(`(?m)^\s*client id:\s+(\S+)\s*$`)
	secretRE  = regexp.MustCompile(`(?m)^\s*client secret:\s+(\S+)\s*$`)
)

// startServer runs `crmd serve --addr 127.0.0.1:0 --db <testdb.DSN(t)> [args…]`, waits for its
// listening line and returns the harness. Passing "--db", other.DB serves an existing database
// instead (and makes no new one). The server is stopped (and must exit 0) when the test ends, unless
// Stop or Kill ran already.
func startServer(t *testing.T, args ...string) *Harness {
	t.Helper()
	db := ""
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "--db" || args[i] == "-db" {
			db = args[i+1]
		}
	}
	if db == "" {
		db = testdb.DSN(t)
	}
	all := append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db}, args...)
	h := &Harness{
		DB: db, t: t,
		stdout: newLineBuffer(), stderr: &crmdtest.LockedBuffer{}, done: make(chan struct{}),
		// Every /crmd/v1 answer the tests receive is checked against the OpenAPI document.
		client: &http.Client{Timeout: 60 * time.Second, Transport: crmdtest.ValidatingTransport(t, nil)},
	}
	h.cmd = exec.Command(crmdBin, all...)
	h.cmd.Env = cleanEnv()
	h.cmd.Stdout = h.stdout
	h.cmd.Stderr = h.stderr
	if err := h.cmd.Start(); err != nil {
		t.Fatalf("start crmd: %v", err)
	}
	go func() {
		h.err = h.cmd.Wait()
		h.stdout.close()
		close(h.done)
	}()
	t.Cleanup(func() {
		h.Stop()
		if t.Failed() {
			t.Logf("crmd stdout:\n%s\ncrmd stderr (last 4 KiB):\n%s", h.stdout.String(), tail(h.stderr.String(), 4096))
		}
	})

	deadline := time.After(startTimeout)
	for i := 0; ; i++ {
		line, ok := h.stdout.line(i, deadline)
		if !ok {
			select {
			case <-h.done:
				t.Fatalf("crmd exited before listening: %v\nstdout:\n%s\nstderr:\n%s", h.err, h.stdout.String(), h.stderr.String())
			default:
				t.Fatalf("crmd did not print its listening line within %s\nstdout:\n%s\nstderr:\n%s", startTimeout, h.stdout.String(), h.stderr.String())
			}
		}
		if m := listenRE.FindStringSubmatch(line); m != nil {
			h.BaseURL = m[1]
			break
		}
		h.Bootstrap += line + "\n"
		if m := tokenRE.FindStringSubmatch(line); m != nil {
			h.Token = m[1]
		}
	}
	if m := orgRE.FindStringSubmatch(h.Bootstrap); m != nil {
		h.OrgID = m[1]
	}
	if m := refreshRE.FindStringSubmatch(h.Bootstrap); m != nil {
		h.RefreshToken = m[1]
	}
	if m := clientRE.FindStringSubmatch(h.Bootstrap); m != nil {
		h.ClientID = m[1]
	}
	if m := secretRE.FindStringSubmatch(h.Bootstrap); m != nil {
		h.ClientSecret = m[1]
	}
	return h
}

// cleanEnv is the test process's environment without any CRMD_ variable, so that a developer's
// settings cannot change what the tests see.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CRMD_") {
			env = append(env, kv)
		}
	}
	return env
}

// Stop sends SIGTERM and waits for the process to exit; the test fails unless it exits 0 in time.
// Calling it again does nothing.
func (h *Harness) Stop() {
	h.t.Helper()
	h.stopOnce.Do(func() {
		select {
		case <-h.done:
			h.t.Errorf("crmd had already exited: %v", h.err)
			return
		default:
		}
		if err := h.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			h.t.Errorf("SIGTERM: %v", err)
		}
		select {
		case <-h.done:
		case <-time.After(stopTimeout):
			h.cmd.Process.Kill()
			<-h.done
			h.t.Errorf("crmd did not exit within %s of SIGTERM", stopTimeout)
			return
		}
		if h.err != nil {
			h.t.Errorf("crmd exited with %v after SIGTERM, want status 0\nstderr (last 4 KiB):\n%s", h.err, tail(h.stderr.String(), 4096))
		}
	})
}

// Kill ends the process with SIGKILL, as a crash would: no batch finishes, no lease is handed back.
// It returns once the process has exited; the test's cleanup then has nothing to stop.
func (h *Harness) Kill() {
	h.t.Helper()
	if err := h.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		h.t.Fatalf("SIGKILL: %v", err)
	}
	<-h.done
	h.stopOnce.Do(func() {})
}

// Exited reports whether the server process has ended.
func (h *Harness) Exited() bool {
	select {
	case <-h.done:
		return true
	default:
		return false
	}
}

// Stderr returns what the server has logged so far (JSON lines).
func (h *Harness) Stderr() string { return h.stderr.String() }

// Stdout returns what the server has printed to stdout so far.
func (h *Harness) Stdout() string { return h.stdout.String() }

// Multipart is a request body sent as multipart/form-data, the way Zoho's SDKs post to the token
// endpoints.
type Multipart map[string]string

// Request sends one request and returns the response (its body already read and closed) and body.
// A body that is a string or []byte is sent as is, a Multipart as a form; any other non-nil body is
// sent as JSON. An empty token sends no Authorization header.
func (h *Harness) Request(method, path string, body any, token string) (*http.Response, []byte) {
	h.t.Helper()
	var rd io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	case Multipart:
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for k, v := range b {
			if err := mw.WriteField(k, v); err != nil {
				h.t.Fatalf("encode form: %v", err)
			}
		}
		if err := mw.Close(); err != nil {
			h.t.Fatalf("encode form: %v", err)
		}
		rd, contentType = &buf, mw.FormDataContentType()
	default:
		js, err := json.Marshal(b)
		if err != nil {
			h.t.Fatalf("encode body: %v", err)
		}
		rd = bytes.NewReader(js)
		contentType = "application/json"
	}
	req, err := http.NewRequest(method, h.BaseURL+path, rd)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Zoho-oauthtoken "+token)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp, raw
}

// Do sends one request (see Request) and returns the status, the body decoded when it is a JSON
// object (nil otherwise) and the raw body.
func (h *Harness) Do(method, path string, body any, token string) (int, map[string]any, []byte) {
	h.t.Helper()
	resp, raw := h.Request(method, path, body, token)
	var m map[string]any
	if len(bytes.TrimSpace(raw)) > 0 && bytes.TrimSpace(raw)[0] == '{' {
		if err := json.Unmarshal(raw, &m); err != nil {
			h.t.Fatalf("%s %s: invalid JSON body: %v: %s", method, path, err, raw)
		}
	}
	return resp.StatusCode, m, raw
}

// CLI runs another crmd command against the server's database (CRMD_DB) with the server's base URL
// (CRMD_BASE_URL), and returns its stdout. A non-zero exit is an error carrying the exit status
// (*exec.ExitError) and stderr.
func (h *Harness) CLI(args ...string) (string, error) {
	h.t.Helper()
	cmd := exec.Command(crmdBin, args...)
	cmd.Env = append(cleanEnv(), "CRMD_DB="+h.DB, "CRMD_BASE_URL="+h.BaseURL)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), &CLIError{Args: args, Err: err, Stderr: errb.String()}
	}
	return out.String(), nil
}

// CLIJSON runs a command that must succeed and decodes its one line of JSON.
func (h *Harness) CLIJSON(args ...string) map[string]any {
	h.t.Helper()
	out, err := h.CLI(args...)
	if err != nil {
		h.t.Fatal(err)
	}
	var m map[string]any
	if !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 {
		h.t.Fatalf("crmd %s: want one line of JSON, got %q", strings.Join(args, " "), out)
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		h.t.Fatalf("crmd %s: %v: %q", strings.Join(args, " "), err, out)
	}
	return m
}

// CLIError is a crmd command that failed.
type CLIError struct {
	Args   []string
	Err    error
	Stderr string
}

// Error renders the command, its failure and its stderr.
func (e *CLIError) Error() string {
	return fmt.Sprintf("crmd %s: %v\n%s", strings.Join(e.Args, " "), e.Err, e.Stderr)
}

// Unwrap returns the process error (an *exec.ExitError for a non-zero exit).
func (e *CLIError) Unwrap() error { return e.Err }

// ExitCode is the command's exit status (-1 if it did not exit normally).
func (e *CLIError) ExitCode() int {
	var ee *exec.ExitError
	if errors.As(e.Err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// lineBuffer collects a process's output and lets a reader wait for its n-th line.
type lineBuffer struct {
	mu      sync.Mutex
	all     bytes.Buffer
	lines   []string
	partial []byte
	closed  bool
	changed chan struct{} // closed and replaced on every new line or close
}

func newLineBuffer() *lineBuffer { return &lineBuffer{changed: make(chan struct{})} }

func (b *lineBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.all.Write(p)
	b.partial = append(b.partial, p...)
	added := false
	for {
		i := bytes.IndexByte(b.partial, '\n')
		if i < 0 {
			break
		}
		b.lines = append(b.lines, strings.TrimRight(string(b.partial[:i]), "\r"))
		b.partial = b.partial[i+1:]
		added = true
	}
	if added {
		close(b.changed)
		b.changed = make(chan struct{})
	}
	return len(p), nil
}

func (b *lineBuffer) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	close(b.changed)
	b.changed = make(chan struct{})
}

// line waits for line i (0-based); false when the output ended first or the deadline fired.
func (b *lineBuffer) line(i int, deadline <-chan time.Time) (string, bool) {
	for {
		b.mu.Lock()
		if i < len(b.lines) {
			l := b.lines[i]
			b.mu.Unlock()
			return l, true
		}
		if b.closed {
			b.mu.Unlock()
			return "", false
		}
		ch := b.changed
		b.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			return "", false
		}
	}
}

func (b *lineBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.all.String()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// eventually polls cond every few milliseconds until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		<-tick.C
	}
}
