package api

import (
	"context"
	"encoding/csv"
	"net/http"
	"slices"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/audit"
	"github.com/crmd/crmd/oauth"
)

// auditCSVHeader is the header row of GET /crmd/v1/audit?format=csv.
var auditCSVHeader = []string{"id", "time", "action", "via", "module", "record_id", "display_name", "actor_id", "actor_name", "job_id"}

// listAudit serves GET /crmd/v1/audit (docs/crmd-api.md): a page of the audit trail as JSON, or every
// match as CSV with format=csv. The route has no request-wide deadline, since an export may outlast
// it; a JSON page runs under the query timeout, an export reads a page at a time, each under it.
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if !oauth.Permits(rc.caller.Scopes, oauth.Need{Family: "settings", Resource: "recycle_bin", Op: oauth.OpRead}) &&
		!oauth.Permits(rc.caller.Scopes, oauth.Need{Family: "mass_delete", Op: oauth.OpRead}) {
		return crmd.E("OAUTH_SCOPE_MISMATCH", crmd.MsgScopeMismatch, nil)
	}
	params := r.URL.Query()
	q := audit.Query{}
	ids := []struct {
		name string
		dst  *crmd.ID
	}{{"actor", &q.ActorID}, {"job_id", &q.JobID}, {"record_id", &q.RecordID}}
	for _, p := range ids {
		if v, ok := queryParam(params, p.name); ok {
			id, valid := crmd.ParseID(v)
			if !valid {
				return crmd.ErrInvalidParam(p.name)
			}
			*p.dst = id
		}
	}
	if v, ok := queryParam(params, "action"); ok {
		if v != audit.Deleted && v != audit.Restored && v != audit.Purged {
			return crmd.ErrInvalidParam("action")
		}
		q.Action = v
	}
	if v, ok := queryParam(params, "via"); ok {
		if !slices.Contains(audit.Vias, v) {
			return crmd.ErrInvalidParam("via")
		}
		q.Via = v
	}
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"from", &q.From}, {"to", &q.To}} {
		if v, ok := queryParam(params, p.name); ok {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return crmd.ErrInvalidParam(p.name)
			}
			*p.dst = t.UnixMilli()
		}
	}
	format := "json"
	if v, ok := queryParam(params, "format"); ok {
		if v != "json" && v != "csv" {
			return crmd.ErrInvalidParam("format")
		}
		format = v
	}
	var perr *crmd.Error
	if q.Page, q.PerPage, perr = pageParams(params, jobMaxPerPage); perr != nil {
		return perr
	}
	if v, ok := queryParam(params, "module"); ok {
		m, err := withQueryTimeout(s, r.Context(), func(ctx context.Context) (*crmd.Module, error) {
			return s.svc.Metadata.Module(ctx, rc.caller.Org.ID, v)
		})
		if err != nil {
			return err
		}
		if m == nil {
			return crmd.ErrInvalidParam("module")
		}
		q.ModuleID = m.ID
	}
	loc := rc.caller.Org.Location()
	if format == "csv" {
		return s.exportAudit(w, r, rc, q, loc)
	}
	p, err := withQueryTimeout(s, r.Context(), func(ctx context.Context) (*audit.Page, error) { return s.svc.Audit.List(ctx, rc.caller, q) })
	if err != nil {
		return err
	}
	out := make([]auditJSON, len(p.Entries))
	for i, e := range p.Entries {
		out[i] = auditOut(e, loc)
	}
	writeList(w, "audit", out, map[string]any{"page": q.Page, "per_page": q.PerPage, "count": len(out), "more_records": p.More})
	return nil
}

// exportAudit streams every entry q selects as CSV, a page of the store at a time. Once the first row
// is out the status is sent: a failure after it ends the stream early (logged), which a reader sees as
// a truncated file without the final newline of a complete one.
func (s *Server) exportAudit(w http.ResponseWriter, r *http.Request, rc *reqCtx, q audit.Query, loc *time.Location) error {
	rcw := http.NewResponseController(w)
	started := false
	cw := csv.NewWriter(w)
	err := s.svc.Audit.Export(r.Context(), rc.caller, q, s.cfg.QueryTimeout, func(entries []audit.Entry) error {
		if !started {
			started = true
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="audit.csv"`)
			w.WriteHeader(http.StatusOK)
			if err := cw.Write(auditCSVHeader); err != nil {
				return err
			}
		}
		rcw.SetWriteDeadline(time.Now().Add(eventsWriteWindow))
		for _, e := range entries {
			a := auditOut(e, loc)
			actorID, actorName, job := "", "", ""
			if a.Actor != nil {
				actorID, actorName = a.Actor.ID.String(), a.Actor.Name
			}
			if a.JobID != nil {
				job = a.JobID.String()
			}
			module := ""
			if a.Module != nil {
				module = *a.Module
			}
			if err := cw.Write([]string{a.ID.String(), a.Time, a.Action, a.Via, module, a.RecordID.String(),
				csvSafe(a.DisplayName), actorID, csvSafe(actorName), job}); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
	if err != nil && started {
		s.log.Error("audit export ended early", "err", err)
		return nil
	}
	return err
}

// csvSafe defuses a cell a spreadsheet would run as a formula (=, +, -, @ first): names come from
// users' data, and an export is opened in spreadsheets.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}

type auditJSON struct {
	ID          crmd.ID      `json:"id"`
	RecordID    crmd.ID      `json:"record_id"`
	Module      *string      `json:"module"`
	DisplayName string       `json:"display_name"`
	Action      string       `json:"action"`
	Actor       *userRefJSON `json:"actor"`
	Via         string       `json:"via"`
	JobID       *crmd.ID     `json:"job_id"`
	Time        string       `json:"time"`
}

func auditOut(e audit.Entry, loc *time.Location) auditJSON {
	out := auditJSON{ID: e.ID, RecordID: e.RecordID, DisplayName: e.DisplayName, Action: e.Action,
		Actor: actorRef(e.ActorID, e.Actor), Via: e.Via, Time: crmd.FormatTime(e.Time, loc)}
	if e.Module != nil {
		out.Module = &e.Module.APIName
	}
	if e.JobID != 0 {
		id := e.JobID
		out.JobID = &id
	}
	return out
}
