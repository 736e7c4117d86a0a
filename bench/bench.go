// Package bench is crmd bench: it measures Mass Delete Records the way a client sees it, over HTTP
// against the real server run as a subprocess, on a database it seeds, and prints each figure beside
// its target.
package bench

import (
	"context"
	"fmt"
	"io"
	"math"
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
}

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
	big := c.JobSizes[len(c.JobSizes)-1]
	need := c.Repeat*sum(c.JobSizes) + big + c.IDCalls*c.IDBatch + 1000
	if c.Hostage {
		if c.HostageRestore < 1 {
			return fmt.Errorf("invalid --hostage-restore %d: want at least 1", c.HostageRestore)
		}
		need += c.HostageRestore // the range the restore_all_records scenario deletes and restores
	}
	if c.Leads < need {
		return fmt.Errorf("--leads %d is too few: the jobs and id calls delete %d, and 1000 must stay for the readers", c.Leads, need-1000)
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

// benchLead is one seeded Lead.
type benchLead struct {
	id      crmd.ID
	created int64 // Unix ms
}

// benchJob is one planned cvid job: a Created_Time range [from, to) that holds exactly count Leads.
type benchJob struct {
	size     int  // the size asked for
	load     bool // the other clients run during this job
	reserved bool // not a job of the series: the range the hostage scenarios delete and restore
	count    int  // the Leads the range holds
	from, to time.Time
}

// benchOrg is a seeded org on its own database file, with the plan of what to delete.
type benchOrg struct {
	db       string
	engine   string // "SQLite" or "PostgreSQL"
	leads    int
	seedRate float64 // Leads per second of `crmd seed`'s code path, org creation excluded
	token    string
	orgID    crmd.ID
	seed     uint64
	// otherToken is an admin token of a second org of the same database, whose inserts the hostage
	// scenarios measure; reserved is the range they delete and restore.
	otherToken string
	reserved   benchJob
	jobs       []benchJob
	idSets     [][]string // the id calls' ids
	spare      []string   // live Leads no job or id call touches: the readers' and updaters' targets
}

// jobResult is one job's measurement.
type jobResult struct {
	size, total int
	load        bool // the other clients ran during this job
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
	leads    int
	engine   string // "SQLite" or "PostgreSQL"
	seedRate float64
	ids      []time.Duration
	jobs     []jobResult
	idle     loadResult // the other clients with no job running
	load     loadResult // the other clients during the largest jobs
	rssKiB   int64
}

// Run runs the bench (see crmd bench's help), printing progress to log and the result table to out.
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
	big := c.JobSizes[len(c.JobSizes)-1]

	// The main org: id calls, every job size, and the load during the largest jobs.
	// Every size --repeat times with no other clients (the series), then one more job of the largest
	// size while the other clients run.
	var plan []benchJob
	for r := 0; r < c.Repeat; r++ {
		for _, size := range c.JobSizes {
			plan = append(plan, benchJob{size: size})
		}
	}
	plan = append(plan, benchJob{size: big, load: true})
	if c.Hostage {
		plan = append(plan, benchJob{size: c.HostageRestore, reserved: true})
	}
	org, err := m.benchSetup(ctx, db, c.Leads, c.Seed, plan, c.IDCalls, c.IDBatch)
	if err != nil {
		return err
	}
	// The hostage scenarios run first, while the recycle bin is empty: restore_all_records then restores
	// exactly the range they delete.
	var hostage *hostageResult
	if c.Hostage {
		if hostage, err = m.hostageRun(ctx, bin, org); err != nil {
			return err
		}
	}
	mres, err := m.benchRun(ctx, bin, org, true, &problems)
	if err != nil {
		return err
	}
	var small *orgResult
	if c.LeadsSmall > 0 {
		// As many runs of the largest job as leave the org at least half its size.
		runs := max(1, min(c.Repeat, c.LeadsSmall/(2*big)))
		splan := make([]benchJob, runs)
		for i := range splan {
			splan[i] = benchJob{size: big}
		}
		sorg, err := m.benchSetup(ctx, smallDB, c.LeadsSmall, c.Seed+1, splan, 0, 0)
		if err != nil {
			return err
		}
		small, err = m.benchRun(ctx, bin, sorg, false, &problems)
		if err != nil {
			return err
		}
		if c.DB == "" && smallDB != db {
			os.Remove(smallDB)
		}
	}
	printBenchTable(m.out, c, mres, small, loadBefore, loadAvg())
	if hostage != nil {
		printHostage(m.out, hostage)
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(m.out, "PROBLEM:", p)
		}
		return fmt.Errorf("bench: %d problem(s), listed after the table", len(problems))
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

// benchSetup creates the org in a fresh database, seeds its Leads, mints the token and plans the jobs
// (consecutive Created_Time ranges from the oldest Lead), the id calls (the newest Leads) and the
// spare Leads in between.
func (m *runner) benchSetup(ctx context.Context, db string, leads int, seedValue uint64, plan []benchJob, idCalls, idBatch int) (*benchOrg, error) {
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
	times, err := st.LiveRecordTimes(ctx, n.Org.ID, sd.Module.ID)
	if err != nil {
		return nil, err
	}
	all := make([]benchLead, len(times))
	for i, r := range times {
		all[i] = benchLead{id: r.ID, created: r.CreatedTime}
	}
	o := &benchOrg{db: db, engine: st.Engine(), leads: leads, seedRate: float64(leads) / seedTime.Seconds(), token: tr.AccessToken,
		orgID: n.Org.ID, seed: seedValue}
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
	// A range [from, to) of whole seconds holds every Lead from index i up to (not including) the first
	// one in the second of Lead i+size: at most size Leads, and the next range starts there.
	sec := func(ms int64) int64 { return int64(math.Floor(float64(ms) / 1000)) }
	i := 0
	tail := len(all) - idCalls*idBatch
	for _, job := range plan {
		size := job.size
		if i+size >= tail {
			return nil, fmt.Errorf("bench: %d Leads are too few for the jobs planned", leads)
		}
		from := sec(all[i].created)
		to := sec(all[i+size].created)
		j := i + size
		for j > i && sec(all[j-1].created) >= to {
			j--
		}
		if j == i {
			return nil, fmt.Errorf("bench: more than %d Leads share one second of Created_Time", size)
		}
		job.count, job.from, job.to = j-i, time.Unix(from, 0).UTC(), time.Unix(to, 0).UTC()
		if job.reserved {
			o.reserved = job
		} else {
			o.jobs = append(o.jobs, job)
		}
		i = j
	}
	for k := 0; k < idCalls; k++ {
		var ids []string
		for _, l := range all[tail+k*idBatch : tail+(k+1)*idBatch] {
			ids = append(ids, l.id.String())
		}
		o.idSets = append(o.idSets, ids)
	}
	for _, l := range all[i:tail] {
		o.spare = append(o.spare, l.id.String())
	}
	if len(o.spare) == 0 {
		return nil, fmt.Errorf("bench: no Lead is left for the readers")
	}
	return o, nil
}
