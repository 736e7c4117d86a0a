package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// apiClient sends requests without failing the test: the fault and load tests call from many
// goroutines, expect some calls to fail (a killed server) and judge every answer themselves.
type apiClient struct {
	base, token string
	http        *http.Client
}

func newAPIClient(base, token string, timeout time.Duration) *apiClient {
	return &apiClient{base: base, token: token, http: &http.Client{Timeout: timeout,
		// Many clients on one host: keep their connections instead of churning ports.
		Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
}

// answer is one response: its status, body and the body decoded when it is a JSON object.
type answer struct {
	status int
	raw    []byte
	body   map[string]any
}

// do sends one request; a non-nil body is sent as JSON. err is a transport error (no answer).
func (c *apiClient) do(ctx context.Context, method, path string, body any) (answer, error) {
	var rd io.Reader
	if body != nil {
		js, err := json.Marshal(body)
		if err != nil {
			return answer{}, err
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return answer{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Zoho-oauthtoken "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	return answer{status: resp.StatusCode, raw: raw, body: decodeObject(raw)}, nil
}

// zohoShaped reports whether an error answer is Zoho's error object: JSON with a code, a message and
// status "error" (top level, or in the first item of a data/recycle_bin array).
func zohoShaped(a answer) bool {
	if a.body == nil {
		return false
	}
	obj := a.body
	for _, k := range []string{"data", "recycle_bin", "custom_views"} {
		if arr, ok := a.body[k].([]any); ok && len(arr) > 0 {
			if m, ok := arr[0].(map[string]any); ok {
				obj = m
			}
		}
	}
	code, _ := obj["code"].(string)
	_, hasMsg := obj["message"].(string)
	return code != "" && hasMsg && obj["status"] == "error"
}

// results returns the items of an answer's array key (data, recycle_bin).
func results(a answer, key string) []map[string]any {
	arr, _ := a.body[key].([]any)
	var out []map[string]any
	for _, it := range arr {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// successIDs returns the ids of the items answered SUCCESS.
func successIDs(a answer, key string) []string {
	var ids []string
	for _, it := range results(a, key) {
		if it["code"] == "SUCCESS" {
			if d, ok := it["details"].(map[string]any); ok {
				if id, ok := d["id"].(string); ok {
					ids = append(ids, id)
				}
			}
		}
	}
	return ids
}

// soakSeed picks the soak's random seed: CRMD_SOAK_SEED to replay a run, else the clock.
func soakSeed(t *testing.T) uint64 {
	if s := os.Getenv("CRMD_SOAK_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("CRMD_SOAK_SEED=%q: %v", s, err)
		}
		return n
	}
	return uint64(time.Now().UnixNano())
}

// soakRec is one Lead the soak made, with the fields a restore must bring back.
type soakRec struct {
	idx                  int // creation order; idx%3 decides whether it is restored (0), purged (1; its purged row aged out when idx%6 == 1) or left to the retention purger (2; aged out when idx%6 == 2, restored or purged by a bin job when idx%6 == 5)
	slice                int // the view slice of a cvid job; -1 for the ids pool, -2 for a record inserted during the soak
	name, company, email string
}

// soakOp is a write in flight when the server was killed: whether it committed is read from the
// database before the next start, so that the test knows every record's fate exactly.
type soakOp struct {
	kind string   // delete | restore | purge | schedule | insert | bin_restore | bin_delete
	ids  []string // record ids (delete, restore, purge, and the bin jobs')
	cvid string   // schedule
	name string   // insert
}

// soak is the crash soak's bookkeeping, shared by its drivers.
type soak struct {
	t        *testing.T
	db       string
	orgID    string
	token    string
	slices   int
	perSlice int

	mu          sync.Mutex
	recs        map[string]*soakRec // id → record
	pool        []string            // ids-pool records, deleted by ids in this order
	nextPool    int
	sliceViews  map[int][]string // slice → views made for it
	jobs        map[int]string   // slice → its job (at most one per slice)
	nextSlice   int
	idDeleted   map[string]bool
	restored    map[string]bool
	purged      map[string]bool
	inserted    map[string]bool // names acknowledged
	insertTried []string        // every name sent
	pending     []soakOp
	errs        []string
	killing     bool
	// firstDeleted remembers, at each kill, when each record a job had deleted was deleted: a job
	// that deleted it again after a restart would change the time.
	firstDeleted map[string]int64
	// aged are bin records whose deleted_time the test moved back beyond the retention while the
	// server was dead, so that the retention purger purges them when the next server starts.
	aged map[string]bool
	// binJobs are the recycle bin's jobs the test scheduled (restore and permanent delete by filters),
	// by job id; binClaimed the records handed to one. droppedAged are purged rows the test aged past
	// their 120 days as type=permanent while the server was dead: a retention_drop job removes them.
	binJobs     map[string]soakBinJob
	binClaimed  map[string]bool
	droppedAged map[string]bool
	ops         map[string]int
}

func (s *soak) unexpected(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.errs) < 50 {
		s.errs = append(s.errs, fmt.Sprintf(format, args...))
	}
}

// failed records a transport error: expected once the kill is under way (the request may or may not
// have committed, so it becomes pending), unexpected before.
func (s *soak) failed(op soakOp, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.killing {
		if op.kind != "" {
			s.pending = append(s.pending, op)
		}
		return
	}
	if len(s.errs) < 50 {
		s.errs = append(s.errs, fmt.Sprintf("%s before the kill: %v", op.kind, err))
	}
}

// TestCrashSoak kills the server (SIGKILL) 20 times at random moments while cvid jobs, deletes by
// ids, restores and permanent deletes (purges) by ids and as jobs (by filters) run, the views' index
// builds and the retention jobs run, and records are inserted, restarting it each time
// on the same database (SQLite, or PostgreSQL with CRMD_TEST_STORE=postgres). Short leases
// (--job-lease 2s) let every restart resume the killed server's job; bin records the test ages past
// the retention while the server is dead are purged by the retention purger when it starts. Writes in flight at a kill are
// resolved from the database before the restart; at the end every job must have completed exactly,
// and every record must be where the acknowledged and resolved operations put it.
func TestCrashSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("a soak of 20 crashes")
	}
	const kills, slices, perSlice, poolSize = 20, 12, 60, 600
	seed := soakSeed(t)
	t.Logf("seed %d (CRMD_SOAK_SEED=%d replays the kill schedule)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0x50a4))
	// The retention purger runs at every start; with the shortest retention (1h) it purges what the
	// test ages past it while the server is dead.
	serveArgs := []string{"--job-batch-size", "5", "--job-batch-delay", "30ms", "--job-lease", "2s", "--recycle-retention", "1h"}
	began := time.Now()

	h := startServer(t, serveArgs...)
	s := &soak{t: t, db: h.DB, orgID: h.OrgID, token: h.Token, slices: slices, perSlice: perSlice,
		recs: map[string]*soakRec{}, sliceViews: map[int][]string{}, jobs: map[int]string{},
		idDeleted: map[string]bool{}, restored: map[string]bool{}, purged: map[string]bool{}, inserted: map[string]bool{},
		firstDeleted: map[string]int64{}, aged: map[string]bool{}, ops: map[string]int{},
		binJobs: map[string]soakBinJob{}, binClaimed: map[string]bool{}, droppedAged: map[string]bool{}}
	s.seedRecords(t, h, slices, perSlice, poolSize)
	h.Stop()

	var durations []time.Duration
	for k := 0; k < kills; k++ {
		h := startServer(t, append([]string{"--db", s.db}, serveArgs...)...)
		up := time.Now()
		c := newAPIClient(h.BaseURL, s.token, 20*time.Second)
		ctx, stop := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() { s.scheduler(ctx, c) })
		wg.Go(func() { s.idDeleter(ctx, c, rand.New(rand.NewPCG(seed, uint64(k)*8+1))) })
		wg.Go(func() { s.binWorker(ctx, c, "restore", rand.New(rand.NewPCG(seed, uint64(k)*8+2))) })
		wg.Go(func() { s.binWorker(ctx, c, "purge", rand.New(rand.NewPCG(seed, uint64(k)*8+3))) })
		wg.Go(func() { s.inserter(ctx, c, rand.New(rand.NewPCG(seed, uint64(k)*8+4))) })
		wg.Go(func() { s.poller(ctx, c) })
		wg.Go(func() { s.binJobWorker(ctx, c, rand.New(rand.NewPCG(seed, uint64(k)*8+5))) })
		time.Sleep(time.Duration(200+rng.IntN(2300)) * time.Millisecond)
		s.mu.Lock()
		s.killing = true
		s.mu.Unlock()
		h.Kill()
		stop()
		wg.Wait()
		durations = append(durations, time.Since(up).Round(time.Millisecond))
		s.resolve(t)
		s.mu.Lock()
		s.killing = false
		s.mu.Unlock()
		if len(s.errs) > 0 {
			t.Fatalf("after kill %d: unexpected answers:\n%s", k+1, strings.Join(s.errs, "\n"))
		}
	}
	t.Logf("%d kills after %v of service each; %d jobs scheduled, ops %v", kills, durations, len(s.jobs), s.ops)

	// The last start runs every job to completion.
	h = startServer(t, append([]string{"--db", s.db}, serveArgs...)...)
	h.Token = s.token
	for slice, job := range s.jobs {
		js := waitCompleted(t, h, job)
		if js.Total != perSlice || js.Deleted != perSlice || js.Failed != 0 {
			t.Errorf("slice %d job %s: %+v, want all %d deleted, none failed", slice, job, js, perSlice)
		}
	}
	// The recycle bin's jobs and the index builds complete too.
	s.waitJobs(t)
	// The purger runs at start: wait for it to have purged everything aged out.
	binAPI := 0
	eventually(t, 20*time.Second, "the retention purger", func() bool {
		binAPI = s.binCount(t, h)
		return binAPI == s.expectedBin(t)
	})
	live := s.liveLeads(t, h)
	h.Stop()
	s.verify(t, binAPI, live)
	t.Logf("soak done in %s", time.Since(began).Round(time.Second))
}

// seedRecords inserts the slices' records (Company "slice-NN") and the ids pool (Company "pool")
// through the API, 100 per call.
func (s *soak) seedRecords(t *testing.T, h *Harness, slices, perSlice, poolSize int) {
	t.Helper()
	var all []*soakRec
	for sl := 0; sl < slices; sl++ {
		for i := 0; i < perSlice; i++ {
			all = append(all, &soakRec{slice: sl, company: fmt.Sprintf("slice-%02d", sl)})
		}
	}
	for i := 0; i < poolSize; i++ {
		all = append(all, &soakRec{slice: -1, company: "pool"})
	}
	for i, r := range all {
		r.idx = i
		r.name = fmt.Sprintf("Soak%05d", i)
		r.email = fmt.Sprintf("soak%05d@example.com", i)
	}
	for start := 0; start < len(all); start += 100 {
		part := all[start:min(start+100, len(all))]
		var data []any
		for _, r := range part {
			data = append(data, map[string]any{"Last_Name": r.name, "Company": r.company, "Email": r.email})
		}
		status, body, raw := h.Do("POST", "/crm/v8/Leads", map[string]any{"data": data}, h.Token)
		if status != http.StatusCreated {
			t.Fatalf("insert: %d %s", status, raw)
		}
		ids := successIDs(answer{body: body}, "data")
		if len(ids) != len(part) {
			t.Fatalf("insert: %d ids for %d records: %s", len(ids), len(part), raw)
		}
		for i, id := range ids {
			s.recs[id] = part[i]
			if part[i].slice == -1 {
				s.pool = append(s.pool, id)
			}
		}
	}
}

// pause waits d or until ctx ends; false when ctx ended.
func pause(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// check records an answer that is not one of want as unexpected; a 5xx must still be Zoho-shaped.
func (s *soak) check(what string, a answer, want ...int) bool {
	for _, w := range want {
		if a.status == w {
			return true
		}
	}
	s.unexpected("%s: %d %s", what, a.status, a.raw)
	return false
}

// scheduler makes a view of the next slice and schedules its cvid job; ALREADY_SCHEDULED (another
// job holds the org's lock) is expected and retried.
func (s *soak) scheduler(ctx context.Context, c *apiClient) {
	for ctx.Err() == nil {
		s.mu.Lock()
		slice := s.nextSlice
		var cvid string
		if views := s.sliceViews[slice]; len(views) > 0 {
			cvid = views[len(views)-1]
		}
		s.mu.Unlock()
		if slice >= s.slices {
			return
		}
		if cvid == "" {
			a, err := c.do(ctx, "POST", "/crm/v8/settings/custom_views?module=Leads", map[string]any{"custom_views": []any{map[string]any{
				"name":     fmt.Sprintf("Soak %d %d", slice, time.Now().UnixNano()),
				"criteria": map[string]any{"field": map[string]any{"api_name": "Company"}, "comparator": "equal", "value": fmt.Sprintf("slice-%02d", slice)}}}})
			if err != nil {
				s.failed(soakOp{}, err) // a view made but unknown is harmless: the next try makes another
				return
			}
			if !s.check("create view", a, http.StatusCreated) {
				return
			}
			d, _ := results(a, "custom_views")[0]["details"].(map[string]any)
			cvid, _ = d["id"].(string)
			s.mu.Lock()
			s.sliceViews[slice] = append(s.sliceViews[slice], cvid)
			s.mu.Unlock()
		}
		a, err := c.do(ctx, "POST", "/crm/v8/Leads/actions/mass_delete", map[string]any{"cvid": cvid})
		if err != nil {
			s.failed(soakOp{kind: "schedule", cvid: cvid}, err)
			return
		}
		switch {
		case a.status == http.StatusOK:
			d := results(a, "data")[0]["details"].(map[string]any)
			s.mu.Lock()
			s.jobs[slice] = d["job_id"].(string)
			s.nextSlice++
			s.ops["schedule"]++
			s.mu.Unlock()
		case a.status == http.StatusBadRequest && a.body["code"] == "ALREADY_SCHEDULED":
			s.mu.Lock()
			s.ops["already_scheduled"]++
			s.mu.Unlock()
			if !pause(ctx, 150*time.Millisecond) {
				return
			}
		default:
			s.check("schedule", a)
			return
		}
	}
}

// idDeleter deletes the pool's records by ids, a few at a time, each id once.
func (s *soak) idDeleter(ctx context.Context, c *apiClient, rng *rand.Rand) {
	for pause(ctx, time.Duration(40+rng.IntN(120))*time.Millisecond) {
		s.mu.Lock()
		n := 1 + rng.IntN(8)
		ids := s.pool[s.nextPool:min(s.nextPool+n, len(s.pool))]
		s.nextPool += len(ids)
		s.mu.Unlock()
		if len(ids) == 0 {
			return
		}
		a, err := c.do(ctx, "POST", "/crm/v8/Leads/actions/mass_delete", map[string]any{"ids": ids})
		if err != nil {
			s.failed(soakOp{kind: "delete", ids: ids}, err)
			return
		}
		if !s.check("delete by ids", a, http.StatusOK) || len(successIDs(a, "data")) != len(ids) {
			s.unexpected("delete by ids %v: %s", ids, a.raw)
			return
		}
		s.mu.Lock()
		for _, id := range ids {
			s.idDeleted[id] = true
		}
		s.ops["delete"]++
		s.mu.Unlock()
	}
}

// binWorker restores (kind "restore": records with idx%3 == 0) or purges (kind "purge": idx%3 == 1)
// records it finds in the recycle bin, a few per call.
func (s *soak) binWorker(ctx context.Context, c *apiClient, kind string, rng *rand.Rand) {
	want := map[string]int{"restore": 0, "purge": 1}[kind]
	for pause(ctx, time.Duration(80+rng.IntN(200))*time.Millisecond) {
		items, ok := s.listBin(ctx, c)
		if !ok {
			return
		}
		var ids []string
		s.mu.Lock()
		for _, it := range items {
			id, _ := it["id"].(string)
			if r := s.recs[id]; r != nil && r.idx%3 == want && len(ids) < 1+rng.IntN(10) {
				ids = append(ids, id)
			}
		}
		s.mu.Unlock()
		if len(ids) == 0 {
			continue
		}
		var a answer
		var err error
		if kind == "restore" {
			a, err = c.do(ctx, "POST", "/crm/v8/settings/recycle_bin/actions/restore", map[string]any{"ids": ids})
		} else {
			a, err = c.do(ctx, "DELETE", "/crm/v8/settings/recycle_bin?ids="+strings.Join(ids, ","), nil)
		}
		if err != nil {
			s.failed(soakOp{kind: kind, ids: ids}, err)
			return
		}
		// Only this worker takes these records out of the bin, so every one must succeed.
		if !s.check(kind, a, http.StatusOK) || len(successIDs(a, "recycle_bin")) != len(ids) {
			s.unexpected("%s %v: %s", kind, ids, a.raw)
			return
		}
		s.mu.Lock()
		for _, id := range ids {
			if kind == "restore" {
				s.restored[id] = true
			} else {
				s.purged[id] = true
			}
		}
		s.ops[kind]++
		s.mu.Unlock()
	}
}

// listBin reads the first page of the recycle bin (nil when it is empty); false when the call failed,
// which it records.
func (s *soak) listBin(ctx context.Context, c *apiClient) ([]map[string]any, bool) {
	a, err := c.do(ctx, "GET", "/crm/v8/settings/recycle_bin?per_page=200", nil)
	if err != nil {
		s.failed(soakOp{}, err)
		return nil, false
	}
	if a.status == http.StatusNoContent {
		return nil, true
	}
	if !s.check("list the bin", a, http.StatusOK) {
		return nil, false
	}
	return results(a, "recycle_bin"), true
}

// inserter inserts new Leads one at a time, named uniquely, so that a lost or doubled insert shows.
func (s *soak) inserter(ctx context.Context, c *apiClient, rng *rand.Rand) {
	for pause(ctx, time.Duration(50+rng.IntN(150))*time.Millisecond) {
		s.mu.Lock()
		name := fmt.Sprintf("Ins%05d", len(s.insertTried))
		s.insertTried = append(s.insertTried, name)
		s.mu.Unlock()
		a, err := c.do(ctx, "POST", "/crm/v8/Leads", map[string]any{"data": []any{map[string]any{"Last_Name": name, "Company": "inserted"}}})
		if err != nil {
			s.failed(soakOp{kind: "insert", name: name}, err)
			return
		}
		ids := successIDs(a, "data")
		if !s.check("insert", a, http.StatusCreated) || len(ids) != 1 {
			return
		}
		s.mu.Lock()
		s.inserted[name] = true
		s.recs[ids[0]] = &soakRec{idx: -1, slice: -2, name: name, company: "inserted"}
		s.ops["insert"]++
		s.mu.Unlock()
	}
}

// poller reads the status of every job scheduled so far: always 200.
func (s *soak) poller(ctx context.Context, c *apiClient) {
	for pause(ctx, 100*time.Millisecond) {
		s.mu.Lock()
		var jobs []string
		for _, j := range s.jobs {
			jobs = append(jobs, j)
		}
		s.mu.Unlock()
		for _, j := range jobs {
			a, err := c.do(ctx, "GET", "/crm/v8/Leads/actions/mass_delete?job_id="+j, nil)
			if err != nil {
				s.failed(soakOp{}, err)
				return
			}
			if !s.check("job status", a, http.StatusOK) {
				return
			}
			s.mu.Lock()
			s.ops["status"]++
			s.mu.Unlock()
		}
	}
}

// soakRow is a Lead's state in the database.
type soakRow struct {
	deleted, purged, job int64 // deleted_time, purged_time, delete_job_id (0 = NULL)
}

// rows reads every Lead of the org with its deletion state.
func (s *soak) rows(t *testing.T, st *store.Store) map[string]soakRow {
	t.Helper()
	org, _ := crmd.ParseID(s.orgID)
	rs, err := st.R.Query(st.Q(`SELECT id, deleted_time, purged_time, delete_job_id FROM records WHERE org_id = ?
		AND module_id = (SELECT id FROM modules WHERE org_id = ? AND api_name = 'Leads')`), int64(org), int64(org))
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	out := map[string]soakRow{}
	for rs.Next() {
		var id int64
		var del, pur, job sql.NullInt64
		if err := rs.Scan(&id, &del, &pur, &job); err != nil {
			t.Fatal(err)
		}
		out[crmd.ID(id).String()] = soakRow{del.Int64, pur.Int64, job.Int64}
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// resolve reads, with the server dead, which of the writes in flight at the kill committed, and
// remembers when each job deletion happened.
func (s *soak) resolve(t *testing.T) {
	t.Helper()
	st, err := store.Open(context.Background(), s.db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows := s.rows(t, st)
	jobByCVID := map[string]string{}
	org, _ := crmd.ParseID(s.orgID)
	// Mass delete jobs only; one still PREPARING was never accepted (a runner removes it).
	rs, err := st.R.Query(st.Q(`SELECT id, cvid, status, cursor_pos, total_count FROM jobs
		WHERE org_id = ? AND kind = 'mass_delete' AND status NOT IN ('PREPARING', 'DROPPED')`), int64(org))
	if err != nil {
		t.Fatal(err)
	}
	interrupted := 0
	for rs.Next() {
		var id, cvid, cursor, total int64
		var status string
		if err := rs.Scan(&id, &cvid, &status, &cursor, &total); err != nil {
			t.Fatal(err)
		}
		jobByCVID[crmd.ID(cvid).String()] = crmd.ID(id).String()
		if status == "RUNNING" && cursor > 0 && cursor < total {
			interrupted++
		}
	}
	rs.Close()

	s.resolveBinJobs(t, st)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ops["kill_mid_job"] += interrupted
	// Restores first: a delete in flight whose records were restored since did commit.
	order := map[string]int{"restore": 0, "purge": 1, "delete": 2, "schedule": 3, "insert": 4}
	sort.SliceStable(s.pending, func(i, j int) bool { return order[s.pending[i].kind] < order[s.pending[j].kind] })
	for _, op := range s.pending {
		// Each of these writes is one transaction: all of its records changed, or none.
		changed := 0
		for _, id := range op.ids {
			r := rows[id]
			switch op.kind {
			case "restore":
				if r.deleted == 0 {
					changed++
				}
			case "purge":
				if r.purged != 0 {
					changed++
				}
			case "delete":
				if r.deleted != 0 || s.restored[id] {
					changed++
				}
			}
		}
		if changed != 0 && changed != len(op.ids) {
			t.Fatalf("%s of %v in flight at the kill: %d of %d records changed, want all or none", op.kind, op.ids, changed, len(op.ids))
		}
		for _, id := range op.ids {
			if changed == 0 {
				break
			}
			switch op.kind {
			case "restore":
				s.restored[id] = true
			case "purge":
				s.purged[id] = true
			case "delete":
				s.idDeleted[id] = true
			}
		}
		if op.kind == "schedule" {
			if job, ok := jobByCVID[op.cvid]; ok {
				for slice, views := range s.sliceViews {
					for _, v := range views {
						if v == op.cvid {
							s.jobs[slice] = job
							s.nextSlice = slice + 1
						}
					}
				}
			}
		}
		s.ops["pending_"+op.kind]++
	}
	s.pending = nil
	for id, r := range rows {
		if r.job != 0 && r.deleted != 0 {
			if at, ok := s.firstDeleted[id]; !ok {
				s.firstDeleted[id] = r.deleted
			} else if at != r.deleted {
				t.Fatalf("record %s deleted by job %d at %d, and again at %d", id, r.job, at, r.deleted)
			}
		}
	}
	// Age half of the bin's idx%3 == 2 records (idx%6 == 2) past the retention, the others staying in the bin: the purger of the next start purges them,
	// and a kill may land in the middle of that purge.
	var aged []any
	for id, r := range rows {
		if rec := s.recs[id]; rec != nil && rec.idx%6 == 2 && r.deleted != 0 && r.purged == 0 && !s.aged[id] {
			cid, _ := crmd.ParseID(id)
			aged = append(aged, int64(cid))
			s.aged[id] = true
			if _, ok := s.firstDeleted[id]; ok {
				s.firstDeleted[id] -= soakAge
			}
		}
	}
	if len(aged) > 0 {
		if _, err := st.W.Exec(st.Q(`UPDATE records SET deleted_time = deleted_time - ? WHERE id IN (?`+strings.Repeat(",?", len(aged)-1)+`)`),
			append([]any{soakAge}, aged...)...); err != nil {
			t.Fatal(err)
		}
		s.ops["aged"] += len(aged)
	}
	s.agePurged(t, st, rows)
}

// soakAge is how far back the soak moves the deletion of records it ages out: beyond the 1h retention.
const soakAge = int64(2 * time.Hour / time.Millisecond)

// expectedBin is what the recycle bin should hold once the purger has purged everything aged out:
// the records deleted by the jobs so far and by ids, less those restored, purged or aged out.
func (s *soak) expectedBin(t *testing.T) int {
	t.Helper()
	st, err := store.Open(context.Background(), s.db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	org, _ := crmd.ParseID(s.orgID)
	jobDeleted := 0
	for _, j := range s.jobs {
		jid, _ := crmd.ParseID(j)
		jb, err := st.Job(context.Background(), org, jid)
		if err != nil {
			t.Fatal(err)
		}
		jobDeleted += int(jb.DeletedCount)
	}
	return jobDeleted + len(s.idDeleted) - len(s.restored) - len(s.purged) - len(s.aged)
}

// binCount reads the recycle bin's count through the API.
func (s *soak) binCount(t *testing.T, h *Harness) int {
	t.Helper()
	status, body, raw := h.Do("GET", "/crm/v8/settings/recycle_bin/actions/count", nil, s.token)
	if status != http.StatusOK {
		t.Fatalf("bin count: %d %s", status, raw)
	}
	n, _ := body["count"].(float64)
	return int(n)
}

// liveLeads lists the live Leads through the API: id → fields.
func (s *soak) liveLeads(t *testing.T, h *Harness) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for page := 1; ; page++ {
		status, body, raw := h.Do("GET", fmt.Sprintf("/crm/v8/Leads?fields=Last_Name,Company,Email&per_page=200&page=%d", page), nil, s.token)
		if status == http.StatusNoContent {
			return out
		}
		if status != http.StatusOK {
			t.Fatalf("list: %d %s", status, raw)
		}
		for _, it := range body["data"].([]any) {
			r := it.(map[string]any)
			id := r["id"].(string)
			if out[id] != nil {
				t.Fatalf("Lead %s listed twice", id)
			}
			out[id] = r
		}
		if body["info"].(map[string]any)["more_records"] != true {
			return out
		}
	}
}

// verify checks the database after the soak against what the drivers did.
func (s *soak) verify(t *testing.T, binAPI int, live map[string]map[string]any) {
	t.Helper()
	st := openStore(t, s.db)
	rows := s.rows(t, st)
	org, _ := crmd.ParseID(s.orgID)

	// Inserts that were in flight at a kill may have committed: they are the live records named
	// Ins… that the test does not know yet. Each name must appear once.
	tried := map[string]bool{}
	for _, n := range s.insertTried {
		tried[n] = true
	}
	known := map[string]string{}
	for id, r := range s.recs {
		known[r.name] = id
	}
	names := map[string]string{}
	for id, f := range live {
		name, _ := f["Last_Name"].(string)
		if other, dup := names[name]; dup {
			t.Fatalf("Leads %s and %s are both named %s: an insert applied twice", id, other, name)
		}
		names[name] = id
		if s.recs[id] == nil {
			if !tried[name] || f["Company"] != "inserted" {
				t.Fatalf("live Lead %s (%v) was never inserted by the test", id, f)
			}
			s.recs[id] = &soakRec{idx: -1, slice: -2, name: name, company: "inserted"}
		}
	}
	for n := range s.inserted {
		if _, ok := names[n]; !ok {
			t.Fatalf("the acknowledged insert %s is not live", n)
		}
	}

	// Every record is in the database, in the state its history says, but the purged rows the test aged
	// out, which the retention_drop jobs removed.
	if len(rows) != len(s.recs)-len(s.droppedAged) {
		t.Fatalf("%d Leads in the database, %d made by the test (seeded and inserted) less %d aged-out purged rows", len(rows), len(s.recs), len(s.droppedAged))
	}
	jobOf := map[int]int64{}
	for slice, j := range s.jobs {
		id, _ := crmd.ParseID(j)
		jobOf[slice] = int64(id)
	}
	var nLive, nBin, nPurged, nDropped, jobDeleted int
	perJob := map[int64]int{}
	for id, r := range s.recs {
		row, ok := rows[id]
		if !ok && s.droppedAged[id] {
			// Purged, then dropped: it counts as its job's deletion all the same.
			if job, scheduled := jobOf[r.slice]; r.slice >= 0 && scheduled {
				perJob[job]++
				jobDeleted++
			}
			nDropped++
			continue
		}
		if !ok {
			t.Fatalf("Lead %s (%s) is gone from the database", id, r.name)
		}
		if s.droppedAged[id] {
			t.Fatalf("Lead %s: its purged row, aged out, was not dropped", id)
		}
		job, scheduled := jobOf[r.slice]
		deletedByJob := r.slice >= 0 && scheduled
		deleted := deletedByJob || s.idDeleted[id]
		switch {
		case row.purged != 0:
			nPurged++
			if (!s.purged[id] && !s.aged[id]) || !deleted {
				t.Fatalf("Lead %s purged, but the test purged it %v, aged it %v, deleted it %v", id, s.purged[id], s.aged[id], deleted)
			}
		case row.deleted != 0:
			nBin++
			if !deleted || s.restored[id] || s.purged[id] || s.aged[id] {
				t.Fatalf("Lead %s in the bin; deleted %v, restored %v, purged %v, aged out %v", id, deleted, s.restored[id], s.purged[id], s.aged[id])
			}
		default:
			nLive++
			if deleted && !s.restored[id] {
				t.Fatalf("Lead %s (%s) is live, but was deleted and never restored", id, r.name)
			}
			f := live[id]
			if f == nil || f["Last_Name"] != r.name || f["Company"] != r.company || (r.email != "" && f["Email"] != r.email) {
				t.Fatalf("Lead %s came back as %v, want %s/%s/%s", id, f, r.name, r.company, r.email)
			}
		}
		if deletedByJob {
			if row.deleted != 0 && row.job != job {
				t.Fatalf("Lead %s of slice %d deleted by job %d, want %d", id, r.slice, row.job, job)
			}
			// A job's deletion shows as delete_job_id, which a restore clears.
			if row.deleted != 0 || s.restored[id] {
				perJob[job]++
				jobDeleted++
			}
		} else if row.job != 0 {
			t.Fatalf("Lead %s, of no job, carries delete_job_id %d", id, row.job)
		}
	}
	for slice, j := range s.jobs {
		jid, _ := crmd.ParseID(j)
		jb, err := st.Job(context.Background(), org, jid)
		if err != nil {
			t.Fatal(err)
		}
		if jb.Status != "COMPLETED" || jb.DeletedCount+jb.FailedCount != jb.TotalCount || int64(perJob[int64(jid)]) != jb.DeletedCount {
			t.Fatalf("slice %d job %s: %s, %d deleted + %d failed of %d; %d records deleted by it in the database",
				slice, j, jb.Status, jb.DeletedCount, jb.FailedCount, jb.TotalCount, perJob[int64(jid)])
		}
	}
	deleted := jobDeleted + len(s.idDeleted)
	if want := deleted - len(s.restored) - len(s.purged) - len(s.aged); nBin != want || binAPI != want {
		t.Fatalf("recycle bin: %d in the database, %d by the API; want deleted %d − restored %d − purged %d − purged by retention %d = %d",
			nBin, binAPI, deleted, len(s.restored), len(s.purged), len(s.aged), want)
	}
	if len(live) != nLive || nLive+nBin+nPurged+nDropped != len(s.recs) {
		t.Fatalf("%d live (%d listed) + %d in the bin + %d purged + %d dropped ≠ %d seeded and inserted", nLive, len(live), nBin, nPurged, nDropped, len(s.recs))
	}
	s.verifyJobs(t, st)
	t.Logf("final: %d Leads (%d inserted during the soak): %d live, %d in the bin, %d purged (%d through the API, %d by retention); %d deleted by %d jobs, %d by ids, %d restored",
		len(s.recs), len(s.recs)-len(s.pool)-s.slices*s.perSlice, nLive, nBin, nPurged, len(s.purged), len(s.aged), jobDeleted, len(s.jobs), len(s.idDeleted), len(s.restored))
}
