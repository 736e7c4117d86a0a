package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/oauth"
	"github.com/crmd/crmd/store"
)

// benchScope is what the bench's admin token may do.
const benchScope = "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.mass_delete.ALL"

// benchIdleLoad is how long the other clients run before the first job, for their baseline.
const benchIdleLoad = 3 * time.Second

// benchPoll is how often the bench polls a job's status.
const benchPoll = 20 * time.Millisecond

var benchCmd = &command{
	name:     "bench",
	synopsis: "[--db PATH] [--leads 1000000] [--leads-small 100000] [--job-sizes 1000,10000,50000] [--repeat 3] [--server-bin PATH]",
	summary:  "measure mass delete over HTTP against a real server and print a table",
	details: `Seeds --leads Leads into a fresh org in a fresh SQLite file (--db, which must not exist; by default a
temporary file, removed afterwards) or, when --db is a postgres:// URL, in that PostgreSQL database
(which must hold no org yet; a fresh schema named by search_path=… in the URL will do), starts the real server on it as a subprocess ('crmd serve --addr
127.0.0.1:0 --no-bootstrap', from --server-bin or this executable, with default settings), mints an
admin token and measures over HTTP:
  - the mass delete by ids: --id-calls calls of --id-batch distinct live ids each (p50, p99);
  - mass deletes by cvid: for each of --job-sizes, --repeat times, a custom view selecting that many
    Leads (a Created_Time range; Total_Count must equal the planned count), the accept latency of
    POST {"cvid":…} and the job's duration from accept to COMPLETED (status polled every 20 ms);
  - while one more job of the largest size runs, 2 clients reading single records (GET /Leads/{id}) and one
    inserting and updating single records (POST /Leads, PUT /Leads/{id}): their p50, p99 and counts;
  - the same clients for 3 s before the first job, with no job running, as their baseline;
  - the server's peak RSS (VmHWM from /proc).
With --leads-small > 0 it then does the same for the largest job on a second org of --leads-small Leads
(a second file, PATH-small.db; on PostgreSQL the same database), to compare a job's cost on a small and a large org. Progress
goes to stderr; the result is a markdown table on stdout with each figure, its target and their ratio
(medians where repeated), and the machine's core count and load average. The exit status is 1 when a
job's counts were not what the views select.`,
	define: func(fs *flag.FlagSet, m *Main) func(context.Context) error {
		var c benchConfig
		fs.StringVar(&c.DB, "db", "", "SQLite file to create for the bench (must not exist; default: a temporary file), or a postgres:// URL of a database (or schema, with search_path) that holds no org yet")
		fs.IntVar(&c.Leads, "leads", 1_000_000, "Leads to seed into the main org")
		fs.IntVar(&c.LeadsSmall, "leads-small", 100_000, "Leads of the second, smaller org for the largest job (0: skip)")
		fs.StringVar(&c.ServerBin, "server-bin", "", "crmd binary to run as the server (default: this executable)")
		fs.StringVar(&c.JobSizesFlag, "job-sizes", "1000,10000,50000", "sizes of the cvid jobs, comma-separated; one more job of the largest size runs under load")
		fs.IntVar(&c.Repeat, "repeat", 3, "how many times each cvid job size runs (medians are reported)")
		fs.IntVar(&c.IDCalls, "id-calls", 20, "mass delete calls by ids")
		fs.IntVar(&c.IDBatch, "id-batch", 500, "distinct ids per mass delete call by ids")
		fs.Uint64Var(&c.Seed, "seed", 42, "seed of the generated Leads")
		return func(ctx context.Context) error {
			if err := c.validate(); err != nil {
				return err
			}
			return m.bench(ctx, &c)
		}
	},
}

// benchConfig is the bench's settings.
type benchConfig struct {
	DB           string
	Leads        int
	LeadsSmall   int
	ServerBin    string
	JobSizesFlag string
	JobSizes     []int
	Repeat       int
	IDCalls      int
	IDBatch      int
	Seed         uint64
}

func (c *benchConfig) validate() error {
	c.JobSizes = nil
	for _, s := range strings.Split(c.JobSizesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return usageErrorf("invalid --job-sizes %q: want positive integers separated by commas", c.JobSizesFlag)
		}
		c.JobSizes = append(c.JobSizes, n)
	}
	slices.Sort(c.JobSizes)
	c.JobSizes = slices.Compact(c.JobSizes)
	if c.Repeat < 1 {
		return usageErrorf("invalid --repeat %d: want at least 1", c.Repeat)
	}
	if c.IDCalls < 1 || c.IDBatch < 1 {
		return usageErrorf("--id-calls and --id-batch must be at least 1")
	}
	if c.LeadsSmall < 0 {
		return usageErrorf("invalid --leads-small %d: want 0 (skip) or more", c.LeadsSmall)
	}
	big := c.JobSizes[len(c.JobSizes)-1]
	need := c.Repeat*sum(c.JobSizes) + big + c.IDCalls*c.IDBatch + 1000
	if c.Leads < need {
		return usageErrorf("--leads %d is too few: the jobs and id calls delete %d, and 1000 must stay for the readers", c.Leads, need-1000)
	}
	if c.LeadsSmall > 0 && c.LeadsSmall < big+1000 {
		return usageErrorf("--leads-small %d is too few for a job of %d", c.LeadsSmall, big)
	}
	return nil
}

func sum(xs []int) int {
	t := 0
	for _, x := range xs {
		t += x
	}
	return t
}

// benchLead is one seeded Lead.
type benchLead struct {
	id      crmd.ID
	created int64 // Unix ms
}

// benchJob is one planned cvid job: a Created_Time range [from, to) that holds exactly count Leads.
type benchJob struct {
	size     int  // the size asked for
	load     bool // the other clients run during this job
	count    int  // the Leads the range holds
	from, to time.Time
}

// benchOrg is a seeded org on its own database file, with the plan of what to delete.
type benchOrg struct {
	db       string
	engine   string // "SQLite" or "PostgreSQL"
	leads    int
	seedRate float64 // Leads per second of `crmd seed`'s code path, org creation excluded
	token    string
	jobs     []benchJob
	idSets   [][]string // the id calls' ids
	spare    []string   // live Leads no job or id call touches: the readers' and updaters' targets
}

// jobResult is one job's measurement.
type jobResult struct {
	size, total int
	load        bool // the other clients ran during this job
	accept      time.Duration
	duration    time.Duration
}

// loadResult is what the other clients saw while the largest jobs ran.
type loadResult struct {
	reads, writes []time.Duration
	errors        int
}

// orgResult is everything measured on one org.
type orgResult struct {
	leads    int
	engine   string // "SQLite" or "PostgreSQL"
	seedRate float64
	ids      []time.Duration
	jobs     []jobResult
	idle     loadResult // the other clients with no job running
	load     loadResult // the other clients during the largest jobs
	rssKiB   int64
}

func (m *Main) bench(ctx context.Context, c *benchConfig) error {
	bin := c.ServerBin
	if bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("bench: finding the server binary: %w (give --server-bin)", err)
		}
		bin = exe
	}
	db := c.DB
	if db == "" {
		dir, err := os.MkdirTemp("", "crmd-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		db = filepath.Join(dir, "bench.db")
	}
	smallDB := strings.TrimSuffix(db, ".db") + "-small.db"
	if store.IsPostgresDSN(db) {
		// Replicas share one database, and so do the two orgs here: the small org's job runs on a
		// records table that also holds the large org's rows, as tenants of one deployment do.
		smallDB = db
		if err := checkNoOrg(ctx, db); err != nil {
			return err
		}
	} else {
		for _, p := range []string{db, smallDB} {
			if p == smallDB && c.LeadsSmall == 0 {
				continue
			}
			if _, err := os.Stat(p); err == nil {
				return fmt.Errorf("bench: %s exists; the bench needs a fresh file (remove it or choose another --db)", p)
			}
		}
	}
	loadBefore := loadAvg()
	var problems []string
	big := c.JobSizes[len(c.JobSizes)-1]

	// The main org: id calls, every job size, and the load during the largest jobs.
	// Every size --repeat times with no other clients (the series), then one more job of the largest
	// size while the other clients run.
	var plan []benchJob
	for r := 0; r < c.Repeat; r++ {
		for _, size := range c.JobSizes {
			plan = append(plan, benchJob{size: size})
		}
	}
	plan = append(plan, benchJob{size: big, load: true})
	org, err := m.benchSetup(ctx, db, c.Leads, c.Seed, plan, c.IDCalls, c.IDBatch)
	if err != nil {
		return err
	}
	mres, err := m.benchRun(ctx, bin, org, true, &problems)
	if err != nil {
		return err
	}
	var small *orgResult
	if c.LeadsSmall > 0 {
		// As many runs of the largest job as leave the org at least half its size.
		runs := max(1, min(c.Repeat, c.LeadsSmall/(2*big)))
		splan := make([]benchJob, runs)
		for i := range splan {
			splan[i] = benchJob{size: big}
		}
		sorg, err := m.benchSetup(ctx, smallDB, c.LeadsSmall, c.Seed+1, splan, 0, 0)
		if err != nil {
			return err
		}
		small, err = m.benchRun(ctx, bin, sorg, false, &problems)
		if err != nil {
			return err
		}
		if c.DB == "" && smallDB != db {
			os.Remove(smallDB)
		}
	}
	printBenchTable(m.Stdout, c, mres, small, loadBefore, loadAvg())
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(m.Stdout, "PROBLEM:", p)
		}
		return fmt.Errorf("bench: %d problem(s), listed after the table", len(problems))
	}
	return nil
}

// checkNoOrg refuses a PostgreSQL database that already holds an org: the figures are for a database
// holding exactly what the bench seeds.
func checkNoOrg(ctx context.Context, db string) error {
	st, err := store.Open(ctx, db)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.CountOrgs(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("bench: the database holds %d org(s); the bench needs one with none (a fresh database, or a fresh schema named by search_path in the URL)", n)
	}
	return nil
}

// benchSetup creates the org in a fresh database, seeds its Leads, mints the token and plans the jobs
// (consecutive Created_Time ranges from the oldest Lead), the id calls (the newest Leads) and the
// spare Leads in between.
func (m *Main) benchSetup(ctx context.Context, db string, leads int, seed uint64, plan []benchJob, idCalls, idBatch int) (*benchOrg, error) {
	st, err := store.Open(ctx, db)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	n, err := createOrg(ctx, st, "bench", "admin@bench.local", false)
	if err != nil {
		return nil, err
	}
	sd, err := newSeeder(ctx, st, n.org, "Leads", seed, 90*24*time.Hour)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	bar := newProgressBar(m.Stderr, int64(leads), "seeding Leads")
	_, err = sd.run(ctx, leads, func(k int) { bar.Add(k) })
	bar.finish()
	if err != nil {
		return nil, fmt.Errorf("bench: seed: %w", err)
	}
	seedTime := time.Since(start)
	fmt.Fprintf(m.Stderr, "crmd bench: seeded %d Leads in %v\n", leads, seedTime.Round(time.Millisecond))
	auth := &oauth.Server{Store: st}
	tr, err := auth.IssueForUser(ctx, n.clientID, n.org.ID, n.admin.ID, benchScope, 6*time.Hour, false)
	if err != nil {
		return nil, fmt.Errorf("bench: token: %w", err)
	}
	times, err := st.LiveRecordTimes(ctx, n.org.ID, sd.mod.ID)
	if err != nil {
		return nil, err
	}
	all := make([]benchLead, len(times))
	for i, r := range times {
		all[i] = benchLead{id: r.ID, created: r.CreatedTime}
	}
	o := &benchOrg{db: db, engine: st.Engine(), leads: leads, seedRate: float64(leads) / seedTime.Seconds(), token: tr.AccessToken}
	// A range [from, to) of whole seconds holds every Lead from index i up to (not including) the first
	// one in the second of Lead i+size: at most size Leads, and the next range starts there.
	sec := func(ms int64) int64 { return int64(math.Floor(float64(ms) / 1000)) }
	i := 0
	tail := len(all) - idCalls*idBatch
	for _, job := range plan {
		size := job.size
		if i+size >= tail {
			return nil, fmt.Errorf("bench: %d Leads are too few for the jobs planned", leads)
		}
		from := sec(all[i].created)
		to := sec(all[i+size].created)
		j := i + size
		for j > i && sec(all[j-1].created) >= to {
			j--
		}
		if j == i {
			return nil, fmt.Errorf("bench: more than %d Leads share one second of Created_Time", size)
		}
		job.count, job.from, job.to = j-i, time.Unix(from, 0).UTC(), time.Unix(to, 0).UTC()
		o.jobs = append(o.jobs, job)
		i = j
	}
	for k := 0; k < idCalls; k++ {
		var ids []string
		for _, l := range all[tail+k*idBatch : tail+(k+1)*idBatch] {
			ids = append(ids, l.id.String())
		}
		o.idSets = append(o.idSets, ids)
	}
	for _, l := range all[i:tail] {
		o.spare = append(o.spare, l.id.String())
	}
	if len(o.spare) == 0 {
		return nil, fmt.Errorf("bench: no Lead is left for the readers")
	}
	return o, nil
}

// benchServer is a running `crmd serve` subprocess.
type benchServer struct {
	cmd     *exec.Cmd
	baseURL string
	stderr  *tailBuffer
	done    chan error
}

// tailBuffer keeps the last 64 KiB written to it.
type tailBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 64<<10 {
		t.b = append(t.b[:0], t.b[len(t.b)-(64<<10):]...)
	}
	return len(p), nil
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

// benchRun starts the server on the org's database and runs the plan: the id calls, then the jobs in
// order, with the other clients' load during the jobs marked so; with baseline, the other clients first
// run alone.
func (m *Main) benchRun(ctx context.Context, bin string, o *benchOrg, baseline bool, problems *[]string) (*orgResult, error) {
	srv, err := startBenchServer(ctx, bin, o.db)
	if err != nil {
		return nil, err
	}
	stopped := false
	defer func() {
		if !stopped {
			srv.stop()
		}
	}()
	c := &benchClient{base: srv.baseURL, token: o.token, http: &http.Client{Timeout: 2 * time.Minute,
		Transport: &http.Transport{MaxIdleConnsPerHost: 16, DisableCompression: true}}}
	res := &orgResult{leads: o.leads, engine: o.engine, seedRate: o.seedRate}
	if baseline {
		// The same clients with no job running: the baseline their figures during a job compare with.
		load := startBenchLoad(ctx, c, o.spare)
		time.Sleep(benchIdleLoad)
		load.stop(&res.idle)
	}
	problem := func(format string, args ...any) {
		*problems = append(*problems, fmt.Sprintf("%d-Lead org: ", o.leads)+fmt.Sprintf(format, args...))
	}

	// (1) Mass delete by ids.
	for k, ids := range o.idSets {
		start := time.Now()
		status, body, err := c.do(ctx, "POST", "/crm/v8/Leads/actions/mass_delete", map[string]any{"ids": ids})
		d := time.Since(start)
		if err != nil {
			return nil, err
		}
		if status != http.StatusOK {
			problem("id call %d: HTTP %d %v", k+1, status, body)
		} else if data, _ := body["data"].([]any); len(data) != len(ids) {
			problem("id call %d: %d results for %d ids", k+1, len(data), len(ids))
		}
		res.ids = append(res.ids, d)
	}
	if len(o.idSets) > 0 {
		fmt.Fprintf(m.Stderr, "crmd bench: %d mass deletes of %d ids: p50 %s\n", len(o.idSets), len(o.idSets[0]), fmtMS(percentile(res.ids, 0.5)))
	}

	// (2) The jobs, one after another.
	for k, job := range o.jobs {
		name := fmt.Sprintf("bench %d #%d", job.size, k+1)
		crit := map[string]any{"group_operator": "AND", "group": []any{
			map[string]any{"field": map[string]any{"api_name": "Created_Time"}, "comparator": "greater_equal", "value": job.from.Format(time.RFC3339)},
			map[string]any{"field": map[string]any{"api_name": "Created_Time"}, "comparator": "less_than", "value": job.to.Format(time.RFC3339)},
		}}
		status, body, err := c.do(ctx, "POST", "/crm/v8/settings/custom_views?module=Leads",
			map[string]any{"custom_views": []any{map[string]any{"name": name, "criteria": crit}}})
		if err != nil {
			return nil, err
		}
		cvid := ""
		if cvs, _ := body["custom_views"].([]any); len(cvs) == 1 {
			if d, _ := cvs[0].(map[string]any)["details"].(map[string]any); d != nil {
				cvid, _ = d["id"].(string)
			}
		}
		if status != http.StatusCreated || cvid == "" {
			return nil, fmt.Errorf("bench: creating view %q: HTTP %d %v", name, status, body)
		}
		var load *benchLoad
		if job.load {
			load = startBenchLoad(ctx, c, o.spare)
		}
		start := time.Now()
		status, body, err = c.do(ctx, "POST", "/crm/v8/Leads/actions/mass_delete", map[string]any{"cvid": cvid})
		accepted := time.Now()
		if err != nil {
			load.stop(&res.load)
			return nil, err
		}
		jobID := ""
		if data, _ := body["data"].([]any); len(data) == 1 {
			if d, _ := data[0].(map[string]any)["details"].(map[string]any); d != nil {
				jobID, _ = d["job_id"].(string)
			}
		}
		if status != http.StatusOK || jobID == "" {
			load.stop(&res.load)
			return nil, fmt.Errorf("bench: scheduling the job of view %q: HTTP %d %v", name, status, body)
		}
		var js map[string]any
		deadline := time.Now().Add(10 * time.Minute)
		for {
			status, body, err := c.do(ctx, "GET", "/crm/v8/Leads/actions/mass_delete?job_id="+jobID, nil)
			if err != nil {
				load.stop(&res.load)
				return nil, err
			}
			if data, _ := body["data"].([]any); status == http.StatusOK && len(data) == 1 {
				js, _ = data[0].(map[string]any)
			}
			if js == nil {
				load.stop(&res.load)
				return nil, fmt.Errorf("bench: job %s status: HTTP %d %v", jobID, status, body)
			}
			if s := js["Status"]; s != "RUNNING" && s != "SCHEDULED" {
				break
			}
			if time.Now().After(deadline) {
				load.stop(&res.load)
				return nil, fmt.Errorf("bench: job %s did not complete in 10 minutes: %v", jobID, js)
			}
			time.Sleep(benchPoll)
		}
		done := time.Now()
		load.stop(&res.load)
		total := jsonInt(js["Total_Count"])
		if js["Status"] != "COMPLETED" || total != job.count || jsonInt(js["Deleted_Count"]) != job.count {
			problem("job of view %q (%d Leads): %v", name, job.count, js)
		}
		res.jobs = append(res.jobs, jobResult{size: job.size, load: job.load, total: total, accept: accepted.Sub(start), duration: done.Sub(accepted)})
		under := ""
		if job.load {
			under = " (under load)"
		}
		fmt.Fprintf(m.Stderr, "crmd bench: %d-Lead org: job of %d%s: accepted in %s, completed in %s\n",
			o.leads, total, under, fmtMS(accepted.Sub(start)), fmtMS(done.Sub(accepted)))
	}

	res.rssKiB = peakRSS(srv.cmd.Process.Pid)
	stopped = true
	if err := srv.stop(); err != nil {
		return nil, err
	}
	return res, nil
}

func jsonInt(v any) int {
	f, ok := v.(float64)
	if !ok {
		return -1
	}
	return int(f)
}

// benchLoad is the other clients: 2 readers of single records and 1 writer inserting and updating
// single records, running until stopped.
type benchLoad struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	res    loadResult
}

func startBenchLoad(ctx context.Context, c *benchClient, spare []string) *benchLoad {
	lctx, cancel := context.WithCancel(ctx)
	l := &benchLoad{cancel: cancel}
	record := func(write bool, d time.Duration, ok bool) {
		l.mu.Lock()
		defer l.mu.Unlock()
		if !ok {
			l.res.errors++
			return
		}
		if write {
			l.res.writes = append(l.res.writes, d)
		} else {
			l.res.reads = append(l.res.reads, d)
		}
	}
	for w := 0; w < 3; w++ {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for n := 0; lctx.Err() == nil; n++ {
				id := spare[r.IntN(len(spare))]
				var status int
				var err error
				start := time.Now()
				switch {
				case w < 2:
					status, _, err = c.do(lctx, "GET", "/crm/v8/Leads/"+id, nil)
				case n%2 == 0:
					status, _, err = c.do(lctx, "POST", "/crm/v8/Leads", map[string]any{"data": []any{map[string]any{
						"Last_Name": fmt.Sprintf("Bench %d", n), "Company": "Bench Inc", "Lead_Source": "Web Download"}}})
				default:
					status, _, err = c.do(lctx, "PUT", "/crm/v8/Leads/"+id, map[string]any{"data": []any{map[string]any{
						"Description": fmt.Sprintf("updated by crmd bench, call %d", n)}}})
				}
				d := time.Since(start)
				if lctx.Err() != nil {
					return // a request cut short by the stop is not a measurement
				}
				ok := err == nil && (status == http.StatusOK || status == http.StatusCreated)
				record(w == 2, d, ok)
			}
		}()
	}
	return l
}

// stop ends the load and adds what it measured to into.
func (l *benchLoad) stop(into *loadResult) {
	if l == nil {
		return
	}
	l.cancel()
	l.wg.Wait()
	into.reads = append(into.reads, l.res.reads...)
	into.writes = append(into.writes, l.res.writes...)
	into.errors += l.res.errors
}

// percentile is the nearest-rank q-quantile of ds (0 when empty).
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	k := int(math.Ceil(q*float64(len(s)))) - 1
	return s[min(max(k, 0), len(s)-1)]
}

func fmtMS(d time.Duration) string {
	ms := float64(d.Microseconds()) / 1000
	switch {
	case ms >= 100:
		return fmt.Sprintf("%.0f ms", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.2f ms", ms)
}

// jobsOfSize returns the results of the jobs of one size, run with or without the other clients.
func jobsOfSize(r *orgResult, size int, load bool) []jobResult {
	var out []jobResult
	for _, j := range r.jobs {
		if j.size == size && j.load == load {
			out = append(out, j)
		}
	}
	return out
}

func durations(js []jobResult, f func(jobResult) time.Duration) []time.Duration {
	var out []time.Duration
	for _, j := range js {
		out = append(out, f(j))
	}
	return out
}

// printBenchTable prints the results as markdown.
// benchTargets are the figures the issues ask of each database (the mass delete issue for SQLite, the
// PostgreSQL issue for PostgreSQL).
type benchTargets struct {
	ids, accept, job, reads, writes time.Duration
	seed                            float64 // rows/s, at least
}

func targetsFor(engine string) benchTargets {
	if engine == "PostgreSQL" {
		return benchTargets{ids: 40 * time.Millisecond, accept: time.Second, job: 2500 * time.Millisecond,
			reads: 20 * time.Millisecond, writes: 50 * time.Millisecond, seed: 100_000}
	}
	return benchTargets{ids: 150 * time.Millisecond, accept: time.Second, job: 5 * time.Second,
		reads: 10 * time.Millisecond, writes: 150 * time.Millisecond, seed: 50_000}
}

func printBenchTable(w io.Writer, c *benchConfig, r, small *orgResult, loadBefore, loadAfter string) {
	big := c.JobSizes[len(c.JobSizes)-1]
	tg := targetsFor(r.engine)
	ratio := func(fig, target float64) string {
		if target <= 0 {
			return ""
		}
		return fmt.Sprintf("%.2f", fig/target)
	}
	row := func(what, fig, target, rat string) {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", what, fig, target, rat)
	}
	msRow := func(what string, d time.Duration, target time.Duration) {
		t, rat := "", ""
		if target > 0 {
			t = "≤ " + fmtMS(target)
			rat = ratio(float64(d), float64(target))
		}
		row(what, fmtMS(d), t, rat)
	}
	fmt.Fprintf(w, "crmd bench: %d Leads, %s, %s/%s, %d CPUs, load average %s before, %s after\n\n",
		r.leads, r.engine, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), loadBefore, loadAfter)
	fmt.Fprintln(w, "| Measure | Figure | Target | Figure / target |")
	fmt.Fprintln(w, "|---|---|---|---|")
	row(fmt.Sprintf("crmd seed of %d Leads, rows/s", r.leads), fmt.Sprintf("%.0f", r.seedRate), fmt.Sprintf("≥ %.0f", tg.seed), ratio(r.seedRate, tg.seed))
	idn := c.IDBatch
	msRow(fmt.Sprintf("mass delete of %d ids, p50 (%d calls)", idn, len(r.ids)), percentile(r.ids, 0.5), tg.ids)
	msRow(fmt.Sprintf("mass delete of %d ids, p99", idn), percentile(r.ids, 0.99), 0)
	var accepts []time.Duration
	for _, j := range r.jobs {
		accepts = append(accepts, j.accept)
	}
	msRow(fmt.Sprintf("cvid accept, median (%d jobs)", len(accepts)), percentile(accepts, 0.5), tg.accept)
	msRow("cvid accept, slowest", percentile(accepts, 1), tg.accept)
	bigJobs := jobsOfSize(r, big, false)
	bigMed := percentile(durations(bigJobs, func(j jobResult) time.Duration { return j.duration }), 0.5)
	msRow(fmt.Sprintf("job of %d records, accept → COMPLETED, median of %d", big, len(bigJobs)), bigMed, tg.job)
	for _, j := range jobsOfSize(r, big, true) {
		msRow(fmt.Sprintf("job of %d records while the other clients run", big), j.duration, tg.job)
	}
	l := r.load
	msRow(fmt.Sprintf("during the job: single-record reads p50 (%d reads)", len(l.reads)), percentile(l.reads, 0.5), 0)
	msRow("during the job: single-record reads p99", percentile(l.reads, 0.99), tg.reads)
	msRow(fmt.Sprintf("during the job: single-record inserts/updates p50 (%d writes)", len(l.writes)), percentile(l.writes, 0.5), 0)
	msRow("during the job: single-record inserts/updates p99", percentile(l.writes, 0.99), tg.writes)
	if l.errors > 0 {
		row("during the job: failed reads/writes", strconv.Itoa(l.errors), "0", "")
	}
	i := r.idle
	msRow(fmt.Sprintf("no job running (baseline, %s): reads p99 (%d reads)", benchIdleLoad, len(i.reads)), percentile(i.reads, 0.99), 0)
	msRow(fmt.Sprintf("no job running (baseline): inserts/updates p99 (%d writes)", len(i.writes)), percentile(i.writes, 0.99), 0)
	if i.errors > 0 {
		row("no job running: failed reads/writes", strconv.Itoa(i.errors), "0", "")
	}
	rss := func(kib int64) string {
		if kib < 0 {
			return "?"
		}
		return fmt.Sprintf("%.0f MiB", float64(kib)/1024)
	}
	row(fmt.Sprintf("server peak RSS (VmHWM), %d-Lead org", r.leads), rss(r.rssKiB), "< 300 MiB", ratio(float64(r.rssKiB)/1024, 300))
	if small != nil {
		row(fmt.Sprintf("server peak RSS (VmHWM), %d-Lead org", small.leads), rss(small.rssKiB), "< 300 MiB", ratio(float64(small.rssKiB)/1024, 300))
	}

	fmt.Fprintln(w)
	fmt.Fprintf(w, "Job duration by size, with no other clients (accept → COMPLETED, median of the runs; status polled every %s):\n\n", fmtMS(benchPoll))
	fmt.Fprintln(w, "| Org Leads | Job size | Runs | Records (Total_Count) | Median duration | ms per 1,000 records | Per-record cost / the largest job's on the main org |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	// perK is the median over the runs of each run's duration per 1,000 records.
	perK := func(js []jobResult) float64 {
		var costs []float64
		for _, j := range js {
			costs = append(costs, float64(j.duration.Microseconds())/1000/(float64(max(j.total, 1))/1000))
		}
		slices.Sort(costs)
		return costs[(len(costs)-1)/2]
	}
	ref := perK(bigJobs)
	series := func(o *orgResult, size int) {
		js := jobsOfSize(o, size, false)
		if len(js) == 0 {
			return
		}
		var counts []string
		for _, j := range js {
			counts = append(counts, strconv.Itoa(j.total))
		}
		slices.Sort(counts)
		counts = slices.Compact(counts)
		med := percentile(durations(js, func(j jobResult) time.Duration { return j.duration }), 0.5)
		fmt.Fprintf(w, "| %d | %d | %d | %s | %s | %.1f | %.2f |\n", o.leads, size, len(js), strings.Join(counts, ", "),
			fmtMS(med), perK(js), perK(js)/ref)
	}
	for _, size := range c.JobSizes {
		series(r, size)
	}
	if small != nil {
		series(small, big)
	}
}
