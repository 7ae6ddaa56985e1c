package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrack/deploytrack/internal/fake"
)

// TestStartedThenCompleted is the workflow of the README: a started step
// before the deploy, a finishing step after it.
func TestStartedThenCompleted(t *testing.T) {
	t.Parallel()
	w := newWorld(t)

	start := w.run(use{id: "__start", with: w.with(map[string]string{"status": "started"})})
	wantCode(t, start, 0)
	wantPaths(t, "Versioner", w.versioner.Requests(), deployEvents)
	// The environment's list goes with the create: the started step hands
	// the product's previous version on to the finishing step (none here).
	wantPaths(t, "GitHub", w.github.Requests(), ghList, ghCreate, ghEnvList, ghList, ghStatus("1"))

	v := body(t, w.versioner.Requests()[0])
	want := map[string]any{
		"product_name": "shop-api", "version": "1.2.3", "environment_name": "production", "status": "started",
		"deployed_by": "octocat", "deployed_by_name": "Mona Lisa", "deployed_by_email": "mona@example.com",
		"scm_repository": "acme/shop", "scm_sha": headSHA, "scm_branch": "main",
		"source_system": "github", "build_number": "77", "invoke_id": "987654321",
		"deploy_url": "https://github.com/acme/shop/actions/runs/987654321",
		"extra_metadata": map[string]any{
			"vi_gh_workflow": "Deploy", "vi_gh_job": "deploy", "vi_gh_run_attempt": "1",
			"vi_gh_event_name": "push", "vi_gh_ref": "refs/heads/main",
		},
	}
	if diff := cmp.Diff(want, v); diff != "" {
		t.Errorf("Versioner body (-want +got):\n%s", diff)
	}
	var create map[string]any
	for _, r := range w.github.Requests() {
		if r.Method+" "+r.Path == ghCreate {
			create = body(t, r)
		}
	}
	wantCreate := map[string]any{
		"ref": headSHA, "task": "deploy", "auto_merge": false, "required_contexts": []any{},
		"environment": "production", "description": "shop-api 1.2.3",
		"payload": map[string]any{"product": "shop-api", "version": "1.2.3", "run_id": "987654321", "run_attempt": "1"},
	}
	if diff := cmp.Diff(wantCreate, create); diff != "" {
		t.Errorf("create deployment body (-want +got):\n%s", diff)
	}
	// The status and the second list go at once (deployments.Deliver).
	for _, r := range w.github.Requests() {
		op := map[string]string{ghCreate: "repos/create-deployment", ghStatus("1"): "repos/create-deployment-status"}[r.Method+" "+r.Path]
		if op == "" {
			continue
		}
		if err := fake.ValidateGitHubRequest("testdata/schemas/github-rest-deployments.json", op, r.Body); err != nil {
			t.Errorf("%s body does not match GitHub's schema: %v", op, err)
		}
	}
	wantOut := map[string]string{
		"deployment-id": start.outputs["deployment-id"], "build-id": "", "status": "started",
		"version-id": start.outputs["version-id"], "product-id": start.outputs["product-id"], "environment-id": start.outputs["environment-id"],
		"github-deployment-id": "1", "github-deployment-source": "deploytrack",
		"deployment_id": start.outputs["deployment-id"], "build_id": "",
		"version_id": start.outputs["version-id"], "product_id": start.outputs["product-id"], "environment_id": start.outputs["environment-id"],
		"results": start.outputs["results"],
	}
	var results map[string]map[string]any
	if err := json.Unmarshal([]byte(start.outputs["results"]), &results); err != nil {
		t.Errorf("results output %q: %v", start.outputs["results"], err)
	}
	wantResults := map[string]map[string]any{"shop-api": {
		"status": "started", "version": "1.2.3", "environment": "production", "ok": true, "github_deployment_id": "1",
		"deployment_id": start.outputs["deployment-id"], "version_id": start.outputs["version-id"],
		"product_id": start.outputs["product-id"], "environment_id": start.outputs["environment-id"],
	}}
	if diff := cmp.Diff(wantResults, results); diff != "" {
		t.Errorf("results output (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantOut, start.outputs); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	if start.outputs["deployment-id"] == "" || start.outputs["version-id"] == "" {
		t.Errorf("ids missing from outputs: %v", start.outputs)
	}

	w.versioner.Reset()
	w.github.Reset()
	finish := w.run(use{id: "__finish", with: w.with(map[string]string{"status": "success", "environment-url": "https://shop.example.com"})})
	wantCode(t, finish, 0)
	wantPaths(t, "Versioner", w.versioner.Requests(), deployEvents)
	wantPaths(t, "GitHub", w.github.Requests(), ghList, ghStatus("1"), ghEnvList)
	if got := body(t, w.versioner.Requests()[0])["status"]; got != "completed" {
		t.Errorf("finish status sent = %v, want completed", got)
	}
	if _, ok := body(t, w.versioner.Requests()[0])["completed_at"]; !ok {
		t.Error("a completed event carries no completed_at")
	}

	deps := w.github.Deployments()
	if len(deps) != 1 {
		t.Fatalf("GitHub has %d deployments, want 1", len(deps))
	}
	var states []string
	for _, s := range deps[0].Statuses {
		states = append(states, s.State)
		if s.LogURL != "https://github.com/acme/shop/actions/runs/987654321" {
			t.Errorf("status %s log_url = %q", s.State, s.LogURL)
		}
	}
	if diff := cmp.Diff([]string{"in_progress", "success"}, states); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if got := deps[0].Statuses[1].EnvironmentURL; got != "https://shop.example.com" {
		t.Errorf("environment_url = %q", got)
	}
	if n := len(w.versioner.Events()); n != 2 {
		t.Errorf("Versioner recorded %d events, want 2", n)
	}
	// The start was not handed on (two separate runs): the duration comes
	// from the GitHub deployment the finishing step found.
	// (GitHub's created_at has whole seconds: under 1s or 1s.)
	wantSummary(t, finish.summary, "✅ Completed: shop-api 1.2.3 → production · by octocat · took ")
	wantContains(t, "summary", finish.summary,
		"→ [production](https://shop.example.com) · by octocat",
		"| Commit | Run | GitHub | Versioner |",
		"| [1111111](https://github.com/acme/shop/commit/"+headSHA+") on main | [\\#77](https://github.com/acme/shop/actions/runs/987654321) | [deployment 1](https://github.com/acme/shop/deployments/production) | `")
}

func TestCanonicalStatesOnGitHub(t *testing.T) {
	t.Parallel()
	for given, state := range map[string]string{
		"queued": "queued", "in_progress": "in_progress", "success": "success", "failure": "failure",
		"cancelled": "inactive", "skipped": "inactive", "error": "failure", "deploying": "in_progress",
	} {
		t.Run(given, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			r := w.run(use{with: w.with(map[string]string{"status": given})})
			wantCode(t, r, 0) // a failed deployment that was recorded is a success of the step
			deps := w.github.Deployments()
			if len(deps) != 1 || len(deps[0].Statuses) != 1 || deps[0].Statuses[0].State != state {
				t.Errorf("GitHub deployments = %+v, want one with status %s", deps, state)
			}
		})
	}
}

func TestTwoProductsOneRunTwoDeployments(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, p := range []string{"api", "web", "api"} {
		wantCode(t, w.run(use{id: "__" + p, with: w.with(map[string]string{"product": p})}), 0)
	}
	deps := w.github.Deployments()
	if len(deps) != 2 {
		t.Fatalf("GitHub has %d deployments, want one per product: %+v", len(deps), deps)
	}
	// web's success leaves api's deployment alone (in production GitHub's
	// auto_inactive marks nothing); api's second step finds it again.
	var api []string
	for _, s := range deps[0].Statuses {
		api = append(api, s.State)
	}
	if deps[0].Payload["product"] != "api" || deps[1].Payload["product"] != "web" || !cmp.Equal(api, []string{"success", "success"}) {
		t.Errorf("deployments = %+v", deps)
	}
}

func TestCommitAndBranchPerEvent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		env        map[string]string
		sha        string
		branch     string // "" when none is sent
		extra      map[string]any
		productDef string
	}{
		{
			name: "pull_request records the head commit, not the test merge",
			env: map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": eventFile("pull_request.json"),
				"GITHUB_SHA": "5555555555555555555555555555555555555555", "GITHUB_REF": "refs/pull/42/merge", "GITHUB_REF_NAME": "42/merge",
				"GITHUB_HEAD_REF": "feature/login", "GITHUB_BASE_REF": "main"},
			sha: "3333333333333333333333333333333333333333", branch: "feature/login",
			extra: map[string]any{"vi_gh_event_name": "pull_request", "vi_gh_ref": "refs/pull/42/merge", "vi_gh_head_ref": "feature/login", "vi_gh_base_ref": "main"},
		},
		{
			name: "tag push records no branch and the tag ref",
			env: map[string]string{"GITHUB_EVENT_PATH": eventFile("tag.json"), "GITHUB_SHA": "2222222222222222222222222222222222222222",
				"GITHUB_REF": "refs/tags/v1.2.3", "GITHUB_REF_NAME": "v1.2.3", "GITHUB_REF_TYPE": "tag"},
			sha:   "2222222222222222222222222222222222222222",
			extra: map[string]any{"vi_gh_event_name": "push", "vi_gh_ref": "refs/tags/v1.2.3"},
		},
		{
			name: "workflow_run records the triggering run's commit and branch",
			env: map[string]string{"GITHUB_EVENT_NAME": "workflow_run", "GITHUB_EVENT_PATH": eventFile("workflow_run.json"),
				"GITHUB_SHA": "8888888888888888888888888888888888888888"},
			sha: "6666666666666666666666666666666666666666", branch: "release/2.0",
			extra: map[string]any{"vi_gh_event_name": "workflow_run", "vi_gh_ref": "refs/heads/main"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			r := w.run(use{with: w.with(nil), env: tt.env})
			wantCode(t, r, 0)
			v := body(t, w.versioner.Requests()[0])
			if v["scm_sha"] != tt.sha {
				t.Errorf("scm_sha = %v, want %s", v["scm_sha"], tt.sha)
			}
			if got, _ := v["scm_branch"].(string); got != tt.branch {
				t.Errorf("scm_branch = %q, want %q", got, tt.branch)
			}
			for k, want := range tt.extra {
				if got := v["extra_metadata"].(map[string]any)[k]; got != want {
					t.Errorf("extra_metadata.%s = %v, want %v", k, got, want)
				}
			}
			if deps := w.github.Deployments(); len(deps) != 1 || deps[0].SHA != tt.sha {
				t.Errorf("GitHub deployment = %+v, want one at %s", deps, tt.sha)
			}
		})
	}
}

// TestEventPayloadFallback: a payload that is missing, unreadable, not
// JSON or of another event than GITHUB_EVENT_NAME says costs its facts
// and a warning, never the step: the commit comes from GITHUB_SHA.
func TestEventPayloadFallback(t *testing.T) {
	t.Parallel()
	const sha = "5555555555555555555555555555555555555555"
	tests := []struct {
		name    string
		event   string
		payload func(t *testing.T) string // the GITHUB_EVENT_PATH
		want    []string                  // warnings
	}{
		{name: "missing", event: "push", payload: func(t *testing.T) string { return filepath.Join(t.TempDir(), "event.json") },
			want: []string{"event.json) does not exist: using the GITHUB_* variables only"}},
		{name: "unreadable (a directory)", event: "push", payload: func(t *testing.T) string { return t.TempDir() },
			want: []string{"could not use the event payload at GITHUB_EVENT_PATH (could not read event file: ", "is a directory): using the GITHUB_* variables only"}},
		{name: "not JSON", event: "pull_request", payload: func(*testing.T) string { return eventFile("truncated.json") },
			want: []string{"could not use the event payload at GITHUB_EVENT_PATH (failed to unmarshal event payload: unexpected end of JSON input)",
				"the pull_request payload has no pull_request.head.sha: recording GITHUB_SHA, the test merge commit; set scm-sha to the head commit"}},
		{name: "a JSON array", event: "push", payload: func(t *testing.T) string { return writeFile(t, "[1, 2]") },
			want: []string{"could not use the event payload at GITHUB_EVENT_PATH (failed to unmarshal event payload: json: cannot unmarshal array"}},
		{name: "another event's payload", event: "workflow_run", payload: func(*testing.T) string { return eventFile("push.json") },
			want: []string{"the workflow_run payload has no workflow_run.head_sha: recording GITHUB_SHA; set scm-sha to the commit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			r := w.run(use{with: w.with(nil), env: map[string]string{"GITHUB_EVENT_NAME": tt.event, "GITHUB_EVENT_PATH": tt.payload(t), "GITHUB_SHA": sha}})
			wantCode(t, r, 0)
			if got := body(t, w.versioner.Requests()[0])["scm_sha"]; got != sha {
				t.Errorf("scm_sha = %v, want GITHUB_SHA %s", got, sha)
			}
			if deps := w.github.Deployments(); len(deps) != 1 || deps[0].SHA != sha {
				t.Errorf("GitHub deployments = %+v, want one at GITHUB_SHA", deps)
			}
			warnings := strings.Join(commands(r.stdout, "warning"), "\n")
			wantContains(t, "warnings", warnings, tt.want...)
			wantContains(t, "summary", r.summary, "\n#### Warnings\n")
		})
	}
}
