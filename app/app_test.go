package app_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/app"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/records"
	"github.com/prometheus/client_golang/prometheus"
)

// t0 is the fixed start of the tests' clock.
var t0 = time.Date(2024, 5, 13, 8, 2, 33, 0, time.UTC)

var quiet = slog.New(slog.DiscardHandler)

func TestNewBuildsEveryService(t *testing.T) {
	st := crmdtest.OpenStore(t)
	a := app.New(st, app.Config{BaseURL: "http://crmd.test", RecycleRetention: 2 * time.Hour, Logger: quiet})
	if a.Store != st || a.Auth == nil || a.Metadata == nil || a.Views == nil || a.Territories == nil || a.Records == nil ||
		a.RecycleBin == nil || a.MassDelete == nil || a.API == nil || a.Runner() == nil || a.Purger() == nil {
		t.Fatalf("a service is missing: %+v", a)
	}
	if a.Console == nil {
		t.Error("the console is missing")
	}
	// The configuration reaches the parts that use it.
	if a.Auth.Store != st || a.Auth.BaseURL != "http://crmd.test" {
		t.Errorf("auth on %p with base URL %q", a.Auth.Store, a.Auth.BaseURL)
	}
	if p := a.Purger(); p.Store != st || p.Retention != 2*time.Hour {
		t.Errorf("purger on %p with retention %v", p.Store, p.Retention)
	}

	// The services work on the store they were given: what one writes another reads.
	ctx := context.Background()
	o := crmdtest.NewTeam(t, st, "Acme", "UTC")
	leads, err := a.Metadata.Module(ctx, o.Org.ID, "leads")
	if err != nil || leads == nil {
		t.Fatalf("metadata: %v, %v", leads, err)
	}
	id := insertLead(t, a, o, leads, "Smith")
	if item, err := a.Records.Get(ctx, o.Caller(o.Admin), leads, id, nil); err != nil || item == nil {
		t.Errorf("records: the new Lead reads back as %+v, %v", item, err)
	}
	resp, err := a.Auth.IssueForUser(ctx, o.ClientID, o.Org.ID, o.Admin.ID, "ZohoCRM.org.READ", time.Hour, false)
	if err != nil || resp.APIDomain != "http://crmd.test" {
		t.Errorf("auth: token %+v, %v; want api_domain http://crmd.test", resp, err)
	}
}

func TestHandlerServesTheAPI(t *testing.T) {
	st := crmdtest.OpenStore(t)
	reg := prometheus.NewRegistry()
	a := app.New(st, app.Config{BaseURL: "http://crmd.test", Logger: quiet, Registry: reg})

	// The request metrics go to the registry given in the config. ServeHTTP counts a request before it
	// returns, so a direct call makes the count exact; routes are labelled "METHOD pattern".
	w := httptest.NewRecorder()
	a.Handler.ServeHTTP(w, httptest.NewRequest("GET", "/healthz", nil))
	if n := requests(t, reg, "GET /healthz", "200"); w.Code != 200 || n != 1 {
		t.Errorf("GET /healthz answered %d; the registry counts %v of them, want 1", w.Code, n)
	}

	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	if code, body := crmdtest.DoJSON(t, "GET", srv.URL+"/healthz", "", nil); code != 200 {
		t.Errorf("GET /healthz: %d %v", code, body)
	} else {
		crmdtest.JSONEq(t, "healthz", body, `{"status":"ok"}`)
	}
	// readyz asks the store the app was built on.
	if code, body := crmdtest.DoJSON(t, "GET", srv.URL+"/readyz", "", nil); code != 200 {
		t.Errorf("GET /readyz: %d %v", code, body)
	} else {
		crmdtest.JSONEq(t, "readyz", body, `{"status":"ok","database":"ok"}`)
	}
	// The Zoho API authenticates against the same store and answers from its metadata.
	o := crmdtest.NewTeam(t, st, "Acme", "UTC")
	tok := o.Token(t, o.Admin, "ZohoCRM.org.READ")
	code, body := crmdtest.DoJSON(t, "GET", srv.URL+"/crm/v8/org", "", crmdtest.Auth(tok))
	if code != 200 {
		t.Fatalf("GET /crm/v8/org: %d %v", code, body)
	}
	if org := crmdtest.Items(t, body, "org"); len(org) != 1 || org[0]["id"] != o.Org.ID.String() || org[0]["company_name"] != "Acme" {
		t.Errorf("org %v", org)
	}
	if code, body := crmdtest.DoJSON(t, "GET", srv.URL+"/crm/v8/org", "", nil); code != 401 {
		t.Errorf("GET /crm/v8/org without a token: %d %v", code, body)
	}

	// Without a registry each app gets a private one: two apps in one process must not collide on the
	// default registry (which would panic on the second registration).
	for range 2 {
		w := httptest.NewRecorder()
		app.New(st, app.Config{Logger: quiet}).Handler.ServeHTTP(w, httptest.NewRequest("GET", "/healthz", nil))
		if w.Code != 200 {
			t.Errorf("default-config app: GET /healthz %d", w.Code)
		}
	}
}

// requests is crmd_http_requests_total in reg for a route ("METHOD pattern") and status code.
func requests(t *testing.T, reg *prometheus.Registry, route, code string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != "crmd_http_requests_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["route"] == route && labels["code"] == code {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// Run runs both background workers on the app's services and configuration: the mass delete runner
// takes a scheduled job, the recycle bin purge applies the configured retention. Once ctx ends it
// returns promptly.
func TestRunRunsTheWorkersUntilCancelled(t *testing.T) {
	st := crmdtest.OpenStore(t)
	clock := crmdtest.UseClock(st, t0)
	// An hour's retention, far below the 60-day default, so only the configured value purges below.
	a := app.New(st, app.Config{Logger: quiet, RecycleRetention: time.Hour})
	ctx := context.Background()
	o := crmdtest.NewTeam(t, st, "Acme", "UTC")
	c := o.Caller(o.Admin)
	leads := o.Module(t, "Leads")

	old := insertLead(t, a, o, leads, "Old")
	if outs, err := a.Records.Delete(ctx, c, leads, []crmd.ID{old}); err != nil || !outs[0].OK() {
		t.Fatalf("delete: %v, %v", outs, err)
	}
	clock.Advance(2 * time.Hour)
	insertLead(t, a, o, leads, "A")
	insertLead(t, a, o, leads, "B")
	vs, err := a.Views.Views(ctx, c, leads)
	if err != nil {
		t.Fatal(err)
	}
	var all crmd.ID
	for _, v := range vs {
		if v.SystemName == "ALLVIEWS" {
			all = v.ID
		}
	}
	jobID, err := a.MassDelete.Schedule(ctx, c, leads, all, nil)
	if err != nil {
		t.Fatal(err)
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() { a.Run(runCtx); close(done) }()

	// Done when the job has deleted A and B and the bin holds just them: Old, deleted two hours ago,
	// was purged.
	deadline := time.Now().Add(20 * time.Second)
	for {
		job, err := a.MassDelete.Job(ctx, c, leads, jobID)
		if err != nil {
			t.Fatal(err)
		}
		n, err := a.RecycleBin.Count(ctx, c, 0)
		if err != nil {
			t.Fatal(err)
		}
		if job.Status == crmd.JobCompleted && job.DeletedCount == 2 && n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("workers did not finish: job %s deleted %d, bin holds %d", job.Status, job.DeletedCount, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if item, err := a.RecycleBin.Get(ctx, c, old); err != nil || item != nil {
		t.Errorf("Old is still in the bin: %+v, %v", item, err)
	}

	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5s of its context ending")
	}
}

func TestRunReturnsAtOnceOnAnEndedContext(t *testing.T) {
	a := app.New(crmdtest.OpenStore(t), app.Config{Logger: quiet})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run on an ended context did not return within 5s")
	}
}

// insertLead adds a Lead as the org's admin through the app's records service.
func insertLead(t *testing.T, a *app.App, o *crmdtest.Org, leads *crmd.Module, lastName string) crmd.ID {
	t.Helper()
	w, err := a.Records.Insert(context.Background(), o.Caller(o.Admin), leads, []records.Entry{{Values: map[string]any{"Last_Name": lastName}}})
	if err != nil || !w.Results[0].OK() {
		t.Fatalf("insert %s: %+v, %v", lastName, w, err)
	}
	return w.Results[0].Value.ID
}
