package api_test

import "testing"

// FuzzWatchHTTP sends fuzzed `watch` bodies to /crm/{version}/actions/watch through the real handler,
// over the fuzz fixture: no 500, always JSON, every error Zoho-shaped (classify). The variant's low
// three bits pick the version, bits 4–5 the method (POST, PUT, PATCH; the fourth value is PATCH with
// _delete_events forced by the body seeds themselves).
func FuzzWatchHTTP(f *testing.F) {
	for _, s := range []string{
		`{"watch":[{"channel_id":"1000000068001","events":["Leads.all","Contacts.create"],"notify_url":"https://hooks.example.com/cb?a=1","token":"t"}]}`,
		`{"watch":[{"channel_id":10000,"events":["Deals.edit"],"notify_url":"https://hooks.example.com/","channel_expiry":"2024-05-14T08:00:00+05:30","notify_on_related_action":false,"return_affected_field_values":true}]}`,
		`{"watch":[{"channel_id":"3","events":["Leads.all"],"notify_url":"https://h.example.com","notification_condition":[{"type":"field_selection","module":{"api_name":"Leads","id":"1"},"field_selection":{"group_operator":"or","group":[{"field":{"api_name":"Last_Name"}},{"group_operator":"and","group":[{"field":{"id":"2"}}]}]}}]}]}`,
		`{"watch":[{"channel_id":"3","events":["Leads.create"],"_delete_events":true}]}`,
		`{"watch":[{"channel_id":"3","notification_condition":null,"token":null}]}`,
		`{"watch":[{"channel_id":-1,"events":[1,null,"x.y.z"],"notify_url":"http://127.0.0.1/"}]}`,
		`{"watch":[{"channel_id":1e3,"events":["Leads.all"],"notify_url":"https://user:pw@h.example.com","channel_expiry":"1999-01-01T00:00:00Z"}]}`,
		`{"watch":[{"channel_id":"1","events":["Leads.all"],"notify_url":"https://h.example.com","notification_condition":[{"field_selection":{}},{"type":5},[],{"type":"field_selection","module":[],"field_selection":{"field":"x"}}]}]}`,
		`{"watch":[null,1,"x",[],{}]}`, `{"watch":{}}`, `{"watch":[]}`, `{}`, ``, `[]`, `null`,
	} {
		f.Add(uint8(0), s)
	}
	f.Add(uint8(16), `{"watch":[{"channel_id":"1","events":["Leads.all"],"notify_url":"https://h.example.com"}]}`)
	f.Add(uint8(32), `{"watch":[{"channel_id":"1","_delete_events":"yes","events":["Leads.all"]}]}`)
	f.Add(uint8(2), `{"watch":[{"channel_id":"1","events":["Leads.all"],"notify_url":"https://h.example.com","notification_condition":[]}]}`)
	e := newFuzzEnv(f)
	tok := e.acme.Token(f, e.acme.Admin, fuzzScope+",ZohoCRM.notifications.ALL")
	methods := []string{"POST", "PUT", "PATCH", "PATCH"}
	f.Fuzz(func(t *testing.T, variant uint8, body string) {
		version, _ := e.pick(variant & 7)
		e.do(t, methods[(variant>>4)&3], "/crm/"+version+"/actions/watch", "application/json", tok, e.fill(body), false)
	})
}
