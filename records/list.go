package records

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
	"github.com/crmd/crmd/views"
)

// tokenTTL is how long a page token stays usable (docs/records.md#list-parameters: 24 hours).
const tokenTTL = 24 * time.Hour

// sortSpec is a resolved sort_by: the name echoed in info, and either a column or a data field.
type sortSpec struct {
	name   string // as echoed in info.sort_by
	column string // a store.Sort* column, or "" with field
	field  string // a data-document field (v2/v2.1 only)
}

// v3SortValues are the sort_by values v3+ accept (docs/records.md#list-parameters).
var v3SortValues = []string{"id", "Created_Time", "Modified_Time"}

// systemSortColumns map the system fields to their columns, for v2/v2.1 where any field sorts.
var systemSortColumns = map[string]string{
	"id": store.SortID, "Created_Time": store.SortCreatedTime, "Modified_Time": store.SortModifiedTime,
	"Owner": store.SortOwner, "Created_By": store.SortCreatedBy, "Modified_By": store.SortModifiedBy,
}

// parseSort reads sort_by (default id). v3+ accept only id, Created_Time and Modified_Time; v2/v2.1 also
// any field of the module, sorted on its stored JSON value. Names match case-insensitively and are
// echoed canonical.
func parseSort(m *crmd.Module, version int, q url.Values) (sortSpec, *crmd.Error) {
	raw, ok := crmd.QueryParam(q, "sort_by")
	if !ok {
		return sortSpec{name: "id", column: store.SortID}, nil
	}
	if version >= 30 {
		for _, v := range v3SortValues {
			if strings.EqualFold(v, raw) {
				return sortSpec{name: v, column: systemSortColumns[v]}, nil
			}
		}
		return sortSpec{}, crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"param_name": "sort_by", "supported_values": v3SortValues})
	}
	name := ""
	if strings.EqualFold(raw, "id") {
		name = "id"
	} else if f := m.Field(raw); f != nil {
		name = f.APIName
	} else {
		for _, f := range m.Fields {
			if strings.EqualFold(f.APIName, raw) {
				name = f.APIName
				break
			}
		}
	}
	if name == "" {
		return sortSpec{}, crmd.ErrInvalidParam("sort_by")
	}
	if col, ok := systemSortColumns[name]; ok {
		return sortSpec{name: name, column: col}, nil
	}
	return sortSpec{name: name, field: name}, nil
}

// listParams is a parsed GET /{module} request.
type listParams struct {
	sel      []string
	page     int
	perPage  int
	sort     sortSpec
	desc     bool
	approval string
	ids      []crmd.ID
	token    string  // v5+ page_token, "" when none
	cvid     crmd.ID // custom view, 0 when none
	terr     crmd.ID // territory_id, 0 when none
	subtree  bool    // include_child=true: the territory's descendants too
}

// ViewFilter is what a custom view adds to GET /{module}?cvid=: what it selects (which the store
// compiles) and the view's own sort (SortBy an api name of the module, "" for none; SortOrder "asc",
// "desc" or "").
type ViewFilter struct {
	View      *store.ViewFilter
	SortBy    string
	SortOrder string
}

// ErrInvalidCVID is the answer for a cvid parameter that is malformed or names no view the caller may
// use.
func ErrInvalidCVID() *crmd.Error {
	return crmd.E("INVALID_DATA", "the cvid given seems to be invalid", crmd.D{"param_name": "cvid"})
}

// parseListParams validates the query of GET /{module} in a fixed order, so that a request with
// several problems always gets the same answer.
func parseListParams(m *crmd.Module, version int, q url.Values) (*listParams, *crmd.Error) {
	p := &listParams{}
	if raw, ok := crmd.QueryParam(q, "fields"); ok {
		sel, err := parseFields(m, raw)
		if err != nil {
			return nil, err
		}
		p.sel = sel
	} else if version >= 50 {
		return nil, crmd.ErrParamMissing("fields")
	}
	_, hasPage := crmd.QueryParam(q, "page")
	if version >= 50 {
		p.token, _ = crmd.QueryParam(q, "page_token")
	}
	if p.token != "" && hasPage {
		return nil, crmd.E("AMBIGUITY_DURING_PROCESSING", "ambiguity during processing",
			crmd.D{"ambiguity_due_to": []map[string]any{{"param_name": "page"}, {"param_name": "page_token"}}})
	}
	if v, ok := crmd.QueryParam(q, "cvid"); ok {
		// A view brings its own order, so sort_by beside it is ambiguous (docs/records.md#list-parameters).
		if _, sorted := crmd.QueryParam(q, "sort_by"); sorted {
			return nil, crmd.E("AMBIGUITY_DURING_PROCESSING", "ambiguity during processing",
				crmd.D{"ambiguity_due_to": []map[string]any{{"param_name": "cvid"}, {"param_name": "sort_by"}}})
		}
		id, good := crmd.ParseID(v)
		if !good {
			return nil, ErrInvalidCVID()
		}
		p.cvid = id
	}
	var err *crmd.Error
	if p.page, p.perPage, err = crmd.PageParams(q, MaxPerPage); err != nil {
		return nil, err
	}
	if p.sort, err = parseSort(m, version, q); err != nil {
		return nil, err
	}
	p.desc = true
	if v, ok := crmd.QueryParam(q, "sort_order"); ok {
		switch strings.ToLower(v) {
		case "asc":
			p.desc = false
		case "desc":
		default:
			return nil, crmd.ErrInvalidParam("sort_order")
		}
	}
	p.approval = store.ApprovedOnly
	if v, ok := crmd.QueryParam(q, "approved"); ok {
		switch strings.ToLower(v) {
		case "true":
		case "false":
			p.approval = store.UnapprovedOnly
		case "both":
			p.approval = store.ApprovedBoth
		default:
			return nil, crmd.ErrInvalidParam("approved")
		}
	}
	if v, ok := crmd.QueryParam(q, "ids"); ok {
		ids, good := crmd.SplitIDs(v)
		if !good {
			return nil, crmd.ErrInvalidParam("ids")
		}
		if len(ids) > MaxDelete {
			return nil, crmd.E("LIMIT_EXCEEDED", "limit exceeded", crmd.D{"limit": MaxDelete, "param_name": "ids"})
		}
		p.ids = ids
	}
	if p.terr, p.subtree, err = parseTerritoryParams(q); err != nil {
		return nil, err
	}
	if version >= 50 && p.token == "" && p.page*p.perPage > DiscreteLimit {
		return nil, crmd.E("DISCRETE_PAGINATION_LIMIT_EXCEEDED", "You can only get the first 2000 records without using page_token param",
			crmd.D{"limit": DiscreteLimit})
	}
	return p, nil
}

// bind is the digest of everything a page token is bound to besides the user: the module and the
// parameters that decide which records come in which order (not per_page, which may change between
// pages).
func (p *listParams) bind(moduleID crmd.ID) [8]byte {
	ids := make([]string, len(p.ids))
	for i, id := range p.ids {
		ids[i] = id.String()
	}
	sort.Strings(ids)
	order := "asc"
	if p.desc {
		order = "desc"
	}
	parts := []string{moduleID.String(), fieldsKey(p.sel), p.sort.name, order, p.approval, strings.Join(ids, ",")}
	if p.cvid != 0 {
		parts = append(parts, "cvid="+p.cvid.String())
	}
	if p.terr != 0 {
		terr := "territory=" + p.terr.String()
		if p.subtree {
			terr += "+children"
		}
		parts = append(parts, terr)
	}
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	var out [8]byte
	copy(out[:], h[:8])
	return out
}

// applyViewSort makes a custom view's sort the list's (sort_by cannot come with cvid): the view's field
// where the version can sort on it (v2/v2.1 any field; v3+ only Created_Time and Modified_Time, other
// fields keep the default id order), and the view's order unless sort_order is given.
func (p *listParams) applyViewSort(m *crmd.Module, version int, q url.Values, f *ViewFilter) {
	if f.SortBy != "" {
		if sp, err := parseSort(m, version, url.Values{"sort_by": {f.SortBy}}); err == nil {
			p.sort = sp
		}
	}
	if _, given := crmd.QueryParam(q, "sort_order"); !given {
		switch f.SortOrder {
		case "asc":
			p.desc = false
		case "desc":
			p.desc = true
		}
	}
}

// pageToken is the state a v5+ next_page_token carries. It is binary and HMAC-signed with the org's
// secret, so it is short (96 characters, Zoho's documented maximum), opaque, unforgeable and useless in
// another org.
type pageToken struct {
	user, module crmd.ID
	bind         [8]byte
	expiry       int64   // Unix ms
	key          int64   // sort key of the last record returned
	last         crmd.ID // id of the last record returned
	offset       uint32  // records returned before the next page
	page         uint32  // number of the next page
}

const (
	tokenBody = 8*6 + 4 + 4
	tokenMAC  = 16
)

func tokenSig(secret, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return mac.Sum(nil)[:tokenMAC]
}

func (t pageToken) encode(secret []byte) string {
	b := make([]byte, tokenBody, tokenBody+tokenMAC)
	binary.BigEndian.PutUint64(b[0:], uint64(t.user))
	binary.BigEndian.PutUint64(b[8:], uint64(t.module))
	copy(b[16:24], t.bind[:])
	binary.BigEndian.PutUint64(b[24:], uint64(t.expiry))
	binary.BigEndian.PutUint64(b[32:], uint64(t.key))
	binary.BigEndian.PutUint64(b[40:], uint64(t.last))
	binary.BigEndian.PutUint32(b[48:], t.offset)
	binary.BigEndian.PutUint32(b[52:], t.page)
	b = append(b, tokenSig(secret, b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(secret []byte, s string) (pageToken, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != tokenBody+tokenMAC {
		return pageToken{}, false
	}
	if !hmac.Equal(b[tokenBody:], tokenSig(secret, b[:tokenBody])) {
		return pageToken{}, false
	}
	var t pageToken
	t.user = crmd.ID(binary.BigEndian.Uint64(b[0:]))
	t.module = crmd.ID(binary.BigEndian.Uint64(b[8:]))
	copy(t.bind[:], b[16:24])
	t.expiry = int64(binary.BigEndian.Uint64(b[24:]))
	t.key = int64(binary.BigEndian.Uint64(b[32:]))
	t.last = crmd.ID(binary.BigEndian.Uint64(b[40:]))
	t.offset = binary.BigEndian.Uint32(b[48:])
	t.page = binary.BigEndian.Uint32(b[52:])
	return t, true
}

// sortKey is the value of the record's sort column, for keyset continuation.
func sortKey(col string, r *crmd.Record) int64 {
	switch col {
	case store.SortCreatedTime:
		return r.CreatedTime
	case store.SortModifiedTime:
		return r.ModifiedTime
	default:
		return int64(r.ID)
	}
}

// List answers GET /{module}: one page of live records in the order asked, with Zoho's info object
// for the request's version (v2–v4: per_page, count, page, more_records; v5+ also call, email,
// sort_by, sort_order and the page tokens). version is the API version ×10; q the query parameters.
//
// Pages are read with OFFSET up to Zoho's discrete limit; page tokens continue by keyset on the
// sort column and id, so deep pages cost no more than the first.
//
// With cvid the records are those of the custom view (see viewFilter), in the view's order
// where the version can sort on its field (see applyViewSort); the cvid is part of what a page token
// is bound to.
func (s *Service) List(ctx context.Context, c *crmd.Caller, m *crmd.Module, version int, q url.Values) (*Page, error) {
	if err := checkProfile(c, m, crmd.PermView); err != nil {
		return nil, err
	}
	p, perr := parseListParams(m, version, q)
	if perr != nil {
		return nil, perr
	}
	var viewFilter *store.ViewFilter
	if p.cvid != 0 {
		f, err := s.viewFilter(ctx, c, m, p.cvid)
		if err != nil {
			return nil, err
		}
		p.applyViewSort(m, version, q, f)
		viewFilter = f.View
	}
	bind := p.bind(m.ID)
	now := s.st.NowMS()
	var secret []byte // the org's token key, read only when a token is read or minted
	loadSecret := func() error {
		if secret != nil {
			return nil
		}
		var err error
		secret, err = s.st.OrgSecret(ctx, c.Org.ID)
		return err
	}
	rq := store.RecordQuery{
		OrgID: c.Org.ID, ModuleID: m.ID, Approval: p.approval, IDs: p.ids,
		SortBy: p.sort.column, SortField: p.sort.field, Desc: p.desc,
	}
	rq.Filter.View = viewFilter
	if p.terr != 0 {
		scope, err := s.territoryScope(ctx, c, p.terr, p.subtree)
		if err != nil {
			return nil, err
		}
		rq.Filter.Territory = scope
	}
	page, offset, limit := p.page, (p.page-1)*p.perPage, p.perPage
	if p.token != "" {
		if err := loadSecret(); err != nil {
			return nil, err
		}
		t, ok := decodeToken(secret, p.token)
		if !ok {
			return nil, crmd.ErrInvalidParam("page_token")
		}
		if t.user != c.User.ID || t.module != m.ID || t.bind != bind {
			return nil, crmd.E("TOKEN_BOUND_DATA_MISMATCH", "The page_token given seems to be invalid or input param is added or altered or deleted",
				crmd.D{"param_name": "page_token"})
		}
		if now >= t.expiry {
			return nil, crmd.E("EXPIRED_VALUE", "Page token expired", crmd.D{"api_name": "page_token", "json_path": "$.query.page_token"})
		}
		if t.offset >= TokenLimit {
			return nil, crmd.E("PAGINATION_LIMIT_EXCEEDED", "You can only get upto 100000 records using page_token param",
				crmd.D{"param_name": "page_token"})
		}
		page, offset = int(t.page), int(t.offset)
		limit = min(limit, TokenLimit-offset)
		rq.After = &store.Cursor{Key: t.key, ID: t.last}
	} else {
		rq.Offset = offset
	}
	rq.Limit = limit + 1 // one more than asked tells whether more records exist
	recs, err := s.st.ListRecords(ctx, rq)
	if err != nil {
		return nil, err
	}
	more := len(recs) > limit
	if more {
		recs = recs[:limit]
	}
	res := &Page{Info: map[string]any{"per_page": p.perPage, "count": len(recs), "page": page, "more_records": more}}
	if version >= 50 {
		order := "asc"
		if p.desc {
			order = "desc"
		}
		res.Info["call"] = false
		res.Info["email"] = false
		res.Info["sort_by"] = p.sort.name
		res.Info["sort_order"] = order
		res.Info["next_page_token"] = nil
		res.Info["previous_page_token"] = nil
		res.Info["page_token_expiry"] = nil
		if more && len(recs) > 0 {
			last := recs[len(recs)-1]
			t := pageToken{
				user: c.User.ID, module: m.ID, bind: bind, expiry: now + tokenTTL.Milliseconds(),
				key: sortKey(p.sort.column, last), last: last.ID,
				offset: uint32(offset + len(recs)), page: uint32(page + 1),
			}
			if err := loadSecret(); err != nil {
				return nil, err
			}
			res.Info["next_page_token"] = t.encode(secret)
			res.Info["page_token_expiry"] = crmd.FormatTime(t.expiry, c.Org.Location())
		}
	}
	if len(recs) == 0 {
		return res, nil
	}
	users, err := s.st.UsersByID(ctx, c.Org.ID)
	if err != nil {
		return nil, err
	}
	v := &view{m: m, users: users, loc: c.Org.Location(), sel: p.sel}
	if err := s.loadTerritories(ctx, c.Org.ID, v, recs); err != nil {
		return nil, err
	}
	res.Data = make([]map[string]any, 0, len(recs))
	for _, r := range recs {
		obj, err := v.record(r)
		if err != nil {
			return nil, err
		}
		res.Data = append(res.Data, obj)
	}
	return res, nil
}

// Get answers GET /{module}/{id}: the live record as Zoho's JSON (all keys, or those named by an
// optional `fields`), and marks it read by the caller (store.MarkRecordRead). A malformed, unknown,
// deleted or foreign id is ErrInvalidPathID.
func (s *Service) Get(ctx context.Context, c *crmd.Caller, m *crmd.Module, rawID string, q url.Values) (map[string]any, error) {
	if err := checkProfile(c, m, crmd.PermView); err != nil {
		return nil, err
	}
	id, ok := crmd.ParseID(rawID)
	if !ok {
		return nil, ErrInvalidPathID()
	}
	var sel []string
	if raw, ok := crmd.QueryParam(q, "fields"); ok {
		var err *crmd.Error
		if sel, err = parseFields(m, raw); err != nil {
			return nil, err
		}
	}
	rec, err := s.st.LiveRecord(ctx, c.Org.ID, m.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrInvalidPathID()
	}
	if err != nil {
		return nil, err
	}
	users, err := s.st.UsersByID(ctx, c.Org.ID)
	if err != nil {
		return nil, err
	}
	v := &view{m: m, users: users, loc: c.Org.Location(), sel: sel}
	if err := s.loadTerritories(ctx, c.Org.ID, v, []*crmd.Record{rec}); err != nil {
		return nil, err
	}
	obj, err := v.record(rec)
	if err != nil {
		return nil, err
	}
	// Opening a record makes it read for the caller: the Unread system views leave it out from now on.
	if err := s.st.MarkRecordRead(ctx, c.User.ID, rec.ID); err != nil {
		return nil, err
	}
	return obj, nil
}

// ListDeleted answers GET /{module}/deleted: the module's deleted records, newest deletion first, of
// the given type (all, the default; recycle: still in the recycle bin; permanent: purged). A
// permanently deleted record keeps only its id, type and deletion time.
func (s *Service) ListDeleted(ctx context.Context, c *crmd.Caller, m *crmd.Module, q url.Values) (*Page, error) {
	if err := checkProfile(c, m, crmd.PermView); err != nil {
		return nil, err
	}
	typ := store.DeletedAll
	if v, ok := crmd.QueryParam(q, "type"); ok {
		switch v {
		case store.DeletedAll, store.DeletedRecycle, store.DeletedPermanent:
			typ = v
		default:
			return nil, crmd.E("PATTERN_NOT_MATCHED", crmd.MsgPatternNotMatch, crmd.D{"param_name": "type"})
		}
	}
	page, perPage, perr := crmd.PageParams(q, MaxPerPage)
	if perr != nil {
		return nil, perr
	}
	recs, err := s.st.ListDeletedRecords(ctx, store.DeletedQuery{OrgID: c.Org.ID, ModuleID: m.ID, Type: typ,
		Offset: (page - 1) * perPage, Limit: perPage + 1})
	if err != nil {
		return nil, err
	}
	recs, info := crmd.TrimPage(recs, page, perPage)
	res := &Page{Info: info}
	if len(recs) == 0 {
		return res, nil
	}
	users, err := s.st.UsersByID(ctx, c.Org.ID)
	if err != nil {
		return nil, err
	}
	loc := c.Org.Location()
	res.Data = make([]map[string]any, 0, len(recs))
	for _, r := range recs {
		item := map[string]any{
			"id":           r.ID,
			"type":         store.DeletedRecycle,
			"display_name": r.DisplayName,
			"deleted_by":   userRef(users, r.DeletedBy, false),
			"created_by":   userRef(users, r.CreatedBy, false),
			"deleted_time": crmd.FormatTime(r.DeletedTime, loc),
		}
		if r.PurgedTime != 0 {
			item["type"] = store.DeletedPermanent
			item["display_name"] = nil
			item["deleted_by"] = nil
			item["created_by"] = nil
		}
		res.Data = append(res.Data, item)
	}
	return res, nil
}

// viewFilter resolves the cvid of GET /{module}: what the view selects for the caller and its sort. A
// view the caller may not use is ErrInvalidCVID.
func (s *Service) viewFilter(ctx context.Context, c *crmd.Caller, m *crmd.Module, cvid crmd.ID) (*ViewFilter, error) {
	v, err := s.views.Lookup(ctx, c, m, cvid)
	if errors.Is(err, views.ErrUnknownView) {
		return nil, ErrInvalidCVID()
	}
	if err != nil {
		return nil, err
	}
	return &ViewFilter{View: s.views.Filter(c, m, v), SortBy: v.SortBy, SortOrder: v.SortOrder}, nil
}
