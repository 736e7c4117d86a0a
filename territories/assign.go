package territories

import (
	"context"
	"errors"
	"fmt"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// Zoho's literal messages for territories on records (docs/territories.md#territories-on-records; clients match on them).
const (
	MsgAssigned          = "the territories data updated successfully"
	MsgRemoved           = "the territories are removed successfully"
	MsgAlreadyAssigned   = "Given Territory id already exists for that record"
	MsgRepeatedTerritory = "duplicate territory id found"
	MsgTooManyForRecord  = "Maximum limit of territories for that record exceeds"
	MsgIDMissing         = "One of the expected parameter is missing"
)

// recordEntry is one parsed element of `data`: the record and the territories it names.
type recordEntry struct {
	record crmd.ID
	terrs  []crmd.ID
}

func dataPath(i int, rest string) string { return fmt.Sprintf("$.data[%d]%s", i, rest) }

// parseRecordEntry validates element i of `data`: its record id (unless the path gives it) and its
// Territories list — an array of 1..MaxPerRecord objects with distinct valid ids.
func parseRecordEntry(raw any, i int, pathRecord crmd.ID) (*recordEntry, *crmd.Error) {
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, fieldErr("INVALID_DATA", crmd.MsgInvalidData, "data", dataPath(i, ""), crmd.D{"expected_data_type": "jsonobject"})
	}
	e := &recordEntry{record: pathRecord}
	if e.record == 0 {
		v, given := obj["id"]
		if !given || v == nil {
			return nil, fieldErr("MANDATORY_NOT_FOUND", MsgIDMissing, "id", dataPath(i, ".id"), nil)
		}
		if e.record, ok = idValue(v); !ok {
			return nil, fieldErr("INVALID_DATA", crmd.MsgInvalidID, "id", dataPath(i, ".id"), nil)
		}
	}
	raw, given := obj["Territories"]
	if !given || raw == nil {
		return nil, fieldErr("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, "Territories", dataPath(i, ".Territories"), nil)
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fieldErr("INVALID_DATA", crmd.MsgInvalidData, "Territories", dataPath(i, ".Territories"), crmd.D{"expected_data_type": "jsonarray"})
	}
	if len(list) == 0 {
		return nil, fieldErr("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, "Territories", dataPath(i, ".Territories"), nil)
	}
	if len(list) > MaxPerRecord {
		return nil, fieldErr("LIMIT_EXCEEDED", MsgTooManyForRecord, "Territories", dataPath(i, ".Territories"), crmd.D{"limit": MaxPerRecord})
	}
	first := map[crmd.ID]int{}
	for j, it := range list {
		path := dataPath(i, fmt.Sprintf(".Territories[%d]", j))
		tobj, ok := it.(map[string]any)
		if !ok {
			return nil, fieldErr("INVALID_DATA", crmd.MsgInvalidData, "Territories", path, crmd.D{"expected_data_type": "jsonobject"})
		}
		v, given := tobj["id"]
		if !given || v == nil {
			return nil, fieldErr("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, "id", path+".id", nil)
		}
		tid, ok := idValue(v)
		if !ok {
			return nil, fieldErr("INVALID_DATA", crmd.MsgInvalidID, "id", path+".id", nil)
		}
		if k, seen := first[tid]; seen {
			return nil, fieldErr("ALREADY_USED", MsgRepeatedTerritory, "id", path+".id",
				crmd.D{"exists_in": map[string]any{"json_path": dataPath(i, fmt.Sprintf(".Territories[%d].id", k))}})
		}
		first[tid] = j
		e.terrs = append(e.terrs, tid)
	}
	return e, nil
}

// Assign answers POST /{module}/actions/assign_territories (body {"data":[{"id","Territories":[{"id"}]}]},
// at most MaxRecords records) and, with pathRecord, POST /{module}/{id}/actions/assign_territories
// (one entry; the path names the record). It is synchronous: 200 with one outcome per entry ("the
// territories data updated successfully", details {"id": record}), 207 mixed, 400 all failed. Per entry:
// a record that is not a live record of the module in the org, or a territory that is not the org's, is
// INVALID_DATA "the id given seems to be invalid" with the json_path of the id; a territory the record
// already has is DUPLICATE_DATA; a territory named twice in the entry is ALREADY_USED (exists_in
// pointing at its first mention); more than MaxPerRecord territories on the record is LIMIT_EXCEEDED;
// a Standard user's record of another owner is NO_PERMISSION {"id"}. Entries apply in order in one
// transaction, each seeing the ones before it.
func (s *Service) Assign(ctx context.Context, c *crmd.Caller, m *crmd.Module, pathRecord string, body map[string]any) ([]Outcome, error) {
	return s.change(ctx, c, m, pathRecord, body, true)
}

// Remove answers POST /{module}/actions/remove_territories and POST /{module}/{id}/actions/
// remove_territories, shaped like Assign: success "the territories are removed successfully"; a
// territory the record does not have is INVALID_DATA "the id given seems to be invalid" with its
// json_path, as Zoho answers.
func (s *Service) Remove(ctx context.Context, c *crmd.Caller, m *crmd.Module, pathRecord string, body map[string]any) ([]Outcome, error) {
	return s.change(ctx, c, m, pathRecord, body, false)
}

// errInvalidRecordPath is the answer for a record id in the path (segment 1) that is malformed, unknown,
// deleted or of another org or module — the same as records give.
func errInvalidRecordPath() *crmd.Error {
	return crmd.E("INVALID_DATA", crmd.MsgInvalidID, crmd.D{"resource_path_index": 1})
}

func (s *Service) change(ctx context.Context, c *crmd.Caller, m *crmd.Module, pathRecord string, body map[string]any, assign bool) ([]Outcome, error) {
	if !c.User.Profile.Can(crmd.PermEdit) {
		return nil, crmd.ErrNoPermission(crmd.PermissionName(crmd.PermEdit, m.APIName))
	}
	limit := MaxRecords
	var target crmd.ID
	if pathRecord != "" {
		id, ok := crmd.ParseID(pathRecord)
		if !ok {
			return nil, errInvalidRecordPath()
		}
		if _, err := s.st.LiveRecord(ctx, c.Org.ID, m.ID, id); errors.Is(err, store.ErrNotFound) {
			return nil, errInvalidRecordPath()
		} else if err != nil {
			return nil, err
		}
		target, limit = id, 1
	}
	arr, aerr := itemsArray(body, "data", limit)
	if aerr != nil {
		return nil, aerr
	}
	out := make([]Outcome, len(arr))
	entries := make([]*recordEntry, len(arr))
	var recIDs, terrIDs []crmd.ID
	for i, raw := range arr {
		e, perr := parseRecordEntry(raw, i, target)
		if perr != nil {
			out[i].Err = perr
			continue
		}
		entries[i] = e
		recIDs = append(recIDs, e.record)
		terrIDs = append(terrIDs, e.terrs...)
	}
	if len(recIDs) == 0 {
		return out, nil
	}
	err := s.st.Tx(ctx, func(tx *store.Tx) error {
		// The lock keeps a racing territory delete from removing a territory between the check and
		// the insert below.
		if err := s.st.LockTerritories(ctx, tx, c.Org.ID); err != nil {
			return err
		}
		// Locking the records keeps a record found live from being deleted and purged (which drops
		// its territory rows) before the rows below are written: on PostgreSQL that left territory
		// rows on a purged record. It also orders the change against a mass delete's territory guard
		// on the same record. Lock order: the tree, then records, never the reverse.
		if err := s.st.LockRecords(ctx, tx, c.Org.ID, recIDs); err != nil {
			return err
		}
		recs, err := s.st.RecordsByID(ctx, tx, c.Org.ID, m.ID, recIDs)
		if err != nil {
			return err
		}
		terrs, err := s.st.TerritoriesByID(ctx, tx, c.Org.ID, terrIDs)
		if err != nil {
			return err
		}
		current, err := s.st.RecordTerritories(ctx, tx, c.Org.ID, recIDs)
		if err != nil {
			return err
		}
		has := map[crmd.ID]map[crmd.ID]bool{} // the state after earlier entries of this request
		for _, id := range recIDs {
			set := map[crmd.ID]bool{}
			for _, a := range current[id] {
				set[a.TerritoryID] = true
			}
			has[id] = set
		}
		now := s.st.NowMS()
		var touched []crmd.ID
		for i, e := range entries {
			if e == nil {
				continue
			}
			rec := recs[e.record]
			if rec == nil || rec.DeletedTime != 0 {
				out[i].Err = fieldErr("INVALID_DATA", crmd.MsgInvalidID, "id", dataPath(i, ".id"), nil)
				continue
			}
			if !c.User.Profile.IsAdmin() && rec.OwnerID != c.User.ID {
				out[i].Err = crmd.E("NO_PERMISSION", crmd.MsgPermissionDenied, crmd.D{"id": e.record})
				continue
			}
			set := has[e.record]
			var bad *crmd.Error
			for j, tid := range e.terrs {
				path := dataPath(i, fmt.Sprintf(".Territories[%d].id", j))
				switch {
				case terrs[tid] == nil:
					bad = fieldErr("INVALID_DATA", crmd.MsgInvalidID, "id", path, nil)
				case assign && set[tid]:
					bad = fieldErr("DUPLICATE_DATA", MsgAlreadyAssigned, "id", path, nil)
				case !assign && !set[tid]:
					bad = fieldErr("INVALID_DATA", crmd.MsgInvalidID, "id", path, nil)
				}
				if bad != nil {
					break
				}
			}
			if bad == nil && assign && len(set)+len(e.terrs) > MaxPerRecord {
				bad = fieldErr("LIMIT_EXCEEDED", MsgTooManyForRecord, "Territories", dataPath(i, ".Territories"), crmd.D{"limit": MaxPerRecord})
			}
			if bad != nil {
				out[i].Err = bad
				continue
			}
			if assign {
				err = s.st.AssignTerritories(ctx, tx, c.Org.ID, e.record, e.terrs, c.User.ID, now)
			} else {
				err = s.st.RemoveTerritories(ctx, tx, c.Org.ID, e.record, e.terrs)
			}
			if err != nil {
				return err
			}
			for _, tid := range e.terrs {
				set[tid] = assign
				if !assign {
					delete(set, tid)
				}
			}
			touched = append(touched, e.record)
			msg := MsgAssigned
			if !assign {
				msg = MsgRemoved
			}
			out[i] = Outcome{Message: msg, Details: map[string]any{"id": e.record}}
		}
		return s.st.TouchRecords(ctx, tx, c.Org.ID, m.ID, touched, c.User.ID, now)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
