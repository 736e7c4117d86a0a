package api

import (
	"net/http"
	"sort"
)

// What the external tests of this package (package api_test, which start crmd through package app)
// need to see inside it.

// LogPathMax is the longest path the request log shows.
const LogPathMax = logPathMax

// InflightTotal is how many calls the server's limiter counts in flight in all.
func (s *Server) InflightTotal() int {
	s.limits.mu.Lock()
	defer s.limits.mu.Unlock()
	n := 0
	for _, k := range s.limits.inflight {
		n += k
	}
	return n
}

// HandleForTest registers a public GET route whose handler is h, for tests of the failure paths
// (a panic, an internal error).
func (s *Server) HandleForTest(path string, h func(w http.ResponseWriter, r *http.Request) error) {
	s.rt.handle("GET", path, func(w http.ResponseWriter, r *http.Request, _ *reqCtx) error { return h(w, r) }, routeOpts{public: true})
}

// RouteInfo is one registered "METHOD pattern" and what it needs before its handler runs.
type RouteInfo struct {
	Key         string // "GET /crm/{version}/{module}"
	Public, CRM bool
	MinVersion  int // ×10
}

// Routes lists every registered route, in key order.
func (s *Server) Routes() []RouteInfo {
	var out []RouteInfo
	for _, r := range s.rt.routes {
		for m, h := range r.methods {
			out = append(out, RouteInfo{Key: m + " " + r.pattern, Public: h.opts.public, CRM: h.opts.crm, MinVersion: h.opts.minVer})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
