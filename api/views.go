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
//   - Write results are per item under "custom_views" (201/200 all succeeded, 207 mixed, 400 all
//     failed); DELETE answers its single entry the same way, and its refusals (system view, someone
//     else's view) as request-level errors.
//   - GET /{module}?cvid= with an unknown cvid: 400 INVALID_DATA `the cvid given seems to be invalid`
//     {"param_name":"cvid"} (a query parameter, so param_name rather than mass delete's json_path).

import (
	"errors"
	"net/http"
	"strings"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/oauth"
	"github.com/crmd/crmd/views"
)

// maxViewsPerPage is the largest (and default) page of the list.
const maxViewsPerPage = 200

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
	page, perPage, perr := crmd.PageParams(r.URL.Query(), maxViewsPerPage)
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

// createViews serves POST /settings/custom_views?module=: 201 when every view was created.
func (s *Server) createViews(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	m, err := s.viewModule(r, rc, oauth.OpCreate)
	if err != nil {
		return err
	}
	body, err := s.writeBody(r)
	if err != nil {
		return err
	}
	outs, err := s.svc.Views.Create(r.Context(), rc.caller, m, body)
	if err != nil {
		return err
	}
	writeOutcomes(w, "custom_views", outs, http.StatusCreated)
	return nil
}

// updateViews serves PUT /settings/custom_views?module=, each item naming its view in "id".
func (s *Server) updateViews(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return s.putViews(w, r, rc, "")
}

// updateView serves PUT /settings/custom_views/{id}?module=.
func (s *Server) updateView(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return s.putViews(w, r, rc, rc.param("id"))
}

func (s *Server) putViews(w http.ResponseWriter, r *http.Request, rc *reqCtx, pathID string) error {
	m, err := s.viewModule(r, rc, oauth.OpUpdate)
	if err != nil {
		return err
	}
	if pathID != "" {
		// A malformed path id is refused before the body is read, like an unknown one would be.
		if _, err := viewPathID(rc); err != nil {
			return err
		}
	}
	body, err := s.writeBody(r)
	if err != nil {
		return err
	}
	outs, err := s.svc.Views.Update(r.Context(), rc.caller, m, pathID, body)
	if err != nil {
		return err
	}
	writeOutcomes(w, "custom_views", outs, http.StatusOK)
	return nil
}

// deleteView serves DELETE /settings/custom_views/{id}?module=.
func (s *Server) deleteView(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	m, err := s.viewModule(r, rc, oauth.OpDelete)
	if err != nil {
		return err
	}
	out, err := s.svc.Views.Delete(r.Context(), rc.caller, m, rc.param("id"))
	if err != nil {
		return err
	}
	writeOutcomes(w, "custom_views", []crmd.Outcome{out}, http.StatusOK)
	return nil
}
