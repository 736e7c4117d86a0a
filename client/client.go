// Package client is a Go client for Zoho CRM's REST API, as served by Zoho itself and by crmd. Go has
// no official Zoho SDK; this package covers what crmd serves and what integrations that clean up data
// need most: OAuth token refresh, records, field metadata, users and org, custom views, territories,
// Mass Delete Records (by ids, by custom view as a background job, its status and a Wait helper), deleted
// records and the recycle bin.
//
// It calls only endpoints Zoho documents, under /crm/{version}/ (v8 unless WithVersion says otherwise)
// and {accounts}/oauth/v2/token, so the same code runs against crmd in tests and against
// https://www.zohoapis.com in production. When a token response names an api_domain, requests go there,
// as Zoho asks clients to do (accounts in one data centre hand out tokens for the API of another).
//
// The exception is crmd's own API, which crmd serves beside Zoho's under {apiDomain}/crmd/v1 with the
// same tokens and error envelope, and which Zoho does not have: PreviewMassDeleteIDs and
// PreviewMassDeleteView say what a mass delete would do without doing it; Jobs, Job, CancelJob and
// UndoJob read and act on the history of every background job; WatchJob follows a job's progress on a
// server-sent events stream (reconnecting when the connection drops); Audit and AuditCSV read the
// trail of every deletion, restore and purge. Against Zoho those calls fail with an *Error.
//
// Errors: a Zoho error body ({"code","details","message","status":"error"}) comes back as *Error,
// carrying the HTTP status; the accounts server's {"error":"…"} as *OAuthError. Multi-item writes
// (insert, update, delete, mass delete by ids, recycle bin restore…) answer one Result per item, in
// input order; an item that failed is a Result whose Err is an *Error, and the call itself returns a
// nil error as long as the server answered with per-item results (HTTP 200, 201, 207, or 400 when every
// item failed).
//
// Record data is a map (Record) decoded with json.Number for numbers, so that 19-digit ids and amounts
// keep their precision; Zoho sends ids as strings.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultVersion is the API version a Client uses unless WithVersion says otherwise.
const DefaultVersion = "v8"

// maxErrorBody bounds how much of a non-JSON error body an error quotes.
const maxErrorBody = 512

// Client calls one Zoho CRM API (one org, as its token decides). It is safe for concurrent use.
type Client struct {
	apiDomain string
	version   string
	hc        *http.Client
	tokens    TokenSource
	userAgent string
}

// Config is everything a Client can be configured with, for callers who prefer a struct to options.
type Config struct {
	// APIDomain is the API's base URL: https://www.zohoapis.com (or another data centre), or crmd's
	// base URL. A token's api_domain, when the token source reports one, takes precedence.
	APIDomain string
	// AccountsURL is the accounts server: https://accounts.zoho.com (or another data centre), or
	// crmd's base URL. Needed with RefreshToken.
	AccountsURL string
	// Version is the API version path segment, "v8" when empty.
	Version string
	// HTTPClient sends the requests; http.DefaultClient when nil.
	HTTPClient *http.Client
	// ClientID, ClientSecret and RefreshToken make an OAuth token source (the refresh_token grant).
	ClientID, ClientSecret, RefreshToken string
	// AccessToken is a fixed access token, used when RefreshToken is empty.
	AccessToken string
	// TokenSource, when set, is used instead of RefreshToken and AccessToken.
	TokenSource TokenSource
}

// NewFromConfig builds a Client from cfg; it fails when cfg names no way to get a token.
func NewFromConfig(cfg Config) (*Client, error) {
	opts := []Option{WithVersion(cfg.Version), WithHTTPClient(cfg.HTTPClient)}
	switch {
	case cfg.TokenSource != nil:
		opts = append(opts, WithTokenSource(cfg.TokenSource))
	case cfg.RefreshToken != "":
		if cfg.AccountsURL == "" || cfg.ClientID == "" || cfg.ClientSecret == "" {
			return nil, errors.New("client: a refresh token needs AccountsURL, ClientID and ClientSecret")
		}
		opts = append(opts, WithRefreshToken(OAuthConfig{AccountsURL: cfg.AccountsURL, ClientID: cfg.ClientID,
			ClientSecret: cfg.ClientSecret, RefreshToken: cfg.RefreshToken}))
	case cfg.AccessToken != "":
		opts = append(opts, WithAccessToken(cfg.AccessToken))
	default:
		return nil, errors.New("client: no token: set TokenSource, RefreshToken or AccessToken")
	}
	return New(cfg.APIDomain, opts...), nil
}

// Option configures a Client.
type Option func(*Client)

// WithVersion picks the API version path segment ("v2" … "v8"); "" keeps DefaultVersion.
func WithVersion(v string) Option {
	return func(c *Client) {
		if v != "" {
			c.version = v
		}
	}
}

// WithHTTPClient sends requests (token refreshes included, when the token source is made by
// WithRefreshToken) through hc; nil keeps http.DefaultClient.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.hc = hc
		}
	}
}

// WithAccessToken authenticates every request with one fixed access token (it is not refreshed).
func WithAccessToken(token string) Option {
	return func(c *Client) { c.tokens = StaticToken(token) }
}

// WithTokenSource authenticates requests with tokens from ts.
func WithTokenSource(ts TokenSource) Option {
	return func(c *Client) { c.tokens = ts }
}

// WithRefreshToken authenticates requests with access tokens obtained from the refresh_token grant
// (see RefreshTokenSource), through the Client's HTTP client.
func WithRefreshToken(cfg OAuthConfig) Option {
	return func(c *Client) { c.tokens = &RefreshTokenSource{Config: cfg} }
}

// WithUserAgent sets the User-Agent header of API requests.
func WithUserAgent(ua string) Option {
	return func(c *Client) { c.userAgent = ua }
}

// New returns a Client for the API at apiDomain (for example https://www.zohoapis.com, or crmd's base
// URL). Without a token option requests carry no Authorization header, and Zoho answers 401.
func New(apiDomain string, opts ...Option) *Client {
	c := &Client{apiDomain: strings.TrimRight(apiDomain, "/"), version: DefaultVersion, hc: http.DefaultClient, userAgent: "crmd-go-client"}
	for _, o := range opts {
		o(c)
	}
	// A refresh token source made by WithRefreshToken shares the Client's HTTP client, so that a test's
	// transport or a proxy setting applies to the accounts server too.
	if rs, ok := c.tokens.(*RefreshTokenSource); ok && rs.HTTPClient == nil {
		rs.HTTPClient = c.hc
	}
	return c
}

// Version is the API version path segment the Client calls.
func (c *Client) Version() string { return c.version }

// request is one API call.
type request struct {
	method string
	path   string // after /crm/{version}, or after /crmd/v1 with own
	query  url.Values
	body   any // JSON-encoded when non-nil
	// items names the per-item array a 400 may carry instead of a request-level error ("data",
	// "custom_views", …); empty when the endpoint has none.
	items string
	// own sends the call to crmd's own API, {apiDomain}/crmd/v1, instead of Zoho's
	// {apiDomain}/crm/{version}: same host, tokens and error envelope, a path of its own.
	own bool
	// accept is the Accept header, application/json when empty.
	accept string
	// stream leaves a 2xx answer's body open for the caller to read (an events stream, a CSV export),
	// and sends the request without the HTTP client's overall timeout (see streamClient): the answer
	// lasts as long as there is something to stream. ctx still bounds it.
	stream bool
}

// crmdBase is the path of crmd's own API (docs/crmd-api.md in crmd), beside Zoho's /crm/{version}.
const crmdBase = "/crmd/v1"

// base is the path every call's path follows: Zoho's /crm/{version}, or crmd's /crmd/v1.
func (c *Client) base(req request) string {
	if req.own {
		return crmdBase
	}
	return "/crm/" + c.version
}

// response is a decoded answer: the HTTP status and the raw JSON body (nil for 204).
type response struct {
	status int
	body   []byte
}

// decode unmarshals the body into v with json.Number for numbers.
func (r *response) decode(v any) error {
	if len(r.body) == 0 {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(r.body))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("client: decoding a %d answer: %w", r.status, err)
	}
	return nil
}

// do sends req and returns the answer when it is a success (2xx), or a 400 carrying req.items; any
// other answer is an error (*Error for Zoho's envelope). A request answered INVALID_TOKEN is retried
// once with a fresh token when the token source can refresh, since an access token may be revoked or
// expire early (a server restart, a clock skew) while the cache still trusts it.
func (c *Client) do(ctx context.Context, req request) (*response, error) {
	resp, _, err := c.exchange(ctx, req)
	return resp, err
}

// open is do for a request with stream set: a 2xx answer comes back open, its body for the caller to
// read and close; anything else is read and turned into an error as by do.
func (c *Client) open(ctx context.Context, req request) (*http.Response, error) {
	req.stream = true
	_, hresp, err := c.exchange(ctx, req)
	return hresp, err
}

// exchange sends req with the token source's token, once more with a fresh one after INVALID_TOKEN
// (see do). It returns the read answer, or for a stream request's 2xx the open one.
func (c *Client) exchange(ctx context.Context, req request) (*response, *http.Response, error) {
	var payload []byte
	if req.body != nil {
		var err error
		if payload, err = json.Marshal(req.body); err != nil {
			return nil, nil, fmt.Errorf("client: encoding the request: %w", err)
		}
	}
	for attempt := 0; ; attempt++ {
		tok, err := c.token(ctx)
		if err != nil {
			return nil, nil, err
		}
		resp, hresp, err := c.send(ctx, req, payload, tok)
		if err != nil {
			return nil, nil, err
		}
		if hresp != nil {
			return nil, hresp, nil
		}
		if resp.status == http.StatusUnauthorized && attempt == 0 && tok != nil {
			if inv, ok := c.tokens.(interface{ Invalidate(accessToken string) }); ok {
				if e, ok := decodeError(resp); ok && e.Code == "INVALID_TOKEN" {
					inv.Invalidate(tok.AccessToken)
					continue
				}
			}
		}
		resp, err = c.check(req, resp)
		return resp, nil, err
	}
}

// token asks the token source for a token; nil when the Client has none.
func (c *Client) token(ctx context.Context) (*Token, error) {
	if c.tokens == nil {
		return nil, nil
	}
	return c.tokens.Token(ctx)
}

// send performs one HTTP exchange. It returns the read answer, or, for a stream request answered
// 2xx, the open one (then the first result is nil).
func (c *Client) send(ctx context.Context, req request, payload []byte, tok *Token) (*response, *http.Response, error) {
	domain := c.apiDomain
	if tok != nil && tok.APIDomain != "" {
		domain = strings.TrimRight(tok.APIDomain, "/")
	}
	if domain == "" {
		return nil, nil, errors.New("client: no API domain: pass one to New or use a token source that reports api_domain")
	}
	u := domain + c.base(req) + req.path
	if len(req.query) > 0 {
		u += "?" + req.query.Encode()
	}
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, u, rd)
	if err != nil {
		return nil, nil, fmt.Errorf("client: %w", err)
	}
	if payload != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	accept := req.accept
	if accept == "" {
		accept = "application/json"
	}
	hr.Header.Set("Accept", accept)
	if c.userAgent != "" {
		hr.Header.Set("User-Agent", c.userAgent)
	}
	if tok != nil {
		hr.Header.Set("Authorization", "Zoho-oauthtoken "+tok.AccessToken)
	}
	hc := c.hc
	if req.stream {
		hc = c.streamClient()
	}
	hresp, err := hc.Do(hr)
	if err != nil {
		return nil, nil, fmt.Errorf("client: %s %s: %w", req.method, req.path, err)
	}
	if req.stream && hresp.StatusCode >= 200 && hresp.StatusCode < 300 {
		return nil, hresp, nil
	}
	defer hresp.Body.Close()
	body, err := io.ReadAll(hresp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("client: %s %s: reading the answer: %w", req.method, req.path, err)
	}
	return &response{status: hresp.StatusCode, body: bytes.TrimSpace(body)}, nil, nil
}

// streamClient is the Client's HTTP client without its overall timeout (http.Client.Timeout counts
// the reading of the body too, and would cut an events stream or a long export in the middle); the
// transport, its dial and header timeouts, and the request's ctx still apply.
func (c *Client) streamClient() *http.Client {
	if c.hc.Timeout == 0 {
		return c.hc
	}
	hc := *c.hc
	hc.Timeout = 0
	return &hc
}

// check turns an answer into the response or an error.
func (c *Client) check(req request, resp *response) (*response, error) {
	if resp.status >= 200 && resp.status < 300 {
		return resp, nil
	}
	if e, ok := decodeError(resp); ok {
		return nil, e
	}
	if resp.status == http.StatusBadRequest && req.items != "" && hasArray(resp.body, req.items) {
		return resp, nil
	}
	text := string(resp.body)
	if len(text) > maxErrorBody {
		text = text[:maxErrorBody] + "…"
	}
	return nil, &Error{HTTPStatus: resp.status, Message: text}
}

// hasArray reports whether body is a JSON object whose key is an array.
func hasArray(body []byte, key string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return false
	}
	v := bytes.TrimSpace(m[key])
	return len(v) > 0 && v[0] == '['
}

// get sends a GET and decodes a 200 answer into out; it reports false for 204 (Zoho's empty list).
func (c *Client) get(ctx context.Context, path string, q url.Values, out any) (bool, error) {
	return c.getReq(ctx, request{method: http.MethodGet, path: path, query: q}, out)
}

// getReq is get for any GET request.
func (c *Client) getReq(ctx context.Context, req request, out any) (bool, error) {
	resp, err := c.do(ctx, req)
	if err != nil {
		return false, err
	}
	if resp.status == http.StatusNoContent {
		return false, nil
	}
	return true, resp.decode(out)
}

// items sends a multi-item request and returns the per-item results found under key.
func (c *Client) items(ctx context.Context, method, path string, q url.Values, body any, key string) (Results, error) {
	resp, err := c.do(ctx, request{method: method, path: path, query: q, body: body, items: key})
	if err != nil {
		return nil, err
	}
	return resp.results(key)
}

// results decodes the per-item array under key. A bare entry instead (Zoho's answer to emptying the
// recycle bin at once) is the one result.
func (r *response) results(key string) (Results, error) {
	var rs []Result
	var env map[string]json.RawMessage
	if err := r.decode(&env); err != nil {
		return nil, err
	}
	if raw, ok := env[key]; ok {
		if err := (&response{status: r.status, body: raw}).decode(&rs); err != nil {
			return nil, err
		}
	} else {
		var one Result
		if _, bare := env["code"]; !bare {
			return nil, fmt.Errorf("client: a %d answer without %q", r.status, key)
		}
		if err := r.decode(&one); err != nil {
			return nil, err
		}
		rs = []Result{one}
	}
	for i := range rs {
		rs[i].HTTPStatus = r.status
	}
	return rs, nil
}

// pathEscape escapes one path segment (module names and ids are plain, but a caller's typo must not
// become another path).
func pathEscape(s string) string { return url.PathEscape(s) }

// Ref is a reference to a user, module or territory as Zoho nests it: {"name","id"} (and "email" for
// users, "api_name" for modules).
type Ref struct {
	ID      string `json:"id"`
	Name    string `json:"name,omitempty"`
	Email   string `json:"email,omitempty"`
	APIName string `json:"api_name,omitempty"`
}

// Info is the info object of Zoho's list answers. Zoho leaves out the keys an endpoint or version does
// not have; they stay zero.
type Info struct {
	PerPage       int    `json:"per_page"`
	Count         int    `json:"count"`
	Page          int    `json:"page"`
	MoreRecords   bool   `json:"more_records"`
	SortBy        string `json:"sort_by,omitempty"`
	SortOrder     string `json:"sort_order,omitempty"`
	NextPageToken string `json:"next_page_token,omitempty"`
	PrevPageToken string `json:"previous_page_token,omitempty"`
	// PageTokenExpiry is when NextPageToken stops working (RFC 3339), "" when none.
	PageTokenExpiry string `json:"page_token_expiry,omitempty"`
	// Default is the cvid of the module's default view (custom views list only).
	Default string `json:"default,omitempty"`
}

// UnmarshalJSON accepts null for the string keys, as v5+ send for an absent page token.
func (i *Info) UnmarshalJSON(b []byte) error {
	type plain Info
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	for k, v := range raw {
		if string(v) == "null" {
			delete(raw, k)
		}
	}
	clean, _ := json.Marshal(raw)
	return json.Unmarshal(clean, (*plain)(i))
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// marshal encodes v as JSON without HTML escaping (criteria values may hold < and >).
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// structMap turns a struct into its JSON object as a map (numbers kept as json.Number), so that a
// MarshalJSON can add keys to the default encoding.
func structMap(v any) (map[string]any, error) {
	b, err := marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	err = (&response{body: b}).decode(&m)
	return m, err
}
