package api

// Metadata handlers: /settings/modules, /settings/fields, /settings/profiles, /users and /org. They are
// read-only views of the caller's own org, shaped so that the official SDKs can bootstrap against crmd
// (D33): every module carries generated_type, every field api_name and data_type, CurrentUser has an
// email and the org a zgid.
//
// Choices made where Zoho documents nothing (each is also noted at its code):
//   - GET /settings/modules/{api_name} accepts the api name (case-insensitively, D30) or the module id;
//     an unknown module, or one the request's version does not have, is 400 INVALID_MODULE with
//     {"resource_path_index":2}, the index of the bad segment after /crm/{version}/.
//   - /settings/fields with an unknown module is 400 INVALID_MODULE with {"param_name":"module"}, since
//     the module came from a query parameter, not the path.
//   - Unknown ids in paths (field, profile, user) are 400 INVALID_DATA `the id given seems to be
//     invalid` with the path index of the id: 2 for /settings/{fields,profiles}/{id}, 1 for /users/{id}.
//     A user or profile of another org gets the same answer, so its existence is not leaked.
//   - An unknown /users type is 400 INVALID_DATA `invalid data` {"param_name":"type"}.

import (
	"context"

	"github.com/crmd/crmd"
)

// metaMaxPerPage is the page size limit (and default) of the users list, as for every Zoho list.
const metaMaxPerPage = 200

// metaRef is Zoho's {name, id} reference to a user, profile or role.
type metaRef struct {
	Name string  `json:"name"`
	ID   crmd.ID `json:"id"`
}

// metaUserRef references a user, or is nil (JSON null) when there is none.
func metaUserRef(u *crmd.User) *metaRef {
	if u == nil {
		return nil
	}
	return &metaRef{Name: u.FullName(), ID: u.ID}
}

// metaEmpty encodes as {}: Zoho writes empty objects, never null, for parent_module, formula, … and the
// SDKs read into them without nil checks.
type metaEmpty struct{}

// metaInVersion reports whether a module exists in the request's API version.
func metaInVersion(m *crmd.Module, version int) bool {
	return m.MinVersion == 0 || version >= m.MinVersion
}

// metaModules returns the caller's org's modules that exist in the request's version.
func (s *Server) metaModules(ctx context.Context, rc *reqCtx) ([]*crmd.Module, error) {
	all, err := s.svc.Metadata.Modules(ctx, rc.caller.Org.ID)
	if err != nil {
		return nil, err
	}
	out := make([]*crmd.Module, 0, len(all))
	for _, m := range all {
		if metaInVersion(m, rc.version) {
			out = append(out, m)
		}
	}
	return out, nil
}

// metaFirstAdmin is the org's founding administrator, or nil when there is none, in which case the
// references to it are written as null rather than failing the request.
func (s *Server) metaFirstAdmin(ctx context.Context, orgID crmd.ID) (*crmd.User, error) {
	return s.svc.Metadata.FirstAdmin(ctx, orgID)
}

// metaErrInvalidPathID is the answer for an id in the path that names nothing of the caller's org.
func metaErrInvalidPathID(index int) *crmd.Error {
	return crmd.E("INVALID_DATA", crmd.MsgInvalidID, crmd.D{"resource_path_index": index})
}

func metaErrInvalidModule(details crmd.D) *crmd.Error {
	return crmd.E("INVALID_MODULE", crmd.MsgInvalidModule, details)
}
