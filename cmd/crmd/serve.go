package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/crmd/crmd/admin"
	"github.com/crmd/crmd/api"
	"github.com/crmd/crmd/app"
	"github.com/crmd/crmd/fixtures"
	"github.com/crmd/crmd/massdelete"
	"github.com/crmd/crmd/oauth"
	"github.com/crmd/crmd/store"
	"github.com/crmd/crmd/webhook"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// bootstrapScope is what the first-start admin token may do: everything crmd serves.
const bootstrapScope = "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.users.ALL,ZohoCRM.org.ALL,ZohoCRM.mass_delete.ALL,ZohoCRM.bulk.ALL,ZohoCRM.coql.READ,ZohoCRM.notifications.ALL"

// bootstrapTTL is the lifetime of the first-start access token.
const bootstrapTTL = 24 * time.Hour

// shutdownGrace is how long in-flight requests may run on after SIGTERM.
const shutdownGrace = 30 * time.Second

// ServeConfig is everything `crmd serve` is configured with. The mass-delete settings are read by the
// mass delete service, its job runner and the recycle bin's purge; the request limits by the API.
type ServeConfig struct {
	Addr         string // listen address, host:port; port 0 picks a free port
	DB           string // database: a SQLite file path or a postgres:// URL
	BaseURL      string // public base URL; empty derives it from the listening address
	NoBootstrap  bool   // skip creating the default org and token on an empty database
	Fixtures     string // a fixture file applied on an empty database instead of the bootstrap
	MaxBodyBytes int64  // request body limit (413 beyond)
	LogLevel     string // debug | info | warn | error

	JobBatchSize          int           // records per mass-delete job batch (one transaction each)
	JobBatchDelay         time.Duration // pause between job batches
	JobLease              time.Duration // a job claim's lease; 0 = max(30s, 3×JobBatchDelay)
	MassDeleteLock        string        // org | module | view: the scope of "one cvid job at a time"
	MassDeleteIDLimit     int           // most distinct ids one mass delete by ids may name
	MassDeleteViewLimit   int           // most records one mass delete by cvid may select
	MassDeleteEditionGate bool          // refuse mass delete by cvid as editions without scheduled mass operations do
	RecycleRetention      time.Duration // how long deleted records stay restorable
	MaxConcurrentPerUser  int           // concurrent requests per user; 0 = unlimited
	CreditsPerDay         int           // API requests per org per 24 h; 0 = unlimited
	ControlToken          string        // turns the control API on (docs/control.md); "" = off
	JournalSize           int           // requests the control API's journal keeps
	QueryTimeout          time.Duration // longest database work of one request or job batch
	NotifyAllowPrivate    bool          // notify_url may name loopback, private and link-local addresses
	NotifyRetryFor        time.Duration // how long a notification is retried before it ends failed
	NotifyTimeout         time.Duration // longest notification POST
	NotifyBackoff         time.Duration // first retry's delay, doubled at every attempt

	// The HTTP server's timeouts, so that a slow or stalled client cannot hold a connection for ever.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
}

// validate checks the settings and canonicalises the enumerations.
func (c *ServeConfig) validate() error {
	if c.MaxBodyBytes <= 0 {
		return usageErrorf("invalid --max-body-bytes %d: want a positive number of bytes", c.MaxBodyBytes)
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return err
	}
	if c.JobBatchSize < 1 {
		return usageErrorf("invalid --job-batch-size %d: want at least 1", c.JobBatchSize)
	}
	if c.JobBatchDelay < 0 {
		return usageErrorf("invalid --job-batch-delay %s: want 0s or more", c.JobBatchDelay)
	}
	// Below a second a lease could run out between a batch's claim and its commit on a busy machine,
	// and two processes would take turns on one job for nothing.
	if c.JobLease != 0 && c.JobLease < time.Second {
		return usageErrorf("invalid --job-lease %s: want 0 (the default) or at least 1s", c.JobLease)
	}
	switch l := strings.ToLower(strings.TrimSpace(c.MassDeleteLock)); l {
	case "org", "module", "view":
		c.MassDeleteLock = l
	default:
		return usageErrorf("invalid --mass-delete-lock %q: want org, module or view", c.MassDeleteLock)
	}
	if c.MassDeleteIDLimit < 1 {
		return usageErrorf("invalid --mass-delete-id-limit %d: want at least 1", c.MassDeleteIDLimit)
	}
	if c.MassDeleteViewLimit < 1 {
		return usageErrorf("invalid --mass-delete-view-limit %d: want at least 1", c.MassDeleteViewLimit)
	}
	if c.RecycleRetention < time.Hour {
		return usageErrorf("invalid --recycle-retention %s: want at least 1h", c.RecycleRetention)
	}
	if c.MaxConcurrentPerUser < 0 {
		return usageErrorf("invalid --max-concurrent-per-user %d: want 0 (off) or more", c.MaxConcurrentPerUser)
	}
	if c.CreditsPerDay < 0 {
		return usageErrorf("invalid --credits-per-day %d: want 0 (off) or more", c.CreditsPerDay)
	}
	if c.ControlToken != "" && (len(c.ControlToken) < 8 || strings.ContainsAny(c.ControlToken, " \t\r\n")) {
		return usageErrorf("invalid --control-token: want at least 8 characters and no spaces")
	}
	if c.NotifyRetryFor < time.Second {
		return usageErrorf("invalid --notify-retry-for %s: want at least 1s", c.NotifyRetryFor)
	}
	if c.NotifyTimeout < 100*time.Millisecond {
		return usageErrorf("invalid --notify-timeout %s: want at least 100ms", c.NotifyTimeout)
	}
	if c.NotifyBackoff < 10*time.Millisecond {
		return usageErrorf("invalid --notify-backoff %s: want at least 10ms", c.NotifyBackoff)
	}
	if c.JournalSize < 1 || c.JournalSize > 100000 {
		return usageErrorf("invalid --journal-size %d: want 1 to 100000", c.JournalSize)
	}
	if c.QueryTimeout < time.Millisecond {
		return usageErrorf("invalid --query-timeout %s: want at least 1ms", c.QueryTimeout)
	}
	for _, t := range []struct {
		name string
		d    time.Duration
	}{{"read-header-timeout", c.ReadHeaderTimeout}, {"read-timeout", c.ReadTimeout}, {"write-timeout", c.WriteTimeout}, {"idle-timeout", c.IdleTimeout}} {
		if t.d < time.Second {
			return usageErrorf("invalid --%s %s: want at least 1s", t.name, t.d)
		}
	}
	if c.BaseURL != "" && !strings.HasPrefix(c.BaseURL, "http://") && !strings.HasPrefix(c.BaseURL, "https://") {
		return usageErrorf("invalid --base-url %q: want an http:// or https:// URL", c.BaseURL)
	}
	return nil
}

// jobLease is the runner's lease: --job-lease, or by default one that outlives several batch pauses,
// so that a slow demo job is not taken over by another process while this one merely waits.
func (c *ServeConfig) jobLease() time.Duration {
	if c.JobLease > 0 {
		return c.JobLease
	}
	return max(massdelete.DefaultLease, 3*c.JobBatchDelay)
}

func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "info", "":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, usageErrorf("invalid --log-level %q: want debug, info, warn or error", s)
}

var serveCmd = &command{
	name:     "serve",
	synopsis: "[--addr 127.0.0.1:8080] [--db ./crmd.db] [--base-url http://127.0.0.1:8080] [flags]",
	summary:  "serve the Zoho CRM API",
	details: `Serves the Zoho CRM REST API (/crm/{v2…v8}/…), the OAuth endpoints (/oauth/v2/token, /oauth/v2/token/revoke),
/healthz, /readyz and /metrics (Prometheus), crmd's own API (/crmd/v1) and the web console (/console/;
sign in with a link from 'crmd console-link'), from the database, creating and migrating it as needed.

On an empty database (no org yet), unless --no-bootstrap is given, it creates the default org (name
"crmd", admin admin@crmd.local, Zoho's standard modules, one OAuth client) and prints to stdout, once:
the org id, the client id and secret, and an admin access token valid 24 h with its refresh token,
as an "export TOKEN=…" line to paste into a shell and a curl command that shows the org. Later starts print no token: mint more with 'crmd token'.

Then it prints "crmd listening on <base-url>" to stdout. Logs are JSON lines on stderr; tokens are never
logged. SIGTERM or SIGINT stops accepting connections, lets in-flight requests finish (up to 30 s),
closes the database and exits 0.

Mass delete: a call by ids deletes at most --mass-delete-id-limit records at once; a call by cvid
schedules a job for at most --mass-delete-view-limit records (refused altogether with
--mass-delete-edition-gate, as Zoho does in editions without scheduled mass operations), and only one
job runs at a time per org, module or view (--mass-delete-lock). The server runs jobs in batches of
--job-batch-size records, one transaction each, pausing --job-batch-delay between batches; on SIGTERM
it finishes the batch in progress and a later start resumes the job where it stopped. A runner holds a
job under a lease (--job-lease; by default the longer of 30 s and 3 × --job-batch-delay) renewed by every
batch: after a crash, another process (or the restarted one) takes the job over once the lease runs out.

Deleted records stay in the recycle bin, restorable, for --recycle-retention (60 days); a background
purge then deletes them for good, in batches.

Zoho's API limits are off unless set: --max-concurrent-per-user N answers 429 TOO_MANY_REQUESTS ("The
concurrency limit of the user for the app is exceeded") to a user's call while N of their calls through
the same OAuth client are in flight; --credits-per-day N answers 429 ("Number of API requests for the 24
hour period is exceeded") once an org has made N calls in the last 24 hours. Both are counted by each
server process in memory (per replica; a restart forgets them); refused calls count for nothing.
No request holds the database for long: --query-timeout (30 s) bounds the database work of one request,
and of one job batch; a statement still running then is cancelled (on PostgreSQL statement_timeout is
also set, one second longer, as a backstop), its transaction rolls back, and the client gets 503
QUERY_TIMEOUT, nothing written.
For test suites, --control-token T (or CRMD_CONTROL_TOKEN) turns on the control API under
/crmd/v1/control/, called with "Authorization: Bearer T": forced faults and delays, a journal of the last
--journal-size requests (secrets redacted), a virtual clock, and the job pacing and API limits changed at
run time (docs/control.md). Without it those paths do not exist.
The timeouts (--read-header-timeout, --read-timeout, --write-timeout, --idle-timeout) bound how long a
client may take to send a request, to read the answer, and to keep an idle connection.`,
	define: func(fs *flag.FlagSet, m *Main) func(context.Context) error {
		var c ServeConfig
		fs.StringVar(&c.Addr, "addr", defaultAddr, "address to listen on, host:port (port 0 picks a free port)")
		fs.StringVar(&c.DB, "db", defaultDB, dbUsage)
		fs.StringVar(&c.BaseURL, "base-url", "", `public base URL of this server, the api_domain of tokens: an http:// or https:// URL (default "http://" + the listening address)`)
		fs.BoolVar(&c.NoBootstrap, "no-bootstrap", false, "on an empty database, do not create the default org nor print a token")
		fs.StringVar(&c.Fixtures, "fixtures", "", "a fixture file (docs/fixtures.md) applied on an empty database instead of the default org; checked before the server listens")
		fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", 8<<20, "largest request body accepted, in bytes (at least 1); larger ones get 413 REQUEST_ENTITY_TOO_LARGE")
		fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
		fs.IntVar(&c.JobBatchSize, "job-batch-size", 500, "mass-delete job runner: records deleted per batch, one transaction each (at least 1)")
		fs.DurationVar(&c.JobBatchDelay, "job-batch-delay", 0, "mass-delete job runner: pause between batches (0s or more), for demos and deterministic client tests")
		fs.DurationVar(&c.JobLease, "job-lease", 0, "mass-delete job runner: how long a job's claim holds without a batch renewing it, i.e. how soon another process resumes a crashed one's job (0 = max(30s, 3 × --job-batch-delay); at least 1s)")
		fs.StringVar(&c.MassDeleteLock, "mass-delete-lock", "org", "mass-delete job runner: one scheduled or running cvid job per org, module or view (org, module or view)")
		fs.IntVar(&c.MassDeleteIDLimit, "mass-delete-id-limit", massdelete.DefaultIDLimit, "mass delete: most distinct ids one call may name, LIMIT_EXCEEDED beyond (at least 1)")
		fs.IntVar(&c.MassDeleteViewLimit, "mass-delete-view-limit", massdelete.DefaultViewLimit, "mass delete: most records one cvid call may select, LIMIT_EXCEEDED beyond (at least 1)")
		fs.BoolVar(&c.MassDeleteEditionGate, "mass-delete-edition-gate", false, "mass delete: refuse cvid calls with FEATURE_NOT_SUPPORTED, as Zoho editions without scheduled mass operations do")
		fs.DurationVar(&c.RecycleRetention, "recycle-retention", 1440*time.Hour, "how long deleted records stay in the recycle bin, restorable, before they are purged (at least 1h)")
		fs.IntVar(&c.MaxConcurrentPerUser, "max-concurrent-per-user", 0, "request limits: concurrent API requests per user, beyond which 429 (0 = off)")
		fs.IntVar(&c.CreditsPerDay, "credits-per-day", 0, "request limits: API requests per org per 24 hours, beyond which 429 (0 = off)")
		fs.StringVar(&c.ControlToken, "control-token", "", "turns on the control API under /crmd/v1/control/ (faults, request journal, clock, run-time settings), called with Authorization: Bearer <token> (docs/control.md); off when empty")
		fs.IntVar(&c.JournalSize, "journal-size", 200, "control API: how many requests the request journal keeps (1 to 100000)")
		fs.DurationVar(&c.QueryTimeout, "query-timeout", 30*time.Second, "longest database work of one request or one job batch: longer is cancelled, rolled back and answered 503 QUERY_TIMEOUT (at least 1ms)")
		fs.BoolVar(&c.NotifyAllowPrivate, "notify-allow-private", false, "notifications: let notify_url name loopback, private and link-local addresses, for local development (off: refused, also after DNS resolution and redirects, against SSRF)")
		fs.DurationVar(&c.NotifyRetryFor, "notify-retry-for", 24*time.Hour, "notifications: how long after its change a notification is retried, with backoff, before it ends failed (at least 1s)")
		fs.DurationVar(&c.NotifyTimeout, "notify-timeout", 10*time.Second, "notifications: longest POST to a notify_url, connection to answer (at least 100ms)")
		fs.DurationVar(&c.NotifyBackoff, "notify-backoff", time.Second, "notifications: delay before the first retry, doubled at every attempt up to 5m (at least 10ms)")
		fs.DurationVar(&c.ReadHeaderTimeout, "read-header-timeout", 10*time.Second, "HTTP: longest time to read a request's headers (at least 1s)")
		fs.DurationVar(&c.ReadTimeout, "read-timeout", 60*time.Second, "HTTP: longest time to read a whole request, body included (at least 1s)")
		fs.DurationVar(&c.WriteTimeout, "write-timeout", 120*time.Second, "HTTP: longest time from the end of a request's headers to the end of its answer (at least 1s)")
		fs.DurationVar(&c.IdleTimeout, "idle-timeout", 120*time.Second, "HTTP: how long an idle keep-alive connection stays open (at least 1s)")
		return func(ctx context.Context) error {
			if err := c.validate(); err != nil {
				return err
			}
			return m.serve(ctx, c)
		}
	},
}

// serve runs the server until ctx is cancelled, then shuts it down gracefully.
func (m *Main) serve(ctx context.Context, c ServeConfig) error {
	level, _ := parseLevel(c.LogLevel)
	logger := slog.New(slog.NewJSONHandler(m.Stderr, &slog.HandlerOptions{Level: level}))

	var fx *fixtures.File
	if c.Fixtures != "" {
		// A bad fixture file stops the start before anything is opened or written.
		var err error
		if fx, err = readFixture(c.Fixtures); err != nil {
			return err
		}
	}
	st, err := store.OpenWith(ctx, c.DB, store.Options{QueryTimeout: c.QueryTimeout, BackgroundCheckpoint: true})
	if err != nil {
		return err
	}
	closeStore := func() {
		if err := st.Close(); err != nil {
			logger.Error("closing the database", "err", err)
		}
	}
	// Fresh planner statistics keep view selections on their field indexes. Refreshing them is also the
	// first write of the start: a database crmd may not write fails here, before anything listens. A
	// start that cannot take the write lock in time (another process holds it) serves without them.
	if err := st.Optimize(ctx); store.IsBusy(err) {
		logger.Warn("refreshing the planner's statistics failed; serving without", "err", store.ExplainBusy(err))
	} else if err != nil {
		closeStore()
		return err
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		closeStore()
		return err
	}
	baseURL := strings.TrimRight(c.BaseURL, "/")
	if baseURL == "" {
		baseURL = listenBaseURL(c.Addr, ln.Addr())
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a := app.New(st, app.Config{
		BaseURL: baseURL,
		API: api.Config{MaxBodyBytes: c.MaxBodyBytes, MaxConcurrentPerUser: c.MaxConcurrentPerUser, CreditsPerDay: c.CreditsPerDay,
			ControlToken: c.ControlToken, JournalSize: c.JournalSize},
		MassDelete: massdelete.Settings{
			IDLimit: c.MassDeleteIDLimit, ViewLimit: c.MassDeleteViewLimit, EditionGate: c.MassDeleteEditionGate, Lock: c.MassDeleteLock,
		},
		Runner:           massdelete.RunnerConfig{BatchSize: c.JobBatchSize, BatchDelay: c.JobBatchDelay, Lease: c.jobLease()},
		RecycleRetention: c.RecycleRetention,
		Notify: webhook.Config{AllowPrivate: c.NotifyAllowPrivate, RetryFor: c.NotifyRetryFor, Timeout: c.NotifyTimeout,
			Backoff: c.NotifyBackoff},
		QueryTimeout: c.QueryTimeout,
		Logger:       logger,
		Registry:     reg,
	})

	fresh := false // this process made the database's first state (fixtures or the default org)
	if fx != nil {
		fresh, err = applyServeFixtures(ctx, st, fx, logger)
	} else if !c.NoBootstrap {
		fresh, err = m.bootstrap(ctx, st, a.Auth, baseURL, c.DB, logger)
	}
	if err == nil && c.ControlToken != "" {
		// The state POST /crmd/v1/control/reset returns to.
		err = a.Snapshots.TakeStart(ctx, fresh)
	}
	if err != nil {
		ln.Close()
		closeStore()
		return err
	}

	runCtx, stopRunner := context.WithCancel(context.Background())
	defer stopRunner()
	// The job runner and the recycle bin's retention purge work in the background; both finish their
	// current batch (one transaction each) before the store closes.
	var background sync.WaitGroup
	background.Go(func() { a.Run(runCtx) })
	srv := &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: c.ReadHeaderTimeout,
		ReadTimeout:       c.ReadTimeout,
		WriteTimeout:      c.WriteTimeout,
		IdleTimeout:       c.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("listening", "addr", ln.Addr().String(), "base_url", baseURL, "db", store.RedactDSN(c.DB),
		"job_batch_size", c.JobBatchSize, "job_batch_delay", c.JobBatchDelay.String(), "job_lease", c.jobLease().String(), "mass_delete_lock", c.MassDeleteLock,
		"mass_delete_id_limit", c.MassDeleteIDLimit, "mass_delete_view_limit", c.MassDeleteViewLimit, "mass_delete_edition_gate", c.MassDeleteEditionGate,
		"recycle_retention", c.RecycleRetention.String(), "max_concurrent_per_user", c.MaxConcurrentPerUser,
		"credits_per_day", c.CreditsPerDay, "query_timeout", c.QueryTimeout.String(), "max_body_bytes", c.MaxBodyBytes,
		"control_api", c.ControlToken != "", "notify_allow_private", c.NotifyAllowPrivate, "notify_retry_for", c.NotifyRetryFor.String())
	fmt.Fprintf(m.Stdout, "crmd listening on %s\n", baseURL)

	select {
	case err := <-errc:
		stopRunner()
		background.Wait()
		closeStore()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing in-flight requests and the current job batch", "grace", shutdownGrace.String())
	// The runner finishes its batch while the HTTP server drains; both end before the store closes.
	stopRunner()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		logger.Error("graceful shutdown did not finish; closing remaining connections", "err", err)
		srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Error("serve", "err", err)
	}
	background.Wait()
	closeStore()
	logger.Info("stopped")
	return nil
}

// listenBaseURL derives the public base URL from the --addr given and the address actually bound:
// the port is the real one when --addr asked for port 0, and a wildcard host becomes 127.0.0.1.
func listenBaseURL(addr string, bound net.Addr) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		host, port = "", ""
	}
	if tcp, ok := bound.(*net.TCPAddr); ok && (port == "" || port == "0") {
		port = strconv.Itoa(tcp.Port)
	}
	switch host {
	case "", "0.0.0.0", "::", "[::]":
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// bootstrap creates, on a database without any org, the default org and prints its admin token once.
func (m *Main) bootstrap(ctx context.Context, st *store.Store, auth *oauth.Server, baseURL, db string, logger *slog.Logger) (created bool, err error) {
	n, err := st.CountOrgs(ctx)
	if err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	org, err := admin.CreateOrg(ctx, st, defaultOrgName, defaultAdminEmail, true)
	if errors.Is(err, admin.ErrOrgsExist) {
		return false, nil // another process bootstrapped this database first
	}
	if err != nil {
		return false, fmt.Errorf("bootstrap: %w", err)
	}
	tr, err := auth.IssueForUser(ctx, org.ClientID, org.Org.ID, org.Admin.ID, bootstrapScope, bootstrapTTL, true)
	if err != nil {
		return false, fmt.Errorf("bootstrap token: %w", err)
	}
	logger.Info("bootstrap: created the default org", "org", org.Org.ID.String(), "admin", org.Admin.Email)
	printBootstrap(m.Stdout, org, tr, baseURL, store.RedactDSN(db))
	return true, nil
}

// printBootstrap writes the first-start notice. Tests and scripts find the token in the export line.
// Every value printed inside a command is shell-quoted where it needs to be: a PostgreSQL DSN holds ?
// and &, which zsh and bash would otherwise take as a glob and a background job.
func printBootstrap(w io.Writer, n *admin.NewOrg, tr *oauth.TokenResponse, baseURL, db string) {
	fmt.Fprintf(w, `crmd: empty database: created the default org. This is shown only once; keep what you need.
  org id:         %s
  admin email:    %s
  client id:      %s
  client secret:  %s
  access token:   %s
                  (user %s, valid 24 h, scopes %s)
  refresh token:  %s
                  (never expires; exchange it at %s/oauth/v2/token for new access tokens)
Mint more tokens with: crmd token --db %s --email %s --scope ZohoCRM.modules.ALL
Try it:
export TOKEN=%s
curl -H "Authorization: Zoho-oauthtoken $TOKEN" %s
`, n.Org.ID, n.Admin.Email, n.ClientID, n.ClientSecret, tr.AccessToken, n.Admin.Email, bootstrapScope,
		tr.RefreshToken, baseURL, shellQuote(db), shellQuote(n.Admin.Email), shellQuote(tr.AccessToken), shellQuote(baseURL+"/crm/v8/org"))
}

// shellQuote returns s as one word for POSIX shells (bash, zsh, sh): unchanged when it holds only
// characters no shell treats specially, else in single quotes.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:@%+,-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
