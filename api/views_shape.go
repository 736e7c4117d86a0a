package api

// The custom view object per API version (docs/views.md#view-object):
//   - v2 shows fields as api names, v2.1 and later as {"api_name","id","_pin":false} objects,
//     following how criteria show fields; sort_by is the api name up to v3 and {"api_name","id"}
//     from v4, as the SDKs' models read it (String in the custom view classes of
//     @zohocrm/nodejs-sdk-2.0 6.1.0, @zohocrm/typescript-sdk-2.1 1.1.0 and zoho/zohocrm-java-sdk-3.0;
//     a SortBy object in zoho/zohocrm-php-sdk-4.0, zoho/zohocrm-typescript-sdk-5.0 and later);
//   - v2 has offline, shared_type and shared_details; v2.1 and later access_type, shared_to, who
//     created and modified the view and when, and locked; v8 adds module;
//   - the list shows the summary keys, the single-view GET adds criteria and fields.

import (
	"context"
	"encoding/json"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/views"
)

// viewTranslation is the info.translation object of the custom views API: the labels of the
// categories.
var viewTranslation = map[string]string{
	views.CategoryPublic:       "Public Views",
	views.CategoryOtherUsers:   "Other Users' Views",
	views.CategorySharedWithMe: "Shared With Me",
	views.CategoryCreatedByMe:  "Created By Me",
}

// viewShaper renders the views of one module for one request.
type viewShaper struct {
	c       *crmd.Caller
	m       *crmd.Module
	version int
	users   map[crmd.ID]*crmd.User
	loc     *time.Location
}

func (s *Server) viewShaper(ctx context.Context, rc *reqCtx, m *crmd.Module) (*viewShaper, error) {
	users, err := s.svc.Metadata.UsersByID(ctx, rc.caller.Org.ID)
	if err != nil {
		return nil, err
	}
	return &viewShaper{c: rc.caller, m: m, version: rc.version, users: users, loc: rc.caller.Org.Location()}, nil
}

func (sh *viewShaper) userRef(id crmd.ID) any {
	if id == 0 {
		return nil
	}
	name := ""
	if u := sh.users[id]; u != nil {
		name = u.FullName()
	}
	return map[string]any{"name": name, "id": id}
}

func (sh *viewShaper) time(ms int64) any {
	if ms == 0 {
		return nil
	}
	return crmd.FormatTime(ms, sh.loc)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// fieldRef is a field as v2 (api name) or v2.1+ ({"api_name","id"}) show it; extra keys are added to the
// object form.
func (sh *viewShaper) fieldRef(name string, extra map[string]any) any {
	if sh.version <= 20 {
		return name
	}
	ref := map[string]any{"api_name": name, "id": nil}
	if f := sh.m.Field(name); f != nil {
		ref["id"] = f.ID
	}
	for k, v := range extra {
		ref[k] = v
	}
	return ref
}

// view renders one view; full adds criteria and fields (the single-view GET), the list shows only the
// summary keys.
func (sh *viewShaper) view(v *crmd.View, full bool) map[string]any {
	var sysName any
	if v.IsSystem() {
		sysName = v.SystemName
	}
	var fav any
	if v.Favorite != 0 {
		fav = v.Favorite
	}
	var sortBy any
	if v.SortBy != "" {
		sortBy = sh.fieldRef(v.SortBy, nil)
		if sh.version < 40 {
			sortBy = v.SortBy
		}
	}
	out := map[string]any{
		"id":             v.ID,
		"name":           v.Name,
		"display_value":  v.DisplayValue,
		"system_name":    sysName,
		"system_defined": v.IsSystem(),
		"default":        v.Default,
		"category":       views.Category(sh.c, v),
		"favorite":       fav,
		"sort_by":        sortBy,
		"sort_order":     nullable(v.SortOrder),
	}
	if sh.version <= 20 {
		out["offline"] = false
		out["shared_type"] = v.AccessType
		out["shared_details"] = nil
	} else {
		out["access_type"] = v.AccessType
		out["shared_to"] = nil
		out["created_by"] = sh.userRef(v.CreatedBy)
		out["created_time"] = sh.time(v.CreatedTime)
		out["modified_by"] = sh.userRef(v.ModifiedBy)
		out["modified_time"] = sh.time(v.ModifiedTime)
		out["last_accessed_time"] = sh.time(v.LastAccessedTime)
		out["locked"] = false
	}
	if sh.version >= 80 {
		out["module"] = map[string]any{"api_name": sh.m.APIName, "id": sh.m.ID}
	}
	if full {
		out["criteria"] = viewCriteria(sh.m, v, sh.version)
		fields := make([]any, 0, len(v.Fields))
		for _, name := range v.Fields {
			fields = append(fields, sh.fieldRef(name, map[string]any{"_pin": false}))
		}
		out["fields"] = fields
	}
	return out
}

// viewCriteria is the view's criteria as the given API version shows them: its definition
// (views.Define) rendered by criteria.Node.Render, or, for stored criteria that no longer parse, the
// stored JSON as it is.
func viewCriteria(m *crmd.Module, v *crmd.View, version int) any {
	def, err := views.Define(m, v)
	if err == nil {
		if def.Criteria == nil {
			return nil
		}
		return def.Criteria.Render(version)
	}
	if v.IsSystem() || len(v.Criteria) == 0 {
		return nil
	}
	var raw any
	if json.Unmarshal(v.Criteria, &raw) != nil {
		return nil
	}
	return raw
}
