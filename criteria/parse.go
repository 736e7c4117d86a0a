package criteria

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/crmd/crmd"
)

// Parse validates a criteria object against module m and returns its tree. raw is JSON decoded with
// json.Decoder.UseNumber (map[string]any, []any, json.Number, string, bool, nil); float64 and int
// numbers are tolerated too. Errors are *crmd.Error with Zoho's codes and json_path details rooted at
// "$.criteria"; use ParseAt for another root.
func Parse(raw any, m *crmd.Module) (*Node, error) { return ParseAt(raw, m, "$.criteria") }

// ParseAt is Parse with the json_path of the criteria object given, e.g. "$.custom_views[0].criteria", so
// that errors point into the caller's request body.
func ParseAt(raw any, m *crmd.Module, path string) (*Node, error) {
	p := &parser{m: m, root: path}
	n, err := p.node(raw, path, 1, "criteria")
	if err != nil {
		return nil, err
	}
	return n, nil
}

// parser carries the module and the running totals the whole-tree limits are checked against.
type parser struct {
	m      *crmd.Module
	root   string
	leaves int
	values int
}

// Error constructors. Each returns a fresh *crmd.Error so that callers may add details.

func invalid(d crmd.D) *crmd.Error { return crmd.E("INVALID_DATA", crmd.MsgInvalidData, d) }

func mandatory(apiName, path string) *crmd.Error {
	return crmd.E("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, crmd.D{"api_name": apiName, "json_path": path})
}

func limitExceeded(limit int, apiName, path string) *crmd.Error {
	return crmd.E("LIMIT_EXCEEDED", "limit exceeded", crmd.D{"limit": limit, "api_name": apiName, "json_path": path})
}

// node parses a group or a leaf. apiName names the object in a type error: "criteria" at the top, "group"
// for a group's members.
func (p *parser) node(raw any, path string, depth int, apiName string) (*Node, error) {
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, invalid(crmd.D{"api_name": apiName, "json_path": path, "expected_data_type": "jsonobject"})
	}
	_, hasGroup := obj["group"]
	_, hasOp := obj["group_operator"]
	if hasGroup || hasOp {
		return p.group(obj, path, depth)
	}
	return p.leaf(obj, path)
}

func (p *parser) group(obj map[string]any, path string, depth int) (*Node, error) {
	if depth > MaxDepth {
		return nil, limitExceeded(MaxDepth, "group", path)
	}
	opPath := path + ".group_operator"
	opRaw := obj["group_operator"]
	if opRaw == nil {
		return nil, mandatory("group_operator", opPath)
	}
	s, _ := opRaw.(string)
	op := strings.ToLower(s)
	if op != "and" && op != "or" {
		return nil, invalid(crmd.D{"api_name": "group_operator", "json_path": opPath, "supported_values": []string{"AND", "OR"}})
	}
	gPath := path + ".group"
	gRaw := obj["group"]
	if gRaw == nil {
		e := mandatory("group", gPath)
		e.Details["expected_data_type"] = "jsonarray"
		return nil, e
	}
	members, ok := gRaw.([]any)
	if !ok {
		return nil, invalid(crmd.D{"api_name": "group", "json_path": gPath, "expected_data_type": "jsonarray"})
	}
	if len(members) > MaxGroupMembers {
		return nil, limitExceeded(MaxGroupMembers, "group", gPath)
	}
	if len(members) < MinGroupMembers {
		// Too few is not a limit being exceeded; Zoho has no dedicated code, so it is invalid data with
		// the bound named the way maximum_length is for strings.
		return nil, invalid(crmd.D{"api_name": "group", "json_path": gPath, "minimum_length": MinGroupMembers})
	}
	n := &Node{Op: op, Members: make([]*Node, len(members))}
	for i, mr := range members {
		m, err := p.node(mr, gPath+"["+strconv.Itoa(i)+"]", depth+1, "group")
		if err != nil {
			return nil, err
		}
		n.Members[i] = m
	}
	return n, nil
}

func (p *parser) leaf(obj map[string]any, path string) (*Node, error) {
	p.leaves++
	if p.leaves > MaxLeaves {
		return nil, limitExceeded(MaxLeaves, "criteria", p.root)
	}
	f, err := p.field(obj["field"], path+".field")
	if err != nil {
		return nil, err
	}
	k := kindOf(f)

	cPath := path + ".comparator"
	cRaw := obj["comparator"]
	if cRaw == nil {
		return nil, mandatory("comparator", cPath)
	}
	cs, _ := cRaw.(string)
	c := strings.ToLower(cs)
	if !allows(k, c) {
		return nil, invalid(crmd.D{"api_name": "comparator", "json_path": cPath,
			"supported_values": append([]string(nil), comparators[k]...)})
	}

	// v8's "type" says where the value comes from; only literal and predefined values are served.
	if t, present := obj["type"]; present && t != nil {
		if s, _ := t.(string); s != "value" && s != "pre_defined" {
			return nil, invalid(crmd.D{"api_name": "type", "json_path": path + ".type",
				"supported_values": []string{"value", "pre_defined"}})
		}
	}

	vPath := path + ".value"
	vRaw := obj["value"]
	if vRaw == nil {
		return nil, mandatory("value", vPath)
	}
	v, err := p.value(f, k, c, vRaw, vPath)
	if err != nil {
		return nil, err
	}
	return &Node{Field: f, Comparator: c, Value: v, Raw: vRaw}, nil
}

// field resolves a field reference: an api name (v2) or {"api_name", "id"} (v2.1+), either accepted in
// every version. When both api_name and id are given the name wins, because ids differ between orgs and a
// criteria copied from another org should still work.
func (p *parser) field(raw any, path string) (*crmd.Field, error) {
	var name string
	switch x := raw.(type) {
	case nil:
		return nil, mandatory("field", path)
	case string:
		name = x
	case map[string]any:
		switch a := x["api_name"].(type) {
		case string:
			name = a
		case nil:
			id, ok := idString(x["id"])
			if !ok {
				return nil, mandatory("api_name", path+".api_name")
			}
			for _, f := range p.m.Fields {
				if f.ID != 0 && f.ID.String() == id && supported(f) {
					return f, nil
				}
			}
			return nil, invalid(crmd.D{"id": id, "json_path": path})
		default:
			return nil, invalid(crmd.D{"api_name": "api_name", "json_path": path + ".api_name", "expected_data_type": "string"})
		}
	default:
		return nil, invalid(crmd.D{"api_name": "field", "json_path": path, "expected_data_type": "jsonobject"})
	}
	f := p.m.Field(name)
	if f == nil || !supported(f) {
		return nil, invalid(crmd.D{"api_name": name, "json_path": path})
	}
	return f, nil
}

// supported reports whether criteria may name f: its type must be one criteria know, and its name must be
// safe to splice into SQL.
func supported(f *crmd.Field) bool { return kindOf(f) != kNone && safeName(f.APIName) }

// idString reads an id given as a string or a JSON number, returning its digits.
func idString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, x != ""
	case json.Number:
		return string(x), true
	case float64:
		if x == math.Trunc(x) && x > 0 && x < 1<<53 {
			return strconv.FormatInt(int64(x), 10), true
		}
	case int64:
		return strconv.FormatInt(x, 10), true
	case int:
		return strconv.Itoa(x), true
	}
	return "", false
}

// listable reports whether a kind takes lists (in, not_in, and equal/not_equal with an array).
func listable(k kind) bool {
	return k == kText || k == kPicklist || k == kMulti || k == kNumber || k == kLookup
}

// value checks and normalises a leaf's value for field f and comparator c.
func (p *parser) value(f *crmd.Field, k kind, c string, raw any, path string) (any, error) {
	bad := func(path, expected string) error {
		return invalid(crmd.D{"api_name": f.APIName, "json_path": path, "expected_data_type": expected})
	}
	if s, ok := raw.(string); ok {
		if kw, ok := emptyKeyword(s); ok {
			if c != Equal && c != NotEqual {
				return nil, bad(path, f.DataType)
			}
			return kw, p.count(1)
		}
		// An empty string is how many clients say "no value"; for string-valued fields equal "" is read as
		// ${EMPTY} rather than rejected.
		if s == "" && (c == Equal || c == NotEqual) && (k == kText || k == kPicklist || k == kMulti) {
			return KeywordEmpty, p.count(1)
		}
	}
	switch c {
	case Equal, NotEqual, In, NotIn:
		arr, isList := raw.([]any)
		if c == In || c == NotIn {
			if !isList {
				return nil, bad(path, "jsonarray")
			}
		} else if !isList {
			if err := p.count(1); err != nil {
				return nil, err
			}
			return p.scalar(f, k, raw, path, true)
		} else if !listable(k) {
			return nil, bad(path, f.DataType)
		}
		if len(arr) == 0 {
			return nil, bad(path, "jsonarray")
		}
		if len(arr) > MaxListValues {
			return nil, limitExceeded(MaxListValues, f.APIName, path)
		}
		if err := p.count(len(arr)); err != nil {
			return nil, err
		}
		out := make([]any, len(arr))
		for i, e := range arr {
			v, err := p.scalar(f, k, e, path+"["+strconv.Itoa(i)+"]", false)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case Between, NotBetween:
		arr, ok := raw.([]any)
		if !ok || len(arr) != 2 {
			return nil, bad(path, "jsonarray")
		}
		if err := p.count(2); err != nil {
			return nil, err
		}
		lo, err := p.scalar(f, k, arr[0], path+"[0]", true)
		if err != nil {
			return nil, err
		}
		hi, err := p.scalar(f, k, arr[1], path+"[1]", true)
		if err != nil {
			return nil, err
		}
		return []any{lo, hi}, nil
	}
	if err := p.count(1); err != nil {
		return nil, err
	}
	return p.scalar(f, k, raw, path, true)
}

// count adds n values to the tree's total.
func (p *parser) count(n int) error {
	p.values += n
	if p.values > MaxTotalValues {
		return limitExceeded(MaxTotalValues, "criteria", p.root)
	}
	return nil
}

// scalar checks one value of field f. keywords allows date keywords (they are ranges, so not list members).
func (p *parser) scalar(f *crmd.Field, k kind, raw any, path string, keywords bool) (any, error) {
	bad := invalid(crmd.D{"api_name": f.APIName, "json_path": path, "expected_data_type": f.DataType})
	switch k {
	case kText, kPicklist, kMulti:
		s, ok := raw.(string)
		if !ok || s == "" || strings.IndexByte(s, 0) >= 0 {
			// NUL cannot be stored in PostgreSQL text or jsonb, and SQLite's string functions stop at it.
			return nil, bad
		}
		if utf8.RuneCountInString(s) > MaxValueLength {
			return nil, invalid(crmd.D{"api_name": f.APIName, "json_path": path, "maximum_length": MaxValueLength})
		}
		return s, nil
	case kNumber:
		v, ok := parseNumber(raw, integral(f))
		if !ok {
			return nil, bad
		}
		return v, nil
	case kBool:
		b, ok := raw.(bool)
		if !ok {
			return nil, bad
		}
		return b, nil
	case kDate, kDatetime:
		s, ok := raw.(string)
		if !ok {
			return nil, bad
		}
		if kw, ok := parseDateKeyword(s); ok {
			if !keywords {
				return nil, bad
			}
			return kw, nil
		}
		if len(s) == len(dateLayout) {
			t, err := time.Parse(dateLayout, s)
			if err != nil {
				return nil, bad
			}
			return dateOf(t), nil
		}
		if k == kDate {
			return nil, bad
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return nil, bad
		}
		// Stored datetimes have whole seconds, so a criterion names a whole second.
		return t.UTC().Truncate(time.Second), nil
	case kLookup:
		v, ok := lookupValue(f, raw)
		if !ok {
			return nil, bad
		}
		return v, nil
	}
	return nil, bad
}

// emptyKeyword recognises ${EMPTY} and ${NOTEMPTY}, case-insensitively.
func emptyKeyword(s string) (Keyword, bool) {
	switch {
	case strings.EqualFold(s, string(KeywordEmpty)):
		return KeywordEmpty, true
	case strings.EqualFold(s, string(KeywordNotEmpty)):
		return KeywordNotEmpty, true
	}
	return "", false
}

// isCurrentUser recognises ${CURRENTUSER}, case-insensitively.
func isCurrentUser(s string) bool { return strings.EqualFold(s, string(KeywordCurrentUser)) }

// lookupValue reads a lookup criterion: {"id":"…"}, an id string or number, or ${CURRENTUSER} (bare or as
// {"name":…} / {"id":…}) for owner and user lookups.
func lookupValue(f *crmd.Field, raw any) (any, bool) {
	if m, ok := raw.(map[string]any); ok {
		if id, present := m["id"]; present && id != nil {
			return lookupScalar(f, id)
		}
		if name, ok := m["name"].(string); ok && isCurrentUser(name) && userRef(f) {
			return KeywordCurrentUser, true
		}
		return nil, false
	}
	return lookupScalar(f, raw)
}

func lookupScalar(f *crmd.Field, raw any) (any, bool) {
	if s, ok := raw.(string); ok && isCurrentUser(s) {
		if userRef(f) {
			return KeywordCurrentUser, true
		}
		return nil, false
	}
	s, ok := idString(raw)
	if !ok {
		return nil, false
	}
	id, ok := crmd.ParseID(s)
	if !ok {
		return nil, false
	}
	return id, true
}

// parseNumber reads a number criterion: a JSON number or a string in JSON number syntax. Whole numbers that
// fit come back as int64 (so that comparisons with stored integers are exact), others as float64. For
// integral fields a value with a fraction is refused.
func parseNumber(raw any, intOnly bool) (any, bool) {
	var s string
	switch x := raw.(type) {
	case json.Number:
		s = string(x)
	case string:
		s = x
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, false
		}
		if x == math.Trunc(x) && math.Abs(x) <= 1<<53 {
			return int64(x), true
		}
		if intOnly {
			return nil, false
		}
		return x, true
	case int64:
		return x, true
	case int:
		return int64(x), true
	default:
		return nil, false
	}
	if !jsonNumber(s) {
		return nil, false
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, true
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(x, 0) {
		return nil, false
	}
	if intOnly {
		if x != math.Trunc(x) || math.Abs(x) >= 1<<63 {
			return nil, false
		}
		return int64(x), true
	}
	return x, true
}

// jsonNumber reports whether s has JSON number syntax. strconv alone would also take "Inf", "0x1p3" and
// "1_0", which are no numbers to a Zoho client.
func jsonNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// Date keywords without and with an n.
var (
	plainKeywords = map[string]bool{
		"TODAY": true, "YESTERDAY": true, "TOMORROW": true,
		"THISWEEK": true, "LASTWEEK": true, "NEXTWEEK": true,
		"THISMONTH": true, "LASTMONTH": true, "NEXTMONTH": true,
		"THISQUARTER": true, "LASTQUARTER": true, "NEXTQUARTER": true,
		"THISYEAR": true, "LASTYEAR": true, "NEXTYEAR": true,
	}
	nKeywords = map[string]bool{
		"LAST_N_DAYS": true, "NEXT_N_DAYS": true, "LAST_N_WEEKS": true, "NEXT_N_WEEKS": true,
		"LAST_N_MONTHS": true, "NEXT_N_MONTHS": true, "LAST_N_YEARS": true, "NEXT_N_YEARS": true,
	}
)

// parseDateKeyword recognises ${TODAY}-style and ${LAST_N_DAYS:n}-style keywords, case-insensitively;
// n is 1..MaxKeywordN in plain decimal digits.
func parseDateKeyword(s string) (DateKeyword, bool) {
	if len(s) < 4 || !strings.HasPrefix(s, "${") || !strings.HasSuffix(s, "}") {
		return DateKeyword{}, false
	}
	body := strings.ToUpper(s[2 : len(s)-1])
	name, arg, hasArg := strings.Cut(body, ":")
	if !hasArg {
		return DateKeyword{Name: name}, plainKeywords[name]
	}
	if !nKeywords[name] || arg == "" || len(arg) > 4 {
		return DateKeyword{}, false
	}
	n := 0
	for i := 0; i < len(arg); i++ {
		if arg[i] < '0' || arg[i] > '9' {
			return DateKeyword{}, false
		}
		n = n*10 + int(arg[i]-'0')
	}
	if n < 1 || n > MaxKeywordN {
		return DateKeyword{}, false
	}
	return DateKeyword{Name: name, N: n}, true
}
