package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// PrepareLease is how long a PREPARING job stays its preparer's without a renewal; the preparer renews
// it every PrepareLease/3 while it works (a selection may read for as long as the query timeout). Once
// it has run out — the preparer's process stopped before accepting the job — any runner removes the
// job and its lock is free again.
const PrepareLease = 15 * time.Second

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
	stop := make(chan struct{})
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(PrepareLease / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				// A failed renewal is retried at the next tick; should the lease run out meanwhile, the
				// job is reaped and Publish reports it.
				st.RenewPreparingJob(context.WithoutCancel(ctx), j.ID, owner, st.Now().Add(PrepareLease).UnixMilli())
			}
		}
	}()
	defer func() { close(stop); <-renewed }()
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
