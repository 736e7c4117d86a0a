package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/crmd/crmd"
)

// moduleCache keeps each org's modules in memory, keyed by the org's meta_version: every request reads
// the version (one indexed row) and reloads only when a module or field changed, also when another
// process (the CLI, another replica) changed it.
type moduleCache struct {
	mu   sync.Mutex
	orgs map[crmd.ID]cachedModules
}

type cachedModules struct {
	version int64
	modules []*crmd.Module
}

func (s *Store) cache() *moduleCache {
	s.cacheOnce.Do(func() { s.mods = &moduleCache{orgs: map[crmd.ID]cachedModules{}} })
	return s.mods
}

// Modules returns every module of the org, with fields, in sequence order. The result is shared and
// must not be modified.
func (s *Store) Modules(ctx context.Context, orgID crmd.ID) ([]*crmd.Module, error) {
	var version int64
	if err := s.R.QueryRowContext(ctx, s.Q(`SELECT meta_version FROM orgs WHERE id = ?`), int64(orgID)).Scan(&version); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	c := s.cache()
	c.mu.Lock()
	hit, ok := c.orgs[orgID]
	c.mu.Unlock()
	if ok && hit.version == version {
		return hit.modules, nil
	}
	mods, err := s.loadModules(ctx, orgID)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.orgs[orgID] = cachedModules{version: version, modules: mods}
	c.mu.Unlock()
	return mods, nil
}

// Directory is an org's users and modules by id: what answers that name the users and modules of many
// rows (the recycle bin, the job history, the audit trail) look them up in. A name that is missing
// (a user or module that no longer exists) is nil.
type Directory struct {
	Users   map[crmd.ID]*crmd.User
	Modules map[crmd.ID]*crmd.Module
}

// Directory reads an org's users and modules, in two reads.
func (s *Store) Directory(ctx context.Context, orgID crmd.ID) (*Directory, error) {
	users, err := s.UsersByID(ctx, orgID)
	if err != nil {
		return nil, err
	}
	mods, err := s.ModulesByID(ctx, orgID)
	if err != nil {
		return nil, err
	}
	return &Directory{Users: users, Modules: mods}, nil
}

// ModulesByID returns an org's modules keyed by id: for answers that name the modules of many rows.
func (s *Store) ModulesByID(ctx context.Context, orgID crmd.ID) (map[crmd.ID]*crmd.Module, error) {
	mods, err := s.Modules(ctx, orgID)
	if err != nil {
		return nil, err
	}
	byID := make(map[crmd.ID]*crmd.Module, len(mods))
	for _, m := range mods {
		byID[m.ID] = m
	}
	return byID, nil
}

// Module finds a module by api name, case-insensitively (D30); nil when there is none.
func (s *Store) Module(ctx context.Context, orgID crmd.ID, apiName string) (*crmd.Module, error) {
	mods, err := s.Modules(ctx, orgID)
	if err != nil {
		return nil, err
	}
	for _, m := range mods {
		if strings.EqualFold(m.APIName, apiName) {
			return m, nil
		}
	}
	return nil, nil
}

func (s *Store) loadModules(ctx context.Context, orgID crmd.ID) ([]*crmd.Module, error) {
	rows, err := s.R.QueryContext(ctx, s.Q(`SELECT id, api_name, module_name, singular_label, plural_label, generated_type, api_supported,
		creatable, editable, deletable, mass_deletable, min_version, scope_token, display_field, sequence_number, modified_time
		FROM modules WHERE org_id = ? ORDER BY sequence_number, id`), int64(orgID))
	if err != nil {
		return nil, err
	}
	var mods []*crmd.Module
	byID := map[int64]*crmd.Module{}
	for rows.Next() {
		m := &crmd.Module{OrgID: orgID}
		var id int64
		var sup, cr, ed, de, md int
		if err := rows.Scan(&id, &m.APIName, &m.ModuleName, &m.SingularLabel, &m.PluralLabel, &m.GeneratedType, &sup,
			&cr, &ed, &de, &md, &m.MinVersion, &m.ScopeToken, &m.DisplayField, &m.SequenceNumber, &m.ModifiedTime); err != nil {
			rows.Close()
			return nil, err
		}
		m.ID = crmd.ID(id)
		m.APISupported, m.Creatable, m.Editable, m.Deletable, m.MassDeletable = sup == 1, cr == 1, ed == 1, de == 1, md == 1
		mods = append(mods, m)
		byID[id] = m
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	frows, err := s.R.QueryContext(ctx, s.Q(`SELECT id, module_id, api_name, label, data_type, length, mandatory, read_only, custom, system,
		picklist, lookup_module, decimal_place, sequence_number FROM fields WHERE org_id = ? ORDER BY module_id, sequence_number, id`), int64(orgID))
	if err != nil {
		return nil, err
	}
	defer frows.Close()
	for frows.Next() {
		f := &crmd.Field{}
		var id, mid int64
		var mand, ro, cu, sy int
		var pick string
		if err := frows.Scan(&id, &mid, &f.APIName, &f.Label, &f.DataType, &f.Length, &mand, &ro, &cu, &sy,
			&pick, &f.LookupModule, &f.DecimalPlace, &f.SequenceNumber); err != nil {
			return nil, err
		}
		f.ID = crmd.ID(id)
		f.Mandatory, f.ReadOnly, f.Custom, f.System = mand == 1, ro == 1, cu == 1, sy == 1
		if err := json.Unmarshal([]byte(pick), &f.Picklist); err != nil {
			return nil, fmt.Errorf("field %d picklist: %w", id, err)
		}
		if m := byID[mid]; m != nil {
			m.Fields = append(m.Fields, f)
		}
	}
	return mods, frows.Err()
}

// insertModule writes a module and its fields, giving each an id from the org's sequence.
func (s *Store) insertModule(ctx context.Context, tx *Tx, orgID crmd.ID, m *crmd.Module) error {
	first, err := s.AllocIDs(ctx, tx, orgID, 1+len(m.Fields))
	if err != nil {
		return err
	}
	now := s.NowMS()
	scope := m.ScopeToken
	if scope == "" {
		scope = crmd.ScopeTokenFor(m.APIName, m.IsCustom())
	}
	_, err = tx.q.ExecContext(ctx, s.Q(`INSERT INTO modules (id, org_id, api_name, api_name_lower, module_name, singular_label, plural_label,
		generated_type, api_supported, creatable, editable, deletable, mass_deletable, min_version, scope_token, display_field,
		sequence_number, modified_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		int64(first), int64(orgID), m.APIName, strings.ToLower(m.APIName), m.ModuleName, m.SingularLabel, m.PluralLabel,
		m.GeneratedType, b2i(m.APISupported), b2i(m.Creatable), b2i(m.Editable), b2i(m.Deletable), b2i(m.MassDeletable),
		m.MinVersion, scope, m.DisplayField, m.SequenceNumber, now)
	if err != nil {
		if isUniqueViolation(err) {
			return ErrDuplicate
		}
		return fmt.Errorf("insert module %s: %w", m.APIName, err)
	}
	for i, f := range m.Fields {
		pick, _ := json.Marshal(f.Picklist)
		if f.Picklist == nil {
			pick = []byte("[]")
		}
		_, err := tx.q.ExecContext(ctx, s.Q(`INSERT INTO fields (id, org_id, module_id, api_name, label, data_type, length, mandatory, read_only,
			custom, system, picklist, lookup_module, decimal_place, sequence_number) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			int64(first)+1+int64(i), int64(orgID), int64(first), f.APIName, f.Label, f.DataType, f.Length, b2i(f.Mandatory),
			b2i(f.ReadOnly), b2i(f.Custom), b2i(f.System), string(pick), f.LookupModule, f.DecimalPlace, f.SequenceNumber)
		if err != nil {
			return fmt.Errorf("insert field %s.%s: %w", m.APIName, f.APIName, err)
		}
	}
	_, err = tx.q.ExecContext(ctx, s.Q(`UPDATE orgs SET meta_version = meta_version + 1 WHERE id = ?`), int64(orgID))
	return err
}

// AddCustomModule adds an admin-defined module; build receives the next free CustomModuleN name.
// It returns ErrDuplicate when the api name is taken.
func (s *Store) AddCustomModule(ctx context.Context, orgID crmd.ID, build func(moduleName string, seq int) *crmd.Module) (*crmd.Module, error) {
	var m *crmd.Module
	err := s.Tx(ctx, func(tx *Tx) error {
		var n, maxSeq int
		if err := tx.q.QueryRowContext(ctx, s.Q(`UPDATE orgs SET custom_seq = custom_seq + 1 WHERE id = ? RETURNING custom_seq`), int64(orgID)).Scan(&n); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return err
		}
		if err := tx.q.QueryRowContext(ctx, s.Q(`SELECT COALESCE(MAX(sequence_number), 0) FROM modules WHERE org_id = ?`), int64(orgID)).Scan(&maxSeq); err != nil {
			return err
		}
		m = build(fmt.Sprintf("CustomModule%d", n), maxSeq+1)
		return s.insertModule(ctx, tx, orgID, m)
	})
	if err != nil {
		return nil, err
	}
	return s.Module(ctx, orgID, m.APIName)
}

func isUniqueViolation(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "duplicate key value")
}

// NextAutonumbers reserves n consecutive autonumber values of a module inside tx and returns the
// first. Like ids, values are never reused: a rolled-back insert leaves a gap.
func (s *Store) NextAutonumbers(ctx context.Context, tx *Tx, moduleID crmd.ID, n int) (int64, error) {
	var last int64
	err := tx.q.QueryRowContext(ctx, s.Q(`UPDATE modules SET autonumber_seq = autonumber_seq + ? WHERE id = ? RETURNING autonumber_seq`), n, int64(moduleID)).Scan(&last)
	if err != nil {
		return 0, fmt.Errorf("autonumbers: %w", err)
	}
	return last - int64(n) + 1, nil
}
