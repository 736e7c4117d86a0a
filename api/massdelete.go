package api

// Mass Delete Records (POST /{module}/actions/mass_delete) and its status (GET, ?job_id=). Everything
// but HTTP lives in package massdelete.
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

import (
	"context"
	"net/http"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/massdelete"
	"github.com/crmd/crmd/oauth"
)


// massDeleteModule resolves the module of a mass delete path and checks the mass_delete scope for op
// (steps 2 and 3 above).
func (s *Server) massDeleteModule(ctx context.Context, rc *reqCtx, op string) (*crmd.Module, error) {
	m, err := s.pathModule(ctx, rc, "mass_delete")
	if err != nil {
		return nil, err
	}
	if !massdelete.Supported(m, rc.version) {
		return nil, massdelete.ErrNotSupported()
	}
	if err := rc.require(oauth.Need{Family: "mass_delete", Resource: m.ScopeToken, Op: op}); err != nil {
		return nil, err
	}
	return m, nil
}

// massDelete serves POST /{module}/actions/mass_delete: per-id outcomes for ids (v3+: 200 all deleted,
// 207 mixed, 400 none; v2/v2.1: always 200, D3), or the scheduled job for a cvid.
func (s *Server) massDelete(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	m, err := s.massDeleteModule(r.Context(), rc, oauth.OpDelete)
	if err != nil {
		return err
	}
	if err := massdelete.CheckProfile(rc.caller, m); err != nil {
		return err
	}
	body, err := s.decodeObject(r)
	if err != nil {
		return err
	}
	req, err := s.svc.MassDelete.Parse(body)
	if err != nil {
		return err
	}
	if req.CVID != "" {
		id, err := s.svc.MassDelete.Schedule(r.Context(), rc.caller, m, req.CVID, req.Territory)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": []entry{
			successEntry("mass delete scheduled successfully", map[string]any{"job_id": id}),
		}})
		return nil
	}
	outs, err := s.svc.MassDelete.DeleteIDs(r.Context(), rc.caller, m, req.IDs, req.Territory)
	if err != nil {
		return err
	}
	entries := outcomeEntries(outs)
	status := http.StatusOK
	if rc.version >= 30 {
		status = multiStatus(entries, http.StatusOK)
	}
	writeJSON(w, status, map[string]any{"data": entries})
	return nil
}

// massDeleteStatus serves GET /{module}/actions/mass_delete?job_id=.
func (s *Server) massDeleteStatus(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	m, err := s.massDeleteModule(r.Context(), rc, oauth.OpRead)
	if err != nil {
		return err
	}
	jobID, given := crmd.QueryParam(r.URL.Query(), "job_id")
	st, err := s.svc.MassDelete.Status(r.Context(), rc.caller, m, rc.version, jobID, given)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": []map[string]any{{
		"Status": st.Status, "Total_Count": st.TotalCount, "Deleted_Count": st.DeletedCount, "Failed_Count": st.FailedCount,
	}}})
	return nil
}
