package api_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/crmd/crmd/api"
	"github.com/crmd/crmd/app"
	"github.com/crmd/crmd/store"
	"github.com/prometheus/client_golang/prometheus"
)

// testBaseURL is the api_domain of the tokens the tests' servers issue.
const testBaseURL = "http://crmd.test"

// newApp assembles crmd on st the way crmd serve does (package app), with the HTTP settings apiCfg and
// the logger log (nil: discarded), for the tests of the HTTP surface. The background workers do not run
// unless a test starts them.
func newApp(t testing.TB, st *store.Store, apiCfg api.Config, log *slog.Logger, mut ...func(*app.Config)) *app.App {
	t.Helper()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg := app.Config{BaseURL: testBaseURL, API: apiCfg, Logger: log, Registry: prometheus.NewRegistry()}
	for _, m := range mut {
		m(&cfg)
	}
	return app.New(st, cfg)
}

// drainJobs runs every claimable job of every kind to its end with a's runner, as crmd serve's runner
// does in the background.
func drainJobs(t testing.TB, a *app.App) {
	t.Helper()
	for {
		worked, err := a.Runner().RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !worked {
			return
		}
	}
}
