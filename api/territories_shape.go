package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/territories"
)

// Zoho's shapes of the territories API: the territory object (docs/territories.md#territory-object),
// the list and path parameters, and the write bodies.

// terrRef is Zoho's {"name","id"} reference to a user or a territory.
type terrRef struct {
	Name string  `json:"name"`
	ID   crmd.ID `json:"id"`
}

// terrItem is a territory as Zoho's JSON shows it, keys in the order of Zoho's sample. The rule
// criteria are always null: crmd runs no territory assignment rules.
type terrItem struct {
	ID             crmd.ID  `json:"id"`
	Name           string   `json:"name"`
	APIName        string   `json:"api_name"`
	Description    *string  `json:"description"`
	PermissionType string   `json:"permission_type"`
	Manager        *terrRef `json:"manager"`
	ReportingTo    *terrRef `json:"reporting_to"`
	// ParentID is v2's name for the parent territory: the Territory class of @zohocrm/nodejs-sdk-2.0
	// 6.1.0 reads parent_id (a String) and has no reporting_to, while @zohocrm/typescript-sdk-2.1 1.1.0
	// and later read reporting_to only. Shown in v2 alone, null for the root territory.
	ParentID            *parentID `json:"parent_id,omitempty"`
	AccountRuleCriteria any       `json:"account_rule_criteria"`
	DealRuleCriteria    any       `json:"deal_rule_criteria"`
	LeadRuleCriteria    any       `json:"lead_rule_criteria"`
	CreatedBy           *terrRef  `json:"created_by"`
	CreatedTime         string    `json:"created_time"`
	ModifiedBy          *terrRef  `json:"modified_by"`
	ModifiedTime        string    `json:"modified_time"`
}

// parentID is a territory's parent in v2: its id, or JSON null for the root, which has none.
type parentID struct{ id crmd.ID }

func (p *parentID) MarshalJSON() ([]byte, error) {
	if p.id == 0 {
		return []byte("null"), nil
	}
	return p.id.MarshalJSON()
}

// terrUserRef references the user id (null for 0); a user the org no longer has keeps its id with an
// empty name.
func terrUserRef(users map[crmd.ID]*crmd.User, id crmd.ID) *terrRef {
	if id == 0 {
		return nil
	}
	r := &terrRef{ID: id}
	if u := users[id]; u != nil {
		r.Name = u.FullName()
	}
	return r
}

// territoryItems shapes territories as Zoho's JSON, their times in the org's time zone.
func (s *Server) territoryItems(ctx context.Context, rc *reqCtx, ts []*crmd.Territory) ([]terrItem, error) {
	n, err := s.svc.Territories.Names(ctx, rc.caller, ts)
	if err != nil {
		return nil, err
	}
	loc := rc.caller.Org.Location()
	out := make([]terrItem, len(ts))
	for i, t := range ts {
		it := terrItem{
			ID: t.ID, Name: t.Name, APIName: t.APIName, Description: t.Description, PermissionType: t.PermissionType,
			Manager: terrUserRef(n.Users, t.ManagerID), CreatedBy: terrUserRef(n.Users, t.CreatedBy), ModifiedBy: terrUserRef(n.Users, t.ModifiedBy),
			CreatedTime: crmd.FormatTime(t.CreatedTime, loc), ModifiedTime: crmd.FormatTime(t.ModifiedTime, loc),
		}
		if rc.version <= 20 {
			it.ParentID = &parentID{id: t.ReportingTo}
		}
		if t.ReportingTo != 0 {
			it.ReportingTo = &terrRef{ID: t.ReportingTo}
			if p := n.Territories[t.ReportingTo]; p != nil {
				it.ReportingTo.Name = p.Name
			}
		}
		out[i] = it
	}
	return out, nil
}

// writeTerritoryPage answers one page of a territory list: 204 when it is empty, else the territories
// beside Zoho's info object.
func (s *Server) writeTerritoryPage(w http.ResponseWriter, r *http.Request, rc *reqCtx, p *territories.Page, pg territories.Paging) error {
	if len(p.Territories) == 0 {
		writeNoContent(w)
		return nil
	}
	items, err := s.territoryItems(r.Context(), rc, p.Territories)
	if err != nil {
		return err
	}
	writeList(w, "territories", items, map[string]any{"per_page": pg.PerPage, "count": len(items), "page": pg.Page, "more_records": p.More})
	return nil
}

// terrPaging reads page and per_page (at most territories.MaxPerPage, the default).
func terrPaging(q url.Values) (territories.Paging, error) {
	page, perPage, err := pageParams(q, territories.MaxPerPage)
	if err != nil {
		return territories.Paging{}, err
	}
	return territories.Paging{Page: page, PerPage: perPage}, nil
}

// terrListIDs reads the optional ids parameter of GET /settings/territories: a comma list of at most
// territories.MaxIDs distinct ids (nil when absent).
func terrListIDs(q url.Values) ([]crmd.ID, error) {
	v, ok := queryParam(q, "ids")
	if !ok {
		return nil, nil
	}
	ids, good := splitIDs(v)
	if !good {
		return nil, crmd.ErrInvalidParam("ids")
	}
	if len(ids) > territories.MaxIDs {
		return nil, crmd.E("LIMIT_EXCEEDED", "limit exceeded", crmd.D{"limit": territories.MaxIDs, "param_name": "ids"})
	}
	return ids, nil
}

// terrErrInvalidPathID is the answer for a territory id in the path (segment 2 after /crm/{version}/)
// that is malformed or names no territory of the caller's org.
func terrErrInvalidPathID() *crmd.Error {
	return crmd.E("INVALID_DATA", crmd.MsgInvalidID, crmd.D{"resource_path_index": 2})
}

// terrPathTerritory resolves the {id} of a /settings/territories/{id}… path to a territory of the
// caller's org.
func (s *Server) terrPathTerritory(ctx context.Context, rc *reqCtx) (*crmd.Territory, error) {
	id, ok := crmd.ParseID(rc.param("id"))
	if !ok {
		return nil, terrErrInvalidPathID()
	}
	t, err := s.svc.Territories.Get(ctx, rc.caller, id)
	if err == nil && t == nil {
		return nil, terrErrInvalidPathID()
	}
	return t, err
}

// Zoho's success messages for territory writes (from its OpenAPI examples; clients match on them).
const (
	terrMsgCreated     = "Territory Created Successfully"
	terrMsgUpdated     = "Territory Updated Successfully"
	terrMsgDeleted     = "Given Territory Removed Successfully"
	terrMsgTransferred = "Territory Transferred And Deleted Successfully"
	terrMsgAssigned    = "the territories data updated successfully"
	terrMsgRemoved     = "the territories are removed successfully"
)

// terrRuleKeys are the rule criteria a territory may carry in Zoho; crmd accepts them only as null.
var terrRuleKeys = []string{"account_rule_criteria", "deal_rule_criteria", "lead_rule_criteria"}

// terrItemsArray checks the array under key of a write body: missing, null or empty is
// MANDATORY_NOT_FOUND, not an array INVALID_DATA, more than limit entries LIMIT_EXCEEDED — as records
// do for `data`.
func terrItemsArray(body map[string]any, key string, limit int) ([]any, error) {
	raw, ok := body[key]
	if !ok || raw == nil {
		return nil, crmd.E("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, crmd.D{"api_name": key, "expected_data_type": "jsonarray"})
	}
	arr, ok := raw.([]any)
	if !ok {
		return nil, crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"api_name": key, "json_path": "$." + key, "expected_data_type": "jsonarray"})
	}
	if len(arr) == 0 {
		return nil, crmd.E("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, crmd.D{"api_name": key, "expected_data_type": "jsonarray"})
	}
	if len(arr) > limit {
		return nil, crmd.E("LIMIT_EXCEEDED", "limit exceeded", crmd.D{"limit": limit, "api_name": key, "json_path": "$." + key})
	}
	return arr, nil
}

// terrDecode decodes each element of a write's array with decode: the items that decoded, in order,
// and per element the error of one that did not (nil for the others), for terrMerge.
func terrDecode[I any](arr []any, decode func(raw any, i int) (I, *crmd.Error)) ([]I, []*crmd.Error) {
	var items []I
	failed := make([]*crmd.Error, len(arr))
	for i, raw := range arr {
		it, e := decode(raw, i)
		if e != nil {
			failed[i] = e
			continue
		}
		items = append(items, it)
	}
	return items, failed
}

// terrMerge puts a service's results for the items that decoded (rs, in their order) back among the
// errors of those that did not, so that the answer follows the request's order.
func terrMerge[T any](failed []*crmd.Error, rs []crmd.Result[T]) []crmd.Result[T] {
	out := make([]crmd.Result[T], len(failed))
	next := 0
	for i, e := range failed {
		if e != nil {
			out[i] = crmd.Failed[T](e)
			continue
		}
		out[i] = rs[next]
		next++
	}
	return out
}

// terrWritten is the success entry of a territory written: message, details {"id"}.
func terrWritten(message string) func(*crmd.Territory) (string, map[string]any) {
	return func(t *crmd.Territory) (string, map[string]any) { return message, map[string]any{"id": t.ID} }
}

// terrDone is the success entry of an item done to id: message, details {"id"}.
func terrDone(message string) func(crmd.ID) (string, map[string]any) {
	return func(id crmd.ID) (string, map[string]any) { return message, map[string]any{"id": id} }
}

// terrIDValue reads an id given as a JSON string of digits or a JSON number.
func terrIDValue(v any) (crmd.ID, bool) {
	switch x := v.(type) {
	case string:
		return crmd.ParseID(strings.TrimSpace(x))
	case json.Number:
		return crmd.ParseID(x.String())
	}
	return 0, false
}

// terrFieldErr builds an error about one key of one item, with its api_name and json_path.
func terrFieldErr(code, message, apiName, path string, extra crmd.D) *crmd.Error {
	d := crmd.D{"api_name": apiName, "json_path": path}
	for k, v := range extra {
		d[k] = v
	}
	return crmd.E(code, message, d)
}

// terrObject is element i of the array under key as a JSON object, else INVALID_DATA.
func terrObject(raw any, key string, i int) (map[string]any, *crmd.Error) {
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, terrFieldErr("INVALID_DATA", crmd.MsgInvalidData, key, fmt.Sprintf("$.%s[%d]", key, i), crmd.D{"expected_data_type": "jsonobject"})
	}
	return obj, nil
}

// terrItemPath is the json_path of key in item i of a write's territories array.
func terrItemPath(i int, key string) string { return fmt.Sprintf("$.territories[%d].%s", i, key) }

// terrItemID is the territory an update or transfer_and_delete item is about: target when the path
// named it, else the item's "id" (missing is MANDATORY_NOT_FOUND, malformed INVALID_DATA with message
// bad).
func terrItemID(obj map[string]any, i int, target crmd.ID, bad string) (crmd.ID, *crmd.Error) {
	if target != 0 {
		return target, nil
	}
	v, given := obj["id"]
	if !given || v == nil {
		return 0, terrFieldErr("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, "id", terrItemPath(i, "id"), nil)
	}
	id, ok := terrIDValue(v)
	if !ok {
		return 0, terrFieldErr("INVALID_DATA", bad, "id", terrItemPath(i, "id"), nil)
	}
	return id, nil
}

// terrDecodeDraft decodes item i of a create: name, permission_type and reporting_to are mandatory.
func terrDecodeDraft(raw any, i int, users map[crmd.ID]*crmd.User) (territories.Draft, *crmd.Error) {
	obj, e := terrObject(raw, "territories", i)
	if e != nil {
		return territories.Draft{}, e
	}
	ed, e := terrDecodeKeys(obj, i, true, users)
	if e != nil {
		return territories.Draft{}, e
	}
	return territories.Draft{Pos: i, Name: ed.Name.To, Description: ed.Description.To, PermissionType: ed.PermissionType.To,
		Manager: ed.Manager.To, ReportingTo: ed.ReportingTo.To}, nil
}

// terrDecodeEdit decodes item i of an update about target (0: the item names its territory in "id").
func terrDecodeEdit(raw any, i int, target crmd.ID, users map[crmd.ID]*crmd.User) (territories.Edit, *crmd.Error) {
	obj, e := terrObject(raw, "territories", i)
	if e != nil {
		return territories.Edit{}, e
	}
	id, e := terrItemID(obj, i, target, crmd.MsgInvalidID)
	if e != nil {
		return territories.Edit{}, e
	}
	ed, e := terrDecodeKeys(obj, i, false, users)
	ed.ID = id
	return ed, e
}

// terrDecodeKeys checks the keys of create or update item i on their own, in a fixed order so that
// the first error is deterministic, as Zoho checks an item before it looks anything up: their types,
// a name that is not blank, the lengths, the permission types, a manager among the org's users, null
// rule criteria. Unknown and read-only keys (id, api_name, created_by, …) are ignored.
func terrDecodeKeys(obj map[string]any, i int, create bool, users map[crmd.ID]*crmd.User) (territories.Edit, *crmd.Error) {
	ed := territories.Edit{Pos: i}
	mandatory := func(key string, extra crmd.D) *crmd.Error {
		return terrFieldErr("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, key, terrItemPath(i, key), extra)
	}
	invalid := func(message, key string, extra crmd.D) *crmd.Error {
		return terrFieldErr("INVALID_DATA", message, key, terrItemPath(i, key), extra)
	}
	if v, given := obj["name"]; given || create {
		if v == nil {
			return ed, mandatory("name", nil)
		}
		str, ok := v.(string)
		if !ok {
			return ed, invalid(crmd.MsgInvalidData, "name", crmd.D{"expected_data_type": "string"})
		}
		str = strings.TrimSpace(str)
		if str == "" {
			return ed, mandatory("name", nil)
		}
		if utf8.RuneCountInString(str) > territories.MaxNameLength {
			return ed, invalid(crmd.MsgInvalidData, "name", crmd.D{"maximum_length": territories.MaxNameLength})
		}
		ed.Name = territories.Change[string]{Set: true, To: str}
	}
	if v, given := obj["permission_type"]; given || create {
		if v == nil {
			return ed, mandatory("permission_type", crmd.D{"supported_values": territories.PermissionTypes})
		}
		str, _ := v.(string)
		if !slices.Contains(territories.PermissionTypes, str) {
			return ed, invalid(territories.MsgInvalidPermType, "permission_type", crmd.D{"supported_values": territories.PermissionTypes})
		}
		ed.PermissionType = territories.Change[string]{Set: true, To: str}
	}
	if v, given := obj["reporting_to"]; given || create {
		ed.ReportingTo.Set = true
		switch x := v.(type) {
		case nil:
			if create {
				return ed, mandatory("reporting_to", nil)
			}
		case map[string]any:
			id, ok := terrIDValue(x["id"])
			if !ok {
				return ed, invalid(crmd.MsgInvalidID, "reporting_to", nil)
			}
			ed.ReportingTo.To = id
		default:
			return ed, invalid(crmd.MsgInvalidData, "reporting_to", crmd.D{"expected_data_type": "jsonobject"})
		}
	}
	if v, given := obj["manager"]; given {
		ed.Manager.Set = true
		switch x := v.(type) {
		case nil:
		case map[string]any:
			id, ok := terrIDValue(x["id"])
			if !ok || users[id] == nil {
				return ed, invalid(crmd.MsgInvalidID, "manager", nil)
			}
			ed.Manager.To = id
		default:
			return ed, invalid(crmd.MsgInvalidData, "manager", crmd.D{"expected_data_type": "jsonobject"})
		}
	}
	if v, given := obj["description"]; given {
		ed.Description.Set = true
		switch x := v.(type) {
		case nil:
		case string:
			if utf8.RuneCountInString(x) > territories.MaxDescriptionLength {
				return ed, invalid(crmd.MsgInvalidData, "description", crmd.D{"maximum_length": territories.MaxDescriptionLength})
			}
			if x != "" {
				ed.Description.To = &x
			}
		default:
			return ed, invalid(crmd.MsgInvalidData, "description", crmd.D{"expected_data_type": "string"})
		}
	}
	for _, k := range terrRuleKeys {
		if v, given := obj[k]; given && v != nil {
			return ed, terrFieldErr("NOT_SUPPORTED", territories.MsgRulesUnsupported, k, terrItemPath(i, k), nil)
		}
	}
	return ed, nil
}

// terrDecodeTransfer decodes item i of a transfer_and_delete about target (0: the item names its
// territory in "id"): {"id","transfer_to_id","delete_previous_forecasts"}, the last a boolean crmd
// ignores (it keeps no forecasts).
func terrDecodeTransfer(raw any, i int, target crmd.ID) (territories.Transfer, *crmd.Error) {
	obj, e := terrObject(raw, "territories", i)
	if e != nil {
		return territories.Transfer{}, e
	}
	it := territories.Transfer{Pos: i}
	if it.ID, e = terrItemID(obj, i, target, territories.MsgBadTerritoryID); e != nil {
		return it, e
	}
	if v := obj["transfer_to_id"]; v != nil {
		var ok bool
		if it.To, ok = terrIDValue(v); !ok {
			return it, terrFieldErr("INVALID_DATA", territories.MsgBadTransferTo, "transfer_to_id", terrItemPath(i, "transfer_to_id"), nil)
		}
	}
	if v := obj["delete_previous_forecasts"]; v != nil {
		if _, ok := v.(bool); !ok {
			return it, terrFieldErr("INVALID_DATA", crmd.MsgInvalidData, "delete_previous_forecasts", terrItemPath(i, "delete_previous_forecasts"),
				crmd.D{"expected_data_type": "boolean"})
		}
	}
	return it, nil
}

// terrDecodeAssignment decodes entry i of an assign or remove body about record target (0: the entry
// names its record in "id"): {"id","Territories":[{"id"},…]}, an array of 1..MaxPerRecord objects
// with distinct valid ids.
func terrDecodeAssignment(raw any, i int, target crmd.ID) (territories.Assignment, *crmd.Error) {
	path := func(rest string) string { return fmt.Sprintf("$.data[%d]%s", i, rest) }
	obj, e := terrObject(raw, "data", i)
	if e != nil {
		return territories.Assignment{}, e
	}
	a := territories.Assignment{Pos: i, Record: target}
	if a.Record == 0 {
		v, given := obj["id"]
		if !given || v == nil {
			return a, terrFieldErr("MANDATORY_NOT_FOUND", territories.MsgIDMissing, "id", path(".id"), nil)
		}
		var ok bool
		if a.Record, ok = terrIDValue(v); !ok {
			return a, terrFieldErr("INVALID_DATA", crmd.MsgInvalidID, "id", path(".id"), nil)
		}
	}
	raw, given := obj["Territories"]
	if !given || raw == nil {
		return a, terrFieldErr("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, "Territories", path(".Territories"), nil)
	}
	list, ok := raw.([]any)
	if !ok {
		return a, terrFieldErr("INVALID_DATA", crmd.MsgInvalidData, "Territories", path(".Territories"), crmd.D{"expected_data_type": "jsonarray"})
	}
	if len(list) == 0 {
		return a, terrFieldErr("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, "Territories", path(".Territories"), nil)
	}
	if len(list) > territories.MaxPerRecord {
		return a, terrFieldErr("LIMIT_EXCEEDED", territories.MsgTooManyForRecord, "Territories", path(".Territories"), crmd.D{"limit": territories.MaxPerRecord})
	}
	first := map[crmd.ID]int{}
	for j, it := range list {
		at := path(fmt.Sprintf(".Territories[%d]", j))
		tobj, ok := it.(map[string]any)
		if !ok {
			return a, terrFieldErr("INVALID_DATA", crmd.MsgInvalidData, "Territories", at, crmd.D{"expected_data_type": "jsonobject"})
		}
		v, given := tobj["id"]
		if !given || v == nil {
			return a, terrFieldErr("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, "id", at+".id", nil)
		}
		tid, ok := terrIDValue(v)
		if !ok {
			return a, terrFieldErr("INVALID_DATA", crmd.MsgInvalidID, "id", at+".id", nil)
		}
		if k, seen := first[tid]; seen {
			return a, terrFieldErr("ALREADY_USED", territories.MsgRepeatedTerritory, "id", at+".id",
				crmd.D{"exists_in": map[string]any{"json_path": path(fmt.Sprintf(".Territories[%d].id", k))}})
		}
		first[tid] = j
		a.Territories = append(a.Territories, tid)
	}
	return a, nil
}
