package jobs

import (
	"context"
	"errors"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// Service is the history of an org's jobs of every kind as crmd's own API shows it: list, read, cancel,
// and watch (docs/crmd-api.md). Which kinds and modules a caller may see is the HTTP layer's to say
// (it knows the token's scopes); who may cancel a job is decided here.
type Service struct {
	st  *store.Store
	hub *Hub
}

// NewService returns the jobs service of st; h carries the progress of the jobs this process runs.
func NewService(st *store.Store, h *Hub) *Service {
	if h == nil {
		h = NewHub()
	}
	return &Service{st: st, hub: h}
}

// Query selects a page of the caller's org's jobs; Page is from 1.
type Query struct {
	Kind, Status  string
	ModuleID      crmd.ID
	Visible       map[string][]crmd.ID // see store.JobQuery
	Page, PerPage int
}

// Item is a job with what it names: its creator (nil for the system's jobs or a user that no longer
// exists), its module (nil for jobs that span modules) and its undo job (0 for none).
type Item struct {
	Job       *crmd.Job
	CreatedBy *crmd.User
	Module    *crmd.Module
	UndoneBy  crmd.ID
}

// Page is one page of jobs, newest first.
type Page struct {
	Items []Item
	More  bool
}

// List returns one page of the caller's org's jobs.
func (s *Service) List(ctx context.Context, c *crmd.Caller, q Query) (*Page, error) {
	list, err := s.st.ListJobs(ctx, store.JobQuery{OrgID: c.Org.ID, Kind: q.Kind, Status: q.Status, ModuleID: q.ModuleID,
		Visible: q.Visible, Offset: (q.Page - 1) * q.PerPage, Limit: q.PerPage + 1})
	if err != nil {
		return nil, err
	}
	p := &Page{More: len(list) > q.PerPage}
	if p.More {
		list = list[:q.PerPage]
	}
	p.Items, err = s.Describe(ctx, c.Org.ID, list...)
	return p, err
}

// Describe returns the items of jobs of an org.
func (s *Service) Describe(ctx context.Context, orgID crmd.ID, list ...*crmd.Job) ([]Item, error) {
	if len(list) == 0 {
		return nil, nil
	}
	var ids []crmd.ID
	for _, j := range list {
		if j.Kind == crmd.JobMassDelete {
			ids = append(ids, j.ID)
		}
	}
	undone, err := s.st.UndoJobs(ctx, orgID, ids)
	if err != nil {
		return nil, err
	}
	dir, err := s.st.Directory(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := make([]Item, len(list))
	for i, j := range list {
		out[i] = Item{Job: j, CreatedBy: dir.Users[j.CreatedBy], Module: dir.Modules[j.ModuleID], UndoneBy: undone[j.ID]}
	}
	return out, nil
}

// ErrNotFound is the answer for a job that does not exist for the caller: unknown, another org's, or
// one the caller may not see; raw is the id as the caller gave it.
func ErrNotFound(raw string) *crmd.Error {
	return crmd.E("NOT_FOUND", "the job was not found", crmd.D{"id": raw})
}

// Get returns a job of the caller's org, or nil when there is none.
func (s *Service) Get(ctx context.Context, c *crmd.Caller, id crmd.ID) (*crmd.Job, error) {
	j, err := s.st.Job(ctx, c.Org.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return j, err
}

// Cancellable reports whether jobs of kind may be cancelled by their users: the work people ask for.
// Index builds and the retention are the system's, and stopping them halfway would leave nothing
// better.
func Cancellable(kind string) bool {
	switch kind {
	case crmd.JobMassDelete, crmd.JobUndo, crmd.JobBinRestore, crmd.JobBinDelete, crmd.JobBinEmpty:
		return true
	}
	return false
}

// MayChange reports whether the caller may cancel or undo j: its creator or an Administrator.
func MayChange(c *crmd.Caller, j *crmd.Job) bool {
	return c.User.Profile.IsAdmin() || j.CreatedBy == c.User.ID
}

// Cancel asks j to stop and returns it as it is then: a SCHEDULED job no runner holds ends CANCELLED at
// once, a RUNNING one stops at its next batch boundary (its batch in progress commits; its counts say
// what it did). A finished job, and a job of a kind that cannot be cancelled, are NOT_ALLOWED; someone
// else's job, for anyone but an Administrator, is NO_PERMISSION.
func (s *Service) Cancel(ctx context.Context, c *crmd.Caller, j *crmd.Job) (*crmd.Job, error) {
	if !Cancellable(j.Kind) {
		return nil, crmd.E("NOT_ALLOWED", "jobs of this kind cannot be cancelled", crmd.D{"id": j.ID, "kind": j.Kind})
	}
	if !MayChange(c, j) {
		return nil, crmd.E("NO_PERMISSION", crmd.MsgPermissionDenied, crmd.D{"id": j.ID})
	}
	if j.Finished() {
		return nil, errFinished(j)
	}
	out, err := s.st.RequestJobCancel(ctx, c.Org.ID, j.ID, s.st.NowMS())
	if errors.Is(err, store.ErrNotFound) {
		// Removed since it was read (a finished job past its retention): as if it never was.
		return nil, ErrNotFound(j.ID.String())
	}
	if err != nil {
		return nil, err
	}
	if out.Finished() && out.Status != crmd.JobCancelled {
		// It finished between the read and the request: nothing was cancelled.
		return nil, errFinished(out)
	}
	s.hub.Publish(out)
	return out, nil
}

func errFinished(j *crmd.Job) *crmd.Error {
	return crmd.E("NOT_ALLOWED", "the job has already finished", crmd.D{"id": j.ID, "status": j.Status})
}

// Watch returns the progress of job id as the runner of this process reports it, and a function that
// ends the watch.
func (s *Service) Watch(id crmd.ID) (<-chan *crmd.Job, func()) { return s.hub.Watch(id) }
