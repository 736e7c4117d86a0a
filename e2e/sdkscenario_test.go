package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/crmd/crmd/client"
	"github.com/crmd/crmd/crmdtest"
)

// sdkScope is what the scenario's admin token may do.
const sdkScope = "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.users.ALL,ZohoCRM.org.ALL,ZohoCRM.mass_delete.ALL"

// wantResult checks one per-item result: its status, code, message and whole details object (JSON),
// and the HTTP status of the answer that carried it.
func wantResult(t *testing.T, what string, r client.Result, httpStatus int, code, message, details string) {
	t.Helper()
	ok := code == "SUCCESS"
	if r.HTTPStatus != httpStatus || r.Code != code || r.Message != message || r.OK() != ok {
		t.Errorf("%s: HTTP %d %s %q %s, want HTTP %d %s %q", what, r.HTTPStatus, r.Code, r.Message, r.Status, httpStatus, code, message)
	}
	crmdtest.JSONEq(t, what+" details", r.Details, details)
}

// wantError checks that err is a Zoho error object with exactly this status, code, message and
// details.
func wantError(t *testing.T, what string, err error, httpStatus int, code, message, details string) {
	t.Helper()
	var e *client.Error
	if !errors.As(err, &e) {
		t.Errorf("%s: got %v, want a *client.Error %s", what, err, code)
		return
	}
	if e.HTTPStatus != httpStatus || e.Code != code || e.Message != message || e.Status != "error" {
		t.Errorf("%s: HTTP %d %s %q %q, want HTTP %d %s %q", what, e.HTTPStatus, e.Code, e.Message, e.Status, httpStatus, code, message)
	}
	crmdtest.JSONEq(t, what+" details", e.Details, details)
}

// waitJob waits for a mass delete job through client.Wait and checks every status it read: RUNNING
// until COMPLETED, a fixed Total_Count, counters that only grow and never pass the total, and at the
// end Total_Count = Deleted_Count + Failed_Count = want, nothing failed.
func waitJob(t *testing.T, c *client.Client, module, job string, want int) *client.JobStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var seen []client.JobStatus
	st, err := c.Wait(ctx, module, job, &client.WaitOptions{MinInterval: 20 * time.Millisecond, MaxInterval: 200 * time.Millisecond,
		OnPoll: func(s *client.JobStatus) { seen = append(seen, *s) }})
	if err != nil {
		t.Fatalf("wait for job %s: %v (polls %+v)", job, err, seen)
	}
	prev := client.JobStatus{}
	for i, s := range seen {
		if (s.Status != client.JobRunning && s.Status != client.JobCompleted) || (s.Status == client.JobCompleted && i != len(seen)-1) ||
			s.TotalCount != want || s.DeletedCount < prev.DeletedCount || s.FailedCount < prev.FailedCount ||
			s.DeletedCount+s.FailedCount > s.TotalCount {
			t.Fatalf("job %s: inconsistent polls %+v", job, seen)
		}
		prev = s
	}
	if st.Status != client.JobCompleted || st.TotalCount != want || st.DeletedCount != want || st.FailedCount != 0 {
		t.Fatalf("job %s ended %+v, want COMPLETED with %d deleted", job, st, want)
	}
	return st
}

// liveLeads lists the ids of the live Leads, sorted.
func liveLeads(t *testing.T, c *client.Client) []string {
	t.Helper()
	var ids []string
	for page := 1; ; page++ {
		p, err := c.ListRecords(context.Background(), "Leads", client.ListOptions{Fields: []string{"Last_Name"}, Page: page, PerPage: 200})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Records {
			ids = append(ids, r.ID())
		}
		if !p.Info.MoreRecords {
			break
		}
	}
	sort.Strings(ids)
	return ids
}

// TestSDKScenario is the SDK conformance scenario over plain HTTP, through the Go client, against the
// real binary: a fresh server, an org, a client and tokens made with the CLI; the refresh-token flow
// and the user and org lookups; field metadata; Leads and a custom module's records; mass delete by ids
// (all deleted, mixed, none) and by custom view with and without a territory, polled to COMPLETED;
// ALREADY_SCHEDULED while a job runs; custom views, territories, deleted records and the recycle bin;
// and the error objects for a bad token, a missing scope and a missing profile permission.
func TestSDKScenario(t *testing.T) {
	// Small, slow batches keep a job of 20 records running for at least 600 ms, so the second job is
	// refused deterministically.
	h := startServer(t, "--no-bootstrap", "--job-batch-size", "5", "--job-batch-delay", "200ms")
	ctx := context.Background()

	// The org, its OAuth client and tokens, made with the CLI.
	org := h.CLIJSON("init", "--org-name", "Scenario", "--admin-email", "admin@scenario.test")
	orgID, clientID, secret := org["org_id"].(string), org["client_id"].(string), org["client_secret"].(string)
	tok := h.CLIJSON("token", "--org", orgID, "--email", "admin@scenario.test", "--scope", sdkScope)
	if tok["api_domain"] != h.BaseURL || tok["expires_in"] != 3600.0 || tok["token_type"] != "Bearer" || tok["refresh_token"] == "" {
		t.Fatalf("crmd token: %v", tok)
	}

	// The refresh-token flow: a multipart POST to /oauth/v2/token. The API domain given to New is a
	// dead address: every call below works only because the client honours the token's api_domain.
	src := &client.RefreshTokenSource{Config: client.OAuthConfig{AccountsURL: h.BaseURL, ClientID: clientID, ClientSecret: secret,
		RefreshToken: tok["refresh_token"].(string)}}
	c := client.New("http://127.0.0.1:1", client.WithTokenSource(src))
	fresh, err := src.Token(ctx)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if fresh.AccessToken == tok["access_token"] || fresh.APIDomain != h.BaseURL || time.Until(fresh.Expiry) < 59*time.Minute || time.Until(fresh.Expiry) > time.Hour {
		t.Fatalf("refreshed token %+v", fresh)
	}
	me, err := c.CurrentUser(ctx)
	if err != nil || me.Email != "admin@scenario.test" || me.Profile == nil || me.Profile.Name != "Administrator" {
		t.Fatalf("current user: %+v %v", me, err)
	}
	o, err := c.Org(ctx)
	if err != nil || o.ID != orgID || o.CompanyName != "Scenario" || o.ZGID == "" {
		t.Fatalf("org: %+v %v", o, err)
	}
	if again, _ := src.Token(ctx); again.AccessToken != fresh.AccessToken {
		t.Fatal("the access token was not reused")
	}

	// Field metadata, of a standard and a custom module.
	h.CLIJSON("module", "add", "--org", orgID, "--api-name", "Projects", "--singular", "Project", "--plural", "Projects", "--field", "Budget:currency")
	fieldsOf := func(module string) map[string]client.Field {
		fs, err := c.Fields(ctx, module)
		if err != nil {
			t.Fatalf("fields of %s: %v", module, err)
		}
		m := map[string]client.Field{}
		for _, f := range fs {
			m[f.APIName] = f
		}
		return m
	}
	leadFields := fieldsOf("Leads")
	if f := leadFields["Last_Name"]; f.DataType != "text" || !f.SystemMandatory || f.CustomField || f.ID == "" {
		t.Errorf("Leads.Last_Name %+v", f)
	}
	if f := leadFields["Lead_Source"]; f.DataType != "picklist" || f.Raw["pick_list_values"] == nil {
		t.Errorf("Leads.Lead_Source %+v", f)
	}
	projectFields := fieldsOf("Projects")
	if f := projectFields["Name"]; f.DataType != "text" || !f.SystemMandatory {
		t.Errorf("Projects.Name %+v", f)
	}
	if f := projectFields["Budget"]; f.DataType != "currency" || !f.CustomField {
		t.Errorf("Projects.Budget %+v", f)
	}

	// Records: 40 Leads, half of them cold calls, and 10 partner Leads for the ids calls.
	var leads []client.Record
	for i := range 40 {
		source := "Web Download"
		if i%2 == 0 {
			source = "Cold Call"
		}
		leads = append(leads, client.Record{"Last_Name": fmt.Sprintf("Lead %02d", i), "Company": "Co", "Lead_Source": source})
	}
	for i := range 10 {
		leads = append(leads, client.Record{"Last_Name": fmt.Sprintf("Partner %02d", i), "Lead_Source": "Partner"})
	}
	var ids []string
	for i := 0; i < len(leads); i += 25 {
		res, err := c.InsertRecords(ctx, "Leads", leads[i:i+25]...)
		if err != nil || res.Err() != nil || len(res) != 25 {
			t.Fatalf("insert: %v %v", res, err)
		}
		for _, r := range res {
			if r.HTTPStatus != http.StatusCreated || r.Code != "SUCCESS" || r.Message != "record added" || r.Details["Created_Time"] == nil {
				t.Fatalf("insert result %+v", r)
			}
		}
		ids = append(ids, res.IDs()...)
	}
	lead, err := c.GetRecord(ctx, "Leads", ids[3], "Last_Name", "Lead_Source")
	if err != nil || lead.ID() != ids[3] || lead.String("Last_Name") != "Lead 03" || lead.String("Lead_Source") != "Web Download" {
		t.Fatalf("get lead: %v %v", lead, err)
	}
	page, err := c.ListRecords(ctx, "Leads", client.ListOptions{Fields: []string{"Last_Name"}, PerPage: 20, Page: 2})
	if err != nil || len(page.Records) != 20 || page.Info.Page != 2 || page.Info.PerPage != 20 || page.Info.Count != 20 || !page.Info.MoreRecords {
		t.Fatalf("list page 2: %+v %v", page, err)
	}
	if _, err := c.UpdateRecord(ctx, "Leads", ids[3], client.Record{"Company": "Renamed"}); err != nil {
		t.Fatalf("update: %v", err)
	}
	if l, _ := c.GetRecord(ctx, "Leads", ids[3], "Company"); l.String("Company") != "Renamed" {
		t.Fatalf("after update: %v", l)
	}
	pres, err := c.InsertRecords(ctx, "Projects", client.Record{"Name": "Apollo", "Budget": 1250.5}, client.Record{"Name": "Gemini", "Budget": 99})
	if err != nil || pres.Err() != nil {
		t.Fatalf("insert projects: %v %v", pres, err)
	}
	project, err := c.GetRecord(ctx, "Projects", pres[0].ID())
	if err != nil || project.String("Name") != "Apollo" || project["Budget"] != json.Number("1250.5") {
		t.Fatalf("get project: %v %v", project, err)
	}

	// Mass delete by ids: all deleted (200), mixed (207), none (400) — in Leads and in the custom module.
	partners := ids[40:]
	unknown := "1234567890123456789"
	res, err := c.MassDeleteIDs(ctx, "Leads", partners[0:2])
	if err != nil || len(res) != 2 {
		t.Fatalf("ids all ok: %v %v", res, err)
	}
	for i, r := range res {
		wantResult(t, "all ok", r, 200, "SUCCESS", "record is deleted", fmt.Sprintf(`{"id":%q}`, partners[i]))
	}
	res, err = c.MassDeleteIDs(ctx, "Leads", []string{partners[2], partners[0], unknown, partners[2]})
	if err != nil || len(res) != 3 {
		t.Fatalf("ids mixed: %v %v", res, err)
	}
	wantResult(t, "mixed live", res[0], 207, "SUCCESS", "record is deleted", fmt.Sprintf(`{"id":%q}`, partners[2]))
	wantResult(t, "mixed deleted", res[1], 207, "INVALID_DATA", "the id given seems to be invalid", fmt.Sprintf(`{"id":%q}`, partners[0]))
	wantResult(t, "mixed unknown", res[2], 207, "INVALID_DATA", "the id given seems to be invalid", fmt.Sprintf(`{"id":%q}`, unknown))
	res, err = c.MassDeleteIDs(ctx, "Leads", []string{unknown, partners[1], pres[0].ID()})
	if err != nil || len(res) != 3 || res.Err() == nil {
		t.Fatalf("ids none: %v %v", res, err)
	}
	for i, id := range []string{unknown, partners[1], pres[0].ID()} {
		wantResult(t, "none", res[i], 400, "INVALID_DATA", "the id given seems to be invalid", fmt.Sprintf(`{"id":%q}`, id))
	}
	res, err = c.MassDeleteIDs(ctx, "Projects", []string{pres[1].ID()})
	if err != nil || len(res) != 1 {
		t.Fatalf("ids of Projects: %v %v", res, err)
	}
	wantResult(t, "project", res[0], 200, "SUCCESS", "record is deleted", fmt.Sprintf(`{"id":%q}`, pres[1].ID()))

	// Views and territories to select by.
	cold, err := c.CreateCustomView(ctx, "Leads", client.NewCustomView{Name: "Cold calls", Fields: []string{"Last_Name", "Lead_Source"},
		Criteria: client.Criterion{Field: "Lead_Source", Comparator: "equal", Value: "Cold Call"}})
	if err != nil {
		t.Fatalf("create view: %v", err)
	}
	web, err := c.CreateCustomView(ctx, "Leads", client.NewCustomView{Name: "Web downloads",
		Criteria: client.Group{Operator: "AND", Group: []any{
			client.Criterion{Field: "Lead_Source", Comparator: "equal", Value: "Web Download"},
			client.Criterion{Field: "Last_Name", Comparator: "starts_with", Value: "Lead"},
		}}})
	if err != nil {
		t.Fatalf("create view: %v", err)
	}
	_, err = c.CreateCustomView(ctx, "Leads", client.NewCustomView{Name: "cold calls"})
	wantError(t, "duplicate view", err, 400, "DUPLICATE_DATA", "duplicate data", `{"api_name":"name","json_path":"$.custom_views[0].name"}`)
	terrs, err := c.Territories(ctx)
	if err != nil || len(terrs) != 1 || terrs[0].ReportingTo != nil || terrs[0].Name != "Scenario" {
		t.Fatalf("territories: %+v %v", terrs, err)
	}
	root := terrs[0].ID
	west, err := c.CreateTerritory(ctx, client.NewTerritory{Name: "West", ReportingTo: root, Description: "Western states"})
	if err != nil {
		t.Fatalf("create West: %v", err)
	}
	bay, err := c.CreateTerritory(ctx, client.NewTerritory{Name: "Bay Area", ReportingTo: west})
	if err != nil {
		t.Fatalf("create Bay Area: %v", err)
	}
	var as []client.TerritoryAssignment
	for i := range 20 {
		terr := west
		if i >= 10 {
			terr = bay
		}
		as = append(as, client.TerritoryAssignment{RecordID: ids[i], TerritoryIDs: []string{terr}})
	}
	for i := 0; i < len(as); i += 10 {
		res, err := c.AssignTerritories(ctx, "Leads", as[i:i+10]...)
		if err != nil || len(res) != 10 {
			t.Fatalf("assign: %v %v", res, err)
		}
		for j, r := range res {
			wantResult(t, "assign", r, 200, "SUCCESS", "the territories data updated successfully", fmt.Sprintf(`{"id":%q}`, ids[i+j]))
		}
	}

	// A job runs; a second one is refused with ALREADY_SCHEDULED, while ids calls go on.
	job, err := c.MassDeleteCVID(ctx, "Leads", web, nil)
	if err != nil {
		t.Fatalf("schedule web: %v", err)
	}
	_, err = c.MassDeleteCVID(ctx, "Leads", cold, nil)
	wantError(t, "second job", err, 400, "ALREADY_SCHEDULED", "Already a Mass Action scheduler is running for the given cvid", `{"api_name":"cvid"}`)
	if st, err := c.MassDeleteStatus(ctx, "Leads", job); err != nil || st.Status != client.JobRunning || st.TotalCount != 20 {
		t.Fatalf("status while running: %+v %v", st, err)
	}
	res, err = c.MassDeleteIDs(ctx, "Leads", partners[3:4])
	if err != nil || len(res) != 1 {
		t.Fatalf("ids during a job: %v %v", res, err)
	}
	wantResult(t, "ids during a job", res[0], 200, "SUCCESS", "record is deleted", fmt.Sprintf(`{"id":%q}`, partners[3]))
	waitJob(t, c, "Leads", job, 20)

	// By view within West only, then West's subtree, then everywhere.
	deleted := map[string]bool{}
	for _, id := range partners[0:4] {
		deleted[id] = true
	}
	for i := 1; i < 40; i += 2 {
		deleted[ids[i]] = true
	}
	for _, step := range []struct {
		what      string
		territory *client.MassDeleteTerritory
		from, to  int // the cold leads in ids[from:to] go
	}{
		{"West alone", &client.MassDeleteTerritory{ID: west}, 0, 10},
		{"West and its children", &client.MassDeleteTerritory{ID: west, IncludeChild: true}, 10, 20},
		{"no territory", nil, 20, 40},
	} {
		job, err := c.MassDeleteCVID(ctx, "Leads", cold, step.territory)
		if err != nil {
			t.Fatalf("%s: %v", step.what, err)
		}
		waitJob(t, c, "Leads", job, (step.to-step.from)/2)
		for i := step.from; i < step.to; i += 2 {
			deleted[ids[i]] = true
		}
		var want []string
		for _, id := range ids {
			if !deleted[id] {
				want = append(want, id)
			}
		}
		sort.Strings(want)
		if got := liveLeads(t, c); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: %d live leads, want %d", step.what, len(got), len(want))
		}
	}
	_, err = c.MassDeleteCVID(ctx, "Leads", cold, nil)
	wantError(t, "empty view", err, 400, "NO_RECORDS_FOUND", "no record found to update", `{}`)
	_, err = c.MassDeleteStatus(ctx, "Leads", unknown)
	wantError(t, "unknown job", err, 400, "INVALID_DATA", "The jobid given seems to be invalid", `{"param_name":"job_id"}`)

	// Custom views and territories read back.
	views, err := c.CustomViews(ctx, "Leads")
	if err != nil {
		t.Fatalf("views: %v", err)
	}
	byName := map[string]client.CustomView{}
	for _, v := range views {
		byName[v.Name] = v
	}
	if v := byName["All Leads"]; v.SystemName != "ALLVIEWS" || !v.SystemDefined || !v.Default || v.Category != "public_views" {
		t.Errorf("All Leads: %+v", v)
	}
	if v := byName["Cold calls"]; v.ID != cold || v.SystemDefined || v.Category != "created_by_me" || v.AccessType != "only_to_me" || v.Module == nil || v.Module.APIName != "Leads" {
		t.Errorf("Cold calls in the list: %+v", v)
	}
	cv, err := c.CustomView(ctx, "Leads", cold)
	if err != nil || cv.Name != "Cold calls" || len(cv.Fields) != 2 || cv.Fields[0].APIName != "Last_Name" || cv.Fields[1].APIName != "Lead_Source" {
		t.Fatalf("view: %+v %v", cv, err)
	}
	if f, _ := cv.Criteria["field"].(map[string]any); f["api_name"] != "Lead_Source" || cv.Criteria["comparator"] != "equal" || cv.Criteria["value"] != "Cold Call" {
		t.Errorf("view criteria %v", cv.Criteria)
	}
	// The same reads under v2, whose shapes differ (a view's fields and criteria name fields by plain
	// api name; an unknown job is 404 NOT_FOUND).
	v2 := client.New(h.BaseURL, client.WithTokenSource(src), client.WithVersion("v2"))
	cv2, err := v2.CustomView(ctx, "Leads", cold)
	if err != nil || len(cv2.Fields) != 2 || cv2.Fields[0].APIName != "Last_Name" || cv2.Criteria["field"] != "Lead_Source" || cv2.Criteria["comparator"] != "equal" {
		t.Fatalf("v2 view: %+v %v", cv2, err)
	}
	if st, err := v2.MassDeleteStatus(ctx, "Leads", job); err != nil || st.Status != client.JobCompleted || st.TotalCount != 20 || st.DeletedCount != 20 {
		t.Fatalf("v2 status: %+v %v", st, err)
	}
	_, err = v2.MassDeleteStatus(ctx, "Leads", unknown)
	wantError(t, "v2 unknown job", err, 404, "NOT_FOUND", "Empty response", `{}`)
	wt, err := c.Territory(ctx, west)
	if err != nil || wt.Name != "West" || wt.Description != "Western states" || wt.PermissionType != "read_write_delete" || wt.ReportingTo == nil || wt.ReportingTo.ID != root {
		t.Fatalf("West: %+v %v", wt, err)
	}
	kids, err := c.ChildTerritories(ctx, west)
	if err != nil || len(kids) != 1 || kids[0].ID != bay || kids[0].ReportingTo.ID != west {
		t.Fatalf("West's children: %+v %v", kids, err)
	}
	if terrs, err := c.Territories(ctx); err != nil || len(terrs) != 3 {
		t.Fatalf("territories: %+v %v", terrs, err)
	}

	// Deleted records and the recycle bin: 44 Leads and one Project.
	del, err := c.DeletedRecords(ctx, "Leads", client.DeletedOptions{Type: "recycle"})
	if err != nil || len(del.Records) != len(deleted) || del.Info.MoreRecords {
		t.Fatalf("deleted Leads: %d %v, want %d", len(del.Records), err, len(deleted))
	}
	for _, d := range del.Records {
		if !deleted[d.ID] || d.Type != "recycle" || d.DeletedBy == nil || d.DeletedBy.ID != me.ID || d.DisplayName == "" || d.DeletedTime == "" {
			t.Fatalf("deleted record %+v", d)
		}
	}
	if n, err := c.RecycleBinCount(ctx, "Leads"); err != nil || n != len(deleted) {
		t.Fatalf("bin count: %d %v", n, err)
	}
	if n, err := c.RecycleBinCount(ctx, ""); err != nil || n != len(deleted)+1 {
		t.Fatalf("bin count, all modules: %d %v", n, err)
	}
	bin, err := c.RecycleBin(ctx, client.BinOptions{PerPage: 200})
	if err != nil || len(bin.Items) != len(deleted)+1 || bin.Info.Count != len(deleted)+1 {
		t.Fatalf("bin: %d items %v", len(bin.Items), err)
	}
	for _, it := range bin.Items {
		if it.Module.APIName == "Projects" && (it.ID != pres[1].ID() || it.DisplayName != "Gemini") {
			t.Errorf("project in the bin: %+v", it)
		}
	}
	restored := ids[1]
	res, err = c.RestoreRecords(ctx, restored, unknown)
	if err != nil || len(res) != 2 {
		t.Fatalf("restore: %v %v", res, err)
	}
	wantResult(t, "restore", res[0], 207, "SUCCESS", "record restored successfully", fmt.Sprintf(`{"id":%q}`, restored))
	if res[1].OK() || res[1].Code != "INVALID_DATA" {
		t.Errorf("restore of an unknown id: %+v", res[1])
	}
	if l, err := c.GetRecord(ctx, "Leads", restored, "Last_Name", "Territories"); err != nil || l.String("Last_Name") != "Lead 01" {
		t.Fatalf("restored lead: %v %v", l, err)
	}
	purged := ids[0]
	res, err = c.DeletePermanently(ctx, purged)
	if err != nil || len(res) != 1 {
		t.Fatalf("permanent delete: %v %v", res, err)
	}
	wantResult(t, "permanent delete", res[0], 200, "SUCCESS", "record deleted permanently", fmt.Sprintf(`{"id":%q}`, purged))
	perm, err := c.DeletedRecords(ctx, "Leads", client.DeletedOptions{Type: "permanent"})
	if err != nil || len(perm.Records) != 1 || perm.Records[0].ID != purged || perm.Records[0].DisplayName != "" || perm.Records[0].DeletedBy != nil || perm.Records[0].Type != "permanent" {
		t.Fatalf("permanently deleted: %+v %v", perm, err)
	}
	all, err := c.DeletedRecords(ctx, "Leads", client.DeletedOptions{Type: "all"})
	if err != nil || len(all.Records) != len(deleted)-1 {
		t.Fatalf("deleted, all: %d %v, want %d", len(all.Records), err, len(deleted)-1)
	}
	_, err = c.DeletedRecords(ctx, "Leads", client.DeletedOptions{Type: "bogus"})
	wantError(t, "deleted type", err, 400, "PATTERN_NOT_MATCHED", "Please check whether the input values are correct", `{"param_name":"type"}`)

	// The error objects: a bad token, a missing scope, a missing profile permission.
	bad := client.New(h.BaseURL, client.WithAccessToken("1000.0123456789abcdef.0123456789abcdef"))
	_, err = bad.ListRecords(ctx, "Leads", client.ListOptions{Fields: []string{"Last_Name"}})
	wantError(t, "bad token", err, 401, "INVALID_TOKEN", "invalid oauth token", `{}`)
	_, err = bad.MassDeleteIDs(ctx, "Leads", []string{partners[5]})
	wantError(t, "bad token, mass delete", err, 401, "INVALID_TOKEN", "invalid oauth token", `{}`)

	modulesOnly := h.CLIJSON("token", "--org", orgID, "--email", "admin@scenario.test", "--scope", "ZohoCRM.modules.ALL")
	narrow := client.New(h.BaseURL, client.WithAccessToken(modulesOnly["access_token"].(string)))
	_, err = narrow.MassDeleteIDs(ctx, "Leads", []string{partners[5]})
	wantError(t, "no mass_delete scope", err, 401, "OAUTH_SCOPE_MISMATCH", "invalid oauth scope to access this URL", `{}`)
	_, err = narrow.MassDeleteStatus(ctx, "Leads", job)
	wantError(t, "no mass_delete scope, status", err, 401, "OAUTH_SCOPE_MISMATCH", "invalid oauth scope to access this URL", `{}`)
	_, err = narrow.CustomViews(ctx, "Leads")
	wantError(t, "no custom_views scope", err, 401, "OAUTH_SCOPE_MISMATCH", "invalid oauth scope to access this URL", `{}`)
	if _, err := narrow.GetRecord(ctx, "Leads", partners[5]); err != nil {
		t.Errorf("records with ZohoCRM.modules.ALL: %v", err)
	}

	h.CLIJSON("user", "add", "--org", orgID, "--email", "rep@scenario.test", "--profile", "Standard")
	repTok := h.CLIJSON("token", "--org", orgID, "--email", "rep@scenario.test", "--scope", sdkScope)
	rep := client.New(h.BaseURL, client.WithAccessToken(repTok["access_token"].(string)))
	if u, err := rep.CurrentUser(ctx); err != nil || u.Profile.Name != "Standard" {
		t.Fatalf("rep: %+v %v", u, err)
	}
	_, err = rep.MassDeleteIDs(ctx, "Leads", []string{partners[5]})
	wantError(t, "Standard profile, ids", err, 403, "NO_PERMISSION", "permission denied", `{"permissions":["Crm_Implied_Mass_Delete_Leads"]}`)
	_, err = rep.MassDeleteCVID(ctx, "Leads", web, nil)
	wantError(t, "Standard profile, cvid", err, 403, "NO_PERMISSION", "permission denied", `{"permissions":["Crm_Implied_Mass_Delete_Leads"]}`)
	if st, err := rep.MassDeleteStatus(ctx, "Leads", job); err != nil || st.Status != client.JobCompleted {
		t.Errorf("Standard profile, status: %+v %v", st, err)
	}
	if _, err := c.GetRecord(ctx, "Leads", partners[5]); err != nil {
		t.Errorf("the refused calls deleted a lead: %v", err)
	}

	// A refresh token that was never issued is the accounts server's invalid_code.
	revoked := client.New(h.BaseURL, client.WithRefreshToken(client.OAuthConfig{AccountsURL: h.BaseURL, ClientID: clientID,
		ClientSecret: secret, RefreshToken: "1000.0123456789abcdef.0123456789abcdef"}))
	_, err = revoked.Org(ctx)
	var oe *client.OAuthError
	if !errors.As(err, &oe) || oe.Code != "invalid_code" || oe.HTTPStatus != 200 {
		t.Errorf("unknown refresh token: %v", err)
	}
}
