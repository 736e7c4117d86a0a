package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/crmd/crmd"
)

// writeJSON writes v as the JSON body with the given status. Every crmd response goes through here (or
// writeNoContent), so every body is JSON with a JSON content type, as the SDKs require.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = 500
		buf.Reset()
		buf.WriteString(`{"code":"INTERNAL_ERROR","details":{},"message":"Internal Server Error","status":"error"}`)
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// writeNoContent answers 204 with no body, as Zoho does for empty lists.
func writeNoContent(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }

// errorBody is Zoho's request-level error object; all four keys are always present.
type errorBody struct {
	Code    string         `json:"code"`
	Details map[string]any `json:"details"`
	Message string         `json:"message"`
	Status  string         `json:"status"`
}

func bodyOf(e *crmd.Error) errorBody {
	d := e.Details
	if d == nil {
		d = map[string]any{}
	}
	return errorBody{Code: e.Code, Details: d, Message: e.Message, Status: "error"}
}

// writeError writes a *crmd.Error as Zoho's top-level error object.
func writeError(w http.ResponseWriter, e *crmd.Error) { writeJSON(w, e.Status, bodyOf(e)) }

// entry is one per-item outcome in a `data` (or resource-named) array.
type entry struct {
	Code    string         `json:"code"`
	Details map[string]any `json:"details"`
	Message string         `json:"message"`
	Status  string         `json:"status"`
}

func successEntry(message string, details map[string]any) entry {
	return entry{Code: "SUCCESS", Details: details, Message: message, Status: "success"}
}

func errorEntry(e *crmd.Error) entry {
	b := bodyOf(e)
	return entry{Code: b.Code, Details: b.Details, Message: b.Message, Status: "error"}
}

// multiStatus picks the HTTP status of a per-item response: ok when every item succeeded, 207 when
// mixed, 400 when every item failed.
func multiStatus(entries []entry, ok int) int {
	succeeded := 0
	for _, e := range entries {
		if e.Status == "success" {
			succeeded++
		}
	}
	switch {
	case succeeded == len(entries):
		return ok
	case succeeded == 0:
		return http.StatusBadRequest
	default:
		return http.StatusMultiStatus
	}
}

// writeList answers one page of a list: 204 with no body when it is empty, as Zoho does, else the
// items under key beside Zoho's info object.
func writeList[T any](w http.ResponseWriter, key string, items []T, info map[string]any) {
	if len(items) == 0 {
		writeNoContent(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{key: items, "info": info})
}

// errTooLarge is the 413 answer; limit is the body limit in bytes.
func errTooLarge(limit int64) *crmd.Error {
	return crmd.E("REQUEST_ENTITY_TOO_LARGE", "request body is too large", crmd.D{"limit": limit})
}

// readBody reads the whole request body within the server's limit. An empty body gives nil.
func (s *Server) readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errTooLarge(mbe.Limit)
		}
		return nil, crmd.ErrUnparsable()
	}
	return bytes.TrimSpace(b), nil
}

// decodeObject parses a JSON object body into a map with json.Number numbers. It answers nil for an
// empty body so callers can give their own "mandatory" error; anything unparsable, or not an object,
// is UNABLE_TO_PARSE_DATA_TYPE.
func (s *Server) decodeObject(r *http.Request) (map[string]any, error) {
	b, err := s.readBody(r)
	if err != nil || len(b) == 0 {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, crmd.ErrUnparsable()
	}
	if dec.More() {
		return nil, crmd.ErrUnparsable()
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, crmd.ErrUnparsable()
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, crmd.ErrUnparsable()
	}
	if path := nulPath(m, "$"); path != "" {
		return nil, crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"json_path": path})
	}
	return m, nil
}

// nulPath returns the JSON path of the first string (key or value) of v holding a NUL character, or
// "". JSON lets "\u0000" through, but PostgreSQL cannot store NUL in text (the write failed with a 500
// there while SQLite kept it), so crmd refuses it in every body, on every store alike.
func nulPath(v any, path string) string {
	switch x := v.(type) {
	case string:
		if strings.ContainsRune(x, 0) {
			return path
		}
	case []any:
		for i, e := range x {
			if p := nulPath(e, path+"["+strconv.Itoa(i)+"]"); p != "" {
				return p
			}
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys) // the first offender by name, so the answer does not depend on map order
		for _, k := range keys {
			if strings.ContainsRune(k, 0) {
				return path + "." + k
			}
			if p := nulPath(x[k], path+"."+k); p != "" {
				return p
			}
		}
	}
	return ""
}

// resultEntries turns a service's per-item results into response entries, in input order: success
// builds the message and details of an item that succeeded, an error becomes Zoho's error entry.
func resultEntries[T any](rs []crmd.Result[T], success func(T) (message string, details map[string]any)) []entry {
	entries := make([]entry, len(rs))
	for i, r := range rs {
		if r.OK() {
			msg, details := success(r.Value)
			entries[i] = successEntry(msg, details)
		} else {
			entries[i] = errorEntry(r.Err)
		}
	}
	return entries
}

// writeResults answers a multi-item call with one entry per item under key (see resultEntries): ok
// when every item succeeded, 207 when mixed, 400 when all failed.
func writeResults[T any](w http.ResponseWriter, key string, rs []crmd.Result[T], ok int, success func(T) (message string, details map[string]any)) {
	entries := resultEntries(rs, success)
	writeJSON(w, multiStatus(entries, ok), map[string]any{key: entries})
}
