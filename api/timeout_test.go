package api_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd/api"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/store"
)

// timeoutEnv returns a records environment and a second server on its store with a query timeout of d.
func timeoutEnv(t *testing.T, d time.Duration) (*recEnv, *recEnv) {
	t.Helper()
	e := newRecEnv(t)
	slow := *e
	slow.ts = httptest.NewServer(newApp(t, e.st, api.Config{QueryTimeout: d}, nil).API)
	t.Cleanup(slow.ts.Close)
	return e, &slow
}

func wantQueryTimeout(t *testing.T, what string, status int, body map[string]any, limit string) {
	t.Helper()
	if status != 503 {
		t.Fatalf("%s: %d %v, want 503 QUERY_TIMEOUT", what, status, body)
	}
	crmdtest.JSONEq(t, what, body, `{"code":"QUERY_TIMEOUT","details":{"timeout":"`+limit+`"},
		"message":"the request ran longer than the server's query timeout and was cancelled; nothing was written","status":"error"}`)
}

// TestQueryTimeoutWhileWaitingForTheDatabase: while another transaction holds what an insert needs (the
// org's id sequence: SQLite's write lock, PostgreSQL's row lock), an insert waits out the query timeout
// and is answered QUERY_TIMEOUT; none of its records is written, and once the other transaction ends
// the same insert succeeds.
func TestQueryTimeoutWhileWaitingForTheDatabase(t *testing.T) {
	e, slow := timeoutEnv(t, 150*time.Millisecond)
	release, held := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- e.st.Tx(context.Background(), func(tx *store.Tx) error {
			if _, err := e.st.AllocIDs(context.Background(), tx, e.a.org.ID, 1); err != nil {
				return err
			}
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	body := `{"data":[{"Last_Name":"Waited1"},{"Last_Name":"Waited2"},{"Last_Name":"Waited3"}]}`
	start := time.Now()
	status, b := slow.do(t, "POST", "/crm/v8/Leads", e.a.adminTok, body)
	took := time.Since(start)
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	wantQueryTimeout(t, "insert behind a held transaction", status, b, "150ms")
	if took > 2*time.Second {
		t.Errorf("the insert was answered after %s; want about the 150ms timeout", took)
	}
	if status, b := e.do(t, "GET", "/crm/v8/Leads?fields=Last_Name", e.a.adminTok, ""); status != 204 {
		t.Fatalf("Leads after the timed-out insert: %d %v, want none (204)", status, b)
	}
	if status, b := slow.do(t, "POST", "/crm/v8/Leads", e.a.adminTok, body); status != 201 {
		t.Fatalf("the same insert once the database is free: %d %v", status, b)
	}
}

// TestQueryTimeoutCancelsALongStatement: listing a view of 200 `contains` leaves over 3,000 Leads takes
// longer than a 50 ms timeout (about 300 ms on SQLite, 750 ms on PostgreSQL here): the statement is cancelled while it runs (SQLite interrupt, PostgreSQL
// cancel) and the client reads QUERY_TIMEOUT; without the limit the same list answers.
func TestQueryTimeoutCancelsALongStatement(t *testing.T) {
	e, slow := timeoutEnv(t, 50*time.Millisecond)
	tok := e.a.adminTok
	for i := 0; i < 30; i++ {
		recs := make([]string, 100)
		for j := range recs {
			recs[j] = fmt.Sprintf(`{"Last_Name":"Name%05d","Company":"Company %d","Email":"p%d@example.com"}`, i*100+j, j, i*100+j)
		}
		e.insert(t, "Leads", tok, recs...)
	}
	var groups []string
	for g := 0; g < 8; g++ {
		var leaves []string
		for l := 0; l < 25; l++ {
			leaves = append(leaves, fmt.Sprintf(`{"field":{"api_name":"Company"},"comparator":"contains","value":"zz%d-%d"}`, g, l))
		}
		groups = append(groups, `{"group_operator":"OR","group":[`+strings.Join(leaves, ",")+`]}`)
	}
	status, b := e.do(t, "POST", "/crm/v8/settings/custom_views?module=Leads", e.a.fx.Token(t, e.a.admin, viewScope),
		`{"custom_views":[{"name":"Wide","fields":["Last_Name"],"criteria":{"group_operator":"OR","group":[`+strings.Join(groups, ",")+`]}}]}`)
	if status != 201 {
		t.Fatalf("create the wide view: %d %v", status, b)
	}
	cvid := crmdtest.DetailIDs(t, b, "custom_views")[0]
	// Without a limit the view answers: it selects nothing.
	start := time.Now()
	if status, b := e.do(t, "GET", "/crm/v8/Leads?fields=Last_Name&cvid="+cvid, tok, ""); status != 204 {
		t.Fatalf("the wide view without a timeout: %d %v, want 204", status, b)
	}
	t.Logf("the wide view without a timeout answered in %s", time.Since(start))
	status, b = slow.do(t, "GET", "/crm/v8/Leads?fields=Last_Name&cvid="+cvid, tok, "")
	wantQueryTimeout(t, "the wide view with a 50ms timeout", status, b, "50ms")
}
