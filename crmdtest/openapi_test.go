package crmdtest_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd/api"
	"github.com/crmd/crmd/crmdtest"
	"github.com/pb33f/libopenapi"
)

// jsonCT is the content type crmd's answers carry.
const jsonCT = "application/json;charset=UTF-8"

// check runs the contract's check on a made-up exchange.
func check(t *testing.T, method, target string, status int, contentType, body string) []string {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	resp := &http.Response{StatusCode: status, Header: http.Header{}, Body: http.NoBody, Request: req}
	if contentType != "" {
		resp.Header.Set("Content-Type", contentType)
	}
	return crmdtest.OpenAPI(t).Check(req, resp, []byte(body))
}

func wantValid(t *testing.T, what, method, target string, status int, contentType, body string) {
	t.Helper()
	if problems := check(t, method, target, status, contentType, body); len(problems) > 0 {
		t.Errorf("%s: want valid, got:\n%s", what, strings.Join(problems, "\n"))
	}
}

func wantInvalid(t *testing.T, what, method, target string, status int, contentType, body string, mention string) {
	t.Helper()
	problems := check(t, method, target, status, contentType, body)
	if len(problems) == 0 {
		t.Errorf("%s: the contract accepted %s", what, body)
		return
	}
	if all := strings.Join(problems, "\n"); mention != "" && !strings.Contains(all, mention) {
		t.Errorf("%s: rejected, but the problems do not mention %q:\n%s", what, mention, all)
	}
}

// TestOpenAPIDocumentIsValid31: the document parses as OpenAPI 3.1, validates against the OpenAPI 3.1
// schema, is what package api embeds and serves, and describes every operation of docs/crmd-api.md.
func TestOpenAPIDocumentIsValid31(t *testing.T) {
	c := crmdtest.OpenAPI(t)
	if !bytes.Equal(c.Raw, api.OpenAPI()) {
		t.Fatal("crmdtest validates against a document other than the one api embeds")
	}
	served := api.OpenAPI()
	served[0] = 'X'
	if api.OpenAPI()[0] == 'X' {
		t.Error("api.OpenAPI returns its embedded bytes, not a copy")
	}

	doc, err := libopenapi.NewDocument(c.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if v := doc.GetVersion(); v != "3.1.0" {
		t.Errorf("openapi version %q, want 3.1.0", v)
	}
	if info := doc.GetSpecInfo(); info == nil || info.VersionNumeric != 3.1 {
		t.Errorf("spec info %+v, want OpenAPI 3.1", info)
	}
	if _, err := doc.BuildV3Model(); err != nil {
		t.Fatalf("build the 3.1 model: %v", err)
	}
	if ok, errs := c.Validator.ValidateDocument(); !ok {
		for _, e := range errs {
			t.Errorf("the document is not valid OpenAPI 3.1: %s", e.Error())
			for _, f := range e.SchemaValidationErrors {
				t.Errorf("  at %s: %s", f.FieldPath, f.Reason)
			}
		}
	}

	// The document check has teeth: a scheme type 3.1 does not know fails it.
	broken, err := crmdtest.NewContract(bytes.Replace(c.Raw, []byte(`"type": "apiKey"`), []byte(`"type": "token"`), 1))
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := broken.Validator.ValidateDocument(); ok {
		t.Error("ValidateDocument accepted a security scheme of type token")
	}

	// Exactly the operations of docs/crmd-api.md, each with its success statuses and every error status.
	want := map[string][]string{
		"POST /crmd/v1/{module}/actions/mass_delete/preview": {"200"},
		"GET /crmd/v1/jobs":                      {"200", "204"},
		"GET /crmd/v1/jobs/{id}":                 {"200"},
		"POST /crmd/v1/jobs/{id}/actions/cancel": {"200"},
		"POST /crmd/v1/jobs/{id}/actions/undo":   {"202"},
		"GET /crmd/v1/jobs/{id}/events":          {"200"},
		"GET /crmd/v1/audit":                     {"200", "204"},
		"GET /crmd/v1/notifications/deliveries":  {"200", "204"},
		"GET /crmd/v1/openapi.json":              {"200"},
		// The control API (docs/control.md), listed in docs/crmd-api.md too.
		"GET /crmd/v1/control/faults":                            {"200"},
		"PUT /crmd/v1/control/faults":                            {"200"},
		"DELETE /crmd/v1/control/faults":                         {"200"},
		"GET /crmd/v1/control/requests":                          {"200"},
		"DELETE /crmd/v1/control/requests":                       {"200"},
		"GET /crmd/v1/control/clock":                             {"200"},
		"POST /crmd/v1/control/clock":                            {"200"},
		"GET /crmd/v1/control/settings":                          {"200"},
		"PUT /crmd/v1/control/settings":                          {"200"},
		"POST /crmd/v1/control/reset":                            {"200"},
		"GET /crmd/v1/control/snapshots":                         {"200"},
		"POST /crmd/v1/control/snapshots":                        {"201"},
		"DELETE /crmd/v1/control/snapshots/{name}":               {"200"},
		"POST /crmd/v1/control/snapshots/{name}/actions/restore": {"200"},
	}
	errorCodes := []string{"400", "401", "403", "404", "413", "429", "500", "503"}
	// The control API has no OAuth token, profile or API limit: no 403, no 429.
	controlErrors := []string{"400", "401", "404", "413", "500", "503"}
	got := map[string]bool{}
	for path, item := range c.Model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			key := strings.ToUpper(method) + " " + path
			got[key] = true
			codes, ok := want[key]
			if !ok {
				t.Errorf("%s is in the document but not in docs/crmd-api.md", key)
				continue
			}
			var have []string
			for code := range op.Responses.Codes.KeysFromOldest() {
				have = append(have, code)
			}
			errs := errorCodes
			control := strings.Contains(key, "/crmd/v1/control/")
			if control {
				errs = controlErrors
			}
			if w := append(slices.Clone(codes), errs...); !slices.Equal(have, w) {
				t.Errorf("%s answers %q, want %q", key, have, w)
			}
			for _, code := range errs {
				r := op.Responses.Codes.GetOrZero(code)
				mt := r.Content.GetOrZero("application/json")
				if mt == nil || mt.Schema == nil || !strings.HasSuffix(mt.Schema.GetReference(), "/Error") {
					t.Errorf("%s %s is not Zoho's error object", key, code)
				}
			}
			public := op.Security != nil && len(op.Security) == 0
			if public != (key == "GET /crmd/v1/openapi.json") {
				t.Errorf("%s: public = %v", key, public)
			}
			if control {
				if len(op.Security) != 1 || op.Security[0].Requirements.Len() != 1 {
					t.Errorf("%s: security %+v, want the control token alone", key, op.Security)
				} else if _, ok := op.Security[0].Requirements.Get("controlToken"); !ok {
					t.Errorf("%s: security is not the control token", key)
				}
			}
		}
	}
	for key := range want {
		if !got[key] {
			t.Errorf("%s is missing from the document", key)
		}
	}
	if len(c.Model.Security) != 1 || c.Model.Security[0].Requirements.Len() != 1 {
		t.Errorf("the document's default security is not one scheme: %+v", c.Model.Security)
	} else if _, ok := c.Model.Security[0].Requirements.Get("zohoOAuth"); !ok {
		t.Errorf("the document's default security is not zohoOAuth")
	}
	scheme := c.Model.Components.SecuritySchemes.GetOrZero("zohoOAuth")
	if scheme == nil || scheme.Type != "apiKey" || scheme.In != "header" || scheme.Name != "Authorization" {
		t.Errorf("security scheme %+v, want an apiKey in the Authorization header", scheme)
	}
	// Request parameters carry no enums: bad values are the server's own 400 INVALID_DATA.
	for _, p := range []string{"/crmd/v1/jobs", "/crmd/v1/audit"} {
		op := c.Model.Paths.PathItems.GetOrZero(p).Get
		for _, param := range op.Parameters {
			if s := param.Schema.Schema(); len(s.Enum) > 0 {
				t.Errorf("GET %s: parameter %s has an enum", p, param.Name)
			}
		}
	}
}

// docExamples returns the JSON examples of docs/crmd-api.md by what they show, with the job list's
// `{…job…}` filled in with the job example.
func docExamples(t *testing.T) map[string]string {
	t.Helper()
	md, err := os.ReadFile("../docs/crmd-api.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```json\n(.*?)```").FindAllSubmatch(md, -1)
	ex := map[string]string{}
	for _, b := range blocks {
		text := string(b[1])
		switch {
		case strings.HasPrefix(text, `{"preview"`):
			ex["preview"] = text
		case strings.HasPrefix(text, `{"audit"`):
			ex["audit"] = text
		case strings.HasPrefix(text, `{"jobs"`):
			ex["jobs"] = text
		case strings.Contains(text, `"cancel_requested"`):
			ex["job"] = text
		}
	}
	for _, k := range []string{"job", "preview", "jobs", "audit"} {
		if ex[k] == "" {
			t.Fatalf("docs/crmd-api.md has no %s example any more", k)
		}
	}
	ex["jobs"] = strings.Replace(ex["jobs"], "{…job…}", ex["job"], 1)
	for k, v := range ex {
		if !json.Valid([]byte(v)) {
			t.Fatalf("the %s example of docs/crmd-api.md is not JSON: %s", k, v)
		}
	}
	return ex
}

// TestDocExamplesValidate: every complete answer shown in docs/crmd-api.md is valid by the document.
func TestDocExamplesValidate(t *testing.T) {
	ex := docExamples(t)
	jobAnswer := `{"job":` + ex["job"] + `}`
	wantValid(t, "the job", "GET", "/crmd/v1/jobs/5725767000000412001", 200, jsonCT, jobAnswer)
	wantValid(t, "a cancel", "POST", "/crmd/v1/jobs/5725767000000412001/actions/cancel", 200, jsonCT, jobAnswer)
	undo := mutate(t, ex["job"], func(j map[string]any) {
		j["kind"], j["undo_of"], j["undone_by"], j["cvid"], j["territory"] = "undo", j["id"], nil, nil, nil
		j["status"], j["started_time"], j["finished_time"] = "SCHEDULED", nil, nil
	})
	wantValid(t, "an undo", "POST", "/crmd/v1/jobs/5725767000000412001/actions/undo", 202, jsonCT, `{"job":`+undo+`}`)
	wantValid(t, "the preview", "POST", "/crmd/v1/Leads/actions/mass_delete/preview", 200, jsonCT, ex["preview"])
	wantValid(t, "the job list", "GET", "/crmd/v1/jobs?kind=mass_delete&page=1", 200, jsonCT, ex["jobs"])
	wantValid(t, "the audit trail", "GET", "/crmd/v1/audit?module=Leads", 200, jsonCT, ex["audit"])

	// The nullable keys take null: a retention job of the system, and a cvid preview with its running job.
	system := mutate(t, ex["job"], func(j map[string]any) {
		j["kind"], j["module"], j["created_by"], j["cvid"], j["territory"], j["undone_by"] = "retention_purge", nil, nil, nil, nil, nil
		j["status"], j["error"] = "FAILED", "the database went away"
	})
	wantValid(t, "a system job", "GET", "/crmd/v1/jobs/5725767000000412001", 200, jsonCT, `{"job":`+system+`}`)
	cvid := mutate(t, ex["preview"], func(p map[string]any) {
		pv := p["preview"].(map[string]any)
		pv["selection"], pv["outcome"], pv["invalid"] = "cvid", "ALREADY_SCHEDULED", 0
		pv["running_job"] = decode(t, ex["job"])
		delete(pv, "verdicts")
	})
	wantValid(t, "a cvid preview", "POST", "/crmd/v1/Leads/actions/mass_delete/preview", 200, jsonCT, cvid)
	retention := mutate(t, ex["audit"], func(a map[string]any) {
		e := a["audit"].([]any)[0].(map[string]any)
		e["actor"], e["via"], e["job_id"], e["action"] = nil, "retention", nil, "purged"
	})
	wantValid(t, "a retention entry", "GET", "/crmd/v1/audit", 200, jsonCT, retention)
}

// TestContractRejectsWrongAnswers: extra or misspelled keys, wrong types and values, undocumented
// statuses and content types all fail the check.
func TestContractRejectsWrongAnswers(t *testing.T) {
	ex := docExamples(t)
	get := func(what, body, mention string) {
		t.Helper()
		wantInvalid(t, what, "GET", "/crmd/v1/jobs/5725767000000412001", 200, jsonCT, body, mention)
	}
	job := func(f func(j map[string]any)) string { return `{"job":` + mutate(t, ex["job"], f) + `}` }

	get("an unknown key in a job", job(func(j map[string]any) { j["colour"] = "red" }), "colour")
	get("a misspelled key in a job", job(func(j map[string]any) { j["undoneBy"] = j["undone_by"]; delete(j, "undone_by") }), "undoneBy")
	get("a job without a key", job(func(j map[string]any) { delete(j, "cancel_requested") }), "cancel_requested")
	get("an unknown key in created_by", job(func(j map[string]any) { j["created_by"].(map[string]any)["email"] = "a@b.test" }), "email")
	get("an unknown key in the territory", job(func(j map[string]any) { j["territory"].(map[string]any)["name"] = "West" }), "name")
	get("an unknown key beside the job", `{"job":`+ex["job"]+`,"info":{}}`, "info")
	get("an unknown status", job(func(j map[string]any) { j["status"] = "DONE" }), "status")
	get("an unknown kind", job(func(j map[string]any) { j["kind"] = "mass_update" }), "kind")
	get("progress over 100", job(func(j map[string]any) { j["progress"] = 101 }), "progress")
	get("a fractional progress", job(func(j map[string]any) { j["progress"] = 99.5 }), "progress")
	get("a numeric id", job(func(j map[string]any) { j["id"] = 5725767000000412001 }), "id")
	get("an id that is not digits", job(func(j map[string]any) { j["id"] = "abc" }), "id")
	get("a time without its offset", job(func(j map[string]any) { j["created_time"] = "2024-05-13T13:32:33" }), "created_time")
	get("a time in milliseconds", job(func(j map[string]any) { j["finished_time"] = 1715587355000 }), "finished_time")
	get("a null created_time", job(func(j map[string]any) { j["created_time"] = nil }), "created_time")

	preview := func(f func(p map[string]any)) string {
		return mutate(t, ex["preview"], func(p map[string]any) { f(p["preview"].(map[string]any)) })
	}
	post := func(what, body, mention string) {
		t.Helper()
		wantInvalid(t, what, "POST", "/crmd/v1/Leads/actions/mass_delete/preview", 200, jsonCT, body, mention)
	}
	post("an unknown key in a preview", preview(func(p map[string]any) { p["locked"] = false }), "locked")
	post("an unknown key in a sample", preview(func(p map[string]any) { p["sample"].([]any)[0].(map[string]any)["Last_Name"] = "x" }), "Last_Name")
	post("an unknown key in a verdict", preview(func(p map[string]any) { p["verdicts"].([]any)[0].(map[string]any)["code"] = "x" }), "code")
	post("an unknown outcome", preview(func(p map[string]any) { p["outcome"] = "MAYBE" }), "outcome")
	post("a sample of 11", preview(func(p map[string]any) {
		s := p["sample"].([]any)
		for len(s) < 11 {
			s = append(s, s[0])
		}
		p["sample"] = s
	}), "sample")
	post("a running job of the wrong shape", preview(func(p map[string]any) { p["running_job"] = map[string]any{"id": "1"} }), "running_job")

	audit := func(what string, f func(e map[string]any), mention string) {
		t.Helper()
		body := mutate(t, ex["audit"], func(a map[string]any) { f(a["audit"].([]any)[0].(map[string]any)) })
		wantInvalid(t, what, "GET", "/crmd/v1/audit", 200, jsonCT, body, mention)
	}
	audit("an unknown key in an audit entry", func(e map[string]any) { e["ip"] = "127.0.0.1" }, "ip")
	audit("an unknown action", func(e map[string]any) { e["action"] = "updated" }, "action")
	audit("an unknown via", func(e map[string]any) { e["via"] = "api" }, "via")
	audit("an actor without a name", func(e map[string]any) { delete(e["actor"].(map[string]any), "name") }, "name")

	list := func(what string, f func(l map[string]any), mention string) {
		t.Helper()
		wantInvalid(t, what, "GET", "/crmd/v1/jobs", 200, jsonCT, mutate(t, strings.Replace(ex["jobs"], "{…job…}", ex["job"], 1), f), mention)
	}
	list("an unknown key in info", func(l map[string]any) { l["info"].(map[string]any)["total"] = 1 }, "total")
	list("per_page over 200", func(l map[string]any) { l["info"].(map[string]any)["per_page"] = 201 }, "per_page")
	list("an empty list answered 200", func(l map[string]any) { l["jobs"] = []any{} }, "jobs")

	// Statuses, content types and bodies the document does not give.
	jobAnswer := `{"job":` + ex["job"] + `}`
	wantInvalid(t, "201 for an undo", "POST", "/crmd/v1/jobs/1/actions/undo", 201, jsonCT, jobAnswer, "201")
	wantInvalid(t, "200 for an undo", "POST", "/crmd/v1/jobs/1/actions/undo", 200, jsonCT, jobAnswer, "200")
	wantInvalid(t, "a job as text", "GET", "/crmd/v1/jobs/1", 200, "text/plain", jobAnswer, "text/plain")
	wantInvalid(t, "a job without a content type", "GET", "/crmd/v1/jobs/1", 200, "", jobAnswer, "content type")
	wantInvalid(t, "CSV from the job list", "GET", "/crmd/v1/jobs?format=csv", 200, "text/csv", "id\n", "text/csv")
	wantInvalid(t, "JSON from the event stream", "GET", "/crmd/v1/jobs/1/events", 200, jsonCT, jobAnswer, "content type")
	wantInvalid(t, "a 204 with a body", "GET", "/crmd/v1/jobs", 204, "", `{"jobs":[]}`, "204")
	wantInvalid(t, "an undocumented path answered 200", "GET", "/crmd/v1/jobs/1/actions/cancel", 200, jsonCT, jobAnswer, "not in the OpenAPI document")
	wantInvalid(t, "an unknown path answered 200", "GET", "/crmd/v1/nope", 200, jsonCT, `{}`, "not in the OpenAPI document")
}

// TestContractErrors: Zoho's error object validates for every documented error status and for the
// refusals of paths and methods the document does not have; anything else in its place does not.
func TestContractErrors(t *testing.T) {
	invalidKind := `{"code":"INVALID_DATA","details":{"param_name":"kind"},"message":"invalid data","status":"error"}`
	wantValid(t, "a bad kind", "GET", "/crmd/v1/jobs?kind=nope", 400, jsonCT, invalidKind)
	wantValid(t, "a bad per_page", "GET", "/crmd/v1/audit?per_page=0", 400, jsonCT,
		`{"code":"INVALID_DATA","details":{"param_name":"per_page"},"message":"invalid data","status":"error"}`)
	wantValid(t, "an unknown job", "GET", "/crmd/v1/jobs/1", 404, jsonCT,
		`{"code":"NOT_FOUND","details":{"id":"1"},"message":"the job was not found","status":"error"}`)
	wantValid(t, "a finished job", "POST", "/crmd/v1/jobs/1/actions/cancel", 400, jsonCT,
		`{"code":"NOT_ALLOWED","details":{"id":"1","status":"COMPLETED"},"message":"the job has already finished","status":"error"}`)
	wantValid(t, "someone else's job", "POST", "/crmd/v1/jobs/1/actions/undo", 403, jsonCT,
		`{"code":"NO_PERMISSION","details":{"permissions":["Crm_Implied_Mass_Delete"]},"message":"permission denied","status":"error"}`)
	wantValid(t, "no token", "GET", "/crmd/v1/jobs/1/events", 401, jsonCT,
		`{"code":"AUTHENTICATION_FAILURE","details":{},"message":"Authentication failed","status":"error"}`)
	wantValid(t, "a large body", "POST", "/crmd/v1/Leads/actions/mass_delete/preview", 413, jsonCT,
		`{"code":"REQUEST_ENTITY_TOO_LARGE","details":{"limit":8388608},"message":"request body is too large","status":"error"}`)
	for _, status := range []int{429, 500, 503} {
		wantValid(t, fmt.Sprint(status), "GET", "/crmd/v1/audit?format=csv", status, jsonCT,
			`{"code":"X","details":{},"message":"x","status":"error"}`)
	}
	wantValid(t, "an unknown path", "GET", "/crmd/v1/nope", 404, jsonCT,
		`{"code":"INVALID_URL_PATTERN","details":{},"message":"Please check if the URL trying to access is a correct one","status":"error"}`)
	wantValid(t, "a method the path does not take", "DELETE", "/crmd/v1/jobs", 400, jsonCT,
		`{"code":"INVALID_REQUEST_METHOD","details":{},"message":"The http request method type is not a valid one","status":"error"}`)

	wantInvalid(t, "an error with status success", "GET", "/crmd/v1/jobs?kind=nope", 400, jsonCT,
		`{"code":"INVALID_DATA","details":{},"message":"invalid data","status":"success"}`, "status")
	wantInvalid(t, "an error without details", "GET", "/crmd/v1/jobs?kind=nope", 400, jsonCT,
		`{"code":"INVALID_DATA","message":"invalid data","status":"error"}`, "details")
	wantInvalid(t, "details that are not an object", "GET", "/crmd/v1/jobs/1", 404, jsonCT,
		`{"code":"NOT_FOUND","details":"1","message":"the job was not found","status":"error"}`, "details")
	wantInvalid(t, "an error status that is not documented", "GET", "/crmd/v1/jobs/1", 409, jsonCT, invalidKind, "409")
	wantInvalid(t, "a bare error of an unknown path", "GET", "/crmd/v1/nope", 404, jsonCT, `{"error":"not found"}`, "error object")
}

// TestContractStreams: the event stream and the audit's CSV are checked for their status and content
// type only.
func TestContractStreams(t *testing.T) {
	wantValid(t, "an event stream", "GET", "/crmd/v1/jobs/1/events", 200, "text/event-stream", "data: {}\n\n")
	wantValid(t, "the audit as CSV", "GET", "/crmd/v1/audit?format=csv", 200, "text/csv; charset=utf-8",
		"id,time,action,via,module,record_id,display_name,actor_id,actor_name,job_id\n")
	wantValid(t, "no audit", "GET", "/crmd/v1/audit?format=csv", 204, "", "")
	wantValid(t, "no jobs", "GET", "/crmd/v1/jobs?status=RUNNING", 204, "", "")
	wantInvalid(t, "an event stream answered 202", "GET", "/crmd/v1/jobs/1/events", 202, "text/event-stream", "", "202")
}

// recorder is a testing.TB that keeps the errors it is given instead of failing the test.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Helper() {}

// TestDoJSONChecksCrmdV1: DoJSON checks the /crmd/v1 answers it receives, and only those.
func TestDoJSONChecksCrmdV1(t *testing.T) {
	ex := docExamples(t)
	bad := `{"job":` + mutate(t, ex["job"], func(j map[string]any) { j["extra"] = true }) + `}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", jsonCT)
		if r.URL.Path == "/crmd/v1/jobs/1" && r.URL.Query().Get("good") != "" {
			fmt.Fprint(w, `{"job":`+ex["job"]+`}`)
			return
		}
		fmt.Fprint(w, bad)
	}))
	defer srv.Close()

	rec := &recorder{TB: t}
	status, body := crmdtest.DoJSON(rec, "GET", srv.URL+"/crmd/v1/jobs/1", "", nil)
	if status != 200 || body["job"] == nil {
		t.Fatalf("DoJSON gave %d %v", status, body)
	}
	if len(rec.errs) != 1 || !strings.Contains(rec.errs[0], "extra") {
		t.Errorf("DoJSON of an answer with an extra key reported %q", rec.errs)
	}
	rec.errs = nil
	crmdtest.DoJSON(rec, "GET", srv.URL+"/crmd/v1/jobs/1?good=1", "", nil)
	crmdtest.DoJSON(rec, "GET", srv.URL+"/crm/v8/Leads", "", nil)
	if len(rec.errs) != 0 {
		t.Errorf("DoJSON reported %q for a valid answer and a Zoho path", rec.errs)
	}
}

// TestValidatingTransport: a client on ValidatingTransport checks /crmd/v1 answers, still reads their
// bodies whole, and follows an event stream as it comes.
func TestValidatingTransport(t *testing.T) {
	ex := docExamples(t)
	bad := `{"job":` + mutate(t, ex["job"], func(j map[string]any) { j["extra"] = true }) + `}`
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/crmd/v1/jobs/1/events":
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(200)
			fmt.Fprintf(w, "data: %s\n\n", strings.ReplaceAll(ex["job"], "\n", ""))
			w.(http.Flusher).Flush()
			<-release // the stream stays open until the client has read the first event
		default:
			w.Header().Set("Content-Type", jsonCT)
			fmt.Fprint(w, bad)
		}
	}))
	defer srv.Close()
	defer close(release)

	rec := &recorder{TB: t}
	client := &http.Client{Transport: crmdtest.ValidatingTransport(rec, nil), Timeout: 10 * time.Second}
	for _, path := range []string{"/crmd/v1/jobs/1", "/crm/v8/Leads"} {
		resp, err := client.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(got) != bad {
			t.Errorf("%s: the client read %q, want the whole body", path, got)
		}
	}
	if len(rec.errs) != 1 || !strings.Contains(rec.errs[0], "extra") || !strings.Contains(rec.errs[0], "/crmd/v1/jobs/1") {
		t.Errorf("the transport reported %q, want one problem of /crmd/v1/jobs/1", rec.errs)
	}

	rec.errs = nil
	resp, err := client.Get(srv.URL + "/crmd/v1/jobs/1/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, `data: {`) {
		t.Errorf("first line of the stream %q, %v", line, err)
	}
	if len(rec.errs) != 0 {
		t.Errorf("the transport reported %q for a documented event stream", rec.errs)
	}
}

// decode parses a JSON object.
func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return m
}

// mutate returns the JSON object s changed by f.
func mutate(t *testing.T, s string, f func(map[string]any)) string {
	t.Helper()
	m := decode(t, s)
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
