// Package audit is the service behind crmd's audit trail (docs/crmd-api.md#get-crmdv1audit): every
// deletion, restore and purge of a record, as the store wrote it in the transaction of the change. It
// decides who sees what: Administrators the whole org's trail, everyone else their own actions.
package audit

import (
	"context"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// Actions and ways of a change, as the trail names them.
const (
	Deleted  = store.AuditDeleted
	Restored = store.AuditRestored
	Purged   = store.AuditPurged
)

// Vias are every way a change is asked for.
var Vias = []string{store.ViaIDs, store.ViaJob, store.ViaRecord, store.ViaRecycleBin, store.ViaRetention}

// Query selects audit rows; zero values do not filter. From ≤ time < To, Unix ms.
type Query struct {
	ModuleID, ActorID, JobID, RecordID crmd.ID
	Action, Via                        string
	From, To                           int64
	Page, PerPage                      int
}

// Entry is one row of the trail with the user and module it names; Actor is nil for the system's
// changes and for a user that no longer exists, Module nil for a module that no longer exists.
type Entry struct {
	store.AuditEntry
	Actor  *crmd.User
	Module *crmd.Module
}

// Page is one page of the trail, newest first.
type Page struct {
	Entries []Entry
	More    bool
}

// Service reads the audit trail.
type Service struct{ st *store.Store }

// New returns the audit trail service of st.
func New(st *store.Store) *Service { return &Service{st: st} }

// scope is the store query of q for the caller: anyone but an Administrator sees their own actions.
func scope(c *crmd.Caller, q Query) store.AuditQuery {
	sq := store.AuditQuery{OrgID: c.Org.ID, ModuleID: q.ModuleID, ActorID: q.ActorID, JobID: q.JobID, RecordID: q.RecordID,
		Action: q.Action, Via: q.Via, From: q.From, To: q.To}
	if !c.User.Profile.IsAdmin() {
		if q.ActorID != 0 && q.ActorID != c.User.ID {
			sq.ActorID = -1 // someone else's actions: none visible
		} else {
			sq.ActorID = c.User.ID
		}
	}
	return sq
}

// List returns one page of the trail.
func (s *Service) List(ctx context.Context, c *crmd.Caller, q Query) (*Page, error) {
	sq := scope(c, q)
	sq.Offset, sq.Limit = (q.Page-1)*q.PerPage, q.PerPage+1
	rows, err := s.st.ListAudit(ctx, sq)
	if err != nil {
		return nil, err
	}
	p := &Page{More: len(rows) > q.PerPage}
	if p.More {
		rows = rows[:q.PerPage]
	}
	p.Entries, err = s.entries(ctx, c.Org.ID, rows)
	return p, err
}

// exportPage is how many rows one read of Export takes.
const exportPage = 1000

// Export hands every row q selects (its paging ignored), newest first, to emit, reading a page at a
// time by keyset, so that an export of a million rows holds neither memory nor a long read. Each read
// is bounded by perRead (0: none) rather than the export as a whole, which may take longer than one
// query may; the users and modules the rows name are read once.
func (s *Service) Export(ctx context.Context, c *crmd.Caller, q Query, perRead time.Duration, emit func([]Entry) error) error {
	sq := scope(c, q)
	sq.Limit = exportPage
	var dir *store.Directory
	for {
		rows, err := withTimeout(ctx, perRead, func(ctx context.Context) ([]store.AuditEntry, error) {
			if dir == nil {
				var err error
				if dir, err = s.st.Directory(ctx, c.Org.ID); err != nil {
					return nil, err
				}
			}
			return s.st.ListAudit(ctx, sq)
		})
		if err != nil {
			return err
		}
		if err := emit(named(dir, rows)); err != nil {
			return err
		}
		if len(rows) < exportPage {
			return nil
		}
		sq.Before = rows[len(rows)-1].ID
	}
}

// withTimeout runs fn under a deadline of d from now (none when d is 0).
func withTimeout[T any](ctx context.Context, d time.Duration, fn func(context.Context) (T, error)) (T, error) {
	if d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	return fn(ctx)
}

func (s *Service) entries(ctx context.Context, orgID crmd.ID, rows []store.AuditEntry) ([]Entry, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	dir, err := s.st.Directory(ctx, orgID)
	if err != nil {
		return nil, err
	}
	return named(dir, rows), nil
}

// named pairs audit rows with the users and modules of dir they name.
func named(dir *store.Directory, rows []store.AuditEntry) []Entry {
	out := make([]Entry, len(rows))
	for i, r := range rows {
		out[i] = Entry{AuditEntry: r, Actor: dir.Users[r.ActorID], Module: dir.Modules[r.ModuleID]}
	}
	return out
}
