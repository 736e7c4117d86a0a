package oauth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// The authorization endpoint (GET /oauth/v2/auth), as Zoho Accounts serves it (docs/auth.md): an app
// sends the user's browser there with client_id, response_type=code, redirect_uri and scope (state and
// access_type optional); the signed-in user sees what the app asks for and accepts or denies; the
// browser then goes back to redirect_uri with a grant code (valid two minutes) or error=access_denied.
// crmd signs people in with its console session, so the consent page is part of the console.

// AuthRequest is an authorization request's parameters.
type AuthRequest struct {
	ClientID, ResponseType, RedirectURI, Scope, State, AccessType string
}

// AuthRefusal is a request the authorization endpoint refuses without sending the browser back to
// the app: the app or its redirect address cannot be trusted, so the user is told instead.
type AuthRefusal struct{ Code, Message string }

func (e *AuthRefusal) Error() string { return e.Code + ": " + e.Message }

// CheckedAuth is an authorization request that passed the checks.
type CheckedAuth struct {
	Req    AuthRequest
	Client *store.Client
	Scopes []string
}

// CheckAuthRequest checks an authorization request: a known client, response_type code, an http(s)
// redirect_uri equal to the client's registered one when it has one, and well-formed scopes. A refused
// request is an *AuthRefusal; any other error is internal.
func (s *Server) CheckAuthRequest(ctx context.Context, req AuthRequest) (*CheckedAuth, error) {
	if req.ClientID == "" {
		return nil, &AuthRefusal{ErrCodeInvalidClient, "the request names no client_id"}
	}
	c, err := s.Store.ClientByID(ctx, req.ClientID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &AuthRefusal{ErrCodeInvalidClient, "no app has this client_id"}
	}
	if err != nil {
		return nil, err
	}
	if !validRedirect(req.RedirectURI) {
		return nil, &AuthRefusal{ErrCodeInvalidRedirectURI, "redirect_uri must be an http:// or https:// address"}
	}
	if c.RedirectURI != "" && req.RedirectURI != c.RedirectURI {
		return nil, &AuthRefusal{ErrCodeInvalidRedirectURI, "redirect_uri is not the address registered for this app"}
	}
	if req.ResponseType != "code" {
		return nil, &AuthRefusal{ErrCodeInvalidRequest, "response_type must be code"}
	}
	scopes, err := ParseScopes(req.Scope)
	if err != nil {
		return nil, &AuthRefusal{ErrCodeInvalidScope, "the scope is missing or malformed"}
	}
	return &CheckedAuth{Req: req, Client: c, Scopes: scopes}, nil
}

// validRedirect: an http:// or https:// address with a host, no fragment, no space or control
// character.
func validRedirect(u string) bool {
	rest, ok := strings.CutPrefix(u, "https://")
	if !ok {
		rest, ok = strings.CutPrefix(u, "http://")
	}
	if !ok || rest == "" || rest[0] == '/' || rest[0] == '?' || strings.Contains(u, "#") || len(u) > 2048 {
		return false
	}
	for _, r := range u {
		if r <= ' ' || r == 0x7f {
			return false
		}
	}
	return true
}

// Consent grants a checked request for the signed-in user and returns the new grant code (valid
// DefaultCodeTTL). The app must belong to the user's org (an *AuthRefusal otherwise). The code is
// bound to the request's redirect_uri: its exchange must name the same.
func (s *Server) Consent(ctx context.Context, a *CheckedAuth, c *crmd.Caller) (string, error) {
	if a.Client.OrgID != c.Org.ID {
		return "", &AuthRefusal{ErrCodeInvalidClient, "this app belongs to another org"}
	}
	code, err := newToken()
	if err != nil {
		return "", err
	}
	err = s.Store.CreateGrant(ctx, store.Grant{CodeHash: HashToken(code), ClientID: a.Client.ClientID, OrgID: c.Org.ID, UserID: c.User.ID,
		Scope: strings.Join(a.Scopes, ","), RedirectURI: a.Req.RedirectURI, ExpiresAt: s.Store.Now().Add(DefaultCodeTTL).UnixMilli()})
	if err != nil {
		return "", fmt.Errorf("store grant code: %w", err)
	}
	s.logger().Info("oauth consent", "client_id", a.Client.ClientID, "org", c.Org.ID.String(), "user", c.User.ID.String())
	return code, nil
}
