package api

// Mass Delete Records (POST /{module}/actions/mass_delete) and its status (GET, ?job_id=): the HTTP
// layer decodes the body and answers per version; the rest is package massdelete's.
//
// The order of checks, so that each answer is deterministic:
//  1. the token (401 AUTHENTICATION_FAILURE / INVALID_TOKEN);
//  2. the module: unknown, not API-supported or not in this version → 400 INVALID_MODULE — but a token
//     without any mass_delete scope gets 401 OAUTH_SCOPE_MISMATCH instead and learns nothing about the
//     org's modules (as the records API does for the modules family); known but not mass-deletable in
//     this version (D15) → 400 NOT_SUPPORTED;
//  3. the scope: ZohoCRM.mass_delete[.<module>].{DELETE|ALL} for POST, {READ|ALL} for GET (D20);
//     ZohoCRM.modules.* never grants it → 401 OAUTH_SCOPE_MISMATCH;
//  4. the profile (POST only): delete, then mass delete permission → 403 NO_PERMISSION (D19). The status
//     GET needs no profile permission: a job is the org's, and its counters reveal nothing the caller's
//     scope does not already cover;
//  5. the body (POST) or job_id (GET), then the view, the territory and the lock.
//
// Choices made where Zoho's material is silent (docs/mass-delete.md):
//   - A key given as JSON null counts as absent ({"ids":null,"cvid":"…"} is a cvid call).
//   - An id is a string of 1–19 digits or a JSON integer written without fraction or exponent; anything
//     else (a float such as 1.0, 1e3, a negative number, a boolean, null, an object) is malformed (D8).
//     Malformed ids are reported before the limit is checked, and the first one wins.
//   - A territory that is not an object, a missing or malformed territory id and a non-boolean
//     include_child are INVALID_DATA / MANDATORY_NOT_FOUND naming their json_path under $.territory.
//   - Status: unknown, foreign (another org) and other-module jobs give the same answer (D18). A job_id
//     of digits that is no valid id (0, 20 digits) is an unknown job, not a parse error.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/massdelete"
	"github.com/crmd/crmd/oauth"
	"github.com/crmd/crmd/views"
)

// massDeleteModule resolves the module of a mass delete path and checks the mass_delete scope for op
// (steps 2 and 3 above).
func (s *Server) massDeleteModule(ctx context.Context, rc *reqCtx, op string) (*crmd.Module, error) {
	m, err := s.pathModule(ctx, rc, "mass_delete")
	if err != nil {
		return nil, err
	}
	if !massDeletable(m, rc.version) {
		return nil, errMassDeleteNotSupported()
	}
	if err := rc.require(oauth.Need{Family: "mass_delete", Resource: m.ScopeToken, Op: op}); err != nil {
		return nil, err
	}
	return m, nil
}

// massDelete serves POST /{module}/actions/mass_delete: per-id results for ids (v3+: 200 all deleted,
// 207 mixed, 400 none; v2/v2.1: always 200, D3), or the scheduled job for a cvid.
func (s *Server) massDelete(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	m, req, err := s.massDeleteBody(r, rc)
	if err != nil {
		return err
	}
	if req.CVID != 0 {
		id, err := s.svc.MassDelete.Schedule(r.Context(), rc.caller, m, req.CVID, req.Territory)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": []entry{
			successEntry("mass delete scheduled successfully", map[string]any{"job_id": id}),
		}})
		return nil
	}
	res, err := s.svc.MassDelete.DeleteIDs(r.Context(), rc.caller, m, req.IDs, req.Territory)
	if err != nil {
		return err
	}
	// The message of a successful deletion by mass delete; the plain DELETE says "record deleted".
	entries := resultEntries(res, func(id crmd.ID) (string, map[string]any) {
		return "record is deleted", map[string]any{"id": id}
	})
	status := http.StatusOK
	if rc.version >= 30 {
		status = multiStatus(entries, http.StatusOK)
	}
	writeJSON(w, status, map[string]any{"data": entries})
	return nil
}

// massDeleteBody runs steps 2–5 above up to the body of a mass delete: the module and the DELETE
// scope, the profile, then the body. The real call and its preview (crmd_preview.go) share them, so
// that both refuse the same requests with the same answers.
func (s *Server) massDeleteBody(r *http.Request, rc *reqCtx) (*crmd.Module, *massDeleteRequest, error) {
	m, err := s.massDeleteModule(r.Context(), rc, oauth.OpDelete)
	if err != nil {
		return nil, nil, err
	}
	if err := massdelete.CheckProfile(rc.caller, m); err != nil {
		return nil, nil, err
	}
	body, err := s.decodeObject(r)
	if err != nil {
		return nil, nil, err
	}
	req, err := parseMassDelete(body, s.svc.MassDelete.Settings().IDLimit)
	if err != nil {
		return nil, nil, err
	}
	return m, req, nil
}

// massDeleteStatus serves GET /{module}/actions/mass_delete?job_id= (D17, D18).
func (s *Server) massDeleteStatus(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	m, err := s.massDeleteModule(r.Context(), rc, oauth.OpRead)
	if err != nil {
		return err
	}
	raw, given := queryParam(r.URL.Query(), "job_id")
	if !given {
		return crmd.E("MANDATORY_NOT_FOUND", "mandatory param missing", crmd.D{"param_name": "job_id"})
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] < '0' || raw[i] > '9' {
			return crmd.ErrUnparsable()
		}
	}
	unknown := func() error {
		if rc.version < 30 {
			return crmd.E("NOT_FOUND", "Empty response", nil)
		}
		return crmd.E("INVALID_DATA", "The jobid given seems to be invalid", crmd.D{"param_name": "job_id"})
	}
	id, ok := crmd.ParseID(raw)
	if !ok {
		return unknown()
	}
	j, err := s.svc.MassDelete.Job(r.Context(), rc.caller, m, id)
	if err != nil {
		return err
	}
	if j == nil {
		return unknown()
	}
	st := j.Status
	if st == crmd.JobScheduled && rc.version >= 30 {
		// v3+ clients (the v8 SDKs) know only COMPLETED, RUNNING and FAILED.
		st = crmd.JobRunning
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": []map[string]any{{
		"Status": st, "Total_Count": j.TotalCount, "Deleted_Count": j.DeletedCount, "Failed_Count": j.FailedCount,
	}}})
	return nil
}

// v3Only are the modules mass delete supports only from v3 on (D15): v2 and v2.1 list neither the
// activities nor Cases, Services and Appointments.
var v3Only = map[string]bool{"Tasks": true, "Events": true, "Calls": true, "Cases": true, "Services__s": true, "Appointments__s": true}

// massDeletable reports whether module m may be mass deleted in API version (×10) version: D15's list
// per version, which also decides which modules have a status endpoint.
func massDeletable(m *crmd.Module, version int) bool {
	if !m.MassDeletable {
		return false
	}
	return version >= 30 || !v3Only[m.APIName]
}

// errMassDeleteNotSupported is the answer for a module that cannot be mass deleted in the request's
// version.
func errMassDeleteNotSupported() *crmd.Error {
	return crmd.E("NOT_SUPPORTED", "Mass delete is not supported for this module", crmd.D{"resource_path_index": 0})
}

// massDeleteRequest is a checked mass delete body: either IDs (distinct, in first-seen order) or CVID.
type massDeleteRequest struct {
	IDs       []crmd.ID
	CVID      crmd.ID
	Territory *massdelete.Territory
}

func massDeleteInvalid(details crmd.D) *crmd.Error {
	return crmd.E("INVALID_DATA", crmd.MsgInvalidData, details)
}

func errMassDeleteMandatory() *crmd.Error {
	return crmd.E("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, crmd.D{"api_name": "ids", "expected_data_type": "jsonarray"})
}

// bodyKey returns a body key that is given and not null: a key given as JSON null counts as absent.
func bodyKey(body map[string]any, key string) (any, bool) {
	v, ok := body[key]
	return v, ok && v != nil
}

// Parse checks a decoded body (nil for an empty one) and returns the request it makes: both keys (D1),
// neither (D9), the territory, then the cvid or the ids (D9, D8, D2, D10), the first problem winning.
func parseMassDelete(body map[string]any, idLimit int) (*massDeleteRequest, error) {
	rawIDs, hasIDs := bodyKey(body, "ids")
	rawCVID, hasCVID := bodyKey(body, "cvid")
	if hasIDs && hasCVID {
		return nil, crmd.E("AMBIGUITY_DURING_PROCESSING", "ambiguity during processing", crmd.D{"ambiguity_due_to": []any{
			map[string]any{"api_name": "ids", "json_path": "$.ids"},
			map[string]any{"api_name": "cvid", "json_path": "$.cvid"},
		}})
	}
	if !hasIDs && !hasCVID {
		return nil, errMassDeleteMandatory()
	}
	req := &massDeleteRequest{}
	if t, ok := bodyKey(body, "territory"); ok {
		terr, err := parseTerritory(t)
		if err != nil {
			return nil, err
		}
		req.Territory = terr
	}
	switch {
	case hasCVID:
		cvid, ok := idText(rawCVID)
		id, valid := crmd.ParseID(cvid)
		if !ok || !valid {
			return nil, views.ErrInvalidCVID()
		}
		req.CVID = id
		return req, nil
	}
	arr, ok := rawIDs.([]any)
	if !ok {
		return nil, massDeleteInvalid(crmd.D{"api_name": "ids", "json_path": "$.ids", "expected_data_type": "jsonarray"})
	}
	if len(arr) == 0 {
		return nil, errMassDeleteMandatory()
	}
	seen := make(map[crmd.ID]bool, len(arr))
	for i, v := range arr {
		txt, ok := idText(v)
		id, valid := crmd.ParseID(txt)
		if !ok || !valid {
			return nil, crmd.E("INVALID_DATA", crmd.MsgInvalidID, crmd.D{"api_name": "ids", "json_path": fmt.Sprintf("$.ids[%d]", i), "id": v})
		}
		if !seen[id] {
			seen[id] = true
			req.IDs = append(req.IDs, id)
		}
	}
	if len(req.IDs) > idLimit {
		return nil, crmd.E("LIMIT_EXCEEDED", "limit exceeded", crmd.D{"limit": idLimit, "api_name": "ids", "json_path": "$.ids"})
	}
	return req, nil
}

// idText returns the digits of an id given as a JSON string or as a JSON integer (json.Number) written
// exactly, without fraction or exponent; false for anything else.
func idText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		s := x.String()
		if strings.ContainsAny(s, ".eE-+") {
			return "", false
		}
		return s, true
	}
	return "", false
}

func parseTerritory(v any) (*massdelete.Territory, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, massDeleteInvalid(crmd.D{"api_name": "territory", "json_path": "$.territory", "expected_data_type": "jsonobject"})
	}
	raw, ok := bodyKey(obj, "id")
	if !ok {
		return nil, crmd.E("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, crmd.D{"api_name": "id", "json_path": "$.territory.id"})
	}
	txt, ok := idText(raw)
	id, valid := crmd.ParseID(txt)
	if !ok || !valid {
		return nil, massdelete.ErrTerritoryID()
	}
	t := &massdelete.Territory{ID: id}
	if c, ok := bodyKey(obj, "include_child"); ok {
		b, isBool := c.(bool)
		if !isBool {
			return nil, massDeleteInvalid(crmd.D{"api_name": "include_child", "json_path": "$.territory.include_child", "expected_data_type": "boolean"})
		}
		t.IncludeChild = b
	}
	return t, nil
}
