package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/crmd/crmd/internal/testdb"
	"github.com/crmd/crmd/store"
)

// TestCreateOrgOnlyIfEmpty checks the bootstrap guard: of several stores (as several processes would
// open) racing to create the first org of one empty database, exactly one succeeds.
func TestCreateOrgOnlyIfEmpty(t *testing.T) {
	ctx := context.Background()
	path := testdb.DSN(t)
	const racers = 4
	stores := make([]*store.Store, racers)
	for i := range stores {
		st, err := store.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		stores[i] = st
	}
	var wg sync.WaitGroup
	errs := make([]error, racers)
	for i, st := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[i] = st.CreateOrg(ctx, store.NewOrg{Name: "Boot", AdminEmail: "a@boot.test", OnlyIfEmpty: true})
		}()
	}
	wg.Wait()
	created := 0
	for _, err := range errs {
		switch {
		case err == nil:
			created++
		case !errors.Is(err, store.ErrOrgsExist):
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if created != 1 {
		t.Fatalf("%d orgs created, want 1", created)
	}
	if n, err := stores[0].CountOrgs(ctx); err != nil || n != 1 {
		t.Fatalf("CountOrgs = %d, %v", n, err)
	}
	// Without the guard a second org is fine (crmd init).
	if _, _, err := stores[0].CreateOrg(ctx, store.NewOrg{Name: "Two", AdminEmail: "b@two.test"}); err != nil {
		t.Fatal(err)
	}
}

// TestCreateOrgWithClient checks that an org's first OAuth client is stored with the org.
func TestCreateOrgWithClient(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, testdb.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	org, _, err := st.CreateOrg(ctx, store.NewOrg{Name: "C", AdminEmail: "a@c.test",
		Client: &store.Client{ClientID: "1000.TEST", SecretHash: "h", Name: "first"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.FirstClient(ctx, org.ID)
	if err != nil || c.ClientID != "1000.TEST" || c.OrgID != org.ID || c.SecretHash != "h" {
		t.Fatalf("FirstClient = %+v, %v", c, err)
	}
	// A clashing client id rolls the whole org back.
	if _, _, err := st.CreateOrg(ctx, store.NewOrg{Name: "D", AdminEmail: "a@d.test",
		Client: &store.Client{ClientID: "1000.TEST", SecretHash: "h"}}); err == nil {
		t.Fatal("a duplicate client id was accepted")
	}
	if n, _ := st.CountOrgs(ctx); n != 1 {
		t.Fatalf("%d orgs after a failed create, want 1", n)
	}
}
