package api

import (
	"net/http"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/massdelete"
)

// previewMassDelete serves POST /crmd/v1/{module}/actions/mass_delete/preview (docs/crmd-api.md): the
// body of a Zoho mass delete, checked in the order and with the errors of the real call (massDelete),
// answered with what that call would do now. It takes no lock and writes nothing.
func (s *Server) previewMassDelete(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	m, req, err := s.massDeleteBody(r, rc)
	if err != nil {
		return err
	}
	var p *massdelete.Preview
	if req.CVID != 0 {
		p, err = s.svc.MassDelete.PreviewView(r.Context(), rc.caller, m, req.CVID, req.Territory)
	} else {
		p, err = s.svc.MassDelete.PreviewIDs(r.Context(), rc.caller, m, req.IDs, req.Territory)
	}
	if err != nil {
		return err
	}
	out := previewJSON{Module: m.APIName, Selection: "cvid", Total: p.Total, Deletable: p.Deletable, Unapproved: p.Unapproved,
		Invalid: p.Invalid, Limit: p.Limit, WithinLimit: p.WithinLimit(), Sample: []sampleJSON{}, Outcome: p.Outcome}
	for _, x := range p.Sample {
		out.Sample = append(out.Sample, sampleJSON{ID: x.ID, DisplayName: x.Name})
	}
	if p.ByIDs {
		out.Selection = "ids"
		verdicts := make([]verdictJSON, len(p.Verdicts))
		for i, v := range p.Verdicts {
			verdicts[i] = verdictJSON{ID: v.ID, Verdict: "delete"}
			if v.Code != "" {
				verdicts[i].Verdict = v.Code
			}
		}
		out.Verdicts = &verdicts
	}
	if p.RunningJob != nil {
		items, err := s.svc.Jobs.Describe(r.Context(), rc.caller.Org.ID, p.RunningJob)
		if err != nil {
			return err
		}
		j := jobOut(items[0], rc.caller.Org.Location())
		out.RunningJob = &j
	}
	writeJSON(w, http.StatusOK, map[string]any{"preview": out})
	return nil
}

type previewJSON struct {
	Module      string         `json:"module"`
	Selection   string         `json:"selection"`
	Total       int64          `json:"total"`
	Deletable   int64          `json:"deletable"`
	Unapproved  int64          `json:"unapproved"`
	Invalid     int64          `json:"invalid"`
	Limit       int            `json:"limit"`
	WithinLimit bool           `json:"within_limit"`
	Sample      []sampleJSON   `json:"sample"`
	RunningJob  *jobJSON       `json:"running_job"`
	Outcome     string         `json:"outcome"`
	Verdicts    *[]verdictJSON `json:"verdicts,omitempty"`
}

type sampleJSON struct {
	ID          crmd.ID `json:"id"`
	DisplayName string  `json:"display_name"`
}

type verdictJSON struct {
	ID      crmd.ID `json:"id"`
	Verdict string  `json:"verdict"`
}
