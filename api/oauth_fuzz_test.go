package api

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crmd/crmd/oauth"
)

// FuzzTokenParams feeds fuzzed bodies with fuzzed content types to parseParams, the first step of the
// token and revoke endpoints, and its parameters to what the grants read from them (the scope list).
// The properties: no panic; a parsed request has a form. (The soid is fuzzed by oauth.FuzzParseSOID.)
//
// Run: go test ./api -run '^$' -fuzz '^FuzzTokenParams$' -fuzztime 1m
func FuzzTokenParams(f *testing.F) {
	form := "application/x-www-form-urlencoded"
	for _, s := range [][2]string{
		{form, "grant_type=client_credentials&client_id=1000.ABC&client_secret=s3cr3t&soid=ZohoCRM.4150868000000000001&scope=ZohoCRM.modules.ALL"},
		{form, "grant_type=authorization_code&client_id=1000.ABC&client_secret=x&code=1000.abc.def&redirect_uri=https%3A%2F%2Fapp.test%2Fcb"},
		{form, "grant_type=refresh_token&refresh_token=1000.x&refresh_token=1000.y"},
		{form, "soid=zohocrm.0"}, {form, "soid=ZohoCRM."}, {form, "soid=ZohoCRM.-1"}, {form, "soid=ZohoCRM.1.2"}, {form, "%zz=1&a=%"}, {form, ";;&&=="},
		{form + "; charset=utf-8", "token=1000.x"}, {"", "grant_type=x"}, {"text/plain", "grant_type=x"}, {"application/json", `{"grant_type":"x"}`},
		{"multipart/form-data; boundary=XX", "--XX\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\nrefresh_token\r\n--XX--\r\n"},
		{"multipart/form-data; boundary=XX", "--XX\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nabc\r\n--XX--\r\n"},
		{"multipart/form-data", "--XX\r\n"}, {"multipart/form-data; boundary=", ""}, {"multipart/mixed; boundary=XX", "--XX--"},
		{"application/x-www-form-urlencoded; charset=\"", "a=b"}, {"\x00", "a=b"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, contentType, body string) {
		r := httptest.NewRequest("POST", "/oauth/v2/token", strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		w := httptest.NewRecorder()
		if err := parseParams(w, r); err != nil {
			return // answered {"error":"invalid_request"}
		}
		if r.MultipartForm != nil {
			defer r.MultipartForm.RemoveAll()
		}
		if r.Form == nil {
			t.Fatalf("parseParams(%q, %q) succeeded without a form", contentType, body)
		}
		oauth.ParseScopes(strings.TrimSpace(r.Form.Get("scope")))
	})
}
