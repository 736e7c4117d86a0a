package criteria

import (
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/catalog"
)

func TestRenderPerVersion(t *testing.T) {
	in := `{"group_operator":"AND","group":[
		{"field":{"api_name":"Flag","id":"116"},"comparator":"EQUAL","value":true},
		{"group_operator":"or","group":[
			{"field":"Account","comparator":"in","value":[5001,{"id":5002,"name":"Acme"}]},
			{"field":{"id":"114"},"comparator":"between","value":[1,"2.50"]},
			{"field":"Due","comparator":"equal","value":"${today}"}]}]}`
	n := mustParse(t, testModule(), in)
	cases := []struct {
		version int
		want    string
	}{
		{20, `{"group_operator":"and","group":[
			{"field":"Flag","comparator":"equal","value":true},
			{"group_operator":"or","group":[
				{"field":"Account","comparator":"in","value":["5001",{"id":"5002","name":"Acme"}]},
				{"field":"Amount","comparator":"between","value":[1,"2.50"]},
				{"field":"Due","comparator":"equal","value":"${today}"}]}]}`},
		{21, `{"group_operator":"and","group":[
			{"field":{"api_name":"Flag","id":"116"},"comparator":"equal","value":true},
			{"group_operator":"or","group":[
				{"field":{"api_name":"Account","id":"120"},"comparator":"in","value":["5001",{"id":"5002","name":"Acme"}]},
				{"field":{"api_name":"Amount","id":"114"},"comparator":"between","value":[1,"2.50"]},
				{"field":{"api_name":"Due","id":"117"},"comparator":"equal","value":"${today}"}]}]}`},
		{70, `{"group_operator":"and","group":[
			{"field":{"api_name":"Flag","id":"116"},"comparator":"equal","value":true},
			{"group_operator":"or","group":[
				{"field":{"api_name":"Account","id":"120"},"comparator":"in","value":["5001",{"id":"5002","name":"Acme"}]},
				{"field":{"api_name":"Amount","id":"114"},"comparator":"between","value":[1,"2.50"]},
				{"field":{"api_name":"Due","id":"117"},"comparator":"equal","value":"${today}"}]}]}`},
		{80, `{"group_operator":"AND","group":[
			{"field":{"api_name":"Flag","id":"116"},"comparator":"equal","value":true},
			{"group_operator":"OR","group":[
				{"field":{"api_name":"Account","id":"120"},"comparator":"in","value":["5001",{"id":"5002","name":"Acme"}]},
				{"field":{"api_name":"Amount","id":"114"},"comparator":"between","value":[1,"2.50"]},
				{"field":{"api_name":"Due","id":"117"},"comparator":"equal","value":"${today}"}]}]}`},
	}
	for _, c := range cases {
		if got, want := canon(t, n.Render(c.version)), canon(t, decode(t, c.want)); got != want {
			t.Errorf("v%d\n got %s\nwant %s", c.version, got, want)
		}
	}
}

// The single-view example of docs/views.md#criteria, against the catalog's Leads, comes back unchanged in v8.
func TestRenderZohoExampleOnLeads(t *testing.T) {
	var leads *crmd.Module
	for _, m := range catalog.Standard() {
		if m.APIName == "Leads" {
			leads = m
		}
	}
	leads.Field("Email_Opt_Out").ID = 5725767000000002611
	leads.Field("Email").ID = 5725767000000002599
	in := `{"group_operator": "AND", "group": [
     {"field": {"api_name": "Email_Opt_Out", "id": "5725767000000002611"}, "comparator": "equal", "value": true},
     {"field": {"api_name": "Email", "id": "5725767000000002599"}, "comparator": "equal", "value": "${NOTEMPTY}"}]}`
	n := mustParse(t, leads, in)
	if got, want := canon(t, n.Render(80)), canon(t, decode(t, in)); got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	// And it means what it says.
	env := Env{Now: time.Now()}
	yes := &Row{Data: map[string]any{"Email_Opt_Out": true, "Email": "a@b.c"}}
	no := &Row{Data: map[string]any{"Email_Opt_Out": true, "Email": ""}}
	if !Eval(n, yes, env) || Eval(n, no, env) {
		t.Error("Eval of the example")
	}
}

func TestRenderWithoutRaw(t *testing.T) {
	m := testModule()
	n := &Node{Op: "or", Members: []*Node{
		{Field: m.Field("Owner"), Comparator: Equal, Value: KeywordCurrentUser},
		{Field: m.Field("Account"), Comparator: In, Value: []any{crmd.ID(5001)}},
		{Field: m.Field("Seen"), Comparator: Between, Value: []any{Date{2024, 1, 2}, time.Date(2024, 1, 3, 4, 5, 6, 0, time.UTC)}},
		{Field: m.Field("Due"), Comparator: GreaterEqual, Value: DateKeyword{Name: "LAST_N_DAYS", N: 7}},
		{Field: m.Field("Name"), Comparator: NotEqual, Value: KeywordEmpty},
	}}
	want := `{"group_operator":"or","group":[
		{"field":"Owner","comparator":"equal","value":{"name":"${CURRENTUSER}"}},
		{"field":"Account","comparator":"in","value":[{"id":"5001"}]},
		{"field":"Seen","comparator":"between","value":["2024-01-02","2024-01-03T04:05:06Z"]},
		{"field":"Due","comparator":"greater_equal","value":"${LAST_N_DAYS:7}"},
		{"field":"Name","comparator":"not_equal","value":"${EMPTY}"}]}`
	if got, w := canon(t, n.Render(20)), canon(t, decode(t, want)); got != w {
		t.Errorf("got %s\nwant %s", got, w)
	}
}
