package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmd/crmd/internal/testdb"
)

// tcpProxy forwards 127.0.0.1:<port> to a target address, and can cut every connection and refuse
// new ones for a while: to the server behind it, the database has become unreachable.
type tcpProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

func startProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *tcpProxy) Addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		if !down {
			p.conns[c] = true
		}
		p.mu.Unlock()
		if down {
			// Refused: the connection closes before the database's greeting.
			c.Close()
			continue
		}
		p.wg.Go(func() { p.forward(c) })
	}
}

func (p *tcpProxy) forward(c net.Conn) {
	u, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		p.drop(c)
		return
	}
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		u.Close()
		p.drop(c)
		return
	}
	p.conns[u] = true
	p.mu.Unlock()
	var both sync.WaitGroup
	both.Go(func() { io.Copy(u, c); u.Close() })
	both.Go(func() { io.Copy(c, u); c.Close() })
	both.Wait()
	p.drop(c)
	p.drop(u)
}

func (p *tcpProxy) drop(c net.Conn) {
	c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// cut closes every proxied connection and refuses new ones until restore.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
}

func (p *tcpProxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

// viaProxy rewrites a PostgreSQL DSN to connect through the proxy.
func viaProxy(t *testing.T, dsn, addr string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = addr
	return u.String()
}

// TestDatabaseOutage: crmd on PostgreSQL through a proxy that, while a slow cvid job runs, cuts every
// database connection and refuses new ones for 4 s. Every answer during the outage must be a
// Zoho-shaped JSON body (a 5xx one with a code), /readyz must say not ready during it and ready after,
// the job must stop advancing and then complete with exact counts soon after the database is back,
// and every acknowledged write must be in the database.
func TestDatabaseOutage(t *testing.T) {
	direct := testdb.PostgresDSN(t)
	u, _ := url.Parse(direct)
	proxy := startProxy(t, u.Host)
	// The default lease (30 s) on purpose: the job must resume when the database is back, not when
	// the lease it held through the outage runs out.
	h := startServer(t, "--db", viaProxy(t, direct, proxy.Addr()), "--job-batch-size", "10", "--job-batch-delay", "40ms")
	s := newMDScene(t, h, 2000)
	status, body := s.schedule(t, h)
	if status != http.StatusOK {
		t.Fatalf("schedule: %d %v", status, body)
	}
	job := jobIDOf(t, body)
	waitProgress(t, h, job)

	c := newAPIClient(h.BaseURL, h.Token, 30*time.Second)
	ctx, stop := context.WithCancel(context.Background())
	var (
		mu        sync.Mutex
		bad       []string
		counts    = map[string]int{}
		inserted  []string // Contacts acknowledged
		attempted []string
		outage    = false
	)
	note := func(what string, a answer, err error) {
		mu.Lock()
		defer mu.Unlock()
		phase := "up"
		if outage {
			phase = "down"
		}
		switch {
		case err != nil:
			if ctx.Err() == nil {
				bad = append(bad, fmt.Sprintf("%s (%s): no answer: %v", what, phase, err))
			}
			return
		case what == "readyz":
			counts[fmt.Sprintf("readyz %s %d", phase, a.status)]++
			if a.status != http.StatusOK && (a.status != http.StatusServiceUnavailable || a.body["database"] != "unreachable" || a.body["code"] != "DATABASE_UNREACHABLE") {
				bad = append(bad, fmt.Sprintf("readyz: %d %s", a.status, a.raw))
			}
			return
		case a.status >= 400 && !zohoShaped(a):
			bad = append(bad, fmt.Sprintf("%s (%s): %d %q: not Zoho's error object", what, phase, a.status, a.raw))
		case a.status >= 500 && a.body["code"] == nil:
			bad = append(bad, fmt.Sprintf("%s (%s): %d %s without a code", what, phase, a.status, a.raw))
		}
		code, _ := a.body["code"].(string)
		counts[fmt.Sprintf("%s %s %d %s", what, phase, a.status, code)]++
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for pause(ctx, 50*time.Millisecond) {
			a, err := c.do(ctx, "GET", "/crm/v8/Leads/actions/mass_delete?job_id="+job, nil)
			note("status", a, err)
		}
	})
	wg.Go(func() {
		for pause(ctx, 50*time.Millisecond) {
			a, err := c.do(ctx, "GET", "/crm/v8/Leads?fields=Last_Name&per_page=50", nil)
			note("list", a, err)
		}
	})
	wg.Go(func() {
		for i := 0; pause(ctx, 80*time.Millisecond); i++ {
			name := fmt.Sprintf("Outage%04d", i)
			mu.Lock()
			attempted = append(attempted, name)
			mu.Unlock()
			a, err := c.do(ctx, "POST", "/crm/v8/Contacts", map[string]any{"data": []any{map[string]any{"Last_Name": name}}})
			note("insert", a, err)
			if err == nil && a.status == http.StatusCreated {
				mu.Lock()
				inserted = append(inserted, name)
				mu.Unlock()
			}
		}
	})
	wg.Go(func() {
		for pause(ctx, 100*time.Millisecond) {
			a, err := c.do(ctx, "GET", "/readyz", nil)
			note("readyz", a, err)
		}
	})

	time.Sleep(500 * time.Millisecond)
	mu.Lock()
	outage = true
	mu.Unlock()
	before := traceJob(t, direct, h.OrgID, job).job.DeletedCount
	proxy.cut()
	cutAt := time.Now()
	time.Sleep(4 * time.Second)
	during := traceJob(t, direct, h.OrgID, job).job.DeletedCount
	proxy.restore()
	restoredAt := time.Now()
	mu.Lock()
	outage = false
	mu.Unlock()
	t.Logf("outage of %s: the job had deleted %d records when it began, %d when it ended", restoredAt.Sub(cutAt).Round(time.Millisecond), before, during)
	// One batch may have been committing as the connections were cut.
	if during > before+10 {
		t.Errorf("the job went from %d to %d deleted records while its database was unreachable", before, during)
	}
	// Well within the 30 s lease held since the last batch before the cut: only a runner that retries
	// its own job finishes it in time.
	var js jobStatus
	eventually(t, 15*time.Second, "the job to complete after the outage", func() bool {
		js = statusOf(t, h, "v8", job, h.Token)
		return js.Status == "COMPLETED"
	})
	t.Logf("the job completed %s after the database came back", time.Since(restoredAt).Round(time.Millisecond))
	time.Sleep(300 * time.Millisecond)
	stop()
	wg.Wait()
	if js.Total != len(s.selected) || js.Deleted != js.Total || js.Failed != 0 {
		t.Errorf("job %+v, want all %d deleted, none failed", js, len(s.selected))
	}
	t.Logf("answers: %v", counts)
	if len(bad) > 0 {
		t.Errorf("%d bad answers, first ones:\n%s", len(bad), strings.Join(bad[:min(len(bad), 20)], "\n"))
	}
	if counts["readyz down 503"] == 0 || counts["readyz up 200"] == 0 {
		t.Errorf("readyz: %v; want 503 during the outage and 200 outside it", counts)
	}
	if status, _, raw := h.Do("GET", "/readyz", nil, ""); status != http.StatusOK {
		t.Errorf("readyz after the outage: %d %s", status, raw)
	}
	h.Stop()
	checkDeletedOnce(t, direct, s, h.OrgID, job, jobTrace{deleted: map[string]int64{}})

	// Every acknowledged insert is there, once; an insert cut mid-way committed or did not, but never twice.
	st := openStore(t, direct)
	names := map[string]int{}
	rows, err := st.R.Query(`SELECT data->>'Last_Name' FROM records WHERE module_id = (SELECT id FROM modules WHERE api_name = 'Contacts')`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names[n]++
	}
	rows.Close()
	for _, n := range inserted {
		if names[n] != 1 {
			t.Errorf("acknowledged insert %s: %d rows", n, names[n])
		}
	}
	for n, k := range names {
		if k != 1 {
			t.Errorf("Contact %s: %d rows", n, k)
		}
	}
	t.Logf("%d inserts acknowledged of %d sent, %d in the database", len(inserted), len(attempted), len(names))
}
