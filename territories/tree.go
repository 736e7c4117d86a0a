package territories

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// Zoho's literal error messages for territory writes (from its OpenAPI examples; clients match on
// them). MsgInvalidPermType and MsgRulesUnsupported answer items the HTTP layer refuses on their own.
const (
	MsgNameTaken        = "Given Territory name already exists"
	MsgNameRepeated     = "Duplicate Territory Name Found"
	MsgInvalidPermType  = "Given Permission_type value is invalid"
	MsgHasChildren      = "Territory can't be deleted as it's having child"
	MsgRootNotDeletable = "Org Territory cannot be deleted"
	MsgCycle            = "Reporting_to id should not be the child of given territory. Chosse another territory as Reporing_to"
	MsgRootNotMovable   = "Org Territory cannot report to another territory"
	MsgBadTerritoryID   = "Given Territoryid isn't valid one"
	MsgBadTransferTo    = "Given transfer_to_id isn't valid one"
	MsgTransferNeeded   = "This territory has its child. Please Give the transfer_to_id field value"
	MsgRulesUnsupported = "territory assignment rules are not supported"
)

// itemPath is the json_path of key in item pos of a write's territories array.
func itemPath(pos int, key string) string { return fmt.Sprintf("$.territories[%d].%s", pos, key) }

// Draft is one territory for Create to make. Pos is its index in the request, which errors name in
// their json_path ($.territories[Pos].name). Create checks the values on their own (see the fields;
// the HTTP layer has already, in Zoho's order) and against the tree.
type Draft struct {
	Pos            int
	Name           string  // trimmed, not blank, at most MaxNameLength characters
	Description    *string // at most MaxDescriptionLength characters; nil: none
	PermissionType string  // crmd.TerritoryReadOnly or crmd.TerritoryReadWriteDelete
	Manager        crmd.ID // a user of the org; 0: none
	ReportingTo    crmd.ID // the parent
}

// Change is an update's new value for one key of a territory: Set when the request gives the key, To
// the value it gives, whose zero value is the request's null (which clears manager and description).
type Change[T any] struct {
	Set bool
	To  T
}

// Edit is one item of an Update: the territory ID and the keys the request gives, checked on their
// own as a Draft's are; the keys not Set stay as they are. Pos is the item's index in the request.
type Edit struct {
	Pos            int
	ID             crmd.ID
	Name           Change[string]
	PermissionType Change[string]
	ReportingTo    Change[crmd.ID] // To 0 (null): only the root reports to nobody
	Manager        Change[crmd.ID] // To 0: none
	Description    Change[*string] // To nil: none
}

// Transfer is one item of a TransferAndDelete: the territory ID to delete and the territory To which
// its children and records move (0: none given). Pos is the item's index in the request.
type Transfer struct {
	Pos int
	ID  crmd.ID
	To  crmd.ID
}

// CanManage refuses territory writes to anyone but an Administrator: 403 NO_PERMISSION
// {"permissions":["Crm_Implied_Manage_Territories"]}. Every write checks it; the HTTP layer checks it
// too before it reads a write's path and items, so that a caller without the permission gets this
// answer whatever else is wrong with the request.
func CanManage(c *crmd.Caller) error {
	if !c.User.Profile.IsAdmin() {
		return crmd.ErrNoPermission(ManagePermission)
	}
	return nil
}

// startWrite checks the caller and makes sure the org's root territory exists.
func (s *Service) startWrite(ctx context.Context, c *crmd.Caller) error {
	if err := CanManage(c); err != nil {
		return err
	}
	_, err := s.st.EnsureRootTerritory(ctx, c.Org.ID)
	return err
}

// Create makes the territories of drafts in one transaction, one result per draft in order, the
// territory as created. The parent must be a territory of the org (else INVALID_DATA on reporting_to). A
// name is unique per org, case-insensitively, against existing territories ("Given Territory name
// already exists") and within the call ("Duplicate Territory Name Found"), both DUPLICATE_DATA.
func (s *Service) Create(ctx context.Context, c *crmd.Caller, drafts []Draft) ([]crmd.Result[*crmd.Territory], error) {
	if err := s.startWrite(ctx, c); err != nil {
		return nil, err
	}
	out := make([]crmd.Result[*crmd.Territory], len(drafts))
	parents := make([]crmd.ID, len(drafts))
	drafts = slices.Clone(drafts) // the names are trimmed here, not in the caller's slice
	vs := make([]values, len(drafts))
	for i := range drafts {
		drafts[i].Name = strings.TrimSpace(drafts[i].Name)
		parents[i], vs[i] = drafts[i].ReportingTo, drafts[i].values()
	}
	users, err := s.usersFor(ctx, c.Org.ID, vs)
	if err != nil {
		return nil, err
	}
	err = s.st.Tx(ctx, func(tx *store.Tx) error {
		if err := s.st.LockTerritories(ctx, tx, c.Org.ID); err != nil {
			return err
		}
		known, err := s.st.TerritoriesByID(ctx, tx, c.Org.ID, parents)
		if err != nil {
			return err
		}
		now := s.st.NowMS()
		names := map[string]bool{} // lower-cased names created by this call
		for i, d := range drafts {
			if e := vs[i].check(users); e != nil {
				out[i].Err = e
				continue
			}
			if known[d.ReportingTo] == nil {
				out[i].Err = fieldErr("INVALID_DATA", crmd.MsgInvalidID, "reporting_to", itemPath(d.Pos, "reporting_to"), nil)
				continue
			}
			lower := strings.ToLower(d.Name)
			if names[lower] {
				out[i].Err = fieldErr("DUPLICATE_DATA", MsgNameRepeated, "name", itemPath(d.Pos, "name"), nil)
				continue
			}
			taken, err := s.st.TerritoryNameTaken(ctx, tx, c.Org.ID, d.Name, 0)
			if err != nil {
				return err
			}
			if taken {
				out[i].Err = fieldErr("DUPLICATE_DATA", MsgNameTaken, "name", itemPath(d.Pos, "name"), nil)
				continue
			}
			id, err := s.st.AllocIDs(ctx, tx, c.Org.ID, 1)
			if err != nil {
				return err
			}
			t := &crmd.Territory{ID: id, OrgID: c.Org.ID, Name: d.Name, APIName: store.TerritoryAPIName(d.Name),
				Description: d.Description, PermissionType: d.PermissionType, ManagerID: d.Manager, ReportingTo: d.ReportingTo,
				CreatedBy: c.User.ID, ModifiedBy: c.User.ID, CreatedTime: now, ModifiedTime: now}
			if err := s.st.InsertTerritory(ctx, tx, t); err != nil {
				return err
			}
			names[lower] = true
			out[i].Value = t
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Update applies edits in order in one transaction, each seeing the ones before it; one result per
// edit, the territory as updated. A territory that is not the org's is INVALID_DATA on id. A new name
// must be free (DUPLICATE_DATA; a territory may keep its own in another case). A new reporting_to
// must be a territory of the org outside the territory's own subtree (else NOT_ALLOWED, Zoho's cycle
// message); the root cannot report to anyone and no other territory can stop reporting.
func (s *Service) Update(ctx context.Context, c *crmd.Caller, edits []Edit) ([]crmd.Result[*crmd.Territory], error) {
	if err := s.startWrite(ctx, c); err != nil {
		return nil, err
	}
	out := make([]crmd.Result[*crmd.Territory], len(edits))
	edits = slices.Clone(edits)
	vs := make([]values, len(edits))
	for i := range edits {
		edits[i].Name.To = strings.TrimSpace(edits[i].Name.To)
		vs[i] = edits[i].values()
	}
	users, err := s.usersFor(ctx, c.Org.ID, vs)
	if err != nil {
		return nil, err
	}
	err = s.st.Tx(ctx, func(tx *store.Tx) error {
		if err := s.st.LockTerritories(ctx, tx, c.Org.ID); err != nil {
			return err
		}
		now := s.st.NowMS()
		for i, ed := range edits {
			if e := vs[i].check(users); e != nil {
				out[i].Err = e
				continue
			}
			t, err := s.st.Territory(ctx, tx, c.Org.ID, ed.ID)
			if errors.Is(err, store.ErrNotFound) {
				out[i].Err = fieldErr("INVALID_DATA", crmd.MsgInvalidID, "id", itemPath(ed.Pos, "id"), nil)
				continue
			}
			if err != nil {
				return err
			}
			e, err := s.apply(ctx, tx, c, t, ed)
			if err != nil {
				return err
			}
			if e != nil {
				out[i].Err = e
				continue
			}
			t.ModifiedBy, t.ModifiedTime = c.User.ID, now
			if err := s.st.UpdateTerritory(ctx, tx, t); err != nil {
				return err
			}
			out[i].Value = t
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// apply checks ed against the database (inside tx) and applies it to t.
func (s *Service) apply(ctx context.Context, tx *store.Tx, c *crmd.Caller, t *crmd.Territory, ed Edit) (*crmd.Error, error) {
	if ed.Name.Set {
		taken, err := s.st.TerritoryNameTaken(ctx, tx, c.Org.ID, ed.Name.To, t.ID)
		if err != nil {
			return nil, err
		}
		if taken {
			return fieldErr("DUPLICATE_DATA", MsgNameTaken, "name", itemPath(ed.Pos, "name"), nil), nil
		}
		t.Name, t.APIName = ed.Name.To, store.TerritoryAPIName(ed.Name.To)
	}
	if ed.ReportingTo.Set {
		parent, path := ed.ReportingTo.To, itemPath(ed.Pos, "reporting_to")
		switch {
		case t.IsRoot() && parent != 0:
			return fieldErr("NOT_ALLOWED", MsgRootNotMovable, "reporting_to", path, nil), nil
		case t.IsRoot():
		case parent == 0:
			return fieldErr("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, "reporting_to", path, nil), nil
		case parent != t.ReportingTo:
			if _, err := s.st.Territory(ctx, tx, c.Org.ID, parent); errors.Is(err, store.ErrNotFound) {
				return fieldErr("INVALID_DATA", crmd.MsgInvalidID, "reporting_to", path, nil), nil
			} else if err != nil {
				return nil, err
			}
			// Under itself or a descendant is a cycle: t is an ancestor-or-self of the new parent.
			cycle, err := s.st.TerritoryAncestorOf(ctx, tx, c.Org.ID, t.ID, parent)
			if err != nil {
				return nil, err
			}
			if cycle {
				return fieldErr("NOT_ALLOWED", MsgCycle, "reporting_to", path, nil), nil
			}
			t.ReportingTo = parent
		}
	}
	if ed.PermissionType.Set {
		t.PermissionType = ed.PermissionType.To
	}
	if ed.Manager.Set {
		t.ManagerID = ed.Manager.To
	}
	if ed.Description.Set {
		t.Description = ed.Description.To
	}
	return nil, nil
}

// Delete removes the territories among ids (distinct) that may go, with their record assignments,
// in one transaction; one result per id, the id when it went. The root may not (NOT_ALLOWED "Org
// Territory cannot be deleted"), nor a territory with a child that stays (NOT_ALLOWED "Territory
// can't be deleted as it's having child"): a parent listed together with its whole subtree goes,
// whatever the order of the ids. An id that names no territory of the org is INVALID_DATA {"id"}.
func (s *Service) Delete(ctx context.Context, c *crmd.Caller, ids []crmd.ID) ([]crmd.Result[crmd.ID], error) {
	if err := s.startWrite(ctx, c); err != nil {
		return nil, err
	}
	out := make([]crmd.Result[crmd.ID], len(ids))
	err := s.st.Tx(ctx, func(tx *store.Tx) error {
		if err := s.st.LockTerritories(ctx, tx, c.Org.ID); err != nil {
			return err
		}
		ts, err := s.st.TerritoriesByID(ctx, tx, c.Org.ID, ids)
		if err != nil {
			return err
		}
		children, err := s.st.ChildTerritoryIDs(ctx, tx, c.Org.ID, ids)
		if err != nil {
			return err
		}
		going := map[crmd.ID]bool{}
		for _, id := range ids {
			if t := ts[id]; t != nil && !t.IsRoot() {
				going[id] = true
			}
		}
		// Keep back, until nothing changes, every territory with a child that is not going.
		for changed := true; changed; {
			changed = false
			for id := range going {
				for _, ch := range children[id] {
					if !going[ch] {
						delete(going, id)
						changed = true
						break
					}
				}
			}
		}
		var del []crmd.ID
		for i, id := range ids {
			t := ts[id]
			switch {
			case t == nil:
				out[i].Err = crmd.E("INVALID_DATA", crmd.MsgInvalidID, crmd.D{"id": id})
			case t.IsRoot():
				out[i].Err = crmd.E("NOT_ALLOWED", MsgRootNotDeletable, crmd.D{"id": id})
			case !going[id]:
				out[i].Err = crmd.E("NOT_ALLOWED", MsgHasChildren, crmd.D{"id": id})
			default:
				del = append(del, id)
				out[i].Value = id
			}
		}
		return s.st.DeleteTerritories(ctx, tx, c.Org.ID, del)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// TransferAndDelete applies items in order in one transaction, each seeing the ones before it; one
// result per item, the deleted territory's id. Each territory's children and record assignments move
// to the item's To, then the territory is deleted. To may be left out only by a territory without
// children (its records then simply lose it); it must name a territory of the org outside the deleted
// territory's subtree. A territory that is not the org's is INVALID_DATA on id, the root NOT_ALLOWED.
func (s *Service) TransferAndDelete(ctx context.Context, c *crmd.Caller, items []Transfer) ([]crmd.Result[crmd.ID], error) {
	if err := s.startWrite(ctx, c); err != nil {
		return nil, err
	}
	out := make([]crmd.Result[crmd.ID], len(items))
	err := s.st.Tx(ctx, func(tx *store.Tx) error {
		if err := s.st.LockTerritories(ctx, tx, c.Org.ID); err != nil {
			return err
		}
		now := s.st.NowMS()
		for i, it := range items {
			t, err := s.st.Territory(ctx, tx, c.Org.ID, it.ID)
			if errors.Is(err, store.ErrNotFound) {
				out[i].Err = fieldErr("INVALID_DATA", MsgBadTerritoryID, "id", itemPath(it.Pos, "id"), nil)
				continue
			}
			if err != nil {
				return err
			}
			if t.IsRoot() {
				out[i].Err = crmd.E("NOT_ALLOWED", MsgRootNotDeletable, crmd.D{"id": t.ID})
				continue
			}
			if it.To == 0 {
				kids, err := s.st.ChildTerritoryIDs(ctx, tx, c.Org.ID, []crmd.ID{t.ID})
				if err != nil {
					return err
				}
				if len(kids[t.ID]) > 0 {
					out[i].Err = crmd.E("DEPENDENT_FIELD_MISSING", MsgTransferNeeded, crmd.D{
						"api_name": "transfer_to_id", "json_path": itemPath(it.Pos, "transfer_to_id"),
						"dependee": map[string]any{"api_name": "id", "json_path": itemPath(it.Pos, "id")},
					})
					continue
				}
			} else {
				bad := false
				if _, err := s.st.Territory(ctx, tx, c.Org.ID, it.To); errors.Is(err, store.ErrNotFound) {
					bad = true
				} else if err != nil {
					return err
				} else if bad, err = s.st.TerritoryAncestorOf(ctx, tx, c.Org.ID, t.ID, it.To); err != nil {
					return err
				}
				if bad {
					out[i].Err = fieldErr("INVALID_DATA", MsgBadTransferTo, "transfer_to_id", itemPath(it.Pos, "transfer_to_id"), nil)
					continue
				}
				if err := s.st.TransferTerritory(ctx, tx, c.Org.ID, t.ID, it.To, c.User.ID, now); err != nil {
					return err
				}
			}
			if err := s.st.DeleteTerritories(ctx, tx, c.Org.ID, []crmd.ID{t.ID}); err != nil {
				return err
			}
			out[i].Value = t.ID
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
