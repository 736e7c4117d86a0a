package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// mdScene is a server with seeded Leads and a view on their most common source.
type mdScene struct {
	h        *Harness
	all      []string        // every lead, sorted
	selected map[string]bool // the leads the view selects
	cvid     string
}

// newMDScene seeds n Leads into h's org and creates the view.
func newMDScene(t *testing.T, h *Harness, n int) *mdScene {
	t.Helper()
	h.CLIJSON("seed", "--org", h.OrgID, "--module", "Leads", "--count", fmt.Sprint(n), "--seed", "11")
	s := &mdScene{h: h, selected: map[string]bool{}}
	source := map[string]string{}
	for _, r := range s.list(t, "fields=Lead_Source") {
		src, _ := r["Lead_Source"].(string)
		source[r["id"].(string)] = src
		s.all = append(s.all, r["id"].(string))
	}
	sort.Strings(s.all)
	count := map[string]int{}
	for _, src := range source {
		count[src]++
	}
	best := ""
	for src, c := range count {
		if src != "" && c > count[best] {
			best = src
		}
	}
	for id, src := range source {
		if src == best {
			s.selected[id] = true
		}
	}
	status, body, raw := h.Do("POST", "/crm/v8/settings/custom_views?module=Leads", map[string]any{"custom_views": []any{map[string]any{
		"name": "Doomed", "criteria": map[string]any{"field": map[string]any{"api_name": "Lead_Source"}, "comparator": "equal", "value": best}}}}, h.Token)
	if status != http.StatusCreated {
		t.Fatalf("create view: %d %s", status, raw)
	}
	s.cvid = body["custom_views"].([]any)[0].(map[string]any)["details"].(map[string]any)["id"].(string)
	if len(s.selected) < 100 || len(s.selected) == n {
		t.Fatalf("the view selects %d of %d leads; the test needs a proper subset of at least 100", len(s.selected), n)
	}
	return s
}

// list pages through GET /crm/v8/Leads?query and returns the records.
func (s *mdScene) list(t *testing.T, query string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for page := 1; ; page++ {
		status, body, raw := s.h.Do("GET", fmt.Sprintf("/crm/v8/Leads?per_page=200&page=%d&%s", page, query), nil, s.h.Token)
		if status == http.StatusNoContent {
			return out
		}
		if status != http.StatusOK {
			t.Fatalf("list %s: %d %s", query, status, raw)
		}
		for _, it := range body["data"].([]any) {
			out = append(out, it.(map[string]any))
		}
		if body["info"].(map[string]any)["more_records"] != true {
			return out
		}
	}
}

// liveIDs lists the live leads' ids, sorted.
func (s *mdScene) liveIDs(t *testing.T) []string {
	t.Helper()
	var ids []string
	for _, r := range s.list(t, "fields=Last_Name") {
		ids = append(ids, r["id"].(string))
	}
	sort.Strings(ids)
	return ids
}

// unselected is every lead the view does not select, sorted.
func (s *mdScene) unselected() []string {
	var ids []string
	for _, id := range s.all {
		if !s.selected[id] {
			ids = append(ids, id)
		}
	}
	return ids
}

// schedule posts the cvid mass delete and returns the status and answer.
func (s *mdScene) schedule(t *testing.T, h *Harness) (int, map[string]any) {
	t.Helper()
	status, body, _ := h.Do("POST", "/crm/v8/Leads/actions/mass_delete", map[string]any{"cvid": s.cvid}, h.Token)
	return status, body
}

func jobIDOf(t *testing.T, body map[string]any) string {
	t.Helper()
	d := body["data"].([]any)[0].(map[string]any)
	if d["code"] != "SUCCESS" || d["message"] != "mass delete scheduled successfully" || d["status"] != "success" {
		t.Fatalf("schedule answer %v", body)
	}
	return d["details"].(map[string]any)["job_id"].(string)
}

// jobStatus is one status answer.
type jobStatus struct {
	Status                 string
	Total, Deleted, Failed int
}

func statusOf(t *testing.T, h *Harness, version, job, token string) jobStatus {
	t.Helper()
	status, body, raw := h.Do("GET", "/crm/"+version+"/Leads/actions/mass_delete?job_id="+job, nil, token)
	if status != http.StatusOK {
		t.Fatalf("status: %d %s", status, raw)
	}
	d := body["data"].([]any)[0].(map[string]any)
	num := func(k string) int {
		f, ok := d[k].(float64)
		if !ok || f != float64(int(f)) {
			t.Fatalf("%s = %v, want an integer", k, d[k])
		}
		return int(f)
	}
	if len(d) != 4 {
		t.Fatalf("status keys %v", d)
	}
	return jobStatus{Status: d["Status"].(string), Total: num("Total_Count"), Deleted: num("Deleted_Count"), Failed: num("Failed_Count")}
}

// waitCompleted polls the job's status until COMPLETED.
func waitCompleted(t *testing.T, h *Harness, job string) jobStatus {
	t.Helper()
	var js jobStatus
	eventually(t, 60*time.Second, "the job to complete", func() bool {
		js = statusOf(t, h, "v8", job, h.Token)
		if js.Status != "RUNNING" && js.Status != "COMPLETED" {
			t.Fatalf("v8 status %q", js.Status)
		}
		return js.Status == "COMPLETED"
	})
	return js
}

// TestMassDeleteJobOverHTTP: a cvid job against the real binary, from acceptance to COMPLETED, with the
// lock refusing a second job meanwhile and the deleted records in the recycle bin.
func TestMassDeleteJobOverHTTP(t *testing.T) {
	h := startServer(t, "--job-batch-size", "50", "--job-batch-delay", "20ms")
	s := newMDScene(t, h, 2000)

	status, body := s.schedule(t, h)
	if status != http.StatusOK {
		t.Fatalf("schedule: %d %v", status, body)
	}
	job := jobIDOf(t, body)
	status, body = s.schedule(t, h)
	if status != http.StatusBadRequest || body["code"] != "ALREADY_SCHEDULED" || fmt.Sprint(body["details"]) != "map[api_name:cvid]" {
		t.Fatalf("second job: %d %v", status, body)
	}
	js := waitCompleted(t, h, job)
	if js.Total != len(s.selected) || js.Deleted+js.Failed != js.Total || js.Deleted != js.Total {
		t.Fatalf("completed job %+v, want %d deleted", js, len(s.selected))
	}
	if v2 := statusOf(t, h, "v2", job, h.Token); v2 != js {
		t.Errorf("v2 status %+v, v8 %+v", v2, js)
	}
	if got, want := s.liveIDs(t), s.unselected(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%d leads live, want the %d the view did not select", len(got), len(want))
	}
	// The deleted records are in the recycle bin.
	inBin := map[string]bool{}
	for page := 1; ; page++ {
		status, body, raw := h.Do("GET", fmt.Sprintf("/crm/v8/Leads/deleted?type=recycle&per_page=200&page=%d", page), nil, h.Token)
		if status == http.StatusNoContent {
			break
		}
		if status != http.StatusOK {
			t.Fatalf("deleted: %d %s", status, raw)
		}
		for _, it := range body["data"].([]any) {
			inBin[it.(map[string]any)["id"].(string)] = true
		}
		if body["info"].(map[string]any)["more_records"] != true {
			break
		}
	}
	for id := range s.selected {
		if !inBin[id] {
			t.Fatalf("%s is not in the recycle bin (%d there)", id, len(inBin))
		}
	}
	// The lock is free again: the same view, now empty, has nothing to delete.
	if status, body = s.schedule(t, h); status != http.StatusBadRequest || body["code"] != "NO_RECORDS_FOUND" {
		t.Fatalf("after the job: %d %v", status, body)
	}
}

// raceCVID sends n concurrent mass delete requests for cvid, spread over the servers in turn, and
// checks that exactly one makes a job and every other gets 400 ALREADY_SCHEDULED {"api_name":"cvid"};
// it returns the job's id.
func raceCVID(t *testing.T, servers []*Harness, cvid string, n int) string {
	t.Helper()
	type answer struct {
		status int
		body   map[string]any
		raw    []byte
	}
	answers := make([]answer, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range answers {
		h := servers[i%len(servers)]
		wg.Go(func() {
			<-start
			resp, raw := h.Request("POST", "/crm/v8/Leads/actions/mass_delete", map[string]any{"cvid": cvid}, h.Token)
			answers[i] = answer{resp.StatusCode, decodeObject(raw), raw}
		})
	}
	close(start)
	wg.Wait()
	var jobs []string
	already := 0
	for i, an := range answers {
		switch {
		case an.status == http.StatusOK:
			jobs = append(jobs, jobIDOf(t, an.body))
		case an.status == http.StatusBadRequest && an.body["code"] == "ALREADY_SCHEDULED" && fmt.Sprint(an.body["details"]) == "map[api_name:cvid]":
			already++
		default:
			t.Errorf("request %d on %s: %d %s", i, servers[i%len(servers)].BaseURL, an.status, an.raw)
		}
	}
	if len(jobs) != 1 || already != n-1 {
		t.Fatalf("%d jobs, %d ALREADY_SCHEDULED; want 1 and %d", len(jobs), already, n-1)
	}
	return jobs[0]
}

// TestMassDeleteRaceOverHTTP: 20 concurrent cvid requests make exactly one job.
func TestMassDeleteRaceOverHTTP(t *testing.T) {
	// Slow batches keep the job running while the requests race.
	h := startServer(t, "--job-batch-size", "20", "--job-batch-delay", "200ms")
	s := newMDScene(t, h, 2000)
	job := raceCVID(t, []*Harness{h}, s.cvid, 20)
	if js := statusOf(t, h, "v8", job, h.Token); js.Total != len(s.selected) {
		t.Fatalf("job %+v, want Total_Count %d", js, len(s.selected))
	}
}

// TestMassDeleteCrashResume: the server is killed (SIGKILL) in the middle of a job; restarted on the same
// database, it resumes the job at its cursor once the dead process's lease has expired, and every
// snapshotted record is deleted exactly once.
func TestMassDeleteCrashResume(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a 30 s lease to expire")
	}
	// The crash tests spend their time waiting for a lease: they wait side by side.
	t.Parallel()
	h := startServer(t, "--job-batch-size", "20", "--job-batch-delay", "100ms")
	s := newMDScene(t, h, 2000)
	status, body := s.schedule(t, h)
	if status != http.StatusOK {
		t.Fatalf("schedule: %d %v", status, body)
	}
	job := jobIDOf(t, body)
	waitProgress(t, h, job)
	token := h.Token
	h.Kill()
	crash := traceJob(t, h.DB, h.OrgID, job)

	h2 := startServer(t, "--db", h.DB, "--job-batch-size", "20")
	h2.Token = token
	var mid jobStatus
	mid = statusOf(t, h2, "v8", job, token)
	if mid.Status != "RUNNING" || mid.Deleted == 0 || mid.Deleted >= mid.Total {
		t.Fatalf("after the crash: %+v, want a job part-way through", mid)
	}
	var js jobStatus
	eventually(t, 90*time.Second, "the resumed job to complete", func() bool {
		js = statusOf(t, h2, "v8", job, token)
		return js.Status == "COMPLETED"
	})
	if js.Total != len(s.selected) || js.Deleted+js.Failed != js.Total || js.Deleted != js.Total {
		t.Fatalf("resumed job %+v, want all %d deleted", js, len(s.selected))
	}
	h2.Stop()
	checkDeletedOnce(t, h.DB, s, h.OrgID, job, crash)
}

// waitProgress waits until job runs on h and has deleted some of its records, so that a kill lands in
// the middle of it.
func waitProgress(t *testing.T, h *Harness, job string) jobStatus {
	t.Helper()
	var js jobStatus
	eventually(t, 30*time.Second, "some progress", func() bool {
		js = statusOf(t, h, "v8", job, h.Token)
		return js.Deleted > 0 && js.Status == "RUNNING"
	})
	return js
}

// jobTrace is what the database holds of a job at one moment.
type jobTrace struct {
	job     *crmd.Job
	deleted map[string]int64 // id → deleted_time of each record whose delete_job_id is the job
}

// openStore opens the database a server runs on, closed when the test ends.
func openStore(t *testing.T, dsn string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// leadRow is a Lead's deletion state as stored.
type leadRow struct {
	deletedTime int64 // 0 = live
	deleteJob   int64 // 0 = not deleted by a job
}

// leadRows reads every Lead of the org from the database, deleted or not.
func leadRows(t *testing.T, st *store.Store, orgID string) map[string]leadRow {
	t.Helper()
	org, _ := crmd.ParseID(orgID)
	rows, err := st.R.Query(st.Q(`SELECT id, deleted_time, delete_job_id FROM records WHERE org_id = ?
		AND module_id = (SELECT id FROM modules WHERE org_id = ? AND api_name = 'Leads')`), int64(org), int64(org))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]leadRow{}
	for rows.Next() {
		var id int64
		var at, jobID sql.NullInt64
		if err := rows.Scan(&id, &at, &jobID); err != nil {
			t.Fatal(err)
		}
		out[crmd.ID(id).String()] = leadRow{deletedTime: at.Int64, deleteJob: jobID.Int64}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// traceJob reads the job's row and the records it has deleted so far.
func traceJob(t *testing.T, dsn, orgID, job string) jobTrace {
	t.Helper()
	st := openStore(t, dsn)
	org, _ := crmd.ParseID(orgID)
	jobID, _ := crmd.ParseID(job)
	read := func() *crmd.Job {
		j, err := st.Job(context.Background(), org, jobID)
		if err != nil {
			t.Fatalf("job %s: %v", job, err)
		}
		return j
	}
	// The job may still be running (TestDatabaseOutage traces it before the outage): a batch that commits
	// between reading the job and reading its Leads is not a fault, so the trace is taken again until the
	// job's count did not move while its Leads were read. A stopped job agrees at the first try.
	var j *crmd.Job
	var tr jobTrace
	for try := 0; try < 50; try++ {
		j = read()
		tr = jobTrace{job: j, deleted: map[string]int64{}}
		for id, r := range leadRows(t, st, orgID) {
			if r.deleteJob == int64(jobID) {
				tr.deleted[id] = r.deletedTime
			}
		}
		if after := read(); after.DeletedCount == j.DeletedCount && int64(len(tr.deleted)) == j.DeletedCount {
			return tr
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%d records carry the job's id, its Deleted_Count is %d", len(tr.deleted), j.DeletedCount)
	return tr
}

// checkDeletedOnce checks in the database that the finished job deleted exactly the view's selection,
// each record once: every selected Lead is deleted by the job (those deleted before the crash still at
// the time they had then, so nobody deleted them again), no other Lead is deleted, and the recycle bin
// holds exactly the selection.
func checkDeletedOnce(t *testing.T, dsn string, s *mdScene, orgID, job string, crash jobTrace) {
	t.Helper()
	st := openStore(t, dsn)
	org, _ := crmd.ParseID(orgID)
	jobID, _ := crmd.ParseID(job)
	rows := leadRows(t, st, orgID)
	if len(rows) != len(s.all) {
		t.Fatalf("%d Leads in the database, %d seeded", len(rows), len(s.all))
	}
	for _, id := range s.all {
		r, ok := rows[id]
		switch {
		case !ok:
			t.Fatalf("Lead %s is gone from the database", id)
		case s.selected[id] && (r.deletedTime == 0 || r.deleteJob != int64(jobID)):
			t.Fatalf("selected Lead %s: deleted_time %d, delete_job_id %d; want deleted by job %s", id, r.deletedTime, r.deleteJob, job)
		case !s.selected[id] && (r.deletedTime != 0 || r.deleteJob != 0):
			t.Fatalf("unselected Lead %s: deleted_time %d, delete_job_id %d; want live", id, r.deletedTime, r.deleteJob)
		}
	}
	for id, at := range crash.deleted {
		if rows[id].deletedTime != at {
			t.Fatalf("Lead %s was deleted at %d before the crash and at %d after: deleted twice", id, at, rows[id].deletedTime)
		}
	}
	if n, err := st.CountJobDeletions(context.Background(), org, jobID); err != nil || n != int64(len(s.selected)) {
		t.Fatalf("records deleted by the job: %d %v, want %d", n, err, len(s.selected))
	}
	if n, err := st.CountBin(context.Background(), org, 0); err != nil || n != len(s.selected) {
		t.Fatalf("recycle bin: %d records %v, want %d", n, err, len(s.selected))
	}
}

// decodeObject decodes a JSON object answer; nil for anything else.
func decodeObject(raw []byte) map[string]any {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}
