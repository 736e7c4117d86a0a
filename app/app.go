// Package app is the one place that assembles crmd: on an open store it builds the services, the HTTP
// surface that calls them and the background workers (the job runner, which runs mass delete jobs and
// the recycle bin's bulk work, and the recycle bin's retention purge). `crmd serve`, the tests and anything embedding crmd start it the same way:
//
//	a := app.New(st, app.Config{BaseURL: …})
//	go a.Run(ctx)                  // the workers, until ctx ends
//	http.Serve(ln, a.Handler)      // the Zoho API
package app

import (
	"context"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/api"
	"github.com/crmd/crmd/audit"
	"github.com/crmd/crmd/console"
	"github.com/crmd/crmd/jobs"
	"github.com/crmd/crmd/massdelete"
	"github.com/crmd/crmd/metadata"
	"github.com/crmd/crmd/notify"
	"github.com/crmd/crmd/oauth"
	"github.com/crmd/crmd/records"
	"github.com/crmd/crmd/recyclebin"
	"github.com/crmd/crmd/snapshots"
	"github.com/crmd/crmd/store"
	"github.com/crmd/crmd/territories"
	"github.com/crmd/crmd/views"
	"github.com/crmd/crmd/webhook"
	"github.com/prometheus/client_golang/prometheus"
)

// Config is what crmd is configured with beyond its database; zero values take the defaults.
type Config struct {
	// BaseURL is the public base URL of the server, the api_domain of every token.
	BaseURL string
	// API holds the HTTP surface's settings (body limit, API limits).
	API api.Config
	// MassDelete holds the mass delete limits and the one-job lock; Runner the job runner's pacing.
	MassDelete massdelete.Settings
	Runner     jobs.Config
	// QueryTimeout bounds the database work of one request and of one job batch (0 = none); see
	// api.Config.QueryTimeout.
	QueryTimeout time.Duration
	// Notify is how notifications are delivered (webhook.Config): the SSRF guard, timeouts, retries.
	Notify webhook.Config
	// RecycleRetention is how long deleted records stay restorable (recyclebin.DefaultRetention when 0).
	RecycleRetention time.Duration
	// Logger receives the request log and the workers' lines (slog.Default when nil).
	Logger *slog.Logger
	// Registry receives the metrics served at /metrics (a private registry when nil).
	Registry *prometheus.Registry
}

// App is crmd assembled on one store.
type App struct {
	Store       *store.Store
	Auth        *oauth.Server
	Metadata    *metadata.Service
	Views       *views.Service
	Territories *territories.Service
	Records     *records.Service
	RecycleBin  *recyclebin.Service
	MassDelete  *massdelete.Service
	Jobs        *jobs.Service
	Audit       *audit.Service
	Snapshots   *snapshots.Service
	Notify      *notify.Service
	// Handler serves the Zoho API, the accounts endpoints and the operational endpoints, and the web
	// console under /console/; API is the API alone, Console the console alone.
	Handler http.Handler
	API     *api.Server
	Console *console.Handler

	runner    *jobs.Runner
	hub       *jobs.Hub
	deliverer *webhook.Deliverer
	purger    *recyclebin.Purger
	log       *slog.Logger
}

// New assembles crmd on st.
func New(st *store.Store, cfg Config) *App {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	a := &App{Store: st, log: log}
	a.Auth = &oauth.Server{Store: st, BaseURL: cfg.BaseURL, Logger: log}
	a.Metadata = metadata.New(st)
	a.Views = views.New(st)
	a.Territories = territories.New(st)
	a.Records = records.New(st, a.Views, a.Territories)
	a.RecycleBin = recyclebin.New(st)
	a.MassDelete = massdelete.New(st, a.Views, a.Territories, cfg.MassDelete)
	// The hub carries each batch's progress from this process's runner to the events streams.
	hub := jobs.NewHub()
	a.hub = hub
	a.Jobs = jobs.NewService(st, hub)
	a.Audit = audit.New(st)
	a.Snapshots = snapshots.New(st)
	a.Notify = notify.New(st)
	apiCfg := cfg.API
	if apiCfg.QueryTimeout == 0 {
		apiCfg.QueryTimeout = cfg.QueryTimeout
	}
	if cfg.Runner.BatchTimeout == 0 {
		cfg.Runner.BatchTimeout = cfg.QueryTimeout
	}
	// Either setting lets notify_url name private addresses: the API's check and the dialler's agree.
	cfg.Notify.AllowPrivate = cfg.Notify.AllowPrivate || apiCfg.NotifyAllowPrivate
	apiCfg.NotifyAllowPrivate = cfg.Notify.AllowPrivate
	if apiCfg.Now == nil {
		apiCfg.Now = func() time.Time { return st.Now() }
	}
	reg := cfg.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	watchWriteTx(st, reg, log)
	if apiCfg.ControlToken != "" && apiCfg.Clock == nil {
		// The control API moves time for everything that reads the store's clock: token expiry, the
		// recycle bin's retention, the Recently Created/Modified views, job timestamps, the API limits.
		apiCfg.Clock = crmd.NewVirtualClock()
		st.Now = apiCfg.Clock.Now
	}
	// One runner runs every kind of job: mass delete, the recycle bin's bulk work and retention, index
	// builds.
	a.runner = jobs.New(st, cfg.Runner, log)
	a.API = api.New(apiCfg, api.Services{
		Auth: a.Auth, Metadata: a.Metadata, Records: a.Records, Views: a.Views, Territories: a.Territories,
		RecycleBin: a.RecycleBin, MassDelete: a.MassDelete, Jobs: a.Jobs, Audit: a.Audit, Ping: st.Ping,
		Runner: a.runner, Snapshots: a.Snapshots, Notify: a.Notify,
	}, log, reg)
	a.Console = console.New(console.Config{Auth: a.Auth, API: a.API, BaseURL: cfg.BaseURL, Logger: log})
	a.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A plain prefix test rather than a ServeMux: a mux would clean and redirect the API's paths.
		if r.URL.Path == "/console" || r.URL.Path == console.AuthPath || strings.HasPrefix(r.URL.Path, console.Prefix) {
			if r.URL.Path == "/console" {
				http.Redirect(w, r, console.Prefix, http.StatusMovedPermanently)
				return
			}
			a.Console.ServeHTTP(w, r)
			return
		}
		a.API.ServeHTTP(w, r)
	})
	a.runner.Notify(hub)
	a.MassDelete.Attach(a.runner)
	a.RecycleBin.Attach(a.runner)
	a.Views.Attach(a.runner)
	// The deliverer POSTs the outbox's notifications; a commit that wrote some wakes it at once.
	a.deliverer = webhook.New(st, cfg.Notify, api.CallbackEncoder(cfg.BaseURL), log)
	watchDeliveries(st, a.deliverer, reg)
	prevNotice := st.OnNotice
	st.OnNotice = func() {
		a.deliverer.Kick()
		if prevNotice != nil {
			prevNotice()
		}
	}
	a.purger = recyclebin.NewPurger(st, cfg.RecycleRetention, log)
	a.purger.Attach(a.runner)
	return a
}

// Runner is the app's job runner (tests drive it step by step).
func (a *App) Runner() *jobs.Runner { return a.runner }

// Deliverer is the app's notification deliverer (tests drive it step by step).
func (a *App) Deliverer() *webhook.Deliverer { return a.deliverer }

// Purger is the app's recycle bin retention purge.
func (a *App) Purger() *recyclebin.Purger { return a.purger }

// Run runs the background workers until ctx ends — the job runner, the retention scheduler, the
// notification deliverer, SQLite's checkpointer, the hourly refresh of the planner's statistics and, on
// PostgreSQL, the listener that follows other processes' jobs for the events
// streams — then returns once each has finished the batch it was in (one transaction each), so that
// the store may be closed.
func (a *App) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { a.runner.Run(ctx) })
	wg.Go(func() { a.purger.Run(ctx) })
	wg.Go(func() { a.checkpoint(ctx) })
	wg.Go(func() { a.optimize(ctx) })
	wg.Go(func() { a.hub.Follow(ctx, a.Store, a.log) })
	wg.Go(func() { a.deliverer.Run(ctx) })
	wg.Wait()
}

// checkpoint copies SQLite's WAL into the database every second, outside any write transaction (see
// store.Options.BackgroundCheckpoint), so that no request's commit pays for it.
// On PostgreSQL Checkpoint does nothing.
func (a *App) checkpoint(ctx context.Context) {
	every(ctx, time.Second, func() {
		if _, err := a.Store.Checkpoint(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("WAL checkpoint", "err", err)
		}
	})
}

// every runs fn every d until ctx ends.
func every(ctx context.Context, d time.Duration, fn func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

// OptimizeEvery is how often Run refreshes the planner's statistics (store.Optimize; crmd serve also
// does once at start). A refresh touches only the tables that changed a lot since the last one, so an
// idle database costs one catalog query.
const OptimizeEvery = time.Hour

// optimize runs store.Optimize every OptimizeEvery: mass deletes, restores and bulk loads change how
// many live rows each index selects, and the planner must see it. Nothing else may be relied on for
// it: SQLite has no background analysis, and PostgreSQL's autovacuum may be off or late.
func (a *App) optimize(ctx context.Context) {
	every(ctx, OptimizeEvery, func() {
		// A busy SQLite write lock only postpones the refresh to the next tick.
		if err := a.Store.Optimize(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("refreshing the planner's statistics", "err", store.ExplainBusy(err))
		}
	})
}

// slowWriteTx is how long a write transaction may hold the database before it is logged.
const slowWriteTx = 100 * time.Millisecond

// txCaller names the functions of crmd's own packages that ran the transaction, innermost first.
func txCaller() string {
	pcs := make([]uintptr, 24)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	var names []string
	for {
		f, more := frames.Next()
		if strings.HasPrefix(f.Function, "github.com/crmd/crmd/") && !strings.Contains(f.Function, "/store.") && !strings.Contains(f.Function, "/app.") {
			names = append(names, strings.TrimPrefix(f.Function, "github.com/crmd/crmd/"))
			if len(names) == 3 {
				break
			}
		}
		if !more {
			break
		}
	}
	return strings.Join(names, " < ")
}

// watchWriteTx publishes how long write transactions hold the database (store.OnWriteTx): a histogram
// crmd_db_write_tx_seconds and the longest seen since start, crmd_db_write_tx_max_seconds. On SQLite a
// write transaction holds the one write lock; these say whether any request or job holds it long.
func watchWriteTx(st *store.Store, reg *prometheus.Registry, log *slog.Logger) {
	hist := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "crmd_db_write_tx_seconds",
		Help:    "How long each write transaction held the database (on SQLite: its write lock), BEGIN to COMMIT or ROLLBACK.",
		Buckets: []float64{.001, .005, .01, .025, .05, .1, .15, .25, .5, 1, 2.5, 5, 10, 30},
	})
	var longest atomic.Int64
	max := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "crmd_db_write_tx_max_seconds",
		Help: "The longest write transaction since the server started, in seconds.",
	}, func() float64 { return time.Duration(longest.Load()).Seconds() })
	if err := reg.Register(hist); err != nil {
		return // a second App on one registry (tests): the first one's metrics stand
	}
	reg.MustRegister(max)
	prev := st.OnWriteTx
	st.OnWriteTx = func(d time.Duration) {
		hist.Observe(d.Seconds())
		if d >= slowWriteTx {
			// Called from the transaction's own goroutine: the stack names who held the database.
			log.Warn("slow write transaction", "ms", d.Milliseconds(), "by", txCaller())
		}
		for {
			cur := longest.Load()
			if int64(d) <= cur || longest.CompareAndSwap(cur, int64(d)) {
				break
			}
		}
		if prev != nil {
			prev(d)
		}
	}
}

// watchDeliveries publishes the deliverer's work: attempts by outcome
// (crmd_notification_attempts_total), each attempt's time (crmd_notification_attempt_seconds) and how
// long after its change each notification was delivered (crmd_notification_lag_seconds), and the
// outbox's backlog, all processes together (crmd_notification_pending).
func watchDeliveries(st *store.Store, d *webhook.Deliverer, reg *prometheus.Registry) {
	attempts := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "crmd_notification_attempts_total",
		Help: "Notification delivery attempts, by outcome (delivered, retry, failed, dropped).",
	}, []string{"outcome"})
	took := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "crmd_notification_attempt_seconds",
		Help:    "How long each notification POST took, connection to answer.",
		Buckets: prometheus.DefBuckets,
	})
	lag := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "crmd_notification_lag_seconds",
		Help:    "How long after the change it reports each notification was delivered.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
	})
	if err := reg.Register(attempts); err != nil {
		return // a second App on one registry (tests): the first one's metrics stand
	}
	pending := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "crmd_notification_pending",
		Help: "Notifications waiting in the outbox for delivery or a retry (all orgs, all processes); -1 when the database did not answer.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := st.PendingNotices(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})
	reg.MustRegister(took, lag, pending)
	d.Observe(func(o webhook.Outcome) {
		attempts.WithLabelValues(o.Result).Inc()
		took.Observe(o.Latency.Seconds())
		if o.Result == "delivered" {
			lag.Observe(o.Lag.Seconds())
		}
	})
}
