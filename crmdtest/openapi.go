package crmdtest

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	liberrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/helpers"
	"github.com/pb33f/libopenapi-validator/paths"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
	"github.com/pb33f/libopenapi/orderedmap"
)

// The contract of /crmd/v1 is api/openapi.json, which the server embeds and serves at
// GET /crmd/v1/openapi.json. Every /crmd/v1 answer the tests receive through DoJSON or a client built on
// ValidatingTransport is checked against it: the path and method, the status, the content type and, for
// JSON, the body against the schema of that status.
//
// crmdtest reads the document from the source tree rather than through api.OpenAPI(): the internal
// tests of api, records and views import crmdtest, so crmdtest importing api would be an import cycle.
// crmdtest's own tests check that the file read here is byte for byte what api embeds.

// CrmdV1Prefix is the path prefix of crmd's own API, whose answers are checked against the document.
const CrmdV1Prefix = "/crmd/v1/"

// OpenAPIPath is where the document lives, relative to the module's root.
const OpenAPIPath = "api/openapi.json"

// Contract is the OpenAPI document of /crmd/v1 built once for validation.
type Contract struct {
	Raw       []byte
	Document  libopenapi.Document
	Model     *v3.Document
	Validator validator.Validator

	mu       sync.Mutex // the validator's caches are not documented as safe for concurrent use
	errorSch *base.Schema
	schemaV  schema_validation.SchemaValidator
}

var (
	contractOnce sync.Once
	contract     *Contract
	contractErr  error
)

// OpenAPI returns the contract of /crmd/v1, read from api/openapi.json and built once per test binary.
func OpenAPI(t testing.TB) *Contract {
	t.Helper()
	contractOnce.Do(func() {
		raw, err := readOpenAPI()
		if err != nil {
			contractErr = err
			return
		}
		contract, contractErr = NewContract(raw)
	})
	if contractErr != nil {
		t.Fatalf("the OpenAPI document of /crmd/v1: %v", contractErr)
	}
	return contract
}

// NewContract builds a validator for an OpenAPI document. Most tests want OpenAPI.
func NewContract(raw []byte) (*Contract, error) {
	doc, err := libopenapi.NewDocument(raw)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		return nil, fmt.Errorf("build the model: %w", err)
	}
	v, errs := validator.NewValidator(doc, config.WithFormatAssertions())
	if len(errs) > 0 {
		return nil, fmt.Errorf("build the validator: %v", errs)
	}
	c := &Contract{Raw: raw, Document: doc, Model: &model.Model, Validator: v,
		schemaV: schema_validation.NewSchemaValidator(config.WithFormatAssertions())}
	if model.Model.Components != nil && model.Model.Components.Schemas != nil {
		if p := model.Model.Components.Schemas.GetOrZero("Error"); p != nil {
			c.errorSch = p.Schema()
		}
	}
	if c.errorSch == nil {
		return nil, fmt.Errorf("the document has no components/schemas/Error")
	}
	return c, nil
}

// readOpenAPI reads api/openapi.json from the module's source tree: beside this file's package, or
// above the working directory (a test runs in its package's directory).
func readOpenAPI() ([]byte, error) {
	var tried []string
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		p := filepath.Join(filepath.Dir(file), "..", filepath.FromSlash(OpenAPIPath))
		if b, err := os.ReadFile(p); err == nil {
			return b, nil
		}
		tried = append(tried, p)
	}
	dir, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	for {
		if mod, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.Contains(mod, []byte("module github.com/crmd/crmd\n")) {
			p := filepath.Join(dir, filepath.FromSlash(OpenAPIPath))
			return os.ReadFile(p)
		}
		up := filepath.Dir(dir)
		if up == dir {
			break
		}
		dir = up
	}
	return nil, fmt.Errorf("%s not found (tried %q and the directories above the working directory)", OpenAPIPath, tried)
}

// streamed reports whether a content type is one whose body is checked no further than its type:
// an event stream (which may never end) or CSV.
func streamed(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	return mt == "text/event-stream" || mt == "text/csv"
}

// Check validates one answer of /crmd/v1 against the contract and returns what is wrong with it (nil
// when nothing is). body is the answer's whole body; resp.Body is not read. For text/event-stream and
// text/csv only the status and the content type are checked, and body may be nil.
func (c *Contract) Check(req *http.Request, resp *http.Response, body []byte) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := req
	headOnly := req.Method == http.MethodHead
	if headOnly {
		// crmd answers HEAD as GET, without the body.
		r = req.Clone(req.Context())
		r.Method = http.MethodGet
	}
	what := fmt.Sprintf("%s %s → %d", req.Method, req.URL.Path, resp.StatusCode)
	ct := resp.Header.Get("Content-Type")

	var op *v3.Operation
	if item, errs, _ := paths.FindPath(r, c.Model, nil); item != nil && len(errs) == 0 {
		op = helpers.ExtractOperation(r, item)
	}
	if op == nil {
		// A path or method the contract does not describe may only be refused, with Zoho's error object
		// (INVALID_URL_PATTERN, INVALID_REQUEST_METHOD, …).
		if resp.StatusCode < 400 {
			return []string{what + ": the path and method are not in the OpenAPI document"}
		}
		if headOnly {
			return nil
		}
		if mt, _, _ := mime.ParseMediaType(ct); mt != "application/json" {
			return []string{fmt.Sprintf("%s: an undocumented path answered content type %q, want Zoho's JSON error object", what, ct)}
		}
		if ok, errs := c.schemaV.ValidateSchemaBytesWithVersion(c.errorSch, body, 3.1); !ok {
			return append([]string{what + ": the body is not Zoho's error object: " + string(clip(body))}, describe(errs)...)
		}
		return nil
	}

	code := strconv.Itoa(resp.StatusCode)
	var documented *v3.Response
	if op.Responses != nil && op.Responses.Codes != nil {
		documented = op.Responses.Codes.GetOrZero(code)
	}
	if documented == nil {
		return []string{fmt.Sprintf("%s: status %s is not documented for this operation; body %s", what, code, clip(body))}
	}
	if orderedmap.Len(documented.Content) == 0 {
		if len(body) > 0 {
			return []string{fmt.Sprintf("%s: documented without a body, got %s", what, clip(body))}
		}
		return nil
	}
	if _, ok := helpers.FindMediaType(documented.Content, ct); !ok || ct == "" {
		var want []string
		for k := range documented.Content.KeysFromOldest() {
			want = append(want, k)
		}
		return []string{fmt.Sprintf("%s: content type %q is not documented (want one of %q); body %s", what, ct, want, clip(body))}
	}
	if headOnly || streamed(ct) {
		return nil
	}
	copied := *resp
	copied.Body = io.NopCloser(bytes.NewReader(body))
	copied.ContentLength = int64(len(body))
	if ok, errs := c.Validator.ValidateHttpResponse(r, &copied); !ok {
		return append([]string{what + ": the body does not match the OpenAPI document: " + string(clip(body))}, describe(errs)...)
	}
	return nil
}

// describe renders the validator's errors, with each schema failure and where it is.
func describe(errs []*liberrors.ValidationError) []string {
	var out []string
	for _, e := range errs {
		out = append(out, "  "+e.Message+": "+e.Reason)
		for _, f := range e.SchemaValidationErrors {
			at := f.FieldPath
			if at == "" {
				at = "/" + strings.Join(f.InstancePath, "/")
			}
			out = append(out, fmt.Sprintf("    at %s: %s (schema %s)", at, f.Reason, f.KeywordLocation))
		}
	}
	return out
}

// clip keeps an error message readable when a body is long.
func clip(b []byte) []byte {
	const max = 2000
	if len(b) > max {
		return append(append([]byte(nil), b[:max]...), "…"...)
	}
	return b
}

// CheckCrmdV1 fails the test (t.Errorf) when req is a call of /crmd/v1 and resp, whose whole body is
// body, is not what the OpenAPI document of /crmd/v1 says it answers. Other paths are not checked.
func CheckCrmdV1(t testing.TB, req *http.Request, resp *http.Response, body []byte) {
	t.Helper()
	if req == nil || resp == nil || !strings.HasPrefix(req.URL.Path, CrmdV1Prefix) {
		return
	}
	if problems := OpenAPI(t).Check(req, resp, body); len(problems) > 0 {
		t.Errorf("OpenAPI contract of /crmd/v1 (%s):\n%s", OpenAPIPath, strings.Join(problems, "\n"))
	}
}

// ValidatingTransport is base (http.DefaultTransport when nil) checking every /crmd/v1 answer with
// CheckCrmdV1, for an http.Client of an end-to-end or client test. A JSON body is read whole and given
// back unread to the caller; an event stream or CSV body is left alone, only its status and content
// type checked.
func ValidatingTransport(t testing.TB, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &validatingTransport{t: t, base: base}
}

type validatingTransport struct {
	t    testing.TB
	base http.RoundTripper
}

func (v *validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := v.base.RoundTrip(req)
	if err != nil || !strings.HasPrefix(req.URL.Path, CrmdV1Prefix) {
		return resp, err
	}
	if streamed(resp.Header.Get("Content-Type")) {
		CheckCrmdV1(v.t, req, resp, nil)
		return resp, nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	CheckCrmdV1(v.t, req, resp, body)
	return resp, nil
}
