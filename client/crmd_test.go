package client_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/crmd/crmd/client"
)

// TestMoreAgainstCrmd covers what the examples and the e2e scenario leave out, against the in-process
// crmd: a Client built from a Config, paging by page_token, plain delete, the ids mass delete with a
// territory guard, removing territories, one recycle bin record, and emptying the bin.
func TestMoreAgainstCrmd(t *testing.T) {
	org := newCrmdOrg("Wayne", "")
	ctx := context.Background()
	c, err := client.NewFromConfig(client.Config{APIDomain: org.BaseURL, AccountsURL: org.BaseURL, ClientID: org.ClientID,
		ClientSecret: org.ClientSecret, RefreshToken: org.RefreshToken})
	if err != nil {
		t.Fatal(err)
	}
	var recs []client.Record
	for i := range 7 {
		recs = append(recs, client.Record{"Last_Name": fmt.Sprint("L", i)})
	}
	ins, err := c.InsertRecords(ctx, "Leads", recs...)
	if err != nil || ins.Err() != nil {
		t.Fatalf("insert: %v %v", ins, err)
	}
	ids := ins.IDs()

	// page_token paging visits every record once.
	seen := map[string]bool{}
	opts := client.ListOptions{Fields: []string{"Last_Name"}, PerPage: 3}
	for {
		p, err := c.ListRecords(ctx, "Leads", opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Records {
			seen[r.ID()] = true
		}
		if !p.Info.MoreRecords {
			break
		}
		if p.Info.NextPageToken == "" {
			t.Fatalf("more records without a next_page_token: %+v", p.Info)
		}
		opts.PageToken = p.Info.NextPageToken
	}
	if len(seen) != 7 {
		t.Fatalf("page_token paging saw %d records, want 7", len(seen))
	}

	// Plain delete.
	res, err := c.DeleteRecords(ctx, "Leads", ids[0], "1234567890123456789")
	if err != nil || len(res) != 2 || res[0].Message != "record deleted" || res[0].HTTPStatus != 207 || res[1].Code != "INVALID_DATA" {
		t.Fatalf("delete: %+v %v", res, err)
	}

	// A territory guards an ids mass delete; removing the territory takes the record out of it.
	ts, err := c.Territories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	north, err := c.CreateTerritory(ctx, client.NewTerritory{Name: "North", ReportingTo: ts[0].ID, PermissionType: "read_only"})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := c.AssignTerritories(ctx, "Leads", client.TerritoryAssignment{RecordID: ids[1], TerritoryIDs: []string{north}},
		client.TerritoryAssignment{RecordID: ids[2], TerritoryIDs: []string{north}}); err != nil || res.Err() != nil {
		t.Fatalf("assign: %v %v", res, err)
	}
	if res, err := c.RemoveTerritories(ctx, "Leads", client.TerritoryAssignment{RecordID: ids[2], TerritoryIDs: []string{north}}); err != nil ||
		len(res) != 1 || res[0].Message != "the territories are removed successfully" {
		t.Fatalf("remove: %+v %v", res, err)
	}
	res, err = c.MassDeleteIDsIn(ctx, "Leads", []string{ids[1], ids[2]}, client.MassDeleteTerritory{ID: north})
	if err != nil || len(res) != 2 || !res[0].OK() || res[1].Code != "INVALID_DATA" || res[1].ID() != ids[2] {
		t.Fatalf("guarded mass delete: %+v %v", res, err)
	}

	// One record of the bin, then the whole bin emptied.
	it, err := c.RecycleBinRecord(ctx, ids[1])
	if err != nil || it.ID != ids[1] || it.DisplayName != "L1" || it.Module.APIName != "Leads" || it.DeletedBy == nil {
		t.Fatalf("bin record: %+v %v", it, err)
	}
	r, err := c.EmptyRecycleBin(ctx)
	if err != nil || r.Code != "SUCCESS" || r.Message != "recyclebin is cleared" {
		t.Fatalf("empty: %+v %v", r, err)
	}
	if n, err := c.RecycleBinCount(ctx, ""); err != nil || n != 0 {
		t.Fatalf("count after empty: %d %v", n, err)
	}
	bin, err := c.RecycleBin(ctx, client.BinOptions{})
	if err != nil || len(bin.Items) != 0 {
		t.Fatalf("empty bin (204): %+v %v", bin, err)
	}
	// A v2 client reaches the recycle bin (a v6+ API) through v8.
	v2, _ := client.NewFromConfig(client.Config{APIDomain: org.BaseURL, AccountsURL: org.BaseURL, ClientID: org.ClientID,
		ClientSecret: org.ClientSecret, RefreshToken: org.RefreshToken, Version: "v2"})
	if n, err := v2.RecycleBinCount(ctx, "Leads"); err != nil || n != 0 {
		t.Fatalf("v2 count: %d %v", n, err)
	}
}
