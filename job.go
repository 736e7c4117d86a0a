package crmd

// Mass delete job statuses, as stored. The HTTP layer decides what each API version shows (D17).
const (
	JobScheduled = "SCHEDULED"
	JobRunning   = "RUNNING"
	JobCompleted = "COMPLETED"
	JobFailed    = "FAILED"
)

// Job is one mass delete job (a cvid mass delete): what it deletes, its counters and its lease.
type Job struct {
	ID           ID
	OrgID        ID
	ModuleID     ID
	CVID         ID
	TerritoryID  ID // 0 = none
	IncludeChild bool
	LockKey      string
	Status       string
	TotalCount   int64
	DeletedCount int64
	FailedCount  int64
	Cursor       int64 // seq of the next snapshot item to process
	LeaseOwner   string
	LeaseUntil   int64 // Unix ms; 0 = no lease
	CreatedBy    ID
	CreatedTime  int64
}
