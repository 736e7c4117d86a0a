package bench

// The plan: which Leads each measurement deletes, fixed before anything runs, so that every job's count
// is known beforehand (from the database's own rows, not through the criteria compiler the jobs use)
// and no measurement deletes what a later one needs.
//
// The main org runs, in this order: the scattered jobs and the random id calls, alternating with their
// floors (the server stopped), then the scattered job under load, the contiguous id calls and the
// contiguous jobs. The scattered jobs select Lead_Source values nothing before them touches; the random
// ids and the floors' ids avoid every scattered job's Leads and the newest Leads (the contiguous id
// calls'); the contiguous ranges are planned last, over what is still live when they run.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// spareLeads is how many live Leads the readers and updaters pick from.
const spareLeads = 10_000

// sec is the whole second (Unix) of a Unix ms.
func sec(ms int64) int64 { return int64(math.Floor(float64(ms) / 1000)) }

// planMain plans the main org: see the top of this file.
func planMain(o *benchOrg, c *Config) error {
	all := o.records
	big := c.JobSizes[len(c.JobSizes)-1]
	gone := make([]bool, len(all)) // deleted by a measurement planned so far
	// The hostage scenarios delete and restore the oldest Leads first: the range holds every Lead of it.
	if c.Hostage {
		r, err := planRange(all, make([]bool, len(all)), 0, c.HostageRestore, len(all))
		if err != nil {
			return fmt.Errorf("bench: the hostage range: %w", err)
		}
		r.reserved = true
		o.reserved = r
	}

	// The scattered jobs: Lead_Source values, most frequent first, each job taking as many as it needs
	// to hold its size, then the oldest-first Created_Time range that trims them to it. Each value's
	// Leads are spread evenly over the table, so a job's ids are too (about one in 18 per value).
	counts := map[string]int{}
	for _, r := range all {
		if r.Value != "" {
			counts[r.Value]++
		}
	}
	values := make([]string, 0, len(counts))
	for v := range counts {
		values = append(values, v)
	}
	slices.SortFunc(values, func(a, b string) int {
		if counts[a] != counts[b] {
			return counts[b] - counts[a]
		}
		if a < b {
			return -1
		}
		return 1
	})
	next := 0
	for k := 0; k <= c.Repeat; k++ {
		job := benchJob{size: big, scattered: true, load: k == c.Repeat}
		have := 0
		for have <= big && next < len(values) {
			job.values = append(job.values, values[next])
			have += counts[values[next]]
			next++
		}
		if have <= big {
			return fmt.Errorf("bench: %d Leads are too few for %d scattered jobs of %d: their Lead_Source values run out (raise --leads or lower --job-sizes)",
				len(all), c.Repeat+1, big)
		}
		in := map[string]bool{}
		for _, v := range job.values {
			in[v] = true
		}
		// The (big+1)-th matching Lead's second ends the range; the Leads of that second are left out.
		seen, end := 0, len(all)
		for i, r := range all {
			if in[r.Value] {
				seen++
				if seen == big+1 {
					end = i
					break
				}
			}
		}
		job.from = time.Unix(sec(all[0].CreatedTime), 0).UTC()
		if end < len(all) {
			job.to = time.Unix(sec(all[end].CreatedTime), 0).UTC()
		} else {
			job.to = time.Unix(sec(all[len(all)-1].CreatedTime)+1, 0).UTC()
		}
		for i, r := range all {
			if in[r.Value] && r.CreatedTime < job.to.UnixMilli() {
				job.ids = append(job.ids, r.ID)
				gone[i] = true
			}
		}
		slices.Sort(job.ids)
		job.count = len(job.ids)
		if job.count < big*9/10 {
			return fmt.Errorf("bench: too many Leads share a second of Created_Time for a scattered job of %d", big)
		}
		o.scattered = append(o.scattered, job)
	}

	// The contiguous id calls: the newest Leads no scattered job selects.
	need := c.IDCalls * c.IDBatch
	var tail []crmd.ID
	for i := len(all) - 1; i >= 0 && len(tail) < need; i-- {
		if !gone[i] {
			tail = append(tail, all[i].ID)
			gone[i] = true
		}
	}
	if len(tail) < need {
		return fmt.Errorf("bench: %d Leads are too few for the id calls", len(all))
	}
	slices.Reverse(tail)
	for k := 0; k < c.IDCalls; k++ {
		o.idSets = append(o.idSets, idStrings(tail[k*c.IDBatch:(k+1)*c.IDBatch]))
	}

	// Random ids over the whole table, from what is left, shuffled with the bench's seed: the random
	// id calls, their floor, the scattered jobs' floors and the readers' spare Leads.
	var pool []int
	for i := range all {
		if !gone[i] {
			pool = append(pool, i)
		}
	}
	rng := rand.New(rand.NewPCG(o.seed, 0x5ca77e4))
	rng.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	take := func(n int) ([]crmd.ID, error) {
		if n > len(pool) {
			return nil, fmt.Errorf("bench: %d Leads are too few for the plan (raise --leads)", len(all))
		}
		out := make([]crmd.ID, n)
		for k, i := range pool[:n] {
			out[k] = all[i].ID
			gone[i] = true
		}
		pool = pool[n:]
		return out, nil
	}
	for k := 0; k < c.IDCalls; k++ {
		ids, err := take(c.IDBatch)
		if err != nil {
			return err
		}
		o.randomSets = append(o.randomSets, idStrings(ids))
		if ids, err = take(c.IDBatch); err != nil {
			return err
		}
		o.floorSets = append(o.floorSets, ids)
		if ids, err = take(c.IDBatch); err != nil {
			return err
		}
		o.floorSetsTx = append(o.floorSetsTx, ids)
	}
	for k := 0; k < c.Repeat; k++ {
		for _, into := range []*[][]crmd.ID{&o.floorJobs, &o.floorJobsTx} {
			ids, err := take(o.scattered[k].count)
			if err != nil {
				return err
			}
			slices.Sort(ids) // a job's snapshot is in id order
			*into = append(*into, ids)
		}
	}
	// The spare Leads stay live until the contiguous jobs, which run after the readers stop.
	for _, i := range pool[:min(spareLeads, len(pool))] {
		o.spare = append(o.spare, all[i].ID.String())
	}
	if len(o.spare) == 0 {
		return fmt.Errorf("bench: no Lead is left for the readers")
	}

	// The contiguous jobs, from the oldest Lead, over what is live when they run.
	i := 0
	for r := 0; r < c.Repeat; r++ {
		for _, size := range c.JobSizes {
			job, err := planRange(all, gone, i, size, len(all))
			if err != nil {
				return err
			}
			o.jobs = append(o.jobs, job)
			i = job.next
		}
	}
	return nil
}

// planSmall plans the small org's jobs: consecutive Created_Time ranges from the oldest Lead.
func planSmall(o *benchOrg, plan []benchJob) error {
	gone := make([]bool, len(o.records))
	i := 0
	for _, p := range plan {
		job, err := planRange(o.records, gone, i, p.size, len(o.records))
		if err != nil {
			return err
		}
		o.jobs = append(o.jobs, job)
		i = job.next
	}
	for _, r := range o.records[i:] {
		o.spare = append(o.spare, r.ID.String())
	}
	return nil
}

// planRange plans a range [from, to) of whole seconds of Created_Time from Lead i: it holds at most
// size Leads that are not gone (and marks them gone), every Lead up to (not including) the first one in
// the second of the (size+1)-th, so that the next range starts there. limit is the first Lead it may
// not reach.
func planRange(all []store.BenchRecord, gone []bool, i, size, limit int) (benchJob, error) {
	job := benchJob{size: size}
	live, j := 0, i
	for j < limit && (live < size || gone[j]) {
		if !gone[j] {
			live++
		}
		j++
	}
	if j >= limit {
		return job, fmt.Errorf("bench: %d Leads are too few for the jobs planned", len(all))
	}
	to := sec(all[j].CreatedTime)
	for j > i && sec(all[j-1].CreatedTime) >= to {
		j--
	}
	if j == i {
		return job, fmt.Errorf("bench: more than %d Leads share one second of Created_Time", size)
	}
	for k := i; k < j; k++ {
		if !gone[k] {
			job.count++
			gone[k] = true
		}
	}
	job.from, job.to, job.next = time.Unix(sec(all[i].CreatedTime), 0).UTC(), time.Unix(to, 0).UTC(), j
	return job, nil
}

func idStrings(ids []crmd.ID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strconv.FormatInt(int64(id), 10)
	}
	return out
}
