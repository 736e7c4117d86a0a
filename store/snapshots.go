package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Snapshots let a test suite put crmd back into a known state between its tests (the control API,
// docs/control.md): CreateSnapshot copies the content of every crmd table, RestoreSnapshot puts it back.
//
// A snapshot is a row of the registry table snapshots and, per crmd table, one plain copy of its rows
// named snap_<id>__<table>, made by CREATE TABLE … AS SELECT * in the same database. Keeping the copies
// there (rather than in memory or a file beside the database) lets any process of a shared database
// restore them, survives restarts, and makes the restore one INSERT … SELECT per table inside the
// database, with no row crossing into Go.
//
// The crmd tables are read from the database's catalogue every time, never from a list in Go: a table
// added by a later migration is covered without touching this file, a restore empties a table that the
// snapshot does not know, and ignores a copy whose table is gone. Identifiers cannot be bound
// parameters, so the statements here are built from constant text, the snapshot's integer id and names
// read from that catalogue, always quoted (quoteIdent); a snapshot's name, which comes from a client,
// only ever travels as a bound parameter (and is checked against [a-z0-9_-] anyway).

// Snapshot is a saved copy of the content of the database's crmd tables (CreateSnapshot).
type Snapshot struct {
	Name      string
	CreatedAt int64 // Unix ms, by the store's clock (NowMS)
	Rows      int64 // the rows copied, every table together
}

// ErrSnapshotName is the answer to a snapshot name that is not 1 to 64 characters of a-z, 0-9, _ and -.
var ErrSnapshotName = errors.New("store: a snapshot name is 1 to 64 characters of a-z, 0-9, _ and -")

// validSnapshotName reports whether name may name a snapshot.
func validSnapshotName(name string) bool {
	if len(name) < 1 || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// snapPrefix starts the name of every snapshot copy; no crmd table may start with it.
const snapPrefix = "snap_"

// copyPrefix starts the names of snapshot id's copies. The digits end at "__", so that snap_1__ never
// matches the copies of snapshot 12.
func copyPrefix(id int64) string { return snapPrefix + strconv.FormatInt(id, 10) + "__" }

// copyName is the name of snapshot id's copy of table.
func copyName(id int64, table string) string { return copyPrefix(id) + table }

// isCrmdTable reports whether a table of the schema holds crmd's data, which snapshots copy and restore:
// all but the migrations' bookkeeping and the snapshots themselves.
func isCrmdTable(name string) bool {
	switch name {
	case "schema_migrations", "snapshots", "snapshot_sequences":
		return false
	}
	return !strings.HasPrefix(name, snapPrefix)
}

// quoteIdent quotes a name read from the catalogue as an SQL identifier (the same in both dialects).
func quoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// quoteIdents quotes names and joins them with commas: a column list.
func quoteIdents(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quoteIdent(n)
	}
	return strings.Join(q, ", ")
}

// pgMaxIdent is the longest identifier PostgreSQL keeps (NAMEDATALEN-1 bytes); it cuts longer ones
// short without an error, which could make two copies one.
const pgMaxIdent = 63

// schemaInfo is what the catalogue says of the tables of the store's schema (on PostgreSQL the current
// schema: tests run each in a schema of their own through search_path).
type schemaInfo struct {
	// columns lists, per table (snapshot copies included), the columns an INSERT may name, in their
	// order: generated columns are left out.
	columns map[string][]string
	// fks are the foreign keys between tables, child then parent.
	fks [][2]string
}

// crmdTables returns the crmd tables of the schema, sorted.
func (si *schemaInfo) crmdTables() []string {
	var out []string
	for t := range si.columns {
		if isCrmdTable(t) {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

// readSchema reads the tables, their columns and the foreign keys of the store's schema through q.
func (s *Store) readSchema(ctx context.Context, q execer) (*schemaInfo, error) {
	cols := `SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid`
	fks := `SELECT m.name, f."table" FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`
	if s.Dialect == Postgres {
		// Partitions are left out: their parent (relkind p) reads and writes their rows.
		cols = `SELECT c.relname, a.attname FROM pg_class c
			JOIN pg_namespace n ON n.oid = c.relnamespace
			JOIN pg_attribute a ON a.attrelid = c.oid
			WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
				AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
			ORDER BY c.relname, a.attnum`
		fks = `SELECT c.relname, p.relname FROM pg_constraint k
			JOIN pg_class c ON c.oid = k.conrelid
			JOIN pg_class p ON p.oid = k.confrelid
			JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE k.contype = 'f' AND n.nspname = current_schema()`
	}
	si := &schemaInfo{columns: map[string][]string{}}
	err := queryPairs(ctx, q, cols, func(table, col string) { si.columns[table] = append(si.columns[table], col) })
	if err != nil {
		return nil, fmt.Errorf("read the catalogue: %w", err)
	}
	err = queryPairs(ctx, q, fks, func(child, parent string) { si.fks = append(si.fks, [2]string{child, parent}) })
	if err != nil {
		return nil, fmt.Errorf("read the foreign keys: %w", err)
	}
	return si, nil
}

// queryPairs runs a query of two text columns and hands each row to fn.
func queryPairs(ctx context.Context, q execer, query string, fn func(a, b string)) error {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a, b string
		if err := rows.Scan(&a, &b); err != nil {
			return err
		}
		fn(a, b)
	}
	return rows.Err()
}

// parentsFirst orders tables so that every table comes after the tables its foreign keys reference
// (a table referencing itself does not count; references to tables outside the list are ignored),
// alphabetically where the keys leave a choice. cyclic reports foreign keys that form a cycle; the
// tables of the cycle then come last, alphabetically.
func parentsFirst(tables []string, fks [][2]string) (order []string, cyclic bool) {
	in := map[string]bool{}
	for _, t := range tables {
		in[t] = true
	}
	parents := map[string]map[string]bool{}
	for _, fk := range fks {
		child, parent := fk[0], fk[1]
		if child == parent || !in[child] || !in[parent] {
			continue
		}
		if parents[child] == nil {
			parents[child] = map[string]bool{}
		}
		parents[child][parent] = true
	}
	done := map[string]bool{}
	for len(order) < len(tables) {
		progress := false
		for _, t := range tables { // sorted: the order is the same every time
			if done[t] {
				continue
			}
			ready := true
			for p := range parents[t] {
				ready = ready && done[p]
			}
			if ready {
				order, done[t], progress = append(order, t), true, true
			}
		}
		if !progress {
			for _, t := range tables {
				if !done[t] {
					order = append(order, t)
				}
			}
			return order, true
		}
	}
	return order, false
}

// CreateSnapshot copies the content of every crmd table under name, for RestoreSnapshot. It answers
// ErrSnapshotName for a name that is not 1 to 64 characters of a-z, 0-9, _ and -, and ErrDuplicate
// when a snapshot has that name.
//
// The copies are made in one write transaction, so they are one consistent state of the database: on
// SQLite the transaction holds the write lock; on PostgreSQL it runs at REPEATABLE READ, so that every
// copy reads the same snapshot of the data (at READ COMMITTED each statement would see the writes
// committed since the previous one).
func (s *Store) CreateSnapshot(ctx context.Context, name string) error {
	if !validSnapshotName(name) {
		return ErrSnapshotName
	}
	err := s.txCommitted(ctx, func(ctx context.Context, tx *Tx) error {
		if s.Dialect == Postgres {
			// Must be the transaction's first statement.
			if _, err := tx.q.ExecContext(ctx, `SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`); err != nil {
				return err
			}
		}
		var id int64
		err := tx.q.QueryRowContext(ctx, s.Q(`INSERT INTO snapshots (name, created_at, rows) VALUES (?, ?, 0) RETURNING id`),
			name, s.NowMS()).Scan(&id)
		if err != nil {
			if isUniqueViolation(err) {
				return ErrDuplicate
			}
			return err
		}
		si, err := s.readSchema(ctx, tx.q)
		if err != nil {
			return err
		}
		var total int64
		for _, table := range si.crmdTables() {
			cp := copyName(id, table)
			if s.Dialect == Postgres && len(cp) > pgMaxIdent {
				return fmt.Errorf("table %s: its snapshot copy's name %s is longer than PostgreSQL's %d bytes", table, cp, pgMaxIdent)
			}
			if _, err := tx.q.ExecContext(ctx, `CREATE TABLE `+quoteIdent(cp)+` AS SELECT * FROM `+quoteIdent(table)); err != nil {
				return fmt.Errorf("copy %s: %w", table, err)
			}
			var n int64
			if err := tx.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+quoteIdent(cp)).Scan(&n); err != nil {
				return fmt.Errorf("count %s: %w", cp, err)
			}
			total += n
		}
		if s.Dialect == Postgres {
			if err := s.saveSequences(ctx, tx, id); err != nil {
				return err
			}
		}
		_, err = tx.q.ExecContext(ctx, s.Q(`UPDATE snapshots SET rows = ? WHERE id = ?`), total, id)
		return err
	})
	if err != nil && !errors.Is(err, ErrDuplicate) {
		return fmt.Errorf("create snapshot %s: %w", name, err)
	}
	return err
}

// txCommitted is s.Tx for the snapshot methods, with one difference: ctx can end the transaction (a
// statement fails, or database/sql rolls back) until fn has returned, but not its COMMIT. Once every
// statement has run, the commit runs to its end, so that an error always means that nothing changed:
// otherwise a cancellation arriving while the COMMIT is on its way is answered with an error (pgx stops
// waiting for the server's reply) although the server has committed, and a client that cancelled a
// restore could not tell whether its database was restored.
func (s *Store) txCommitted(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	txCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, cancel) // ctx's end, deadline included, ends txCtx until stop
	defer stop()                           // a failed fn leaves ctx no function to keep
	return s.Tx(txCtx, func(tx *Tx) error {
		if err := fn(txCtx, tx); err != nil {
			return err
		}
		if !stop() {
			if err := ctx.Err(); err != nil {
				return err
			}
			return context.Canceled
		}
		return nil
	})
}

// Snapshots lists the snapshots, oldest first.
func (s *Store) Snapshots(ctx context.Context) ([]Snapshot, error) {
	rows, err := s.R.QueryContext(ctx, `SELECT name, created_at, rows FROM snapshots ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Snapshot
	for rows.Next() {
		var sn Snapshot
		if err := rows.Scan(&sn.Name, &sn.CreatedAt, &sn.Rows); err != nil {
			return nil, err
		}
		out = append(out, sn)
	}
	return out, rows.Err()
}

// snapshotID returns the id of the snapshot named name, or ErrNotFound. On PostgreSQL it locks the
// registry's row until tx ends, FOR UPDATE to delete it, else FOR SHARE: a deletion then waits for the
// restores of its snapshot under way (and they for it, to find it gone) rather than dropping the copies
// they read. SQLite's transactions run one at a time anyway.
func (s *Store) snapshotID(ctx context.Context, tx *Tx, name string, forUpdate bool) (int64, error) {
	q := `SELECT id FROM snapshots WHERE name = ?`
	if s.Dialect == Postgres {
		q = `SELECT id FROM snapshots WHERE name = $1 FOR SHARE`
		if forUpdate {
			q = `SELECT id FROM snapshots WHERE name = $1 FOR UPDATE`
		}
	}
	var id int64
	err := tx.q.QueryRowContext(ctx, q, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return id, err
}

// DeleteSnapshot deletes the snapshot named name and drops its copies; ErrNotFound when there is none
// (ErrSnapshotName for a name no snapshot can have).
func (s *Store) DeleteSnapshot(ctx context.Context, name string) error {
	if !validSnapshotName(name) {
		return ErrSnapshotName
	}
	err := s.txCommitted(ctx, func(ctx context.Context, tx *Tx) error {
		id, err := s.snapshotID(ctx, tx, name, true)
		if err != nil {
			return err
		}
		si, err := s.readSchema(ctx, tx.q)
		if err != nil {
			return err
		}
		// Every table that carries the snapshot's prefix, also copies of tables dropped since.
		prefix := copyPrefix(id)
		for table := range si.columns {
			if strings.HasPrefix(table, prefix) {
				if _, err := tx.q.ExecContext(ctx, `DROP TABLE `+quoteIdent(table)); err != nil {
					return fmt.Errorf("drop %s: %w", table, err)
				}
			}
		}
		if s.Dialect == Postgres {
			if _, err := tx.q.ExecContext(ctx, `DELETE FROM snapshot_sequences WHERE snapshot_id = $1`, id); err != nil {
				return err
			}
		}
		_, err = tx.q.ExecContext(ctx, s.Q(`DELETE FROM snapshots WHERE id = ?`), id)
		return err
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("delete snapshot %s: %w", name, err)
	}
	return err
}

// RestoreSnapshot gives every crmd table exactly the rows it had when the snapshot named name was taken:
// rows added since are gone, rows deleted since are back, changed rows are as they were. A table created
// since is emptied; a column added since gets its default. It is one write transaction (Tx): a failure,
// a cancelled ctx included, leaves the database as it was. ErrNotFound when there is no such snapshot
// (ErrSnapshotName for a name no snapshot can have).
//
// Foreign keys: the tables are emptied children first and filled parents first (parentsFirst), which
// PostgreSQL's immediate constraints need; on SQLite, which runs with foreign_keys on, the checks are
// also deferred to the commit (defer_foreign_keys), so that the order is only a matter of speed there:
// a parent row deleted while its children still exist costs a search of every child table.
//
// Triggers do not fire: the rows put back are the snapshot's, not what a trigger would derive from them
// (SQLite's field_values triggers on records would otherwise write the values a second time, or delete
// the restored ones). SQLite cannot switch a trigger off, so they are dropped and created again from
// their own text in sqlite_master, inside the transaction; PostgreSQL's user triggers are disabled
// (ALTER TABLE … DISABLE TRIGGER, which needs the table's owner, not a superuser) and enabled again.
//
// On PostgreSQL the tables are first locked IN EXCLUSIVE MODE, all in one statement: writers of other
// transactions wait for the restore (none can slip a row in between a DELETE and the commit, which
// READ COMMITTED would otherwise allow), while readers go on reading the state before it until it
// commits. The tables are emptied by DELETE, not TRUNCATE: TRUNCATE is not MVCC-safe, and it gives every
// table and index a new file, which made a restore of 1,000 records take 250–350 ms instead of 30–45 ms.
// The dead rows DELETE leaves are autovacuum's.
//
// After the commit this process's module cache is emptied: meta_version, which keys it, goes back with
// the orgs table, and may then reach a version number the cache holds for other modules.
func (s *Store) RestoreSnapshot(ctx context.Context, name string) error {
	if !validSnapshotName(name) {
		return ErrSnapshotName
	}
	err := s.txCommitted(ctx, func(ctx context.Context, tx *Tx) error {
		id, err := s.snapshotID(ctx, tx, name, false)
		if err != nil {
			return err
		}
		si, err := s.readSchema(ctx, tx.q)
		if err != nil {
			return err
		}
		tables := si.crmdTables()
		order, cyclic := parentsFirst(tables, si.fks)
		if cyclic && s.Dialect == Postgres {
			return errors.New("the foreign keys between crmd tables form a cycle: no order of inserts satisfies them")
		}
		if s.Dialect == Postgres && len(tables) > 0 {
			if _, err := tx.q.ExecContext(ctx, `LOCK TABLE `+quoteIdents(tables)+` IN EXCLUSIVE MODE`); err != nil {
				return fmt.Errorf("lock the tables: %w", err)
			}
		}
		if s.Dialect == SQLite {
			// Reset by SQLite itself at the end of the transaction.
			if _, err := tx.q.ExecContext(ctx, `PRAGMA defer_foreign_keys = ON`); err != nil {
				return err
			}
		}
		enableTriggers, err := s.disableTriggers(ctx, tx, tables)
		if err != nil {
			return err
		}
		for i := len(order) - 1; i >= 0; i-- {
			if _, err := tx.q.ExecContext(ctx, `DELETE FROM `+quoteIdent(order[i])); err != nil {
				return fmt.Errorf("empty %s: %w", order[i], err)
			}
		}
		// OVERRIDING SYSTEM VALUE: an identity column GENERATED ALWAYS takes the snapshot's ids too (it
		// is accepted, and does nothing, on a table without one).
		overriding := ""
		if s.Dialect == Postgres {
			overriding = ` OVERRIDING SYSTEM VALUE`
		}
		for _, table := range order {
			cp := copyName(id, table)
			have, ok := si.columns[cp]
			if !ok {
				continue // the table is newer than the snapshot: it stays empty
			}
			// The live table's columns, in its order, that the copy has: a column added since takes its
			// default, a column dropped since is left behind, and a column moved by a rebuild still gets
			// its own values.
			var cols []string
			for _, c := range si.columns[table] {
				if slices.Contains(have, c) {
					cols = append(cols, c)
				}
			}
			if len(cols) == 0 {
				continue
			}
			list := quoteIdents(cols)
			if _, err := tx.q.ExecContext(ctx, `INSERT INTO `+quoteIdent(table)+` (`+list+`)`+overriding+
				` SELECT `+list+` FROM `+quoteIdent(cp)); err != nil {
				return fmt.Errorf("restore %s: %w", table, err)
			}
		}
		if err := enableTriggers(); err != nil {
			return err
		}
		if s.Dialect == Postgres {
			return s.restoreSequences(ctx, tx, id)
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return err
		}
		return fmt.Errorf("restore snapshot %s: %w", name, err)
	}
	c := s.cache()
	c.mu.Lock()
	clear(c.orgs)
	c.mu.Unlock()
	return nil
}

// disableTriggers stops the triggers on tables from firing until the function it returns, inside tx:
// on SQLite by dropping them (that function creates them again from their text), on PostgreSQL by
// disabling those enabled (that function enables them again).
func (s *Store) disableTriggers(ctx context.Context, tx *Tx, tables []string) (func() error, error) {
	list := `SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'`
	if s.Dialect == Postgres {
		list = `SELECT t.tgname, c.relname, '' FROM pg_trigger t
			JOIN pg_class c ON c.oid = t.tgrelid
			JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = current_schema() AND NOT t.tgisinternal AND t.tgenabled <> 'D'`
	}
	type trigger struct{ name, table, sql string }
	var triggers []trigger
	rows, err := tx.q.QueryContext(ctx, list)
	if err != nil {
		return nil, fmt.Errorf("list triggers: %w", err)
	}
	for rows.Next() {
		var tr trigger
		if err := rows.Scan(&tr.name, &tr.table, &tr.sql); err != nil {
			rows.Close()
			return nil, err
		}
		if slices.Contains(tables, tr.table) {
			triggers = append(triggers, tr)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, tr := range triggers {
		q := `DROP TRIGGER ` + quoteIdent(tr.name)
		if s.Dialect == Postgres {
			q = `ALTER TABLE ` + quoteIdent(tr.table) + ` DISABLE TRIGGER ` + quoteIdent(tr.name)
		}
		if _, err := tx.q.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("disable trigger %s: %w", tr.name, err)
		}
	}
	return func() error {
		for _, tr := range triggers {
			q := tr.sql // SQLite's own text of the CREATE TRIGGER
			if s.Dialect == Postgres {
				q = `ALTER TABLE ` + quoteIdent(tr.table) + ` ENABLE TRIGGER ` + quoteIdent(tr.name)
			}
			if _, err := tx.q.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("enable trigger %s: %w", tr.name, err)
			}
		}
		return nil
	}, nil
}

// pgSequences selects, for every sequence owned by a column of a table of the current schema (an
// identity or serial column), the table, the column, the sequence's schema and name, and the value its
// next nextval gives (NULL when it never gave one: the sequence then starts at its start value).
const pgSequences = `SELECT t.relname, a.attname, sn.nspname, s.relname, pg_sequence_last_value(s.oid) + ps.seqincrement
	FROM pg_depend d
	JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
	JOIN pg_namespace sn ON sn.oid = s.relnamespace
	JOIN pg_sequence ps ON ps.seqrelid = s.oid
	JOIN pg_class t ON t.oid = d.refobjid
	JOIN pg_namespace n ON n.oid = t.relnamespace
	JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
	WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
		AND n.nspname = current_schema()`

// pgSequence is a row of pgSequences.
type pgSequence struct {
	table, column, schema, name string
	next                        sql.NullInt64
}

// readSequences runs pgSequences inside tx, keeping the sequences of crmd tables.
func readSequences(ctx context.Context, tx *Tx) ([]pgSequence, error) {
	rows, err := tx.q.QueryContext(ctx, pgSequences)
	if err != nil {
		return nil, fmt.Errorf("list sequences: %w", err)
	}
	defer rows.Close()
	var out []pgSequence
	for rows.Next() {
		var sq pgSequence
		if err := rows.Scan(&sq.table, &sq.column, &sq.schema, &sq.name, &sq.next); err != nil {
			return nil, err
		}
		if isCrmdTable(sq.table) {
			out = append(out, sq)
		}
	}
	return out, rows.Err()
}

// saveSequences records where the sequences of crmd tables stand, as part of snapshot id (PostgreSQL).
// Sequences are outside MVCC: a value is read as it is now, perhaps past what the copies hold, never
// behind it, so the restored ids never collide with a restored row.
func (s *Store) saveSequences(ctx context.Context, tx *Tx, id int64) error {
	seqs, err := readSequences(ctx, tx)
	if err != nil {
		return err
	}
	for _, sq := range seqs {
		if _, err := tx.q.ExecContext(ctx, `INSERT INTO snapshot_sequences (snapshot_id, table_name, column_name, next_value)
			VALUES ($1, $2, $3, $4)`, id, sq.table, sq.column, sq.next); err != nil {
			return fmt.Errorf("save sequence %s: %w", sq.name, err)
		}
	}
	return nil
}

// restoreSequences sets the sequences of the crmd tables back to where snapshot id recorded them
// (PostgreSQL). ALTER SEQUENCE … RESTART, unlike setval, is transactional: a restore that fails leaves
// the sequences as they were. Its value cannot be a bound parameter; it is an integer the store wrote.
// A sequence the snapshot did not record (a column added since) is left as it is.
func (s *Store) restoreSequences(ctx context.Context, tx *Tx, id int64) error {
	seqs, err := readSequences(ctx, tx)
	if err != nil {
		return err
	}
	saved := map[[2]string]sql.NullInt64{}
	rows, err := tx.q.QueryContext(ctx, `SELECT table_name, column_name, next_value FROM snapshot_sequences WHERE snapshot_id = $1`, id)
	if err != nil {
		return err
	}
	for rows.Next() {
		var table, column string
		var next sql.NullInt64
		if err := rows.Scan(&table, &column, &next); err != nil {
			rows.Close()
			return err
		}
		saved[[2]string{table, column}] = next
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, sq := range seqs {
		next, ok := saved[[2]string{sq.table, sq.column}]
		if !ok {
			continue
		}
		q := `ALTER SEQUENCE ` + quoteIdent(sq.schema) + `.` + quoteIdent(sq.name) + ` RESTART`
		if next.Valid {
			q += ` WITH ` + strconv.FormatInt(next.Int64, 10)
		}
		if _, err := tx.q.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("restore sequence %s: %w", sq.name, err)
		}
	}
	return nil
}
