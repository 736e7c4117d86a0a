package records

import (
	"context"
	"encoding/json"
	"math"
	"testing"
	_ "time/tzdata" // org time zones must resolve on machines without a zoneinfo database

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/store"
	"github.com/crmd/crmd/territories"
	"github.com/crmd/crmd/views"
)

func num(s string) json.Number { return json.Number(s) }

func TestCoerce(t *testing.T) {
	f := func(typ string, length int) *crmd.Field {
		return &crmd.Field{APIName: "F", DataType: typ, Length: length, DecimalPlace: map[string]int{crmd.TypeCurrency: 2}[typ]}
	}
	type bad struct{ maxLen bool } // the expected error: a type error, or a length error
	cases := []struct {
		name  string
		field *crmd.Field
		in    any
		want  any  // the stored value when ok
		err   *bad // nil = ok
	}{
		{"text", f(crmd.TypeText, 5), "abc", "abc", nil},
		{"text max length counts characters", f(crmd.TypeText, 3), "äöü", "äöü", nil},
		{"text too long", f(crmd.TypeText, 3), "abcd", nil, &bad{true}},
		{"text number", f(crmd.TypeText, 5), num("12"), nil, &bad{}},
		{"text empty clears", f(crmd.TypeText, 5), "", nil, nil},
		{"null clears", f(crmd.TypeText, 5), nil, nil, nil},
		{"textarea", f(crmd.TypeTextarea, 32000), "a\nb", "a\nb", nil},
		{"email", f(crmd.TypeEmail, 100), "j.smith@zylker.com", "j.smith@zylker.com", nil},
		{"email without at", f(crmd.TypeEmail, 100), "zylker.com", nil, &bad{}},
		{"email with space", f(crmd.TypeEmail, 100), "j smith@zylker.com", nil, &bad{}},
		{"email bool", f(crmd.TypeEmail, 100), true, nil, &bad{}},
		{"phone", f(crmd.TypePhone, 30), "+1 555 0100", "+1 555 0100", nil},
		{"phone number", f(crmd.TypePhone, 30), num("5550100"), nil, &bad{}},
		{"website", f(crmd.TypeWebsite, 255), "https://zylker.com", "https://zylker.com", nil},
		{"picklist any string", f(crmd.TypePicklist, 120), "Not In The List", "Not In The List", nil},
		{"picklist number", f(crmd.TypePicklist, 120), num("1"), nil, &bad{}},
		{"multiselect", f(crmd.TypeMultiSelect, 2000), []any{"a", "b"}, []any{"a", "b"}, nil},
		{"multiselect empty", f(crmd.TypeMultiSelect, 2000), []any{}, []any{}, nil},
		{"multiselect string", f(crmd.TypeMultiSelect, 2000), "a", nil, &bad{}},
		{"multiselect non-string item", f(crmd.TypeMultiSelect, 2000), []any{"a", num("1")}, nil, &bad{}},
		{"integer", f(crmd.TypeInteger, 9), num("42"), int64(42), nil},
		{"integer negative", f(crmd.TypeInteger, 9), num("-42"), int64(-42), nil},
		{"integer digit string", f(crmd.TypeInteger, 9), "42", int64(42), nil},
		{"integer fraction", f(crmd.TypeInteger, 9), num("4.2"), nil, &bad{}},
		{"integer exponent", f(crmd.TypeInteger, 9), num("4e2"), nil, &bad{}},
		{"integer word", f(crmd.TypeInteger, 9), "forty", nil, &bad{}},
		{"integer bool", f(crmd.TypeInteger, 9), true, nil, &bad{}},
		{"integer too many digits", f(crmd.TypeInteger, 9), num("1234567890"), nil, &bad{true}},
		{"integer beyond int32", f(crmd.TypeInteger, 0), num("2147483648"), nil, &bad{}},
		{"bigint as string", f(crmd.TypeBigint, 18), num("123456789012345678"), "123456789012345678", nil},
		{"bigint digit string", f(crmd.TypeBigint, 18), "-9007199254740993", "-9007199254740993", nil},
		{"bigint beyond int64", f(crmd.TypeBigint, 0), num("9223372036854775808"), nil, &bad{}},
		{"double", f(crmd.TypeDouble, 16), num("1.5"), 1.5, nil},
		{"double integer literal", f(crmd.TypeDouble, 16), num("3"), 3.0, nil},
		{"double string", f(crmd.TypeDouble, 16), "1.5", nil, &bad{}},
		{"currency rounds to its decimals", f(crmd.TypeCurrency, 16), num("1234.567"), 1234.57, nil},
		{"currency too many digits", f(crmd.TypeCurrency, 3), num("1234.5"), nil, &bad{true}},
		{"percent", f(crmd.TypePercent, 5), num("12.5"), 12.5, nil},
		{"boolean", f(crmd.TypeBoolean, 0), false, false, nil},
		{"boolean string", f(crmd.TypeBoolean, 0), "true", nil, &bad{}},
		{"boolean number", f(crmd.TypeBoolean, 0), num("1"), nil, &bad{}},
		{"date", f(crmd.TypeDate, 0), "2024-02-29", "2024-02-29", nil},
		{"date impossible", f(crmd.TypeDate, 0), "2023-02-29", nil, &bad{}},
		{"date with time", f(crmd.TypeDate, 0), "2024-02-29T10:00:00Z", nil, &bad{}},
		{"datetime stored in UTC", f(crmd.TypeDatetime, 0), "2024-05-13T13:32:33+05:30", "2024-05-13T08:02:33Z", nil},
		{"datetime with offset", f(crmd.TypeDatetime, 0), "2024-05-13T01:02:33-07:00", "2024-05-13T08:02:33Z", nil},
		{"datetime without offset", f(crmd.TypeDatetime, 0), "2024-05-13T08:02:33", nil, &bad{}},
		{"datetime date only", f(crmd.TypeDatetime, 0), "2024-05-13", nil, &bad{}},
		{"lookup object", f(crmd.TypeLookup, 0), map[string]any{"id": "5725767000000524157"}, crmd.ID(5725767000000524157), nil},
		{"lookup string", f(crmd.TypeLookup, 0), "5725767000000524157", crmd.ID(5725767000000524157), nil},
		{"lookup number", f(crmd.TypeLookup, 0), num("5725767000000524157"), crmd.ID(5725767000000524157), nil},
		{"lookup object without id", f(crmd.TypeLookup, 0), map[string]any{"name": "x"}, nil, &bad{}},
		{"lookup not digits", f(crmd.TypeLookup, 0), "abc", nil, &bad{}},
		{"lookup negative", f(crmd.TypeLookup, 0), num("-5"), nil, &bad{}},
		{"owner object", f(crmd.TypeOwnerLookup, 0), map[string]any{"id": "12", "name": "ignored"}, crmd.ID(12), nil},
		{"owner array", f(crmd.TypeOwnerLookup, 0), []any{"12"}, nil, &bad{}},
	}
	for _, c := range cases {
		got, err := Coerce(c.field, c.in)
		if c.err == nil {
			if err != nil {
				t.Errorf("%s: unexpected %v %v", c.name, err, err.Details)
				continue
			}
			gb, _ := json.Marshal(got)
			wb, _ := json.Marshal(c.want)
			if string(gb) != string(wb) {
				t.Errorf("%s: got %s (%T), want %s", c.name, gb, got, wb)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: accepted as %v", c.name, got)
			continue
		}
		want := crmd.D{"api_name": "F", "expected_data_type": c.field.DataType}
		if c.err.maxLen {
			want = crmd.D{"api_name": "F", "maximum_length": c.field.Length}
		}
		gb, _ := json.Marshal(err.Details)
		wb, _ := json.Marshal(want)
		if err.Code != "INVALID_DATA" || err.Message != "invalid data" || string(gb) != string(wb) {
			t.Errorf("%s: got %s %q %s, want INVALID_DATA %s", c.name, err.Code, err.Message, gb, wb)
		}
	}
}

func TestPageTokenRoundTrip(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	tk := pageToken{user: 5725767000000411001, module: 5725767000000002175, bind: [8]byte{1, 2, 3, 4, 5, 6, 7, 8},
		expiry: 1715600000000, key: 1715500000000, last: 5725767000000524157, offset: 2000, page: 11}
	s := tk.encode(secret)
	if len(s) != 96 {
		t.Errorf("token is %d characters, want 96", len(s))
	}
	got, ok := decodeToken(secret, s)
	if !ok || got != tk {
		t.Errorf("round trip: %+v %v", got, ok)
	}
	if _, ok := decodeToken([]byte("another org's secret"), s); ok {
		t.Error("accepted under another secret")
	}
	for i := 0; i < len(s); i++ {
		b := []byte(s)
		b[i] = map[bool]byte{true: 'A', false: 'B'}[b[i] != 'A']
		if _, ok := decodeToken(secret, string(b)); ok {
			t.Errorf("accepted with character %d changed", i)
		}
	}
	for _, bad := range []string{"", "abc", s + "A", s[:95], "!" + s[1:]} {
		if _, ok := decodeToken(secret, bad); ok {
			t.Errorf("accepted %q", bad)
		}
	}
}

// svcEnv is a service on a real store with one org.
type svcEnv struct {
	st    *store.Store
	svc   *Service
	org   *crmdtest.Org
	admin *crmd.Caller
}

func newSvcEnv(t *testing.T) *svcEnv {
	t.Helper()
	st := crmdtest.OpenStore(t)
	o := crmdtest.NewOrg(t, st, store.NewOrg{Name: "Acme", AdminEmail: "a@acme.test", AdminLast: "Admin"})
	return &svcEnv{st: st, svc: New(st, views.New(st), territories.New(st)), org: o, admin: o.Caller(o.Admin)}
}

func (e *svcEnv) module(t *testing.T, name string) *crmd.Module {
	t.Helper()
	return e.org.Module(t, name)
}

func TestModuleFlags(t *testing.T) {
	e := newSvcEnv(t)
	ctx := context.Background()
	m := *e.module(t, "Leads")
	m.Creatable, m.Editable, m.Deletable = false, false, false
	entries := []Entry{{Values: map[string]any{"Last_Name": "x"}}}
	for name, call := range map[string]func() error{
		"insert": func() error { _, err := e.svc.Insert(ctx, e.admin, &m, entries); return err },
		"update": func() error { _, err := e.svc.Update(ctx, e.admin, &m, entries); return err },
		"delete": func() error { _, err := e.svc.Delete(ctx, e.admin, &m, []crmd.ID{1}); return err },
	} {
		err := call()
		ce, ok := crmd.AsError(err)
		if !ok || ce.Code != "NOT_SUPPORTED" || ce.Status != 400 {
			t.Errorf("%s on a module that forbids it: %v", name, err)
		}
	}
}

func TestInsertIsAllOrNothing(t *testing.T) {
	e := newSvcEnv(t)
	ctx := context.Background()
	leads := e.module(t, "Leads")
	// A trigger makes the database refuse one row, standing in for any failure inside the transaction.
	trigger := `CREATE TRIGGER refuse_boom BEFORE INSERT ON records WHEN NEW.display_name = 'boom'
		BEGIN SELECT RAISE(ABORT, 'boom'); END`
	if e.st.Dialect == store.Postgres {
		trigger = `CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN IF NEW.display_name = 'boom' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$;
		CREATE TRIGGER refuse_boom BEFORE INSERT ON records FOR EACH ROW EXECUTE FUNCTION refuse_boom()`
	}
	if _, err := e.st.W.Exec(trigger); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.Insert(ctx, e.admin, leads, []Entry{{Values: map[string]any{"Last_Name": "fine"}}, {Pos: 1, Values: map[string]any{"Last_Name": "boom"}}})
	if err == nil {
		t.Fatal("insert succeeded")
	}
	if _, ok := crmd.AsError(err); ok {
		t.Errorf("a database failure came back as a client error: %v", err)
	}
	recs, err := e.st.ListRecords(ctx, store.RecordQuery{OrgID: e.admin.Org.ID, ModuleID: leads.ID, Approval: store.ApprovedBoth})
	if err != nil || len(recs) != 0 {
		t.Errorf("a failed insert left %d records (%v)", len(recs), err)
	}
}

func TestTokenLimit(t *testing.T) {
	e := newSvcEnv(t)
	ctx := context.Background()
	leads := e.module(t, "Leads")
	if _, err := e.svc.Insert(ctx, e.admin, leads, []Entry{{Values: map[string]any{"Last_Name": "x"}}}); err != nil {
		t.Fatal(err)
	}
	q := ListQuery{Fields: []string{"Last_Name"}, Page: 1, PerPage: MaxPerPage, Tokens: true}
	secret, err := e.st.OrgSecret(ctx, e.admin.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	tk := pageToken{user: e.admin.User.ID, module: leads.ID, bind: q.bind(leads.ID, "id", true), expiry: e.st.NowMS() + 1000, last: math.MaxInt64,
		offset: TokenLimit, page: 501}
	q.PageToken = tk.encode(secret)
	_, err = e.svc.List(ctx, e.admin, leads, q)
	ce, ok := crmd.AsError(err)
	if !ok || ce.Code != "PAGINATION_LIMIT_EXCEEDED" || ce.Details["param_name"] != "page_token" ||
		ce.Message != "You can only get upto 100000 records using page_token param" {
		t.Errorf("token past 100,000 records: %v", err)
	}
	// Just below the limit the page is cut at the limit.
	tk.offset = TokenLimit - 1
	q.PageToken = tk.encode(secret)
	res, err := e.svc.List(ctx, e.admin, leads, q)
	if err != nil || len(res.Records) != 1 || res.Page != 501 {
		t.Errorf("token below the limit: %v %v", res, err)
	}
}

// TestDeleteBoundsAndRepeats: Delete keeps the HTTP layer's bound for any caller (more than MaxDelete
// ids is LIMIT_EXCEEDED, nothing deleted), and an id named twice is deleted once and answered twice,
// the second time as already deleted — never an internal error.
func TestDeleteBoundsAndRepeats(t *testing.T) {
	e := newSvcEnv(t)
	ctx := context.Background()
	leads := e.module(t, "Leads")
	w, err := e.svc.Insert(ctx, e.admin, leads, []Entry{{Values: map[string]any{"Last_Name": "a"}}, {Pos: 1, Values: map[string]any{"Last_Name": "b"}}})
	if err != nil {
		t.Fatal(err)
	}
	a, b := w.Results[0].Value.ID, w.Results[1].Value.ID
	many := make([]crmd.ID, MaxDelete+1)
	for i := range many {
		many[i] = a
	}
	_, err = e.svc.Delete(ctx, e.admin, leads, many)
	if ce, ok := crmd.AsError(err); !ok || ce.Code != "LIMIT_EXCEEDED" {
		t.Fatalf("%d ids: %v", len(many), err)
	}
	if _, err := e.svc.Get(ctx, e.admin, leads, a, nil); err != nil {
		t.Fatalf("a refused delete removed the record: %v", err)
	}
	rs, err := e.svc.Delete(ctx, e.admin, leads, []crmd.ID{a, a, b})
	if err != nil {
		t.Fatal(err)
	}
	if !rs[0].OK() || rs[1].OK() || rs[1].Err.Code != "INVALID_DATA" || !rs[2].OK() {
		t.Fatalf("results %+v", rs)
	}
}
