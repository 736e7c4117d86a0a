package client_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/app"
	"github.com/crmd/crmd/catalog"
	"github.com/crmd/crmd/internal/testdb"
	"github.com/crmd/crmd/jobs"
	"github.com/crmd/crmd/massdelete"
	"github.com/crmd/crmd/oauth"
	"github.com/crmd/crmd/store"
)

// crmdServer is the in-process crmd the Example functions and the tests against a real server talk
// to: the real API handler and job runner over a fresh database (internal/testdb: SQLite, or a
// PostgreSQL schema with CRMD_TEST_STORE=postgres). Examples get no testing.TB, so TestMain starts it.
var crmdServer struct {
	URL    string
	st     *store.Store
	auth   *oauth.Server
	runner *heldRunner

	mu   sync.Mutex
	orgs int
}

func TestMain(m *testing.M) {
	code, err := runMain(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

func runMain(m *testing.M) (int, error) {
	dsn, cleanup, err := testdb.MainDSN()
	if err != nil {
		return 1, err
	}
	defer cleanup()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return 1, err
	}
	defer st.Close()
	ts := httptest.NewUnstartedServer(nil)
	crmdServer.URL = "http://" + ts.Listener.Addr().String()
	crmdServer.st = st
	// The server's base URL is the api_domain of its tokens, as `crmd serve` does.
	a := app.New(st, app.Config{BaseURL: crmdServer.URL, Logger: slog.New(slog.DiscardHandler),
		Runner: massdelete.RunnerConfig{BatchSize: 50, Poll: 20 * time.Millisecond}})
	crmdServer.auth = a.Auth
	ts.Config.Handler = a.Handler
	ts.Start()
	defer ts.Close()
	// The app's background work as app.Run does it, but with the job runner on a leash of its own
	// (holdRunner); SQLite's WAL checkpoints automatically here (store.Open), as crmd serve's do not.
	runCtx, stop := context.WithCancel(ctx)
	crmdServer.runner = &heldRunner{r: a.Runner(), ctx: runCtx}
	crmdServer.runner.start()
	var wg sync.WaitGroup
	wg.Go(func() { a.Purger().Run(runCtx) })
	defer wg.Wait()
	defer crmdServer.runner.wait()
	defer stop()
	return m.Run(), nil
}

// heldRunner runs the in-process crmd's job runner, which a test may hold (holdRunner): while it is
// held no job is claimed, so that a job stays SCHEDULED for as long as the test needs (to cancel it
// before it starts, to open its events stream before its first batch).
type heldRunner struct {
	r    *jobs.Runner
	ctx  context.Context
	held sync.Mutex // locked while a test holds the runner

	mu   sync.Mutex
	stop context.CancelFunc
	done chan struct{}
}

func (h *heldRunner) start() {
	h.mu.Lock()
	defer h.mu.Unlock()
	ctx, stop := context.WithCancel(h.ctx)
	done := make(chan struct{})
	h.stop, h.done = stop, done
	go func() {
		defer close(done)
		h.r.Run(ctx)
	}()
}

// wait stops the runner, which finishes the batch in progress and lets its job go, and waits for it.
func (h *heldRunner) wait() {
	h.mu.Lock()
	stop, done := h.stop, h.done
	h.mu.Unlock()
	stop()
	<-done
}

// holdRunner stops the in-process crmd's job runner until the returned release (also called when the
// test ends) starts it again.
func holdRunner(t testing.TB) (release func()) {
	t.Helper()
	h := crmdServer.runner
	h.held.Lock()
	h.wait()
	var once sync.Once
	release = func() {
		once.Do(func() {
			h.start()
			h.held.Unlock()
		})
	}
	t.Cleanup(release)
	return release
}

// fullScope is what the examples' tokens may do.
const fullScope = "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.users.ALL,ZohoCRM.org.ALL,ZohoCRM.mass_delete.ALL"

// crmdOrg is an org of the in-process crmd with what a client needs to reach it: the accounts and API
// base URL, an OAuth client and a refresh token of its admin.
type crmdOrg struct {
	BaseURL                              string
	ClientID, ClientSecret, RefreshToken string
	AdminEmail                           string
	org                                  *crmd.Org
}

// newCrmdOrg creates an org named name in the in-process crmd, with Zoho's standard modules, an admin
// admin@<name>.test, an OAuth client and a refresh token with scope (fullScope when empty). Each
// example makes its own, so that examples see nothing of each other.
func newCrmdOrg(name, scope string) crmdOrg {
	ctx := context.Background()
	if scope == "" {
		scope = fullScope
	}
	email := "admin@" + strings.ToLower(name) + ".test"
	org, admin, err := crmdServer.st.CreateOrg(ctx, store.NewOrg{Name: name, AdminEmail: email, AdminFirst: "Ada",
		AdminLast: "Admin", TimeZone: "UTC", Modules: catalog.Standard()})
	if err != nil {
		panic(err)
	}
	clientID, secret, err := oauth.NewClient(ctx, crmdServer.st, org.ID, "example")
	if err != nil {
		panic(err)
	}
	tr, err := crmdServer.auth.IssueForUser(ctx, clientID, org.ID, admin.ID, scope, time.Hour, true)
	if err != nil {
		panic(err)
	}
	return crmdOrg{BaseURL: crmdServer.URL, ClientID: clientID, ClientSecret: secret, RefreshToken: tr.RefreshToken,
		AdminEmail: email, org: org}
}

// addUser adds a user to the org and returns an access token of theirs with scope.
func (o crmdOrg) addUser(email string, profile, scope string) string {
	ctx := context.Background()
	u, err := crmdServer.st.CreateUser(ctx, o.org.ID, store.NewUser{Email: email, FirstName: "Sam", LastName: "Rep", Profile: profile})
	if err != nil {
		panic(err)
	}
	tr, err := crmdServer.auth.IssueForUser(ctx, o.ClientID, o.org.ID, u.ID, scope, time.Hour, false)
	if err != nil {
		panic(err)
	}
	return tr.AccessToken
}
