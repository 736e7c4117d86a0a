package bench

// The table the bench prints: each figure, its target and their ratio.

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// percentile is the nearest-rank q-quantile of ds (0 when empty).
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	k := int(math.Ceil(q*float64(len(s)))) - 1
	return s[min(max(k, 0), len(s)-1)]
}

func fmtMS(d time.Duration) string {
	ms := float64(d.Microseconds()) / 1000
	switch {
	case ms >= 100:
		return fmt.Sprintf("%.0f ms", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.2f ms", ms)
}

// jobsOfSize returns the results of the jobs of one size, run with or without the other clients.
func jobsOfSize(r *orgResult, size int, load bool) []jobResult {
	var out []jobResult
	for _, j := range r.jobs {
		if j.size == size && j.load == load {
			out = append(out, j)
		}
	}
	return out
}

func durations(js []jobResult, f func(jobResult) time.Duration) []time.Duration {
	var out []time.Duration
	for _, j := range js {
		out = append(out, f(j))
	}
	return out
}

// printBenchTable prints the results as markdown.
// benchTargets are the figures the issues ask of each database (the mass delete issue for SQLite, the
// PostgreSQL issue for PostgreSQL).
type benchTargets struct {
	ids, accept, job, reads, writes time.Duration
	seed                            float64 // rows/s, at least
}

func targetsFor(engine string) benchTargets {
	if engine == "PostgreSQL" {
		return benchTargets{ids: 40 * time.Millisecond, accept: time.Second, job: 2500 * time.Millisecond,
			reads: 20 * time.Millisecond, writes: 50 * time.Millisecond, seed: 100_000}
	}
	return benchTargets{ids: 150 * time.Millisecond, accept: time.Second, job: 5 * time.Second,
		reads: 10 * time.Millisecond, writes: 150 * time.Millisecond, seed: 50_000}
}

func printBenchTable(w io.Writer, c *Config, r, small *orgResult, loadBefore, loadAfter string) {
	big := c.JobSizes[len(c.JobSizes)-1]
	tg := targetsFor(r.engine)
	ratio := func(fig, target float64) string {
		if target <= 0 {
			return ""
		}
		return fmt.Sprintf("%.2f", fig/target)
	}
	row := func(what, fig, target, rat string) {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", what, fig, target, rat)
	}
	msRow := func(what string, d time.Duration, target time.Duration) {
		t, rat := "", ""
		if target > 0 {
			t = "≤ " + fmtMS(target)
			rat = ratio(float64(d), float64(target))
		}
		row(what, fmtMS(d), t, rat)
	}
	fmt.Fprintf(w, "crmd bench: %d Leads, %s, %s/%s, %d CPUs, load average %s before, %s after\n\n",
		r.leads, r.engine, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), loadBefore, loadAfter)
	fmt.Fprintln(w, "| Measure | Figure | Target | Figure / target |")
	fmt.Fprintln(w, "|---|---|---|---|")
	row(fmt.Sprintf("crmd seed of %d Leads, rows/s", r.leads), fmt.Sprintf("%.0f", r.seedRate), fmt.Sprintf("≥ %.0f", tg.seed), ratio(r.seedRate, tg.seed))
	idn := c.IDBatch
	msRow(fmt.Sprintf("mass delete of %d ids, p50 (%d calls)", idn, len(r.ids)), percentile(r.ids, 0.5), tg.ids)
	msRow(fmt.Sprintf("mass delete of %d ids, p99", idn), percentile(r.ids, 0.99), 0)
	var accepts []time.Duration
	for _, j := range r.jobs {
		accepts = append(accepts, j.accept)
	}
	msRow(fmt.Sprintf("cvid accept, median (%d jobs)", len(accepts)), percentile(accepts, 0.5), tg.accept)
	msRow("cvid accept, slowest", percentile(accepts, 1), tg.accept)
	bigJobs := jobsOfSize(r, big, false)
	bigMed := percentile(durations(bigJobs, func(j jobResult) time.Duration { return j.duration }), 0.5)
	msRow(fmt.Sprintf("job of %d records, accept → COMPLETED, median of %d", big, len(bigJobs)), bigMed, tg.job)
	for _, j := range jobsOfSize(r, big, true) {
		msRow(fmt.Sprintf("job of %d records while the other clients run", big), j.duration, tg.job)
	}
	l := r.load
	msRow(fmt.Sprintf("during the job: single-record reads p50 (%d reads)", len(l.reads)), percentile(l.reads, 0.5), 0)
	msRow("during the job: single-record reads p99", percentile(l.reads, 0.99), tg.reads)
	msRow(fmt.Sprintf("during the job: single-record inserts/updates p50 (%d writes)", len(l.writes)), percentile(l.writes, 0.5), 0)
	msRow("during the job: single-record inserts/updates p99", percentile(l.writes, 0.99), tg.writes)
	if l.errors > 0 {
		row("during the job: failed reads/writes", strconv.Itoa(l.errors), "0", "")
	}
	i := r.idle
	msRow(fmt.Sprintf("no job running (baseline, %s): reads p99 (%d reads)", benchIdleLoad, len(i.reads)), percentile(i.reads, 0.99), 0)
	msRow(fmt.Sprintf("no job running (baseline): inserts/updates p99 (%d writes)", len(i.writes)), percentile(i.writes, 0.99), 0)
	if i.errors > 0 {
		row("no job running: failed reads/writes", strconv.Itoa(i.errors), "0", "")
	}
	rss := func(kib int64) string {
		if kib < 0 {
			return "?"
		}
		return fmt.Sprintf("%.0f MiB", float64(kib)/1024)
	}
	row(fmt.Sprintf("server peak RSS (VmHWM), %d-Lead org", r.leads), rss(r.rssKiB), "< 300 MiB", ratio(float64(r.rssKiB)/1024, 300))
	if small != nil {
		row(fmt.Sprintf("server peak RSS (VmHWM), %d-Lead org", small.leads), rss(small.rssKiB), "< 300 MiB", ratio(float64(small.rssKiB)/1024, 300))
	}

	fmt.Fprintln(w)
	fmt.Fprintf(w, "Job duration by size, with no other clients (accept → COMPLETED, median of the runs; status polled every %s):\n\n", fmtMS(benchPoll))
	fmt.Fprintln(w, "| Org Leads | Job size | Runs | Records (Total_Count) | Median duration | ms per 1,000 records | Per-record cost / the largest job's on the main org |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	// perK is the median over the runs of each run's duration per 1,000 records.
	perK := func(js []jobResult) float64 {
		var costs []float64
		for _, j := range js {
			costs = append(costs, float64(j.duration.Microseconds())/1000/(float64(max(j.total, 1))/1000))
		}
		slices.Sort(costs)
		return costs[(len(costs)-1)/2]
	}
	ref := perK(bigJobs)
	series := func(o *orgResult, size int) {
		js := jobsOfSize(o, size, false)
		if len(js) == 0 {
			return
		}
		var counts []string
		for _, j := range js {
			counts = append(counts, strconv.Itoa(j.total))
		}
		slices.Sort(counts)
		counts = slices.Compact(counts)
		med := percentile(durations(js, func(j jobResult) time.Duration { return j.duration }), 0.5)
		fmt.Fprintf(w, "| %d | %d | %d | %s | %s | %.1f | %.2f |\n", o.leads, size, len(js), strings.Join(counts, ", "),
			fmtMS(med), perK(js), perK(js)/ref)
	}
	for _, size := range c.JobSizes {
		series(r, size)
	}
	if small != nil {
		series(small, big)
	}
}
