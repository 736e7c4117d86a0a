package oauth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// The web console (docs/console.md) signs a person in with a one-time link and keeps a server-side
// session behind a cookie. What the signed-in user may do is decided exactly as for an API token: the
// console acts as a Caller of the user with ConsoleScopes, through the same handlers and services, so
// the user's profile (a Standard user cannot mass delete) and every other check apply unchanged.

// ConsoleClientID is the OAuth client the console's calls count against (the API limits' "app").
const ConsoleClientID = "crmd-console"

// ConsoleScopes are the scopes a console session acts with: everything the console shows or does. The
// profile of the user still decides what is allowed.
var ConsoleScopes = []string{"ZohoCRM.modules.ALL", "ZohoCRM.settings.ALL", "ZohoCRM.users.READ", "ZohoCRM.org.READ", "ZohoCRM.mass_delete.ALL"}

// DefaultConsoleLinkTTL is how long a console link stays usable; DefaultConsoleSessionTTL how long a
// console session lasts after sign-in.
const (
	DefaultConsoleLinkTTL    = 10 * time.Minute
	DefaultConsoleSessionTTL = 12 * time.Hour
)

// ErrConsoleLink is the answer for a console link that is unknown, used or expired; ErrNoSession for a
// cookie that names no live session (or a user no longer active).
var (
	ErrConsoleLink = errors.New("console link invalid, used or expired")
	ErrNoSession   = errors.New("no console session")
)

// NewConsoleLink stores a one-time sign-in link for an active user of an org and returns its secret
// (shown only here; only its hash is kept).
func (s *Server) NewConsoleLink(ctx context.Context, orgID, userID crmd.ID, ttl time.Duration) (string, error) {
	if _, err := s.activeUser(ctx, orgID, userID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return "", fmt.Errorf("user %s of org %s not found or not active", userID, orgID)
		}
		return "", err
	}
	if ttl <= 0 {
		ttl = DefaultConsoleLinkTTL
	}
	secret, err := randomHex(64)
	if err != nil {
		return "", err
	}
	err = s.Store.CreateConsoleLink(ctx, store.ConsoleLink{Hash: HashToken(secret), OrgID: orgID, UserID: userID,
		ExpiresAt: s.Store.Now().Add(ttl).UnixMilli()})
	if err != nil {
		return "", fmt.Errorf("store console link: %w", err)
	}
	return secret, nil
}

// ConsoleSignIn is what a used console link gives: the cookie's value (the session's secret) and the
// session's CSRF token.
type ConsoleSignIn struct {
	Session   string
	CSRF      string
	ExpiresAt time.Time
}

// SignIn uses a console link once and opens a session for its user. ErrConsoleLink when the link is
// unknown, used or expired, or its user no longer active.
func (s *Server) SignIn(ctx context.Context, link string) (*ConsoleSignIn, error) {
	if !plausibleSecret(link) {
		return nil, ErrConsoleLink
	}
	sess, err := randomHex(64)
	if err != nil {
		return nil, err
	}
	csrf, err := randomHex(64)
	if err != nil {
		return nil, err
	}
	exp := s.Store.Now().Add(DefaultConsoleSessionTTL)
	cs, err := s.Store.SignInWithLink(ctx, HashToken(link), store.ConsoleSession{Hash: HashToken(sess), CSRF: csrf, ExpiresAt: exp.UnixMilli()})
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrConsoleLink
	}
	if err != nil {
		return nil, fmt.Errorf("console sign-in: %w", err)
	}
	if _, err := s.activeUser(ctx, cs.OrgID, cs.UserID); err != nil {
		_ = s.Store.DeleteConsoleSession(ctx, cs.Hash)
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrConsoleLink
		}
		return nil, err
	}
	s.logger().Info("console sign-in", "org", cs.OrgID.String(), "user", cs.UserID.String())
	return &ConsoleSignIn{Session: sess, CSRF: csrf, ExpiresAt: exp}, nil
}

// ConsoleCaller returns who a console cookie signs in, acting with ConsoleScopes, and the session's
// CSRF token. ErrNoSession when the session is unknown or expired, or its user or org is gone or
// the user no longer active.
func (s *Server) ConsoleCaller(ctx context.Context, session string) (*crmd.Caller, string, error) {
	if !plausibleSecret(session) {
		return nil, "", ErrNoSession
	}
	// Each read's ErrNotFound (no session, no active user, no org) is the same answer: no session.
	var u *crmd.User
	var org *crmd.Org
	cs, err := s.Store.ConsoleSessionByHash(ctx, HashToken(session))
	if err == nil {
		u, err = s.activeUser(ctx, cs.OrgID, cs.UserID)
	}
	if err == nil {
		org, err = s.Store.Org(ctx, cs.OrgID)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", ErrNoSession
	}
	if err != nil {
		return nil, "", fmt.Errorf("console session: %w", err)
	}
	scopes := append([]string(nil), ConsoleScopes...)
	return &crmd.Caller{Org: org, User: u, Scopes: scopes, ClientID: ConsoleClientID}, cs.CSRF, nil
}

// SignOut ends a console session; an unknown one is no error.
func (s *Server) SignOut(ctx context.Context, session string) error {
	if !plausibleSecret(session) {
		return nil
	}
	return s.Store.DeleteConsoleSession(ctx, HashToken(session))
}

// plausibleSecret: a link's or a session's secret as a client may send it — not empty, and not so
// long that hashing it is wasted work (the ones crmd makes are 64 hex digits).
func plausibleSecret(secret string) bool { return secret != "" && len(secret) <= 256 }
