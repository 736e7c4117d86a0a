package bench

// What the bench measures on one org: the deletes by ids, the jobs, the other clients.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// benchRun starts the server on the org's database and runs the plan: the id calls, then the jobs in
// order, with the other clients' load during the jobs marked so; with baseline, the other clients first
// run alone.
func (m *runner) benchRun(ctx context.Context, bin string, o *benchOrg, baseline bool, problems *[]string) (*orgResult, error) {
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
		fmt.Fprintf(m.log, "crmd bench: %d mass deletes of %d ids: p50 %s\n", len(o.idSets), len(o.idSets[0]), fmtMS(percentile(res.ids, 0.5)))
	}

	// (2) The jobs, one after another.
	for k, job := range o.jobs {
		name := fmt.Sprintf("bench %d #%d", job.size, k+1)
		cvid, err := createView(ctx, c, name, rangeCriteria(job))
		if err != nil {
			return nil, err
		}
		var load *benchLoad
		if job.load {
			load = startBenchLoad(ctx, c, o.spare)
		}
		start := time.Now()
		status, body, err := c.do(ctx, "POST", "/crm/v8/Leads/actions/mass_delete", map[string]any{"cvid": cvid})
		accepted := time.Now()
		if err != nil {
			load.stop(&res.load)
			return nil, err
		}
		jobID := jobIDOf(body)
		if status != http.StatusOK || jobID == "" {
			load.stop(&res.load)
			return nil, fmt.Errorf("bench: scheduling the job of view %q: HTTP %d %v", name, status, body)
		}
		js, err := waitJob(ctx, c, jobID)
		if err != nil {
			load.stop(&res.load)
			return nil, err
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
		fmt.Fprintf(m.log, "crmd bench: %d-Lead org: job of %d%s: accepted in %s, completed in %s\n",
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
