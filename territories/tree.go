package territories

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// Zoho's literal messages for territory writes (from its OpenAPI examples; clients match on them).
const (
	MsgCreated          = "Territory Created Successfully"
	MsgUpdated          = "Territory Updated Successfully"
	MsgDeleted          = "Given Territory Removed Successfully"
	MsgTransferred      = "Territory Transferred And Deleted Successfully"
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

// permissionTypes are the values permission_type takes.
var permissionTypes = []string{crmd.TerritoryReadOnly, crmd.TerritoryReadWriteDelete}

// ruleKeys are the rule criteria a territory may carry in Zoho; crmd accepts them only as null.
var ruleKeys = []string{"account_rule_criteria", "deal_rule_criteria", "lead_rule_criteria"}

func itemPath(i int, key string) string { return fmt.Sprintf("$.territories[%d].%s", i, key) }

// changes are the keys one create or update item gives, validated.
type changes struct {
	name       *string
	desc       *string
	hasDesc    bool
	perm       string
	manager    crmd.ID
	hasManager bool
	parent     crmd.ID // 0 with hasParent: given as null
	hasParent  bool
}

// parseItem validates the keys of one create (create=true: name, permission_type and reporting_to are
// mandatory) or update item, in a fixed order so that the first error is deterministic. Unknown keys
// and read-only ones (id, api_name, created_by, …) are ignored.
func parseItem(obj map[string]any, i int, create bool, users map[crmd.ID]*crmd.User) (changes, *crmd.Error) {
	var ch changes
	mandatory := func(key string, extra crmd.D) *crmd.Error {
		return fieldErr("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, key, itemPath(i, key), extra)
	}
	// name
	if v, given := obj["name"]; given || create {
		if v == nil {
			return ch, mandatory("name", nil)
		}
		str, ok := v.(string)
		if !ok {
			return ch, fieldErr("INVALID_DATA", crmd.MsgInvalidData, "name", itemPath(i, "name"), crmd.D{"expected_data_type": "string"})
		}
		str = strings.TrimSpace(str)
		if str == "" {
			return ch, mandatory("name", nil)
		}
		if utf8.RuneCountInString(str) > MaxNameLength {
			return ch, fieldErr("INVALID_DATA", crmd.MsgInvalidData, "name", itemPath(i, "name"), crmd.D{"maximum_length": MaxNameLength})
		}
		ch.name = &str
	}
	// permission_type
	if v, given := obj["permission_type"]; given || create {
		if v == nil {
			return ch, mandatory("permission_type", crmd.D{"supported_values": permissionTypes})
		}
		str, _ := v.(string)
		if str != crmd.TerritoryReadOnly && str != crmd.TerritoryReadWriteDelete {
			return ch, fieldErr("INVALID_DATA", MsgInvalidPermType, "permission_type", itemPath(i, "permission_type"), crmd.D{"supported_values": permissionTypes})
		}
		ch.perm = str
	}
	// reporting_to
	if v, given := obj["reporting_to"]; given || create {
		ch.hasParent = true
		switch x := v.(type) {
		case nil:
			if create {
				return ch, mandatory("reporting_to", nil)
			}
		case map[string]any:
			id, ok := idValue(x["id"])
			if !ok {
				return ch, fieldErr("INVALID_DATA", crmd.MsgInvalidID, "reporting_to", itemPath(i, "reporting_to"), nil)
			}
			ch.parent = id
		default:
			return ch, fieldErr("INVALID_DATA", crmd.MsgInvalidData, "reporting_to", itemPath(i, "reporting_to"), crmd.D{"expected_data_type": "jsonobject"})
		}
	}
	// manager
	if v, given := obj["manager"]; given {
		ch.hasManager = true
		switch x := v.(type) {
		case nil:
		case map[string]any:
			id, ok := idValue(x["id"])
			if !ok || users[id] == nil {
				return ch, fieldErr("INVALID_DATA", crmd.MsgInvalidID, "manager", itemPath(i, "manager"), nil)
			}
			ch.manager = id
		default:
			return ch, fieldErr("INVALID_DATA", crmd.MsgInvalidData, "manager", itemPath(i, "manager"), crmd.D{"expected_data_type": "jsonobject"})
		}
	}
	// description
	if v, given := obj["description"]; given {
		ch.hasDesc = true
		switch x := v.(type) {
		case nil:
		case string:
			if utf8.RuneCountInString(x) > MaxDescriptionLength {
				return ch, fieldErr("INVALID_DATA", crmd.MsgInvalidData, "description", itemPath(i, "description"), crmd.D{"maximum_length": MaxDescriptionLength})
			}
			if x != "" {
				ch.desc = &x
			}
		default:
			return ch, fieldErr("INVALID_DATA", crmd.MsgInvalidData, "description", itemPath(i, "description"), crmd.D{"expected_data_type": "string"})
		}
	}
	for _, k := range ruleKeys {
		if v, given := obj[k]; given && v != nil {
			return ch, fieldErr("NOT_SUPPORTED", MsgRulesUnsupported, k, itemPath(i, k), nil)
		}
	}
	return ch, nil
}

// writeItems starts a territory write: the caller must be an administrator; with pathID (a
// /settings/territories/{id} path) the path names the one territory the body's single item is about,
// returned as target (0 without a path id); the body's "territories" array holds at most MaxWrite
// items; and the org's root territory exists.
func (s *Service) writeItems(ctx context.Context, c *crmd.Caller, pathID string, body map[string]any) (crmd.ID, []any, error) {
	if err := requireAdmin(c); err != nil {
		return 0, nil, err
	}
	limit := MaxWrite
	var target crmd.ID
	if pathID != "" {
		t, err := s.pathTerritory(ctx, c, pathID)
		if err != nil {
			return 0, nil, err
		}
		target, limit = t.ID, 1
	}
	arr, aerr := itemsArray(body, "territories", limit)
	if aerr != nil {
		return 0, nil, aerr
	}
	if _, err := s.st.EnsureRootTerritory(ctx, c.Org.ID); err != nil {
		return 0, nil, err
	}
	return target, arr, nil
}

// itemID is the territory an update or transfer_and_delete item is about: target when the path named
// it, else the item's "id" (missing is MANDATORY_NOT_FOUND, malformed INVALID_DATA with message bad).
func itemID(obj map[string]any, i int, target crmd.ID, bad string) (crmd.ID, *crmd.Error) {
	if target != 0 {
		return target, nil
	}
	v, given := obj["id"]
	if !given || v == nil {
		return 0, fieldErr("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, "id", itemPath(i, "id"), nil)
	}
	id, ok := idValue(v)
	if !ok {
		return 0, fieldErr("INVALID_DATA", bad, "id", itemPath(i, "id"), nil)
	}
	return id, nil
}

// Create answers POST /settings/territories: body {"territories":[…]} with at most MaxWrite items,
// each {name, permission_type, reporting_to:{id}, manager?:{id}, description?}. One outcome per item in
// input order; the valid ones are created together in one transaction. A name is unique per org,
// case-insensitively, against existing territories ("Given Territory name already exists") and within
// the request ("Duplicate Territory Name Found"), both DUPLICATE_DATA.
func (s *Service) Create(ctx context.Context, c *crmd.Caller, body map[string]any) ([]Outcome, error) {
	_, arr, err := s.writeItems(ctx, c, "", body)
	if err != nil {
		return nil, err
	}
	users, err := s.st.UsersByID(ctx, c.Org.ID)
	if err != nil {
		return nil, err
	}
	out := make([]Outcome, len(arr))
	drafts := make([]*changes, len(arr))
	var parents []crmd.ID
	for i, raw := range arr {
		obj, ok := raw.(map[string]any)
		if !ok {
			out[i].Err = notObject("territories", i)
			continue
		}
		ch, e := parseItem(obj, i, true, users)
		if e != nil {
			out[i].Err = e
			continue
		}
		drafts[i] = &ch
		parents = append(parents, ch.parent)
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
		names := map[string]bool{} // lower-cased names created by this request
		for i, ch := range drafts {
			if ch == nil {
				continue
			}
			if known[ch.parent] == nil {
				out[i].Err = fieldErr("INVALID_DATA", crmd.MsgInvalidID, "reporting_to", itemPath(i, "reporting_to"), nil)
				continue
			}
			lower := strings.ToLower(*ch.name)
			if names[lower] {
				out[i].Err = fieldErr("DUPLICATE_DATA", MsgNameRepeated, "name", itemPath(i, "name"), nil)
				continue
			}
			taken, err := s.st.TerritoryNameTaken(ctx, tx, c.Org.ID, *ch.name, 0)
			if err != nil {
				return err
			}
			if taken {
				out[i].Err = fieldErr("DUPLICATE_DATA", MsgNameTaken, "name", itemPath(i, "name"), nil)
				continue
			}
			id, err := s.st.AllocIDs(ctx, tx, c.Org.ID, 1)
			if err != nil {
				return err
			}
			t := &crmd.Territory{ID: id, OrgID: c.Org.ID, Name: *ch.name, APIName: store.TerritoryAPIName(*ch.name),
				Description: ch.desc, PermissionType: ch.perm, ManagerID: ch.manager, ReportingTo: ch.parent,
				CreatedBy: c.User.ID, ModifiedBy: c.User.ID, CreatedTime: now, ModifiedTime: now}
			if err := s.st.InsertTerritory(ctx, tx, t); err != nil {
				return err
			}
			names[lower] = true
			out[i] = Outcome{Message: MsgCreated, Details: map[string]any{"id": id}}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Update answers PUT /settings/territories (each item names its territory in "id") and, with pathID,
// PUT /settings/territories/{id} (one item; the path names the territory). Only the keys an item gives
// change; manager and description may be cleared with null. Items apply in order in one transaction,
// each seeing the ones before it. A new reporting_to must be a territory of the org outside the
// territory's own subtree (else NOT_ALLOWED, Zoho's cycle message); the root cannot report to anyone
// and no other territory can stop reporting.
func (s *Service) Update(ctx context.Context, c *crmd.Caller, pathID string, body map[string]any) ([]Outcome, error) {
	target, arr, err := s.writeItems(ctx, c, pathID, body)
	if err != nil {
		return nil, err
	}
	users, err := s.st.UsersByID(ctx, c.Org.ID)
	if err != nil {
		return nil, err
	}
	out := make([]Outcome, len(arr))
	type draft struct {
		id crmd.ID
		ch changes
	}
	drafts := make([]*draft, len(arr))
	for i, raw := range arr {
		obj, ok := raw.(map[string]any)
		if !ok {
			out[i].Err = notObject("territories", i)
			continue
		}
		id, e := itemID(obj, i, target, crmd.MsgInvalidID)
		if e != nil {
			out[i].Err = e
			continue
		}
		ch, e := parseItem(obj, i, false, users)
		if e != nil {
			out[i].Err = e
			continue
		}
		drafts[i] = &draft{id: id, ch: ch}
	}
	err = s.st.Tx(ctx, func(tx *store.Tx) error {
		if err := s.st.LockTerritories(ctx, tx, c.Org.ID); err != nil {
			return err
		}
		now := s.st.NowMS()
		for i, d := range drafts {
			if d == nil {
				continue
			}
			t, err := s.st.Territory(ctx, tx, c.Org.ID, d.id)
			if errors.Is(err, store.ErrNotFound) {
				out[i].Err = fieldErr("INVALID_DATA", crmd.MsgInvalidID, "id", itemPath(i, "id"), nil)
				continue
			}
			if err != nil {
				return err
			}
			e, err := s.apply(ctx, tx, c, t, i, d.ch)
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
			out[i] = Outcome{Message: MsgUpdated, Details: map[string]any{"id": t.ID}}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// apply checks the changes of update item i against the database (inside tx) and applies them to t.
func (s *Service) apply(ctx context.Context, tx *store.Tx, c *crmd.Caller, t *crmd.Territory, i int, ch changes) (*crmd.Error, error) {
	if ch.name != nil {
		taken, err := s.st.TerritoryNameTaken(ctx, tx, c.Org.ID, *ch.name, t.ID)
		if err != nil {
			return nil, err
		}
		if taken {
			return fieldErr("DUPLICATE_DATA", MsgNameTaken, "name", itemPath(i, "name"), nil), nil
		}
		t.Name, t.APIName = *ch.name, store.TerritoryAPIName(*ch.name)
	}
	if ch.hasParent {
		switch {
		case t.IsRoot() && ch.parent != 0:
			return fieldErr("NOT_ALLOWED", MsgRootNotMovable, "reporting_to", itemPath(i, "reporting_to"), nil), nil
		case t.IsRoot():
		case ch.parent == 0:
			return fieldErr("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, "reporting_to", itemPath(i, "reporting_to"), nil), nil
		case ch.parent != t.ReportingTo:
			if _, err := s.st.Territory(ctx, tx, c.Org.ID, ch.parent); errors.Is(err, store.ErrNotFound) {
				return fieldErr("INVALID_DATA", crmd.MsgInvalidID, "reporting_to", itemPath(i, "reporting_to"), nil), nil
			} else if err != nil {
				return nil, err
			}
			// Under itself or a descendant is a cycle: t is an ancestor-or-self of the new parent.
			cycle, err := s.st.TerritoryAncestorOf(ctx, tx, c.Org.ID, t.ID, ch.parent)
			if err != nil {
				return nil, err
			}
			if cycle {
				return fieldErr("NOT_ALLOWED", MsgCycle, "reporting_to", itemPath(i, "reporting_to"), nil), nil
			}
			t.ReportingTo = ch.parent
		}
	}
	if ch.perm != "" {
		t.PermissionType = ch.perm
	}
	if ch.hasManager {
		t.ManagerID = ch.manager
	}
	if ch.hasDesc {
		t.Description = ch.desc
	}
	return nil, nil
}

// Delete answers DELETE /settings/territories?ids=…: at most MaxIDs distinct ids (missing is
// REQUIRED_PARAM_MISSING, malformed UNABLE_TO_PARSE_DATA_TYPE, too many LIMIT_EXCEEDED), one outcome
// per distinct id. Zoho's delete_previous_forecasts is accepted and ignored (crmd keeps no forecasts).
func (s *Service) Delete(ctx context.Context, c *crmd.Caller, q url.Values) ([]Outcome, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	ids, perr := crmd.RequiredIDs(q.Get("ids"), MaxIDs, "mandatory param missing")
	if perr != nil {
		return nil, perr
	}
	return s.delete(ctx, c, ids)
}

// DeleteOne answers DELETE /settings/territories/{id}; an id that names no territory of the org is a
// request-level error, the rest as Delete.
func (s *Service) DeleteOne(ctx context.Context, c *crmd.Caller, rawID string) ([]Outcome, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	t, err := s.pathTerritory(ctx, c, rawID)
	if err != nil {
		return nil, err
	}
	return s.delete(ctx, c, []crmd.ID{t.ID})
}

// delete removes the territories among ids that may go, with their record assignments, in one
// transaction. The root may not (NOT_ALLOWED "Org Territory cannot be deleted"), nor a territory with
// a child that stays (NOT_ALLOWED "Territory can't be deleted as it's having child"): a parent listed
// together with its whole subtree goes, whatever the order of the ids. An id that names nothing is
// INVALID_DATA {"id"}.
func (s *Service) delete(ctx context.Context, c *crmd.Caller, ids []crmd.ID) ([]Outcome, error) {
	if _, err := s.st.EnsureRootTerritory(ctx, c.Org.ID); err != nil {
		return nil, err
	}
	out := make([]Outcome, len(ids))
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
				out[i] = Outcome{Message: MsgDeleted, Details: map[string]any{"id": id}}
			}
		}
		return s.st.DeleteTerritories(ctx, tx, c.Org.ID, del)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// TransferAndDelete answers POST /settings/territories/actions/transfer_and_delete (body
// {"territories":[{"id","transfer_to_id","delete_previous_forecasts"}]}, at most MaxWrite items) and,
// with pathID, POST /settings/territories/{id}/actions/transfer_and_delete (one item; the path names
// the territory). Each territory's children and record assignments move to transfer_to_id, then the
// territory is deleted. transfer_to_id may be left out only by a territory without children (its
// records then simply lose it); it must name a territory of the org outside the deleted territory's
// subtree. Items apply in order in one transaction, each seeing the ones before it.
func (s *Service) TransferAndDelete(ctx context.Context, c *crmd.Caller, pathID string, body map[string]any) ([]Outcome, error) {
	target, arr, err := s.writeItems(ctx, c, pathID, body)
	if err != nil {
		return nil, err
	}
	type draft struct{ id, to crmd.ID }
	out := make([]Outcome, len(arr))
	drafts := make([]*draft, len(arr))
	for i, raw := range arr {
		obj, ok := raw.(map[string]any)
		if !ok {
			out[i].Err = notObject("territories", i)
			continue
		}
		id, e := itemID(obj, i, target, MsgBadTerritoryID)
		if e != nil {
			out[i].Err = e
			continue
		}
		d := &draft{id: id}
		if v := obj["transfer_to_id"]; v != nil {
			if d.to, ok = idValue(v); !ok {
				out[i].Err = fieldErr("INVALID_DATA", MsgBadTransferTo, "transfer_to_id", itemPath(i, "transfer_to_id"), nil)
				continue
			}
		}
		if v := obj["delete_previous_forecasts"]; v != nil {
			if _, ok := v.(bool); !ok {
				out[i].Err = fieldErr("INVALID_DATA", crmd.MsgInvalidData, "delete_previous_forecasts", itemPath(i, "delete_previous_forecasts"),
					crmd.D{"expected_data_type": "boolean"})
				continue
			}
		}
		drafts[i] = d
	}
	err = s.st.Tx(ctx, func(tx *store.Tx) error {
		if err := s.st.LockTerritories(ctx, tx, c.Org.ID); err != nil {
			return err
		}
		now := s.st.NowMS()
		for i, d := range drafts {
			if d == nil {
				continue
			}
			t, err := s.st.Territory(ctx, tx, c.Org.ID, d.id)
			if errors.Is(err, store.ErrNotFound) {
				out[i].Err = fieldErr("INVALID_DATA", MsgBadTerritoryID, "id", itemPath(i, "id"), nil)
				continue
			}
			if err != nil {
				return err
			}
			if t.IsRoot() {
				out[i].Err = crmd.E("NOT_ALLOWED", MsgRootNotDeletable, crmd.D{"id": t.ID})
				continue
			}
			if d.to == 0 {
				kids, err := s.st.ChildTerritoryIDs(ctx, tx, c.Org.ID, []crmd.ID{t.ID})
				if err != nil {
					return err
				}
				if len(kids[t.ID]) > 0 {
					out[i].Err = crmd.E("DEPENDENT_FIELD_MISSING", MsgTransferNeeded, crmd.D{
						"api_name": "transfer_to_id", "json_path": itemPath(i, "transfer_to_id"),
						"dependee": map[string]any{"api_name": "id", "json_path": itemPath(i, "id")},
					})
					continue
				}
			} else {
				bad := false
				if _, err := s.st.Territory(ctx, tx, c.Org.ID, d.to); errors.Is(err, store.ErrNotFound) {
					bad = true
				} else if err != nil {
					return err
				} else if bad, err = s.st.TerritoryAncestorOf(ctx, tx, c.Org.ID, t.ID, d.to); err != nil {
					return err
				}
				if bad {
					out[i].Err = fieldErr("INVALID_DATA", MsgBadTransferTo, "transfer_to_id", itemPath(i, "transfer_to_id"), nil)
					continue
				}
				if err := s.st.TransferTerritory(ctx, tx, c.Org.ID, t.ID, d.to, c.User.ID, now); err != nil {
					return err
				}
			}
			if err := s.st.DeleteTerritories(ctx, tx, c.Org.ID, []crmd.ID{t.ID}); err != nil {
				return err
			}
			out[i] = Outcome{Message: MsgTransferred, Details: map[string]any{"id": t.ID}}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
