package coql_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/coql"
	"github.com/crmd/crmd/criteria"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/store"
	"pgregory.net/rapid"
)

// The property: for random records (live, deleted, unapproved; values of the right shape, of the wrong
// one, missing) and random COQL queries over them, the store's SelectCOQL returns exactly the ids, in
// exactly the order, that the in-memory reading gives: criteria.EvalRelated over the rows, sorted with
// criteria.CompareOrder and the id, windowed by offset and limit. It runs on the store CRMD_TEST_STORE
// names (SQLite, or PostgreSQL).

// propRecord is a record as the test keeps it.
type propRecord struct {
	rec      crmd.Record
	row      *criteria.Row
	live, ok bool // not deleted; approved
}

type propWorld struct {
	st                 *store.Store
	org                *crmdtest.Org
	contacts, accounts *crmd.Module
	recs               map[crmd.ID][]*propRecord // by module id
	rel                map[crmd.ID]map[string]*criteria.Row
	env                criteria.Env
}

func TestPropertyCOQLStoreMatchesEval(t *testing.T) {
	st := crmdtest.OpenStore(t)
	ctx := context.Background()
	for round := 0; round < 3; round++ {
		seed := rand.Uint64()
		t.Logf("round %d: records seed %d", round, seed)
		w := newWorld(t, st, fmt.Sprintf("Prop%d", round), rand.New(rand.NewPCG(seed, seed^0x5eed)))
		accepted, nonEmpty := 0, 0
		rapid.Check(t, func(rt *rapid.T) {
			base := w.contacts
			if rapid.Bool().Draw(rt, "accounts") {
				base = w.accounts
			}
			text := genQuery(rt, base)
			st, err := coql.Parse(text)
			if err != nil {
				rt.Fatalf("generated query does not parse: %s: %v", text, err)
			}
			q, err := coql.Check(st, base, w.resolve, 80)
			if err != nil {
				if e, ok := crmd.AsError(err); !ok || e.Status != 400 {
					rt.Fatalf("%s: %v", text, err)
				}
				return // a value that does not fit its field: refused, nothing to compare
			}
			accepted++
			sq := store.COQLQuery{OrgID: w.org.Org.ID, ModuleID: base.ID, Where: q.Where, Env: w.env, Offset: q.Offset, Limit: q.Limit}
			for _, o := range q.Order {
				sq.Order = append(sq.Order, store.COQLOrder{Field: o.Field, Desc: o.Desc})
			}
			got, err := w.st.SelectCOQL(ctx, sq)
			if err != nil {
				rt.Fatalf("%s: %v", text, err)
			}
			want := w.expect(base, q)
			if want != "" {
				nonEmpty++
			}
			if g, e := ids(got), want; g != e {
				rt.Fatalf("%s\n store %s\n eval  %s", text, g, e)
			}
		})
		t.Logf("round %d: %d queries accepted, %d with a non-empty answer", round, accepted, nonEmpty)
		if accepted == 0 || nonEmpty == 0 {
			t.Fatal("no generated query selected anything: the property checked nothing")
		}
	}
}

func ids(recs []*crmd.Record) string {
	s := make([]string, len(recs))
	for i, r := range recs {
		s[i] = r.ID.String()
	}
	return strings.Join(s, ",")
}

func (w *propWorld) resolve(name string) (*crmd.Module, error) {
	switch name {
	case "Accounts":
		return w.accounts, nil
	case "Contacts":
		return w.contacts, nil
	}
	return nil, nil
}

// expect is the in-memory answer: filter, sort, window.
func (w *propWorld) expect(m *crmd.Module, q *coql.Query) string {
	var rows []*criteria.Row
	for _, r := range w.recs[m.ID] {
		if r.live && r.ok && criteria.EvalRelated(q.Where, r.row, w.env, func(mod crmd.ID, id string) *criteria.Row {
			return w.rel[mod][id]
		}) {
			rows = append(rows, r.row)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		for _, o := range q.Order {
			c := criteria.CompareOrder(o.Field, rows[i], rows[j])
			if o.Desc {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		return rows[i].ID < rows[j].ID
	})
	var out []string
	for i := q.Offset; i < len(rows) && i < q.Offset+q.Limit; i++ {
		out = append(out, rows[i].ID.String())
	}
	return strings.Join(out, ",")
}

// Value pools: small, so that conditions hit records. Values are of the shape the records service stores
// (the store's expression indexes rely on it; values of the wrong shape are criteria's own property
// test's business), with null and missing values mixed in.
var (
	textVals   = []any{"alpha", "Alpha", "ALPHA beta", "beta", "b%ta", "b_ta", "it's", nil, "zeta", "Ähm"}
	numVals    = []any{-5, 0, 3, 3.5, 10, 10.0, 1000000, 12, nil, 2.25}
	dateVals   = []any{"2024-01-01", "2024-06-15", "2023-12-31", nil}
	boolVals   = []any{true, false, nil}
	pickVals   = []any{"Customer", "Partner", "customer", "Vendor", nil}
	queryTexts = []string{"'alpha'", "'ALPHA'", "'beta'", "'b%ta'", "'zeta'", "'it''s'", "'Ähm'", "'nothing'"}
	queryLikes = []string{"'al%'", "'%ta'", "'%e%'", "'b_ta'", "'%'", "'ALPHA%'", "'x'"}
	queryNums  = []string{"-5", "0", "3", "3.5", "10", "12", "1000000", "2.25", "'7'"}
	queryDates = []string{"'2024-01-01'", "'2024-06-15'", "'2023-12-31'", "'2025-01-01'"}
	queryTimes = []string{"'2024-01-01T00:00:00+05:30'", "'2024-03-10T12:00:00Z'", "'2024-03-10'", "'2024-06-01T00:00:00-04:00'"}
	queryPicks = []string{"'Customer'", "'partner'", "'Vendor'", "'Other'"}
)

func newWorld(t *testing.T, st *store.Store, name string, r *rand.Rand) *propWorld {
	t.Helper()
	ctx := context.Background()
	o := crmdtest.NewTeam(t, st, name, "Asia/Kolkata")
	w := &propWorld{st: st, org: o, contacts: o.Module(t, "Contacts"), accounts: o.Module(t, "Accounts"),
		recs: map[crmd.ID][]*propRecord{}, rel: map[crmd.ID]map[string]*criteria.Row{},
		env: criteria.Env{Loc: o.Org.Location(), UserID: o.Admin.ID, Now: time.Date(2024, 5, 13, 8, 0, 0, 0, time.UTC)}}
	users := []crmd.ID{o.Admin.ID, o.Std.ID}
	pick := func(vs []any) any { return vs[r.IntN(len(vs))] }
	nAcc, nCon := 25+r.IntN(15), 40+r.IntN(20)
	err := st.Tx(ctx, func(tx *store.Tx) error {
		first, err := st.AllocIDs(ctx, tx, o.Org.ID, nAcc+nCon)
		if err != nil {
			return err
		}
		var accIDs []crmd.ID
		for i := 0; i < nAcc; i++ {
			accIDs = append(accIDs, first+crmd.ID(i))
		}
		lookup := func() any {
			if r.IntN(4) == 0 {
				return nil
			}
			id := accIDs[r.IntN(len(accIDs))]
			return map[string]any{"id": id.String(), "name": "x"}
		}
		var recs []crmd.Record
		for i := 0; i < nAcc+nCon; i++ {
			m := w.accounts
			data := map[string]any{}
			set := func(k string, v any) {
				if v != nil || r.IntN(2) == 0 {
					data[k] = v
				}
			}
			if i < nAcc {
				set("Account_Name", pick(textVals))
				set("Phone", pick(textVals))
				set("Account_Type", pick(pickVals))
				set("Employees", pick(numVals))
				set("Annual_Revenue", pick(numVals))
				set("Parent_Account", lookup())
			} else {
				m = w.contacts
				set("Last_Name", pick(textVals))
				set("Email", pick(textVals))
				set("Lead_Source", pick(pickVals))
				set("Date_of_Birth", pick(dateVals))
				set("Email_Opt_Out", pick(boolVals))
				set("Account_Name", lookup())
			}
			for k, v := range data {
				if v == nil && r.IntN(2) == 0 {
					delete(data, k)
				}
			}
			raw, _ := json.Marshal(data)
			ct := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(200*24)) * time.Hour).UnixMilli()
			rec := crmd.Record{ID: first + crmd.ID(i), OrgID: o.Org.ID, ModuleID: m.ID, OwnerID: users[r.IntN(2)],
				CreatedBy: users[r.IntN(2)], ModifiedBy: users[r.IntN(2)], CreatedTime: ct, ModifiedTime: ct + int64(r.IntN(5))*1000,
				ApprovalState: "approved", Data: raw}
			if r.IntN(8) == 0 {
				rec.ApprovalState = "rejected"
			}
			if r.IntN(8) == 0 {
				rec.DeletedTime, rec.DeletedBy = ct+1, o.Admin.ID
			}
			recs = append(recs, rec)
		}
		for i := range recs {
			rec := recs[i]
			dec := json.NewDecoder(bytes.NewReader(rec.Data))
			dec.UseNumber()
			var d map[string]any
			if err := dec.Decode(&d); err != nil {
				return err
			}
			pr := &propRecord{rec: rec, live: rec.DeletedTime == 0, ok: rec.ApprovalState == "approved",
				row: &criteria.Row{ID: rec.ID, OwnerID: rec.OwnerID, CreatedBy: rec.CreatedBy, ModifiedBy: rec.ModifiedBy,
					CreatedTime: rec.CreatedTime, ModifiedTime: rec.ModifiedTime, Data: d}}
			w.recs[rec.ModuleID] = append(w.recs[rec.ModuleID], pr)
			if pr.live {
				if w.rel[rec.ModuleID] == nil {
					w.rel[rec.ModuleID] = map[string]*criteria.Row{}
				}
				w.rel[rec.ModuleID][rec.ID.String()] = pr.row
			}
		}
		return st.InsertRecords(ctx, tx, recs)
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// propField is a column the generator may use, with the literals that suit it.
type propField struct {
	name string
	ops  []string
	vals []string
}

func fieldsOf(m *crmd.Module) []propField {
	text := []string{"=", "!=", "in", "not in", "like", "not like", "is null", "is not null"}
	pickOps := []string{"=", "!=", "in", "not in", "is null", "is not null"}
	num := []string{"=", "!=", "<", ">", "<=", ">=", "in", "not in", "between", "is null", "is not null"}
	date := []string{"=", "!=", "<", ">", "<=", ">=", "between", "is null", "is not null"}
	common := []propField{
		{"id", num, []string{"1", "999999999999"}},
		{"Created_Time", date, queryTimes},
		{"Modified_Time", date, queryTimes},
	}
	if m.APIName == "Accounts" {
		acc := []propField{
			{"Account_Name", text, queryTexts},
			{"Phone", text, queryTexts},
			{"Account_Type", pickOps, queryPicks},
			{"Employees", num, queryNums},
			{"Annual_Revenue", num, queryNums},
		}
		out := append(append([]propField{}, common...), acc...)
		for _, f := range acc {
			out = append(out, propField{"Parent_Account." + f.name, f.ops, f.vals})
		}
		return out
	}
	out := append(append([]propField{}, common...),
		propField{"Last_Name", text, queryTexts},
		propField{"Email", text, queryTexts},
		propField{"Lead_Source", pickOps, queryPicks},
		propField{"Date_of_Birth", date, queryDates},
		propField{"Email_Opt_Out", []string{"=", "!=", "is null", "is not null"}, []string{"true", "false"}},
		propField{"Account_Name", []string{"is null", "is not null"}, nil},
		propField{"Account_Name.Account_Name", text, queryTexts},
		propField{"Account_Name.Employees", num, queryNums},
		propField{"Account_Name.Account_Type", pickOps, queryPicks},
	)
	return out
}

// genQuery draws a query over m: a WHERE tree of up to three levels of bracketed pairs, up to three order
// keys, a window.
func genQuery(rt *rapid.T, m *crmd.Module) string {
	fields := fieldsOf(m)
	var cond func(depth int) string
	cond = func(depth int) string {
		if depth < 3 && rapid.IntRange(0, 2).Draw(rt, "group") == 0 {
			op := rapid.SampledFrom([]string{"and", "or"}).Draw(rt, "op")
			return "(" + cond(depth+1) + " " + op + " " + cond(depth+1) + ")"
		}
		f := rapid.SampledFrom(fields).Draw(rt, "field")
		op := rapid.SampledFrom(f.ops).Draw(rt, "operator")
		val := func() string { return rapid.SampledFrom(f.vals).Draw(rt, "value") }
		switch op {
		case "is null", "is not null":
			return f.name + " " + op
		case "in", "not in":
			n := rapid.IntRange(1, 3).Draw(rt, "n")
			vs := make([]string, n)
			for i := range vs {
				vs[i] = val()
			}
			return f.name + " " + op + " (" + strings.Join(vs, ", ") + ")"
		case "between":
			return f.name + " between " + val() + " and " + val()
		case "like", "not like":
			return f.name + " " + op + " " + rapid.SampledFrom(queryLikes).Draw(rt, "pattern")
		}
		return f.name + " " + op + " " + val()
	}
	q := "select id from " + m.APIName
	if rapid.IntRange(0, 5).Draw(rt, "where") > 0 {
		q += " where " + cond(0)
	}
	var orderable []string
	for _, f := range fields {
		if !strings.Contains(f.name, ".") && f.name != "Account_Name" || m.APIName == "Accounts" && f.name == "Account_Name" {
			orderable = append(orderable, f.name)
		}
	}
	orderable = append(orderable, "Owner")
	keys := rapid.SliceOfNDistinct(rapid.SampledFrom(orderable), 0, 3, func(s string) string { return s }).Draw(rt, "order")
	if len(keys) > 0 {
		for i, k := range keys {
			keys[i] = k + rapid.SampledFrom([]string{"", " asc", " desc"}).Draw(rt, "dir")
		}
		q += " order by " + strings.Join(keys, ", ")
	}
	limit := rapid.IntRange(1, 30).Draw(rt, "limit")
	switch rapid.IntRange(0, 2).Draw(rt, "window") {
	case 0:
		q += fmt.Sprintf(" limit %d", limit)
	case 1:
		q += fmt.Sprintf(" limit %d, %d", rapid.IntRange(0, 20).Draw(rt, "offset"), limit)
	}
	return q
}
