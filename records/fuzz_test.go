package records

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/crmd/crmd/crmdtest"

	"github.com/crmd/crmd"
)

// decodeJSON decodes text as the API layer decodes bodies, numbers as json.Number.
func decodeJSON(text []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil || dec.More() {
		return nil, false
	}
	return v, true
}

// FuzzParseEntries feeds a fuzzed write body to the validation of POST and PUT /{module} before the
// database is consulted: parseEntry (which runs Coerce on every field) on each element of its data,
// against Leads, as an insert or (update) as an update. The properties: no panic; a refusal is a Zoho 400
// whose json_path points into the body; an accepted entry sets only writable fields of the module, an
// insert sets every mandatory one, and every stored value encodes as JSON and, read back as a client
// would send it, is accepted again unchanged — what crmd stores can be written back.
//
// Run: go test ./records -run '^$' -fuzz '^FuzzParseEntries$' -fuzztime 1m
func FuzzParseEntries(f *testing.F) {
	for _, s := range []string{
		`{"data":[{"Last_Name":"Ng","First_Name":"Ana","Company":"Acme","Email":"ana@acme.test","Phone":"+1 555 0100","Website":"https://acme.test",
			"Lead_Status":"Contacted","No_of_Employees":40,"Annual_Revenue":2500.555,"Email_Opt_Out":true,"Owner":{"id":"42"},"Description":"…"}]}`,
		`{"data":[{"Last_Name":"A","No_of_Employees":"12","Annual_Revenue":1e3},{"Last_Name":"B","No_of_Employees":2147483648}]}`,
		`{"data":[{"Last_Name":"C","Annual_Revenue":"12"},{"Last_Name":"D","Annual_Revenue":1.7976931348623157e308},{"Last_Name":"E","Annual_Revenue":-0.004}]}`,
		`{"data":[{"Last_Name":"F","Email":"no-at"},{"Last_Name":"G","Email":""},{"Last_Name":"","Company":"x"},{"Last_Name":null}]}`,
		`{"data":[{"Last_Name":"H","Owner":"43"},{"Last_Name":"I","Owner":null},{"Last_Name":"J","Owner":{"id":42.0}},{"Last_Name":"K","Owner":{"id":"-1"}}]}`,
		`{"data":[{"Last_Name":"L","$approval_state":"approval_process_pending"},{"Last_Name":"M","$approval_state":"Approved"}]}`,
		`{"data":[{"Last_Name":"N","Full_Name":"ignored","id":"1","Created_Time":"2024-01-01T00:00:00Z","Unknown":[1,{}]}]}`,
		`{"data":[{"Last_Name":"` + strings.Repeat("é", 81) + `"}]}`,
		`{"data":[{"Last_Name":"O","Email_Opt_Out":"true","Rating":7}]}`,
		`{"data":[]}`, `{"data":{}}`, `{"data":null}`, `{"data":"x"}`, `{"data":[null,1,"x",[]]}`, `{}`, `[]`,
	} {
		f.Add(false, s)
	}
	f.Add(true, `{"data":[{"Company":null},{"Last_Name":null},{"Email_Opt_Out":null,"Owner":{"id":"42"}}]}`)
	f.Add(true, `{"data":[{"id":"1","Annual_Revenue":12.345}]}`)
	m := crmdtest.CatalogModule("Leads")
	users := map[crmd.ID]*crmd.User{
		42: {ID: 42, FirstName: "Patricia", LastName: "Boyle", Status: "active"},
		43: {ID: 43, LastName: "Gone", Status: "disabled"},
	}
	f.Fuzz(func(t *testing.T, update bool, text string) {
		v, ok := decodeJSON([]byte(text))
		if !ok {
			return
		}
		body, ok := v.(map[string]any)
		if !ok {
			return // the API layer refuses it as UNABLE_TO_PARSE_DATA_TYPE
		}
		arr, ok := body["data"].([]any)
		if !ok {
			return // the API layer refuses a body without a data array (api.dataArray)
		}
		for i, raw := range arr {
			obj, _ := raw.(map[string]any) // nil for an entry that is not an object, which must fail
			d, err := parseEntry(m, i, obj, !update, users)
			if err != nil {
				path, _ := err.Details["json_path"].(string)
				if err.Status != 400 || err.Code == "" || !strings.HasPrefix(path, "$.data[") {
					t.Fatalf("entry %d of %s: %+v", i, text, err)
				}
				if _, jerr := json.Marshal(err.Details); jerr != nil {
					t.Fatalf("entry %d of %s: details do not encode: %v", i, text, jerr)
				}
				continue
			}
			for name, val := range d.set {
				fl := m.Field(name)
				if fl == nil || fl.ReadOnly {
					t.Fatalf("entry %d of %s sets %s, not a writable field", i, text, name)
				}
				stored, jerr := json.Marshal(val)
				if jerr != nil {
					t.Fatalf("entry %d of %s: %s = %#v does not encode: %v", i, text, name, val, jerr)
				}
				if fl.DataType == crmd.TypeUserLookup || val == nil {
					continue // stored as {"id","name"}; written back as {"id"}
				}
				back, _ := decodeJSON(stored)
				again, cerr := Coerce(fl, back)
				if cerr != nil {
					t.Fatalf("entry %d of %s: the stored %s %s is refused when written back: %+v", i, text, name, stored, cerr)
				}
				if b, _ := json.Marshal(again); !bytes.Equal(b, stored) {
					t.Fatalf("entry %d of %s: the stored %s %s becomes %s when written back", i, text, name, stored, b)
				}
			}
			if !update {
				for _, fl := range m.Fields {
					if fl.Mandatory && !fl.ReadOnly && !fl.System && d.set[fl.APIName] == nil {
						t.Fatalf("entry %d of %s: insert without the mandatory %s", i, text, fl.APIName)
					}
				}
			}
		}
	})
}

// FuzzPageToken checks page tokens both ways: a fuzzed string given as a page_token either fails to
// decode or is a token whose re-encoding decodes to the same state; and any state encodes within
// Zoho's 96 characters and decodes back to itself, while the same bytes under another org's secret
// do not decode.
//
// Run: go test ./records -run '^$' -fuzz '^FuzzPageToken$' -fuzztime 1m
func FuzzPageToken(f *testing.F) {
	secret := []byte("fuzz-secret")
	good := pageToken{user: 42, module: 7, expiry: 1 << 41, key: 1715587353000, last: 99, offset: 200, page: 2}
	f.Add(good.encode(secret), uint64(42), uint64(7), int64(1<<41), int64(1715587353000), uint64(99), uint32(200), uint32(2))
	f.Add(good.encode(secret)+"=", uint64(0), uint64(0), int64(-1), int64(-1<<63), uint64(1<<63), uint32(1<<32-1), uint32(0))
	f.Add("", uint64(1), uint64(1), int64(0), int64(0), uint64(0), uint32(0), uint32(1))
	f.Add("not base64!", uint64(1), uint64(1), int64(0), int64(0), uint64(0), uint32(0), uint32(1))
	f.Fuzz(func(t *testing.T, s string, user, module uint64, expiry, key int64, last uint64, offset, page uint32) {
		if tok, ok := decodeToken(secret, s); ok {
			again, ok := decodeToken(secret, tok.encode(secret))
			if !ok || again != tok {
				t.Fatalf("decodeToken(%q) = %+v, whose encoding decodes to %+v %v", s, tok, again, ok)
			}
		}
		in := pageToken{user: crmd.ID(user), module: crmd.ID(module), expiry: expiry, key: key, last: crmd.ID(last), offset: offset, page: page}
		copy(in.bind[:], s)
		enc := in.encode(secret)
		if len(enc) > 96 {
			t.Fatalf("a %d-character token", len(enc))
		}
		out, ok := decodeToken(secret, enc)
		if !ok || out != in {
			t.Fatalf("%+v encodes to %q, which decodes to %+v %v", in, enc, out, ok)
		}
		if _, ok := decodeToken([]byte("another org"), enc); ok {
			t.Fatalf("%q decodes under another org's secret", enc)
		}
	})
}
