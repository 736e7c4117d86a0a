package api

// Zoho's Notifications API, /crm/{version}/actions/watch (docs/notifications.md#crmd): POST enables
// (or renews) channels, GET lists them, PUT replaces, PATCH changes some keys or, with
// "_delete_events": true, unsubscribes events, DELETE disables whole channels. This file decodes the
// `watch` objects into notify.Spec and shapes the answers; package notify holds the rules.
//
// The order of checks, so that each answer is deterministic:
//  1. the token, then the scope ZohoCRM.notifications.{ALL|WRITE|CREATE} (POST), {ALL|READ} (GET),
//     {ALL|WRITE|UPDATE} (PUT, PATCH), {ALL|WRITE|DELETE} (DELETE) → 401 OAUTH_SCOPE_MISMATCH, before
//     the body is read. Any user of the org with the scope may manage the org's channels: Zoho ties
//     them to no profile permission.
//  2. the body: not a JSON object, no `watch` array, an empty one or one of more than maxWatch objects
//     is a request-level error (400);
//  3. each object: its keys' types and notify_url (webhook.CheckURL), then the rules of package notify.
//     Each object's error is its own entry in the `watch` answer.
//
// Statuses: every entry a success → 201 (POST) or 200; mixed → 207; every entry an error → 202, as
// Zoho's OpenAPI description answers per-item errors (the SDKs read a 202 as a list of per-item
// answers; a 400 would be read as one request-level error).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/notify"
	"github.com/crmd/crmd/oauth"
	"github.com/crmd/crmd/webhook"
)

// maxWatch is the most channels one request may carry (Zoho documents no limit; crmd takes as many as
// its records APIs take records).
const maxWatch = 100

// maxWatchPerPage is GET's largest page, and its default.
const maxWatchPerPage = 200

// Zoho's success messages of the channels API.
const (
	msgSubscribed   = "Successfully subscribed for actions-watch of the given module"
	msgUpdated      = "Successfully updated the subscribe details"
	msgRemoved      = "Successfully removed the subscribe details"
	msgUnsubscribed = "Successfully un-subscribed from actions-watch"
)

// watchOptions are the request version's limits: channel_expiry up to one day in v2–v3 and one week
// from v4 (Kaizen #170), and the modules the version has.
func watchOptions(rc *reqCtx) notify.Options {
	maxExp := 7 * 24 * time.Hour
	if rc.version < 40 {
		maxExp = 24 * time.Hour
	}
	v := rc.version
	return notify.Options{MaxExpiry: maxExp, APIVersion: v,
		Visible: func(m *crmd.Module) bool { return m.MinVersion == 0 || v >= m.MinVersion }}
}

func (rc *reqCtx) requireNotifications(op string) error {
	return rc.require(oauth.Need{Family: "notifications", Op: op})
}

// enableWatch serves POST /actions/watch.
func (s *Server) enableWatch(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return s.writeWatch(w, r, rc, oauth.OpCreate, http.StatusCreated, s.svc.Notify.Enable)
}

// replaceWatch serves PUT /actions/watch.
func (s *Server) replaceWatch(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return s.writeWatch(w, r, rc, oauth.OpUpdate, http.StatusOK, s.svc.Notify.Replace)
}

// patchWatch serves PATCH /actions/watch.
func (s *Server) patchWatch(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return s.writeWatch(w, r, rc, oauth.OpUpdate, http.StatusOK, s.svc.Notify.Patch)
}

type watchWriter func(ctx context.Context, c *crmd.Caller, specs []notify.Spec, o notify.Options) ([]crmd.Result[*notify.Subscribed], error)

// writeWatch decodes the body, hands the well-formed objects to the service, and answers one entry
// per object in input order.
func (s *Server) writeWatch(w http.ResponseWriter, r *http.Request, rc *reqCtx, op string, ok int, call watchWriter) error {
	if err := rc.requireNotifications(op); err != nil {
		return err
	}
	body, err := s.decodeObject(r)
	if err != nil {
		return err
	}
	arr, werr := watchArray(body)
	if werr != nil {
		return werr
	}
	entries := make([]entry, len(arr))
	var specs []notify.Spec
	var at []int // specs[k] is arr[at[k]]
	for i, raw := range arr {
		sp, perr := s.parseWatchItem(rc, r.Method, i, raw)
		if perr != nil {
			entries[i] = errorEntry(perr)
			continue
		}
		specs = append(specs, sp)
		at = append(at, i)
	}
	if len(specs) > 0 {
		res, err := call(r.Context(), rc.caller, specs, watchOptions(rc))
		if err != nil {
			return err
		}
		for k, rs := range res {
			if !rs.OK() {
				entries[at[k]] = errorEntry(rs.Err)
				continue
			}
			entries[at[k]] = s.subscribedEntry(rc, r.Method, rs.Value)
		}
	}
	writeJSON(w, watchStatus(entries, ok), map[string]any{"watch": entries})
	return nil
}

// watchStatus is the status of a watch answer: ok when every entry succeeded, 207 when mixed, 202
// when none did (Zoho's OpenAPI description).
func watchStatus(entries []entry, ok int) int {
	st := multiStatus(entries, ok)
	if st == http.StatusBadRequest {
		return http.StatusAccepted
	}
	return st
}

func (s *Server) subscribedEntry(rc *reqCtx, method string, v *notify.Subscribed) entry {
	msg := msgSubscribed
	switch {
	case v.Removed:
		msg = msgRemoved
	case method == http.MethodPatch:
		msg = msgUpdated
	}
	loc := rc.caller.Org.Location()
	events := make([]map[string]any, 0, len(v.Modules))
	for _, m := range v.Modules {
		ev := map[string]any{
			"resource_uri":  s.resourceURI(rc, m),
			"resource_id":   m.ID.String(),
			"resource_name": m.APIName,
			"channel_id":    strconv.FormatInt(v.Channel.ChannelID, 10),
		}
		switch {
		case !v.Removed:
			ev["channel_expiry"] = crmd.FormatTime(v.Channel.Expiry, loc)
		case rc.version >= 80:
			ev["channel_expiry"] = nil
		}
		// v8's OpenAPI description requires notification_condition in every event entry (null when
		// the module has none); the v6 and v7 pages' samples have no such key.
		if rc.version >= 80 {
			var cond *crmd.FieldSelection
			for _, e := range v.Channel.Events {
				if e.ModuleID == m.ID && e.Condition != nil && !v.Removed {
					cond = e.Condition
				}
			}
			ev["notification_condition"] = conditionJSON(m, cond)
		}
		events = append(events, ev)
	}
	return successEntry(msg, map[string]any{"events": events})
}

// resourceURI is {api-domain}/crm/{request's version}/{Module}, as Zoho's answers and callbacks name a
// module.
func (s *Server) resourceURI(rc *reqCtx, m *crmd.Module) string {
	return strings.TrimRight(s.auth.BaseURL, "/") + "/crm/" + rc.param("version") + "/" + m.APIName
}

// watchArray is the body's `watch` array.
func watchArray(body map[string]any) ([]any, *crmd.Error) {
	raw, ok := body["watch"]
	if !ok || raw == nil {
		return nil, crmd.E("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, crmd.D{"api_name": "watch", "json_path": "$.watch", "expected_data_type": "jsonarray"})
	}
	arr, ok := raw.([]any)
	if !ok {
		return nil, crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"api_name": "watch", "json_path": "$.watch", "expected_data_type": "jsonarray"})
	}
	if len(arr) == 0 {
		return nil, crmd.E("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, crmd.D{"api_name": "watch", "json_path": "$.watch", "expected_data_type": "jsonarray"})
	}
	if len(arr) > maxWatch {
		return nil, crmd.E("LIMIT_EXCEEDED", "limit exceeded", crmd.D{"limit": maxWatch, "api_name": "watch", "json_path": "$.watch"})
	}
	return arr, nil
}

func badType(api, path, typ string) *crmd.Error {
	return crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"api_name": api, "json_path": path, "expected_data_type": typ})
}

// parseLong reads a positive long given as a JSON integer or a string of digits (the newer SDKs send
// channel_id as a string, the older ones as a number).
func parseLong(v any) (int64, bool) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = strings.TrimSpace(x)
	default:
		return 0, false
	}
	// A channel id has the form of a record id: 1 to 19 digits, positive, within an int64.
	id, ok := crmd.ParseID(s)
	return int64(id), ok
}

// present returns a key's value; a JSON null counts as absent.
func present(obj map[string]any, key string) (any, bool) {
	v, ok := obj[key]
	return v, ok && v != nil
}

// parseWatchItem decodes one `watch` object into a Spec, or the object's error.
func (s *Server) parseWatchItem(rc *reqCtx, method string, i int, raw any) (notify.Spec, *crmd.Error) {
	sp := notify.Spec{Pos: i}
	obj, ok := raw.(map[string]any)
	if !ok {
		return sp, badType("watch", fmt.Sprintf("$.watch[%d]", i), "jsonobject")
	}
	path := func(key string) string { return fmt.Sprintf("$.watch[%d].%s", i, key) }
	if v, ok := present(obj, "channel_id"); ok {
		id, ok := parseLong(v)
		if !ok {
			return sp, badType("channel_id", path("channel_id"), "long")
		}
		sp.ChannelID = id
	}
	str := func(key string, dst **string) *crmd.Error {
		v, ok := present(obj, key)
		if !ok {
			return nil
		}
		x, ok := v.(string)
		if !ok {
			return badType(key, path(key), "string")
		}
		*dst = &x
		return nil
	}
	boolean := func(key string, dst **bool) *crmd.Error {
		v, ok := present(obj, key)
		if !ok {
			return nil
		}
		x, ok := v.(bool)
		if !ok {
			return badType(key, path(key), "boolean")
		}
		*dst = &x
		return nil
	}
	if method == http.MethodPatch {
		var del *bool
		if e := boolean("_delete_events", &del); e != nil {
			return sp, e
		}
		sp.DeleteEvents = del != nil && *del
	}
	if v, ok := present(obj, "events"); ok {
		arr, ok := v.([]any)
		if !ok {
			return sp, badType("events", path("events"), "jsonarray")
		}
		sp.Events = make([]string, len(arr))
		for j, e := range arr {
			x, ok := e.(string)
			if !ok {
				return sp, badType("events", fmt.Sprintf("%s[%d]", path("events"), j), "string")
			}
			sp.Events[j] = x
		}
	}
	if sp.DeleteEvents {
		// An unsubscribe reads only channel_id and events; other keys are left as they are.
		return sp, nil
	}
	if e := str("notify_url", &sp.NotifyURL); e != nil {
		return sp, e
	}
	if sp.NotifyURL != nil {
		if err := webhook.CheckURL(*sp.NotifyURL, s.cfg.NotifyAllowPrivate); err != nil {
			reason := strings.TrimPrefix(strings.TrimPrefix(err.Error(), webhook.ErrURL.Error()), ": ")
			if !errors.Is(err, webhook.ErrURL) {
				reason = "the URL is not valid"
			}
			return sp, crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"api_name": "notify_url", "json_path": path("notify_url"), "reason": reason})
		}
	}
	if e := str("token", &sp.Token); e != nil {
		return sp, e
	}
	var exp *string
	if e := str("channel_expiry", &exp); e != nil {
		return sp, badType("channel_expiry", path("channel_expiry"), "datetime")
	}
	if exp != nil {
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(*exp))
		if err != nil {
			return sp, badType("channel_expiry", path("channel_expiry"), "datetime")
		}
		sp.Expiry = &t
	}
	if e := boolean("notify_on_related_action", &sp.RelatedAction); e != nil {
		return sp, e
	}
	if e := boolean("return_affected_field_values", &sp.ReturnValues); e != nil {
		return sp, e
	}
	if v, given := obj["notification_condition"]; given {
		if rc.version < 60 {
			// Zoho introduced notification_condition in v6; an older call that sends one would get
			// notifications it did not ask for if crmd dropped it silently.
			return sp, crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"api_name": "notification_condition",
				"json_path": path("notification_condition"), "reason": "notification_condition is supported from v6"})
		}
		sp.HasConditions = true
		if v != nil {
			arr, ok := v.([]any)
			if !ok {
				return sp, badType("notification_condition", path("notification_condition"), "jsonarray")
			}
			for j, c := range arr {
				cond, e := parseCondition(fmt.Sprintf("%s[%d]", path("notification_condition"), j), c)
				if e != nil {
					return sp, e
				}
				sp.Conditions = append(sp.Conditions, cond)
			}
		}
	}
	return sp, nil
}

func condMissing(api, path string) *crmd.Error {
	return crmd.E("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, crmd.D{"api_name": api, "json_path": path})
}

// parseRef reads {api_name, id} of a module or field reference at path.
func parseRef(path string, v any) (notify.Ref, *crmd.Error) {
	ref := notify.Ref{Path: path}
	obj, ok := v.(map[string]any)
	if !ok {
		return ref, nil // the caller reports the wrong type under its own name
	}
	if n, ok := present(obj, "api_name"); ok {
		s, ok := n.(string)
		if !ok {
			return ref, badType("api_name", path+".api_name", "string")
		}
		ref.APIName = strings.TrimSpace(s)
	}
	if n, ok := present(obj, "id"); ok {
		id, ok := parseLong(n)
		if !ok {
			return ref, badType("id", path+".id", "long")
		}
		ref.ID = crmd.ID(id)
	}
	return ref, nil
}

// parseCondition decodes one notification_condition element: its structure, type and group
// operators; the module and fields are resolved by package notify.
func parseCondition(path string, v any) (notify.Condition, *crmd.Error) {
	c := notify.Condition{Path: path}
	obj, ok := v.(map[string]any)
	if !ok {
		return c, badType("notification_condition", path, "jsonobject")
	}
	t, hasType := present(obj, "type")
	fs, hasFS := present(obj, "field_selection")
	switch {
	case !hasType && hasFS:
		return c, crmd.E("DEPENDENT_FIELD_MISSING", "DEPENDENT_FIELD_MISSING", crmd.D{"api_name": "field_selection",
			"json_path": path + ".field_selection", "dependee": map[string]any{"api_name": "type", "json_path": path + ".type"}})
	case !hasType:
		return c, condMissing("type", path+".type")
	}
	ts, ok := t.(string)
	if !ok {
		return c, badType("type", path+".type", "text")
	}
	if ts != "field_selection" {
		return c, crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"api_name": "type", "json_path": path + ".type", "supported_values": []string{"field_selection"}})
	}
	m, ok := present(obj, "module")
	if !ok {
		return c, condMissing("module", path+".module")
	}
	if _, ok := m.(map[string]any); !ok {
		return c, badType("module", path+".module", "jsonobject")
	}
	ref, e := parseRef(path+".module", m)
	if e != nil {
		return c, e
	}
	c.Module = ref
	if !hasFS {
		return c, condMissing("field_selection", path+".field_selection")
	}
	count := 0
	sel, e := parseSelection(path+".field_selection", fs, 1, &count)
	if e != nil {
		return c, e
	}
	if count > notify.MaxConditionFields {
		return c, crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"api_name": "field_selection", "json_path": path + ".field_selection",
			"maximum_length": notify.MaxConditionFields})
	}
	c.Selection = sel
	return c, nil
}

// parseSelection decodes a field_selection node at depth (1 = the field_selection itself): a leaf
// {"field":{…}} or a group {group_operator, group}. Groups nest at most two levels (Zoho's sample has
// a group inside the top group, whose elements are fields); count adds up the leaves.
func parseSelection(path string, v any, depth int, count *int) (notify.Selection, *crmd.Error) {
	var sel notify.Selection
	obj, ok := v.(map[string]any)
	if !ok {
		name := "group"
		if depth == 1 {
			name = "field_selection"
		}
		return sel, badType(name, path, "jsonobject")
	}
	if f, ok := present(obj, "field"); ok {
		if _, ok := f.(map[string]any); !ok {
			return sel, badType("field", path+".field", "jsonobject")
		}
		ref, e := parseRef(path+".field", f)
		if e != nil {
			return sel, e
		}
		*count++
		sel.Field = &ref
		return sel, nil
	}
	op, ok := present(obj, "group_operator")
	if !ok {
		if _, hasGroup := present(obj, "group"); !hasGroup {
			return sel, condMissing("field", path+".field")
		}
		return sel, condMissing("group_operator", path+".group_operator")
	}
	ops, ok := op.(string)
	if !ok {
		return sel, badType("group_operator", path+".group_operator", "text")
	}
	ops = strings.ToLower(ops)
	if ops != "and" && ops != "or" {
		return sel, crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"api_name": "group_operator", "json_path": path + ".group_operator",
			"supported_values": []string{"or", "and"}})
	}
	if depth > 2 {
		return sel, crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"api_name": "group", "json_path": path,
			"reason": "groups nest at most two levels"})
	}
	sel.Operator = ops
	g, ok := present(obj, "group")
	if !ok {
		return sel, condMissing("group", path+".group")
	}
	arr, ok := g.([]any)
	if !ok || len(arr) == 0 {
		return sel, badType("group", path+".group", "jsonarray")
	}
	for k, el := range arr {
		child, e := parseSelection(fmt.Sprintf("%s.group[%d]", path, k), el, depth+1, count)
		if e != nil {
			return sel, e
		}
		sel.Group = append(sel.Group, child)
	}
	return sel, nil
}

// getWatch serves GET /actions/watch: one entry per channel and module.
func (s *Server) getWatch(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := rc.requireNotifications(oauth.OpRead); err != nil {
		return err
	}
	q := r.URL.Query()
	page, perPage, perr := pageParams(q, maxWatchPerPage)
	if perr != nil {
		return perr
	}
	nq := notify.Query{Page: page, PerPage: perPage}
	if v, ok := queryParam(q, "channel_id"); ok {
		id, ok := parseLong(v)
		if !ok {
			return crmd.ErrInvalidParam("channel_id")
		}
		nq.ChannelID = id
	}
	if v, ok := queryParam(q, "module"); ok {
		m, err := s.svc.Metadata.Module(r.Context(), rc.caller.Org.ID, v)
		if err != nil {
			return err
		}
		if m == nil || !m.APISupported || (m.MinVersion > 0 && rc.version < m.MinVersion) {
			return crmd.ErrInvalidParam("module")
		}
		nq.ModuleID = m.ID
	}
	p, err := s.svc.Notify.Get(r.Context(), rc.caller, nq)
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(p.Entries))
	for i, e := range p.Entries {
		items[i] = s.watchItem(rc, e)
	}
	writeList(w, "watch", items, map[string]any{"per_page": perPage, "count": len(items), "page": page, "more_records": p.More})
	return nil
}

// watchItem is one GET entry.
func (s *Server) watchItem(rc *reqCtx, e notify.Entry) map[string]any {
	ch, m := e.Channel, e.Module
	var events []string
	var cond *crmd.FieldSelection
	for _, ev := range e.Events {
		if ev.Condition != nil {
			cond = ev.Condition
		}
		if ev.Operation == crmd.EventAll {
			// Zoho lists a module's "all" as its three events, in this order.
			events = append(events, m.APIName+".edit", m.APIName+".create", m.APIName+".delete")
		} else {
			events = append(events, m.APIName+"."+ev.Operation)
		}
	}
	var token any
	if ch.Token != "" {
		token = ch.Token
	}
	item := map[string]any{
		"channel_id":                   strconv.FormatInt(ch.ChannelID, 10),
		"events":                       events,
		"notify_url":                   ch.NotifyURL,
		"token":                        token,
		"channel_expiry":               crmd.FormatTime(ch.Expiry, rc.caller.Org.Location()),
		"resource_uri":                 s.resourceURI(rc, m),
		"resource_id":                  m.ID.String(),
		"resource_name":                m.APIName,
		"notify_on_related_action":     ch.RelatedAction,
		"return_affected_field_values": ch.ReturnValues,
		"fields":                       nil,
	}
	if rc.version >= 60 {
		item["notification_condition"] = conditionJSON(m, cond)
	}
	return item
}

// conditionJSON is a module's notification_condition as Zoho lists it: null for none.
func conditionJSON(m *crmd.Module, cond *crmd.FieldSelection) any {
	if cond == nil {
		return nil
	}
	return []any{map[string]any{
		"type":            "field_selection",
		"module":          map[string]any{"api_name": m.APIName, "id": m.ID.String()},
		"field_selection": selectionJSON(m, cond),
	}}
}

// selectionJSON renders a stored field selection as GET shows it: leaves with null group keys.
func selectionJSON(m *crmd.Module, f *crmd.FieldSelection) map[string]any {
	if f.Field != "" {
		ref := map[string]any{"api_name": f.Field}
		if fl := m.Field(f.Field); fl != nil {
			ref["id"] = fl.ID.String()
		}
		return map[string]any{"field": ref, "group_operator": nil, "group": nil}
	}
	group := make([]any, len(f.Group))
	for i := range f.Group {
		group[i] = selectionJSON(m, &f.Group[i])
	}
	return map[string]any{"group_operator": f.Operator, "group": group}
}

// deleteWatch serves DELETE /actions/watch?channel_ids=…: one entry per channel and module disabled.
func (s *Server) deleteWatch(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := rc.requireNotifications(oauth.OpDelete); err != nil {
		return err
	}
	// The SDKs join repeated parameters with commas; a client that repeats channel_ids is read alike.
	raw := strings.TrimSpace(strings.Join(r.URL.Query()["channel_ids"], ","))
	if strings.Trim(raw, ", ") == "" {
		return crmd.ErrParamMissing("channel_ids")
	}
	var ids []int64
	seen := map[int64]bool{}
	for _, p := range strings.Split(raw, ",") {
		id, ok := parseLong(p)
		if !ok {
			return crmd.ErrInvalidParam("channel_ids")
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) > maxWatch {
		return crmd.E("LIMIT_EXCEEDED", "limit exceeded", crmd.D{"limit": maxWatch, "param_name": "channel_ids"})
	}
	res, err := s.svc.Notify.Disable(r.Context(), rc.caller, ids)
	if err != nil {
		return err
	}
	entries := resultEntries(res, func(u notify.Unsubscribed) (string, map[string]any) {
		return msgUnsubscribed, map[string]any{
			"resource_uri": s.resourceURI(rc, u.Module),
			"resource_id":  u.Module.ID.String(),
			"channel_id":   strconv.FormatInt(u.ChannelID, 10),
		}
	})
	writeJSON(w, watchStatus(entries, http.StatusOK), map[string]any{"watch": entries})
	return nil
}
