// Package records holds the rules of Zoho records: validating and coercing field values against a
// module's fields, inserting, updating, reading, listing and soft-deleting records, and shaping them
// as Zoho's JSON. It knows nothing of HTTP: every operation takes the caller and the resolved module
// (the HTTP layer has already checked the token's scope) and returns plain results, with *crmd.Error
// for anything the client caused and any other error for internal failures.
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
	// MaxDelete is how many ids one DELETE /{module}?ids= may name.
	MaxDelete = 100
	// MaxPerPage is the largest page; larger per_page values are clamped to it.
	MaxPerPage = 200
	// MaxFields is how many api names the fields parameter may list.
	MaxFields = 50
	// DiscreteLimit is how far page/per_page may reach (v5+); beyond it a page_token is needed.
	DiscreteLimit = 2000
	// TokenLimit is how far page tokens may reach (v5+).
	TokenLimit = 100_000
)

// Approval states an insert may give in $approval_state (docs/records.md#approval-states).
var approvalStates = map[string]bool{
	"approved": true, "approval_process_pending": true, "approval_process_rejected": true,
	"review_process_pending": true, "review_process_rejected": true, "webform_unapproved": true,
	"webform_invalid": true, "webform_invalid_approval": true, "webform_double_optin": true,
	"email_parser_waiting": true, "email_parser_rejected": true, "zia_vision_validation": true,
	"zia_vision_pending": true, "zia_vision_rejected": true, "merge_pending": true,
}

// Outcome is the result for one item of a multi-item call (see crmd.Outcome).
type Outcome = crmd.Outcome

// Page is one page of a list: the items and Zoho's info object. An empty Data means "nothing", which
// Zoho answers with 204 and no body.
type Page struct {
	Data []map[string]any
	Info map[string]any
}

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

// userRef is Zoho's {"name","id"} (and "email" when withEmail) reference to a user. A user that no
// longer exists keeps its id with empty name and email rather than failing the whole answer.
func userRef(users map[crmd.ID]*crmd.User, id crmd.ID, withEmail bool) map[string]any {
	ref := map[string]any{"id": id, "name": ""}
	if withEmail {
		ref["email"] = ""
	}
	if u := users[id]; u != nil {
		ref["name"] = u.FullName()
		if withEmail {
			ref["email"] = u.Email
		}
	}
	return ref
}

// ParseDeleteIDs reads the ids parameter of DELETE /{module}?ids=: a comma list of at most MaxDelete
// distinct ids, de-duplicated in first-seen order (D2). Missing or empty is REQUIRED_PARAM_MISSING, a
// malformed id UNABLE_TO_PARSE_DATA_TYPE, too many LIMIT_EXCEEDED.
func ParseDeleteIDs(raw string) ([]crmd.ID, *crmd.Error) {
	return crmd.RequiredIDs(raw, MaxDelete, "One of the expected parameter is missing")
}
