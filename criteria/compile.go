package criteria

import (
	"strings"
	"unicode/utf8"

	"github.com/crmd/crmd"
)

// Dialect is the SQL dialect a criterion is compiled for.
type Dialect int

// The dialects crmd stores records in.
const (
	// SQLite: records.data is JSON text, read with json_type/json_extract/json_each.
	SQLite Dialect = iota
	// Postgres: records.data is jsonb, read with ->, #>> and jsonb_typeof; every bind parameter is cast, so
	// that PostgreSQL never has to guess a parameter's type.
	Postgres
)

// Target says where the compiled predicate will run.
type Target struct {
	Dialect Dialect
	// Alias is the table alias of records in the query (e.g. "r"); "" means unqualified column names.
	Alias string
	// FieldExpr optionally overrides how a data field is read, so that the store can route a field to a
	// typed or indexed column. It returns "" to keep the default. A non-empty result must be an SQL
	// expression yielding the field's value in the form the default expression yields it: NULL when the
	// value is empty, otherwise text (text-like, picklist, date, datetime "2006-01-02T15:04:05Z", and the id
	// of a lookup), a number, or for booleans 1/0 (SQLite) or boolean (PostgreSQL). It is not consulted for
	// multi-select picklists or for the system columns.
	FieldExpr func(f *crmd.Field) string
	// Side optionally routes the positive leaves on a data field to a side table that holds, per record,
	// the value FieldExpr reads (never NULL: a record with no value has no row). For f it returns the head
	// of a subquery selecting record ids, ending where a condition on the value may follow (e.g.
	// "records.id IN (SELECT record_id FROM t WHERE t.field = ? AND "), the arguments of its
	// placeholders, and the value's expression inside it; "" keeps the leaf on the records row. The
	// compiler appends the leaf's predicate over that value and the closing parentheses. Negated leaves
	// and "is empty" stay on the records row, so that records without a row are judged too.
	Side func(f *crmd.Field) (head string, args []any, value string)
}

// Compile turns a parsed criterion into a boolean SQL predicate over the records table, with "?" for every
// value (in both dialects: the store rewrites them to $n for PostgreSQL; the SQL text contains no other
// "?", not even inside literals, so a plain left-to-right rewrite is safe). Only field names from module
// metadata, checked to be plain identifiers, appear in the text. A nil node compiles to "1 = 1".
//
// The predicate is never NULL, so it can be negated and combined freely; it selects exactly the rows Eval
// accepts for the same Env. Positive leaves are plain conjunctions ("v IS NOT NULL AND v = ?"), so that an
// index on a column FieldExpr routes a field to can serve them. Compile panics on a node Parse would not
// have built (a field of an unsupported type or with an unsafe name, an unsafe alias): that is a bug in
// the caller, not bad input.
func Compile(n *Node, t Target, env Env) (sql string, args []any) {
	if t.Alias != "" && !safeName(t.Alias) {
		panic("criteria: unsafe table alias " + t.Alias)
	}
	c := &compiler{t: t, env: env.normal()}
	if t.Alias != "" {
		c.prefix = t.Alias + "."
	}
	if n == nil {
		return "1 = 1", nil
	}
	return c.node(n), c.args
}

type compiler struct {
	t      Target
	env    Env
	prefix string
	args   []any
	side   string // while compiling a leaf routed by Target.Side: the value expression in its subquery
}

func (c *compiler) pg() bool { return c.t.Dialect == Postgres }

// arg binds v and returns its placeholder; pgType is the PostgreSQL type the parameter is cast to.
func (c *compiler) arg(v any, pgType string) string {
	c.args = append(c.args, v)
	if c.pg() {
		return "CAST(? AS " + pgType + ")"
	}
	return "?"
}

func (c *compiler) node(n *Node) string {
	if n.IsGroup() {
		op := " AND "
		if n.Op == "or" {
			op = " OR "
		}
		if len(n.Members) == 0 {
			// Parse never builds an empty group; a hand-built one means what Eval makes of it.
			if n.Op == "or" {
				return "1 = 0"
			}
			return "1 = 1"
		}
		parts := make([]string, len(n.Members))
		for i, m := range n.Members {
			parts[i] = c.node(m)
		}
		return "(" + strings.Join(parts, op) + ")"
	}
	return c.leaf(n)
}

func (c *compiler) leaf(n *Node) string {
	f := n.Field
	if !supported(f) {
		panic("criteria: field " + f.APIName + " cannot be compiled")
	}
	k := kindOf(f)
	if n.Comparator == RelatedTo {
		return c.related(n, k)
	}
	if kw, ok := n.Value.(Keyword); ok && (kw == KeywordEmpty || kw == KeywordNotEmpty) {
		empty := c.isEmpty(f, k)
		if (kw == KeywordEmpty) == (n.Comparator == Equal) {
			return empty
		}
		return "(NOT " + empty + ")"
	}
	pos, neg := positive(n.Comparator)
	if !neg && c.t.Side != nil && k != kMulti && columnOf(f) == "" {
		if head, args, val := c.t.Side(f); head != "" {
			c.args = append(c.args, args...)
			c.side = val
			p := c.positive(f, k, pos, n.Value)
			c.side = ""
			return "(" + head + p + "))"
		}
	}
	p := c.positive(f, k, pos, n.Value)
	if neg {
		// Every positive predicate is TRUE or FALSE, never NULL, so NOT also selects empty values.
		return "(NOT " + p + ")"
	}
	return p
}

// relatedAlias is the alias of the records table inside a RelatedTo leaf's subquery. RelatedTo leaves do not
// nest (see Node.Sub), so one alias never shadows another.
const relatedAlias = "lk"

// related compiles a RelatedTo leaf: the lookup's id must be the id (as text, the way lookups are stored) of
// a live record of the target module in the same org that satisfies the sub-tree. The sub-tree reads
// records.data the default way: FieldExpr and Side name the outer records row and the view's module, so
// they do not apply inside.
func (c *compiler) related(n *Node, k kind) string {
	f := n.Field
	if k != kLookup || columnOf(f) != "" || n.Sub == nil || n.SubModule == 0 || n.SubOrg == 0 || c.prefix == relatedAlias+"." {
		panic("criteria: related condition on " + f.APIName + " cannot be compiled")
	}
	val := c.value(f, k)
	org := c.arg(int64(n.SubOrg), "bigint")
	mod := c.arg(int64(n.SubModule), "bigint")
	sub := &compiler{t: Target{Dialect: c.t.Dialect, Alias: relatedAlias}, env: c.env, prefix: relatedAlias + "."}
	pred := sub.node(n.Sub)
	c.args = append(c.args, sub.args...)
	id := "CAST(" + relatedAlias + ".id AS TEXT)"
	return "(" + val + " IS NOT NULL AND " + val + " IN (SELECT " + id + " FROM records " + relatedAlias +
		" WHERE " + relatedAlias + ".org_id = " + org + " AND " + relatedAlias + ".module_id = " + mod +
		" AND " + relatedAlias + ".deleted_time IS NULL AND " + pred + "))"
}

// isEmpty is the predicate "f has no value".
func (c *compiler) isEmpty(f *crmd.Field, k kind) string {
	if k == kMulti {
		return "(NOT " + c.hasElement(f, "") + ")"
	}
	return "(" + c.value(f, k) + " IS NULL)"
}

// positive compiles a comparator that is not negated; the result is TRUE or FALSE for every row.
func (c *compiler) positive(f *crmd.Field, k kind, cmp string, v any) string {
	list, isList := v.([]any)
	if cmp == Equal && isList {
		cmp = In
	}
	switch k {
	case kText, kPicklist:
		low := c.lower(c.value(f, k))
		// The guard tests the lowered value (NULL exactly when the value is), so that every term of
		// the leaf reads the one expression an index holds: the index then answers alone.
		guard := "(" + low + " IS NOT NULL AND "
		switch cmp {
		case Equal:
			return guard + low + " = " + c.arg(asciiLower(v.(string)), "text") + ")"
		case In:
			return guard + low + " IN (" + c.list(list, func(e any) string { return c.arg(asciiLower(e.(string)), "text") }) + "))"
		case Contains, StartsWith:
			s := c.arg(asciiLower(v.(string)), "text")
			pos := "instr(" + low + ", " + s + ")"
			if c.pg() {
				pos = "strpos(" + low + ", " + s + ")"
			}
			if cmp == Contains {
				return guard + pos + " > 0)"
			}
			// The first occurrence is at 1 exactly when the value is a prefix; unlike LIKE, this treats % and _
			// literally.
			return guard + pos + " = 1)"
		case EndsWith:
			s := asciiLower(v.(string))
			n := utf8.RuneCountInString(s)
			if c.pg() {
				return guard + "right(" + low + ", " + c.arg(n, "integer") + ") = " + c.arg(s, "text") + ")"
			}
			return guard + "substr(" + low + ", " + c.arg(-n, "integer") + ") = " + c.arg(s, "text") + ")"
		case Like:
			p := c.arg(asciiLower(v.(string)), "text")
			if c.pg() {
				// PostgreSQL's LIKE escapes with \ by default; SQLite's escapes with nothing. ESCAPE '' makes
				// them agree: % and _ are the only special characters.
				return guard + low + " LIKE " + p + " ESCAPE '')"
			}
			return guard + low + " LIKE " + p + ")"
		}
	case kMulti:
		if !isList {
			list = []any{v}
		}
		return c.hasElement(f, c.list(list, func(e any) string { return c.arg(asciiLower(e.(string)), "text") }))
	case kNumber:
		return c.ordered(c.value(f, k), cmp, v, list, func(e any) string { return c.arg(e, "numeric") })
	case kBool:
		val := c.value(f, k)
		var b any = v.(bool)
		if !c.pg() {
			b = boolInt(v.(bool))
		}
		return "(" + val + " IS NOT NULL AND " + val + " = " + c.arg(b, "boolean") + ")"
	case kDate, kDatetime:
		val := c.value(f, k)
		pgType := "text"
		if columnOf(f) != "" {
			pgType = "bigint"
		} else if c.pg() {
			// Stored dates compare as bytes whatever the database's collation.
			val = "(" + val + " COLLATE \"C\")"
		}
		bind := func(b any) string { return c.arg(b, pgType) }
		var lo, hi any
		if cmp == Between {
			lo, _ = timeRange(f, list[0], c.env)
			_, hi = timeRange(f, list[1], c.env)
		} else {
			lo, hi = timeRange(f, v, c.env)
		}
		g := "(" + val + " IS NOT NULL AND "
		switch cmp {
		case Equal, Between:
			return g + val + " >= " + bind(lo) + " AND " + val + " < " + bind(hi) + ")"
		case LessThan:
			return g + val + " < " + bind(lo) + ")"
		case LessEqual:
			return g + val + " < " + bind(hi) + ")"
		case GreaterThan:
			return g + val + " >= " + bind(hi) + ")"
		case GreaterEqual:
			return g + val + " >= " + bind(lo) + ")"
		}
	case kLookup:
		val := c.value(f, k)
		cmpVal := val
		bind := func(e any) string {
			id := refOf(e, c.env)
			if columnOf(f) != "" {
				return c.arg(int64(id), "bigint")
			}
			return c.arg(id.String(), "text")
		}
		if col := columnOf(f); col != "" {
			// The guard already rules out 0 (no user); comparing the bare column lets its index serve
			// "Owner = X" — NULLIF(owner_id, 0) = X could not use one.
			cmpVal = c.prefix + col
		}
		if cmp == In {
			return "(" + val + " IS NOT NULL AND " + cmpVal + " IN (" + c.list(list, bind) + "))"
		}
		return "(" + val + " IS NOT NULL AND " + cmpVal + " = " + bind(v) + ")"
	}
	panic("criteria: comparator " + cmp + " not compilable for " + f.DataType)
}

// ordered compiles the comparators of ordered point values (numbers).
func (c *compiler) ordered(val, cmp string, v any, list []any, bind func(any) string) string {
	g := "(" + val + " IS NOT NULL AND "
	switch cmp {
	case Equal:
		return g + val + " = " + bind(v) + ")"
	case In:
		return g + val + " IN (" + c.list(list, bind) + "))"
	case LessThan:
		return g + val + " < " + bind(v) + ")"
	case LessEqual:
		return g + val + " <= " + bind(v) + ")"
	case GreaterThan:
		return g + val + " > " + bind(v) + ")"
	case GreaterEqual:
		return g + val + " >= " + bind(v) + ")"
	case Between:
		return g + val + " >= " + bind(list[0]) + " AND " + val + " <= " + bind(list[1]) + ")"
	}
	panic("criteria: comparator " + cmp + " not compilable for numbers")
}

func (c *compiler) list(vs []any, bind func(any) string) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = bind(v)
	}
	return strings.Join(parts, ", ")
}

// lower lower-cases ASCII letters only, like SQLite's built-in lower(); PostgreSQL's lower() follows the
// database locale, so translate() is used there.
func (c *compiler) lower(expr string) string {
	if c.pg() {
		return "translate(" + expr + ", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
	}
	return "lower(" + expr + ")"
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// Shape checks of stored values. A stored value that fails its field's check (wrong JSON type, malformed
// date) is empty, in SQL as in Eval.
const (
	sqliteIntGlob      = "[0-9]"
	sqliteDateGlob     = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
	sqliteDatetimeGlob = sqliteDateGlob + "T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z"
	// PostgreSQL's bracket ranges may follow the collation, so the digits are spelt out; and no "?" may
	// appear in the SQL text (see Compile), hence {0,1}.
	pgDigit      = "[0123456789]"
	pgIntRe      = "^-{0,1}" + pgDigit + "{1,18}$"
	pgDateRe     = "^" + pgDigit + "{4}-" + pgDigit + "{2}-" + pgDigit + "{2}$"
	pgDatetimeRe = "^" + pgDigit + "{4}-" + pgDigit + "{2}-" + pgDigit + "{2}T" + pgDigit + "{2}:" + pgDigit + "{2}:" + pgDigit + "{2}Z$"
)

// value is the SQL expression of f's value: NULL when the value is empty (missing, JSON null, "", or not of
// the field's stored shape), otherwise text, a number or a boolean as described at Target.FieldExpr.
func (c *compiler) value(f *crmd.Field, k kind) string {
	if col := columnOf(f); col != "" {
		if k == kLookup {
			return "NULLIF(" + c.prefix + col + ", 0)"
		}
		return c.prefix + col
	}
	if c.side != "" {
		return "(" + c.side + ")"
	}
	if c.t.FieldExpr != nil {
		if e := c.t.FieldExpr(f); e != "" {
			return "(" + e + ")"
		}
	}
	name := f.APIName
	data := c.prefix + "data"
	if c.pg() {
		e := "(" + data + " -> '" + name + "')"
		typ := "jsonb_typeof(" + e + ")"
		txt := "(" + e + " #>> '{}')"
		switch k {
		case kText, kPicklist:
			return "(CASE WHEN " + typ + " = 'string' AND " + txt + " <> '' THEN " + txt + " END)"
		case kNumber:
			return "(CASE " + typ + " WHEN 'number' THEN CAST(" + txt + " AS numeric) WHEN 'string' THEN (CASE WHEN " +
				txt + " ~ '" + pgIntRe + "' THEN CAST(" + txt + " AS numeric) END) END)"
		case kBool:
			return "(CASE WHEN " + typ + " = 'boolean' THEN " + txt + " = 'true' END)"
		case kDate:
			return "(CASE WHEN " + typ + " = 'string' AND " + txt + " ~ '" + pgDateRe + "' THEN " + txt + " END)"
		case kDatetime:
			return "(CASE WHEN " + typ + " = 'string' AND " + txt + " ~ '" + pgDatetimeRe + "' THEN " + txt + " END)"
		case kLookup:
			id := "(" + data + " -> '" + name + "' -> 'id')"
			idTxt := "(" + id + " #>> '{}')"
			return "(CASE WHEN jsonb_typeof(" + id + ") = 'string' AND " + idTxt + " <> '' THEN " + idTxt + " END)"
		}
	} else {
		path := "'$." + name + "'"
		typ := "json_type(" + data + ", " + path + ")"
		x := "json_extract(" + data + ", " + path + ")"
		switch k {
		case kText, kPicklist:
			return "(CASE WHEN " + typ + " = 'text' AND " + x + " <> '' THEN " + x + " END)"
		case kNumber:
			// Whole numbers may be stored as digit strings (bigint fields are, so that JavaScript clients
			// keep every digit); up to 18 digits always fit an int64.
			intText := "((" + x + " GLOB '" + sqliteIntGlob + "*' AND length(" + x + ") <= 18 AND " + x +
				" NOT GLOB '*[^0-9]*') OR (" + x + " GLOB '-" + sqliteIntGlob + "*' AND length(" + x +
				") <= 19 AND substr(" + x + ", 2) NOT GLOB '*[^0-9]*'))"
			return "(CASE " + typ + " WHEN 'integer' THEN " + x + " WHEN 'real' THEN " + x +
				" WHEN 'text' THEN (CASE WHEN " + intText + " THEN CAST(" + x + " AS INTEGER) END) END)"
		case kBool:
			return "(CASE " + typ + " WHEN 'true' THEN 1 WHEN 'false' THEN 0 END)"
		case kDate:
			return "(CASE WHEN " + typ + " = 'text' AND " + x + " GLOB '" + sqliteDateGlob + "' THEN " + x + " END)"
		case kDatetime:
			return "(CASE WHEN " + typ + " = 'text' AND " + x + " GLOB '" + sqliteDatetimeGlob + "' THEN " + x + " END)"
		case kLookup:
			idPath := "'$." + name + ".id'"
			idType := "json_type(" + data + ", " + idPath + ")"
			id := "json_extract(" + data + ", " + idPath + ")"
			return "(CASE WHEN " + idType + " = 'text' AND " + id + " <> '' THEN " + id + " END)"
		}
	}
	panic("criteria: no value expression for " + f.DataType)
}

// hasElement is the predicate "the multi-select f has a non-empty string element" and, when in is not
// empty, "… whose ASCII-lower-cased text is IN (in)".
func (c *compiler) hasElement(f *crmd.Field, in string) string {
	name := f.APIName
	data := c.prefix + "data"
	if c.pg() {
		e := "(" + data + " -> '" + name + "')"
		cond := ""
		if in != "" {
			cond = " AND " + c.lower("(je.v #>> '{}')") + " IN (" + in + ")"
		}
		// jsonb_array_elements would fail on a non-array; on NULL it yields no rows.
		return "(EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(" + e + ") = 'array' THEN " + e +
			" END) AS je(v) WHERE jsonb_typeof(je.v) = 'string' AND (je.v #>> '{}') <> ''" + cond + "))"
	}
	path := "'$." + name + "'"
	cond := ""
	if in != "" {
		cond = " AND lower(je.value) IN (" + in + ")"
	}
	// json_each walks a scalar or an object too, so the array check comes first; CASE keeps the result
	// from being NULL when the key is missing.
	return "(CASE WHEN json_type(" + data + ", " + path + ") = 'array' THEN EXISTS (SELECT 1 FROM json_each(" + data +
		", " + path + ") AS je WHERE je.type = 'text' AND je.value <> ''" + cond + ") ELSE 0 END)"
}

// refOf resolves a lookup criterion value to an id.
func refOf(v any, env Env) crmd.ID {
	switch x := v.(type) {
	case crmd.ID:
		return x
	case Keyword:
		if x == KeywordCurrentUser {
			return env.UserID
		}
	}
	return 0
}

// Orderable reports whether ORDER BY may sort on f: every field of a kind criteria compiles except
// multi-select picklists (no single value) and lookups kept in the data document (their ids are text,
// whose order means nothing); the owner and user columns and the id are numbers and may.
func Orderable(f *crmd.Field) bool {
	switch kindOf(f) {
	case kNone, kMulti:
		return false
	case kLookup:
		return columnOf(f) != ""
	}
	return safeName(f.APIName)
}

// OrderExpr is the SQL expression an ORDER BY on f sorts by: the field's value as Compile reads it (NULL
// when empty) over t's alias, texts compared byte by byte in both dialects (PostgreSQL's collation would
// not). Rows sort as CompareOrder sorts them provided NULL comes first ascending and last descending,
// SQLite's default (PostgreSQL needs NULLS FIRST / NULLS LAST). FieldExpr and Side are not used. It panics
// for a field that is not Orderable.
func OrderExpr(f *crmd.Field, t Target) string {
	if !Orderable(f) || (t.Alias != "" && !safeName(t.Alias)) {
		panic("criteria: cannot order by " + f.APIName)
	}
	c := &compiler{t: Target{Dialect: t.Dialect, Alias: t.Alias}}
	if t.Alias != "" {
		c.prefix = t.Alias + "."
	}
	k := kindOf(f)
	v := c.value(f, k)
	if c.pg() && columnOf(f) == "" && (k == kText || k == kPicklist || k == kDate || k == kDatetime) {
		v = "(" + v + " COLLATE \"C\")"
	}
	return v
}
