package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ---- jobs -----------------------------------------------------------------------------------------

// jobRow is a job as the console shows it.
type jobRow struct {
	job
	Selection string
	CanCancel bool
	CanUndo   bool
	// MayUndo: a mass delete this user may undo once it has ended; the page's script offers Undo when
	// the events stream reports the end.
	MayUndo bool
}

// mayChange: the job's creator or an Administrator may cancel or undo it (the API decides again).
func (v *visit) mayChange(j *job) bool {
	return v.isAdmin() || (j.CreatedBy != nil && j.CreatedBy.ID == v.caller.User.ID.String())
}

// viewNames maps a module's view ids to their display names (none when the API refuses them).
func (h *Handler) viewNames(r *http.Request, v *visit, mod string) map[string]string {
	names := map[string]string{}
	if vs, err := h.views(r, v, mod); err == nil {
		for _, vw := range vs {
			names[vw.ID] = vw.DisplayValue
		}
	}
	return names
}

// territoryNames maps the org's territory ids to their names (none when the API refuses them).
func (h *Handler) territoryNames(r *http.Request, v *visit) map[string]string {
	names := map[string]string{}
	if ts, err := h.territories(r, v); err == nil {
		for _, t := range ts {
			names[t.ID] = t.Name
		}
	}
	return names
}

// rows turns jobs into rows, naming their views and territories (one read per module and one for the
// territories, not one per job).
func (h *Handler) rows(r *http.Request, v *visit, js []job) []jobRow {
	viewNames := map[string]map[string]string{}
	var terrNames map[string]string
	out := make([]jobRow, 0, len(js))
	for _, j := range js {
		mayUndo := j.Kind == "mass_delete" && j.UndoneBy == nil && v.mayChange(&j) && v.canMassDelete()
		row := jobRow{job: j, CanCancel: j.Cancellable() && v.mayChange(&j), MayUndo: mayUndo, CanUndo: mayUndo && j.Finished()}
		switch j.Kind {
		case "mass_delete":
			var parts []string
			if j.CVID != nil && j.Module != nil {
				names, ok := viewNames[*j.Module]
				if !ok {
					names = h.viewNames(r, v, *j.Module)
					viewNames[*j.Module] = names
				}
				if n := names[*j.CVID]; n != "" {
					parts = append(parts, "view “"+n+"”")
				} else {
					parts = append(parts, "view "+*j.CVID)
				}
			}
			if j.Territory != nil {
				if terrNames == nil {
					terrNames = h.territoryNames(r, v)
				}
				n := terrNames[j.Territory.ID]
				if n == "" {
					n = j.Territory.ID
				}
				s := "territory “" + n + "”"
				if j.Territory.IncludeChild {
					s += " and its children"
				}
				parts = append(parts, s)
			}
			row.Selection = strings.Join(parts, ", ")
		case "undo":
			if j.UndoOf != nil {
				row.Selection = "undo of job " + *j.UndoOf
			}
		case "restore", "purge", "empty":
			row.Selection = "recycle bin"
		}
		if row.Selection == "" {
			row.Selection = "—"
		}
		out = append(out, row)
	}
	return out
}

type jobsPage struct {
	Jobs       []jobRow
	Page       int
	More       bool
	Error      string
	Notice     string
	PrevPage   int
	NextPage   int
	HasPrev    bool
	StatusOpts []string
}

func (jobsPage) title() (string, string) { return "Jobs", "jobs" }

func (h *Handler) jobsPage(w http.ResponseWriter, r *http.Request, v *visit) {
	page := intParam(r, "page", 1)
	var out struct {
		Jobs []job `json:"jobs"`
		Info info  `json:"info"`
	}
	p := jobsPage{Page: page, PrevPage: page - 1, NextPage: page + 1, HasPrev: page > 1}
	status := http.StatusOK
	if err := h.getJSON(r, v, "/crmd/v1/jobs", url.Values{"page": {strconv.Itoa(page)}, "per_page": {"50"}}, &out); err != nil {
		if status, p.Error = h.shown(w, r, err); status == 0 {
			return
		}
	}
	p.Jobs = h.rows(r, v, out.Jobs)
	p.More = out.Info.MoreRecords
	h.render(w, r, status, "jobs", v, p)
}

type jobPage struct {
	Job    jobRow
	Error  string
	Notice string
}

func (p jobPage) title() (string, string) { return "Job " + p.Job.ID, "jobs" }

// readJob reads one job through the API; a refusal is written as the answer (false).
func (h *Handler) readJob(w http.ResponseWriter, r *http.Request, v *visit) (*jobRow, bool) {
	id := r.PathValue("id")
	var out struct {
		Job job `json:"job"`
	}
	if err := h.getJSON(r, v, "/crmd/v1/jobs/"+url.PathEscape(id), nil, &out); err != nil {
		if status, msg := h.shown(w, r, err); status != 0 {
			h.render(w, r, status, "message", v, messagePage{Title: "Job " + id, TestID: "error", Text: msg, Back: "/console/jobs"})
		}
		return nil, false
	}
	rows := h.rows(r, v, []job{out.Job})
	return &rows[0], true
}

func (h *Handler) jobPage(w http.ResponseWriter, r *http.Request, v *visit) {
	row, ok := h.readJob(w, r, v)
	if !ok {
		return
	}
	p := jobPage{Job: *row}
	switch r.URL.Query().Get("done") {
	case "cancel":
		p.Notice = "Cancellation requested: the job stops after the batch in progress."
	case "started":
		p.Notice = "The mass delete has started."
	}
	h.render(w, r, http.StatusOK, "job", v, p)
}

// jobEvents relays the job's events stream (GET /crmd/v1/jobs/{id}/events) to the page's script.
func (h *Handler) jobEvents(w http.ResponseWriter, r *http.Request, v *visit) {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, "/crmd/v1/jobs/"+url.PathEscape(r.PathValue("id"))+"/events", nil)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	req.Header.Set("Accept", "text/event-stream")
	h.cfg.API.ServeAs(w, req, v.caller)
}

type confirmPage struct {
	Title, Text, Action, Button, Back, TestID string
	Hidden                                    map[string]string
	HiddenIDs                                 []string
}

func (p confirmPage) title() (string, string) { return p.Title, "" }

// jobConfirm is the confirm step of a job's cancel or undo.
func (h *Handler) jobConfirm(w http.ResponseWriter, r *http.Request, v *visit) {
	action := r.PathValue("action")
	if action != "cancel" && action != "undo" {
		h.notFound(w, r)
		return
	}
	row, ok := h.readJob(w, r, v)
	if !ok {
		return
	}
	what := jobKindLabel(row.Kind)
	if row.Module != nil {
		what += " of " + *row.Module
	}
	p := confirmPage{Action: "/console/jobs/" + row.ID + "/" + action, Back: "/console/jobs/" + row.ID, TestID: "confirm-yes"}
	if action == "cancel" {
		p.Title = "Cancel job " + row.ID + "?"
		p.Text = fmt.Sprintf("Job %s (%s, %s) stops after the batch in progress. The %d records it has processed stay as they are; you can undo them later.", row.ID, what, row.Selection, row.Processed)
		p.Button = "Cancel the job"
	} else {
		p.Title = "Undo job " + row.ID + "?"
		p.Text = fmt.Sprintf("Job %s (%s, %s) deleted %d records. Undo restores every one of them still in the recycle bin, as a job of its own.", row.ID, what, row.Selection, row.Succeeded)
		p.Button = "Undo the job"
	}
	h.render(w, r, http.StatusOK, "confirm", v, p)
}

// jobAction cancels or undoes a job after its confirm step.
func (h *Handler) jobAction(w http.ResponseWriter, r *http.Request, v *visit) {
	action := r.PathValue("action")
	if action != "cancel" && action != "undo" {
		h.notFound(w, r)
		return
	}
	id := r.PathValue("id")
	_, b, err := h.call(r, v, http.MethodPost, "/crmd/v1/jobs/"+url.PathEscape(id)+"/actions/"+action, nil, nil)
	if err != nil {
		if status, msg := h.shown(w, r, err); status != 0 {
			h.render(w, r, status, "message", v, messagePage{Title: "Job " + id, TestID: "error", Text: msg, Back: "/console/jobs/" + id})
		}
		return
	}
	if action == "undo" {
		var out struct {
			Job job `json:"job"`
		}
		if err := json.Unmarshal(b, &out); err != nil || out.Job.ID == "" {
			h.internal(w, r, fmt.Errorf("undo answer: %v %s", err, b))
			return
		}
		http.Redirect(w, r, "/console/jobs/"+out.Job.ID, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/console/jobs/"+id+"?done=cancel", http.StatusSeeOther)
}

// ---- mass delete wizard ---------------------------------------------------------------------------

// selection is a wizard's choice: module, view, territory.
type selection struct {
	Module       string
	CVID         string
	Territory    string
	IncludeChild bool
}

func selectionOf(q url.Values) selection {
	return selection{Module: strings.TrimSpace(q.Get("module")), CVID: strings.TrimSpace(q.Get("cvid")),
		Territory: strings.TrimSpace(q.Get("territory")), IncludeChild: q.Get("include_child") != ""}
}

// body is the selection as the mass delete body (and its preview) takes it.
func (s selection) body() map[string]any {
	b := map[string]any{"cvid": s.CVID}
	if s.Territory != "" {
		b["territory"] = map[string]any{"id": s.Territory, "include_child": s.IncludeChild}
	}
	return b
}

// query is the selection as the wizard's query string.
func (s selection) query() string {
	q := url.Values{"module": {s.Module}, "cvid": {s.CVID}}
	if s.Territory != "" {
		q.Set("territory", s.Territory)
		if s.IncludeChild {
			q.Set("include_child", "on")
		}
	}
	return q.Encode()
}

type wizardPage struct {
	Sel         selection
	Modules     []module
	Views       []view
	Territories []territory
	Error       string
}

func (wizardPage) title() (string, string) { return "Mass delete", "mass-delete" }

// forbidden answers a page the user's profile does not allow.
func (h *Handler) forbidden(w http.ResponseWriter, r *http.Request, v *visit) {
	h.render(w, r, http.StatusForbidden, "message", v, messagePage{Title: "Mass delete is not allowed", TestID: "forbidden",
		Text: "Your profile (" + v.caller.User.Profile.Name + ") does not allow mass delete. An Administrator can run it.", Back: "/console/jobs"})
}

func (h *Handler) wizard(w http.ResponseWriter, r *http.Request, v *visit) {
	if !v.canMassDelete() {
		h.forbidden(w, r, v)
		return
	}
	p := wizardPage{Sel: selectionOf(r.URL.Query())}
	status := http.StatusOK
	var err error
	if p.Modules, err = h.modules(r, v); err != nil {
		h.failPage(w, r, v, err)
		return
	}
	deletable := p.Modules[:0]
	for _, m := range p.Modules {
		if m.Deletable {
			deletable = append(deletable, m)
		}
	}
	p.Modules = deletable
	if p.Sel.Module != "" {
		if p.Views, err = h.views(r, v, p.Sel.Module); err != nil {
			if status, p.Error = h.shown(w, r, err); status == 0 {
				return
			}
		}
		p.Territories, _ = h.territories(r, v) // an org without territories simply offers none
	}
	h.render(w, r, status, "wizard", v, p)
}

type previewPage struct {
	Sel       selection
	Query     string
	Preview   preview
	ViewName  string
	TerrName  string
	CanDelete bool
	Typed     string
	Error     string
}

func (previewPage) title() (string, string) { return "Mass delete: preview", "mass-delete" }

// runPreview asks the API's preview for the selection.
func (h *Handler) runPreview(r *http.Request, v *visit, sel selection) (*previewPage, error) {
	p := &previewPage{Sel: sel, Query: sel.query()}
	_, b, err := h.call(r, v, http.MethodPost, "/crmd/v1/"+url.PathEscape(sel.Module)+"/actions/mass_delete/preview", nil, sel.body())
	if err != nil {
		return nil, err
	}
	var out struct {
		Preview preview `json:"preview"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	p.Preview = out.Preview
	p.CanDelete = p.Preview.Outcome == "SCHEDULE" && p.Preview.Deletable > 0
	return p, nil
}

// renderPreview shows a preview, its view and territory by name: the names are read only for a page
// that shows them, not for a confirmed mass delete that goes on to its job.
func (h *Handler) renderPreview(w http.ResponseWriter, r *http.Request, v *visit, status int, p *previewPage) {
	p.ViewName = h.viewNames(r, v, p.Sel.Module)[p.Sel.CVID]
	if p.Sel.Territory != "" {
		p.TerrName = h.territoryNames(r, v)[p.Sel.Territory]
	}
	h.render(w, r, status, "preview", v, *p)
}

func (h *Handler) preview(w http.ResponseWriter, r *http.Request, v *visit) {
	if !v.canMassDelete() {
		h.forbidden(w, r, v)
		return
	}
	sel := selectionOf(r.URL.Query())
	if sel.Module == "" || sel.CVID == "" {
		http.Redirect(w, r, "/console/mass-delete?"+sel.query(), http.StatusSeeOther)
		return
	}
	p, err := h.runPreview(r, v, sel)
	if err != nil {
		h.wizardError(w, r, v, sel, err)
		return
	}
	h.renderPreview(w, r, v, http.StatusOK, p)
}

// wizardError shows a refused preview or mass delete on the wizard, with the choice kept.
func (h *Handler) wizardError(w http.ResponseWriter, r *http.Request, v *visit, sel selection, err error) {
	status, msg := h.shown(w, r, err)
	if status == 0 {
		return
	}
	p := wizardPage{Sel: sel, Error: msg}
	p.Modules, _ = h.modules(r, v)
	p.Views, _ = h.views(r, v, sel.Module)
	p.Territories, _ = h.territories(r, v)
	h.render(w, r, status, "wizard", v, p)
}

// startMassDelete runs the mass delete once the user typed the number of records it deletes: the
// preview is asked again, so that the number confirmed is the number deleted now, not when the page
// was drawn.
func (h *Handler) startMassDelete(w http.ResponseWriter, r *http.Request, v *visit) {
	if !v.canMassDelete() {
		h.forbidden(w, r, v)
		return
	}
	sel := selectionOf(r.PostForm)
	p, err := h.runPreview(r, v, sel)
	if err != nil {
		h.wizardError(w, r, v, sel, err)
		return
	}
	typed := strings.TrimSpace(r.PostForm.Get("confirm_count"))
	if !p.CanDelete {
		p.Error = "There is nothing this mass delete can delete now."
		h.renderPreview(w, r, v, http.StatusConflict, p)
		return
	}
	if typed != strconv.FormatInt(p.Preview.Deletable, 10) {
		p.Typed = typed
		p.Error = fmt.Sprintf("Type %d, the number of records to delete, to confirm.", p.Preview.Deletable)
		h.renderPreview(w, r, v, http.StatusUnprocessableEntity, p)
		return
	}
	_, b, err := h.call(r, v, http.MethodPost, "/crm/v8/"+url.PathEscape(sel.Module)+"/actions/mass_delete", nil, sel.body())
	if err != nil {
		status, msg := h.shown(w, r, err)
		if status != 0 {
			p.Error = msg
			h.renderPreview(w, r, v, status, p)
		}
		return
	}
	es := entriesOf(b)
	if len(es) == 0 || es[0].Details["job_id"] == nil {
		h.internal(w, r, fmt.Errorf("mass delete answer without a job id: %s", b))
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/console/jobs/%v?done=started", es[0].Details["job_id"]), http.StatusSeeOther)
}

// ---- recycle bin ----------------------------------------------------------------------------------

type binPage struct {
	Module, DeletedBy, From, To string
	Query                       string
	Modules                     []module
	Users                       []user
	Items                       []binItem
	Page                        int
	More                        bool
	PrevQuery, NextQuery        string
	Error, Notice               string
}

func (binPage) title() (string, string) { return "Recycle bin", "bin" }

// binFilter is the recycle bin filter of the page's choices, in the API's criteria shape (nil: all).
func binFilter(mod, by, from, to string) (any, error) {
	var leaves []any
	if mod != "" {
		leaves = append(leaves, map[string]any{"field": map[string]any{"api_name": "module"}, "comparator": "equal", "value": mod})
	}
	if by != "" {
		leaves = append(leaves, map[string]any{"field": map[string]any{"api_name": "deleted_by"}, "comparator": "equal", "value": by})
	}
	for _, d := range []struct{ v, cmp, at string }{{from, "greater_equal", "T00:00:00+00:00"}, {to, "less_equal", "T23:59:59+00:00"}} {
		if d.v == "" {
			continue
		}
		if _, err := time.Parse("2006-01-02", d.v); err != nil {
			return nil, &apiError{Status: http.StatusBadRequest, Code: "INVALID_DATA", Message: "a deleted-time bound must be a date such as 2026-12-31"}
		}
		leaves = append(leaves, map[string]any{"field": map[string]any{"api_name": "deleted_time"}, "comparator": d.cmp, "value": d.v + d.at})
	}
	switch len(leaves) {
	case 0:
		return nil, nil
	case 1:
		return leaves[0], nil
	}
	return map[string]any{"group_operator": "and", "group": leaves}, nil
}

func (h *Handler) binPage(w http.ResponseWriter, r *http.Request, v *visit) {
	q := r.URL.Query()
	p := binPage{Module: q.Get("module"), DeletedBy: q.Get("deleted_by"), From: q.Get("from"), To: q.Get("to"), Page: intParam(r, "page", 1)}
	keep := url.Values{}
	for k, val := range map[string]string{"module": p.Module, "deleted_by": p.DeletedBy, "from": p.From, "to": p.To} {
		if val != "" {
			keep.Set(k, val)
		}
	}
	p.Query = keep.Encode()
	switch q.Get("done") {
	case "restore":
		p.Notice = q.Get("n") + " record(s) restored."
	case "delete":
		p.Notice = q.Get("n") + " record(s) deleted permanently."
	case "empty":
		p.Notice = "The recycle bin is emptied."
	}
	status := http.StatusOK
	var err error
	if p.Modules, err = h.modules(r, v); err != nil {
		h.failPage(w, r, v, err)
		return
	}
	p.Users, _ = h.users(r, v)
	filter, ferr := binFilter(p.Module, p.DeletedBy, p.From, p.To)
	if ferr != nil {
		status, p.Error = h.shown(w, r, ferr)
	} else {
		params := url.Values{"page": {strconv.Itoa(p.Page)}, "per_page": {"100"}}
		if filter != nil {
			b, _ := json.Marshal(filter)
			params.Set("filters", string(b))
		}
		var out struct {
			Items []binItem `json:"recycle_bin"`
			Info  info      `json:"info"`
		}
		if err := h.getJSON(r, v, "/crm/v8/settings/recycle_bin", params, &out); err != nil {
			if status, p.Error = h.shown(w, r, err); status == 0 {
				return
			}
		}
		p.Items, p.More = out.Items, out.Info.MoreRecords
	}
	if p.Page > 1 {
		pq := url.Values{}
		for k, vals := range keep {
			pq[k] = vals
		}
		pq.Set("page", strconv.Itoa(p.Page-1))
		p.PrevQuery = pq.Encode()
	}
	if p.More {
		nq := url.Values{}
		for k, vals := range keep {
			nq[k] = vals
		}
		nq.Set("page", strconv.Itoa(p.Page+1))
		p.NextQuery = nq.Encode()
	}
	h.render(w, r, status, "bin", v, p)
}

// selectedIDs reads the ticked records of the bin's form.
func selectedIDs(r *http.Request) []string {
	var ids []string
	for _, id := range r.PostForm["ids"] {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// binBack is the bin page with the filter the form came from, and a notice.
func binBack(r *http.Request, done string, n int) string {
	q, _ := url.ParseQuery(r.PostForm.Get("back"))
	if q == nil {
		q = url.Values{}
	}
	q.Del("done")
	q.Del("n")
	q.Del("page")
	q.Set("done", done)
	q.Set("n", strconv.Itoa(n))
	return "/console/bin?" + q.Encode()
}

// scheduledJob reads the job id of a 202 SCHEDULED bin answer's entries.
func scheduledJob(es []entry) string {
	if len(es) == 1 && es[0].Code == "SCHEDULED" {
		if id, ok := es[0].Details["job_id"].(string); ok {
			return id
		}
	}
	return ""
}

// binResult counts the successes of a bin answer's entries; failures are shown.
func binResult(es []entry) (ok int, failed []string) {
	for _, e := range es {
		// CANNOT_DELETE (another user's record) has status success in Zoho's description, but nothing
		// was deleted.
		if e.Status == "success" && e.Code != "CANNOT_DELETE" {
			ok++
		} else {
			failed = append(failed, fmt.Sprintf("%v: %s", e.Details["id"], e.Message))
		}
	}
	return ok, failed
}

func (h *Handler) binRestore(w http.ResponseWriter, r *http.Request, v *visit) {
	ids := selectedIDs(r)
	if len(ids) == 0 {
		h.binMessage(w, r, v, http.StatusBadRequest, "Select the records to restore first.")
		return
	}
	_, b, err := h.call(r, v, http.MethodPost, "/crm/v8/settings/recycle_bin/actions/restore", nil, map[string]any{"ids": ids})
	h.binAnswer(w, r, v, "restore", b, err)
}

// binDelete deletes the ticked records permanently, after a confirm step.
func (h *Handler) binDelete(w http.ResponseWriter, r *http.Request, v *visit) {
	ids := selectedIDs(r)
	if len(ids) == 0 {
		h.binMessage(w, r, v, http.StatusBadRequest, "Select the records to delete permanently first.")
		return
	}
	if r.PostForm.Get("confirmed") != "yes" {
		h.render(w, r, http.StatusOK, "confirm", v, confirmPage{
			Title:  fmt.Sprintf("Delete %d record(s) permanently?", len(ids)),
			Text:   fmt.Sprintf("The %d selected record(s) leave the recycle bin for good: they can no longer be restored.", len(ids)),
			Action: "/console/bin/delete", Button: "Delete permanently", Back: "/console/bin?" + r.PostForm.Get("back"), TestID: "confirm-yes",
			Hidden:    map[string]string{"confirmed": "yes", "back": r.PostForm.Get("back")},
			HiddenIDs: ids,
		})
		return
	}
	_, b, err := h.call(r, v, http.MethodDelete, "/crm/v8/settings/recycle_bin", url.Values{"ids": {strings.Join(ids, ",")}}, nil)
	h.binAnswer(w, r, v, "delete", b, err)
}

func (h *Handler) binEmptyConfirm(w http.ResponseWriter, r *http.Request, v *visit) {
	h.render(w, r, http.StatusOK, "confirm", v, confirmPage{
		Title: "Empty the recycle bin?", Text: "Every record in the org's recycle bin is deleted permanently: none can be restored afterwards.",
		Action: "/console/bin/empty", Button: "Empty the recycle bin", Back: "/console/bin", TestID: "confirm-yes",
	})
}

func (h *Handler) binEmpty(w http.ResponseWriter, r *http.Request, v *visit) {
	_, b, err := h.call(r, v, http.MethodPost, "/crm/v8/settings/recycle_bin/actions/empty", nil, nil)
	h.binAnswer(w, r, v, "empty", b, err)
}

// binAnswer turns a bin call's answer into the next page: its job's page when it was scheduled,
// else the bin with a notice (or the refusal).
func (h *Handler) binAnswer(w http.ResponseWriter, r *http.Request, v *visit, done string, b []byte, err error) {
	if err != nil {
		status, msg := h.shown(w, r, err)
		if status != 0 {
			h.binMessage(w, r, v, status, msg)
		}
		return
	}
	es := entriesOf(b)
	if id := scheduledJob(es); id != "" {
		http.Redirect(w, r, "/console/jobs/"+id, http.StatusSeeOther)
		return
	}
	n, failed := binResult(es)
	if len(failed) > 0 {
		h.binMessage(w, r, v, http.StatusMultiStatus, fmt.Sprintf("%d done; not done: %s", n, strings.Join(failed, "; ")))
		return
	}
	http.Redirect(w, r, binBack(r, done, n), http.StatusSeeOther)
}

func (h *Handler) binMessage(w http.ResponseWriter, r *http.Request, v *visit, status int, msg string) {
	h.render(w, r, status, "message", v, messagePage{Title: "Recycle bin", TestID: "error", Text: msg, Back: "/console/bin?" + r.PostForm.Get("back")})
}

// ---- records ----------------------------------------------------------------------------------------

type recordsPage struct {
	Sel                  selection
	Modules              []module
	Views                []view
	Territories          []territory
	Columns              []field
	Rows                 [][]string
	Page                 int
	More                 bool
	PrevQuery, NextQuery string
	Error                string
}

func (recordsPage) title() (string, string) { return "Records", "records" }

// columns picks the fields the records page shows: the module's mandatory fields (its name), more
// text fields up to three, the first email and phone field, and the owner — what tells records apart.
func columns(fs []field) []field {
	var out []field
	taken := map[string]bool{}
	add := func(f field) {
		if !taken[f.APIName] {
			taken[f.APIName] = true
			out = append(out, f)
		}
	}
	for _, f := range fs {
		if f.SystemMandatory {
			add(f)
		}
	}
	for _, f := range fs {
		if f.DataType == "text" && !f.ReadOnly && len(out) < 3 {
			add(f)
		}
	}
	for _, typ := range []string{"email", "phone", "ownerlookup"} {
		for _, f := range fs {
			if f.DataType == typ && !f.ReadOnly {
				add(f)
				break
			}
		}
	}
	return out
}

func (h *Handler) recordsPage(w http.ResponseWriter, r *http.Request, v *visit) {
	p := recordsPage{Sel: selectionOf(r.URL.Query()), Page: intParam(r, "page", 1)}
	status := http.StatusOK
	var err error
	if p.Modules, err = h.modules(r, v); err != nil {
		h.failPage(w, r, v, err)
		return
	}
	if p.Sel.Module == "" {
		h.render(w, r, status, "records", v, p)
		return
	}
	p.Territories, _ = h.territories(r, v)
	if p.Views, err = h.views(r, v, p.Sel.Module); err != nil {
		if status, p.Error = h.shown(w, r, err); status == 0 {
			return
		}
		h.render(w, r, status, "records", v, p)
		return
	}
	var fs struct {
		Fields []field `json:"fields"`
	}
	if err := h.getJSON(r, v, "/crm/v8/settings/fields", url.Values{"module": {p.Sel.Module}}, &fs); err != nil {
		if status, p.Error = h.shown(w, r, err); status == 0 {
			return
		}
		h.render(w, r, status, "records", v, p)
		return
	}
	p.Columns = columns(fs.Fields)
	names := []string{}
	for _, f := range p.Columns {
		names = append(names, f.APIName)
	}
	params := url.Values{"fields": {strings.Join(append(names, "Territories"), ",")}, "page": {strconv.Itoa(p.Page)}, "per_page": {"50"}}
	if p.Sel.CVID != "" {
		params.Set("cvid", p.Sel.CVID)
	}
	if p.Sel.Territory != "" {
		params.Set("territory_id", p.Sel.Territory)
		if p.Sel.IncludeChild {
			params.Set("include_child", "true")
		}
	}
	var out struct {
		Data []map[string]any `json:"data"`
		Info info             `json:"info"`
	}
	if err := h.getJSON(r, v, "/crm/v8/"+url.PathEscape(p.Sel.Module), params, &out); err != nil {
		if status, p.Error = h.shown(w, r, err); status == 0 {
			return
		}
	}
	for _, rec := range out.Data {
		row := []string{fmt.Sprint(rec["id"])}
		for _, c := range p.Columns {
			row = append(row, cell(rec[c.APIName]))
		}
		row = append(row, territoriesCell(rec["Territories"]))
		p.Rows = append(p.Rows, row)
	}
	p.More = out.Info.MoreRecords
	base := p.Sel.query()
	if p.Page > 1 {
		p.PrevQuery = base + "&page=" + strconv.Itoa(p.Page-1)
	}
	if p.More {
		p.NextQuery = base + "&page=" + strconv.Itoa(p.Page+1)
	}
	h.render(w, r, status, "records", v, p)
}

// cell shows a field's value: a lookup by its name, nothing for null.
func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case map[string]any:
		if n, ok := x["name"]; ok {
			return fmt.Sprint(n)
		}
		b, _ := json.Marshal(x)
		return string(b)
	case []any:
		var parts []string
		for _, e := range x {
			parts = append(parts, cell(e))
		}
		return strings.Join(parts, ", ")
	default:
		return fmt.Sprint(x)
	}
}

// territoriesCell shows a record's territories by name.
func territoriesCell(v any) string {
	ts, _ := v.([]any)
	var names []string
	for _, t := range ts {
		if m, ok := t.(map[string]any); ok {
			names = append(names, fmt.Sprint(m["Name"]))
		}
	}
	return strings.Join(names, ", ")
}

// ---- helpers ----------------------------------------------------------------------------------------

// shown turns an error into what a page shows: the API's refusal with its status, or — for anything
// else — the internal error page, already written (status 0).
func (h *Handler) shown(w http.ResponseWriter, r *http.Request, err error) (int, string) {
	var ae *apiError
	if errors.As(err, &ae) {
		msg := ae.Message
		if ae.Code != "" {
			msg = ae.Code + ": " + msg
		}
		if len(ae.Details) > 0 {
			b, _ := json.Marshal(ae.Details)
			msg += " " + string(b)
		}
		return ae.Status, msg
	}
	h.internal(w, r, err)
	return 0, ""
}

// failPage shows an error as the whole page.
func (h *Handler) failPage(w http.ResponseWriter, r *http.Request, v *visit, err error) {
	if status, msg := h.shown(w, r, err); status != 0 {
		h.render(w, r, status, "message", v, messagePage{Title: "Refused", TestID: "error", Text: msg, Back: "/console/jobs"})
	}
}

// intParam reads a positive integer query parameter.
func intParam(r *http.Request, name string, def int) int {
	n, err := strconv.Atoi(r.URL.Query().Get(name))
	if err != nil || n < 1 || n > 100000 {
		return def
	}
	return n
}

// pct is a job's progress for a progress bar (0–100).
func pct(p int64) int64 {
	if p < 0 {
		return 0
	}
	if p > 100 {
		return 100
	}
	return p
}

// when shows an API time (RFC 3339) shortly, or a dash.
func when(s any) string {
	var t string
	switch x := s.(type) {
	case string:
		t = x
	case *string:
		if x != nil {
			t = *x
		}
	}
	if t == "" {
		return "—"
	}
	if p, err := time.Parse(time.RFC3339, t); err == nil {
		return p.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	return t
}

// jobKindLabel names a job kind for people.
func jobKindLabel(k string) string {
	switch k {
	case "mass_delete":
		return "mass delete"
	case "undo":
		return "undo"
	case "restore":
		return "bin restore"
	case "purge":
		return "permanent delete"
	case "empty":
		return "bin empty"
	case "index":
		return "index build"
	case "retention_purge", "retention_drop":
		return "retention purge"
	}
	return k
}
