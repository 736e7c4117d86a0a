package api

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/crmd/crmd"
)

// Zoho's API limits, off unless configured (crmd serve --max-concurrent-per-user, --credits-per-day), so
// that clients can be tested against the 429 answers they will meet in production:
//   - concurrency: calls of one user through one OAuth app (client) in flight at once;
//   - credits: calls of one org over a rolling 24 hours, one credit each.
//
// Both are counted in this process's memory: behind a load balancer each replica applies the limits to
// the calls it serves, and a restart forgets the credits spent. A call refused with 429 spends nothing,
// and a call that fails authentication is not counted (it never reaches the limits).

// Zoho's messages for the two 429s (docs/auth.md#api-limits).
const (
	MsgConcurrencyExceeded = "The concurrency limit of the user for the app is exceeded"
	MsgCreditsExceeded     = "Number of API requests for the 24 hour period is exceeded"
)

// creditBuckets is how many minute buckets the rolling 24-hour window keeps.
const creditBuckets = 24 * 60

type limiter struct {
	// The limits in force (0 = unlimited); the control API changes them at run time (set).
	maxConcurrent atomic.Int64
	creditsPerDay atomic.Int64
	now           func() time.Time

	mu       sync.Mutex
	inflight map[inflightKey]int
	credits  map[crmd.ID]*creditWindow
}

type inflightKey struct {
	user   crmd.ID
	client string
}

// creditWindow counts an org's calls per minute over the last 24 hours, in a ring of minute buckets.
type creditWindow struct {
	counts [creditBuckets]int
	last   int64 // the minute (Unix time / 60) of the latest call counted
	total  int   // the sum of counts
}

func newLimiter(maxConcurrent, creditsPerDay int, now func() time.Time) *limiter {
	l := &limiter{now: now, inflight: map[inflightKey]int{}, credits: map[crmd.ID]*creditWindow{}}
	l.set(maxConcurrent, creditsPerDay)
	return l
}

// set changes the limits from the next call on (negative: keep the current one). Calls in flight keep
// the slot they hold, and the credits already spent stay counted.
func (l *limiter) set(maxConcurrent, creditsPerDay int) {
	if maxConcurrent >= 0 {
		l.maxConcurrent.Store(int64(maxConcurrent))
	}
	if creditsPerDay >= 0 {
		l.creditsPerDay.Store(int64(creditsPerDay))
	}
}

// limits are the limits in force.
func (l *limiter) limits() (maxConcurrent, creditsPerDay int) {
	return int(l.maxConcurrent.Load()), int(l.creditsPerDay.Load())
}

// admit counts a call of c against the limits. On success the caller must call release when the call
// is answered; on a 429 nothing was counted.
func (l *limiter) admit(c *crmd.Caller) (release func(), err error) {
	maxConcurrent, creditsPerDay := l.limits()
	if maxConcurrent <= 0 && creditsPerDay <= 0 {
		return func() {}, nil
	}
	key := inflightKey{c.User.ID, c.ClientID}
	l.mu.Lock()
	defer l.mu.Unlock()
	if maxConcurrent > 0 && l.inflight[key] >= maxConcurrent {
		return nil, crmd.E("TOO_MANY_REQUESTS", MsgConcurrencyExceeded, nil)
	}
	if creditsPerDay > 0 {
		w := l.credits[c.Org.ID]
		if w == nil {
			w = &creditWindow{}
			l.credits[c.Org.ID] = w
		}
		minute := l.now().Unix() / 60
		w.advance(minute)
		if w.total >= creditsPerDay {
			return nil, crmd.E("TOO_MANY_REQUESTS", MsgCreditsExceeded, nil)
		}
		w.counts[w.last%creditBuckets]++
		w.total++
	}
	if maxConcurrent <= 0 {
		return func() {}, nil
	}
	l.inflight[key]++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			if l.inflight[key]--; l.inflight[key] <= 0 {
				delete(l.inflight, key)
			}
		})
	}, nil
}

// advance moves the window to minute, dropping the buckets that fell out of the last 24 hours. A clock
// that went back keeps the window where it is (the calls are counted in the latest minute).
func (w *creditWindow) advance(minute int64) {
	if minute <= w.last {
		return
	}
	if minute-w.last >= creditBuckets {
		w.counts = [creditBuckets]int{}
		w.total = 0
	} else {
		for m := w.last + 1; m <= minute; m++ {
			i := m % creditBuckets
			w.total -= w.counts[i]
			w.counts[i] = 0
		}
	}
	w.last = minute
}
