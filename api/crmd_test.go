package api_test

// crmd's own API (/crmd/v1, docs/crmd-api.md): preview, job history, cancel, undo, events and the audit
// trail, through HTTP on a real store (SQLite, or PostgreSQL with CRMD_TEST_STORE=postgres). Every
// /crmd/v1 answer read through crmdtest.DoJSON is also validated against api/openapi.json.

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmd/crmd/app"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/jobs"
	"github.com/crmd/crmd/massdelete"
)

// newV1Env is the mass delete test server whose runner (the app's, every kind) works in batches of 2.
func newV1Env(t *testing.T, cfg massdelete.Settings, runner jobs.Config) *mdEnv {
	if runner.BatchSize == 0 {
		runner.BatchSize = 2
	}
	return newMDEnv(t, cfg, func(c *app.Config) { c.Runner = runner })
}

// runAll runs every claimable job of every kind to its end with the app's runner.
func (e *mdEnv) runAll() {
	e.t.Helper()
	drainJobs(e.t, e.app)
}

// job reads a job through GET /crmd/v1/jobs/{id}.
func (e *mdEnv) job(tok, id string) map[string]any {
	e.t.Helper()
	st, b := e.do("GET", "/crmd/v1/jobs/"+id, tok, "")
	if st != 200 {
		e.t.Fatalf("job %s: %d %v", id, st, b)
	}
	return b["job"].(map[string]any)
}

// counts renders a job's status and counters.
func counts(j map[string]any) string {
	return fmt.Sprintf("%v %v/%v/%v/%v", j["status"], j["total"], j["processed"], j["succeeded"], j["failed"])
}

func preview(t *testing.T, b map[string]any) map[string]any {
	t.Helper()
	p, ok := b["preview"].(map[string]any)
	if !ok {
		t.Fatalf("no preview: %v", b)
	}
	return p
}

func TestPreviewByIDsIsTheRealCall(t *testing.T) {
	e := newV1Env(t, massdelete.Settings{IDLimit: 10}, jobs.Config{})
	a := e.a
	ls := e.leads(a, "Acme", 12)
	unapproved := e.insert(a, "Leads", `{"Last_Name":"U","$approval_state":"approval_process_pending"}`)[0]
	contact := e.insert(a, "Contacts", `{"Last_Name":"C"}`)[0]
	foreign := e.leads(e.b, "Beta", 1)[0]
	body := idsBody(ls[0], ls[1], ls[0], "1234567890123456789", foreign, contact, unapproved, ls[2])

	before := crmdtest.TakeFingerprint(t, e.st, a.fx.Org.ID)
	st, b := e.do("POST", "/crmd/v1/Leads/actions/mass_delete/preview", a.adminTok, body)
	if st != 200 {
		t.Fatalf("preview: %d %v", st, b)
	}
	if d := before.Diff(crmdtest.TakeFingerprint(t, e.st, a.fx.Org.ID)); d != "" {
		t.Fatalf("the preview wrote to %s", d)
	}
	crmdtest.JSONEq(t, "preview", b, fmt.Sprintf(`{"preview":{"module":"Leads","selection":"ids","total":7,"deletable":3,"unapproved":1,
		"invalid":3,"limit":10,"within_limit":true,"running_job":null,"outcome":"DELETE",
		"sample":[{"id":%q,"display_name":"L0"},{"id":%q,"display_name":"L1"},{"id":%q,"display_name":"L2"}],
		"verdicts":[{"id":%q,"verdict":"delete"},{"id":%q,"verdict":"delete"},{"id":"1234567890123456789","verdict":"INVALID_DATA"},
		{"id":%q,"verdict":"INVALID_DATA"},{"id":%q,"verdict":"INVALID_DATA"},{"id":%q,"verdict":"NOT_APPROVED"},{"id":%q,"verdict":"delete"}]}}`,
		ls[0], ls[1], ls[2], ls[0], ls[1], foreign, contact, unapproved, ls[2]))

	// The real call then answers exactly the verdicts, in the same order.
	st, real := e.do("POST", "/crm/v8/Leads/actions/mass_delete", a.adminTok, body)
	if st != 207 {
		t.Fatalf("real call: %d %v", st, real)
	}
	var got []string
	for _, en := range crmdtest.Entries(t, real) {
		got = append(got, fmt.Sprint(en["details"].(map[string]any)["id"], " ", en["code"]))
	}
	var want []string
	for _, v := range preview(t, b)["verdicts"].([]any) {
		m := v.(map[string]any)
		code := m["verdict"].(string)
		if code == "delete" {
			code = "SUCCESS"
		}
		want = append(want, fmt.Sprint(m["id"], " ", code))
	}
	if !slices.Equal(got, want) {
		t.Errorf("real call %v, preview said %v", got, want)
	}

	// The sample names at most 10 records; nothing deletable is NOTHING_DELETED.
	st, b = e.do("POST", "/crmd/v1/Leads/actions/mass_delete/preview", a.adminTok, idsBody(ls[3:]...))
	if p := preview(t, b); st != 200 || p["total"] != 9.0 || len(p["sample"].([]any)) != 9 {
		t.Errorf("preview of 9: %d %v", st, b)
	}
	st, b = e.do("POST", "/crmd/v1/Leads/actions/mass_delete/preview", a.adminTok, idsBody(ls[0], unapproved))
	if p := preview(t, b); st != 200 || p["outcome"] != "NOTHING_DELETED" || p["deletable"] != 0.0 || len(p["sample"].([]any)) != 0 {
		t.Errorf("preview of nothing: %d %v", st, b)
	}
}

// TestPreviewErrorsAreTheRealCall sends bad bodies, tokens and profiles to the preview and to the real
// call: the answers are the same, and neither the preview nor the real call wrote anything.
func TestPreviewErrorsAreTheRealCall(t *testing.T) {
	e := newV1Env(t, massdelete.Settings{IDLimit: 3}, jobs.Config{})
	a := e.a
	ls := e.leads(a, "Acme", 1)
	cv := e.view(a, "Acme", "Acme")
	noMD := a.fx.Token(t, a.fx.Admin, "ZohoCRM.modules.ALL")
	mdRead := a.fx.Token(t, a.fx.Admin, "ZohoCRM.mass_delete.READ")
	cases := []struct{ module, tok, body string }{
		{"Leads", a.adminTok, ``},
		{"Leads", a.adminTok, `[]`},
		{"Leads", a.adminTok, `{}`},
		{"Leads", a.adminTok, `{"ids":[],"cvid":"1"}`},
		{"Leads", a.adminTok, `{"ids":[]}`},
		{"Leads", a.adminTok, `{"ids":"1"}`},
		{"Leads", a.adminTok, `{"ids":["x"]}`},
		{"Leads", a.adminTok, `{"ids":["1","2","3","4"]}`},
		{"Leads", a.adminTok, `{"cvid":"abc"}`},
		{"Leads", a.adminTok, `{"cvid":"1234567890123456789"}`},
		{"Leads", a.adminTok, `{"cvid":"` + cv + `","territory":{"id":"1234567890123456789"}}`},
		{"Leads", a.adminTok, `{"ids":["` + ls[0] + `"],"territory":{"id":"x"}}`},
		{"Leads", a.adminTok, `{"cvid":"` + cv + `","territory":{"id":"1","include_child":"yes"}}`},
		{"Nope", a.adminTok, `{"ids":["1"]}`},
		{"Leads", a.stdTok, `{"ids":["` + ls[0] + `"]}`},
		{"Leads", noMD, `{"ids":["` + ls[0] + `"]}`},
		{"Leads", mdRead, `{"ids":["` + ls[0] + `"]}`},
		{"Leads", "", `{"ids":["` + ls[0] + `"]}`},
		{"Leads", e.b.adminTok, `{"cvid":"` + cv + `"}`},
	}
	before := crmdtest.TakeFingerprint(t, e.st, a.fx.Org.ID)
	for _, c := range cases {
		pst, pb := e.do("POST", "/crmd/v1/"+c.module+"/actions/mass_delete/preview", c.tok, c.body)
		rst, rb := e.do("POST", "/crm/v8/"+c.module+"/actions/mass_delete", c.tok, c.body)
		if pst != rst || pst < 400 {
			t.Errorf("%s %s: preview %d, real call %d", c.module, c.body, pst, rst)
			continue
		}
		pj, _ := json.Marshal(pb)
		crmdtest.JSONEq(t, c.module+" "+c.body, rb, string(pj))
	}
	if d := before.Diff(crmdtest.TakeFingerprint(t, e.st, a.fx.Org.ID)); d != "" {
		t.Errorf("refused calls wrote to %s", d)
	}
}

func TestPreviewByViewIsTheRealCall(t *testing.T) {
	e := newV1Env(t, massdelete.Settings{ViewLimit: 6}, jobs.Config{})
	a := e.a
	doomed := e.leads(a, "Doomed", 4)
	e.insert(a, "Leads", `{"Last_Name":"U","Company":"Doomed","$approval_state":"approval_process_pending"}`)
	e.leads(a, "Kept", 2)
	cv := e.view(a, "Doomed", "Doomed")
	body := `{"cvid":"` + cv + `"}`

	before := crmdtest.TakeFingerprint(t, e.st, a.fx.Org.ID)
	st, b := e.do("POST", "/crmd/v1/Leads/actions/mass_delete/preview", a.adminTok, body)
	if st != 200 {
		t.Fatalf("preview: %d %v", st, b)
	}
	if d := before.Diff(crmdtest.TakeFingerprint(t, e.st, a.fx.Org.ID)); d != "" {
		t.Fatalf("the preview wrote to %s", d)
	}
	var sample []string
	for _, id := range doomed {
		sample = append(sample, fmt.Sprintf(`{"id":%q,"display_name":"L%d"}`, id, len(sample)))
	}
	crmdtest.JSONEq(t, "preview", b, `{"preview":{"module":"Leads","selection":"cvid","total":5,"deletable":4,"unapproved":1,"invalid":0,
		"limit":6,"within_limit":true,"running_job":null,"outcome":"SCHEDULE","sample":[`+strings.Join(sample, ",")+`]}}`)

	// The real call does what the preview said.
	job := a.scheduleOK(e, cv, "")
	st, b = e.do("POST", "/crmd/v1/Leads/actions/mass_delete/preview", a.adminTok, body)
	p := preview(t, b)
	rj, _ := p["running_job"].(map[string]any)
	if st != 200 || p["outcome"] != "ALREADY_SCHEDULED" || rj["id"] != job || rj["status"] != "SCHEDULED" {
		t.Errorf("preview while the job waits: %d %v", st, b)
	}
	e.runAll()
	if got := counts(e.job(a.adminTok, job)); got != "COMPLETED 5/5/4/1" {
		t.Errorf("job %s, the preview said total 5, deletable 4, unapproved 1", got)
	}
	e.want("GET", "/crm/v8/Leads/actions/mass_delete?job_id="+job, a.adminTok, "", 200,
		`{"data":[{"Status":"COMPLETED","Total_Count":5,"Deleted_Count":4,"Failed_Count":1}]}`)

	// Over the limit, and nothing selected: said by the preview, refused by the real call.
	e.leads(a, "Many", 7)
	many := e.view(a, "Many", "Many")
	st, b = e.do("POST", "/crmd/v1/Leads/actions/mass_delete/preview", a.adminTok, `{"cvid":"`+many+`"}`)
	if p := preview(t, b); st != 200 || p["total"] != 7.0 || p["within_limit"] != false || p["outcome"] != "LIMIT_EXCEEDED" {
		t.Errorf("over the limit: %d %v", st, b)
	}
	e.want("POST", "/crm/v8/Leads/actions/mass_delete", a.adminTok, `{"cvid":"`+many+`"}`, 400,
		mdErr("LIMIT_EXCEEDED", "limit exceeded", `{"limit":6,"api_name":"cvid","json_path":"$.cvid"}`))
	empty := e.view(a, "Nobody", "Nobody")
	st, b = e.do("POST", "/crmd/v1/Leads/actions/mass_delete/preview", a.adminTok, `{"cvid":"`+empty+`"}`)
	if p := preview(t, b); st != 200 || p["total"] != 0.0 || p["outcome"] != "NO_RECORDS_FOUND" {
		t.Errorf("empty view: %d %v", st, b)
	}
}

func TestJobsListAndGet(t *testing.T) {
	e := newV1Env(t, massdelete.Settings{}, jobs.Config{})
	a := e.a
	e.leads(a, "One", 3)
	e.leads(a, "Two", 2)
	j1 := a.scheduleOK(e, e.view(a, "One", "One"), "")
	e.runAll()
	j2 := a.scheduleOK(e, e.view(a, "Two", "Two"), "")
	// A recycle bin job: restore everything (202 with a job).
	st, b := e.do("POST", "/crm/v8/settings/recycle_bin/actions/restore", a.adminTok, `{"restore_all_records":true}`)
	if st != 202 {
		t.Fatalf("restore all: %d %v", st, b)
	}

	// (Creating a view may also have started an index build, on SQLite: those are left out here.)
	st, b = e.do("GET", "/crmd/v1/jobs", a.adminTok, "")
	if st != 200 {
		t.Fatalf("jobs: %d %v", st, b)
	}
	list := slices.DeleteFunc(b["jobs"].([]any), func(j any) bool { return j.(map[string]any)["kind"] == "index" })
	if len(list) != 3 || list[1].(map[string]any)["id"] != j2 || list[2].(map[string]any)["id"] != j1 {
		t.Fatalf("jobs, newest first: %v", b)
	}
	restore := list[0].(map[string]any)
	if restore["kind"] != "restore" || restore["module"] != nil || restore["cvid"] != nil {
		t.Errorf("restore job %v", restore)
	}
	st, b = e.do("GET", "/crmd/v1/jobs?kind=mass_delete", a.adminTok, "")
	crmdtest.JSONEq(t, "info", b["info"], `{"page":1,"per_page":200,"count":2,"more_records":false}`)
	got := e.job(a.adminTok, j1)
	created := "2024-05-13T13:32:33+05:30"
	crmdtest.JSONEq(t, "job", got, fmt.Sprintf(`{"id":%q,"kind":"mass_delete","module":"Leads","status":"COMPLETED","total":3,"processed":3,
		"succeeded":3,"failed":0,"progress":100,"created_by":{"id":%q,"name":"%s"},"created_time":%q,"started_time":%q,
		"finished_time":%q,"cvid":%q,"territory":null,"error":null,"cancel_requested":false,"undo_of":null,"undone_by":null}`,
		j1, a.fx.Admin.ID, a.fx.Admin.FullName(), created, created, created, got["cvid"]))
	if got := e.job(a.adminTok, j2); counts(got) != "SCHEDULED 2/0/0/0" || got["started_time"] != nil || got["progress"] != 0.0 {
		t.Errorf("waiting job %v", got)
	}

	// Filters and paging.
	for q, want := range map[string][]string{
		"?kind=mass_delete":                  {j2, j1},
		"?kind=mass_delete&status=COMPLETED": {j1},
		"?module=Leads&status=SCHEDULED":     {j2},
		"?per_page=1&page=2":                 {j2},
	} {
		st, b := e.do("GET", "/crmd/v1/jobs"+q, a.adminTok, "")
		var ids []string
		if st == 200 {
			for _, j := range b["jobs"].([]any) {
				ids = append(ids, j.(map[string]any)["id"].(string))
			}
		}
		if !slices.Equal(ids, want) {
			t.Errorf("jobs%s: %d %v, want %v", q, st, ids, want)
		}
	}
	st, b = e.do("GET", "/crmd/v1/jobs?kind=mass_delete&per_page=1", a.adminTok, "")
	crmdtest.JSONEq(t, "page 1 of 2", b["info"], `{"page":1,"per_page":1,"count":1,"more_records":true}`)
	for _, q := range []string{"?kind=undo", "?status=FAILED", "?module=Contacts"} {
		if st, b := e.do("GET", "/crmd/v1/jobs"+q, a.adminTok, ""); st != 204 || b != nil {
			t.Errorf("jobs%s: %d %v, want 204", q, st, b)
		}
	}
	for q, param := range map[string]string{"?kind=bin_restore": "kind", "?status=PREPARING": "status", "?module=Nope": "module", "?page=0": "page", "?per_page=x": "per_page"} {
		e.want("GET", "/crmd/v1/jobs"+q, a.adminTok, "", 400, mdErr("INVALID_DATA", "invalid data", `{"param_name":"`+param+`"}`))
	}

	// Another org sees none of them; an unknown or malformed id is not found.
	if st, _ := e.do("GET", "/crmd/v1/jobs", e.b.adminTok, ""); st != 204 {
		t.Errorf("other org's list: %d", st)
	}
	for _, id := range []string{j1, "1234567890123456789", "abc"} {
		e.want("GET", "/crmd/v1/jobs/"+id, e.b.adminTok, "", 404, mdErr("NOT_FOUND", "the job was not found", `{"id":"`+id+`"}`))
	}
	// Scopes: a recycle-bin token sees the bin's job only; a token for mass deletes of Contacts sees
	// no Leads job; no token at all is refused.
	binTok := a.fx.Token(t, a.fx.Admin, "ZohoCRM.settings.recycle_bin.READ")
	st, b = e.do("GET", "/crmd/v1/jobs", binTok, "")
	if st != 200 || len(b["jobs"].([]any)) != 1 || b["jobs"].([]any)[0].(map[string]any)["kind"] != "restore" {
		t.Errorf("recycle-bin token: %d %v", st, b)
	}
	e.want("GET", "/crmd/v1/jobs/"+j1, binTok, "", 404, mdErr("NOT_FOUND", "the job was not found", `{"id":"`+j1+`"}`))
	contactsTok := a.fx.Token(t, a.fx.Admin, "ZohoCRM.mass_delete.Contacts.READ")
	if st, _ := e.do("GET", "/crmd/v1/jobs", contactsTok, ""); st != 204 {
		t.Errorf("Contacts mass delete token: %d", st)
	}
	leadsTok := a.fx.Token(t, a.fx.Admin, "ZohoCRM.mass_delete.Leads.READ")
	if got := e.job(leadsTok, j1); got["id"] != j1 {
		t.Errorf("Leads mass delete token: %v", got)
	}
	if st, _ := e.do("GET", "/crmd/v1/jobs", "", ""); st != 401 {
		t.Errorf("no token: %d", st)
	}
	if st, _ := e.do("DELETE", "/crmd/v1/jobs", a.adminTok, ""); st != 405 && st != 400 {
		t.Errorf("DELETE /crmd/v1/jobs: %d", st)
	}
}

func TestCancelJob(t *testing.T) {
	e := newV1Env(t, massdelete.Settings{}, jobs.Config{})
	a := e.a
	ls := e.leads(a, "Acme", 5)
	cv := e.view(a, "Acme", "Acme")
	job := a.scheduleOK(e, cv, "")

	// Only its creator or an Administrator; a finished job cannot be cancelled.
	stdMD := a.fx.Token(t, a.fx.Std, mdScope)
	if st, b := e.do("POST", "/crmd/v1/jobs/"+job+"/actions/cancel", stdMD, ""); st != 403 || b["code"] != "NO_PERMISSION" {
		t.Errorf("standard user's cancel: %d %v", st, b)
	}
	readOnly := a.fx.Token(t, a.fx.Admin, "ZohoCRM.mass_delete.READ")
	if st, b := e.do("POST", "/crmd/v1/jobs/"+job+"/actions/cancel", readOnly, ""); st != 401 || b["code"] != "OAUTH_SCOPE_MISMATCH" {
		t.Errorf("read-only token's cancel: %d %v", st, b)
	}
	// A SCHEDULED job nobody runs ends CANCELLED at once, having done nothing.
	st, b := e.do("POST", "/crmd/v1/jobs/"+job+"/actions/cancel", a.adminTok, "")
	if st != 200 || counts(b["job"].(map[string]any)) != "CANCELLED 5/0/0/0" || b["job"].(map[string]any)["finished_time"] == nil {
		t.Fatalf("cancel: %d %v", st, b)
	}
	e.runAll()
	for _, id := range ls {
		if !e.live(a, "Leads", id) {
			t.Errorf("%s deleted by a cancelled job", id)
		}
	}
	// Zoho's status endpoint shows it as CANCELLED with its real counts, in every version.
	for _, v := range []string{"v2", "v8"} {
		e.want("GET", "/crm/"+v+"/Leads/actions/mass_delete?job_id="+job, a.adminTok, "", 200,
			`{"data":[{"Status":"CANCELLED","Total_Count":5,"Deleted_Count":0,"Failed_Count":0}]}`)
	}
	e.want("POST", "/crmd/v1/jobs/"+job+"/actions/cancel", a.adminTok, "", 400,
		mdErr("NOT_ALLOWED", "the job has already finished", `{"id":"`+job+`","status":"CANCELLED"}`))
	// The lock is free: a new job is accepted.
	done := a.scheduleOK(e, cv, "")
	e.runAll()
	e.want("POST", "/crmd/v1/jobs/"+done+"/actions/cancel", a.adminTok, "", 400,
		mdErr("NOT_ALLOWED", "the job has already finished", `{"id":"`+done+`","status":"COMPLETED"}`))
}

// TestCancelRunningJob cancels a job while its runner works: the job stops at a batch boundary, ends
// CANCELLED, and its counts are exactly what was deleted; nothing is deleted after it ended.
func TestCancelRunningJob(t *testing.T) {
	e := newV1Env(t, massdelete.Settings{}, jobs.Config{BatchSize: 2, BatchDelay: 30 * time.Millisecond})
	a := e.a
	ls := e.leads(a, "Acme", 20)
	job := a.scheduleOK(e, e.view(a, "Acme", "Acme"), "")
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { e.app.Runner().Run(ctx) })
	defer func() { stop(); wg.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for e.job(a.adminTok, job)["processed"].(float64) < 4 {
		if time.Now().After(deadline) {
			t.Fatal("the job did not start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	st, b := e.do("POST", "/crmd/v1/jobs/"+job+"/actions/cancel", a.adminTok, "")
	if st != 200 {
		t.Fatalf("cancel: %d %v", st, b)
	}
	if j := b["job"].(map[string]any); j["status"] == "RUNNING" && j["cancel_requested"] != true {
		t.Errorf("running job after cancel: %v", j)
	}
	var j map[string]any
	for j = e.job(a.adminTok, job); j["status"] == "RUNNING"; j = e.job(a.adminTok, job) {
		if time.Now().After(deadline) {
			t.Fatal("the job did not stop")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if j["status"] != "CANCELLED" || j["processed"].(float64) >= 20 || j["cancel_requested"] != false {
		t.Fatalf("cancelled job %v", j)
	}
	time.Sleep(100 * time.Millisecond) // a runner that went on would have deleted more by now
	deleted := 0
	for _, id := range ls {
		if !e.live(a, "Leads", id) {
			deleted++
		}
	}
	if float64(deleted) != j["succeeded"] || j["processed"] != j["succeeded"] {
		t.Errorf("%d records deleted, the cancelled job says %v", deleted, counts(j))
	}
	e.want("GET", "/crm/v8/Leads/actions/mass_delete?job_id="+job, a.adminTok, "", 200,
		fmt.Sprintf(`{"data":[{"Status":"CANCELLED","Total_Count":20,"Deleted_Count":%d,"Failed_Count":0}]}`, deleted))
}

func TestUndoJob(t *testing.T) {
	e := newV1Env(t, massdelete.Settings{}, jobs.Config{})
	a := e.a
	ls := e.leads(a, "Acme", 6)
	// A record with a territory and another owner: undo gives both back.
	st, b := e.do("GET", "/crm/v8/settings/territories", a.adminTok, "")
	if st != 200 {
		t.Fatalf("territories: %d %v", st, b)
	}
	terr := crmdtest.Items(t, b, "territories")[0]["id"].(string)
	if st, b := e.do("POST", "/crm/v8/Leads/actions/assign_territories", a.adminTok, terrAssignBody(ls[0], terr)); st != 200 {
		t.Fatalf("assign: %d %v", st, b)
	}
	if st, b := e.do("PUT", "/crm/v8/Leads/"+ls[1], a.adminTok, `{"data":[{"Owner":{"id":"`+a.fx.Std.ID.String()+`"}}]}`); st != 200 {
		t.Fatalf("owner: %d %v", st, b)
	}
	beforeRec := map[string]map[string]any{}
	for _, id := range ls[:2] {
		_, b := e.do("GET", "/crm/v8/Leads/"+id, a.adminTok, "")
		beforeRec[id] = b
	}
	cv := e.view(a, "Acme", "Acme")
	job := a.scheduleOK(e, cv, "")

	e.want("POST", "/crmd/v1/jobs/"+job+"/actions/undo", a.adminTok, "", 400,
		mdErr("NOT_ALLOWED", "the job has not finished", `{"id":"`+job+`","status":"SCHEDULED"}`))
	e.runAll()
	// Meanwhile: one record purged for good, one restored and deleted again by hand.
	if st, b := e.do("DELETE", "/crm/v8/settings/recycle_bin/"+ls[5], a.adminTok, ""); st != 200 {
		t.Fatalf("purge: %d %v", st, b)
	}
	if st, b := e.do("POST", "/crm/v8/settings/recycle_bin/"+ls[4]+"/actions/restore", a.adminTok, ""); st != 200 {
		t.Fatalf("restore: %d %v", st, b)
	}
	e.want("DELETE", "/crm/v8/Leads?ids="+ls[4], a.adminTok, "", 200, mdData(`{"code":"SUCCESS","details":{"id":"`+ls[4]+`"},"message":"record deleted","status":"success"}`))

	stdMD := a.fx.Token(t, a.fx.Std, mdScope)
	if st, b := e.do("POST", "/crmd/v1/jobs/"+job+"/actions/undo", stdMD, ""); st != 403 || b["code"] != "NO_PERMISSION" {
		t.Errorf("standard user's undo: %d %v", st, b)
	}
	st, b = e.do("POST", "/crmd/v1/jobs/"+job+"/actions/undo", a.adminTok, "")
	if st != 202 {
		t.Fatalf("undo: %d %v", st, b)
	}
	undo := b["job"].(map[string]any)
	if undo["kind"] != "undo" || undo["undo_of"] != job || undo["module"] != "Leads" || counts(undo) != "SCHEDULED 6/0/0/0" {
		t.Errorf("undo job %v", undo)
	}
	uid := undo["id"].(string)
	e.want("POST", "/crmd/v1/jobs/"+job+"/actions/undo", a.adminTok, "", 400,
		mdErr("NOT_ALLOWED", "the job was already undone", `{"id":"`+job+`","undone_by":"`+uid+`"}`))
	e.want("POST", "/crmd/v1/jobs/"+uid+"/actions/undo", a.adminTok, "", 400,
		mdErr("NOT_ALLOWED", "only mass delete jobs can be undone", `{"id":"`+uid+`","kind":"undo"}`))
	e.runAll()
	// Four restored; the purged one and the one deleted again by hand count as failed.
	if got := counts(e.job(a.adminTok, uid)); got != "COMPLETED 6/6/4/2" {
		t.Errorf("undo job %s", got)
	}
	if got := e.job(a.adminTok, job)["undone_by"]; got != uid {
		t.Errorf("undone_by %v", got)
	}
	for i, id := range ls {
		if live := e.live(a, "Leads", id); live != (i < 4) {
			t.Errorf("record %d live: %v", i, live)
		}
	}
	for _, id := range ls[:2] {
		_, after := e.do("GET", "/crm/v8/Leads/"+id, a.adminTok, "")
		crmdtest.JSONEq(t, "restored "+id, after, mustJSON(beforeRec[id]))
	}
	// The record deleted again by hand is still in the bin, deleted by hand.
	st, b = e.do("GET", "/crm/v8/settings/recycle_bin/"+ls[4], a.adminTok, "")
	if st != 200 {
		t.Errorf("record deleted again: %d %v", st, b)
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestJobEvents follows a job through its events stream while the app's runner runs it: the job as it
// is first, then one event per committed batch with growing counts, then the final one; the stream
// then closes.
func TestJobEvents(t *testing.T) {
	e := newV1Env(t, massdelete.Settings{}, jobs.Config{BatchSize: 2, BatchDelay: 20 * time.Millisecond})
	a := e.a
	e.leads(a, "Acme", 7)
	job := a.scheduleOK(e, e.view(a, "Acme", "Acme"), "")
	req, _ := http.NewRequest("GET", e.ts.URL+"/crmd/v1/jobs/"+job+"/events", nil)
	req.Header.Set("Authorization", "Zoho-oauthtoken "+a.adminTok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	crmdtest.CheckCrmdV1(t, req, resp, nil)
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { stop(); wg.Wait() }()
	started := false
	var events []map[string]any
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		var j map[string]any
		if err := json.Unmarshal([]byte(data), &j); err != nil {
			t.Fatalf("event %q: %v", data, err)
		}
		events = append(events, j)
		if !started {
			started = true
			wg.Go(func() { e.app.Runner().Run(ctx) })
		}
	}
	var got []string
	for _, j := range events {
		got = append(got, fmt.Sprint(j["status"], " ", j["processed"]))
	}
	want := []string{"SCHEDULED 0", "RUNNING 2", "RUNNING 4", "RUNNING 6", "COMPLETED 7"}
	if !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
	// A stream on a finished job sends it once and closes.
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if n := strings.Count(string(all), "data: "); resp.StatusCode != 200 || n != 1 || !strings.Contains(string(all), `"status":"COMPLETED"`) {
		t.Errorf("events of a finished job: %d %s", resp.StatusCode, all)
	}
	e.want("GET", "/crmd/v1/jobs/1234567890123456789/events", a.adminTok, "", 404,
		mdErr("NOT_FOUND", "the job was not found", `{"id":"1234567890123456789"}`))
}

// TestJobEventsHeartbeat: a stream on a job nobody runs stays open, a heartbeat comment at a time.
func TestJobEventsHeartbeat(t *testing.T) {
	e := newMDEnv(t, massdelete.Settings{}, func(c *app.Config) { c.API.EventsHeartbeat = 20 * time.Millisecond })
	a := e.a
	e.leads(a, "Acme", 2)
	job := a.scheduleOK(e, e.view(a, "Acme", "Acme"), "")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.ts.URL+"/crmd/v1/jobs/"+job+"/events", nil)
	req.Header.Set("Authorization", "Zoho-oauthtoken "+a.adminTok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	var lines []string
	beats := 0
	for beats < 3 && sc.Scan() {
		lines = append(lines, sc.Text())
		if sc.Text() == ": heartbeat" {
			beats++
		}
	}
	if beats < 3 || !strings.HasPrefix(lines[1], "data: ") || !strings.Contains(lines[1], `"status":"SCHEDULED"`) {
		t.Fatalf("stream %q (%d heartbeats)", lines, beats)
	}
}

// TestAuditTrail makes every kind of deletion, restore and purge, and reads them back from the trail:
// filters, paging, CSV, and who sees what.
func TestAuditTrail(t *testing.T) {
	e := newV1Env(t, massdelete.Settings{}, jobs.Config{})
	a := e.a
	ls := e.leads(a, "Acme", 4)
	e.leads(a, "Job", 2)
	mine := e.insert(a, "Leads", `{"Last_Name":"Mine","Owner":{"id":"`+a.fx.Std.ID.String()+`"}}`)[0]
	stdTok := a.fx.Token(t, a.fx.Std, "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.mass_delete.READ")

	e.want("POST", "/crm/v8/Leads/actions/mass_delete", a.adminTok, idsBody(ls[0], ls[1]), 200,
		mdData(mdEntry("SUCCESS", mdDeleted, ls[0]), mdEntry("SUCCESS", mdDeleted, ls[1])))
	if st, b := e.do("DELETE", "/crm/v8/Leads/"+ls[2], a.adminTok, ""); st != 200 {
		t.Fatalf("delete: %d %v", st, b)
	}
	job := a.scheduleOK(e, e.view(a, "Job", "Job"), "")
	e.runAll()
	if st, b := e.do("POST", "/crm/v8/settings/recycle_bin/"+ls[0]+"/actions/restore", a.adminTok, ""); st != 200 {
		t.Fatalf("restore: %d %v", st, b)
	}
	if st, b := e.do("DELETE", "/crm/v8/settings/recycle_bin/"+ls[1], a.adminTok, ""); st != 200 {
		t.Fatalf("purge: %d %v", st, b)
	}
	if st, b := e.do("DELETE", "/crm/v8/Leads/"+mine, stdTok, ""); st != 200 {
		t.Fatalf("standard user's delete: %d %v", st, b)
	}
	// The retention purges what is left in the bin once it is due.
	if _, err := e.app.Purger().PurgeDue(context.Background(), e.st.Now().Add(61*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	e.runAll()

	st, b := e.do("GET", "/crmd/v1/audit?per_page=200", a.adminTok, "")
	if st != 200 {
		t.Fatalf("audit: %d %v", st, b)
	}
	var rows []string
	for _, r := range b["audit"].([]any) {
		m := r.(map[string]any)
		actor := "system"
		if m["actor"] != nil {
			actor = m["actor"].(map[string]any)["name"].(string)
		}
		jobID := ""
		if m["job_id"] != nil {
			jobID = "job"
		}
		rows = append(rows, fmt.Sprint(m["display_name"], " ", m["action"], " ", m["via"], " ", actor, " ", jobID))
	}
	admin, std := a.fx.Admin.FullName(), a.fx.Std.FullName()
	want := []string{
		// Retention, newest first: Mine, the job's two, L2 (L0 was restored, L1 purged by hand).
		"Mine purged retention system job", "L1 purged retention system job", "L0 purged retention system job", "L2 purged retention system job",
		"Mine deleted record " + std + " ",
		"L1 purged recycle_bin " + admin + " ",
		"L0 restored recycle_bin " + admin + " ",
		"L1 deleted job " + admin + " job", "L0 deleted job " + admin + " job",
		"L2 deleted record " + admin + " ",
		"L1 deleted ids " + admin + " ", "L0 deleted ids " + admin + " ",
	}
	// The retention order among equal deletion times follows the ids; compare as sets for those four.
	if len(rows) != len(want) || !sameSet(rows[:4], want[:4]) || !slices.Equal(rows[4:], want[4:]) {
		t.Errorf("audit trail\n got %q\nwant %q", rows, want)
	}
	first := b["audit"].([]any)[len(rows)-1].(map[string]any)
	crmdtest.JSONEq(t, "oldest row", first, fmt.Sprintf(`{"id":%q,"record_id":%q,"module":"Leads","display_name":"L0","action":"deleted",
		"actor":{"id":%q,"name":%q},"via":"ids","job_id":null,"time":"2024-05-13T13:32:33+05:30"}`, first["id"], ls[0], a.fx.Admin.ID, admin))

	// Filters.
	for q, n := range map[string]int{
		"?action=restored": 1, "?action=purged": 5, "?via=job": 2, "?job_id=" + job: 2, "?record_id=" + ls[0]: 2,
		"?actor=" + a.fx.Std.ID.String(): 1, "?module=Leads": 12, "?module=Contacts": 0,
		"?from=2024-05-13T13:32:33%2B05:30": 12, "?to=2024-05-13T13:32:33%2B05:30": 0, "?from=2024-05-13T08:02:34Z": 0,
	} {
		st, b := e.do("GET", "/crmd/v1/audit"+q, a.adminTok, "")
		got := 0
		if st == 200 {
			got = len(b["audit"].([]any))
		}
		if got != n || (n == 0 && st != 204) {
			t.Errorf("audit%s: %d rows (status %d), want %d", q, got, st, n)
		}
	}
	st, b = e.do("GET", "/crmd/v1/audit?per_page=5&page=3", a.adminTok, "")
	if st != 200 {
		t.Fatalf("page 3: %d", st)
	}
	crmdtest.JSONEq(t, "page 3", b["info"], `{"page":3,"per_page":5,"count":2,"more_records":false}`)
	for q, param := range map[string]string{"?action=gone": "action", "?via=x": "via", "?actor=x": "actor", "?from=yesterday": "from", "?format=xml": "format", "?module=Nope": "module"} {
		e.want("GET", "/crmd/v1/audit"+q, a.adminTok, "", 400, mdErr("INVALID_DATA", "invalid data", `{"param_name":"`+param+`"}`))
	}

	// A standard user sees their own actions only; another org sees nothing; a token without the
	// scopes is refused.
	st, b = e.do("GET", "/crmd/v1/audit", stdTok, "")
	if st != 200 || len(b["audit"].([]any)) != 1 || b["audit"].([]any)[0].(map[string]any)["display_name"] != "Mine" {
		t.Errorf("standard user's trail: %d %v", st, b)
	}
	if st, _ := e.do("GET", "/crmd/v1/audit?actor="+a.fx.Admin.ID.String(), stdTok, ""); st != 204 {
		t.Errorf("standard user asking for the admin's actions: %d", st)
	}
	if st, _ := e.do("GET", "/crmd/v1/audit", e.b.adminTok, ""); st != 204 {
		t.Errorf("other org: %d", st)
	}
	if st, b := e.do("GET", "/crmd/v1/audit", a.fx.Token(t, a.fx.Admin, "ZohoCRM.modules.ALL"), ""); st != 401 || b["code"] != "OAUTH_SCOPE_MISMATCH" {
		t.Errorf("modules-only token: %d %v", st, b)
	}

	// CSV: every match, header first.
	req, _ := http.NewRequest("GET", e.ts.URL+"/crmd/v1/audit?format=csv&action=deleted", nil)
	req.Header.Set("Authorization", "Zoho-oauthtoken "+a.adminTok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	crmdtest.CheckCrmdV1(t, req, resp, nil)
	recs, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %v %v", resp.StatusCode, err, resp.Header)
	}
	if len(recs) != 7 || strings.Join(recs[0], ",") != "id,time,action,via,module,record_id,display_name,actor_id,actor_name,job_id" ||
		recs[6][6] != "L0" || recs[6][3] != "ids" || recs[6][8] != admin || recs[1][8] != std {
		t.Errorf("csv %q", recs)
	}
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// TestCancelRacingTheLastBatch cancels a job of three batches while the runner runs it, at a
// different moment each round: whoever wins, the job's final counts are exactly what was deleted, and
// nothing is deleted after it ended.
func TestCancelRacingTheLastBatch(t *testing.T) {
	e := newV1Env(t, massdelete.Settings{}, jobs.Config{BatchSize: 2})
	a := e.a
	outcomes := map[string]int{}
	for i := range 16 {
		company := fmt.Sprintf("Race%d", i)
		ls := e.leads(a, company, 6)
		job := a.scheduleOK(e, e.view(a, company, company), "")
		var wg sync.WaitGroup
		var st int
		var b map[string]any
		wg.Go(func() { e.runAll() })
		wg.Go(func() {
			time.Sleep(time.Duration(i) * 150 * time.Microsecond)
			st, b = e.do("POST", "/crmd/v1/jobs/"+job+"/actions/cancel", a.adminTok, "")
		})
		wg.Wait()
		e.runAll()
		j := e.job(a.adminTok, job)
		deleted := 0.0
		for _, id := range ls {
			if !e.live(a, "Leads", id) {
				deleted++
			}
		}
		switch {
		case st == 200 && j["status"] == "CANCELLED" && j["succeeded"] == deleted && j["processed"] == deleted && deleted < 6:
			outcomes[fmt.Sprintf("cancelled after %v", deleted)]++
		case st == 200 && j["status"] == "COMPLETED" && j["succeeded"] == 6.0 && deleted == 6:
			outcomes["cancel asked during the last batch"]++
		case st == 400 && b["code"] == "NOT_ALLOWED" && j["status"] == "COMPLETED" && deleted == 6:
			outcomes["the job finished first"]++
		default:
			t.Fatalf("round %d: cancel %d %v; job %v; %v records deleted", i, st, b, j, deleted)
		}
	}
	t.Logf("outcomes %v", outcomes)
}

// TestAuditOfBulkWork: the recycle bin's jobs, a small empty and an undo each leave their rows.
func TestAuditOfBulkWork(t *testing.T) {
	e := newV1Env(t, massdelete.Settings{}, jobs.Config{})
	a := e.a
	ls := e.leads(a, "Acme", 6)
	job := a.scheduleOK(e, e.view(a, "Acme", "Acme"), "")
	e.runAll()
	st, b := e.do("POST", "/crmd/v1/jobs/"+job+"/actions/undo", a.adminTok, "")
	if st != 202 {
		t.Fatalf("undo: %d %v", st, b)
	}
	undo := b["job"].(map[string]any)["id"].(string)
	e.runAll()
	// All six are live again; delete them by ids, then restore two by a filter (a job), purge two by
	// a filter (a job) and empty the bin of the last two (synchronously).
	e.want("POST", "/crm/v8/Leads/actions/mass_delete", a.adminTok, idsBody(ls...), 200, mdData(
		mdEntry("SUCCESS", mdDeleted, ls[0]), mdEntry("SUCCESS", mdDeleted, ls[1]), mdEntry("SUCCESS", mdDeleted, ls[2]),
		mdEntry("SUCCESS", mdDeleted, ls[3]), mdEntry("SUCCESS", mdDeleted, ls[4]), mdEntry("SUCCESS", mdDeleted, ls[5])))
	filter := func(names ...string) string {
		return `{"field":"display_name","comparator":"in","value":["` + strings.Join(names, `","`) + `"]}`
	}
	if st, b := e.do("POST", "/crm/v8/settings/recycle_bin/actions/restore", a.adminTok, `{"filters":`+filter("L0", "L1")+`}`); st != 202 {
		t.Fatalf("restore by filter: %d %v", st, b)
	}
	if st, b := e.do("DELETE", "/crm/v8/settings/recycle_bin?filters="+strings.ReplaceAll(filter("L2", "L3"), " ", "%20"), a.adminTok, ""); st != 202 {
		t.Fatalf("purge by filter: %d %v", st, b)
	}
	e.runAll()
	if st, b := e.do("POST", "/crm/v8/settings/recycle_bin/actions/empty", a.adminTok, ""); st != 200 {
		t.Fatalf("empty: %d %v", st, b)
	}
	tally := func(q string) map[string]int {
		st, b := e.do("GET", "/crmd/v1/audit"+q, a.adminTok, "")
		out := map[string]int{}
		if st != 200 {
			return out
		}
		for _, r := range b["audit"].([]any) {
			m := r.(map[string]any)
			out[fmt.Sprint(m["action"], " ", m["via"], " ", m["job_id"] != nil)]++
		}
		return out
	}
	want := map[string]int{
		"deleted job true": 6, "restored job true": 8, "deleted ids false": 6,
		"purged job true": 2, "purged recycle_bin false": 2,
	}
	if got := tally(""); !maps.Equal(got, want) {
		t.Errorf("audit tally %v, want %v", got, want)
	}
	if got := tally("?job_id=" + undo); !maps.Equal(got, map[string]int{"restored job true": 6}) {
		t.Errorf("the undo's rows %v", got)
	}
}

// TestOpenAPIDocument: the document is served without a token, and describes every /crmd/v1 route.
func TestOpenAPIDocument(t *testing.T) {
	e := newV1Env(t, massdelete.Settings{}, jobs.Config{})
	resp, err := http.Get(e.ts.URL + "/crmd/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != 200 || !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Fatalf("openapi.json: %d %v %q", resp.StatusCode, err, doc.OpenAPI)
	}
	for _, route := range []string{
		"POST /crmd/v1/{module}/actions/mass_delete/preview", "GET /crmd/v1/jobs", "GET /crmd/v1/jobs/{id}",
		"POST /crmd/v1/jobs/{id}/actions/cancel", "POST /crmd/v1/jobs/{id}/actions/undo", "GET /crmd/v1/jobs/{id}/events",
		"GET /crmd/v1/audit", "GET /crmd/v1/openapi.json",
	} {
		method, path, _ := strings.Cut(route, " ")
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("the document lacks %s", route)
		}
	}
}
