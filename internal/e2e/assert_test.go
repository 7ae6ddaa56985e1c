package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/fake"
)

const (
	deployEvents = "POST /deployment-events/"
	buildEvents  = "POST /build-events/"
	ghList       = "GET /api/v3/repos/acme/shop/deployments?environment=production&per_page=100&sha=" + headSHA + "&task=deploy"
	ghCreate     = "POST /api/v3/repos/acme/shop/deployments"
	// ghEnvList is the list of the environment's newest deployments that
	// a success of ours reads to replace the product's previous version.
	ghEnvList = "GET /api/v3/repos/acme/shop/deployments?environment=production&per_page=10&task=deploy"
)

func ghStatus(id string) string {
	return "POST /api/v3/repos/acme/shop/deployments/" + id + "/statuses"
}

// body decodes the JSON body of a recorded request.
func body(t *testing.T, r fake.Request) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("%s %s: body is not JSON: %v", r.Method, r.Path, err)
	}
	return m
}

func wantCode(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
}

// wantPaths checks the requests a fake received, in any order: a step
// sends at once the requests that do not depend on each other (see
// deployments.Deliver), which then arrive in either order.
func wantPaths(t *testing.T, who string, reqs []fake.Request, want ...string) {
	t.Helper()
	if diff := cmp.Diff(slices.Sorted(slices.Values(want)), slices.Sorted(slices.Values(paths(reqs)))); diff != "" {
		t.Errorf("%s received (-want +got):\n%s", who, diff)
	}
}

func wantContains(t *testing.T, what, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%s lacks %q:\n%s", what, p, s)
		}
	}
}

// writeFile writes text to a new file and returns its path.
func writeFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func values(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
