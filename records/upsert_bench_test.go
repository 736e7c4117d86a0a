package records

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"testing"

	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/jobs"
	"github.com/crmd/crmd/territories"
	"github.com/crmd/crmd/views"
)

// benchLeads is how many Leads the upsert benchmark's module holds before it is measured.
const benchLeads = 20_000

// BenchmarkUpsert100 measures one upsert request of 100 Leads into a module of benchLeads records, half
// of the entries matching existing records scattered over the module on the default duplicate check
// field (Email), beside its floor measured in the same run: one insert request of 100 Leads (the same
// validation and transaction, without the duplicate lookups). "indexed" is crmd as it runs: the upsert
// asks for Email's index (views.IndexFields) and the job runner builds it; "unindexed" leaves the index
// job unrun, so every entry's lookup reads the JSON of the whole module — what upsert cost before it
// asked for the index.
//
//	go test ./records -run '^$' -bench 'Upsert100' -count 5
func BenchmarkUpsert100(b *testing.B) {
	for _, indexed := range []bool{true, false} {
		name := "unindexed"
		if indexed {
			name = "indexed"
		}
		b.Run(name, func(b *testing.B) { benchUpsert(b, indexed) })
	}
}

func benchUpsert(b *testing.B, indexed bool) {
	ctx := context.Background()
	st := crmdtest.OpenStore(b)
	org := crmdtest.NewTeam(b, st, "Acme", "UTC")
	vs := views.New(st)
	runner := jobs.New(st, jobs.Config{}, slog.New(slog.DiscardHandler))
	vs.Attach(runner)
	svc := New(st, vs, territories.New(st))
	c, m := org.Caller(org.Admin), org.Module(b, "Leads")
	lead := func(email string) map[string]any { return map[string]any{"Last_Name": "Bench", "Email": email} }
	check := func(w *Written, err error) {
		b.Helper()
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range w.Results {
			if !r.OK() {
				b.Fatal(r.Err)
			}
		}
	}
	for start := 0; start < benchLeads; start += 100 {
		es := make([]Entry, 100)
		for i := range es {
			es[i] = Entry{Pos: i, Values: lead(fmt.Sprintf("seed%d@zylker.test", start+i))}
		}
		check(svc.Insert(ctx, c, m, es))
	}
	// The first upsert asks for Email's index; with indexed, the runner builds it before measuring.
	u, err := svc.Upsert(ctx, c, m, []Entry{{Values: lead("seed0@zylker.test")}}, nil)
	check(&u.Written, err)
	for indexed {
		ran, err := runner.RunOnce(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if !ran {
			break
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	fresh := 0
	newBatch := func(matching int) []Entry {
		es := make([]Entry, 100)
		for i := range es {
			email := fmt.Sprintf("new%d@zylker.test", fresh)
			fresh++
			if i < matching {
				email = fmt.Sprintf("seed%d@zylker.test", rng.IntN(benchLeads))
			}
			es[i] = Entry{Pos: i, Values: lead(email)}
		}
		return es
	}
	b.Run("insert-floor", func(b *testing.B) {
		for n := 0; n < b.N; n++ {
			check(svc.Insert(ctx, c, m, newBatch(0)))
		}
	})
	b.Run("upsert-half-matching", func(b *testing.B) {
		for n := 0; n < b.N; n++ {
			u, err := svc.Upsert(ctx, c, m, newBatch(50), nil)
			if err != nil {
				b.Fatal(err)
			}
			check(&u.Written, nil)
			if u.Actions[0] != ActionUpdate || u.Actions[99] != ActionInsert {
				b.Fatalf("actions: %v … %v", u.Actions[0], u.Actions[99])
			}
		}
	})
}
