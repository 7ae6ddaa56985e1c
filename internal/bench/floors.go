package main

import (
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
)

// The floors: what a Go binary costs before it does anything. The bare
// floor is `func main() {}`. The libraries floor links what the action
// links and does nothing: every package the action imports, its own
// excepted, is imported for its side effects, so the floor's start pays
// for the same package initialisers (go-githubactions, go-retryablehttp,
// go-github, net/http, crypto/tls, encoding/json, yaml...) but runs no
// code of ours. The budgets compare the action with the libraries floor:
// what is left is what the action does, not what linking its libraries
// costs. The HTTPS floor is the libraries floor sending one GET over TLS
// (to the URL in FLOOR_URL, trusting SSL_CERT_FILE): the floor for the
// same event over HTTPS.

const bareSource = "package main\n\nfunc main() {}\n"

// floorModule is the action's module: the floors are built inside it, so
// that its go.mod pins the libraries they import.
const floorModule = "github.com/deploytrack/deploytrack"

// libraryImports lists what the action's main package links, its own
// packages and the standard library's internal ones (which no program may
// import) excepted, as `go list -deps` gives them with cgo off.
func libraryImports() ([]string, error) {
	list := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{.Standard}} {{with .Module}}{{.Path}}{{end}}", ".")
	list.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	out, err := list.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -deps: %w", err)
	}
	var pkgs []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		path, std := f[0], f[1] == "true"
		switch {
		case len(f) == 3 && f[2] == floorModule:
		case std && (path == "internal" || strings.HasPrefix(path, "internal/") || strings.Contains(path, "/internal/") ||
			strings.HasSuffix(path, "/internal") || strings.HasPrefix(path, "vendor/") || path == "runtime/cgo"):
		default:
			pkgs = append(pkgs, path)
		}
	}
	sort.Strings(pkgs)
	return pkgs, nil
}

// librarySource is the libraries floor's program; with get it sends one
// GET to FLOOR_URL and reads the answer.
func librarySource(pkgs []string, get bool) string {
	var b strings.Builder
	b.WriteString("// The libraries floor: it links what deploytrack links and does nothing")
	if get {
		b.WriteString("\n// but one HTTPS GET")
	}
	b.WriteString(".\npackage main\n\nimport (\n")
	if get {
		b.WriteString("\t\"io\"\n\t\"net/http\"\n\t\"os\"\n")
	}
	for _, p := range pkgs {
		if get && (p == "io" || p == "net/http" || p == "os") {
			continue
		}
		fmt.Fprintf(&b, "\t_ %q\n", p)
	}
	b.WriteString(")\n\nfunc main() {")
	if get {
		b.WriteString(`
	resp, err := http.Get(os.Getenv("FLOOR_URL"))
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
`)
	}
	b.WriteString("}\n")
	return b.String()
}

// floors builds the three floors into dir.
func floors(dir string) (bare, libs, https string, err error) {
	pkgs, err := libraryImports()
	if err != nil {
		return "", "", "", err
	}
	if bare, err = goBuild(dir, "bare", bareSource, ""); err != nil {
		return "", "", "", err
	}
	if libs, err = goBuild(dir, "libraries", librarySource(pkgs, false), ""); err != nil {
		return "", "", "", err
	}
	https, err = goBuild(dir, "libraries-https", librarySource(pkgs, true), "")
	return bare, libs, https, err
}
