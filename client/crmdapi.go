package client

// crmd's own API, /crmd/v1 (docs/crmd-api.md in crmd): what Zoho has no call for. A preview of a mass
// delete, the history of every background job, cancel, undo, a job's live progress stream and the
// audit trail of deletions, restores and purges. It is served beside Zoho's API by crmd only, on the
// same host, with the same tokens and Zoho's error envelope; https://www.zohoapis.com answers these
// paths with an error. Each call needs the scope of the Zoho operation it stands for (a mass delete
// scope for mass delete and undo jobs, the recycle bin's for the bin's jobs).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Kinds of crmd jobs (Job.Kind, JobsQuery.Kind).
const (
	JobKindMassDelete     = "mass_delete"     // a mass delete by custom view
	JobKindUndo           = "undo"            // the undo of a mass delete job
	JobKindRestore        = "restore"         // the recycle bin's restore by a filter, or of everything
	JobKindPurge          = "purge"           // the recycle bin's permanent delete by a filter
	JobKindEmpty          = "empty"           // emptying a recycle bin of more than 1,000 records
	JobKindIndex          = "index"           // building a field index
	JobKindRetentionPurge = "retention_purge" // the recycle bin's retention
	JobKindRetentionDrop  = "retention_drop"  // the recycle bin's retention
)

// UserRef is a user as crmd's API names one: {"id","name"}.
type UserRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// JobTerritory is the territory a mass delete job was limited to.
type JobTerritory struct {
	ID           string `json:"id"`
	IncludeChild bool   `json:"include_child"`
}

// Job is a background job of crmd: a mass delete by view, its undo, the recycle bin's bulk work, an
// index build or the bin's retention. The string keys crmd sends as null (Module for jobs that span
// modules, CVID for other kinds than mass_delete, Error, UndoOf, UndoneBy) are "".
type Job struct {
	ID string `json:"id"`
	// Kind is one of the JobKind constants.
	Kind string `json:"kind"`
	// Module is the module's API name; "" for the recycle bin's and retention jobs.
	Module string `json:"module"`
	// Status is SCHEDULED, RUNNING, COMPLETED, FAILED or CANCELLED.
	Status string `json:"status"`
	// Total is the records of the job's snapshot; Processed how many of them it has worked through,
	// Succeeded + Failed. Succeeded counts records deleted (mass delete), restored (undo, restore) or
	// purged; Failed those it could not do (unapproved, or changed by someone else meanwhile; for a
	// FAILED job, also what it never reached).
	Total     int `json:"total"`
	Processed int `json:"processed"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	// Progress is Processed / Total in percent (100 for a finished job of no records).
	Progress int `json:"progress"`
	// CreatedBy is nil for the system's jobs (retention).
	CreatedBy   *UserRef  `json:"created_by"`
	CreatedTime time.Time `json:"created_time"`
	// StartedTime and FinishedTime are nil until the job starts, ends.
	StartedTime  *time.Time `json:"started_time"`
	FinishedTime *time.Time `json:"finished_time"`
	// CVID and Territory are the selection of a mass delete job (Territory nil without one).
	CVID      string        `json:"cvid"`
	Territory *JobTerritory `json:"territory"`
	// Error is why a FAILED job failed.
	Error string `json:"error"`
	// CancelRequested: a cancel was asked for and the running job has not stopped yet (it does at its
	// next batch boundary).
	CancelRequested bool `json:"cancel_requested"`
	// UndoOf is, for an undo job, the mass delete job it undoes; UndoneBy, for a mass delete job, its
	// undo job once there is one.
	UndoOf   string `json:"undo_of"`
	UndoneBy string `json:"undone_by"`
}

// Done reports whether the job has ended: COMPLETED, FAILED or CANCELLED.
func (j *Job) Done() bool {
	return j.Status == JobCompleted || j.Status == JobFailed || j.Status == JobCancelled
}

// Outcomes of a mass delete preview (Preview.Outcome): what the real call would answer as a whole.
const (
	OutcomeDelete           = "DELETE"            // ids: at least one record deleted
	OutcomeNothingDeleted   = "NOTHING_DELETED"   // ids: none deleted
	OutcomeSchedule         = "SCHEDULE"          // cvid: a job is scheduled
	OutcomeAlreadyScheduled = "ALREADY_SCHEDULED" // cvid: Preview.RunningJob holds the org's lock
	OutcomeLimitExceeded    = "LIMIT_EXCEEDED"    // cvid: the view selects more than Preview.Limit
	OutcomeNoRecordsFound   = "NO_RECORDS_FOUND"  // cvid: the view selects nothing
)

// Preview is what a mass delete would do now (crmd's preview): the numbers the real call then answers,
// while nothing is deleted, locked or written.
type Preview struct {
	Module string `json:"module"`
	// Selection is "ids" or "cvid".
	Selection string `json:"selection"`
	// Total is the distinct ids asked for, or the live records the view (∩ territory) selects: the
	// job's Total_Count, also when over the limit.
	Total int `json:"total"`
	// Deletable is what the real call would delete (the job's Deleted_Count); Unapproved the records
	// an approval process holds (NOT_APPROVED, or the job's Failed_Count); Invalid the ids the real
	// call answers INVALID_DATA (0 for a view).
	Deletable  int `json:"deletable"`
	Unapproved int `json:"unapproved"`
	Invalid    int `json:"invalid"`
	// Limit is the limit of this kind of call (500 ids, 50,000 view records); WithinLimit whether
	// Total is within it.
	Limit       int  `json:"limit"`
	WithinLimit bool `json:"within_limit"`
	// Sample is up to 10 records the call would delete: in the order of the ids, or by ascending id
	// for a view.
	Sample []PreviewRecord `json:"sample"`
	// RunningJob is the unfinished job that makes a view's call answer ALREADY_SCHEDULED now, else nil.
	RunningJob *Job `json:"running_job"`
	// Outcome is one of the Outcome constants.
	Outcome string `json:"outcome"`
	// Verdicts, for ids only, is one per distinct id in the order first given: "delete", or the code
	// the real call would give that id (NOT_APPROVED, INVALID_DATA).
	Verdicts []Verdict `json:"verdicts"`
}

// PreviewRecord is a record a mass delete would delete.
type PreviewRecord struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
}

// Verdict is what a mass delete by ids would do with one id.
type Verdict struct {
	ID string `json:"id"`
	// Verdict is "delete" or an error code (NOT_APPROVED, INVALID_DATA).
	Verdict string `json:"verdict"`
}

// PreviewMassDeleteIDs says what MassDeleteIDs would do with ids now: POST
// /crmd/v1/{module}/actions/mass_delete/preview with {"ids":[…]}. A body the real call refuses is
// refused with the same *Error.
func (c *Client) PreviewMassDeleteIDs(ctx context.Context, module string, ids []string) (*Preview, error) {
	return c.preview(ctx, module, map[string]any{"ids": ids})
}

// PreviewMassDeleteIDsIn is PreviewMassDeleteIDs for MassDeleteIDsIn: ids outside the territory are
// INVALID_DATA.
func (c *Client) PreviewMassDeleteIDsIn(ctx context.Context, module string, ids []string, territory MassDeleteTerritory) (*Preview, error) {
	return c.preview(ctx, module, map[string]any{"ids": ids, "territory": territory})
}

// PreviewMassDeleteView says what MassDeleteCVID would do now with the view (within territory when it
// is not nil): POST /crmd/v1/{module}/actions/mass_delete/preview with {"cvid":…}. An empty view, one
// over the limit or an org whose job is still running are not errors here but the Outcome
// NO_RECORDS_FOUND, LIMIT_EXCEEDED, ALREADY_SCHEDULED.
func (c *Client) PreviewMassDeleteView(ctx context.Context, module, cvid string, territory *MassDeleteTerritory) (*Preview, error) {
	body := map[string]any{"cvid": cvid}
	if territory != nil {
		body["territory"] = territory
	}
	return c.preview(ctx, module, body)
}

func (c *Client) preview(ctx context.Context, module string, body map[string]any) (*Preview, error) {
	resp, err := c.do(ctx, request{own: true, method: http.MethodPost, path: "/" + pathEscape(module) + "/actions/mass_delete/preview", body: body})
	if err != nil {
		return nil, err
	}
	var env struct {
		Preview *Preview `json:"preview"`
	}
	if err := resp.decode(&env); err != nil {
		return nil, err
	}
	if env.Preview == nil {
		return nil, fmt.Errorf("client: a %d preview answer without a preview", resp.status)
	}
	return env.Preview, nil
}

// JobsQuery filters and pages the job history. Zero values are left out.
type JobsQuery struct {
	// Kind is a JobKind constant; Status a job status; Module a module's API name.
	Kind, Status, Module string
	// Page counts from 1; PerPage is 1–200 (crmd's default 200).
	Page, PerPage int
}

// Jobs lists the org's jobs the token may read, newest first: GET /crmd/v1/jobs. It also reports
// whether there are more beyond this page. No match is an empty list (crmd's 204), not an error; an
// unknown kind, status or module is an *Error INVALID_DATA naming the parameter.
func (c *Client) Jobs(ctx context.Context, q JobsQuery) ([]Job, bool, error) {
	v := url.Values{}
	setNonEmpty(v, "kind", q.Kind)
	setNonEmpty(v, "status", q.Status)
	setNonEmpty(v, "module", q.Module)
	setPage(v, q.Page, q.PerPage)
	var env struct {
		Jobs []Job `json:"jobs"`
		Info Info  `json:"info"`
	}
	if _, err := c.ownGet(ctx, "/jobs", v, &env); err != nil {
		return nil, false, err
	}
	return env.Jobs, env.Info.MoreRecords, nil
}

// Job reads one job: GET /crmd/v1/jobs/{id}. An unknown id, another org's job or one the token may not
// read is an *Error NOT_FOUND.
func (c *Client) Job(ctx context.Context, id string) (*Job, error) {
	return c.jobCall(ctx, http.MethodGet, "/jobs/"+pathEscape(id))
}

// CancelJob cancels a job: POST /crmd/v1/jobs/{id}/actions/cancel, and returns it as it is right
// after the request. A SCHEDULED job ends CANCELLED at once; a RUNNING one shows CancelRequested and
// stops at its next batch boundary (the batches before stay done; watch it with WatchJob). A finished
// job, or an index or retention job, is an *Error NOT_ALLOWED; someone else's job, for anyone but an
// Administrator, NO_PERMISSION.
func (c *Client) CancelJob(ctx context.Context, id string) (*Job, error) {
	return c.jobCall(ctx, http.MethodPost, "/jobs/"+pathEscape(id)+"/actions/cancel")
}

// UndoJob schedules the undo of a finished mass delete job: POST /crmd/v1/jobs/{id}/actions/undo
// (202). It returns the undo job (Kind "undo", UndoOf id), which restores the records the job deleted
// that are still in the recycle bin from that deletion; follow it with WatchJob. A job that is not a
// finished mass delete, that was undone already or that deleted nothing is an *Error NOT_ALLOWED.
func (c *Client) UndoJob(ctx context.Context, id string) (*Job, error) {
	return c.jobCall(ctx, http.MethodPost, "/jobs/"+pathEscape(id)+"/actions/undo")
}

// jobCall sends a call of crmd's API that answers {"job":{…}}.
func (c *Client) jobCall(ctx context.Context, method, path string) (*Job, error) {
	resp, err := c.do(ctx, request{own: true, method: method, path: path})
	if err != nil {
		return nil, err
	}
	var env struct {
		Job *Job `json:"job"`
	}
	if err := resp.decode(&env); err != nil {
		return nil, err
	}
	if env.Job == nil {
		return nil, fmt.Errorf("client: %s %s answered %d without a job", method, path, resp.status)
	}
	return env.Job, nil
}

// How WatchJob follows a stream.
const (
	// watchIdle is how long a stream may stay silent before WatchJob takes the connection for dead and
	// reconnects: crmd sends a heartbeat every 15 s, so silence this long means a connection a NAT or
	// proxy dropped without a word.
	watchIdle = 45 * time.Second
	// watchRetryMin and watchRetryMax bound the pause before a reconnect, doubling from one to the
	// other while the server stays away.
	watchRetryMin = 250 * time.Millisecond
	watchRetryMax = 5 * time.Second
	// maxEvent bounds one line of the stream (a job object is well under a kilobyte).
	maxEvent = 1 << 20
)

// WatchJob follows a job's progress as crmd pushes it: GET /crmd/v1/jobs/{id}/events, a
// text/event-stream whose first event is the job as it is, then one per committed batch, then the
// finished job (COMPLETED, FAILED or CANCELLED), after which the server closes the stream. fn (which
// may be nil) sees each event's job in order; WatchJob returns the finished one. On a finished job
// fn is called once.
//
// An error answer when the stream is first opened (NOT_FOUND, a scope or token error) is returned as
// the usual *Error, and so is a failure to reach the server at all. Once the stream has opened, a
// stream that ends before the job has (the network, a restart of the server, a stream silent for 45 s)
// is opened again after a short pause, until ctx is done; an event that says no more than the last one
// fn saw (the first event of a new stream) is not passed on again. A 4xx answer to a reconnect ends
// the watch with that *Error. An error from fn ends the watch with that error. Whatever ends it, the
// returned job is the last one seen (nil if none).
//
// The stream is read without the HTTP client's overall timeout (Config.HTTPClient's Timeout), which
// would cut it in the middle; ctx bounds it.
func (c *Client) WatchJob(ctx context.Context, id string, fn func(Job) error) (*Job, error) {
	var last *Job
	opened := false
	pause := watchRetryMin
	req := request{own: true, method: http.MethodGet, path: "/jobs/" + pathEscape(id) + "/events", accept: "text/event-stream"}
	for {
		// crmd's first event is always the job as it is, so a reconnect needs no Last-Event-ID. Each
		// connection has a context of its own, which the idle watchdog cancels.
		conn, drop := context.WithCancel(ctx)
		hresp, err := c.open(conn, req)
		if err != nil {
			drop()
			if ctx.Err() != nil {
				return last, ctx.Err()
			}
			if !opened || !transient(err) {
				return last, err
			}
		} else {
			opened = true
			before := last
			done, err := readEvents(ctx, hresp, drop, &last, fn)
			drop()
			if done || err != nil {
				return last, err
			}
			if last != before {
				pause = watchRetryMin // the stream was of use: the next reconnect is quick again
			}
			if ctx.Err() != nil {
				return last, ctx.Err()
			}
		}
		if err := sleep(ctx, pause); err != nil {
			return last, err
		}
		pause = min(2*pause, watchRetryMax)
	}
}

// readEvents reads one open stream until it ends; drop cancels the connection's context. It reports
// done when the finished job arrived or fn failed (err then says why); false with a nil error asks for
// a reconnect.
func readEvents(ctx context.Context, hresp *http.Response, drop context.CancelFunc, last **Job, fn func(Job) error) (bool, error) {
	defer hresp.Body.Close()
	// A silent connection is dropped (its context cancelled) under the reader, whose read then fails.
	idle := time.AfterFunc(watchIdle, drop)
	defer idle.Stop()
	rd := bufio.NewReaderSize(hresp.Body, 4096)
	var data bytes.Buffer
	hasData := false
	for {
		line, err := readLine(rd)
		if errors.Is(err, errLineTooLong) {
			return true, err
		}
		if err != nil {
			// The end of the stream, a network failure, or the idle timer: an unfinished event is
			// dropped, as the SSE specification says.
			return false, nil
		}
		idle.Reset(watchIdle)
		if line == "" {
			if !hasData {
				continue
			}
			var j Job
			payload := data.Bytes()
			data.Reset()
			hasData = false
			if err := json.Unmarshal(payload, &j); err != nil {
				return true, fmt.Errorf("client: an event of job stream: %w", err)
			}
			if *last != nil && sameProgress(*last, &j) {
				continue
			}
			*last = &j
			if fn != nil {
				if err := fn(j); err != nil {
					return true, err
				}
			}
			if j.Done() {
				return true, nil
			}
			if ctx.Err() != nil {
				return true, ctx.Err()
			}
			continue
		}
		if line[0] == ':' {
			continue // a comment: the heartbeat
		}
		// Fields other than data (id, event, retry) tell nothing the job object does not.
		if field, value, _ := strings.Cut(line, ":"); field == "data" {
			if hasData {
				data.WriteByte('\n')
			}
			data.WriteString(strings.TrimPrefix(value, " "))
			hasData = true
		}
	}
}

// errLineTooLong is a line of an event stream longer than maxEvent: not a job event.
var errLineTooLong = errors.New("client: an event stream line is too long")

// readLine reads one line of an event stream without its end (\n, \r\n); a line longer than maxEvent
// is errLineTooLong.
func readLine(rd *bufio.Reader) (string, error) {
	var b []byte
	for {
		chunk, isPrefix, err := rd.ReadLine()
		if err != nil {
			return "", err
		}
		b = append(b, chunk...)
		if len(b) > maxEvent {
			return "", errLineTooLong
		}
		if !isPrefix {
			return string(b), nil
		}
	}
}

// sameProgress reports whether b says nothing that a did not: the same status, counts and cancel
// request.
func sameProgress(a, b *Job) bool {
	return a.ID == b.ID && a.Status == b.Status && a.Processed == b.Processed && a.Succeeded == b.Succeeded &&
		a.Failed == b.Failed && a.Total == b.Total && a.CancelRequested == b.CancelRequested
}

// transient reports whether reopening a stream may help: the server could not be reached, or answered
// with a server-side error or a rate limit.
func transient(err error) bool {
	var ue *url.Error
	if errors.As(err, &ue) {
		return true
	}
	var e *Error
	if errors.As(err, &e) {
		return e.HTTPStatus >= 500 || e.HTTPStatus == http.StatusTooManyRequests
	}
	return false
}

// Audit actions (AuditEntry.Action, AuditQuery.Action).
const (
	AuditDeleted  = "deleted"  // to the recycle bin
	AuditRestored = "restored" // from it
	AuditPurged   = "purged"   // deleted for good
)

// How an audited change was made (AuditEntry.Via, AuditQuery.Via).
const (
	ViaIDs        = "ids"         // a mass delete by ids
	ViaJob        = "job"         // a batch of a job (AuditEntry.JobID names it)
	ViaRecord     = "record"      // DELETE /{module} and DELETE /{module}/{id}
	ViaRecycleBin = "recycle_bin" // the recycle bin's restore and permanent delete by ids, emptying it
	ViaRetention  = "retention"   // the recycle bin's retention purge (no actor)
)

// AuditEntry is one deletion, restore or purge of a record, written by crmd in the same transaction
// as the change.
type AuditEntry struct {
	ID          string `json:"id"`
	RecordID    string `json:"record_id"`
	Module      string `json:"module"`
	DisplayName string `json:"display_name"`
	// Action is an Audit constant: deleted, restored or purged.
	Action string `json:"action"`
	// Actor is nil for the system (retention).
	Actor *UserRef `json:"actor"`
	// Via is a Via constant; JobID names the job for Via "job", "" otherwise.
	Via   string    `json:"via"`
	JobID string    `json:"job_id"`
	Time  time.Time `json:"time"`
}

// AuditQuery filters and pages the audit trail. Zero values are left out.
type AuditQuery struct {
	// Module is a module's API name; Actor a user id; Action and Via the Audit and Via constants.
	Module, Actor, Action, Via string
	JobID, RecordID            string
	// From and To bound the time: From ≤ time < To.
	From, To time.Time
	// Page counts from 1; PerPage is 1–200. AuditCSV ignores both.
	Page, PerPage int
}

func (q AuditQuery) values() url.Values {
	v := url.Values{}
	setNonEmpty(v, "module", q.Module)
	setNonEmpty(v, "actor", q.Actor)
	setNonEmpty(v, "action", q.Action)
	setNonEmpty(v, "via", q.Via)
	setNonEmpty(v, "job_id", q.JobID)
	setNonEmpty(v, "record_id", q.RecordID)
	if !q.From.IsZero() {
		v.Set("from", q.From.Format(time.RFC3339Nano))
	}
	if !q.To.IsZero() {
		v.Set("to", q.To.Format(time.RFC3339Nano))
	}
	return v
}

// Audit lists one page of the audit trail, newest first: GET /crmd/v1/audit. It also reports whether
// there are more beyond this page. An Administrator sees the whole org's trail, anyone else their own
// actions. No match is an empty list (crmd's 204), not an error.
func (c *Client) Audit(ctx context.Context, q AuditQuery) ([]AuditEntry, bool, error) {
	v := q.values()
	setPage(v, q.Page, q.PerPage)
	var env struct {
		Audit []AuditEntry `json:"audit"`
		Info  Info         `json:"info"`
	}
	if _, err := c.ownGet(ctx, "/audit", v, &env); err != nil {
		return nil, false, err
	}
	return env.Audit, env.Info.MoreRecords, nil
}

// ErrTruncated is what AuditCSV returns (wrapped) when the export ended before its last row: crmd
// ends the CSV early when its database fails in the middle of an export, after the status was sent.
var ErrTruncated = errors.New("client: the export ended early")

// AuditCSV copies every entry of the audit trail q selects, without paging, to w as CSV: GET
// /crmd/v1/audit?format=csv. The first row is the header
// id,time,action,via,module,record_id,display_name,actor_id,actor_name,job_id; an empty selection is
// the header alone. An error answer is the usual *Error, and nothing is written to w. An export that
// the server cut short is an error wrapping ErrTruncated (what was received is in w). Like WatchJob it
// is read without the HTTP client's overall timeout; ctx bounds it.
func (c *Client) AuditCSV(ctx context.Context, q AuditQuery, w io.Writer) error {
	v := q.values()
	v.Set("format", "csv")
	hresp, err := c.open(ctx, request{own: true, method: http.MethodGet, path: "/audit", query: v, accept: "text/csv"})
	if err != nil {
		return err
	}
	defer hresp.Body.Close()
	tw := &tailWriter{w: w}
	if _, err := io.Copy(tw, hresp.Body); err != nil {
		return fmt.Errorf("client: GET /audit?format=csv: %w", err)
	}
	// A complete export ends with the newline of its last row (the header's, at least).
	if tw.last != '\n' {
		return fmt.Errorf("%w: the audit CSV has no final newline (%d bytes received)", ErrTruncated, tw.n)
	}
	return nil
}

// tailWriter passes writes on and remembers the last byte written and how many there were.
type tailWriter struct {
	w    io.Writer
	last byte
	n    int64
}

func (t *tailWriter) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	if n > 0 {
		t.last = p[n-1]
		t.n += int64(n)
	}
	return n, err
}

// ownGet is get for crmd's own API.
func (c *Client) ownGet(ctx context.Context, path string, q url.Values, out any) (bool, error) {
	return c.getReq(ctx, request{own: true, method: http.MethodGet, path: path, query: q}, out)
}

func setNonEmpty(v url.Values, key, value string) {
	if value != "" {
		v.Set(key, value)
	}
}

func setPage(v url.Values, page, perPage int) {
	if page > 0 {
		v.Set("page", strconv.Itoa(page))
	}
	if perPage > 0 {
		v.Set("per_page", strconv.Itoa(perPage))
	}
}
