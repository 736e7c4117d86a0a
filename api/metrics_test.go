package api_test

import (
	"bytes"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crmd/crmd/api"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/store"
)

// metricSeries returns the /metrics text's sample lines (one per time series and bucket) and the raw
// body.
func metricSeries(t *testing.T, srv http.Handler) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	n := 0
	for _, l := range strings.Split(body, "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			n++
		}
	}
	return n, body
}

// TestMetricLabelsAreBounded floods the server with requests whose methods, paths and headers are
// random — methods no HTTP verb has, of up to 4 KiB, paths of known shapes with random segments and
// paths of random bytes — and checks that /metrics holds the same series afterwards as after a warm-up
// that visited every route shape once, and that no request text became a label value. The log carries
// the same bounded fields (a method from a fixed set, a path of at most logPathMax bytes).
func TestMetricLabelsAreBounded(t *testing.T) {
	st := crmdtest.OpenStore(t)
	o := crmdtest.NewOrg(t, st, store.NewOrg{Name: "Acme", AdminEmail: "admin@acme.test", AdminLast: "Admin"})
	token := o.Token(t, o.Admin, "ZohoCRM.modules.ALL")
	var logs bytes.Buffer
	srv := newApp(t, st, api.Config{}, slog.New(slog.NewJSONHandler(&logs, nil))).API

	rng := rand.New(rand.NewPCG(7, 11))
	letters := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = letters[rng.IntN(len(letters))]
		}
		return string(b)
	}
	shapes := []string{"/healthz", "/readyz", "/metrics", "/oauth/v2/token", "/crm/v8/Leads", "/crm/v8/Leads/{x}",
		"/crm/v8/Leads/actions/mass_delete", "/crm/v8/settings/{x}", "/crm/{x}/Leads", "/{x}", "/{x}/{x}/{x}", "/crm/v8/{x}/{x}/{x}"}
	methods := []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
	send := func(method, shape string, withToken bool, secret string) {
		path := strings.ReplaceAll(shape, "{x}", word(1+rng.IntN(12)))
		req := httptest.NewRequest("GET", path, nil)
		req.Method = method // any token, as net/http's server accepts from the wire
		req.Header.Set("X-"+word(8), secret)
		if withToken {
			req.Header.Set("Authorization", "Zoho-oauthtoken "+token)
		}
		srv.ServeHTTP(httptest.NewRecorder(), req)
	}
	// Warm-up: every route shape with every method and one made-up method, with and without a token, so
	// that every (route, status) series that can exist exists.
	for _, shape := range shapes {
		for _, m := range append(methods, "BREW") {
			send(m, shape, false, "warm")
			send(m, shape, true, "warm")
		}
	}
	before, _ := metricSeries(t, srv)

	var secrets []string
	for i := 0; i < 3000; i++ {
		method := methods[rng.IntN(len(methods))]
		if rng.IntN(2) == 0 {
			method = "X" + word(1+rng.IntN(4096))
		}
		secret := "SECRET" + word(24)
		if i%100 == 0 {
			secrets = append(secrets, secret, method)
		}
		shape := shapes[rng.IntN(len(shapes))]
		if rng.IntN(4) == 0 {
			shape = "/" + word(1+rng.IntN(2000))
		}
		send(method, shape, rng.IntN(2) == 0, secret)
	}
	after, body := metricSeries(t, srv)
	if after != before {
		t.Errorf("/metrics grew from %d to %d series under random requests", before, after)
	}
	for _, s := range secrets {
		if len(s) > 8 && s != "GET" && strings.Contains(body, s[:min(len(s), 64)]) {
			t.Fatalf("/metrics holds request text %.40q", s)
		}
	}
	if !strings.Contains(body, `route="other /crm/{version}/{module}"`) {
		t.Errorf("a made-up method on a known path should count as method other; /metrics:\n%s", body)
	}

	// The request log: one line per request, none longer than a bounded size, no header value.
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) < 3000 {
		t.Fatalf("request log has %d lines", len(lines))
	}
	for _, l := range lines {
		if len(l) > api.LogPathMax+512 {
			t.Fatalf("a log line of %d bytes: %.200s…", len(l), l)
		}
		if strings.Contains(l, "SECRET") {
			t.Fatalf("a header value reached the log: %.200s", l)
		}
	}
}
