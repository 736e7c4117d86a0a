package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/criteria"
)

// Services say which records they want with these typed values; the store compiles them into SQL for its
// dialect. Every value a client gave travels as a bind parameter; only the criteria compiler's own
// syntax and field names checked against the module's metadata reach the SQL text.

// RecordFilter narrows a selection of live records of one module of one org. The zero value selects
// every record.
type RecordFilter struct {
	// View, when set, keeps the records of a custom view as its caller sees it.
	View *ViewFilter
	// Territory, when set, keeps the records assigned to a territory (or to any of its subtree).
	Territory *TerritoryScope
	// Match, when set, keeps the records a criteria tree accepts besides the view: a search's criteria
	// (GET /{module}/search), which may come with a cvid.
	Match *CriteriaFilter
	// ModifiedAfter, when not zero, keeps the records modified after that Unix ms (If-Modified-Since).
	ModifiedAfter int64
}

// CriteriaFilter is a criteria tree over a module's fields and the environment that resolves its
// keywords.
type CriteriaFilter struct {
	Criteria *criteria.Node
	Env      criteria.Env
	// ModuleID is the criteria's module: on SQLite its complete field_values side indexes serve them.
	ModuleID crmd.ID
}

// ViewFilter is what a custom view selects, resolved for one caller at one moment.
type ViewFilter struct {
	// Criteria is the view's criteria tree, nil for every record.
	Criteria *criteria.Node
	// Env resolves the criteria's keywords: ${CURRENTUSER}, the date keywords in the org's time zone.
	Env criteria.Env
	// Nothing makes the view select no record at all (the Converted views while crmd converts no lead,
	// and a user view whose stored criteria no longer fit the module: such a view must never widen to
	// the whole module).
	Nothing bool
	// UnreadBy, when not zero, keeps only the records that user has not opened (MarkRecordRead).
	UnreadBy crmd.ID
	// ModuleID is the view's module: with it, criteria on fields whose field_values are complete read
	// them there (SQLite; see fieldvalues.go).
	ModuleID crmd.ID
	// Unindexed reads the criteria's fields from the JSON documents instead of through the expression
	// indexes: the baseline that shows what the indexes buy (BenchmarkViewSelect), never a service's
	// choice.
	Unindexed bool
}

// TerritoryScope is a territory of an org, alone or with its whole subtree. Package territories makes
// sure the territory exists before one is built; records with no territory belong to none.
type TerritoryScope struct {
	OrgID        crmd.ID
	ID           crmd.ID
	IncludeChild bool
}

// predicate is one compiled SQL condition over the records table (columns qualified "records."), with
// `?` placeholders and their bound arguments.
type predicate struct {
	sql  string
	args []any
}

// noRecord is the condition no row satisfies.
var noRecord = predicate{sql: "1 = 0"}

// maxProbeTerritories bounds the territories a probe binds (SQLite takes at most 32,766 parameters).
const maxProbeTerritories = 30_000

// compileFilter compiles f into the conditions a query over records must all satisfy. probe asks for the
// territory in the form that tests each candidate record (see territoryProbe): the right one beside a
// view or an id list, which select few records, while a territory alone is best listed. db runs the
// subtree walk the probe form needs (a transaction's or the read pool).
func (s *Store) compileFilter(ctx context.Context, db execer, f RecordFilter, probe bool) ([]predicate, error) {
	var out []predicate
	if v := f.View; v != nil {
		if v.Nothing {
			return []predicate{noRecord}, nil
		}
		target, err := s.criteriaTarget(ctx, db, v.ModuleID, v.Unindexed)
		if err != nil {
			return nil, err
		}
		sql, args := criteria.Compile(v.Criteria, target, v.Env)
		out = append(out, predicate{sql, args})
		if v.UnreadBy != 0 {
			out = append(out, unreadBy(v.UnreadBy))
		}
	}
	if m := f.Match; m != nil {
		target, err := s.criteriaTarget(ctx, db, m.ModuleID, false)
		if err != nil {
			return nil, err
		}
		sql, args := criteria.Compile(m.Criteria, target, m.Env)
		out = append(out, predicate{sql, args})
	}
	if f.ModifiedAfter != 0 {
		out = append(out, predicate{sql: `records.modified_time > ?`, args: []any{f.ModifiedAfter}})
	}
	if t := f.Territory; t != nil {
		p, err := s.territoryCondition(ctx, db, *t, probe || f.View != nil || f.Match != nil)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// criteriaTarget is where criteria compile to for this store: the dialect, the records table and its
// expression indexes; with a moduleID on SQLite, also the field_values side indexes that are complete
// for that module. unindexed reads the JSON documents instead (BenchmarkViewSelect's baseline).
func (s *Store) criteriaTarget(ctx context.Context, db execer, moduleID crmd.ID, unindexed bool) (criteria.Target, error) {
	dialect := criteria.SQLite
	if s.Dialect == Postgres {
		dialect = criteria.Postgres
	}
	// FieldExpr reads data fields the way the on-demand expression indexes are built, so that they
	// serve the criteria.
	target := criteria.Target{Dialect: dialect, Alias: "records", FieldExpr: s.FieldExpr}
	if unindexed {
		target.FieldExpr = nil
		return target, nil
	}
	if moduleID == 0 || s.Dialect != SQLite {
		return target, nil
	}
	ready, err := s.readySideIndexes(ctx, db, moduleID)
	if err != nil {
		return criteria.Target{}, err
	}
	if len(ready) > 0 {
		target.Side = func(f *crmd.Field) (string, []any, string) {
			if !ready[f.APIName] || !s.SideIndexed(f) {
				return "", nil, ""
			}
			return `records.id IN (SELECT fv.record_id FROM field_values fv WHERE fv.field = ? AND fv.module_id = ? AND `,
				[]any{f.APIName, int64(moduleID)}, "fv.value"
		}
	}
	return target, nil
}

// territoryCondition is the territory filter in its list form (the territory's records, the subtree
// walked inside the query) or its probe form (each record tested against the subtree's ids, resolved
// here first).
func (s *Store) territoryCondition(ctx context.Context, db execer, t TerritoryScope, probe bool) (predicate, error) {
	if !probe {
		return territoryList(t), nil
	}
	ids := []crmd.ID{t.ID}
	if t.IncludeChild {
		var err error
		if ids, err = s.subtreeIDs(ctx, db, t.OrgID, t.ID); err != nil {
			return predicate{}, err
		}
	}
	if len(ids) > maxProbeTerritories {
		// Beyond what one statement may bind: the list form is correct, only slower beside a view.
		return territoryList(t), nil
	}
	return territoryProbe(ids, s.Dialect == SQLite), nil
}

// territoryList keeps the records assigned to a territory, or with IncludeChild also to any of its
// descendants. It is one SQL condition with the recursive walk inlined as a subquery, so the database
// resolves the subtree and the records together: no id list is ever built in memory.
func territoryList(t TerritoryScope) predicate {
	// The assignment rows are read from the record_territories_territory index alone: a territory's rows
	// are all of its org, and every query scopes records to the org anyway. Alone, the condition drives
	// the query (the territory's records are sought by id in records_live, which covers the rest of the
	// query's conditions); beside a selective view, territoryProbe.
	a := territoryAssigned(t)
	return predicate{sql: `records.id IN (SELECT rt.record_id FROM record_territories rt WHERE ` + a.sql + `)`, args: a.args}
}

// territoryAssigned is the condition on record_territories rt that keeps the assignment rows of a
// territory, or with IncludeChild of its subtree (walked inside the query).
func territoryAssigned(t TerritoryScope) predicate {
	if !t.IncludeChild {
		return predicate{sql: `rt.territory_id = ?`, args: []any{int64(t.ID)}}
	}
	return predicate{
		sql:  `rt.territory_id IN (` + subtreeCTE + ` SELECT id FROM sub)`,
		args: []any{int64(t.OrgID), int64(t.ID), int64(t.OrgID)},
	}
}

// territoryProbe is the territory filter in the form to use beside a selective condition (a view on an
// indexed field): a per-row probe of the record_territories primary key for the given territories,
// instead of a list of the territories' records. SQLite drives a query from an "id IN (list)" whatever
// its statistics say, or at least materialises the list: with 666,000 records in a subtree that cost
// 0.5 s beside a view selecting 56,000 of 1,000,000 Leads; and a subtree walk inside the probe would run
// once per row.
func territoryProbe(territoryIDs []crmd.ID, sqlite bool) predicate {
	if len(territoryIDs) == 0 {
		return noRecord
	}
	// On SQLite the unary plus keeps the territory list out of the index choice: the probe then seeks
	// the primary key (record_id, territory_id) once and reads the record's few assignment rows, instead
	// of seeking record_territories_territory once per territory of the subtree (view ∩ territory: ~210
	// instead of ~250 ms CPU on 1,000,000 Leads). PostgreSQL plans the EXISTS as a semi-join and needs
	// the bare column to estimate it: with the plus, a cvid job's read of a 666,666-record territory of
	// 1,000,000 Leads (the first 50,001 ids) took 3.5 s (crmd bench, territory_job_select_ms).
	col := `rt.territory_id`
	if sqlite {
		col = `+rt.territory_id`
	}
	return predicate{
		sql:  `EXISTS (SELECT 1 FROM record_territories rt WHERE rt.record_id = records.id AND ` + col + ` IN (` + recPlaceholders(len(territoryIDs)) + `))`,
		args: recIDArgs(territoryIDs),
	}
}

// territoryMergeMin is the number of assignment rows from which a territory-only id selection is
// merged rather than probed (see territoryRecordIDs). Below it the probes cost at most a few tens of ms
// whatever the module's size, and counting that far reads one small index range.
const territoryMergeMin = 20_000

// territoryRecordIDs is RecordIDs for a selection by territory alone on SQLite (a cvid mass delete of
// the All view with territory_id): ok is false when q is not one, or its subtree holds fewer than
// territoryMergeMin assignment rows, and the caller then runs the ordinary query.
//
// Why: the ordinary query (records.id IN the subtree's record ids) seeks, for each assigned record,
// the record's row in records: 666,666 seeks of a 1,000,000-Lead module took 4.6 s through the table,
// and still ~1.8 s CPU through the covering records_live. Here both sides are read in id order and
// merged, without a seek: the module's live records from records_live (covering: org, approval state),
// the subtree's record ids from record_territories_territory (sorted once, in memory; INTERSECT also
// drops the second row of a record in two territories of the subtree), ~0.95 s CPU. The merge reads
// every live record of the module, so it only pays for a subtree holding many records; a small subtree
// of a large module is probed as before. Tenancy: the records side is scoped to the org and module,
// the subtree walk to the org's territories. (CPU times on a loaded 2-core machine: docs/territories.md.)
func (s *Store) territoryRecordIDs(ctx context.Context, q RecordQuery) ([]crmd.ID, bool, error) {
	return s.mergeTerritoryIDs(ctx, q, territoryMergeMin)
}

// mergeTerritoryIDs is territoryRecordIDs with its threshold given, so that tests run both forms on
// small data.
func (s *Store) mergeTerritoryIDs(ctx context.Context, q RecordQuery, mergeMin int) ([]crmd.ID, bool, error) {
	t := q.Filter.Territory
	if s.Dialect != SQLite || t == nil || len(q.IDs) > 0 || q.Filter != (RecordFilter{Territory: t}) {
		return nil, false, nil
	}
	assigned := territoryAssigned(*t)
	var n int
	if err := s.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM record_territories rt WHERE `+assigned.sql+` LIMIT ?)`,
		append(assigned.args, mergeMin)...).Scan(&n); err != nil {
		return nil, false, fmt.Errorf("record ids: %w", err)
	}
	if n < mergeMin {
		return nil, false, nil
	}
	live := q
	live.Filter = RecordFilter{}
	var where strings.Builder
	args, err := s.recordWhere(ctx, &where, live, false)
	if err != nil {
		return nil, false, fmt.Errorf("record ids: %w", err)
	}
	// INDEXED BY: without it SQLite may read the record_territories primary key whole (every org's
	// assignments) because it is already in record_id order.
	rows, err := s.R.QueryContext(ctx, `SELECT id FROM records WHERE `+where.String()+`
		INTERSECT SELECT rt.record_id FROM record_territories rt INDEXED BY record_territories_territory WHERE `+assigned.sql+`
		ORDER BY 1`, append(args, assigned.args...)...)
	if err != nil {
		return nil, false, fmt.Errorf("record ids: %w", err)
	}
	ids, err := scanIDs(rows)
	return ids, true, err
}

// unreadBy is "the user has not opened this record" (see MarkRecordRead).
func unreadBy(userID crmd.ID) predicate {
	return predicate{
		sql:  `NOT EXISTS (SELECT 1 FROM record_reads WHERE record_reads.user_id = ? AND record_reads.record_id = records.id)`,
		args: []any{int64(userID)},
	}
}

// andAll appends each condition to b as " AND (…)" and returns args with their arguments.
func andAll(b *strings.Builder, args []any, ps []predicate) []any {
	for _, p := range ps {
		b.WriteString(` AND (` + p.sql + `)`)
		args = append(args, p.args...)
	}
	return args
}
