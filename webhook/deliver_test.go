package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/app"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/jobs"
	"github.com/crmd/crmd/store"
	"github.com/crmd/crmd/webhook"
	"github.com/prometheus/client_golang/prometheus"
)

// receiver is a real HTTP server on 127.0.0.1 that records the callbacks it gets and answers with
// status (200 unless set). When fail is set it is asked first, for every request, with the request's
// number (from 1): returning true means it wrote the answer itself (a failure) and the callback is not
// recorded as received.
type receiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	got      []map[string]any
	arrivals []time.Time
	hits     int
	status   int
	fail     func(n int, w http.ResponseWriter, r *http.Request) bool
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{status: 200}
	r.srv = httptest.NewServer(r.handler(t))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) handler(t *testing.T) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.hits++
		n, fail, status := r.hits, r.fail, r.status
		r.mu.Unlock()
		if fail != nil && fail(n, w, req) {
			return
		}
		if status/100 == 2 {
			if ct := req.Header.Get("Content-Type"); ct != "application/json" || req.Method != http.MethodPost {
				t.Errorf("callback %s with content type %q", req.Method, ct)
			}
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				t.Errorf("callback body is not JSON: %s", body)
			}
			r.mu.Lock()
			r.got = append(r.got, m)
			r.arrivals = append(r.arrivals, time.Now())
			r.mu.Unlock()
		}
		w.WriteHeader(status)
	})
}

func (r *receiver) callbacks() []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

func (r *receiver) requests() int { r.mu.Lock(); defer r.mu.Unlock(); return r.hits }

func (r *receiver) setStatus(s int) { r.mu.Lock(); r.status = s; r.mu.Unlock() }

type env struct {
	t   *testing.T
	st  *store.Store
	app *app.App
	ts  *httptest.Server
	org *crmdtest.Org
	tok string
}

const scope = "ZohoCRM.modules.ALL,ZohoCRM.mass_delete.ALL,ZohoCRM.settings.ALL,ZohoCRM.notifications.ALL"

func newEnv(t *testing.T, cfg webhook.Config) *env {
	return newEnvOn(t, crmdtest.OpenStore(t), cfg, slog.New(slog.DiscardHandler), app.Config{})
}

// newClockEnv is newEnv on a settable clock, so that retries fall due when the test says so, not
// after sleeps.
func newClockEnv(t *testing.T, cfg webhook.Config) (*env, *crmdtest.Clock) {
	st := crmdtest.OpenStore(t)
	clock := crmdtest.UseClock(st, time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC))
	return newEnvOn(t, st, cfg, slog.New(slog.DiscardHandler), app.Config{}), clock
}

// newEnvOn assembles crmd on st (app.Config base, with cfg and log), serves its API on 127.0.0.1 and
// creates the org Acme with an admin token.
func newEnvOn(t *testing.T, st *store.Store, cfg webhook.Config, log *slog.Logger, base app.Config) *env {
	base.BaseURL, base.Notify, base.Logger, base.Registry = "http://crmd.test", cfg, log, prometheus.NewRegistry()
	a := app.New(st, base)
	ts := httptest.NewServer(a.Handler)
	t.Cleanup(ts.Close)
	o := crmdtest.NewTeam(t, st, "Acme", "UTC")
	return &env{t: t, st: st, app: a, ts: ts, org: o, tok: o.Token(t, o.Admin, scope)}
}

func (e *env) do(method, path, body string) (int, map[string]any) {
	e.t.Helper()
	return crmdtest.DoJSON(e.t, method, e.ts.URL+path, body, crmdtest.Auth(e.tok))
}

// insertLeads creates n Leads and returns their ids.
func (e *env) insertLeads(n int) []string {
	e.t.Helper()
	var recs []string
	for i := range n {
		recs = append(recs, `{"Last_Name":"L`+strings.Repeat("x", i%3)+`"}`)
	}
	st, body := e.do("POST", "/crm/v8/Leads", `{"data":[`+strings.Join(recs, ",")+`]}`)
	if st != 201 {
		e.t.Fatalf("insert: %d %v", st, body)
	}
	return crmdtest.DetailIDs(e.t, body, "data")
}

// drain delivers until nothing is due.
func (e *env) drain() {
	e.t.Helper()
	for {
		n, err := e.app.Deliverer().Step(context.Background())
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func TestMassDeleteByIDsOneCallback(t *testing.T) {
	e := newEnv(t, webhook.Config{AllowPrivate: true})
	rcv := newReceiver(t)
	e.save(crmd.Channel{ChannelID: 1001, NotifyURL: rcv.srv.URL + "/hook?key1=val1", Token: "tok-val1"}, "Leads.delete")
	ids := e.insertLeads(30)
	e.drain()
	if n := len(rcv.callbacks()); n != 0 {
		t.Fatalf("a create reached a channel that watches deletes only: %d callbacks", n)
	}
	st, body := e.do("POST", "/crm/v8/Leads/actions/mass_delete", `{"ids":["`+strings.Join(ids, `","`)+`"]}`)
	if st != 200 {
		t.Fatalf("mass delete: %d %v", st, body)
	}
	e.drain()
	got := rcv.callbacks()
	if len(got) != 1 {
		t.Fatalf("%d callbacks, want 1: %v", len(got), got)
	}
	cb := got[0]
	var gotIDs []string
	for _, v := range cb["ids"].([]any) {
		gotIDs = append(gotIDs, v.(string))
	}
	slices.Sort(gotIDs)
	want := slices.Clone(ids)
	slices.Sort(want)
	if !slices.Equal(gotIDs, want) {
		t.Errorf("ids %v, want %v", gotIDs, want)
	}
	if cb["operation"] != "delete" || cb["module"] != "Leads" || cb["channel_id"] != "1001" ||
		cb["resource_uri"] != "http://crmd.test/crm/v8/Leads" || cb["token"] != "tok-val1" {
		t.Errorf("callback %v", cb)
	}
	if qp, _ := cb["query_params"].(map[string]any); qp["key1"] != "val1" {
		t.Errorf("query_params %v", cb["query_params"])
	}
}

// save writes ch (an org's channel) through the store, filling in the org, creator and times; events
// are "Module.event" strings.
func (e *env) save(ch crmd.Channel, events ...string) {
	e.t.Helper()
	ch.OrgID, ch.CreatedBy, ch.CreatedTime, ch.ModifiedTime = e.org.Org.ID, e.org.Admin.ID, e.st.NowMS(), e.st.NowMS()
	if ch.APIVersion == 0 {
		ch.APIVersion = 80
	}
	if ch.Expiry == 0 {
		ch.Expiry = e.st.Now().Add(time.Hour).UnixMilli()
	}
	for _, ev := range events {
		mod, op, _ := strings.Cut(ev, ".")
		ch.Events = append(ch.Events, crmd.ChannelEvent{ModuleID: e.org.Module(e.t, mod).ID, Operation: op})
	}
	if err := e.st.Tx(context.Background(), func(tx *store.Tx) error { return e.st.SaveChannel(context.Background(), tx, &ch) }); err != nil {
		e.t.Fatal(err)
	}
}

// must sends a request that must answer want.
func (e *env) must(want int, method, path, body string) map[string]any {
	e.t.Helper()
	st, b := e.do(method, path, body)
	if st != want {
		e.t.Fatalf("%s %s: %d %v, want %d", method, path, st, b, want)
	}
	return b
}

// deliveries returns GET /crmd/v1/notifications/deliveries?channel_id=… (newest first) and its info.
func (e *env) deliveries(channel int64, query string) ([]map[string]any, map[string]any) {
	e.t.Helper()
	st, b := e.do("GET", fmt.Sprintf("/crmd/v1/notifications/deliveries?channel_id=%d%s", channel, query), "")
	if st == 204 {
		return nil, nil // no attempt at all
	}
	if st != 200 {
		e.t.Fatalf("deliveries: %d %v", st, b)
	}
	var out []map[string]any
	for _, d := range b["deliveries"].([]any) {
		out = append(out, d.(map[string]any))
	}
	return out, b["info"].(map[string]any)
}

// outcomes lists the deliveries' outcomes, oldest first.
func outcomes(ds []map[string]any) []string {
	var out []string
	for i := len(ds) - 1; i >= 0; i-- {
		out = append(out, ds[i]["outcome"].(string))
	}
	return out
}

// strs turns a decoded JSON array of strings into []string (nil when v is not an array).
func strs(v any) []string {
	arr, _ := v.([]any)
	out := []string{}
	for _, x := range arr {
		out = append(out, x.(string))
	}
	return out
}

func sorted(ids []string) []string { out := slices.Clone(ids); slices.Sort(out); return out }

// jsonEq compares a decoded JSON value with want, written as JSON.
func jsonEq(t *testing.T, what string, got any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: bad want %s: %v", what, want, err)
	}
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(w)
	if string(gj) != string(wj) {
		t.Errorf("%s:\n got %s\nwant %s", what, gj, wj)
	}
}

// TestCallbackPerOperation: every kind of change reaches the channels watching it with Zoho's
// callback — the operation, the ids, affected_fields per record for an update and [] otherwise,
// affected_values only for the channel that asked for them, its own token and channel id as a string,
// server_time, and resource_uri in the version that enabled the channel.
func TestCallbackPerOperation(t *testing.T) {
	e, clock := newClockEnv(t, webhook.Config{AllowPrivate: true})
	r21, r80 := newReceiver(t), newReceiver(t)
	e.save(crmd.Channel{ChannelID: 21001, NotifyURL: r21.srv.URL + "/h21", Token: "tok-21", APIVersion: 21, ReturnValues: true}, "Leads.all")
	e.save(crmd.Channel{ChannelID: 80001, NotifyURL: r80.srv.URL + "/h80", Token: "tok-80", APIVersion: 80},
		"Leads.create", "Leads.edit", "Leads.delete")
	seen := map[*receiver]int{}
	// next drains the outbox and returns the callbacks each receiver got since the last call.
	next := func(r *receiver) []map[string]any {
		t.Helper()
		all := r.callbacks()
		out := all[seen[r]:]
		seen[r] = len(all)
		return out
	}
	check := func(step string, op string, ids []string, affected func(ch int64) string) {
		t.Helper()
		e.drain()
		for _, c := range []struct {
			r     *receiver
			id    int64
			uri   string
			token string
		}{{r21, 21001, "http://crmd.test/crm/v2.1/Leads", "tok-21"}, {r80, 80001, "http://crmd.test/crm/v8/Leads", "tok-80"}} {
			got := next(c.r)
			if len(got) != 1 {
				t.Fatalf("%s: channel %d got %d callbacks, want 1: %v", step, c.id, len(got), got)
			}
			cb := got[0]
			if cb["operation"] != op || cb["module"] != "Leads" || cb["channel_id"] != fmt.Sprint(c.id) || cb["token"] != c.token ||
				cb["resource_uri"] != c.uri || cb["server_time"] != float64(clock.Now().UnixMilli()) {
				t.Errorf("%s: channel %d callback %v", step, c.id, cb)
			}
			if !slices.Equal(sorted(strs(cb["ids"])), sorted(ids)) {
				t.Errorf("%s: channel %d ids %v, want %v", step, c.id, cb["ids"], ids)
			}
			jsonEq(t, step+" query_params", cb["query_params"], `{}`)
			want := affected(c.id)
			var af, av string
			if want != "" {
				parts := strings.SplitN(want, "|", 2)
				af = parts[0]
				if len(parts) == 2 {
					av = parts[1]
				}
			} else {
				af = `[]`
			}
			jsonEq(t, fmt.Sprintf("%s: channel %d affected_fields", step, c.id), cb["affected_fields"], af)
			if vals, ok := cb["affected_values"]; av == "" && ok {
				t.Errorf("%s: channel %d has affected_values %v without return_affected_field_values", step, c.id, vals)
			} else if av != "" {
				jsonEq(t, fmt.Sprintf("%s: channel %d affected_values", step, c.id), vals, av)
			}
		}
	}
	none := func(int64) string { return "" }

	b := e.must(201, "POST", "/crm/v8/Leads", `{"data":[{"Last_Name":"Ada","Email":"ada@x.test"},{"Last_Name":"Bob","Email":"bob@x.test"}]}`)
	ids := crmdtest.DetailIDs(t, b, "data")
	check("create", "insert", ids, none)

	clock.Advance(time.Second)
	e.must(200, "PUT", "/crm/v8/Leads/"+ids[0], `{"data":[{"Company":"NewCo","Phone":"555"}]}`)
	check("edit", "update", ids[:1], func(ch int64) string {
		af := `[{"` + ids[0] + `":["Company","Phone"]}]`
		if ch == 21001 {
			return af + `|[{"record_id":"` + ids[0] + `","values":{"Company":"NewCo","Phone":"555"}}]`
		}
		return af
	})

	// Assigning a territory edits the record (its modified time moves): an update of Territories.
	clock.Advance(time.Second)
	root := crmdtest.Items(t, e.must(200, "GET", "/crm/v8/settings/territories", ""), "territories")[0]["id"].(string)
	west := crmdtest.DetailIDs(t, e.must(201, "POST", "/crm/v8/settings/territories",
		`{"territories":[{"name":"West","permission_type":"read_only","reporting_to":{"id":"`+root+`"}}]}`), "territories")[0]
	e.must(200, "POST", "/crm/v8/Leads/actions/assign_territories", `{"data":[{"id":"`+ids[1]+`","Territories":[{"id":"`+west+`"}]}]}`)
	check("assign territories", "update", ids[1:2], func(ch int64) string {
		af := `[{"` + ids[1] + `":["Territories"]}]`
		if ch == 21001 {
			return af + `|[{"record_id":"` + ids[1] + `","values":{}}]`
		}
		return af
	})

	// An upsert of one existing record (matched by Email) and one new one: one insert callback and one
	// update callback, inserts first. The update names Full_Name too: it follows Last_Name.
	clock.Advance(time.Second)
	b = e.must(200, "POST", "/crm/v8/Leads/upsert", `{"duplicate_check_fields":["Email"],"data":[
		{"Last_Name":"Bobby","Email":"bob@x.test"},{"Last_Name":"Cy","Email":"cy@x.test"}]}`)
	up := crmdtest.DetailIDs(t, b, "data")
	if len(up) != 2 || up[0] != ids[1] {
		t.Fatalf("upsert ids %v (want %s first)", up, ids[1])
	}
	e.drain()
	for _, r := range []*receiver{r21, r80} {
		got := next(r)
		if len(got) != 2 || got[0]["operation"] != "insert" || got[1]["operation"] != "update" {
			t.Fatalf("upsert callbacks %v, want insert then update", got)
		}
		if !slices.Equal(strs(got[0]["ids"]), up[1:]) || !slices.Equal(strs(got[1]["ids"]), up[:1]) {
			t.Errorf("upsert callback ids %v %v, want %v then %v", got[0]["ids"], got[1]["ids"], up[1:], up[:1])
		}
		jsonEq(t, "upsert insert affected_fields", got[0]["affected_fields"], `[]`)
		jsonEq(t, "upsert update affected_fields", got[1]["affected_fields"], `[{"`+ids[1]+`":["Full_Name","Last_Name"]}]`)
	}

	clock.Advance(time.Second)
	e.must(200, "DELETE", "/crm/v8/Leads?ids="+ids[0]+","+up[1], "")
	check("delete", "delete", []string{ids[0], up[1]}, none)

	// A restore from the recycle bin is told as a create (docs/notifications.md: Zoho is silent).
	clock.Advance(time.Second)
	e.must(200, "POST", "/crm/v8/settings/recycle_bin/actions/restore", `{"ids":["`+ids[0]+`"]}`)
	check("restore", "insert", ids[:1], none)
}

// insertRaw writes n Leads of company straight through the store (fast, and told to nobody: only
// the records service enqueues creates) and returns their ids.
func (e *env) insertRaw(n int, company string) []string {
	e.t.Helper()
	ctx := context.Background()
	leads := e.org.Module(e.t, "Leads")
	var ids []string
	err := e.st.Tx(ctx, func(tx *store.Tx) error {
		first, err := e.st.AllocIDs(ctx, tx, e.org.Org.ID, n)
		if err != nil {
			return err
		}
		recs := make([]crmd.Record, n)
		for i := range recs {
			id := first + crmd.ID(i)
			ids = append(ids, id.String())
			recs[i] = crmd.Record{ID: id, OrgID: e.org.Org.ID, ModuleID: leads.ID, OwnerID: e.org.Admin.ID, CreatedBy: e.org.Admin.ID,
				ModifiedBy: e.org.Admin.ID, CreatedTime: e.st.NowMS(), ModifiedTime: e.st.NowMS(), ApprovalState: "approved",
				Data: []byte(fmt.Sprintf(`{"Last_Name":"L%d","Company":%q}`, i, company))}
		}
		return e.st.InsertRecords(ctx, tx, recs)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return ids
}

// runJobs runs every claimable job to its end.
func (e *env) runJobs() {
	e.t.Helper()
	for {
		worked, err := e.app.Runner().RunOnce(context.Background())
		if err != nil {
			e.t.Fatal(err)
		}
		if !worked {
			return
		}
	}
}

// scheduleView creates a view of the Leads of company and schedules its mass delete; it returns the
// job id.
func (e *env) scheduleView(company string) string {
	e.t.Helper()
	b := e.must(201, "POST", "/crm/v8/settings/custom_views?module=Leads",
		`{"custom_views":[{"name":"Doomed","criteria":{"field":{"api_name":"Company"},"comparator":"equal","value":"`+company+`"}}]}`)
	cvid := crmdtest.DetailIDs(e.t, b, "custom_views")[0]
	b = e.must(200, "POST", "/crm/v8/Leads/actions/mass_delete", `{"cvid":"`+cvid+`"}`)
	return crmdtest.Entries(e.t, b)[0]["details"].(map[string]any)["job_id"].(string)
}

// TestMassDeleteJobCallbacks: a mass delete job of a view is told batch by batch, and the callbacks'
// ids are exactly the deleted ids — none missing, none extra (the view's neighbours stay unnamed), none
// twice — at most 500 per callback (a 700-record batch is split in two).
func TestMassDeleteJobCallbacks(t *testing.T) {
	e := newEnvOn(t, crmdtest.OpenStore(t), webhook.Config{AllowPrivate: true}, slog.New(slog.DiscardHandler),
		app.Config{Runner: jobs.Config{BatchSize: 700}})
	rcv := newReceiver(t)
	e.save(crmd.Channel{ChannelID: 7, NotifyURL: rcv.srv.URL + "/hook", Token: "t"}, "Leads.delete")
	doomed := e.insertRaw(1600, "Doomed")
	kept := e.insertRaw(300, "Kept")
	job := e.scheduleView("Doomed")
	e.runJobs()
	e.drain()
	b := e.must(200, "GET", "/crm/v8/Leads/actions/mass_delete?job_id="+job, "")
	if d := crmdtest.Entries(t, b)[0]; d["Status"] != "COMPLETED" || d["Deleted_Count"] != float64(len(doomed)) {
		t.Fatalf("job %v", d)
	}
	seen := map[string]int{}
	got := rcv.callbacks()
	for _, cb := range got {
		ids := strs(cb["ids"])
		if len(ids) == 0 || len(ids) > store.NoticeMaxIDs {
			t.Errorf("a callback with %d ids (1 to %d allowed)", len(ids), store.NoticeMaxIDs)
		}
		if cb["operation"] != "delete" {
			t.Errorf("operation %v", cb["operation"])
		}
		for _, id := range ids {
			seen[id]++
		}
	}
	// 1,600 ids in batches of 700: 700 (500+200), 700 (500+200), 200.
	if len(got) != 5 {
		t.Errorf("%d callbacks, want 5 (batches of 700 split at 500)", len(got))
	}
	for _, id := range doomed {
		if seen[id] != 1 {
			t.Errorf("deleted id %s told %d times, want once", id, seen[id])
		}
		delete(seen, id)
	}
	if len(seen) != 0 {
		t.Errorf("%d ids told that were not deleted", len(seen))
	}
	for _, id := range kept {
		if seen[id] > 0 {
			t.Errorf("kept id %s was told as deleted", id)
		}
	}
}

// TestReceiverDownThenUp: a subscriber that is down (connection refused), then up but failing (503,
// then a dropped connection), then healthy gets the callback in the end, and the deliveries API shows
// every attempt with its outcome, status and error.
func TestReceiverDownThenUp(t *testing.T) {
	e, clock := newClockEnv(t, webhook.Config{AllowPrivate: true, Backoff: 10 * time.Millisecond})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // down: nothing listens on addr
	e.save(crmd.Channel{ChannelID: 42, NotifyURL: "http://" + addr + "/hook", Token: "t"}, "Leads.delete")
	ids := e.insertLeads(3)
	e.must(200, "DELETE", "/crm/v8/Leads?ids="+strings.Join(ids, ","), "")
	if n, err := e.app.Deliverer().Step(context.Background()); n != 1 || err != nil {
		t.Fatalf("first attempt: %d %v", n, err)
	}
	// Not due again before the backoff has passed.
	if n, _ := e.app.Deliverer().Step(context.Background()); n != 0 {
		t.Fatalf("a retry %d before its backoff", n)
	}

	// Up again on the same address: first 503, then a connection closed without an answer, then 200.
	l, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("the port was taken meanwhile: %v", err)
	}
	rcv := &receiver{status: 200}
	rcv.fail = func(n int, w http.ResponseWriter, r *http.Request) bool {
		switch n {
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		case 2:
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return true
		}
		return false
	}
	rcv.srv = httptest.NewUnstartedServer(rcv.handler(t))
	rcv.srv.Listener.Close()
	rcv.srv.Listener = l
	rcv.srv.Start()
	t.Cleanup(rcv.srv.Close)
	for range 3 {
		clock.Advance(time.Minute) // past any backoff
		if n, err := e.app.Deliverer().Step(context.Background()); n != 1 || err != nil {
			t.Fatalf("retry: %d %v", n, err)
		}
	}
	clock.Advance(time.Hour)
	if n, _ := e.app.Deliverer().Step(context.Background()); n != 0 {
		t.Fatalf("%d more attempts after delivery", n)
	}
	got := rcv.callbacks()
	if len(got) != 1 || !slices.Equal(sorted(strs(got[0]["ids"])), sorted(ids)) {
		t.Fatalf("callbacks %v, want one with %v", got, ids)
	}
	ds, info := e.deliveries(42, "")
	if !slices.Equal(outcomes(ds), []string{"retry", "retry", "retry", "delivered"}) {
		t.Fatalf("outcomes %v", outcomes(ds))
	}
	jsonEq(t, "info", info, `{"page":1,"per_page":200,"count":4,"more_records":false}`)
	msg := ds[0]["message_id"]
	for i, d := range ds {
		if d["channel_id"] != "42" || d["message_id"] != msg || d["attempt"] != float64(4-i) || d["module"] != "Leads" ||
			d["operation"] != "delete" || d["ids_count"] != float64(3) || d["id"] == "" || d["time"] == "" {
			t.Errorf("delivery %d: %v", i, d)
		}
	}
	// Newest first: delivered 200; closed (no status, an error); 503; refused.
	if ds[0]["status_code"] != float64(200) || ds[0]["error"] != nil {
		t.Errorf("delivered attempt %v", ds[0])
	}
	if ds[1]["status_code"] != nil || ds[1]["error"] == nil {
		t.Errorf("closed-connection attempt %v", ds[1])
	}
	if ds[2]["status_code"] != float64(503) || ds[2]["error"] != "the subscriber answered HTTP 503" {
		t.Errorf("503 attempt %v", ds[2])
	}
	if ds[3]["status_code"] != nil || !strings.Contains(fmt.Sprint(ds[3]["error"]), "refused") {
		t.Errorf("refused attempt %v", ds[3])
	}
	// Paging: two per page, more_records on the first.
	page, info := e.deliveries(42, "&per_page=2")
	if len(page) != 2 || info["more_records"] != true || page[0]["id"] != ds[0]["id"] {
		t.Errorf("page of 2: %v %v", page, info)
	}
	// Another channel's attempts are not listed under this one.
	if other, _ := e.deliveries(43, ""); len(other) != 0 {
		t.Errorf("channel 43 lists %v", other)
	}
}

// TestPerChannelOrder: a channel's second change waits while its first is retried, so callbacks
// arrive in the order of the changes; another channel's callbacks do not wait for it.
func TestPerChannelOrder(t *testing.T) {
	e, clock := newClockEnv(t, webhook.Config{AllowPrivate: true, Backoff: 10 * time.Millisecond})
	slow, fast := newReceiver(t), newReceiver(t)
	slow.fail = func(n int, w http.ResponseWriter, _ *http.Request) bool {
		if n == 1 {
			w.WriteHeader(http.StatusBadGateway)
			return true
		}
		return false
	}
	e.save(crmd.Channel{ChannelID: 1, NotifyURL: slow.srv.URL + "/a"}, "Leads.delete")
	e.save(crmd.Channel{ChannelID: 2, NotifyURL: fast.srv.URL + "/b"}, "Leads.delete")
	ids := e.insertLeads(2)
	e.must(200, "DELETE", "/crm/v8/Leads/"+ids[0], "")
	e.must(200, "DELETE", "/crm/v8/Leads/"+ids[1], "")
	d := e.app.Deliverer()
	if n, _ := d.Step(context.Background()); n != 2 {
		t.Fatalf("first step claimed %d, want one message per channel", n)
	}
	// The clock stands still: channel 1's first message is not due, and its second must not overtake
	// it; channel 2 goes on.
	if n, _ := d.Step(context.Background()); n != 1 {
		t.Fatalf("second step claimed %d, want channel 2's second message only", n)
	}
	if n, _ := d.Step(context.Background()); n != 0 {
		t.Fatalf("third step claimed %d", n)
	}
	if slow.requests() != 1 || len(slow.callbacks()) != 0 {
		t.Fatalf("channel 1: %d requests, %d callbacks", slow.requests(), len(slow.callbacks()))
	}
	clock.Advance(time.Second)
	e.drain()
	for _, r := range []*receiver{slow, fast} {
		got := r.callbacks()
		if len(got) != 2 || !slices.Equal(strs(got[0]["ids"]), ids[:1]) || !slices.Equal(strs(got[1]["ids"]), ids[1:]) {
			t.Errorf("callbacks %v, want %v then %v", got, ids[:1], ids[1:])
		}
	}
}

// TestRetryWindow: a message never answered with 2xx is retried, with a growing backoff, until its
// next attempt would fall after RetryFor from its change; it then ends failed and nothing more is
// sent.
func TestRetryWindow(t *testing.T) {
	e, clock := newClockEnv(t, webhook.Config{AllowPrivate: true, Backoff: 10 * time.Millisecond, RetryFor: time.Second})
	rcv := newReceiver(t)
	rcv.setStatus(500)
	e.save(crmd.Channel{ChannelID: 5, NotifyURL: rcv.srv.URL + "/h"}, "Leads.delete")
	ids := e.insertLeads(1)
	e.must(200, "DELETE", "/crm/v8/Leads/"+ids[0], "")
	// Attempts at 0, 400, 800 ms are retried (next at 10, 420, 840 ms: inside the second); the one at
	// 1,200 ms would retry at 1,280 ms, past it: failed.
	for i := range 4 {
		if n, _ := e.app.Deliverer().Step(context.Background()); n != 1 {
			t.Fatalf("attempt %d: claimed %d", i+1, n)
		}
		clock.Advance(400 * time.Millisecond)
	}
	clock.Advance(time.Hour)
	if n, _ := e.app.Deliverer().Step(context.Background()); n != 0 {
		t.Fatalf("a failed message was claimed again (%d)", n)
	}
	if rcv.requests() != 4 {
		t.Errorf("%d requests, want 4", rcv.requests())
	}
	ds, _ := e.deliveries(5, "")
	if !slices.Equal(outcomes(ds), []string{"retry", "retry", "retry", "failed"}) {
		t.Errorf("outcomes %v", outcomes(ds))
	}
	if ds[0]["status_code"] != float64(500) || ds[0]["error"] != "the subscriber answered HTTP 500" {
		t.Errorf("last attempt %v", ds[0])
	}
	if n, err := e.st.PendingNotices(context.Background()); n != 0 || err != nil {
		t.Errorf("pending %d %v", n, err)
	}
}

// TestExpiredAndDeletedChannels: a channel expired at the time of the change is not told of it; one
// that expires between the change and the delivery, or is deleted meanwhile, gets nothing either and
// its message ends dropped.
func TestExpiredAndDeletedChannels(t *testing.T) {
	e, clock := newClockEnv(t, webhook.Config{AllowPrivate: true})
	rcv := newReceiver(t)
	now := clock.Now()
	e.save(crmd.Channel{ChannelID: 1, NotifyURL: rcv.srv.URL + "/expired", Expiry: now.Add(-time.Second).UnixMilli()}, "Leads.delete")
	e.save(crmd.Channel{ChannelID: 2, NotifyURL: rcv.srv.URL + "/expiring", Expiry: now.Add(time.Minute).UnixMilli()}, "Leads.delete")
	e.save(crmd.Channel{ChannelID: 3, NotifyURL: rcv.srv.URL + "/deleted"}, "Leads.delete")
	e.save(crmd.Channel{ChannelID: 4, NotifyURL: rcv.srv.URL + "/alive"}, "Leads.delete")
	ids := e.insertLeads(2)
	e.must(200, "DELETE", "/crm/v8/Leads?ids="+strings.Join(ids, ","), "")
	var pending int
	if err := e.st.R.QueryRow(`SELECT COUNT(*) FROM notify_outbox WHERE status = 'pending' AND channel_id = 1`).Scan(&pending); err != nil {
		t.Fatal(err)
	}
	if pending != 0 {
		t.Errorf("the channel expired at the change has %d messages", pending)
	}
	clock.Advance(2 * time.Minute) // channel 2 expires
	err := e.st.Tx(context.Background(), func(tx *store.Tx) error {
		_, err := e.st.DeleteChannels(context.Background(), tx, e.org.Org.ID, []int64{3}, e.st.NowMS())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e.drain()
	got := rcv.callbacks()
	if len(got) != 1 || got[0]["channel_id"] != "4" {
		t.Fatalf("callbacks %v, want channel 4's only", got)
	}
	if rcv.requests() != 1 {
		t.Errorf("%d requests, want 1", rcv.requests())
	}
	if ds, _ := e.deliveries(1, ""); len(ds) != 0 {
		t.Errorf("expired channel: %v", ds)
	}
	if ds, _ := e.deliveries(2, ""); !slices.Equal(outcomes(ds), []string{"dropped"}) || ds[0]["status_code"] != nil {
		t.Errorf("channel expired before delivery: %v", ds)
	}
	for ch, want := range map[int64]string{2: "dropped", 3: "dropped", 4: "delivered"} {
		var status string
		if err := e.st.R.QueryRow(e.st.Q(`SELECT status FROM notify_outbox WHERE channel_id = ?`), ch).Scan(&status); err != nil {
			t.Fatal(err)
		}
		if status != want {
			t.Errorf("channel %d's message is %s, want %s", ch, status, want)
		}
	}
}

// TestSSRFRefusedWithoutAllowPrivate: without AllowPrivate, a channel whose notify_url is on
// 127.0.0.1 (stored by whatever means) gets nothing: the dialler refuses the address, the attempt
// says why, and the message fails at once (the address would be refused again: no day of retries).
func TestSSRFRefusedWithoutAllowPrivate(t *testing.T) {
	e := newEnv(t, webhook.Config{})
	rcv := newReceiver(t)
	e.save(crmd.Channel{ChannelID: 9, NotifyURL: rcv.srv.URL + "/h"}, "Leads.delete")
	ids := e.insertLeads(1)
	e.must(200, "DELETE", "/crm/v8/Leads/"+ids[0], "")
	if n, err := e.app.Deliverer().Step(context.Background()); n != 1 || err != nil {
		t.Fatalf("step %d %v", n, err)
	}
	if rcv.requests() != 0 {
		t.Fatalf("the loopback receiver got %d requests", rcv.requests())
	}
	ds, _ := e.deliveries(9, "")
	if len(ds) != 1 || ds[0]["outcome"] != "failed" || !strings.Contains(fmt.Sprint(ds[0]["error"]), "not public") {
		t.Fatalf("deliveries %v", ds)
	}
}

// TestCappedResponseAndTimeout: a receiver that answers 200 with an endless body is delivered well
// within the timeout (crmd reads at most MaxResponse of it); one slower than the timeout is a retry
// whose error says it timed out.
func TestCappedResponseAndTimeout(t *testing.T) {
	e := newEnv(t, webhook.Config{AllowPrivate: true, Timeout: 2 * time.Second, Backoff: time.Hour})
	endless := newReceiver(t)
	endless.fail = func(_ int, w http.ResponseWriter, r *http.Request) bool {
		w.WriteHeader(200)
		chunk := make([]byte, 32<<10)
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				break
			}
		}
		return true
	}
	slow := newReceiver(t)
	slow.fail = func(_ int, w http.ResponseWriter, r *http.Request) bool {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		return true
	}
	e.save(crmd.Channel{ChannelID: 1, NotifyURL: endless.srv.URL + "/endless"}, "Leads.delete")
	e.save(crmd.Channel{ChannelID: 2, NotifyURL: slow.srv.URL + "/slow"}, "Leads.delete")
	ids := e.insertLeads(1)
	e.must(200, "DELETE", "/crm/v8/Leads/"+ids[0], "")
	start := time.Now()
	if n, err := e.app.Deliverer().Step(context.Background()); n != 2 || err != nil {
		t.Fatalf("step %d %v", n, err)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("the step took %s", took)
	}
	ds, _ := e.deliveries(1, "")
	if len(ds) != 1 || ds[0]["outcome"] != "delivered" || ds[0]["latency_ms"].(float64) >= 2000 {
		t.Errorf("endless body: %v", ds)
	}
	ds, _ = e.deliveries(2, "")
	if len(ds) != 1 || ds[0]["outcome"] != "retry" || ds[0]["latency_ms"].(float64) < 2000 {
		t.Fatalf("slow receiver: %v", ds)
	}
	if msg := fmt.Sprint(ds[0]["error"]); !strings.Contains(msg, "deadline exceeded") && !strings.Contains(msg, "timeout") {
		t.Errorf("slow receiver's error %q does not say it timed out", msg)
	}
}

// TestNoSecretsInLogsOrDeliveries: a notify_url's query (Zoho's own example carries a key there) and a
// channel's token appear neither in the log nor in the deliveries' errors, whatever the failure.
func TestNoSecretsInLogsOrDeliveries(t *testing.T) {
	const secret, token = "S3CRET-IN-QUERY", "T0KEN-SECRET"
	logs := &crmdtest.LockedBuffer{}
	st := crmdtest.OpenStore(t)
	clock := crmdtest.UseClock(st, time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC))
	e := newEnvOn(t, st, webhook.Config{AllowPrivate: true, Timeout: 200 * time.Millisecond, Backoff: 10 * time.Millisecond,
		RetryFor: time.Second}, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), app.Config{})
	failing := newReceiver(t)
	failing.setStatus(503)
	slow := newReceiver(t)
	slow.fail = func(_ int, w http.ResponseWriter, r *http.Request) bool { <-r.Context().Done(); return true }
	redirect := newReceiver(t)
	redirect.fail = func(_ int, w http.ResponseWriter, r *http.Request) bool {
		http.Redirect(w, r, "ftp://files.example/x?key="+secret, http.StatusTemporaryRedirect)
		return true
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "http://" + l.Addr().String()
	l.Close()
	urls := []string{failing.srv.URL, slow.srv.URL, redirect.srv.URL, closed}
	for i, u := range urls {
		e.save(crmd.Channel{ChannelID: int64(i + 1), NotifyURL: u + "/h?key=" + secret, Token: token}, "Leads.delete")
	}
	ids := e.insertLeads(1)
	e.must(200, "DELETE", "/crm/v8/Leads/"+ids[0], "")
	for range 5 {
		if n, _ := e.app.Deliverer().Step(context.Background()); n != len(urls) {
			break
		}
		clock.Advance(400 * time.Millisecond)
	}
	if n, _ := e.st.PendingNotices(context.Background()); n != 0 {
		t.Fatalf("%d messages still pending", n)
	}
	if !strings.Contains(logs.String(), "notification given up") {
		t.Fatalf("the log has no failure lines; the test proves nothing:\n%s", logs.String())
	}
	var errs []string
	for i := range urls {
		ds, _ := e.deliveries(int64(i+1), "")
		if len(ds) == 0 || ds[0]["outcome"] != "failed" {
			t.Errorf("channel %d: %v", i+1, ds)
		}
		for _, d := range ds {
			errs = append(errs, fmt.Sprint(d["error"]))
		}
	}
	all := logs.String() + strings.Join(errs, "\n")
	for _, s := range []string{secret, token} {
		if strings.Contains(all, s) {
			t.Errorf("%q leaked:\n%s", s, all)
		}
	}
}

// TestTwoDeliverersExactlyOnce: two processes' deliverers (two apps on two stores of one database)
// stepping at once deliver every message exactly once: the lease keeps the other off a claimed
// message, and a channel's next message waits for its predecessor.
func TestTwoDeliverersExactlyOnce(t *testing.T) {
	stores := crmdtest.OpenStores(t, 2)
	e := newEnvOn(t, stores[0], webhook.Config{AllowPrivate: true}, slog.New(slog.DiscardHandler), app.Config{})
	other := app.New(stores[1], app.Config{BaseURL: "http://crmd.test", Notify: webhook.Config{AllowPrivate: true},
		Logger: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry()})
	rcv := newReceiver(t)
	const channels, changes = 5, 30
	for c := range channels {
		e.save(crmd.Channel{ChannelID: int64(c + 1), NotifyURL: fmt.Sprintf("%s/c%d", rcv.srv.URL, c+1)}, "Leads.delete")
	}
	ids := e.insertLeads(changes)
	for _, id := range ids {
		e.must(200, "DELETE", "/crm/v8/Leads/"+id, "")
	}
	var claimed [2]int
	var errs [2]error
	crmdtest.Race(2, func(i int) {
		d := e.app.Deliverer()
		if i == 1 {
			d = other.Deliverer()
		}
		for {
			n, err := d.Step(context.Background())
			if err != nil {
				errs[i] = err
				return
			}
			claimed[i] += n
			if n == 0 {
				if left, _ := stores[i].PendingNotices(context.Background()); left == 0 {
					return
				}
				time.Sleep(time.Millisecond)
			}
		}
	})
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	t.Logf("claimed: %v", claimed)
	if claimed[0]+claimed[1] != channels*changes || claimed[0] == 0 || claimed[1] == 0 {
		t.Errorf("claimed %v, want %d in all, by both", claimed, channels*changes)
	}
	got := rcv.callbacks()
	count := map[string]int{}
	order := map[string][]string{}
	for _, cb := range got {
		ch := cb["channel_id"].(string)
		for _, id := range strs(cb["ids"]) {
			count[ch+"/"+id]++
			order[ch] = append(order[ch], id)
		}
	}
	// Per-channel order holds across the two deliverers: each channel heard of the deletes in the order
	// they were made.
	for ch, seq := range order {
		if !slices.Equal(seq, ids) {
			t.Errorf("channel %s heard %v, want %v", ch, seq, ids)
		}
	}
	if len(got) != channels*changes || len(count) != channels*changes {
		t.Errorf("%d callbacks naming %d (channel, id) pairs, want %d each", len(got), len(count), channels*changes)
	}
	for k, n := range count {
		if n != 1 {
			t.Errorf("%s delivered %d times", k, n)
		}
	}
}

// TestRunDrainsBacklog: Run goes on delivering while it finds work, so a backlog on one channel (a
// job's batches, messages left by a crashed process) drains at the receiver's pace — not one message
// per channel per Poll. Poll is an hour here: only Run's own loop can deliver the backlog in time.
func TestRunDrainsBacklog(t *testing.T) {
	e := newEnv(t, webhook.Config{AllowPrivate: true, Poll: time.Hour, Backoff: 20 * time.Millisecond})
	rcv := newReceiver(t)
	// The 7th request fails once: Run's run of the channel's messages stops there, gives back the
	// leases of the rest, and the retry goes out before them.
	rcv.fail = func(n int, w http.ResponseWriter, _ *http.Request) bool {
		if n == 7 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	}
	e.save(crmd.Channel{ChannelID: 3, NotifyURL: rcv.srv.URL + "/h"}, "Leads.delete")
	ids := e.insertLeads(40) // more than two runs
	for _, id := range ids {
		e.must(200, "DELETE", "/crm/v8/Leads/"+id, "")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.app.Deliverer().Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for len(rcv.callbacks()) < len(ids) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	got := rcv.callbacks()
	if len(got) != len(ids) {
		t.Fatalf("Run delivered %d of %d queued messages in 10 s", len(got), len(ids))
	}
	// In the order of the deletes, each once, the failed one included.
	var order []string
	for i, cb := range got {
		one := strs(cb["ids"])
		if len(one) != 1 {
			t.Fatalf("callback %d: %v", i, cb)
		}
		order = append(order, one[0])
	}
	if !slices.Equal(order, ids) {
		t.Errorf("callbacks in the order %v, want the deletes' %v", order, ids)
	}
	ds, _ := e.deliveries(3, "&per_page=200")
	retries := 0
	for _, d := range ds {
		if d["outcome"] == "retry" {
			retries++
		}
	}
	if len(ds) != len(ids)+1 || retries != 1 {
		t.Errorf("%d attempts with %d retries, want %d with 1", len(ds), retries, len(ids)+1)
	}
}

// TestMetrics: the deliverer's work shows at /metrics — attempts by outcome, and the outbox's
// backlog while a message waits for its retry.
func TestMetrics(t *testing.T) {
	e := newEnv(t, webhook.Config{AllowPrivate: true, Backoff: time.Hour})
	rcv := newReceiver(t)
	e.save(crmd.Channel{ChannelID: 5, NotifyURL: rcv.srv.URL + "/ok"}, "Leads.create")
	down := newReceiver(t)
	down.srv.Close()
	e.save(crmd.Channel{ChannelID: 6, NotifyURL: down.srv.URL + "/gone"}, "Leads.create")
	e.insertLeads(2)
	e.drain()
	resp, err := http.Get(e.ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`crmd_notification_attempts_total{outcome="delivered"} 1`,
		`crmd_notification_attempts_total{outcome="retry"} 1`,
		"crmd_notification_pending 1",
		"crmd_notification_lag_seconds_count 1",
	} {
		if !strings.Contains(string(body), want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
