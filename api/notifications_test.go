package api_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd/api"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/store"
)

// The channels API, /crm/{v}/actions/watch (docs/notifications.md#crmd), through the real handler, on
// the store the suite runs on (CRMD_TEST_STORE).

const watchScope = "ZohoCRM.notifications.ALL,ZohoCRM.modules.ALL"

type watchEnv struct {
	st                     *store.Store
	ts                     *httptest.Server
	clock                  *crmdtest.Clock
	a, b                   *crmdtest.Org
	tok                    string // A's admin, watchScope
	bTok                   string // B's admin
	leads, contacts, deals string // A's module ids
}

func newWatchEnv(t *testing.T) *watchEnv {
	t.Helper()
	st := crmdtest.OpenStore(t)
	e := &watchEnv{st: st, clock: crmdtest.UseClock(st, time.Date(2024, 5, 13, 8, 2, 33, 0, time.UTC))}
	e.a = crmdtest.NewTeam(t, st, "Acme", "Asia/Kolkata")
	e.b = crmdtest.NewTeam(t, st, "Zebra", "UTC")
	e.tok = e.a.Token(t, e.a.Admin, watchScope)
	e.bTok = e.b.Token(t, e.b.Admin, watchScope)
	e.leads, e.contacts, e.deals = e.a.Module(t, "Leads").ID.String(), e.a.Module(t, "Contacts").ID.String(), e.a.Module(t, "Deals").ID.String()
	e.ts = httptest.NewServer(newApp(t, st, api.Config{}, nil).API)
	t.Cleanup(e.ts.Close)
	return e
}

func (e *watchEnv) do(t *testing.T, method, path, token, body string) (int, map[string]any) {
	t.Helper()
	return crmdtest.DoJSON(t, method, e.ts.URL+path, body, crmdtest.Auth(token))
}

// want sends a request and checks its status and, when want is not "", its whole answer.
func (e *watchEnv) want(t *testing.T, method, path, token, body string, status int, want string) map[string]any {
	t.Helper()
	st, got := e.do(t, method, path, token, body)
	if st != status {
		t.Fatalf("%s %s %s: %d %v, want %d", method, path, body, st, got, status)
	}
	if want != "" {
		crmdtest.JSONEq(t, method+" "+path+" "+body, got, want)
	}
	return got
}

const hook = "https://hooks.example.com/cb?key1=val1"

func TestWatchEnableAndGet(t *testing.T) {
	e := newWatchEnv(t)
	// A 204 before anything is enabled.
	e.want(t, "GET", "/crm/v8/actions/watch", e.tok, "", 204, "")

	// channel_id as a string and as a number; events with "all" and a lower-case module name.
	body := `{"watch":[{"channel_id":"1000000068001","events":["Leads.all","contacts.create"],"notify_url":"` + hook + `","token":"tok1"},
		{"channel_id":10000,"events":["Deals.edit"],"notify_url":"` + hook + `","notify_on_related_action":false,"return_affected_field_values":true,
		"channel_expiry":"2024-05-14T08:00:00+05:30"}]}`
	e.want(t, "POST", "/crm/v8/actions/watch", e.tok, body, 201, fmt.Sprintf(`{"watch":[
		{"code":"SUCCESS","status":"success","message":"Successfully subscribed for actions-watch of the given module","details":{"events":[
			{"notification_condition":null,"channel_expiry":"2024-05-13T14:32:33+05:30","resource_uri":"http://crmd.test/crm/v8/Leads","resource_id":%q,"resource_name":"Leads","channel_id":"1000000068001"},
			{"notification_condition":null,"channel_expiry":"2024-05-13T14:32:33+05:30","resource_uri":"http://crmd.test/crm/v8/Contacts","resource_id":%q,"resource_name":"Contacts","channel_id":"1000000068001"}]}},
		{"code":"SUCCESS","status":"success","message":"Successfully subscribed for actions-watch of the given module","details":{"events":[
			{"notification_condition":null,"channel_expiry":"2024-05-14T08:00:00+05:30","resource_uri":"http://crmd.test/crm/v8/Deals","resource_id":%q,"resource_name":"Deals","channel_id":"10000"}]}}]}`,
		e.leads, e.contacts, e.deals))

	// GET: one entry per channel and module, by channel id then module; "all" expanded.
	e.want(t, "GET", "/crm/v8/actions/watch", e.tok, "", 200, fmt.Sprintf(`{"watch":[
		{"channel_id":"10000","events":["Deals.edit"],"notify_url":%q,"token":null,"channel_expiry":"2024-05-14T08:00:00+05:30",
		 "resource_uri":"http://crmd.test/crm/v8/Deals","resource_id":%q,"resource_name":"Deals","notify_on_related_action":false,
		 "return_affected_field_values":true,"fields":null,"notification_condition":null},
		{"channel_id":"1000000068001","events":["Contacts.create"],"notify_url":%q,"token":"tok1","channel_expiry":"2024-05-13T14:32:33+05:30",
		 "resource_uri":"http://crmd.test/crm/v8/Contacts","resource_id":%q,"resource_name":"Contacts","notify_on_related_action":true,
		 "return_affected_field_values":false,"fields":null,"notification_condition":null},
		{"channel_id":"1000000068001","events":["Leads.edit","Leads.create","Leads.delete"],"notify_url":%q,"token":"tok1","channel_expiry":"2024-05-13T14:32:33+05:30",
		 "resource_uri":"http://crmd.test/crm/v8/Leads","resource_id":%q,"resource_name":"Leads","notify_on_related_action":true,
		 "return_affected_field_values":false,"fields":null,"notification_condition":null}],
		"info":{"per_page":200,"count":3,"page":1,"more_records":false}}`, hook, e.deals, hook, e.contacts, hook, e.leads))

	// Before v6 there is no notification_condition key, and resource_uri names the request's version.
	got := e.want(t, "GET", "/crm/v5/actions/watch?channel_id=10000", e.tok, "", 200, "")
	item := crmdtest.Items(t, got, "watch")[0]
	if _, ok := item["notification_condition"]; ok || item["resource_uri"] != "http://crmd.test/crm/v5/Deals" {
		t.Errorf("v5 entry: %v", item)
	}

	// Filters and paging.
	got = e.want(t, "GET", "/crm/v8/actions/watch?module=leads", e.tok, "", 200, "")
	if items := crmdtest.Items(t, got, "watch"); len(items) != 1 || items[0]["resource_name"] != "Leads" {
		t.Errorf("module filter: %v", items)
	}
	got = e.want(t, "GET", "/crm/v8/actions/watch?per_page=2&page=1", e.tok, "", 200, "")
	crmdtest.JSONEq(t, "page 1", got["info"], `{"per_page":2,"count":2,"page":1,"more_records":true}`)
	got = e.want(t, "GET", "/crm/v8/actions/watch?per_page=2&page=2", e.tok, "", 200, "")
	crmdtest.JSONEq(t, "page 2", got["info"], `{"per_page":2,"count":1,"page":2,"more_records":false}`)
	e.want(t, "GET", "/crm/v8/actions/watch?per_page=2&page=3", e.tok, "", 204, "")
	e.want(t, "GET", "/crm/v8/actions/watch?channel_id=42", e.tok, "", 204, "")
	e.want(t, "GET", "/crm/v8/actions/watch?module=Vendors", e.tok, "", 204, "")
	e.want(t, "GET", "/crm/v8/actions/watch?channel_id=abc", e.tok, "", 400,
		`{"code":"INVALID_DATA","details":{"param_name":"channel_id"},"message":"invalid data","status":"error"}`)
	e.want(t, "GET", "/crm/v8/actions/watch?module=Nope", e.tok, "", 400,
		`{"code":"INVALID_DATA","details":{"param_name":"module"},"message":"invalid data","status":"error"}`)
	e.want(t, "GET", "/crm/v8/actions/watch?per_page=x", e.tok, "", 400, "")
}

func TestWatchExpiryPerVersion(t *testing.T) {
	e := newWatchEnv(t)
	// now is 2024-05-13T08:02:33Z = 13:32:33+05:30; the default is one hour on.
	def := "2024-05-13T14:32:33+05:30"
	cases := []struct {
		v, expiry, want string
	}{
		{"v3", "", def},
		{"v3", "2024-05-14T07:00:00Z", "2024-05-14T12:30:00+05:30"}, // within a day
		{"v3", "2024-05-15T08:00:00Z", def},                         // beyond v3's day: one hour
		{"v2.1", "2024-05-15T08:00:00Z", def},
		{"v4", "2024-05-15T08:00:00Z", "2024-05-15T13:30:00+05:30"}, // a week from v4
		{"v8", "2024-05-19T08:00:00+00:00", "2024-05-19T13:30:00+05:30"},
		{"v8", "2024-05-21T08:00:00Z", def}, // beyond a week
	}
	for i, c := range cases {
		exp := ""
		if c.expiry != "" {
			exp = `,"channel_expiry":"` + c.expiry + `"`
		}
		got := e.want(t, "POST", "/crm/"+c.v+"/actions/watch", e.tok, fmt.Sprintf(`{"watch":[{"channel_id":%d,"events":["Leads.create"],"notify_url":%q%s}]}`, 100+i, hook, exp), 201, "")
		ev := crmdtest.Items(t, got, "watch")[0]["details"].(map[string]any)["events"].([]any)[0].(map[string]any)
		if ev["channel_expiry"] != c.want {
			t.Errorf("%s expiry %q: got %v, want %s", c.v, c.expiry, ev["channel_expiry"], c.want)
		}
	}
	// An expiry in the past is refused (crmd's choice: the channel would never notify).
	e.want(t, "POST", "/crm/v8/actions/watch", e.tok, `{"watch":[{"channel_id":1,"events":["Leads.create"],"notify_url":"`+hook+`","channel_expiry":"2024-05-13T08:00:00Z"}]}`, 202,
		`{"watch":[{"code":"INVALID_DATA","details":{"api_name":"channel_expiry","json_path":"$.watch[0].channel_expiry","reason":"the expiry is not in the future"},"message":"invalid data","status":"error"}]}`)
}

func TestWatchRenewByPost(t *testing.T) {
	e := newWatchEnv(t)
	body := `{"watch":[{"channel_id":"7","events":["Leads.all"],"notify_url":"` + hook + `","token":"t"}]}`
	e.want(t, "POST", "/crm/v8/actions/watch", e.tok, body, 201, "")
	e.clock.Advance(50 * time.Minute)
	// Enabling the same channel again renews it (Zoho's documented way to extend a channel).
	got := e.want(t, "POST", "/crm/v8/actions/watch", e.tok, `{"watch":[{"channel_id":"7","events":["Contacts.edit"],"notify_url":"`+hook+`"}]}`, 201, "")
	ev := crmdtest.Items(t, got, "watch")[0]["details"].(map[string]any)["events"].([]any)[0].(map[string]any)
	if ev["channel_expiry"] != "2024-05-13T15:22:33+05:30" || ev["resource_name"] != "Contacts" {
		t.Errorf("renewed: %v", ev)
	}
	items := crmdtest.Items(t, e.want(t, "GET", "/crm/v8/actions/watch", e.tok, "", 200, ""), "watch")
	if len(items) != 1 || items[0]["token"] != nil || items[0]["resource_name"] != "Contacts" {
		t.Errorf("after renewal, the channel is the second POST's: %v", items)
	}
}

func TestWatchPutPatchDelete(t *testing.T) {
	e := newWatchEnv(t)
	e.want(t, "POST", "/crm/v8/actions/watch", e.tok, `{"watch":[{"channel_id":"5","events":["Leads.all","Deals.create"],"notify_url":"`+hook+`","token":"keep","return_affected_field_values":true}]}`, 201, "")

	// PATCH update-info keeps the keys it does not give, and adds the events it gives.
	got := e.want(t, "PATCH", "/crm/v8/actions/watch", e.tok, `{"watch":[{"channel_id":5,"events":["Contacts.delete"],"notify_on_related_action":false}]}`, 200, "")
	ent := crmdtest.Items(t, got, "watch")[0]
	if ent["message"] != "Successfully updated the subscribe details" || len(ent["details"].(map[string]any)["events"].([]any)) != 3 {
		t.Errorf("patch: %v", ent)
	}
	items := crmdtest.Items(t, e.want(t, "GET", "/crm/v8/actions/watch?channel_id=5", e.tok, "", 200, ""), "watch")
	if len(items) != 3 || items[0]["token"] != "keep" || items[0]["notify_on_related_action"] != false || items[0]["return_affected_field_values"] != true {
		t.Errorf("after patch: %v", items)
	}

	// PATCH with _delete_events removes one event of Leads.all: the other two stay.
	e.want(t, "PATCH", "/crm/v8/actions/watch", e.tok, `{"watch":[{"channel_id":"5","events":["Leads.create"],"_delete_events":true}]}`, 200, fmt.Sprintf(`{"watch":[
		{"code":"SUCCESS","status":"success","message":"Successfully removed the subscribe details","details":{"events":[
			{"channel_expiry":null,"notification_condition":null,"resource_uri":"http://crmd.test/crm/v8/Leads","resource_id":%q,"resource_name":"Leads","channel_id":"5"}]}}]}`, e.leads))
	got = e.want(t, "GET", "/crm/v8/actions/watch?channel_id=5&module=Leads", e.tok, "", 200, "")
	crmdtest.JSONEq(t, "Leads events", crmdtest.Items(t, got, "watch")[0]["events"], `["Leads.delete","Leads.edit"]`)

	// PUT replaces: the token and the Contacts event are gone.
	e.want(t, "PUT", "/crm/v8/actions/watch", e.tok, `{"watch":[{"channel_id":"5","events":["Deals.all"],"notify_url":"`+hook+`"}]}`, 200, fmt.Sprintf(`{"watch":[
		{"code":"SUCCESS","status":"success","message":"Successfully subscribed for actions-watch of the given module","details":{"events":[
			{"notification_condition":null,"channel_expiry":"2024-05-13T14:32:33+05:30","resource_uri":"http://crmd.test/crm/v8/Deals","resource_id":%q,"resource_name":"Deals","channel_id":"5"}]}}]}`, e.deals))
	items = crmdtest.Items(t, e.want(t, "GET", "/crm/v8/actions/watch", e.tok, "", 200, ""), "watch")
	if len(items) != 1 || items[0]["token"] != nil || items[0]["return_affected_field_values"] != false {
		t.Errorf("after put: %v", items)
	}

	// Unsubscribing the last events deletes the channel.
	e.want(t, "PATCH", "/crm/v8/actions/watch", e.tok, `{"watch":[{"channel_id":"5","events":["Deals.all"],"_delete_events":true}]}`, 200, "")
	e.want(t, "GET", "/crm/v8/actions/watch", e.tok, "", 204, "")

	// Unknown channels: NOT_SUBSCRIBED entries, 202 when every entry failed.
	notSub := `{"watch":[{"code":"NOT_SUBSCRIBED","details":{"channel_id":"5"},"message":"Not subscribed for actions-watch of the given channel","status":"error"}]}`
	e.want(t, "PUT", "/crm/v8/actions/watch", e.tok, `{"watch":[{"channel_id":"5","events":["Deals.all"],"notify_url":"`+hook+`"}]}`, 202, notSub)
	e.want(t, "PATCH", "/crm/v8/actions/watch", e.tok, `{"watch":[{"channel_id":"5","token":"x"}]}`, 202, notSub)
	e.want(t, "DELETE", "/crm/v8/actions/watch?channel_ids=5", e.tok, "", 202, notSub)

	// DELETE: one entry per channel and module; mixed with an unknown id → 207.
	e.want(t, "POST", "/crm/v3/actions/watch", e.tok, `{"watch":[{"channel_id":"8","events":["Leads.all","Contacts.edit"],"notify_url":"`+hook+`"}]}`, 201, "")
	e.want(t, "DELETE", "/crm/v3/actions/watch?channel_ids=8,9", e.tok, "", 207, fmt.Sprintf(`{"watch":[
		{"code":"SUCCESS","status":"success","message":"Successfully un-subscribed from actions-watch","details":{"resource_uri":"http://crmd.test/crm/v3/Contacts","resource_id":%q,"channel_id":"8"}},
		{"code":"SUCCESS","status":"success","message":"Successfully un-subscribed from actions-watch","details":{"resource_uri":"http://crmd.test/crm/v3/Leads","resource_id":%q,"channel_id":"8"}},
		{"code":"NOT_SUBSCRIBED","details":{"channel_id":"9"},"message":"Not subscribed for actions-watch of the given channel","status":"error"}]}`, e.contacts, e.leads))
	e.want(t, "GET", "/crm/v8/actions/watch", e.tok, "", 204, "")
	e.want(t, "DELETE", "/crm/v8/actions/watch", e.tok, "", 400,
		`{"code":"REQUIRED_PARAM_MISSING","details":{"param_name":"channel_ids"},"message":"required param is missing","status":"error"}`)
	e.want(t, "DELETE", "/crm/v8/actions/watch?channel_ids=1,x", e.tok, "", 400,
		`{"code":"INVALID_DATA","details":{"param_name":"channel_ids"},"message":"invalid data","status":"error"}`)
}

func TestWatchValidation(t *testing.T) {
	e := newWatchEnv(t)
	item := func(extra string) string {
		return `{"watch":[{"channel_id":"1","events":["Leads.all"],"notify_url":"` + hook + `"` + extra + `}]}`
	}
	cond := func(c string) string { return item(`,"notification_condition":[` + c + `]`) }
	fld := func(name string) string { return `{"field":{"api_name":"` + name + `"}}` }
	var eleven []string
	for i := 0; i < 11; i++ {
		eleven = append(eleven, fld("Last_Name"))
	}
	cases := []struct {
		name, body, code, details string
	}{
		{"no channel_id", `{"watch":[{"events":["Leads.all"],"notify_url":"` + hook + `"}]}`, "MANDATORY_NOT_FOUND", `{"api_name":"channel_id","json_path":"$.watch[0].channel_id"}`},
		{"no events", `{"watch":[{"channel_id":1,"notify_url":"` + hook + `"}]}`, "MANDATORY_NOT_FOUND", `{"api_name":"events","json_path":"$.watch[0].events"}`},
		{"no notify_url", `{"watch":[{"channel_id":1,"events":["Leads.all"]}]}`, "MANDATORY_NOT_FOUND", `{"api_name":"notify_url","json_path":"$.watch[0].notify_url"}`},
		{"channel_id not a number", `{"watch":[{"channel_id":"12a","events":["Leads.all"],"notify_url":"` + hook + `"}]}`, "INVALID_DATA", `{"api_name":"channel_id","json_path":"$.watch[0].channel_id","expected_data_type":"long"}`},
		{"channel_id fraction", `{"watch":[{"channel_id":1.5,"events":["Leads.all"],"notify_url":"` + hook + `"}]}`, "INVALID_DATA", `{"api_name":"channel_id","json_path":"$.watch[0].channel_id","expected_data_type":"long"}`},
		{"channel_id too big", `{"watch":[{"channel_id":99999999999999999999,"events":["Leads.all"],"notify_url":"` + hook + `"}]}`, "INVALID_DATA", `{"api_name":"channel_id","json_path":"$.watch[0].channel_id","expected_data_type":"long"}`},
		{"unknown module", `{"watch":[{"channel_id":1,"events":["Nope.all"],"notify_url":"` + hook + `"}]}`, "INVALID_DATA", `{"api_name":"events","json_path":"$.watch[0].events[0]"}`},
		{"bad operation", `{"watch":[{"channel_id":1,"events":["Leads.update"],"notify_url":"` + hook + `"}]}`, "INVALID_DATA", `{"api_name":"events","json_path":"$.watch[0].events[0]","supported_values":["all","create","edit","delete"]}`},
		{"no operation", `{"watch":[{"channel_id":1,"events":["Leads"],"notify_url":"` + hook + `"}]}`, "INVALID_DATA", `{"api_name":"events","json_path":"$.watch[0].events[0]"}`},
		{"events not array", `{"watch":[{"channel_id":1,"events":"Leads.all","notify_url":"` + hook + `"}]}`, "INVALID_DATA", `{"api_name":"events","json_path":"$.watch[0].events","expected_data_type":"jsonarray"}`},
		{"event not string", `{"watch":[{"channel_id":1,"events":[1],"notify_url":"` + hook + `"}]}`, "INVALID_DATA", `{"api_name":"events","json_path":"$.watch[0].events[0]","expected_data_type":"string"}`},
		{"empty events", `{"watch":[{"channel_id":1,"events":[],"notify_url":"` + hook + `"}]}`, "INVALID_DATA", `{"api_name":"events","json_path":"$.watch[0].events","reason":"no event given"}`},
		{"token too long", item(`,"token":"` + strings.Repeat("x", 51) + `"`), "INVALID_DATA", `{"api_name":"token","json_path":"$.watch[0].token","maximum_length":50}`},
		{"bad expiry", item(`,"channel_expiry":"tomorrow"`), "INVALID_DATA", `{"api_name":"channel_expiry","json_path":"$.watch[0].channel_expiry","expected_data_type":"datetime"}`},
		{"expiry without offset", item(`,"channel_expiry":"2024-05-14T10:00:00"`), "INVALID_DATA", `{"api_name":"channel_expiry","json_path":"$.watch[0].channel_expiry","expected_data_type":"datetime"}`},
		{"boolean", item(`,"notify_on_related_action":"yes"`), "INVALID_DATA", `{"api_name":"notify_on_related_action","json_path":"$.watch[0].notify_on_related_action","expected_data_type":"boolean"}`},
		{"loopback url", `{"watch":[{"channel_id":1,"events":["Leads.all"],"notify_url":"http://127.0.0.1:8080/x"}]}`, "INVALID_DATA", `{"api_name":"notify_url","json_path":"$.watch[0].notify_url","reason":"127.0.0.1 is not a public address"}`},
		{"private url", `{"watch":[{"channel_id":1,"events":["Leads.all"],"notify_url":"http://10.1.2.3/x"}]}`, "INVALID_DATA", `{"api_name":"notify_url","json_path":"$.watch[0].notify_url","reason":"10.1.2.3 is not a public address"}`},
		{"localhost", `{"watch":[{"channel_id":1,"events":["Leads.all"],"notify_url":"http://localhost/x"}]}`, "INVALID_DATA", `{"api_name":"notify_url","json_path":"$.watch[0].notify_url","reason":"localhost is a loopback name"}`},
		{"ftp url", `{"watch":[{"channel_id":1,"events":["Leads.all"],"notify_url":"ftp://hooks.example.com/x"}]}`, "INVALID_DATA", `{"api_name":"notify_url","json_path":"$.watch[0].notify_url","reason":"the scheme must be http or https"}`},
		{"item not object", `{"watch":[1]}`, "INVALID_DATA", `{"api_name":"watch","json_path":"$.watch[0]","expected_data_type":"jsonobject"}`},

		// notification_condition (v8).
		{"condition ok but module unwatched", cond(`{"type":"field_selection","module":{"api_name":"Deals"},"field_selection":` + fld("Stage") + `}`), "INVALID_DATA",
			`{"api_name":"module","json_path":"$.watch[0].notification_condition[0].module","reason":"the channel's events do not name the module"}`},
		{"condition without type", cond(`{"module":{"api_name":"Leads"}}`), "MANDATORY_NOT_FOUND", `{"api_name":"type","json_path":"$.watch[0].notification_condition[0].type"}`},
		{"field_selection without type", cond(`{"module":{"api_name":"Leads"},"field_selection":` + fld("Last_Name") + `}`), "DEPENDENT_FIELD_MISSING",
			`{"api_name":"field_selection","json_path":"$.watch[0].notification_condition[0].field_selection","dependee":{"api_name":"type","json_path":"$.watch[0].notification_condition[0].type"}}`},
		{"bad type", cond(`{"type":"criteria","module":{"api_name":"Leads"},"field_selection":` + fld("Last_Name") + `}`), "INVALID_DATA",
			`{"api_name":"type","json_path":"$.watch[0].notification_condition[0].type","supported_values":["field_selection"]}`},
		{"no module", cond(`{"type":"field_selection","field_selection":` + fld("Last_Name") + `}`), "MANDATORY_NOT_FOUND", `{"api_name":"module","json_path":"$.watch[0].notification_condition[0].module"}`},
		{"module neither name nor id", cond(`{"type":"field_selection","module":{},"field_selection":` + fld("Last_Name") + `}`), "EXPECTED_FIELD_MISSING",
			`{"expected_fields":[{"api_name":"api_name","json_path":"$.watch[0].notification_condition[0].module.api_name"},{"api_name":"id","json_path":"$.watch[0].notification_condition[0].module.id"}]}`},
		{"module name and id disagree", cond(`{"type":"field_selection","module":{"api_name":"Leads","id":"` + e.deals + `"},"field_selection":` + fld("Last_Name") + `}`), "AMBIGUITY_DURING_PROCESSING",
			`{"ambiguity_due_to":[{"api_name":"api_name","json_path":"$.watch[0].notification_condition[0].module.api_name"},{"api_name":"id","json_path":"$.watch[0].notification_condition[0].module.id"}]}`},
		{"unknown field", cond(`{"type":"field_selection","module":{"api_name":"Leads"},"field_selection":` + fld("Nope") + `}`), "INVALID_DATA",
			`{"api_name":"api_name","json_path":"$.watch[0].notification_condition[0].field_selection.field.api_name"}`},
		{"bad group operator", cond(`{"type":"field_selection","module":{"api_name":"Leads"},"field_selection":{"group_operator":"xor","group":[` + fld("Last_Name") + `]}}`), "INVALID_DATA",
			`{"api_name":"group_operator","json_path":"$.watch[0].notification_condition[0].field_selection.group_operator","supported_values":["or","and"]}`},
		{"group without operator", cond(`{"type":"field_selection","module":{"api_name":"Leads"},"field_selection":{"group":[` + fld("Last_Name") + `]}}`), "MANDATORY_NOT_FOUND",
			`{"api_name":"group_operator","json_path":"$.watch[0].notification_condition[0].field_selection.group_operator"}`},
		{"eleven fields", cond(`{"type":"field_selection","module":{"api_name":"Leads"},"field_selection":{"group_operator":"or","group":[` + strings.Join(eleven, ",") + `]}}`), "INVALID_DATA",
			`{"api_name":"field_selection","json_path":"$.watch[0].notification_condition[0].field_selection","maximum_length":10}`},
		{"three levels", cond(`{"type":"field_selection","module":{"api_name":"Leads"},"field_selection":{"group_operator":"or","group":[{"group_operator":"and","group":[{"group_operator":"or","group":[` + fld("Last_Name") + `]}]}]}}`), "INVALID_DATA",
			`{"api_name":"group","json_path":"$.watch[0].notification_condition[0].field_selection.group[0].group[0]","reason":"groups nest at most two levels"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := crmdtest.TakeFingerprint(t, e.st, 0)
			e.want(t, "POST", "/crm/v8/actions/watch", e.tok, c.body, 202, "")
			_, got := e.do(t, "POST", "/crm/v8/actions/watch", e.tok, c.body)
			ent := crmdtest.Items(t, got, "watch")[0]
			if ent["code"] != c.code || ent["status"] != "error" {
				t.Fatalf("got %v, want %s", ent, c.code)
			}
			crmdtest.JSONEq(t, "details", ent["details"], c.details)
			if d := before.Diff(crmdtest.TakeFingerprint(t, e.st, 0)); d != "" {
				t.Fatalf("a refused request wrote: %s", d)
			}
		})
	}

	// notification_condition before v6 is refused rather than dropped.
	e.want(t, "POST", "/crm/v5/actions/watch", e.tok, cond(`{"type":"field_selection","module":{"api_name":"Leads"},"field_selection":`+fld("Last_Name")+`}`), 202,
		`{"watch":[{"code":"INVALID_DATA","details":{"api_name":"notification_condition","json_path":"$.watch[0].notification_condition","reason":"notification_condition is supported from v6"},"message":"invalid data","status":"error"}]}`)

	// Request-level errors: 400 at the top level.
	for _, b := range []struct{ body, want string }{
		{``, `{"code":"MANDATORY_NOT_FOUND","details":{"api_name":"watch","json_path":"$.watch","expected_data_type":"jsonarray"},"message":"required field not found","status":"error"}`},
		{`{"watch":[]}`, `{"code":"MANDATORY_NOT_FOUND","details":{"api_name":"watch","json_path":"$.watch","expected_data_type":"jsonarray"},"message":"required field not found","status":"error"}`},
		{`{"watch":{}}`, `{"code":"INVALID_DATA","details":{"api_name":"watch","json_path":"$.watch","expected_data_type":"jsonarray"},"message":"invalid data","status":"error"}`},
		{`[1]`, `{"code":"UNABLE_TO_PARSE_DATA_TYPE","details":{},"message":"either the request body or parameters is in wrong format","status":"error"}`},
		{`{"watch":[` + strings.Repeat(`{},`, 100) + `{}]}`, `{"code":"LIMIT_EXCEEDED","details":{"api_name":"watch","json_path":"$.watch","limit":100},"message":"limit exceeded","status":"error"}`},
	} {
		for _, m := range []string{"POST", "PUT", "PATCH"} {
			e.want(t, m, "/crm/v8/actions/watch", e.tok, b.body, 400, b.want)
		}
	}

	// A mixed request: 207, each entry its own.
	got := e.want(t, "POST", "/crm/v8/actions/watch", e.tok, `{"watch":[{"channel_id":1,"events":["Leads.all"],"notify_url":"`+hook+`"},{"events":["Leads.all"]}]}`, 207, "")
	if ents := crmdtest.Items(t, got, "watch"); ents[0]["code"] != "SUCCESS" || ents[1]["code"] != "MANDATORY_NOT_FOUND" {
		t.Errorf("mixed: %v", ents)
	}
}

func TestWatchNotificationCondition(t *testing.T) {
	e := newWatchEnv(t)
	stage := e.a.Module(t, "Deals").Field("Stage").ID.String()
	body := `{"watch":[{"channel_id":"3","events":["Deals.all"],"notify_url":"` + hook + `","notification_condition":[{"type":"field_selection",
		"module":{"api_name":"Deals","id":"` + e.deals + `"},"field_selection":{"group_operator":"or","group":[{"field":{"api_name":"Stage","id":"` + stage + `"}},
		{"group_operator":"and","group":[{"field":{"api_name":"Amount"}},{"field":{"api_name":"Lead_Source"}}]}]}}]}]}`
	e.want(t, "POST", "/crm/v8/actions/watch", e.tok, body, 201, "")
	got := e.want(t, "GET", "/crm/v8/actions/watch", e.tok, "", 200, "")
	item := crmdtest.Items(t, got, "watch")[0]
	amount := e.a.Module(t, "Deals").Field("Amount").ID.String()
	source := e.a.Module(t, "Deals").Field("Lead_Source").ID.String()
	crmdtest.JSONEq(t, "condition", item["notification_condition"], fmt.Sprintf(`[{"type":"field_selection","module":{"api_name":"Deals","id":%q},
		"field_selection":{"group_operator":"or","group":[{"field":{"api_name":"Stage","id":%q},"group_operator":null,"group":null},
		{"group_operator":"and","group":[{"field":{"api_name":"Amount","id":%q},"group_operator":null,"group":null},
		{"field":{"api_name":"Lead_Source","id":%q},"group_operator":null,"group":null}]}]}}]`, e.deals, stage, amount, source))

	// PATCH with a null condition clears it; the events stay.
	e.want(t, "PATCH", "/crm/v8/actions/watch", e.tok, `{"watch":[{"channel_id":"3","notification_condition":null}]}`, 200, "")
	item = crmdtest.Items(t, e.want(t, "GET", "/crm/v8/actions/watch", e.tok, "", 200, ""), "watch")[0]
	if item["notification_condition"] != nil || len(item["events"].([]any)) != 3 {
		t.Errorf("after clearing: %v", item)
	}
}

func TestWatchScopes(t *testing.T) {
	e := newWatchEnv(t)
	mismatch := `{"code":"OAUTH_SCOPE_MISMATCH","details":{},"message":"invalid oauth scope to access this URL","status":"error"}`
	body := `{"watch":[{"channel_id":"1","events":["Leads.all"],"notify_url":"` + hook + `"}]}`
	none := e.a.Token(t, e.a.Admin, "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL")
	read := e.a.Token(t, e.a.Admin, "ZohoCRM.notifications.READ")
	create := e.a.Token(t, e.a.Admin, "ZohoCRM.notifications.CREATE")
	write := e.a.Token(t, e.a.Std, "ZohoCRM.notifications.WRITE")
	calls := []struct{ method, path, body string }{
		{"POST", "/crm/v8/actions/watch", body},
		{"GET", "/crm/v8/actions/watch", ""},
		{"PUT", "/crm/v8/actions/watch", body},
		{"PATCH", "/crm/v8/actions/watch", body},
		{"DELETE", "/crm/v8/actions/watch?channel_ids=1", ""},
	}
	for _, c := range calls {
		e.want(t, c.method, c.path, none, c.body, 401, mismatch)
		if c.method != "GET" {
			e.want(t, c.method, c.path, read, c.body, 401, mismatch)
		}
		if c.method != "POST" {
			e.want(t, c.method, c.path, create, c.body, 401, mismatch)
		}
	}
	e.want(t, "POST", "/crm/v8/actions/watch", create, body, 201, "")
	e.want(t, "GET", "/crm/v8/actions/watch", read, "", 200, "")
	// A Standard user with the scope manages the org's channels: no profile permission is involved.
	e.want(t, "PATCH", "/crm/v8/actions/watch", write, `{"watch":[{"channel_id":"1","token":"std"}]}`, 200, "")
	e.want(t, "DELETE", "/crm/v8/actions/watch?channel_ids=1", write, "", 200, "")
}

func TestWatchTenancy(t *testing.T) {
	e := newWatchEnv(t)
	body := `{"watch":[{"channel_id":"77","events":["Leads.all"],"notify_url":"` + hook + `","token":"B"}]}`
	e.want(t, "POST", "/crm/v8/actions/watch", e.bTok, body, 201, "")
	before := crmdtest.TakeFingerprint(t, e.st, e.b.Org.ID)

	// A sees nothing of B's channel, and cannot change or delete it.
	e.want(t, "GET", "/crm/v8/actions/watch", e.tok, "", 204, "")
	e.want(t, "GET", "/crm/v8/actions/watch?channel_id=77", e.tok, "", 204, "")
	notSub := `{"watch":[{"code":"NOT_SUBSCRIBED","details":{"channel_id":"77"},"message":"Not subscribed for actions-watch of the given channel","status":"error"}]}`
	e.want(t, "PUT", "/crm/v8/actions/watch", e.tok, strings.Replace(body, `"B"`, `"A"`, 1), 202, notSub)
	e.want(t, "PATCH", "/crm/v8/actions/watch", e.tok, `{"watch":[{"channel_id":"77","token":"A"}]}`, 202, notSub)
	e.want(t, "PATCH", "/crm/v8/actions/watch", e.tok, `{"watch":[{"channel_id":"77","events":["Leads.all"],"_delete_events":true}]}`, 202, notSub)
	e.want(t, "DELETE", "/crm/v8/actions/watch?channel_ids=77", e.tok, "", 202, notSub)
	// A's own channel with the same id is A's alone.
	e.want(t, "POST", "/crm/v8/actions/watch", e.tok, strings.Replace(body, `"B"`, `"A"`, 1), 201, "")
	e.want(t, "DELETE", "/crm/v8/actions/watch?channel_ids=77", e.tok, "", 200, "")
	if d := before.Diff(crmdtest.TakeFingerprint(t, e.st, e.b.Org.ID)); d != "" {
		t.Fatalf("A's calls changed B's rows: %s", d)
	}
	items := crmdtest.Items(t, e.want(t, "GET", "/crm/v8/actions/watch", e.bTok, "", 200, ""), "watch")
	if len(items) != 1 || items[0]["token"] != "B" {
		t.Errorf("B's channel: %v", items)
	}
}
