package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/jobs"
)

// The events stream of a job (GET /crmd/v1/jobs/{id}/events, docs/crmd-api.md): server-sent events,
// one per committed batch, each the job object.
const (
	// eventsPoll is how often the stream reads the job from the database besides what this process's
	// runner reports: it follows a job that another process (another replica) runs.
	eventsPoll = 250 * time.Millisecond
	// defaultEventsHeartbeat is how often a comment keeps an idle stream (and its proxies) open.
	defaultEventsHeartbeat = 15 * time.Second
	// eventsWriteWindow bounds each write: a client that stops reading is dropped, not waited for.
	eventsWriteWindow = 30 * time.Second
)

// jobEvents serves GET /crmd/v1/jobs/{id}/events. The route has no request-wide deadline (a stream
// lasts as long as its job); each read of the database gets the query timeout of its own.
func (s *Server) jobEvents(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	ctx := r.Context()
	// Watch before the job is read, so that no batch committed in between is missed. (An id that
	// names no job the caller may see is refused just below, and its watch ends with the handler.)
	var updates <-chan *crmd.Job
	if id, ok := crmd.ParseID(rc.param("id")); ok {
		var stop func()
		updates, stop = s.svc.Jobs.Watch(id)
		defer stop()
	}
	it, err := withQueryTimeout(s, ctx, func(ctx context.Context) (*jobs.Item, error) { return s.job(ctx, rc, false) })
	if err != nil {
		return err
	}
	rcw := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx and friends: pass each event on at once
	w.WriteHeader(http.StatusOK)
	loc := rc.caller.Org.Location()
	last := it.Job
	send := func(j *crmd.Job) bool {
		it.Job = j
		b, err := json.Marshal(jobOut(*it, loc))
		if err != nil {
			return false
		}
		rcw.SetWriteDeadline(time.Now().Add(eventsWriteWindow))
		if _, err := fmt.Fprintf(w, "id: %d\ndata: %s\n\n", j.DeletedCount+j.FailedCount, b); err != nil {
			return false
		}
		return rcw.Flush() == nil
	}
	if !send(last) || last.Finished() {
		return nil
	}
	// changed reports whether j is news: further on, or another status, or a cancel newly asked for.
	changed := func(j *crmd.Job) bool {
		return j.Cursor > last.Cursor || j.Status != last.Status || j.CancelRequested != last.CancelRequested
	}
	poll := time.NewTicker(eventsPoll)
	defer poll.Stop()
	beat := time.NewTicker(s.cfg.EventsHeartbeat)
	defer beat.Stop()
	for {
		var next *crmd.Job
		select {
		case <-ctx.Done():
			return nil
		case j := <-updates:
			next = j
		case <-poll.C:
			// What this process's runner reported comes first: the database may already be a batch
			// further, and reading it now would merge two batches into one event.
			select {
			case j := <-updates:
				next = j
			default:
			}
			if next != nil {
				break
			}
			j, err := withQueryTimeout(s, ctx, func(ctx context.Context) (*crmd.Job, error) { return s.svc.Jobs.Get(ctx, rc.caller, last.ID) })
			if err != nil || j == nil {
				// The database is away for a moment, or the job was removed by retention: the stream
				// ends, and the client reconnects or reads the job.
				return nil
			}
			next = j
		case <-beat.C:
			rcw.SetWriteDeadline(time.Now().Add(eventsWriteWindow))
			if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil || rcw.Flush() != nil {
				return nil
			}
			continue
		}
		if !changed(next) {
			continue
		}
		last = next
		if !send(next) || next.Finished() {
			return nil
		}
	}
}

// withQueryTimeout runs fn under the query timeout, for handlers whose route has no request-wide one.
func withQueryTimeout[T any](s *Server, ctx context.Context, fn func(context.Context) (T, error)) (T, error) {
	if s.cfg.QueryTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.QueryTimeout)
		defer cancel()
	}
	return fn(ctx)
}
