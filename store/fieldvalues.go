package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/crmd/crmd"
)

// On SQLite, CREATE INDEX holds the database's one write lock for as long as it reads every record
// (about 7 s per million), and every other writer waits that long. So a data field that criteria read
// is indexed without it: field_values holds, per record of the module, the value FieldExpr reads, with
// indexes on (field, module, value) and (field, module, lower(value)). Triggers on records keep it
// current from the moment the index is asked for (SideIndexTriggers), and a job of kind index
// fills it for the records that existed then, one short batch at a time (FillFieldValues). Once that
// job is COMPLETED (field_indexes names it) the criteria compiler reads the field from field_values
// (sideIndex); until then it reads the JSON, slower but with the same answers.
//
// A field that already has an expression index made by an earlier crmd (rx_…, EnsureFieldIndex) keeps
// using it. PostgreSQL builds its expression indexes CONCURRENTLY, without blocking writers, and has no
// field_values.

// SideIndexed reports whether criteria on f are served by field_values on this store (SQLite, a field
// kind FieldExpr routes). It does not say whether the index exists yet (FieldIndexStatus). Long text
// (textarea) gets none: its usual comparison, contains, cannot use an index, and a copy of every
// record's text would double the database for nothing.
func (s *Store) SideIndexed(f *crmd.Field) bool {
	return s.Dialect == SQLite && indexKindOf(f) != noIndex && f.DataType != crmd.TypeTextarea
}

// legacyIndexExists reports whether the expression index an earlier crmd built for f exists (SQLite).
func (s *Store) legacyIndexExists(ctx context.Context, f *crmd.Field) (bool, error) {
	name, _ := fieldIndex(s.Dialect, f)
	if name == "" {
		return false, nil
	}
	var n int
	err := s.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = ?`, name).Scan(&n)
	return n > 0, err
}

// FieldIndexStatus tells where the index of field f of module moduleID stands: "" when it needs one
// (none was asked for, or the job that filled it failed or was cancelled), else the status of its
// index job (SCHEDULED, RUNNING, COMPLETED). A field served by an older expression index
// answers COMPLETED.
func (s *Store) FieldIndexStatus(ctx context.Context, moduleID crmd.ID, f *crmd.Field) (string, error) {
	if ok, err := s.legacyIndexExists(ctx, f); err != nil || ok {
		return crmd.JobCompleted, err
	}
	var status sql.NullString
	err := s.R.QueryRowContext(ctx, `SELECT j.status FROM field_indexes fi LEFT JOIN jobs j ON j.id = fi.job_id
		WHERE fi.module_id = ? AND fi.field = ?`, int64(moduleID), f.APIName).Scan(&status)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", nil
	case err != nil:
		return "", err
	}
	switch status.String {
	case crmd.JobPreparing, crmd.JobScheduled, crmd.JobRunning, crmd.JobCompleted:
		return status.String, nil
	}
	return "", nil // failed, cancelled, or its job purged before it completed: build it again
}

// sideValue is the value expression of f over the row alias (NEW, OLD, records).
func (s *Store) sideValue(f *crmd.Field, alias string) string {
	return strings.Replace(s.FieldExpr(f), "records.", alias+".", 1)
}

// triggerName is the name of one of the triggers that keep field_values current for f in a module.
func triggerName(moduleID crmd.ID, f *crmd.Field, op string) string {
	var b strings.Builder
	for _, r := range f.APIName {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return "fv_" + strconv.FormatInt(int64(moduleID), 10) + "_" + strings.ToLower(b.String()) + "_" + op
}

// SideIndexTriggers creates, unless they exist, the triggers that keep field_values current for field f
// of module moduleID from now on: on insert, on a change of the data, and on a hard delete. DDL takes no
// bound parameters: the module id is a number and the field name a checked identifier (safeAPIName).
func (s *Store) SideIndexTriggers(ctx context.Context, moduleID crmd.ID, f *crmd.Field) error {
	if !s.SideIndexed(f) {
		return fmt.Errorf("field %s: no side index on this store", f.APIName)
	}
	mod := strconv.FormatInt(int64(moduleID), 10)
	field := "'" + f.APIName + "'"
	insert := `INSERT OR IGNORE INTO field_values (field, module_id, value, record_id)
		SELECT ` + field + `, ` + mod + `, v, NEW.id FROM (SELECT ` + s.sideValue(f, "NEW") + ` AS v) WHERE v IS NOT NULL;`
	remove := `DELETE FROM field_values WHERE record_id = OLD.id AND field = ` + field + `;`
	ddl := []string{
		`CREATE TRIGGER IF NOT EXISTS ` + triggerName(moduleID, f, "i") + ` AFTER INSERT ON records WHEN NEW.module_id = ` + mod +
			` BEGIN ` + insert + ` END`,
		`CREATE TRIGGER IF NOT EXISTS ` + triggerName(moduleID, f, "u") + ` AFTER UPDATE OF data ON records WHEN NEW.module_id = ` + mod +
			` BEGIN ` + remove + ` ` + insert + ` END`,
		`CREATE TRIGGER IF NOT EXISTS ` + triggerName(moduleID, f, "d") + ` AFTER DELETE ON records WHEN OLD.module_id = ` + mod +
			` BEGIN ` + remove + ` END`,
	}
	return s.Tx(ctx, func(tx *Tx) error {
		for _, q := range ddl {
			if _, err := tx.q.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("field index triggers of %s: %w", f.APIName, err)
			}
		}
		return nil
	})
}

// SetFieldIndexJob records which job fills the index of field f of module moduleID.
func (s *Store) SetFieldIndexJob(ctx context.Context, moduleID crmd.ID, f *crmd.Field, jobID crmd.ID) error {
	_, err := s.W.ExecContext(ctx, `INSERT INTO field_indexes (module_id, field, job_id) VALUES (?, ?, ?)
		ON CONFLICT (module_id, field) DO UPDATE SET job_id = excluded.job_id`, int64(moduleID), f.APIName, int64(jobID))
	return err
}

// ModuleRecordIDs returns the ids of every record of a module, deleted ones included, in id order, through
// the read pool (one consistent read): the snapshot of an index job.
func (s *Store) ModuleRecordIDs(ctx context.Context, orgID, moduleID crmd.ID) ([]crmd.ID, error) {
	rows, err := s.R.QueryContext(ctx, s.Q(`SELECT id FROM records WHERE org_id = ? AND module_id = ? ORDER BY id`), int64(orgID), int64(moduleID))
	if err != nil {
		return nil, err
	}
	return scanIDs(rows)
}

// FillFieldValues writes, inside tx, the field_values rows of field f for those of ids that are records
// of module moduleID, from their current data (replacing what the triggers may have written, which is
// the same value), and returns how many records it read. One batch of an index job.
func (s *Store) FillFieldValues(ctx context.Context, tx *Tx, moduleID crmd.ID, f *crmd.Field, ids []crmd.ID) (int64, error) {
	var n int64
	for start := 0; start < len(ids); start += binChunk {
		part := ids[start:min(start+binChunk, len(ids))]
		in := recPlaceholders(len(part))
		args := append([]any{f.APIName}, recIDArgs(part)...)
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM field_values WHERE field = ? AND record_id IN (`+in+`)`, args...); err != nil {
			return 0, fmt.Errorf("fill field index %s: %w", f.APIName, err)
		}
		_, err := tx.q.ExecContext(ctx, `INSERT OR IGNORE INTO field_values (field, module_id, value, record_id)
			SELECT ?, module_id, v, id FROM (SELECT module_id, id, `+s.sideValue(f, "records")+` AS v FROM records
				WHERE module_id = ? AND id IN (`+in+`)) WHERE v IS NOT NULL`,
			append([]any{f.APIName, int64(moduleID)}, recIDArgs(part)...)...)
		if err != nil {
			return 0, fmt.Errorf("fill field index %s: %w", f.APIName, err)
		}
		n += int64(len(part))
	}
	return n, nil
}

// readySideIndexes returns the fields of a module whose field_values are complete (their index
// job COMPLETED), read through db.
func (s *Store) readySideIndexes(ctx context.Context, db execer, moduleID crmd.ID) (map[string]bool, error) {
	if s.Dialect != SQLite {
		return nil, nil
	}
	rows, err := db.QueryContext(ctx, `SELECT fi.field FROM field_indexes fi JOIN jobs j ON j.id = fi.job_id
		WHERE fi.module_id = ? AND j.status = 'COMPLETED'`, int64(moduleID))
	if err != nil {
		return nil, err
	}
	return scanStringSet(rows)
}
