package bench

// "No request holds the database hostage": while one org's long work runs — a view on a field never
// indexed, created and first used; a view of 200 `contains` leaves, listed and mass-deleted;
// restore_all_records of 50,000 records — another org's clients insert single records, through the
// same server and through a second `crmd serve` on the same database, and the bench reports their
// latency and errors beside the longest write transaction the servers saw (crmd_db_write_tx_seconds).

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/crmd/crmd/store"
)

// hostagePhase is one scenario's measurement.
type hostagePhase struct {
	name    string
	call    string                   // what the scenario's own calls answered, and how long they took
	writes  []time.Duration          // the other org's inserts that ended during the phase
	errors  int                      // of which failed (transport error or not 201)
	fivexx  int                      // of which answered 5xx
	longest string                   // the longest write transaction during the phase (an upper bound)
	slow    map[string]time.Duration // the servers' slow write transactions (≥ 100 ms) by code
	failed  []string                 // the first few failed inserts' answers
}

// hostageResult is the whole scenario run.
type hostageResult struct {
	leads   int
	engine  string
	phases  []hostagePhase
	longest time.Duration // the longest write transaction of the run, of either server
}

// hostageWriter is the other org's clients: each inserts one record at a time, without pause, through
// its server.
type hostageWriter struct {
	mu     sync.Mutex
	maxBy  []time.Duration // the longest insert through each server since the last take
	writes []time.Duration
	bad    []int    // status of each failed insert (0: transport error)
	why    []string // the first answers of failed inserts
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func startHostageWriters(ctx context.Context, clients []*benchClient) *hostageWriter {
	wctx, cancel := context.WithCancel(ctx)
	w := &hostageWriter{cancel: cancel, maxBy: make([]time.Duration, len(clients))}
	for i, c := range clients {
		w.wg.Go(func() {
			for n := 0; wctx.Err() == nil; n++ {
				start := time.Now()
				status, body, err := c.do(wctx, "POST", "/crm/v8/Leads", map[string]any{"data": []any{map[string]any{
					"Last_Name": fmt.Sprintf("Other %d-%d", i, n), "Company": "Other Org"}}})
				d := time.Since(start)
				if wctx.Err() != nil {
					return
				}
				w.mu.Lock()
				if err != nil || status != http.StatusCreated {
					if err != nil {
						status = 0
					}
					w.bad = append(w.bad, status)
					if len(w.why) < 3 {
						w.why = append(w.why, fmt.Sprintf("%d %v %v", status, body, err))
					}
				} else {
					w.writes = append(w.writes, d)
					w.maxBy[i] = max(w.maxBy[i], d)
				}
				w.mu.Unlock()
			}
		})
	}
	return w
}

// take returns and forgets what the writers measured since the last take.
func (w *hostageWriter) take() ([]time.Duration, []int, []string, []time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	ws, bad, why, by := w.writes, w.bad, w.why, w.maxBy
	w.writes, w.bad, w.why, w.maxBy = nil, nil, nil, make([]time.Duration, len(by))
	return ws, bad, why, by
}

func (w *hostageWriter) stop() { w.cancel(); w.wg.Wait() }

// txMetrics reads, from a server's /metrics, the cumulative bucket counts of crmd_db_write_tx_seconds
// (by upper bound, +Inf included) and crmd_db_write_tx_max_seconds.
func txMetrics(ctx context.Context, base string) (map[float64]float64, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/metrics", nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	buckets := map[float64]float64{}
	longest := time.Duration(-1)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "crmd_db_write_tx_max_seconds "); ok {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				longest = time.Duration(f * float64(time.Second))
			}
			continue
		}
		rest, ok := strings.CutPrefix(line, `crmd_db_write_tx_seconds_bucket{le="`)
		if !ok {
			continue
		}
		le, val, ok := strings.Cut(rest, `"} `)
		if !ok {
			continue
		}
		b, err1 := strconv.ParseFloat(le, 64) // "+Inf" parses as +Inf
		v, err2 := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err1 == nil && err2 == nil {
			buckets[b] = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, 0, err
	}
	if longest < 0 {
		return nil, 0, fmt.Errorf("bench: %s/metrics has no crmd_db_write_tx_max_seconds (a server older than this bench?)", base)
	}
	return buckets, longest, nil
}

// longestBetween says, from two readings of the servers' histograms, how long the longest write
// transaction between them held: "≤ X", X the smallest bucket bound holding every transaction of the
// interval; "none" when there was none.
func longestBetween(before, after []map[float64]float64) string {
	count := func(b float64) float64 {
		n := 0.0
		for i := range after {
			n += after[i][b] - before[i][b]
		}
		return n
	}
	total := count(math.Inf(1))
	if total == 0 {
		return "none"
	}
	var bounds []float64
	for b := range after[0] {
		bounds = append(bounds, b)
	}
	sort.Float64s(bounds)
	for _, b := range bounds {
		if !math.IsInf(b, 1) && count(b) == total {
			return "≤ " + fmtMS(time.Duration(b*float64(time.Second)))
		}
	}
	return "> " + fmtMS(time.Duration(bounds[len(bounds)-2]*float64(time.Second)))
}

// wideCriteria is a view within every criteria limit that costs the most to evaluate: 8 OR groups of 25
// `contains` leaves on Description, none of which matches (so every record is read to the end).
func wideCriteria(r *rand.Rand) map[string]any {
	var groups []any
	for g := 0; g < 8; g++ {
		var leaves []any
		for l := 0; l < 25; l++ {
			leaves = append(leaves, map[string]any{"field": map[string]any{"api_name": "Description"}, "comparator": "contains",
				"value": fmt.Sprintf("zq%dx%dv%d", g, l, r.IntN(1000))})
		}
		groups = append(groups, map[string]any{"group_operator": "OR", "group": leaves})
	}
	return map[string]any{"group_operator": "OR", "group": groups}
}

// createView makes a view of the bench org and returns its id.
func createView(ctx context.Context, c *benchClient, name string, crit map[string]any) (string, error) {
	status, body, err := c.do(ctx, "POST", "/crm/v8/settings/custom_views?module=Leads",
		map[string]any{"custom_views": []any{map[string]any{"name": name, "criteria": crit}}})
	if err != nil {
		return "", err
	}
	if cvs, _ := body["custom_views"].([]any); status == http.StatusCreated && len(cvs) == 1 {
		if d, _ := cvs[0].(map[string]any)["details"].(map[string]any); d != nil {
			if id, _ := d["id"].(string); id != "" {
				return id, nil
			}
		}
	}
	return "", fmt.Errorf("bench: creating view %q: HTTP %d %v", name, status, body)
}

// answerOf is a call's answer for the table: the status, and the code of an error.
func answerOf(status int, body map[string]any) string {
	if code, _ := body["code"].(string); code != "" {
		return fmt.Sprintf("%d %s", status, code)
	}
	if data, _ := body["data"].([]any); len(data) == 1 {
		if e, _ := data[0].(map[string]any); e != nil {
			if code, _ := e["code"].(string); code != "" && code != "SUCCESS" {
				return fmt.Sprintf("%d %s", status, code)
			}
		}
	}
	return strconv.Itoa(status)
}

// waitUntil polls cond every `every` for up to limit.
func waitUntil(ctx context.Context, limit, every time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(limit)
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: still waiting after %s", limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(every):
		}
	}
}

// binCount reads the org's recycle bin count.
func binCount(ctx context.Context, c *benchClient) (int, error) {
	status, body, err := c.do(ctx, "GET", "/crm/v8/settings/recycle_bin/actions/count", nil)
	if err != nil {
		return 0, err
	}
	if status != http.StatusOK {
		return 0, fmt.Errorf("bench: bin count: HTTP %d %v", status, body)
	}
	return jsonInt(body["count"]), nil
}

// waitJob waits, polling its status every benchPoll (the resolution of the jobs' durations), for a
// mass delete job to end, and returns its status object; a status call that fails is an error.
func waitJob(ctx context.Context, c *benchClient, jobID string) (map[string]any, error) {
	var js map[string]any
	err := waitUntil(ctx, 10*time.Minute, benchPoll, func() (bool, error) {
		status, body, err := c.do(ctx, "GET", "/crm/v8/Leads/actions/mass_delete?job_id="+jobID, nil)
		if err != nil {
			return false, err
		}
		js = nil
		if data, _ := body["data"].([]any); status == http.StatusOK && len(data) == 1 {
			js, _ = data[0].(map[string]any)
		}
		if js == nil {
			return false, fmt.Errorf("bench: job %s status: HTTP %d %v", jobID, status, body)
		}
		return js["Status"] != "RUNNING" && js["Status"] != "SCHEDULED", nil
	})
	return js, err
}

// rangeCriteria selects the Leads of a planned job: its Created_Time range [from, to).
func rangeCriteria(job benchJob) map[string]any {
	return map[string]any{"group_operator": "AND", "group": []any{
		map[string]any{"field": map[string]any{"api_name": "Created_Time"}, "comparator": "greater_equal", "value": job.from.Format(time.RFC3339)},
		map[string]any{"field": map[string]any{"api_name": "Created_Time"}, "comparator": "less_than", "value": job.to.Format(time.RFC3339)},
	}}
}

// jobIDOf is the job id of a scheduled mass delete's answer.
func jobIDOf(body map[string]any) string {
	if data, _ := body["data"].([]any); len(data) == 1 {
		if d, _ := data[0].(map[string]any)["details"].(map[string]any); d != nil {
			id, _ := d["job_id"].(string)
			return id
		}
	}
	return ""
}

// hostageRun runs the scenarios on the org's database with two servers of bin on it.
func (m *runner) hostageRun(ctx context.Context, bin string, o *benchOrg) (*hostageResult, error) {
	st, err := store.Open(ctx, o.db)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var servers []*benchServer
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	for range 2 {
		s, err := startBenchServer(ctx, bin, o.db)
		if err != nil {
			return nil, err
		}
		servers = append(servers, s)
	}
	hc := &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 8, DisableCompression: true}}
	c := &benchClient{base: servers[0].baseURL, token: o.token, http: hc}
	var others []*benchClient
	for _, s := range servers {
		others = append(others, &benchClient{base: s.baseURL, token: o.otherToken, http: hc})
	}
	readTx := func() []map[float64]float64 {
		var out []map[float64]float64
		for _, s := range servers {
			b, _, err := txMetrics(ctx, s.baseURL)
			if err != nil {
				b = map[float64]float64{}
			}
			out = append(out, b)
		}
		return out
	}
	res := &hostageResult{leads: o.leads, engine: o.engine}
	w := startHostageWriters(ctx, others)
	defer w.stop()
	phase := func(name string, run func() (string, error)) error {
		w.take()
		for _, s := range servers {
			s.stderr.slowTx()
		}
		before := readTx()
		call, err := run()
		if err != nil {
			return err
		}
		ws, bad, why, maxBy := w.take()
		p := hostagePhase{name: name, call: call, writes: ws, errors: len(bad), longest: longestBetween(before, readTx()), failed: why,
			slow: map[string]time.Duration{}}
		for _, s := range servers {
			for by, d := range s.stderr.slowTx() {
				p.slow[by] = max(p.slow[by], d)
			}
		}
		for _, s := range bad {
			if s >= 500 {
				p.fivexx++
			}
		}
		res.phases = append(res.phases, p)
		fmt.Fprintf(m.log, "crmd bench: %s: %s; other org's inserts p50 %s p99 %s, longest through this server %s and through the second %s, %d failed\n", name, call,
			fmtMS(percentile(ws, 0.5)), fmtMS(percentile(ws, 0.99)), fmtMS(maxBy[0]), fmtMS(maxBy[1]), len(bad))
		return nil
	}
	r := rand.New(rand.NewPCG(o.seed, 99))

	if err := phase("idle: no other work", func() (string, error) { time.Sleep(benchIdleLoad); return "—", nil }); err != nil {
		return nil, err
	}
	// (a) A view on Lead_Source, which no view read before: created, listed at once, and its index built.
	if err := phase("(a) a view on a field never indexed: create, first list, index built", func() (string, error) {
		start := time.Now()
		cvid, err := createView(ctx, c, "bench Lead_Source", map[string]any{"field": map[string]any{"api_name": "Lead_Source"}, "comparator": "equal", "value": "Web Download"})
		if err != nil {
			return "", err
		}
		created := time.Since(start)
		start = time.Now()
		status, body, err := c.do(ctx, "GET", "/crm/v8/Leads?fields=Last_Name&per_page=200&cvid="+cvid, nil)
		if err != nil {
			return "", err
		}
		listed := time.Since(start)
		start = time.Now()
		if err := waitIndexes(ctx, st, o, 15*time.Minute, 200*time.Millisecond); err != nil {
			return "", err
		}
		return fmt.Sprintf("create %s, first list %s (%s), index ready %s later", fmtMS(created), fmtMS(listed), answerOf(status, body), fmtMS(time.Since(start))), nil
	}); err != nil {
		return nil, err
	}
	// (b) The widest view: listed, then mass-deleted.
	wide, err := createView(ctx, c, "bench wide", wideCriteria(r))
	if err != nil {
		return nil, err
	}
	if err := phase("(b) the wide view (8 × 25 contains on Description): list", func() (string, error) {
		start := time.Now()
		status, body, err := c.do(ctx, "GET", "/crm/v8/Leads?fields=Last_Name&per_page=200&cvid="+wide, nil)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s in %s", answerOf(status, body), fmtMS(time.Since(start))), nil
	}); err != nil {
		return nil, err
	}
	if err := phase("(b) the wide view: mass delete", func() (string, error) {
		start := time.Now()
		status, body, err := c.do(ctx, "POST", "/crm/v8/Leads/actions/mass_delete", map[string]any{"cvid": wide})
		if err != nil {
			return "", err
		}
		out := fmt.Sprintf("%s in %s", answerOf(status, body), fmtMS(time.Since(start)))
		if id := jobIDOf(body); status == http.StatusOK && id != "" {
			js, err := waitJob(ctx, c, id)
			if err != nil {
				return "", err
			}
			out += fmt.Sprintf(", job %v", js["Status"])
		}
		return out, nil
	}); err != nil {
		return nil, err
	}
	// (c) restore_all_records of exactly the reserved range's records: the bin is empty (the scenarios
	// run before the bench's jobs), the range is mass-deleted, then restored.
	if n, err := binCount(ctx, c); err != nil || n != 0 {
		return nil, fmt.Errorf("bench: the recycle bin holds %d records before the restore scenario (%v); want none", n, err)
	}
	cvid, err := createView(ctx, c, "bench restore range", rangeCriteria(o.reserved))
	if err != nil {
		return nil, err
	}
	status, body, err := c.do(ctx, "POST", "/crm/v8/Leads/actions/mass_delete", map[string]any{"cvid": cvid})
	if err != nil || status != http.StatusOK {
		return nil, fmt.Errorf("bench: deleting the range to restore: HTTP %d %v %v", status, body, err)
	}
	if _, err := waitJob(ctx, c, jobIDOf(body)); err != nil {
		return nil, err
	}
	inBin, err := binCount(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := phase(fmt.Sprintf("(c) restore_all_records of %d", inBin), func() (string, error) {
		start := time.Now()
		status, body, err := c.do(ctx, "POST", "/crm/v8/settings/recycle_bin/actions/restore", map[string]any{"restore_all_records": true})
		if err != nil {
			return "", err
		}
		accepted := time.Since(start)
		if err := waitUntil(ctx, 15*time.Minute, 200*time.Millisecond, func() (bool, error) { n, err := binCount(ctx, c); return n == 0, err }); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s in %s, all restored %s later", answerOf(status, body), fmtMS(accepted), fmtMS(time.Since(start)-accepted)), nil
	}); err != nil {
		return nil, err
	}
	for _, s := range servers {
		_, d, err := txMetrics(ctx, s.baseURL)
		if err != nil {
			return nil, err
		}
		res.longest = max(res.longest, d)
	}
	return res, nil
}

// printHostage prints the scenarios' table.
func printHostage(w io.Writer, r *hostageResult) {
	fmt.Fprintf(w, "\nNo request holds the database hostage: %d Leads, %s; another org inserts single records, without pause, through\nthis server and through a second crmd serve on the same database (target: p99 ≤ 150 ms, no 5xx; no write transaction over ~100 ms)\n\n", r.leads, r.engine)
	fmt.Fprintln(w, "| Scenario | Its calls | Other org's inserts p50 / p99 / max (n) | Failed (5xx) | Longest write transaction |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, p := range r.phases {
		mx := time.Duration(0)
		for _, d := range p.writes {
			mx = max(mx, d)
		}
		fmt.Fprintf(w, "| %s | %s | %s / %s / %s (%d) | %d (%d) | %s |\n", p.name, p.call,
			fmtMS(percentile(p.writes, 0.5)), fmtMS(percentile(p.writes, 0.99)), fmtMS(mx), len(p.writes), p.errors, p.fivexx, p.longest)
	}
	fmt.Fprintf(w, "\nLongest write transaction of the run (crmd_db_write_tx_max_seconds, both servers): %s\n", fmtMS(r.longest))
	for _, p := range r.phases {
		for by, d := range p.slow {
			fmt.Fprintf(w, "slow write transaction during %q: %s by %s\n", p.name, fmtMS(d), by)
		}
		for _, f := range p.failed {
			fmt.Fprintf(w, "failed insert during %q: %s\n", p.name, f)
		}
	}
}
