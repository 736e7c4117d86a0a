package e2e

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/internal/testdb"
)

// crmd's own API (docs/crmd-api.md) from outside, on the real binary: an undo that survives SIGKILL,
// and a job's events stream served by a replica that does not run the job.

// v1Job reads a job through GET /crmd/v1/jobs/{id}.
func v1Job(t *testing.T, h *Harness, id string) map[string]any {
	t.Helper()
	status, body, raw := h.Do("GET", "/crmd/v1/jobs/"+id, nil, h.Token)
	if status != http.StatusOK {
		t.Fatalf("job %s: %d %s", id, status, raw)
	}
	return body["job"].(map[string]any)
}

// TestUndoCrashResume kills the server in the middle of an undo: the restarted server finishes it, and
// every record the mass delete took is back exactly once — the audit trail shows one restore per record,
// none repeated.
func TestUndoCrashResume(t *testing.T) {
	t.Parallel()
	flags := []string{"--job-batch-size", "10", "--job-batch-delay", "100ms", "--job-lease", "2s"}
	h := startServer(t, flags...)
	s := newMDScene(t, h, 2000)
	status, body := s.schedule(t, h)
	if status != http.StatusOK {
		t.Fatalf("schedule: %d %v", status, body)
	}
	job := jobIDOf(t, body)
	eventually(t, 90*time.Second, "the mass delete to complete", func() bool { return v1Job(t, h, job)["status"] == "COMPLETED" })

	status, body, raw := h.Do("POST", "/crmd/v1/jobs/"+job+"/actions/undo", nil, h.Token)
	if status != http.StatusAccepted {
		t.Fatalf("undo: %d %s", status, raw)
	}
	undo := body["job"].(map[string]any)["id"].(string)
	eventually(t, 30*time.Second, "the undo to make progress", func() bool {
		j := v1Job(t, h, undo)
		return j["status"] == "RUNNING" && j["processed"].(float64) > 0
	})
	token := h.Token
	h.Kill()

	h2 := startServer(t, append([]string{"--db", h.DB}, flags...)...)
	h2.Token, h2.OrgID = token, h.OrgID
	mid := v1Job(t, h2, undo)
	if mid["status"] != "RUNNING" || mid["processed"].(float64) >= float64(len(s.selected)) {
		t.Fatalf("after the kill: %v, want the undo part-way through", mid)
	}
	var done map[string]any
	eventually(t, 90*time.Second, "the resumed undo to complete", func() bool {
		done = v1Job(t, h2, undo)
		return done["status"] == "COMPLETED"
	})
	n := float64(len(s.selected))
	if done["total"] != n || done["succeeded"] != n || done["failed"] != 0.0 || done["undo_of"] != job {
		t.Fatalf("undo %v, want all %d restored", done, len(s.selected))
	}
	live := map[string]bool{}
	s.h = h2
	for _, id := range s.liveIDs(t) {
		live[id] = true
	}
	if len(live) != len(s.all) {
		t.Errorf("%d Leads live after the undo, %d seeded", len(live), len(s.all))
	}
	// The audit trail: one restore per record of the view, none twice.
	resp, raw := h2.Request("GET", "/crmd/v1/audit?format=csv&job_id="+undo, nil, token)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("audit: %d %s", resp.StatusCode, raw)
	}
	rows, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, r := range rows[1:] {
		if r[2] != "restored" || r[3] != "job" {
			t.Errorf("audit row %q", r)
		}
		seen[r[5]]++
	}
	for id := range s.selected {
		if seen[id] != 1 {
			t.Errorf("record %s restored %d times", id, seen[id])
		}
	}
	if len(seen) != len(s.selected) {
		t.Errorf("%d records restored, the view selected %d", len(seen), len(s.selected))
	}
}

// readEvents reads a job's events stream until the server closes it, and returns the jobs it carried.
func readEvents(t *testing.T, h *Harness, job string) []map[string]any {
	t.Helper()
	req, _ := http.NewRequest("GET", h.BaseURL+"/crmd/v1/jobs/"+job+"/events", nil)
	req.Header.Set("Authorization", "Zoho-oauthtoken "+h.Token)
	client := &http.Client{Transport: crmdtest.ValidatingTransport(t, nil)}
	resp, err := client.Do(req)
	if err != nil {
		t.Error(err)
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("events on %s: %d", h.BaseURL, resp.StatusCode)
		return nil
	}
	var out []map[string]any
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			var j map[string]any
			if err := json.Unmarshal([]byte(data), &j); err != nil {
				t.Errorf("event %q: %v", data, err)
				return out
			}
			out = append(out, j)
		}
	}
	return out
}

// TestJobEventsFromAnotherReplica opens a job's events stream on two replicas on one PostgreSQL
// schema: whichever does not run the job follows it all the same, with growing counts, to its end.
func TestJobEventsFromAnotherReplica(t *testing.T) {
	t.Parallel()
	dsn := testdb.PostgresDSN(t)
	a := startServer(t, "--db", dsn, "--job-batch-size", "10", "--job-batch-delay", "100ms")
	s := newMDScene(t, a, 2000)
	b := startReplica(t, a, "--job-batch-size", "10", "--job-batch-delay", "100ms")
	status, body := s.schedule(t, a)
	if status != http.StatusOK {
		t.Fatalf("schedule: %d %v", status, body)
	}
	job := jobIDOf(t, body)
	streams := make([][]map[string]any, 2)
	done := make(chan int, 2)
	for i, h := range []*Harness{a, b} {
		go func() {
			streams[i] = readEvents(t, h, job)
			done <- i
		}()
	}
	for range 2 {
		select {
		case <-done:
		case <-time.After(120 * time.Second):
			t.Fatal("an events stream did not end with the job")
		}
	}
	ran := -1
	for i, h := range []*Harness{a, b} {
		if len(claims(t, h, job)) > 0 {
			ran = i
		}
	}
	if ran < 0 {
		t.Fatal("neither replica logged a claim of the job")
	}
	// Both replicas see every batch: the one that runs the job from its runner, the other through
	// PostgreSQL's notifications. The batches are of 10 records, so the counts seen are 0, 10, 20, …
	batches := map[float64]bool{}
	for k := 0.0; k < float64(len(s.selected)); k += 10 {
		batches[k] = true
	}
	batches[float64(len(s.selected))] = true
	for i, evs := range streams {
		seen := map[float64]bool{}
		for _, j := range evs {
			seen[j["processed"].(float64)] = true
		}
		for k := range batches {
			// The first event shows the job as it was when the stream opened, maybe a few batches in.
			if !seen[k] && k > evs[0]["processed"].(float64) {
				t.Errorf("replica %d: no event with %v processed (events %v)", i, k, processedOf(evs))
				break
			}
		}
	}
	for i, evs := range streams {
		if len(evs) < 3 {
			t.Errorf("replica %d: %d events, want the start, progress and the end", i, len(evs))
			continue
		}
		last := evs[len(evs)-1]
		if last["status"] != "COMPLETED" || last["processed"] != float64(len(s.selected)) {
			t.Errorf("replica %d: last event %v", i, last)
		}
		for k := 1; k < len(evs); k++ {
			if evs[k]["processed"].(float64) < evs[k-1]["processed"].(float64) {
				t.Errorf("replica %d: processed went back: %v then %v", i, evs[k-1]["processed"], evs[k]["processed"])
			}
		}
	}
	t.Logf("replica %d ran the job; events: %d on A, %d on B", ran, len(streams[0]), len(streams[1]))
}

func processedOf(evs []map[string]any) []float64 {
	out := make([]float64, len(evs))
	for i, j := range evs {
		out[i] = j["processed"].(float64)
	}
	return out
}
