package records

import (
	"context"
	"fmt"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/criteria"
	"github.com/crmd/crmd/store"
)

// Upsert actions, as each entry of POST /{module}/upsert reports them.
const (
	ActionInsert = "insert"
	ActionUpdate = "update"
)

// systemDuplicateFields are Zoho's system-defined duplicate check fields (docs/records.md#upsert):
// what an upsert compares when the request names no duplicate_check_fields. Every custom module uses
// its Name field; the modules not listed (activities, Notes, Services, Appointments) have none, so
// their upserts insert.
var systemDuplicateFields = map[string]string{
	"Leads": "Email", "Contacts": "Email", "Accounts": "Account_Name", "Deals": "Deal_Name",
	"Campaigns": "Campaign_Name", "Cases": "Subject", "Solutions": "Solution_Title", "Products": "Product_Name",
	"Vendors": "Vendor_Name", "Price_Books": "Price_Book_Name", "Quotes": "Subject", "Sales_Orders": "Subject",
	"Purchase_Orders": "Subject", "Invoices": "Subject",
}

// DefaultDuplicateFields are the fields an upsert on m compares when the request names none.
func DefaultDuplicateFields(m *crmd.Module) []string {
	if m.IsCustom() {
		if m.Field("Name") != nil {
			return []string{"Name"}
		}
		return nil
	}
	if f, ok := systemDuplicateFields[m.APIName]; ok && m.Field(f) != nil {
		return []string{f}
	}
	return nil
}

// duplicateCheckable says whether f's values can identify a record: a single value compared for
// equality (not a multi-select, a checkbox or a read-only field).
func duplicateCheckable(f *crmd.Field) bool {
	if f.ReadOnly || f.System {
		return false
	}
	switch f.DataType {
	case crmd.TypeMultiSelect, crmd.TypeBoolean:
		return false
	}
	switch f.DataType {
	case crmd.TypePicklist, crmd.TypeLookup, crmd.TypeInteger, crmd.TypeBigint, crmd.TypeDouble, crmd.TypeCurrency,
		crmd.TypePercent, crmd.TypeDate, crmd.TypeDatetime:
		return true
	}
	return criteria.TextLike(f)
}

// CheckDuplicateFields validates the duplicate_check_fields of a request: fields of m that can identify
// a record, each named once. The error names the position in the request.
func CheckDuplicateFields(m *crmd.Module, names []string) *crmd.Error {
	seen := map[string]bool{}
	for i, n := range names {
		f := m.Field(n)
		if f == nil || !duplicateCheckable(f) || seen[f.APIName] {
			return crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"api_name": "duplicate_check_fields",
				"json_path": fmt.Sprintf("$.duplicate_check_fields[%d]", i)})
		}
		seen[f.APIName] = true
	}
	return nil
}

// Upserted is the answer of an upsert: one result per entry, in order, with what was done to each
// (ActionInsert or ActionUpdate; "" for an entry that failed before it was decided) and, on update, the
// duplicate check field that found the record.
type Upserted struct {
	Written
	Actions   []string
	DupFields []string
}

// Upsert inserts or updates records (POST /{module}/upsert). Each entry, in order, is compared on the
// duplicate check fields (dupFields, or the module's defaults when nil) one after the other: the first
// field the entry gives a value for that equals a live record's (text compared without ASCII case)
// makes the entry an update of that record (of the oldest, when several match); when none matches the
// entry is inserted. An entry sees the records earlier entries of the request inserted or changed.
// Inserting needs the create permission and updating the edit permission of the caller's profile; a
// Standard user updates only their own records. All entries' writes commit in one transaction, and
// concurrent upserts of the module wait for each other so that two never insert the same new value.
func (s *Service) Upsert(ctx context.Context, c *crmd.Caller, m *crmd.Module, entries []Entry, dupFields []string) (*Upserted, error) {
	canCreate, canEdit := Allowed(c, m, crmd.PermCreate), Allowed(c, m, crmd.PermEdit)
	if canCreate != nil && canEdit != nil {
		return nil, canCreate
	}
	if dupFields == nil {
		dupFields = DefaultDuplicateFields(m)
	} else if e := CheckDuplicateFields(m, dupFields); e != nil {
		return nil, e
	}
	// Each entry looks its duplicate up by these fields: they get the index a view's criteria would,
	// so that an upsert does not scan the module once per entry.
	indexed := make([]*crmd.Field, 0, len(dupFields))
	for _, name := range dupFields {
		indexed = append(indexed, m.Field(name))
	}
	if err := s.views.IndexFields(ctx, c, m, indexed); err != nil {
		return nil, err
	}
	users, err := s.st.UsersByID(ctx, c.Org.ID)
	if err != nil {
		return nil, err
	}
	n := len(entries)
	res := &Upserted{Written: Written{Results: make([]crmd.Result[*crmd.Record], n), Users: users},
		Actions: make([]string, n), DupFields: make([]string, n)}
	env := s.views.Env(c)
	err = s.st.Tx(ctx, func(tx *store.Tx) error {
		if err := s.st.LockUpserts(ctx, tx, m.ID); err != nil {
			return err
		}
		var ch changes
		for i, e := range entries {
			if e.Values == nil {
				res.Results[i].Err = crmd.E("INVALID_DATA", crmd.MsgInvalidData,
					crmd.D{"json_path": fmt.Sprintf("$.data[%d]", e.Pos), "expected_data_type": "jsonobject"})
				continue
			}
			target, field, ferr, err := s.findDuplicate(ctx, tx, c, m, e, dupFields, env)
			if err != nil {
				return err
			}
			if ferr != nil {
				res.Results[i].Err = ferr
				continue
			}
			one := res.Results[i : i+1]
			if target == 0 {
				if canCreate != nil {
					one[0].Err = crmd.E("NO_PERMISSION", crmd.MsgPermissionDenied, crmd.D{"permissions": []string{"Crm_Implied_Create_" + m.APIName}})
					continue
				}
				res.Actions[i] = ActionInsert
				if err := s.insertIn(ctx, tx, c, m, []Entry{e}, users, one, &ch); err != nil {
					return err
				}
				continue
			}
			if canEdit != nil {
				one[0].Err = crmd.E("NO_PERMISSION", crmd.MsgPermissionDenied, crmd.D{"id": target})
				continue
			}
			res.Actions[i], res.DupFields[i] = ActionUpdate, field
			e.ID = target
			if err := s.updateIn(ctx, tx, c, m, []Entry{e}, users, one, &ch); err != nil {
				return err
			}
		}
		return ch.enqueue(ctx, s.st, tx, c.Org.ID, m.ID, s.st.NowMS())
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// findDuplicate looks, inside tx, for the live record an entry duplicates: on each field in turn that
// the entry gives a value for, the oldest record with that value. It returns the record's id and the
// field (0 and "" when none matches), or the entry's error when a compared value is malformed.
func (s *Service) findDuplicate(ctx context.Context, tx *store.Tx, c *crmd.Caller, m *crmd.Module, e Entry, fields []string, env criteria.Env) (crmd.ID, string, *crmd.Error, error) {
	for _, name := range fields {
		f := m.Field(name)
		raw, given := e.Values[name]
		if f == nil || !given || raw == nil || raw == "" {
			continue
		}
		v, cerr := Coerce(f, raw)
		if cerr != nil {
			return 0, "", withPath(cerr, e.Pos, name), nil
		}
		if f.DataType == crmd.TypeLookup {
			v = v.(crmd.ID).String()
		}
		node, err := criteria.ParseAt(map[string]any{"field": name, "comparator": criteria.Equal, "value": v}, m, "$.data")
		if err != nil {
			// The coerced value is one the criteria cannot compare (a stored form they do not read):
			// it identifies no record.
			if _, ok := crmd.AsError(err); ok {
				continue
			}
			return 0, "", nil, err
		}
		ids, err := s.st.MatchRecordIDs(ctx, tx, store.RecordQuery{OrgID: c.Org.ID, ModuleID: m.ID, Approval: store.ApprovedBoth,
			Filter: store.RecordFilter{Match: &store.CriteriaFilter{Criteria: node, Env: env, ModuleID: m.ID}}, Limit: 1})
		if err != nil {
			return 0, "", nil, err
		}
		if len(ids) > 0 {
			return ids[0], name, nil, nil
		}
	}
	return 0, "", nil, nil
}
