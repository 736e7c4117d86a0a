package store

import (
	"context"

	"github.com/crmd/crmd"
)

// FirstAdmin returns the org's founding administrator: the Administrator-profile user with the lowest
// id, whatever their status. The metadata APIs name this user as the creator and last modifier of
// everything crmd itself set up (users, modules) and as the org's primary contact, so the answer must
// not change when that user is later disabled. ErrNotFound when the org has no administrator at all.
func (s *Store) FirstAdmin(ctx context.Context, orgID crmd.ID) (*crmd.User, error) {
	return scanUser(s.R.QueryRowContext(ctx, s.Q(userSelect+` WHERE u.org_id = ? AND p.name = ? ORDER BY u.id LIMIT 1`),
		int64(orgID), crmd.ProfileAdministrator))
}

// UserModifiedTimes returns the modified_time (Unix ms) of every user of the org, by user id. crmd.User
// does not carry it because nothing but the users API reports it.
func (s *Store) UserModifiedTimes(ctx context.Context, orgID crmd.ID) (map[crmd.ID]int64, error) {
	rows, err := s.R.QueryContext(ctx, s.Q(`SELECT id, modified_time FROM users WHERE org_id = ?`), int64(orgID))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[crmd.ID]int64{}
	for rows.Next() {
		var id, mt int64
		if err := rows.Scan(&id, &mt); err != nil {
			return nil, err
		}
		out[crmd.ID(id)] = mt
	}
	return out, rows.Err()
}

// permissionBand is where, inside an org's id space, the ids of derived module permissions live. Ids
// are prefix*idScale + seq and AllocIDs hands out seq from 1 upwards, so the top tenth of the sequence
// (900 billion allocations away) is never reached by stored rows in practice.
const permissionBand = 900_000_000_000

// PermissionID is the id of the profile permission of the given verb (an index into
// crmd.PermissionVerbs) on a module. Permissions are not stored (crmd.Profile.Can derives them), yet
// Zoho gives each one an id; this derives a stable one from the module's id, so the same permission has
// the same id in every profile and on every request, is a 19-digit number of the module's org that fits
// in an int64 (clients parse ids as 64-bit integers), and cannot equal the id of any stored row.
func PermissionID(moduleID crmd.ID, verbIndex int) crmd.ID {
	prefix := int64(moduleID) / idScale
	seq := int64(moduleID) % idScale
	n := int64(len(crmd.PermissionVerbs))
	// The modulo only bites past 20 billion allocations; it keeps the id inside the org's band rather
	// than spilling into the next org's prefix.
	return crmd.ID(prefix*idScale + permissionBand + (seq*n+int64(verbIndex))%(idScale-permissionBand))
}

// picklistBand is where, inside an org's id space, the derived ids of picklist values live: below the
// permissions' band and, like it, far above any sequence AllocIDs will reach.
const picklistBand = 800_000_000_000

// maxPicklistValues is how many values of one field get distinct derived ids; Zoho caps a picklist far
// below this.
const maxPicklistValues = 10_000

// PicklistValueID is the id of the value at index i of a picklist field. crmd stores picklist values
// as plain strings, yet Zoho's fields API gives each one an id (zoho/crm-oas v8.0/fields.json marks it
// required); this derives a stable one from the field's id and the value's position, the way
// PermissionID does for permissions, so it is a 19-digit id of the field's org that cannot equal the id
// of any stored row nor of a permission.
func PicklistValueID(fieldID crmd.ID, i int) crmd.ID {
	prefix := int64(fieldID) / idScale
	seq := int64(fieldID) % idScale
	span := int64(permissionBand - picklistBand)
	return crmd.ID(prefix*idScale + picklistBand + (seq*maxPicklistValues+int64(i%maxPicklistValues))%span)
}
