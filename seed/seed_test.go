package seed_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/crmd/crmd/admin"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/seed"
	"github.com/crmd/crmd/store"
)

// TestSeedNumbersCases checks that seeded Cases get consecutive Case_Numbers, continuing the module's
// counter across runs.
func TestSeedNumbersCases(t *testing.T) {
	ctx := context.Background()
	st := crmdtest.OpenStore(t)
	n, err := admin.CreateOrg(ctx, st, "numbers", "admin@numbers.test", false)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := seed.New(ctx, st, n.Org, "Cases", 1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for run := 0; run < 2; run++ {
		if _, err := sd.Run(ctx, 30, nil); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := st.ListRecords(ctx, store.RecordQuery{OrgID: n.Org.ID, ModuleID: sd.Module.ID, Desc: false})
	if err != nil {
		t.Fatal(err)
	}
	want := 1
	for _, r := range recs {
		data, err := r.Fields()
		if err != nil {
			t.Fatal(err)
		}
		if got := data["Case_Number"]; got != strconv.Itoa(want) {
			t.Fatalf("case %d has Case_Number %v", want, got)
		}
		want++
	}
	if want != 61 {
		t.Fatalf("%d cases numbered, want 60", want-1)
	}
}
