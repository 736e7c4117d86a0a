package main

import (
	"context"
	"flag"
	"time"

	"github.com/crmd/crmd/bench"
)

var benchCmd = &command{
	name:     "bench",
	synopsis: "[--db PATH] [--leads 1000000] [--leads-small 100000] [--job-sizes 1000,10000,50000] [--repeat 3] [--throughput 30s] [--replicas 1] [--json] [--hostage=true] [--hostage-restore 50000] [--server-bin PATH]",
	summary:  "measure mass delete over HTTP against a real server, beside its floor, and print a table or JSON",
	details: `Seeds --leads Leads into a fresh org in a fresh SQLite file (--db, which must not exist; by default a
temporary file, removed afterwards) or, when --db is a postgres:// URL, in that PostgreSQL database
(which must hold no org yet; a fresh schema named by search_path=… in the URL will do), starts the real
server on it as a subprocess ('crmd serve --addr 127.0.0.1:0 --no-bootstrap', from --server-bin or this
executable, with default settings), mints an admin token and measures over HTTP, with the worst case
beside the best (docs/benchmarks.md explains every figure):
  - mass deletes by ids of --id-batch ids each: --id-calls calls of random live ids spread over the whole
    table, and --id-calls of the newest (contiguous) ids (p50, p99);
  - mass deletes by cvid of --job-sizes: for each size, --repeat times, a view of a Created_Time range of
    consecutive Leads (contiguous); and, for the largest size, --repeat times, a view of Lead_Source
    values (the most frequent first) within a Created_Time range that trims it to that size, whose
    Leads are scattered over the whole table. Each job's Total_Count must equal the count planned from
    the database beforehand; the accept latency of POST {"cvid":…} and the duration from accept to
    COMPLETED (status polled every 20 ms), medians;
  - the floor of each: the same soft-delete UPDATE crmd runs, executed directly through the driver on
    the same database with the server stopped (no HTTP, no job machinery): as many random live ids
    per call, and a scattered set of the largest job's size, in id order, in batches of 500 (one
    transaction each). On SQLite each floor is measured twice, on further ids: with the WAL checkpoint
    a program on the driver's defaults pays inside its commits, and without it (crmd serve checkpoints
    in the background). Floor and crmd alternate, so both see the table in nearly the same state; each
    crmd figure is printed beside its floors with the ratio crmd/floor;
  - the selection of a territory: "West" with two children (created through the API), a third of the
    Leads assigned to each child; the ids of every record of West and its children (include_child), and
    of those ∩ the scattered view, as a cvid job with a territory selects them (median of 5, in process,
    the server stopped);
  - while one more scattered job of the largest size runs, 2 clients reading single records (GET
    /Leads/{id}) and one inserting and updating single records (POST /Leads, PUT /Leads/{id}): their
    p50, p99 and counts; the same clients for 3 s before, with no job running, as their baseline;
  - throughput, for --throughput (0 skips it): 8 clients each sending mass deletes of --id-batch random
    live ids (disjoint between clients) without pause, spread round-robin over --replicas servers on the
    same database (PostgreSQL only): records deleted per second, call p50 and p99;
  - the longest write transaction the servers held (crmd_db_write_tx_max_seconds) and their peak RSS
    (VmHWM from /proc);
  - with --hostage (on by default), "no request holds the database hostage": with a second server on
    the same database and a second org inserting single records through both servers without pause,
    (a) a view on a field never indexed (Lead_Source) created, listed at once and indexed, (b) a view of
    8 OR groups of 25 'contains' leaves on Description listed and then mass-deleted, (c)
    restore_all_records of a bin of --hostage-restore records: each scenario's own calls, the other org's insert
    p50/p99/max and failures (5xx) during it, and the longest write transaction the servers saw
    (crmd_db_write_tx_seconds).
With --leads-small > 0 it then does the same for the largest contiguous job on a second org of
--leads-small Leads (a second file, PATH-small.db; on PostgreSQL the same database), to compare a job's
cost on a small and a large org. Progress goes to stderr; the result is markdown tables on stdout with
each figure, its target or its floor and their ratio, and the machine's core count and load average;
with --json, one JSON object instead (keys such as ids500_random_p50_ms, ids500_random_floor_p50_ms,
job50k_scattered_ms, job50k_scattered_floor_ms, territory_select_ms, throughput_records_per_s,
max_write_lock_hold_ms, rss_peak_mib; the names are fixed whatever --id-batch and --job-sizes are, and
ids_batch and job_size give the sizes). The exit status is 1 when a job's counts were not what the
plan says or a call failed (the problems are listed on stderr and in the JSON's "problems").`,
	define: func(fs *flag.FlagSet, m *Main) func(context.Context) error {
		var c bench.Config
		fs.StringVar(&c.DB, "db", "", "SQLite file to create for the bench (must not exist; default: a temporary file), or a postgres:// URL of a database (or schema, with search_path) that holds no org yet")
		fs.IntVar(&c.Leads, "leads", 1_000_000, "Leads to seed into the main org")
		fs.IntVar(&c.LeadsSmall, "leads-small", 100_000, "Leads of the second, smaller org for the largest job (0: skip)")
		fs.StringVar(&c.ServerBin, "server-bin", "", "crmd binary to run as the server (default: this executable)")
		fs.StringVar(&c.JobSizesFlag, "job-sizes", "1000,10000,50000", "sizes of the contiguous cvid jobs, comma-separated; the largest is also the size of the scattered jobs and of the job under load")
		fs.IntVar(&c.Repeat, "repeat", 3, "how many times each cvid job (and its floor) runs (medians are reported)")
		fs.IntVar(&c.IDCalls, "id-calls", 20, "mass delete calls by ids, of random ids and of contiguous ids each (and as many floor calls)")
		fs.IntVar(&c.IDBatch, "id-batch", 500, "distinct ids per mass delete call by ids (the throughput clients' calls too)")
		fs.Uint64Var(&c.Seed, "seed", 42, "seed of the generated Leads and of the random choices")
		fs.BoolVar(&c.Hostage, "hostage", true, "also run the scenarios of 'no request holds the database hostage' on the main org (needs --hostage-restore Leads)")
		fs.IntVar(&c.HostageRestore, "hostage-restore", 50_000, "records the restore_all_records scenario deletes and restores")
		fs.BoolVar(&c.JSON, "json", false, "print one JSON object of the figures on stdout instead of the markdown tables")
		fs.DurationVar(&c.Throughput, "throughput", 30*time.Second, "how long 8 clients send mass deletes by ids without pause (0: skip the throughput run)")
		fs.IntVar(&c.Replicas, "replicas", 1, "crmd serve processes on the same database for the throughput run (PostgreSQL only)")
		return func(ctx context.Context) error {
			if err := c.Validate(); err != nil {
				return usageErrorf("%v", err)
			}
			return bench.Run(ctx, &c, m.Stdout, m.Stderr)
		}
	},
}
