package criteria

import (
	"slices"
	"strings"

	"github.com/crmd/crmd"
)

// Search criteria: the criteria parameter of GET /{module}/search (docs/search.md), Zoho's string form
//
//	((Last_Name:equals:Burns\,B)and(First_Name:starts_with:M))
//
// A condition is (api_name:operator:value) and conditions combine with and/or (any case, spaces
// allowed around them) inside parentheses; "and" binds tighter than "or", as in SQL. In a value a
// backslash makes the next character plain: \( \) \, \\ . An unescaped comma separates the values of
// in, not_in and between, and makes equals and not_equal mean in and not_in. The value runs to the
// condition's closing parenthesis, so it may hold colons (datetimes with offsets).
//
// ParseSearch turns the string into a Node tree that Compile and Eval run like a view's criteria: every
// condition is validated by ParseAt as the JSON leaf it stands for, so values are coerced and bound
// exactly as a view's are.

// MaxSearchConditions is how many conditions one search criteria may hold (Zoho: 10).
const MaxSearchConditions = 10

// searchOps maps the search operators to criteria comparators.
var searchOps = map[string]string{
	"equals": Equal, "not_equal": NotEqual, "starts_with": StartsWith, "in": In, "not_in": NotIn,
	"greater_than": GreaterThan, "greater_equal": GreaterEqual, "less_than": LessThan,
	"less_equal": LessEqual, "between": Between,
}

// SearchOperators are the search operators each kind of field accepts (Zoho's table for the search
// API), in the order errors list them.
func SearchOperators(f *crmd.Field) []string {
	switch kindOf(f) {
	case kText:
		return []string{"equals", "not_equal", "starts_with", "in", "not_in"}
	case kPicklist, kMulti, kLookup:
		return []string{"equals", "not_equal", "in", "not_in"}
	case kNumber:
		return []string{"equals", "not_equal", "in", "not_in", "greater_than", "greater_equal", "less_than", "less_equal", "between"}
	case kDate, kDatetime:
		return []string{"equals", "not_equal", "greater_than", "greater_equal", "less_than", "less_equal", "between"}
	case kBool:
		return []string{"equals", "not_equal"}
	}
	return nil
}

// TextLike says whether f holds text that contains, starts_with and like test (text, textarea, email,
// phone, website, autonumber): the fields a search by word looks in.
func TextLike(f *crmd.Field) bool { return kindOf(f) == kText && safeName(f.APIName) }

// ErrInvalidQuery is the search API's refusal of a criteria string, with the reason and, when the
// problem is one field's, its api name.
func ErrInvalidQuery(reason, apiName string) *crmd.Error {
	d := crmd.D{"reason": reason}
	if apiName != "" {
		d["api_name"] = apiName
	}
	return crmd.E("INVALID_QUERY", "invalid query formed", d)
}

// searchCond is one parsed condition before validation.
type searchCond struct {
	field, op string
	values    []string
	// plural says the value held an unescaped comma.
	plural bool
}

// searchParser reads a criteria string.
type searchParser struct {
	s     string
	i     int
	conds int
	m     *crmd.Module
}

// ParseSearch parses a search criteria string against module m. Refusals are *crmd.Error:
// INVALID_QUERY (malformed text, unknown or unsearchable field, operator not for the field's type,
// bad value) or LIMIT_EXCEEDED (more than MaxSearchConditions conditions).
func ParseSearch(s string, m *crmd.Module) (*Node, error) {
	p := &searchParser{s: s, m: m}
	p.space()
	n, err := p.or(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.s) {
		return nil, ErrInvalidQuery("invalid criteria", "")
	}
	return n, nil
}

func (p *searchParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

// word reads "and" or "or" (any case) if it comes next.
func (p *searchParser) word(w string) bool {
	p.space()
	if len(p.s)-p.i >= len(w) && strings.EqualFold(p.s[p.i:p.i+len(w)], w) {
		p.i += len(w)
		return true
	}
	return false
}

// or := and ("or" and)*
func (p *searchParser) or(depth int) (*Node, error) {
	first, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	members := []*Node{first}
	for p.word("or") {
		n, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		members = append(members, n)
	}
	return group("or", members), nil
}

// and := term ("and" term)*
func (p *searchParser) and(depth int) (*Node, error) {
	first, err := p.term(depth)
	if err != nil {
		return nil, err
	}
	members := []*Node{first}
	for p.word("and") {
		n, err := p.term(depth)
		if err != nil {
			return nil, err
		}
		members = append(members, n)
	}
	return group("and", members), nil
}

// group joins members with op; a single member stands alone.
func group(op string, members []*Node) *Node {
	if len(members) == 1 {
		return members[0]
	}
	return &Node{Op: op, Members: members}
}

// term := "(" condition ")" | "(" or ")"
func (p *searchParser) term(depth int) (*Node, error) {
	p.space()
	if p.i >= len(p.s) || p.s[p.i] != '(' {
		return nil, ErrInvalidQuery("invalid criteria", "")
	}
	p.i++
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '(' {
		if depth >= MaxDepth {
			return nil, crmd.E("LIMIT_EXCEEDED", "limit exceeded", crmd.D{"limit": MaxDepth, "param_name": "criteria"})
		}
		n, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return nil, ErrInvalidQuery("invalid criteria", "")
		}
		p.i++
		return n, nil
	}
	c, err := p.condition()
	if err != nil {
		return nil, err
	}
	if p.conds++; p.conds > MaxSearchConditions {
		return nil, crmd.E("LIMIT_EXCEEDED", "limit exceeded", crmd.D{"limit": MaxSearchConditions, "param_name": "criteria"})
	}
	return p.leaf(c)
}

// condition reads api_name:operator:value up to and including the closing parenthesis.
func (p *searchParser) condition() (searchCond, error) {
	var c searchCond
	colon := strings.IndexByte(p.s[p.i:], ':')
	if colon < 0 {
		return c, ErrInvalidQuery("invalid criteria", "")
	}
	c.field = strings.TrimSpace(p.s[p.i : p.i+colon])
	p.i += colon + 1
	colon = strings.IndexByte(p.s[p.i:], ':')
	if colon < 0 {
		return c, ErrInvalidQuery("invalid criteria", c.field)
	}
	c.op = strings.ToLower(strings.TrimSpace(p.s[p.i : p.i+colon]))
	p.i += colon + 1
	var cur strings.Builder
	for {
		if p.i >= len(p.s) {
			return c, ErrInvalidQuery("invalid criteria", c.field)
		}
		ch := p.s[p.i]
		switch {
		case ch == '\\' && p.i+1 < len(p.s):
			cur.WriteByte(p.s[p.i+1])
			p.i += 2
			continue
		case ch == ',':
			c.values = append(c.values, cur.String())
			cur.Reset()
			c.plural = true
		case ch == ')':
			p.i++
			c.values = append(c.values, cur.String())
			return c, nil
		case ch == '(':
			// An unescaped parenthesis inside a value is ambiguous; Zoho asks for \( .
			return c, ErrInvalidQuery("invalid criteria", c.field)
		default:
			cur.WriteByte(ch)
		}
		p.i++
	}
}

// leaf validates a condition: the field, its operator, and the value through ParseAt as the JSON leaf
// it stands for.
func (p *searchParser) leaf(c searchCond) (*Node, error) {
	f := p.m.Field(c.field)
	if f == nil || !supported(f) {
		return nil, ErrInvalidQuery("the field is not available for search", c.field)
	}
	cmp, known := searchOps[c.op]
	if !known || !slices.Contains(SearchOperators(f), c.op) {
		e := ErrInvalidQuery("invalid operator found", f.APIName)
		e.Details["operator"] = c.op
		return nil, e
	}
	for _, v := range c.values {
		if v == "" {
			return nil, ErrInvalidQuery("invalid value given", f.APIName)
		}
	}
	k := kindOf(f)
	var raw any
	switch {
	case cmp == Between:
		if len(c.values) != 2 {
			return nil, ErrInvalidQuery("invalid value given", f.APIName)
		}
		raw = []any{p.value(k, c.values[0]), p.value(k, c.values[1])}
	case cmp == In || cmp == NotIn || c.plural:
		if c.plural && (cmp == Equal || cmp == NotEqual) && !listable(k) {
			return nil, ErrInvalidQuery("invalid value given", f.APIName)
		}
		list := make([]any, len(c.values))
		for i, v := range c.values {
			list[i] = p.value(k, v)
		}
		raw = list
	default:
		raw = p.value(k, c.values[0])
	}
	n, err := ParseAt(map[string]any{"field": f.APIName, "comparator": cmp, "value": raw}, p.m, "$.criteria")
	if err != nil {
		if e, ok := crmd.AsError(err); ok && e.Code == "LIMIT_EXCEEDED" {
			return nil, crmd.E("LIMIT_EXCEEDED", "limit exceeded", crmd.D{"limit": MaxListValues, "param_name": "criteria"})
		}
		if _, ok := crmd.AsError(err); ok {
			return nil, ErrInvalidQuery("invalid value given", f.APIName)
		}
		return nil, err
	}
	return n, nil
}

// value is a search value as the JSON a view's criteria would carry: booleans as JSON booleans, the
// rest as the string given (ParseAt reads numbers, dates and ids from strings).
func (p *searchParser) value(k kind, s string) any {
	if k == kBool {
		switch strings.ToLower(s) {
		case "true":
			return true
		case "false":
			return false
		}
	}
	return s
}
