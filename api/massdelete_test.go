package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/api"
	"github.com/crmd/crmd/app"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/massdelete"
	"github.com/crmd/crmd/store"
)

// mdScope is what the mass delete tests' tokens carry unless a test says otherwise: records, views,
// territories (to set the scene) and mass delete.
const mdScope = "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.mass_delete.ALL"

// mdOrg is one org of the mass delete test server.
type mdOrg struct {
	fx               *crmdtest.Org
	adminTok, stdTok string
}

// mdEnv is a crmd server on a real SQLite file with two orgs; its mass delete service has small limits
// (3 ids, 4 view records) so that the limits are cheap to reach. No runner runs: tests run jobs with
// e.run.
type mdEnv struct {
	t    *testing.T
	st   *store.Store
	svc  *massdelete.Service
	app  *app.App
	ts   *httptest.Server
	a, b mdOrg
}

func newMDEnv(t *testing.T, cfg massdelete.Settings, muts ...func(*app.Config)) *mdEnv {
	t.Helper()
	st := crmdtest.OpenStore(t)
	crmdtest.UseClock(st, time.Date(2024, 5, 13, 8, 2, 33, 0, time.UTC))
	a := newApp(t, st, api.Config{}, nil, append([]func(*app.Config){func(c *app.Config) { c.MassDelete = cfg }}, muts...)...)
	e := &mdEnv{t: t, st: st, svc: a.MassDelete, app: a}
	srv := a.API
	e.ts = httptest.NewServer(srv)
	t.Cleanup(e.ts.Close)
	for _, o := range []struct {
		name string
		dst  *mdOrg
	}{{"Acme", &e.a}, {"Beta", &e.b}} {
		fx := crmdtest.NewTeam(t, st, o.name, "Asia/Kolkata")
		*o.dst = mdOrg{fx: fx, adminTok: fx.Token(t, fx.Admin, mdScope), stdTok: fx.Token(t, fx.Std, mdScope)}
	}
	return e
}

func (e *mdEnv) do(method, path, token, body string) (int, map[string]any) {
	e.t.Helper()
	return crmdtest.DoJSON(e.t, method, e.ts.URL+path, body, crmdtest.Auth(token))
}

// want checks status and the whole JSON answer.
func (e *mdEnv) want(method, path, token, body string, status int, answer string) {
	e.t.Helper()
	st, got := e.do(method, path, token, body)
	if st != status {
		e.t.Errorf("%s %s %s: status %d, want %d: %v", method, path, body, st, status, got)
		return
	}
	crmdtest.JSONEq(e.t, method+" "+path+" "+body, got, answer)
}

// insert adds records of a module as o's admin and returns their ids.
func (e *mdEnv) insert(o mdOrg, module string, recs ...string) []string {
	e.t.Helper()
	st, body := e.do("POST", "/crm/v8/"+module, o.adminTok, `{"data":[`+strings.Join(recs, ",")+`]}`)
	if st != 201 {
		e.t.Fatalf("insert %s: %d %v", module, st, body)
	}
	return crmdtest.DetailIDs(e.t, body, "data")
}

// leads adds n approved Leads of the company and returns their ids.
func (e *mdEnv) leads(o mdOrg, company string, n int) []string {
	e.t.Helper()
	recs := make([]string, n)
	for i := range recs {
		recs[i] = fmt.Sprintf(`{"Last_Name":"L%d","Company":%q}`, i, company)
	}
	return e.insert(o, "Leads", recs...)
}

// view creates a Leads view selecting one company and returns its id.
func (e *mdEnv) view(o mdOrg, name, company string) string {
	e.t.Helper()
	st, body := e.do("POST", "/crm/v8/settings/custom_views?module=Leads", o.adminTok,
		fmt.Sprintf(`{"custom_views":[{"name":%q,"criteria":{"field":{"api_name":"Company"},"comparator":"equal","value":%q}}]}`, name, company))
	if st != 201 {
		e.t.Fatalf("create view: %d %v", st, body)
	}
	return crmdtest.DetailIDs(e.t, body, "custom_views")[0]
}

// live reports whether a record is live, through GET /{module}/{id}.
func (e *mdEnv) live(o mdOrg, module, id string) bool {
	e.t.Helper()
	st, _ := e.do("GET", "/crm/v8/"+module+"/"+id, o.adminTok, "")
	return st == 200
}

// run runs every claimable job to its end, as a runner would.
func (e *mdEnv) run() {
	e.t.Helper()
	r := massdelete.NewRunner(e.svc, massdelete.RunnerConfig{BatchSize: 2}, slog.New(slog.DiscardHandler))
	for {
		worked, err := r.RunOnce(context.Background())
		if err != nil {
			e.t.Fatal(err)
		}
		if !worked {
			return
		}
	}
}

func mdErr(code, message, details string) string {
	return fmt.Sprintf(`{"code":%q,"details":%s,"message":%q,"status":"error"}`, code, details, message)
}

func mdEntry(code, message, id string) string {
	status := "error"
	if code == "SUCCESS" {
		status = "success"
	}
	return fmt.Sprintf(`{"code":%q,"details":{"id":%q},"message":%q,"status":%q}`, code, id, message, status)
}

func mdData(entries ...string) string { return `{"data":[` + strings.Join(entries, ",") + `]}` }

func idsBody(ids ...string) string { return `{"ids":["` + strings.Join(ids, `","`) + `"]}` }

const (
	mdInvalid  = "the id given seems to be invalid"
	mdDeleted  = "record is deleted"
	mdUnapprov = "cannot delete record that is not approved yet"
)

func TestMassDeleteByIDs(t *testing.T) {
	e := newMDEnv(t, massdelete.Settings{IDLimit: 10})
	a := e.a
	ls := e.leads(a, "Acme", 3)
	unapproved := e.insert(a, "Leads", `{"Last_Name":"U","$approval_state":"approval_process_pending"}`)[0]
	contact := e.insert(a, "Contacts", `{"Last_Name":"C"}`)[0]
	foreign := e.leads(e.b, "Beta", 1)[0]
	gone := e.leads(a, "Acme", 1)[0]
	e.want("DELETE", "/crm/v8/Leads?ids="+gone, a.adminTok, "", 200, mdData(`{"code":"SUCCESS","details":{"id":"`+gone+`"},"message":"record deleted","status":"success"}`))

	// D2 dedupe (first wins), D6 per-id outcomes in first-seen order, D3 207 for a mixed answer.
	e.want("POST", "/crm/v8/Leads/actions/mass_delete", a.adminTok,
		idsBody(ls[0], ls[1], ls[0], "1234567890123456789", foreign, contact, gone, unapproved), 207, mdData(
			mdEntry("SUCCESS", mdDeleted, ls[0]), mdEntry("SUCCESS", mdDeleted, ls[1]),
			mdEntry("INVALID_DATA", mdInvalid, "1234567890123456789"), mdEntry("INVALID_DATA", mdInvalid, foreign),
			mdEntry("INVALID_DATA", mdInvalid, contact), mdEntry("INVALID_DATA", mdInvalid, gone),
			mdEntry("NOT_APPROVED", mdUnapprov, unapproved)))
	if e.live(a, "Leads", ls[0]) || e.live(a, "Leads", ls[1]) || !e.live(a, "Leads", ls[2]) || !e.live(a, "Contacts", contact) || !e.live(e.b, "Leads", foreign) {
		t.Fatal("wrong records deleted")
	}
	// D7: soft delete by the caller, into the recycle bin.
	id0, _ := crmd.ParseID(ls[0])
	recs, err := e.st.RecordsByID(context.Background(), nil, a.fx.Org.ID, a.fx.Module(t, "Leads").ID, []crmd.ID{id0})
	if err != nil || recs[id0].DeletedBy != a.fx.Admin.ID || recs[id0].DeleteJobID != 0 {
		t.Fatalf("deleted record: %+v %v", recs[id0], err)
	}
	st, body := e.do("GET", "/crm/v8/Leads/deleted?type=recycle", a.adminTok, "")
	if st != 200 || !strings.Contains(fmt.Sprint(body), ls[1]) {
		t.Fatalf("recycle bin: %d %v", st, body)
	}

	// All failed: 400 with the data array in v3+, 200 in v2/v2.1; all succeeded: 200. JSON integers are ids.
	e.want("POST", "/crm/v8/Leads/actions/mass_delete", a.adminTok, idsBody(ls[0]), 400, mdData(mdEntry("INVALID_DATA", mdInvalid, ls[0])))
	e.want("POST", "/crm/v3/Leads/actions/mass_delete", a.adminTok, idsBody(ls[0]), 400, mdData(mdEntry("INVALID_DATA", mdInvalid, ls[0])))
	e.want("POST", "/crm/v2/Leads/actions/mass_delete", a.adminTok, idsBody(ls[0]), 200, mdData(mdEntry("INVALID_DATA", mdInvalid, ls[0])))
	e.want("POST", "/crm/v2.1/Leads/actions/mass_delete", a.adminTok, idsBody(ls[0], unapproved), 200,
		mdData(mdEntry("INVALID_DATA", mdInvalid, ls[0]), mdEntry("NOT_APPROVED", mdUnapprov, unapproved)))
	e.want("POST", "/crm/v8/Leads/actions/mass_delete", a.adminTok, `{"ids":[`+ls[2]+`]}`, 200, mdData(mdEntry("SUCCESS", mdDeleted, ls[2])))

	// ids calls are never blocked by a job (D5).
	more := e.leads(a, "Held", 1)
	a.scheduleOK(e, e.view(a, "Held", "Held"), "")
	e.want("POST", "/crm/v2/Leads/actions/mass_delete", a.adminTok, idsBody(more...), 200, mdData(mdEntry("SUCCESS", mdDeleted, more[0])))
}

// scheduleOK posts a cvid mass delete that must be accepted and returns the job id.
func (o mdOrg) scheduleOK(e *mdEnv, cvid, territory string) string {
	e.t.Helper()
	body := fmt.Sprintf(`{"cvid":%q%s}`, cvid, territory)
	st, b := e.do("POST", "/crm/v8/Leads/actions/mass_delete", o.adminTok, body)
	if st != 200 {
		e.t.Fatalf("schedule %s: %d %v", body, st, b)
	}
	entries := crmdtest.Entries(e.t, b)
	job, _ := entries[0]["details"].(map[string]any)["job_id"].(string)
	crmdtest.JSONEq(e.t, "schedule answer", b, mdData(`{"code":"SUCCESS","details":{"job_id":"`+job+`"},"message":"mass delete scheduled successfully","status":"success"}`))
	if !crmdtest.IsID(job) {
		e.t.Fatalf("job id %v", job)
	}
	return job
}

func TestMassDeleteRequestErrors(t *testing.T) {
	e := newMDEnv(t, massdelete.Settings{IDLimit: 3})
	a := e.a
	ls := e.leads(a, "Acme", 1)
	mandatory := mdErr("MANDATORY_NOT_FOUND", "required field not found", `{"api_name":"ids","expected_data_type":"jsonarray"}`)
	malformed := func(i int, id string) string {
		return mdErr("INVALID_DATA", mdInvalid, fmt.Sprintf(`{"api_name":"ids","json_path":"$.ids[%d]","id":%s}`, i, id))
	}
	for _, v := range []string{"v2", "v8"} {
		path := "/crm/" + v + "/Leads/actions/mass_delete"
		for _, c := range []struct{ body, answer string }{
			{`{"ids":["1"],"cvid":"2"}`, mdErr("AMBIGUITY_DURING_PROCESSING", "ambiguity during processing",
				`{"ambiguity_due_to":[{"api_name":"ids","json_path":"$.ids"},{"api_name":"cvid","json_path":"$.cvid"}]}`)},
			{``, mandatory},
			{`{}`, mandatory},
			{`{"ids":[]}`, mandatory},
			{`{"ids":null}`, mandatory},
			{`{"territory":{"id":"1"}}`, mandatory},
			{`{"territory":"x"}`, mandatory},
			{`{"ids":"` + ls[0] + `"}`, mdErr("INVALID_DATA", "invalid data", `{"api_name":"ids","json_path":"$.ids","expected_data_type":"jsonarray"}`)},
			{`{"ids":{}}`, mdErr("INVALID_DATA", "invalid data", `{"api_name":"ids","json_path":"$.ids","expected_data_type":"jsonarray"}`)},
			{`{"ids":`, mdErr("UNABLE_TO_PARSE_DATA_TYPE", "either the request body or parameters is in wrong format", `{}`)},
			{`["1"]`, mdErr("UNABLE_TO_PARSE_DATA_TYPE", "either the request body or parameters is in wrong format", `{}`)},
			{`{"ids":["abc"]}`, malformed(0, `"abc"`)},
			{`{"ids":["` + ls[0] + `",""]}`, malformed(1, `""`)},
			{`{"ids":["` + ls[0] + `",{"id":"1"}]}`, malformed(1, `{"id":"1"}`)},
			{`{"ids":[1.5]}`, malformed(0, `1.5`)},
			{`{"ids":[1e3]}`, malformed(0, `1e3`)},
			{`{"ids":[1.0]}`, malformed(0, `1.0`)},
			{`{"ids":[-1]}`, malformed(0, `-1`)},
			{`{"ids":[true]}`, malformed(0, `true`)},
			{`{"ids":[" 12"]}`, malformed(0, `" 12"`)},
			{`{"ids":["99999999999999999999"]}`, malformed(0, `"99999999999999999999"`)},
			{`{"ids":["1","2","3","4"]}`, mdErr("LIMIT_EXCEEDED", "limit exceeded", `{"limit":3,"api_name":"ids","json_path":"$.ids"}`)},
			// A well-formed id that names no territory carries that id (D12).
			{`{"ids":["1"],"territory":{"id":"1"}}`, mdErr("INVALID_DATA", mdInvalid, `{"api_name":"id","json_path":"$.territory.id","id":"1"}`)},
			{`{"ids":["1"],"territory":{"id":"x"}}`, mdErr("INVALID_DATA", mdInvalid, `{"api_name":"id","json_path":"$.territory.id"}`)},
			{`{"ids":["1"],"territory":{}}`, mdErr("MANDATORY_NOT_FOUND", "required field not found", `{"api_name":"id","json_path":"$.territory.id"}`)},
			{`{"ids":["1"],"territory":"1"}`, mdErr("INVALID_DATA", "invalid data", `{"api_name":"territory","json_path":"$.territory","expected_data_type":"jsonobject"}`)},
			{`{"ids":["1"],"territory":{"id":"1","include_child":"yes"}}`, mdErr("INVALID_DATA", "invalid data",
				`{"api_name":"include_child","json_path":"$.territory.include_child","expected_data_type":"boolean"}`)},
		} {
			e.want("POST", path, a.adminTok, c.body, 400, c.answer)
		}
	}
	if !e.live(a, "Leads", ls[0]) {
		t.Fatal("a refused request deleted a record")
	}
	// Duplicates count once towards the limit.
	e.want("POST", "/crm/v8/Leads/actions/mass_delete", a.adminTok, idsBody(ls[0], ls[0], ls[0], ls[0]), 200, mdData(mdEntry("SUCCESS", mdDeleted, ls[0])))
	// The default limit is 500.
	d := newMDEnv(t, massdelete.Settings{})
	ids := make([]string, 501)
	for i := range ids {
		ids[i] = fmt.Sprint(1000 + i)
	}
	d.want("POST", "/crm/v8/Leads/actions/mass_delete", d.a.adminTok, idsBody(ids...), 400,
		mdErr("LIMIT_EXCEEDED", "limit exceeded", `{"limit":500,"api_name":"ids","json_path":"$.ids"}`))
	if st, b := d.do("POST", "/crm/v8/Leads/actions/mass_delete", d.a.adminTok, idsBody(append(ids[:500], ids[0])...)); st != 400 || len(crmdtest.Entries(t, b)) != 500 {
		t.Errorf("500 distinct unknown ids: %d, want 400 with 500 entries", st)
	}
}

func TestMassDeleteModulesScopesProfiles(t *testing.T) {
	e := newMDEnv(t, massdelete.Settings{})
	a := e.a
	tok := func(scope string) string { return a.fx.Token(t, a.fx.Admin, scope) }
	body := idsBody("1234567890123456789")
	perID := mdData(mdEntry("INVALID_DATA", mdInvalid, "1234567890123456789"))
	invalidModule := mdErr("INVALID_MODULE", "the module name given seems to be invalid", `{"resource_path_index":0}`)
	notSupported := mdErr("NOT_SUPPORTED", "Mass delete is not supported for this module", `{"resource_path_index":0}`)
	scopeMismatch := mdErr("OAUTH_SCOPE_MISMATCH", "invalid oauth scope to access this URL", `{}`)

	// Modules (D15): the lists differ between v2/v2.1 and v3+; Notes never; module names are matched
	// case-insensitively.
	e.want("POST", "/crm/v8/Nope/actions/mass_delete", a.adminTok, body, 400, invalidModule)
	e.want("GET", "/crm/v2/Nope/actions/mass_delete?job_id=1", a.adminTok, "", 400, invalidModule)
	e.want("POST", "/crm/v8/Notes/actions/mass_delete", a.adminTok, body, 400, notSupported)
	e.want("POST", "/crm/v2/Notes/actions/mass_delete", a.adminTok, body, 400, notSupported)
	for _, m := range []string{"Tasks", "Events", "Calls", "Cases"} {
		e.want("POST", "/crm/v2/"+m+"/actions/mass_delete", a.adminTok, body, 400, notSupported)
		e.want("POST", "/crm/v2.1/"+m+"/actions/mass_delete", a.adminTok, body, 400, notSupported)
		e.want("GET", "/crm/v2/"+m+"/actions/mass_delete?job_id=1", a.adminTok, "", 400, notSupported)
		e.want("POST", "/crm/v3/"+m+"/actions/mass_delete", a.adminTok, body, 400, perID)
		e.want("POST", "/crm/v8/"+m+"/actions/mass_delete", a.adminTok, body, 400, perID)
	}
	e.want("POST", "/crm/v2/Services__s/actions/mass_delete", a.adminTok, body, 400, invalidModule)
	e.want("POST", "/crm/v8/Services__s/actions/mass_delete", a.adminTok, body, 400, perID)
	for _, m := range []string{"Leads", "leads", "Accounts", "Contacts", "Deals", "Campaigns", "Solutions", "Products", "Vendors",
		"Price_Books", "Quotes", "Sales_Orders", "Purchase_Orders", "Invoices"} {
		e.want("POST", "/crm/v2/"+m+"/actions/mass_delete", a.adminTok, body, 200, perID)
		e.want("POST", "/crm/v8/"+m+"/actions/mass_delete", a.adminTok, body, 400, perID)
	}
	e.want("PUT", "/crm/v8/Leads/actions/mass_delete", a.adminTok, body, 400,
		mdErr("INVALID_REQUEST_METHOD", "The http request method type is not a valid one", `{}`))

	// Scopes (D20).
	for _, s := range []string{"ZohoCRM.mass_delete.DELETE", "ZohoCRM.mass_delete.leads.DELETE", "zohocrm.MASS_DELETE.Leads.all", "ZohoCRM.mass_delete.WRITE"} {
		e.want("POST", "/crm/v8/Leads/actions/mass_delete", tok(s), body, 400, perID)
	}
	for _, s := range []string{"ZohoCRM.modules.ALL", "ZohoCRM.mass_delete.READ", "ZohoCRM.mass_delete.contacts.DELETE", "ZohoCRM.mass_delete.leads.READ"} {
		e.want("POST", "/crm/v8/Leads/actions/mass_delete", tok(s), body, 401, scopeMismatch)
	}
	e.want("POST", "/crm/v8/Nope/actions/mass_delete", tok("ZohoCRM.modules.ALL"), body, 401, scopeMismatch)
	unknownJob := mdErr("INVALID_DATA", "The jobid given seems to be invalid", `{"param_name":"job_id"}`)
	for _, s := range []string{"ZohoCRM.mass_delete.READ", "ZohoCRM.mass_delete.leads.READ", "ZohoCRM.mass_delete.ALL"} {
		e.want("GET", "/crm/v8/Leads/actions/mass_delete?job_id=1", tok(s), "", 400, unknownJob)
	}
	for _, s := range []string{"ZohoCRM.modules.ALL", "ZohoCRM.mass_delete.DELETE", "ZohoCRM.mass_delete.contacts.READ"} {
		e.want("GET", "/crm/v8/Leads/actions/mass_delete?job_id=1", tok(s), "", 401, scopeMismatch)
	}
	e.want("POST", "/crm/v8/Leads/actions/mass_delete", "", body, 401, mdErr("AUTHENTICATION_FAILURE", "Authentication failed", `{}`))

	// Profile (D19): Standard users may delete but not mass delete; the body is not read first.
	e.want("POST", "/crm/v8/Leads/actions/mass_delete", a.stdTok, `{`, 403,
		mdErr("NO_PERMISSION", "permission denied", `{"permissions":["Crm_Implied_Mass_Delete_Leads"]}`))
	e.want("POST", "/crm/v2/Price_Books/actions/mass_delete", a.stdTok, body, 403,
		mdErr("NO_PERMISSION", "permission denied", `{"permissions":["Crm_Implied_Mass_Delete_Price_Books"]}`))
	e.want("GET", "/crm/v8/Leads/actions/mass_delete?job_id=1", a.stdTok, "", 400, unknownJob)
}

func TestMassDeleteTerritoryGuard(t *testing.T) {
	e := newMDEnv(t, massdelete.Settings{})
	a := e.a
	st, body := e.do("GET", "/crm/v8/settings/territories", a.adminTok, "")
	if st != 200 {
		t.Fatalf("territories: %d %v", st, body)
	}
	root := crmdtest.Items(t, body, "territories")[0]["id"].(string)
	st, body = e.do("POST", "/crm/v8/settings/territories", a.adminTok,
		fmt.Sprintf(`{"territories":[{"name":"West","permission_type":"read_only","reporting_to":{"id":%q}}]}`, root))
	if st != 201 {
		t.Fatalf("create: %d %v", st, body)
	}
	west := crmdtest.DetailIDs(t, body, "territories")[0]
	st, body = e.do("POST", "/crm/v8/settings/territories", a.adminTok,
		fmt.Sprintf(`{"territories":[{"name":"Coast","permission_type":"read_only","reporting_to":{"id":%q}}]}`, west))
	if st != 201 {
		t.Fatalf("create: %d %v", st, body)
	}
	coast := crmdtest.DetailIDs(t, body, "territories")[0]
	ls := e.leads(a, "Acme", 6)
	assign := func(rec, terr string) {
		st, b := e.do("POST", "/crm/v8/Leads/actions/assign_territories", a.adminTok, fmt.Sprintf(`{"data":[{"id":%q,"Territories":[{"id":%q}]}]}`, rec, terr))
		if st != 200 {
			t.Fatalf("assign: %d %v", st, b)
		}
	}
	assign(ls[0], west)
	assign(ls[1], coast)
	assign(ls[3], west)
	assign(ls[4], coast)
	// Without include_child only West's own records; ls[2] has no territory at all.
	e.want("POST", "/crm/v8/Leads/actions/mass_delete", a.adminTok, fmt.Sprintf(`{"ids":[%q,%q,%q],"territory":{"id":%q}}`, ls[0], ls[1], ls[2], west), 207,
		mdData(mdEntry("SUCCESS", mdDeleted, ls[0]), mdEntry("INVALID_DATA", mdInvalid, ls[1]), mdEntry("INVALID_DATA", mdInvalid, ls[2])))
	e.want("POST", "/crm/v8/Leads/actions/mass_delete", a.adminTok, fmt.Sprintf(`{"ids":[%q,%q,%q],"territory":{"id":%q,"include_child":true}}`, ls[3], ls[4], ls[5], west), 207,
		mdData(mdEntry("SUCCESS", mdDeleted, ls[3]), mdEntry("SUCCESS", mdDeleted, ls[4]), mdEntry("INVALID_DATA", mdInvalid, ls[5])))
	if !e.live(a, "Leads", ls[1]) || !e.live(a, "Leads", ls[2]) || !e.live(a, "Leads", ls[5]) {
		t.Fatal("a guarded record was deleted")
	}
	// Another org's territory is unknown.
	e.want("POST", "/crm/v8/Leads/actions/mass_delete", e.b.adminTok, fmt.Sprintf(`{"ids":[%q],"territory":{"id":%q}}`, ls[1], west), 400,
		mdErr("INVALID_DATA", mdInvalid, `{"api_name":"id","json_path":"$.territory.id","id":"`+west+`"}`))

	// With a cvid the territory narrows the job's selection.
	cv := e.view(a, "All Acme", "Acme")
	job := a.scheduleOK(e, cv, fmt.Sprintf(`,"territory":{"id":%q,"include_child":true}`, west))
	e.want("GET", "/crm/v8/Leads/actions/mass_delete?job_id="+job, a.adminTok, "", 200, `{"data":[{"Status":"RUNNING","Total_Count":1,"Deleted_Count":0,"Failed_Count":0}]}`)
	e.run()
	e.want("GET", "/crm/v8/Leads/actions/mass_delete?job_id="+job, a.adminTok, "", 200, `{"data":[{"Status":"COMPLETED","Total_Count":1,"Deleted_Count":1,"Failed_Count":0}]}`)
	if e.live(a, "Leads", ls[1]) || !e.live(a, "Leads", ls[2]) || !e.live(a, "Leads", ls[5]) {
		t.Fatal("the territory job deleted the wrong records")
	}
	e.want("POST", "/crm/v8/Leads/actions/mass_delete", a.adminTok, fmt.Sprintf(`{"cvid":%q,"territory":{"id":"1"}}`, cv), 400,
		mdErr("INVALID_DATA", mdInvalid, `{"api_name":"id","json_path":"$.territory.id","id":"1"}`))
}

func TestMassDeleteByView(t *testing.T) {
	e := newMDEnv(t, massdelete.Settings{ViewLimit: 4})
	a := e.a
	doomed := e.leads(a, "Doomed", 3)
	unapproved := e.insert(a, "Leads", `{"Last_Name":"U","Company":"Doomed","$approval_state":"approval_process_pending"}`)[0]
	kept := e.leads(a, "Kept", 2)
	cv := e.view(a, "Doomed", "Doomed")

	// Invalid cvids: malformed, unknown, another module's view, another org's view. A well-formed cvid
	// that names no view the caller may use carries it in details.
	invalidCVID := mdErr("INVALID_DATA", "the cvid given seems to be invalid", `{"api_name":"cvid","json_path":"$.cvid"}`)
	unknownCVID := func(id string) string {
		return mdErr("INVALID_DATA", "the cvid given seems to be invalid", `{"api_name":"cvid","json_path":"$.cvid","id":"`+id+`"}`)
	}
	st, body := e.do("GET", "/crm/v8/settings/custom_views?module=Contacts", a.adminTok, "")
	if st != 200 {
		t.Fatalf("contact views: %d %v", st, body)
	}
	contactView := crmdtest.Items(t, body, "custom_views")[0]["id"].(string)
	for _, c := range []string{`"abc"`, `""`, `1.5`, `{}`, `true`} {
		e.want("POST", "/crm/v8/Leads/actions/mass_delete", a.adminTok, `{"cvid":`+c+`}`, 400, invalidCVID)
	}
	for _, c := range []string{"1234567890123456789", contactView} {
		e.want("POST", "/crm/v8/Leads/actions/mass_delete", a.adminTok, `{"cvid":"`+c+`"}`, 400, unknownCVID(c))
	}
	e.want("POST", "/crm/v8/Leads/actions/mass_delete", e.b.adminTok, `{"cvid":"`+cv+`"}`, 400, unknownCVID(cv))
	// A view without records, or with more than the limit, schedules nothing.
	e.want("POST", "/crm/v8/Leads/actions/mass_delete", a.adminTok, `{"cvid":"`+e.view(a, "Empty", "Nobody")+`"}`, 400,
		mdErr("NO_RECORDS_FOUND", "no record found to update", `{}`))
	e.leads(a, "Many", 5)
	e.want("POST", "/crm/v8/Leads/actions/mass_delete", a.adminTok, `{"cvid":"`+e.view(a, "Many", "Many")+`"}`, 400,
		mdErr("LIMIT_EXCEEDED", "limit exceeded", `{"limit":4,"api_name":"cvid","json_path":"$.cvid"}`))

	// Accepted (a cvid given as a JSON integer works too): the snapshot is fixed now (D16).
	job := a.scheduleOK(e, cv, "")
	late := e.leads(a, "Doomed", 1)[0]
	status := func(v, job string) string {
		st, b := e.do("GET", "/crm/"+v+"/Leads/actions/mass_delete?job_id="+job, a.adminTok, "")
		if st != 200 {
			t.Fatalf("status: %d %v", st, b)
		}
		s := crmdtest.Entries(t, b)[0]
		return fmt.Sprintf("%v %v/%v/%v", s["Status"], s["Total_Count"], s["Deleted_Count"], s["Failed_Count"])
	}
	// D17: v2/v2.1 show SCHEDULED until a runner picks the job up; v3+ show RUNNING from acceptance.
	for v, want := range map[string]string{"v2": "SCHEDULED 4/0/0", "v2.1": "SCHEDULED 4/0/0", "v3": "RUNNING 4/0/0", "v8": "RUNNING 4/0/0"} {
		if got := status(v, job); got != want {
			t.Errorf("%s status %s, want %s", v, got, want)
		}
	}
	e.want("GET", "/crm/v8/Leads/actions/mass_delete?job_id="+job, a.adminTok, "", 200, `{"data":[{"Status":"RUNNING","Total_Count":4,"Deleted_Count":0,"Failed_Count":0}]}`)

	// D5: one job per org by default, whatever the module or view; ids calls still go through.
	already := mdErr("ALREADY_SCHEDULED", "Already a Mass Action scheduler is running for the given cvid", `{"api_name":"cvid"}`)
	e.want("POST", "/crm/v8/Leads/actions/mass_delete", a.adminTok, `{"cvid":`+cv+`}`, 400, already)
	e.want("POST", "/crm/v2/Leads/actions/mass_delete", a.adminTok, `{"cvid":"`+e.view(a, "Kept", "Kept")+`"}`, 400, already)
	// Another org is not blocked.
	e.leads(e.b, "Beta", 1)
	e.b.scheduleOK(e, e.view(e.b, "Beta", "Beta"), "")

	// A record deleted meanwhile counts as failed; the unapproved one too.
	e.want("POST", "/crm/v8/Leads/actions/mass_delete", a.adminTok, idsBody(doomed[2]), 200, mdData(mdEntry("SUCCESS", mdDeleted, doomed[2])))
	e.run()
	e.want("GET", "/crm/v8/Leads/actions/mass_delete?job_id="+job, a.adminTok, "", 200, `{"data":[{"Status":"COMPLETED","Total_Count":4,"Deleted_Count":2,"Failed_Count":2}]}`)
	e.want("GET", "/crm/v2/Leads/actions/mass_delete?job_id="+job, a.adminTok, "", 200, `{"data":[{"Status":"COMPLETED","Total_Count":4,"Deleted_Count":2,"Failed_Count":2}]}`)
	for _, id := range doomed[:2] {
		if e.live(a, "Leads", id) {
			t.Errorf("%s survived", id)
		}
	}
	for _, id := range append(kept, late, unapproved) {
		st, _ := e.do("GET", "/crm/v8/Leads/"+id, a.adminTok, "")
		if st != 200 {
			t.Errorf("%s was deleted", id)
		}
	}
	jobID, _ := crmd.ParseID(job)
	if n, err := e.st.CountJobDeletions(context.Background(), a.fx.Org.ID, jobID); err != nil || n != 2 {
		t.Errorf("records with delete_job_id = job: %d %v, want 2", n, err)
	}
	// The lock is free again.
	if st, b := e.do("POST", "/crm/v8/Leads/actions/mass_delete", a.adminTok, `{"cvid":"`+cv+`"}`); st != 200 {
		t.Errorf("after the job: %d %v", st, b)
	}
}

func TestMassDeleteStatusErrors(t *testing.T) {
	e := newMDEnv(t, massdelete.Settings{})
	a := e.a
	e.leads(a, "Doomed", 1)
	job := a.scheduleOK(e, e.view(a, "Doomed", "Doomed"), "")
	missing := mdErr("MANDATORY_NOT_FOUND", "mandatory param missing", `{"param_name":"job_id"}`)
	unparsable := mdErr("UNABLE_TO_PARSE_DATA_TYPE", "either the request body or parameters is in wrong format", `{}`)
	for _, v := range []string{"v2", "v2.1", "v3", "v8"} {
		unknown := mdErr("INVALID_DATA", "The jobid given seems to be invalid", `{"param_name":"job_id"}`)
		status := 400
		if v == "v2" || v == "v2.1" {
			unknown, status = mdErr("NOT_FOUND", "Empty response", `{}`), 404
		}
		p := "/crm/" + v + "/Leads/actions/mass_delete"
		e.want("GET", p, a.adminTok, "", 400, missing)
		e.want("GET", p+"?job_id=", a.adminTok, "", 400, missing)
		e.want("GET", p+"?job_id=abc", a.adminTok, "", 400, unparsable)
		e.want("GET", p+"?job_id=-1", a.adminTok, "", 400, unparsable)
		e.want("GET", p+"?job_id=1.5", a.adminTok, "", 400, unparsable)
		e.want("GET", p+"?job_id=1234567890123456789", a.adminTok, "", status, unknown)
		e.want("GET", p+"?job_id=0", a.adminTok, "", status, unknown)
		e.want("GET", p+"?job_id=99999999999999999999", a.adminTok, "", status, unknown)
		// Another module's job and another org's job are unknown too.
		e.want("GET", "/crm/"+v+"/Contacts/actions/mass_delete?job_id="+job, a.adminTok, "", status, unknown)
		e.want("GET", p+"?job_id="+job, e.b.adminTok, "", status, unknown)
	}
}

func TestMassDeleteEditionGate(t *testing.T) {
	e := newMDEnv(t, massdelete.Settings{EditionGate: true})
	ls := e.leads(e.a, "Acme", 1)
	for _, v := range []string{"v2", "v8"} {
		e.want("POST", "/crm/"+v+"/Leads/actions/mass_delete", e.a.adminTok, `{"cvid":"`+e.view(e.a, "Acme "+v, "Acme")+`"}`, 400,
			mdErr("FEATURE_NOT_SUPPORTED", "Scheduled Mass Operation feature is not available in your edition", `{}`))
	}
	e.want("POST", "/crm/v8/Leads/actions/mass_delete", e.a.adminTok, idsBody(ls[0]), 200, mdData(mdEntry("SUCCESS", mdDeleted, ls[0])))
}
