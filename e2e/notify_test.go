package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// hookReceiver is a subscriber on 127.0.0.1: it answers 503 to its first failFirst callbacks (so that
// retries show in the deliveries API) and 200 after, and keeps the ids of the callbacks it accepted.
type hookReceiver struct {
	srv       *httptest.Server
	mu        sync.Mutex
	hits      int
	failFirst int
	callbacks int
	ids       map[string]int // id → how many accepted callbacks named it
	bad       []string
}

func newHookReceiver(t *testing.T, failFirst int) *hookReceiver {
	r := &hookReceiver{failFirst: failFirst, ids: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.hits++
		if r.hits <= r.failFirst {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var cb struct{ IDs []string }
		var m map[string]any
		if err := json.Unmarshal(body, &cb); err != nil || json.Unmarshal(body, &m) != nil {
			r.bad = append(r.bad, string(body))
		} else if m["operation"] != "delete" || m["module"] != "Leads" || m["channel_id"] != "9001" || m["token"] != notifyToken {
			r.bad = append(r.bad, string(body))
		}
		r.callbacks++
		for _, id := range cb.IDs {
			r.ids[id]++
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// notifyToken is the channel's token: a secret the server must not log.
const notifyToken = "e2e-channel-token-SECRET"

// TestNotificationsSurviveSIGKILL: a channel enabled through the real API watches Leads.delete; a
// 20,000-record mass delete job is SIGKILLed part-way, the server restarted on the same database
// finishes the job, and the receiver has, in the end, heard of every deleted id at least once
// (at-least-once delivery: an attempt cut short by the kill may be repeated). The deliveries API shows
// the attempts, the early failures (the receiver answers 503 at first) among them, and the channel's
// token is in no log line.
func TestNotificationsSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 20,000 records")
	}
	t.Parallel()
	rcv := newHookReceiver(t, 3)
	// --notify-timeout 1s makes a dead process's delivery leases (2 × timeout + 5 s) run out soon;
	// --job-lease 2s does the same for the job.
	flags := []string{"--notify-allow-private", "--notify-backoff", "50ms", "--notify-timeout", "1s",
		"--job-batch-size", "200", "--job-batch-delay", "30ms", "--job-lease", "2s"}
	h := startServer(t, flags...)
	status, body, raw := h.Do("POST", "/crm/v8/actions/watch", map[string]any{"watch": []any{map[string]any{
		"channel_id": "9001", "events": []string{"Leads.delete"}, "notify_url": rcv.srv.URL + "/hook?key=abc", "token": notifyToken}}}, h.Token)
	if status != http.StatusCreated || body["watch"].([]any)[0].(map[string]any)["code"] != "SUCCESS" {
		t.Fatalf("enable: %d %s", status, raw)
	}
	h.CLIJSON("seed", "--org", h.OrgID, "--module", "Leads", "--count", "20000", "--seed", "3")
	all := map[string]bool{}
	for id := range leadRows(t, openStore(t, h.DB), h.OrgID) {
		all[id] = true
	}
	if len(all) != 20000 {
		t.Fatalf("%d leads, want 20000", len(all))
	}
	status, views, _ := h.Do("GET", "/crm/v8/settings/custom_views?module=Leads", nil, h.Token)
	cvid := ""
	for _, v := range views["custom_views"].([]any) {
		if v.(map[string]any)["system_name"] == "ALLVIEWS" {
			cvid = v.(map[string]any)["id"].(string)
		}
	}
	if status != http.StatusOK || cvid == "" {
		t.Fatalf("views: %d %v", status, views)
	}
	status, body, raw = h.Do("POST", "/crm/v8/Leads/actions/mass_delete", map[string]any{"cvid": cvid}, h.Token)
	if status != http.StatusOK {
		t.Fatalf("schedule: %d %s", status, raw)
	}
	job := jobIDOf(t, body)
	// Kill once the job is under way and some of its notifications have gone out.
	eventually(t, 60*time.Second, "progress and some callbacks", func() bool {
		js := statusOf(t, h, "v8", job, h.Token)
		rcv.mu.Lock()
		n := rcv.callbacks
		rcv.mu.Unlock()
		return js.Status == "RUNNING" && js.Deleted >= 2000 && n > 0
	})
	token := h.Token
	h.Kill()
	rcv.mu.Lock()
	atKill := len(rcv.ids)
	rcv.mu.Unlock()
	if atKill >= len(all) {
		t.Fatalf("every id was told before the kill (%d): the kill proves nothing", atKill)
	}

	h2 := startServer(t, append([]string{"--db", h.DB}, flags...)...)
	h2.Token = token
	eventually(t, 120*time.Second, "the resumed job to complete", func() bool {
		return statusOf(t, h2, "v8", job, token).Status == "COMPLETED"
	})
	if js := statusOf(t, h2, "v8", job, token); js.Deleted != len(all) {
		t.Fatalf("job %+v, want %d deleted", js, len(all))
	}
	// What the job deleted, by the database: the ids the callbacks must name.
	deleted := traceJob(t, h.DB, h.OrgID, job).deleted
	if len(deleted) != len(all) {
		t.Fatalf("the job deleted %d records, want %d", len(deleted), len(all))
	}
	eventually(t, 120*time.Second, "every deleted id to be told", func() bool {
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		return len(rcv.ids) >= len(all)
	})
	rcv.mu.Lock()
	missing, extra, dup := 0, 0, 0
	for id := range deleted {
		if rcv.ids[id] == 0 {
			missing++
		}
	}
	for id, n := range rcv.ids {
		if _, ok := deleted[id]; !ok {
			extra++
		}
		if n > 1 {
			dup++
		}
	}
	bad := rcv.bad
	rcv.mu.Unlock()
	if missing != 0 || extra != 0 || len(bad) != 0 {
		t.Fatalf("%d deleted ids never told, %d told that were not deleted, %d malformed callbacks: %.300v", missing, extra, len(bad), bad)
	}
	t.Logf("told before the kill: %d ids; ids told more than once (allowed): %d", atKill, dup)

	// The deliveries API, paged to the end: the three 503 answers are retries, the rest delivered.
	outcomes := map[string]int{}
	for page := 1; ; page++ {
		status, body, raw := h2.Do("GET", fmt.Sprintf("/crmd/v1/notifications/deliveries?channel_id=9001&page=%d&per_page=100", page), nil, token)
		if status != http.StatusOK {
			t.Fatalf("deliveries: %d %s", status, raw)
		}
		for _, d := range body["deliveries"].([]any) {
			dm := d.(map[string]any)
			outcomes[dm["outcome"].(string)]++
			if dm["outcome"] == "retry" && dm["status_code"] != float64(503) {
				t.Errorf("retry %v", dm)
			}
		}
		if body["info"].(map[string]any)["more_records"] != true {
			break
		}
	}
	if outcomes["retry"] != 3 || outcomes["delivered"] < len(all)/200 || outcomes["failed"] != 0 {
		t.Errorf("deliveries by outcome %v, want 3 retries and at least %d delivered", outcomes, len(all)/200)
	}
	for _, log := range []string{h.Stderr(), h2.Stderr()} {
		if strings.Contains(log, notifyToken) {
			t.Error("the channel's token is in the server's log")
		}
	}
}

// TestNotifyURLPrivateRefused: a server started without --notify-allow-private refuses a notify_url
// on 127.0.0.1 when the channel is enabled, with Zoho's INVALID_DATA entry naming notify_url, and no
// channel is made.
func TestNotifyURLPrivateRefused(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	for _, u := range []string{"http://127.0.0.1:8080/hook", "http://169.254.169.254/latest", "http://localhost/x", "ftp://example.com/x"} {
		status, body, raw := h.Do("POST", "/crm/v8/actions/watch", map[string]any{"watch": []any{map[string]any{
			"channel_id": "77", "events": []string{"Leads.delete"}, "notify_url": u, "token": "t"}}}, h.Token)
		if status != http.StatusAccepted {
			t.Fatalf("%s: %d %s", u, status, raw)
		}
		e := body["watch"].([]any)[0].(map[string]any)
		d, _ := e["details"].(map[string]any)
		if e["code"] != "INVALID_DATA" || e["status"] != "error" || e["message"] != "invalid data" ||
			d["api_name"] != "notify_url" || d["json_path"] != "$.watch[0].notify_url" {
			t.Errorf("%s: %s", u, raw)
		}
	}
	if status, _, raw := h.Do("GET", "/crm/v8/actions/watch", nil, h.Token); status != http.StatusNoContent {
		t.Errorf("a refused channel was made: %d %s", status, raw)
	}
	// The same URL is fine for a public host name (not resolved at enable time).
	status, _, raw := h.Do("POST", "/crm/v8/actions/watch", map[string]any{"watch": []any{map[string]any{
		"channel_id": "78", "events": []string{"Leads.delete"}, "notify_url": "https://hooks.example.com/x", "token": "t"}}}, h.Token)
	if status != http.StatusCreated {
		t.Errorf("public notify_url: %d %s", status, raw)
	}
}
