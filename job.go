package crmd

// Job statuses, as stored. The HTTP layer decides what each API version shows (D17).
const (
	// JobPreparing: the job holds its lock while its snapshot is written; clients never see it.
	JobPreparing = "PREPARING"
	JobScheduled = "SCHEDULED"
	JobRunning   = "RUNNING"
	JobCompleted = "COMPLETED"
	JobFailed    = "FAILED"
	// JobCancelled: stopped between two batches at someone's request; its counts say what was done.
	JobCancelled = "CANCELLED"
)

// Job kinds: which work a job does to the records of its snapshot.
const (
	JobMassDelete = "mass_delete" // soft-delete (a cvid mass delete)
	JobUndo       = "undo"        // restore what a mass delete job deleted (Target holds that job's id)
	JobBinRestore = "restore"     // restore from the recycle bin (by filter, or everything)
	JobBinDelete  = "purge"       // delete for good from the recycle bin (by filter)
	JobBinEmpty   = "empty"       // delete for good a whole recycle bin of more than 1,000 records
	JobIndexBuild = "index"       // fill the side index of one field of a module (SQLite; docs/jobs.md)
	// The recycle bin's retention (Target holds the cut-off time, Unix ms):
	JobRetentionPurge = "retention_purge" // delete for good the bin's records deleted before the cut-off
	JobRetentionDrop  = "retention_drop"  // remove the purged rows purged before the cut-off
)

// Job is one background job: the records of its snapshot, processed in batches, with its counters and
// its lease. DeletedCount counts the records the work succeeded on (deleted, restored or purged),
// FailedCount those it could not do; the two add up to Cursor.
type Job struct {
	ID              ID
	Kind            string
	OrgID           ID
	ModuleID        ID     // 0 for the recycle bin's jobs, which span modules
	Target          string // what the job works on beyond its module: an index job.s field, a retention job's cut-off
	CVID            ID
	TerritoryID     ID // 0 = none
	IncludeChild    bool
	LockKey         string
	Status          string
	TotalCount      int64
	DeletedCount    int64
	FailedCount     int64
	Cursor          int64 // seq of the next snapshot item to process
	CancelRequested bool
	LeaseOwner      string
	LeaseUntil      int64 // Unix ms; 0 = no lease
	CreatedBy       ID
	CreatedTime     int64
	StartedTime     int64  // Unix ms; 0 = not started
	FinishedTime    int64  // Unix ms; 0 = not finished
	Error           string // why a FAILED job failed
}

// JobKinds are every kind of job, in the order crmd's API documents them.
var JobKinds = []string{JobMassDelete, JobUndo, JobBinRestore, JobBinDelete, JobBinEmpty, JobIndexBuild, JobRetentionPurge, JobRetentionDrop}

// Finished reports whether the job has ended (COMPLETED, FAILED or CANCELLED).
func (j *Job) Finished() bool {
	return j.Status == JobCompleted || j.Status == JobFailed || j.Status == JobCancelled
}
