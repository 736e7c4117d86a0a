package api

// Recycle Bin handlers (docs/recycle-bin.md#recycle-bin-api), served from v6 on; older versions answer
// 400 API_NOT_SUPPORTED {"supported_version":6}. The rules live in package recyclebin, whose doc lists
// the choices made where Zoho is silent; here are Zoho's requests and answers:
//   - Scopes ZohoCRM.settings.recycle_bin.{READ,UPDATE,DELETE} (or ALL, or settings.ALL): the list, one
//     record and the count need READ; restore and empty UPDATE; permanent delete DELETE.
//   - The list reads sort_by, sort_order, ids (≤ 200), filters (recyclebin_filter.go), page and
//     per_page (docs/recycle-bin.md#list); an empty page answers 204. The count answers {"count":n}, 0
//     included; an unknown module parameter is INVALID_MODULE {"param_name":"module"}.
//   - A malformed id in a path is the request-level INVALID_DATA {"resource_path_index":2}, and so is a
//     well-formed one that GET /settings/recycle_bin/{id} does not find in the bin; the single-record
//     restore and delete answer that record's entry instead, like the others.
//   - A restore body holds exactly one of ids (≤ 200), filters and restore_all_records; a permanent
//     delete exactly one of ids (≤ 1,000) and filters in the query string (docs/recycle-bin.md#restore).
//   - Per-item answers are under "recycle_bin" (200 all succeeded, 207 mixed, 400 all failed); a
//     permanent delete refused for ownership is a CANNOT_DELETE entry of status success
//     (writeBinDeleted); work answered as scheduled is 202 with one SCHEDULED entry carrying the job
//     id; an empty done at once is the bare SUCCESS entry "recyclebin is cleared".

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/oauth"
	"github.com/crmd/crmd/recyclebin"
)

// Limits of the Recycle Bin API's requests.
const (
	// binMaxPerPage is the largest page of the list, and how many ids it may name; larger per_page
	// values are clamped.
	binMaxPerPage = 200
	// binMaxRestoreIDs and binMaxDeleteIDs are the service's bounds (Zoho answers up to 1,000 permanent
	// deletes synchronously), checked here first so that the error names the request's key.
	binMaxRestoreIDs = recyclebin.MaxRestoreIDs
	binMaxDeleteIDs  = recyclebin.MaxDeleteIDs
)

// Messages of the per-item answers.
const (
	binMsgRestored = "record restored successfully"
	binMsgDeleted  = "record deleted permanently"
	// binMsgEmptied is the message of Zoho's sample answer to an empty done at once (Empty Recycle Bin,
	// v8: https://www.zoho.com/crm/developer/docs/api/v8/empty-recycle-bin.html).
	binMsgEmptied = "recyclebin is cleared"
)

// binScheduledMsgs are the messages of the SCHEDULED entry, by the work scheduled.
var binScheduledMsgs = map[recyclebin.Work]string{
	recyclebin.WorkRestore: "restore of the records has been scheduled",
	recyclebin.WorkDelete:  "permanent delete of the records has been scheduled",
	recyclebin.WorkEmpty:   "emptying the recycle bin has been scheduled",
}

// binSortKeys maps sort_by to the service's sort keys.
var binSortKeys = map[string]string{
	"deleted_time": recyclebin.SortDeletedTime, "display_name": recyclebin.SortDisplayName, "deleted_by": recyclebin.SortDeletedBy,
}

// binRef is Zoho's {"name","id"} reference to a user.
type binRef struct {
	Name string  `json:"name"`
	ID   crmd.ID `json:"id"`
}

// binModuleRef is Zoho's {"api_name","id"} reference to a module.
type binModuleRef struct {
	APIName string  `json:"api_name"`
	ID      crmd.ID `json:"id"`
}

// binItemJSON is one record of the bin as the API shows it.
type binItemJSON struct {
	DisplayName string       `json:"display_name"`
	DeletedTime string       `json:"deleted_time"`
	Owner       binRef       `json:"owner"`
	Module      binModuleRef `json:"module"`
	DeletedBy   binRef       `json:"deleted_by"`
	ID          crmd.ID      `json:"id"`
}

// binUserRef references user id, with an empty name when the org has no such user (u nil).
func binUserRef(u *crmd.User, id crmd.ID) binRef {
	ref := binRef{ID: id}
	if u != nil {
		ref.Name = u.FullName()
	}
	return ref
}

// binItemsOut shapes records of the bin, their deletion times in the org's time zone.
func binItemsOut(items []recyclebin.Item, loc *time.Location) []binItemJSON {
	out := make([]binItemJSON, len(items))
	for i, it := range items {
		r := it.Record
		mod := binModuleRef{ID: r.ModuleID}
		if it.Module != nil {
			mod.APIName = it.Module.APIName
		}
		out[i] = binItemJSON{DisplayName: r.DisplayName, DeletedTime: crmd.FormatTime(r.DeletedTime, loc), Owner: binUserRef(it.Owner, r.OwnerID),
			Module: mod, DeletedBy: binUserRef(it.DeletedBy, r.DeletedBy), ID: r.ID}
	}
	return out
}

// binErrInvalidPathID is the answer for a path id that is malformed or not in the caller's bin.
func binErrInvalidPathID() *crmd.Error {
	return crmd.E("INVALID_DATA", crmd.MsgInvalidID, crmd.D{"resource_path_index": 2})
}

// binPathID reads the record id of the path.
func binPathID(rc *reqCtx) (crmd.ID, error) {
	id, ok := crmd.ParseID(rc.param("id"))
	if !ok {
		return 0, binErrInvalidPathID()
	}
	return id, nil
}

// binErrAmbiguous is the answer for a request that gives more than one of the ways to name records.
func binErrAmbiguous(given []string) *crmd.Error {
	return crmd.E("AMBIGUITY_DURING_PROCESSING", "ambiguity during processing", crmd.D{"ambiguity_due_to": given})
}

// binErrMissing is the answer for a request that gives none of the ways to name records.
func binErrMissing(params ...string) *crmd.Error {
	return crmd.E("EXPECTED_PARAM_MISSING", "one of the expected parameter is missing", crmd.D{"param_names": params})
}

// requireRecycleBin checks the token's recycle_bin scope for op.
func requireRecycleBin(rc *reqCtx, op string) error {
	return rc.require(oauth.Need{Family: "settings", Resource: "recycle_bin", Op: op})
}

// binModules are the caller's org's modules, against which filters resolve module names.
func (s *Server) binModules(ctx context.Context, rc *reqCtx) ([]*crmd.Module, error) {
	return s.svc.Metadata.Modules(ctx, rc.caller.Org.ID)
}

// writeBinResults answers a restore or permanent delete by ids: one entry per id, msg for those that
// succeeded.
func writeBinResults(w http.ResponseWriter, rs []crmd.Result[crmd.ID], msg string) {
	writeResults(w, "recycle_bin", rs, http.StatusOK, func(id crmd.ID) (string, map[string]any) {
		return msg, map[string]any{"id": id}
	})
}

// writeBinDeleted answers a permanent delete by ids. A record the caller may not delete (another
// user's, for a non-administrator) is not an error in Zoho's description of the call: zoho/crm-oas
// v8.0/recycle_bin.json lists CANNOT_DELETE among the codes of its success entries (status "success"),
// and its error entries are only REQUIRED_PARAM_MISSING, INVALID_DATA and
// CANNOT_RESTORE_WITHOUT_PARENT. So the service's NO_PERMISSION becomes that entry, and it counts as a
// success for the answer's status: 200 when every id was deleted or refused so, 207 beside an
// INVALID_DATA, 400 only when every id was invalid.
func writeBinDeleted(w http.ResponseWriter, rs []crmd.Result[crmd.ID]) {
	entries := resultEntries(rs, func(id crmd.ID) (string, map[string]any) {
		return binMsgDeleted, map[string]any{"id": id}
	})
	for i, r := range rs {
		if r.Err != nil && r.Err.Code == "NO_PERMISSION" {
			entries[i] = entry{Code: "CANNOT_DELETE", Details: r.Err.Details, Message: r.Err.Message, Status: "success"}
		}
	}
	writeJSON(w, multiStatus(entries, http.StatusOK), map[string]any{"recycle_bin": entries})
}

// writeBinScheduled answers work done as scheduled: 202 with one SCHEDULED entry carrying the job id.
func writeBinScheduled(w http.ResponseWriter, sch recyclebin.Scheduled) {
	writeJSON(w, http.StatusAccepted, map[string]any{"recycle_bin": []entry{{
		Code: "SCHEDULED", Details: map[string]any{"job_id": sch.JobID}, Message: binScheduledMsgs[sch.Work], Status: "success",
	}}})
}

// listRecycleBin serves GET /settings/recycle_bin.
func (s *Server) listRecycleBin(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := requireRecycleBin(rc, oauth.OpRead); err != nil {
		return err
	}
	q, err := s.binListQuery(r.Context(), rc, r.URL.Query())
	if err != nil {
		return err
	}
	p, err := s.svc.RecycleBin.List(r.Context(), rc.caller, q)
	if err != nil {
		return err
	}
	writeList(w, "recycle_bin", binItemsOut(p.Items, rc.caller.Org.Location()),
		map[string]any{"per_page": q.PerPage, "count": len(p.Items), "page": q.Page, "more_records": p.More})
	return nil
}

// binListQuery reads the list's parameters, checked in this order: sort_by, sort_order, ids, filters,
// page and per_page. The newest deletion comes first unless they say otherwise.
func (s *Server) binListQuery(ctx context.Context, rc *reqCtx, params url.Values) (recyclebin.Query, error) {
	q := recyclebin.Query{SortBy: recyclebin.SortDeletedTime, Desc: true}
	if v, ok := queryParam(params, "sort_by"); ok {
		key, known := binSortKeys[strings.ToLower(v)]
		if !known {
			return q, crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"param_name": "sort_by", "supported_values": []string{"display_name", "deleted_time", "deleted_by"}})
		}
		q.SortBy = key
	}
	if v, ok := queryParam(params, "sort_order"); ok {
		switch strings.ToLower(v) {
		case "asc":
			q.Desc = false
		case "desc":
		default:
			return q, crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"param_name": "sort_order", "supported_values": []string{"asc", "desc"}})
		}
	}
	if v, ok := queryParam(params, "ids"); ok {
		ids, valid := splitIDs(v)
		if !valid {
			return q, crmd.ErrInvalidParam("ids")
		}
		if len(ids) > binMaxPerPage {
			return q, crmd.E("LIMIT_EXCEEDED", "limit exceeded", crmd.D{"limit": binMaxPerPage, "param_name": "ids"})
		}
		q.IDs = ids
	}
	if v, ok := queryParam(params, "filters"); ok {
		mods, err := s.binModules(ctx, rc)
		if err != nil {
			return q, err
		}
		if q.Filter, err = parseBinFilterParam(v, mods); err != nil {
			return q, err
		}
	}
	var perr *crmd.Error
	if q.Page, q.PerPage, perr = pageParams(params, binMaxPerPage); perr != nil {
		return q, perr
	}
	return q, nil
}

// getRecycleBin serves GET /settings/recycle_bin/{id}.
func (s *Server) getRecycleBin(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := requireRecycleBin(rc, oauth.OpRead); err != nil {
		return err
	}
	id, err := binPathID(rc)
	if err != nil {
		return err
	}
	it, err := s.svc.RecycleBin.Get(r.Context(), rc.caller, id)
	if err != nil {
		return err
	}
	if it == nil {
		return binErrInvalidPathID()
	}
	writeJSON(w, http.StatusOK, map[string]any{"recycle_bin": binItemsOut([]recyclebin.Item{*it}, rc.caller.Org.Location())})
	return nil
}

// countRecycleBin serves GET /settings/recycle_bin/actions/count: the org's bin, of one module when
// the module parameter names one.
func (s *Server) countRecycleBin(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := requireRecycleBin(rc, oauth.OpRead); err != nil {
		return err
	}
	var moduleID crmd.ID
	if v, ok := queryParam(r.URL.Query(), "module"); ok {
		m, err := s.svc.Metadata.Module(r.Context(), rc.caller.Org.ID, v)
		if err != nil {
			return err
		}
		if m == nil || !m.APISupported {
			return crmd.E("INVALID_MODULE", crmd.MsgInvalidModule, crmd.D{"param_name": "module"})
		}
		moduleID = m.ID
	}
	n, err := s.svc.RecycleBin.Count(r.Context(), rc.caller, moduleID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": n})
	return nil
}

// restoreRecycleBin serves POST /settings/recycle_bin/actions/restore.
func (s *Server) restoreRecycleBin(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := requireRecycleBin(rc, oauth.OpUpdate); err != nil {
		return err
	}
	body, err := s.writeBody(r)
	if err != nil {
		return err
	}
	ids, filter, err := s.binRestoreBody(r.Context(), rc, body)
	if err != nil {
		return err
	}
	if ids != nil {
		rs, err := s.svc.RecycleBin.Restore(r.Context(), rc.caller, ids)
		if err != nil {
			return err
		}
		writeBinResults(w, rs, binMsgRestored)
		return nil
	}
	sch, err := s.svc.RecycleBin.RestoreMatching(r.Context(), rc.caller, filter)
	if err != nil {
		return err
	}
	writeBinScheduled(w, sch)
	return nil
}

// binRestoreBody reads a restore body, which holds exactly one of ids, filters and
// restore_all_records: the ids to restore, or else the filter of the records to restore (nil for
// restore_all_records). An empty ids array, a null filters and restore_all_records false count as not
// given.
func (s *Server) binRestoreBody(ctx context.Context, rc *reqCtx, body map[string]any) ([]crmd.ID, *recyclebin.Filter, error) {
	var given []string
	rawIDs, hasIDs := body["ids"]
	if arr, ok := rawIDs.([]any); hasIDs && (rawIDs == nil || ok && len(arr) == 0) {
		hasIDs = false
	}
	rawFilters, hasFilters := body["filters"]
	hasFilters = hasFilters && rawFilters != nil
	rawAll, hasAll := body["restore_all_records"]
	if hasAll {
		b, ok := rawAll.(bool)
		if !ok && rawAll != nil {
			return nil, nil, crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"api_name": "restore_all_records", "json_path": "$.restore_all_records", "expected_data_type": "boolean"})
		}
		hasAll = b
	}
	if hasFilters {
		given = append(given, "filters")
	}
	if hasIDs {
		given = append(given, "ids")
	}
	if hasAll {
		given = append(given, "restore_all_records")
	}
	switch {
	case len(given) == 0:
		return nil, nil, binErrMissing("filters", "ids", "restore_all_records")
	case len(given) > 1:
		return nil, nil, binErrAmbiguous(given)
	case hasIDs:
		ids, err := binBodyIDs(rawIDs)
		return ids, nil, err
	case hasFilters:
		mods, err := s.binModules(ctx, rc)
		if err != nil {
			return nil, nil, err
		}
		filter, err := parseBinFilter(rawFilters, mods, "$.filters", false)
		return nil, filter, err
	default: // restore_all_records
		return nil, nil, nil
	}
}

// binBodyIDs reads the ids array of a restore body: at most binMaxRestoreIDs distinct ids (strings of
// digits or JSON numbers), de-duplicated in first-seen order. A malformed element rejects the whole
// request.
func binBodyIDs(raw any) ([]crmd.ID, error) {
	arr, ok := raw.([]any)
	if !ok {
		return nil, crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"api_name": "ids", "json_path": "$.ids", "expected_data_type": "jsonarray"})
	}
	seen := make(map[crmd.ID]bool, len(arr))
	var ids []crmd.ID
	for i, v := range arr {
		id, ok := binID(v)
		if _, isObj := v.(map[string]any); isObj {
			ok = false
		}
		if !ok {
			return nil, crmd.E("INVALID_DATA", crmd.MsgInvalidID, crmd.D{"api_name": "ids", "json_path": "$.ids[" + strconv.Itoa(i) + "]", "id": v})
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) > binMaxRestoreIDs {
		return nil, crmd.E("LIMIT_EXCEEDED", "limit exceeded", crmd.D{"limit": binMaxRestoreIDs, "api_name": "ids", "json_path": "$.ids"})
	}
	return ids, nil
}

// restoreRecycleBinOne serves POST /settings/recycle_bin/{id}/actions/restore.
func (s *Server) restoreRecycleBinOne(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := requireRecycleBin(rc, oauth.OpUpdate); err != nil {
		return err
	}
	id, err := binPathID(rc)
	if err != nil {
		return err
	}
	rs, err := s.svc.RecycleBin.Restore(r.Context(), rc.caller, []crmd.ID{id})
	if err != nil {
		return err
	}
	writeBinResults(w, rs, binMsgRestored)
	return nil
}

// deleteRecycleBin serves DELETE /settings/recycle_bin?ids=… (≤ binMaxDeleteIDs, per id) or
// ?filters=… (202).
func (s *Server) deleteRecycleBin(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := requireRecycleBin(rc, oauth.OpDelete); err != nil {
		return err
	}
	q := r.URL.Query()
	rawIDs, hasIDs := queryParam(q, "ids")
	rawFilters, hasFilters := queryParam(q, "filters")
	switch {
	case hasIDs && hasFilters:
		return binErrAmbiguous([]string{"filters", "ids"})
	case hasIDs:
		ids, perr := requiredIDs(rawIDs, binMaxDeleteIDs, crmd.MsgParamMissing)
		if perr != nil {
			return perr
		}
		rs, err := s.svc.RecycleBin.Delete(r.Context(), rc.caller, ids)
		if err != nil {
			return err
		}
		writeBinDeleted(w, rs)
		return nil
	case hasFilters:
		mods, err := s.binModules(r.Context(), rc)
		if err != nil {
			return err
		}
		filter, err := parseBinFilterParam(rawFilters, mods)
		if err != nil {
			return err
		}
		sch, err := s.svc.RecycleBin.DeleteMatching(r.Context(), rc.caller, filter)
		if err != nil {
			return err
		}
		writeBinScheduled(w, sch)
		return nil
	}
	return binErrMissing("filters", "ids")
}

// deleteRecycleBinOne serves DELETE /settings/recycle_bin/{id}.
func (s *Server) deleteRecycleBinOne(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := requireRecycleBin(rc, oauth.OpDelete); err != nil {
		return err
	}
	id, err := binPathID(rc)
	if err != nil {
		return err
	}
	rs, err := s.svc.RecycleBin.Delete(r.Context(), rc.caller, []crmd.ID{id})
	if err != nil {
		return err
	}
	writeBinDeleted(w, rs)
	return nil
}

// emptyRecycleBin serves POST /settings/recycle_bin/actions/empty: one SUCCESS entry when the bin was
// emptied at once, else the SCHEDULED entry.
func (s *Server) emptyRecycleBin(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := requireRecycleBin(rc, oauth.OpUpdate); err != nil {
		return err
	}
	sch, err := s.svc.RecycleBin.Empty(r.Context(), rc.caller)
	if err != nil {
		return err
	}
	if sch != nil {
		writeBinScheduled(w, *sch)
		return nil
	}
	// Zoho's sample answer is the bare entry, not an array under "recycle_bin" (Empty Recycle Bin, v8).
	writeJSON(w, http.StatusOK, successEntry(binMsgEmptied, map[string]any{}))
	return nil
}
