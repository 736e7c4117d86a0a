package api

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/snapshots"
)

// The control API (docs/control.md) lets a test suite steer the server it runs against: forced faults,
// the request journal, a virtual clock, and the job runner's pacing and the API limits at run time. It
// exists only when the server runs with a control token (serve --control-token, CRMD_CONTROL_TOKEN):
// without one its paths are unknown (404, like any other unknown path); with one, a call must carry
// "Authorization: Bearer <token>" (401 otherwise). It is not Zoho's API: no OAuth token, no API limits,
// never faulted, never journaled.

// controlPrefix is where the control API lives.
const controlPrefix = "/crmd/v1/control/"

// control is the control API's state.
type control struct {
	token   string
	faults  faults
	journal *journal
	clock   *crmd.VirtualClock
}

// isControl tells whether a path is the control API's.
func isControl(path string) bool { return strings.HasPrefix(path, controlPrefix) }

// checkControl checks the control token of a call.
func (s *Server) checkControl(r *http.Request) error {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || len(r.Header.Values("Authorization")) != 1 || subtle.ConstantTimeCompare([]byte(got), []byte(s.ctl.token)) != 1 {
		return crmd.E("AUTHENTICATION_FAILURE", "the control token is missing or wrong", nil)
	}
	return nil
}

// controlRoutes registers the control API, when it is on.
func (s *Server) controlRoutes() {
	if s.ctl == nil {
		return
	}
	ctl := routeOpts{public: true, own: true, control: true}
	s.rt.handle("GET", controlPrefix+"faults", s.getFaults, ctl)
	s.rt.handle("PUT", controlPrefix+"faults", s.putFaults, ctl)
	s.rt.handle("DELETE", controlPrefix+"faults", s.deleteFaults, ctl)
	s.rt.handle("GET", controlPrefix+"requests", s.getRequests, ctl)
	s.rt.handle("DELETE", controlPrefix+"requests", s.deleteRequests, ctl)
	s.rt.handle("GET", controlPrefix+"clock", s.getClock, ctl)
	s.rt.handle("POST", controlPrefix+"clock", s.setClock, ctl)
	s.rt.handle("GET", controlPrefix+"settings", s.getSettings, ctl)
	s.rt.handle("PUT", controlPrefix+"settings", s.putSettings, ctl)
	s.rt.handle("POST", controlPrefix+"reset", s.reset, ctl)
	s.rt.handle("GET", controlPrefix+"snapshots", s.listSnapshots, ctl)
	s.rt.handle("POST", controlPrefix+"snapshots", s.createSnapshot, ctl)
	s.rt.handle("DELETE", controlPrefix+"snapshots/{name}", s.deleteSnapshot, ctl)
	s.rt.handle("POST", controlPrefix+"snapshots/{name}/actions/restore", s.restoreSnapshot, ctl)
}

// controlInvalid is the answer for a bad value in a control body.
func controlInvalid(path, msg string) *crmd.Error {
	name := path[strings.LastIndex(path, ".")+1:]
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = name[:i]
	}
	return crmd.E("INVALID_DATA", msg, crmd.D{"api_name": name, "json_path": path})
}

// decodeControl decodes a control body into v, refusing unknown keys.
func (s *Server) decodeControl(r *http.Request, v any) error {
	b, err := s.readBody(r)
	if err != nil {
		return err
	}
	if len(b) == 0 {
		return crmd.E("INVALID_DATA", "the body is missing", crmd.D{"json_path": "$"})
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return crmd.E("INVALID_DATA", "the body is not the JSON this call takes: "+err.Error(), crmd.D{"json_path": "$"})
	}
	return nil
}

// ---- faults ----

type faultsBody struct {
	Faults []*Fault   `json:"faults"`
	Job    *jobFaults `json:"job,omitempty"`
}

type jobFaults struct {
	FailAfterRecords *int64 `json:"fail_after_records"`
}

func (s *Server) faultsAnswer(w http.ResponseWriter) {
	n := int64(0)
	if s.svc.Runner != nil {
		n = s.svc.Runner.FailingAfter()
	}
	writeJSON(w, http.StatusOK, faultsBody{Faults: s.ctl.faults.snapshot(), Job: &jobFaults{FailAfterRecords: &n}})
}

func (s *Server) getFaults(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	s.faultsAnswer(w)
	return nil
}

// putFaults replaces the faults (and, with "job", the job fault).
func (s *Server) putFaults(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	var b faultsBody
	if err := s.decodeControl(r, &b); err != nil {
		return err
	}
	if b.Faults == nil && b.Job == nil {
		return crmd.E("MANDATORY_NOT_FOUND", "faults or job is required", crmd.D{"json_path": "$.faults"})
	}
	for i, f := range b.Faults {
		at := "$.faults[" + strconv.Itoa(i) + "]"
		switch {
		case f == nil:
			return controlInvalid(at, "a fault must be an object")
		case !strings.HasPrefix(f.Path, "/") || strings.ContainsAny(f.Path, "?# ") || isControl(f.Path+"/"):
			return controlInvalid(at+".path", "path must be a path such as /crm/v8/{module}, outside the control API")
		case f.Method != "" && MethodLabel(strings.ToUpper(f.Method)) == "other":
			return controlInvalid(at+".method", "method must be an HTTP method")
		case f.Status != 0 && (f.Status < 400 || f.Status > 599):
			return controlInvalid(at+".status", "status must be between 400 and 599 (or 0 for a delay only)")
		case f.Status == 0 && f.DelayMS == 0:
			return controlInvalid(at+".status", "a fault needs a status, a delay_ms or both")
		case f.DelayMS < 0 || f.DelayMS > 60000:
			return controlInvalid(at+".delay_ms", "delay_ms must be between 0 and 60000")
		case f.Times < 0:
			return controlInvalid(at+".times", "times must be 0 (always) or more")
		case f.Probability != nil && (*f.Probability < 0 || *f.Probability > 1):
			return controlInvalid(at+".probability", "probability must be between 0 and 1")
		}
	}
	if b.Job != nil && b.Job.FailAfterRecords != nil {
		if *b.Job.FailAfterRecords < 0 {
			return controlInvalid("$.job.fail_after_records", "fail_after_records must be 0 (none) or more")
		}
		if s.svc.Runner == nil {
			return crmd.E("NOT_SUPPORTED", "this server runs no jobs", nil)
		}
		s.svc.Runner.FailAfter(*b.Job.FailAfterRecords)
	}
	if b.Faults != nil {
		s.ctl.faults.set(b.Faults)
	}
	s.faultsAnswer(w)
	return nil
}

func (s *Server) deleteFaults(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	s.ctl.faults.set(nil)
	if s.svc.Runner != nil {
		s.svc.Runner.FailAfter(0)
	}
	s.faultsAnswer(w)
	return nil
}

// ---- the request journal ----

func (s *Server) getRequests(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	q := r.URL.Query()
	limit := 50
	if v, ok := queryParam(q, "limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return crmd.ErrInvalidParam("limit")
		}
		limit = n
	}
	prefix, _ := queryParam(q, "path")
	writeJSON(w, http.StatusOK, map[string]any{"requests": s.ctl.journal.last(limit, prefix)})
	return nil
}

func (s *Server) deleteRequests(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	s.ctl.journal.clear()
	writeJSON(w, http.StatusOK, map[string]any{"requests": []JournalEntry{}})
	return nil
}

// ---- the clock ----

func (s *Server) clockAnswer(w http.ResponseWriter) {
	writeJSON(w, http.StatusOK, map[string]any{"clock": map[string]any{
		"now": s.ctl.clock.Now().UTC().Format(time.RFC3339Nano), "offset_ms": s.ctl.clock.Offset().Milliseconds()}})
}

func (s *Server) getClock(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	s.clockAnswer(w)
	return nil
}

// setClock sets the virtual clock ({"set": RFC 3339 time}) or moves it ({"advance": Go duration}).
func (s *Server) setClock(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	var b struct {
		Set     *string `json:"set"`
		Advance *string `json:"advance"`
	}
	if err := s.decodeControl(r, &b); err != nil {
		return err
	}
	switch {
	case (b.Set == nil) == (b.Advance == nil):
		return crmd.E("INVALID_DATA", "give exactly one of set and advance", crmd.D{"json_path": "$"})
	case b.Set != nil:
		t, err := time.Parse(time.RFC3339, *b.Set)
		if err != nil {
			return controlInvalid("$.set", "set must be an RFC 3339 time such as 2026-01-02T15:04:05Z")
		}
		s.ctl.clock.Set(t)
	default:
		d, err := time.ParseDuration(*b.Advance)
		if err != nil {
			return controlInvalid("$.advance", "advance must be a duration such as 25h or 90m")
		}
		s.ctl.clock.Advance(d)
	}
	s.clockAnswer(w)
	return nil
}

// ---- run-time settings: job pacing and API limits ----

type settingsBody struct {
	Job    *jobSettings   `json:"job,omitempty"`
	Limits *limitSettings `json:"limits,omitempty"`
}

type jobSettings struct {
	BatchSize    *int   `json:"batch_size"`
	BatchDelayMS *int64 `json:"batch_delay_ms"`
}

type limitSettings struct {
	CreditsPerDay        *int `json:"credits_per_day"`
	MaxConcurrentPerUser *int `json:"max_concurrent_per_user"`
}

func (s *Server) settingsAnswer(w http.ResponseWriter) {
	out := settingsBody{Limits: &limitSettings{}}
	mc, cr := s.limits.limits()
	out.Limits.CreditsPerDay, out.Limits.MaxConcurrentPerUser = &cr, &mc
	if s.svc.Runner != nil {
		size, delay := s.svc.Runner.Pacing()
		ms := delay.Milliseconds()
		out.Job = &jobSettings{BatchSize: &size, BatchDelayMS: &ms}
	}
	writeJSON(w, http.StatusOK, map[string]any{"settings": out})
}

func (s *Server) getSettings(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	s.settingsAnswer(w)
	return nil
}

// putSettings changes the settings it names and keeps the others.
func (s *Server) putSettings(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	var b settingsBody
	if err := s.decodeControl(r, &b); err != nil {
		return err
	}
	if j := b.Job; j != nil {
		if j.BatchSize != nil && (*j.BatchSize < 1 || *j.BatchSize > 50000) {
			return controlInvalid("$.job.batch_size", "batch_size must be between 1 and 50000")
		}
		if j.BatchDelayMS != nil && (*j.BatchDelayMS < 0 || *j.BatchDelayMS > 60000) {
			return controlInvalid("$.job.batch_delay_ms", "batch_delay_ms must be between 0 and 60000")
		}
		if s.svc.Runner == nil {
			return crmd.E("NOT_SUPPORTED", "this server runs no jobs", nil)
		}
	}
	if l := b.Limits; l != nil {
		if l.CreditsPerDay != nil && *l.CreditsPerDay < 0 {
			return controlInvalid("$.limits.credits_per_day", "credits_per_day must be 0 (unlimited) or more")
		}
		if l.MaxConcurrentPerUser != nil && *l.MaxConcurrentPerUser < 0 {
			return controlInvalid("$.limits.max_concurrent_per_user", "max_concurrent_per_user must be 0 (unlimited) or more")
		}
	}
	if j := b.Job; j != nil {
		size, delay := -1, time.Duration(-1)
		if j.BatchSize != nil {
			size = *j.BatchSize
		}
		if j.BatchDelayMS != nil {
			delay = time.Duration(*j.BatchDelayMS) * time.Millisecond
		}
		s.svc.Runner.SetPacing(size, delay)
	}
	if l := b.Limits; l != nil {
		mc, cr := -1, -1
		if l.MaxConcurrentPerUser != nil {
			mc = *l.MaxConcurrentPerUser
		}
		if l.CreditsPerDay != nil {
			cr = *l.CreditsPerDay
		}
		s.limits.set(mc, cr)
	}
	s.settingsAnswer(w)
	return nil
}

// ---- snapshots and reset ----

// snapshotJSON is a snapshot as the control API answers it.
type snapshotJSON struct {
	Name        string `json:"name"`
	CreatedTime string `json:"created_time"`
	Rows        int64  `json:"rows"`
}

func snapshotOut(sn *snapshots.Snapshot) snapshotJSON {
	return snapshotJSON{Name: sn.Name, CreatedTime: time.UnixMilli(sn.CreatedAt).UTC().Format(time.RFC3339Nano), Rows: sn.Rows}
}

// reset puts the database back in the state the server started in, and clears the faults.
func (s *Server) reset(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	start := time.Now()
	if err := s.svc.Snapshots.Reset(r.Context()); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"reset": map[string]any{"ms": float64(time.Since(start).Microseconds()) / 1000}})
	return nil
}

func (s *Server) listSnapshots(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	all, err := s.svc.Snapshots.List(r.Context())
	if err != nil {
		return err
	}
	out := make([]snapshotJSON, 0, len(all))
	for i := range all {
		out = append(out, snapshotOut(&all[i]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"snapshots": out})
	return nil
}

func (s *Server) createSnapshot(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	var b struct {
		Name *string `json:"name"`
	}
	if err := s.decodeControl(r, &b); err != nil {
		return err
	}
	if b.Name == nil {
		return crmd.E("MANDATORY_NOT_FOUND", "name is required", crmd.D{"api_name": "name", "json_path": "$.name"})
	}
	sn, err := s.svc.Snapshots.Create(r.Context(), *b.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"snapshot": snapshotOut(sn)})
	return nil
}

func (s *Server) restoreSnapshot(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	sn, err := s.svc.Snapshots.Restore(r.Context(), rc.param("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"snapshot": snapshotOut(sn)})
	return nil
}

func (s *Server) deleteSnapshot(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	sn, err := s.svc.Snapshots.Delete(r.Context(), rc.param("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"snapshot": snapshotOut(sn)})
	return nil
}
