package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/records"
)

// Zoho's JSON for records (docs/records.md#record-json): a record's keys, the info object of a list,
// the details of a write, a deleted record.

// recordShaper renders the records of one request: the module, the org's users (loaded once), the org's
// time zone, the keys asked for (nil = every key) and, when shown, the records' territories.
type recordShaper struct {
	m           *crmd.Module
	users       map[crmd.ID]*crmd.User
	loc         *time.Location
	fields      []string
	territories map[crmd.ID][]crmd.RecordTerritory
}

// record renders a stored record as Zoho's JSON object: "id", every data field of the module (null
// when never set), the system fields Owner, Created_By, Modified_By ({"name","id","email"}),
// Created_Time and Modified_Time (in the org's time zone), and $approved, $approval_state, $editable,
// and Territories when loaded. With fields only "id" and the fields asked for are kept, as Zoho does.
func (sh *recordShaper) record(rec *crmd.Record) (map[string]any, error) {
	data, err := rec.Fields()
	if err != nil {
		return nil, err
	}
	full := make(map[string]any, len(sh.m.Fields)+4)
	for _, f := range sh.m.Fields {
		if f.System {
			continue
		}
		val := data[f.APIName] // nil when never set
		if s, ok := val.(string); ok && f.DataType == crmd.TypeDatetime {
			val = localTime(s, sh.loc)
		}
		full[f.APIName] = val
	}
	full["id"] = rec.ID
	full["Owner"] = userRef(sh.users, rec.OwnerID, true)
	full["Created_By"] = userRef(sh.users, rec.CreatedBy, true)
	full["Modified_By"] = userRef(sh.users, rec.ModifiedBy, true)
	full["Created_Time"] = crmd.FormatTime(rec.CreatedTime, sh.loc)
	full["Modified_Time"] = crmd.FormatTime(rec.ModifiedTime, sh.loc)
	full["$approved"] = rec.Approved()
	full["$approval_state"] = rec.ApprovalState
	full["$editable"] = true
	if sh.territories != nil {
		full[records.TerritoriesKey] = sh.recordTerritories(rec.ID)
	}
	if sh.fields == nil {
		return full, nil
	}
	out := make(map[string]any, len(sh.fields)+1)
	out["id"] = rec.ID
	for _, k := range sh.fields {
		out[k] = full[k]
	}
	return out, nil
}

// recordTerritories is a record's Territories value: [] when it has none, else one
// {"id","Name","$assigned":true,"$assigned_by":{"name","id"},"$assigned_time"} per territory, in
// assignment order (the keys of Zoho's SDK record/territory).
func (sh *recordShaper) recordTerritories(id crmd.ID) []map[string]any {
	as := sh.territories[id]
	out := make([]map[string]any, len(as))
	for i, a := range as {
		out[i] = map[string]any{
			"id":             a.TerritoryID,
			"Name":           a.Name,
			"$assigned":      true,
			"$assigned_by":   userRef(sh.users, a.AssignedBy, false),
			"$assigned_time": crmd.FormatTime(a.AssignedTime, sh.loc),
		}
	}
	return out
}

// userRef is Zoho's {"name","id"} (and "email" when withEmail) reference to a user. A user that no
// longer exists keeps its id with empty name and email rather than failing the whole answer.
func userRef(users map[crmd.ID]*crmd.User, id crmd.ID, withEmail bool) map[string]any {
	ref := map[string]any{"id": id, "name": ""}
	if withEmail {
		ref["email"] = ""
	}
	if u := users[id]; u != nil {
		ref["name"] = u.FullName()
		if withEmail {
			ref["email"] = u.Email
		}
	}
	return ref
}

// localTime renders a stored UTC datetime in the org's time zone, the way Zoho shows datetimes.
func localTime(stored string, loc *time.Location) string {
	t, err := time.Parse(time.RFC3339, stored)
	if err != nil {
		return stored
	}
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format(crmd.TimeLayout)
}

// listInfo is the info object of GET /{module} for the request's version: per_page, count, page and
// more_records; from v5 on also call, email, sort_by, sort_order and the page tokens.
func listInfo(p *records.Page, rc *reqCtx) map[string]any {
	info := map[string]any{"per_page": p.PerPage, "count": len(p.Records), "page": p.Page, "more_records": p.More}
	if rc.version < 50 {
		return info
	}
	order := "asc"
	if p.Desc {
		order = "desc"
	}
	info["call"] = false
	info["email"] = false
	info["sort_by"] = p.Sort.Name
	info["sort_order"] = order
	info["next_page_token"] = nil
	info["previous_page_token"] = nil
	info["page_token_expiry"] = nil
	if p.NextToken != "" {
		info["next_page_token"] = p.NextToken
		info["page_token_expiry"] = crmd.FormatTime(p.TokenExpiry, rc.caller.Org.Location())
	}
	return info
}

// recordJSONPath is the json_path of a key of entry i of a write body.
func recordJSONPath(i int, key string) string { return fmt.Sprintf("$.data[%d].%s", i, key) }

// writeRecordResults answers an insert or update: one entry per record, in input order, with the
// message of a success and Zoho's details of a written record (docs/records.md#write-answers): ok when
// every record succeeded, 207 mixed, 400 all failed.
func writeRecordResults(w http.ResponseWriter, rc *reqCtx, res *records.Written, message string, ok int) {
	loc := rc.caller.Org.Location()
	writeResults(w, "data", res.Results, ok, func(rec *crmd.Record) (string, map[string]any) {
		return message, writtenDetails(rec, res.Users, loc)
	})
}

// writtenDetails are the details of a written record's success entry (insert, update, upsert).
func writtenDetails(rec *crmd.Record, users map[crmd.ID]*crmd.User, loc *time.Location) map[string]any {
	return map[string]any{
		"id":              rec.ID,
		"Created_Time":    crmd.FormatTime(rec.CreatedTime, loc),
		"Modified_Time":   crmd.FormatTime(rec.ModifiedTime, loc),
		"Created_By":      userRef(users, rec.CreatedBy, false),
		"Modified_By":     userRef(users, rec.ModifiedBy, false),
		"$approval_state": rec.ApprovalState,
	}
}

// deletedItems renders GET /{module}/deleted's records: a record in the recycle bin with its display
// name and who created and deleted it; a permanently deleted one with nulls there.
func deletedItems(p *records.DeletedPage, loc *time.Location) []map[string]any {
	out := make([]map[string]any, 0, len(p.Records))
	for _, r := range p.Records {
		item := map[string]any{
			"id":           r.ID,
			"type":         records.DeletedRecycle,
			"display_name": r.DisplayName,
			"deleted_by":   userRef(p.Users, r.DeletedBy, false),
			"created_by":   userRef(p.Users, r.CreatedBy, false),
			"deleted_time": crmd.FormatTime(r.DeletedTime, loc),
		}
		if r.PurgedTime != 0 {
			item["type"] = records.DeletedPermanent
			item["display_name"] = nil
			item["deleted_by"] = nil
			item["created_by"] = nil
		}
		out = append(out, item)
	}
	return out
}
