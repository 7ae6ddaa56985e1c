package e2e

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBuildEvent(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.run(use{with: map[string]string{"api-key": testKey, "api-url": w.vURL, "version": "2.0.0", "event-type": "build", "status": "building"}})
	wantCode(t, r, 0)
	wantPaths(t, "Versioner", w.versioner.Requests(), buildEvents)
	wantPaths(t, "GitHub", w.github.Requests())
	v := body(t, w.versioner.Requests()[0])
	for k, want := range map[string]any{"product_name": "shop", "status": "started", "built_by": "octocat",
		"build_url": "https://github.com/acme/shop/actions/runs/987654321"} {
		if v[k] != want {
			t.Errorf("%s = %v, want %v", k, v[k], want)
		}
	}
	for _, k := range []string{"environment_name", "deployed_by", "deploy_url", "completed_at"} {
		if _, ok := v[k]; ok {
			t.Errorf("build event carries %s", k)
		}
	}
	if r.outputs["build-id"] == "" || r.outputs["build_id"] != r.outputs["build-id"] || r.outputs["deployment-id"] != "" {
		t.Errorf("outputs = %v", r.outputs)
	}
	wantSummary(t, r.summary, "🚀 Started: shop 2.0.0 build · by octocat\n")
	wantContains(t, "summary", r.summary, "| Commit | Run | Versioner |\n") // no GitHub column: a build has no deployment
}

// TestInvalidInputSendsNothing: every invalid input names itself, fails
// the step and sends nothing to either API.
func TestInvalidInputSendsNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		with map[string]string
		env  map[string]string
		want []string
	}{
		{"unknown status", map[string]string{"status": "done"}, nil, []string{"title=Invalid input%3A status::", `"done"`, "completed, ", "success"}},
		{"metadata not an object", map[string]string{"metadata": `["a"]`}, nil, []string{"title=Invalid input%3A metadata::", "not an object"}},
		{"metadata not JSON", map[string]string{"metadata": `{a: 1}`}, nil, []string{"Invalid input%3A metadata", "not valid JSON"}},
		{"missing version", map[string]string{"version": ""}, nil, []string{"Invalid input%3A version", "is required"}},
		{"status expression that gave nothing", map[string]string{"status": ""}, nil, []string{"Invalid input%3A status", "evaluated to nothing"}},
		{"missing environment", map[string]string{"environment": ""}, nil, []string{"Invalid input%3A environment", "required for deployment events"}},
		{"missing api key", map[string]string{"api-key": ""}, nil, []string{"Invalid input%3A api-key", "VERSIONER_API_KEY"}},
		{"newline in a single-line input", map[string]string{"version": "1.2.3\n::warning::forged"}, nil, []string{"Invalid input%3A version", "single line"}},
		{"bad boolean", map[string]string{"dry-run": "yes"}, nil, []string{"Invalid input%3A dry-run"}},
		{"bad event type", map[string]string{"event-type": "release"}, nil, []string{"Invalid input%3A event-type"}},
		{"bad timeout", map[string]string{"timeout": "forever"}, nil, []string{"Invalid input%3A timeout"}},
		{"empty token with GitHub on", map[string]string{"github-token": ""}, nil, []string{"Invalid input%3A github-token", "github-deployment: false"}},
		{"several at once", map[string]string{"version": "", "status": "nope", "metadata": "1"}, nil, []string{"Invalid input%3A version", "Invalid input%3A status", "Invalid input%3A metadata"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			r := w.run(use{with: w.with(tt.with), env: tt.env})
			wantCode(t, r, 1)
			wantPaths(t, "Versioner", w.versioner.Requests())
			wantPaths(t, "GitHub", w.github.Requests())
			wantContains(t, "stdout", r.stdout, append(tt.want, "nothing was sent")...)
			for _, line := range strings.Split(r.stdout, "\n") {
				if strings.HasPrefix(line, "::warning::forged") {
					t.Errorf("an input started a workflow command: %q", line)
				}
			}
		})
	}
}

func TestGitHubOff(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.run(use{with: w.with(map[string]string{"github-deployment": "false", "github-token": ""})})
	wantCode(t, r, 0)
	wantPaths(t, "GitHub", w.github.Requests())
	wantContains(t, "summary", r.summary, "| Commit | Run | Versioner |\n") // no GitHub column
	if r.outputs["github-deployment-id"] != "" {
		t.Errorf("github-deployment-id = %q", r.outputs["github-deployment-id"])
	}
}

func TestAPIURLs(t *testing.T) {
	t.Parallel()
	t.Run("Versioner base with a path prefix and trailing slash", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.versioner.PathPrefix = "/versioner"
		wantCode(t, w.run(use{with: w.with(map[string]string{"api-url": w.vURL + "/versioner/"})}), 0)
		wantPaths(t, "Versioner", w.versioner.Requests(), "POST /versioner/deployment-events/")
	})
	t.Run("api.github.com has no /api/v3 prefix", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.github.PathPrefix = ""
		w.context["GITHUB_API_URL"] = strings.TrimSuffix(w.ghAPI, "/api/v3")
		wantCode(t, w.run(use{with: w.with(nil)}), 0)
		if got := strings.Join(paths(w.github.Requests()), "\n"); strings.Count(got, "\n")+1 != 5 || !strings.Contains(got, "POST /repos/acme/shop/deployments\n") && !strings.HasSuffix(got, "POST /repos/acme/shop/deployments") ||
			strings.Count(got, "GET /repos/acme/shop/deployments?") != 3 || strings.Contains(got, "/api/v3") {
			t.Errorf("GitHub received %v", got)
		}
	})
	t.Run("deprecated aliases of Versioner's action", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		r := w.run(use{with: map[string]string{"api_key": testKey, "api_url": w.vURL, "product_name": "legacy", "event_type": "build", "version": "1"}})
		wantCode(t, r, 0)
		wantPaths(t, "Versioner", w.versioner.Requests(), buildEvents)
		if got := body(t, w.versioner.Requests()[0])["product_name"]; got != "legacy" {
			t.Errorf("product_name = %v", got)
		}
		if n := len(commands(r.stdout, "warning")); n != 4 {
			t.Errorf("%d deprecation warnings, want 4:\n%s", n, r.stdout)
		}
	})
	t.Run("key from VERSIONER_API_KEY", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		r := w.run(use{with: w.with(map[string]string{"api-key": ""}), env: map[string]string{"VERSIONER_API_KEY": testKey}})
		wantCode(t, r, 0)
	})
}

func TestMetadataAndDescription(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	long := strings.Repeat("é", 200)
	r := w.run(use{with: w.with(map[string]string{
		"metadata":    `{"ticket": "OPS-1", "vi_gh_job": "mine", "count": 3, "nested": {"ok": true}}`,
		"description": long,
	})})
	wantCode(t, r, 0)
	meta := body(t, w.versioner.Requests()[0])["extra_metadata"].(map[string]any)
	for k, want := range map[string]any{"ticket": "OPS-1", "vi_gh_job": "mine", "count": float64(3), "nested": map[string]any{"ok": true}, "vi_gh_workflow": "Deploy"} {
		if diff := cmp.Diff(want, meta[k]); diff != "" {
			t.Errorf("extra_metadata.%s (-want +got):\n%s", k, diff)
		}
	}
	desc := w.github.Deployments()[0].Statuses[0].Description
	if n := len([]rune(desc)); n != 140 || !strings.HasSuffix(desc, "…") {
		t.Errorf("description has %d characters: %q", n, desc)
	}
}

func TestDryRun(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.run(use{with: w.with(map[string]string{"dry-run": "true", "status": "started"})})
	wantCode(t, r, 0)
	wantPaths(t, "Versioner", w.versioner.Requests())
	wantPaths(t, "GitHub", w.github.Requests())
	wantContains(t, "stdout", r.stdout, "POST "+w.vURL+"/deployment-events/", "Authorization: Bearer ***",
		`"product_name": "shop-api"`, `"auto_merge": false`, `"required_contexts": []`, `"state": "in_progress"`)
	wantSummary(t, r.summary, "🧪 Dry run (started): shop-api 1.2.3 → production", "Nothing was sent")
	wantContains(t, "summary", r.summary, "| Commit | Run |\n") // no record in either API
}

func TestOutsideARunner(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.run(use{with: w.with(nil), noFile: true})
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout, "output status=completed", "output github-deployment-id=1")
}

func TestVersionFlag(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(binary, "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "deploytrack e2e (commit ") {
		t.Errorf("--version = %q, %v", out, err)
	}
}
