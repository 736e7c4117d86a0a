package criteria

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/crmd/crmd"
)

// Each keyword's range, checked through Eval on a date field at both edges: lo-1 out, lo in, hi-1 in, hi out.
func TestDateKeywords(t *testing.T) {
	thu := Env{Now: time.Date(2024, 2, 29, 10, 30, 0, 0, time.UTC), Loc: time.UTC} // a Thursday in a leap year
	cases := []struct {
		kw     string
		lo, hi string
	}{
		{"TODAY", "2024-02-29", "2024-03-01"},
		{"YESTERDAY", "2024-02-28", "2024-02-29"},
		{"TOMORROW", "2024-03-01", "2024-03-02"},
		{"THISWEEK", "2024-02-25", "2024-03-03"}, // Sunday to Saturday
		{"LASTWEEK", "2024-02-18", "2024-02-25"},
		{"NEXTWEEK", "2024-03-03", "2024-03-10"},
		{"THISMONTH", "2024-02-01", "2024-03-01"},
		{"LASTMONTH", "2024-01-01", "2024-02-01"},
		{"NEXTMONTH", "2024-03-01", "2024-04-01"},
		{"THISQUARTER", "2024-01-01", "2024-04-01"},
		{"LASTQUARTER", "2023-10-01", "2024-01-01"},
		{"NEXTQUARTER", "2024-04-01", "2024-07-01"},
		{"THISYEAR", "2024-01-01", "2025-01-01"},
		{"LASTYEAR", "2023-01-01", "2024-01-01"},
		{"NEXTYEAR", "2025-01-01", "2026-01-01"},
		{"LAST_N_DAYS:7", "2024-02-22", "2024-02-29"}, // today excluded
		{"NEXT_N_DAYS:7", "2024-03-01", "2024-03-08"},
		{"LAST_N_WEEKS:2", "2024-02-11", "2024-02-25"},
		{"NEXT_N_WEEKS:2", "2024-03-03", "2024-03-17"},
		{"LAST_N_MONTHS:3", "2023-11-01", "2024-02-01"},
		{"NEXT_N_MONTHS:3", "2024-03-01", "2024-06-01"},
		{"LAST_N_YEARS:2", "2022-01-01", "2024-01-01"},
		{"NEXT_N_YEARS:2", "2025-01-01", "2027-01-01"},
	}
	m := testModule()
	day := func(s string, delta int) string {
		d, _ := time.Parse(dateLayout, s)
		return d.AddDate(0, 0, delta).Format(dateLayout)
	}
	for _, c := range cases {
		n := mustParse(t, m, `{"field":"Due","comparator":"equal","value":"${`+c.kw+`}"}`)
		for _, p := range []struct {
			date string
			in   bool
		}{{day(c.lo, -1), false}, {c.lo, true}, {day(c.hi, -1), true}, {c.hi, false}} {
			if got := Eval(n, &Row{Data: map[string]any{"Due": p.date}}, thu); got != p.in {
				t.Errorf("${%s} on %s: %v, want %v", c.kw, p.date, got, p.in)
			}
		}
	}
}

// Days begin at midnight in the org's zone, for the meaning of "today" and for datetime ranges.
func TestDatesFollowTheOrgZone(t *testing.T) {
	m := testModule()
	kolkata, _ := time.LoadLocation("Asia/Kolkata") // +05:30
	newYork, _ := time.LoadLocation("America/New_York")
	now := time.Date(2024, 2, 29, 20, 0, 0, 0, time.UTC) // already 1 March in Kolkata, still 29 February in New York
	today := mustParse(t, m, `{"field":"Due","comparator":"equal","value":"${TODAY}"}`)
	if !Eval(today, &Row{Data: map[string]any{"Due": "2024-03-01"}}, Env{Now: now, Loc: kolkata}) ||
		!Eval(today, &Row{Data: map[string]any{"Due": "2024-02-29"}}, Env{Now: now, Loc: newYork}) {
		t.Error("${TODAY} ignores the zone")
	}

	env := Env{Now: now, Loc: kolkata}
	seen := mustParse(t, m, `{"field":"Seen","comparator":"equal","value":"${TODAY}"}`)
	created := mustParse(t, m, `{"field":"Created_Time","comparator":"equal","value":"${TODAY}"}`)
	for _, p := range []struct {
		at string
		in bool
	}{
		{"2024-02-29T18:29:59Z", false}, // 23:59:59 on 29 February in Kolkata
		{"2024-02-29T18:30:00Z", true},  // midnight, 1 March
		{"2024-03-01T18:29:59Z", true},
		{"2024-03-01T18:30:00Z", false},
	} {
		at, _ := time.Parse(time.RFC3339, p.at)
		if got := Eval(seen, &Row{Data: map[string]any{"Seen": p.at}}, env); got != p.in {
			t.Errorf("Seen %s: %v, want %v", p.at, got, p.in)
		}
		if got := Eval(created, &Row{CreatedTime: at.UnixMilli() + 999}, env); got != p.in {
			t.Errorf("Created_Time %s: %v, want %v", p.at, got, p.in)
		}
	}

	// A date given for a datetime field is that whole day in the org's zone; a datetime names its second.
	day := mustParse(t, m, `{"field":"Seen","comparator":"equal","value":"2024-03-01"}`)
	second := mustParse(t, m, `{"field":"Modified_Time","comparator":"equal","value":"2024-03-01T00:00:00+05:30"}`)
	if !Eval(day, &Row{Data: map[string]any{"Seen": "2024-02-29T18:30:00Z"}}, env) ||
		Eval(day, &Row{Data: map[string]any{"Seen": "2024-03-01T18:30:00Z"}}, env) {
		t.Error("date on a datetime field")
	}
	base := time.Date(2024, 2, 29, 18, 30, 0, 0, time.UTC).UnixMilli()
	if !Eval(second, &Row{ModifiedTime: base}, env) || !Eval(second, &Row{ModifiedTime: base + 999}, env) ||
		Eval(second, &Row{ModifiedTime: base + 1000}, env) || Eval(second, &Row{ModifiedTime: base - 1}, env) {
		t.Error("datetime second")
	}
}

func TestEval(t *testing.T) {
	m := testModule()
	env := Env{Now: time.Date(2024, 2, 29, 10, 30, 0, 0, time.UTC), UserID: 1001}
	data := func(s string) map[string]any {
		d := decode(t, s)
		return d.(map[string]any)
	}
	full := &Row{ID: 1, OwnerID: 1001, CreatedBy: 1002, ModifiedBy: 0,
		CreatedTime: time.Date(2024, 2, 20, 0, 0, 0, 0, time.UTC).UnixMilli(),
		Data: data(`{"Name":"Éclair 50% off_ABC","Email":"a@b.c","Stage":"Won %","Tags":["Red","x_y"],
			"Count":3,"Big":"123456789012345678","Amount":2.5,"Ratio":1e2,"Flag":false,"Due":"2024-02-29",
			"Seen":"2024-02-29T10:00:00Z","Account":{"id":"5001","name":"Acme"},"Manager":{"id":"1002","name":"M"},
			"Description":"\u212aelvin"}`)}
	empty := &Row{ID: 2, Data: data(`{"Name":"","Stage":null,"Tags":[""],"Count":"abc","Amount":"2.5","Flag":"true",
		"Due":"2024-2-29","Seen":"2024-02-29T10:00:00+00:00","Account":{"id":""},"Manager":"1002"}`)}

	cases := []struct {
		crit        string
		full, empty bool
	}{
		// Text: ASCII-only case folding; %, _ literal except in like.
		{`{"field":"Name","comparator":"equal","value":"éclair 50% OFF_abc"}`, false, false}, // É is not folded
		{`{"field":"Name","comparator":"equal","value":"Éclair 50% OFF_abc"}`, true, false},
		{`{"field":"Description","comparator":"contains","value":"kelvin"}`, false, false}, // the Kelvin sign is not k
		{`{"field":"Name","comparator":"not_equal","value":"x"}`, true, true},              // "isn't" includes empty
		{`{"field":"Name","comparator":"contains","value":"50%"}`, true, false},
		{`{"field":"Name","comparator":"contains","value":"5%0"}`, false, false},
		{`{"field":"Name","comparator":"not_contains","value":"%"}`, false, true},
		{`{"field":"Name","comparator":"starts_with","value":"Éc"}`, true, false},
		{`{"field":"Name","comparator":"starts_with","value":"_"}`, false, false},
		{`{"field":"Name","comparator":"ends_with","value":"F_abc"}`, true, false},
		{`{"field":"Name","comparator":"ends_with","value":"%abc"}`, false, false},
		{`{"field":"Name","comparator":"like","value":"%50_ off%"}`, true, false},
		{`{"field":"Name","comparator":"like","value":"_clair%"}`, true, false}, // _ is one character, É included
		{`{"field":"Name","comparator":"like","value":"clair%"}`, false, false},
		{`{"field":"Name","comparator":"not_like","value":"%xyz%"}`, true, true},
		{`{"field":"Name","comparator":"in","value":["x","ÉCLAIR 50% OFF_ABC"]}`, true, false},
		{`{"field":"Name","comparator":"equal","value":"${EMPTY}"}`, false, true},
		{`{"field":"Name","comparator":"not_equal","value":""}`, true, false},
		// Picklists and multi-selects.
		{`{"field":"Stage","comparator":"equal","value":"won %"}`, true, false},
		{`{"field":"Stage","comparator":"not_in","value":["Open","Closed"]}`, true, true},
		{`{"field":"Tags","comparator":"equal","value":"red"}`, true, false},
		{`{"field":"Tags","comparator":"in","value":["Blue","X_Y"]}`, true, false},
		{`{"field":"Tags","comparator":"not_equal","value":"Red"}`, false, true},
		{`{"field":"Tags","comparator":"equal","value":"${EMPTY}"}`, false, true}, // [""] has no option
		// Numbers, including digit strings and values of the wrong shape.
		{`{"field":"Count","comparator":"between","value":[3,"4"]}`, true, false},
		{`{"field":"Count","comparator":"not_between","value":[4,5]}`, true, true},
		{`{"field":"Count","comparator":"greater_than","value":2}`, true, false},
		{`{"field":"Count","comparator":"less_equal","value":3}`, true, false},
		{`{"field":"Count","comparator":"equal","value":"${EMPTY}"}`, false, true}, // "abc" is no number
		{`{"field":"Big","comparator":"equal","value":123456789012345678}`, true, false},
		{`{"field":"Big","comparator":"greater_than","value":123456789012345677}`, true, false},
		{`{"field":"Amount","comparator":"in","value":[1,2.5]}`, true, false},
		{`{"field":"Amount","comparator":"greater_equal","value":"2.50"}`, true, false},
		{`{"field":"Ratio","comparator":"equal","value":100}`, true, false},
		// Booleans.
		{`{"field":"Flag","comparator":"equal","value":false}`, true, false},
		{`{"field":"Flag","comparator":"not_equal","value":true}`, true, true},
		// Dates and datetimes.
		{`{"field":"Due","comparator":"equal","value":"${TODAY}"}`, true, false},
		{`{"field":"Due","comparator":"less_than","value":"${TODAY}"}`, false, false},
		{`{"field":"Due","comparator":"less_equal","value":"${TODAY}"}`, true, false},
		{`{"field":"Due","comparator":"greater_than","value":"${YESTERDAY}"}`, true, false},
		{`{"field":"Due","comparator":"greater_equal","value":"${LAST_N_DAYS:7}"}`, true, false},
		{`{"field":"Due","comparator":"between","value":["${LAST_N_DAYS:7}","${YESTERDAY}"]}`, false, false},
		{`{"field":"Due","comparator":"not_between","value":["2024-01-01","2024-02-28"]}`, true, true},
		{`{"field":"Seen","comparator":"equal","value":"2024-02-29T15:30:00+05:30"}`, true, false},
		{`{"field":"Seen","comparator":"between","value":["2024-02-29T10:00:00Z","2024-02-29T10:00:00Z"]}`, true, false},
		{`{"field":"Seen","comparator":"equal","value":"${NOTEMPTY}"}`, true, false}, // an offset is not the stored shape
		{`{"field":"Created_Time","comparator":"equal","value":"${LAST_N_WEEKS:1}"}`, true, false},
		// Lookups.
		{`{"field":"Owner","comparator":"equal","value":"${CURRENTUSER}"}`, true, false},
		{`{"field":"Created_By","comparator":"in","value":[1001,{"id":"1002"}]}`, true, false},
		{`{"field":"Modified_By","comparator":"equal","value":"${EMPTY}"}`, true, true}, // id 0 is empty
		{`{"field":"Account","comparator":"equal","value":{"id":"5001"}}`, true, false},
		{`{"field":"Account","comparator":"not_equal","value":5001}`, false, true},
		{`{"field":"Manager","comparator":"equal","value":{"name":"${CURRENTUSER}"}}`, false, false},
		{`{"field":"Manager","comparator":"equal","value":"1002"}`, true, false}, // a bare id string is not a stored lookup
		// Groups.
		{`{"group_operator":"and","group":[{"field":"Flag","comparator":"equal","value":false},{"field":"Count","comparator":"equal","value":3}]}`, true, false},
		{`{"group_operator":"or","group":[{"field":"Flag","comparator":"equal","value":true},{"field":"Name","comparator":"equal","value":"${EMPTY}"}]}`, false, true},
	}
	for _, c := range cases {
		n := mustParse(t, m, c.crit)
		if got := Eval(n, full, env); got != c.full {
			t.Errorf("%s on the full record: %v, want %v", c.crit, got, c.full)
		}
		if got := Eval(n, empty, env); got != c.empty {
			t.Errorf("%s on the empty record: %v, want %v", c.crit, got, c.empty)
		}
	}
}

// Records decoded without UseNumber still evaluate.
func TestEvalFloat64Data(t *testing.T) {
	var d map[string]any
	if err := json.Unmarshal([]byte(`{"Count":3,"Amount":2.5}`), &d); err != nil {
		t.Fatal(err)
	}
	n := mustParse(t, testModule(), `{"group_operator":"and","group":[{"field":"Count","comparator":"equal","value":3},{"field":"Amount","comparator":"less_than","value":3}]}`)
	if !Eval(n, &Row{Data: d}, Env{}) {
		t.Error("float64 data")
	}
}

func TestCmpNumExact(t *testing.T) {
	const big = int64(1) << 53
	cases := []struct {
		a, b num
		want int
	}{
		{num{isInt: true, i: big + 1}, num{f: float64(big)}, 1}, // float64 cannot hold 2^53+1, the comparison still can
		{num{isInt: true, i: 3}, num{f: 2.5}, 1},
		{num{isInt: true, i: -3}, num{f: -2.5}, -1},
		{num{isInt: true, i: 2}, num{f: 2}, 0},
		{num{f: 1e300}, num{isInt: true, i: 1<<63 - 1}, 1},
		{num{f: -1e300}, num{isInt: true, i: -1 << 63}, -1},
		{num{f: 0.1}, num{f: 0.1}, 0},
	}
	for _, c := range cases {
		if got := cmpNum(c.a, c.b); got != c.want {
			t.Errorf("cmpNum(%v, %v) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestLike(t *testing.T) {
	cases := []struct {
		s, p string
		want bool
	}{
		{"", "", true}, {"", "%", true}, {"", "_", false}, {"a", "_", true}, {"é", "_", true}, {"ab", "_", false},
		{"abc", "a%c", true}, {"abc", "a%b", false}, {"abcbc", "%bc", true}, {"a%c", "a%", true},
		{"aXbXc", "a%b%c", true}, {"ab", "a%%b", true}, {"ab", "%_%_%", true}, {"a", "%_%_%", false},
		{`a\b`, `a\b`, true}, {`a\b`, `a\_`, true}, {"mississippi", "%ss%ss%", true}, {"mississippi", "%ss%ss%ss%", false},
	}
	for _, c := range cases {
		if got := like(c.s, c.p); got != c.want {
			t.Errorf("like(%q, %q) = %v, want %v", c.s, c.p, got, c.want)
		}
	}
}

func ExampleCompile() {
	m := &crmd.Module{Fields: []*crmd.Field{
		{APIName: "Owner", DataType: crmd.TypeOwnerLookup, System: true},
		{APIName: "Lead_Status", DataType: crmd.TypePicklist},
	}}
	raw := map[string]any{"group_operator": "AND", "group": []any{
		map[string]any{"field": "Owner", "comparator": "equal", "value": "${CURRENTUSER}"},
		map[string]any{"field": "Lead_Status", "comparator": "not_equal", "value": "${EMPTY}"},
	}}
	n, err := Parse(raw, m)
	if err != nil {
		panic(err)
	}
	sql, args := Compile(n, Target{Dialect: SQLite, Alias: "r"}, Env{UserID: 42})
	fmt.Println(sql)
	fmt.Println(args)
	// Output:
	// ((NULLIF(r.owner_id, 0) IS NOT NULL AND r.owner_id = ?) AND (NOT ((CASE WHEN json_type(r.data, '$.Lead_Status') = 'text' AND json_extract(r.data, '$.Lead_Status') <> '' THEN json_extract(r.data, '$.Lead_Status') END) IS NULL)))
	// [42]
}
