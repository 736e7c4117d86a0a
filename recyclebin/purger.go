package recyclebin

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/jobs"
	"github.com/crmd/crmd/store"
)

// Defaults of the Purger.
const (
	// DefaultRetention is how long a deleted record stays restorable (D7: 60 days; serve's
	// --recycle-retention).
	DefaultRetention = 1440 * time.Hour
	// DefaultPermanentKeep is how long a purged record is still listed as type=permanent by
	// /{module}/deleted (docs/records.md#deleted-records: 120 days), counted from its purge.
	DefaultPermanentKeep = 2880 * time.Hour
	// DefaultInterval is how often Run looks for due records.
	DefaultInterval = time.Hour
)

// Purger keeps the recycle bins' retention: it schedules, for every org with work, a job of kind
// retention_purge that deletes for good the bin's records whose retention is over, and one of kind
// retention_drop that removes the purged rows whose time as type=permanent is over. The job runner does
// the work in short batches, like every job (docs/jobs.md). Each org has at most one unfinished job of
// each kind, across processes (the job lock), so several purgers on one database are safe; and each
// batch re-checks in its transaction what is due, so a record restored meanwhile is left alone.
type Purger struct {
	Store *store.Store
	// Retention is how long a record stays in the bin (DefaultRetention when ≤ 0).
	Retention time.Duration
	// PermanentKeep is how long a purged row stays listed in /deleted (DefaultPermanentKeep when ≤ 0).
	PermanentKeep time.Duration
	// Interval is the pause between runs (DefaultInterval when ≤ 0).
	Interval time.Duration
	// Log receives one line per run that scheduled something, and errors (slog.Default when nil).
	Log *slog.Logger

	kick func() // wakes the job runner; nil until Attach
}

// NewPurger returns a purger on st with the given retention (serve's --recycle-retention) and the
// defaults for everything else.
func NewPurger(st *store.Store, retention time.Duration, log *slog.Logger) *Purger {
	return &Purger{Store: st, Retention: retention, Log: log}
}

// Attach makes r run the purger's jobs (kinds crmd.JobRetentionPurge and crmd.JobRetentionDrop), and
// has the purger wake r when it schedules some.
func (p *Purger) Attach(r *jobs.Runner) {
	r.HandleBackground(crmd.JobRetentionPurge, p.purgeWork)
	r.HandleBackground(crmd.JobRetentionDrop, p.dropWork)
	p.kick = r.Kick
}

func (p *Purger) retention() time.Duration {
	if p.Retention <= 0 {
		return DefaultRetention
	}
	return p.Retention
}

func (p *Purger) keep() time.Duration {
	if p.PermanentKeep <= 0 {
		return DefaultPermanentKeep
	}
	return p.PermanentKeep
}

func (p *Purger) log() *slog.Logger {
	if p.Log == nil {
		return slog.Default()
	}
	return p.Log
}

// Run schedules the due work once at start and then every Interval, until ctx is cancelled. Errors are
// logged and the next run tries again.
func (p *Purger) Run(ctx context.Context) {
	every := p.Interval
	if every <= 0 {
		every = DefaultInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if ctx.Err() != nil {
			return
		}
		now := p.Store.Now()
		n, err := p.PurgeDue(ctx, now)
		if err != nil && ctx.Err() == nil {
			p.log().Error("recycle bin purge", "err", err)
		}
		d, err := p.DropExpired(ctx, now)
		if err != nil && ctx.Err() == nil {
			p.log().Error("recycle bin drop permanent", "err", err)
		}
		if n > 0 || d > 0 {
			p.log().Info("recycle bin retention scheduled", "to_purge", n, "to_drop", d)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// PurgeDue schedules, for every org whose bin holds records deleted more than Retention before now, a
// retention_purge job of those records, and returns how many records the jobs it scheduled hold. An org
// whose purge job from an earlier run is still unfinished gets no second one. A record deleted later
// is never touched.
func (p *Purger) PurgeDue(ctx context.Context, now time.Time) (int, error) {
	before := now.Add(-p.retention()).UnixMilli()
	return p.schedule(ctx, crmd.JobRetentionPurge, before, p.Store.DueBinOrgs,
		func(ctx context.Context, org crmd.ID) ([]crmd.ID, error) { return p.Store.DueBinIDs(ctx, org, before) })
}

// DropExpired schedules, for every org with purged rows purged more than PermanentKeep before now, a
// retention_drop job of those rows (/{module}/deleted then stops listing them), and returns how many
// rows the jobs it scheduled hold.
func (p *Purger) DropExpired(ctx context.Context, now time.Time) (int, error) {
	before := now.Add(-p.keep()).UnixMilli()
	return p.schedule(ctx, crmd.JobRetentionDrop, before, p.Store.ExpiredPurgeOrgs,
		func(ctx context.Context, org crmd.ID) ([]crmd.ID, error) {
			return p.Store.ExpiredPurgeIDs(ctx, org, before)
		})
}

// schedule prepares one job of kind per org that orgs names, of the ids selectIDs gives, with the
// cut-off before as its target.
func (p *Purger) schedule(ctx context.Context, kind string, before int64, orgs func(context.Context, int64) ([]crmd.ID, error),
	selectIDs func(context.Context, crmd.ID) ([]crmd.ID, error)) (int, error) {
	list, err := orgs(ctx, before)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, org := range list {
		j, err := jobs.Prepare(ctx, p.Store, &crmd.Job{Kind: kind, Target: strconv.FormatInt(before, 10), OrgID: org,
			LockKey: kind + ":" + org.String()},
			func(ctx context.Context) ([]crmd.ID, error) { return selectIDs(ctx, org) },
			func(int) error { return nil })
		if errors.Is(err, jobs.ErrLocked) {
			continue // the org's job of an earlier run is still at work
		}
		if err != nil {
			return total, err
		}
		total += int(j.TotalCount)
	}
	if total > 0 && p.kick != nil {
		p.kick()
	}
	return total, nil
}

// cutoff is the cut-off time a retention job carries as its target.
func cutoff(job *crmd.Job) (int64, error) {
	before, err := strconv.ParseInt(job.Target, 10, 64)
	if err != nil {
		return 0, &jobs.Failed{Reason: "retention job without a cut-off time: " + job.Target}
	}
	return before, nil
}

// purgeWork purges one batch of a retention_purge job: those of its records still in the bin and
// deleted before the job's cut-off. The batch is locked in id order first, so that its UPDATE does not
// deadlock with a user's restore or purge of some of the same records (PostgreSQL).
func (p *Purger) purgeWork(ctx context.Context, tx *store.Tx, job *crmd.Job, ids []crmd.ID, at time.Time) (int64, error) {
	before, err := cutoff(job)
	if err != nil {
		return 0, err
	}
	if err := p.Store.LockRecords(ctx, tx, job.OrgID, ids); err != nil {
		return 0, err
	}
	return p.Store.PurgeDueIDs(ctx, tx, job.OrgID, ids, before, store.Change{Via: store.ViaRetention, JobID: job.ID, At: at.UnixMilli()})
}

// dropWork removes one batch of a retention_drop job: those of its rows still purged before its cut-off.
func (p *Purger) dropWork(ctx context.Context, tx *store.Tx, job *crmd.Job, ids []crmd.ID, _ time.Time) (int64, error) {
	before, err := cutoff(job)
	if err != nil {
		return 0, err
	}
	return p.Store.DropPermanentIDs(ctx, tx, job.OrgID, ids, before)
}
