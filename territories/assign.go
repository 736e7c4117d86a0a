package territories

import (
	"context"
	"errors"
	"fmt"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// Zoho's literal error messages for territories on records (docs/territories.md#territories-on-records;
// clients match on them).
const (
	MsgAlreadyAssigned   = "Given Territory id already exists for that record"
	MsgRepeatedTerritory = "duplicate territory id found"
	MsgTooManyForRecord  = "Maximum limit of territories for that record exceeds"
	MsgIDMissing         = "One of the expected parameter is missing"
)

// Assignment is one entry of an Assign or Remove: the Record and the Territories to give it or take
// from it (distinct, 1 to MaxPerRecord). Pos is the entry's index in the request, which errors name in
// their json_path ($.data[Pos].Territories[j].id).
type Assignment struct {
	Pos         int
	Record      crmd.ID
	Territories []crmd.ID
}

func dataPath(pos int, rest string) string { return fmt.Sprintf("$.data[%d]%s", pos, rest) }

// CanAssign refuses assigning or removing territories to a caller whose profile may not edit the
// module's records: 403 NO_PERMISSION. Assign and Remove check it; the HTTP layer checks it too
// before it reads the path and the entries, so that such a caller gets this answer first.
func CanAssign(c *crmd.Caller, m *crmd.Module) error {
	if !c.User.Profile.Can(crmd.PermEdit) {
		return crmd.ErrNoPermission(crmd.PermissionName(crmd.PermEdit, m.APIName))
	}
	return nil
}

// LiveRecord reports whether id is a live record of module m in the caller's org: not deleted, not
// of another org or module. /{module}/{id}/actions/assign_territories may only name such a record.
func (s *Service) LiveRecord(ctx context.Context, c *crmd.Caller, m *crmd.Module, id crmd.ID) (bool, error) {
	_, err := s.st.LiveRecord(ctx, c.Org.ID, m.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Assign gives each entry's record its territories; one result per entry, in order, the record's id
// when it succeeded. Per entry: a record that is not a live record of the module in the org, or a
// territory that is not the org's, is INVALID_DATA "the id given seems to be invalid" with the
// json_path of the id; a territory the record already has is DUPLICATE_DATA; more than MaxPerRecord
// territories on the record is LIMIT_EXCEEDED; a Standard user's record of another owner is
// NO_PERMISSION {"id"}. Entries apply in order in one transaction, each seeing the ones before it.
func (s *Service) Assign(ctx context.Context, c *crmd.Caller, m *crmd.Module, entries []Assignment) ([]crmd.Result[crmd.ID], error) {
	return s.change(ctx, c, m, entries, true)
}

// Remove takes each entry's territories from its record, checked like Assign; a territory the
// record does not have is INVALID_DATA "the id given seems to be invalid" with its json_path, as Zoho
// answers.
func (s *Service) Remove(ctx context.Context, c *crmd.Caller, m *crmd.Module, entries []Assignment) ([]crmd.Result[crmd.ID], error) {
	return s.change(ctx, c, m, entries, false)
}

func (s *Service) change(ctx context.Context, c *crmd.Caller, m *crmd.Module, entries []Assignment, assign bool) ([]crmd.Result[crmd.ID], error) {
	if err := CanAssign(c, m); err != nil {
		return nil, err
	}
	out := make([]crmd.Result[crmd.ID], len(entries))
	if len(entries) == 0 {
		return out, nil
	}
	var recIDs, terrIDs []crmd.ID
	for _, e := range entries {
		recIDs = append(recIDs, e.Record)
		terrIDs = append(terrIDs, e.Territories...)
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
			rec := recs[e.Record]
			if rec == nil || rec.DeletedTime != 0 {
				out[i].Err = fieldErr("INVALID_DATA", crmd.MsgInvalidID, "id", dataPath(e.Pos, ".id"), nil)
				continue
			}
			if !c.User.Profile.IsAdmin() && rec.OwnerID != c.User.ID {
				out[i].Err = crmd.E("NO_PERMISSION", crmd.MsgPermissionDenied, crmd.D{"id": e.Record})
				continue
			}
			set := has[e.Record]
			var bad *crmd.Error
			for j, tid := range e.Territories {
				path := dataPath(e.Pos, fmt.Sprintf(".Territories[%d].id", j))
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
			if bad == nil && assign && len(set)+len(e.Territories) > MaxPerRecord {
				bad = fieldErr("LIMIT_EXCEEDED", MsgTooManyForRecord, "Territories", dataPath(e.Pos, ".Territories"), crmd.D{"limit": MaxPerRecord})
			}
			if bad != nil {
				out[i].Err = bad
				continue
			}
			if assign {
				err = s.st.AssignTerritories(ctx, tx, c.Org.ID, e.Record, e.Territories, c.User.ID, now)
			} else {
				err = s.st.RemoveTerritories(ctx, tx, c.Org.ID, e.Record, e.Territories)
			}
			if err != nil {
				return err
			}
			for _, tid := range e.Territories {
				set[tid] = assign
				if !assign {
					delete(set, tid)
				}
			}
			touched = append(touched, e.Record)
			out[i].Value = e.Record
		}
		return s.st.TouchRecords(ctx, tx, c.Org.ID, m.ID, touched, c.User.ID, now)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
