package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/store"
)

// BenchmarkSoftDelete500 measures one transaction that soft-deletes 500 records and writes their audit
// rows: what a mass delete by ids or one batch of a job costs the store. go test ./store -run '^$'
// -bench SoftDelete500 -benchtime 200x (CRMD_TEST_STORE=postgres for PostgreSQL).
func BenchmarkSoftDelete500(b *testing.B) {
	st := crmdtest.OpenStore(b)
	o := crmdtest.NewTeam(b, st, "Acme", "UTC")
	m := o.Module(b, "Leads")
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		var ids []crmd.ID
		err := st.Tx(ctx, func(tx *store.Tx) error {
			first, err := st.AllocIDs(ctx, tx, o.Org.ID, 500)
			if err != nil {
				return err
			}
			recs := make([]crmd.Record, 500)
			for i := range recs {
				recs[i] = crmd.Record{ID: first + crmd.ID(i), OrgID: o.Org.ID, ModuleID: m.ID, OwnerID: o.Admin.ID, CreatedBy: o.Admin.ID,
					ModifiedBy: o.Admin.ID, CreatedTime: 1, ModifiedTime: 1, DisplayName: fmt.Sprint("Lead ", i), Data: []byte(`{}`)}
				ids = append(ids, recs[i].ID)
			}
			return st.InsertRecords(ctx, tx, recs)
		})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		err = st.Tx(ctx, func(tx *store.Tx) error {
			n, err := st.SoftDeleteRecords(ctx, tx, o.Org.ID, m.ID, ids, store.Change{Actor: o.Admin.ID, Via: store.ViaIDs, At: 2})
			if err == nil && n != 500 {
				err = fmt.Errorf("deleted %d", n)
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
