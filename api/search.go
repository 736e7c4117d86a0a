package api

// Search and count: GET /{module}/search and GET /{module}/actions/count (docs/search.md). The
// handlers read Zoho's parameters into a records.Match; the records service parses the criteria and
// asks the store, which compiles them as it compiles a custom view's.

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/oauth"
	"github.com/crmd/crmd/records"
)

// parseMatch reads what selects the records of a search or a count: criteria, email, phone, word,
// cvid, approved and converted.
func parseMatch(q url.Values) (records.Match, *crmd.Error) {
	var m records.Match
	m.Criteria, _ = queryParam(q, "criteria")
	m.Email, _ = queryParam(q, "email")
	m.Phone, _ = queryParam(q, "phone")
	m.Word, _ = queryParam(q, "word")
	if v, ok := queryParam(q, "cvid"); ok {
		id, good := crmd.ParseID(v)
		if !good {
			return m, records.ErrInvalidCVID()
		}
		m.CVID = id
	}
	var err *crmd.Error
	if m.Approval, err = approvedParam(q); err != nil {
		return m, err
	}
	if v, ok := queryParam(q, "converted"); ok {
		switch c := strings.ToLower(v); c {
		case "true", "false", "both":
			m.Converted = c
		default:
			return m, crmd.ErrInvalidParam("converted")
		}
	}
	return m, nil
}

// approvedParam reads approved: true (also when absent), false or both, as the records' approval
// filter.
func approvedParam(q url.Values) (string, *crmd.Error) {
	v, ok := queryParam(q, "approved")
	if !ok {
		return records.ApprovedOnly, nil
	}
	switch strings.ToLower(v) {
	case "true":
		return records.ApprovedOnly, nil
	case "false":
		return records.UnapprovedOnly, nil
	case "both":
		return records.ApprovedBoth, nil
	}
	return "", crmd.ErrInvalidParam("approved")
}

// searchRecords serves GET /{module}/search: the records that match, 204 when none does.
func (s *Server) searchRecords(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	m, err := s.recordsModule(r, rc, oauth.OpRead, crmd.PermView)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	match, perr := parseMatch(q)
	if perr != nil {
		return perr
	}
	sq := records.SearchQuery{Match: match}
	if raw, ok := queryParam(q, "fields"); ok {
		if sq.Fields, perr = parseFields(m, raw); perr != nil {
			return perr
		}
	}
	if sq.Page, sq.PerPage, perr = pageParams(q, records.MaxPerPage); perr != nil {
		return perr
	}
	p, err := s.svc.Records.Search(r.Context(), rc.caller, m, sq)
	if err != nil {
		return err
	}
	data, err := pageRecords(m, p, rc, sq.Fields)
	if err != nil {
		return err
	}
	writeList(w, "data", data, map[string]any{"per_page": p.PerPage, "count": len(p.Records), "page": p.Page, "more_records": p.More})
	return nil
}

// countRecords serves GET /{module}/actions/count: {"count": n}, 0 included.
func (s *Server) countRecords(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	m, err := s.recordsModule(r, rc, oauth.OpRead, crmd.PermView)
	if err != nil {
		return err
	}
	match, perr := parseMatch(r.URL.Query())
	if perr != nil {
		return perr
	}
	n, err := s.svc.Records.Count(r.Context(), rc.caller, m, match)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": n})
	return nil
}
