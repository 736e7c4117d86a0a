package oauth

import (
	"context"
	"errors"
	"strings"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// Grant types the token endpoint serves.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
)

// Error codes of the token endpoint, answered as {"error": code} with HTTP 200 as Zoho Accounts does.
const (
	ErrCodeInvalidCode          = "invalid_code"
	ErrCodeInvalidClient        = "invalid_client"
	ErrCodeInvalidClientSecret  = "invalid_client_secret"
	ErrCodeInvalidRedirectURI   = "invalid_redirect_uri"
	ErrCodeUnsupportedGrantType = "unsupported_grant_type"
	ErrCodeInvalidScope         = "invalid_scope"
	ErrCodeInvalidRequest       = "invalid_request"
	ErrCodeMissingOrgInfo       = "missing_org_info"
	ErrCodeAccessDenied         = "access_denied"
)

// TokenRequest is what a client asks the token endpoint (POST /oauth/v2/token), read from its
// parameters (the HTTP layer takes them from the query string and urlencoded or multipart bodies).
type TokenRequest struct {
	GrantType    string
	ClientID     string
	ClientSecret string
	// Code and RedirectURI are the authorization_code grant's; RefreshToken the refresh_token grant's;
	// SOID and Scope the client_credentials grant's.
	Code, RedirectURI string
	RefreshToken      string
	SOID, Scope       string
}

// Token answers a token request with the authorization_code, refresh_token or client_credentials grant:
// the tokens minted, or, for a client mistake, Zoho Accounts' error code (one of the ErrCode…
// constants) and no tokens. Any error returned is internal.
func (s *Server) Token(ctx context.Context, req TokenRequest) (*TokenResponse, string, error) {
	switch req.GrantType {
	case "":
		return nil, ErrCodeInvalidRequest, nil
	case GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials:
	default:
		return nil, ErrCodeUnsupportedGrantType, nil
	}
	if req.ClientID == "" || req.ClientSecret == "" {
		return nil, ErrCodeInvalidRequest, nil
	}
	client, err := s.Store.ClientByID(ctx, req.ClientID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrCodeInvalidClient, nil
	}
	if err != nil {
		return nil, "", err
	}
	if !hashEqual(client.SecretHash, HashToken(req.ClientSecret)) {
		return nil, ErrCodeInvalidClientSecret, nil
	}
	var resp *TokenResponse
	var code string
	switch req.GrantType {
	case GrantAuthorizationCode:
		resp, code, err = s.exchangeCode(ctx, client, req.Code, req.RedirectURI)
	case GrantRefreshToken:
		resp, code, err = s.refresh(ctx, client, req.RefreshToken)
	case GrantClientCredentials:
		resp, code, err = s.clientCredentials(ctx, client, req.SOID, req.Scope)
	}
	if err != nil {
		return nil, "", err
	}
	if code != "" {
		s.logger().InfoContext(ctx, "oauth token refused", "grant", req.GrantType, "client_id", client.ClientID, "error", code)
		return nil, code, nil
	}
	s.logger().InfoContext(ctx, "oauth token issued", "grant", req.GrantType, "client_id", client.ClientID, "refresh", resp.RefreshToken != "")
	return resp, "", nil
}

// exchangeCode serves the authorization_code grant: a single-use code of this client becomes an access
// and a refresh token. It returns an OAuth error code instead of a response for client mistakes.
func (s *Server) exchangeCode(ctx context.Context, client *store.Client, code, redirectURI string) (*TokenResponse, string, error) {
	if code == "" {
		return nil, ErrCodeInvalidRequest, nil
	}
	if client.RedirectURI != "" && redirectURI != client.RedirectURI {
		return nil, ErrCodeInvalidRedirectURI, nil
	}
	g, err := s.Store.UseGrant(ctx, HashToken(code))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrCodeInvalidCode, nil
	}
	if err != nil {
		return nil, "", err
	}
	if g.ClientID != client.ClientID || g.OrgID != client.OrgID {
		return nil, ErrCodeInvalidCode, nil
	}
	if g.RedirectURI != "" && redirectURI != g.RedirectURI {
		return nil, ErrCodeInvalidRedirectURI, nil
	}
	if _, err := s.activeUser(ctx, g.OrgID, g.UserID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrCodeInvalidCode, nil
		}
		return nil, "", err
	}
	resp, err := s.issue(ctx, issueReq{clientID: client.ClientID, orgID: g.OrgID, userID: g.UserID,
		scopes: splitScopes(g.Scope), withRefresh: true})
	return resp, "", err
}

// refresh serves the refresh_token grant: a live refresh token of this client yields a new access token
// (and no new refresh token) that dies with the refresh token.
func (s *Server) refresh(ctx context.Context, client *store.Client, refreshToken string) (*TokenResponse, string, error) {
	if refreshToken == "" {
		return nil, ErrCodeInvalidRequest, nil
	}
	h := HashToken(refreshToken)
	t, err := s.Store.TokenByHash(ctx, h)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrCodeInvalidCode, nil
	}
	if err != nil {
		return nil, "", err
	}
	if !hashEqual(t.Hash, h) || t.Kind != KindRefresh || t.RevokedAt != 0 ||
		(t.ExpiresAt != 0 && s.Store.NowMS() >= t.ExpiresAt) ||
		t.ClientID != client.ClientID || t.OrgID != client.OrgID {
		return nil, ErrCodeInvalidCode, nil
	}
	if _, err := s.activeUser(ctx, t.OrgID, t.UserID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrCodeInvalidCode, nil
		}
		return nil, "", err
	}
	resp, err := s.issue(ctx, issueReq{clientID: client.ClientID, orgID: t.OrgID, userID: t.UserID,
		scopes: splitScopes(t.Scope), refreshHash: t.Hash})
	return resp, "", err
}

// clientCredentials serves the client_credentials grant (D25): soid=ZohoCRM.<org id> names the client's
// org, and the token acts as the org's first active Administrator.
func (s *Server) clientCredentials(ctx context.Context, client *store.Client, soid, scope string) (*TokenResponse, string, error) {
	orgID, ok := parseSOID(soid)
	if !ok {
		return nil, ErrCodeMissingOrgInfo, nil
	}
	if orgID != client.OrgID {
		return nil, ErrCodeInvalidClient, nil
	}
	if scope == "" {
		return nil, ErrCodeInvalidRequest, nil
	}
	scopes, err := ParseScopes(scope)
	if err != nil {
		return nil, ErrCodeInvalidScope, nil
	}
	admin, err := s.Store.OrgAdmin(ctx, orgID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrCodeAccessDenied, nil
	}
	if err != nil {
		return nil, "", err
	}
	resp, err := s.issue(ctx, issueReq{clientID: client.ClientID, orgID: orgID, userID: admin.ID, scopes: scopes})
	if err != nil {
		return nil, "", err
	}
	resp.Scope = strings.Join(scopes, " ")
	return resp, "", nil
}

// parseSOID reads "ZohoCRM.<org id>" (service name matched case-insensitively).
func parseSOID(soid string) (crmd.ID, bool) {
	svc, id, ok := strings.Cut(soid, ".")
	if !ok || !strings.EqualFold(svc, Service) {
		return 0, false
	}
	return crmd.ParseID(id)
}

// Revoke revokes a refresh or access token (POST /oauth/v2/token/revoke). Revoking a refresh token also
// revokes every access token minted from it. It reports whether the token was known, which the HTTP
// answer does not tell.
func (s *Server) Revoke(ctx context.Context, token string) (bool, error) {
	found, err := s.Store.RevokeToken(ctx, HashToken(token))
	if err != nil {
		return false, err
	}
	s.logger().InfoContext(ctx, "oauth token revoke", "known", found)
	return found, nil
}
