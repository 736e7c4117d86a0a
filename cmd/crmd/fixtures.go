package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/fixtures"
	"github.com/crmd/crmd/store"
)

// maxFixtureBytes bounds a fixture file read into memory.
const maxFixtureBytes = 256 << 20

// readFixture reads and checks a fixture file; a refusal names its JSON path.
func readFixture(path string) (*fixtures.File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > maxFixtureBytes {
		return nil, fmt.Errorf("fixture file %s: larger than %d MiB", path, maxFixtureBytes>>20)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := fixtures.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("fixture file %s refused, nothing applied: %w", path, err)
	}
	return f, nil
}

var fixturesApplyCmd = &command{
	group:    "fixtures",
	name:     "apply",
	synopsis: "[--db PATH] --file FIXTURE.json",
	summary:  "apply a fixture file: orgs, users, clients, tokens, modules, territories, views, records",
	details: `Applies a fixture file (docs/fixtures.md) to the database and prints {"orgs":["<org id>",…]}. The file is
checked whole first: a refusal names its JSON path ($.orgs[0].tokens[1].user …) and nothing is applied;
a failure while applying puts the database back as it was. The same file always gives the same ids and
tokens, so an org of the file must not exist in the database yet.`,
	define: func(fs *flag.FlagSet, m *Main) func(context.Context) error {
		db := fs.String("db", defaultDB, dbUsage)
		file := fs.String("file", "", "the fixture file (required)")
		return func(ctx context.Context) error {
			if err := required(*file, "file"); err != nil {
				return err
			}
			f, err := readFixture(*file)
			if err != nil {
				return err
			}
			st, err := store.Open(ctx, *db)
			if err != nil {
				return err
			}
			defer st.Close()
			ids, err := fixtures.Apply(ctx, st, f)
			if err != nil {
				return fmt.Errorf("fixture file %s: %w", *file, err)
			}
			return writeJSON(m.Stdout, struct {
				Orgs []crmd.ID `json:"orgs"`
			}{ids})
		}
	},
}

var fixturesDumpCmd = &command{
	group:    "fixtures",
	name:     "dump",
	synopsis: "[--db PATH] [--org ORG_ID]",
	summary:  "write an org as a fixture file",
	details: `Writes an org of the database as a fixture file on stdout: it applies back (crmd fixtures apply, to another
database) to an equal org — the same ids, users, clients, tokens (as SHA-256s: only hashes are kept),
custom modules, territories, custom views and live records.`,
	define: func(fs *flag.FlagSet, m *Main) func(context.Context) error {
		db := fs.String("db", defaultDB, dbUsage)
		orgFlag := fs.String("org", "", orgUsage)
		return func(ctx context.Context) error {
			st, org, err := openOrg(ctx, *db, *orgFlag)
			if err != nil {
				return err
			}
			defer st.Close()
			f, err := fixtures.Dump(ctx, st, org.ID)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(m.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(f)
		}
	},
}

// applyServeFixtures applies serve --fixtures on an empty database; a database that has orgs already
// keeps them (a restart, or another process that applied the file first). applied tells whether this
// process applied it.
func applyServeFixtures(ctx context.Context, st *store.Store, f *fixtures.File, logger *slog.Logger) (applied bool, err error) {
	n, err := st.CountOrgs(ctx)
	if err != nil {
		return false, err
	}
	if n > 0 {
		logger.Info("fixtures: the database has orgs already; the fixture file is not applied", "orgs", n)
		return false, nil
	}
	ids, err := fixtures.Apply(ctx, st, f)
	var fe *fixtures.Error
	if errors.As(err, &fe) {
		if n, cerr := st.CountOrgs(ctx); cerr == nil && n > 0 {
			logger.Info("fixtures: another process applied the fixture file first")
			return false, nil
		}
	}
	if err != nil {
		return false, fmt.Errorf("fixtures: %w", err)
	}
	logger.Info("fixtures applied", "orgs", len(ids))
	return true, nil
}
