package testserver_test

import (
	"context"
	"fmt"

	"github.com/crmd/crmd/client"
	"github.com/crmd/crmd/testserver"
)

// A server with the default fixture, a Zoho client on it, a record written and read back.
func Example() {
	srv, err := testserver.New()
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	c := srv.Client("admin@crmd.local")
	ctx := context.Background()
	org, err := c.Org(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println("org:", org.CompanyName, org.ID)
	if _, err := c.InsertRecords(ctx, "Leads", client.Record{"Last_Name": "Smith"}); err != nil {
		panic(err)
	}
	page, err := c.ListRecords(ctx, "Leads", client.ListOptions{Fields: []string{"Last_Name"}})
	if err != nil {
		panic(err)
	}
	fmt.Println("leads:", len(page.Records), page.Records[0]["Last_Name"])
	// Output:
	// org: crmd 5000000000000000001
	// leads: 1 Smith
}

// A fixture file with fixed ids and tokens, and a reset between test cases.
func Example_fixtureAndReset() {
	srv, err := testserver.New(testserver.FixtureFile("../fixtures/testdata/example.json"))
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	c := srv.Client("admin@acme.test")
	ctx := context.Background()
	lead, err := c.GetRecord(ctx, "Leads", "4200000000000001001", "Last_Name")
	if err != nil {
		panic(err)
	}
	fmt.Println(lead["Last_Name"])
	if _, err := c.DeleteRecords(ctx, "Leads", "4200000000000001001"); err != nil {
		panic(err)
	}
	if _, err := c.GetRecord(ctx, "Leads", "4200000000000001001", "Last_Name"); err != nil {
		fmt.Println("deleted")
	}
	if err := srv.Reset(); err != nil {
		panic(err)
	}
	lead, err = c.GetRecord(ctx, "Leads", "4200000000000001001", "Last_Name")
	fmt.Println(lead["Last_Name"], err)
	// Output:
	// Martin
	// deleted
	// Martin <nil>
}
