package jobs

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// Hub passes a job's progress to whoever watches the job in this process (the events stream of crmd's
// API), the moment each batch commits: from this process's runner directly, and on PostgreSQL from any
// process's runner through the database's notifications (Follow). Watchers also read the job from the
// database now and then, for whatever neither reaches them (docs/crmd-api.md).
type Hub struct {
	mu   sync.Mutex
	subs map[crmd.ID]map[chan *crmd.Job]struct{}
}

// hubBuffer is how many updates a watcher may fall behind before updates to it are dropped; a watcher
// that falls behind still reads the job's latest state from the database.
const hubBuffer = 256

// NewHub returns a hub without watchers.
func NewHub() *Hub { return &Hub{subs: map[crmd.ID]map[chan *crmd.Job]struct{}{}} }

// Watch returns a channel that receives the job's state after each of its batches in this process, and
// a function that stops the watch.
func (h *Hub) Watch(id crmd.ID) (<-chan *crmd.Job, func()) {
	ch := make(chan *crmd.Job, hubBuffer)
	h.mu.Lock()
	if h.subs[id] == nil {
		h.subs[id] = map[chan *crmd.Job]struct{}{}
	}
	h.subs[id][ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs[id], ch)
		if len(h.subs[id]) == 0 {
			delete(h.subs, id)
		}
		h.mu.Unlock()
	}
}

// Watched reports whether anyone watches job id: the runner reads a job back for the hub only then.
func (h *Hub) Watched(id crmd.ID) bool {
	if h == nil {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[id]) > 0
}

// Publish hands j to the job's watchers; a watcher whose buffer is full misses it.
func (h *Hub) Publish(j *crmd.Job) {
	if h == nil || j == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[j.ID] {
		c := *j
		select {
		case ch <- &c:
		default:
		}
	}
}

// followRetry is the pause before listening again after the notifications connection failed.
const followRetry = time.Second

// Follow hands the job notices of every process (PostgreSQL's notifications, store.ListenJobs) to the
// watchers of their jobs in this process, until ctx ends, listening again after a failure (the database
// away for a while). Each notice carries the job's counts as the batch that sent it committed them, so
// a job another replica runs is followed batch by batch. On SQLite it returns at once.
func (h *Hub) Follow(ctx context.Context, st *store.Store, log *slog.Logger) {
	for {
		err := st.ListenJobs(ctx, func(n store.JobNotice) {
			if !h.Watched(n.JobID) {
				return
			}
			j, err := st.JobByID(ctx, n.JobID)
			if err != nil {
				return
			}
			// The row may already be further on than the notice: the notice's own counts are the
			// batch's.
			j.Cursor, j.DeletedCount, j.FailedCount, j.Status, j.CancelRequested = n.Cursor, n.Deleted, n.Failed, n.Status, n.CancelRequested
			if !j.Finished() {
				j.FinishedTime = 0
			}
			h.Publish(j)
		})
		if errors.Is(err, store.ErrNoNotifications) || ctx.Err() != nil {
			return
		}
		log.Warn("job notifications: listening failed; listening again", "in", followRetry.String(), "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(followRetry):
		}
	}
}
