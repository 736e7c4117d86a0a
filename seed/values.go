package seed

// The value generators of the plan: one per kind of field, each appending one JSON value to the
// record's buffer, and the small JSON writers they share.

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/crmd/crmd"
)

// textGen picks a text field's generator by its api name.
func textGen(n string, f *crmd.Field) (float64, func(*generator, *fieldPlan, []byte) []byte) {
	s := func(fill float64, fn func(g *generator) string) (float64, func(*generator, *fieldPlan, []byte) []byte) {
		return fill, strGen(fn)
	}
	switch {
	case n == "first_name":
		return s(1, func(g *generator) string { return g.first })
	case n == "last_name":
		return s(1, func(g *generator) string { return g.last })
	case n == "full_name":
		return s(1, func(g *generator) string { return g.first + " " + g.last })
	case n == "company" || n == "account_name" || n == "vendor_name":
		return s(0.95, func(g *generator) string { return g.co.name })
	case n == "title" || n == "designation" || n == "job_title":
		return s(0.8, func(g *generator) string { return pick(g, jobTitles) })
	case strings.HasSuffix(n, "street"):
		return s(0.8, func(g *generator) string {
			return strconv.Itoa(1+g.r.IntN(9899)) + " " + pick(g, streetNames) + " " + pick(g, streetKinds)
		})
	case strings.HasSuffix(n, "city"):
		return s(0.9, func(g *generator) string { return g.pl.city })
	case strings.HasSuffix(n, "state"):
		return s(0.85, func(g *generator) string { return g.pl.state })
	case strings.HasSuffix(n, "country"):
		return s(0.9, func(g *generator) string { return g.pl.country })
	case strings.Contains(n, "zip") || strings.Contains(n, "postal") || strings.HasSuffix(n, "_code") &&
		(strings.HasPrefix(n, "billing") || strings.HasPrefix(n, "shipping") || strings.HasPrefix(n, "mailing") || strings.HasPrefix(n, "other")):
		return s(0.8, func(g *generator) string {
			if g.pl.country == "United States" {
				return g.pl.zip + strconv.Itoa(10+g.r.IntN(90))
			}
			return g.pl.zip + " " + strconv.Itoa(100+g.r.IntN(900))
		})
	case strings.Contains(n, "skype"):
		return s(0.2, func(g *generator) string { return "live:" + g.firstL + "." + g.lastL })
	case strings.Contains(n, "twitter"):
		return s(0.2, func(g *generator) string { return g.firstL + g.lastL })
	case n == "subject" || strings.HasSuffix(n, "_title") || n == "title_name":
		return s(0.95, func(g *generator) string { return g.subject() })
	case n == "deal_name":
		return s(1, func(g *generator) string { return g.co.name + " - " + titleCase(pick(g, products)) })
	case n == "campaign_name":
		return s(1, func(g *generator) string {
			return strconv.Itoa(g.now.Year()) + " " + titleCase(pick(g, events)) + " " + titleCase(pick(g, words))
		})
	case n == "product_name":
		return s(1, func(g *generator) string {
			return titleCase(pick(g, products)) + " " + strings.ToUpper(pick(g, words)[:1]) + strconv.Itoa(1+g.r.IntN(9))
		})
	case strings.Contains(n, "code") || strings.HasSuffix(n, "_number") || strings.HasSuffix(n, "_no"):
		return s(0.7, func(g *generator) string {
			return strings.ToUpper(pick(g, words)[:3]) + "-" + strconv.Itoa(10000+g.r.IntN(90000))
		})
	case n == "name":
		label := strings.TrimSuffix(f.Label, " Name")
		return s(1, func(g *generator) string {
			return label + " " + titleCase(pick(g, words)) + " " + strconv.Itoa(1+g.r.IntN(9999))
		})
	default:
		return s(0.7, func(g *generator) string { return titleCase(pick(g, words)) + " " + titleCase(pick(g, words)) })
	}
}

// pick returns a random element of list.
func pick[T any](g *generator, list []T) T { return list[g.r.IntN(len(list))] }

// titleCase upper-cases the first letter of each word of an ASCII string.
func titleCase(s string) string {
	b := []byte(s)
	up := true
	for i, c := range b {
		if up && c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
		up = c == ' ' || c == '-'
	}
	return string(b)
}

// subject is an activity- or case-like headline.
func (g *generator) subject() string {
	switch g.r.IntN(4) {
	case 0:
		return "Follow up with " + g.first + " " + g.last
	case 1:
		return "Call " + g.co.name + " about " + pick(g, topics)
	case 2:
		return "Demo of the " + pick(g, products) + " for " + g.co.name
	default:
		return titleCase(pick(g, events)) + " with " + g.first + " " + g.last
	}
}

// sentence is a short, plausible description.
func (g *generator) sentence() string {
	var sb strings.Builder
	sb.Grow(220)
	sb.WriteString(g.co.name)
	sb.WriteString(" is evaluating our ")
	sb.WriteString(pick(g, products))
	sb.WriteString(" for its ")
	sb.WriteString(pick(g, departments))
	sb.WriteString(" team in ")
	sb.WriteString(g.pl.city)
	sb.WriteString(". ")
	sb.WriteString(g.first)
	sb.WriteString(" asked about ")
	sb.WriteString(pick(g, topics))
	sb.WriteString(" after the ")
	sb.WriteString(pick(g, events))
	sb.WriteString("; follow up within ")
	sb.WriteString(strconv.Itoa(2 + g.r.IntN(28)))
	sb.WriteString(" days.")
	if g.r.IntN(3) == 0 {
		sb.WriteString(" Budget is about $")
		sb.WriteString(strconv.Itoa(5 + g.r.IntN(495)))
		sb.WriteString("k and a decision is expected in Q")
		sb.WriteString(strconv.Itoa(1 + g.r.IntN(4)))
		sb.WriteString("; ")
		sb.WriteString(pick(g, jobTitles))
		sb.WriteString(" signs off.")
	}
	return sb.String()
}

// strGen adapts a string maker to a field generator that respects the field's length.
func strGen(fn func(g *generator) string) func(*generator, *fieldPlan, []byte) []byte {
	return func(g *generator, p *fieldPlan, b []byte) []byte {
		s := truncate(fn(g), p.f.Length)
		if p.display {
			g.display = s
		}
		return appendJSONString(b, s)
	}
}

// truncate cuts s to at most n characters (n <= 0: no limit), never inside a UTF-8 sequence.
func truncate(s string, n int) string {
	if n <= 0 || len(s) <= n {
		return s
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i, k := 0, 0
	for i < len(s) && k < n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		k++
	}
	return strings.TrimRight(s[:i], " ")
}

func genPicklist(g *generator, p *fieldPlan, b []byte) []byte {
	v := p.choices[g.r.IntN(len(p.choices))]
	if p.display {
		g.display = unquoteSimple(v)
	}
	return append(b, v...)
}

func genMultiSelect(g *generator, p *fieldPlan, b []byte) []byte {
	n := 1 + g.r.IntN(min(3, len(p.choices)))
	start := g.r.IntN(len(p.choices))
	b = append(b, '[')
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, p.choices[(start+i)%len(p.choices)]...)
	}
	return append(b, ']')
}

func genLookup(g *generator, p *fieldPlan, b []byte) []byte {
	i := g.r.IntN(len(p.choices))
	if p.display {
		g.display = p.names[i]
	}
	return append(b, p.choices[i]...)
}

func genWorkMail(g *generator, p *fieldPlan, b []byte) []byte {
	s := truncate(g.firstL+"."+g.lastL+"@"+g.co.domain, p.f.Length)
	return appendJSONString(b, s)
}

func genFreeMail(g *generator, p *fieldPlan, b []byte) []byte {
	s := g.firstL[:1] + g.lastL + strconv.Itoa(g.r.IntN(100)) + "@" + pick(g, freeMail)
	return appendJSONString(b, truncate(s, p.f.Length))
}

func genPhone(g *generator, p *fieldPlan, b []byte) []byte {
	b = append(b, `"+1 555-`...)
	b = appendPadded(b, g.r.IntN(1000), 3)
	b = append(b, '-')
	b = appendPadded(b, g.r.IntN(10000), 4)
	return append(b, '"')
}

// appendPadded appends v with leading zeros to width digits.
func appendPadded(b []byte, v, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], int64(v), 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// genInteger picks an integer range by field name, within the field's digit length.
func genInteger(n string, length int) func(*generator, *fieldPlan, []byte) []byte {
	lo, hi := int64(0), int64(10000)
	switch {
	case strings.Contains(n, "employees"):
		lo, hi = 1, 5000
	case strings.Contains(n, "quantity") || strings.Contains(n, "qty"):
		lo, hi = 1, 100
	case strings.Contains(n, "probability"):
		lo, hi = 0, 100
	case strings.Contains(n, "duration") || strings.Contains(n, "minutes"):
		lo, hi = 5, 120
	}
	if length > 0 && length < 18 {
		limit := int64(1)
		for i := 0; i < length; i++ {
			limit *= 10
		}
		hi = min(hi, limit-1)
	}
	return func(g *generator, p *fieldPlan, b []byte) []byte {
		return strconv.AppendInt(b, lo+g.r.Int64N(hi-lo+1), 10)
	}
}

// genDecimal picks a range by field name; currencies and doubles get up to two decimals.
func genDecimal(n, typ string) func(*generator, *fieldPlan, []byte) []byte {
	if typ == crmd.TypePercent || strings.Contains(n, "probability") {
		return func(g *generator, p *fieldPlan, b []byte) []byte {
			return strconv.AppendInt(b, int64(g.r.IntN(11)*10), 10)
		}
	}
	lo, hi, step := int64(10_000), int64(10_000_000), int64(1) // cents
	switch {
	case strings.Contains(n, "revenue"):
		lo, hi, step = 50_000_00, 50_000_000_00, 1000_00
	case strings.Contains(n, "budget"):
		lo, hi, step = 1_000_00, 1_000_000_00, 100_00
	case strings.Contains(n, "price") || strings.Contains(n, "cost"):
		lo, hi = 10_00, 5_000_00
	case strings.Contains(n, "discount") || strings.Contains(n, "tax") || strings.Contains(n, "adjustment"):
		lo, hi = 0, 500_00
	case strings.Contains(n, "amount") || strings.Contains(n, "total"):
		lo, hi = 500_00, 250_000_00
	}
	return func(g *generator, p *fieldPlan, b []byte) []byte {
		cents := (lo + g.r.Int64N(hi-lo+1)) / step * step
		b = strconv.AppendInt(b, cents/100, 10)
		if c := cents % 100; c != 0 {
			b = append(b, '.')
			b = appendPadded(b, int(c), 2)
		}
		return b
	}
}

// genDate picks a date by field name: closing and due dates ahead, birthdays decades back, others
// around today.
func genDate(n string) func(*generator, *fieldPlan, []byte) []byte {
	return func(g *generator, p *fieldPlan, b []byte) []byte {
		day := 24 * time.Hour
		var t time.Time
		switch {
		case strings.Contains(n, "birth"):
			t = g.now.AddDate(-(22 + g.r.IntN(45)), 0, -g.r.IntN(365))
		case strings.Contains(n, "closing") || strings.Contains(n, "due") || strings.Contains(n, "valid") || strings.Contains(n, "end") || strings.Contains(n, "expir"):
			t = g.now.Add(time.Duration(g.r.IntN(120)) * day)
		case strings.Contains(n, "start") || strings.Contains(n, "since"):
			t = g.now.Add(-time.Duration(g.r.IntN(365)) * day)
		default:
			t = g.now.Add(time.Duration(g.r.IntN(361)-180) * day)
		}
		b = append(b, '"')
		b = t.In(g.loc).AppendFormat(b, time.DateOnly)
		return append(b, '"')
	}
}

// genDatetime picks a time on a quarter hour within a month of now; a field named like an end comes
// an hour or so after the record's previous datetime.
func genDatetime(n string) func(*generator, *fieldPlan, []byte) []byte {
	isEnd := strings.Contains(n, "end")
	return func(g *generator, p *fieldPlan, b []byte) []byte {
		var t time.Time
		if isEnd && !g.lastDT.IsZero() {
			t = g.lastDT.Add(time.Duration(1+g.r.IntN(8)) * 15 * time.Minute)
		} else {
			t = g.now.Add(time.Duration(g.r.IntN(60*24*4)-30*24*4) * 15 * time.Minute).Truncate(15 * time.Minute)
		}
		g.lastDT = t
		b = append(b, '"')
		b = t.UTC().AppendFormat(b, time.RFC3339)
		return append(b, '"')
	}
}

// appendLookup appends a lookup value {"id":"…","name":"…"}.
func appendLookup(b []byte, id crmd.ID, name string) []byte {
	b = append(b, `{"id":"`...)
	b = strconv.AppendInt(b, int64(id), 10)
	b = append(b, `","name":`...)
	b = appendJSONString(b, name)
	return append(b, '}')
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < 0x7f {
			continue
		}
		if c >= 0x80 || c == 0x7f {
			continue // UTF-8 passes through; encoding/json would do the same
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// unquoteSimple reverses appendJSONString for the display name of a picklist display field.
func unquoteSimple(v []byte) string {
	s := string(v)
	if u, err := strconv.Unquote(s); err == nil {
		return u
	}
	return strings.Trim(s, `"`)
}
