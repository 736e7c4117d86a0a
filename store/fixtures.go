package store

import (
	"context"
	"database/sql"

	"github.com/crmd/crmd"
)

// OrgClients lists an org's OAuth clients by client id (a fixture dump: the same order in every database).
func (s *Store) OrgClients(ctx context.Context, orgID crmd.ID) ([]Client, error) {
	rows, err := s.R.QueryContext(ctx, s.Q(`SELECT client_id, org_id, secret_hash, name, redirect_uri FROM oauth_clients WHERE org_id = ? ORDER BY client_id`), int64(orgID))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Client
	for rows.Next() {
		var c Client
		var org int64
		if err := rows.Scan(&c.ClientID, &org, &c.SecretHash, &c.Name, &c.RedirectURI); err != nil {
			return nil, err
		}
		c.OrgID = crmd.ID(org)
		out = append(out, c)
	}
	return out, rows.Err()
}

// OrgTokens lists an org's tokens that work: not revoked, not expired, and not minted from a refresh
// token (those are short-lived copies a client makes at will), by hash (a fixture dump: the same order
// in every database).
func (s *Store) OrgTokens(ctx context.Context, orgID crmd.ID) ([]Token, error) {
	rows, err := s.R.QueryContext(ctx, s.Q(`SELECT token_hash, kind, client_id, org_id, user_id, scope, created_at, expires_at FROM oauth_tokens
		WHERE org_id = ? AND revoked_at IS NULL AND refresh_hash IS NULL AND (expires_at IS NULL OR expires_at > ?) ORDER BY token_hash`),
		int64(orgID), s.NowMS())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		var org, user int64
		var exp sql.NullInt64
		if err := rows.Scan(&t.Hash, &t.Kind, &t.ClientID, &org, &user, &t.Scope, &t.CreatedAt, &exp); err != nil {
			return nil, err
		}
		t.OrgID, t.UserID, t.ExpiresAt = crmd.ID(org), crmd.ID(user), exp.Int64
		out = append(out, t)
	}
	return out, rows.Err()
}
