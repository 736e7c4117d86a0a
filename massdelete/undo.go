package massdelete

import (
	"context"
	"errors"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/jobs"
	"github.com/crmd/crmd/store"
)

// Undo schedules the undo of mass delete job j (docs/crmd-api.md): a job of kind undo whose snapshot is
// the records the audit trail says j deleted, in the order it deleted them, and whose batches restore
// those still in the recycle bin from that deletion. Only a finished mass delete job can be undone,
// once, by its creator or an Administrator whose profile may mass delete.
func (s *Service) Undo(ctx context.Context, c *crmd.Caller, m *crmd.Module, j *crmd.Job) (*crmd.Job, error) {
	if j.Kind != crmd.JobMassDelete {
		return nil, ErrNotUndoable(j)
	}
	if err := CheckProfile(c, m); err != nil {
		return nil, err
	}
	if !jobs.MayChange(c, j) {
		return nil, crmd.E("NO_PERMISSION", crmd.MsgPermissionDenied, crmd.D{"id": j.ID})
	}
	if !j.Finished() {
		return nil, crmd.E("NOT_ALLOWED", "the job has not finished", crmd.D{"id": j.ID, "status": j.Status})
	}
	if err := s.alreadyUndone(ctx, j); err != nil {
		return nil, err
	}
	u, err := jobs.Prepare(ctx, s.st, &crmd.Job{Kind: crmd.JobUndo, OrgID: j.OrgID, ModuleID: j.ModuleID, Target: j.ID.String(), CreatedBy: c.User.ID},
		func(ctx context.Context) ([]crmd.ID, error) { return s.st.JobDeletedIDs(ctx, j.OrgID, j.ID) },
		func(n int) error {
			if n == 0 {
				return crmd.E("NOT_ALLOWED", "the job deleted no records", crmd.D{"id": j.ID})
			}
			return nil
		})
	if errors.Is(err, jobs.ErrLocked) {
		// Another undo of the job won the race (the unique index on an undo's target decided).
		if err := s.alreadyUndone(ctx, j); err != nil {
			return nil, err
		}
		return nil, crmd.E("NOT_ALLOWED", "the job is being undone", crmd.D{"id": j.ID})
	}
	if err != nil {
		return nil, err
	}
	s.kick()
	return u, nil
}

// ErrNotUndoable is the answer for the undo of a job that is no mass delete.
func ErrNotUndoable(j *crmd.Job) *crmd.Error {
	return crmd.E("NOT_ALLOWED", "only mass delete jobs can be undone", crmd.D{"id": j.ID, "kind": j.Kind})
}

// alreadyUndone is NOT_ALLOWED when j has an undo job.
func (s *Service) alreadyUndone(ctx context.Context, j *crmd.Job) error {
	undone, err := s.st.UndoJobs(ctx, j.OrgID, []crmd.ID{j.ID})
	if err != nil {
		return err
	}
	if u, ok := undone[j.ID]; ok {
		return crmd.E("NOT_ALLOWED", "the job was already undone", crmd.D{"id": j.ID, "undone_by": u})
	}
	return nil
}

// undoWork restores one batch of an undo job's snapshot inside tx: the records still in the recycle bin
// because the undone job deleted them. A record purged, restored or deleted again since counts as
// failed and is left alone. The batch is locked in id order first, as the bin's own batches are.
func (s *Service) undoWork(ctx context.Context, tx *store.Tx, job *crmd.Job, ids []crmd.ID, at time.Time) (int64, error) {
	undone, ok := crmd.ParseID(job.Target)
	if !ok {
		return 0, &jobs.Failed{Reason: "undo job without the job it undoes: " + job.Target}
	}
	if err := s.st.LockRecords(ctx, tx, job.OrgID, ids); err != nil {
		return 0, err
	}
	return s.st.RestoreJobRecords(ctx, tx, job.OrgID, ids, undone, store.Change{Actor: job.CreatedBy, Via: store.ViaJob, JobID: job.ID, At: at.UnixMilli()})
}
