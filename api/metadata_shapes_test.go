package api_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// metaVersions are the API versions crmd serves, as they appear in paths.
var metaVersions = []string{"v2", "v2.1", "v3", "v4", "v5", "v6", "v7", "v8"}

// oasRequired is api/testdata/zoho-oas-required.json: the required-key lists of the response schemas
// of Zoho's v8 OpenAPI description for the endpoints below, copied from zoho/crm-oas.
type oasRequired struct {
	Endpoints []struct {
		Path     string              `json:"path"`
		Key      string              `json:"key"`
		Source   string              `json:"source"`
		Required map[string][]string `json:"required"`
	} `json:"endpoints"`
}

// oasObjects returns the objects at path inside item: "" is item itself, "a.b" the object under b of
// the object under a, "x[]" the objects of the array x. Nulls and missing keys give nothing: Zoho's
// lists apply to an object only when there is one.
func oasObjects(item map[string]any, path string) []map[string]any {
	objs := []map[string]any{item}
	if path == "" {
		return objs
	}
	for _, step := range strings.Split(path, ".") {
		array := strings.HasSuffix(step, "[]")
		key := strings.TrimSuffix(step, "[]")
		var next []map[string]any
		for _, o := range objs {
			switch v := o[key].(type) {
			case map[string]any:
				if !array {
					next = append(next, v)
				}
			case []any:
				for _, el := range v {
					if m, ok := el.(map[string]any); ok && array {
						next = append(next, m)
					}
				}
			}
		}
		objs = next
	}
	return objs
}

// TestZohoRequiredKeys checks that every v8 answer of the org, modules and fields APIs carries each key
// Zoho's OpenAPI description marks required, in every item and in every nested object the lists name.
func TestZohoRequiredKeys(t *testing.T) {
	raw, err := os.ReadFile("testdata/zoho-oas-required.json")
	if err != nil {
		t.Fatal(err)
	}
	var spec oasRequired
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	if len(spec.Endpoints) != 5 {
		t.Fatalf("testdata lists %d endpoints, want 5", len(spec.Endpoints))
	}
	e := newMetaEnv(t)
	// Every module of the catalog, and single fields of each kind with nested objects: a picklist, a
	// currency, a lookup, the owner.
	var modules []string
	for _, m := range items(t, e.ok("/crm/v8/settings/modules"), "modules") {
		if m["api_supported"] == true {
			modules = append(modules, m["api_name"].(string))
		}
	}
	fieldID := func(module, apiName string) string {
		for _, f := range items(t, e.ok("/crm/v8/settings/fields?module="+module), "fields") {
			if f["api_name"] == apiName {
				return f["id"].(string)
			}
		}
		t.Fatalf("%s has no field %s", module, apiName)
		return ""
	}
	singles := [][2]string{
		{"Leads", fieldID("Leads", "Lead_Status")}, {"Leads", fieldID("Leads", "Annual_Revenue")},
		{"Contacts", fieldID("Contacts", "Account_Name")}, {"Leads", fieldID("Leads", "Owner")},
	}
	for _, ep := range spec.Endpoints {
		var paths []string
		switch {
		case strings.Contains(ep.Path, "{field}"):
			for _, s := range singles {
				paths = append(paths, strings.NewReplacer("{module}", s[0], "{field}", s[1]).Replace(ep.Path))
			}
		case strings.Contains(ep.Path, "{module}"):
			for _, m := range modules {
				paths = append(paths, strings.ReplaceAll(ep.Path, "{module}", m))
			}
		default:
			paths = []string{ep.Path}
		}
		checked := map[string]int{}
		for _, p := range paths {
			for i, it := range items(t, e.ok("/crm/v8"+p), ep.Key) {
				for sub, keys := range ep.Required {
					for _, o := range oasObjects(it, sub) {
						checked[sub]++
						for _, k := range keys {
							if _, ok := o[k]; !ok {
								t.Errorf("GET %s: %s[%d] %q lacks %q, required by %s", p, ep.Key, i, sub, k, ep.Source)
							}
						}
					}
				}
			}
		}
		// The lists were applied: to every item, and to the nested objects crmd shows.
		for sub := range ep.Required {
			if checked[sub] == 0 && sub != "layout_associations[]" {
				t.Errorf("%s: no %q object was checked", ep.Path, sub)
			}
		}
	}
}

// items returns the objects of the array under key, failing the test unless there is at least one.
func items(t *testing.T, body map[string]any, key string) []map[string]any {
	t.Helper()
	arr, _ := body[key].([]any)
	if len(arr) == 0 {
		t.Fatalf("no %s in %v", key, body)
	}
	out := make([]map[string]any, len(arr))
	for i, v := range arr {
		out[i] = v.(map[string]any)
	}
	return out
}

// metaField returns field apiName of module in the given version's /settings/fields.
func (e *metaEnv) metaField(version, module, apiName string) map[string]any {
	e.t.Helper()
	for _, f := range items(e.t, e.ok("/crm/"+version+"/settings/fields?module="+module), "fields") {
		if f["api_name"] == apiName {
			return f
		}
	}
	e.t.Fatalf("%s: %s has no field %s", version, module, apiName)
	return nil
}

// TestFieldShapePerVersion checks the keys whose shape differs between API versions, each as the
// SDKs of that version read it (docs/metadata.md#fields-per-version).
func TestFieldShapePerVersion(t *testing.T) {
	e := newMetaEnv(t)
	accounts := items(t, e.ok("/crm/v8/settings/modules/Accounts"), "modules")[0]["id"]
	for _, v := range metaVersions {
		old := v == "v2" || v == "v2.1"
		f := e.metaField(v, "Contacts", "Account_Name")
		lk, _ := f["lookup"].(map[string]any)
		if lk == nil || lk["api_name"] != "Account_Name" || lk["id"] != f["id"] {
			t.Fatalf("%s: Account_Name lookup %v", v, f["lookup"])
		}
		// lookup.module: the module's api name up to v2.1, {"api_name","id"} from v3.
		if old {
			if lk["module"] != "Accounts" {
				t.Errorf("%s: lookup.module = %#v, want the string Accounts", v, lk["module"])
			}
		} else if got, _ := json.Marshal(lk["module"]); string(got) != fmt.Sprintf(`{"api_name":"Accounts","id":%q}`, accounts) {
			t.Errorf("%s: lookup.module = %s, want Accounts' api_name and id", v, got)
		}
		// quick_sequence_number: an integer up to v2.1, a string from v3.
		qsn := f["quick_sequence_number"]
		if _, isNum := qsn.(float64); old != isNum {
			t.Errorf("%s: quick_sequence_number %#v", v, qsn)
		}
		if _, isStr := qsn.(string); old == isStr {
			t.Errorf("%s: quick_sequence_number %#v", v, qsn)
		}
		// v2 reads "_type" and a boolean history_tracking; v2.1 on "type", ui_type and null history_tracking.
		_, hasOldType := f["_type"]
		_, hasType := f["type"]
		_, hasUIType := f["ui_type"]
		if (v == "v2") != hasOldType || (v == "v2") == hasType || (v == "v2") == hasUIType {
			t.Errorf("%s: _type %v, type %v, ui_type %v", v, f["_type"], f["type"], f["ui_type"])
		}
		if v == "v2" && f["history_tracking"] != false || v != "v2" && f["history_tracking"] != nil {
			t.Errorf("%s: history_tracking %#v", v, f["history_tracking"])
		}
		// The rest of v8's required keys come with v3's field shape.
		_, hasOp := f["operation_type"]
		if old == hasOp {
			t.Errorf("%s: operation_type present = %v", v, hasOp)
		}
		if col, _ := f["column_name"].(string); col != "ACCOUNTNAME" {
			t.Errorf("%s: column_name %q", v, col)
		}
	}
}

// TestFieldValuesAreSensible checks the values behind the keys Zoho requires: picklist value ids are
// ids, distinct, not ids of anything else and the same on every call; ui_type, type and column_name
// fit the field; custom fields get custom column names.
func TestFieldValuesAreSensible(t *testing.T) {
	e := newMetaEnv(t)
	seen := map[any]string{}
	for _, m := range items(t, e.ok("/crm/v8/settings/modules"), "modules") {
		seen[m["id"]] = "module " + m["api_name"].(string)
	}
	picks := map[string]bool{}
	for _, mod := range []string{"Leads", "Contacts", "Deals", "Accounts"} {
		first := items(t, e.ok("/crm/v8/settings/fields?module="+mod), "fields")
		again := items(t, e.ok("/crm/v8/settings/fields?module="+mod), "fields")
		cols := map[string]string{}
		for i, f := range first {
			name := mod + "." + f["api_name"].(string)
			if prev, dup := seen[f["id"]]; dup {
				t.Errorf("%s has the id of %s", name, prev)
			}
			seen[f["id"]] = name
			if f["type"] != "used" || f["ui_type"] == nil || f["ui_type"].(float64) < 1 {
				t.Errorf("%s: type %v ui_type %v", name, f["type"], f["ui_type"])
			}
			col, _ := f["column_name"].(string)
			if col == "" || cols[col] != "" {
				t.Errorf("%s: column_name %q (also %s)", name, col, cols[col])
			}
			cols[col] = name
			pv, _ := f["pick_list_values"].([]any)
			pv2, _ := again[i]["pick_list_values"].([]any)
			if got, want := len(pv), len(pv2); got != want {
				t.Fatalf("%s: %d picklist values, then %d", name, got, want)
			}
			for j, raw := range pv {
				p := raw.(map[string]any)
				id, _ := p["id"].(string)
				if len(id) != 19 || p["id"] != pv2[j].(map[string]any)["id"] || picks[id] {
					t.Errorf("%s: picklist value %v: id not a stable, distinct 19-digit id (then %v)", name, p, pv2[j])
				}
				picks[id] = true
				if p["display_value"] != p["actual_value"] || p["type"] != "used" || p["sequence_number"] != float64(j+1) {
					t.Errorf("%s: picklist value %v", name, p)
				}
			}
			if f["data_type"] == "picklist" && len(pv) == 0 {
				t.Errorf("%s: a picklist without values", name)
			}
		}
	}
	for id := range picks {
		if what, dup := seen[id]; dup {
			t.Errorf("picklist value id %s is the id of %s", id, what)
		}
	}
	if len(picks) == 0 {
		t.Fatal("no picklist value checked")
	}
	lead := e.metaField("v8", "Leads", "Lead_Status")
	if lead["ui_type"] != float64(2) || lead["data_type"] != "picklist" {
		t.Errorf("Lead_Status: ui_type %v", lead["ui_type"])
	}
}

// TestModuleDisplayFieldPerVersion checks display_field: the field's api name up to v6, an
// {"api_name","id"} object from v7.
func TestModuleDisplayFieldPerVersion(t *testing.T) {
	e := newMetaEnv(t)
	name := e.metaField("v8", "Leads", "Full_Name")
	for _, v := range metaVersions {
		for _, path := range []string{"/settings/modules", "/settings/modules/Leads"} {
			var leads map[string]any
			for _, m := range items(t, e.ok("/crm/"+v+path), "modules") {
				if m["api_name"] == "Leads" {
					leads = m
				}
			}
			got, _ := json.Marshal(leads["display_field"])
			want := `"Full_Name"`
			if v == "v7" || v == "v8" {
				want = fmt.Sprintf(`{"api_name":"Full_Name","id":%q}`, name["id"])
			}
			if string(got) != want {
				t.Errorf("%s%s: Leads display_field %s, want %s", v, path, got, want)
			}
			if leads["inventory_template_supported"] != false || leads["webform_supported"] != true {
				t.Errorf("%s%s: Leads inventory_template_supported %v, webform_supported %v", v, path, leads["inventory_template_supported"], leads["webform_supported"])
			}
		}
	}
}
