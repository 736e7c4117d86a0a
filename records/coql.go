package records

import (
	"context"
	"encoding/json"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// COQLSelect and COQLOrder are the store's: what a COQL query selects (condition, order, window) and one
// sort key. Aliases, so that the HTTP layer states them without depending on the store.
type (
	COQLSelect = store.COQLQuery
	COQLOrder  = store.COQLOrder
)

// COQLQuery is a checked COQL query (package coql checks it in the HTTP layer): what to select, and the
// lookups whose target records the answer shows fields of (Account_Name.Account_Name).
type COQLQuery struct {
	// Select is what to select; the service sets its org, module and approval filter.
	Select COQLSelect
	// Follow are the lookup fields of the module, each with the module it points to, whose target
	// records are read for the answer.
	Follow []Follow
	// Joined are the modules whose records the conditions test through lookups.
	Joined []*crmd.Module
}

// Follow is a lookup field and the module its values point to.
type Follow struct {
	Field  *crmd.Field
	Target *crmd.Module
}

// COQLResult is what a COQL query selected and what the HTTP layer needs to show it.
type COQLResult struct {
	Records []*crmd.Record
	// More says that records beyond the limit match too.
	More bool
	// Users are the org's users, by id, for owner and user lookups.
	Users map[crmd.ID]*crmd.User
	// Targets are the live records the followed lookups point to, by module id and record id; a lookup
	// whose target is deleted or missing has none.
	Targets map[crmd.ID]map[crmd.ID]*crmd.Record
}

// COQL answers POST /coql: the live, approved records of m that match (the default of a records list,
// GET /{module}), as the caller's profile may view them, with the target records of the followed lookups
// read in one query per target module. The conditions on a lookup's fields need the target module's
// view permission too, as do the columns shown from it: a profile that may not view Accounts learns
// nothing of them through Contacts.
func (s *Service) COQL(ctx context.Context, c *crmd.Caller, m *crmd.Module, q COQLQuery) (*COQLResult, error) {
	if err := checkProfile(c, m, crmd.PermView); err != nil {
		return nil, err
	}
	for _, t := range q.Joined {
		if err := checkProfile(c, t, crmd.PermView); err != nil {
			return nil, err
		}
	}
	for _, f := range q.Follow {
		if err := checkProfile(c, f.Target, crmd.PermView); err != nil {
			return nil, err
		}
	}
	sq := q.Select
	sq.OrgID, sq.ModuleID, sq.Approval = c.Org.ID, m.ID, store.ApprovedOnly
	limit := sq.Limit
	sq.Limit = limit + 1 // one more than asked tells whether more records match
	recs, err := s.st.SelectCOQL(ctx, sq)
	if err != nil {
		return nil, err
	}
	res := &COQLResult{}
	if res.More = len(recs) > limit; res.More {
		recs = recs[:limit]
	}
	res.Records = recs
	if len(recs) == 0 {
		return res, nil
	}
	if res.Users, err = s.st.UsersByID(ctx, c.Org.ID); err != nil {
		return nil, err
	}
	res.Targets, err = s.targets(ctx, c.Org.ID, recs, q.Follow)
	return res, err
}

// targets reads the live records the followed lookups of recs point to: one query per target module.
func (s *Service) targets(ctx context.Context, orgID crmd.ID, recs []*crmd.Record, follow []Follow) (map[crmd.ID]map[crmd.ID]*crmd.Record, error) {
	if len(follow) == 0 {
		return nil, nil
	}
	want := map[crmd.ID]map[crmd.ID]bool{}
	for _, r := range recs {
		if len(r.Data) == 0 {
			continue
		}
		var data map[string]json.RawMessage
		if err := json.Unmarshal(r.Data, &data); err != nil {
			return nil, err
		}
		for _, f := range follow {
			var ref struct{ ID string }
			if raw, ok := data[f.Field.APIName]; !ok || json.Unmarshal(raw, &ref) != nil {
				continue
			}
			if id, ok := crmd.ParseID(ref.ID); ok {
				if want[f.Target.ID] == nil {
					want[f.Target.ID] = map[crmd.ID]bool{}
				}
				want[f.Target.ID][id] = true
			}
		}
	}
	out := make(map[crmd.ID]map[crmd.ID]*crmd.Record, len(want))
	for mod, set := range want {
		ids := make([]crmd.ID, 0, len(set))
		for id := range set {
			ids = append(ids, id)
		}
		found, err := s.st.RecordsByID(ctx, nil, orgID, mod, ids)
		if err != nil {
			return nil, err
		}
		live := make(map[crmd.ID]*crmd.Record, len(found))
		for id, r := range found {
			if r.DeletedTime == 0 {
				live[id] = r
			}
		}
		out[mod] = live
	}
	return out, nil
}
