package views

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/criteria"
	"github.com/crmd/crmd/store"
)

// Outcome is the result for one item of a multi-item call (see crmd.Outcome).
type Outcome = crmd.Outcome

// Success messages.
const (
	MsgCreated = "custom view created successfully"
	MsgUpdated = "custom view updated successfully"
	MsgDeleted = "custom view deleted successfully"
)

// ErrInvalidPathID is the answer for a view id in the path (/settings/custom_views/{id}) that is
// malformed or names no view of the module the caller may see: segment 2 after /crm/{version}/.
func ErrInvalidPathID() *crmd.Error {
	return crmd.E("INVALID_DATA", crmd.MsgInvalidID, crmd.D{"resource_path_index": 2})
}

func failed(e *crmd.Error) Outcome { return Outcome{Err: e} }

func itemPath(i int, key string) string {
	if key == "" {
		return fmt.Sprintf("$.custom_views[%d]", i)
	}
	return fmt.Sprintf("$.custom_views[%d].%s", i, key)
}

func invalidKey(i int, key string, extra crmd.D) *crmd.Error {
	d := crmd.D{"api_name": key, "json_path": itemPath(i, key)}
	for k, v := range extra {
		d[k] = v
	}
	return crmd.E("INVALID_DATA", crmd.MsgInvalidData, d)
}

func mandatoryKey(i int, key string) *crmd.Error {
	return crmd.E("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, crmd.D{"api_name": key, "json_path": itemPath(i, key)})
}

func invalidItemID(i int) *crmd.Error {
	return crmd.E("INVALID_DATA", crmd.MsgInvalidID, crmd.D{"api_name": "id", "json_path": itemPath(i, "id")})
}

func duplicateName(i int) *crmd.Error {
	return crmd.E("DUPLICATE_DATA", "duplicate data", crmd.D{"api_name": "name", "json_path": itemPath(i, "name")})
}

func notAllowed(id crmd.ID, verb string) *crmd.Error {
	return crmd.E("NOT_ALLOWED", "system defined custom views cannot be "+verb, crmd.D{"id": id})
}

func noPermission(id crmd.ID) *crmd.Error {
	return crmd.E("NO_PERMISSION", crmd.MsgPermissionDenied, crmd.D{"id": id})
}

// items checks the custom_views key of a write body, like the records API checks data: missing, null
// or empty is MANDATORY_NOT_FOUND, another JSON type INVALID_DATA, more than limit entries
// LIMIT_EXCEEDED.
func items(body map[string]any, limit int) ([]any, *crmd.Error) {
	raw, present := body["custom_views"]
	if !present || raw == nil {
		return nil, crmd.E("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, crmd.D{"api_name": "custom_views", "expected_data_type": "jsonarray"})
	}
	arr, ok := raw.([]any)
	if !ok {
		return nil, crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"api_name": "custom_views", "json_path": "$.custom_views", "expected_data_type": "jsonarray"})
	}
	if len(arr) == 0 {
		return nil, crmd.E("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, crmd.D{"api_name": "custom_views", "expected_data_type": "jsonarray"})
	}
	if len(arr) > limit {
		return nil, crmd.E("LIMIT_EXCEEDED", "limit exceeded", crmd.D{"limit": limit, "api_name": "custom_views", "json_path": "$.custom_views"})
	}
	return arr, nil
}

// fieldName reads a field reference given as an api name or {"api_name": …}.
func fieldName(raw any) (string, bool) {
	switch x := raw.(type) {
	case string:
		return x, true
	case map[string]any:
		s, ok := x["api_name"].(string)
		return s, ok
	}
	return "", false
}

// apply validates the keys present in obj (item i of the body) and writes them onto v: on create every
// view starts from the defaults, on update only the keys given change. Absent keys are left alone; null
// clears criteria, fields, sort_by and sort_order.
//
// parsed receives the criteria tree when criteria were given, so that the caller can index its fields.
func apply(m *crmd.Module, v *crmd.View, obj map[string]any, i int, create bool, parsed **criteria.Node) *crmd.Error {
	// name
	rawName, present := obj["name"]
	if create && (!present || rawName == nil) || !create && present && rawName == nil {
		return mandatoryKey(i, "name")
	}
	if present {
		s, ok := rawName.(string)
		if !ok {
			return invalidKey(i, "name", crmd.D{"expected_data_type": "string"})
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return mandatoryKey(i, "name")
		}
		if utf8.RuneCountInString(s) > MaxNameLength {
			return invalidKey(i, "name", crmd.D{"maximum_length": MaxNameLength})
		}
		if strings.IndexFunc(s, unicode.IsControl) >= 0 || !utf8.ValidString(s) {
			return invalidKey(i, "name", nil)
		}
		v.Name, v.DisplayValue = s, s
	}

	// criteria: a single leaf or a group, validated by package criteria; stored normalised.
	if raw, present := obj["criteria"]; present {
		if raw == nil {
			v.Criteria = nil
		} else {
			n, err := criteria.ParseAt(raw, m, itemPath(i, "criteria"))
			if err != nil {
				if ce, ok := crmd.AsError(err); ok {
					return ce
				}
				return invalidKey(i, "criteria", nil)
			}
			b, err := json.Marshal(n.Render(80))
			if err != nil {
				return invalidKey(i, "criteria", nil)
			}
			v.Criteria = b
			*parsed = n
		}
	}

	// fields
	if raw, present := obj["fields"]; present {
		v.Fields = nil
		if raw != nil {
			arr, ok := raw.([]any)
			if !ok {
				return invalidKey(i, "fields", crmd.D{"expected_data_type": "jsonarray"})
			}
			seen := map[string]bool{}
			for j, e := range arr {
				name, ok := fieldName(e)
				f := m.Field(name)
				if !ok || f == nil {
					return crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"api_name": "fields", "json_path": fmt.Sprintf("%s[%d]", itemPath(i, "fields"), j)})
				}
				if !seen[f.APIName] {
					seen[f.APIName] = true
					v.Fields = append(v.Fields, f.APIName)
				}
			}
		}
	}

	// sort_by and sort_order
	if raw, present := obj["sort_by"]; present {
		v.SortBy = ""
		if raw != nil {
			name, ok := fieldName(raw)
			f := m.Field(name)
			if ok && name == "" {
				// "" clears the sort, like null.
			} else if !ok || f == nil {
				return invalidKey(i, "sort_by", nil)
			} else {
				v.SortBy = f.APIName
			}
		}
	}
	if raw, present := obj["sort_order"]; present {
		v.SortOrder = ""
		if raw != nil {
			s, _ := raw.(string)
			switch strings.ToLower(s) {
			case "asc", "desc":
				v.SortOrder = strings.ToLower(s)
			default:
				return invalidKey(i, "sort_order", crmd.D{"supported_values": []string{"asc", "desc"}})
			}
		}
	}

	// access_type
	if raw, present := obj["access_type"]; present && raw != nil {
		s, _ := raw.(string)
		switch strings.ToLower(s) {
		case AccessPublic, AccessOnlyToMe:
			v.AccessType = strings.ToLower(s)
		default:
			return invalidKey(i, "access_type", crmd.D{"supported_values": []string{AccessPublic, AccessOnlyToMe}})
		}
	}
	return nil
}

// Create answers POST /settings/custom_views?module=: body {"custom_views":[{name, criteria?, fields?,
// sort_by?, sort_order?, access_type?}, … ≤200]}. Every item is validated on its own; the valid ones are
// added together, each with the caller as creator. A name taken in the module (by an existing view, a
// system view or an earlier item) is DUPLICATE_DATA. Errors of the body as a whole (missing, too many
// items) are returned as the error.
func (s *Service) Create(ctx context.Context, c *crmd.Caller, m *crmd.Module, body map[string]any) ([]Outcome, error) {
	arr, berr := items(body, MaxPerCall)
	if berr != nil {
		return nil, berr
	}
	if err := s.EnsureSystemViews(ctx, c.Org.ID, m); err != nil {
		return nil, err
	}
	outs := make([]Outcome, len(arr))
	var todo []*crmd.View
	var idx []int
	now := s.st.NowMS()
	for i, raw := range arr {
		obj, ok := raw.(map[string]any)
		if !ok {
			outs[i] = failed(crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"json_path": itemPath(i, ""), "expected_data_type": "jsonobject"}))
			continue
		}
		v := &crmd.View{
			OrgID: c.Org.ID, ModuleID: m.ID, AccessType: AccessOnlyToMe,
			CreatedBy: c.User.ID, ModifiedBy: c.User.ID, CreatedTime: now, ModifiedTime: now,
		}
		var node *criteria.Node
		if err := apply(m, v, obj, i, true, &node); err != nil {
			outs[i] = failed(err)
			continue
		}
		if systemNameTaken(m, v.Name) {
			outs[i] = failed(duplicateName(i))
			continue
		}
		if err := s.indexCriteria(ctx, node); err != nil {
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
			outs[i] = failed(duplicateName(i))
			continue
		}
		outs[i] = Outcome{Message: MsgCreated, Details: map[string]any{"id": v.ID}}
	}
	return outs, nil
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

// Update answers PUT /settings/custom_views?module= (pathID "", each item naming its view in "id") and
// PUT /settings/custom_views/{id}?module= (pathID set; one item, whose "id", if given, must be the path's).
// Only the keys given change. A malformed or unknown path id is ErrInvalidPathID, returned as the error;
// everything about an item is that item's outcome.
func (s *Service) Update(ctx context.Context, c *crmd.Caller, m *crmd.Module, pathID string, body map[string]any) ([]Outcome, error) {
	var target *crmd.View
	if pathID != "" {
		id, ok := crmd.ParseID(pathID)
		if !ok {
			return nil, ErrInvalidPathID()
		}
		v, err := s.Lookup(ctx, c, m, id)
		if errors.Is(err, ErrUnknownView) {
			return nil, ErrInvalidPathID()
		}
		if err != nil {
			return nil, err
		}
		target = v
	}
	limit := MaxPerCall
	if target != nil {
		limit = 1
	}
	arr, berr := items(body, limit)
	if berr != nil {
		return nil, berr
	}
	outs := make([]Outcome, len(arr))
	for i, raw := range arr {
		o, err := s.updateOne(ctx, c, m, target, raw, i)
		if err != nil {
			return nil, err
		}
		outs[i] = o
	}
	return outs, nil
}

func (s *Service) updateOne(ctx context.Context, c *crmd.Caller, m *crmd.Module, target *crmd.View, raw any, i int) (Outcome, error) {
	obj, ok := raw.(map[string]any)
	if !ok {
		return failed(crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"json_path": itemPath(i, ""), "expected_data_type": "jsonobject"})), nil
	}
	v := target
	rawID, hasID := obj["id"]
	if hasID && rawID != nil {
		str, _ := rawID.(string)
		if n, isNum := rawID.(json.Number); isNum {
			str = n.String()
		}
		id, ok := crmd.ParseID(str)
		if !ok || target != nil && id != target.ID {
			return failed(invalidItemID(i)), nil
		}
		if target == nil {
			found, err := s.Lookup(ctx, c, m, id)
			if errors.Is(err, ErrUnknownView) {
				return failed(invalidItemID(i)), nil
			}
			if err != nil {
				return Outcome{}, err
			}
			v = found
		}
	} else if target == nil {
		return failed(mandatoryKey(i, "id")), nil
	}
	if err := mayChange(c, v, "modified"); err != nil {
		return failed(err), nil
	}
	next := *v
	next.Fields = append([]string(nil), v.Fields...)
	var node *criteria.Node
	if err := apply(m, &next, obj, i, false, &node); err != nil {
		return failed(err), nil
	}
	if systemNameTaken(m, next.Name) {
		return failed(duplicateName(i)), nil
	}
	if err := s.indexCriteria(ctx, node); err != nil {
		return Outcome{}, err
	}
	// next, the item applied to the view as Lookup read it, was for validation and indexing (which may
	// write, so it runs outside the transaction). The write applies the item again, to the view as the
	// transaction reads it with its row locked, so that a racing update of other keys keeps them.
	// apply's checks depend only on the item and the module, so it cannot fail there.
	modifiedBy, modifiedAt := c.User.ID, s.st.NowMS()
	err := s.st.PatchView(ctx, c.Org.ID, m.ID, v.ID, func(cur *crmd.View) error {
		var ignored *criteria.Node
		if e := apply(m, cur, obj, i, false, &ignored); e != nil {
			return e
		}
		cur.ModifiedBy, cur.ModifiedTime = modifiedBy, modifiedAt
		return nil
	})
	var itemErr *crmd.Error
	switch {
	case errors.Is(err, store.ErrDuplicate):
		return failed(duplicateName(i)), nil
	case errors.Is(err, store.ErrNotFound):
		return failed(invalidItemID(i)), nil
	case errors.As(err, &itemErr):
		return failed(itemErr), nil
	case err != nil:
		return Outcome{}, err
	}
	return Outcome{Message: MsgUpdated, Details: map[string]any{"id": v.ID}}, nil
}

// Delete answers DELETE /settings/custom_views/{id}?module=: the view is removed for good. A malformed
// or unknown id is ErrInvalidPathID, a system view NOT_ALLOWED, someone else's view (for a user who is
// not an administrator) NO_PERMISSION, all returned as the error.
func (s *Service) Delete(ctx context.Context, c *crmd.Caller, m *crmd.Module, rawID string) (Outcome, error) {
	id, ok := crmd.ParseID(rawID)
	if !ok {
		return Outcome{}, ErrInvalidPathID()
	}
	v, err := s.Lookup(ctx, c, m, id)
	if errors.Is(err, ErrUnknownView) {
		return Outcome{}, ErrInvalidPathID()
	}
	if err != nil {
		return Outcome{}, err
	}
	if e := mayChange(c, v, "deleted"); e != nil {
		return Outcome{}, e
	}
	if err := s.st.DeleteView(ctx, c.Org.ID, m.ID, v.ID); errors.Is(err, store.ErrNotFound) {
		return Outcome{}, ErrInvalidPathID()
	} else if err != nil {
		return Outcome{}, err
	}
	return Outcome{Message: MsgDeleted, Details: map[string]any{"id": v.ID}}, nil
}
