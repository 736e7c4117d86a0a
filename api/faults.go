package api

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crmd/crmd"
)

// Forced faults (docs/control.md#faults): answers and delays a test asks for, so that a client's error
// handling and timeouts can be tested. A fault matches a request by method and path, where a path
// segment written {name} matches any one segment and a last segment * matches the rest; it then waits
// delay_ms and, with a status, answers Zoho's error object with that status instead of the real answer.
// It fires at most times times (0: every time), each time with the given probability (default 1). The
// control API itself is never faulted.

// Fault is one forced fault.
type Fault struct {
	Method      string   `json:"method"`
	Path        string   `json:"path"`
	Status      int      `json:"status"`
	Code        string   `json:"code"`
	Message     string   `json:"message"`
	DelayMS     int      `json:"delay_ms"`
	Times       int      `json:"times"`
	Probability *float64 `json:"probability"`
	// Fired is how many times the fault fired (answers only).
	Fired int `json:"fired"`

	segs []string
}

// faults is the set in force.
type faults struct {
	mu   sync.Mutex
	list []*Fault
	// any tells, without the lock, whether list has a fault: pick runs around every request, and one
	// with no fault set costs it one atomic load.
	any atomic.Bool
}

// pathSegs splits a path (a request's or a fault's pattern) into its segments.
func pathSegs(path string) []string { return strings.Split(strings.Trim(path, "/"), "/") }

// matches tells whether a fault's path pattern matches a request, whose path is split into segs.
func (f *Fault) matches(method string, segs []string) bool {
	if f.Method != "" && !strings.EqualFold(f.Method, method) {
		return false
	}
	for i, p := range f.segs {
		if p == "*" && i == len(f.segs)-1 {
			return true
		}
		if i >= len(segs) {
			return false
		}
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			continue
		}
		if p != segs[i] {
			return false
		}
	}
	return len(segs) == len(f.segs)
}

// set replaces the faults.
func (fs *faults) set(list []*Fault) {
	for _, f := range list {
		f.segs = pathSegs(f.Path)
		f.Fired = 0
	}
	fs.mu.Lock()
	fs.list = list
	fs.any.Store(len(list) > 0)
	fs.mu.Unlock()
}

// snapshot copies the faults in force.
func (fs *faults) snapshot() []*Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]*Fault, len(fs.list))
	for i, f := range fs.list {
		c := *f
		out[i] = &c
	}
	return out
}

// pick finds the first fault that fires for a request and counts it.
func (fs *faults) pick(method, path string) *Fault {
	if !fs.any.Load() {
		return nil
	}
	segs := pathSegs(path)
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, f := range fs.list {
		if !f.matches(method, segs) || (f.Times > 0 && f.Fired >= f.Times) {
			continue
		}
		if f.Probability != nil && rand.Float64() >= *f.Probability {
			continue
		}
		f.Fired++
		c := *f
		return &c
	}
	return nil
}

// apply runs a fault that fired: its delay, then its answer (true: the request is answered).
func (f *Fault) apply(ctx context.Context, w http.ResponseWriter) bool {
	if f.DelayMS > 0 {
		t := time.NewTimer(time.Duration(f.DelayMS) * time.Millisecond)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
	if f.Status == 0 {
		return false
	}
	code, msg := f.Code, f.Message
	if code == "" {
		code = "INTERNAL_ERROR"
	}
	if msg == "" {
		msg = "fault injected through the control API"
	}
	writeJSON(w, f.Status, bodyOf(crmd.E(code, msg, nil)))
	return true
}
