package jobs

import (
	"sync"

	"github.com/crmd/crmd"
)

// Hub passes a job's progress from the runner of this process to whoever watches the job (the events
// stream of crmd's API), the moment each batch commits. A job run by another process is not seen here:
// watchers also read the job from the database now and then (docs/crmd-api.md).
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
