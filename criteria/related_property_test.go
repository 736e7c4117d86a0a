package criteria

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/crmd/crmd"
	"pgregory.net/rapid"
)

// The property of RelatedTo leaves and of ordering (see the package doc): over random base records
// whose Account lookups point at random target records (live or deleted, of this org or another), a
// random tree holding a RelatedTo leaf selects, in SQL, exactly the rows EvalRelated accepts; and ORDER BY
// OrderExpr (NULLS FIRST ascending, NULLS LAST descending on PostgreSQL) with the id as the last key
// gives exactly the order CompareOrder gives.

const (
	relBase   crmd.ID = 9  // the module of the rows tested
	relTarget crmd.ID = 10 // the module Account points to
)

func TestPropertyRelatedSQLiteMatchesEval(t *testing.T) {
	db := sqliteDB(t, `CREATE TABLE records (id INTEGER PRIMARY KEY, org_id INTEGER NOT NULL, module_id INTEGER NOT NULL,
		deleted_time INTEGER, owner_id INTEGER NOT NULL, created_by INTEGER NOT NULL, modified_by INTEGER NOT NULL,
		created_time INTEGER NOT NULL, modified_time INTEGER NOT NULL, data TEXT NOT NULL)`)
	runRelatedProperty(t, &backend{db: db, dialect: SQLite, table: "records"})
}

func TestPropertyRelatedPostgresMatchesEval(t *testing.T) {
	// The RelatedTo subquery names the table records, unqualified: postgresDB puts the schema on the
	// search path.
	db := postgresDB(t, `CREATE TABLE records (id bigint PRIMARY KEY, org_id bigint NOT NULL, module_id bigint NOT NULL,
		deleted_time bigint, owner_id bigint NOT NULL, created_by bigint NOT NULL, modified_by bigint NOT NULL,
		created_time bigint NOT NULL, modified_time bigint NOT NULL, data jsonb NOT NULL)`)
	runRelatedProperty(t, &backend{db: db, dialect: Postgres, table: "records"})
}

// relRow is a row with where it belongs.
type relRow struct {
	testRow
	org, module crmd.ID
	deleted     bool
}

func runRelatedProperty(t *testing.T, b *backend) {
	m := testModule()
	account := m.Field("Account")
	orderable := []*crmd.Field{IDField}
	for _, f := range m.Fields {
		if Orderable(f) {
			orderable = append(orderable, f)
		}
	}
	var checks, hits int
	rapid.Check(t, func(rt *rapid.T) {
		g := &gen{t: rt, m: m}
		env := g.env()
		var all []relRow
		for _, r := range g.rows(env) {
			all = append(all, relRow{testRow: r, org: 1, module: relBase, deleted: g.chance(8)})
		}
		rel := map[string]*Row{}
		for i, r := range g.rows(env) {
			r.row.ID = crmd.ID(5001 + i) // the ids stored lookups name (see gen.stored)
			rr := relRow{testRow: r, org: 1, module: relTarget, deleted: g.chance(4)}
			if g.chance(5) {
				rr.org = 2
			}
			all = append(all, rr)
			if rr.org == 1 && !rr.deleted {
				row := rr.row
				rel[row.ID.String()] = &row
			}
		}
		tx, err := b.db.Begin()
		if err != nil {
			rt.Fatal(err)
		}
		if _, err := tx.Exec("DELETE FROM records"); err != nil {
			rt.Fatal(err)
		}
		for _, r := range all {
			var del any
			if r.deleted {
				del = int64(1)
			}
			if _, err := tx.Exec(b.sql(`INSERT INTO records (id, org_id, module_id, deleted_time, owner_id, created_by, modified_by,
				created_time, modified_time, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), int64(r.row.ID), int64(r.org), int64(r.module), del,
				int64(r.row.OwnerID), int64(r.row.CreatedBy), int64(r.row.ModifiedBy), r.row.CreatedTime, r.row.ModifiedTime, r.data); err != nil {
				rt.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			rt.Fatal(err)
		}
		related := func(mod crmd.ID, id string) *Row {
			if mod != relTarget {
				return nil
			}
			return rel[id]
		}
		for i := 0; i < 20; i++ {
			sub, err := Parse(g.node(0), m)
			if err != nil {
				rt.Fatalf("generated criteria rejected: %v", err)
			}
			n := &Node{Field: account, Comparator: RelatedTo, Sub: sub, SubOrg: 1, SubModule: relTarget}
			if g.chance(2) {
				other, err := Parse(g.node(1), m)
				if err != nil {
					rt.Fatalf("generated criteria rejected: %v", err)
				}
				n = &Node{Op: g.pickS("and", "or"), Members: []*Node{other, n}}
			}
			var keys []*crmd.Field
			var desc []bool
			for k := g.intn(0, 3); k > 0; k-- {
				keys = append(keys, orderable[g.intn(0, len(orderable)-1)])
				desc = append(desc, g.chance(2))
			}
			tgt := Target{Dialect: b.dialect, Alias: "r"}
			where, args := Compile(n, tgt, env)
			order := ""
			for j, f := range keys {
				order += OrderExpr(f, tgt)
				switch {
				case desc[j] && b.dialect == Postgres:
					order += " DESC NULLS LAST"
				case desc[j]:
					order += " DESC"
				case b.dialect == Postgres:
					order += " ASC NULLS FIRST"
				}
				order += ", "
			}
			if q := strings.Count(where, "?"); q != len(args) {
				rt.Fatalf("%d placeholders for %d args in %s", q, len(args), where)
			}
			query := "SELECT r.id FROM records r WHERE r.org_id = 1 AND r.module_id = 9 AND r.deleted_time IS NULL AND " + where +
				" ORDER BY " + order + "r.id"
			rs, err := b.db.Query(b.sql(query), args...)
			if err != nil {
				rt.Fatalf("query failed: %v\n%s", err, query)
			}
			var got []int64
			for rs.Next() {
				var id int64
				if err := rs.Scan(&id); err != nil {
					rt.Fatal(err)
				}
				got = append(got, id)
			}
			rs.Close()
			var rows []*Row
			for _, r := range all {
				if r.org == 1 && r.module == relBase && !r.deleted && EvalRelated(n, &r.row, env, related) {
					row := r.row
					rows = append(rows, &row)
				}
			}
			sort.SliceStable(rows, func(x, y int) bool {
				for j, f := range keys {
					c := CompareOrder(f, rows[x], rows[y])
					if desc[j] {
						c = -c
					}
					if c != 0 {
						return c < 0
					}
				}
				return rows[x].ID < rows[y].ID
			})
			want := make([]int64, len(rows))
			for j, r := range rows {
				want[j] = int64(r.ID)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				js, _ := json.Marshal(keys)
				rt.Fatalf("SQL and EvalRelated/CompareOrder disagree\nSQL %s\nargs %#v\norder %s desc %v\n got %v\nwant %v", query, args, js, desc, got, want)
			}
			checks++
			if len(got) > 0 {
				hits++
			}
		}
	})
	t.Logf("%d related trees checked, %d selected some record", checks, hits)
	if hits == 0 {
		t.Fatal("no related tree selected any record: the property checked nothing")
	}
}
