// Package crmd holds the domain types shared by every layer of crmd: the one error type with its
// code→HTTP table, and the types that describe orgs, users, profiles, modules, fields and records.
//
// Comments throughout crmd cite the rules of its behaviour reference in docs/: numbered rulings as
// D1…D34 (docs/README.md says which file holds each, at the anchor #d<n>) and other rules by file and
// anchor (docs/records.md#list-parameters).
package crmd

import (
	"errors"
	"fmt"
	"time"
)

// Error is the one error type crmd returns to clients. Code is Zoho's error code (INVALID_DATA, …),
// Message its literal message, Details the Zoho `details` object, and Status the HTTP status. Every layer
// below the HTTP surface returns *Error for anything a client caused; any other error is internal and
// is logged, never shown.
type Error struct {
	Code    string
	Message string
	Details map[string]any
	Status  int
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// statusOf is the one table mapping Zoho codes to HTTP statuses. A code missing here answers 400, which
// is what Zoho does for nearly every validation code.
var statusOf = map[string]int{
	"INVALID_TOKEN":            401,
	"AUTHENTICATION_FAILURE":   401,
	"OAUTH_SCOPE_MISMATCH":     401,
	"NO_PERMISSION":            403,
	"INVALID_URL_PATTERN":      404,
	"NOT_FOUND":                404,
	"REQUEST_ENTITY_TOO_LARGE": 413,
	"TOO_MANY_REQUESTS":        429,
	"INTERNAL_ERROR":           500,
	"SERVICE_UNAVAILABLE":      503,
	"QUERY_TIMEOUT":            503,
}

// Messages Zoho uses verbatim; clients match on them.
const (
	MsgInvalidID        = "the id given seems to be invalid"
	MsgInvalidModule    = "the module name given seems to be invalid"
	MsgInvalidURL       = "Please check if the URL trying to access is a correct one"
	MsgInvalidMethod    = "The http request method type is not a valid one"
	MsgAuthFailed       = "Authentication failed"
	MsgInvalidToken     = "invalid oauth token"
	MsgScopeMismatch    = "invalid oauth scope to access this URL"
	MsgPermissionDenied = "permission denied"
	MsgRequiredField    = "required field not found"
	MsgParamMissing     = "required param is missing"
	MsgUnableToParse    = "either the request body or parameters is in wrong format"
	MsgInvalidData      = "invalid data"
	MsgPatternNotMatch  = "Please check whether the input values are correct"
	MsgInternal         = "Internal Server Error"
)

// E builds an *Error whose HTTP status comes from the table.
func E(code, message string, details map[string]any) *Error {
	if details == nil {
		details = map[string]any{}
	}
	st, ok := statusOf[code]
	if !ok {
		st = 400
	}
	return &Error{Code: code, Message: message, Details: details, Status: st}
}

// D is shorthand for a details object.
type D = map[string]any

// Common errors, built fresh each time so that callers may add details.

// ErrInvalidURL is the answer for any path crmd does not serve.
func ErrInvalidURL() *Error { return E("INVALID_URL_PATTERN", MsgInvalidURL, nil) }

// ErrInvalidMethod is the answer for a known path called with a verb it does not take.
func ErrInvalidMethod() *Error { return E("INVALID_REQUEST_METHOD", MsgInvalidMethod, nil) }

// ErrInvalidModule is the answer for an unknown module in the path (segment index 0 after the version).
func ErrInvalidModule() *Error {
	return E("INVALID_MODULE", MsgInvalidModule, D{"resource_path_index": 0})
}

// ErrInternal is what a client sees of an internal failure.
func ErrInternal() *Error { return E("INTERNAL_ERROR", MsgInternal, nil) }

// ErrUnparsable is the answer for a body or parameter that cannot be parsed.
func ErrUnparsable() *Error { return E("UNABLE_TO_PARSE_DATA_TYPE", MsgUnableToParse, nil) }

// ErrParamMissing is the answer for a missing mandatory query parameter.
func ErrParamMissing(param string) *Error {
	return E("REQUIRED_PARAM_MISSING", MsgParamMissing, D{"param_name": param})
}

// ErrNoPermission names the profile permission the caller lacks.
func ErrNoPermission(perms ...string) *Error {
	return E("NO_PERMISSION", MsgPermissionDenied, D{"permissions": perms})
}

// AsError returns the *Error inside err, if there is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// Result is what happened to one item of a multi-item call (insert, update, delete, custom views,
// territories, restore …), in input order: the item's value when it succeeded, else the item's error.
// Services return them; the HTTP layer turns each into Zoho's per-item entry.
type Result[T any] struct {
	Value T
	Err   *Error
}

// OK reports whether the item succeeded.
func (r Result[T]) OK() bool { return r.Err == nil }

// Failed is the Result of an item that failed with e.
func Failed[T any](e *Error) Result[T] { return Result[T]{Err: e} }

// ErrInvalidParam is the request-level INVALID_DATA error for a query parameter.
func ErrInvalidParam(name string) *Error {
	return E("INVALID_DATA", MsgInvalidData, D{"param_name": name})
}

// ErrQueryTimeout is the answer to a request whose database work ran longer than the server's query
// timeout (crmd serve --query-timeout): its statement was cancelled and its writes rolled back.
func ErrQueryTimeout(limit time.Duration) *Error {
	return E("QUERY_TIMEOUT", "the request ran longer than the server's query timeout and was cancelled; nothing was written",
		D{"timeout": limit.String()})
}
