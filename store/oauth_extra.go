package store

import (
	"context"

	"github.com/crmd/crmd"
)

// OrgAdmin returns the org's first active Administrator user (the lowest id), the user on whose behalf
// a client_credentials token acts, or ErrNotFound when the org has no active administrator.
func (s *Store) OrgAdmin(ctx context.Context, orgID crmd.ID) (*crmd.User, error) {
	return scanUser(s.R.QueryRowContext(ctx, s.Q(userSelect+` WHERE u.org_id = ? AND p.name = ? AND u.status = 'active' ORDER BY u.id LIMIT 1`),
		int64(orgID), crmd.ProfileAdministrator))
}
