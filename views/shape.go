package views

import (
	"context"
	"net/url"
	"time"

	"github.com/crmd/crmd"
)

// Translation is the info.translation object of the custom views API: the labels of the categories.
var Translation = map[string]string{
	CategoryPublic:       "Public Views",
	CategoryOtherUsers:   "Other Users' Views",
	CategorySharedWithMe: "Shared With Me",
	CategoryCreatedByMe:  "Created By Me",
}

// Page is one page of the views list: the views in the request's version's shape and Zoho's info object.
// An empty Views means "nothing", which the API answers with 204.
type Page struct {
	Views []map[string]any
	Info  map[string]any
}

// ErrInvalidPathID is the answer for a view id in the path (/settings/custom_views/{id}) that is
// malformed or names no view of the module the caller may see: segment 2 after /crm/{version}/.
func ErrInvalidPathID() *crmd.Error {
	return crmd.E("INVALID_DATA", crmd.MsgInvalidID, crmd.D{"resource_path_index": 2})
}

// shaper renders views for one request.
type shaper struct {
	c       *crmd.Caller
	m       *crmd.Module
	version int
	users   map[crmd.ID]*crmd.User
	loc     *time.Location
}

func (s *Service) shaper(ctx context.Context, c *crmd.Caller, m *crmd.Module, version int) (*shaper, error) {
	users, err := s.st.UsersByID(ctx, c.Org.ID)
	if err != nil {
		return nil, err
	}
	return &shaper{c: c, m: m, version: version, users: users, loc: c.Org.Location()}, nil
}

func (sh *shaper) userRef(id crmd.ID) any {
	if id == 0 {
		return nil
	}
	name := ""
	if u := sh.users[id]; u != nil {
		name = u.FullName()
	}
	return map[string]any{"name": name, "id": id}
}

func (sh *shaper) time(ms int64) any {
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
func (sh *shaper) fieldRef(name string, extra map[string]any) any {
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
func (sh *shaper) view(v *crmd.View, full bool) map[string]any {
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
	}
	out := map[string]any{
		"id":             v.ID,
		"name":           v.Name,
		"display_value":  v.DisplayValue,
		"system_name":    sysName,
		"system_defined": v.IsSystem(),
		"default":        v.Default,
		"category":       category(sh.c, v),
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
		out["criteria"] = renderCriteria(sh.m, v, sh.version)
		fields := make([]any, 0, len(v.Fields))
		for _, name := range v.Fields {
			fields = append(fields, sh.fieldRef(name, map[string]any{"_pin": false}))
		}
		out["fields"] = fields
	}
	return out
}

// List answers GET /settings/custom_views?module=: one page of the module's views the caller may see,
// system views first, with info {per_page, default (the cvid of the All view), count, translation, page,
// more_records}. version is the API version ×10.
func (s *Service) List(ctx context.Context, c *crmd.Caller, m *crmd.Module, version int, q url.Values) (*Page, error) {
	page, perPage, perr := crmd.PageParams(q, MaxPerPage)
	if perr != nil {
		return nil, perr
	}
	vs, err := s.Views(ctx, c, m)
	if err != nil {
		return nil, err
	}
	var def any
	for _, v := range vs {
		if v.Default {
			def = v.ID
			break
		}
	}
	start := min((page-1)*perPage, len(vs))
	end := min(start+perPage, len(vs))
	sh, err := s.shaper(ctx, c, m, version)
	if err != nil {
		return nil, err
	}
	res := &Page{Info: map[string]any{
		"per_page": perPage, "default": def, "count": end - start, "translation": Translation,
		"page": page, "more_records": end < len(vs),
	}}
	for _, v := range vs[start:end] {
		res.Views = append(res.Views, sh.view(v, false))
	}
	return res, nil
}

// Get answers GET /settings/custom_views/{id}?module=: the full view (with criteria and fields) in the
// version's shape. A malformed id, or one naming no view of the module the caller may see, is
// ErrInvalidPathID.
func (s *Service) Get(ctx context.Context, c *crmd.Caller, m *crmd.Module, version int, rawID string) (map[string]any, error) {
	id, ok := crmd.ParseID(rawID)
	if !ok {
		return nil, ErrInvalidPathID()
	}
	if err := s.EnsureSystemViews(ctx, c.Org.ID, m); err != nil {
		return nil, err
	}
	v, err := s.Lookup(ctx, c, m, id)
	if err == ErrUnknownView {
		return nil, ErrInvalidPathID()
	}
	if err != nil {
		return nil, err
	}
	sh, err := s.shaper(ctx, c, m, version)
	if err != nil {
		return nil, err
	}
	return sh.view(v, true), nil
}
