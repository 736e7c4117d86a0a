package massdelete_test

import (
	"context"
	"testing"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/app"
	"github.com/crmd/crmd/massdelete"
)

// TestDeleteIDsBoundsAndRepeats: the service itself keeps the rules the HTTP layer applies while it
// parses a body, for any other caller: more ids than the limit are refused with Zoho's
// LIMIT_EXCEEDED and nothing is deleted; an id named twice is deleted once and answered twice, the
// second time as no longer live — never an internal error.
func TestDeleteIDsBoundsAndRepeats(t *testing.T) {
	f := newFixture(t, 4)
	ctx := context.Background()
	svc := app.New(f.st, app.Config{MassDelete: massdelete.Settings{IDLimit: 3}}).MassDelete

	_, err := svc.DeleteIDs(ctx, f.c, f.leads, f.ids, nil)
	if ce, ok := crmd.AsError(err); !ok || ce.Code != "LIMIT_EXCEEDED" || ce.Details["limit"] != 3 {
		t.Fatalf("4 ids over a limit of 3: %v", err)
	}
	if n := f.live(f.leads); n != 4 {
		t.Fatalf("a refused call deleted records: %d live of 4", n)
	}

	a, b := f.ids[0], f.ids[1]
	rs, err := svc.DeleteIDs(ctx, f.c, f.leads, []crmd.ID{a, b, a}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rs[0].OK() || rs[0].Value != a || !rs[1].OK() || rs[2].OK() || rs[2].Err.Code != "INVALID_DATA" || rs[2].Err.Details["id"] != a {
		t.Fatalf("results %+v", rs)
	}
	if n := f.live(f.leads); n != 2 {
		t.Fatalf("%d live after deleting 2 of 4", n)
	}
}

// live counts the fixture's Leads still live.
func (f *fixture) live(m *crmd.Module) int {
	f.t.Helper()
	recs, err := f.st.RecordsByID(context.Background(), nil, f.org.Org.ID, m.ID, f.ids)
	if err != nil {
		f.t.Fatal(err)
	}
	n := 0
	for _, r := range recs {
		if r.DeletedTime == 0 {
			n++
		}
	}
	return n
}
