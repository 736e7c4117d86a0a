package main

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/catalog"
	"github.com/crmd/crmd/records"
	"github.com/crmd/crmd/store"
)

// seededRecords returns every live record of a module, in id order.
func seededRecords(t *testing.T, st *store.Store, orgID crmd.ID, module string) (*crmd.Module, []*crmd.Record) {
	t.Helper()
	ctx := context.Background()
	m, err := st.Module(ctx, orgID, module)
	if err != nil || m == nil {
		t.Fatalf("module %s: %v", module, err)
	}
	recs, err := st.ListRecords(ctx, store.RecordQuery{OrgID: orgID, ModuleID: m.ID, Approval: store.ApprovedBoth})
	if err != nil {
		t.Fatal(err)
	}
	return m, recs
}

var (
	dateRE  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	emailRE = regexp.MustCompile(`^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$`)
)

// checkData checks a record's data document against its module's fields, the way package records
// validates input: known non-system fields only, mandatory ones present, values of the field's
// type, picklist values from the field, lengths respected.
func checkData(t *testing.T, m *crmd.Module, data []byte) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("data is not a JSON object: %v: %s", err, data)
	}
	for _, f := range m.Fields {
		if f.Mandatory && !f.System && !f.ReadOnly {
			if _, ok := doc[f.APIName]; !ok {
				t.Fatalf("%s: mandatory %s missing: %s", m.APIName, f.APIName, data)
			}
		}
	}
	for k, v := range doc {
		f := m.Field(k)
		if f == nil {
			t.Fatalf("%s: unknown field %s", m.APIName, k)
		}
		if f.System {
			t.Fatalf("%s: system field %s in data", m.APIName, k)
		}
		bad := func(why string) { t.Fatalf("%s.%s = %#v: %s", m.APIName, k, v, why) }
		switch f.DataType {
		case crmd.TypeAutonumber:
			if s, ok := v.(string); !ok || !regexp.MustCompile(`^[1-9][0-9]*$`).MatchString(s) {
				bad("want a record number")
			}
		case crmd.TypeText, crmd.TypeTextarea, crmd.TypePhone, crmd.TypeWebsite, crmd.TypeEmail:
			s, ok := v.(string)
			if !ok || s == "" {
				bad("want a non-empty string")
			}
			if f.Length > 0 && utf8.RuneCountInString(s) > f.Length {
				bad("longer than the field")
			}
			if f.DataType == crmd.TypeEmail && !emailRE.MatchString(s) {
				bad("not an email")
			}
			if f.DataType == crmd.TypeWebsite && !strings.HasPrefix(s, "https://") {
				bad("not a URL")
			}
		case crmd.TypePicklist:
			s, ok := v.(string)
			if !ok || !slices.Contains(f.Picklist, s) {
				bad("not a value of the picklist")
			}
		case crmd.TypeMultiSelect:
			arr, ok := v.([]any)
			if !ok || len(arr) == 0 {
				bad("want a non-empty array")
			}
			for _, e := range arr {
				if s, ok := e.(string); !ok || !slices.Contains(f.Picklist, s) {
					bad("not values of the picklist")
				}
			}
		case crmd.TypeInteger, crmd.TypeDouble, crmd.TypeCurrency, crmd.TypePercent:
			n, ok := v.(float64)
			if !ok || n < 0 {
				bad("want a non-negative number")
			}
			if f.DataType == crmd.TypeInteger && n != float64(int64(n)) {
				bad("want an integer")
			}
		case crmd.TypeBigint:
			if s, ok := v.(string); !ok || !regexp.MustCompile(`^\d+$`).MatchString(s) {
				bad("want a decimal string")
			}
		case crmd.TypeBoolean:
			if _, ok := v.(bool); !ok {
				bad("want a boolean")
			}
		case crmd.TypeDate:
			if s, ok := v.(string); !ok || !dateRE.MatchString(s) {
				bad("want a date")
			}
		case crmd.TypeDatetime:
			s, _ := v.(string)
			if _, err := time.Parse(time.RFC3339, s); err != nil || !strings.HasSuffix(s, "Z") {
				bad("want a UTC datetime")
			}
		case crmd.TypeLookup, crmd.TypeOwnerLookup, crmd.TypeUserLookup:
			o, ok := v.(map[string]any)
			if !ok {
				bad("want an object")
			}
			if id, _ := o["id"].(string); !regexp.MustCompile(`^\d{19}$`).MatchString(id) {
				bad("lookup id")
			}
			if _, ok := o["name"].(string); !ok {
				bad("lookup name")
			}
		default:
			bad("unexpected type " + f.DataType)
		}
		// What package records would store for this value is the value itself.
		stored, cerr := records.Coerce(f, v)
		if cerr != nil {
			bad("records.Coerce refuses it: " + cerr.Error())
		}
		switch f.DataType {
		case crmd.TypeLookup, crmd.TypeOwnerLookup, crmd.TypeUserLookup:
			if id, _ := stored.(crmd.ID); id.String() != v.(map[string]any)["id"] {
				bad("lookup id changes when coerced")
			}
		default:
			a, _ := json.Marshal(stored)
			b, _ := json.Marshal(v)
			if !bytes.Equal(a, b) {
				bad("records.Coerce normalises it to " + string(a))
			}
		}
	}
	return doc
}

func TestSeedLeads(t *testing.T) {
	c := newCLI(t)
	org := c.initOrg()["org_id"].(string)
	out, stderr, err := c.run("seed", "--db", c.db, "--org", org, "--module", "leads", "--count", "1234", "--batch-size", "500", "--seed", "9")
	if err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr)
	}
	if got := decodeLine(t, out); got["inserted"] != float64(1234) {
		t.Fatalf("seed output = %v", got)
	}
	if !strings.Contains(stderr, "1234/1234") || strings.Contains(stderr, "\r") {
		t.Errorf("progress on a non-terminal = %q", stderr)
	}

	st := c.open()
	orgID, _ := crmd.ParseID(org)
	admin, _ := st.OrgAdmin(context.Background(), orgID)
	m, recs := seededRecords(t, st, orgID, "Leads")
	if len(recs) != 1234 {
		t.Fatalf("records = %d, want 1234", len(recs))
	}
	total := 0
	var prevCreated int64
	for i, r := range recs {
		doc := checkData(t, m, r.Data)
		total += len(r.Data)
		want := strings.TrimSpace(doc["First_Name"].(string) + " " + doc["Last_Name"].(string))
		if r.DisplayName != want || doc["Full_Name"] != want {
			t.Fatalf("display name %q / Full_Name %v, want %q", r.DisplayName, doc["Full_Name"], want)
		}
		if r.OwnerID != admin.ID || r.CreatedBy != admin.ID || r.ModifiedBy != admin.ID || !r.Approved() {
			t.Fatalf("record %d: owner/creator/approval = %+v", i, r)
		}
		if r.ModifiedTime < r.CreatedTime || r.CreatedTime < prevCreated || r.CreatedTime > time.Now().UnixMilli() {
			t.Fatalf("record %d: created %d modified %d (previous created %d)", i, r.CreatedTime, r.ModifiedTime, prevCreated)
		}
		prevCreated = r.CreatedTime
		if email, ok := doc["Email"].(string); ok {
			first := strings.ToLower(doc["First_Name"].(string))
			if !strings.HasPrefix(email, first+".") {
				t.Fatalf("email %q is not made of the name %q", email, first)
			}
		}
	}
	if avg := total / len(recs); avg < 600 || avg > 1024 {
		t.Errorf("average Lead data is %d bytes, want 0.6–1 KiB", avg)
	}
	if span := recs[len(recs)-1].CreatedTime - recs[0].CreatedTime; span < int64(80*24*time.Hour/time.Millisecond) {
		t.Errorf("creation times span %d ms, want about 90 days", span)
	}
}

func TestSeedIsDeterministic(t *testing.T) {
	c := newCLI(t)
	org1 := c.initOrg()["org_id"].(string)
	org2 := c.initOrg()["org_id"].(string)
	for _, org := range []string{org1, org2} {
		c.ok("seed", "--db", c.db, "--org", org, "--count", "50", "--seed", "1234")
	}
	st := c.open()
	id1, _ := crmd.ParseID(org1)
	id2, _ := crmd.ParseID(org2)
	_, a := seededRecords(t, st, id1, "Leads")
	_, b := seededRecords(t, st, id2, "Leads")
	for i := range a {
		if !bytes.Equal(a[i].Data, b[i].Data) {
			t.Fatalf("record %d differs with the same seed:\n%s\n%s", i, a[i].Data, b[i].Data)
		}
	}
	c.ok("seed", "--db", c.db, "--org", org1, "--count", "50", "--seed", "4321")
	_, a = seededRecords(t, st, id1, "Leads")
	if bytes.Equal(a[0].Data, a[50].Data) {
		t.Error("another seed gave the same data")
	}
}

// TestSeedEveryModule seeds every standard module, in an order that gives mandatory lookups their
// targets, and a custom module, and checks every record against its fields.
func TestSeedEveryModule(t *testing.T) {
	c := newCLI(t)
	org := c.initOrg()["org_id"].(string)
	orgID, _ := crmd.ParseID(org)

	// A mandatory lookup without target records is an error that says what to seed first.
	_, _, err := c.run("seed", "--db", c.db, "--org", org, "--module", "Quotes", "--count", "5")
	if err == nil || !strings.Contains(err.Error(), "seed Accounts first") {
		t.Fatalf("Quotes before Accounts: %v", err)
	}

	c.ok("module", "add", "--db", c.db, "--org", org, "--api-name", "Projects", "--field", "Budget:currency", "--field", "Tags:multiselectpicklist:a|b|c|d",
		"--field", "Client:lookup:Accounts", "--field", "Big:bigint", "--field", "Start:datetime", "--field", "Done:boolean", "--field", "Ratio:double",
		"--field", "Share:percent", "--field", "Site:website", "--field", "Notes_Text:textarea", "--field", "Units:integer")
	var order []string
	for _, m := range catalog.Standard() {
		order = append(order, m.APIName)
	}
	// Targets first.
	slices.SortStableFunc(order, func(a, b string) int {
		rank := func(s string) int {
			if s == "Accounts" || s == "Vendors" {
				return 0
			}
			return 1
		}
		return rank(a) - rank(b)
	})
	order = append(order, "Projects")
	st := c.open()
	for _, mod := range order {
		out, stderr, err := c.run("seed", "--db", c.db, "--org", org, "--module", mod, "--count", "40", "--seed", "3")
		if err != nil {
			t.Fatalf("seed %s: %v\n%s", mod, err, stderr)
		}
		if got := decodeLine(t, out); got["inserted"] != float64(40) {
			t.Fatalf("seed %s: %v", mod, got)
		}
		m, recs := seededRecords(t, st, orgID, mod)
		if len(recs) != 40 {
			t.Fatalf("%s: %d records", mod, len(recs))
		}
		for _, r := range recs {
			doc := checkData(t, m, r.Data)
			if df := m.Field(m.DisplayField); df != nil && !df.System {
				if v, ok := doc[m.DisplayField].(string); ok && r.DisplayName != v {
					t.Fatalf("%s: display name %q, %s = %q", mod, r.DisplayName, m.DisplayField, v)
				}
				if r.DisplayName == "" {
					t.Fatalf("%s: empty display name; data %s", mod, r.Data)
				}
			}
		}
	}
}
