package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchEndToEnd runs `crmd bench` with scaled-down sizes against a freshly built crmd binary, so that
// the command keeps working: it must exit 0 and print its tables. The timings are not checked.
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
		"--leads", "3500", "--leads-small", "1500", "--job-sizes", "100,500", "--id-calls", "3", "--id-batch", "50", "--hostage-restore", "300"},
		&stdout, &stderr, func(k string) string { return env[k] })
	if code != 0 {
		t.Fatalf("crmd bench exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"| Measure | Figure | Target | Figure / target |",
		"| mass delete of 50 ids, p50 (3 calls) |",
		"| cvid accept, median (5 jobs) |",
		"| job of 500 records while the other clients run |",
		"| job of 500 records, accept → COMPLETED, median of 2 |",
		"| during the job: single-record reads p99 |",
		"| during the job: single-record inserts/updates p99 |",
		"| server peak RSS (VmHWM), 3500-Lead org |",
		"| 3500 | 100 | 2 | 100 |",
		"| 3500 | 500 | 2 | 500 |",
		"| 1500 | 500 | 1 | 500 |",
		"No request holds the database hostage: 3500 Leads",
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
	} {
		var stderr bytes.Buffer
		code := run(context.Background(), append([]string{"bench"}, args...), &bytes.Buffer{}, &stderr, nil)
		if code != 2 {
			t.Errorf("crmd bench %v: exit %d, want 2 (usage error); stderr %s", args, code, stderr.String())
		}
	}
}
