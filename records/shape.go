package records

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// Meta keys a record carries besides its fields; `fields` may name them.
var metaKeys = []string{"$approved", "$approval_state", "$editable", territoriesKey}

// view is what shaping the records of one request needs: the module, the org's users (loaded once),
// the org's time zone, the selected keys (nil = everything) and, when shown, the records' territories
// (loaded for the whole page at once by loadTerritories).
type view struct {
	m     *crmd.Module
	users map[crmd.ID]*crmd.User
	loc   *time.Location
	sel   []string
	terrs map[crmd.ID][]crmd.RecordTerritory
}

// decodeData parses a record's data document, keeping numbers as json.Number so that big integers
// survive the round trip.
func decodeData(b []byte) (map[string]any, error) {
	out := map[string]any{}
	if len(bytes.TrimSpace(b)) == 0 {
		return out, nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("record data: %w", err)
	}
	if out == nil {
		out = map[string]any{}
	}
	return out, nil
}

// record renders a stored record as Zoho's JSON object: "id", every data field of the module (null
// when never set), the system fields Owner, Created_By, Modified_By ({"name","id","email"}),
// Created_Time and Modified_Time (in the org's time zone), and $approved, $approval_state, $editable.
// With a selection only "id" and the selected keys are kept, as Zoho does for `fields`.
func (v *view) record(rec *crmd.Record) (map[string]any, error) {
	data, err := decodeData(rec.Data)
	if err != nil {
		return nil, err
	}
	full := make(map[string]any, len(v.m.Fields)+4)
	for _, f := range v.m.Fields {
		if f.System {
			continue
		}
		val := data[f.APIName] // nil when never set
		if s, ok := val.(string); ok && f.DataType == crmd.TypeDatetime {
			val = localTime(s, v.loc)
		}
		full[f.APIName] = val
	}
	full["id"] = rec.ID
	full["Owner"] = userRef(v.users, rec.OwnerID, true)
	full["Created_By"] = userRef(v.users, rec.CreatedBy, true)
	full["Modified_By"] = userRef(v.users, rec.ModifiedBy, true)
	full["Created_Time"] = crmd.FormatTime(rec.CreatedTime, v.loc)
	full["Modified_Time"] = crmd.FormatTime(rec.ModifiedTime, v.loc)
	full["$approved"] = rec.Approved()
	full["$approval_state"] = rec.ApprovalState
	full["$editable"] = true
	if v.terrs != nil {
		full[territoriesKey] = v.territories(rec.ID)
	}
	if v.sel == nil {
		return full, nil
	}
	out := make(map[string]any, len(v.sel)+1)
	out["id"] = rec.ID
	for _, k := range v.sel {
		out[k] = full[k]
	}
	return out, nil
}

// writeDetails are the details of an insert or update success entry (docs/records.md#write-answers).
func writeDetails(rec *crmd.Record, users map[crmd.ID]*crmd.User, loc *time.Location) map[string]any {
	return map[string]any{
		"id":              rec.ID,
		"Created_Time":    crmd.FormatTime(rec.CreatedTime, loc),
		"Modified_Time":   crmd.FormatTime(rec.ModifiedTime, loc),
		"Created_By":      userRef(users, rec.CreatedBy, false),
		"Modified_By":     userRef(users, rec.ModifiedBy, false),
		"$approval_state": rec.ApprovalState,
	}
}

// parseFields reads the `fields` parameter: a comma list of api names of the module's fields (the
// system fields included), "id" and the meta keys. More than MaxFields distinct names is
// LIMIT_EXCEEDED, checked before the names themselves; an unknown name is INVALID_DATA naming it, so
// that a typo does not silently come back as a missing key. Names match exactly or, failing that,
// case-insensitively, and come back canonical, de-duplicated, in the order given, without "id" (which
// every record carries anyway).
func parseFields(m *crmd.Module, raw string) ([]string, *crmd.Error) {
	var given []string
	distinct := map[string]bool{}
	for _, p := range strings.Split(raw, ",") {
		p = strings.TrimSpace(p)
		if p == "" || distinct[p] {
			continue
		}
		distinct[p] = true
		given = append(given, p)
	}
	if len(given) > MaxFields {
		return nil, crmd.E("LIMIT_EXCEEDED", "limit exceeded", crmd.D{"limit": MaxFields, "param_name": "fields"})
	}
	known := map[string]string{"id": "id"}
	folded := map[string]string{"id": "id"}
	for _, f := range m.Fields {
		known[f.APIName] = f.APIName
		folded[strings.ToLower(f.APIName)] = f.APIName
	}
	for _, k := range metaKeys {
		known[k] = k
		folded[k] = k
	}
	out := []string{}
	seen := map[string]bool{}
	for _, p := range given {
		name, ok := known[p]
		if !ok {
			name, ok = folded[strings.ToLower(p)]
		}
		if !ok {
			return nil, crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"param_name": "fields", "api_name": p})
		}
		if name == "id" || seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, name)
	}
	return out, nil
}

// fieldsKey is the canonical form of a selection for binding page tokens: sorted, comma-joined.
func fieldsKey(sel []string) string {
	if sel == nil {
		return "*"
	}
	c := append([]string(nil), sel...)
	sort.Strings(c)
	return strings.Join(c, ",")
}

// displayName is the value of the module's display field as text: a string as is, a lookup's name,
// anything else printed; "" when unset.
func displayName(m *crmd.Module, data map[string]any) string {
	v, ok := data[m.DisplayField]
	if !ok || v == nil {
		return ""
	}
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if n, ok := x["name"].(string); ok {
			return n
		}
		return ""
	default:
		return fmt.Sprint(x)
	}
}

// computeFullName sets the read-only Full_Name of modules that have one (Leads, Contacts) to
// "First_Name Last_Name", skipping an empty part.
func computeFullName(m *crmd.Module, data map[string]any) {
	f := m.Field("Full_Name")
	if f == nil || !f.ReadOnly || m.Field("Last_Name") == nil {
		return
	}
	var parts []string
	for _, k := range []string{"First_Name", "Last_Name"} {
		if s, ok := data[k].(string); ok && strings.TrimSpace(s) != "" {
			parts = append(parts, strings.TrimSpace(s))
		}
	}
	if len(parts) == 0 {
		delete(data, "Full_Name")
		return
	}
	data["Full_Name"] = strings.Join(parts, " ")
}

// localTime renders a stored UTC datetime in the org's time zone, the way Zoho shows datetimes.
func localTime(stored string, loc *time.Location) string {
	t, err := time.Parse(time.RFC3339, stored)
	if err != nil {
		return stored
	}
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format(crmd.TimeLayout)
}

// ---- territories ---------------------------------------------------------------------------------

// territoriesKey is the record key listing a record's territories. Every module may carry territories
// (Zoho limits them to Accounts, Contacts, Deals and Leads).
const territoriesKey = "Territories"

// parseTerritoryParams reads territory_id (a territory id; malformed is INVALID_DATA {"param_name":
// "territory_id"}) and include_child (true or false, case-insensitively, default false; anything else is
// INVALID_DATA {"param_name":"include_child"}) of GET /{module}. include_child without territory_id is
// ignored. A territory id of 0 means none.
func parseTerritoryParams(q url.Values) (crmd.ID, bool, *crmd.Error) {
	raw, ok := crmd.QueryParam(q, "territory_id")
	if !ok {
		return 0, false, nil
	}
	id, good := crmd.ParseID(raw)
	if !good {
		return 0, false, crmd.ErrInvalidParam("territory_id")
	}
	sub := false
	if v, ok := crmd.QueryParam(q, "include_child"); ok {
		switch strings.ToLower(v) {
		case "true":
			sub = true
		case "false":
		default:
			return 0, false, crmd.ErrInvalidParam("include_child")
		}
	}
	return id, sub, nil
}

// territoryScope is the record filter of territory_id (with include_child, of its subtree), from the
// territory service. A territory that is not the caller's org's is INVALID_DATA {"param_name":
// "territory_id"}.
func (s *Service) territoryScope(ctx context.Context, c *crmd.Caller, id crmd.ID, subtree bool) (*store.TerritoryScope, error) {
	scope, err := s.terr.Scope(ctx, c.Org.ID, id, subtree)
	if _, unknown := crmd.AsError(err); unknown {
		return nil, crmd.ErrInvalidParam("territory_id")
	}
	return scope, err
}

// loadTerritories loads, with one query for all of recs, the territories of the records when the view
// shows them (no selection, or one naming Territories).
func (s *Service) loadTerritories(ctx context.Context, orgID crmd.ID, v *view, recs []*crmd.Record) error {
	if v.sel != nil && !slices.Contains(v.sel, territoriesKey) {
		return nil
	}
	ids := make([]crmd.ID, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	terrs, err := s.st.RecordTerritories(ctx, nil, orgID, ids)
	if err != nil {
		return err
	}
	v.terrs = terrs
	return nil
}

// territories is a record's Territories value: [] when it has none, else one
// {"id","Name","$assigned":true,"$assigned_by":{"name","id"},"$assigned_time"} per territory, in
// assignment order (the keys of Zoho's SDK record/territory).
func (v *view) territories(id crmd.ID) []map[string]any {
	as := v.terrs[id]
	out := make([]map[string]any, len(as))
	for i, a := range as {
		out[i] = map[string]any{
			"id":             a.TerritoryID,
			"Name":           a.Name,
			"$assigned":      true,
			"$assigned_by":   userRef(v.users, a.AssignedBy, false),
			"$assigned_time": crmd.FormatTime(a.AssignedTime, v.loc),
		}
	}
	return out
}
