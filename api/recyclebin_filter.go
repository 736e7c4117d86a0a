package api

// The Recycle Bin API's filters (docs/recycle-bin.md#filters) are Zoho's criteria shape over the four
// recycle-bin fields, read here into a recyclebin.Filter, which the store compiles. The records criteria
// package does not fit: it compiles a module's own fields, while these are columns of the bin across
// modules. The grammar:
//
//	leaf:  {"field": {"api_name": F} | F, "comparator": C, "value": V}
//	group: {"group_operator": "and" | "or" (any case), "group": [2..25 members]}, nested ≤ 10 deep, ≤ 50 leaves
//
//	F = display_name   C ∈ equal not_equal in not_in contains not_contains starts_with ends_with
//	                   V a non-empty string (an array of them for in/not_in); ASCII case is ignored
//	F = module         C ∈ equal not_equal in not_in
//	                   V a module api name (any case), {"api_name": …} or {"id": …}, or an array of them
//	F = deleted_by     C ∈ equal not_equal in not_in
//	                   V a user id (string or number) or {"id": …}, or an array of them
//	F = deleted_time   C ∈ equal not_equal less_than less_equal greater_than greater_equal between not_between
//	                   V an RFC 3339 datetime ([low, high] for between); a value stands for its whole second
//
// Negated comparators are the exact negation of their positive form. Errors are INVALID_DATA (bad
// field, comparator, value or operator, with supported_values where there is a list),
// MANDATORY_NOT_FOUND (a missing key) or LIMIT_EXCEEDED, each with api_name and json_path, plus
// param_name "filters" when the filter came in the query string.

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/recyclebin"
)

// Limits on a filter tree.
const (
	binMaxGroupMembers = 25
	binMaxDepth        = 10
	binMaxLeaves       = 50
	binMaxListValues   = 200
)

// binFilterFields are the fields a filter may test, in the order errors list them.
var binFilterFields = []string{"display_name", "module", "deleted_by", "deleted_time"}

// binComparators are the comparators each field takes, in the order errors list them.
var binComparators = map[string][]string{
	"display_name": {"equal", "not_equal", "in", "not_in", "contains", "not_contains", "starts_with", "ends_with"},
	"module":       {"equal", "not_equal", "in", "not_in"},
	"deleted_by":   {"equal", "not_equal", "in", "not_in"},
	"deleted_time": {"equal", "not_equal", "less_than", "less_equal", "greater_than", "greater_equal", "between", "not_between"},
}

// binNegations maps each negated comparator to its positive form.
var binNegations = map[string]string{"not_equal": "equal", "not_in": "in", "not_contains": "contains", "not_between": "between"}

// binGroupOps maps Zoho's group operators (any case) to a Filter's.
var binGroupOps = map[string]string{"and": recyclebin.And, "or": recyclebin.Or}

// binFilterParser turns a decoded filter into a recyclebin.Filter.
type binFilterParser struct {
	mods   []*crmd.Module
	param  bool // the filter came in the query string: errors also name the parameter
	leaves int
}

// parseBinFilter reads raw (a decoded JSON object) rooted at path ("$.filters" in a body, "$" in the
// query string) against the org's modules.
func parseBinFilter(raw any, mods []*crmd.Module, path string, param bool) (*recyclebin.Filter, error) {
	p := &binFilterParser{mods: mods, param: param}
	return p.node(raw, path, 1)
}

// parseBinFilterParam reads the URL-encoded JSON of a filters query parameter.
func parseBinFilterParam(raw string, mods []*crmd.Module) (*recyclebin.Filter, error) {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"param_name": "filters"})
	}
	return parseBinFilter(v, mods, "$", true)
}

func (p *binFilterParser) err(code, msg string, d crmd.D) *crmd.Error {
	if p.param {
		d["param_name"] = "filters"
	}
	return crmd.E(code, msg, d)
}

func (p *binFilterParser) invalid(apiName, path string) *crmd.Error {
	return p.err("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"api_name": apiName, "json_path": path})
}

func (p *binFilterParser) mandatory(apiName, path string) *crmd.Error {
	return p.err("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, crmd.D{"api_name": apiName, "json_path": path})
}

func (p *binFilterParser) limit(n int, apiName, path string) *crmd.Error {
	return p.err("LIMIT_EXCEEDED", "limit exceeded", crmd.D{"limit": n, "api_name": apiName, "json_path": path})
}

func (p *binFilterParser) node(raw any, path string, depth int) (*recyclebin.Filter, error) {
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, p.err("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"api_name": "filters", "json_path": path, "expected_data_type": "jsonobject"})
	}
	_, hasGroup := obj["group"]
	_, hasOp := obj["group_operator"]
	if hasGroup || hasOp {
		return p.group(obj, path, depth)
	}
	return p.leaf(obj, path)
}

func (p *binFilterParser) group(obj map[string]any, path string, depth int) (*recyclebin.Filter, error) {
	if depth > binMaxDepth {
		return nil, p.limit(binMaxDepth, "group", path)
	}
	rawOp, ok := obj["group_operator"]
	if !ok || rawOp == nil {
		return nil, p.mandatory("group_operator", path+".group_operator")
	}
	name, _ := rawOp.(string)
	op, ok := binGroupOps[strings.ToLower(name)]
	if !ok {
		e := p.invalid("group_operator", path+".group_operator")
		e.Details["supported_values"] = []string{"AND", "OR"}
		return nil, e
	}
	rawMembers, ok := obj["group"]
	if !ok || rawMembers == nil {
		return nil, p.mandatory("group", path+".group")
	}
	members, ok := rawMembers.([]any)
	if !ok {
		e := p.invalid("group", path+".group")
		e.Details["expected_data_type"] = "jsonarray"
		return nil, e
	}
	if len(members) < 2 {
		e := p.invalid("group", path+".group")
		e.Details["minimum_length"] = 2
		return nil, e
	}
	if len(members) > binMaxGroupMembers {
		return nil, p.limit(binMaxGroupMembers, "group", path+".group")
	}
	g := &recyclebin.Filter{Group: op}
	for i, m := range members {
		f, err := p.node(m, path+".group["+strconv.Itoa(i)+"]", depth+1)
		if err != nil {
			return nil, err
		}
		g.Members = append(g.Members, f)
	}
	return g, nil
}

func (p *binFilterParser) leaf(obj map[string]any, path string) (*recyclebin.Filter, error) {
	p.leaves++
	if p.leaves > binMaxLeaves {
		return nil, p.limit(binMaxLeaves, "filters", path)
	}
	rawField, ok := obj["field"]
	if !ok || rawField == nil {
		return nil, p.mandatory("field", path+".field")
	}
	field, _ := rawField.(string)
	if m, ok := rawField.(map[string]any); ok {
		field, _ = m["api_name"].(string)
	}
	if binComparators[field] == nil {
		e := p.invalid("field", path+".field")
		e.Details["supported_values"] = binFilterFields
		return nil, e
	}
	rawCmp, ok := obj["comparator"]
	if !ok || rawCmp == nil {
		return nil, p.mandatory("comparator", path+".comparator")
	}
	cmp, _ := rawCmp.(string)
	cmp = strings.ToLower(cmp)
	allowed := false
	for _, c := range binComparators[field] {
		allowed = allowed || c == cmp
	}
	if !allowed {
		e := p.invalid("comparator", path+".comparator")
		e.Details["supported_values"] = binComparators[field]
		return nil, e
	}
	value, ok := obj["value"]
	if !ok || value == nil {
		return nil, p.mandatory("value", path+".value")
	}
	pos, neg := cmp, false
	if pc, ok := binNegations[cmp]; ok {
		pos, neg = pc, true
	}
	f := &recyclebin.Filter{Not: neg}
	var err error
	switch field {
	case "display_name":
		f.Field = recyclebin.FieldDisplayName
		err = p.displayName(f, pos, value, path+".value")
	case "module":
		f.Field = recyclebin.FieldModule
		f.IDs, err = p.ids("module", pos, value, path+".value", p.moduleID)
	case "deleted_by":
		f.Field = recyclebin.FieldDeletedBy
		f.IDs, err = p.ids("deleted_by", pos, value, path+".value", binID)
	case "deleted_time":
		f.Field = recyclebin.FieldDeletedTime
		err = p.deletedTime(f, pos, value, path+".value")
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

// list returns value as a list when the comparator takes one (in; equal also takes an array, meaning
// in), else as one element.
func (p *binFilterParser) list(cmp string, value any, apiName, path string) ([]any, error) {
	arr, isArr := value.([]any)
	switch {
	case cmp == "in" && !isArr:
		e := p.invalid(apiName, path)
		e.Details["expected_data_type"] = "jsonarray"
		return nil, e
	case isArr && cmp != "in" && cmp != "equal":
		return nil, p.invalid(apiName, path)
	case !isArr:
		return []any{value}, nil
	case len(arr) == 0:
		return nil, p.invalid(apiName, path)
	case len(arr) > binMaxListValues:
		return nil, p.limit(binMaxListValues, apiName, path)
	}
	return arr, nil
}

func (p *binFilterParser) displayName(f *recyclebin.Filter, cmp string, value any, path string) error {
	vals, err := p.list(cmp, value, "display_name", path)
	if err != nil {
		return err
	}
	for _, v := range vals {
		s, ok := v.(string)
		// NUL cannot be a PostgreSQL text parameter (it failed there with a 500) and no name holds one.
		if !ok || s == "" || len(s) > 2000 || strings.ContainsRune(s, 0) {
			e := p.invalid("display_name", path)
			e.Details["expected_data_type"] = "string"
			return e
		}
		f.Values = append(f.Values, s)
	}
	f.Match = recyclebin.MatchEqual
	switch cmp {
	case "contains":
		f.Match = recyclebin.MatchContains
	case "starts_with":
		f.Match = recyclebin.MatchStartsWith
	case "ends_with":
		f.Match = recyclebin.MatchEndsWith
	}
	return nil
}

// ids reads the ids resolve finds in value; apiName is the filter field errors name.
func (p *binFilterParser) ids(apiName, cmp string, value any, path string, resolve func(any) (crmd.ID, bool)) ([]crmd.ID, error) {
	vals, err := p.list(cmp, value, apiName, path)
	if err != nil {
		return nil, err
	}
	out := make([]crmd.ID, 0, len(vals))
	for _, v := range vals {
		id, ok := resolve(v)
		if !ok {
			return nil, p.invalid(apiName, path)
		}
		out = append(out, id)
	}
	return out, nil
}

// moduleID resolves a module given by api name (any case), {"api_name"} or {"id"} among the org's
// api-supported modules.
func (p *binFilterParser) moduleID(v any) (crmd.ID, bool) {
	name, _ := v.(string)
	var id crmd.ID
	if obj, ok := v.(map[string]any); ok {
		name, _ = obj["api_name"].(string)
		if name == "" {
			id, _ = binID(obj)
		}
	}
	for _, m := range p.mods {
		if !m.APISupported {
			continue
		}
		if (name != "" && strings.EqualFold(m.APIName, name)) || (id != 0 && m.ID == id) {
			return m.ID, true
		}
	}
	return 0, false
}

// binID reads an id given as a string, a JSON number or {"id": …}.
func binID(v any) (crmd.ID, bool) {
	switch x := v.(type) {
	case string:
		return crmd.ParseID(x)
	case json.Number:
		return crmd.ParseID(x.String())
	case map[string]any:
		if inner, ok := x["id"]; ok {
			if _, nested := inner.(map[string]any); !nested {
				return binID(inner)
			}
		}
	}
	return 0, false
}

// deletedTime bounds deleted_time (Unix ms) by the second(s) value names: a value stands for its whole
// second.
func (p *binFilterParser) deletedTime(f *recyclebin.Filter, cmp string, value any, path string) error {
	bad := func() error {
		e := p.invalid("deleted_time", path)
		e.Details["expected_data_type"] = "datetime"
		return e
	}
	second := func(v any) (lo, hi int64, ok bool) {
		s, _ := v.(string)
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return 0, 0, false
		}
		lo = t.Truncate(time.Second).UnixMilli()
		return lo, lo + 1000, true
	}
	if cmp == "between" {
		arr, ok := value.([]any)
		if !ok || len(arr) != 2 {
			return bad()
		}
		lo, _, ok1 := second(arr[0])
		_, hi, ok2 := second(arr[1])
		if !ok1 || !ok2 {
			return bad()
		}
		f.From, f.To = &lo, &hi
		return nil
	}
	lo, hi, ok := second(value)
	if !ok {
		return bad()
	}
	switch cmp {
	case "equal":
		f.From, f.To = &lo, &hi
	case "less_than":
		f.To = &lo
	case "less_equal":
		f.To = &hi
	case "greater_than":
		f.From = &hi
	case "greater_equal":
		f.From = &lo
	}
	return nil
}
