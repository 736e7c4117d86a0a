package api

import (
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/crmd/crmd"
)

// Query parameters the list APIs (records, custom views, territories) read alike.

// queryParam returns a query parameter, trimmed, and whether it was given a non-empty value. Empty values
// count as absent, because some clients send every known parameter with an empty value
// (`per_page=&page=`).
func queryParam(q url.Values, name string) (string, bool) {
	v := strings.TrimSpace(q.Get(name))
	return v, v != ""
}

// pageParams reads page (default 1, ≥ 1) and per_page (default and maximum maxPerPage; larger values are
// clamped, as Zoho does, rather than refused). Anything else is crmd.ErrInvalidParam, and so is a page so
// large that page×maxPerPage does not fit an int: every list API computes the offset (page-1)×per_page, which
// would wrap negative (a slice panic in memory, the first page again on SQLite, an SQL error on
// PostgreSQL).
func pageParams(q url.Values, maxPerPage int) (page, perPage int, err *crmd.Error) {
	page, perPage = 1, maxPerPage
	if v, ok := queryParam(q, "page"); ok {
		n, e := strconv.Atoi(v)
		if e != nil || n < 1 || n > math.MaxInt/maxPerPage {
			return 0, 0, crmd.ErrInvalidParam("page")
		}
		page = n
	}
	if v, ok := queryParam(q, "per_page"); ok {
		n, e := strconv.Atoi(v)
		if e != nil || n < 1 {
			return 0, 0, crmd.ErrInvalidParam("per_page")
		}
		perPage = min(n, maxPerPage)
	}
	return page, perPage, nil
}

// splitIDs parses a comma list of ids, de-duplicated in first-seen order; false on any malformed
// element (an empty one included).
func splitIDs(raw string) ([]crmd.ID, bool) {
	parts := strings.Split(raw, ",")
	seen := make(map[crmd.ID]bool, len(parts))
	out := make([]crmd.ID, 0, len(parts))
	for _, p := range parts {
		id, ok := crmd.ParseID(strings.TrimSpace(p))
		if !ok {
			return nil, false
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, true
}

// requiredIDs reads a mandatory ids parameter: a comma list of at most limit distinct ids,
// de-duplicated in first-seen order. Missing or empty is REQUIRED_PARAM_MISSING with the message
// missing (Zoho words it differently from API to API), a malformed id UNABLE_TO_PARSE_DATA_TYPE, too
// many LIMIT_EXCEEDED.
func requiredIDs(raw string, limit int, missing string) ([]crmd.ID, *crmd.Error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, crmd.E("REQUIRED_PARAM_MISSING", missing, crmd.D{"param_name": "ids"})
	}
	ids, ok := splitIDs(raw)
	if !ok {
		return nil, crmd.E("UNABLE_TO_PARSE_DATA_TYPE", crmd.MsgUnableToParse, crmd.D{"param_name": "ids"})
	}
	if len(ids) > limit {
		return nil, crmd.E("LIMIT_EXCEEDED", "limit exceeded", crmd.D{"limit": limit, "param_name": "ids"})
	}
	return ids, nil
}

// trimPage ends a page read the usual way: the store was asked for perPage+1 rows so that the extra one
// tells whether more follow. It returns the page's rows and Zoho's info object for it.
func trimPage[T any](rows []T, page, perPage int) ([]T, map[string]any) {
	more := len(rows) > perPage
	if more {
		rows = rows[:perPage]
	}
	return rows, map[string]any{"per_page": perPage, "count": len(rows), "page": page, "more_records": more}
}
