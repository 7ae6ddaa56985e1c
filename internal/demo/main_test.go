package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/deploytrack/deploytrack/internal/report/summarytest"
)

// TestDemo runs the demo as `make demo` does, so the newcomer's first
// command keeps working.
func TestDemo(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "deploytrack")
	if out, err := exec.Command("go", "build", "-o", bin, "../..").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var out strings.Builder
	dir := t.TempDir()
	sums, err := newSummaries(dir, "no stylesheet here")
	if err != nil {
		t.Fatal(err)
	}
	if err := demo(&out, bin, "../../action.yml", sums); err != nil {
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
		// A summary for each outcome, the deploy's apart from its tracking's.
		"### ✅ Completed: shop-api 1.5.0 → [production](https://shop.example.com) · by mona · took 4m 12s\n",
		"Replaced **1.4.2**, which GitHub now shows as inactive.", "### ❌ Failed: search 0.9.2 → production · by mona · took 2m 3s\n",
		"### ⏹️ Aborted: worker 2.0.3 → production-eu · by mona · took 40s\n", "### ⏭️ Skipped: payments 1.4.0 → production",
		"### ⛔ Blocked: payments 1.4.0 → production · by octocat · until Mon 30 Nov 2026 08:00 UTC\n",
		"### 🧪 Dry run (completed): shop-api 1.5.1 → production", "### ✅ Completed: docs 3.0.0 → production",
		"- ⚠️ **Recording in Versioner failed**: could not reach Versioner", "### ✅ Completed: admin 1.0.0 → production",
		"- ❌ **Recording on GitHub failed**: GitHub answered 403 Forbidden", "add `permissions: deployments: write` to the job",
		"### ✅ Completed: shop-api 1.6.0 build", "### ⛔ 3 products → production: 1 blocked, 2 started\n",
		"Each job summary above is in " + dir + "/ as NN-scene.md",
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
	if all, masks := strings.Count(out.String(), apiKey), strings.Count(out.String(), "::add-mask::"+apiKey); all != masks || masks != 20 {
		t.Errorf("the api key appears %d times, %d of them in ::add-mask::, want 20 and 20 (one a step, the post step included)", all, masks)
	}
	monorepoEnding(t, out.String())
	summaryFiles(t, dir, out.String())
}

// summaryFiles: the demo leaves each job summary it printed in dir, as
// markdown and as HTML, and each reads right as GitHub renders it.
func summaryFiles(t *testing.T, dir, out string) {
	t.Helper()
	mds, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	htmls, _ := filepath.Glob(filepath.Join(dir, "*.html"))
	if printed := strings.Count(out, "--- job summary (markdown)\n  │ ###"); len(mds) != printed || len(htmls) != printed {
		t.Errorf("%s holds %d .md and %d .html files, want one of each for the %d summaries printed", dir, len(mds), len(htmls), printed)
	}
	had := summarytest.Had{Prefixes: []string{"https://github.com/acme/shop/"}, Secrets: []string{apiKey, token},
		URLs: []string{"https://shop.example.com", "https://staging.shop.example.com"}}
	for _, md := range mds {
		b, err := os.ReadFile(md)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range summarytest.Check(string(b), had) {
			t.Errorf("%s, as GitHub renders it: %s\n%s", filepath.Base(md), p, b)
		}
		page, err := os.ReadFile(strings.TrimSuffix(md, ".md") + ".html")
		if err != nil || !strings.Contains(string(page), summarytest.Render(string(b))) {
			t.Errorf("%s: the .html beside it is not its rendering (%v)", filepath.Base(md), err)
		}
	}
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
		`#\d+ shop-api 1.4.2 to production at 9c1185a: success → inactive \(superseded by 1\.5\.0 \(deployment \d+\)\)`,
	} {
		if !regexp.MustCompile(want).MatchString(end) {
			t.Errorf("the ending lacks %s:\n%s", want, end)
		}
	}
	_, active, _ := strings.Cut(end, "\nActive on the Environments page (newest status success):\n")
	active, _, _ = strings.Cut(active, "\n\n")
	want := map[string][]string{
		"production":    {"#4 checkout 1.4.0", "shop-api 1.5.0", "search 0.9.1", "docs 3.0.0"},
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
