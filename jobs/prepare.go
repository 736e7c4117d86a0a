package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// PrepareLease is how long a preparer holds a PREPARING job before the runners may take it for
// abandoned (its process stopped before accepting it) and remove it, freeing its lock. Preparation is
// one read, bounded by the query timeout, and short writes, so it ends well within this.
const PrepareLease = 5 * time.Minute

// itemsPerTx is how many snapshot items one transaction of Prepare writes: about 10–20 ms on SQLite,
// so that interactive writes never wait long behind a snapshot being written.
const itemsPerTx = 5000

// ErrLocked is Prepare's answer when an unfinished job holds the new job's lock key.
var ErrLocked = errors.New("jobs: another job holds the lock")

// Prepare accepts job (Kind, OrgID, ModuleID, LockKey — "" for none —, CreatedBy and the kind's own
// fields set; the id is allocated here) in steps that each hold the write lock only briefly:
//  1. one transaction allocates the id and inserts the job PREPARING under this preparer's lease: the
//     one-job lock is taken first, race-proof across processes (ErrLocked when it is held);
//  2. selectIDs reads the records the job will process, outside any write transaction (one read,
//     one consistent snapshot);
//  3. check judges how many there are (a limit, "nothing to do"); an error drops the job and is returned;
//  4. the ids are written as the job's snapshot, itemsPerTx per transaction;
//  5. one transaction publishes the job SCHEDULED for the runners (CANCELLED if a cancel came first).
//
// A failure or a crash before 5 leaves a PREPARING job that no client saw; it is dropped here, or by a
// runner once its lease has run out (ReapAbandonedJobs). Prepare returns the job as published.
func Prepare(ctx context.Context, st *store.Store, job *crmd.Job, selectIDs func(context.Context) ([]crmd.ID, error), check func(n int) error) (*crmd.Job, error) {
	owner := "prepare:" + randomName()
	now := st.Now()
	j := *job
	j.Status, j.LeaseOwner, j.LeaseUntil, j.CreatedTime = crmd.JobPreparing, owner, now.Add(PrepareLease).UnixMilli(), now.UnixMilli()
	err := st.Tx(ctx, func(tx *store.Tx) error {
		id, err := st.AllocIDs(ctx, tx, j.OrgID, 1)
		if err != nil {
			return err
		}
		j.ID = id
		if j.LockKey == "" {
			// A job of a kind that takes no lock: a key of its own, which nothing else holds.
			j.LockKey = "job:" + id.String()
		}
		ok, err := st.InsertJob(ctx, tx, &j)
		if err == nil && !ok {
			err = ErrLocked
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	ids, err := selectIDs(ctx)
	if err == nil {
		err = check(len(ids))
	}
	for start := 0; err == nil && start < len(ids); start += itemsPerTx {
		part := ids[start:min(start+itemsPerTx, len(ids))]
		err = st.Tx(ctx, func(tx *store.Tx) error { return st.AddJobItems(ctx, tx, j.ID, int64(start), part) })
	}
	if err == nil {
		var ok bool
		ok, err = st.PublishJob(ctx, j.ID, owner, int64(len(ids)), st.NowMS())
		if err == nil && !ok {
			err = errors.New("jobs: the job was removed while it was prepared")
		}
	}
	if err != nil {
		// Even when the request was cancelled: the lock must not stay taken until the lease runs out.
		if derr := st.DropPreparingJob(context.WithoutCancel(ctx), j.ID, owner); derr != nil {
			err = errors.Join(err, derr)
		}
		return nil, err
	}
	return st.Job(ctx, j.OrgID, j.ID)
}
