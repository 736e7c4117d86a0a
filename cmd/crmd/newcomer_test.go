package main

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd/store"
	_ "modernc.org/sqlite"
)

// TestOrgDefaultsToTheOnlyOne: --org may be left out while the database holds exactly one org (the
// bootstrapped one, on a newcomer's machine); with none or several, the command says what to do.
func TestOrgDefaultsToTheOnlyOne(t *testing.T) {
	c := newCLI(t)
	c.ok("migrate", "--db", c.db)
	if _, _, err := c.run("user", "add", "--db", c.db, "--email", "jane@example.com"); err == nil ||
		!strings.Contains(err.Error(), "holds no org yet") {
		t.Fatalf("user add on a database without orgs: err = %v, want it to say there is no org", err)
	}

	org := c.initOrg()["org_id"].(string)
	c.ok("user", "add", "--db", c.db, "--email", "jane@example.com")
	st := c.open()
	orgs, err := st.OrgIDs(context.Background(), 10)
	if err != nil || len(orgs) != 1 || orgs[0].String() != org {
		t.Fatalf("orgs = %v, %v", orgs, err)
	}
	if _, err := st.UserByEmail(context.Background(), orgs[0], "jane@example.com"); err != nil {
		t.Fatalf("jane was not added to the only org: %v", err)
	}
	tok := c.ok("token", "--db", c.db, "--email", "jane@example.com", "--scope", "ZohoCRM.modules.ALL")
	if tok["access_token"] == "" {
		t.Fatalf("token = %v", tok)
	}
	c.ok("module", "add", "--db", c.db, "--api-name", "Projects")
	c.ok("seed", "--db", c.db, "--module", "Leads", "--count", "3", "--seed", "1")

	c.initOrg("--org-name", "Second", "--admin-email", "owner@second.test")
	for _, args := range [][]string{
		{"user", "add", "--db", c.db, "--email", "joe@example.com"},
		{"token", "--db", c.db, "--email", "jane@example.com", "--scope", "ZohoCRM.modules.ALL"},
		{"seed", "--db", c.db, "--module", "Leads", "--count", "1"},
	} {
		_, _, err := c.run(args...)
		var ue *usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "--org is required: the database holds several orgs") {
			t.Errorf("crmd %s with two orgs: err = %v, want the usage error naming --org", strings.Join(args[:2], " "), err)
		}
	}
}

// TestSeedRefusalPrintsOnlyItsError: a seed that cannot start (an unknown module) says so and nothing
// else — no seed line before the error.
func TestSeedRefusalPrintsOnlyItsError(t *testing.T) {
	c := newCLI(t)
	c.initOrg()
	out, stderr, err := c.run("seed", "--db", c.db, "--module", "Nope", "--count", "5")
	if err == nil || !strings.Contains(err.Error(), "no module Nope") {
		t.Fatalf("err = %v, want no module Nope", err)
	}
	if out != "" || stderr != "" {
		t.Errorf("a refused seed printed stdout %q, stderr %q; want nothing besides the error", out, stderr)
	}
	// A seed that runs still tells the seed it picked, so that the data can be made again.
	_, stderr, err = c.run("seed", "--db", c.db, "--module", "Leads", "--count", "2")
	if err != nil || !strings.Contains(stderr, "crmd seed: --seed ") {
		t.Errorf("seed without --seed: err %v, stderr %q, want the seed it picked", err, stderr)
	}
}

// TestBusyDatabaseIsNamed holds a SQLite file's write lock from another connection, as a busy `crmd
// serve` does, and runs commands beside it: a command that only reads (migrate on an up-to-date
// database) does not wait at all, and one that must write fails after the busy timeout saying that the
// database is busy, not "migration …: database is locked". Always on SQLite: the write lock is
// SQLite's.
func TestBusyDatabaseIsNamed(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "busy.db")
	c := &cli{t: t, db: path, env: map[string]string{}}
	c.initOrg()

	holder, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(100)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	tx, err := holder.Begin() // BEGIN IMMEDIATE: the write lock, until Rollback
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()

	start := time.Now()
	if _, stderr, err := c.run("migrate", "--db", path); err != nil {
		t.Fatalf("migrate of an up-to-date database while another process writes: %v %s", err, stderr)
	}
	if d := time.Since(start); d > store.BusyTimeout/2 {
		t.Errorf("migrate of an up-to-date database waited %s for the write lock; it needs none", d)
	}

	_, _, err = c.run("user", "add", "--db", path, "--email", "late@example.com")
	if !errors.Is(err, store.ErrBusy) {
		t.Fatalf("user add while the write lock is held: err = %v, want store.ErrBusy", err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "the database is busy: another process") || strings.Contains(msg, "migration") {
		t.Errorf("error = %q, want it to start by saying the database is busy and not to name a migration", msg)
	}
	tx.Rollback()
	c.ok("user", "add", "--db", path, "--email", "late@example.com") // the same write, once the lock is free
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"./crmd.db":                        "./crmd.db",
		"admin@crmd.local":                 "admin@crmd.local",
		"1000.abc.def":                     "1000.abc.def",
		"http://127.0.0.1:8080/crm/v8/org": "http://127.0.0.1:8080/crm/v8/org",
		"postgres://u:xxxxx@db:5432/crmd?sslmode=disable&search_path=a": "'postgres://u:xxxxx@db:5432/crmd?sslmode=disable&search_path=a'",
		"my file.db": "'my file.db'",
		"it's":       `'it'\''s'`,
		"":           "''",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
