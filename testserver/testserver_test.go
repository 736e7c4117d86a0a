package testserver_test

import (
	"context"
	"net/http"
	"os"
	"testing"

	"github.com/crmd/crmd/testserver"
)

// TestStartAndClose: Start serves the fixture with the control API on; Close stops the server and
// removes its database.
func TestStartAndClose(t *testing.T) {
	srv, err := testserver.New(testserver.FixtureFile("../fixtures/testdata/example.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.Token("rep@acme.test"); got != "1000.acmerep000000000000000000000000001.acmerep000000000000000000000000001" {
		t.Errorf("Token(rep) = %q", got)
	}
	if _, err := srv.Client("admin@acme.test").Org(context.Background()); err != nil {
		t.Fatalf("the admin's client: %v", err)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/crmd/v1/control/settings", nil)
	req.Header.Set("Authorization", "Bearer "+srv.ControlToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("control API: %v %v", resp, err)
	}
	resp.Body.Close()
	srv.Close()
	if _, err := http.Get(srv.URL + "/healthz"); err == nil {
		t.Error("the server still answers after Close")
	}
	srv.Close() // twice is fine
}

// TestStartStopsWithTheTest: Start registers Close with the test.
func TestStartStopsWithTheTest(t *testing.T) {
	var url string
	t.Run("inner", func(t *testing.T) {
		srv := testserver.Start(t)
		url = srv.URL
		if _, err := srv.Client("admin@crmd.local").Org(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Error("the server outlived its test")
	}
	if _, err := testserver.New(testserver.FixtureFile("no-such-file.json")); !os.IsNotExist(err) {
		t.Errorf("a missing fixture file: %v", err)
	}
}
