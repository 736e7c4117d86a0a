package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmd/crmd/client"
)

// fakeZoho is a scripted API: each path answers what its handler says.
func fakeZoho(t *testing.T, routes map[string]http.HandlerFunc) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, ok := routes[r.Method+" "+r.URL.Path]
		if !ok {
			t.Errorf("unexpected request %s %s", r.Method, r.URL)
			http.Error(w, "unexpected", 500)
			return
		}
		h(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func answer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// TestErrorDecoding: Zoho's request-level envelope becomes *Error with every key; per-item answers
// (207, and 400 carrying the array) become Results whose failures are *Error; other bodies still give
// an *Error with the HTTP status.
func TestErrorDecoding(t *testing.T) {
	ts := fakeZoho(t, map[string]http.HandlerFunc{
		"GET /crm/v8/Leads":                      answer(401, `{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}`),
		"POST /crm/v8/Leads/actions/mass_delete": answer(400, `{"code":"LIMIT_EXCEEDED","details":{"limit":500,"api_name":"ids","json_path":"$.ids"},"message":"limit exceeded","status":"error"}`),
		"POST /crm/v8/Leads": answer(207, `{"data":[{"code":"SUCCESS","details":{"id":"1111111111111111111"},"message":"record added","status":"success"},
			{"code":"MANDATORY_NOT_FOUND","details":{"api_name":"Last_Name","json_path":"$.data[1].Last_Name"},"message":"required field not found","status":"error"}]}`),
		"PUT /crm/v8/Leads": answer(400, `{"data":[{"code":"INVALID_DATA","details":{"id":"2"},"message":"the id given seems to be invalid","status":"error"}]}`),
		"GET /crm/v8/org":   answer(502, `<html>bad gateway</html>`),
	})
	ctx := context.Background()
	c := client.New(ts.URL, client.WithAccessToken("tok"))

	_, err := c.ListRecords(ctx, "Leads", client.ListOptions{})
	var e *client.Error
	if !errors.As(err, &e) || e.HTTPStatus != 401 || e.Code != "INVALID_TOKEN" || e.Message != "invalid oauth token" || e.Status != "error" || len(e.Details) != 0 {
		t.Fatalf("401: %#v", err)
	}
	if !errors.Is(err, &client.Error{Code: "INVALID_TOKEN"}) || errors.Is(err, &client.Error{Code: "NO_PERMISSION"}) {
		t.Error("errors.Is by code")
	}
	if got := err.Error(); got != "zoho: INVALID_TOKEN: invalid oauth token [HTTP 401]" {
		t.Errorf("Error() = %q", got)
	}

	_, err = c.MassDeleteIDs(ctx, "Leads", []string{"1"})
	if !errors.As(err, &e) || e.Code != "LIMIT_EXCEEDED" || e.Details["limit"] != json.Number("500") || e.Details["json_path"] != "$.ids" {
		t.Fatalf("LIMIT_EXCEEDED: %#v", err)
	}
	if got := err.Error(); got != `zoho: LIMIT_EXCEEDED: limit exceeded (api_name="ids", json_path="$.ids", limit=500) [HTTP 400]` {
		t.Errorf("Error() = %q", got)
	}

	rs, err := c.InsertRecords(ctx, "Leads", client.Record{"Last_Name": "A"}, client.Record{})
	if err != nil || len(rs) != 2 {
		t.Fatalf("207: %v %v", rs, err)
	}
	if !rs[0].OK() || rs[0].ID() != "1111111111111111111" || rs[0].Err() != nil || rs[0].HTTPStatus != 207 {
		t.Errorf("item 0: %+v", rs[0])
	}
	if rs[1].OK() || !errors.As(rs[1].Err(), &e) || e.Code != "MANDATORY_NOT_FOUND" || e.HTTPStatus != 207 || e.Details["json_path"] != "$.data[1].Last_Name" {
		t.Errorf("item 1: %+v", rs[1])
	}
	if !errors.As(rs.Err(), &e) || e.Code != "MANDATORY_NOT_FOUND" {
		t.Errorf("Results.Err: %v", rs.Err())
	}
	if got := rs.IDs(); fmt.Sprint(got) != "[1111111111111111111 ]" {
		t.Errorf("IDs = %q", got)
	}

	rs, err = c.UpdateRecords(ctx, "Leads", client.Record{"id": "2"})
	if err != nil || len(rs) != 1 || rs[0].Code != "INVALID_DATA" || rs[0].HTTPStatus != 400 || rs[0].ID() != "2" {
		t.Fatalf("400 with data: %+v %v", rs, err)
	}

	_, err = c.Org(ctx)
	if !errors.As(err, &e) || e.HTTPStatus != 502 || e.Code != "" || !strings.Contains(e.Message, "bad gateway") {
		t.Fatalf("502: %#v", err)
	}
	if client.ErrorCode(err) != "" || client.ErrorCode(fmt.Errorf("wrapped: %w", &client.Error{Code: "X"})) != "X" {
		t.Error("ErrorCode")
	}
}

// accounts is a fake accounts server that counts refresh_token grants and checks each is multipart
// with the client's credentials.
type accounts struct {
	t         *testing.T
	calls     atomic.Int32
	apiDomain string
	expiresIn int
	refuse    atomic.Bool
	delay     time.Duration
}

func (a *accounts) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != "POST" || r.URL.Path != "/oauth/v2/token" {
		a.t.Errorf("accounts: %s %s", r.Method, r.URL)
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		a.t.Errorf("accounts: content type %q, want multipart/form-data", mt)
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		a.t.Errorf("accounts: %v", err)
	}
	n := a.calls.Add(1)
	if a.delay > 0 {
		time.Sleep(a.delay)
	}
	w.Header().Set("Content-Type", "application/json")
	if a.refuse.Load() || r.Form.Get("grant_type") != "refresh_token" || r.Form.Get("client_id") != "cid" ||
		r.Form.Get("client_secret") != "secret" || r.Form.Get("refresh_token") != "1000.refresh" {
		io.WriteString(w, `{"error":"invalid_code"}`)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"access_token": fmt.Sprintf("access-%d", n), "api_domain": a.apiDomain,
		"token_type": "Bearer", "expires_in": a.expiresIn})
}

// TestRefreshTokenSource: one refresh serves concurrent callers and later calls until Leeway before
// expiry; then a new one is fetched; the token response's api_domain is where API calls go; a refusal
// is an *OAuthError.
func TestRefreshTokenSource(t *testing.T) {
	var apiCalls atomic.Int32
	var seen sync.Map
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		apiCalls.Add(1)
		seen.Store(r.Header.Get("Authorization"), true)
		answer(200, `{"org":[{"id":"1","company_name":"Acme","zgid":"9"}]}`)(w, r)
	}))
	defer api.Close()
	acc := &accounts{t: t, apiDomain: api.URL, expiresIn: 3600, delay: 20 * time.Millisecond}
	accTS := httptest.NewServer(acc)
	defer accTS.Close()

	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	src := &client.RefreshTokenSource{
		Config: client.OAuthConfig{AccountsURL: accTS.URL, ClientID: "cid", ClientSecret: "secret", RefreshToken: "1000.refresh"},
		Leeway: 5 * time.Minute,
		Now:    func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
	}
	// The API domain given to New is wrong on purpose: the token's api_domain must win.
	c := client.New("http://127.0.0.1:1", client.WithTokenSource(src))
	ctx := context.Background()

	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if org, err := c.Org(ctx); err != nil || org.CompanyName != "Acme" {
				t.Errorf("Org: %v %v", org, err)
			}
		})
	}
	wg.Wait()
	if n := acc.calls.Load(); n != 1 {
		t.Fatalf("%d refreshes for 50 concurrent calls, want 1", n)
	}
	if n := apiCalls.Load(); n != 50 {
		t.Fatalf("%d API calls, want 50", n)
	}
	if _, ok := seen.Load("Zoho-oauthtoken access-1"); !ok {
		t.Fatal("the API did not see the refreshed token in Zoho's header")
	}

	// 54 minutes on, the token is still more than Leeway from its expiry.
	mu.Lock()
	now = now.Add(54 * time.Minute)
	mu.Unlock()
	if tok, err := src.Token(ctx); err != nil || tok.AccessToken != "access-1" || acc.calls.Load() != 1 {
		t.Fatalf("at 54 min: %v %v, %d refreshes", tok, err, acc.calls.Load())
	}
	// At 56 minutes it is within Leeway: refreshed.
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	if tok, err := src.Token(ctx); err != nil || tok.AccessToken != "access-2" || tok.APIDomain != api.URL || acc.calls.Load() != 2 {
		t.Fatalf("at 56 min: %v %v, %d refreshes", tok, err, acc.calls.Load())
	}

	// A refused refresh is an *OAuthError, and nothing is cached.
	src.Invalidate("access-2")
	acc.refuse.Store(true)
	_, err := c.Org(ctx)
	var oe *client.OAuthError
	if !errors.As(err, &oe) || oe.Code != "invalid_code" || oe.HTTPStatus != 200 || client.ErrorCode(err) != "invalid_code" {
		t.Fatalf("refused refresh: %#v", err)
	}
	acc.refuse.Store(false)
	if tok, err := src.Token(ctx); err != nil || tok.AccessToken != "access-4" {
		t.Fatalf("after a refusal: %v %v", tok, err)
	}
}

// TestInvalidTokenRetry: an access token the API refuses as INVALID_TOKEN (revoked, or expired early)
// is dropped and the request sent once more with a fresh one; a second refusal is the caller's error.
func TestInvalidTokenRetry(t *testing.T) {
	acc := &accounts{t: t, expiresIn: 3600}
	accTS := httptest.NewServer(acc)
	defer accTS.Close()
	var valid atomic.Value
	valid.Store("Zoho-oauthtoken access-2")
	var apiCalls atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		apiCalls.Add(1)
		if r.Header.Get("Authorization") != valid.Load() {
			answer(401, `{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}`)(w, r)
			return
		}
		answer(200, `{"users":[{"id":"7","email":"a@b.c","profile":{"name":"Administrator","id":"3"}}]}`)(w, r)
	}))
	defer api.Close()
	c := client.New(api.URL, client.WithRefreshToken(client.OAuthConfig{AccountsURL: accTS.URL + "/oauth/v2/token",
		ClientID: "cid", ClientSecret: "secret", RefreshToken: "1000.refresh"}))
	u, err := c.CurrentUser(context.Background())
	if err != nil || u.Email != "a@b.c" || u.Profile.Name != "Administrator" {
		t.Fatalf("CurrentUser: %v %v", u, err)
	}
	if acc.calls.Load() != 2 || apiCalls.Load() != 2 {
		t.Fatalf("%d refreshes, %d API calls; want 2 and 2", acc.calls.Load(), apiCalls.Load())
	}
	valid.Store("nothing")
	_, err = c.CurrentUser(context.Background())
	if client.ErrorCode(err) != "INVALID_TOKEN" || acc.calls.Load() != 3 || apiCalls.Load() != 4 {
		t.Fatalf("%v; %d refreshes, %d API calls; want INVALID_TOKEN after one retry", err, acc.calls.Load(), apiCalls.Load())
	}
}

// TestWaitBackoff: Wait polls until COMPLETED with pauses that grow from MinInterval by Multiplier up
// to MaxInterval, reports every poll, and stops on FAILED (ErrJobFailed) or a done context.
func TestWaitBackoff(t *testing.T) {
	var mu sync.Mutex
	var polls []time.Time
	runningFor := 6
	status := "COMPLETED"
	ts := fakeZoho(t, map[string]http.HandlerFunc{
		"GET /crm/v8/Leads/actions/mass_delete": func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("job_id") != "42" {
				t.Errorf("job_id %q", r.URL.Query().Get("job_id"))
			}
			mu.Lock()
			polls = append(polls, time.Now())
			n := len(polls)
			mu.Unlock()
			st := "RUNNING"
			if n > runningFor {
				st = status
			}
			answer(200, fmt.Sprintf(`{"data":[{"Status":%q,"Total_Count":10,"Deleted_Count":%d,"Failed_Count":0}]}`, st, min(n, 10)))(w, r)
		},
	})
	c := client.New(ts.URL, client.WithAccessToken("tok"))
	var seen []string
	opts := &client.WaitOptions{MinInterval: 10 * time.Millisecond, MaxInterval: 40 * time.Millisecond,
		OnPoll: func(s *client.JobStatus) { seen = append(seen, s.Status) }}
	st, err := c.Wait(context.Background(), "Leads", "42", opts)
	if err != nil || st.Status != "COMPLETED" || st.TotalCount != 10 || st.DeletedCount != 7 || !st.Done() {
		t.Fatalf("Wait: %+v %v", st, err)
	}
	if len(polls) != 7 || len(seen) != 7 || seen[6] != "COMPLETED" {
		t.Fatalf("%d polls, OnPoll saw %v", len(polls), seen)
	}
	// Pauses 10, 20, 40, 40, 40, 40 ms: each gap at least its pause, the capped ones not much more than
	// the cap (the gaps include request time, so only lower bounds are exact).
	want := []time.Duration{10, 20, 40, 40, 40, 40}
	for i, w := range want {
		if gap := polls[i+1].Sub(polls[i]); gap < w*time.Millisecond {
			t.Errorf("gap %d = %s, want ≥ %dms", i, gap, w)
		}
	}

	// FAILED ends the wait with ErrJobFailed and the status.
	mu.Lock()
	polls, runningFor, status = nil, 1, "FAILED"
	mu.Unlock()
	st, err = c.Wait(context.Background(), "Leads", "42", &client.WaitOptions{MinInterval: time.Millisecond})
	if !errors.Is(err, client.ErrJobFailed) || st == nil || st.Status != "FAILED" {
		t.Fatalf("FAILED: %+v %v", st, err)
	}

	// A done context ends it with the context's error and the last status read.
	mu.Lock()
	polls, runningFor = nil, 1<<30
	mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	st, err = c.Wait(ctx, "Leads", "42", &client.WaitOptions{MinInterval: 5 * time.Millisecond, MaxInterval: 10 * time.Millisecond})
	if !errors.Is(err, context.DeadlineExceeded) || st == nil || st.Status != "RUNNING" {
		t.Fatalf("deadline: %+v %v", st, err)
	}
}

// TestNoTokenAndConfig: NewFromConfig refuses a config without a way to get a token, and a client
// without a token sends no Authorization header.
func TestNoTokenAndConfig(t *testing.T) {
	if _, err := client.NewFromConfig(client.Config{APIDomain: "http://x"}); err == nil {
		t.Error("no token: want an error")
	}
	if _, err := client.NewFromConfig(client.Config{APIDomain: "http://x", RefreshToken: "r"}); err == nil {
		t.Error("refresh token without client: want an error")
	}
	ts := fakeZoho(t, map[string]http.HandlerFunc{
		"GET /crm/v2/org": func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "" {
				t.Errorf("Authorization %q", r.Header.Get("Authorization"))
			}
			answer(401, `{"code":"AUTHENTICATION_FAILURE","details":{},"message":"Authentication failed","status":"error"}`)(w, r)
		},
	})
	c := client.New(ts.URL, client.WithVersion("v2"))
	if _, err := c.Org(context.Background()); client.ErrorCode(err) != "AUTHENTICATION_FAILURE" {
		t.Fatalf("no token: %v", err)
	}
	c2, err := client.NewFromConfig(client.Config{APIDomain: ts.URL, AccessToken: "x"})
	if err != nil || c2.Version() != "v8" {
		t.Fatalf("config: %v %v", c2, err)
	}
}

// TestRefreshWaiterCancel: a caller whose context ends stops waiting for a slow refresh at once, and
// the refresh it started still serves the next caller.
func TestRefreshWaiterCancel(t *testing.T) {
	acc := &accounts{t: t, expiresIn: 3600, delay: 300 * time.Millisecond}
	accTS := httptest.NewServer(acc)
	defer accTS.Close()
	src := &client.RefreshTokenSource{Config: client.OAuthConfig{AccountsURL: accTS.URL, ClientID: "cid", ClientSecret: "secret", RefreshToken: "1000.refresh"}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := src.Token(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cancelled waiter: %v", err)
	}
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Errorf("the cancelled waiter returned after %s", d)
	}
	tok, err := src.Token(context.Background())
	if err != nil || tok.AccessToken != "access-1" || acc.calls.Load() != 1 {
		t.Fatalf("after the cancelled waiter: %v %v, %d refreshes", tok, err, acc.calls.Load())
	}
}
