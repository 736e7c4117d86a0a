package views

import (
	"context"
	"fmt"
	"testing"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/criteria"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/store"
)

// Race tests: custom view writes race from two stores opened separately on one database (two crmd
// processes). A user view's name is unique per module (case-insensitively) through the database's
// UNIQUE (module_id, name_lower): a racing create writes nothing (ON CONFLICT DO NOTHING) and a racing
// rename hits the constraint, which the store answers as ErrDuplicate. Both are DUPLICATE_DATA here.

type raceEnv struct {
	svcs []*Service
	c    *crmd.Caller
	m    *crmd.Module
}

func newRaceEnv(t *testing.T) *raceEnv {
	t.Helper()
	stores := crmdtest.OpenStores(t, 2)
	o := crmdtest.NewOrg(t, stores[0], store.NewOrg{Name: "Race", AdminEmail: "a@race.test", AdminLast: "A"})
	return &raceEnv{svcs: []*Service{New(stores[0]), New(stores[1])}, c: o.Caller(o.Admin), m: o.Module(t, "Leads")}
}

// named is a create or rename of one view: id 0 for a create.
func named(id crmd.ID, name string) []Input {
	in := Input{Name: Set(name)}
	if id != 0 {
		in.ID = Set(id)
	}
	return []Input{in}
}

// userViewNames counts the module's user views by lower-cased name.
func (e *raceEnv) userViewNames(t *testing.T) map[string]int {
	t.Helper()
	vs, err := e.svcs[0].st.ModuleViews(context.Background(), e.c.Org.ID, e.m.ID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, v := range vs {
		if !v.IsSystem() {
			out[v.Name]++
		}
	}
	return out
}

func wantDuplicate(t *testing.T, what string, r crmd.Result[*crmd.View]) {
	t.Helper()
	if r.OK() || r.Err.Code != "DUPLICATE_DATA" || r.Err.Details["api_name"] != "name" {
		t.Fatalf("%s: %+v, want DUPLICATE_DATA on name", what, r)
	}
}

// TestCreateViewSameNameRace: views created at once under one name (differing in case, the first
// create of the module also racing to create its system views): exactly one is created.
func TestCreateViewSameNameRace(t *testing.T) {
	e := newRaceEnv(t)
	const n = 10
	outs := make([][]crmd.Result[*crmd.View], n)
	errs := make([]error, n)
	crmdtest.Race(n, func(i int) {
		name := []string{"Hot", "HOT", "hot"}[i%3]
		outs[i], errs[i] = e.svcs[i%2].Create(context.Background(), e.c, e.m, named(0, name))
	})
	created := 0
	for i := range outs {
		if errs[i] != nil {
			t.Fatalf("create %d: %v", i, errs[i])
		}
		if outs[i][0].OK() {
			created++
			continue
		}
		wantDuplicate(t, fmt.Sprint("create ", i), outs[i][0])
	}
	names := e.userViewNames(t)
	if created != 1 || len(names) != 1 {
		t.Fatalf("%d creates succeeded; user views %v", created, names)
	}
}

// TestRenameViewRace: different views renamed to one name at once: exactly one takes it, the others
// are DUPLICATE_DATA and keep their names.
func TestRenameViewRace(t *testing.T) {
	e := newRaceEnv(t)
	const n = 8
	var ids []crmd.ID
	for i := 0; i < n; i++ {
		outs, err := e.svcs[0].Create(context.Background(), e.c, e.m, named(0, fmt.Sprintf("V%d", i)))
		if err != nil || !outs[0].OK() {
			t.Fatalf("create: %v %+v", err, outs)
		}
		ids = append(ids, outs[0].Value.ID)
	}
	outs := make([][]crmd.Result[*crmd.View], n)
	errs := make([]error, n)
	crmdtest.Race(n, func(i int) {
		name := []string{"Target", "TARGET"}[i%2]
		outs[i], errs[i] = e.svcs[i%2].Update(context.Background(), e.c, e.m, named(ids[i], name))
	})
	renamed := 0
	for i := range outs {
		if errs[i] != nil {
			t.Fatalf("rename %d: %v", i, errs[i])
		}
		if outs[i][0].OK() {
			renamed++
			continue
		}
		wantDuplicate(t, fmt.Sprint("rename ", i), outs[i][0])
	}
	names := e.userViewNames(t)
	if renamed != 1 || len(names) != n || names["Target"]+names["TARGET"] != 1 {
		t.Fatalf("%d renames succeeded; user views %v", renamed, names)
	}
}

// TestUpdateViewRaceLosesNoKey: updates of different keys of one view race. Each applies its keys to
// the view as it reads it and writes every changeable column back, so each must read and write in one
// transaction holding the row (store.PatchView): every key set must survive, on SQLite too.
func TestUpdateViewRaceLosesNoKey(t *testing.T) {
	e := newRaceEnv(t)
	crit, err := criteria.Parse(map[string]any{"field": map[string]any{"api_name": "Company"}, "comparator": "equal", "value": "Zylker"}, e.m)
	if err != nil {
		t.Fatal(err)
	}
	items := []Input{
		{Name: Set("Renamed")},
		{Fields: Set([]*crmd.Field{e.m.Field("Last_Name"), e.m.Field("Company")})},
		{SortBy: Set(e.m.Field("Company"))},
		{SortOrder: Set("desc")},
		{AccessType: Set(AccessPublic)},
		{Criteria: Set(crit)},
	}
	for round := 0; round < 3; round++ {
		outs, err := e.svcs[0].Create(context.Background(), e.c, e.m, named(0, fmt.Sprintf("Base%d", round)))
		if err != nil || !outs[0].OK() {
			t.Fatalf("create: %v %+v", err, outs)
		}
		id := outs[0].Value.ID
		res := make([][]crmd.Result[*crmd.View], len(items))
		errs := make([]error, len(items))
		crmdtest.Race(len(items), func(i int) {
			item := items[i]
			item.ID = Set(id)
			if i == 0 {
				item.Name = Set(fmt.Sprintf("Renamed%d", round))
			}
			res[i], errs[i] = e.svcs[i%2].Update(context.Background(), e.c, e.m, []Input{item})
		})
		for i := range res {
			if errs[i] != nil || !res[i][0].OK() {
				t.Fatalf("round %d, update %d: %v %+v", round, i, errs[i], res[i])
			}
		}
		v, err := e.svcs[0].st.View(context.Background(), e.c.Org.ID, e.m.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if v.Name != fmt.Sprintf("Renamed%d", round) || fmt.Sprint(v.Fields) != "[Last_Name Company]" || v.SortBy != "Company" ||
			v.SortOrder != "desc" || v.AccessType != AccessPublic || len(v.Criteria) == 0 {
			t.Fatalf("round %d: a key was lost: %+v (criteria %s)", round, v, v.Criteria)
		}
	}
}
