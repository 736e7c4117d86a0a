package api

// Recycle Bin handlers (docs/recycle-bin.md#recycle-bin-api), served from v6 on; older versions answer 400 API_NOT_SUPPORTED
// {"supported_version":6}. Everything but HTTP lives in package recyclebin, whose doc lists the choices
// made where Zoho is silent. In short:
//   - Scopes ZohoCRM.settings.recycle_bin.{READ,UPDATE,DELETE} (or ALL, or settings.ALL): the list, one
//     record and the count need READ; restore and empty UPDATE; permanent delete DELETE.
//   - Per-item answers are under "recycle_bin" (200 all succeeded, 207 mixed, 400 all failed); work
//     answered as scheduled is 202 with one SCHEDULED entry carrying the job id.
//   - An empty list answers 204; the count answers {"count":n}, 0 included.

import (
	"net/http"

	"github.com/crmd/crmd/oauth"
	"github.com/crmd/crmd/recyclebin"
)


// requireRecycleBin checks the token's recycle_bin scope for op.
func requireRecycleBin(rc *reqCtx, op string) error {
	return rc.require(oauth.Need{Family: "settings", Resource: "recycle_bin", Op: op})
}

// writeBinResult answers a restore, delete or empty: 202 with one SCHEDULED entry, or the per-item
// outcomes.
func writeBinResult(w http.ResponseWriter, res *recyclebin.Result) {
	if res.Scheduled != nil {
		writeJSON(w, http.StatusAccepted, map[string]any{"recycle_bin": []entry{{
			Code: "SCHEDULED", Details: map[string]any{"job_id": res.Scheduled.JobID}, Message: res.Scheduled.Message, Status: "success",
		}}})
		return
	}
	writeOutcomes(w, "recycle_bin", res.Outcomes, http.StatusOK)
}

// listRecycleBin serves GET /settings/recycle_bin.
func (s *Server) listRecycleBin(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := requireRecycleBin(rc, oauth.OpRead); err != nil {
		return err
	}
	p, err := s.svc.RecycleBin.List(r.Context(), rc.caller, r.URL.Query())
	if err != nil {
		return err
	}
	writeList(w, "recycle_bin", p.Items, p.Info)
	return nil
}

// getRecycleBin serves GET /settings/recycle_bin/{id}.
func (s *Server) getRecycleBin(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := requireRecycleBin(rc, oauth.OpRead); err != nil {
		return err
	}
	it, err := s.svc.RecycleBin.Get(r.Context(), rc.caller, rc.param("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"recycle_bin": []recyclebin.Item{it}})
	return nil
}

// countRecycleBin serves GET /settings/recycle_bin/actions/count.
func (s *Server) countRecycleBin(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := requireRecycleBin(rc, oauth.OpRead); err != nil {
		return err
	}
	n, err := s.svc.RecycleBin.Count(r.Context(), rc.caller, r.URL.Query())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": n})
	return nil
}

// restoreRecycleBin serves POST /settings/recycle_bin/actions/restore.
func (s *Server) restoreRecycleBin(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := requireRecycleBin(rc, oauth.OpUpdate); err != nil {
		return err
	}
	body, err := s.writeBody(r)
	if err != nil {
		return err
	}
	res, err := s.svc.RecycleBin.Restore(r.Context(), rc.caller, body)
	if err != nil {
		return err
	}
	writeBinResult(w, res)
	return nil
}

// restoreRecycleBinOne serves POST /settings/recycle_bin/{id}/actions/restore.
func (s *Server) restoreRecycleBinOne(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := requireRecycleBin(rc, oauth.OpUpdate); err != nil {
		return err
	}
	res, err := s.svc.RecycleBin.RestoreOne(r.Context(), rc.caller, rc.param("id"))
	if err != nil {
		return err
	}
	writeBinResult(w, res)
	return nil
}

// deleteRecycleBin serves DELETE /settings/recycle_bin?ids=… or ?filters=….
func (s *Server) deleteRecycleBin(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := requireRecycleBin(rc, oauth.OpDelete); err != nil {
		return err
	}
	res, err := s.svc.RecycleBin.Delete(r.Context(), rc.caller, r.URL.Query())
	if err != nil {
		return err
	}
	writeBinResult(w, res)
	return nil
}

// deleteRecycleBinOne serves DELETE /settings/recycle_bin/{id}.
func (s *Server) deleteRecycleBinOne(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := requireRecycleBin(rc, oauth.OpDelete); err != nil {
		return err
	}
	res, err := s.svc.RecycleBin.DeleteOne(r.Context(), rc.caller, rc.param("id"))
	if err != nil {
		return err
	}
	writeBinResult(w, res)
	return nil
}

// emptyRecycleBin serves POST /settings/recycle_bin/actions/empty.
func (s *Server) emptyRecycleBin(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := requireRecycleBin(rc, oauth.OpUpdate); err != nil {
		return err
	}
	res, err := s.svc.RecycleBin.Empty(r.Context(), rc.caller)
	if err != nil {
		return err
	}
	writeBinResult(w, res)
	return nil
}
