// Package crmdtest holds the fixtures crmd's tests share: a store on a temporary SQLite file, orgs with
// the standard catalog and OAuth tokens, a settable clock, and helpers that send requests and read
// JSON answers. It is for tests only; no production code imports it.
//
// It imports store, catalog and oauth, so the internal tests of those packages cannot use it; it must
// never import api, records, views or territories, whose internal tests do. (That is why the OpenAPI
// contract of /crmd/v1 is read from api/openapi.json in the source tree, not through api.OpenAPI.)
package crmdtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/catalog"
	"github.com/crmd/crmd/internal/testdb"
	"github.com/crmd/crmd/oauth"
	"github.com/crmd/crmd/store"
)

// OpenStore opens a store on a fresh database (internal/testdb: SQLite by default, a PostgreSQL schema
// with CRMD_TEST_STORE=postgres), closed when the test ends.
func OpenStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), testdb.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Clock is a settable clock shared by a store and its test, so that times in answers are exact and
// ordering by time is deterministic without sleeping.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// UseClock makes st tell time by a new Clock standing at at, and returns the clock.
func UseClock(st *store.Store, at time.Time) *Clock {
	c := &Clock{t: at}
	st.Now = c.Now
	return c
}

// Now is the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Org is an org made for a test: its founding admin, the Standard user NewTeam adds, and an OAuth
// client that Token mints access tokens through.
type Org struct {
	Org      *crmd.Org
	Admin    *crmd.User
	Std      *crmd.User // nil unless made by NewTeam
	ClientID string
	st       *store.Store
}

// NewOrg creates an org from spec — with the standard catalog when spec.Modules is nil — and an
// OAuth client of it.
func NewOrg(t testing.TB, st *store.Store, spec store.NewOrg) *Org {
	t.Helper()
	ctx := context.Background()
	if spec.Modules == nil {
		spec.Modules = catalog.Standard()
	}
	org, admin, err := st.CreateOrg(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	clientID, _, err := oauth.NewClient(ctx, st, org.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	return &Org{Org: org, Admin: admin, ClientID: clientID, st: st}
}

// NewTeam creates the org the API tests work in: named name, in time zone tz, with the standard
// catalog, its admin Patricia Boyle (boss@<name>.test) and a Standard user Sam Rep (rep@<name>.test).
func NewTeam(t testing.TB, st *store.Store, name, tz string) *Org {
	t.Helper()
	dom := strings.ToLower(name) + ".test"
	o := NewOrg(t, st, store.NewOrg{Name: name, AdminEmail: "boss@" + dom, AdminFirst: "Patricia", AdminLast: "Boyle", TimeZone: tz})
	o.Std = o.AddUser(t, store.NewUser{Email: "rep@" + dom, FirstName: "Sam", LastName: "Rep", Profile: crmd.ProfileStandard})
	return o
}

// AddUser creates a user of the org.
func (o *Org) AddUser(t testing.TB, u store.NewUser) *crmd.User {
	t.Helper()
	user, err := o.st.CreateUser(context.Background(), o.Org.ID, u)
	if err != nil {
		t.Fatal(err)
	}
	return user
}

// TokenTTL is how long the tokens Token mints live by the store's clock: long enough for tests that
// move their clock on by hours or days.
const TokenTTL = 1000 * time.Hour

// Token mints an access token with scope for a user of the org through the org's client.
func (o *Org) Token(t testing.TB, u *crmd.User, scope string) string {
	t.Helper()
	auth := &oauth.Server{Store: o.st, BaseURL: "http://crmd.test"}
	r, err := auth.IssueForUser(context.Background(), o.ClientID, o.Org.ID, u.ID, scope, TokenTTL, false)
	if err != nil {
		t.Fatal(err)
	}
	return r.AccessToken
}

// Caller is u acting in the org, as the services take it.
func (o *Org) Caller(u *crmd.User) *crmd.Caller { return &crmd.Caller{Org: o.Org, User: u} }

// Module returns the org's module named name, failing the test when there is none.
func (o *Org) Module(t testing.TB, name string) *crmd.Module {
	t.Helper()
	m, err := o.st.Module(context.Background(), o.Org.ID, name)
	if err != nil || m == nil {
		t.Fatalf("module %s: %v", name, err)
	}
	return m
}

// Auth is the header of a request carrying an access token; nil (no header) when token is "".
func Auth(token string) map[string]string {
	if token == "" {
		return nil
	}
	return map[string]string{"Authorization": "Zoho-oauthtoken " + token}
}

// DoJSON sends a request with the headers and decodes the answer, which must be a JSON object with a
// JSON content type; a 204 or 304 must have no body and gives a nil object. An answer of /crmd/v1 must also be
// what the OpenAPI document of /crmd/v1 says (CheckCrmdV1).
func DoJSON(t testing.TB, method, url, body string, header map[string]string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	CheckCrmdV1(t, req, resp, raw)
	if resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusNotModified {
		if len(raw) != 0 {
			t.Fatalf("%s %s: %d with a body %q", method, url, resp.StatusCode, raw)
		}
		return resp.StatusCode, nil
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s %s: content type %q, body %q", method, url, ct, raw)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s %s: body is not a JSON object: %q", method, url, raw)
	}
	return resp.StatusCode, m
}

// WantCode fails the test unless err is a *crmd.Error with the code and HTTP status.
func WantCode(t testing.TB, err error, code string, status int) {
	t.Helper()
	e, ok := crmd.AsError(err)
	if !ok {
		t.Fatalf("error %v is not a *crmd.Error, want %s", err, code)
	}
	if e.Code != code || e.Status != status {
		t.Fatalf("got %s/%d, want %s/%d", e.Code, e.Status, code, status)
	}
}

// JSONEq reports whether got, encoded as JSON, is the JSON text want (both re-encoded, so key order
// does not matter); when it is not, the test is marked failed with both.
func JSONEq(t testing.TB, what string, got any, want string) bool {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: bad want %q: %v", what, want, err)
	}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("%s:\n got %s\nwant %s", what, gb, wb)
		return false
	}
	return true
}

// Decode parses JSON text as the API layer does, numbers as json.Number.
func Decode(t testing.TB, s string) any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return v
}

// Items returns the array under key of a JSON object as objects, failing the test when there is none.
func Items(t testing.TB, body map[string]any, key string) []map[string]any {
	t.Helper()
	arr, ok := body[key].([]any)
	if !ok {
		t.Fatalf("no %q array in %v", key, body)
	}
	out := make([]map[string]any, len(arr))
	for i, x := range arr {
		out[i] = x.(map[string]any)
	}
	return out
}

// Entries returns the "data" array of a JSON object as objects.
func Entries(t testing.TB, body map[string]any) []map[string]any {
	t.Helper()
	return Items(t, body, "data")
}

// IDs returns the "id" of every item under key (the ids of a list answer).
func IDs(t testing.TB, body map[string]any, key string) []string {
	t.Helper()
	var ids []string
	for _, it := range Items(t, body, key) {
		ids = append(ids, it["id"].(string))
	}
	return ids
}

// DetailIDs returns the details.id of every entry under key (the ids a write answer gives).
func DetailIDs(t testing.TB, body map[string]any, key string) []string {
	t.Helper()
	var ids []string
	for _, it := range Items(t, body, key) {
		ids = append(ids, it["details"].(map[string]any)["id"].(string))
	}
	return ids
}

// IsID reports whether v is an id as the SDKs need it: a string of digits.
func IsID(v any) bool {
	s, ok := v.(string)
	_, valid := crmd.ParseID(s)
	return ok && valid
}

// CatalogModule is the standard catalog's module named apiName with the ids an org's copy has (module 7,
// fields 5000, 5001, …), for tests of code that takes module metadata without a database.
func CatalogModule(apiName string) *crmd.Module { return catalog.Numbered(apiName, 7, 5000) }

// LockedBuffer is a bytes.Buffer that many goroutines may write and read at once (a server's log, a
// subprocess's output).
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
