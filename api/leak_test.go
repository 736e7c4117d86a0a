package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmd/crmd/api"
	"github.com/crmd/crmd/app"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/internal/testdb"
	"github.com/crmd/crmd/massdelete"
	"github.com/crmd/crmd/store"
	"go.uber.org/goleak"
)

// TestNoGoroutineLeakUnderLoad runs everything `crmd serve` runs — the API, the mass delete runner and
// the recycle bin purger — in process, puts it under a mixed concurrent load that includes requests the
// client abandons mid-way and connections dropped half-way through a body, shuts it all down as serve
// does, and then requires, with goleak, that not one goroutine the test started is left: a handler,
// transaction, row cursor or timer that outlives its request would show here.
func TestNoGoroutineLeakUnderLoad(t *testing.T) {
	dsn := testdb.DSN(t)
	// Goroutines that exist already (other tests' leftovers, the test schema's pool) are not ours.
	ignore := goleak.IgnoreCurrent()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	o := crmdtest.NewOrg(t, st, store.NewOrg{Name: "Acme", AdminEmail: "admin@acme.test", AdminLast: "Admin"})
	token := o.Token(t, o.Admin, "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.mass_delete.ALL")
	quiet := slog.New(slog.DiscardHandler)
	a := newApp(t, st, api.Config{MaxBodyBytes: 1 << 20}, quiet, func(c *app.Config) {
		c.Runner = massdelete.RunnerConfig{BatchSize: 20, Poll: 50 * time.Millisecond}
		c.RecycleRetention = time.Hour
	})
	runCtx, stopBackground := context.WithCancel(ctx)
	var background sync.WaitGroup
	background.Go(func() { a.Run(runCtx) })
	ts := httptest.NewServer(a.Handler)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}, Timeout: 30 * time.Second}
	call := func(ctx context.Context, method, path string, body any) (int, map[string]any, error) {
		var rd io.Reader
		if body != nil {
			js, _ := json.Marshal(body)
			rd = bytes.NewReader(js)
		}
		req, _ := http.NewRequestWithContext(ctx, method, ts.URL+path, rd)
		req.Header.Set("Authorization", "Zoho-oauthtoken "+token)
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m, nil
	}
	ids := func(m map[string]any) []string {
		var out []string
		items, _ := m["data"].([]any)
		for _, it := range items {
			if d, ok := it.(map[string]any)["details"].(map[string]any); ok {
				if id, ok := d["id"].(string); ok {
					out = append(out, id)
				}
			}
		}
		return out
	}

	dur := 3 * time.Second
	if testing.Short() {
		dur = time.Second
	}
	loadCtx, stopLoad := context.WithTimeout(ctx, dur)
	defer stopLoad()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		live    []string
		bad     []string
		calls   atomic.Int64
		seq     atomic.Int64
		jobsRun atomic.Int64
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(bad) < 10 {
			bad = append(bad, fmt.Sprintf(format, args...))
		}
	}
	for w := 0; w < 12; w++ {
		rng := rand.New(rand.NewPCG(uint64(w), 7))
		wg.Go(func() {
			for loadCtx.Err() == nil {
				calls.Add(1)
				switch op := w % 6; op {
				case 0: // insert
					var data []any
					for i := 0; i < 5; i++ {
						data = append(data, map[string]any{"Last_Name": fmt.Sprintf("L%d", seq.Add(1)), "Company": "load"})
					}
					status, m, err := call(loadCtx, "POST", "/crm/v8/Leads", map[string]any{"data": data})
					if err == nil && status != http.StatusCreated {
						fail("insert: %d %v", status, m)
					}
					mu.Lock()
					live = append(live, ids(m)...)
					mu.Unlock()
				case 1: // list and read, sometimes abandoned by the client after a millisecond
					c, cancel := loadCtx, context.CancelFunc(func() {})
					if rng.IntN(3) == 0 {
						c, cancel = context.WithTimeout(loadCtx, time.Millisecond)
					}
					status, m, err := call(c, "GET", "/crm/v8/Leads?fields=Last_Name,Company&per_page=100", nil)
					cancel()
					if err == nil && status != http.StatusOK && status != http.StatusNoContent {
						fail("list: %d %v", status, m)
					}
				case 2: // delete by ids
					mu.Lock()
					n := min(len(live), 1+rng.IntN(10))
					batch := append([]string(nil), live[:n]...)
					live = live[n:]
					mu.Unlock()
					if n == 0 {
						time.Sleep(5 * time.Millisecond)
						continue
					}
					status, m, err := call(loadCtx, "POST", "/crm/v8/Leads/actions/mass_delete", map[string]any{"ids": batch})
					if err == nil && status != http.StatusOK {
						fail("delete ids: %d %v", status, m)
					}
				case 3: // a cvid job on a fresh view, and its status
					company := fmt.Sprintf("job-%d", seq.Add(1))
					var data []any
					for i := 0; i < 30; i++ {
						data = append(data, map[string]any{"Last_Name": "J", "Company": company})
					}
					if status, m, err := call(loadCtx, "POST", "/crm/v8/Leads", map[string]any{"data": data}); err != nil || status != http.StatusCreated {
						if err == nil {
							fail("insert for a job: %d %v", status, m)
						}
						continue
					}
					status, m, err := call(loadCtx, "POST", "/crm/v8/settings/custom_views?module=Leads", map[string]any{"custom_views": []any{map[string]any{
						"name": "V " + company, "criteria": map[string]any{"field": map[string]any{"api_name": "Company"}, "comparator": "equal", "value": company}}}})
					if err != nil || status != http.StatusCreated {
						if err == nil {
							fail("view: %d %v", status, m)
						}
						continue
					}
					cvid := m["custom_views"].([]any)[0].(map[string]any)["details"].(map[string]any)["id"].(string)
					status, m, err = call(loadCtx, "POST", "/crm/v8/Leads/actions/mass_delete", map[string]any{"cvid": cvid})
					switch {
					case err != nil:
					case status == http.StatusOK:
						jobsRun.Add(1)
						job := m["data"].([]any)[0].(map[string]any)["details"].(map[string]any)["job_id"].(string)
						if status, m, err := call(loadCtx, "GET", "/crm/v8/Leads/actions/mass_delete?job_id="+job, nil); err == nil && status != http.StatusOK {
							fail("status: %d %v", status, m)
						}
					case status == http.StatusBadRequest && m["code"] == "ALREADY_SCHEDULED":
					default:
						fail("cvid: %d %v", status, m)
					}
				case 4: // the recycle bin
					status, m, err := call(loadCtx, "GET", "/crm/v8/settings/recycle_bin?per_page=20", nil)
					if err == nil && status != http.StatusOK && status != http.StatusNoContent {
						fail("bin: %d %v", status, m)
					}
				case 5: // a client that sends half a body and hangs up
					conn, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
					if err != nil {
						fail("dial: %v", err)
						continue
					}
					fmt.Fprintf(conn, "POST /crm/v8/Leads HTTP/1.1\r\nHost: x\r\nAuthorization: Zoho-oauthtoken %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"data\":[", token)
					time.Sleep(time.Duration(rng.IntN(5)) * time.Millisecond)
					conn.Close()
				}
			}
		})
	}
	wg.Wait()

	// Shut down as serve does: the HTTP server drains, the background work stops, the store closes.
	ts.Close()
	stopBackground()
	background.Wait()
	client.CloseIdleConnections()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Errorf("unexpected answers:\n%s", strings.Join(bad, "\n"))
	}
	t.Logf("%d calls, %d cvid jobs scheduled", calls.Load(), jobsRun.Load())
	goleak.VerifyNone(t, ignore)
}
