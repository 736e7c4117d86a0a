package api_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/crmd/crmd/api"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/oauth"
)

// limitsServer serves st's orgs with the given limits.
func limitsServer(t *testing.T, e *recEnv, cfg api.Config) (*api.Server, string) {
	t.Helper()
	srv := newApp(t, e.st, cfg, nil).API
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return srv, ts.URL
}

func wantTooMany(t *testing.T, what string, status int, body map[string]any, message string) {
	t.Helper()
	if status != http.StatusTooManyRequests {
		t.Fatalf("%s: status %d %v, want 429", what, status, body)
	}
	crmdtest.JSONEq(t, what, body, `{"code":"TOO_MANY_REQUESTS","details":{},"message":"`+message+`","status":"error"}`)
}

// TestConcurrencyLimit holds two calls of one user through one OAuth client in flight (their request
// bodies are still being sent): the user's third call through that client is refused, while another
// user, and the same user through another client, go on; once the two are answered, the user's
// calls go through again.
func TestConcurrencyLimit(t *testing.T) {
	e := newRecEnv(t)
	srv, base := limitsServer(t, e, api.Config{MaxConcurrentPerUser: 2})
	list := "/crm/v8/Leads?fields=Last_Name"

	type held struct {
		w    *io.PipeWriter
		done chan int
	}
	var hold []held
	for i := 0; i < 2; i++ {
		r, w := io.Pipe()
		req, _ := http.NewRequest("POST", base+"/crm/v8/Leads", r)
		req.Header.Set("Authorization", "Zoho-oauthtoken "+e.a.adminTok)
		h := held{w: w, done: make(chan int, 1)}
		// A failing test must not leave the call hanging: the server's Close would wait for it.
		t.Cleanup(func() { w.CloseWithError(io.ErrUnexpectedEOF) })
		go func() {
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				h.done <- 0
				return
			}
			resp.Body.Close()
			h.done <- resp.StatusCode
		}()
		hold = append(hold, h)
	}
	// The held calls are admitted once the server has read their headers: wait for that, so that the
	// third call cannot take a slot before them.
	for deadline := time.Now().Add(10 * time.Second); srv.InflightTotal() < 2; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the held calls were not admitted: %d in flight", srv.InflightTotal())
		}
	}
	status, body := crmdtest.DoJSON(t, "GET", base+list, "", crmdtest.Auth(e.a.adminTok))
	wantTooMany(t, "third call", status, body, api.MsgConcurrencyExceeded)
	if status, body := crmdtest.DoJSON(t, "GET", base+list, "", crmdtest.Auth(e.a.stdTok)); status == http.StatusTooManyRequests {
		t.Fatalf("another user is limited: %v", body)
	}
	clientID, _, err := oauth.NewClient(context.Background(), e.st, e.a.org.ID, "second app")
	if err != nil {
		t.Fatal(err)
	}
	auth := &oauth.Server{Store: e.st, BaseURL: testBaseURL}
	other, err := auth.IssueForUser(context.Background(), clientID, e.a.org.ID, e.a.admin.ID, recScope, time.Hour, false)
	if err != nil {
		t.Fatal(err)
	}
	if status, body := crmdtest.DoJSON(t, "GET", base+list, "", crmdtest.Auth(other.AccessToken)); status == http.StatusTooManyRequests {
		t.Fatalf("the same user through another app is limited: %v", body)
	}
	for i, h := range hold {
		io.WriteString(h.w, `{"data":[{"Last_Name":"Held"}]}`)
		h.w.Close()
		if status := <-h.done; status != http.StatusCreated {
			t.Fatalf("held call %d: status %d, want 201", i, status)
		}
	}
	if status, body := crmdtest.DoJSON(t, "GET", base+list, "", crmdtest.Auth(e.a.adminTok)); status != http.StatusOK {
		t.Fatalf("after the held calls: %d %v (in flight %d)", status, body, srv.InflightTotal())
	}
}

// TestCreditsLimit spends an org's credits for the day: the next call is refused, another org's are
// not, refused and unauthenticated calls cost nothing, and a call's credit comes back 24 hours later.
func TestCreditsLimit(t *testing.T) {
	e := newRecEnv(t)
	b := e.addOrg(t, "Globex", "UTC")
	_, base := limitsServer(t, e, api.Config{CreditsPerDay: 3})
	list := "/crm/v8/Leads?fields=Last_Name"
	get := func(token string) (int, map[string]any) {
		return crmdtest.DoJSON(t, "GET", base+list, "", crmdtest.Auth(token))
	}
	if status, _ := get("1000.bad.token"); status != http.StatusUnauthorized {
		t.Fatalf("bad token: %d", status)
	}
	start := e.clock.Now()
	for i := 0; i < 3; i++ {
		if i == 2 {
			e.clock.Advance(time.Hour) // the third credit is spent an hour after the first two
		}
		if status, body := get(e.a.adminTok); status == http.StatusTooManyRequests {
			t.Fatalf("call %d: %v", i+1, body)
		}
	}
	status, body := get(e.a.stdTok)
	wantTooMany(t, "fourth call (another user of the org)", status, body, api.MsgCreditsExceeded)
	if status, body := get(b.adminTok); status == http.StatusTooManyRequests {
		t.Fatalf("another org is limited: %v", body)
	}
	e.clock.Set(start.Add(24*time.Hour - time.Minute))
	status, body = get(e.a.adminTok)
	wantTooMany(t, "a minute before the first credits come back", status, body, api.MsgCreditsExceeded)
	e.clock.Set(start.Add(24 * time.Hour))
	for i := 0; i < 2; i++ { // the first two credits are back, the third not yet
		if status, body := get(e.a.adminTok); status == http.StatusTooManyRequests {
			t.Fatalf("24 h later, call %d: %v", i+1, body)
		}
	}
	status, body = get(e.a.adminTok)
	wantTooMany(t, "24 h later, third call", status, body, api.MsgCreditsExceeded)
}
