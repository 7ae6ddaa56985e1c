package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemo runs the demo as `make demo` does, so the newcomer's first
// command keeps working.
func TestDemo(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "deploytrack")
	if out, err := exec.Command("go", "build", "-o", bin, "../..").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var out strings.Builder
	if err := demo(&out, bin, "../../action.yml"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"--- step log (exit code 0", "POST /deployment-events/ → 201", `"auto_merge": false`,
		`"state": "in_progress"`, `"state": "success"`, "--- step log (exit code 1",
		"POST /deployment-events/ → 423", `"state": "failure"`, "| Versioner | ✅ recorded deployment event",
		"#1 shop-api to production at 3f78685: in_progress → success → inactive → success", "#2 payments to production at 3f78685: failure",
		"auto-finish: recording completed (from job.status is success)", "#3 checkout to production at 3f78685: in_progress → success",
		"--- state handed to the post step (GITHUB_STATE)", "### ⚠️ deploytrack: 3 products", "| worker | 2.0.1 | [production-eu]",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if all, masks := strings.Count(out.String(), apiKey), strings.Count(out.String(), "::add-mask::"+apiKey); all != masks || masks != 6 {
		t.Errorf("the api key appears %d times, %d of them in ::add-mask::, want 6 and 6", all, masks)
	}
}
