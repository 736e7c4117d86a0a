package oauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// Token kinds as stored.
const (
	KindAccess  = "access"
	KindRefresh = "refresh"
)

// DefaultAccessTTL is an access token's lifetime when Server.AccessTTL is zero (Zoho: one hour).
const DefaultAccessTTL = time.Hour

// DefaultCodeTTL is a grant code's lifetime when NewGrantCode is given none (Zoho: two minutes).
const DefaultCodeTTL = 2 * time.Minute

// AuthScheme is the Authorization scheme Zoho's APIs take (matched case-insensitively).
const AuthScheme = "Zoho-oauthtoken"

// HashToken returns the lower-case hex SHA-256 of a token, code or client secret. Only these hashes are
// ever stored.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// hashEqual compares two hashes in constant time.
func hashEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// randomHex returns n random lower-case hex characters from crypto/rand.
func randomHex(n int) (string, error) {
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b)[:n], nil
}

const upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// randomUpperAlnum returns n random characters of [A-Z0-9], uniformly, from crypto/rand.
func randomUpperAlnum(n int) (string, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		for _, c := range buf {
			// 252 = 7*36: reject the tail so every character is equally likely.
			if c < 252 && len(out) < n {
				out = append(out, upperAlnum[int(c)%len(upperAlnum)])
			}
		}
	}
	return string(out), nil
}

// newToken returns a fresh token in Zoho's shape: "1000." + 32 hex + "." + 32 hex.
func newToken() (string, error) {
	a, err := randomHex(32)
	if err != nil {
		return "", err
	}
	b, err := randomHex(32)
	if err != nil {
		return "", err
	}
	return "1000." + a + "." + b, nil
}

// NewClient registers a new OAuth client of an org and returns its credentials. The client_id looks
// like Zoho's ("1000." + 30 random upper-case letters and digits), the secret is 42 random lower-case
// hex characters; only the secret's hash is stored, so the secret is shown this once.
func NewClient(ctx context.Context, st *store.Store, orgID crmd.ID, name string) (clientID, clientSecret string, err error) {
	c, secret, err := NewClientCredentials(name)
	if err != nil {
		return "", "", err
	}
	c.OrgID = orgID
	if err := st.CreateClient(ctx, c); err != nil {
		return "", "", fmt.Errorf("create oauth client: %w", err)
	}
	return c.ClientID, secret, nil
}

// NewClientCredentials makes the credentials of a new client without storing them: the client row to
// store (its OrgID left for the caller) and the secret, which exists only here. store.NewOrg.Client
// takes the row, so that an org and its first client are created in one transaction.
func NewClientCredentials(name string) (store.Client, string, error) {
	id, err := randomUpperAlnum(30)
	if err != nil {
		return store.Client{}, "", err
	}
	secret, err := randomHex(42)
	if err != nil {
		return store.Client{}, "", err
	}
	return store.Client{ClientID: "1000." + id, SecretHash: HashToken(secret), Name: name}, secret, nil
}

// Server is crmd's accounts service: it mints and checks tokens and answers the token endpoints'
// requests (the HTTP layer reads and writes them).
type Server struct {
	Store *store.Store
	// BaseURL is this server's public base URL, the api_domain of every token response (D23).
	BaseURL string
	// Logger receives internal errors and token-issue events (never token values); may be nil.
	Logger *slog.Logger
	// AccessTTL is the lifetime of access tokens minted by the token endpoint; zero means one hour.
	AccessTTL time.Duration
}

// TokenResponse is what a successful token request yields: the tokens, with what a client needs to use
// them. RefreshToken and Scope are empty when the grant gives none.
type TokenResponse struct {
	AccessToken  string
	RefreshToken string
	Scope        string
	// APIDomain is where the client sends its API calls: this server's public base URL (D23).
	APIDomain string
	TokenType string
	ExpiresIn int // seconds
}

func (s *Server) accessTTL() time.Duration {
	if s.AccessTTL > 0 {
		return s.AccessTTL
	}
	return DefaultAccessTTL
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// issueReq describes one token issue.
type issueReq struct {
	clientID      string
	orgID, userID crmd.ID
	scopes        []string
	ttl           time.Duration
	withRefresh   bool
	refreshHash   string // the refresh token an access token is minted from, if any
}

// issue stores the hashes of a new access token (and refresh token) and returns the response. The
// response's Scope is left empty; callers that answer it set it.
func (s *Server) issue(ctx context.Context, q issueReq) (*TokenResponse, error) {
	if q.ttl <= 0 {
		q.ttl = s.accessTTL()
	}
	scope := strings.Join(q.scopes, ",")
	resp := &TokenResponse{APIDomain: s.BaseURL, TokenType: "Bearer", ExpiresIn: int(q.ttl / time.Second)}
	refreshHash := q.refreshHash
	if q.withRefresh {
		rt, err := newToken()
		if err != nil {
			return nil, err
		}
		refreshHash = HashToken(rt)
		if err := s.Store.CreateToken(ctx, store.Token{Hash: refreshHash, Kind: KindRefresh, ClientID: q.clientID,
			OrgID: q.orgID, UserID: q.userID, Scope: scope}); err != nil {
			return nil, fmt.Errorf("store refresh token: %w", err)
		}
		resp.RefreshToken = rt
	}
	at, err := newToken()
	if err != nil {
		return nil, err
	}
	exp := s.Store.Now().Add(q.ttl).UnixMilli()
	if err := s.Store.CreateToken(ctx, store.Token{Hash: HashToken(at), Kind: KindAccess, ClientID: q.clientID,
		OrgID: q.orgID, UserID: q.userID, Scope: scope, RefreshHash: refreshHash, ExpiresAt: exp}); err != nil {
		return nil, fmt.Errorf("store access token: %w", err)
	}
	resp.AccessToken = at
	return resp, nil
}

// activeUser returns the org's user if the user exists and is active; store.ErrNotFound otherwise.
func (s *Server) activeUser(ctx context.Context, orgID, userID crmd.ID) (*crmd.User, error) {
	u, err := s.Store.User(ctx, orgID, userID)
	if err != nil {
		return nil, err
	}
	if u.Status != "active" {
		return nil, store.ErrNotFound
	}
	return u, nil
}

// checkClient checks that the client exists and belongs to the org.
func (s *Server) checkClient(ctx context.Context, clientID string, orgID crmd.ID) error {
	c, err := s.Store.ClientByID(ctx, clientID)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("oauth client %q not found", clientID)
	}
	if err != nil {
		return err
	}
	if c.OrgID != orgID {
		return fmt.Errorf("oauth client %q belongs to another org", clientID)
	}
	return nil
}

// IssueForUser mints an access token (and, with withRefresh, a refresh token that never expires) for a
// user of an org through one of the org's clients, without any grant. `crmd token` and the first-start
// bootstrap use it. The scope is checked with ParseScopes; a ttl of zero means Server.AccessTTL.
// ExpiresIn is the ttl in whole seconds, TokenType "Bearer", Scope the scopes space-separated.
func (s *Server) IssueForUser(ctx context.Context, clientID string, orgID, userID crmd.ID, scope string, ttl time.Duration, withRefresh bool) (*TokenResponse, error) {
	scopes, err := ParseScopes(scope)
	if err != nil {
		return nil, err
	}
	if err := s.checkClient(ctx, clientID, orgID); err != nil {
		return nil, err
	}
	if _, err := s.activeUser(ctx, orgID, userID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("user %s of org %s not found or not active", userID, orgID)
		}
		return nil, err
	}
	resp, err := s.issue(ctx, issueReq{clientID: clientID, orgID: orgID, userID: userID, scopes: scopes, ttl: ttl, withRefresh: withRefresh})
	if err != nil {
		return nil, err
	}
	resp.Scope = strings.Join(scopes, " ")
	s.logger().Info("oauth token issued", "grant", "direct", "client_id", clientID, "org", orgID.String(), "user", userID.String(), "refresh", withRefresh)
	return resp, nil
}

// NewGrantCode stores a single-use grant code for the authorization_code flow and returns it (shown
// only here; only its hash is kept). The code has Zoho's "1000." + hex + "." + hex form and lives for
// ttl (two minutes when zero). The exchange must come from the same client, with the client's
// registered redirect URI if it has one.
func (s *Server) NewGrantCode(ctx context.Context, clientID string, orgID, userID crmd.ID, scope string, ttl time.Duration) (string, error) {
	scopes, err := ParseScopes(scope)
	if err != nil {
		return "", err
	}
	c, err := s.Store.ClientByID(ctx, clientID)
	if errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("oauth client %q not found", clientID)
	}
	if err != nil {
		return "", err
	}
	if c.OrgID != orgID {
		return "", fmt.Errorf("oauth client %q belongs to another org", clientID)
	}
	if _, err := s.activeUser(ctx, orgID, userID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return "", fmt.Errorf("user %s of org %s not found or not active", userID, orgID)
		}
		return "", err
	}
	if ttl <= 0 {
		ttl = DefaultCodeTTL
	}
	code, err := newToken()
	if err != nil {
		return "", err
	}
	err = s.Store.CreateGrant(ctx, store.Grant{CodeHash: HashToken(code), ClientID: clientID, OrgID: orgID, UserID: userID,
		Scope: strings.Join(scopes, ","), RedirectURI: c.RedirectURI, ExpiresAt: s.Store.Now().Add(ttl).UnixMilli()})
	if err != nil {
		return "", fmt.Errorf("store grant code: %w", err)
	}
	return code, nil
}

func errAuthFailed() *crmd.Error   { return crmd.E("AUTHENTICATION_FAILURE", crmd.MsgAuthFailed, nil) }
func errInvalidToken() *crmd.Error { return crmd.E("INVALID_TOKEN", crmd.MsgInvalidToken, nil) }

// tokenFromHeader extracts the token of an "Zoho-oauthtoken <token>" Authorization value.
func tokenFromHeader(authorization string) (string, bool) {
	f := strings.Fields(authorization)
	if len(f) != 2 || !strings.EqualFold(f[0], AuthScheme) {
		return "", false
	}
	return f[1], true
}

// Authenticate checks the value of an Authorization header and returns who is calling. A missing,
// empty or garbled value, or another scheme than Zoho-oauthtoken (matched case-insensitively), is 401
// AUTHENTICATION_FAILURE; an unknown, expired or revoked token, a refresh token presented as an access
// token, or a token whose user is missing or disabled is 401 INVALID_TOKEN. Both are *crmd.Error;
// a database failure is returned as a plain error.
func (s *Server) Authenticate(ctx context.Context, authorization string) (*crmd.Caller, error) {
	tok, ok := tokenFromHeader(authorization)
	if !ok {
		return nil, errAuthFailed()
	}
	h := HashToken(tok)
	t, err := s.Store.TokenByHash(ctx, h)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errInvalidToken()
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	if !hashEqual(t.Hash, h) || t.Kind != KindAccess || t.RevokedAt != 0 {
		return nil, errInvalidToken()
	}
	now := s.Store.NowMS()
	if t.ExpiresAt != 0 && now >= t.ExpiresAt {
		return nil, errInvalidToken()
	}
	if t.RefreshHash != "" {
		// Revoking a refresh token revokes its access tokens; checking the parent too closes the race of
		// a refresh that commits while the revoke runs.
		rt, err := s.Store.TokenByHash(ctx, t.RefreshHash)
		if errors.Is(err, store.ErrNotFound) {
			return nil, errInvalidToken()
		}
		if err != nil {
			return nil, fmt.Errorf("authenticate: %w", err)
		}
		if rt.RevokedAt != 0 {
			return nil, errInvalidToken()
		}
	}
	u, err := s.activeUser(ctx, t.OrgID, t.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errInvalidToken()
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	org, err := s.Store.Org(ctx, t.OrgID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errInvalidToken()
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	return &crmd.Caller{Org: org, User: u, Scopes: splitScopes(t.Scope), ClientID: t.ClientID}, nil
}
