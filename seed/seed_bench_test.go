package seed

import (
	"context"
	"testing"
	"time"

	"github.com/crmd/crmd/admin"
	"github.com/crmd/crmd/crmdtest"
)

// benchSeedRows is how many Leads one benchmark operation inserts: a few transactions' worth, so that
// commits and checkpoints are part of the figure.
const benchSeedRows = 20000

// benchSeeder is a Leads seeder (seed 42, 90 days back) for a fresh org made by admin.CreateOrg, in a
// store on a temporary SQLite file.
func benchSeeder(b *testing.B) *Seeder {
	b.Helper()
	ctx := context.Background()
	st := crmdtest.OpenStore(b)
	n, err := admin.CreateOrg(ctx, st, "bench", "admin@bench.test", false)
	if err != nil {
		b.Fatal(err)
	}
	sd, err := New(ctx, st, n.Org, "Leads", 42, 90*24*time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	return sd
}

// BenchmarkSeedLeads measures `crmd seed --module Leads` end to end (generation, id allocation,
// multi-row inserts, commits) on a fresh SQLite file, and reports rows per second.
func BenchmarkSeedLeads(b *testing.B) {
	ctx := context.Background()
	sd := benchSeeder(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := sd.Run(ctx, benchSeedRows, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*benchSeedRows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkGenerateLeads measures the record generator alone.
func BenchmarkGenerateLeads(b *testing.B) {
	sd := benchSeeder(b)
	batch := &seedBatch{}
	b.ResetTimer()
	bytes := 0
	for i := 0; i < b.N; i++ {
		batch.fill(sd, 1000)
		bytes += len(batch.buf)
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(bytes)/float64(b.N*1000), "bytes/row")
}
