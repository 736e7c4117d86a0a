package api

// If-Modified-Since (docs/records.md#if-modified-since): record lists, one record, deleted records,
// modules and users answer only what changed after the header's moment, and 304 Not Modified (no body)
// when nothing did.

import (
	"net/http"
	"strings"
	"time"

	"github.com/crmd/crmd"
)

// sinceLayouts are the forms If-Modified-Since is read in: Zoho's ISO 8601 with an offset (what its
// SDKs send), with fractions of a second, and HTTP's own date (RFC 9110).
var sinceLayouts = []string{time.RFC3339, time.RFC3339Nano, http.TimeFormat, time.RFC850, time.ANSIC}

// modifiedSince reads the request's If-Modified-Since header. It returns 0 when there is none, else
// the Unix ms after which a change counts: the end of the header's second, because Zoho shows times to
// the second, so a client that sends back the Modified_Time it was shown must not get that same change
// again. A header that is not a date is INVALID_DATA.
func modifiedSince(r *http.Request) (int64, *crmd.Error) {
	raw := strings.TrimSpace(r.Header.Get("If-Modified-Since"))
	if raw == "" {
		return 0, nil
	}
	for _, layout := range sinceLayouts {
		if t, err := time.Parse(layout, raw); err == nil {
			ms := t.Truncate(time.Second).UnixMilli() + 999
			if ms <= 0 {
				return 0, nil // before 1970: everything is newer
			}
			return ms, nil
		}
	}
	return 0, crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"header_name": "If-Modified-Since"})
}

// writeNotModified answers 304 with no body: nothing changed since If-Modified-Since.
func writeNotModified(w http.ResponseWriter) { w.WriteHeader(http.StatusNotModified) }

// writeFreshList answers a list as writeList does, except that an empty list asked with
// If-Modified-Since (since ≠ 0) is 304 rather than 204.
func writeFreshList[T any](w http.ResponseWriter, since int64, key string, items []T, info map[string]any) {
	if since != 0 && len(items) == 0 {
		writeNotModified(w)
		return
	}
	writeList(w, key, items, info)
}
