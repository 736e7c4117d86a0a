package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchEndToEnd runs `crmd bench` with scaled-down sizes against a freshly built crmd binary, so that
// the command keeps working: the markdown tables with the hostage scenarios, and the JSON object, every
// key of it with sane values (floors measured, counts as planned). The timings are not compared with
// targets.
func TestBenchEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the crmd binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "crmd")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building crmd: %v\n%s", err, out)
	}
	var stdout, stderr bytes.Buffer
	env := map[string]string{"CRMD_REPEAT": "2"} // flags also come from the environment
	code := run(context.Background(), []string{"bench", "--db", filepath.Join(dir, "bench.db"), "--server-bin", bin,
		"--leads", "4500", "--leads-small", "1500", "--job-sizes", "50,200", "--id-calls", "3", "--id-batch", "50", "--hostage-restore", "300",
		"--throughput", "0"},
		&stdout, &stderr, func(k string) string { return env[k] })
	if code != 0 {
		t.Fatalf("crmd bench exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"| Measure | Figure | Target | Figure / target |",
		"| mass delete of 50 random ids, p50 (3 calls) |",
		"| mass delete of 50 contiguous (newest) ids, p50 (3 calls) |",
		"| cvid accept, median (7 jobs) |",
		"| scattered job of 200 records, accept → COMPLETED, median of 2 |",
		"| contiguous job of 200 records, accept → COMPLETED, median of 2 |",
		"| scattered job of 200 records while the other clients run |",
		"| during the job: single-record reads p99 |",
		"| during the job: single-record inserts/updates p99 |",
		"| select territory West and its children (",
		"| server peak RSS (VmHWM), 4500-Lead org |",
		"| Measure | crmd | Floor | crmd / floor |",
		"| mass delete of 50 random ids, p50 (3 calls, 3 floor) |",
		"| scattered job of 200 records, median of 2 (floor: as many random ids, batches of 500) |",
		"| … the floor without its WAL checkpoints |",
		"| 4500 | contiguous 50 | 2 | 50 |",
		"| 4500 | contiguous 200 | 2 | 200 |",
		"| 4500 | scattered 200 | 2 | 200 |",
		"| 1500 | contiguous 200 | 2 | 200 |",
		"No request holds the database hostage: 4500 Leads",
		"| idle: no other work | — |",
		"| (a) a view on a field never indexed: create, first list, index built | create ",
		"| (b) the wide view (8 × 25 contains on Description): list | 204 in ",
		"| (b) the wide view: mass delete | 400 NO_RECORDS_FOUND in ",
		"| (c) restore_all_records of 300 | 202 in ",
		"Longest write transaction of the run (crmd_db_write_tx_max_seconds, both servers): ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "PROBLEM") {
		t.Errorf("the bench found problems:\n%s", out)
	}

	// --json: one object with every figure, on a fresh database, with a short throughput run.
	stdout.Reset()
	stderr.Reset()
	code = run(context.Background(), []string{"bench", "--db", filepath.Join(dir, "json.db"), "--server-bin", bin,
		"--leads", "12000", "--leads-small", "0", "--job-sizes", "100,300", "--repeat", "2", "--id-calls", "4", "--id-batch", "50",
		"--hostage=false", "--throughput", "1s", "--json"},
		&stdout, &stderr, func(string) string { return "" })
	if code != 0 {
		t.Fatalf("crmd bench --json exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	var f map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &f); err != nil {
		t.Fatalf("crmd bench --json printed no JSON object: %v\n%s", err, stdout.String())
	}
	num := func(k string) float64 {
		v, ok := f[k].(float64)
		if !ok {
			t.Errorf("JSON key %q: %v (%T), want a number", k, f[k], f[k])
		}
		return v
	}
	if f["store"] != "sqlite" {
		t.Errorf("store = %v, want sqlite", f["store"])
	}
	if num("leads") != 12000 || num("ids_batch") != 50 || num("job_size") != 300 {
		t.Errorf("leads %v, ids_batch %v, job_size %v: want 12000, 50, 300", f["leads"], f["ids_batch"], f["job_size"])
	}
	// Every duration was measured: none is zero.
	for _, k := range []string{"ids500_random_p50_ms", "ids500_random_floor_p50_ms", "ids500_contiguous_p50_ms",
		"job50k_scattered_ms", "job50k_scattered_floor_ms", "job50k_contiguous_ms", "job50k_scattered_under_load_ms",
		"territory_select_ms", "territory_view_select_ms", "territory_job_select_ms", "reads_p99_during_job_ms", "writes_p99_during_job_ms",
		"max_write_lock_hold_ms", "rss_peak_mib", "seed_rows_per_s", "throughput_records_per_s",
		"throughput_call_p50_ms", "throughput_call_p99_ms", "ids500_random_vs_floor", "job50k_scattered_vs_floor",
		"ids500_random_floor_tx_p50_ms", "job50k_scattered_floor_tx_ms", "ids500_random_vs_floor_tx", "job50k_scattered_vs_floor_tx",
		"max_write_lock_hold_bench_ms", "cvid_accept_p50_ms"} {
		if v := num(k); !(v > 0) {
			t.Errorf("%s = %v, want > 0", k, v)
		}
	}
	if num("throughput_call_p99_ms") < num("throughput_call_p50_ms") || num("ids500_random_p99_ms") < num("ids500_random_p50_ms") {
		t.Errorf("a p99 below its p50: %v", f)
	}
	if num("ids500_random_calls") != 4 || num("ids500_random_floor_calls") != 4 || num("ids500_contiguous_calls") != 4 {
		t.Errorf("id calls: random %v, floor %v, contiguous %v; want 4 each", f["ids500_random_calls"], f["ids500_random_floor_calls"], f["ids500_contiguous_calls"])
	}
	if num("throughput_replicas") != 1 || num("throughput_clients") != 8 || num("throughput_failed_calls") != 0 {
		t.Errorf("throughput: replicas %v, clients %v, failed calls %v", f["throughput_replicas"], f["throughput_clients"], f["throughput_failed_calls"])
	}
	// Every job deleted what the plan counted beforehand (the bench reports a problem otherwise): the
	// scattered and contiguous jobs of 300, and their floors, as many records.
	for _, k := range []string{"job50k_scattered_counts", "job50k_contiguous_counts", "job50k_scattered_floor_counts"} {
		cs, _ := f[k].([]any)
		if len(cs) != 2 {
			t.Errorf("%s = %v, want 2 runs", k, f[k])
		}
		for _, c := range cs {
			if n, _ := c.(float64); n < 270 || n > 300 {
				t.Errorf("%s = %v, want counts of about 300", k, f[k])
			}
		}
	}
	// A third of the Leads in each of West's two children, none deleted yet when selected.
	if num("territory_select_count") != num("territory_select_expected") || num("territory_select_count") < 7700 || num("territory_select_count") > 8300 {
		t.Errorf("territory select: %v ids, expected %v", f["territory_select_count"], f["territory_select_expected"])
	}
	if num("territory_view_select_count") != num("territory_view_select_expected") || !(num("territory_view_select_count") > 0) {
		t.Errorf("territory ∩ view select: %v ids, expected %v", f["territory_view_select_count"], f["territory_view_select_expected"])
	}
	if p, _ := f["problems"].([]any); len(p) != 0 || f["problems"] == nil {
		t.Errorf("problems: %v", f["problems"])
	}

	// A database that exists is refused rather than overwritten.
	stdout.Reset()
	stderr.Reset()
	code = run(context.Background(), []string{"bench", "--db", filepath.Join(dir, "bench.db"), "--server-bin", bin,
		"--leads", "3000", "--leads-small", "0", "--job-sizes", "100", "--id-calls", "1", "--id-batch", "10", "--hostage=false"},
		&stdout, &stderr, func(string) string { return "" })
	if code != 1 || !strings.Contains(stderr.String(), "exists") {
		t.Errorf("bench on an existing file: exit %d, stderr %s", code, stderr.String())
	}
}

// TestBenchFlags checks the flag validation that needs no server.
func TestBenchFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--job-sizes", "10,x"},
		{"--job-sizes", "0"},
		{"--repeat", "0"},
		{"--leads", "100", "--job-sizes", "1000"},
		{"--leads-small", "10"},
		{"--throughput", "-1s"},
		{"--replicas", "0"},
		{"--replicas", "3"},                         // SQLite: one process
		{"--leads", "200000", "--leads-small", "0"}, // the defaults plan more than 200,000
	} {
		var stderr bytes.Buffer
		code := run(context.Background(), append([]string{"bench"}, args...), &bytes.Buffer{}, &stderr, nil)
		if code != 2 {
			t.Errorf("crmd bench %v: exit %d, want 2 (usage error); stderr %s", args, code, stderr.String())
		}
	}
}
