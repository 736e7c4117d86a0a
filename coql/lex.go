package coql

import (
	"strings"
	"unicode/utf8"

	"github.com/crmd/crmd"
)

// tokKind is the kind of a token of a query.
type tokKind int

const (
	tEOF    tokKind = iota
	tIdent          // a bare word: a keyword or an api name
	tQuoted         // a "double-quoted" api name
	tString         // a 'single-quoted' string value
	tNumber         // digits, optionally signed, optionally with a fraction
	tPunct          // ( ) , .
	tOp             // = != < > <= >=
)

// token is one lexeme of a query, with where it starts (line and column count from 1, in characters).
type token struct {
	kind      tokKind
	text      string // as written; for strings and quoted names the unescaped content
	line, col int
}

// is reports whether t is the keyword kw (keywords are case-insensitive, as Zoho's are).
func (t token) is(kw string) bool { return t.kind == tIdent && strings.EqualFold(t.text, kw) }

// punct reports whether t is the punctuation or operator p.
func (t token) punct(p string) bool { return (t.kind == tPunct || t.kind == tOp) && t.text == p }

// near is what a syntax error shows of the token it stopped at.
func (t token) near() string {
	switch t.kind {
	case tEOF:
		return "<EOF>"
	case tString:
		return "'" + t.text + "'"
	case tQuoted:
		return `"` + t.text + `"`
	}
	return t.text
}

// syntaxAt is Zoho's SYNTAX_ERROR for a query that cannot be parsed, pointing at the token where parsing
// stopped (the v8 OAS's Parse_Error_Details: line, column, near).
func syntaxAt(t token) *crmd.Error {
	return crmd.E("SYNTAX_ERROR", MsgInvalidQuery, crmd.D{"line": t.line, "column": t.col, "near": t.near()})
}

// lex splits a query into tokens. Whitespace separates tokens and is otherwise ignored.
func lex(q string) ([]token, *crmd.Error) {
	var out []token
	line, col := 1, 1
	i := 0
	for i < len(q) {
		r, size := utf8.DecodeRuneInString(q[i:])
		start := token{line: line, col: col}
		adv := func(n int) { // advance n bytes of one line
			col += utf8.RuneCountInString(q[i : i+n])
			i += n
		}
		switch {
		case r == '\n':
			line, col = line+1, 1
			i += size
			continue
		case r == ' ' || r == '\t' || r == '\r' || r == '\f' || r == '\v':
			adv(size)
			continue
		case isIdentStart(r):
			j := i
			for j < len(q) && isIdentByte(q[j]) {
				j++
			}
			start.kind, start.text = tIdent, q[i:j]
			adv(j - i)
		case r >= '0' && r <= '9' || r == '-' && i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			if j+1 < len(q) && q[j] == '.' && q[j+1] >= '0' && q[j+1] <= '9' {
				j++
				for j < len(q) && q[j] >= '0' && q[j] <= '9' {
					j++
				}
			}
			if j < len(q) && isIdentByte(q[j]) {
				// 12abc is neither a number nor a name.
				start.kind, start.text = tIdent, q[i:j+1]
				return nil, syntaxAt(start)
			}
			start.kind, start.text = tNumber, q[i:j]
			adv(j - i)
		case r == '\'' || r == '"':
			// A quote inside is written twice, as in SQL (Zoho's COQL FAQ, Kaizen #171).
			var b strings.Builder
			j := i + 1
			closed := false
			for j < len(q) {
				if q[j] == byte(r) {
					if j+1 < len(q) && q[j+1] == byte(r) {
						b.WriteByte(byte(r))
						j += 2
						continue
					}
					closed = true
					break
				}
				b.WriteByte(q[j])
				j++
			}
			if !closed {
				start.kind, start.text = tPunct, string(r)
				return nil, syntaxAt(start)
			}
			start.kind, start.text = tString, b.String()
			if r == '"' {
				start.kind = tQuoted
			}
			// The literal may span lines; positions after it are counted from its end.
			lit := q[i : j+1]
			if nl := strings.LastIndexByte(lit, '\n'); nl >= 0 {
				line += strings.Count(lit, "\n")
				col = 1 + utf8.RuneCountInString(lit[nl+1:])
				i = j + 1
			} else {
				adv(j + 1 - i)
			}
		case strings.ContainsRune("(),.", r):
			start.kind, start.text = tPunct, string(r)
			adv(1)
		case r == '=':
			start.kind, start.text = tOp, "="
			adv(1)
		case r == '!' || r == '<' || r == '>':
			op := string(r)
			if i+1 < len(q) && q[i+1] == '=' {
				op += "="
			}
			if op == "!" {
				start.kind, start.text = tOp, op
				return nil, syntaxAt(start)
			}
			start.kind, start.text = tOp, op
			adv(len(op))
		default:
			start.kind, start.text = tPunct, string(r)
			if r == utf8.RuneError {
				start.text = "\uFFFD"
			}
			return nil, syntaxAt(start)
		}
		out = append(out, start)
		if len(out) > maxTokens {
			return nil, crmd.E("LIMIT_EXCEEDED", MsgLimitExceeded, crmd.D{"clause": "select_query", "limit": maxTokens})
		}
	}
	out = append(out, token{kind: tEOF, line: line, col: col})
	return out, nil
}

func isIdentStart(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' || r == '$'
}

func isIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$'
}
