// Package snapshots is the control API's service over the store's database snapshots
// (docs/control.md#snapshots): named snapshots a test suite takes and restores, and the reset to the
// state the server started in (its fixtures, or its bootstrap org).
package snapshots

import (
	"context"
	"errors"
	"strings"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// StartName is the snapshot of the state the server started in, which Reset restores. Names starting
// with "crmd-" are crmd's own: a client cannot take, restore or delete them by name.
const StartName = "crmd-start"

// Service takes and restores snapshots of the whole database.
type Service struct{ st *store.Store }

// New returns the service on st.
func New(st *store.Store) *Service { return &Service{st: st} }

// Snapshot is a snapshot as the control API shows it.
type Snapshot = store.Snapshot

func errName() *crmd.Error {
	return crmd.E("INVALID_DATA", "a snapshot name is 1 to 64 of a-z, 0-9, _ and -, not starting with crmd-", crmd.D{"api_name": "name", "json_path": "$.name"})
}

func errNotFound(name string) *crmd.Error {
	return crmd.E("NOT_FOUND", "no snapshot of this name", crmd.D{"name": name})
}

func own(name string) bool { return strings.HasPrefix(name, "crmd-") }

// Create takes a snapshot of the whole database under name.
func (s *Service) Create(ctx context.Context, name string) (*Snapshot, error) {
	if own(name) {
		return nil, errName()
	}
	err := s.st.CreateSnapshot(ctx, name)
	switch {
	case errors.Is(err, store.ErrSnapshotName):
		return nil, errName()
	case errors.Is(err, store.ErrDuplicate):
		return nil, crmd.E("DUPLICATE_DATA", "a snapshot of this name exists", crmd.D{"api_name": "name", "json_path": "$.name"})
	case err != nil:
		return nil, err
	}
	return s.find(ctx, name)
}

// List lists the snapshots, oldest first, crmd's own included.
func (s *Service) List(ctx context.Context) ([]Snapshot, error) { return s.st.Snapshots(ctx) }

func (s *Service) find(ctx context.Context, name string) (*Snapshot, error) {
	all, err := s.st.Snapshots(ctx)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].Name == name {
			return &all[i], nil
		}
	}
	return nil, errNotFound(name)
}

// Restore puts the whole database back as it was when the snapshot was taken, in one transaction.
func (s *Service) Restore(ctx context.Context, name string) (*Snapshot, error) {
	if own(name) {
		return nil, errNotFound(name)
	}
	return s.apply(ctx, name, s.st.RestoreSnapshot)
}

// Delete drops a snapshot.
func (s *Service) Delete(ctx context.Context, name string) (*Snapshot, error) {
	if own(name) {
		return nil, errNotFound(name)
	}
	return s.apply(ctx, name, s.st.DeleteSnapshot)
}

// apply runs op (the store's restore or delete) on the snapshot named name and returns the snapshot
// as it was listed before; NOT_FOUND when there is none, or it went in the meantime.
func (s *Service) apply(ctx context.Context, name string, op func(context.Context, string) error) (*Snapshot, error) {
	snap, err := s.find(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := op(ctx, name); errors.Is(err, store.ErrNotFound) {
		return nil, errNotFound(name)
	} else if err != nil {
		return nil, err
	}
	return snap, nil
}

// TakeStart records the state the server starts in, for Reset: after its fixtures or bootstrap were
// applied (fresh: this process made the state), or — on a database that has it already — keeping it.
func (s *Service) TakeStart(ctx context.Context, fresh bool) error {
	if _, err := s.find(ctx, StartName); err == nil {
		if !fresh {
			return nil
		}
		if err := s.st.DeleteSnapshot(ctx, StartName); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	err := s.st.CreateSnapshot(ctx, StartName)
	if errors.Is(err, store.ErrDuplicate) {
		return nil // another process took it at the same moment
	}
	return err
}

// Reset puts the whole database back in the state the server started in: its fixtures (or bootstrap
// org), their tokens working again; every job, record and change since is gone. A job a runner is
// working on stops at its next batch, whose lease no longer holds.
func (s *Service) Reset(ctx context.Context) error {
	_, err := s.apply(ctx, StartName, s.st.RestoreSnapshot)
	if e, ok := crmd.AsError(err); ok && e.Code == "NOT_FOUND" {
		return crmd.E("NOT_ALLOWED", "this server recorded no start state to reset to", nil)
	}
	return err
}
