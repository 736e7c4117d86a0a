package api_test

import (
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/api"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/store"
)

// terrScope is what the territory tests' tokens carry unless a test says otherwise.
const terrScope = "ZohoCRM.settings.territories.ALL,ZohoCRM.modules.ALL"

// terrNow is the fixed clock of the territory tests: 2024-05-13T13:32:33+05:30 in the orgs' zone.
var terrNow = time.Date(2024, 5, 13, 8, 2, 33, 0, time.UTC)

const terrStamp = "2024-05-13T13:32:33+05:30"

// terrOrg is one org of the territory test server: its admin and a Standard user with tokens, and
// its root territory's id.
type terrOrg struct {
	org              *crmd.Org
	admin, std       *crmd.User
	adminTok, stdTok string
	root             string
	fx               *crmdtest.Org // mints further tokens
}

// terrEnv is a crmd server on a real SQLite file with two orgs, A and B.
type terrEnv struct {
	t    *testing.T
	st   *store.Store
	ts   *httptest.Server
	a, b terrOrg
}

func newTerrEnv(t *testing.T) *terrEnv {
	t.Helper()
	st := crmdtest.OpenStore(t)
	crmdtest.UseClock(st, terrNow)
	e := &terrEnv{t: t, st: st}
	srv := newApp(t, st, api.Config{}, nil).API
	e.ts = httptest.NewServer(srv)
	t.Cleanup(e.ts.Close)
	e.a = e.addOrg("Acme")
	e.b = e.addOrg("Beta")
	return e
}

func (e *terrEnv) addOrg(name string) terrOrg {
	e.t.Helper()
	fx := crmdtest.NewTeam(e.t, e.st, name, "Asia/Kolkata")
	o := terrOrg{org: fx.Org, admin: fx.Admin, std: fx.Std, fx: fx}
	o.adminTok = e.token(o, o.admin, terrScope)
	o.stdTok = e.token(o, o.std, terrScope)
	st, body := e.do("GET", "/crm/v8/settings/territories", o.adminTok, "")
	if st != 200 {
		e.t.Fatalf("list territories of %s: %d %v", name, st, body)
	}
	o.root = crmdtest.Items(e.t, body, "territories")[0]["id"].(string)
	return o
}

// token mints an access token for a user of o with the given scope.
func (e *terrEnv) token(o terrOrg, u *crmd.User, scope string) string {
	e.t.Helper()
	return o.fx.Token(e.t, u, scope)
}

// do sends a request and decodes the JSON object answer (nil for a 204, which must have no body).
func (e *terrEnv) do(method, path, token, body string) (int, map[string]any) {
	e.t.Helper()
	return crmdtest.DoJSON(e.t, method, e.ts.URL+path, body, crmdtest.Auth(token))
}

// want sends a request and checks the status and the whole JSON answer.
func (e *terrEnv) want(method, path, token, body string, status int, answer string) map[string]any {
	e.t.Helper()
	st, got := e.do(method, path, token, body)
	if st != status {
		e.t.Fatalf("%s %s %s: status %d, want %d; body %v", method, path, body, st, status, got)
	}
	if answer != "" {
		terrJSONEq(e.t, method+" "+path, got, answer)
	}
	return got
}

// create adds territories as o's admin and returns their ids, failing unless all were created.
func (e *terrEnv) create(o terrOrg, items ...string) []string {
	e.t.Helper()
	st, body := e.do("POST", "/crm/v8/settings/territories", o.adminTok, `{"territories":[`+strings.Join(items, ",")+`]}`)
	if st != 201 {
		e.t.Fatalf("create territories: %d %v", st, body)
	}
	return crmdtest.DetailIDs(e.t, body, "territories")
}

// child is the JSON of a create item reporting to parent.
func terrChild(name, parent string) string {
	return fmt.Sprintf(`{"name":%q,"permission_type":"read_only","reporting_to":{"id":%q}}`, name, parent)
}

// insert adds records of a module as o's admin and returns their ids.
func (e *terrEnv) insert(o terrOrg, module string, recs ...string) []string {
	e.t.Helper()
	st, body := e.do("POST", "/crm/v8/"+module, o.adminTok, `{"data":[`+strings.Join(recs, ",")+`]}`)
	if st != 201 {
		e.t.Fatalf("insert %s: %d %v", module, st, body)
	}
	return crmdtest.DetailIDs(e.t, body, "data")
}

// assign gives a record territories as o's admin, failing unless it succeeded.
func (e *terrEnv) assign(o terrOrg, module, record string, terrs ...string) {
	e.t.Helper()
	e.want("POST", "/crm/v8/"+module+"/actions/assign_territories", o.adminTok, terrAssignBody(record, terrs...), 200, "")
}

func terrAssignBody(record string, terrs ...string) string {
	var parts []string
	for _, t := range terrs {
		parts = append(parts, fmt.Sprintf(`{"id":%q}`, t))
	}
	return fmt.Sprintf(`{"data":[{"id":%q,"Territories":[%s]}]}`, record, strings.Join(parts, ","))
}

// terrJSONEq is crmdtest.JSONEq that stops the test at the first difference.
func terrJSONEq(t *testing.T, what string, got any, want string) {
	t.Helper()
	if !crmdtest.JSONEq(t, what, got, want) {
		t.FailNow()
	}
}

// terrErr is a request-level error answer.
func terrErr(code, message, details string) string {
	return fmt.Sprintf(`{"code":%q,"details":%s,"message":%q,"status":"error"}`, code, details, message)
}

// terrEntry is one per-item entry.
func terrEntry(code, message, details string) string {
	status := "error"
	if code == "SUCCESS" {
		status = "success"
	}
	return fmt.Sprintf(`{"code":%q,"details":%s,"message":%q,"status":%q}`, code, details, message, status)
}

func (o terrOrg) ref(u *crmd.User) string {
	return fmt.Sprintf(`{"name":%q,"id":%q}`, u.FullName(), u.ID.String())
}

// terrIDs returns the ids of a list answer (nil for 204).
func terrIDs(t *testing.T, body map[string]any, key string) []string {
	t.Helper()
	if body == nil {
		return nil
	}
	return crmdtest.IDs(t, body, key)
}

func TestTerritoriesRootAndReads(t *testing.T) {
	e := newTerrEnv(t)
	a := e.a
	root := fmt.Sprintf(`{"id":%q,"name":"Acme","api_name":"Acme","description":"Organization Parent Territory",
		"permission_type":"read_write_delete","manager":null,"reporting_to":null,
		"account_rule_criteria":null,"deal_rule_criteria":null,"lead_rule_criteria":null,
		"created_by":%s,"created_time":%q,"modified_by":%s,"modified_time":%q}`, a.root, a.ref(a.admin), terrStamp, a.ref(a.admin), terrStamp)
	e.want("GET", "/crm/v8/settings/territories", a.adminTok, "", 200,
		`{"territories":[`+root+`],"info":{"per_page":200,"count":1,"page":1,"more_records":false}}`)
	// The root is made once: later reads, also in another API version, see the same one. v2 names the
	// parent in parent_id too (null for the root), v2.1 does not.
	root2 := strings.TrimSuffix(root, "}") + `,"parent_id":null}`
	e.want("GET", "/crm/v2/settings/territories", a.stdTok, "", 200,
		`{"territories":[`+root2+`],"info":{"per_page":200,"count":1,"page":1,"more_records":false}}`)
	e.want("GET", "/crm/v2.1/settings/territories", a.stdTok, "", 200,
		`{"territories":[`+root+`],"info":{"per_page":200,"count":1,"page":1,"more_records":false}}`)
	e.want("GET", "/crm/v8/settings/territories/"+a.root, a.adminTok, "", 200, `{"territories":[`+root+`]}`)

	ids := e.create(a,
		fmt.Sprintf(`{"name":"West","permission_type":"read_only","reporting_to":{"id":%q},"manager":{"id":%q},"description":"West coast"}`, a.root, a.std.ID),
		terrChild("East", a.root))
	west, east := ids[0], ids[1]
	north := e.create(a, terrChild("North West", west))[0]
	e.want("GET", "/crm/v8/settings/territories/"+west, a.adminTok, "", 200, fmt.Sprintf(`{"territories":[{"id":%q,"name":"West",
		"api_name":"West","description":"West coast","permission_type":"read_only","manager":%s,"reporting_to":{"name":"Acme","id":%q},
		"account_rule_criteria":null,"deal_rule_criteria":null,"lead_rule_criteria":null,
		"created_by":%s,"created_time":%q,"modified_by":%s,"modified_time":%q}]}`,
		west, a.ref(a.std), a.root, a.ref(a.admin), terrStamp, a.ref(a.admin), terrStamp))
	got := e.want("GET", "/crm/v8/settings/territories/"+north, a.adminTok, "", 200, "")
	it := crmdtest.Items(t, got, "territories")[0]
	if it["api_name"] != "North_West" || it["description"] != nil || it["manager"] != nil {
		t.Fatalf("north: %v", it)
	}
	terrJSONEq(t, "north.reporting_to", it["reporting_to"], fmt.Sprintf(`{"name":"West","id":%q}`, west))
	if _, has := it["parent_id"]; has {
		t.Errorf("v8 north shows parent_id: %v", it)
	}
	// v2's Territory model reads the parent as parent_id, a string id.
	got = e.want("GET", "/crm/v2/settings/territories/"+north, a.adminTok, "", 200, "")
	it = crmdtest.Items(t, got, "territories")[0]
	if it["parent_id"] != west {
		t.Errorf("v2 north parent_id = %v, want %s", it["parent_id"], west)
	}

	// Lists: id order, paging, ids filter.
	_, body := e.do("GET", "/crm/v8/settings/territories", a.adminTok, "")
	if ids := terrIDs(t, body, "territories"); !slices.Equal(ids, []string{a.root, west, east, north}) {
		t.Fatalf("list: %v", ids)
	}
	body = e.want("GET", "/crm/v8/settings/territories?per_page=3&page=1", a.adminTok, "", 200, "")
	terrJSONEq(t, "page 1 info", body["info"], `{"per_page":3,"count":3,"page":1,"more_records":true}`)
	body = e.want("GET", "/crm/v8/settings/territories?per_page=3&page=2", a.adminTok, "", 200, "")
	terrJSONEq(t, "page 2 info", body["info"], `{"per_page":3,"count":1,"page":2,"more_records":false}`)
	if ids := terrIDs(t, body, "territories"); !slices.Equal(ids, []string{north}) {
		t.Fatalf("page 2: %v", ids)
	}
	e.want("GET", "/crm/v8/settings/territories?per_page=3&page=3", a.adminTok, "", 204, "")
	body = e.want("GET", "/crm/v8/settings/territories?ids="+north+","+a.root+",1234567000000000001", a.adminTok, "", 200, "")
	if ids := terrIDs(t, body, "territories"); !slices.Equal(ids, []string{a.root, north}) {
		t.Fatalf("ids filter: %v", ids)
	}
	e.want("GET", "/crm/v8/settings/territories?ids=12,abc", a.adminTok, "", 400, terrErr("INVALID_DATA", "invalid data", `{"param_name":"ids"}`))
	e.want("GET", "/crm/v8/settings/territories?page=0", a.adminTok, "", 400, terrErr("INVALID_DATA", "invalid data", `{"param_name":"page"}`))
	e.want("GET", "/crm/v8/settings/territories?per_page=x", a.adminTok, "", 400, terrErr("INVALID_DATA", "invalid data", `{"param_name":"per_page"}`))
	var distinct []string
	for i := 0; i < 101; i++ {
		distinct = append(distinct, fmt.Sprintf("12345670000000%05d", i+1))
	}
	e.want("GET", "/crm/v8/settings/territories?ids="+strings.Join(distinct, ","), a.adminTok, "", 400,
		terrErr("LIMIT_EXCEEDED", "limit exceeded", `{"limit":100,"param_name":"ids"}`))

	// Children are the direct ones only.
	body = e.want("GET", "/crm/v8/settings/territories/"+a.root+"/__child_territories", a.adminTok, "", 200, "")
	if ids := terrIDs(t, body, "territories"); !slices.Equal(ids, []string{west, east}) {
		t.Fatalf("children of root: %v", ids)
	}
	terrJSONEq(t, "children info", body["info"], `{"per_page":200,"count":2,"page":1,"more_records":false}`)
	body = e.want("GET", "/crm/v8/settings/territories/"+west+"/__child_territories", a.adminTok, "", 200, "")
	if ids := terrIDs(t, body, "territories"); !slices.Equal(ids, []string{north}) {
		t.Fatalf("children of west: %v", ids)
	}
	e.want("GET", "/crm/v8/settings/territories/"+north+"/__child_territories", a.adminTok, "", 204, "")
	e.want("GET", "/crm/v8/settings/territories/"+a.root+"/__child_territories?per_page=1&page=2", a.adminTok, "", 200, "")

	// Unknown or malformed ids in the path.
	bad := terrErr("INVALID_DATA", "the id given seems to be invalid", `{"resource_path_index":2}`)
	for _, p := range []string{"/1234567000000000001", "/abc", "/1234567000000000001/__child_territories", "/x/__child_territories"} {
		e.want("GET", "/crm/v8/settings/territories"+p, a.adminTok, "", 400, bad)
	}
	// Wrong verbs on known paths.
	e.want("PATCH", "/crm/v8/settings/territories", a.adminTok, "", 400, terrErr("INVALID_REQUEST_METHOD", "The http request method type is not a valid one", `{}`))
	e.want("GET", "/crm/v8/settings/territories/actions/transfer_and_delete", a.adminTok, "", 400, terrErr("INVALID_REQUEST_METHOD", "The http request method type is not a valid one", `{}`))
}

func TestTerritoriesCreateErrors(t *testing.T) {
	e := newTerrEnv(t)
	a := e.a
	west := e.create(a, terrChild("West", a.root))[0]
	path := "/crm/v8/settings/territories"
	post := func(items string, status int, entries ...string) {
		t.Helper()
		e.want("POST", path, a.adminTok, `{"territories":[`+items+`]}`, status, `{"territories":[`+strings.Join(entries, ",")+`]}`)
	}
	p := func(i int, key string) string { return fmt.Sprintf(`"json_path":"$.territories[%d].%s"`, i, key) }
	for name, c := range map[string]struct{ item, entry string }{
		"no name":          {`{"permission_type":"read_only","reporting_to":{"id":"` + a.root + `"}}`, terrEntry("MANDATORY_NOT_FOUND", "required field not found", `{"api_name":"name",`+p(0, "name")+`}`)},
		"blank name":       {`{"name":"  ","permission_type":"read_only","reporting_to":{"id":"` + a.root + `"}}`, terrEntry("MANDATORY_NOT_FOUND", "required field not found", `{"api_name":"name",`+p(0, "name")+`}`)},
		"name not string":  {`{"name":5,"permission_type":"read_only","reporting_to":{"id":"` + a.root + `"}}`, terrEntry("INVALID_DATA", "invalid data", `{"api_name":"name",`+p(0, "name")+`,"expected_data_type":"string"}`)},
		"name too long":    {`{"name":"` + strings.Repeat("x", 101) + `","permission_type":"read_only","reporting_to":{"id":"` + a.root + `"}}`, terrEntry("INVALID_DATA", "invalid data", `{"api_name":"name",`+p(0, "name")+`,"maximum_length":100}`)},
		"no permission":    {`{"name":"N","reporting_to":{"id":"` + a.root + `"}}`, terrEntry("MANDATORY_NOT_FOUND", "required field not found", `{"api_name":"permission_type",`+p(0, "permission_type")+`,"supported_values":["read_only","read_write_delete"]}`)},
		"bad permission":   {`{"name":"N","permission_type":"all","reporting_to":{"id":"` + a.root + `"}}`, terrEntry("INVALID_DATA", "Given Permission_type value is invalid", `{"api_name":"permission_type",`+p(0, "permission_type")+`,"supported_values":["read_only","read_write_delete"]}`)},
		"no reporting_to":  {`{"name":"N","permission_type":"read_only"}`, terrEntry("MANDATORY_NOT_FOUND", "required field not found", `{"api_name":"reporting_to",`+p(0, "reporting_to")+`}`)},
		"null reporting":   {`{"name":"N","permission_type":"read_only","reporting_to":null}`, terrEntry("MANDATORY_NOT_FOUND", "required field not found", `{"api_name":"reporting_to",`+p(0, "reporting_to")+`}`)},
		"reporting string": {`{"name":"N","permission_type":"read_only","reporting_to":"` + a.root + `"}`, terrEntry("INVALID_DATA", "invalid data", `{"api_name":"reporting_to",`+p(0, "reporting_to")+`,"expected_data_type":"jsonobject"}`)},
		"reporting no id":  {`{"name":"N","permission_type":"read_only","reporting_to":{}}`, terrEntry("INVALID_DATA", "the id given seems to be invalid", `{"api_name":"reporting_to",`+p(0, "reporting_to")+`}`)},
		"unknown parent":   {terrChild("N", "1234567000000000001"), terrEntry("INVALID_DATA", "the id given seems to be invalid", `{"api_name":"reporting_to",`+p(0, "reporting_to")+`}`)},
		"foreign parent":   {terrChild("N", e.b.root), terrEntry("INVALID_DATA", "the id given seems to be invalid", `{"api_name":"reporting_to",`+p(0, "reporting_to")+`}`)},
		"unknown manager":  {`{"name":"N","permission_type":"read_only","reporting_to":{"id":"` + a.root + `"},"manager":{"id":"1234567000000000001"}}`, terrEntry("INVALID_DATA", "the id given seems to be invalid", `{"api_name":"manager",`+p(0, "manager")+`}`)},
		"foreign manager":  {`{"name":"N","permission_type":"read_only","reporting_to":{"id":"` + a.root + `"},"manager":{"id":"` + e.b.admin.ID.String() + `"}}`, terrEntry("INVALID_DATA", "the id given seems to be invalid", `{"api_name":"manager",`+p(0, "manager")+`}`)},
		"manager string":   {`{"name":"N","permission_type":"read_only","reporting_to":{"id":"` + a.root + `"},"manager":"x"}`, terrEntry("INVALID_DATA", "invalid data", `{"api_name":"manager",`+p(0, "manager")+`,"expected_data_type":"jsonobject"}`)},
		"description num":  {`{"name":"N","permission_type":"read_only","reporting_to":{"id":"` + a.root + `"},"description":1}`, terrEntry("INVALID_DATA", "invalid data", `{"api_name":"description",`+p(0, "description")+`,"expected_data_type":"string"}`)},
		"rules":            {`{"name":"N","permission_type":"read_only","reporting_to":{"id":"` + a.root + `"},"account_rule_criteria":{"field":{"api_name":"x"}}}`, terrEntry("NOT_SUPPORTED", "territory assignment rules are not supported", `{"api_name":"account_rule_criteria",`+p(0, "account_rule_criteria")+`}`)},
		"name taken":       {terrChild("wEST", a.root), terrEntry("DUPLICATE_DATA", "Given Territory name already exists", `{"api_name":"name",`+p(0, "name")+`}`)},
		"root's name":      {terrChild("acme", west), terrEntry("DUPLICATE_DATA", "Given Territory name already exists", `{"api_name":"name",`+p(0, "name")+`}`)},
		"not an object":    {`"West"`, terrEntry("INVALID_DATA", "invalid data", `{"api_name":"territories","json_path":"$.territories[0]","expected_data_type":"jsonobject"}`)},
	} {
		t.Run(name, func(t *testing.T) { post(c.item, 400, c.entry) })
	}
	// Null rule criteria and read-only keys are fine; another org's names do not count.
	e.create(e.b, terrChild("Shared", e.b.root))
	e.create(a, `{"name":"Shared","permission_type":"read_write_delete","reporting_to":{"id":"`+a.root+`"},"lead_rule_criteria":null,"api_name":"ignored","id":"1"}`)

	// Mixed: 207, the good one created; a name repeated within the request; ids in bodies as numbers.
	st, body := e.do("POST", path, a.adminTok, `{"territories":[`+terrChild("South", a.root)+","+terrChild("south", a.root)+
		`,{"name":"Num","permission_type":"read_only","reporting_to":{"id":`+a.root+`}}`+","+terrChild("X", "1")+`]}`)
	if st != 207 {
		t.Fatalf("mixed create: %d %v", st, body)
	}
	ents := crmdtest.Items(t, body, "territories")
	for _, i := range []int{0, 2} {
		if ents[i]["code"] != "SUCCESS" || ents[i]["message"] != "Territory Created Successfully" || !crmdtest.IsID(ents[i]["details"].(map[string]any)["id"]) {
			t.Fatalf("entry %d: %v", i, ents[i])
		}
	}
	terrJSONEq(t, "repeated name", ents[1], terrEntry("DUPLICATE_DATA", "Duplicate Territory Name Found", `{"api_name":"name",`+p(1, "name")+`}`))
	terrJSONEq(t, "unknown parent", ents[3], terrEntry("INVALID_DATA", "the id given seems to be invalid", `{"api_name":"reporting_to",`+p(3, "reporting_to")+`}`))

	// Request-level errors.
	for body, want := range map[string]string{
		``:                   terrErr("MANDATORY_NOT_FOUND", "required field not found", `{"api_name":"territories","expected_data_type":"jsonarray"}`),
		`{}`:                 terrErr("MANDATORY_NOT_FOUND", "required field not found", `{"api_name":"territories","expected_data_type":"jsonarray"}`),
		`{"territories":[]}`: terrErr("MANDATORY_NOT_FOUND", "required field not found", `{"api_name":"territories","expected_data_type":"jsonarray"}`),
		`{"territories":{}}`: terrErr("INVALID_DATA", "invalid data", `{"api_name":"territories","json_path":"$.territories","expected_data_type":"jsonarray"}`),
		`{"territories":[`:   terrErr("UNABLE_TO_PARSE_DATA_TYPE", "either the request body or parameters is in wrong format", `{}`),
		`{"territories":[` + strings.TrimSuffix(strings.Repeat(terrChild("N", a.root)+",", 101), ",") + `]}`: terrErr("LIMIT_EXCEEDED", "limit exceeded", `{"limit":100,"api_name":"territories","json_path":"$.territories"}`),
	} {
		e.want("POST", path, a.adminTok, body, 400, want)
	}
}

func TestTerritoriesUpdate(t *testing.T) {
	e := newTerrEnv(t)
	a := e.a
	ids := e.create(a, terrChild("West", a.root), terrChild("East", a.root))
	west, east := ids[0], ids[1]
	chain := []string{west}
	for i := 0; i < 3; i++ { // West > W1 > W2 > W3
		chain = append(chain, e.create(a, terrChild(fmt.Sprintf("W%d", i+1), chain[len(chain)-1]))[0])
	}
	path := "/crm/v8/settings/territories"
	ok := func(id string) string {
		return terrEntry("SUCCESS", "Territory Updated Successfully", fmt.Sprintf(`{"id":%q}`, id))
	}

	// PUT one: rename, describe, manage, change permission.
	e.want("PUT", path+"/"+west, a.adminTok, fmt.Sprintf(`{"territories":[{"name":"Far West","description":"d","manager":{"id":%q},"permission_type":"read_write_delete"}]}`, a.std.ID),
		200, `{"territories":[`+ok(west)+`]}`)
	got := crmdtest.Items(t, e.want("GET", path+"/"+west, a.adminTok, "", 200, ""), "territories")[0]
	if got["name"] != "Far West" || got["api_name"] != "Far_West" || got["description"] != "d" || got["permission_type"] != "read_write_delete" {
		t.Fatalf("after update: %v", got)
	}
	terrJSONEq(t, "manager", got["manager"], a.ref(a.std))
	// null clears manager and description; missing keys stay.
	e.want("PUT", path+"/"+west, a.adminTok, `{"territories":[{"manager":null,"description":null}]}`, 200, `{"territories":[`+ok(west)+`]}`)
	got = crmdtest.Items(t, e.want("GET", path+"/"+west, a.adminTok, "", 200, ""), "territories")[0]
	if got["manager"] != nil || got["description"] != nil || got["name"] != "Far West" {
		t.Fatalf("after clearing: %v", got)
	}
	// The root may be renamed, but not moved.
	e.want("PUT", path+"/"+a.root, a.adminTok, `{"territories":[{"name":"Acme Corp","reporting_to":null}]}`, 200, `{"territories":[`+ok(a.root)+`]}`)

	// Re-parenting moves the subtree: W2 (with W3) under East.
	e.want("PUT", path, a.adminTok, fmt.Sprintf(`{"territories":[{"id":%q,"reporting_to":{"id":%q}}]}`, chain[2], east), 200, `{"territories":[`+ok(chain[2])+`]}`)
	body := e.want("GET", path+"/"+east+"/__child_territories", a.adminTok, "", 200, "")
	if ids := terrIDs(t, body, "territories"); !slices.Equal(ids, []string{chain[2]}) {
		t.Fatalf("children of east: %v", ids)
	}
	e.want("GET", path+"/"+chain[1]+"/__child_territories", a.adminTok, "", 204, "")

	// Cycles are refused: under itself, under a child, under a deeper descendant; the root stays put.
	cycle := func(i int) string {
		return terrEntry("NOT_ALLOWED", "Reporting_to id should not be the child of given territory. Chosse another territory as Reporing_to",
			fmt.Sprintf(`{"api_name":"reporting_to","json_path":"$.territories[%d].reporting_to"}`, i))
	}
	for _, c := range []struct{ id, parent string }{{east, east}, {east, chain[2]}, {east, chain[3]}, {chain[2], chain[3]}} {
		e.want("PUT", path+"/"+c.id, a.adminTok, fmt.Sprintf(`{"territories":[{"reporting_to":{"id":%q}}]}`, c.parent), 400, `{"territories":[`+cycle(0)+`]}`)
	}
	e.want("PUT", path+"/"+a.root, a.adminTok, fmt.Sprintf(`{"territories":[{"reporting_to":{"id":%q}}]}`, west), 400,
		`{"territories":[`+terrEntry("NOT_ALLOWED", "Org Territory cannot report to another territory", `{"api_name":"reporting_to","json_path":"$.territories[0].reporting_to"}`)+`]}`)
	// Within one request each item sees the ones before it: West under East, then East under West's
	// child would close a loop, so the second is refused and the first stays.
	e.want("PUT", path, a.adminTok, fmt.Sprintf(`{"territories":[{"id":%q,"reporting_to":{"id":%q}},{"id":%q,"reporting_to":{"id":%q}}]}`,
		west, east, east, chain[1]), 207, `{"territories":[`+ok(west)+`,`+cycle(1)+`]}`)
	got = crmdtest.Items(t, e.want("GET", path+"/"+east, a.adminTok, "", 200, ""), "territories")[0]
	terrJSONEq(t, "east still under the root", got["reporting_to"], fmt.Sprintf(`{"name":"Acme Corp","id":%q}`, a.root))

	// Per-item errors of a bulk update.
	p := func(i int, key string) string { return fmt.Sprintf(`"json_path":"$.territories[%d].%s"`, i, key) }
	e.want("PUT", path, a.adminTok, fmt.Sprintf(`{"territories":[{"name":"x"},{"id":"abc"},{"id":"1234567000000000001"},{"id":%q},{"id":%q,"name":"east"},
		{"id":%q,"reporting_to":null},{"id":%q,"reporting_to":{"id":%q}},{"id":%q,"permission_type":"x"},7]}`,
		e.b.root, west, west, west, e.b.root, west), 400, `{"territories":[`+strings.Join([]string{
		terrEntry("MANDATORY_NOT_FOUND", "required field not found", `{"api_name":"id",`+p(0, "id")+`}`),
		terrEntry("INVALID_DATA", "the id given seems to be invalid", `{"api_name":"id",`+p(1, "id")+`}`),
		terrEntry("INVALID_DATA", "the id given seems to be invalid", `{"api_name":"id",`+p(2, "id")+`}`),
		terrEntry("INVALID_DATA", "the id given seems to be invalid", `{"api_name":"id",`+p(3, "id")+`}`),
		terrEntry("DUPLICATE_DATA", "Given Territory name already exists", `{"api_name":"name",`+p(4, "name")+`}`),
		terrEntry("MANDATORY_NOT_FOUND", "required field not found", `{"api_name":"reporting_to",`+p(5, "reporting_to")+`}`),
		terrEntry("INVALID_DATA", "the id given seems to be invalid", `{"api_name":"reporting_to",`+p(6, "reporting_to")+`}`),
		terrEntry("INVALID_DATA", "Given Permission_type value is invalid", `{"api_name":"permission_type",`+p(7, "permission_type")+`,"supported_values":["read_only","read_write_delete"]}`),
		terrEntry("INVALID_DATA", "invalid data", `{"api_name":"territories","json_path":"$.territories[8]","expected_data_type":"jsonobject"}`),
	}, ",")+`]}`)
	// A territory may keep its own name in another case.
	e.want("PUT", path+"/"+east, a.adminTok, `{"territories":[{"name":"EAST"}]}`, 200, `{"territories":[`+ok(east)+`]}`)
	// Path errors are request-level; PUT /{id} takes one item.
	bad := terrErr("INVALID_DATA", "the id given seems to be invalid", `{"resource_path_index":2}`)
	e.want("PUT", path+"/1234567000000000001", a.adminTok, `{"territories":[{"name":"x"}]}`, 400, bad)
	e.want("PUT", path+"/"+e.b.root, a.adminTok, `{"territories":[{"name":"x"}]}`, 400, bad)
	e.want("PUT", path+"/abc", a.adminTok, `{"territories":[{"name":"x"}]}`, 400, bad)
	e.want("PUT", path+"/"+east, a.adminTok, `{"territories":[{"name":"x"},{"name":"y"}]}`, 400,
		terrErr("LIMIT_EXCEEDED", "limit exceeded", `{"limit":1,"api_name":"territories","json_path":"$.territories"}`))
	// Org B saw nothing of this.
	_, body = e.do("GET", path, e.b.adminTok, "")
	if ids := terrIDs(t, body, "territories"); !slices.Equal(ids, []string{e.b.root}) {
		t.Fatalf("org B territories: %v", ids)
	}
}

func TestTerritoriesDelete(t *testing.T) {
	e := newTerrEnv(t)
	a := e.a
	ids := e.create(a, terrChild("West", a.root), terrChild("East", a.root))
	west, east := ids[0], ids[1]
	w1 := e.create(a, terrChild("W1", west))[0]
	w2 := e.create(a, terrChild("W2", w1))[0]
	leads := e.insert(a, "Leads", `{"Last_Name":"One"}`, `{"Last_Name":"Two"}`)
	e.assign(a, "Leads", leads[0], w2, east)
	path := "/crm/v8/settings/territories"
	gone := func(id string) string {
		return terrEntry("SUCCESS", "Given Territory Removed Successfully", fmt.Sprintf(`{"id":%q}`, id))
	}
	hasChild := func(id string) string {
		return terrEntry("NOT_ALLOWED", "Territory can't be deleted as it's having child", fmt.Sprintf(`{"id":%q}`, id))
	}
	// The root and territories with children stay; unknown and foreign ids are invalid.
	e.want("DELETE", path+"?ids="+a.root+","+west+","+w1+",1234567000000000001,"+e.b.root, a.adminTok, "", 400, `{"territories":[`+strings.Join([]string{
		terrEntry("NOT_ALLOWED", "Org Territory cannot be deleted", fmt.Sprintf(`{"id":%q}`, a.root)),
		hasChild(west), hasChild(w1),
		terrEntry("INVALID_DATA", "the id given seems to be invalid", `{"id":"1234567000000000001"}`),
		terrEntry("INVALID_DATA", "the id given seems to be invalid", fmt.Sprintf(`{"id":%q}`, e.b.root)),
	}, ",")+`]}`)
	e.want("DELETE", path+"/"+west, a.adminTok, "", 400, `{"territories":[`+hasChild(west)+`]}`)
	e.want("DELETE", path+"/"+a.root, a.adminTok, "", 400,
		`{"territories":[`+terrEntry("NOT_ALLOWED", "Org Territory cannot be deleted", fmt.Sprintf(`{"id":%q}`, a.root))+`]}`)
	// A parent listed with its whole subtree goes, parent first or not; duplicates count once.
	e.want("DELETE", path+"?ids="+w1+","+w2+","+w1+"&delete_previous_forecasts=true", a.adminTok, "", 200, `{"territories":[`+gone(w1)+`,`+gone(w2)+`]}`)
	// Their record assignments went with them; the record stays with its other territory.
	body := e.want("GET", "/crm/v8/Leads/"+leads[0]+"?fields=Territories", a.adminTok, "", 200, "")
	terrs := crmdtest.Items(t, body, "data")[0]["Territories"].([]any)
	if len(terrs) != 1 || terrs[0].(map[string]any)["id"] != east {
		t.Fatalf("territories after delete: %v", terrs)
	}
	e.want("DELETE", path+"/"+west, a.adminTok, "", 200, `{"territories":[`+gone(west)+`]}`)
	e.want("DELETE", path+"/"+west, a.adminTok, "", 400, terrErr("INVALID_DATA", "the id given seems to be invalid", `{"resource_path_index":2}`))
	// Mixed: 207.
	e.want("DELETE", path+"?ids="+east+",1234567000000000001", a.adminTok, "", 207,
		`{"territories":[`+gone(east)+`,`+terrEntry("INVALID_DATA", "the id given seems to be invalid", `{"id":"1234567000000000001"}`)+`]}`)
	// ids problems.
	e.want("DELETE", path, a.adminTok, "", 400, terrErr("REQUIRED_PARAM_MISSING", "mandatory param missing", `{"param_name":"ids"}`))
	e.want("DELETE", path+"?ids=1,x", a.adminTok, "", 400, terrErr("UNABLE_TO_PARSE_DATA_TYPE", "either the request body or parameters is in wrong format", `{"param_name":"ids"}`))
	var many []string
	for i := 0; i < 101; i++ {
		many = append(many, fmt.Sprintf("12345670000000%05d", i+1))
	}
	e.want("DELETE", path+"?ids="+strings.Join(many, ","), a.adminTok, "", 400, terrErr("LIMIT_EXCEEDED", "limit exceeded", `{"limit":100,"param_name":"ids"}`))
	// The records never went anywhere.
	body = e.want("GET", "/crm/v8/Leads?fields=Last_Name,Territories", a.adminTok, "", 200, "")
	if got := crmdtest.Items(t, body, "data"); len(got) != 2 || len(got[0]["Territories"].([]any)) != 0 || len(got[1]["Territories"].([]any)) != 0 {
		t.Fatalf("records after deletes: %v", got)
	}
}

func TestTerritoriesTransferAndDelete(t *testing.T) {
	e := newTerrEnv(t)
	a := e.a
	ids := e.create(a, terrChild("West", a.root), terrChild("East", a.root), terrChild("Lonely", a.root))
	west, east, lonely := ids[0], ids[1], ids[2]
	kids := e.create(a, terrChild("W1", west), terrChild("W2", west))
	leads := e.insert(a, "Leads", `{"Last_Name":"One"}`, `{"Last_Name":"Two"}`, `{"Last_Name":"Three"}`)
	e.assign(a, "Leads", leads[0], west)
	e.assign(a, "Leads", leads[1], west, east)
	e.assign(a, "Leads", leads[2], lonely)
	path := "/crm/v8/settings/territories/actions/transfer_and_delete"
	done := func(id string) string {
		return terrEntry("SUCCESS", "Territory Transferred And Deleted Successfully", fmt.Sprintf(`{"id":%q}`, id))
	}
	p := func(i int, key string) string { return fmt.Sprintf(`"json_path":"$.territories[%d].%s"`, i, key) }

	e.want("POST", path, a.adminTok, fmt.Sprintf(`{"territories":[{"id":%q},{"id":%q,"transfer_to_id":%q},{"id":%q,"transfer_to_id":%q},
		{"id":%q,"transfer_to_id":"1234567000000000001"},{"id":"1234567000000000001","transfer_to_id":%q},{"id":%q,"transfer_to_id":%q},{},
		{"id":%q,"transfer_to_id":%q},{"id":%q,"transfer_to_id":%q,"delete_previous_forecasts":"yes"}]}`,
		west, west, kids[0], west, west, west, east, a.root, east, west, e.b.root, west, east), 400, `{"territories":[`+strings.Join([]string{
		terrEntry("DEPENDENT_FIELD_MISSING", "This territory has its child. Please Give the transfer_to_id field value",
			`{"api_name":"transfer_to_id",`+p(0, "transfer_to_id")+`,"dependee":{"api_name":"id",`+p(0, "id")+`}}`),
		terrEntry("INVALID_DATA", "Given transfer_to_id isn't valid one", `{"api_name":"transfer_to_id",`+p(1, "transfer_to_id")+`}`),
		terrEntry("INVALID_DATA", "Given transfer_to_id isn't valid one", `{"api_name":"transfer_to_id",`+p(2, "transfer_to_id")+`}`),
		terrEntry("INVALID_DATA", "Given transfer_to_id isn't valid one", `{"api_name":"transfer_to_id",`+p(3, "transfer_to_id")+`}`),
		terrEntry("INVALID_DATA", "Given Territoryid isn't valid one", `{"api_name":"id",`+p(4, "id")+`}`),
		terrEntry("NOT_ALLOWED", "Org Territory cannot be deleted", fmt.Sprintf(`{"id":%q}`, a.root)),
		terrEntry("MANDATORY_NOT_FOUND", "required field not found", `{"api_name":"id",`+p(6, "id")+`}`),
		terrEntry("INVALID_DATA", "Given transfer_to_id isn't valid one", `{"api_name":"transfer_to_id",`+p(7, "transfer_to_id")+`}`),
		terrEntry("INVALID_DATA", "invalid data", `{"api_name":"delete_previous_forecasts",`+p(8, "delete_previous_forecasts")+`,"expected_data_type":"boolean"}`),
	}, ",")+`]}`)

	// West into East: its children and records move; the record already in East keeps one row.
	e.want("POST", path, a.adminTok, fmt.Sprintf(`{"territories":[{"id":%q,"transfer_to_id":%q,"delete_previous_forecasts":false},{"id":%q}]}`, west, east, lonely),
		200, `{"territories":[`+done(west)+`,`+done(lonely)+`]}`)
	body := e.want("GET", "/crm/v8/settings/territories/"+east+"/__child_territories", a.adminTok, "", 200, "")
	if got := terrIDs(t, body, "territories"); !slices.Equal(got, kids) {
		t.Fatalf("east's children: %v", got)
	}
	body = e.want("GET", "/crm/v8/Leads?fields=Territories", a.adminTok, "", 200, "")
	for _, rec := range crmdtest.Items(t, body, "data") {
		var got []string
		for _, tr := range rec["Territories"].([]any) {
			got = append(got, tr.(map[string]any)["id"].(string))
		}
		want := []string{east}
		if rec["id"] == leads[2] {
			want = nil // Lonely went without a transfer: its records just lost it
		}
		if !slices.Equal(got, want) {
			t.Fatalf("record %v territories %v, want %v", rec["id"], got, want)
		}
	}
	e.want("GET", "/crm/v8/settings/territories/"+west, a.adminTok, "", 400, terrErr("INVALID_DATA", "the id given seems to be invalid", `{"resource_path_index":2}`))

	// The path form: one item, the territory from the path.
	one := "/crm/v8/settings/territories/" + kids[0] + "/actions/transfer_and_delete"
	e.want("POST", one, a.adminTok, fmt.Sprintf(`{"territories":[{"transfer_to_id":%q}]}`, kids[1]), 200, `{"territories":[`+done(kids[0])+`]}`)
	e.want("POST", one, a.adminTok, `{"territories":[{}]}`, 400, terrErr("INVALID_DATA", "the id given seems to be invalid", `{"resource_path_index":2}`))
	e.want("POST", "/crm/v8/settings/territories/"+kids[1]+"/actions/transfer_and_delete", a.adminTok, `{"territories":[{},{}]}`, 400,
		terrErr("LIMIT_EXCEEDED", "limit exceeded", `{"limit":1,"api_name":"territories","json_path":"$.territories"}`))
	e.want("POST", path, a.adminTok, `{}`, 400, terrErr("MANDATORY_NOT_FOUND", "required field not found", `{"api_name":"territories","expected_data_type":"jsonarray"}`))
}

func TestTerritoriesPermissionsAndScopes(t *testing.T) {
	e := newTerrEnv(t)
	a := e.a
	west := e.create(a, terrChild("West", a.root))[0]
	denied := terrErr("NO_PERMISSION", "permission denied", `{"permissions":["Crm_Implied_Manage_Territories"]}`)
	path := "/crm/v8/settings/territories"
	for _, c := range []struct{ method, path, body string }{
		{"POST", path, `{"territories":[` + terrChild("X", a.root) + `]}`},
		{"PUT", path, fmt.Sprintf(`{"territories":[{"id":%q,"name":"X"}]}`, west)},
		{"PUT", path + "/" + west, `{"territories":[{"name":"X"}]}`},
		{"DELETE", path + "?ids=" + west, ""},
		{"DELETE", path + "/" + west, ""},
		{"POST", path + "/actions/transfer_and_delete", fmt.Sprintf(`{"territories":[{"id":%q}]}`, west)},
		{"POST", path + "/" + west + "/actions/transfer_and_delete", `{"territories":[{}]}`},
	} {
		e.want(c.method, c.path, a.stdTok, c.body, 403, denied)
	}
	// Standard users read.
	e.want("GET", path+"/"+west, a.stdTok, "", 200, "")
	e.want("GET", path, a.stdTok, "", 200, "")
	// Scopes: the territories resource with the right operation, or settings.ALL.
	mismatch := terrErr("OAUTH_SCOPE_MISMATCH", "invalid oauth scope to access this URL", `{}`)
	read := e.token(a, a.admin, "ZohoCRM.settings.territories.READ")
	modules := e.token(a, a.admin, "ZohoCRM.modules.ALL")
	fields := e.token(a, a.admin, "ZohoCRM.settings.fields.ALL")
	settings := e.token(a, a.admin, "ZohoCRM.settings.ALL")
	create := e.token(a, a.admin, "ZohoCRM.settings.territories.CREATE")
	e.want("GET", path, read, "", 200, "")
	e.want("GET", path, modules, "", 401, mismatch)
	e.want("GET", path, fields, "", 401, mismatch)
	e.want("GET", path, create, "", 401, mismatch)
	e.want("POST", path, read, `{"territories":[`+terrChild("X", a.root)+`]}`, 401, mismatch)
	e.want("PUT", path+"/"+west, create, `{"territories":[{"name":"X"}]}`, 401, mismatch)
	e.want("DELETE", path+"/"+west, create, "", 401, mismatch)
	e.want("POST", path+"/actions/transfer_and_delete", create, `{"territories":[{}]}`, 401, mismatch)
	e.want("POST", path, create, `{"territories":[`+terrChild("X", a.root)+`]}`, 201, "")
	e.want("PUT", path+"/"+west, settings, `{"territories":[{"name":"Y"}]}`, 200, "")
	e.want("GET", path, "garbage", "", 401, terrErr("INVALID_TOKEN", "invalid oauth token", `{}`))
	// Assigning needs the module's UPDATE scope.
	lead := e.insert(a, "Leads", `{"Last_Name":"L"}`)[0]
	e.want("POST", "/crm/v8/Leads/actions/assign_territories", e.token(a, a.admin, "ZohoCRM.modules.leads.READ,ZohoCRM.settings.ALL"),
		terrAssignBody(lead, west), 401, mismatch)
	e.want("POST", "/crm/v8/Leads/actions/assign_territories", e.token(a, a.admin, "ZohoCRM.modules.leads.UPDATE"), terrAssignBody(lead, west), 200, "")
}

func TestTerritoriesAssignAndRemove(t *testing.T) {
	e := newTerrEnv(t)
	a := e.a
	ids := e.create(a, terrChild("West", a.root), terrChild("East", a.root))
	west, east := ids[0], ids[1]
	leads := e.insert(a, "Leads", `{"Last_Name":"One"}`, `{"Last_Name":"Two"}`, `{"Last_Name":"Three"}`)
	account := e.insert(a, "Accounts", `{"Account_Name":"Zylker"}`)[0]
	foreignLead := e.insert(e.b, "Leads", `{"Last_Name":"Theirs"}`)[0]
	deleted := e.insert(a, "Leads", `{"Last_Name":"Gone"}`)[0]
	e.want("DELETE", "/crm/v8/Leads/"+deleted, a.adminTok, "", 200, "")
	// A Standard user's own record.
	st, body := e.do("POST", "/crm/v8/Leads", a.stdTok, `{"data":[{"Last_Name":"Mine"}]}`)
	if st != 201 {
		t.Fatalf("std insert: %d %v", st, body)
	}
	stdLead := crmdtest.Items(t, body, "data")[0]["details"].(map[string]any)["id"].(string)

	assign := "/crm/v8/Leads/actions/assign_territories"
	remove := "/crm/v8/Leads/actions/remove_territories"
	updated := func(id string) string {
		return terrEntry("SUCCESS", "the territories data updated successfully", fmt.Sprintf(`{"id":%q}`, id))
	}
	removed := func(id string) string {
		return terrEntry("SUCCESS", "the territories are removed successfully", fmt.Sprintf(`{"id":%q}`, id))
	}
	e.want("POST", assign, a.adminTok, fmt.Sprintf(`{"data":[{"id":%q,"Territories":[{"id":%q},{"id":%q}]},{"id":%q,"Territories":[{"id":%q}]}]}`,
		leads[0], west, east, leads[1], a.root), 200, `{"data":[`+updated(leads[0])+`,`+updated(leads[1])+`]}`)

	// The record shows its territories, in assignment order, with who and when.
	ref := a.ref(a.admin)
	terrJSON := func(id, name string) string {
		return fmt.Sprintf(`{"id":%q,"Name":%q,"$assigned":true,"$assigned_by":%s,"$assigned_time":%q}`, id, name, ref, terrStamp)
	}
	body = e.want("GET", "/crm/v8/Leads/"+leads[0], a.adminTok, "", 200, "")
	terrJSONEq(t, "Territories", crmdtest.Items(t, body, "data")[0]["Territories"], `[`+terrJSON(west, "West")+`,`+terrJSON(east, "East")+`]`)
	body = e.want("GET", "/crm/v8/Leads?fields=Last_Name,Territories&sort_order=asc", a.adminTok, "", 200, "")
	recs := crmdtest.Items(t, body, "data")
	terrJSONEq(t, "list Territories", []any{recs[0]["Territories"], recs[1]["Territories"], recs[2]["Territories"]},
		`[[`+terrJSON(west, "West")+`,`+terrJSON(east, "East")+`],[`+terrJSON(a.root, "Acme")+`],[]]`)
	// Without Territories in fields, it is not shown.
	body = e.want("GET", "/crm/v8/Leads?fields=Last_Name", a.adminTok, "", 200, "")
	if _, ok := crmdtest.Items(t, body, "data")[0]["Territories"]; ok {
		t.Fatal("Territories shown without being asked for")
	}
	// Any module carries territories; the single-record path form too.
	e.want("POST", "/crm/v8/Accounts/"+account+"/actions/assign_territories", a.adminTok, fmt.Sprintf(`{"data":[{"Territories":[{"id":%q}]}]}`, east),
		200, `{"data":[`+updated(account)+`]}`)

	// Every per-record error, in one request: 400 when all fail.
	p := func(i int, rest string) string { return fmt.Sprintf(`"json_path":"$.data[%d]%s"`, i, rest) }
	body101 := make([]string, 101)
	for i := range body101 {
		body101[i] = fmt.Sprintf(`{"id":"12345670000000%05d"}`, i+1)
	}
	e.want("POST", assign, a.adminTok, fmt.Sprintf(`{"data":[
		{"id":"1234567000000000001","Territories":[{"id":%q}]},
		{"id":%q,"Territories":[{"id":%q}]},
		{"id":%q,"Territories":[{"id":%q}]},
		{"id":%q,"Territories":[{"id":%q}]},
		{"id":%q,"Territories":[{"id":%q},{"id":"1234567000000000001"}]},
		{"id":%q,"Territories":[{"id":%q}]},
		{"id":%q,"Territories":[{"id":%q}]},
		{"id":%q,"Territories":[{"id":%q},{"id":%q},{"id":%q}]},
		{"id":%q,"Territories":[%s]},
		{"Territories":[{"id":%q}]}]}`,
		west, foreignLead, west, deleted, west, account, west, leads[2], west, leads[2], e.b.root,
		leads[0], east, leads[2], east, west, east, leads[2], strings.Join(body101, ","), west),
		400, `{"data":[`+strings.Join([]string{
			terrEntry("INVALID_DATA", "the id given seems to be invalid", `{"api_name":"id",`+p(0, ".id")+`}`),
			terrEntry("INVALID_DATA", "the id given seems to be invalid", `{"api_name":"id",`+p(1, ".id")+`}`),
			terrEntry("INVALID_DATA", "the id given seems to be invalid", `{"api_name":"id",`+p(2, ".id")+`}`),
			terrEntry("INVALID_DATA", "the id given seems to be invalid", `{"api_name":"id",`+p(3, ".id")+`}`), // an Accounts id under Leads
			terrEntry("INVALID_DATA", "the id given seems to be invalid", `{"api_name":"id",`+p(4, ".Territories[1].id")+`}`),
			terrEntry("INVALID_DATA", "the id given seems to be invalid", `{"api_name":"id",`+p(5, ".Territories[0].id")+`}`), // org B's root
			terrEntry("DUPLICATE_DATA", "Given Territory id already exists for that record", `{"api_name":"id",`+p(6, ".Territories[0].id")+`}`),
			terrEntry("ALREADY_USED", "duplicate territory id found", `{"api_name":"id",`+p(7, ".Territories[2].id")+`,"exists_in":{`+p(7, ".Territories[0].id")+`}}`),
			terrEntry("LIMIT_EXCEEDED", "Maximum limit of territories for that record exceeds", `{"api_name":"Territories",`+p(8, ".Territories")+`,"limit":100}`),
			terrEntry("MANDATORY_NOT_FOUND", "One of the expected parameter is missing", `{"api_name":"id",`+p(9, ".id")+`}`),
		}, ",")+`]}`)
	// … and the rest of the kinds.
	e.want("POST", assign, a.adminTok, fmt.Sprintf(`{"data":[{"id":%q},{"id":%q,"Territories":[]},{"id":%q,"Territories":{}},{"id":%q,"Territories":["x"]},
		{"id":%q,"Territories":[{}]},{"id":%q,"Territories":[{"id":"abc"}]},{"id":"abc","Territories":[{"id":%q}]},"x",{"id":%q,"Territories":[{"id":%q}]}]}`,
		leads[2], leads[2], leads[2], leads[2], leads[2], leads[2], west, stdLead, west), 207, `{"data":[`+strings.Join([]string{
		terrEntry("MANDATORY_NOT_FOUND", "required field not found", `{"api_name":"Territories",`+p(0, ".Territories")+`}`),
		terrEntry("MANDATORY_NOT_FOUND", "required field not found", `{"api_name":"Territories",`+p(1, ".Territories")+`}`),
		terrEntry("INVALID_DATA", "invalid data", `{"api_name":"Territories",`+p(2, ".Territories")+`,"expected_data_type":"jsonarray"}`),
		terrEntry("INVALID_DATA", "invalid data", `{"api_name":"Territories",`+p(3, ".Territories[0]")+`,"expected_data_type":"jsonobject"}`),
		terrEntry("MANDATORY_NOT_FOUND", "required field not found", `{"api_name":"id",`+p(4, ".Territories[0].id")+`}`),
		terrEntry("INVALID_DATA", "the id given seems to be invalid", `{"api_name":"id",`+p(5, ".Territories[0].id")+`}`),
		terrEntry("INVALID_DATA", "the id given seems to be invalid", `{"api_name":"id",`+p(6, ".id")+`}`),
		terrEntry("INVALID_DATA", "invalid data", `{"api_name":"data",`+p(7, "")+`,"expected_data_type":"jsonobject"}`),
		updated(stdLead),
	}, ",")+`]}`)
	// A Standard user changes only their own records' territories.
	e.want("POST", assign, a.stdTok, fmt.Sprintf(`{"data":[{"id":%q,"Territories":[{"id":%q}]},{"id":%q,"Territories":[{"id":%q}]}]}`, leads[2], west, stdLead, east),
		207, `{"data":[`+terrEntry("NO_PERMISSION", "permission denied", fmt.Sprintf(`{"id":%q}`, leads[2]))+`,`+updated(stdLead)+`]}`)

	// Request-level errors.
	var eleven []string
	for i := 0; i < 11; i++ {
		eleven = append(eleven, fmt.Sprintf(`{"id":%q,"Territories":[{"id":%q}]}`, leads[0], west))
	}
	e.want("POST", assign, a.adminTok, `{"data":[`+strings.Join(eleven, ",")+`]}`, 400,
		terrErr("LIMIT_EXCEEDED", "limit exceeded", `{"limit":10,"api_name":"data","json_path":"$.data"}`))
	e.want("POST", assign, a.adminTok, `{}`, 400, terrErr("MANDATORY_NOT_FOUND", "required field not found", `{"api_name":"data","expected_data_type":"jsonarray"}`))
	e.want("POST", assign, a.adminTok, `[`, 400, terrErr("UNABLE_TO_PARSE_DATA_TYPE", "either the request body or parameters is in wrong format", `{}`))
	badPath := terrErr("INVALID_DATA", "the id given seems to be invalid", `{"resource_path_index":1}`)
	for _, id := range []string{"abc", "1234567000000000001", foreignLead, deleted, account} {
		e.want("POST", "/crm/v8/Leads/"+id+"/actions/assign_territories", a.adminTok, fmt.Sprintf(`{"data":[{"Territories":[{"id":%q}]}]}`, west), 400, badPath)
	}
	e.want("POST", "/crm/v8/Leads/"+leads[2]+"/actions/assign_territories", a.adminTok, `{"data":[{"Territories":[]},{"Territories":[]}]}`, 400,
		terrErr("LIMIT_EXCEEDED", "limit exceeded", `{"limit":1,"api_name":"data","json_path":"$.data"}`))
	e.want("POST", "/crm/v8/Nope/actions/assign_territories", a.adminTok, `{}`, 400, terrErr("INVALID_MODULE", "the module name given seems to be invalid", `{"resource_path_index":0}`))

	// Remove: the assigned go, one not assigned is invalid; the single-record form.
	e.want("POST", remove, a.adminTok, fmt.Sprintf(`{"data":[{"id":%q,"Territories":[{"id":%q}]},{"id":%q,"Territories":[{"id":%q}]}]}`, leads[0], west, leads[1], east),
		207, `{"data":[`+removed(leads[0])+`,`+terrEntry("INVALID_DATA", "the id given seems to be invalid", `{"api_name":"id",`+p(1, ".Territories[0].id")+`}`)+`]}`)
	e.want("POST", "/crm/v8/Leads/"+leads[1]+"/actions/remove_territories", a.adminTok, fmt.Sprintf(`{"data":[{"Territories":[{"id":%q}]}]}`, a.root),
		200, `{"data":[`+removed(leads[1])+`]}`)
	body = e.want("GET", "/crm/v8/Leads?fields=Territories&sort_order=asc", a.adminTok, "", 200, "")
	recs = crmdtest.Items(t, body, "data")
	terrJSONEq(t, "after remove", []any{recs[0]["Territories"], recs[1]["Territories"]}, `[[`+terrJSON(east, "East")+`],[]]`)
	e.want("POST", remove, a.adminTok, fmt.Sprintf(`{"data":[{"id":%q,"Territories":[{"id":%q},{"id":%q}]}]}`, leads[0], east, east), 400,
		`{"data":[`+terrEntry("ALREADY_USED", "duplicate territory id found", `{"api_name":"id",`+p(0, ".Territories[1].id")+`,"exists_in":{`+p(0, ".Territories[0].id")+`}}`)+`]}`)

	// The per-record limit counts what the record already has: 99 + 2 is too many, 99 + 1 fits.
	var made []string
	for len(made) < 100 {
		var items []string
		for i := 0; i < 50; i++ {
			items = append(items, terrChild(fmt.Sprintf("Bulk%d", len(made)+i), a.root))
		}
		made = append(made, e.create(a, items...)...)
	}
	var first []string
	for _, id := range made[:99] {
		first = append(first, fmt.Sprintf(`{"id":%q}`, id))
	}
	e.want("POST", assign, a.adminTok, fmt.Sprintf(`{"data":[{"id":%q,"Territories":[%s]}]}`, leads[2], strings.Join(first, ",")), 200, "")
	e.want("POST", assign, a.adminTok, fmt.Sprintf(`{"data":[{"id":%q,"Territories":[{"id":%q},{"id":%q}]}]}`, leads[2], made[99], west), 400,
		`{"data":[`+terrEntry("LIMIT_EXCEEDED", "Maximum limit of territories for that record exceeds", `{"api_name":"Territories",`+p(0, ".Territories")+`,"limit":100}`)+`]}`)
	e.want("POST", assign, a.adminTok, fmt.Sprintf(`{"data":[{"id":%q,"Territories":[{"id":%q}]}]}`, leads[2], made[99]), 200, `{"data":[`+updated(leads[2])+`]}`)
}

// TestTerritoriesRecordFilter lists records by territory on a three-level tree, with and without
// include_child.
func TestTerritoriesRecordFilter(t *testing.T) {
	e := newTerrEnv(t)
	a := e.a
	ids := e.create(a, terrChild("West", a.root), terrChild("East", a.root))
	west, east := ids[0], ids[1]
	w1 := e.create(a, terrChild("W1", west))[0]
	w11 := e.create(a, terrChild("W1.1", w1))[0]
	leads := e.insert(a, "Leads", `{"Last_Name":"InWest"}`, `{"Last_Name":"InW1"}`, `{"Last_Name":"InW11"}`, `{"Last_Name":"InEast"}`,
		`{"Last_Name":"Nowhere"}`, `{"Last_Name":"InRoot"}`, `{"Last_Name":"WestAndEast"}`)
	e.assign(a, "Leads", leads[0], west)
	e.assign(a, "Leads", leads[1], w1)
	e.assign(a, "Leads", leads[2], w11)
	e.assign(a, "Leads", leads[3], east)
	e.assign(a, "Leads", leads[5], a.root)
	e.assign(a, "Leads", leads[6], west, east)
	// Another module's record in West never shows among Leads.
	acct := e.insert(a, "Accounts", `{"Account_Name":"Zylker"}`)[0]
	e.assign(a, "Accounts", acct, west)

	list := func(query string) []string {
		t.Helper()
		st, body := e.do("GET", "/crm/v8/Leads?fields=Last_Name&sort_order=asc&"+query, a.adminTok, "")
		if st == 204 {
			return nil
		}
		if st != 200 {
			t.Fatalf("list %s: %d %v", query, st, body)
		}
		return terrIDs(t, body, "data")
	}
	pick := func(is ...int) []string {
		var out []string
		for _, i := range is {
			out = append(out, leads[i])
		}
		return out
	}
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"territory_id=" + west, pick(0, 6)},
		{"territory_id=" + west + "&include_child=false", pick(0, 6)},
		{"territory_id=" + west + "&include_child=true", pick(0, 1, 2, 6)},
		{"territory_id=" + west + "&include_child=TRUE", pick(0, 1, 2, 6)},
		{"territory_id=" + w1 + "&include_child=true", pick(1, 2)},
		{"territory_id=" + w11 + "&include_child=true", pick(2)},
		{"territory_id=" + east, pick(3, 6)},
		{"territory_id=" + a.root, pick(5)},
		{"territory_id=" + a.root + "&include_child=true", pick(0, 1, 2, 3, 5, 6)}, // never the record without territory
		{"include_child=true", pick(0, 1, 2, 3, 4, 5, 6)},                          // include_child alone changes nothing
		{"territory_id=" + west + "&include_child=true&ids=" + leads[2] + "," + leads[3], pick(2)},
		{"territory_id=" + west + "&include_child=true&per_page=2&page=2", pick(2, 6)},
	} {
		if got := list(c.query); !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.query, got, c.want)
		}
	}
	// An empty territory answers 204.
	empty := e.create(a, terrChild("Empty", a.root))[0]
	e.want("GET", "/crm/v8/Leads?fields=Last_Name&territory_id="+empty+"&include_child=true", a.adminTok, "", 204, "")
	// Older versions filter the same way.
	st, body := e.do("GET", "/crm/v2/Leads?territory_id="+w1+"&include_child=true", a.adminTok, "")
	if st != 200 || len(crmdtest.Items(t, body, "data")) != 2 {
		t.Fatalf("v2 filter: %d %v", st, body)
	}
	// Bad parameters; another org's territory is as unknown as one that never existed.
	badTerr := terrErr("INVALID_DATA", "invalid data", `{"param_name":"territory_id"}`)
	for _, q := range []string{"territory_id=abc", "territory_id=1234567000000000001", "territory_id=" + e.b.root, "territory_id=" + e.b.root + "&include_child=true"} {
		e.want("GET", "/crm/v8/Leads?fields=Last_Name&"+q, a.adminTok, "", 400, badTerr)
	}
	e.want("GET", "/crm/v8/Leads?fields=Last_Name&territory_id="+west+"&include_child=yes", a.adminTok, "", 400,
		terrErr("INVALID_DATA", "invalid data", `{"param_name":"include_child"}`))
	// A page token is bound to the territory filter.
	body = e.want("GET", "/crm/v8/Leads?fields=Last_Name&per_page=1&territory_id="+west, a.adminTok, "", 200, "")
	tok, _ := body["info"].(map[string]any)["next_page_token"].(string)
	if tok == "" {
		t.Fatalf("no page token: %v", body["info"])
	}
	e.want("GET", "/crm/v8/Leads?fields=Last_Name&per_page=1&territory_id="+west+"&page_token="+tok, a.adminTok, "", 200, "")
	e.want("GET", "/crm/v8/Leads?fields=Last_Name&per_page=1&territory_id="+west+"&include_child=true&page_token="+tok, a.adminTok, "", 400,
		terrErr("TOKEN_BOUND_DATA_MISMATCH", "The page_token given seems to be invalid or input param is added or altered or deleted", `{"param_name":"page_token"}`))
}

// TestTerritoriesTenantIsolation: nothing of org B's territories is visible or usable from org A.
func TestTerritoriesTenantIsolation(t *testing.T) {
	e := newTerrEnv(t)
	a, b := e.a, e.b
	bWest := e.create(b, terrChild("West", b.root))[0]
	bLead := e.insert(b, "Leads", `{"Last_Name":"Theirs"}`)[0]
	e.assign(b, "Leads", bLead, bWest)
	aLead := e.insert(a, "Leads", `{"Last_Name":"Mine"}`)[0]
	path := "/crm/v8/settings/territories"
	badPath := terrErr("INVALID_DATA", "the id given seems to be invalid", `{"resource_path_index":2}`)
	for _, id := range []string{b.root, bWest} {
		e.want("GET", path+"/"+id, a.adminTok, "", 400, badPath)
		e.want("GET", path+"/"+id+"/__child_territories", a.adminTok, "", 400, badPath)
		e.want("PUT", path+"/"+id, a.adminTok, `{"territories":[{"name":"Hijacked"}]}`, 400, badPath)
		e.want("DELETE", path+"/"+id, a.adminTok, "", 400, badPath)
		e.want("POST", path+"/"+id+"/actions/transfer_and_delete", a.adminTok, `{"territories":[{}]}`, 400, badPath)
		e.want("DELETE", path+"?ids="+id, a.adminTok, "", 400,
			`{"territories":[`+terrEntry("INVALID_DATA", "the id given seems to be invalid", fmt.Sprintf(`{"id":%q}`, id))+`]}`)
		e.want("GET", "/crm/v8/Leads?fields=Last_Name&territory_id="+id, a.adminTok, "", 400, terrErr("INVALID_DATA", "invalid data", `{"param_name":"territory_id"}`))
		e.want("POST", "/crm/v8/Leads/actions/assign_territories", a.adminTok, terrAssignBody(aLead, id), 400,
			`{"data":[`+terrEntry("INVALID_DATA", "the id given seems to be invalid", `{"api_name":"id","json_path":"$.data[0].Territories[0].id"}`)+`]}`)
	}
	e.want("GET", path+"?ids="+bWest+","+b.root, a.adminTok, "", 204, "")
	e.want("POST", "/crm/v8/Leads/actions/assign_territories", a.adminTok, terrAssignBody(bLead, a.root), 400,
		`{"data":[`+terrEntry("INVALID_DATA", "the id given seems to be invalid", `{"api_name":"id","json_path":"$.data[0].id"}`)+`]}`)
	e.want("POST", "/crm/v8/Leads/actions/remove_territories", a.adminTok, terrAssignBody(bLead, bWest), 400,
		`{"data":[`+terrEntry("INVALID_DATA", "the id given seems to be invalid", `{"api_name":"id","json_path":"$.data[0].id"}`)+`]}`)
	// Org B's tree and assignment are intact.
	body := e.want("GET", path, b.adminTok, "", 200, "")
	if ids := terrIDs(t, body, "territories"); !slices.Equal(ids, []string{b.root, bWest}) || crmdtest.Items(t, body, "territories")[1]["name"] != "West" {
		t.Fatalf("org B tree: %v", body)
	}
	body = e.want("GET", "/crm/v8/Leads?fields=Last_Name&territory_id="+bWest, b.adminTok, "", 200, "")
	if ids := terrIDs(t, body, "data"); !slices.Equal(ids, []string{bLead}) {
		t.Fatalf("org B filter: %v", ids)
	}
	// The same name may exist in both orgs.
	e.create(a, terrChild("West", a.root))
}

// TestTerritoriesCheckOrder: a request with several problems gets the answer of the first check, in
// the order the territories API checks (docs/conventions.md#check-order): body syntax, profile, path,
// parameters or the items array, then each item's keys in a fixed order.
func TestTerritoriesCheckOrder(t *testing.T) {
	e := newTerrEnv(t)
	a := e.a
	path := "/crm/v8/settings/territories"
	unknown := "1234567000000000001"
	unparsable := terrErr("UNABLE_TO_PARSE_DATA_TYPE", "either the request body or parameters is in wrong format", `{}`)
	denied := terrErr("NO_PERMISSION", "permission denied", `{"permissions":["Crm_Implied_Manage_Territories"]}`)
	badPath := terrErr("INVALID_DATA", "the id given seems to be invalid", `{"resource_path_index":2}`)
	two := `{"territories":[{},{}]}`

	// The body's syntax comes first, then the profile, then the path, then the items array.
	e.want("POST", path, a.stdTok, `{"territories":[`, 400, unparsable)
	e.want("PUT", path+"/abc", a.adminTok, `{"territories":[`, 400, unparsable)
	for _, c := range []struct{ method, path, body string }{
		{"POST", path, `{}`},
		{"PUT", path + "/abc", two},
		{"PUT", path, `{"territories":{}}`},
		{"DELETE", path, ""},
		{"DELETE", path + "/abc", ""},
		{"POST", path + "/" + unknown + "/actions/transfer_and_delete", `{}`},
	} {
		e.want(c.method, c.path, a.stdTok, c.body, 403, denied)
	}
	for _, c := range []struct{ method, path, body string }{
		{"PUT", path + "/" + unknown, two},
		{"PUT", path + "/" + unknown, `{}`},
		{"PUT", path + "/abc", `{"territories":{}}`},
		{"POST", path + "/" + unknown + "/actions/transfer_and_delete", `{"territories":{}}`},
		{"POST", path + "/" + e.b.root + "/actions/transfer_and_delete", two},
	} {
		e.want(c.method, c.path, a.adminTok, c.body, 400, badPath)
	}
	// Reads: the path before the paging parameters, page before per_page before ids.
	e.want("GET", path+"/"+unknown+"/__child_territories?page=0", a.adminTok, "", 400, badPath)
	e.want("GET", path+"/"+a.root+"/__child_territories?page=0", a.adminTok, "", 400, terrErr("INVALID_DATA", "invalid data", `{"param_name":"page"}`))
	e.want("GET", path+"?per_page=x&ids=abc", a.adminTok, "", 400, terrErr("INVALID_DATA", "invalid data", `{"param_name":"per_page"}`))

	// Assign: the path's record before the entries array.
	badRecord := terrErr("INVALID_DATA", "the id given seems to be invalid", `{"resource_path_index":1}`)
	e.want("POST", "/crm/v8/Leads/"+unknown+"/actions/assign_territories", a.adminTok, `{"data":[{},{}]}`, 400, badRecord)
	e.want("POST", "/crm/v8/Leads/abc/actions/remove_territories", a.adminTok, `{}`, 400, badRecord)

	// An item's keys: name, permission_type, reporting_to, manager, description, rule criteria; each
	// one's own problems before any lookup in the tree.
	p := func(key string) string { return fmt.Sprintf(`"json_path":"$.territories[0].%s"`, key) }
	for name, c := range map[string]struct{ item, entry string }{
		"long name, reporting_to a string": {`{"name":"` + strings.Repeat("x", 101) + `","permission_type":"read_only","reporting_to":"x"}`,
			terrEntry("INVALID_DATA", "invalid data", `{"api_name":"name",`+p("name")+`,"maximum_length":100}`)},
		"bad permission, no reporting_to": {`{"name":"N","permission_type":"all"}`,
			terrEntry("INVALID_DATA", "Given Permission_type value is invalid", `{"api_name":"permission_type",`+p("permission_type")+`,"supported_values":["read_only","read_write_delete"]}`)},
		"unknown parent, unknown manager": {`{"name":"N","permission_type":"read_only","reporting_to":{"id":"` + unknown + `"},"manager":{"id":"` + unknown + `"}}`,
			terrEntry("INVALID_DATA", "the id given seems to be invalid", `{"api_name":"manager",`+p("manager")+`}`)},
		"unknown manager, bad description": {`{"name":"N","permission_type":"read_only","reporting_to":{"id":"` + a.root + `"},"manager":{"id":"` + unknown + `"},"description":1}`,
			terrEntry("INVALID_DATA", "the id given seems to be invalid", `{"api_name":"manager",`+p("manager")+`}`)},
		"long description, rules": {`{"name":"N","permission_type":"read_only","reporting_to":{"id":"` + a.root + `"},"description":"` + strings.Repeat("d", 2001) + `","lead_rule_criteria":{}}`,
			terrEntry("INVALID_DATA", "invalid data", `{"api_name":"description",`+p("description")+`,"maximum_length":2000}`)},
		"rules, taken name": {`{"name":"Acme","permission_type":"read_only","reporting_to":{"id":"` + a.root + `"},"deal_rule_criteria":{}}`,
			terrEntry("NOT_SUPPORTED", "territory assignment rules are not supported", `{"api_name":"deal_rule_criteria",`+p("deal_rule_criteria")+`}`)},
	} {
		t.Run(name, func(t *testing.T) {
			e.want("POST", path, a.adminTok, `{"territories":[`+c.item+`]}`, 400, `{"territories":[`+c.entry+`]}`)
		})
	}
}
