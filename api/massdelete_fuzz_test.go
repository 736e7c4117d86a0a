package api

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"

	"github.com/crmd/crmd"
)

// FuzzParseBody feeds fuzzed JSON bodies to parseMassDelete, decoded as the API layer decodes them
// (json.Number numbers, an object or nothing). The properties: no panic; a refusal is a Zoho client
// error whose details encode as JSON; an accepted body is either a cvid — the digits of a positive
// id — or 1 to IDLimit distinct positive ids, each given in the body's ids array (as a string
// or an exact JSON integer) and in first-seen order; a territory only when the body has one.
//
// Run: go test ./api -run '^$' -fuzz '^FuzzParseBody$' -fuzztime 1m
func FuzzParseBody(f *testing.F) {
	for _, s := range []string{
		`{"ids":["111","222"]}`, `{"ids":[111,"111",222]}`, `{"ids":["1","2","3","4"]}`, `{"ids":["1","2","1","2","3","3"]}`,
		`{"cvid":"4150868000000087501"}`, `{"cvid":4150868000000087501}`, `{"cvid":"4150868000000087501","territory":{"id":"9","include_child":true}}`,
		`{"ids":["1"],"territory":{"id":9}}`, `{"ids":["1"],"territory":{"id":"x"}}`, `{"ids":["1"],"territory":{"include_child":false}}`,
		`{"ids":["1"],"territory":{"id":"9","include_child":"true"}}`, `{"ids":["1"],"territory":"9"}`, `{"ids":["1"],"territory":null}`,
		`{"ids":["1"],"cvid":"2"}`, `{"ids":null,"cvid":null}`, `{"ids":[]}`, `{"ids":{}}`, `{"ids":"1,2"}`,
		`{"ids":[1.0]}`, `{"ids":[1e2]}`, `{"ids":[-1]}`, `{"ids":["-1"]}`, `{"ids":["0"]}`, `{"ids":[" 1"]}`, `{"ids":["+1"]}`,
		`{"ids":["9223372036854775807"]}`, `{"ids":["9223372036854775808"]}`, `{"ids":[null,true,{},[]]}`,
		`{"cvid":""}`, `{"cvid":"0x10"}`, `{"cvid":true}`, `{}`, ``,
	} {
		f.Add(s)
	}
	const limit = 3
	f.Fuzz(func(t *testing.T, text string) {
		body, ok := fuzzDecodeObject(text)
		if !ok {
			return // the API layer answers UNABLE_TO_PARSE_DATA_TYPE before Parse sees it
		}
		req, err := parseMassDelete(body, limit)
		if err != nil {
			e, isZoho := crmd.AsError(err)
			if !isZoho || e.Code == "" || e.Message == "" || e.Status != 400 {
				t.Fatalf("parseMassDelete(%s): not a Zoho 400: %#v", text, err)
			}
			if _, jerr := json.Marshal(e.Details); jerr != nil {
				t.Fatalf("parseMassDelete(%s): details do not encode: %v", text, jerr)
			}
			return
		}
		if (req.CVID == 0) == (len(req.IDs) == 0) {
			t.Fatalf("parseMassDelete(%s) = %+v: not exactly one of cvid and ids", text, req)
		}
		if req.Territory != nil {
			if body["territory"] == nil || req.Territory.ID <= 0 {
				t.Fatalf("parseMassDelete(%s): territory %+v", text, req.Territory)
			}
		}
		if req.CVID != 0 {
			if req.CVID < 0 {
				t.Fatalf("parseMassDelete(%s): cvid %v", text, req.CVID)
			}
			return
		}
		if len(req.IDs) > limit {
			t.Fatalf("parseMassDelete(%s): %d ids over the limit %d", text, len(req.IDs), limit)
		}
		// The ids, in first-seen order, are exactly the distinct ids of the array.
		var want []crmd.ID
		seen := map[crmd.ID]bool{}
		for _, v := range body["ids"].([]any) {
			var s string
			switch x := v.(type) {
			case string:
				s = x
			case json.Number:
				s = x.String()
			default:
				t.Fatalf("parseMassDelete(%s) accepted a %T id", text, v)
			}
			id, valid := crmd.ParseID(s)
			if !valid {
				t.Fatalf("parseMassDelete(%s) accepted the id %q", text, s)
			}
			if !seen[id] {
				seen[id] = true
				want = append(want, id)
			}
		}
		if len(want) != len(req.IDs) {
			t.Fatalf("parseMassDelete(%s) = %v, want %v", text, req.IDs, want)
		}
		for i := range want {
			if want[i] != req.IDs[i] {
				t.Fatalf("parseMassDelete(%s) = %v, want %v", text, req.IDs, want)
			}
		}
	})
}

// fuzzDecodeObject decodes a body as Server.decodeObject does: nil for an empty one, false for anything but
// one JSON object.
func fuzzDecodeObject(text string) (map[string]any, bool) {
	b := bytes.TrimSpace([]byte(text))
	if len(b) == 0 {
		return nil, true
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	m, ok := v.(map[string]any)
	return m, ok
}
