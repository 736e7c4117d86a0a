package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The tokens of fixtures/testdata/example.json.
const (
	fixtureAdminToken = "1000.acmeadmin00000000000000000000001.acmeadmin00000000000000000000001"
	fixtureOrgID      = "4200000000000000001"
)

// control calls the control API of h with its token.
func control(t *testing.T, h *Harness, token, method, path, body string) (int, map[string]any) {
	t.Helper()
	r, err := http.NewRequest(method, h.BaseURL+"/crmd/v1/control/"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Authorization", "Bearer "+token)
	resp, err := h.client.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestServeFixturesResetAndSnapshots: `crmd serve --fixtures` starts on the example's org with its fixed
// tokens and ids; the control API's reset returns to it after changes — the fixture's token working
// again, a running job stopped — fast; named snapshots restore; a dump is the file again.
func TestServeFixturesResetAndSnapshots(t *testing.T) {
	const ctl = "e2e-fixtures-control"
	h := startServer(t, "--fixtures", "../fixtures/testdata/example.json", "--control-token", ctl,
		"--job-batch-size", "1", "--job-batch-delay", "200ms")
	if h.Token != "" || strings.Contains(h.Bootstrap, "export TOKEN") {
		t.Fatalf("serve --fixtures printed a bootstrap token:\n%s", h.Bootstrap)
	}
	leads := func() int {
		t.Helper()
		status, body, raw := h.Do("GET", "/crm/v8/Leads?fields=Last_Name&approved=both", nil, fixtureAdminToken)
		if status == http.StatusNoContent {
			return 0
		}
		if status != http.StatusOK {
			t.Fatalf("leads: %d %s", status, raw)
		}
		return len(body["data"].([]any))
	}
	if n := leads(); n != 3 {
		t.Fatalf("the fixture's leads: %d, want 3", n)
	}
	if status, body, _ := h.Do("GET", "/crm/v8/Leads/4200000000000001001?fields=Last_Name", nil, fixtureAdminToken); status != http.StatusOK ||
		body["data"].([]any)[0].(map[string]any)["Last_Name"] != "Martin" {
		t.Fatalf("the fixture's lead by its id: %d %v", status, body)
	}

	// A snapshot, then changes: a new lead, a deleted one, the fixture's token revoked, a running job.
	if status, body := control(t, h, ctl, "POST", "snapshots", `{"name":"before"}`); status != http.StatusCreated {
		t.Fatalf("snapshot: %d %v", status, body)
	}
	h.Do("POST", "/crm/v8/Leads", map[string]any{"data": []any{map[string]any{"Last_Name": "Extra"}}}, fixtureAdminToken)
	h.Do("DELETE", "/crm/v8/Leads?ids=4200000000000001002", nil, fixtureAdminToken)
	if n := leads(); n != 3 {
		t.Fatalf("after +1 -1: %d leads", n)
	}
	status, views, _ := h.Do("GET", "/crm/v8/settings/custom_views?module=Leads", nil, fixtureAdminToken)
	cvid := ""
	for _, v := range views["custom_views"].([]any) {
		if v.(map[string]any)["system_name"] == "ALLVIEWS" {
			cvid = v.(map[string]any)["id"].(string)
		}
	}
	if status != http.StatusOK || cvid == "" {
		t.Fatalf("views: %d", status)
	}
	status, body, raw := h.Do("POST", "/crm/v8/Leads/actions/mass_delete", map[string]any{"cvid": cvid}, fixtureAdminToken)
	if status != http.StatusAccepted && status != http.StatusOK {
		t.Fatalf("mass delete: %d %s", status, raw)
	}
	job := jobIDOf(t, body)
	resp, _ := h.Request("POST", "/oauth/v2/token/revoke?token="+fixtureAdminToken, nil, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if status, _, _ := h.Do("GET", "/crm/v8/org", nil, fixtureAdminToken); status != http.StatusUnauthorized {
		t.Fatalf("the revoked token still works: %d", status)
	}

	// Reset: the fixture state, its token working, the job gone (its runner stops at its next batch).
	start := time.Now()
	status, body = control(t, h, ctl, "POST", "reset", "")
	if status != http.StatusOK {
		t.Fatalf("reset: %d %v", status, body)
	}
	t.Logf("reset answered in %v (server side %v ms)", time.Since(start), body["reset"].(map[string]any)["ms"])
	if n := leads(); n != 3 {
		t.Fatalf("after reset: %d leads, want the fixture's 3", n)
	}
	if status, _, _ := h.Do("GET", "/crmd/v1/jobs/"+job, nil, fixtureAdminToken); status != http.StatusNotFound {
		t.Fatalf("the job after reset: %d, want 404", status)
	}
	time.Sleep(500 * time.Millisecond) // two paced batches' time: a job still running would delete more
	if n := leads(); n != 3 {
		t.Fatalf("after reset and a wait: %d leads, want 3 (the job went on?)", n)
	}

	// The named snapshot still exists and restores its own state (the extra lead, without Dubois).
	status, body = control(t, h, ctl, "GET", "snapshots", "")
	if status != http.StatusOK || !strings.Contains(mustJSONString(body), `"name":"before"`) {
		t.Fatalf("snapshots: %d %v", status, body)
	}
	if status, body := control(t, h, ctl, "POST", "snapshots/before/actions/restore", ""); status != http.StatusOK {
		t.Fatalf("restore: %d %v", status, body)
	}
	if n := leads(); n != 3 {
		t.Fatalf("after restoring the snapshot: %d leads", n)
	}
	for path, want := range map[string]int{"snapshots/nope/actions/restore": 404, "snapshots/crmd-start/actions/restore": 404} {
		if status, _ := control(t, h, ctl, "POST", path, ""); status != want {
			t.Errorf("%s: %d, want %d", path, status, want)
		}
	}
	if status, _ := control(t, h, ctl, "POST", "snapshots", `{"name":"Bad Name"}`); status != http.StatusBadRequest {
		t.Errorf("a bad name: %d", status)
	}
	if status, _ := control(t, h, ctl, "DELETE", "snapshots/before", ""); status != http.StatusOK {
		t.Errorf("delete: %d", status)
	}
	if status, _ := control(t, h, ctl, "DELETE", "snapshots/before", ""); status != http.StatusNotFound {
		t.Errorf("delete again: %d", status)
	}

	// A restart on the same database keeps the data and applies nothing again.
	h.Stop()
	h2 := startServer(t, "--db", h.DB, "--fixtures", "../fixtures/testdata/example.json", "--control-token", ctl)
	if status, _, _ := h2.Do("GET", "/crm/v8/org", nil, fixtureAdminToken); status != http.StatusOK {
		t.Fatalf("the fixture's token after a restart: %d", status)
	}
	out, err := h2.CLI("fixtures", "dump", "--org", fixtureOrgID)
	if err != nil || !strings.Contains(out, `"id": "4200000000000001001"`) {
		t.Fatalf("dump: %v\n%s", err, out)
	}
}

func mustJSONString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
