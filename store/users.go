package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/crmd/crmd"
)

// NewUser is what adding a user needs.
type NewUser struct {
	Email     string
	FirstName string
	LastName  string
	Profile   string // crmd.ProfileAdministrator or crmd.ProfileStandard
	Role      string // CEO or Manager; empty picks by profile
}

// ErrDuplicate is returned when a unique value (a user's email, a module's name …) is taken.
var ErrDuplicate = errors.New("store: duplicate")

// CreateUser adds a user to an org.
func (s *Store) CreateUser(ctx context.Context, orgID crmd.ID, n NewUser) (*crmd.User, error) {
	var u *crmd.User
	err := s.Tx(ctx, func(tx *Tx) error {
		var err error
		u, err = s.createUser(ctx, tx, orgID, n)
		return err
	})
	return u, err
}

func (s *Store) createUser(ctx context.Context, tx *Tx, orgID crmd.ID, n NewUser) (*crmd.User, error) {
	email := strings.ToLower(strings.TrimSpace(n.Email))
	// The count answers the common case before an id is spent; the UNIQUE (org_id, email) constraint
	// decides a race (on PostgreSQL two transactions may both count zero), see the INSERT below.
	var dup int
	if err := tx.q.QueryRowContext(ctx, s.Q(`SELECT COUNT(*) FROM users WHERE org_id = ? AND email = ?`), int64(orgID), email).Scan(&dup); err != nil {
		return nil, err
	}
	if dup > 0 {
		return nil, ErrDuplicate
	}
	if n.Profile == "" {
		n.Profile = crmd.ProfileStandard
	}
	if n.Role == "" {
		n.Role = "Manager"
		if n.Profile == crmd.ProfileAdministrator {
			n.Role = "CEO"
		}
	}
	if n.LastName == "" {
		n.LastName = email
		if i := strings.IndexByte(email, '@'); i > 0 {
			n.LastName = email[:i]
		}
	}
	var profileID, roleID int64
	if err := tx.q.QueryRowContext(ctx, s.Q(`SELECT id FROM profiles WHERE org_id = ? AND name = ?`), int64(orgID), n.Profile).Scan(&profileID); err != nil {
		return nil, fmt.Errorf("profile %q: %w", n.Profile, err)
	}
	if err := tx.q.QueryRowContext(ctx, s.Q(`SELECT id FROM roles WHERE org_id = ? AND name = ?`), int64(orgID), n.Role).Scan(&roleID); err != nil {
		return nil, fmt.Errorf("role %q: %w", n.Role, err)
	}
	id, err := s.AllocIDs(ctx, tx, orgID, 1)
	if err != nil {
		return nil, err
	}
	now := s.NowMS()
	zuid := randomDigits(9)
	_, err = tx.q.ExecContext(ctx, s.Q(`INSERT INTO users (id, org_id, email, first_name, last_name, profile_id, role_id, status, zuid, created_time, modified_time)
		VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?)`),
		int64(id), int64(orgID), email, n.FirstName, n.LastName, profileID, roleID, zuid, now, now)
	if err != nil {
		if isUniqueViolation(err) {
			return nil, ErrDuplicate // a racing request added the email after the count above
		}
		return nil, err
	}
	return &crmd.User{ID: id, OrgID: orgID, Email: email, FirstName: n.FirstName, LastName: n.LastName,
		Profile: crmd.Profile{ID: crmd.ID(profileID), Name: n.Profile}, RoleID: crmd.ID(roleID), RoleName: n.Role,
		Status: "active", ZUID: zuid, CreatedTime: now, ModifiedTime: now}, nil
}

const userSelect = `SELECT u.id, u.org_id, u.email, u.first_name, u.last_name, p.id, p.name, r.id, r.name, u.status, u.zuid, u.created_time, u.modified_time
	FROM users u JOIN profiles p ON p.id = u.profile_id JOIN roles r ON r.id = u.role_id`

func scanUser(row interface{ Scan(...any) error }) (*crmd.User, error) {
	var u crmd.User
	var id, org, pid, rid int64
	if err := row.Scan(&id, &org, &u.Email, &u.FirstName, &u.LastName, &pid, &u.Profile.Name, &rid, &u.RoleName, &u.Status, &u.ZUID, &u.CreatedTime, &u.ModifiedTime); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	u.ID, u.OrgID, u.Profile.ID, u.RoleID = crmd.ID(id), crmd.ID(org), crmd.ID(pid), crmd.ID(rid)
	return &u, nil
}

// User returns one user of an org.
func (s *Store) User(ctx context.Context, orgID, id crmd.ID) (*crmd.User, error) {
	return scanUser(s.R.QueryRowContext(ctx, s.Q(userSelect+` WHERE u.org_id = ? AND u.id = ?`), int64(orgID), int64(id)))
}

// UserByEmail returns the user of an org with that email (case-insensitive).
func (s *Store) UserByEmail(ctx context.Context, orgID crmd.ID, email string) (*crmd.User, error) {
	return scanUser(s.R.QueryRowContext(ctx, s.Q(userSelect+` WHERE u.org_id = ? AND u.email = ?`), int64(orgID), strings.ToLower(strings.TrimSpace(email))))
}

// Users returns every user of an org in id order.
func (s *Store) Users(ctx context.Context, orgID crmd.ID) ([]*crmd.User, error) {
	rows, err := s.R.QueryContext(ctx, s.Q(userSelect+` WHERE u.org_id = ? ORDER BY u.id`), int64(orgID))
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scanUser)
}

// UsersByID returns every user of an org keyed by id, so that a request shaping many rows reads the
// users once.
func (s *Store) UsersByID(ctx context.Context, orgID crmd.ID) (map[crmd.ID]*crmd.User, error) {
	us, err := s.Users(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := make(map[crmd.ID]*crmd.User, len(us))
	for _, u := range us {
		out[u.ID] = u
	}
	return out, nil
}

// Profiles returns the org's profiles in id order.
func (s *Store) Profiles(ctx context.Context, orgID crmd.ID) ([]crmd.Profile, error) {
	rows, err := s.R.QueryContext(ctx, s.Q(`SELECT id, name FROM profiles WHERE org_id = ? ORDER BY id`), int64(orgID))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []crmd.Profile
	for rows.Next() {
		var p crmd.Profile
		var id int64
		if err := rows.Scan(&id, &p.Name); err != nil {
			return nil, err
		}
		p.ID = crmd.ID(id)
		out = append(out, p)
	}
	return out, rows.Err()
}
