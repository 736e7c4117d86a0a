// Package records holds the rules of Zoho records: validating and coercing field values against a
// module's fields, inserting, updating, reading, listing and soft-deleting records. It knows nothing of
// HTTP or of Zoho's JSON: every operation takes the caller, the resolved module (the HTTP layer has
// already checked the token's scope) and typed arguments, and returns records and typed pages, with
// *crmd.Error for anything the client caused and any other error for internal failures.
package records

import (
	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
	"github.com/crmd/crmd/territories"
	"github.com/crmd/crmd/views"
)

// Service implements the records API on a store. It selects a custom view's records through the views
// service and a territory's through the territories service.
type Service struct {
	st    *store.Store
	views *views.Service
	terr  *territories.Service
}

// New returns a records service on st.
func New(st *store.Store, vs *views.Service, ts *territories.Service) *Service {
	return &Service{st: st, views: vs, terr: ts}
}

// Limits of the records API (docs/conventions.md#limits).
const (
	// MaxWrite is how many records one insert or update may carry.
	MaxWrite = 100
	// MaxDelete is how many ids one DELETE /{module}?ids= (or one list's ids filter) may name.
	MaxDelete = 100
	// MaxPerPage is the largest page; larger per_page values are clamped to it.
	MaxPerPage = 200
	// DiscreteLimit is how far page/per_page may reach (v5+); beyond it a page_token is needed.
	DiscreteLimit = 2000
	// TokenLimit is how far page tokens may reach (v5+).
	TokenLimit = 100_000
)

// Approval filters of a list (`approved`): approved records only (the default), unapproved only, or
// both.
const (
	ApprovedOnly   = store.ApprovedOnly
	UnapprovedOnly = store.UnapprovedOnly
	ApprovedBoth   = store.ApprovedBoth
)

// Kinds of deleted records (`type` of GET /{module}/deleted).
const (
	DeletedAll       = store.DeletedAll
	DeletedRecycle   = store.DeletedRecycle
	DeletedPermanent = store.DeletedPermanent
)

// Approval states an insert may give in $approval_state (docs/records.md#approval-states).
var approvalStates = map[string]bool{
	"approved": true, "approval_process_pending": true, "approval_process_rejected": true,
	"review_process_pending": true, "review_process_rejected": true, "webform_unapproved": true,
	"webform_invalid": true, "webform_invalid_approval": true, "webform_double_optin": true,
	"email_parser_waiting": true, "email_parser_rejected": true, "zia_vision_validation": true,
	"zia_vision_pending": true, "zia_vision_rejected": true, "merge_pending": true,
}

// IsApprovalState tells whether s is an approval state an insert may give.
func IsApprovalState(s string) bool { return approvalStates[s] }

// ErrInvalidPathID is the one answer for a record id in the path that is malformed, unknown, deleted or
// of another org or module: a caller cannot tell them apart.
func ErrInvalidPathID() *crmd.Error {
	return crmd.E("INVALID_DATA", crmd.MsgInvalidID, crmd.D{"resource_path_index": 1})
}

// errNotSupported answers an operation the module does not allow (a module that is not creatable,
// editable or deletable).
func errNotSupported() *crmd.Error {
	return crmd.E("NOT_SUPPORTED", "the api is not supported for this module", crmd.D{"resource_path_index": 0})
}

// checkProfile answers 403 NO_PERMISSION naming the module permission the caller's profile lacks.
func checkProfile(c *crmd.Caller, m *crmd.Module, verb string) error {
	if !c.User.Profile.Can(verb) {
		return crmd.ErrNoPermission(crmd.PermissionName(verb, m.APIName))
	}
	return nil
}

// mayTouch reports whether the caller may change or delete a record: administrators may act on every
// record, everyone else only on the records they own.
func mayTouch(c *crmd.Caller, r *crmd.Record) bool {
	return c.User.Profile.IsAdmin() || r.OwnerID == c.User.ID
}
