package api_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// TestViewsShapesPerVersion: the view object per version (docs/views.md#view-object): fields, sort_by
// and criteria as v2 and v2.1+ show them, the keys each version has, the list's summary and info.
func TestViewsShapesPerVersion(t *testing.T) {
	e := newViewEnv(t)
	tok := e.a.adminTok
	e.clock.Set(time.Date(2024, 5, 13, 10, 0, 0, 0, time.UTC)) // 15:30 in the org's Asia/Kolkata
	id := e.create(tok, "Leads", `{"name":"Hot","fields":["Last_Name"],"sort_by":{"api_name":"Created_Time"},"sort_order":"asc",
		"criteria":{"group_operator":"AND","group":[{"field":"Lead_Status","comparator":"equal","value":"Contacted"},{"field":{"api_name":"Annual_Revenue"},"comparator":"greater_than","value":1000}]}}`)
	leads := e.a.fx.Module(t, "Leads")
	fid := func(name string) string { return leads.Field(name).ID.String() }
	enc := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	get := func(version, id string) map[string]any {
		t.Helper()
		return viewItems(t, e.must(200, "GET", "/crm/"+version+"/settings/custom_views/"+id+"?module=Leads", tok, ""))[0]
	}

	v2 := get("v2", id)
	if got := enc(v2["criteria"]); got != `{"group":[{"comparator":"equal","field":"Lead_Status","value":"Contacted"},{"comparator":"greater_than","field":"Annual_Revenue","value":1000}],"group_operator":"and"}` {
		t.Errorf("v2 criteria %s", got)
	}
	if enc(v2["fields"]) != `["Last_Name"]` || v2["sort_by"] != "Created_Time" || v2["shared_type"] != "only_to_me" || v2["offline"] != false {
		t.Errorf("v2 view %v", v2)
	}
	for _, k := range []string{"access_type", "created_by", "module", "locked"} {
		if _, ok := v2[k]; ok {
			t.Errorf("v2 has %s", k)
		}
	}
	v21 := get("v2.1", id)
	wantCrit := fmt.Sprintf(`{"group":[{"comparator":"equal","field":{"api_name":"Lead_Status","id":"%s"},"value":"Contacted"},{"comparator":"greater_than","field":{"api_name":"Annual_Revenue","id":"%s"},"value":1000}],"group_operator":"%%s"}`,
		fid("Lead_Status"), fid("Annual_Revenue"))
	if got := enc(v21["criteria"]); got != fmt.Sprintf(wantCrit, "and") {
		t.Errorf("v2.1 criteria %s", got)
	}
	// sort_by stays the api name up to v3 (the v2.1 and v3 SDK models read a String).
	if enc(v21["fields"]) != fmt.Sprintf(`[{"_pin":false,"api_name":"Last_Name","id":"%s"}]`, fid("Last_Name")) ||
		v21["sort_by"] != "Created_Time" ||
		v21["access_type"] != "only_to_me" || v21["category"] != "created_by_me" ||
		enc(v21["created_by"]) != fmt.Sprintf(`{"id":"%s","name":"%s"}`, e.a.admin.ID, e.a.admin.FullName()) || v21["created_time"] != "2024-05-13T15:30:00+05:30" {
		t.Errorf("v2.1 view %s", enc(v21))
	}
	if _, ok := v21["shared_type"]; ok {
		t.Error("v2.1 has shared_type")
	}
	if v3 := get("v3", id); v3["sort_by"] != "Created_Time" {
		t.Errorf("v3 sort_by %v", v3["sort_by"])
	}
	for _, v := range []string{"v4", "v5", "v6", "v7", "v8"} {
		if got := enc(get(v, id)["sort_by"]); got != fmt.Sprintf(`{"api_name":"Created_Time","id":"%s"}`, fid("Created_Time")) {
			t.Errorf("%s sort_by %s", v, got)
		}
	}
	v8 := get("v8", id)
	if got := enc(v8["criteria"]); got != fmt.Sprintf(wantCrit, "AND") {
		t.Errorf("v8 criteria %s", got)
	}
	if enc(v8["module"]) != fmt.Sprintf(`{"api_name":"Leads","id":"%s"}`, leads.ID) {
		t.Errorf("v8 module %v", v8["module"])
	}

	// The list: summary keys only, system views first, default = All.
	b := e.must(200, "GET", "/crm/v8/settings/custom_views?module=Leads", tok, "")
	list, info := viewItems(t, b), b["info"].(map[string]any)
	sys := e.systemIDs(tok, "Leads")
	if len(list) != 13 || list[0]["system_name"] != "ALLVIEWS" || list[0]["default"] != true || list[12]["id"] != id {
		t.Fatalf("list %v", list)
	}
	if _, ok := list[12]["criteria"]; ok {
		t.Error("list shows criteria")
	}
	if info["default"] != sys["ALLVIEWS"] || info["count"] != float64(13) || info["more_records"] != false || info["per_page"] != float64(200) {
		t.Errorf("info %v", info)
	}
	allView := list[0]
	if allView["category"] != "public_views" || allView["system_defined"] != true || allView["created_by"] != nil || allView["created_time"] != nil {
		t.Errorf("system view %v", allView)
	}
	// System views show their criteria where the language can say it.
	if got := enc(get("v8", sys["MYVIEWS"])["criteria"]); got != fmt.Sprintf(`{"comparator":"equal","field":{"api_name":"Owner","id":"%s"},"value":{"name":"${CURRENTUSER}"}}`, fid("Owner")) {
		t.Errorf("My Leads criteria %s", got)
	}
	b = e.must(200, "GET", "/crm/v8/settings/custom_views?module=Leads&page=2&per_page=5", tok, "")
	list, info = viewItems(t, b), b["info"].(map[string]any)
	if len(list) != 5 || info["page"] != float64(2) || info["more_records"] != true || list[0]["system_name"] != "UNREADVIEWS" {
		t.Errorf("page 2: %v %v", info, list[0]["system_name"])
	}
	e.wantErr("GET", "/crm/v8/settings/custom_views?module=Leads&page=0", tok, "", 400, "INVALID_DATA", `{"param_name":"page"}`)
}
