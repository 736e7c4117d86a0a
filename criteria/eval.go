package criteria

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/crmd/crmd"
)

// Row is a record as Eval sees it: the system columns and the decoded data document.
type Row struct {
	ID, OwnerID, CreatedBy, ModifiedBy crmd.ID
	CreatedTime, ModifiedTime          int64 // Unix ms
	// Data is records.data decoded with json.Decoder.UseNumber; float64 numbers are tolerated too.
	Data map[string]any
}

// Eval reports whether r satisfies n, with exactly the semantics of the SQL Compile produces for the same
// env (the package's property test holds the two to that). A nil node matches every row.
//
// A tree with RelatedTo leaves needs EvalRelated; Eval panics on one.
func Eval(n *Node, r *Row, env Env) bool {
	return EvalRelated(n, r, env, nil)
}

// Related finds the record a lookup points to: the live record of module with id (the digits stored in
// the lookup) in the org of the rows evaluated, or nil when there is none.
type Related func(module crmd.ID, id string) *Row

// EvalRelated is Eval for trees that may hold RelatedTo leaves, whose targets rel finds: a RelatedTo leaf is
// true when the lookup is set, rel finds its target and the target satisfies the leaf's Sub. It agrees
// with Compile given the same records.
func EvalRelated(n *Node, r *Row, env Env, rel Related) bool {
	if n == nil {
		return true
	}
	return eval(n, r, env.normal(), rel)
}

func eval(n *Node, r *Row, env Env, rel Related) bool {
	if n.IsGroup() {
		and := n.Op != "or"
		for _, m := range n.Members {
			if eval(m, r, env, rel) != and {
				return !and
			}
		}
		return and
	}
	f := n.Field
	k := kindOf(f)
	if n.Comparator == RelatedTo {
		if rel == nil {
			panic("criteria: a related condition needs EvalRelated")
		}
		id, ok := refValueOf(r, f)
		s, isText := id.(string)
		if !ok || !isText {
			return false
		}
		t := rel(n.SubModule, s)
		return t != nil && eval(n.Sub, t, env, nil)
	}
	if kw, ok := n.Value.(Keyword); ok && (kw == KeywordEmpty || kw == KeywordNotEmpty) {
		return isEmpty(f, k, r) == ((kw == KeywordEmpty) == (n.Comparator == Equal))
	}
	pos, neg := positive(n.Comparator)
	return evalPositive(f, k, pos, n.Value, r, env) != neg
}

func isEmpty(f *crmd.Field, k kind, r *Row) bool {
	switch k {
	case kText, kPicklist:
		_, ok := textOf(r, f)
		return !ok
	case kMulti:
		return len(elementsOf(r, f)) == 0
	case kNumber:
		_, ok := numberOf(r, f)
		return !ok
	case kBool:
		_, ok := r.Data[f.APIName].(bool)
		return !ok
	case kDate, kDatetime:
		_, ok := timeOf(r, f)
		return !ok
	case kLookup:
		_, ok := refValueOf(r, f)
		return !ok
	}
	return true
}

func evalPositive(f *crmd.Field, k kind, cmp string, v any, r *Row, env Env) bool {
	list, isList := v.([]any)
	if cmp == Equal && isList {
		cmp = In
	}
	switch k {
	case kText, kPicklist:
		s, ok := textOf(r, f)
		if !ok {
			return false
		}
		s = asciiLower(s)
		switch cmp {
		case Equal:
			return s == asciiLower(v.(string))
		case In:
			for _, e := range list {
				if s == asciiLower(e.(string)) {
					return true
				}
			}
			return false
		case Contains:
			return strings.Contains(s, asciiLower(v.(string)))
		case StartsWith:
			return strings.HasPrefix(s, asciiLower(v.(string)))
		case EndsWith:
			return strings.HasSuffix(s, asciiLower(v.(string)))
		case Like:
			return like(s, asciiLower(v.(string)))
		}
	case kMulti:
		if !isList {
			list = []any{v}
		}
		for _, el := range elementsOf(r, f) {
			el = asciiLower(el)
			for _, e := range list {
				if el == asciiLower(e.(string)) {
					return true
				}
			}
		}
		return false
	case kNumber:
		x, ok := numberOf(r, f)
		if !ok {
			return false
		}
		c := func(e any) int { return cmpNum(x, numOf(e)) }
		switch cmp {
		case Equal:
			return c(v) == 0
		case In:
			for _, e := range list {
				if c(e) == 0 {
					return true
				}
			}
			return false
		case LessThan:
			return c(v) < 0
		case LessEqual:
			return c(v) <= 0
		case GreaterThan:
			return c(v) > 0
		case GreaterEqual:
			return c(v) >= 0
		case Between:
			return c(list[0]) >= 0 && c(list[1]) <= 0
		}
	case kBool:
		b, ok := r.Data[f.APIName].(bool)
		return ok && b == v.(bool)
	case kDate, kDatetime:
		x, ok := timeOf(r, f)
		if !ok {
			return false
		}
		var lo, hi any
		if cmp == Between {
			lo, _ = timeRange(f, list[0], env)
			_, hi = timeRange(f, list[1], env)
		} else {
			lo, hi = timeRange(f, v, env)
		}
		switch cmp {
		case Equal, Between:
			return cmpBound(x, lo) >= 0 && cmpBound(x, hi) < 0
		case LessThan:
			return cmpBound(x, lo) < 0
		case LessEqual:
			return cmpBound(x, hi) < 0
		case GreaterThan:
			return cmpBound(x, hi) >= 0
		case GreaterEqual:
			return cmpBound(x, lo) >= 0
		}
	case kLookup:
		x, ok := refValueOf(r, f)
		if !ok {
			return false
		}
		match := func(e any) bool {
			id := refOf(e, env)
			if s, isText := x.(string); isText {
				return s == id.String()
			}
			return x.(int64) == int64(id)
		}
		if cmp == In {
			for _, e := range list {
				if match(e) {
					return true
				}
			}
			return false
		}
		return match(v)
	}
	return false
}

// textOf is a text or picklist value: a non-empty JSON string.
func textOf(r *Row, f *crmd.Field) (string, bool) {
	s, ok := r.Data[f.APIName].(string)
	return s, ok && s != ""
}

// elementsOf are a multi-select's non-empty string elements.
func elementsOf(r *Row, f *crmd.Field) []string {
	arr, _ := r.Data[f.APIName].([]any)
	var out []string
	for _, e := range arr {
		if s, ok := e.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}

// num is a stored or given number: an exact int64 or a float64, compared exactly with each other as
// SQLite compares INTEGER with REAL.
type num struct {
	isInt bool
	i     int64
	f     float64
}

func numOf(v any) num {
	switch x := v.(type) {
	case int64:
		return num{isInt: true, i: x}
	case float64:
		return num{f: x}
	}
	return num{}
}

// numberOf reads a stored number: a JSON number, or a string of 1–18 digits with an optional minus sign.
func numberOf(r *Row, f *crmd.Field) (num, bool) {
	if columnOf(f) == "id" {
		return num{isInt: true, i: int64(r.ID)}, true
	}
	switch x := r.Data[f.APIName].(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return num{isInt: true, i: i}, true
		}
		fl, err := strconv.ParseFloat(string(x), 64)
		if err != nil && !math.IsInf(fl, 0) {
			return num{}, false
		}
		return num{f: fl}, true
	case float64:
		return num{f: x}, true
	case int64:
		return num{isInt: true, i: x}, true
	case int:
		return num{isInt: true, i: int64(x)}, true
	case string:
		if !digitString(x) {
			return num{}, false
		}
		i, err := strconv.ParseInt(x, 10, 64)
		return num{isInt: true, i: i}, err == nil
	}
	return num{}, false
}

// digitString matches what the SQL accepts as a number stored as text: ^-?[0-9]{1,18}$.
func digitString(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if len(s) == 0 || len(s) > 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// cmpNum compares exactly, including an int64 with a float64.
func cmpNum(a, b num) int {
	switch {
	case a.isInt && b.isInt:
		return cmpOrdered(a.i, b.i)
	case !a.isInt && !b.isInt:
		return cmpOrdered(a.f, b.f)
	case a.isInt:
		return cmpIntFloat(a.i, b.f)
	default:
		return -cmpIntFloat(b.i, a.f)
	}
}

func cmpIntFloat(i int64, f float64) int {
	switch {
	case f >= 1<<63:
		return -1
	case f < -(1 << 63):
		return 1
	}
	t := math.Trunc(f)
	if c := cmpOrdered(i, int64(t)); c != 0 {
		return c
	}
	return cmpOrdered(0, f-t)
}

func cmpOrdered[T int64 | float64 | string](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// timeOf reads a stored date or datetime in the form timeRange bounds take: the string for data fields
// (when it has the stored shape), Unix ms for the time columns.
func timeOf(r *Row, f *crmd.Field) (any, bool) {
	switch columnOf(f) {
	case "created_time":
		return r.CreatedTime, true
	case "modified_time":
		return r.ModifiedTime, true
	}
	s, ok := r.Data[f.APIName].(string)
	if !ok {
		return nil, false
	}
	if kindOf(f) == kDate {
		return s, shaped(s, "dddd-dd-dd")
	}
	return s, shaped(s, "dddd-dd-ddTdd:dd:ddZ")
}

// shaped reports whether s matches shape, where d stands for an ASCII digit and every other byte for
// itself: the GLOB and regular expression the SQL uses.
func shaped(s, shape string) bool {
	if len(s) != len(shape) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if shape[i] == 'd' {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		} else if s[i] != shape[i] {
			return false
		}
	}
	return true
}

func cmpBound(a, b any) int {
	if x, ok := a.(int64); ok {
		return cmpOrdered(x, b.(int64))
	}
	return cmpOrdered(a.(string), b.(string))
}

// refValueOf reads a stored reference: the id column (int64, 0 is empty) for system lookups, else the
// non-empty string at data.<field>.id.
func refValueOf(r *Row, f *crmd.Field) (any, bool) {
	var id crmd.ID
	switch columnOf(f) {
	case "owner_id":
		id = r.OwnerID
	case "created_by":
		id = r.CreatedBy
	case "modified_by":
		id = r.ModifiedBy
	default:
		m, _ := r.Data[f.APIName].(map[string]any)
		s, ok := m["id"].(string)
		return s, ok && s != ""
	}
	return int64(id), id != 0
}

// asciiLower lower-cases A–Z only, as SQLite's lower() and LIKE do; Unicode case folding would make Go
// disagree with the database (e.g. the Kelvin sign K folds to k in Go, not in SQLite).
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// like matches s against an SQL LIKE pattern in which % is any run of characters, _ any one character and
// every other character itself (no escape character).
func like(s, pattern string) bool {
	str, pat := []rune(s), []rune(pattern)
	i, j := 0, 0
	star, mark := -1, 0
	for i < len(str) {
		switch {
		case j < len(pat) && pat[j] == '%':
			star, mark = j, i
			j++
		case j < len(pat) && (pat[j] == '_' || pat[j] == str[i]):
			i++
			j++
		case star >= 0:
			// Let the last % swallow one more character and retry from there.
			mark++
			i, j = mark, star+1
		default:
			return false
		}
	}
	for j < len(pat) && pat[j] == '%' {
		j++
	}
	return j == len(pat)
}

// CompareOrder compares rows a and b by f as ORDER BY on OrderExpr(f) ascending does: an empty value
// before every value, texts (and dates and datetimes, stored as text) byte by byte, numbers by value,
// false before true, owner and user columns and the id as numbers. It panics for a field that is not
// Orderable.
func CompareOrder(f *crmd.Field, a, b *Row) int {
	if !Orderable(f) {
		panic("criteria: cannot order by " + f.APIName)
	}
	k := kindOf(f)
	ea, eb := isEmpty(f, k, a), isEmpty(f, k, b)
	switch {
	case ea && eb:
		return 0
	case ea:
		return -1
	case eb:
		return 1
	}
	switch k {
	case kText, kPicklist:
		x, _ := textOf(a, f)
		y, _ := textOf(b, f)
		return cmpOrdered(x, y)
	case kNumber:
		x, _ := numberOf(a, f)
		y, _ := numberOf(b, f)
		return cmpNum(x, y)
	case kBool:
		x, y := a.Data[f.APIName].(bool), b.Data[f.APIName].(bool)
		return cmpOrdered(boolInt(x), boolInt(y))
	case kDate, kDatetime:
		x, _ := timeOf(a, f)
		y, _ := timeOf(b, f)
		return cmpBound(x, y)
	case kLookup:
		x, _ := refValueOf(a, f)
		y, _ := refValueOf(b, f)
		return cmpOrdered(x.(int64), y.(int64))
	}
	return 0
}
