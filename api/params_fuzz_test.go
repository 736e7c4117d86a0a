package api

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/crmd/crmd"
)

// FuzzQueryParams feeds a fuzzed query string to the parsers every list API shares: crmd.ParseID,
// splitIDs and requiredIDs on the ids parameter and pageParams. The properties: no panic; an accepted
// id is the canonical digits of a positive int64; splitIDs keeps each id once, in order; requiredIDs
// agrees with splitIDs and refuses with a Zoho error; an accepted page and per_page are in range and
// the page's offset, (page-1)*per_page, neither overflows nor goes negative — every list API computes it.
//
// Run: go test ./api -run '^$' -fuzz '^FuzzQueryParams$' -fuzztime 1m
func FuzzQueryParams(f *testing.F) {
	for _, s := range []string{
		"ids=1,2,3", "ids=3,1,3,2", "ids=+1", "ids=-1", "ids=0", "ids=00012", "ids=9223372036854775807", "ids=9223372036854775808",
		"ids=1,,2", "ids=,", "ids=%201%20,2", "ids=", "ids=1e3", "ids=１", "ids=1;2",
		"page=2&per_page=50", "page=0", "page=-1", "per_page=0", "per_page=201", "page=1.5", "page=&per_page=",
		"page=9223372036854775807&per_page=2", "page=4611686018427387905&per_page=2", "page=99999999999999999999",
		"%zz", "page=2&page=3", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, _ := url.ParseQuery(raw) // as r.URL.Query() does: a bad pair is dropped, the rest kept
		ids := q.Get("ids")

		for _, part := range strings.Split(ids, ",") {
			if id, ok := crmd.ParseID(part); ok {
				if id <= 0 || id.String() != strings.TrimLeft(part, "0") {
					t.Fatalf("ParseID(%q) = %d", part, id)
				}
			}
		}
		list, ok := splitIDs(ids)
		if ok {
			seen := map[crmd.ID]bool{}
			for _, id := range list {
				if id <= 0 || seen[id] {
					t.Fatalf("splitIDs(%q) = %v: a non-positive or repeated id", ids, list)
				}
				seen[id] = true
			}
			if len(list) == 0 {
				t.Fatalf("splitIDs(%q) accepted no id", ids)
			}
		}
		const limit = 3
		req, err := requiredIDs(ids, limit, "missing")
		switch {
		case err != nil:
			if err.Status != 400 || err.Code == "" || err.Details["param_name"] != "ids" {
				t.Fatalf("requiredIDs(%q): %+v", ids, err)
			}
			if ok && len(list) <= limit && strings.TrimSpace(ids) != "" {
				t.Fatalf("requiredIDs(%q) refused what splitIDs accepted: %+v", ids, err)
			}
		case !ok || len(req) != len(list) || len(req) > limit:
			t.Fatalf("requiredIDs(%q) = %v, splitIDs %v %v", ids, req, list, ok)
		}

		const maxPerPage = 200
		page, perPage, perr := pageParams(q, maxPerPage)
		if perr != nil {
			if perr.Status != 400 || perr.Code != "INVALID_DATA" {
				t.Fatalf("pageParams(%q): %+v", raw, perr)
			}
			return
		}
		if page < 1 || perPage < 1 || perPage > maxPerPage {
			t.Fatalf("pageParams(%q) = page %d, per_page %d", raw, page, perPage)
		}
		// The offset in exact arithmetic: it must equal the int one, or a list API skips backwards.
		if off := page - 1; off > (1<<63-1)/perPage {
			t.Fatalf("pageParams(%q) = page %d, per_page %d: the offset overflows an int64 (%d)", raw, page, perPage, (page-1)*perPage)
		}
		if v, given := queryParam(q, "page"); given {
			if n, _ := strconv.Atoi(v); n != page {
				t.Fatalf("pageParams(%q): page %d, given %q", raw, page, v)
			}
		}
	})
}
