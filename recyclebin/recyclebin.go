// Package recyclebin is crmd's service for the recycle bin (docs/recycle-bin.md#recycle-bin-api, v6+):
// the records that deletes soft-delete (D7), which it lists, counts, restores and deletes for good, and
// the retention purger that deletes them for good once they are due. It takes and returns typed values;
// package api reads Zoho's requests (filters included) into them and writes its answers in Zoho's
// shapes.
//
// Choices where Zoho's material is silent (written down in docs/recycle-bin.md):
//   - Everyone sees the whole org's bin (Zoho shows the bin org-wide); restoring and permanently
//     deleting a record needs an Administrator or the record's owner, else that id fails with
//     NO_PERMISSION `permission denied` {"id"}. Emptying the bin is for Administrators only:
//     NO_PERMISSION {"permissions":["Crm_Implied_Empty_Recycle_Bin"]}.
//   - An id that is not in the caller's org's bin (unknown, live, purged, another org's) fails with
//     INVALID_DATA `the id given seems to be invalid` {"id"}. Duplicate ids count once (D2).
//   - Restore and permanent delete by ids run in one transaction and answer per id.
//   - Restore by a filter or of everything, permanent delete by a filter, and emptying a bin of more
//     than SyncLimit records are answered as Zoho does, scheduled (202 with a job id), at once: the
//     matching records are fixed in a job's snapshot (package jobs) and the job runner restores or
//     purges them in the background, in batches of one short transaction each, crash-safe like a mass
//     delete job. A record that left the bin meanwhile counts as failed. A filter matching nothing is
//     scheduled all the same (the contract fixes the answer by the kind of request, not by the count).
//   - A restore brings the record back exactly as it was deleted: same id, fields, owner, times and
//     territories (their rows stay while it is in the bin); its modified time does not change.
//   - A permanent delete keeps the bare row (id, module, creator, deletion facts) so that
//     /{module}/deleted lists it as type=permanent; its data, display name, territories and read marks go.
package recyclebin

import (
	"context"
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/jobs"
	"github.com/crmd/crmd/store"
)

const (
	// SyncLimit is the largest bin Empty empties as synchronous work; a bigger one is answered as
	// scheduled.
	SyncLimit = 1000
	// MaxRestoreIDs and MaxDeleteIDs are how many ids one Restore or Delete may name
	// (docs/recycle-bin.md#restore): each runs as one transaction, which must stay short.
	MaxRestoreIDs = 200
	MaxDeleteIDs  = 1000
	// batchSize is how many records one transaction of a synchronous empty (of at most SyncLimit
	// records) changes.
	batchSize = 500
)

// PermEmpty is the profile permission named when a non-administrator tries to empty the bin.
const PermEmpty = "Crm_Implied_Empty_Recycle_Bin"

// Filter is a condition on the bin's own fields (display name, module, deleter, deletion time): a tree
// of And/Or groups over leaves, which List, RestoreMatching and DeleteMatching take. It is the store's
// BinFilter, named here so that callers build it without importing store, which compiles it into SQL.
type Filter = store.BinFilter

// Group operators, leaf fields and display-name matches of a Filter.
const (
	And = store.BinAnd
	Or  = store.BinOr

	FieldDisplayName = store.BinDisplayName
	FieldModule      = store.BinModule
	FieldDeletedBy   = store.BinDeletedBy
	FieldDeletedTime = store.BinDeletedTime

	MatchEqual      = store.BinEqual
	MatchContains   = store.BinContains
	MatchStartsWith = store.BinStartsWith
	MatchEndsWith   = store.BinEndsWith
)

// Sort keys of a Query.
const (
	SortDeletedTime = store.BinSortDeletedTime
	SortDisplayName = store.BinSortDisplayName
	SortDeletedBy   = store.BinSortDeletedBy
)

// Query selects one page of the caller's org's bin.
type Query struct {
	// IDs, when not empty, restricts the page to these records.
	IDs []crmd.ID
	// Filter, when set, is a condition the records must satisfy.
	Filter *Filter
	// SortBy is one of the Sort* keys ("" is SortDeletedTime); Desc sorts from the highest value. The
	// id breaks ties.
	SortBy string
	Desc   bool
	// Page (from 1) and PerPage (at least 1) say which page to read.
	Page, PerPage int
}

// Item is one record of the bin with the users and the module it names. Owner and DeletedBy are nil
// when the org has no such user, Module when it has no such module; the record still holds their ids.
type Item struct {
	Record           *crmd.Record
	Owner, DeletedBy *crmd.User
	Module           *crmd.Module
}

// Page is one page of the bin, in the query's order; More tells whether records follow it.
type Page struct {
	Items []Item
	More  bool
}

// Work is the kind of work a Scheduled answer was scheduled for.
type Work int

// Kinds of scheduled work.
const (
	// WorkRestore restores records: by a filter, or all of them.
	WorkRestore Work = iota + 1
	// WorkDelete deletes records for good by a filter.
	WorkDelete
	// WorkEmpty empties a bin of more than SyncLimit records.
	WorkEmpty
)

// Scheduled is the answer of work that Zoho answers as scheduled: JobID names the job that does it in
// the background (see the package doc).
type Scheduled struct {
	JobID crmd.ID
	Work  Work
}

// Service implements the recycle bin on a store.
type Service struct {
	st   *store.Store
	kick func() // wakes the job runner; a no-op until Attach
}

// New returns a recycle-bin service on st.
func New(st *store.Store) *Service { return &Service{st: st, kick: func() {}} }

// Attach makes r run this service's jobs (kinds crmd.JobBinRestore, crmd.JobBinDelete and crmd.JobBinEmpty), and has the
// scheduling calls wake r.
func (s *Service) Attach(r *jobs.Runner) {
	r.Handle(crmd.JobBinRestore, s.restoreWork)
	r.Handle(crmd.JobBinDelete, s.purgeWork)
	r.Handle(crmd.JobBinEmpty, s.purgeWork)
	s.kick = r.Kick
}

// invalidItem is the failure of an id that is not in the caller's org's bin.
func invalidItem(id crmd.ID) *crmd.Error {
	return crmd.E("INVALID_DATA", crmd.MsgInvalidID, crmd.D{"id": id})
}

// mayChange reports whether the caller may restore or purge r: administrators any record, everyone
// else the records they own.
func mayChange(c *crmd.Caller, r *crmd.Record) bool {
	return c.User.Profile.IsAdmin() || r.OwnerID == c.User.ID
}

// ownerScope is the owner a filtered operation is limited to: none for administrators, else the caller.
func ownerScope(c *crmd.Caller) crmd.ID {
	if c.User.Profile.IsAdmin() {
		return 0
	}
	return c.User.ID
}

// List returns one page of the caller's org's bin.
func (s *Service) List(ctx context.Context, c *crmd.Caller, q Query) (*Page, error) {
	recs, err := s.st.ListBin(ctx, store.BinQuery{OrgID: c.Org.ID, IDs: q.IDs, Filter: q.Filter, SortBy: q.SortBy, Desc: q.Desc,
		Offset: (q.Page - 1) * q.PerPage, Limit: q.PerPage + 1})
	if err != nil {
		return nil, err
	}
	// One row more than the page tells whether more follow.
	p := &Page{More: len(recs) > q.PerPage}
	if p.More {
		recs = recs[:q.PerPage]
	}
	p.Items, err = s.items(ctx, c.Org.ID, recs)
	return p, err
}

// items resolves the users and modules that records of the bin name.
func (s *Service) items(ctx context.Context, orgID crmd.ID, recs []*crmd.Record) ([]Item, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	dir, err := s.st.Directory(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := make([]Item, len(recs))
	for i, r := range recs {
		out[i] = Item{Record: r, Owner: dir.Users[r.OwnerID], DeletedBy: dir.Users[r.DeletedBy], Module: dir.Modules[r.ModuleID]}
	}
	return out, nil
}

// Get returns the record id of the caller's org's bin, or nil when the bin holds no such record (the
// id is unknown, live, purged or another org's).
func (s *Service) Get(ctx context.Context, c *crmd.Caller, id crmd.ID) (*Item, error) {
	recs, err := s.st.BinRecords(ctx, nil, c.Org.ID, []crmd.ID{id})
	if err != nil || recs[id] == nil {
		return nil, err
	}
	items, err := s.items(ctx, c.Org.ID, []*crmd.Record{recs[id]})
	if err != nil {
		return nil, err
	}
	return &items[0], nil
}

// Count counts the caller's org's bin, of one module when moduleID is not zero.
func (s *Service) Count(ctx context.Context, c *crmd.Caller, moduleID crmd.ID) (int, error) {
	return s.st.CountBin(ctx, c.Org.ID, moduleID)
}

// Restore brings the records ids back to life in one transaction and answers per distinct id, in
// first-seen order: the id, or why it stayed (not in the bin, or not the caller's to restore).
func (s *Service) Restore(ctx context.Context, c *crmd.Caller, ids []crmd.ID) ([]crmd.Result[crmd.ID], error) {
	if err := tooMany(ids, MaxRestoreIDs); err != nil {
		return nil, err
	}
	return s.perID(ctx, c, ids, func(tx *store.Tx, ok []crmd.ID) (int64, error) {
		return s.st.RestoreRecords(ctx, tx, c.Org.ID, ok, store.Change{Actor: c.User.ID, Via: store.ViaRecycleBin, At: s.st.NowMS()})
	})
}

// Delete deletes the records ids for good in one transaction and answers per distinct id, as Restore
// does.
func (s *Service) Delete(ctx context.Context, c *crmd.Caller, ids []crmd.ID) ([]crmd.Result[crmd.ID], error) {
	if err := tooMany(ids, MaxDeleteIDs); err != nil {
		return nil, err
	}
	return s.perID(ctx, c, ids, func(tx *store.Tx, ok []crmd.ID) (int64, error) {
		return s.purge(ctx, tx, c, ok)
	})
}

// tooMany refuses more than limit distinct ids with Zoho's LIMIT_EXCEEDED. The HTTP layer refuses them first,
// naming where in the request they were; this keeps the bound for any other caller.
func tooMany(ids []crmd.ID, limit int) error {
	if len(ids) > limit && len(crmd.DistinctIDs(ids)) > limit {
		return crmd.E("LIMIT_EXCEEDED", "limit exceeded", crmd.D{"limit": limit, "api_name": "ids"})
	}
	return nil
}

// RestoreMatching restores every record of the caller's reach in the bin (an administrator's whole
// org, anyone else's own records) that satisfies f, every one when f is nil.
func (s *Service) RestoreMatching(ctx context.Context, c *crmd.Caller, f *Filter) (Scheduled, error) {
	return s.schedule(ctx, c, f, crmd.JobBinRestore, WorkRestore)
}

// DeleteMatching deletes for good every record of the caller's reach in the bin that satisfies f,
// every one when f is nil.
func (s *Service) DeleteMatching(ctx context.Context, c *crmd.Caller, f *Filter) (Scheduled, error) {
	return s.schedule(ctx, c, f, crmd.JobBinDelete, WorkDelete)
}

// Empty deletes the caller's org's whole bin for good: Administrators only. It answers nil when the bin
// held at most SyncLimit records, else the scheduled work (done all the same).
func (s *Service) Empty(ctx context.Context, c *crmd.Caller) (*Scheduled, error) {
	if !c.User.Profile.IsAdmin() {
		return nil, crmd.ErrNoPermission(PermEmpty)
	}
	n, err := s.st.CountBin(ctx, c.Org.ID, 0)
	if err != nil {
		return nil, err
	}
	if n <= SyncLimit {
		return nil, s.batched(ctx, c, nil, s.purge)
	}
	sch, err := s.schedule(ctx, c, nil, crmd.JobBinEmpty, WorkEmpty)
	if err != nil {
		return nil, err
	}
	return &sch, nil
}

// perID applies change to those of ids the caller may change, in one transaction, and answers per
// distinct id in first-seen order.
func (s *Service) perID(ctx context.Context, c *crmd.Caller, ids []crmd.ID, change func(tx *store.Tx, ok []crmd.ID) (int64, error)) ([]crmd.Result[crmd.ID], error) {
	ids = crmd.DistinctIDs(ids)
	out := make([]crmd.Result[crmd.ID], len(ids))
	err := s.st.Tx(ctx, func(tx *store.Tx) error {
		// Locked, a record found in the bin stays there until change takes it out: of a racing restore
		// and purge (another replica's too) one wins, and the other finds the record gone.
		if err := s.st.LockRecords(ctx, tx, c.Org.ID, ids); err != nil {
			return err
		}
		recs, err := s.st.BinRecords(ctx, tx, c.Org.ID, ids)
		if err != nil {
			return err
		}
		var ok []crmd.ID
		for i, id := range ids {
			r := recs[id]
			switch {
			case r == nil:
				out[i] = crmd.Failed[crmd.ID](invalidItem(id))
			case !mayChange(c, r):
				out[i] = crmd.Failed[crmd.ID](crmd.E("NO_PERMISSION", crmd.MsgPermissionDenied, crmd.D{"id": id}))
			default:
				out[i] = crmd.Result[crmd.ID]{Value: id}
				ok = append(ok, id)
			}
		}
		n, err := change(tx, ok)
		if err != nil {
			return err
		}
		if n != int64(len(ok)) {
			return errors.New("recycle bin: changed " + strconv.FormatInt(n, 10) + " of " + strconv.Itoa(len(ok)) + " records")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// batched applies change to every record of the caller's reach in the bin that satisfies filter (nil:
// every one), in batches of batchSize records, one transaction each.
func (s *Service) batched(ctx context.Context, c *crmd.Caller, filter *Filter, change func(ctx context.Context, tx *store.Tx, c *crmd.Caller, ids []crmd.ID) (int64, error)) error {
	for {
		n := 0
		err := s.st.Tx(ctx, func(tx *store.Tx) error {
			ids, err := s.st.BinIDs(ctx, tx, c.Org.ID, ownerScope(c), filter, batchSize)
			if err != nil {
				return err
			}
			n = len(ids)
			// change re-checks the bin in its own UPDATE, so it needs no lock to be right; locking the
			// batch in id order first keeps its UPDATE from deadlocking with a per-id restore or purge
			// that locked some of the same rows (PostgreSQL).
			if err := s.st.LockRecords(ctx, tx, c.Org.ID, ids); err != nil {
				return err
			}
			_, err = change(ctx, tx, c, ids)
			return err
		})
		if err != nil {
			return err
		}
		if n < batchSize {
			return nil
		}
	}
}

// purge adapts PurgeRecords to batched and perID: the caller's purge by ids, stamped by the store clock.
func (s *Service) purge(ctx context.Context, tx *store.Tx, c *crmd.Caller, ids []crmd.ID) (int64, error) {
	return s.st.PurgeRecords(ctx, tx, c.Org.ID, ids, store.Change{Actor: c.User.ID, Via: store.ViaRecycleBin, At: s.st.NowMS()})
}

// schedule accepts, as a job of kind, work on every record of the caller's reach in the bin (an
// administrator's whole org, anyone else's own records) that satisfies f (nil: every one): the ids are
// read outside any write transaction and fixed in the job's snapshot (jobs.Prepare); the runner does
// the work. Such jobs hold no lock against each other: each batch re-checks that its records are still
// in the bin.
func (s *Service) schedule(ctx context.Context, c *crmd.Caller, f *Filter, kind string, work Work) (Scheduled, error) {
	j, err := jobs.Prepare(ctx, s.st, &crmd.Job{Kind: kind, OrgID: c.Org.ID, CreatedBy: c.User.ID},
		func(ctx context.Context) ([]crmd.ID, error) {
			return s.st.BinIDs(ctx, nil, c.Org.ID, ownerScope(c), f, math.MaxInt32)
		},
		func(int) error { return nil })
	if err != nil {
		return Scheduled{}, err
	}
	s.kick()
	return Scheduled{JobID: j.ID, Work: work}, nil
}

// restoreWork restores one batch of a restore job's snapshot inside tx; a record no longer in the
// bin (restored or purged meanwhile) counts as failed. The batch is locked in id order first, so that
// its UPDATE does not deadlock with a per-id restore or purge that locked some of the same rows
// (PostgreSQL).
func (s *Service) restoreWork(ctx context.Context, tx *store.Tx, job *crmd.Job, ids []crmd.ID, at time.Time) (int64, error) {
	if err := s.st.LockRecords(ctx, tx, job.OrgID, ids); err != nil {
		return 0, err
	}
	return s.st.RestoreRecords(ctx, tx, job.OrgID, ids, store.Change{Actor: job.CreatedBy, Via: store.ViaJob, JobID: job.ID, At: at.UnixMilli()})
}

// purgeWork deletes one batch of a purge or empty job's snapshot for good inside tx, like restoreWork.
func (s *Service) purgeWork(ctx context.Context, tx *store.Tx, job *crmd.Job, ids []crmd.ID, at time.Time) (int64, error) {
	if err := s.st.LockRecords(ctx, tx, job.OrgID, ids); err != nil {
		return 0, err
	}
	return s.st.PurgeRecords(ctx, tx, job.OrgID, ids, store.Change{Actor: job.CreatedBy, Via: store.ViaJob, JobID: job.ID, At: at.UnixMilli()})
}
