package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/crmd/crmd"
)

// Criteria on data fields (a view's `Lead_Source equal X`) are served by expression indexes over the
// records table, created on demand for the fields views actually filter on. Measured on 1,000,000
// Leads (SQLite 3.54): selecting the 56,000 ids of one Lead_Source takes 18 ms through such an index —
// SQLite reads the indexed value from the index and never visits the 1 KiB row — against 4–5 s for a
// scan of the JSON. Indexing every picklist up front would cost every insert: twelve such indexes cut
// `crmd seed` from ~85,000 to ~24,000 rows/s, so only fields a view uses get one.
//
// FieldExpr is what the criteria compiler reads a field through; EnsureFieldIndex creates the index
// whose expression is exactly what the compiled predicate uses (lower(…) for text comparisons), so the
// planner matches the two. The expressions assume what the records service guarantees: a text or
// picklist value is a non-empty string, an empty value is absent, a lookup is {"id":"…","name":"…"}.

var safeAPIName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,99}$`)

// indexKind says how a field's values are read and indexed.
type indexKind int

const (
	noIndex     indexKind = iota
	indexText             // compared case-insensitively: the index holds lower(value)
	indexValue            // numbers, booleans, dates, datetimes: the value itself
	indexLookup           // the id inside a lookup object
)

func indexKindOf(f *crmd.Field) indexKind {
	if f.System || !safeAPIName.MatchString(f.APIName) {
		return noIndex
	}
	switch f.DataType {
	case crmd.TypeText, crmd.TypeTextarea, crmd.TypeEmail, crmd.TypePhone, crmd.TypeWebsite, crmd.TypeAutonumber, crmd.TypePicklist:
		return indexText
	case crmd.TypeInteger, crmd.TypeDouble, crmd.TypeCurrency, crmd.TypePercent, crmd.TypeBoolean, crmd.TypeDate, crmd.TypeDatetime:
		return indexValue
	case crmd.TypeLookup:
		return indexLookup
	}
	return noIndex // bigint (stored as a string), multi-select picklists: the criteria default applies
}

// FieldExpr returns the SQL expression over the records table (qualified "records.") through which
// criteria read field f so that an index made by EnsureFieldIndex can serve them, or "" to leave the
// criteria compiler's default. On PostgreSQL only text-like fields and lookups are routed: ->> yields
// text, which is what those comparisons want, whereas numbers, booleans and dates would need casts
// that fail on a value of the wrong JSON type (the compiler's default guards those by jsonb_typeof).
func (s *Store) FieldExpr(f *crmd.Field) string {
	k := indexKindOf(f)
	if s.Dialect == Postgres {
		switch k {
		case indexText:
			return `records.data ->> '` + f.APIName + `'`
		case indexLookup:
			return `records.data -> '` + f.APIName + `' ->> 'id'`
		}
		return ""
	}
	switch k {
	case indexText, indexValue:
		return `json_extract(records.data, '$.` + f.APIName + `')`
	case indexLookup:
		return `json_extract(records.data, '$.` + f.APIName + `.id')`
	}
	return ""
}

// pgLower is how the criteria compiler lower-cases text on PostgreSQL (ASCII only, like SQLite's
// lower(); PostgreSQL's lower() follows the locale). The index expression must be the same text.
func pgLower(expr string) string {
	return "translate(" + expr + ", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
}

// fieldIndex returns the name and DDL of the index serving f in dialect d, or "" when f gets none.
func fieldIndex(d Dialect, f *crmd.Field) (name, ddl string) {
	var expr, suffix string
	k := indexKindOf(f)
	if d == Postgres {
		switch k {
		case indexText:
			expr, suffix = pgLower(`(data ->> '`+f.APIName+`')`), "lc"
		case indexLookup:
			expr, suffix = `(data -> '`+f.APIName+`' ->> 'id')`, "id"
		default:
			return "", ""
		}
	} else {
		switch k {
		case indexText:
			expr, suffix = `lower(json_extract(data, '$.`+f.APIName+`'))`, "lc"
		case indexValue:
			expr, suffix = `json_extract(data, '$.`+f.APIName+`')`, "v"
		case indexLookup:
			expr, suffix = `json_extract(data, '$.`+f.APIName+`.id')`, "id"
		default:
			return "", ""
		}
	}
	// Field api names are case-sensitive, index names are not: the name keeps the field's spelling
	// with upper-case letters escaped, so Lead_Source and lead_source get different indexes.
	var b strings.Builder
	for _, r := range f.APIName {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	name = fmt.Sprintf("rx_%s_%s", strings.ToLower(b.String()), suffix)
	// The trailing columns make the index covering for what a view selection also asks (approval,
	// "My …" views, "Recently Created …" views): without them every match costs a visit to its row.
	// PostgreSQL builds it CONCURRENTLY, so that writers are not blocked while it is built.
	create := "CREATE INDEX IF NOT EXISTS"
	if d == Postgres {
		create = "CREATE INDEX CONCURRENTLY IF NOT EXISTS"
	}
	ddl = fmt.Sprintf(`%s %s ON records (module_id, %s, approval_state, owner_id, created_time) WHERE deleted_time IS NULL`, create, name, expr)
	return name, ddl
}

// EnsureFieldIndex creates, on PostgreSQL, the expression index that serves criteria on f, unless it
// exists, with CREATE INDEX CONCURRENTLY: writers are not blocked while it is built. The index is
// shared by every module and org with a field of that name. On SQLite it does nothing: a CREATE INDEX
// there would hold the write lock for the whole build (about 7 s per million records), so SQLite's
// fields are indexed through field_values instead (fieldvalues.go); an expression index an earlier
// crmd built there is still read through FieldExpr.
func (s *Store) EnsureFieldIndex(ctx context.Context, f *crmd.Field) error {
	name, ddl := fieldIndex(s.Dialect, f)
	if name == "" || s.Dialect != Postgres {
		return nil
	}
	return s.ensurePostgresIndex(ctx, name, ddl)
}

// BuildsFieldIndexes reports whether EnsureFieldIndex builds anything on this store: PostgreSQL's
// expression indexes; SQLite's fields are indexed through field_values jobs instead.
func (s *Store) BuildsFieldIndexes() bool { return s.Dialect == Postgres }

// FieldIndexReady reports whether criteria on field f are served by their index now: on PostgreSQL,
// whether f's expression index exists and is valid (a view's index is built in the background, so it
// may still be building, see views.Service); true for a field no expression index serves, and always on
// SQLite, whose side indexes are tracked as jobs (FieldIndexStatus).
func (s *Store) FieldIndexReady(ctx context.Context, f *crmd.Field) (bool, error) {
	name, _ := fieldIndex(s.Dialect, f)
	if name == "" || s.Dialect != Postgres {
		return true, nil
	}
	var valid bool
	err := s.R.QueryRowContext(ctx, pgIndexValid, name).Scan(&valid)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return valid, err
}

// pgIndexValid reads whether the index named $1 of the current schema is valid (no row: no such index).
const pgIndexValid = `SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
	WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace`

// ensurePostgresIndex builds a field index on PostgreSQL. A concurrent build that failed or was
// interrupted (a replica killed mid-build) leaves an invalid index behind, which IF NOT EXISTS would
// skip for ever, so an invalid index is dropped and built again; but an index being built right now
// by another replica is invalid too. A session advisory lock keyed by the index name tells the two
// apart: only its holder builds or drops, and a replica that cannot take it returns at once (its
// query reads the JSON meanwhile, just slower). The lock dies with the session of a killed builder.
func (s *Store) ensurePostgresIndex(ctx context.Context, name, ddl string) error {
	var valid bool
	err := s.R.QueryRowContext(ctx, pgIndexValid, name).Scan(&valid)
	if err == nil && valid {
		return nil
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	conn, err := s.W.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	key := "crmd index " + name
	var locked bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(hashtext(current_schema() || $1))`, key).Scan(&locked); err != nil {
		return err
	}
	if !locked {
		return nil
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtext(current_schema() || $1))`, key)
	// The build reads the whole table twice and may take minutes: the statement_timeout the store sets
	// on its connections as a backstop of the query timeout (Options.QueryTimeout) would cut it short at
	// any size, so it is lifted on this connection for the build and reset before the connection goes
	// back to the pool. The caller's ctx still bounds it.
	if _, err := conn.ExecContext(ctx, `SET statement_timeout = 0`); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `RESET statement_timeout`)
	err = conn.QueryRowContext(ctx, pgIndexValid, name).Scan(&valid)
	switch {
	case err == nil && valid:
		return nil
	case err == nil:
		if _, err := conn.ExecContext(ctx, `DROP INDEX CONCURRENTLY IF EXISTS `+name); err != nil {
			return fmt.Errorf("drop invalid index %s: %w", name, err)
		}
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	if _, err := conn.ExecContext(ctx, ddl); err != nil {
		return fmt.Errorf("create index %s: %w", name, err)
	}
	return nil
}
