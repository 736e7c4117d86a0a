package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/crmd/crmd"
)

// ConsoleLink is a one-time sign-in link of the web console, stored by the hash of its secret.
type ConsoleLink struct {
	Hash          string
	OrgID, UserID crmd.ID
	ExpiresAt     int64 // unix ms
}

// CreateConsoleLink stores a new console link.
func (s *Store) CreateConsoleLink(ctx context.Context, l ConsoleLink) error {
	_, err := s.W.ExecContext(ctx, s.Q(`INSERT INTO console_links (link_hash, org_id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`),
		l.Hash, int64(l.OrgID), int64(l.UserID), s.NowMS(), l.ExpiresAt)
	return err
}

// ConsoleSession is the server-side state behind a console cookie.
type ConsoleSession struct {
	Hash          string
	OrgID, UserID crmd.ID
	CSRF          string
	ExpiresAt     int64 // unix ms
}

// SignInWithLink marks an unexpired, unused console link as used and creates the session it opens, in
// one transaction: a link signs in once, even when two browsers race, and a failure leaves it unused.
// sess.OrgID and sess.UserID are taken from the link. ErrNotFound when the link is unknown, used or
// expired.
func (s *Store) SignInWithLink(ctx context.Context, linkHash string, sess ConsoleSession) (*ConsoleSession, error) {
	out := sess
	err := s.Tx(ctx, func(tx *Tx) error {
		var org, user int64
		now := s.NowMS()
		err := tx.q.QueryRowContext(ctx, s.Q(`UPDATE console_links SET used_at = ? WHERE link_hash = ? AND used_at IS NULL AND expires_at > ?
			RETURNING org_id, user_id`), now, linkHash, now).Scan(&org, &user)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		out.OrgID, out.UserID = crmd.ID(org), crmd.ID(user)
		_, err = tx.q.ExecContext(ctx, s.Q(`INSERT INTO console_sessions (session_hash, org_id, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`),
			out.Hash, org, user, out.CSRF, now, out.ExpiresAt)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ConsoleSessionByHash returns an unexpired session; ErrNotFound otherwise.
func (s *Store) ConsoleSessionByHash(ctx context.Context, hash string) (*ConsoleSession, error) {
	var c ConsoleSession
	var org, user int64
	err := s.R.QueryRowContext(ctx, s.Q(`SELECT session_hash, org_id, user_id, csrf, expires_at FROM console_sessions WHERE session_hash = ? AND expires_at > ?`),
		hash, s.NowMS()).Scan(&c.Hash, &org, &user, &c.CSRF, &c.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	c.OrgID, c.UserID = crmd.ID(org), crmd.ID(user)
	return &c, nil
}

// DeleteConsoleSession ends a session (sign-out), and drops every expired session and used or
// expired link on the way, so that neither table grows with time.
func (s *Store) DeleteConsoleSession(ctx context.Context, hash string) error {
	return s.Tx(ctx, func(tx *Tx) error {
		now := s.NowMS()
		if _, err := tx.q.ExecContext(ctx, s.Q(`DELETE FROM console_sessions WHERE session_hash = ? OR expires_at <= ?`), hash, now); err != nil {
			return err
		}
		_, err := tx.q.ExecContext(ctx, s.Q(`DELETE FROM console_links WHERE used_at IS NOT NULL OR expires_at <= ?`), now)
		return err
	})
}
