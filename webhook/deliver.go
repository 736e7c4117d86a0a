package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/crmd/crmd/store"
)

// Config is how a Deliverer delivers; zero values take the defaults.
type Config struct {
	// AllowPrivate lets callbacks go to loopback, private and link-local addresses (serve
	// --notify-allow-private, for local development). Off, such addresses are refused after DNS
	// resolution, on every connection, redirects included.
	AllowPrivate bool
	// Timeout bounds one attempt, connection to the end of the response (default 10 s);
	// ConnectTimeout the TCP connection alone (default 5 s).
	Timeout, ConnectTimeout time.Duration
	// RetryFor is how long after its change a message is retried before it ends failed (default 24 h,
	// serve --notify-retry-for). Backoff is the first retry's delay, doubled at every attempt up to
	// MaxBackoff (defaults 1 s and 5 min).
	RetryFor, Backoff, MaxBackoff time.Duration
	// Workers is how many channels are delivered to at once (default 8); a channel's own messages go
	// one at a time, in order.
	Workers int
	// Poll is how often the outbox is read when nothing woke the deliverer (default 500 ms): another
	// process's changes, and retries that fall due.
	Poll time.Duration
	// Retain is how long finished messages and their attempts are kept (default 7 days).
	Retain time.Duration
}

// MaxResponse is how much of a subscriber's answer is read (and thrown away): enough to keep the
// connection reusable, never a way to make crmd read without end.
const MaxResponse = 64 << 10

func (c *Config) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Timeout, 10*time.Second)
	def(&c.ConnectTimeout, 5*time.Second)
	def(&c.RetryFor, 24*time.Hour)
	def(&c.Backoff, time.Second)
	def(&c.MaxBackoff, 5*time.Minute)
	def(&c.Poll, 500*time.Millisecond)
	def(&c.Retain, 7*24*time.Hour)
	if c.Workers <= 0 {
		c.Workers = 8
	}
}

// Callback is what a callback tells, as the encoder (package api, which owns Zoho's wire shapes)
// needs it.
type Callback struct {
	ServerTime   int64 // Unix ms
	APIVersion   int   // the version that enabled the channel
	Module       string
	Operation    string
	IDs          []string
	Changes      []store.Changed // per id, for an update
	ChannelID    int64
	Token        string
	NotifyURL    string
	ReturnValues bool
}

// Encoder turns a callback into the JSON body POSTed to its notify_url.
type Encoder func(*Callback) ([]byte, error)

// Outcome is what an attempt came to, for metrics.
type Outcome struct {
	Result  string // delivered | retry | failed | dropped
	Latency time.Duration
	// Lag is how long after its change the message was delivered (for delivered ones).
	Lag time.Duration
}

// Deliverer POSTs the outbox's messages to their channels. Any number of deliverers — one per
// process, replicas included — share one outbox: each message is claimed under a lease by one of them
// at a time.
type Deliverer struct {
	st      *store.Store
	cfg     Config
	encode  Encoder
	log     *slog.Logger
	client  *http.Client
	owner   string
	kick    chan struct{}
	observe func(Outcome)
}

// New returns a deliverer on st that encodes callbacks with encode.
func New(st *store.Store, cfg Config, encode Encoder, log *slog.Logger) *Deliverer {
	cfg.defaults()
	if log == nil {
		log = slog.Default()
	}
	dialer := &net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		// No proxy from the environment: the guard must see the address the request goes to.
		Proxy:                 nil,
		DialContext:           guardedDialer(dialer, cfg.AllowPrivate),
		TLSHandshakeTimeout:   cfg.ConnectTimeout,
		ResponseHeaderTimeout: cfg.Timeout,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	}
	client := &http.Client{
		Transport: tr,
		Timeout:   cfg.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("stopped after 3 redirects")
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("redirect to a %s URL refused", req.URL.Scheme)
			}
			return nil
		},
	}
	b := make([]byte, 6)
	rand.Read(b)
	return &Deliverer{st: st, cfg: cfg, encode: encode, log: log, client: client,
		owner: "deliverer-" + hex.EncodeToString(b), kick: make(chan struct{}, cfg.Workers)}
}

// Observe sets the function told of every attempt's outcome (metrics).
func (d *Deliverer) Observe(f func(Outcome)) { d.observe = f }

// Kick wakes the deliverer's sleeping workers at once: a transaction of this process committed
// notifications (up to one per worker: the messages of one commit may be for several channels).
func (d *Deliverer) Kick() {
	for range d.cfg.Workers {
		select {
		case d.kick <- struct{}{}:
		default:
			return
		}
	}
}

// Run delivers until ctx ends, then returns once the attempts in flight have been recorded. Workers
// work independently, each claiming one message at a time: a slow subscriber holds one worker, never
// the others' channels.
func (d *Deliverer) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range d.cfg.Workers {
		wg.Go(func() { d.work(ctx) })
	}
	wg.Go(func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			d.prune(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	wg.Wait()
}

// runSize is the most messages of one channel a worker takes at once: a channel's backlog is worked
// through in runs, each recorded (and the next run claimed) in one write transaction.
const runSize = 16

// work is one worker of Run: it delivers one message after another while some are due — a channel's
// backlog in runs of its messages, each run recorded together with the claim of the next
// (store.FinishRun) — then sleeps until a commit of this process kicks it or the poll interval has
// passed.
func (d *Deliverer) work(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	var retryAt int64 // the earliest retry this worker scheduled and has not seen come due; 0 = none
	for ctx.Err() == nil {
		now := d.st.Now()
		msgs, err := d.st.ClaimNotices(ctx, d.owner, now.UnixMilli(), d.leaseFrom(now), 1)
		if err != nil && ctx.Err() == nil {
			d.log.Warn("notifications: claim", "err", err)
		}
		if len(msgs) == 1 {
			for run := msgs; len(run) > 0; {
				var at int64
				run, at = d.deliverRun(context.WithoutCancel(ctx), run, ctx.Err() == nil)
				if at != 0 && (retryAt == 0 || at < retryAt) {
					retryAt = at
				}
			}
			continue // more may be due
		}
		// Asleep until a kick, the poll, or the retry this worker scheduled, whichever comes first:
		// a retry sooner than the poll is not made to wait for it.
		wait := d.cfg.Poll
		if retryAt != 0 {
			if until := time.Duration(retryAt-now.UnixMilli()) * time.Millisecond; until < wait {
				wait = max(until, time.Millisecond)
			}
			if retryAt <= now.UnixMilli() {
				retryAt = 0
			}
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
		case <-d.kick:
		case <-t.C:
		}
	}
}

// leaseFrom is the end of a lease taken at now: it outlives the longest attempt, so that only a dead
// deliverer's messages are taken over.
func (d *Deliverer) leaseFrom(now time.Time) int64 {
	return now.Add(2*d.cfg.Timeout + 5*time.Second).UnixMilli()
}

// Step claims up to Workers messages (the oldest due one of as many channels) and delivers them in
// parallel, one attempt each; it returns how many it claimed. Tests drive the deliverer with it.
func (d *Deliverer) Step(ctx context.Context) (int, error) {
	now := d.st.Now()
	msgs, err := d.st.ClaimNotices(ctx, d.owner, now.UnixMilli(), d.leaseFrom(now), d.cfg.Workers)
	if err != nil || len(msgs) == 0 {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, m := range msgs {
		wg.Go(func() { d.deliverRun(context.WithoutCancel(ctx), []*store.Message{m}, false) })
	}
	wg.Wait()
	return len(msgs), nil
}

// deliverRun attempts the messages of run (one channel's, in order) one after the other, stopping at
// the first to be retried — the channel waits behind it — or when the run's lease could not outlast
// one more attempt; records them all in one transaction, giving back the leases of those left; and,
// with chain, claims the channel's next run there, which it returns (nil otherwise), with the time of
// the retry it scheduled (0 for none). It runs to the end even when the deliverer is stopping: an
// attempt made and not recorded would be made again (at-least-once allows it, but a clean shutdown
// should not cause it).
func (d *Deliverer) deliverRun(ctx context.Context, run []*store.Message, chain bool) ([]*store.Message, int64) {
	var done []store.Done
	var release []*store.Message
	var took []time.Duration
	for i, m := range run {
		if i > 0 && d.st.Now().Add(d.cfg.Timeout+5*time.Second).UnixMilli() > m.LeaseUntil {
			release = run[i:]
			break
		}
		dn, latency := d.attempt(ctx, m)
		done, took = append(done, dn), append(took, latency)
		if dn.Status == store.NoticePending {
			release = run[i+1:]
			break
		}
	}
	var c *store.Chain
	if chain {
		now := d.st.Now()
		// One attempt's lease for the whole run: a run of quick answers fits in it many times over, and a
		// slow subscriber's run stops early (above) instead of making a crashed process's messages wait
		// for a long lease.
		c = &store.Chain{Now: now.UnixMilli(), LeaseUntil: d.leaseFrom(now), N: runSize}
	}
	_, next, err := d.st.FinishRun(ctx, done, release, c)
	if err != nil {
		// The leases stay: once they run out the messages are tried again, which at-least-once
		// delivery allows.
		d.log.Warn("notifications: record attempts", "channel", run[0].ChannelID, "message", run[0].ID, "err", err)
		return nil, 0
	}
	var retryAt int64
	if last := done[len(done)-1]; last.Status == store.NoticePending {
		retryAt = last.Next
	}
	if d.observe != nil {
		for i, dn := range done {
			o := Outcome{Result: dn.A.Outcome, Latency: took[i]}
			if dn.Status == store.NoticeDelivered {
				o.Lag = d.st.Now().Sub(time.UnixMilli(dn.M.Created))
			}
			d.observe(o)
		}
	}
	return next, retryAt
}

// attempt makes one attempt at m and says what becomes of it, and how long the POST took.
func (d *Deliverer) attempt(ctx context.Context, m *store.Message) (store.Done, time.Duration) {
	start := d.st.Now()
	dn := store.Done{M: m, A: store.Attempt{Time: start.UnixMilli()}}
	if m.ChannelGone {
		dn.A.Outcome, dn.A.Error, dn.Status = store.NoticeDropped, "the channel was deleted or has expired", store.NoticeDropped
		return dn, 0
	}
	ch := m.Channel
	body, err := d.encode(&Callback{ServerTime: start.UnixMilli(), APIVersion: ch.APIVersion, Module: m.Module,
		Operation: m.Operation, IDs: m.IDs, Changes: m.Changes, ChannelID: m.ChannelID, Token: ch.Token,
		NotifyURL: ch.NotifyURL, ReturnValues: ch.ReturnValues})
	if err != nil {
		dn.A.Outcome, dn.A.Error, dn.Status = store.NoticeFailed, "encode: "+err.Error(), store.NoticeFailed
		return dn, 0
	}
	// The latency is measured on the wall clock: the store's clock may be a test's virtual one.
	began := time.Now()
	code, err := d.post(ctx, ch.NotifyURL, body)
	took := time.Since(began)
	dn.A.LatencyMS, dn.A.StatusCode = took.Milliseconds(), code
	if err == nil && code >= 200 && code < 300 {
		dn.A.Outcome, dn.Status = store.NoticeDelivered, store.NoticeDelivered
		return dn, took
	}
	if err != nil {
		dn.A.Error = err.Error()
	} else {
		dn.A.Error = fmt.Sprintf("the subscriber answered HTTP %d", code)
	}
	next := start.Add(d.backoff(m.Attempt))
	// An address the guard refuses will be refused again: the message fails at once instead of
	// being retried for a day (the channel's later messages are tried, and refused, each in turn).
	if errors.Is(err, errBlocked) || next.Sub(time.UnixMilli(m.Created)) > d.cfg.RetryFor {
		dn.A.Outcome, dn.Status = store.NoticeFailed, store.NoticeFailed
		d.log.Warn("notification given up", "channel", m.ChannelID, "message", m.ID, "attempts", m.Attempt, "err", dn.A.Error)
		return dn, took
	}
	// A retry leaves the channel waiting behind this message.
	dn.A.Outcome, dn.Status, dn.Next = store.AttemptRetry, store.NoticePending, next.UnixMilli()
	return dn, took
}

// backoff is the delay after the attempt-th failed attempt: Backoff doubled each time, at most
// MaxBackoff.
func (d *Deliverer) backoff(attempt int) time.Duration {
	b := d.cfg.Backoff
	for i := 1; i < attempt && b < d.cfg.MaxBackoff; i++ {
		b *= 2
	}
	return min(b, d.cfg.MaxBackoff)
}

// post sends body to rawURL and returns the answer's status. Errors name what failed without the
// URL: a notify_url may carry credentials in its query (Zoho's own example does), which must not end
// up in the deliveries API or the log.
func (d *Deliverer) post(ctx context.Context, rawURL string, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return 0, errors.New("the notify_url is not a valid URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "crmd-notifications")
	resp, err := d.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, MaxResponse))
	return resp.StatusCode, nil
}

// prune removes finished messages and attempts older than Retain (Run calls it once a minute).
func (d *Deliverer) prune(ctx context.Context) {
	now := d.st.Now()
	if _, err := d.st.PruneNotices(ctx, now.Add(-d.cfg.Retain).UnixMilli()); err != nil && ctx.Err() == nil {
		d.log.Warn("notifications: prune", "err", err)
	}
}
