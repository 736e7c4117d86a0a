package records

import (
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
	"github.com/crmd/crmd/views"
)

// Sort is what a list is ordered by: Name as the list reports it (info.sort_by), and either a column of
// the record (Column, one of the Sort* constants) or a field of its data document (Field).
type Sort struct {
	Name, Column, Field string
}

// Sort columns.
const (
	SortID           = store.SortID
	SortCreatedTime  = store.SortCreatedTime
	SortModifiedTime = store.SortModifiedTime
)

// ByID is the default order of a list.
var ByID = Sort{Name: "id", Column: SortID}

// V3SortNames are the only sort_by values v3 and later accept (docs/records.md#list-parameters); v2 and
// v2.1 sort on any field.
var V3SortNames = []string{"id", "Created_Time", "Modified_Time"}

// systemSortColumns map the system fields to their columns.
var systemSortColumns = map[string]string{
	"id": store.SortID, "Created_Time": store.SortCreatedTime, "Modified_Time": store.SortModifiedTime,
	"Owner": store.SortOwner, "Created_By": store.SortCreatedBy, "Modified_By": store.SortModifiedBy,
}

// SortOn resolves a sort name of module m, matched case-insensitively and reported canonical: with
// anyField (v2, v2.1) "id" or any field of the module, a system field by its column and any other field
// by its stored JSON value; without, only the V3SortNames. false for a name it cannot sort on.
func SortOn(m *crmd.Module, name string, anyField bool) (Sort, bool) {
	if !anyField {
		for _, v := range V3SortNames {
			if strings.EqualFold(v, name) {
				return Sort{Name: v, Column: systemSortColumns[v]}, true
			}
		}
		return Sort{}, false
	}
	canonical := ""
	if strings.EqualFold(name, "id") {
		canonical = "id"
	} else if f := m.Field(name); f != nil {
		canonical = f.APIName
	} else {
		for _, f := range m.Fields {
			if strings.EqualFold(f.APIName, name) {
				canonical = f.APIName
				break
			}
		}
	}
	if canonical == "" {
		return Sort{}, false
	}
	if col, ok := systemSortColumns[canonical]; ok {
		return Sort{Name: canonical, Column: col}, true
	}
	return Sort{Name: canonical, Field: canonical}, true
}

// TerritoriesKey is the record key listing a record's territories. Every module may carry territories
// (Zoho limits them to Accounts, Contacts, Deals and Leads).
const TerritoriesKey = "Territories"

// ListQuery is one page of GET /{module}, parsed and checked by the HTTP layer.
type ListQuery struct {
	// Fields are the keys the records show (canonical names; nil shows every key). They decide whether
	// territories are loaded, and a page token is bound to them.
	Fields []string
	// Page (≥ 1) and PerPage (1 … MaxPerPage) choose the page, unless PageToken continues a list;
	// zero values mean the first page of MaxPerPage.
	Page, PerPage int
	PageToken     string
	// Tokens mints a next_page_token when more records follow (v5 on).
	Tokens bool
	// Sort is the order asked (the zero Sort is by id); Order is "asc", "desc" or "" (not given:
	// descending, or the view's own order).
	Sort  Sort
	Order string
	// AnyFieldSort says that the API version sorts on any field (v2, v2.1), so that a view's sort
	// applies whatever its field; later versions apply it only on the V3SortNames.
	AnyFieldSort bool
	// Approval is ApprovedOnly (also when empty), UnapprovedOnly or ApprovedBoth.
	Approval string
	// IDs, when not empty, restricts the list to these records (at most MaxDelete).
	IDs []crmd.ID
	// CVID, when not zero, lists the records of that custom view.
	CVID crmd.ID
	// Territory, when not zero, lists the records of that territory (and with IncludeChild, of its
	// subtree).
	Territory    crmd.ID
	IncludeChild bool
	// ModifiedAfter (Unix ms), when not zero, keeps the records modified after it (If-Modified-Since).
	ModifiedAfter int64
}

// Page is one page of records, and what the HTTP layer needs to show them.
type Page struct {
	Records []*crmd.Record
	// Users are the org's users, by id, whom the records name (owner, creator, modifier).
	Users map[crmd.ID]*crmd.User
	// Territories are the records' territory assignments, nil unless the fields show them.
	Territories map[crmd.ID][]crmd.RecordTerritory
	// Page and PerPage are the page served; More says that more records follow.
	Page, PerPage int
	More          bool
	// Sort and Desc are the order served (a view may have set them).
	Sort Sort
	Desc bool
	// NextToken continues the list (when Tokens was asked and More), valid until TokenExpiry (Unix ms).
	NextToken   string
	TokenExpiry int64
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

// showsTerritories reports whether records shown with these fields show their territories.
func showsTerritories(fields []string) bool {
	return fields == nil || slices.Contains(fields, TerritoriesKey)
}

// bind is the digest of everything a page token is bound to besides the user: the module and the
// parameters that decide which records come in which order (not per_page, which may change between
// pages).
func (q *ListQuery) bind(moduleID crmd.ID, sortName string, desc bool) [8]byte {
	ids := make([]string, len(q.IDs))
	for i, id := range q.IDs {
		ids[i] = id.String()
	}
	sort.Strings(ids)
	order := "asc"
	if desc {
		order = "desc"
	}
	approval := q.Approval
	if approval == "" {
		approval = ApprovedOnly
	}
	parts := []string{moduleID.String(), fieldsKey(q.Fields), sortName, order, approval, strings.Join(ids, ",")}
	if q.CVID != 0 {
		parts = append(parts, "cvid="+q.CVID.String())
	}
	if q.Territory != 0 {
		terr := "territory=" + q.Territory.String()
		if q.IncludeChild {
			terr += "+children"
		}
		parts = append(parts, terr)
	}
	if q.ModifiedAfter != 0 {
		parts = append(parts, "since="+strconv.FormatInt(q.ModifiedAfter, 10))
	}
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	var out [8]byte
	copy(out[:], h[:8])
	return out
}

// fieldsKey is the canonical form of a selection for binding page tokens: sorted, comma-joined.
func fieldsKey(sel []string) string {
	if sel == nil {
		return "*"
	}
	c := append([]string(nil), sel...)
	sort.Strings(c)
	return strings.Join(c, ",")
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

// List answers GET /{module}: one page of live records in the order asked. Pages are read with OFFSET
// up to Zoho's discrete limit (which the HTTP layer enforces); page tokens continue by keyset on the
// sort column and id, so deep pages cost no more than the first.
//
// With a CVID the records are those of the custom view, in the view's order where the version can
// sort on its field (AnyFieldSort, else only the V3SortNames) and the view's order unless q.Order is
// given; the cvid is part of what a page token is bound to.
func (s *Service) List(ctx context.Context, c *crmd.Caller, m *crmd.Module, q ListQuery) (*Page, error) {
	if err := checkProfile(c, m, crmd.PermView); err != nil {
		return nil, err
	}
	if q.Page < 1 {
		q.Page = 1
	}
	if q.PerPage < 1 || q.PerPage > MaxPerPage {
		q.PerPage = MaxPerPage
	}
	srt, desc := q.Sort, q.Order != "asc"
	if srt.Name == "" {
		srt = ByID
	}
	var filter store.RecordFilter
	if q.CVID != 0 {
		f, err := s.viewFilter(ctx, c, m, q.CVID)
		if err != nil {
			return nil, err
		}
		filter.View = f.View
		// A view brings its own order (sort_by cannot come with cvid).
		if f.SortBy != "" {
			if vs, ok := SortOn(m, f.SortBy, q.AnyFieldSort); ok {
				srt = vs
			}
		}
		if q.Order == "" && f.SortOrder != "" {
			desc = f.SortOrder == "desc"
		}
	}
	if q.Territory != 0 {
		scope, err := s.territoryScope(ctx, c, q.Territory, q.IncludeChild)
		if err != nil {
			return nil, err
		}
		filter.Territory = scope
	}
	filter.ModifiedAfter = q.ModifiedAfter
	bind := q.bind(m.ID, srt.Name, desc)
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
		OrgID: c.Org.ID, ModuleID: m.ID, Approval: q.Approval, IDs: q.IDs,
		SortBy: srt.Column, SortField: srt.Field, Desc: desc, Filter: filter,
	}
	page, offset, limit := q.Page, (q.Page-1)*q.PerPage, q.PerPage
	if q.PageToken != "" {
		if err := loadSecret(); err != nil {
			return nil, err
		}
		t, ok := decodeToken(secret, q.PageToken)
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
	res := &Page{Page: page, PerPage: q.PerPage, Sort: srt, Desc: desc}
	if res.More = len(recs) > limit; res.More {
		recs = recs[:limit]
	}
	res.Records = recs
	if q.Tokens && res.More && len(recs) > 0 {
		last := recs[len(recs)-1]
		t := pageToken{
			user: c.User.ID, module: m.ID, bind: bind, expiry: now + tokenTTL.Milliseconds(),
			key: sortKey(srt.Column, last), last: last.ID,
			offset: uint32(offset + len(recs)), page: uint32(page + 1),
		}
		if err := loadSecret(); err != nil {
			return nil, err
		}
		res.NextToken, res.TokenExpiry = t.encode(secret), t.expiry
	}
	return res, s.describe(ctx, c, res, q.Fields)
}

// describe adds to a page what showing its records needs: the org's users, and the records'
// territories when the fields show them.
func (s *Service) describe(ctx context.Context, c *crmd.Caller, p *Page, fields []string) error {
	if len(p.Records) == 0 {
		return nil
	}
	var err error
	if p.Users, err = s.st.UsersByID(ctx, c.Org.ID); err != nil {
		return err
	}
	if showsTerritories(fields) {
		p.Territories, err = s.territoriesOf(ctx, c.Org.ID, p.Records)
	}
	return err
}

// Item is one record and what the HTTP layer needs to show it.
type Item struct {
	Record *crmd.Record
	Users  map[crmd.ID]*crmd.User
	// Territories are the record's territory assignments, nil unless asked for.
	Territories []crmd.RecordTerritory
}

// Get answers GET /{module}/{id}: the live record, with its territories when fields would show them
// (nil fields: every key), and marks it read by the caller (store.MarkRecordRead). An unknown, deleted
// or foreign id is ErrInvalidPathID.
func (s *Service) Get(ctx context.Context, c *crmd.Caller, m *crmd.Module, id crmd.ID, fields []string) (*Item, error) {
	if err := checkProfile(c, m, crmd.PermView); err != nil {
		return nil, err
	}
	rec, err := s.st.LiveRecord(ctx, c.Org.ID, m.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrInvalidPathID()
	}
	if err != nil {
		return nil, err
	}
	it := &Item{Record: rec}
	if it.Users, err = s.st.UsersByID(ctx, c.Org.ID); err != nil {
		return nil, err
	}
	if showsTerritories(fields) {
		terrs, err := s.territoriesOf(ctx, c.Org.ID, []*crmd.Record{rec})
		if err != nil {
			return nil, err
		}
		it.Territories = terrs[rec.ID]
		if it.Territories == nil {
			it.Territories = []crmd.RecordTerritory{}
		}
	}
	// Opening a record makes it read for the caller: the Unread system views leave it out from now on.
	if err := s.st.MarkRecordRead(ctx, c.User.ID, rec.ID); err != nil {
		return nil, err
	}
	return it, nil
}

// DeletedQuery is one page of GET /{module}/deleted.
type DeletedQuery struct {
	// Type is DeletedAll (also when empty), DeletedRecycle (still in the bin) or DeletedPermanent.
	Type string
	// Page counts from 1 and PerPage is at most 200; zero values mean the first page of MaxPerPage.
	Page, PerPage int
	// DeletedAfter (Unix ms), when not zero, keeps the records deleted after it (If-Modified-Since).
	DeletedAfter int64
}

// DeletedPage is one page of deleted records, newest deletion first.
type DeletedPage struct {
	Records       []*crmd.Record
	Users         map[crmd.ID]*crmd.User
	Page, PerPage int
	More          bool
}

// ListDeleted answers GET /{module}/deleted: the module's deleted records, newest deletion first, of
// the given type. A permanently deleted record keeps only its id, type and deletion time.
func (s *Service) ListDeleted(ctx context.Context, c *crmd.Caller, m *crmd.Module, q DeletedQuery) (*DeletedPage, error) {
	if err := checkProfile(c, m, crmd.PermView); err != nil {
		return nil, err
	}
	if q.Page < 1 {
		q.Page = 1
	}
	if q.PerPage < 1 || q.PerPage > MaxPerPage {
		q.PerPage = MaxPerPage
	}
	recs, err := s.st.ListDeletedRecords(ctx, store.DeletedQuery{OrgID: c.Org.ID, ModuleID: m.ID, Type: q.Type,
		Offset: (q.Page - 1) * q.PerPage, Limit: q.PerPage + 1, DeletedAfter: q.DeletedAfter})
	if err != nil {
		return nil, err
	}
	res := &DeletedPage{Page: q.Page, PerPage: q.PerPage}
	if res.More = len(recs) > q.PerPage; res.More {
		recs = recs[:q.PerPage]
	}
	res.Records = recs
	if len(recs) == 0 {
		return res, nil
	}
	if res.Users, err = s.st.UsersByID(ctx, c.Org.ID); err != nil {
		return nil, err
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

// territoryScope is the record filter of territory_id (with include_child, of its subtree), from the
// territory service. A territory that is not the caller's org's is INVALID_DATA {"param_name":
// "territory_id"}.
func (s *Service) territoryScope(ctx context.Context, c *crmd.Caller, id crmd.ID, subtree bool) (*store.TerritoryScope, error) {
	scope, err := s.terr.Scope(ctx, c.Org.ID, id, subtree)
	if _, unknown := crmd.AsError(err); unknown {
		return nil, crmd.ErrInvalidParam("territory_id")
	}
	return scope, err
}

// territoriesOf loads, with one query for all of recs, the records' territory assignments.
func (s *Service) territoriesOf(ctx context.Context, orgID crmd.ID, recs []*crmd.Record) (map[crmd.ID][]crmd.RecordTerritory, error) {
	ids := make([]crmd.ID, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	return s.st.RecordTerritories(ctx, nil, orgID, ids)
}
