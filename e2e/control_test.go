package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestControlAPIOnTheBinary: `crmd serve --control-token` turns the control API on: a forced fault
// answers once, the journal shows the calls without their tokens, and moving the clock 25 hours on
// expires the bootstrap token (valid 24 h). Without the flag the control paths are unknown.
func TestControlAPIOnTheBinary(t *testing.T) {
	off := startServer(t)
	if status, body, _ := off.Do("GET", "/crmd/v1/control/faults", nil, ""); status != http.StatusNotFound || body["code"] != "INVALID_URL_PATTERN" {
		t.Fatalf("control API without a token: %d %v", status, body)
	}
	const tok = "e2e-control-token"
	h := startServer(t, "--control-token", tok)
	req := func(method, path string, body string, bearer ...string) (int, map[string]any) {
		t.Helper()
		return control(t, h, append(bearer, tok)[0], method, path, body)
	}
	if status, _ := req("GET", "faults", "", "not-the-token"); status != http.StatusUnauthorized {
		t.Fatalf("control call with a wrong token: %d", status)
	}
	if status, body := req("PUT", "faults", `{"faults":[{"path":"/crm/v8/{module}","status":429,"code":"TOO_MANY_REQUESTS","message":"slow down","times":1}]}`); status != http.StatusOK {
		t.Fatalf("put faults: %d %v", status, body)
	}
	if status, body, _ := h.Do("GET", "/crm/v8/Leads?fields=Last_Name", nil, h.Token); status != http.StatusTooManyRequests || body["message"] != "slow down" {
		t.Fatalf("faulted call: %d %v", status, body)
	}
	if status, _, _ := h.Do("GET", "/crm/v8/Leads?fields=Last_Name", nil, h.Token); status != http.StatusNoContent {
		t.Fatalf("the call after the fault: %d", status)
	}
	status, body := req("GET", "requests?path=/crm/", "")
	raw, _ := json.Marshal(body)
	if status != http.StatusOK || len(body["requests"].([]any)) != 2 || strings.Contains(string(raw), h.Token) {
		t.Fatalf("journal: %d %s", status, raw)
	}
	if status, body := req("POST", "clock", `{"advance":"25h"}`); status != http.StatusOK {
		t.Fatalf("clock: %d %v", status, body)
	}
	if status, body, _ := h.Do("GET", "/crm/v8/org", nil, h.Token); status != http.StatusUnauthorized || body["code"] != "INVALID_TOKEN" {
		t.Fatalf("the 24-hour token 25 hours on: %d %v", status, body)
	}
}
