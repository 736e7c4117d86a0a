package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/crmd/crmd"
)

const territoryCols = `id, org_id, name, api_name, description, permission_type, manager_id, reporting_to,
	created_by, created_time, modified_by, modified_time`

func scanTerritory(row interface{ Scan(...any) error }) (*crmd.Territory, error) {
	var t crmd.Territory
	var id, org, cby, mby int64
	var desc sql.NullString
	var mgr, parent sql.NullInt64
	if err := row.Scan(&id, &org, &t.Name, &t.APIName, &desc, &t.PermissionType, &mgr, &parent,
		&cby, &t.CreatedTime, &mby, &t.ModifiedTime); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	t.ID, t.OrgID, t.CreatedBy, t.ModifiedBy = crmd.ID(id), crmd.ID(org), crmd.ID(cby), crmd.ID(mby)
	t.ManagerID, t.ReportingTo = crmd.ID(mgr.Int64), crmd.ID(parent.Int64)
	if desc.Valid {
		d := desc.String
		t.Description = &d
	}
	return &t, nil
}

func nullString(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

// RootTerritory returns the org's root territory, or ErrNotFound when it has not been created yet.
func (s *Store) RootTerritory(ctx context.Context, tx *Tx, orgID crmd.ID) (*crmd.Territory, error) {
	return scanTerritory(s.recDB(tx).QueryRowContext(ctx, s.Q(`SELECT `+territoryCols+` FROM territories
		WHERE org_id = ? AND reporting_to IS NULL`), int64(orgID)))
}

// EnsureRootTerritory returns the org's root territory, creating it on first use: named after the org,
// described as Zoho describes it, reporting to nobody, read_write_delete, created by the org's founding
// administrator at the org's creation time. It is idempotent and safe under races, also between
// processes: the territories_root unique index admits one root per org, and a loser's insert does
// nothing (ON CONFLICT DO NOTHING) before it reads the winner's row. Orgs created before territories
// existed get their root the same way.
func (s *Store) EnsureRootTerritory(ctx context.Context, orgID crmd.ID) (*crmd.Territory, error) {
	t, err := s.RootTerritory(ctx, nil, orgID)
	if !errors.Is(err, ErrNotFound) {
		return t, err
	}
	err = s.Tx(ctx, func(tx *Tx) error {
		if _, err := s.RootTerritory(ctx, tx, orgID); !errors.Is(err, ErrNotFound) {
			return err
		}
		var name string
		var created int64
		if err := tx.q.QueryRowContext(ctx, s.Q(`SELECT name, created_time FROM orgs WHERE id = ?`), int64(orgID)).Scan(&name, &created); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return err
		}
		var by int64
		err := tx.q.QueryRowContext(ctx, s.Q(`SELECT u.id FROM users u JOIN profiles p ON p.id = u.profile_id
			WHERE u.org_id = ? AND p.name = ? ORDER BY u.id LIMIT 1`), int64(orgID), crmd.ProfileAdministrator).Scan(&by)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		id, err := s.AllocIDs(ctx, tx, orgID, 1)
		if err != nil {
			return err
		}
		desc := crmd.RootTerritoryDescription
		root := &crmd.Territory{ID: id, OrgID: orgID, Name: name, APIName: TerritoryAPIName(name), Description: &desc,
			PermissionType: crmd.TerritoryReadWriteDelete, CreatedBy: crmd.ID(by), ModifiedBy: crmd.ID(by),
			CreatedTime: created, ModifiedTime: created}
		_, err = tx.q.ExecContext(ctx, s.Q(`INSERT INTO territories (`+territoryCols+`, name_lower)
			VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
			int64(root.ID), int64(orgID), root.Name, root.APIName, desc, root.PermissionType,
			by, created, by, created, strings.ToLower(root.Name))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("root territory: %w", err)
	}
	t, err = s.RootTerritory(ctx, nil, orgID)
	if errors.Is(err, ErrNotFound) {
		// Only a user territory already holding the org's name can keep the root out.
		return nil, fmt.Errorf("root territory: the name of org %s is taken by another territory", orgID)
	}
	return t, err
}

// TerritoryAPIName derives a territory's api_name from its name: runs of characters other than ASCII
// letters and digits become one underscore, leading and trailing underscores are dropped ("North
// America" → "North_America"); a name with nothing left is "Territory".
func TerritoryAPIName(name string) string {
	var b strings.Builder
	under := false
	for _, r := range name {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = false
			b.WriteRune(r)
			continue
		}
		under = true
	}
	if b.Len() == 0 {
		return "Territory"
	}
	return b.String()
}

// Territory returns one territory of an org (read inside tx when given), or ErrNotFound: a territory of
// another org is not found either.
func (s *Store) Territory(ctx context.Context, tx *Tx, orgID, id crmd.ID) (*crmd.Territory, error) {
	return scanTerritory(s.recDB(tx).QueryRowContext(ctx, s.Q(`SELECT `+territoryCols+` FROM territories
		WHERE org_id = ? AND id = ?`), int64(orgID), int64(id)))
}

// TerritoriesByID returns those of ids that are territories of the org, keyed by id.
func (s *Store) TerritoriesByID(ctx context.Context, tx *Tx, orgID crmd.ID, ids []crmd.ID) (map[crmd.ID]*crmd.Territory, error) {
	out := make(map[crmd.ID]*crmd.Territory, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := append([]any{int64(orgID)}, recIDArgs(ids)...)
	rows, err := s.recDB(tx).QueryContext(ctx, s.Q(`SELECT `+territoryCols+` FROM territories
		WHERE org_id = ? AND id IN (`+recPlaceholders(len(ids))+`)`), args...)
	if err != nil {
		return nil, err
	}
	ts, err := scanAll(rows, scanTerritory)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		out[t.ID] = t
	}
	return out, nil
}

// TerritoryQuery selects a page of an org's territories in id order (the root, created first, comes
// first).
type TerritoryQuery struct {
	OrgID crmd.ID
	// IDs, when not empty, restricts the result to these ids.
	IDs []crmd.ID
	// Parent, when not 0, restricts the result to the direct children of this territory.
	Parent        crmd.ID
	Offset, Limit int // Limit 0 = no limit
}

// ListTerritories returns one page of territories.
func (s *Store) ListTerritories(ctx context.Context, q TerritoryQuery) ([]*crmd.Territory, error) {
	query := `SELECT ` + territoryCols + ` FROM territories WHERE org_id = ?`
	args := []any{int64(q.OrgID)}
	if len(q.IDs) > 0 {
		query += ` AND id IN (` + recPlaceholders(len(q.IDs)) + `)`
		args = append(args, recIDArgs(q.IDs)...)
	}
	if q.Parent != 0 {
		query += ` AND reporting_to = ?`
		args = append(args, int64(q.Parent))
	}
	limit := int64(q.Limit)
	if limit <= 0 {
		limit = 1 << 62
	}
	query += ` ORDER BY id LIMIT ? OFFSET ?`
	args = append(args, limit, q.Offset)
	rows, err := s.R.QueryContext(ctx, s.Q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("list territories: %w", err)
	}
	return scanAll(rows, scanTerritory)
}

// TerritoryNameTaken reports whether another territory of the org (any but except) has this name,
// compared case-insensitively.
func (s *Store) TerritoryNameTaken(ctx context.Context, tx *Tx, orgID crmd.ID, name string, except crmd.ID) (bool, error) {
	var n int
	err := s.recDB(tx).QueryRowContext(ctx, s.Q(`SELECT COUNT(*) FROM territories WHERE org_id = ? AND name_lower = ? AND id <> ?`),
		int64(orgID), strings.ToLower(name), int64(except)).Scan(&n)
	return n > 0, err
}

// LockTerritories serialises writers of one org's territory tree: it touches the root's row, which
// PostgreSQL locks until the transaction ends (on SQLite the write transaction already holds the only
// write lock). Every hierarchy change calls it first, so that two racing re-parentings cannot together
// build a cycle that neither would alone.
func (s *Store) LockTerritories(ctx context.Context, tx *Tx, orgID crmd.ID) error {
	_, err := tx.q.ExecContext(ctx, s.Q(`UPDATE territories SET modified_time = modified_time WHERE org_id = ? AND reporting_to IS NULL`), int64(orgID))
	return err
}

// InsertTerritory writes a new territory inside tx; its id must already be allocated (AllocIDs) and it
// must report to a territory of the org. A taken name is ErrDuplicate.
func (s *Store) InsertTerritory(ctx context.Context, tx *Tx, t *crmd.Territory) error {
	if t.ReportingTo == 0 {
		return errors.New("insert territory: only the root reports to nobody")
	}
	_, err := tx.q.ExecContext(ctx, s.Q(`INSERT INTO territories (`+territoryCols+`, name_lower)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		int64(t.ID), int64(t.OrgID), t.Name, t.APIName, nullString(t.Description), t.PermissionType,
		recNullInt(int64(t.ManagerID)), int64(t.ReportingTo), int64(t.CreatedBy), t.CreatedTime,
		int64(t.ModifiedBy), t.ModifiedTime, strings.ToLower(t.Name))
	if err != nil {
		if isUniqueViolation(err) {
			return ErrDuplicate
		}
		return fmt.Errorf("insert territory: %w", err)
	}
	return nil
}

// UpdateTerritory writes the mutable columns (name, api_name, description, permission type, manager,
// parent, modifier and modification time) of t inside tx. A taken name is ErrDuplicate. The caller
// checks that a new parent is not inside t's subtree (TerritoryAncestorOf).
func (s *Store) UpdateTerritory(ctx context.Context, tx *Tx, t *crmd.Territory) error {
	res, err := tx.q.ExecContext(ctx, s.Q(`UPDATE territories SET name = ?, name_lower = ?, api_name = ?, description = ?,
		permission_type = ?, manager_id = ?, reporting_to = ?, modified_by = ?, modified_time = ? WHERE org_id = ? AND id = ?`),
		t.Name, strings.ToLower(t.Name), t.APIName, nullString(t.Description), t.PermissionType,
		recNullInt(int64(t.ManagerID)), recNullInt(int64(t.ReportingTo)), int64(t.ModifiedBy), t.ModifiedTime,
		int64(t.OrgID), int64(t.ID))
	if err != nil {
		if isUniqueViolation(err) {
			return ErrDuplicate
		}
		return fmt.Errorf("update territory: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("update territory %s: %d rows changed", t.ID, n)
	}
	return nil
}

// subtreeCTE is the recursive walk from one territory down through reporting_to: it names the table
// "sub" with one column id holding the territory and every descendant. Its three `?` are the org id, the
// territory id and the org id again. UNION (not UNION ALL) makes the walk stop even on rows that were
// edited by hand into a cycle. The step reads the territories_parent index.
const subtreeCTE = `WITH RECURSIVE sub(id) AS (
		SELECT id FROM territories WHERE org_id = ? AND id = ?
		UNION
		SELECT t.id FROM territories t JOIN sub ON t.reporting_to = sub.id WHERE t.org_id = ?
	)`

// SubtreeTerritoryIDs returns a territory and all its descendants in one recursive query, the
// territory first and the rest in no particular order. A territory that is not the org's gives none.
func (s *Store) SubtreeTerritoryIDs(ctx context.Context, tx *Tx, orgID, id crmd.ID) ([]crmd.ID, error) {
	return s.subtreeIDs(ctx, s.recDB(tx), orgID, id)
}

func (s *Store) subtreeIDs(ctx context.Context, db execer, orgID, id crmd.ID) ([]crmd.ID, error) {
	rows, err := db.QueryContext(ctx, s.Q(subtreeCTE+` SELECT id FROM sub`), int64(orgID), int64(id), int64(orgID))
	if err != nil {
		return nil, fmt.Errorf("territory subtree: %w", err)
	}
	defer rows.Close()
	var out []crmd.ID
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		if crmd.ID(v) == id {
			out = append([]crmd.ID{id}, out...)
			continue
		}
		out = append(out, crmd.ID(v))
	}
	return out, rows.Err()
}

// TerritoryAncestorOf reports whether ancestor is node itself or one of node's ancestors, walking up
// from node through reporting_to in one recursive query (as many steps as node is deep, whatever the
// size of the tree). Moving a territory under node is a cycle exactly when the territory is an ancestor
// of node.
func (s *Store) TerritoryAncestorOf(ctx context.Context, tx *Tx, orgID, ancestor, node crmd.ID) (bool, error) {
	var n int
	err := s.recDB(tx).QueryRowContext(ctx, s.Q(`WITH RECURSIVE up(id, parent) AS (
			SELECT id, reporting_to FROM territories WHERE org_id = ? AND id = ?
			UNION
			SELECT t.id, t.reporting_to FROM territories t JOIN up ON t.id = up.parent WHERE t.org_id = ?
		) SELECT COUNT(*) FROM up WHERE id = ?`), int64(orgID), int64(node), int64(orgID), int64(ancestor)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("territory ancestors: %w", err)
	}
	return n > 0, nil
}

// ChildTerritoryIDs returns the direct children of each of parents, keyed by parent (parents without
// children are absent).
func (s *Store) ChildTerritoryIDs(ctx context.Context, tx *Tx, orgID crmd.ID, parents []crmd.ID) (map[crmd.ID][]crmd.ID, error) {
	out := map[crmd.ID][]crmd.ID{}
	if len(parents) == 0 {
		return out, nil
	}
	args := append([]any{int64(orgID)}, recIDArgs(parents)...)
	rows, err := s.recDB(tx).QueryContext(ctx, s.Q(`SELECT id, reporting_to FROM territories
		WHERE org_id = ? AND reporting_to IN (`+recPlaceholders(len(parents))+`) ORDER BY id`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, parent int64
		if err := rows.Scan(&id, &parent); err != nil {
			return nil, err
		}
		out[crmd.ID(parent)] = append(out[crmd.ID(parent)], crmd.ID(id))
	}
	return out, rows.Err()
}

// DeleteTerritories deletes territories of the org inside tx, with their record assignments (the
// records stay). The caller makes sure no other territory reports to them afterwards; the foreign key
// on reporting_to refuses the statement otherwise.
func (s *Store) DeleteTerritories(ctx context.Context, tx *Tx, orgID crmd.ID, ids []crmd.ID) error {
	if len(ids) == 0 {
		return nil
	}
	args := append([]any{int64(orgID)}, recIDArgs(ids)...)
	in := recPlaceholders(len(ids))
	if _, err := tx.q.ExecContext(ctx, s.Q(`DELETE FROM record_territories WHERE org_id = ? AND territory_id IN (`+in+`)`), args...); err != nil {
		return fmt.Errorf("delete territory assignments: %w", err)
	}
	if _, err := tx.q.ExecContext(ctx, s.Q(`DELETE FROM territories WHERE org_id = ? AND id IN (`+in+`)`), args...); err != nil {
		return fmt.Errorf("delete territories: %w", err)
	}
	return nil
}

// TransferTerritory moves, inside tx, the direct children of from under to (stamping them modified by
// by at at) and the record assignments of from to to: a record already in to keeps its assignment to
// to, the others move with their original assigner and time. from keeps nothing; the caller then
// deletes it. The caller checks that to is not inside from's subtree.
func (s *Store) TransferTerritory(ctx context.Context, tx *Tx, orgID, from, to, by crmd.ID, at int64) error {
	if _, err := tx.q.ExecContext(ctx, s.Q(`UPDATE territories SET reporting_to = ?, modified_by = ?, modified_time = ?
		WHERE org_id = ? AND reporting_to = ?`), int64(to), int64(by), at, int64(orgID), int64(from)); err != nil {
		return fmt.Errorf("transfer child territories: %w", err)
	}
	if _, err := tx.q.ExecContext(ctx, s.Q(`INSERT INTO record_territories (record_id, territory_id, org_id, assigned_by, assigned_time)
		SELECT rt.record_id, ?, rt.org_id, rt.assigned_by, rt.assigned_time FROM record_territories rt
		WHERE rt.org_id = ? AND rt.territory_id = ?
		AND NOT EXISTS (SELECT 1 FROM record_territories x WHERE x.record_id = rt.record_id AND x.territory_id = ?)`),
		int64(to), int64(orgID), int64(from), int64(to)); err != nil {
		return fmt.Errorf("transfer territory assignments: %w", err)
	}
	if _, err := tx.q.ExecContext(ctx, s.Q(`DELETE FROM record_territories WHERE org_id = ? AND territory_id = ?`), int64(orgID), int64(from)); err != nil {
		return fmt.Errorf("transfer territory assignments: %w", err)
	}
	return nil
}

// RecordTerritories returns the territories of each of recordIDs (records of the org; live or
// deleted), keyed by record, each record's in assignment order — one query for a whole page of records.
// Records without territories are absent.
func (s *Store) RecordTerritories(ctx context.Context, tx *Tx, orgID crmd.ID, recordIDs []crmd.ID) (map[crmd.ID][]crmd.RecordTerritory, error) {
	out := map[crmd.ID][]crmd.RecordTerritory{}
	if len(recordIDs) == 0 {
		return out, nil
	}
	args := append([]any{int64(orgID)}, recIDArgs(recordIDs)...)
	rows, err := s.recDB(tx).QueryContext(ctx, s.Q(`SELECT rt.record_id, t.id, t.name, rt.assigned_by, rt.assigned_time
		FROM record_territories rt JOIN territories t ON t.id = rt.territory_id
		WHERE rt.org_id = ? AND rt.record_id IN (`+recPlaceholders(len(recordIDs))+`)
		ORDER BY rt.record_id, rt.assigned_time, t.id`), args...)
	if err != nil {
		return nil, fmt.Errorf("record territories: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a crmd.RecordTerritory
		var rec, tid, by int64
		if err := rows.Scan(&rec, &tid, &a.Name, &by, &a.AssignedTime); err != nil {
			return nil, err
		}
		a.RecordID, a.TerritoryID, a.AssignedBy = crmd.ID(rec), crmd.ID(tid), crmd.ID(by)
		out[a.RecordID] = append(out[a.RecordID], a)
	}
	return out, rows.Err()
}

// AssignTerritories assigns territories to one record of the org inside tx. The caller has checked
// that none is assigned yet.
func (s *Store) AssignTerritories(ctx context.Context, tx *Tx, orgID, recordID crmd.ID, territoryIDs []crmd.ID, by crmd.ID, at int64) error {
	if len(territoryIDs) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString(`INSERT INTO record_territories (record_id, territory_id, org_id, assigned_by, assigned_time) VALUES `)
	args := make([]any, 0, 5*len(territoryIDs))
	for i, tid := range territoryIDs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?)")
		args = append(args, int64(recordID), int64(tid), int64(orgID), int64(by), at)
	}
	if _, err := tx.q.ExecContext(ctx, s.Q(b.String()), args...); err != nil {
		return fmt.Errorf("assign territories: %w", err)
	}
	return nil
}

// RemoveTerritories removes territories from one record of the org inside tx.
func (s *Store) RemoveTerritories(ctx context.Context, tx *Tx, orgID, recordID crmd.ID, territoryIDs []crmd.ID) error {
	if len(territoryIDs) == 0 {
		return nil
	}
	args := append([]any{int64(orgID), int64(recordID)}, recIDArgs(territoryIDs)...)
	if _, err := tx.q.ExecContext(ctx, s.Q(`DELETE FROM record_territories WHERE org_id = ? AND record_id = ? AND territory_id IN (`+
		recPlaceholders(len(territoryIDs))+`)`), args...); err != nil {
		return fmt.Errorf("remove territories: %w", err)
	}
	return nil
}

// TouchRecords stamps live records of a module of the org as modified by by at at, inside tx: what a
// change of their territories does to them. The channels watching the module's edits hear of exactly
// the records stamped, with Territories as the field that changed.
func (s *Store) TouchRecords(ctx context.Context, tx *Tx, orgID, moduleID crmd.ID, ids []crmd.ID, by crmd.ID, at int64) error {
	if len(ids) == 0 {
		return nil
	}
	args := append([]any{int64(by), at, int64(orgID), int64(moduleID)}, recIDArgs(ids)...)
	rows, err := tx.q.QueryContext(ctx, s.Q(`UPDATE records SET modified_by = ?, modified_time = ?
		WHERE org_id = ? AND module_id = ? AND deleted_time IS NULL AND id IN (`+recPlaceholders(len(ids))+`) RETURNING id`), args...)
	if err != nil {
		return fmt.Errorf("touch records: %w", err)
	}
	touched, err := scanIDs(rows)
	if err != nil {
		return fmt.Errorf("touch records: %w", err)
	}
	n := Notice{OrgID: orgID, ModuleID: moduleID, Operation: crmd.OpUpdate, IDs: touched, At: at}
	for range touched {
		n.Changed = append(n.Changed, Changed{Fields: []string{"Territories"}})
	}
	return s.EnqueueNotice(ctx, tx, n)
}
