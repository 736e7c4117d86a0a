package recyclebin

import (
	"context"
	"log/slog"
	"time"

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
	// PurgeBatch is how many records one transaction of the purger changes, so that a large backlog
	// never holds the write lock for long.
	PurgeBatch = 500
)

// Purger deletes for good the recycle-bin records of every org whose retention is over, and removes
// purged rows once their time as type=permanent is over. It runs in the server process (Run) or once
// (PurgeDue); several purgers on one database are safe, because each batch re-checks in its
// transaction what is due.
type Purger struct {
	Store *store.Store
	// Retention is how long a record stays in the bin (DefaultRetention when ≤ 0).
	Retention time.Duration
	// PermanentKeep is how long a purged row stays listed in /deleted (DefaultPermanentKeep when ≤ 0).
	PermanentKeep time.Duration
	// Interval is the pause between runs (DefaultInterval when ≤ 0).
	Interval time.Duration
	// Log receives one line per run that changed something, and errors (slog.Default when nil).
	Log *slog.Logger
}

// NewPurger returns a purger on st with the given retention (serve's --recycle-retention) and the
// defaults for everything else.
func NewPurger(st *store.Store, retention time.Duration, log *slog.Logger) *Purger {
	return &Purger{Store: st, Retention: retention, Log: log}
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

// Run purges once at start and then every Interval, until ctx is cancelled. Errors are logged and the
// next run tries again.
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
			p.log().Info("recycle bin purge", "purged", n, "dropped", d)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// PurgeDue purges, in batches of PurgeBatch records (one transaction each), every recycle-bin record of
// every org deleted more than Retention before now, stamping them purged at now. A record deleted
// later is never touched. It returns how many it purged; after an error, those of the batches that
// committed stay purged.
func (p *Purger) PurgeDue(ctx context.Context, now time.Time) (int, error) {
	before := now.Add(-p.retention()).UnixMilli()
	total := 0
	for {
		var n int
		err := p.Store.Tx(ctx, func(tx *store.Tx) error {
			var err error
			n, err = p.Store.PurgeDueRecords(ctx, tx, before, now.UnixMilli(), PurgeBatch)
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < PurgeBatch {
			return total, nil
		}
	}
}

// DropExpired removes, in batches of PurgeBatch, the purged rows purged more than PermanentKeep before
// now: /{module}/deleted stops listing them. It returns how many it removed.
func (p *Purger) DropExpired(ctx context.Context, now time.Time) (int, error) {
	before := now.Add(-p.keep()).UnixMilli()
	total := 0
	for {
		var n int
		err := p.Store.Tx(ctx, func(tx *store.Tx) error {
			var err error
			n, err = p.Store.DropPermanentRecords(ctx, tx, before, PurgeBatch)
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < PurgeBatch {
			return total, nil
		}
	}
}
