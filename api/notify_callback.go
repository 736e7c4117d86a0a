package api

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/crmd/crmd/webhook"
)

// The body of a notification callback (docs/notifications.md#the-callback): Zoho's wire shape, so it
// is written here, and package webhook POSTs what CallbackEncoder returns.

// callbackJSON is the body POSTed to a channel's notify_url.
type callbackJSON struct {
	ServerTime     int64                 `json:"server_time"`
	AffectedValues []affectedValueJSON   `json:"affected_values,omitempty"`
	QueryParams    map[string]string     `json:"query_params"`
	Module         string                `json:"module"`
	ResourceURI    string                `json:"resource_uri"`
	IDs            []string              `json:"ids"`
	AffectedFields []map[string][]string `json:"affected_fields"`
	Operation      string                `json:"operation"`
	ChannelID      string                `json:"channel_id"`
	Token          *string               `json:"token"`
}

type affectedValueJSON struct {
	RecordID string         `json:"record_id"`
	Values   map[string]any `json:"values"`
}

// versionName is the path segment of a version number (21 → "v2.1").
func versionName(v int) string {
	for name, n := range versions {
		if n == v {
			return name
		}
	}
	return "v8"
}

// CallbackEncoder returns the encoder of callbacks for a server whose public base URL is baseURL (the
// api_domain of its tokens, which resource_uri names).
func CallbackEncoder(baseURL string) webhook.Encoder {
	base := strings.TrimRight(baseURL, "/")
	return func(c *webhook.Callback) ([]byte, error) {
		body := callbackJSON{
			ServerTime:     c.ServerTime,
			QueryParams:    map[string]string{},
			Module:         c.Module,
			ResourceURI:    base + "/crm/" + versionName(c.APIVersion) + "/" + c.Module,
			IDs:            c.IDs,
			AffectedFields: []map[string][]string{},
			Operation:      c.Operation,
			ChannelID:      strconv.FormatInt(c.ChannelID, 10),
		}
		if c.Token != "" {
			body.Token = &c.Token
		}
		// query_params: the notify_url's own query parameters, each with its first value, so that a
		// subscriber can route callbacks by them (Zoho's example passes keys this way).
		if u, err := url.Parse(c.NotifyURL); err == nil {
			for k, v := range u.Query() {
				if len(v) > 0 {
					body.QueryParams[k] = v[0]
				}
			}
		}
		for i, ch := range c.Changes {
			if i >= len(c.IDs) {
				break
			}
			fields := ch.Fields
			if fields == nil {
				fields = []string{}
			}
			body.AffectedFields = append(body.AffectedFields, map[string][]string{c.IDs[i]: fields})
			if c.ReturnValues {
				vals := ch.Values
				if vals == nil {
					vals = map[string]any{}
				}
				body.AffectedValues = append(body.AffectedValues, affectedValueJSON{RecordID: c.IDs[i], Values: vals})
			}
		}
		return json.Marshal(body)
	}
}
