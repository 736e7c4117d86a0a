package coql

import (
	"strconv"
	"strings"

	"github.com/crmd/crmd"
)

// Messages of COQL's errors: the v8 OAS (coql.json, Query_Exception) lists these.
const (
	MsgInvalidQuery   = "invalid query formed"
	MsgInvalidColumn  = "column given seems to be invalid"
	MsgInvalidValue   = "value given seems to be invalid for the column"
	MsgTypeNotAllowed = "data type not supported"
	MsgLimitExceeded  = "limit exceeded"
	MsgDuplicate      = "duplicate data"
)

// maxTokens bounds the work a query may ask of the parser; every query within Zoho's other limits (50
// columns, 25 conditions of up to 100 values, 10 order keys) has far fewer.
const maxTokens = 20000

// Stmt is a query as written: names and values not yet checked against any module.
type Stmt struct {
	Columns []Ref
	// From is the module's api name as written.
	From string
	// Where is nil when the query has no WHERE clause.
	Where *Cond
	Order []OrderItem
	// Limit and Offset are -1 when not given.
	Limit, Offset int
}

// Ref is a column as written: Name, or Name.Sub for a field of the record a lookup points to.
type Ref struct {
	Name, Sub string
}

// String is the column as Zoho echoes it: Name or Name.Sub.
func (r Ref) String() string {
	if r.Sub == "" {
		return r.Name
	}
	return r.Name + "." + r.Sub
}

// Cond is a WHERE condition: a pair joined by Op ("and" or "or"), or a comparison (Op "").
type Cond struct {
	Op          string
	Left, Right *Cond

	Ref Ref
	// Oper is one of = != < > <= >= like, not like, in, not in, is null, is not null, between.
	Oper   string
	Values []Lit
}

// Lit is a literal value.
type Lit struct {
	Kind LitKind
	Text string // the unescaped string, the number as written, or true/false
}

// LitKind tells strings, numbers and booleans apart.
type LitKind int

// The kinds of literals.
const (
	LitString LitKind = iota
	LitNumber
	LitBool
)

// OrderItem is one key of ORDER BY.
type OrderItem struct {
	Ref  Ref
	Desc bool
}

// Parse parses a COQL select query (the select_query of POST /crm/{version}/coql). It checks the syntax
// only: what the names mean is Check's business. A refusal is a *crmd.Error: SYNTAX_ERROR with the line,
// column and text of the token parsing stopped at, or with the clause that is missing or malformed.
func Parse(query string) (*Stmt, error) {
	toks, lerr := lex(query)
	if lerr != nil {
		return nil, lerr
	}
	p := &parser{toks: toks}
	st, err := p.stmt()
	if err != nil {
		return nil, err
	}
	return st, nil
}

type parser struct {
	toks  []token
	pos   int
	conds int // comparisons read so far
	depth int // parentheses open
}

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

// keyword consumes kw or fails at the token found instead.
func (p *parser) keyword(kw string) error {
	if t := p.peek(); !t.is(kw) {
		return syntaxAt(t)
	}
	p.next()
	return nil
}

func (p *parser) punct(s string) error {
	if t := p.peek(); !t.punct(s) {
		return syntaxAt(t)
	}
	p.next()
	return nil
}

// reserved are the words that cannot be a bare api name; a field named like one is written in double
// quotes (Zoho asks for quotes around reserved words, Kaizen #171).
var reserved = map[string]bool{
	"select": true, "from": true, "where": true, "order": true, "by": true, "limit": true, "offset": true,
	"and": true, "or": true, "not": true, "like": true, "in": true, "is": true, "null": true, "between": true,
	"asc": true, "desc": true, "true": true, "false": true, "group": true, "having": true, "as": true,
}

func (p *parser) stmt() (*Stmt, error) {
	st := &Stmt{Limit: -1, Offset: -1}
	if err := p.keyword("select"); err != nil {
		return nil, err
	}
	for {
		r, err := p.ref(true)
		if err != nil {
			return nil, err
		}
		st.Columns = append(st.Columns, r)
		if len(st.Columns) > MaxColumns {
			return nil, limitExceeded("select", MaxColumns)
		}
		if !p.peek().punct(",") {
			break
		}
		p.next()
	}
	if err := p.keyword("from"); err != nil {
		return nil, err
	}
	t := p.next()
	if t.kind != tIdent || reserved[strings.ToLower(t.text)] {
		return nil, syntaxAt(t)
	}
	st.From = t.text
	if p.peek().is("where") {
		p.next()
		c, err := p.cond()
		if err != nil {
			return nil, err
		}
		st.Where = c
	}
	if p.peek().is("order") {
		p.next()
		if err := p.keyword("by"); err != nil {
			return nil, err
		}
		for {
			r, err := p.ref(false)
			if err != nil {
				return nil, err
			}
			it := OrderItem{Ref: r}
			if t := p.peek(); t.is("asc") || t.is("desc") {
				it.Desc = t.is("desc")
				p.next()
			}
			st.Order = append(st.Order, it)
			if len(st.Order) > MaxOrder {
				return nil, limitExceeded("order by", MaxOrder)
			}
			if !p.peek().punct(",") {
				break
			}
			p.next()
		}
	}
	if p.peek().is("limit") {
		p.next()
		n, err := p.count()
		if err != nil {
			return nil, err
		}
		st.Limit = n
		if p.peek().punct(",") {
			// LIMIT offset, count
			p.next()
			m, err := p.count()
			if err != nil {
				return nil, err
			}
			st.Offset, st.Limit = n, m
		}
	}
	if p.peek().is("offset") {
		p.next()
		if st.Offset >= 0 {
			return nil, syntaxAt(p.toks[p.pos-1])
		}
		n, err := p.count()
		if err != nil {
			return nil, err
		}
		st.Offset = n
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, syntaxAt(t)
	}
	return st, nil
}

// count reads the non-negative whole number of LIMIT or OFFSET.
func (p *parser) count() (int, error) {
	t := p.next()
	if t.kind != tNumber || strings.ContainsAny(t.text, ".-") {
		return 0, syntaxAt(t)
	}
	n, err := strconv.Atoi(t.text)
	if err != nil || n > MaxRowsV7 {
		// Beyond every version's reach: Check refuses it with the request's version's limit.
		n = MaxRowsV7 + 1
	}
	return n, nil
}

// ref reads a column: an api name, bare or in double quotes (in the select list also in single quotes, as Zoho
// shows for reserved words), optionally followed by .name.
func (p *parser) ref(inSelect bool) (Ref, error) {
	t := p.next()
	var r Ref
	switch {
	case t.kind == tIdent && !reserved[strings.ToLower(t.text)], t.kind == tQuoted, t.kind == tString && inSelect:
		r.Name = t.text
	default:
		return r, syntaxAt(t)
	}
	if p.peek().punct(".") {
		p.next()
		s := p.next()
		if s.kind != tIdent && s.kind != tQuoted {
			return r, syntaxAt(s)
		}
		r.Sub = s.text
	}
	if r.Name == "" || strings.ContainsRune(r.Name+r.Sub, 0) {
		return r, syntaxAt(t)
	}
	return r, nil
}

// cond reads a condition. Zoho asks that more than two criteria be bracketed in pairs ("(A and B) and
// C", COQL Limitations page): "A and B and C" is a syntax error at the second operator, so and/or need
// no precedence.
func (p *parser) cond() (*Cond, error) {
	left, err := p.term()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if !t.is("and") && !t.is("or") {
		return left, nil
	}
	p.next()
	right, err := p.term()
	if err != nil {
		return nil, err
	}
	if u := p.peek(); u.is("and") || u.is("or") {
		return nil, syntaxAt(u)
	}
	return &Cond{Op: strings.ToLower(t.text), Left: left, Right: right}, nil
}

// term reads a bracketed condition or a comparison.
func (p *parser) term() (*Cond, error) {
	if t := p.peek(); t.punct("(") {
		p.next()
		if p.depth++; p.depth > MaxCriteria {
			return nil, syntaxAt(t)
		}
		c, err := p.cond()
		if err != nil {
			return nil, err
		}
		if err := p.punct(")"); err != nil {
			return nil, err
		}
		p.depth--
		return c, nil
	}
	r, err := p.ref(false)
	if err != nil {
		return nil, err
	}
	if p.conds++; p.conds > MaxCriteria {
		return nil, limitExceeded("where", MaxCriteria)
	}
	c := &Cond{Ref: r}
	t := p.next()
	switch {
	case t.kind == tOp:
		c.Oper = t.text
		v, err := p.lit()
		if err != nil {
			return nil, err
		}
		c.Values = []Lit{v}
	case t.is("is"):
		c.Oper = "is null"
		if p.peek().is("not") {
			p.next()
			c.Oper = "is not null"
		}
		if err := p.keyword("null"); err != nil {
			return nil, err
		}
	case t.is("not"):
		u := p.next()
		switch {
		case u.is("like"):
			c.Oper = "not like"
		case u.is("in"):
			c.Oper = "not in"
		default:
			return nil, syntaxAt(u)
		}
		if err := p.operands(c); err != nil {
			return nil, err
		}
	case t.is("like"), t.is("in"):
		c.Oper = strings.ToLower(t.text)
		if err := p.operands(c); err != nil {
			return nil, err
		}
	case t.is("between"):
		c.Oper = "between"
		lo, err := p.lit()
		if err != nil {
			return nil, err
		}
		if err := p.keyword("and"); err != nil {
			return nil, err
		}
		hi, err := p.lit()
		if err != nil {
			return nil, err
		}
		c.Values = []Lit{lo, hi}
	default:
		return nil, syntaxAt(t)
	}
	return c, nil
}

// operands reads the value of like / not like, or the bracketed list of in / not in.
func (p *parser) operands(c *Cond) error {
	if !strings.HasSuffix(c.Oper, "in") {
		v, err := p.lit()
		if err != nil {
			return err
		}
		c.Values = []Lit{v}
		return nil
	}
	if err := p.punct("("); err != nil {
		return err
	}
	for {
		v, err := p.lit()
		if err != nil {
			return err
		}
		// The version's limit on values is Check's; maxTokens bounds the list here.
		c.Values = append(c.Values, v)
		if !p.peek().punct(",") {
			break
		}
		p.next()
	}
	return p.punct(")")
}

// lit reads a value: a 'string', a number, or true/false.
func (p *parser) lit() (Lit, error) {
	t := p.next()
	switch {
	case t.kind == tString:
		return Lit{Kind: LitString, Text: t.text}, nil
	case t.kind == tNumber:
		return Lit{Kind: LitNumber, Text: t.text}, nil
	case t.is("true"), t.is("false"):
		return Lit{Kind: LitBool, Text: strings.ToLower(t.text)}, nil
	}
	return Lit{}, syntaxAt(t)
}

func limitExceeded(clause string, limit int) *crmd.Error {
	return crmd.E("LIMIT_EXCEEDED", MsgLimitExceeded, crmd.D{"clause": clause, "limit": limit})
}
