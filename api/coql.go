package api

// COQL: POST /crm/{version}/coql with {"select_query": "…"} (docs/coql.md). The handler checks the
// ZohoCRM.coql scope, parses the query (package coql), resolves its module and the modules its lookups
// point to, checks the modules scope and the profile, and shapes the records the records service
// selects: the columns asked for and the id, lookups as {"id"}, Lookup.field columns under that key.

import (
	"context"
	"net/http"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/coql"
	"github.com/crmd/crmd/criteria"
	"github.com/crmd/crmd/oauth"
	"github.com/crmd/crmd/records"
)

// coql serves POST /crm/{version}/coql.
func (s *Server) coql(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	ctx := r.Context()
	// Zoho asks for ZohoCRM.coql.READ and the module's read scope; the coql scope is checked before the
	// body is read, so a token without it learns nothing of the query's module.
	if err := rc.require(oauth.Need{Family: "coql", Op: oauth.OpRead}); err != nil {
		return err
	}
	body, err := s.decodeObject(r)
	if err != nil {
		return err
	}
	raw, ok := body["select_query"]
	if !ok || raw == nil {
		return crmd.E("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, crmd.D{"api_name": "select_query", "json_path": "$.select_query"})
	}
	text, ok := raw.(string)
	if !ok {
		return crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"api_name": "select_query", "json_path": "$.select_query",
			"expected_data_type": "string"})
	}
	st, err := coql.Parse(text)
	if err != nil {
		return err
	}
	m, err := s.coqlModule(ctx, rc, st.From)
	if err != nil {
		return err
	}
	if m == nil {
		// As for a module in the path: a token without any modules scope learns nothing of which exist.
		if !oauth.HasFamily(rc.caller.Scopes, "modules") {
			return crmd.E("OAUTH_SCOPE_MISMATCH", crmd.MsgScopeMismatch, nil)
		}
		return crmd.E("INVALID_MODULE", crmd.MsgInvalidModule, crmd.D{"module": st.From})
	}
	if err := rc.require(oauth.Need{Family: "modules", Resource: m.ScopeToken, Op: oauth.OpRead}); err != nil {
		return err
	}
	if err := records.Allowed(rc.caller, m, crmd.PermView); err != nil {
		return err
	}
	q, err := coql.Check(st, m, func(name string) (*crmd.Module, error) { return s.coqlModule(ctx, rc, name) }, rc.version)
	if err != nil {
		return err
	}
	loc := rc.caller.Org.Location()
	rq := records.COQLQuery{Select: records.COQLSelect{
		Where: q.Where, Env: criteria.Env{Loc: loc, UserID: rc.caller.User.ID},
		Offset: q.Offset, Limit: q.Limit,
	}}
	for _, o := range q.Order {
		rq.Select.Order = append(rq.Select.Order, records.COQLOrder{Field: o.Field, Desc: o.Desc})
	}
	followed := map[string]bool{}
	for _, c := range q.Columns {
		if c.Target != nil && !followed[c.Field.APIName] {
			followed[c.Field.APIName] = true
			rq.Follow = append(rq.Follow, records.Follow{Field: c.Field, Target: c.Target})
		}
	}
	rq.Joined = q.Joined
	res, err := s.svc.Records.COQL(ctx, rc.caller, m, rq)
	if err != nil {
		return err
	}
	if len(res.Records) == 0 {
		writeNoContent(w)
		return nil
	}
	data := make([]map[string]any, 0, len(res.Records))
	sh := recordShaper{m: m, users: res.Users, loc: loc}
	// Many rows may point to one target record: each is shaped once.
	targetShapers := map[crmd.ID]*recordShaper{}
	shapedTargets := map[crmd.ID]map[string]any{}
	shapeTarget := func(target *crmd.Module, t *crmd.Record) (map[string]any, error) {
		if out, ok := shapedTargets[t.ID]; ok {
			return out, nil
		}
		tsh := targetShapers[target.ID]
		if tsh == nil {
			tsh = &recordShaper{m: target, users: res.Users, loc: loc}
			targetShapers[target.ID] = tsh
		}
		out, err := tsh.record(t)
		shapedTargets[t.ID] = out
		return out, err
	}
	for _, rec := range res.Records {
		full, err := sh.record(rec)
		if err != nil {
			return err
		}
		fields, err := rec.Fields()
		if err != nil {
			return err
		}
		obj := map[string]any{"id": rec.ID}
		for _, c := range q.Columns {
			switch {
			case c.UserAttr != "":
				obj[c.Key] = userAttr(res.Users, userOf(rec, fields, c.Field), c.UserAttr)
			case c.Target != nil:
				obj[c.Key] = nil
				id, ok := lookupID(fields[c.Field.APIName])
				t := res.Targets[c.Target.ID][id]
				if !ok || t == nil {
					continue
				}
				tfull, err := shapeTarget(c.Target, t)
				if err != nil {
					return err
				}
				obj[c.Key] = coqlValue(c.TargetField, tfull[c.TargetField.APIName])
			default:
				obj[c.Key] = coqlValue(c.Field, full[c.Field.APIName])
			}
		}
		data = append(data, obj)
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "info": map[string]any{"count": len(data), "more_records": res.More}})
	return nil
}

// coqlModule finds a module a query names (FROM, or a lookup's target) as the request's version serves
// it; nil when it does not. Reserved path words name no module.
func (s *Server) coqlModule(ctx context.Context, rc *reqCtx, name string) (*crmd.Module, error) {
	m, err := s.svc.Metadata.Module(ctx, rc.caller.Org.ID, name)
	if err != nil || m == nil {
		return nil, err
	}
	if !m.APISupported || (m.MinVersion > 0 && rc.version < m.MinVersion) {
		return nil, nil
	}
	return m, nil
}

// coqlValue is a column's value as COQL shows it: what a record list shows, except that lookups and
// owner or user lookups are only {"id": …}.
func coqlValue(f *crmd.Field, v any) any {
	switch f.DataType {
	case crmd.TypeLookup, crmd.TypeOwnerLookup, crmd.TypeUserLookup:
		obj, ok := v.(map[string]any)
		if !ok {
			return v
		}
		id, ok := obj["id"]
		if !ok {
			return nil
		}
		return map[string]any{"id": id}
	}
	return v
}

// lookupID reads the id of a stored lookup value.
func lookupID(v any) (crmd.ID, bool) {
	obj, ok := v.(map[string]any)
	if !ok {
		return 0, false
	}
	s, _ := obj["id"].(string)
	return crmd.ParseID(s)
}

// userOf is the user an owner or user lookup of rec names: the system columns, else the id stored in
// fields (rec's decoded data).
func userOf(rec *crmd.Record, fields map[string]any, f *crmd.Field) crmd.ID {
	switch f.APIName {
	case "Owner":
		return rec.OwnerID
	case "Created_By":
		return rec.CreatedBy
	case "Modified_By":
		return rec.ModifiedBy
	}
	id, _ := lookupID(fields[f.APIName])
	return id
}

// userAttr is one attribute of a user for Owner.email and the like; null when the user is unknown.
func userAttr(users map[crmd.ID]*crmd.User, id crmd.ID, attr string) any {
	u := users[id]
	if attr == "id" {
		if id == 0 {
			return nil
		}
		return id
	}
	if u == nil {
		return nil
	}
	switch attr {
	case "first_name":
		return u.FirstName
	case "last_name":
		return u.LastName
	case "full_name":
		return u.FullName()
	case "email":
		return u.Email
	}
	return nil
}
