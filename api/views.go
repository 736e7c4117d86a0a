package api

// Custom views handlers: /settings/custom_views. Reads follow each version's shape (views_shape.go);
// writes (POST, PUT, DELETE) are served under every version (D32). The rules of views live in
// package views; here are the request's decoding and the answers' shapes.
//
// Choices made where Zoho documents nothing (see also package views):
//   - A missing module parameter is 400 REQUIRED_PARAM_MISSING {"param_name":"module"}; an unknown one,
//     or one the version does not have, 400 INVALID_MODULE {"param_name":"module"}.
//   - Ids in the path that are malformed or name no view the caller may see: 400 INVALID_DATA `the id
//     given seems to be invalid` {"resource_path_index":2}.
//   - fields and sort_by name fields by api name, as strings or {"api_name"} objects; one the module
//     does not have is INVALID_DATA {"api_name":"fields"|"sort_by","json_path"}. A sort_by of "" clears
//     the sort, like null.
//   - Write results are per item under "custom_views" (201/200 all succeeded, 207 mixed, 400 all
//     failed); DELETE answers its single entry the same way, and its refusals (system view, someone
//     else's view) as request-level errors.
//   - GET /{module}?cvid= with an unknown cvid: 400 INVALID_DATA `the cvid given seems to be invalid`
//     {"param_name":"cvid"} (a query parameter, so param_name rather than mass delete's json_path).

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/criteria"
	"github.com/crmd/crmd/oauth"
	"github.com/crmd/crmd/views"
)

// Limits of the custom views API.
const (
	// maxViewsPerCall is how many views one create or update call may carry.
	maxViewsPerCall = 200
	// maxViewsPerPage is the largest (and default) page of the list.
	maxViewsPerPage = 200
)

// Success messages of the view writes.
const (
	msgViewCreated = "custom view created successfully"
	msgViewUpdated = "custom view updated successfully"
	msgViewDeleted = "custom view deleted successfully"
)

// errInvalidViewPath is the answer for a view id in the path (/settings/custom_views/{id}) that is
// malformed or names no view of the module the caller may see: segment 2 after /crm/{version}/.
func errInvalidViewPath() *crmd.Error {
	return crmd.E("INVALID_DATA", crmd.MsgInvalidID, crmd.D{"resource_path_index": 2})
}

// pathView maps the service's ErrUnknownView for the view of the path to errInvalidViewPath.
func pathView(err error) error {
	if errors.Is(err, views.ErrUnknownView) {
		return errInvalidViewPath()
	}
	return err
}

// viewPathID parses the {id} of the path.
func viewPathID(rc *reqCtx) (crmd.ID, error) {
	id, ok := crmd.ParseID(rc.param("id"))
	if !ok {
		return 0, errInvalidViewPath()
	}
	return id, nil
}

// viewWritten answers a view write that succeeded with msg and the view's id.
func viewWritten(msg string) func(*crmd.View) (string, map[string]any) {
	return func(v *crmd.View) (string, map[string]any) { return msg, map[string]any{"id": v.ID} }
}

// viewModule checks the token's custom views scope for op and resolves the module query parameter.
func (s *Server) viewModule(r *http.Request, rc *reqCtx, op string) (*crmd.Module, error) {
	if err := rc.require(oauth.Need{Family: "settings", Resource: "custom_views", Op: op}); err != nil {
		return nil, err
	}
	name := strings.TrimSpace(r.URL.Query().Get("module"))
	if name == "" {
		return nil, crmd.ErrParamMissing("module")
	}
	m, err := s.svc.Metadata.Module(r.Context(), rc.caller.Org.ID, name)
	if err != nil {
		return nil, err
	}
	if m == nil || !m.APISupported || (m.MinVersion > 0 && rc.version < m.MinVersion) {
		return nil, crmd.E("INVALID_MODULE", crmd.MsgInvalidModule, crmd.D{"param_name": "module"})
	}
	return m, nil
}

// listViews serves GET /settings/custom_views?module=: one page of the module's views the caller may
// see, system views first, with info {per_page, default (the cvid of the All view), count,
// translation, page, more_records}.
func (s *Server) listViews(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	m, err := s.viewModule(r, rc, oauth.OpRead)
	if err != nil {
		return err
	}
	page, perPage, perr := pageParams(r.URL.Query(), maxViewsPerPage)
	if perr != nil {
		return perr
	}
	vs, err := s.svc.Views.Views(r.Context(), rc.caller, m)
	if err != nil {
		return err
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
	sh, err := s.viewShaper(r.Context(), rc, m)
	if err != nil {
		return err
	}
	var items []map[string]any
	for _, v := range vs[start:end] {
		items = append(items, sh.view(v, false))
	}
	writeList(w, "custom_views", items, map[string]any{
		"per_page": perPage, "default": def, "count": end - start, "translation": viewTranslation,
		"page": page, "more_records": end < len(vs),
	})
	return nil
}

// getView serves GET /settings/custom_views/{id}?module=: the full view, with criteria and fields.
func (s *Server) getView(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	m, err := s.viewModule(r, rc, oauth.OpRead)
	if err != nil {
		return err
	}
	id, err := viewPathID(rc)
	if err != nil {
		return err
	}
	v, err := s.svc.Views.Get(r.Context(), rc.caller, m, id)
	if err != nil {
		return pathView(err)
	}
	sh, err := s.viewShaper(r.Context(), rc, m)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"custom_views": []map[string]any{sh.view(v, true)},
		"info":         map[string]any{"translation": viewTranslation},
	})
	return nil
}

// createViews serves POST /settings/custom_views?module=: body {"custom_views":[{name, criteria?,
// fields?, sort_by?, sort_order?, access_type?}, … ≤200]}; 201 when every view was created.
func (s *Server) createViews(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	m, err := s.viewModule(r, rc, oauth.OpCreate)
	if err != nil {
		return err
	}
	body, err := s.writeBody(r)
	if err != nil {
		return err
	}
	in, err := decodeViews(m, body, maxViewsPerCall, 0)
	if err != nil {
		return err
	}
	rs, err := s.svc.Views.Create(r.Context(), rc.caller, m, in)
	if err != nil {
		return err
	}
	writeResults(w, "custom_views", rs, http.StatusCreated, viewWritten(msgViewCreated))
	return nil
}

// updateViews serves PUT /settings/custom_views?module=, each item naming its view in "id".
func (s *Server) updateViews(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	m, err := s.viewModule(r, rc, oauth.OpUpdate)
	if err != nil {
		return err
	}
	body, err := s.writeBody(r)
	if err != nil {
		return err
	}
	return s.putViews(w, r, rc, m, body, maxViewsPerCall, 0)
}

// updateView serves PUT /settings/custom_views/{id}?module=: one item, whose "id", if given, must be
// the path's.
func (s *Server) updateView(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	m, err := s.viewModule(r, rc, oauth.OpUpdate)
	if err != nil {
		return err
	}
	// A malformed path id is refused before the body is read, an unknown one before the body is
	// looked at.
	id, err := viewPathID(rc)
	if err != nil {
		return err
	}
	body, err := s.writeBody(r)
	if err != nil {
		return err
	}
	if _, err := s.svc.Views.Lookup(r.Context(), rc.caller, m, id); err != nil {
		return pathView(err)
	}
	return s.putViews(w, r, rc, m, body, 1, id)
}

// putViews decodes an update body of at most limit items (pathID: the view of the path, 0 for none)
// and answers the service's results.
func (s *Server) putViews(w http.ResponseWriter, r *http.Request, rc *reqCtx, m *crmd.Module, body map[string]any, limit int, pathID crmd.ID) error {
	in, err := decodeViews(m, body, limit, pathID)
	if err != nil {
		return err
	}
	rs, err := s.svc.Views.Update(r.Context(), rc.caller, m, in)
	if err != nil {
		return err
	}
	writeResults(w, "custom_views", rs, http.StatusOK, viewWritten(msgViewUpdated))
	return nil
}

// deleteView serves DELETE /settings/custom_views/{id}?module=: the view is removed for good.
func (s *Server) deleteView(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	m, err := s.viewModule(r, rc, oauth.OpDelete)
	if err != nil {
		return err
	}
	id, err := viewPathID(rc)
	if err != nil {
		return err
	}
	if err := s.svc.Views.Delete(r.Context(), rc.caller, m, id); err != nil {
		return pathView(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"custom_views": []entry{successEntry(msgViewDeleted, map[string]any{"id": id})}})
	return nil
}

// decodeViews reads the custom_views array of a write body into the service's inputs. Like the
// records API reads data, a missing, null or empty array is MANDATORY_NOT_FOUND, another JSON type
// INVALID_DATA, more than limit items LIMIT_EXCEEDED. pathID is the view of PUT
// /settings/custom_views/{id}, 0 for the other writes.
func decodeViews(m *crmd.Module, body map[string]any, limit int, pathID crmd.ID) ([]views.Input, error) {
	raw, present := body["custom_views"]
	if !present || raw == nil {
		return nil, crmd.E("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, crmd.D{"api_name": "custom_views", "expected_data_type": "jsonarray"})
	}
	arr, ok := raw.([]any)
	if !ok {
		return nil, crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"api_name": "custom_views", "json_path": "$.custom_views", "expected_data_type": "jsonarray"})
	}
	if len(arr) == 0 {
		return nil, crmd.E("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, crmd.D{"api_name": "custom_views", "expected_data_type": "jsonarray"})
	}
	if len(arr) > limit {
		return nil, crmd.E("LIMIT_EXCEEDED", "limit exceeded", crmd.D{"limit": limit, "api_name": "custom_views", "json_path": "$.custom_views"})
	}
	in := make([]views.Input, len(arr))
	for i, item := range arr {
		in[i] = decodeView(m, item, i, pathID)
	}
	return in, nil
}

// decodeView decodes item pos of a write body. Every fault is left in the input for the service to
// answer in its turn (see views.Input).
func decodeView(m *crmd.Module, item any, pos int, pathID crmd.ID) views.Input {
	in := views.Input{Pos: pos}
	obj, ok := item.(map[string]any)
	if !ok {
		in.Err = crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"json_path": in.Path(""), "expected_data_type": "jsonobject"})
		return in
	}
	in.ID = viewKey(obj, "id", func(raw any) views.Key[crmd.ID] {
		s, _ := raw.(string)
		if n, isNum := raw.(json.Number); isNum {
			s = n.String()
		}
		id, ok := crmd.ParseID(s)
		if !ok || pathID != 0 && id != pathID {
			return views.Fault[crmd.ID](in.InvalidID())
		}
		return views.Set(id)
	})
	if pathID != 0 && (!in.ID.Given || in.ID.Null) {
		in.ID = views.Set(pathID)
	}
	in.Name = viewKey(obj, "name", func(raw any) views.Key[string] {
		s, ok := raw.(string)
		if !ok {
			return views.Fault[string](in.InvalidKey("name", crmd.D{"expected_data_type": "string"}))
		}
		return views.Set(s)
	})
	in.Criteria = viewKey(obj, "criteria", func(raw any) views.Key[*criteria.Node] {
		n, err := criteria.ParseAt(raw, m, in.Path("criteria"))
		if err != nil {
			if ce, ok := crmd.AsError(err); ok {
				return views.Fault[*criteria.Node](ce)
			}
			return views.Fault[*criteria.Node](in.InvalidKey("criteria", nil))
		}
		return views.Set(n)
	})
	in.Fields = viewKey(obj, "fields", func(raw any) views.Key[[]*crmd.Field] {
		arr, ok := raw.([]any)
		if !ok {
			return views.Fault[[]*crmd.Field](in.InvalidKey("fields", crmd.D{"expected_data_type": "jsonarray"}))
		}
		fields := make([]*crmd.Field, len(arr))
		for j, e := range arr {
			name, ok := refName(e)
			f := m.Field(name)
			if !ok || f == nil {
				return views.Fault[[]*crmd.Field](crmd.E("INVALID_DATA", crmd.MsgInvalidData,
					crmd.D{"api_name": "fields", "json_path": fmt.Sprintf("%s[%d]", in.Path("fields"), j)}))
			}
			fields[j] = f
		}
		return views.Set(fields)
	})
	in.SortBy = viewKey(obj, "sort_by", func(raw any) views.Key[*crmd.Field] {
		name, ok := refName(raw)
		f := m.Field(name)
		switch {
		case ok && name == "":
			return views.Null[*crmd.Field]() // "" clears the sort, like null
		case !ok || f == nil:
			return views.Fault[*crmd.Field](in.InvalidKey("sort_by", nil))
		}
		return views.Set(f)
	})
	// The service checks the values of the two enumerations; anything but a string is none of them.
	enum := func(raw any) views.Key[string] {
		s, _ := raw.(string)
		return views.Set(s)
	}
	in.SortOrder = viewKey(obj, "sort_order", enum)
	in.AccessType = viewKey(obj, "access_type", enum)
	return in
}

// viewKey decodes one key of an item: absent is the zero Key, null views.Null, any other value what
// decode makes of it.
func viewKey[T any](obj map[string]any, key string, decode func(raw any) views.Key[T]) views.Key[T] {
	raw, present := obj[key]
	switch {
	case !present:
		return views.Key[T]{}
	case raw == nil:
		return views.Null[T]()
	}
	return decode(raw)
}

// refName reads a field reference given as an api name or {"api_name": …}.
func refName(raw any) (string, bool) {
	switch x := raw.(type) {
	case string:
		return x, true
	case map[string]any:
		s, ok := x["api_name"].(string)
		return s, ok
	}
	return "", false
}
