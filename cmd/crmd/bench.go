package main

import (
	"context"
	"flag"

	"github.com/crmd/crmd/bench"
)

var benchCmd = &command{
	name:     "bench",
	synopsis: "[--db PATH] [--leads 1000000] [--leads-small 100000] [--job-sizes 1000,10000,50000] [--repeat 3] [--hostage=true] [--hostage-restore 50000] [--server-bin PATH]",
	summary:  "measure mass delete over HTTP against a real server and print a table",
	details: `Seeds --leads Leads into a fresh org in a fresh SQLite file (--db, which must not exist; by default a
temporary file, removed afterwards) or, when --db is a postgres:// URL, in that PostgreSQL database
(which must hold no org yet; a fresh schema named by search_path=… in the URL will do), starts the real server on it as a subprocess ('crmd serve --addr
127.0.0.1:0 --no-bootstrap', from --server-bin or this executable, with default settings), mints an
admin token and measures over HTTP:
  - the mass delete by ids: --id-calls calls of --id-batch distinct live ids each (p50, p99);
  - mass deletes by cvid: for each of --job-sizes, --repeat times, a custom view selecting that many
    Leads (a Created_Time range; Total_Count must equal the planned count), the accept latency of
    POST {"cvid":…} and the job's duration from accept to COMPLETED (status polled every 20 ms);
  - while one more job of the largest size runs, 2 clients reading single records (GET /Leads/{id}) and one
    inserting and updating single records (POST /Leads, PUT /Leads/{id}): their p50, p99 and counts;
  - the same clients for 3 s before the first job, with no job running, as their baseline;
  - the server's peak RSS (VmHWM from /proc);
  - with --hostage (on by default), "no request holds the database hostage": with a second server on
    the same database and a second org inserting single records through both servers without pause,
    (a) a view on a field never indexed (Lead_Source) created, listed at once and indexed, (b) a view of
    8 OR groups of 25 'contains' leaves on Description listed and then mass-deleted, (c)
    restore_all_records of a bin of --hostage-restore records: each scenario's own calls, the other org's insert
    p50/p99/max and failures (5xx) during it, and the longest write transaction the servers saw
    (crmd_db_write_tx_seconds).
With --leads-small > 0 it then does the same for the largest job on a second org of --leads-small Leads
(a second file, PATH-small.db; on PostgreSQL the same database), to compare a job's cost on a small and a large org. Progress
goes to stderr; the result is a markdown table on stdout with each figure, its target and their ratio
(medians where repeated), and the machine's core count and load average. The exit status is 1 when a
job's counts were not what the views select.`,
	define: func(fs *flag.FlagSet, m *Main) func(context.Context) error {
		var c bench.Config
		fs.StringVar(&c.DB, "db", "", "SQLite file to create for the bench (must not exist; default: a temporary file), or a postgres:// URL of a database (or schema, with search_path) that holds no org yet")
		fs.IntVar(&c.Leads, "leads", 1_000_000, "Leads to seed into the main org")
		fs.IntVar(&c.LeadsSmall, "leads-small", 100_000, "Leads of the second, smaller org for the largest job (0: skip)")
		fs.StringVar(&c.ServerBin, "server-bin", "", "crmd binary to run as the server (default: this executable)")
		fs.StringVar(&c.JobSizesFlag, "job-sizes", "1000,10000,50000", "sizes of the cvid jobs, comma-separated; one more job of the largest size runs under load")
		fs.IntVar(&c.Repeat, "repeat", 3, "how many times each cvid job size runs (medians are reported)")
		fs.IntVar(&c.IDCalls, "id-calls", 20, "mass delete calls by ids")
		fs.IntVar(&c.IDBatch, "id-batch", 500, "distinct ids per mass delete call by ids")
		fs.Uint64Var(&c.Seed, "seed", 42, "seed of the generated Leads")
		fs.BoolVar(&c.Hostage, "hostage", true, "also run the scenarios of 'no request holds the database hostage' on the main org (needs --hostage-restore more Leads)")
		fs.IntVar(&c.HostageRestore, "hostage-restore", 50_000, "records the restore_all_records scenario deletes and restores")
		return func(ctx context.Context) error {
			if err := c.Validate(); err != nil {
				return usageErrorf("%v", err)
			}
			return bench.Run(ctx, &c, m.Stdout, m.Stderr)
		}
	},
}
