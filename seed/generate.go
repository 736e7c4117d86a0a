package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// generator makes the JSON data documents of seeded records. It compiles the module's fields once
// into a plan, one value generator per field chosen by data type and api name, and then writes each
// record straight into a byte buffer: no maps and no reflection, so it keeps ahead of the inserts.
//
// Values are stored exactly as package records stores a client's values (records.Coerce): text-like
// and picklist values are strings, integers and decimals numbers, bigints decimal strings, booleans
// booleans, dates "2006-01-02", datetimes in UTC ("2006-01-02T15:04:05Z", so that their text order is
// their time order), multi-select picklists arrays of strings, lookups {"id","name"}.
type generator struct {
	r     *rand.Rand
	loc   *time.Location
	now   time.Time
	span  time.Duration
	plan  []fieldPlan
	owner []byte // the owner as a lookup value, for mandatory user lookups

	// The current record's person, company and place, shared by its fields so that they agree (the
	// email is made of the name and the company's domain, the city is in the country, …).
	first, last, firstL, lastL string
	co                         company
	pl                         place
	lastDT                     time.Time
	display                    string
	seq, count                 int64 // the run's progress, for creation times

	// emit is the plan's indexes in the order their keys are written: PostgreSQL's jsonb order
	// (shorter keys first, then bytewise). Values are still drawn in plan order (emission order must not
	// change the random stream, and some values depend on the ones before them), into scratch, whose
	// pieces spans marks; record then copies them out in emit order. jsonb sorts every object's keys
	// when it parses it, and its sort returns after one pass over keys that are already in order: on
	// PostgreSQL the sort of the ~25 keys of a Lead was a sixth of a bulk load's server time. The order
	// is invisible to clients (the API answers with the fields in its own order) and SQLite does not
	// care.
	emit    []int
	scratch []byte
	spans   [][2]int // scratch[spans[i][0]:spans[i][1]] is plan[i]'s `"key":value`; [0,0] when absent
}

// fieldPlan is how one field gets its value.
type fieldPlan struct {
	f       *crmd.Field
	key     []byte                                            // `"Api_Name":`
	fill    float64                                           // chance that an optional field gets a value; 1 = always
	gen     func(g *generator, p *fieldPlan, b []byte) []byte // appends the JSON value
	choices [][]byte                                          // pre-encoded picklist values or lookup values
	names   []string                                          // the display names of choices, for lookups
	display bool                                              // the module's display field
}

// newGenerator compiles the plan of a module. Lookup fields draw from up to 1,000 existing records of
// their target module; a mandatory lookup whose target has none is an error.
func newGenerator(ctx context.Context, st *store.Store, org *crmd.Org, mod *crmd.Module, owner *crmd.User, seed uint64, span time.Duration) (*generator, error) {
	g := &generator{
		r:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		loc:  org.Location(),
		now:  time.Now(),
		span: span,
	}
	g.owner = appendLookup(nil, owner.ID, owner.FullName())
	for _, f := range mod.Fields {
		if f.System {
			continue
		}
		lname := strings.ToLower(f.APIName)
		if f.ReadOnly && !(lname == "full_name" && mod.Field("Last_Name") != nil) {
			continue // computed by crmd (Full_Name excepted, which we compute the same way)
		}
		p := fieldPlan{f: f, key: appendJSONString(nil, f.APIName), fill: 1, display: f.APIName == mod.DisplayField}
		p.key = append(p.key, ':')
		ok, err := g.planField(ctx, st, org, &p, lname)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if f.Mandatory || p.display {
			p.fill = 1
		}
		g.plan = append(g.plan, p)
	}
	g.emit = make([]int, len(g.plan))
	for i := range g.emit {
		g.emit[i] = i
	}
	sort.SliceStable(g.emit, func(a, b int) bool {
		ka, kb := g.plan[g.emit[a]].f.APIName, g.plan[g.emit[b]].f.APIName
		if len(ka) != len(kb) {
			return len(ka) < len(kb)
		}
		return ka < kb
	})
	g.spans = make([][2]int, len(g.plan))
	return g, nil
}

// planField chooses the generator of one field and its fill rate; false skips the field.
func (g *generator) planField(ctx context.Context, st *store.Store, org *crmd.Org, p *fieldPlan, n string) (bool, error) {
	f := p.f
	p.fill = 0.8
	switch f.DataType {
	case crmd.TypePicklist, crmd.TypeMultiSelect:
		for _, v := range f.Picklist {
			if v != "-None-" {
				p.choices = append(p.choices, appendJSONString(nil, v))
			}
		}
		if len(p.choices) == 0 {
			if !f.Mandatory || len(f.Picklist) == 0 {
				return false, nil
			}
			p.choices = append(p.choices, appendJSONString(nil, f.Picklist[0]))
		}
		if f.DataType == crmd.TypeMultiSelect {
			p.fill, p.gen = 0.5, genMultiSelect
		} else {
			p.fill, p.gen = 0.9, genPicklist
		}
	case crmd.TypeLookup:
		target, err := st.Module(ctx, org.ID, f.LookupModule)
		if err != nil {
			return false, err
		}
		var refs []store.RecordRef
		if target != nil {
			if refs, err = st.RecordRefs(ctx, org.ID, target.ID, 1000); err != nil {
				return false, err
			}
		}
		if len(refs) == 0 {
			if f.Mandatory {
				return false, fmt.Errorf("field %s is a mandatory lookup of %s, which has no records: seed %s first", f.APIName, f.LookupModule, f.LookupModule)
			}
			return false, nil
		}
		for _, r := range refs {
			p.choices = append(p.choices, appendLookup(nil, r.ID, r.DisplayName))
			p.names = append(p.names, r.DisplayName)
		}
		p.fill, p.gen = 0.6, genLookup
	case crmd.TypeOwnerLookup, crmd.TypeUserLookup:
		if !f.Mandatory {
			return false, nil
		}
		p.gen = func(g *generator, p *fieldPlan, b []byte) []byte { return append(b, g.owner...) }
	case crmd.TypeAutonumber:
		return false, nil
	case crmd.TypeBoolean:
		chance := 0.5
		if strings.Contains(n, "opt_out") {
			chance = 0.1
		}
		p.fill = 0.9
		p.gen = func(g *generator, p *fieldPlan, b []byte) []byte {
			return strconv.AppendBool(b, g.r.Float64() < chance)
		}
	case crmd.TypeInteger:
		p.gen = genInteger(n, f.Length)
	case crmd.TypeBigint:
		p.fill = 0.5
		p.gen = func(g *generator, p *fieldPlan, b []byte) []byte {
			b = append(b, '"')
			b = strconv.AppendInt(b, 1_000_000_000+g.r.Int64N(999_000_000_000), 10)
			return append(b, '"')
		}
	case crmd.TypeCurrency, crmd.TypeDouble, crmd.TypePercent:
		p.gen = genDecimal(n, f.DataType)
	case crmd.TypeDate:
		p.gen = genDate(n)
	case crmd.TypeDatetime:
		p.gen = genDatetime(n)
	case crmd.TypeEmail:
		if strings.Contains(n, "secondary") {
			p.fill, p.gen = 0.2, genFreeMail
		} else {
			p.fill, p.gen = 0.95, genWorkMail
		}
	case crmd.TypePhone:
		switch {
		case n == "phone":
			p.fill = 0.9
		case strings.Contains(n, "mobile"):
			p.fill = 0.6
		case strings.Contains(n, "fax"):
			p.fill = 0.1
		default:
			p.fill = 0.5
		}
		p.gen = genPhone
	case crmd.TypeWebsite:
		p.fill, p.gen = 0.7, strGen(func(g *generator) string { return "https://www." + g.co.domain })
	case crmd.TypeTextarea:
		p.fill = 0.8
		p.gen = strGen(func(g *generator) string { return g.sentence() })
		if strings.Contains(n, "content") || strings.Contains(n, "description") {
			p.fill = 1
		}
	default: // text
		p.fill, p.gen = textGen(n, p.f)
	}
	return true, nil
}

// record appends one record's data document to b and returns it with the record's display name.
func (g *generator) record(b []byte) ([]byte, string) {
	fi, li := g.r.IntN(len(firstNames)), g.r.IntN(len(lastNames))
	g.first, g.last, g.firstL, g.lastL = firstNames[fi], lastNames[li], firstLower[fi], lastLower[li]
	g.co = companies[g.r.IntN(len(companies))]
	g.pl = places[g.r.IntN(len(places))]
	g.lastDT = time.Time{}
	g.display = ""
	sc := g.scratch[:0]
	for i := range g.plan {
		p := &g.plan[i]
		if p.fill < 1 && g.r.Float64() >= p.fill {
			g.spans[i] = [2]int{}
			continue
		}
		start := len(sc)
		sc = append(sc, p.key...)
		sc = p.gen(g, p, sc)
		g.spans[i] = [2]int{start, len(sc)}
	}
	g.scratch = sc
	b = append(b, '{')
	n := 0
	for _, i := range g.emit {
		sp := g.spans[i]
		if sp[1] == 0 {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = append(b, sc[sp[0]:sp[1]]...)
	}
	return append(b, '}'), g.display
}

// startRun prepares the generator for a run of count records: their creation times are spread
// evenly over the span before now, in id order, as a real CRM's are. Keeping creation (and
// modification) times ascending with the ids is also what keeps the inserts fast: the time indexes
// grow at their right edge instead of dirtying pages all over.
func (g *generator) startRun(count int) {
	g.now = time.Now()
	g.seq, g.count = 0, int64(count)
}

// times returns the next record's creation and modification times (Unix ms). Half of the records
// were modified a little after their creation.
func (g *generator) times() (created, modified int64) {
	now := g.now.UnixMilli()
	span := g.span.Milliseconds()
	g.seq++
	created = now
	if span > 0 && g.count > 0 {
		step := span / g.count
		created = now - span + g.seq*span/g.count
		if step > 1 {
			created -= g.r.Int64N(step)
		}
	}
	modified = created
	if g.r.IntN(2) == 0 && now > created {
		modified = created + g.r.Int64N(min(now-created, int64(time.Hour/time.Millisecond))+1)
	}
	return created, modified
}
