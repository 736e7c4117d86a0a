package crmd

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Record is one record of a module of an org. The system fields (owner, creator, times, approval,
// deletion) are fields of the struct; Data holds every other field of the module as a JSON object,
// already validated and coerced by package records.
//
// Data values are stored the way package records writes them, and anyone writing rows directly (the
// seeder) must do the same: text-like and picklist values as JSON strings, integers as JSON numbers,
// bigints as decimal strings, doubles/currencies/percents as JSON numbers, booleans as JSON booleans,
// dates as "2006-01-02", datetimes as TimeLayout strings, multi-select picklists as arrays of
// strings and lookups as {"id":"<decimal id>","name":"<display name of the target>"}.
type Record struct {
	ID            ID
	OrgID         ID
	ModuleID      ID
	OwnerID       ID
	CreatedBy     ID
	ModifiedBy    ID
	CreatedTime   int64  // Unix ms
	ModifiedTime  int64  // Unix ms
	ApprovalState string // "approved" unless an approval/review process holds the record
	DisplayName   string // the module's display field (Full_Name, Account_Name, …), kept for the recycle bin
	Data          []byte // JSON object
	DeletedTime   int64  // 0 = live; else in the recycle bin (or purged)
	DeletedBy     ID     // 0 when live
	DeleteJobID   ID     // the mass delete job that deleted it, 0 otherwise
	PurgedTime    int64  // 0 = not purged
}

// Approved reports whether the record counts as approved (deletable, listed by default).
func (r *Record) Approved() bool { return r.ApprovalState == "approved" }

// RecordTerritory is one assignment of a record to a territory, with the territory's name.
type RecordTerritory struct {
	RecordID     ID
	TerritoryID  ID
	Name         string
	AssignedBy   ID
	AssignedTime int64 // Unix ms
}

// Fields decodes the record's data document, keeping numbers as json.Number so that big integers and
// decimals survive the round trip; an empty document is an empty map.
func (r *Record) Fields() (map[string]any, error) {
	out := map[string]any{}
	if len(bytes.TrimSpace(r.Data)) == 0 {
		return out, nil
	}
	dec := json.NewDecoder(bytes.NewReader(r.Data))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("record %s data: %w", r.ID, err)
	}
	if out == nil {
		out = map[string]any{}
	}
	return out, nil
}
