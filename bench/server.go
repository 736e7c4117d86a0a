package bench

// The server under test, run as a subprocess, and the client that talks to it.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// benchServer is a running `crmd serve` subprocess.
type benchServer struct {
	cmd     *exec.Cmd
	baseURL string
	stderr  *tailBuffer
	done    chan error
}

// tailBuffer keeps the last 64 KiB written to it, and tallies the server's "slow write transaction"
// log lines by the code that ran the transaction (the "by" field), the longest of each.
type tailBuffer struct {
	mu      sync.Mutex
	b       []byte
	partial []byte
	slow    map[string]time.Duration
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 64<<10 {
		t.b = append(t.b[:0], t.b[len(t.b)-(64<<10):]...)
	}
	t.partial = append(t.partial, p...)
	for {
		i := bytes.IndexByte(t.partial, '\n')
		if i < 0 {
			break
		}
		line := t.partial[:i]
		t.partial = t.partial[i+1:]
		if !bytes.Contains(line, []byte(`"slow write transaction"`)) {
			continue
		}
		var l struct {
			MS int64  `json:"ms"`
			By string `json:"by"`
		}
		if json.Unmarshal(line, &l) == nil {
			if t.slow == nil {
				t.slow = map[string]time.Duration{}
			}
			t.slow[l.By] = max(t.slow[l.By], time.Duration(l.MS)*time.Millisecond)
		}
	}
	return len(p), nil
}

// slowTx returns and forgets the slow write transactions tallied so far: code → the longest.
func (t *tailBuffer) slowTx() map[string]time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := t.slow
	t.slow = nil
	return out
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// startBenchServer runs `bin serve` on db with default settings (no CRMD_ variables reach it) and
// waits for its listening line.
func startBenchServer(ctx context.Context, bin, db string) (*benchServer, error) {
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", db, "--no-bootstrap")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CRMD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	s := &benchServer{cmd: cmd, stderr: &tailBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = s.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: starting the server %s: %w", bin, err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sent := false
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "crmd listening on "); ok && !sent {
				urls <- strings.TrimSpace(u)
				sent = true
			}
		}
		s.done <- cmd.Wait()
		close(s.done)
	}()
	select {
	case s.baseURL = <-urls:
		return s, nil
	case err := <-s.done:
		return nil, fmt.Errorf("bench: the server exited before listening (%v):\n%s", err, s.stderr)
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		return nil, fmt.Errorf("bench: the server printed no listening line in 60 s:\n%s", s.stderr)
	case <-ctx.Done():
		cmd.Process.Kill()
		return nil, ctx.Err()
	}
}

// stop sends SIGTERM and waits for the server to exit.
func (s *benchServer) stop() error {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			return fmt.Errorf("bench: the server exited with %v:\n%s", err, s.stderr)
		}
		return nil
	case <-time.After(60 * time.Second):
		s.cmd.Process.Kill()
		return fmt.Errorf("bench: the server did not stop within 60 s of SIGTERM")
	}
}

// peakRSS reads the process's peak resident set (VmHWM) in KiB; -1 when /proc does not tell.
func peakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}

// loadAvg is the 1-, 5- and 15-minute load average, or "?".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// benchClient talks to the server with the bench's token.
type benchClient struct {
	base  string
	token string
	http  *http.Client
}

// do sends one request and decodes the JSON answer (nil for an empty body).
func (c *benchClient) do(ctx context.Context, method, path string, body any) (int, map[string]any, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Zoho-oauthtoken "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, err
	}
	var out map[string]any
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			return resp.StatusCode, nil, fmt.Errorf("%s %s: %d, not JSON: %.200s", method, path, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, out, nil
}
