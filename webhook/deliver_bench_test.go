package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/app"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/jobs"
	"github.com/crmd/crmd/store"
	"github.com/crmd/crmd/views"
	"github.com/crmd/crmd/webhook"
	"github.com/prometheus/client_golang/prometheus"
)

// benchN is the size of the benchmark's mass delete job: Zoho's largest.
const benchN = 50_000

// rawReceiver is the benchmark's subscriber on 127.0.0.1: it keeps each body with its arrival time
// and answers 200 at once, so that what is measured is crmd's side.
type rawReceiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	bodies   [][]byte
	arrivals []time.Time
}

func newRawReceiver(b *testing.B) *rawReceiver {
	r := &rawReceiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		at := time.Now()
		r.mu.Lock()
		r.bodies = append(r.bodies, body)
		r.arrivals = append(r.arrivals, at)
		r.mu.Unlock()
	}))
	b.Cleanup(r.srv.Close)
	return r
}

func (r *rawReceiver) count() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.bodies) }

// benchScene is a fresh store holding benchN Leads, and crmd assembled on it.
type benchScene struct {
	st    *store.Store
	app   *app.App
	org   *crmdtest.Org
	leads *crmd.Module
	ids   map[string]bool
}

func newBenchScene(b *testing.B) *benchScene {
	st := crmdtest.OpenStore(b)
	s := &benchScene{st: st, ids: map[string]bool{}}
	s.app = app.New(st, app.Config{BaseURL: "http://crmd.test", Notify: webhook.Config{AllowPrivate: true},
		Runner: jobs.Config{BatchSize: jobs.DefaultBatchSize}, Logger: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry()})
	s.org = crmdtest.NewTeam(b, st, "Acme", "UTC")
	s.leads = s.org.Module(b, "Leads")
	ctx := context.Background()
	// Seeded straight through the store, as massdelete's BenchmarkScheduleAndRun50k does: the
	// benchmark is about the deletes.
	err := st.Tx(ctx, func(tx *store.Tx) error {
		first, err := st.AllocIDs(ctx, tx, s.org.Org.ID, benchN)
		if err != nil {
			return err
		}
		recs := make([]crmd.Record, benchN)
		for i := range recs {
			id := first + crmd.ID(i)
			s.ids[id.String()] = true
			recs[i] = crmd.Record{ID: id, OrgID: s.org.Org.ID, ModuleID: s.leads.ID, OwnerID: s.org.Admin.ID, CreatedBy: s.org.Admin.ID,
				ModifiedBy: s.org.Admin.ID, CreatedTime: st.NowMS(), ModifiedTime: st.NowMS(), ApprovalState: "approved",
				Data: []byte(`{"Last_Name":"X"}`)}
		}
		return st.InsertRecords(ctx, tx, recs)
	})
	if err != nil {
		b.Fatal(err)
	}
	// PostgreSQL plans the job's statements from the table's statistics, which a bulk insert into a
	// fresh table leaves empty until autovacuum's next pass; without them each batch's UPDATE
	// scanned the live rows (500 ms a batch at first). crmd serve's database has been analysed by
	// then; the benchmark analyses at once so that both runs measure that state.
	if st.Dialect == store.Postgres {
		if _, err := st.W.ExecContext(ctx, `ANALYZE`); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

// runJob schedules the mass delete of every Lead (the All view) and runs it to its end; it returns
// the time from scheduling to the last batch's commit.
func (s *benchScene) runJob(b *testing.B) time.Duration {
	ctx := context.Background()
	c := s.org.Caller(s.org.Admin)
	vs, err := views.New(s.st).Views(ctx, c, s.leads)
	if err != nil {
		b.Fatal(err)
	}
	var all crmd.ID
	for _, v := range vs {
		if v.SystemName == "ALLVIEWS" {
			all = v.ID
		}
	}
	start := time.Now()
	job, err := s.app.MassDelete.Schedule(ctx, c, s.leads, all, nil)
	if err != nil {
		b.Fatal(err)
	}
	for {
		worked, err := s.app.Runner().RunOnce(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if !worked {
			break
		}
	}
	took := time.Since(start)
	if j, err := s.st.Job(ctx, s.org.Org.ID, job); err != nil || j.DeletedCount != benchN {
		b.Fatalf("job %+v %v", j, err)
	}
	return took
}

func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

// BenchmarkDeliveryDuringJob50k measures notification delivery while a 50,000-record mass delete job
// runs: one channel watching Leads.delete, a receiver on 127.0.0.1, the app's deliverer running
// beside the job runner (as in crmd serve).
//
// Lag is the callback's arrival at the receiver minus its outbox message's created_time: the time the
// batch's transaction stamped its deletes with (store.Change.At, taken inside the transaction just
// before its commit). It therefore includes the rest of that batch's transaction and its commit, the
// wait in the outbox, and the POST itself. server_time is not used: it is the attempt's time.
// deliveries/s and ids/s count from the job's scheduling to the last callback's arrival.
//
// Beside it, measured in the same run on fresh stores of the same size: the job with no channel (its
// time alone), and a bare HTTP POST loop sending the same bodies, one at a time as a channel's
// messages go, to the same receiver (raw deliveries/s).
func BenchmarkDeliveryDuringJob50k(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		// Floor 1: the job alone.
		bare := newBenchScene(b)
		jobAlone := bare.runJob(b)

		// The job with one channel and the deliverer running.
		s := newBenchScene(b)
		rcv := newRawReceiver(b)
		ch := &crmd.Channel{OrgID: s.org.Org.ID, ChannelID: 1, NotifyURL: rcv.srv.URL + "/hook", Token: "t",
			Expiry: s.st.Now().Add(time.Hour).UnixMilli(), APIVersion: 80, CreatedBy: s.org.Admin.ID,
			CreatedTime: s.st.NowMS(), ModifiedTime: s.st.NowMS(),
			Events: []crmd.ChannelEvent{{ModuleID: s.leads.ID, Operation: crmd.EventDelete}}}
		if err := s.st.Tx(context.Background(), func(tx *store.Tx) error { return s.st.SaveChannel(context.Background(), tx, ch) }); err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); s.app.Deliverer().Run(ctx) }()
		b.StartTimer()
		start := time.Now()
		jobWith := s.runJob(b)
		want := benchN / store.NoticeMaxIDs
		deadline := time.Now().Add(5 * time.Minute)
		for rcv.count() < want {
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d callbacks after 5 min", rcv.count(), want)
			}
			time.Sleep(time.Millisecond)
		}
		rcv.mu.Lock()
		last := rcv.arrivals[len(rcv.arrivals)-1]
		rcv.mu.Unlock()
		total := last.Sub(start)
		b.StopTimer()
		cancel()
		<-done

		// Every deleted id exactly once, and each callback's lag from its message's created_time.
		created := map[string]int64{} // first id of a message → created_time
		rows, err := s.st.R.Query(`SELECT ids, created_time FROM notify_outbox`)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			var idsJSON string
			var at int64
			if err := rows.Scan(&idsJSON, &at); err != nil {
				b.Fatal(err)
			}
			var ids []string
			json.Unmarshal([]byte(idsJSON), &ids)
			created[ids[0]] = at
		}
		rows.Close()
		seen := map[string]bool{}
		var lags []float64
		for k, body := range rcv.bodies {
			var cb struct{ IDs []string }
			if err := json.Unmarshal(body, &cb); err != nil || len(cb.IDs) == 0 {
				b.Fatalf("callback %s: %v", body, err)
			}
			for _, id := range cb.IDs {
				if seen[id] || !s.ids[id] {
					b.Fatalf("id %s told twice or never deleted", id)
				}
				seen[id] = true
			}
			lags = append(lags, float64(rcv.arrivals[k].UnixMilli()-created[cb.IDs[0]]))
		}
		if len(seen) != benchN {
			b.Fatalf("%d ids told, want %d", len(seen), benchN)
		}
		slices.Sort(lags)

		// Floor 2: the same bodies POSTed one after another by a bare client to the same receiver.
		bodies := slices.Clone(rcv.bodies)
		client := &http.Client{Timeout: 10 * time.Second}
		rawStart := time.Now()
		for _, body := range bodies {
			resp, err := client.Post(rcv.srv.URL+"/hook", "application/json", bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		raw := time.Since(rawStart)

		perSec := func(n int, d time.Duration) float64 { return float64(n) / d.Seconds() }
		b.ReportMetric(percentile(lags, 0.50), "lag-p50-ms")
		b.ReportMetric(percentile(lags, 0.99), "lag-p99-ms")
		b.ReportMetric(perSec(len(bodies), total), "deliveries/s")
		b.ReportMetric(perSec(benchN, total), "ids/s")
		b.ReportMetric(float64(jobWith.Milliseconds()), "ms-job-with-channel")
		b.ReportMetric(float64(jobAlone.Milliseconds()), "ms-job-alone")
		b.ReportMetric(perSec(len(bodies), raw), "raw-deliveries/s")
		// Nine lines at most: the testing package truncates a benchmark's log beyond ten.
		b.Logf("delivery during a %d-record job on %s: %d callbacks of <= %d ids\n"+
			"%-40s %10.0f   %-28s %8.0f\n"+
			"%-40s %10.0f   %-28s %8.0f\n"+
			"%-40s %10d   %-28s %8d\n"+
			"%-40s %10d\n"+
			"%-40s %10.0f   %-28s %8.0f",
			benchN, s.st.Dialect, len(bodies), store.NoticeMaxIDs,
			"lag p50 ms (arrival - created_time)", percentile(lags, 0.50), "lag p99 ms", percentile(lags, 0.99),
			"deliveries/s (schedule to last)", perSec(len(bodies), total), "ids/s", perSec(benchN, total),
			"job ms with channel + deliverer", jobWith.Milliseconds(), "job ms alone (floor)", jobAlone.Milliseconds(),
			"schedule to last callback ms", total.Milliseconds(),
			"raw POST loop deliveries/s (floor)", perSec(len(bodies), raw), "raw POST loop ids/s", perSec(benchN, raw))
	}
}
