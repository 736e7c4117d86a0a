package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/crmd/crmd/internal/progress"
	"github.com/crmd/crmd/seed"
)

var seedCmd = &command{
	name:     "seed",
	synopsis: "[--db PATH] [--org ORG_ID] --module Leads --count N [--seed N] [--created-span 2160h] [--batch-size 5000] [--writers 2]",
	summary:  "insert N realistic records into a module",
	details: `Inserts --count realistic records into a module of an org, showing a progress bar on stderr, and prints
{"inserted":N}. Leads get names, companies, emails derived from both, phones, lead sources and statuses,
industries, revenues, addresses and a description (0.6–1 KiB of JSON each); other modules, custom ones
included, get values generated from each field's data type and name, with every mandatory field filled
(a mandatory lookup needs records in the target module: seed that first). Every value is valid for its
field: picklist values come from the field, lengths are respected.

Records are owned and created by the org's first Administrator, are approved, and have Created_Time
spread over --created-span before now (0: all now). The data is drawn from a pseudo-random generator
seeded with --seed, so the same seed gives the same records; 0 picks a seed and prints it on stderr.
Each transaction inserts --batch-size records, so a running 'crmd serve' keeps answering meanwhile.
On PostgreSQL the rows stream through COPY, --writers transactions at once on connections of their own,
and the load ends with ANALYZE of the records table, so that the planner has statistics at once.`,
	define: func(fs *flag.FlagSet, m *Main) func(context.Context) error {
		db := fs.String("db", defaultDB, dbUsage)
		orgFlag := fs.String("org", "", orgUsage)
		module := fs.String("module", "Leads", "api name of the module to fill")
		count := fs.Int("count", 0, "how many records to insert (required, at least 1)")
		seedFlag := fs.Uint64("seed", 0, "seed of the pseudo-random data; 0 picks one")
		span := fs.Duration("created-span", 90*24*time.Hour, "Created_Time is spread over this long before now")
		batch := fs.Int("batch-size", seed.DefaultBatch, "records per transaction")
		writers := fs.Int("writers", seed.DefaultWriters, "PostgreSQL: transactions written at once, each on a connection of its own (SQLite has one writer)")
		return func(ctx context.Context) error {
			if *count < 1 {
				return usageErrorf("--count is required and must be at least 1 (or set CRMD_COUNT)")
			}
			if *batch < 1 || *batch > 100000 {
				return usageErrorf("invalid --batch-size %d: want 1 to 100000", *batch)
			}
			if *writers < 1 || *writers > 64 {
				return usageErrorf("invalid --writers %d: want 1 to 64", *writers)
			}
			if *span < 0 {
				return usageErrorf("invalid --created-span %s: want 0 or more", *span)
			}
			st, org, err := openOrg(ctx, *db, *orgFlag)
			if err != nil {
				return err
			}
			defer st.Close()
			s := *seedFlag
			if s == 0 {
				s = uint64(time.Now().UnixNano())
			}
			sd, err := seed.New(ctx, st, org, *module, s, *span)
			if err != nil {
				return err
			}
			if *seedFlag == 0 {
				// Told only once the run can start, so that a refused command prints nothing but its error.
				fmt.Fprintf(m.Stderr, "crmd seed: --seed %d\n", s)
			}
			sd.Batch = *batch
			sd.Writers = *writers
			bar := progress.New(m.Stderr, int64(*count), "seeding "+sd.Module.APIName)
			n, err := sd.Run(ctx, *count, func(k int) { bar.Add(k) })
			bar.Finish()
			if err != nil {
				return fmt.Errorf("seed: inserted %d of %d records, then: %w", n, *count, err)
			}
			return writeJSON(m.Stdout, struct {
				Inserted int `json:"inserted"`
			}{n})
		}
	},
}
