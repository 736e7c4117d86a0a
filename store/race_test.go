package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/catalog"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/store"
)

// Race tests of the store's check-then-write operations: goroutines on two stores opened separately
// on one database (two crmd processes sharing it) race one operation. On PostgreSQL nothing but a
// constraint, a row lock or a single conditional statement keeps two READ COMMITTED transactions from
// both acting on what they each read; on SQLite a write transaction holds the only write lock from
// BEGIN. Either way exactly the right number must win, the losers get the store's ruled error and the
// final state must be one a serial order gives.

// raceOrg opens two stores on one fresh database and creates an org with the standard catalog.
func raceOrg(t *testing.T) ([]*store.Store, *crmd.Org, *crmd.User) {
	t.Helper()
	stores := crmdtest.OpenStores(t, 2)
	org, admin, err := stores[0].CreateOrg(context.Background(), store.NewOrg{Name: "Race", AdminEmail: "a@race.test", AdminLast: "A", Modules: catalog.Standard()})
	if err != nil {
		t.Fatal(err)
	}
	return stores, org, admin
}

// TestCreateUserRace: of users added at once with one email (spelled in different cases), exactly one
// is created; the others get ErrDuplicate, which `crmd user add` reports as "already has a user".
func TestCreateUserRace(t *testing.T) {
	stores, org, _ := raceOrg(t)
	const n = 12
	errs := make([]error, n)
	crmdtest.Race(n, func(i int) {
		email := "dup@race.test"
		if i%3 == 1 {
			email = " DUP@Race.test "
		}
		_, errs[i] = stores[i%2].CreateUser(context.Background(), org.ID, store.NewUser{Email: email, LastName: fmt.Sprint(i)})
	})
	created := 0
	for i, err := range errs {
		switch {
		case err == nil:
			created++
		case !errors.Is(err, store.ErrDuplicate):
			t.Fatalf("racer %d: %v", i, err)
		}
	}
	users, err := stores[0].Users(context.Background(), org.ID)
	if err != nil {
		t.Fatal(err)
	}
	same := 0
	for _, u := range users {
		if u.Email == "dup@race.test" {
			same++
		}
	}
	if created != 1 || same != 1 {
		t.Fatalf("%d creates succeeded, %d users with the email; want 1 and 1", created, same)
	}
}

// TestAddCustomModuleRace: custom modules added at once, half of them under one api name (differing
// in case). Exactly one of those is added and the rest get ErrDuplicate; the others are all added. The
// added modules have distinct CustomModuleN names numbered 1…k without gaps (a loser's number is
// rolled back with it) and distinct sequence numbers after the standard modules'.
func TestAddCustomModuleRace(t *testing.T) {
	stores, org, _ := raceOrg(t)
	ctx := context.Background()
	std, err := stores[0].Modules(ctx, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	maxStd := 0
	for _, m := range std {
		maxStd = max(maxStd, m.SequenceNumber)
	}
	const n = 12
	errs := make([]error, n)
	mods := make([]*crmd.Module, n)
	crmdtest.Race(n, func(i int) {
		name := fmt.Sprintf("Own%d", i)
		if i%2 == 0 {
			name = []string{"Projects", "PROJECTS", "projects"}[i%3]
		}
		mods[i], errs[i] = stores[i%2].AddCustomModule(ctx, org.ID, func(moduleName string, seq int) *crmd.Module {
			m := catalog.NewCustomModule(name, moduleName, name, name, nil)
			m.SequenceNumber = seq
			return m
		})
	})
	var names []string
	seqs := map[int]bool{}
	dups := 0
	for i, err := range errs {
		switch {
		case err == nil:
			names = append(names, mods[i].ModuleName)
			if seqs[mods[i].SequenceNumber] || mods[i].SequenceNumber <= maxStd {
				t.Errorf("module %s: sequence number %d reused or not after %d", mods[i].APIName, mods[i].SequenceNumber, maxStd)
			}
			seqs[mods[i].SequenceNumber] = true
		case errors.Is(err, store.ErrDuplicate) && i%2 == 0:
			dups++
		default:
			t.Fatalf("racer %d: %v", i, err)
		}
	}
	var want []string
	for k := 1; k <= n/2+1; k++ {
		want = append(want, fmt.Sprintf("CustomModule%d", k))
	}
	slices.Sort(names)
	slices.Sort(want)
	if dups != n/2-1 || !slices.Equal(names, want) {
		t.Fatalf("%d duplicates (want %d); modules %v, want %v", dups, n/2-1, names, want)
	}
}

// TestSequencesRace: ids and autonumbers drawn at once from two processes never overlap (each draw is
// one UPDATE … RETURNING on the counter's row).
func TestSequencesRace(t *testing.T) {
	stores, org, _ := raceOrg(t)
	ctx := context.Background()
	cases, err := stores[0].Module(ctx, org.ID, "Cases")
	if err != nil || cases == nil {
		t.Fatalf("Cases: %v", err)
	}
	const n = 16
	ids := make([]crmd.ID, n)
	autos := make([]int64, n)
	errs := make([]error, n)
	crmdtest.Race(n, func(i int) {
		st := stores[i%2]
		errs[i] = st.Tx(ctx, func(tx *store.Tx) error {
			var err error
			if ids[i], err = st.AllocIDs(ctx, tx, org.ID, 1+i%5); err != nil {
				return err
			}
			autos[i], err = st.NextAutonumbers(ctx, tx, cases.ID, 1+i%3)
			return err
		})
	})
	seenID, seenAuto := map[crmd.ID]bool{}, map[int64]bool{}
	for i := range errs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		for k := 0; k < 1+i%5; k++ {
			if id := ids[i] + crmd.ID(k); seenID[id] {
				t.Fatalf("id %s handed out twice", id)
			} else {
				seenID[id] = true
			}
		}
		for k := 0; k < 1+i%3; k++ {
			if a := autos[i] + int64(k); seenAuto[a] {
				t.Fatalf("autonumber %d handed out twice", a)
			} else {
				seenAuto[a] = true
			}
		}
	}
}

// TestUseGrantRace: a grant code exchanged by many requests at once is used exactly once; the others
// find it gone (ErrNotFound, which the token endpoint answers as invalid_code).
func TestUseGrantRace(t *testing.T) {
	stores, org, admin := raceOrg(t)
	ctx := context.Background()
	if err := stores[0].CreateClient(ctx, store.Client{ClientID: "1000.RACE", OrgID: org.ID, SecretHash: "h", Name: "race"}); err != nil {
		t.Fatal(err)
	}
	if err := stores[0].CreateGrant(ctx, store.Grant{CodeHash: "code", ClientID: "1000.RACE", OrgID: org.ID, UserID: admin.ID,
		Scope: "ZohoCRM.modules.ALL", ExpiresAt: stores[0].NowMS() + 60_000}); err != nil {
		t.Fatal(err)
	}
	const n = 12
	errs := make([]error, n)
	crmdtest.Race(n, func(i int) { _, errs[i] = stores[i%2].UseGrant(ctx, "code") })
	used := 0
	for i, err := range errs {
		switch {
		case err == nil:
			used++
		case !errors.Is(err, store.ErrNotFound):
			t.Fatalf("racer %d: %v", i, err)
		}
	}
	if used != 1 {
		t.Fatalf("the code was used %d times", used)
	}
}

// binned inserts n Leads of the org, each assigned to the root territory, and moves them to the bin.
func binned(t *testing.T, st *store.Store, org *crmd.Org, admin *crmd.User, n int) []crmd.ID {
	t.Helper()
	ctx := context.Background()
	leads, err := st.Module(ctx, org.ID, "Leads")
	if err != nil {
		t.Fatal(err)
	}
	root, err := st.EnsureRootTerritory(ctx, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []crmd.ID
	err = st.Tx(ctx, func(tx *store.Tx) error {
		first, err := st.AllocIDs(ctx, tx, org.ID, n)
		if err != nil {
			return err
		}
		recs := make([]crmd.Record, n)
		for i := range recs {
			recs[i] = crmd.Record{ID: first + crmd.ID(i), OrgID: org.ID, ModuleID: leads.ID, OwnerID: admin.ID, CreatedBy: admin.ID,
				ModifiedBy: admin.ID, DisplayName: "R", Data: []byte(`{"Last_Name":"R"}`)}
			ids = append(ids, recs[i].ID)
		}
		if err := st.InsertRecords(ctx, tx, recs); err != nil {
			return err
		}
		for _, id := range ids {
			if err := st.AssignTerritories(ctx, tx, org.ID, id, []crmd.ID{root.ID}, admin.ID, 1); err != nil {
				return err
			}
		}
		_, err = st.SoftDeleteRecords(ctx, tx, org.ID, leads.ID, ids, store.Change{Actor: admin.ID, Via: store.ViaIDs, At: 1})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// checkBin checks that each of ids is either live with its one territory or purged without it, and
// returns how many are live.
func checkBin(t *testing.T, st *store.Store, org *crmd.Org, ids []crmd.ID) int {
	t.Helper()
	ctx := context.Background()
	leads, _ := st.Module(ctx, org.ID, "Leads")
	recs, err := st.RecordsByID(ctx, nil, org.ID, leads.ID, ids)
	if err != nil {
		t.Fatal(err)
	}
	terrs, err := st.RecordTerritories(ctx, nil, org.ID, ids)
	if err != nil {
		t.Fatal(err)
	}
	live := 0
	for _, id := range ids {
		r := recs[id]
		switch {
		case r.DeletedTime == 0 && len(terrs[id]) == 1:
			live++
		case r.PurgedTime != 0 && len(terrs[id]) == 0:
		default:
			t.Errorf("%s: deleted %d, purged %d, %d territories", id, r.DeletedTime, r.PurgedTime, len(terrs[id]))
		}
	}
	return live
}

// TestPurgeRestoreRace races the store's own RestoreRecords, PurgeRecords and PurgeDueIDs on the
// same bin records, without the service's LockRecords: each record leaves the bin once, the counts
// they return add up, and a purge that lost a record to a restore leaves the restored record's
// territory rows alone.
func TestPurgeRestoreRace(t *testing.T) {
	stores, org, admin := raceOrg(t)
	ctx := context.Background()
	for round := 0; round < 4; round++ {
		ids := binned(t, stores[0], org, admin, 40)
		const n = 8
		changed := make([]int64, n)
		errs := make([]error, n)
		crmdtest.Race(n, func(i int) {
			st := stores[i%2]
			order := slices.Clone(ids)
			if i%4 >= 2 {
				slices.Reverse(order)
			}
			errs[i] = st.Tx(ctx, func(tx *store.Tx) error {
				var err error
				switch i % 4 {
				case 0, 3:
					changed[i], err = st.RestoreRecords(ctx, tx, org.ID, order, store.Change{Via: store.ViaRecycleBin, At: 2})
				case 1:
					changed[i], err = st.PurgeRecords(ctx, tx, org.ID, order, store.Change{Via: store.ViaRecycleBin, At: 2})
				case 2:
					changed[i], err = st.PurgeDueIDs(ctx, tx, org.ID, order, 2, store.Change{Via: store.ViaRetention, At: 2})
				}
				return err
			})
		})
		var total int64
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, racer %d: %v", round, i, err)
			}
			total += changed[i]
		}
		if total != int64(len(ids)) {
			t.Fatalf("round %d: %d records changed, want %d", round, total, len(ids))
		}
		checkBin(t, stores[0], org, ids)
	}
}
