package e2e

import (
	"fmt"
	"net/http"
	"sort"
	"testing"
)

// TestViewsAndTerritoriesOverHTTP drives the two record selectors a cvid mass delete stands on through
// the real binary: a territory tree with record assignments, a custom view on a picklist, and the
// record lists they select, alone and together, checked against the records themselves.
func TestViewsAndTerritoriesOverHTTP(t *testing.T) {
	h := startServer(t)
	h.CLIJSON("seed", "--org", h.OrgID, "--module", "Leads", "--count", "300", "--seed", "7")
	tok := h.Token

	// Every lead, with its source.
	source := map[string]string{}
	var all []string
	for page := 1; page <= 2; page++ {
		status, body, raw := h.Do("GET", fmt.Sprintf("/crm/v8/Leads?fields=Lead_Source&per_page=200&page=%d", page), nil, tok)
		if status != http.StatusOK {
			t.Fatalf("list page %d: %d %s", page, status, raw)
		}
		for _, it := range body["data"].([]any) {
			r := it.(map[string]any)
			id := r["id"].(string)
			all = append(all, id)
			s, _ := r["Lead_Source"].(string)
			source[id] = s
		}
	}
	if len(all) != 300 {
		t.Fatalf("%d leads listed, want 300", len(all))
	}

	// Territories: root → West → California.
	status, body, raw := h.Do("GET", "/crm/v8/settings/territories", nil, tok)
	if status != http.StatusOK {
		t.Fatalf("territories: %d %s", status, raw)
	}
	root := body["territories"].([]any)[0].(map[string]any)["id"].(string)
	create := func(name, parent string) string {
		status, body, raw := h.Do("POST", "/crm/v8/settings/territories", map[string]any{"territories": []any{
			map[string]any{"name": name, "permission_type": "read_write_delete", "reporting_to": map[string]any{"id": parent}}}}, tok)
		if status != http.StatusCreated {
			t.Fatalf("create territory %s: %d %s", name, status, raw)
		}
		return body["territories"].([]any)[0].(map[string]any)["details"].(map[string]any)["id"].(string)
	}
	west := create("West", root)
	california := create("California", west)
	assign := func(territory string, ids []string) {
		var data []any
		for _, id := range ids {
			data = append(data, map[string]any{"id": id, "Territories": []any{map[string]any{"id": territory}}})
		}
		if status, _, raw := h.Do("POST", "/crm/v8/Leads/actions/assign_territories", map[string]any{"data": data}, tok); status != http.StatusOK {
			t.Fatalf("assign: %d %s", status, raw)
		}
	}
	assign(west, all[0:10])
	assign(california, all[10:20])
	assign(california, all[20:25])

	// A view on the most common source.
	count := map[string]int{}
	for _, s := range source {
		count[s]++
	}
	best := ""
	for s, n := range count {
		if s != "" && n > count[best] {
			best = s
		}
	}
	status, body, raw = h.Do("POST", "/crm/v8/settings/custom_views?module=Leads", map[string]any{"custom_views": []any{map[string]any{
		"name": "By source", "criteria": map[string]any{"field": map[string]any{"api_name": "Lead_Source"}, "comparator": "equal", "value": best}}}}, tok)
	if status != http.StatusCreated {
		t.Fatalf("create view: %d %s", status, raw)
	}
	cvid := body["custom_views"].([]any)[0].(map[string]any)["details"].(map[string]any)["id"].(string)

	listIDs := func(query string) []string {
		t.Helper()
		var ids []string
		for page := 1; ; page++ {
			status, body, raw := h.Do("GET", fmt.Sprintf("/crm/v8/Leads?fields=Last_Name&per_page=200&page=%d&%s", page, query), nil, tok)
			if status == http.StatusNoContent {
				break
			}
			if status != http.StatusOK {
				t.Fatalf("list %s: %d %s", query, status, raw)
			}
			for _, it := range body["data"].([]any) {
				ids = append(ids, it.(map[string]any)["id"].(string))
			}
			if body["info"].(map[string]any)["more_records"] != true {
				break
			}
		}
		sort.Strings(ids)
		return ids
	}
	want := func(pick func(i int, id string) bool) []string {
		var ids []string
		for i, id := range all {
			if pick(i, id) {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		return ids
	}
	same := func(what string, got, want []string) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: got %d records, want %d", what, len(got), len(want))
		}
	}
	same("West alone", listIDs("territory_id="+west), want(func(i int, _ string) bool { return i < 10 }))
	same("West and children", listIDs("territory_id="+west+"&include_child=true"), want(func(i int, _ string) bool { return i < 25 }))
	same("the view", listIDs("cvid="+cvid), want(func(_ int, id string) bool { return source[id] == best }))
	same("the view in West's subtree", listIDs("cvid="+cvid+"&territory_id="+west+"&include_child=true"),
		want(func(i int, id string) bool { return i < 25 && source[id] == best }))

	// The view reads back in each version's shape.
	_, body, _ = h.Do("GET", "/crm/v2/settings/custom_views/"+cvid+"?module=Leads", nil, tok)
	if f := body["custom_views"].([]any)[0].(map[string]any)["criteria"].(map[string]any)["field"]; f != "Lead_Source" {
		t.Errorf("v2 criteria field = %v, want the api name as a string", f)
	}
	_, body, _ = h.Do("GET", "/crm/v8/settings/custom_views/"+cvid+"?module=Leads", nil, tok)
	if f, ok := body["custom_views"].([]any)[0].(map[string]any)["criteria"].(map[string]any)["field"].(map[string]any); !ok || f["api_name"] != "Lead_Source" {
		t.Errorf("v8 criteria field = %v, want {api_name, id}", f)
	}

	// A territory with children cannot be deleted directly.
	status, body, raw = h.Do("DELETE", "/crm/v8/settings/territories/"+west, nil, tok)
	if items, _ := body["territories"].([]any); status != http.StatusBadRequest || len(items) != 1 || items[0].(map[string]any)["code"] != "NOT_ALLOWED" {
		t.Errorf("delete West: %d %s", status, raw)
	}
}
