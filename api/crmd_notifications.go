package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/notify"
	"github.com/crmd/crmd/oauth"
)

// deliveryJSON is one delivery attempt of GET /crmd/v1/notifications/deliveries.
type deliveryJSON struct {
	ID         string  `json:"id"`
	ChannelID  string  `json:"channel_id"`
	MessageID  string  `json:"message_id"`
	Attempt    int     `json:"attempt"`
	Time       string  `json:"time"`
	Outcome    string  `json:"outcome"`
	StatusCode *int    `json:"status_code"`
	LatencyMS  int64   `json:"latency_ms"`
	Error      *string `json:"error"`
	Module     string  `json:"module"`
	Operation  string  `json:"operation"`
	IDsCount   int     `json:"ids_count"`
}

// listDeliveries serves GET /crmd/v1/notifications/deliveries (docs/crmd-api.md): every attempt to
// deliver the org's notifications, newest first, of one channel with channel_id.
func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if !oauth.Permits(rc.caller.Scopes, oauth.Need{Family: "notifications", Op: oauth.OpRead}) {
		return crmd.E("OAUTH_SCOPE_MISMATCH", crmd.MsgScopeMismatch, nil)
	}
	params := r.URL.Query()
	var channel int64
	if v, ok := queryParam(params, "channel_id"); ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return crmd.ErrInvalidParam("channel_id")
		}
		channel = n
	}
	page, perPage, perr := pageParams(params, jobMaxPerPage)
	if perr != nil {
		return perr
	}
	p, err := withQueryTimeout(s, r.Context(), func(ctx context.Context) (*notify.DeliveryPage, error) {
		return s.svc.Notify.Deliveries(ctx, rc.caller, channel, page, perPage)
	})
	if err != nil {
		return err
	}
	loc := rc.caller.Org.Location()
	out := make([]deliveryJSON, len(p.Attempts))
	for i, a := range p.Attempts {
		d := deliveryJSON{ID: strconv.FormatInt(a.ID, 10), ChannelID: strconv.FormatInt(a.ChannelID, 10),
			MessageID: strconv.FormatInt(a.MessageID, 10), Attempt: a.Attempt, Time: crmd.FormatTime(a.Time, loc),
			Outcome: a.Outcome, LatencyMS: a.LatencyMS, Module: a.Module, Operation: a.Operation, IDsCount: a.IDsCount}
		if a.StatusCode != 0 {
			code := a.StatusCode
			d.StatusCode = &code
		}
		if a.Error != "" {
			e := a.Error
			d.Error = &e
		}
		out[i] = d
	}
	writeList(w, "deliveries", out, map[string]any{"page": page, "per_page": perPage, "count": len(out), "more_records": p.More})
	return nil
}
