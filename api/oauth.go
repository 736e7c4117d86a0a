package api

// The accounts server's endpoints (docs/auth.md): POST /oauth/v2/token and POST /oauth/v2/token/revoke.
// They speak Zoho Accounts' wire format, not the CRM API's: parameters from the query string and from
// urlencoded or multipart bodies (the official SDKs send multipart), failures as HTTP 200
// {"error":"<code>"}, answers never cached. The grants themselves are package oauth's.

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strings"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/oauth"
)

// maxFormBytes bounds a token request's body.
const maxFormBytes = 1 << 20

// tokenJSON is the body of a successful token request.
type tokenJSON struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
	APIDomain    string `json:"api_domain"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

// writeAccountsJSON writes an accounts endpoint's answer: JSON that no cache may keep, since it may hold
// tokens.
func writeAccountsJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeAccountsError writes a request-level Zoho error from an accounts endpoint.
func writeAccountsError(w http.ResponseWriter, e *crmd.Error) {
	writeAccountsJSON(w, e.Status, bodyOf(e))
}

// writeOAuthError writes Zoho Accounts' answer to a client mistake: HTTP 200 {"error": code}.
func writeOAuthError(w http.ResponseWriter, code string) {
	writeAccountsJSON(w, http.StatusOK, map[string]string{"error": code})
}

// accountsInternalError logs err (which never holds a token) and answers 500 INTERNAL_ERROR.
func (s *Server) accountsInternalError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.ErrorContext(r.Context(), "oauth endpoint failed", "path", LogPath(r.URL.Path), "err", err)
	writeAccountsError(w, crmd.ErrInternal())
}

// parseParams fills r.Form from the query string and an urlencoded or multipart body.
func parseParams(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		return r.ParseMultipartForm(maxFormBytes)
	}
	return r.ParseForm()
}

// writeParseError answers a request whose parameters could not be read: a body over the limit is 413
// REQUEST_ENTITY_TOO_LARGE, as everywhere else in crmd (a body sent without a Content-Length is only
// found too large here, while reading it); anything else is Zoho's {"error":"invalid_request"}.
func writeParseError(w http.ResponseWriter, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		writeAccountsError(w, errTooLarge(mbe.Limit))
		return
	}
	writeOAuthError(w, oauth.ErrCodeInvalidRequest)
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

// readParams reads an accounts request's parameters, answering the request itself when it cannot
// (false).
func readParams(w http.ResponseWriter, r *http.Request) bool {
	if err := parseParams(w, r); err != nil {
		writeParseError(w, err)
		return false
	}
	return true
}

// oauthToken serves POST /oauth/v2/token with the authorization_code, refresh_token and
// client_credentials grants.
func (s *Server) oauthToken(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if !readParams(w, r) {
		return nil
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	if hasNUL(r.Form) {
		writeOAuthError(w, oauth.ErrCodeInvalidRequest)
		return nil
	}
	p := func(k string) string { return strings.TrimSpace(r.Form.Get(k)) }
	resp, code, err := s.auth.Token(r.Context(), oauth.TokenRequest{
		GrantType: p("grant_type"), ClientID: p("client_id"), ClientSecret: p("client_secret"),
		Code: p("code"), RedirectURI: p("redirect_uri"), RefreshToken: p("refresh_token"), SOID: p("soid"), Scope: p("scope"),
	})
	switch {
	case err != nil:
		s.accountsInternalError(w, r, err)
	case code != "":
		writeOAuthError(w, code)
	default:
		writeAccountsJSON(w, http.StatusOK, tokenJSON{AccessToken: resp.AccessToken, RefreshToken: resp.RefreshToken,
			Scope: resp.Scope, APIDomain: resp.APIDomain, TokenType: resp.TokenType, ExpiresIn: resp.ExpiresIn})
	}
	return nil
}

// oauthRevoke serves POST /oauth/v2/token/revoke: the `token` parameter (query or body) is a refresh or
// access token. The answer is {"status":"success"} whether or not the token was known, so nothing
// leaks; a missing `token` is {"error":"invalid_request"}.
func (s *Server) oauthRevoke(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if !readParams(w, r) {
		return nil
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	tok := strings.TrimSpace(r.Form.Get("token"))
	if tok == "" {
		writeOAuthError(w, oauth.ErrCodeInvalidRequest)
		return nil
	}
	if _, err := s.auth.Revoke(r.Context(), tok); err != nil {
		s.accountsInternalError(w, r, err)
		return nil
	}
	writeAccountsJSON(w, http.StatusOK, map[string]string{"status": "success"})
	return nil
}
