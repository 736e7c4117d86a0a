package api

// Territories handlers: /settings/territories (the org's territory tree) and the assignment of
// territories to records (/{module}/actions/assign_territories, remove_territories). Everything but
// HTTP lives in package territories, whose doc lists the choices made where Zoho is silent. In short:
//   - Scopes: ZohoCRM.settings.territories.{READ,CREATE,UPDATE,DELETE} (or ALL, or settings.ALL);
//     transfer_and_delete needs DELETE. Assigning or removing territories needs the module's UPDATE
//     scope, like any record update.
//   - Only Administrators may write territories: 403 NO_PERMISSION
//     {"permissions":["Crm_Implied_Manage_Territories"]}.
//   - Ids in the path that name no territory of the caller's org: 400 INVALID_DATA `the id given seems
//     to be invalid` {"resource_path_index":2}; a record id in the path of assign/remove:
//     {"resource_path_index":1}, as records answer.
//   - Write results are per item under "territories" (201 create / 200 otherwise when all succeeded,
//     207 mixed, 400 all failed); assign/remove answer under "data" the same way, synchronously.
//   - Empty lists answer 204.

import (
	"net/http"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/oauth"
)

// requireTerritories checks the token's territories scope for op.
func requireTerritories(rc *reqCtx, op string) error {
	return rc.require(oauth.Need{Family: "settings", Resource: "territories", Op: op})
}

// listTerritories serves GET /settings/territories: page, per_page and ids. Zoho's filters, include
// and include_inner_details are accepted and ignored.
func (s *Server) listTerritories(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := requireTerritories(rc, oauth.OpRead); err != nil {
		return err
	}
	q := r.URL.Query()
	pg, err := terrPaging(q)
	if err != nil {
		return err
	}
	ids, err := terrListIDs(q)
	if err != nil {
		return err
	}
	p, err := s.svc.Territories.List(r.Context(), rc.caller, ids, pg)
	if err != nil {
		return err
	}
	return s.writeTerritoryPage(w, r, rc, p, pg)
}

// getTerritory serves GET /settings/territories/{id}.
func (s *Server) getTerritory(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := requireTerritories(rc, oauth.OpRead); err != nil {
		return err
	}
	t, err := s.pathTerritory(r.Context(), rc)
	if err != nil {
		return err
	}
	items, err := s.territoryItems(r.Context(), rc, []*crmd.Territory{t})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"territories": items})
	return nil
}

// childTerritories serves GET /settings/territories/{id}/__child_territories: the direct children,
// paged like the list. The path is checked before the paging parameters.
func (s *Server) childTerritories(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := requireTerritories(rc, oauth.OpRead); err != nil {
		return err
	}
	t, err := s.pathTerritory(r.Context(), rc)
	if err != nil {
		return err
	}
	pg, err := terrPaging(r.URL.Query())
	if err != nil {
		return err
	}
	p, err := s.svc.Territories.Children(r.Context(), rc.caller, t.ID, pg)
	if err != nil {
		return err
	}
	return s.writeTerritoryPage(w, r, rc, p, pg)
}

// createTerritories serves POST /settings/territories: 201 when every territory was created.
func (s *Server) createTerritories(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := requireTerritories(rc, oauth.OpCreate); err != nil {
		return err
	}
	body, err := s.writeBody(r)
	if err != nil {
		return err
	}
	outs, err := s.svc.Territories.Create(r.Context(), rc.caller, body)
	if err != nil {
		return err
	}
	writeOutcomes(w, "territories", outs, http.StatusCreated)
	return nil
}

// updateTerritories serves PUT /settings/territories, each item naming its territory in "id".
func (s *Server) updateTerritories(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return s.putTerritories(w, r, rc, "")
}

// updateTerritory serves PUT /settings/territories/{id}.
func (s *Server) updateTerritory(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return s.putTerritories(w, r, rc, rc.param("id"))
}

func (s *Server) putTerritories(w http.ResponseWriter, r *http.Request, rc *reqCtx, pathID string) error {
	if err := requireTerritories(rc, oauth.OpUpdate); err != nil {
		return err
	}
	body, err := s.writeBody(r)
	if err != nil {
		return err
	}
	outs, err := s.svc.Territories.Update(r.Context(), rc.caller, pathID, body)
	if err != nil {
		return err
	}
	writeOutcomes(w, "territories", outs, http.StatusOK)
	return nil
}

// deleteTerritories serves DELETE /settings/territories?ids=….
func (s *Server) deleteTerritories(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := requireTerritories(rc, oauth.OpDelete); err != nil {
		return err
	}
	outs, err := s.svc.Territories.Delete(r.Context(), rc.caller, r.URL.Query())
	if err != nil {
		return err
	}
	writeOutcomes(w, "territories", outs, http.StatusOK)
	return nil
}

// deleteTerritory serves DELETE /settings/territories/{id}.
func (s *Server) deleteTerritory(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := requireTerritories(rc, oauth.OpDelete); err != nil {
		return err
	}
	outs, err := s.svc.Territories.DeleteOne(r.Context(), rc.caller, rc.param("id"))
	if err != nil {
		return err
	}
	writeOutcomes(w, "territories", outs, http.StatusOK)
	return nil
}

// transferTerritories serves POST /settings/territories/actions/transfer_and_delete.
func (s *Server) transferTerritories(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return s.transfer(w, r, rc, "")
}

// transferTerritory serves POST /settings/territories/{id}/actions/transfer_and_delete.
func (s *Server) transferTerritory(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return s.transfer(w, r, rc, rc.param("id"))
}

func (s *Server) transfer(w http.ResponseWriter, r *http.Request, rc *reqCtx, pathID string) error {
	if err := requireTerritories(rc, oauth.OpDelete); err != nil {
		return err
	}
	body, err := s.writeBody(r)
	if err != nil {
		return err
	}
	outs, err := s.svc.Territories.TransferAndDelete(r.Context(), rc.caller, pathID, body)
	if err != nil {
		return err
	}
	writeOutcomes(w, "territories", outs, http.StatusOK)
	return nil
}

// assignTerritories serves POST /{module}/actions/assign_territories and
// POST /{module}/{id}/actions/assign_territories.
func (s *Server) assignTerritories(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return s.recordTerritories(w, r, rc, true)
}

// removeTerritories serves POST /{module}/actions/remove_territories and
// POST /{module}/{id}/actions/remove_territories.
func (s *Server) removeTerritories(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return s.recordTerritories(w, r, rc, false)
}

func (s *Server) recordTerritories(w http.ResponseWriter, r *http.Request, rc *reqCtx, assign bool) error {
	m, err := s.module(r.Context(), rc, oauth.OpUpdate)
	if err != nil {
		return err
	}
	body, err := s.writeBody(r)
	if err != nil {
		return err
	}
	ts := s.svc.Territories
	change := ts.Remove
	if assign {
		change = ts.Assign
	}
	outs, err := change(r.Context(), rc.caller, m, rc.param("id"), body)
	if err != nil {
		return err
	}
	writeOutcomes(w, "data", outs, http.StatusOK)
	return nil
}
