package criteria

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/crmd/crmd"
)

// testModule is a small module with one field of every kind criteria know, the system fields included,
// all with ids so that Render can show them.
func testModule() *crmd.Module {
	f := func(id int64, name, typ string) *crmd.Field {
		return &crmd.Field{ID: crmd.ID(id), APIName: name, Label: strings.ReplaceAll(name, "_", " "), DataType: typ}
	}
	sys := func(fl *crmd.Field) *crmd.Field { fl.System = true; return fl }
	stage := f(110, "Stage", crmd.TypePicklist)
	stage.Picklist = []string{"Open", "Closed", "Won %", "Lost_1"}
	tags := f(111, "Tags", crmd.TypeMultiSelect)
	tags.Picklist = []string{"Red", "Blue", "%", "x_y"}
	account := f(120, "Account", crmd.TypeLookup)
	account.LookupModule = "Accounts"
	return &crmd.Module{
		ID:      9,
		APIName: "Things",
		Fields: []*crmd.Field{
			sys(f(101, "Owner", crmd.TypeOwnerLookup)),
			sys(f(102, "Created_By", crmd.TypeOwnerLookup)),
			sys(f(103, "Modified_By", crmd.TypeOwnerLookup)),
			sys(f(104, "Created_Time", crmd.TypeDatetime)),
			sys(f(105, "Modified_Time", crmd.TypeDatetime)),
			f(106, "Name", crmd.TypeText),
			f(107, "Email", crmd.TypeEmail),
			f(108, "Description", crmd.TypeTextarea),
			stage,
			tags,
			f(112, "Count", crmd.TypeInteger),
			f(113, "Big", crmd.TypeBigint),
			f(114, "Amount", crmd.TypeCurrency),
			f(115, "Ratio", crmd.TypeDouble),
			f(116, "Flag", crmd.TypeBoolean),
			f(117, "Due", crmd.TypeDate),
			f(118, "Seen", crmd.TypeDatetime),
			account,
			f(121, "Manager", crmd.TypeUserLookup),
			f(122, "Attachment", "fileupload"),
		},
	}
}

// decode parses JSON the way the API layer does, with UseNumber.
func decode(t testing.TB, s string) any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return v
}

// mustParse parses JSON criteria that must be valid.
func mustParse(t testing.TB, m *crmd.Module, s string) *Node {
	t.Helper()
	n, err := Parse(decode(t, s), m)
	if err != nil {
		t.Fatalf("Parse(%s): %v %v", s, err, detailsOf(err))
	}
	return n
}

func detailsOf(err error) any {
	if e, ok := crmd.AsError(err); ok {
		return e.Details
	}
	return nil
}

// canon renders v as JSON with sorted keys, for comparisons.
func canon(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var x any
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	if err := d.Decode(&x); err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(x)
	return string(b)
}
