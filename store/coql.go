package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/criteria"
)

// COQLQuery selects the live records a COQL query asks for (docs/coql.md): a criteria tree, its order
// and a window of it.
type COQLQuery struct {
	OrgID, ModuleID crmd.ID
	// Approval is ApprovedOnly (also when empty), UnapprovedOnly or ApprovedBoth.
	Approval string
	// Where is the condition (nil: every record); it may hold criteria.RelatedTo leaves.
	Where *criteria.Node
	Env   criteria.Env
	// Order are the sort keys, each criteria.Orderable; the id, ascending, breaks ties (Zoho's default
	// order is by id).
	Order []COQLOrder
	// Offset skips rows; Limit caps them (at least 1).
	Offset, Limit int
}

// COQLOrder is one sort key of a COQL query.
type COQLOrder struct {
	Field *crmd.Field
	Desc  bool
}

// SelectCOQL returns the records q selects, in its order. The condition is compiled as a custom view's
// is (compileFilter: the expression indexes and the field_values side table serve it), so the two share
// one semantics; the sort keys are criteria.OrderExpr, empty values first ascending and last descending
// in both dialects, the order criteria.CompareOrder describes.
func (s *Store) SelectCOQL(ctx context.Context, q COQLQuery) ([]*crmd.Record, error) {
	if q.Limit < 1 {
		return nil, fmt.Errorf("select coql: limit %d", q.Limit)
	}
	rq := RecordQuery{OrgID: q.OrgID, ModuleID: q.ModuleID, Approval: q.Approval,
		Filter: RecordFilter{View: &ViewFilter{Criteria: q.Where, Env: q.Env, ModuleID: q.ModuleID}}}
	var where strings.Builder
	args, err := s.recordWhere(ctx, &where, rq, false)
	if err != nil {
		return nil, fmt.Errorf("select coql: %w", err)
	}
	dialect := criteria.SQLite
	if s.Dialect == Postgres {
		dialect = criteria.Postgres
	}
	keys := make([]string, 0, len(q.Order)+1)
	for _, o := range q.Order {
		k := criteria.OrderExpr(o.Field, criteria.Target{Dialect: dialect, Alias: "records"})
		switch {
		case o.Desc && s.Dialect == Postgres:
			k += ` DESC NULLS LAST`
		case o.Desc:
			k += ` DESC`
		case s.Dialect == Postgres:
			k += ` ASC NULLS FIRST`
		default:
			k += ` ASC`
		}
		keys = append(keys, k)
	}
	keys = append(keys, `records.id ASC`)
	query := `SELECT ` + recordCols + ` FROM records WHERE ` + where.String() + ` ORDER BY ` + strings.Join(keys, `, `) + ` LIMIT ? OFFSET ?`
	args = append(args, q.Limit, q.Offset)
	rows, err := s.R.QueryContext(ctx, s.Q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("select coql: %w", err)
	}
	return scanAll(rows, scanRecordRow)
}
