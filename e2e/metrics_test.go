package e2e

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rawRequest sends one HTTP/1.1 request line (any method, any path) with the given extra header and
// reads the status line of the answer. net/http's client refuses some of what a hostile client sends,
// so the request is written by hand.
func rawRequest(t *testing.T, addr, method, path, header string) int {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: crmd\r\n%sConnection: close\r\n\r\n", method, path, header); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%.20s %.60s: %v", method, path, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// rssKiB reads a process's resident set size from /proc.
func rssKiB(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// metricsSeries counts the sample lines of the server's /metrics and returns the body's size.
func metricsSeries(t *testing.T, h *Harness) (series, size int) {
	t.Helper()
	resp, body := h.Request("GET", "/metrics", nil, "")
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics = %d", resp.StatusCode)
	}
	for _, l := range strings.Split(string(body), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			series++
		}
	}
	return series, len(body)
}

// TestHostileRequestsDoNotGrowTheServer sends the real binary what an unauthenticated client can: 150
// requests whose method is 500 KB of letters, and thousands with made-up methods, random paths and
// headers. /metrics must keep the same series (only counter values change) and the server's memory
// must stay bounded — each such method used to become a label kept for ever (68 → 198 MB, and a
// 1.28 GB /metrics answer).
func TestHostileRequestsDoNotGrowTheServer(t *testing.T) {
	h := startServer(t)
	u, err := url.Parse(h.BaseURL)
	if err != nil {
		t.Fatal(err)
	}
	addr := u.Host
	pid := h.cmd.Process.Pid
	// Warm-up: the series a hostile request can touch (unknown path, known path with a made-up method,
	// a token-less CRM call) exist before the measurement.
	rawRequest(t, addr, "BREW", "/healthz", "")
	rawRequest(t, addr, "GET", "/nothing/here", "")
	rawRequest(t, addr, "GET", "/crm/v8/Leads", "")
	rawRequest(t, addr, "XYZ", "/crm/v8/Leads", "")
	metricsSeries(t, h) // its own series ("GET /metrics") is counted after it answers
	seriesBefore, sizeBefore := metricsSeries(t, h)
	rssBefore := rssKiB(t, pid)

	huge := strings.Repeat("X", 500<<10)
	for i := 0; i < 150; i++ {
		rawRequest(t, addr, huge+strconv.Itoa(i), "/healthz", "")
	}
	rng := rand.New(rand.NewPCG(3, 5))
	for i := 0; i < 2000; i++ {
		method := fmt.Sprintf("M%08dSECRETDATA", rng.IntN(1e8))
		path := "/healthz"
		switch rng.IntN(3) {
		case 0:
			path = fmt.Sprintf("/x%d/%d", rng.IntN(1e9), i)
		case 1:
			path = "/crm/v8/Leads"
		}
		rawRequest(t, addr, method, path, fmt.Sprintf("X-Junk-%d: %d\r\n", rng.IntN(1e6), rng.IntN(1e9)))
	}
	seriesAfter, sizeAfter := metricsSeries(t, h)
	rssAfter := rssKiB(t, pid)
	t.Logf("/metrics: %d series, %d bytes before; %d series, %d bytes after. RSS %d → %d KiB",
		seriesBefore, sizeBefore, seriesAfter, sizeAfter, rssBefore, rssAfter)
	if seriesAfter != seriesBefore {
		t.Errorf("/metrics went from %d to %d series", seriesBefore, seriesAfter)
	}
	if sizeAfter > sizeBefore+sizeBefore/10 {
		t.Errorf("/metrics grew from %d to %d bytes", sizeBefore, sizeAfter)
	}
	// 150 × 500 KB would be 73 MiB kept as labels; a request's transient buffers are reused or collected.
	if grow := rssAfter - rssBefore; grow > 48<<10 {
		t.Errorf("the server's RSS grew by %d MiB under hostile requests", grow>>10)
	}
	if strings.Contains(h.Stderr(), "SECRETDATA") || strings.Contains(h.Stderr(), huge[:1024]) {
		t.Error("a request's method reached the server's log")
	}
}
