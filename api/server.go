// Package api is crmd's Zoho HTTP surface: version routing, authentication, JSON envelopes and one
// handler file per resource family. Handlers translate HTTP to calls on the services and the store and
// back; they hold no business rules of their own beyond request parsing.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/audit"
	"github.com/crmd/crmd/catalog"
	"github.com/crmd/crmd/jobs"
	"github.com/crmd/crmd/massdelete"
	"github.com/crmd/crmd/metadata"
	"github.com/crmd/crmd/notify"
	"github.com/crmd/crmd/oauth"
	"github.com/crmd/crmd/records"
	"github.com/crmd/crmd/recyclebin"
	"github.com/crmd/crmd/snapshots"
	"github.com/crmd/crmd/territories"
	"github.com/crmd/crmd/views"
	"github.com/prometheus/client_golang/prometheus"
)

// Config holds the settings of the HTTP surface.
type Config struct {
	// MaxBodyBytes caps request bodies; larger ones get 413 (default 8 MiB).
	MaxBodyBytes int64
	// MaxConcurrentPerUser limits a user's calls in flight through one OAuth client (0 = unlimited);
	// CreditsPerDay limits an org's calls over a rolling 24 hours (0 = unlimited). See limits.go.
	MaxConcurrentPerUser, CreditsPerDay int
	// QueryTimeout bounds the database work of one request (0 = none): when it passes, the statement
	// running is cancelled, the request's transaction rolls back, and the client gets QUERY_TIMEOUT.
	QueryTimeout time.Duration
	// EventsHeartbeat is how often an idle events stream (GET /crmd/v1/jobs/{id}/events) sends a
	// comment that keeps it, and the proxies on its way, open (default 15 s).
	EventsHeartbeat time.Duration
	// Now is the clock of the API limits (the store's, so that tests can move it); nil is time.Now.
	Now func() time.Time
	// ControlToken turns the control API on (docs/control.md): its calls must carry it as a Bearer
	// token. Empty: the control API does not exist and nothing is journaled or faulted.
	ControlToken string
	// JournalSize is how many requests the control API's journal keeps (default 200).
	JournalSize int
	// Clock is the virtual clock the control API moves (the store's clock); required with a
	// ControlToken.
	Clock *crmd.VirtualClock
	// NotifyAllowPrivate lets notification channels' notify_url name loopback, private and link-local
	// addresses (serve --notify-allow-private, for local development); see webhook.CheckURL.
	NotifyAllowPrivate bool
}

// Services are what the HTTP surface calls, one per resource family; package app builds them. The
// handlers decode Zoho's requests into the services' typed arguments and encode their typed answers
// in Zoho's shapes, per API version.
type Services struct {
	Auth        *oauth.Server
	Metadata    *metadata.Service
	Records     *records.Service
	Views       *views.Service
	Territories *territories.Service
	RecycleBin  *recyclebin.Service
	MassDelete  *massdelete.Service
	Jobs        *jobs.Service
	Audit       *audit.Service
	// Ping tells whether the database answers (GET /readyz).
	Ping func(ctx context.Context) error
	// Runner is the job runner whose pacing and faults the control API sets (nil: none).
	Runner *jobs.Runner
	// Snapshots takes and restores the control API's database snapshots, and resets.
	Snapshots *snapshots.Service
	// Notify keeps the Notifications API's channels.
	Notify *notify.Service
}

// Server serves the Zoho API. It implements http.Handler.
type Server struct {
	cfg     Config
	svc     Services
	auth    *oauth.Server
	log     *slog.Logger
	rt      router
	metrics *metrics
	limits  *limiter
	ctl     *control // nil unless Config.ControlToken is set

	promHandler http.Handler
}

// New builds the HTTP surface on svc. reg receives the request metrics and is served at /metrics (nil:
// a private registry).
func New(cfg Config, svc Services, log *slog.Logger, reg *prometheus.Registry) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 8 << 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.EventsHeartbeat <= 0 {
		cfg.EventsHeartbeat = defaultEventsHeartbeat
	}
	if log == nil {
		log = slog.Default()
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	s := &Server{cfg: cfg, svc: svc, auth: svc.Auth, log: log, metrics: newMetrics(reg), promHandler: newPromHandler(reg),
		limits: newLimiter(cfg.MaxConcurrentPerUser, cfg.CreditsPerDay, cfg.Now)}
	if cfg.ControlToken != "" {
		if cfg.JournalSize <= 0 {
			cfg.JournalSize = 200
		}
		if cfg.Clock == nil {
			cfg.Clock = crmd.NewVirtualClock()
		}
		s.ctl = &control{token: cfg.ControlToken, journal: newJournal(cfg.JournalSize), clock: cfg.Clock}
	}
	s.routes()
	s.controlRoutes()
	return s
}

// latestVersion is the newest Zoho API version crmd serves (×10): crmd's own API resolves modules as it.
const latestVersion = 80

// versions maps the version path segment to its number ×10 (v2.1 → 21).
var versions = map[string]int{"v2": 20, "v2.1": 21, "v3": 30, "v4": 40, "v5": 50, "v6": 60, "v7": 70, "v8": 80}

// reqCtx is what a handler knows about its request beyond *http.Request.
type reqCtx struct {
	route   string
	params  map[string]string
	version int // ×10; 0 outside /crm/
	caller  *crmd.Caller
	// deadline is the request's query-timeout context (nil without one); fail reads why it ended.
	deadline context.Context
}

// param returns a path parameter.
func (rc *reqCtx) param(name string) string { return rc.params[name] }

// statusRecorder remembers the status a handler wrote, for metrics and logs.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (sr *statusRecorder) WriteHeader(code int) {
	if sr.status == 0 {
		sr.status = code
	}
	sr.ResponseWriter.WriteHeader(code)
}

// Unwrap gives http.ResponseController the connection's writer: streams flush and set write deadlines
// through it.
func (sr *statusRecorder) Unwrap() http.ResponseWriter { return sr.ResponseWriter }

func (sr *statusRecorder) Write(b []byte) (int, error) {
	if sr.status == 0 {
		sr.status = 200
	}
	return sr.ResponseWriter.Write(b)
}

// ServeHTTP routes a request through recovery, the body limit, version checks and authentication.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sr := &statusRecorder{ResponseWriter: w}
	rc := &reqCtx{route: "unmatched"}
	// out is where the answer goes: sr, or — while the control API journals — a writer that keeps the
	// answer's start for the journal too.
	var out http.ResponseWriter = sr
	var reqCap, respCap *capture
	if s.ctl != nil && !isControl(r.URL.Path) {
		reqCap, respCap = &capture{}, &capture{}
		r.Body = &teeBody{ReadCloser: r.Body, c: reqCap}
		out = &journalWriter{statusRecorder: sr, c: respCap}
		defer func() {
			s.ctl.journal.add(entryOf(r, rc, sr.status, start, time.Since(start), reqCap, respCap, sr.Header().Get("Content-Type")))
		}()
	}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.Error("panic", "method", MethodLabel(r.Method), "route", rc.route, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if sr.status == 0 {
				writeError(sr, crmd.ErrInternal())
			}
		}
		elapsed := time.Since(start)
		s.metrics.observe(rc.route, sr.status, elapsed)
		// The URL path is logged, never the query or headers: tokens travel in headers and, for the
		// token endpoint, possibly in the query string. Every field derived from the request is bounded
		// (a fixed method set, the route pattern, a path cut to logPathMax bytes), so that a client
		// cannot make one log line, a metric label or the label set grow with what it sends.
		s.log.Info("request", "method", MethodLabel(r.Method), "path", LogPath(r.URL.Path), "route", rc.route, "status", sr.status, "ms", float64(elapsed.Microseconds())/1000)
	}()
	if s.ctl != nil && !isControl(r.URL.Path) {
		if f := s.ctl.faults.pick(r.Method, r.URL.Path); f != nil {
			rc.route = "fault"
			if f.apply(r.Context(), out) {
				return
			}
		}
	}
	if r.ContentLength > s.cfg.MaxBodyBytes {
		writeError(out, errTooLarge(s.cfg.MaxBodyBytes))
		return
	}
	r.Body = http.MaxBytesReader(sr, r.Body, s.cfg.MaxBodyBytes)

	rt, params := s.rt.match(r.URL.Path)
	if rt == nil {
		writeError(out, crmd.ErrInvalidURL())
		return
	}
	rc.params = params
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	rh, ok := rt.methods[method]
	if !ok {
		rc.route = MethodLabel(r.Method) + " " + rt.pattern
		writeError(out, crmd.ErrInvalidMethod())
		return
	}
	rc.route = method + " " + rt.pattern
	if err := s.serve(out, r, rc, rh); err != nil {
		s.fail(out, r, rc, err)
	}
}

// presetCallerKey carries the caller of ServeAs in a request's context. It is unexported: only Go code
// of this process can set it, never a request from outside.
type presetCallerKey struct{}

// ServeAs serves r exactly as ServeHTTP does — routing, limits, scopes, profiles, every check and
// answer — but as caller c instead of the caller its Authorization header names. The web console
// (package console) calls crmd's API this way for its signed-in user: the same handlers and checks as
// an API client, without a token to keep.
func (s *Server) ServeAs(w http.ResponseWriter, r *http.Request, c *crmd.Caller) {
	s.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), presetCallerKey{}, c)))
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, rc *reqCtx, rh routeHandler) error {
	if s.cfg.QueryTimeout > 0 && !rh.opts.stream {
		// One deadline for everything the request asks of the database, the wait for SQLite's write
		// connection included: a request can hold the database for at most this long.
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.QueryTimeout)
		defer cancel()
		r = r.WithContext(ctx)
		rc.deadline = ctx
	}
	if rh.opts.crm {
		v, ok := versions[rc.param("version")]
		if !ok {
			return crmd.ErrInvalidURL()
		}
		rc.version = v
	}
	if rh.opts.own {
		rc.version = latestVersion
	}
	if rh.opts.control {
		if err := s.checkControl(r); err != nil {
			return err
		}
	}
	if !rh.opts.public {
		if len(r.Header.Values("Authorization")) > 1 {
			// Which of several credentials counts would be this server's guess (Header.Get takes the
			// first, a proxy may take the last): refuse them all, as a garbled header.
			return crmd.E("AUTHENTICATION_FAILURE", crmd.MsgAuthFailed, nil)
		}
		caller, preset := r.Context().Value(presetCallerKey{}).(*crmd.Caller)
		if !preset {
			var err error
			if caller, err = s.auth.Authenticate(r.Context(), r.Header.Get("Authorization")); err != nil {
				return err
			}
		}
		rc.caller = caller
		release, err := s.limits.admit(caller)
		if err != nil {
			return err
		}
		if rh.opts.stream {
			release() // counted as a call, but a stream does not hold a concurrency slot for its lifetime
		} else {
			defer release()
		}
	}
	if rh.opts.minVer > 0 && rc.version < rh.opts.minVer {
		return crmd.E("API_NOT_SUPPORTED", "the API is not supported in this version", crmd.D{"supported_version": rh.opts.minVer / 10})
	}
	if rh.opts.crm {
		if err := checkQueryNUL(r); err != nil {
			return err
		}
	}
	return rh.h(w, r, rc)
}

// MethodLabel is a request method as a metric label or log field: one of the methods HTTP defines, or
// "other". A request line may carry any token as its method (net/http accepts "X00000001SECRETDATA"
// or half a megabyte of letters), and a label made of it would be a new time series kept for ever.
func MethodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}

// logPathMax is the longest URL path a log line carries; longer ones are cut (at a UTF-8 boundary) and
// marked, so a request cannot blow one log line up to the size of its request line.
const logPathMax = 512

// LogPath is the request path as the request log shows it: at most logPathMax bytes.
func LogPath(p string) string {
	if len(p) <= logPathMax {
		return p
	}
	cut := logPathMax
	for cut > 0 && !utf8.RuneStart(p[cut]) {
		cut--
	}
	return p[:cut] + "…(" + strconv.Itoa(len(p)) + " bytes)"
}

// checkQueryNUL refuses a query parameter holding a NUL character: PostgreSQL cannot take NUL in a
// text parameter, so a filter or name carrying one failed there with a 500 while SQLite answered.
// One check here covers every parameter of every CRM route, whatever the handler does with it.
func checkQueryNUL(r *http.Request) error {
	q := r.URL.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		bad := strings.ContainsRune(k, 0)
		for _, v := range q[k] {
			bad = bad || strings.ContainsRune(v, 0)
		}
		if bad {
			return crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"param_name": k})
		}
	}
	return nil
}

// fail answers a handler's error: a *crmd.Error as Zoho's error object, anything else as a logged 500.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, rc *reqCtx, err error) {
	if e, ok := crmd.AsError(err); ok {
		writeError(w, e)
		return
	}
	if rc.deadline != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(rc.deadline.Err(), context.DeadlineExceeded)) {
		// The request's deadline passed: whatever failed (SQLite's interrupted statement, pgx's
		// cancelled query, a wait for the write connection) failed because of it, and rolled back.
		writeError(w, crmd.ErrQueryTimeout(s.cfg.QueryTimeout))
		return
	}
	if errors.Is(err, context.Canceled) {
		// The client went away; nobody reads this answer.
		writeError(w, crmd.E("REQUEST_CANCELLED", "the request was cancelled", nil))
		return
	}
	s.log.Error("internal error", "method", MethodLabel(r.Method), "route", rc.route, "err", err)
	writeError(w, crmd.ErrInternal())
}

// require checks that the caller's token carries a scope that grants need.
func (rc *reqCtx) require(need oauth.Need) error {
	if !oauth.Permits(rc.caller.Scopes, need) {
		return crmd.E("OAUTH_SCOPE_MISMATCH", crmd.MsgScopeMismatch, nil)
	}
	return nil
}

// module resolves the {module} path segment for the records APIs and checks the caller's modules
// scope for op.
func (s *Server) module(ctx context.Context, rc *reqCtx, op string) (*crmd.Module, error) {
	m, err := s.pathModule(ctx, rc, "modules")
	if err != nil {
		return nil, err
	}
	if err := rc.require(oauth.Need{Family: "modules", Resource: m.ScopeToken, Op: op}); err != nil {
		return nil, err
	}
	return m, nil
}

// pathModule resolves the {module} path segment for the caller's org (case-insensitively, D30) and
// refuses modules that do not exist in the request's API version. For an unknown module it checks
// the scope family first (modules, mass_delete …), so that a token without any scope of the family
// learns nothing.
func (s *Server) pathModule(ctx context.Context, rc *reqCtx, family string) (*crmd.Module, error) {
	name := rc.param("module")
	// The API's own path words are never module names (catalog refuses them as names), so such a path
	// is one crmd does not serve rather than an unknown module.
	if catalog.IsReservedModuleName(name) {
		return nil, crmd.ErrInvalidURL()
	}
	m, err := s.svc.Metadata.Module(ctx, rc.caller.Org.ID, name)
	if err != nil {
		return nil, err
	}
	if m == nil || !m.APISupported || (m.MinVersion > 0 && rc.version < m.MinVersion) {
		if !oauth.HasFamily(rc.caller.Scopes, family) {
			return nil, crmd.E("OAUTH_SCOPE_MISMATCH", crmd.MsgScopeMismatch, nil)
		}
		return nil, crmd.ErrInvalidModule()
	}
	return m, nil
}
