package records

import (
	"context"
	"fmt"

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
// verdict per id, in the order of d.IDs. The rows are locked first, so what is read below (the record
// live, approved, owned, in the territory) stays true until the delete: of racing deletes of a record
// one wins and the others find it in the bin, and an assign or remove_territories of the record waits,
// so that the territory guard sees it before or after.
func SoftDelete(ctx context.Context, st *store.Store, tx *store.Tx, d Deletion) ([]Verdict, error) {
	if err := st.LockRecords(ctx, tx, d.OrgID, d.IDs); err != nil {
		return nil, err
	}
	recs, err := st.RecordsByID(ctx, tx, d.OrgID, d.ModuleID, d.IDs)
	if err != nil {
		return nil, err
	}
	out, del, err := judge(ctx, st, tx, d, recs)
	if err != nil {
		return nil, err
	}
	n, err := st.SoftDeleteRecords(ctx, tx, d.OrgID, d.ModuleID, del, store.Change{Actor: d.By, Via: d.Via, JobID: d.JobID, At: d.At})
	if err != nil {
		return nil, err
	}
	if n != int64(len(del)) {
		// The rows were locked and checked live: anything else is a bug, and the transaction must not
		// commit half of it.
		return nil, fmt.Errorf("soft delete: %d of %d rows changed", n, len(del))
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
	out, _, err := judge(ctx, st, nil, d, recs)
	return out, recs, err
}

// judge returns one verdict per id of d, and the ids to delete, from d's records recs (read inside tx
// when given).
func judge(ctx context.Context, st *store.Store, tx *store.Tx, d Deletion, recs map[crmd.ID]*crmd.Record) ([]Verdict, []crmd.ID, error) {
	var err error
	var inTerritory map[crmd.ID]bool
	if d.Territory != nil {
		if inTerritory, err = st.InTerritory(ctx, tx, d.IDs, *d.Territory); err != nil {
			return nil, nil, err
		}
	}
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
		rec := recs[id]
		switch {
		case rec == nil || rec.DeletedTime != 0 || (d.Territory != nil && !inTerritory[id]):
			out[i] = NotLive
		case d.OwnedBy != 0 && rec.OwnerID != d.OwnedBy:
			out[i] = NotOwned
		case !rec.Approved():
			out[i] = NotApproved
		default:
			out[i] = Deleted
			del = append(del, id)
		}
		first[id] = out[i]
	}
	return out, del, nil
}
