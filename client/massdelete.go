package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Job statuses of Mass Delete Records. SCHEDULED appears in v2/v2.1 only, before the job starts.
// CANCELLED is crmd's: a job stopped by CancelJob, which crmd's status endpoint reports in every
// version (Zoho has no cancel).
const (
	JobScheduled = "SCHEDULED"
	JobRunning   = "RUNNING"
	JobCompleted = "COMPLETED"
	JobFailed    = "FAILED"
	JobCancelled = "CANCELLED"
)

// MassDeleteIDs deletes up to 500 records of a module at once: POST
// /crm/{version}/{module}/actions/mass_delete with {"ids":[…]}. One Result per distinct id, in
// first-seen order ("record is deleted", or INVALID_DATA / NOT_APPROVED / NO_PERMISSION for that id);
// the answer is 200 when all were deleted, 207 when mixed, 400 when none (v2/v2.1: always 200).
func (c *Client) MassDeleteIDs(ctx context.Context, module string, ids []string) (Results, error) {
	return c.massDeleteIDs(ctx, module, map[string]any{"ids": ids})
}

// MassDeleteIDsIn is MassDeleteIDs with a territory guard: ids outside the territory (and, with
// IncludeChild, its subtree) are not deleted and get INVALID_DATA.
func (c *Client) MassDeleteIDsIn(ctx context.Context, module string, ids []string, territory MassDeleteTerritory) (Results, error) {
	return c.massDeleteIDs(ctx, module, map[string]any{"ids": ids, "territory": territory})
}

func (c *Client) massDeleteIDs(ctx context.Context, module string, body map[string]any) (Results, error) {
	return c.items(ctx, http.MethodPost, "/"+pathEscape(module)+"/actions/mass_delete", nil, body, "data")
}

// MassDeleteTerritory restricts a mass delete by custom view to the records of a territory, and with
// IncludeChild to those of its whole subtree.
type MassDeleteTerritory struct {
	ID           string `json:"id"`
	IncludeChild bool   `json:"include_child"`
}

// MassDeleteCVID schedules the deletion of every record a custom view selects (within territory when
// it is not nil) as a background job: POST /crm/{version}/{module}/actions/mass_delete with
// {"cvid":…[,"territory":{…}]}. It returns the job id, for MassDeleteStatus and Wait. An empty
// selection is an *Error NO_RECORDS_FOUND; a job already running for the org, ALREADY_SCHEDULED.
func (c *Client) MassDeleteCVID(ctx context.Context, module, cvid string, territory *MassDeleteTerritory) (string, error) {
	body := map[string]any{"cvid": cvid}
	if territory != nil {
		body["territory"] = territory
	}
	r, err := single(c.massDeleteIDs(ctx, module, body))
	if err != nil {
		return "", err
	}
	job := detailString(r.Details, "job_id")
	if job == "" {
		return "", fmt.Errorf("client: mass delete answered %s %q without a job_id", r.Code, r.Message)
	}
	return job, nil
}

// JobStatus is a mass delete job's status.
type JobStatus struct {
	// Status is SCHEDULED, RUNNING, COMPLETED or FAILED (or crmd's CANCELLED).
	Status string `json:"Status"`
	// TotalCount is the number of records the job took on; once COMPLETED it is DeletedCount +
	// FailedCount.
	TotalCount   int `json:"Total_Count"`
	DeletedCount int `json:"Deleted_Count"`
	FailedCount  int `json:"Failed_Count"`
}

// Done reports whether the job has ended: COMPLETED, FAILED or CANCELLED.
func (s *JobStatus) Done() bool {
	return s.Status == JobCompleted || s.Status == JobFailed || s.Status == JobCancelled
}

// MassDeleteStatus reads a mass delete job's status: GET
// /crm/{version}/{module}/actions/mass_delete?job_id=…. An unknown job is an *Error (INVALID_DATA from
// v3, NOT_FOUND in v2/v2.1).
func (c *Client) MassDeleteStatus(ctx context.Context, module, jobID string) (*JobStatus, error) {
	var env struct {
		Data []JobStatus `json:"data"`
	}
	ok, err := c.get(ctx, "/"+pathEscape(module)+"/actions/mass_delete", url.Values{"job_id": {jobID}}, &env)
	if err != nil {
		return nil, err
	}
	if !ok || len(env.Data) == 0 {
		return nil, errors.New("client: mass delete status answered no job")
	}
	return &env.Data[0], nil
}

// WaitOptions tune Wait's polling.
type WaitOptions struct {
	// MinInterval is the first pause between two polls (default 250 ms).
	MinInterval time.Duration
	// MaxInterval caps the pause (default 10 s).
	MaxInterval time.Duration
	// Multiplier grows the pause after each poll that found the job still running (default 2).
	Multiplier float64
	// OnPoll, when set, sees every status read, for progress reports.
	OnPoll func(*JobStatus)
}

// Default polling of Wait.
const (
	DefaultWaitMin        = 250 * time.Millisecond
	DefaultWaitMax        = 10 * time.Second
	DefaultWaitMultiplier = 2.0
)

// ErrJobFailed is what Wait returns (wrapped, beside the status) for a job that ended FAILED.
var ErrJobFailed = errors.New("client: mass delete job FAILED")

// ErrJobCancelled is what Wait returns (wrapped, beside the status) for a job that ended CANCELLED
// (crmd's CancelJob): the records of the batches before the cancel are deleted, the others are not.
var ErrJobCancelled = errors.New("client: mass delete job CANCELLED")

// backoff yields the pauses between polls: MinInterval, then ×Multiplier each time, at most
// MaxInterval.
type backoff struct {
	next, max time.Duration
	mult      float64
}

func newBackoff(o WaitOptions) *backoff {
	b := &backoff{next: o.MinInterval, max: o.MaxInterval, mult: o.Multiplier}
	if b.next <= 0 {
		b.next = DefaultWaitMin
	}
	if b.max <= 0 {
		b.max = DefaultWaitMax
	}
	if b.max < b.next {
		b.max = b.next
	}
	if b.mult < 1 {
		b.mult = DefaultWaitMultiplier
	}
	return b
}

// pause returns the next pause and grows the one after it.
func (b *backoff) pause() time.Duration {
	d := b.next
	b.next = min(time.Duration(float64(b.next)*b.mult), b.max)
	return d
}

// Wait polls a mass delete job's status (MassDeleteStatus) until it is COMPLETED or FAILED (or
// CANCELLED, on crmd), pausing with exponential backoff between polls, and returns the last status. A
// FAILED job returns its status and an error wrapping ErrJobFailed, a CANCELLED one an error wrapping
// ErrJobCancelled; a done ctx, the last status read (nil if none) and ctx's error. opts may be nil.
func (c *Client) Wait(ctx context.Context, module, jobID string, opts *WaitOptions) (*JobStatus, error) {
	var o WaitOptions
	if opts != nil {
		o = *opts
	}
	b := newBackoff(o)
	var last *JobStatus
	for {
		st, err := c.MassDeleteStatus(ctx, module, jobID)
		if err != nil {
			if ctx.Err() != nil {
				return last, ctx.Err()
			}
			return last, err
		}
		last = st
		if o.OnPoll != nil {
			o.OnPoll(st)
		}
		switch st.Status {
		case JobCompleted:
			return st, nil
		case JobFailed:
			return st, fmt.Errorf("%w: job %s: %d of %d records deleted", ErrJobFailed, jobID, st.DeletedCount, st.TotalCount)
		case JobCancelled:
			return st, fmt.Errorf("%w: job %s: %d of %d records deleted", ErrJobCancelled, jobID, st.DeletedCount, st.TotalCount)
		}
		if err := sleep(ctx, b.pause()); err != nil {
			return last, err
		}
	}
}
