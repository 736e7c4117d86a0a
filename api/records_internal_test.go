package api

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd/catalog"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/records"
)

// Unit tests of the records API's decoding: the fields parameter, the ids of a plain delete, the list
// query, and how datetimes are shown.

func TestParseFields(t *testing.T) {
	m := catalog.Standard()[0] // Leads
	got, err := parseFields(m, " Last_Name,owner,,id,Last_Name,$APPROVED,Created_Time")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "Last_Name,Owner,$approved,Created_Time" {
		t.Errorf("got %v", got)
	}
	if got, err := parseFields(m, "$approval_state"); err != nil || len(got) != 1 {
		t.Errorf("meta key: %v %v", got, err)
	}
	if _, err := parseFields(m, "Last_Name,Nope"); err == nil || err.Details["api_name"] != "Nope" {
		t.Errorf("unknown: %v", err)
	}
	many := make([]string, 51)
	for i := range many {
		many[i] = "Last_Name"
	}
	if _, err := parseFields(m, strings.Join(many, ",")); err != nil {
		t.Errorf("duplicates count once: %v", err)
	}
	for i := range many {
		many[i] = "X" + strings.Repeat("y", i)
	}
	if _, err := parseFields(m, strings.Join(many, ",")); err == nil || err.Code != "LIMIT_EXCEEDED" {
		t.Errorf("51 names: %v", err)
	}
}

// TestDatetimeShownInOrgZone checks that a datetime stored in UTC is shown in the org's time zone, and
// that a value that is not a datetime passes through untouched.
func TestDatetimeShownInOrgZone(t *testing.T) {
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	if got := localTime("2024-05-13T08:02:33Z", kolkata); got != "2024-05-13T13:32:33+05:30" {
		t.Fatalf("got %q", got)
	}
	if got := localTime("not a time", kolkata); got != "not a time" {
		t.Fatalf("got %q", got)
	}
}

func TestParseDeleteIDs(t *testing.T) {
	ids, err := parseDeleteIDs("3, 1,3,2")
	if err != nil || len(ids) != 3 || ids[0] != 3 || ids[1] != 1 || ids[2] != 2 {
		t.Errorf("dedupe: %v %v", ids, err)
	}
	for raw, code := range map[string]string{"": "REQUIRED_PARAM_MISSING", " ": "REQUIRED_PARAM_MISSING", "1,,2": "UNABLE_TO_PARSE_DATA_TYPE",
		"1,x": "UNABLE_TO_PARSE_DATA_TYPE", "0": "UNABLE_TO_PARSE_DATA_TYPE", "12345678901234567890": "UNABLE_TO_PARSE_DATA_TYPE"} {
		if _, err := parseDeleteIDs(raw); err == nil || err.Code != code {
			t.Errorf("%q: %v, want %s", raw, err, code)
		}
	}
}

// fuzzVersions are the API versions (×10) a list fuzz input chooses among.
var fuzzVersions = []int{20, 21, 30, 40, 50, 60, 70, 80}

// FuzzListParams feeds a fuzzed query string to parseListQuery, the validation of GET /{module}, in the
// version the first input picks. The properties: no panic; a refusal is a Zoho 4xx; an accepted query
// has a page ≥ 1 and 1 ≤ per_page ≤ MaxPerPage whose offset neither overflows nor goes negative, stays
// within the discrete limit from v5 on without a token, and names at most MaxDelete ids. (Page tokens
// themselves are fuzzed by records.FuzzPageToken.)
//
// Run: go test ./api -run '^$' -fuzz '^FuzzListParams$' -fuzztime 1m
func FuzzListParams(f *testing.F) {
	// A page token as crmd mints them (96 characters); parsing does not look inside it.
	tok := "WAbI4mweIAZYBsjibB4gB1hGe6uk7LWJAAABokhuZ3VYBsjibB4lkVgGyOJsHiWRAAAAAgAAAALMaTBjbVxxmpa_n9em05Ra"
	for _, s := range []string{
		"fields=Last_Name,Company", "fields=Last_Name&page=2&per_page=50", "fields=Last_Name&page_token=" + tok,
		"fields=Last_Name&page_token=" + tok + "&page=2", "fields=Last_Name&page_token=AAAA", "fields=Last_Name&sort_by=Modified_Time&sort_order=asc",
		"fields=Last_Name&sort_by=Email&sort_order=up", "fields=Last_Name&cvid=4150868000000087501", "fields=Last_Name&cvid=x",
		"fields=Last_Name&cvid=1&sort_by=id", "fields=Last_Name&ids=1,2,3", "fields=Last_Name&ids=1,,3", "fields=Last_Name&approved=both",
		"fields=Last_Name&territory_id=9&include_child=true", "fields=Last_Name&territory_id=x", "fields=Nope", "fields=,,,",
		"fields=Last_Name&page=11&per_page=200", "fields=Last_Name&page=9223372036854775807&per_page=2", "page=4611686018427387905&per_page=2",
		"", "%zz&fields=id",
	} {
		f.Add(uint8(7), s)
	}
	f.Add(uint8(0), "page=2&per_page=3&sort_by=Last_Name")
	f.Add(uint8(0), "page=46116860184273880&per_page=200")
	m := crmdtest.CatalogModule("Leads")
	f.Fuzz(func(t *testing.T, which uint8, raw string) {
		version := fuzzVersions[int(which)%len(fuzzVersions)]
		q, _ := url.ParseQuery(raw)
		p, err := parseListQuery(m, version, q)
		if err != nil {
			if err.Status < 400 || err.Status >= 500 || err.Code == "" {
				t.Fatalf("v%d %q: %+v", version, raw, err)
			}
			return
		}
		if p.Page < 1 || p.PerPage < 1 || p.PerPage > records.MaxPerPage {
			t.Fatalf("v%d %q: page %d, per_page %d", version, raw, p.Page, p.PerPage)
		}
		if p.Page-1 > (1<<63-1)/p.PerPage {
			t.Fatalf("v%d %q: the offset of page %d × %d overflows", version, raw, p.Page, p.PerPage)
		}
		if version >= 50 && p.PageToken == "" && (p.Page-1)*p.PerPage >= records.DiscreteLimit {
			t.Fatalf("v%d %q: page %d × %d is beyond the discrete limit", version, raw, p.Page, p.PerPage)
		}
		if len(p.IDs) > records.MaxDelete {
			t.Fatalf("v%d %q: %d ids", version, raw, len(p.IDs))
		}
	})
}
