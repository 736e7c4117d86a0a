package store

import "github.com/crmd/crmd"

// Record is one row of the records table. Data holds the module's non-system fields as a JSON object
// (already validated and coerced by package records); the system fields have columns of their own.
type Record struct {
	ID            crmd.ID
	OrgID         crmd.ID
	ModuleID      crmd.ID
	OwnerID       crmd.ID
	CreatedBy     crmd.ID
	ModifiedBy    crmd.ID
	CreatedTime   int64   // Unix ms
	ModifiedTime  int64   // Unix ms
	ApprovalState string  // "approved" unless an approval/review process holds the record
	DisplayName   string  // the module's display field (Full_Name, Account_Name, …), kept for the recycle bin
	Data          []byte  // JSON object
	DeletedTime   int64   // 0 = live; else in the recycle bin (or purged)
	DeletedBy     crmd.ID // 0 when live
	DeleteJobID   crmd.ID // the mass delete job that deleted it, 0 otherwise
	PurgedTime    int64   // 0 = not purged
}

// Approved reports whether the record counts as approved (deletable, listed by default).
func (r *Record) Approved() bool { return r.ApprovalState == "approved" }
