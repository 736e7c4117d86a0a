package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/catalog"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/oauth"
	"github.com/crmd/crmd/store"
)

// dataFingerprint is the fingerprint of crmd's own tables: the snapshots' registry and copies are left
// out, so that states taken before and after a snapshot was created or deleted compare.
func dataFingerprint(t *testing.T, st *store.Store) crmdtest.Fingerprint {
	t.Helper()
	fp := crmdtest.TakeFingerprint(t, st, 0)
	for table := range fp {
		if strings.HasPrefix(table, "snap_") || table == "snapshots" || table == "snapshot_sequences" || table == "schema_migrations" {
			delete(fp, table)
		}
	}
	return fp
}

// snapCopies lists the snapshot copies in the database (tables named snap_…).
func snapCopies(t *testing.T, st *store.Store) []string {
	t.Helper()
	var out []string
	tables, err := st.AllTables(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range tables {
		if strings.HasPrefix(table, "snap_") {
			out = append(out, table)
		}
	}
	return out
}

func mustSnapshot(t *testing.T, st *store.Store, name string) {
	t.Helper()
	if err := st.CreateSnapshot(context.Background(), name); err != nil {
		t.Fatal(err)
	}
}

func mustRestore(t *testing.T, st *store.Store, name string) {
	t.Helper()
	if err := st.RestoreSnapshot(context.Background(), name); err != nil {
		t.Fatal(err)
	}
}

// addJob inserts a SCHEDULED mass delete job over ids into an org's module and returns its id.
func addJob(t *testing.T, f *binFixture, o *crmdtest.Org, m *crmd.Module, ids []crmd.ID) crmd.ID {
	t.Helper()
	ctx := context.Background()
	var id crmd.ID
	f.tx(t, func(tx *store.Tx) error {
		var err error
		if id, err = f.st.AllocIDs(ctx, tx, o.Org.ID, 1); err != nil {
			return err
		}
		ok, err := f.st.InsertJob(ctx, tx, &crmd.Job{ID: id, Kind: crmd.JobMassDelete, OrgID: o.Org.ID, ModuleID: m.ID,
			LockKey: fmt.Sprintf("snaptest:%d", id), Status: crmd.JobScheduled, TotalCount: int64(len(ids)),
			CreatedBy: o.Admin.ID, CreatedTime: f.st.NowMS()})
		if err != nil || !ok {
			return fmt.Errorf("insert job: %v %v", ok, err)
		}
		return f.st.AddJobItems(ctx, tx, id, 0, ids)
	})
	return id
}

// auditIDs returns the ids of an org's audit rows, newest first.
func auditIDs(t *testing.T, st *store.Store, orgID crmd.ID) []crmd.ID {
	t.Helper()
	rows, err := st.ListAudit(context.Background(), store.AuditQuery{OrgID: orgID})
	if err != nil {
		t.Fatal(err)
	}
	var out []crmd.ID
	for _, r := range rows {
		out = append(out, r.ID)
	}
	return out
}

// TestSnapshotRestoreUndoesChanges changes records, users, tokens, jobs and orgs after a
// snapshot (inserts, updates, deletes) and restores it: every table is as it was, row for row, and crmd
// then gives the same ids again.
func TestSnapshotRestoreUndoesChanges(t *testing.T) {
	f := newBinFixture(t)
	st := f.st
	ctx := context.Background()
	clock := crmdtest.UseClock(st, time.UnixMilli(1_700_000_000_000))
	ids := f.add(t, f.a, f.leadsA, f.a.Admin, "Ann", "Ben", "Cy", "Dee")
	f.del(t, f.a, f.leadsA, f.a.Admin, 500, ids[3])
	tok := f.a.Token(t, f.a.Admin, "ZohoCRM.modules.ALL")
	job := addJob(t, f, f.a, f.leadsA, ids[:2])

	mustSnapshot(t, st, "base")
	before := dataFingerprint(t, st)
	auditBefore := auditIDs(t, st, f.a.Org.ID)
	snaps, err := st.Snapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 1 || snaps[0].Name != "base" || snaps[0].CreatedAt != 1_700_000_000_000 || snaps[0].Rows < 100 {
		t.Fatalf("snapshots %+v", snaps)
	}

	// Every kind of change, through the store's own methods.
	clock.Advance(time.Hour)
	added := f.add(t, f.a, f.leadsA, f.a.Admin, "New")
	f.tx(t, func(tx *store.Tx) error {
		recs, err := st.RecordsByID(ctx, tx, f.a.Org.ID, f.leadsA.ID, ids[:1])
		if err != nil {
			return err
		}
		r := recs[ids[0]]
		r.Data, r.DisplayName, r.ModifiedTime = []byte(`{"Last_Name":"Changed"}`), "Changed", 9999
		return st.UpdateRecords(ctx, tx, []*crmd.Record{r})
	})
	f.del(t, f.a, f.leadsA, f.a.Std, 600, ids[1])
	auditAfter := auditIDs(t, st, f.a.Org.ID) // the deletion's audit row, newest first
	f.tx(t, func(tx *store.Tx) error {
		_, err := st.PurgeRecords(ctx, tx, f.a.Org.ID, ids[3:4], store.Change{Actor: f.a.Admin.ID, Via: store.ViaRecycleBin, At: 700})
		return err
	})
	f.a.AddUser(t, store.NewUser{Email: "new@acme.test", FirstName: "New", LastName: "User", Profile: crmd.ProfileStandard})
	if _, err := st.W.ExecContext(ctx, st.Q(`UPDATE users SET first_name = ? WHERE id = ?`), "Renamed", int64(f.a.Std.ID)); err != nil {
		t.Fatal(err)
	}
	newTok := f.a.Token(t, f.a.Std, "ZohoCRM.modules.ALL")
	if ok, err := st.RevokeToken(ctx, oauth.HashToken(tok)); err != nil || !ok {
		t.Fatalf("revoke: %v %v", ok, err)
	}
	if j, err := st.RequestJobCancel(ctx, f.a.Org.ID, job, st.NowMS()); err != nil || j.Status != crmd.JobCancelled {
		t.Fatalf("cancel: %+v %v", j, err)
	}
	if n, err := st.PurgeJobs(ctx, st.NowMS()+1); err != nil || n != 1 {
		t.Fatalf("purge jobs: %d %v", n, err)
	}
	newJob := addJob(t, f, f.b, f.leadsB, nil)
	gamma := crmdtest.NewTeam(t, st, "Gamma", "UTC")
	if diff := before.Diff(dataFingerprint(t, st)); diff == "" {
		t.Fatal("the changes changed nothing")
	}

	mustRestore(t, st, "base")
	if diff := before.Diff(dataFingerprint(t, st)); diff != "" {
		t.Fatalf("after the restore: %s", diff)
	}
	// The same, seen through the store's methods.
	if r, err := st.LiveRecord(ctx, f.a.Org.ID, f.leadsA.ID, ids[0]); err != nil || r.DisplayName != "Ann" {
		t.Errorf("updated record: %+v %v", r, err)
	}
	if _, err := st.LiveRecord(ctx, f.a.Org.ID, f.leadsA.ID, ids[1]); err != nil {
		t.Errorf("deleted record: %v", err)
	}
	if _, err := st.LiveRecord(ctx, f.a.Org.ID, f.leadsA.ID, added[0]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("added record: %v", err)
	}
	if _, err := st.Org(ctx, gamma.Org.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("org created after the snapshot: %v", err)
	}
	if u, err := st.UserByEmail(ctx, f.a.Org.ID, "new@acme.test"); err == nil {
		t.Errorf("user added after the snapshot: %+v", u)
	}
	if tk, err := st.TokenByHash(ctx, oauth.HashToken(tok)); err != nil || tk.RevokedAt != 0 {
		t.Errorf("revoked token: %+v %v", tk, err)
	}
	if _, err := st.TokenByHash(ctx, oauth.HashToken(newTok)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("token minted after the snapshot: %v", err)
	}
	if j, err := st.JobByID(ctx, job); err != nil || j.Status != crmd.JobScheduled {
		t.Errorf("cancelled and purged job: %+v %v", j, err)
	}
	if n, err := st.CountJobItems(ctx, job); err != nil || n != 2 {
		t.Errorf("job items: %d %v", n, err)
	}
	if _, err := st.JobByID(ctx, newJob); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("job created after the snapshot: %v", err)
	}
	if _, err := st.Module(ctx, f.a.Org.ID, "Leads"); err != nil {
		t.Errorf("modules after the restore: %v", err)
	}

	// crmd goes on from the snapshot: the next ids are the ones it gave after it the first time, audit
	// rows included (PostgreSQL's identity sequence is set back too).
	if again := f.add(t, f.a, f.leadsA, f.a.Admin, "New"); again[0] != added[0] {
		t.Errorf("next record id %s, the first time %s", again[0], added[0])
	}
	f.del(t, f.a, f.leadsA, f.a.Std, 600, ids[1])
	if got := auditIDs(t, st, f.a.Org.ID); len(got) != len(auditBefore)+1 || got[0] != auditAfter[0] {
		t.Errorf("audit ids after the restore %v, the first time %v", got, auditAfter)
	}
}

// TestSnapshotRestoreForgetsCachedModules adds a custom module after a snapshot, restores it and adds
// another: the org's meta_version, which keys the store's module cache, is the same number both times,
// and the store must still answer with the second module, not the first.
func TestSnapshotRestoreForgetsCachedModules(t *testing.T) {
	st := crmdtest.OpenStore(t)
	ctx := context.Background()
	o := crmdtest.NewTeam(t, st, "Acme", "UTC")
	mustSnapshot(t, st, "s")
	add := func(name string) {
		t.Helper()
		_, err := st.AddCustomModule(ctx, o.Org.ID, func(moduleName string, seq int) *crmd.Module {
			m := catalog.NewCustomModule(name, moduleName, name, name, nil)
			m.SequenceNumber = seq
			return m
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	add("Projects")
	if _, err := st.Module(ctx, o.Org.ID, "Projects"); err != nil {
		t.Fatal(err) // now in the cache
	}
	mustRestore(t, st, "s")
	add("Invoices2")
	if m, err := st.Module(ctx, o.Org.ID, "Projects"); !errors.Is(err, store.ErrNotFound) && m != nil {
		t.Errorf("the module added before the restore is still served: %+v %v", m.APIName, err)
	}
	if m, err := st.Module(ctx, o.Org.ID, "Invoices2"); err != nil || m == nil {
		t.Errorf("the module added after the restore: %v %v", m, err)
	}
}

// TestSnapshotNames checks names, duplicates, unknown snapshots and the list's order.
func TestSnapshotNames(t *testing.T) {
	st := crmdtest.OpenStore(t)
	ctx := context.Background()
	clock := crmdtest.UseClock(st, time.UnixMilli(1_700_000_000_000))
	crmdtest.NewTeam(t, st, "Acme", "UTC")
	for _, bad := range []string{"", "A", "Base", "with space", "a.b", "a/b", "é", "x;drop", `a"b`, strings.Repeat("a", 65)} {
		for op, fn := range map[string]func(context.Context, string) error{
			"create": st.CreateSnapshot, "restore": st.RestoreSnapshot, "delete": st.DeleteSnapshot,
		} {
			if err := fn(ctx, bad); !errors.Is(err, store.ErrSnapshotName) {
				t.Errorf("%s %q: %v, want ErrSnapshotName", op, bad, err)
			}
		}
	}
	long := strings.Repeat("z", 64)
	for _, good := range []string{"b", long, "x-1_y", "0"} {
		mustSnapshot(t, st, good)
		clock.Advance(time.Second)
	}
	if err := st.CreateSnapshot(ctx, "b"); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("duplicate: %v", err)
	}
	for op, fn := range map[string]func(context.Context, string) error{"restore": st.RestoreSnapshot, "delete": st.DeleteSnapshot} {
		if err := fn(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s unknown: %v, want ErrNotFound", op, err)
		}
	}
	snaps, err := st.Snapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i, sn := range snaps {
		names = append(names, sn.Name)
		if sn.CreatedAt != 1_700_000_000_000+int64(i)*1000 {
			t.Errorf("%s created at %d", sn.Name, sn.CreatedAt)
		}
	}
	if got, want := strings.Join(names, ","), "b,"+long+",x-1_y,0"; got != want {
		t.Errorf("snapshots %s, want %s", got, want)
	}
}

// TestSnapshotDeleteDropsItsCopies deletes one of two snapshots: its copies are gone, the other's stay
// and still restore, and the name is free again.
func TestSnapshotDeleteDropsItsCopies(t *testing.T) {
	st := crmdtest.OpenStore(t)
	ctx := context.Background()
	o := crmdtest.NewTeam(t, st, "Acme", "UTC")
	if len(snapCopies(t, st)) != 0 {
		t.Fatal("copies before any snapshot")
	}
	mustSnapshot(t, st, "one")
	first := snapCopies(t, st)
	if len(first) < 10 {
		t.Fatalf("copies of one: %v", first)
	}
	o.AddUser(t, store.NewUser{Email: "two@acme.test", LastName: "Two", Profile: crmd.ProfileStandard})
	mustSnapshot(t, st, "two")
	two := dataFingerprint(t, st)
	if n := len(snapCopies(t, st)); n != 2*len(first) {
		t.Fatalf("%d copies for two snapshots of %d tables", n, len(first))
	}
	if err := st.DeleteSnapshot(ctx, "one"); err != nil {
		t.Fatal(err)
	}
	left := snapCopies(t, st)
	for _, c := range left {
		for _, gone := range first {
			if c == gone {
				t.Errorf("copy %s of the deleted snapshot is still there", c)
			}
		}
	}
	if len(left) != len(first) {
		t.Errorf("copies left %v", left)
	}
	if err := st.RestoreSnapshot(ctx, "one"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("restore of a deleted snapshot: %v", err)
	}
	if err := st.DeleteSnapshot(ctx, "one"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	mustSnapshot(t, st, "one") // the name is free again
	mustRestore(t, st, "two")
	if diff := two.Diff(dataFingerprint(t, st)); diff != "" {
		t.Errorf("restore of the snapshot left: %s", diff)
	}
	for _, name := range []string{"one", "two"} {
		if err := st.DeleteSnapshot(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	if left := snapCopies(t, st); len(left) != 0 {
		t.Errorf("copies after deleting every snapshot: %v", left)
	}
	if snaps, err := st.Snapshots(ctx); err != nil || len(snaps) != 0 {
		t.Errorf("snapshots %v %v", snaps, err)
	}
}

// TestSnapshotsRestoredAlternately restores two snapshots one after the other, several times.
func TestSnapshotsRestoredAlternately(t *testing.T) {
	f := newBinFixture(t)
	ids := f.add(t, f.a, f.leadsA, f.a.Admin, "Ann", "Ben")
	mustSnapshot(t, f.st, "a")
	a := dataFingerprint(t, f.st)
	f.del(t, f.a, f.leadsA, f.a.Admin, 100, ids[0])
	f.add(t, f.b, f.leadsB, f.b.Admin, "Other")
	mustSnapshot(t, f.st, "b")
	b := dataFingerprint(t, f.st)
	if a.Diff(b) == "" {
		t.Fatal("the two states are the same")
	}
	for i, step := range []struct {
		name string
		want crmdtest.Fingerprint
	}{{"a", a}, {"b", b}, {"a", a}, {"a", a}, {"b", b}} {
		mustRestore(t, f.st, step.name)
		if diff := step.want.Diff(dataFingerprint(t, f.st)); diff != "" {
			t.Fatalf("restore %d (%s): %s", i, step.name, diff)
		}
		f.add(t, f.a, f.leadsA, f.a.Std, "Between") // a change for the next restore to undo
	}
}

// TestSnapshotFollowsTheSchema restores a snapshot after the schema changed: a table created since is
// emptied, a column added since takes its default, and the copy of a table dropped since is ignored.
func TestSnapshotFollowsTheSchema(t *testing.T) {
	st := crmdtest.OpenStore(t)
	ctx := context.Background()
	o := crmdtest.NewTeam(t, st, "Acme", "UTC")
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := st.W.ExecContext(ctx, st.Q(q), args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`CREATE TABLE gone_later (x INTEGER)`)
	exec(`INSERT INTO gone_later (x) VALUES (1)`)
	mustSnapshot(t, st, "s")

	exec(`DROP TABLE gone_later`)
	exec(`CREATE TABLE added_later (x INTEGER)`)
	exec(`INSERT INTO added_later (x) VALUES (2)`)
	exec(`ALTER TABLE users ADD COLUMN nickname TEXT NOT NULL DEFAULT 'nick'`)
	o.AddUser(t, store.NewUser{Email: "late@acme.test", LastName: "Late", Profile: crmd.ProfileStandard})
	exec(`UPDATE users SET nickname = ?`, "changed")

	mustRestore(t, st, "s")
	var n int
	if err := st.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM added_later`).Scan(&n); err != nil || n != 0 {
		t.Errorf("table created after the snapshot: %d rows, %v", n, err)
	}
	users, err := st.Users(ctx, o.Org.ID)
	if err != nil || len(users) != 2 {
		t.Fatalf("users %d, %v", len(users), err)
	}
	var nicks []string
	rows, err := st.R.QueryContext(ctx, `SELECT nickname FROM users`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		rows.Scan(&s)
		nicks = append(nicks, s)
	}
	rows.Close()
	if strings.Join(nicks, ",") != "nick,nick" {
		t.Errorf("the added column holds %v, want its default", nicks)
	}
}

// TestSnapshotRestoreFiresNoTrigger restores records while a trigger on records writes a log (as
// SQLite's field_values triggers do): the log has exactly the snapshot's rows, and the trigger works
// again afterwards.
func TestSnapshotRestoreFiresNoTrigger(t *testing.T) {
	f := newBinFixture(t)
	st := f.st
	ctx := context.Background()
	f.add(t, f.a, f.leadsA, f.a.Admin, "Before", "The", "Trigger")
	ddl := []string{`CREATE TABLE record_log (record_id BIGINT NOT NULL)`}
	if st.Dialect == store.Postgres {
		ddl = append(ddl,
			`CREATE FUNCTION log_record() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO record_log VALUES (NEW.id); RETURN NULL; END $$`,
			`CREATE TRIGGER record_logger AFTER INSERT ON records FOR EACH ROW EXECUTE FUNCTION log_record()`)
	} else {
		ddl = append(ddl, `CREATE TRIGGER record_logger AFTER INSERT ON records BEGIN INSERT INTO record_log VALUES (NEW.id); END`)
	}
	for _, q := range ddl {
		if _, err := st.W.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	logged := func() int {
		t.Helper()
		var n int
		if err := st.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM record_log`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	f.add(t, f.a, f.leadsA, f.a.Admin, "After")
	mustSnapshot(t, st, "s")
	fp := dataFingerprint(t, st)
	f.add(t, f.a, f.leadsA, f.a.Admin, "Later")
	mustRestore(t, st, "s")
	if n := logged(); n != 1 {
		t.Errorf("log rows after the restore %d, want the snapshot's 1", n)
	}
	if diff := fp.Diff(dataFingerprint(t, st)); diff != "" {
		t.Errorf("after the restore: %s", diff)
	}
	f.add(t, f.a, f.leadsA, f.a.Admin, "Again")
	if n := logged(); n != 2 {
		t.Errorf("log rows after an insert %d: the trigger is gone", n)
	}
}

// TestSnapshotRestoreFailureChangesNothing makes restores fail midway — a copy that breaks a unique
// key, one that breaks a foreign key (checked at the commit on SQLite), and a context cancelled at every
// step of the restore in turn — and checks each time that the database is as it was and still works.
func TestSnapshotRestoreFailureChangesNothing(t *testing.T) {
	f := newBinFixture(t)
	st := f.st
	ctx := context.Background()
	ids := f.add(t, f.a, f.leadsA, f.a.Admin, "Ann", "Ben", "Cy")
	mustSnapshot(t, st, "s")
	atSnapshot := dataFingerprint(t, st)
	f.del(t, f.a, f.leadsA, f.a.Admin, 100, ids[0])
	f.add(t, f.b, f.leadsB, f.b.Admin, "Other")
	f.a.AddUser(t, store.NewUser{Email: "new@acme.test", LastName: "New", Profile: crmd.ProfileStandard})
	changed := dataFingerprint(t, st)

	copyOf := func(table string) string {
		t.Helper()
		for _, c := range snapCopies(t, st) {
			if strings.HasSuffix(c, "__"+table) {
				return `"` + c + `"`
			}
		}
		t.Fatalf("no copy of %s", table)
		return ""
	}
	unchanged := func(what string) {
		t.Helper()
		if diff := changed.Diff(dataFingerprint(t, st)); diff != "" {
			t.Fatalf("%s changed the database: %s", what, diff)
		}
		// The write connection is free and usable.
		f.tx(t, func(tx *store.Tx) error { _, err := st.AllocIDs(ctx, tx, f.a.Org.ID, 1); return err })
		changed = dataFingerprint(t, st)
	}
	exec := func(qs ...string) {
		t.Helper()
		for _, q := range qs {
			if _, err := st.W.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	corrupt := func(what string, bad, fix []string) {
		t.Helper()
		exec(bad...)
		err := st.RestoreSnapshot(ctx, "s")
		if err == nil {
			t.Fatalf("%s: restored", what)
		}
		t.Logf("%s: %v", what, err)
		unchanged(what)
		exec(fix...)
	}
	// users comes after most tables (alphabetically and as a child): they are already emptied and
	// filled again when its insert fails.
	users, rowid := copyOf("users"), "rowid"
	if st.Dialect == store.Postgres {
		rowid = "ctid"
	}
	corrupt("a duplicate user", []string{`INSERT INTO ` + users + ` SELECT * FROM ` + users},
		[]string{`DELETE FROM ` + users + ` WHERE ` + rowid + ` NOT IN (SELECT MIN(` + rowid + `) FROM ` + users + ` GROUP BY id)`})
	// Users whose profiles are missing: PostgreSQL refuses the users' insert, SQLite the commit, where
	// its deferred foreign keys are checked.
	profiles := copyOf("profiles")
	corrupt("users without their profiles",
		[]string{`CREATE TABLE snap_stash AS SELECT * FROM ` + profiles, `DELETE FROM ` + profiles},
		[]string{`INSERT INTO ` + profiles + ` SELECT * FROM snap_stash`, `DROP TABLE snap_stash`})

	// Cancel the restore after a delay growing by a quarter each time, from 20µs until one restore gets
	// through: the cancellations land before it begins, between its statements and inside them, and
	// each failure must leave the database as it was. (A cancellation after its last statement does not
	// stop its commit: see txCommitted.)
	// First a restore whose context is cancelled before it starts: it must fail and change nothing.
	// It also makes sure one cancellation is tested on a loaded machine, where the timer of the
	// shortest delay below may fire only after a restore of this small database has committed.
	pre, cancelPre := context.WithCancel(ctx)
	cancelPre()
	if err := st.RestoreSnapshot(pre, "s"); !errors.Is(err, context.Canceled) {
		t.Fatalf("a restore cancelled before it began: %v", err)
	}
	unchanged("a restore cancelled before it began")
	failures := 0
	for d := 20 * time.Microsecond; ; d += max(20*time.Microsecond, d/4) {
		if d > 10*time.Second {
			t.Fatal("the restore never got through")
		}
		cctx, cancel := context.WithCancel(ctx)
		timer := time.AfterFunc(d, cancel)
		err := st.RestoreSnapshot(cctx, "s")
		timer.Stop()
		cancel()
		if err == nil {
			t.Logf("cancelled restores: %d failed without a trace, the one cancelled after %v got through", failures, d)
			if diff := atSnapshot.Diff(dataFingerprint(t, st)); diff != "" {
				t.Errorf("after the restore that got through: %s", diff)
			}
			break
		}
		failures++
		if !errors.Is(err, context.Canceled) {
			t.Logf("cancelled after %v: %v", d, err)
		}
		unchanged(fmt.Sprintf("a restore cancelled after %v (%v)", d, err))
	}
	if failures == 0 {
		// Not a failure: the machine was too busy for the shortest delay to land before the commit.
		t.Logf("no restore was cancelled mid-way (only the one cancelled before it began)")
	}
}

// TestSnapshotRestoreOf1000Records restores a snapshot of 1,000 records after half of them were deleted
// and 100 added, three times, and logs how long each restore held the write transaction (on SQLite the
// one write lock). How fast that is, is BenchmarkRestoreSnapshot1000's to say, not a test's.
func TestSnapshotRestoreOf1000Records(t *testing.T) {
	f := newBinFixture(t)
	names := make([]string, 1000)
	for i := range names {
		names[i] = fmt.Sprintf("Lead %04d", i)
	}
	ids := f.add(t, f.a, f.leadsA, f.a.Admin, names...)
	mustSnapshot(t, f.st, "thousand")
	want := dataFingerprint(t, f.st)
	for round := range 3 {
		f.del(t, f.a, f.leadsA, f.a.Admin, 100, ids[:500]...)
		f.add(t, f.a, f.leadsA, f.a.Std, names[:100]...)
		var held time.Duration
		f.st.OnWriteTx = func(d time.Duration) { held = d }
		start := time.Now()
		mustRestore(t, f.st, "thousand")
		took := time.Since(start)
		f.st.OnWriteTx = nil
		t.Logf("%s: restore of 1,000 records (round %d): %v, write transaction held %v", f.st.Dialect, round, took, held)
		if diff := want.Diff(dataFingerprint(t, f.st)); diff != "" {
			t.Fatalf("after the restore: %s", diff)
		}
	}
}

// BenchmarkRestoreSnapshot1000 restores a snapshot of 1,000 records of one org.
func BenchmarkRestoreSnapshot1000(b *testing.B) {
	st := crmdtest.OpenStore(b)
	o := crmdtest.NewTeam(b, st, "Acme", "UTC")
	leads := o.Module(b, "Leads")
	ctx := context.Background()
	err := st.Tx(ctx, func(tx *store.Tx) error {
		first, err := st.AllocIDs(ctx, tx, o.Org.ID, 1000)
		if err != nil {
			return err
		}
		recs := make([]crmd.Record, 1000)
		for i := range recs {
			recs[i] = crmd.Record{ID: first + crmd.ID(i), OrgID: o.Org.ID, ModuleID: leads.ID, OwnerID: o.Admin.ID, CreatedBy: o.Admin.ID,
				ModifiedBy: o.Admin.ID, CreatedTime: 1000, ModifiedTime: 2000, DisplayName: fmt.Sprint(i), Data: []byte(fmt.Sprintf(`{"Last_Name":"L%d"}`, i))}
		}
		return st.InsertRecords(ctx, tx, recs)
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := st.CreateSnapshot(ctx, "bench"); err != nil {
		b.Fatal(err)
	}
	for b.Loop() { // b.Loop starts the timer afresh: the setup above is not counted
		if err := st.RestoreSnapshot(ctx, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}
