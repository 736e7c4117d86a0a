// Package metadata is crmd's service for what describes an org rather than its records: its modules
// and their fields, its profiles, its users and the org itself. The HTTP surface shapes them as Zoho's
// /settings/modules, /settings/fields, /settings/profiles, /users and /org; every other service and
// the HTTP layer resolve modules through it. Everything is read-only here: orgs, users and custom
// modules are made by package admin.
package metadata

import (
	"context"
	"errors"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// Service reads an org's metadata from a store. Modules are cached by the store per org and version of
// the org's metadata, so resolving a module on every request costs one indexed read.
type Service struct {
	st *store.Store
}

// New returns the metadata service on st.
func New(st *store.Store) *Service { return &Service{st: st} }

// Modules returns every module of the org, with fields, in Zoho's tab order. The result is shared and
// must not be modified.
func (s *Service) Modules(ctx context.Context, orgID crmd.ID) ([]*crmd.Module, error) {
	return s.st.Modules(ctx, orgID)
}

// Module finds a module of the org by api name, case-insensitively (D30); nil when there is none.
func (s *Service) Module(ctx context.Context, orgID crmd.ID, apiName string) (*crmd.Module, error) {
	return s.st.Module(ctx, orgID, apiName)
}

// Profiles returns the org's profiles in id order.
func (s *Service) Profiles(ctx context.Context, orgID crmd.ID) ([]crmd.Profile, error) {
	return s.st.Profiles(ctx, orgID)
}

// Users returns every user of the org in id order.
func (s *Service) Users(ctx context.Context, orgID crmd.ID) ([]*crmd.User, error) {
	return s.st.Users(ctx, orgID)
}

// UsersByID returns every user of the org keyed by id, for shaping many rows that name users.
func (s *Service) UsersByID(ctx context.Context, orgID crmd.ID) (map[crmd.ID]*crmd.User, error) {
	return s.st.UsersByID(ctx, orgID)
}

// User returns one user of the org, nil when the org has no such user (a user of another org
// included: the caller cannot tell them apart).
func (s *Service) User(ctx context.Context, orgID, id crmd.ID) (*crmd.User, error) {
	u, err := s.st.User(ctx, orgID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return u, err
}

// FirstAdmin is the org's founding administrator — the Administrator-profile user with the lowest id,
// whatever their status — or nil when the org has none. The metadata APIs name this user as the
// creator and last modifier of everything crmd itself set up (users, modules) and as the org's primary
// contact, so the answer does not change when that user is later disabled.
func (s *Service) FirstAdmin(ctx context.Context, orgID crmd.ID) (*crmd.User, error) {
	u, err := s.st.FirstAdmin(ctx, orgID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return u, err
}

// UserModifiedTimes returns when each user of the org last changed (Unix ms), by user id; only the
// users API reports it.
func (s *Service) UserModifiedTimes(ctx context.Context, orgID crmd.ID) (map[crmd.ID]int64, error) {
	return s.st.UserModifiedTimes(ctx, orgID)
}

// Permission is one module permission as a profile holds it.
type Permission struct {
	ID      crmd.ID
	Verb    string // one of crmd.PermissionVerbs
	Module  *crmd.Module
	Enabled bool
}

// Permissions lists the permissions of profile p on the given modules: one per module and verb, mass
// delete only for modules that can be mass deleted. Whether a permission is enabled comes from
// crmd.Profile.Can, the rule every service enforces; its id is derived from the module and verb, so
// the same permission has the same id in every profile.
func (s *Service) Permissions(p crmd.Profile, mods []*crmd.Module) []Permission {
	var out []Permission
	for _, m := range mods {
		for vi, verb := range crmd.PermissionVerbs {
			if verb == crmd.PermMassDelete && !m.MassDeletable {
				continue
			}
			out = append(out, Permission{ID: store.PermissionID(m.ID, vi), Verb: verb, Module: m, Enabled: p.Can(verb)})
		}
	}
	return out
}

// PicklistValue is one value of a picklist field with its derived id.
type PicklistValue struct {
	ID    crmd.ID
	Value string
}

// PicklistValues lists the values of picklist field f in order, each with an id derived from the
// field and the value's position (store.PicklistValueID): the same on every request, distinct from
// every stored id. Values stay plain strings in storage; only the fields API shows ids.
func (s *Service) PicklistValues(f *crmd.Field) []PicklistValue {
	out := make([]PicklistValue, len(f.Picklist))
	for i, v := range f.Picklist {
		out[i] = PicklistValue{ID: store.PicklistValueID(f.ID, i), Value: v}
	}
	return out
}
