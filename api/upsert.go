package api

// Upsert: POST /{module}/upsert (docs/records.md#upsert). The handler reads the body's data and
// duplicate_check_fields; the records service decides per entry whether it inserts or updates.

import (
	"net/http"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/oauth"
	"github.com/crmd/crmd/records"
)

// upsertRecords serves POST /{module}/upsert: 201 when every entry was inserted, 200 when every entry
// succeeded and one at least was an update, 207 mixed, 400 when all failed.
func (s *Server) upsertRecords(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	m, err := s.module(r.Context(), rc, oauth.OpCreate)
	if err != nil {
		return err
	}
	if err := rc.require(oauth.Need{Family: "modules", Resource: m.ScopeToken, Op: oauth.OpUpdate}); err != nil {
		return err
	}
	body, err := s.writeBody(r)
	if err != nil {
		return err
	}
	arr, derr := dataArray(body, records.MaxWrite)
	if derr != nil {
		return derr
	}
	var dup []string
	if raw, given := body["duplicate_check_fields"]; given && raw != nil {
		list, ok := raw.([]any)
		if !ok {
			return crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"api_name": "duplicate_check_fields",
				"json_path": "$.duplicate_check_fields", "expected_data_type": "jsonarray"})
		}
		dup = make([]string, len(list))
		for i, v := range list {
			name, ok := v.(string)
			if !ok {
				name = "" // not a field name: CheckDuplicateFields refuses it with its position
			}
			dup[i] = name
		}
	}
	entries := make([]records.Entry, len(arr))
	for i, raw := range arr {
		obj, _ := raw.(map[string]any)
		entries[i] = records.Entry{Pos: i, Values: obj}
	}
	res, err := s.svc.Records.Upsert(r.Context(), rc.caller, m, entries, dup)
	if err != nil {
		return err
	}
	loc := rc.caller.Org.Location()
	out := make([]any, len(res.Results))
	succeeded, updated := 0, false
	for i, rr := range res.Results {
		if !rr.OK() {
			out[i] = errorEntry(rr.Err)
			continue
		}
		succeeded++
		// Zoho's upsert entry is a write's entry with the action taken and the duplicate check field
		// that found the record (null on insert).
		e := map[string]any{"code": "SUCCESS", "action": records.ActionInsert, "duplicate_field": nil,
			"details": writtenDetails(rr.Value, res.Users, loc), "message": "record added", "status": "success"}
		if res.Actions[i] == records.ActionUpdate {
			e["action"], e["duplicate_field"], e["message"] = records.ActionUpdate, res.DupFields[i], "record updated"
			updated = true
		}
		out[i] = e
	}
	status := http.StatusMultiStatus
	switch {
	case succeeded == 0:
		status = http.StatusBadRequest
	case succeeded == len(out) && updated:
		status = http.StatusOK
	case succeeded == len(out):
		status = http.StatusCreated
	}
	writeJSON(w, status, map[string]any{"data": out})
	return nil
}
