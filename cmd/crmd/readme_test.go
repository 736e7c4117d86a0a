package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// readme returns README.md's "Command line" section.
func readmeCommandLine(t *testing.T) (all, section string) {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	all = string(b)
	start := strings.Index(all, "\n## Command line\n")
	if start < 0 {
		t.Fatal("README.md has no \"## Command line\" section")
	}
	section = all[start+1:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	return all, section
}

// TestREADMEListsEveryFlag: the README's command line section names every flag of every command, and
// has a row for each flag of serve, so that a newcomer sees every setting and its bounds.
func TestREADMEListsEveryFlag(t *testing.T) {
	_, section := readmeCommandLine(t)
	for _, c := range commands {
		if c == benchCmd {
			continue // documented in the Benchmarks section
		}
		fs, _ := c.newFlagSet(&Main{})
		fs.VisitAll(func(f *flag.Flag) {
			if !strings.Contains(section, "--"+f.Name+" ") && !strings.Contains(section, "--"+f.Name+"]") && !strings.Contains(section, "--"+f.Name+"`") {
				t.Errorf("README's command line section does not name %s's --%s", c.fullName(), f.Name)
			}
			if c == serveCmd && !strings.Contains(section, "| `--"+f.Name+"` |") {
				t.Errorf("README's table of serve settings has no row for --%s", f.Name)
			}
		})
	}
}

// TestREADMEStatesTheGoVersion: the README names the Go version go.mod requires.
func TestREADMEStatesTheGoVersion(t *testing.T) {
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(string(mod))
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	all, _ := readmeCommandLine(t)
	if want := "**Go " + m[1] + " or later**"; !strings.Contains(all, want) {
		t.Errorf("README.md does not say %q (go.mod: go %s)", want, m[1])
	}
}

// TestNothingPointsOutsideTheRepository: the repository stands alone — no tracked file refers to a path
// above the checkout (a spec or a sibling directory a clone does not have).
func TestNothingPointsOutsideTheRepository(t *testing.T) {
	out, err := exec.Command("git", "-C", "../..", "grep", "-n", "-I", "-E", `\.\./shared|shared/(spec|seed|perf-floor)|/work/`, "--", ".", ":!.ci/*", ":!cmd/crmd/readme_test.go").CombinedOutput()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
			return // git grep found nothing
		}
		t.Skipf("git grep unavailable here: %v %s", err, out)
	}
	t.Errorf("tracked files refer to paths outside the repository:\n%s", out)
}

// TestDocLinksResolve: every relative link of README.md, ARCHITECTURE.md, DEVELOPERS.md,
// conformance/sdk/README.md and docs/*.md names a file of the repository and, with a #fragment, an anchor of it (an <a id> or a
// heading, slugged as GitHub does).
func TestDocLinksResolve(t *testing.T) {
	root := "../.."
	files := []string{"README.md", "ARCHITECTURE.md", "DEVELOPERS.md", "conformance/sdk/README.md"}
	docs, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	for _, d := range docs {
		files = append(files, strings.TrimPrefix(d, root+"/"))
	}
	linkRE := regexp.MustCompile(`\]\(([^)\s]+)\)|^\[[^\]]+\]:\s*(\S+)`)
	anchors := map[string]map[string]bool{}
	anchorsOf := func(path string) map[string]bool {
		if a, ok := anchors[path]; ok {
			return a
		}
		a := map[string]bool{}
		b, err := os.ReadFile(filepath.Join(root, path))
		if err == nil {
			for _, m := range regexp.MustCompile(`<a id="([^"]+)">`).FindAllStringSubmatch(string(b), -1) {
				a[m[1]] = true
			}
			for _, l := range strings.Split(string(b), "\n") {
				if h, ok := strings.CutPrefix(strings.TrimLeft(l, "#"), " "); ok && strings.HasPrefix(l, "#") {
					a[githubSlug(h)] = true
				}
			}
		}
		anchors[path] = a
		return a
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			if f == "DEVELOPERS.md" || f == "conformance/sdk/README.md" {
				continue
			}
			t.Fatal(err)
		}
		for i, l := range strings.Split(string(b), "\n") {
			for _, m := range linkRE.FindAllStringSubmatch(l, -1) {
				target := m[1] + m[2]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				path, frag, _ := strings.Cut(target, "#")
				resolved := f
				if path != "" {
					resolved = filepath.Clean(filepath.Join(filepath.Dir(f), path))
					if _, err := os.Stat(filepath.Join(root, resolved)); err != nil {
						t.Errorf("%s:%d: link %q: no file %s", f, i+1, target, resolved)
						continue
					}
				}
				if frag != "" && strings.HasSuffix(resolved, ".md") && !anchorsOf(resolved)[frag] {
					t.Errorf("%s:%d: link %q: %s has no anchor %q", f, i+1, target, resolved, frag)
				}
			}
		}
	}
}

// githubSlug is the anchor GitHub gives a heading: lower case, spaces as dashes, punctuation dropped.
func githubSlug(h string) string {
	h = regexp.MustCompile(`<[^>]+>`).ReplaceAllString(h, "")
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(h)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestREADMETestExamplesAreTheRunFiles: the README's Node and Go examples of "Using crmd in your tests"
// are, to the byte, files that run (the SDK suite runs the Node one, go test the Go one), and its CI
// snippet starts crmd with the command the README's test runs.
func TestREADMETestExamplesAreTheRunFiles(t *testing.T) {
	all, _ := readmeCommandLine(t)
	node, err := os.ReadFile("../../conformance/sdk/examples/fixtures.mjs")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(all, "```js\n"+strings.TrimRight(string(node), "\n")+"\n```") {
		t.Error("README.md does not show conformance/sdk/examples/fixtures.mjs as it is")
	}
	goex, err := os.ReadFile("../../testserver/example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	s := string(goex)
	start := strings.Index(s, "// A server with the default fixture")
	end := strings.Index(s[start:], "\n}\n")
	if start < 0 || end < 0 || !strings.Contains(all, "```go\n"+s[start:start+end+2]+"\n```") {
		t.Error("README.md does not show testserver's Example as it is")
	}
	serve := "serve --db ci.db --fixtures fixtures/testdata/example.json --control-token ci-control-token"
	if !strings.Contains(all, "```sh\ncrmd "+serve+"\n```") || !strings.Contains(all, `"$RUNNER_TEMP/crmd" `+serve+" &") {
		t.Error("the CI snippet's crmd serve is not the command the README's test runs")
	}
}
