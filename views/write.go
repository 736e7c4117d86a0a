package views

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

func notAllowed(id crmd.ID, verb string) *crmd.Error {
	return crmd.E("NOT_ALLOWED", "system defined custom views cannot be "+verb, crmd.D{"id": id})
}

func noPermission(id crmd.ID) *crmd.Error {
	return crmd.E("NO_PERMISSION", crmd.MsgPermissionDenied, crmd.D{"id": id})
}

// apply checks the keys the item gives, in their order, and writes them onto v: on create v holds
// the defaults, on update the view as it is. Absent keys are left alone; null clears criteria,
// fields, sort_by and sort_order. Its checks depend only on the item, so applying it twice answers
// the same.
func (in *Input) apply(v *crmd.View, create bool) *crmd.Error {
	// name
	if create && !in.Name.Given || in.Name.Null {
		return in.mandatory("name")
	}
	if in.Name.Given {
		if in.Name.Err != nil {
			return in.Name.Err
		}
		s := strings.TrimSpace(in.Name.Value)
		if s == "" {
			return in.mandatory("name")
		}
		if utf8.RuneCountInString(s) > MaxNameLength {
			return in.InvalidKey("name", crmd.D{"maximum_length": MaxNameLength})
		}
		if strings.IndexFunc(s, unicode.IsControl) >= 0 || !utf8.ValidString(s) {
			return in.InvalidKey("name", nil)
		}
		v.Name, v.DisplayValue = s, s
	}

	// criteria, stored normalised: as v8 shows them, the form Define parses back.
	if in.Criteria.Given {
		switch {
		case in.Criteria.Err != nil:
			return in.Criteria.Err
		case in.Criteria.Null:
			v.Criteria = nil
		default:
			b, err := json.Marshal(in.Criteria.Value.Render(80))
			if err != nil {
				return in.InvalidKey("criteria", nil)
			}
			v.Criteria = b
		}
	}

	// fields
	if in.Fields.Given {
		if in.Fields.Err != nil {
			return in.Fields.Err
		}
		v.Fields = nil
		seen := map[string]bool{}
		for _, f := range in.Fields.Value {
			if !seen[f.APIName] {
				seen[f.APIName] = true
				v.Fields = append(v.Fields, f.APIName)
			}
		}
	}

	// sort_by and sort_order
	if in.SortBy.Given {
		if in.SortBy.Err != nil {
			return in.SortBy.Err
		}
		v.SortBy = ""
		if !in.SortBy.Null {
			v.SortBy = in.SortBy.Value.APIName
		}
	}
	if in.SortOrder.Given {
		v.SortOrder = ""
		if !in.SortOrder.Null {
			switch s := strings.ToLower(in.SortOrder.Value); s {
			case "asc", "desc":
				v.SortOrder = s
			default:
				return in.InvalidKey("sort_order", crmd.D{"supported_values": []string{"asc", "desc"}})
			}
		}
	}

	// access_type
	if in.AccessType.Given && !in.AccessType.Null {
		switch s := strings.ToLower(in.AccessType.Value); s {
		case AccessPublic, AccessOnlyToMe:
			v.AccessType = s
		default:
			return in.InvalidKey("access_type", crmd.D{"supported_values": []string{AccessPublic, AccessOnlyToMe}})
		}
	}
	return nil
}

// Create adds views to module m, each with the caller as creator: the results are in input order,
// each the created view or the item's error. Every item is checked on its own (see Input); a name
// taken in the module (by an existing view, a system view or an earlier item, case-insensitively) is
// DUPLICATE_DATA. The valid items are added together.
func (s *Service) Create(ctx context.Context, c *crmd.Caller, m *crmd.Module, in []Input) ([]crmd.Result[*crmd.View], error) {
	if err := s.EnsureSystemViews(ctx, c.Org.ID, m); err != nil {
		return nil, err
	}
	res := make([]crmd.Result[*crmd.View], len(in))
	var todo []*crmd.View
	var idx []int
	now := s.st.NowMS()
	for i := range in {
		item := &in[i]
		if item.Err != nil {
			res[i] = crmd.Failed[*crmd.View](item.Err)
			continue
		}
		v := &crmd.View{
			OrgID: c.Org.ID, ModuleID: m.ID, AccessType: AccessOnlyToMe,
			CreatedBy: c.User.ID, ModifiedBy: c.User.ID, CreatedTime: now, ModifiedTime: now,
		}
		if err := item.apply(v, true); err != nil {
			res[i] = crmd.Failed[*crmd.View](err)
			continue
		}
		if systemNameTaken(m, v.Name) {
			res[i] = crmd.Failed[*crmd.View](item.duplicateName())
			continue
		}
		if err := s.IndexCriteria(ctx, c, m, item.Criteria.Value); err != nil {
			return nil, err
		}
		todo = append(todo, v)
		idx = append(idx, i)
	}
	added, err := s.st.CreateViews(ctx, c.Org.ID, todo)
	if err != nil {
		return nil, err
	}
	for k, v := range todo {
		i := idx[k]
		if !added[k] {
			res[i] = crmd.Failed[*crmd.View](in[i].duplicateName())
			continue
		}
		res[i] = crmd.Result[*crmd.View]{Value: v}
	}
	return res, nil
}

// mayChange checks that the caller may change or delete a view: never a system view, and only their
// own unless they are an administrator.
func mayChange(c *crmd.Caller, v *crmd.View, verb string) *crmd.Error {
	if v.IsSystem() {
		return notAllowed(v.ID, verb)
	}
	if v.CreatedBy != c.User.ID && !c.User.Profile.IsAdmin() {
		return noPermission(v.ID)
	}
	return nil
}

// Update changes views of module m, each item naming its view in ID: the results are in input order,
// each the view as written or the item's error. Only the keys given change. An id that names no view
// of the module the caller may see is the item's InvalidID; a system view is NOT_ALLOWED {"id"}, and
// someone else's view, for a caller who is not an administrator, NO_PERMISSION {"id"}.
func (s *Service) Update(ctx context.Context, c *crmd.Caller, m *crmd.Module, in []Input) ([]crmd.Result[*crmd.View], error) {
	res := make([]crmd.Result[*crmd.View], len(in))
	for i := range in {
		r, err := s.updateOne(ctx, c, m, &in[i])
		if err != nil {
			return nil, err
		}
		res[i] = r
	}
	return res, nil
}

func (s *Service) updateOne(ctx context.Context, c *crmd.Caller, m *crmd.Module, in *Input) (crmd.Result[*crmd.View], error) {
	fail := crmd.Failed[*crmd.View]
	switch {
	case in.Err != nil:
		return fail(in.Err), nil
	case in.ID.Err != nil:
		return fail(in.ID.Err), nil
	case !in.ID.Given || in.ID.Null:
		return fail(in.mandatory("id")), nil
	}
	v, err := s.Lookup(ctx, c, m, in.ID.Value)
	if errors.Is(err, ErrUnknownView) {
		return fail(in.InvalidID()), nil
	}
	if err != nil {
		return crmd.Result[*crmd.View]{}, err
	}
	if err := mayChange(c, v, "modified"); err != nil {
		return fail(err), nil
	}
	next := *v
	next.Fields = append([]string(nil), v.Fields...)
	if err := in.apply(&next, false); err != nil {
		return fail(err), nil
	}
	if systemNameTaken(m, next.Name) {
		return fail(in.duplicateName()), nil
	}
	if err := s.IndexCriteria(ctx, c, m, in.Criteria.Value); err != nil {
		return crmd.Result[*crmd.View]{}, err
	}
	// next, the item applied to the view as Lookup read it, was for validation and indexing (which may
	// write, so it runs outside the transaction). The write applies the item again, to the view as the
	// transaction reads it with its row locked, so that a racing update of other keys keeps them.
	// apply's checks depend only on the item, so it cannot fail there.
	modifiedBy, modifiedAt := c.User.ID, s.st.NowMS()
	var written *crmd.View
	err = s.st.PatchView(ctx, c.Org.ID, m.ID, v.ID, func(cur *crmd.View) error {
		if e := in.apply(cur, false); e != nil {
			return e
		}
		cur.ModifiedBy, cur.ModifiedTime = modifiedBy, modifiedAt
		written = cur
		return nil
	})
	var itemErr *crmd.Error
	switch {
	case errors.Is(err, store.ErrDuplicate):
		return fail(in.duplicateName()), nil
	case errors.Is(err, store.ErrNotFound):
		return fail(in.InvalidID()), nil
	case errors.As(err, &itemErr):
		return fail(itemErr), nil
	case err != nil:
		return crmd.Result[*crmd.View]{}, err
	}
	return crmd.Result[*crmd.View]{Value: written}, nil
}

// Delete removes a view of module m for good. An id that names no view of the module the caller may
// see is ErrUnknownView; a system view is NOT_ALLOWED {"id"}, and someone else's view, for a caller
// who is not an administrator, NO_PERMISSION {"id"}.
func (s *Service) Delete(ctx context.Context, c *crmd.Caller, m *crmd.Module, id crmd.ID) error {
	v, err := s.Lookup(ctx, c, m, id)
	if err != nil {
		return err
	}
	if e := mayChange(c, v, "deleted"); e != nil {
		return e
	}
	if err := s.st.DeleteView(ctx, c.Org.ID, m.ID, v.ID); errors.Is(err, store.ErrNotFound) {
		return ErrUnknownView
	} else if err != nil {
		return err
	}
	return nil
}
