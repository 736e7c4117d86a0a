package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// The console reads and changes data only through crmd's public API, called in process as the
// signed-in user (api.Server.ServeAs). These are the calls and the parts of the answers it uses.

// recorder collects an in-process API answer.
type recorder struct {
	hdr  http.Header
	code int
	buf  bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.hdr }
func (r *recorder) WriteHeader(c int) {
	if r.code == 0 {
		r.code = c
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.buf.Write(b)
}

// apiError is a refusal of the API, in Zoho's terms, shown to the user as it is.
type apiError struct {
	Status  int
	Code    string
	Message string
	Details map[string]any
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// call makes one API call as v's user. body, when not nil, is sent as JSON. The answer's status and
// body come back; a status of 400 or more is an *apiError read from Zoho's envelope.
func (h *Handler) call(r *http.Request, v *visit, method, path string, q url.Values, body any) (int, []byte, error) {
	target := path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	var rdr *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rdr = bytes.NewReader(b)
	} else {
		rdr = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(r.Context(), method, target, rdr)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := &recorder{hdr: http.Header{}}
	h.cfg.API.ServeAs(rec, req, v.caller)
	if rec.code >= 400 {
		return rec.code, rec.buf.Bytes(), decodeError(rec.code, rec.buf.Bytes())
	}
	return rec.code, rec.buf.Bytes(), nil
}

// getJSON makes a GET call and decodes its answer into out; 204 leaves out as it is.
func (h *Handler) getJSON(r *http.Request, v *visit, path string, q url.Values, out any) error {
	status, b, err := h.call(r, v, http.MethodGet, path, q, nil)
	if err != nil {
		return err
	}
	if status == http.StatusNoContent || len(b) == 0 {
		return nil
	}
	return json.Unmarshal(b, out)
}

// decodeError reads Zoho's error envelope: a bare {code, message, details, status} or the first
// entry of a {data|…: [...]} array.
func decodeError(status int, b []byte) error {
	e := &apiError{Status: status, Code: "ERROR", Message: http.StatusText(status)}
	var top map[string]json.RawMessage
	if json.Unmarshal(b, &top) != nil {
		return e
	}
	entry := top
	if _, ok := top["code"]; !ok {
		for _, raw := range top {
			var arr []map[string]json.RawMessage
			if json.Unmarshal(raw, &arr) == nil && len(arr) > 0 {
				entry = arr[0]
				break
			}
		}
	}
	_ = json.Unmarshal(entry["code"], &e.Code)
	_ = json.Unmarshal(entry["message"], &e.Message)
	_ = json.Unmarshal(entry["details"], &e.Details)
	return e
}

// entries reads the per-item answers of a multi-item call ({key: [{code, details, message, status}]}).
type entry struct {
	Code    string         `json:"code"`
	Status  string         `json:"status"`
	Message string         `json:"message"`
	Details map[string]any `json:"details"`
}

func entriesOf(b []byte) []entry {
	var top map[string][]entry
	if json.Unmarshal(b, &top) != nil {
		// A bare entry (the empty-bin answer, as Zoho gives it) is the one entry.
		var one entry
		if json.Unmarshal(b, &one) == nil && one.Code != "" {
			return []entry{one}
		}
		return nil
	}
	for _, es := range top {
		return es
	}
	return nil
}

// ref is a {name, id} reference in an answer.
type ref struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// job is crmd's job object (GET /crmd/v1/jobs/{id}).
type job struct {
	ID           string  `json:"id"`
	Kind         string  `json:"kind"`
	Module       *string `json:"module"`
	Status       string  `json:"status"`
	Total        int64   `json:"total"`
	Processed    int64   `json:"processed"`
	Succeeded    int64   `json:"succeeded"`
	Failed       int64   `json:"failed"`
	Progress     int64   `json:"progress"`
	CreatedBy    *ref    `json:"created_by"`
	CreatedTime  string  `json:"created_time"`
	StartedTime  *string `json:"started_time"`
	FinishedTime *string `json:"finished_time"`
	CVID         *string `json:"cvid"`
	Territory    *struct {
		ID           string `json:"id"`
		IncludeChild bool   `json:"include_child"`
	} `json:"territory"`
	Error           *string `json:"error"`
	CancelRequested bool    `json:"cancel_requested"`
	UndoOf          *string `json:"undo_of"`
	UndoneBy        *string `json:"undone_by"`
}

func (j job) Finished() bool {
	return j.Status == "COMPLETED" || j.Status == "FAILED" || j.Status == "CANCELLED"
}

// cancellable: the kinds a user may cancel, while they have not ended.
func (j job) Cancellable() bool {
	switch j.Kind {
	case "mass_delete", "undo", "restore", "purge", "empty":
		return !j.Finished() && !j.CancelRequested
	}
	return false
}

// module is a module of GET /settings/modules.
type module struct {
	APIName      string `json:"api_name"`
	PluralLabel  string `json:"plural_label"`
	APISupported bool   `json:"api_supported"`
	Deletable    bool   `json:"deletable"`
	Viewable     bool   `json:"viewable"`
}

// view is a custom view of GET /settings/custom_views.
type view struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	DisplayValue  string `json:"display_value"`
	SystemDefined bool   `json:"system_defined"`
}

// territory is a territory of GET /settings/territories.
type territory struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ReportingTo *ref   `json:"reporting_to"`
}

// preview is the answer of POST /crmd/v1/{module}/actions/mass_delete/preview.
type preview struct {
	Module      string `json:"module"`
	Selection   string `json:"selection"`
	Total       int64  `json:"total"`
	Deletable   int64  `json:"deletable"`
	Unapproved  int64  `json:"unapproved"`
	Invalid     int64  `json:"invalid"`
	Limit       int64  `json:"limit"`
	WithinLimit bool   `json:"within_limit"`
	Sample      []struct {
		ID          string `json:"id"`
		DisplayName string `json:"display_name"`
	} `json:"sample"`
	RunningJob *job   `json:"running_job"`
	Outcome    string `json:"outcome"`
}

// binItem is an item of GET /settings/recycle_bin.
type binItem struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
	DeletedTime string `json:"deleted_time"`
	Module      struct {
		APIName string `json:"api_name"`
	} `json:"module"`
	DeletedBy *ref `json:"deleted_by"`
	Owner     *ref `json:"owner"`
}

// user is a user of GET /users.
type user struct {
	ID       string `json:"id"`
	FullName string `json:"full_name"`
	Email    string `json:"email"`
}

// field is a field of GET /settings/fields.
type field struct {
	APIName         string `json:"api_name"`
	DisplayLabel    string `json:"display_label"`
	DataType        string `json:"data_type"`
	SystemMandatory bool   `json:"system_mandatory"`
	ReadOnly        bool   `json:"read_only"`
}

// info is the paging of a list answer.
type info struct {
	Page        int  `json:"page"`
	PerPage     int  `json:"per_page"`
	Count       int  `json:"count"`
	MoreRecords bool `json:"more_records"`
}

// modules lists the modules a mass delete or the records page can work on.
func (h *Handler) modules(r *http.Request, v *visit) ([]module, error) {
	var out struct {
		Modules []module `json:"modules"`
	}
	if err := h.getJSON(r, v, "/crm/v8/settings/modules", nil, &out); err != nil {
		return nil, err
	}
	var ms []module
	for _, m := range out.Modules {
		if m.APISupported && m.Viewable {
			ms = append(ms, m)
		}
	}
	return ms, nil
}

// views lists a module's custom views, system views included.
func (h *Handler) views(r *http.Request, v *visit, mod string) ([]view, error) {
	var out struct {
		Views []view `json:"custom_views"`
	}
	err := h.getJSON(r, v, "/crm/v8/settings/custom_views", url.Values{"module": {mod}}, &out)
	return out.Views, err
}

// territories lists the org's territories (none when the API refuses them).
func (h *Handler) territories(r *http.Request, v *visit) ([]territory, error) {
	var all []territory
	for page := 1; page <= 50; page++ {
		var out struct {
			Territories []territory `json:"territories"`
			Info        info        `json:"info"`
		}
		if err := h.getJSON(r, v, "/crm/v8/settings/territories", url.Values{"page": {fmt.Sprint(page)}, "per_page": {"200"}}, &out); err != nil {
			return nil, err
		}
		all = append(all, out.Territories...)
		if !out.Info.MoreRecords {
			break
		}
	}
	return all, nil
}

// users lists the org's users.
func (h *Handler) users(r *http.Request, v *visit) ([]user, error) {
	var out struct {
		Users []user `json:"users"`
	}
	err := h.getJSON(r, v, "/crm/v8/users", url.Values{"type": {"AllUsers"}, "per_page": {"200"}}, &out)
	return out.Users, err
}
