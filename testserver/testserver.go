// Package testserver runs crmd inside a Go test: an in-process server on a temporary SQLite file,
// loaded with a fixture (docs/fixtures.md), listening on 127.0.0.1, with the control API on — for the
// tests of code that integrates with Zoho CRM.
//
//	func TestSync(t *testing.T) {
//		srv := testserver.Start(t, testserver.FixtureFile("testdata/crm.json"))
//		c := srv.Client("admin@acme.test")       // a ready Zoho client with that user's fixture token
//		… your code against srv.URL …
//		if err := srv.Reset(); err != nil { … }  // back to the fixture between cases
//	}
//
// Start stops the server and removes its database when the test ends. Without a fixture the server
// holds DefaultFixture: the org "crmd" with admin@crmd.local and the token DefaultToken.
package testserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmd/crmd/api"
	"github.com/crmd/crmd/app"
	"github.com/crmd/crmd/client"
	"github.com/crmd/crmd/fixtures"
	"github.com/crmd/crmd/store"
)

// DefaultToken is the access token of DefaultFixture's admin, with every scope crmd serves.
const DefaultToken = "1000.crmdtestdefaultadmintoken00000001.crmdtestdefaultadmintoken00000001"

// DefaultFixture is the fixture of a server started without one: the org "crmd" (id
// 5000000000000000001), its Administrator admin@crmd.local, the OAuth client
// 1000.CRMDTESTCLIENT000000000000000001 (secret crmd-test-secret) and DefaultToken.
func DefaultFixture() *fixtures.File {
	return &fixtures.File{Orgs: []fixtures.Org{{
		ID: "5000000000000000001", Name: "crmd",
		Users:   []fixtures.User{{Email: "admin@crmd.local", FirstName: "crmd", LastName: "Admin", Profile: "Administrator"}},
		Clients: []fixtures.Client{{ClientID: "1000.CRMDTESTCLIENT000000000000000001", ClientSecret: "crmd-test-secret", Name: "test"}},
		Tokens: []fixtures.Token{{Token: DefaultToken, User: "admin@crmd.local", ClientID: "1000.CRMDTESTCLIENT000000000000000001",
			Scope: "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.users.ALL,ZohoCRM.org.ALL,ZohoCRM.mass_delete.ALL,ZohoCRM.bulk.ALL,ZohoCRM.coql.READ,ZohoCRM.notifications.ALL"}},
	}}}
}

// Option configures Start and New.
type Option func(*options)

type options struct {
	fixture     *fixtures.File
	fixturePath string
	config      func(*app.Config)
	log         io.Writer
}

// Fixture loads the server with f.
func Fixture(f *fixtures.File) Option { return func(o *options) { o.fixture = f } }

// FixtureFile loads the server with the fixture file at path.
func FixtureFile(path string) Option { return func(o *options) { o.fixturePath = path } }

// Config changes the server's configuration (API limits, job pacing, …) before it starts.
func Config(fn func(*app.Config)) Option { return func(o *options) { o.config = fn } }

// Log sends the server's JSON log lines to w (none by default).
func Log(w io.Writer) Option { return func(o *options) { o.log = w } }

// Server is a running crmd.
type Server struct {
	// URL is the server's base URL (http://127.0.0.1:port): the api_domain of its tokens.
	URL string
	// ControlToken authenticates calls of the control API (docs/control.md) as a Bearer token.
	ControlToken string
	// App is the assembled server, for tests that look inside.
	App *app.App

	fixture *fixtures.File
	dir     string
	srv     *http.Server
	stop    context.CancelFunc
	done    sync.WaitGroup
	st      *store.Store
	once    sync.Once
}

// Start starts a server for the test and stops it when the test ends; a failure to start fails the
// test.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := New(opts...)
	if err != nil {
		t.Fatalf("testserver: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// New starts a server; Close stops it and removes its database.
func New(opts ...Option) (*Server, error) {
	var o options
	for _, fn := range opts {
		fn(&o)
	}
	f := o.fixture
	if o.fixturePath != "" {
		b, err := os.ReadFile(o.fixturePath)
		if err != nil {
			return nil, err
		}
		if f, err = fixtures.Parse(b); err != nil {
			return nil, fmt.Errorf("fixture %s: %w", o.fixturePath, err)
		}
	}
	if f == nil {
		f = DefaultFixture()
	}
	dir, err := os.MkdirTemp("", "crmd-testserver-")
	if err != nil {
		return nil, err
	}
	s := &Server{fixture: f, dir: dir}
	if err := s.start(f, &o); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) start(f *fixtures.File, o *options) error {
	ctx := context.Background()
	st, err := store.OpenWith(ctx, filepath.Join(s.dir, "crmd.db"), store.Options{BackgroundCheckpoint: true})
	if err != nil {
		return err
	}
	s.st = st
	if _, err := fixtures.Apply(ctx, st, f); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.URL = "http://" + ln.Addr().String()
	secret := make([]byte, 16)
	rand.Read(secret)
	s.ControlToken = "testserver-" + hex.EncodeToString(secret)
	logOut := o.log
	if logOut == nil {
		logOut = io.Discard
	}
	// Notifications may go to 127.0.0.1: the receivers of the tests crmd runs inside.
	cfg := app.Config{BaseURL: s.URL, API: api.Config{ControlToken: s.ControlToken, NotifyAllowPrivate: true}, Logger: slog.New(slog.NewJSONHandler(logOut, nil))}
	if o.config != nil {
		o.config(&cfg)
		cfg.BaseURL, cfg.API.ControlToken = s.URL, s.ControlToken
	}
	s.App = app.New(st, cfg)
	if err := s.App.Snapshots.TakeStart(ctx, true); err != nil {
		ln.Close()
		return err
	}
	runCtx, stop := context.WithCancel(context.Background())
	s.stop = stop
	s.srv = &http.Server{Handler: s.App.Handler, ReadHeaderTimeout: 10 * time.Second}
	s.done.Go(func() { s.App.Run(runCtx) })
	s.done.Go(func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(logOut, "testserver: serve:", err)
		}
	})
	return nil
}

// Close stops the server (in-flight requests get 10 s) and removes its database.
func (s *Server) Close() {
	s.once.Do(func() {
		if s.srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			s.srv.Shutdown(ctx)
			cancel()
		}
		if s.stop != nil {
			s.stop()
		}
		s.done.Wait()
		if s.st != nil {
			s.st.Close()
		}
		os.RemoveAll(s.dir)
	})
}

// Token is the first access token the fixture gives the user with this email ("" when none).
func (s *Server) Token(email string) string {
	for _, o := range s.fixture.Orgs {
		for _, t := range o.Tokens {
			if strings.EqualFold(t.User, email) && t.Token != "" && (t.Type == "" || t.Type == "access") {
				return t.Token
			}
		}
	}
	return ""
}

// Client is a Zoho client (package client) for this server, authenticated as the user with this email
// by their fixture token; opts are added (a version, an HTTP client).
func (s *Server) Client(email string, opts ...client.Option) *client.Client {
	return client.New(s.URL, append([]client.Option{client.WithAccessToken(s.Token(email))}, opts...)...)
}

// Reset puts the server's database back to the fixture, as POST /crmd/v1/control/reset does.
func (s *Server) Reset() error { return s.App.Snapshots.Reset(context.Background()) }
