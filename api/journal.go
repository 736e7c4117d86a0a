package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The request journal (docs/control.md#requests): the last requests the server answered, for tests that
// want to see what their client sent. It is kept only while the control API is on, in a ring of
// --journal-size entries, in memory. Nothing secret is kept: no header, and every query parameter, form
// field or JSON key that names a token, secret, password or grant code is replaced by "[redacted]".

// journalBodyMax is the most of a request or response body an entry keeps.
const journalBodyMax = 4096

// redacted replaces a secret value.
const redacted = "[redacted]"

// JournalEntry is one request as the journal keeps it.
type JournalEntry struct {
	Time       string         `json:"time"`
	Method     string         `json:"method"`
	Path       string         `json:"path"`
	Query      map[string]any `json:"query"`
	Request    any            `json:"request_body"`
	Response   any            `json:"response_body"`
	Status     int            `json:"status"`
	Code       *string        `json:"code"`
	DurationMS float64        `json:"duration_ms"`
	Org        *string        `json:"org_id"`
	User       *string        `json:"user_id"`
	Truncated  bool           `json:"truncated"`
}

// journal is the ring of the last entries.
type journal struct {
	mu      sync.Mutex
	entries []JournalEntry
	next    int
	full    bool
}

func newJournal(size int) *journal {
	if size <= 0 {
		return nil
	}
	return &journal{entries: make([]JournalEntry, size)}
}

func (j *journal) add(e JournalEntry) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries[j.next] = e
	j.next = (j.next + 1) % len(j.entries)
	if j.next == 0 {
		j.full = true
	}
}

// last returns up to limit entries, newest first, whose path starts with prefix ("" = all).
func (j *journal) last(limit int, prefix string) []JournalEntry {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := j.next
	if j.full {
		n = len(j.entries)
	}
	out := []JournalEntry{}
	for i := 1; i <= n && len(out) < limit; i++ {
		e := j.entries[(j.next-i+len(j.entries))%len(j.entries)]
		if strings.HasPrefix(e.Path, prefix) {
			out = append(out, e)
		}
	}
	return out
}

func (j *journal) clear() {
	j.mu.Lock()
	defer j.mu.Unlock()
	clear(j.entries)
	j.next, j.full = 0, false
}

// secretName tells whether a parameter or JSON key holds a secret.
func secretName(k string, query bool) bool {
	k = strings.ToLower(k)
	if strings.Contains(k, "token") || strings.Contains(k, "secret") || strings.Contains(k, "password") {
		return true
	}
	// A grant code travels as "code" in the token endpoint's parameters; in JSON "code" is Zoho's answer
	// code, which the journal keeps.
	return query && k == "code"
}

// redactValues turns parameters into a JSON object with secrets redacted.
func redactValues(v url.Values) map[string]any {
	out := map[string]any{}
	for k, vals := range v {
		var x any = vals
		if secretName(k, true) {
			x = redacted
		} else if len(vals) == 1 {
			x = vals[0]
		}
		out[k] = x
	}
	return out
}

// redactJSON replaces the values of secret keys, at any depth.
func redactJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if secretName(k, false) {
				x[k] = redacted
			} else {
				x[k] = redactJSON(val)
			}
		}
	case []any:
		for i := range x {
			x[i] = redactJSON(x[i])
		}
	}
	return v
}

// journalBody is a body as the journal shows it: decoded JSON or form fields with secrets redacted, a note
// for anything else. truncated tells that the body was longer than journalBodyMax.
func journalBody(b []byte, contentType string, truncated bool) any {
	if len(b) == 0 {
		return nil
	}
	ct := strings.ToLower(contentType)
	switch {
	case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
		if v, err := url.ParseQuery(string(b)); err == nil && !truncated {
			return redactValues(v)
		}
	case strings.HasPrefix(ct, "multipart/"):
		return "[multipart body, not kept]"
	case strings.HasPrefix(ct, "text/event-stream"), strings.HasPrefix(ct, "text/csv"):
		return "[stream, not kept]"
	}
	if !truncated {
		var v any
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if d.Decode(&v) == nil {
			return redactJSON(v)
		}
	}
	// Neither JSON nor a form, or cut short: its secrets cannot be found, so it is not kept.
	return "[" + http.DetectContentType(b) + " body of " + byteCount(len(b), truncated) + ", not kept]"
}

func byteCount(n int, more bool) string {
	s := strconv.Itoa(n) + " bytes"
	if more {
		s = "more than " + s
	}
	return s
}

// zohoCode is the code of a Zoho answer: its own, or its first entry's.
func zohoCode(v any) *string {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	if c, ok := m["code"].(string); ok {
		return &c
	}
	for _, val := range m {
		if arr, ok := val.([]any); ok && len(arr) > 0 {
			if e, ok := arr[0].(map[string]any); ok {
				if c, ok := e["code"].(string); ok {
					return &c
				}
			}
		}
	}
	return nil
}

// capture keeps the first journalBodyMax bytes of what passes through it.
type capture struct {
	buf  bytes.Buffer
	more bool
}

func (c *capture) keep(p []byte) {
	room := journalBodyMax - c.buf.Len()
	if len(p) > room {
		c.more = true
		p = p[:max(room, 0)]
	}
	c.buf.Write(p)
}

// teeBody reads a request body while keeping its start.
type teeBody struct {
	io.ReadCloser
	c *capture
}

func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	t.c.keep(p[:n])
	return n, err
}

// journalWriter keeps the start of an answer.
type journalWriter struct {
	*statusRecorder
	c *capture
}

func (w *journalWriter) Write(b []byte) (int, error) {
	w.c.keep(b)
	return w.statusRecorder.Write(b)
}

// entryOf builds the journal entry of a request.
func entryOf(r *http.Request, rc *reqCtx, status int, start time.Time, elapsed time.Duration, req, resp *capture, respType string) JournalEntry {
	e := JournalEntry{Time: start.UTC().Format(time.RFC3339Nano), Method: MethodLabel(r.Method), Path: LogPath(r.URL.Path),
		Query: redactValues(r.URL.Query()), Status: status, DurationMS: float64(elapsed.Microseconds()) / 1000}
	e.Request = journalBody(req.buf.Bytes(), r.Header.Get("Content-Type"), req.more)
	e.Response = journalBody(resp.buf.Bytes(), respType, resp.more)
	e.Truncated = req.more || resp.more
	e.Code = zohoCode(e.Response)
	if rc.caller != nil {
		org, user := rc.caller.Org.ID.String(), rc.caller.User.ID.String()
		e.Org, e.User = &org, &user
	}
	return e
}
