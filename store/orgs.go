package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/crmd/crmd"
)

// NewOrg is what creating an org needs.
type NewOrg struct {
	Name       string
	AdminEmail string
	AdminFirst string
	AdminLast  string
	TimeZone   string
	// Modules are the module definitions (with fields) every new org starts with.
	Modules []*crmd.Module
	// OnlyIfEmpty makes CreateOrg create the org only in a database that has none yet, atomically, so
	// that two servers starting on one empty database bootstrap exactly one org; the loser gets
	// ErrOrgsExist.
	OnlyIfEmpty bool
	// Client, when set, is the org's first OAuth client, stored in the same transaction (its OrgID is
	// filled in).
	Client *Client
	// IDPrefix, when not zero, is the org's id prefix (its id is IDPrefix×10¹² + 1, and every id of
	// the org starts with it) instead of a random free one, and ZGID its zgid: a fixture gives the same
	// ids every time it is applied. ErrDuplicate when the prefix is taken.
	IDPrefix int64
	ZGID     string
}

// ErrOrgsExist is CreateOrg's answer under OnlyIfEmpty when the database already has an org.
var ErrOrgsExist = errors.New("store: the database already has an org")

// CreateOrg creates, in one transaction, an org with its two profiles (Administrator, Standard), two
// roles, its admin user and its modules and fields. It returns the org and the admin user.
func (s *Store) CreateOrg(ctx context.Context, n NewOrg) (*crmd.Org, *crmd.User, error) {
	if n.TimeZone == "" {
		n.TimeZone = "UTC"
	}
	var org *crmd.Org
	var admin *crmd.User
	err := s.Tx(ctx, func(tx *Tx) error {
		if n.OnlyIfEmpty {
			if s.Dialect == Postgres {
				// SQLite's BEGIN IMMEDIATE serialises the count and the insert; PostgreSQL needs the
				// table lock (self-conflicting, readers still pass) for the same guarantee.
				if _, err := tx.q.ExecContext(ctx, `LOCK TABLE orgs IN EXCLUSIVE MODE`); err != nil {
					return err
				}
			}
			var count int
			if err := tx.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM orgs`).Scan(&count); err != nil {
				return err
			}
			if count > 0 {
				return ErrOrgsExist
			}
		}
		prefix, err := n.IDPrefix, error(nil)
		if prefix == 0 {
			prefix, err = s.freePrefix(ctx, tx)
		} else {
			var taken int
			err = tx.q.QueryRowContext(ctx, s.Q(`SELECT COUNT(*) FROM orgs WHERE id_prefix = ?`), prefix).Scan(&taken)
			if err == nil && taken > 0 {
				err = ErrDuplicate
			}
		}
		if err != nil {
			return err
		}
		zgid := n.ZGID
		if zgid == "" {
			zgid = randomDigits(9)
		}
		now := s.NowMS()
		secret := make([]byte, 32)
		rand.Read(secret)
		org = &crmd.Org{
			ID: crmd.ID(prefix*idScale + 1), Name: n.Name, PrimaryEmail: strings.ToLower(n.AdminEmail),
			ZGID: zgid, TimeZone: n.TimeZone, CreatedTime: now,
		}
		_, err = tx.q.ExecContext(ctx, s.Q(`INSERT INTO orgs (id, id_prefix, next_seq, name, primary_email, zgid, time_zone, page_secret, created_time)
			VALUES (?, ?, 2, ?, ?, ?, ?, ?, ?)`),
			int64(org.ID), prefix, org.Name, org.PrimaryEmail, org.ZGID, org.TimeZone, hex.EncodeToString(secret), now)
		if err != nil {
			return fmt.Errorf("insert org: %w", err)
		}
		for _, name := range []string{crmd.ProfileAdministrator, crmd.ProfileStandard} {
			id, err := s.AllocIDs(ctx, tx, org.ID, 1)
			if err != nil {
				return err
			}
			if _, err := tx.q.ExecContext(ctx, s.Q(`INSERT INTO profiles (id, org_id, name, created_time) VALUES (?, ?, ?, ?)`), int64(id), int64(org.ID), name, now); err != nil {
				return err
			}
		}
		for _, name := range []string{"CEO", "Manager"} {
			id, err := s.AllocIDs(ctx, tx, org.ID, 1)
			if err != nil {
				return err
			}
			if _, err := tx.q.ExecContext(ctx, s.Q(`INSERT INTO roles (id, org_id, name) VALUES (?, ?, ?)`), int64(id), int64(org.ID), name); err != nil {
				return err
			}
		}
		admin, err = s.createUser(ctx, tx, org.ID, NewUser{Email: n.AdminEmail, FirstName: n.AdminFirst, LastName: n.AdminLast, Profile: crmd.ProfileAdministrator, Role: "CEO"})
		if err != nil {
			return err
		}
		for _, m := range n.Modules {
			if err := s.insertModule(ctx, tx, org.ID, m); err != nil {
				return err
			}
		}
		if n.Client != nil {
			c := *n.Client
			c.OrgID = org.ID
			return s.createClient(ctx, tx.q, c)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return org, admin, nil
}

// freePrefix picks a random unused 7-digit id prefix for a new org.
func (s *Store) freePrefix(ctx context.Context, tx *Tx) (int64, error) {
	for i := 0; i < 50; i++ {
		r, _ := rand.Int(rand.Reader, big.NewInt(9_223_371-1_000_000))
		p := r.Int64() + 1_000_000
		var n int
		if err := tx.q.QueryRowContext(ctx, s.Q(`SELECT COUNT(*) FROM orgs WHERE id_prefix = ?`), p).Scan(&n); err != nil {
			return 0, err
		}
		if n == 0 {
			return p, nil
		}
	}
	return 0, errors.New("no free org id prefix")
}

const orgCols = `id, name, primary_email, zgid, time_zone, created_time`

func scanOrg(row interface{ Scan(...any) error }) (*crmd.Org, error) {
	var o crmd.Org
	var id int64
	if err := row.Scan(&id, &o.Name, &o.PrimaryEmail, &o.ZGID, &o.TimeZone, &o.CreatedTime); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	o.ID = crmd.ID(id)
	return &o, nil
}

// Org returns one org.
func (s *Store) Org(ctx context.Context, id crmd.ID) (*crmd.Org, error) {
	return scanOrg(s.R.QueryRowContext(ctx, s.Q(`SELECT `+orgCols+` FROM orgs WHERE id = ?`), int64(id)))
}

// OrgSecret returns the org's secret for signing page tokens.
func (s *Store) OrgSecret(ctx context.Context, id crmd.ID) ([]byte, error) {
	var h string
	if err := s.R.QueryRowContext(ctx, s.Q(`SELECT page_secret FROM orgs WHERE id = ?`), int64(id)).Scan(&h); err != nil {
		return nil, err
	}
	return hex.DecodeString(h)
}

// CountOrgs tells how many orgs the database holds (zero on a fresh database).
func (s *Store) CountOrgs(ctx context.Context) (int, error) {
	var n int
	err := s.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM orgs`).Scan(&n)
	return n, err
}

// OrgIDs returns the ids of at most limit orgs, oldest first.
func (s *Store) OrgIDs(ctx context.Context, limit int) ([]crmd.ID, error) {
	rows, err := s.R.QueryContext(ctx, s.Q(`SELECT id FROM orgs ORDER BY id LIMIT ?`), limit)
	if err != nil {
		return nil, err
	}
	return scanIDs(rows)
}
