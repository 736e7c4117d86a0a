package coql

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/criteria"
)

// Zoho's limits (docs/coql.md#limits). Versions are ×10, as elsewhere in crmd (v2.1 is 21, v8 is 80).
const (
	MaxColumns     = 50     // columns of the select clause
	MaxCriteria    = 25     // comparisons of the where clause
	MaxOrder       = 10     // keys of the order by clause
	DefaultLimit   = 200    // LIMIT when not given
	MaxLimitOld    = 200    // LIMIT up to v3
	MaxLimit       = 2000   // LIMIT from v4 on
	MaxRowsOld     = 10000  // OFFSET + LIMIT up to v6
	MaxRowsV7      = 100000 // OFFSET + LIMIT from v7 on
	MaxInValuesOld = 50     // values of in / not in up to v6
	MaxInValuesV7  = 100    // from v7 on
	maxValueLength = criteria.MaxValueLength
)

// Limits are the limits of one API version.
type Limits struct {
	MaxLimit, MaxRows, MaxInValues int
	// WhereRequired: before v7 a query must have a WHERE clause.
	WhereRequired bool
}

// LimitsOf returns the limits of API version v (×10).
func LimitsOf(v int) Limits {
	l := Limits{MaxLimit: MaxLimit, MaxRows: MaxRowsV7, MaxInValues: MaxInValuesV7}
	if v < 40 {
		l.MaxLimit = MaxLimitOld
	}
	if v < 70 {
		l.MaxRows, l.MaxInValues, l.WhereRequired = MaxRowsOld, MaxInValuesOld, true
	}
	return l
}

// Resolver finds a module of the caller's org by api name for the lookups a query follows; nil (and no
// error) when there is none the request's version serves.
type Resolver func(apiName string) (*crmd.Module, error)

// Query is a checked query, ready for the store: every name resolved to a field, every value typed.
type Query struct {
	Module  *crmd.Module
	Columns []Column
	// Where is the WHERE clause as a criteria tree (nil: every record); conditions on a lookup's fields
	// are criteria.RelatedTo leaves.
	Where *criteria.Node
	// Joined are the modules the conditions on lookups' fields reach, each once.
	Joined []*crmd.Module
	Order  []Order
	Offset int
	Limit  int
}

// Column is one column of SELECT.
type Column struct {
	// Key is the key of the column in each record of the answer: the api name, or Lookup.field.
	Key string
	// Field is the module's field (criteria.IDField for id).
	Field *crmd.Field
	// For Lookup.field on a lookup: the module the lookup points to and the field shown of its record.
	Target      *crmd.Module
	TargetField *crmd.Field
	// For User.attr on an owner or user lookup: id, first_name, last_name, full_name or email.
	UserAttr string
}

// Order is one ORDER BY key.
type Order struct {
	Field *crmd.Field
	Desc  bool
}

// UserAttrs are the attributes of a user a query may select through an owner or user lookup (Owner.email).
var UserAttrs = []string{"id", "first_name", "last_name", "full_name", "email"}

// Check resolves a parsed query against module m (the module its FROM names) for API version v, with
// resolve finding the modules lookups point to. A refusal is a *crmd.Error: INVALID_QUERY for names and
// values that do not fit the module, LIMIT_EXCEEDED and DUPLICATE_DATA for Zoho's limits, SYNTAX_ERROR
// {"clause":"where"} for a missing WHERE before v7.
func Check(st *Stmt, m *crmd.Module, resolve Resolver, v int) (*Query, error) {
	lim := LimitsOf(v)
	c := &checker{m: m, resolve: resolve, lim: lim, targets: map[string]*crmd.Module{}}
	q := &Query{Module: m, Offset: max(st.Offset, 0), Limit: st.Limit}
	seen := map[string]bool{}
	for _, r := range st.Columns {
		col, err := c.column(r)
		if err != nil {
			return nil, err
		}
		if seen[strings.ToLower(col.Key)] {
			return nil, crmd.E("DUPLICATE_DATA", MsgDuplicate, crmd.D{"clause": "select", "column_name": col.Key})
		}
		seen[strings.ToLower(col.Key)] = true
		q.Columns = append(q.Columns, col)
	}
	if st.Where == nil && lim.WhereRequired {
		return nil, crmd.E("SYNTAX_ERROR", MsgInvalidQuery, crmd.D{"clause": "where"})
	}
	if st.Where != nil {
		n, err := c.cond(st.Where)
		if err != nil {
			return nil, err
		}
		q.Where = n
		q.Joined = c.joined
	}
	seenOrder := map[string]bool{}
	for _, o := range st.Order {
		if o.Ref.Sub != "" {
			return nil, invalidColumn(o.Ref.String(), "order by")
		}
		f := c.field(m, o.Ref.Name)
		if f == nil {
			return nil, invalidColumn(o.Ref.Name, "order by")
		}
		if !criteria.Orderable(f) {
			return nil, crmd.E("INVALID_QUERY", MsgTypeNotAllowed, crmd.D{"clause": "order by", "column_name": f.APIName, "data_type": f.DataType})
		}
		if seenOrder[f.APIName] {
			return nil, crmd.E("DUPLICATE_DATA", MsgDuplicate, crmd.D{"clause": "order by", "column_name": f.APIName})
		}
		seenOrder[f.APIName] = true
		q.Order = append(q.Order, Order{Field: f, Desc: o.Desc})
	}
	switch {
	case q.Limit < 0:
		q.Limit = min(DefaultLimit, lim.MaxLimit)
	case q.Limit == 0:
		return nil, crmd.E("INVALID_QUERY", MsgInvalidValue, crmd.D{"clause": "limit", "reason": "the limit must be at least 1"})
	case q.Limit > lim.MaxLimit:
		return nil, limitExceeded("limit", lim.MaxLimit)
	}
	if q.Offset+q.Limit > lim.MaxRows {
		return nil, limitExceeded("offset", lim.MaxRows)
	}
	return q, nil
}

type checker struct {
	m       *crmd.Module
	resolve Resolver
	lim     Limits
	targets map[string]*crmd.Module
	joined  []*crmd.Module
}

// field finds a field of m by api name: exactly, else ignoring case; "id" is the record id.
func (c *checker) field(m *crmd.Module, name string) *crmd.Field {
	if strings.EqualFold(name, "id") {
		return criteria.IDField
	}
	if f := m.Field(name); f != nil {
		return f
	}
	for _, f := range m.Fields {
		if strings.EqualFold(f.APIName, name) {
			return f
		}
	}
	return nil
}

// target resolves the module a lookup field points to.
func (c *checker) target(f *crmd.Field) (*crmd.Module, error) {
	if t, ok := c.targets[f.LookupModule]; ok {
		return t, nil
	}
	var t *crmd.Module
	if c.resolve != nil && f.LookupModule != "" {
		var err error
		if t, err = c.resolve(f.LookupModule); err != nil {
			return nil, err
		}
	}
	c.targets[f.LookupModule] = t
	return t, nil
}

func isUserLookup(f *crmd.Field) bool {
	return f.DataType == crmd.TypeOwnerLookup || f.DataType == crmd.TypeUserLookup
}

func (c *checker) column(r Ref) (Column, error) {
	f := c.field(c.m, r.Name)
	if f == nil {
		return Column{}, invalidColumn(r.String(), "select")
	}
	col := Column{Key: f.APIName, Field: f}
	if r.Sub == "" {
		return col, nil
	}
	switch {
	case isUserLookup(f):
		for _, a := range UserAttrs {
			if strings.EqualFold(a, r.Sub) {
				col.UserAttr, col.Key = a, f.APIName+"."+a
				return col, nil
			}
		}
	case f.DataType == crmd.TypeLookup:
		t, err := c.target(f)
		if err != nil {
			return Column{}, err
		}
		if t != nil {
			if tf := c.field(t, r.Sub); tf != nil {
				col.Target, col.TargetField, col.Key = t, tf, f.APIName+"."+tf.APIName
				return col, nil
			}
		}
	}
	return Column{}, invalidColumn(r.String(), "select")
}

func invalidColumn(name, clause string) *crmd.Error {
	return crmd.E("INVALID_QUERY", MsgInvalidColumn, crmd.D{"column_name": name, "clause": clause})
}

// cond turns a WHERE condition into a criteria tree.
func (c *checker) cond(w *Cond) (*criteria.Node, error) {
	if w.Op != "" {
		l, err := c.cond(w.Left)
		if err != nil {
			return nil, err
		}
		r, err := c.cond(w.Right)
		if err != nil {
			return nil, err
		}
		return &criteria.Node{Op: w.Op, Members: []*criteria.Node{l, r}}, nil
	}
	f := c.field(c.m, w.Ref.Name)
	if f == nil {
		return nil, invalidColumn(w.Ref.String(), "where")
	}
	if w.Ref.Sub == "" || strings.EqualFold(w.Ref.Sub, "id") && f.DataType == crmd.TypeLookup {
		return c.leaf(f, w.Ref.String(), w)
	}
	if f.DataType != crmd.TypeLookup {
		// Conditions on users' attributes (Owner.email) are not supported: users are no records.
		return nil, invalidColumn(w.Ref.String(), "where")
	}
	t, err := c.target(f)
	if err != nil {
		return nil, err
	}
	var tf *crmd.Field
	if t != nil {
		tf = c.field(t, w.Ref.Sub)
	}
	if tf == nil {
		return nil, invalidColumn(w.Ref.String(), "where")
	}
	sub, err := c.leaf(tf, w.Ref.String(), w)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(c.joined, t) {
		c.joined = append(c.joined, t)
	}
	return &criteria.Node{Field: f, Comparator: criteria.RelatedTo, Sub: sub, SubOrg: c.m.OrgID, SubModule: t.ID}, nil
}

// group is how a data type is compared.
type group int

const (
	gNone group = iota
	gText
	gPicklist
	gNumber
	gBool
	gDate
	gDatetime
	gLookup
)

func groupOf(f *crmd.Field) group {
	switch f.DataType {
	case crmd.TypeText, crmd.TypeEmail, crmd.TypePhone, crmd.TypeWebsite, crmd.TypeAutonumber:
		return gText
	case crmd.TypePicklist, crmd.TypeMultiSelect:
		return gPicklist
	case crmd.TypeInteger, crmd.TypeBigint, crmd.TypeDouble, crmd.TypeCurrency, crmd.TypePercent:
		return gNumber
	case crmd.TypeBoolean:
		return gBool
	case crmd.TypeDate:
		return gDate
	case crmd.TypeDatetime:
		return gDatetime
	case crmd.TypeLookup, crmd.TypeOwnerLookup, crmd.TypeUserLookup:
		return gLookup
	}
	// Multi-line fields (textarea) cannot be used in criteria (COQL Limitations page).
	return gNone
}

// operators lists, per group, the operators a condition may use; "is null" and "is not null" go with
// every group.
var operators = map[group][]string{
	gText:     {"=", "!=", "in", "not in", "like", "not like"},
	gPicklist: {"=", "!=", "in", "not in"},
	gNumber:   {"=", "!=", "<", ">", "<=", ">=", "in", "not in", "between"},
	gBool:     {"=", "!="},
	gDate:     {"=", "!=", "<", ">", "<=", ">=", "between"},
	gDatetime: {"=", "!=", "<", ">", "<=", ">=", "between"},
	gLookup:   {"=", "!=", "in", "not in"},
}

// comparators maps the operators to criteria's comparators.
var comparators = map[string]string{
	"=": criteria.Equal, "!=": criteria.NotEqual, "<": criteria.LessThan, ">": criteria.GreaterThan,
	"<=": criteria.LessEqual, ">=": criteria.GreaterEqual, "in": criteria.In, "not in": criteria.NotIn,
	"like": criteria.Like, "not like": criteria.NotLike, "between": criteria.Between,
}

// leaf turns one comparison on f (named name in the query) into a criteria leaf.
func (c *checker) leaf(f *crmd.Field, name string, w *Cond) (*criteria.Node, error) {
	g := groupOf(f)
	if g == gNone {
		return nil, crmd.E("INVALID_QUERY", MsgTypeNotAllowed, crmd.D{"column_name": name, "clause": "where", "data_type": f.DataType})
	}
	switch w.Oper {
	case "is null":
		return &criteria.Node{Field: f, Comparator: criteria.Equal, Value: criteria.KeywordEmpty}, nil
	case "is not null":
		return &criteria.Node{Field: f, Comparator: criteria.NotEqual, Value: criteria.KeywordEmpty}, nil
	}
	ok := false
	for _, o := range operators[g] {
		ok = ok || o == w.Oper
	}
	if !ok {
		return nil, crmd.E("INVALID_QUERY", MsgTypeNotAllowed, crmd.D{"column_name": name, "clause": "where",
			"operator": w.Oper, "data_type": f.DataType})
	}
	if strings.HasSuffix(w.Oper, "in") && len(w.Values) > c.lim.MaxInValues {
		return nil, limitExceeded("where", c.lim.MaxInValues)
	}
	vals := make([]any, len(w.Values))
	for i, l := range w.Values {
		v, err := value(f, g, l)
		if err != nil {
			return nil, invalidValue(name, f)
		}
		vals[i] = v
	}
	n := &criteria.Node{Field: f, Comparator: comparators[w.Oper]}
	switch w.Oper {
	case "in", "not in", "between":
		n.Value = vals
	default:
		n.Value = vals[0]
	}
	return n, nil
}

func invalidValue(name string, f *crmd.Field) *crmd.Error {
	return crmd.E("INVALID_QUERY", MsgInvalidValue, crmd.D{"column_name": name, "clause": "where", "expected_data_type": f.DataType})
}

// errValue marks a literal that does not fit its field; the caller reports which field.
type errValue struct{}

func (errValue) Error() string { return "invalid value" }

// value converts a literal to the typed value criteria expects for f (criteria/doc.go).
func value(f *crmd.Field, g group, l Lit) (any, error) {
	bad := errValue{}
	switch g {
	case gText, gPicklist:
		if l.Kind != LitString || l.Text == "" || len([]rune(l.Text)) > maxValueLength || strings.ContainsRune(l.Text, 0) {
			return nil, bad
		}
		return l.Text, nil
	case gNumber:
		if l.Kind == LitBool {
			return nil, bad
		}
		s := l.Text
		if !decimal(s) {
			return nil, bad
		}
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, nil
		}
		if f.DataType == crmd.TypeInteger || f.DataType == crmd.TypeBigint || f == criteria.IDField {
			return nil, bad
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, bad
		}
		return x, nil
	case gBool:
		switch strings.ToLower(l.Text) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, bad
	case gDate, gDatetime:
		if l.Kind != LitString {
			return nil, bad
		}
		if d, err := time.Parse("2006-01-02", l.Text); err == nil {
			return criteria.Date{Year: d.Year(), Month: d.Month(), Day: d.Day()}, nil
		}
		if g == gDate {
			return nil, bad
		}
		t, err := time.Parse(time.RFC3339, l.Text)
		if err != nil || t.Year() < 1 || t.Year() > 9999 {
			return nil, bad
		}
		return t.Truncate(time.Second).UTC(), nil
	case gLookup:
		id, ok := crmd.ParseID(l.Text)
		if l.Kind == LitBool || !ok {
			return nil, bad
		}
		return id, nil
	}
	return nil, bad
}

// decimal reports whether s is a plain decimal number ([-]digits[.digits]), the only numbers a query may
// write (strings too, so that '12.5' is accepted like 12.5).
func decimal(s string) bool {
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	digits := func(x string) bool {
		if x == "" {
			return false
		}
		for i := 0; i < len(x); i++ {
			if x[i] < '0' || x[i] > '9' {
				return false
			}
		}
		return true
	}
	return digits(intPart) && (!hasFrac || digits(frac))
}
