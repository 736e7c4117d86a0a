package records

import (
	"context"
	"fmt"
	"slices"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// The one soft delete of crmd (D7): a record deleted by DELETE /{module}, by a mass delete by ids or by
// a batch of a mass delete job goes through SoftDelete, so that the checks, the row lock and what the
// recycle bin records are the same whoever asks.

// Deletion is one soft delete of records of one module of one org, run inside the caller's transaction.
type Deletion struct {
	OrgID, ModuleID crmd.ID
	// IDs are the records to delete, distinct.
	IDs []crmd.ID
	// By is the user the recycle bin names as deleted_by; JobID the mass delete job, 0 for none.
	By, JobID crmd.ID
	// Via is how the deletion was asked for, as the audit trail records it (store.ViaIDs, ViaJob,
	// ViaRecord).
	Via string
	// At is the deletion time, Unix ms.
	At int64
	// OwnedBy, when not zero, limits the deletion to the records that user owns (a Standard user may
	// delete only their own).
	OwnedBy crmd.ID
	// Territory, when set, limits the deletion to the records assigned to it (or its subtree): the
	// territory guard of a mass delete by ids (D12).
	Territory *store.TerritoryScope
}

// Verdict is what SoftDelete did with one id.
type Verdict int

// The verdicts, in the order the checks run: the first that applies is the id's.
const (
	// Deleted: the record is in the recycle bin now.
	Deleted Verdict = iota
	// NotLive: no live record of the module has the id — unknown, of another org or module, already
	// deleted or purged — or the record lies outside the territory.
	NotLive
	// NotOwned: a live record the deleting user may not touch.
	NotOwned
	// NotApproved: a live record an approval process holds (D6).
	NotApproved
)

// SoftDelete moves the records of d that pass its checks to the recycle bin, inside tx, and returns one
// verdict per id, in the order of d.IDs.
//
// The checks (live, approved, owned) are the soft delete's own WHERE clause (store.SoftDeleteChecked),
// so the UPDATE itself locks exactly the rows it moves and no record is read before it: of racing
// deletes of a record one wins and the others find it in the bin. Only the ids it did not move are read
// afterwards, to say why. A separate locking read of every row first cost PostgreSQL more than the
// delete (each row lock dirties its page and writes WAL). With a territory guard the rows are still
// locked first (PostgreSQL), so that an assign or remove_territories of a record waits and the guard
// sees it before or after.
func SoftDelete(ctx context.Context, st *store.Store, tx *store.Tx, d Deletion) ([]Verdict, error) {
	all := crmd.DistinctIDs(d.IDs)
	cand := all
	var inTerritory map[crmd.ID]bool
	if d.Territory != nil {
		if err := st.LockRecords(ctx, tx, d.OrgID, all); err != nil {
			return nil, err
		}
		var err error
		if inTerritory, err = st.InTerritory(ctx, tx, all, *d.Territory); err != nil {
			return nil, err
		}
		cand = slices.DeleteFunc(slices.Clone(all), func(id crmd.ID) bool { return !inTerritory[id] })
	}
	moved, err := st.SoftDeleteChecked(ctx, tx, d.OrgID, d.ModuleID, cand, d.OwnedBy,
		store.Change{Actor: d.By, Via: d.Via, JobID: d.JobID, At: d.At})
	if err != nil {
		return nil, err
	}
	done := make(map[crmd.ID]bool, len(moved))
	for _, id := range moved {
		done[id] = true
	}
	rest := slices.DeleteFunc(slices.Clone(all), func(id crmd.ID) bool { return done[id] })
	// Why the others were not moved: the checks read only the columns they judge (RecordStates).
	states, err := st.RecordStates(ctx, tx, d.OrgID, d.ModuleID, rest)
	if err != nil {
		return nil, err
	}
	for id, s := range states {
		if s.Approved && !s.Deleted && (d.OwnedBy == 0 || s.OwnerID == d.OwnedBy) {
			// Deletable now, yet the UPDATE passed it by: a concurrent request changed it in between
			// (PostgreSQL). It was not live for this delete.
			s.Deleted = true
			states[id] = s
		}
	}
	for _, id := range moved {
		states[id] = store.RecordState{OwnerID: d.OwnedBy, Approved: true}
	}
	out, del := judge(d, states, inTerritory)
	if len(del) != len(moved) {
		// Every id judged Deleted is one the UPDATE moved: anything else is a bug, and the transaction
		// must not commit half of it.
		return nil, fmt.Errorf("soft delete: %d rows changed, %d judged deleted", len(moved), len(del))
	}
	return out, nil
}

// Judge returns the verdicts SoftDelete would give d's ids now, and the records it read (by id; absent
// for ids that name none), reading outside any transaction and changing nothing: the preview of a mass
// delete by ids runs the very checks of the real call.
func Judge(ctx context.Context, st *store.Store, d Deletion) ([]Verdict, map[crmd.ID]*crmd.Record, error) {
	recs, err := st.RecordsByID(ctx, nil, d.OrgID, d.ModuleID, d.IDs)
	if err != nil {
		return nil, nil, err
	}
	states := make(map[crmd.ID]store.RecordState, len(recs))
	for id, r := range recs {
		states[id] = store.RecordState{Deleted: r.DeletedTime != 0, OwnerID: r.OwnerID, Approved: r.Approved()}
	}
	var inTerritory map[crmd.ID]bool
	if d.Territory != nil {
		if inTerritory, err = st.InTerritory(ctx, nil, d.IDs, *d.Territory); err != nil {
			return nil, nil, err
		}
	}
	out, _ := judge(d, states, inTerritory)
	return out, recs, nil
}

// judge returns one verdict per id of d, and the ids to delete, from the states of d's records and,
// with a territory guard, which of them lie in the territory.
func judge(d Deletion, states map[crmd.ID]store.RecordState, inTerritory map[crmd.ID]bool) ([]Verdict, []crmd.ID) {
	out := make([]Verdict, len(d.IDs))
	var del []crmd.ID
	first := make(map[crmd.ID]Verdict, len(d.IDs))
	for i, id := range d.IDs {
		// An id named again is judged as if the ids were deleted one after the other: a record the
		// first mention deleted is no longer live, any other verdict stands. (Deleting it twice would
		// change fewer rows than planned and fail the whole request.)
		if v, again := first[id]; again {
			if v == Deleted {
				v = NotLive
			}
			out[i] = v
			continue
		}
		rec, found := states[id]
		switch {
		case !found || rec.Deleted || (d.Territory != nil && !inTerritory[id]):
			out[i] = NotLive
		case d.OwnedBy != 0 && rec.OwnerID != d.OwnedBy:
			out[i] = NotOwned
		case !rec.Approved:
			out[i] = NotApproved
		default:
			out[i] = Deleted
			del = append(del, id)
		}
		first[id] = out[i]
	}
	return out, del
}
