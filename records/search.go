package records

import (
	"context"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/criteria"
	"github.com/crmd/crmd/store"
)

// SearchLimit is how many records a search reaches through page and per_page (Zoho: 2,000).
const SearchLimit = 2000

// Match says which records of a module a search or a count selects (docs/search.md). Criteria, Email,
// Phone and Word are tried in that order and the first one given decides, as Zoho does; with none of
// them every record matches (a count of the module, or of its view).
type Match struct {
	Criteria, Email, Phone, Word string
	// CVID, when not zero, also keeps only the records of that custom view.
	CVID crmd.ID
	// Approval is ApprovedOnly (also when empty), UnapprovedOnly or ApprovedBoth.
	Approval string
	// Converted is "false" (also when empty), "true" or "both": crmd converts no lead, so "true" finds
	// nothing.
	Converted string
	// ModifiedAfter (Unix ms), when not zero, keeps the records modified after it (If-Modified-Since).
	ModifiedAfter int64
}

// SearchQuery is one page of GET /{module}/search.
type SearchQuery struct {
	Match
	// Fields are the keys the records show (nil: every key).
	Fields []string
	// Page (≥ 1) and PerPage (1 … MaxPerPage); Page*PerPage may not pass SearchLimit.
	Page, PerPage int
}

// ErrNoSearchParam is the answer to a search without criteria, email, phone or word.
func ErrNoSearchParam() *crmd.Error {
	return crmd.E("REQUIRED_PARAM_MISSING", "One of the expected parameter is missing",
		crmd.D{"expected_params": []string{"criteria", "email", "phone", "word"}})
}

// ErrSearchLimit is the answer to a page beyond the SearchLimit.
func ErrSearchLimit() *crmd.Error {
	return crmd.E("LIMIT_REACHED", "maximum limit reached", crmd.D{"limit": SearchLimit})
}

// Searchable says whether q names something to search by.
func (q *Match) Searchable() bool {
	return q.Criteria != "" || q.Email != "" || q.Phone != "" || q.Word != ""
}

// filter compiles the match for the store: its criteria (parsed against m), its view and its
// freshness. nothing reports a selection that cannot hold a record.
func (s *Service) filter(ctx context.Context, c *crmd.Caller, m *crmd.Module, q Match) (f store.RecordFilter, nothing bool, err error) {
	if q.Converted == "true" {
		return f, true, nil
	}
	node, err := matchNode(m, q)
	if err != nil {
		return f, false, err
	}
	if node == nil && (q.Email != "" || q.Phone != "" || q.Word != "") {
		return f, true, nil // the module has no field of that kind
	}
	if node != nil && (q.Criteria != "" || q.Word == "") {
		// The fields compared get the index a view's would, so that a search does not scan the module.
		// Not for a word: contains cannot use an index, and indexing every text field would slow every
		// insert.
		if err := s.views.IndexCriteria(ctx, c, m, node); err != nil {
			return f, false, err
		}
	}
	if node != nil {
		f.Match = &store.CriteriaFilter{Criteria: node, Env: s.views.Env(c), ModuleID: m.ID}
	}
	if q.CVID != 0 {
		vf, err := s.viewFilter(ctx, c, m, q.CVID)
		if err != nil {
			return f, false, err
		}
		f.View = vf.View
	}
	f.ModifiedAfter = q.ModifiedAfter
	return f, false, nil
}

// matchNode is the criteria tree of a search: the parsed criteria, or an email, phone or word test
// over the module's fields of that kind (nil when the module has none, or when nothing was asked).
func matchNode(m *crmd.Module, q Match) (*criteria.Node, error) {
	switch {
	case q.Criteria != "":
		return criteria.ParseSearch(q.Criteria, m)
	case q.Email != "":
		return anyField(m, q.Email, criteria.Equal, func(f *crmd.Field) bool { return f.DataType == crmd.TypeEmail })
	case q.Phone != "":
		return anyField(m, q.Phone, criteria.Equal, func(f *crmd.Field) bool { return f.DataType == crmd.TypePhone })
	case q.Word != "":
		return anyField(m, q.Word, criteria.Contains, criteria.TextLike)
	}
	return nil, nil
}

// anyField is "one of the module's fields that pick selects compares to value with cmp".
func anyField(m *crmd.Module, value, cmp string, pick func(*crmd.Field) bool) (*criteria.Node, error) {
	var leaves []*criteria.Node
	for _, f := range m.Fields {
		if !pick(f) {
			continue
		}
		n, err := criteria.ParseAt(map[string]any{"field": f.APIName, "comparator": cmp, "value": value}, m, "$.criteria")
		if err != nil {
			if _, ok := crmd.AsError(err); ok {
				return nil, criteria.ErrInvalidQuery("invalid value given", f.APIName)
			}
			return nil, err
		}
		leaves = append(leaves, n)
	}
	switch len(leaves) {
	case 0:
		return nil, nil
	case 1:
		return leaves[0], nil
	}
	return &criteria.Node{Op: "or", Members: leaves}, nil
}

// Search answers GET /{module}/search: one page of the live records the match selects, newest id
// first, within the first SearchLimit.
func (s *Service) Search(ctx context.Context, c *crmd.Caller, m *crmd.Module, q SearchQuery) (*Page, error) {
	if err := checkProfile(c, m, crmd.PermView); err != nil {
		return nil, err
	}
	if !q.Searchable() {
		return nil, ErrNoSearchParam()
	}
	if q.Page < 1 {
		q.Page = 1
	}
	if q.PerPage < 1 || q.PerPage > MaxPerPage {
		q.PerPage = MaxPerPage
	}
	if q.Page*q.PerPage > SearchLimit {
		return nil, ErrSearchLimit()
	}
	res := &Page{Page: q.Page, PerPage: q.PerPage, Sort: ByID, Desc: true}
	filter, nothing, err := s.filter(ctx, c, m, q.Match)
	if err != nil || nothing {
		return res, err
	}
	limit := q.PerPage
	recs, err := s.st.ListRecords(ctx, store.RecordQuery{
		OrgID: c.Org.ID, ModuleID: m.ID, Approval: q.Approval, SortBy: store.SortID, Desc: true, Filter: filter,
		Offset: (q.Page - 1) * q.PerPage, Limit: limit + 1,
	})
	if err != nil {
		return nil, err
	}
	if res.More = len(recs) > limit; res.More {
		recs = recs[:limit]
	}
	res.Records = recs
	return res, s.describe(ctx, c, res, q.Fields)
}

// Count answers GET /{module}/actions/count: how many live records the match selects (every record of
// the module, or of its view, when it names no criteria, email, phone or word).
func (s *Service) Count(ctx context.Context, c *crmd.Caller, m *crmd.Module, q Match) (int64, error) {
	if err := checkProfile(c, m, crmd.PermView); err != nil {
		return 0, err
	}
	filter, nothing, err := s.filter(ctx, c, m, q)
	if err != nil || nothing {
		return 0, err
	}
	return s.st.CountRecords(ctx, store.RecordQuery{OrgID: c.Org.ID, ModuleID: m.ID, Approval: q.Approval, Filter: filter})
}
