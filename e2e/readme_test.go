package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// The README's examples are run by TestREADMEExamples, so that they never drift from the program. A
// fenced block is run when the line before it (blank lines aside) is one of these HTML comments, which
// GitHub does not show:
//
//	<!-- run -->             run the block with bash (-e -u -o pipefail), in order, in one working directory;
//	                         variables it sets are kept for the blocks after it
//	<!-- run: background --> start the block's one command in the background with --addr 127.0.0.1:0 added,
//	                         wait for its "crmd listening on URL" line and run the "export …" lines it
//	                         printed, as the README asks a reader to do
//	<!-- output -->          the JSON block is what the run block before it prints: the same keys, arrays
//	                         of the same length, the same values — except ids, times, tokens and secrets,
//	                         which only need to be of the same kind, and "…" inside a string, which
//	                         stands for any text
//
// Every http://127.0.0.1:8080 in a block or an output is the server the test started.
var (
	readmeMarkerRE = regexp.MustCompile(`^<!-- (run|run: background|output) -->$`)
	readmeIDRE     = regexp.MustCompile(`^[0-9]{15,19}$`)
	readmeTimeRE   = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2}$`)
	readmeTokenRE  = regexp.MustCompile(`^1000\.[0-9a-f]{16,}\.[0-9a-f]{16,}$`)
	readmeSecretRE = regexp.MustCompile(`^[0-9a-f]{32,}$`)
)

// readmeBlock is one marked fenced block of README.md.
type readmeBlock struct {
	kind string // run, run: background, output
	line int    // the line of its opening fence, for messages
	text string
}

// readmeBlocks returns README.md's marked blocks in order.
func readmeBlocks(t *testing.T) []readmeBlock {
	t.Helper()
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	var out []readmeBlock
	pending := ""
	for i := 0; i < len(lines); i++ {
		l := strings.TrimRight(lines[i], " \t")
		if m := readmeMarkerRE.FindStringSubmatch(l); m != nil {
			pending = m[1]
			continue
		}
		if !strings.HasPrefix(l, "```") {
			if l != "" {
				pending = ""
			}
			continue
		}
		start := i
		var body []string
		for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
			body = append(body, lines[i])
		}
		if pending != "" {
			out = append(out, readmeBlock{kind: pending, line: start + 1, text: strings.Join(body, "\n")})
		}
		pending = ""
	}
	return out
}

// TestREADMEExamples runs the README's marked examples in order against the real binary, on a fresh
// SQLite database in an empty directory (the README's own default), and checks each shown answer. It
// needs bash, curl and jq, as the README's reader does; without them it is skipped with a message,
// unless CRMD_README_TEST=require (CI) makes that a failure.
func TestREADMEExamples(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CRMD_README_TEST") == "require" {
				t.Fatalf("the README's examples need %s, which is not on PATH", tool)
			}
			t.Skipf("the README's examples need %s (not on PATH): install it to run them", tool)
		}
	}
	blocks := readmeBlocks(t)
	if len(blocks) < 10 {
		t.Fatalf("README.md has %d marked example blocks; the examples lost their markers?", len(blocks))
	}
	dir := t.TempDir()
	// The README's test section starts a server on the repository's example fixture, by the path a
	// reader in the repository's root gives.
	fixture, err := os.ReadFile("../fixtures/testdata/example.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "fixtures", "testdata"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fixtures", "testdata", "example.json"), fixture, 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, kv := range cleanEnv() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	env["PATH"] = filepath.Dir(crmdBin) + string(os.PathListSeparator) + env["PATH"]
	env["HOME"] = dir
	base := ""
	var lastOut string
	var lastRun *readmeBlock
	for i := range blocks {
		b := &blocks[i]
		text := b.text
		if base != "" {
			text = strings.ReplaceAll(text, "http://127.0.0.1:8080", base)
		}
		switch b.kind {
		case "run: background":
			base = readmeServe(t, b, dir, env)
			lastRun, lastOut = nil, ""
		case "run":
			lastOut = readmeRun(t, b, text, dir, env)
			lastRun = b
		case "output":
			if lastRun == nil {
				t.Fatalf("README.md:%d: an output block follows no run block", b.line)
			}
			readmeCompare(t, lastRun, b, text, lastOut)
			lastRun = nil
		}
	}
}

// readmeServe starts a background block's command (crmd serve) in dir and evaluates the export lines
// it prints; it returns the server's base URL.
func readmeServe(t *testing.T, b *readmeBlock, dir string, env map[string]string) string {
	t.Helper()
	cmdline := strings.TrimSpace(strings.Split(b.text, "#")[0])
	if strings.Contains(cmdline, "\n") || !strings.HasPrefix(cmdline, "crmd serve") {
		t.Fatalf("README.md:%d: a background block must be one crmd serve command, got %q", b.line, b.text)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "bash", "-c", "exec "+cmdline+" --addr 127.0.0.1:0")
	cmd.Dir = dir
	cmd.Env = envList(env)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		if t.Failed() {
			t.Logf("README server's log (last 4 KiB):\n%s", tail(stderr.String(), 4096))
		}
	})
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(startTimeout)
	var printed []string
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("README.md:%d: %s ended before listening:\n%s\n%s", b.line, cmdline, strings.Join(printed, "\n"), stderr.String())
			}
			printed = append(printed, l)
			if strings.HasPrefix(l, "export ") {
				// What the README asks the reader to paste into their shell.
				readmeRun(t, b, l, dir, env)
			}
			if u, ok := strings.CutPrefix(l, "crmd listening on "); ok {
				if env["TOKEN"] == "" {
					t.Fatalf("README.md:%d: the server printed no export TOKEN= line:\n%s", b.line, strings.Join(printed, "\n"))
				}
				go io.Copy(io.Discard, stdout)
				return strings.TrimSpace(u)
			}
		case <-timeout:
			t.Fatalf("README.md:%d: %s did not listen within %s", b.line, cmdline, startTimeout)
		}
	}
}

// readmeRun runs one block in bash with the variables of the blocks before it and returns its stdout;
// the variables it sets (set -a exports them all) are kept in env.
func readmeRun(t *testing.T, b *readmeBlock, text, dir string, env map[string]string) string {
	t.Helper()
	envFile := filepath.Join(dir, ".readme-env")
	script := "set -euo pipefail\nset -a\n" + text + "\nenv -0 > " + envFile + "\n"
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = dir
	cmd.Env = envList(env)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("README.md:%d: the example failed: %v\n--- example:\n%s\n--- stdout:\n%s\n--- stderr:\n%s", b.line, err, text, stdout.String(), tail(stderr.String(), 2048))
		}
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("README.md:%d: the example ran for more than 2 minutes:\n%s", b.line, text)
	}
	raw, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range strings.Split(string(raw), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "_" && k != "SHLVL" && k != "PWD" && k != "OLDPWD" {
			env[k] = v
		}
	}
	return stdout.String()
}

// envList turns env into os/exec's form, sorted so that runs are repeatable.
func envList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// readmeCompare checks that got, the stdout of run, is the JSON the output block shows.
func readmeCompare(t *testing.T, run, out *readmeBlock, want, got string) {
	t.Helper()
	wantVals, err := jsonStream(want)
	if err != nil {
		t.Fatalf("README.md:%d: the output block is not JSON: %v", out.line, err)
	}
	gotVals, err := jsonStream(got)
	if err != nil {
		t.Fatalf("README.md:%d: the example printed something that is not JSON (%v):\n%s", run.line, err, got)
	}
	if len(gotVals) != len(wantVals) {
		t.Fatalf("README.md:%d: the example printed %d JSON values, the README shows %d:\n%s", run.line, len(gotVals), len(wantVals), got)
	}
	for i := range wantVals {
		if path, why := jsonLike(wantVals[i], gotVals[i], "$"); path != "" {
			t.Errorf("README.md:%d: at %s %s\n--- shown:\n%s\n--- printed:\n%s", out.line, path, why, want, got)
		}
	}
}

func jsonStream(s string) ([]any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var out []any
	for {
		var v any
		err := dec.Decode(&v)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
}

// jsonLike compares a shown JSON value with a printed one; it returns the path of the first difference
// and what differs, or "".
func jsonLike(want, got any, path string) (string, string) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return path, fmt.Sprintf("the README shows an object, the program printed %v", got)
		}
		for k := range w {
			if _, ok := g[k]; !ok {
				return path, "the program printed no key " + k
			}
		}
		keys := make([]string, 0, len(g))
		for k := range g {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if _, ok := w[k]; !ok {
				return path, "the README does not show the key " + k
			}
			if p, why := jsonLike(w[k], g[k], path+"."+k); p != "" {
				return p, why
			}
		}
		return "", ""
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return path, fmt.Sprintf("the README shows %d elements, the program printed %v", len(w), got)
		}
		for i := range w {
			if p, why := jsonLike(w[i], g[i], fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p, why
			}
		}
		return "", ""
	case string:
		g, ok := got.(string)
		if ok && readmeSameString(w, g) {
			return "", ""
		}
		return path, fmt.Sprintf("the README shows %q, the program printed %v", w, got)
	default:
		if fmt.Sprint(want) != fmt.Sprint(got) {
			return path, fmt.Sprintf("the README shows %v, the program printed %v", want, got)
		}
		return "", ""
	}
}

// readmeSameString: equal strings, two values of one variable kind (ids, times, tokens, secrets), or a
// shown string whose "…" stand for any text.
func readmeSameString(want, got string) bool {
	if want == got {
		return true
	}
	for _, re := range []*regexp.Regexp{readmeIDRE, readmeTimeRE, readmeTokenRE, readmeSecretRE} {
		if re.MatchString(want) && re.MatchString(got) {
			return true
		}
	}
	if strings.Contains(want, "…") {
		parts := strings.Split(want, "…")
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		return regexp.MustCompile(`^` + strings.Join(parts, `.*`) + `$`).MatchString(got)
	}
	return false
}
