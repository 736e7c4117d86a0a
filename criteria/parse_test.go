package criteria

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd"
)

func TestParseErrors(t *testing.T) {
	numberCmps := []any{"equal", "not_equal", "in", "not_in", "less_than", "less_equal", "greater_than", "greater_equal", "between", "not_between"}
	picklistCmps := []any{"equal", "not_equal", "in", "not_in"}
	textCmps := []any{"equal", "not_equal", "in", "not_in", "contains", "not_contains", "starts_with", "ends_with", "like", "not_like"}
	dateCmps := []any{"equal", "not_equal", "less_than", "less_equal", "greater_than", "greater_equal", "between", "not_between"}
	leaf := func(v string) string { return `{"field":"Name","comparator":"equal","value":` + v + `}` }
	ok := leaf(`"x"`)
	many := func(n int, item string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = item
		}
		return strings.Join(parts, ",")
	}
	nested := ok
	for i := 0; i < 11; i++ {
		nested = `{"group_operator":"and","group":[` + nested + `,` + ok + `]}`
	}
	deepPath := "$.criteria" + strings.Repeat(".group[0]", 10)

	cases := []struct {
		name, in string
		code     string
		details  crmd.D
	}{
		{"not an object", `"Name"`, "INVALID_DATA", crmd.D{"api_name": "criteria", "json_path": "$.criteria", "expected_data_type": "jsonobject"}},
		{"member not an object", `{"group_operator":"and","group":[5,` + ok + `]}`, "INVALID_DATA",
			crmd.D{"api_name": "group", "json_path": "$.criteria.group[0]", "expected_data_type": "jsonobject"}},
		{"missing field", `{"comparator":"equal","value":"x"}`, "MANDATORY_NOT_FOUND", crmd.D{"api_name": "field", "json_path": "$.criteria.field"}},
		{"missing comparator", `{"field":"Name","value":"x"}`, "MANDATORY_NOT_FOUND", crmd.D{"api_name": "comparator", "json_path": "$.criteria.comparator"}},
		{"missing value", `{"field":"Name","comparator":"equal"}`, "MANDATORY_NOT_FOUND", crmd.D{"api_name": "value", "json_path": "$.criteria.value"}},
		{"null value", leaf(`null`), "MANDATORY_NOT_FOUND", crmd.D{"api_name": "value", "json_path": "$.criteria.value"}},
		{"unknown field", `{"field":"Nope","comparator":"equal","value":"x"}`, "INVALID_DATA", crmd.D{"api_name": "Nope", "json_path": "$.criteria.field"}},
		{"unknown field in a group", `{"group_operator":"or","group":[` + ok + `,{"field":"Nope","comparator":"equal","value":"x"}]}`,
			"INVALID_DATA", crmd.D{"api_name": "Nope", "json_path": "$.criteria.group[1].field"}},
		{"unknown field object", `{"field":{"api_name":"Nope","id":"106"},"comparator":"equal","value":"x"}`, "INVALID_DATA",
			crmd.D{"api_name": "Nope", "json_path": "$.criteria.field"}},
		{"unknown field id", `{"field":{"id":"999"},"comparator":"equal","value":"x"}`, "INVALID_DATA",
			crmd.D{"id": "999", "json_path": "$.criteria.field"}},
		{"field object without name or id", `{"field":{},"comparator":"equal","value":"x"}`, "MANDATORY_NOT_FOUND",
			crmd.D{"api_name": "api_name", "json_path": "$.criteria.field.api_name"}},
		{"field of wrong type", `{"field":5,"comparator":"equal","value":"x"}`, "INVALID_DATA",
			crmd.D{"api_name": "field", "json_path": "$.criteria.field", "expected_data_type": "jsonobject"}},
		{"field case matters", `{"field":"name","comparator":"equal","value":"x"}`, "INVALID_DATA", crmd.D{"api_name": "name", "json_path": "$.criteria.field"}},
		{"unsupported field type", `{"field":"Attachment","comparator":"equal","value":"x"}`, "INVALID_DATA",
			crmd.D{"api_name": "Attachment", "json_path": "$.criteria.field"}},
		{"contains on a number", `{"field":"Count","comparator":"contains","value":1}`, "INVALID_DATA",
			crmd.D{"api_name": "comparator", "json_path": "$.criteria.comparator", "supported_values": numberCmps}},
		{"ordering on a picklist", `{"field":"Stage","comparator":"greater_than","value":"Open"}`, "INVALID_DATA",
			crmd.D{"api_name": "comparator", "json_path": "$.criteria.comparator", "supported_values": picklistCmps}},
		{"unknown comparator", `{"field":"Name","comparator":"sounds_like","value":"x"}`, "INVALID_DATA",
			crmd.D{"api_name": "comparator", "json_path": "$.criteria.comparator", "supported_values": textCmps}},
		{"comparator not a string", `{"field":"Due","comparator":5,"value":"x"}`, "INVALID_DATA",
			crmd.D{"api_name": "comparator", "json_path": "$.criteria.comparator", "supported_values": dateCmps}},
		{"in on a date", `{"field":"Due","comparator":"in","value":["2024-01-01"]}`, "INVALID_DATA",
			crmd.D{"api_name": "comparator", "json_path": "$.criteria.comparator", "supported_values": dateCmps}},
		{"bad group operator", `{"group_operator":"xor","group":[` + ok + `,` + ok + `]}`, "INVALID_DATA",
			crmd.D{"api_name": "group_operator", "json_path": "$.criteria.group_operator", "supported_values": []any{"AND", "OR"}}},
		{"missing group operator", `{"group":[` + ok + `,` + ok + `]}`, "MANDATORY_NOT_FOUND",
			crmd.D{"api_name": "group_operator", "json_path": "$.criteria.group_operator"}},
		{"missing group", `{"group_operator":"and"}`, "MANDATORY_NOT_FOUND",
			crmd.D{"api_name": "group", "json_path": "$.criteria.group", "expected_data_type": "jsonarray"}},
		{"group not an array", `{"group_operator":"and","group":{}}`, "INVALID_DATA",
			crmd.D{"api_name": "group", "json_path": "$.criteria.group", "expected_data_type": "jsonarray"}},
		{"group of one", `{"group_operator":"and","group":[` + ok + `]}`, "INVALID_DATA",
			crmd.D{"api_name": "group", "json_path": "$.criteria.group", "minimum_length": 2}},
		{"group of 26", `{"group_operator":"and","group":[` + many(26, ok) + `]}`, "LIMIT_EXCEEDED",
			crmd.D{"limit": 25, "api_name": "group", "json_path": "$.criteria.group"}},
		{"nested 11 deep", nested, "LIMIT_EXCEEDED", crmd.D{"limit": 10, "api_name": "group", "json_path": deepPath}},
		{"too many leaves", `{"group_operator":"or","group":[` +
			many(9, `{"group_operator":"and","group":[`+many(25, ok)+`]}`) + `]}`, "LIMIT_EXCEEDED",
			crmd.D{"limit": MaxLeaves, "api_name": "criteria", "json_path": "$.criteria"}},
		{"in with a scalar", `{"field":"Name","comparator":"in","value":"x"}`, "INVALID_DATA",
			crmd.D{"api_name": "Name", "json_path": "$.criteria.value", "expected_data_type": "jsonarray"}},
		{"in with nothing", `{"field":"Name","comparator":"in","value":[]}`, "INVALID_DATA",
			crmd.D{"api_name": "Name", "json_path": "$.criteria.value", "expected_data_type": "jsonarray"}},
		{"in with 501", `{"field":"Name","comparator":"in","value":[` + many(501, `"x"`) + `]}`, "LIMIT_EXCEEDED",
			crmd.D{"limit": 500, "api_name": "Name", "json_path": "$.criteria.value"}},
		{"in with a bad member", `{"field":"Name","comparator":"in","value":["a",5]}`, "INVALID_DATA",
			crmd.D{"api_name": "Name", "json_path": "$.criteria.value[1]", "expected_data_type": "text"}},
		{"between with a bad bound", `{"field":"Due","comparator":"between","value":["${TODAY}",5]}`, "INVALID_DATA",
			crmd.D{"api_name": "Due", "json_path": "$.criteria.value[1]", "expected_data_type": "date"}},
		{"between with a scalar", `{"field":"Count","comparator":"between","value":1}`, "INVALID_DATA",
			crmd.D{"api_name": "Count", "json_path": "$.criteria.value", "expected_data_type": "jsonarray"}},
		{"between with three", `{"field":"Count","comparator":"not_between","value":[1,2,3]}`, "INVALID_DATA",
			crmd.D{"api_name": "Count", "json_path": "$.criteria.value", "expected_data_type": "jsonarray"}},
		{"ordering with a list", `{"field":"Count","comparator":"less_than","value":[1]}`, "INVALID_DATA",
			crmd.D{"api_name": "Count", "json_path": "$.criteria.value", "expected_data_type": "integer"}},
		{"integer with text", `{"field":"Count","comparator":"equal","value":"abc"}`, "INVALID_DATA",
			crmd.D{"api_name": "Count", "json_path": "$.criteria.value", "expected_data_type": "integer"}},
		{"integer with a fraction", `{"field":"Count","comparator":"equal","value":1.5}`, "INVALID_DATA",
			crmd.D{"api_name": "Count", "json_path": "$.criteria.value", "expected_data_type": "integer"}},
		{"currency with Inf", `{"field":"Amount","comparator":"equal","value":"Inf"}`, "INVALID_DATA",
			crmd.D{"api_name": "Amount", "json_path": "$.criteria.value", "expected_data_type": "currency"}},
		{"currency with hex", `{"field":"Amount","comparator":"equal","value":"0x10"}`, "INVALID_DATA",
			crmd.D{"api_name": "Amount", "json_path": "$.criteria.value", "expected_data_type": "currency"}},
		{"currency with a boolean", `{"field":"Amount","comparator":"equal","value":true}`, "INVALID_DATA",
			crmd.D{"api_name": "Amount", "json_path": "$.criteria.value", "expected_data_type": "currency"}},
		{"boolean with a string", `{"field":"Flag","comparator":"equal","value":"true"}`, "INVALID_DATA",
			crmd.D{"api_name": "Flag", "json_path": "$.criteria.value", "expected_data_type": "boolean"}},
		{"boolean with a list", `{"field":"Flag","comparator":"equal","value":[true]}`, "INVALID_DATA",
			crmd.D{"api_name": "Flag", "json_path": "$.criteria.value", "expected_data_type": "boolean"}},
		{"date out of range", `{"field":"Due","comparator":"equal","value":"2024-13-01"}`, "INVALID_DATA",
			crmd.D{"api_name": "Due", "json_path": "$.criteria.value", "expected_data_type": "date"}},
		{"date with a time", `{"field":"Due","comparator":"equal","value":"2024-01-01T00:00:00Z"}`, "INVALID_DATA",
			crmd.D{"api_name": "Due", "json_path": "$.criteria.value", "expected_data_type": "date"}},
		{"unknown keyword", `{"field":"Due","comparator":"equal","value":"${SOMEDAY}"}`, "INVALID_DATA",
			crmd.D{"api_name": "Due", "json_path": "$.criteria.value", "expected_data_type": "date"}},
		{"n of zero", `{"field":"Due","comparator":"equal","value":"${LAST_N_DAYS:0}"}`, "INVALID_DATA",
			crmd.D{"api_name": "Due", "json_path": "$.criteria.value", "expected_data_type": "date"}},
		{"n too large", `{"field":"Due","comparator":"equal","value":"${NEXT_N_YEARS:1001}"}`, "INVALID_DATA",
			crmd.D{"api_name": "Due", "json_path": "$.criteria.value", "expected_data_type": "date"}},
		{"n missing", `{"field":"Due","comparator":"equal","value":"${LAST_N_DAYS}"}`, "INVALID_DATA",
			crmd.D{"api_name": "Due", "json_path": "$.criteria.value", "expected_data_type": "date"}},
		{"n where none belongs", `{"field":"Due","comparator":"equal","value":"${TODAY:2}"}`, "INVALID_DATA",
			crmd.D{"api_name": "Due", "json_path": "$.criteria.value", "expected_data_type": "date"}},
		{"signed n", `{"field":"Due","comparator":"equal","value":"${LAST_N_DAYS:+2}"}`, "INVALID_DATA",
			crmd.D{"api_name": "Due", "json_path": "$.criteria.value", "expected_data_type": "date"}},
		{"datetime without zone", `{"field":"Seen","comparator":"equal","value":"2024-01-01 10:00"}`, "INVALID_DATA",
			crmd.D{"api_name": "Seen", "json_path": "$.criteria.value", "expected_data_type": "datetime"}},
		{"datetime column with a number", `{"field":"Created_Time","comparator":"less_than","value":1700000000000}`, "INVALID_DATA",
			crmd.D{"api_name": "Created_Time", "json_path": "$.criteria.value", "expected_data_type": "datetime"}},
		{"current user on a plain lookup", `{"field":"Account","comparator":"equal","value":{"name":"${CURRENTUSER}"}}`, "INVALID_DATA",
			crmd.D{"api_name": "Account", "json_path": "$.criteria.value", "expected_data_type": "lookup"}},
		{"lookup with a name", `{"field":"Account","comparator":"equal","value":"Acme"}`, "INVALID_DATA",
			crmd.D{"api_name": "Account", "json_path": "$.criteria.value", "expected_data_type": "lookup"}},
		{"lookup with id zero", `{"field":"Account","comparator":"equal","value":{"id":"0"}}`, "INVALID_DATA",
			crmd.D{"api_name": "Account", "json_path": "$.criteria.value", "expected_data_type": "lookup"}},
		{"owner with a bad id", `{"field":"Owner","comparator":"in","value":["1001","x"]}`, "INVALID_DATA",
			crmd.D{"api_name": "Owner", "json_path": "$.criteria.value[1]", "expected_data_type": "ownerlookup"}},
		{"empty keyword with contains", `{"field":"Name","comparator":"contains","value":"${EMPTY}"}`, "INVALID_DATA",
			crmd.D{"api_name": "Name", "json_path": "$.criteria.value", "expected_data_type": "text"}},
		{"empty keyword with less_than", `{"field":"Count","comparator":"less_than","value":"${NOTEMPTY}"}`, "INVALID_DATA",
			crmd.D{"api_name": "Count", "json_path": "$.criteria.value", "expected_data_type": "integer"}},
		{"contains nothing", `{"field":"Name","comparator":"contains","value":""}`, "INVALID_DATA",
			crmd.D{"api_name": "Name", "json_path": "$.criteria.value", "expected_data_type": "text"}},
		{"text with NUL", leaf(`"a\u0000b"`), "INVALID_DATA",
			crmd.D{"api_name": "Name", "json_path": "$.criteria.value", "expected_data_type": "text"}},
		{"text too long", leaf(`"` + strings.Repeat("é", MaxValueLength+1) + `"`), "INVALID_DATA",
			crmd.D{"api_name": "Name", "json_path": "$.criteria.value", "maximum_length": MaxValueLength}},
		{"text with a number", leaf(`5`), "INVALID_DATA",
			crmd.D{"api_name": "Name", "json_path": "$.criteria.value", "expected_data_type": "text"}},
		{"value from a field", `{"field":"Name","comparator":"equal","value":"x","type":"field"}`, "INVALID_DATA",
			crmd.D{"api_name": "type", "json_path": "$.criteria.type", "supported_values": []any{"value", "pre_defined"}}},
	}
	m := testModule()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(decode(t, c.in), m)
			e, ok := crmd.AsError(err)
			if !ok {
				t.Fatalf("want %s, got %v", c.code, err)
			}
			if e.Code != c.code || e.Status != 400 {
				t.Errorf("code %s status %d, want %s 400", e.Code, e.Status, c.code)
			}
			wantMsg := map[string]string{"INVALID_DATA": "invalid data", "MANDATORY_NOT_FOUND": "required field not found", "LIMIT_EXCEEDED": "limit exceeded"}[c.code]
			if e.Message != wantMsg {
				t.Errorf("message %q, want %q", e.Message, wantMsg)
			}
			if got, want := canon(t, e.Details), canon(t, c.details); got != want {
				t.Errorf("details\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestParseAtRoot(t *testing.T) {
	_, err := ParseAt(decode(t, `{"group_operator":"and","group":[{"field":"Name","comparator":"equal","value":"x"},{"field":"X","comparator":"equal","value":"x"}]}`),
		testModule(), "$.custom_views[2].criteria")
	e, _ := crmd.AsError(err)
	if e == nil || e.Details["json_path"] != "$.custom_views[2].criteria.group[1].field" {
		t.Fatalf("got %v %v", err, detailsOf(err))
	}
}

func TestParseNormalises(t *testing.T) {
	m := testModule()
	value := func(field, cmp, v string) any {
		t.Helper()
		return mustParse(t, m, fmt.Sprintf(`{"field":%q,"comparator":%q,"value":%s}`, field, cmp, v)).Value
	}
	cases := []struct {
		got, want any
	}{
		{value("Count", "equal", `"5"`), int64(5)},
		{value("Count", "equal", `5.0`), int64(5)},
		{value("Count", "equal", `-1e3`), int64(-1000)},
		{value("Big", "equal", `"123456789012345678"`), int64(123456789012345678)},
		{value("Amount", "equal", `1.25`), 1.25},
		{value("Amount", "equal", `"-0.5"`), -0.5},
		{value("Amount", "equal", `3`), int64(3)},
		{value("Amount", "between", `[1, "2.5"]`), []any{int64(1), 2.5}},
		{value("Flag", "not_equal", `false`), false},
		{value("Due", "equal", `"2024-02-29"`), Date{2024, time.February, 29}},
		{value("Due", "equal", `"${today}"`), DateKeyword{Name: "TODAY"}},
		{value("Due", "greater_equal", `"${Last_N_Days:7}"`), DateKeyword{Name: "LAST_N_DAYS", N: 7}},
		{value("Seen", "equal", `"2024-01-01T10:00:00.9+05:30"`), time.Date(2024, 1, 1, 4, 30, 0, 0, time.UTC)},
		{value("Seen", "equal", `"2024-01-01"`), Date{2024, time.January, 1}},
		{value("Created_Time", "less_than", `"${NEXT_N_WEEKS:2}"`), DateKeyword{Name: "NEXT_N_WEEKS", N: 2}},
		{value("Owner", "equal", `{"name":"${CURRENTUSER}"}`), KeywordCurrentUser},
		{value("Manager", "equal", `"${currentuser}"`), KeywordCurrentUser},
		{value("Owner", "in", `[{"id":"1001"}, 1002, "${CURRENTUSER}"]`), []any{crmd.ID(1001), crmd.ID(1002), KeywordCurrentUser}},
		{value("Account", "equal", `5001`), crmd.ID(5001)},
		{value("Account", "equal", `{"id":"5001","name":"Acme"}`), crmd.ID(5001)},
		{value("Name", "equal", `""`), KeywordEmpty},
		{value("Name", "equal", `"${NotEmpty}"`), KeywordNotEmpty},
		{value("Count", "not_equal", `"${EMPTY}"`), KeywordEmpty},
		{value("Name", "equal", `["a","B"]`), []any{"a", "B"}},
		{value("Name", "not_like", `"%a_"`), "%a_"},
		{value("Name", "equal", `"${TODAY}"`), "${TODAY}"}, // a date keyword is plain text in a text field
	}
	for i, c := range cases {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("case %d: got %#v, want %#v", i, c.got, c.want)
		}
	}

	n := mustParse(t, m, `{"group_operator":"Or","group":[{"field":{"id":"106"},"comparator":"EQUAL","value":"x"},`+
		`{"field":{"api_name":"Count","id":"not-checked"},"comparator":"Less_Than","value":1}]}`)
	if n.Op != "or" || n.Members[0].Field.APIName != "Name" || n.Members[0].Comparator != Equal ||
		n.Members[1].Field.APIName != "Count" || n.Members[1].Comparator != LessThan {
		t.Errorf("normalised tree: %+v %+v %+v", n, n.Members[0], n.Members[1])
	}
}

func TestParseDepthAndSizeLimitsInclusive(t *testing.T) {
	ok := `{"field":"Name","comparator":"equal","value":"x"}`
	nested := ok
	for i := 0; i < MaxDepth; i++ {
		nested = `{"group_operator":"and","group":[` + nested + `,` + ok + `]}`
	}
	mustParse(t, testModule(), nested)
	mustParse(t, testModule(), `{"group_operator":"and","group":[`+strings.TrimSuffix(strings.Repeat(ok+",", MaxGroupMembers), ",")+`]}`)
	vals := strings.TrimSuffix(strings.Repeat(`"v",`, MaxListValues), ",")
	mustParse(t, testModule(), `{"field":"Name","comparator":"in","value":[`+vals+`]}`)
	mustParse(t, testModule(), `{"field":"Name","comparator":"equal","value":"`+strings.Repeat("é", MaxValueLength)+`"}`)
}
