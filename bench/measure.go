package bench

// What the bench measures on one org: the deletes by ids, the jobs, the other clients, the floors.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// session is one run of the server on an org's database, and the client that talks to it.
type session struct {
	srv *benchServer
	c   *benchClient
}

func (m *runner) startSession(ctx context.Context, bin string, o *benchOrg) (*session, error) {
	srv, err := startBenchServer(ctx, bin, o.db)
	if err != nil {
		return nil, err
	}
	c := &benchClient{base: srv.baseURL, token: o.token, http: &http.Client{Timeout: 2 * time.Minute,
		Transport: &http.Transport{MaxIdleConnsPerHost: 16, DisableCompression: true}}}
	return &session{srv: srv, c: c}, nil
}

// stop reads the server's longest write transaction and peak RSS into res, then stops it.
func (s *session) stop(ctx context.Context, res *orgResult) error {
	if _, d, err := txMetrics(ctx, s.srv.baseURL); err == nil {
		res.txMax = max(res.txMax, d)
	}
	res.rssKiB = max(res.rssKiB, peakRSS(s.srv.cmd.Process.Pid))
	return s.srv.stop()
}

// idCalls sends one mass delete by ids per set and returns each call's latency.
func idCalls(ctx context.Context, c *benchClient, sets [][]string, what string, problem func(string, ...any)) ([]time.Duration, error) {
	var out []time.Duration
	for k, ids := range sets {
		start := time.Now()
		status, body, err := c.do(ctx, "POST", "/crm/v8/Leads/actions/mass_delete", map[string]any{"ids": ids})
		d := time.Since(start)
		if err != nil {
			return nil, err
		}
		if status != http.StatusOK {
			problem("%s id call %d: HTTP %d %v", what, k+1, status, body)
		} else if n := successes(body); n != len(ids) {
			problem("%s id call %d: %d of %d ids deleted", what, k+1, n, len(ids))
		}
		out = append(out, d)
	}
	return out, nil
}

// successes counts the SUCCESS entries of a per-item answer.
func successes(body map[string]any) int {
	n := 0
	data, _ := body["data"].([]any)
	for _, e := range data {
		if m, _ := e.(map[string]any); m != nil && m["code"] == "SUCCESS" {
			n++
		}
	}
	return n
}

// runJob schedules the mass delete of a planned job's view, waits for it to end and checks its counts
// against the plan's.
func (m *runner) runJob(ctx context.Context, c *benchClient, o *benchOrg, job benchJob, load *benchLoad, res *orgResult, problem func(string, ...any)) error {
	start := time.Now()
	status, body, err := c.do(ctx, "POST", "/crm/v8/Leads/actions/mass_delete", map[string]any{"cvid": job.cvid})
	accepted := time.Now()
	if err != nil {
		load.stop(&res.load)
		return err
	}
	jobID := jobIDOf(body)
	if status != http.StatusOK || jobID == "" {
		load.stop(&res.load)
		return fmt.Errorf("bench: scheduling the job of view %s: HTTP %d %v", job.cvid, status, body)
	}
	js, err := waitJob(ctx, c, jobID)
	if err != nil {
		load.stop(&res.load)
		return err
	}
	done := time.Now()
	load.stop(&res.load)
	total := jsonInt(js["Total_Count"])
	if js["Status"] != "COMPLETED" || total != job.count || jsonInt(js["Deleted_Count"]) != job.count {
		problem("job of view %s (%d Leads planned): %v", job.cvid, job.count, js)
	}
	res.jobs = append(res.jobs, jobResult{size: job.size, load: job.load, scattered: job.scattered, total: total,
		accept: accepted.Sub(start), duration: done.Sub(accepted)})
	kind := "contiguous"
	if job.scattered {
		kind = "scattered"
	}
	under := ""
	if job.load {
		under = " (under load)"
	}
	fmt.Fprintf(m.log, "crmd bench: %d-Lead org: %s job of %d%s: accepted in %s, completed in %s\n",
		o.leads, kind, total, under, fmtMS(accepted.Sub(start)), fmtMS(done.Sub(accepted)))
	return nil
}

// mainRun measures the main org, alternating crmd's measurements with their floors (see plan.go for
// the order): a server session for the crmd side, the server stopped for the floor side, so that both
// see the table in nearly the same state and nothing else writes while the floor runs.
func (m *runner) mainRun(ctx context.Context, bin string, o *benchOrg, c *Config, problems *[]string) (*orgResult, error) {
	res := &orgResult{leads: o.leads, engine: o.engine, seedRate: o.seedRate}
	problem := func(format string, args ...any) {
		*problems = append(*problems, fmt.Sprintf("%d-Lead org: ", o.leads)+fmt.Sprintf(format, args...))
	}
	// st runs the floor as a program on the driver's defaults does, SQLite's automatic WAL checkpoint
	// running inside the commit that fills the WAL; bare runs it without (the checkpoint after each
	// transaction, untimed), as crmd serve does, which checkpoints in the background.
	st, err := store.Open(ctx, o.db)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	bare, err := store.OpenWith(ctx, o.db, store.Options{BackgroundCheckpoint: true})
	if err != nil {
		return nil, err
	}
	defer bare.Close()
	root, err := st.EnsureRootTerritory(ctx, o.orgID)
	if err != nil {
		return nil, err
	}

	// Session 0: the territories, through the API, and every view the jobs use, whose fields' indexes
	// are built before anything is measured.
	s, err := m.startSession(ctx, bin, o)
	if err != nil {
		return nil, err
	}
	terr, err := createTerritories(ctx, s.c, root.ID)
	if err != nil {
		s.srv.stop()
		return nil, err
	}
	for k := range o.scattered {
		if o.scattered[k].cvid, err = createView(ctx, s.c, fmt.Sprintf("bench scattered #%d", k+1), scatteredCriteria(o.scattered[k])); err != nil {
			s.srv.stop()
			return nil, err
		}
	}
	for k := range o.jobs {
		if o.jobs[k].cvid, err = createView(ctx, s.c, fmt.Sprintf("bench contiguous %d #%d", o.jobs[k].size, k+1), rangeCriteria(o.jobs[k])); err != nil {
			s.srv.stop()
			return nil, err
		}
	}
	// SQLite's side indexes are jobs; PostgreSQL's expression index (Lead_Source) is built in the
	// background by the server: the jobs measured below must not scan the JSON meanwhile.
	if err := waitIndexes(ctx, st, o, 60*time.Minute, 100*time.Millisecond); err != nil {
		s.srv.stop()
		return nil, err
	}
	if err := s.stop(ctx, res); err != nil {
		return nil, err
	}

	// The territories' selections, in process, the server stopped.
	if res.terr, err = m.territoryRun(ctx, st, o, terr); err != nil {
		return nil, err
	}
	if t := res.terr; t.count != t.want || t.viewCount != t.viewWnt {
		problem("territory West and its children selected %d Leads (want %d), ∩ the scattered view %d (want %d)", t.count, t.want, t.viewCount, t.viewWnt)
	}

	// The scattered jobs and the random id calls, each block followed by its floor.
	for r := 0; r < c.Repeat; r++ {
		lo, hi := r*c.IDCalls/c.Repeat, (r+1)*c.IDCalls/c.Repeat
		s, err := m.startSession(ctx, bin, o)
		if err != nil {
			return nil, err
		}
		ds, err := idCalls(ctx, s.c, o.randomSets[lo:hi], "random", problem)
		if err != nil {
			s.srv.stop()
			return nil, err
		}
		res.idsRandom = append(res.idsRandom, ds...)
		if err := m.runJob(ctx, s.c, o, o.scattered[r], nil, res, problem); err != nil {
			s.srv.stop()
			return nil, err
		}
		if err := s.stop(ctx, res); err != nil {
			return nil, err
		}
		// What the server left in the WAL is not the floor's to copy.
		if _, err := st.Checkpoint(ctx); err != nil {
			return nil, err
		}
		floorIDs := func(sets [][]crmd.ID, st *store.Store, checkpoint bool, into *[]time.Duration) error {
			for _, ids := range sets {
				d, err := floorDelete(ctx, st, o, ids, 0, checkpoint)
				if err != nil {
					return err
				}
				*into = append(*into, d)
			}
			return nil
		}
		floorJob := func(job []crmd.ID, st *store.Store, checkpoint bool) (time.Duration, error) {
			var all time.Duration
			for i := 0; i < len(job); i += floorBatch {
				d, err := floorDelete(ctx, st, o, job[i:min(i+floorBatch, len(job))], 1, checkpoint)
				if err != nil {
					return 0, err
				}
				all += d
			}
			return all, nil
		}
		if err := floorIDs(o.floorSets[lo:hi], st, false, &res.idsFloor); err != nil {
			return nil, err
		}
		if err := floorIDs(o.floorSetsTx[lo:hi], bare, true, &res.idsFloorTx); err != nil {
			return nil, err
		}
		all, err := floorJob(o.floorJobs[r], st, false)
		if err != nil {
			return nil, err
		}
		tx, err := floorJob(o.floorJobsTx[r], bare, true)
		if err != nil {
			return nil, err
		}
		job := o.floorJobs[r]
		res.floorJobs = append(res.floorJobs, all)
		res.floorJobsTx = append(res.floorJobsTx, tx)
		res.floorSize = append(res.floorSize, len(job))
		fmt.Fprintf(m.log, "crmd bench: floor: %d random ids p50 %s (%s without the checkpoint); job of %d random ids in batches of %d: %s (%s)\n",
			c.IDBatch, fmtMS(percentile(res.idsFloor, 0.5)), fmtMS(percentile(res.idsFloorTx, 0.5)), len(job), floorBatch, fmtMS(all), fmtMS(tx))
	}

	// The last session: the other clients alone (their baseline), then during the scattered job under
	// load; the contiguous id calls; the contiguous jobs.
	s, err = m.startSession(ctx, bin, o)
	if err != nil {
		return nil, err
	}
	defer func() {
		if s != nil {
			s.srv.stop()
		}
	}()
	load := startBenchLoad(ctx, s.c, o.spare)
	time.Sleep(benchIdleLoad)
	load.stop(&res.idle)
	if err := m.runJob(ctx, s.c, o, o.scattered[len(o.scattered)-1], startBenchLoad(ctx, s.c, o.spare), res, problem); err != nil {
		return nil, err
	}
	if res.ids, err = idCalls(ctx, s.c, o.idSets, "contiguous", problem); err != nil {
		return nil, err
	}
	fmt.Fprintf(m.log, "crmd bench: mass deletes of %d ids: random p50 %s (floor %s), contiguous p50 %s\n", c.IDBatch,
		fmtMS(percentile(res.idsRandom, 0.5)), fmtMS(percentile(res.idsFloor, 0.5)), fmtMS(percentile(res.ids, 0.5)))
	for _, job := range o.jobs {
		if err := m.runJob(ctx, s.c, o, job, nil, res, problem); err != nil {
			return nil, err
		}
	}
	err = s.stop(ctx, res)
	s = nil
	return res, err
}

// floorBatch is the size of a job's batch: the floor of a job deletes its ids in batches of this many,
// one transaction each, as the job runner does.
const floorBatch = 500

// floorDelete times one floor transaction of ids; with checkpoint, a WAL checkpoint runs after it,
// untimed (SQLite; nothing on PostgreSQL).
func floorDelete(ctx context.Context, st *store.Store, o *benchOrg, ids []crmd.ID, jobID crmd.ID, checkpoint bool) (time.Duration, error) {
	start := time.Now()
	if err := st.FloorSoftDelete(ctx, o.orgID, o.module.ID, ids, st.NowMS(), o.adminID, jobID); err != nil {
		return 0, err
	}
	d := time.Since(start)
	if checkpoint {
		if _, err := st.Checkpoint(ctx); err != nil {
			return 0, err
		}
	}
	return d, nil
}

// smallRun measures the small org's contiguous jobs.
func (m *runner) smallRun(ctx context.Context, bin string, o *benchOrg, problems *[]string) (*orgResult, error) {
	res := &orgResult{leads: o.leads, engine: o.engine, seedRate: o.seedRate}
	problem := func(format string, args ...any) {
		*problems = append(*problems, fmt.Sprintf("%d-Lead org: ", o.leads)+fmt.Sprintf(format, args...))
	}
	s, err := m.startSession(ctx, bin, o)
	if err != nil {
		return nil, err
	}
	for k := range o.jobs {
		if o.jobs[k].cvid, err = createView(ctx, s.c, fmt.Sprintf("bench %d #%d", o.jobs[k].size, k+1), rangeCriteria(o.jobs[k])); err != nil {
			s.srv.stop()
			return nil, err
		}
		if err := m.runJob(ctx, s.c, o, o.jobs[k], nil, res, problem); err != nil {
			s.srv.stop()
			return nil, err
		}
	}
	return res, s.stop(ctx, res)
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

// waitIndexes waits until the index of the views' Lead_Source is ready: SQLite builds it as a job (of
// kind index), PostgreSQL in the background of the server (CONCURRENTLY). What is measured after it
// must not scan the JSON meanwhile.
func waitIndexes(ctx context.Context, st *store.Store, o *benchOrg, timeout, poll time.Duration) error {
	source := o.module.Field("Lead_Source")
	return waitUntil(ctx, timeout, poll, func() (bool, error) {
		n, err := st.CountUnfinishedJobs(ctx, o.orgID, crmd.JobIndexBuild)
		if err != nil || n > 0 || source == nil {
			return n == 0, err
		}
		return st.FieldIndexReady(ctx, source)
	})
}
