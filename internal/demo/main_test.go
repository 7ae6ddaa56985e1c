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
		"#2 payments to production at 3f78685: failure",
		// A job with an environment: its steps post to GitHub's deployment for the job, and the
		// later step goes straight to it.
		"GitHub: the job's own deployment 3, status in_progress", "GET /api/v3/repos/acme/shop/deployments/3/statuses?per_page=100 → 200",
		"github-deployment-source=job", "--- GITHUB_ENV (for the job's later steps)\n  │ DEPLOYTRACK_GITHUB_DEPLOYMENT_",
		"| GitHub | ✅ the job's own deployment 3 (GitHub made it for the job's `environment:`), status `success` |",
		"#3 GitHub's deployment for the job to staging at 3f78685: queued → in_progress → in_progress → success → success",
		// One step with auto-finish, and several products in one step.
		"auto-finish: recording completed (from job.status is success)", "#4 checkout to production at 3f78685: in_progress → success",
		"--- state handed to the post step (GITHUB_STATE)", "### ⚠️ deploytrack: 3 products", "| worker | 2.0.1 | [production-eu]",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	// In the job with an environment, the later step makes one GitHub
	// request: the status, straight to the job's deployment.
	_, scene5, _ := strings.Cut(out.String(), "\n5. Later in the same job")
	_, received, _ := strings.Cut(scene5, "--- GitHub received\n")
	received, _, _ = strings.Cut(received, "\n--- ")
	var requests []string
	for _, line := range strings.Split(received, "\n") {
		if l := strings.TrimPrefix(line, "  │ "); strings.HasPrefix(l, "GET ") || strings.HasPrefix(l, "POST ") {
			requests = append(requests, l)
		}
	}
	if want := "POST /api/v3/repos/acme/shop/deployments/3/statuses → 201"; len(requests) != 1 || requests[0] != want {
		t.Errorf("scene 5: GitHub received %q, want only %q", requests, want)
	}
	if all, masks := strings.Count(out.String(), apiKey), strings.Count(out.String(), "::add-mask::"+apiKey); all != masks || masks != 8 {
		t.Errorf("the api key appears %d times, %d of them in ::add-mask::, want 8 and 8 (one a step, the post step included)", all, masks)
	}
}
