package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// watchedBuffer is a concurrency-safe buffer that signals every write.
type watchedBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	wrote chan struct{}
}

func newWatchedBuffer() *watchedBuffer { return &watchedBuffer{wrote: make(chan struct{}, 1)} }

func (w *watchedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case w.wrote <- struct{}{}:
	default:
	}
	return w.b.Write(p)
}

func (w *watchedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

var listeningRE = regexp.MustCompile(`(?m)^crmd listening on (\S+)$`)

// waitListening waits until the server printed its listening line and returns the base URL.
func (w *watchedBuffer) waitListening(t *testing.T, errc <-chan error) string {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		if m := listeningRE.FindStringSubmatch(w.String()); m != nil {
			return m[1]
		}
		select {
		case <-w.wrote:
		case err := <-errc:
			t.Fatalf("serve returned before listening: %v\n%s", err, w.String())
		case <-timeout:
			t.Fatalf("no listening line:\n%s", w.String())
		}
	}
}

// serveInProcess runs `crmd serve` through Main.Run until the returned stop function is called, which
// cancels the context and checks that Run returned nil.
func serveInProcess(t *testing.T, db string, args ...string) (baseURL string, stdout *watchedBuffer, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout = newWatchedBuffer()
	stderr := &watchedBuffer{wrote: make(chan struct{}, 1)}
	m := &Main{Stdout: stdout, Stderr: stderr, Getenv: func(string) string { return "" }}
	errc := make(chan error, 1)
	go func() {
		errc <- m.Run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db}, args...))
	}()
	baseURL = stdout.waitListening(t, errc)
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-errc:
				if err != nil {
					t.Errorf("serve returned %v after cancel", err)
				}
			case <-time.After(40 * time.Second):
				t.Error("serve did not return after cancel")
			}
			if !strings.Contains(stderr.String(), `"msg":"stopped"`) {
				t.Errorf("no stop in the log:\n%s", stderr.String())
			}
		})
	}
	t.Cleanup(stop)
	return baseURL, stdout, stop
}

func TestServeInProcess(t *testing.T) {
	db := filepath.Join(t.TempDir(), "crmd.db")
	base, out, stop := serveInProcess(t, db)
	m := regexp.MustCompile(`(?m)^export TOKEN=(\S+)\ncurl -H "Authorization: Zoho-oauthtoken \$TOKEN" ` + regexp.QuoteMeta(base) + `/crm/v8/org$`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no export and curl lines in:\n%s", out.String())
	}
	token := m[1]
	resp, err := http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	req, _ := http.NewRequest("GET", base+"/crm/v8/org", nil)
	req.Header.Set("Authorization", "Zoho-oauthtoken "+token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /org: %v %v", resp, err)
	}
	var org map[string]any
	json.NewDecoder(resp.Body).Decode(&org)
	resp.Body.Close()
	stop()

	// A second start on the same database prints no token.
	_, out2, stop2 := serveInProcess(t, db, "--base-url", "http://crmd.test:1234/")
	if strings.Contains(out2.String(), "Zoho-oauthtoken") || !strings.HasPrefix(out2.String(), "crmd listening on http://crmd.test:1234\n") {
		t.Errorf("second start printed:\n%s", out2.String())
	}
	stop2()
}

func TestServeNoBootstrapAndBadAddr(t *testing.T) {
	db := filepath.Join(t.TempDir(), "crmd.db")
	_, out, stop := serveInProcess(t, db, "--no-bootstrap")
	if strings.Contains(out.String(), "Zoho-oauthtoken") {
		t.Errorf("--no-bootstrap printed a token:\n%s", out.String())
	}
	stop()
	c := &cli{t: t, db: db, env: map[string]string{}}
	if _, _, err := c.run("serve", "--db", db, "--addr", "not-an-address"); err == nil {
		t.Error("serve took a bad --addr")
	}
}
