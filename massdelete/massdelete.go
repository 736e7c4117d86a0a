// Package massdelete is crmd's Mass Delete Records service (docs/mass-delete.md, rules D1–D19): it
// deletes up to Settings.IDLimit records by id synchronously, schedules a job for the records of a
// custom view (∩ a territory), reads a job back, and runs the jobs (Runner). Like the other services it
// knows nothing of HTTP nor of Zoho's JSON: the HTTP layer resolves the module, checks the token's
// scope and decodes the body, then hands over the caller, the module and the typed request; every
// *crmd.Error returned is Zoho's answer, any other error is internal.
//
// Choices made where Zoho's material is silent (written down in docs/mass-delete.md):
//   - territory with ids is a guard (D12); an unknown territory is refused before anything is deleted.
//   - Per-id NO_PERMISSION and RECORD_LOCKED (D6) never arise: only profiles with the mass delete
//     permission (Administrators) get this far, and they may delete every record; crmd has no record
//     locking.
//   - The job snapshots every live record the view (∩ territory) selects, approved or not; unapproved
//     ones are counted in Failed_Count when the runner reaches them (D16), and they count towards the
//     view limit. A view selecting only unapproved records is therefore not "empty".
package massdelete

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/jobs"
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
	kick  func() // wakes the job runner; a no-op until Attach
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
	return &Service{st: st, views: vs, terr: ts, cfg: cfg, kick: func() {}}
}

// Attach makes r run this service's jobs (kinds crmd.JobMassDelete and crmd.JobUndo), and has Schedule
// and Undo wake r.
func (s *Service) Attach(r *jobs.Runner) {
	r.Handle(crmd.JobMassDelete, s.work)
	r.Handle(crmd.JobUndo, s.undoWork)
	s.kick = r.Kick
}

// The job runner's settings and defaults, under the names this package has always used.
type RunnerConfig = jobs.Config

const (
	DefaultLease = jobs.DefaultLease
	JobRetention = jobs.Retention
)

// NewRunner returns a job runner that runs svc's mass delete jobs (and no other kind): for tests and
// tools that run mass delete alone. crmd serve's runner runs every kind (package app).
func NewRunner(svc *Service, cfg RunnerConfig, log *slog.Logger) *jobs.Runner {
	r := jobs.New(svc.st, cfg, log)
	svc.Attach(r)
	return r
}

// Settings returns the service's settings, defaults filled in.
func (s *Service) Settings() Settings { return s.cfg }

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

// ErrTerritoryID is the answer for a territory id that is malformed or names no territory of the org.
func ErrTerritoryID() *crmd.Error {
	return crmd.E("INVALID_DATA", crmd.MsgInvalidID, crmd.D{"api_name": "id", "json_path": "$.territory.id"})
}

// ErrUnknownTerritory is the answer for a well-formed territory id that names no territory of the
// org: ErrTerritoryID's with the id given beside api_name and json_path, so that a client that sent
// several requests can tell which territory was refused.
func ErrUnknownTerritory(id crmd.ID) *crmd.Error {
	e := ErrTerritoryID()
	e.Details["id"] = id
	return e
}

// errUnknownCVID is the answer for a well-formed cvid that names no view of the module the caller may
// see: views.ErrInvalidCVID's with the cvid beside api_name and json_path, like ErrUnknownTerritory.
func errUnknownCVID(cvid crmd.ID) *crmd.Error {
	e := views.ErrInvalidCVID()
	e.Details["id"] = cvid
	return e
}

// territoryScope resolves a request's territory (∪ its subtree with include_child); an unknown
// territory is ErrUnknownTerritory.
func (s *Service) territoryScope(ctx context.Context, orgID crmd.ID, t *Territory) (*store.TerritoryScope, error) {
	scope, err := s.terr.Scope(ctx, orgID, t.ID, t.IncludeChild)
	if _, ok := crmd.AsError(err); ok {
		return nil, ErrUnknownTerritory(t.ID)
	}
	return scope, err
}

// DeleteIDs deletes records by ids (in the request's order, at most Settings().IDLimit; a repeated id is
// answered again, as already deleted) in one
// transaction, with the caller as deleted_by, and returns one result per id in order (D6): the id, or
// INVALID_DATA (unknown, of another module or org, already deleted, outside the territory) or
// NOT_APPROVED. With a territory, ids of
// records outside it (∪ its subtree with include_child) are INVALID_DATA and left alone (D12).
func (s *Service) DeleteIDs(ctx context.Context, c *crmd.Caller, m *crmd.Module, ids []crmd.ID, t *Territory) ([]crmd.Result[crmd.ID], error) {
	scope, err := s.checkIDs(ctx, c, m, ids, t)
	if err != nil {
		return nil, err
	}
	var verdicts []records.Verdict
	err = s.st.Tx(ctx, func(tx *store.Tx) error {
		var err error
		verdicts, err = records.SoftDelete(ctx, s.st, tx, records.Deletion{OrgID: c.Org.ID, ModuleID: m.ID, IDs: ids,
			By: c.User.ID, Via: store.ViaIDs, At: s.st.NowMS(), Territory: scope})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]crmd.Result[crmd.ID], len(ids))
	for i, id := range ids {
		if e := verdictErr(verdicts[i], id); e != nil {
			out[i].Err = e
		} else {
			out[i].Value = id
		}
	}
	return out, nil
}

// verdictErr is the answer of a mass delete by ids for an id the deletion judged v: nil for a record it
// deletes. DeleteIDs answers it, PreviewIDs shows its code.
func verdictErr(v records.Verdict, id crmd.ID) *crmd.Error {
	switch v {
	case records.Deleted:
		return nil
	case records.NotApproved:
		return crmd.E("NOT_APPROVED", "cannot delete record that is not approved yet", crmd.D{"id": id})
	}
	// Only Administrators mass delete, and they may delete every record: NotOwned never arises.
	return crmd.E("INVALID_DATA", crmd.MsgInvalidID, crmd.D{"id": id})
}

// checkIDs runs the checks of a mass delete by ids before any record is read — the profile, the limit,
// the territory — and returns the territory's scope (nil without one). DeleteIDs and PreviewIDs share
// them.
func (s *Service) checkIDs(ctx context.Context, c *crmd.Caller, m *crmd.Module, ids []crmd.ID, t *Territory) (*store.TerritoryScope, error) {
	if err := CheckProfile(c, m); err != nil {
		return nil, err
	}
	// The HTTP layer refuses more while it parses the body; any other caller meets the same bound,
	// which keeps one call's transaction short.
	if len(ids) > s.cfg.IDLimit {
		return nil, crmd.E("LIMIT_EXCEEDED", "limit exceeded", crmd.D{"limit": s.cfg.IDLimit, "api_name": "ids", "json_path": "$.ids"})
	}
	if t == nil {
		return nil, nil
	}
	return s.territoryScope(ctx, c.Org.ID, t)
}

// viewSelection runs the checks of a mass delete by view before any record is read — the profile, the
// edition, the view, the territory — and returns the selection as the store filters it. Schedule and
// PreviewView share them.
func (s *Service) viewSelection(ctx context.Context, c *crmd.Caller, m *crmd.Module, cvid crmd.ID, t *Territory) (store.RecordFilter, error) {
	if err := CheckProfile(c, m); err != nil {
		return store.RecordFilter{}, err
	}
	if s.cfg.EditionGate {
		return store.RecordFilter{}, crmd.E("FEATURE_NOT_SUPPORTED", "Scheduled Mass Operation feature is not available in your edition", nil)
	}
	view, err := s.views.Resolve(ctx, c, m, cvid.String())
	if e, ok := crmd.AsError(err); ok && e.Code == "INVALID_DATA" && e.Message == views.MsgInvalidCVID {
		return store.RecordFilter{}, errUnknownCVID(cvid)
	}
	if err != nil {
		return store.RecordFilter{}, err
	}
	filter := store.RecordFilter{View: view}
	if t != nil {
		// Beside the view the store probes each record the view selects, instead of listing the
		// territory's records.
		if filter.Territory, err = s.territoryScope(ctx, c.Org.ID, t); err != nil {
			return store.RecordFilter{}, err
		}
	}
	return filter, nil
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

// Schedule accepts a cvid mass delete and returns the job id. The view (∩ territory) is resolved for
// the caller now; then jobs.Prepare takes the one-job lock first (ALREADY_SCHEDULED when it is held),
// selects the matching live records outside any write transaction and writes them as the job's
// snapshot in short transactions, and publishes the job for the runner. A view over the limit
// (LIMIT_EXCEEDED) or without records (NO_RECORDS_FOUND) leaves nothing behind.
func (s *Service) Schedule(ctx context.Context, c *crmd.Caller, m *crmd.Module, cvid crmd.ID, t *Territory) (crmd.ID, error) {
	filter, err := s.viewSelection(ctx, c, m, cvid, t)
	if err != nil {
		return 0, err
	}
	job := &crmd.Job{Kind: crmd.JobMassDelete, OrgID: c.Org.ID, ModuleID: m.ID, CVID: cvid, LockKey: s.lockKey(c.Org.ID, m, cvid), CreatedBy: c.User.ID}
	if t != nil {
		job.TerritoryID, job.IncludeChild = t.ID, t.IncludeChild
	}
	j, err := jobs.Prepare(ctx, s.st, job,
		func(ctx context.Context) ([]crmd.ID, error) {
			return s.st.SelectRecordIDs(ctx, c.Org.ID, m.ID, filter, s.cfg.ViewLimit)
		},
		func(n int) error {
			switch {
			case n > s.cfg.ViewLimit:
				return crmd.E("LIMIT_EXCEEDED", "limit exceeded", crmd.D{"limit": s.cfg.ViewLimit, "api_name": "cvid", "json_path": "$.cvid"})
			case n == 0:
				return crmd.E("NO_RECORDS_FOUND", "no record found to update", nil)
			}
			return nil
		})
	if errors.Is(err, jobs.ErrLocked) {
		return 0, ErrAlreadyScheduled()
	}
	if err != nil {
		return 0, err
	}
	s.kick()
	return j.ID, nil
}

// Kick wakes the job runner, if it is idle, to look for jobs now rather than at its next poll.
func (s *Service) Kick() { s.kick() }

// work soft-deletes one batch of a mass delete job's snapshot inside tx: the one soft delete locks the
// batch's records first, so that its checks and the delete agree with a request racing the batch
// (PostgreSQL; SQLite's write transaction already excludes other writers); a record deleted, purged or
// unapproved meanwhile counts as failed (D16).
func (s *Service) work(ctx context.Context, tx *store.Tx, job *crmd.Job, ids []crmd.ID, at time.Time) (int64, error) {
	mods, err := s.st.Modules(ctx, job.OrgID)
	if err != nil {
		return 0, err
	}
	found := false
	for _, m := range mods {
		found = found || m.ID == job.ModuleID
	}
	if !found {
		return 0, &jobs.Failed{Reason: "the module no longer exists"}
	}
	verdicts, err := records.SoftDelete(ctx, s.st, tx, records.Deletion{OrgID: job.OrgID, ModuleID: job.ModuleID,
		IDs: ids, By: job.CreatedBy, JobID: job.ID, Via: store.ViaJob, At: at.UnixMilli()})
	if err != nil {
		return 0, err
	}
	var n int64
	for _, v := range verdicts {
		if v == records.Deleted {
			n++
		}
	}
	return n, nil
}

// Job returns a mass delete job of module m of the caller's org, or nil when there is none: an unknown
// job, another org's and another module's are all simply not found (D18).
func (s *Service) Job(ctx context.Context, c *crmd.Caller, m *crmd.Module, id crmd.ID) (*crmd.Job, error) {
	j, err := s.st.Job(ctx, c.Org.ID, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (j.Kind != crmd.JobMassDelete || j.ModuleID != m.ID)) {
		return nil, nil
	}
	return j, err
}
