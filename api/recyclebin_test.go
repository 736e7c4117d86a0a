package api_test

import (
	"fmt"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/api"
	"github.com/crmd/crmd/app"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/store"
)

// binScope is what the recycle-bin tests' tokens carry unless a test says otherwise.
const binScope = "ZohoCRM.settings.recycle_bin.ALL,ZohoCRM.modules.ALL"

// binNow is the tests' fixed clock: 2024-05-13T13:32:33+05:30 in the orgs' zone.
var binNow = time.Date(2024, 5, 13, 8, 2, 33, 0, time.UTC)

const binStamp = "2024-05-13T13:32:33+05:30"

type binOrg struct {
	fx               *crmdtest.Org
	adminTok, stdTok string
	leads            string // the Leads module id
}

// binEnv is a crmd server on a real SQLite file with two orgs, A and B.
type binEnv struct {
	t     *testing.T
	st    *store.Store
	ts    *httptest.Server
	clock *crmdtest.Clock
	app   *app.App
	a, b  binOrg
}

func newBinEnv(t *testing.T) *binEnv {
	t.Helper()
	st := crmdtest.OpenStore(t)
	e := &binEnv{t: t, st: st, clock: crmdtest.UseClock(st, binNow)}
	e.app = newApp(t, st, api.Config{}, nil)
	e.ts = httptest.NewServer(e.app.API)
	t.Cleanup(e.ts.Close)
	for _, o := range []struct {
		name string
		dst  *binOrg
	}{{"Acme", &e.a}, {"Beta", &e.b}} {
		fx := crmdtest.NewTeam(t, st, o.name, "Asia/Kolkata")
		*o.dst = binOrg{fx: fx, adminTok: fx.Token(t, fx.Admin, binScope), stdTok: fx.Token(t, fx.Std, binScope), leads: fx.Module(t, "Leads").ID.String()}
	}
	return e
}

// runJobs runs every scheduled job to its end, as the server's job runner does in the background.
func (e *binEnv) runJobs() {
	e.t.Helper()
	drainJobs(e.t, e.app)
}

func (e *binEnv) do(method, path, token, body string) (int, map[string]any) {
	e.t.Helper()
	return crmdtest.DoJSON(e.t, method, e.ts.URL+path, body, crmdtest.Auth(token))
}

// want sends a request and checks the status and, unless answer is "", the whole JSON answer.
func (e *binEnv) want(method, path, token, body string, status int, answer string) map[string]any {
	e.t.Helper()
	st, got := e.do(method, path, token, body)
	if st != status {
		e.t.Fatalf("%s %s %s: status %d, want %d; body %v", method, path, body, st, status, got)
	}
	if answer != "" {
		crmdtest.JSONEq(e.t, method+" "+path+" "+body, got, answer)
	}
	return got
}

// wantErr checks a request-level error: status, code and details (the message is not checked).
func (e *binEnv) wantErr(method, path, token, body string, status int, code, details string) {
	e.t.Helper()
	got := e.want(method, path, token, body, status, "")
	if got["code"] != code || got["status"] != "error" {
		e.t.Errorf("%s %s %s: %v, want %s", method, path, body, got, code)
		return
	}
	crmdtest.JSONEq(e.t, method+" "+path+" "+body+" details", got["details"], details)
}

// binned inserts Leads as the token's user and deletes them again, returning their ids.
func (e *binEnv) binned(token string, names ...string) []string {
	e.t.Helper()
	var items []string
	for _, n := range names {
		items = append(items, fmt.Sprintf(`{"Last_Name":%q,"Company":"Zylker"}`, n))
	}
	st, body := e.do("POST", "/crm/v8/Leads", token, `{"data":[`+strings.Join(items, ",")+`]}`)
	if st != 201 {
		e.t.Fatalf("insert: %d %v", st, body)
	}
	ids := crmdtest.DetailIDs(e.t, body, "data")
	e.want("DELETE", "/crm/v8/Leads?ids="+strings.Join(ids, ","), token, "", 200, "")
	return ids
}

// item is the JSON of a bin item deleted at binStamp.
func binItem(o binOrg, id, name string, owner, by *crmd.User) string {
	return fmt.Sprintf(`{"display_name":%q,"deleted_time":%q,"owner":{"name":%q,"id":%q},"module":{"api_name":"Leads","id":%q},"deleted_by":{"name":%q,"id":%q},"id":%q}`,
		name, binStamp, owner.FullName(), owner.ID.String(), o.leads, by.FullName(), by.ID.String(), id)
}

func ok(msg, id string) string {
	return fmt.Sprintf(`{"code":"SUCCESS","details":{"id":%q},"message":%q,"status":"success"}`, id, msg)
}

func invalidID(id string) string {
	return fmt.Sprintf(`{"code":"INVALID_DATA","details":{"id":%q},"message":"the id given seems to be invalid","status":"error"}`, id)
}

func TestRecycleBinListGetCount(t *testing.T) {
	e := newBinEnv(t)
	a := e.a
	e.want("GET", "/crm/v8/settings/recycle_bin", a.adminTok, "", 204, "")
	e.want("GET", "/crm/v8/settings/recycle_bin/actions/count", a.adminTok, "", 200, `{"count":0}`)

	ids := e.binned(a.adminTok, "Smith", "Jones")
	e.clock.Advance(time.Second)
	mine := e.binned(a.stdTok, "Rep")
	repStamp := "2024-05-13T13:32:34+05:30"
	repItem := strings.Replace(binItem(a, mine[0], "Rep", a.fx.Std, a.fx.Std), binStamp, repStamp, 1)

	e.want("GET", "/crm/v8/settings/recycle_bin", a.stdTok, "", 200, `{"recycle_bin":[`+repItem+`,`+
		binItem(a, ids[1], "Jones", a.fx.Admin, a.fx.Admin)+`,`+binItem(a, ids[0], "Smith", a.fx.Admin, a.fx.Admin)+
		`],"info":{"per_page":200,"count":3,"page":1,"more_records":false}}`)
	e.want("GET", "/crm/v6/settings/recycle_bin?sort_by=display_name&sort_order=asc&per_page=2", a.adminTok, "", 200, `{"recycle_bin":[`+
		binItem(a, ids[1], "Jones", a.fx.Admin, a.fx.Admin)+`,`+repItem+`],"info":{"per_page":2,"count":2,"page":1,"more_records":true}}`)
	e.want("GET", "/crm/v7/settings/recycle_bin?ids="+ids[0]+"&page=1", a.adminTok, "", 200, `{"recycle_bin":[`+
		binItem(a, ids[0], "Smith", a.fx.Admin, a.fx.Admin)+`],"info":{"per_page":200,"count":1,"page":1,"more_records":false}}`)
	filter := url.QueryEscape(`{"field":{"api_name":"deleted_by"},"comparator":"equal","value":"` + a.fx.Std.ID.String() + `"}`)
	e.want("GET", "/crm/v8/settings/recycle_bin?filters="+filter, a.adminTok, "", 200, `{"recycle_bin":[`+repItem+
		`],"info":{"per_page":200,"count":1,"page":1,"more_records":false}}`)
	e.want("GET", "/crm/v8/settings/recycle_bin?page=2&per_page=3", a.adminTok, "", 204, "")

	e.want("GET", "/crm/v8/settings/recycle_bin/"+ids[0], a.adminTok, "", 200, `{"recycle_bin":[`+binItem(a, ids[0], "Smith", a.fx.Admin, a.fx.Admin)+`]}`)
	e.want("GET", "/crm/v8/settings/recycle_bin/actions/count", a.adminTok, "", 200, `{"count":3}`)
	e.want("GET", "/crm/v8/settings/recycle_bin/actions/count?module=leads", a.adminTok, "", 200, `{"count":3}`)
	e.want("GET", "/crm/v8/settings/recycle_bin/actions/count?module=Accounts", a.adminTok, "", 200, `{"count":0}`)

	// A live record is not in the bin.
	st, body := e.do("POST", "/crm/v8/Leads", a.adminTok, `{"data":[{"Last_Name":"Live"}]}`)
	if st != 201 {
		t.Fatalf("insert: %d %v", st, body)
	}
	live := crmdtest.DetailIDs(t, body, "data")[0]

	for _, c := range []struct {
		path, code, details string
		status              int
	}{
		{"/settings/recycle_bin?sort_by=name", "INVALID_DATA", `{"param_name":"sort_by","supported_values":["display_name","deleted_time","deleted_by"]}`, 400},
		{"/settings/recycle_bin?sort_order=up", "INVALID_DATA", `{"param_name":"sort_order","supported_values":["asc","desc"]}`, 400},
		{"/settings/recycle_bin?ids=12,x", "INVALID_DATA", `{"param_name":"ids"}`, 400},
		{"/settings/recycle_bin?page=0", "INVALID_DATA", `{"param_name":"page"}`, 400},
		{"/settings/recycle_bin?filters=%7B", "INVALID_DATA", `{"param_name":"filters"}`, 400},
		{"/settings/recycle_bin/abc", "INVALID_DATA", `{"resource_path_index":2}`, 400},
		{"/settings/recycle_bin/" + live, "INVALID_DATA", `{"resource_path_index":2}`, 400},
		{"/settings/recycle_bin/actions/count?module=Nope", "INVALID_MODULE", `{"param_name":"module"}`, 400},
	} {
		e.wantErr("GET", "/crm/v8"+c.path, a.adminTok, "", c.status, c.code, c.details)
	}
}

func TestRecycleBinRestore(t *testing.T) {
	e := newBinEnv(t)
	a := e.a
	ids := e.binned(a.adminTok, "Smith", "Jones", "Brown")
	mine := e.binned(a.stdTok, "Rep")
	const restored = "record restored successfully"

	// Request-level errors change nothing.
	e.wantErr("POST", "/crm/v8/settings/recycle_bin/actions/restore", a.adminTok, "", 400, "EXPECTED_PARAM_MISSING", `{"param_names":["filters","ids","restore_all_records"]}`)
	e.wantErr("POST", "/crm/v8/settings/recycle_bin/actions/restore", a.adminTok, `{"ids":[],"restore_all_records":false}`, 400, "EXPECTED_PARAM_MISSING", `{"param_names":["filters","ids","restore_all_records"]}`)
	e.wantErr("POST", "/crm/v8/settings/recycle_bin/actions/restore", a.adminTok, `{"ids":["`+ids[0]+`"],"restore_all_records":true}`, 400, "AMBIGUITY_DURING_PROCESSING", `{"ambiguity_due_to":["ids","restore_all_records"]}`)
	e.wantErr("POST", "/crm/v8/settings/recycle_bin/actions/restore", a.adminTok, `{"ids":`, 400, "UNABLE_TO_PARSE_DATA_TYPE", `{}`)
	e.wantErr("POST", "/crm/v8/settings/recycle_bin/actions/restore", a.adminTok, `{"ids":"`+ids[0]+`"}`, 400, "INVALID_DATA", `{"api_name":"ids","json_path":"$.ids","expected_data_type":"jsonarray"}`)
	e.wantErr("POST", "/crm/v8/settings/recycle_bin/actions/restore", a.adminTok, `{"ids":["`+ids[0]+`","x1"]}`, 400, "INVALID_DATA", `{"api_name":"ids","json_path":"$.ids[1]","id":"x1"}`)
	e.wantErr("POST", "/crm/v8/settings/recycle_bin/actions/restore", a.adminTok, `{"restore_all_records":"yes"}`, 400, "INVALID_DATA", `{"api_name":"restore_all_records","json_path":"$.restore_all_records","expected_data_type":"boolean"}`)
	var many []string
	for i := 1; i <= 201; i++ {
		many = append(many, fmt.Sprintf(`"%d"`, i))
	}
	e.wantErr("POST", "/crm/v8/settings/recycle_bin/actions/restore", a.adminTok, `{"ids":[`+strings.Join(many, ",")+`]}`, 400, "LIMIT_EXCEEDED", `{"limit":200,"api_name":"ids","json_path":"$.ids"}`)
	e.wantErr("POST", "/crm/v8/settings/recycle_bin/actions/restore", a.adminTok, `{"filters":{"field":"nope","comparator":"equal","value":"x"}}`, 400, "INVALID_DATA",
		`{"api_name":"field","json_path":"$.filters.field","supported_values":["display_name","module","deleted_by","deleted_time"]}`)
	e.want("GET", "/crm/v8/settings/recycle_bin/actions/count", a.adminTok, "", 200, `{"count":4}`)

	// The Standard user may restore only its own records; unknown ids are invalid.
	e.want("POST", "/crm/v8/settings/recycle_bin/actions/restore", a.stdTok, `{"ids":["`+ids[0]+`","`+mine[0]+`","42"]}`, 207,
		`{"recycle_bin":[{"code":"NO_PERMISSION","details":{"id":"`+ids[0]+`"},"message":"permission denied","status":"error"},`+
			ok(restored, mine[0])+`,`+invalidID("42")+`]}`)
	e.want("GET", "/crm/v8/Leads/"+mine[0], a.stdTok, "", 200, "")
	// All succeeded: 200; the same id twice counts once (D2).
	e.want("POST", "/crm/v8/settings/recycle_bin/actions/restore", a.adminTok, `{"ids":["`+ids[0]+`",`+ids[0]+`]}`, 200,
		`{"recycle_bin":[`+ok(restored, ids[0])+`]}`)
	got := e.want("GET", "/crm/v8/Leads/"+ids[0], a.adminTok, "", 200, "")
	if rec := crmdtest.Entries(t, got)[0]; rec["id"] != ids[0] || rec["Last_Name"] != "Smith" || rec["Company"] != "Zylker" {
		t.Errorf("restored record %v", rec)
	}
	// All failed (already restored, or never deleted): 400.
	e.want("POST", "/crm/v8/settings/recycle_bin/actions/restore", a.adminTok, `{"ids":["`+ids[0]+`"]}`, 400, `{"recycle_bin":[`+invalidID(ids[0])+`]}`)
	// One id in the path.
	e.want("POST", "/crm/v8/settings/recycle_bin/"+ids[1]+"/actions/restore", a.adminTok, "", 200, `{"recycle_bin":[`+ok(restored, ids[1])+`]}`)
	e.wantErr("POST", "/crm/v8/settings/recycle_bin/x/actions/restore", a.adminTok, "", 400, "INVALID_DATA", `{"resource_path_index":2}`)
	// By filters: 202 SCHEDULED with a job id at once; the job runner restores the records.
	got = e.want("POST", "/crm/v8/settings/recycle_bin/actions/restore", a.adminTok, `{"filters":{"field":"display_name","comparator":"equal","value":"brown"}}`, 202, "")
	entry := crmdtest.Items(t, got, "recycle_bin")[0]
	if entry["code"] != "SCHEDULED" || entry["status"] != "success" || !crmdtest.IsID(entry["details"].(map[string]any)["job_id"]) || entry["message"] == "" {
		t.Errorf("scheduled entry %v", entry)
	}
	e.want("GET", "/crm/v8/settings/recycle_bin/actions/count", a.adminTok, "", 200, `{"count":1}`)
	e.runJobs()
	e.want("GET", "/crm/v8/Leads/"+ids[2], a.adminTok, "", 200, "")
	e.want("GET", "/crm/v8/settings/recycle_bin/actions/count", a.adminTok, "", 200, `{"count":0}`)
}

func TestRecycleBinPermanentDeleteAndEmpty(t *testing.T) {
	e := newBinEnv(t)
	a := e.a
	ids := e.binned(a.adminTok, "Smith", "Jones", "Brown", "Green")
	mine := e.binned(a.stdTok, "Rep")
	const deleted = "record deleted permanently"

	e.wantErr("DELETE", "/crm/v8/settings/recycle_bin", a.adminTok, "", 400, "EXPECTED_PARAM_MISSING", `{"param_names":["filters","ids"]}`)
	e.wantErr("DELETE", "/crm/v8/settings/recycle_bin?ids=1&filters=%7B%7D", a.adminTok, "", 400, "AMBIGUITY_DURING_PROCESSING", `{"ambiguity_due_to":["filters","ids"]}`)
	e.wantErr("DELETE", "/crm/v8/settings/recycle_bin?ids=1,a", a.adminTok, "", 400, "UNABLE_TO_PARSE_DATA_TYPE", `{"param_name":"ids"}`)
	e.wantErr("DELETE", "/crm/v8/settings/recycle_bin/abc", a.adminTok, "", 400, "INVALID_DATA", `{"resource_path_index":2}`)

	e.want("DELETE", "/crm/v8/settings/recycle_bin?ids="+ids[0]+",42", a.adminTok, "", 207, `{"recycle_bin":[`+ok(deleted, ids[0])+`,`+invalidID("42")+`]}`)
	e.want("DELETE", "/crm/v8/settings/recycle_bin?ids="+ids[0], a.adminTok, "", 400, `{"recycle_bin":[`+invalidID(ids[0])+`]}`)
	// Another user's record: zoho/crm-oas v8.0/recycle_bin.json's CANNOT_DELETE, an entry of status
	// success, so 200 alone and 207 beside an invalid id; the record stays in the bin.
	cannot := func(id string) string {
		return `{"code":"CANNOT_DELETE","details":{"id":"` + id + `"},"message":"permission denied","status":"success"}`
	}
	e.want("DELETE", "/crm/v8/settings/recycle_bin/"+ids[1], a.stdTok, "", 200, `{"recycle_bin":[`+cannot(ids[1])+`]}`)
	e.want("DELETE", "/crm/v8/settings/recycle_bin?ids="+ids[1]+",42", a.stdTok, "", 207, `{"recycle_bin":[`+cannot(ids[1])+`,`+invalidID("42")+`]}`)
	e.want("GET", "/crm/v8/settings/recycle_bin/"+ids[1], a.adminTok, "", 200, "")
	e.want("DELETE", "/crm/v8/settings/recycle_bin/"+mine[0], a.stdTok, "", 200, `{"recycle_bin":[`+ok(deleted, mine[0])+`]}`)
	// A purged record can no longer be restored, and /deleted lists it as permanent, with nulls.
	e.want("POST", "/crm/v8/settings/recycle_bin/"+ids[0]+"/actions/restore", a.adminTok, "", 400, `{"recycle_bin":[`+invalidID(ids[0])+`]}`)
	e.want("GET", "/crm/v8/Leads/deleted?type=permanent", a.adminTok, "", 200, `{"data":[`+
		`{"id":"`+mine[0]+`","type":"permanent","display_name":null,"deleted_by":null,"created_by":null,"deleted_time":"`+binStamp+`"},`+
		`{"id":"`+ids[0]+`","type":"permanent","display_name":null,"deleted_by":null,"created_by":null,"deleted_time":"`+binStamp+`"}],`+
		`"info":{"per_page":200,"count":2,"page":1,"more_records":false}}`)

	filter := url.QueryEscape(`{"field":"display_name","comparator":"in","value":["Jones","Brown"]}`)
	got := e.want("DELETE", "/crm/v8/settings/recycle_bin?filters="+filter, a.adminTok, "", 202, "")
	if entry := crmdtest.Items(t, got, "recycle_bin")[0]; entry["code"] != "SCHEDULED" || !crmdtest.IsID(entry["details"].(map[string]any)["job_id"]) {
		t.Errorf("scheduled entry %v", entry)
	}
	e.runJobs()
	e.want("GET", "/crm/v8/settings/recycle_bin/actions/count", a.adminTok, "", 200, `{"count":1}`)

	e.wantErr("POST", "/crm/v8/settings/recycle_bin/actions/empty", a.stdTok, "", 403, "NO_PERMISSION", `{"permissions":["Crm_Implied_Empty_Recycle_Bin"]}`)
	// Zoho's sample answer, bare (Empty Recycle Bin, v8).
	e.want("POST", "/crm/v8/settings/recycle_bin/actions/empty", a.adminTok, "", 200,
		`{"code":"SUCCESS","details":{},"message":"recyclebin is cleared","status":"success"}`)
	e.want("GET", "/crm/v8/settings/recycle_bin", a.adminTok, "", 204, "")
}

func TestRecycleBinVersionsScopesAndMethods(t *testing.T) {
	e := newBinEnv(t)
	a := e.a
	for _, c := range []struct{ method, path string }{
		{"GET", "/settings/recycle_bin"}, {"DELETE", "/settings/recycle_bin?ids=1"}, {"GET", "/settings/recycle_bin/1"},
		{"DELETE", "/settings/recycle_bin/1"}, {"GET", "/settings/recycle_bin/actions/count"},
		{"POST", "/settings/recycle_bin/actions/restore"}, {"POST", "/settings/recycle_bin/1/actions/restore"},
		{"POST", "/settings/recycle_bin/actions/empty"},
	} {
		for _, v := range []string{"v2", "v2.1", "v5"} {
			e.wantErr(c.method, "/crm/"+v+c.path, a.adminTok, "", 400, "API_NOT_SUPPORTED", `{"supported_version":6}`)
		}
	}
	e.wantErr("PUT", "/crm/v8/settings/recycle_bin", a.adminTok, "", 400, "INVALID_REQUEST_METHOD", `{}`)
	e.wantErr("POST", "/crm/v8/settings/recycle_bin/actions/count", a.adminTok, "", 400, "INVALID_REQUEST_METHOD", `{}`)
	e.wantErr("GET", "/crm/v8/settings/recycle_bin", "", "", 401, "AUTHENTICATION_FAILURE", `{}`)

	read := a.fx.Token(t, a.fx.Admin, "ZohoCRM.settings.recycle_bin.READ")
	update := a.fx.Token(t, a.fx.Admin, "ZohoCRM.settings.recycle_bin.UPDATE")
	modules := a.fx.Token(t, a.fx.Admin, "ZohoCRM.modules.ALL,ZohoCRM.settings.fields.ALL")
	settings := a.fx.Token(t, a.fx.Admin, "ZohoCRM.settings.ALL")
	for _, c := range []struct {
		method, path, token string
		status              int
	}{
		{"GET", "/settings/recycle_bin", modules, 401},
		{"GET", "/settings/recycle_bin/actions/count", modules, 401},
		{"GET", "/settings/recycle_bin/actions/count", read, 200},
		{"GET", "/settings/recycle_bin/actions/count", settings, 200},
		{"POST", "/settings/recycle_bin/actions/restore", read, 401},
		{"POST", "/settings/recycle_bin/actions/empty", read, 401},
		{"DELETE", "/settings/recycle_bin?ids=1", update, 401},
		{"DELETE", "/settings/recycle_bin/1", read, 401},
		{"POST", "/settings/recycle_bin/1/actions/restore", update, 400}, // allowed: the id is just not in the bin
	} {
		st, body := e.do(c.method, "/crm/v8"+c.path, c.token, "")
		if st != c.status || (c.status == 401 && body["code"] != "OAUTH_SCOPE_MISMATCH") {
			t.Errorf("%s %s: %d %v, want %d", c.method, c.path, st, body, c.status)
		}
	}
}

// TestRecycleBinOrgsNeverMeet: org B's bin does not exist for org A — not in its list, its count, one
// record, a restore or a permanent delete — and nothing A does changes B's bin.
func TestRecycleBinOrgsNeverMeet(t *testing.T) {
	e := newBinEnv(t)
	a, b := e.a, e.b
	theirs := e.binned(b.adminTok, "Secret")
	e.want("GET", "/crm/v8/settings/recycle_bin", a.adminTok, "", 204, "")
	e.want("GET", "/crm/v8/settings/recycle_bin?ids="+theirs[0], a.adminTok, "", 204, "")
	e.want("GET", "/crm/v8/settings/recycle_bin/actions/count", a.adminTok, "", 200, `{"count":0}`)
	e.wantErr("GET", "/crm/v8/settings/recycle_bin/"+theirs[0], a.adminTok, "", 400, "INVALID_DATA", `{"resource_path_index":2}`)
	e.want("POST", "/crm/v8/settings/recycle_bin/actions/restore", a.adminTok, `{"ids":["`+theirs[0]+`"]}`, 400, `{"recycle_bin":[`+invalidID(theirs[0])+`]}`)
	e.want("POST", "/crm/v8/settings/recycle_bin/"+theirs[0]+"/actions/restore", a.adminTok, "", 400, `{"recycle_bin":[`+invalidID(theirs[0])+`]}`)
	e.want("POST", "/crm/v8/settings/recycle_bin/actions/restore", a.adminTok, `{"restore_all_records":true}`, 202, "")
	e.want("DELETE", "/crm/v8/settings/recycle_bin?ids="+theirs[0], a.adminTok, "", 400, `{"recycle_bin":[`+invalidID(theirs[0])+`]}`)
	e.want("DELETE", "/crm/v8/settings/recycle_bin/"+theirs[0], a.adminTok, "", 400, `{"recycle_bin":[`+invalidID(theirs[0])+`]}`)
	e.want("DELETE", "/crm/v8/settings/recycle_bin?filters="+url.QueryEscape(`{"field":"display_name","comparator":"equal","value":"Secret"}`), a.adminTok, "", 202, "")
	e.want("POST", "/crm/v8/settings/recycle_bin/actions/empty", a.adminTok, "", 200, "")
	e.runJobs()

	e.want("GET", "/crm/v8/settings/recycle_bin", b.adminTok, "", 200, `{"recycle_bin":[`+binItem(b, theirs[0], "Secret", b.fx.Admin, b.fx.Admin)+
		`],"info":{"per_page":200,"count":1,"page":1,"more_records":false}}`)
}

// TestRecycleBinListFilters: the filters of the list, each comparator of each field, groups, and the
// errors of a malformed filter (which name the parameter).
func TestRecycleBinListFilters(t *testing.T) {
	e := newBinEnv(t)
	a := e.a
	ids := e.binned(a.adminTok, "Alpha")
	e.clock.Advance(time.Minute)
	ids = append(ids, e.binned(a.stdTok, "beta_1")...)
	e.clock.Advance(time.Minute)
	ids = append(ids, e.binned(a.adminTok, "Gamma")...)
	path := func(filter string) string { return "/crm/v8/settings/recycle_bin?filters=" + url.QueryEscape(filter) }
	list := func(filter string) []string {
		t.Helper()
		st, body := e.do("GET", path(filter), a.adminTok, "")
		if st == 204 {
			return nil
		}
		if st != 200 {
			t.Fatalf("%s: %d %v", filter, st, body)
		}
		var out []string
		for _, it := range crmdtest.Items(t, body, "recycle_bin") {
			out = append(out, it["id"].(string))
		}
		return out
	}
	stamp := func(d time.Duration) string { return binNow.Add(d).Format(time.RFC3339) }
	std := a.fx.Std.ID.String()
	cases := []struct {
		filter string
		want   []string
	}{
		{`{"field":{"api_name":"display_name"},"comparator":"equal","value":"ALPHA"}`, ids[:1]},
		{`{"field":"display_name","comparator":"contains","value":"_"}`, ids[1:2]},
		{`{"field":"display_name","comparator":"not_contains","value":"a_"}`, []string{ids[2], ids[0]}},
		{`{"field":"display_name","comparator":"contains","value":"%"}`, nil},
		{`{"field":"display_name","comparator":"ends_with","value":"MA"}`, ids[2:]},
		{`{"field":"module","comparator":"equal","value":"leads"}`, []string{ids[2], ids[1], ids[0]}},
		{`{"field":"module","comparator":"not_equal","value":{"api_name":"Leads"}}`, nil},
		{`{"field":"deleted_by","comparator":"equal","value":"` + std + `"}`, ids[1:2]},
		{`{"field":"deleted_by","comparator":"not_in","value":[{"id":"` + std + `"}]}`, []string{ids[2], ids[0]}},
		{`{"field":"deleted_time","comparator":"equal","value":"` + stamp(time.Minute) + `"}`, ids[1:2]},
		{`{"field":"deleted_time","comparator":"greater_than","value":"` + stamp(time.Minute) + `"}`, ids[2:]},
		{`{"field":"deleted_time","comparator":"less_equal","value":"` + stamp(time.Minute) + `"}`, []string{ids[1], ids[0]}},
		{`{"field":"deleted_time","comparator":"between","value":["` + stamp(0) + `","` + stamp(time.Minute) + `"]}`, []string{ids[1], ids[0]}},
		{`{"group_operator":"OR","group":[{"field":"display_name","comparator":"equal","value":"gamma"},
			{"group_operator":"and","group":[{"field":"module","comparator":"in","value":["Leads"]},{"field":"display_name","comparator":"starts_with","value":"al"}]}]}`, []string{ids[2], ids[0]}},
	}
	for _, c := range cases {
		if got := list(c.filter); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.filter, got, c.want)
		}
	}
	bad := []struct {
		filter, code, details string
	}{
		{`{nope`, "INVALID_DATA", `{"param_name":"filters"}`},
		{`{"field":"Last_Name","comparator":"equal","value":"x"}`, "INVALID_DATA", `{"api_name":"field","json_path":"$.field","param_name":"filters","supported_values":["display_name","module","deleted_by","deleted_time"]}`},
		{`{"field":"module","comparator":"contains","value":"x"}`, "INVALID_DATA", `{"api_name":"comparator","json_path":"$.comparator","param_name":"filters","supported_values":["equal","not_equal","in","not_in"]}`},
		{`{"field":"module","comparator":"equal","value":"Nope"}`, "INVALID_DATA", `{"api_name":"module","json_path":"$.value","param_name":"filters"}`},
		{`{"field":"display_name","comparator":"equal"}`, "MANDATORY_NOT_FOUND", `{"api_name":"value","json_path":"$.value","param_name":"filters"}`},
		{`{"field":"deleted_time","comparator":"equal","value":"yesterday"}`, "INVALID_DATA", `{"api_name":"deleted_time","json_path":"$.value","param_name":"filters","expected_data_type":"datetime"}`},
		{`{"group_operator":"xor","group":[]}`, "INVALID_DATA", `{"api_name":"group_operator","json_path":"$.group_operator","param_name":"filters","supported_values":["AND","OR"]}`},
		{`{"group_operator":"and","group":[{"field":"display_name","comparator":"equal","value":"a"}]}`, "INVALID_DATA", `{"api_name":"group","json_path":"$.group","param_name":"filters","minimum_length":2}`},
	}
	for _, c := range bad {
		e.wantErr("GET", path(c.filter), a.adminTok, "", 400, c.code, c.details)
	}
}

// TestRecycleBinScheduledMessages: each kind of work answered as scheduled has its message, emptying a
// bin of more than 1,000 records included (done all the same).
func TestRecycleBinScheduledMessages(t *testing.T) {
	e := newBinEnv(t)
	a := e.a
	names := make([]string, 100)
	for i := range names {
		names[i] = fmt.Sprintf("Lead %d", i)
	}
	for range 11 {
		e.binned(a.adminTok, names...)
	}
	scheduled := func(msg string) string {
		return `{"recycle_bin":[{"code":"SCHEDULED","details":{"job_id":"?"},"message":"` + msg + `","status":"success"}]}`
	}
	for _, c := range []struct{ method, path, body, msg string }{
		{"POST", "/settings/recycle_bin/actions/restore", `{"filters":{"field":"display_name","comparator":"equal","value":"Lead 0"}}`, "restore of the records has been scheduled"},
		{"DELETE", "/settings/recycle_bin?filters=" + url.QueryEscape(`{"field":"display_name","comparator":"equal","value":"Lead 1"}`), "", "permanent delete of the records has been scheduled"},
		{"POST", "/settings/recycle_bin/actions/empty", "", "emptying the recycle bin has been scheduled"},
	} {
		got := e.want(c.method, "/crm/v8"+c.path, a.adminTok, c.body, 202, "")
		entry := crmdtest.Items(t, got, "recycle_bin")[0]
		if !crmdtest.IsID(entry["details"].(map[string]any)["job_id"]) {
			t.Errorf("%s %s: job id %v", c.method, c.path, entry["details"])
		}
		entry["details"].(map[string]any)["job_id"] = "?"
		crmdtest.JSONEq(t, c.method+" "+c.path, got, scheduled(c.msg))
		e.runJobs()
	}
	e.want("GET", "/crm/v8/settings/recycle_bin/actions/count", a.adminTok, "", 200, `{"count":0}`)
}
