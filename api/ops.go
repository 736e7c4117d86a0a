package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the Prometheus request metrics, labelled by route pattern (never raw ids) and status.
type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crmd_http_requests_total", Help: "HTTP requests served, by route pattern and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "crmd_http_request_duration_seconds", Help: "HTTP request latency, by route pattern and status code.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "code"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

func (m *metrics) observe(route string, status int, d time.Duration) {
	if status == 0 {
		status = 200
	}
	code := strconv.Itoa(status)
	m.requests.WithLabelValues(route, code).Inc()
	m.latency.WithLabelValues(route, code).Observe(d.Seconds())
}

// healthz answers while the process runs.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	writeJSON(w, 200, map[string]string{"status": "ok"})
	return nil
}

// readyz answers 200 when the database answers, 503 DATABASE_UNREACHABLE otherwise.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := s.svc.Ping(r.Context()); err != nil {
		s.log.Warn("readyz: database unreachable", "err", err)
		// A code, as every other 5xx answer carries one, so that clients and probes that classify
		// errors by code need no special case for this one.
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"code": "DATABASE_UNREACHABLE", "status": "unavailable", "database": "unreachable"})
		return nil
	}
	writeJSON(w, 200, map[string]string{"status": "ok", "database": "ok"})
	return nil
}
