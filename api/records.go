package api

// Records: GET/POST/PUT/DELETE /{module}, GET/PUT/DELETE /{module}/{id}, GET /{module}/deleted. The
// handlers resolve the module (which checks the token's scope for the verb), ask the records service
// whether the caller may act on the module at all (records.Allowed), decode the query and the body into
// the service's typed arguments, and encode its answers as Zoho's JSON for the request's version
// (records_shape.go).

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/oauth"
	"github.com/crmd/crmd/records"
)

// maxFields is how many api names the fields parameter may list.
const maxFields = 50

// recordMetaKeys are the keys a record carries besides its fields; `fields` may name them.
var recordMetaKeys = []string{"$approved", "$approval_state", "$editable", records.TerritoriesKey}

// writeBody reads a write request's JSON object; an empty body reads as {} so that the handler answers
// its own "data is missing" error.
func (s *Server) writeBody(r *http.Request) (map[string]any, error) {
	body, err := s.decodeObject(r)
	if err != nil {
		return nil, err
	}
	if body == nil {
		body = map[string]any{}
	}
	return body, nil
}

// recordsModule resolves the module of a records path, checking the token's modules scope for op, and
// asks the records service whether the caller may do verb on it at all.
func (s *Server) recordsModule(r *http.Request, rc *reqCtx, op, verb string) (*crmd.Module, error) {
	m, err := s.module(r.Context(), rc, op)
	if err != nil {
		return nil, err
	}
	if err := records.Allowed(rc.caller, m, verb); err != nil {
		return nil, err
	}
	return m, nil
}

// listRecords serves GET /{module}.
func (s *Server) listRecords(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	m, err := s.recordsModule(r, rc, oauth.OpRead, crmd.PermView)
	if err != nil {
		return err
	}
	q, perr := parseListQuery(m, rc.version, r.URL.Query())
	if perr != nil {
		return perr
	}
	if q.ModifiedAfter, perr = modifiedSince(r); perr != nil {
		return perr
	}
	p, err := s.svc.Records.List(r.Context(), rc.caller, m, *q)
	if err != nil {
		return err
	}
	data, err := pageRecords(m, p, rc, q.Fields)
	if err != nil {
		return err
	}
	writeFreshList(w, q.ModifiedAfter, "data", data, listInfo(p, rc))
	return nil
}

// pageRecords shapes a page's records, showing the fields asked (nil: every key).
func pageRecords(m *crmd.Module, p *records.Page, rc *reqCtx, fields []string) ([]map[string]any, error) {
	sh := recordShaper{m: m, users: p.Users, loc: rc.caller.Org.Location(), fields: fields, territories: p.Territories}
	data := make([]map[string]any, 0, len(p.Records))
	for _, rec := range p.Records {
		obj, err := sh.record(rec)
		if err != nil {
			return nil, err
		}
		data = append(data, obj)
	}
	return data, nil
}

// getRecord serves GET /{module}/{id}.
func (s *Server) getRecord(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	m, err := s.recordsModule(r, rc, oauth.OpRead, crmd.PermView)
	if err != nil {
		return err
	}
	id, ok := crmd.ParseID(rc.param("id"))
	if !ok {
		return records.ErrInvalidPathID()
	}
	var fields []string
	if raw, ok := queryParam(r.URL.Query(), "fields"); ok {
		var perr *crmd.Error
		if fields, perr = parseFields(m, raw); perr != nil {
			return perr
		}
	}
	since, perr := modifiedSince(r)
	if perr != nil {
		return perr
	}
	it, err := s.svc.Records.Get(r.Context(), rc.caller, m, id, fields)
	if err != nil {
		return err
	}
	if since != 0 && it.Record.ModifiedTime <= since {
		writeNotModified(w)
		return nil
	}
	sh := recordShaper{m: m, users: it.Users, loc: rc.caller.Org.Location(), fields: fields}
	if it.Territories != nil {
		sh.territories = map[crmd.ID][]crmd.RecordTerritory{it.Record.ID: it.Territories}
	}
	obj, err := sh.record(it.Record)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": []map[string]any{obj}})
	return nil
}

// insertRecords serves POST /{module}: 201 when every record was added.
func (s *Server) insertRecords(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	m, err := s.module(r.Context(), rc, oauth.OpCreate)
	if err != nil {
		return err
	}
	body, err := s.writeBody(r)
	if err != nil {
		return err
	}
	if err := records.Allowed(rc.caller, m, crmd.PermCreate); err != nil {
		return err
	}
	arr, derr := dataArray(body, records.MaxWrite)
	if derr != nil {
		return derr
	}
	entries := make([]records.Entry, len(arr))
	for i, raw := range arr {
		obj, _ := raw.(map[string]any)
		entries[i] = records.Entry{Pos: i, Values: obj}
	}
	res, err := s.svc.Records.Insert(r.Context(), rc.caller, m, entries)
	if err != nil {
		return err
	}
	writeRecordResults(w, rc, res, "record added", http.StatusCreated)
	return nil
}

// updateRecords serves PUT /{module}, each entry naming its record in "id".
func (s *Server) updateRecords(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return s.update(w, r, rc, "")
}

// updateRecord serves PUT /{module}/{id}.
func (s *Server) updateRecord(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return s.update(w, r, rc, rc.param("id"))
}

// update serves both updates. With a path id the body holds one entry, for that record; otherwise each
// entry names its record in "id", whose problems are the entry's own.
func (s *Server) update(w http.ResponseWriter, r *http.Request, rc *reqCtx, pathID string) error {
	m, err := s.module(r.Context(), rc, oauth.OpUpdate)
	if err != nil {
		return err
	}
	var target crmd.ID
	if pathID != "" {
		// A malformed path id is refused before the body is read, like an unknown one would be.
		id, ok := crmd.ParseID(pathID)
		if !ok {
			return records.ErrInvalidPathID()
		}
		target = id
	}
	body, err := s.writeBody(r)
	if err != nil {
		return err
	}
	if err := records.Allowed(rc.caller, m, crmd.PermEdit); err != nil {
		return err
	}
	limit := records.MaxWrite
	if target != 0 {
		limit = 1
	}
	arr, derr := dataArray(body, limit)
	if derr != nil {
		return derr
	}
	results := make([]crmd.Result[*crmd.Record], len(arr))
	var entries []records.Entry
	var at []int // the position in results of each entry passed on
	for i, raw := range arr {
		obj, _ := raw.(map[string]any)
		e := records.Entry{Pos: i, ID: target, Values: obj}
		if target == 0 && obj != nil {
			var ierr *crmd.Error
			if e.ID, ierr = entryID(obj, i); ierr != nil {
				results[i].Err = ierr
				continue
			}
		}
		entries = append(entries, e)
		at = append(at, i)
	}
	res, err := s.svc.Records.Update(r.Context(), rc.caller, m, entries)
	if err != nil {
		return err
	}
	for k, i := range at {
		results[i] = res.Results[k]
	}
	res.Results = results
	writeRecordResults(w, rc, res, "record updated", http.StatusOK)
	return nil
}

// entryID reads the "id" an update entry names its record by: missing or null is MANDATORY_NOT_FOUND,
// anything but an id (an object included) INVALID_DATA, each at the entry's json_path.
func entryID(obj map[string]any, i int) (crmd.ID, *crmd.Error) {
	path := recordJSONPath(i, "id")
	v, given := obj["id"]
	if !given || v == nil {
		return 0, crmd.E("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, crmd.D{"api_name": "id", "json_path": path})
	}
	if _, isObj := v.(map[string]any); !isObj {
		if id, ok := records.RefID(v); ok {
			return id, nil
		}
	}
	return 0, crmd.E("INVALID_DATA", crmd.MsgInvalidID, crmd.D{"api_name": "id", "json_path": path})
}

// deleteRecords serves DELETE /{module}?ids=…; wf_trigger is accepted and ignored (crmd runs no
// workflows).
func (s *Server) deleteRecords(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	m, err := s.module(r.Context(), rc, oauth.OpDelete)
	if err != nil {
		return err
	}
	ids, perr := parseDeleteIDs(r.URL.Query().Get("ids"))
	if perr != nil {
		return perr
	}
	return s.deleteRecordIDs(w, r, rc, m, ids)
}

// deleteRecord serves DELETE /{module}/{id}: the same soft delete with one id.
func (s *Server) deleteRecord(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	m, err := s.module(r.Context(), rc, oauth.OpDelete)
	if err != nil {
		return err
	}
	id, ok := crmd.ParseID(rc.param("id"))
	if !ok {
		return records.ErrInvalidPathID()
	}
	return s.deleteRecordIDs(w, r, rc, m, []crmd.ID{id})
}

// parseDeleteIDs reads the ids parameter of DELETE /{module}?ids=: a comma list of at most MaxDelete
// distinct ids, de-duplicated in first-seen order (D2). Missing or empty is REQUIRED_PARAM_MISSING, a
// malformed id UNABLE_TO_PARSE_DATA_TYPE, too many LIMIT_EXCEEDED.
func parseDeleteIDs(raw string) ([]crmd.ID, *crmd.Error) {
	return requiredIDs(raw, records.MaxDelete, "One of the expected parameter is missing")
}

func (s *Server) deleteRecordIDs(w http.ResponseWriter, r *http.Request, rc *reqCtx, m *crmd.Module, ids []crmd.ID) error {
	res, err := s.svc.Records.Delete(r.Context(), rc.caller, m, ids)
	if err != nil {
		return err
	}
	writeResults(w, "data", res, http.StatusOK, func(id crmd.ID) (string, map[string]any) {
		return "record deleted", map[string]any{"id": id}
	})
	return nil
}

// listDeleted serves GET /{module}/deleted.
func (s *Server) listDeleted(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	m, err := s.recordsModule(r, rc, oauth.OpRead, crmd.PermView)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	dq := records.DeletedQuery{Type: records.DeletedAll}
	if v, ok := queryParam(q, "type"); ok {
		switch v {
		case records.DeletedAll, records.DeletedRecycle, records.DeletedPermanent:
			dq.Type = v
		default:
			return crmd.E("PATTERN_NOT_MATCHED", crmd.MsgPatternNotMatch, crmd.D{"param_name": "type"})
		}
	}
	var perr *crmd.Error
	if dq.Page, dq.PerPage, perr = pageParams(q, records.MaxPerPage); perr != nil {
		return perr
	}
	if dq.DeletedAfter, perr = modifiedSince(r); perr != nil {
		return perr
	}
	p, err := s.svc.Records.ListDeleted(r.Context(), rc.caller, m, dq)
	if err != nil {
		return err
	}
	writeFreshList(w, dq.DeletedAfter, "data", deletedItems(p, rc.caller.Org.Location()),
		map[string]any{"per_page": p.PerPage, "count": len(p.Records), "page": p.Page, "more_records": p.More})
	return nil
}

// dataArray checks the `data` key of a write body: missing, null, or empty is MANDATORY_NOT_FOUND
// (Zoho's answer for a body without its records, D9 by analogy); not an array INVALID_DATA; more than
// limit entries LIMIT_EXCEEDED.
func dataArray(body map[string]any, limit int) ([]any, *crmd.Error) {
	raw, ok := body["data"]
	if !ok || raw == nil {
		return nil, crmd.E("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, crmd.D{"api_name": "data", "expected_data_type": "jsonarray"})
	}
	arr, ok := raw.([]any)
	if !ok {
		return nil, crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"api_name": "data", "json_path": "$.data", "expected_data_type": "jsonarray"})
	}
	if len(arr) == 0 {
		return nil, crmd.E("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, crmd.D{"api_name": "data", "expected_data_type": "jsonarray"})
	}
	if len(arr) > limit {
		return nil, crmd.E("LIMIT_EXCEEDED", "limit exceeded", crmd.D{"limit": limit, "api_name": "data", "json_path": "$.data"})
	}
	return arr, nil
}

// parseListQuery validates the query of GET /{module} in a fixed order, so that a request with several
// problems always gets the same answer.
func parseListQuery(m *crmd.Module, version int, q url.Values) (*records.ListQuery, *crmd.Error) {
	p := &records.ListQuery{Tokens: version >= 50, AnyFieldSort: version < 30}
	if raw, ok := queryParam(q, "fields"); ok {
		sel, err := parseFields(m, raw)
		if err != nil {
			return nil, err
		}
		p.Fields = sel
	} else if version >= 50 {
		return nil, crmd.ErrParamMissing("fields")
	}
	_, hasPage := queryParam(q, "page")
	if version >= 50 {
		p.PageToken, _ = queryParam(q, "page_token")
	}
	if p.PageToken != "" && hasPage {
		return nil, crmd.E("AMBIGUITY_DURING_PROCESSING", "ambiguity during processing",
			crmd.D{"ambiguity_due_to": []map[string]any{{"param_name": "page"}, {"param_name": "page_token"}}})
	}
	if v, ok := queryParam(q, "cvid"); ok {
		// A view brings its own order, so sort_by beside it is ambiguous (docs/records.md#list-parameters).
		if _, sorted := queryParam(q, "sort_by"); sorted {
			return nil, crmd.E("AMBIGUITY_DURING_PROCESSING", "ambiguity during processing",
				crmd.D{"ambiguity_due_to": []map[string]any{{"param_name": "cvid"}, {"param_name": "sort_by"}}})
		}
		id, good := crmd.ParseID(v)
		if !good {
			return nil, records.ErrInvalidCVID()
		}
		p.CVID = id
	}
	var err *crmd.Error
	if p.Page, p.PerPage, err = pageParams(q, records.MaxPerPage); err != nil {
		return nil, err
	}
	if raw, ok := queryParam(q, "sort_by"); ok {
		srt, good := records.SortOn(m, raw, p.AnyFieldSort)
		switch {
		case !good && version >= 30:
			return nil, crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"param_name": "sort_by", "supported_values": records.V3SortNames})
		case !good:
			return nil, crmd.ErrInvalidParam("sort_by")
		}
		p.Sort = srt
	}
	if v, ok := queryParam(q, "sort_order"); ok {
		switch o := strings.ToLower(v); o {
		case "asc", "desc":
			p.Order = o
		default:
			return nil, crmd.ErrInvalidParam("sort_order")
		}
	}
	if p.Approval, err = approvedParam(q); err != nil {
		return nil, err
	}
	if v, ok := queryParam(q, "ids"); ok {
		ids, good := splitIDs(v)
		if !good {
			return nil, crmd.ErrInvalidParam("ids")
		}
		if len(ids) > records.MaxDelete {
			return nil, crmd.E("LIMIT_EXCEEDED", "limit exceeded", crmd.D{"limit": records.MaxDelete, "param_name": "ids"})
		}
		p.IDs = ids
	}
	if p.Territory, p.IncludeChild, err = parseTerritoryParams(q); err != nil {
		return nil, err
	}
	if version >= 50 && p.PageToken == "" && p.Page*p.PerPage > records.DiscreteLimit {
		return nil, crmd.E("DISCRETE_PAGINATION_LIMIT_EXCEEDED", "You can only get the first 2000 records without using page_token param",
			crmd.D{"limit": records.DiscreteLimit})
	}
	return p, nil
}

// parseTerritoryParams reads territory_id (a territory id; malformed is INVALID_DATA {"param_name":
// "territory_id"}) and include_child (true or false, case-insensitively, default false; anything else is
// INVALID_DATA {"param_name":"include_child"}) of GET /{module}. include_child without territory_id is
// ignored. A territory id of 0 means none.
func parseTerritoryParams(q url.Values) (crmd.ID, bool, *crmd.Error) {
	raw, ok := queryParam(q, "territory_id")
	if !ok {
		return 0, false, nil
	}
	id, good := crmd.ParseID(raw)
	if !good {
		return 0, false, crmd.ErrInvalidParam("territory_id")
	}
	sub := false
	if v, ok := queryParam(q, "include_child"); ok {
		switch strings.ToLower(v) {
		case "true":
			sub = true
		case "false":
		default:
			return 0, false, crmd.ErrInvalidParam("include_child")
		}
	}
	return id, sub, nil
}

// parseFields reads the `fields` parameter: a comma list of api names of the module's fields (the
// system fields included), "id" and the meta keys. More than maxFields distinct names is
// LIMIT_EXCEEDED, checked before the names themselves; an unknown name is INVALID_DATA naming it, so
// that a typo does not silently come back as a missing key. Names match exactly or, failing that,
// case-insensitively, and come back canonical, de-duplicated, in the order given, without "id" (which
// every record carries anyway).
func parseFields(m *crmd.Module, raw string) ([]string, *crmd.Error) {
	var given []string
	distinct := map[string]bool{}
	for _, p := range strings.Split(raw, ",") {
		p = strings.TrimSpace(p)
		if p == "" || distinct[p] {
			continue
		}
		distinct[p] = true
		given = append(given, p)
	}
	if len(given) > maxFields {
		return nil, crmd.E("LIMIT_EXCEEDED", "limit exceeded", crmd.D{"limit": maxFields, "param_name": "fields"})
	}
	known := map[string]string{"id": "id"}
	folded := map[string]string{"id": "id"}
	for _, f := range m.Fields {
		known[f.APIName] = f.APIName
		folded[strings.ToLower(f.APIName)] = f.APIName
	}
	for _, k := range recordMetaKeys {
		known[k] = k
		folded[k] = k
	}
	out := []string{}
	seen := map[string]bool{}
	for _, p := range given {
		name, ok := known[p]
		if !ok {
			name, ok = folded[strings.ToLower(p)]
		}
		if !ok {
			return nil, crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"param_name": "fields", "api_name": p})
		}
		if name == "id" || seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, name)
	}
	return out, nil
}
