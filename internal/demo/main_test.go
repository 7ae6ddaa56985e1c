package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
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
		"POST /deployment-events/ → 423", `"state": "failure"`, "### 🚀 Started: shop-api 1.4.0 → production · by octocat",
		"#2 payments 1.4.0 to production at 3f78685: failure",
		// A job with an environment: its steps post to GitHub's deployment for the job, and the
		// later step goes straight to it.
		"GitHub: the job's own deployment 3, status in_progress", "GET /api/v3/repos/acme/shop/deployments/3/statuses?per_page=100 → 200",
		"github-deployment-source=job", "--- GITHUB_ENV (for the job's later steps)\n  │ DEPLOYTRACK_GITHUB_DEPLOYMENT_",
		"| [deployment 3](https://github.com/acme/shop/deployments/staging) (the job's) |",
		"#3 GitHub's deployment for the job to staging at 3f78685: queued → in_progress → in_progress → success → success\n",
		// One step with auto-finish, and several products in one step.
		"auto-finish: recording completed (from job.status is success)", "#4 checkout 1.4.0 to production at 3f78685: in_progress → success\n",
		"--- state handed to the post step (GITHUB_STATE)", "### ✅ Completed: 3 products", "| worker | 2.0.1 | production-eu | ✅ completed |",
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
	if all, masks := strings.Count(out.String(), apiKey), strings.Count(out.String(), "::add-mask::"+apiKey); all != masks || masks != 11 {
		t.Errorf("the api key appears %d times, %d of them in ::add-mask::, want 11 and 11 (one a step, the post step included)", all, masks)
	}
	monorepoEnding(t, out.String())
}

// monorepoEnding: the monorepo's scenes end with every product's latest
// deployment active, in staging and production alike, and each previous
// version marked inactive by the one that replaced it; the products'
// deployments are made concurrently, so their ids are not fixed.
func monorepoEnding(t *testing.T, out string) {
	t.Helper()
	_, end, _ := strings.Cut(out, "\nGitHub deployments at the end")
	for _, want := range []string{
		`#1 shop-api 1.4.0 to production at 3f78685: in_progress → success → success → inactive \(superseded by 1\.4\.2 \(deployment \d+\)\)`,
		`#\d+ search 0.9.0 to production at 3f78685: success → inactive \(superseded by 0\.9\.1 \(deployment \d+\)\)`,
		`#\d+ worker 2.0.1 to production-eu at 3f78685: success → inactive \(superseded by 2\.0\.2 \(deployment \d+\)\)`,
		`#\d+ shop-api 1.4.1 to staging at 3f78685: success → inactive \(superseded by 1\.4\.2 \(deployment \d+\)\)`,
		`#\d+ worker 2.0.1 to staging at 3f78685: success → inactive \(superseded by 2\.0\.2 \(deployment \d+\)\)`,
		`#\d+ search 0.9.0 to staging at 3f78685: success → inactive \(superseded by 0\.9\.1 \(deployment \d+\)\)`,
	} {
		if !regexp.MustCompile(want).MatchString(end) {
			t.Errorf("the ending lacks %s:\n%s", want, end)
		}
	}
	_, active, _ := strings.Cut(end, "\nActive on the Environments page (newest status success):\n")
	want := map[string][]string{
		"production":    {"#4 checkout 1.4.0", "shop-api 1.4.2", "search 0.9.1"},
		"production-eu": {"worker 2.0.2"},
		"staging":       {"#3 GitHub's deployment for the job", "shop-api 1.4.2", "worker 2.0.2", "search 0.9.1"},
	}
	got := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(active), "\n") {
		env, list, _ := strings.Cut(strings.TrimSpace(line), ": ")
		for _, d := range strings.Split(list, ", ") {
			if !strings.HasPrefix(d, "#4 ") && !strings.HasPrefix(d, "#3 ") {
				_, d, _ = strings.Cut(d, " ") // the products' ids vary
			}
			got[env] = append(got[env], d)
		}
	}
	if diff := cmp.Diff(want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("active per environment (-want +got):\n%s", diff)
	}
}
