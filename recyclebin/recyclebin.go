// Package recyclebin implements Zoho's Recycle Bin API (docs/recycle-bin.md#recycle-bin-api, v6+) over the records that deletes
// soft-delete (D7), and the retention purger that deletes them for good once they are due.
//
// Choices where Zoho's material is silent (written down in docs/recycle-bin.md):
//   - Everyone with the scope sees the whole org's bin (Zoho shows the bin org-wide); restoring and
//     permanently deleting a record needs an Administrator or the record's owner, else a per-id
//     NO_PERMISSION `permission denied` {"id"}. Emptying the bin is for Administrators only: 403
//     NO_PERMISSION {"permissions":["Crm_Implied_Empty_Recycle_Bin"]}.
//   - An id that is malformed in a body, or not in the caller's org's bin (unknown, live, purged, another
//     org's) answers per id INVALID_DATA `the id given seems to be invalid` {"id"}; in a path it is the
//     request-level INVALID_DATA {"resource_path_index":2}. Duplicate ids count once (D2).
//   - Restore by ids (≤ 200) and permanent delete by ids (≤ 1,000) run in one transaction and answer per
//     id (200 / 207 / 400): `record restored successfully`, `record deleted permanently`, details {"id"}.
//   - Restore by filters or restore_all_records, delete by filters, and emptying a bin of more than 1,000
//     records answer 202 SCHEDULED {"job_id"} as the contract says, but the work is done before the
//     answer, in batches of batchSize records (one transaction each): there is nothing to poll and no job
//     table. The job id is a fresh id of the org's sequence, for the client's logs. A filter matching
//     nothing still answers 202 (the contract fixes the status by the kind of request, not by the
//     count). Emptying ≤ 1,000 records answers 200 SUCCESS `recycle bin emptied successfully`.
//   - A restore brings the record back exactly as it was deleted: same id, fields, owner, times and
//     territories (their rows stay while it is in the bin); its modified time does not change.
//   - A permanent delete keeps the bare row (id, module, creator, deletion facts) so that
//     /{module}/deleted lists it as type=permanent; its data, display name, territories and read marks go.
package recyclebin

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// Limits of the Recycle Bin API.
const (
	// MaxPerPage is the largest page of the list; larger per_page values are clamped.
	MaxPerPage = 200
	// MaxRestoreIDs is how many ids one restore may name (docs/recycle-bin.md#recycle-bin-api).
	MaxRestoreIDs = 200
	// MaxDeleteIDs is how many ids one permanent delete may name: Zoho answers up to 1,000 records
	// synchronously.
	MaxDeleteIDs = 1000
	// SyncLimit is the largest bin an empty answers synchronously (200); a bigger one answers 202.
	SyncLimit = 1000
	// batchSize is how many records one transaction of a filtered restore or delete, or of an empty,
	// changes.
	batchSize = 500
)

// Messages of the per-item answers.
const (
	MsgRestored        = "record restored successfully"
	MsgDeleted         = "record deleted permanently"
	MsgEmptied         = "recycle bin emptied successfully"
	MsgRestoreSchedule = "restore of the records has been scheduled"
	MsgDeleteSchedule  = "permanent delete of the records has been scheduled"
	MsgEmptySchedule   = "emptying the recycle bin has been scheduled"
)

// PermEmpty is the profile permission named when a non-administrator tries to empty the bin.
const PermEmpty = "Crm_Implied_Empty_Recycle_Bin"

// Service implements the Recycle Bin API on a store.
type Service struct {
	st *store.Store
}

// New returns a recycle-bin service on st.
func New(st *store.Store) *Service { return &Service{st: st} }

// Ref is Zoho's {"name","id"} reference to a user.
type Ref struct {
	Name string  `json:"name"`
	ID   crmd.ID `json:"id"`
}

// ModuleRef is Zoho's {"api_name","id"} reference to a module.
type ModuleRef struct {
	APIName string  `json:"api_name"`
	ID      crmd.ID `json:"id"`
}

// Item is one record of the bin as the API shows it.
type Item struct {
	DisplayName string    `json:"display_name"`
	DeletedTime string    `json:"deleted_time"`
	Owner       Ref       `json:"owner"`
	Module      ModuleRef `json:"module"`
	DeletedBy   Ref       `json:"deleted_by"`
	ID          crmd.ID   `json:"id"`
}

// Page is one page of the bin; no Items means 204.
type Page struct {
	Items []Item
	Info  map[string]any
}

// Result is the answer of a restore, delete or empty: per-item outcomes (200/207/400; an empty of at
// most SyncLimit records gives one SUCCESS outcome), or, when Scheduled is set, one SCHEDULED entry
// with the job id (202).
type Result struct {
	Outcomes  []crmd.Outcome
	Scheduled *Scheduled
}

// Scheduled is the 202 answer's one entry.
type Scheduled struct {
	JobID   crmd.ID
	Message string
}

// errInvalidPathID is the answer for a path id that is not in the caller's bin.
func errInvalidPathID() *crmd.Error {
	return crmd.E("INVALID_DATA", crmd.MsgInvalidID, crmd.D{"resource_path_index": 2})
}

func invalidItem(id any) *crmd.Error {
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

// sortKeys maps sort_by to store keys.
var sortKeys = map[string]string{
	"deleted_time": store.BinSortDeletedTime, "display_name": store.BinSortDisplayName, "deleted_by": store.BinSortDeletedBy,
}

// List answers GET /settings/recycle_bin.
func (s *Service) List(ctx context.Context, c *crmd.Caller, q url.Values) (*Page, error) {
	bq := store.BinQuery{OrgID: c.Org.ID, SortBy: store.BinSortDeletedTime, Desc: true}
	if v, ok := crmd.QueryParam(q, "sort_by"); ok {
		key, known := sortKeys[strings.ToLower(v)]
		if !known {
			return nil, crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"param_name": "sort_by", "supported_values": []string{"display_name", "deleted_time", "deleted_by"}})
		}
		bq.SortBy = key
	}
	if v, ok := crmd.QueryParam(q, "sort_order"); ok {
		switch strings.ToLower(v) {
		case "asc":
			bq.Desc = false
		case "desc":
		default:
			return nil, crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"param_name": "sort_order", "supported_values": []string{"asc", "desc"}})
		}
	}
	if v, ok := crmd.QueryParam(q, "ids"); ok {
		ids, valid := crmd.SplitIDs(v)
		if !valid {
			return nil, crmd.ErrInvalidParam("ids")
		}
		if len(ids) > MaxPerPage {
			return nil, crmd.E("LIMIT_EXCEEDED", "limit exceeded", crmd.D{"limit": MaxPerPage, "param_name": "ids"})
		}
		bq.IDs = ids
	}
	mods, err := s.st.Modules(ctx, c.Org.ID)
	if err != nil {
		return nil, err
	}
	if v, ok := crmd.QueryParam(q, "filters"); ok {
		f, err := parseFilterParam(v, mods)
		if err != nil {
			return nil, err
		}
		bq.Filter = f
	}
	page, perPage, perr := crmd.PageParams(q, MaxPerPage)
	if perr != nil {
		return nil, perr
	}
	bq.Offset, bq.Limit = (page-1)*perPage, perPage+1
	recs, err := s.st.ListBin(ctx, bq)
	if err != nil {
		return nil, err
	}
	recs, info := crmd.TrimPage(recs, page, perPage)
	res := &Page{Info: info}
	if len(recs) == 0 {
		return res, nil
	}
	res.Items, err = s.items(ctx, c, mods, recs)
	return res, err
}

// items shapes records of the bin.
func (s *Service) items(ctx context.Context, c *crmd.Caller, mods []*crmd.Module, recs []*crmd.Record) ([]Item, error) {
	users, err := s.st.UsersByID(ctx, c.Org.ID)
	if err != nil {
		return nil, err
	}
	byID := make(map[crmd.ID]*crmd.Module, len(mods))
	for _, m := range mods {
		byID[m.ID] = m
	}
	ref := func(id crmd.ID) Ref {
		r := Ref{ID: id}
		if u := users[id]; u != nil {
			r.Name = u.FullName()
		}
		return r
	}
	loc := c.Org.Location()
	out := make([]Item, len(recs))
	for i, r := range recs {
		mr := ModuleRef{ID: r.ModuleID}
		if m := byID[r.ModuleID]; m != nil {
			mr.APIName = m.APIName
		}
		out[i] = Item{DisplayName: r.DisplayName, DeletedTime: crmd.FormatTime(r.DeletedTime, loc), Owner: ref(r.OwnerID),
			Module: mr, DeletedBy: ref(r.DeletedBy), ID: r.ID}
	}
	return out, nil
}

// Get answers GET /settings/recycle_bin/{id}.
func (s *Service) Get(ctx context.Context, c *crmd.Caller, rawID string) (Item, error) {
	id, ok := crmd.ParseID(rawID)
	if !ok {
		return Item{}, errInvalidPathID()
	}
	recs, err := s.st.BinRecords(ctx, nil, c.Org.ID, []crmd.ID{id})
	if err != nil {
		return Item{}, err
	}
	r := recs[id]
	if r == nil {
		return Item{}, errInvalidPathID()
	}
	mods, err := s.st.Modules(ctx, c.Org.ID)
	if err != nil {
		return Item{}, err
	}
	items, err := s.items(ctx, c, mods, []*crmd.Record{r})
	if err != nil {
		return Item{}, err
	}
	return items[0], nil
}

// Count answers GET /settings/recycle_bin/actions/count: the org's bin, of one module when the module
// parameter names one (an unknown one is INVALID_MODULE {"param_name":"module"}).
func (s *Service) Count(ctx context.Context, c *crmd.Caller, q url.Values) (int, error) {
	var moduleID crmd.ID
	if v, ok := crmd.QueryParam(q, "module"); ok {
		m, err := s.st.Module(ctx, c.Org.ID, v)
		if err != nil {
			return 0, err
		}
		if m == nil || !m.APISupported {
			return 0, crmd.E("INVALID_MODULE", crmd.MsgInvalidModule, crmd.D{"param_name": "module"})
		}
		moduleID = m.ID
	}
	return s.st.CountBin(ctx, c.Org.ID, moduleID)
}

// Restore answers POST /settings/recycle_bin/actions/restore, whose body holds exactly one of ids,
// filters and restore_all_records. An empty ids array, a null filters and restore_all_records false
// count as not given.
func (s *Service) Restore(ctx context.Context, c *crmd.Caller, body map[string]any) (*Result, error) {
	var given []string
	rawIDs, hasIDs := body["ids"]
	if arr, ok := rawIDs.([]any); hasIDs && (rawIDs == nil || ok && len(arr) == 0) {
		hasIDs = false
	}
	rawFilters, hasFilters := body["filters"]
	hasFilters = hasFilters && rawFilters != nil
	rawAll, hasAll := body["restore_all_records"]
	if hasAll {
		b, ok := rawAll.(bool)
		if !ok && rawAll != nil {
			return nil, crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"api_name": "restore_all_records", "json_path": "$.restore_all_records", "expected_data_type": "boolean"})
		}
		hasAll = b
	}
	if hasFilters {
		given = append(given, "filters")
	}
	if hasIDs {
		given = append(given, "ids")
	}
	if hasAll {
		given = append(given, "restore_all_records")
	}
	switch {
	case len(given) == 0:
		return nil, crmd.E("EXPECTED_PARAM_MISSING", "one of the expected parameter is missing", crmd.D{"param_names": []string{"filters", "ids", "restore_all_records"}})
	case len(given) > 1:
		return nil, crmd.E("AMBIGUITY_DURING_PROCESSING", "ambiguity during processing", crmd.D{"ambiguity_due_to": given})
	}
	if hasIDs {
		ids, err := bodyIDs(rawIDs)
		if err != nil {
			return nil, err
		}
		outs, err := s.restoreIDs(ctx, c, ids)
		return &Result{Outcomes: outs}, err
	}
	var filter *store.BinFilter
	if hasFilters {
		mods, err := s.st.Modules(ctx, c.Org.ID)
		if err != nil {
			return nil, err
		}
		if filter, err = parseFilter(rawFilters, mods, "$.filters", false); err != nil {
			return nil, err
		}
	}
	if err := s.batched(ctx, c, filter, s.st.RestoreRecords); err != nil {
		return nil, err
	}
	return s.scheduled(ctx, c, MsgRestoreSchedule)
}

// RestoreOne answers POST /settings/recycle_bin/{id}/actions/restore.
func (s *Service) RestoreOne(ctx context.Context, c *crmd.Caller, rawID string) (*Result, error) {
	id, ok := crmd.ParseID(rawID)
	if !ok {
		return nil, errInvalidPathID()
	}
	outs, err := s.restoreIDs(ctx, c, []crmd.ID{id})
	return &Result{Outcomes: outs}, err
}

// bodyIDs reads the ids array of a restore body: at most MaxRestoreIDs distinct ids (strings of digits
// or JSON numbers), de-duplicated in first-seen order. A malformed element rejects the whole request.
func bodyIDs(raw any) ([]crmd.ID, error) {
	arr, ok := raw.([]any)
	if !ok {
		return nil, crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"api_name": "ids", "json_path": "$.ids", "expected_data_type": "jsonarray"})
	}
	seen := make(map[crmd.ID]bool, len(arr))
	var ids []crmd.ID
	for i, v := range arr {
		id, ok := userID(v)
		if _, isObj := v.(map[string]any); isObj {
			ok = false
		}
		if !ok {
			return nil, crmd.E("INVALID_DATA", crmd.MsgInvalidID, crmd.D{"api_name": "ids", "json_path": "$.ids[" + strconv.Itoa(i) + "]", "id": v})
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) > MaxRestoreIDs {
		return nil, crmd.E("LIMIT_EXCEEDED", "limit exceeded", crmd.D{"limit": MaxRestoreIDs, "api_name": "ids", "json_path": "$.ids"})
	}
	return ids, nil
}

// restoreIDs restores ids in one transaction and answers per id.
func (s *Service) restoreIDs(ctx context.Context, c *crmd.Caller, ids []crmd.ID) ([]crmd.Outcome, error) {
	return s.perID(ctx, c, ids, MsgRestored, func(tx *store.Tx, ok []crmd.ID) (int64, error) {
		return s.st.RestoreRecords(ctx, tx, c.Org.ID, ok)
	})
}

// perID applies change to those of ids the caller may change, in one transaction, and answers per id
// in input order.
func (s *Service) perID(ctx context.Context, c *crmd.Caller, ids []crmd.ID, msg string, change func(tx *store.Tx, ok []crmd.ID) (int64, error)) ([]crmd.Outcome, error) {
	outs := make([]crmd.Outcome, len(ids))
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
				outs[i] = crmd.Outcome{Err: invalidItem(id)}
			case !mayChange(c, r):
				outs[i] = crmd.Outcome{Err: crmd.E("NO_PERMISSION", crmd.MsgPermissionDenied, crmd.D{"id": id})}
			default:
				outs[i] = crmd.Outcome{Message: msg, Details: crmd.D{"id": id}}
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
	return outs, nil
}

// batched applies change to every record of the caller's reach in the bin that satisfies filter (nil:
// every one), in batches of batchSize records, one transaction each.
func (s *Service) batched(ctx context.Context, c *crmd.Caller, filter *store.BinFilter, change func(ctx context.Context, tx *store.Tx, orgID crmd.ID, ids []crmd.ID) (int64, error)) error {
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
			_, err = change(ctx, tx, c.Org.ID, ids)
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

// purge adapts PurgeRecords to batched and perID, stamping the store clock.
func (s *Service) purge(ctx context.Context, tx *store.Tx, orgID crmd.ID, ids []crmd.ID) (int64, error) {
	return s.st.PurgeRecords(ctx, tx, orgID, ids, s.st.NowMS())
}

// scheduled builds the 202 answer with a fresh id of the org's sequence as the job id.
func (s *Service) scheduled(ctx context.Context, c *crmd.Caller, msg string) (*Result, error) {
	var job crmd.ID
	err := s.st.Tx(ctx, func(tx *store.Tx) error {
		var err error
		job, err = s.st.AllocIDs(ctx, tx, c.Org.ID, 1)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Result{Scheduled: &Scheduled{JobID: job, Message: msg}}, nil
}

// Delete answers DELETE /settings/recycle_bin?ids=… (≤ MaxDeleteIDs, per id) or ?filters=… (202).
func (s *Service) Delete(ctx context.Context, c *crmd.Caller, q url.Values) (*Result, error) {
	rawIDs, hasIDs := crmd.QueryParam(q, "ids")
	rawFilters, hasFilters := crmd.QueryParam(q, "filters")
	switch {
	case hasIDs && hasFilters:
		return nil, crmd.E("AMBIGUITY_DURING_PROCESSING", "ambiguity during processing", crmd.D{"ambiguity_due_to": []string{"filters", "ids"}})
	case hasIDs:
		ids, perr := crmd.RequiredIDs(rawIDs, MaxDeleteIDs, crmd.MsgParamMissing)
		if perr != nil {
			return nil, perr
		}
		outs, err := s.perID(ctx, c, ids, MsgDeleted, func(tx *store.Tx, ok []crmd.ID) (int64, error) {
			return s.purge(ctx, tx, c.Org.ID, ok)
		})
		return &Result{Outcomes: outs}, err
	case hasFilters:
		mods, err := s.st.Modules(ctx, c.Org.ID)
		if err != nil {
			return nil, err
		}
		filter, err := parseFilterParam(rawFilters, mods)
		if err != nil {
			return nil, err
		}
		if err := s.batched(ctx, c, filter, s.purge); err != nil {
			return nil, err
		}
		return s.scheduled(ctx, c, MsgDeleteSchedule)
	}
	return nil, crmd.E("EXPECTED_PARAM_MISSING", "one of the expected parameter is missing", crmd.D{"param_names": []string{"filters", "ids"}})
}

// DeleteOne answers DELETE /settings/recycle_bin/{id}.
func (s *Service) DeleteOne(ctx context.Context, c *crmd.Caller, rawID string) (*Result, error) {
	id, ok := crmd.ParseID(rawID)
	if !ok {
		return nil, errInvalidPathID()
	}
	outs, err := s.perID(ctx, c, []crmd.ID{id}, MsgDeleted, func(tx *store.Tx, ok []crmd.ID) (int64, error) {
		return s.purge(ctx, tx, c.Org.ID, ok)
	})
	return &Result{Outcomes: outs}, err
}

// Empty answers POST /settings/recycle_bin/actions/empty: Administrators only; a bin of at most
// SyncLimit records answers one SUCCESS entry, a bigger one SCHEDULED (done all the same).
func (s *Service) Empty(ctx context.Context, c *crmd.Caller) (*Result, error) {
	if !c.User.Profile.IsAdmin() {
		return nil, crmd.ErrNoPermission(PermEmpty)
	}
	n, err := s.st.CountBin(ctx, c.Org.ID, 0)
	if err != nil {
		return nil, err
	}
	if err := s.batched(ctx, c, nil, s.purge); err != nil {
		return nil, err
	}
	if n > SyncLimit {
		return s.scheduled(ctx, c, MsgEmptySchedule)
	}
	return &Result{Outcomes: []crmd.Outcome{{Message: MsgEmptied, Details: crmd.D{}}}}, nil
}
