// Package views is crmd's custom view service: Zoho's system views of every module (created lazily,
// with fixed meanings), the views users make (checked against the module, their criteria through
// package criteria), and the resolution of a view to what it selects (store.ViewFilter), which
// GET /{module}?cvid= and mass delete use.
//
// It knows nothing of HTTP or of Zoho's JSON: every operation takes the caller, the resolved module
// (the HTTP layer has already checked the token's scope) and typed inputs, and returns views, with
// *crmd.Error for anything the client caused and any other error for internal failures. How a view
// is shown per API version is package api's business.
//
// Choices made where Zoho documents nothing:
//   - Who sees what: system views and public views are seen by everyone; a view with access_type
//     only_to_me only by its creator and by administrators (as "other_users_views"). A view someone
//     cannot see does not exist for them (INVALID_DATA, never NO_PERMISSION).
//   - Anyone may create views; only the creator or an administrator may update or delete one (else
//     NO_PERMISSION {"id"}); system views are never updated or deleted (NOT_ALLOWED {"id"}).
//   - name: required, trimmed, 1–50 characters without control characters (too long: INVALID_DATA with
//     maximum_length 50), unique per module case-insensitively, system view names included
//     (DUPLICATE_DATA {"api_name":"name","json_path"}).
//   - fields and sort_by are fields of the module; repeated fields are kept once. access_type is public
//     or only_to_me (default only_to_me, as in Zoho's UI).
//   - A stored criteria that no longer fits the module (a field was removed) is shown as stored and
//     selects no record: deleting by such a view must never widen to the whole module.
package views

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/criteria"
	"github.com/crmd/crmd/jobs"
	"github.com/crmd/crmd/store"
)

// Service implements custom views on a store. It holds no state besides the store and the job runner
// it wakes, so it is cheap to make.
type Service struct {
	st   *store.Store
	kick func() // wakes the job runner; a no-op until Attach
	// building holds the fields whose PostgreSQL expression index this process is building in the
	// background (buildIndex), so that requests arriving meanwhile start no second build.
	building sync.Map
}

// New returns a views service on st.
func New(st *store.Store) *Service { return &Service{st: st, kick: func() {}} }

// Attach makes r run this service's jobs (kind crmd.JobIndexBuild: filling a field's side index), and
// has the service wake r when it schedules one.
func (s *Service) Attach(r *jobs.Runner) {
	r.HandleBackground(crmd.JobIndexBuild, s.indexWork)
	s.kick = r.Kick
}

// MaxNameLength is the longest view name, in characters.
const MaxNameLength = 50

// Access types of user views.
const (
	AccessPublic   = "public"
	AccessOnlyToMe = "only_to_me"
)

// Categories, relative to the caller.
const (
	CategoryPublic       = "public_views"
	CategoryOtherUsers   = "other_users_views"
	CategorySharedWithMe = "shared_with_me"
	CategoryCreatedByMe  = "created_by_me"
)

// MsgInvalidCVID is Zoho's message for a cvid that names no view the caller may use.
const MsgInvalidCVID = "the cvid given seems to be invalid"

// ErrUnknownView is Lookup's answer for a view id that names no view of the module the caller may see.
var ErrUnknownView = errors.New("views: unknown view")

// ErrInvalidCVID is the error for an unknown cvid in a request body (mass delete): 400 INVALID_DATA
// `the cvid given seems to be invalid` {"api_name":"cvid","json_path":"$.cvid"}.
func ErrInvalidCVID() *crmd.Error {
	return crmd.E("INVALID_DATA", MsgInvalidCVID, crmd.D{"api_name": "cvid", "json_path": "$.cvid"})
}

// EnsureSystemViews creates the module's system views in the caller's org if they are missing (see
// store.EnsureSystemViews); every operation of the service that reads views calls it first. The indexes
// for the data fields system views filter on (Lead_Status, Email_Opt_Out) are made when such a view is
// first resolved, not here: listing views must stay cheap.
func (s *Service) EnsureSystemViews(ctx context.Context, orgID crmd.ID, m *crmd.Module) error {
	_, err := s.st.EnsureSystemViews(ctx, orgID, m.ID, systemViews(m))
	return err
}

// IndexCriteria makes sure every data field a criteria tree of module m reads has, or is getting, the
// index that serves it. On SQLite that is the field's side index (store/fieldvalues.go): its triggers
// are created now, and a job of kind index fills it for the existing records in short batches —
// no writer waits for it, and until it completes the criteria read the JSON, with the same answers. On
// PostgreSQL it is an expression index built CONCURRENTLY (store.EnsureFieldIndex), which does not block
// writers either.
func (s *Service) IndexCriteria(ctx context.Context, c *crmd.Caller, m *crmd.Module, n *criteria.Node) error {
	// Each field once, however many leaves read it: a view of 200 leaves on one field asks once.
	seen := map[string]bool{}
	var fields []*crmd.Field
	var walk func(n *criteria.Node)
	walk = func(n *criteria.Node) {
		switch {
		case n == nil:
		case n.IsGroup():
			for _, member := range n.Members {
				walk(member)
			}
		case !seen[n.Field.APIName]:
			seen[n.Field.APIName] = true
			fields = append(fields, n.Field)
		}
	}
	walk(n)
	return s.IndexFields(ctx, c, m, fields)
}

// IndexFields makes sure each of fields of module m has, or is getting, its index (see IndexCriteria):
// what a search, a count or an upsert compares on is indexed as a view's criteria are, so that their
// selections do not scan the module.
func (s *Service) IndexFields(ctx context.Context, c *crmd.Caller, m *crmd.Module, fields []*crmd.Field) error {
	for _, f := range fields {
		if err := s.indexField(ctx, c, m, f); err != nil {
			return err
		}
	}
	return nil
}

// buildIndex builds field f's expression index (store.EnsureFieldIndex; PostgreSQL only, a no-op on
// SQLite) in the background, outside the request that needs it: CREATE INDEX CONCURRENTLY reads the
// whole table twice, which took longer than the query timeout at 10,000,000 records, so the request
// creating a view ended with 503 QUERY_TIMEOUT and no view. Until the index is valid the criteria read
// the JSON — the same answers, slower — as SQLite's do until their index job completes. One build per
// field per process; across replicas EnsureFieldIndex's advisory lock lets one build. A build cut short
// (the process stops) leaves an invalid index, which the next EnsureFieldIndex drops and builds again.
func (s *Service) buildIndex(f *crmd.Field) {
	if !s.st.BuildsFieldIndexes() {
		return
	}
	key := f.APIName + "\x00" + f.DataType
	if _, busy := s.building.LoadOrStore(key, true); busy {
		return
	}
	// Nothing waits for it, and a failure (the store closing cancels it) is found and mended by the next
	// request that needs the index; the build must not end with the request that started it.
	s.st.Go(func(bg context.Context) {
		defer s.building.Delete(key)
		_ = s.st.EnsureFieldIndex(bg, f)
	})
}

// indexField makes sure field f of module m has, or is getting, its index (see IndexCriteria).
func (s *Service) indexField(ctx context.Context, c *crmd.Caller, m *crmd.Module, f *crmd.Field) error {
	if !s.st.SideIndexed(f) {
		s.buildIndex(f)
		return nil
	}
	status, err := s.st.FieldIndexStatus(ctx, m.ID, f)
	if err != nil || status != "" {
		return err
	}
	// The triggers come first, so that a record written after the job's snapshot is read is indexed
	// by them; the job fills the records of the snapshot from their data as it is when it gets there.
	if err := s.st.SideIndexTriggers(ctx, m.ID, f); err != nil {
		return err
	}
	j, err := jobs.Prepare(ctx, s.st, &crmd.Job{Kind: crmd.JobIndexBuild, Target: f.APIName, OrgID: c.Org.ID, ModuleID: m.ID,
		LockKey: "index:" + m.ID.String() + ":" + f.APIName, CreatedBy: c.User.ID},
		func(ctx context.Context) ([]crmd.ID, error) { return s.st.ModuleRecordIDs(ctx, c.Org.ID, m.ID) },
		func(int) error { return nil })
	if errors.Is(err, jobs.ErrLocked) {
		return nil // another request (or process) is preparing the same index
	}
	if err != nil {
		return err
	}
	if err := s.st.SetFieldIndexJob(ctx, m.ID, f, j.ID); err != nil {
		return err
	}
	s.kick()
	return nil
}

// indexWork fills one batch of an index job: the side index rows of its field for the batch's
// records. A field the module no longer has fails the job.
func (s *Service) indexWork(ctx context.Context, tx *store.Tx, job *crmd.Job, ids []crmd.ID, _ time.Time) (int64, error) {
	mods, err := s.st.Modules(ctx, job.OrgID)
	if err != nil {
		return 0, err
	}
	for _, m := range mods {
		if m.ID != job.ModuleID {
			continue
		}
		if f := m.Field(job.Target); f != nil && s.st.SideIndexed(f) {
			return s.st.FillFieldValues(ctx, tx, m.ID, f, ids)
		}
	}
	return 0, &jobs.Failed{Reason: "the module or its field " + job.Target + " no longer exists"}
}

// visible reports whether the caller may see (and use) a view.
func visible(c *crmd.Caller, v *crmd.View) bool {
	return v.IsSystem() || v.AccessType == AccessPublic || v.CreatedBy == c.User.ID || c.User.Profile.IsAdmin()
}

// Category is the view's category for the caller: CategoryPublic for system and public views,
// CategoryCreatedByMe for the caller's own, CategoryOtherUsers for another user's private view (which
// only an administrator sees).
func Category(c *crmd.Caller, v *crmd.View) string {
	switch {
	case v.IsSystem():
		return CategoryPublic
	case v.CreatedBy == c.User.ID:
		return CategoryCreatedByMe
	case v.AccessType == AccessPublic:
		return CategoryPublic
	}
	return CategoryOtherUsers
}

// Views returns the module's views the caller may see, system views first, each group in creation
// order. System views are created first when missing.
func (s *Service) Views(ctx context.Context, c *crmd.Caller, m *crmd.Module) ([]*crmd.View, error) {
	if err := s.EnsureSystemViews(ctx, c.Org.ID, m); err != nil {
		return nil, err
	}
	all, err := s.st.ModuleViews(ctx, c.Org.ID, m.ID)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, v := range all {
		if visible(c, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// Get returns one view of module m the caller may see, as Lookup does, after creating the module's
// system views when they are missing.
func (s *Service) Get(ctx context.Context, c *crmd.Caller, m *crmd.Module, id crmd.ID) (*crmd.View, error) {
	if err := s.EnsureSystemViews(ctx, c.Org.ID, m); err != nil {
		return nil, err
	}
	return s.Lookup(ctx, c, m, id)
}

// Lookup returns the view with the given id if it belongs to module m of the caller's org and the caller
// may see it, and ErrUnknownView otherwise (another org's or module's view, someone else's private view,
// or no view at all: the caller cannot tell them apart).
func (s *Service) Lookup(ctx context.Context, c *crmd.Caller, m *crmd.Module, id crmd.ID) (*crmd.View, error) {
	v, err := s.st.View(ctx, c.Org.ID, m.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrUnknownView
	}
	if err != nil {
		return nil, err
	}
	if !visible(c, v) {
		return nil, ErrUnknownView
	}
	return v, nil
}

// Definition is what a view selects: the records matching Criteria (nil: every record), narrowed by
// Special.
type Definition struct {
	Criteria *criteria.Node
	Special  Special
}

// Define returns the definition of a view of module m: a system view's fixed meaning, or a user view's
// stored criteria parsed against the module's current fields. A user view whose stored criteria no longer
// fit the module gets SpecialNothing together with the parse error.
func Define(m *crmd.Module, v *crmd.View) (Definition, error) {
	if v.IsSystem() {
		d := defFor(v.SystemName)
		if d == nil {
			// A system view this build does not know (made by a newer crmd): it selects nothing rather
			// than everything.
			return Definition{Special: SpecialNothing}, errors.New("views: unknown system view " + v.SystemName)
		}
		n, err := d.parse(m)
		if err != nil {
			return Definition{Special: SpecialNothing}, err
		}
		return Definition{Criteria: n, Special: d.special}, nil
	}
	if len(v.Criteria) == 0 {
		return Definition{}, nil
	}
	raw, err := parseJSON(v.Criteria)
	if err != nil {
		return Definition{Special: SpecialNothing}, err
	}
	n, err := criteria.Parse(raw, m)
	if err != nil {
		return Definition{Special: SpecialNothing}, err
	}
	return Definition{Criteria: n}, nil
}

// Env is the environment a view's criteria are resolved in for the caller: the store's clock, the org's
// time zone and the caller as ${CURRENTUSER}.
func (s *Service) Env(c *crmd.Caller) criteria.Env {
	return criteria.Env{Now: s.st.Now(), Loc: c.Org.Location(), UserID: c.User.ID}
}

// Filter is what view v of module m selects as the caller sees it now (store.ViewFilter, which the
// store compiles): ${CURRENTUSER} is the caller, date keywords are relative to the store's clock in the
// org's time zone, and Unread means unread by the caller.
func (s *Service) Filter(c *crmd.Caller, m *crmd.Module, v *crmd.View) *store.ViewFilter {
	def, _ := Define(m, v)
	if def.Special == SpecialNothing {
		return &store.ViewFilter{Nothing: true}
	}
	f := &store.ViewFilter{Criteria: def.Criteria, Env: s.Env(c), ModuleID: m.ID}
	if def.Special == SpecialUnread {
		f.UnreadBy = c.User.ID
	}
	return f
}

// Resolve is the one call a consumer of views needs (mass delete): it resolves cvid, a view id given as
// decimal digits, for module m and the caller, and returns what the view selects (see Filter). A
// malformed cvid, or one naming no view of the module the caller may see, is ErrInvalidCVID (400
// INVALID_DATA {"api_name":"cvid","json_path":"$.cvid"}). The caller's other conditions (live,
// approved, territory) are for the caller to add beside it.
func (s *Service) Resolve(ctx context.Context, c *crmd.Caller, m *crmd.Module, cvid string) (*store.ViewFilter, error) {
	id, ok := crmd.ParseID(cvid)
	if !ok {
		return nil, ErrInvalidCVID()
	}
	v, err := s.Lookup(ctx, c, m, id)
	if errors.Is(err, ErrUnknownView) {
		return nil, ErrInvalidCVID()
	}
	if err != nil {
		return nil, err
	}
	// The first resolution of a view whose fields have no index yet builds them (a user's view already
	// did when it was saved; a system view such as Junk Leads does here). Indexing every field up front
	// would slow every insert instead: Lead_Status and Email_Opt_Out alone cut seeding by 40%.
	if def, err := Define(m, v); err == nil && def.Criteria != nil {
		if err := s.IndexCriteria(ctx, c, m, def.Criteria); err != nil {
			return nil, err
		}
	}
	return s.Filter(c, m, v), nil
}
