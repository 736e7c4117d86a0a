package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Token is an access token and what came with it.
type Token struct {
	AccessToken string
	// APIDomain is the token response's api_domain: where API calls for this token go. "" leaves the
	// Client's own API domain in force.
	APIDomain string
	// Expiry is when the token stops working; zero for a token of unknown lifetime.
	Expiry time.Time
}

// TokenSource hands out access tokens. Implementations must be safe for concurrent use. A source that
// also has a method Invalidate(accessToken string) gets told when the API refused a token as
// INVALID_TOKEN, and the request is retried once with the next token it gives.
type TokenSource interface {
	Token(ctx context.Context) (*Token, error)
}

// StaticToken is a TokenSource of one fixed access token.
type StaticToken string

// Token returns the token.
func (s StaticToken) Token(context.Context) (*Token, error) {
	return &Token{AccessToken: string(s)}, nil
}

// OAuthConfig is what the refresh_token grant needs.
type OAuthConfig struct {
	// AccountsURL is the accounts server (https://accounts.zoho.com, …, or crmd's base URL); the token
	// endpoint is AccountsURL + "/oauth/v2/token" (a URL that already ends so is used as is).
	AccountsURL  string
	ClientID     string
	ClientSecret string
	RefreshToken string
}

// tokenURL is the token endpoint.
func (c OAuthConfig) tokenURL() string {
	u := strings.TrimRight(c.AccountsURL, "/")
	if strings.HasSuffix(u, "/oauth/v2/token") {
		return u
	}
	return u + "/oauth/v2/token"
}

// DefaultRefreshLeeway is how long before its expiry a cached access token is replaced.
const DefaultRefreshLeeway = time.Minute

// RefreshTokenSource gets access tokens with the refresh_token grant, POST {accounts}/oauth/v2/token
// (multipart/form-data, as Zoho's own SDKs send it), and caches each until Leeway before it expires.
// Concurrent callers share one refresh: while one request to the accounts server is in flight the
// others wait for its token, so a burst of API calls costs one token (Zoho allows only ten access
// tokens per refresh token in ten minutes). A caller whose context ends stops waiting at once; the
// shared refresh goes on (bounded by RefreshTimeout) so that the others still get its token. It is
// safe for concurrent use.
type RefreshTokenSource struct {
	Config OAuthConfig
	// HTTPClient sends the token requests; http.DefaultClient when nil (a Client made by New sets it to
	// its own).
	HTTPClient *http.Client
	// Leeway is how long before expiry a token is refreshed; DefaultRefreshLeeway when zero.
	Leeway time.Duration
	// Now tells time, time.Now when nil (tests set it).
	Now func() time.Time

	mu       sync.Mutex
	tok      *Token
	inflight *refreshCall // the refresh in progress, nil when none
}

// RefreshTimeout bounds one request to the accounts server.
const RefreshTimeout = 30 * time.Second

// refreshCall is one refresh that several callers may wait for; tok and err are set before done is
// closed.
type refreshCall struct {
	done chan struct{}
	tok  *Token
	err  error
}

// Token returns the cached access token, or a new one when there is none or it is about to expire.
func (s *RefreshTokenSource) Token(ctx context.Context) (*Token, error) {
	s.mu.Lock()
	if s.tok != nil && (s.tok.Expiry.IsZero() || s.now().Before(s.tok.Expiry.Add(-s.leeway()))) {
		tok := s.tok
		s.mu.Unlock()
		return tok, nil
	}
	call := s.inflight
	if call == nil {
		call = &refreshCall{done: make(chan struct{})}
		s.inflight = call
		// The refresh must not die with the context of whichever caller happened to start it: the
		// other waiters need its token.
		go s.run(context.WithoutCancel(ctx), call)
	}
	s.mu.Unlock()
	select {
	case <-call.done:
		return call.tok, call.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// run performs one shared refresh and publishes its outcome.
func (s *RefreshTokenSource) run(ctx context.Context, call *refreshCall) {
	ctx, cancel := context.WithTimeout(ctx, RefreshTimeout)
	defer cancel()
	tok, err := s.refresh(ctx, s.now())
	s.mu.Lock()
	if err == nil {
		s.tok = tok
	}
	s.inflight = nil
	s.mu.Unlock()
	call.tok, call.err = tok, err
	close(call.done)
}

// Invalidate drops the cached token if it is accessToken, so that the next Token call refreshes. A
// token another goroutine has already replaced is left alone.
func (s *RefreshTokenSource) Invalidate(accessToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != nil && s.tok.AccessToken == accessToken {
		s.tok = nil
	}
}

func (s *RefreshTokenSource) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *RefreshTokenSource) leeway() time.Duration {
	if s.Leeway > 0 {
		return s.Leeway
	}
	return DefaultRefreshLeeway
}

// tokenResponse is the accounts server's answer, success or failure.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	APIDomain   string `json:"api_domain"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	// ExpiresInSec is set by old accounts servers, whose expires_in is then in milliseconds.
	ExpiresInSec int64  `json:"expires_in_sec"`
	Error        string `json:"error"`
}

// refresh performs the refresh_token grant.
func (s *RefreshTokenSource) refresh(ctx context.Context, now time.Time) (*Token, error) {
	c := s.Config
	if c.AccountsURL == "" || c.ClientID == "" || c.ClientSecret == "" || c.RefreshToken == "" {
		return nil, errors.New("client: the refresh_token grant needs AccountsURL, ClientID, ClientSecret and RefreshToken")
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, kv := range [][2]string{{"grant_type", "refresh_token"}, {"client_id", c.ClientID},
		{"client_secret", c.ClientSecret}, {"refresh_token", c.RefreshToken}} {
		if err := mw.WriteField(kv[0], kv[1]); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.tokenURL(), &buf)
	if err != nil {
		return nil, fmt.Errorf("client: token request: %w", err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	hc := s.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("client: token request: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("client: token request: reading the answer: %w", err)
	}
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		// A Zoho API envelope (a 4xx/5xx from a proxy or a wrong URL) still decodes as *Error.
		if e, ok := decodeError(&response{status: resp.StatusCode, body: bytes.TrimSpace(body)}); ok {
			return nil, e
		}
		return nil, &Error{HTTPStatus: resp.StatusCode, Message: "token endpoint answered: " + truncate(string(body))}
	}
	if tr.Error != "" {
		return nil, &OAuthError{HTTPStatus: resp.StatusCode, Code: tr.Error}
	}
	if tr.AccessToken == "" {
		if e, ok := decodeError(&response{status: resp.StatusCode, body: bytes.TrimSpace(body)}); ok {
			return nil, e
		}
		return nil, &OAuthError{HTTPStatus: resp.StatusCode, Code: "no_access_token"}
	}
	lifetime := time.Duration(tr.ExpiresIn) * time.Second
	if tr.ExpiresInSec > 0 {
		lifetime = time.Duration(tr.ExpiresInSec) * time.Second
	}
	if lifetime <= 0 {
		lifetime = time.Hour // Zoho's documented lifetime
	}
	return &Token{AccessToken: tr.AccessToken, APIDomain: tr.APIDomain, Expiry: now.Add(lifetime)}, nil
}

func truncate(s string) string {
	if len(s) > maxErrorBody {
		return s[:maxErrorBody] + "…"
	}
	return s
}
