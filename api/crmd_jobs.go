package api

// crmd's own API (docs/crmd-api.md): the history of every job, cancel, undo and the events stream of a
// job, under /crmd/v1 with Zoho's tokens and error envelope. Zoho's answers are never changed by it.
//
// Each call needs the scope of the Zoho operation a job stands for (jobScope): mass delete's for mass
// delete and undo jobs, the recycle bin's for the bin's and retention jobs, custom views' for index
// builds. A job the token may not read does not exist for it (404 NOT_FOUND), so that the answer says
// nothing about what the token does not cover.

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/jobs"
	"github.com/crmd/crmd/massdelete"
	"github.com/crmd/crmd/oauth"
)

// jobMaxPerPage is the largest page of GET /crmd/v1/jobs and /crmd/v1/audit.
const jobMaxPerPage = 200

// jobScope is the scope need of op on jobs of kind in module m (nil for jobs that span modules).
func jobScope(kind string, m *crmd.Module, op string) oauth.Need {
	switch kind {
	case crmd.JobMassDelete, crmd.JobUndo:
		res := ""
		if m != nil {
			res = m.ScopeToken
		}
		return oauth.Need{Family: "mass_delete", Resource: res, Op: op}
	case crmd.JobIndexBuild:
		return oauth.Need{Family: "settings", Resource: "custom_views", Op: op}
	}
	return oauth.Need{Family: "settings", Resource: "recycle_bin", Op: op}
}

// cancelOp is the scope operation changing a job of kind (cancel, undo) stands for: deleting for the
// kinds that delete, updating for a restore.
func cancelOp(kind string) string {
	if kind == crmd.JobBinRestore {
		return oauth.OpUpdate
	}
	return oauth.OpDelete
}

// jobGrants is, per kind, what of it the caller's token may read, or with change may change (cancel,
// undo): nil for every job of the kind, or the modules whose jobs of the kind it may. A kind it may not
// at all is absent, and so is, with change, a kind nobody may change (index builds, retention). It is
// the list's filter (store.JobQuery.Visible), and an empty one refuses the token before any job is
// looked up, so that the answer says nothing about which jobs exist.
func (s *Server) jobGrants(ctx context.Context, rc *reqCtx, change bool) (map[string][]crmd.ID, error) {
	out := map[string][]crmd.ID{}
	var mods []*crmd.Module
	for _, kind := range crmd.JobKinds {
		op := oauth.OpRead
		if change {
			if !jobs.Cancellable(kind) {
				continue
			}
			op = cancelOp(kind)
		}
		if need := jobScope(kind, nil, op); need.Family != "mass_delete" {
			if oauth.Permits(rc.caller.Scopes, need) {
				out[kind] = nil
			}
			continue
		}
		if !oauth.HasFamily(rc.caller.Scopes, "mass_delete") {
			continue
		}
		if mods == nil {
			var err error
			if mods, err = s.svc.Metadata.Modules(ctx, rc.caller.Org.ID); err != nil {
				return nil, err
			}
		}
		var ids []crmd.ID
		for _, m := range mods {
			if oauth.Permits(rc.caller.Scopes, jobScope(kind, m, op)) {
				ids = append(ids, m.ID)
			}
		}
		if len(ids) > 0 {
			out[kind] = ids
		}
	}
	return out, nil
}

// errNoJobScope is the answer for a token that may read (or change) no job at all.
func errNoJobScope() *crmd.Error { return crmd.E("OAUTH_SCOPE_MISMATCH", crmd.MsgScopeMismatch, nil) }

// job resolves the {id} of a jobs path to a job the caller's token may read, after refusing a token
// that could read — or, with change, change — no job at all. Whether it may change this one is the
// handler's to check.
func (s *Server) job(ctx context.Context, rc *reqCtx, change bool) (*jobs.Item, error) {
	grants, err := s.jobGrants(ctx, rc, change)
	if err != nil {
		return nil, err
	}
	if len(grants) == 0 {
		return nil, errNoJobScope()
	}
	raw := rc.param("id")
	id, ok := crmd.ParseID(raw)
	if !ok {
		return nil, jobs.ErrNotFound(raw)
	}
	j, err := s.svc.Jobs.Get(ctx, rc.caller, id)
	if err != nil {
		return nil, err
	}
	if j == nil {
		return nil, jobs.ErrNotFound(raw)
	}
	items, err := s.svc.Jobs.Describe(ctx, rc.caller.Org.ID, j)
	if err != nil {
		return nil, err
	}
	it := &items[0]
	if !oauth.Permits(rc.caller.Scopes, jobScope(j.Kind, it.Module, oauth.OpRead)) {
		return nil, jobs.ErrNotFound(raw)
	}
	return it, nil
}

// listJobs serves GET /crmd/v1/jobs.
func (s *Server) listJobs(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	grants, err := s.jobGrants(r.Context(), rc, false)
	if err != nil {
		return err
	}
	if len(grants) == 0 {
		return errNoJobScope()
	}
	params := r.URL.Query()
	q := jobs.Query{Visible: grants}
	if v, ok := queryParam(params, "kind"); ok {
		if !slices.Contains(crmd.JobKinds, v) {
			return crmd.ErrInvalidParam("kind")
		}
		q.Kind = v
	}
	if v, ok := queryParam(params, "status"); ok {
		switch v {
		case crmd.JobScheduled, crmd.JobRunning, crmd.JobCompleted, crmd.JobFailed, crmd.JobCancelled:
			q.Status = v
		default:
			return crmd.ErrInvalidParam("status")
		}
	}
	if v, ok := queryParam(params, "module"); ok {
		m, err := s.svc.Metadata.Module(r.Context(), rc.caller.Org.ID, v)
		if err != nil {
			return err
		}
		if m == nil {
			return crmd.ErrInvalidParam("module")
		}
		q.ModuleID = m.ID
	}
	var perr *crmd.Error
	if q.Page, q.PerPage, perr = pageParams(params, jobMaxPerPage); perr != nil {
		return perr
	}
	p, err := s.svc.Jobs.List(r.Context(), rc.caller, q)
	if err != nil {
		return err
	}
	loc := rc.caller.Org.Location()
	out := make([]jobJSON, len(p.Items))
	for i, it := range p.Items {
		out[i] = jobOut(it, loc)
	}
	writeList(w, "jobs", out, map[string]any{"page": q.Page, "per_page": q.PerPage, "count": len(out), "more_records": p.More})
	return nil
}

// getJob serves GET /crmd/v1/jobs/{id}.
func (s *Server) getJob(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	it, err := s.job(r.Context(), rc, false)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"job": jobOut(*it, rc.caller.Org.Location())})
	return nil
}

// cancelJob serves POST /crmd/v1/jobs/{id}/actions/cancel.
func (s *Server) cancelJob(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	it, err := s.job(r.Context(), rc, true)
	if err != nil {
		return err
	}
	if jobs.Cancellable(it.Job.Kind) {
		if err := rc.require(jobScope(it.Job.Kind, it.Module, cancelOp(it.Job.Kind))); err != nil {
			return err
		}
		if it.Module != nil && (it.Job.Kind == crmd.JobMassDelete || it.Job.Kind == crmd.JobUndo) {
			if err := massdelete.CheckProfile(rc.caller, it.Module); err != nil {
				return err
			}
		}
	}
	j, err := s.svc.Jobs.Cancel(r.Context(), rc.caller, it.Job)
	if err != nil {
		return err
	}
	it.Job = j
	writeJSON(w, http.StatusOK, map[string]any{"job": jobOut(*it, rc.caller.Org.Location())})
	return nil
}

// undoJob serves POST /crmd/v1/jobs/{id}/actions/undo.
func (s *Server) undoJob(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	it, err := s.job(r.Context(), rc, true)
	if err != nil {
		return err
	}
	if it.Job.Kind != crmd.JobMassDelete {
		return massdelete.ErrNotUndoable(it.Job)
	}
	if it.Module == nil {
		return crmd.E("NOT_ALLOWED", "the job's module no longer exists", crmd.D{"id": it.Job.ID})
	}
	if err := rc.require(jobScope(it.Job.Kind, it.Module, oauth.OpDelete)); err != nil {
		return err
	}
	u, err := s.svc.MassDelete.Undo(r.Context(), rc.caller, it.Module, it.Job)
	if err != nil {
		return err
	}
	items, err := s.svc.Jobs.Describe(r.Context(), rc.caller.Org.ID, u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"job": jobOut(items[0], rc.caller.Org.Location())})
	return nil
}

// jobJSON is the job object of crmd's API.
type jobJSON struct {
	ID              crmd.ID           `json:"id"`
	Kind            string            `json:"kind"`
	Module          *string           `json:"module"`
	Status          string            `json:"status"`
	Total           int64             `json:"total"`
	Processed       int64             `json:"processed"`
	Succeeded       int64             `json:"succeeded"`
	Failed          int64             `json:"failed"`
	Progress        int64             `json:"progress"`
	CreatedBy       *userRefJSON      `json:"created_by"`
	CreatedTime     string            `json:"created_time"`
	StartedTime     *string           `json:"started_time"`
	FinishedTime    *string           `json:"finished_time"`
	CVID            *crmd.ID          `json:"cvid"`
	Territory       *jobTerritoryJSON `json:"territory"`
	Error           *string           `json:"error"`
	CancelRequested bool              `json:"cancel_requested"`
	UndoOf          *crmd.ID          `json:"undo_of"`
	UndoneBy        *crmd.ID          `json:"undone_by"`
}

type userRefJSON struct {
	ID   crmd.ID `json:"id"`
	Name string  `json:"name"`
}

type jobTerritoryJSON struct {
	ID           crmd.ID `json:"id"`
	IncludeChild bool    `json:"include_child"`
}

// optTime is a Unix ms time in the org's zone, nil for 0.
func optTime(ms int64, loc *time.Location) *string {
	if ms == 0 {
		return nil
	}
	t := crmd.FormatTime(ms, loc)
	return &t
}

// actorRef is the {"id","name"} of a user id, nil for 0 (the system).
func actorRef(id crmd.ID, u *crmd.User) *userRefJSON {
	if id == 0 {
		return nil
	}
	ref := &userRefJSON{ID: id}
	if u != nil {
		ref.Name = u.FullName()
	}
	return ref
}

func jobOut(it jobs.Item, loc *time.Location) jobJSON {
	j := it.Job
	out := jobJSON{ID: j.ID, Kind: j.Kind, Status: j.Status, Total: j.TotalCount,
		Processed: j.DeletedCount + j.FailedCount, Succeeded: j.DeletedCount, Failed: j.FailedCount,
		CreatedBy: actorRef(j.CreatedBy, it.CreatedBy), CreatedTime: crmd.FormatTime(j.CreatedTime, loc),
		StartedTime: optTime(j.StartedTime, loc), FinishedTime: optTime(j.FinishedTime, loc),
		CancelRequested: j.CancelRequested && !j.Finished()}
	if it.Module != nil {
		out.Module = &it.Module.APIName
	}
	switch {
	case j.TotalCount > 0:
		out.Progress = min(100, out.Processed*100/j.TotalCount)
	case j.Finished():
		out.Progress = 100
	}
	if j.Kind == crmd.JobMassDelete {
		cvid := j.CVID
		out.CVID = &cvid
		if j.TerritoryID != 0 {
			out.Territory = &jobTerritoryJSON{ID: j.TerritoryID, IncludeChild: j.IncludeChild}
		}
	}
	if j.Status == crmd.JobFailed {
		e := j.Error
		out.Error = &e
	}
	if j.Kind == crmd.JobUndo {
		if id, ok := crmd.ParseID(j.Target); ok {
			out.UndoOf = &id
		}
	}
	if it.UndoneBy != 0 {
		u := it.UndoneBy
		out.UndoneBy = &u
	}
	return out
}
