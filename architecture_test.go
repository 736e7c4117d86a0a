package crmd_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The layers of ARCHITECTURE.md, kept true: which of crmd's own packages each package may import (its
// non-test files), read from `go list`. A package the table does not know fails the test, so that a new
// package gets a place in the layers (and in ARCHITECTURE.md) when it is made.
const module = "github.com/crmd/crmd"

// services are the packages that hold crmd's rules. They speak typed Go values: no HTTP, no URLs.
var services = []string{"metadata", "oauth", "views", "territories", "recyclebin", "records", "massdelete", "audit", "snapshots", "notify"}

// mayImport is, per package (relative to the module; "" is the root), the module's packages it may
// import.
var mayImport = map[string][]string{
	"":                  {},
	"catalog":           {""},
	"criteria":          {""},
	"coql":              {"", "criteria"},
	"store":             {"", "criteria"},
	"metadata":          {"", "store"},
	"oauth":             {"", "store"},
	"views":             {"", "criteria", "store", "jobs"},
	"territories":       {"", "store"},
	"jobs":              {"", "store"},
	"notify":            {"", "store"},
	"webhook":           {"", "store"},
	"recyclebin":        {"", "store", "jobs"},
	"audit":             {"", "store"},
	"snapshots":         {"", "store"},
	"records":           {"", "criteria", "store", "views", "territories"},
	"massdelete":        {"", "store", "jobs", "views", "territories", "records"},
	"admin":             {"", "catalog", "oauth", "store"},
	"seed":              {"", "store", "records"},
	"fixtures":          {"", "admin", "catalog", "criteria", "oauth", "store", "records", "views", "territories"},
	"api":               append([]string{"", "catalog", "coql", "criteria", "jobs", "webhook"}, services...),
	"app":               append([]string{"", "api", "console", "store", "jobs", "webhook"}, services...),
	"console":           {"", "api", "oauth"},
	"bench":             {"", "admin", "seed", "oauth", "store", "views", "internal/progress"},
	"cmd/crmd":          {"", "admin", "api", "app", "bench", "catalog", "fixtures", "seed", "oauth", "store", "massdelete", "internal/progress", "webhook"},
	"client":            {},
	"internal/progress": {},
	"internal/testdb":   {},
	"crmdtest":          {"", "catalog", "internal/testdb", "oauth", "store"},
	"testserver":        {"", "api", "app", "client", "fixtures", "store"},
}

// sqlPackages may only be imported by store (and internal/testdb, which makes the tests' databases).
var sqlPackages = []string{"database/sql", "github.com/jackc/pgx/v5", "github.com/jackc/pgx/v5/stdlib", "modernc.org/sqlite"}

type listed struct {
	path    string   // relative to the module
	imports []string // as go list prints them
}

func goList(t *testing.T, args ...string) []listed {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}"}, args...)...)
	cmd.Dir = "."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v", args, err)
	}
	var pkgs []listed
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		rel := strings.TrimPrefix(strings.TrimPrefix(f[0], module), "/")
		pkgs = append(pkgs, listed{path: rel, imports: f[1:]})
	}
	return pkgs
}

func TestImportRules(t *testing.T) {
	doc, err := os.ReadFile("ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	for pkg := range mayImport {
		if pkg != "" && !bytes.Contains(doc, []byte("`"+pkg+"`")) {
			t.Errorf("ARCHITECTURE.md does not place package %s in the layers", pkg)
		}
	}
	for _, p := range goList(t, "./...") {
		if p.path == "e2e" || p.path == "conformance/sdk" {
			continue // test-only packages: they drive the real binary
		}
		allowed, known := mayImport[p.path]
		if !known {
			t.Errorf("package %q has no place in the layers: add it to mayImport and to ARCHITECTURE.md", p.path)
			continue
		}
		for _, imp := range p.imports {
			if own, ok := strings.CutPrefix(imp, module); ok {
				own = strings.TrimPrefix(own, "/")
				if !slices.Contains(allowed, own) {
					t.Errorf("%s imports %s, which its layer may not (allowed: %q)", name(p.path), name(own), allowed)
				}
				continue
			}
			if slices.Contains(sqlPackages, imp) && p.path != "store" && p.path != "internal/testdb" {
				t.Errorf("%s imports %s: only store speaks SQL", name(p.path), imp)
			}
			if (slices.Contains(services, p.path) || p.path == "") && (imp == "net/http" || imp == "net/url") {
				t.Errorf("%s imports %s: services and the domain speak typed values, not HTTP", name(p.path), imp)
			}
			// store parses its DSN with net/url; HTTP is still none of its business.
			if p.path == "store" && imp == "net/http" {
				t.Errorf("store imports net/http: the database layer knows nothing of HTTP")
			}
		}
	}
}

// TestBinaryLinksNoTestCode: the crmd binary links neither the tests' fixtures nor their databases.
func TestBinaryLinksNoTestCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "./cmd/crmd").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == module+"/crmdtest" || dep == module+"/internal/testdb" || dep == module+"/testserver" {
			t.Errorf("the binary links %s", dep)
		}
	}
}

// TestNoSQLOutsideStore: no non-test Go file outside store and criteria (whose compiler store calls)
// holds SQL or reaches for the store's connections and dialect.
func TestNoSQLOutsideStore(t *testing.T) {
	sqlRE := regexp.MustCompile(`\b(SELECT|INSERT INTO|DELETE FROM|UPDATE \w+ SET|PRAGMA)\b|store\.Predicate|sql\.Tx|\.(W|R)\.\w+\(|\.Dialect\b|store\.(SQLite|Postgres)\b`)
	var bad []string
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch path {
			case "store", "criteria", ".git", "conformance", "e2e", "testdata":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if trimmed := strings.TrimSpace(line); strings.HasPrefix(trimmed, "//") {
				continue
			}
			if sqlRE.MatchString(line) {
				bad = append(bad, path+":"+strconv.Itoa(i+1)+": "+strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Errorf("SQL outside store: %s", b)
	}
}

// TestWireShapesOnlyInAPI: Zoho's JSON is written in package api alone. The domain, the store and the
// services declare no JSON field tags (their types are not wire shapes); what they keep as JSON (a
// record's data, a view's criteria) they encode from plain maps and values.
func TestWireShapesOnlyInAPI(t *testing.T) {
	dirs := append([]string{".", "store"}, services...)
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for i, line := range strings.Split(string(b), "\n") {
				if strings.Contains(line, "`json:\"") {
					t.Errorf("%s:%d: a JSON field tag outside api: %s", f, i+1, strings.TrimSpace(line))
				}
			}
		}
	}
}

func name(rel string) string {
	if rel == "" {
		return "crmd (root)"
	}
	return rel
}
