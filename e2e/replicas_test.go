package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd/internal/testdb"
)

// These tests run several `crmd serve` processes on one PostgreSQL schema, as replicas behind a load
// balancer would: SQLite cannot show it (one file, one host), so they take PostgreSQL whatever
// CRMD_TEST_STORE says, and skip without CRMD_TEST_POSTGRES.

// startReplica starts another `crmd serve` on first's database. It must find the org first
// bootstrapped and print nothing of its own; it gets first's bootstrap details, so that the helpers
// written for one server (h.Token, h.OrgID) work on it.
func startReplica(t *testing.T, first *Harness, args ...string) *Harness {
	t.Helper()
	h := startServer(t, append([]string{"--db", first.DB}, args...)...)
	if h.Bootstrap != "" || h.Token != "" {
		t.Fatalf("a replica started on a bootstrapped database bootstrapped again:\n%s", h.Bootstrap)
	}
	h.Token, h.RefreshToken, h.OrgID, h.ClientID, h.ClientSecret = first.Token, first.RefreshToken, first.OrgID, first.ClientID, first.ClientSecret
	return h
}

// invalidToken is Zoho's answer to a token it does not (or no longer) honour.
const invalidToken = `{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}`

// checkRefused checks that h answers 401 INVALID_TOKEN to a call with token.
func checkRefused(t *testing.T, h *Harness, token, what string) {
	t.Helper()
	status, _, raw := h.Do("GET", "/crm/v8/users?type=CurrentUser", nil, token)
	if status != http.StatusUnauthorized || string(bytes.TrimSpace(raw)) != invalidToken {
		t.Errorf("%s on %s: %d %s, want 401 %s", what, h.BaseURL, status, raw, invalidToken)
	}
}

// TestReplicasShareTokens: tokens live in the database, not in a replica: one printed by A works on B,
// one refreshed on B works on A, and what is revoked on A is refused on B at once.
func TestReplicasShareTokens(t *testing.T) {
	a := startServer(t, "--db", testdb.PostgresDSN(t))
	b := startReplica(t, a)

	if email := currentUserEmail(t, b, a.Token); email != "admin@crmd.local" {
		t.Fatalf("A's bootstrap token on B: user %q, want admin@crmd.local", email)
	}

	resp, raw := b.Request("POST", "/oauth/v2/token", Multipart{
		"grant_type": "refresh_token", "client_id": a.ClientID, "client_secret": a.ClientSecret, "refresh_token": a.RefreshToken,
	}, "")
	var tr map[string]any
	if err := json.Unmarshal(raw, &tr); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh on B: %d %s", resp.StatusCode, raw)
	}
	refreshed, _ := tr["access_token"].(string)
	if len(tr) != 4 || !strings.HasPrefix(refreshed, "1000.") || refreshed == a.Token ||
		tr["token_type"] != "Bearer" || tr["expires_in"] != float64(3600) || tr["api_domain"] != b.BaseURL {
		t.Fatalf("refresh on B answered %s", raw)
	}
	if email := currentUserEmail(t, a, refreshed); email != "admin@crmd.local" {
		t.Fatalf("B's refreshed token on A: user %q, want admin@crmd.local", email)
	}

	// Revoking an access token on A ends that token everywhere, and only that one.
	revoke := func(token string) {
		t.Helper()
		status, body, raw := a.Do("POST", "/oauth/v2/token/revoke", Multipart{"token": token}, "")
		if status != http.StatusOK || len(body) != 1 || body["status"] != "success" {
			t.Fatalf("revoke on A: %d %s", status, raw)
		}
	}
	revoke(refreshed)
	checkRefused(t, b, refreshed, "the access token revoked on A")
	if email := currentUserEmail(t, b, a.Token); email != "admin@crmd.local" {
		t.Fatalf("after revoking another token, the bootstrap token on B: user %q", email)
	}

	// Revoking the refresh token on A ends it and the access tokens minted from it, on B too.
	revoke(a.RefreshToken)
	checkRefused(t, b, a.Token, "the bootstrap access token, its refresh token revoked on A")
	status, body, raw := b.Do("POST", "/oauth/v2/token", Multipart{
		"grant_type": "refresh_token", "client_id": a.ClientID, "client_secret": a.ClientSecret, "refresh_token": a.RefreshToken,
	}, "")
	if status != http.StatusOK || len(body) != 1 || body["error"] != "invalid_code" {
		t.Fatalf("refresh on B with the refresh token revoked on A: %d %s, want 200 {\"error\":\"invalid_code\"}", status, raw)
	}
}

// TestReplicasMassDeleteRace: cvid requests racing over two replicas make exactly one job, which
// either replica reports to completion.
func TestReplicasMassDeleteRace(t *testing.T) {
	// Slow batches keep the job running while the requests race, so a second job cannot be accepted
	// legitimately after the first one ended.
	slow := []string{"--job-batch-size", "10", "--job-batch-delay", "200ms"}
	a := startServer(t, append([]string{"--db", testdb.PostgresDSN(t)}, slow...)...)
	b := startReplica(t, a, slow...)
	s := newMDScene(t, a, 2000)
	replicas := []*Harness{a, b}
	job := raceCVID(t, replicas, s.cvid, 20)

	done := map[*Harness]jobStatus{}
	eventually(t, 60*time.Second, "both replicas to report the job COMPLETED", func() bool {
		for _, h := range replicas {
			js := statusOf(t, h, "v8", job, h.Token)
			if js.Status != "RUNNING" && js.Status != "COMPLETED" {
				t.Fatalf("status on %s: %+v", h.BaseURL, js)
			}
			if js.Status == "COMPLETED" {
				done[h] = js
			}
		}
		return len(done) == len(replicas)
	})
	want := jobStatus{Status: "COMPLETED", Total: len(s.selected), Deleted: len(s.selected)}
	for h, js := range done {
		if js != want {
			t.Errorf("on %s: %+v, want %+v", h.BaseURL, js, want)
		}
	}
	// One claim in all: while its runner lives, no other replica takes the job over.
	if n := len(claims(t, a, job)) + len(claims(t, b, job)); n != 1 {
		t.Errorf("the job was claimed %d times, want once", n)
	}
	if got, want := s.liveIDs(t), s.unselected(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%d leads live, want the %d the view did not select", len(got), len(want))
	}
}

// TestReplicasFinishKilledReplicasJob: replica A runs a job and is killed (SIGKILL) in the middle of
// it; replica B, running all along, takes the job over once A's lease has expired, resumes it at A's
// cursor and completes it, each selected record deleted exactly once.
func TestReplicasFinishKilledReplicasJob(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a 30 s lease to expire")
	}
	// The crash tests spend their time waiting for a lease: they wait side by side.
	t.Parallel()
	dsn := testdb.PostgresDSN(t)
	// A deletes 5 records per 200 ms (~8 s for the view's ~200), so that the job is still running
	// when A dies even if B is slow to start on a busy machine.
	a := startServer(t, "--db", dsn, "--job-batch-size", "5", "--job-batch-delay", "200ms")
	s := newMDScene(t, a, 2000)
	status, body := s.schedule(t, a)
	if status != http.StatusOK {
		t.Fatalf("schedule on A: %d %v", status, body)
	}
	job := jobIDOf(t, body)
	waitProgress(t, a, job)
	held := traceJob(t, dsn, a.OrgID, job)
	if held.job.Status != "RUNNING" || held.job.LeaseOwner == "" {
		t.Fatalf("before B started: %+v, want RUNNING under A's lease", held.job)
	}

	b := startReplica(t, a)
	// A keeps the job while B runs beside it.
	eventually(t, 30*time.Second, "A to go on with B running", func() bool {
		return statusOf(t, a, "v8", job, a.Token).Deleted > int(held.job.DeletedCount)
	})
	a.Kill()
	crash := traceJob(t, dsn, a.OrgID, job)
	if crash.job.Status != "RUNNING" || crash.job.LeaseOwner != held.job.LeaseOwner ||
		crash.job.DeletedCount == 0 || crash.job.DeletedCount >= crash.job.TotalCount {
		t.Fatalf("at A's death: %+v, want RUNNING part-way through under A's lease (owner %s)", crash.job, held.job.LeaseOwner)
	}
	mid := statusOf(t, b, "v8", job, b.Token)
	if want := (jobStatus{Status: "RUNNING", Total: int(crash.job.TotalCount), Deleted: int(crash.job.DeletedCount)}); mid != want {
		t.Fatalf("on B after A's death: %+v, want %+v", mid, want)
	}

	var js jobStatus
	eventually(t, 60*time.Second, "B to complete the job", func() bool {
		js = statusOf(t, b, "v8", job, b.Token)
		return js.Status == "COMPLETED"
	})
	if want := (jobStatus{Status: "COMPLETED", Total: len(s.selected), Deleted: len(s.selected)}); js != want {
		t.Fatalf("on B: %+v, want %+v", js, want)
	}
	if got := claims(t, b, job); len(got) != 1 || got[0] != crash.job.Cursor {
		t.Errorf("B claimed the job at cursors %v, want once at A's cursor %d", got, crash.job.Cursor)
	}
	checkDeletedOnce(t, dsn, s, a.OrgID, job, crash)
}

// claims returns the cursor of every claim of job that h's job runner logged.
func claims(t *testing.T, h *Harness, job string) []int64 {
	t.Helper()
	var out []int64
	for _, line := range strings.Split(h.Stderr(), "\n") {
		var e struct {
			Msg    string `json:"msg"`
			Job    string `json:"job"`
			Cursor *int64 `json:"cursor"`
		}
		if json.Unmarshal([]byte(line), &e) != nil || e.Msg != "job claimed" || e.Job != job {
			continue
		}
		if e.Cursor == nil {
			t.Fatalf("claim without a cursor: %s", line)
		}
		out = append(out, *e.Cursor)
	}
	return out
}
