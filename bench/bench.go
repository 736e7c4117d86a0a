// Package bench is crmd bench: it measures Mass Delete Records the way a client sees it, over HTTP
// against the real server run as a subprocess, on a database it seeds, and prints each figure beside
// its target.
package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/admin"
	"github.com/crmd/crmd/internal/progress"
	"github.com/crmd/crmd/oauth"
	"github.com/crmd/crmd/seed"
	"github.com/crmd/crmd/store"
)

// benchScope is what the bench's admin token may do.
const benchScope = "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.mass_delete.ALL"

// benchIdleLoad is how long the other clients run before the first job, for their baseline.
const benchIdleLoad = 3 * time.Second

// benchPoll is how often the bench polls a job's status.
const benchPoll = 20 * time.Millisecond

// Config is the bench's settings (crmd bench's flags).
type Config struct {
	DB           string
	Leads        int
	LeadsSmall   int
	ServerBin    string
	JobSizesFlag string
	JobSizes     []int
	Repeat       int
	IDCalls      int
	IDBatch      int
	Seed         uint64
	// Hostage runs the scenarios of "no request holds the database hostage" on the main org
	// (hostage.go) after the jobs.
	Hostage bool
	// HostageRestore is the size of the recycle bin the restore_all_records scenario restores.
	HostageRestore int
	// JSON prints one JSON object of the figures instead of the markdown tables.
	JSON bool
	// Throughput is how long the throughput clients run (0: skipped).
	Throughput time.Duration
	// Replicas is how many `crmd serve` processes share the database during the throughput run
	// (PostgreSQL only).
	Replicas int
}

// throughputClients is how many clients send mass deletes by ids during the throughput run.
const throughputClients = 8

// throughputMinCalls is how many calls each throughput client must be able to make from the ids set
// aside for it: Validate plans that many Leads; a client whose ids run out stops early (and the run
// says so).
const throughputMinCalls = 4

// Validate checks the settings and fills JobSizes from JobSizesFlag.
func (c *Config) Validate() error {
	c.JobSizes = nil
	for _, s := range strings.Split(c.JobSizesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("invalid --job-sizes %q: want positive integers separated by commas", c.JobSizesFlag)
		}
		c.JobSizes = append(c.JobSizes, n)
	}
	slices.Sort(c.JobSizes)
	c.JobSizes = slices.Compact(c.JobSizes)
	if c.Repeat < 1 {
		return fmt.Errorf("invalid --repeat %d: want at least 1", c.Repeat)
	}
	if c.IDCalls < 1 || c.IDBatch < 1 {
		return fmt.Errorf("--id-calls and --id-batch must be at least 1")
	}
	if c.LeadsSmall < 0 {
		return fmt.Errorf("invalid --leads-small %d: want 0 (skip) or more", c.LeadsSmall)
	}
	if c.Throughput < 0 {
		return fmt.Errorf("invalid --throughput %s: want 0 (skip) or a positive duration", c.Throughput)
	}
	if c.Replicas < 1 {
		return fmt.Errorf("invalid --replicas %d: want at least 1", c.Replicas)
	}
	if c.Replicas > 1 && !store.IsPostgresDSN(c.DB) {
		return fmt.Errorf("--replicas %d needs a postgres:// --db: replicas share one database, which SQLite serves to one process", c.Replicas)
	}
	big := c.JobSizes[len(c.JobSizes)-1]
	// What the plan deletes: the contiguous jobs (every size, --repeat times), the scattered jobs (the
	// largest size, --repeat times and once more under load) and their floors (2 × --repeat sets of the
	// same size: with and without the WAL checkpoint), the id calls (contiguous, random, and the random
	// ids of their two floors), and the throughput clients' ids; 1000 must stay for the readers.
	need := c.Repeat*sum(c.JobSizes) + (c.Repeat+1)*big + 2*c.Repeat*big + 4*c.IDCalls*c.IDBatch + 1000
	if c.Throughput > 0 {
		need += throughputClients * throughputMinCalls * c.IDBatch
	}
	if c.Hostage {
		if c.HostageRestore < 1 {
			return fmt.Errorf("invalid --hostage-restore %d: want at least 1", c.HostageRestore)
		}
	}
	if c.Leads < need {
		return fmt.Errorf("--leads %d is too few: the jobs, their floors, the id calls and the throughput clients delete %d, and 1000 must stay for the readers", c.Leads, need-1000)
	}
	if c.Hostage && c.Leads < c.HostageRestore+1000 {
		return fmt.Errorf("--leads %d is too few for --hostage-restore %d", c.Leads, c.HostageRestore)
	}
	if c.LeadsSmall > 0 && c.LeadsSmall < big+1000 {
		return fmt.Errorf("--leads-small %d is too few for a job of %d", c.LeadsSmall, big)
	}
	return nil
}

func sum(xs []int) int {
	t := 0
	for _, x := range xs {
		t += x
	}
	return t
}

// benchJob is one planned cvid job: the Leads of a Created_Time range [from, to) — with values, only
// those whose Lead_Source is one of them — which holds exactly count live Leads when the job runs.
type benchJob struct {
	size      int  // the size asked for
	load      bool // the other clients run during this job
	reserved  bool // not a job of the series: the range the hostage scenarios delete and restore
	scattered bool // a view of Lead_Source values over most of the table, not a range of consecutive Leads
	values    []string
	count     int // the Leads it selects
	from, to  time.Time
	ids       []crmd.ID // scattered: the Leads it selects, in id order
	cvid      string    // its view, once created
	next      int       // contiguous: the index of the Lead the next range starts at
}

// benchOrg is a seeded org on its own database, with the plan of what to delete.
type benchOrg struct {
	db       string
	engine   string // "SQLite" or "PostgreSQL"
	leads    int
	seedRate float64 // Leads per second of `crmd seed`'s code path, org creation excluded
	token    string
	org      *crmd.Org
	orgID    crmd.ID
	module   *crmd.Module
	adminID  crmd.ID
	seed     uint64
	// otherToken is an admin token of a second org of the same database, whose inserts the hostage
	// scenarios measure; reserved is the range they delete and restore.
	otherToken string
	reserved   benchJob
	records    []store.BenchRecord // every seeded Lead, oldest first, with its Lead_Source
	jobs       []benchJob          // the contiguous jobs, in the order they run
	scattered  []benchJob          // the scattered jobs: one per --repeat, then the one under load
	idSets     [][]string          // the contiguous id calls' ids (the newest Leads)
	randomSets [][]string          // the random id calls' ids
	floorSets  [][]crmd.ID         // the ids of the floor of the random id calls
	floorJobs  [][]crmd.ID         // the floor of each scattered job: as many random ids, in id order
	// floorSetsTx and floorJobsTx are the same for the floor without the WAL checkpoint.
	floorSetsTx [][]crmd.ID
	floorJobsTx [][]crmd.ID
	spare       []string // live Leads no job or id call touches: the readers' and updaters' targets
}

// jobResult is one job's measurement.
type jobResult struct {
	size, total int
	load        bool // the other clients ran during this job
	scattered   bool
	accept      time.Duration
	duration    time.Duration
}

// loadResult is what the other clients saw while the largest jobs ran.
type loadResult struct {
	reads, writes []time.Duration
	errors        int
}

// orgResult is everything measured on one org.
type orgResult struct {
	leads     int
	engine    string // "SQLite" or "PostgreSQL"
	seedRate  float64
	ids       []time.Duration // the contiguous id calls
	idsRandom []time.Duration // the random id calls
	idsFloor  []time.Duration // their floor, the WAL checkpoint included (floorDelete)
	// idsFloorTx is their floor without the checkpoint.
	idsFloorTx []time.Duration
	jobs       []jobResult
	floorJobs  []time.Duration // the floor of the scattered jobs, the WAL checkpoints included
	// floorJobsTx is the floor of the scattered jobs without the checkpoints.
	floorJobsTx []time.Duration
	floorSize   []int
	idle        loadResult    // the other clients with no job running
	load        loadResult    // the other clients during the scattered job under load
	rssKiB      int64         // the highest VmHWM of the org's servers
	txMax       time.Duration // the longest write transaction of the run's servers
	// txMaxBench is txMax without the hostage scenarios' servers.
	txMaxBench time.Duration
	terr       *territoryResult
}

// Run runs the bench (see crmd bench's help), printing progress to log and the result (a markdown
// table, or one JSON object with c.JSON) to out.
func Run(ctx context.Context, c *Config, out, log io.Writer) error {
	r := &runner{out: out, log: log}
	return r.bench(ctx, c)
}

// runner is one run of the bench and where it writes.
type runner struct {
	out, log io.Writer
}

func (m *runner) bench(ctx context.Context, c *Config) error {
	bin := c.ServerBin
	if bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("bench: finding the server binary: %w (give --server-bin)", err)
		}
		bin = exe
	}
	db := c.DB
	if db == "" {
		dir, err := os.MkdirTemp("", "crmd-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		db = filepath.Join(dir, "bench.db")
	}
	smallDB := strings.TrimSuffix(db, ".db") + "-small.db"
	if store.IsPostgresDSN(db) {
		// Replicas share one database, and so do the two orgs here: the small org's job runs on a
		// records table that also holds the large org's rows, as tenants of one deployment do.
		smallDB = db
		if err := checkNoOrg(ctx, db); err != nil {
			return err
		}
	} else {
		for _, p := range []string{db, smallDB} {
			if p == smallDB && c.LeadsSmall == 0 {
				continue
			}
			if _, err := os.Stat(p); err == nil {
				return fmt.Errorf("bench: %s exists; the bench needs a fresh file (remove it or choose another --db)", p)
			}
		}
	}
	loadBefore := loadAvg()
	var problems []string

	org, err := m.benchSetup(ctx, db, c.Leads, c.Seed)
	if err != nil {
		return err
	}
	if err := planMain(org, c); err != nil {
		return err
	}
	// The hostage scenarios run first, while the recycle bin is empty: restore_all_records then restores
	// exactly the range they delete, and the table is whole again for the plan.
	var hostage *hostageResult
	if c.Hostage {
		if hostage, err = m.hostageRun(ctx, bin, org); err != nil {
			return err
		}
	}
	mres, err := m.mainRun(ctx, bin, org, c, &problems)
	if err != nil {
		return err
	}
	var tput *throughputResult
	if c.Throughput > 0 {
		if tput, err = m.throughputRun(ctx, bin, org, c, &problems); err != nil {
			return err
		}
		mres.txMax = max(mres.txMax, tput.txMax)
		mres.rssKiB = max(mres.rssKiB, tput.rssKiB)
	}
	// The hostage scenarios provoke long work on purpose: the run's longest write transaction counts
	// them, and the bench's own measurements' longest is kept apart.
	mres.txMaxBench = mres.txMax
	if hostage != nil {
		mres.txMax = max(mres.txMax, hostage.longest)
	}
	var small *orgResult
	if c.LeadsSmall > 0 {
		big := c.JobSizes[len(c.JobSizes)-1]
		sorg, err := m.benchSetup(ctx, smallDB, c.LeadsSmall, c.Seed+1)
		if err != nil {
			return err
		}
		// As many runs of the largest job as leave the org at least half its size.
		runs := max(1, min(c.Repeat, c.LeadsSmall/(2*big)))
		splan := make([]benchJob, runs)
		for i := range splan {
			splan[i] = benchJob{size: big}
		}
		if err := planSmall(sorg, splan); err != nil {
			return err
		}
		small, err = m.smallRun(ctx, bin, sorg, &problems)
		if err != nil {
			return err
		}
		if c.DB == "" && smallDB != db {
			os.Remove(smallDB)
		}
	}
	loadAfter := loadAvg()
	if c.JSON {
		if err := printJSON(m.out, c, mres, small, tput, hostage, loadBefore, loadAfter, problems); err != nil {
			return err
		}
	} else {
		printBenchTable(m.out, c, mres, small, tput, loadBefore, loadAfter)
		if hostage != nil {
			printHostage(m.out, hostage)
		}
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(m.log, "PROBLEM:", p)
			if !c.JSON {
				fmt.Fprintln(m.out, "PROBLEM:", p)
			}
		}
		return fmt.Errorf("bench: %d problem(s)", len(problems))
	}
	return nil
}

// checkNoOrg refuses a PostgreSQL database that already holds an org: the figures are for a database
// holding exactly what the bench seeds.
func checkNoOrg(ctx context.Context, db string) error {
	st, err := store.Open(ctx, db)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.CountOrgs(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("bench: the database holds %d org(s); the bench needs one with none (a fresh database, or a fresh schema named by search_path in the URL)", n)
	}
	return nil
}

// benchSetup creates the org in a fresh database, seeds its Leads, mints the tokens and reads every
// Lead back (id, Created_Time, Lead_Source) for the plan.
func (m *runner) benchSetup(ctx context.Context, db string, leads int, seedValue uint64) (*benchOrg, error) {
	st, err := store.Open(ctx, db)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	n, err := admin.CreateOrg(ctx, st, "bench", "admin@bench.local", false)
	if err != nil {
		return nil, err
	}
	sd, err := seed.New(ctx, st, n.Org, "Leads", seedValue, 90*24*time.Hour)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	bar := progress.New(m.log, int64(leads), "seeding Leads")
	_, err = sd.Run(ctx, leads, func(k int) { bar.Add(k) })
	bar.Finish()
	if err != nil {
		return nil, fmt.Errorf("bench: seed: %w", err)
	}
	seedTime := time.Since(start)
	fmt.Fprintf(m.log, "crmd bench: seeded %d Leads in %v\n", leads, seedTime.Round(time.Millisecond))
	auth := &oauth.Server{Store: st}
	tr, err := auth.IssueForUser(ctx, n.ClientID, n.Org.ID, n.Admin.ID, benchScope, 6*time.Hour, false)
	if err != nil {
		return nil, fmt.Errorf("bench: token: %w", err)
	}
	recs, err := st.BenchRecordValues(ctx, n.Org.ID, sd.Module.ID, "Lead_Source")
	if err != nil {
		return nil, err
	}
	o := &benchOrg{db: db, engine: st.Engine(), leads: leads, seedRate: float64(leads) / seedTime.Seconds(), token: tr.AccessToken,
		org: n.Org, orgID: n.Org.ID, module: sd.Module, adminID: n.Admin.ID, seed: seedValue, records: recs}
	// A second org of the same database: its clients' inserts are what the hostage scenarios measure.
	other, err := admin.CreateOrg(ctx, st, "bench other "+strconv.FormatUint(seedValue, 10), "admin@other.bench.local", false)
	if err != nil {
		return nil, err
	}
	otr, err := auth.IssueForUser(ctx, other.ClientID, other.Org.ID, other.Admin.ID, benchScope, 6*time.Hour, false)
	if err != nil {
		return nil, fmt.Errorf("bench: token: %w", err)
	}
	o.otherToken = otr.AccessToken
	return o, nil
}
