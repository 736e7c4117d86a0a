package api

// Territories handlers: /settings/territories (the org's territory tree) and the assignment of
// territories to records (/{module}/actions/assign_territories, remove_territories). The handlers
// decode Zoho's requests into the typed values of package territories (whose doc lists the choices
// made where Zoho is silent), call it, and encode its answers in Zoho's shapes (territories_shape.go).
// In short:
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
//   - A write's checks go in one order, so that a request with several problems always gets the same
//     answer (docs/conventions.md#check-order): scope, body syntax, profile, path id, the items array,
//     then each item on its own (in api) and against the tree or the records (in territories).

import (
	"context"
	"net/http"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/oauth"
	"github.com/crmd/crmd/territories"
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
	t, err := s.terrPathTerritory(r.Context(), rc)
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
	t, err := s.terrPathTerritory(r.Context(), rc)
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

// territoryWrite starts a write of territories: the caller must manage territories; with path (a
// /settings/territories/{id}… path) the path names the one territory the body's single item is
// about, returned as target (0 without a path); the body's "territories" array holds at most
// territories.MaxWrite items. The checks go in this order, whatever else is wrong with the request.
func (s *Server) territoryWrite(r *http.Request, rc *reqCtx, body map[string]any, path bool) (target crmd.ID, items []any, err error) {
	if err := territories.CanManage(rc.caller); err != nil {
		return 0, nil, err
	}
	limit := territories.MaxWrite
	if path {
		t, err := s.terrPathTerritory(r.Context(), rc)
		if err != nil {
			return 0, nil, err
		}
		target, limit = t.ID, 1
	}
	items, err = terrItemsArray(body, "territories", limit)
	return target, items, err
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
	_, arr, err := s.territoryWrite(r, rc, body, false)
	if err != nil {
		return err
	}
	users, err := s.svc.Metadata.UsersByID(r.Context(), rc.caller.Org.ID)
	if err != nil {
		return err
	}
	drafts, failed := terrDecode(arr, func(raw any, i int) (territories.Draft, *crmd.Error) {
		return terrDecodeDraft(raw, i, users)
	})
	rs, err := s.svc.Territories.Create(r.Context(), rc.caller, drafts)
	if err != nil {
		return err
	}
	writeResults(w, "territories", terrMerge(failed, rs), http.StatusCreated, terrWritten(terrMsgCreated))
	return nil
}

// updateTerritories serves PUT /settings/territories, each item naming its territory in "id".
func (s *Server) updateTerritories(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return s.putTerritories(w, r, rc, false)
}

// updateTerritory serves PUT /settings/territories/{id}: one item, about the path's territory.
func (s *Server) updateTerritory(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return s.putTerritories(w, r, rc, true)
}

func (s *Server) putTerritories(w http.ResponseWriter, r *http.Request, rc *reqCtx, path bool) error {
	if err := requireTerritories(rc, oauth.OpUpdate); err != nil {
		return err
	}
	body, err := s.writeBody(r)
	if err != nil {
		return err
	}
	target, arr, err := s.territoryWrite(r, rc, body, path)
	if err != nil {
		return err
	}
	users, err := s.svc.Metadata.UsersByID(r.Context(), rc.caller.Org.ID)
	if err != nil {
		return err
	}
	edits, failed := terrDecode(arr, func(raw any, i int) (territories.Edit, *crmd.Error) {
		return terrDecodeEdit(raw, i, target, users)
	})
	rs, err := s.svc.Territories.Update(r.Context(), rc.caller, edits)
	if err != nil {
		return err
	}
	writeResults(w, "territories", terrMerge(failed, rs), http.StatusOK, terrWritten(terrMsgUpdated))
	return nil
}

// deleteTerritories serves DELETE /settings/territories?ids=…: at most territories.MaxIDs distinct
// ids, one entry per distinct id. Zoho's delete_previous_forecasts is accepted and ignored (crmd
// keeps no forecasts).
func (s *Server) deleteTerritories(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := requireTerritories(rc, oauth.OpDelete); err != nil {
		return err
	}
	if err := territories.CanManage(rc.caller); err != nil {
		return err
	}
	ids, perr := requiredIDs(r.URL.Query().Get("ids"), territories.MaxIDs, "mandatory param missing")
	if perr != nil {
		return perr
	}
	return s.deleteTerritoryIDs(w, r, rc, ids)
}

// deleteTerritory serves DELETE /settings/territories/{id}; a path that names no territory of the org
// is a request-level error, the rest as for a list of ids.
func (s *Server) deleteTerritory(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := requireTerritories(rc, oauth.OpDelete); err != nil {
		return err
	}
	if err := territories.CanManage(rc.caller); err != nil {
		return err
	}
	t, err := s.terrPathTerritory(r.Context(), rc)
	if err != nil {
		return err
	}
	return s.deleteTerritoryIDs(w, r, rc, []crmd.ID{t.ID})
}

func (s *Server) deleteTerritoryIDs(w http.ResponseWriter, r *http.Request, rc *reqCtx, ids []crmd.ID) error {
	rs, err := s.svc.Territories.Delete(r.Context(), rc.caller, ids)
	if err != nil {
		return err
	}
	writeResults(w, "territories", rs, http.StatusOK, terrDone(terrMsgDeleted))
	return nil
}

// transferTerritories serves POST /settings/territories/actions/transfer_and_delete.
func (s *Server) transferTerritories(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return s.transfer(w, r, rc, false)
}

// transferTerritory serves POST /settings/territories/{id}/actions/transfer_and_delete: one item,
// about the path's territory.
func (s *Server) transferTerritory(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return s.transfer(w, r, rc, true)
}

func (s *Server) transfer(w http.ResponseWriter, r *http.Request, rc *reqCtx, path bool) error {
	if err := requireTerritories(rc, oauth.OpDelete); err != nil {
		return err
	}
	body, err := s.writeBody(r)
	if err != nil {
		return err
	}
	target, arr, err := s.territoryWrite(r, rc, body, path)
	if err != nil {
		return err
	}
	items, failed := terrDecode(arr, func(raw any, i int) (territories.Transfer, *crmd.Error) {
		return terrDecodeTransfer(raw, i, target)
	})
	rs, err := s.svc.Territories.TransferAndDelete(r.Context(), rc.caller, items)
	if err != nil {
		return err
	}
	writeResults(w, "territories", terrMerge(failed, rs), http.StatusOK, terrDone(terrMsgTransferred))
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
	if err := territories.CanAssign(rc.caller, m); err != nil {
		return err
	}
	limit := territories.MaxRecords
	var target crmd.ID
	if raw := rc.param("id"); raw != "" {
		if target, err = s.terrPathRecord(r.Context(), rc, m, raw); err != nil {
			return err
		}
		limit = 1
	}
	arr, err := terrItemsArray(body, "data", limit)
	if err != nil {
		return err
	}
	entries, failed := terrDecode(arr, func(raw any, i int) (territories.Assignment, *crmd.Error) {
		return terrDecodeAssignment(raw, i, target)
	})
	ts := s.svc.Territories
	change, msg := ts.Remove, terrMsgRemoved
	if assign {
		change, msg = ts.Assign, terrMsgAssigned
	}
	rs, err := change(r.Context(), rc.caller, m, entries)
	if err != nil {
		return err
	}
	writeResults(w, "data", terrMerge(failed, rs), http.StatusOK, terrDone(msg))
	return nil
}

// terrPathRecord resolves the {id} of /{module}/{id}/actions/…_territories: a live record of m in the
// caller's org, else 400 INVALID_DATA {"resource_path_index":1}, as records answer.
func (s *Server) terrPathRecord(ctx context.Context, rc *reqCtx, m *crmd.Module, raw string) (crmd.ID, error) {
	bad := crmd.E("INVALID_DATA", crmd.MsgInvalidID, crmd.D{"resource_path_index": 1})
	id, ok := crmd.ParseID(raw)
	if !ok {
		return 0, bad
	}
	live, err := s.svc.Territories.LiveRecord(ctx, rc.caller, m, id)
	if err != nil {
		return 0, err
	}
	if !live {
		return 0, bad
	}
	return id, nil
}
