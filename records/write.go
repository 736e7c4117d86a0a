package records

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// draft is one validated input record before the database has been consulted: the coerced values of
// the data fields it sets (nil clears), the owner it names and the lookups still to check.
type draft struct {
	idx      int
	id       crmd.ID // update target; 0 on insert
	set      map[string]any
	owner    crmd.ID // 0 = not given
	approval string  // "" = not given
	refs     []ref
	err      *crmd.Error // the first field error; reported after the record checks on update
}

// ref is a lookup value whose target must be a live record of the field's lookup module.
type ref struct {
	f  *crmd.Field
	id crmd.ID
}

func jsonPath(idx int, key string) string { return fmt.Sprintf("$.data[%d].%s", idx, key) }

// withPath adds the entry's json_path to a field error.
func withPath(e *crmd.Error, idx int, key string) *crmd.Error {
	e.Details["json_path"] = jsonPath(idx, key)
	return e
}

func mandatoryMissing(idx int, f *crmd.Field) *crmd.Error {
	return crmd.E("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, crmd.D{"api_name": f.APIName, "json_path": jsonPath(idx, f.APIName)})
}

// parseEntry validates an entry's values (entry idx of the request's data) against the module's
// fields. Read-only fields, unknown keys and "id" are ignored, as Zoho ignores them. On insert every
// mandatory field must be given; on both insert and update a mandatory field may not be cleared. Fields
// are checked in the module's field order, so the first error is deterministic.
func parseEntry(m *crmd.Module, idx int, obj map[string]any, insert bool, users map[crmd.ID]*crmd.User) (*draft, *crmd.Error) {
	if obj == nil {
		return nil, crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"json_path": fmt.Sprintf("$.data[%d]", idx), "expected_data_type": "jsonobject"})
	}
	d := &draft{idx: idx, set: map[string]any{}}
	for _, f := range m.Fields {
		if f.ReadOnly {
			continue
		}
		v, given := obj[f.APIName]
		if !given {
			if insert && f.Mandatory {
				return nil, mandatoryMissing(idx, f)
			}
			if insert && f.DataType == crmd.TypeBoolean && !f.System {
				// A Zoho checkbox is never empty: unset means false, stored so that views filtering
				// on "equal false" see it.
				d.set[f.APIName] = false
			}
			continue
		}
		val, err := Coerce(f, v)
		if err != nil {
			return nil, withPath(err, idx, f.APIName)
		}
		if val == nil && f.DataType == crmd.TypeBoolean {
			val = false // clearing a checkbox unticks it
		}
		if val == nil && f.Mandatory {
			return nil, mandatoryMissing(idx, f)
		}
		switch f.DataType {
		case crmd.TypeOwnerLookup, crmd.TypeUserLookup:
			if val == nil {
				if f.System {
					// The owner column cannot be empty: a null Owner is a bad value, not a clear.
					return nil, withPath(invalidValue(f), idx, f.APIName)
				}
				d.set[f.APIName] = nil
				continue
			}
			id := val.(crmd.ID)
			u := users[id]
			if u == nil || u.Status != "active" {
				return nil, withPath(invalidValue(f), idx, f.APIName)
			}
			if f.System {
				d.owner = id
				continue
			}
			d.set[f.APIName] = map[string]any{"id": id.String(), "name": u.FullName()}
		case crmd.TypeLookup:
			if val == nil {
				d.set[f.APIName] = nil
				continue
			}
			d.refs = append(d.refs, ref{f: f, id: val.(crmd.ID)})
		default:
			if f.System {
				continue // a writable system column crmd does not know; nothing to store
			}
			d.set[f.APIName] = val
		}
	}
	if insert {
		if v, given := obj["$approval_state"]; given {
			s, ok := v.(string)
			if !ok || !approvalStates[s] {
				return nil, crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"api_name": "$approval_state", "json_path": jsonPath(idx, "$approval_state")})
			}
			d.approval = s
		}
	}
	return d, nil
}

// resolveLookups checks every lookup of the drafts against live records of its target module in the
// org, inside tx, with one query per target module, and stores {"id","name"} for the good ones. It
// returns the error of each draft (by position) whose lookup does not resolve.
func (s *Service) resolveLookups(ctx context.Context, tx *store.Tx, orgID crmd.ID, drafts []*draft) (map[int]*crmd.Error, error) {
	byTarget := map[string][]crmd.ID{}
	for _, d := range drafts {
		if d == nil {
			continue
		}
		for _, r := range d.refs {
			byTarget[r.f.LookupModule] = append(byTarget[r.f.LookupModule], r.id)
		}
	}
	names := map[string]map[crmd.ID]string{}
	for target, ids := range byTarget {
		tm, err := s.st.Module(ctx, orgID, target)
		if err != nil {
			return nil, err
		}
		if tm == nil {
			names[target] = map[crmd.ID]string{}
			continue
		}
		got, err := s.st.LiveRecordNames(ctx, tx, orgID, tm.ID, ids)
		if err != nil {
			return nil, err
		}
		names[target] = got
	}
	bad := map[int]*crmd.Error{}
	for i, d := range drafts {
		if d == nil {
			continue
		}
		for _, r := range d.refs {
			name, ok := names[r.f.LookupModule][r.id]
			if !ok {
				bad[i] = withPath(invalidValue(r.f), d.idx, r.f.APIName)
				break
			}
			d.set[r.f.APIName] = map[string]any{"id": r.id.String(), "name": name}
		}
	}
	return bad, nil
}

// applyDraft merges a draft's values into a data document and recomputes the derived values.
func applyDraft(m *crmd.Module, data map[string]any, d *draft) {
	for k, v := range d.set {
		if v == nil {
			delete(data, k)
			continue
		}
		data[k] = v
	}
	computeFullName(m, data)
}

// Entry is one record of a write request (POST or PUT /{module}), as the client gave it.
type Entry struct {
	// Pos is the entry's index in the request's data array, which errors name in their json_path.
	Pos int
	// ID is the record an update changes; 0 on insert.
	ID crmd.ID
	// NewID, on insert, is the id the new record takes instead of the next one of the org's sequence
	// (fixtures give their records fixed ids). It must be of the org's own id space and unused; the
	// sequence moves past it.
	NewID crmd.ID
	// Values are the entry's keys as the client sent them, decoded from JSON (strings, json.Number,
	// booleans, nil, []any, map[string]any): the service validates and coerces each against the
	// module's field of that api name (Coerce) and ignores the rest. nil stands for an entry that is not
	// a JSON object, which fails.
	Values map[string]any
}

// Written is the answer of an insert or update: one result per entry, in order (the record as written,
// or the entry's error), and the org's users by id, whom the records name.
type Written struct {
	Results []crmd.Result[*crmd.Record]
	Users   map[crmd.ID]*crmd.User
}

// Allowed answers whether the caller may do verb (crmd.PermView, PermCreate, PermEdit, PermDelete) on
// the records of m at all: NOT_SUPPORTED for a module that does not allow it, then NO_PERMISSION naming
// the permission the profile lacks. The HTTP layer asks before it reads the request, so that a request
// that may not be made gets the same answer whatever its body.
func Allowed(c *crmd.Caller, m *crmd.Module, verb string) error {
	switch {
	case verb == crmd.PermCreate && !m.Creatable, verb == crmd.PermEdit && !m.Editable, verb == crmd.PermDelete && !m.Deletable:
		return errNotSupported()
	}
	return checkProfile(c, m, verb)
}

// Insert adds records (POST /{module}). All entries that pass validation are written in one
// transaction with ids from one allocation: if the transaction fails, nothing is written and the error
// is returned.
func (s *Service) Insert(ctx context.Context, c *crmd.Caller, m *crmd.Module, entries []Entry) (*Written, error) {
	if err := Allowed(c, m, crmd.PermCreate); err != nil {
		return nil, err
	}
	users, err := s.st.UsersByID(ctx, c.Org.ID)
	if err != nil {
		return nil, err
	}
	out := make([]crmd.Result[*crmd.Record], len(entries))
	err = s.st.Tx(ctx, func(tx *store.Tx) error {
		var ch changes
		if err := s.insertIn(ctx, tx, c, m, entries, users, out, &ch); err != nil {
			return err
		}
		return ch.enqueue(ctx, s.st, tx, c.Org.ID, m.ID, s.st.NowMS())
	})
	if err != nil {
		return nil, err
	}
	return &Written{Results: out, Users: users}, nil
}

// insertIn validates entries and inserts the good ones inside tx, writing each entry's result to out
// (by position) and the new ids to ch.
func (s *Service) insertIn(ctx context.Context, tx *store.Tx, c *crmd.Caller, m *crmd.Module, entries []Entry, users map[crmd.ID]*crmd.User, out []crmd.Result[*crmd.Record], ch *changes) error {
	drafts := make([]*draft, len(entries))
	for i, e := range entries {
		d, perr := parseEntry(m, e.Pos, e.Values, true, users)
		if perr != nil {
			out[i].Err = perr
			continue
		}
		drafts[i] = d
	}
	bad, err := s.resolveLookups(ctx, tx, c.Org.ID, drafts)
	if err != nil {
		return err
	}
	var ok []int
	for i, d := range drafts {
		if d == nil {
			continue
		}
		if e := bad[i]; e != nil {
			out[i].Err = e
			continue
		}
		ok = append(ok, i)
	}
	if len(ok) == 0 {
		return nil
	}
	// Entries with a NewID keep it (the sequence moves past it); the others take the next ids.
	ids := make([]crmd.ID, len(ok))
	alloc := 0
	for n, i := range ok {
		if id := entries[i].NewID; id != 0 {
			if err := s.st.ReserveID(ctx, tx, c.Org.ID, id); err != nil {
				return err
			}
			ids[n] = id
		} else {
			alloc++
		}
	}
	if alloc > 0 {
		first, err := s.st.AllocIDs(ctx, tx, c.Org.ID, alloc)
		if err != nil {
			return err
		}
		for n := range ids {
			if ids[n] == 0 {
				ids[n] = first
				first++
			}
		}
	}
	now := s.st.NowMS()
	autos := AutonumberFields(m)
	var firstAuto int64
	if len(autos) > 0 {
		if firstAuto, err = s.st.NextAutonumbers(ctx, tx, m.ID, len(ok)); err != nil {
			return err
		}
	}
	recs := make([]crmd.Record, 0, len(ok))
	for n, i := range ok {
		d := drafts[i]
		data := map[string]any{}
		applyDraft(m, data, d)
		for _, f := range autos {
			// Zoho numbers records of a module 1, 2, 3 … and shows the number as text.
			data[f.APIName] = strconv.FormatInt(firstAuto+int64(n), 10)
		}
		b, err := json.Marshal(data)
		if err != nil {
			return err
		}
		owner := d.owner
		if owner == 0 {
			owner = c.User.ID
		}
		approval := d.approval
		if approval == "" {
			approval = "approved"
		}
		recs = append(recs, crmd.Record{
			ID: ids[n], OrgID: c.Org.ID, ModuleID: m.ID, OwnerID: owner,
			CreatedBy: c.User.ID, ModifiedBy: c.User.ID, CreatedTime: now, ModifiedTime: now,
			ApprovalState: approval, DisplayName: displayName(m, data), Data: b,
		})
	}
	if err := s.st.InsertRecords(ctx, tx, recs); err != nil {
		return err
	}
	for n, i := range ok {
		out[i] = crmd.Result[*crmd.Record]{Value: &recs[n]}
	}
	ch.insert(ids...)
	return nil
}

// Update changes records (PUT /{module}, PUT /{module}/{id}): each entry names its record in ID. Only
// the fields an entry gives change; mandatory fields need not be given but cannot be cleared. Standard
// users may update only the records they own. An entry's field errors are reported after its record's
// checks (unknown, not the caller's). All successful updates of the request commit in one transaction;
// an entry naming a record an earlier entry changed sees that change.
func (s *Service) Update(ctx context.Context, c *crmd.Caller, m *crmd.Module, entries []Entry) (*Written, error) {
	if err := Allowed(c, m, crmd.PermEdit); err != nil {
		return nil, err
	}
	users, err := s.st.UsersByID(ctx, c.Org.ID)
	if err != nil {
		return nil, err
	}
	out := make([]crmd.Result[*crmd.Record], len(entries))
	err = s.st.Tx(ctx, func(tx *store.Tx) error {
		var ch changes
		if err := s.updateIn(ctx, tx, c, m, entries, users, out, &ch); err != nil {
			return err
		}
		return ch.enqueue(ctx, s.st, tx, c.Org.ID, m.ID, s.st.NowMS())
	})
	if err != nil {
		return nil, err
	}
	return &Written{Results: out, Users: users}, nil
}

// updateIn validates entries and applies the good ones inside tx, writing each entry's result to out
// (by position) and what changed to ch.
func (s *Service) updateIn(ctx context.Context, tx *store.Tx, c *crmd.Caller, m *crmd.Module, entries []Entry, users map[crmd.ID]*crmd.User, out []crmd.Result[*crmd.Record], ch *changes) error {
	drafts := make([]*draft, len(entries))
	var ids []crmd.ID
	for i, e := range entries {
		d, perr := parseEntry(m, e.Pos, e.Values, false, users)
		if perr != nil {
			if e.ID == 0 {
				out[i].Err = perr // not even an object, and no record named
				continue
			}
			d = &draft{idx: e.Pos, err: perr}
		}
		d.id = e.ID
		drafts[i] = d
		ids = append(ids, e.ID)
	}
	// Each entry merges its fields into the document it reads: the rows stay locked until the
	// merged documents are written, so a racing update or delete (another replica's) waits.
	if err := s.st.LockRecords(ctx, tx, c.Org.ID, ids); err != nil {
		return err
	}
	recs, err := s.st.RecordsByID(ctx, tx, c.Org.ID, m.ID, ids)
	if err != nil {
		return err
	}
	bad, err := s.resolveLookups(ctx, tx, c.Org.ID, drafts)
	if err != nil {
		return err
	}
	now := s.st.NowMS()
	var changed []*crmd.Record
	current := map[crmd.ID]*crmd.Record{} // the state after earlier entries of this request
	for i, d := range drafts {
		if d == nil {
			continue
		}
		rec := current[d.id]
		if rec == nil {
			rec = recs[d.id]
		}
		if rec == nil || rec.DeletedTime != 0 {
			out[i].Err = crmd.E("INVALID_DATA", crmd.MsgInvalidID, crmd.D{"id": d.id})
			continue
		}
		if !mayTouch(c, rec) {
			out[i].Err = crmd.E("NO_PERMISSION", crmd.MsgPermissionDenied, crmd.D{"id": d.id})
			continue
		}
		if d.err != nil {
			out[i].Err = d.err
			continue
		}
		if e := bad[i]; e != nil {
			out[i].Err = e
			continue
		}
		data, err := rec.Fields()
		if err != nil {
			return err
		}
		before := maps.Clone(data)
		applyDraft(m, data, d)
		b, err := json.Marshal(data)
		if err != nil {
			return err
		}
		next := *rec
		next.Data = b
		next.DisplayName = displayName(m, data)
		next.ModifiedBy = c.User.ID
		next.ModifiedTime = now
		if d.owner != 0 {
			next.OwnerID = d.owner
		}
		current[d.id] = &next
		changed = append(changed, &next)
		ch.update(d.id, before, data)
		if next.OwnerID != rec.OwnerID {
			// The owner is a column, not a field of the document: its change is told as Zoho's Owner.
			ch.update(d.id, map[string]any{"Owner": map[string]any{"id": rec.OwnerID.String()}},
				map[string]any{"Owner": map[string]any{"id": next.OwnerID.String()}})
		}
		out[i] = crmd.Result[*crmd.Record]{Value: &next}
	}
	return s.st.UpdateRecords(ctx, tx, changed)
}

// Delete moves the records with the given ids (at most MaxDelete; an id named twice is answered twice,
// the second time as already deleted) to the recycle bin: the soft
// delete of D7/D28, in one transaction for the whole request. Per id: an unknown, foreign or already
// deleted id is INVALID_DATA `record not deleted`; a record the caller may not touch (a Standard user
// who does not own it) NO_PERMISSION; an unapproved record NOT_APPROVED. A result's value is its id.
func (s *Service) Delete(ctx context.Context, c *crmd.Caller, m *crmd.Module, ids []crmd.ID) ([]crmd.Result[crmd.ID], error) {
	if err := Allowed(c, m, crmd.PermDelete); err != nil {
		return nil, err
	}
	// The HTTP layer refuses more while it reads the ids; any other caller meets the same bound, which
	// keeps one request's transaction short.
	if len(ids) > MaxDelete {
		return nil, crmd.E("LIMIT_EXCEEDED", "limit exceeded", crmd.D{"limit": MaxDelete, "param_name": "ids"})
	}
	owner := crmd.ID(0)
	if !c.User.Profile.IsAdmin() {
		owner = c.User.ID // a Standard user deletes only their own records
	}
	var verdicts []Verdict
	err := s.st.Tx(ctx, func(tx *store.Tx) error {
		var err error
		verdicts, err = SoftDelete(ctx, s.st, tx, Deletion{OrgID: c.Org.ID, ModuleID: m.ID, IDs: ids, By: c.User.ID,
			Via: store.ViaRecord, At: s.st.NowMS(), OwnedBy: owner})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]crmd.Result[crmd.ID], len(ids))
	for i, id := range ids {
		switch verdicts[i] {
		case NotLive:
			out[i].Err = crmd.E("INVALID_DATA", "record not deleted", crmd.D{"id": id})
		case NotOwned:
			out[i].Err = crmd.E("NO_PERMISSION", crmd.MsgPermissionDenied, crmd.D{"id": id})
		case NotApproved:
			out[i].Err = crmd.E("NOT_APPROVED", "cannot delete record that is not approved yet", crmd.D{"id": id})
		default:
			out[i].Value = id
		}
	}
	return out, nil
}

// AutonumberFields are the module's fields crmd numbers on insert (Case_Number, Solution_Number, …),
// from the module's counter (store.NextAutonumbers).
func AutonumberFields(m *crmd.Module) []*crmd.Field {
	var out []*crmd.Field
	for _, f := range m.Fields {
		if f.DataType == crmd.TypeAutonumber {
			out = append(out, f)
		}
	}
	return out
}
