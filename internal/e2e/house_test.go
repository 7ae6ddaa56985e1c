package e2e

import (
	"bufio"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// mayImport lists, for each package of the action, the project's packages
// it may import: data flows one way, config -> event -> sinks -> report ->
// the runner's files, and only step wires them together. The commands
// (demo, bench, fakeserve) and the test helpers (fake, runner, e2e) are
// not part of the action and are not listed.
var mayImport = map[string][]string{
	"rawjson":     nil,
	"config":      {"rawjson"},
	"ghcontext":   nil,
	"event":       {"config", "ghcontext"},
	"httpx":       nil,
	"ghapi":       nil,
	"versioner":   {"event", "httpx", "rawjson"},
	"deployments": {"event", "ghapi", "httpx", "rawjson"},
	"outcome":     {"ghapi"},
	"redact":      nil,
	"workflow":    {"redact"},
	"report":      {"deployments", "event", "redact", "versioner", "workflow"},
	"step":        {"config", "deployments", "event", "ghcontext", "httpx", "outcome", "redact", "report", "versioner", "workflow"},
}

// TestHouse keeps the house easy to walk: main.go alone at the top, one
// way for the data, nothing below main reading the process environment or
// writing to stdout, a package comment saying each package's job, and no
// file past 700 lines.
func TestHouse(t *testing.T) {
	t.Parallel()
	top, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range top {
		if f != "main.go" && f != "main_test.go" {
			t.Errorf("%s: main.go is the only Go file at the top; the step and its tests live under internal/", f)
		}
	}

	const module = "github.com/deploytrack/deploytrack/internal/"
	dirs, err := os.ReadDir("internal")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		pkg := d.Name()
		allowed, action := mayImport[pkg]
		seen[pkg] = action
		files, _ := filepath.Glob(filepath.Join("internal", pkg, "*.go"))
		documented := false
		for _, name := range files {
			checkLength(t, name)
			f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			if doc := f.Doc.Text(); strings.HasPrefix(doc, "Package "+pkg+" ") || strings.HasPrefix(doc, "Command ") {
				documented = true
			}
			if !action || strings.HasSuffix(name, "_test.go") {
				continue
			}
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if dep, ok := strings.CutPrefix(p, module); ok && !slices.Contains(allowed, dep) {
					t.Errorf("%s imports internal/%s; %s may import only %v (config -> event -> sinks -> report, one way)", name, dep, pkg, allowed)
				}
			}
			for _, banned := range []string{"os.Getenv", "os.LookupEnv", "os.Environ", "os.Stdout", "os.Stderr", "os.Args", "fmt.Print", "println("} {
				b, _ := os.ReadFile(name)
				if regexp.MustCompile(`\b` + regexp.QuoteMeta(banned)).Match(b) {
					t.Errorf("%s uses %s: below main nothing reads the process environment or writes to stdout; take it as an argument", name, banned)
				}
			}
		}
		if !documented {
			t.Errorf("internal/%s has no package comment saying its one job (// Package %s ... or // Command ...)", pkg, pkg)
		}
	}
	for pkg := range mayImport {
		if _, ok := seen[pkg]; !ok {
			t.Errorf("mayImport names internal/%s, which is gone: update the table", pkg)
		}
	}
	checkLength(t, "main.go")
}

// checkLength fails a file past 700 lines: split it by subject.
func checkLength(t *testing.T, name string) {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for s := bufio.NewScanner(f); s.Scan(); {
		n++
	}
	if n > 700 {
		t.Errorf("%s has %d lines: past 700, split it by subject (and its test file the same way)", name, n)
	}
}
