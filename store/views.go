package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/crmd/crmd"
)

const viewCols = `id, org_id, module_id, name, display_value, system_name, criteria, fields, sort_by, sort_order,
	access_type, created_by, created_time, modified_by, modified_time, is_default, favorite, last_accessed_time`

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

func scanView(row interface{ Scan(...any) error }) (*crmd.View, error) {
	var v crmd.View
	var id, org, mod int64
	var sys, crit, sortBy, sortOrder sql.NullString
	var fields string
	var cby, ctime, mby, mtime, fav, last sql.NullInt64
	var def int
	if err := row.Scan(&id, &org, &mod, &v.Name, &v.DisplayValue, &sys, &crit, &fields, &sortBy, &sortOrder,
		&v.AccessType, &cby, &ctime, &mby, &mtime, &def, &fav, &last); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	v.ID, v.OrgID, v.ModuleID = crmd.ID(id), crmd.ID(org), crmd.ID(mod)
	v.SystemName, v.SortBy, v.SortOrder = sys.String, sortBy.String, sortOrder.String
	if crit.Valid && crit.String != "" {
		v.Criteria = []byte(crit.String)
	}
	if err := json.Unmarshal([]byte(fields), &v.Fields); err != nil {
		return nil, fmt.Errorf("view %d fields: %w", id, err)
	}
	v.CreatedBy, v.CreatedTime, v.ModifiedBy, v.ModifiedTime = crmd.ID(cby.Int64), ctime.Int64, crmd.ID(mby.Int64), mtime.Int64
	v.Default, v.Favorite, v.LastAccessedTime = def == 1, fav.Int64, last.Int64
	return &v, nil
}

func fieldsJSON(fields []string) string {
	if len(fields) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(fields)
	return string(b)
}

// nameLower is the key user view names are unique under.
func nameLower(v *crmd.View) any {
	if v.IsSystem() {
		return nil
	}
	return strings.ToLower(v.Name)
}

// insertView writes v with ON CONFLICT DO NOTHING and reports whether a row was written; a conflict
// (a user view name or system name already taken in the module) writes nothing and does not abort the
// transaction, in SQLite as in PostgreSQL.
func (s *Store) insertView(ctx context.Context, tx *Tx, v *crmd.View) (bool, error) {
	var fav any
	if v.Favorite != 0 {
		fav = v.Favorite
	}
	res, err := tx.q.ExecContext(ctx, s.Q(`INSERT INTO custom_views (`+viewCols+`, name_lower)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
		int64(v.ID), int64(v.OrgID), int64(v.ModuleID), v.Name, v.DisplayValue, nullStr(v.SystemName), nullBytes(v.Criteria),
		fieldsJSON(v.Fields), nullStr(v.SortBy), nullStr(v.SortOrder), v.AccessType, recNullInt(int64(v.CreatedBy)),
		recNullInt(v.CreatedTime), recNullInt(int64(v.ModifiedBy)), recNullInt(v.ModifiedTime), b2i(v.Default), fav,
		recNullInt(v.LastAccessedTime), nameLower(v))
	if err != nil {
		return false, fmt.Errorf("insert view: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// systemViewNames returns the system names of a module's existing system views.
func (s *Store) systemViewNames(ctx context.Context, db execer, orgID, moduleID crmd.ID) (map[string]bool, error) {
	rows, err := db.QueryContext(ctx, s.Q(`SELECT system_name FROM custom_views
		WHERE org_id = ? AND module_id = ? AND system_name IS NOT NULL`), int64(orgID), int64(moduleID))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		have[n] = true
	}
	return have, rows.Err()
}

// EnsureSystemViews makes sure the module has a row for each of defs (matched by SystemName), creating
// the missing ones with ids from the org's sequence. It first checks with one read, so the common case
// writes nothing; the write is idempotent (UNIQUE (module_id, system_name), ON CONFLICT DO NOTHING), so
// racing requests or processes create each system view once. Existing system views are left as they are.
// It returns how many views this call created.
func (s *Store) EnsureSystemViews(ctx context.Context, orgID, moduleID crmd.ID, defs []crmd.View) (int, error) {
	missing := func(have map[string]bool) []crmd.View {
		var out []crmd.View
		for _, d := range defs {
			if !have[d.SystemName] {
				out = append(out, d)
			}
		}
		return out
	}
	have, err := s.systemViewNames(ctx, s.R, orgID, moduleID)
	if err != nil {
		return 0, fmt.Errorf("system views: %w", err)
	}
	if len(missing(have)) == 0 {
		return 0, nil
	}
	created := 0
	err = s.Tx(ctx, func(tx *Tx) error {
		created = 0
		have, err := s.systemViewNames(ctx, tx.q, orgID, moduleID)
		if err != nil {
			return err
		}
		todo := missing(have)
		if len(todo) == 0 {
			return nil
		}
		first, err := s.AllocIDs(ctx, tx, orgID, len(todo))
		if err != nil {
			return err
		}
		for i := range todo {
			v := todo[i]
			if v.SystemName == "" {
				return errors.New("system views: a definition has no system name")
			}
			v.ID, v.OrgID, v.ModuleID = first+crmd.ID(i), orgID, moduleID
			v.CreatedBy, v.ModifiedBy, v.CreatedTime, v.ModifiedTime = 0, 0, 0, 0
			if v.AccessType == "" {
				v.AccessType = "public"
			}
			ok, err := s.insertView(ctx, tx, &v)
			if err != nil {
				return err
			}
			if ok {
				created++
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return created, nil
}

// ModuleViews returns every view of a module of an org: system views first, then user views, each in id
// (creation) order.
func (s *Store) ModuleViews(ctx context.Context, orgID, moduleID crmd.ID) ([]*crmd.View, error) {
	rows, err := s.R.QueryContext(ctx, s.Q(`SELECT `+viewCols+` FROM custom_views WHERE org_id = ? AND module_id = ?
		ORDER BY CASE WHEN system_name IS NULL THEN 1 ELSE 0 END, id`), int64(orgID), int64(moduleID))
	if err != nil {
		return nil, fmt.Errorf("list views: %w", err)
	}
	return scanAll(rows, scanView)
}

// View returns one view of a module of an org, or ErrNotFound: a view of another org or module is simply
// not found.
func (s *Store) View(ctx context.Context, orgID, moduleID, id crmd.ID) (*crmd.View, error) {
	return scanView(s.R.QueryRowContext(ctx, s.Q(`SELECT `+viewCols+` FROM custom_views
		WHERE id = ? AND org_id = ? AND module_id = ?`), int64(id), int64(orgID), int64(moduleID)))
}

// CreateViews adds user views to an org in one transaction, giving each an id from the org's sequence
// (set on the view). It reports per view whether it was added: false means its name (case-insensitively)
// is already taken in its module, by an existing view or by an earlier one of vs.
func (s *Store) CreateViews(ctx context.Context, orgID crmd.ID, vs []*crmd.View) ([]bool, error) {
	added := make([]bool, len(vs))
	if len(vs) == 0 {
		return added, nil
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		first, err := s.AllocIDs(ctx, tx, orgID, len(vs))
		if err != nil {
			return err
		}
		for i, v := range vs {
			if v.IsSystem() {
				return errors.New("create views: system views are made by EnsureSystemViews")
			}
			v.ID, v.OrgID = first+crmd.ID(i), orgID
			ok, err := s.insertView(ctx, tx, v)
			if err != nil {
				return err
			}
			added[i] = ok
		}
		return nil
	})
	if err != nil {
		for i, v := range vs {
			added[i] = false
			v.ID = 0
		}
		return nil, err
	}
	for i, v := range vs {
		if !added[i] {
			v.ID = 0
		}
	}
	return added, nil
}

// UpdateView writes a user view's changeable columns (name, display value, criteria, fields, sort,
// access type, modifier and modification time). It returns ErrNotFound when the module has no such user
// view and ErrDuplicate when another view of the module has the name. v replaces every changeable
// column: to change some keys of the view as it is now, use PatchView.
func (s *Store) UpdateView(ctx context.Context, v *crmd.View) error {
	return s.Tx(ctx, func(tx *Tx) error { return s.updateView(ctx, tx, v) })
}

// PatchView changes a user view of a module of an org in one transaction: it reads the view with its
// row locked, lets patch change it, and writes it back (as UpdateView). A request that changes some
// keys of a view must read it this way: read outside the transaction, two racing updates of different
// keys (a rename and a new sort, say) each wrote back the other's key as it was before, on SQLite as
// on PostgreSQL. It returns ErrNotFound when the module has no such user view (system views are never
// patched), ErrDuplicate when another view of the module has the new name, and patch's error.
func (s *Store) PatchView(ctx context.Context, orgID, moduleID, id crmd.ID, patch func(v *crmd.View) error) error {
	lock := ""
	if s.Dialect == Postgres {
		lock = ` FOR UPDATE` // SQLite's write transaction already excludes every other writer
	}
	return s.Tx(ctx, func(tx *Tx) error {
		v, err := scanView(tx.q.QueryRowContext(ctx, s.Q(`SELECT `+viewCols+` FROM custom_views
			WHERE id = ? AND org_id = ? AND module_id = ? AND system_name IS NULL`+lock), int64(id), int64(orgID), int64(moduleID)))
		if err != nil {
			return err
		}
		if err := patch(v); err != nil {
			return err
		}
		v.ID, v.OrgID, v.ModuleID = id, orgID, moduleID
		return s.updateView(ctx, tx, v)
	})
}

func (s *Store) updateView(ctx context.Context, tx *Tx, v *crmd.View) error {
	// The count answers the common case; UNIQUE (module_id, name_lower) decides a race (on PostgreSQL
	// a racing rename may commit after the count), answered the same way below.
	var n int
	if err := tx.q.QueryRowContext(ctx, s.Q(`SELECT COUNT(*) FROM custom_views WHERE module_id = ? AND name_lower = ? AND id <> ?`),
		int64(v.ModuleID), strings.ToLower(v.Name), int64(v.ID)).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return ErrDuplicate
	}
	res, err := tx.q.ExecContext(ctx, s.Q(`UPDATE custom_views SET name = ?, name_lower = ?, display_value = ?, criteria = ?,
		fields = ?, sort_by = ?, sort_order = ?, access_type = ?, modified_by = ?, modified_time = ?
		WHERE id = ? AND org_id = ? AND module_id = ? AND system_name IS NULL`),
		v.Name, strings.ToLower(v.Name), v.DisplayValue, nullBytes(v.Criteria), fieldsJSON(v.Fields), nullStr(v.SortBy),
		nullStr(v.SortOrder), v.AccessType, recNullInt(int64(v.ModifiedBy)), recNullInt(v.ModifiedTime),
		int64(v.ID), int64(v.OrgID), int64(v.ModuleID))
	if err != nil {
		if isUniqueViolation(err) {
			return ErrDuplicate
		}
		return fmt.Errorf("update view: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrNotFound
	}
	return nil
}

// DeleteView removes a user view of a module of an org for good (views have no recycle bin). It returns
// ErrNotFound when there is no such user view; system views are never deleted.
func (s *Store) DeleteView(ctx context.Context, orgID, moduleID, id crmd.ID) error {
	res, err := s.W.ExecContext(ctx, s.Q(`DELETE FROM custom_views WHERE id = ? AND org_id = ? AND module_id = ? AND system_name IS NULL`),
		int64(id), int64(orgID), int64(moduleID))
	if err != nil {
		return fmt.Errorf("delete view: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrNotFound
	}
	return nil
}

// MarkRecordRead records that a user opened a record. A record already marked costs one indexed read
// and no write; the insert itself is idempotent (ON CONFLICT DO NOTHING), so racing requests are fine.
func (s *Store) MarkRecordRead(ctx context.Context, userID, recordID crmd.ID) error {
	var n int
	err := s.R.QueryRowContext(ctx, s.Q(`SELECT COUNT(*) FROM record_reads WHERE user_id = ? AND record_id = ?`),
		int64(userID), int64(recordID)).Scan(&n)
	if err != nil {
		return fmt.Errorf("record read: %w", err)
	}
	if n > 0 {
		return nil
	}
	insert := s.Q(`INSERT INTO record_reads (user_id, record_id, read_time) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`)
	if s.Dialect != Postgres {
		_, err = s.W.ExecContext(ctx, insert, int64(userID), int64(recordID), s.NowMS())
	} else {
		// A GET of a record must not wait for a WAL flush: on PostgreSQL the marker commits without
		// waiting for its WAL to reach the disk (synchronous_commit off, for this transaction only). A
		// crash may lose the last few markers — the record shows unread again, nothing else — while
		// under a job's WAL traffic the flush wait was most of a read's p99.
		err = s.Tx(ctx, func(tx *Tx) error {
			if _, err := tx.q.ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
				return err
			}
			_, err := tx.q.ExecContext(ctx, insert, int64(userID), int64(recordID), s.NowMS())
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("record read: %w", err)
	}
	return nil
}
