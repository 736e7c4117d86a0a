package criteria

import (
	"strconv"
	"time"

	"github.com/crmd/crmd"
)

// Node is one parsed criterion: a group (Op "and" or "or" with 2–25 Members) or a leaf (Field, Comparator,
// Value). Nodes are built by Parse; Compile, Eval and Render only read them.
type Node struct {
	// Op is "and" or "or" for a group and "" for a leaf. It is stored lower-case whatever the client sent,
	// because Render decides the case per API version.
	Op string
	// Members are a group's members, in the order given.
	Members []*Node

	// Field is the module field a leaf tests; always one of the module's own fields.
	Field *crmd.Field
	// Comparator is the leaf's comparator, lower-case (one of the Comparator constants).
	Comparator string
	// Value is the normalised, typed value (see the package doc for the concrete types per data type).
	Value any
	// Raw is the value as the client sent it, kept so that Render echoes what was given.
	Raw any

	// Sub is, for a leaf whose Comparator is RelatedTo, the condition the record its lookup Field points
	// to must satisfy: a tree over the fields of the lookup's target module, itself without RelatedTo
	// leaves (one level deep, as COQL joins are). SubModule is that module's id; the target must be a live
	// record of it in SubOrg (the org of the records tested). Parse never builds such a leaf: COQL does
	// (package coql).
	Sub               *Node
	SubOrg, SubModule crmd.ID
}

// IsGroup reports whether n is a group rather than a leaf.
func (n *Node) IsGroup() bool { return n.Op != "" }

// Comparators, as Zoho spells them.
const (
	Equal        = "equal"
	NotEqual     = "not_equal"
	In           = "in"
	NotIn        = "not_in"
	LessThan     = "less_than"
	LessEqual    = "less_equal"
	GreaterThan  = "greater_than"
	GreaterEqual = "greater_equal"
	Between      = "between"
	NotBetween   = "not_between"
	Contains     = "contains"
	NotContains  = "not_contains"
	StartsWith   = "starts_with"
	EndsWith     = "ends_with"
	Like         = "like"
	NotLike      = "not_like"
	// RelatedTo tests the record a lookup points to against Node.Sub: true when the lookup is set, names a
	// live record of SubModule in the same org, and that record satisfies Sub. It is not a comparator of
	// Zoho's criteria language (Parse refuses it); COQL's conditions on lookup fields
	// (Account_Name.Account_Name = 'x') compile to it.
	RelatedTo = "related"
)

// IDField is the record id as a field: a bigint read from the records id column. It is no field of any
// module; COQL's "id" column is compiled and evaluated through it.
var IDField = &crmd.Field{APIName: "id", Label: "Record Id", DataType: crmd.TypeBigint, System: true, ReadOnly: true}

// Limits on the shape and size of a criteria tree. The group sizes are Zoho's (v8 OAS); the others are
// crmd's own, chosen so that a compiled predicate stays well inside SQLite's and PostgreSQL's limits on
// bind parameters and statement size.
const (
	MinGroupMembers = 2    // fewer: INVALID_DATA
	MaxGroupMembers = 25   // more: LIMIT_EXCEEDED
	MaxDepth        = 10   // groups nested deeper: LIMIT_EXCEEDED
	MaxListValues   = 500  // values of one in/not_in/equal list: LIMIT_EXCEEDED
	MaxLeaves       = 200  // leaves in one tree: LIMIT_EXCEEDED
	MaxTotalValues  = 5000 // values over the whole tree: LIMIT_EXCEEDED
	MaxValueLength  = 2000 // characters of one string value: INVALID_DATA with maximum_length
	MaxKeywordN     = 1000 // largest n of ${LAST_N_DAYS:n} and friends
)

// Keyword is a predefined value that is not a date keyword.
type Keyword string

// The non-date predefined values.
const (
	// KeywordEmpty with equal matches records whose field has no value; with not_equal, those that have one.
	KeywordEmpty Keyword = "${EMPTY}"
	// KeywordNotEmpty is the opposite of KeywordEmpty.
	KeywordNotEmpty Keyword = "${NOTEMPTY}"
	// KeywordCurrentUser stands for Env.UserID in owner and user lookups.
	KeywordCurrentUser Keyword = "${CURRENTUSER}"
)

// DateKeyword is a relative date such as ${TODAY} or ${LAST_N_DAYS:7}; it is resolved to a half-open range
// of days when a criterion is compiled or evaluated (see the package doc).
type DateKeyword struct {
	Name string // upper-case name without ${ }, e.g. "TODAY", "LAST_N_DAYS"
	N    int    // the n of the _N_ keywords, 0 for the others
}

// String renders the keyword the way clients write it.
func (k DateKeyword) String() string {
	if k.N > 0 {
		return "${" + k.Name + ":" + strconv.Itoa(k.N) + "}"
	}
	return "${" + k.Name + "}"
}

// Date is a calendar date without a time zone: the value of a date criterion, or a whole day (in the org's
// time zone) when given for a datetime field.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// String renders the date as Zoho does, 2006-01-02.
func (d Date) String() string { return d.t().Format(dateLayout) }

// t is the date as midnight UTC, the form date arithmetic is done in (UTC has no DST gaps).
func (d Date) t() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// dateOf is the inverse of Date.t.
func dateOf(t time.Time) Date { return Date{t.Year(), t.Month(), t.Day()} }

// Layouts of stored and given dates and datetimes.
const (
	dateLayout     = "2006-01-02"
	storedDatetime = "2006-01-02T15:04:05Z" // how datetimes are stored in records.data: UTC, whole seconds
)

// kind groups the data types by how they are stored and compared.
type kind int

const (
	kNone     kind = iota // a type criteria do not support
	kText                 // text, textarea, email, phone, website, autonumber: JSON strings
	kPicklist             // picklist: JSON strings
	kMulti                // multiselectpicklist: JSON arrays of strings
	kNumber               // integer, bigint, double, currency, percent: JSON numbers (or digit strings)
	kBool                 // boolean: JSON true/false
	kDate                 // date: "2006-01-02"
	kDatetime             // datetime: "2006-01-02T15:04:05Z", or a Unix-ms column
	kLookup               // lookup, ownerlookup, userlookup: {"id":"…"} or an id column
)

func kindOf(f *crmd.Field) kind {
	switch f.DataType {
	case crmd.TypeText, crmd.TypeTextarea, crmd.TypeEmail, crmd.TypePhone, crmd.TypeWebsite, crmd.TypeAutonumber:
		return kText
	case crmd.TypePicklist:
		return kPicklist
	case crmd.TypeMultiSelect:
		return kMulti
	case crmd.TypeInteger, crmd.TypeBigint, crmd.TypeDouble, crmd.TypeCurrency, crmd.TypePercent:
		return kNumber
	case crmd.TypeBoolean:
		return kBool
	case crmd.TypeDate:
		return kDate
	case crmd.TypeDatetime:
		return kDatetime
	case crmd.TypeLookup, crmd.TypeOwnerLookup, crmd.TypeUserLookup:
		return kLookup
	}
	return kNone
}

// integral reports whether a number field holds whole numbers only.
func integral(f *crmd.Field) bool {
	return f.DataType == crmd.TypeInteger || f.DataType == crmd.TypeBigint
}

// userRef reports whether ${CURRENTUSER} makes sense for the field.
func userRef(f *crmd.Field) bool {
	return f.DataType == crmd.TypeOwnerLookup || f.DataType == crmd.TypeUserLookup
}

// comparators lists, per kind, the comparators allowed, in Zoho's order (it is what supported_values shows).
var comparators = map[kind][]string{
	kText:     {Equal, NotEqual, In, NotIn, Contains, NotContains, StartsWith, EndsWith, Like, NotLike},
	kPicklist: {Equal, NotEqual, In, NotIn},
	kMulti:    {Equal, NotEqual, In, NotIn},
	kNumber:   {Equal, NotEqual, In, NotIn, LessThan, LessEqual, GreaterThan, GreaterEqual, Between, NotBetween},
	kBool:     {Equal, NotEqual},
	kDate:     {Equal, NotEqual, LessThan, LessEqual, GreaterThan, GreaterEqual, Between, NotBetween},
	kDatetime: {Equal, NotEqual, LessThan, LessEqual, GreaterThan, GreaterEqual, Between, NotBetween},
	kLookup:   {Equal, NotEqual, In, NotIn},
}

// allows reports whether comparator c is allowed for kind k.
func allows(k kind, c string) bool {
	for _, x := range comparators[k] {
		if x == c {
			return true
		}
	}
	return false
}

// positive maps a negated comparator to the one it negates; neg tells whether c was negated.
func positive(c string) (pos string, neg bool) {
	switch c {
	case NotEqual:
		return Equal, true
	case NotIn:
		return In, true
	case NotBetween:
		return Between, true
	case NotContains:
		return Contains, true
	case NotLike:
		return Like, true
	}
	return c, false
}

// systemColumns maps the system fields that live in columns of their own to those columns.
var systemColumns = map[string]string{
	"Owner":         "owner_id",
	"Created_By":    "created_by",
	"Modified_By":   "modified_by",
	"Created_Time":  "created_time",
	"Modified_Time": "modified_time",
}

// columnOf returns the records column of a system field, or "" for a field kept in records.data.
func columnOf(f *crmd.Field) string {
	if !f.System {
		return ""
	}
	if f.APIName == "id" {
		if kindOf(f) != kNumber {
			return ""
		}
		return "id"
	}
	col := systemColumns[f.APIName]
	switch col {
	case "":
	case "created_time", "modified_time":
		if kindOf(f) != kDatetime {
			return ""
		}
	default:
		if kindOf(f) != kLookup {
			return ""
		}
	}
	return col
}

// safeName reports whether s may be spliced into SQL: only identifiers from module metadata are, and they
// are checked again here because a name in SQL text that came from anywhere else would be an injection.
func safeName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
