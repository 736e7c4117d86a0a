package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
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

// maxFormBytes bounds a token request's body.
const maxFormBytes = 1 << 20

const jsonContentType = "application/json;charset=UTF-8"

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", jsonContentType)
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// apiError is the request-level Zoho error envelope.
type apiError struct {
	Code    string         `json:"code"`
	Details map[string]any `json:"details"`
	Message string         `json:"message"`
	Status  string         `json:"status"`
}

func writeAPIError(w http.ResponseWriter, e *crmd.Error) {
	writeJSON(w, e.Status, apiError{Code: e.Code, Details: e.Details, Message: e.Message, Status: "error"})
}

func writeOAuthError(w http.ResponseWriter, code string) {
	writeJSON(w, http.StatusOK, map[string]string{"error": code})
}

// internalError logs err (which never holds a token) and answers 500 INTERNAL_ERROR.
func (s *Server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	s.logger().ErrorContext(r.Context(), "oauth endpoint failed", "path", r.URL.Path, "err", err)
	writeAPIError(w, crmd.ErrInternal())
}

// parseParams fills r.Form from the query string and an urlencoded or multipart body.
func parseParams(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		if err := r.ParseMultipartForm(maxFormBytes); err != nil {
			return err
		}
		return nil
	}
	return r.ParseForm()
}

// writeParseError answers a request whose parameters could not be read: a body over the limit is 413
// REQUEST_ENTITY_TOO_LARGE, as everywhere else in crmd (a body sent without a Content-Length is only
// found too large here, while reading it); anything else is Zoho's {"error":"invalid_request"}.
func writeParseError(w http.ResponseWriter, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		writeAPIError(w, crmd.E("REQUEST_ENTITY_TOO_LARGE", "request body is too large", crmd.D{"limit": mbe.Limit}))
		return
	}
	writeOAuthError(w, ErrCodeInvalidRequest)
}

// hasNUL reports whether any parameter holds a NUL character, which PostgreSQL cannot take in a text
// parameter (a client_id with one made the token endpoint fail with a 500 there).
func hasNUL(form map[string][]string) bool {
	for k, vs := range form {
		if strings.ContainsRune(k, 0) {
			return true
		}
		for _, v := range vs {
			if strings.ContainsRune(v, 0) {
				return true
			}
		}
	}
	return false
}

// HandleToken serves POST /oauth/v2/token with the authorization_code, refresh_token and
// client_credentials grants. Parameters come from the query string and from urlencoded or multipart
// bodies. Failures are HTTP 200 {"error": "<code>"} as Zoho Accounts answers them; another method than
// POST is 400 INVALID_REQUEST_METHOD.
func (s *Server) HandleToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeAPIError(w, crmd.ErrInvalidMethod())
		return
	}
	if err := parseParams(w, r); err != nil {
		writeParseError(w, err)
		return
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	if hasNUL(r.Form) {
		writeOAuthError(w, ErrCodeInvalidRequest)
		return
	}
	p := func(k string) string { return strings.TrimSpace(r.Form.Get(k)) }

	grant := p("grant_type")
	switch grant {
	case "":
		writeOAuthError(w, ErrCodeInvalidRequest)
		return
	case GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials:
	default:
		writeOAuthError(w, ErrCodeUnsupportedGrantType)
		return
	}
	clientID, secret := p("client_id"), p("client_secret")
	if clientID == "" || secret == "" {
		writeOAuthError(w, ErrCodeInvalidRequest)
		return
	}
	ctx := r.Context()
	client, err := s.Store.ClientByID(ctx, clientID)
	if errors.Is(err, store.ErrNotFound) {
		writeOAuthError(w, ErrCodeInvalidClient)
		return
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if !hashEqual(client.SecretHash, HashToken(secret)) {
		writeOAuthError(w, ErrCodeInvalidClientSecret)
		return
	}

	var resp *TokenResponse
	var code string
	switch grant {
	case GrantAuthorizationCode:
		resp, code, err = s.exchangeCode(ctx, client, p("code"), p("redirect_uri"))
	case GrantRefreshToken:
		resp, code, err = s.refresh(ctx, client, p("refresh_token"))
	case GrantClientCredentials:
		resp, code, err = s.clientCredentials(ctx, client, p("soid"), p("scope"))
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if code != "" {
		s.logger().InfoContext(ctx, "oauth token refused", "grant", grant, "client_id", client.ClientID, "error", code)
		writeOAuthError(w, code)
		return
	}
	s.logger().InfoContext(ctx, "oauth token issued", "grant", grant, "client_id", client.ClientID, "refresh", resp.RefreshToken != "")
	writeJSON(w, http.StatusOK, resp)
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

// HandleRevoke serves POST /oauth/v2/token/revoke: the `token` parameter (query or body) is a refresh
// or access token. Revoking a refresh token also revokes every access token minted from it. The answer
// is {"status":"success"} whether or not the token was known, so nothing leaks; a missing `token` is
// {"error":"invalid_request"}.
func (s *Server) HandleRevoke(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeAPIError(w, crmd.ErrInvalidMethod())
		return
	}
	if err := parseParams(w, r); err != nil {
		writeParseError(w, err)
		return
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	tok := strings.TrimSpace(r.Form.Get("token"))
	if tok == "" {
		writeOAuthError(w, ErrCodeInvalidRequest)
		return
	}
	found, err := s.Store.RevokeToken(r.Context(), HashToken(tok))
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.logger().InfoContext(r.Context(), "oauth token revoke", "known", found)
	writeJSON(w, http.StatusOK, map[string]string{"status": "success"})
}
