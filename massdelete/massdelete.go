// Package massdelete is crmd's Mass Delete Records service (docs/mass-delete.md, rules D1–D19): it reads
// and checks a mass delete body, deletes up to Settings.IDLimit records by id synchronously, schedules
// a job for the records of a custom view (∩ a territory), answers a job's status, and runs the jobs
// (Runner). Like the other services it knows nothing of HTTP: the HTTP layer resolves the module and
// checks the token's scope, then hands over the caller, the module and the decoded body; every
// *crmd.Error returned is Zoho's answer, any other error is internal.
//
// Choices made where Zoho's material is silent (written down in docs/mass-delete.md):
//   - A key given as JSON null counts as absent ({"ids":null,"cvid":"…"} is a cvid call).
//   - An id is a string of 1–19 digits or a JSON integer written without fraction or exponent; anything
//     else (a float such as 1.0, 1e3, a negative number, a boolean, null, an object) is malformed (D8).
//     Malformed ids are reported before the limit is checked, and the first one wins.
//   - territory with ids is a guard (D12); an unknown territory is refused before anything is deleted.
//     A territory that is not an object, a missing or malformed territory id and a non-boolean
//     include_child are INVALID_DATA / MANDATORY_NOT_FOUND naming their json_path under $.territory.
//   - Per-id NO_PERMISSION and RECORD_LOCKED (D6) never arise: only profiles with the mass delete
//     permission (Administrators) get this far, and they may delete every record; crmd has no record
//     locking.
//   - The job snapshots every live record the view (∩ territory) selects, approved or not; unapproved
//     ones are counted in Failed_Count when the runner reaches them (D16), and they count towards the
//     view limit. A view selecting only unapproved records is therefore not "empty".
//   - Status: unknown, foreign (another org) and other-module jobs give the same answer (D18). A
//     job_id of digits that is no valid id (0, 20 digits) is an unknown job, not a parse error.
package massdelete

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/records"
	"github.com/crmd/crmd/store"
	"github.com/crmd/crmd/territories"
	"github.com/crmd/crmd/views"
)

// Defaults of the settings (the documented Zoho limits).
const (
	DefaultIDLimit   = 500
	DefaultViewLimit = 50_000
)

// Lock scopes of "one cvid job at a time" (D5, --mass-delete-lock).
const (
	LockOrg    = "org"
	LockModule = "module"
	LockView   = "view"
)

// Settings configure the service; zero values take the defaults.
type Settings struct {
	IDLimit     int    // most distinct ids per call (D10)
	ViewLimit   int    // most records a view (∩ territory) may select (D10)
	EditionGate bool   // refuse cvid calls as Zoho does in editions without scheduled mass operations (D13)
	Lock        string // LockOrg (default), LockModule or LockView
}

// Service implements mass delete on a store.
type Service struct {
	st    *store.Store
	views *views.Service
	terr  *territories.Service
	cfg   Settings
	wake  chan struct{}
}

// New returns a mass delete service on st, which resolves views and territories through vs and ts.
func New(st *store.Store, vs *views.Service, ts *territories.Service, cfg Settings) *Service {
	if cfg.IDLimit <= 0 {
		cfg.IDLimit = DefaultIDLimit
	}
	if cfg.ViewLimit <= 0 {
		cfg.ViewLimit = DefaultViewLimit
	}
	if cfg.Lock == "" {
		cfg.Lock = LockOrg
	}
	return &Service{st: st, views: vs, terr: ts, cfg: cfg, wake: make(chan struct{}, 1)}
}

// Settings returns the service's settings, defaults filled in.
func (s *Service) Settings() Settings { return s.cfg }

// v3Only are the modules mass delete supports only from v3 on (D15): v2 and v2.1 list neither the
// activities nor Cases, Services and Appointments.
var v3Only = map[string]bool{"Tasks": true, "Events": true, "Calls": true, "Cases": true, "Services__s": true, "Appointments__s": true}

// Supported reports whether module m may be mass deleted in API version (×10) version: D15's list per
// version, which also decides which modules have a status endpoint.
func Supported(m *crmd.Module, version int) bool {
	if !m.MassDeletable {
		return false
	}
	return version >= 30 || !v3Only[m.APIName]
}

// ErrNotSupported is the answer for a module that cannot be mass deleted in the request's version.
func ErrNotSupported() *crmd.Error {
	return crmd.E("NOT_SUPPORTED", "Mass delete is not supported for this module", crmd.D{"resource_path_index": 0})
}

// CheckProfile answers 403 NO_PERMISSION naming the first permission the caller's profile lacks: delete,
// then mass delete (D19).
func CheckProfile(c *crmd.Caller, m *crmd.Module) error {
	for _, verb := range []string{crmd.PermDelete, crmd.PermMassDelete} {
		if !c.User.Profile.Can(verb) {
			return crmd.ErrNoPermission(crmd.PermissionName(verb, m.APIName))
		}
	}
	return nil
}

// Territory is the optional territory of a request.
type Territory struct {
	ID           crmd.ID
	IncludeChild bool
}

// Request is a checked mass delete body: either IDs (distinct, in first-seen order) or CVID.
type Request struct {
	IDs       []crmd.ID
	CVID      string
	Territory *Territory
}

func invalidData(details crmd.D) *crmd.Error {
	return crmd.E("INVALID_DATA", crmd.MsgInvalidData, details)
}

func errMandatory() *crmd.Error {
	return crmd.E("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, crmd.D{"api_name": "ids", "expected_data_type": "jsonarray"})
}

// errTerritoryID is the answer for a territory id that is malformed or names no territory of the org.
func errTerritoryID() *crmd.Error {
	return crmd.E("INVALID_DATA", crmd.MsgInvalidID, crmd.D{"api_name": "id", "json_path": "$.territory.id"})
}

// present returns a body key that is given and not null.
func present(body map[string]any, key string) (any, bool) {
	v, ok := body[key]
	return v, ok && v != nil
}

// Parse checks a decoded body (nil for an empty one) and returns the request it makes: both keys (D1),
// neither (D9), the territory, then the cvid or the ids (D9, D8, D2, D10), the first problem winning.
func (s *Service) Parse(body map[string]any) (*Request, error) {
	rawIDs, hasIDs := present(body, "ids")
	rawCVID, hasCVID := present(body, "cvid")
	if hasIDs && hasCVID {
		return nil, crmd.E("AMBIGUITY_DURING_PROCESSING", "ambiguity during processing", crmd.D{"ambiguity_due_to": []any{
			map[string]any{"api_name": "ids", "json_path": "$.ids"},
			map[string]any{"api_name": "cvid", "json_path": "$.cvid"},
		}})
	}
	if !hasIDs && !hasCVID {
		return nil, errMandatory()
	}
	req := &Request{}
	if t, ok := present(body, "territory"); ok {
		terr, err := parseTerritory(t)
		if err != nil {
			return nil, err
		}
		req.Territory = terr
	}
	switch {
	case hasCVID:
		cvid, ok := idText(rawCVID)
		if _, valid := crmd.ParseID(cvid); !ok || !valid {
			return nil, views.ErrInvalidCVID()
		}
		req.CVID = cvid
		return req, nil
	}
	arr, ok := rawIDs.([]any)
	if !ok {
		return nil, invalidData(crmd.D{"api_name": "ids", "json_path": "$.ids", "expected_data_type": "jsonarray"})
	}
	if len(arr) == 0 {
		return nil, errMandatory()
	}
	seen := make(map[crmd.ID]bool, len(arr))
	for i, v := range arr {
		txt, ok := idText(v)
		id, valid := crmd.ParseID(txt)
		if !ok || !valid {
			return nil, crmd.E("INVALID_DATA", crmd.MsgInvalidID, crmd.D{"api_name": "ids", "json_path": fmt.Sprintf("$.ids[%d]", i), "id": v})
		}
		if !seen[id] {
			seen[id] = true
			req.IDs = append(req.IDs, id)
		}
	}
	if len(req.IDs) > s.cfg.IDLimit {
		return nil, crmd.E("LIMIT_EXCEEDED", "limit exceeded", crmd.D{"limit": s.cfg.IDLimit, "api_name": "ids", "json_path": "$.ids"})
	}
	return req, nil
}

// idText returns the digits of an id given as a JSON string or as a JSON integer (json.Number) written
// exactly, without fraction or exponent; false for anything else.
func idText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		s := x.String()
		if strings.ContainsAny(s, ".eE-+") {
			return "", false
		}
		return s, true
	}
	return "", false
}

func parseTerritory(v any) (*Territory, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalidData(crmd.D{"api_name": "territory", "json_path": "$.territory", "expected_data_type": "jsonobject"})
	}
	raw, ok := present(obj, "id")
	if !ok {
		return nil, crmd.E("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, crmd.D{"api_name": "id", "json_path": "$.territory.id"})
	}
	txt, ok := idText(raw)
	id, valid := crmd.ParseID(txt)
	if !ok || !valid {
		return nil, errTerritoryID()
	}
	t := &Territory{ID: id}
	if c, ok := present(obj, "include_child"); ok {
		b, isBool := c.(bool)
		if !isBool {
			return nil, invalidData(crmd.D{"api_name": "include_child", "json_path": "$.territory.include_child", "expected_data_type": "boolean"})
		}
		t.IncludeChild = b
	}
	return t, nil
}

// territoryScope resolves a request's territory (∪ its subtree with include_child); an unknown
// territory is errTerritoryID.
func (s *Service) territoryScope(ctx context.Context, orgID crmd.ID, t *Territory) (*store.TerritoryScope, error) {
	scope, err := s.terr.Scope(ctx, orgID, t.ID, t.IncludeChild)
	if _, ok := crmd.AsError(err); ok {
		return nil, errTerritoryID()
	}
	return scope, err
}

// Message of a successful per-id deletion (the plain DELETE says "record deleted").
const msgDeleted = "record is deleted"

// DeleteIDs deletes the records of a request by ids (already checked by Parse) in one transaction, with
// the caller as deleted_by, and returns one outcome per id in order (D6). With a territory, ids of
// records outside it (∪ its subtree with include_child) are INVALID_DATA and left alone (D12).
func (s *Service) DeleteIDs(ctx context.Context, c *crmd.Caller, m *crmd.Module, ids []crmd.ID, t *Territory) ([]crmd.Outcome, error) {
	var scope *store.TerritoryScope
	if t != nil {
		var err error
		if scope, err = s.territoryScope(ctx, c.Org.ID, t); err != nil {
			return nil, err
		}
	}
	var verdicts []records.Verdict
	err := s.st.Tx(ctx, func(tx *store.Tx) error {
		var err error
		verdicts, err = records.SoftDelete(ctx, s.st, tx, records.Deletion{OrgID: c.Org.ID, ModuleID: m.ID, IDs: ids,
			By: c.User.ID, At: s.st.NowMS(), Territory: scope})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]crmd.Outcome, len(ids))
	for i, id := range ids {
		switch verdicts[i] {
		case records.Deleted:
			out[i] = crmd.Outcome{Message: msgDeleted, Details: map[string]any{"id": id}}
		case records.NotApproved:
			out[i].Err = crmd.E("NOT_APPROVED", "cannot delete record that is not approved yet", crmd.D{"id": id})
		default:
			// Only Administrators mass delete, and they may delete every record: NotOwned never arises.
			out[i].Err = crmd.E("INVALID_DATA", crmd.MsgInvalidID, crmd.D{"id": id})
		}
	}
	return out, nil
}

// lockKey is what the one-job lock counts over for a job of module m and view cvid (D5).
func (s *Service) lockKey(orgID crmd.ID, m *crmd.Module, cvid crmd.ID) string {
	switch s.cfg.Lock {
	case LockModule:
		return "module:" + orgID.String() + ":" + m.ID.String()
	case LockView:
		return "view:" + orgID.String() + ":" + m.ID.String() + ":" + cvid.String()
	}
	return "org:" + orgID.String()
}

// ErrAlreadyScheduled is the answer when the lock's scope already has a SCHEDULED or RUNNING job.
func ErrAlreadyScheduled() *crmd.Error {
	return crmd.E("ALREADY_SCHEDULED", "Already a Mass Action scheduler is running for the given cvid", crmd.D{"api_name": "cvid"})
}

// Schedule accepts a cvid mass delete and returns the job id: the view (∩ territory) is resolved for the
// caller now, and in one write transaction the job lock is taken, the matching live records are
// snapshotted and the job row is written; the runner is then woken. A view over the limit
// (LIMIT_EXCEEDED) or without records (NO_RECORDS_FOUND) leaves nothing behind.
func (s *Service) Schedule(ctx context.Context, c *crmd.Caller, m *crmd.Module, cvid string, t *Territory) (crmd.ID, error) {
	if s.cfg.EditionGate {
		return 0, crmd.E("FEATURE_NOT_SUPPORTED", "Scheduled Mass Operation feature is not available in your edition", nil)
	}
	// Resolution may build a field index (a write), so it runs before the transaction, which holds the
	// store's only write connection.
	view, err := s.views.Resolve(ctx, c, m, cvid)
	if err != nil {
		return 0, err
	}
	viewID, _ := crmd.ParseID(cvid)
	filter := store.RecordFilter{View: view}
	if t != nil {
		// Beside the view the store probes each record the view selects, instead of listing the
		// territory's records.
		if filter.Territory, err = s.territoryScope(ctx, c.Org.ID, t); err != nil {
			return 0, err
		}
	}
	var jobID crmd.ID
	err = s.st.Tx(ctx, func(tx *store.Tx) error {
		id, err := s.st.AllocIDs(ctx, tx, c.Org.ID, 1)
		if err != nil {
			return err
		}
		job := &crmd.Job{ID: id, OrgID: c.Org.ID, ModuleID: m.ID, CVID: viewID, LockKey: s.lockKey(c.Org.ID, m, viewID),
			Status: crmd.JobScheduled, CreatedBy: c.User.ID, CreatedTime: s.st.NowMS()}
		if t != nil {
			job.TerritoryID, job.IncludeChild = t.ID, t.IncludeChild
		}
		ok, err := s.st.InsertMassDeleteJob(ctx, tx, job)
		if err != nil {
			return err
		}
		if !ok {
			return ErrAlreadyScheduled()
		}
		n, err := s.st.SnapshotJobItems(ctx, tx, id, c.Org.ID, m.ID, filter, s.cfg.ViewLimit)
		if err != nil {
			return err
		}
		switch {
		case n > int64(s.cfg.ViewLimit):
			return crmd.E("LIMIT_EXCEEDED", "limit exceeded", crmd.D{"limit": s.cfg.ViewLimit, "api_name": "cvid", "json_path": "$.cvid"})
		case n == 0:
			return crmd.E("NO_RECORDS_FOUND", "no record found to update", nil)
		}
		jobID = id
		return s.st.SetJobTotal(ctx, tx, id, n)
	})
	if err != nil {
		return 0, err
	}
	s.Kick()
	return jobID, nil
}

// Kick wakes the runner of this process, if it is idle, to look for jobs now rather than at its next
// poll.
func (s *Service) Kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Status is a job's status as the status API shows it.
type Status struct {
	Status                                string
	TotalCount, DeletedCount, FailedCount int64
}

// Status answers GET …/actions/mass_delete?job_id= for module m in API version (×10) version (D17, D18).
func (s *Service) Status(ctx context.Context, c *crmd.Caller, m *crmd.Module, version int, rawJobID string, given bool) (*Status, error) {
	if !given {
		return nil, crmd.E("MANDATORY_NOT_FOUND", "mandatory param missing", crmd.D{"param_name": "job_id"})
	}
	for i := 0; i < len(rawJobID); i++ {
		if rawJobID[i] < '0' || rawJobID[i] > '9' {
			return nil, crmd.ErrUnparsable()
		}
	}
	unknown := func() error {
		if version < 30 {
			return crmd.E("NOT_FOUND", "Empty response", nil)
		}
		return crmd.E("INVALID_DATA", "The jobid given seems to be invalid", crmd.D{"param_name": "job_id"})
	}
	id, ok := crmd.ParseID(rawJobID)
	if !ok {
		return nil, unknown()
	}
	j, err := s.st.MassDeleteJob(ctx, c.Org.ID, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && j.ModuleID != m.ID) {
		return nil, unknown()
	}
	if err != nil {
		return nil, err
	}
	st := j.Status
	if st == crmd.JobScheduled && version >= 30 {
		// v3+ clients (the v8 SDKs) know only COMPLETED, RUNNING and FAILED.
		st = crmd.JobRunning
	}
	return &Status{Status: st, TotalCount: j.TotalCount, DeletedCount: j.DeletedCount, FailedCount: j.FailedCount}, nil
}
