package territories

import (
	"context"
	"unicode/utf8"

	"github.com/crmd/crmd"
)

// PermissionTypes are the values of a territory's permission_type.
var PermissionTypes = []string{crmd.TerritoryReadOnly, crmd.TerritoryReadWriteDelete}

// values are the keys of a Draft or an Edit that are checked on their own, before anything is looked
// up in the tree.
type values struct {
	pos         int
	name        Change[string]
	perm        Change[string]
	manager     Change[crmd.ID]
	description Change[*string]
}

func (d Draft) values() values {
	return values{pos: d.Pos, name: Change[string]{Set: true, To: d.Name}, perm: Change[string]{Set: true, To: d.PermissionType},
		manager: Change[crmd.ID]{Set: true, To: d.Manager}, description: Change[*string]{Set: true, To: d.Description}}
}

func (ed Edit) values() values {
	return values{pos: ed.Pos, name: ed.Name, perm: ed.PermissionType, manager: ed.Manager, description: ed.Description}
}

// check keeps a territory's own rules true whoever built the item (its name already trimmed): a name
// that is not blank and at most MaxNameLength characters, one of the PermissionTypes, a description of at most
// MaxDescriptionLength characters, a manager among the org's users (users). The HTTP layer checks the
// same while it decodes, key by key in Zoho's order, so that an item with several faults gets Zoho's
// first error; these guards answer the same errors to any other caller of the service, which would
// otherwise write a territory no Zoho client could have made.
func (v values) check(users map[crmd.ID]*crmd.User) *crmd.Error {
	path := func(key string) string { return itemPath(v.pos, key) }
	if v.name.Set {
		n := v.name.To
		if n == "" {
			return fieldErr("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, "name", path("name"), nil)
		}
		if utf8.RuneCountInString(n) > MaxNameLength {
			return fieldErr("INVALID_DATA", crmd.MsgInvalidData, "name", path("name"), crmd.D{"maximum_length": MaxNameLength})
		}
	}
	if v.description.Set && v.description.To != nil && utf8.RuneCountInString(*v.description.To) > MaxDescriptionLength {
		return fieldErr("INVALID_DATA", crmd.MsgInvalidData, "description", path("description"), crmd.D{"maximum_length": MaxDescriptionLength})
	}
	if v.perm.Set && v.perm.To != crmd.TerritoryReadOnly && v.perm.To != crmd.TerritoryReadWriteDelete {
		return fieldErr("INVALID_DATA", MsgInvalidPermType, "permission_type", path("permission_type"), crmd.D{"supported_values": PermissionTypes})
	}
	if v.manager.Set && v.manager.To != 0 && users[v.manager.To] == nil {
		return fieldErr("INVALID_DATA", crmd.MsgInvalidID, "manager", path("manager"), nil)
	}
	return nil
}

// usersFor reads the org's users when one of vs names a manager (the only key that needs them).
func (s *Service) usersFor(ctx context.Context, orgID crmd.ID, vs []values) (map[crmd.ID]*crmd.User, error) {
	for _, v := range vs {
		if v.manager.Set && v.manager.To != 0 {
			return s.st.UsersByID(ctx, orgID)
		}
	}
	return nil, nil
}
