package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Error is a Zoho error object: a request-level error body, or one failed item of a multi-item answer.
// Zoho's clients match on Code (INVALID_TOKEN, OAUTH_SCOPE_MISMATCH, NO_PERMISSION, INVALID_DATA,
// ALREADY_SCHEDULED, …) and read Details (api_name, json_path, param_name, id, permissions, limit, …).
// Use errors.As to get it from any error this package returns.
type Error struct {
	// HTTPStatus is the status of the answer that carried the error (for an item, the status of the
	// whole answer: 207 or 400).
	HTTPStatus int
	// Code is Zoho's error code; empty when the answer was not Zoho's envelope (Message then quotes
	// the body).
	Code    string
	Message string
	// Status is "error" in Zoho's envelope.
	Status string
	// Details is the details object; numbers in it are json.Number.
	Details map[string]any
}

// Error renders the code, the message, the details and the HTTP status.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("zoho: ")
	if e.Code != "" {
		b.WriteString(e.Code)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	if len(e.Details) > 0 {
		keys := make([]string, 0, len(e.Details))
		for k := range e.Details {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString(" (")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			v, _ := json.Marshal(e.Details[k])
			fmt.Fprintf(&b, "%s=%s", k, v)
		}
		b.WriteString(")")
	}
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, " [HTTP %d]", e.HTTPStatus)
	}
	return b.String()
}

// Is reports whether target is an *Error with the same Code, so that
// errors.Is(err, &client.Error{Code: "INVALID_TOKEN"}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code != "" && t.Code == e.Code
}

// ErrorCode returns the Zoho code of err (an *Error or an *OAuthError anywhere in its chain), or "".
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var o *OAuthError
	if errors.As(err, &o) {
		return o.Code
	}
	return ""
}

// OAuthError is the accounts server's refusal, {"error":"invalid_code"} and the like, which Zoho sends
// with HTTP 200. invalid_code also means a refresh token that is unknown or revoked.
type OAuthError struct {
	HTTPStatus int
	// Code is the error string: invalid_code, invalid_client, invalid_client_secret, …
	Code string
}

// Error renders the code.
func (e *OAuthError) Error() string {
	return fmt.Sprintf("zoho oauth: %s [HTTP %d]", e.Code, e.HTTPStatus)
}

// envelope is Zoho's request-level error body.
type envelope struct {
	Code    *string        `json:"code"`
	Details map[string]any `json:"details"`
	Message string         `json:"message"`
	Status  string         `json:"status"`
}

// decodeError reads a request-level Zoho error from an answer; false when the body is not one (a
// per-item answer, or not JSON).
func decodeError(r *response) (*Error, bool) {
	if len(r.body) == 0 || r.body[0] != '{' {
		return nil, false
	}
	var env envelope
	if err := r.decode(&env); err != nil || env.Code == nil || env.Status != "error" {
		return nil, false
	}
	return &Error{HTTPStatus: r.status, Code: *env.Code, Message: env.Message, Status: env.Status, Details: env.Details}, true
}

// Result is one item's outcome in a multi-item answer: Zoho's {code, details, message, status}.
type Result struct {
	Code    string         `json:"code"`
	Details map[string]any `json:"details"`
	Message string         `json:"message"`
	// Status is "success" or "error".
	Status string `json:"status"`
	// HTTPStatus is the status of the whole answer (200, 201, 202, 207 or 400).
	HTTPStatus int `json:"-"`
}

// OK reports whether the item succeeded. A permanent delete refused for ownership comes back as
// CANNOT_DELETE with status "success" (as zoho/crm-oas v8.0/recycle_bin.json describes it), yet the
// record was not deleted, so it is not OK.
func (r Result) OK() bool { return r.Status == "success" && r.Code != "CANNOT_DELETE" }

// ID is details.id: the id of the record, view or territory the item made or touched ("" when none).
func (r Result) ID() string { return detailString(r.Details, "id") }

// Err is the item's failure as an *Error, or nil when it succeeded.
func (r Result) Err() error {
	if r.OK() {
		return nil
	}
	return &Error{HTTPStatus: r.HTTPStatus, Code: r.Code, Message: r.Message, Status: r.Status, Details: r.Details}
}

// Results is the outcomes of a multi-item call, in input order.
type Results []Result

// Err joins the failures of the items (nil when every item succeeded); errors.As finds the first.
func (rs Results) Err() error {
	var errs []error
	for _, r := range rs {
		if err := r.Err(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// IDs lists details.id of every item, "" for items without one.
func (rs Results) IDs() []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID()
	}
	return out
}

// detailString reads a string (or number) detail.
func detailString(d map[string]any, key string) string {
	switch v := d[key].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}
