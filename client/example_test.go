package client_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/crmd/crmd/client"
)

// A client on a refresh token: the first call gets an access token from {accounts}/oauth/v2/token and
// later calls reuse it until shortly before it expires. Against Zoho, the API domain and the accounts
// URL are https://www.zohoapis.com and https://accounts.zoho.com (or another data centre's); here both
// are an in-process crmd.
func Example() {
	org := newCrmdOrg("Acme", "")
	ctx := context.Background()

	c := client.New(org.BaseURL, client.WithRefreshToken(client.OAuthConfig{
		AccountsURL:  org.BaseURL,
		ClientID:     org.ClientID,
		ClientSecret: org.ClientSecret,
		RefreshToken: org.RefreshToken,
	}))

	me, err := c.CurrentUser(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println("user:", me.Email, me.Profile.Name)

	res, err := c.InsertRecords(ctx, "Leads",
		client.Record{"Last_Name": "Lovelace", "Company": "Analytical Engines"},
		client.Record{"Last_Name": "Hopper", "Company": "Navy"},
	)
	if err != nil {
		panic(err)
	}
	for _, r := range res {
		fmt.Println(r.Code, r.Message)
	}
	lead, err := c.GetRecord(ctx, "Leads", res[0].ID(), "Last_Name", "Company")
	if err != nil {
		panic(err)
	}
	fmt.Println(lead.String("Last_Name"), "of", lead.String("Company"))
	// Output:
	// user: admin@acme.test Administrator
	// SUCCESS record added
	// SUCCESS record added
	// Lovelace of Analytical Engines
}

// Mass delete by ids answers one result per distinct id, in order; ids that cannot be deleted get their
// own error and do not stop the others.
func ExampleClient_MassDeleteIDs() {
	org := newCrmdOrg("Globex", "")
	ctx := context.Background()
	c := client.New(org.BaseURL, client.WithRefreshToken(client.OAuthConfig{AccountsURL: org.BaseURL,
		ClientID: org.ClientID, ClientSecret: org.ClientSecret, RefreshToken: org.RefreshToken}))

	ins, err := c.InsertRecords(ctx, "Leads", client.Record{"Last_Name": "One"}, client.Record{"Last_Name": "Two"})
	if err != nil {
		panic(err)
	}
	res, err := c.MassDeleteIDs(ctx, "Leads", []string{ins[0].ID(), ins[1].ID(), "1234567890123456789"})
	if err != nil {
		panic(err)
	}
	fmt.Println("HTTP", res[0].HTTPStatus)
	for _, r := range res {
		fmt.Println(r.Status, r.Code, r.Message, r.ID() != "")
	}
	var zerr *client.Error
	if errors.As(res.Err(), &zerr) {
		fmt.Println("first failure:", zerr.Code, zerr.Details["id"])
	}
	// Output:
	// HTTP 207
	// success SUCCESS record is deleted true
	// success SUCCESS record is deleted true
	// error INVALID_DATA the id given seems to be invalid true
	// first failure: INVALID_DATA 1234567890123456789
}

// Mass delete by custom view runs as a background job; Wait polls its status with exponential backoff
// until it is COMPLETED.
func ExampleClient_Wait() {
	org := newCrmdOrg("Initech", "")
	ctx := context.Background()
	c := client.New(org.BaseURL, client.WithRefreshToken(client.OAuthConfig{AccountsURL: org.BaseURL,
		ClientID: org.ClientID, ClientSecret: org.ClientSecret, RefreshToken: org.RefreshToken}))

	var leads []client.Record
	for i := range 120 {
		source := "Web Download"
		if i%3 == 0 {
			source = "Cold Call"
		}
		leads = append(leads, client.Record{"Last_Name": fmt.Sprint("Lead ", i), "Lead_Source": source})
	}
	for i := 0; i < len(leads); i += 100 {
		if _, err := c.InsertRecords(ctx, "Leads", leads[i:min(i+100, len(leads))]...); err != nil {
			panic(err)
		}
	}
	cvid, err := c.CreateCustomView(ctx, "Leads", client.NewCustomView{
		Name:     "Cold calls",
		Criteria: client.Criterion{Field: "Lead_Source", Comparator: "equal", Value: "Cold Call"},
	})
	if err != nil {
		panic(err)
	}
	job, err := c.MassDeleteCVID(ctx, "Leads", cvid, nil)
	if err != nil {
		panic(err)
	}
	st, err := c.Wait(ctx, "Leads", job, &client.WaitOptions{MinInterval: 20 * time.Millisecond, MaxInterval: time.Second})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s: %d of %d deleted, %d failed\n", st.Status, st.DeletedCount, st.TotalCount, st.FailedCount)

	// The view selects nothing any more.
	_, err = c.MassDeleteCVID(ctx, "Leads", cvid, nil)
	fmt.Println(client.ErrorCode(err))
	// Output:
	// COMPLETED: 40 of 40 deleted, 0 failed
	// NO_RECORDS_FOUND
}

// Deleted records wait in the recycle bin, from which they can be restored or deleted for good.
func ExampleClient_RestoreRecords() {
	org := newCrmdOrg("Umbrella", "")
	ctx := context.Background()
	c := client.New(org.BaseURL, client.WithRefreshToken(client.OAuthConfig{AccountsURL: org.BaseURL,
		ClientID: org.ClientID, ClientSecret: org.ClientSecret, RefreshToken: org.RefreshToken}))

	ins, err := c.InsertRecords(ctx, "Leads", client.Record{"Last_Name": "Keep"}, client.Record{"Last_Name": "Purge"})
	if err != nil {
		panic(err)
	}
	keep, purge := ins[0].ID(), ins[1].ID()
	if _, err := c.DeleteRecords(ctx, "Leads", keep, purge); err != nil {
		panic(err)
	}
	bin, err := c.RecycleBin(ctx, client.BinOptions{SortBy: "display_name", SortOrder: "asc"})
	if err != nil {
		panic(err)
	}
	for _, it := range bin.Items {
		fmt.Println("in the bin:", it.DisplayName, it.Module.APIName)
	}
	res, err := c.RestoreRecords(ctx, keep)
	if err != nil {
		panic(err)
	}
	fmt.Println(res[0].Code, res[0].Message)
	res, err = c.DeletePermanently(ctx, purge)
	if err != nil {
		panic(err)
	}
	fmt.Println(res[0].Code, res[0].Message)
	lead, err := c.GetRecord(ctx, "Leads", keep)
	if err != nil {
		panic(err)
	}
	fmt.Println("back:", lead.String("Last_Name"))
	gone, err := c.DeletedRecords(ctx, "Leads", client.DeletedOptions{Type: "permanent"})
	if err != nil {
		panic(err)
	}
	fmt.Println("permanently deleted:", len(gone.Records), gone.Records[0].ID == purge)
	// Output:
	// in the bin: Keep Leads
	// in the bin: Purge Leads
	// SUCCESS record restored successfully
	// SUCCESS record deleted permanently
	// back: Keep
	// permanently deleted: 1 true
}

// A territory limits a mass delete by custom view to the records of a branch of the territory tree.
func ExampleClient_MassDeleteCVID_territory() {
	org := newCrmdOrg("Hooli", "")
	ctx := context.Background()
	c := client.New(org.BaseURL, client.WithRefreshToken(client.OAuthConfig{AccountsURL: org.BaseURL,
		ClientID: org.ClientID, ClientSecret: org.ClientSecret, RefreshToken: org.RefreshToken}))

	ts, err := c.Territories(ctx)
	if err != nil {
		panic(err)
	}
	root := ts[0].ID
	west, err := c.CreateTerritory(ctx, client.NewTerritory{Name: "West", ReportingTo: root})
	if err != nil {
		panic(err)
	}
	bay, err := c.CreateTerritory(ctx, client.NewTerritory{Name: "Bay Area", ReportingTo: west})
	if err != nil {
		panic(err)
	}
	ins, err := c.InsertRecords(ctx, "Leads", client.Record{"Last_Name": "W"}, client.Record{"Last_Name": "B"}, client.Record{"Last_Name": "None"})
	if err != nil {
		panic(err)
	}
	if _, err := c.AssignTerritories(ctx, "Leads",
		client.TerritoryAssignment{RecordID: ins[0].ID(), TerritoryIDs: []string{west}},
		client.TerritoryAssignment{RecordID: ins[1].ID(), TerritoryIDs: []string{bay}}); err != nil {
		panic(err)
	}
	views, err := c.CustomViews(ctx, "Leads")
	if err != nil {
		panic(err)
	}
	var all string
	for _, v := range views {
		if v.SystemName == "ALLVIEWS" {
			all = v.ID
		}
	}
	job, err := c.MassDeleteCVID(ctx, "Leads", all, &client.MassDeleteTerritory{ID: west, IncludeChild: true})
	if err != nil {
		panic(err)
	}
	st, err := c.Wait(ctx, "Leads", job, &client.WaitOptions{MinInterval: 20 * time.Millisecond})
	if err != nil {
		panic(err)
	}
	fmt.Println(st.Status, st.TotalCount, st.DeletedCount)
	left, err := c.ListRecords(ctx, "Leads", client.ListOptions{Fields: []string{"Last_Name"}})
	if err != nil {
		panic(err)
	}
	for _, r := range left.Records {
		fmt.Println("left:", r.String("Last_Name"))
	}
	// Output:
	// COMPLETED 2 2
	// left: None
}

// Zoho's error objects come back as *client.Error, with the HTTP status, code, message and details.
func ExampleError() {
	org := newCrmdOrg("Stark", "")
	ctx := context.Background()

	bad := client.New(org.BaseURL, client.WithAccessToken("1000.not-a-token"))
	_, err := bad.ListRecords(ctx, "Leads", client.ListOptions{Fields: []string{"Last_Name"}})
	var zerr *client.Error
	if errors.As(err, &zerr) {
		fmt.Println(zerr.HTTPStatus, zerr.Code, zerr.Message)
	}

	rep := client.New(org.BaseURL, client.WithAccessToken(org.addUser("rep@stark.test", "Standard", fullScope)))
	_, err = rep.MassDeleteIDs(ctx, "Leads", []string{"1234567890123456789"})
	if errors.As(err, &zerr) {
		fmt.Println(zerr.HTTPStatus, zerr.Code, zerr.Message, zerr.Details["permissions"])
	}
	fmt.Println(errors.Is(err, &client.Error{Code: "NO_PERMISSION"}))

	// The accounts server's refusals are *client.OAuthError.
	revoked := client.New(org.BaseURL, client.WithRefreshToken(client.OAuthConfig{AccountsURL: org.BaseURL,
		ClientID: org.ClientID, ClientSecret: org.ClientSecret, RefreshToken: "1000.unknown"}))
	_, err = revoked.Org(ctx)
	var oerr *client.OAuthError
	if errors.As(err, &oerr) {
		fmt.Println(oerr.Code)
	}
	// Output:
	// 401 INVALID_TOKEN invalid oauth token
	// 403 NO_PERMISSION permission denied [Crm_Implied_Mass_Delete_Leads]
	// true
	// invalid_code
}

// crmd's preview of a mass delete by custom view says what the real call will do — how many records
// the view selects, how many it will delete, how many an approval process keeps — without deleting,
// locking or writing anything. (crmd's own API: Zoho has no preview.)
func ExampleClient_PreviewMassDeleteView() {
	org := newCrmdOrg("Soylent", "")
	ctx := context.Background()
	c := client.New(org.BaseURL, client.WithRefreshToken(client.OAuthConfig{AccountsURL: org.BaseURL,
		ClientID: org.ClientID, ClientSecret: org.ClientSecret, RefreshToken: org.RefreshToken}))

	var leads []client.Record
	for i := range 40 {
		source := "Web Download"
		if i%4 == 0 {
			source = "Cold Call"
		}
		leads = append(leads, client.Record{"Last_Name": fmt.Sprint("Lead ", i), "Lead_Source": source})
	}
	// Two more cold calls, held by an approval process.
	for i := range 2 {
		leads = append(leads, client.Record{"Last_Name": fmt.Sprint("Pending ", i), "Lead_Source": "Cold Call",
			"$approval_state": "approval_process_pending"})
	}
	if _, err := c.InsertRecords(ctx, "Leads", leads...); err != nil {
		panic(err)
	}
	cvid, err := c.CreateCustomView(ctx, "Leads", client.NewCustomView{
		Name:     "Cold calls",
		Criteria: client.Criterion{Field: "Lead_Source", Comparator: "equal", Value: "Cold Call"},
	})
	if err != nil {
		panic(err)
	}
	p, err := c.PreviewMassDeleteView(ctx, "Leads", cvid, nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("preview: %s, %d selected, %d deletable, %d awaiting approval (limit %d)\n", p.Outcome, p.Total, p.Deletable, p.Unapproved, p.Limit)
	fmt.Println("sample:", len(p.Sample), "records")

	job, err := c.MassDeleteCVID(ctx, "Leads", cvid, nil)
	if err != nil {
		panic(err)
	}
	st, err := c.Wait(ctx, "Leads", job, &client.WaitOptions{MinInterval: 20 * time.Millisecond, MaxInterval: time.Second})
	if err != nil {
		panic(err)
	}
	fmt.Printf("job: %s, %d of %d deleted, %d failed\n", st.Status, st.DeletedCount, st.TotalCount, st.FailedCount)
	// Output:
	// preview: SCHEDULE, 12 selected, 10 deletable, 2 awaiting approval (limit 50000)
	// sample: 10 records
	// job: COMPLETED, 10 of 12 deleted, 2 failed
}

// A finished mass delete job can be undone: the undo is a job of its own that restores, from the
// recycle bin, the records the job deleted — same ids, fields and owners. WatchJob follows it on crmd's
// events stream until it ends. (crmd's own API: Zoho has no undo.)
func ExampleClient_UndoJob() {
	org := newCrmdOrg("Vehement", "")
	ctx := context.Background()
	c := client.New(org.BaseURL, client.WithRefreshToken(client.OAuthConfig{AccountsURL: org.BaseURL,
		ClientID: org.ClientID, ClientSecret: org.ClientSecret, RefreshToken: org.RefreshToken}))

	var leads []client.Record
	for i := range 75 {
		leads = append(leads, client.Record{"Last_Name": fmt.Sprint("Lead ", i), "Company": "Vehement Capital"})
	}
	if _, err := c.InsertRecords(ctx, "Leads", leads...); err != nil {
		panic(err)
	}
	cvid, err := c.CreateCustomView(ctx, "Leads", client.NewCustomView{
		Name:     "Vehement",
		Criteria: client.Criterion{Field: "Company", Comparator: "equal", Value: "Vehement Capital"},
	})
	if err != nil {
		panic(err)
	}
	job, err := c.MassDeleteCVID(ctx, "Leads", cvid, nil)
	if err != nil {
		panic(err)
	}
	deleted, err := c.WatchJob(ctx, job, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println("mass delete:", deleted.Status, deleted.Succeeded, "deleted")

	undo, err := c.UndoJob(ctx, job)
	if err != nil {
		panic(err)
	}
	fmt.Println("undo job:", undo.Kind, undo.UndoOf == job, undo.Total, "records")
	done, err := c.WatchJob(ctx, undo.ID, func(j client.Job) error {
		// Each event is the job after one more batch; a progress bar would show j.Progress here.
		return nil
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("undo: %s, %d restored, %d failed\n", done.Status, done.Succeeded, done.Failed)
	p, err := c.PreviewMassDeleteView(ctx, "Leads", cvid, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println("back in the view:", p.Total)

	// A job is undone once.
	_, err = c.UndoJob(ctx, job)
	var zerr *client.Error
	if errors.As(err, &zerr) {
		fmt.Println(zerr.Code, zerr.Message, zerr.Details["undone_by"] == undo.ID)
	}
	// Output:
	// mass delete: COMPLETED 75 deleted
	// undo job: undo true 75 records
	// undo: COMPLETED, 75 restored, 0 failed
	// back in the view: 75
	// NOT_ALLOWED the job was already undone true
}

// The audit trail lists every deletion, restore and purge of a record, newest first, with who did it
// and how. (crmd's own API.)
func ExampleClient_Audit() {
	org := newCrmdOrg("Dunder", "")
	ctx := context.Background()
	c := client.New(org.BaseURL, client.WithRefreshToken(client.OAuthConfig{AccountsURL: org.BaseURL,
		ClientID: org.ClientID, ClientSecret: org.ClientSecret, RefreshToken: org.RefreshToken}))

	ins, err := c.InsertRecords(ctx, "Leads", client.Record{"Last_Name": "Scott"}, client.Record{"Last_Name": "Schrute"})
	if err != nil {
		panic(err)
	}
	if _, err := c.MassDeleteIDs(ctx, "Leads", ins.IDs()); err != nil {
		panic(err)
	}
	if _, err := c.RestoreRecords(ctx, ins[0].ID()); err != nil {
		panic(err)
	}
	entries, more, err := c.Audit(ctx, client.AuditQuery{Module: "Leads"})
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		fmt.Println(e.DisplayName, e.Action, "via", e.Via, "by", e.Actor.Name)
	}
	fmt.Println("more:", more)
	// Output:
	// Scott restored via recycle_bin by Ada Admin
	// Schrute deleted via ids by Ada Admin
	// Scott deleted via ids by Ada Admin
	// more: false
}
