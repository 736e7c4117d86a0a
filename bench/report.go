package bench

// The table the bench prints: each figure, its target and their ratio.

import (
	"encoding/json"
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

// jobsOf returns the results of the jobs of one size and kind, run with or without the other clients.
func jobsOf(r *orgResult, size int, scattered, load bool) []jobResult {
	var out []jobResult
	for _, j := range r.jobs {
		if j.size == size && j.scattered == scattered && j.load == load {
			out = append(out, j)
		}
	}
	return out
}

func medianDuration(js []jobResult) time.Duration {
	return percentile(durations(js, func(j jobResult) time.Duration { return j.duration }), 0.5)
}

func ms(d time.Duration) float64 { return math.Round(float64(d.Microseconds())/10) / 100 }

// figures are the bench's results by their JSON key (docs/benchmarks.md explains each): --json prints
// them, and the markdown tables read the same values.
func figures(c *Config, r, small *orgResult, tput *throughputResult, hostage *hostageResult, loadBefore, loadAfter string, problems []string) map[string]any {
	big := c.JobSizes[len(c.JobSizes)-1]
	storeName := "sqlite"
	if r.engine == "PostgreSQL" {
		storeName = "postgres"
	}
	ratio := func(a, b time.Duration) float64 {
		if b <= 0 {
			return 0
		}
		return math.Round(float64(a)/float64(b)*100) / 100
	}
	load1 := func(s string) float64 {
		f, _ := strconv.ParseFloat(strings.Fields(s + " ?")[0], 64)
		return f
	}
	counts := func(js []jobResult) []int {
		var out []int
		for _, j := range js {
			out = append(out, j.total)
		}
		return out
	}
	scat := jobsOf(r, big, true, false)
	scatLoad := jobsOf(r, big, true, true)
	contig := jobsOf(r, big, false, false)
	floorJob := percentile(r.floorJobs, 0.5)
	var accepts []time.Duration
	for _, j := range r.jobs {
		accepts = append(accepts, j.accept)
	}
	f := map[string]any{
		"store": storeName, "leads": r.leads, "cpus": runtime.NumCPU(),
		"load_average_before": loadBefore, "load_average_after": loadAfter,
		"load1_before": load1(loadBefore), "load1_after": load1(loadAfter),
		"seed_rows_per_s": math.Round(r.seedRate),
		"ids_batch":       c.IDBatch,

		"ids500_random_p50_ms": ms(percentile(r.idsRandom, 0.5)), "ids500_random_p99_ms": ms(percentile(r.idsRandom, 0.99)),
		"ids500_random_calls":        len(r.idsRandom),
		"ids500_random_floor_p50_ms": ms(percentile(r.idsFloor, 0.5)), "ids500_random_floor_calls": len(r.idsFloor),
		"ids500_random_vs_floor":        ratio(percentile(r.idsRandom, 0.5), percentile(r.idsFloor, 0.5)),
		"ids500_random_floor_tx_p50_ms": ms(percentile(r.idsFloorTx, 0.5)),
		"ids500_random_vs_floor_tx":     ratio(percentile(r.idsRandom, 0.5), percentile(r.idsFloorTx, 0.5)),
		"ids500_contiguous_p50_ms":      ms(percentile(r.ids, 0.5)), "ids500_contiguous_p99_ms": ms(percentile(r.ids, 0.99)),
		"ids500_contiguous_calls": len(r.ids),

		"job_size":                  big,
		"job50k_scattered_ms":       ms(medianDuration(scat)),
		"job50k_scattered_runs":     len(scat),
		"job50k_scattered_counts":   counts(scat),
		"job50k_scattered_floor_ms": ms(floorJob), "job50k_scattered_floor_counts": r.floorSize,
		"job50k_scattered_vs_floor":          ratio(medianDuration(scat), floorJob),
		"job50k_scattered_floor_tx_ms":       ms(percentile(r.floorJobsTx, 0.5)),
		"job50k_scattered_vs_floor_tx":       ratio(medianDuration(scat), percentile(r.floorJobsTx, 0.5)),
		"job50k_scattered_under_load_ms":     ms(medianDuration(scatLoad)),
		"job50k_scattered_under_load_counts": counts(scatLoad),
		"job50k_contiguous_ms":               ms(medianDuration(contig)),
		"job50k_contiguous_runs":             len(contig),
		"job50k_contiguous_counts":           counts(contig),
		"cvid_accept_p50_ms":                 ms(percentile(accepts, 0.5)), "cvid_accept_max_ms": ms(percentile(accepts, 1)),

		"reads_p50_during_job_ms": ms(percentile(r.load.reads, 0.5)), "reads_p99_during_job_ms": ms(percentile(r.load.reads, 0.99)),
		"writes_p50_during_job_ms": ms(percentile(r.load.writes, 0.5)), "writes_p99_during_job_ms": ms(percentile(r.load.writes, 0.99)),
		"reads_during_job": len(r.load.reads), "writes_during_job": len(r.load.writes), "failed_during_job": r.load.errors,
		"reads_p99_idle_ms": ms(percentile(r.idle.reads, 0.99)), "writes_p99_idle_ms": ms(percentile(r.idle.writes, 0.99)),

		"max_write_lock_hold_ms":       ms(r.txMax),
		"max_write_lock_hold_bench_ms": ms(r.txMaxBench),
		"rss_peak_mib":                 math.Round(float64(r.rssKiB)/1024*10) / 10,
		"problems":                     append([]string{}, problems...),
	}
	if n := len(scat); n > 0 && medianDuration(scat) > 0 {
		f["job50k_scattered_records_per_s"] = math.Round(float64(scat[0].total) / medianDuration(scat).Seconds())
	}
	if floorJob > 0 && len(r.floorSize) > 0 {
		f["job50k_scattered_floor_records_per_s"] = math.Round(float64(r.floorSize[0]) / floorJob.Seconds())
	}
	if t := r.terr; t != nil {
		f["territory_select_ms"], f["territory_select_count"], f["territory_select_expected"] = ms(t.selectMS), t.count, t.want
		f["territory_view_select_ms"], f["territory_view_select_count"], f["territory_view_select_expected"] = ms(t.viewMS), t.viewCount, t.viewWnt
		f["territory_job_select_ms"], f["territory_job_select_count"] = ms(t.jobMS), t.jobCount
	}
	if tput != nil {
		f["throughput_records_per_s"] = math.Round(tput.perSecond())
		f["throughput_replicas"] = tput.replicas
		f["throughput_clients"] = tput.clients
		f["throughput_records"] = tput.deleted
		f["throughput_seconds"] = math.Round(tput.elapsed.Seconds()*100) / 100
		f["throughput_calls"] = len(tput.calls)
		f["throughput_call_p50_ms"] = ms(percentile(tput.calls, 0.5))
		f["throughput_call_p99_ms"] = ms(percentile(tput.calls, 0.99))
		f["throughput_failed_calls"] = tput.failed
		f["throughput_exhausted_clients"] = tput.exhausted
	}
	if hostage != nil {
		f["hostage_max_write_lock_hold_ms"] = ms(hostage.longest)
	}
	if small != nil {
		sj := jobsOf(small, big, false, false)
		f["leads_small"] = small.leads
		f["small_job_contiguous_ms"] = ms(medianDuration(sj))
		f["small_rss_peak_mib"] = math.Round(float64(small.rssKiB)/1024*10) / 10
	}
	return f
}

// printJSON prints the figures as one JSON object.
func printJSON(w io.Writer, c *Config, r, small *orgResult, tput *throughputResult, hostage *hostageResult, loadBefore, loadAfter string, problems []string) error {
	b, err := json.MarshalIndent(figures(c, r, small, tput, hostage, loadBefore, loadAfter, problems), "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// printBenchTable prints the results as markdown: each figure beside its target, then each figure
// beside its floor, then the jobs by size.
func printBenchTable(w io.Writer, c *Config, r, small *orgResult, tput *throughputResult, loadBefore, loadAfter string) {
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
	msRow(fmt.Sprintf("mass delete of %d random ids, p50 (%d calls)", idn, len(r.idsRandom)), percentile(r.idsRandom, 0.5), tg.ids)
	msRow(fmt.Sprintf("mass delete of %d random ids, p99", idn), percentile(r.idsRandom, 0.99), 0)
	msRow(fmt.Sprintf("mass delete of %d contiguous (newest) ids, p50 (%d calls)", idn, len(r.ids)), percentile(r.ids, 0.5), tg.ids)
	var accepts []time.Duration
	for _, j := range r.jobs {
		accepts = append(accepts, j.accept)
	}
	msRow(fmt.Sprintf("cvid accept, median (%d jobs)", len(accepts)), percentile(accepts, 0.5), tg.accept)
	msRow("cvid accept, slowest", percentile(accepts, 1), tg.accept)
	scat := jobsOf(r, big, true, false)
	msRow(fmt.Sprintf("scattered job of %d records, accept → COMPLETED, median of %d", big, len(scat)), medianDuration(scat), tg.job)
	contig := jobsOf(r, big, false, false)
	msRow(fmt.Sprintf("contiguous job of %d records, accept → COMPLETED, median of %d", big, len(contig)), medianDuration(contig), tg.job)
	for _, j := range jobsOf(r, big, true, true) {
		msRow(fmt.Sprintf("scattered job of %d records while the other clients run", j.total), j.duration, tg.job)
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
	if t := r.terr; t != nil {
		msRow(fmt.Sprintf("select territory West and its children (%d ids), median of %d", t.count, territorySelectRuns), t.selectMS, 0)
		msRow(fmt.Sprintf("select West and its children ∩ the scattered view (%d ids)", t.viewCount), t.viewMS, 0)
		msRow(fmt.Sprintf("a cvid job's read of West and its children (%d ids: the view limit + 1)", t.jobCount), t.jobMS, 0)
	}
	if tput != nil {
		row(fmt.Sprintf("throughput: %d clients of %d-id mass deletes over %d server(s), records/s", tput.clients, idn, tput.replicas),
			fmt.Sprintf("%.0f", tput.perSecond()), "", "")
		msRow("throughput: call p50", percentile(tput.calls, 0.5), 0)
		msRow("throughput: call p99", percentile(tput.calls, 0.99), 0)
	}
	msRow("longest write transaction of the run (crmd_db_write_tx_max_seconds)", r.txMax, 100*time.Millisecond)
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
	fmt.Fprintln(w, "crmd beside its floor (the same UPDATE through the driver, no HTTP, no job machinery, the server stopped):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| Measure | crmd | Floor | crmd / floor |")
	fmt.Fprintln(w, "|---|---|---|---|")
	floorRow := func(what string, d, floor time.Duration) {
		rat := ""
		if floor > 0 {
			rat = fmt.Sprintf("%.2f", float64(d)/float64(floor))
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", what, fmtMS(d), fmtMS(floor), rat)
	}
	floorRow(fmt.Sprintf("mass delete of %d random ids, p50 (%d calls, %d floor)", idn, len(r.idsRandom), len(r.idsFloor)),
		percentile(r.idsRandom, 0.5), percentile(r.idsFloor, 0.5))
	floorRow("… the floor without its WAL checkpoints (crmd serve checkpoints in the background)",
		percentile(r.idsRandom, 0.5), percentile(r.idsFloorTx, 0.5))
	floorRow(fmt.Sprintf("scattered job of %d records, median of %d (floor: as many random ids, batches of %d)", big, len(scat), floorBatch),
		medianDuration(scat), percentile(r.floorJobs, 0.5))
	floorRow("… the floor without its WAL checkpoints", medianDuration(scat), percentile(r.floorJobsTx, 0.5))

	fmt.Fprintln(w)
	fmt.Fprintf(w, "Job duration by size, with no other clients (accept → COMPLETED, median of the runs; status polled every %s):\n\n", fmtMS(benchPoll))
	fmt.Fprintln(w, "| Org Leads | Job | Runs | Records (Total_Count) | Median duration | ms per 1,000 records | Per-record cost / the largest contiguous job's on the main org |")
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
	ref := perK(contig)
	series := func(o *orgResult, size int, scattered bool) {
		js := jobsOf(o, size, scattered, false)
		if len(js) == 0 {
			return
		}
		var counts []string
		for _, j := range js {
			counts = append(counts, strconv.Itoa(j.total))
		}
		slices.Sort(counts)
		counts = slices.Compact(counts)
		kind := fmt.Sprintf("contiguous %d", size)
		if scattered {
			kind = fmt.Sprintf("scattered %d", size)
		}
		fmt.Fprintf(w, "| %d | %s | %d | %s | %s | %.1f | %.2f |\n", o.leads, kind, len(js), strings.Join(counts, ", "),
			fmtMS(medianDuration(js)), perK(js), perK(js)/ref)
	}
	for _, size := range c.JobSizes {
		series(r, size, false)
	}
	series(r, big, true)
	if small != nil {
		series(small, big, false)
	}
}
