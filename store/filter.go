package store

import (
	"context"
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
	return territoryProbe(ids), nil
}

// territoryList keeps the records assigned to a territory, or with IncludeChild also to any of its
// descendants. It is one SQL condition with the recursive walk inlined as a subquery, so the database
// resolves the subtree and the records together: no id list is ever built in memory.
func territoryList(t TerritoryScope) predicate {
	// The assignment rows are read from the record_territories_territory index alone: a territory's rows
	// are all of its org, and every query scopes records to the org anyway. Alone, the condition drives
	// the query (the territory's records are fetched by id); beside a selective view, territoryProbe.
	if !t.IncludeChild {
		return predicate{
			sql:  `records.id IN (SELECT rt.record_id FROM record_territories rt WHERE rt.territory_id = ?)`,
			args: []any{int64(t.ID)},
		}
	}
	return predicate{
		sql: `records.id IN (SELECT rt.record_id FROM record_territories rt WHERE rt.territory_id IN (` +
			subtreeCTE + ` SELECT id FROM sub))`,
		args: []any{int64(t.OrgID), int64(t.ID), int64(t.OrgID)},
	}
}

// territoryProbe is the territory filter in the form to use beside a selective condition (a view on an
// indexed field): a per-row probe of the record_territories primary key for the given territories,
// instead of a list of the territories' records. SQLite drives a query from an "id IN (list)" whatever
// its statistics say, or at least materialises the list: with 666,000 records in a subtree that cost
// 0.5 s beside a view selecting 56,000 of 1,000,000 Leads; and a subtree walk inside the probe would run
// once per row.
func territoryProbe(territoryIDs []crmd.ID) predicate {
	if len(territoryIDs) == 0 {
		return noRecord
	}
	return predicate{
		sql:  `EXISTS (SELECT 1 FROM record_territories rt WHERE rt.record_id = records.id AND rt.territory_id IN (` + recPlaceholders(len(territoryIDs)) + `))`,
		args: recIDArgs(territoryIDs),
	}
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
