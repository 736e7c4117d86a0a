package client_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmd/crmd/client"
)

// crmd's own API (/crmd/v1) through the client, against the in-process crmd of TestMain: its runner
// works in batches of 50, and holdRunner keeps a job SCHEDULED while a test needs it to.

// adminClient is a client of org's admin on its refresh token; hc may be nil.
func adminClient(org crmdOrg, hc *http.Client) *client.Client {
	return client.New(org.BaseURL, client.WithHTTPClient(hc), client.WithRefreshToken(client.OAuthConfig{AccountsURL: org.BaseURL,
		ClientID: org.ClientID, ClientSecret: org.ClientSecret, RefreshToken: org.RefreshToken}))
}

// insertLeads inserts n leads named prefix0… of company, 100 per call, and returns their ids.
func insertLeads(t *testing.T, c *client.Client, prefix, company string, n int) []string {
	t.Helper()
	var ids []string
	for i := 0; i < n; i += 100 {
		var recs []client.Record
		for k := i; k < min(i+100, n); k++ {
			recs = append(recs, client.Record{"Last_Name": fmt.Sprint(prefix, k), "Company": company})
		}
		res, err := c.InsertRecords(context.Background(), "Leads", recs...)
		if err != nil || res.Err() != nil {
			t.Fatalf("insert: %v %v", res.Err(), err)
		}
		ids = append(ids, res.IDs()...)
	}
	return ids
}

// companyView creates a view of the leads of company.
func companyView(t *testing.T, c *client.Client, company string) string {
	t.Helper()
	cv, err := c.CreateCustomView(context.Background(), "Leads", client.NewCustomView{Name: company,
		Criteria: client.Criterion{Field: "Company", Comparator: "equal", Value: company}})
	if err != nil {
		t.Fatal(err)
	}
	return cv
}

// wantError checks that err is an *Error with the HTTP status and code, and returns it.
func wantError(t *testing.T, what string, err error, status int, code string) *client.Error {
	t.Helper()
	var e *client.Error
	if !errors.As(err, &e) || e.HTTPStatus != status || e.Code != code {
		t.Fatalf("%s: %v, want %d %s", what, err, status, code)
	}
	return e
}

func jobIDs(js []client.Job) []string {
	var ids []string
	for _, j := range js {
		ids = append(ids, j.ID)
	}
	return ids
}

// TestCrmdPreview: what the preview says by ids and by view is what the real calls then do, within a
// territory too; a view whose org has a job waiting is ALREADY_SCHEDULED with that job; a body the
// real call refuses is refused alike.
func TestCrmdPreview(t *testing.T) {
	org := newCrmdOrg("Vandelay", "")
	ctx := context.Background()
	c := adminClient(org, nil)
	doomed := insertLeads(t, c, "D", "Doomed", 4)
	res, err := c.InsertRecords(ctx, "Leads", client.Record{"Last_Name": "U", "Company": "Doomed", "$approval_state": "approval_process_pending"})
	if err != nil || res.Err() != nil {
		t.Fatalf("unapproved insert: %v %v", res, err)
	}
	unapproved := res[0].ID()
	kept := insertLeads(t, c, "K", "Kept", 2)

	// By ids: a repeated id counts once, an unknown one is INVALID_DATA, the unapproved one NOT_APPROVED.
	ids := []string{doomed[0], doomed[1], doomed[0], "1234567890123456789", unapproved}
	p, err := c.PreviewMassDeleteIDs(ctx, "Leads", ids)
	if err != nil {
		t.Fatal(err)
	}
	if p.Module != "Leads" || p.Selection != "ids" || p.Total != 4 || p.Deletable != 2 || p.Unapproved != 1 || p.Invalid != 1 ||
		p.Limit != 500 || !p.WithinLimit || p.RunningJob != nil || p.Outcome != client.OutcomeDelete {
		t.Errorf("ids preview %+v", p)
	}
	wantSample := []client.PreviewRecord{{ID: doomed[0], DisplayName: "D0"}, {ID: doomed[1], DisplayName: "D1"}}
	if !slices.Equal(p.Sample, wantSample) {
		t.Errorf("ids sample %+v, want %+v", p.Sample, wantSample)
	}
	wantVerdicts := []client.Verdict{{ID: doomed[0], Verdict: "delete"}, {ID: doomed[1], Verdict: "delete"},
		{ID: "1234567890123456789", Verdict: "INVALID_DATA"}, {ID: unapproved, Verdict: "NOT_APPROVED"}}
	if !slices.Equal(p.Verdicts, wantVerdicts) {
		t.Errorf("verdicts %+v, want %+v", p.Verdicts, wantVerdicts)
	}
	// The real call answers one result per verdict, in the same order.
	actual, err := c.MassDeleteIDs(ctx, "Leads", ids)
	if err != nil {
		t.Fatal(err)
	}
	var got, want []string
	deleted := 0
	for _, r := range actual {
		got = append(got, r.ID()+" "+r.Code)
		if r.OK() {
			deleted++
		}
	}
	for _, v := range p.Verdicts {
		code := v.Verdict
		if code == "delete" {
			code = "SUCCESS"
		}
		want = append(want, v.ID+" "+code)
	}
	if !slices.Equal(got, want) || deleted != p.Deletable {
		t.Errorf("real call %v (%d deleted), the preview said %v (%d)", got, deleted, want, p.Deletable)
	}

	// By view: the live records the view selects now, sampled by ascending id.
	cv := companyView(t, c, "Doomed")
	p, err = c.PreviewMassDeleteView(ctx, "Leads", cv, nil)
	if err != nil {
		t.Fatal(err)
	}
	left := []string{doomed[2], doomed[3]}
	slices.Sort(left)
	if p.Selection != "cvid" || p.Total != 3 || p.Deletable != 2 || p.Unapproved != 1 || p.Invalid != 0 || p.Limit != 50000 ||
		!p.WithinLimit || p.RunningJob != nil || p.Outcome != client.OutcomeSchedule || p.Verdicts != nil ||
		len(p.Sample) != 2 || p.Sample[0].ID != left[0] || p.Sample[1].ID != left[1] {
		t.Errorf("view preview %+v", p)
	}
	// Within a territory, only the records of the territory.
	ts, err := c.Territories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	east, err := c.CreateTerritory(ctx, client.NewTerritory{Name: "East", ReportingTo: ts[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := c.AssignTerritories(ctx, "Leads", client.TerritoryAssignment{RecordID: doomed[3], TerritoryIDs: []string{east}}); err != nil || res.Err() != nil {
		t.Fatalf("assign: %v %v", res, err)
	}
	pt, err := c.PreviewMassDeleteView(ctx, "Leads", cv, &client.MassDeleteTerritory{ID: east})
	if err != nil || pt.Total != 1 || pt.Deletable != 1 || !slices.Equal(pt.Sample, []client.PreviewRecord{{ID: doomed[3], DisplayName: "D3"}}) {
		t.Errorf("territory preview %+v %v", pt, err)
	}
	pi, err := c.PreviewMassDeleteIDsIn(ctx, "Leads", []string{doomed[2], doomed[3]}, client.MassDeleteTerritory{ID: east})
	if err != nil || pi.Deletable != 1 || pi.Invalid != 1 || !slices.Equal(pi.Verdicts, []client.Verdict{{ID: doomed[2], Verdict: "INVALID_DATA"}, {ID: doomed[3], Verdict: "delete"}}) {
		t.Errorf("ids in territory preview %+v %v", pi, err)
	}

	// While the job the real call schedules waits, the preview names it.
	release := holdRunner(t)
	job, err := c.MassDeleteCVID(ctx, "Leads", cv, nil)
	if err != nil {
		t.Fatal(err)
	}
	pw, err := c.PreviewMassDeleteView(ctx, "Leads", cv, nil)
	if err != nil || pw.Outcome != client.OutcomeAlreadyScheduled || pw.RunningJob == nil || pw.RunningJob.ID != job ||
		pw.RunningJob.Status != client.JobScheduled || pw.RunningJob.Kind != client.JobKindMassDelete || pw.Total != 3 {
		t.Errorf("preview while the job waits: %+v %v", pw, err)
	}
	release()
	st, err := c.Wait(ctx, "Leads", job, &client.WaitOptions{MinInterval: 10 * time.Millisecond, MaxInterval: 100 * time.Millisecond})
	if err != nil || st.TotalCount != p.Total || st.DeletedCount != p.Deletable || st.FailedCount != p.Unapproved {
		t.Errorf("job %+v %v, the preview said %d/%d/%d", st, err, p.Total, p.Deletable, p.Unapproved)
	}
	// Only the unapproved lead is left in the view: the preview's outcome is the real call's.
	pl, err := c.PreviewMassDeleteView(ctx, "Leads", cv, nil)
	if err != nil || pl.Total != 1 || pl.Deletable != 0 || pl.Unapproved != 1 || len(pl.Sample) != 0 {
		t.Fatalf("preview after the job: %+v %v", pl, err)
	}
	if job, err := c.MassDeleteCVID(ctx, "Leads", cv, nil); err != nil {
		if client.ErrorCode(err) != pl.Outcome {
			t.Errorf("the preview said %s, the real call %v", pl.Outcome, err)
		}
	} else if st, err := c.Wait(ctx, "Leads", job, &client.WaitOptions{MinInterval: 10 * time.Millisecond}); pl.Outcome != client.OutcomeSchedule ||
		err != nil || st.TotalCount != 1 || st.DeletedCount != 0 || st.FailedCount != 1 {
		t.Errorf("the preview said %s, the real call scheduled a job: %+v %v", pl.Outcome, st, err)
	}
	if p, err := c.PreviewMassDeleteIDs(ctx, "Leads", kept); err != nil || p.Deletable != 2 {
		t.Errorf("kept: %+v %v", p, err)
	}

	// Bodies the real call refuses: the same *Error.
	var tooMany []string
	for i := range 501 {
		tooMany = append(tooMany, fmt.Sprint(1000000000000000000+i))
	}
	for _, tc := range []struct {
		module string
		ids    []string
	}{{"Nope", kept}, {"Leads", tooMany}, {"Leads", nil}} {
		_, perr := c.PreviewMassDeleteIDs(ctx, tc.module, tc.ids)
		_, rerr := c.MassDeleteIDs(ctx, tc.module, tc.ids)
		var pe, re *client.Error
		if !errors.As(perr, &pe) || !errors.As(rerr, &re) || pe.Code == "" || pe.Code != re.Code || pe.HTTPStatus != re.HTTPStatus ||
			fmt.Sprint(pe.Details) != fmt.Sprint(re.Details) {
			t.Errorf("%s with %d ids: preview %v, real call %v", tc.module, len(tc.ids), perr, rerr)
		}
	}
}

// TestCrmdJobsAndCancel: a job as the history shows it, listed with filters and pages; a SCHEDULED job
// cancelled before it starts deletes nothing; a finished job cannot be cancelled; someone else's job
// cannot be cancelled by a standard user.
func TestCrmdJobsAndCancel(t *testing.T) {
	org := newCrmdOrg("Kramerica", "")
	ctx := context.Background()
	c := adminClient(org, nil)
	me, err := c.CurrentUser(ctx)
	if err != nil {
		t.Fatal(err)
	}
	insertLeads(t, c, "A", "Acme", 5)
	insertLeads(t, c, "O", "Other", 2)
	cv := companyView(t, c, "Acme")
	other := companyView(t, c, "Other")
	start := time.Now().Add(-2 * time.Second)

	release := holdRunner(t)
	job, err := c.MassDeleteCVID(ctx, "Leads", cv, nil)
	if err != nil {
		t.Fatal(err)
	}
	j, err := c.Job(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	if j.ID != job || j.Kind != client.JobKindMassDelete || j.Module != "Leads" || j.Status != client.JobScheduled || j.Total != 5 ||
		j.Processed != 0 || j.Progress != 0 || j.CreatedBy == nil || j.CreatedBy.ID != me.ID || j.CreatedBy.Name != "Ada Admin" ||
		j.CreatedTime.Before(start) || j.CreatedTime.After(time.Now().Add(time.Second)) || j.StartedTime != nil || j.FinishedTime != nil ||
		j.CVID != cv || j.Territory != nil || j.Error != "" || j.CancelRequested || j.UndoOf != "" || j.UndoneBy != "" || j.Done() {
		t.Errorf("scheduled job %+v", j)
	}
	list, more, err := c.Jobs(ctx, client.JobsQuery{Kind: client.JobKindMassDelete, Status: client.JobScheduled})
	if err != nil || more || len(list) != 1 || list[0].ID != job || list[0].CVID != cv {
		t.Errorf("scheduled jobs: %+v %v %v", list, more, err)
	}

	// A standard user may not cancel the admin's job.
	rep := client.New(org.BaseURL, client.WithAccessToken(org.addUser("rep@kramerica.test", "Standard", fullScope)))
	_, err = rep.CancelJob(ctx, job)
	wantError(t, "standard user's cancel", err, 403, "NO_PERMISSION")

	// Cancelled before it started: it ends at once, having done nothing.
	cj, err := c.CancelJob(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	if cj.Status != client.JobCancelled || cj.FinishedTime == nil || cj.Processed != 0 || cj.Succeeded != 0 || cj.CancelRequested || !cj.Done() {
		t.Errorf("cancelled job %+v", cj)
	}
	release()
	// Zoho's status endpoint says CANCELLED too, and Wait stops there.
	st, err := c.Wait(ctx, "Leads", job, &client.WaitOptions{MinInterval: 10 * time.Millisecond})
	if !errors.Is(err, client.ErrJobCancelled) || st == nil || st.Status != client.JobCancelled || st.DeletedCount != 0 || !st.Done() {
		t.Errorf("Wait on the cancelled job: %+v %v", st, err)
	}
	e := wantError(t, "second cancel", func() error { _, err := c.CancelJob(ctx, job); return err }(), 400, "NOT_ALLOWED")
	if e.Details["id"] != job || e.Details["status"] != client.JobCancelled {
		t.Errorf("second cancel details %v", e.Details)
	}

	// A later job runs to its end; the cancelled one never ran: the Acme leads are all there.
	done, err := c.MassDeleteCVID(ctx, "Leads", other, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := c.Wait(ctx, "Leads", done, &client.WaitOptions{MinInterval: 10 * time.Millisecond}); err != nil || st.DeletedCount != 2 {
		t.Fatalf("second job: %+v %v", st, err)
	}
	if p, err := c.PreviewMassDeleteView(ctx, "Leads", cv, nil); err != nil || p.Total != 5 {
		t.Errorf("Acme leads after the cancelled job: %+v %v", p, err)
	}
	e = wantError(t, "cancel of a finished job", func() error { _, err := c.CancelJob(ctx, done); return err }(), 400, "NOT_ALLOWED")
	if e.Details["status"] != client.JobCompleted {
		t.Errorf("finished job's cancel details %v", e.Details)
	}
	dj, err := c.Job(ctx, done)
	if err != nil || dj.Status != client.JobCompleted || dj.Total != 2 || dj.Processed != 2 || dj.Succeeded != 2 || dj.Progress != 100 ||
		dj.StartedTime == nil || dj.FinishedTime == nil || dj.FinishedTime.Before(*dj.StartedTime) || dj.CVID != other {
		t.Errorf("finished job %+v %v", dj, err)
	}

	// The history: newest first, filtered, paged; no match is empty, not an error.
	for _, tc := range []struct {
		q    client.JobsQuery
		want []string
		more bool
	}{
		{client.JobsQuery{Kind: client.JobKindMassDelete}, []string{done, job}, false},
		{client.JobsQuery{Kind: client.JobKindMassDelete, Module: "Leads", Status: client.JobCancelled}, []string{job}, false},
		{client.JobsQuery{Kind: client.JobKindMassDelete, PerPage: 1}, []string{done}, true},
		{client.JobsQuery{Kind: client.JobKindMassDelete, PerPage: 1, Page: 2}, []string{job}, false},
		{client.JobsQuery{Status: client.JobFailed}, nil, false},
		{client.JobsQuery{Kind: client.JobKindUndo}, nil, false},
	} {
		list, more, err := c.Jobs(ctx, tc.q)
		if err != nil || !slices.Equal(jobIDs(list), tc.want) || more != tc.more {
			t.Errorf("jobs %+v: %v %v %v, want %v %v", tc.q, jobIDs(list), more, err, tc.want, tc.more)
		}
	}
	_, _, err = c.Jobs(ctx, client.JobsQuery{Module: "Nope"})
	if e := wantError(t, "jobs of an unknown module", err, 400, "INVALID_DATA"); e.Details["param_name"] != "module" {
		t.Errorf("details %v", e.Details)
	}
	_, err = c.Job(ctx, "1234567890123456789")
	wantError(t, "unknown job", err, 404, "NOT_FOUND")
}

// TestCrmdWatchAndUndo follows a mass delete job from before its first batch to its end, then undoes
// it and follows the undo: every record comes back, and the audit trail names both jobs.
func TestCrmdWatchAndUndo(t *testing.T) {
	org := newCrmdOrg("Pendant", "")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := adminClient(org, nil)
	ids := insertLeads(t, c, "B", "Bulk", 230)
	insertLeads(t, c, "O", "Other", 1)
	cv := companyView(t, c, "Bulk")

	release := holdRunner(t)
	job, err := c.MassDeleteCVID(ctx, "Leads", cv, nil)
	if err != nil {
		t.Fatal(err)
	}
	var events []client.Job
	final, err := c.WatchJob(ctx, job, func(j client.Job) error {
		events = append(events, j)
		if len(events) == 1 {
			release() // the stream is open: now the job may run
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if final.ID != job || final.Status != client.JobCompleted || final.Total != 230 || final.Processed != 230 || final.Succeeded != 230 ||
		final.Progress != 100 || final.FinishedTime == nil {
		t.Errorf("final job %+v", final)
	}
	// The job as it was, then one event per batch of 50 with growing counts, then the end.
	if len(events) == 0 || events[0].Status != client.JobScheduled || events[0].Processed != 0 {
		t.Fatalf("first event %+v", events)
	}
	var processed []int
	for i, e := range events {
		if i > 0 && e.Processed < events[i-1].Processed {
			t.Errorf("event %d: processed %d after %d", i, e.Processed, events[i-1].Processed)
		}
		if i > 0 && e.Status == events[i-1].Status && e.Processed == events[i-1].Processed {
			t.Errorf("event %d repeats %s %d", i, e.Status, e.Processed)
		}
		if e.Status == client.JobRunning && e.StartedTime == nil {
			t.Errorf("running event %d without a started time", i)
		}
		if len(processed) == 0 || processed[len(processed)-1] != e.Processed {
			processed = append(processed, e.Processed)
		}
	}
	if want := []int{0, 50, 100, 150, 200, 230}; !slices.Equal(processed, want) {
		t.Errorf("processed %v, want %v", processed, want)
	}
	if last := events[len(events)-1]; last.Status != final.Status || last.Processed != final.Processed {
		t.Errorf("last event %+v, returned %+v", last, final)
	}

	// A finished job's stream is that one event.
	var again []client.Job
	j, err := c.WatchJob(ctx, job, func(j client.Job) error { again = append(again, j); return nil })
	if err != nil || len(again) != 1 || again[0].Status != client.JobCompleted || j.Processed != 230 {
		t.Errorf("watch of a finished job: %+v %+v %v", again, j, err)
	}
	// An unknown job is the usual *Error, before any event.
	called := false
	_, err = c.WatchJob(ctx, "1234567890123456789", func(client.Job) error { called = true; return nil })
	wantError(t, "watch of an unknown job", err, 404, "NOT_FOUND")
	if called {
		t.Error("fn called for an unknown job")
	}
	// fn's error ends the watch with it.
	stop := errors.New("enough")
	if j, err := c.WatchJob(ctx, job, func(client.Job) error { return stop }); err != stop || j == nil || j.ID != job {
		t.Errorf("fn's error: %+v %v", j, err)
	}

	// The audit trail has the job's 230 deletions, 200 a page.
	page, more, err := c.Audit(ctx, client.AuditQuery{JobID: job, PerPage: 200})
	if err != nil || len(page) != 200 || !more {
		t.Fatalf("audit of the job, page 1: %d %v %v", len(page), more, err)
	}
	for _, e := range page {
		if e.Action != client.AuditDeleted || e.Via != client.ViaJob || e.JobID != job || e.Module != "Leads" || e.Actor == nil || e.Actor.Name != "Ada Admin" {
			t.Fatalf("audit entry %+v", e)
		}
	}
	page, more, err = c.Audit(ctx, client.AuditQuery{JobID: job, PerPage: 200, Page: 2})
	if err != nil || len(page) != 30 || more {
		t.Errorf("audit of the job, page 2: %d %v %v", len(page), more, err)
	}

	// Undo: a job of its own, which restores all 230.
	u, err := c.UndoJob(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	if u.Kind != client.JobKindUndo || u.UndoOf != job || u.Module != "Leads" || u.Total != 230 || u.CVID != "" || u.CreatedBy == nil || u.CreatedBy.Name != "Ada Admin" {
		t.Errorf("undo job %+v", u)
	}
	e := wantError(t, "second undo", func() error { _, err := c.UndoJob(ctx, job); return err }(), 400, "NOT_ALLOWED")
	if e.Details["undone_by"] != u.ID {
		t.Errorf("second undo details %v", e.Details)
	}
	wantError(t, "undo of an undo", func() error { _, err := c.UndoJob(ctx, u.ID); return err }(), 400, "NOT_ALLOWED")
	fu, err := c.WatchJob(ctx, u.ID, nil)
	if err != nil || fu.Status != client.JobCompleted || fu.Succeeded != 230 || fu.Failed != 0 || fu.UndoOf != job {
		t.Fatalf("undo's end: %+v %v", fu, err)
	}
	if j, err := c.Job(ctx, job); err != nil || j.UndoneBy != u.ID {
		t.Errorf("undone job %+v %v", j, err)
	}
	// The records are back, with their names.
	if p, err := c.PreviewMassDeleteView(ctx, "Leads", cv, nil); err != nil || p.Total != 230 || p.Deletable != 230 {
		t.Errorf("the view after the undo: %+v %v", p, err)
	}
	for _, i := range []int{0, 229} {
		if r, err := c.GetRecord(ctx, "Leads", ids[i], "Last_Name"); err != nil || r.String("Last_Name") != fmt.Sprint("B", i) {
			t.Errorf("record %d after the undo: %v %v", i, r, err)
		}
	}
	if n, err := c.RecycleBinCount(ctx, "Leads"); err != nil || n != 0 {
		t.Errorf("recycle bin after the undo: %d %v", n, err)
	}
	restored, more, err := c.Audit(ctx, client.AuditQuery{JobID: u.ID, Action: client.AuditRestored, PerPage: 200, Page: 2})
	if err != nil || len(restored) != 30 || more || restored[0].Via != client.ViaJob {
		t.Errorf("the undo's audit, page 2: %d %v %v", len(restored), more, err)
	}
	// The lists know the pair.
	list, _, err := c.Jobs(ctx, client.JobsQuery{Kind: client.JobKindUndo})
	if err != nil || !slices.Equal(jobIDs(list), []string{u.ID}) {
		t.Errorf("undo jobs %v %v", jobIDs(list), err)
	}
}

// countingTransport counts the requests for events streams, and can cut the first one short after its
// first event, the way a network failure does.
type countingTransport struct {
	events   atomic.Int32
	cutFirst bool
	onOpen   func(n int32) // after the n-th events stream opened
}

func (ct *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || !strings.HasSuffix(r.URL.Path, "/events") {
		return resp, err
	}
	n := ct.events.Add(1)
	if n == 1 && ct.cutFirst && resp.StatusCode == 200 {
		resp.Body = &cutAfterEvent{rc: resp.Body}
	}
	if ct.onOpen != nil {
		ct.onOpen(n)
	}
	return resp, nil
}

// cutAfterEvent passes a stream on up to the end of its first event, then fails.
type cutAfterEvent struct {
	rc   io.ReadCloser
	seen []byte
	cut  bool
}

func (c *cutAfterEvent) Read(p []byte) (int, error) {
	if c.cut {
		return 0, io.ErrUnexpectedEOF
	}
	n, err := c.rc.Read(p)
	c.seen = append(c.seen, p[:n]...)
	if i := bytes.Index(c.seen, []byte("\n\n")); i >= 0 {
		keep := n - (len(c.seen) - (i + 2))
		c.cut = true
		return keep, nil
	}
	return n, err
}

func (c *cutAfterEvent) Close() error { return c.rc.Close() }

// TestCrmdWatchJobConnection: the stream outlives the HTTP client's Timeout on one connection; a stream
// cut short is reopened, and the event that repeats what fn saw is not passed on again; a ctx that
// ends stops the watch with the last job seen.
func TestCrmdWatchJobConnection(t *testing.T) {
	org := newCrmdOrg("Peterman", "")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := adminClient(org, nil)
	insertLeads(t, c, "A", "A", 120)
	insertLeads(t, c, "B", "B", 120)
	cvA, cvB := companyView(t, c, "A"), companyView(t, c, "B")

	// A client whose every request must end within 200 ms: the stream, held open for longer while the
	// job waits, is still one connection.
	ct := &countingTransport{}
	short := adminClient(org, &http.Client{Timeout: 200 * time.Millisecond, Transport: ct})
	release := holdRunner(t)
	job, err := c.MassDeleteCVID(ctx, "Leads", cvA, nil)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	final, err := short.WatchJob(ctx, job, func(j client.Job) error {
		n++
		if n == 1 {
			time.Sleep(600 * time.Millisecond)
			release()
		}
		return nil
	})
	if err != nil || final.Status != client.JobCompleted || final.Succeeded != 120 || n < 3 {
		t.Errorf("watch through a client with a timeout: %+v, %d events, %v", final, n, err)
	}
	if got := ct.events.Load(); got != 1 {
		t.Errorf("%d events requests, want 1", got)
	}

	// The first stream breaks after its first event; the runner is held until the second is open, so
	// that the second begins with the same SCHEDULED job.
	release = holdRunner(t)
	job, err = c.MassDeleteCVID(ctx, "Leads", cvB, nil)
	if err != nil {
		t.Fatal(err)
	}
	ct = &countingTransport{cutFirst: true, onOpen: func(n int32) {
		if n == 2 {
			release()
		}
	}}
	cut := adminClient(org, &http.Client{Transport: ct})
	var events []client.Job
	final, err = cut.WatchJob(ctx, job, func(j client.Job) error { events = append(events, j); return nil })
	if err != nil || final.Status != client.JobCompleted || final.Succeeded != 120 {
		t.Fatalf("watch across a reconnect: %+v %v", final, err)
	}
	if got := ct.events.Load(); got != 2 {
		t.Errorf("%d events requests, want 2", got)
	}
	scheduled := 0
	for i, e := range events {
		if e.Status == client.JobScheduled {
			scheduled++
		}
		if i > 0 && e.Processed < events[i-1].Processed {
			t.Errorf("events go back: %+v", events)
		}
	}
	if scheduled != 1 || events[0].Status != client.JobScheduled || events[len(events)-1].Status != client.JobCompleted {
		t.Errorf("events across the reconnect: %+v", events)
	}

	// A ctx that ends while the job waits: the last job seen, and ctx's error.
	holdRunner(t)
	insertLeads(t, c, "C", "C", 3)
	job, err = c.MassDeleteCVID(ctx, "Leads", companyView(t, c, "C"), nil)
	if err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer wcancel()
	last, err := c.WatchJob(wctx, job, nil)
	if !errors.Is(err, context.DeadlineExceeded) || last == nil || last.ID != job || last.Status != client.JobScheduled {
		t.Errorf("watch until ctx ends: %+v %v", last, err)
	}
}

// TestCrmdAudit reads the trail of deletions by ids and by record and of a restore, with filters and
// pages, as JSON and as CSV.
func TestCrmdAudit(t *testing.T) {
	org := newCrmdOrg("Bania", "")
	ctx := context.Background()
	c := adminClient(org, nil)
	me, err := c.CurrentUser(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-2 * time.Second)
	ids := insertLeads(t, c, "A", "Acme", 4)
	if res, err := c.MassDeleteIDs(ctx, "Leads", ids[:2]); err != nil || res.Err() != nil {
		t.Fatalf("mass delete: %v %v", res, err)
	}
	if res, err := c.DeleteRecords(ctx, "Leads", ids[2]); err != nil || res.Err() != nil {
		t.Fatalf("delete: %v %v", res, err)
	}
	if res, err := c.RestoreRecords(ctx, ids[0]); err != nil || res.Err() != nil {
		t.Fatalf("restore: %v %v", res, err)
	}
	end := time.Now().Add(2 * time.Second)

	all, more, err := c.Audit(ctx, client.AuditQuery{})
	if err != nil || more {
		t.Fatalf("audit: %v %v", more, err)
	}
	var rows []string
	for _, e := range all {
		rows = append(rows, fmt.Sprint(e.RecordID == ids[0], " ", e.DisplayName, " ", e.Action, " ", e.Via))
		if e.ID == "" || e.Module != "Leads" || e.Actor == nil || e.Actor.ID != me.ID || e.Actor.Name != "Ada Admin" || e.JobID != "" ||
			e.Time.Before(start) || e.Time.After(end) {
			t.Errorf("audit entry %+v", e)
		}
	}
	want := []string{"true A0 restored recycle_bin", "false A2 deleted record", "false A1 deleted ids", "true A0 deleted ids"}
	if !slices.Equal(rows, want) {
		t.Errorf("audit trail %q, want %q", rows, want)
	}

	for _, tc := range []struct {
		q    client.AuditQuery
		n    int
		more bool
	}{
		{client.AuditQuery{Action: client.AuditDeleted}, 3, false},
		{client.AuditQuery{Via: client.ViaIDs}, 2, false},
		{client.AuditQuery{RecordID: ids[0]}, 2, false},
		{client.AuditQuery{Actor: me.ID, Module: "Leads"}, 4, false},
		{client.AuditQuery{Module: "Contacts"}, 0, false},
		{client.AuditQuery{From: start, To: end}, 4, false},
		{client.AuditQuery{To: start}, 0, false},
		{client.AuditQuery{From: end}, 0, false},
		{client.AuditQuery{PerPage: 3}, 3, true},
		{client.AuditQuery{PerPage: 3, Page: 2}, 1, false},
	} {
		got, more, err := c.Audit(ctx, tc.q)
		if err != nil || len(got) != tc.n || more != tc.more {
			t.Errorf("audit %+v: %d %v %v, want %d %v", tc.q, len(got), more, err, tc.n, tc.more)
		}
	}
	_, _, err = c.Audit(ctx, client.AuditQuery{Action: "gone"})
	if e := wantError(t, "unknown action", err, 400, "INVALID_DATA"); e.Details["param_name"] != "action" {
		t.Errorf("details %v", e.Details)
	}
	// Someone else sees their own actions only: none. A token without the scopes is refused.
	rep := client.New(org.BaseURL, client.WithAccessToken(org.addUser("rep@bania.test", "Standard", fullScope)))
	if got, more, err := rep.Audit(ctx, client.AuditQuery{}); err != nil || len(got) != 0 || more {
		t.Errorf("standard user's trail: %v %v %v", got, more, err)
	}
	narrow := client.New(org.BaseURL, client.WithAccessToken(org.addUser("narrow@bania.test", "Standard", "ZohoCRM.modules.ALL")))
	_, _, err = narrow.Audit(ctx, client.AuditQuery{})
	wantError(t, "modules-only token", err, 401, "OAUTH_SCOPE_MISMATCH")

	// CSV: every match, the header first, the same entries as JSON.
	var buf bytes.Buffer
	if err := c.AuditCSV(ctx, client.AuditQuery{Action: client.AuditDeleted, PerPage: 1}, &buf); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || strings.Join(recs[0], ",") != "id,time,action,via,module,record_id,display_name,actor_id,actor_name,job_id" {
		t.Fatalf("csv %q", recs)
	}
	for i, e := range all[1:] {
		r := recs[i+1]
		tm, err := time.Parse(time.RFC3339, r[1])
		if err != nil || !tm.Equal(e.Time) || r[0] != e.ID || r[2] != e.Action || r[3] != e.Via || r[4] != "Leads" || r[5] != e.RecordID ||
			r[6] != e.DisplayName || r[7] != me.ID || r[8] != "Ada Admin" || r[9] != "" {
			t.Errorf("csv row %d %q, JSON %+v", i+1, r, e)
		}
	}
	buf.Reset()
	if err := c.AuditCSV(ctx, client.AuditQuery{To: start}, &buf); err != nil ||
		buf.String() != "id,time,action,via,module,record_id,display_name,actor_id,actor_name,job_id\n" {
		t.Errorf("empty csv %q %v", buf.String(), err)
	}
	buf.Reset()
	err = c.AuditCSV(ctx, client.AuditQuery{Module: "Nope"}, &buf)
	if e := wantError(t, "csv of an unknown module", err, 400, "INVALID_DATA"); e.Details["param_name"] != "module" || buf.Len() != 0 {
		t.Errorf("details %v, %d bytes written", e.Details, buf.Len())
	}
}

// TestCrmdAPIPaths, against a scripted server: crmd's API is under {apiDomain}/crmd/v1 whatever the
// Client's Zoho version; null keys decode to "" and nil, times keep their offset; a CSV export without
// its final newline is ErrTruncated.
func TestCrmdAPIPaths(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	ts := fakeZoho(t, map[string]http.HandlerFunc{
		"GET /crmd/v1/jobs/1": func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			paths = append(paths, r.URL.RequestURI()+" "+r.Header.Get("Accept"))
			mu.Unlock()
			answer(200, `{"job":{"id":"1","kind":"restore","module":null,"status":"RUNNING","total":2,"processed":1,"succeeded":1,
				"failed":0,"progress":50,"created_by":null,"created_time":"2024-05-13T13:32:33+05:30","started_time":"2024-05-13T13:32:34+05:30",
				"finished_time":null,"cvid":null,"territory":null,"error":null,"cancel_requested":true,"undo_of":null,"undone_by":null}}`)(w, r)
		},
		"GET /crmd/v1/audit": func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			paths = append(paths, r.URL.RequestURI()+" "+r.Header.Get("Accept"))
			mu.Unlock()
			w.Header().Set("Content-Type", "text/csv")
			io.WriteString(w, "id,time\n1,2024") // cut short: no final newline
		},
	})
	c := client.New(ts.URL, client.WithAccessToken("tok"), client.WithVersion("v2"))
	j, err := c.Job(context.Background(), "1")
	if err != nil {
		t.Fatal(err)
	}
	loc := time.FixedZone("", 5*3600+1800)
	if j.Module != "" || j.CreatedBy != nil || j.CVID != "" || j.FinishedTime != nil || j.StartedTime == nil ||
		!j.StartedTime.Equal(time.Date(2024, 5, 13, 13, 32, 34, 0, loc)) || !j.CreatedTime.Equal(time.Date(2024, 5, 13, 13, 32, 33, 0, loc)) ||
		!j.CancelRequested || j.Progress != 50 || j.Done() {
		t.Errorf("job %+v", j)
	}
	var buf bytes.Buffer
	from := time.Date(2024, 5, 13, 8, 2, 33, 0, time.UTC)
	err = c.AuditCSV(context.Background(), client.AuditQuery{From: from, Via: client.ViaJob}, &buf)
	if !errors.Is(err, client.ErrTruncated) || buf.String() != "id,time\n1,2024" {
		t.Errorf("truncated csv: %q %v", buf.String(), err)
	}
	want := []string{"/crmd/v1/jobs/1 application/json", "/crmd/v1/audit?format=csv&from=2024-05-13T08%3A02%3A33Z&via=job text/csv"}
	if !slices.Equal(paths, want) {
		t.Errorf("requests %q, want %q", paths, want)
	}
}
