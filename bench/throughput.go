package bench

// Throughput: throughputClients clients, each sending mass deletes of --id-batch random live ids
// (disjoint between clients) without pause for --throughput, spread round-robin over --replicas
// servers on the same database. It says how many records a second crmd deletes when callers queue,
// not how fast one call is.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/crmd/crmd/store"
)

// throughputResult is the throughput run's measurement.
type throughputResult struct {
	replicas  int
	clients   int
	deleted   int           // records the calls deleted
	elapsed   time.Duration // from the first call to the last answer
	calls     []time.Duration
	failed    int // calls that failed or deleted fewer than their ids
	exhausted int // clients that ran out of ids before the end
	txMax     time.Duration
	rssKiB    int64
}

func (r *throughputResult) perSecond() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.deleted) / r.elapsed.Seconds()
}

func (m *runner) throughputRun(ctx context.Context, bin string, o *benchOrg, c *Config, problems *[]string) (*throughputResult, error) {
	res := &throughputResult{replicas: c.Replicas, clients: throughputClients}
	// The live Leads as they are now (the other clients' inserts included), shuffled, one share each.
	st, err := store.Open(ctx, o.db)
	if err != nil {
		return nil, err
	}
	live, err := st.LiveRecordTimes(ctx, o.orgID, o.module.ID)
	st.Close()
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(live))
	for i, r := range live {
		ids[i] = r.ID.String()
	}
	rng := rand.New(rand.NewPCG(o.seed, 0x7b9))
	rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	share := len(ids) / throughputClients
	if share < c.IDBatch {
		return nil, fmt.Errorf("bench: %d live Leads are too few for %d throughput clients of %d ids a call", len(ids), throughputClients, c.IDBatch)
	}

	var servers []*benchServer
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	for range c.Replicas {
		s, err := startBenchServer(ctx, bin, o.db)
		if err != nil {
			return nil, err
		}
		servers = append(servers, s)
	}
	hc := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: throughputClients, DisableCompression: true}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var why []string
	tctx, cancel := context.WithTimeout(ctx, c.Throughput)
	defer cancel()
	start := time.Now()
	var last time.Time
	for k := range throughputClients {
		cl := &benchClient{base: servers[k%len(servers)].baseURL, token: o.token, http: hc}
		mine := ids[k*share : (k+1)*share]
		wg.Go(func() {
			for off := 0; ; off += c.IDBatch {
				if tctx.Err() != nil {
					return
				}
				if off+c.IDBatch > len(mine) {
					mu.Lock()
					res.exhausted++
					mu.Unlock()
					return
				}
				batch := mine[off : off+c.IDBatch]
				t0 := time.Now()
				// The call runs to its end even when the duration ends during it: it is counted.
				status, body, err := cl.do(ctx, "POST", "/crm/v8/Leads/actions/mass_delete", map[string]any{"ids": batch})
				d := time.Since(t0)
				n := successes(body)
				mu.Lock()
				res.calls = append(res.calls, d)
				res.deleted += n
				if end := t0.Add(d); end.After(last) {
					last = end
				}
				if err != nil || status != http.StatusOK || n != len(batch) {
					res.failed++
					if len(why) < 3 {
						why = append(why, fmt.Sprintf("HTTP %d, %d of %d deleted, %v", status, n, len(batch), err))
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.elapsed = last.Sub(start)
	for _, s := range servers {
		if _, d, err := txMetrics(ctx, s.baseURL); err == nil {
			res.txMax = max(res.txMax, d)
		}
		res.rssKiB = max(res.rssKiB, peakRSS(s.cmd.Process.Pid))
	}
	for _, s := range servers {
		if err := s.stop(); err != nil {
			servers = nil
			return nil, err
		}
	}
	servers = nil
	for _, w := range why {
		*problems = append(*problems, "throughput: "+w)
	}
	if res.exhausted > 0 {
		fmt.Fprintf(m.log, "crmd bench: throughput: %d of %d clients ran out of ids before %s (raise --leads for a full run)\n", res.exhausted, throughputClients, c.Throughput)
	}
	fmt.Fprintf(m.log, "crmd bench: throughput, %d clients over %d server(s): %d records in %s, %.0f records/s, calls p50 %s p99 %s\n",
		throughputClients, res.replicas, res.deleted, fmtMS(res.elapsed), res.perSecond(),
		fmtMS(percentile(res.calls, 0.5)), fmtMS(percentile(res.calls, 0.99)))
	return res, nil
}
