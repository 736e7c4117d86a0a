package criteria

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the property test runs in zones the machine may not have

	"github.com/crmd/crmd"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
	"pgregory.net/rapid"
)

// The property: for random records and random criteria, the rows the compiled SQL selects are exactly the
// rows Eval accepts. This is what makes the package's semantics one semantics.

const criteriaPerCase = 40 // criteria checked against each random set of records

func TestPropertySQLiteMatchesEval(t *testing.T) {
	db := sqliteDB(t, `CREATE TABLE records (
		id INTEGER PRIMARY KEY, owner_id INTEGER NOT NULL, created_by INTEGER NOT NULL,
		modified_by INTEGER NOT NULL, created_time INTEGER NOT NULL, modified_time INTEGER NOT NULL,
		data TEXT NOT NULL)`)
	runProperty(t, &backend{db: db, dialect: SQLite, table: "records"})
}

func TestPropertyPostgresMatchesEval(t *testing.T) {
	db := postgresDB(t, `CREATE TABLE records (
		id bigint PRIMARY KEY, owner_id bigint NOT NULL, created_by bigint NOT NULL,
		modified_by bigint NOT NULL, created_time bigint NOT NULL, modified_time bigint NOT NULL,
		data jsonb NOT NULL)`)
	runProperty(t, &backend{db: db, dialect: Postgres, table: "records"})
}

// sqliteDB opens a SQLite file in the test's directory (one connection) and runs the table's DDL.
func sqliteDB(t *testing.T, ddl string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "criteria.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(ddl); err != nil {
		t.Fatal(err)
	}
	return db
}

// postgresDB opens CRMD_TEST_POSTGRES with a fresh schema first on the search path (so that compiled
// SQL naming the records table unqualified finds the test's), runs the DDL there and drops the schema
// when the test ends. Without CRMD_TEST_POSTGRES the test skips (CI sets it and fails on the skip).
func postgresDB(t *testing.T, ddl string) *sql.DB {
	t.Helper()
	dsn := os.Getenv("CRMD_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("set CRMD_TEST_POSTGRES to a PostgreSQL DSN (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run the property test against PostgreSQL")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "crit_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("dropping %s: %v", schema, err)
		}
	})
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	db, err := sql.Open("pgx", dsn+sep+"search_path="+schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(ddl); err != nil {
		t.Fatal(err)
	}
	return db
}

// backend is one database holding the records table.
type backend struct {
	db      *sql.DB
	dialect Dialect
	table   string
}

// testRow is a record both as inserted and as Eval sees it.
type testRow struct {
	row  Row
	data string // records.data JSON
}

func (b *backend) sql(q string) string {
	if b.dialect != Postgres {
		return q
	}
	return dollarParams(q)
}

// dollarParams rewrites ? to $1, $2, …: what the store does for PostgreSQL. It can be this naive because
// Compile promises no "?" except placeholders.
func dollarParams(q string) string {
	var sb strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			sb.WriteString("$" + strconv.Itoa(n))
			continue
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

func (b *backend) load(rows []testRow) error {
	tx, err := b.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.Exec("DELETE FROM " + b.table); err != nil {
		return err
	}
	ins := b.sql("INSERT INTO " + b.table + " (id, owner_id, created_by, modified_by, created_time, modified_time, data) VALUES (?, ?, ?, ?, ?, ?, ?)")
	for _, r := range rows {
		if _, err := tx.Exec(ins, int64(r.row.ID), int64(r.row.OwnerID), int64(r.row.CreatedBy), int64(r.row.ModifiedBy),
			r.row.CreatedTime, r.row.ModifiedTime, r.data); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func (b *backend) ids(where string, args []any) ([]int64, error) {
	rs, err := b.db.Query(b.sql("SELECT r.id FROM "+b.table+" r WHERE "+where+" ORDER BY r.id"), args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []int64
	for rs.Next() {
		var id int64
		if err := rs.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rs.Err()
}

func runProperty(t *testing.T, b *backend) {
	m := testModule()
	var checks, rowsSeen, someNotAll int
	start := time.Now()
	rapid.Check(t, func(rt *rapid.T) {
		g := &gen{t: rt, m: m}
		env := g.env()
		rows := g.rows(env)
		if err := b.load(rows); err != nil {
			rt.Fatalf("loading records: %v", err)
		}
		for i := 0; i < criteriaPerCase; i++ {
			raw := g.node(0)
			rawJSON, _ := json.Marshal(raw)
			n, err := Parse(raw, m)
			if err != nil {
				rt.Fatalf("generated criteria rejected: %s\n%v %v", rawJSON, err, detailsOf(err))
			}
			where, args := Compile(n, Target{Dialect: b.dialect, Alias: "r"}, env)
			if q := strings.Count(where, "?"); q != len(args) {
				rt.Fatalf("%d placeholders for %d args in %s", q, len(args), where)
			}
			got, err := b.ids(where, args)
			if err != nil {
				rt.Fatalf("query failed: %v\ncriteria %s\nSQL %s\nargs %v", err, rawJSON, where, args)
			}
			var want []int64
			for _, r := range rows {
				if Eval(n, &r.row, env) {
					want = append(want, int64(r.row.ID))
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				var diff strings.Builder
				inGot := map[int64]bool{}
				for _, id := range got {
					inGot[id] = true
				}
				inWant := map[int64]bool{}
				for _, id := range want {
					inWant[id] = true
				}
				for _, r := range rows {
					id := int64(r.row.ID)
					if inGot[id] != inWant[id] {
						fmt.Fprintf(&diff, "  id %d sql=%v eval=%v owner=%d created_by=%d modified_by=%d created=%d modified=%d data=%s\n",
							id, inGot[id], inWant[id], r.row.OwnerID, r.row.CreatedBy, r.row.ModifiedBy, r.row.CreatedTime, r.row.ModifiedTime, r.data)
					}
				}
				rt.Fatalf("SQL and Eval disagree\nenv now=%s loc=%s user=%d\ncriteria %s\nSQL %s\nargs %#v\n%s",
					env.Now.Format(time.RFC3339), env.Loc, env.UserID, rawJSON, where, args, diff.String())
			}
			checks++
			rowsSeen += len(rows)
			if len(got) > 0 && len(got) < len(rows) {
				someNotAll++
			}
		}
	})
	t.Logf("%d criteria checked against %d record evaluations in %v; %d (%.0f%%) selected some but not all records",
		checks, rowsSeen, time.Since(start).Round(time.Millisecond), someNotAll, 100*float64(someNotAll)/float64(max(checks, 1)))
}

// gen draws records and criteria.
type gen struct {
	t     *rapid.T
	m     *crmd.Module
	today time.Time // midnight UTC standing for today's date in env.Loc
	loc   *time.Location
}

func (g *gen) intn(lo, hi int) int { return rapid.IntRange(lo, hi).Draw(g.t, "n") }
func (g *gen) chance(n int) bool   { return g.intn(0, n-1) == 0 }
func (g *gen) pick(xs ...any) any  { return xs[g.intn(0, len(xs)-1)] }
func (g *gen) pickS(xs ...string) string {
	return xs[g.intn(0, len(xs)-1)]
}

var (
	testNows = []string{"2024-02-29T10:30:00Z", "2023-12-31T23:30:00Z", "2025-03-09T07:30:00Z", "2024-10-06T00:15:00Z",
		"2024-01-01T04:00:00Z", "2025-06-30T18:45:00Z", "2024-11-03T05:59:59Z"}
	testZones = []string{"UTC", "America/New_York", "Asia/Kolkata", "Pacific/Chatham", "Australia/Lord_Howe",
		"Pacific/Kiritimati", "America/St_Johns", "Pacific/Pago_Pago"}
	users = []crmd.ID{1001, 1002, 1003}
	// Text is built from tokens chosen to break naive implementations: LIKE wildcards, quotes, backslash,
	// SQL comment and statement syntax, mixed case, and non-ASCII letters whose Unicode case folding
	// differs from ASCII folding (É/é, the Kelvin sign, dotted İ, ß).
	textTokens = []string{"a", "A", "b", "B", "%", "_", "'", `"`, `\`, "é", "É", "ß", "\u212a", "k", "K", " ", "x",
		"İ", "i", "ab", "--", ";", "été", "'; DROP TABLE records; --", "?", "$1"}
	stages = []string{"Open", "open", "OPEN", "Closed", "Won %", "won %", "Lost_1", "Lost11", "Ünïcode"}
	tagSet = []string{"Red", "red", "Blue", "%", "x_y", "X_Y", "xzy"}
)

func (g *gen) env() Env {
	now, _ := time.Parse(time.RFC3339, g.pickS(testNows...))
	now = now.Add(time.Duration(g.intn(-200000, 200000)) * time.Second)
	loc, err := time.LoadLocation(g.pickS(testZones...))
	if err != nil {
		g.t.Fatal(err)
	}
	g.loc = loc
	l := now.In(loc)
	g.today = time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
	return Env{Now: now, Loc: loc, UserID: users[g.intn(0, len(users)-1)]}
}

// day draws a date near the boundaries the keywords care about.
func (g *gen) day() time.Time {
	t := g.today
	switch g.intn(0, 4) {
	case 0:
		return t.AddDate(0, 0, g.intn(-40, 40))
	case 1:
		return t.AddDate(0, 0, g.intn(-800, 800))
	case 2:
		m := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		return m.AddDate(0, g.intn(-26, 26), -g.intn(0, 1))
	case 3:
		w := t.AddDate(0, 0, -int(t.Weekday()))
		return w.AddDate(0, 0, 7*g.intn(-14, 14)-g.intn(0, 1))
	default:
		y := time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
		return y.AddDate(g.intn(-4, 4), 0, -g.intn(0, 1))
	}
}

// instant draws a moment near the start or end of a day in the org's zone.
func (g *gen) instant() time.Time {
	d := g.day()
	mid := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, g.loc)
	secs := []int{0, -1, 1, 43200, 86399, 86400, g.intn(0, 86399)}
	return mid.Add(time.Duration(secs[g.intn(0, len(secs)-1)]) * time.Second)
}

func (g *gen) text(maxTokens int) string {
	var sb strings.Builder
	for n := g.intn(1, maxTokens); n > 0; n-- {
		sb.WriteString(g.pickS(textTokens...))
	}
	return sb.String()
}

func (g *gen) rows(env Env) []testRow {
	n := g.intn(5, 30)
	rows := make([]testRow, n)
	for i := range rows {
		data := map[string]any{}
		for _, f := range g.m.Fields {
			if f.System {
				continue
			}
			if v, ok := g.stored(f); ok {
				data[f.APIName] = v
			}
		}
		b, err := json.Marshal(data)
		if err != nil {
			g.t.Fatal(err)
		}
		owner := func() crmd.ID {
			if g.chance(15) {
				return 0
			}
			return users[g.intn(0, len(users)-1)]
		}
		ms := func() int64 {
			t := g.instant().UnixMilli()
			if g.chance(2) {
				t += int64(g.intn(0, 999))
			}
			return t
		}
		r := Row{ID: crmd.ID(i + 1), OwnerID: owner(), CreatedBy: owner(), ModifiedBy: owner(), CreatedTime: ms(), ModifiedTime: ms()}
		d := json.NewDecoder(strings.NewReader(string(b)))
		d.UseNumber()
		if err := d.Decode(&r.Data); err != nil {
			g.t.Fatal(err)
		}
		rows[i] = testRow{row: r, data: string(b)}
	}
	return rows
}

func jnum(s string) json.Number { return json.Number(s) }

// stored draws a stored value for f: mostly well-formed, sometimes missing, null, empty or of the wrong
// shape (which must read as empty everywhere).
func (g *gen) stored(f *crmd.Field) (any, bool) {
	switch g.intn(0, 9) {
	case 0:
		return nil, false
	case 1:
		return nil, true
	case 2:
		wrong := []any{"", jnum("5"), true, map[string]any{"a": jnum("1")}, []any{"a"}, "x"}
		switch kindOf(f) {
		case kNumber:
			wrong = append(wrong, "abc", "1.5", "+5", " 5", "0x10", "1234567890123456789", "-", "007", "-0", "-42")
		case kDate:
			wrong = append(wrong, "2024-1-1", "2024-01-01T00:00:00Z", jnum("20240101"), "abcd-ef-gh", "2024-01-01 ")
		case kDatetime:
			wrong = append(wrong, fmtInstant(g.instant())[:19]+"+05:30", "2024-01-01", "2024-01-01T00:00:00.000Z")
		case kLookup:
			wrong = append(wrong, map[string]any{"id": ""}, map[string]any{"id": jnum("1001")}, "1001", map[string]any{"name": "x"})
		case kMulti:
			wrong = append(wrong, "Red", []any{}, []any{""}, []any{jnum("7"), nil})
		case kBool:
			wrong = append(wrong, "true", jnum("1"))
		}
		return wrong[g.intn(0, len(wrong)-1)], true
	}
	switch kindOf(f) {
	case kText:
		return g.text(4), true
	case kPicklist:
		return g.pickS(stages...), true
	case kMulti:
		var arr []any
		for n := g.intn(0, 3); n > 0; n-- {
			arr = append(arr, g.pickS(tagSet...))
		}
		if g.chance(6) {
			arr = append(arr, "", jnum("7"))
		}
		return arr, true
	case kNumber:
		switch f.DataType {
		case crmd.TypeInteger:
			if g.chance(4) {
				return jnum(strconv.Itoa(g.intn(-1000000, 1000000))), true
			}
			return jnum(strconv.Itoa(g.intn(-6, 6))), true
		case crmd.TypeBigint:
			switch g.intn(0, 3) {
			case 0:
				return jnum(strconv.Itoa(g.intn(-6, 6))), true
			case 1:
				return g.pickS("123456789012345678", "-123456789012345678", "9007199254740993"), true
			default:
				return strconv.Itoa(g.intn(-6, 6)), true // bigint as the records service stores it
			}
		default:
			switch g.intn(0, 3) {
			case 0:
				return jnum(strconv.Itoa(g.intn(-6, 6))), true
			case 1:
				return jnum(strconv.FormatFloat(float64(g.intn(-40, 40))/4, 'f', -1, 64)), true
			case 2:
				return jnum(strconv.FormatFloat(float64(g.intn(-100000, 100000))/100, 'f', -1, 64)), true
			default:
				return jnum(g.pickS("1e2", "2.50", "-0.0", "1E-2", "0.1", "0.30000000000000004")), true
			}
		}
	case kBool:
		return g.chance(2), true
	case kDate:
		return g.day().Format(dateLayout), true
	case kDatetime:
		return fmtInstant(g.instant()), true
	case kLookup:
		if f.DataType == crmd.TypeLookup {
			return map[string]any{"id": g.pickS("5001", "5002", "5003"), "name": "Acme"}, true
		}
		return map[string]any{"id": users[g.intn(0, len(users)-1)].String(), "name": "User"}, true
	}
	return nil, false
}

// node draws a criteria tree of depth at most 3 with groups of 2–4 members.
func (g *gen) node(depth int) any {
	groupOdds := 3
	if depth == 0 {
		groupOdds = 2
	}
	if depth < 3 && g.chance(groupOdds) {
		members := make([]any, g.intn(2, 4))
		for i := range members {
			members[i] = g.node(depth + 1)
		}
		return map[string]any{"group_operator": g.pickS("and", "AND", "or", "OR", "Or"), "group": members}
	}
	return g.leaf()
}

func (g *gen) leaf() any {
	var fields []*crmd.Field
	for _, f := range g.m.Fields {
		if kindOf(f) != kNone {
			fields = append(fields, f)
		}
	}
	f := fields[g.intn(0, len(fields)-1)]
	k := kindOf(f)
	var ref any
	switch g.intn(0, 2) {
	case 0:
		ref = f.APIName
	case 1:
		ref = map[string]any{"api_name": f.APIName, "id": f.ID.String()}
	default:
		ref = map[string]any{"id": f.ID.String()}
	}
	cs := comparators[k]
	c := cs[g.intn(0, len(cs)-1)]
	return map[string]any{"field": ref, "comparator": c, "value": g.value(f, k, c)}
}

func (g *gen) value(f *crmd.Field, k kind, c string) any {
	if (c == Equal || c == NotEqual) && g.chance(6) {
		if k == kText || k == kPicklist || k == kMulti {
			return g.pickS("${EMPTY}", "${NOTEMPTY}", "${empty}", "")
		}
		return g.pickS("${EMPTY}", "${NOTEMPTY}")
	}
	list := c == In || c == NotIn || (c == Equal || c == NotEqual) && listable(k) && g.chance(5)
	if list {
		arr := make([]any, g.intn(1, 4))
		for i := range arr {
			arr[i] = g.scalar(f, k, c, false)
		}
		return arr
	}
	if c == Between || c == NotBetween {
		return []any{g.scalar(f, k, c, true), g.scalar(f, k, c, true)}
	}
	return g.scalar(f, k, c, true)
}

var plainKeywordList = []string{"TODAY", "YESTERDAY", "TOMORROW", "THISWEEK", "LASTWEEK", "NEXTWEEK", "THISMONTH",
	"LASTMONTH", "NEXTMONTH", "THISQUARTER", "LASTQUARTER", "NEXTQUARTER", "THISYEAR", "LASTYEAR", "NEXTYEAR"}
var nKeywordList = []string{"LAST_N_DAYS", "NEXT_N_DAYS", "LAST_N_WEEKS", "NEXT_N_WEEKS", "LAST_N_MONTHS",
	"NEXT_N_MONTHS", "LAST_N_YEARS", "NEXT_N_YEARS"}

func (g *gen) scalar(f *crmd.Field, k kind, c string, keywords bool) any {
	switch k {
	case kText:
		if c == Like || c == NotLike {
			var sb strings.Builder
			for n := g.intn(1, 4); n > 0; n-- {
				sb.WriteString(g.pickS(append(textTokens, "%", "_", "%", "_%")...))
			}
			return sb.String()
		}
		return g.text(2)
	case kPicklist:
		return g.pickS(stages...)
	case kMulti:
		return g.pickS(tagSet...)
	case kNumber:
		if integral(f) {
			if g.chance(5) {
				return strconv.Itoa(g.intn(-7, 7))
			}
			if f.DataType == crmd.TypeBigint && g.chance(5) {
				return jnum(g.pickS("123456789012345678", "-123456789012345677", "9007199254740992"))
			}
			return jnum(strconv.Itoa(g.intn(-7, 7)))
		}
		switch g.intn(0, 3) {
		case 0:
			return jnum(strconv.Itoa(g.intn(-7, 7)))
		case 1:
			return jnum(strconv.FormatFloat(float64(g.intn(-40, 40))/4, 'f', -1, 64))
		case 2:
			return strconv.FormatFloat(float64(g.intn(-100000, 100000))/100, 'f', -1, 64)
		default:
			return jnum(g.pickS("100", "0.1", "0.3", "0.30000000000000004", "-0", "1e-2"))
		}
	case kBool:
		return g.chance(2)
	case kDate, kDatetime:
		if keywords && g.chance(2) {
			if g.chance(2) {
				kw := g.pickS(plainKeywordList...)
				if g.chance(5) {
					kw = strings.ToLower(kw)
				}
				return "${" + kw + "}"
			}
			return "${" + g.pickS(nKeywordList...) + ":" + strconv.Itoa(g.intn(1, 3)*int(g.pick(1, 1, 7, 13, 30).(int))) + "}"
		}
		if k == kDate || g.chance(4) {
			return g.day().Format(dateLayout)
		}
		t := g.instant()
		zone, _ := time.LoadLocation(g.pickS(testZones...))
		return t.In(zone).Format(time.RFC3339)
	case kLookup:
		if userRef(f) {
			switch g.intn(0, 4) {
			case 0:
				return "${CURRENTUSER}"
			case 1:
				return map[string]any{"name": "${CURRENTUSER}"}
			case 2:
				return users[g.intn(0, len(users)-1)].String()
			case 3:
				return jnum(users[g.intn(0, len(users)-1)].String())
			default:
				return map[string]any{"id": users[g.intn(0, len(users)-1)].String(), "name": "x"}
			}
		}
		id := g.pickS("5001", "5002", "5003", "5009")
		switch g.intn(0, 2) {
		case 0:
			return id
		case 1:
			return jnum(id)
		default:
			return map[string]any{"id": id}
		}
	}
	return nil
}
