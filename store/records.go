package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/crmd/crmd"
)

// recordCols lists the records columns in the order scanRecord reads them and InsertRecords writes
// them.
const recordCols = `id, org_id, module_id, owner_id, created_by, modified_by, created_time, modified_time,
	approval_state, display_name, data, deleted_time, deleted_by, delete_job_id, purged_time`

// recordColCount is the number of columns in recordCols.
const recordColCount = 15

// recordInsertChunk is how many rows one INSERT statement carries: 500 rows × 15 columns = 7,500 bind
// parameters, well under SQLite's limit (32,766) and PostgreSQL's (65,535). Measured with
// BenchmarkInsertRecords, 500-row statements write clearly faster than 100-row ones, and larger chunks
// gain nothing more.
const recordInsertChunk = 500

// recDB picks the transaction when there is one, else the read pool. Reads that decide a write run
// inside the write's transaction, so that what they saw is what the write changes.
func (s *Store) recDB(tx *Tx) execer {
	if tx != nil {
		return tx.q
	}
	return s.R
}

// nullInt maps the zero value to SQL NULL, for the nullable deletion columns.
func recNullInt(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

func scanRecordRow(row interface{ Scan(...any) error }) (*crmd.Record, error) {
	var r crmd.Record
	var id, org, mod, owner, cby, mby int64
	var data string
	var delTime, delBy, job, purged sql.NullInt64
	if err := row.Scan(&id, &org, &mod, &owner, &cby, &mby, &r.CreatedTime, &r.ModifiedTime,
		&r.ApprovalState, &r.DisplayName, &data, &delTime, &delBy, &job, &purged); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	r.ID, r.OrgID, r.ModuleID, r.OwnerID = crmd.ID(id), crmd.ID(org), crmd.ID(mod), crmd.ID(owner)
	r.CreatedBy, r.ModifiedBy = crmd.ID(cby), crmd.ID(mby)
	r.Data = []byte(data)
	r.DeletedTime, r.DeletedBy, r.DeleteJobID, r.PurgedTime = delTime.Int64, crmd.ID(delBy.Int64), crmd.ID(job.Int64), purged.Int64
	return &r, nil
}

// placeholders returns "?, ?, …" with n marks.
func recPlaceholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// idArgs turns ids into bind arguments.
func recIDArgs(ids []crmd.ID) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = int64(id)
	}
	return out
}

// insertSQL is the multi-row INSERT for n rows.
func (s *Store) recordInsertSQL(n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO records (")
	b.WriteString(recordCols)
	b.WriteString(") VALUES ")
	row := "(" + recPlaceholders(recordColCount) + ")"
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return s.Q(b.String())
}

// appendRecordArgs appends one row's bind arguments in recordCols order.
func appendRecordArgs(args []any, r *crmd.Record) []any {
	approval := r.ApprovalState
	if approval == "" {
		approval = "approved"
	}
	data := string(r.Data)
	if data == "" {
		data = "{}"
	}
	return append(args, int64(r.ID), int64(r.OrgID), int64(r.ModuleID), int64(r.OwnerID), int64(r.CreatedBy),
		int64(r.ModifiedBy), r.CreatedTime, r.ModifiedTime, approval, r.DisplayName, data,
		recNullInt(r.DeletedTime), recNullInt(int64(r.DeletedBy)), recNullInt(int64(r.DeleteJobID)), recNullInt(r.PurgedTime))
}

// InsertRecords writes recs inside tx with multi-row INSERT statements of recordInsertChunk rows, the full
// chunk statement prepared once per call. Ids must already be allocated (AllocIDs); an empty
// ApprovalState means "approved" and empty Data means "{}". The CLI seeder relies on its speed.
func (s *Store) InsertRecords(ctx context.Context, tx *Tx, recs []crmd.Record) error {
	if len(recs) == 0 {
		return nil
	}
	args := make([]any, 0, recordInsertChunk*recordColCount)
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	for start := 0; start < len(recs); start += recordInsertChunk {
		end := min(start+recordInsertChunk, len(recs))
		args = args[:0]
		for i := start; i < end; i++ {
			args = appendRecordArgs(args, &recs[i])
		}
		if end-start == recordInsertChunk {
			if full == nil {
				st, err := tx.q.PrepareContext(ctx, s.recordInsertSQL(recordInsertChunk))
				if err != nil {
					return fmt.Errorf("insert records: %w", err)
				}
				full = st
			}
			if _, err := full.ExecContext(ctx, args...); err != nil {
				return fmt.Errorf("insert records: %w", err)
			}
			continue
		}
		if _, err := tx.q.ExecContext(ctx, s.recordInsertSQL(end-start), args...); err != nil {
			return fmt.Errorf("insert records: %w", err)
		}
	}
	return nil
}

// LiveRecord returns one live (not deleted) record of a module of an org, or ErrNotFound: a record of
// another org or module, a deleted one and one that never existed are all simply not found.
func (s *Store) LiveRecord(ctx context.Context, orgID, moduleID, id crmd.ID) (*crmd.Record, error) {
	return scanRecordRow(s.R.QueryRowContext(ctx, s.Q(`SELECT `+recordCols+` FROM records
		WHERE id = ? AND org_id = ? AND module_id = ? AND deleted_time IS NULL`), int64(id), int64(orgID), int64(moduleID)))
}

// RecordsByID returns the records of a module of an org with the given ids, live or deleted, keyed by
// id; ids that do not exist there are absent. With a transaction it reads inside it.
func (s *Store) RecordsByID(ctx context.Context, tx *Tx, orgID, moduleID crmd.ID, ids []crmd.ID) (map[crmd.ID]*crmd.Record, error) {
	out := make(map[crmd.ID]*crmd.Record, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := append([]any{int64(orgID), int64(moduleID)}, recIDArgs(ids)...)
	rows, err := s.recDB(tx).QueryContext(ctx, s.Q(`SELECT `+recordCols+` FROM `+s.recordsByID()+`
		WHERE org_id = ? AND module_id = ? AND id IN (`+recPlaceholders(len(ids))+`)`), args...)
	if err != nil {
		return nil, err
	}
	recs, err := scanAll(rows, scanRecordRow)
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		out[r.ID] = r
	}
	return out, nil
}

// recordsByID is the FROM of a read of records by their ids that does not also ask for live ones. On
// SQLite it says "records NOT INDEXED", which still seeks the ids through the rowid: without statistics
// (a young database before its first PRAGMA optimize) SQLite guesses that "module_id = ?" through one of
// the whole-table indexes of migration 13 selects a handful of rows, and would walk the whole module
// instead of seeking 500 ids.
func (s *Store) recordsByID() string {
	if s.Dialect == SQLite {
		return "records NOT INDEXED"
	}
	return "records"
}

// RecordState is what a soft delete checks of a record before it deletes it.
type RecordState struct {
	Deleted  bool // in the recycle bin or purged
	OwnerID  crmd.ID
	Approved bool // approval_state is "approved"
}

// RecordStates returns the state of those ids that are records of the module in the org (absent: no
// such record). It reads four narrow columns and never the record's data: a batch of a mass delete
// checks 500 records this way before deleting them, and decoding their JSON cost more than the delete.
// With a transaction it reads inside it.
func (s *Store) RecordStates(ctx context.Context, tx *Tx, orgID, moduleID crmd.ID, ids []crmd.ID) (map[crmd.ID]RecordState, error) {
	out := make(map[crmd.ID]RecordState, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := append([]any{int64(orgID), int64(moduleID)}, recIDArgs(ids)...)
	rows, err := s.recDB(tx).QueryContext(ctx, s.Q(`SELECT id, deleted_time IS NOT NULL, owner_id, approval_state = 'approved'
		FROM `+s.recordsByID()+` WHERE org_id = ? AND module_id = ? AND id IN (`+recPlaceholders(len(ids))+`)`), args...)
	if err != nil {
		return nil, fmt.Errorf("record states: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, owner int64
		var st RecordState
		if err := rows.Scan(&id, &st.Deleted, &owner, &st.Approved); err != nil {
			return nil, fmt.Errorf("record states: %w", err)
		}
		st.OwnerID = crmd.ID(owner)
		out[crmd.ID(id)] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("record states: %w", err)
	}
	return out, nil
}

// LiveRecordNames returns the display names of those ids that are live records of the module in the
// org; lookups use it to check their targets. With a transaction it reads inside it.
func (s *Store) LiveRecordNames(ctx context.Context, tx *Tx, orgID, moduleID crmd.ID, ids []crmd.ID) (map[crmd.ID]string, error) {
	out := make(map[crmd.ID]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := append([]any{int64(orgID), int64(moduleID)}, recIDArgs(ids)...)
	rows, err := s.recDB(tx).QueryContext(ctx, s.Q(`SELECT id, display_name FROM records
		WHERE org_id = ? AND module_id = ? AND deleted_time IS NULL AND id IN (`+recPlaceholders(len(ids))+`)`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[crmd.ID(id)] = name
	}
	return out, rows.Err()
}

// Record sort keys for ListRecords.
const (
	SortID           = "id"
	SortCreatedTime  = "created_time"
	SortModifiedTime = "modified_time"
	SortOwner        = "owner_id"
	SortCreatedBy    = "created_by"
	SortModifiedBy   = "modified_by"
)

// Approval filters for ListRecords.
const (
	ApprovedOnly   = "true"
	UnapprovedOnly = "false"
	ApprovedBoth   = "both"
)

// Cursor is a keyset position: the sort key and id of the last record already returned.
type Cursor struct {
	Key int64
	ID  crmd.ID
}

// RecordQuery selects a page of live records of one module of one org.
type RecordQuery struct {
	OrgID, ModuleID crmd.ID
	// Approval is ApprovedOnly (also when empty), UnapprovedOnly or ApprovedBoth.
	Approval string
	// IDs, when not empty, restricts the result to these ids.
	IDs []crmd.ID
	// SortBy is one of the Sort* columns; empty means SortID. Ignored when SortField is set.
	SortBy string
	// SortField sorts on a value of the data document (v2/v2.1 allow any field); it is bound as a
	// JSON path parameter, never spliced into the SQL.
	SortField string
	Desc      bool
	// After, when set, continues after this keyset position (only with a column sort).
	After *Cursor
	// Offset skips rows; Limit caps them (0 = no limit).
	Offset, Limit int
	// Filter narrows the selection further: a view, a territory.
	Filter RecordFilter
}

var recordSortColumns = map[string]bool{SortID: true, SortCreatedTime: true, SortModifiedTime: true, SortOwner: true, SortCreatedBy: true, SortModifiedBy: true}

// jsonValueExpr is the dialect's expression for one top-level value of the data document; the path
// argument is '$.Field' on SQLite and 'Field' on PostgreSQL.
func (s *Store) recJSONValueExpr() string {
	if s.Dialect == Postgres {
		return `(data::jsonb -> ?)`
	}
	return `json_extract(data, ?)`
}

func (s *Store) recJSONPathArg(field string) string {
	if s.Dialect == Postgres {
		return field
	}
	return `$."` + strings.ReplaceAll(field, `"`, ``) + `"`
}

// recordWhere writes the WHERE clause of q's selection of live records (org, module, approval, ids,
// filter) to where and returns its arguments; probe asks for a territory in its probe form.
func (s *Store) recordWhere(ctx context.Context, where *strings.Builder, q RecordQuery, probe bool) ([]any, error) {
	args := []any{int64(q.OrgID), int64(q.ModuleID)}
	where.WriteString(`org_id = ? AND module_id = ? AND deleted_time IS NULL`)
	switch q.Approval {
	case UnapprovedOnly:
		where.WriteString(` AND approval_state <> 'approved'`)
	case ApprovedBoth:
	default:
		where.WriteString(` AND approval_state = 'approved'`)
	}
	if len(q.IDs) > 0 {
		where.WriteString(` AND id IN (` + recPlaceholders(len(q.IDs)) + `)`)
		args = append(args, recIDArgs(q.IDs)...)
	}
	conds, err := s.compileFilter(ctx, s.R, q.Filter, probe)
	if err != nil {
		return nil, err
	}
	return andAll(where, args, conds), nil
}

// ListRecords returns one page of live records. Sorting by id walks the partial index records_live;
// by created_time or modified_time, records_created and records_modified on SQLite (whole-table
// indexes a soft delete never touches, migration 13: the page skips the deleted rows it meets) and
// the partial records_live_created and records_live_modified on PostgreSQL; the id is always
// the tie-breaker, so the order is total and keyset pages never skip or repeat a record.
func (s *Store) ListRecords(ctx context.Context, q RecordQuery) ([]*crmd.Record, error) {
	var where strings.Builder
	args, err := s.recordWhere(ctx, &where, q, false)
	if err != nil {
		return nil, fmt.Errorf("list records: %w", err)
	}
	dir := "ASC"
	cmp := ">"
	if q.Desc {
		dir, cmp = "DESC", "<"
	}
	var order string
	var orderArgs []any
	if q.SortField != "" {
		order = s.recJSONValueExpr() + ` ` + dir + `, id ` + dir
		if s.Dialect == Postgres {
			// SQLite puts NULL (a record without the field) first when ascending and last when
			// descending; PostgreSQL's default is the opposite.
			nulls := ` NULLS FIRST`
			if q.Desc {
				nulls = ` NULLS LAST`
			}
			order = s.recJSONValueExpr() + ` ` + dir + nulls + `, id ` + dir
		}
		orderArgs = []any{s.recJSONPathArg(q.SortField)}
	} else {
		col := q.SortBy
		if col == "" {
			col = SortID
		}
		if !recordSortColumns[col] {
			return nil, fmt.Errorf("list records: unknown sort column %q", col)
		}
		if q.After != nil {
			if col == SortID {
				where.WriteString(` AND id ` + cmp + ` ?`)
				args = append(args, int64(q.After.ID))
			} else {
				// A row-value comparison keeps the (key, id) order total and can use the index.
				where.WriteString(` AND (` + col + `, id) ` + cmp + ` (?, ?)`)
				args = append(args, q.After.Key, int64(q.After.ID))
			}
		}
		if col == SortID {
			order = `id ` + dir
		} else {
			order = col + ` ` + dir + `, id ` + dir
		}
	}
	query := `SELECT ` + recordCols + ` FROM records WHERE ` + where.String() + ` ORDER BY ` + order
	args = append(args, orderArgs...)
	limit := q.Limit
	if limit <= 0 {
		limit = -1
		if s.Dialect == Postgres {
			limit = 1 << 62
		}
	}
	query += ` LIMIT ? OFFSET ?`
	args = append(args, limit, q.Offset)
	rows, err := s.R.QueryContext(ctx, s.Q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("list records: %w", err)
	}
	return scanAll(rows, scanRecordRow)
}

// RecordIDs returns the ids of the live records q selects (approval, ids and filter; sort, paging and
// keyset are ignored), in id order: the selection a job snapshots, without reading the records.
func (s *Store) RecordIDs(ctx context.Context, q RecordQuery) ([]crmd.ID, error) {
	if ids, ok, err := s.territoryRecordIDs(ctx, q); ok || err != nil { // a large territory alone: merged (filter.go)
		return ids, err
	}
	var where strings.Builder
	args, err := s.recordWhere(ctx, &where, q, false)
	if err != nil {
		return nil, fmt.Errorf("record ids: %w", err)
	}
	rows, err := s.R.QueryContext(ctx, s.Q(`SELECT id FROM records WHERE `+where.String()+` ORDER BY id`), args...)
	if err != nil {
		return nil, fmt.Errorf("record ids: %w", err)
	}
	return scanIDs(rows)
}

// CountRecords counts the live records q selects (approval, ids and filter; sort and paging are
// ignored): GET /{module}/actions/count.
func (s *Store) CountRecords(ctx context.Context, q RecordQuery) (int64, error) {
	var where strings.Builder
	args, err := s.recordWhere(ctx, &where, q, false)
	if err != nil {
		return 0, fmt.Errorf("count records: %w", err)
	}
	var n int64
	if err := s.R.QueryRowContext(ctx, s.Q(`SELECT COUNT(*) FROM records WHERE `+where.String()), args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count records: %w", err)
	}
	return n, nil
}

// MatchRecordIDs returns, inside tx, the ids of the live records q selects, in id order, at most
// q.Limit of them (0: all). An upsert looks its duplicates up with it, so that it sees the records its
// own transaction inserted a moment before.
func (s *Store) MatchRecordIDs(ctx context.Context, tx *Tx, q RecordQuery) ([]crmd.ID, error) {
	var where strings.Builder
	args, err := s.recordWhere(ctx, &where, q, false)
	if err != nil {
		return nil, fmt.Errorf("match records: %w", err)
	}
	query := `SELECT id FROM records WHERE ` + where.String() + ` ORDER BY id`
	if q.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, q.Limit)
	}
	rows, err := s.recDB(tx).QueryContext(ctx, s.Q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("match records: %w", err)
	}
	return scanIDs(rows)
}

// LockUpserts serialises, until tx ends, the upserts of one module of an org, so that two racing
// upserts of the same new value do not both insert it. On SQLite a write transaction already runs
// alone (BEGIN IMMEDIATE); on PostgreSQL a transaction-scoped advisory lock keyed by the module does it
// (module ids are unique across orgs).
func (s *Store) LockUpserts(ctx context.Context, tx *Tx, moduleID crmd.ID) error {
	if s.Dialect != Postgres {
		return nil
	}
	if _, err := tx.q.ExecContext(ctx, s.Q(`SELECT pg_advisory_xact_lock(?)`), int64(moduleID)); err != nil {
		return fmt.Errorf("lock upserts: %w", err)
	}
	return nil
}

// UpdateRecords writes the mutable columns (owner, modifier, modification time, approval state,
// display name, data) of recs inside tx, each scoped by its org and module. The statement is
// prepared once for the batch.
func (s *Store) UpdateRecords(ctx context.Context, tx *Tx, recs []*crmd.Record) error {
	if len(recs) == 0 {
		return nil
	}
	st, err := tx.q.PrepareContext(ctx, s.Q(`UPDATE records SET owner_id = ?, modified_by = ?, modified_time = ?,
		approval_state = ?, display_name = ?, data = ? WHERE id = ? AND org_id = ? AND module_id = ? AND deleted_time IS NULL`))
	if err != nil {
		return fmt.Errorf("update records: %w", err)
	}
	defer st.Close()
	for _, r := range recs {
		res, err := st.ExecContext(ctx, int64(r.OwnerID), int64(r.ModifiedBy), r.ModifiedTime, r.ApprovalState,
			r.DisplayName, string(r.Data), int64(r.ID), int64(r.OrgID), int64(r.ModuleID))
		if err != nil {
			return fmt.Errorf("update record %s: %w", r.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("update record %s: %d rows changed", r.ID, n)
		}
	}
	return nil
}

// softDeleteSQL is the statement of every soft delete, "%ids" standing for the ids' placeholders and
// "%owner" for the owner check of a user who may delete only their own records (or nothing). Its WHERE
// clause is the soft delete's checks — live, approved (D6), owned — so that the UPDATE alone locks and
// moves exactly the rows that pass them, with no read of the rows before it. It is one const because
// crmd bench's floor (FloorSoftDelete, floor.go) runs it too: a floor measured with any other statement
// would not be the floor of this one.
const softDeleteSQL = `UPDATE records SET deleted_time = ?, deleted_by = ?, delete_job_id = ?
		WHERE org_id = ? AND module_id = ? AND deleted_time IS NULL AND approval_state = 'approved'%owner AND id IN (%ids)
		RETURNING id, module_id, display_name`

// softDeleteStmt is softDeleteSQL for n ids, with the owner check when owned.
func (s *Store) softDeleteStmt(n int, owned bool) string {
	owner := ""
	if owned {
		owner = " AND owner_id = ?"
	}
	return s.Q(strings.NewReplacer("%owner", owner, "%ids", recPlaceholders(n)).Replace(softDeleteSQL))
}

// SoftDeleteRecords moves the live, approved records among ids of a module of an org to the recycle bin
// inside tx (SoftDeleteChecked without an owner check) and returns how many it moved.
func (s *Store) SoftDeleteRecords(ctx context.Context, tx *Tx, orgID, moduleID crmd.ID, ids []crmd.ID, ch Change) (int64, error) {
	moved, err := s.SoftDeleteChecked(ctx, tx, orgID, moduleID, ids, 0, ch)
	return int64(len(moved)), err
}

// SoftDeleteChecked moves to the recycle bin, inside tx, those records among ids of a module of an org
// that are live and approved and, when ownedBy is not zero, owned by that user — deleted_time ch.At,
// deleted_by ch.Actor, and delete_job_id ch.JobID when not zero — records each one in the audit trail
// and the outbox of the channels watching, and returns the ids it moved. The others are left as they are.
func (s *Store) SoftDeleteChecked(ctx context.Context, tx *Tx, orgID, moduleID crmd.ID, ids []crmd.ID, ownedBy crmd.ID, ch Change) ([]crmd.ID, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := []any{ch.At, int64(ch.Actor), recNullInt(int64(ch.JobID)), int64(orgID), int64(moduleID)}
	if ownedBy != 0 {
		args = append(args, int64(ownedBy))
	}
	var bitmap, seq string
	if s.Dialect == Postgres {
		// The UPDATE locks the rows it moves in the order its plan visits them. Two soft deletes of
		// overlapping ids must lock in one order, or each may wait for the other until PostgreSQL
		// aborts one as a deadlock: with bitmap and sequential scans off (for this statement; the
		// settings in force are put back after it) the plan is an index scan, whose keys PostgreSQL
		// visits sorted, so every soft delete locks in id order, as LockRecords does.
		if err := tx.q.QueryRowContext(ctx, `SELECT current_setting('enable_bitmapscan'), current_setting('enable_seqscan'),
			set_config('enable_bitmapscan', 'off', true), set_config('enable_seqscan', 'off', true)`).Scan(&bitmap, &seq, new(string), new(string)); err != nil {
			return nil, fmt.Errorf("soft delete records: %w", err)
		}
	}
	rows, err := tx.q.QueryContext(ctx, s.softDeleteStmt(len(ids), ownedBy != 0), append(args, recIDArgs(ids)...)...)
	if err != nil {
		return nil, fmt.Errorf("soft delete records: %w", err)
	}
	done, err := scanAuditRows(rows)
	if err != nil {
		return nil, fmt.Errorf("soft delete records: %w", err)
	}
	if s.Dialect == Postgres {
		if _, err := tx.q.ExecContext(ctx, `SELECT set_config('enable_bitmapscan', $1, true), set_config('enable_seqscan', $2, true)`, bitmap, seq); err != nil {
			return nil, fmt.Errorf("soft delete records: %w", err)
		}
	}
	if err := s.writeAuditLive(ctx, tx, orgID, AuditDeleted, ch, done); err != nil {
		return nil, err
	}
	// The channels watching the module hear of exactly the rows this statement moved, in its
	// transaction: a mass delete by ids is one notification, each batch of a job one more.
	if err := s.noticeRows(ctx, tx, orgID, crmd.OpDelete, done, ch.At); err != nil {
		return nil, err
	}
	moved := make([]crmd.ID, len(done))
	for i, r := range done {
		moved[i] = crmd.ID(r.record)
	}
	return moved, nil
}

// Kinds of deleted records for ListDeletedRecords.
const (
	DeletedAll       = "all"
	DeletedRecycle   = "recycle"
	DeletedPermanent = "permanent"
)

// DeletedQuery selects a page of deleted records of one module of one org, newest deletion first.
type DeletedQuery struct {
	OrgID, ModuleID crmd.ID
	// Type is DeletedAll (also when empty), DeletedRecycle (not purged) or DeletedPermanent (purged).
	Type          string
	Offset, Limit int
	// DeletedAfter, when not zero, keeps the records deleted after that Unix ms (If-Modified-Since).
	DeletedAfter int64
}

// ListDeletedRecords returns one page of deleted records, newest deletion first (id breaks ties),
// walking the records_deleted index.
func (s *Store) ListDeletedRecords(ctx context.Context, q DeletedQuery) ([]*crmd.Record, error) {
	query := `SELECT ` + recordCols + ` FROM records WHERE org_id = ? AND module_id = ? AND deleted_time IS NOT NULL`
	switch q.Type {
	case DeletedRecycle:
		query += ` AND purged_time IS NULL`
	case DeletedPermanent:
		query += ` AND purged_time IS NOT NULL`
	}
	args := []any{int64(q.OrgID), int64(q.ModuleID)}
	if q.DeletedAfter != 0 {
		query += ` AND deleted_time > ?`
		args = append(args, q.DeletedAfter)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 200
	}
	query += ` ORDER BY deleted_time DESC, id DESC LIMIT ? OFFSET ?`
	rows, err := s.R.QueryContext(ctx, s.Q(query), append(args, limit, q.Offset)...)
	if err != nil {
		return nil, fmt.Errorf("list deleted records: %w", err)
	}
	return scanAll(rows, scanRecordRow)
}
