package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/crmd/crmd"
)

// Client is a registered OAuth client of an org. Only the hash of its secret is kept.
type Client struct {
	ClientID    string
	OrgID       crmd.ID
	SecretHash  string
	Name        string
	RedirectURI string
}

// CreateClient registers an OAuth client.
func (s *Store) CreateClient(ctx context.Context, c Client) error {
	return s.createClient(ctx, s.W, c)
}

func (s *Store) createClient(ctx context.Context, db execer, c Client) error {
	_, err := db.ExecContext(ctx, s.Q(`INSERT INTO oauth_clients (client_id, org_id, secret_hash, name, redirect_uri, created_time) VALUES (?, ?, ?, ?, ?, ?)`),
		c.ClientID, int64(c.OrgID), c.SecretHash, c.Name, c.RedirectURI, s.NowMS())
	return err
}

// ClientByID returns a client, or ErrNotFound.
func (s *Store) ClientByID(ctx context.Context, clientID string) (*Client, error) {
	var c Client
	var org int64
	err := s.R.QueryRowContext(ctx, s.Q(`SELECT client_id, org_id, secret_hash, name, redirect_uri FROM oauth_clients WHERE client_id = ?`), clientID).
		Scan(&c.ClientID, &org, &c.SecretHash, &c.Name, &c.RedirectURI)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	c.OrgID = crmd.ID(org)
	return &c, err
}

// FirstClient returns the org's oldest client (the one `crmd init` made), or ErrNotFound.
func (s *Store) FirstClient(ctx context.Context, orgID crmd.ID) (*Client, error) {
	var id string
	err := s.R.QueryRowContext(ctx, s.Q(`SELECT client_id FROM oauth_clients WHERE org_id = ? ORDER BY created_time, client_id LIMIT 1`), int64(orgID)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return s.ClientByID(ctx, id)
}

// Grant is a stored authorization (grant) code.
type Grant struct {
	CodeHash    string
	ClientID    string
	OrgID       crmd.ID
	UserID      crmd.ID
	Scope       string
	RedirectURI string
	ExpiresAt   int64
}

// CreateGrant stores a grant code's hash.
func (s *Store) CreateGrant(ctx context.Context, g Grant) error {
	_, err := s.W.ExecContext(ctx, s.Q(`INSERT INTO oauth_codes (code_hash, client_id, org_id, user_id, scope, redirect_uri, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		g.CodeHash, g.ClientID, int64(g.OrgID), int64(g.UserID), g.Scope, g.RedirectURI, g.ExpiresAt)
	return err
}

// UseGrant marks an unexpired, unused grant code as used and returns it; the same code never works
// twice, even when two exchanges race. ErrNotFound otherwise.
func (s *Store) UseGrant(ctx context.Context, codeHash string) (*Grant, error) {
	var g Grant
	var org, user int64
	err := s.W.QueryRowContext(ctx, s.Q(`UPDATE oauth_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?
		RETURNING code_hash, client_id, org_id, user_id, scope, redirect_uri, expires_at`), s.NowMS(), codeHash, s.NowMS()).
		Scan(&g.CodeHash, &g.ClientID, &org, &user, &g.Scope, &g.RedirectURI, &g.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	g.OrgID, g.UserID = crmd.ID(org), crmd.ID(user)
	return &g, err
}

// Token is a stored access or refresh token (only its hash).
type Token struct {
	Hash        string
	Kind        string // access | refresh
	ClientID    string
	OrgID       crmd.ID
	UserID      crmd.ID
	Scope       string
	RefreshHash string // for access tokens minted from a refresh token
	CreatedAt   int64
	ExpiresAt   int64 // 0 = never
	RevokedAt   int64 // 0 = live
}

// CreateToken stores a token hash.
func (s *Store) CreateToken(ctx context.Context, t Token) error {
	var exp, ref any
	if t.ExpiresAt != 0 {
		exp = t.ExpiresAt
	}
	if t.RefreshHash != "" {
		ref = t.RefreshHash
	}
	_, err := s.W.ExecContext(ctx, s.Q(`INSERT INTO oauth_tokens (token_hash, kind, client_id, org_id, user_id, scope, refresh_hash, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`), t.Hash, t.Kind, t.ClientID, int64(t.OrgID), int64(t.UserID), t.Scope, ref, s.NowMS(), exp)
	return err
}

// TokenByHash returns a token by its hash, revoked and expired ones included (the caller decides).
func (s *Store) TokenByHash(ctx context.Context, hash string) (*Token, error) {
	var t Token
	var org, user int64
	var ref sql.NullString
	var exp, rev sql.NullInt64
	err := s.R.QueryRowContext(ctx, s.Q(`SELECT token_hash, kind, client_id, org_id, user_id, scope, refresh_hash, created_at, expires_at, revoked_at
		FROM oauth_tokens WHERE token_hash = ?`), hash).Scan(&t.Hash, &t.Kind, &t.ClientID, &org, &user, &t.Scope, &ref, &t.CreatedAt, &exp, &rev)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	t.OrgID, t.UserID, t.RefreshHash, t.ExpiresAt, t.RevokedAt = crmd.ID(org), crmd.ID(user), ref.String, exp.Int64, rev.Int64
	return &t, nil
}

// RevokeToken revokes a token and, for a refresh token, every access token minted from it. It reports
// whether a live token was found.
func (s *Store) RevokeToken(ctx context.Context, hash string) (bool, error) {
	var found bool
	err := s.Tx(ctx, func(tx *Tx) error {
		now := s.NowMS()
		res, err := tx.q.ExecContext(ctx, s.Q(`UPDATE oauth_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL`), now, hash)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		found = n > 0
		_, err = tx.q.ExecContext(ctx, s.Q(`UPDATE oauth_tokens SET revoked_at = ? WHERE refresh_hash = ? AND revoked_at IS NULL`), now, hash)
		return err
	})
	return found, err
}
