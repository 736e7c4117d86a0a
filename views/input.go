package views

import (
	"fmt"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/criteria"
)

// Input is one view of a create or update call, as the HTTP layer decoded it from the request body:
// which keys the item gives and their values as Go types. Only the keys given are applied: on create
// the others keep their defaults, on update the view's current values.
//
// A key whose value could not be decoded (a name that is not a string, a field the module does not
// have, criteria that do not parse …) carries the error to answer in its Key.Err instead of failing
// the item where it was found. An item's answer is its first fault in a fixed order — on update the
// view's id and the caller's right to change the view, then name, criteria, fields, sort_by,
// sort_order and access_type — and some of those checks are the service's, so only the service can
// tell which fault comes first.
type Input struct {
	// Pos is the item's index in the request's custom_views array: its errors name
	// $.custom_views[Pos] (see Path).
	Pos int
	// Err, when set, is the whole item's answer: the item is not a view at all (not a JSON object).
	Err *crmd.Error
	// ID names the view to update; create ignores it.
	ID Key[crmd.ID]
	// Name is the name as given; the service trims and checks it. Create requires it, and no update
	// may clear it.
	Name Key[string]
	// Criteria is what the view selects, parsed against the module (criteria.ParseAt at
	// Path("criteria")); null clears it, and the view selects every record.
	Criteria Key[*criteria.Node]
	// Fields are the view's columns, fields of the module, in order; a field given twice is kept once.
	// Null clears them.
	Fields Key[[]*crmd.Field]
	// SortBy is the field the view sorts on; null clears it.
	SortBy Key[*crmd.Field]
	// SortOrder is "asc" or "desc" in any case, checked by the service (a JSON value that is not a
	// string is given as "", which it refuses); null clears it.
	SortOrder Key[string]
	// AccessType is AccessPublic or AccessOnlyToMe in any case, checked by the service like SortOrder;
	// null leaves it as it is (AccessOnlyToMe on create).
	AccessType Key[string]
}

// Key is one key of an Input: absent (the zero Key), null, a value, or a value the HTTP layer could
// not decode, whose error Err is the item's answer when the service comes to the key.
type Key[T any] struct {
	// Given reports whether the item has the key at all (null included).
	Given bool
	Null  bool
	Value T
	Err   *crmd.Error
}

// Set is a Key given with value v.
func Set[T any](v T) Key[T] { return Key[T]{Given: true, Value: v} }

// Null is a Key given as null.
func Null[T any]() Key[T] { return Key[T]{Given: true, Null: true} }

// Fault is a Key whose value could not be decoded; e is the item's answer for it.
func Fault[T any](e *crmd.Error) Key[T] { return Key[T]{Given: true, Err: e} }

// Path is the JSON path of one of the item's keys in the request body, e.g. $.custom_views[3].name,
// or of the item itself when key is "".
func (in *Input) Path(key string) string {
	if key == "" {
		return fmt.Sprintf("$.custom_views[%d]", in.Pos)
	}
	return fmt.Sprintf("$.custom_views[%d].%s", in.Pos, key)
}

// InvalidKey is INVALID_DATA for one of the item's keys: {"api_name":key,"json_path"} and the extra
// details.
func (in *Input) InvalidKey(key string, extra crmd.D) *crmd.Error {
	d := crmd.D{"api_name": key, "json_path": in.Path(key)}
	for k, v := range extra {
		d[k] = v
	}
	return crmd.E("INVALID_DATA", crmd.MsgInvalidData, d)
}

// InvalidID is the item's answer for an id that names no view it may update: malformed, not the
// view of the path (PUT /settings/custom_views/{id}), or naming no view of the module the caller may
// see.
func (in *Input) InvalidID() *crmd.Error {
	return crmd.E("INVALID_DATA", crmd.MsgInvalidID, crmd.D{"api_name": "id", "json_path": in.Path("id")})
}

// mandatory is MANDATORY_NOT_FOUND for one of the item's keys.
func (in *Input) mandatory(key string) *crmd.Error {
	return crmd.E("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, crmd.D{"api_name": key, "json_path": in.Path(key)})
}

// duplicateName is the answer for a name another view of the module has.
func (in *Input) duplicateName() *crmd.Error {
	return crmd.E("DUPLICATE_DATA", "duplicate data", crmd.D{"api_name": "name", "json_path": in.Path("name")})
}
